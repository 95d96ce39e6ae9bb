"""Frame time of the live monitor: one 1200 × 400 PNG with 10^4 points and 10^3 arrows.

The frame is what ``OptimizationMonitor`` draws at a redraw: a 2-D cloud of 10^4 points (seeded
Gaussian) with descent arrows on 10^3 of them, an H0 diagram of 200 points and an H1 diagram of
100 points with one arrow each, and a 100-step loss curve. Two renderers are timed on the same
arrays:

- ``core``: ``oineus_diff._core.render_monitor_frame`` (plotters + fast PNG in Rust), the call
  the monitor makes;
- ``matplotlib``: the same three panels with ``scatter``/``quiver``/``plot`` on the Agg backend,
  ``savefig`` to PNG at 100 dpi, as a matplotlib-based monitor would do.

Each is warmed up once and timed ``--repeats`` times; the median is reported. Usage::

    .venv/bin/python benchmarks/bench_monitor.py [--repeats 30] [--points 10000] [--arrows 1000]

Benchmarks are never part of ``make test``; ``make bench`` runs this script.
"""

from __future__ import annotations

import argparse
import io
import platform
import statistics
import time

import numpy as np

from oineus_diff import _core


def make_inputs(n_points: int, n_arrows: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(n_points, 2))
    arrows = np.full_like(points, np.nan)
    chosen = rng.choice(n_points, size=n_arrows, replace=False)
    arrows[chosen] = rng.normal(size=(n_arrows, 2))
    h0 = np.sort(rng.uniform(0, 1, (200, 2)), axis=1)
    h1 = np.sort(rng.uniform(0, 1, (100, 2)), axis=1)
    steps = np.arange(100.0)
    return {
        "points": points,
        "arrows": arrows,
        "diagrams": [h0, h1],
        "diagram_arrows": [rng.normal(size=h0.shape), rng.normal(size=h1.shape)],
        "steps": steps,
        "losses": np.exp(-steps / 30.0) + 0.1,
    }


def core_frame(x: dict) -> bytes:
    return _core.render_monitor_frame(
        1200,
        400,
        "step 99   loss 0.135",
        "points",
        x["points"],
        x["arrows"],
        [0, 1],
        x["diagrams"],
        x["diagram_arrows"],
        x["steps"],
        x["losses"],
        False,
    )


def matplotlib_frame(x: dict) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (data, dgm, loss) = plt.subplots(1, 3, figsize=(12, 4), dpi=100)
    pts, arrows = x["points"], x["arrows"]
    data.scatter(pts[:, 0], pts[:, 1], s=2)
    drawn = np.isfinite(arrows).all(axis=1)
    data.quiver(pts[drawn, 0], pts[drawn, 1], arrows[drawn, 0], arrows[drawn, 1], color="#009E73")
    for d, (points, grad) in enumerate(zip(x["diagrams"], x["diagram_arrows"], strict=True)):
        dgm.scatter(points[:, 0], points[:, 1], s=10, label=f"H{d}")
        dgm.quiver(points[:, 0], points[:, 1], grad[:, 0], grad[:, 1], color="#009E73")
    dgm.plot([0, 1], [0, 1], color="0.6")
    dgm.legend()
    loss.plot(x["steps"], x["losses"])
    fig.suptitle("step 99   loss 0.135")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def median_ms(fn, x: dict, repeats: int) -> float:
    fn(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(x)
        times.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--arrows", type=int, default=1_000)
    args = parser.parse_args()
    x = make_inputs(args.points, args.arrows)
    rows = [("core (plotters + png)", median_ms(core_frame, x, args.repeats))]
    rows.append(("matplotlib (Agg, savefig)", median_ms(matplotlib_frame, x, max(3, args.repeats // 6))))
    print(f"{args.points} points, {args.arrows} data arrows, 300 diagram arrows, 1200 × 400 PNG")
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print("| renderer | median ms per frame |")
    print("|---|---|")
    for name, ms in rows:
        print(f"| {name} | {ms:.1f} |")


if __name__ == "__main__":
    main()
