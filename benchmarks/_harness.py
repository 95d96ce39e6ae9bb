"""Shared machinery of the end-to-end benchmarks (``bench_vr.py``, ``bench_grid.py``).

Every case runs in a fresh interpreter (the script re-invoked with ``--child ...``). The child
does one warm-up call on a small input, resets the peak-RSS counter (``/proc/self/clear_refs``),
reads the resident memory as the baseline, times the repeats and prints one JSON line after
``RESULT_MARKER``; the parent collects it, compares diagrams and writes a markdown table plus the
raw numbers as JSON.

The scripts import this module as ``_harness``: Python puts the script's own directory first on
``sys.path``, so this works from any working directory.
"""

from __future__ import annotations

import gc
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

RESULT_MARKER = "BENCH_RESULT "
ROOT = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------------------------
# Child side.


def proc_status_kb(field: str) -> int:
    """Return a ``/proc/self/status`` field (``VmRSS``, ``VmHWM``, ...) in KiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not found in /proc/self/status")


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); return whether it worked."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def finite_nonzero(dgm: Any) -> list[list[float]]:
    """Sorted rows of a diagram with finite death and death != birth."""
    import numpy as np

    a = np.asarray(dgm, dtype=np.float64).reshape(-1, 2)
    a = a[np.isfinite(a[:, 1]) & (a[:, 1] != a[:, 0])]
    order = np.lexsort((a[:, 1], a[:, 0]))
    return a[order].tolist()


def measure(
    run: Callable[[Any], Any], warmup_input: Any, make_input: Callable[[], Any], repeats: int
) -> tuple[dict[str, Any], Any]:
    """Warm up, take the memory baseline, time ``repeats`` calls of ``run``.

    ``make_input`` is called after the baseline reading, so what it allocates counts towards the
    peak. Returns the statistics (``times``, ``median_s``, ``baseline_mib``,
    ``peak_over_baseline_mib``, ``peak_reset``) and the output of the first timed call.
    """
    run(warmup_input)  # lazy imports, first-call setup
    gc.collect()
    peak_reset = reset_peak_rss()
    baseline_kb = proc_status_kb("VmRSS")

    x = make_input()
    times = []
    first: Any = None
    for i in range(repeats):
        t0 = time.perf_counter()
        out = run(x)
        times.append(time.perf_counter() - t0)
        if i == 0:
            first = out
        del out
        gc.collect()
    peak_kb = proc_status_kb("VmHWM")
    stats = {
        "repeats": repeats,
        "times": times,
        "median_s": statistics.median(times),
        "baseline_mib": baseline_kb / 1024,
        "peak_over_baseline_mib": (peak_kb - baseline_kb) / 1024,
        "peak_reset": peak_reset,
    }
    return stats, first


def emit(result: dict[str, Any]) -> None:
    """Print the child's result line for the parent."""
    print(RESULT_MARKER + json.dumps(result), flush=True)


# --------------------------------------------------------------------------------------------
# Parent side.


