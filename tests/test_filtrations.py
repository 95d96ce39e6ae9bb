"""Behaviour of DiffFiltration (SPEC §2) and vr_filtration (SPEC §1.2, §3.1)."""

from __future__ import annotations

import copy
import itertools
import math
import pickle

import numpy as np
import pytest
import scipy.sparse
import torch

import oineus_diff as od

UNIT_SQUARE = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
INF = float("inf")


def assert_identical(actual, expected):
    """Same dtype, shape and bits."""
    assert actual.dtype == expected.dtype
    assert actual.shape == expected.shape
    assert torch.equal(actual, expected), (actual, expected)


def square_filtration(**kwargs):
    pts = torch.tensor(UNIT_SQUARE, dtype=torch.float64)
    return od.vr_filtration(pts, max_dim=2, **kwargs)


def random_cloud(seed, n=12, d=2):
    return np.random.default_rng(seed).random((n, d))


def integer_cloud(seed, n=10, d=2, side=3):
    """Points on a small integer grid: many exact ties among distances."""
    return np.random.default_rng(seed).integers(0, side, size=(n, d)).astype(np.float64)


def edge_length(points, x, y):
    """The SPEC §3.1 length: float64, sum of squared differences in axis order, then sqrt."""
    total = 0.0
    for a, b in zip(points[x], points[y], strict=True):
        diff = float(a) - float(b)
        total += diff * diff
    return math.sqrt(total)


def critical_edge(points, cell):
    """Among the longest edges, the smallest as (larger vertex, smaller vertex)."""
    edges = [(max(a, b), min(a, b)) for a, b in itertools.combinations(cell, 2)]
    longest = max(edge_length(points, x, y) for x, y in edges)
    return min(e for e in edges if edge_length(points, *e) == longest)


def brute_force_vr(points, max_dim, threshold):
    """Every (value, cell) of the VR complex, by enumeration."""
    n = len(points)
    cells = []
    for k in range(1, max_dim + 2):
        for cell in itertools.combinations(range(n), k):
            if k == 1:
                cells.append((0.0, cell))
                continue
            lengths = [edge_length(points, a, b) for a, b in itertools.combinations(cell, 2)]
            if max(lengths) <= threshold:
                cells.append((max(lengths), cell))
    return cells


# ---------------------------------------------------------------------------------------------
# DiffFiltration members
# ---------------------------------------------------------------------------------------------


def test_values_attribute_is_read_only():
    fil = square_filtration()
    with pytest.raises(AttributeError, match="values"):
        fil.values = torch.zeros(len(fil), dtype=torch.float64)
    with pytest.raises(AttributeError):
        fil.max_dim = 3
    assert fil.values.shape == (14,)


def test_diff_filtration_has_no_public_constructor():
    with pytest.raises(TypeError, match="constructor"):
        od.DiffFiltration()


def test_scalar_members_of_unit_square():
    fil = square_filtration()
    assert fil.kind == "vr"
    assert fil.negate is False
    assert fil.max_dim == 2
    assert fil.dtype == torch.float64
    assert fil.device == torch.device("cpu")
    assert fil.input_shape == (4, 2)
    assert isinstance(fil.input_shape, tuple)
    assert fil.size() == len(fil) == 14


def test_max_dim_is_largest_dimension_present():
    pts = np.array([[0.0, 0.0], [10.0, 0.0]])
    # The enclosing radius is 10, so the edge exists, but nothing above it.
    assert od.vr_filtration(pts, max_dim=3).max_dim == 1
    # A tiny threshold leaves only the vertices.
    assert od.vr_filtration(pts, max_dim=3, max_diameter=1.0).max_dim == 0
    assert od.vr_filtration(np.zeros((1, 3)), max_dim=2).max_dim == 0


