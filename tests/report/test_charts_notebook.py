"""A library chart and then a plain ``df.plot()`` in one real kernel: both appear (#18 trap 3).

The charts once called ``matplotlib.use("Agg")`` and returned a ``(fig, alt)`` tuple: in a
notebook the chart showed as a tuple's repr and every later ``df.plot(); plt.show()`` showed
nothing for the rest of the kernel. Run with nbclient in a real IPython kernel at the
kernel's own backend (inline), as an analyst's JupyterLab runs it.
"""

from __future__ import annotations

import nbformat
import pytest

pytestmark = pytest.mark.slow


def _images(cell) -> int:
    return sum("image/png" in out.get("data", {}) for out in cell.outputs)


def test_library_chart_then_plain_pandas_plot_both_appear(monkeypatch, tmp_path):
    from nbclient import NotebookClient

    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel chooses its backend (inline)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import pandas as pd\n"
            "from cdp_analysis.report import charts\n"
            "df = pd.DataFrame({'period': ['2019', '2020', '2021'], 'value': [81.0, 83.0, 79.0]})\n"
            "charts.trend(df)"
        ),
        nbformat.v4.new_code_cell(
            "import matplotlib\n"
            "import matplotlib.pyplot as plt\n"
            "df.plot(x='period', y='value')\n"
            "plt.show()\n"
            "print(matplotlib.get_backend())"
        ),
        nbformat.v4.new_code_cell("fig, alt = charts.trend(df, y_label='Deaths')\nprint(alt)"),
    ]
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    chart, plain, unpacked = nb.cells
    assert _images(chart) == 1, chart.outputs  # the chart, once (not also by the inline backend)
    bundle = next(o for o in chart.outputs if "image/png" in o.get("data", {}))["data"]
    assert 'alt="Line chart of value from 2019 to 2021' in bundle["text/html"]
    assert bundle["text/plain"].startswith("Chart: Line chart of value")
    assert _images(plain) == 1, plain.outputs  # df.plot() still shows after a library chart
    backend = "".join(o.get("text", "") for o in plain.outputs if o.get("name") == "stdout")
    assert "inline" in backend and "agg" != backend.strip().lower()
    printed = "".join(o.get("text", "") for o in unpacked.outputs if o.get("name") == "stdout")
    assert printed.startswith("Line chart of deaths from 2019 to 2021")
    assert _images(unpacked) == 0  # unpacked for a report: nothing shown twice
