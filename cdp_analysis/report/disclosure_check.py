"""Scan produced outputs for disclosive figures: an independent check of disclosure control.

It reads a run folder as a reader would, and reports every figure that gives away a count
from 1 to ``threshold - 1``:

* **table cells**: every table in the tables' CSV, the workbook (``tables.xlsx``), the HTML
  and the Word file; a count column (named in ``tables/<name>.json``) showing a small count;
* **intervals and rates beside [c]**: in a row with a ``[c]``, any number in a column named
  as an interval, limit, rate, ratio, change or per cent, and any number equal to an exact
  Poisson limit of a small count (the upper 95% limit 5.6 beside ``[c]`` is a count of 1);
* **sentences**: the HTML's and Word file's text and the workbook's notes: a small count
  with a count noun ("2 deaths"), a comparison with a small count ("0 ... in 2021 against 1
  in 2020"), an interval that is the exact Poisson interval of a small count;
* **alt text**: the HTML's ``alt`` attributes and Word's image descriptions, with the same
  rules, and "highest 2 in 2004" in a chart of counts;
* **chart text and data**: the text drawn in each SVG (titles, data labels; tick labels
  are the axis scale, not data) and the values each chart draws (``figures/<name>.json``,
  read back from the figure), for charts of counts: a small whole number drawn, or an
  interval ribbon through an exact Poisson limit of a small count;
* **totals**: a single ``[c]`` in a column of a table whose total is published.

It is deliberately separate from the suppression code (:mod:`cdp_analysis.indicators.disclosure`):
its rules are written again here from the policy, so a bypassed or broken suppression is
caught.
"""

from __future__ import annotations

import base64
import json
import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

__all__ = ["scan_outputs", "scan_tree", "scan_text", "COUNT_RE", "COLUMNS"]

COUNT_RE = re.compile(r"^\s*-?[\d,]+(\.0+)?\s*$")
NUMBER_RE = re.compile(r"^\s*-?[\d,]*\.?\d+\s*$")
COLUMNS = ["file", "kind", "table", "row", "column", "value", "problem"]
# names of columns derived from a count: an interval, a limit, a rate, a ratio, a change
DERIVED_NAME = re.compile(r"lower|upper|limit|interval|\brate\b|rate per|ratio|change|diff|per ?cent|%|_95|_99",
                          re.IGNORECASE)
COUNT_NOUNS = (r"deaths?|people|persons?|adults?|young people|children|individuals|clients|arrests?|offences?|"
               r"crimes?|seizures?|placements?|referrals?|admissions?|disruptions?|reoffenders?|presentations?|"
               r"completions?|cases?|suicides?|residents?|users?")
_NOUN_RE = re.compile(rf"\b({COUNT_NOUNS})\b", re.IGNORECASE)
# "2 drug misuse deaths", "3 adults in treatment": a number, up to four words, a count noun
_SMALL_WITH_NOUN = re.compile(rf"(?<![\d.,\-–/])\b(\d+(?:\.0+)?)\s+(?:[A-Za-z][\w-]*\s+){{0,4}}?({COUNT_NOUNS})\b",
                              re.IGNORECASE)
# "... against 1 in 2020", "from 2 in 2019", "compared with 3 in 2022"
_SMALL_AGAINST = re.compile(r"\b(?:against|versus|vs\.?|from|compared with|than|to)\s+(\d[\d,]*(?:\.0+)?)\s+"
                            r"(?:in|during|for)\s+(?:the\s+)?(?:year\s+)?((?:19|20)\d\d\b)", re.IGNORECASE)
# "Rutland: 3 in 2022/23", "2 in 2021": a figure given with its year
_SMALL_IN_YEAR = re.compile(r"(?<![\d.,/\-–])\b(\d+)\s+in\s+((?:19|20)\d\d(?:/\d\d)?)\b")
# a table cell "3 (2022/23)": a figure with its period
_CELL_WITH_PERIOD = re.compile(r"^\s*(\d[\d,]*(?:\.0+)?)\s+\((?:19|20)\d\d")
# alt text of a chart: "highest 2 in 2004", "lowest 1 in 2010", "Latest value (2020): 1"
_EXTREME = re.compile(r"\b(highest|lowest|peak|maximum|minimum|latest value[^:]{0,40}:)\s+(?:of\s+|was\s+)?"
                      r"(\d[\d,]*(?:\.\d+)?)", re.IGNORECASE)
