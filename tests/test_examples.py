"""The scripts in examples/ run and tell the story their docstrings promise.

Each runs in a subprocess with small arguments; the assertions read its printed table.
(examples/bench_alpha_vs_cd.py is run by tests/test_delaunay_filtrations.py, demo_circle.py
by `make demo`.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name, *args):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    assert result.stderr == ""
    return result.stdout.splitlines()


def numeric_rows(lines, width):
    rows = []
    for line in lines:
        fields = line.split()
        if len(fields) == width and fields[0].isdigit():
            rows.append([float(field) for field in fields])
    return rows


def test_alpha_gradient_matches_finite_differences():
    lines = run_example("example_diff_alpha_grad.py", "--n-points", "60", "--seed", "1")
    rows = numeric_rows(lines, 4)
    assert len(rows) >= 4
    for _, _, analytic, numeric in rows:
        assert abs(analytic - numeric) <= 1e-5 * max(1.0, abs(analytic))
    assert any(abs(analytic) > 1e-3 for _, _, analytic, _ in rows)
    assert lines[-1].startswith("largest difference")


def test_vr_points_example_reaches_its_target():
    lines = run_example("example_diff_vr_pts.py", "--n-points", "40", "--steps", "60")
    rows = numeric_rows(lines, 4)
    assert [int(row[0]) for row in rows] == list(range(0, 61, 10))
    first, last = rows[0], rows[-1]
    assert last[1] < 0.1 * first[1]  # the loss fell
    assert abs(last[2] - 3.0) < abs(first[2] - 3.0)  # the gap moved towards the target
    assert last[3] < first[3]  # the other features shrank


def test_weak_alpha_loop_grows_h1():
    lines = run_example("weak_alpha_expand_loop.py", "--n-points", "50", "--steps", "30")
    rows = numeric_rows(lines, 3)
    assert [int(row[0]) for row in rows] == [0, 10, 20, 30]
    totals = [row[1] for row in rows]
    assert totals[-1] > 2 * totals[0]
