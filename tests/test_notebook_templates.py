"""Notebook templates: committed without outputs, paired with their jupytext twins, thin."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_template_is_clean_and_paired(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "outputs committed"
    assert nb.metadata["kernelspec"]["name"] == "cdp-analysis"
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    for line in params[0].source.splitlines():
        if line.strip():
            assert ": " in line and "=" in line and "#" in line, f"untyped or undocumented parameter: {line}"
    twin = jupytext.read(path.with_suffix(".py"))
    assert [c.source.strip() for c in twin.cells] == [c.source.strip() for c in nb.cells], "run jupytext --sync"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_stays_thin(path):
    # logic belongs in the library: no function or class definitions, no loops over data
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            for line in cell.source.splitlines():
                assert not line.lstrip().startswith(("def ", "class ", "for ", "while ")), line


def test_needs_notebook_shows_the_section_list_in_order():
    """The appendix notebook shows exactly the sections of ``needs_sections.SECTIONS``, in order:
    a section added to the list and not to the notebook (or the reverse) fails here."""
    import re

    from cdp_analysis.report import needs_sections

    nb = nbformat.read(Path(__file__).resolve().parents[1] / "notebooks" / "needs_assessment.ipynb", as_version=4)
    calls = [m for c in nb.cells if c.cell_type == "code"
             for m in re.findall(r"sections\.show\(sections\.(\w+_section)\(", c.source)]
    assert calls == [f.__name__ for _, f in needs_sections.SECTIONS]
