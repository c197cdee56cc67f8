"""The quarterly progress report's figures, computed from the returns instead of typed.

Pure functions over the returns frame (docs/design.md §4) and the metric catalogue: the national
outcomes table (value to date, year-end projection with its interval, last year, change
and whether it is statistically significant), the treatment targets table, the drug
deaths statement, and the comparison of every printed figure with its recomputation.
The progress-report notebook calls these and only formats.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cdp_analysis import areas
from cdp_analysis.areas import ENGLAND
from cdp_analysis.formatting import fmt
from cdp_analysis.periods import Period
from cdp_analysis.printed import agreement

__all__ = [
    "ProgressContext",
    "load_context",
    "outcomes_table",
    "targets_table",
    "deaths_statement",
    "other_figures",
    "returns_sources",
    "change_chart_data",
    "change_headline",
    "printed_checks",
]


# --------------------------------------------------------------------------- context
@dataclass
class ProgressContext:
    """What the progress report works from, validated once."""

    area: str
    area_name: str
    period: Period
    codes: list[str]
    returns: pd.DataFrame
    metrics: pd.DataFrame
    #: the store the returns came from (``None``: the default store), for sections that read published data
    db: str | None = None

    @property
    def title(self) -> str:
        return f"{self.area_name} Combating Drugs Partnership: progress report, {self.period}"


def load_context(area: str = "pan-dorset", period: Period | str = "2023/24 Q1", db: str | None = None) -> ProgressContext:
    """Validate the parameters and read the returns that concern ``area`` from the store.

    The rows kept are the area's own, its members' (for a partnership), its police force
    area's (enforcement figures are police management information) and England's (for
    comparison).
    """
    from cdp_analysis.data.store import Store

    p = Period.parse(period)
    areas.validate_area(area)
    codes = list(dict.fromkeys([area, *areas.members(area)]))
    forces = areas.police_forces(codes)
    scope = list(dict.fromkeys([*codes, *forces, ENGLAND]))
    with Store(db or None, read_only=True) as store:
        returns = store.returns(area=scope)
        metrics = store.reference("metrics")
    if not (returns["area_code"] != ENGLAND).any():  # England's rows alone are no area's returns
        returns = returns.iloc[0:0]
    return ProgressContext(area, areas.area_name(area), p, scope, returns, metrics, db=db or None)


def _metric(metrics: pd.DataFrame, metric_id: str) -> dict[str, str]:
    row = metrics.loc[metrics["metric_id"] == metric_id]
    if row.empty:
        return {"metric_id": metric_id, "name": metric_id, "unit": "count", "polarity": "neutral",
                "year_basis": "financial", "projection": "run_rate", "section": "context"}
    return row.iloc[0].to_dict()


# --------------------------------------------------------------------------- printed figures
#: the returns' columns the checker of printed figures reads
PRINTED_FIELDS = ("metric_id", "area_code", "period", "value", "target", "target_period", "published_projection",
                  "published_change_pct", "published_status", "status", "note")


def printed_checks(returns: pd.DataFrame, metrics: pd.DataFrame) -> pd.DataFrame:
    """The checks of every printed figure in the returns (the audit's findings; empty when none is printed).

    One checker for the whole report (:mod:`cdp_analysis.printed`, run by
    :func:`cdp_analysis.audit.audit_returns`): the outcomes table's agreement columns and the
    report's section of checks both come from these findings.
    """
    from cdp_analysis.audit import FINDING_COLUMNS, audit_returns

    printed = [c for c in ("published_projection", "published_change_pct", "published_status") if c in returns]
    if returns is None or returns.empty or not printed or returns[printed].replace("", np.nan).isna().all().all():
        return pd.DataFrame(columns=list(FINDING_COLUMNS))
    return audit_returns(returns[[c for c in PRINTED_FIELDS if c in returns.columns]], metrics=metrics)


# --------------------------------------------------------------------------- outcomes
def outcomes_table(returns: pd.DataFrame, period: Period, metrics: pd.DataFrame,
                   confidence: float = 0.95) -> pd.DataFrame:
    """Each part-year figure ending with ``period``: projection, last year, change, significance.

    Columns: ``metric_id, name, area_code, unit, period, value, fraction_elapsed, projection,
    lower, upper, projection_method, last_year_period, last_year, change_pct, significance,
    published_projection, projection_agrees, published_change_pct, change_agrees``.
    The projection is the run rate (``value / fraction of the year elapsed``) with a
    Poisson predictive interval for counts (:func:`cdp_analysis.indicators.project_year_end`);
    the change compares the projection with last year's value; the significance tests the
    year-to-date rate against last year's rate (exact conditional rate-ratio test, counts
    only). ``projection_agrees`` and ``change_agrees`` are the verdicts of the checker of
    printed figures (:func:`printed_checks`): a printed change is judged against the printed
    projection it was made from; ``None`` when nothing was printed or it cannot be checked.
    """
    from cdp_analysis import indicators as ind

    run = period
    checks = printed_checks(returns, metrics)
    proj_ok = agreement(checks, "projection")
    change_ok = agreement(checks, "change")
    rows = []
    for r in returns.itertuples(index=False):
        p = Period.parse(r.period)
        if p.is_year or p.is_pooled or p.last != run.last or pd.isna(r.value):
            continue
        m = _metric(metrics, r.metric_id)
        if m.get("projection", "none") == "none":
            continue
        basis = m["year_basis"]
        try:
            year = p.containing_year(basis)
        except Exception:
            continue
        frac = p.fraction_elapsed(basis)
        unit = "count" if m["unit"] == "count" else m["unit"]
        proj = ind.project_year_end(float(r.value), period=p.label, unit=unit, confidence=confidence,
                                    year_basis=basis).iloc[0]
        if unit == "count":
            seasonal = _seasonal_projection(returns, r.metric_id, r.area_code, p, year)
            if seasonal is not None:  # benchmarks/results/forecast_yearend.md: more accurate, better coverage
                proj = pd.Series({"projection": seasonal.mean, "lower": seasonal.lower_95,
                                  "upper": seasonal.upper_95, "method": "seasonal: " + seasonal.reason})
        prev_label = year.previous_year().label
        prev = returns[(returns["metric_id"] == r.metric_id) & (returns["area_code"] == r.area_code)
                       & (returns["period"] == prev_label)]
        last = float(prev["value"].iloc[0]) if len(prev) else np.nan
        change = (proj["projection"] - last) / last * 100 if last and not np.isnan(last) else np.nan
        change_method, significant = "", None
        if m["unit"] == "count" and not np.isnan(last):
            noun = str(m["name"]).lower()
            # like with like when the returns hold the same months of last year; otherwise the
            # projection's range against last year, with the assumption said and no verdict
            same_rows = returns[(returns["metric_id"] == r.metric_id) & (returns["area_code"] == r.area_code)
                                & (returns["period"] == p.shift(-1).label)]
            same = (float(same_rows["value"].iloc[0]) if len(same_rows) and pd.notna(same_rows["value"].iloc[0])
                    else None)
            res = ind.part_year_change(float(r.value), p.label, last, same_period_last_year=same,
                                       last_year_label=prev_label, measure=noun, year_basis=basis,
                                       confidence=confidence)
            significance, change_method, significant = res.sentence, res.method, res.significant
        elif np.isnan(last):
            significance = "No figure for last year in the returns."
        else:
            significance = (f"Not tested: {m['unit']} is not a count of events, so the change cannot be "
                            "tested without the individual figures.")
        key = (str(r.metric_id), str(r.area_code), str(r.period))
        pub_proj = getattr(r, "published_projection", np.nan)
        pub_change = getattr(r, "published_change_pct", np.nan)
        rows.append({
            "metric_id": r.metric_id, "name": m["name"], "area_code": r.area_code, "unit": m["unit"],
            "period": p.label, "value": float(r.value), "fraction_elapsed": frac,
            "projection": float(proj["projection"]), "lower": float(proj["lower"]), "upper": float(proj["upper"]),
            "projection_method": str(proj["method"]), "year": year.label, "last_year_period": prev_label,
            "last_year": last, "change_pct": change, "significance": significance, "change_method": change_method,
            "significant": significant,
            "published_projection": pub_proj,
            "projection_agrees": None if pd.isna(pub_proj) else proj_ok.get(key, True),
            "published_change_pct": pub_change,
            "change_agrees": None if pd.isna(pub_change) else change_ok.get(key, True),
        })
    cols = ["metric_id", "name", "area_code", "unit", "period", "value", "fraction_elapsed", "projection", "lower",
            "upper", "projection_method", "year", "last_year_period", "last_year", "change_pct", "significance",
            "change_method", "significant", "published_projection", "projection_agrees", "published_change_pct", "change_agrees"]
    return pd.DataFrame(rows, columns=cols)


def _seasonal_projection(returns: pd.DataFrame, metric_id: str, area_code: str, p: Period, year: Period) -> Any:
    """The seasonal-GLM year-end projection when the returns hold two complete years of the same periods.

    ``p`` must be a single quarter or month of ``year``; the returns must hold every quarter
    (month) of the two years before ``year`` and of ``year`` up to ``p`` for the same metric
    and area. Then :func:`cdp_analysis.models.seasonal_yearend.project_year_end_seasonal`
    (Poisson GLM with quarter or month effects and trend) gives the projection; otherwise
    ``None`` and the run rate stands (the backtest in ``benchmarks/results/forecast_yearend.md``
    favours the seasonal rule wherever two complete years exist).
    """
    from cdp_analysis.models.seasonal_yearend import project_year_end_seasonal

    if p.kind not in ("quarter", "month"):
        return None
    quarter = p.kind == "quarter"

    def labels(y: Period) -> list[str]:
        return [f"{y.label} Q{k}" for k in range(1, 5)] if quarter else list(y.months)

    if quarter and "/" not in year.label:
        return None
    cur = labels(year)
    if p.label not in cur:
        return None
    k = cur.index(p.label) + 1
    y1 = year.previous_year()
    wanted = labels(y1.previous_year()) + labels(y1) + cur[:k]
    rows = returns[(returns["metric_id"] == metric_id) & (returns["area_code"] == area_code)]
    vals = dict(zip(rows["period"].astype(str), pd.to_numeric(rows["value"], errors="coerce"), strict=False))
    hist = [vals.get(lab) for lab in wanted]
    if any(v is None or pd.isna(v) for v in hist):
        return None
    return project_year_end_seasonal(np.array(hist, float), k, periods_per_year=4 if quarter else 12)


def change_chart_data(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Projected change on last year, in per cent, with the 95% range, for each count measure.

    The range is the projection's predictive interval expressed as a change on last year:
    ``(lower / last_year - 1) x 100`` to ``(upper / last_year - 1) x 100``. ``significant``
    is the exact rate-ratio test of the year to date against last year (see
    :func:`outcomes_table`).
    """
    d = outcomes[(outcomes["unit"] == "count") & outcomes["last_year"].notna()].copy()
    d["change"] = d["change_pct"]
    d["change_lower"] = (d["lower"] / d["last_year"] - 1) * 100
    d["change_upper"] = (d["upper"] / d["last_year"] - 1) * 100
    d["tested"] = d["change_method"] == "same months"
    d["significant"] = d["significant"].eq(True) & d["tested"]
    return d[["metric_id", "name", "change", "change_lower", "change_upper", "significant", "tested", "year"]]


