"""Word tables fit the page: no column narrower than its longest word; too wide a table goes landscape.

The notebook is written as an executed notebook (Markdown outputs, as ``display(Markdown(...))``
leaves them) and rendered by the real pandoc; the Word file is read back with python-docx.
The widths a word needs are computed here from the text, independently of the layout code:
12 pt text, a character 0.55 em wide (11 pt x 20 twips x 0.55 = 132 twips), 0.19 cm of cell
margin each side.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd
import pytest
from tests_support import CHAR, PADDING, assert_words_fit, table_widths

from cdp_analysis.report.tables import markdown_table

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
A4_PORTRAIT_TEXT = 11906 - 2 * 1440  # A4 less 2.54 cm margins, in twips
A4_LANDSCAPE_TEXT = 16838 - 2 * 1440


def _executed(path: Path, *tables: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# Tables\n\nSome words."))
    for md in tables:
        cell = nbformat.v4.new_code_cell("show()")
        cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": md, "text/plain": md})]
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


def _sections(doc) -> list[tuple[str, str]]:
    """``(kind, orientation)`` of the body's blocks in order: each table with the orientation of
    the section it lies in (a section ends at the next paragraph holding a ``w:sectPr``)."""
    blocks, out = [], []
    for el in doc.element.body:
        if el.tag == W + "tbl":
            blocks.append(el)
        elif el.tag == W + "p" and el.find(f"{W}pPr/{W}sectPr") is not None:
            size = el.find(f"{W}pPr/{W}sectPr/{W}pgSz")
            orient = "landscape" if size is not None and size.get(W + "orient") == "landscape" else "portrait"
            out += [("table", orient) for _ in blocks]
            blocks = []
        elif el.tag == W + "sectPr":
            size = el.find(W + "pgSz")
            orient = "landscape" if size is not None and size.get(W + "orient") == "landscape" else "portrait"
            out += [("table", orient) for _ in blocks]
            blocks = []
    return out


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    from cdp_analysis.report.render import render_docx

    root = tmp_path_factory.mktemp("word")
    narrow = markdown_table(pd.DataFrame({"Area": ["Dorset", "Bournemouth, Christchurch and Poole"],
                                          "Deaths": ["47", "77"]}), align={"Deaths": "right"})
    wide = markdown_table(pd.DataFrame({
        f"Figure {i}": [f"Arrests{i} made", "£23,756 (2023/24 Q1)"] for i in range(10)}))
    executed = _executed(root / "tables.ipynb", narrow, wide)
    return render_docx(executed, root / "tables.docx")


def test_every_column_holds_its_longest_word(rendered):
    import docx

    doc = docx.Document(str(rendered))
    assert len(doc.tables) == 2
    for t in doc.tables:
        assert_words_fit(t)


def test_a_narrow_table_stays_portrait_a_wide_one_goes_landscape(rendered):
    import docx

    doc = docx.Document(str(rendered))
    narrow, wide = doc.tables
    assert [o for _, o in _sections(doc)] == ["portrait", "landscape"]
    assert sum(table_widths(narrow)) <= A4_PORTRAIT_TEXT
    # ten columns of 8-letter words need 10 x (8 x 132 + 216) = 12,720 twips: more than the
    # portrait text width (9,026), less than the landscape one (13,958)
    assert A4_PORTRAIT_TEXT < 10 * (8 * CHAR + PADDING) <= sum(table_widths(wide)) <= A4_LANDSCAPE_TEXT
    assert len(wide.columns) == 10
    # the pages are A4
    assert {round(s.page_width.cm, 1) for s in doc.sections} == {21.0, 29.7}


def test_the_progress_report_outcomes_table_is_split(tmp_path):
    """The ten-column outcomes table is now the figures (7 columns) and the printed check (4)."""
    from cdp_analysis.report.render import render_docx

    figures = markdown_table(pd.DataFrame({
        "Measure": ["Serious and organised crime disruptions", "Neighbourhood crimes"],
        "Area": ["Dorset police force area"] * 2, "To date": ["259 (2023/24 Q1)", "51 (2023-01..2023-03)"],
        "Projected year end": ["1,036 (2023/24)", "204 (2023)"], "95% interval": ["970 to 1,105", "152 to 268"],
        "Last year": ["964 (2022/23)", "188 (2022)"], "Change": ["+7.5%", "+8.5%"]}))
    check = markdown_table(pd.DataFrame({
        "Measure": ["Serious and organised crime disruptions"], "Area": ["Dorset police force area"],
        "Printed projection": ["1,036 (agrees)"], "Printed change": ["7.4% (**differs**)"]}))
    import docx

    doc = docx.Document(str(render_docx(_executed(tmp_path / "p.ipynb", figures, check), tmp_path / "p.docx")))
    for t in doc.tables:
        assert_words_fit(t)
    assert [len(t.columns) for t in doc.tables] == [7, 4]
