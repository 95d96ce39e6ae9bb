"""Gradients of the Delaunay-family values and diagrams (SPEC §3.4-3.7, §10.5; STYLE §5).

(a) exact gradients on hand-checked inputs, (b) central finite differences (step 1e-6,
atol = rtol = 1e-5) and ``gradcheck`` in float64 on random general-position clouds, for
``sum(values**2)`` and for a diagram loss, (c) zero gradients where a value does not depend on
a point.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import oineus_diff as od

BUILDERS = [od.alpha_filtration, od.weak_alpha_filtration, od.cech_delaunay_filtration]
IDS = ["alpha", "weak_alpha", "cech_delaunay"]


def values_loss(build, squared):
    return lambda pts: (build(pts, squared=squared).values ** 2).sum()


def diagram_loss(build, squared):
    def loss(pts):
        dgms = od.persistence_diagram(build(pts, squared=squared))
        total = dgms[0][:, 1].sum()
        for d in range(1, len(dgms)):
            total = total + (dgms[d][:, 1] - dgms[d][:, 0]).pow(2).sum()
        return total

    return loss


def central_differences(loss, pts, step=1e-6):
    grad = torch.zeros_like(pts)
    flat = pts.detach().clone().reshape(-1)
    for k in range(flat.numel()):
        plus, minus = flat.clone(), flat.clone()
        plus[k] += step
        minus[k] -= step
        grad.view(-1)[k] = (loss(plus.reshape(pts.shape)).item() - loss(minus.reshape(pts.shape)).item()) / (
            2 * step
        )
    return grad


def cloud(seed, n, d):
    return torch.tensor(np.random.default_rng(seed).random((n, d)), dtype=torch.float64)


# ---------------------------------------------------------------------------------------------
# (a) exact gradients
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("build", BUILDERS, ids=IDS)
def test_edge_gradient_is_half_the_difference(build):
    pts = torch.tensor([[0.0, 0.0], [3.0, 4.0]], dtype=torch.float64, requires_grad=True)
    fil = build(pts)
    assert fil.values.tolist() == [0.0, 0.0, 6.25]
    fil.values[2].backward()
    assert pts.grad.tolist() == [[-1.5, -2.0], [1.5, 2.0]]


def test_obtuse_triangle_gradient_depends_on_the_longest_edge_only():
    pts = torch.tensor([[0.0, 0.0], [2.0, 0.0], [1.0, 0.1]], dtype=torch.float64, requires_grad=True)
    for build in (od.cech_delaunay_filtration, od.weak_alpha_filtration):
        fil = build(pts)
        fil.values[fil.sorted_id((0, 1, 2))].backward()
        assert pts.grad.tolist() == [[-1.0, 0.0], [1.0, 0.0], [0.0, 0.0]]
        pts.grad = None
    # Alpha: the long edge and the triangle share the triangle's circumradius, which depends on
    # all three points.
    fil = od.alpha_filtration(pts)
    fil.values[fil.sorted_id((0, 1))].backward()
    assert pts.grad.abs().sum(dim=1).gt(0).all()


def test_squared_false_gradient_of_an_edge_is_the_unit_vector_over_two():
    pts = torch.tensor([[0.0, 0.0, 0.0], [0.0, 3.0, 4.0]], dtype=torch.float64, requires_grad=True)
    fil = od.alpha_filtration(pts, squared=False)
    assert fil.values.tolist() == [0.0, 0.0, 2.5]
    fil.values.sum().backward()
    assert pts.grad.flatten().tolist() == pytest.approx([0.0, -0.3, -0.4, 0.0, 0.3, 0.4], abs=1e-15)


# ---------------------------------------------------------------------------------------------
# (b) finite differences and gradcheck
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("squared", [True, False])
@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("build", BUILDERS, ids=IDS)
def test_gradients_match_central_differences(build, d, squared):
    pts = cloud(100 + d, 12, d)
    for make_loss in (values_loss, diagram_loss):
        loss = make_loss(build, squared)
        x = pts.clone().requires_grad_()
        loss(x).backward()
        expected = central_differences(loss, pts)
        np.testing.assert_allclose(x.grad.numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("build", BUILDERS, ids=IDS)
def test_gradcheck_values(build, d):
    pts = cloud(200 + d, 10, d).requires_grad_()
    assert torch.autograd.gradcheck(lambda x: build(x).values, (pts,), eps=1e-6, atol=1e-5, rtol=1e-4)
    assert torch.autograd.gradcheck(
        lambda x: build(x, squared=False).values, (pts,), eps=1e-6, atol=1e-5, rtol=1e-4
    )


# ---------------------------------------------------------------------------------------------
# (c) zero gradients
# ---------------------------------------------------------------------------------------------


def test_vertices_and_duplicates_receive_no_gradient():
    pts = torch.tensor(
        [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]],
        dtype=torch.float64,
        requires_grad=True,
    )
    for build in BUILDERS:
        build(pts).values[:4].sum().backward()
        assert pts.grad is None or not pts.grad.any()
        pts.grad = None
        build(pts).values.sum().backward()
        assert pts.grad[4].tolist() == [0.0, 0.0, 0.0]
        pts.grad = None


def test_weak_alpha_gradient_goes_through_the_critical_edge():
    pts = cloud(5, 30, 3).requires_grad_()
    fil = od.weak_alpha_filtration(pts)
    crit = fil.critical_indices
    top = fil.dim_range(3)[0]
    fil.values[top].backward()
    x, y = crit[top]
    touched = torch.nonzero(pts.grad.abs().sum(dim=1)).flatten().tolist()
    assert touched == sorted([int(x), int(y)])