def change_headline(chart: pd.DataFrame) -> str:
    """A chart title that states the finding, from the tests (never by eye).

    >>> df = pd.DataFrame({"name": ["Arrests", "Disruptions"], "change": [90.0, 7.5],
    ...                    "significant": [True, False]})
    >>> change_headline(df)
    'Arrests are on course for a statistically significant rise; other changes are within chance'
    """
    if "tested" in chart and not chart["tested"].any():
        return ("Projected changes on last year, not tested: the returns hold no figures for the same months of "
                "last year")
    chart = chart[chart["tested"]] if "tested" in chart else chart
    sig = chart[chart["significant"]]
    if sig.empty:
        return "No measure is on course for a statistically significant change on the same months of last year"
    parts = [f"{n} {'are' if n.endswith('s') else 'is'} on course for a statistically significant "
             f"{'rise' if c > 0 else 'fall'}" for n, c in zip(sig["name"], sig["change"], strict=True)]
    rest = "; other changes are within chance" if len(sig) < len(chart) else ""
    return "; ".join(parts) + rest


# --------------------------------------------------------------------------- targets
TARGET_RULE = (
    "A target is judged only against a figure for the target's own year (met or not met, by the measure's "
    "direction). Until one is in the returns, the table shows the change still needed from the latest figure "
    "and the straight-line trajectory to the target; a target already below (for a higher-is-better measure) "
    "or above (lower-is-better) the latest figure is flagged as possibly mis-set."
)


