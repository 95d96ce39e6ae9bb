"""Grid filtrations against Oineus, GUDHI and CubicalRipser (SPEC §3.2, §3.3, §4.7, §9).

Oineus is the reference for the combinatorics: for the grid builders our sid order, index
pairs and critical indices must equal Oineus's exactly (SPEC §4.7, last bullet). We read its
cells in sorted order from ``oineus.Grid_ND(data).freudenthal_filtration_and_critical_vertices``
/ ``cube_filtration_and_critical_indices`` (the calls ``oineus.diff`` itself makes), its index
pairs from ``oineus.Decomposition(...).diagram(fil, include_inf_points=True)``, and its
differentiable finite diagram from ``oineus.diff.persistence_diagram``.

Normalisations (SPEC §9): Oineus orders rows by death sid, we by birth sid, so both are sorted
by birth sid; Oineus keeps essential rows with death index 2**64 - 1 and we use -1; Oineus may
keep zero-persistence pairs, which we drop. Cube vertices are given by Oineus as grid
coordinates and are converted to C-order flat indices into the vertex grid.

GUDHI's ``CubicalComplex`` and CubicalRipser (``cripser.computePH`` for the V-construction,
``cripser.computePH_T`` for the T-construction) are compared on diagrams only: finite points
per dimension with positive persistence, and essential counts. Under ``negate`` they are run on
``-data`` and their points negated back.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import oineus_diff as od

pytestmark = pytest.mark.reference

BUILDERS = ["freudenthal", "cube-vertices", "cube-cells"]
NO_DEATH = np.iinfo(np.uint64).max


def build(builder, data, **kwargs):
    if builder == "freudenthal":
        return od.freudenthal_filtration(data, **kwargs)
    values_on = "vertices" if builder == "cube-vertices" else "cells"
    return od.cube_filtration(data, values_on=values_on, **kwargs)


def fil_with_values(builder, tensor, negate):
    """A grid filtration whose cells and values are formed before any diagram."""
    fil = build(builder, tensor, negate=negate)
    _ = fil.values
    return fil


def grid_data(seed, shape, plateaus):
    rng = np.random.default_rng(seed)
    if plateaus:
        return rng.integers(0, 5, size=shape).astype(np.float64)
    return rng.random(shape)


def data_cases():
    """Random 2-D (up to 30x30) and 3-D (up to 8x8x8) grids, distinct values and plateaus."""
    cases = []
    for seed in range(6):
        rng = np.random.default_rng(500 + seed)
        ndim = 2 + seed % 2
        high = 31 if ndim == 2 else 9
        shape = tuple(int(n) for n in rng.integers(2, high, size=ndim))
        if seed < 2:  # make sure the largest sizes are present
            shape = (30, 30) if ndim == 2 else (8, 8, 8)
        for plateaus in (False, True):
            label = f"s{seed}-{'x'.join(map(str, shape))}-{'ties' if plateaus else 'distinct'}"
            cases.append(pytest.param(seed, shape, plateaus, id=label))
    return cases


# ---------------------------------------------------------------------------------------------
# Oineus
# ---------------------------------------------------------------------------------------------


def oineus_grid(builder, data, negate, wrap=False, max_dim=None):
    """(cells as sorted vertex tuples, values, critical indices, under_fil) from Oineus."""
    oineus = pytest.importorskip("oineus")
    grid_cls = getattr(oineus, f"Grid_{data.ndim}D")
    on_cells = builder == "cube-cells"
    grid = grid_cls(data, wrap=wrap, values_on="cells" if on_cells else "vertices")
    max_dim = data.ndim if max_dim is None else max_dim
    if builder == "freudenthal":
        fil, crit = grid.freudenthal_filtration_and_critical_vertices(
            max_dim=max_dim, negate=negate, n_threads=1
        )
        cells = [tuple(sorted(c.vertices)) for c in fil.cells()]
    else:
        fil, crit = grid.cube_filtration_and_critical_indices(max_dim=max_dim, negate=negate, n_threads=1)
        vertex_grid = tuple(n + 1 for n in data.shape) if on_cells else data.shape
        cells = [
            tuple(sorted(int(np.ravel_multi_index(tuple(v), vertex_grid)) for v in c.vertices))
            for c in fil.cells()
        ]
    values = np.array([c.value for c in fil.cells()])
    return cells, values, np.asarray(crit, dtype=np.int64), fil


def oineus_index_pairs(fil, values, max_dim):
    """Oineus's index pairs per dimension, normalised to SPEC §1.3 (see the module docstring)."""
    oineus = pytest.importorskip("oineus")
    decomposition = oineus.Decomposition(fil, False)
    decomposition.reduce(oineus.ReductionParams())
    dgms = decomposition.diagram(fil, include_inf_points=True)
    out = {}
    for dim in range(max_dim):
        raw = np.asarray(dgms.index_diagram_in_dimension(dim, as_numpy=True), dtype=np.uint64).reshape(-1, 2)
        essential = raw[:, 1] == NO_DEATH
        pairs = raw.astype(np.int64)
        pairs[essential, 1] = -1
        keep = essential | (values[pairs[:, 0]] != values[np.maximum(pairs[:, 1], 0)])
        pairs = pairs[keep]
        out[dim] = pairs[np.argsort(pairs[:, 0], kind="stable")]
    return out


