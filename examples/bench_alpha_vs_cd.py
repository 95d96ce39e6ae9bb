"""Compare the three Delaunay builders: runtime, and the H1 they find above the noise floor.

For each ambient dimension the script samples a shape with a known number of loops (a noisy
circle in 2-D: one loop; a noisy torus in 3-D: two), builds the alpha, weak alpha and
Čech-Delaunay filtrations, and reports per builder the time of filtration + diagram, the number
of H1 points and how many of them rise above the noise floor. The noise floor of a builder is
the largest H1 persistence it finds on a uniform random cloud of the same size in the same
bounding box. All values are radii (``squared=False``), so the three builders are on one scale.

    .venv/bin/python examples/bench_alpha_vs_cd.py [--n-2d 400] [--n-3d 800] [--seed 0]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

import oineus_diff as od

BUILDERS: dict[str, Callable[..., od.DiffFiltration]] = {
    "alpha": od.alpha_filtration,
    "weak_alpha": od.weak_alpha_filtration,
    "cech_delaunay": od.cech_delaunay_filtration,
}


def noisy_circle(n_points: int, rng: np.random.Generator) -> np.ndarray:
    angles = rng.uniform(0.0, 2.0 * np.pi, n_points)
    return np.c_[np.cos(angles), np.sin(angles)] + 0.05 * rng.standard_normal((n_points, 2))


def noisy_space_circle(n_points: int, rng: np.random.Generator) -> np.ndarray:
    angles = rng.uniform(0.0, 2.0 * np.pi, n_points)
    circle = np.c_[np.cos(angles), np.sin(angles), np.zeros(n_points)]
    return circle + 0.05 * rng.standard_normal((n_points, 3))


def h1_persistence(build: Callable[..., od.DiffFiltration], points: np.ndarray) -> tuple[np.ndarray, float]:
    """H1 persistence values (radii) and the seconds the filtration and diagram took."""
    start = time.perf_counter()
    dgms = od.persistence_diagram(build(points, squared=False))
    elapsed = time.perf_counter() - start
    h1 = dgms.in_dimension(1, as_numpy=True)
    return h1[:, 1] - h1[:, 0], elapsed


def compare(points: np.ndarray, rng: np.random.Generator) -> list[tuple[str, float, int, int, float]]:
    """Per builder: (name, seconds, H1 points, H1 points above the noise floor, noise floor)."""
    low, high = points.min(axis=0), points.max(axis=0)
    noise = rng.uniform(low, high, points.shape)
    rows = []
    for name, build in BUILDERS.items():
        persistence, seconds = h1_persistence(build, points)
        noise_persistence, _ = h1_persistence(build, noise)
        floor = float(noise_persistence.max(initial=0.0))
        rows.append((name, seconds, len(persistence), int((persistence > floor).sum()), floor))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-2d", type=int, default=400, help="points on the circle (default 400)")
    parser.add_argument("--n-3d", type=int, default=800, help="points on the 3-D circle (default 800)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    shapes = [
        (f"noisy circle, 2-D, n={args.n_2d} (1 loop)", noisy_circle(args.n_2d, rng)),
        (f"noisy circle in 3-D, n={args.n_3d} (1 loop)", noisy_space_circle(args.n_3d, rng)),
    ]
    for title, points in shapes:
        print(f"\n{title}")
        print(f"{'builder':<15}{'seconds':>9}{'H1 points':>11}{'above floor':>13}{'noise floor':>13}")
        for name, seconds, n_h1, n_above, floor in compare(points, rng):
            print(f"{name:<15}{seconds:>9.3f}{n_h1:>11}{n_above:>13}{floor:>13.4f}")


if __name__ == "__main__":
    main()
