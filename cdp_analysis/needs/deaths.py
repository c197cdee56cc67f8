"""Drug deaths: annual registrations, the change, pooled ASMRs, the funnel, the trend and the forecast.

ONS drug deaths are by **year of registration**, not occurrence. Partnerships sum their
members' counts; published age-standardised rates (ASMRs) cannot be summed, so a
partnership's members are compared side by side. Changes carry the exact rate-ratio test,
trends Fingertips' recent-trend test, comparisons Fingertips' benchmark rule; forecasts
carry the backtest that chose the model.

Pure functions over ``observations`` frames; what every area shares is computed once per
period by :mod:`cdp_analysis.needs.shared`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdp_analysis import areas
from cdp_analysis.areas import ENGLAND
from cdp_analysis.needs.findings import CountChange
from cdp_analysis.periods import Period

__all__ = ["DEATH_METRICS", "deaths_annual", "deaths_change", "deaths_asmr_comparison", "comparison_columns",
           "deaths_funnel", "deaths_trend_test", "deaths_forecast", "pooled_deaths_forecasts"]

#: annual counts and the pooled 3-year ASMR of each ONS measure
DEATH_METRICS = {
    "misuse": ("drug_misuse_deaths", "drug_misuse_asmr"),
    "poisoning": ("drug_poisoning_deaths", "drug_poisoning_asmr"),
}
#: the backtest's figures a forecast carries (:func:`deaths_forecast`)
BACKTEST_KEYS = ("model", "mase", "rmsse", "coverage_80", "coverage_95", "msis_95", "n_origins")


def deaths_annual(deaths: pd.DataFrame, codes: Sequence[str], metric_id: str = "drug_misuse_deaths",
                  until: Period | None = None) -> pd.DataFrame:
    """Annual registered deaths of the area, members summed (a missing member makes the year missing).

    Parameters
    ----------
    deaths
        ``observations`` rows (any metrics; ``sex`` persons is used).
    codes
        GSS codes to sum.
    metric_id
        ``drug_misuse_deaths`` or ``drug_poisoning_deaths``.
    until
        The reporting period: registration years up to the one its end falls in are kept;
        default all.

    Returns
    -------
    pandas.DataFrame
        ``period`` (year label), ``year``, ``count``, ``lower_95``, ``upper_95`` (the count's
        Poisson interval: Byar's from 10, exact below), ``members`` (members with a figure),
        ``status``.

    Examples
    --------
    >>> obs = pd.DataFrame({"metric_id": "m", "area_code": ["A", "B", "A"], "period": ["2020", "2020", "2021"],
    ...                     "sex": "persons", "count": [3.0, 4.0, 5.0], "status": ""})
    >>> deaths_annual(obs, ["A", "B"], "m")[["period", "count", "members"]].values.tolist()
    [['2020', 7.0, 2], ['2021', nan, 1]]
    """
    from cdp_analysis import indicators as ind
    from cdp_analysis.data.series import check_single_series

    cols = ["period", "year", "count", "lower_95", "upper_95", "members", "status"]
    d = deaths[(deaths["metric_id"] == metric_id) & deaths["area_code"].isin(list(codes))]
    if "sex" in d:
        d = d[d["sex"] == "persons"]
    d = d[d["period"].astype(str).str.fullmatch(r"\d{4}")]
    if d.empty:
        return pd.DataFrame(columns=cols)
    check_single_series(d)  # sources, editions or age bands of one area and year must not be summed
    g = d.groupby("period").agg(count=("count", lambda s: s.sum(min_count=1)),
                                members=("count", "count"),
                                status=("status", lambda s: " ".join(sorted({t for v in s.fillna("")
                                                                               for t in str(v).split()}))))
    g = g.reset_index()
    g.loc[g["members"] < len(set(codes)), "count"] = np.nan
    g["year"] = g["period"].astype(int)
    if until is not None:
        g = g[g["year"] <= until.end.year]
    g = g.sort_values("year").reset_index(drop=True)
    lo, hi = np.full(len(g), np.nan), np.full(len(g), np.nan)
    ok = g["count"].notna().to_numpy()
    if ok.any():
        lims = ind.poisson_limits(g.loc[ok, "count"].to_numpy(dtype=float), 0.95)
        lo[ok], hi[ok] = np.asarray(lims[0], dtype=float), np.asarray(lims[1], dtype=float)
    g["lower_95"], g["upper_95"] = lo, hi
    return g[cols]


def deaths_change(annual: pd.DataFrame, measure: str = "deaths") -> CountChange | None:
    """The latest year against the one before: exact rate-ratio test and its sentence.

    Returns ``None`` when fewer than two years have counts.

    When either count is suppressed (``c`` in ``status``, see
    :func:`cdp_analysis.indicators.disclosure.protect`) no change is stated: the other count,
    the difference or the ratio would give the hidden one away. The sentence says so and
    ``suppressed`` is True.

    Returns
    -------
    CountChange or None
        The periods, counts, rate ratio with its interval, p-value, ``significant``, ``verdict``,
        ``sentence`` and the library's :class:`~cdp_analysis.results.ChangeTest` as ``test``.

    >>> a = pd.DataFrame({"period": ["2020", "2021"], "count": [59.0, 55.0]})
    >>> ch = deaths_change(a)
    >>> ch.verdict, round(ch.ratio, 3), ch.previous_period, ch.period
    ('not a statistically significant change', 0.932, '2020', '2021')
    >>> hidden = pd.DataFrame({"period": ["2020", "2021"], "count": [float("nan"), 0.0], "status": ["c", ""]})
    >>> deaths_change(hidden, "drug misuse deaths registered").sentence
    'The change in drug misuse deaths registered from 2020 to 2021 is not shown: a count below 5 is suppressed [c], and the change would reveal it'
    """
    from cdp_analysis import indicators as ind
    from cdp_analysis.indicators.disclosure import DisclosurePolicy, is_hidden

    status = annual["status"] if "status" in annual else pd.Series("", index=annual.index)
    hidden = status.map(is_hidden)
    a = annual[annual["count"].notna() | hidden]
    if len(a) < 2:
        return None
    x, y = a.iloc[-1], a.iloc[-2]
    if hidden[a.index[-1]] or hidden[a.index[-2]]:
        threshold = DisclosurePolicy.from_env().threshold
        return CountChange(str(x["period"]), str(y["period"]), np.nan, np.nan, np.nan, np.nan, np.nan, np.nan,
                           significant=False, suppressed=True,
                           sentence=f"The change in {measure} from {y['period']} to {x['period']} is not shown: a "
                                    f"count below {threshold} is suppressed [c], and the change would reveal it")
    from cdp_analysis.indicators.small_numbers import comparison_adequacy

    enough = comparison_adequacy(float(x["count"]), float(y["count"]), "deaths" if "death" in measure else measure)
    if not enough:
        return CountChange(str(x["period"]), str(y["period"]), float(x["count"]), float(y["count"]), np.nan,
                           np.nan, np.nan, np.nan, significant=None, suppressed=False,
                           sentence=(f"{float(x['count']):,.0f} {measure} in {x['period']} against "
                                     f"{float(y['count']):,.0f} in {y['period']}: a change cannot be calculated "
                                     f"({enough.reason})"))
    frame = ind.rate_ratio_test(float(x["count"]), 1.0, float(y["count"]), 1.0)
    test = frame.iloc[0]
    sentence = ind.describe_change(float(x["count"]), float(y["count"]), str(x["period"]), str(y["period"]),
                                   measure=measure)
    return CountChange(str(x["period"]), str(y["period"]), float(x["count"]), float(y["count"]),
                       float(test["ratio"]), float(test["lower"]), float(test["upper"]), float(test["p_value"]),
                       significant=bool(test["significant"]), suppressed=False, sentence=str(sentence), test=frame)


def _latest_pool(asmr: pd.DataFrame, until: Period | None) -> str | None:
    periods = asmr["period"].dropna().unique()
    keyed = sorted((Period.parse(p).end, p) for p in periods)
    if until is not None:
        keyed = [k for k in keyed if k[0].year <= until.end.year]
    return keyed[-1][1] if keyed else None


def deaths_asmr_comparison(deaths: pd.DataFrame, codes: Sequence[str], benchmarks: Sequence[tuple[str, str]],
                           metric_id: str = "drug_misuse_asmr", period: str | None = None,
                           until: Period | None = None, sex: str = "persons") -> pd.DataFrame:
    """The pooled 3-year ASMR of the area (or each member) against its region and England.

    Fingertips' rule (:func:`cdp_analysis.indicators.benchmark_comparison`): the benchmark
    value inside the area's 95% interval is "similar", otherwise "better"/"worse" (drug deaths
    are lower-is-better). Published ASMRs cannot be summed, so a partnership gets one row per
    member (``role="member"``) and a summed pooled count only.

    Parameters
    ----------
    deaths
        ``observations`` rows holding ``metric_id``.
    codes
        The area's GSS codes.
    benchmarks
        ``[(code, name), ...]`` from :func:`comparators` (region, England).
    metric_id
        ``drug_misuse_asmr`` or ``drug_poisoning_asmr``.
    period
        Pooled period (``"2019-2021"``); default the latest ending by ``until``.
    until
        The reporting period: the pool must end in the year its end falls in, or earlier.
    sex
        ``persons``, ``males`` or ``females``.

    Returns
    -------
    pandas.DataFrame
        ``area_code, area_name, role (area|member|benchmark), period, count, value, lower_95,
        upper_95, status, vs_<code>`` (one comparison column per benchmark, e.g.
        ``vs_E92000001``).

    Examples
    --------
    >>> obs = pd.DataFrame({"metric_id": "m", "area_code": ["A", "E92000001"], "period": "2019-2021",
    ...     "sex": "persons", "count": [77.0, 9000.0], "value": [6.8, 5.0], "lower_95": [5.3, 4.9],
    ...     "upper_95": [8.5, 5.1], "status": ""})
    >>> deaths_asmr_comparison(obs, ["A"], [("E92000001", "England")], "m")["vs_E92000001"].tolist()
    ['worse', '']
    """
    from cdp_analysis import indicators as ind

    d = deaths[deaths["metric_id"] == metric_id]
    if "sex" in d:
        d = d[d["sex"] == sex]
    bench_codes = [b[0] for b in benchmarks]
    cols = ["area_code", "area_name", "role", "period", "count", "value", "lower_95", "upper_95", "status",
            *[f"vs_{c}" for c in bench_codes]]
    if d.empty:
        return pd.DataFrame(columns=cols)
    period = period or _latest_pool(d, until)
    d = d[d["period"] == period]
    role = "member" if len(codes) > 1 else "area"
    rows = []
    for code in [*codes, *bench_codes]:
        r = d[d["area_code"] == code]
        base = {"area_code": code, "area_name": areas.name_or_code(code), "role": role if code in codes else "benchmark",
                "period": period}
        if r.empty:
            rows.append({**base, "count": np.nan, "value": np.nan, "lower_95": np.nan, "upper_95": np.nan,
                         "status": "x"})
        else:
            r0 = r.iloc[0]
            rows.append({**base, **{k: r0[k] for k in ("count", "value", "lower_95", "upper_95")},
                         "status": str(r0["status"] or "")})
    out = pd.DataFrame(rows)
    for code in bench_codes:
        b = out.loc[out["area_code"] == code, "value"]
        bv = float(b.iloc[0]) if len(b) else np.nan
        lab = ind.benchmark_comparison(out["lower_95"], out["upper_95"], bv, "lower_is_better")
        out[f"vs_{code}"] = np.where(out["role"] == "benchmark", "", lab)
    return out[cols]


def comparison_columns(comparison: pd.DataFrame, benchmarks: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Name the comparison columns of :func:`deaths_asmr_comparison` by role: ``vs_region``, ``vs_england``.

    The first benchmark other than England is the region; ``vs_region`` is empty when there is none.

    >>> c = pd.DataFrame({"vs_E12000009": ["similar"], "vs_E92000001": ["worse"]})
    >>> comparison_columns(c, [("E12000009", "South West"), (ENGLAND, "England")]).columns.tolist()
    ['vs_region', 'vs_england']
    """
    regions = [code for code, _ in benchmarks if code != ENGLAND]
    out = comparison.rename(columns={f"vs_{ENGLAND}": "vs_england",
                                     **({f"vs_{regions[0]}": "vs_region"} if regions else {})})
    if "vs_region" not in out:
        out["vs_region"] = ""
    return out