def targets_table(returns: pd.DataFrame, metrics: pd.DataFrame) -> pd.DataFrame:
    """Every returns row with a target: the change still needed and an honest status.

    Columns: ``metric_id, name, area_code, unit, period, value, target, target_period,
    change_needed, change_needed_pct, trajectory_period, trajectory_value, status,
    published_status``. The trajectory is the straight line from the latest figure to the
    target (:func:`cdp_analysis.indicators.target_trajectory`): the value the next year
    should reach to stay on it. See ``TARGET_RULE``.
    """
    rows = []
    have = returns.dropna(subset=["target"]) if "target" in returns else returns.iloc[0:0]
    for r in have.itertuples(index=False):
        m = _metric(metrics, r.metric_id)
        polarity = m["polarity"]
        needed = float(r.target) - float(r.value)
        needed_pct = needed / float(r.value) * 100 if r.value else np.nan
        in_year = returns[(returns["metric_id"] == r.metric_id) & (returns["area_code"] == r.area_code)
                          & (returns["period"] == r.target_period)]
        if len(in_year) and not pd.isna(in_year["value"].iloc[0]):
            v = float(in_year["value"].iloc[0])
            met = v >= r.target if polarity != "lower_is_better" else v <= r.target
            status = f"{'met' if met else 'not met'}: {fmt(v, m['unit'])} in {r.target_period}"
        elif (polarity == "higher_is_better" and r.value >= r.target) or (
                polarity == "lower_is_better" and r.value <= r.target):
            if r.value == r.target:
                status = "level with the target already; no in-year figure yet"
            else:
                status = "latest figure already beyond the target: target may be mis-set"
        else:
            status = f"not yet measurable: no {r.target_period} figure in the returns"
        # the straight line from the latest figure to the target: where the next year should be
        from cdp_analysis import indicators as ind

        path = ind.target_trajectory(float(r.value), float(r.target), r.period, r.target_period)
        nxt = path.iloc[1] if len(path) > 1 else path.iloc[-1]
        probability, chance = _target_chance(returns, m, r.metric_id, r.area_code, float(r.target),
                                             str(r.target_period), polarity)
        rows.append({
            "metric_id": r.metric_id, "name": m["name"], "area_code": r.area_code, "unit": m["unit"],
            "period": r.period, "value": float(r.value), "target": float(r.target), "target_period": r.target_period,
            "change_needed": needed, "change_needed_pct": needed_pct,
            "trajectory_period": nxt["period"], "trajectory_value": float(nxt["expected"]), "status": status,
            "probability": probability, "chance": chance,
            "published_status": getattr(r, "published_status", None),
        })
    cols = ["metric_id", "name", "area_code", "unit", "period", "value", "target", "target_period",
            "change_needed", "change_needed_pct", "trajectory_period", "trajectory_value", "status", "probability",
            "chance", "published_status"]
    return pd.DataFrame(rows, columns=cols)


