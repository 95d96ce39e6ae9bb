"""Diagram distances and matchings (SPEC §6, §8, §10.6): test vectors, essential families,
input forms and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import oineus_diff as od

INF = float("inf")
A = [[0.0, 1.0], [0.5, 2.0], [0.3, 0.7]]
B = [[0.2, 1.2], [0.6, 2.1]]

FOUR_A = [
    (INF, 75), (0.5, INF), (5000, 5100), (-INF, 900), (8, -INF), (0.9, INF), (INF, 60),
    (-INF, 600), (8000, 8100), (0.1, INF), (9.5, -INF), (INF, 90), (-INF, 750), (6, -INF),
]  # fmt: skip
FOUR_B = [
    (10, -INF), (0.2, INF), (INF, 80), (-INF, 550), (5005, 5105), (INF, 55), (5.5, -INF),
    (0.6, INF), (-INF, 950), (8005, 8105), (0.8, INF), (-INF, 800), (INF, 95), (7.5, -INF),
]  # fmt: skip


def rel(x, expected, tol=1e-12):
    if isinstance(x, torch.Tensor):
        x = x.detach()
    return abs(float(x) - expected) <= tol * max(1.0, abs(expected))


# ---------------------------------------------------------------------------------------------
# SPEC §10.6: sliced Wasserstein
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn,kwargs,expected",
    [
        (od.sliced_wasserstein_distance, {"n_directions": 50, "seed": 3}, 0.6087789341486333),
        (od.sliced_wasserstein_distance, {"n_directions": 50, "seed": 3, "q": 2}, 0.10489613189612264),
        (od.sliced_wasserstein_distance_diag_corrected, {"n_directions": 50, "seed": 3}, 0.5221908832534697),
        (od.sliced_wasserstein_distance, {"directions": [[1, 0]]}, 0.6),
        (od.sliced_wasserstein_distance, {"directions": [[2, 0]]}, 1.2),
        (od.sliced_wasserstein_distance, {"directions": [[1, 0], [0, 1]]}, 0.7),
    ],
)
def test_sliced_wasserstein_test_vectors(fn, kwargs, expected):
    result = fn(A, B, **kwargs)
    assert result.shape == () and result.dtype == torch.float64
    assert rel(result, expected)


@pytest.mark.parametrize(
    "fn,expected,grad",
    [
        (od.sliced_wasserstein_distance, 1.5, [[-0.5, -1.5]]),
        (od.sliced_wasserstein_distance_diag_corrected, 1.0, [[0.0, -1.0]]),
    ],
)
def test_sliced_single_point_value_and_gradient(fn, expected, grad):
    a1 = torch.tensor([[0.0, 2.0]], dtype=torch.float64, requires_grad=True)
    result = fn(a1, [[0.0, 3.0]], directions=[[0, 1]])
    result.backward()
    assert rel(result, expected)
    assert torch.allclose(a1.grad, torch.tensor(grad, dtype=torch.float64), atol=1e-12)


def test_sliced_essential_points_add_their_cost_and_gradient():
    a = torch.tensor([[0.0, 1.0], [0.2, INF]], dtype=torch.float64, requires_grad=True)
    b = [[0.1, 1.1], [0.5, INF]]
    result = od.sliced_wasserstein_distance(a, b, directions=[[1, 0]])
    result.backward()
    assert rel(result, 0.5)
    assert torch.allclose(a.grad, torch.tensor([[-1.5, -0.5], [-1.0, 0.0]], dtype=torch.float64))
    assert rel(od.sliced_wasserstein_distance(a, b, directions=[[1, 0]], ignore_inf_points=True), 0.2)


def test_sliced_essential_mismatch_message():
    with pytest.raises(ValueError) as info:
        od.sliced_wasserstein_distance([[0, INF]], [[0, INF], [1, INF]], directions=[[1, 0]])
    assert (
        str(info.value) == "Essential point cardinalities must match. Got 1 and 2 points with (finite, +inf)."
    )


def test_sliced_is_symmetric_zero_on_equal_and_zero_on_empty():
    rng = np.random.default_rng(0)
    a, b = rng.random((20, 2)), rng.random((15, 2))
    for fn in (od.sliced_wasserstein_distance, od.sliced_wasserstein_distance_diag_corrected):
        assert rel(fn(a, b, seed=1), float(fn(b, a, seed=1)))
        assert float(fn(a, a, seed=1)) == 0.0
        assert float(fn([], [], seed=1)) == 0.0


def test_sliced_seed_none_follows_torch_generator():
    torch.manual_seed(5)
    first = od.sliced_wasserstein_distance(A, B)
    torch.manual_seed(5)
    assert float(first) == float(od.sliced_wasserstein_distance(A, B))


def test_sliced_int_seed_leaves_torch_generator_alone():
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    od.sliced_wasserstein_distance(A, B, seed=2)
    assert torch.equal(torch.rand(3), expected)


# ---------------------------------------------------------------------------------------------
# SPEC §10.6: Wasserstein cost
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q,p,cost,grad",
    [
        (2, 2, 0.5, (-1.0, 1.0)),
        (1, INF, 0.5, (-0.5, 0.5)),
        (2, INF, 0.25, (-0.5, 0.5)),
        (1, 2, 0.70710678118654757, (-0.70710678118654757, 0.70710678118654757)),
    ],
)
def test_wasserstein_cost_against_empty(q, p, cost, grad):
    a = torch.tensor([[1.0, 2.0]], dtype=torch.float64, requires_grad=True)
    result = od.wasserstein_cost(a, [], wasserstein_q=q, internal_p=p)
    result.backward()
    assert rel(result, cost)
    assert np.allclose(a.grad.numpy(), [grad], atol=1e-12)


def test_wasserstein_cost_empty_vs_empty_is_zero():
    assert float(od.wasserstein_cost([], [])) == 0.0


def test_wasserstein_cost_four_families():
    a = torch.tensor(FOUR_A, dtype=torch.float64, requires_grad=True)
    cost = od.wasserstein_cost(a, FOUR_B, wasserstein_q=2, wasserstein_delta=0.001, ignore_inf_points=False)
    cost.backward()
    assert rel(cost, 7625.78, 1e-9)
    expected = [
        [0, -10], [-0.2, 0], [-10, 0], [0, -100], [1, 0], [0.2, 0], [0, 10], [0, 100], [-10, 0],
        [-0.2, 0], [-1, 0], [0, -10], [0, -100], [1, 0],
    ]  # fmt: skip
    assert torch.isfinite(a.grad).all()
    assert np.allclose(a.grad.numpy(), expected, atol=1e-9)
    infinite = ~torch.isfinite(a.detach())
    assert (a.grad[infinite] == 0).all()


def test_wasserstein_cost_four_families_ignoring_essential_points():
    a = torch.tensor(FOUR_A, dtype=torch.float64, requires_grad=True)
    cost = od.wasserstein_cost(a, FOUR_B, wasserstein_q=2, wasserstein_delta=0.001)
    cost.backward()
    assert rel(cost, 50.0, 1e-9)
    expected = np.zeros((14, 2))
    expected[[2, 8], 0] = -10
    assert np.allclose(a.grad.numpy(), expected, atol=1e-9)


def test_wasserstein_cost_essential_mismatch_raises():
    with pytest.raises(ValueError, match="essential point cardinalities must match"):
        od.wasserstein_cost([[0, INF]], [], ignore_inf_points=False)


def test_wasserstein_cost_rows_with_both_coordinates_infinite_are_ignored():
    a = torch.tensor([[0.0, 1.0], [INF, INF], [-INF, INF]], dtype=torch.float64, requires_grad=True)
    cost = od.wasserstein_cost(a, [[0.0, 1.0]], ignore_inf_points=False)
    cost.backward()
    assert cost.item() == 0.0
    assert (a.grad == 0).all()


def test_wasserstein_cost_keeps_float32_and_promotes_mixed_input():
    a32 = torch.tensor(A, dtype=torch.float32)
    assert od.wasserstein_cost(a32, torch.tensor(B, dtype=torch.float32)).dtype == torch.float32
    assert od.wasserstein_cost(a32, np.array(B)).dtype == torch.float64


# ---------------------------------------------------------------------------------------------
# SPEC §10.6: non-differentiable distances and matchings
# ---------------------------------------------------------------------------------------------


def test_wasserstein_distance_test_vectors():
    assert (
        0.5 <= od.wasserstein_distance(A, B, q=1) * (1 + 1e-12)
        and od.wasserstein_distance(A, B, q=1) <= 0.505
    )
    w2 = od.wasserstein_distance(A, B, q=2)
    assert 0.3 * (1 - 1e-12) <= w2 <= 0.303
    assert od.wasserstein_distance(A, B, q=1, wasserstein_q=2) == w2


def test_bottleneck_distance_test_vectors():
    assert od.bottleneck_distance(A, B, delta=0) == 0.2
    assert 0.2 <= od.bottleneck_distance(A, B) <= 0.202


def test_wasserstein_matching_test_vector():
    m = od.wasserstein_matching(A, B)
    assert isinstance(m, od.DiagramMatching)
    assert m.finite_to_finite.tolist() == [[0, 0], [1, 1]]
    assert m.finite_to_finite.dtype == np.int64
    assert m.a_to_diagonal.tolist() == [2] and m.b_to_diagonal.tolist() == []
    assert rel(m.cost, 0.09) and rel(m.distance, 0.3)


def test_bottleneck_matching_test_vector():
    m = od.bottleneck_matching(A, B, delta=0)
    assert isinstance(m, od.BottleneckMatching) and isinstance(m, od.DiagramMatching)
    assert m.distance == 0.2
    edges = sorted(m.longest.finite, key=lambda e: e.idx_a)
    assert [(e.idx_a, e.idx_b, e.length) for e in edges] == [(0, 0, 0.2), (2, None, 0.2)]
    assert edges[1].point_b == (0.5, 0.5) and edges[1].point_a == (0.3, 0.7)


def test_wasserstein_matching_four_families():
    m = od.wasserstein_matching(FOUR_A, FOUR_B, q=2, delta=0.001, ignore_inf_points=False)
    assert m.finite_to_finite.tolist() == [[2, 4], [8, 9]]
    expected = {
        "inf_death": [[9, 1], [1, 7], [5, 10]],
        "neg_inf_death": [[13, 6], [4, 13], [10, 0]],
        "inf_birth": [[0, 2], [6, 5], [11, 12]],
        "neg_inf_birth": [[7, 3], [12, 11], [3, 8]],
    }
    for family, pairs in expected.items():
        assert sorted(m.essential[family].tolist()) == sorted(pairs)
        assert np.array_equal(getattr(m.essential, family), m.essential[family])
    assert rel(m.cost, 7625.78, 1e-9)
    assert rel(m.distance, 87.3257121356591, 1e-9)


def test_matchings_with_ignored_essential_points_have_empty_families():
    m = od.wasserstein_matching(FOUR_A, FOUR_B, q=2, delta=0.001)
    assert all(m.essential[f].shape == (0, 2) for f in m.essential)
    assert rel(m.cost, 50.0, 1e-9)


def test_bottleneck_matching_essential_longest_edges():
    a = [[0.0, 1.0], [0.0, INF], [1.0, INF]]
    b = [[0.0, 1.0], [0.5, INF], [4.0, INF]]
    m = od.bottleneck_matching(a, b, delta=0, ignore_inf_points=False)
    assert m.distance == 3.0
    assert m.longest.finite == []
    assert m.longest.essential.inf_death == [(2, 2, 1.0, 4.0, 3.0)]
    assert m.longest.essential["inf_death"] == m.longest.essential.inf_death


def test_matching_essential_mismatch_raises_and_distances_return_inf():
    a, b = [[0.0, INF]], [[0.0, 1.0]]
    for fn in (od.wasserstein_matching, od.bottleneck_matching):
        with pytest.raises(ValueError, match="essential point cardinalities must match"):
            fn(a, b, ignore_inf_points=False)
    assert od.wasserstein_distance(a, b) == INF
    assert od.bottleneck_distance(a, b) == INF


def test_distances_match_essential_points_by_rank():
    a = [[0.0, INF], [5.0, INF], [-INF, 2.0]]
    b = [[4.0, INF], [1.0, INF], [-INF, 3.5]]
    # (0, 5) against (1, 4) in (finite, +inf), 2 against 3.5 in (-inf, finite).
    assert rel(od.wasserstein_distance(a, b, q=1), 3.5)
    assert od.bottleneck_distance(a, b, delta=0) == 1.5


def test_check_for_zero_returns_exact_zero_for_equal_diagrams():
    a = np.array([[0.1, 0.3], [0.2, INF], [0.05, 0.9]])
    assert od.wasserstein_distance(a, a[::-1].copy(), q=2) == 0.0
    assert od.wasserstein_distance(a, a, check_for_zero=False) == 0.0


def test_empty_diagrams():
    assert od.wasserstein_distance([], []) == 0.0
    assert od.bottleneck_distance([], np.zeros((0, 2)), delta=0) == 0.0
    assert od.bottleneck_distance([], [[0.0, 2.0]], delta=0) == 1.0
    assert rel(od.wasserstein_distance([[0.0, 2.0], [0.0, 4.0]], [], q=1), 3.0)


def test_point_to_diagonal():
    out = od.point_to_diagonal(torch.tensor([[0.0, 1.0], [1.0, 3.0]]))
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    assert out.tolist() == [[0.5, 0.5], [2.0, 2.0]]


def test_distances_accept_tensors_arrays_and_lists():
    expected = od.bottleneck_distance(A, B, delta=0)
    assert (
        od.bottleneck_distance(np.array(A), torch.tensor(B, dtype=torch.float64, requires_grad=True), delta=0)
        == expected
    )
    assert od.bottleneck_distance(np.array(A, dtype=np.float32), B, delta=0) == pytest.approx(
        expected, rel=1e-6
    )


def test_matchings_are_deterministic():
    rng = np.random.default_rng(3)
    a, b = rng.random((300, 2)), rng.random((250, 2))
    a[:, 1] += a[:, 0]
    b[:, 1] += b[:, 0]
    first = od.wasserstein_matching(a, b, q=1, delta=0.01)
    for _ in range(2):
        again = od.wasserstein_matching(a, b, q=1, delta=0.01)
        assert np.array_equal(again.finite_to_finite, first.finite_to_finite)
        assert again.cost == first.cost


def test_negated_diagrams_are_measured_by_absolute_persistence():
    # Under negate=True births exceed deaths; distances to the diagonal use |d − b|.
    assert od.bottleneck_distance([[2.0, 0.0]], [], delta=0) == 1.0
    assert rel(od.wasserstein_cost([[2.0, 0.0]], []), 1.0)


# ---------------------------------------------------------------------------------------------
# SPEC §8: errors
# ---------------------------------------------------------------------------------------------


def test_persistence_diagrams_argument_raises_type_error():
    dgms = od.persistence_diagram(od.vr_filtration(np.random.default_rng(0).random((5, 2)), max_dim=1))
    for call in (
        lambda: od.wasserstein_distance(dgms, B),
        lambda: od.sliced_wasserstein_distance(A, dgms),
        lambda: od.wasserstein_cost(dgms, B),
    ):
        with pytest.raises(TypeError, match=r"pass a single dimension, e\.g\. dgms\[1\]"):
            call()


@pytest.mark.parametrize("bad", [np.zeros((3, 3)), np.zeros(4), np.zeros((2, 2, 2))])
def test_wrong_shape_raises_value_error_naming_the_diagram(bad):
    with pytest.raises(ValueError, match=r"dgm_2 must have shape \(n, 2\)"):
        od.wasserstein_distance(A, bad)
    with pytest.raises(ValueError, match=r"dgm1 must have shape \(n, 2\)"):
        od.sliced_wasserstein_distance(bad, A)


def test_nan_raises_value_error_with_count():
    with pytest.raises(ValueError, match="dgm_1 must not contain NaN; got 2 NaN entries"):
        od.bottleneck_distance([[math.nan, 1.0], [0.0, math.nan]], B)
    with pytest.raises(ValueError, match="dgm_b .*NaN"):
        od.wasserstein_cost(A, [[math.nan, 1.0]])


def test_non_array_input_raises_type_error():
    with pytest.raises(TypeError, match="dgm_1"):
        od.wasserstein_distance("diagram", B)
    with pytest.raises(TypeError, match="dgm"):
        od.point_to_diagonal(3.0)


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda: od.sliced_wasserstein_distance(A, B, q=0), "q must be a positive finite number"),
        (lambda: od.sliced_wasserstein_distance(A, B, q=INF), "q must be a positive finite number"),
        (lambda: od.sliced_wasserstein_distance(A, B, n_directions=0), "n_directions"),
        (lambda: od.sliced_wasserstein_distance(A, B, n_directions=2.5), "n_directions"),
        (lambda: od.sliced_wasserstein_distance(A, B, directions=[[0, 0]]), "directions"),
        (lambda: od.sliced_wasserstein_distance(A, B, directions=[[INF, 0]]), "directions"),
        (lambda: od.sliced_wasserstein_distance(A, B, directions=np.zeros((0, 2))), "directions"),
        (lambda: od.sliced_wasserstein_distance(A, B, directions=[1, 0]), "directions"),
        (lambda: od.wasserstein_cost(A, B, wasserstein_q=0.5), "wasserstein_q"),
        (lambda: od.wasserstein_cost(A, B, wasserstein_delta=0), "wasserstein_delta"),
        (lambda: od.wasserstein_cost(A, B, internal_p=0.5), "internal_p"),
        (lambda: od.wasserstein_distance(A, B, q=0.5), "q"),
        (lambda: od.wasserstein_distance(A, B, delta=0), "delta"),
        (lambda: od.wasserstein_distance(A, B, delta=-1), "delta"),
        (lambda: od.wasserstein_distance(A, B, internal_p=math.nan), "internal_p"),
        (lambda: od.bottleneck_distance(A, B, delta=-0.1), "delta"),
        (lambda: od.bottleneck_distance(A, B, delta=math.nan), "delta"),
        (lambda: od.wasserstein_matching(A, B, q=math.inf), "q"),
        (lambda: od.bottleneck_matching(A, B, delta=-1), "delta"),
    ],
)
def test_invalid_parameters_raise_value_error_naming_them(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_internal_p_minus_one_is_an_alias_of_inf():
    assert od.wasserstein_distance(A, B, internal_p=-1) == od.wasserstein_distance(A, B, internal_p=INF)


def test_sliced_seed_of_wrong_type_raises_type_error():
    with pytest.raises(TypeError, match="seed"):
        od.sliced_wasserstein_distance(A, B, seed=1.5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.gpu
def test_cuda_inputs_stay_on_device_and_mixed_devices_raise():
    a = torch.tensor(A, dtype=torch.float64, device="cuda", requires_grad=True)
    for fn in (od.sliced_wasserstein_distance, od.wasserstein_cost):
        out = fn(a, B)
        assert out.device.type == "cuda"
        out.backward()
        assert a.grad.device.type == "cuda"
        a.grad = None
    with pytest.raises(ValueError, match="same device"):
        od.wasserstein_cost(a, torch.tensor(B))


def test_coordinates_whose_distances_overflow_raise_value_error():
    for call in (
        lambda: od.wasserstein_distance([[-1e308, 0.0]], [[0.0, 1e308]]),
        lambda: od.bottleneck_distance([[-1e308, 0.0]], [[0.0, 1e308]], delta=0),
        lambda: od.wasserstein_cost([[-1e308, 0.0]], [[0.0, 1e308]]),
    ):
        with pytest.raises(ValueError, match="dgm_1 and dgm_2 span"):
            call()