def test_cells_cell_and_iteration_agree():
    fil = square_filtration()
    expected = [
        (0,),
        (1,),
        (2,),
        (3,),
        (0, 1),
        (0, 2),
        (1, 3),
        (2, 3),
        (0, 3),
        (1, 2),
        (0, 1, 2),
        (0, 1, 3),
        (0, 2, 3),
        (1, 2, 3),
    ]
    assert fil.cells() == expected
    assert list(fil) == expected
    assert [fil.cell(i) for i in range(len(fil))] == expected
    assert all(isinstance(c, tuple) for c in fil)


def test_cell_out_of_range_raises_index_error():
    fil = square_filtration()
    with pytest.raises(IndexError, match="14"):
        fil.cell(14)
    with pytest.raises(IndexError):
        fil.boundary(100)


def test_size_in_dimension_and_dim_range():
    fil = square_filtration()
    assert [fil.size_in_dimension(d) for d in range(4)] == [4, 6, 4, 0]
    assert fil.size_in_dimension(17) == 0
    assert fil.dim_range(0) == (0, 4)
    assert fil.dim_range(1) == (4, 10)
    assert fil.dim_range(2) == (10, 14)
    start, stop = fil.dim_range(3)
    assert start == stop


def test_size_in_dimension_negative_raises_value_error():
    fil = square_filtration()
    with pytest.raises(ValueError, match="dim"):
        fil.size_in_dimension(-1)
    with pytest.raises(ValueError, match="dim"):
        fil.dim_range(-2)


def test_dim_range_blocks_hold_cells_of_that_dimension():
    fil = od.vr_filtration(random_cloud(3, n=9, d=3), max_dim=3, max_diameter=INF)
    for d in range(fil.max_dim + 1):
        start, stop = fil.dim_range(d)
        assert stop - start == math.comb(9, d + 1)
        assert all(len(fil.cell(i)) == d + 1 for i in range(start, stop))


def test_sorted_id_accepts_any_vertex_order():
    fil = square_filtration()
    assert fil.sorted_id([0, 2, 3]) == 12
    assert fil.sorted_id([3, 2, 0]) == 12
    assert fil.sorted_id((2, 0, 3)) == 12
    assert fil.sorted_id([2, 1]) == 9
    assert fil.sorted_id([3]) == 3
    for sid, cell in enumerate(fil):
        assert fil.sorted_id(list(reversed(cell))) == sid


@pytest.mark.parametrize("vertices", [[5], [0, 1, 2, 3], [-1], [0, 7]])
def test_sorted_id_of_absent_cell_raises_key_error(vertices):
    fil = square_filtration()
    with pytest.raises(KeyError):
        fil.sorted_id(vertices)


def test_critical_indices_of_unit_square():
    fil = square_filtration()
    crit = fil.critical_indices
    assert isinstance(crit, np.ndarray)
    assert crit.dtype == np.int64
    assert crit.shape == (14, 2)
    expected = [[0, 0], [1, 1], [2, 2], [3, 3]]
    expected += [[1, 0], [2, 0], [3, 1], [3, 2], [3, 0], [2, 1]]
    expected += [[2, 1], [3, 0], [3, 0], [2, 1]]
    np.testing.assert_array_equal(crit, expected)


@pytest.mark.parametrize("seed", range(4))
def test_critical_indices_follow_the_critical_edge_rule_under_ties(seed):
    pts = integer_cloud(seed, n=9, d=2)
    fil = od.vr_filtration(pts, max_dim=2, max_diameter=INF)
    crit = fil.critical_indices
    values = fil.values.numpy()
    for sid, cell in enumerate(fil):
        if len(cell) == 1:
            assert tuple(crit[sid]) == (cell[0], cell[0])
            continue
        x, y = critical_edge(pts, cell)
        assert tuple(crit[sid]) == (x, y), cell
        assert values[sid] == edge_length(pts, x, y)


def test_boundary_lists_facet_sids_ascending():
    fil = square_filtration()
    assert fil.boundary(0) == []
    assert fil.boundary(4) == [0, 1]
    assert fil.boundary(9) == [1, 2]
    # (0, 2, 3) has facets (0, 2) sid 5, (2, 3) sid 7, (0, 3) sid 8.
    assert fil.boundary(12) == [5, 7, 8]
    assert fil.boundary(13) == [6, 7, 9]