def _target_chance(returns: pd.DataFrame, m: dict[str, str], metric_id: str, area_code: str, target: float,
                   target_period: str, polarity: str) -> tuple[float, str]:
    """The probability of meeting a target and its label ("at risk: 95% chance of meeting the target").

    From the latest year-to-date count of the target's own year in the returns
    (:func:`cdp_analysis.indicators.target_assessment`); NaN and the reason otherwise.
    """
    from cdp_analysis import indicators as ind

    if m["unit"] != "count" or polarity not in ("higher_is_better", "lower_is_better"):
        return np.nan, f"not estimable: {m['unit']} is not a count of events"
    try:
        year = Period.parse(target_period)
    except Exception:
        return np.nan, "not estimable: the target period is not a period"
    own = returns[(returns["metric_id"] == metric_id) & (returns["area_code"] == area_code)].dropna(subset=["value"])
    parts = []
    for row in own.itertuples(index=False):
        p = Period.parse(str(row.period))
        if not p.is_year and not p.is_pooled and p.first == year.first and p.last < year.last:
            parts.append((p.last, p.label, float(row.value)))
    if not parts:
        return np.nan, f"not estimable: no {target_period} figure to date in the returns"
    _, label, value = max(parts)
    a = ind.target_assessment(value, target, label, polarity, year_basis=m["year_basis"]).iloc[0]
    return float(a["probability"]), str(a["label"])


