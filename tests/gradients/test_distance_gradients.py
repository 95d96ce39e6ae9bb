"""Gradients of the differentiable distances (SPEC §6.1–6.3; STYLE §5).

(a) exact gradients on hand-checked inputs live in tests/test_distances.py (SPEC §10.6); here
(b) ``gradcheck`` in float64 where the matching or the sorting permutation is stable, and
(c) the special rules: zero-distance pairs give 0 (never NaN), infinite coordinates get 0.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import oineus_diff as od

INF = float("inf")


def separated_pair(seed, n=12, noise=0.02):
    """A diagram with well-separated points and a noisy copy with a few extra points, so the
    optimal matching is unique by a wide margin and no coordinate gaps tie."""
    rng = np.random.default_rng(seed)
    births = np.arange(n) * 1.0 + rng.random(n) * 0.1
    a = np.stack([births, births + 2.0 + rng.random(n)], axis=1)
    b = a + rng.uniform(-noise, noise, a.shape)
    extra = np.array([[0.5, 0.53], [3.5, 3.56]]) + rng.random((2, 2)) * 0.001
    return a, np.concatenate([b, extra])


@pytest.mark.parametrize("q", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("p", [1.0, 2.0, INF])
def test_wasserstein_cost_gradcheck(q, p):
    a_np, b_np = separated_pair(int(q * 10 + (p if p != INF else 7)))
    a = torch.tensor(a_np, requires_grad=True)
    b = torch.tensor(b_np, requires_grad=True)

    def cost(x, y):
        return od.wasserstein_cost(x, y, wasserstein_q=q, wasserstein_delta=0.01, internal_p=p)

    assert torch.autograd.gradcheck(cost, (a, b), eps=1e-7, atol=1e-5)


@pytest.mark.parametrize("q", [1.0, 2.0, 2.5])
@pytest.mark.parametrize("p", [1.0, 2.0, INF])
def test_wasserstein_cost_gradient_matches_finite_differences(q, p):
    a_np, b_np = separated_pair(3)
    a = torch.tensor(a_np, requires_grad=True)
    kwargs = {"wasserstein_q": q, "wasserstein_delta": 0.01, "internal_p": p}
    od.wasserstein_cost(a, b_np, **kwargs).backward()
    h = 1e-6
    numeric = np.zeros_like(a_np)
    for idx in np.ndindex(a_np.shape):
        plus, minus = a_np.copy(), a_np.copy()
        plus[idx] += h
        minus[idx] -= h
        f_plus = od.wasserstein_cost(plus, b_np, **kwargs).item()
        f_minus = od.wasserstein_cost(minus, b_np, **kwargs).item()
        numeric[idx] = (f_plus - f_minus) / (2 * h)
    assert np.allclose(a.grad.numpy(), numeric, atol=1e-5)


@pytest.mark.parametrize("q", [1.0, 1.5, 2.0, 3.0])
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, INF])
def test_zero_distance_pairs_give_zero_gradient(q, p):
    a = torch.tensor([[0.0, 1.0], [0.5, 3.0], [1.0, 1.0]], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([[0.0, 1.0], [0.5, 3.0]], dtype=torch.float64, requires_grad=True)
    cost = od.wasserstein_cost(a, b, wasserstein_q=q, internal_p=p)
    cost.backward()
    assert cost.item() == 0.0
    assert torch.equal(a.grad, torch.zeros_like(a)) and torch.equal(b.grad, torch.zeros_like(b))


def test_pair_with_one_equal_coordinate_has_finite_gradient():
    a = torch.tensor([[0.0, 2.0]], dtype=torch.float64, requires_grad=True)
    cost = od.wasserstein_cost(a, [[0.0, 2.1]], wasserstein_q=1.5, internal_p=2.0)
    cost.backward()
    assert torch.isfinite(a.grad).all()
    assert a.grad[0, 0] == 0.0
    assert math.isclose(a.grad[0, 1].item(), -1.5 * 0.1**0.5, rel_tol=1e-9)


def test_inf_norm_tie_sends_the_gradient_to_birth():
    a = torch.tensor([[0.0, 4.0]], dtype=torch.float64, requires_grad=True)
    od.wasserstein_cost(a, [[0.5, 4.5]], wasserstein_q=2.0).backward()
    assert a.grad.tolist() == [[-1.0, 0.0]]


@pytest.mark.parametrize("q", [1.0, 2.0])
def test_essential_gradients_reach_only_finite_coordinates(q):
    a = torch.tensor([[0.0, INF], [-INF, 3.0], [0.0, 1.0]], dtype=torch.float64, requires_grad=True)
    b = [[0.5, INF], [-INF, 2.0], [0.0, 1.2]]
    cost = od.wasserstein_cost(a, b, wasserstein_q=q, ignore_inf_points=False)
    cost.backward()
    assert torch.isfinite(a.grad).all()
    assert a.grad[0, 1] == 0.0 and a.grad[1, 0] == 0.0
    expected_0 = -q * 0.5 ** (q - 1)
    expected_1 = q * 1.0 ** (q - 1)
    assert math.isclose(a.grad[0, 0].item(), expected_0) and math.isclose(a.grad[1, 1].item(), expected_1)


def test_gradient_is_zero_on_rows_with_both_coordinates_infinite():
    a = torch.tensor([[INF, INF], [0.0, 1.0]], dtype=torch.float64, requires_grad=True)
    for fn in (od.sliced_wasserstein_distance, od.wasserstein_cost):
        a.grad = None
        fn(a, [[0.0, 1.5]]).backward()
        assert a.grad[0].tolist() == [0.0, 0.0]
        assert torch.isfinite(a.grad).all()


@pytest.mark.parametrize("q", [1.0, 2.0, 3.0])
def test_sliced_gradcheck_with_fixed_directions(q):
    # Only the plain variant: the corrected one detaches projections on purpose, so its
    # gradient is not the derivative of its value.
    fn = od.sliced_wasserstein_distance
    a_np, b_np = separated_pair(11, n=8, noise=0.3)
    a = torch.tensor(a_np, requires_grad=True)
    b = torch.tensor(b_np, requires_grad=True)
    directions = torch.tensor([[0.3, 0.9], [1.0, -0.2], [-0.7, 0.4]], dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda x, y: fn(x, y, directions=directions, q=q), (a, b), eps=1e-7, atol=1e-5
    )


def test_sliced_zero_gaps_give_zero_gradient_for_small_q():
    a = torch.tensor([[0.0, 1.0]], dtype=torch.float64, requires_grad=True)
    out = od.sliced_wasserstein_distance(a, [[0.0, 1.0]], directions=[[1, 0], [0, 1]], q=0.5)
    out.backward()
    assert out.item() == 0.0 and torch.equal(a.grad, torch.zeros_like(a))


def test_diag_corrected_gradient_skips_the_detached_projection():
    a = torch.tensor([[0.0, 2.0]], dtype=torch.float64, requires_grad=True)
    out = od.sliced_wasserstein_distance_diag_corrected(a, [], directions=[[0, 1]])
    out.backward()
    assert out.item() == 1.0 and a.grad.tolist() == [[0.0, 1.0]]
    a.grad = None
    out = od.sliced_wasserstein_distance(a, [], directions=[[0, 1]])
    out.backward()
    assert out.item() == 1.0 and a.grad.tolist() == [[-0.5, 0.5]]