def test_boundary_matrix_is_int8_csc_matching_boundary():
    fil = od.vr_filtration(random_cloud(5, n=8), max_dim=2, max_diameter=INF)
    mat = fil.boundary_matrix()
    assert isinstance(mat, scipy.sparse.csc_matrix)
    assert mat.dtype == np.int8
    assert mat.shape == (len(fil), len(fil))
    dense = mat.toarray()
    assert set(np.unique(dense)) <= {0, 1}
    for col in range(len(fil)):
        assert np.flatnonzero(dense[:, col]).tolist() == fil.boundary(col)
    # A facet is always earlier than its cofacet: the matrix is strictly upper triangular.
    assert np.all(np.tril(dense) == 0)
    assert mat.nnz == 3 * math.comb(8, 3) + 2 * math.comb(8, 2)


def test_repr_format():
    fil = square_filtration()
    assert repr(fil) == (
        "DiffFiltration(kind='vr', size=14, max_dim=2, negate=False, dtype=torch.float64, device='cpu')"
    )
    fil32 = od.vr_filtration(torch.tensor(UNIT_SQUARE, dtype=torch.float32), max_dim=1)
    assert repr(fil32) == (
        "DiffFiltration(kind='vr', size=10, max_dim=1, negate=False, dtype=torch.float32, device='cpu')"
    )


@pytest.mark.parametrize(
    "operation",
    [pickle.dumps, copy.copy, copy.deepcopy],
    ids=["pickle", "copy", "deepcopy"],
)
def test_pickle_and_copy_raise_type_error(operation):
    fil = square_filtration()
    with pytest.raises(TypeError, match="DiffFiltration"):
        operation(fil)


# ---------------------------------------------------------------------------------------------
# vr_filtration: defaults
# ---------------------------------------------------------------------------------------------


def test_default_max_dim_is_ambient_dimension():
    for d in (1, 2, 3):
        pts = random_cloud(d, n=6, d=d)
        fil = od.vr_filtration(pts, max_diameter=INF)
        assert fil.max_dim == d
        assert [fil.size_in_dimension(k) for k in range(d + 2)] == [
            math.comb(6, k + 1) for k in range(d + 1)
        ] + [0]


def points_around_enclosing_radius():
    """Point 0 at the origin and three points at distance 1, so the enclosing radius is 1.

    Edge (1, 2) has length 1.000005 (inside 1.00001), edge (1, 3) 1.00002 (outside).
    """
    theta_in = 2 * math.asin(1.000005 / 2)
    theta_out = 2 * math.asin(1.00002 / 2)
    return np.array(
        [
            [0.0, 0.0],
            [1.0, 0.0],
            [math.cos(theta_in), math.sin(theta_in)],
            [math.cos(theta_out), -math.sin(theta_out)],
        ]
    )


def test_default_threshold_is_enclosing_radius_times_1_00001():
    pts = points_around_enclosing_radius()
    assert abs(edge_length(pts, 2, 1) - 1.000005) < 1e-12
    assert abs(edge_length(pts, 3, 1) - 1.00002) < 1e-12
    fil = od.vr_filtration(pts, max_dim=1)
    assert sorted(fil.cells()[4:]) == [(0, 1), (0, 2), (0, 3), (1, 2)]
    with pytest.raises(KeyError):
        fil.sorted_id([1, 3])
    explicit = od.vr_filtration(pts, max_dim=1, max_diameter=1.00001)
    assert explicit.cells() == fil.cells()
    assert_identical(explicit.values, fil.values)


def test_default_threshold_of_a_single_point_is_zero():
    fil = od.vr_filtration(np.array([[2.0, 3.0]]), max_dim=2)
    assert fil.cells() == [(0,)]
    assert fil.values.tolist() == [0.0]


