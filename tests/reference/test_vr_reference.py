"""Vietoris-Rips diagrams against GUDHI and Ripser (SPEC §1.3, §3.1).

Both oracles are given the same threshold as ours. Our top dimension ``max_dim`` is never
reported, so with ``max_dim = k`` we compare H0 … H(k-1): GUDHI ignores the top dimension of
its complex by default, and Ripser is run with ``maxdim = k - 1``. Zero-persistence points are
dropped from the oracle output, as we drop them. GUDHI computes in float64 (tolerance 1e-9);
Ripser stores distances in float32, so it is compared at float32 precision.
"""

from __future__ import annotations

import numpy as np
import pytest

import oineus_diff as od

gudhi = pytest.importorskip("gudhi")
ripser = pytest.importorskip("ripser")

pytestmark = pytest.mark.reference

INF = float("inf")


def enclosing_threshold(dmat):
    """SPEC §3.1 default: min over i of max over j != i of dist(i, j), times 1.00001."""
    n = len(dmat)
    if n == 1:
        return 0.0
    masked = np.where(np.eye(n, dtype=bool), -np.inf, dmat)
    return float(masked.max(axis=1).min()) * 1.00001


def pairwise(points):
    diff = points[:, None, :] - points[None, :, :]
    return np.sqrt((diff**2).sum(axis=-1))


def split(dgm):
    """(sorted finite points with positive persistence, number of essential points)."""
    dgm = np.asarray(dgm, dtype=np.float64).reshape(-1, 2)
    essential = np.isinf(dgm[:, 1])
    finite = dgm[~essential]
    finite = finite[finite[:, 1] > finite[:, 0]]
    order = np.lexsort((finite[:, 1], finite[:, 0]))
    return finite[order], int(essential.sum())


def ours(data, max_dim, threshold, from_pwdists=False):
    kwargs = {"max_dim": max_dim, "from_pwdists": from_pwdists}
    if threshold is not None:
        kwargs["max_diameter"] = threshold
    dgms = od.persistence_diagram(od.vr_filtration(data, **kwargs), include_inf_points=True)
    assert list(dgms) == list(range(max_dim))
    return [split(dgms.in_dimension(d, as_numpy=True)) for d in dgms]


def gudhi_diagrams(max_dim, threshold, points=None, distance_matrix=None):
    if points is not None:
        rips = gudhi.RipsComplex(points=points, max_edge_length=threshold)
    else:
        rips = gudhi.RipsComplex(distance_matrix=distance_matrix, max_edge_length=threshold)
    tree = rips.create_simplex_tree(max_dimension=max_dim)
    tree.compute_persistence(homology_coeff_field=2)
    return [split(tree.persistence_intervals_in_dimension(d)) for d in range(max_dim)]


def ripser_diagrams(data, max_dim, threshold, distance_matrix=False):
    result = ripser.ripser(data, maxdim=max_dim - 1, thresh=threshold, distance_matrix=distance_matrix)
    return [split(dgm) for dgm in result["dgms"]]


def assert_same_diagrams(actual, expected, rtol, atol, label):
    assert len(actual) == len(expected), label
    for dim, ((fin_a, ess_a), (fin_e, ess_e)) in enumerate(zip(actual, expected, strict=True)):
        assert ess_a == ess_e, f"{label}: H{dim} essential counts {ess_a} != {ess_e}"
        assert fin_a.shape == fin_e.shape, f"{label}: H{dim} sizes {len(fin_a)} != {len(fin_e)}"
        np.testing.assert_allclose(fin_a, fin_e, rtol=rtol, atol=atol, err_msg=f"{label}: H{dim}")


def cloud_cases():
    """32 random clouds: n in 20..150 with max_dim 2, n in 20..40 with max_dim 3."""
    cases = []
    for seed in range(32):
        rng = np.random.default_rng(1000 + seed)
        max_dim = 3 if seed % 4 == 3 else 2
        n = int(rng.integers(20, 41)) if max_dim == 3 else int(rng.integers(20, 151))
        d = int(rng.integers(2, 5))
        threshold = ["default", "inf", "explicit"][seed % 3]
        cases.append(
            pytest.param(seed, n, d, max_dim, threshold, id=f"s{seed}-n{n}-d{d}-k{max_dim}-{threshold}")
        )
    return cases


