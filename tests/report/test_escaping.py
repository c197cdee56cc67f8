"""Nothing from an input comes out live: links, images and HTML in HTML and Word, formulas in spreadsheets.

Issue #15 class 7. The hostile text goes through the writers the reports use
(``markdown_table``, ``escape_md``, ``show_table``, ``write_workbook``), then through the real
renderers (nbconvert for HTML, pandoc for Word, gptables/xlsxwriter for the workbook) and is
read back with an HTML parser, python-docx, the ``csv`` module and openpyxl.
"""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from cdp_analysis.report import outputs
from cdp_analysis.report.escape import csv_cell, markdown_text, spreadsheet_cell
from cdp_analysis.report.tables import escape_md, markdown_table

#: text an analyst might paste into a returns note or an area name, each a way to make a live output
HOSTILE_TEXT = [
    "[click me](javascript:alert(1))",
    "[x](javascript:alert(7)) and [c][x]: javascript:alert(8)",
    "![pixel](http://tracker.example/p.png)",
    "<javascript:alert(2)>",
    "<script>alert(3)</script>",
    "<a href='javascript:alert(4)'>x</a>",
    "see https://evil.example/login now",
    "[ref]: javascript:alert(5)",
    "a | pipe",
    "&#106;avascript:alert(6)",
]
#: cells a spreadsheet program would run (OWASP CSV injection), and cells that must stay as they are
FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1",
            "\r=1+1", "\uff1d1+1", "=cmd|' /C calc'!A0"]
KEEP = ["-7.4", "+3", "-1,234", "45.2%", "[c]", "Dorset", "2023/24 Q1"]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.scripts = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "img" and attrs.get("src") and not attrs["src"].startswith("data:"):
            self.links.append(attrs["src"])
        if tag == "script" and not attrs.get("src") and not attrs.get("type", "").startswith("text/x-mathjax"):
            self.scripts += 1

    def handle_data(self, data):
        self.text.append(data)


def _notebook(tmp_path: Path) -> Path:
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    table = markdown_table(pd.DataFrame({"Note": HOSTILE_TEXT, "Value": ["1"] * len(HOSTILE_TEXT)}))
    prose = "\n\n".join(f"Note {i}: {escape_md(t)}" for i, t in enumerate(HOSTILE_TEXT))
    cells = [new_markdown_cell("# Escaping")]
    for md in (table, prose):
        cell = new_code_cell("show()")
        cell.outputs = [new_output("display_data", data={"text/markdown": md, "text/plain": md})]
        cells.append(cell)
    path = tmp_path / "escaping.ipynb"
    nbformat.write(new_notebook(cells=cells), path)
    return path


def test_html_report_has_no_live_link_script_or_image_from_data(tmp_path):
    from cdp_analysis.report.render import render_html

    out = render_html(_notebook(tmp_path), tmp_path / "escaping.html")
    page = Path(out).read_text(encoding="utf-8")
    parser = _Links()
    parser.feed(page)
    body = page[page.index("<body"):]
    assert not [link for link in parser.links if "evil" in link or "javascript" in link or "tracker" in link]
    assert "<script>alert" not in body and "<a href='javascript" not in body
    shown = " ".join(" ".join(parser.text).split())
    for text in HOSTILE_TEXT:  # the reader sees exactly what was typed
        assert " ".join(text.split()) in shown, text


def test_word_report_has_no_hyperlink_or_image_from_data(tmp_path):
    import docx

    from cdp_analysis.report.render import render_docx

    out = render_docx(_notebook(tmp_path), tmp_path / "escaping.docx")
    doc = docx.Document(out)
    rels = [r for r in doc.part.rels.values() if "hyperlink" in r.reltype or "image" in r.reltype]
    assert rels == []
    words = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        words += [c.text for row in table.rows for c in row.cells]
    shown = " ".join(" ".join(words).split())
    shown = shown.translate({0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"'})  # pandoc's smart quotes
    for text in HOSTILE_TEXT:
        assert " ".join(text.split()) in shown, text


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_markdown_text_leaves_no_link_syntax(text):
    s = markdown_text(text)
    assert not re.search(r"(?<!\\)\]\(", s), s  # no unescaped "](": no inline link or image
    assert "<" not in s and "://" not in s and "\n" not in s


@pytest.mark.parametrize("cell", FORMULAS)
def test_formula_cells_become_text(cell):
    assert spreadsheet_cell(cell) == "'" + cell
    assert csv_cell(cell) == "'" + cell.replace("\r", "\n")  # a lone CR would end the CSV row


@pytest.mark.parametrize("cell", KEEP)
def test_numbers_and_ordinary_text_are_left_alone(cell):
    assert csv_cell(cell) == cell and spreadsheet_cell(cell) == cell


def test_tables_csv_and_workbook_hold_text_not_formulas(run_folder, displayed):
    import openpyxl

    df = pd.DataFrame({"Note": FORMULAS + ["https://evil.example/x"],
                       "Change": [-7.4, -3, 2.5, -0.1, 0, 1, -2, 4, -5]})
    outputs.show_table(df, "hostile", title="Notes as typed", source="Source: returns",
                       notes=["=1+1 is a note, not a formula"])
    with open(run_folder / "tables" / "hostile.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["Note", "Change"]
    for (note, change), typed, number in zip(rows[1:], df["Note"], df["Change"], strict=True):
        assert note == (typed if typed.startswith("https") else "'" + typed.replace("\r", "\n"))
        assert float(change) == number  # negative numbers stay numbers
    path = outputs.write_workbook(run_folder, title="Progress report", area="Dorset", period="2023/24 Q1")
    wb = openpyxl.load_workbook(path)
    formulas, links, numbers = [], [], []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    formulas.append((ws.title, c.coordinate, c.value))
                if c.hyperlink is not None and "evil" in str(c.hyperlink.target):
                    links.append(c.coordinate)
                if isinstance(c.value, (int, float)) and ws.title == "Table 1":
                    numbers.append(c.value)
    assert formulas == [] and links == []
    values = [c.value for row in wb["Table 1"].iter_rows() for c in row]
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in values and "https://evil.example/x" in values
    assert sorted(numbers) == sorted(df["Change"].tolist())
    notes = [c.value for row in wb["Notes"].iter_rows() for c in row]
    assert "'=1+1 is a note, not a formula" in notes
