"""Which notebooks are reports, and which read the shared results: declared by their parameters.

`cdp run` runs by default every notebook whose ``parameters`` cell takes ``area`` and
``period``, and computes the per-period shared results for those that also take ``shared``
(papermill's inspection of the parameters cell; no list of names in the code).
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from cdp_analysis import pipeline


def _notebook(folder: Path, name: str, params: str) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {name}"), cell, nbformat.v4.new_code_cell("x = 1")]
    nb.metadata["kernelspec"] = {"name": "cdp-analysis", "display_name": "cdp-analysis", "language": "python"}
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def test_reports_and_shared_readers_are_found_by_their_parameters(tmp_path):
    _notebook(tmp_path, "zeta_report", 'area: str = "pan-dorset"  # area\nperiod: str = "2023/24 Q1"  # period')
    shared = _notebook(tmp_path, "alpha_appendix", 'area: str = "pan-dorset"  # area\nperiod: str = "2023/24 Q1"  # p\n'
                                                   'shared: str = ""  # shared results file')
    explore = _notebook(tmp_path, "explore_area", 'area: str = "pan-dorset"  # area\ndb: str = ""  # store')
    assert pipeline.report_notebooks(tmp_path) == ["alpha_appendix", "zeta_report"]
    assert pipeline.reads_shared(shared) and not pipeline.reads_shared(explore)
    assert not pipeline.reads_shared(tmp_path / "zeta_report.ipynb")


def test_the_shipped_notebooks():
    root = Path(__file__).resolve().parents[1] / "notebooks"
    assert pipeline.report_notebooks(root) == ["needs_assessment", "progress_report"]
    assert pipeline.reads_shared(root / "needs_assessment.ipynb")
    assert not pipeline.reads_shared(root / "progress_report.ipynb")


def test_prepare_shared_leaves_runs_that_do_not_take_it(tmp_path):
    nb = _notebook(tmp_path, "report", 'area: str = "pan-dorset"  # area\nperiod: str = "2023/24 Q1"  # period')
    run = pipeline.Run(str(nb), "2023/24 Q1", "pan-dorset", str(tmp_path / "out" / "2023-24-Q1" / "pan-dorset"),
                       {"area": "pan-dorset", "period": "2023/24 Q1"})
    assert pipeline.prepare_shared([run]) == [run]  # nothing computed, nothing added
