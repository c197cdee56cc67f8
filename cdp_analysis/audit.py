"""Audit a report's own figures: recompute what it derived and say what disagrees.

A returns file (DESIGN §4) keeps, beside each figure the partnership holds, what a printed
report derived from it: ``published_projection`` (the year-end projection),
``published_change_pct`` (the change on last year) and ``published_status`` (on or off
track against ``target``). :func:`audit_returns` recomputes each of them from the figures
in the file and classifies every difference; it also applies sanity rules that need no
published figure.

How figures are recomputed
--------------------------
* **Projection** -- the run rate: ``value / fraction of the year elapsed`` on the metric's
  year basis (Q1 of a financial year x 4; ``2023-01..2023-06`` on a calendar basis x 2).
  A whole year projects to itself.
* **Change** -- ``(projection - last year) / last year x 100``, where *last year* is the
  row of the same metric and area for the year before the containing year
  (``2022/23`` for ``2023/24 Q1``; ``2022`` for ``2023-01..2023-06``). Each printed figure is
  checked against the printed figures it was made from: the change is recomputed from the
  *published* projection when there is one, so one slip is reported once, not again in
  every figure downstream of it (a note says what the change would have been).
* **Status** -- with a target for the period's year: the projection against the target,
  in the direction of the metric's polarity (on track when it meets or beats it).

The printed precision is read from the published number (``7.4`` one decimal, ``90`` and
``94304`` whole numbers). A difference is then classified as

========================  ========  ===========================================================
check                     severity  meaning
========================  ========  ===========================================================
(none)                    --        equal once rounded to the printed precision: fine
``*_truncation``          warning   equals the figure truncated, not rounded (7.47 -> 7.4)
``*_transposition``       error     two adjacent digits swapped, in the input value or in
                                    the printed figure; the message names the value that fits
``*_typo``                error     one digit wrong, likewise
``change_wrong_base``     error     the change fits another period of the file as its base
``*_arithmetic``          error     none of the above explains the printed figure
``change_no_base``        note      last year's figure is not in the returns
``change_in_points``      warning   a percentage's "change %" is the difference in points
``change_follows_projection``  note  right for the printed projection, which is itself wrong
``status_mismatch``       error     the printed status contradicts the target comparison
``status_unverifiable``   note      no target, or the target is for a later year
========================  ========  ===========================================================

and the sanity rules are ``target_below_baseline`` / ``target_above_baseline`` (warning: a
target already beaten by the baseline for a higher- / lower-is-better metric),
``percent_out_of_range`` (error), ``negative_value`` (error), ``part_exceeds_whole`` (error:
a member area above its partnership, or part of a year above the whole year) and
``members_not_summing`` (error: partnership counts that are not the sum of the members',
or a partnership percentage outside its members' range). A metric missing from the
catalogue is a ``metric_not_in_catalogue`` finding stating the defaults assumed: an error
when a catalogue id is close to it (a misspelling, named in the message), a warning
otherwise; an area the reference data does not know is an ``area_not_known`` warning (the
audit still runs: the returns reader's checks of metric ids and areas are relaxed, all
others kept, and every problem of the file is reported at once).

Examples
--------
>>> import pandas as pd
>>> returns = pd.DataFrame({
...     "metric_id": ["soc_disruptions", "soc_disruptions"],
...     "area_code": ["E23000039", "E23000039"],
...     "period": ["2023/24 Q1", "2022/23"],
...     "value": [259, 964],
...     "published_projection": [1036, None],
...     "published_change_pct": [7.4, None],
... })
>>> metrics = {"soc_disruptions": {"unit": "count", "polarity": "higher_is_better",
...                                "year_basis": "financial", "projection": "run_rate"}}
>>> findings = audit_returns(returns, metrics=metrics)
>>> findings[["check", "published", "severity"]].to_dict("records")
[{'check': 'change_truncation', 'published': 7.4, 'severity': 'warning'}]
>>> print(findings.loc[0, "message"])
published 7.4% is 7.47% (1,036 against 964 in 2022/23) truncated, not rounded (7.5%)
"""

