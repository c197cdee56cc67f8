"""The one checker of printed figures: is a report's derived figure right for its own inputs?

A printed report derives figures from the ones it holds: a year-end projection from the
figure to date, a change on last year from the projection, a status against a target. This
module recomputes each and judges the printed one, with one rule everywhere (the audit,
``cdp audit``, and the progress report's table use it alike):

* a figure is compared **at the precision it was printed with**, rounded half away from
  zero as people round (``7.47`` printed as ``7.5`` agrees; as ``7.4`` it is a truncation);
* **each printed figure is judged against the printed figures it was made from**: the
  change against the *printed* projection when there is one, so one slip is reported once,
  where it happened, and not again in every figure downstream of it (a note says what the
  change would have been from the recomputed projection);
* a difference is classified (truncation, digit transposition, typo, wrong base period,
  change in points, arithmetic error) by looking for the one slip that explains it.

:func:`check_projection`, :func:`check_change` and :func:`check_status` add rows to a
:class:`Findings` collection; :func:`agreement` turns the findings
into the verdict a table shows beside a printed figure: agrees, differs, or cannot be
checked. The classification is documented in :mod:`cdp_analysis.audit`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

from cdp_analysis.errors import CdpError
from cdp_analysis.formatting import decimals_shown as printed_decimals
from cdp_analysis.formatting import fmt_printed as _fmt
from cdp_analysis.periods import Period

__all__ = [
    "FINDING_COLUMNS",
    "SEVERITIES",
    "MetricInfo",
    "Findings",
    "is_blank",
    "round_half_up",
    "truncate",
    "compare_printed",
    "digit_variants",
    "check_projection",
    "check_change",
    "check_status",
    "agreement",
]

FINDING_COLUMNS: tuple[str, ...] = (
    "metric_id",
    "area_code",
    "period",
    "check",
    "published",
    "recomputed",
    "severity",
    "message",
)
SEVERITIES: tuple[str, ...] = ("error", "warning", "note")
_ON = {"on track", "on-track", "ontrack", "met", "achieved", "ahead", "ahead of target", "green"}
_OFF = {"off track", "off-track", "not on track", "behind", "at risk", "not met", "red"}


# --------------------------------------------------------------------------- numbers
def _dec(x: float) -> Decimal:
    # Round away binary noise (259 / 0.25 = 1036.0000000001) before deciding precision.
    return Decimal(repr(round(float(x), 9)))


def _quantize(x: float, decimals: int, mode: str) -> float:
    return float(_dec(x).quantize(Decimal(1).scaleb(-decimals), rounding=mode))


def round_half_up(x: float, decimals: int) -> float:
    """Round as a printed report does (halves away from zero), not to even.

    >>> round_half_up(2.5, 0), round_half_up(7.45, 1), round_half_up(-7.45, 1)
    (3.0, 7.5, -7.5)
    """
    return _quantize(x, decimals, ROUND_HALF_UP)


def truncate(x: float, decimals: int) -> float:
    """Cut a number to ``decimals`` places without rounding (towards zero).

    >>> truncate(7.4688, 1), truncate(-7.4688, 1), truncate(95024.9, 0)
    (7.4, -7.4, 95024.0)
    """
    return _quantize(x, decimals, ROUND_DOWN)


def compare_printed(published: float, recomputed: float, decimals: int | None = None) -> str:
    """Compare a printed figure with its recomputation at the printed precision.

    Parameters
    ----------
    published
        The figure as printed.
    recomputed
        The figure recomputed at full precision.
    decimals
        Printed decimal places; read from ``published`` when omitted.

    Returns
    -------
    str
        ``"match"`` (equal once rounded half-up to the printed precision),
        ``"truncation"`` (equal to the recomputed figure truncated but not rounded) or
        ``"mismatch"``.

    Examples
    --------
    >>> compare_printed(7.5, 7.4688), compare_printed(7.4, 7.4688), compare_printed(6.9, 7.4468)
    ('match', 'truncation', 'mismatch')
    >>> compare_printed(94304, 95024)
    'mismatch'
    """
    if not (math.isfinite(published) and math.isfinite(recomputed)):
        return "mismatch"
    d = printed_decimals(published) if decimals is None else decimals
    tol = 1e-9 * max(1.0, abs(published))
    if abs(round_half_up(recomputed, d) - published) <= tol:
        return "match"
    if abs(truncate(recomputed, d) - published) <= tol:
        return "truncation"
    return "mismatch"


def digit_variants(x: float, decimals: int | None = None) -> list[tuple[float, str]]:
    """Numbers one slip of the keyboard away from ``x`` as printed.

    Parameters
    ----------
    x
        The number.
    decimals
        Decimal places it is printed with; read from ``x`` when omitted.

    Returns
    -------
    list of (float, str)
        Each variant with its kind: ``"transposition"`` (two adjacent digits swapped)
        first, then ``"typo"`` (one digit replaced). Variants with a new leading zero
        are left out.

    Examples
    --------
    >>> [v for v, kind in digit_variants(23756) if kind == "transposition"]
    [32756.0, 27356.0, 23576.0, 23765.0]
    >>> len([v for v, kind in digit_variants(7.4) if kind == "typo"])
    18
    """
    d = printed_decimals(x) if decimals is None else decimals
    text = f"{abs(x):.{d}f}"
    sign = -1.0 if x < 0 else 1.0
    positions = [i for i, ch in enumerate(text) if ch.isdigit()]
    n_int = text.index(".") if "." in text else len(text)

    def ok(chars: list[str]) -> bool:
        return not (n_int > 1 and chars[0] == "0")

    out: list[tuple[float, str]] = []
    seen = {text}
    for a, b in zip(positions, positions[1:], strict=False):
        if text[a] == text[b]:
            continue
        chars = list(text)
        chars[a], chars[b] = chars[b], chars[a]
        new = "".join(chars)
        if ok(chars) and new not in seen:
            seen.add(new)
            out.append((sign * float(new), "transposition"))
    for i in positions:
        for digit in "0123456789":
            if digit == text[i]:
                continue
            chars = list(text)
            chars[i] = digit
            new = "".join(chars)
            if ok(chars) and new not in seen:
                seen.add(new)
                out.append((sign * float(new), "typo"))
    return out


def _pct(x: float, decimals: int) -> str:
    return f"{x:.{decimals}f}%"


def _beyond(x: float, decimals: int) -> int:
    """Decimals enough to show why ``x`` truncates, not rounds, to ``decimals`` places.

    >>> _beyond(7.4688, 1), _beyond(38.8976, 1)
    (2, 3)
    """
    target = truncate(x, decimals)
    for k in range(decimals + 1, decimals + 6):
        if truncate(round_half_up(x, k), decimals) == target:
            return k
    return decimals + 6


# --------------------------------------------------------------------------- the checks
@dataclass(frozen=True)
class MetricInfo:
    """What the checks need to know of a metric (from the catalogue, or defaults when it is not there)."""

    unit: str
    polarity: str
    year_basis: str | None  # None: infer from the period label
    projection: str
    known: bool


def is_blank(x: Any) -> bool:
    """Whether a cell is empty (None, NaN or only spaces)."""
    return x is None or (isinstance(x, float) and math.isnan(x)) or (isinstance(x, str) and not x.strip())


class Findings:
    """The findings of the checks, in file order (``frame()`` gives them as a table)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, row: Mapping[str, Any] | pd.Series, check: str, severity: str, message: str,
            published: Any = None, recomputed: Any = None, order: int | None = None) -> None:
        if isinstance(recomputed, float) and math.isfinite(recomputed):
            recomputed = round(recomputed, 6)
        self.rows.append({
            "metric_id": row["metric_id"], "area_code": row["area_code"], "period": row["period"],
            "check": check, "published": published, "recomputed": recomputed,
            "severity": severity, "message": message,
            "_order": row["_row"] if order is None else order,
        })

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=[*FINDING_COLUMNS, "_order"])
        df = df.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
        for col in ("published", "recomputed"):
            df[col] = df[col].astype(object)
        return df


