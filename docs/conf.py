"""Sphinx configuration: user guide, tutorials rendered from notebooks/, API from docstrings.

Built offline by `make docs` with warnings as errors. Notebooks are rendered with the outputs
stored in them (they are executed by the tests, not by the docs build).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import oineus_diff  # noqa: E402

project = "oineus-diff"
author = "the oineus-diff developers"
copyright = "the oineus-diff developers"
release = oineus_diff.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "myst_nb",
]

source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# Notebooks keep their executed outputs; the test suite executes them.
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3

autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

html_theme = "furo"
html_title = f"oineus-diff {release}"
html_static_path: list[str] = []