def deaths_funnel(deaths: pd.DataFrame, metric_id: str = "drug_misuse_asmr", period: str | None = None,
                  codes: Sequence[str] | None = None, until: Period | None = None,
                  n_points: int = 100) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Funnel plot of every English upper-tier area's pooled ASMR (Fingertips' DSR funnel).

    The x axis is each area's *derived* annual population (``100,000 x deaths / ASMR / 3``),
    the centre line the average rate over all areas, and the limits the 95% and 99.8% Poisson
    limits around it (:func:`cdp_analysis.indicators.funnel_limits`, ``statistic="rate"``,
    ``rate_type="dsr"``), interpolated onto a common population grid. Areas with fewer than
    10 deaths have no published ASMR and are not plotted.

    Parameters
    ----------
    deaths
        ``observations`` rows for all areas.
    metric_id, period, until
        As :func:`deaths_asmr_comparison`.
    codes
        Areas to mark (``highlight``).
    n_points
        Points of the limit lines.

    Returns
    -------
    (points, limits)
        ``points``: ``area_code, area_name, period, count, value, lower_95, upper_95,
        denominator, significance, significance_unadjusted, significance_adjusted, highlight``;
        ``limits``: ``denominator, baseline, centre, lower_95, upper_95, lower_99_8,
        upper_99_8`` (``centre`` = ``baseline``, the average rate) and the same limits prefixed
        ``unadjusted_`` and ``adjusted_``, with ``phi``, ``phi_p``, ``tau`` and ``limits_shown``
        (see :func:`_allow_for_overdispersion`): the plain columns are the limits allowing for
        over-dispersion when the areas vary more than chance allows (Spiegelhalter 2005).
    """
    from cdp_analysis.indicators import funnels

    d = deaths[(deaths["metric_id"] == metric_id)]
    if "sex" in d:
        d = d[d["sex"] == "persons"]
    period = period or (_latest_pool(d, until) if len(d) else None)
    utla = set(areas.upper_tier_areas())
    pts = d[(d["period"] == period) & d["area_code"].isin(utla)]
    pts = pts.dropna(subset=["count", "value"])
    pts = pts[(pts["count"] >= 10) & (pts["value"] > 0)].copy()
    if pts.empty:
        return pd.DataFrame(), pd.DataFrame()
    years = Period.parse(period).n_months / 12 if period else 3
    pts = pts.drop(columns=["denominator"], errors="ignore")
    pts = funnels.funnel_points(pts, "count", "value", "dsr", years_of_data=years).rename(
        columns={"denominator_derived": "denominator"})
    sig = getattr(funnels, "funnel_significance", None)
    if sig is not None:
        pts["significance"] = sig(pts, "count", "rate", rate="value", rate_type="dsr",
                                  multiplier=100_000)["significance"].to_numpy()
    else:  # pragma: no cover - older indicators
        pts["significance"] = ""
    pts["area_name"] = [areas.name_or_code(c) for c in pts["area_code"]]
    pts["highlight"] = pts["area_code"].isin(list(codes or []))
    raw = funnels.funnel_limits(pts, "count", "rate", rate="value", rate_type="dsr", multiplier=100_000,
                                years_of_data=years, n_points=n_points)
    lo_x, hi_x = pts["denominator"].min() * 0.9, pts["denominator"].max() * 1.05
    grid = np.geomspace(lo_x, hi_x, n_points)
    base = float(raw["baseline"].iloc[0])
    lim = pd.DataFrame({"denominator": grid, "centre": base, "baseline": base})
    for col in ("lower_95", "upper_95", "lower_99_8", "upper_99_8"):
        x = raw[f"{col}_population"].to_numpy(dtype=float)
        y = raw[col].to_numpy(dtype=float)
        ok = np.isfinite(x) & np.isfinite(y) & (x > 0)
        lim[col] = _interp_funnel(grid, x[ok], y[ok])
    pts, lim = _allow_for_overdispersion(pts, lim, grid, years)
    keep = ["area_code", "area_name", "period", "count", "value", "lower_95", "upper_95", "denominator",
            "significance", "significance_unadjusted", "significance_adjusted", "highlight"]
    return pts[keep].reset_index(drop=True), lim


LIMIT_COLUMNS = ("lower_95", "upper_95", "lower_99_8", "upper_99_8")


def _allow_for_overdispersion(pts: pd.DataFrame, lim: pd.DataFrame, grid: np.ndarray,
                              years: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add Spiegelhalter's (2005) over-dispersion to a DSR funnel; show the adjusted limits when phi > 1 by its test.

    Points gain ``significance_unadjusted`` (Fingertips' exact Poisson labels) and
    ``significance_adjusted`` (against the additive random-effects limits,
    :func:`cdp_analysis.indicators.overdispersed_funnel`, square-root scale, 10% Winsorised);
    limits gain ``unadjusted_*`` and ``adjusted_*`` columns and ``phi``, ``phi_p``, ``tau``
    (between-area standard deviation, deaths per 100,000) and ``limits_shown``
    (``"adjusted"`` or ``"unadjusted"``). When the test finds phi > 1 at 5%, ``significance``
    and the plain limit columns are the adjusted ones.
    """
    from cdp_analysis.indicators.overdispersion import overdispersed_funnel

    pts = pts.copy()
    lim = lim.copy()
    pts["significance_unadjusted"] = pts["significance"]
    pts["significance_adjusted"] = pts["significance"]
    for col in LIMIT_COLUMNS:
        lim[f"unadjusted_{col}"] = lim[col]
        lim[f"adjusted_{col}"] = lim[col]
    lim["phi"], lim["phi_p"], lim["tau"], lim["limits_shown"] = np.nan, np.nan, np.nan, "unadjusted"
    if len(pts) < 3:
        return pts, lim
    od = overdispersed_funnel(pts, "count", "rate", rate="value", rate_type="dsr", multiplier=100_000,
                              years_of_data=years, sizes=grid)
    pts["significance_adjusted"] = od.points["significance_additive"].to_numpy()
    for col in LIMIT_COLUMNS:
        lim[f"adjusted_{col}"] = od.limits[f"additive_{col}"].to_numpy()
    o = od.overdispersion
    lim["phi"], lim["phi_p"], lim["tau"] = o.phi, o.p_value, o.tau_units
    if od.shown == "additive":
        lim["limits_shown"] = "adjusted"
        pts["significance"] = pts["significance_adjusted"]
        for col in LIMIT_COLUMNS:
            lim[col] = lim[f"adjusted_{col}"]
    return pts, lim


