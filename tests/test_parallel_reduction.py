"""Parallel reduction (issue 7): the same index pairs for every ``n_threads``.

The grids are large enough that the triangle block is shared by the threads (the core goes
parallel from 16384 columns on), and Oineus's serial reduction is the oracle for the index
pairs, as in ``tests/reference/test_grid_reference.py``: its sid order equals ours for the grid
builders (SPEC §4.7), so its pairs, normalised, must equal ours exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import oineus_diff as od

THREADS = [1, 2, 3, 4, 8]
NO_DEATH = np.iinfo(np.uint64).max


def noise(shape, seed, plateaus):
    rng = np.random.default_rng(seed)
    if plateaus:
        return rng.integers(0, 6, size=shape).astype(np.float64)
    return rng.random(shape)


def oineus_pairs(data, negate):
    """Oineus's index pairs of the Freudenthal filtration per dimension, essential rows as -1."""
    oineus = pytest.importorskip("oineus")
    grid = oineus.Grid_3D(data, wrap=False, values_on="vertices")
    fil, _ = grid.freudenthal_filtration_and_critical_vertices(max_dim=3, negate=negate, n_threads=1)
    values = np.array([c.value for c in fil.cells()])
    decomposition = oineus.Decomposition(fil, False)
    decomposition.reduce(oineus.ReductionParams())
    dgms = decomposition.diagram(fil, include_inf_points=True)
    out = {}
    for dim in range(3):
        raw = np.asarray(dgms.index_diagram_in_dimension(dim, as_numpy=True), dtype=np.uint64).reshape(-1, 2)
        essential = raw[:, 1] == NO_DEATH
        pairs = raw.astype(np.int64)
        pairs[essential, 1] = -1
        keep = essential | (values[pairs[:, 0]] != values[np.maximum(pairs[:, 1], 0)])
        pairs = pairs[keep]
        out[dim] = pairs[np.argsort(pairs[:, 0], kind="stable")]
    return out


@pytest.mark.reference
@pytest.mark.parametrize("plateaus", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize("negate", [False, True], ids=["sublevel", "superlevel"])
def test_grid_pairs_equal_oineus_for_every_thread_count(plateaus, negate):
    data = noise((15, 16, 17), seed=7 + plateaus, plateaus=plateaus)
    fil = od.freudenthal_filtration(torch.tensor(data), negate=negate)
    expected = oineus_pairs(data, negate)
    for n_threads in THREADS:
        for dualize in (False, True):
            dgms = od.persistence_diagram(fil, dualize=dualize, include_inf_points=True, n_threads=n_threads)
            for dim in range(3):
                np.testing.assert_array_equal(
                    dgms.index_pairs(dim),
                    expected[dim],
                    err_msg=f"H{dim}, n_threads={n_threads}, dualize={dualize}",
                )


def test_alpha_pairs_do_not_depend_on_thread_count():
    # About 2500 random 3-D points: tens of thousands of triangles, reduced in parallel.
    points = torch.tensor(np.random.default_rng(3).random((2500, 3)))
    fil = od.alpha_filtration(points)
    reference = od.persistence_diagram(fil, include_inf_points=True, n_threads=1)
    for n_threads in THREADS[1:]:
        dgms = od.persistence_diagram(fil, include_inf_points=True, n_threads=n_threads)
        for dim in range(fil.max_dim):
            np.testing.assert_array_equal(dgms.index_pairs(dim), reference.index_pairs(dim))
            assert torch.equal(dgms[dim], reference[dim])
    # The diagram is not trivial: the reduced dimension (H1, from triangles) has points.
    assert len(reference.index_pairs(1)) > 100


def test_parallel_diagram_is_differentiable():
    data = torch.tensor(noise((14, 14, 14), seed=11, plateaus=False), requires_grad=True)
    grads = []
    for n_threads in (1, 4):
        fil = od.freudenthal_filtration(data)
        dgm = od.persistence_diagram(fil, n_threads=n_threads)[1]
        (grad,) = torch.autograd.grad((dgm[:, 1] - dgm[:, 0]).sum(), data)
        grads.append(grad)
    assert torch.equal(grads[0], grads[1])
    assert grads[0].abs().sum() > 0


def test_crit_sets_pairs_and_gradient_do_not_depend_on_thread_count():
    # The crit-sets optimizer pairs its complex with the same (parallel) clearing reduction.
    data = noise((14, 14, 14), seed=13, plateaus=False)
    grads, pairs = [], []
    for n_threads in (1, 3):
        x = torch.tensor(data, requires_grad=True)
        fil = od.freudenthal_filtration(x)
        dgms = od.persistence_diagram(fil, gradient_method="crit-sets", n_threads=n_threads)
        pairs.append([dgms.index_pairs(dim) for dim in range(3)])
        (dgms[1][:, 1] - dgms[1][:, 0]).sum().backward()
        assert x.grad is not None
        grads.append(x.grad)
    for a, b in zip(pairs[0], pairs[1], strict=True):
        np.testing.assert_array_equal(a, b)
    assert torch.equal(grads[0], grads[1])
    assert grads[0].abs().sum() > 0