def _explain(
    published: float,
    recompute: Callable[[float], float],
    value: float,
    recomputed: float,
    describe_input: Callable[[float], str],
    describe_output: Callable[[float], str],
) -> tuple[str, str] | None:
    """Look for one digit slip that explains a printed figure.

    Tries adjacent transpositions, then single-digit typos, first of the input value (does
    the printed figure follow from a mistyped input?) and then of the printed figure (is it
    the right figure mistyped?). Returns (kind, message) or None.
    """
    d_pub = printed_decimals(published)
    input_variants = digit_variants(value) if math.isfinite(value) else []
    output_variants = digit_variants(published)
    for kind in ("transposition", "typo"):
        fits = [v for v, k in input_variants if k == kind and compare_printed(published, recompute(v), d_pub) == "match"]
        if fits:
            names = " or ".join(describe_input(v) for v in fits[:3])
            return kind, names
        fits = [v for v, k in output_variants if k == kind and compare_printed(v, recomputed, d_pub) == "match"]
        if fits:
            return kind, "the printed figure looks like " + (
                "a transposition" if kind == "transposition" else "a typo") + " of " + describe_output(fits[0])
    return None


def check_projection(row: pd.Series, info: MetricInfo, basis: str, out: Findings) -> float | None:
    """Check ``published_projection``; return the projection the change should start from."""
    period: Period = row["_period"]
    value, published = row["value"], row["published_projection"]
    try:
        fraction = period.fraction_elapsed(basis)  # type: ignore[arg-type]
    except CdpError:
        if not math.isnan(published):
            out.add(row, "projection_unverifiable", "note",
                    f"cannot be recomputed: {period} is not inside one {basis} year",
                    published=published)
        return None if math.isnan(published) else published
    if math.isnan(value):
        if not math.isnan(published):
            out.add(row, "projection_unverifiable", "note", "cannot be recomputed: the value is missing",
                    published=published)
        return None
    recomputed = value / fraction
    if math.isnan(published):
        return recomputed
    unit = info.unit
    d = printed_decimals(published)
    how = "a whole year projects to itself" if fraction == 1 else (
        f"{_fmt(value, unit)} x {_num(1 / fraction)}" if (1 / fraction).is_integer()
        else f"{_fmt(value, unit)} / {fraction:.4g}")
    verdict = compare_printed(published, recomputed, d)
    if verdict == "match":
        return published
    if verdict == "truncation":
        out.add(row, "projection_truncation", "warning",
                f"published {_fmt(published, unit, d)} is {how} = {_fmt(recomputed, unit, _beyond(recomputed, d))} "
                f"truncated, not rounded ({_fmt(round_half_up(recomputed, d), unit, d)})",
                published=published, recomputed=recomputed)
        return published
    share = {0.25: "a quarter", 0.5: "a half year", 0.75: "three quarters", 1.0: "a year"}.get(
        fraction, f"{period.n_months} months")
    explained = _explain(
        published, lambda v: v / fraction, value, recomputed,
        describe_input=lambda v: f"{share} of {_fmt(v, unit, printed_decimals(value))} would fit",
        describe_output=lambda v: _fmt(v, unit, d),
    )
    base = f"published {_fmt(published, unit, d)} is not {how} = {_fmt(recomputed, unit, d)}"
    if explained is not None:
        kind, detail = explained
        label = "transposition" if kind == "transposition" else "typo"
        out.add(row, f"projection_{label}", "error",
                f"{base}: likely {'digit ' if kind == 'transposition' else ''}{label} ({detail})",
                published=published, recomputed=recomputed)
    else:
        out.add(row, "projection_arithmetic", "error", f"{base}: arithmetic error",
                published=published, recomputed=recomputed)
    if info.projection == "seasonal":
        out.add(row, "projection_method", "note",
                "the catalogue projects this metric by seasonal share; the audit checked the run rate",
                published=published, recomputed=recomputed)
    return published


