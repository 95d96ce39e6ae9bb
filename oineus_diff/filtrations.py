"""Filtrations whose values keep the autograd graph of the user's tensor.

A builder validates its input, hands a detached float64 copy to the core, which builds the
cells in filtration (sid) order, and then forms ``values`` from the user's own tensor with the
builder's formula, so that gradients reach the input.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as _np
import torch as _torch

from oineus_diff import _core, _geometry
from oineus_diff import _validation as _v

__all__ = [
    "DiffFiltration",
    "alpha_filtration",
    "cech_delaunay_filtration",
    "cube_filtration",
    "freudenthal_filtration",
    "vr_filtration",
    "weak_alpha_filtration",
]


class DiffFiltration:
    """A filtration whose ``values`` tensor is differentiable with respect to the input.

    Instances are made by the builders (:func:`vr_filtration`, ...); there is no public
    constructor. The object is immutable. Cells are ordered by (dimension, value, emission
    index); a cell's position in that order is its *sid*.

    Attributes
    ----------
    values : torch.Tensor of shape (n_cells,)
        Entry i is the value of the cell with sid i, in the filtration dtype, on the input's
        device, carrying the autograd graph of the input. Vietoris-Rips and grid filtrations
        form it on first access (see :func:`persistence_diagram`); Vietoris-Rips and 2-D cubical
        filtrations of a tensor build their cells then too.
    kind : str
        ``"vr"``, ``"freudenthal"``, ``"cubical"``, ``"alpha"``, ``"weak_alpha"`` or
        ``"cech_delaunay"``.
    negate : bool
        Whether the order is by decreasing value (values are stored raw either way).
    max_dim : int
        The largest cell dimension present.
    input_shape : tuple of int
        The shape of the user's tensor.

    Notes
    -----
    Pickling and copying are not supported (``TypeError``): a filtration belongs to one autograd
    graph.
    """

    __slots__ = ("_core_handle", "_values", "_input_shape", "_vr_source", "_grid_source")
    _core_handle: _core.Filtration | None
    _values: _torch.Tensor | None
    _input_shape: tuple[int, ...]
    # Vietoris-Rips: the arguments the complex is built from when something first needs it
    # (values, cells, critical sets); diagrams alone never build it (see persistence_diagram).
    _vr_source: _VrSource | None
    # Grids: the user's tensor; ``values`` is gathered from it on first use, and diagrams
    # gather their few cells from it directly until then. A 2-D cubical grid also keeps what it
    # is built from, and is built only when something needs its cells.
    _grid_source: _GridSource | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("DiffFiltration has no public constructor; use a builder such as vr_filtration")

    @classmethod
    def _create(
        cls, core: _core.Filtration, values: _torch.Tensor, input_shape: tuple[int, ...]
    ) -> DiffFiltration:
        fil = object.__new__(cls)
        object.__setattr__(fil, "_core_handle", core)
        object.__setattr__(fil, "_values", values)
        object.__setattr__(fil, "_input_shape", input_shape)
        object.__setattr__(fil, "_vr_source", None)
        object.__setattr__(fil, "_grid_source", None)
        return fil

    @classmethod
    def _create_grid(cls, core: _core.Filtration, data: _torch.Tensor, user_data: Any) -> DiffFiltration:
        if not isinstance(user_data, _torch.Tensor):
            # An array shares its memory with the tensor made from it, and changes to it leave the
            # tensor's version counter alone: gather now, while the data are those just sorted.
            return cls._create(core, _gathered_values(core, data), tuple(data.shape))
        fil = cls._create(core, None, tuple(data.shape))  # type: ignore[arg-type]
        object.__setattr__(fil, "_grid_source", _GridSource(data))
        return fil

    @classmethod
    def _create_lazy_cube(cls, cube: _LazyCube, data: _torch.Tensor) -> DiffFiltration:
        fil = cls._create(None, None, tuple(data.shape))  # type: ignore[arg-type]
        object.__setattr__(fil, "_grid_source", _GridSource(data, cube))
        return fil

    @classmethod
    def _create_vr(cls, source: _VrSource) -> DiffFiltration:
        fil = object.__new__(cls)
        object.__setattr__(fil, "_core_handle", None)
        object.__setattr__(fil, "_values", None)
        object.__setattr__(fil, "_input_shape", tuple(source.tensor.shape))
        object.__setattr__(fil, "_vr_source", source)
        object.__setattr__(fil, "_grid_source", None)
        return fil

    @property
    def _handle(self) -> _core.Filtration:
        """The core filtration, built on first use for Vietoris-Rips and 2-D cubical grids."""
        if self._core_handle is None:
            cube = self._lazy_cube
            if cube is not None:
                core = cube.build()
                object.__setattr__(self, "_core_handle", core)
                return core
            source = self._vr_source
            assert source is not None, "only Vietoris-Rips and 2-D cubical filtrations are built lazily"
            core = _core.vr_filtration(
                source.array,
                source.from_pwdists,
                source.max_dim,
                source.max_diameter,
                source.eps,
                source.dtype == _torch.float32,
                source.n_threads,
            )
            object.__setattr__(self, "_core_handle", core)
            return core
        return self._core_handle

    @property
    def _is_built(self) -> bool:
        """Whether the cells exist (always, except for a lazy filtration not yet used)."""
        return self._core_handle is not None

    @property
    def _lazy_cube(self) -> _LazyCube | None:
        """What a 2-D cubical filtration not yet built is built from (``None`` otherwise)."""
        if self._core_handle is not None or self._grid_source is None:
            return None
        return self._grid_source.cube

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"DiffFiltration is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"DiffFiltration is immutable; cannot delete {name!r}")

    @property
    def values(self) -> _torch.Tensor:
        """The cell values in sid order (see the class docstring)."""
        if self._values is None:
            if self._grid_source is not None:
                values = _gathered_values(self._handle, self._grid_source.tensor())
            else:
                source = self._vr_source
                assert source is not None, "only Vietoris-Rips and grid values are formed lazily"
                values = _vr_values(
                    self._handle, source.tensor, source.dtype, source.from_pwdists, source.eps
                )
            object.__setattr__(self, "_values", values)
            return values
        return self._values

    @property
    def kind(self) -> str:
        """The builder's name."""
        if self._vr_source is not None:
            return "vr"
        return "cubical" if self._lazy_cube is not None else self._handle.kind()

    @property
    def negate(self) -> bool:
        """Whether comparisons are reversed."""
        if self._vr_source is not None:
            return False
        cube = self._lazy_cube
        return cube.negate if cube is not None else self._handle.negate()

    @property
    def max_dim(self) -> int:
        """The largest cell dimension present (0 if only vertices exist)."""
        cube = self._lazy_cube
        return cube.max_dim if cube is not None else self._handle.max_dim()

    @property
    def dtype(self) -> _torch.dtype:
        """The dtype of ``values``."""
        if self._vr_source is not None:
            return self._vr_source.dtype
        if self._grid_source is not None:
            return _v.filtration_dtype(self._grid_source.data)
        return self.values.dtype

    @property
    def device(self) -> _torch.device:
        """The device of ``values``."""
        if self._vr_source is not None:
            return self._vr_source.tensor.device
        if self._grid_source is not None:
            return self._grid_source.data.device
        return self.values.device

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of the user's tensor."""
        return self._input_shape

    @property
    def critical_indices(self) -> _np.ndarray | None:
        """Where each cell's value comes from.

        For Vietoris-Rips and weak alpha, an int64 array of shape (n_cells, 2): the critical edge
        (x, y) with x > y; a vertex v gives (v, v). For a distance matrix the gradient of the cell
        lands in ``D[x, y]``. For Freudenthal and cubical filtrations, an int64 array of shape
        (n_cells,): the flat index into the data that the value is gathered from. For alpha and
        Čech-Delaunay, ``None`` (a value depends on up to four points).
        """
        kind = self.kind
        if kind in ("vr", "weak_alpha"):
            return self._handle.critical_edges().astype(_np.int64)
        if kind in ("alpha", "cech_delaunay"):
            return None
        return self._handle.sources().astype(_np.int64)

    def size(self) -> int:
        """Return the number of cells."""
        return len(self)

    def __len__(self) -> int:
        cube = self._lazy_cube
        return sum(cube.counts) if cube is not None else self._handle.size()

    def size_in_dimension(self, dim: int) -> int:
        """Return the number of cells of dimension ``dim`` (0 above ``max_dim``)."""
        start, stop = self.dim_range(dim)
        return stop - start

    def dim_range(self, dim: int) -> tuple[int, int]:
        """Return the ``(start, stop)`` sids of the dimension-``dim`` block."""
        dim = _v.check_int(dim, "dim")
        if dim < 0:
            raise ValueError(f"dim must be >= 0; got {dim}")
        # Dimensions above max_dim hold no cells; clamping keeps huge ints out of the core.
        dim = min(dim, self.max_dim + 1)
        cube = self._lazy_cube
        if cube is not None:
            start = sum(cube.counts[:dim])
            return start, start + (cube.counts[dim] if dim < len(cube.counts) else 0)
        return self._handle.dim_range(dim)

    def cell(self, i: int) -> tuple[int, ...]:
        """Return the ascending vertex ids of the cell with sid ``i``."""
        i = _v.check_int(i, "i")
        if not 0 <= i < len(self):
            raise IndexError(f"cell index {i} is out of range for a filtration of {len(self)} cells")
        return tuple(self._handle.cell(i))

    def cells(self) -> list[tuple[int, ...]]:
        """Return every cell as a tuple of ascending vertex ids, in sid order."""
        return list(self)

    def __iter__(self) -> Iterator[tuple[int, ...]]:
        for dim in range(self.max_dim + 1):
            for row in self._handle.cells_in_dimension(dim).tolist():
                yield tuple(row)

    def sorted_id(self, vertices: Sequence[int]) -> int:
        """Return the sid of the cell with exactly these vertex ids (any order).

        Raises
        ------
        KeyError
            If no cell has these vertices.
        """
        try:
            ids = [_v.check_int(v, "vertices") for v in vertices]
        except TypeError as err:
            raise TypeError(f"vertices must be a sequence of ints; got {vertices!r}") from err
        if any(v < 0 or v >= 2**32 for v in ids):
            raise KeyError(f"no cell with vertices {sorted(ids)}")
        return self._handle.sorted_id(ids)

    def boundary(self, i: int) -> list[int]:
        """Return the ascending sids of the facets of cell ``i``."""
        i = _v.check_int(i, "i")
        if not 0 <= i < len(self):
            raise IndexError(f"cell index {i} is out of range for a filtration of {len(self)} cells")
        return list(self._handle.boundary(i))

    def boundary_matrix(self) -> Any:
        """Return the boundary matrix as a ``scipy.sparse.csc_matrix`` of dtype int8.

        Entry (r, c) is 1 iff cell r is a facet of cell c.

        Raises
        ------
        ImportError
            If scipy is not installed.
        """
        try:
            import scipy.sparse as sparse
        except ImportError as err:
            raise ImportError("DiffFiltration.boundary_matrix needs scipy: pip install scipy") from err
        indptr, indices = self._handle.boundary_csc()
        data = _np.ones(len(indices), dtype=_np.int8)
        n = len(self)
        return sparse.csc_matrix((data, indices, indptr), shape=(n, n))

    def __repr__(self) -> str:
        return (
            f"DiffFiltration(kind={self.kind!r}, size={len(self)}, max_dim={self.max_dim}, "
            f"negate={self.negate}, dtype={self.dtype}, device='{self.device}')"
        )

    def __reduce__(self) -> Any:
        raise TypeError("DiffFiltration cannot be pickled: it belongs to one autograd graph")

    def __copy__(self) -> Any:
        raise TypeError("DiffFiltration cannot be copied: it belongs to one autograd graph")

    def __deepcopy__(self, memo: Any) -> Any:
        raise TypeError("DiffFiltration cannot be copied: it belongs to one autograd graph")


