"""The needs-assessment appendix's figures: pure functions over frames from the store.

One function per section's figures. Each takes frames (as :class:`~cdp_analysis.data.store.Store`
returns them) and the GSS codes an area stands for, and returns a tidy frame; nothing here
reads files or prints. The wording lives in :mod:`cdp_analysis.report.needs_sections`, and
what every area shares (comparisons against all areas, funnel limits, per-area forecasts
and backtests) is computed once per period by :mod:`cdp_analysis.shared`.

Rules every function follows:

* **Partnerships sum their members' counts and populations** before any rate is computed;
  rates are never averaged. Published age-standardised rates (ASMRs) cannot be summed, so a
  partnership's ASMR is not shown: its members' are shown side by side, and the reason said.
* ONS drug deaths are by **year of registration**, not occurrence.
* No "rise" or "fall" without a test behind it: changes carry the exact rate-ratio test,
  trends Fingertips' recent-trend test, comparisons Fingertips' benchmark rule.
* Forecasts carry the GSS marker ``[f]`` and the backtest that chose the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cdp_analysis.periods import Period

__all__ = [
    "ENGLAND",
    "DEATH_METRICS",
    "POLICE_METRICS",
    "NeedsContext",
    "load_context",
    "area_codes",
    "comparators",
    "population_profile",
    "deaths_annual",
    "deaths_change",
    "deaths_asmr_comparison",
    "deaths_funnel",
    "deaths_trend_test",
    "deaths_forecast",
    "police_monthly",
    "police_top_lsoas",
    "police_seasonality",
    "police_year_end_projection",
    "treatment_targets",
    "reoffending_national",
    "reoffending_local",
    "reoffending_change",
    "seizures_annual",
    "seizures_summary",
    "alcohol_dependence",
    "drug_use_prevalence",
    "unmet_need",
    "summary_findings",
]

ENGLAND = "E92000001"
#: annual counts and the pooled 3-year ASMR of each ONS measure
DEATH_METRICS = {
    "misuse": ("drug_misuse_deaths", "drug_misuse_asmr"),
    "poisoning": ("drug_poisoning_deaths", "drug_poisoning_asmr"),
}
POLICE_METRICS = ("police_uk_drugs", "police_uk_neighbourhood_crime")
REOFFENDING_METRICS = ("proven_reoffending_rate", "proven_reoffending_frequency", "reoffending_cohort",
                       "reoffenders", "reoffences")
#: Home Office seizures shown in the appendix
SEIZURE_METRICS = ("drug_seizures", "drug_seizures_class_a", "drug_seizures_cannabis")
#: Crime Survey for England and Wales: last-year use (national estimates)
PREVALENCE_METRICS = {"csew_any_drug_use_last_year": "any drug", "csew_any_class_a_drug_use_last_year": "any Class A drug"}
ALCOHOL_METRIC = "alcohol_dependent_adults"
#: Fingertips' unmet need for treatment (metric -> who)
UNMET_METRICS = {"fingertips_93517": "opiate and/or crack cocaine users", "fingertips_93532": "dependent drinkers"}
CONTEXT_METRICS = (*SEIZURE_METRICS, *PREVALENCE_METRICS, ALCOHOL_METRIC, *UNMET_METRICS)
ENGLAND_AND_WALES = "K04000001"
#: broad age bands of the population profile (lower bound, label)
PROFILE_BANDS = ((0, "0-17"), (18, "18-24"), (25, "25-34"), (35, "35-44"), (45, "45-54"), (55, "55-64"),
                 (65, "65+"))


# --------------------------------------------------------------------------- areas
def area_codes(area: str) -> list[str]:
    """The GSS codes whose counts make up ``area`` (a partnership's members, or itself).

    >>> area_codes("pan-dorset"), area_codes("E08000025")
    (['E06000058', 'E06000059'], ['E08000025'])
    """
    from cdp_analysis import areas

    return list(areas.members(area))


def comparators(area: str) -> list[tuple[str, str]]:
    """``[(code, name), ...]`` of the area's region and England, the benchmarks of every comparison.

    >>> comparators("pan-dorset")
    [('E12000009', 'South West'), ('E92000001', 'England')]
    """
    from cdp_analysis import areas

    regions = []
    for code in area_codes(area):
        try:
            r = areas.get_area(code).region
        except Exception:  # pragma: no cover - areas without a row
            r = ""
        if r and r not in regions:
            regions.append(r)
    out = [(r, areas.area_name(r)) for r in regions if r != ENGLAND]
    return [*out, (ENGLAND, "England")]


def _name(code: str) -> str:
    from cdp_analysis import areas

    try:
        return areas.area_name(code)
    except Exception:
        return code


# --------------------------------------------------------------------------- context
@dataclass
class NeedsContext:
    """Everything the needs-assessment notebook works from, read and validated once."""

    area: str
    area_name: str
    period: Period
    codes: list[str]
    is_partnership: bool
    benchmarks: list[tuple[str, str]]
    deaths: pd.DataFrame
    population: pd.DataFrame
    returns: pd.DataFrame
    metrics: pd.DataFrame
    police: pd.DataFrame
    lsoas: pd.DataFrame
    reoffending: pd.DataFrame
    shared: Any = None
    #: Home Office seizures, Crime Survey prevalence, alcohol-dependence and unmet-need estimates (``observations``)
    context: pd.DataFrame = field(default_factory=pd.DataFrame)
    include_forecast: bool = True
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.area_name}: drugs needs assessment appendix, {self.period}"

    @property
    def region(self) -> tuple[str, str] | None:
        """The first regional comparator (``None`` when the area spans no region)."""
        regions = [b for b in self.benchmarks if b[0] != ENGLAND]
        return regions[0] if regions else None


def _table_exists(store: Any, name: str) -> bool:
    q = "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = ?"
    return bool(store.sql(q, [name])["n"].iloc[0])


def load_context(area: str = "pan-dorset", period: str = "2023/24 Q1", db: str | None = None,
                 shared: str | None = None, include_forecast: bool = True) -> NeedsContext:
    """Validate the parameters and read what the appendix needs from the store.

    ``shared`` is the path of the file :func:`cdp_analysis.shared.compute_shared` wrote; when
    empty the default location for ``period`` is tried, and when that is missing (or was
    computed from a different store) the shared results this area needs are computed here.
    """
    from cdp_analysis import areas
    from cdp_analysis import shared as sh
    from cdp_analysis.data.store import Store
    from cdp_analysis.progress import _police_forces

    p = Period.parse(period)
    areas.validate_area(area)
    kind, codes, name = areas.resolve(area)
    bench = comparators(area)
    scope = list(dict.fromkeys([area, *codes, *_police_forces([area, *codes]), ENGLAND]))
    death_ids = [m for pair in DEATH_METRICS.values() for m in pair]
    with Store(db or None, read_only=True) as store:
        deaths = store.observations(metric_id=death_ids, sex=None)
        population = store.population(area_code=[*codes, *(b[0] for b in bench)])
        returns = store.returns(area_code=scope)
        metrics = store.reference("metrics")
        police = store.observations(metric_id=list(POLICE_METRICS), area_code=codes)
        lsoas = pd.DataFrame()
        if _table_exists(store, "police_crimes_by_lsoa"):
            lsoas = store.sql("SELECT * FROM police_crimes_by_lsoa")
        reoff = store.observations(metric_id=list(REOFFENDING_METRICS), sex=None)
        context = store.observations(metric_id=list(CONTEXT_METRICS), sex=None)
        fingerprint = sh.store_fingerprint(store)
    ctx = NeedsContext(area, name, p, list(codes), kind == "partnership", bench, deaths, population, returns,
                       metrics, police, lsoas, reoff, include_forecast=include_forecast, context=context)
    res = sh.load_shared(p.label, path=shared or None, fingerprint=fingerprint)
    if res is None:
        res = sh.compute_results(ctx.deaths, p.label, areas=[area], forecasts=include_forecast)
        ctx.notes.append("Shared results were computed for this area alone (no shared file for the period).")
    ctx.shared = res
    return ctx


# --------------------------------------------------------------------------- population
def population_profile(population: pd.DataFrame, codes: Sequence[str], year: int | None = None,
                       benchmark: str | None = ENGLAND) -> pd.DataFrame:
    """Population by broad age band, members summed, with the benchmark's age structure.

    Parameters
    ----------
    population
        Rows of the store's ``population`` table (single years of age, ``sex='persons'``).
    codes
        The area's GSS codes (summed).
    year
        Mid-year of the estimate; default the latest year every code has.
    benchmark
        Code whose percentages are shown alongside (default England); ``None`` for none.

    Returns
    -------
    pandas.DataFrame
        ``age_band, population, percent, benchmark_percent, year``; empty when the store
        has no population for the codes.

    Examples
    --------
    >>> pop = pd.DataFrame({"area_code": ["A", "A", "B", "B"], "year": 2021, "sex": "persons",
    ...                     "age": [10, 30, 10, 70], "population": [100.0, 300.0, 50.0, 50.0]})
    >>> population_profile(pop, ["A", "B"], benchmark=None)[["age_band", "population", "percent"]].values.tolist()
    [['0-17', 150.0, 30.0], ['18-24', 0.0, 0.0], ['25-34', 300.0, 60.0], ['35-44', 0.0, 0.0], ['45-54', 0.0, 0.0], ['55-64', 0.0, 0.0], ['65+', 50.0, 10.0]]
    """
    cols = ["age_band", "population", "percent", "benchmark_percent", "year"]
    pop = population[population["area_code"].isin(list(codes))]
    if "sex" in pop:
        pop = pop[pop["sex"] == "persons"]
    if pop.empty:
        return pd.DataFrame(columns=cols)
    if year is None:
        have = pop.groupby("year")["area_code"].nunique()
        full = have[have == len(set(codes))]
        if full.empty:
            return pd.DataFrame(columns=cols)
        year = int(full.index.max())
    bounds = [b for b, _ in PROFILE_BANDS]
    labels = [lab for _, lab in PROFILE_BANDS]

    def banded(df: pd.DataFrame) -> pd.Series:
        idx = np.searchsorted(bounds, df["age"].to_numpy(), side="right") - 1
        s = df.groupby(np.asarray(labels, dtype=object)[idx])["population"].sum()
        return s.reindex(labels, fill_value=0.0).astype(float)

    area = banded(pop[pop["year"] == year])
    out = pd.DataFrame({"age_band": labels, "population": area.to_numpy()})
    out["percent"] = out["population"] / out["population"].sum() * 100
    out["benchmark_percent"] = np.nan
    if benchmark is not None:
        b = population[(population["area_code"] == benchmark) & (population["year"] == year)]
        if "sex" in b:
            b = b[b["sex"] == "persons"]
        if len(b):
            bb = banded(b)
            out["benchmark_percent"] = (bb / bb.sum() * 100).to_numpy()
    out["year"] = year
    return out[cols]


# --------------------------------------------------------------------------- deaths
def deaths_annual(deaths: pd.DataFrame, codes: Sequence[str], metric_id: str = "drug_misuse_deaths",
                  until: int | None = None) -> pd.DataFrame:
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
        Last registration year to keep (the reporting period's year); default all.

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
    from cdp_analysis.indicators._limits import poisson_limits

    cols = ["period", "year", "count", "lower_95", "upper_95", "members", "status"]
    d = deaths[(deaths["metric_id"] == metric_id) & deaths["area_code"].isin(list(codes))]
    if "sex" in d:
        d = d[d["sex"] == "persons"]
    d = d[d["period"].astype(str).str.fullmatch(r"\d{4}")]
    if d.empty:
        return pd.DataFrame(columns=cols)
    g = d.groupby("period").agg(count=("count", lambda s: s.sum(min_count=1)),
                                members=("count", "count"),
                                status=("status", lambda s: " ".join(sorted({t for v in s.fillna("")
                                                                               for t in str(v).split()}))))
    g = g.reset_index()
    g.loc[g["members"] < len(set(codes)), "count"] = np.nan
    g["year"] = g["period"].astype(int)
    if until is not None:
        g = g[g["year"] <= until]
    g = g.sort_values("year").reset_index(drop=True)
    lo, hi = np.full(len(g), np.nan), np.full(len(g), np.nan)
    ok = g["count"].notna().to_numpy()
    if ok.any():
        lims = poisson_limits(g.loc[ok, "count"].to_numpy(dtype=float), 0.95)
        lo[ok], hi[ok] = np.asarray(lims[0], dtype=float), np.asarray(lims[1], dtype=float)
    g["lower_95"], g["upper_95"] = lo, hi
    return g[cols]


def deaths_change(annual: pd.DataFrame, measure: str = "deaths") -> dict[str, Any] | None:
    """The latest year against the one before: exact rate-ratio test and its sentence.

    Returns ``None`` when fewer than two years have counts.

    >>> a = pd.DataFrame({"period": ["2020", "2021"], "count": [59.0, 55.0]})
    >>> deaths_change(a)["sentence"].split(":")[1].strip()[:40]
    'not a statistically significant change ('
    """
    from cdp_analysis import indicators as ind

    a = annual.dropna(subset=["count"])
    if len(a) < 2:
        return None
    x, y = a.iloc[-1], a.iloc[-2]
    test = ind.rate_ratio_test(float(x["count"]), 1.0, float(y["count"]), 1.0).iloc[0]
    sentence = ind.describe_change(float(x["count"]), float(y["count"]), str(x["period"]), str(y["period"]),
                                   measure=measure)
    return {"period": str(x["period"]), "previous_period": str(y["period"]), "count": float(x["count"]),
            "previous": float(y["count"]), "ratio": float(test["ratio"]), "p_value": float(test["p_value"]),
            "significant": bool(test["significant"]), "sentence": str(sentence)}


def _latest_pool(asmr: pd.DataFrame, until: int | None) -> str | None:
    periods = asmr["period"].dropna().unique()
    keyed = sorted((Period.parse(p).end, p) for p in periods)
    if until is not None:
        keyed = [k for k in keyed if k[0].year <= until]
    return keyed[-1][1] if keyed else None


def deaths_asmr_comparison(deaths: pd.DataFrame, codes: Sequence[str], benchmarks: Sequence[tuple[str, str]],
                           metric_id: str = "drug_misuse_asmr", period: str | None = None,
                           until: int | None = None, sex: str = "persons") -> pd.DataFrame:
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
        Latest year the pool may end in.
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
        base = {"area_code": code, "area_name": _name(code), "role": role if code in codes else "benchmark",
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


def deaths_funnel(deaths: pd.DataFrame, metric_id: str = "drug_misuse_asmr", period: str | None = None,
                  codes: Sequence[str] | None = None, until: int | None = None,
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
        denominator, significance, highlight``; ``limits``: ``denominator, baseline,
        centre, baseline, lower_95, upper_95, lower_99_8, upper_99_8`` (``centre`` = ``baseline``,
        the average rate).
    """
    from cdp_analysis import areas
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
    pts["area_name"] = [_name(c) for c in pts["area_code"]]
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
    keep = ["area_code", "area_name", "period", "count", "value", "lower_95", "upper_95", "denominator",
            "significance", "highlight"]
    return pts[keep].reset_index(drop=True), lim


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


def deaths_trend_test(annual: pd.DataFrame | None = None, asmr: pd.DataFrame | None = None,
                      codes: Sequence[str] = (), metric_id: str = "drug_misuse_asmr",
                      until: int | None = None) -> pd.DataFrame:
    """Fingertips' recent-trend test on the latest five points.

    Two series are tested when available: the annual registered counts (``annual``, members
    summed; population assumed steady over five years) and, for a single area, the pooled
    ASMRs (``asmr``: ``observations`` rows, rolling 3-year pools, as Fingertips tests them).

    Returns
    -------
    pandas.DataFrame
        ``series`` (``"annual count"`` or ``"3-year ASMR"``), ``from_period, to_period, slope,
        chi_square, trend, label``.

    Examples
    --------
    >>> a = pd.DataFrame({"period": [str(y) for y in range(2017, 2022)], "count": [40., 40, 41, 39, 40],
    ...                   "lower_95": [28.6, 28.6, 29.4, 27.7, 28.6], "upper_95": [54.5, 54.5, 55.6, 53.3, 54.5]})
    >>> deaths_trend_test(a)["trend"].tolist()
    ['no significant change']
    """
    from cdp_analysis import indicators as ind

    cols = ["series", "from_period", "to_period", "slope", "chi_square", "trend", "label"]
    out = []
    if annual is not None and len(annual.dropna(subset=["count"])):
        a = annual.dropna(subset=["count"]).rename(columns={"count": "value"})
        a = a[a["value"] > 0]
        if len(a) >= 5:
            r = ind.recent_trend(a, polarity="lower_is_better")
            out.append(r.assign(series="annual count"))
    if asmr is not None and len(codes) == 1:
        s = asmr[(asmr["metric_id"] == metric_id) & (asmr["area_code"] == codes[0])]
        if "sex" in s:
            s = s[s["sex"] == "persons"]
        s = s.dropna(subset=["value", "lower_95", "upper_95"])
        if until is not None and len(s):
            s = s[[Period.parse(p).end.year <= until for p in s["period"]]]
        if len(s) >= 5:
            r = ind.recent_trend(s, polarity="lower_is_better")
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
    if len(a) < 8:
        out = pd.DataFrame(columns=["period", "mean", "lower_80", "upper_80", "lower_95", "upper_95", "model",
                                    "status"])
        out.attrs["reason"] = f"only {len(a)} consecutive years of counts (8 or more needed)"
        return out
    series = pd.Series(a["count"].to_numpy(dtype=float), index=a["period"].astype(str).to_numpy(), name=measure)
    fc = models.forecast(series, horizon, kind="count", seed=seed)
    keep = {k: fc.attrs.get(k) for k in ("model", "mase", "rmsse", "coverage_80", "coverage_95", "msis_95",
                                         "n_origins", "flags", "notes")}
    fc.attrs.clear()
    fc.attrs.update(keep)
    return fc


# --------------------------------------------------------------------------- police.uk
def police_monthly(police: pd.DataFrame, codes: Sequence[str], until: str | None = None) -> pd.DataFrame:
    """Monthly police.uk counts of drug offences and neighbourhood crime, members summed.

    Parameters
    ----------
    police
        ``observations`` rows of ``police_uk_*`` metrics by area and month (``YYYY-MM``).
    codes
        GSS codes summed.
    until
        Last month (``YYYY-MM``) to keep; when no month is on or before it, every month is kept
        and ``attrs["after_period"]`` is set (the data postdate the reporting period).

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
        before = g[g["month"] <= until]
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


def police_same_months_change(monthly: pd.DataFrame, metric_id: str = "police_uk_drugs") -> dict[str, Any] | None:
    """The latest year's months against the same months a year earlier, tested.

    Takes every month of the latest calendar year that also has a figure one year earlier,
    sums both sides and compares them with the exact conditional rate-ratio test
    (:func:`cdp_analysis.indicators.rate_ratio_test`; equal exposure, the same months).

    Returns
    -------
    dict or None
        ``months`` (e.g. ``"January to April"``), ``year``, ``value``, ``previous``,
        ``ratio``, ``p_value``, ``significant``, ``direction`` (``"higher"``, ``"lower"`` or
        ``"similar"``) and ``sentence``; None when no month has a year-earlier figure.

    Examples
    --------
    >>> m = pd.DataFrame({"metric_id": "police_uk_drugs", "month": ["2024-01", "2024-02", "2025-01", "2025-02"],
    ...                   "n": [80.0, 70.0, 40.0, 45.0]})
    >>> r = police_same_months_change(m)
    >>> r["months"], r["value"], r["previous"], r["direction"]
    ('January to February', 85.0, 150.0, 'lower')
    """
    import calendar

    from cdp_analysis import indicators as ind

    m = monthly[monthly["metric_id"] == metric_id]
    if m.empty:
        return None
    by_month = dict(zip(m["month"], m["n"].astype(float), strict=False))
    year = max(int(k[:4]) for k in by_month)
    pairs = [(k, f"{year - 1}{k[4:]}") for k in sorted(by_month) if k.startswith(f"{year}-")]
    pairs = [(a, b) for a, b in pairs if b in by_month]
    if not pairs:
        return None
    value = sum(by_month[a] for a, _ in pairs)
    previous = sum(by_month[b] for _, b in pairs)
    first, last = int(pairs[0][0][5:]), int(pairs[-1][0][5:])
    months = (calendar.month_name[first] if first == last
              else f"{calendar.month_name[first]} to {calendar.month_name[last]}")
    if len(pairs) != last - first + 1:
        months += f" ({len(pairs)} months)"
    test = ind.rate_ratio_test(value, 1.0, previous, 1.0).iloc[0]
    significant = bool(test["significant"])
    direction = ("higher" if value > previous else "lower") if significant else "similar"
    sentence = ind.describe_change(value, previous, f"{months} {year}", f"{months} {year - 1}", measure="records")
    return {"months": months, "year": year, "value": value, "previous": previous, "ratio": float(test["ratio"]),
            "p_value": float(test["p_value"]), "significant": significant, "direction": direction,
            "sentence": sentence}


def police_year_end_projection(monthly: pd.DataFrame, metric_id: str = "police_uk_drugs") -> dict[str, Any] | None:
    """Project the latest part calendar year's total (police.uk metrics are on a calendar basis).

    Run rate with its Poisson predictive interval, or the seasonal share seen in earlier
    complete years when there are some (:func:`cdp_analysis.indicators.project_year_end`);
    compared with the previous complete year when there is one. ``None`` when the latest
    year is complete or has no figures.

    Returns
    -------
    dict or None
        ``metric_id, period, value, projection, lower, upper, method, year, last_year,
        last_year_value, change`` (a :func:`~cdp_analysis.indicators.describe_change`
        sentence comparing the year-to-date rate with last year's, or ``None``).
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
    prev = str(int(year) - 1)
    pm = m[m["month"].str[:4] == prev]
    last = float(pm["n"].sum()) if pm["month"].nunique() == 12 else np.nan
    change = None
    if not np.isnan(last):
        frac = len(months) / 12
        change = str(ind.describe_change(value, last, label, prev, measure="crimes", exposure_a=frac,
                                         exposure_b=1.0, multiplier=1, rate_unit="a year"))
    return {"metric_id": metric_id, "period": label, "value": value, "projection": float(r["projection"]),
            "lower": float(r["lower"]), "upper": float(r["upper"]), "method": str(r["method"]), "year": year,
            "last_year": prev, "last_year_value": last, "change": change}


# --------------------------------------------------------------------------- treatment
def treatment_targets(returns: pd.DataFrame, metrics: pd.DataFrame, codes: Sequence[str],
                      period: str | Period) -> pd.DataFrame:
    """The returns' targets for the area's members with the straight-line trajectory.

    :func:`cdp_analysis.progress.targets_table` (change still needed, honest status) plus
    ``expected_now``: the value on the straight line from the latest figure to the target at
    the end of the reporting period's financial year (NaN when that year is not between them).
    """
    from cdp_analysis import indicators as ind
    from cdp_analysis.progress import targets_table

    r = returns[returns["area_code"].isin(list(codes))]
    t = targets_table(r, metrics)
    if t.empty:
        return t.assign(expected_now=pd.Series(dtype=float), expected_at=pd.Series(dtype=object))
    at = Period.parse(period).containing_year("financial")
    exp, when = [], []
    for row in t.itertuples(index=False):
        try:
            tr = ind.target_trajectory(row.value, row.target, row.period, row.target_period, at=at.label)
            exp.append(float(tr["expected"].iloc[-1]))
            when.append(at.label)
        except Exception:
            exp.append(np.nan)
            when.append(None)
    return t.assign(expected_now=exp, expected_at=when)


# --------------------------------------------------------------------------- reoffending
def reoffending_national(reoff: pd.DataFrame, metric_id: str = "proven_reoffending_rate",
                         n: int = 8) -> pd.DataFrame:
    """The national proven-reoffending series (latest ``n`` cohorts), oldest first.

    Keeps the national area (England and Wales or England), all ages where the store
    separates adults and juveniles (``age`` ``"all ages"``/``"all"`` preferred).

    Returns
    -------
    pandas.DataFrame
        ``period, value, count, denominator, area_code, age`` (empty when not in the store).
    """
    cols = ["period", "value", "count", "denominator", "area_code", "age"]
    d = reoff[reoff["metric_id"] == metric_id] if len(reoff) else reoff
    if d is None or d.empty:
        return pd.DataFrame(columns=cols)
    national = [c for c in ("K04000001", ENGLAND, "K02000001", "K03000001") if c in set(d["area_code"])]
    if national:
        d = d[d["area_code"] == national[0]]
    if "age" in d and d["age"].nunique() > 1:
        pref = [a for a in d["age"].unique() if str(a).lower() in ("all ages", "all")]
        if pref:
            d = d[d["age"] == pref[0]]
    if "sex" in d and d["sex"].nunique() > 1:
        d = d[d["sex"] == "persons"] if (d["sex"] == "persons").any() else d
    d = d.assign(_start=pd.to_datetime(d["period_start"])).sort_values("_start")
    # one temporal unit: the most common length among the latest periods
    months = np.array([Period.parse(str(x)).n_months for x in d["period"]])
    d = d[months == months[-1]]
    d = d.drop_duplicates("period", keep="last")
    return d.tail(n)[cols].reset_index(drop=True)


def reoffending_change(nat: pd.DataFrame, period: Period | str) -> dict[str, Any] | None:
    """The latest national reoffending cohort against the cohort a year earlier, tested.

    The two proportions (reoffenders / cohort) are compared with
    :func:`cdp_analysis.indicators.proportion_difference_test`; the words come from
    :func:`cdp_analysis.indicators.describe_change`, so "rise" or "fall" appears only for a
    statistically significant difference at 95%. ``years_before`` says how far the latest
    cohort ends before the end of the reporting ``period`` (whole years), so a report can say
    when the national series in the store is old.

    Returns
    -------
    dict or None
        ``period``, ``value`` (per cent), ``base_period``, ``base_value``, ``verdict``
        (``"a statistically significant fall"``, ``"... rise"`` or ``"not a statistically
        significant change"``), ``sentence``, ``years_before``; ``None`` without a cohort a
        year before the latest, or without counts.

    Examples
    --------
    MoJ's national cohorts of January to March 2014 and 2013 (reoffenders / offenders):

    >>> nat = pd.DataFrame({"period": ["2013-01..2013-03", "2014-01..2014-03"], "value": [31.3, 30.6],
    ...                     "count": [47394, 45507], "denominator": [151201, 148879]})
    >>> ch = reoffending_change(nat, "2023/24 Q1")
    >>> ch["verdict"], ch["years_before"]
    ('a statistically significant fall', 9)
    """
    from cdp_analysis import indicators as ind

    if nat.empty:
        return None
    last = nat.iloc[-1]
    base_label = Period.parse(str(last["period"])).shift(-1).label
    base = nat[nat["period"].astype(str) == base_label]
    if base.empty or any(pd.isna(r.get(k)) for r in (last, base.iloc[0]) for k in ("count", "denominator")):
        return None
    b = base.iloc[0]
    test = ind.proportion_difference_test(float(last["count"]), float(last["denominator"]), float(b["count"]),
                                          float(b["denominator"])).iloc[0]
    verdict = ("not a statistically significant change" if not bool(test["significant"])
               else "a statistically significant " + ("rise" if test["difference"] > 0 else "fall"))
    sentence = ind.describe_change(float(last["count"]), float(b["count"]), str(last["period"]), base_label,
                                   kind="proportion", denominator_a=float(last["denominator"]),
                                   denominator_b=float(b["denominator"]), measure="reoffended")
    end = Period.parse(str(period)).end if not isinstance(period, Period) else period.end
    cohort_end = Period.parse(str(last["period"])).end
    years = max(0, (end.year - cohort_end.year) - ((end.month, end.day) < (cohort_end.month, cohort_end.day)))
    return {"period": str(last["period"]), "value": float(last["value"]), "base_period": base_label,
            "base_value": float(b["value"]), "verdict": verdict, "sentence": sentence, "years_before": years}


def reoffending_local(returns: pd.DataFrame, metrics: pd.DataFrame, codes: Sequence[str]) -> pd.DataFrame:
    """Reoffending figures in the partnership's returns for the area's members (may be empty)."""
    ids = set(metrics.loc[metrics["section"] == "reoffending", "metric_id"]) if "section" in metrics else set()
    r = returns[returns["metric_id"].isin(ids) & returns["area_code"].isin(list(codes))]
    return r[["metric_id", "area_code", "period", "value"]].reset_index(drop=True)


# --------------------------------------------------------------------------- seizures, prevalence
def _sorted_periods(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(_start=[Period.parse(str(p)).start for p in df["period"]]).sort_values("_start").drop(
        columns="_start").reset_index(drop=True)


def seizures_annual(context: pd.DataFrame, forces: Sequence[str], metric_id: str = "drug_seizures",
                    until: Period | str | None = None) -> pd.DataFrame:
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
        end = (until if isinstance(until, Period) else Period.parse(str(until))).end
        g = g[[Period.parse(str(p)).end <= end for p in g["period"]]]
    if g.empty:
        return pd.DataFrame(columns=cols)
    lim = ind.rate(g.assign(one=1.0), "n", "one", multiplier=1, confidence=0.95)
    out = pd.DataFrame({"period": g["period"].astype(str).to_numpy(), "count": g["n"].to_numpy(dtype=float),
                        "lower_95": lim["lower_95"].to_numpy(), "upper_95": lim["upper_95"].to_numpy()})
    return _sorted_periods(out)[cols]


def seizures_summary(context: pd.DataFrame, forces: Sequence[str],
                     until: Period | str | None = None) -> dict[str, Any] | None:
    """The latest year of seizures: totals, the change on the year before and the recent trend.

    The change is the exact conditional test of two Poisson counts over equal periods
    (:func:`deaths_change`, worded by :func:`cdp_analysis.indicators.describe_change`); the
    trend is Fingertips' recent-trend test over the latest five years
    (:func:`cdp_analysis.indicators.recent_trend`, neutral polarity).

    Returns
    -------
    dict or None
        ``period``, ``total``, ``class_a``, ``cannabis`` (``None`` where missing),
        ``change`` (the :func:`deaths_change` dict or ``None``), ``trend`` (e.g.
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
    out: dict[str, Any] = {"period": str(last["period"]), "total": float(last["count"]), "annual": annual}
    for key in ("class_a", "cannabis"):
        out[key] = None if pd.isna(last[key]) else float(last[key])
    out["change"] = deaths_change(annual, measure="seizures")
    trend, start = "cannot be calculated", None
    if len(annual) >= 5:
        r = ind.recent_trend(annual.rename(columns={"count": "value"}), polarity="neutral").iloc[0]
        trend, start = str(r["trend"]), str(annual["period"].iloc[-5])
    out["trend"], out["trend_from"] = trend, start
    return out


def _exact_predecessors(have: set[str], codes: Sequence[str]) -> list[str] | None:
    """Old upper-tier areas in ``have`` whose territory is exactly that of ``codes``, or None."""
    from cdp_analysis import areas

    table = areas.areas().set_index("code")
    codes = list(codes)
    chosen = []
    for c in sorted(have):
        try:
            if c in codes or areas.successor(c) in codes:
                chosen.append(c)
        except Exception:  # split between several successors: not usable
            continue
    if not chosen:
        return None
    for c in codes:  # each area has its own figure, or every predecessor lies inside a chosen area
        if c in chosen:
            continue
        preds = areas.predecessors(c)
        if not preds:
            return None
        for p in preds:
            parent = table.at[p, "parent"] if p in table.index else ""
            if p not in chosen and parent not in chosen:
                return None
    for c in chosen:  # a chosen county's districts all went to the current areas
        districts = table.index[table["parent"] == c]
        if any((areas.successor(d) or d) not in codes for d in districts if table.at[d, "type"] == "district"):
            return None
    return chosen


def alcohol_dependence(context: pd.DataFrame, codes: Sequence[str]) -> dict[str, Any] | None:
    """PHE's estimate of alcohol-dependent adults for the area, latest year, with England.

    The estimates were published for the upper-tier areas of their time (to 2017/18). An area
    created later gets the sum of the old areas whose territory is exactly its own (for
    pan-Dorset: Bournemouth + Poole + Dorset County); where no set of old areas matches
    exactly (BCP alone, or Dorset alone: Christchurch lay in Dorset County) no figure is given.
    A sum has no published interval (the areas' uncertainties are not independent), so only a
    single area's own estimate carries one.

    Returns
    -------
    dict or None
        ``period, count, lower, upper`` (``None`` for a sum), ``parts`` (codes summed),
        ``england, england_lower, england_upper``, ``reason`` (why there is no figure, else
        ``""``); ``None`` when the store holds no estimates.

    Examples
    --------
    >>> obs = pd.DataFrame({"metric_id": ALCOHOL_METRIC, "period": "2017/18",
    ...     "area_code": ["E06000028", "E06000029", "E10000009", "E92000001"],
    ...     "count": [2644., 1609., 4632., 586780.], "lower_95": [2146., 1300., 3700., 485444.],
    ...     "upper_95": [3352., 2000., 5900., 742305.]})
    >>> r = alcohol_dependence(obs, ["E06000058", "E06000059"])
    >>> r["count"], r["lower"], r["parts"]
    (8885.0, None, ['E06000028', 'E06000029', 'E10000009'])
    >>> alcohol_dependence(obs, ["E06000058"])["count"] is None  # Christchurch lay in Dorset County
    True
    """
    if context is None or context.empty:
        return None
    d = context[(context["metric_id"] == ALCOHOL_METRIC) & context["count"].notna()]
    if d.empty:
        return None
    latest = _sorted_periods(d[["period"]].drop_duplicates())["period"].iloc[-1]
    d = d[d["period"] == latest].set_index("area_code")
    eng = d.loc[ENGLAND] if ENGLAND in d.index else None
    out: dict[str, Any] = {"period": str(latest), "count": None, "lower": None, "upper": None, "parts": [],
                           "england": None if eng is None else float(eng["count"]),
                           "england_lower": None if eng is None else float(eng.get("lower_95", np.nan)),
                           "england_upper": None if eng is None else float(eng.get("upper_95", np.nan)),
                           "reason": ""}
    codes = list(codes)
    if all(c in d.index for c in codes):
        parts = codes
    else:
        parts = _exact_predecessors(set(d.index) - {ENGLAND}, codes)
    if not parts:
        out["reason"] = (f"the estimates ({latest}) were published for the areas of their time, and no set of "
                         "them covers exactly this area")
        return out
    out["parts"] = list(parts)
    out["count"] = float(d.loc[parts, "count"].sum())
    if len(parts) == 1:
        out["lower"] = float(d.at[parts[0], "lower_95"]) if pd.notna(d.at[parts[0], "lower_95"]) else None
        out["upper"] = float(d.at[parts[0], "upper_95"]) if pd.notna(d.at[parts[0], "upper_95"]) else None
    return out


def drug_use_prevalence(context: pd.DataFrame) -> pd.DataFrame:
    """Last-year drug use in England and Wales from the Crime Survey, latest survey year.

    National estimates only (the survey gives no local figures); ``base`` is the unweighted
    number of respondents. ONS's own significance tests allow for the survey design, which
    a simple test on these percentages would not, so none is made here.

    Returns
    -------
    pandas.DataFrame
        ``period, what, age, percent, base`` (empty when not in the store).

    Examples
    --------
    >>> obs = pd.DataFrame({"metric_id": "csew_any_drug_use_last_year", "area_code": ENGLAND_AND_WALES,
    ...                     "period": ["2019-04..2020-03", "2021-10..2022-06"], "age": "16-59",
    ...                     "value": [9.4, 9.15], "denominator": [7000., 7197.]})
    >>> drug_use_prevalence(obs)[["period", "what", "percent"]].values.tolist()
    [['2021-10..2022-06', 'any drug', 9.15]]
    """
    cols = ["period", "what", "age", "percent", "base"]
    if context is None or context.empty:
        return pd.DataFrame(columns=cols)
    d = context[context["metric_id"].isin(list(PREVALENCE_METRICS)) & (context["area_code"] == ENGLAND_AND_WALES)]
    d = d[d["value"].notna()]
    if d.empty:
        return pd.DataFrame(columns=cols)
    latest = _sorted_periods(d[["period"]].drop_duplicates())["period"].iloc[-1]
    d = d[d["period"] == latest]
    order = {m: i for i, m in enumerate(PREVALENCE_METRICS)}
    d = d.assign(_o=d["metric_id"].map(order)).sort_values(["_o", "age"])
    return pd.DataFrame({"period": d["period"].astype(str).to_numpy(),
                         "what": d["metric_id"].map(PREVALENCE_METRICS).to_numpy(),
                         "age": d["age"].astype(str).to_numpy(), "percent": d["value"].to_numpy(dtype=float),
                         "base": d["denominator"].to_numpy(dtype=float)})[cols]


def unmet_need(context: pd.DataFrame, codes: Sequence[str]) -> pd.DataFrame:
    """Fingertips' estimated unmet need for treatment, the area's latest year against England.

    For one area the published value and 95% limits are used and compared with England's
    value of the same year by Fingertips' rule (:func:`cdp_analysis.indicators.compare`,
    lower is better). For a partnership the members' numerators and denominators (people not
    in treatment, estimated people in need) are summed when every member has the year; the
    published limits come from the prevalence model and cannot be combined, so the sum has
    none and is not compared.

    Returns
    -------
    pandas.DataFrame
        One row per metric: ``metric_id, who, period, value, lower_95, upper_95, count,
        denominator, england, england_lower, england_upper, comparison`` (``value`` NaN and
        ``period`` the latest England year when the area is not in the store).

    Examples
    --------
    >>> obs = pd.DataFrame({"metric_id": "fingertips_93517", "area_code": ["A", ENGLAND],
    ...     "period": "2020/21", "value": [45.4, 52.1], "lower_95": [36.4, 51.5], "upper_95": [56.3, 53.7],
    ...     "count": [535., 158976.], "denominator": [1179., 305118.]})
    >>> unmet_need(obs, ["A"])[["who", "value", "england", "comparison"]].values.tolist()
    [['opiate and/or crack cocaine users', 45.4, 52.1, 'similar']]
    """
    from cdp_analysis import indicators as ind

    cols = ["metric_id", "who", "period", "value", "lower_95", "upper_95", "count", "denominator", "england",
            "england_lower", "england_upper", "comparison"]
    if context is None or context.empty:
        return pd.DataFrame(columns=cols)
    codes = list(codes)
    rows = []
    for mid, who in UNMET_METRICS.items():
        d = context[(context["metric_id"] == mid) & context["value"].notna()]
        if d.empty:
            continue
        eng = d[d["area_code"] == ENGLAND]
        own = d[d["area_code"].isin(codes)]
        full = own.groupby("period")["area_code"].nunique()
        periods = [p for p in full.index if full[p] == len(set(codes))]
        row = dict.fromkeys(cols, np.nan)
        row.update(metric_id=mid, who=who, comparison="")
        if periods:
            period = _sorted_periods(pd.DataFrame({"period": periods}))["period"].iloc[-1]
            o = own[own["period"] == period]
            row["period"] = period
            if len(codes) == 1:
                r = o.iloc[0]
                row.update(value=float(r["value"]), lower_95=r["lower_95"], upper_95=r["upper_95"],
                           count=r["count"], denominator=r["denominator"])
            else:
                row.update(count=float(o["count"].sum()), denominator=float(o["denominator"].sum()))
                row["value"] = row["count"] / row["denominator"] * 100
        elif len(eng):
            row["period"] = _sorted_periods(eng[["period"]].drop_duplicates())["period"].iloc[-1]
        else:
            continue
        e = eng[eng["period"] == row["period"]]
        if len(e):
            row.update(england=float(e["value"].iloc[0]), england_lower=e["lower_95"].iloc[0],
                       england_upper=e["upper_95"].iloc[0])
        if len(codes) == 1 and pd.notna(row["value"]) and pd.notna(row["england"]) and pd.notna(row["lower_95"]):
            cmp_ = ind.compare(pd.DataFrame([{"value": row["value"], "lower_95": row["lower_95"],
                                               "upper_95": row["upper_95"]}]),
                               benchmark=row["england"], polarity="lower_is_better")
            row["comparison"] = str(cmp_["comparison"].iloc[0])
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------- summary
_RELATION = {"better": "lower than", "worse": "higher than", "similar": "similar to", "higher": "higher than",
             "lower": "lower than", "not compared": "not compared with"}


def comparison_phrase(label: str, benchmark: str) -> str:
    """Plain words for a Fingertips comparison of a lower-is-better rate.

    >>> comparison_phrase("worse", "England"), comparison_phrase("similar", "South West")
    ('higher than England (statistically significant)', 'similar to South West (no statistically significant difference)')
    """
    if not label:
        return f"not compared with {benchmark}"
    rel = _RELATION.get(str(label), str(label))
    if label in ("similar",):
        return f"{rel} {benchmark} (no statistically significant difference)"
    if label == "not compared":
        return f"{rel} {benchmark} (too few deaths for a rate)"
    return f"{rel} {benchmark} (statistically significant)"


def trend_phrase(trend: str) -> str:
    """Plain words for a recent-trend result (never "rise"/"fall" without the test).

    >>> trend_phrase("no significant change")
    'no statistically significant trend'
    """
    return {"increasing": "a statistically significant increasing trend",
            "decreasing": "a statistically significant decreasing trend",
            "no significant change": "no statistically significant trend",
            "cannot be calculated": "too few points for a trend test"}.get(str(trend), str(trend))


def summary_findings(ctx: NeedsContext, measure: str = "misuse") -> list[dict[str, str]]:
    """The findings the summary states, each ``{"topic", "finding"}``, computed from the sections.

    Every statement carries its test: the comparison rule, the change test or the trend test.
    """
    count_id, asmr_id = DEATH_METRICS[measure]
    noun = f"drug {measure} deaths"
    out: list[dict[str, str]] = []
    until = ctx.period.end.year
    annual = deaths_annual(ctx.deaths, ctx.codes, count_id, until=until)
    ch = deaths_change(annual, measure=f"{noun} registered")
    if ch:
        out.append({"topic": "Deaths", "finding": ch["sentence"] + "."})
    cmp_ = ctx.shared.rows("asmr", ctx.area, asmr_id) if ctx.shared is not None else pd.DataFrame()
    if cmp_.empty:
        cmp_ = deaths_asmr_comparison(ctx.deaths, ctx.codes, ctx.benchmarks, asmr_id, until=until)
        cmp_ = cmp_.rename(columns={"vs_E92000001": "vs_england"})
    for r in cmp_[cmp_["role"] != "benchmark"].itertuples(index=False):
        if pd.isna(r.value):
            out.append({"topic": "Deaths", "finding": f"{r.area_name}: no age-standardised rate for {r.period} "
                        "(fewer than 10 deaths)."})
            continue
        out.append({"topic": "Deaths", "finding": (
            f"{r.area_name}'s age-standardised {noun} rate for {r.period} is {r.value:.1f} per 100,000 (95% "
            f"confidence interval {r.lower_95:.1f} to {r.upper_95:.1f}): "
            f"{comparison_phrase(getattr(r, 'vs_england', ''), 'England')}.")})
    tr = ctx.shared.rows("trends", ctx.area, count_id) if ctx.shared is not None else pd.DataFrame()
    for r in tr.itertuples(index=False):
        out.append({"topic": "Deaths", "finding": f"Trend in the {r.series} ({r.from_period} to {r.to_period}): "
                    f"{trend_phrase(r.trend)}."})
    mon = police_monthly(ctx.police, ctx.codes, until=ctx.period.months[-1])
    for mid in POLICE_METRICS:
        pr = police_year_end_projection(mon, mid)
        what = "drug offences" if mid == "police_uk_drugs" else "neighbourhood crimes"
        m = mon[mon["metric_id"] == mid]
        later = "; later than the reporting period, as no months up to its end are in the store" \
            if mon.attrs.get("after_period") else ""
        if not pr and len(m):
            year = m["month"].str[:4].max()
            if m["month"].str[:4].eq(year).sum() == 12:
                total = float(m.loc[m["month"].str[:4] == year, "n"].sum())
                text = f"police.uk {what}: {total:,.0f} recorded in {year} (records, not official statistics{later})."
                same = police_same_months_change(mon, mid)
                if same:
                    text += f" {same['sentence']}."
                out.append({"topic": "Crime", "finding": text})
        if pr:
            text = (f"police.uk {what}: {pr['value']:,.0f} in {pr['period']}, projected {pr['projection']:,.0f} "
                    f"for {pr['year']} (95% interval {pr['lower']:,.0f} to {pr['upper']:,.0f}).")
            if pr["change"]:
                text += f" {pr['change']}."
            out.append({"topic": "Crime", "finding": text})
    from cdp_analysis.progress import _police_forces, fmt

    forces = _police_forces([ctx.area, *ctx.codes])
    seiz = seizures_summary(ctx.context, forces, until=ctx.period) if forces else None
    if seiz is not None and seiz["change"]:
        from cdp_analysis import areas

        place = " and ".join(areas.area_name(f) for f in forces) + " police force area"
        out.append({"topic": "Enforcement", "finding": f"Home Office drug seizures, {place}: "
                    f"{seiz['change']['sentence']}."})
    tt = treatment_targets(ctx.returns, ctx.metrics, ctx.codes, ctx.period)
    for r in tt.itertuples(index=False):
        out.append({"topic": "Treatment", "finding": f"{r.name}, {_name(r.area_code)}: {fmt(r.value, r.unit)} in "
                    f"{r.period} against a target of {fmt(r.target, r.unit)} for {r.target_period}; {r.status}."})
    if not out:
        out.append({"topic": "Data", "finding": "No figures for this area are in the store."})
    return out