def _num(x: float) -> str:
    return f"{x:g}"


def _find(rows: pd.DataFrame, metric: str, area: str, period: Period) -> pd.Series | None:
    hit = rows[(rows["metric_id"] == metric) & (rows["area_code"] == area) & (rows["period"] == str(period))]
    hit = hit[hit["value"].notna()]
    return None if hit.empty else hit.iloc[0]


def check_change(row: pd.Series, info: MetricInfo, basis: str, start: float | None,
                  own_projection: float | None, df: pd.DataFrame, out: Findings) -> None:
    published = row["published_change_pct"]
    if math.isnan(published):
        return
    period: Period = row["_period"]
    unit = info.unit
    d = printed_decimals(published)
    try:
        year = period if period.is_year else period.containing_year(basis)  # type: ignore[arg-type]
    except CdpError:
        out.add(row, "change_unverifiable", "note",
                f"cannot be recomputed: {period} is not inside one {basis} year", published=published)
        return
    base_period = year.previous_year()
    base_row = _find(df, row["metric_id"], row["area_code"], base_period)
    if base_row is None:
        out.add(row, "change_no_base", "note",
                f"cannot be recomputed: the base ({base_period}) is not in the returns", published=published)
        return
    if start is None or not math.isfinite(start):
        out.add(row, "change_unverifiable", "note", "cannot be recomputed: no figure for this year",
                published=published)
        return
    base = base_row["value"]
    if base == 0:
        out.add(row, "change_unverifiable", "note", f"cannot be recomputed: the base ({base_period}) is 0",
                published=published)
        return

    def change(cur: float, b: float = base) -> float:
        return (cur - b) / b * 100

    recomputed = change(start)
    what = f"{_fmt(start, unit, 0 if float(start).is_integer() else 2)} against {_fmt(base, unit)} in {base_period}"
    verdict = compare_printed(published, recomputed, d)
    if verdict == "match":
        if own_projection is not None and math.isfinite(own_projection) and \
                compare_printed(start, own_projection) != "match":
            alt = change(own_projection)
            if compare_printed(published, alt, d) != "match":
                out.add(row, "change_follows_projection", "note",
                        f"{_pct(published, d)} is right for the printed projection {_fmt(start, unit)}; "
                        f"from {_fmt(own_projection, unit, 0)} it would be {_pct(alt, d + 1)}",
                        published=published, recomputed=alt)
        return
    if verdict == "truncation":
        out.add(row, "change_truncation", "warning",
                f"published {_pct(published, d)} is {_pct(recomputed, _beyond(recomputed, d))} ({what}) truncated, "
                f"not rounded ({_pct(round_half_up(recomputed, d), d)})",
                published=published, recomputed=recomputed)
        return
    # Right from the recomputed projection: only the printed projection is wrong (reported there).
    if own_projection is not None and math.isfinite(own_projection) and \
            compare_printed(start, own_projection) != "match":
        alt = change(own_projection)
        alt_verdict = compare_printed(published, alt, d)
        if alt_verdict == "truncation":
            out.add(row, "change_truncation", "warning",
                    f"published {_pct(published, d)} is {_pct(alt, _beyond(alt, d))} (from the recomputed projection "
                    f"{_fmt(own_projection, unit, 0)}, not the printed {_fmt(start, unit)}) truncated, "
                    f"not rounded ({_pct(round_half_up(alt, d), d)})",
                    published=published, recomputed=alt)
            return
        if alt_verdict == "match":
            out.add(row, "change_follows_projection", "note",
                    f"{_pct(published, d)} fits the recomputed projection {_fmt(own_projection, unit, 0)} "
                    f"not the printed "
                    f"{_fmt(start, unit)}, which would give {_pct(recomputed, d + 1)}",
                    published=published, recomputed=alt)
            return
    # The wrong base: another period of this metric and area as the base.
    value = row["value"]
    same = df[(df["metric_id"] == row["metric_id"]) & (df["area_code"] == row["area_code"])
              & df["value"].notna() & (df["_row"] != row["_row"]) & (df["_row"] != base_row["_row"])]
    for _, other in same.iterrows():
        q: Period = other["_period"]
        b = other["value"]
        if b == 0:
            continue
        if q.n_months == period.n_months and math.isfinite(value) and q != period:
            cur, how = value, f"{_fmt(value, unit)} in {period}"
        elif q.is_year:
            cur, how = start, _fmt(start, unit, 0 if float(start).is_integer() else 2)
        else:
            continue
        if compare_printed(published, change(cur, b), d) == "match":
            out.add(row, "change_wrong_base", "error",
                    f"published {_pct(published, d)} fits {how} against {q} ({_fmt(b, unit)}), "
                    f"not against {base_period} ({_fmt(base, unit)}), which gives {_pct(recomputed, d + 1)}",
                    published=published, recomputed=recomputed)
            return
    # A slip of one digit: in the input value (only when no projection was printed) or in
    # the printed change itself.
    if math.isnan(row["published_projection"]) and math.isfinite(value) and start != value:
        factor = start / value if value else float("nan")
        project: Callable[[float], float] = lambda v: change(v * factor)  # noqa: E731
    elif start == value:
        project = change
    else:
        project = None  # type: ignore[assignment]
    explained = _explain(
        published, project if project is not None else (lambda v: float("nan")),
        value if project is not None else float("nan"), recomputed,
        describe_input=lambda v: f"a value of {_fmt(v, unit, printed_decimals(value))} would fit",
        describe_output=lambda v: _pct(v, d),
    )
    base_msg = f"published {_pct(published, d)} is not the change of {what} = {_pct(recomputed, d + 1)}"
    if explained is not None:
        kind, detail = explained
        out.add(row, f"change_{kind}", "error", f"{base_msg}: likely {kind} ({detail})",
                published=published, recomputed=recomputed)
        return
    if unit == "percent" and compare_printed(published, start - base, d) == "match":
        out.add(row, "change_in_points", "warning",
                f"published {_pct(published, d)} is the difference in percentage points "
                f"({what}); the relative change is {_pct(recomputed, d + 1)}",
                published=published, recomputed=recomputed)
        return
    hints = []
    if start and compare_printed(published, (start - base) / start * 100, d) == "match":
        hints.append(f"it fits the difference over this year's figure ({_fmt(start - base, unit)} / "
                     f"{_fmt(start, unit)}) instead of over last year's")
    if compare_printed(published, -recomputed, d) == "match":
        hints.append("it has the wrong sign")
    out.add(row, "change_arithmetic", "error",
            f"{base_msg}: arithmetic error" + (f" ({'; '.join(hints)})" if hints else ""),
            published=published, recomputed=recomputed)


