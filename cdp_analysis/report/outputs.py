"""Figures and tables in a report notebook: shown to readers, saved for re-use.

Call these inside a notebook run by :func:`cdp_analysis.pipeline.run_one` (which sets
``CDP_OUTPUT_DIR`` to the run folder). Outside ``cdp run`` they show and write nothing unless
asked (a ``folder`` argument or ``CDP_OUTPUT_DIR``; see :func:`output_folder`):

* :func:`show_figure` saves ``figures/<name>.svg`` and ``.png`` and displays the chart with
  its alt text: the HTML report gets an ``<img alt=...>`` holding the SVG inline (one
  self-contained file), the Word report (pandoc) gets the PNG with the alt text as the
  image description.
* :func:`show_table` applies disclosure control to count columns (through
  :func:`cdp_analysis.indicators.suppress`), displays a titled Markdown table (real header
  row in HTML and Word) with its source, notes and shorthand, and writes
  ``tables/<name>.csv`` and ``tables/<name>.json`` for the spreadsheet.
* :func:`write_workbook` (after the run) builds ``tables.xlsx`` from ``tables/`` with gptables.

Shorthand follows the Analysis Function guidance, always in square brackets: ``[c]``
confidential (suppressed), ``[x]`` not available, ``[z]`` not applicable, ``[u]`` low
reliability, ``[p]`` provisional, ``[r]`` revised, ``[e]`` estimated, ``[f]`` forecast.
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cdp_analysis.report.tables import markdown_table
from cdp_analysis.report.workbook import SHORTHAND, write_workbook

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["show_figure", "show_table", "prepare_table", "table_markdown", "write_workbook", "SHORTHAND",
           "FIGURES", "TABLES"]

FIGURES = "figures"
TABLES = "tables"
#: the methods pages, by their path in the cdp-analysis repository (``make docs`` builds them)
METHODS_PAGE = "docs/methods/index.md"
METHODS_NOTE = (f"- Produced with cdp-analysis; every method, its formula, its reference and its validation: "
                f"{METHODS_PAGE} in the cdp-analysis repository (`make docs` builds it as "
                f"docs/_build/html/methods/index.html).")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,80}$")
_CODE = re.compile(r"\[([a-z]{1,3})\]")

Formatter = str | Callable[[Any], str]


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"name must be letters, digits, '-' or '_' (a file name), not {name!r}")
    return name


def _display(bundle: dict[str, str]) -> None:
    from IPython.display import display

    display(bundle, raw=True)


# ----------------------------------------------------------------------------- figures

def figure_markdown(src: str, alt: str) -> str:
    """Pandoc Markdown for an image whose description (Word's alt text) is ``alt``, with no
    caption: a non-breaking space after the image (``\\ ``) keeps it from becoming a figure
    with the alt text repeated underneath.

    >>> figure_markdown("figures/a.png", "Line chart [f]: 12*3").endswith("(figures/a.png)\\\\ ")
    True
    >>> figure_markdown("figures/a.png", "Line chart [f]: 12*3")[:22]
    '![Line chart \\\\[f\\\\]: 12'
    """
    alt = re.sub(r"([\\`*_{}\[\]<>()#+!|$~^@])", r"\\\1", " ".join(alt.split()))
    return f"![{alt}]({src})\\ "


DEFAULT_THRESHOLD = 5


def disclosure_threshold(threshold: int | None = None) -> int:
    """The disclosure threshold: counts from 1 to ``threshold - 1`` are suppressed.

    ``threshold`` when given, else the ``CDP_DISCLOSURE_THRESHOLD`` environment variable (a
    partnership's own policy, e.g. 10), else 5. Every produced output can be checked against
    the default policy with :func:`cdp_analysis.report.disclosure_check.scan_outputs`.

    >>> disclosure_threshold(), disclosure_threshold(10)
    (5, 10)
    """
    import os

    if threshold is None:
        env = os.environ.get("CDP_DISCLOSURE_THRESHOLD", "").strip()
        threshold = int(env) if env else DEFAULT_THRESHOLD
    if int(threshold) < 1:
        from cdp_analysis.errors import CdpParameterError

        raise CdpParameterError(f"the disclosure threshold must be 1 or more, not {threshold}")
    return int(threshold)


def output_folder(folder: str | Path | None = None) -> Path | None:
    """Where figures and tables are saved: ``folder``, else ``$CDP_OUTPUT_DIR``, else nowhere.

    Under the batch runner (``cdp run``) ``CDP_OUTPUT_DIR`` names the run folder. Outside it
    (a notebook opened in JupyterLab, papermill from a shell, nbval) nothing is written unless
    the analyst asks, with ``folder`` or the variable (``make lab`` sets it to a scratch
    folder): the figures and tables are shown, and ``None`` is returned.

    >>> import os
    >>> _ = os.environ.pop("CDP_OUTPUT_DIR", None)
    >>> output_folder() is None, output_folder("run").name
    (True, 'run')
    """
    import os

    if folder is not None and str(folder) != "":
        return Path(folder)
    env = os.environ.get("CDP_OUTPUT_DIR", "").strip()
    return Path(env) if env else None


def show_figure(fig: Figure, name: str, *, alt: str | None = None, folder: str | Path | None = None,
                origin: str = "local") -> None:
    """Save a figure as SVG and PNG, display it with its alt text, and close it.

    Parameters
    ----------
    fig
        A matplotlib figure (made by hand), or a :class:`~cdp_analysis.report.charts.Chart`
        (which carries its alt text).
    name
        File name without extension (letters, digits, ``-``, ``_``); unique within the report.
    alt
        Alt text (plain English, about 300 characters at most; the chart functions write it).
    folder
        Run folder (default: ``$CDP_OUTPUT_DIR``, which ``cdp run`` sets to the run folder;
        with neither, the figure is shown and nothing is written; see :func:`output_folder`).
    origin
        ``"published"`` when the chart draws counts of a source published openly at this level
        (recorded in ``figures/<name>.json`` for the disclosure scan), else ``"local"``.

    Returns
    -------
    None
        (Nothing, so that a cell ending with the call shows only the figure.) The files are
        ``figures/<name>.svg`` and ``figures/<name>.png`` in ``folder``, when there is one.

    Notes
    -----
    The displayed output carries three forms: ``text/html`` (the SVG inline as a data URI in
    an ``<img>`` with ``alt``; used by nbconvert's HTML), ``text/markdown`` (the PNG by
    relative path with an ``alt`` attribute; used by pandoc for Word, which looks the file up
    in the run folder) and ``text/plain`` (the alt text).
    """
    import matplotlib.pyplot as plt

    _check_name(name)
    if hasattr(fig, "figure") and hasattr(fig, "alt") and not hasattr(fig, "savefig"):  # a Chart
        alt = fig.alt if alt is None else alt
        fig = fig.figure
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("alt text is required: describe what the chart shows")
    root = output_folder(folder)
    svg_kw = {"format": "svg", "bbox_inches": "tight", "pad_inches": 0.15, "metadata": {"Date": None}}
    try:
        if root is None:  # shown, not saved: the analyst did not ask for files
            import io

            buf = io.BytesIO()
            fig.savefig(buf, **svg_kw)
            svg_bytes = buf.getvalue()
        else:
            out = root / FIGURES
            out.mkdir(parents=True, exist_ok=True)
            svg, png = out / f"{name}.svg", out / f"{name}.png"
            fig.savefig(svg, **svg_kw)
            fig.savefig(png, format="png", dpi=150, bbox_inches="tight", pad_inches=0.15)
            svg_bytes = svg.read_bytes()
            _write_chart_data(fig, out / f"{name}.json", alt, origin)
    finally:
        plt.close(fig)
    alt = " ".join(alt.split())
    data = base64.b64encode(svg_bytes).decode("ascii")
    img = (f'<img src="data:image/svg+xml;base64,{data}" alt="{html.escape(alt, quote=True)}" '
           f'style="max-width:100%;height:auto" />')
    _display({
        "text/html": f'<div class="cdp-figure">{img}</div>',
        **({} if root is None else {"text/markdown": figure_markdown(f"{FIGURES}/{name}.png", alt)}),
        "text/plain": f"[Figure: {alt}]",
    })


def _write_chart_data(fig: Figure, path: Path, alt: str, origin: str = "local") -> None:
    """``figures/<name>.json``: the values the chart draws, read back from the figure (see
    :mod:`cdp_analysis.report.figure_data`), with its alt text: the chart's data for readers
    and for the disclosure scan."""
    from cdp_analysis.report.figure_data import drawn_data

    data = {"alt": " ".join(alt.split()), "origin": origin, **drawn_data(fig)}
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")


# ----------------------------------------------------------------------------- tables

def _formatter(spec: Formatter | None, decimals: int | None) -> Callable[[Any], str]:
    if callable(spec):
        return spec
    if isinstance(spec, str):
        pattern = spec if "{" in spec else "{:" + spec + "}"
        return lambda v: pattern.format(v)
    if decimals is None:
        return lambda v: str(v)
    return lambda v: f"{v:,.{decimals}f}"


def _spec_decimals(spec: Formatter | None) -> int | None:
    if isinstance(spec, str):
        m = re.search(r"\.(\d+)([f%])", spec)
        if m:
            return int(m.group(1)) + (2 if m.group(2) == "%" else 0)
        if re.search(r"[,d]\}?$", spec.strip("{}:")) or spec.strip("{}:") in (",", "d", ",d", ",.0f"):
            return 0
    return None


def _default_decimals(col: pd.Series) -> int | None:
    vals = pd.to_numeric(col, errors="coerce").dropna()
    if vals.empty or not pd.api.types.is_float_dtype(col):
        return None
    if (vals == vals.round()).all():
        return 0
    return 1 if vals.abs().max() >= 10 else 2


def _status_text(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    codes = str(v).split()
    return " ".join(f"[{c.strip('[]')}]" for c in codes)


def prepare_table(
    df: pd.DataFrame,
    *,
    count_columns: Sequence[str] = (),
    threshold: int | None = None,
    formats: Mapping[str, Formatter] | None = None,
    index: bool = False,
    by: str | Sequence[str] | None = None,
    totals: str | Sequence[str] | None = "group",
    hide_with: Sequence[str] | None = None,
    origin: str = "local",
    show_status: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Disclosure control and formatting: the frame behind :func:`show_table`.

    Parameters
    ----------
    df
        The table, one row per published cell row (no total rows: totals are taken as
        published, see ``totals``).
    count_columns
        Count columns to protect. Each is passed to :func:`cdp_analysis.indicators.suppress`
        (primary suppression below ``threshold``, secondary suppression so that no hidden
        count can be recovered from a published total).
    threshold
        Counts from 1 to ``threshold - 1`` are hidden.
    formats
        Column -> format (``"{:,.1f}"``, ``",.1f"`` or a function) for the displayed text.
        Default: counts as whole numbers with commas, other decimals to 1 or 2 places.
    index
        Include the frame's index as the first column(s).
    by, totals
        Passed to ``suppress``: independent sub-tables, and which totals are published
        (default: the total of each ``by`` group, or of the whole column).
    hide_with
        Columns hidden with a hidden count (rates and limits derived from it). Default: the
        numeric columns named as intervals, rates, ratios, changes or per cents
        (:func:`cdp_analysis.indicators.disclosure.derived_columns`: ``lower_95``,
        ``Upper 95% limit``, ``Rate per 100,000``...); with several count columns they are
        hidden when any count in the row is.
    origin
        ``"local"`` (default: always suppressed) or ``"published"`` (a source published openly
        at this level, shown when the policy ``CDP_PUBLISHED_COUNTS=show`` allows; see
        :class:`cdp_analysis.indicators.disclosure.DisclosurePolicy`). Rows whose ``status``
        already holds ``c`` (suppressed where the figures were computed) stay ``[c]``.
    show_status
        Show the ``status`` column (default). False: it only carries the decision.

    Returns
    -------
    (text, values, meta)
        ``text``: every cell as displayed (``[c]`` for suppressed cells, ``[x]`` for other
        missing values); ``values``: numbers rounded as displayed with the same shorthand
        strings in place of missing cells (for the CSV and the workbook); ``meta``: counts of
        suppressed cells and the shorthand codes used.

    Examples
    --------
    >>> df = pd.DataFrame({"area": ["A", "B", "C"], "deaths": [3, 12, 40]})
    >>> text, values, meta = prepare_table(df, count_columns=["deaths"])
    >>> text["deaths"].tolist()
    ['[c]', '[c]', '40']
    >>> meta["suppressed"], meta["shorthand"]
    ({'deaths': {'primary': 1, 'secondary': 1}}, ['c'])
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"show_table takes a DataFrame, not {type(df).__name__}")
    data = df.reset_index() if index else df.reset_index(drop=True)
    data.columns = [str(c) for c in data.columns]
    if data.columns.duplicated().any():
        raise ValueError(f"column names must be unique: {list(data.columns)}")
    count_columns = list(count_columns)
    missing = [c for c in count_columns if c not in data.columns]
    if missing:
        raise KeyError(f"count columns not in the table: {missing}")
    formats = dict(formats or {})
    had_status = "status" in data.columns
    hidden: dict[str, np.ndarray] = {}
    threshold = disclosure_threshold(threshold)
    from cdp_analysis.indicators.disclosure import DisclosurePolicy, derived_columns, is_hidden, suppress

    policy = DisclosurePolicy.from_env(threshold=threshold)
    applied = policy.threshold_for(origin)
    meta: dict[str, Any] = {"suppressed": {}, "threshold": int(threshold), "origin": origin,
                            "published_counts": policy.published_counts, "applied_threshold": int(applied)}
    if count_columns:
        # a figure suppressed where it was computed (status c) stays hidden here, and counts as
        # hidden in every total: the decision is the library's, the table only obeys it
        before = (np.array([is_hidden(s) for s in data["status"]], dtype=bool) if had_status
                  else np.zeros(len(data), dtype=bool))
        for c in count_columns:
            col = pd.to_numeric(data[c], errors="coerce").astype(float)
            col[before] = np.nan
            data[c] = col
        mark = pd.Series(np.where(before, "c", ""), index=data.index, dtype=object)
        for c in count_columns:
            # a count missing at source ([x], not suppressed) is neither shown nor hidden: left out
            present = (data[c].notna().to_numpy() | before)
            res = suppress(data[present].assign(__cdp_status=mark[present]), count=c, threshold=applied, by=by,
                           totals=totals, columns=[], status="__cdp_status")
            mask = np.zeros(len(data), dtype=bool)
            mask[present] = res[c].isna().to_numpy()
            hidden[c] = mask
            col = pd.to_numeric(data[c], errors="coerce").astype(float)
            col[present] = res[c].to_numpy(dtype=float)
            data[c] = col
            info = res.attrs.get("suppression", {})
            meta["suppressed"][c] = {"primary": int(info.get("primary", 0)) + int(info.get("already", 0)),
                                     "secondary": int(info.get("secondary", 0))}
            if info.get("already"):  # decided where the figures were computed (primary or secondary there)
                meta["suppressed"][c]["upstream"] = int(info["already"])
        derived = list(hide_with) if hide_with is not None else [
            c for c in derived_columns(data, count_columns) if c not in count_columns]
        any_hidden = np.logical_or.reduce([hidden[c] for c in count_columns])
        for c in derived:
            if c not in data.columns:
                raise KeyError(f"hide_with column not in the table: {c!r}")
            col = pd.to_numeric(data[c], errors="coerce").astype(float)
            col[any_hidden] = np.nan
            data[c] = col
            hidden[c] = any_hidden
        meta["hidden_with"] = derived
        if had_status:
            codes = []
            for i, s in enumerate(data["status"]):
                s = "" if s is None or (isinstance(s, float) and math.isnan(s)) else str(s)
                if any_hidden[i] and "c" not in s.split():
                    s = (s + " c").strip()
                codes.append(s)
            data["status"] = codes
    if had_status and not show_status:
        data = data.drop(columns=["status"])
    text = pd.DataFrame(index=data.index)
    values = pd.DataFrame(index=data.index)
    used: set[str] = set()
    for c in data.columns:
        col = data[c]
        if c == "status":
            t = col.map(_status_text)
            text[c] = t
            values[c] = t
            continue
        mask_c = hidden.get(c, np.zeros(len(data), dtype=bool))
        numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
        spec = formats.get(c)
        if c in count_columns and spec is None:
            spec = "{:,.0f}"
        dec = _spec_decimals(spec) if spec is not None else (_default_decimals(col) if numeric else None)
        fmt = _formatter(spec, dec if numeric else None)
        tcol, vcol = [], []
        for i, v in enumerate(col):
            if mask_c[i]:
                tcol.append("[c]")
                vcol.append("[c]")
                used.add("c")
            elif v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
                tcol.append("[x]")
                vcol.append("[x]")
                used.add("x")
            else:
                s = fmt(v)
                tcol.append(s)
                if numeric:
                    fv = float(v)
                    if dec == 0 and math.isfinite(fv):
                        vcol.append(int(round(fv)))
                    else:
                        vcol.append(round(fv, dec) if dec is not None else v)
                else:
                    vcol.append(v)
                used.update(_CODE.findall(str(s)))
        text[c] = tcol
        values[c] = pd.Series(vcol, index=data.index, dtype=object)
    for c in data.columns:
        used.update(_CODE.findall(c))
    if "status" in data.columns:
        for s in data["status"]:
            used.update(str(s).split() if isinstance(s, str) else [])
    meta["shorthand"] = sorted(used)
    meta["numeric"] = [c for c in data.columns if c != "status" and pd.api.types.is_numeric_dtype(data[c])]
    return text, values, meta


def _csv_safe(values: pd.DataFrame) -> pd.DataFrame:
    """The values with every text cell and header through :func:`~cdp_analysis.report.escape.csv_cell`."""
    from cdp_analysis.report.escape import csv_cell

    out = values.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(csv_cell)
    out.columns = [csv_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


def table_markdown(text: pd.DataFrame, *, title: str, source: str, notes: Sequence[str] | None = None,
                   shorthand: Sequence[str] = (), numeric: Sequence[str] = (), threshold: int = 5) -> str:
    """The displayed block: bold title, Markdown table, source, notes and shorthand key.

    >>> t = pd.DataFrame({"Area": ["A", "B"], "Deaths": ["[c]", "40"]})
    >>> print(table_markdown(t, title="Deaths by area", source="Source: ONS", shorthand=["c"],
    ...                      numeric=["Deaths"]))
    **Deaths by area**
    <BLANKLINE>
    | Area | Deaths |
    | :---- | ------: |
    | A | [c] |
    | B | 40 |
    <BLANKLINE>
    Source: ONS
    <BLANKLINE>
    [c] confidential: a count of 1 to 4, or a figure hidden so that one cannot be worked out from a total.
    """
    parts = [f"**{title.strip()}**", markdown_table(text, align={c: "right" for c in numeric}), source.strip()]
    for note in notes or []:
        parts.append(f"Note: {note.strip()}")
    key = [f"[{code}] {SHORTHAND.get(code, code).format(threshold=threshold, below=threshold - 1)}."
           for code in shorthand]
    if key:
        parts.append("  \n".join(key))
    return "\n\n".join(parts)


def show_table(
    df: pd.DataFrame,
    name: str,
    *,
    title: str,
    source: str,
    notes: Sequence[str] | str | None = None,
    count_columns: Sequence[str] = (),
    threshold: int | None = None,
    formats: Mapping[str, Formatter] | None = None,
    index: bool = False,
    units: Mapping[str, str] | None = None,
    by: str | Sequence[str] | None = None,
    totals: str | Sequence[str] | None = "group",
    hide_with: Sequence[str] | None = None,
    origin: str = "local",
    show_status: bool = True,
    folder: str | Path | None = None,
) -> None:
    """Protect, display and save a table for readers and for the spreadsheet.

    Parameters
    ----------
    df
        The table with readable column names (they become the header row). Only the inner
        cells: published totals are accounted for through ``totals``, not as rows.
    name
        File name (letters, digits, ``-``, ``_``) of ``tables/<name>.csv`` and ``.json``.
    title
        What the table shows (the spreadsheet sheet title too).
    source
        Source line, e.g. "Source: ONS deaths registered 2021 to 2023".
    notes
        Notes shown under the table and in the spreadsheet's notes sheet.
    count_columns
        Counts to protect with primary and secondary suppression (see :func:`prepare_table`);
        hidden cells show ``[c]``, never 0.
    threshold
        Counts below this are hidden (default: :func:`disclosure_threshold`, 5 unless the
        partnership's policy sets ``CDP_DISCLOSURE_THRESHOLD``).
    formats
        Column -> display format (``"{:,.1f}"``, ``",.1f"`` or a function).
    index
        Include the index as the first column(s).
    units
        Column -> unit (e.g. ``{"Rate": "per 100,000"}``), for the spreadsheet.
    by, totals, hide_with, origin, show_status
        See :func:`prepare_table`.
    folder
        Run folder (default: ``$CDP_OUTPUT_DIR``; with neither, the table is shown and nothing
        is written; see :func:`output_folder`).

    Returns
    -------
    None
        (Nothing, so that a cell ending with the call shows the table once.) Use
        :func:`prepare_table` for the protected frame itself.
    """
    _check_name(name)
    if not title or not source:
        raise ValueError("a table needs a title and a source")
    if isinstance(notes, str):
        notes = [notes]
    notes = [str(n) for n in (notes or [])]
    threshold = disclosure_threshold(threshold)
    text, values, meta = prepare_table(df, count_columns=count_columns, threshold=threshold, formats=formats,
                                       index=index, by=by, totals=totals, hide_with=hide_with, origin=origin,
                                       show_status=show_status)
    md = table_markdown(text, title=title, source=source, notes=notes, shorthand=meta["shorthand"],
                        numeric=meta["numeric"], threshold=threshold)
    root = output_folder(folder)
    if root is None:  # shown, not saved: the analyst did not ask for files
        _display({"text/markdown": md, "text/plain": md})
        return
    out = root / TABLES
    out.mkdir(parents=True, exist_ok=True)
    csv, js = out / f"{name}.csv", out / f"{name}.json"
    previous = sorted(p.stem for p in out.glob("*.json"))
    order = previous.index(name) + 1 if name in previous else len(previous) + 1
    if js.exists():
        try:
            order = int(json.loads(js.read_text(encoding="utf-8")).get("order", order))
        except (ValueError, OSError):
            pass
    _csv_safe(values).to_csv(csv, index=False, encoding="utf-8")
    js.write_text(json.dumps({
        "name": name,
        "order": order,
        "title": title,
        "source": source,
        "notes": notes,
        "units": dict(units or {}),
        "shorthand": meta["shorthand"],
        "threshold": int(threshold),
        "count_columns": list(count_columns),
        "suppressed": meta["suppressed"],
        "origin": origin,
        "totals": totals if isinstance(totals, str) or totals is None else list(totals),
        "published_counts": meta["published_counts"],
        "applied_threshold": meta["applied_threshold"],
        "hidden_with": meta.get("hidden_with", []),
        "numeric": meta["numeric"],
        "columns": list(values.columns),
    }, indent=2, ensure_ascii=False), encoding="utf-8")
    _display({"text/markdown": md, "text/plain": md})
