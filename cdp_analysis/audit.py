"""Audit a report's own figures: recompute what it derived and say what disagrees.

A returns file (docs/design.md §4) keeps, beside each figure the partnership holds, what a printed
report derived from it: ``published_projection`` (the year-end projection),
``published_change_pct`` (the change on last year) and ``published_status`` (on or off
track against ``target``). :func:`audit_returns` recomputes each of them from the figures
in the file and classifies every difference; it also applies sanity rules that need no
published figure. The checks of printed figures are :mod:`cdp_analysis.printed`, the one
checker the progress report uses too; this module reads the file, adds the sanity rules and
prints the findings.

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

import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from cdp_analysis.errors import CdpError, CdpInputError, printable
from cdp_analysis.formatting import decimals_shown as printed_decimals
from cdp_analysis.formatting import fmt_printed as _fmt
from cdp_analysis.periods import Period
from cdp_analysis.printed import (
    FINDING_COLUMNS,
    SEVERITIES,
    Findings,
    MetricInfo,
    check_change,
    check_projection,
    check_status,
    compare_printed,
    digit_variants,
    is_blank,
    round_half_up,
    truncate,
)
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

_NUMERIC = ("value", "target", "published_projection", "published_change_pct")
_ADDITIVE_UNITS = ("count", "currency")


# --------------------------------------------------------------------------- metadata
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
        from cdp_analysis.metrics import get_metric

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
        from cdp_analysis.metrics import metric_ids

        try:
            return sorted(metric_ids())
        except CdpError:
            return []
    return []


def _metric_info(entry: Any | None) -> MetricInfo:
    if entry is None:
        return MetricInfo("count", "neutral", None, "run_rate", known=False)
    return MetricInfo(
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


def _default_partnerships(ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Members of every partnership id among ``ids`` that the reference data knows."""
    ids = [i for i in ids if isinstance(i, str) and not i[:1].isupper()]
    if not ids:
        return {}
    from cdp_analysis import areas

    out = {}
    for pid in ids:
        try:
            if areas.is_partnership(pid):
                out[pid] = tuple(areas.members(pid))
        except CdpError:
            continue
    return out


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


# --------------------------------------------------------------------------- the audit
def _audit_targets(row: pd.Series, info: MetricInfo, out: Findings) -> None:
    target, value, tp = row["target"], row["value"], row["target_period"]
    if math.isnan(target) or math.isnan(value):
        return
    period: Period = row["_period"]
    try:
        target_period = Period.parse(str(tp)) if not is_blank(tp) else None
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


def _audit_ranges(row: pd.Series, info: MetricInfo, out: Findings) -> None:
    columns = ("value", "target", "published_projection")
    if info.unit == "percent":
        for col in columns:
            x = row[col]
            if math.isfinite(x) and not 0 <= x <= 100:
                out.add(row, "percent_out_of_range", "error",
                        f"{col} {x:g}% is outside 0-100 for a percentage", published=x)
    if info.unit in ("count", "currency", "rate", "percent"):
        for col in columns:
            x = row[col]
            if math.isfinite(x) and x < 0:
                out.add(row, "negative_value", "error", f"{col} {x:g} is negative for a {info.unit}",
                        published=x)


def _audit_parts(df: pd.DataFrame, infos: Mapping[str, MetricInfo],
                 partnerships: Mapping[str, Sequence[str]], out: Findings) -> None:
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
        A returns CSV (docs/design.md §4) or a frame with its columns: ``metric_id, area_code,
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
    out = Findings()

    infos: dict[str, MetricInfo] = {}
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

    from cdp_analysis import areas

    for area, group in df.groupby("area_code", sort=False):
        if not areas.is_known(area):
            hint = ""
            try:
                areas.validate_area(area)
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
                     and is_blank(row["published_status"]))
        if not needs:
            continue
        own = None
        try:
            fraction = row["_period"].fraction_elapsed(basis)
            own = row["value"] / fraction if math.isfinite(row["value"]) else None
        except CdpError:
            own = None
        start = check_projection(row, info, basis, out)
        check_change(row, info, basis, start, own, df, out)
        check_status(row, info, basis, start, out)

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
