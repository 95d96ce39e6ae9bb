"""End-to-end benchmark: Wasserstein and bottleneck distances between two diagrams.

For each case (a distance, its parameters and the diagram size n) and each library, a fresh
subprocess makes two independent random diagrams of n points each (births uniform in [0, 1),
persistence exponential with mean 0.2, float64, ``numpy.random.default_rng(seed)`` and
``seed + 1``), runs one warm-up call on 50-point diagrams and times the call that returns the
distance as a Python float. The parent checks that the values agree within the requested
relative error and prints (and writes) a markdown table.

Cases and libraries:

- ``wasserstein`` q = 1 and q = 2, L∞ ground metric, relative error delta = 0.01:
  ``od.wasserstein_distance(a, b, q=q, delta=0.01)`` and Oineus's Hera-backed
  ``oineus.wasserstein_distance(a, b, q=q, delta=0.01)``; GUDHI's exact
  ``gudhi.wasserstein.wasserstein_distance(a, b, order=q, internal_p=inf)`` (POT's network
  simplex on the dense (2n)² cost matrix) at n = 1000 only, as the exact reference.
- ``bottleneck`` exact (delta = 0): ``od.bottleneck_distance(a, b, delta=0)``,
  ``oineus.bottleneck_distance(a, b, delta=0)`` and ``gudhi.bottleneck_distance(a, b, e=0)``.
- ``bottleneck`` delta = 0.01: oineus_diff and Oineus (GUDHI's ``e`` is an absolute error, so
  it has no matching mode).

Every library runs single-threaded. Usage::

    .venv/bin/python benchmarks/bench_distances.py [--sizes 1000 5000] [--libs ...] [--out PATH]

Benchmarks are never part of ``make test``; ``make bench`` runs this script.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import math
from pathlib import Path
from typing import Any

import _harness as h

LIBS = ("oineus_diff", "oineus", "gudhi")
# (name, distance, q, delta); q is None for bottleneck.
KINDS = {
    "w1": ("wasserstein q=1, delta=0.01", "wasserstein", 1.0, 0.01),
    "w2": ("wasserstein q=2, delta=0.01", "wasserstein", 2.0, 0.01),
    "b0": ("bottleneck exact", "bottleneck", None, 0.0),
    "b01": ("bottleneck delta=0.01", "bottleneck", None, 0.01),
}
KIND_LIBS = {"w1": LIBS, "w2": LIBS, "b0": LIBS, "b01": ("oineus_diff", "oineus")}
# POT's dense exact solver is only run up to this size.
GUDHI_WASSERSTEIN_MAX_N = 1000
DEFAULT_SIZES = (1000, 5000)
WARMUP_N = 50
HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results" / "distances.md"


def random_diagram(n: int, seed: int) -> Any:
    """Births uniform in [0, 1), persistence exponential with mean 0.2."""
    import numpy as np

    rng = np.random.default_rng(seed)
    births = rng.random(n)
    return np.stack([births, births + rng.exponential(0.2, n)], axis=1)


# --------------------------------------------------------------------------------------------
# Child side: one (library, kind, n) case per process.


def _make_runner(lib: str, kind: str) -> Any:
    _, distance, q, delta = KINDS[kind]
    if lib == "oineus_diff":
        import oineus_diff as od

        if distance == "wasserstein":
            return lambda ab: od.wasserstein_distance(ab[0], ab[1], q=q, delta=delta)
        return lambda ab: od.bottleneck_distance(ab[0], ab[1], delta=delta)
    if lib == "oineus":
        import oineus

        if distance == "wasserstein":
            return lambda ab: oineus.wasserstein_distance(ab[0], ab[1], q=q, delta=delta)
        return lambda ab: oineus.bottleneck_distance(ab[0], ab[1], delta=delta)
    if lib == "gudhi":
        import gudhi

        if distance == "wasserstein":
            from gudhi.wasserstein import wasserstein_distance

            return lambda ab: wasserstein_distance(ab[0], ab[1], order=q, internal_p=math.inf)
        return lambda ab: gudhi.bottleneck_distance(ab[0], ab[1], e=0)
    raise ValueError(f"unknown library {lib!r}")


def child_main(lib: str, kind: str, n: int, repeats: int, seed: int) -> None:
    run = _make_runner(lib, kind)
    warmup = (random_diagram(WARMUP_N, seed + 100), random_diagram(WARMUP_N, seed + 101))
    pair = (random_diagram(n, seed), random_diagram(n, seed + 1))
    stats, first = h.measure(run, warmup, lambda: pair, repeats)
    h.emit({"lib": lib, "kind": kind, "n": n, **stats, "value": float(first)})


# --------------------------------------------------------------------------------------------
# Parent side.


def _skip_reason(lib: str) -> str | None:
    if importlib.util.find_spec(lib) is None:
        return f"{lib} is not installed"
    if lib == "gudhi" and importlib.util.find_spec("ot") is None:
        return "gudhi.wasserstein needs POT"
    return None


def _cases(kinds: list[str], sizes: list[int], libs: list[str]) -> list[tuple[str, int, str]]:
    cases = []
    for kind in kinds:
        for n in sizes:
            for lib in KIND_LIBS[kind]:
                if lib not in libs:
                    continue
                if lib == "gudhi" and KINDS[kind][1] == "wasserstein" and n > GUDHI_WASSERSTEIN_MAX_N:
                    continue
                cases.append((kind, n, lib))
    return cases


def build_report(results: list[dict[str, Any]], skipped: dict[str, str]) -> str:
    by_case = {(r["kind"], r["n"], r["lib"]): r for r in results if "error" not in r}
    lines = [
        "| distance | n | library | repeats | median s | peak MiB over baseline | value "
        "| time / oineus_diff |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        name = KINDS[r["kind"]][0]
        if "error" in r:
            lines.append(f"| {name} | {r['n']} | {r['lib']} | — | failed: {r['error']} | — | — | — |")
            continue
        ref = by_case.get((r["kind"], r["n"], "oineus_diff"))
        ratio = "—" if ref is None else h.fmt_ratio(r["median_s"] / ref["median_s"])
        lines.append(
            f"| {name} | {r['n']} | {r['lib']} | {r['repeats']} | {r['median_s']:.4f} | "
            f"{r['peak_over_baseline_mib']:.1f} | {r['value']:.10g} | {ratio} |"
        )
    for lib, reason in skipped.items():
        lines.append(f"| — | — | {lib} | — | skipped: {reason} | — | — | — |")

    lines += ["", "Agreement (relative difference of each value from oineus_diff's):", ""]
    all_ok = True
    for (kind, n, lib), r in sorted(by_case.items()):
        if lib == "oineus_diff":
            continue
        ours = by_case.get((kind, n, "oineus_diff"))
        if ours is None:
            continue
        delta = KINDS[kind][3]
        exact = lib == "gudhi"
        rel = abs(ours["value"] - r["value"]) / max(abs(r["value"]), 1e-300)
        if exact:
            # ours must lie in [exact, (1 + delta) exact].
            ok = r["value"] * (1 - 1e-9) <= ours["value"] <= r["value"] * (1 + delta) * (1 + 1e-9)
            what = "exact value; ours within [W*, (1 + delta) W*]"
        else:
            # Both are within (1 + delta) of the optimum, so they are within (1 + delta) of each other.
            ok = rel <= delta * (1 + 1e-9) if delta > 0 else rel == 0
            what = "both within 1 + delta of the optimum" if delta > 0 else "both exact"
        all_ok &= ok
        lines.append(
            f"- {KINDS[kind][0]}, n = {n}: {lib} {r['value']:.10g} vs oineus_diff {ours['value']:.10g}, "
            f"relative difference {rel:.1e} ({what}): {'ok' if ok else 'DIFFER'}"
        )
    lines += ["", "All values agree." if all_ok else "Some values DIFFER (see above)."]

    target_lines = []
    for kind in KINDS:
        for n in sorted({k[1] for k in by_case}):
            ours, hera = by_case.get((kind, n, "oineus_diff")), by_case.get((kind, n, "oineus"))
            if ours is None or hera is None:
                continue
            ratio = hera["median_s"] / ours["median_s"]
            met = "met" if ratio >= 1.0 else "NOT met"
            target_lines.append(
                f"- {KINDS[kind][0]}, n = {n}: Hera (oineus) / oineus_diff = {ratio:.2f} "
                f"({hera['median_s']:.4f} s vs {ours['median_s']:.4f} s): {met}"
            )
    if target_lines:
        lines += ["", "Target of issue 5, no slower than Hera at the same delta:", "", *target_lines]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=list(DEFAULT_SIZES))
    parser.add_argument("--kinds", nargs="+", choices=list(KINDS), default=list(KINDS))
    parser.add_argument("--libs", nargs="+", choices=LIBS, default=list(LIBS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per case")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="markdown output, raw JSON beside it ('-' for none)"
    )
    parser.add_argument(
        "--child", nargs=5, metavar=("LIB", "KIND", "N", "REPEATS", "SEED"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()

    if args.child:
        lib, kind, n, repeats, seed = args.child
        child_main(lib, kind, int(n), int(repeats), int(seed))
        return

    skipped = {lib: reason for lib in args.libs if (reason := _skip_reason(lib)) is not None}
    for lib, reason in skipped.items():
        print(f"skipping {lib}: {reason}", flush=True)
    libs = [lib for lib in args.libs if lib not in skipped]
    versions = {dist: h.version(dist) for dist in ("oineus-diff", "oineus", "gudhi", "pot", "numpy")}
    header = [
        "# Wasserstein and bottleneck distances between two diagrams",
        "",
        f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        h.machine_line(),
        h.versions_line(versions),
        f"- command: {h.python_cmd()} benchmarks/bench_distances.py --sizes {' '.join(map(str, args.sizes))} "
        f"--kinds {' '.join(args.kinds)} --libs {' '.join(args.libs)} --repeats {args.repeats} "
        f"--seed {args.seed}",
        f"- data: two independent diagrams of n points, births default_rng(seed).random(n), "
        f"persistence exponential(0.2), seeds {args.seed} and {args.seed + 1}; L∞ ground metric",
        "- threads: every library single-threaded",
        f"- load average (1, 5, 15 min) at start: {h.loadavg()}",
        "",
    ]
    print("\n".join(header), flush=True)

    results = []
    for kind, n, lib in _cases(args.kinds, args.sizes, libs):
        print(f"running {lib} {KINDS[kind][0]} n={n} ({args.repeats} repeats) ...", end=" ", flush=True)
        child_args = [lib, kind, str(n), str(args.repeats), str(args.seed)]
        r = h.run_case(Path(__file__).resolve(), child_args, {"lib": lib, "kind": kind, "n": n}, args.timeout)
        print(h.progress_line(r), flush=True)
        results.append(r)

    header.insert(-1, f"- load average (1, 5, 15 min) at end: {h.loadavg()}")
    report = build_report(results, skipped)
    print("\n" + report)
    if str(args.out) != "-":
        h.write_outputs(args.out, header, report, results, versions)


if __name__ == "__main__":
    main()
