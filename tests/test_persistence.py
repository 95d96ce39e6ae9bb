"""persistence_diagram and PersistenceDiagrams (SPEC §1.3, §4.1-4.3, §10.4)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import oineus_diff as od

INF = float("inf")
SQRT2 = math.sqrt(2.0)


def assert_identical(actual, expected):
    """Same dtype, shape and bits."""
    assert actual.dtype == expected.dtype
    assert actual.shape == expected.shape
    assert torch.equal(actual, expected), (actual, expected)


def unit_square(dtype=torch.float64, requires_grad=True):
    pts = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    return torch.tensor(pts, dtype=dtype, requires_grad=requires_grad)


def random_cloud(seed, n=30, d=2):
    return torch.tensor(np.random.default_rng(seed).random((n, d)))


def integer_cloud(seed, n=16, d=2, side=4):
    rng = np.random.default_rng(seed)
    return torch.tensor(rng.integers(0, side, size=(n, d)).astype(np.float64))


def persistence(dgm):
    return dgm[:, 1] - dgm[:, 0]


# ---------------------------------------------------------------------------------------------
# SPEC §10.4 vectors
# ---------------------------------------------------------------------------------------------


def test_unit_square_sids_and_critical_indices():
    fil = od.vr_filtration(unit_square(), max_dim=2)
    assert fil.cells()[4:10] == [(0, 1), (0, 2), (1, 3), (2, 3), (0, 3), (1, 2)]
    assert fil.cells()[10:14] == [(0, 1, 2), (0, 1, 3), (0, 2, 3), (1, 2, 3)]
    expected = [[1, 0], [2, 0], [3, 1], [3, 2], [3, 0], [2, 1], [2, 1], [3, 0], [3, 0], [2, 1]]
    np.testing.assert_array_equal(fil.critical_indices[4:], expected)
    assert fil.values.tolist() == [0.0] * 4 + [1.0] * 4 + [SQRT2] * 6


def test_unit_square_diagrams_and_index_pairs():
    fil = od.vr_filtration(unit_square(), max_dim=2)
    dgms = od.persistence_diagram(fil)
    assert list(dgms.keys()) == [0, 1]
    assert dgms[0].tolist() == [[0.0, 1.0]] * 3
    assert dgms[1].tolist() == [[1.0, SQRT2]]
    np.testing.assert_array_equal(dgms.index_pairs(0), [[1, 4], [2, 5], [3, 6]])
    np.testing.assert_array_equal(dgms.index_pairs(1), [[7, 12]])
    assert fil.cell(12) == (0, 2, 3)


def test_unit_square_essential_point():
    dgms = od.persistence_diagram(od.vr_filtration(unit_square(), max_dim=2), include_inf_points=True)
    assert dgms[0].tolist() == [[0.0, INF], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0]]
    np.testing.assert_array_equal(dgms.index_pairs(0), [[0, -1], [1, 4], [2, 5], [3, 6]])
    # H1 of the truncated complex has no essential class here.
    assert dgms[1].tolist() == [[1.0, SQRT2]]
    np.testing.assert_array_equal(dgms.index_pairs(1), [[7, 12]])


def test_unit_square_h1_persistence_gradient():
    pts = unit_square()
    dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=2))
    persistence(dgms[1]).sum().backward()
    a = 1 / SQRT2
    expected = np.array([[-a, -a], [0.0, 0.0], [1.0, 0.0], [a - 1.0, a]])
    np.testing.assert_allclose(pts.grad.numpy(), expected, rtol=1e-12, atol=1e-15)
    assert pts.grad[1].tolist() == [0.0, 0.0]


def test_coincident_points_vector():
    pts = torch.tensor([[0.0, 0.0], [0.0, 0.0], [3.0, 4.0]], dtype=torch.float64, requires_grad=True)
    fil = od.vr_filtration(pts, max_dim=1)
    assert fil.values.tolist() == [0.0, 0.0, 0.0, 0.0, 5.0, 5.0]
    dgms = od.persistence_diagram(fil)
    assert dgms[0].tolist() == [[0.0, 5.0]]
    np.testing.assert_array_equal(dgms.index_pairs(0), [[2, 4]])
    fil.values.sum().backward()
    expected = [[-0.6, -0.8], [-0.6, -0.8], [1.2, 1.6]]
    np.testing.assert_allclose(pts.grad.numpy(), expected, rtol=1e-15, atol=0)
    assert torch.isfinite(pts.grad).all()


def test_distance_matrix_vector():
    dmat = torch.tensor(
        [[0.0, 1.0, 2.0], [1.0, 0.0, 1.5], [2.0, 1.5, 0.0]], dtype=torch.float64, requires_grad=True
    )
    fil = od.vr_filtration(dmat, from_pwdists=True, max_dim=1)
    assert fil.values.tolist() == [0.0, 0.0, 0.0, 1.0, 1.5]
    dgms = od.persistence_diagram(fil)
    assert dgms[0].tolist() == [[0.0, 1.0], [0.0, 1.5]]
    np.testing.assert_array_equal(dgms.index_pairs(0), [[1, 3], [2, 4]])
    fil.values.sum().backward()
    assert dmat.grad.tolist() == [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]


# ---------------------------------------------------------------------------------------------
# Diagram content
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_include_inf_points_adds_only_essential_rows(seed):
    fil = od.vr_filtration(random_cloud(seed, n=25), max_dim=2)
    finite = od.persistence_diagram(fil)
    full = od.persistence_diagram(fil, include_inf_points=True)
    assert finite.include_inf_points is False
    assert full.include_inf_points is True
    for d in finite:
        pairs = full.index_pairs(d)
        essential = pairs[:, 1] == -1
        assert_identical(full[d][~torch.from_numpy(essential)], finite[d])
        np.testing.assert_array_equal(pairs[~essential], finite.index_pairs(d))
        assert torch.all(torch.isinf(full[d][torch.from_numpy(essential), 1]))
        assert torch.all(torch.isfinite(finite[d]))
    # One connected component for a cloud within its enclosing radius.
    assert full.index_pairs(0)[:, 1].tolist().count(-1) == 1
    assert full[0][0].tolist() == [0.0, INF]


@pytest.mark.parametrize(
    "seed,d,max_dim,integer",
    [(0, 2, 2, False), (1, 3, 3, False), (2, 2, 2, True), (3, 3, 3, True), (4, 4, 2, False)],
)
def test_dualize_true_and_false_give_identical_diagrams_and_index_pairs(seed, d, max_dim, integer):
    data = integer_cloud(seed, n=16, d=d) if integer else random_cloud(seed, n=22, d=d)
    fil = od.vr_filtration(data, max_dim=max_dim)
    for include_inf_points in (False, True):
        cohomology = od.persistence_diagram(fil, dualize=True, include_inf_points=include_inf_points)
        homology = od.persistence_diagram(fil, dualize=False, include_inf_points=include_inf_points)
        assert cohomology.dualize is True
        assert homology.dualize is False
        assert list(cohomology) == list(homology) == list(range(max_dim))
        for dim in cohomology:
            assert_identical(cohomology[dim], homology[dim])
            np.testing.assert_array_equal(cohomology.index_pairs(dim), homology.index_pairs(dim))
    assert sum(len(homology[dim]) for dim in homology) > 0


def test_default_dualize_for_vr_is_true():
    dgms = od.persistence_diagram(od.vr_filtration(random_cloud(0, n=8), max_dim=1))
    assert dgms.dualize is True


@pytest.mark.parametrize("seed", range(4))
def test_rows_sorted_by_birth_sid_and_gather_values(seed):
    data = integer_cloud(seed, n=18, d=3) if seed % 2 else random_cloud(seed, n=30, d=3)
    fil = od.vr_filtration(data, max_dim=3)
    dgms = od.persistence_diagram(fil, include_inf_points=True)
    values = fil.values.detach()
    for dim in dgms:
        pairs = dgms.index_pairs(dim)
        births = pairs[:, 0]
        assert np.all(np.diff(births) > 0)
        for (b, dth), row in zip(pairs, dgms[dim].tolist(), strict=True):
            assert len(fil.cell(b)) == dim + 1
            assert row[0] == values[b].item()
            if dth == -1:
                assert row[1] == INF
            else:
                assert len(fil.cell(dth)) == dim + 2
                assert row[1] == values[dth].item()


@pytest.mark.parametrize("seed", range(4))
def test_zero_persistence_pairs_are_dropped(seed):
    # Integer grid clouds: lots of edges tied with the triangles that kill them.
    fil = od.vr_filtration(integer_cloud(seed, n=20, d=2, side=3), max_dim=2)
    dgms = od.persistence_diagram(fil, include_inf_points=True)
    for dim in dgms:
        finite = dgms[dim][torch.isfinite(dgms[dim][:, 1])]
        assert torch.all(finite[:, 1] > finite[:, 0])
    # Duplicate grid points make zero-length edges: those H0 pairs are dropped, so fewer than
    # n - 1 finite H0 points remain.
    n_distinct = len(np.unique(integer_cloud(seed, n=20, d=2, side=3).numpy(), axis=0))
    assert n_distinct < 20
    assert len(dgms[0]) == n_distinct  # n_distinct - 1 finite points and one essential


def test_zero_persistence_dropped_in_coincident_points():
    pts = torch.tensor([[0.0, 0.0], [0.0, 0.0], [3.0, 4.0]], dtype=torch.float64)
    dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=1), include_inf_points=True)
    # Vertex 1 dies at the zero-length edge (sid 3): that pair is not reported.
    np.testing.assert_array_equal(dgms.index_pairs(0), [[0, -1], [2, 4]])


def test_zero_persistence_is_decided_in_the_filtration_dtype():
    # A skew 4-cycle in 3-D, with float32-exact coordinates: the four sides have length
    # 2 - 1.7e-8 in float64 and the two diagonals exactly 2. The H1 class (side, 2) has positive
    # persistence in float64, while in float32 the sides round to 2.0 and the pair is dropped.
    h = float(np.float32(math.sqrt(0.5)))
    pts = np.array([[1.0, 0.0, h], [0.0, 1.0, -h], [-1.0, 0.0, h], [0.0, -1.0, -h]])
    side = math.sqrt(2.0 + 4.0 * h * h)
    assert 0 < 2.0 - side < 1e-7
    assert np.float32(side) == np.float32(2.0)
    dgms64 = od.persistence_diagram(od.vr_filtration(pts, max_dim=2))
    dgms32 = od.persistence_diagram(od.vr_filtration(pts.astype(np.float32), max_dim=2))
    assert dgms64[1].tolist() == [[side, 2.0]]
    assert dgms32[1].shape == (0, 2)
    assert dgms32[1].dtype == torch.float32
    assert dgms32[0].tolist() == [[0.0, 2.0]] * 3


# ---------------------------------------------------------------------------------------------
# PersistenceDiagrams as a mapping
# ---------------------------------------------------------------------------------------------


def square_diagrams(**kwargs):
    return od.persistence_diagram(od.vr_filtration(unit_square(), max_dim=2), **kwargs)


def test_missing_dimension_raises_key_error_listing_available():
    dgms = square_diagrams()
    with pytest.raises(KeyError, match=r"No diagram for dimension 5\. Available: \[0, 1\]"):
        dgms[5]
    with pytest.raises(KeyError, match=r"Available: \[0, 1\]"):
        dgms[-1]
    with pytest.raises(KeyError):
        dgms.index_pairs(2)
    with pytest.raises(KeyError):
        dgms.in_dimension(2)


def test_mapping_protocol():
    dgms = square_diagrams()
    assert len(dgms) == 2
    assert list(dgms) == [0, 1]
    assert list(dgms.keys()) == [0, 1]
    assert 0 in dgms and 1 in dgms
    assert 2 not in dgms and -1 not in dgms
    items = list(dgms.items())
    assert [k for k, _ in items] == [0, 1]
    assert all(v is dgms[k] for k, v in items)
    assert [v.shape for v in dgms.values()] == [(3, 2), (1, 2)]
    assert dict(dgms)[1].tolist() == [[1.0, SQRT2]]
    with pytest.raises(TypeError):
        dgms[0] = torch.zeros(0, 2)


def test_in_dimension_returns_tensor_or_detached_numpy_copy():
    dgms = square_diagrams()
    assert dgms.in_dimension(1) is dgms[1]
    arr = dgms.in_dimension(1, as_numpy=True)
    assert isinstance(arr, np.ndarray)
    assert arr.dtype == np.float64
    np.testing.assert_array_equal(arr, [[1.0, SQRT2]])
    arr[0, 0] = 99.0
    assert dgms[1][0, 0].item() == 1.0
    assert dgms[1].requires_grad


def test_index_pairs_is_int64_and_alias_agrees():
    dgms = square_diagrams(include_inf_points=True)
    for dim in dgms:
        pairs = dgms.index_pairs(dim)
        assert pairs.dtype == np.int64
        assert pairs.shape == (len(dgms[dim]), 2)
        np.testing.assert_array_equal(dgms.index_diagram_in_dimension(dim), pairs)
    # A returned array is a copy: editing it does not change the container.
    pairs = dgms.index_pairs(0)
    pairs[0, 0] = 123
    assert dgms.index_pairs(0)[0, 0] == 0


def test_max_dim_of_diagrams():
    assert square_diagrams().max_dim == 1
    three = od.persistence_diagram(od.vr_filtration(random_cloud(1, n=10, d=3), max_dim=3))
    assert three.max_dim == 2
    empty = od.persistence_diagram(od.vr_filtration(unit_square(), max_dim=0))
    assert empty.max_dim == -1
    assert len(empty) == 0
    assert list(empty) == []
    with pytest.raises(KeyError, match=r"No diagram for dimension 0\. Available: \[\]"):
        empty[0]


def test_records_of_the_call():
    fil = od.vr_filtration(unit_square(), max_dim=2)
    dgms = od.persistence_diagram(fil, dualize=False, include_inf_points=True, gradient_method="DGM-Loss")
    assert dgms.dualize is False
    assert dgms.include_inf_points is True
    assert dgms.gradient_method == "dgm-loss"
    assert dgms.filtration is fil
    assert dgms.differentiable is True


def test_records_are_read_only():
    dgms = square_diagrams(include_inf_points=True, dualize=False)
    other = od.vr_filtration(unit_square(), max_dim=1)
    replacements = {
        "dualize": True,
        "include_inf_points": False,
        "gradient_method": "crit-sets",
        "filtration": other,
    }
    for name, value in replacements.items():
        before = getattr(dgms, name)
        with pytest.raises(AttributeError):
            setattr(dgms, name, value)
        assert getattr(dgms, name) is before, name


def test_persistence_diagram_does_not_modify_filtration():
    fil = od.vr_filtration(random_cloud(2, n=12), max_dim=2)
    cells, values = fil.cells(), fil.values.detach().clone()
    od.persistence_diagram(fil, include_inf_points=True)
    od.persistence_diagram(fil, dualize=False)
    assert fil.cells() == cells
    assert_identical(fil.values.detach(), values)


# ---------------------------------------------------------------------------------------------
# Autograd behaviour
# ---------------------------------------------------------------------------------------------


def test_empty_diagram_has_its_own_grad_fn():
    # A triangle: its only cycle is born and killed at the longest edge, so H1 is empty.
    pts = torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]], dtype=torch.float64, requires_grad=True)
    dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=2, max_diameter=INF))
    assert dgms[1].shape == (0, 2)
    assert dgms[1].dtype == torch.float64
    assert dgms[1].requires_grad
    assert dgms[1].grad_fn is not None
    assert dgms[0].grad_fn is not None
    assert dgms[0].grad_fn is not dgms[1].grad_fn
    assert dgms[0].tolist() == [[0.0, 3.0], [0.0, 4.0]]
    (persistence(dgms[0]).sum() + 7.0 * dgms[1].sum()).backward()
    assert pts.grad.tolist() == [[-1.0, -1.0], [1.0, 0.0], [0.0, 1.0]]


def test_diagrams_without_grad_have_no_grad_fn():
    dgms = od.persistence_diagram(od.vr_filtration(unit_square(requires_grad=False), max_dim=2))
    assert all(not t.requires_grad for t in dgms.values())


def test_backward_twice_without_retain_graph_raises():
    pts = random_cloud(3, n=10).requires_grad_(True)
    dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=2))
    loss = persistence(dgms[0]).sum()
    loss.backward()
    first = pts.grad.clone()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()
    assert_identical(pts.grad, first)


def test_backward_twice_with_retain_graph_accumulates():
    pts = random_cloud(3, n=10).requires_grad_(True)
    dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=2))
    loss = persistence(dgms[0]).sum()
    loss.backward(retain_graph=True)
    first = pts.grad.clone()
    loss.backward()
    assert_identical(pts.grad, 2 * first)


def test_essential_death_gradient_is_dropped_even_if_nan():
    pts = random_cloud(4, n=12).requires_grad_(True)
    fil = od.vr_filtration(pts, max_dim=2)
    _ = fil.values  # read first, so that the diagrams are gathered from the values
    dgms = od.persistence_diagram(fil, include_inf_points=True)
    essential = torch.from_numpy(dgms.index_pairs(0)[:, 1] == -1)
    assert essential.sum() == 1
    upstream = torch.ones_like(dgms[0])
    upstream[essential, 1] = float("nan")
    (values_grad,) = torch.autograd.grad(dgms[0], fil.values, upstream, retain_graph=True)
    assert torch.isfinite(values_grad).all()
    clean = torch.ones_like(dgms[0])
    clean[essential, 1] = 0.0
    (expected,) = torch.autograd.grad(dgms[0], fil.values, clean)
    assert_identical(values_grad, expected)


def test_dgm_loss_gradient_on_values_is_scatter_of_upstream():
    pts = random_cloud(5, n=15).requires_grad_(True)
    fil = od.vr_filtration(pts, max_dim=2)
    _ = fil.values  # read first, so that the diagrams are gathered from the values
    dgms = od.persistence_diagram(fil, include_inf_points=True)
    upstreams = {
        d: torch.randn(dgms[d].shape, dtype=torch.float64, generator=torch.Generator().manual_seed(d))
        for d in dgms
    }
    loss = sum((dgms[d] * upstreams[d]).nansum() for d in dgms)
    (grad,) = torch.autograd.grad(loss, fil.values)
    expected = torch.zeros(len(fil), dtype=torch.float64)
    for d in dgms:
        for (b, dth), g in zip(dgms.index_pairs(d), upstreams[d], strict=True):
            expected[b] += g[0]
            if dth >= 0:
                expected[dth] += g[1]
    np.testing.assert_allclose(grad.numpy(), expected.numpy(), rtol=1e-15, atol=1e-15)


def test_create_graph_double_backward():
    pts = torch.tensor(
        [[0.0, 0.0], [1.0, 0.1], [2.1, 0.0], [0.9, 1.3], [2.0, 1.5]],
        dtype=torch.float64,
        requires_grad=True,
    )
    dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=1))
    # L = sum of squared H0 deaths = sum of squared MST edge lengths.
    loss = (dgms[0][:, 1] ** 2).sum()
    (grad,) = torch.autograd.grad(loss, pts, create_graph=True)
    assert grad.requires_grad
    pairs = dgms.index_pairs(0)
    crit = dgms.filtration.critical_indices
    p = pts.detach()
    expected = torch.zeros_like(p)
    for _, death in pairs:
        x, y = crit[death]
        expected[x] += 2 * (p[x] - p[y])
        expected[y] -= 2 * (p[x] - p[y])
    np.testing.assert_allclose(grad.detach().numpy(), expected.numpy(), rtol=1e-14, atol=1e-14)
    # d/dp of sum(grad) where grad = 2 Σ ±(p_x - p_y) is 0, and of sum(grad**2) is 2 H grad.
    second = (grad**2).sum()
    second.backward()
    hess_grad = torch.zeros_like(p)
    for _, death in pairs:
        x, y = crit[death]
        delta = expected[x] - expected[y]
        hess_grad[x] += 2 * 2 * delta
        hess_grad[y] -= 2 * 2 * delta
    np.testing.assert_allclose(pts.grad.numpy(), hess_grad.numpy(), rtol=1e-13, atol=1e-13)


def test_float32_input_gives_float32_diagrams_and_gradients():
    pts = torch.tensor(np.random.default_rng(6).random((15, 2)), dtype=torch.float32, requires_grad=True)
    fil = od.vr_filtration(pts, max_dim=2)
    dgms = od.persistence_diagram(fil, include_inf_points=True)
    assert all(t.dtype == torch.float32 for t in dgms.values())
    loss = sum(persistence(dgms[d][torch.isfinite(dgms[d][:, 1])]).sum() for d in dgms)
    loss.backward()
    assert pts.grad.dtype == torch.float32
    ref = pts.detach().double().requires_grad_(True)
    ref_dgms = od.persistence_diagram(od.vr_filtration(ref, max_dim=2), include_inf_points=True)
    for d in dgms:
        np.testing.assert_array_equal(dgms.index_pairs(d), ref_dgms.index_pairs(d))
        assert_identical(dgms[d].detach(), ref_dgms[d].detach().float())
    ref_loss = sum(persistence(ref_dgms[d][torch.isfinite(ref_dgms[d][:, 1])]).sum() for d in ref_dgms)
    ref_loss.backward()
    np.testing.assert_allclose(pts.grad.numpy(), ref.grad.numpy(), rtol=1e-5, atol=1e-5)
    assert torch.count_nonzero(pts.grad) > 0


@pytest.mark.parametrize("n_threads", [None, 1, 2, 4, 8])
def test_n_threads_gives_identical_diagrams_and_gradients(n_threads):
    data = integer_cloud(7, n=16, d=3)
    results = []
    for threads in (1, n_threads):
        pts = data.clone().requires_grad_(True)
        fil = od.vr_filtration(pts, max_dim=2)
        dgms = od.persistence_diagram(fil, include_inf_points=True, n_threads=threads)
        loss = sum((persistence(dgms[d][torch.isfinite(dgms[d][:, 1])]) ** 2).sum() for d in dgms)
        loss.backward()
        results.append((dgms, pts.grad))
    (a, ga), (b, gb) = results
    for d in a:
        assert_identical(a[d], b[d])
        np.testing.assert_array_equal(a.index_pairs(d), b.index_pairs(d))
    assert_identical(ga, gb)


def test_dims_to_backprop_is_only_a_hint():
    pts = random_cloud(8, n=12)
    results = []
    for hint in (None, [], [0], [1], [0, 1, 2], (2,)):
        leaf = pts.clone().requires_grad_(True)
        dgms = od.persistence_diagram(od.vr_filtration(leaf, max_dim=2), dims_to_backprop=hint)
        (persistence(dgms[0]).sum() + persistence(dgms[1]).sum()).backward()
        results.append((dgms[0].detach(), dgms[1].detach(), leaf.grad))
    for other in results[1:]:
        for x, y in zip(results[0], other, strict=True):
            assert_identical(x, y)


@pytest.mark.parametrize("spelling", ["crit-sets", "CRIT-SETS"])
def test_crit_sets_gives_the_dgm_loss_diagrams(spelling):
    fil = od.vr_filtration(unit_square(), max_dim=2)
    reference = od.persistence_diagram(fil, include_inf_points=True)
    dgms = od.persistence_diagram(fil, gradient_method=spelling, include_inf_points=True)
    assert dgms.gradient_method == "crit-sets"
    for d in reference:
        assert_identical(dgms[d].detach(), reference[d].detach())
        np.testing.assert_array_equal(dgms.index_pairs(d), reference.index_pairs(d))


@pytest.mark.parametrize("include_inf_points", [False, True])
def test_spec_determinism_vector_48_points(include_inf_points):
    # SPEC §10.7: bitwise equal for n_threads in {1, 2, 4, 8} and both dualize values.
    pts = random_cloud(48, n=48, d=3).requires_grad_(True)
    fil = od.vr_filtration(pts, max_dim=2)
    _ = fil.values  # read first, so that the diagrams are gathered from the values
    weights = {}
    reference = None
    for n_threads in (1, 2, 4, 8):
        for dualize in (True, False):
            dgms = od.persistence_diagram(
                fil, dualize=dualize, include_inf_points=include_inf_points, n_threads=n_threads
            )
            for d in dgms:
                weights.setdefault(
                    d, torch.linspace(-1.0, 2.0, 2 * len(dgms[d]), dtype=torch.float64).reshape(-1, 2)
                )
            loss = sum((torch.nan_to_num(dgms[d], posinf=0.0) * weights[d]).sum() for d in dgms)
            (grad,) = torch.autograd.grad(loss, fil.values, retain_graph=True)
            result = (
                [dgms[d].detach().numpy().tobytes() for d in dgms],
                [dgms.index_pairs(d).tobytes() for d in dgms],
                grad.numpy().tobytes(),
            )
            if reference is None:
                reference = result
                assert torch.count_nonzero(grad) > 0
            assert result == reference, (n_threads, dualize)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_input_matches_cpu_and_stays_on_device():
    raw = random_cloud(9, n=30, d=3)
    results = {}
    for device in ("cpu", "cuda"):
        pts = raw.to(device).requires_grad_(True)
        fil = od.vr_filtration(pts, max_dim=2)
        assert fil.device.type == device
        assert fil.values.device.type == device
        dgms = od.persistence_diagram(fil, include_inf_points=True)
        assert all(t.device.type == device for t in dgms.values())
        loss = sum((persistence(dgms[d][torch.isfinite(dgms[d][:, 1])]) ** 2).sum() for d in dgms)
        loss.backward()
        assert pts.grad.device.type == device
        results[device] = (dgms, pts.grad.cpu())
    (cpu, grad_cpu), (cuda, grad_cuda) = results["cpu"], results["cuda"]
    for d in cpu:
        np.testing.assert_array_equal(cpu.index_pairs(d), cuda.index_pairs(d))
        assert_identical(cpu[d].detach(), cuda[d].detach().cpu())
    np.testing.assert_allclose(grad_cuda.numpy(), grad_cpu.numpy(), rtol=1e-12, atol=1e-15)
