"""Vietoris-Rips diagrams without the complex (the implicit path) against the explicit one.

A Vietoris-Rips filtration is built only when something needs its cells. Until then
``persistence_diagram`` (dgm-loss, cohomology) reduces implicitly and forms each point from its
two critical edges; reading ``fil.values`` first selects the explicit path, which gathers from
the values. Both must agree: values exactly, index pairs exactly, input gradients to rounding.
"""

import numpy as np
import pytest
import torch

import oineus_diff as od


def cloud(seed, n, d, integer=False):
    rng = np.random.default_rng(seed)
    if integer:
        return torch.tensor(rng.integers(0, 4, size=(n, d)).astype(np.float64))
    return torch.tensor(rng.random((n, d)))


def both_paths(data, include_inf_points=False, **kwargs):
    """(implicit fil, dgms, input grad) and (explicit fil, dgms, input grad)."""
    results = []
    for explicit in (False, True):
        x = data.clone().requires_grad_(data.is_floating_point())
        fil = od.vr_filtration(x, **kwargs)
        if explicit:
            _ = fil.values
        dgms = od.persistence_diagram(fil, include_inf_points=include_inf_points)
        assert fil._is_built == explicit, "diagrams alone must not build the complex"
        grad = None
        if x.requires_grad and len(dgms):
            weights = [torch.linspace(-1.0, 2.0, 2 * len(dgms[d]), dtype=dgms[d].dtype) for d in dgms]
            loss = sum(
                (torch.nan_to_num(dgms[d], posinf=0.0) * w.reshape(-1, 2)).sum()
                for d, w in zip(dgms, weights, strict=True)
            )
            (grad,) = torch.autograd.grad(loss, x, allow_unused=True)
        results.append((fil, dgms, grad))
    return results


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("integer", [False, True])
@pytest.mark.parametrize("max_dim", [1, 2, 3])
def test_implicit_diagrams_and_gradients_equal_the_explicit_ones(seed, integer, max_dim):
    data = cloud(seed, n=18 if max_dim == 3 else 30, d=2 + seed % 2, integer=integer)
    (fil_i, dgms_i, grad_i), (fil_e, dgms_e, grad_e) = both_paths(
        data, include_inf_points=seed % 2 == 0, max_dim=max_dim
    )
    assert list(dgms_i) == list(dgms_e)
    for d in dgms_e:
        assert torch.equal(dgms_i[d].detach(), dgms_e[d].detach()), d
        np.testing.assert_array_equal(dgms_i.index_pairs(d), dgms_e.index_pairs(d))
    # The lazily built complex is the explicit one, and the rows are its values at the pairs.
    for d in dgms_i:
        pairs = dgms_i.index_pairs(d)
        finite = pairs[:, 1] >= 0
        np.testing.assert_array_equal(
            dgms_i[d].detach().numpy()[finite], fil_i.values.detach().numpy()[pairs[finite]]
        )
    if grad_e is None:
        assert grad_i is None or not grad_i.any()
    else:
        np.testing.assert_allclose(grad_i.numpy(), grad_e.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_implicit_path_keeps_the_filtration_dtype_and_eps(dtype):
    data = cloud(7, n=25, d=2).to(dtype)
    for eps in (0.0, 0.01):
        (_, dgms_i, grad_i), (_, dgms_e, grad_e) = both_paths(data, max_dim=2, eps=eps)
        for d in dgms_e:
            assert dgms_i[d].dtype == dtype
            assert torch.equal(dgms_i[d].detach(), dgms_e[d].detach())
        np.testing.assert_allclose(grad_i.numpy(), grad_e.numpy(), rtol=1e-5, atol=1e-6)


def test_implicit_path_on_a_distance_matrix_sends_gradient_to_the_lower_triangle():
    pts = cloud(3, n=20, d=3)
    matrix = torch.cdist(pts, pts)
    (_, dgms_i, grad_i), (_, dgms_e, grad_e) = both_paths(matrix, from_pwdists=True, max_dim=2)
    for d in dgms_e:
        assert torch.equal(dgms_i[d].detach(), dgms_e[d].detach())
    torch.testing.assert_close(grad_i, grad_e, rtol=0, atol=0)
    assert not torch.triu(grad_i).any()


def test_implicit_path_with_a_threshold_and_integer_input():
    data = cloud(5, n=24, d=2, integer=True).to(torch.int64)
    (_, dgms_i, grad_i), (_, dgms_e, _) = both_paths(data, max_dim=2, max_diameter=1.5)
    assert grad_i is None
    for d in dgms_e:
        assert dgms_i[d].dtype == torch.float64 and not dgms_i[d].requires_grad
        assert torch.equal(dgms_i[d], dgms_e[d])


def test_implicit_gradcheck_on_points():
    pts = cloud(11, n=12, d=2).requires_grad_(True)

    def h1_persistence(x):
        dgms = od.persistence_diagram(od.vr_filtration(x, max_dim=2))
        return (dgms[1][:, 1] - dgms[1][:, 0]).sum() + dgms[0][:, 1].sum()

    assert torch.autograd.gradcheck(h1_persistence, (pts,))


def test_implicit_results_do_not_depend_on_n_threads():
    data = cloud(13, n=40, d=3).requires_grad_(True)
    reference = None
    for n_threads in (1, 2, 4, 8):
        fil = od.vr_filtration(data, max_dim=2, n_threads=n_threads)
        dgms = od.persistence_diagram(fil, include_inf_points=True, n_threads=n_threads)
        loss = sum((torch.nan_to_num(dgms[d], posinf=0.0) ** 2).sum() for d in dgms)
        (grad,) = torch.autograd.grad(loss, data)
        result = ([dgms[d].detach().numpy().tobytes() for d in dgms], grad.numpy().tobytes())
        reference = reference or result
        assert result == reference, n_threads


def test_dims_to_backprop_is_checked_against_the_diagram_dimensions():
    fil = od.vr_filtration(cloud(1, n=10, d=2), max_dim=2)
    od.persistence_diagram(fil, dims_to_backprop=(0, 1, 2))
    with pytest.raises(ValueError, match="dims_to_backprop"):
        od.persistence_diagram(fil, dims_to_backprop=[3])
    assert not fil._is_built


def test_a_cloud_without_edges_has_no_diagram_dimensions_on_either_path():
    # max_diameter below every distance: only vertices, so max_dim is 0 and no dimension has a
    # diagram (dimensions 0 … max_dim − 1), as on the explicit path.
    (fil_i, dgms_i, _), (fil_e, dgms_e, _) = both_paths(
        cloud(2, n=6, d=2), include_inf_points=True, max_dim=2, max_diameter=1e-9
    )
    assert list(dgms_i) == list(dgms_e) == []
    assert fil_i.max_dim == fil_e.max_dim == 0


def test_a_distance_table_that_does_not_fit_falls_back_to_the_explicit_complex(monkeypatch):
    from oineus_diff import errors, filtrations

    def too_large(self, include_inf_points):
        raise errors.ComplexTooLargeError("Vietoris-Rips distance table: too large")

    data = cloud(9, n=20, d=2)
    expected = od.persistence_diagram(od.vr_filtration(data, max_dim=2))
    monkeypatch.setattr(filtrations._VrSource, "diagrams", too_large)
    fil = od.vr_filtration(data, max_dim=2)
    dgms = od.persistence_diagram(fil)
    assert fil._is_built
    for d in expected:
        assert torch.equal(dgms[d], expected[d])
