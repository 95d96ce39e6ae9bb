"""Cross-cutting runtime rules (SPEC §0.2, §0.3, §10.7): panics become InternalError, Ctrl-C
stops core work promptly, and nothing is ever written to stdout or stderr."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import torch

import oineus_diff as od
import oineus_diff._core as core
from oineus_diff.errors import InternalError, OineusDiffError

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

# How long after SIGINT the child process must have exited (SPEC: "within about a second",
# plus interpreter shutdown).
INTERRUPT_DEADLINE_S = 2.0


def child_env():
    """The environment of a user who has not asked Rust for backtraces."""
    env = dict(os.environ)
    for name in ("RUST_BACKTRACE", "RUST_LIB_BACKTRACE", "RUST_LOG"):
        env.pop(name, None)
    return env


def run_child(code, timeout=120):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env(),
    )


# ---------------------------------------------------------------------------------------------
# (1) panics
# ---------------------------------------------------------------------------------------------


def test_panic_in_worker_becomes_internal_error():
    with pytest.raises(InternalError) as info:
        core._panic_in_worker()
    assert isinstance(info.value, RuntimeError)
    assert isinstance(info.value, OineusDiffError)
    assert type(info.value).__name__ != "PanicException"
    assert "deliberate panic" in str(info.value)


def test_core_keeps_working_after_a_panic():
    for _ in range(3):
        with pytest.raises(InternalError):
            core._panic_in_worker()
    pts = torch.tensor([[0.0, 0.0], [3.0, 4.0]], dtype=torch.float64)
    dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=1, n_threads=4), n_threads=4)
    assert dgms[0].tolist() == [[0.0, 5.0]]


def test_caught_panic_writes_nothing_to_stderr():
    result = run_child(
        """
        import oineus_diff._core as core
        from oineus_diff.errors import InternalError
        try:
            core._panic_in_worker()
        except InternalError:
            pass
        else:
            raise SystemExit("no InternalError")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == ""


# ---------------------------------------------------------------------------------------------
# (2) Ctrl-C
# ---------------------------------------------------------------------------------------------


def interrupt_child(setup, call, delay_s=1.0):
    """Run ``setup``, print ready, then ``call``; send SIGINT ``delay_s`` after ready.

    Returns (seconds from the signal to the exit, return code, stderr).
    """
    code = textwrap.dedent(setup) + "\nprint('ready', flush=True)\n" + textwrap.dedent(call)
    code += "\nprint('finished', flush=True)\n"
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == "ready", proc.stderr.read()
        time.sleep(delay_s)
        assert proc.poll() is None, "the call finished before the signal; make it longer"
        proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail("the process ignored SIGINT for 60 s")
        elapsed = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "finished" not in out, "the call finished before the signal took effect"
    return elapsed, proc.returncode, err


def assert_interrupted(elapsed, returncode, stderr):
    assert returncode != 0
    assert stderr.rstrip().splitlines()[-1] == "KeyboardInterrupt", stderr
    assert elapsed < INTERRUPT_DEADLINE_S, f"exited {elapsed:.2f} s after SIGINT"


def test_ctrl_c_stops_a_core_spin():
    elapsed, rc, err = interrupt_child(
        "import oineus_diff._core as core", "core._spin_until_interrupted(30.0)", delay_s=0.5
    )
    assert_interrupted(elapsed, rc, err)


def test_ctrl_c_stops_a_long_vr_construction():
    # About 2e7 simplices: several seconds of work here. The complex is built when first needed.
    elapsed, rc, err = interrupt_child(
        """
        import numpy as np, oineus_diff as od
        points = np.random.default_rng(0).random((150, 3))
        """,
        "len(od.vr_filtration(points, max_dim=3, max_diameter=float('inf')))",
    )
    assert_interrupted(elapsed, rc, err)
    assert "vr_filtration" in err


@pytest.mark.parametrize("n_points", [100, 400])
def test_ctrl_c_stops_a_long_persistence_computation(n_points):
    # 100 points: the explicit complex (about 4e6 simplices) and its reduction take seconds.
    # 400 points: the implicit reduction of about 1e7 triangles takes seconds too.
    fil_setup = (
        "fil = od.vr_filtration(points, max_dim=3, max_diameter=float('inf')); len(fil)"
        if n_points == 100
        else "fil = od.vr_filtration(points, max_dim=3, max_diameter=float('inf'))"
    )
    elapsed, rc, err = interrupt_child(
        f"""
        import numpy as np, oineus_diff as od
        points = np.random.default_rng(0).random(({n_points}, 3))
        {fil_setup}
        """,
        "od.persistence_diagram(fil)",
        delay_s=0.5,
    )
    assert_interrupted(elapsed, rc, err)
    assert "persistence_diagram" in err


