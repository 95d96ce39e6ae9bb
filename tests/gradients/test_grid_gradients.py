"""Gradients of grid filtrations and their diagrams (SPEC §3.2, §3.3, §4.3, §4.8, §10.2; STYLE §5).

(a) exact gradients of the SPEC vectors, (b) ``gradcheck`` in float64 on tie-free random
grids, (c) the gradient on the data is exactly the scatter of the upstream gradient through
``critical_indices`` of the pairs' cells, and zero on every other entry.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import oineus_diff as od

BUILDERS = ["freudenthal", "cube-vertices", "cube-cells"]
F_3X3 = [[0.0, 5.0, 1.0], [4.0, 6.0, 2.0], [3.0, 7.0, 0.5]]
MICRO = [0.0, 3.0, 1.0, 2.0, 0.5, 4.0]


def build(builder, data, **kwargs):
    if builder == "freudenthal":
        return od.freudenthal_filtration(data, **kwargs)
    values_on = "vertices" if builder == "cube-vertices" else "cells"
    return od.cube_filtration(data, values_on=values_on, **kwargs)


def tie_free_grid(seed, shape):
    """Distinct values k / n in a random arrangement: every gap is 1 / n, far above gradcheck's eps."""
    n = int(np.prod(shape))
    ranks = np.random.default_rng(seed).permutation(n).reshape(shape)
    return torch.tensor(ranks / n, dtype=torch.float64)


def is_essential(dgms, dim):
    return torch.from_numpy(dgms.index_pairs(dim)[:, 1] < 0)


# ---------------------------------------------------------------------------------------------
# (a) exact gradients
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("builder", BUILDERS)
def test_spec_3x3_grid_dgm_loss_gradient(builder):
    data = torch.tensor(F_3X3, dtype=torch.float64, requires_grad=True)
    dgms = od.persistence_diagram(build(builder, data))
    (dgms[0][:, 1] - dgms[0][:, 0]).sum().backward()
    assert data.grad.tolist() == [[0.0, 1.0, -1.0], [1.0, 0.0, 1.0], [-1.0, 0.0, -1.0]]


def test_micro_example_dgm_loss_gradient():
    data = torch.tensor(MICRO, dtype=torch.float64, requires_grad=True)
    dgms = od.persistence_diagram(od.freudenthal_filtration(data))
    (dgms[0][:, 1] - dgms[0][:, 0]).sum().backward()
    assert data.grad.tolist() == [0.0, 1.0, -1.0, 1.0, -1.0, 0.0]


def test_micro_example_negated_dgm_loss_gradient():
    data = torch.tensor(MICRO, dtype=torch.float64, requires_grad=True)
    dgms = od.persistence_diagram(od.freudenthal_filtration(data, negate=True))
    # Under negate the persistence is birth - death.
    (dgms[0][:, 0] - dgms[0][:, 1]).sum().backward()
    assert data.grad.tolist() == [0.0, 1.0, -1.0, 1.0, -1.0, 0.0]


def test_micro_example_essential_birth_gradient_reaches_the_minimum():
    data = torch.tensor(MICRO, dtype=torch.float64, requires_grad=True)
    dgms = od.persistence_diagram(od.freudenthal_filtration(data), include_inf_points=True)
    # 3 * (essential birth) + the death column, whose essential entry (inf) must be ignored.
    (3.0 * dgms[0][0, 0] + torch.where(is_essential(dgms, 0), 0.0, dgms[0][:, 1]).sum()).backward()
    assert data.grad.tolist() == [3.0, 1.0, 0.0, 1.0, 0.0, 0.0]


@pytest.mark.parametrize("builder", BUILDERS)
def test_spec_3x3_grid_values_gradient_is_the_cell_count_per_entry(builder):
    data = torch.tensor(F_3X3, dtype=torch.float64, requires_grad=True)
    fil = build(builder, data)
    fil.values.sum().backward()
    assert data.grad.sum().item() == len(fil)
    expected = np.bincount(fil.critical_indices, minlength=9).reshape(3, 3)
    np.testing.assert_array_equal(data.grad.numpy(), expected)


# ---------------------------------------------------------------------------------------------
# (b) gradcheck in float64
# ---------------------------------------------------------------------------------------------


def squared_persistence_and_essential_loss(dgms):
    """Sum of squared finite persistence over every dimension plus sum of squared essential births."""
    total = 0
    for dim in dgms:
        essential = is_essential(dgms, dim)
        finite = dgms[dim][~essential]
        total = total + ((finite[:, 1] - finite[:, 0]) ** 2).sum()
        total = total + 0.5 * (dgms[dim][essential, 0] ** 2).sum()
    return total


