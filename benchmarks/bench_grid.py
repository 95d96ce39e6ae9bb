"""End-to-end benchmark: grid filtrations (Freudenthal, cubical), dgm-loss forward + backward.

For each case (a filtration family and a grid shape) and each library, a fresh subprocess makes
a smooth random field (seeded Gaussian noise smoothed by ``scipy.ndimage.gaussian_filter`` with
``sigma`` 4, float64), then times the whole differentiable path: ``torch.tensor(field,
requires_grad=True)`` -> filtration -> persistence pairs -> ``loss = sum of (death - birth)^2``
over the finite points of H0 ... H(d-1) -> ``loss.backward()``. The child reports the median wall
time over the repeats and its peak resident memory above the resident memory it had after
importing torch and the library, running one warm-up call on a 16^d field and making the field.
The parent checks that the libraries' finite diagrams and input gradients agree, and prints (and
writes) a markdown table.

Families and libraries:

- ``freudenthal``: lower-star filtration of the Freudenthal triangulation.
  ``oineus_diff``: ``od.freudenthal_filtration``; ``oineus``: ``oineus.diff.freudenthal_filtration``
  (its default, non-slim build). ``gudhi`` has no Freudenthal complex; it is timed on the cubical
  complex with the values on the vertices (the lower star of the cube grid), a *different*
  complex with different diagrams, so it is not compared.
- ``cubical-cells``: the data are the top-dimensional cubes. ``od.cube_filtration(values_on=
  "cells")``, ``oineus.diff.cube_filtration(values_on="cells")``, GUDHI
  ``CubicalComplex(top_dimensional_cells=...)`` and CubicalRipser's T-construction.
- ``cubical-vertices``: the data are the vertices. The same calls with ``values_on="vertices"``,
  GUDHI ``CubicalComplex(vertices=...)`` and CubicalRipser's V-construction.

GUDHI is not differentiable in torch: it is timed as its TensorFlow ``CubicalLayer`` works,
``compute_persistence`` then ``cofaces_of_persistence_pairs()`` (``vertices_of_persistence_pairs()``
for vertex values), whose pixel indices then gather birth and death values from the tensor.
CubicalRipser is timed through its own autograd function, ``cripser.compute_ph_torch``.

Torch runs with one thread (``OMP_NUM_THREADS=1``), oineus_diff and Oineus with
``n_threads=1``, cripser with its default ``n_threads=1``; GUDHI's cubical persistence is
single-threaded.

Usage::

    .venv/bin/python benchmarks/bench_grid.py [--families ...] [--libs ...] [--out PATH]

Benchmarks are never part of ``make test``; ``make bench`` runs this script.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _harness as h

FAMILIES = ("freudenthal", "cubical-cells", "cubical-vertices")
LIBS = ("oineus_diff", "oineus", "gudhi", "cripser")
FAMILY_LIBS = {
    "freudenthal": ("oineus_diff", "oineus", "gudhi"),
    "cubical-cells": LIBS,
    "cubical-vertices": LIBS,
}
# What each library computes in each family (the table's "complex" column).
COMPLEX = {
    ("freudenthal", "oineus_diff"): "Freudenthal",
    ("freudenthal", "oineus"): "Freudenthal",
    ("freudenthal", "gudhi"): "cubical, vertex values (NOT Freudenthal)",
    ("cubical-cells", "oineus_diff"): "cubical, cell values",
    ("cubical-cells", "oineus"): "cubical, cell values",
    ("cubical-cells", "gudhi"): "cubical, top_dimensional_cells",
    ("cubical-cells", "cripser"): "cubical, T-construction",
    ("cubical-vertices", "oineus_diff"): "cubical, vertex values",
    ("cubical-vertices", "oineus"): "cubical, vertex values",
    ("cubical-vertices", "gudhi"): "cubical, vertices",
    ("cubical-vertices", "cripser"): "cubical, V-construction",
}
DEFAULT_FREUDENTHAL_SIZES = ("256x256", "512x512", "1024x1024", "64x64x64")
DEFAULT_CUBICAL_SIZES = ("512x512",)
SIGMA = 4.0
WARMUP_SIDE = 16
LARGE = 2**18  # cases with more data entries than this use --repeats-large
TOL = 1e-9
HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results" / "grid_dgm_loss.md"


def parse_shape(text: str) -> tuple[int, ...]:
    """``"512x512"`` -> ``(512, 512)``."""
    try:
        shape = tuple(int(s) for s in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a shape looks like 512x512; got {text!r}") from None
    if not 1 <= len(shape) <= 4 or min(shape) < 2:
        raise argparse.ArgumentTypeError(f"a shape has 1 to 4 axes of length >= 2; got {text!r}")
    return shape


def fmt_shape(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


def smooth_field(shape: tuple[int, ...], sigma: float, seed: int) -> Any:
    """Seeded standard Gaussian noise smoothed by ``gaussian_filter(sigma)``, float64."""
    import numpy as np
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    return gaussian_filter(rng.standard_normal(shape), sigma)


# --------------------------------------------------------------------------------------------
# Child side: one (library, family, shape) case per process.


def _sq_persistence(pairs: list[Any]) -> Any:
    """Sum of (death - birth)^2 over (n, 2) tensors of finite points."""
    return sum(((p[:, 1] - p[:, 0]) ** 2).sum() for p in pairs)


def _output(cells: Any, dgms: list[Any], x: Any) -> dict[str, Any]:
    return {"cells": cells, "dgms": {str(d): a.detach().numpy() for d, a in enumerate(dgms)}, "grad": x.grad}


def _make_runner(lib: str, family: str, ndim: int) -> Callable[[Any], dict[str, Any]]:
    """Return the timed forward + backward path of ``lib`` for ``family``; imports happen here."""
    import numpy as np
    import torch

    dims = range(ndim)  # H0 ... H(ndim - 1)

    if lib in ("oineus_diff", "oineus"):
        if lib == "oineus_diff":
            import oineus_diff as mod

            def n_cells(fil: Any) -> int:
                return len(fil)
        else:
            import oineus.diff as mod

            def n_cells(fil: Any) -> int:
                return int(fil.under_fil.size())

        def build(x: Any) -> Any:
            if family == "freudenthal":
                return mod.freudenthal_filtration(x, n_threads=1)
            values_on = "cells" if family == "cubical-cells" else "vertices"
            return mod.cube_filtration(x, values_on=values_on, n_threads=1)

        def run(field: Any) -> dict[str, Any]:
            x = torch.tensor(field, requires_grad=True)
            fil = build(x)
            dgms = mod.persistence_diagram(fil, n_threads=1)
            pairs = [dgms[d] for d in dims]
            _sq_persistence(pairs).backward()
            return _output(n_cells(fil), pairs, x)

        return run

    if lib == "gudhi":
        import gudhi

        on_cells = family == "cubical-cells"

        def run(field: Any) -> dict[str, Any]:
            x = torch.tensor(field, requires_grad=True)
            flat = x.detach().numpy().reshape(-1)
            # As gudhi.tensorflow.CubicalLayer: C-order data with the shape reversed (GUDHI reads
            # Fortran order), so the returned indices are C-order flat indices into x.
            shape = list(field.shape[::-1])
            if on_cells:
                cc = gudhi.CubicalComplex(dimensions=shape, top_dimensional_cells=flat)
            else:
                cc = gudhi.CubicalComplex(dimensions=shape, vertices=flat)
            cc.compute_persistence(homology_coeff_field=2)
            regular = (cc.cofaces_of_persistence_pairs() if on_cells else cc.vertices_of_persistence_pairs())[
                0
            ]
            xf = x.reshape(-1)
            pairs = []
            for d in dims:
                idx = regular[d] if d < len(regular) else np.zeros((0, 2), dtype=np.int64)
                pairs.append(xf[torch.from_numpy(np.asarray(idx, dtype=np.int64).reshape(-1, 2))])
            _sq_persistence(pairs).backward()
            return _output(cc.num_simplices(), pairs, x)

        return run

    if lib == "cripser":
        import cripser

        construction = "T" if family == "cubical-cells" else "V"

        def run(field: Any) -> dict[str, Any]:
            x = torch.tensor(field, requires_grad=True)
            ph = cripser.compute_ph_torch(x, filtration=construction, maxdim=ndim - 1)
            finite = ph[torch.isfinite(ph[:, 2])]
            (((finite[:, 2] - finite[:, 1]) ** 2).sum()).backward()
            pairs = [finite[finite[:, 0] == d][:, 1:3] for d in dims]
            return _output(None, pairs, x)

        return run

    raise ValueError(f"unknown library {lib!r}")


def child_main(
    lib: str, family: str, shape: tuple[int, ...], repeats: int, seed: int, sigma: float, grad_path: str
) -> None:
    import numpy as np
    import torch

    torch.set_num_threads(1)
    run = _make_runner(lib, family, len(shape))
    field = smooth_field(shape, sigma, seed)
    warmup = smooth_field((WARMUP_SIDE,) * len(shape), sigma, seed + 12345)
    stats, first = h.measure(run, warmup, lambda: field, repeats)
    if grad_path != "-":
        np.save(grad_path, first["grad"].numpy())
    h.emit(
        {
            "lib": lib,
            "family": family,
            "shape": fmt_shape(shape),
            **stats,
            "cells": first["cells"],
            "distinct_values": bool(np.unique(field).size == field.size),
            "dgms": {d: h.finite_nonzero(a) for d, a in first["dgms"].items()},
        }
    )


# --------------------------------------------------------------------------------------------
# Parent side.


def _skip_reason(lib: str) -> str | None:
    if importlib.util.find_spec(lib) is None:
        extra = " (pip install cripser, the `bench` extra)" if lib == "cripser" else ""
        return f"{lib} is not installed{extra}"
    return None


def _case_name(family: str, shape: str) -> str:
    return f"{family} {shape}"


def _max_grad_diff(a: Path, b: Path) -> float:
    import numpy as np

    return float(np.abs(np.load(a) - np.load(b)).max())


def _ratio(
    by_case: dict[tuple[str, str, str], dict[str, Any]], family: str, shape: str, lib: str
) -> float | None:
    ref = by_case.get((family, shape, "oineus_diff"))
    other = by_case.get((family, shape, lib))
    if ref is None or other is None:
        return None
    return other["median_s"] / ref["median_s"]


def build_report(
    results: list[dict[str, Any]],
    skipped: dict[str, str],
    cases: list[tuple[str, str]],
    grads: dict[tuple[str, str, str], Path],
) -> str:
    lines = [
        "| case | library | complex | cells | repeats | median s | peak MiB over baseline "
        "| time / oineus_diff |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    by_case = {(r["family"], r["shape"], r["lib"]): r for r in results if "error" not in r}
    for r in results:
        name = _case_name(r["family"], r["shape"])
        what = COMPLEX[(r["family"], r["lib"])]
        if "error" in r:
            lines.append(f"| {name} | {r['lib']} | {what} | — | — | failed: {r['error']} | — | — |")
            continue
        ratio = _ratio(by_case, r["family"], r["shape"], r["lib"])
        lines.append(
            f"| {name} | {r['lib']} | {what} | {h.fmt_cells(r['cells'])} | {r['repeats']} | "
            f"{r['median_s']:.4f} | {r['peak_over_baseline_mib']:.1f} | "
            f"{'—' if ratio is None else h.fmt_ratio(ratio)} |"
        )
    for lib, reason in skipped.items():
        lines.append(f"| — | {lib} | — | — | — | skipped: {reason} | — | — |")

    lines += [
        "",
        f"Agreement with oineus_diff (finite points with death != birth, sorted, tolerance {TOL:g}; "
        "input gradients of the first timed call, largest absolute difference):",
        "",
    ]
    all_agree = True
    n_compared = 0
    not_distinct = set()
    for family, shape in cases:
        ref = by_case.get((family, shape, "oineus_diff"))
        if ref is None:
            continue
        name = _case_name(family, shape)
        if not ref["distinct_values"]:
            not_distinct.add(name)
        for lib in FAMILY_LIBS[family][1:]:
            other = by_case.get((family, shape, lib))
            if other is None:
                continue
            dims = sorted(ref["dgms"], key=int)
            if family == "freudenthal" and lib == "gudhi":
                counts = ", ".join(f"H{d} {len(ref['dgms'][d])} vs {len(other['dgms'][d])}" for d in dims)
                lines.append(f"- {name}: {lib} computes a different complex, not compared (points: {counts})")
                continue
            for d in dims:
                ok, desc = h.compare(ref["dgms"][d], other["dgms"][d], TOL)
                all_agree &= ok
                n_compared += 1
                lines.append(f"- {name}, H{d}: oineus_diff vs {lib}: {'agree' if ok else 'DIFFER'} ({desc})")
            ga, gb = grads.get((family, shape, "oineus_diff")), grads.get((family, shape, lib))
            if ga is not None and gb is not None and ga.exists() and gb.exists():
                diff = _max_grad_diff(ga, gb)
                ok = diff <= TOL
                all_agree &= ok
                n_compared += 1
                verdict = "agree" if ok else "DIFFER"
                lines.append(
                    f"- {name}, input gradient: oineus_diff vs {lib}: {verdict} (max |diff| {diff:.1e})"
                )
    if n_compared == 0:
        verdict = "Nothing compared (needs oineus_diff and another library on the same complex)."
    else:
        verdict = (
            "All compared diagrams and gradients agree." if all_agree else "Some results DIFFER (see above)."
        )
    lines += ["", verdict]
    if not_distinct:
        lines.append(f"Fields with repeated values (ties): {', '.join(sorted(not_distinct))}.")

    targets = [
        ("freudenthal", "1024x1024", "oineus", 5.0, "Freudenthal 1024x1024: oineus.diff / oineus_diff"),
        (
            "cubical-cells",
            "512x512",
            "cripser",
            1.0,
            "cubical cells 512x512: cripser compute_ph_torch / oineus_diff",
        ),
    ]
    target_lines = []
    for family, shape, lib, target, label in targets:
        ratio = _ratio(by_case, family, shape, lib)
        if ratio is not None:
            met = "met" if ratio >= target else "NOT met"
            target_lines.append(f"- {label} = {ratio:.2f} (target >= {target:g}): {met}")
    if target_lines:
        lines += [
            "",
            "Targets of issue 3 (time of the other library / time of oineus_diff):",
            "",
            *target_lines,
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", nargs="+", choices=FAMILIES, default=list(FAMILIES))
    parser.add_argument("--freudenthal-sizes", nargs="+", default=list(DEFAULT_FREUDENTHAL_SIZES))
    parser.add_argument("--cubical-sizes", nargs="+", default=list(DEFAULT_CUBICAL_SIZES))
    parser.add_argument("--libs", nargs="+", choices=LIBS, default=list(LIBS))
    parser.add_argument("--repeats", type=int, default=5, help=f"repeats up to {LARGE:,} entries (default 5)")
    parser.add_argument("--repeats-large", type=int, default=3, help="repeats for larger grids (default 3)")
    parser.add_argument("--sigma", type=float, default=SIGMA, help="gaussian_filter sigma (default 4)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per case")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="markdown output, raw JSON beside it ('-' for none)"
    )
    parser.add_argument(
        "--child",
        nargs=7,
        metavar=("LIB", "FAMILY", "SHAPE", "REPEATS", "SEED", "SIGMA", "GRAD"),
        help=argparse.SUPPRESS,
    )
    args = parser.parse_args()

    if args.child:
        lib, family, shape, repeats, seed, sigma, grad_path = args.child
        child_main(lib, family, parse_shape(shape), int(repeats), int(seed), float(sigma), grad_path)
        return

    for size in args.freudenthal_sizes + args.cubical_sizes:
        try:
            parse_shape(size)
        except argparse.ArgumentTypeError as err:
            parser.error(str(err))
    skipped = {lib: reason for lib in args.libs if (reason := _skip_reason(lib)) is not None}
    for lib, reason in skipped.items():
        print(f"skipping {lib}: {reason}", flush=True)
    libs = [lib for lib in args.libs if lib not in skipped]

    versions = {
        dist: h.version(dist)
        for dist in ("oineus-diff", "oineus", "gudhi", "cripser", "torch", "numpy", "scipy")
    }
    header = [
        "# Grid filtrations (Freudenthal, cubical) dgm-loss forward + backward",
        "",
        f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        h.machine_line(),
        h.versions_line(versions),
        f"- command: {h.python_cmd()} benchmarks/bench_grid.py --families {' '.join(args.families)} "
        f"--freudenthal-sizes {' '.join(args.freudenthal_sizes)} "
        f"--cubical-sizes {' '.join(args.cubical_sizes)} "
        f"--libs {' '.join(args.libs)} --repeats {args.repeats} --repeats-large {args.repeats_large} "
        f"--sigma {args.sigma:g} --seed {args.seed}",
        f"- data: scipy.ndimage.gaussian_filter(default_rng({args.seed}).standard_normal(shape), "
        f"sigma={args.sigma:g}), float64; "
        "loss = sum of squared persistence over the finite H0 ... H(d-1) points",
        "- threads: torch 1 (OMP_NUM_THREADS=1), oineus_diff and oineus n_threads=1, cripser n_threads=1, "
        "GUDHI single-threaded",
        f"- load average (1, 5, 15 min) at start: {h.loadavg()}",
        "",
    ]
    print("\n".join(header), flush=True)

    cases = []
    for family in args.families:
        sizes = args.freudenthal_sizes if family == "freudenthal" else args.cubical_sizes
        cases += [(family, fmt_shape(parse_shape(s))) for s in sizes]

    results = []
    grads: dict[tuple[str, str, str], Path] = {}
    with tempfile.TemporaryDirectory(prefix="bench_grid_") as tmp:
        for family, shape in cases:
            n_entries = 1
            for s in parse_shape(shape):
                n_entries *= s
            repeats = args.repeats if n_entries <= LARGE else args.repeats_large
            for lib in (lib for lib in FAMILY_LIBS[family] if lib in libs):
                grad_path = Path(tmp) / f"{family}_{shape}_{lib}.npy"
                grads[(family, shape, lib)] = grad_path
                print(f"running {lib} {family} {shape} ({repeats} repeats) ...", end=" ", flush=True)
                child_args = [
                    lib,
                    family,
                    shape,
                    str(repeats),
                    str(args.seed),
                    repr(args.sigma),
                    str(grad_path),
                ]
                ident = {"lib": lib, "family": family, "shape": shape}
                r = h.run_case(Path(__file__).resolve(), child_args, ident, args.timeout)
                print(h.progress_line(r), flush=True)
                results.append(r)

        header.insert(-1, f"- load average (1, 5, 15 min) at end: {h.loadavg()}")
        report = build_report(results, skipped, cases, grads)
    print("\n" + report)
    if str(args.out) != "-":
        h.write_outputs(args.out, header, report, results, versions)


if __name__ == "__main__":
    main()
