"""The documentation covers the public API, the notebooks and the examples.

The Sphinx build itself (`make docs`, warnings as errors) checks that every page and docstring
renders; these tests check that nothing public is left out of it.
"""

from __future__ import annotations

import re
from pathlib import Path

import oineus_diff as od

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def test_every_public_name_is_in_the_api_reference():
    api = "\n".join(page.read_text() for page in (DOCS / "api").glob("*.md"))
    documented = set(re.findall(r"```\{auto(?:function|class)\} oineus_diff\.(\w+)", api))
    public = {name for name in od.__all__ if name != "__version__"}
    assert public - documented == set()
    assert documented - public == set()


def test_every_notebook_is_listed_in_the_tutorials_page():
    listed = set(re.findall(r"\{doc\}`tutorials/(\w+)`", (DOCS / "tutorials.md").read_text()))
    notebooks = {path.stem for path in (ROOT / "notebooks").glob("*.ipynb")}
    assert listed == notebooks


def test_the_docs_tutorials_folder_is_the_notebooks_folder():
    assert (DOCS / "tutorials").resolve() == (ROOT / "notebooks").resolve()


def test_readme_links_docs_notebooks_and_examples():
    readme = (ROOT / "README.md").read_text()
    assert "make docs" in readme
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"(notebooks/{path.name})" in readme, path.name
    for path in sorted((ROOT / "examples").glob("*.py")):
        assert path.name in readme, path.name


def test_every_guide_page_is_in_the_guide_toctree():
    index = (DOCS / "guide" / "index.md").read_text()
    for page in (DOCS / "guide").glob("*.md"):
        if page.name != "index.md":
            assert f"\n{page.stem}\n" in index, page.name
