"""Alpha, weak alpha and Čech-Delaunay filtrations (SPEC §3.4-3.7, §8, §10.5).

Hand-checked vectors, the empty-circumsphere property decided exactly with rational
arithmetic, degenerate inputs, invariance under input order and thread count, and the argument
rules shared with the other builders.
"""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import oineus_diff as od

BUILDERS = {
    "alpha": od.alpha_filtration,
    "weak_alpha": od.weak_alpha_filtration,
    "cech_delaunay": od.cech_delaunay_filtration,
}


def t64(rows):
    return torch.tensor(rows, dtype=torch.float64)


def values_by_cell(fil):
    return {cell: float(v) for cell, v in zip(fil.cells(), fil.values.tolist(), strict=True)}


def counts(fil):
    return [fil.size_in_dimension(d) for d in range(fil.max_dim + 1)]


# ---------------------------------------------------------------------------------------------
# SPEC §10.5 vectors
# ---------------------------------------------------------------------------------------------

UNIT_TET = [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]
REGULAR_TET = [[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]
OBTUSE = [[0, 0], [2, 0], [1, 0.1]]
KITE = [[-1, 0], [1, 0], [0, 2], [0, -2]]
COLLINEAR = [[0, 0], [1, 0], [3, 0]]


def test_unit_tetrahedron_values():
    alpha, cech, weak = (
        values_by_cell(BUILDERS[k](t64(UNIT_TET))) for k in ("alpha", "cech_delaunay", "weak_alpha")
    )
    for vals in (alpha, cech, weak):
        assert len(vals) == 15
        assert [vals[e] for e in [(0, 1), (0, 2), (0, 3)]] == [0.25] * 3
        assert [vals[e] for e in [(1, 2), (1, 3), (2, 3)]] == [0.5] * 3
        assert [vals[t] for t in [(0, 1, 2), (0, 1, 3), (0, 2, 3)]] == [0.5] * 3
    assert alpha[(1, 2, 3)] == 0.75 and alpha[(0, 1, 2, 3)] == 0.75
    assert cech[(1, 2, 3)] == pytest.approx(2 / 3, rel=1e-12)
    assert cech[(0, 1, 2, 3)] == pytest.approx(2 / 3, rel=1e-12)
    assert weak[(1, 2, 3)] == 0.5 and weak[(0, 1, 2, 3)] == 0.5


def test_regular_tetrahedron_values():
    for kind, build in BUILDERS.items():
        fil = build(t64(REGULAR_TET))
        assert counts(fil) == [4, 6, 4, 1]
        vals = fil.values.tolist()
        if kind == "weak_alpha":
            assert vals[4:] == [2.0] * 11
        else:
            assert vals[4:10] == [2.0] * 6
            assert vals[10:14] == pytest.approx([8 / 3] * 4, rel=1e-12)
            assert vals[14] == pytest.approx(3.0, rel=1e-12)


def test_obtuse_triangle_values():
    alpha = values_by_cell(od.alpha_filtration(t64(OBTUSE)))
    assert alpha[(0, 2)] == pytest.approx(0.2525, rel=1e-12)
    assert alpha[(1, 2)] == pytest.approx(0.2525, rel=1e-12)
    assert alpha[(0, 1)] == alpha[(0, 1, 2)] == pytest.approx(25.5025, rel=1e-12)
    for kind in ("cech_delaunay", "weak_alpha"):
        vals = values_by_cell(BUILDERS[kind](t64(OBTUSE)))
        assert vals[(0, 1)] == 1.0 and vals[(0, 1, 2)] == 1.0
        assert vals[(0, 2)] == pytest.approx(0.2525, rel=1e-12)


def test_kite_values_and_diagonal():
    for kind, build in BUILDERS.items():
        fil = build(t64(KITE))
        assert counts(fil) == [4, 5, 2]
        vals = values_by_cell(fil)
        assert (2, 3) not in vals and vals[(0, 1)] == 1.0
        assert [vals[e] for e in [(0, 2), (0, 3), (1, 2), (1, 3)]] == [1.25] * 4
        expected = 1.25 if kind == "weak_alpha" else 1.5625
        assert [vals[(0, 1, 2)], vals[(0, 1, 3)]] == [expected] * 2


def test_collinear_points_give_a_path():
    for build in BUILDERS.values():
        fil = build(t64(COLLINEAR))
        assert fil.cells() == [(0,), (1,), (2,), (0, 1), (1, 2)]
        assert fil.values.tolist() == [0, 0, 0, 0.25, 1.0]


def test_unit_tetrahedron_diagrams():
    for build in BUILDERS.values():
        dgms = od.persistence_diagram(build(t64(UNIT_TET)))
        assert list(dgms) == [0, 1, 2]
        assert dgms[0].tolist() == [[0, 0.25]] * 3
        assert len(dgms[1]) == 0 and len(dgms[2]) == 0


def test_kite_diagrams():
    for kind in ("alpha", "cech_delaunay"):
        fil = BUILDERS[kind](t64(KITE))
        dgms = od.persistence_diagram(fil)
        assert dgms[0].tolist() == [[0, 1.0], [0, 1.25], [0, 1.25]]
        assert dgms.index_pairs(0).tolist() == [[1, 4], [2, 5], [3, 6]]
        assert dgms[1].tolist() == [[1.25, 1.5625], [1.25, 1.5625]]
        assert dgms.index_pairs(1).tolist() == [[7, 9], [8, 10]]
        radii = od.persistence_diagram(BUILDERS[kind](t64(KITE), squared=False))[1]
        assert radii.flatten().tolist() == pytest.approx([1.1180339887, 1.25] * 2, rel=1e-10)
    assert len(od.persistence_diagram(od.weak_alpha_filtration(t64(KITE)))[1]) == 0


def test_unit_square_is_cocircular_but_well_defined():
    square = t64([[0, 0], [1, 0], [0, 1], [1, 1]])
    for build in BUILDERS.values():
        fil = build(square)
        assert counts(fil) == [4, 5, 2]
        assert od.persistence_diagram(fil)[1].tolist() == [[0.25, 0.5]]
        radii = od.persistence_diagram(build(square, squared=False))[1]
        assert radii.flatten().tolist() == pytest.approx([0.5, 0.70710678], rel=1e-8)


def test_duplicates_are_merged_into_the_lowest_index():
    pts = t64([[0, 0], [0, 0], [1, 0], [0, 1]]).requires_grad_()
    reference = t64([[0, 0], [1, 0], [0, 1]])
    for build in BUILDERS.values():
        fil = build(pts)
        assert fil.size_in_dimension(0) == 3
        assert all(1 not in cell for cell in fil.cells())
        dgms = od.persistence_diagram(fil)
        expected = od.persistence_diagram(build(reference))
        for d in dgms:
            assert dgms[d].tolist() == expected[d].tolist()
        (fil.values**2).sum().backward()
        assert pts.grad[1].tolist() == [0.0, 0.0]
        pts.grad = None


def test_squared_false_gives_square_roots_and_same_order():
    pts = torch.rand(60, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    for build in BUILDERS.values():
        sq, rt = build(pts), build(pts, squared=False)
        assert sq.cells() == rt.cells()
        # numpy's square root is correctly rounded, as the core's is.
        assert rt.values.tolist() == np.sqrt(sq.values.numpy()).tolist()


def test_critical_indices_by_kind():
    pts = t64(OBTUSE)
    assert od.alpha_filtration(pts).critical_indices is None
    assert od.cech_delaunay_filtration(pts).critical_indices is None
    crit = od.weak_alpha_filtration(pts).critical_indices
    assert crit.dtype == np.int64 and crit.shape == (7, 2)
    assert crit.tolist() == [[0, 0], [1, 1], [2, 2], [2, 0], [2, 1], [1, 0], [1, 0]]


def test_kind_negate_and_default_dualize():
    for kind, build in BUILDERS.items():
        fil = build(t64(KITE))
        assert fil.kind == kind and fil.negate is False
        assert od.persistence_diagram(fil).dualize is False


# ---------------------------------------------------------------------------------------------
# The empty-circumsphere property, decided exactly
# ---------------------------------------------------------------------------------------------


def det(m):
    """Exact determinant of a small square matrix of Fractions (Gaussian elimination)."""
    m = [list(row) for row in m]
    n, result = len(m), Fraction(1)
    for col in range(n):
        pivot = next((r for r in range(col, n) if m[r][col] != 0), None)
        if pivot is None:
            return Fraction(0)
        if pivot != col:
            m[col], m[pivot] = m[pivot], m[col]
            result = -result
        result *= m[col][col]
        for r in range(col + 1, n):
            factor = m[r][col] / m[col][col]
            if factor:
                m[r] = [a - factor * b for a, b in zip(m[r], m[col], strict=True)]
    return result


def in_sphere_sign(simplex, p):
    """> 0 if p is strictly inside the circumsphere of the full-dimensional simplex."""
    rows = [[*q, sum(x * x for x in q), Fraction(1)] for q in simplex]
    orientation = det([[*q, Fraction(1)] for q in simplex])
    lifted = det([*rows, [*p, sum(x * x for x in p), Fraction(1)]])
    assert orientation != 0, "flat simplex"
    # With rows (p, ‖p‖², 1), the lifted determinant has the sign of the orientation determinant
    # for points inside, in 2-D and in 3-D.
    return lifted * (1 if orientation > 0 else -1)


def check_empty_circumspheres(points):
    pts = [[Fraction(float(x)) for x in row] for row in points]
    fil = od.alpha_filtration(torch.as_tensor(points, dtype=torch.float64))
    d = fil.max_dim
    assert d == len(pts[0])
    start, stop = fil.dim_range(d)
    vertices = [fil.cell(i)[0] for i in range(fil.size_in_dimension(0))]
    for sid in range(start, stop):
        cell = fil.cell(sid)
        simplex = [pts[v] for v in cell]
        for v in vertices:
            if v not in cell:
                assert in_sphere_sign(simplex, pts[v]) <= 0, f"point {v} inside the circumsphere of {cell}"


def test_sign_convention_of_the_exact_check():
    triangle = [[Fraction(0), Fraction(0)], [Fraction(1), Fraction(0)], [Fraction(0), Fraction(1)]]
    assert in_sphere_sign(triangle, [Fraction(1, 2), Fraction(1, 2)]) > 0
    tet = [[Fraction(x) for x in p] for p in UNIT_TET]
    assert in_sphere_sign(tet, [Fraction(1, 4)] * 3) > 0
    assert in_sphere_sign(tet, [Fraction(2)] * 3) < 0


@pytest.mark.parametrize("d", [2, 3])
def test_random_clouds_have_empty_circumspheres(d):
    rng = np.random.default_rng(10 + d)
    for n in (5, 12, 40):
        check_empty_circumspheres(rng.random((n, d)))


@pytest.mark.parametrize("d", [2, 3])
def test_grid_points_have_empty_circumspheres(d):
    side = 5 if d == 2 else 3
    grid = np.array(list(itertools.product(range(side), repeat=d)), dtype=np.float64)
    check_empty_circumspheres(grid)
    # A permuted grid: the same property, whatever the tie-break chose.
    check_empty_circumspheres(grid[np.random.default_rng(0).permutation(len(grid))])


def test_cospherical_points_have_empty_circumspheres():
    sphere = [p for p in itertools.product(range(-5, 6), repeat=3) if sum(x * x for x in p) == 9]
    check_empty_circumspheres(np.array(sphere + [(0, 0, 0)], dtype=np.float64))
    circle = [p for p in itertools.product(range(-5, 6), repeat=2) if sum(x * x for x in p) == 25]
    check_empty_circumspheres(np.array(circle, dtype=np.float64))


# ---------------------------------------------------------------------------------------------
# Degenerate input, order and thread independence
# ---------------------------------------------------------------------------------------------


def test_single_point_and_two_points():
    for build in BUILDERS.values():
        fil = build(t64([[1.0, 2.0, 3.0]]))
        assert fil.cells() == [(0,)] and fil.max_dim == 0
        assert len(od.persistence_diagram(fil)) == 0
        fil = build(t64([[0.0, 0.0], [0.0, 2.0]]))
        assert fil.cells() == [(0,), (1,), (0, 1)]
        assert fil.values.tolist() == [0.0, 0.0, 1.0]


def test_coplanar_points_in_3d_give_their_planar_triangulation():
    rng = np.random.default_rng(4)
    uv = rng.random((40, 2))
    # The plane z = x: the embedding is an isometry up to scale sqrt(2) along x, so compare with
    # the 2-D triangulation of the isometric coordinates (x·sqrt(2), y) through the values.
    pts3 = np.column_stack([uv[:, 0], uv[:, 1], uv[:, 0]])
    for build in BUILDERS.values():
        fil = build(pts3)
        assert fil.max_dim == 2
        assert fil.size_in_dimension(0) == 40
        euler = fil.size_in_dimension(0) - fil.size_in_dimension(1) + fil.size_in_dimension(2)
        assert euler == 1
    flat = np.column_stack([uv[:, 0] * math.sqrt(2), uv[:, 1]])
    assert sorted(od.alpha_filtration(pts3).cells()) == sorted(od.alpha_filtration(flat).cells())


def test_collinear_points_in_3d_follow_the_line():
    pts = t64([[2, 2, 2], [0, 0, 0], [1, 1, 1], [3, 3, 3], [1, 1, 1]])
    fil = od.cech_delaunay_filtration(pts)
    assert fil.cells() == [(0,), (1,), (2,), (3,), (0, 2), (0, 3), (1, 2)]
    assert fil.values.tolist() == [0, 0, 0, 0, 0.75, 0.75, 0.75]


def relabelled_cells(fil, perm):
    """Cells of a filtration of points[perm], written with the original row indices."""
    return sorted(tuple(sorted(int(perm[v]) for v in cell)) for cell in fil.cells())


@pytest.mark.parametrize("d", [2, 3])
def test_triangulation_does_not_depend_on_input_order(d):
    rng = np.random.default_rng(7)
    for pts in (rng.random((200, d)), np.array(list(itertools.product(range(4), repeat=d)), dtype=float)):
        perm = rng.permutation(len(pts))
        for kind, build in BUILDERS.items():
            a, b = build(pts), build(pts[perm])
            assert sorted(a.cells()) == relabelled_cells(b, perm), kind
            da, db = od.persistence_diagram(a), od.persistence_diagram(b)
            for k in da:
                # Rows follow birth sids, which depend on vertex ids: compare as multisets. The
                # closed forms are evaluated from the lowest-indexed vertex, so values may differ
                # in the last bit.
                np.testing.assert_allclose(sorted(da[k].tolist()), sorted(db[k].tolist()), rtol=1e-12)


def test_results_do_not_depend_on_n_threads():
    pts = np.random.default_rng(8).random((500, 3))
    for build in BUILDERS.values():
        one, many = build(pts, n_threads=1), build(pts, n_threads=4)
        assert one.cells() == many.cells()
        assert torch.equal(one.values, many.values)


coordinate = st.integers(-3, 3).map(float) | st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    d=st.sampled_from([2, 3]),
    rows=st.lists(st.lists(coordinate, min_size=3, max_size=3), min_size=1, max_size=25),
)
# A nearly flat triangle: finite squared circumradius (about 1e200), overflowing derivative.
@example(d=2, rows=[[0.0] * 3] * 3 + [[-1.0, 8.31353411868411e-101, 0.0], [1.0, 0.0, 0.0]])
def test_degenerate_clouds_never_fail(d, rows):
    pts = torch.tensor([r[:d] for r in rows], dtype=torch.float64, requires_grad=True)
    for build in BUILDERS.values():
        fil = build(pts)
        values = fil.values
        assert not torch.isnan(values).any()
        for sid in range(len(fil)):
            for facet in fil.boundary(sid):
                assert values[facet] <= values[sid]
        dgms = od.persistence_diagram(fil)
        loss = sum(dgm.sum() for dgm in dgms.values()) + values.sum()
        if loss.requires_grad:
            loss.backward()
            assert not torch.isnan(pts.grad).any()
            pts.grad = None


# ---------------------------------------------------------------------------------------------
# dtype, device and argument rules
# ---------------------------------------------------------------------------------------------


def test_dtype_rules():
    pts = np.random.default_rng(9).random((30, 2))
    for build in BUILDERS.values():
        assert build(torch.tensor(pts, dtype=torch.float32)).dtype == torch.float32
        half = torch.tensor(pts, dtype=torch.float16, requires_grad=True)
        fil = build(half)
        assert fil.dtype == torch.float32
        fil.values.sum().backward()
        assert half.grad is not None and half.grad.dtype == torch.float16
        ints = build(torch.tensor([[0, 0], [4, 0], [0, 3]]))
        assert ints.dtype == torch.float64 and not ints.values.requires_grad
        assert build(pts).dtype == torch.float64


def test_float32_values_are_the_rounded_core_values():
    pts = torch.rand(50, 3, generator=torch.Generator().manual_seed(2), requires_grad=True)
    for build in BUILDERS.values():
        single = build(pts)
        double = build(pts.detach().double())
        assert single.cells() != [] and single.values.dtype == torch.float32
        # The same cells; each float32 value is the float64 one rounded.
        by_cell = dict(zip(double.cells(), double.values.tolist(), strict=True))
        rounded = torch.tensor([by_cell[c] for c in single.cells()], dtype=torch.float32)
        assert torch.equal(single.values.detach(), rounded)


def test_non_contiguous_input_gives_identical_results():
    base = torch.rand(40, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    strided = base[:, ::2]
    assert not strided.is_contiguous()
    for build in BUILDERS.values():
        assert torch.equal(build(strided).values, build(strided.contiguous()).values)


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_bad_arguments_raise(kind):
    build = BUILDERS[kind]
    with pytest.raises(TypeError, match="points must be a torch.Tensor or numpy.ndarray, got list"):
        build([[0.0, 0.0]])
    with pytest.raises(ValueError, match=r"points must have shape \(n, 2\) or \(n, 3\); got \(4, 4\)"):
        build(torch.zeros(4, 4))
    with pytest.raises(ValueError, match="shape"):
        build(torch.zeros(4))
    with pytest.raises(ValueError, match="points is empty"):
        build(torch.zeros(0, 2))
    with pytest.raises(ValueError, match="1 NaN or infinite"):
        build(t64([[0.0, 0.0], [math.nan, 1.0]]))
    with pytest.raises(TypeError, match="squared"):
        build(t64(KITE), squared=1)
    with pytest.raises(ValueError, match="n_threads"):
        build(t64(KITE), n_threads=0)
    with pytest.raises(TypeError):
        build(torch.zeros(3, 2, dtype=torch.complex64))


def test_builder_specific_arguments():
    pts = t64(KITE)
    for build in (od.alpha_filtration, od.cech_delaunay_filtration):
        with pytest.raises(ValueError, match="eps"):
            build(pts, eps=1e-6)
        with pytest.raises(TypeError, match="exact"):
            build(pts, exact="yes")
        assert build(pts, 0.0, exact=True, print_time=False).size() == 11
    with pytest.raises(TypeError):
        od.alpha_filtration(pts, 0.0, False, False, True)  # squared is keyword-only
    with pytest.raises(ValueError, match="periodic"):
        od.cech_delaunay_filtration(pts, periodic=True)
    with pytest.raises(ValueError, match="bbox_min"):
        od.cech_delaunay_filtration(pts, bbox_min=[0, 0])
    with pytest.raises(TypeError, match="packed"):
        od.weak_alpha_filtration(pts, packed=None)
    with pytest.raises(TypeError):
        od.weak_alpha_filtration(pts, True)  # packed is keyword-only
    assert od.weak_alpha_filtration(pts, packed=True).size() == 11


def test_print_time_logs_and_prints_nothing(caplog, capfd):
    with caplog.at_level("INFO", logger="oineus_diff"):
        od.alpha_filtration(t64(KITE), print_time=True)
    assert any("alpha_filtration" in r.getMessage() for r in caplog.records)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_points_stay_on_device():
    pts = torch.rand(50, 3, device="cuda", dtype=torch.float64, requires_grad=True)
    for build in BUILDERS.values():
        fil = build(pts)
        assert fil.values.device == pts.device
        od.persistence_diagram(fil)[1].sum().backward()
        assert pts.grad.device == pts.device
        pts.grad = None


def test_example_comparing_the_builders_runs():
    script = Path(__file__).resolve().parent.parent / "examples" / "bench_alpha_vs_cd.py"
    result = subprocess.run(
        [sys.executable, str(script), "--n-2d", "150", "--n-3d", "200"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    rows = [
        line.split()
        for line in result.stdout.splitlines()
        if line.split()[:1] in (["alpha"], ["weak_alpha"], ["cech_delaunay"])
    ]
    assert [row[0] for row in rows] == ["alpha", "weak_alpha", "cech_delaunay"] * 2
    # Every builder sees the loop above its noise floor.
    assert all(int(row[3]) >= 1 for row in rows)
