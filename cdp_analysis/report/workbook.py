"""The accessible spreadsheet of a report: ``tables.xlsx`` built with gptables.

:func:`cdp_analysis.report.outputs.show_table` writes ``tables/<name>.csv`` (values, with
shorthand such as ``[c]`` in place of hidden or missing cells) and ``tables/<name>.json``
(title, source, notes, units, shorthand used). :func:`write_workbook` turns them into one
workbook following the Analysis Function guidance *Releasing statistics in spreadsheets*:
a cover sheet, a contents sheet, a notes sheet, one table per sheet (an Excel table object
with one header row, title in cell A1), no merged cells or colour-only meaning, and
shorthand in square brackets explained on each sheet and in the notes.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from cdp_analysis.report.escape import XLSX_OPTIONS, spreadsheet_cell

__all__ = ["write_workbook", "read_tables", "SHORTHAND", "WORKBOOK"]

WORKBOOK = "tables.xlsx"

#: Shorthand codes (Analysis Function *Using symbols and shorthand in tables*) and what they mean.
SHORTHAND: dict[str, str] = {
    "c": "confidential: a count of 1 to {below}, or a figure hidden so that one cannot be worked out from a total",
    "x": "not available",
    "z": "not applicable",
    "low": "rounds to zero",
    "u": "low reliability (based on a small number)",
    "p": "provisional: may be revised",
    "r": "revised since first published",
    "e": "estimated",
    "f": "forecast",
    "b": "break in series",
}


def _number_or_text(v: str) -> Any:
    """A CSV cell back to a number when it is one (shorthand and labels stay text)."""
    if v == "":
        return v
    try:
        f = float(v)
    except ValueError:
        return v
    return int(f) if f.is_integer() and not re.search(r"[.eE]", v) else f


def read_tables(folder: str | Path) -> list[tuple[dict[str, Any], pd.DataFrame]]:
    """The tables written by ``show_table`` into ``folder/tables``, in the order shown.

    Returns
    -------
    list of (meta, frame)
        Frames with numbers as numbers and shorthand (``[c]``, ``[x]``) as text.
    """
    tdir = Path(folder) / "tables"
    out = []
    for js in tdir.glob("*.json"):
        meta = json.loads(js.read_text(encoding="utf-8"))
        csv = js.with_suffix(".csv")
        if not csv.exists():
            continue
        df = pd.read_csv(csv, dtype=str, keep_default_na=False, encoding="utf-8")
        for c in df.columns:
            df[c] = df[c].map(_number_or_text).map(spreadsheet_cell).astype(object)
        df.columns = [spreadsheet_cell(c) for c in df.columns]
        out.append((meta, df))
    out.sort(key=lambda t: (t[0].get("order", 0), t[0].get("name", "")))
    return out


def _table_name(i: int, name: str) -> str:
    """An Excel table name: letters, digits and underscores, starting with a letter.

    >>> _table_name(2, "deaths-by-area")
    'table_2_deaths_by_area'
    """
    return re.sub(r"[^A-Za-z0-9_]", "_", f"table_{i}_{name}")[:250]


def write_workbook(folder: str | Path, *, title: str, area: str, period: str,
                   out: str | Path | None = None) -> Path:
    """Build ``folder/tables.xlsx`` from ``folder/tables/*`` with gptables.

    Parameters
    ----------
    folder
        The run folder holding ``tables/`` (as written by ``show_table``).
    title
        Report title, for the cover sheet (e.g. "Drug and alcohol needs assessment").
    area, period
        Area name and reporting period, on the cover and in a note referenced by every table.
    out
        Workbook path (default ``folder/tables.xlsx``).

    Returns
    -------
    pathlib.Path
        The workbook written.

    Raises
    ------
    FileNotFoundError
        When ``folder/tables`` holds no tables.
    """
    import gptables as gpt

    folder = Path(folder)
    tables = read_tables(folder)
    if not tables:
        raise FileNotFoundError(f"no tables in {folder / 'tables'} (show_table writes them)")
    out = Path(out) if out is not None else folder / WORKBOOK

    notes_rows: list[tuple[str, str]] = [
        ("about", f"Figures for {area}, {period}, produced by cdp-analysis. The report explains the "
                  "methods; intervals are 95% confidence intervals unless stated.")]
    used_all: set[str] = set()
    sheets: dict[str, Any] = {}
    for i, (meta, df) in enumerate(tables, start=1):
        refs = ["$$about$$"]
        for k, note in enumerate(meta.get("notes") or [], start=1):
            key = f"t{i}n{k}"
            notes_rows.append((key, spreadsheet_cell(str(note))))
            refs.append(f"$${key}$$")
        used = [c for c in meta.get("shorthand", []) if c]
        used_all.update(used)
        threshold = int(meta.get("threshold", 5))
        legend = [f"[{c}] = {SHORTHAND.get(c, c).format(threshold=threshold, below=threshold - 1)}"
                  for c in used]
        units = {c: u for c, u in (meta.get("units") or {}).items() if c in df.columns}
        empty = [c for c in df.columns if (df[c] == "").any()]
        instructions = "This worksheet contains one table. Notes are on the Notes worksheet."
        if used:
            instructions += " Shorthand in square brackets is explained below."
        if empty:
            instructions += f" Blank cells in {', '.join(empty)} mean that no flag applies."
        sheets[f"Table {i}"] = gpt.GPTable(
            table=df.reset_index(drop=True),
            table_name=_table_name(i, meta["name"]),
            title=f"{meta['title']} {''.join(refs)}",
            subtitles=[f"{area}, {period}"],
            instructions=instructions,
            source=str(meta.get("source", "")),
            units=units or None,
            legend=legend,
        )
    if used_all:
        notes_rows.append(("shorthand", "Shorthand used in these tables: " + "; ".join(
            f"[{c}] {SHORTHAND.get(c, c).format(threshold=5, below=4)}" for c in sorted(used_all)) + "."))
        # reference the shorthand note from every table that uses shorthand
        for (meta, _), gp in zip(tables, sheets.values(), strict=True):
            if meta.get("shorthand"):
                gp.set_title(f"{meta['title']} $$about$$$$shorthand$$" + "".join(
                    f"$$t{list(sheets.values()).index(gp) + 1}n{k}$$" for k in range(1, len(meta.get("notes") or []) + 1)))
    notes = pd.DataFrame(notes_rows, columns=["Note reference", "Note text"])
    cover = gpt.Cover(
        title=f"{title}: {area}, {period}",
        intro=[f"Tables from the {title.lower() if title[:2].istitle() else title} for {area}, {period}.",
               "Each table is on its own worksheet; the Contents worksheet lists them."],
        about=["Shorthand is shown in square brackets, for example [c] for a figure hidden to "
               "protect confidentiality (never shown as 0) and [x] for not available.",
               "Notes referred to as [note 1] and so on are on the Notes worksheet."],
        contact=["The partnership's intelligence lead."],
    )
    with warnings.catch_warnings():
        # gptables' own warnings (empty cells, unreferenced notes) are handled above; the rest
        # are pandas deprecations inside gptables
        warnings.simplefilter("ignore")
        gpt.write_workbook(
            filename=str(out),
            sheets=sheets,
            cover=cover,
            notes_table=notes,
            contentsheet_options={"additional_elements": ["subtitles"]},
            workbook_options=dict(XLSX_OPTIONS),  # text stays text: no formulas, no hyperlinks
        )
    return out