_INTERVAL = re.compile(r"(\d+(?:\.\d+)?)\s*(?:to|-|–)\s*(\d+(?:\.\d+)?)")
_NOT_A_COUNT_BEFORE = re.compile(r"(?:\d\s*(?:to|-|–|and|or)\s*|fewer than\s*|less than\s*|under\s*|below\s*|"
                                 r"at least\s*|over\s*|more than\s*|top\s*|aged?\s*|per\s*|one in\s*|1 in\s*)$",
                                 re.IGNORECASE)


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


def _as_number(text: object) -> float | None:
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        return None if pd.isna(text) else float(text)
    s = str(text).strip()
    return float(s.replace(",", "")) if NUMBER_RE.match(s) else None


def _small(value: float | None, threshold: int) -> bool:
    return value is not None and 0 < value < threshold and float(value).is_integer()


@lru_cache(maxsize=8)
def small_count_limits(threshold: int) -> dict[int, tuple[tuple[float, float], ...]]:
    """Exact (Garwood) Poisson limits of each count 1 to ``threshold - 1``, at 95% and 99.8%.

    A published interval equal to one of these gives its count away. Written here from the
    chi-squared formula, independently of the library's own limits.

    >>> [round(v, 2) for v in small_count_limits(5)[1][0]]
    [0.03, 5.57]
    """
    from scipy.stats import chi2

    out = {}
    for k in range(1, threshold):
        out[k] = tuple((float(chi2.ppf(a / 2, 2 * k) / 2), float(chi2.ppf(1 - a / 2, 2 * k + 2) / 2))
                       for a in (0.05, 0.002))
    return out


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def _is_small_limit(text: str, threshold: int, which: str = "any", levels: tuple[int, ...] = (0, 1)) -> int | None:
    """The small count whose exact Poisson limit ``text`` is (to the decimals shown), else None.

    ``levels``: 0 the 95% limits, 1 the 99.8% limits."""
    v = _as_number(text)
    if v is None:
        return None
    d = _decimals(str(text).strip())
    if d == 0:
        return None  # whole numbers are too coarse to identify a limit
    for k, pairs in small_count_limits(threshold).items():
        for lo, hi in (pairs[i] for i in levels):
            cands = (lo, hi) if which == "any" else ((lo,) if which == "lower" else (hi,))
            if any(round(c, d) == round(v, d) and (d >= 1 and abs(c) >= 10 ** -d) for c in cands):
                return k
    return None


def _is_small_interval(lo_text: str, hi_text: str, threshold: int) -> int | None:
    lo, hi = _as_number(lo_text), _as_number(hi_text)
    if lo is None or hi is None:
        return None
    d = max(_decimals(lo_text), _decimals(hi_text))
    if d == 0:
        return None
    for k, pairs in small_count_limits(threshold).items():
        for a, b in pairs:
            if round(a, d) == round(lo, d) and round(b, d) == round(hi, d):
                return k
    return None


# ----------------------------------------------------------------------------- text

