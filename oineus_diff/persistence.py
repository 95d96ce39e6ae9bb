"""Persistence diagrams as differentiable tensors.

``persistence_diagram`` asks the core for the persistence pairing (sids of births and deaths)
and returns ``values[index_pairs]``: the diagram is a gather from the filtration's values, so
autograd differentiates it with the pairing held fixed (``"dgm-loss"``). For ``"crit-sets"`` the
gather is wrapped in a custom autograd function, ``_CritSetsDiagram``, whose backward is not a
gather: it turns the upstream gradient into targets and returns, on the cells of their critical
sets, the displacement to the resolved targets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as _np
import torch as _torch
from torch.autograd.function import once_differentiable as _once_differentiable

from oineus_diff import _core
from oineus_diff import _validation as _v
from oineus_diff.filtrations import DiffFiltration
from oineus_diff.optimizer import ConflictStrategy

__all__ = ["PersistenceDiagrams", "persistence_diagram"]

_GRADIENT_METHODS = ("dgm-loss", "crit-sets")


class PersistenceDiagrams(Mapping[int, _torch.Tensor]):
    """A read-only mapping from homology dimension to an (n, 2) diagram tensor.

    Dimensions are 0 … ``fil.max_dim − 1``, ascending. Rows are ordered by birth sid; an
    essential row has death ``+inf`` (``-inf`` under ``negate``) and death index −1.

    Attributes
    ----------
    dualize : bool
        Whether cohomology was reduced.
    gradient_method : str
        ``"dgm-loss"`` or ``"crit-sets"``.
    include_inf_points : bool
        Whether essential points are included.
    filtration : DiffFiltration
        The filtration the diagrams were computed from.
    differentiable : bool
        ``True`` for results of :func:`persistence_diagram`.
    """

    __slots__ = (
        "_tensors",
        "_index_pairs",
        "_dualize",
        "_gradient_method",
        "_include_inf_points",
        "_filtration",
        "_differentiable",
    )

    def __init__(
        self,
        tensors: list[_torch.Tensor],
        index_pairs: list[_np.ndarray] | Callable[[], list[_np.ndarray]],
        *,
        dualize: bool,
        gradient_method: str,
        include_inf_points: bool,
        filtration: DiffFiltration,
        differentiable: bool,
    ) -> None:
        self._tensors = tensors
        self._index_pairs = index_pairs
        self._dualize = dualize
        self._gradient_method = gradient_method
        self._include_inf_points = include_inf_points
        self._filtration = filtration
        self._differentiable = differentiable

    @property
    def dualize(self) -> bool:
        """Whether cohomology was reduced."""
        return self._dualize

    @property
    def gradient_method(self) -> str:
        """The gradient method the diagrams were computed for."""
        return self._gradient_method

    @property
    def include_inf_points(self) -> bool:
        """Whether essential points are included."""
        return self._include_inf_points

    @property
    def filtration(self) -> DiffFiltration:
        """The filtration the diagrams were computed from."""
        return self._filtration

    @property
    def differentiable(self) -> bool:
        """``True`` for results of :func:`persistence_diagram`."""
        return self._differentiable

    def _check_dim(self, dim: Any) -> int:
        if (
            isinstance(dim, (int, _np.integer))
            and not isinstance(dim, bool)
            and 0 <= dim < len(self._tensors)
        ):
            return int(dim)
        raise KeyError(f"No diagram for dimension {dim}. Available: {list(range(len(self._tensors)))}")

    def __getitem__(self, dim: int) -> _torch.Tensor:
        return self._tensors[self._check_dim(dim)]

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self._tensors)))

    def __len__(self) -> int:
        return len(self._tensors)

    @property
    def max_dim(self) -> int:
        """The largest dimension present; −1 for an empty container."""
        return len(self._tensors) - 1

    def in_dimension(self, dim: int, as_numpy: bool = False) -> Any:
        """Return the diagram of ``dim``; with ``as_numpy`` a detached CPU numpy copy."""
        tensor = self[dim]
        return tensor.detach().cpu().numpy().copy() if as_numpy else tensor

    def index_pairs(self, dim: int) -> _np.ndarray:
        """Return the int64 (n, 2) array of [birth sid, death sid] rows of ``dim``.

        The rows are in the same order as ``self[dim]``; essential rows have death index −1.
        """
        dim = self._check_dim(dim)
        if callable(self._index_pairs):
            self._index_pairs = self._index_pairs()
        return self._index_pairs[dim].copy()

    index_diagram_in_dimension = index_pairs

    def __repr__(self) -> str:
        sizes = ", ".join(f"{d}: {len(t)}" for d, t in enumerate(self._tensors))
        return f"PersistenceDiagrams({{{sizes}}}, gradient_method={self.gradient_method!r})"


def _check_dims_to_backprop(dims: Any, max_dim: int | None) -> list[int] | None:
    """Check the types (and, given ``max_dim``, the range) of ``dims_to_backprop``; return a list."""
    if dims is None:
        return None
    if not isinstance(dims, Iterable):
        raise TypeError(f"dims_to_backprop must be None or an iterable of ints; got {type(dims).__name__}")
    dims = list(dims)
    for d in dims:
        d = _v.check_int(d, "dims_to_backprop")
        if max_dim is None:
            continue
        if not 0 <= d <= max_dim:
            raise ValueError(f"dims_to_backprop entries must lie in 0 … {max_dim}; got {d}")
    return dims


def persistence_diagram(
    fil: DiffFiltration,
    dualize: bool | None = None,
    include_inf_points: bool = False,
    gradient_method: str = "dgm-loss",
    step_size: float = 1.0,
    conflict_strategy: str | ConflictStrategy = "avg",
    n_threads: int | None = None,
    *,
    dims_to_backprop: Iterable[int] | None = None,
) -> PersistenceDiagrams:
    """Compute the persistence diagrams of a filtration as differentiable tensors.

    The boundary matrix (or its anti-transpose, for cohomology) is reduced over Z/2; each
    negative cell τ pairs with the positive cell σ = low(R_τ), giving the point (f(σ), f(τ)) in
    dimension dim(σ). Dimensions 0 … ``fil.max_dim − 1`` are returned; the top dimension is not
    (its classes are artefacts of truncating the complex). Pairs with equal birth and death
    values are dropped.

    Parameters
    ----------
    fil : DiffFiltration
        The filtration, from a builder.
    dualize : bool or None, default None
        Reduce cohomology (``True``) or homology (``False``). ``None`` means ``True`` for
        ``kind == "vr"`` and ``False`` otherwise. It affects speed only.
    include_inf_points : bool, default False
        Add essential points, with death ``+inf`` (``-inf`` under ``negate``) and death index −1.
    gradient_method : {"dgm-loss", "crit-sets"}, default "dgm-loss"
        Case-insensitive. See Notes.
    step_size : float, default 1.0
        For ``"crit-sets"``: targets lie at ``value - step_size * gradient``; validated for both
        methods (finite and > 0).
    conflict_strategy : str or ConflictStrategy, default "avg"
        For ``"crit-sets"``: how several targets for one cell combine (``"avg"``, ``"max"``,
        ``"sum"``, ``"fca"``); validated for both methods.
    n_threads : int or None, default None
        Worker threads for the reduction and the crit-sets backward (``None`` means 1); results
        do not depend on it.
    dims_to_backprop : iterable of int or None, default None
        A hint naming the dimensions whose gradients may be needed; never changes results.

    Returns
    -------
    PersistenceDiagrams
        Tensor ``dgms[d]`` of shape (n_d, 2), with the dtype and device of ``fil.values``; rows
        ordered by birth sid.

    Raises
    ------
    TypeError
        If ``fil`` is not a ``DiffFiltration`` or a parameter has the wrong type.
    ValueError
        For an unknown ``gradient_method`` or ``conflict_strategy``, an invalid ``step_size``,
        ``n_threads`` or ``dims_to_backprop``; from ``backward()`` with ``"crit-sets"`` when a
        target is not finite.

    Notes
    -----
    **Gradients.** With ``"dgm-loss"`` the diagram is ``values[index_pairs]``, a gather, so the
    gradient on ``values`` is the scatter of the upstream gradient onto the birth and death
    cells: the exact derivative with the pairing held fixed. Essential rows' death entries are
    constants and their upstream gradient is dropped. The map is piecewise differentiable, not
    smooth: the pairing changes where values cross, and at exact ties the filtration order
    (emission index) decides. Double backward works (``create_graph=True``).

    With ``"crit-sets"`` (Nigmetov and Morozov) each diagram point with upstream gradient
    (g_b, g_d) asks its birth to move to ``b - step_size * g_b`` and its death to
    ``d - step_size * g_d``; each move yields a critical set, every cell of which gets that
    target; conflicts within a dimension are resolved by ``conflict_strategy``, and the gradient
    on ``values`` is ``value - target`` on every touched cell (summed per contribution for
    ``"sum"``), zero elsewhere. It is a displacement, not divided by ``step_size``. Essential rows
    have no death move. The backward is once-differentiable.

    **Vietoris-Rips without the complex.** A Vietoris-Rips filtration builds its cells only when
    something needs them (``fil.values``, cells, critical sets). Until then, dgm-loss diagrams
    (``dualize`` not ``False``) are computed without the complex, and each point is formed from
    the input through its two critical edges: the numbers and the gradient reaching the input
    are those of the gather above, but the graph does not pass through ``fil.values``. Read
    ``fil.values`` before calling this function to differentiate with respect to the values.
    ``index_pairs`` then builds the complex on its first call.

    **Grids.** A Freudenthal or cubical filtration forms ``fil.values`` (one entry per cell) on
    first use. Until then, diagrams gather their points from the data directly,
    ``data.flatten()[critical index]``: the same numbers and the same gradient reaching the
    data, with a backward that touches only the diagram's entries. Here too, read
    ``fil.values`` first to differentiate with respect to the values. A 2-D cubical filtration
    of a tensor builds its cells only when something needs them: its dgm-loss diagrams come
    from union-finds over the grid, which report each point's two data entries, and
    ``index_pairs`` builds the cells on its first call.

    References
    ----------
    Edelsbrunner, H., Letscher, D., Zomorodian, A. (2002). Topological persistence and
    simplification. Discrete Comput. Geom. 28, 511-533. doi:10.1007/s00454-002-2885-2

    Nigmetov, A., Morozov, D. (2024). Topological optimization with big steps. Discrete Comput.
    Geom. 72, 310-344. doi:10.1007/s00454-023-00613-x

    Examples
    --------
    >>> import torch, oineus_diff as od
    >>> pts = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
    ...                    dtype=torch.float64, requires_grad=True)
    >>> dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=2))
    >>> dgms[1]
    tensor([[1.0000, 1.4142]], dtype=torch.float64, grad_fn=<WhereBackward0>)
    >>> (dgms[1][:, 1] - dgms[1][:, 0]).sum().backward()
    >>> pts.grad[0]
    tensor([-0.7071, -0.7071], dtype=torch.float64)
    """
    if not isinstance(fil, DiffFiltration):
        raise TypeError(f"fil must be a DiffFiltration, got {type(fil).__name__}")
    if dualize is not None:
        dualize = _v.check_bool(dualize, "dualize")
    include_inf_points = _v.check_bool(include_inf_points, "include_inf_points")
    gradient_method = _v.check_choice(gradient_method, "gradient_method", _GRADIENT_METHODS)
    _v.check_positive_finite(step_size, "step_size")
    strategy = ConflictStrategy._parse(conflict_strategy, "conflict_strategy")
    n_threads = _v.check_n_threads(n_threads)
    if dualize is None:
        dualize = fil.kind == "vr"
    # A Vietoris-Rips filtration whose complex is not built yet gets its dgm-loss diagrams
    # without it, and learns its max_dim from them (dims_to_backprop is checked below).
    implicit = fil._vr_source is not None and not fil._is_built and dualize and gradient_method == "dgm-loss"
    dims_to_backprop = _check_dims_to_backprop(dims_to_backprop, None if implicit else fil.max_dim)
    index_pairs: list[_np.ndarray] | Callable[[], list[_np.ndarray]]
    implicit_tensors = _implicit_vr_diagrams(fil, include_inf_points) if implicit else None
    cube = fil._lazy_cube
    if cube is not None and gradient_method == "dgm-loss":
        # A 2-D cubical grid not yet built: the core finds the pairs by two union-finds over the
        # grid and reports each point's birth and death data entries (the pairs are the same on
        # either side, so dualize does not matter).
        implicit_tensors = _gather_sources(fil, cube.diagrams(include_inf_points, n_threads))
    if gradient_method == "crit-sets":
        handle = _core.TopologyOptimizer(fil._handle, dualize, fil.dtype == _torch.float32)
        index_pairs = handle.index_diagrams(include_inf_points, n_threads)
        state = _CritSetsState(handle, fil, float(step_size), strategy.value, n_threads)
        tensors = [
            _CritSetsDiagram.apply(fil.values, _torch.from_numpy(pairs).to(fil.device), state, dim)
            for dim, pairs in enumerate(index_pairs)
        ]
    elif implicit_tensors is not None:
        # Vietoris-Rips without its complex (the core reduces cohomology implicitly and reports
        # each point's critical edges), or a 2-D cubical grid without its cells: the sids are
        # found only if index_pairs is asked for.
        tensors = implicit_tensors
        dualize_now = dualize

        def index_pairs() -> list[_np.ndarray]:
            return _core.index_diagrams(fil._handle, dualize_now, include_inf_points, n_threads)

    else:
        index_pairs = _core.index_diagrams(fil._handle, dualize, include_inf_points, n_threads)
        tensors = _gather_diagrams(fil, index_pairs)
    # The filtration's max_dim is its number of diagram dimensions, known now without building
    # a lazy Vietoris-Rips complex.
    _check_dims_to_backprop(dims_to_backprop, len(tensors))
    return PersistenceDiagrams(
        tensors,
        index_pairs,
        dualize=dualize,
        gradient_method=gradient_method,
        include_inf_points=include_inf_points,
        filtration=fil,
        differentiable=True,
    )


def _implicit_vr_diagrams(fil: DiffFiltration, include_inf_points: bool) -> list[_torch.Tensor] | None:
    """Compute the Vietoris-Rips diagrams without the complex; ``None`` if that does not fit.

    The implicit path holds a dense n × n distance table; where it (or its simplex names) does not
    fit, a sparse explicit complex under the threshold still might.
    """
    assert fil._vr_source is not None
    try:
        return fil._vr_source.diagrams(include_inf_points)
    except MemoryError:
        return None


def _gather_diagrams(fil: DiffFiltration, index_pairs: list[_np.ndarray]) -> list[_torch.Tensor]:
    """``values[pairs]`` of every dimension, essential deaths replaced by ±inf.

    The infinities are constants without gradient. The tensors are views of one gather, so the
    backward forms one gradient of ``values`` (dense, one entry per cell) instead of one per
    dimension plus their sum.
    """
    flat = (
        _np.concatenate([pairs.reshape(-1) for pairs in index_pairs])
        if index_pairs
        else _np.zeros(0, _np.int64)
    )
    if fil._values is None and fil._grid_source is not None:
        # A grid whose values were never asked for: its cells' values are data entries, so the
        # diagram is gathered from the data directly and its backward touches only those entries.
        sources = fil._handle.sources()
        flat_sources = _np.where(flat < 0, -1, sources[_np.maximum(flat, 0)].astype(_np.int64))
        return _split(_gather_data(fil, flat_sources), index_pairs)
    gathered = _gather(fil.values, _torch.from_numpy(flat).to(fil.device), fil.negate)
    return _split(gathered, index_pairs)


def _gather_sources(fil: DiffFiltration, source_pairs: list[_np.ndarray]) -> list[_torch.Tensor]:
    """Gather a grid's diagrams from rows of [birth, death] data indices (−1: essential death)."""
    flat = (
        _np.concatenate([pairs.reshape(-1) for pairs in source_pairs])
        if source_pairs
        else _np.zeros(0, _np.int64)
    )
    return _split(_gather_data(fil, flat), source_pairs)


