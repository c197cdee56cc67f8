"""A tiny notebook calling show_figure / show_table, executed with papermill and rendered
with render_all: self-contained HTML with alt text and no code, Word with image
descriptions and table header rows, and the workbook."""

from __future__ import annotations

import zipfile
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

ALT_MARK = "Line chart of deaths per 100,000 from 2019 to 2023"

CODE = [
    ["parameters"], 'area = "Dorset"\nperiod = "2023-24"',
    [], '''import pandas as pd
from cdp_analysis.report import charts, outputs
df = pd.DataFrame({"period": ["2019", "2020", "2021", "2022", "2023"],
                   "value": [8.0, 9.5, 10.1, 11.0, 12.2],
                   "lower_95": [6.0, 7.4, 8.0, 8.9, 10.0],
                   "upper_95": [10.4, 12.0, 12.6, 13.5, 14.8]})
fig, alt = charts.trend(df, title="Deaths have risen since 2019", subtitle="Deaths per 100,000, Dorset, 2019 to 2023",
                        source="Source: ONS", y_label="Deaths per 100,000")
outputs.show_figure(fig, "deaths-trend", alt=alt)''',
    [], '''t = pd.DataFrame({"Area": ["Bournemouth", "Christchurch", "Poole", "Dorset"], "Deaths": [3, 12, 40, 25]})
outputs.show_table(t, "deaths", title="Deaths by area, 2023", source="Source: ONS", count_columns=["Deaths"],
                   notes=["Deaths registered in 2023."])''',
]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    import papermill

    from cdp_analysis.report.render import render_all

    root = tmp_path_factory.mktemp("nb")
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# Test report\n\nSome words."))
    for tags, src in zip(CODE[::2], CODE[1::2], strict=True):
        cell = nbformat.v4.new_code_cell(src)
        cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "cdp-analysis", "display_name": "cdp-analysis", "language": "python"}
    src = root / "tiny.ipynb"
    nbformat.write(nb, src)
    run = root / "run"
    (run / "notebooks").mkdir(parents=True)
    executed = run / "notebooks" / "tiny.ipynb"
    mp = pytest.MonkeyPatch()
    mp.setenv("CDP_OUTPUT_DIR", str(run))  # as `cdp run` does: the kernel saves into the run folder
    try:
        papermill.execute_notebook(str(src), str(executed), parameters={"area": "Dorset", "period": "2023-24"},
                                   kernel_name="cdp-analysis", language="python", cwd=str(run),
                                   progress_bar=False, log_output=False, start_timeout=120)
    finally:
        mp.undo()
    outs = render_all(executed, run, title_stem="tiny")
    return run, outs


def test_outputs_listed(rendered):
    run, outs = rendered
    names = {Path(p).relative_to(run).as_posix() for p in outs}
    assert {"tiny.html", "tiny.docx", "tables.xlsx", "figures/deaths-trend.svg", "figures/deaths-trend.png",
            "tables/deaths.csv", "tables/deaths.json"} <= names


def test_html_images_have_alt_and_no_code(rendered):
    from bs4 import BeautifulSoup

    run, _ = rendered
    soup = BeautifulSoup((run / "tiny.html").read_text(encoding="utf-8"), "html.parser")
    imgs = soup.find_all("img")
    assert imgs, "no images in the HTML"
    for img in imgs:
        assert img.get("alt", "").strip(), img
        assert img["src"].startswith("data:"), "the HTML must be self-contained"
    assert any(ALT_MARK in img["alt"] for img in imgs)
    # no code: no input areas, no Python source in the page
    assert not soup.select(".jp-CodeCell .jp-InputArea, .jp-CodeMirrorEditor, .jp-InputPrompt, div.highlight")
    assert "import pandas" not in soup.get_text()
    assert "charts.trend" not in soup.get_text()
    # the table has a real header row with the suppressed cells shown as [c]
    table = soup.find("table")
    assert [th.get_text(strip=True) for th in table.find("thead").find_all("th")] == ["Area", "Deaths"]
    cells = [td.get_text(strip=True) for td in table.find("tbody").find_all("td")]
    assert cells.count("[c]") == 2 and "0" not in cells


def test_docx_alt_text_and_table_header(rendered):
    import docx
    from docx.oxml.ns import qn

    run, _ = rendered
    document = docx.Document(str(run / "tiny.docx"))
    body = document.element.body
    descr = [el.get("descr") for el in body.iter(qn("wp:docPr"))]
    assert any(d and ALT_MARK in d for d in descr), descr
    assert all(d for d in descr), "every image needs a description"
    assert len(document.inline_shapes) == 1
    table = document.tables[0]
    first_row = table.rows[0]._tr
    assert first_row.find(qn("w:trPr")) is not None
    assert first_row.find(qn("w:trPr")).find(qn("w:tblHeader")) is not None
    assert [c.text for c in table.rows[0].cells] == ["Area", "Deaths"]
    values = [c.text for row in table.rows[1:] for c in row.cells]
    assert values.count("[c]") == 2
    # no code in the Word file
    with zipfile.ZipFile(run / "tiny.docx") as z:
        xml = z.read("word/document.xml").decode("utf-8")
    assert "import pandas" not in xml and "show_figure" not in xml


def test_workbook_from_the_run(rendered):
    import openpyxl

    run, _ = rendered
    wb = openpyxl.load_workbook(run / "tables.xlsx")
    assert wb.sheetnames == ["Cover", "Contents", "Notes", "Table 1"]
    assert "Dorset" in wb["Cover"]["A1"].value and "2023-24" in wb["Cover"]["A1"].value
