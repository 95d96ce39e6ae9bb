"""End-to-end benchmark: crit-sets forward + backward, oineus_diff next to oineus.diff.

For each case and library, a fresh subprocess times the whole differentiable path with
``gradient_method="crit-sets"`` (``conflict_strategy="avg"``, ``step_size=1``):

- ``vr``: n points of a seeded noisy circle (uniform angles on the unit circle plus Gaussian noise
  of standard deviation 0.1, float64) -> Vietoris-Rips up to triangles (cut at the enclosing
  radius) -> H0 and H1 diagrams -> ``loss = -max(death - birth)`` over H1 -> ``backward()``.
  The H1 point's birth moves down (a row of U-perp over the edges) and its death moves up (a row
  of U over the triangles), so the backward reduces both sides.
- ``freudenthal``: a 512 x 512 smooth random field (seeded Gaussian noise smoothed by
  ``scipy.ndimage.gaussian_filter`` with sigma 4) -> Freudenthal filtration -> H0 and H1 ->
  ``loss = sum of (death - birth)^2`` over the finite points -> ``backward()``.

The child reports the median wall time over the repeats and its peak resident memory above the
resident memory it had after importing torch and the library and running one warm-up call on a
small input. Each case runs under a time limit and a resident-memory cap (``--max-rss-mib``),
past which the child is killed and the case reported as failed. The parent checks that the
libraries' finite diagrams agree (Oineus's VR values are ``sqrt(d^2 + 1e-6)``, so VR diagrams
agree to about 1e-3 only) and, for the grid, that the input gradients are equal.

Usage::

    .venv/bin/python benchmarks/bench_critsets.py [--cases vr:200 vr:400 freudenthal:512] [--libs ...]

Benchmarks are never part of ``make test``; ``make bench`` runs this script.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _harness as h

LIBS = ("oineus_diff", "oineus")
DEFAULT_CASES = ("vr:200", "vr:400", "freudenthal:512")
NOISE = 0.1
HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results" / "critsets.md"
VR_TOL = 2e-3
GRID_TOL = 1e-12


def noisy_circle(n: int, seed: int) -> Any:
    """Return n points on the unit circle at uniform random angles plus N(0, NOISE^2) noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    angles = rng.uniform(0.0, 2.0 * np.pi, n)
    circle = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return circle + rng.normal(0.0, NOISE, size=(n, 2))


def smooth_field(side: int, seed: int) -> Any:
    """Return a side x side Gaussian field smoothed with sigma 4."""
    import numpy as np
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    return gaussian_filter(rng.standard_normal((side, side)), sigma=4.0)


# --------------------------------------------------------------------------------------------
# Child side: one (library, case) per process.


def _make_runner(lib: str, family: str) -> Callable[[Any], dict[str, Any]]:
    import torch

    if lib == "oineus_diff":
        import oineus_diff as module
    else:
        import oineus.diff as module  # type: ignore[no-redef]

    def run(x: Any) -> dict[str, Any]:
        data = torch.tensor(x, requires_grad=True)
        if family == "vr":
            fil = module.vr_filtration(data, max_dim=2)
        else:
            fil = module.freudenthal_filtration(data)
        dgms = module.persistence_diagram(fil, gradient_method="crit-sets", conflict_strategy="avg")
        if family == "vr":
            loss = -(dgms[1][:, 1] - dgms[1][:, 0]).max()
        else:
            loss = sum(((dgms[d][:, 1] - dgms[d][:, 0]) ** 2).sum() for d in (0, 1))
        loss.backward()
        cells = len(fil) if lib == "oineus_diff" else int(fil.under_fil.size())
        return {
            "cells": cells,
            "dgms": {d: dgms[d].detach().numpy() for d in (0, 1)},
            "grad": data.grad.numpy().copy(),
        }

    return run


def child_main(lib: str, family: str, size: int, repeats: int, seed: int) -> None:
    import torch

    torch.set_num_threads(1)
    run = _make_runner(lib, family)
    if family == "vr":
        warm, make = noisy_circle(30, seed + 1), (lambda: noisy_circle(size, seed))
    else:
        warm, make = smooth_field(16, seed + 1), (lambda: smooth_field(size, seed))
    stats, first = h.measure(run, warm, make, repeats)
    dgms = {d: h.finite_nonzero(a) for d, a in first["dgms"].items()}
    result = {"lib": lib, "case": f"{family}:{size}", **stats, "cells": first["cells"], "dgms": dgms}
    if family != "vr":
        result["grad_checksum"] = [float(abs(first["grad"]).sum()), float((first["grad"] ** 2).sum())]
        import numpy as np

        path = HERE / "results" / f".grad_{lib}_{family}_{size}.npy"
        np.save(path, first["grad"])
        result["grad_path"] = str(path)
    h.emit(result)


