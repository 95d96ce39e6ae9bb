"""Typed stubs of the compiled extension ``oineus_diff._core`` (checked by mypy.stubtest)."""

from typing import NoReturn, final

import numpy as np
import numpy.typing as npt

__version__: str
__all__ = [
    "Filtration",
    "TopologyOptimizer",
    "__version__",
    "_panic_in_worker",
    "_spin_until_interrupted",
    "alpha_filtration",
    "bottleneck_matching",
    "cech_delaunay_filtration",
    "cube_filtration",
    "cube_persistence",
    "freudenthal_filtration",
    "index_diagrams",
    "render_monitor_frame",
    "vr_filtration",
    "vr_persistence",
    "wasserstein_matching",
    "weak_alpha_filtration",
]

@final
class Filtration:
    """A filtration owned by the core; Python's ``DiffFiltration`` holds one."""

    def size(self) -> int:
        """The number of cells N."""
    def max_dim(self) -> int:
        """The largest cell dimension present."""
    def kind(self) -> str:
        """The builder's public name."""
    def negate(self) -> bool:
        """Whether comparisons are reversed."""
    def dim_range(self, dim: int) -> tuple[int, int]:
        """(start, stop) sids of dimension ``dim``."""
    def values(self) -> npt.NDArray[np.float64]:
        """The values in sid order, as the core computed and rounded them."""
    def sources(self) -> npt.NDArray[np.uint32]:
        """Per sid, the sid of the cell the value is read from."""
    def critical_edges(self) -> npt.NDArray[np.uint32]:
        """Per sid, the critical edge (larger vertex, smaller vertex), shape (N, 2)."""
    def cells_in_dimension(self, dim: int) -> npt.NDArray[np.uint32]:
        """The vertex tuples of dimension ``dim`` in sid order, shape (n, dim + 1)."""
    def cell(self, sid: int) -> list[int]:
        """The ascending vertex ids of cell ``sid``."""
    def sorted_id(self, vertices: list[int]) -> int:
        """The sid of the cell with these vertex ids."""
    def boundary(self, sid: int) -> list[int]:
        """The ascending sids of the facets of cell ``sid``."""
    def boundary_csc(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The boundary matrix in CSC form: (indptr, indices)."""
    def __reduce__(self) -> NoReturn:
        """Pickling is not supported."""

@final
class TopologyOptimizer:
    """A filtration's critical-set state; it caches its reductions."""

    def __new__(cls, fil: Filtration, dualize: bool, single_precision: bool) -> TopologyOptimizer:
        """The state of ``fil``; pairs on cohomology if ``dualize``."""
    def values(self) -> npt.NDArray[np.float64]:
        """The current values, by current sid."""
    def index_diagrams(self, include_inf_points: bool, n_threads: int) -> list[npt.NDArray[np.int64]]:
        """Per dimension 0 … max_dim − 1, an int64 (n, 2) array of [birth sid, death sid] rows."""
    def singletons(
        self, cells: npt.NDArray[np.uint32], targets: npt.NDArray[np.float64], n_threads: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """One critical set per (cell, target), as (offsets, cells)."""
    def combine(
        self,
        targets: npt.NDArray[np.float64],
        offsets: npt.NDArray[np.int64],
        cells: npt.NDArray[np.uint32],
        strategy_name: str,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Resolve explicit critical sets with a strategy."""
    def crit_sets_apply(
        self,
        cells: npt.NDArray[np.uint32],
        targets: npt.NDArray[np.float64],
        strategy_name: str,
        n_threads: int,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """``combine(singletons(cells, targets), strategy)`` in one call."""
    def crit_sets_gradient(
        self,
        cells: npt.NDArray[np.uint32],
        targets: npt.NDArray[np.float64],
        strategy_name: str,
        n_threads: int,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """The crit-sets gradient on the values: touched sids and f − t."""
    def move_cell(self, kind: str, sid: int, target: float | None, n_threads: int) -> list[int]:
        """The critical set of one explicit move."""
    def reduce_all(self, n_threads: int) -> None:
        """Reduce both sides of every dimension completely."""
    def update(self, values: npt.NDArray[np.float64], n_threads: int) -> npt.NDArray[np.int64]:
        """Replace the values and re-sort; returns perm with perm[new sid] = old sid."""

def vr_filtration(
    data: npt.NDArray[np.float64],
    from_pwdists: bool,
    max_dim: int,
    max_diameter: float | None,
    eps: float,
    single_precision: bool,
    n_threads: int,
) -> Filtration:
    """Build a Vietoris-Rips filtration from a contiguous float64 array."""

def vr_persistence(
    data: npt.NDArray[np.float64],
    from_pwdists: bool,
    max_dim: int,
    max_diameter: float | None,
    eps: float,
    single_precision: bool,
    include_inf_points: bool,
    n_threads: int,
) -> list[
    tuple[
        npt.NDArray[np.int64],
        npt.NDArray[np.int64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
    ]
]:
    """Per dimension: birth and death critical edges and values, without building the complex."""

def freudenthal_filtration(
    data: npt.NDArray[np.float64], negate: bool, wrap: bool, max_dim: int, n_threads: int
) -> Filtration:
    """Build a Freudenthal filtration from a contiguous float64 array of 1 to 4 axes."""

def cube_filtration(
    data: npt.NDArray[np.float64], negate: bool, max_dim: int, values_on_cells: bool, n_threads: int
) -> Filtration:
    """Build a cubical filtration from a contiguous float64 array of 1 to 4 axes."""

def cube_persistence(
    data: npt.NDArray[np.float64],
    negate: bool,
    max_dim: int,
    values_on_cells: bool,
    include_inf_points: bool,
    n_threads: int,
) -> list[npt.NDArray[np.int64]] | None:
    """Diagrams of a 2-D cubical filtration without building it, as [birth, death] source rows."""

def alpha_filtration(
    points: npt.NDArray[np.float64], squared: bool, single_precision: bool, n_threads: int
) -> Filtration:
    """Build an alpha filtration from a contiguous float64 (n, 2) or (n, 3) array."""

def weak_alpha_filtration(
    points: npt.NDArray[np.float64], squared: bool, single_precision: bool, n_threads: int
) -> Filtration:
    """Build a weak alpha filtration from a contiguous float64 (n, 2) or (n, 3) array."""

def cech_delaunay_filtration(
    points: npt.NDArray[np.float64], squared: bool, single_precision: bool, n_threads: int
) -> Filtration:
    """Build a Čech–Delaunay filtration from a contiguous float64 (n, 2) or (n, 3) array."""

def index_diagrams(
    fil: Filtration, dualize: bool, include_inf_points: bool, n_threads: int
) -> list[npt.NDArray[np.int64]]:
    """Per dimension 0 … max_dim − 1, an int64 (n, 2) array of [birth sid, death sid] rows."""

_MatchingArrays = tuple[
    npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], list[npt.NDArray[np.int64]]
]

def wasserstein_matching(
    dgm_1: npt.NDArray[np.float64],
    dgm_2: npt.NDArray[np.float64],
    q: float,
    delta: float,
    internal_p: float,
    include_essential: bool,
) -> tuple[_MatchingArrays, float]:
    """A (1 + delta)-approximate Wasserstein matching by auction: (matching arrays, cost)."""

def bottleneck_matching(
    dgm_1: npt.NDArray[np.float64],
    dgm_2: npt.NDArray[np.float64],
    delta: float,
    include_essential: bool,
) -> tuple[
    _MatchingArrays,
    float,
    tuple[
        npt.NDArray[np.int64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        list[npt.NDArray[np.int64]],
    ],
]:
    """A bottleneck matching: (matching arrays, distance, longest-edge arrays)."""

def render_monitor_frame(
    width: int,
    height: int,
    title: str,
    data_kind: str,
    data: npt.NDArray[np.float64],
    data_arrows: npt.NDArray[np.float64] | None,
    diagram_dims: list[int],
    diagrams: list[npt.NDArray[np.float64]],
    diagram_arrows: list[npt.NDArray[np.float64] | None],
    steps: npt.NDArray[np.float64],
    losses: npt.NDArray[np.float64],
    log_loss: bool,
) -> bytes:
    """Render one monitor frame (data, diagrams with descent arrows, loss) to PNG bytes."""

def _panic_in_worker() -> None:
    """Panic inside a worker on purpose (tests the panic boundary)."""

def _spin_until_interrupted(seconds: float) -> bool:
    """Spin in a worker until interrupted or ``seconds`` pass (tests Ctrl-C)."""