def _status_word(text: str) -> str | None:
    t = " ".join(str(text).lower().replace("_", " ").split())
    if t in _ON:
        return "on track"
    if t in _OFF:
        return "off track"
    return None


def check_status(row: pd.Series, info: MetricInfo, basis: str, start: float | None, out: Findings) -> None:
    published = row["published_status"]
    if is_blank(published):
        return
    word = _status_word(published)
    period: Period = row["_period"]
    target, tp = row["target"], row["target_period"]
    if word is None:
        out.add(row, "status_unverifiable", "note",
                f"status {published!r} is not one the audit reads (on track / off track)", published=published)
        return
    if math.isnan(target):
        out.add(row, "status_unverifiable", "note",
                f"cannot be recomputed: no target for {period} in the returns", published=published)
        return
    try:
        target_period = Period.parse(str(tp)) if not is_blank(tp) else (
            period if period.is_year else period.containing_year(basis))  # type: ignore[arg-type]
    except CdpError:
        out.add(row, "status_unverifiable", "note", f"cannot be recomputed: target period {tp!r} unreadable",
                published=published)
        return
    if info.polarity not in ("higher_is_better", "lower_is_better"):
        out.add(row, "status_unverifiable", "note",
                "cannot be recomputed: the metric has no better direction (neutral polarity)", published=published)
        return
    unit = info.unit
    figure = start if start is not None else row["value"]
    in_target_year = target_period.contains(period) or target_period == period
    higher = info.polarity == "higher_is_better"
    if figure is None or not math.isfinite(figure):
        return
    meets = figure >= target if higher else figure <= target
    if not in_target_year:
        if meets:
            return  # already at the target: "on track" fits, "off track" would be odd but arguable
        out.add(row, "status_unverifiable", "note",
                f"status {published!r} towards {_fmt(target, unit)} in {target_period} cannot be recomputed "
                f"from the {period} figure alone ({_fmt(row['value'], unit)})", published=published)
        return
    recomputed = "on track" if meets else "off track"
    if recomputed != word:
        rule = ("projection" if not period.is_year else "value") + (
            " meets or exceeds" if higher else " at or below")
        out.add(row, "status_mismatch", "error",
                f"published {published!r} but the {_fmt(figure, unit, 0)} "
                f"{'projected for' if not period.is_year else 'in'} {target_period} is "
                f"{'above' if figure > target else 'below'} the target {_fmt(target, unit)} "
                f"(rule: on track when the {rule} the target)",
                published=published, recomputed=recomputed)


