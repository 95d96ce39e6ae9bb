"""Delaunay-family diagrams against GUDHI and brute force (SPEC §3.4-3.7).

GUDHI's ``AlphaComplex`` (squared alpha values) and ``DelaunayCechComplex`` (squared radii of
minimum enclosing balls) are the oracles for alpha and Čech-Delaunay; GUDHI's
``DelaunayComplex`` gives the Delaunay simplices, to which weak alpha values are assigned by
brute force. GUDHI ignores the top dimension of its complex, as we do. Zero-persistence points
are dropped on both sides; values are compared with a relative tolerance of 1e-9.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import oineus_diff as od

gudhi = pytest.importorskip("gudhi")

pytestmark = pytest.mark.reference


def finite_points(dgm):
    dgm = np.asarray(dgm, dtype=np.float64).reshape(-1, 2)
    dgm = dgm[np.isfinite(dgm[:, 1])]
    keep = dgm[:, 1] - dgm[:, 0] > 1e-12 * np.maximum(1.0, np.abs(dgm[:, 1]))
    dgm = dgm[keep]
    return dgm[np.lexsort((dgm[:, 1], dgm[:, 0]))]


def ours(build, points):
    dgms = od.persistence_diagram(build(points))
    return {d: finite_points(dgms.in_dimension(d, as_numpy=True)) for d in dgms}


def gudhi_diagrams(simplex_tree, n_dims):
    # Z/2, as ours: GUDHI's default Z/11 differs where relative homology has 2-torsion.
    simplex_tree.compute_persistence(homology_coeff_field=2)
    return {d: finite_points(simplex_tree.persistence_intervals_in_dimension(d)) for d in range(n_dims)}


def assert_same(mine, theirs):
    for d, dgm in mine.items():
        other = theirs[d]
        assert dgm.shape == other.shape, f"H{d}: {len(dgm)} points against {len(other)}"
        np.testing.assert_allclose(dgm, other, rtol=1e-9, atol=1e-14)


def clouds():
    rng = np.random.default_rng(2024)
    for i in range(20):
        d = 2 + i % 2
        n = [30, 200, 700, 2000][i % 4]
        yield f"random-{i}-{d}d-{n}", rng.random((n, d))
    for d, side in [(2, 12), (3, 6)]:
        yield f"grid-{d}d", np.array(list(itertools.product(range(side), repeat=d)), dtype=np.float64)
    for d in (2, 3):
        yield (
            f"jittered-grid-{d}d",
            np.array(list(itertools.product(range(5), repeat=d))) + rng.normal(scale=1e-3, size=(5**d, d)),
        )


CLOUDS = list(clouds())


@pytest.mark.parametrize(("name", "points"), CLOUDS, ids=[c[0] for c in CLOUDS])
def test_alpha_diagrams_match_gudhi(name, points):
    tree = gudhi.AlphaComplex(points=points, precision="exact").create_simplex_tree()
    assert_same(ours(od.alpha_filtration, points), gudhi_diagrams(tree, points.shape[1]))


@pytest.mark.parametrize(("name", "points"), CLOUDS[::3], ids=[c[0] for c in CLOUDS[::3]])
def test_cech_delaunay_diagrams_match_gudhi(name, points):
    tree = gudhi.DelaunayCechComplex(points=points, precision="exact").create_simplex_tree()
    assert_same(ours(od.cech_delaunay_filtration, points), gudhi_diagrams(tree, points.shape[1]))


@pytest.mark.parametrize("d", [2, 3])
def test_delaunay_cells_match_gudhi_in_general_position(d):
    points = np.random.default_rng(d).random((300, d))
    tree = gudhi.DelaunayComplex(points=points, precision="exact").create_simplex_tree()
    theirs = sorted(tuple(s) for s, _ in tree.get_simplices())
    assert sorted(od.alpha_filtration(points).cells()) == theirs


@pytest.mark.parametrize("d", [2, 3])
def test_weak_alpha_matches_brute_force(d):
    points = np.random.default_rng(10 + d).random((150, d))
    fil = od.weak_alpha_filtration(points)
    # Values: the largest squared edge length over 4, computed independently.
    for cell, value in zip(fil.cells(), fil.values.tolist(), strict=True):
        expected = max(
            (float(np.sum((points[a] - points[b]) ** 2)) / 4 for a, b in itertools.combinations(cell, 2)),
            default=0.0,
        )
        assert value == pytest.approx(expected, rel=1e-14, abs=0)
    # Diagrams: the same values on GUDHI's Delaunay complex.
    tree = gudhi.DelaunayComplex(points=points, precision="exact").create_simplex_tree()
    for simplex, _ in tree.get_simplices():
        value = max(
            (float(np.sum((points[a] - points[b]) ** 2)) / 4 for a, b in itertools.combinations(simplex, 2)),
            default=0.0,
        )
        tree.assign_filtration(simplex, value)
    tree.make_filtration_non_decreasing()
    assert_same(ours(od.weak_alpha_filtration, points), gudhi_diagrams(tree, d))