def _interp_funnel(grid: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Read a limit line at populations ``grid``: linear in :math:`1/\\sqrt{N}`, extrapolated at the ends.

    Poisson limits approach the baseline as :math:`z/\\sqrt{\\mu}`, so they are nearly linear in
    :math:`1/\\sqrt{N}`; the ends of the line are extended along that straight line.

    >>> _interp_funnel(np.array([1.0, 4.0, 16.0]), np.array([1.0, 4.0]), np.array([3.0, 2.0])).tolist()
    [3.0, 2.0, 1.5]
    """
    u = 1 / np.sqrt(x)
    order = np.argsort(u)
    u, y = u[order], y[order]
    g = 1 / np.sqrt(grid)
    out = np.interp(g, u, y)
    if len(u) >= 2:
        lo_slope = (y[1] - y[0]) / (u[1] - u[0])
        hi_slope = (y[-1] - y[-2]) / (u[-1] - u[-2])
        out = np.where(g < u[0], y[0] + lo_slope * (g - u[0]), out)
        out = np.where(g > u[-1], y[-1] + hi_slope * (g - u[-1]), out)
    return out


#: a steady exposure far above any count: the trend test in proportions becomes the Poisson score test
_STEADY_EXPOSURE = 1e9


def deaths_trend_test(annual: pd.DataFrame | None = None, asmr: pd.DataFrame | None = None,
                      codes: Sequence[str] = (), metric_id: str = "drug_misuse_asmr",
                      until: Period | None = None) -> pd.DataFrame:
    """Fingertips' recent-trend test on the latest five points.

    Two series are tested when available:

    * the annual registered counts (``annual``, members summed), zero years included, by the
      chi-square test for trend in counts over a steady exposure (Fingertips' test for trend
      in proportions with the population assumed steady over the five years: the Poisson
      score test for trend, whose false-positive rate holds its nominal 0.2% at the counts of
      small areas, where the weighted regression on each year's own interval runs a little
      above it); ``slope`` is deaths per year;
    * for a single area, the 3-year ASMRs (``asmr``: ``observations`` rows), by Fingertips'
      weighted regression on the **non-overlapping** pools only (rolling pools share two
      years each).

    Fewer than 10 deaths over the periods used, or fewer than five consecutive periods:
    "cannot be calculated", with ``reason`` (:mod:`cdp_analysis.indicators.small_numbers`).

    Returns
    -------
    pandas.DataFrame
        ``series`` (``"annual count"`` or ``"3-year ASMR"``), ``from_period, to_period, slope,
        chi_square, trend, label, reason``.

    Examples
    --------
    >>> a = pd.DataFrame({"period": [str(y) for y in range(2017, 2022)], "count": [40., 40, 41, 39, 40],
    ...                   "lower_95": [28.6, 28.6, 29.4, 27.7, 28.6], "upper_95": [54.5, 54.5, 55.6, 53.3, 54.5]})
    >>> deaths_trend_test(a)["trend"].tolist()
    ['no significant change']
    """
    from cdp_analysis import indicators as ind

    cols = ["series", "from_period", "to_period", "slope", "chi_square", "trend", "label", "reason"]
    out = []
    if annual is not None and len(annual.dropna(subset=["count"])):
        # every year with a figure, zeros included (a year with no deaths is a point, not a gap);
        # fewer than 10 deaths over the five years: "cannot be calculated" (small_numbers)
        a = annual.dropna(subset=["count"]).assign(_exposure=_STEADY_EXPOSURE)
        r = ind.recent_trend(a, polarity="lower_is_better", count="count", denominator="_exposure")
        r["slope"] = r["slope"] * _STEADY_EXPOSURE  # deaths per year
        out.append(r.assign(series="annual count", reason=r["reason"].str.replace(" events ", " deaths ")))
    if asmr is not None and len(codes) == 1:
        s = asmr[(asmr["metric_id"] == metric_id) & (asmr["area_code"] == codes[0])]
        if "sex" in s:
            s = s[s["sex"] == "persons"]
        if until is not None and len(s):
            s = s[[Period.parse(p).end.year <= until.end.year for p in s["period"]]]
        if len(s):
            # rolling pools share two years each: recent_trend tests only non-overlapping pools
            # (2007-2009 ... 2019-2021); a pool without a rate (ONS: fewer than 10 deaths) ends the run
            r = ind.recent_trend(s, polarity="lower_is_better", count="count" if "count" in s else None)
            r["reason"] = r["reason"].str.replace(" events ", " deaths ")
            ends = np.array([Period.parse(p).last for p in s["period"]])
            if r["trend"].iloc[0] == "cannot be calculated" and s.loc[ends == ends.max(), "value"].isna().all():
                r["reason"] = ("no age-standardised rate for the latest pool: ONS does not calculate one from "
                               "fewer than 10 deaths")
            out.append(r.assign(series="3-year ASMR"))
    if not out:
        return pd.DataFrame(columns=cols)
    return pd.concat(out, ignore_index=True)[cols]


def deaths_forecast(annual: pd.DataFrame, horizon: int = 3, *, measure: str = "drug_misuse_deaths",
                    seed: int = 0) -> pd.DataFrame:
    """Forecast the annual registered deaths ``horizon`` years on, with the backtest that chose the model.

    Wraps :func:`cdp_analysis.models.forecast` (count series; log-linear quasi-Poisson GLM
    unless its rolling-origin backtest prefers another model). Uses the longest run of
    consecutive years with counts.

    Returns
    -------
    pandas.DataFrame
        ``period, mean, lower_80, upper_80, lower_95, upper_95, model, status`` (``[f]``) with
        ``.attrs`` holding ``model, mase, coverage_95, n_origins, flags, notes``; empty
        (with ``attrs["reason"]``) when there are fewer than 8 years.
    """
    from cdp_analysis import models

    a = annual.dropna(subset=["count"]).sort_values("year")
    if len(a):
        years = a["year"].to_numpy()
        breaks = np.flatnonzero(np.diff(years) != 1)
        start = breaks[-1] + 1 if len(breaks) else 0
        a = a.iloc[start:]
    from cdp_analysis.indicators.small_numbers import forecast_adequacy

    reason = f"only {len(a)} consecutive years of counts (8 or more needed)" if len(a) < 8 else None
    if reason is None:
        enough = forecast_adequacy(a["count"].to_numpy(dtype=float), "deaths")
        reason = None if enough else enough.reason
    if reason is not None:
        out = pd.DataFrame(columns=["period", "mean", "lower_80", "upper_80", "lower_95", "upper_95", "model",
                                    "status"])
        out.attrs["reason"] = reason
        return out
    series = pd.Series(a["count"].to_numpy(dtype=float), index=a["period"].astype(str).to_numpy(), name=measure)
    fc = models.forecast(series, horizon, kind="count", seed=seed)
    keep = {k: fc.attrs.get(k) for k in (*BACKTEST_KEYS, "flags", "notes", "warnings", "candidate", "n_checks",
                                         "series_name")}
    fc.attrs.clear()
    fc.attrs.update(keep)
    return fc


def pooled_deaths_forecasts(d_count: pd.DataFrame, metric_id: str, until: Period | None, areas_wanted: Sequence[str],
                            horizon: int = 3) -> dict[str, pd.DataFrame]:
    """Forecasts [f] of annual registered deaths from the pooled small-area model, with each area's backtest.

    Every English upper-tier area with a count for every year enters the pooled model
    (:func:`cdp_analysis.models.pooled.pooled_forecast`: each area's trend shrunk towards its
    region's, NB2 intervals from the model's past errors); partnerships are forecast from
    their members' summed counts with their region's estimates. It became the default after
    meeting the targets of ``benchmarks/results/forecast_accuracy.md`` (MASE 1.175 against
    naive's 1.400, 95% coverage 0.953, MSIS 7.90 against 8.69, on origins 2014-2018 with the
    specification fixed on 2009-2013). Each area's accuracy is its own rolling-origin backtest
    (5 origins, horizons 1-3; :func:`cdp_analysis.models.pooled.pooled_backtest`).

    Returns
    -------
    dict
        Area -> frame as :func:`deaths_forecast` returns (``model`` ``"pooled"``, backtest in
        ``.attrs``); areas that cannot be pooled (a year missing, too few years, or counts too
        small for a forecast by the small-number rules) are left out, for the caller to handle.
    """
    from cdp_analysis.errors import CdpInputError
    from cdp_analysis.indicators.small_numbers import forecast_adequacy
    from cdp_analysis.models import REGISTRATION_NOTE, summarise
    from cdp_analysis.models.pooled import pooled_backtest, pooled_forecast

    series = {}
    for code in areas.upper_tier_areas():
        a = deaths_annual(d_count, [code], metric_id, until=until)
        if len(a):
            series[code] = pd.Series(a["count"].to_numpy(dtype=float), index=a["period"].astype(str).to_numpy())
    if len(series) < 10:
        return {}
    panel = pd.DataFrame(series).T
    panel = panel[sorted(panel.columns)]
    panel = panel[panel.notna().all(axis=1)]

    def region(code: str) -> str:
        comp = areas.comparators(code)
        return comp[0][0] if len(comp) > 1 else ENGLAND

    groups = {c: region(c) for c in panel.index}
    extra = {}
    for area in areas_wanted:
        if area in panel.index:
            continue
        members = areas.members(area)
        if members and all(m in panel.index for m in members):
            extra[area] = panel.loc[members].sum()
            groups[area] = groups[members[0]]
    ext = pd.DataFrame(extra).T if extra else None
    try:
        fc = pooled_forecast(panel, groups, horizon, extra=ext)
        checks = pooled_backtest(panel, groups, horizon, extra=ext)
    except CdpInputError:
        return {}
    both = panel if ext is None else pd.concat([panel, ext[list(panel.columns)]])
    out = {}
    for area in areas_wanted:
        if area not in both.index or not forecast_adequacy(both.loc[area].to_numpy(dtype=float), "deaths"):
            continue
        t = fc.area(area)
        f = pd.DataFrame({"period": t["period"], "mean": t["mean"], "lower_80": t["lower_80"],
                          "upper_80": t["upper_80"], "lower_95": t["lower_95"], "upper_95": t["upper_95"],
                          "model": "pooled", "status": "[f]"})
        sc = summarise(checks[checks["series"] == area])
        if "pooled" in sc.index:
            r = sc.loc["pooled"]
            f.attrs.update({"model": "pooled", "mase": float(r["mase"]), "rmsse": float(r["rmsse"]),
                            "coverage_80": float(r["coverage_80"]), "coverage_95": float(r["coverage_95"]),
                            "msis_95": float(r["msis_95"]), "n_origins": 5, "n_checks": int(r["n_checks"])})
            if "naive" in sc.index:
                f.attrs["backtest"] = {"naive": {"mase": float(sc.loc["naive", "mase"])}}
        f.attrs.update({"flags": [], "notes": [REGISTRATION_NOTE], "warnings": [], "candidate": "pooled",
                        "series_name": metric_id})
        out[area] = f
    return out