def make_threshold(kind, dmat):
    if kind == "default":
        return None, enclosing_threshold(dmat)
    if kind == "inf":
        return INF, INF
    value = float(np.quantile(dmat[np.tril_indices(len(dmat), -1)], 0.4))
    return value, value


@pytest.mark.parametrize("seed,n,d,max_dim,threshold", cloud_cases())
def test_random_cloud_matches_gudhi_and_ripser(seed, n, d, max_dim, threshold):
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(n, d)) if seed % 2 else rng.random((n, d))
    ours_threshold, oracle_threshold = make_threshold(threshold, pairwise(points))
    actual = ours(points, max_dim, ours_threshold)
    expected_gudhi = gudhi_diagrams(max_dim, oracle_threshold, points=points)
    assert_same_diagrams(actual, expected_gudhi, rtol=1e-9, atol=1e-12, label="gudhi")
    expected_ripser = ripser_diagrams(points, max_dim, oracle_threshold)
    assert_same_diagrams(actual, expected_ripser, rtol=2e-6, atol=1e-6, label="ripser")
    assert len(actual[0][0]) > 0


@pytest.mark.parametrize("seed", range(4))
def test_integer_grid_cloud_with_ties_matches_gudhi_and_ripser(seed):
    # Many exactly tied distances: the multiset of points does not depend on tie-breaking.
    rng = np.random.default_rng(50 + seed)
    d = 2 + seed % 2
    points = rng.integers(0, 5, size=(30, d)).astype(np.float64)
    max_dim = 2
    threshold = enclosing_threshold(pairwise(points))
    actual = ours(points, max_dim, None)
    assert_same_diagrams(actual, gudhi_diagrams(max_dim, threshold, points=points), 1e-12, 0, "gudhi")
    assert_same_diagrams(actual, ripser_diagrams(points, max_dim, threshold), 2e-6, 1e-6, "ripser")


def test_noisy_circle_has_one_dominant_loop_like_gudhi():
    rng = np.random.default_rng(7)
    theta = rng.uniform(0, 2 * np.pi, 80)
    points = np.stack([np.cos(theta), np.sin(theta)], axis=1) + rng.normal(scale=0.05, size=(80, 2))
    actual = ours(points, 2, INF)
    assert_same_diagrams(actual, gudhi_diagrams(2, INF, points=points), 1e-9, 1e-12, "gudhi")
    finite_h1 = actual[1][0]
    lifetimes = np.sort(finite_h1[:, 1] - finite_h1[:, 0])
    assert lifetimes[-1] > 1.0 > 5 * lifetimes[-2]


def matrix_cases():
    cases = []
    for seed in range(10):
        rng = np.random.default_rng(2000 + seed)
        n = int(rng.integers(20, 61))
        metric = seed % 2 == 0
        threshold = ["default", "inf", "explicit"][seed % 3]
        cases.append(
            pytest.param(
                seed, n, metric, threshold, id=f"s{seed}-n{n}-{'metric' if metric else 'random'}-{threshold}"
            )
        )
    return cases


@pytest.mark.parametrize("seed,n,metric,threshold", matrix_cases())
def test_random_distance_matrix_matches_gudhi_and_ripser(seed, n, metric, threshold):
    rng = np.random.default_rng(seed)
    if metric:
        dmat = pairwise(rng.random((n, 3)))
    else:
        lower = np.tril(rng.uniform(0.1, 1.1, size=(n, n)), -1)
        dmat = lower + lower.T
    ours_threshold, oracle_threshold = make_threshold(threshold, dmat)
    actual = ours(dmat, 2, ours_threshold, from_pwdists=True)
    expected_gudhi = gudhi_diagrams(2, oracle_threshold, distance_matrix=dmat)
    assert_same_diagrams(actual, expected_gudhi, rtol=1e-12, atol=0, label="gudhi")
    expected_ripser = ripser_diagrams(dmat, 2, oracle_threshold, distance_matrix=True)
    assert_same_diagrams(actual, expected_ripser, rtol=2e-6, atol=1e-6, label="ripser")