def test_default_threshold_for_a_distance_matrix():
    # Eccentricities: 0 -> 2, 1 -> 1.5, 2 -> 2; enclosing radius 1.5.
    dmat = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.5], [2.0, 1.5, 0.0]])
    fil = od.vr_filtration(dmat, from_pwdists=True, max_dim=1)
    assert fil.cells() == [(0,), (1,), (2,), (0, 1), (1, 2)]
    full = od.vr_filtration(dmat, from_pwdists=True, max_dim=1, max_diameter=INF)
    assert full.cells()[3:] == [(0, 1), (1, 2), (0, 2)]


@pytest.mark.parametrize("n,d,max_dim", [(7, 2, 2), (7, 3, 3), (6, 2, 4)])
def test_infinite_threshold_keeps_every_simplex(n, d, max_dim):
    fil = od.vr_filtration(random_cloud(n, n=n, d=d), max_dim=max_dim, max_diameter=INF)
    for k in range(max_dim + 1):
        assert fil.size_in_dimension(k) == math.comb(n, k + 1)
    assert len(fil) == sum(math.comb(n, k + 1) for k in range(max_dim + 1))


@pytest.mark.parametrize("seed", range(3))
def test_cells_and_values_match_brute_force_enumeration(seed):
    pts = random_cloud(seed, n=9, d=3)
    threshold = 0.7
    fil = od.vr_filtration(pts, max_dim=3, max_diameter=threshold)
    expected = brute_force_vr(pts, 3, threshold)
    expected.sort(key=lambda vc: (len(vc[1]), vc[0], vc[1]))
    assert fil.cells() == [c for _, c in expected]
    assert fil.values.tolist() == [v for v, _ in expected]


def test_explicit_threshold_is_inclusive():
    pts = np.array([[0.0], [1.0], [3.0]])
    fil = od.vr_filtration(pts, max_dim=1, max_diameter=2.0)
    assert fil.cells() == [(0,), (1,), (2,), (0, 1), (1, 2)]


def test_positive_eps_gives_smoothed_values():
    pts = torch.tensor([[0.0, 0.0], [3.0, 4.0], [6.0, 0.0]], dtype=torch.float64)
    eps = 1e-2
    fil = od.vr_filtration(pts, max_dim=2, max_diameter=INF, eps=eps)
    plain = od.vr_filtration(pts, max_dim=2, max_diameter=INF)
    assert fil.cells() == plain.cells()
    expected = torch.sqrt(plain.values**2 + eps)
    np.testing.assert_allclose(fil.values.numpy(), expected.numpy(), rtol=1e-15, atol=0)
    assert fil.values[:3].tolist() == [math.sqrt(eps)] * 3
    assert fil.values.tolist()[3:] == pytest.approx(
        [math.sqrt(25 + eps), math.sqrt(25 + eps), math.sqrt(36 + eps), math.sqrt(36 + eps)],
        rel=1e-15,
    )


def test_positive_eps_gradient_is_derivative_of_smoothed_length():
    pts = torch.tensor([[0.0, 0.0], [3.0, 4.0]], dtype=torch.float64, requires_grad=True)
    eps = 0.5
    fil = od.vr_filtration(pts, max_dim=1, eps=eps)
    fil.values[2].backward()
    scale = math.sqrt(25 + eps)
    expected = torch.tensor([[-3 / scale, -4 / scale], [3 / scale, 4 / scale]], dtype=torch.float64)
    np.testing.assert_allclose(pts.grad.numpy(), expected.numpy(), rtol=1e-14, atol=0)


# ---------------------------------------------------------------------------------------------
# vr_filtration: order and values
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_emission_order_within_a_dimension_is_value_then_vertex_tuple(seed):
    pts = integer_cloud(seed, n=10, d=2)
    fil = od.vr_filtration(pts, max_dim=2, max_diameter=INF)
    values = fil.values.tolist()
    cells = fil.cells()
    for d in range(fil.max_dim + 1):
        start, stop = fil.dim_range(d)
        keys = [(values[i], cells[i]) for i in range(start, stop)]
        assert keys == sorted(keys)
    # Ties are really present in this configuration, so the tie-break is exercised.
    assert len(set(values[fil.dim_range(1)[0] :])) < len(fil) - 10


