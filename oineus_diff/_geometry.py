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
