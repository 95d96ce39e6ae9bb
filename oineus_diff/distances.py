"""Distances between persistence diagrams, differentiable and not.

The sliced Wasserstein distances are torch code on the diagrams' device. The Wasserstein cost
asks the core for a (1 + delta)-optimal matching of detached copies (an auction with
epsilon-scaling) and rebuilds the cost from the matching in torch, so autograd differentiates
it with the matching held fixed. The non-differentiable distances and matchings run entirely
in the core, with the GIL released.

Every function takes single-dimension diagrams: (n, 2) tensors, numpy arrays or lists of
(birth, death) pairs. Rows with both coordinates infinite are ignored. Points with exactly one
infinite coordinate are essential and fall into four families, (finite, +inf), (finite, -inf),
(+inf, finite) and (-inf, finite); within a family, points are matched by sorted rank of the
finite coordinate.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as _np
import torch as _torch

from oineus_diff import _core
from oineus_diff import _validation as _v
from oineus_diff.persistence import PersistenceDiagrams

__all__ = [
    "BottleneckMatching",
    "DiagramMatching",
    "bottleneck_distance",
    "bottleneck_matching",
    "point_to_diagonal",
    "sliced_wasserstein_distance",
    "sliced_wasserstein_distance_diag_corrected",
    "wasserstein_cost",
    "wasserstein_distance",
    "wasserstein_matching",
]

_FAMILIES = ("inf_death", "neg_inf_death", "inf_birth", "neg_inf_birth")
_FAMILY_LABELS = ("(finite, +inf)", "(finite, -inf)", "(+inf, finite)", "(-inf, finite)")
# The finite coordinate of each family: birth for infinite deaths, death for infinite births.
_FINITE_AXIS = (0, 0, 1, 1)


# ---------------------------------------------------------------------------------------------
# input
# ---------------------------------------------------------------------------------------------


def _diagram_tensor(dgm: Any, name: str) -> _torch.Tensor:
    """Return a diagram as an (n, 2) floating tensor; lists and numpy arrays become CPU tensors."""
    if isinstance(dgm, PersistenceDiagrams):
        raise TypeError(
            f"{name} must be a single-dimension diagram, got PersistenceDiagrams "
            "(pass a single dimension, e.g. dgms[1])"
        )
    if isinstance(dgm, _torch.Tensor):
        tensor = dgm
    elif isinstance(dgm, _np.ndarray):
        if dgm.dtype == object:
            raise TypeError(f"{name} must have a numeric dtype, got numpy dtype object")
        tensor = _torch.as_tensor(dgm)
    elif isinstance(dgm, (list, tuple)):
        try:
            array = _np.asarray(dgm, dtype=_np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be a list of (birth, death) pairs of real numbers") from exc
        tensor = _torch.from_numpy(array)
    else:
        raise TypeError(
            f"{name} must be a torch.Tensor, numpy.ndarray or list of (birth, death) pairs, "
            f"got {type(dgm).__name__}"
        )
    if tensor.is_complex():
        raise TypeError(f"{name} must be real, got dtype {tensor.dtype}")
    if not tensor.is_floating_point():
        tensor = tensor.to(_torch.float64)
    if tensor.numel() == 0:
        return tensor.reshape(0, 2)
    if tensor.ndim != 2 or tensor.shape[1] != 2:
        raise ValueError(f"{name} must have shape (n, 2); got {tuple(tensor.shape)}")
    n_nan = int(_torch.isnan(tensor.detach()).sum())
    if n_nan:
        raise ValueError(f"{name} must not contain NaN; got {n_nan} NaN entries")
    return tensor


def _diagram_array(dgm: Any, name: str) -> _np.ndarray:
    """Return a diagram as a detached contiguous float64 (n, 2) numpy array."""
    tensor = _diagram_tensor(dgm, name)
    return _np.ascontiguousarray(tensor.detach().to("cpu", _torch.float64).numpy())


def _tensor_pair(dgm_a: Any, dgm_b: Any, names: tuple[str, str]) -> tuple[_torch.Tensor, _torch.Tensor]:
    """Return both diagrams on their common device, in their promoted dtype."""
    a, b = _diagram_tensor(dgm_a, names[0]), _diagram_tensor(dgm_b, names[1])
    a_is_tensor, b_is_tensor = isinstance(dgm_a, _torch.Tensor), isinstance(dgm_b, _torch.Tensor)
    if a_is_tensor and b_is_tensor and a.device != b.device:
        raise ValueError(
            f"{names[0]} and {names[1]} must be on the same device; got {a.device} and {b.device}"
        )
    device = a.device if a_is_tensor else b.device
    dtype = _torch.promote_types(a.dtype, b.dtype)
    return a.to(device=device, dtype=dtype), b.to(device=device, dtype=dtype)


def _family_masks(dgm: _torch.Tensor) -> tuple[_torch.Tensor, list[_torch.Tensor]]:
    """Return the finite rows and, per family, the rows of that family (boolean masks)."""
    values = dgm.detach()
    finite_birth, finite_death = _torch.isfinite(values[:, 0]), _torch.isfinite(values[:, 1])
    only_birth = finite_birth & ~finite_death
    only_death = ~finite_birth & finite_death
    families = [
        only_birth & (values[:, 1] > 0),
        only_birth & (values[:, 1] < 0),
        only_death & (values[:, 0] > 0),
        only_death & (values[:, 0] < 0),
    ]
    return finite_birth & finite_death, families


def _family_counts(dgm: _np.ndarray) -> list[int]:
    finite_birth, finite_death = _np.isfinite(dgm[:, 0]), _np.isfinite(dgm[:, 1])
    return [
        int((finite_birth & (dgm[:, 1] == _np.inf)).sum()),
        int((finite_birth & (dgm[:, 1] == -_np.inf)).sum()),
        int((finite_death & (dgm[:, 0] == _np.inf)).sum()),
        int((finite_death & (dgm[:, 0] == -_np.inf)).sum()),
    ]


def _first_mismatch(a: _np.ndarray, b: _np.ndarray) -> tuple[int, int, str] | None:
    for n_a, n_b, label in zip(_family_counts(a), _family_counts(b), _FAMILY_LABELS, strict=True):
        if n_a != n_b:
            return n_a, n_b, label
    return None


def _check_q_sliced(q: Any) -> float:
    if isinstance(q, (bool, _np.bool_)) or not isinstance(q, numbers.Real):
        raise ValueError(f"q must be a positive finite number; got {type(q).__name__}")
    q = float(q)
    if not (math.isfinite(q) and q > 0):
        raise ValueError(f"q must be a positive finite number; got {q}")
    return q


def _check_wasserstein_q(q: Any, name: str) -> float:
    if isinstance(q, (bool, _np.bool_)) or not isinstance(q, numbers.Real):
        raise ValueError(f"{name} must be a finite number >= 1; got {type(q).__name__}")
    q = float(q)
    if not (math.isfinite(q) and q >= 1):
        raise ValueError(f"{name} must be a finite number >= 1; got {q}")
    return q


def _check_delta(delta: Any, name: str, allow_zero: bool) -> float:
    bound = ">= 0" if allow_zero else "> 0"
    if isinstance(delta, (bool, _np.bool_)) or not isinstance(delta, numbers.Real):
        raise ValueError(f"{name} must be a finite number {bound}; got {type(delta).__name__}")
    delta = float(delta)
    if not (math.isfinite(delta) and (delta >= 0 if allow_zero else delta > 0)):
        raise ValueError(f"{name} must be a finite number {bound}; got {delta}")
    return delta


def _check_internal_p(p: Any) -> float:
    """``internal_p`` ≥ 1 or inf; −1 is an alias of inf."""
    if isinstance(p, (bool, _np.bool_)) or not isinstance(p, numbers.Real):
        raise ValueError(f"internal_p must be a number >= 1, inf or -1 (for inf); got {type(p).__name__}")
    p = float(p)
    if p == -1.0:
        return math.inf
    if math.isnan(p) or p < 1:
        raise ValueError(f"internal_p must be a number >= 1, inf or -1 (for inf); got {p}")
    return p


# ---------------------------------------------------------------------------------------------
# torch formulas
# ---------------------------------------------------------------------------------------------


def _abs_pow(x: _torch.Tensor, q: float) -> _torch.Tensor:
    """abs(x) ** q with gradient 0 (never NaN) where x == 0."""
    if q == 1.0:
        return x.abs()
    if q == 2.0:
        return x * x
    nonzero = x != 0
    safe = _torch.where(nonzero, x, _torch.ones_like(x))
    return _torch.where(nonzero, safe.abs() ** q, _torch.zeros_like(x))


def _lp_norm(dx: _torch.Tensor, dy: _torch.Tensor, p: float) -> _torch.Tensor:
    """Return the L_p norm of (dx, dy); under p = inf a tie sends the gradient to dx; 0 at 0."""
    if p == math.inf:
        return _torch.where(dx.abs() >= dy.abs(), dx.abs(), dy.abs())
    if p == 1.0:
        return dx.abs() + dy.abs()
    nonzero = (dx != 0) | (dy != 0)
    one = _torch.ones_like(dx)
    sx, sy = _torch.where(nonzero, dx, one), _torch.where(nonzero, dy, one)
    norm = (sx.abs() ** p + sy.abs() ** p) ** (1.0 / p)
    return _torch.where(nonzero, norm, _torch.zeros_like(dx))


# ---------------------------------------------------------------------------------------------
# sliced Wasserstein
# ---------------------------------------------------------------------------------------------


def _directions(
    n_directions: Any, seed: Any, directions: Any, dtype: _torch.dtype, device: _torch.device
) -> _torch.Tensor:
    """Return the (k, 2) slice directions: as given, or (cos θ, sin θ) for angles θ ∈ [0, π)."""
    if directions is not None:
        if isinstance(directions, _torch.Tensor):
            given = directions.detach().to("cpu", _torch.float64)
        else:
            try:
                given = _torch.as_tensor(_np.asarray(directions, dtype=_np.float64))
            except (TypeError, ValueError) as exc:
                raise ValueError("directions must be a (k, 2) array or tensor of real numbers") from exc
        if given.ndim != 2 or given.shape[1] != 2 or given.shape[0] < 1:
            raise ValueError(f"directions must have shape (k, 2) with k >= 1; got {tuple(given.shape)}")
        n_bad = int((~_torch.isfinite(given)).any(dim=1).sum())
        if n_bad:
            raise ValueError(f"directions must be finite; got {n_bad} rows with NaN or inf")
        n_zero = int((given == 0).all(dim=1).sum())
        if n_zero:
            raise ValueError(f"directions must have non-zero rows; got {n_zero} zero rows")
        if isinstance(directions, _torch.Tensor):
            return directions.detach().to(device=device, dtype=dtype)
        return given.to(device=device, dtype=dtype)
    if (
        isinstance(n_directions, (bool, _np.bool_))
        or not isinstance(n_directions, numbers.Integral)
        or n_directions < 1
    ):
        raise ValueError(f"n_directions must be a positive int; got {n_directions!r}")
    n = int(n_directions)
    if seed is None:
        theta = math.pi * _torch.rand(n, dtype=_torch.float64)
    elif isinstance(seed, (bool, _np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int or None; got {type(seed).__name__}")
    else:
        theta = _torch.from_numpy(math.pi * _np.random.default_rng(int(seed)).random(n))
    return _torch.stack([_torch.cos(theta), _torch.sin(theta)], dim=1).to(device=device, dtype=dtype)


def _sliced(
    dgm1: Any,
    dgm2: Any,
    n_directions: Any,
    ignore_inf_points: Any,
    seed: Any,
    directions: Any,
    q: Any,
    corrected: bool,
) -> _torch.Tensor:
    q = _check_q_sliced(q)
    ignore = _v.check_bool(ignore_inf_points, "ignore_inf_points")
    a, b = _tensor_pair(dgm1, dgm2, ("dgm1", "dgm2"))
    u = _directions(n_directions, seed, directions, a.dtype, a.device)
    finite_a, families_a = _family_masks(a)
    finite_b, families_b = _family_masks(b)
    total = _torch.zeros((), dtype=a.dtype, device=a.device)
    if not ignore:
        for mask_a, mask_b, label, axis in zip(
            families_a, families_b, _FAMILY_LABELS, _FINITE_AXIS, strict=True
        ):
            n_a, n_b = int(mask_a.sum()), int(mask_b.sum())
            if n_a != n_b:
                raise ValueError(
                    f"Essential point cardinalities must match. Got {n_a} and {n_b} points with {label}."
                )
            if n_a:
                sorted_a = _torch.sort(a[mask_a][:, axis], stable=True).values
                sorted_b = _torch.sort(b[mask_b][:, axis], stable=True).values
                total = total + _abs_pow(sorted_a - sorted_b, q).sum()
    fa, fb = a[finite_a], b[finite_b]
    n1, n2 = fa.shape[0], fb.shape[0]
    if n1 + n2 == 0:
        return total
    mid_a = (fa[:, 0] + fa[:, 1]) / 2
    mid_b = (fb[:, 0] + fb[:, 1]) / 2
    along_a, along_b = fa @ u.T, fb @ u.T  # (n, k)
    diag_a = _torch.stack([mid_a, mid_a], dim=1) @ u.T
    diag_b = _torch.stack([mid_b, mid_b], dim=1) @ u.T
    list_1 = _torch.cat([along_a, diag_b], dim=0)
    list_2 = _torch.cat([along_b, diag_a], dim=0)
    sorted_1, order_1 = _torch.sort(list_1, dim=0, stable=True)
    sorted_2, order_2 = _torch.sort(list_2, dim=0, stable=True)
    if not corrected:
        gaps = sorted_1 - sorted_2
    else:
        k = u.shape[0]
        real_1 = (_torch.arange(n1 + n2, device=a.device) < n1)[:, None].expand(-1, k).gather(0, order_1)
        real_2 = (_torch.arange(n2 + n1, device=a.device) < n2)[:, None].expand(-1, k).gather(0, order_2)
        own_1 = _torch.cat([diag_a.detach(), _torch.zeros_like(diag_b)], dim=0).gather(0, order_1)
        own_2 = _torch.cat([diag_b.detach(), _torch.zeros_like(diag_a)], dim=0).gather(0, order_2)
        zero = _torch.zeros_like(sorted_1)
        gaps = _torch.where(
            real_1 & real_2,
            sorted_1 - sorted_2,
            _torch.where(real_1, sorted_1 - own_1, _torch.where(real_2, sorted_2 - own_2, zero)),
        )
    return total + _abs_pow(gaps, q).sum(dim=0).mean()


def sliced_wasserstein_distance(
    dgm1: Any,
    dgm2: Any,
    n_directions: int = 100,
    ignore_inf_points: bool = False,
    seed: int | None = None,
    directions: Any = None,
    q: float = 1.0,
) -> _torch.Tensor:
    """Compute the sliced Wasserstein distance between two diagrams (mean of q-th powers).

    For each direction u, the finite points of each diagram are projected on u together with
    the diagonal projections Δ(p) = ((b+d)/2, (b+d)/2) of the other diagram's finite points;
    the two lists are sorted (stably) and the slice cost is Σ_k abs(sort(L1)_k − sort(L2)_k)^q.
    The result is the essential cost plus the **mean of the slice costs**, with no 1/q root
    and no normalising constant (Oineus's definition); for q = 1 it is the sliced Wasserstein
    distance of Carrière, Cuturi and Oudot. Take ``** (1 / q)`` yourself for a root.

    Parameters
    ----------
    dgm1, dgm2 : torch.Tensor, numpy.ndarray or list of (birth, death) pairs, shape (n, 2)
        Single-dimension diagrams. Rows with both coordinates infinite are ignored.
    n_directions : int, default 100
        Number of random directions; ignored when ``directions`` is given.
    ignore_inf_points : bool, default False
        Ignore essential points. Otherwise each family must have equal counts in both
        diagrams and contributes Σ over ranks of abs(a_(i) − b_(i))^q.
    seed : int or None, default None
        With an int, angles θ = π · ``numpy.random.default_rng(seed).random(n)`` (torch's
        generator is untouched); with ``None``, θ = π · ``torch.rand(n, dtype=float64)``.
    directions : array-like or torch.Tensor of shape (k, 2), optional
        Explicit directions, finite and non-zero, used as given (not normalised).
    q : float, default 1.0
        The exponent, finite and > 0.

    Returns
    -------
    torch.Tensor
        A 0-d tensor in the promoted dtype of the inputs, on their common device.

    Raises
    ------
    TypeError
        If a diagram is a ``PersistenceDiagrams`` or not array-like.
    ValueError
        For a wrong shape, NaN entries, mismatched devices, invalid ``q``, ``n_directions``
        or ``directions``, or (unless ignored) essential families of different sizes.

    See Also
    --------
    sliced_wasserstein_distance_diag_corrected : the variant that pairs a point with its own
        projection.

    Notes
    -----
    **Gradients.** Both diagrams receive gradients. Projections are not detached: a point gets
    gradient both directly and through its diagonal projection. The sorting permutation is
    held fixed, so the function is piecewise differentiable, not smooth; at ties the stable
    sort decides. Essential points receive gradient on their finite coordinate only; pairs at
    distance 0 contribute 0 (never NaN).

    References
    ----------
    Carrière, Cuturi, Oudot (2017), "Sliced Wasserstein kernel for persistence diagrams", ICML.

    Examples
    --------
    >>> import oineus_diff as od
    >>> a = [[0.0, 1.0], [0.5, 2.0], [0.3, 0.7]]
    >>> b = [[0.2, 1.2], [0.6, 2.1]]
    >>> round(float(od.sliced_wasserstein_distance(a, b, directions=[[1.0, 0.0]])), 12)
    0.6
    """
    return _sliced(dgm1, dgm2, n_directions, ignore_inf_points, seed, directions, q, corrected=False)


def sliced_wasserstein_distance_diag_corrected(
    dgm1: Any,
    dgm2: Any,
    n_directions: int = 100,
    ignore_inf_points: bool = False,
    seed: int | None = None,
    directions: Any = None,
    q: float = 1.0,
) -> _torch.Tensor:
    """Compute the sliced Wasserstein distance with the diagonal-corrected slice cost.

    As :func:`sliced_wasserstein_distance`, except for the slice cost. The two lists are
    sorted stably, remembering each entry's source; at each rank two real points p (of
    ``dgm1``) and q (of ``dgm2``) cost abs(⟨p,u⟩ − ⟨q,u⟩)^q, a real point meeting a diagonal
    slot costs abs(⟨p,u⟩ − ⟨Δ(p),u⟩)^q with its **own** projection, and two diagonal slots cost
    0.

    Parameters
    ----------
    dgm1, dgm2 : torch.Tensor, numpy.ndarray or list of (birth, death) pairs, shape (n, 2)
        Single-dimension diagrams.
    n_directions : int, default 100
        Number of random directions; ignored when ``directions`` is given.
    ignore_inf_points : bool, default False
        Ignore essential points (otherwise matched per family by rank).
    seed : int or None, default None
        Seed of the random angles, as in :func:`sliced_wasserstein_distance`.
    directions : array-like or torch.Tensor of shape (k, 2), optional
        Explicit directions, used as given.
    q : float, default 1.0
        The exponent, finite and > 0.

    Returns
    -------
    torch.Tensor
        A 0-d tensor in the promoted dtype of the inputs, on their common device.

    Raises
    ------
    TypeError
        If a diagram is a ``PersistenceDiagrams`` or not array-like.
    ValueError
        As :func:`sliced_wasserstein_distance`.

    Notes
    -----
    **Gradients.** Projections are detached here, so gradients reach only the real points'
    own coordinates. The sorting permutation is held fixed (piecewise differentiable); zero
    gaps contribute 0, never NaN; essential points receive gradient on their finite coordinate.

    Examples
    --------
    >>> import oineus_diff as od
    >>> float(od.sliced_wasserstein_distance_diag_corrected([[0.0, 2.0]], [[0.0, 3.0]], directions=[[0, 1]]))
    1.0
    """
    return _sliced(dgm1, dgm2, n_directions, ignore_inf_points, seed, directions, q, corrected=True)


# ---------------------------------------------------------------------------------------------
# Wasserstein cost (differentiable)
# ---------------------------------------------------------------------------------------------


def wasserstein_cost(
    dgm_a: Any,
    dgm_b: Any,
    wasserstein_q: float = 1.0,
    wasserstein_delta: float = 0.05,
    ignore_inf_points: bool = True,
    internal_p: float = math.inf,
) -> _torch.Tensor:
    """Compute the q-th power of the Wasserstein distance, differentiably.

    The cost is Σ over matched pairs of dist^q, where dist is the L_p ground distance with
    p = ``internal_p``; a point matched to the diagonal costs dist(p, Δ)^q with the closed form
    dist(p, Δ) = abs(d − b) / 2 · 2^(1/p). The matching is computed once, natively and without
    gradient, by an auction with epsilon-scaling (Bertsekas; as in Hera) that stops when the
    duality gap certifies that cost^(1/q) is within a factor (1 + delta) of optimal; the
    auction is deterministic. The W_q distance is ``cost ** (1 / q)``.

    Parameters
    ----------
    dgm_a, dgm_b : torch.Tensor, numpy.ndarray or list of (birth, death) pairs, shape (n, 2)
        Single-dimension diagrams.
    wasserstein_q : float, default 1.0
        The exponent q ≥ 1.
    wasserstein_delta : float, default 0.05
        The relative error of the matching, > 0.
    ignore_inf_points : bool, default True
        Ignore essential points; otherwise each family must have equal counts in both
        diagrams, and its points are matched by sorted rank at cost abs(a_fin − b_fin)^q.
    internal_p : float, default inf
        The ground norm's exponent p ≥ 1, or inf (−1 is an alias of inf).

    Returns
    -------
    torch.Tensor
        A 0-d tensor in the promoted dtype of the inputs, on their common device.

    Raises
    ------
    TypeError
        If a diagram is a ``PersistenceDiagrams`` or not array-like.
    ValueError
        For a wrong shape, NaN entries, mismatched devices, q < 1, delta ≤ 0, p < 1, or
        (with ``ignore_inf_points=False``) essential families of different sizes.

    Notes
    -----
    **Gradients.** Both diagrams receive gradients; the matching is held fixed, so the
    function is piecewise differentiable and the gradient jumps when the optimal matching
    changes. A finite pair receives the derivative of dist^q; under p = inf with
    abs(Δb) = abs(Δd) all of it goes to the birth coordinate. A pair at distance exactly 0
    contributes 0, never NaN. A point matched to the diagonal receives the exact derivative of
    the closed form for every p, e.g. (1, 2) with q = 1, p = inf gets (−½, ½). Essential pairs
    send gradient to their finite coordinates only; infinite coordinates receive exactly 0.

    References
    ----------
    Kerber, Morozov, Nigmetov (2017), "Geometry helps to compare persistence diagrams", ACM
    Journal of Experimental Algorithmics 22. doi:10.1145/3064175.

    Examples
    --------
    >>> import torch, oineus_diff as od
    >>> a = torch.tensor([[1.0, 2.0]], dtype=torch.float64, requires_grad=True)
    >>> cost = od.wasserstein_cost(a, [], wasserstein_q=2.0, internal_p=2.0)
    >>> cost.backward()
    >>> cost.item(), a.grad.tolist()
    (0.5, [[-1.0, 1.0]])
    """
    q = _check_wasserstein_q(wasserstein_q, "wasserstein_q")
    delta = _check_delta(wasserstein_delta, "wasserstein_delta", allow_zero=False)
    p = _check_internal_p(internal_p)
    ignore = _v.check_bool(ignore_inf_points, "ignore_inf_points")
    a, b = _tensor_pair(dgm_a, dgm_b, ("dgm_a", "dgm_b"))
    a_np = _np.ascontiguousarray(a.detach().to("cpu", _torch.float64).numpy())
    b_np = _np.ascontiguousarray(b.detach().to("cpu", _torch.float64).numpy())
    if not ignore:
        mismatch = _first_mismatch(a_np, b_np)
        if mismatch is not None:
            raise ValueError(
                "essential point cardinalities must match between the two diagrams in every family; "
                f"got {mismatch[0]} and {mismatch[1]} points with {mismatch[2]}"
            )
    (pairs, a_diagonal, b_diagonal, essential), _ = _core.wasserstein_matching(
        a_np, b_np, q, delta, p, not ignore
    )
    device = a.device
    total = _torch.zeros((), dtype=a.dtype, device=device)
    if len(pairs):
        idx = _torch.as_tensor(pairs, device=device)
        gap = a[idx[:, 0]] - b[idx[:, 1]]
        total = total + _abs_pow(_lp_norm(gap[:, 0], gap[:, 1], p), q).sum()
    # dist(p, Δ)^q = (abs(d − b) / 2)^q · 2^(q/p), exact derivative for every p.
    factor = 1.0 if p == math.inf else 2.0 ** (q / p)
    for dgm, rows in ((a, a_diagonal), (b, b_diagonal)):
        if len(rows):
            points = dgm[_torch.as_tensor(rows, device=device)]
            total = total + (_abs_pow((points[:, 1] - points[:, 0]) / 2, q) * factor).sum()
    for family_pairs, axis in zip(essential, _FINITE_AXIS, strict=True):
        if len(family_pairs):
            idx = _torch.as_tensor(family_pairs, device=device)
            total = total + _abs_pow(a[idx[:, 0], axis] - b[idx[:, 1], axis], q).sum()
    return total


# ---------------------------------------------------------------------------------------------
# non-differentiable distances and matchings
# ---------------------------------------------------------------------------------------------


class EssentialMatches:
    """Per essential family, the (k, 2) int64 array of matched (index_a, index_b) rows.

    The attributes ``inf_death``, ``neg_inf_death``, ``inf_birth`` and ``neg_inf_birth`` are
    also reachable by indexing with their names.
    """

    __slots__ = _FAMILIES

    def __init__(self, arrays: list[_np.ndarray]) -> None:
        for name, array in zip(_FAMILIES, arrays, strict=True):
            setattr(self, name, array)

    def __getitem__(self, family: str) -> Any:
        if family not in _FAMILIES:
            raise KeyError(f"unknown essential family {family!r}; expected one of {list(_FAMILIES)}")
        return getattr(self, family)

    def __iter__(self) -> Iterator[str]:
        return iter(_FAMILIES)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={len(self[name])}" for name in _FAMILIES)
        return f"EssentialMatches({sizes})"


@dataclass(frozen=True, eq=False)
class DiagramMatching:
    """A matching between two diagrams, with its cost; indices refer to input rows.

    Attributes
    ----------
    finite_to_finite : numpy.ndarray of int64, shape (k, 2)
        Matched (index_a, index_b) pairs of finite points, ascending in index_a.
    a_to_diagonal, b_to_diagonal : numpy.ndarray of int64, shape (m,)
        Finite points matched to the diagonal.
    essential : EssentialMatches
        Per family, the (k, 2) array of matched essential rows (empty when ignored).
    cost : float
        Σ over matched pairs of (ground distance)^q.
    distance : float
        ``cost ** (1 / q)``.
    """

    finite_to_finite: _np.ndarray
    a_to_diagonal: _np.ndarray
    b_to_diagonal: _np.ndarray
    essential: EssentialMatches
    cost: float
    distance: float


class FiniteLongestEdge(NamedTuple):
    """A finite edge of a bottleneck matching whose length equals the distance."""

    length: float
    idx_a: int | None
    idx_b: int | None
    point_a: tuple[float, float]
    point_b: tuple[float, float]


class EssentialLongestEdge(NamedTuple):
    """An essential edge of a bottleneck matching whose length equals the distance."""

    idx_a: int
    idx_b: int
    coord_a: float
    coord_b: float
    length: float


@dataclass(frozen=True, eq=False)
class EssentialLongestEdges:
    """Per essential family, the longest edges (lists of :class:`EssentialLongestEdge`)."""

    inf_death: list[EssentialLongestEdge]
    neg_inf_death: list[EssentialLongestEdge]
    inf_birth: list[EssentialLongestEdge]
    neg_inf_birth: list[EssentialLongestEdge]

    def __getitem__(self, family: str) -> list[EssentialLongestEdge]:
        if family not in _FAMILIES:
            raise KeyError(f"unknown essential family {family!r}; expected one of {list(_FAMILIES)}")
        edges: list[EssentialLongestEdge] = getattr(self, family)
        return edges


@dataclass(frozen=True, eq=False)
class LongestEdges:
    """The edges of a bottleneck matching that attain its length (all ties)."""

    finite: list[FiniteLongestEdge]
    essential: EssentialLongestEdges


@dataclass(frozen=True, eq=False)
class BottleneckMatching(DiagramMatching):
    """A bottleneck matching: a :class:`DiagramMatching` with its longest edges.

    ``cost`` and ``distance`` are both the bottleneck distance (the longest edge length).

    Attributes
    ----------
    longest : LongestEdges
        ``longest.finite`` lists every finite edge attaining the distance as
        ``(length, idx_a, idx_b, point_a, point_b)``, with ``None`` as the index of a diagonal
        side and the projection as its point; ``longest.essential.<family>`` lists
        ``(idx_a, idx_b, coord_a, coord_b, length)``.
    """

    longest: LongestEdges = field(default=None)  # type: ignore[assignment]


def _check_matching_families(a: _np.ndarray, b: _np.ndarray) -> None:
    mismatch = _first_mismatch(a, b)
    if mismatch is not None:
        raise ValueError(
            "essential point cardinalities must match between the two diagrams in every family; "
            f"got {mismatch[0]} and {mismatch[1]} points with {mismatch[2]} "
            "(pass ignore_inf_points=True to drop essential points)"
        )


def _diagrams_equal(a: _np.ndarray, b: _np.ndarray) -> bool:
    """Equal after a lexicographic sort: finite values within machine epsilon, infinities equal."""
    a = a[~_np.isinf(a).all(axis=1)]
    b = b[~_np.isinf(b).all(axis=1)]
    if a.shape != b.shape:
        return False
    a = a[_np.lexsort((a[:, 1], a[:, 0]))]
    b = b[_np.lexsort((b[:, 1], b[:, 0]))]
    finite = _np.isfinite(a) & _np.isfinite(b)
    if not _np.array_equal(a[~finite], b[~finite]):
        return False
    x, y = a[finite], b[finite]
    scale = _np.maximum(1.0, _np.maximum(_np.abs(x), _np.abs(y)))
    return bool((_np.abs(x - y) <= _np.finfo(_np.float64).eps * scale).all())


def wasserstein_distance(
    dgm_1: Any,
    dgm_2: Any,
    q: float = 1.0,
    delta: float = 0.01,
    internal_p: float = math.inf,
    wasserstein_q: float | None = None,
    check_for_zero: bool = True,
) -> float:
    """Compute the q-Wasserstein distance between two diagrams, within a factor 1 + delta.

    The distance is (Σ over matched pairs of dist^q)^(1/q) for the optimal matching on the
    diagrams completed with diagonal projections, dist being the L_p ground distance. The
    matching comes from a deterministic auction with epsilon-scaling that stops when the
    duality gap certifies W* ≤ W ≤ (1 + delta) · W*. Essential points are always included and
    matched per family by sorted rank.

    Parameters
    ----------
    dgm_1, dgm_2 : torch.Tensor, numpy.ndarray or list of (birth, death) pairs, shape (n, 2)
        Single-dimension diagrams; tensors are detached.
    q : float, default 1.0
        The exponent q ≥ 1.
    delta : float, default 0.01
        The relative error, > 0.
    internal_p : float, default inf
        The ground norm's exponent p ≥ 1, or inf (−1 is an alias of inf).
    wasserstein_q : float, optional
        Overrides ``q`` when given.
    check_for_zero : bool, default True
        Return exactly 0.0 for equal diagrams (after a lexicographic sort; finite values
        within machine epsilon, infinities of the same sign).

    Returns
    -------
    float
        The distance; ``inf`` when an essential family has different sizes.

    Raises
    ------
    TypeError
        If a diagram is a ``PersistenceDiagrams`` or not array-like.
    ValueError
        For a wrong shape, NaN entries, q < 1, delta ≤ 0 or p < 1.

    Examples
    --------
    >>> import oineus_diff as od
    >>> a = [[0.0, 1.0], [0.5, 2.0], [0.3, 0.7]]
    >>> b = [[0.2, 1.2], [0.6, 2.1]]
    >>> 0.5 <= od.wasserstein_distance(a, b, q=1) <= 0.505
    True
    """
    q = _check_wasserstein_q(q if wasserstein_q is None else wasserstein_q, "q")
    delta = _check_delta(delta, "delta", allow_zero=False)
    p = _check_internal_p(internal_p)
    check_for_zero = _v.check_bool(check_for_zero, "check_for_zero")
    a, b = _diagram_array(dgm_1, "dgm_1"), _diagram_array(dgm_2, "dgm_2")
    if check_for_zero and _diagrams_equal(a, b):
        return 0.0
    if _first_mismatch(a, b) is not None:
        return math.inf
    _, cost = _core.wasserstein_matching(a, b, q, delta, p, True)
    return float(cost ** (1.0 / q))


def bottleneck_distance(dgm_1: Any, dgm_2: Any, delta: float = 0.01) -> float:
    """Compute the bottleneck distance between two diagrams, exactly or within 1 + delta.

    The bottleneck distance is the smallest r such that the diagrams, completed with diagonal
    projections, have a perfect matching whose edges all have L∞ length ≤ r. It is found by
    testing radii with Hopcroft-Karp on threshold graphs (k-d tree neighbours), with a
    geometric search and, for ``delta=0``, a binary search over the candidate edge lengths.

    Parameters
    ----------
    dgm_1, dgm_2 : torch.Tensor, numpy.ndarray or list of (birth, death) pairs, shape (n, 2)
        Single-dimension diagrams; tensors are detached.
    delta : float, default 0.01
        ``0`` gives the exact distance; ``delta > 0`` a value W with W* ≤ W ≤ (1 + delta) W*.

    Returns
    -------
    float
        The distance; essential points are matched per family by rank, and ``inf`` is
        returned when a family has different sizes.

    Raises
    ------
    TypeError
        If a diagram is a ``PersistenceDiagrams`` or not array-like.
    ValueError
        For a wrong shape, NaN entries, or a negative ``delta``.

    Examples
    --------
    >>> import oineus_diff as od
    >>> od.bottleneck_distance([[0.0, 1.0], [0.5, 2.0], [0.3, 0.7]], [[0.2, 1.2], [0.6, 2.1]], delta=0)
    0.2
    """
    delta = _check_delta(delta, "delta", allow_zero=True)
    a, b = _diagram_array(dgm_1, "dgm_1"), _diagram_array(dgm_2, "dgm_2")
    if _first_mismatch(a, b) is not None:
        return math.inf
    _, distance, _ = _core.bottleneck_matching(a, b, delta, True)
    return float(distance)


def wasserstein_matching(
    dgm_1: Any,
    dgm_2: Any,
    *,
    q: float = 2.0,
    delta: float = 0.01,
    internal_p: float = math.inf,
    ignore_inf_points: bool = True,
) -> DiagramMatching:
    """Compute a (1 + delta)-optimal q-Wasserstein matching between two diagrams.

    The matching is the one :func:`wasserstein_distance` measures: an auction on the
    diagrams completed with diagonal projections, plus (unless ignored) the essential points
    matched per family by sorted rank. Note the default ``q = 2``.

    Parameters
    ----------
    dgm_1, dgm_2 : torch.Tensor, numpy.ndarray or list of (birth, death) pairs, shape (n, 2)
        Single-dimension diagrams; tensors are detached.
    q : float, default 2.0
        The exponent q ≥ 1.
    delta : float, default 0.01
        The relative error, > 0.
    internal_p : float, default inf
        The ground norm's exponent p ≥ 1, or inf (−1 is an alias of inf).
    ignore_inf_points : bool, default True
        Drop essential points; otherwise every family must have equal sizes.

    Returns
    -------
    DiagramMatching
        Indices refer to input rows; ``cost`` = Σ edge^q and ``distance`` = cost^(1/q).

    Raises
    ------
    TypeError
        If a diagram is a ``PersistenceDiagrams`` or not array-like.
    ValueError
        For a wrong shape, NaN entries, q < 1, delta ≤ 0, p < 1, or (with
        ``ignore_inf_points=False``) essential families of different sizes.

    Examples
    --------
    >>> import oineus_diff as od
    >>> m = od.wasserstein_matching([[0.0, 1.0], [0.5, 2.0], [0.3, 0.7]], [[0.2, 1.2], [0.6, 2.1]])
    >>> m.finite_to_finite.tolist(), m.a_to_diagonal.tolist(), round(m.distance, 12)
    ([[0, 0], [1, 1]], [2], 0.3)
    """
    q = _check_wasserstein_q(q, "q")
    delta = _check_delta(delta, "delta", allow_zero=False)
    p = _check_internal_p(internal_p)
    ignore = _v.check_bool(ignore_inf_points, "ignore_inf_points")
    a, b = _diagram_array(dgm_1, "dgm_1"), _diagram_array(dgm_2, "dgm_2")
    if not ignore:
        _check_matching_families(a, b)
    (pairs, a_diagonal, b_diagonal, essential), cost = _core.wasserstein_matching(
        a, b, q, delta, p, not ignore
    )
    return DiagramMatching(
        finite_to_finite=pairs,
        a_to_diagonal=a_diagonal,
        b_to_diagonal=b_diagonal,
        essential=EssentialMatches(essential),
        cost=float(cost),
        distance=float(cost ** (1.0 / q)),
    )


def bottleneck_matching(
    dgm_1: Any, dgm_2: Any, *, delta: float = 0.01, ignore_inf_points: bool = True
) -> BottleneckMatching:
    """Compute a bottleneck matching between two diagrams, exact when ``delta=0``.

    Edge lengths are L∞ distances between the two endpoints, the projection
    ((b+d)/2, (b+d)/2) standing for a diagonal side.

    Parameters
    ----------
    dgm_1, dgm_2 : torch.Tensor, numpy.ndarray or list of (birth, death) pairs, shape (n, 2)
        Single-dimension diagrams; tensors are detached.
    delta : float, default 0.01
        ``0`` for the exact matching, otherwise its length is within a factor 1 + delta.
    ignore_inf_points : bool, default True
        Drop essential points; otherwise every family must have equal sizes.

    Returns
    -------
    BottleneckMatching
        The matching, its distance and every edge attaining it.

    Raises
    ------
    TypeError
        If a diagram is a ``PersistenceDiagrams`` or not array-like.
    ValueError
        For a wrong shape, NaN entries, a negative ``delta``, or (with
        ``ignore_inf_points=False``) essential families of different sizes.

    Examples
    --------
    >>> import oineus_diff as od
    >>> m = od.bottleneck_matching([[0.0, 1.0], [0.3, 0.7]], [[0.2, 1.2]], delta=0)
    >>> m.distance, [(e.idx_a, e.idx_b) for e in m.longest.finite]
    (0.2, [(0, 0), (1, None)])
    """
    delta = _check_delta(delta, "delta", allow_zero=True)
    ignore = _v.check_bool(ignore_inf_points, "ignore_inf_points")
    a, b = _diagram_array(dgm_1, "dgm_1"), _diagram_array(dgm_2, "dgm_2")
    if not ignore:
        _check_matching_families(a, b)
    (pairs, a_diagonal, b_diagonal, essential), distance, longest = _core.bottleneck_matching(
        a, b, delta, not ignore
    )
    longest_idx, longest_points, longest_lengths, longest_essential = longest

    def side(i: int) -> int | None:
        return None if i < 0 else int(i)

    finite = [
        FiniteLongestEdge(
            float(length),
            side(idx[0]),
            side(idx[1]),
            (float(pts[0]), float(pts[1])),
            (float(pts[2]), float(pts[3])),
        )
        for idx, pts, length in zip(longest_idx, longest_points, longest_lengths, strict=True)
    ]
    per_family = []
    for rows, axis in zip(longest_essential, _FINITE_AXIS, strict=True):
        per_family.append(
            [
                EssentialLongestEdge(
                    int(i), int(j), float(a[i, axis]), float(b[j, axis]), abs(float(a[i, axis] - b[j, axis]))
                )
                for i, j in rows
            ]
        )
    return BottleneckMatching(
        finite_to_finite=pairs,
        a_to_diagonal=a_diagonal,
        b_to_diagonal=b_diagonal,
        essential=EssentialMatches(essential),
        cost=float(distance),
        distance=float(distance),
        longest=LongestEdges(finite=finite, essential=EssentialLongestEdges(*per_family)),
    )


def point_to_diagonal(dgm: Any) -> _np.ndarray:
    """Return the diagonal projection ((b+d)/2, (b+d)/2) of every row of a diagram.

    Parameters
    ----------
    dgm : torch.Tensor, numpy.ndarray or list of (birth, death) pairs, shape (n, 2)
        A single-dimension diagram; tensors are detached.

    Returns
    -------
    numpy.ndarray of float64, shape (n, 2)
        One row per input row.

    Raises
    ------
    TypeError
        If ``dgm`` is a ``PersistenceDiagrams`` or not array-like.
    ValueError
        For a wrong shape or NaN entries.

    Examples
    --------
    >>> import oineus_diff as od
    >>> od.point_to_diagonal([[0.0, 1.0], [1.0, 3.0]]).tolist()
    [[0.5, 0.5], [2.0, 2.0]]
    """
    array = _diagram_array(dgm, "dgm")
    mid = (array[:, 0] + array[:, 1]) / 2
    return _np.stack([mid, mid], axis=1)