def scan_text(text: str, threshold: int = 5, *, counts_chart: bool = False) -> list[tuple[str, str]]:
    """Disclosive phrases in a sentence or an alt text: ``(phrase, problem)`` pairs.

    Parameters
    ----------
    text
        Sentences as a reader sees them.
    threshold
        Counts from 1 to ``threshold - 1`` are disclosive.
    counts_chart
        The text describes a chart of counts (alt text): "highest 2 in 2004" is disclosive.

    Examples
    --------
    >>> [p for p, _ in scan_text("0 drug misuse deaths registered in 2021 against 1 in 2020.")]
    ['against 1 in 2020']
    >>> [p for p, _ in scan_text("Lowest 0 in 1993; highest 2 in 2004.", counts_chart=True)]
    ['highest 2']
    >>> scan_text("Counts of 1 to 4 deaths are shown as [c]; 12 deaths in 2021; fewer than 3 deaths")
    []
    >>> [p for p, _ in scan_text("3 adults in treatment; interval 0.03 to 5.57")]
    ['3 adults', '0.03 to 5.57']
    >>> [p for p, _ in scan_text("Adults in treatment, Rutland: 3 in 2022/23 against a target of 6")]
    ['3 in 2022/23']
    """
    found: list[tuple[str, str]] = []
    for m in _SMALL_WITH_NOUN.finditer(text):
        v = float(m.group(1))
        before = text[max(0, m.start() - 14):m.start()]
        if _small(v, threshold) and not _NOT_A_COUNT_BEFORE.search(before) \
                and not re.match(r"\s*(?:per|in every|out of)\b", text[m.end():m.end() + 12]):
            found.append((f"{m.group(1)} {m.group(2)}", f"a count below {threshold} in words"))
    for m in _SMALL_AGAINST.finditer(text):
        if _small(float(m.group(1).replace(",", "")), threshold):
            found.append((m.group(0).strip(), f"a count below {threshold} in a comparison"))
    for m in _SMALL_IN_YEAR.finditer(text):
        before = text[max(0, m.start() - 14):m.start()]
        if _small(float(m.group(1)), threshold) and not _NOT_A_COUNT_BEFORE.search(before) \
                and not re.search(r"(?:against|versus|vs\.?|from|compared with|than|to|top|rank(?:ed)?|"
                                  r"table|figure|note|step|phase|quarter|Q|highest|lowest|peak|maximum|minimum|"
                                  r"target of)\s*$", before, re.IGNORECASE):
            found.append((m.group(0), f"a count below {threshold} given with its year"))
    if counts_chart:
        for m in _EXTREME.finditer(text):
            v = float(m.group(2).replace(",", ""))
            if _small(v, threshold):
                found.append((f"{m.group(1)} {m.group(2)}", f"a count below {threshold} named in a chart's text"))
    for m in _INTERVAL.finditer(text):
        k = _is_small_interval(m.group(1), m.group(2), threshold)
        if k is not None:
            found.append((m.group(0), f"the exact Poisson interval of a count of {k}"))
    return found


def _counts_measure(text: str) -> bool:
    """Whether a chart's measure (its alt text or y label) is a count, not a rate or share.

    >>> _counts_measure("Line chart of deaths registered from 1993 to 2021, with shaded 95% confidence intervals.")
    True
    >>> _counts_measure("Funnel plot of deaths per 100,000 against population"), _counts_measure("Per cent")
    (False, False)
    """
    head = text.split(".")[0]
    m = re.search(r"\bchart of (.*?)(?: from | against | for | by |,|$)", head)
    measure = m.group(1) if m else head
    return bool(_NOUN_RE.search(measure)) and not re.search(r"\bper\b|%|per cent|rate|ratio|proportion|share",
                                                             measure, re.IGNORECASE)


# ----------------------------------------------------------------------------- tables

def _tables_meta(folder: Path) -> list[dict]:
    out = []
    for js in sorted((folder / "tables").glob("*.json")):
        meta = json.loads(js.read_text(encoding="utf-8"))
        if "columns" in meta:
            out.append(meta)
    return out


def _exempt(meta: dict | None, published_counts: str) -> bool:
    """A table of an openly published source, under a policy that shows published counts."""
    return bool(meta) and published_counts == "show" and meta.get("origin") == "published"


def _check_frame(df: pd.DataFrame, meta: dict | None, where: str, threshold: int, kind: str,
                 published_counts: str) -> list[dict]:
    found = []
    name = meta["name"] if meta else ""
    counts = [c for c in (meta or {}).get("count_columns", []) if c in df.columns]
    if not _exempt(meta, published_counts):
        for col in counts:
            for i, cell in enumerate(df[col].tolist()):
                if _small(_as_count(cell), threshold):
                    found.append({"file": where, "kind": kind, "table": name, "row": i + 1, "column": col,
                                  "value": cell, "problem": f"count below {threshold} shown"})
    # a figure with its period ("3 (2022/23)"), in any column: a count in a table written as text
    if not _exempt(meta, published_counts):
        for col in df.columns:
            if re.search(r"year|period|month|date|target", str(col), re.IGNORECASE):
                continue  # a target is not a count of people
            for i, cell in enumerate(df[col].tolist()):
                m = _CELL_WITH_PERIOD.match(str(cell)) if isinstance(cell, str) else None
                if m and _small(float(m.group(1).replace(",", "")), threshold):
                    found.append({"file": where, "kind": "table cell", "table": name, "row": i + 1,
                                  "column": str(col), "value": cell,
                                  "problem": f"count below {threshold} shown with its period"})
    # figures beside a [c]: its interval, its rate, its change
    cols = [str(c) for c in df.columns]
    for i, row in enumerate(df.itertuples(index=False)):
        cells = [("" if v is None else str(v)).strip() for v in row]
        if "[c]" not in cells:
            continue
        hidden_cols = {cols[j] for j, v in enumerate(cells) if v == "[c]"}
        for j, v in enumerate(cells):
            if cols[j] in hidden_cols or cols[j] in counts or _as_number(v) is None:
                continue
            k = _is_small_limit(v, threshold)
            if DERIVED_NAME.search(cols[j]) and not re.search(r"year|period|month|date", cols[j], re.IGNORECASE):
                found.append({"file": where, "kind": "interval beside [c]", "table": name, "row": i + 1,
                              "column": cols[j], "value": v,
                              "problem": "a figure derived from a hidden count is shown beside its [c]"
                              + (f" (the exact Poisson limit of a count of {k})" if k else "")})
            elif k is not None:
                found.append({"file": where, "kind": "interval beside [c]", "table": name, "row": i + 1,
                              "column": cols[j], "value": v,
                              "problem": f"beside a [c]: the exact Poisson limit of a count of {k}"})
    return found


