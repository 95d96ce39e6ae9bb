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
from oineus_diff.filtrations import (
    DiffFiltration,
    alpha_filtration,
    cech_delaunay_filtration,
    cube_filtration,
    freudenthal_filtration,
    vr_filtration,
    weak_alpha_filtration,
)
from oineus_diff.optimizer import ConflictStrategy, DenoiseStrategy
from oineus_diff.persistence import PersistenceDiagrams, persistence_diagram

__all__ = [
    "ConflictStrategy",
    "DenoiseStrategy",
    "DiffFiltration",
    "PersistenceDiagrams",
    "__version__",
    "alpha_filtration",
    "cech_delaunay_filtration",
    "cube_filtration",
    "freudenthal_filtration",
    "persistence_diagram",
    "vr_filtration",
    "weak_alpha_filtration",
]
