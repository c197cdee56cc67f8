"""Crime and enforcement: police.uk street-level records and the Home Office drug seizures.

police.uk records are anonymised and located to map points, and will not reconcile with
police recorded crime; seizures are counted for police force areas, often larger than the
partnership. Both measure police activity as much as drug use. Months are ``YYYY-MM``;
seizures are by financial year. Changes carry the exact rate-ratio test, trends Fingertips'
recent-trend test.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cdp_analysis.needs.deaths import deaths_change
from cdp_analysis.needs.findings import PartYearProjection, SeizuresSummary
from cdp_analysis.periods import Period, sort_by_period

if TYPE_CHECKING:
    from cdp_analysis.indicators.part_year import PartYearChange

__all__ = ["POLICE_METRICS", "SEIZURE_METRICS", "police_monthly", "police_top_lsoas", "police_seasonality",
           "police_same_months_change", "police_year_end_projection", "seizures_annual", "seizures_summary"]

#: police.uk counts by area and month
POLICE_METRICS = ("police_uk_drugs", "police_uk_neighbourhood_crime")
#: Home Office seizures shown in the appendix
SEIZURE_METRICS = ("drug_seizures", "drug_seizures_class_a", "drug_seizures_cannabis")


def police_monthly(police: pd.DataFrame, codes: Sequence[str], until: Period | None = None) -> pd.DataFrame:
    """Monthly police.uk counts of drug offences and neighbourhood crime, members summed.

    Parameters
    ----------
    police
        ``observations`` rows of ``police_uk_*`` metrics by area and month (``YYYY-MM``).
    codes
        GSS codes summed.
    until
        The reporting period: months up to its last are kept; when no month is on or before
        it, every month is kept and ``attrs["after_period"]`` is set (the data postdate the
        reporting period).

    Returns
    -------
    pandas.DataFrame
        ``month, metric_id, n``, sorted.

    Examples
    --------
    >>> obs = pd.DataFrame({"metric_id": "police_uk_drugs", "area_code": ["A", "B", "A"],
    ...                     "period": ["2024-01", "2024-01", "2024-02"], "count": [3.0, 4.0, 5.0]})
    >>> police_monthly(obs, ["A", "B"]).values.tolist()
    [['2024-01', 'police_uk_drugs', 7.0], ['2024-02', 'police_uk_drugs', 5.0]]
    """
    cols = ["month", "metric_id", "n"]
    p = police[police["area_code"].isin(list(codes)) & police["metric_id"].isin(POLICE_METRICS)]
    p = p[p["period"].astype(str).str.fullmatch(r"\d{4}-\d{2}")]
    if p.empty:
        return pd.DataFrame(columns=cols)
    col = "count" if "count" in p and p["count"].notna().any() else "value"
    g = p.groupby(["period", "metric_id"])[col].sum().reset_index().rename(columns={"period": "month", col: "n"})
    g = g.sort_values(["metric_id", "month"]).reset_index(drop=True)
    after = False
    if until is not None:
        before = g[g["month"] <= until.months[-1]]
        if before.empty:
            after = True
        else:
            g = before
    g = g.sort_values(["month", "metric_id"]).reset_index(drop=True)[cols]
    g.attrs["after_period"] = after
    return g


def police_top_lsoas(lsoas: pd.DataFrame, codes: Sequence[str], crime_type: str = "Drugs", n: int = 10,
                     months: Sequence[str] | None = None) -> pd.DataFrame:
    """The LSOAs with most police.uk crimes of ``crime_type`` in the area.

    Reads the store's ``police_crimes_by_lsoa`` view; the columns are found by name (an
    LSOA code, an LSOA name, a crime type, optionally a month and an area code, and a
    count).

    Returns
    -------
    pandas.DataFrame
        ``lsoa_code, lsoa_name, n, share`` (percent of the area's total), at most ``n`` rows.
    """
    cols = ["lsoa_code", "lsoa_name", "n", "share"]
    if lsoas is None or lsoas.empty:
        return pd.DataFrame(columns=cols)
    lower = {c.lower(): c for c in lsoas.columns}

    def pick(*names: str) -> str | None:
        for nm in names:
            if nm in lower:
                return lower[nm]
        return None

    code_c = pick("lsoa_code", "lsoa")
    name_c = pick("lsoa_name")
    type_c = pick("crime_type", "type")
    n_c = pick("n", "crimes", "count", "n_crimes")
    area_c = pick("area_code", "la_code", "utla_code", "lad_code", "upper_tier")
    month_c = pick("month", "period")
    if code_c is None or n_c is None:
        return pd.DataFrame(columns=cols)
    d = lsoas
    if area_c is not None:
        d = d[d[area_c].isin(list(codes))]
    if type_c is not None:
        d = d[d[type_c] == crime_type]
    if months is not None and month_c is not None:
        d = d[d[month_c].astype(str).isin(list(months))]
    if d.empty:
        return pd.DataFrame(columns=cols)
    keys = [code_c] + ([name_c] if name_c else [])
    g = d.groupby(keys)[n_c].sum().reset_index().rename(columns={code_c: "lsoa_code", n_c: "n"})
    if name_c:
        g = g.rename(columns={name_c: "lsoa_name"})
    else:
        g["lsoa_name"] = ""
    total = g["n"].sum()
    g["share"] = g["n"] / total * 100 if total else np.nan
    return g.sort_values(["n", "lsoa_code"], ascending=[False, True]).head(n).reset_index(drop=True)[cols]


def police_seasonality(monthly: pd.DataFrame, metric_id: str = "police_uk_drugs",
                       min_years: int = 2) -> pd.DataFrame:
    """Each calendar month's share of its year, averaged over complete years.

    Seasonality is estimated only from complete calendar years (all 12 months present);
    with fewer than ``min_years`` of them the result is empty and ``attrs["reason"]`` says why.

    Returns
    -------
    pandas.DataFrame
        ``month_of_year`` (1-12), ``index`` (100 = an average month), ``years``.

    Examples
    --------
    >>> m = pd.DataFrame({"month": [f"{y}-{k:02d}" for y in (2022, 2023) for k in range(1, 13)],
    ...                   "metric_id": "police_uk_drugs", "n": [10.0] * 11 + [20.0] + [10.0] * 12})
    >>> round(float(police_seasonality(m)["index"].iloc[-1]), 1)
    142.3
    """
    cols = ["month_of_year", "index", "years"]
    m = monthly[monthly["metric_id"] == metric_id].copy()
    if m.empty:
        out = pd.DataFrame(columns=cols)
        out.attrs["reason"] = "no monthly figures"
        return out
    m["year"] = m["month"].str[:4].astype(int)
    m["moy"] = m["month"].str[5:7].astype(int)
    full = m.groupby("year")["moy"].nunique()
    years = full[full == 12].index
    if len(years) < min_years:
        out = pd.DataFrame(columns=cols)
        have = "no complete calendar year" if len(years) == 0 else (
            "1 complete calendar year" if len(years) == 1 else f"{len(years)} complete calendar years")
        out.attrs["reason"] = (f"{have} of police.uk data; {min_years} are needed to tell a seasonal "
                               "pattern from chance")
        return out
    m = m[m["year"].isin(years)]
    m["share"] = m["n"] / m.groupby("year")["n"].transform("sum") * 12 * 100
    g = m.groupby("moy")["share"].mean().reset_index().rename(columns={"moy": "month_of_year", "share": "index"})
    g["years"] = len(years)
    return g[cols]


def police_same_months_change(monthly: pd.DataFrame,
                              metric_id: str = "police_uk_drugs") -> PartYearChange | None:
    """The latest year's months against the same months a year earlier, tested.

    Takes every month of the latest calendar year that also has a figure one year earlier,
    sums both sides and compares them with the exact conditional rate-ratio test
    (:func:`cdp_analysis.indicators.rate_ratio_test`; equal exposure, the same months).

    Returns
    -------
    cdp_analysis.indicators.part_year.PartYearChange or None
        The library's typed result: ``period`` (e.g. ``"January to April 2025"``),
        ``comparator``, ``value``, ``comparator_value``, ``ratio`` with ``lower`` and ``upper``,
        ``p_value``, ``significant``, ``direction`` (``"higher"``, ``"lower"``, ``"similar"`` or
        ``"not tested"``) and ``sentence``; None when no month has a year-earlier figure.

    Examples
    --------
    >>> m = pd.DataFrame({"metric_id": "police_uk_drugs", "month": ["2024-01", "2024-02", "2025-01", "2025-02"],
    ...                   "n": [80.0, 70.0, 40.0, 45.0]})
    >>> r = police_same_months_change(m)
    >>> r.period, r.value, r.comparator_value, r.direction
    ('January to February 2025', 85.0, 150.0, 'lower')
    """
    from cdp_analysis import indicators as ind

    m = monthly[monthly["metric_id"] == metric_id]
    if m.empty:
        return None
    r = ind.same_months_change(pd.Series(m["n"].astype(float).to_numpy(), index=m["month"].to_numpy()),
                               measure="records")
    return r


def police_year_end_projection(monthly: pd.DataFrame,
                               metric_id: str = "police_uk_drugs") -> PartYearProjection | None:
    """Project the latest part calendar year's total (police.uk metrics are on a calendar basis).

    With two complete calendar years of months before this one, the seasonal GLM (month
    effects and trend, :func:`cdp_analysis.models.seasonal_yearend.project_year_end_seasonal`,
    the rule the backtest in ``benchmarks/results/forecast_yearend.md`` favours); otherwise the
    run rate with its Poisson predictive interval, or the seasonal share seen in one earlier
    complete year (:func:`cdp_analysis.indicators.project_year_end`);
    compared with the previous complete year when there is one. ``None`` when the latest
    year is complete or has no figures.

    Returns
    -------
    PartYearProjection or None
        ``metric_id, period, value, projection, lower, upper, method, year, last_year,
        last_year_value, change_sentence`` (the :func:`~cdp_analysis.indicators.part_year_change`
        sentence comparing the months to date with the same months of last year, or ``None``)
        and ``sentence`` (the projection in words).
    """
    from cdp_analysis import indicators as ind

    m = monthly[monthly["metric_id"] == metric_id].sort_values("month")
    if m.empty:
        return None
    year = m["month"].str[:4].max()
    cur = m[m["month"].str[:4] == year]
    months = sorted(cur["month"])
    if len(months) == 12:
        return None
    expected = [f"{year}-{k:02d}" for k in range(1, len(months) + 1)]
    if months != expected:
        return None
    label = months[0] if len(months) == 1 else f"{months[0]}..{months[-1]}"
    value = float(cur["n"].sum())
    hist = m[m["month"].str[:4] < year]
    history = pd.Series(hist["n"].to_numpy(dtype=float), index=hist["month"].to_numpy()) if len(hist) else None
    try:
        proj = ind.project_year_end(value, period=label, unit="count", history=history, year_basis="calendar")
    except Exception:
        proj = ind.project_year_end(value, period=label, unit="count", year_basis="calendar")
    r = proj.iloc[0]
    seasonal = _seasonal_police_projection(m, year, len(months))
    if seasonal is not None:  # two complete years: the seasonal GLM (benchmarks/results/forecast_yearend.md)
        r = pd.Series({"projection": seasonal.mean, "lower": seasonal.lower_95, "upper": seasonal.upper_95,
                       "method": "seasonal: " + seasonal.reason})
    prev = str(int(year) - 1)
    pm = m[m["month"].str[:4] == prev]
    last = float(pm["n"].sum()) if pm["month"].nunique() == 12 else np.nan
    change = None
    if not np.isnan(last):
        # like with like: the same months of last year (never part of this year against the whole of last)
        same = pm[pm["month"].str[5:7].isin([k[5:7] for k in months])]
        same_value = float(same["n"].sum()) if same["month"].nunique() == len(months) else None
        change = ind.part_year_change(value, label, last, same_period_last_year=same_value, last_year_label=prev,
                                      measure="crimes", year_basis="calendar").sentence.rstrip(".")
    return PartYearProjection(metric_id=metric_id, period=label, year=str(year), value=value,
                              projection=float(r["projection"]), lower=float(r["lower"]), upper=float(r["upper"]),
                              method=str(r["method"]), last_year=prev, last_year_value=last, change_sentence=change)



def _seasonal_police_projection(m: pd.DataFrame, year: str, elapsed: int) -> Any:
    """Seasonal-GLM projection (:func:`cdp_analysis.models.seasonal_yearend.project_year_end_seasonal`) when
    the months hold every month of the two calendar years before ``year``; else ``None`` (run rate)."""
    from cdp_analysis.models.seasonal_yearend import project_year_end_seasonal

    y = int(year)
    wanted = [f"{yy}-{k:02d}" for yy in (y - 2, y - 1) for k in range(1, 13)] + [f"{y}-{k:02d}"
                                                                                  for k in range(1, elapsed + 1)]
    vals = dict(zip(m["month"].astype(str), pd.to_numeric(m["n"], errors="coerce"), strict=False))
    hist = [vals.get(k) for k in wanted]
    if any(v is None or pd.isna(v) for v in hist):
        return None
    return project_year_end_seasonal(np.array(hist, float), elapsed)


def seizures_annual(context: pd.DataFrame, forces: Sequence[str], metric_id: str = "drug_seizures",
                    until: Period | None = None) -> pd.DataFrame:
    """Home Office drug seizures each financial year in the area's police force area(s), summed.

    A year counts only when every force has a figure (a missing force would make the sum too
    small). Limits are the Poisson limits of the count
    (:func:`cdp_analysis.indicators.rate` with a denominator of 1: Byar's from 10, exact below).

    Returns
    -------
    pandas.DataFrame
        ``period, count, lower_95, upper_95`` oldest first (empty when not in the store).

    Examples
    --------
    >>> obs = pd.DataFrame({"metric_id": "drug_seizures", "area_code": ["F1", "F1", "F2", "F2"],
    ...                     "period": ["2017/18", "2018/19", "2017/18", "2018/19"], "count": [900., 1000, 88, None]})
    >>> seizures_annual(obs, ["F1", "F2"])[["period", "count"]].values.tolist()
    [['2017/18', 988.0]]
    """
    from cdp_analysis import indicators as ind

    cols = ["period", "count", "lower_95", "upper_95"]
    if context is None or context.empty:
        return pd.DataFrame(columns=cols)
    d = context[(context["metric_id"] == metric_id) & context["area_code"].isin(list(forces))]
    if d.empty:
        return pd.DataFrame(columns=cols)
    g = d.groupby("period")["count"].agg(["sum", "count"]).reset_index()
    g = g[g["count"] == len(set(forces))].rename(columns={"sum": "n"})[["period", "n"]]
    if until is not None:
        g = g[[Period.parse(str(p)).end <= until.end for p in g["period"]]]
    if g.empty:
        return pd.DataFrame(columns=cols)
    lim = ind.rate(g.assign(one=1.0), "n", "one", multiplier=1, confidence=0.95)
    out = pd.DataFrame({"period": g["period"].astype(str).to_numpy(), "count": g["n"].to_numpy(dtype=float),
                        "lower_95": lim["lower_95"].to_numpy(), "upper_95": lim["upper_95"].to_numpy()})
    return sort_by_period(out)[cols]


def seizures_summary(context: pd.DataFrame, forces: Sequence[str],
                     until: Period | None = None) -> SeizuresSummary | None:
    """The latest year of seizures: totals, the change on the year before and the recent trend.

    The change is the exact conditional test of two Poisson counts over equal periods
    (:func:`deaths_change`, worded by :func:`cdp_analysis.indicators.describe_change`); the
    trend is Fingertips' recent-trend test over the latest five years
    (:func:`cdp_analysis.indicators.recent_trend`, neutral polarity).

    Returns
    -------
    SeizuresSummary or None
        ``period``, ``total``, ``class_a``, ``cannabis`` (``None`` where missing),
        ``change`` (the :class:`~cdp_analysis.needs.findings.CountChange` of :func:`deaths_change` or ``None``), ``trend`` (e.g.
        ``"no significant change"``), ``trend_from``, ``annual`` (the series of all drugs,
        with its limits and the ``class_a`` and ``cannabis`` counts of each year); ``None``
        when the store has no seizures for the forces.
    """
    from cdp_analysis import indicators as ind

    annual = seizures_annual(context, forces, "drug_seizures", until)
    if annual.empty:
        return None
    for key, mid in (("class_a", "drug_seizures_class_a"), ("cannabis", "drug_seizures_cannabis")):
        part = seizures_annual(context, forces, mid, until)[["period", "count"]].rename(columns={"count": key})
        annual = annual.merge(part, on="period", how="left")
    last = annual.iloc[-1]
    parts = {key: None if pd.isna(last[key]) else float(last[key]) for key in ("class_a", "cannabis")}
    change = deaths_change(annual, measure="seizures")
    trend, start = "cannot be calculated", None
    if len(annual) >= 5:
        r = ind.recent_trend(annual.rename(columns={"count": "value"}), polarity="neutral", count="value").iloc[0]
        trend, start = str(r["trend"]), r["from_period"]
    return SeizuresSummary(period=str(last["period"]), total=float(last["count"]), class_a=parts["class_a"],
                           cannabis=parts["cannabis"], change=change, trend=trend, trend_from=start, annual=annual)
