"""Vietoris-Rips on points: push the H0 and H1 diagrams of a cloud to a target, with Adam.

The cloud starts as two noisy blobs. The loss asks H0 for exactly two clusters (the most
persistent finite H0 point, the gap between the blobs, should reach a target; every other
finite H0 point should vanish) and H1 for no loops at all:

    loss = (target - p0_max)^2 + sum of p^2 over the other H0 points + sum of p^2 over H1,

where p = death - birth. Prints the loss and the diagram summary every few steps.

    .venv/bin/python examples/example_diff_vr_pts.py [--n-points 60] [--steps 100] [--target 3.0]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

import oineus_diff as od


def loss_and_summary(points: torch.Tensor, target: float) -> tuple[torch.Tensor, float, float]:
    dgms = od.persistence_diagram(od.vr_filtration(points, max_dim=2))
    h0 = dgms[0][:, 1] - dgms[0][:, 0]
    h1 = dgms[1][:, 1] - dgms[1][:, 0]
    top = h0.argmax()
    loss = (target - h0[top]) ** 2 + h0.pow(2).sum() - h0[top].pow(2) + h1.pow(2).sum()
    second = float(torch.topk(h0.detach(), 2).values[1]) if len(h0) > 1 else 0.0
    largest_h1 = float(h1.detach().max()) if len(h1) else 0.0
    return loss, float(h0[top].detach()), max(second, largest_h1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-points", type=int, default=60)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--target", type=float, default=3.0)
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    half = args.n_points // 2
    blobs = np.r_[rng.normal(0.0, 0.3, (half, 2)), rng.normal(2.0, 0.3, (args.n_points - half, 2))]
    points = torch.tensor(blobs, requires_grad=True)
    optimizer = torch.optim.Adam([points], lr=args.lr)

    print(f"{'step':>5}{'loss':>12}{'gap (top H0)':>14}{'largest other':>15}")
    for step in range(args.steps + 1):
        loss, gap, other = loss_and_summary(points, args.target)
        if step % 10 == 0 or step == args.steps:
            print(f"{step:>5}{loss.item():>12.5f}{gap:>14.4f}{other:>15.4f}")
        if step == args.steps:
            break
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


if __name__ == "__main__":
    main()
