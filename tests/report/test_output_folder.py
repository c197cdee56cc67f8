"""#12 item 6: outside `cdp run` a notebook writes nothing unless the analyst asks.

In-process calls (with and without ``CDP_OUTPUT_DIR`` or ``folder``) and a real papermill
run of a tiny notebook from a shell-like working folder, which must stay empty.
"""

from __future__ import annotations

import os

import nbformat
import pandas as pd
import pytest

from cdp_analysis.report import outputs

TABLE = pd.DataFrame({"Area": ["A", "B", "C"], "Deaths": [10, 20, 30]})


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [3, 1, 2])
    return fig


def test_no_folder_and_no_variable_writes_nothing_but_shows_everything(tmp_path, monkeypatch, displayed):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CDP_OUTPUT_DIR", raising=False)
    assert outputs.output_folder() is None
    outputs.show_figure(_figure(), "trend", alt="Line chart of three points.")
    outputs.show_table(TABLE, "deaths", title="Deaths", source="Source: test", count_columns=["Deaths"])
    assert list(tmp_path.iterdir()) == []  # nothing written in the working folder
    fig_bundle, table_bundle = displayed
    assert 'alt="Line chart of three points."' in fig_bundle["text/html"]
    assert "data:image/svg+xml;base64," in fig_bundle["text/html"]
    assert "text/markdown" not in fig_bundle  # no link to a PNG that was never written
    assert "| A | 10 |" in table_bundle["text/markdown"]


def test_the_variable_or_the_argument_asks_for_files(tmp_path, monkeypatch, displayed):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "scratch"
    monkeypatch.setenv("CDP_OUTPUT_DIR", str(out))
    outputs.show_figure(_figure(), "trend", alt="Line chart.")
    assert (out / "figures" / "trend.svg").exists() and (out / "figures" / "trend.png").exists()
    monkeypatch.delenv("CDP_OUTPUT_DIR")
    outputs.show_table(TABLE, "deaths", title="Deaths", source="Source: test", folder=tmp_path / "mine")
    assert (tmp_path / "mine" / "tables" / "deaths.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "scratch"]


@pytest.mark.slow
def test_a_notebook_run_by_hand_leaves_the_working_folder_clean(tmp_path):
    import papermill

    from cdp_analysis.pipeline import ensure_kernel

    ensure_kernel()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import pandas as pd, matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
        "from cdp_analysis.report import outputs\n"
        "fig, ax = plt.subplots(); ax.plot([1, 2], [2, 1])\n"
        "outputs.show_figure(fig, 'f', alt='Line chart.')\n"
        "outputs.show_table(pd.DataFrame({'n': [10, 20]}), 't', title='T', source='Source: test')")]
    nb.metadata["kernelspec"] = {"name": "cdp-analysis", "display_name": "cdp", "language": "python"}
    src, work = tmp_path / "nb.ipynb", tmp_path / "work"
    work.mkdir()
    nbformat.write(nb, src)
    old = os.environ.pop("CDP_OUTPUT_DIR", None)
    try:
        papermill.execute_notebook(str(src), str(tmp_path / "out.ipynb"), kernel_name="cdp-analysis",
                                   language="python", cwd=str(work), progress_bar=False, log_output=False)
    finally:
        if old is not None:
            os.environ["CDP_OUTPUT_DIR"] = old
    assert list(work.iterdir()) == []
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    kinds = [o.get("data", {}) for o in executed.cells[0].outputs]
    assert any("text/html" in d and "<img" in d["text/html"] for d in kinds)
