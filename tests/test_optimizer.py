"""TopologyOptimizer, IndicesValues and the crit-sets gradient (SPEC §4.4-4.8, §5, §10.1, §10.2)."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
import torch

import oineus_diff as od

F = [0.0, 3.0, 1.0, 2.0, 0.5, 4.0]
STRATEGIES = ["avg", "max", "sum", "fca"]


def micro(negate=False, requires_grad=True):
    f = torch.tensor(F, dtype=torch.float64, requires_grad=requires_grad)
    return f, od.freudenthal_filtration(f, negate=negate)


def crit_sets_grad(f, fil, strategy, *, step_size=1.0, sign=1.0, dim=0, **kwargs):
    dgms = od.persistence_diagram(
        fil, gradient_method="crit-sets", conflict_strategy=strategy, step_size=step_size, **kwargs
    )
    loss = sign * (dgms[dim][:, 1] - dgms[dim][:, 0]).sum()
    loss.backward()
    return f.grad.tolist()


# ---------------------------------------------------------------------------------------------
# SPEC §4.8: the micro-example through persistence_diagram
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "strategy,step_size,expected",
    [
        ("avg", 1.0, [0, 2, -0.75, 1, -1, 0]),
        ("max", 1.0, [0, 2, -1, 2, -1, 0]),
        ("sum", 1.0, [0, 2, -1.5, 2, -1, 0]),
        ("fca", 1.0, [0, 2, -1, 1.5, -1, 0]),
        ("avg", 0.5, [0, 1, -0.25, 1, -0.5, 0]),
        ("avg", 2.0, [0, 4, -1.75, 2.25, -2, 0]),
    ],
)
def test_micro_example_crit_sets_gradients(strategy, step_size, expected):
    f, fil = micro()
    assert crit_sets_grad(f, fil, strategy, step_size=step_size) == expected


def test_micro_example_crit_sets_diagram_equals_dgm_loss_diagram():
    _, fil = micro()
    for include in (False, True):
        a = od.persistence_diagram(fil, include_inf_points=include)
        b = od.persistence_diagram(fil, include_inf_points=include, gradient_method="crit-sets")
        assert torch.equal(a[0], b[0])
        np.testing.assert_array_equal(a.index_pairs(0), b.index_pairs(0))
    assert b.gradient_method == "crit-sets"
    np.testing.assert_array_equal(b.index_pairs(0), [[0, -1], [1, 9], [2, 7]])


def test_micro_example_under_negate():
    f, fil = micro(negate=True)
    dgms = od.persistence_diagram(fil, gradient_method="crit-sets", include_inf_points=True)
    assert dgms[0].tolist() == [[4.0, -math.inf], [3.0, 0.5], [2.0, 1.0]]
    assert crit_sets_grad(f, fil, "avg", sign=-1.0) == [0, 1, -1.5, 0.5, -2, 0]


def test_essential_rows_have_no_death_move_and_birth_gradients_flow():
    f, fil = micro()
    dgms = od.persistence_diagram(fil, gradient_method="crit-sets", include_inf_points=True)
    # Loss on the essential point only: its birth (vertex 0, value 0) moves up by 1; a NaN
    # upstream death gradient on the essential row is ignored.
    grad = torch.zeros_like(dgms[0])
    grad[0, 0] = -1.0
    grad[0, 1] = math.nan
    dgms[0].backward(grad)
    assert f.grad[0].item() != 0.0
    assert torch.isfinite(f.grad).all()


def test_crit_sets_backward_is_once_differentiable():
    f, fil = micro()
    dgms = od.persistence_diagram(fil, gradient_method="crit-sets")
    (g,) = torch.autograd.grad(dgms[0].sum(), f, create_graph=True)
    with pytest.raises(RuntimeError):
        g.sum().backward()


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_non_finite_target_raises_value_error_from_backward(bad):
    f, fil = micro()
    dgms = od.persistence_diagram(fil, gradient_method="crit-sets")
    grad = torch.ones_like(dgms[0])
    grad[1, 0] = bad
    with pytest.raises(ValueError, match="non-finite gradient in dimension 0"):
        dgms[0].backward(grad)


def test_zero_upstream_gradient_gives_zero_gradient():
    f, fil = micro()
    dgms = od.persistence_diagram(fil, gradient_method="crit-sets")
    dgms[0].backward(torch.zeros_like(dgms[0]))
    assert f.grad.tolist() == [0.0] * 6


def test_dims_to_backprop_is_only_a_hint():
    results = []
    for hint in (None, [0], [1]):
        f, fil = micro()
        results.append(crit_sets_grad(f, fil, "avg", dims_to_backprop=hint))
    assert results[0] == results[1] == results[2]


# ---------------------------------------------------------------------------------------------
# SPEC §10.2: the 3x3 grids
# ---------------------------------------------------------------------------------------------

GRID = [[0, 5, 1], [4, 6, 2], [3, 7, 0.5]]
GRID_EXPECTED = {
    "vertices": {
        "avg": [[0, 2, -0.75], [2, 0, 2], [-1, 0, -1]],
        "max": [[0, 2, -1], [2, 0, 2], [-1, 0, -1]],
        "sum": [[0, 2, -1.5], [2, 0, 2], [-1, 0, -1]],
        "fca": [[0, 2, -1], [2, 0, 2], [-1, 0, -1]],
    },
    "cells": {
        "avg": [[0, 1, -3], [1, 0, 1], [-4, 0, -4]],
        "max": [[0, 1, -4], [1, 0, 1], [-4, 0, -4]],
        "sum": [[0, 1, -6], [1, 0, 1], [-4, 0, -4]],
        "fca": [[0, 1, -3.25], [1, 0, 1], [-4, 0, -4]],
    },
}


@pytest.mark.parametrize("builder", ["freudenthal", "cube-vertices", "cube-cells"])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_grid_crit_sets_gradients(builder, strategy):
    f = torch.tensor(GRID, dtype=torch.float64, requires_grad=True)
    if builder == "freudenthal":
        fil = od.freudenthal_filtration(f)
    else:
        fil = od.cube_filtration(f, values_on=builder.split("-")[1])
    expected = GRID_EXPECTED["cells" if builder == "cube-cells" else "vertices"][strategy]
    assert crit_sets_grad(f, fil, strategy) == expected


# ---------------------------------------------------------------------------------------------
# SPEC §5 and §10.1: the optimizer on the micro-example
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def opt():
    return od.TopologyOptimizer(micro()[1])


def test_get_nth_persistence(opt):
    assert [opt.get_nth_persistence(0, n) for n in (1, 2, 3)] == [2.5, 1.0, 0.0]
    assert opt.get_nth_persistence(5, 1) == 0.0
    with pytest.raises(ValueError, match="n must be >= 1"):
        opt.get_nth_persistence(0, 0)


def iv_lists(iv):
    return iv.indices.tolist(), iv.values.tolist()


def test_simplify(opt):
    assert iv_lists(opt.simplify(2.5, od.DenoiseStrategy.BirthBirth, 0)) == ([9, 7], [0.5, 1.0])
    assert iv_lists(opt.simplify(1.0, od.DenoiseStrategy.BirthBirth, 0)) == ([7], [1.0])
    assert iv_lists(opt.simplify(2.5, "death_death", 0)) == ([1, 2], [3.0, 2.0])
    assert iv_lists(opt.simplify(2.5, "Midway", 0)) == ([1, 9, 2, 7], [1.75, 1.75, 1.5, 1.5])
    assert iv_lists(opt.simplify(0.1, "midway", 0)) == ([], [])
    with pytest.raises(ValueError, match="epsilon"):
        opt.simplify(math.nan, "midway", 0)
    with pytest.raises(ValueError, match="strategy"):
        opt.simplify(1.0, "nope", 0)


def test_singletons(opt):
    cases = [
        (7, 1.0, [7, 6]),
        (9, 2.0, [9, 8, 7, 6]),
        (2, 2.0, [2, 3]),
        (1, 1.5, [1, 2]),
        (7, 2.5, [7]),
        (2, 0.2, [2, 1]),
        (7, 2.0, []),
    ]
    for i, t, expected in cases:
        assert opt.singleton(i, t) == (t, expected)
    indices = [c[0] for c in cases]
    values = [c[1] for c in cases]
    assert opt.singletons(indices, values) == [(t, s) for _, t, s in cases]
    assert opt.singletons(np.array(indices), torch.tensor(values, dtype=torch.float64)) == [
        (t, s) for _, t, s in cases
    ]


SETS = [(1.0, [7, 6]), (2.0, [9, 8, 7, 6]), (2.0, [2, 3]), (1.5, [1, 2])]


@pytest.mark.parametrize(
    "strategy,expected",
    [
        (od.ConflictStrategy.Avg, ([1, 2, 3, 6, 7, 8, 9], [1.5, 1.75, 2, 1.5, 1.5, 2, 2])),
        (od.ConflictStrategy.Max, ([1, 2, 3, 6, 7, 8, 9], [1.5, 2, 2, 1, 1, 2, 2])),
        (od.ConflictStrategy.Sum, ([1, 2, 2, 3, 6, 6, 7, 7, 8, 9], [1.5, 2, 1.5, 2, 1, 2, 1, 2, 2, 2])),
        (od.ConflictStrategy.FixCritAvg, ([1, 2, 3, 6, 7, 8, 9], [1.5, 2, 2, 1.5, 1, 2, 2])),
    ],
)
def test_combine_loss(opt, strategy, expected):
    assert iv_lists(opt.combine_loss(SETS, strategy)) == expected
    assert iv_lists(opt.combine_loss(SETS, strategy.name.lower())) == expected
    applied = opt.crit_sets_apply([7, 9, 2, 1], [1.0, 2.0, 2.0, 1.5], strategy)
    assert iv_lists(applied) == expected


def test_combine_loss_max_examples(opt):
    assert iv_lists(opt.combine_loss([(0.1, [0]), (-0.4, [0])], "max")) == ([0], [-0.4])
    assert iv_lists(opt.combine_loss([(4.0, [4]), (2.0, [4])], "max")) == ([4], [4.0])
    assert iv_lists(opt.combine_loss([(2.0, [4]), (4.0, [4])], "max")) == ([4], [2.0])
    assert iv_lists(opt.combine_loss([], "avg")) == ([], [])


def test_canonical_recipe_on_the_micro_example():
    f, fil = micro()
    opt = od.TopologyOptimizer(fil)
    eps = opt.get_nth_persistence(0, 2)
    assert eps == 1.0
    indices, values = opt.simplify(eps, od.DenoiseStrategy.BirthBirth, 0)
    sets = opt.singletons(indices, values)
    assert sets == [(1.0, [7, 6])]
    ci, cv = opt.combine_loss(sets, od.ConflictStrategy.Max)
    assert (ci.tolist(), cv.tolist()) == ([6, 7], [1.0, 1.0])
    loss = ((fil.values[ci] - torch.as_tensor(cv, device=fil.values.device)) ** 2).mean()
    assert loss.item() == 1.0
    loss.backward()
    assert f.grad.tolist() == [0, 0, 0, 2, 0, 0]


def test_raw_moves(opt):
    assert opt.decrease_death(9, 2.0) == [9, 8, 7, 6]
    assert opt.decrease_death(9) == [9, 8, 7, 6]
    assert opt.increase_death(7, 2.5) == [7]
    assert opt.increase_birth(2, 2.0) == [2, 3]
    assert opt.decrease_birth(2, 0.2) == [2, 1]
    assert opt.increase_birth(0)[0] == 0
    with pytest.raises(ValueError, match="negative cell"):
        opt.increase_death(1)
    with pytest.raises(ValueError, match="positive cell"):
        opt.increase_birth(9)
    with pytest.raises(ValueError, match="target"):
        opt.increase_death(9, 1.0)
    with pytest.raises(ValueError, match="target"):
        opt.decrease_birth(2, 3.0)
    with pytest.raises(IndexError):
        opt.decrease_death(11)


def test_compute_diagram(opt):
    dgms = opt.compute_diagram()
    assert dgms.differentiable is False
    assert dgms[0].tolist() == [[0.5, 3.0], [1.0, 2.0]]
    assert dgms[0].requires_grad is False
    with_inf = opt.compute_diagram(include_inf_points=True)
    assert with_inf[0].tolist() == [[0.0, math.inf], [0.5, 3.0], [1.0, 2.0]]
    np.testing.assert_array_equal(with_inf.index_pairs(0), [[0, -1], [1, 9], [2, 7]])


def test_update_resorts_and_leaves_the_filtration_alone():
    f, fil = micro()
    opt = od.TopologyOptimizer(fil)
    before = fil.values.detach().clone()
    new = fil.values.detach().clone()
    new[1] = 1.5  # vertex (4) now after vertex (2)
    perm = opt.update(new)
    assert perm.dtype == np.int64
    assert perm.tolist() == [0, 2, 1, 3, 4, 5, 6, 7, 8, 9, 10]
    assert torch.equal(fil.values.detach(), before)
    assert opt.compute_diagram()[0].tolist() == [[1.0, 3.0], [1.5, 2.0]]
    assert opt.singleton(7, 1.5) == (1.5, [7, 6])
    with pytest.raises(ValueError, match="new_values"):
        opt.update(new[:-1])
    bad = new.clone()
    bad[3] = math.nan
    with pytest.raises(ValueError, match="new_values"):
        opt.update(bad)


def test_reduce_all_changes_nothing():
    _, fil = micro()
    a, b = od.TopologyOptimizer(fil), od.TopologyOptimizer(fil)
    b.reduce_all()
    for i in range(11):
        for t in (-1.0, 1.25, 2.0, 5.0):
            assert a.singleton(i, t) == b.singleton(i, t)


# ---------------------------------------------------------------------------------------------
# Errors (SPEC §8)
# ---------------------------------------------------------------------------------------------


def test_optimizer_errors():
    _, fil = micro()
    with pytest.raises(TypeError, match="fil"):
        od.TopologyOptimizer("not a filtration")
    with pytest.raises(ValueError, match="n_threads"):
        od.TopologyOptimizer(fil, n_threads=0)
    opt = od.TopologyOptimizer(fil, with_crit_sets=False)
    assert opt.compute_diagram()[0].shape == (2, 2)
    with pytest.raises(RuntimeError, match="with_crit_sets"):
        opt.singleton(7, 1.0)
    with pytest.raises(RuntimeError, match="with_crit_sets"):
        opt.decrease_death(9)
    opt = od.TopologyOptimizer(fil)
    with pytest.raises(IndexError):
        opt.singleton(11, 1.0)
    with pytest.raises(IndexError):
        opt.singletons([0, -1], [1.0, 1.0])
    with pytest.raises(ValueError, match="same length"):
        opt.singletons([0, 1], [1.0])
    with pytest.raises(ValueError, match="t must not be NaN"):
        opt.singleton(1, math.nan)
    with pytest.raises(IndexError):
        opt.combine_loss([(1.0, [11])], "avg")
    with pytest.raises(ValueError, match="strategy"):
        opt.combine_loss(SETS, "median")


# ---------------------------------------------------------------------------------------------
# IndicesValues
# ---------------------------------------------------------------------------------------------


def test_indices_values_behaves_as_an_immutable_pair():
    iv = od.IndicesValues([6, 7], np.array([1.0, 1.5]))
    indices, values = iv
    assert indices.dtype == np.int64 and values.dtype == np.float64
    assert len(iv) == 2
    assert iv[0] is iv.indices_array() and iv[1] is iv.values_array()
    for bad in (2, -1, -2):
        with pytest.raises(IndexError):
            iv[bad]
    assert repr(iv) == "IndicesValues(indices=[6, 7], values=[1.0, 1.5])"
    assert pickle.loads(pickle.dumps(iv)) == iv
    assert iv != od.IndicesValues([6, 7], [1.0, 2.0])
    with pytest.raises(AttributeError):
        iv.indices = np.array([1])  # type: ignore[misc]


def test_float32_results_are_float32():
    f = torch.tensor(F, dtype=torch.float32, requires_grad=True)
    fil = od.freudenthal_filtration(f)
    opt = od.TopologyOptimizer(fil)
    iv = opt.combine_loss(SETS, "avg")
    assert iv.values.dtype == np.float32
    assert opt.simplify(2.5, "midway", 0).values.dtype == np.float32
    dgms = od.persistence_diagram(fil, gradient_method="crit-sets")
    (dgms[0][:, 1] - dgms[0][:, 0]).sum().backward()
    assert f.grad.dtype == torch.float32
    assert f.grad.tolist() == [0, 2, -0.75, 1, -1, 0]


# ---------------------------------------------------------------------------------------------
# Random complexes: the manual pipeline, determinism, big steps
# ---------------------------------------------------------------------------------------------


def grid_fil(seed, shape=(40, 40), negate=False, requires_grad=True):
    data = torch.tensor(np.random.default_rng(seed).random(shape), requires_grad=requires_grad)
    return data, od.freudenthal_filtration(data, negate=negate)


def vr_fil(seed, n=48, dim=3):
    pts = torch.tensor(np.random.default_rng(seed).random((n, dim)), requires_grad=True)
    return pts, od.vr_filtration(pts, max_dim=2)


def random_loss(dgms, seed):
    gen = torch.Generator().manual_seed(seed)
    loss = 0.0
    for d in dgms:
        weights = torch.randn(dgms[d].shape, generator=gen, dtype=dgms[d].dtype)
        finite = torch.isfinite(dgms[d])
        loss = loss + (torch.where(finite, dgms[d], 0.0) * weights).sum()
    return loss


def values_grad(fil, strategy, seed=0, **kwargs):
    """The crit-sets gradient on ``fil.values`` of a random linear loss."""
    dgms = od.persistence_diagram(fil, gradient_method="crit-sets", conflict_strategy=strategy, **kwargs)
    (grad,) = torch.autograd.grad(random_loss(dgms, seed), fil.values)
    return grad


@pytest.mark.parametrize("make", ["grid", "grid-negate", "vr"])
@pytest.mark.parametrize("include", [False, True])
def test_crit_sets_gradients_are_bitwise_identical_for_threads_and_dualize(make, include):
    if make == "vr":
        _, fil = vr_fil(3)
    else:
        _, fil = grid_fil(4, negate=make == "grid-negate")
    for strategy in STRATEGIES:
        reference = values_grad(fil, strategy, n_threads=1, dualize=False, include_inf_points=include)
        assert reference.abs().sum() > 0
        for n_threads in (2, 4, 8):
            for dualize in (False, True):
                grad = values_grad(
                    fil, strategy, n_threads=n_threads, dualize=dualize, include_inf_points=include
                )
                assert torch.equal(grad, reference), (strategy, n_threads, dualize)


@pytest.mark.parametrize("make", ["grid", "grid-negate", "vr"])
def test_crit_sets_avg_equals_the_manual_pipeline(make):
    if make == "vr":
        _, fil = vr_fil(5)
    else:
        _, fil = grid_fil(6, shape=(20, 20), negate=make == "grid-negate")
    dgms = od.persistence_diagram(fil, gradient_method="crit-sets", conflict_strategy="avg")
    loss = random_loss(dgms, 11)
    (grad,) = torch.autograd.grad(loss, fil.values)

    dgms0 = od.persistence_diagram(fil)
    upstream = torch.autograd.grad(random_loss(dgms0, 11), [dgms0[d] for d in dgms0])
    opt = od.TopologyOptimizer(fil)
    manual = torch.zeros_like(fil.values)
    values = fil.values.detach()
    for d in dgms0:
        pairs = dgms0.index_pairs(d)
        g = upstream[d]
        b_t = values[pairs[:, 0]] - g[:, 0]
        e_t = values[pairs[:, 1]] - g[:, 1]
        mb = (b_t != values[pairs[:, 0]]).numpy()
        md = (e_t != values[pairs[:, 1]]).numpy()
        indices = np.concatenate([pairs[mb, 0], pairs[md, 1]])
        targets = torch.cat([b_t[mb], e_t[md]])
        ci, cv = opt.combine_loss(opt.singletons(indices, targets), "avg")
        leaf = values.clone().requires_grad_(True)
        surrogate = 0.5 * ((leaf[ci] - torch.as_tensor(cv)) ** 2).sum()
        surrogate.backward()
        manual += leaf.grad
    torch.testing.assert_close(grad, manual, rtol=1e-12, atol=0)


@pytest.mark.parametrize("seed", range(3))
def test_big_step_simplify_birth_birth_removes_the_selected_points(seed):
    _, fil = grid_fil(seed, shape=(12, 12), requires_grad=False)
    opt = od.TopologyOptimizer(fil)
    dim = 0
    before = opt.compute_diagram()[dim]
    eps = opt.get_nth_persistence(dim, 4)
    indices, values = opt.simplify(eps, "birth_birth", dim)
    assert len(indices) == len(before) - 3
    ci, cv = opt.combine_loss(opt.singletons(indices, values), "max")
    new_values = fil.values.detach().clone()
    new_values[ci] = torch.as_tensor(cv)
    opt.update(new_values)
    # The new values need not be monotone, so pairs whose death lies before their birth appear;
    # the points of positive persistence are exactly the three that were not selected.
    after = opt.compute_diagram()[dim]
    persistence = after[:, 1] - after[:, 0]
    kept = persistence[persistence > 0].sort(descending=True).values
    expected = (before[:, 1] - before[:, 0]).sort(descending=True).values[:3]
    assert torch.equal(kept, expected)


def test_canonical_recipe_on_a_noisy_circle():
    rng = np.random.default_rng(0)
    angles = rng.uniform(0, 2 * np.pi, 60)
    pts_np = np.stack([np.cos(angles), np.sin(angles)], axis=1) + 0.2 * rng.standard_normal((60, 2))
    pts = torch.tensor(pts_np, requires_grad=True)
    fil = od.vr_filtration(pts, max_dim=2)
    opt = od.TopologyOptimizer(fil)
    before = opt.compute_diagram()[1]
    eps = opt.get_nth_persistence(1, 2)
    indices, values = opt.simplify(eps, od.DenoiseStrategy.BirthBirth, 1)
    assert len(indices) == len(before) - 1 >= 3
    ci, cv = opt.combine_loss(opt.singletons(indices, values), od.ConflictStrategy.Max)
    assert len(ci) >= len(indices)
    loss = ((fil.values[ci] - torch.as_tensor(cv, device=fil.values.device)) ** 2).mean()
    loss.backward()
    assert torch.isfinite(pts.grad).all() and pts.grad.abs().sum() > 0
    # Applying the targets directly (a big step) leaves only the most persistent H1 point.
    new_values = fil.values.detach().clone()
    new_values[ci] = torch.as_tensor(cv)
    opt.update(new_values)
    h1 = opt.compute_diagram()[1]
    persistence = h1[:, 1] - h1[:, 0]
    assert torch.equal(persistence[persistence > 0], (before[:, 1] - before[:, 0]).max().reshape(1))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_cuda_crit_sets_match_cpu_and_stay_on_device(strategy):
    data = np.random.default_rng(9).random((20, 20))
    grads = {}
    for device in ("cpu", "cuda"):
        x = torch.tensor(data, device=device, requires_grad=True)
        fil = od.freudenthal_filtration(x)
        dgms = od.persistence_diagram(fil, gradient_method="crit-sets", conflict_strategy=strategy)
        assert all(t.device.type == device for t in dgms.values())
        (dgms[0][:, 1] - dgms[0][:, 0]).pow(2).sum().backward()
        assert x.grad.device.type == device
        grads[device] = x.grad.cpu()
        ci, cv = od.TopologyOptimizer(fil).combine_loss([(0.5, [0, 1])], strategy)
        assert ci.tolist() == [0, 1]
    torch.testing.assert_close(grads["cuda"], grads["cpu"], rtol=1e-12, atol=0)