def _check_pwdists(array: _np.ndarray) -> None:
    n = array.shape[0]
    lower = array[_np.tril_indices(n, -1)]
    bad = ~(_np.isfinite(lower) & (lower >= 0))
    if bad.any():
        raise ValueError(
            f"data must have finite, non-negative entries below the diagonal; got {int(bad.sum())} "
            "negative, NaN or infinite entries"
        )


def vr_filtration(
    data: Any,
    from_pwdists: bool = False,
    max_dim: int = -1,
    max_diameter: float = -1.0,
    eps: float = 0.0,
    *,
    packed: bool = False,
    n_threads: int | None = 1,
) -> DiffFiltration:
    """Build the Vietoris-Rips filtration of a point cloud or a distance matrix.

    A simplex is a set of at most ``max_dim + 1`` points whose pairwise distances are all at most
    ``max_diameter``. Vertices have value 0; a simplex of dimension >= 1 has the length of its
    *critical edge*: among its longest edges, the one smallest as (larger vertex, smaller vertex)
    in lexicographic order. Within a dimension, cells are ordered by (value, vertex tuple).

    Parameters
    ----------
    data : torch.Tensor or numpy.ndarray of shape (n_points, n_dims), or (n, n)
        Points (rows), or with ``from_pwdists=True`` a distance matrix of which only the strictly
        lower triangle is read. Any real dtype, any device, any strides.
    from_pwdists : bool, default False
        Read ``data`` as a distance matrix.
    max_dim : int, default -1
        The largest simplex dimension. Negative means ``n_dims`` for points; with a distance
        matrix a non-negative value is required.
    max_diameter : float, default -1.0
        Negative means the enclosing radius × 1.00001 (min over points of the largest distance
        to another point), beyond which Vietoris-Rips adds only contractible pieces. ``inf``
        keeps every simplex up to ``max_dim``.
    eps : float, default 0.0
        With ``eps > 0`` every value becomes sqrt(d² + eps), vertices included (Oineus's smoothed
        values). Ignored for distance matrices.
    packed : bool, default False
        Accepted for compatibility; no effect.
    n_threads : int or None, default 1
        Worker threads for the construction; the result does not depend on it.

    Returns
    -------
    DiffFiltration
        ``kind == "vr"``; ``values`` in float32 for float32/float16/bfloat16 input, else float64.

    Raises
    ------
    TypeError
        If ``data`` is not a tensor or array, is complex, or a parameter has the wrong type.
    ValueError
        For a wrong shape, empty or non-finite input, negative distances, NaN ``max_diameter``,
        negative ``eps``, a negative ``max_dim`` with a distance matrix, or ``n_threads < 1``.
    MemoryError
        If the complex does not fit in memory.

    Notes
    -----
    **Gradients.** Each cell's value is the length of its critical edge, so its gradient reaches
    the two endpoints of that edge: d‖p_x − p_y‖/dp_x = (p_x − p_y)/‖p_x − p_y‖, and 0 for
    coincident points (never NaN). For distance matrices the gradient goes to ``D[x, y]``, x > y.
    Vertices are constants. The forward numbers are the core's float64 lengths rounded to the
    filtration dtype, exactly those used to sort and to drop zero-persistence pairs. Values are
    piecewise differentiable: where two edges tie for longest, the critical-edge rule picks one.

    The complex is built when first needed (``values``, ``len``, cells, critical sets), so a
    ``MemoryError`` for an oversized complex surfaces there. :func:`persistence_diagram` does not
    need it for dgm-loss diagrams.

    References
    ----------
    Zomorodian, A. (2010). Fast construction of the Vietoris-Rips complex. Computers & Graphics
    34(3), 263-271. doi:10.1016/j.cag.2010.03.007

    Examples
    --------
    >>> import torch, oineus_diff as od
    >>> pts = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
    >>> fil = od.vr_filtration(pts, max_dim=2)
    >>> len(fil), fil.size_in_dimension(1)
    (14, 6)
    >>> fil.cell(8), float(fil.values[8])
    ((0, 3), 1.4142135623730951)
    """
    tensor = _v.as_tensor(data, "data")
    from_pwdists = _v.check_bool(from_pwdists, "from_pwdists")
    max_dim = _v.check_int(max_dim, "max_dim")
    max_diameter = _v.check_float(max_diameter, "max_diameter")
    eps = _v.check_float(eps, "eps")
    _v.check_bool(packed, "packed")
    n_threads = _v.check_n_threads(n_threads)
    if tensor.ndim != 2:
        expected = "(n, n)" if from_pwdists else "(n_points, n_dims)"
        raise ValueError(f"data must have shape {expected}; got {tuple(tensor.shape)}")
    if from_pwdists and tensor.shape[0] != tensor.shape[1]:
        raise ValueError(f"data must be a square (n, n) distance matrix; got {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        raise ValueError(f"data is empty (shape {tuple(tensor.shape)})")
    if math.isnan(max_diameter):
        raise ValueError("max_diameter must not be NaN")
    if math.isnan(eps) or eps < 0 or math.isinf(eps):
        raise ValueError(f"eps must be a finite number >= 0; got {eps}")
    if max_dim < 0:
        if from_pwdists:
            raise ValueError(f"max_dim must be >= 0 for a distance matrix; got {max_dim}")
        max_dim = tensor.shape[1]
    # A simplex has at most n_points vertices; larger dimensions would only be empty.
    max_dim = min(max_dim, tensor.shape[0] - 1)
    if from_pwdists:
        array = _np.ascontiguousarray(tensor.detach().to("cpu", _torch.float64).numpy())
        _check_pwdists(array)
    else:
        array = _v.detached_float64(tensor, "data")
    source = _VrSource(
        array=array,
        from_pwdists=from_pwdists,
        max_dim=max_dim,
        max_diameter=None if max_diameter < 0 else max_diameter,
        eps=0.0 if from_pwdists else eps,
        n_threads=n_threads,
        tensor=tensor,
        dtype=_v.filtration_dtype(tensor),
    )
    return DiffFiltration._create_vr(source)


@dataclass(frozen=True)
class _VrSource:
    """What a Vietoris-Rips filtration is built from: the validated arguments and the tensor."""

    array: _np.ndarray
    from_pwdists: bool
    max_dim: int
    max_diameter: float | None
    eps: float
    n_threads: int
    tensor: _torch.Tensor
    dtype: _torch.dtype

    def diagrams(self, include_inf_points: bool) -> list[_torch.Tensor]:
        """Compute the diagrams without the complex, each point read off its critical edges."""
        dgms = _core.vr_persistence(
            self.array,
            self.from_pwdists,
            self.max_dim,
            self.max_diameter,
            self.eps,
            self.dtype == _torch.float32,
            include_inf_points,
            self.n_threads,
        )
        return [self._points(*dgm) for dgm in dgms]

    def _points(
        self,
        birth_edges: _np.ndarray,
        death_edges: _np.ndarray,
        birth_values: _np.ndarray,
        death_values: _np.ndarray,
    ) -> _torch.Tensor:
        device = self.tensor.device
        exact = _torch.from_numpy(_np.stack([birth_values, death_values], axis=1)).to(device, self.dtype)
        if not (self.tensor.requires_grad and self.tensor.is_floating_point()):
            return exact
        edges = _torch.from_numpy(_np.stack([birth_edges, death_edges], axis=1).reshape(-1, 2)).to(device)
        # Vertices (x == y) and essential deaths (-1) are constants; the rest are edge values.
        variable = (edges[:, 0] != edges[:, 1]).reshape(-1, 2)
        edges = edges.clamp(min=0)
        source = self.tensor.to(self.dtype)
        if self.from_pwdists:
            # Entry [x, y] with x > y, exactly as the filtration's values read it.
            formula = source[edges[:, 0], edges[:, 1]].reshape(-1, 2)
            return _torch.where(variable, formula, exact)
        lengths = _geometry.edge_lengths(source, edges, self.eps).reshape(-1, 2)
        # The core's numbers, with the derivative of the length formula (see _vr_values).
        return _torch.where(variable, exact + (lengths - lengths.detach()), exact)


def _vr_values(
    core: _core.Filtration,
    data: _torch.Tensor,
    dtype: _torch.dtype,
    from_pwdists: bool,
    eps: float,
) -> _torch.Tensor:
    device = data.device
    exact = _torch.from_numpy(core.values()).to(device=device, dtype=dtype)
    differentiable = data.requires_grad and data.is_floating_point()
    n_vertices, n_until_higher = core.dim_range(1)
    if not differentiable or n_until_higher == n_vertices:
        return exact
    source = data.to(dtype)
    edges = _torch.from_numpy(core.cells_in_dimension(1).astype(_np.int64)).to(device)
    if from_pwdists:
        # Entry [x, y] with x > y: edges are stored ascending, so the larger vertex is column 1.
        edge_values = source[edges[:, 1], edges[:, 0]]
    else:
        lengths = _geometry.edge_lengths(source, edges, eps)
        # The forward numbers are the core's (exact, rounded) ones; lengths - lengths.detach() is
        # exactly 0 and carries the derivative of the formula.
        edge_values = exact[n_vertices:n_until_higher] + (lengths - lengths.detach())
    critical = core.sources()[n_until_higher:].astype(_np.int64)
    critical -= n_vertices
    higher = edge_values.index_select(0, _torch.from_numpy(critical).to(device))
    return _torch.cat([exact[:n_vertices], edge_values, higher])


def _grid_input(data: Any, name: str = "data") -> tuple[_torch.Tensor, _np.ndarray]:
    tensor = _v.as_tensor(data, name)
    if not 1 <= tensor.ndim <= 4:
        raise ValueError(f"{name} must have 1 to 4 axes; got shape {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(tensor.shape)})")
    return tensor, _v.detached_float64(tensor, name)


def _check_grid_max_dim(max_dim: Any, ndim: int) -> int:
    max_dim = _v.check_int(max_dim, "max_dim")
    if max_dim < 0:
        raise ValueError(f"max_dim must be >= 0; got {max_dim}")
    return min(max_dim, ndim)


class _GridSource:
    """The user's tensor behind a grid filtration, and its version when the cells were ordered.

    ``cube`` holds what a 2-D cubical filtration is built from when its cells are first needed.
    """

    __slots__ = ("data", "version", "cube")

    def __init__(self, data: _torch.Tensor, cube: _LazyCube | None = None) -> None:
        self.data = data
        self.version = data._version
        self.cube = cube

    def tensor(self) -> _torch.Tensor:
        """Return the data, after checking that no in-place change made the cell order stale."""
        if self.data._version != self.version:
            raise RuntimeError(
                "the data of this grid filtration were modified in place after it was built; "
                "build the filtration again"
            )
        return self.data


@dataclass(frozen=True)
class _LazyCube:
    """The arguments of a 2-D cubical filtration, kept until its cells are needed.

    ``array`` is the detached float64 copy made by the builder: the cells are built from the data
    as they were then, as an eager build would have.
    """

    array: _np.ndarray
    negate: bool
    max_dim: int
    values_on_cells: bool
    n_threads: int

    @property
    def counts(self) -> tuple[int, ...]:
        """The number of cells of each dimension 0 … max_dim (SPEC 10.3)."""
        rows, cols = (n + 1 if self.values_on_cells else n for n in self.array.shape)
        squares = (rows - 1) * (cols - 1)
        return (rows * cols, rows * (cols - 1) + (rows - 1) * cols, squares)[: self.max_dim + 1]

    def build(self) -> _core.Filtration:
        """Return the core filtration."""
        return _core.cube_filtration(
            self.array, self.negate, self.max_dim, self.values_on_cells, self.n_threads
        )

    def diagrams(self, include_inf_points: bool, n_threads: int) -> list[_np.ndarray]:
        """Return per dimension the [birth, death] rows as flat data indices (−1: essential)."""
        dgms = _core.cube_persistence(
            self.array, self.negate, self.max_dim, self.values_on_cells, include_inf_points, n_threads
        )
        assert dgms is not None, "a lazy cubical filtration has a grid the direct path handles"
        return dgms


def _gathered_values(core: _core.Filtration, data: _torch.Tensor) -> _torch.Tensor:
    """``data.flatten()[critical index]`` in the filtration dtype, on the data's device."""
    source = data.to(_v.filtration_dtype(data)).reshape(-1)
    values: _torch.Tensor = _GridGather.apply(source, core.sources(), core.values())
    return values


class _GridGather(_torch.autograd.Function):
    """``source[index]`` with the core's numbers and a sparse backward.

    The forward returns the values the core already gathered (in float64, exact in every
    filtration dtype); the backward adds only the non-zero upstream entries: a diagram touches a
    few thousand of a grid's 10^6 cells, and a dense index_add of them all cost as much as the
    reduction.
    """

    @staticmethod
    def forward(ctx: Any, source: _torch.Tensor, index: _np.ndarray, gathered: _np.ndarray) -> _torch.Tensor:
        ctx.index = index
        ctx.size = source.shape[0]
        return _torch.from_numpy(gathered).to(device=source.device, dtype=source.dtype)

    @staticmethod
    def backward(ctx: Any, grad: _torch.Tensor) -> tuple[_torch.Tensor, None, None]:
        grad_source = grad.new_zeros(ctx.size)
        if _torch.is_grad_enabled():
            # A double backward differentiates this with respect to every upstream entry,
            # zeros included.
            index = _torch.from_numpy(ctx.index.astype(_np.int64)).to(grad.device)
            return grad_source.index_add(0, index, grad), None, None
        if grad.device.type == "cpu":
            # numpy finds the few non-zero entries of 10^6 many times faster than torch.nonzero.
            upstream = grad.detach().numpy()
            touched_np = _np.flatnonzero(upstream)
            index = _torch.from_numpy(ctx.index[touched_np].astype(_np.int64))
            grad_source.index_add_(0, index, _torch.from_numpy(upstream[touched_np]))
            return grad_source, None, None
        touched = grad.nonzero().reshape(-1)
        index = _torch.from_numpy(ctx.index[touched.cpu().numpy()].astype(_np.int64)).to(grad.device)
        grad_source.index_add_(0, index, grad[touched])
        return grad_source, None, None


def freudenthal_filtration(
    data: Any,
    negate: bool = False,
    wrap: bool = False,
    max_dim: int = 3,
    *,
    slim: bool = False,
    n_threads: int | None = 1,
) -> DiffFiltration:
    """Build the lower-star filtration of the Freudenthal triangulation of a grid.

    Every unit cube of the grid is split into D! simplices along monotone lattice paths
    (Kuhn's triangulation; in 2-D the diagonal of each square joins (i, j) to (i+1, j+1)). A
    simplex takes the maximum of its vertex values (the minimum with ``negate=True``), so the
    filtration is the lower star (upper star) of the function. The triangulation, its emission
    order and therefore every sid, pair and critical vertex are identical to Oineus's.

    Parameters
    ----------
    data : torch.Tensor or numpy.ndarray with 1 to 4 axes
        The function values on the grid vertices. Any real dtype, any device, any strides.
    negate : bool, default False
        Use the minimum and order by decreasing value (superlevel sets). Values stay raw.
    wrap : bool, default False
        Identify opposite faces (a torus); every axis must have length >= 3.
    max_dim : int, default 3
        The largest simplex dimension; clamped to ``data.ndim``. With 4-D data the default omits
        4-simplices.
    slim : bool, default False
        Accepted for compatibility; no effect.
    n_threads : int or None, default 1
        Worker threads for the construction; the result does not depend on it.

    Returns
    -------
    DiffFiltration
        ``kind == "freudenthal"``. Vertex ids are C-order flat indices into ``data``.

    Raises
    ------
    TypeError
        If ``data`` is not a real tensor or array, or a parameter has the wrong type.
    ValueError
        For 0 or more than 4 axes, empty or non-finite data, a negative ``max_dim``, or ``wrap``
        with an axis shorter than 3.

    Notes
    -----
    **Gradients.** ``values`` is a gather, ``data.flatten()[critical_indices]``: each cell's
    gradient goes to exactly one entry of ``data``, its critical vertex, the first vertex in
    pattern order (anchor first) attaining the extreme. At ties between vertex values the
    gradient follows that rule; the map is piecewise linear, not smooth.

    References
    ----------
    Kuhn, H. W. (1960). Some combinatorial lemmas in topology. IBM J. Res. Dev. 4(5), 518-524.
    doi:10.1147/rd.45.0518

    Examples
    --------
    >>> import torch, oineus_diff as od
    >>> f = torch.tensor([0.0, 3.0, 1.0, 2.0, 0.5, 4.0], dtype=torch.float64, requires_grad=True)
    >>> dgms = od.persistence_diagram(od.freudenthal_filtration(f))
    >>> dgms[0]
    tensor([[0.5000, 3.0000],
            [1.0000, 2.0000]], dtype=torch.float64, grad_fn=<ViewBackward0>)
    """
    tensor, array = _grid_input(data)
    negate = _v.check_bool(negate, "negate")
    wrap = _v.check_bool(wrap, "wrap")
    max_dim = _check_grid_max_dim(max_dim, tensor.ndim)
    _v.check_bool(slim, "slim")
    n_threads = _v.check_n_threads(n_threads)
    if wrap and min(tensor.shape) < 3:
        raise ValueError(
            f"wrap=True needs every axis of data to have length >= 3; got shape {tuple(tensor.shape)}"
        )
    core = _core.freudenthal_filtration(array, negate, wrap, max_dim, n_threads)
    return DiffFiltration._create_grid(core, tensor, data)


_VALUES_ON = ("vertices", "cells", "top_cells")


def cube_filtration(
    data: Any,
    negate: bool = False,
    wrap: bool = False,
    max_dim: int | None = None,
    values_on: str = "vertices",
    n_threads: int | None = 1,
) -> DiffFiltration:
    """Build the filtration of the cubical complex of a grid.

    A cube is an anchor vertex plus a set of axes along which it extends by one step. With
    ``values_on="vertices"`` the data live on the vertices and a cube takes the maximum of its
    vertex values (minimum under ``negate``). With ``values_on="cells"`` (alias ``"top_cells"``)
    the data are the top-dimensional cubes of a vertex grid one larger on every axis, and a
    lower cube takes the minimum (maximum under ``negate``) over the top cubes containing it.
    Sids, pairs and critical indices are identical to Oineus's.

    Parameters
    ----------
    data : torch.Tensor or numpy.ndarray with 1 to 4 axes
        The function values. Any real dtype, any device, any strides.
    negate : bool, default False
        Reverse the order and the extremes (superlevel sets). Values stay raw.
    wrap : bool, default False
        Not supported: ``True`` raises ``ValueError``.
    max_dim : int or None, default None
        The largest cube dimension; ``None`` means ``data.ndim``, larger values are clamped.
    values_on : {"vertices", "cells", "top_cells"}, default "vertices"
        Where the data live; case-insensitive.
    n_threads : int or None, default 1
        Worker threads for the construction; the result does not depend on it.

    Returns
    -------
    DiffFiltration
        ``kind == "cubical"``. Vertex ids are C-order flat indices into ``data`` (vertices) or
        into the vertex grid of shape ``data.shape + 1`` (cells).

    Raises
    ------
    TypeError
        If ``data`` is not a real tensor or array, or a parameter has the wrong type.
    ValueError
        For 0 or more than 4 axes, empty or non-finite data, a negative ``max_dim``,
        ``wrap=True``, or an unknown ``values_on``.

    Notes
    -----
    **Gradients.** ``values`` is a gather, ``data.flatten()[critical_indices]``: each cell's
    gradient goes to one data entry, the first vertex (or top cube) in the documented
    enumeration attaining the extreme. The map is piecewise linear, not smooth.

    **2-D tensors.** The cells of a 2-D tensor's filtration are built when something first
    needs them (``values``, cells, critical sets, index pairs); dgm-loss diagrams are computed
    without them (see :func:`persistence_diagram`). They are built from the data as they were
    at this call.

    References
    ----------
    Kaczynski, T., Mischaikow, K., Mrozek, M. (2004). Computational Homology. Springer.
    doi:10.1007/b97315

    Examples
    --------
    >>> import torch, oineus_diff as od
    >>> img = torch.tensor([[0.0, 5, 1], [4, 6, 2], [3, 7, 0.5]], dtype=torch.float64)
    >>> fil = od.cube_filtration(img, values_on="cells")
    >>> od.persistence_diagram(fil)[0]
    tensor([[0.5000, 5.0000],
            [1.0000, 2.0000],
            [3.0000, 4.0000]], dtype=torch.float64)
    """
    tensor, array = _grid_input(data)
    negate = _v.check_bool(negate, "negate")
    if _v.check_bool(wrap, "wrap"):
        raise ValueError("wrap=True is not supported by cube_filtration")
    max_dim = tensor.ndim if max_dim is None else _check_grid_max_dim(max_dim, tensor.ndim)
    values_on = _v.check_choice(values_on, "values_on", _VALUES_ON)
    n_threads = _v.check_n_threads(n_threads)
    on_cells = values_on != "vertices"
    vertex_grid = [n + 1 if on_cells else n for n in array.shape]
    if (
        isinstance(data, _torch.Tensor)
        and array.ndim == 2
        and min(vertex_grid) >= 2
        and array.size < 2**26
        and _np.isfinite(array).all()
    ):
        # Diagrams of a 2-D grid need no cells (see persistence_diagram); they are built when
        # something asks for them. Bad or oversized data take the eager path, which reports them.
        return DiffFiltration._create_lazy_cube(
            _LazyCube(array, negate, min(max_dim, 2), on_cells, n_threads), tensor
        )
    core = _core.cube_filtration(array, negate, max_dim, on_cells, n_threads)
    return DiffFiltration._create_grid(core, tensor, data)


_LOGGER = logging.getLogger("oineus_diff")


def _delaunay_input(points: Any) -> tuple[_torch.Tensor, _np.ndarray]:
    tensor = _v.as_tensor(points, "points")
    if tensor.ndim != 2 or tensor.shape[1] not in (2, 3):
        raise ValueError(f"points must have shape (n, 2) or (n, 3); got {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        raise ValueError(f"points is empty (shape {tuple(tensor.shape)})")
    return tensor, _v.detached_float64(tensor, "points")


def _check_eps_zero(eps: Any) -> None:
    eps = _v.check_float(eps, "eps")
    if eps != 0.0:
        raise ValueError(f"eps must be 0.0 for Delaunay filtrations (values are exact); got {eps}")


def _delaunay_build(
    builder: Any, points: Any, squared: Any, print_time: Any, n_threads: Any, name: str
) -> DiffFiltration:
    tensor, array = _delaunay_input(points)
    squared = _v.check_bool(squared, "squared")
    print_time = _v.check_bool(print_time, "print_time")
    n_threads = _v.check_n_threads(n_threads)
    dtype = _v.filtration_dtype(tensor)
    start = time.perf_counter()
    core = builder(array, squared, dtype == _torch.float32, n_threads)
    if print_time:
        _LOGGER.info("%s: %d cells built in %.3f s", name, core.size(), time.perf_counter() - start)
    values = _delaunay_values(core, tensor, dtype, squared)
    return DiffFiltration._create(core, values, tuple(tensor.shape))


def _delaunay_values(
    core: _core.Filtration, points: _torch.Tensor, dtype: _torch.dtype, squared: bool
) -> _torch.Tensor:
    """Return the core's values, carrying the derivative of each cell's source closed form."""
    device = points.device
    exact = _torch.from_numpy(core.values()).to(device=device, dtype=dtype)
    n_vertices = core.dim_range(1)[0]
    if not (points.requires_grad and points.is_floating_point()) or len(exact) == n_vertices:
        return exact
    # Formulas run in float64 (no overflow of products of squared lengths in float32); the cast
    # back to the filtration dtype keeps the gradient.
    source = points.to(_torch.float64)
    sources = core.sources().astype(_np.int64)[n_vertices:]
    formula = _torch.zeros(len(sources), dtype=_torch.float64, device=device)
    valid = _torch.ones(len(sources), dtype=_torch.bool, device=device)
    for dim in range(1, core.max_dim() + 1):
        lo, hi = core.dim_range(dim)
        rows = _np.flatnonzero((sources >= lo) & (sources < hi))
        if len(rows) == 0:
            continue
        simplices = core.cells_in_dimension(dim).astype(_np.int64)[sources[rows] - lo]
        radius2, ok = _geometry.circumradius2(source, _torch.from_numpy(simplices).to(device))
        index = _torch.from_numpy(rows).to(device)
        formula = formula.index_copy(0, index, radius2)
        valid = valid.index_copy(0, index, ok)
    if not squared:
        formula = _geometry.safe_sqrt(formula)
    # formula - formula.detach() is exactly 0 in the forward pass and carries the derivative;
    # cells whose closed form under- or overflowed keep the core's value with zero gradient.
    delta = _torch.where(valid & formula.isfinite(), formula - formula.detach(), _torch.zeros_like(formula))
    return exact + _torch.cat([_torch.zeros(n_vertices, dtype=dtype, device=device), delta.to(dtype)])


def alpha_filtration(
    points: Any,
    eps: float = 0.0,
    exact: bool = False,
    print_time: bool = False,
    *,
    squared: bool = True,
    n_threads: int | None = 1,
) -> DiffFiltration:
    """Build the alpha filtration of a 2-D or 3-D point cloud.

    The complex is the Delaunay triangulation of the distinct points with all its faces. A
    simplex's value is its squared alpha value (the CGAL and GUDHI convention): processing
    dimensions from the top down, a *Gabriel* simplex (no vertex of a cofacet strictly inside its
    smallest circumsphere) takes its squared circumradius, and any other simplex takes the
    minimum value over its cofacets. Predicates and Gabriel tests are exact; co-circular and
    co-spherical ties are broken by a symbolic perturbation, so the triangulation depends on the
    points alone. Collinear points give the path along their line, coplanar 3-D points their
    planar triangulation, and exact duplicates are merged into the lowest index.

    Parameters
    ----------
    points : torch.Tensor or numpy.ndarray of shape (n_points, 2) or (n_points, 3)
        The points (rows). Any real dtype, any device, any strides.
    eps : float, default 0.0
        Must be 0.0 (values are always exact).
    exact : bool, default False
        Accepted for compatibility; no effect (predicates are always exact).
    print_time : bool, default False
        Log the construction time to the ``oineus_diff`` logger at INFO level.
    squared : bool, default True
        Squared radii (``True``) or radii (``False``).
    n_threads : int or None, default 1
        Worker threads for the construction; the result does not depend on it.

    Returns
    -------
    DiffFiltration
        ``kind == "alpha"``; ``critical_indices`` is ``None``.

    Raises
    ------
    TypeError
        If ``points`` is not a real tensor or array, or a parameter has the wrong type.
    ValueError
        For a shape other than (n, 2) or (n, 3), empty or non-finite points, ``eps != 0`` or
        ``n_threads < 1``.
    MemoryError
        If the complex does not fit in memory.

    Notes
    -----
    **Gradients.** Each simplex has an *attaching simplex* τ (itself when Gabriel) whose squared
    circumradius is its value; the gradient is that of the closed form of τ's squared
    circumradius with respect to τ's vertices (SPEC §3.4), so it reaches up to four points.
    Vertices are constants. Among cofacets tied at the minimum, the earliest in filtration order
    supplies τ. The forward numbers are the core's float64 values rounded to the filtration
    dtype. Values are piecewise smooth: the attaching simplex changes where the Delaunay
    triangulation or a Gabriel test changes. Merged duplicates receive zero gradient.

    References
    ----------
    Edelsbrunner, H., Mücke, E. P. (1994). Three-dimensional alpha shapes. ACM Transactions on
    Graphics 13(1), 43-72. doi:10.1145/174462.156635

    Examples
    --------
    >>> import torch, oineus_diff as od
    >>> kite = torch.tensor([[-1.0, 0], [1, 0], [0, 2], [0, -2]], dtype=torch.float64)
    >>> dgms = od.persistence_diagram(od.alpha_filtration(kite))
    >>> dgms[1]
    tensor([[1.2500, 1.5625],
            [1.2500, 1.5625]], dtype=torch.float64)
    """
    _check_eps_zero(eps)
    _v.check_bool(exact, "exact")
    return _delaunay_build(_core.alpha_filtration, points, squared, print_time, n_threads, "alpha_filtration")


def weak_alpha_filtration(
    points: Any,
    *,
    packed: bool = False,
    print_time: bool = False,
    squared: bool = True,
    n_threads: int | None = 1,
) -> DiffFiltration:
    """Build the weak alpha filtration of a 2-D or 3-D point cloud.

    The complex is the Delaunay complex of :func:`alpha_filtration`. A simplex's value is the
    squared circumradius of its longest edge, (length)²/4: 0 for vertices, ‖p − q‖²/4 for an
    edge, the largest edge value for triangles and tetrahedra. This is the Vietoris-Rips value
    (on the squared-radius scale) restricted to the Delaunay complex.

    Parameters
    ----------
    points : torch.Tensor or numpy.ndarray of shape (n_points, 2) or (n_points, 3)
        The points (rows). Any real dtype, any device, any strides.
    packed : bool, default False
        Accepted for compatibility; no effect.
    print_time : bool, default False
        Log the construction time to the ``oineus_diff`` logger at INFO level.
    squared : bool, default True
        Squared radii (``True``) or radii, i.e. half edge lengths (``False``).
    n_threads : int or None, default 1
        Worker threads for the construction; the result does not depend on it.

    Returns
    -------
    DiffFiltration
        ``kind == "weak_alpha"``; ``critical_indices`` has shape (n_cells, 2).

    Raises
    ------
    TypeError
        If ``points`` is not a real tensor or array, or a parameter has the wrong type.
    ValueError
        For a shape other than (n, 2) or (n, 3), empty or non-finite points or ``n_threads < 1``.
    MemoryError
        If the complex does not fit in memory.

    Notes
    -----
    **Gradients.** Each cell's gradient goes through its critical edge, chosen by the
    Vietoris-Rips rule (among its longest edges, the smallest as (larger vertex, smaller
    vertex)); tied longest edges do not split the gradient. Vertices are constants. Values are
    piecewise smooth.

    References
    ----------
    Nigmetov, A., Morozov, D. (2024). Topological optimization with big steps. Discrete &
    Computational Geometry. doi:10.1007/s00454-023-00613-x

    Examples
    --------
    >>> import torch, oineus_diff as od
    >>> tri = torch.tensor([[0.0, 0], [2, 0], [1, 0.1]], dtype=torch.float64)
    >>> od.weak_alpha_filtration(tri).values.tolist()
    [0.0, 0.0, 0.0, 0.2525, 0.2525, 1.0, 1.0]
    """
    _v.check_bool(packed, "packed")
    return _delaunay_build(
        _core.weak_alpha_filtration, points, squared, print_time, n_threads, "weak_alpha_filtration"
    )


def cech_delaunay_filtration(
    points: Any,
    eps: float = 0.0,
    *,
    periodic: bool = False,
    bbox_min: Any = None,
    bbox_max: Any = None,
    exact: bool = False,
    packed: bool = False,
    print_time: bool = False,
    squared: bool = True,
    n_threads: int | None = 1,
) -> DiffFiltration:
    """Build the Čech-Delaunay filtration of a 2-D or 3-D point cloud.

    The complex is the Delaunay complex of :func:`alpha_filtration`. A simplex's value is the
    squared radius of the minimum enclosing ball of its vertices: for an edge ‖p − q‖²/4; for an
    obtuse triangle the diametral ball of its longest edge, else its circumball; for a
    tetrahedron the smallest of its circumsphere and the balls of its faces that contain the
    opposite vertex.

    Parameters
    ----------
    points : torch.Tensor or numpy.ndarray of shape (n_points, 2) or (n_points, 3)
        The points (rows). Any real dtype, any device, any strides.
    eps : float, default 0.0
        Must be 0.0 (values are always exact).
    periodic : bool, default False
        Periodic mode is not supported: ``True`` raises ``ValueError``.
    bbox_min, bbox_max : None
        Periodic box corners; must be ``None``.
    exact, packed : bool, default False
        Accepted for compatibility; no effect.
    print_time : bool, default False
        Log the construction time to the ``oineus_diff`` logger at INFO level.
    squared : bool, default True
        Squared radii (``True``) or radii (``False``).
    n_threads : int or None, default 1
        Worker threads for the construction; the result does not depend on it.

    Returns
    -------
    DiffFiltration
        ``kind == "cech_delaunay"``; ``critical_indices`` is ``None``.

    Raises
    ------
    TypeError
        If ``points`` is not a real tensor or array, or a parameter has the wrong type.
    ValueError
        For a shape other than (n, 2) or (n, 3), empty or non-finite points, ``eps != 0``,
        ``periodic=True``, a box corner given, or ``n_threads < 1``.
    MemoryError
        If the complex does not fit in memory.

    Notes
    -----
    **Gradients.** Through the closed form of the ball that gives the value: an acute
    triangle's value depends on its three vertices, an obtuse one's only on its longest edge, a
    tetrahedron's on the simplex whose circumball is its minimum enclosing ball (ties go to the
    circumsphere, then to faces in lexicographic order). Vertices are constants. Values are
    piecewise smooth.

    References
    ----------
    Bauer, U., Edelsbrunner, H. (2017). The Morse theory of Čech and Delaunay complexes.
    Transactions of the AMS 369(5), 3741-3762. doi:10.1090/tran/6991

    Examples
    --------
    >>> import torch, oineus_diff as od
    >>> tri = torch.tensor([[0.0, 0], [2, 0], [1, 0.1]], dtype=torch.float64)
    >>> od.cech_delaunay_filtration(tri).values.tolist()
    [0.0, 0.0, 0.0, 0.2525, 0.2525, 1.0, 1.0]
    """
    _check_eps_zero(eps)
    if _v.check_bool(periodic, "periodic"):
        raise ValueError("periodic=True is not supported by cech_delaunay_filtration")
    if bbox_min is not None or bbox_max is not None:
        raise ValueError("bbox_min and bbox_max must be None (periodic mode is not supported)")
    _v.check_bool(exact, "exact")
    _v.check_bool(packed, "packed")
    return _delaunay_build(
        _core.cech_delaunay_filtration, points, squared, print_time, n_threads, "cech_delaunay_filtration"
    )