def test_vertex_values_are_exact_zero_constants():
    pts = torch.tensor(random_cloud(1, n=6), requires_grad=True)
    fil = od.vr_filtration(pts, max_dim=1)
    assert fil.values[:6].tolist() == [0.0] * 6
    fil.values[:6].sum().backward()
    assert torch.count_nonzero(pts.grad) == 0


@pytest.mark.parametrize("seed", range(3))
def test_values_are_exact_float64_edge_lengths(seed):
    pts = random_cloud(seed, n=10, d=4)
    fil = od.vr_filtration(pts, max_dim=2, max_diameter=INF)
    crit = fil.critical_indices
    values = fil.values.tolist()
    for sid in range(fil.dim_range(1)[0], len(fil)):
        assert values[sid] == edge_length(pts, crit[sid, 0], crit[sid, 1])


def test_float32_input_gives_float32_values_rounded_from_float64_lengths():
    pts32 = torch.tensor(random_cloud(7, n=10, d=3), dtype=torch.float32)
    fil = od.vr_filtration(pts32, max_dim=2, max_diameter=INF)
    assert fil.dtype == torch.float32
    assert fil.values.dtype == torch.float32
    pts64 = pts32.double().numpy()
    crit = fil.critical_indices
    for sid in range(fil.dim_range(1)[0], len(fil)):
        assert fil.values[sid].item() == float(np.float32(edge_length(pts64, *crit[sid])))
    # The rounded values are the ones that were sorted.
    for d in range(3):
        start, stop = fil.dim_range(d)
        block = fil.values[start:stop]
        assert torch.all(block[1:] >= block[:-1])


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_input_gives_float32_values_and_gradient_reaches_input(dtype):
    pts = torch.tensor(random_cloud(2, n=8, d=2), dtype=dtype, requires_grad=True)
    fil = od.vr_filtration(pts, max_dim=2, max_diameter=INF)
    assert fil.dtype == torch.float32
    pts64 = pts.detach().double()
    reference = od.vr_filtration(pts64, max_dim=2, max_diameter=INF)
    assert fil.cells() == reference.cells()
    assert_identical(fil.values, reference.values.float())

    fil.values.sum().backward()
    assert pts.grad.dtype == dtype
    leaf = pts64.clone().requires_grad_(True)
    od.vr_filtration(leaf, max_dim=2, max_diameter=INF).values.sum().backward()
    np.testing.assert_allclose(pts.grad.double().numpy(), leaf.grad.numpy(), rtol=0.02, atol=0.05)
    assert torch.count_nonzero(pts.grad) > 0


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.bool])
def test_integer_and_bool_input_give_float64_values_without_grad(dtype):
    raw = integer_cloud(4, n=7, d=2, side=2)
    data = torch.tensor(raw).to(dtype)
    fil = od.vr_filtration(data, max_dim=2, max_diameter=INF)
    assert fil.dtype == torch.float64
    assert not fil.values.requires_grad
    reference = od.vr_filtration(data.double(), max_dim=2, max_diameter=INF)
    assert fil.cells() == reference.cells()
    assert_identical(fil.values, reference.values)


def test_numpy_input_works_and_does_not_require_grad():
    arr = random_cloud(8, n=9, d=3)
    fil = od.vr_filtration(arr, max_dim=2)
    assert not fil.values.requires_grad
    assert fil.dtype == torch.float64
    assert fil.input_shape == (9, 3)
    reference = od.vr_filtration(torch.from_numpy(arr), max_dim=2)
    assert fil.cells() == reference.cells()
    assert_identical(fil.values, reference.values)
    fil32 = od.vr_filtration(arr.astype(np.float32), max_dim=2)
    assert fil32.dtype == torch.float32


def _grad_of_values(data, **kwargs):
    fil = od.vr_filtration(data, **kwargs)
    weights = torch.arange(1, len(fil) + 1, dtype=fil.dtype)
    (fil.values * weights).sum().backward()
    return fil


