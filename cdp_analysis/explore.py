"""What the exploration notebooks show, as one-line calls: an area's series beside its
comparators, its trends against region and England, and where it ranks among all areas.

* :func:`comparators_frame`: the area (or a partnership's members), its police force, its
  region(s), England and England and Wales, with the role each plays;
* :func:`area_series`: every series the store holds for them, one tidy frame (one row per
  area, metric and period: one source and the latest edition of each period, chosen by
  :func:`cdp_analysis.data.series.select_series`);
* :func:`trend_frame`: the rates and percentages among them that the area and a comparator
  both have over at least three periods (for :func:`cdp_analysis.plots.small_multiples`);
* :func:`ranking`: one metric for every English upper-tier area, with the funnel limits at
  each highlighted area's size (:func:`cdp_analysis.indicators.funnel_limits`);
* :func:`show_trends`, :func:`show_ranking`: the seaborn charts with a title that states the
  tested finding, shown in the notebook (and saved only when asked; see
  :func:`cdp_analysis.report.outputs.output_folder`).

Everything is read from the store; nothing is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cdp_analysis.errors import CdpParameterError

if TYPE_CHECKING:  # pragma: no cover
    from cdp_analysis.data.store import Store

__all__ = ["comparators_frame", "area_series", "trend_frame", "ranking", "show_trends", "show_ranking",
           "ENGLAND_AND_WALES", "SERIES_COLUMNS"]

ENGLAND_AND_WALES = "K04000001"
SERIES_COLUMNS = ["metric_id", "name", "unit", "role", "area_code", "area_name", "period", "period_start", "count",
                  "denominator", "value", "lower_95", "upper_95", "status", "source", "edition"]


def comparators_frame(area: str) -> pd.DataFrame:
    """The area and what it is compared with: ``code, name, role``.

    Roles: ``area`` (a GSS area) or ``partnership`` and its ``member`` areas, ``force`` (the
    police force area), ``region``, ``England``, ``England and Wales`` (national series
    published for both nations together: seizures, reoffending).

    >>> comparators_frame("pan-dorset")["role"].tolist()
    ['partnership', 'member', 'member', 'force', 'region', 'England', 'England and Wales']
    """
    from cdp_analysis import areas

    kind, codes, name = areas.resolve(area)
    rows = [(area, name, "partnership")] if kind == "partnership" else []
    rows += [(c, areas.area_name(c), "member" if kind == "partnership" else "area") for c in codes]
    rows += [(f, areas.name_or_code(f), "force") for f in areas.police_forces([area, *codes])]
    rows += [(c, n, "England" if c == areas.ENGLAND else "region") for c, n in areas.comparators(area)
             if c not in codes]
    rows.append((ENGLAND_AND_WALES, "England and Wales", "England and Wales"))
    return pd.DataFrame(rows, columns=["code", "name", "role"]).drop_duplicates("code").reset_index(drop=True)


def area_series(store: Store, area: str, sex: str = "persons") -> pd.DataFrame:
    """Every series the store holds for an area or partnership and its comparators, tidy.

    For each metric the area (or a member, its force, or the partnership itself for police.uk)
    has, the same metric for the region, England and England and Wales where the store holds
    it. One row per metric, area and period (all ages, ``sex``): one source per series (the
    one reaching the latest period) and the latest edition of each period, as
    :meth:`cdp_analysis.data.store.Store.series` chooses. Population (mid-year estimates,
    all ages) is added as the metric ``population``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SERIES_COLUMNS`; ``role`` as in :func:`comparators_frame`.
    """
    from cdp_analysis import metrics
    from cdp_analysis.data.series import select_series

    comp = comparators_frame(area)
    own = comp[comp["role"].isin(["partnership", "member", "area", "force"])]
    codes = list(comp["code"])
    obs = store.sql("SELECT * FROM observations WHERE area_code IN (SELECT unnest(?::VARCHAR[])) AND sex = ?",
                    [codes, sex])
    obs = obs[obs["age"] == "all ages"]
    mine = set(obs.loc[obs["area_code"].isin(own["code"]), "metric_id"])
    catalogue = metrics.metrics().set_index("metric_id")
    info = comp.set_index("code")
    frames = []
    for (metric, code), grp in obs[obs["metric_id"].isin(mine)].groupby(["metric_id", "area_code"], sort=True):
        s = select_series(grp, metric, code, sex=sex, age="all ages").reset_index()
        s["metric_id"], s["area_code"] = metric, code
        frames.append(s)
    pop = _population(store, [c for c in codes if c != ENGLAND_AND_WALES and not c.startswith("E23")
                              and c in set(info.index[info["role"] != "partnership"])])
    if len(pop):
        frames.append(pop)
    if not frames:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["name"] = out["metric_id"].map(lambda m: catalogue.at[m, "name"] if m in catalogue.index else m)
    out["unit"] = out["metric_id"].map(lambda m: catalogue.at[m, "unit"] if m in catalogue.index else "")
    out.loc[out["metric_id"] == "population", ["name", "unit"]] = ["Population (mid-year estimate)", "count"]
    out["role"] = out["area_code"].map(info["role"])
    out["area_name"] = out["area_code"].map(info["name"])
    order = {c: i for i, c in enumerate(codes)}
    out = out.assign(_o=out["area_code"].map(order)).sort_values(["metric_id", "_o", "period_start", "period"])
    for c in SERIES_COLUMNS:
        if c not in out.columns:
            out[c] = np.nan
    return out[SERIES_COLUMNS].reset_index(drop=True)


def _population(store: Store, codes: list[str]) -> pd.DataFrame:
    """All-ages mid-year population of each area and year, as series rows."""
    pop = store.population(area=codes)
    if pop.empty:
        return pop
    g = pop.groupby(["area_code", "year"], as_index=False).agg(count=("population", "sum"),
                                                               edition=("edition", "last"), source=("source", "last"))
    g["metric_id"] = "population"
    g["period"] = g["year"].astype(str)
    g["period_start"] = pd.to_datetime(g["year"].astype(str) + "-07-01")
    g["value"] = g["count"]
    g["status"] = ""
    return g.drop(columns=["year"])


def trend_frame(series: pd.DataFrame, units: tuple[str, ...] = ("rate", "percent"),
                min_periods: int = 3) -> pd.DataFrame:
    """The comparable series for small multiples: rates and percentages (not counts, which
    differ with the size of the area), where the area and at least one comparator have
    ``min_periods`` or more values. Adds ``measure`` (the panel title: name and unit)."""
    s = series[series["unit"].isin(units) & series["value"].notna()].copy()
    if s.empty:
        return s.assign(measure=pd.Series(dtype=object))
    counts = s.groupby(["metric_id", "role"])["period"].nunique().unstack(fill_value=0)
    own = [r for r in ("area", "member", "force") if r in counts.columns]
    comp = [r for r in ("region", "England", "England and Wales") if r in counts.columns]
    if not own or not comp:
        return s.iloc[0:0].assign(measure=pd.Series(dtype=object))
    keep = counts.index[(counts[own].max(axis=1) >= min_periods) & (counts[comp].max(axis=1) >= min_periods)]
    s = s[s["metric_id"].isin(keep)]
    unit_text = {"rate": "per 100,000", "percent": "%"}
    s["measure"] = s["name"] + " (" + s["unit"].map(unit_text).fillna(s["unit"]) + ")"
    return s.reset_index(drop=True)


# ----------------------------------------------------------------------------- ranking

def ranking(store: Store, area: str, metric: str = "drug_misuse_asmr", period: str | None = None,
            years_of_data: float = 3) -> pd.DataFrame:
    """One metric (a DSR or crude rate per 100,000) for every English upper-tier area.

    Parameters
    ----------
    area
        GSS code or partnership: its areas are flagged ``highlight``.
    metric, period
        Default: directly age-standardised drug-misuse death rates, the latest period.
    years_of_data
        Years the rate pools (3 for ONS's three-year rates): the funnel's population axis.

    Returns
    -------
    pandas.DataFrame
        ``area_code, area_name, period, count, value, lower_95, upper_95, highlight, rank``
        (1 = highest); ``.attrs["limits"]`` maps each highlighted area's name to its funnel
        limits (``centre, lower_95, upper_95, lower_99_8, upper_99_8``) at its size, from
        :func:`cdp_analysis.indicators.funnel_limits` (``statistic="rate"``, exact Poisson).
    """
    from cdp_analysis import areas, metrics
    from cdp_analysis.indicators import funnel_limits

    upper = areas.upper_tier_areas()
    rows = store.sql("SELECT * FROM observations WHERE metric_id = ? AND sex = 'persons' AND age = 'all ages' "
                     "AND area_code IN (SELECT unnest(?::VARCHAR[]))", [metric, upper])
    if rows.empty:
        raise CdpParameterError(f"the store holds no {metric!r} for England's upper-tier areas")
    period = period or max(rows["period"], key=lambda p: (str(p)[-4:], str(p)))
    rows = rows[rows["period"] == period].sort_values("edition").drop_duplicates("area_code", keep="last")
    df = rows[["area_code", "period", "count", "value", "lower_95", "upper_95"]].copy()
    df["area_name"] = df["area_code"].map(areas.area_name)
    mine = areas.members(area)
    df["highlight"] = df["area_code"].isin(mine)
    df["rank"] = df["value"].rank(ascending=False, method="min").astype("Int64")
    df = df.sort_values("value", ascending=False).reset_index(drop=True)
    ok = df[df["count"].notna() & df["value"].notna() & (df["value"] > 0)]
    unit = metrics.get_metric(metric).unit if metric in metrics.metric_ids() else "rate"
    limits: dict[str, dict[str, float]] = {}
    if unit == "rate" and len(ok) >= 3:
        rate_type = "dsr" if metric.endswith("asmr") else "crude"
        lim = funnel_limits(ok, "count", "rate", rate="value", rate_type=rate_type, multiplier=100_000,
                            years_of_data=years_of_data, n_points=400)
        for r in df[df["highlight"]].itertuples(index=False):
            if pd.isna(r.count) or pd.isna(r.value) or r.value <= 0:
                continue
            pop = 100_000 * r.count / r.value / years_of_data  # the area's (derived) population
            at = {"centre": float(lim["baseline"].iloc[0])}
            for c in ("lower_95", "upper_95", "lower_99_8", "upper_99_8"):
                xs = lim[f"{c}_population"].to_numpy(dtype=float)
                order = np.argsort(xs)
                at[c] = float(np.interp(pop, xs[order], lim[c].to_numpy(dtype=float)[order]))
            limits[r.area_name] = at
    df.attrs["limits"] = limits
    df.attrs["metric"] = metric
    return df[["area_code", "area_name", "period", "count", "value", "lower_95", "upper_95", "highlight", "rank"]]


# ----------------------------------------------------------------------------- charts shown

def show_trends(series: pd.DataFrame, area: str, *, source: str = "Source: cdp-analysis store (ONS, OHID, MoJ, "
                "Home Office)", name: str = "explore-trends") -> pd.DataFrame:
    """Small multiples of :func:`trend_frame` (the area's members against region and England),
    titled with the tested comparison of the first panel's latest period against England
    (:func:`cdp_analysis.indicators.benchmark_comparison`: England's value against the area's
    95% interval). Returns the frame plotted."""
    from cdp_analysis import areas, plots
    from cdp_analysis.indicators import benchmark_comparison
    from cdp_analysis.report.outputs import show_figure

    t = trend_frame(series)
    if t.empty:
        print(f"No rate or percentage is held for {areas.area_name(area)} and a comparator over three periods.")
        return t
    t = t[t["role"].isin(["area", "member", "region", "England"])]
    groups = list(dict.fromkeys(t["area_name"]))
    focus = groups[0]
    first = t[t["measure"] == t["measure"].iloc[0]]
    mine = first[first["area_name"] == focus].sort_values("period")
    last = mine.iloc[-1]
    eng = first[(first["role"] == "England") & (first["period"] == last["period"])]
    title = f"{focus} against its region and England"
    if len(eng) and pd.notna(last["lower_95"]):
        verdict = benchmark_comparison([last["lower_95"]], [last["upper_95"]], float(eng["value"].iloc[0]))[0]
        said = {"similar": "similar to England's", "higher": "higher than England's", "lower": "lower than England's"}
        if verdict in said:
            title = f"{focus}'s {last['name'].lower()} in {last['period']} was {said[verdict]}"
    fig, alt = plots.small_multiples(t, highlight=focus, title=title,
                                     subtitle=f"{', '.join(dict.fromkeys(t['measure']))}: "
                                              f"{', '.join(groups)}", source=source)
    show_figure(fig, name, alt=alt)
    return t


def show_ranking(frame: pd.DataFrame, *, x_label: str = "Deaths from drug misuse per 100,000 (age-standardised)",
                 source: str = "Source: ONS, deaths related to drug misuse by local authority",
                 name: str = "explore-ranking") -> None:
    """One strip-and-box chart per highlighted area of :func:`ranking`, its funnel limits shown,
    titled with where it sits against them."""
    from cdp_analysis import plots
    from cdp_analysis.report.outputs import show_figure

    limits = frame.attrs.get("limits", {})
    period = str(frame["period"].iloc[0]) if len(frame) else ""
    for i, r in enumerate(frame[frame["highlight"]].itertuples(index=False)):
        lim = limits.get(r.area_name)
        where = plots.position_against_limits(float(r.value), lim) if lim else None
        title = (f"{r.area_name} is {where} for its size" if where
                 else f"{r.area_name} ranks {r.rank} of {len(frame)} areas")
        fig, alt = plots.distribution(frame, highlight=r.area_name, limits=lim, x_label=x_label, title=title,
                                      subtitle=f"{len(frame)} English upper-tier areas, {period}; "
                                               f"ranked {r.rank} of {len(frame)} (1 = highest)",
                                      source=source)
        show_figure(fig, f"{name}-{i + 1}", alt=alt)



# ----------------------------------------------------------------------------- the national picture

def show_deprivation_gradient(frame: pd.DataFrame, gradient, *, highlight: str | None = None,
                              name: str = "explore-deprivation") -> None:
    """The regression chart of :func:`cdp_analysis.deprivation.deaths_and_deprivation` with the
    band of its :class:`~cdp_analysis.deprivation.DeprivationGradient`, titled with the tested finding."""
    from cdp_analysis import areas, plots
    from cdp_analysis.report.outputs import show_figure

    marked = [areas.area_name(c) for c in areas.members(highlight)] if highlight else []
    marked = [m for m in marked if m in set(frame["area_name"])]
    pct = abs(gradient.rate_ratio - 1) * 100
    if gradient.significant:
        title = (f"Drug misuse death rates are {pct:.0f}% {'higher' if gradient.rate_ratio > 1 else 'lower'} "
                 "for each decile more deprived")
    else:
        title = "No statistically significant gradient of drug misuse death rates with deprivation"
    fig, alt = plots.regression(
        frame, gradient.band(float(frame["average_decile"].min()), float(frame["average_decile"].max())),
        x="average_decile", y="crude_rate", size="person_years", highlight=marked, title=title,
        subtitle=f"Deaths per 100,000 person-years, 2019 to 2021, by the average IMD 2019 decile of the area's "
                 f"LSOAs (1 = most deprived); {gradient.n_areas} upper-tier areas",
        source="Source: ONS deaths related to drug misuse by local authority; ONS mid-year population "
               "estimates; MHCLG English indices of deprivation 2019",
        x_label="Average IMD decile of the area's LSOAs (1 = most deprived)",
        y_label="Deaths per 100,000 person-years", fit_label="quasi-Poisson fit",
        interval_label="95% confidence band")
    show_figure(fig, name, alt=alt)


def police_by_deprivation(store: Store, crime_type: str = "Drugs") -> pd.DataFrame:
    """police.uk offences of one type by the IMD 2019 decile of the LSOA they were recorded in.

    For each police force area with police.uk records in the store: offences in LSOAs of each
    national IMD decile, the number of the force's LSOAs in that decile, and offences per LSOA
    with an exact Poisson 95% interval. Records whose LSOA is a 2021 code absent from the 2011
    IMD file (boundary changes) or that have no location cannot be placed; their number is
    ``.attrs["unplaced"]`` per force.
    """
    from cdp_analysis import areas
    from cdp_analysis.indicators import exact_poisson_limits

    have = store.sql("SELECT DISTINCT force_code FROM police_crimes WHERE force_code LIKE 'E23%'")["force_code"]
    table = areas.areas()
    imd = store.imd_lsoa()
    imd["police_force"] = imd["area_code"].map(table.set_index("code")["police_force"])
    rows, unplaced = [], {}
    for force in have:
        mine = imd[imd["police_force"] == force]
        counts = store.sql("SELECT lsoa_code, count(*) AS n FROM police_crimes WHERE force_code = ? AND crime_type = ? "
                           "AND in_force_area GROUP BY lsoa_code", [force, crime_type])
        months = store.sql("SELECT count(DISTINCT month) AS m, min(month) AS a, max(month) AS b FROM police_crimes "
                           "WHERE force_code = ?", [force]).iloc[0]
        placed = counts.merge(mine[["lsoa_code", "imd_decile"]], on="lsoa_code", how="inner")
        unplaced[force] = int(counts["n"].sum() - placed["n"].sum())
        by = placed.groupby("imd_decile")["n"].sum()
        lsoas = mine.groupby("imd_decile").size()
        for d in range(1, 11):
            rows.append({"police_force": force, "force_name": areas.name_or_code(force), "imd_decile": d,
                         "offences": int(by.get(d, 0)), "lsoas": int(lsoas.get(d, 0)), "months": int(months["m"]),
                         "first_month": months["a"], "last_month": months["b"]})
    out = pd.DataFrame(rows)
    if len(out):
        out = out[out["lsoas"] > 0].reset_index(drop=True)
        lo, hi = exact_poisson_limits(out["offences"].to_numpy(dtype=float), 0.95)
        out["per_lsoa"] = out["offences"] / out["lsoas"]
        out["lower_95"] = lo / out["lsoas"]
        out["upper_95"] = hi / out["lsoas"]
    out.attrs["unplaced"] = unplaced
    out.attrs["crime_type"] = crime_type
    return out


def reoffending(store: Store, metric: str = "proven_reoffending_rate") -> pd.DataFrame:
    """The national proven reoffending series (England and Wales) for adults, juveniles and all
    offenders, tidy: ``age, period, period_start, count, denominator, value, source, edition``."""
    frames = []
    for age in ("all", "adult", "juvenile"):
        s = store.series(metric, ENGLAND_AND_WALES, age=age).reset_index()
        frames.append(s.assign(age=age))
    out = pd.concat(frames, ignore_index=True)
    return out[["age", "period", "period_start", "count", "denominator", "value", "source", "edition"]]


def side_by_side(series: pd.DataFrame, metric: str, column: str = "value") -> pd.DataFrame:
    """One metric of :func:`area_series` as a table: periods down, the area and its comparators across."""
    s = series[series["metric_id"] == metric]
    if s.empty:
        raise CdpParameterError(f"no {metric!r} in these series; have {sorted(series['metric_id'].unique())}")
    order = list(dict.fromkeys(s["area_name"]))
    wide = s.pivot_table(index="period", columns="area_name", values=column, aggfunc="first")
    return wide[[c for c in order if c in wide.columns]]


def latest_change(series: pd.DataFrame, metric: str = "drug_misuse_deaths") -> pd.DataFrame:
    """The exact test of the latest year's count against the year before, for the area (or each
    member): :func:`cdp_analysis.indicators.rate_ratio_test` with equal exposures (two calendar
    years of registrations, like for like)."""
    from cdp_analysis import indicators as ind

    s = series[(series["metric_id"] == metric) & series["role"].isin(["area", "member"]) & series["count"].notna()]
    rows = []
    for name, g in s.groupby("area_name", sort=False):
        g = g.sort_values("period")
        if len(g) >= 2:
            rows.append((name, g["period"].iloc[-1], g["period"].iloc[-2], float(g["count"].iloc[-1]),
                         float(g["count"].iloc[-2])))
    if not rows:
        raise CdpParameterError(f"no two years of {metric!r} counts for the area")
    names, latest, before, a, b = zip(*rows, strict=True)
    out = ind.rate_ratio_test(pd.Series(a, index=list(names)), 1.0, pd.Series(b, index=list(names)), 1.0)
    return out


def show_police_by_deprivation(frame: pd.DataFrame, name: str = "explore-police-deprivation") -> None:
    """Bars of :func:`police_by_deprivation` per force (offences per LSOA by IMD decile, 95%
    intervals), titled with the quasi-Poisson gradient across the deciles."""
    from cdp_analysis.deprivation import deprivation_gradient
    from cdp_analysis.report.charts import comparison_bars
    from cdp_analysis.report.outputs import show_figure

    for i, (force, f) in enumerate(frame.groupby("force_name", sort=True)):
        g = deprivation_gradient(f, events="offences", exposure="lsoas", x="imd_decile", multiplier=1,
                                 units="deciles")
        pct = abs(g.rate_ratio - 1) * 100
        title = (f"{force}: {frame.attrs.get('crime_type', 'offences').lower()} offences per neighbourhood are "
                 f"{pct:.0f}% {'higher' if g.rate_ratio > 1 else 'lower'} for each decile more deprived"
                 if g.significant else f"{force}: no statistically significant gradient with deprivation")
        bars = f.assign(decile=[f"Decile {d}" + (" (most deprived)" if d == 1 else " (least deprived)" if d == 10
                                                else "") for d in f["imd_decile"]])
        chart = comparison_bars(bars, label="decile", value="per_lsoa", sort=False, title=title,
                                subtitle=f"police.uk records per LSOA, {f['first_month'].iloc[0]} to "
                                         f"{f['last_month'].iloc[0]} ({int(f['months'].iloc[0])} months), by the "
                                         "LSOA's national IMD 2019 decile",
                                source="Source: police.uk street-level crime; MHCLG English indices of deprivation "
                                       "2019", x_label="Offences per LSOA")
        show_figure(chart.figure, f"{name}-{i + 1}", alt=chart.alt)


def show_reoffending(frame: pd.DataFrame, name: str = "explore-reoffending") -> None:
    """Small multiples of :func:`reoffending` (all offenders, adults, juveniles), titled with
    the latest cohort's rate (a figure, not a change: no trend is claimed)."""
    from cdp_analysis import plots
    from cdp_analysis.report.outputs import show_figure

    f = frame.assign(measure="Proven reoffending rate (%)", group=frame["age"].str.capitalize(),
                     period=frame["period_start"].dt.strftime("%Y-%m"))
    f["group"] = f["group"].replace({"All": "All offenders", "Adult": "Adults", "Juvenile": "Juveniles"})
    latest = f[f["age"] == "all"].sort_values("period_start").iloc[-1]
    title = (f"{latest['value']:.1f}% of offenders in the latest cohort (from {latest['period_start']:%B %Y}) "
             "reoffended within a year")
    chart = plots.small_multiples(f, x="period", group="group", lower=None, upper=None, highlight="All offenders",
                                  title=title, subtitle="England and Wales, quarterly cohorts by the month they "
                                  "start", source="Source: Ministry of Justice, proven reoffending statistics")
    show_figure(chart.figure, name, alt=chart.alt)