GRADCHECK_CASES = [
    pytest.param("freudenthal", (5, 6), {}, id="freudenthal-5x6"),
    pytest.param("freudenthal", (6, 5), {"negate": True}, id="freudenthal-6x5-neg"),
    pytest.param("freudenthal", (3, 4, 3), {}, id="freudenthal-3x4x3"),
    pytest.param("freudenthal", (4, 5), {"wrap": True}, id="freudenthal-wrap-4x5"),
    pytest.param("cube-vertices", (5, 6), {}, id="cube-vertices-5x6"),
    pytest.param("cube-vertices", (3, 4, 3), {"negate": True}, id="cube-vertices-3x4x3-neg"),
    pytest.param("cube-cells", (5, 6), {}, id="cube-cells-5x6"),
    pytest.param("cube-cells", (3, 3, 4), {"negate": True}, id="cube-cells-3x3x4-neg"),
]


@pytest.mark.parametrize("builder,shape,kwargs", GRADCHECK_CASES)
def test_gradcheck_diagram_loss_on_tie_free_grid(builder, shape, kwargs):
    data = tie_free_grid(sum(shape), shape).requires_grad_(True)
    reference = od.persistence_diagram(build(builder, data.detach(), **kwargs), include_inf_points=True)
    assert len(reference[0]) > 1 and len(reference[1]) > 0

    def loss(x):
        dgms = od.persistence_diagram(build(builder, x, **kwargs), include_inf_points=True)
        for dim in dgms:  # the pairing is the same at every perturbed point
            np.testing.assert_array_equal(dgms.index_pairs(dim), reference.index_pairs(dim))
        return squared_persistence_and_essential_loss(dgms)

    assert torch.autograd.gradcheck(loss, (data,), eps=1e-6, atol=1e-7, rtol=1e-5)


@pytest.mark.parametrize("builder", BUILDERS)
def test_gradcheck_values_on_tie_free_grid(builder):
    data = tie_free_grid(3, (4, 5)).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: build(builder, x).values, (data,), eps=1e-6, atol=1e-7)


def test_gradgradcheck_squared_persistence_loss():
    data = tie_free_grid(4, (4, 5)).requires_grad_(True)

    def loss(x):
        return squared_persistence_and_essential_loss(
            od.persistence_diagram(od.freudenthal_filtration(x), include_inf_points=True)
        )

    assert torch.autograd.gradgradcheck(loss, (data,), eps=1e-6, atol=1e-6, rtol=1e-4)


# ---------------------------------------------------------------------------------------------
# (c) the gradient is the scatter through the pairs' critical entries, zero elsewhere
# ---------------------------------------------------------------------------------------------


def expected_scatter(dgms, upstream, n_entries):
    crit = dgms.filtration.critical_indices
    grad = np.zeros(n_entries)
    for dim in dgms:
        for (birth, death), (g_birth, g_death) in zip(
            dgms.index_pairs(dim), upstream[dim].tolist(), strict=True
        ):
            grad[crit[birth]] += g_birth
            if death >= 0:
                grad[crit[death]] += g_death
    return grad


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("negate", [False, True])
@pytest.mark.parametrize("shape,plateaus", [((12, 13), False), ((12, 13), True), ((5, 6, 5), True)])
def test_gradient_is_the_scatter_through_critical_indices(builder, negate, shape, plateaus):
    rng = np.random.default_rng(sum(shape) + plateaus)
    raw = rng.integers(0, 4, size=shape).astype(np.float64) if plateaus else rng.random(shape)
    data = torch.tensor(raw, requires_grad=True)
    dgms = od.persistence_diagram(build(builder, data, negate=negate), include_inf_points=True)
    # Integer upstream gradients keep every sum exact.
    upstream = {}
    loss = 0
    for dim in dgms:
        upstream[dim] = torch.tensor(rng.integers(-3, 4, size=(len(dgms[dim]), 2)), dtype=torch.float64)
        finite = torch.where(torch.isfinite(dgms[dim]), dgms[dim], 0.0)
        loss = loss + (finite * upstream[dim]).sum()
    loss.backward()
    expected = expected_scatter(dgms, upstream, data.numel()).reshape(shape)
    np.testing.assert_array_equal(data.grad.numpy(), expected)
    crit = dgms.filtration.critical_indices
    touched = set()
    for dim in dgms:
        touched.update(int(crit[s]) for s in dgms.index_pairs(dim).ravel() if s >= 0)
    untouched = np.setdiff1d(np.arange(data.numel()), sorted(touched))
    assert len(untouched) > 0
    assert np.count_nonzero(data.grad.numpy().ravel()[untouched]) == 0


@pytest.mark.parametrize("builder", BUILDERS)
def test_h1_loss_moves_only_h1_critical_entries(builder):
    data = tie_free_grid(21, (15, 15)).requires_grad_(True)
    dgms = od.persistence_diagram(build(builder, data))
    assert len(dgms[1]) > 0
    (dgms[1][:, 1] - dgms[1][:, 0]).sum().backward()
    crit = dgms.filtration.critical_indices
    births = crit[dgms.index_pairs(1)[:, 0]]
    deaths = crit[dgms.index_pairs(1)[:, 1]]
    expected = np.zeros(data.numel())
    np.add.at(expected, births, -1.0)
    np.add.at(expected, deaths, 1.0)
    np.testing.assert_array_equal(data.grad.numpy().ravel(), expected)
    assert np.count_nonzero(expected) < data.numel() // 2