def test_transposed_point_cloud_gives_identical_values_and_gradients():
    base = torch.tensor(random_cloud(9, n=10, d=3))
    contiguous = base.clone().requires_grad_(True)
    storage = base.T.contiguous().clone().requires_grad_(True)
    view = storage.T  # (10, 3), non-contiguous
    assert not view.is_contiguous()
    fil_a = _grad_of_values(contiguous, max_dim=2, max_diameter=INF)
    fil_b = _grad_of_values(view, max_dim=2, max_diameter=INF)
    assert fil_a.cells() == fil_b.cells()
    assert_identical(fil_a.values, fil_b.values)
    assert_identical(contiguous.grad, storage.grad.T)


def test_strided_point_cloud_gives_identical_values_and_gradients():
    big = torch.tensor(np.random.default_rng(10).random((20, 6))).requires_grad_(True)
    view = big[::2, ::2]  # (10, 3), strided
    assert not view.is_contiguous()
    leaf = view.detach().clone().requires_grad_(True)
    fil_a = _grad_of_values(view, max_dim=2)
    fil_b = _grad_of_values(leaf, max_dim=2)
    assert fil_a.cells() == fil_b.cells()
    assert_identical(fil_a.values, fil_b.values)
    assert_identical(big.grad[::2, ::2], leaf.grad)
    mask = torch.ones_like(big, dtype=torch.bool)
    mask[::2, ::2] = False
    assert torch.count_nonzero(big.grad[mask]) == 0


def test_transposed_distance_matrix_gives_identical_values_and_gradients():
    rng = np.random.default_rng(11)
    raw = rng.random((7, 7)) + 0.1
    lower = np.tril(raw, -1)
    sym = lower + lower.T
    contiguous = torch.tensor(sym).requires_grad_(True)
    storage = torch.tensor(sym.T.copy()).requires_grad_(True)
    view = storage.T
    assert not view.is_contiguous()
    fil_a = _grad_of_values(contiguous, from_pwdists=True, max_dim=2, max_diameter=INF)
    fil_b = _grad_of_values(view, from_pwdists=True, max_dim=2, max_diameter=INF)
    assert fil_a.cells() == fil_b.cells()
    assert_identical(fil_a.values, fil_b.values)
    assert_identical(contiguous.grad, storage.grad.T)
    assert torch.count_nonzero(torch.triu(contiguous.grad)) == 0


def test_distance_matrix_reads_only_the_strict_lower_triangle():
    rng = np.random.default_rng(12)
    lower = np.tril(rng.random((6, 6)) + 0.1, -1)
    garbage = lower + np.triu(rng.random((6, 6)) * 100.0)
    fil_a = od.vr_filtration(lower + lower.T, from_pwdists=True, max_dim=2, max_diameter=INF)
    fil_b = od.vr_filtration(garbage, from_pwdists=True, max_dim=2, max_diameter=INF)
    assert fil_a.cells() == fil_b.cells()
    assert_identical(fil_a.values, fil_b.values)
    assert fil_b.values[:6].tolist() == [0.0] * 6


@pytest.mark.parametrize("from_pwdists", [False, True])
def test_n_threads_gives_identical_cells_values_and_diagrams(from_pwdists):
    rng = np.random.default_rng(13)
    if from_pwdists:
        lower = np.tril(rng.integers(1, 6, size=(14, 14)).astype(np.float64), -1)
        data = lower + lower.T
        kwargs = {"from_pwdists": True, "max_dim": 2}
    else:
        data = integer_cloud(13, n=14, d=3, side=3)  # many ties
        kwargs = {"max_dim": 3}
    results = []
    for n_threads in (1, 2, 4, 8):
        fil = od.vr_filtration(data, n_threads=n_threads, **kwargs)
        dgms = od.persistence_diagram(fil, include_inf_points=True)
        results.append(
            (
                fil.cells(),
                fil.values.numpy().tobytes(),
                fil.critical_indices.tobytes(),
                [dgms[d].numpy().tobytes() for d in dgms],
                [dgms.index_pairs(d).tobytes() for d in dgms],
            )
        )
    assert all(r == results[0] for r in results[1:])
    assert len(results[0][0]) > 100