# --------------------------------------------------------------------------------------------
# Parent side.


def build_report(results: list[dict[str, Any]], skipped: dict[str, str], cases: list[str]) -> str:
    import numpy as np

    lines = [
        "| case | library | cells | repeats | median s | peak MiB over baseline | time / oineus_diff |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    ref = {r["case"]: r["median_s"] for r in results if r["lib"] == "oineus_diff" and "error" not in r}
    for r in results:
        if "error" in r:
            lines.append(f"| {r['case']} | {r['lib']} | — | — | failed: {r['error']} | — | — |")
            continue
        ratio = h.fmt_ratio(r["median_s"] / ref[r["case"]]) if r["case"] in ref else "—"
        lines.append(
            f"| {r['case']} | {r['lib']} | {h.fmt_cells(r['cells'])} | {r['repeats']} | "
            f"{r['median_s']:.3f} | {r['peak_over_baseline_mib']:.1f} | {ratio} |"
        )
    for lib, reason in skipped.items():
        lines.append(f"| — | {lib} | — | — | skipped: {reason} | — | — |")
    lines += ["", "Agreement with oineus.diff:", ""]
    by_case = {(r["lib"], r["case"]): r for r in results if "error" not in r}
    for case in cases:
        ours, theirs = by_case.get(("oineus_diff", case)), by_case.get(("oineus", case))
        if ours is None or theirs is None:
            lines.append(f"- {case}: not compared (a side failed or was skipped)")
            continue
        tol = VR_TOL if case.startswith("vr") else GRID_TOL
        for d in ("0", "1"):
            ok, desc = h.compare(ours["dgms"][d], theirs["dgms"][d], tol)
            lines.append(
                f"- {case}, H{d} diagrams (tolerance {tol:g}): {'agree' if ok else 'DIFFER'} ({desc})"
            )
        if "grad_path" in ours and "grad_path" in theirs:
            a, b = np.load(ours["grad_path"]), np.load(theirs["grad_path"])
            diff = float(np.abs(a - b).max())
            lines.append(
                f"- {case}, input gradient: max |diff| {diff:.1e} ({'equal' if diff == 0 else 'differ'})"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="+", default=list(DEFAULT_CASES), help="family:size items")
    parser.add_argument("--libs", nargs="+", choices=LIBS, default=list(LIBS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per case")
    parser.add_argument("--max-rss-mib", type=float, default=8192.0, help="resident-memory cap per case")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="markdown output, raw JSON beside it ('-' for none)"
    )
    parser.add_argument(
        "--child", nargs=5, metavar=("LIB", "FAMILY", "SIZE", "REPEATS", "SEED"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()

    if args.child:
        lib, family, size, repeats, seed = args.child
        child_main(lib, family, int(size), int(repeats), int(seed))
        return

    skipped = {lib: f"{lib} is not installed" for lib in args.libs if importlib.util.find_spec(lib) is None}
    libs = [lib for lib in args.libs if lib not in skipped]
    versions = {dist: h.version(dist) for dist in ("oineus-diff", "oineus", "torch", "numpy")}
    header = [
        "# Crit-sets forward + backward",
        "",
        f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        h.machine_line(),
        h.versions_line(versions),
        f"- command: {h.python_cmd()} benchmarks/bench_critsets.py --cases {' '.join(args.cases)} "
        f"--libs {' '.join(args.libs)} --repeats {args.repeats} --seed {args.seed} "
        f"--timeout {args.timeout:g} --max-rss-mib {args.max_rss_mib:g}",
        f"- data: VR noisy circle (noise {NOISE}), loss -max H1 persistence; Freudenthal smooth field "
        "(sigma 4), loss sum of squared persistence over H0 and H1; conflict strategy avg, step 1",
        f"- load average (1, 5, 15 min) at start: {h.loadavg()}",
        "",
    ]
    print("\n".join(header), flush=True)
    results = []
    for case in args.cases:
        family, size = case.split(":")
        for lib in libs:
            print(f"running {lib} {case} ...", end=" ", flush=True)
            child_args = [lib, family, size, str(args.repeats), str(args.seed)]
            ident = {"lib": lib, "case": case}
            r = h.run_case(Path(__file__).resolve(), child_args, ident, args.timeout, args.max_rss_mib)
            print(h.progress_line(r), flush=True)
            results.append(r)
    header.insert(-1, f"- load average (1, 5, 15 min) at end: {h.loadavg()}")
    report = build_report(results, skipped, args.cases)
    print("\n" + report)
    for r in results:
        if "grad_path" in r:
            Path(r["grad_path"]).unlink(missing_ok=True)
    if str(args.out) != "-":
        h.write_outputs(args.out, header, report, results, versions, drop=("dgms", "grad_path"))


if __name__ == "__main__":
    main()
