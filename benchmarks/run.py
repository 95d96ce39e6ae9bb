"""Run every workload of benchmarks/README.md, ours next to each installed anchor, in one table.

The workloads are those of the ``bench_*.py`` scripts, imported from them (inputs, warm-up and
the timed call of each library), plus Ripser as one more anchor for Vietoris-Rips. Every
measurement is one fresh interpreter (``run.py --child ...``) that warms up on a small input,
resets the peak-RSS counter, times one call and reports the time and its peak resident memory
over the baseline (``VmHWM``; tracemalloc would miss native allocations). Repeats are
interleaved (ours, anchor, ours, anchor, ...) so that a change of machine load hits every
library alike.

The table (median time, median peak, each anchor's median and its ratio to ours, threads,
machine) replaces the block between ``<!-- run.py:begin -->`` and ``<!-- run.py:end -->`` of
benchmarks/README.md, or is appended with those markers when the README has none.

Usage::

    .venv/bin/python benchmarks/run.py                       # everything, 3 repeats (hours)
    .venv/bin/python benchmarks/run.py --only 'grid-*' vr:400  # a subset: ids, names, globs
    .venv/bin/python benchmarks/run.py --quick --readme -    # tiny sizes, 1 repeat, no rewrite
"""

from __future__ import annotations

import argparse
import datetime
import fnmatch
import functools
import importlib.util
import inspect
import re
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _harness as h

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
BEGIN = "<!-- run.py:begin -->"
END = "<!-- run.py:end -->"
OURS = "oineus_diff"
# Anchors whose distribution is not named after their module.
DISTRIBUTION = {"gph": "giotto-ph"}

# A child's work: (timed call, warm-up input, maker of the measured input).
Child = tuple[Callable[[Any], Any], Any, Callable[[], Any]]


@dataclass(frozen=True)
class Workload:
    """One row family of the table: a name, the libraries (ours first), full and quick sizes."""

    name: str
    libs: tuple[str, ...]
    sizes: tuple[str, ...]
    quick_sizes: tuple[str, ...]
    # (lib, size, seed) -> the child's work; imports happen inside.
    make: Callable[[str, str, int], Child]
    # (lib, size) -> False where that library is not run at that size.
    runs_at: Callable[[str, str], bool] = lambda lib, size: True

    def ids(self, quick: bool) -> list[str]:
        return [f"{self.name}:{s}" for s in (self.quick_sizes if quick else self.sizes)]


# --------------------------------------------------------------------------------------------
# Workloads, from the bench_*.py scripts.


def _vr(lib: str, size: str, seed: int) -> Child:
    import bench_vr

    n = int(size)
    warm, make = (
        bench_vr.noisy_circle(bench_vr.WARMUP_N, seed + 12345),
        lambda: bench_vr.noisy_circle(n, seed),
    )
    if lib == "ripser":
        from ripser import ripser

        return (lambda x: ripser(x, maxdim=1)["dgms"]), warm, make
    run, _ = bench_vr._make_runner(lib)
    return run, warm, make


def _vr_diagram(lib: str, size: str, seed: int) -> Child:
    import bench_vr

    dim, n = (int(x) for x in size.split("d"))
    warm = bench_vr.cloud(dim, bench_vr.WARMUP_N, seed + 12345)
    return bench_vr.make_diagram_runner(lib), warm, lambda: bench_vr.cloud(dim, n, seed)


def _grid(family: str) -> Callable[[str, str, int], Child]:
    def make_child(lib: str, size: str, seed: int) -> Child:
        import bench_grid

        shape = bench_grid.parse_shape(size)
        run = bench_grid._make_runner(lib, family, len(shape))
        warm = bench_grid.smooth_field((bench_grid.WARMUP_SIDE,) * len(shape), bench_grid.SIGMA, seed + 12345)
        return run, warm, lambda: bench_grid.smooth_field(shape, bench_grid.SIGMA, seed)

    return make_child


