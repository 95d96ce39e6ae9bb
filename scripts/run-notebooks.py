"""Execute notebooks in place and store their outputs, which the docs render as they are.

    .venv/bin/python scripts/run-notebooks.py [notebooks/05_wasserstein_matching.ipynb ...]

With no argument every notebook in notebooks/ is run. A notebook whose execution fails is left
unchanged on disk and the script exits non-zero. Cell metadata (execution timings) is dropped so
that a re-run changes only what the notebook printed or drew. Run it after editing a notebook,
and commit the notebook with its outputs (`make notebooks` runs it on all of them).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent


def run(path: Path) -> bool:
    """Execute one notebook in a fresh kernel; store it with its outputs if every cell ran."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as error:
        print(f"{path.name}: FAILED\n{error}", file=sys.stderr)
        return False
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.metadata = {}
    nbformat.write(notebook, path)
    print(f"{path.name}: {time.perf_counter() - start:.1f} s")
    return True


def main() -> None:
    """Run the notebooks named on the command line, or all of them."""
    os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    # Figures must become outputs, whatever backend the caller's environment names.
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    paths = [Path(arg).resolve() for arg in sys.argv[1:]] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    results = [run(path) for path in paths]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
