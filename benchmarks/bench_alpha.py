"""End-to-end benchmark: alpha, weak alpha and Čech-Delaunay filtrations of random point clouds.

For each case (a builder, a dimension d and a number of points n) and each library, a fresh
subprocess draws n uniform random points in the unit square or cube (``numpy.random.
default_rng(seed)``, float64) and times one of two paths:

- ``diagram``: the persistence diagram from the numpy points, nothing differentiable:
  ``od.alpha_filtration(points)`` -> ``od.persistence_diagram(fil)`` for oineus_diff;
  ``gudhi.AlphaComplex(points=points).create_simplex_tree()`` ->
  ``compute_persistence(homology_coeff_field=2)`` (Z/2, as ours) ->
  ``persistence_intervals_in_dimension(k)`` for GUDHI (``DelaunayCechComplex`` for
  Čech-Delaunay; GUDHI has no weak alpha);
- ``dgm-loss``: oineus_diff's differentiable path: ``torch.tensor(points, requires_grad=True)``
  -> builder -> ``persistence_diagram`` -> ``loss = sum of (death - birth)^2`` over the finite
  H0 ... H(d-1) points -> ``loss.backward()``.

The child reports the median wall time over the repeats, its peak resident memory above the
baseline taken after a warm-up call on 100 points, and, for oineus_diff, the split of the first
timed call into building the filtration, the persistence step and (``dgm-loss``) the backward
pass. The parent checks that oineus_diff's and GUDHI's finite diagrams agree and writes a
markdown table.

Torch runs with one thread (``OMP_NUM_THREADS=1``), oineus_diff with ``n_threads=1``; GUDHI's
Delaunay and persistence are single-threaded.

Usage::

    .venv/bin/python benchmarks/bench_alpha.py [--cases ...] [--repeats 3] [--out PATH]

Benchmarks are never part of ``make test``; ``make bench`` runs this script.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _harness as h

BUILDERS = ("alpha", "weak_alpha", "cech_delaunay")
# (builder, d, n): the targets (alpha of 10^6 points in 2-D and 10^5 in 3-D) and the three
# builders against each other on 10^5 points.
DEFAULT_CASES = (
    "alpha:2:1000000",
    "alpha:3:100000",
    "alpha:2:100000",
    "weak_alpha:2:100000",
    "cech_delaunay:2:100000",
    "weak_alpha:3:100000",
    "cech_delaunay:3:100000",
)
RUNS = (("oineus_diff", "diagram"), ("oineus_diff", "dgm-loss"), ("gudhi", "diagram"))
LARGE = 200_000  # cases with more points than this use --repeats-large
TOL = 1e-9
HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results" / "alpha_diagrams.md"


def parse_case(text: str) -> tuple[str, int, int]:
    """``"alpha:2:1000000"`` -> ``("alpha", 2, 1000000)``."""
    try:
        builder, d, n = text.split(":")
        case = (builder, int(d), int(n))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a case looks like alpha:2:100000; got {text!r}") from None
    if case[0] not in BUILDERS or case[1] not in (2, 3) or case[2] < 10:
        raise argparse.ArgumentTypeError(f"builder in {BUILDERS}, d in (2, 3), n >= 10; got {text!r}")
    return case


def case_name(builder: str, d: int, n: int) -> str:
    return f"{builder} {d}-D n={n:,}"


# --------------------------------------------------------------------------------------------
# Child side: one (library, mode, case) per process.


def _make_runner(lib: str, mode: str, builder: str, d: int) -> Callable[[Any], dict[str, Any]]:
    import numpy as np
    import torch

    if lib == "oineus_diff":
        import oineus_diff as od

        build = getattr(od, f"{builder}_filtration")

        def run(points: Any) -> dict[str, Any]:
            t0 = time.perf_counter()
            x = torch.tensor(points, requires_grad=True) if mode == "dgm-loss" else points
            fil = build(x, n_threads=1)
            t1 = time.perf_counter()
            dgms = od.persistence_diagram(fil, n_threads=1)
            finite = [dgms[k][torch.isfinite(dgms[k][:, 1])] for k in range(d)]
            t2 = time.perf_counter()
            if mode == "dgm-loss":
                sum(((p[:, 1] - p[:, 0]) ** 2).sum() for p in finite).backward()
            t3 = time.perf_counter()
            return {
                "cells": len(fil),
                "dgms": {str(k): p.detach().numpy() for k, p in enumerate(finite)},
                "phases": {"build": t1 - t0, "persistence": t2 - t1, "backward": t3 - t2},
            }

        return run

    if lib == "gudhi":
        import gudhi

        def run(points: Any) -> dict[str, Any]:
            t0 = time.perf_counter()
            if builder == "alpha":
                tree = gudhi.AlphaComplex(points=points).create_simplex_tree()
            else:
                tree = gudhi.DelaunayCechComplex(points=points).create_simplex_tree()
            t1 = time.perf_counter()
            # Z/2 coefficients, as ours: GUDHI's default field Z/11 can give other diagrams when
            # relative homology has 2-torsion (it does in 3-D clouds of 10^5 points).
            tree.compute_persistence(homology_coeff_field=2)
            dgms = {str(k): np.asarray(tree.persistence_intervals_in_dimension(k)) for k in range(d)}
            t2 = time.perf_counter()
            return {
                "cells": tree.num_simplices(),
                "dgms": dgms,
                "phases": {"build": t1 - t0, "persistence": t2 - t1, "backward": 0.0},
            }

        return run

    raise ValueError(f"unknown library {lib!r}")


def child_main(lib: str, mode: str, builder: str, d: int, n: int, repeats: int, seed: int) -> None:
    import numpy as np
    import torch

    torch.set_num_threads(1)
    run = _make_runner(lib, mode, builder, d)
    points = np.random.default_rng(seed).random((n, d))
    warmup = np.random.default_rng(seed + 12345).random((100, d))
    stats, first = h.measure(run, warmup, lambda: points, repeats)
    h.emit(
        {
            "lib": lib,
            "mode": mode,
            "builder": builder,
            "d": d,
            "n": n,
            **stats,
            "cells": first["cells"],
            "phases": first["phases"],
            "dgms": {k: h.finite_nonzero(a) for k, a in first["dgms"].items()},
        }
    )


# --------------------------------------------------------------------------------------------
# Parent side.


def build_report(results: list[dict[str, Any]], cases: list[tuple[str, int, int]]) -> str:
    lines = [
        "| case | library | path | cells | repeats | median s | build / persistence / backward s "
        "| peak MiB over baseline | time / oineus_diff diagram |",
        "|---|---|---|---:|---:|---:|---|---:|---:|",
    ]
    key = {(r["builder"], r["d"], r["n"], r["lib"], r["mode"]): r for r in results if "error" not in r}
    for r in results:
        name = case_name(r["builder"], r["d"], r["n"])
        if "error" in r:
            lines.append(f"| {name} | {r['lib']} | {r['mode']} | — | — | failed: {r['error']} | — | — | — |")
            continue
        ref = key.get((r["builder"], r["d"], r["n"], "oineus_diff", "diagram"))
        ratio = "—" if ref is None else h.fmt_ratio(r["median_s"] / ref["median_s"])
        p = r["phases"]
        phases = f"{p['build']:.2f} / {p['persistence']:.2f} / {p['backward']:.2f}"
        lines.append(
            f"| {name} | {r['lib']} | {r['mode']} | {h.fmt_cells(r['cells'])} | {r['repeats']} | "
            f"{r['median_s']:.3f} | {phases} | {r['peak_over_baseline_mib']:.1f} | {ratio} |"
        )
    lines += ["", f"Agreement of the finite diagrams (death != birth, sorted, tolerance {TOL:g}):", ""]
    for builder, d, n in cases:
        ref = key.get((builder, d, n, "oineus_diff", "diagram"))
        for lib, mode in RUNS[1:]:
            other = key.get((builder, d, n, lib, mode))
            if ref is None or other is None:
                continue
            for k in sorted(ref["dgms"], key=int):
                ok, desc = h.compare(ref["dgms"][k], other["dgms"][k], TOL)
                verdict = "agree" if ok else "DIFFER"
                lines.append(
                    f"- {case_name(builder, d, n)}, H{k}: oineus_diff vs {lib} {mode}: {verdict} ({desc})"
                )
    targets = []
    for builder, d, n in cases:
        ours, theirs = (key.get((builder, d, n, lib, "diagram")) for lib in ("oineus_diff", "gudhi"))
        if builder == "alpha" and ours is not None and theirs is not None:
            ratio = ours["median_s"] / theirs["median_s"]
            met = "met" if ratio <= 1.5 else "NOT met"
            name = case_name(builder, d, n)
            targets.append(f"- {name}: oineus_diff / GUDHI = {ratio:.2f} (target <= 1.5): {met}")
    if targets:
        lines += ["", "Target of issue 4 (alpha diagram time of oineus_diff / GUDHI):", "", *targets]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="+", default=list(DEFAULT_CASES), help="builder:d:n ...")
    parser.add_argument("--repeats", type=int, default=3, help=f"repeats up to {LARGE:,} points (default 3)")
    parser.add_argument("--repeats-large", type=int, default=2, help="repeats for larger clouds (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per case")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="markdown output, raw JSON beside it ('-' for none)"
    )
    parser.add_argument("--child", nargs=7, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        lib, mode, builder, d, n, repeats, seed = args.child
        child_main(lib, mode, builder, int(d), int(n), int(repeats), int(seed))
        return

    try:
        cases = [parse_case(c) for c in args.cases]
    except argparse.ArgumentTypeError as err:
        parser.error(str(err))
    has_gudhi = importlib.util.find_spec("gudhi") is not None
    if not has_gudhi:
        print("skipping gudhi: not installed", flush=True)
    versions = {dist: h.version(dist) for dist in ("oineus-diff", "gudhi", "torch", "numpy")}
    header = [
        "# Delaunay family (alpha, weak alpha, Čech-Delaunay): diagrams and dgm-loss",
        "",
        f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        h.machine_line(),
        h.versions_line(versions),
        f"- command: {h.python_cmd()} benchmarks/bench_alpha.py --cases {' '.join(args.cases)} "
        f"--repeats {args.repeats} --repeats-large {args.repeats_large} --seed {args.seed}",
        f"- data: default_rng({args.seed}).random((n, d)), float64; dgm-loss = sum of squared persistence "
        "over the finite H0 ... H(d-1) points",
        "- threads: torch 1 (OMP_NUM_THREADS=1), oineus_diff n_threads=1, GUDHI single-threaded",
        f"- load average (1, 5, 15 min) at start: {h.loadavg()}",
        "",
    ]
    print("\n".join(header), flush=True)
    results = []
    for builder, d, n in cases:
        repeats = args.repeats if n <= LARGE else args.repeats_large
        for lib, mode in RUNS:
            if lib == "gudhi" and (not has_gudhi or builder == "weak_alpha"):
                continue
            name = case_name(builder, d, n)
            print(f"running {lib} {mode} {name} ({repeats} repeats) ...", end=" ", flush=True)
            child_args = [lib, mode, builder, str(d), str(n), str(repeats), str(args.seed)]
            ident = {"lib": lib, "mode": mode, "builder": builder, "d": d, "n": n}
            r = h.run_case(Path(__file__).resolve(), child_args, ident, args.timeout)
            print(h.progress_line(r), flush=True)
            results.append(r)
    header.insert(-1, f"- load average (1, 5, 15 min) at end: {h.loadavg()}")
    report = build_report(results, cases)
    print("\n" + report)
    if str(args.out) != "-":
        h.write_outputs(args.out, header, report, results, versions)


if __name__ == "__main__":
    main()