def _distance(kind: str) -> Callable[[str, str, int], Child]:
    def make_child(lib: str, size: str, seed: int) -> Child:
        import bench_distances as bd

        n = int(size)
        warm = (bd.random_diagram(bd.WARMUP_N, seed + 100), bd.random_diagram(bd.WARMUP_N, seed + 101))
        return (
            bd._make_runner(lib, kind),
            warm,
            lambda: (bd.random_diagram(n, seed), bd.random_diagram(n, seed + 1)),
        )

    return make_child


def _critsets(family: str) -> Callable[[str, str, int], Child]:
    def make_child(lib: str, size: str, seed: int) -> Child:
        import bench_critsets as bc

        n = int(size)
        run = bc._make_runner(lib, family)
        if family == "vr":
            return run, bc.noisy_circle(30, seed + 1), lambda: bc.noisy_circle(n, seed)
        return run, bc.smooth_field(16, seed + 1), lambda: bc.smooth_field(n, seed)

    return make_child


def _alpha(builder: str) -> Callable[[str, str, int], Child]:
    def make_child(lib: str, size: str, seed: int) -> Child:
        import bench_alpha
        import numpy as np

        d, n = (int(x) for x in size.split("d"))
        # Diagrams only on both sides: GUDHI has no gradient (bench_alpha's "diagram" mode).
        run = bench_alpha._make_runner(lib, "diagram", builder, d)
        warm = np.random.default_rng(seed + 12345).random((100, d))
        return run, warm, lambda: np.random.default_rng(seed).random((n, d))

    return make_child


def _grid_libs(family: str) -> tuple[str, ...]:
    import bench_grid

    return bench_grid.FAMILY_LIBS[family]


def _distance_libs(kind: str) -> tuple[str, ...]:
    import bench_distances

    return bench_distances.KIND_LIBS[kind]


def workloads() -> list[Workload]:
    import bench_distances

    def small_wasserstein(lib: str, size: str) -> bool:
        return lib != "gudhi" or int(size) <= bench_distances.GUDHI_WASSERSTEIN_MAX_N

    out = [
        Workload("vr", (OURS, "oineus", "torch_topological", "ripser"), ("100", "200", "400"), ("40",), _vr),
        Workload(
            "vr-diagram",
            (OURS, "gph", "ripser"),
            ("2d1000", "3d1000", "2d2000", "3d2000"),
            ("2d40", "3d40"),
            _vr_diagram,
            # Ripser takes minutes on the 2-D circles of 2000 points; giotto-ph is its faster
            # successor and the anchor the target names.
            lambda lib, size: not (lib == "ripser" and size == "2d2000"),
        ),
        Workload(
            "grid-freudenthal",
            _grid_libs("freudenthal"),
            ("256x256", "512x512", "1024x1024", "64x64x64"),
            ("24x24", "8x8x8"),
            _grid("freudenthal"),
        ),
    ]
    for family in ("cubical-cells", "cubical-vertices"):
        out.append(Workload(f"grid-{family}", _grid_libs(family), ("512x512",), ("24x24",), _grid(family)))
    for kind in bench_distances.KINDS:
        runs_at = small_wasserstein if kind.startswith("w") else (lambda lib, size: True)
        out.append(
            Workload(
                f"distance-{kind}", _distance_libs(kind), ("1000", "5000"), ("50",), _distance(kind), runs_at
            )
        )
    out.append(Workload("critsets-vr", (OURS, "oineus"), ("200", "400"), ("40",), _critsets("vr")))
    out.append(
        Workload("critsets-freudenthal", (OURS, "oineus"), ("512",), ("24",), _critsets("freudenthal"))
    )
    for builder, sizes in (
        ("alpha", ("2d1000000", "3d100000", "2d100000")),
        ("weak_alpha", ("2d100000", "3d100000")),
        ("cech_delaunay", ("2d100000", "3d100000")),
    ):
        out.append(Workload(builder, (OURS, "gudhi"), sizes, ("2d300",), _alpha(builder)))
    return out


