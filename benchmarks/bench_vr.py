"""End-to-end benchmark: Vietoris-Rips persistence, dgm-loss forward + backward.

For each library and each size n, a fresh subprocess builds the Vietoris-Rips filtration of a
seeded noisy circle (n points at uniform random angles on the unit circle plus Gaussian noise of
standard deviation 0.1, float64), computes the H0 and H1 diagrams, forms the loss
``-max(death - birth)`` over H1 and calls ``backward()``. The child reports the median wall time
over the repeats and its peak resident memory above the resident memory it had after importing
torch and the library and running one warm-up call on 30 points. The parent checks that the
libraries' finite diagrams agree and prints (and writes) a markdown table.

Libraries:

- ``oineus_diff``: ``od.vr_filtration(pts, max_dim=2)`` then ``od.persistence_diagram``.
- ``oineus``: ``oineus.diff.vr_filtration(pts, max_dim=2)`` then
  ``oineus.diff.persistence_diagram`` (``gradient_method="dgm-loss"``, its default). Timed with
  its default ``eps=1e-6`` (values are ``sqrt(d^2 + eps)``; ``eps=0`` gives NaN gradients). The
  diagrams used for the agreement check come from one extra, untimed forward pass with
  ``eps=0`` made after the memory reading.
- ``torch_topological``: ``VietorisRipsComplex(dim=1)`` (giotto-ph's ripser underneath).

All three cut the complex at the enclosing radius (oineus_diff and Oineus by default, x 1.00001;
giotto-ph when given a distance matrix without a threshold). Torch runs with one thread and
every library with its default single-threaded reduction.

Usage::

    .venv/bin/python benchmarks/bench_vr.py [--sizes 100 200 400] [--libs ...] [--out PATH]

Benchmarks are never part of ``make test``; ``make bench`` runs this script.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import importlib.metadata
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

LIBS = ("oineus_diff", "oineus", "torch_topological")
DEFAULT_SIZES = (100, 200, 400)
NOISE = 0.1
WARMUP_N = 30
TOL = 1e-6
RESULT_MARKER = "BENCH_RESULT "
HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results" / "vr_dgm_loss.md"


def noisy_circle(n: int, seed: int) -> Any:
    """Return n points on the unit circle at uniform random angles plus N(0, NOISE^2) noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    angles = rng.uniform(0.0, 2.0 * np.pi, n)
    circle = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return circle + rng.normal(0.0, NOISE, size=(n, 2))


# --------------------------------------------------------------------------------------------
# Child side: one (library, n) case per process.


def _proc_status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not found in /proc/self/status")


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); return whether it worked."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _finite_nonzero(dgm: Any) -> list[list[float]]:
    """Sorted rows of a diagram with finite death and death != birth."""
    import numpy as np

    a = np.asarray(dgm, dtype=np.float64).reshape(-1, 2)
    a = a[np.isfinite(a[:, 1]) & (a[:, 1] != a[:, 0])]
    order = np.lexsort((a[:, 1], a[:, 0]))
    return a[order].tolist()


def _h1_loss(d1: Any) -> Any:
    return -(d1[:, 1] - d1[:, 0]).max()


def _make_runner(lib: str) -> tuple[Callable[[Any], dict[str, Any]], Callable[[Any], Any] | None]:
    """Return (timed run, optional exact-diagram pass) for ``lib``; imports happen here."""
    import torch

    if lib == "oineus_diff":
        import oineus_diff as od

        def run(x: Any) -> dict[str, Any]:
            pts = torch.tensor(x, requires_grad=True)
            fil = od.vr_filtration(pts, max_dim=2)
            dgms = od.persistence_diagram(fil)
            loss = _h1_loss(dgms[1])
            loss.backward()
            return {"cells": len(fil), "dgms": {d: dgms[d].detach().numpy() for d in (0, 1)}}

        return run, None

    if lib == "oineus":
        import oineus.diff as odiff

        def run(x: Any) -> dict[str, Any]:
            pts = torch.tensor(x, requires_grad=True)
            fil = odiff.vr_filtration(pts, max_dim=2)
            dgms = odiff.persistence_diagram(fil)
            loss = _h1_loss(dgms[1])
            loss.backward()
            return {"cells": int(fil.under_fil.size()), "dgms": {d: dgms[d].detach().numpy() for d in (0, 1)}}

        def exact(x: Any) -> Any:
            with torch.no_grad():
                fil = odiff.vr_filtration(torch.tensor(x), max_dim=2, eps=0.0)
                dgms = odiff.persistence_diagram(fil)
                return {d: dgms[d].detach().numpy() for d in (0, 1)}

        return run, exact

    if lib == "torch_topological":
        from torch_topological.nn import VietorisRipsComplex

        def run(x: Any) -> dict[str, Any]:
            pts = torch.tensor(x, requires_grad=True)
            infos = VietorisRipsComplex(dim=1)(pts)
            loss = _h1_loss(infos[1].diagram)
            loss.backward()
            return {"cells": None, "dgms": {d: infos[d].diagram.detach().numpy() for d in (0, 1)}}

        return run, None

    raise ValueError(f"unknown library {lib!r}")