def _html_parts(path: Path):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    for tag in soup.find_all(["script", "style"]):
        tag.decompose()
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
    alts, svgs = [], []
    for img in soup.find_all("img"):
        alts.append(img.get("alt") or "")
        src = img.get("src") or ""
        if src.startswith("data:image/svg+xml;base64,"):
            svgs.append(base64.b64decode(src.split(",", 1)[1]).decode("utf-8", "replace"))
    for table in soup.find_all("table"):
        table.decompose()
    for code in soup.find_all(["pre", "code"]):  # analysts' code cells, if shown, are not sentences
        code.decompose()
    paragraphs = [p.get_text(" ", strip=True) for p in soup.find_all(["p", "li", "h1", "h2", "h3", "h4"])]
    return frames, alts, svgs, paragraphs


def _docx_parts(path: Path):
    import docx

    doc = docx.Document(str(path))
    frames = []
    for table in doc.tables:
        rows = [[c.text.strip() for c in r.cells] for r in table.rows]
        if len(rows) >= 2 and all(len(r) == len(rows[0]) for r in rows):
            frames.append(pd.DataFrame(rows[1:], columns=rows[0]))
    alts = []
    for el in doc.element.body.iter():
        if el.tag.endswith("}docPr"):
            alts.append(el.get("descr") or "")
    paragraphs = [p.text for p in doc.paragraphs]
    return frames, alts, paragraphs


