"""benchmarks/run.py: every workload it lists can be built and run, and the CLI rewrites the
marked README block (issue 7). The full ``--quick`` run, every library in its own interpreter,
is the slow test."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"


@pytest.fixture(scope="module")
def run_module():
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("bench_run", BENCH / "run.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_run"] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("bench_run", None)
        sys.path.remove(str(BENCH))


# POT's datasets module has an invalid escape in a docstring (a warning at its first import).
@pytest.mark.filterwarnings("ignore:invalid escape sequence")
def test_every_workload_runs_at_its_quick_size_for_every_installed_library(run_module):
    names = set()
    for workload in run_module.workloads():
        names.add(workload.name)
        assert workload.libs[0] == run_module.OURS
        for case_id in workload.ids(quick=True):
            size = case_id.split(":", 1)[1]
            for lib in workload.libs:
                if run_module.skip_reason(lib) or not workload.runs_at(lib, size):
                    continue
                run, warm, make = workload.make(lib, size, 0)
                run(warm)
                assert run(make()) is not None, f"{case_id} {lib}"
    # The README's sections, one workload family each.
    assert {"vr", "grid-freudenthal", "distance-w1", "critsets-vr", "alpha"} <= names


def test_only_selects_by_glob_id_or_name(run_module):
    assert run_module.selected("grid-freudenthal:64x64x64", ["grid-*"])
    assert run_module.selected("grid-freudenthal:64x64x64", ["*:64x64x64"])
    assert run_module.selected("grid-freudenthal:64x64x64", ["grid-freudenthal"])
    assert run_module.selected("vr:400", ["vr:400"])
    # Not a substring match: "vr:400" does not select the crit-sets workload of the same size.
    assert not run_module.selected("critsets-vr:400", ["vr:400"])
    assert not run_module.selected("grid-freudenthal:64x64x64", ["64x64"])
    assert not run_module.selected("vr:400", ["grid-*"])
    assert run_module.selected("vr:400", None)


def test_table_has_medians_and_ratios_to_each_anchor(run_module):
    def ok(t, mib):
        return {"median_s": t, "peak_over_baseline_mib": mib}

    results = {
        ("vr", "100"): {
            "oineus_diff": [ok(1.0, 5.0), ok(3.0, 7.0), ok(2.0, 6.0)],
            "oineus": [ok(8.0, 1.0), ok(4.0, 1.0), ok(6.0, 1.0)],
            "ripser": [{"error": "exit code 1: boom"}],
        }
    }
    table = run_module.build_table(results, threads=2)
    row = table.splitlines()[2]
    # Medians 2.0 (ours), 6.0 (oineus): ratio 3.0x; peak median 6.0 MiB; threads 2.
    assert row.startswith("| vr | 100 | 2 | 6.0 | oineus 6 (3.0x); ripser: failed")
    assert row.endswith("| 2 |")


def test_readme_block_is_replaced_or_appended(run_module, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Benchmarks\n\nintro\n")
    run_module.rewrite_readme(readme, "first")
    run_module.rewrite_readme(readme, "second")
    text = readme.read_text()
    assert text.count(run_module.BEGIN) == 1 and "first" not in text
    assert text.startswith("# Benchmarks\n\nintro\n")
    assert f"{run_module.BEGIN}\nsecond\n{run_module.END}" in text


def _cli(*args: str, timeout: float = 280) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH / "run.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def test_cli_quick_measures_in_subprocesses_and_rewrites_the_readme(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Benchmarks\n\n<!-- run.py:begin -->\nold table\n<!-- run.py:end -->\n\nafter\n")
    proc = _cli("--quick", "--only", "vr:40", "--libs", "oineus_diff", "oineus", "--readme", str(readme))
    assert proc.returncode == 0, proc.stderr
    text = readme.read_text()
    assert "old table" not in text and text.endswith("after\n")
    row = next(line for line in text.splitlines() if line.startswith("| vr | 40 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert float(cells[2]) > 0 and float(cells[3]) >= 0
    assert cells[4].startswith("oineus ") and cells[4].endswith("x)")
    assert cells[5] == "1"
    assert "cores" in text


def test_cli_rejects_bad_arguments():
    assert _cli("--quick", "--only", "no-such-workload").returncode == 2
    assert _cli("--threads", "0").returncode == 2


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_cli_full_quick_run():
    # About 40 fresh interpreters: 2-8 minutes depending on the load.
    proc = _cli("--quick", "--readme", "-", timeout=1700)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


@pytest.mark.parametrize("size", ["2d40", "3d40"])
def test_vr_diagram_workload_finds_the_anchors_diagrams(run_module, size):
    """The diagram-only VR workload times the same computation for every library: equal finite
    H1 diagrams (giotto-ph computes in float32, hence the tolerance)."""
    import numpy as np

    (workload,) = [w for w in run_module.workloads() if w.name == "vr-diagram"]
    ours, _, make = workload.make(run_module.OURS, size, 3)
    x = make()
    expected = np.sort(ours(x), axis=0)
    assert len(expected) > 0
    for lib in workload.libs[1:]:
        if run_module.skip_reason(lib):
            print(f"{lib} not compared: {run_module.skip_reason(lib)}")
            continue
        run, _, _ = workload.make(lib, size, 3)
        np.testing.assert_allclose(np.sort(run(x), axis=0), expected, rtol=1e-5, atol=1e-6, err_msg=lib)