def oineus_diff_finite_diagram(builder, data, negate):
    """The finite points of oineus.diff.persistence_diagram, positive persistence, sorted."""
    odiff = pytest.importorskip("oineus.diff")
    tensor = torch.tensor(data)
    if builder == "freudenthal":
        fil = odiff.freudenthal_filtration(tensor, negate=negate)
    else:
        values_on = "vertices" if builder == "cube-vertices" else "cells"
        fil = odiff.cube_filtration(tensor, negate=negate, values_on=values_on)
    dgms = odiff.persistence_diagram(fil)
    return {dim: sorted_points(dgms[dim].detach().numpy()) for dim in dgms.keys()}


def sorted_points(points):
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    points = points[points[:, 0] != points[:, 1]]
    return points[np.lexsort((points[:, 1], points[:, 0]))]


def assert_same_as_oineus(builder, data, negate, **kwargs):
    fil = build(builder, data, negate=negate, **kwargs)
    cells, values, crit, under = oineus_grid(builder, data, negate, **kwargs)
    assert fil.cells() == cells
    np.testing.assert_array_equal(fil.values.detach().numpy(), values)
    np.testing.assert_array_equal(fil.critical_indices, crit)
    expected = oineus_index_pairs(under, values, fil.max_dim)
    dgms = od.persistence_diagram(fil, include_inf_points=True)
    assert list(dgms) == list(expected)
    for dim in dgms:
        np.testing.assert_array_equal(dgms.index_pairs(dim), expected[dim], err_msg=f"H{dim}")
    return fil, dgms


@pytest.mark.parametrize("negate", [False, True], ids=["sub", "super"])
@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("seed,shape,plateaus", data_cases())
def test_random_grid_matches_oineus(seed, shape, plateaus, builder, negate):
    data = grid_data(seed, shape, plateaus)
    fil, dgms = assert_same_as_oineus(builder, data, negate)
    # The differentiable route of oineus.diff gives the same finite points.
    expected = oineus_diff_finite_diagram(builder, data, negate)
    for dim in dgms:
        finite = dgms.index_pairs(dim)[:, 1] >= 0
        np.testing.assert_array_equal(
            sorted_points(dgms.in_dimension(dim, as_numpy=True)[finite]), expected[dim], err_msg=f"H{dim}"
        )
    assert len(dgms[0]) > 1
    if builder != "freudenthal" and data.ndim == 2:
        # From a tensor, 2-D cubical diagrams skip the cells (union-finds over the grid): the same
        # points as Oineus's, and the gradient of the built path.
        tensor = torch.tensor(data, requires_grad=True)
        direct_fil = build(builder, tensor, negate=negate)
        direct = od.persistence_diagram(direct_fil, include_inf_points=True)
        assert not direct_fil._is_built
        for dim in direct:
            points = direct.in_dimension(dim, as_numpy=True)
            finite = np.isfinite(points[:, 1])
            np.testing.assert_array_equal(sorted_points(points[finite]), expected[dim], err_msg=f"H{dim}")
        loss = sum(torch.nan_to_num(direct[d], posinf=0.0, neginf=0.0).pow(2).sum() for d in direct)
        loss.backward()
        built_tensor = torch.tensor(data, requires_grad=True)
        built = od.persistence_diagram(
            fil_with_values(builder, built_tensor, negate), include_inf_points=True
        )
        sum(torch.nan_to_num(built[d], posinf=0.0, neginf=0.0).pow(2).sum() for d in built).backward()
        assert torch.count_nonzero(built_tensor.grad) > 0
        assert torch.equal(tensor.grad, built_tensor.grad)


@pytest.mark.parametrize("negate", [False, True], ids=["sub", "super"])
@pytest.mark.parametrize(
    "shape,plateaus", [((9, 11), False), ((9, 11), True), ((4, 5, 3), False), ((4, 5, 3), True)]
)
def test_wrapped_freudenthal_matches_oineus(shape, plateaus, negate):
    data = grid_data(sum(shape), shape, plateaus)
    assert_same_as_oineus("freudenthal", data, negate, wrap=True)


@pytest.mark.parametrize("negate", [False, True], ids=["sub", "super"])
@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("plateaus", [False, True])
def test_four_d_grid_matches_oineus(builder, plateaus, negate):
    data = grid_data(7, (3, 4, 3, 3), plateaus)
    assert_same_as_oineus(builder, data, negate, max_dim=4)