def _gather_data(fil: DiffFiltration, flat_sources: _np.ndarray) -> _torch.Tensor:
    """``data.flatten()[flat_sources]`` in the filtration dtype, −1 giving ±inf."""
    assert fil._grid_source is not None
    data = fil._grid_source.tensor()
    source = data.to(_v.filtration_dtype(data)).reshape(-1)
    return _gather(source, _torch.from_numpy(flat_sources).to(fil.device), fil.negate)


def _split(gathered: _torch.Tensor, pairs: list[_np.ndarray]) -> list[_torch.Tensor]:
    """Cut the flat gather of several dimensions into (n, 2) views, one per dimension."""
    return [part.view(-1, 2) for part in gathered.split([p.size for p in pairs])]


def _gather(values: _torch.Tensor, index: _torch.Tensor, negate: bool) -> _torch.Tensor:
    essential = index < 0
    gathered = values[index.clamp(min=0)]
    infinity = _torch.tensor(-_np.inf if negate else _np.inf, dtype=values.dtype, device=values.device)
    return _torch.where(essential, infinity, gathered)


class _CritSetsState:
    """What the crit-sets backward of every dimension shares.

    The core optimizer (its cached reductions serve all dimensions), the forward values and the
    resolved parameters.
    """

    __slots__ = ("handle", "values", "negate", "step_size", "strategy", "n_threads")

    def __init__(
        self,
        handle: _core.TopologyOptimizer,
        fil: DiffFiltration,
        step_size: float,
        strategy: str,
        n_threads: int,
    ) -> None:
        self.handle = handle
        self.values = fil.values.detach()
        self.negate = fil.negate
        self.step_size = step_size
        self.strategy = strategy
        self.n_threads = n_threads

    def gradient(self, dim: int, index: _torch.Tensor, grad: _torch.Tensor) -> _torch.Tensor:
        """Return the gradient on ``values`` for upstream ``grad`` of the diagram of ``dim``."""
        values = self.values
        births, deaths = index[:, 0], index[:, 1]
        finite = deaths >= 0
        birth_values = values[births]
        death_values = values[deaths.clamp(min=0)]
        grad = grad.to(values.dtype)
        birth_targets = birth_values - self.step_size * grad[:, 0]
        death_targets = death_values - self.step_size * grad[:, 1]
        move_birth = birth_targets != birth_values
        move_death = (death_targets != death_values) & finite
        bad = (move_birth & ~_torch.isfinite(birth_targets)).any() | (
            move_death & ~_torch.isfinite(death_targets)
        ).any()
        if bool(bad):
            raise ValueError(f"crit-sets backward received a non-finite gradient in dimension {dim}")
        cells = _torch.cat([births[move_birth], deaths[move_death]]).cpu().numpy().astype(_np.uint32)
        targets = _torch.cat([birth_targets[move_birth], death_targets[move_death]])
        targets_np = targets.detach().cpu().to(_torch.float64).numpy()
        out = _torch.zeros_like(values)
        if len(cells) == 0:
            return out
        sids, grads = self.handle.crit_sets_gradient(cells, targets_np, self.strategy, self.n_threads)
        out[_torch.from_numpy(sids).to(values.device)] = _torch.from_numpy(grads).to(
            values.device, values.dtype
        )
        return out


class _CritSetsDiagram(_torch.autograd.Function):
    """The diagram gather of one dimension, with the critical-set backward of SPEC §4.5.

    Forward is ``values[index]`` with essential deaths ±inf; backward is not a gather (see
    ``_CritSetsState.gradient``) and is once-differentiable.
    """

    @staticmethod
    def forward(
        ctx: Any, values: _torch.Tensor, index: _torch.Tensor, state: _CritSetsState, dim: int
    ) -> _torch.Tensor:
        ctx.state = state
        ctx.dim = dim
        ctx.save_for_backward(index)
        return _gather(values.detach(), index, state.negate)

    @staticmethod
    @_once_differentiable
    def backward(ctx: Any, grad: _torch.Tensor) -> tuple[_torch.Tensor, None, None, None]:
        (index,) = ctx.saved_tensors
        return ctx.state.gradient(ctx.dim, index, grad), None, None, None