def child_main(lib: str, n: int, repeats: int, seed: int) -> None:
    import torch

    torch.set_num_threads(1)
    run, exact = _make_runner(lib)
    run(noisy_circle(WARMUP_N, seed + 12345))  # lazy imports, first-call setup
    gc.collect()
    peak_reset = _reset_peak_rss()
    baseline_kb = _proc_status_kb("VmRSS")

    x = noisy_circle(n, seed)
    times = []
    first: dict[str, Any] | None = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = run(x)
        times.append(time.perf_counter() - t0)
        if first is None:
            first = out
        del out
        gc.collect()
    assert first is not None
    peak_kb = _proc_status_kb("VmHWM")

    dgms = {d: _finite_nonzero(a) for d, a in first["dgms"].items()}
    result: dict[str, Any] = {
        "lib": lib,
        "n": n,
        "repeats": repeats,
        "times": times,
        "median_s": statistics.median(times),
        "cells": first["cells"],
        "baseline_mib": baseline_kb / 1024,
        "peak_over_baseline_mib": (peak_kb - baseline_kb) / 1024,
        "peak_reset": peak_reset,
        "dgms": dgms,
    }
    if exact is not None:
        result["timed_dgms"] = dgms
        result["dgms"] = {d: _finite_nonzero(a) for d, a in exact(x).items()}
    print(RESULT_MARKER + json.dumps(result), flush=True)


# --------------------------------------------------------------------------------------------
# Parent side.


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _loadavg() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _mem_total_gib() -> float:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    return float("nan")


def _python_cmd() -> str:
    exe = Path(sys.executable)
    try:
        return str(exe.relative_to(HERE.parent))
    except ValueError:
        return str(exe)


def _skip_reason(lib: str) -> str | None:
    module = {"oineus_diff": "oineus_diff", "oineus": "oineus", "torch_topological": "torch_topological"}
    if importlib.util.find_spec(module[lib]) is None:
        extra = " (pip install torch-topological, the `bench` extra)" if lib == "torch_topological" else ""
        return f"{lib} is not installed{extra}"
    return None


def run_case(lib: str, n: int, repeats: int, seed: int, timeout: float) -> dict[str, Any]:
    """Run one case in a fresh interpreter; retry twice on an ImportError (a concurrent rebuild)."""
    for attempt in range(3):
        r = _run_child(lib, n, repeats, seed, timeout)
        err = r.get("error", "")
        if ("ImportError" not in err and "ModuleNotFoundError" not in err) or attempt == 2:
            return r
        time.sleep(10)
    raise AssertionError("unreachable")


def _run_child(lib: str, n: int, repeats: int, seed: int, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", lib, str(n), str(repeats), str(seed)]
    try:
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"lib": lib, "n": n, "error": f"timed out after {timeout:.0f} s"}
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER) :])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
    return {"lib": lib, "n": n, "error": f"exit code {proc.returncode}: " + " | ".join(tail)}


def compare(a: list[list[float]], b: list[list[float]]) -> tuple[bool, str]:
    """Compare two sorted diagrams; return (agree, description)."""
    if len(a) != len(b):
        return False, f"{len(a)} vs {len(b)} points"
    if not a:
        return True, "0 points"
    diff = max(abs(x - y) for ra, rb in zip(a, b, strict=True) for x, y in zip(ra, rb, strict=True))
    noun = "point" if len(a) == 1 else "points"
    return diff <= TOL, f"{len(a)} {noun}, max |diff| {diff:.1e}"


def _fmt_ratio(x: float) -> str:
    return f"{x:.1f}x" if x >= 0.1 else f"{x:.3f}x"


def _fmt_cells(c: Any) -> str:
    return "—" if c is None else f"{c:,}"