def _xlsx_parts(path: Path, metas: list[dict]) -> tuple[list[tuple[str, pd.DataFrame, dict]], list[tuple[str, str]]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    found, texts = [], []
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        used: set[int] = set()
        for i, row in enumerate(rows):
            head = tuple("" if v is None else str(v).strip() for v in row)
            trimmed = tuple(h for h in head if h)
            # gptables may add shorthand notes and units to headers: match on the leading text
            for meta in metas:
                cols = tuple(meta["columns"])
                if len(trimmed) >= len(cols) and all(t.startswith(c) for t, c in zip(trimmed, cols, strict=False)):
                    body = []
                    for j, r in enumerate(rows[i + 1:], start=i + 1):
                        if not any(v is not None for v in r[: len(cols)]):
                            break
                        body.append(r[: len(cols)])
                        used.add(j)
                    used.add(i)
                    found.append((ws.title, pd.DataFrame(body, columns=list(cols)), meta))
                    break
        for i, row in enumerate(rows):
            if i in used:
                continue
            for v in row:
                if isinstance(v, str) and v.strip():
                    texts.append((ws.title, v))
    wb.close()
    return found, texts


def _matching_meta(df: pd.DataFrame, metas: list[dict]) -> dict | None:
    for meta in metas:
        if [str(c) for c in df.columns] == [str(c) for c in meta["columns"]]:
            return meta
    return None


# ----------------------------------------------------------------------------- charts

_SVG_GROUP = re.compile(r'<g id="([a-z]+)_?\d*"[^>]*>|<!-- (.*?) -->', re.DOTALL)


def _svg_texts(svg: str) -> list[tuple[str, bool]]:
    """Every text an SVG draws (matplotlib writes each as a comment), with whether it is a
    tick label (the axis scale) rather than a label on the data."""
    out, group, tick = [], "", False
    for m in _SVG_GROUP.finditer(svg):
        if m.group(1):
            group = m.group(1)
            if group in ("xtick", "ytick"):
                tick = True
            elif group not in ("text", "line2d", "path", "patch"):
                tick = False
        elif m.group(2) is not None:
            out.append((m.group(2).strip(), tick and group == "text"))
            if group == "text":
                tick = False
    return out


_PATH_NUM = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _path_ys(d: str) -> list[float]:
    """The y coordinates of an SVG path of straight segments (``M x y L x y ... z``)."""
    nums = [float(v) for v in _PATH_NUM.findall(d or "")]
    return nums[1::2]


def svg_drawn_values(svg: str) -> dict[str, list[list[float]]]:
    """The values a matplotlib SVG draws, read from the drawing itself: each line's and each
    shaded band's y coordinates converted to data units through the y axis's tick labels.

    Returns ``{"lines": [...], "ribbons": [...]}`` (empty when the y axis has fewer than two
    numeric tick labels, so no scale can be read).
    """
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(svg, parser=ET.XMLParser(target=ET.TreeBuilder(insert_comments=True)))
    except ET.ParseError:
        return {"lines": [], "ribbons": []}

    def local(tag: object) -> str:
        return tag.split("}")[-1] if isinstance(tag, str) else "#comment"

    ticks: list[tuple[float, float]] = []
    lines: list[list[float]] = []
    ribbons: list[list[float]] = []

    def walk(el, in_tick: bool) -> None:
        gid = el.get("id") or ""
        if local(el.tag) == "g" and gid.startswith("ytick"):
            label = next((c.text for c in el.iter() if local(c.tag) == "#comment"), None)
            value = _as_number(label.strip()) if label else None
            path = next((c for c in el.iter() if local(c.tag) == "path" and c.get("d")), None)
            use = next((c for c in el.iter() if local(c.tag) == "use" and c.get("y")), None)
            ys = _path_ys(path.get("d")) if path is not None else ([float(use.get("y"))] if use is not None else [])
            if value is not None and ys:
                ticks.append((ys[0], value))
            return
        if local(el.tag) == "g" and (gid.startswith("xtick") or gid.startswith("text") or gid.startswith("legend")):
            return
        if local(el.tag) == "g" and gid.startswith("line2d") and not in_tick:
            for c in el:
                if local(c.tag) == "path" and c.get("d"):
                    lines.append(_path_ys(c.get("d")))
            return
        if local(el.tag) == "g" and "PolyCollection" in gid:
            shift = 0.0
            use = next((c for c in el.iter() if local(c.tag) == "use" and c.get("y")), None)
            if use is not None:
                shift = float(use.get("y"))
            for c in el.iter():
                if local(c.tag) == "path" and c.get("d"):
                    ribbons.append([y + shift for y in _path_ys(c.get("d"))])
            return
        for c in el:
            walk(c, in_tick)

    walk(root, False)
    if len({v for _, v in ticks}) < 2:
        return {"lines": [], "ribbons": []}
    import numpy as np

    px = np.array([p for p, _ in ticks])
    val = np.array([v for _, v in ticks])
    slope, intercept = np.polyfit(px, val, 1)

    def conv(ys: list[float]) -> list[float]:
        return [float(intercept + slope * y) for y in ys]

    return {"lines": [conv(v) for v in lines], "ribbons": [conv(v) for v in ribbons]}


def _near_small(v: float, threshold: int) -> bool:
    r = round(v)
    return 0 < r < threshold and abs(v - r) < 0.01


def _check_svg(svg: str, where: str, threshold: int, counts_chart: bool) -> list[dict]:
    found = []
    texts = _svg_texts(svg)
    sentence = " ".join(t for t, is_tick in texts if not is_tick)
    for phrase, problem in scan_text(sentence, threshold, counts_chart=counts_chart):
        found.append({"file": where, "kind": "chart text", "table": "", "row": None, "column": "", "value": phrase,
                      "problem": problem})
    if counts_chart:
        for t, is_tick in texts:
            if not is_tick and _small(_as_count(t), threshold):
                found.append({"file": where, "kind": "chart text", "table": "", "row": None, "column": "",
                              "value": t, "problem": f"a count below {threshold} labelled on the chart"})
        drawn = svg_drawn_values(svg)
        for ys in drawn["lines"]:
            small = [round(v, 2) for v in ys if _near_small(v, threshold)]
            if small:
                found.append({"file": where, "kind": "chart data", "table": "", "row": None, "column": "line",
                              "value": small[0], "problem": f"a count below {threshold} drawn ({len(small)} points)"})
        for ys in drawn["ribbons"]:
            k = next((k for k in (_is_small_limit(f"{v:.2f}", threshold, which="upper", levels=(0,)) for v in ys)
                      if k), None)
            if k:
                found.append({"file": where, "kind": "chart data", "table": "", "row": None, "column": "ribbon",
                              "value": "", "problem": f"an interval drawn to the exact Poisson limit of a count "
                                                      f"of {k}"})
    return found


def _check_chart_data(data: dict, where: str, threshold: int, published_counts: str) -> list[dict]:
    if published_counts == "show" and data.get("origin") == "published":
        return []
    found = []
    for ax in data.get("axes", []):
        declared = data.get("counts")
        is_counts = bool(declared) if declared is not None else _counts_measure(ax.get("y_label", ""))
        if not is_counts:
            continue
        for kind, series in (("line", ax.get("lines", [])), ("points", ax.get("points", []))):
            for s in series:
                if str(s.get("label", "")).lower().startswith("forecast"):
                    continue  # a forecast is a model's mean, not a published count
                small = [v for v in s.get("y", []) if v is not None and _small(round(v, 6), threshold)]
                if small:
                    found.append({"file": where, "kind": "chart data", "table": "", "row": None,
                                  "column": f"{kind} {s.get('label', '')}".strip(), "value": small[0],
                                  "problem": f"a count below {threshold} drawn ({len(small)} values)"})
        for s in ax.get("ribbons", []):
            for v in s.get("y", []):
                if v is None:
                    continue
                k = _is_small_limit(f"{v:.2f}", threshold, which="upper", levels=(0,))
                if k is not None:
                    found.append({"file": where, "kind": "chart data", "table": "", "row": None, "column": "ribbon",
                                  "value": round(v, 2),
                                  "problem": f"an interval drawn to the exact Poisson limit of a count of {k}"})
                    break
        for b in ax.get("bars", []):
            # a bar's length is its value (height upright, width lying down); its thickness is a fraction
            small = [v for v in (b.get("height"), b.get("width")) if v is not None and _small(round(abs(v), 6),
                                                                                             threshold)]
            if small:
                found.append({"file": where, "kind": "chart data", "table": "", "row": None, "column": "bar",
                              "value": small[0], "problem": f"a bar of a count below {threshold} drawn"})
    return found


# ----------------------------------------------------------------------------- the scan

def _finding(where: str, kind: str, value: str, problem: str) -> dict:
    return {"file": where, "kind": kind, "table": "", "row": None, "column": "", "value": value, "problem": problem}


def scan_outputs(folder: str | Path, threshold: int = 5, published_counts: str = "suppress") -> pd.DataFrame:
    """Every disclosive figure in the outputs of one run folder.

    Parameters
    ----------
    folder
        A run folder (``reports/<period>/<area>/``) holding ``tables/``, ``figures/``, HTML,
        Word and ``tables.xlsx``.
    threshold
        The policy: a count from 1 to ``threshold - 1`` is disclosive (default 5).
    published_counts
        ``"suppress"`` (default) or ``"show"``: under ``"show"``, small counts of tables and
        charts marked as openly published (ONS deaths by local authority) and sentences about
        registered deaths are allowed; local returns never are.

    Returns
    -------
    pandas.DataFrame
        ``file, kind, table, row, column, value, problem``; empty when nothing is disclosive.
        ``kind`` is one of ``table cell``, ``interval beside [c]``, ``total``, ``sentence``,
        ``alt text``, ``chart text``, ``chart data``.
    """
    folder = Path(folder)
    metas = _tables_meta(folder)
    found: list[dict] = []
    figures = folder / "figures"
    sidecars = {}
    for side in sorted(figures.glob("*.json")) if figures.is_dir() else []:
        try:
            sidecars[side] = json.loads(side.read_text(encoding="utf-8"))
        except ValueError:
            found.append(_finding(str(side.relative_to(folder)), "chart data", "", "chart data file unreadable"))
    # charts of openly published counts, by alt text (how the HTML and Word images are matched to them)
    published_alts = {" ".join(str(d.get("alt", "")).split()) for d in sidecars.values()
                      if published_counts == "show" and d.get("origin") == "published"}

    def exempt_image(alt: str) -> bool:
        return " ".join(alt.split()) in published_alts

    def text_findings(text: str, where: str, kind: str, counts_chart: bool = False) -> None:
        if published_counts == "show" and re.search(r"registered|registration", text, re.IGNORECASE):
            return
        for phrase, problem in scan_text(text, threshold, counts_chart=counts_chart):
            found.append(_finding(where, kind, phrase, problem))

    for meta in metas:
        csv = folder / "tables" / f"{meta['name']}.csv"
        if not csv.exists():
            continue
        df = pd.read_csv(csv, dtype=str, keep_default_na=False)
        where = str(csv.relative_to(folder))
        found += _check_frame(df, meta, where, threshold, "table cell", published_counts)
        if _exempt(meta, published_counts):
            continue
        for col in meta.get("count_columns", []):
            if col in df.columns:
                hidden = df[col].isin(["", "[c]"]).sum()
                published_total = meta.get("totals", "group") not in (None, "none")
                if hidden == 1 and len(df) > 1 and published_total:
                    found.append({"file": where, "kind": "total", "table": meta["name"], "row": None, "column": col,
                                  "value": "[c]", "problem": "a single suppressed cell in a column: recoverable "
                                                             "from a total"})
    for html in sorted(folder.glob("*.html")):
        frames, alts, svgs, paragraphs = _html_parts(html)
        for df in frames:
            found += _check_frame(df, _matching_meta(df, metas), html.name, threshold, "table cell", published_counts)
        for alt in alts:
            if not exempt_image(alt):
                text_findings(alt, html.name, "alt text", counts_chart=_counts_measure(alt))
        for k, svg in enumerate(svgs):
            alt = alts[k] if k < len(alts) else ""
            if not exempt_image(alt):
                found += _check_svg(svg, f"{html.name}: image {k + 1}", threshold, _counts_measure(alt))
        for p in paragraphs:
            text_findings(p, html.name, "sentence")
    for doc in sorted(folder.glob("*.docx")):
        frames, alts, paragraphs = _docx_parts(doc)
        for df in frames:
            found += _check_frame(df, _matching_meta(df, metas), doc.name, threshold, "table cell", published_counts)
        for alt in alts:
            if not exempt_image(alt):
                text_findings(alt, doc.name, "alt text", counts_chart=_counts_measure(alt))
        for p in paragraphs:
            text_findings(p, doc.name, "sentence")
    xlsx = folder / "tables.xlsx"
    if xlsx.exists():
        tables, texts = _xlsx_parts(xlsx, metas)
        for sheet, df, meta in tables:
            found += _check_frame(df, meta, f"tables.xlsx:{sheet}", threshold, "table cell", published_counts)
        for sheet, text in texts:
            text_findings(text, f"tables.xlsx:{sheet}", "sentence")
    for svg in sorted(figures.glob("*.svg")) if figures.is_dir() else []:
        side = svg.with_suffix(".json")
        data = sidecars.get(side, {})
        y_labels = " ".join(a.get("y_label", "") for a in data.get("axes", []))
        counts_chart = bool(data.get("counts")) if data.get("counts") is not None else _counts_measure(y_labels)
        if not (published_counts == "show" and data.get("origin") == "published"):
            found += _check_svg(svg.read_text(encoding="utf-8"), str(svg.relative_to(folder)), threshold, counts_chart)
        if data:
            found += _check_chart_data(data, str(side.relative_to(folder)), threshold, published_counts)
            if data.get("alt") and not exempt_image(data["alt"]):
                text_findings(data["alt"], str(side.relative_to(folder)), "alt text",
                              counts_chart=counts_chart or _counts_measure(data["alt"]))
    out = pd.DataFrame(found, columns=COLUMNS)
    return out.drop_duplicates(subset=["file", "kind", "row", "column", "value"]).reset_index(drop=True)


def scan_tree(root: str | Path, threshold: int = 5, published_counts: str = "suppress") -> pd.DataFrame:
    """:func:`scan_outputs` over every run folder under ``root`` (folders holding ``tables/``)."""
    frames = [scan_outputs(p.parent, threshold, published_counts).assign(folder=str(p.parent))
              for p in Path(root).rglob("tables") if p.is_dir()]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=[*COLUMNS, "folder"])
    return pd.concat(frames, ignore_index=True)