#: checks that say a printed figure could not be checked (no verdict either way)
_UNVERIFIABLE = ("_unverifiable", "_no_base")


def agreement(findings: pd.DataFrame, figure: str) -> dict[tuple[str, str, str], bool | None]:
    """Whether each printed ``figure`` (``"projection"`` or ``"change"``) agrees, from the findings.

    A printed figure **agrees** when no warning or error was found for it (a note, such as
    ``change_follows_projection``, leaves it agreeing: the change is right for the printed
    projection it was made from); it **differs** with a warning or an error; and it cannot be
    checked (``None``) when the only finding says so (no base year, no figure). Figures with
    no finding at all are absent: the caller knows which figures were printed.

    Returns
    -------
    dict
        ``(metric_id, area_code, period) -> True | False | None``.

    Examples
    --------
    >>> f = pd.DataFrame({"metric_id": ["m", "m", "n"], "area_code": "A", "period": "2023/24 Q1",
    ...                   "check": ["projection_typo", "change_follows_projection", "change_no_base"],
    ...                   "severity": ["error", "note", "note"]})
    >>> agreement(f, "projection"), agreement(f, "change")
    ({('m', 'A', '2023/24 Q1'): False}, {('m', 'A', '2023/24 Q1'): True, ('n', 'A', '2023/24 Q1'): None})
    """
    out: dict[tuple[str, str, str], bool | None] = {}
    mine = findings[findings["check"].astype(str).str.startswith(f"{figure}_")]
    for r in mine.itertuples(index=False):
        key = (str(r.metric_id), str(r.area_code), str(r.period))
        if r.severity in ("warning", "error"):
            out[key] = False
        elif str(r.check).endswith(_UNVERIFIABLE):
            out.setdefault(key, None)
        else:
            out.setdefault(key, True)
    return out
