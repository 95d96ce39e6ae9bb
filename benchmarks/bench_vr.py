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
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _harness as h

LIBS = ("oineus_diff", "oineus", "torch_topological")
DEFAULT_SIZES = (100, 200, 400)
NOISE = 0.1
WARMUP_N = 30
TOL = 1e-6
HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results" / "vr_dgm_loss.md"


def noisy_sphere(n: int, seed: int) -> Any:
    """Return n points uniform on the unit sphere in R^3 plus N(0, NOISE^2) noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    u = rng.normal(size=(n, 3))
    return u / np.linalg.norm(u, axis=1, keepdims=True) + rng.normal(0.0, NOISE, size=(n, 3))


def cloud(dim: int, n: int, seed: int) -> Any:
    """The diagram-only workload's input: a noisy circle (dim 2) or a noisy sphere (dim 3)."""
    return noisy_circle(n, seed) if dim == 2 else noisy_sphere(n, seed)


def noisy_circle(n: int, seed: int) -> Any:
    """Return n points on the unit circle at uniform random angles plus N(0, NOISE^2) noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    angles = rng.uniform(0.0, 2.0 * np.pi, n)
    circle = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return circle + rng.normal(0.0, NOISE, size=(n, 2))


# --------------------------------------------------------------------------------------------
# Child side: one (library, n) case per process.


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
            # The complex is never built on this path (len(fil) would build it): no cell count.
            return {"cells": None, "dgms": {d: dgms[d].detach().numpy() for d in (0, 1)}}

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


def make_diagram_runner(lib: str) -> Callable[[Any], Any]:
    """The diagram-only workload (H0 and H1, no gradient, one thread) for ``lib``, returning
    the finite H1 points as an (m, 2) array.

    - ``oineus_diff``: ``vr_filtration(pts, max_dim=2)`` and ``persistence_diagram`` under
      ``torch.no_grad()``, from a float64 tensor.
    - ``gph`` (giotto-ph): ``ripser_parallel(pts, maxdim=1, n_threads=1)``.
    - ``ripser``: ``ripser(pts, maxdim=1)``.

    All three cut the complex at the enclosing radius (oineus_diff by default, giotto-ph and
    Ripser because the distance matrix they build gets no threshold), which changes no diagram.
    """
    import numpy as np

    def finite(d: Any) -> Any:
        d = np.asarray(d, dtype=float).reshape(-1, 2)
        return d[np.isfinite(d[:, 1])]

    if lib == "oineus_diff":
        import torch

        import oineus_diff as od

        def run(x: Any) -> Any:
            with torch.no_grad():
                dgms = od.persistence_diagram(od.vr_filtration(torch.from_numpy(x), max_dim=2))
            return finite(dgms[1].numpy())

        return run
    if lib == "gph":
        import gph

        return lambda x: finite(gph.ripser_parallel(x, maxdim=1, n_threads=1)["dgms"][1])
    if lib == "ripser":
        from ripser import ripser

        return lambda x: finite(ripser(x, maxdim=1)["dgms"][1])
    raise ValueError(f"unknown library {lib!r}")


def child_main(lib: str, n: int, repeats: int, seed: int) -> None:
    import torch

    torch.set_num_threads(1)
    run, exact = _make_runner(lib)
    stats, first = h.measure(
        run, noisy_circle(WARMUP_N, seed + 12345), lambda: noisy_circle(n, seed), repeats
    )
    dgms = {d: h.finite_nonzero(a) for d, a in first["dgms"].items()}
    result: dict[str, Any] = {"lib": lib, "n": n, **stats, "cells": first["cells"], "dgms": dgms}
    if exact is not None:
        result["timed_dgms"] = dgms
        result["dgms"] = {d: h.finite_nonzero(a) for d, a in exact(noisy_circle(n, seed)).items()}
    h.emit(result)


# --------------------------------------------------------------------------------------------
# Parent side.


def _skip_reason(lib: str) -> str | None:
    module = {"oineus_diff": "oineus_diff", "oineus": "oineus", "torch_topological": "torch_topological"}
    if importlib.util.find_spec(module[lib]) is None:
        extra = " (pip install torch-topological, the `bench` extra)" if lib == "torch_topological" else ""
        return f"{lib} is not installed{extra}"
    return None


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
        ratio = h.fmt_ratio(r["median_s"] / ref[r["n"]]) if r["n"] in ref else "—"
        lines.append(
            f"| {r['lib']} | {r['n']} | {h.fmt_cells(r['cells'])} | {r['repeats']} | "
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
                ok, desc = h.compare(ref_r["dgms"][d], other["dgms"][d], TOL)
                all_agree &= ok
                n_compared += 1
                what = f"{lib} (eps=0)" if lib == "oineus" else lib
                lines.append(f"- n={n}, H{d}: oineus_diff vs {what}: {'agree' if ok else 'DIFFER'} ({desc})")
            if "timed_dgms" in other:
                _, desc = h.compare(ref_r["dgms"]["1"], other["timed_dgms"]["1"], TOL)
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
        dist: h.version(dist)
        for dist in ("oineus-diff", "oineus", "torch-topological", "giotto-ph", "torch", "numpy")
    }
    header = [
        "# VR dgm-loss forward + backward",
        "",
        f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        h.machine_line(),
        h.versions_line(versions),
        f"- command: {h.python_cmd()} benchmarks/bench_vr.py "
        f"--sizes {' '.join(map(str, args.sizes))} --libs {' '.join(args.libs)} "
        f"--repeats {args.repeats} --repeats-large {args.repeats_large} --seed {args.seed}",
        f"- data: noisy circle, n uniform angles + N(0, {NOISE}^2) noise, float64, seed {args.seed}; "
        "loss = -max H1 persistence",
        f"- load average (1, 5, 15 min) at start: {h.loadavg()}",
        "",
    ]
    print("\n".join(header), flush=True)

    results = []
    for n in args.sizes:
        repeats = args.repeats if n <= 200 else args.repeats_large
        for lib in libs:
            print(f"running {lib} n={n} ({repeats} repeats) ...", end=" ", flush=True)
            child_args = [lib, str(n), str(repeats), str(args.seed)]
            r = h.run_case(Path(__file__).resolve(), child_args, {"lib": lib, "n": n}, args.timeout)
            print(h.progress_line(r), flush=True)
            results.append(r)

    header.insert(-1, f"- load average (1, 5, 15 min) at end: {h.loadavg()}")
    report = build_report(results, skipped, args)
    print("\n" + report)
    if str(args.out) != "-":
        h.write_outputs(args.out, header, report, results, versions, drop=("dgms", "timed_dgms"))


if __name__ == "__main__":
    main()