def test_ctrl_c_stops_a_long_wasserstein_matching():
    # Two diagrams of 2e4 points at delta = 1e-4: several seconds of auction here.
    elapsed, rc, err = interrupt_child(
        """
        import numpy as np, oineus_diff as od
        rng = np.random.default_rng(0)
        a, b = rng.random((2, 20000, 2))
        a[:, 1] += a[:, 0]
        b[:, 1] += b[:, 0]
        """,
        "od.wasserstein_distance(a, b, q=2, delta=1e-4)",
    )
    assert_interrupted(elapsed, rc, err)
    assert "wasserstein_distance" in err


# ---------------------------------------------------------------------------------------------
# (3) silence
# ---------------------------------------------------------------------------------------------


def test_threaded_work_and_exit_with_live_objects_write_nothing():
    result = run_child(
        """
        import numpy as np, torch, oineus_diff as od

        def total_persistence(dgms):
            rows = [d[torch.isfinite(d[:, 1])] for d in dgms.values()]
            return sum((r[:, 1] - r[:, 0]).sum() for r in rows)

        rng = np.random.default_rng(0)
        keep = []
        for seed in range(3):
            raw = rng.random((40, 3))
            for dualize in (True, False):
                pts = torch.tensor(raw, requires_grad=True)
                fil = od.vr_filtration(pts, max_dim=3, n_threads=8)
                dgms = od.persistence_diagram(
                    fil, dualize=dualize, include_inf_points=True, n_threads=8
                )
                total_persistence(dgms).backward()
                assert torch.isfinite(pts.grad).all() and pts.grad.abs().sum() > 0
                keep += [pts, fil, dgms]
            dmat = torch.cdist(torch.tensor(raw), torch.tensor(raw)).requires_grad_(True)
            fil_d = od.vr_filtration(dmat, from_pwdists=True, max_dim=2, n_threads=8)
            dgms_d = od.persistence_diagram(fil_d, n_threads=8)
            total_persistence(dgms_d).backward()
            keep += [dmat, fil_d, dgms_d]
        # Exit with every object still alive.
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == ""


# ---------------------------------------------------------------------------------------------
# (4) import
# ---------------------------------------------------------------------------------------------


def test_import_does_not_import_matplotlib_and_prints_nothing():
    result = run_child(
        """
        import sys
        import oineus_diff
        heavy = sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib')
        if heavy:
            raise SystemExit(f'imported {heavy}')
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == ""


def test_public_names_are_exactly_the_exported_api():
    public = {name for name in dir(od) if not name.startswith("_")} - {
        "distances",
        "errors",
        "filtrations",
        "optimizer",
        "persistence",
        "plotting",
        "widgets",
    }
    assert set(od.__all__) == {
        "BottleneckMatching",
        "ConflictStrategy",
        "DenoiseStrategy",
        "DiagramMatching",
        "DiffFiltration",
        "IndicesValues",
        "OptimizationMonitor",
        "PersistenceDiagrams",
        "TopologyOptimizer",
        "__version__",
        "alpha_filtration",
        "bottleneck_distance",
        "bottleneck_matching",
        "cech_delaunay_filtration",
        "cube_filtration",
        "freudenthal_filtration",
        "persistence_diagram",
        "plot_diagram",
        "plot_diagram_gradient",
        "plot_matching",
        "point_to_diagonal",
        "sliced_wasserstein_distance",
        "sliced_wasserstein_distance_diag_corrected",
        "vr_filtration",
        "wasserstein_cost",
        "wasserstein_distance",
        "wasserstein_matching",
        "weak_alpha_filtration",
    }
    assert public == set(od.__all__) - {"__version__"}
    assert isinstance(od.__version__, str) and od.__version__


def test_in_process_calls_print_nothing(capfd):
    pts = np.random.default_rng(3).random((30, 2))
    fil = od.vr_filtration(pts, max_dim=2, n_threads=8)
    dgms = od.persistence_diagram(fil, n_threads=8, include_inf_points=True)
    assert len(dgms[0]) == 30
    out, err = capfd.readouterr()
    assert out == ""
    assert err == ""
