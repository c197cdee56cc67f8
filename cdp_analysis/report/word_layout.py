"""Word tables that fit the page: columns as wide as their longest word, wide tables on landscape pages.

Pandoc sizes a wide Markdown table's Word columns in proportion to the dashes under its
header (:func:`cdp_analysis.report.tables.markdown_table` writes as many as the column's
longest word), over a fixed width. When the longest words of all columns together do not
fit the portrait text width, a word would be broken mid-letter ("Measu re"), so
:func:`fit_tables` puts that table in a landscape section of its own, and in either case
sets each column to its longest word plus a share of the spare width.

The pages are A4 with 2.54 cm margins (the Government Analysis Function's default for
board papers in the UK). Widths are in twips (1/20 point); a character is taken as 0.55 of
the font size, a conservative average for the proportional fonts Word uses.
"""

from __future__ import annotations

import copy
from pathlib import Path

__all__ = ["A4", "MARGIN", "CELL_PADDING", "fit_tables", "column_needs", "text_width", "char_width"]

#: A4 portrait (width, height) in twips
A4 = (11906, 16838)
#: page margins in twips (2.54 cm)
MARGIN = 1440
#: Word's default left + right cell margins in twips (0.19 cm each)
CELL_PADDING = 2 * 108
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _q(tag: str) -> str:
    return f"{{{_W}}}{tag}"


def text_width(landscape: bool = False) -> int:
    """The width between the margins, in twips.

    >>> text_width(), text_width(landscape=True)
    (9026, 13958)
    """
    return (A4[1] if landscape else A4[0]) - 2 * MARGIN


def char_width(doc) -> float:
    """Twips per character of the document's default font size (12 pt when unset): 0.55 em."""
    size = 24  # half-points
    defaults = doc.styles.element.find(f"{_q('docDefaults')}/{_q('rPrDefault')}/{_q('rPr')}/{_q('sz')}")
    if defaults is not None and defaults.get(_q("val")):
        size = int(defaults.get(_q("val")))
    return 0.55 * size / 2 * 20


def column_needs(table, char_twips: float) -> list[int]:
    """Twips each column of a python-docx table needs: its longest word and the cell padding."""
    n = len(table.columns)
    longest = [1] * n
    for row in table.rows:
        for i, cell in enumerate(row.cells[:n]):
            words = cell.text.split()
            if words:
                longest[i] = max(longest[i], max(len(w) for w in words))
    return [int(round(k * char_twips)) + CELL_PADDING for k in longest]


def _page(sect_pr, landscape: bool) -> None:
    """Set A4, the orientation and the margins on a ``w:sectPr`` element."""
    for tag in ("pgSz", "pgMar"):
        old = sect_pr.find(_q(tag))
        if old is not None:
            sect_pr.remove(old)
    from lxml import etree

    size = etree.SubElement(sect_pr, _q("pgSz"))
    w, h = (A4[1], A4[0]) if landscape else A4
    size.set(_q("w"), str(w))
    size.set(_q("h"), str(h))
    if landscape:
        size.set(_q("orient"), "landscape")
    mar = etree.SubElement(sect_pr, _q("pgMar"))
    for side in ("top", "right", "bottom", "left"):
        mar.set(_q(side), str(MARGIN))
    for side in ("header", "footer"):
        mar.set(_q(side), "720")
    mar.set(_q("gutter"), "0")


def _section_break(body_sect_pr, landscape: bool):
    """A paragraph that ends a section with the given orientation."""
    from lxml import etree

    p = etree.Element(_q("p"))
    ppr = etree.SubElement(p, _q("pPr"))
    sect = copy.deepcopy(body_sect_pr)
    _page(sect, landscape)
    ppr.append(sect)
    return p


def _set_widths(table, widths: list[int]) -> None:
    tbl = table._tbl
    grid = tbl.find(_q("tblGrid"))
    for col, w in zip(grid.findall(_q("gridCol")), widths, strict=False):
        col.set(_q("w"), str(w))
    for row in tbl.findall(_q("tr")):
        for cell, w in zip(row.findall(_q("tc")), widths, strict=False):
            tcpr = cell.find(_q("tcPr"))
            if tcpr is None:
                from lxml import etree

                tcpr = etree.Element(_q("tcPr"))
                cell.insert(0, tcpr)
            tcw = tcpr.find(_q("tcW"))
            if tcw is None:
                from lxml import etree

                tcw = etree.SubElement(tcpr, _q("tcW"))
            tcw.set(_q("w"), str(w))
            tcw.set(_q("type"), "dxa")
    tblw = tbl.tblPr.find(_q("tblW"))
    if tblw is not None:
        tblw.set(_q("w"), str(sum(widths)))
        tblw.set(_q("type"), "dxa")


def fit_tables(path: str | Path) -> list[int]:
    """Lay out every table of a Word file to fit its page; return the indices of landscape tables.

    Each column gets the width of its longest word (plus cell padding) and a share of the
    spare width in proportion to it; a table whose columns need more than the portrait text
    width goes on a landscape page (a section of its own), and is scaled down only if even
    that is too narrow. Every section is A4 with 2.54 cm margins. The file is rewritten in
    place.
    """
    import docx

    doc = docx.Document(str(path))
    body = doc.element.body
    body_sect = body.find(_q("sectPr"))
    if body_sect is None:  # pragma: no cover - pandoc always writes one
        from lxml import etree

        body_sect = etree.SubElement(body, _q("sectPr"))
    _page(body_sect, landscape=False)
    cw = char_width(doc)
    wide = []
    for i, table in enumerate(doc.tables):
        needs = column_needs(table, cw)
        landscape = sum(needs) > text_width()
        width = text_width(landscape)
        total = sum(needs)
        widths = [int(n * width / total) for n in needs] if total > 0 else needs
        _set_widths(table, widths)
        if landscape:
            wide.append(i)
            tbl = table._tbl
            tbl.addprevious(_section_break(body_sect, landscape=False))
            tbl.addnext(_section_break(body_sect, landscape=True))
    doc.save(str(path))
    return wide
