"""Resident memory per cell of a built filtration, one fresh process per case.

Each case runs in its own interpreter (after torch is imported), reads the resident set size
(VmRSS, Linux only) before and after building the filtration and forcing its cells, then after
forming `fil.values`, and reports the growth divided by the number of cells. A fresh process per
case keeps the allocator from reusing memory freed by an earlier case. The figures include the
builder's copy of the input and, for grids, the values tensor (a gather formed at build time).

    .venv/bin/python benchmarks/memory_per_cell.py
"""

from __future__ import annotations

import subprocess
import sys

CASES = {
    "vr, 240 points in 3-D, max_dim=2": (
        "od.vr_filtration(torch.tensor(rng.standard_normal((240, 3))), max_dim=2, max_diameter=float('inf'))"
    ),
    "vr, 60 points in 3-D, max_dim=3": (
        "od.vr_filtration(torch.tensor(rng.standard_normal((60, 3))), max_dim=3, max_diameter=float('inf'))"
    ),
    "freudenthal, 1000 x 1000": "od.freudenthal_filtration(torch.tensor(rng.random((1000, 1000))))",
    "freudenthal, 100 x 100 x 100": "od.freudenthal_filtration(torch.tensor(rng.random((100, 100, 100))))",
    "cube (vertices), 1000 x 1000": "od.cube_filtration(torch.tensor(rng.random((1000, 1000))))",
    "alpha, 200000 points in 2-D": "od.alpha_filtration(torch.tensor(rng.random((200000, 2))))",
    "alpha, 50000 points in 3-D": "od.alpha_filtration(torch.tensor(rng.random((50000, 3))))",
}

CHILD = """
import numpy as np, torch, oineus_diff as od
def rss():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) * 1024
rng = np.random.default_rng(0)
before = rss()
fil = {expression}
n_cells = len(fil)
built = rss()
values = fil.values
with_values = rss()
print(n_cells, (built - before) / n_cells, (with_values - before) / n_cells)
"""


def main() -> None:
    print(f"{'case':36s}{'cells':>12s}{'bytes/cell':>12s}{'with values':>13s}")
    for name, expression in CASES.items():
        result = subprocess.run(
            [sys.executable, "-c", CHILD.format(expression=expression)],
            capture_output=True,
            text=True,
            check=True,
        )
        n_cells, built, with_values = result.stdout.split()
        print(f"{name:36s}{int(n_cells):>12,d}{float(built):>12.1f}{float(with_values):>13.1f}")


if __name__ == "__main__":
    main()
