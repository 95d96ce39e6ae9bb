"""Distances against independent oracles (SPEC §6.1, §6.3, §6.4).

- Wasserstein: the exact optimum of the augmented assignment problem from POT's network
  simplex (``ot.emd2``); ours must lie in [W*, (1 + delta) W*].
- Bottleneck: GUDHI's exact bottleneck distance (``e=0``), on real-valued diagrams and on
  integer-valued ones with many ties.
- Sliced Wasserstein: a direct numpy transcription of the SPEC formulas with fixed directions.
"""

from __future__ import annotations

import numpy as np
import pytest

import oineus_diff as od

ot = pytest.importorskip("ot")
gudhi = pytest.importorskip("gudhi")

pytestmark = pytest.mark.reference

INF = float("inf")


def random_diagram(rng, n, integer=False):
    births = rng.random(n)
    dgm = np.stack([births, births + rng.random(n)], axis=1)
    return np.floor(dgm * 6) if integer else dgm


def exact_wasserstein(a, b, q, p):
    """W_q with the L_p ground metric, from the exact optimal assignment of the augmented
    problem (a point may go to any diagonal slot at its distance to the diagonal)."""

    def norm(dx, dy):
        if p == INF:
            return np.maximum(np.abs(dx), np.abs(dy))
        return (np.abs(dx) ** p + np.abs(dy) ** p) ** (1 / p)

    to_diagonal = 1.0 if p == INF else 2 ** (1 / p)
    da = np.abs(a[:, 1] - a[:, 0]) / 2 * to_diagonal
    db = np.abs(b[:, 1] - b[:, 0]) / 2 * to_diagonal
    n_a, n_b = len(a), len(b)
    cost = np.zeros((n_a + n_b, n_b + n_a))
    cost[:n_a, :n_b] = norm(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1]) ** q
    cost[:n_a, n_b:] = (da**q)[:, None]
    cost[n_a:, :n_b] = (db**q)[None, :]
    n = n_a + n_b
    return float(ot.emd2(np.ones(n), np.ones(n), cost, numItermax=10**7)) ** (1 / q)


@pytest.mark.parametrize("sizes", [(10, 14), (60, 45), (200, 230), (500, 480)])
@pytest.mark.parametrize("integer", [False, True])
def test_wasserstein_distance_is_within_delta_of_the_exact_optimum(sizes, integer):
    rng = np.random.default_rng(sizes[0] + integer)
    a, b = random_diagram(rng, sizes[0], integer), random_diagram(rng, sizes[1], integer)
    delta = 0.01
    for q in (1.0, 2.0, 3.0):
        for p in (1.0, 2.0, INF):
            ours = od.wasserstein_distance(a, b, q=q, delta=delta, internal_p=p)
            exact = exact_wasserstein(a, b, q, p)
            assert exact * (1 - 1e-9) <= ours <= (1 + delta) * exact * (1 + 1e-9), (q, p, ours, exact)


def test_wasserstein_matching_cost_is_the_cost_of_its_edges():
    rng = np.random.default_rng(4)
    a, b = random_diagram(rng, 80), random_diagram(rng, 70)
    m = od.wasserstein_matching(a, b, q=2.0, internal_p=2.0)
    i, j = m.finite_to_finite.T
    edges = np.hypot(*(a[i] - b[j]).T) ** 2
    diag = lambda d: ((np.abs(d[:, 1] - d[:, 0]) / 2 * np.sqrt(2)) ** 2).sum()  # noqa: E731
    cost = edges.sum() + diag(a[m.a_to_diagonal]) + diag(b[m.b_to_diagonal])
    assert np.isclose(m.cost, cost, rtol=1e-12)
    assert sorted(np.concatenate([i, m.a_to_diagonal]).tolist()) == list(range(80))
    assert sorted(np.concatenate([j, m.b_to_diagonal]).tolist()) == list(range(70))


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("integer", [False, True])
def test_exact_bottleneck_equals_gudhi(seed, integer):
    rng = np.random.default_rng(100 + seed)
    n_a, n_b = rng.integers(1, 150, size=2)
    a, b = random_diagram(rng, n_a, integer), random_diagram(rng, n_b, integer)
    expected = gudhi.bottleneck_distance(a, b, e=0)
    assert od.bottleneck_distance(a, b, delta=0) == expected
    m = od.bottleneck_matching(a, b, delta=0)
    assert m.distance == expected
    assert m.longest.finite and all(e.length == expected for e in m.longest.finite)
    approx = od.bottleneck_distance(a, b, delta=0.05)
    assert expected <= approx <= 1.05 * expected


def test_bottleneck_of_a_diagram_with_duplicates_against_gudhi():
    a = np.array([[0, 3], [0, 3], [0, 3], [1, 2], [1, 4]], dtype=float)
    b = np.array([[0, 3], [1, 4], [1, 4], [2, 2]], dtype=float)
    assert od.bottleneck_distance(a, b, delta=0) == gudhi.bottleneck_distance(a, b, e=0)


# ---------------------------------------------------------------------------------------------
# sliced Wasserstein, transcribed from SPEC §6.1 and §6.2
# ---------------------------------------------------------------------------------------------


def numpy_sliced(a, b, directions, q, corrected):
    total = 0.0
    mid_a = (a[:, 0] + a[:, 1]) / 2
    mid_b = (b[:, 0] + b[:, 1]) / 2
    for u in directions:
        list_1 = [(p @ u, "real", m * (u[0] + u[1])) for p, m in zip(a, mid_a, strict=True)]
        list_1 += [(m * u[0] + m * u[1], "diag", 0.0) for m in mid_b]
        list_2 = [(p @ u, "real", m * (u[0] + u[1])) for p, m in zip(b, mid_b, strict=True)]
        list_2 += [(m * u[0] + m * u[1], "diag", 0.0) for m in mid_a]
        sorted_1 = sorted(list_1, key=lambda e: e[0])
        sorted_2 = sorted(list_2, key=lambda e: e[0])
        cost = 0.0
        for (x, kind_x, own_x), (y, kind_y, own_y) in zip(sorted_1, sorted_2, strict=True):
            if not corrected or (kind_x == "real" and kind_y == "real"):
                cost += abs(x - y) ** q
            elif kind_x == "real":
                cost += abs(x - own_x) ** q
            elif kind_y == "real":
                cost += abs(y - own_y) ** q
        total += cost
    return total / len(directions)


@pytest.mark.parametrize("corrected", [False, True])
@pytest.mark.parametrize("q", [1.0, 2.0, 1.5])
def test_sliced_wasserstein_equals_numpy_transcription(corrected, q):
    rng = np.random.default_rng(int(q * 10) + corrected)
    a, b = random_diagram(rng, 25), random_diagram(rng, 18)
    theta = np.pi * rng.random(7)
    directions = np.stack([np.cos(theta), np.sin(theta)], axis=1) * rng.uniform(0.5, 2.0, (7, 1))
    fn = od.sliced_wasserstein_distance_diag_corrected if corrected else od.sliced_wasserstein_distance
    ours = float(fn(a, b, directions=directions, q=q))
    assert np.isclose(ours, numpy_sliced(a, b, directions, q, corrected), rtol=1e-10)


def test_sliced_seed_directions_follow_numpy_generator():
    rng = np.random.default_rng(8)
    a, b = random_diagram(rng, 10), random_diagram(rng, 12)
    theta = np.pi * np.random.default_rng(42).random(30)
    directions = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    expected = numpy_sliced(a, b, directions, 1.0, False)
    assert np.isclose(
        float(od.sliced_wasserstein_distance(a, b, n_directions=30, seed=42)), expected, rtol=1e-10
    )
