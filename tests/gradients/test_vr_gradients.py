"""Gradients of Vietoris-Rips values and diagrams (SPEC §3.1, §4.3, §10.4; STYLE §5).

(a) exact gradients on inputs small enough to compute by hand, (b) ``gradcheck`` in float64 on
tie-free random inputs, (c) gradients are exactly zero away from the pairs' critical edges.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

import oineus_diff as od

INF = float("inf")


def persistence(dgm):
    return dgm[:, 1] - dgm[:, 0]


def finite_rows(dgm):
    return dgm[torch.isfinite(dgm[:, 1])]


def tie_free_cloud(seed, n, d, min_gap=1e-4):
    """A random cloud whose pairwise distances are pairwise at least ``min_gap`` apart."""
    rng = np.random.default_rng(seed)
    while True:
        pts = rng.random((n, d))
        lengths = sorted(math.dist(pts[i], pts[j]) for i, j in itertools.combinations(range(n), 2))
        if min(b - a for a, b in itertools.pairwise(lengths)) > min_gap:
            return torch.tensor(pts, dtype=torch.float64)


def tie_free_distance_matrix(seed, n, min_gap=1e-4):
    rng = np.random.default_rng(seed)
    while True:
        lower = np.tril(rng.random((n, n)) + 0.5, -1)
        entries = np.sort(lower[np.tril_indices(n, -1)])
        if np.min(np.diff(entries)) > min_gap:
            return torch.tensor(lower + lower.T, dtype=torch.float64)


# ---------------------------------------------------------------------------------------------
# (a) exact gradients
# ---------------------------------------------------------------------------------------------


def test_two_point_h0_death_gradient_is_unit_direction():
    pts = torch.tensor([[0.0, 0.0], [3.0, 4.0]], dtype=torch.float64, requires_grad=True)
    dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=1))
    assert dgms[0].tolist() == [[0.0, 5.0]]
    dgms[0][0, 1].backward()
    # (p0 - p1) / |p0 - p1| and its opposite, up to one rounding of the sqrt derivative.
    np.testing.assert_allclose(pts.grad.numpy(), [[-0.6, -0.8], [0.6, 0.8]], rtol=4e-16, atol=0)


@pytest.mark.parametrize("seed", range(3))
def test_two_point_gradient_in_higher_dimension(seed):
    raw = np.random.default_rng(seed).normal(size=(2, 4))
    pts = torch.tensor(raw, requires_grad=True)
    dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=1))
    length = np.sqrt(((raw[0] - raw[1]) ** 2).sum())
    assert dgms[0][0, 1].item() == pytest.approx(length, rel=1e-15)
    (3.0 * persistence(dgms[0]).sum()).backward()
    unit = (raw[0] - raw[1]) / length
    np.testing.assert_allclose(pts.grad.numpy(), 3.0 * np.stack([unit, -unit]), rtol=1e-14)


def test_collinear_points_h0_deaths_gradient():
    # Deaths at edges (0,1) length 1 and (1,2) length 2; the edge (0,2) is never a death.
    pts = torch.tensor([[0.0], [1.0], [3.0]], dtype=torch.float64, requires_grad=True)
    dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=1, max_diameter=INF))
    assert dgms[0].tolist() == [[0.0, 1.0], [0.0, 2.0]]
    weights = torch.tensor([10.0, 100.0], dtype=torch.float64)
    (dgms[0][:, 1] * weights).sum().backward()
    # d(|p1 - p0|)/dp = (-1, 1, 0); d(|p2 - p1|)/dp = (0, -1, 1).
    assert pts.grad.flatten().tolist() == [-10.0, 10.0 - 100.0, 100.0]


def test_unit_square_h1_gradient_matches_spec_vector():
    pts = torch.tensor(
        [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64, requires_grad=True
    )
    dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=2))
    persistence(dgms[1]).sum().backward()
    expected = [
        [-0.70710678, -0.70710678],
        [0.0, 0.0],
        [1.0, 0.0],
        [-0.29289322, 0.70710678],
    ]
    np.testing.assert_allclose(pts.grad.numpy(), expected, atol=5e-9)
    # Birth edge (2, 3) pulls p2 and p3 apart along x; death edge (3, 0) is the diagonal.
    a = 1 / math.sqrt(2)
    np.testing.assert_allclose(
        pts.grad.numpy(), [[-a, -a], [0, 0], [1, 0], [a - 1, a]], rtol=1e-15, atol=1e-16
    )


def test_coincident_points_get_finite_zero_gradient_from_zero_edge():
    pts = torch.tensor([[0.0, 0.0], [0.0, 0.0], [3.0, 4.0]], dtype=torch.float64, requires_grad=True)
    fil = od.vr_filtration(pts, max_dim=1)
    # Only the zero-length edge (0, 1) at sid 3.
    fil.values[3].backward()
    assert pts.grad.tolist() == [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]


def test_distance_matrix_h0_gradient_lands_in_lower_triangle():
    dmat = torch.tensor(
        [[0.0, 1.0, 2.0], [1.0, 0.0, 1.5], [2.0, 1.5, 0.0]], dtype=torch.float64, requires_grad=True
    )
    dgms = od.persistence_diagram(od.vr_filtration(dmat, from_pwdists=True, max_dim=1))
    (dgms[0][:, 1] * torch.tensor([2.0, 3.0], dtype=torch.float64)).sum().backward()
    assert dmat.grad.tolist() == [[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 3.0, 0.0]]


# ---------------------------------------------------------------------------------------------
# (b) gradcheck in float64
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed,n,d", [(0, 7, 2), (1, 7, 3)])
def test_gradcheck_values_of_tie_free_cloud(seed, n, d):
    pts = tie_free_cloud(seed, n, d).requires_grad_(True)
    reference = od.vr_filtration(pts.detach(), max_dim=2, max_diameter=INF)

    def values(x):
        fil = od.vr_filtration(x, max_dim=2, max_diameter=INF)
        assert fil.cells() == reference.cells()
        return fil.values

    assert torch.autograd.gradcheck(values, (pts,), eps=1e-6, atol=1e-7, rtol=1e-5)


@pytest.mark.parametrize("seed,n,d", [(2, 12, 2), (3, 10, 3)])
def test_gradcheck_squared_persistence_loss(seed, n, d):
    pts = tie_free_cloud(seed, n, d).requires_grad_(True)
    reference = od.persistence_diagram(od.vr_filtration(pts.detach(), max_dim=2))
    assert len(reference[1]) > 0

    def loss(x):
        dgms = od.persistence_diagram(od.vr_filtration(x, max_dim=2), include_inf_points=True)
        for dim in dgms:  # the pairing is the same at every perturbed point
            finite = dgms.index_pairs(dim)[dgms.index_pairs(dim)[:, 1] >= 0]
            np.testing.assert_array_equal(finite, reference.index_pairs(dim))
        return sum((persistence(finite_rows(dgms[dim])) ** 2).sum() for dim in (0, 1))

    assert torch.autograd.gradcheck(loss, (pts,), eps=1e-6, atol=1e-7, rtol=1e-5)


def test_gradcheck_distance_matrix_values_and_diagram_loss():
    dmat = tie_free_distance_matrix(4, 6).requires_grad_(True)

    def values(x):
        return od.vr_filtration(x, from_pwdists=True, max_dim=2, max_diameter=INF).values

    def loss(x):
        dgms = od.persistence_diagram(od.vr_filtration(x, from_pwdists=True, max_dim=2))
        return sum((persistence(dgms[dim]) ** 2).sum() for dim in dgms)

    assert torch.autograd.gradcheck(values, (dmat,), eps=1e-6, atol=1e-7, rtol=1e-5)
    assert torch.autograd.gradcheck(loss, (dmat,), eps=1e-6, atol=1e-7, rtol=1e-5)


def test_gradgradcheck_squared_persistence_loss():
    pts = tie_free_cloud(5, 8, 2).requires_grad_(True)

    def loss(x):
        dgms = od.persistence_diagram(od.vr_filtration(x, max_dim=2))
        return sum((persistence(dgms[dim]) ** 2).sum() for dim in dgms)

    assert torch.autograd.gradgradcheck(loss, (pts,), eps=1e-6, atol=1e-6, rtol=1e-4)


# ---------------------------------------------------------------------------------------------
# (c) gradients vanish away from the pairs' critical edges
# ---------------------------------------------------------------------------------------------


def critical_points(dgms, dims):
    crit = dgms.filtration.critical_indices
    points = set()
    for dim in dims:
        for sids in dgms.index_pairs(dim):
            for sid in sids:
                if sid >= 0:
                    points.update(int(v) for v in crit[sid])
    return points


@pytest.mark.parametrize("seed", range(3))
def test_gradient_is_zero_on_points_outside_h1_critical_edges(seed):
    pts = tie_free_cloud(seed + 10, 40, 2, min_gap=0).requires_grad_(True)
    dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=2))
    assert len(dgms[1]) > 0
    persistence(dgms[1]).sum().backward()
    involved = critical_points(dgms, [1])
    assert 0 < len(involved) < 40
    others = sorted(set(range(40)) - involved)
    assert torch.count_nonzero(pts.grad[others]) == 0
    # Every point of a critical edge moves unless contributions cancel exactly (they do not
    # for random data).
    assert torch.all(pts.grad[sorted(involved)].abs().sum(dim=1) > 0)


def test_gradient_is_zero_on_points_outside_h0_death_edges():
    pts = tie_free_cloud(20, 30, 3, min_gap=0).requires_grad_(True)
    dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=1), include_inf_points=True)
    # Only the 3 longest H0 deaths.
    deaths = finite_rows(dgms[0])[:, 1]
    top = torch.topk(deaths, 3).values
    top.sum().backward()
    crit = dgms.filtration.critical_indices
    finite_pairs = dgms.index_pairs(0)[dgms.index_pairs(0)[:, 1] >= 0]
    chosen = torch.topk(deaths.detach(), 3).indices.tolist()
    involved = {int(v) for k in chosen for v in crit[finite_pairs[k, 1]]}
    assert len(involved) <= 6
    others = sorted(set(range(30)) - involved)
    assert torch.count_nonzero(pts.grad[others]) == 0
    p = pts.detach()
    expected = torch.zeros_like(p)
    for k in chosen:
        x, y = crit[finite_pairs[k, 1]]
        unit = (p[x] - p[y]) / torch.linalg.vector_norm(p[x] - p[y])
        expected[x] += unit
        expected[y] -= unit
    np.testing.assert_allclose(pts.grad.numpy(), expected.numpy(), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("seed", range(3))
def test_distance_matrix_gradient_only_on_critical_entries_in_lower_triangle(seed):
    n = 12
    dmat = tie_free_distance_matrix(seed, n, min_gap=0).requires_grad_(True)
    fil = od.vr_filtration(dmat, from_pwdists=True, max_dim=2)
    dgms = od.persistence_diagram(fil, include_inf_points=True)
    upstream = {
        dim: torch.arange(1.0, 2 * len(dgms[dim]) + 1, dtype=torch.float64).reshape(-1, 2) for dim in dgms
    }
    loss = sum(
        (finite_rows(dgms[dim]) * upstream[dim][torch.isfinite(dgms[dim][:, 1])]).sum() for dim in dgms
    )
    loss = loss + sum(
        (dgms[dim][:, 0] * upstream[dim][:, 0])[~torch.isfinite(dgms[dim][:, 1])].sum() for dim in dgms
    )
    loss.backward()
    crit = fil.critical_indices
    expected = np.zeros((n, n))
    for dim in dgms:
        for (birth, death), g in zip(dgms.index_pairs(dim), upstream[dim].tolist(), strict=True):
            for sid, gv in ((birth, g[0]), (death, g[1])):
                if sid < 0:
                    continue
                x, y = crit[sid]
                if x != y:
                    assert x > y
                    expected[x, y] += gv
    np.testing.assert_array_equal(dmat.grad.numpy(), expected)
    assert np.count_nonzero(np.triu(dmat.grad.numpy())) == 0
    assert np.count_nonzero(expected) > n - 2
