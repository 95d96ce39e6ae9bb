"""Grow the H1 of a weak-alpha filtration by moving the points, in a loop.

Starts from a noisy circle and maximises the total persistence of the H1 diagram of its weak
alpha filtration (values (longest edge)^2 / 4 on the Delaunay complex), with a small penalty
that keeps the points near the unit disk so the loop cannot grow without bound:

    loss = -sum over H1 of (death - birth) + weight * sum over points of relu(|p| - radius)^2.

The Delaunay triangulation is recomputed at every step, because moving points changes it.

    .venv/bin/python examples/weak_alpha_expand_loop.py [--n-points 80] [--steps 60]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

import oineus_diff as od


def h1_total_persistence(points: torch.Tensor) -> tuple[torch.Tensor, int]:
    h1 = od.persistence_diagram(od.weak_alpha_filtration(points))[1]
    return (h1[:, 1] - h1[:, 0]).sum(), len(h1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-points", type=int, default=80)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--radius", type=float, default=1.5, help="points are kept within this radius")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    angles = rng.uniform(0.0, 2.0 * np.pi, args.n_points)
    cloud = np.c_[np.cos(angles), np.sin(angles)] * 0.6 + 0.15 * rng.standard_normal((args.n_points, 2))
    points = torch.tensor(cloud, requires_grad=True)
    optimizer = torch.optim.Adam([points], lr=args.lr)

    print(f"{'step':>5}{'H1 total persistence':>22}{'H1 points':>11}")
    for step in range(args.steps + 1):
        total, n_h1 = h1_total_persistence(points)
        if step % 10 == 0 or step == args.steps:
            print(f"{step:>5}{total.item():>22.5f}{n_h1:>11}")
        if step == args.steps:
            break
        outside = torch.relu(points.norm(dim=1) - args.radius)
        loss = -total + 10.0 * outside.pow(2).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


if __name__ == "__main__":
    main()
