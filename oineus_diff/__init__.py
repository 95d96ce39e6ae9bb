"""oineus_diff: differentiable persistent homology for PyTorch, with a Rust core.

Build a filtration from a tensor, compute its persistence diagrams as tensors, write any loss
on them and call ``backward()``: gradients reach the input.

>>> import torch, oineus_diff as od
>>> pts = torch.randn(30, 2, dtype=torch.float64, requires_grad=True)
>>> dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=2))
>>> loss = -(dgms[1][:, 1] - dgms[1][:, 0]).sum()
>>> loss.backward()
>>> pts.grad.shape
torch.Size([30, 2])
"""

from oineus_diff._core import __version__
from oineus_diff.distances import (
    BottleneckMatching,
    DiagramMatching,
    bottleneck_distance,
    bottleneck_matching,
    point_to_diagonal,
    sliced_wasserstein_distance,
    sliced_wasserstein_distance_diag_corrected,
    wasserstein_cost,
    wasserstein_distance,
    wasserstein_matching,
)
from oineus_diff.filtrations import (
    DiffFiltration,
    alpha_filtration,
    cech_delaunay_filtration,
    cube_filtration,
    freudenthal_filtration,
    vr_filtration,
    weak_alpha_filtration,
)
from oineus_diff.optimizer import ConflictStrategy, DenoiseStrategy, IndicesValues, TopologyOptimizer
from oineus_diff.persistence import PersistenceDiagrams, persistence_diagram
from oineus_diff.plotting import plot_diagram, plot_diagram_gradient, plot_matching
from oineus_diff.widgets import OptimizationMonitor

__all__ = [
    "BottleneckMatching",
    "ConflictStrategy",
    "DenoiseStrategy",
    "DiagramMatching",
    "DiffFiltration",
    "IndicesValues",
    "OptimizationMonitor",
    "PersistenceDiagrams",
    "TopologyOptimizer",
    "__version__",
    "alpha_filtration",
    "bottleneck_distance",
    "bottleneck_matching",
    "cech_delaunay_filtration",
    "cube_filtration",
    "freudenthal_filtration",
    "persistence_diagram",
    "plot_diagram",
    "plot_diagram_gradient",
    "plot_matching",
    "point_to_diagonal",
    "sliced_wasserstein_distance",
    "sliced_wasserstein_distance_diag_corrected",
    "vr_filtration",
    "wasserstein_cost",
    "wasserstein_distance",
    "wasserstein_matching",
    "weak_alpha_filtration",
]