from __future__ import annotations

import csv
import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from cdp_analysis.errors import CdpError, CdpInputError, printable
from cdp_analysis.formatting import decimals_shown as printed_decimals
from cdp_analysis.formatting import fmt_printed as _fmt
from cdp_analysis.periods import Period
from cdp_analysis.reference import suggest

__all__ = [
    "FINDING_COLUMNS",
    "SEVERITIES",
    "audit_returns",
    "compare_printed",
    "digit_variants",
    "format_findings",
    "printed_decimals",
    "round_half_up",
    "run_audit_cli",
    "truncate",
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

_NUMERIC = ("value", "target", "published_projection", "published_change_pct")
_ADDITIVE_UNITS = ("count", "currency")
_ON = {"on track", "on-track", "ontrack", "met", "achieved", "ahead", "ahead of target", "green"}
_OFF = {"off track", "off-track", "not on track", "behind", "at risk", "not met", "red"}

# Used only when neither cdp_analysis.areas nor the partnerships reference file can be read.
_FALLBACK_PARTNERSHIPS: dict[str, tuple[str, ...]] = {"pan-dorset": ("E06000058", "E06000059")}


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


# --------------------------------------------------------------------------- metadata
@dataclass(frozen=True)
class _MetricInfo:
    unit: str
    polarity: str
    year_basis: str | None  # None: infer from the period label
    projection: str
    known: bool


def _field(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        value = obj.get(name, default)
    else:
        value = getattr(obj, name, default)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return default
    return value


def _metric_lookup(metrics: Any) -> Callable[[str], Any | None]:
    """A function metric_id -> catalogue entry (or None when not in the catalogue)."""
    if metrics is None:
        try:
            from cdp_analysis.metrics import get_metric  # type: ignore[attr-defined]
        except ImportError:
            return lambda _mid: None

        def lookup(mid: str) -> Any | None:
            try:
                return get_metric(mid)
            except (CdpError, KeyError, LookupError, ValueError):
                return None

        return lookup
    if isinstance(metrics, pd.DataFrame):
        table = metrics.set_index("metric_id").to_dict("index")
        return table.get
    if isinstance(metrics, Mapping):
        return metrics.get
    if callable(metrics):
        return metrics
    raise CdpInputError("metrics must be a mapping, a catalogue frame or a lookup function")


def _catalogue_ids(metrics: Any) -> list[str]:
    """The metric ids a misspelt id is matched against (the given catalogue, else metrics.csv)."""
    if isinstance(metrics, pd.DataFrame) and "metric_id" in metrics.columns:
        return [str(m) for m in metrics["metric_id"]]
    if isinstance(metrics, Mapping):
        return [str(m) for m in metrics]
    if metrics is None:
        try:
            from cdp_analysis.metrics import metric_ids

            return sorted(metric_ids())
        except (ImportError, CdpError):
            return []
    return []


def _metric_info(entry: Any | None) -> _MetricInfo:
    if entry is None:
        return _MetricInfo("count", "neutral", None, "run_rate", known=False)
    return _MetricInfo(
        unit=str(_field(entry, "unit", "count")),
        polarity=str(_field(entry, "polarity", "neutral")),
        year_basis=_field(entry, "year_basis", None),
        projection=str(_field(entry, "projection", "run_rate")),
        known=True,
    )


def _infer_basis(period: Period, other_periods: Iterable[Period]) -> str:
    if period.kind in ("quarter", "financial_year", "financial_years"):
        return "financial"
    if period.kind in ("calendar_year", "calendar_years"):
        return "calendar"
    kinds = {p.kind for p in other_periods}
    if "calendar_year" in kinds and "financial_year" not in kinds:
        return "calendar"
    if "financial_year" in kinds and "calendar_year" not in kinds:
        return "financial"
    return "calendar" if period.start.month == 1 else "financial"


def _read_partnerships_csv(path: Path) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            pid, member = row.get("partnership_id"), row.get("member_area_code")
            if pid and member:
                out.setdefault(pid.strip(), []).append(member.strip())
    return {k: tuple(v) for k, v in out.items()}


def _default_partnerships(ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Members of every partnership id among ``ids`` that the reference data knows."""
    ids = [i for i in ids if isinstance(i, str) and not i[:1].isupper()]
    if not ids:
        return {}
    try:
        from cdp_analysis import areas  # type: ignore[attr-defined]

        out = {}
        for pid in ids:
            try:
                if not areas.is_partnership(pid):
                    continue
                out[pid] = tuple(areas.members(pid))
            except (CdpError, KeyError, LookupError, ValueError):
                continue
        return out
    except (ImportError, AttributeError):
        pass
    here = Path(__file__).resolve().parent
    for candidate in (here / "reference" / "partnerships.csv", here.parent / "data" / "reference" / "partnerships.csv"):
        if candidate.is_file():
            table = _read_partnerships_csv(candidate)
            return {pid: table[pid] for pid in ids if pid in table}
    return {pid: _FALLBACK_PARTNERSHIPS[pid] for pid in ids if pid in _FALLBACK_PARTNERSHIPS}


# --------------------------------------------------------------------------- input
def _load(path_or_frame: Any) -> pd.DataFrame:
    """Read and validate a returns file or frame; periods as canonical labels.

    The one returns reader (:func:`cdp_analysis.data.returns.read_returns`) with its
    catalogue and area checks relaxed (``references=False``): the audit reports an unknown
    metric or area as a finding, and every other problem of the file at once, as
    ``cdp ingest`` would. A file with a header and no figures is an error, not "every
    published figure agrees".
    """
    from cdp_analysis.data.returns import read_returns

    df = read_returns(path_or_frame, references=False)
    if df.empty:
        file = None if isinstance(path_or_frame, pd.DataFrame) else str(path_or_frame)
        raise CdpInputError("no figures to audit: the file has a header but no rows", file=file, row=2,
                            expected="one row per figure under the header")
    df = df.reset_index(drop=True).copy()
    df["_period"] = [Period.parse(str(p)) for p in df["period"]]
    df["_row"] = range(len(df))
    return df


def _blank(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or (isinstance(x, str) and not x.strip())


# --------------------------------------------------------------------------- the audit
class _Findings:
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


def _audit_projection(row: pd.Series, info: _MetricInfo, basis: str, out: _Findings) -> float | None:
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


def _audit_change(row: pd.Series, info: _MetricInfo, basis: str, start: float | None,
                  own_projection: float | None, df: pd.DataFrame, out: _Findings) -> None:
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


def _audit_status(row: pd.Series, info: _MetricInfo, basis: str, start: float | None, out: _Findings) -> None:
    published = row["published_status"]
    if _blank(published):
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
        target_period = Period.parse(str(tp)) if not _blank(tp) else (
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


def _audit_targets(row: pd.Series, info: _MetricInfo, out: _Findings) -> None:
    target, value, tp = row["target"], row["value"], row["target_period"]
    if math.isnan(target) or math.isnan(value):
        return
    period: Period = row["_period"]
    try:
        target_period = Period.parse(str(tp)) if not _blank(tp) else None
    except CdpError:
        target_period = None
    if target_period is None or period.last >= target_period.first:
        return  # not a baseline for a later target
    unit = info.unit
    if info.polarity == "higher_is_better" and target < value:
        out.add(row, "target_below_baseline", "warning",
                f"target {_fmt(target, unit)} for {target_period} is below the {_fmt(value, unit)} already "
                f"reached in {period} (higher is better): a typo, or a target already met",
                published=target, recomputed=value)
    elif info.polarity == "lower_is_better" and target > value:
        out.add(row, "target_above_baseline", "warning",
                f"target {_fmt(target, unit)} for {target_period} is above the {_fmt(value, unit)} already "
                f"reached in {period} (lower is better): a typo, or a target already met",
                published=target, recomputed=value)


def _audit_ranges(row: pd.Series, info: _MetricInfo, out: _Findings) -> None:
    columns = ("value", "target", "published_projection")
    if info.unit == "percent":
        for col in columns:
            x = row[col]
            if math.isfinite(x) and not 0 <= x <= 100:
                out.add(row, "percent_out_of_range", "error",
                        f"{col} {_num(x)}% is outside 0-100 for a percentage", published=x)
    if info.unit in ("count", "currency", "rate", "percent"):
        for col in columns:
            x = row[col]
            if math.isfinite(x) and x < 0:
                out.add(row, "negative_value", "error", f"{col} {_num(x)} is negative for a {info.unit}",
                        published=x)


def _audit_parts(df: pd.DataFrame, infos: Mapping[str, _MetricInfo],
                 partnerships: Mapping[str, Sequence[str]], out: _Findings) -> None:
    rows = df[df["value"].notna()]
    # Part of a year larger than the whole year (same metric and area).
    for (_metric, _area), group in rows.groupby(["metric_id", "area_code"], sort=False):
        info = infos[_metric]
        if info.unit not in _ADDITIVE_UNITS or len(group) < 2:
            continue
        for _, part in group.iterrows():
            for _, whole in group.iterrows():
                p, w = part["_period"], whole["_period"]
                if p != w and w.contains(p) and part["value"] > whole["value"]:
                    out.add(part, "part_exceeds_whole", "error",
                            f"{_fmt(part['value'], info.unit)} in {p} is more than the "
                            f"{_fmt(whole['value'], info.unit)} for the whole of {w}",
                            published=part["value"], recomputed=whole["value"])
    # Members against their partnership.
    for pid, members in partnerships.items():
        members = tuple(members)
        if not members:
            continue
        totals = rows[rows["area_code"] == pid]
        for _, total in totals.iterrows():
            info = infos[total["metric_id"]]
            parts = rows[(rows["metric_id"] == total["metric_id"]) & (rows["period"] == total["period"])
                         & rows["area_code"].isin(members)]
            if info.unit in _ADDITIVE_UNITS:
                for _, part in parts.iterrows():
                    if part["value"] > total["value"]:
                        out.add(part, "part_exceeds_whole", "error",
                                f"{_fmt(part['value'], info.unit)} for member {part['area_code']} is more "
                                f"than the {_fmt(total['value'], info.unit)} for the partnership {pid}",
                                published=part["value"], recomputed=total["value"])
            if set(parts["area_code"]) != set(members):
                continue  # not every member reported: nothing to sum
            values = parts["value"]
            if info.unit in _ADDITIVE_UNITS:
                s = float(values.sum())
                if abs(s - total["value"]) > 0.5 + 1e-9:
                    listing = " + ".join(f"{_fmt(v, info.unit)} ({a})" for a, v in zip(parts["area_code"], values,
                                                                                       strict=True))
                    out.add(total, "members_not_summing", "error",
                            f"partnership {pid} has {_fmt(total['value'], info.unit)} but its members sum to "
                            f"{listing} = {_fmt(s, info.unit)}",
                            published=total["value"], recomputed=s)
            elif info.unit in ("percent", "rate"):
                lo, hi = float(values.min()), float(values.max())
                if not lo - 1e-9 <= total["value"] <= hi + 1e-9:
                    out.add(total, "members_not_summing", "error",
                            f"partnership {pid} has {_fmt(total['value'], info.unit)}, outside its members' "
                            f"range {_fmt(lo, info.unit)}-{_fmt(hi, info.unit)}: a combined {info.unit} must lie "
                            "between them (sum numerators and denominators, never average)",
                            published=total["value"], recomputed=None)


def audit_returns(
    path_or_frame: str | Path | pd.DataFrame,
    *,
    metrics: Mapping[str, Any] | pd.DataFrame | Callable[[str], Any] | None = None,
    partnerships: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Recompute a report's derived figures from its returns and list what disagrees.

    Parameters
    ----------
    path_or_frame
        A returns CSV (DESIGN §4) or a frame with its columns: ``metric_id, area_code,
        period, value`` and optionally ``target, target_period, published_projection,
        published_change_pct, published_status, note, status``.
    metrics
        The metric catalogue: a mapping or function ``metric_id -> entry`` (entries with
        ``unit, polarity, year_basis, projection`` as keys or attributes) or a catalogue
        frame. Default: :func:`cdp_analysis.metrics.get_metric`. A metric not found gets
        defaults (count, neutral polarity, year basis read from the period label, run-rate
        projection) and a ``metric_not_in_catalogue`` note.
    partnerships
        ``partnership id -> member area codes``. Default: the reference data
        (``partnerships.csv``).

    Returns
    -------
    pandas.DataFrame
        One row per finding, in file order: ``metric_id, area_code, period, check,
        published, recomputed, severity, message`` (see the module docstring for the
        checks). ``published`` and ``recomputed`` hold numbers, or status words for the
        status check. Empty (with those columns) when everything agrees.

    Raises
    ------
    CdpInputError
        The file is missing, lacks columns, or holds non-numbers or bad period labels.

    Examples
    --------
    >>> import pandas as pd
    >>> returns = pd.DataFrame({
    ...     "metric_id": ["cash_seizures", "cash_seizures"],
    ...     "area_code": ["E23000039", "E23000039"],
    ...     "period": ["2023/24 Q1", "2022/23"],
    ...     "value": [23756, 68413],
    ...     "published_projection": [94304, None],
    ... })
    >>> cat = {"cash_seizures": {"unit": "currency", "polarity": "higher_is_better",
    ...                          "year_basis": "financial", "projection": "run_rate"}}
    >>> f = audit_returns(returns, metrics=cat)
    >>> f.loc[0, ["check", "published", "recomputed", "severity"]].tolist()
    ['projection_transposition', 94304.0, 95024.0, 'error']
    >>> print(f.loc[0, "message"])
    published £94,304 is not £23,756 x 4 = £95,024: likely digit transposition (a quarter of £23,576 would fit)
    """
    df = _load(path_or_frame)
    lookup = _metric_lookup(metrics)
    out = _Findings()

    infos: dict[str, _MetricInfo] = {}
    for metric_id, group in df.groupby("metric_id", sort=False):
        info = _metric_info(lookup(metric_id))
        infos[metric_id] = info
        if not info.known:
            first = group.iloc[0]
            basis = info.year_basis or _infer_basis(first["_period"], group["_period"])
            hint = suggest(metric_id, _catalogue_ids(metrics))
            out.add(first, "metric_not_in_catalogue", "error" if hint else "warning",
                    f"{metric_id!r} is not in the metric catalogue"
                    + (f" ({hint.removeprefix('; ')})" if hint else "") + "; its figures were checked "
                    f"assuming a count, neutral polarity, {basis} years (from the period labels) and a "
                    "run-rate projection" + (": correct the metric_id" if hint else ": add it to metrics.csv"))

    try:
        from cdp_analysis import areas as _areas  # type: ignore[attr-defined]

        is_known: Callable[[str], bool] | None = _areas.is_known
    except (ImportError, AttributeError):
        is_known = None
    if is_known is not None:
        for area, group in df.groupby("area_code", sort=False):
            if not is_known(area):
                hint = ""
                try:
                    _areas.validate_area(area)
                except CdpError as exc:
                    hint = str(exc).partition("(expected a GSS code or a partnership id)")[2]
                out.add(group.iloc[0], "area_not_known", "warning",
                        f"area {area!r} is neither a GSS code nor a partnership id in the reference data"
                        f"{hint}; its members cannot be checked")

    for _, row in df.iterrows():
        info = infos[row["metric_id"]]
        others = df.loc[(df["metric_id"] == row["metric_id"]) & (df["_row"] != row["_row"]), "_period"]
        basis = info.year_basis if info.year_basis in ("financial", "calendar") else _infer_basis(row["_period"], others)
        _audit_ranges(row, info, out)
        _audit_targets(row, info, out)
        needs = not (math.isnan(row["published_projection"]) and math.isnan(row["published_change_pct"])
                     and _blank(row["published_status"]))
        if not needs:
            continue
        own = None
        try:
            fraction = row["_period"].fraction_elapsed(basis)
            own = row["value"] / fraction if math.isfinite(row["value"]) else None
        except CdpError:
            own = None
        start = _audit_projection(row, info, basis, out)
        _audit_change(row, info, basis, start, own, df, out)
        _audit_status(row, info, basis, start, out)

    if partnerships is None:
        partnerships = _default_partnerships(df["area_code"].dropna().unique())
    _audit_parts(df, infos, partnerships, out)
    return out.frame()


# --------------------------------------------------------------------------- output
def _cell(x: Any) -> str:
    """A finding's field for the terminal (control characters from the input shown as escapes)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if isinstance(x, float):
        return f"{x:,.0f}" if x.is_integer() else f"{x:,.2f}".rstrip("0").rstrip(".")
    return printable(x, newlines=False)


def format_findings(findings: pd.DataFrame) -> str:
    """A plain-text table of findings for the terminal, errors first, with a summary line.

    Parameters
    ----------
    findings
        The frame :func:`audit_returns` returns.

    Returns
    -------
    str
        The table (one line per finding, the message last) and a count by severity.

    Examples
    --------
    >>> import pandas as pd
    >>> print(format_findings(pd.DataFrame(columns=FINDING_COLUMNS)))
    No findings: every published figure agrees with the returns.
    >>> f = pd.DataFrame([{"metric_id": "soc_disruptions", "area_code": "E23000039",
    ...     "period": "2023/24 Q1", "check": "change_truncation", "published": 7.4,
    ...     "recomputed": 7.468880, "severity": "warning", "message": "truncated"}])
    >>> print(format_findings(f))
    severity  metric_id        area_code  period      check              published  recomputed  message
    warning   soc_disruptions  E23000039  2023/24 Q1  change_truncation  7.4        7.47        truncated
    <BLANKLINE>
    0 errors, 1 warning, 0 notes.
    """
    if findings.empty:
        return "No findings: every published figure agrees with the returns."
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    f = findings.assign(_rank=findings["severity"].map(rank).fillna(len(rank)))
    f = f.sort_values("_rank", kind="stable")
    columns = ["severity", "metric_id", "area_code", "period", "check", "published", "recomputed", "message"]
    cells = [[_cell(r[c]) for c in columns] for _, r in f.iterrows()]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    widths[-1] = 0

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    lines = [line(columns), *(line(row) for row in cells)]
    counts = findings["severity"].value_counts()

    def n(sev: str, word: str) -> str:
        k = int(counts.get(sev, 0))
        return f"{k} {word}{'' if k == 1 else 's'}"

    lines += ["", f"{n('error', 'error')}, {n('warning', 'warning')}, {n('note', 'note')}."]
    return "\n".join(lines)


def run_audit_cli(path: str | Path, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Audit a returns file and print the findings: the body of ``cdp audit FILE``.

    Parameters
    ----------
    path
        The returns CSV.
    stdout, stderr
        Where to print (default: the process's streams).

    Returns
    -------
    int
        The exit code: 1 when any finding is an error, 0 otherwise; 2 when the file
        cannot be read (the reason goes to ``stderr``).

    Examples
    --------
    >>> import io, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "r.csv").write_text("metric_id,area_code,period,value,published_projection\\n"
    ...                              "x,E06000058,2023/24 Q1,10,40\\n")
    >>> buf = io.StringIO()
    >>> run_audit_cli(d / "r.csv", stdout=buf)
    0
    """
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    try:
        findings = audit_returns(path)
    except CdpError as exc:
        print(f"cdp audit: error: {printable(exc)}", file=err)
        return 2
    print(f"Audit of {printable(path, newlines=False)}", file=out)
    print(format_findings(findings), file=out)
    return 1 if (findings["severity"] == "error").any() else 0