# --------------------------------------------------------------------------- other figures
def other_figures(returns: pd.DataFrame, period: Period, metrics: pd.DataFrame,
                  section: str | None = None) -> pd.DataFrame:
    """The returns' figures that no other part of the report shows, up to ``period``.

    A figure is shown elsewhere when it is a part-year figure ending with ``period`` (the
    projections), the full year before one (their "last year"), a figure with a target, the
    target year's figure of a metric with a target, or a local drug-related deaths count.
    What is left (for example a year's count of referrals printed once) is listed as it
    stands: with one figure there is nothing to test. Figures for periods ending after
    ``period`` are left out.

    Returns
    -------
    pandas.DataFrame
        ``section, metric_id, name, area_code, unit, period, value, source``, by section
        and metric (``section`` restricts the rows to one section of ``metrics.csv``).

    Examples
    --------
    >>> ret = pd.DataFrame({"metric_id": ["county_lines_arrests", "county_lines_arrests", "fast_parcel_referrals"],
    ...                     "area_code": "E23000039", "period": ["2023/24 Q1", "2022/23", "2022/23"],
    ...                     "value": [38.0, 80.0, 146.0], "target": None})
    >>> from cdp_analysis.metrics import metrics
    >>> other_figures(ret, Period.parse("2023/24 Q1"), metrics())[["metric_id", "value"]].values.tolist()
    [['fast_parcel_referrals', 146.0]]
    """
    cols = ["section", "metric_id", "name", "area_code", "unit", "period", "value", "source"]
    if returns is None or returns.empty:
        return pd.DataFrame(columns=cols)
    run = period
    shown: set[tuple[str, str, str]] = set()
    out_t = outcomes_table(returns, run, metrics)
    for r in out_t.itertuples(index=False):
        shown.add((r.metric_id, r.area_code, str(r.period)))
        shown.add((r.metric_id, r.area_code, str(r.last_year_period)))
    for r in targets_table(returns, metrics).itertuples(index=False):
        shown.add((r.metric_id, r.area_code, str(r.period)))
        shown.add((r.metric_id, r.area_code, str(r.target_period)))
    rows = []
    for r in returns.dropna(subset=["value"]).itertuples(index=False):
        if (r.metric_id, r.area_code, str(r.period)) in shown or r.metric_id == "drug_related_deaths_local":
            continue
        if Period.parse(str(r.period)).end > run.end:
            continue
        m = _metric(metrics, r.metric_id)
        if section is not None and m.get("section") != section:
            continue
        src = metrics.loc[metrics["metric_id"] == r.metric_id, "source"]
        rows.append({"section": m.get("section", ""), "metric_id": r.metric_id, "name": m["name"],
                     "area_code": r.area_code, "unit": m["unit"], "period": str(r.period), "value": float(r.value),
                     "source": str(src.iloc[0]) if len(src) else ""})
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["section", "metric_id", "area_code", "period"]).reset_index(drop=True)


def returns_sources(returns: pd.DataFrame, metrics: pd.DataFrame) -> dict[str, list[str]]:
    """The sources (``metrics.csv``) of the figures in ``returns``, by section.

    >>> ret = pd.DataFrame({"metric_id": ["county_lines_arrests", "adults_in_treatment"], "value": [38.0, 2590.0]})
    >>> from cdp_analysis.metrics import metrics
    >>> returns_sources(ret, metrics())["enforcement"]
    ['Dorset Police management information']
    """
    if returns is None or returns.empty:
        return {}
    used = metrics[metrics["metric_id"].isin(set(returns.dropna(subset=["value"])["metric_id"]))]
    out: dict[str, list[str]] = {}
    for r in used.itertuples(index=False):
        out.setdefault(str(r.section), [])
        if r.source and r.source not in out[str(r.section)]:
            out[str(r.section)].append(str(r.source))
    return out


# --------------------------------------------------------------------------- deaths
def deaths_statement(returns: pd.DataFrame, metric_id: str = "drug_related_deaths_local",
                     confidence: float = 0.95) -> str | None:
    """The latest two years of a deaths count, compared with an exact test, in words."""
    from cdp_analysis import indicators as ind

    d = returns[returns["metric_id"] == metric_id].dropna(subset=["value"])
    d = d[[Period.parse(p).is_year for p in d["period"]]]
    if len(d) < 2:
        return None
    d = d.assign(_end=[Period.parse(p).last for p in d["period"]]).sort_values("_end")
    a, b = d.iloc[-1], d.iloc[-2]
    text = ind.describe_change(float(a["value"]), float(b["value"]), a["period"], b["period"], measure="deaths",
                               confidence=confidence)
    text = text if text.endswith(".") else text + "."
    if "p" in str(a.get("status") or "").split():
        text += f" The {a['period']} figure is provisional."
    return text
