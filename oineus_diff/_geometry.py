"""Differentiable torch formulas for the values of point-cloud filtrations."""

from __future__ import annotations

import torch as _torch


def edge_lengths(points: _torch.Tensor, edges: _torch.Tensor, eps: float = 0.0) -> _torch.Tensor:
    """Euclidean lengths of ``edges`` (int64, shape (n_edges, 2)) between rows of ``points``.

    With ``eps > 0`` the result is sqrt(d² + eps). A zero length has gradient 0, never NaN.
    """
    diff = points.index_select(0, edges[:, 0]) - points.index_select(0, edges[:, 1])
    squared = (diff * diff).sum(dim=1)
    if eps > 0:
        return (squared + eps).sqrt()
    # Double `where`: the square root never sees 0, so its derivative stays finite, and the
    # outer `where` sends a zero gradient to coincident points.
    positive = squared > 0
    safe = _torch.where(positive, squared, _torch.ones_like(squared))
    return _torch.where(positive, safe.sqrt(), _torch.zeros_like(squared))


def _dot(a: _torch.Tensor, b: _torch.Tensor) -> _torch.Tensor:
    return (a * b).sum(dim=-1)


def _cross(a: _torch.Tensor, b: _torch.Tensor) -> _torch.Tensor:
    """Cross product of 3-vectors; for 2-vectors the 1-vector (0, 0, z) reduced to (z,)."""
    if a.shape[-1] == 2:
        return (a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]).unsqueeze(-1)
    return _torch.linalg.cross(a, b, dim=-1)


def circumradius2(points: _torch.Tensor, simplices: _torch.Tensor) -> tuple[_torch.Tensor, _torch.Tensor]:
    """Squared circumradii of simplices (int64, shape (n, k) with k = 2, 3 or 4) of ``points``.

    Returns ``(radius2, valid)``. The closed forms of SPEC §3.4, with u = q − p, v = r − p,
    w = s − p: ‖u‖²/4 for edges, ‖u‖²‖v‖²‖u − v‖² / (4‖u × v‖²) for triangles (‖u × v‖² =
    ‖u‖²‖v‖² − (u·v)²), and ‖‖u‖²(v×w) + ‖v‖²(w×u) + ‖w‖²(u×v)‖² / (4 (u·(v×w))²) for
    tetrahedra. Where a denominator underflows to 0, or the derivative would overflow, ``valid`` is
    False and the entry is 0 with a finite (zero) derivative, never NaN.
    """
    p = points.index_select(0, simplices[:, 0])
    u = points.index_select(0, simplices[:, 1]) - p
    uu = _dot(u, u)
    if simplices.shape[1] == 2:
        return uu / 4, _torch.ones_like(uu, dtype=_torch.bool)
    v = points.index_select(0, simplices[:, 2]) - p
    vv = _dot(v, v)
    if simplices.shape[1] == 3:
        n = _cross(u, v)
        uv = u - v
        numerator = uu * vv * _dot(uv, uv)
        denominator = 4 * _dot(n, n)
    else:
        w = points.index_select(0, simplices[:, 3]) - p
        ww = _dot(w, w)
        vw, wu, uv_ = _cross(v, w), _cross(w, u), _cross(u, v)
        num = uu.unsqueeze(-1) * vw + vv.unsqueeze(-1) * wu + ww.unsqueeze(-1) * uv_
        volume = _dot(u, vw)
        numerator = _dot(num, num)
        denominator = 4 * volume * volume
    # Double `where`: the division never sees a zero denominator, so no NaN reaches backward.
    # The derivative of numerator / denominator scales as numerator / denominator², which must
    # stay finite too: a nearly flat simplex can have a finite value and an overflowing slope.
    nonzero = denominator > 0
    safe = _torch.where(nonzero, denominator, _torch.ones_like(denominator))
    finite = numerator.isfinite()
    bounded = _torch.where(finite, numerator, _torch.zeros_like(numerator)).detach()
    slope = bounded / safe.detach() / safe.detach()
    valid = nonzero & finite & slope.isfinite()
    safe = _torch.where(valid, denominator, _torch.ones_like(denominator))
    return _torch.where(valid, numerator, _torch.zeros_like(numerator)) / safe, valid


def safe_sqrt(x: _torch.Tensor) -> _torch.Tensor:
    """Square root whose gradient at 0 is 0 instead of infinite."""
    positive = x > 0
    safe = _torch.where(positive, x, _torch.ones_like(x))
    return _torch.where(positive, safe.sqrt(), _torch.zeros_like(x))
