"""Every notebook in notebooks/ runs from top to bottom in a fresh kernel of this interpreter.

Each notebook ends with a cell that asserts its story's outcome (the loss fell, the target was
reached, the feature appeared), so an error in any cell, assertions included, fails the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
# Each notebook takes well under a minute on a 2-core machine; the cell timeout catches hangs.
CELL_TIMEOUT_S = 120


def test_every_workflow_has_a_notebook():
    numbers = [path.name[:2] for path in NOTEBOOKS]
    assert numbers == [f"{k:02d}" for k in range(1, len(NOTEBOOKS) + 1)]
    assert len(NOTEBOOKS) >= 10


@pytest.mark.timeout(CELL_TIMEOUT_S * 3)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs(path, monkeypatch):
    # jupyter_core warns about its data-directory migration unless this is set; pytest turns
    # warnings into errors.
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