def version(dist: str) -> str:
    """Return the installed version of a distribution, or ``"not installed"``."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def loadavg() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def mem_total_gib() -> float:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    return float("nan")


def machine_line() -> str:
    return (
        f"- machine: {cpu_model()}, {os.cpu_count()} cores, {mem_total_gib():.1f} GiB RAM, "
        f"{platform.system()} {platform.release()}"
    )


def versions_line(versions: dict[str, str]) -> str:
    return f"- python {platform.python_version()}; " + ", ".join(f"{k} {v}" for k, v in versions.items())


def python_cmd() -> str:
    """The interpreter, relative to the repository root when it lives inside it."""
    exe = Path(sys.executable)
    try:
        return str(exe.relative_to(ROOT))
    except ValueError:
        return str(exe)


def run_case(
    script: Path,
    child_args: Sequence[str],
    ident: dict[str, Any],
    timeout: float,
    max_rss_mib: float | None = None,
) -> dict[str, Any]:
    """Run ``script --child *child_args`` in a fresh interpreter and return its result.

    Retries twice, 10 s apart, on an ImportError (the extension being rebuilt concurrently).
    With ``max_rss_mib`` the child is killed once its resident memory exceeds that many MiB.
    On failure the result is ``ident`` plus an ``error`` string.
    """
    for attempt in range(3):
        if max_rss_mib is None:
            r = _run_child(script, child_args, ident, timeout)
        else:
            r = _run_child_guarded(script, child_args, ident, timeout, max_rss_mib)
        err = r.get("error", "")
        if ("ImportError" not in err and "ModuleNotFoundError" not in err) or attempt == 2:
            return r
        time.sleep(10)
    raise AssertionError("unreachable")


def _run_child(
    script: Path, child_args: Sequence[str], ident: dict[str, Any], timeout: float
) -> dict[str, Any]:
    cmd = [sys.executable, str(script), "--child", *child_args]
    try:
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {**ident, "error": f"timed out after {timeout:.0f} s"}
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER) :])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
    return {**ident, "error": f"exit code {proc.returncode}: " + " | ".join(tail)}


def _rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _run_child_guarded(
    script: Path, child_args: Sequence[str], ident: dict[str, Any], timeout: float, max_rss_mib: float
) -> dict[str, Any]:
    """``_run_child`` polling the child's resident memory every 50 ms and killing it above the cap."""
    cmd = [sys.executable, str(script), "--child", *child_args]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, env=env)
        start = time.monotonic()
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, _rss_mib(proc.pid))
            if peak > max_rss_mib:
                proc.kill()
                proc.wait()
                return {**ident, "error": f"killed above the memory cap of {max_rss_mib:.0f} MiB"}
            if time.monotonic() - start > timeout:
                proc.kill()
                proc.wait()
                return {**ident, "error": f"timed out after {timeout:.0f} s"}
            time.sleep(0.05)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    for line in stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER) :])
    tail = (stderr or stdout).strip().splitlines()[-5:]
    return {**ident, "error": f"exit code {proc.returncode}: " + " | ".join(tail)}


def progress_line(r: dict[str, Any]) -> str:
    """The one-line summary printed after each case."""
    if "error" in r:
        return f"FAILED: {r['error']}"
    return f"median {r['median_s']:.4f} s, peak +{r['peak_over_baseline_mib']:.1f} MiB" + (
        "" if r["peak_reset"] else " (peak not reset after warm-up)"
    )


def compare(a: list[list[float]], b: list[list[float]], tol: float) -> tuple[bool, str]:
    """Compare two sorted diagrams; return (agree, description)."""
    if len(a) != len(b):
        return False, f"{len(a)} vs {len(b)} points"
    if not a:
        return True, "0 points"
    diff = max(abs(x - y) for ra, rb in zip(a, b, strict=True) for x, y in zip(ra, rb, strict=True))
    noun = "point" if len(a) == 1 else "points"
    return diff <= tol, f"{len(a)} {noun}, max |diff| {diff:.1e}"


def fmt_ratio(x: float) -> str:
    return f"{x:.1f}x" if x >= 0.1 else f"{x:.3f}x"


def fmt_cells(c: Any) -> str:
    return "—" if c is None else f"{c:,}"


def write_outputs(
    out: Path,
    header: Sequence[str],
    report: str,
    results: Iterable[dict[str, Any]],
    versions: dict[str, str],
    drop: Sequence[str] = ("dgms",),
) -> None:
    """Write the markdown (header + report) to ``out`` and the raw results to ``out.json``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(header) + "\n" + report + "\n")
    raw = [{k: v for k, v in r.items() if k not in drop} for r in results]
    raw_path = out.with_suffix(".json")
    raw_path.write_text(json.dumps({"versions": versions, "results": raw}, indent=1) + "\n")
    print(f"\nwrote {out} and {raw_path}")