@pytest.mark.parametrize("negate", [False, True], ids=["sub", "super"])
@pytest.mark.parametrize("plateaus", [False, True])
def test_four_d_wrapped_freudenthal_matches_oineus(plateaus, negate):
    data = grid_data(9, (3, 4, 3, 3), plateaus)
    assert_same_as_oineus("freudenthal", data, negate, wrap=True, max_dim=4)


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("shape", [(1,), (1, 5), (5, 1), (1, 1), (2, 1, 3), (1, 3, 1, 2)])
def test_degenerate_grid_matches_oineus(builder, shape):
    for plateaus in (False, True):
        for negate in (False, True):
            data = grid_data(10, shape, plateaus)
            kwargs = {"max_dim": 4} if len(shape) == 4 else {}
            assert_same_as_oineus(builder, data, negate, **kwargs)


@pytest.mark.parametrize("builder", BUILDERS)
def test_one_d_signal_matches_oineus(builder):
    for plateaus in (False, True):
        for negate in (False, True):
            assert_same_as_oineus(builder, grid_data(3, (40,), plateaus), negate)


@pytest.mark.parametrize("builder", BUILDERS)
def test_float32_grid_matches_oineus_float32(builder):
    data = grid_data(8, (12, 13), False).astype(np.float32)
    fil = build(builder, data)
    assert fil.dtype == torch.float32
    cells, values, crit, under = oineus_grid(builder, data, False)
    assert fil.cells() == cells
    np.testing.assert_array_equal(fil.values.numpy(), values.astype(np.float32))
    np.testing.assert_array_equal(fil.critical_indices, crit)
    expected = oineus_index_pairs(under, values, fil.max_dim)
    dgms = od.persistence_diagram(fil, include_inf_points=True)
    for dim in dgms:
        assert dgms[dim].dtype == torch.float32
        np.testing.assert_array_equal(dgms.index_pairs(dim), expected[dim], err_msg=f"H{dim}")


# ---------------------------------------------------------------------------------------------
# GUDHI and CubicalRipser (cubical complexes)
# ---------------------------------------------------------------------------------------------


def split(points):
    """(sorted finite points with positive persistence, number of essential points)."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    # cripser writes essential deaths as DBL_MAX; GUDHI and we use inf.
    essential = ~np.isfinite(points[:, 1]) | (np.abs(points[:, 1]) > 1e300)
    return sorted_points(points[~essential]), int(essential.sum())


def ours_split(builder, data, negate):
    """Our diagrams from an array (cells built at once) and from a tensor (a 2-D cubical grid's
    diagrams then come from union-finds over the grid, without the cells); both must agree."""
    results = []
    for as_tensor in (False, True):
        fil = build(builder, torch.tensor(data) if as_tensor else data, negate=negate)
        dgms = od.persistence_diagram(fil, include_inf_points=True)
        assert fil._is_built == (not as_tensor or data.ndim != 2)
        assert list(dgms) == list(range(data.ndim))
        results.append([split(dgms.in_dimension(dim, as_numpy=True)) for dim in dgms])
    built, direct = results
    assert_same_diagrams(direct, built, "tensor input")
    return direct


def negated(diagrams, negate):
    if not negate:
        return diagrams
    return [(sorted_points(-finite), n_essential) for finite, n_essential in diagrams]


def gudhi_split(builder, data, negate):
    gudhi = pytest.importorskip("gudhi")
    signed = -data if negate else data
    if builder == "cube-cells":
        complex_ = gudhi.CubicalComplex(top_dimensional_cells=signed)
    else:
        try:
            complex_ = gudhi.CubicalComplex(vertices=signed)
        except TypeError:
            pytest.skip(f"GUDHI {gudhi.__version__} has no CubicalComplex(vertices=...)")
    complex_.compute_persistence(homology_coeff_field=2, min_persistence=-1.0)
    return negated([split(complex_.persistence_intervals_in_dimension(d)) for d in range(data.ndim)], negate)


def cripser_split(builder, data, negate):
    cripser = pytest.importorskip("cripser")
    signed = np.ascontiguousarray(-data if negate else data)
    compute = cripser.computePH_T if builder == "cube-cells" else cripser.computePH
    table = np.asarray(compute(signed, maxdim=data.ndim - 1))
    return negated([split(table[table[:, 0] == d, 1:3]) for d in range(data.ndim)], negate)


def assert_same_diagrams(actual, expected, label):
    assert len(actual) == len(expected), label
    for dim, ((fin_a, ess_a), (fin_e, ess_e)) in enumerate(zip(actual, expected, strict=True)):
        assert ess_a == ess_e, f"{label}: H{dim} essential counts {ess_a} != {ess_e}"
        np.testing.assert_array_equal(fin_a, fin_e, err_msg=f"{label}: H{dim}")


@pytest.mark.parametrize("negate", [False, True], ids=["sub", "super"])
@pytest.mark.parametrize("builder", ["cube-cells", "cube-vertices"])
@pytest.mark.parametrize("seed,shape,plateaus", data_cases())
def test_cubical_diagrams_match_gudhi_and_cripser(seed, shape, plateaus, builder, negate):
    data = grid_data(seed, shape, plateaus)
    actual = ours_split(builder, data, negate)
    assert_same_diagrams(actual, gudhi_split(builder, data, negate), "gudhi")
    assert_same_diagrams(actual, cripser_split(builder, data, negate), "cripser")
    assert actual[0][1] == 1
    assert len(actual[0][0]) > 0
