"""Scan produced outputs for disclosive cells: an independent check of disclosure control.

Every table a notebook shows through :func:`cdp_analysis.report.outputs.show_table`
records its count columns in ``tables/<name>.json``. This module reads every published
form of those tables in a run folder, the CSV behind the workbook, the workbook itself
(``tables.xlsx``), the HTML and the Word files, and reports any count cell from 1 to
``threshold - 1``: a cell that primary suppression should have hidden. It is deliberately
separate from the suppression code, so a bypassed or broken suppression is caught.

Secondary suppression is checked where it can be: a table whose published count cells
include exactly one ``[c]`` cell in a column (so that a column total, if shown elsewhere,
would reveal it) is reported too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

__all__ = ["scan_outputs", "scan_tree", "COUNT_RE"]

COUNT_RE = re.compile(r"^\s*-?[\d,]+(\.0+)?\s*$")


def _as_count(text: object) -> float | None:
    """A published cell as a number, or None for text such as ``[c]``.

    >>> _as_count("1,024"), _as_count(" 3 "), _as_count("[c]"), _as_count("4.0")
    (1024.0, 3.0, None, 4.0)
    """
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return None if pd.isna(text) else float(text)
    s = str(text).strip()
    if not COUNT_RE.match(s):
        return None
    return float(s.replace(",", ""))


def _small(value: float | None, threshold: int) -> bool:
    return value is not None and 0 < value < threshold


def _tables_meta(folder: Path) -> list[dict]:
    out = []
    for js in sorted((folder / "tables").glob("*.json")):
        meta = json.loads(js.read_text(encoding="utf-8"))
        if meta.get("count_columns"):
            out.append(meta)
    return out


def _check_frame(df: pd.DataFrame, meta: dict, where: str, threshold: int) -> list[dict]:
    found = []
    for col in meta["count_columns"]:
        if col not in df.columns:
            continue
        for i, cell in enumerate(df[col].tolist()):
            value = _as_count(cell)
            if _small(value, threshold):
                found.append({"file": where, "table": meta["name"], "row": i + 1, "column": col, "value": cell,
                              "problem": f"count below {threshold} shown"})
    return found


def _html_tables(path: Path) -> list[pd.DataFrame]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    frames = []
    for table in soup.find_all("table"):
        head = [th.get_text(" ", strip=True) for th in table.find_all("th")]
        rows = []
        for tr in table.find_all("tr"):
            cells = [td.get_text(" ", strip=True) for td in tr.find_all("td")]
            if cells:
                rows.append(cells)
        if head and rows and all(len(r) == len(head) for r in rows):
            frames.append(pd.DataFrame(rows, columns=head))
    return frames


def _docx_tables(path: Path) -> list[pd.DataFrame]:
    import docx

    frames = []
    for table in docx.Document(str(path)).tables:
        rows = [[c.text.strip() for c in r.cells] for r in table.rows]
        if len(rows) >= 2 and all(len(r) == len(rows[0]) for r in rows):
            frames.append(pd.DataFrame(rows[1:], columns=rows[0]))
    return frames


def _xlsx_tables(path: Path, metas: list[dict]) -> list[tuple[str, pd.DataFrame]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    found = []
    wanted = {tuple(m["columns"]) for m in metas}
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        for i, row in enumerate(rows):
            head = tuple("" if v is None else str(v).strip() for v in row)
            trimmed = tuple(h for h in head if h)
            # gptables may add shorthand notes to headers: match on the leading text
            for cols in wanted:
                if len(trimmed) >= len(cols) and all(t.startswith(c) for t, c in zip(trimmed, cols, strict=False)):
                    body = [r[: len(cols)] for r in rows[i + 1:] if any(v is not None for v in r[: len(cols)])]
                    found.append((ws.title, pd.DataFrame(body, columns=list(cols))))
    wb.close()
    return found


def _matches(df: pd.DataFrame, meta: dict) -> bool:
    return [str(c) for c in df.columns] == [str(c) for c in meta["columns"]]


def scan_outputs(folder: str | Path, threshold: int = 5) -> pd.DataFrame:
    """Every disclosive cell in the outputs of one run folder.

    Parameters
    ----------
    folder
        A run folder (``reports/<period>/<area>/``) holding ``tables/``, HTML, Word and
        ``tables.xlsx``.
    threshold
        The policy: a published count from 1 to ``threshold - 1`` is disclosive (default 5).

    Returns
    -------
    pandas.DataFrame
        ``file, table, row, column, value, problem``; empty when nothing is disclosive.
    """
    folder = Path(folder)
    metas = _tables_meta(folder)
    found: list[dict] = []
    for meta in metas:
        csv = folder / "tables" / f"{meta['name']}.csv"
        if csv.exists():
            df = pd.read_csv(csv, dtype=str, keep_default_na=False)
            found += _check_frame(df, meta, str(csv.relative_to(folder)), threshold)
            for col in meta["count_columns"]:
                if col in df.columns:
                    hidden = df[col].isin(["", "[c]"]).sum()
                    if hidden == 1 and len(df) > 1 and meta.get("suppressed", {}).get(col, {}).get("primary"):
                        found.append({"file": str(csv.relative_to(folder)), "table": meta["name"], "row": None,
                                      "column": col, "value": "[c]",
                                      "problem": "a single suppressed cell in a column: recoverable from a total"})
    for html in sorted(folder.glob("*.html")):
        for df in _html_tables(html):
            for meta in metas:
                if _matches(df, meta):
                    found += _check_frame(df, meta, html.name, threshold)
    for doc in sorted(folder.glob("*.docx")):
        for df in _docx_tables(doc):
            for meta in metas:
                if _matches(df, meta):
                    found += _check_frame(df, meta, doc.name, threshold)
    xlsx = folder / "tables.xlsx"
    if xlsx.exists() and metas:
        for sheet, df in _xlsx_tables(xlsx, metas):
            for meta in metas:
                if list(df.columns) == list(meta["columns"]):
                    found += _check_frame(df, meta, f"tables.xlsx:{sheet}", threshold)
    return pd.DataFrame(found, columns=["file", "table", "row", "column", "value", "problem"])


def scan_tree(root: str | Path, threshold: int = 5) -> pd.DataFrame:
    """:func:`scan_outputs` over every run folder under ``root`` (folders holding ``tables/``)."""
    frames = [scan_outputs(p.parent, threshold).assign(folder=str(p.parent)) for p in Path(root).rglob("tables")
              if p.is_dir()]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=["file", "table", "row", "column", "value", "problem", "folder"])
    return pd.concat(frames, ignore_index=True)