def build_report(results: list[dict[str, Any]], skipped: dict[str, str], args: argparse.Namespace) -> str:
    lines = [
        "| library | n | cells | repeats | median s | peak MiB over baseline | time / oineus_diff |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    ref = {r["n"]: r["median_s"] for r in results if r["lib"] == "oineus_diff" and "error" not in r}
    for r in results:
        if "error" in r:
            lines.append(f"| {r['lib']} | {r['n']} | — | — | failed: {r['error']} | — | — |")
            continue
        ratio = _fmt_ratio(r["median_s"] / ref[r["n"]]) if r["n"] in ref else "—"
        lines.append(
            f"| {r['lib']} | {r['n']} | {_fmt_cells(r['cells'])} | {r['repeats']} | "
            f"{r['median_s']:.4f} | {r['peak_over_baseline_mib']:.1f} | {ratio} |"
        )
    for lib, reason in skipped.items():
        lines.append(f"| {lib} | — | — | — | skipped: {reason} | — | — |")

    lines += ["", f"Diagram agreement (finite points with death != birth, sorted, tolerance {TOL:g}):", ""]
    by_case = {(r["lib"], r["n"]): r for r in results if "error" not in r}
    all_agree = True
    n_compared = 0
    for n in args.sizes:
        ref_r = by_case.get(("oineus_diff", n))
        if ref_r is None:
            continue
        for lib in LIBS[1:]:
            other = by_case.get((lib, n))
            if other is None:
                continue
            for d in ("0", "1"):
                ok, desc = compare(ref_r["dgms"][d], other["dgms"][d])
                all_agree &= ok
                n_compared += 1
                what = f"{lib} (eps=0)" if lib == "oineus" else lib
                lines.append(f"- n={n}, H{d}: oineus_diff vs {what}: {'agree' if ok else 'DIFFER'} ({desc})")
            if "timed_dgms" in other:
                _, desc = compare(ref_r["dgms"]["1"], other["timed_dgms"]["1"])
                lines.append(f"- n={n}, H1: oineus_diff vs oineus as timed (eps=1e-6): {desc}")
    if n_compared == 0:
        verdict = "No diagrams compared (needs oineus_diff and another library)."
    else:
        verdict = "All compared diagrams agree." if all_agree else "Some diagrams DIFFER (see above)."
    lines += ["", verdict]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--libs", nargs="+", choices=LIBS, default=list(LIBS))
    parser.add_argument("--repeats", type=int, default=5, help="repeats for n <= 200 (default 5)")
    parser.add_argument("--repeats-large", type=int, default=3, help="repeats for n > 200 (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per case")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="markdown output, raw JSON beside it ('-' for none)"
    )
    parser.add_argument("--child", nargs=4, metavar=("LIB", "N", "REPEATS", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        lib, n, repeats, seed = args.child
        child_main(lib, int(n), int(repeats), int(seed))
        return

    skipped = {lib: reason for lib in args.libs if (reason := _skip_reason(lib)) is not None}
    for lib, reason in skipped.items():
        print(f"skipping {lib}: {reason}", flush=True)
    libs = [lib for lib in args.libs if lib not in skipped]

    versions = {
        dist: _version(dist)
        for dist in ("oineus-diff", "oineus", "torch-topological", "giotto-ph", "torch", "numpy")
    }
    header = [
        "# VR dgm-loss forward + backward",
        "",
        f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- machine: {_cpu_model()}, {os.cpu_count()} cores, {_mem_total_gib():.1f} GiB RAM, "
        f"{platform.system()} {platform.release()}",
        f"- python {platform.python_version()}; " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        f"- command: {_python_cmd()} benchmarks/bench_vr.py "
        f"--sizes {' '.join(map(str, args.sizes))} --libs {' '.join(args.libs)} "
        f"--repeats {args.repeats} --repeats-large {args.repeats_large} --seed {args.seed}",
        f"- data: noisy circle, n uniform angles + N(0, {NOISE}^2) noise, float64, seed {args.seed}; "
        "loss = -max H1 persistence",
        f"- load average (1, 5, 15 min) at start: {_loadavg()}",
        "",
    ]
    print("\n".join(header), flush=True)

    results = []
    for n in args.sizes:
        repeats = args.repeats if n <= 200 else args.repeats_large
        for lib in libs:
            print(f"running {lib} n={n} ({repeats} repeats) ...", end=" ", flush=True)
            r = run_case(lib, n, repeats, args.seed, args.timeout)
            if "error" in r:
                print(f"FAILED: {r['error']}", flush=True)
            else:
                print(
                    f"median {r['median_s']:.4f} s, peak +{r['peak_over_baseline_mib']:.1f} MiB"
                    + ("" if r["peak_reset"] else " (peak not reset after warm-up)"),
                    flush=True,
                )
            results.append(r)

    header.insert(-1, f"- load average (1, 5, 15 min) at end: {_loadavg()}")
    report = build_report(results, skipped, args)
    print("\n" + report)
    if str(args.out) != "-":
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(header) + "\n" + report + "\n")
        raw = [{k: v for k, v in r.items() if k not in ("dgms", "timed_dgms")} for r in results]
        raw_path = args.out.with_suffix(".json")
        raw_path.write_text(json.dumps({"versions": versions, "results": raw}, indent=1) + "\n")
        print(f"\nwrote {args.out} and {raw_path}")


if __name__ == "__main__":
    main()