# --------------------------------------------------------------------------------------------
# Child side: one measurement per process.


def _use_threads(n_threads: int) -> None:
    """Make every public function of oineus_diff that takes ``n_threads`` default to this many."""
    import oineus_diff as od

    for name in od.__all__:
        f = getattr(od, name)
        if callable(f) and not inspect.isclass(f) and "n_threads" in inspect.signature(f).parameters:
            setattr(od, name, functools.partial(f, n_threads=n_threads))


def child_main(name: str, lib: str, size: str, seed: int, threads: int) -> None:
    import torch

    torch.set_num_threads(1)
    if lib == OURS and threads != 1:
        _use_threads(threads)
    workload = {w.name: w for w in workloads()}[name]
    run, warm, make = workload.make(lib, size, seed)
    stats, _ = h.measure(run, warm, make, 1)
    h.emit({"workload": name, "size": size, "lib": lib, **stats})


# --------------------------------------------------------------------------------------------
# Parent side.


def _version(lib: str) -> str:
    return h.version(DISTRIBUTION.get(lib, lib.replace("_", "-")))


def skip_reason(lib: str) -> str | None:
    if importlib.util.find_spec(lib) is None:
        return f"{lib} is not installed"
    return None


def selected(case_id: str, patterns: list[str] | None) -> bool:
    """Whether a workload id (``name:size``) matches one of ``--only``: a glob over the id, the
    exact id, or a workload name (all its sizes)."""
    if not patterns:
        return True
    name = case_id.split(":", 1)[0]
    return any(fnmatch.fnmatchcase(case_id, p) or p == name for p in patterns)


def fmt_s(t: float) -> str:
    return f"{t:.3g}" if t < 100 else f"{t:.0f}"


def build_table(results: dict[tuple[str, str], dict[str, list[dict[str, Any]]]], threads: int) -> str:
    """The markdown table: one row per (workload, size)."""
    lines = [
        "| workload | size | ours median s | ours peak MiB | anchors: median s (anchor / ours) | threads |",
        "|---|---|---:|---:|---|---:|",
    ]
    for (name, size), by_lib in results.items():
        ours = [r for r in by_lib.get(OURS, []) if "error" not in r]
        ours_t = statistics.median(r["median_s"] for r in ours) if ours else None
        ours_m = statistics.median(r["peak_over_baseline_mib"] for r in ours) if ours else None
        cells = []
        for lib, runs in by_lib.items():
            if lib == OURS:
                continue
            ok = [r for r in runs if "error" not in r]
            if not ok:
                cells.append(f"{lib}: failed ({runs[0]['error'][:60]})")
                continue
            t = statistics.median(r["median_s"] for r in ok)
            ratio = f" ({h.fmt_ratio(t / ours_t)})" if ours_t else ""
            cells.append(f"{lib} {fmt_s(t)}{ratio}")
        ours_cell = fmt_s(ours_t) if ours_t is not None else "failed"
        mem_cell = f"{max(ours_m, 0.0):.1f}" if ours_m is not None else "—"
        lines.append(
            f"| {name} | {size} | {ours_cell} | {mem_cell} | {'; '.join(cells) or '—'} | {threads} |"
        )
    return "\n".join(lines)


