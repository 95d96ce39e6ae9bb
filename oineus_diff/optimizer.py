"""The critical-set optimizer (``TopologyOptimizer``), its result type and the strategy enums.

The critical-set method of Nigmetov and Morozov moves every cell that must move for a requested
change of a diagram point. ``TopologyOptimizer`` exposes it explicitly: it returns sids and
target values, and the user forms a loss from ``fil.values``. The work runs in the core, which
caches the reductions of the filtration it was built from.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as _np
import torch as _torch

from oineus_diff import _core
from oineus_diff import _validation as _v
from oineus_diff.filtrations import DiffFiltration

if TYPE_CHECKING:
    from oineus_diff.persistence import PersistenceDiagrams

__all__ = ["ConflictStrategy", "DenoiseStrategy", "IndicesValues", "TopologyOptimizer"]


# Extra accepted spellings, per enum class name, normalised as by `_normalise`.
_ALIASES: dict[str, dict[str, str]] = {"ConflictStrategy": {"fca": "FixCritAvg"}}


def _normalise(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


class _NamedStrategy(enum.Enum):
    @classmethod
    def _parse(cls, value: Any, name: str) -> Any:
        if isinstance(value, cls):
            return value
        aliases = _ALIASES.get(cls.__name__, {})
        if isinstance(value, str):
            key = _normalise(value)
            for member in cls:
                if _normalise(member.name) == key:
                    return member
            if key in aliases:
                return cls[aliases[key]]
        accepted = [m.name for m in cls] + list(aliases)
        raise ValueError(f"{name} must be one of {accepted} (any case) or a {cls.__name__}; got {value!r}")


class DenoiseStrategy(_NamedStrategy):
    """How ``TopologyOptimizer.simplify`` moves a point to the diagonal.

    ``BirthBirth`` moves the death to the birth, ``DeathDeath`` the birth to the death, and
    ``Midway`` both to their mean.
    """

    BirthBirth = "birth_birth"
    DeathDeath = "death_death"
    Midway = "midway"


class ConflictStrategy(_NamedStrategy):
    """How several targets for one cell are combined into one.

    ``Avg`` takes their mean; ``Max`` the target farthest from the current value (the first
    received on ties); ``Sum`` keeps every target; ``FixCritAvg`` is ``Avg`` except that a moved
    cell gets exactly its own prescribed target.
    """

    Max = "max"
    Avg = "avg"
    Sum = "sum"
    FixCritAvg = "fca"


_MOVES = ("increase_birth", "decrease_birth", "increase_death", "decrease_death")


class IndicesValues:
    """An immutable pair of sids and target values.

    ``indices`` is a numpy int64 1-D array and ``values`` a numpy 1-D array in the filtration
    dtype, of the same length. The pair cannot be rebound; the arrays are the object's own
    copies and stay writable, so ``torch.as_tensor`` takes them without a warning. ``iv[0]``
    and ``iv[1]`` return them, so ``indices, values = iv`` works; any other index raises
    ``IndexError``.

    Examples
    --------
    >>> import numpy as np
    >>> iv = IndicesValues(np.array([6, 7]), np.array([1.0, 1.0]))
    >>> indices, values = iv
    >>> iv
    IndicesValues(indices=[6, 7], values=[1.0, 1.0])
    """

    __slots__ = ("_indices", "_values")
    _indices: _np.ndarray
    _values: _np.ndarray

    def __init__(self, indices: Any, values: Any) -> None:
        index_array = _np.array(indices, dtype=_np.int64).reshape(-1)
        value_array = _np.array(values).reshape(-1)
        if value_array.dtype not in (_np.float32, _np.float64):
            value_array = value_array.astype(_np.float64)
        if len(index_array) != len(value_array):
            raise ValueError(
                f"indices and values must have the same length; got {len(index_array)} and {len(value_array)}"
            )
        object.__setattr__(self, "_indices", index_array)
        object.__setattr__(self, "_values", value_array)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"IndicesValues is immutable; cannot set {name!r}")

    @property
    def indices(self) -> _np.ndarray:
        """The sids, an int64 array."""
        return self._indices

    @property
    def values(self) -> _np.ndarray:
        """The target values, an array in the filtration dtype."""
        return self._values

    def indices_array(self) -> _np.ndarray:
        """Return ``indices``."""
        return self._indices

    def values_array(self) -> _np.ndarray:
        """Return ``values``."""
        return self._values

    def __getitem__(self, item: int) -> _np.ndarray:
        if isinstance(item, (int, _np.integer)) and not isinstance(item, bool):
            if item == 0:
                return self._indices
            if item == 1:
                return self._values
        raise IndexError(f"IndicesValues has two items (indices, values); got index {item!r}")

    def __len__(self) -> int:
        return 2

    def __iter__(self) -> Iterator[_np.ndarray]:
        return iter((self._indices, self._values))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IndicesValues):
            return NotImplemented
        return bool(
            _np.array_equal(self._indices, other._indices) and _np.array_equal(self._values, other._values)
        )

    def __hash__(self) -> int:
        return hash((self._indices.tobytes(), self._values.tobytes()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (IndicesValues, (self._indices.copy(), self._values.copy()))

    def __repr__(self) -> str:
        return f"IndicesValues(indices={self._indices.tolist()}, values={self._values.tolist()})"


def _numpy_dtype(dtype: _torch.dtype) -> type:
    return _np.float32 if dtype == _torch.float32 else _np.float64


class TopologyOptimizer:
    """Critical sets and conflict resolution for one filtration, without autograd.

    The optimizer copies the filtration's combinatorics and values and caches every reduction
    it computes; whatever a call needs (the pairing, V or V⊥ columns, rows of U or U⊥) is
    computed on demand, so no call has a hidden precondition. It returns sids and numbers; the
    user forms a loss from ``fil.values``.

    Parameters
    ----------
    fil : DiffFiltration
        The filtration, from a builder. It is never modified.
    with_crit_sets : bool, default True
        With ``False`` the optimizer never keeps V, and critical-set methods raise
        ``RuntimeError``.
    dims_to_restore_elz : iterable of int or None, default None
        Accepted for compatibility with Oineus; a hint without effect on results.
    n_threads : int, default 1
        Worker threads for the reductions and the critical sets; results do not depend on it.

    Raises
    ------
    TypeError
        If ``fil`` is not a ``DiffFiltration``.
    ValueError
        For an invalid ``n_threads``.

    Notes
    -----
    **Gradients.** The optimizer is not autograd-aware. The usual loss is
    ``((fil.values[indices] - targets) ** 2).mean()``, whose gradient moves each cell of each
    critical set towards its resolved target; it is piecewise differentiable, not smooth.

    References
    ----------
    Nigmetov, A., Morozov, D. (2024). Topological optimization with big steps. Discrete Comput.
    Geom. 72, 310-344. doi:10.1007/s00454-023-00613-x

    Examples
    --------
    >>> import torch, oineus_diff as od
    >>> f = torch.tensor([0.0, 3.0, 1.0, 2.0, 0.5, 4.0], dtype=torch.float64, requires_grad=True)
    >>> fil = od.freudenthal_filtration(f)
    >>> opt = od.TopologyOptimizer(fil)
    >>> indices, values = opt.simplify(1.0, od.DenoiseStrategy.BirthBirth, 0)
    >>> opt.combine_loss(opt.singletons(indices, values), od.ConflictStrategy.Max)
    IndicesValues(indices=[6, 7], values=[1.0, 1.0])
    """

    __slots__ = ("_fil", "_handle", "_values", "_with_crit_sets", "_n_threads", "_dtype", "_device")

    def __init__(
        self,
        fil: DiffFiltration,
        *,
        with_crit_sets: bool = True,
        dims_to_restore_elz: Iterable[int] | None = None,
        n_threads: int = 1,
    ) -> None:
        if not isinstance(fil, DiffFiltration):
            raise TypeError(f"fil must be a DiffFiltration, got {type(fil).__name__}")
        self._with_crit_sets = _v.check_bool(with_crit_sets, "with_crit_sets")
        self._n_threads = _v.check_n_threads(n_threads)
        if dims_to_restore_elz is not None and not isinstance(dims_to_restore_elz, Iterable):
            raise TypeError(
                "dims_to_restore_elz must be None or an iterable of ints; "
                f"got {type(dims_to_restore_elz).__name__}"
            )
        self._fil = fil
        self._dtype = fil.dtype
        self._device = fil.device
        single = fil.dtype == _torch.float32
        self._handle = _core.TopologyOptimizer(fil._handle, fil.kind == "vr", single)
        self._values: _np.ndarray = self._handle.values().astype(_numpy_dtype(fil.dtype))

    # -----------------------------------------------------------------------------------------
    # helpers

    def _check_sid(self, i: Any, name: str = "i") -> int:
        i = _v.check_int(i, name)
        if not 0 <= i < len(self._values):
            raise IndexError(f"{name} = {i} is out of range for a filtration of {len(self._values)} cells")
        return i

    def _sids(self, indices: Any, name: str) -> _np.ndarray:
        array = _np.asarray(indices.detach().cpu() if isinstance(indices, _torch.Tensor) else indices)
        if array.size == 0:
            return _np.zeros(0, dtype=_np.uint32)
        if array.ndim != 1 or not (_np.issubdtype(array.dtype, _np.integer)):
            raise TypeError(
                f"{name} must be a 1-D sequence of ints; got {array.dtype} with shape {array.shape}"
            )
        bad = (array < 0) | (array >= len(self._values))
        if bad.any():
            raise IndexError(
                f"{name} holds {int(bad.sum())} sids out of range 0 … {len(self._values) - 1} "
                f"(first {int(array[bad][0])})"
            )
        return array.astype(_np.uint32)

    def _targets(self, values: Any, name: str) -> _np.ndarray:
        array = _np.asarray(values.detach().cpu() if isinstance(values, _torch.Tensor) else values)
        if array.size == 0:
            return _np.zeros(0, dtype=_np.float64)
        if array.ndim != 1 or not _np.issubdtype(array.dtype, _np.number) or _np.iscomplexobj(array):
            raise TypeError(f"{name} must be a 1-D sequence of real numbers; got shape {array.shape}")
        array = array.astype(_np.float64)
        n_nan = int(_np.isnan(array).sum())
        if n_nan:
            raise ValueError(f"{name} must not contain NaN; got {n_nan} NaN entries")
        return array

    def _require_crit_sets(self) -> None:
        if not self._with_crit_sets:
            raise RuntimeError(
                "this TopologyOptimizer was built with with_crit_sets=False; critical sets need V"
            )

    def _result(self, indices: _np.ndarray, values: _np.ndarray) -> IndicesValues:
        return IndicesValues(indices, values.astype(_numpy_dtype(self._dtype)))

    def _index_pairs(self, include_inf_points: bool) -> list[_np.ndarray]:
        return self._handle.index_diagrams(include_inf_points, self._n_threads)

    def _check_dim(self, dim: Any) -> int:
        dim = _v.check_int(dim, "dim")
        if dim < 0:
            raise ValueError(f"dim must be >= 0; got {dim}")
        return dim

    def _finite_pairs(self, dim: int) -> _np.ndarray:
        pairs = self._index_pairs(False)
        return pairs[dim] if dim < len(pairs) else _np.zeros((0, 2), dtype=_np.int64)

    # -----------------------------------------------------------------------------------------
    # diagrams

    def compute_diagram(self, include_inf_points: bool = False) -> PersistenceDiagrams:
        """Return the current diagrams as detached tensors.

        Parameters
        ----------
        include_inf_points : bool, default False
            Add essential points (death ``+inf``, or ``-inf`` under ``negate``).

        Returns
        -------
        PersistenceDiagrams
            With ``differentiable=False``; dtype and device of ``fil.values``; rows ordered by
            birth sid.
        """
        from oineus_diff.persistence import PersistenceDiagrams

        include_inf_points = _v.check_bool(include_inf_points, "include_inf_points")
        index_pairs = self._index_pairs(include_inf_points)
        values = _torch.as_tensor(self._values)
        infinity = -math.inf if self._fil.negate else math.inf
        tensors = []
        for pairs in index_pairs:
            births = values[_torch.from_numpy(pairs[:, 0])]
            deaths = values[_torch.from_numpy(pairs[:, 1]).clamp(min=0)]
            deaths = _torch.where(
                _torch.from_numpy(pairs[:, 1] < 0), _torch.tensor(infinity, dtype=values.dtype), deaths
            )
            tensors.append(_torch.stack([births, deaths], dim=1).to(device=self._device, dtype=self._dtype))
        return PersistenceDiagrams(
            tensors,
            index_pairs,
            dualize=self._fil.kind == "vr",
            gradient_method="dgm-loss",
            include_inf_points=include_inf_points,
            filtration=self._fil,
            differentiable=False,
        )

    def get_nth_persistence(self, dim: int, n: int) -> float:
        """Return the n-th largest finite persistence ``abs(death - birth)`` in ``dim``.

        Repeats count; 0.0 if ``dim`` has fewer than ``n`` finite points.

        Raises
        ------
        ValueError
            If ``n < 1`` or ``dim < 0``.
        """
        dim = self._check_dim(dim)
        n = _v.check_int(n, "n")
        if n < 1:
            raise ValueError(f"n must be >= 1; got {n}")
        pairs = self._finite_pairs(dim)
        if len(pairs) < n:
            return 0.0
        persistence = _np.abs(self._values[pairs[:, 1]] - self._values[pairs[:, 0]])
        return float(_np.sort(persistence)[::-1][n - 1])

    def simplify(self, epsilon: float, strategy: DenoiseStrategy | str, dim: int) -> IndicesValues:
        """Targets that move every point of persistence ≤ ``epsilon`` onto the diagonal.

        For every finite point of ``dim`` with ``abs(death - birth) <= epsilon``, in row order:
        ``BirthBirth`` emits (death sid, birth value); ``DeathDeath`` emits (birth sid, death
        value); ``Midway`` emits (birth sid, m) and (death sid, m) with m = (birth + death) / 2.

        Raises
        ------
        ValueError
            If ``epsilon`` is NaN or ``strategy`` is unknown.
        """
        epsilon = _v.check_float(epsilon, "epsilon")
        if math.isnan(epsilon):
            raise ValueError("epsilon must not be NaN")
        strategy = DenoiseStrategy._parse(strategy, "strategy")
        dim = self._check_dim(dim)
        pairs = self._finite_pairs(dim)
        births = self._values[pairs[:, 0]]
        deaths = self._values[pairs[:, 1]]
        selected = _np.abs(deaths - births) <= epsilon
        pairs, births, deaths = pairs[selected], births[selected], deaths[selected]
        if strategy is DenoiseStrategy.BirthBirth:
            return self._result(pairs[:, 1], births)
        if strategy is DenoiseStrategy.DeathDeath:
            return self._result(pairs[:, 0], deaths)
        middle = (births + deaths) / births.dtype.type(2)
        return self._result(pairs.reshape(-1), _np.repeat(middle, 2))

    # -----------------------------------------------------------------------------------------
    # critical sets

    def singleton(self, i: int, t: float) -> tuple[float, list[int]]:
        """Return the critical set of moving cell ``i`` to value ``t``.

        A negative cell gets a death move and a positive cell a birth move, in the direction of
        ``t``; ``±inf`` means unbounded. The set lists ``i`` first, then the other cells by sid
        moving away from ``i`` in the direction of the move.

        Returns
        -------
        tuple of (float, list of int)
            ``(t, cells)``; ``(t, [])`` when ``t`` equals the value of ``i``.

        Raises
        ------
        IndexError
            If ``i`` is out of range.
        ValueError
            If ``t`` is NaN.
        RuntimeError
            If the optimizer was built with ``with_crit_sets=False``.
        """
        i = self._check_sid(i)
        t = _v.check_float(t, "t")
        if math.isnan(t):
            raise ValueError("t must not be NaN")
        return self.singletons([i], [t])[0]

    def singletons(
        self, indices: Sequence[int] | Any, values: Sequence[float] | Any
    ) -> list[tuple[float, list[int]]]:
        """Return ``[singleton(i, t) for i, t in zip(indices, values)]``, computed in one call.

        Raises
        ------
        ValueError
            If the lengths differ or a value is NaN.
        IndexError
            If a sid is out of range.
        RuntimeError
            If the optimizer was built with ``with_crit_sets=False``.
        """
        self._require_crit_sets()
        sids = self._sids(indices, "indices")
        targets = self._targets(values, "values")
        if len(sids) != len(targets):
            raise ValueError(
                f"indices and values must have the same length; got {len(sids)} and {len(targets)}"
            )
        offsets, cells = self._handle.singletons(sids, targets, self._n_threads)
        bounds = offsets.tolist()
        flat = cells.tolist()
        return [(float(t), flat[bounds[k] : bounds[k + 1]]) for k, t in enumerate(targets.tolist())]

    def combine_loss(
        self, critical_sets: Iterable[tuple[float, Sequence[int]]], strategy: ConflictStrategy | str
    ) -> IndicesValues:
        """Resolve conflicting targets of several critical sets into one target per cell.

        Each cell receives targets in the order of the list, then the order within each set;
        the first cell of each set is its moved cell (for ``FixCritAvg``).

        Returns
        -------
        IndicesValues
            Sorted by sid ascending; for ``Sum`` each sid appears once per contribution, in
            canonical order.

        Raises
        ------
        ValueError
            For an unknown strategy or a NaN target; ``IndexError`` for a sid out of range.
        """
        resolved: ConflictStrategy = ConflictStrategy._parse(strategy, "strategy")
        targets: list[float] = []
        arrays: list[_np.ndarray] = []
        for entry in critical_sets:
            try:
                t, cells = entry
            except (TypeError, ValueError) as err:
                raise TypeError(
                    f"critical_sets entries must be (target, cells) pairs; got {entry!r}"
                ) from err
            targets.append(_v.check_float(t, "critical_sets target"))
            arrays.append(self._sids(list(cells), "critical_sets cells"))
        target_array = self._targets(_np.array(targets, dtype=_np.float64), "critical_sets targets")
        offsets = _np.zeros(len(arrays) + 1, dtype=_np.int64)
        offsets[1:] = _np.cumsum([len(a) for a in arrays])
        flat = _np.concatenate(arrays) if arrays else _np.zeros(0, dtype=_np.uint32)
        indices, values = self._handle.combine(target_array, offsets, flat.astype(_np.uint32), resolved.value)
        return self._result(indices, values)

    def crit_sets_apply(
        self, indices: Sequence[int] | Any, targets: Sequence[float] | Any, strategy: ConflictStrategy | str
    ) -> IndicesValues:
        """Return ``combine_loss(singletons(indices, targets), strategy)``, computed in one call."""
        self._require_crit_sets()
        resolved: ConflictStrategy = ConflictStrategy._parse(strategy, "strategy")
        sids = self._sids(indices, "indices")
        values = self._targets(targets, "targets")
        if len(sids) != len(values):
            raise ValueError(
                f"indices and targets must have the same length; got {len(sids)} and {len(values)}"
            )
        out_indices, out_values = self._handle.crit_sets_apply(sids, values, resolved.value, self._n_threads)
        return self._result(out_indices, out_values)

    def match(
        self,
        template_dgm: Any,
        dim: int,
        wasserstein_q: float = 1.0,
        wasserstein_delta: float = 0.01,
        return_wasserstein_distance: bool = False,
        dualize: bool | None = None,
        internal_p: float = math.inf,
    ) -> IndicesValues | tuple[IndicesValues, float]:
        """Targets that move the current diagram of ``dim`` onto a template diagram.

        The current finite diagram is Wasserstein-matched to the template (essential points of
        neither side take part). For each current point in row order, matched to (b′, d′) it
        emits (birth sid, b′) and (death sid, d′); matched to the diagonal it emits (birth sid,
        m) and (death sid, m) with m = (birth + death) / 2.

        Parameters
        ----------
        template_dgm : array-like of shape (n, 2)
            An array, tensor or list of (birth, death) pairs, all finite.
        dim : int
            The homology dimension.
        wasserstein_q : float, default 1.0
            The Wasserstein exponent, ≥ 1.
        wasserstein_delta : float, default 0.01
            The relative error allowed to the matching.
        return_wasserstein_distance : bool, default False
            Also return the distance of the matching.
        dualize : bool or None, default None
            Accepted for compatibility; it affects speed only.
        internal_p : float, default inf
            The ground metric's exponent; ``-1`` is an alias of ``inf``.

        Returns
        -------
        IndicesValues or (IndicesValues, float)

        Raises
        ------
        ValueError
            For a template that is not (n, 2), has NaN or infinite entries, or invalid
            ``wasserstein_q``, ``wasserstein_delta`` or ``internal_p``.
        """
        from oineus_diff.distances import wasserstein_matching

        dim = self._check_dim(dim)
        q = _v.check_float(wasserstein_q, "wasserstein_q")
        if not (math.isfinite(q) and q >= 1):
            raise ValueError(f"wasserstein_q must be a finite number >= 1; got {q}")
        delta = _v.check_float(wasserstein_delta, "wasserstein_delta")
        if not (math.isfinite(delta) and delta >= 0):
            raise ValueError(f"wasserstein_delta must be a finite number >= 0; got {delta}")
        p = _v.check_float(internal_p, "internal_p")
        if p == -1:
            p = math.inf
        if not (p >= 1):
            raise ValueError(f"internal_p must be >= 1, inf or -1 (alias of inf); got {internal_p}")
        return_wasserstein_distance = _v.check_bool(
            return_wasserstein_distance, "return_wasserstein_distance"
        )
        if dualize is not None:
            _v.check_bool(dualize, "dualize")
        template = self._template(template_dgm)
        pairs = self._finite_pairs(dim)
        current = _np.stack([self._values[pairs[:, 0]], self._values[pairs[:, 1]]], axis=1).astype(
            _np.float64
        )
        matching = wasserstein_matching(current, template, q=q, delta=delta, internal_p=p)
        targets = _np.repeat(current.mean(axis=1), 2).reshape(-1, 2)
        finite = _np.asarray(matching.finite_to_finite, dtype=_np.int64).reshape(-1, 2)
        targets[finite[:, 0]] = template[finite[:, 1]]
        result = self._result(pairs.reshape(-1), targets.reshape(-1))
        if return_wasserstein_distance:
            return result, float(matching.distance)
        return result

    @staticmethod
    def _template(template_dgm: Any) -> _np.ndarray:
        if isinstance(template_dgm, _torch.Tensor):
            template_dgm = template_dgm.detach().cpu().numpy()
        try:
            template = _np.asarray(template_dgm, dtype=_np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError("template_dgm must be an (n, 2) array, tensor or list of pairs") from err
        if template.size == 0:
            template = template.reshape(0, 2)
        if template.ndim != 2 or template.shape[1] != 2:
            raise ValueError(f"template_dgm must have shape (n, 2); got {template.shape}")
        n_bad = int((~_np.isfinite(template)).any(axis=1).sum())
        if n_bad:
            raise ValueError(f"template_dgm must hold finite points only; got {n_bad} NaN or infinite points")
        return template

    def _move(self, kind: str, i: Any, target: float | None) -> list[int]:
        self._require_crit_sets()
        i = self._check_sid(i)
        if target is not None:
            target = _v.check_float(target, "target")
            if math.isnan(target):
                raise ValueError("target must not be NaN")
        return list(self._handle.move_cell(kind, i, target, self._n_threads))

    def increase_birth(self, i: int, target: float | None = None) -> list[int]:
        """Critical set of moving the birth of positive cell ``i`` later (to ``target``).

        ``target=None`` means unbounded. A negative cell or a target earlier than the value of
        ``i`` raises ``ValueError``.
        """
        return self._move("increase_birth", i, target)

    def decrease_birth(self, i: int, target: float | None = None) -> list[int]:
        """Critical set of moving the birth of positive cell ``i`` earlier (to ``target``)."""
        return self._move("decrease_birth", i, target)

    def increase_death(self, i: int, target: float | None = None) -> list[int]:
        """Critical set of moving the death of negative cell ``i`` later (to ``target``)."""
        return self._move("increase_death", i, target)

    def decrease_death(self, i: int, target: float | None = None) -> list[int]:
        """Critical set of moving the death of negative cell ``i`` earlier (to ``target``)."""
        return self._move("decrease_death", i, target)

    def reduce_all(self) -> None:
        """Reduce both sides of every dimension in canonical form; only speeds up later calls."""
        self._handle.reduce_all(self._n_threads)

    def update(self, new_values: Any, n_threads: int = 1) -> _np.ndarray:
        """Replace the optimizer's values and re-sort the cells.

        Parameters
        ----------
        new_values : array-like of shape (n_cells,)
            Finite values indexed by the current sid; they need not be monotone over faces.
        n_threads : int, default 1
            Worker threads; results do not depend on it.

        Returns
        -------
        numpy.ndarray of int64
            ``perm`` with ``perm[new_sid] = old_sid``. Cells are re-sorted by (dimension, value,
            old sid); cached reductions are dropped. The ``DiffFiltration`` is not modified.

        Raises
        ------
        ValueError
            For a wrong length or non-finite values.
        """
        n_threads = _v.check_n_threads(n_threads)
        if isinstance(new_values, _torch.Tensor):
            new_values = new_values.detach().cpu().numpy()
        array = _np.asarray(new_values)
        if array.ndim != 1 or len(array) != len(self._values):
            raise ValueError(f"new_values must have shape ({len(self._values)},); got {array.shape}")
        if not _np.issubdtype(array.dtype, _np.number) or _np.iscomplexobj(array):
            raise ValueError(f"new_values must be real numbers; got dtype {array.dtype}")
        rounded: _np.ndarray = array.astype(_numpy_dtype(self._dtype))
        n_bad = int((~_np.isfinite(rounded)).sum())
        if n_bad:
            raise ValueError(f"new_values must be finite; got {n_bad} NaN or infinite entries")
        perm = self._handle.update(rounded.astype(_np.float64), n_threads)
        self._values = self._handle.values().astype(_numpy_dtype(self._dtype))
        return perm

    def __repr__(self) -> str:
        return (
            f"TopologyOptimizer(kind={self._fil.kind!r}, size={len(self._values)}, negate={self._fil.negate})"
        )