def rewrite_readme(path: Path, block: str) -> None:
    """Replace the marked block of ``path`` by ``block``, or append a marked section."""
    text = path.read_text() if path.exists() else ""
    marked = f"{BEGIN}\n{block}\n{END}"
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: marked, text, count=1, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n## `run.py`: every workload side by side\n\n" + marked + "\n"
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes and 1 repeat (the test runs this)")
    parser.add_argument(
        "--only", nargs="+", metavar="PATTERN", help="workload ids (name:size) or names; globs allowed"
    )
    parser.add_argument("--libs", nargs="+", help="run only these libraries (default: ours and every anchor)")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved repeats (default 3, quick 1)")
    parser.add_argument("--threads", type=int, default=1, help="n_threads for oineus_diff (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per measurement")
    parser.add_argument(
        "--max-rss-mib",
        type=float,
        default=8192.0,
        help="kill a measurement whose resident memory exceeds this (Oineus's critical sets at n=400)",
    )
    parser.add_argument(
        "--readme",
        default=None,
        help=f"file whose marked block is rewritten (default {README}; quick: none; - for none)",
    )
    parser.add_argument("--list", action="store_true", help="print the workload ids and exit")
    parser.add_argument(
        "--child", nargs=5, metavar=("NAME", "LIB", "SIZE", "SEED", "THREADS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        name, lib, size, seed, threads = args.child
        child_main(name, lib, size, int(seed), int(threads))
        return
    if args.threads < 1:
        parser.error(f"--threads must be >= 1; got {args.threads}")
    repeats = args.repeats if args.repeats is not None else (1 if args.quick else 3)
    if repeats < 1:
        parser.error(f"--repeats must be >= 1; got {repeats}")
    readme = args.readme if args.readme is not None else ("-" if args.quick else str(README))

    cases: list[tuple[Workload, str, list[str]]] = []
    skipped: dict[str, str] = {}
    for w in workloads():
        for case_id in w.ids(args.quick):
            if not selected(case_id, args.only):
                continue
            size = case_id.split(":", 1)[1]
            libs = []
            for lib in w.libs:
                if args.libs and lib not in args.libs:
                    continue
                reason = skip_reason(lib)
                if reason:
                    skipped[lib] = reason
                elif w.runs_at(lib, size):
                    libs.append(lib)
            if libs:
                cases.append((w, size, libs))
    if args.list:
        for w, size, libs in cases:
            print(f"{w.name}:{size}  ({', '.join(libs)})")
        return
    if not cases:
        parser.error("no workload matches --only / --libs")
    for lib, reason in sorted(skipped.items()):
        print(f"skipping {lib}: {reason}")

    results: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = {}
    script = Path(__file__).resolve()
    for w, size, libs in cases:
        by_lib = results.setdefault((w.name, size), {lib: [] for lib in libs})
        for rep in range(repeats):
            for lib in libs:  # interleaved: ours, anchor, ..., ours, anchor, ...
                ident = {"workload": w.name, "size": size, "lib": lib}
                r = h.run_case(
                    script,
                    [w.name, lib, size, str(args.seed), str(args.threads)],
                    ident,
                    args.timeout,
                    args.max_rss_mib,
                )
                by_lib[lib].append(r)
                print(f"{w.name}:{size} {lib} [{rep + 1}/{repeats}]: {h.progress_line(r)}", flush=True)

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    block = "\n".join(
        [
            f"Written by `benchmarks/run.py{' --quick' if args.quick else ''}` on {stamp}: "
            f"{repeats} interleaved repeat(s), each one call in a fresh interpreter after a warm-up; "
            "peak is resident memory over the post-warm-up baseline. Ratios are anchor time / ours "
            "(above 1: we are faster). Anchors compute what the per-script sections above say (for "
            "instance GUDHI's cubical complex for the Freudenthal rows).",
            "",
            h.machine_line(),
            f"- load average at the end: {h.loadavg()}",
            h.versions_line({lib: _version(lib) for lib in sorted({*_all_libs()})}),
            *(f"- skipped {lib}: {reason}" for lib, reason in sorted(skipped.items())),
            "",
            build_table(results, args.threads),
        ]
    )
    print("\n" + block)
    if readme != "-":
        rewrite_readme(Path(readme), block)
        print(f"\nrewrote the marked block of {readme}")
    failures = [r for by_lib in results.values() for runs in by_lib.values() for r in runs if "error" in r]
    if failures:
        sys.exit(f"{len(failures)} measurement(s) failed")


def _all_libs() -> set[str]:
    return {lib for w in workloads() for lib in w.libs}


if __name__ == "__main__":
    main()
