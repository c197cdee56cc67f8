"""Markdown, charts and tables for each section of the needs-assessment appendix.

Every number comes from :mod:`cdp_analysis.needs` (the topic modules, and the shared
results through :class:`~cdp_analysis.needs.NeedsContext`); this module only words, formats
and lays out. Each section function takes the context and returns a list of *items*
(:class:`~cdp_analysis.report.items.Md`, :class:`~cdp_analysis.report.items.Figure`,
:class:`~cdp_analysis.report.items.Table`) and :func:`~cdp_analysis.report.items.show`
displays them in the notebook; figures are built only when shown, so the items can be tested
without drawing anything. :data:`SECTIONS` lists the appendix's sections in order.

Wording rules: ONS deaths are said to be by year of registration; forecasts are labelled
``[f]``; uncertainty is put in words next to the number; nothing "rises" or "falls" without
a test behind it; chart titles state the computed finding.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cdp_analysis import areas, needs
from cdp_analysis.areas import ENGLAND
from cdp_analysis.formatting import fmt
from cdp_analysis.indicators.disclosure import count_text, is_hidden, origin_of
from cdp_analysis.indicators.targets import PROBABILITY_RULE
from cdp_analysis.needs import NeedsContext
from cdp_analysis.periods import Period
from cdp_analysis.progress import TARGET_RULE
from cdp_analysis.report.items import Figure, Md, Table, show
from cdp_analysis.report.needs_models import (
    ONS_SOURCE,
    funnel_items,
    national_reoffending_rows,
    reoffending_forecast_items,
)
from cdp_analysis.report.needs_summary import summary_findings
from cdp_analysis.report.tables import escape_md
from cdp_analysis.report.treatment_outcomes import outcome_items
from cdp_analysis.report.wording import comparison_phrase, trend_phrase

__all__ = [
    "Md", "Figure", "Table", "show", "header", "population_section", "deaths_section", "police_section",
    "treatment_section", "reoffending_section", "summary_section", "notes_section", "findings",
    "REGISTRATION_NOTE", "NO_DATA", "seizures_section", "prevalence_section", "school_exclusions_section",
    "harm_section",
]

POP_SOURCE = "Source: ONS, mid-year population estimates"
POLICE_SOURCE = "Source: police.uk street-level crime open data (not official statistics)"
SEIZURES_SOURCE = "Source: Home Office, Seizures of drugs in England and Wales"
CSEW_SOURCE = "Source: ONS, Drug misuse in England and Wales (Crime Survey for England and Wales)"
ALCOHOL_SOURCE = "Source: PHE / University of Sheffield, Estimates of alcohol dependent adults in England"
DFE_SOURCE = "Source: DfE, Permanent and fixed period exclusions in England (reason for exclusion; pupil headcount)"
NHS_SOURCE = ("Source: NHS Digital, Statistics on Drug Misuse, England (Hospital Episode Statistics), compiled on "
              "merged locations by the British Drug Dynamics authors; ONS mid-year population estimates")
REGISTRATION_NOTE = (
    "ONS drug deaths are counted by **year of registration, not year of occurrence**: nearly all go to a coroner, "
    "so many deaths registered in a year happened in earlier years. Local-authority rates are published for "
    "**three-year pools** and are not calculated from fewer than 10 deaths; rates from fewer than 20 are marked "
    "[u] (unreliable)."
)
NO_DATA = "No data for this section are in the store for {what}."


def _charts() -> Any:
    from cdp_analysis.report import charts

    return charts


def _members_text(ctx: NeedsContext) -> str:
    return " and ".join(areas.name_or_code(c) for c in ctx.codes)


# --------------------------------------------------------------------------- header
def header(ctx: NeedsContext) -> list[Md]:
    """Title block: area, members, period, and where the shared results came from."""
    lines = [f"## {escape_md(ctx.area_name)}, {ctx.period}", ""]
    if ctx.is_partnership:
        lines += [f"The partnership covers {escape_md(_members_text(ctx))}. Partnership figures sum the members' "
                  "counts and populations; rates are recomputed from the sums, never averaged.", ""]
    bench = ", ".join(n for _, n in ctx.benchmarks)
    lines.append(f"Reporting period **{ctx.period}** (to {ctx.period.end:%d %B %Y}); each section uses the latest "
                 f"data in the store up to then. Comparators: {bench}.")
    src = (ctx.shared.meta.get("path") if ctx.shared is not None else None)
    if src:
        lines += ["", f"Comparisons, funnel limits and forecasts were computed once for all areas "
                      f"({ctx.shared.meta.get('computed_at', '')})."]
    for n in ctx.notes:
        lines += ["", f"*{escape_md(n)}*"]
    return [Md("\n".join(lines))]


# --------------------------------------------------------------------------- population
def population_section(ctx: NeedsContext) -> list[Md | Figure | Table]:
    """Population and age structure against England."""
    prof = needs.population_profile(ctx.population, ctx.codes)
    if prof.empty:
        return [Md(NO_DATA.format(what=escape_md(ctx.area_name)))]
    year = int(prof["year"].iloc[0])
    total = prof["population"].sum()
    young = prof.loc[prof["age_band"].isin(["18-24", "25-34", "35-44", "45-54"]), "percent"].sum()
    young_e = prof.loc[prof["age_band"].isin(["18-24", "25-34", "35-44", "45-54"]), "benchmark_percent"].sum()
    old = prof.loc[prof["age_band"] == "65+", "percent"].iloc[0]
    old_e = prof.loc[prof["age_band"] == "65+", "benchmark_percent"].iloc[0]
    text = (f"{escape_md(ctx.area_name)} had **{total:,.0f}** residents at mid-{year} (ONS estimate). "
            f"{young:.1f}% were aged 18 to 54, the ages at which most drug deaths occur (England {young_e:.1f}%), "
            f"and {old:.1f}% were 65 or over (England {old_e:.1f}%). These are whole-population counts, not samples, "
            "so the differences need no test; what they imply for need depends on the rates that follow.")
    table = prof.rename(columns={"age_band": "Age", "population": "Residents", "percent": "Per cent",
                                 "benchmark_percent": "England per cent"}).drop(columns=["year"])
    comp = pd.concat([
        prof.assign(who=ctx.area_name, value=prof["percent"]),
        prof.assign(who="England", value=prof["benchmark_percent"]),
    ])[["age_band", "who", "value"]]
    older = "an older" if old > old_e else "a younger" if old < old_e else "a similar"
    title = f"{ctx.area_name} has {older} age structure than England"

    def build() -> tuple[Any, str]:
        return _charts().trend(comp, x="age_band", y="value", lower=None, upper=None, series="who",
                               highlight=ctx.area_name, title=title,
                               subtitle=f"Per cent of residents by age, mid-{year}", source=POP_SOURCE,
                               y_label="Per cent of residents")

    return [Md(text), Figure("population_age", build, title),
            Table(table, "population_age", f"Residents by age, {ctx.area_name}, mid-{year}", POP_SOURCE,
                  formats={"Residents": "{:,.0f}", "Per cent": "{:.1f}", "England per cent": "{:.1f}"})]


# --------------------------------------------------------------------------- deaths
def _deaths_title(noun: str, rows: pd.DataFrame) -> str:
    """Title stating the comparison with England of the area (or each member).

    >>> rows = pd.DataFrame({"area_name": ["Dorset"], "vs_england": ["similar"]})
    >>> _deaths_title("drug misuse deaths", rows)
    'Drug misuse deaths in Dorset are similar to England'
    >>> rows = pd.DataFrame({"area_name": ["BCP", "Dorset"], "vs_england": ["worse", "similar"]})
    >>> _deaths_title("drug misuse deaths", rows)
    'Drug misuse deaths: BCP higher than England; Dorset similar to England'
    """
    rel = {"worse": "higher than England", "better": "lower than England", "similar": "similar to England"}
    parts = [(r.area_name, rel.get(getattr(r, "vs_england", ""), "not compared (too few deaths)"))
             for r in rows.itertuples(index=False)]
    cap = noun[:1].upper() + noun[1:]
    if len(parts) == 1:
        return f"{cap} in {parts[0][0]} are {parts[0][1]}"
    return f"{cap}: " + "; ".join(f"{a} {b}" for a, b in parts)


def deaths_section(ctx: NeedsContext, measure: str = "misuse") -> list[Md | Figure | Table]:
    """Drug deaths: annual counts, pooled ASMRs against region and England, funnel, trend, forecast."""
    noun = f"drug {measure} deaths"
    items: list[Md | Figure | Table] = [Md(REGISTRATION_NOTE)]
    annual = ctx.annual(measure)  # the disclosure decision is made there: hidden years carry status c
    hidden = annual["status"].map(is_hidden) if "status" in annual else pd.Series(False, index=annual.index)
    have = annual[annual["count"].notna() | hidden]
    if have.empty:
        return [Md(NO_DATA.format(what=f"{escape_md(ctx.area_name)} ({noun})"))]

    # annual counts, change and trend
    change = needs.deaths_change(annual, measure=f"{noun} registered")
    trends = ctx.trends(measure)
    t_count = trends[trends["series"] == "annual count"] if len(trends) else trends
    fc = ctx.forecast(measure) if ctx.include_forecast else None
    first, last = have["period"].iloc[0], have["period"].iloc[-1]
    if len(t_count) and t_count.iloc[0]["trend"] != "cannot be calculated":
        tr = t_count.iloc[0]
        title = (f"Registered {noun} in {ctx.area_name}: {trend_phrase(tr['trend'])} "
                 f"{tr['from_period']} to {tr['to_period']}")
    elif len(t_count):
        title = f"Registered {noun} in {ctx.area_name}, {first} to {last}: too few deaths for a trend test"
    else:
        title = f"Registered {noun} in {ctx.area_name}, {first} to {last}"
    text = ["### Registered deaths each year", "",
            f"{count_text(have['count'].iloc[-1], have['status'].iloc[-1] if 'status' in have else '')} {noun} "
            f"were registered in {last} to residents of "
            f"{escape_md(ctx.area_name)}" + (f" (sum of {escape_md(_members_text(ctx))})" if ctx.is_partnership else "")
            + "."]
    if change:
        text += ["", escape_md(change["sentence"]) + "."]
    for r in trends.itertuples(index=False):
        if r.trend == "cannot be calculated":
            text += ["", f"Recent trend of the {r.series}: {trend_phrase(r.trend, getattr(r, 'reason', '') or '')}. "
                         "A trend test needs five consecutive, non-overlapping periods and at least 10 deaths "
                         "over them (see the methods on small numbers)."]
            continue
        text += ["", f"Recent trend of the {r.series} ({r.from_period} to {r.to_period}, Fingertips' test over five "
                     f"non-overlapping periods at 99.8%): {trend_phrase(r.trend)}."]
    items.append(Md("\n".join(text)))
    plot = have.rename(columns={"count": "value"})[["period", "value", "lower_95", "upper_95", "status"]]
    n_hidden = int(hidden.sum())
    hidden_note = (f"; years marked [c] ({n_hidden}) are suppressed, not drawn" if n_hidden else "")
    fc_plot = fc if fc is not None and len(fc) else None

    def build_annual() -> tuple[Any, str]:
        return _charts().trend(plot, x="period", y="value", lower="lower_95", upper="upper_95", title=title,
                               subtitle=f"Deaths registered each year, {ctx.area_name}, {first} to {last}"
                               + (" with forecast [f]" if fc_plot is not None else "") + hidden_note,
                               source=ONS_SOURCE, y_label="Deaths registered", forecast=fc_plot)

    items.append(Figure(f"deaths_{measure}_annual", build_annual, title))
    tab = have[["period", "count", "lower_95", "upper_95", "status"]].tail(10).rename(columns={
        "period": "Year of registration", "count": "Deaths", "lower_95": "Lower 95% limit",
        "upper_95": "Upper 95% limit"})
    items.append(Table(tab, f"deaths_{measure}_annual", f"Registered {noun}, {ctx.area_name}", ONS_SOURCE,
                       notes="Intervals are Poisson (Byar's method from 10 deaths, exact below).",
                       count_columns=("Deaths",), formats={"Lower 95% limit": "{:.1f}", "Upper 95% limit": "{:.1f}"},
                       totals=None, show_status=False, origin=origin_of(needs.DEATH_METRICS[measure][0])))
    if fc is not None:
        items += _forecast_items(ctx, fc, noun, measure)

    # pooled ASMRs against region and England
    comp = ctx.asmr(measure)
    if comp.empty or comp[comp["role"] != "benchmark"]["value"].isna().all():
        items.append(Md(f"### Age-standardised rates\n\nNo age-standardised rate of {noun} is published for "
                        f"{escape_md(ctx.area_name)} (fewer than 10 deaths in the pool, or not in the store)."))
    else:
        items += _asmr_items(ctx, comp, noun, measure)
    items += funnel_items(ctx, noun, measure)
    return items


def _asmr_items(ctx: NeedsContext, comp: pd.DataFrame, noun: str, measure: str) -> list[Md | Figure | Table]:
    own = comp[comp["role"] != "benchmark"]
    period = comp["period"].iloc[0]
    region = ctx.region
    lines = [f"### Age-standardised rates, {period}", ""]
    for r in own.itertuples(index=False):
        if pd.isna(r.value):
            lines.append(f"- **{escape_md(r.area_name)}**: not calculated (fewer than 10 deaths).")
            continue
        flag = " [u]" if "u" in str(r.status).split() else ""
        parts = [comparison_phrase(getattr(r, "vs_england", ""), "England")]
        if region:
            parts.insert(0, comparison_phrase(getattr(r, "vs_region", ""), region[1]))
        lines.append(f"- **{escape_md(r.area_name)}**: {r.value:.1f}{flag} per 100,000 (95% confidence interval "
                     f"{r.lower_95:.1f} to {r.upper_95:.1f}; {fmt(r.count, decimals=0)} deaths over three years): "
                     + "; ".join(parts) + ".")
    for r in comp[comp["role"] == "benchmark"].itertuples(index=False):
        lines.append(f"- {escape_md(r.area_name)}: {r.value:.1f} per 100,000 ({r.lower_95:.1f} to {r.upper_95:.1f}).")
    lines += ["", "Comparisons follow Fingertips: an area is *similar* when the comparator's rate lies inside the "
                  "area's 95% confidence interval, otherwise significantly higher or lower."]
    if ctx.is_partnership:
        total = own["count"].sum(min_count=len(own))
        lines += ["", f"A partnership rate cannot be made from the members' published age-standardised rates "
                      f"(they are not additive, and ONS does not publish deaths by age for local areas), so the "
                      f"members are shown side by side. Together they registered {fmt(total, decimals=0)} {noun} in {period}."]
    title = _deaths_title(noun, own)
    plot = comp.copy()

    def build() -> tuple[Any, str]:
        hl = own["area_name"].iloc[0] if len(own) == 1 else None
        eng = comp.loc[comp["area_code"] == ENGLAND, "value"]
        return _charts().comparison_bars(plot, label="area_name", value="value", lower="lower_95", upper="upper_95",
                                         title=title, subtitle=f"Deaths per 100,000 (ESP2013), {period}",
                                         source=ONS_SOURCE, x_label="Deaths per 100,000", highlight=hl,
                                         benchmark=("England", float(eng.iloc[0])) if len(eng) else None, sort=False)

    tab = comp[["area_name", "count", "value", "lower_95", "upper_95", *[c for c in ("vs_region", "vs_england")
                                                                        if c in comp]]]
    tab = tab.rename(columns={"area_name": "Area", "count": "Deaths (3 years)", "value": "Rate per 100,000",
                              "lower_95": "Lower 95% limit", "upper_95": "Upper 95% limit",
                              "vs_region": f"Compared with {region[1] if region else 'region'}",
                              "vs_england": "Compared with England"})
    return [Md("\n".join(lines)), Figure(f"deaths_{measure}_asmr", build, title),
            Table(tab, f"deaths_{measure}_asmr", f"Age-standardised {noun}, {period}", ONS_SOURCE,
                  count_columns=("Deaths (3 years)",),
                  formats={"Rate per 100,000": "{:.1f}", "Lower 95% limit": "{:.1f}", "Upper 95% limit": "{:.1f}"})]


def _forecast_items(ctx: NeedsContext, fc: pd.DataFrame, noun: str, measure: str) -> list[Md | Table]:
    a = fc.attrs
    if fc.empty:
        return [Md(f"No forecast: {escape_md(a.get('reason') or 'the series is too short')}.")]
    rows = [f"- {r.period} [f]: {r.mean:,.0f} (95% prediction interval {r.lower_95:,.0f} to {r.upper_95:,.0f}; "
            f"80%: {r.lower_80:,.0f} to {r.upper_80:,.0f})" for r in fc.itertuples(index=False)]
    acc = ""
    if a.get("n_origins"):
        cov = a.get("coverage_95")
        mase = a.get("mase")
        acc = (f" In a backtest from {int(a['n_origins'])} earlier starting points the model's 95% intervals held "
               f"{cov * 100:.0f}% of the outcomes, and its mean absolute scaled error was {mase:.2f} "
               f"({'better' if mase < 1 else 'no better'} than repeating the last year's count, which scores 1).")
    else:
        acc = " The series was too short to backtest the model."
    model = {"pooled": "a pooled small-area trend model (each area's trend is shrunk towards its region's, "
                       "which steadies the forecasts of small areas; benchmarks/results/forecast_accuracy.md)",
             "glm": "a log-linear Poisson trend model", "ets": "a damped-trend exponential smoothing model",
             "naive": "last year's count", "drift": "the average change", "mean3": "the mean of the last three years"
             }.get(str(a.get("model")), str(a.get("model")))
    text = ["### Forecast [f]", "", f"Forecast registrations of {noun} from {model}." + acc, "", *rows, "",
            "Forecasts are marked [f]; they are on the same registration basis as the counts and assume recent "
            "patterns continue. The intervals are wide because the counts are small."]
    tab = fc[["period", "mean", "lower_95", "upper_95"]].assign(period=fc["period"].astype(str) + " [f]").rename(
        columns={"period": "Year", "mean": "Forecast", "lower_95": "Lower 95%", "upper_95": "Upper 95%"})
    return [Md("\n".join(text)), Table(tab, f"deaths_{measure}_forecast", f"Forecast {noun}, {ctx.area_name} [f]", ONS_SOURCE,
                                       formats={"Forecast": "{:,.0f}", "Lower 95%": "{:,.0f}",
                                                "Upper 95%": "{:,.0f}"})]


# --------------------------------------------------------------------------- police
def police_section(ctx: NeedsContext) -> list[Md | Figure | Table]:
    """police.uk drug offences and neighbourhood crime by month, top LSOAs, seasonality, projection."""
    mon = needs.police_monthly(ctx.police, ctx.codes, until=ctx.period)
    if mon.empty:
        return [Md(NO_DATA.format(what=f"{escape_md(ctx.area_name)} (police.uk street-level crime)") +
                   " police.uk files are loaded per force; only the forces whose files are shipped are covered.")]
    items: list[Md | Figure | Table] = []
    first, last = mon["month"].min(), mon["month"].max()
    note = ("police.uk records are anonymised, located to the nearest map point and will not reconcile with police "
            "recorded crime; drug offences reflect police activity as much as drug use.")
    if mon.attrs.get("after_period"):
        note = (f"No police.uk months up to the end of {ctx.period} are in the store; the months available "
                f"({first} to {last}) are shown instead. ") + note
    items.append(Md(f"police.uk street-level records, {first} to {last}, {escape_md(ctx.area_name)}. {note}"))
    names = {"police_uk_drugs": "Drug offences", "police_uk_neighbourhood_crime": "Neighbourhood crime"}
    for mid, label in names.items():
        m = mon[mon["metric_id"] == mid]
        if m.empty:
            items.append(Md(f"No police.uk {label.lower()} figures for this area."))
            continue
        pr = needs.police_year_end_projection(mon, mid)
        lines = [f"### {label}", ""]
        if pr:
            lines.append(f"{pr['value']:,.0f} in {pr['period']}; projected {pr['projection']:,.0f} for {pr['year']} "
                         f"(95% interval {pr['lower']:,.0f} to {pr['upper']:,.0f}; {pr['method']}).")
            if pr["change"]:
                lines.append(escape_md(pr["change"]) + ".")
            title = f"{label}, {ctx.area_name}: on course for about {pr['projection']:,.0f} in {pr['year']}"
        else:
            title = f"{label} recorded each month, {ctx.area_name}"
        same = needs.police_same_months_change(mon, mid)
        if same is not None and not (pr and pr["change"]):  # the projection's change is already like with like
            lines.append(escape_md(same["sentence"]) + ".")
            if not pr:
                verdict = {"higher": "significantly higher than", "lower": "significantly lower than",
                           "similar": "no statistically significant change on",
                           "not tested": "too few records to compare with"}[same["direction"]]
                title = f"{label} in {same['months']} {same['year']}: {verdict} a year earlier"
        seas = needs.police_seasonality(mon, mid)
        if seas.empty:
            lines.append(f"Seasonality not estimated: {seas.attrs.get('reason', '')}.")
        else:
            hi = seas.loc[seas["index"].idxmax()]
            lo = seas.loc[seas["index"].idxmin()]
            lines.append(f"Seasonal pattern over {int(hi['years'])} complete years: highest in month "
                         f"{int(hi['month_of_year'])} ({hi['index']:.0f} against an average of 100), lowest in month "
                         f"{int(lo['month_of_year'])} ({lo['index']:.0f}).")
        items.append(Md("\n".join(lines)))
        plot = m.assign(year=m["month"].str[:4])

        def build(plot: pd.DataFrame = plot, title: str = title, label: str = label) -> tuple[Any, str]:
            return _charts().monthly(plot, month="month", value="n", series="year", title=title,
                                     subtitle=f"Crimes recorded each month, {ctx.area_name}, {first} to {last}",
                                     source=POLICE_SOURCE, y_label=f"{label} (records)")

        items.append(Figure(f"police_{mid}", build, title))
    top = needs.police_top_lsoas(ctx.lsoas, ctx.codes)
    if top.empty:
        items.append(Md("No LSOA breakdown of police.uk drug offences is in the store for this area."))
    else:
        tab = top.rename(columns={"lsoa_code": "LSOA", "lsoa_name": "Name", "n": "Drug offences",
                                  "share": "Per cent of area"})
        items.append(Table(tab, "police_top_lsoas", f"Neighbourhoods (LSOAs) with most police.uk drug offences, "
                           f"{ctx.area_name}", POLICE_SOURCE, count_columns=("Drug offences",),
                           formats={"Per cent of area": "{:.1f}"},
                           notes="Locations are snapped to anonymous map points; small counts are suppressed."))
    return items


# --------------------------------------------------------------------------- seizures
def seizures_section(ctx: NeedsContext) -> list[Md | Figure | Table]:
    """Home Office drug seizures in the area's police force area(s): change, trend, chart and table."""
    forces = ctx.police_forces
    summary = needs.seizures_summary(ctx.context, forces, until=ctx.period) if forces else None
    if summary is None:
        return [Md("### Drug seizures (Home Office)\n\n" + NO_DATA.format(
            what=f"the police force area of {escape_md(ctx.area_name)} (Home Office drug seizures)"))]
    force_names = " and ".join(areas.area_name(f) for f in forces)
    place = f"{force_names} police force area" + ("s" if len(forces) > 1 else "")
    where = f"the {place}"
    annual = summary["annual"]
    first, last = annual["period"].iloc[0], annual["period"].iloc[-1]
    table = areas.areas()
    in_forces = set(table.loc[table["police_force"].isin(forces) & table["is_upper_tier_england"], "code"])
    larger = bool(in_forces - set(ctx.codes))
    lines = ["### Drug seizures (Home Office)", "",
             f"Seizures of controlled drugs in {escape_md(where)}, {first} to {last} "
             f"(financial years). Seizures measure enforcement activity as much as the drugs in circulation"
             + (f"; the police force area is larger than {escape_md(ctx.area_name)}" if larger else "") + "."]
    parts = [f"{summary['total']:,.0f} seizures in {last}"]
    if summary["class_a"] is not None:
        parts.append(f"{summary['class_a']:,.0f} involving a Class A drug")
    if summary["cannabis"] is not None:
        parts.append(f"{summary['cannabis']:,.0f} involving cannabis")
    lines += ["", "; ".join(parts) + " (one seizure can involve several drugs)."]
    if summary["change"]:
        lines += ["", escape_md(summary["change"]["sentence"]) + "."]
    if summary["trend_from"]:
        lines += ["", f"Recent trend ({summary['trend_from']} to {last}, Fingertips' test over five points at "
                      f"99.8%): {trend_phrase(summary['trend'])}."]
        title = f"Drug seizures in {where}: {trend_phrase(summary['trend'])} {summary['trend_from']} to {last}"
    else:
        title = f"Drug seizures in {where}, {first} to {last}"
    years_old = ctx.period.end.year - Period.parse(last).end.year
    if years_old >= 3:
        lines += ["", f"The latest year in the store ({last}) ended {years_old} years before the end of "
                      f"{ctx.period}; newer Home Office tables can be added to `data/raw/` and loaded with `cdp ingest`."]
    items: list[Md | Figure | Table] = [Md("\n".join(lines))]
    plot = annual[["period", "count", "lower_95", "upper_95"]].rename(columns={"count": "value"})

    def build() -> tuple[Any, str]:
        return _charts().trend(plot, x="period", y="value", lower="lower_95", upper="upper_95", title=title,
                               subtitle=f"Drug seizures each financial year, {where}, {first} to {last}",
                               source=SEIZURES_SOURCE, y_label="Seizures", interval_label="95% confidence interval")

    items.append(Figure("seizures_annual", build, title))
    tab = annual[["period", "count", "class_a", "cannabis"]].rename(
        columns={"period": "Year", "count": "All drugs", "class_a": "Class A", "cannabis": "Cannabis"})
    items.append(Table(tab, "seizures_annual", f"Drug seizures, {place}", SEIZURES_SOURCE,
                       notes="Counts of seizures; one seizure can involve several drugs, so the classes do not add "
                             "up to the total.",
                       count_columns=("All drugs", "Class A", "Cannabis"),
                       formats={c: "{:,.0f}" for c in ("All drugs", "Class A", "Cannabis")}))
    return items


# --------------------------------------------------------------------------- prevalence
def prevalence_section(ctx: NeedsContext) -> list[Md | Table]:
    """National drug use (Crime Survey) and the area's estimated alcohol-dependent adults."""
    items: list[Md | Table] = []
    prev = needs.drug_use_prevalence(ctx.context)
    if prev.empty:
        items.append(Md("No Crime Survey drug-use estimates are in the store."))
    else:
        period = prev["period"].iloc[0]
        def pct(what: str, age: str) -> str:
            r = prev[(prev["what"] == what) & (prev["age"] == age)]
            return f"{r['percent'].iloc[0]:.1f}%" if len(r) else "not available"
        items.append(Md(
            "### Drug use (national)\n\n"
            f"In the Crime Survey for England and Wales ({period}), {pct('any drug', '16-59')} of adults aged 16 to "
            f"59 said they had used any drug in the last year, and {pct('any drug', '16-24')} of those aged 16 to 24; "
            f"{pct('any Class A drug', '16-59')} and {pct('any Class A drug', '16-24')} had used a Class A drug. "
            "These are national survey estimates: the survey gives no figures for local areas, and ONS tests "
            "changes with methods that allow for the survey design, so no test is made here."))
        tab = prev.rename(columns={"period": "Survey year", "what": "Drug use in the last year", "age": "Age",
                                   "percent": "Per cent", "base": "Respondents (unweighted)"})
        items.append(Table(tab, "prevalence_csew", "Drug use in the last year, England and Wales", CSEW_SOURCE,
                           formats={"Per cent": "{:.1f}", "Respondents (unweighted)": "{:,.0f}"}))
    alc = needs.alcohol_dependence(ctx.context, ctx.codes)
    if alc is None:
        items.append(Md("No alcohol-dependence estimates are in the store."))
        return items
    text = ["### Alcohol dependence (estimates)", ""]
    if alc["count"] is None:
        text.append(f"No estimate of alcohol-dependent adults on the boundaries of {escape_md(ctx.area_name)}: "
                    f"{escape_md(alc['reason'])}.")
    else:
        est = f"An estimated {alc['count']:,.0f} adults in {escape_md(ctx.area_name)} were dependent on alcohol in " \
              f"{alc['period']}"
        if alc["lower"] is not None:
            est += f" (95% interval {alc['lower']:,.0f} to {alc['upper']:,.0f})"
        if alc["parts"] and alc["parts"] != list(ctx.codes):
            names = [areas.area_name(c) for c in alc["parts"]]
            names = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
            est += (f": the sum of the estimates for {escape_md(names)}, the areas of the time that make up "
                    "exactly this area (a sum has no published interval)")
        text.append(est + ".")
    if alc["england"] is not None:
        text.append("")
        text.append(f"England: {alc['england']:,.0f} (95% interval {alc['england_lower']:,.0f} to "
                    f"{alc['england_upper']:,.0f}). The estimates are modelled, not counted, and the latest "
                    f"published year is {alc['period']}.")
    text += ["", ALCOHOL_SOURCE]
    items.append(Md("\n".join(text)))
    return items


# --------------------------------------------------------------------------- treatment
def treatment_section(ctx: NeedsContext) -> list[Md | Table]:
    """Treatment and continuity of care: the returns' figures against targets and the trajectory."""
    t = needs.treatment_targets(ctx.returns, ctx.metrics, ctx.codes, ctx.period)
    if t.empty:
        return [Md(NO_DATA.format(what=f"{escape_md(ctx.area_name)} (treatment targets: the partnership's returns)")
                   + " Treatment numbers and continuity of care come from the partnership's returns (NDTMS)."),
                *outcome_items(ctx), *_unmet_items(ctx)]
    rows = []
    for r in t.itertuples(index=False):
        rows.append({"Measure": r.name, "Area": areas.name_or_code(r.area_code), "Latest": f"{fmt(r.value, r.unit)} ({r.period})",
                     "Target": f"{fmt(r.target, r.unit)} ({r.target_period})",
                     "On the straight line": "[x]" if np.isnan(r.expected_now)
                     else f"{fmt(r.expected_now, r.unit)} by end of {r.expected_at}",
                     "Status": r.status, "Chance of meeting": r.chance})
    tab = pd.DataFrame(rows)
    text = ("Numbers in treatment and continuity of care from the partnership's returns (NDTMS; clients who do not "
            "consent to share data are excluded). 'On the straight line' is where the measure would be at the end of "
            f"the reporting year if it moved evenly from the latest figure to the target. *Rule:* {TARGET_RULE} "
            f"{PROBABILITY_RULE} It is shown once a figure for the target's own year is in the returns.")
    return [Md(text), Table(tab, "treatment_targets", f"Treatment against targets, {ctx.area_name}",
                            "Source: partnership returns (NDTMS)"), *outcome_items(ctx), *_unmet_items(ctx)]


def _unmet_items(ctx: NeedsContext) -> list[Md | Table]:
    """Fingertips' estimated unmet need for treatment, with England."""
    un = needs.unmet_need(ctx.context, ctx.codes)
    if un.empty:
        return []
    lines = ["### Unmet need for treatment (estimates)", ""]
    missing = []
    for r in un.itertuples(index=False):
        eng = (f"England {r.england:.1f}% (95% interval {r.england_lower:.1f}% to {r.england_upper:.1f}%)"
               if pd.notna(r.england) else "no England figure")
        if pd.isna(r.value):
            missing.append(r.who)
            lines.append(f"- Estimated {r.who} not in treatment, {r.period}: no figure for "
                         f"{escape_md(ctx.area_name)} in the store; {eng}.")
        elif pd.notna(r.lower_95):
            lines.append(f"- Estimated {r.who} not in treatment, {r.period}: {r.value:.1f}% (95% interval "
                         f"{r.lower_95:.1f}% to {r.upper_95:.1f}%); {eng}: "
                         f"{comparison_phrase(r.comparison, 'England')}.")
        else:
            lines.append(f"- Estimated {r.who} not in treatment, {r.period}: {r.value:.1f}% ({r.count:,.0f} of an "
                         f"estimated {r.denominator:,.0f}, the members summed; the published intervals come from a "
                         f"model and cannot be combined, so the sum is not compared); {eng}.")
    lines += ["", "The estimates of need come from prevalence models and carry wide intervals; a lower share not in "
                  "treatment is better."]
    if missing:
        lines += ["", "The Fingertips extract shipped covers a few areas only. Download indicators 93517 (opiate and "
                      "crack users) and 93532 (dependent drinkers) for every area from Fingertips into "
                      "`data/raw/fingertips/` and run `cdp ingest` to fill this in."]
    return [Md("\n".join(lines))]


# --------------------------------------------------------------------------- school exclusions
def _parts_text(parts: str, codes: list[str]) -> str:
    """', the sum of X, Y and Z (the authorities of the time that make up exactly this area)' or ''."""
    names = [areas.name_or_code(c) for c in parts.split("+")]
    if parts.split("+") == list(codes) or not names:
        return ""
    joined = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
    return f", the sum of {escape_md(joined)} (the areas of the time that make up exactly this area)"


def school_exclusions_section(ctx: NeedsContext) -> list[Md | Figure | Table]:
    """Suspensions and permanent exclusions for drug and alcohol per 10,000 pupils, against England, tested change."""
    from cdp_analysis.indicators.disclosure import count_text
    from cdp_analysis.needs import exclusions as ex

    obs = ctx.observations([*ex.EXCLUSION_METRICS, ex.PUPILS])
    items: list[Md | Figure | Table] = []
    lines = []
    main = None
    for metric, noun in ex.EXCLUSION_METRICS.items():
        s = ex.exclusions_series(obs, ctx.codes, metric)
        if s.empty:
            continue
        if main is None:
            main = (metric, noun, s)
        last = s.iloc[-1]
        rate = ("[c]" if pd.isna(last["value"]) else
                f"{last['value']:.1f} per 10,000 pupils (95% interval {last['lower_95']:.1f} to {last['upper_95']:.1f})")
        eng = f"England {last['england']:.1f}"
        cmp = comparison_phrase(last["comparison"], "England") if last["comparison"] else "not compared with England"
        ch = ex.exclusions_change(s, noun)
        lines.append(f"- **{noun.capitalize()} for drug and alcohol, {last['period']}**: "
                     f"{count_text(last['count'], last['status'])} among {last['pupils']:,.0f} pupils"
                     f"{_parts_text(last['parts'], ctx.codes)}: {rate}; {eng}: {cmp}.")
        if ch is not None:
            lines.append(f"  {ch['sentence']}.")
    if main is None:
        return [Md(NO_DATA.format(what=escape_md(ctx.area_name)) + " DfE's exclusion figures (to 2016/17) are on "
                   "the local authorities of their time; no set of them makes up exactly this area (BCP or Dorset "
                   "Council alone: Christchurch lay in Dorset County).")]
    metric, noun, s = main
    text = ["School suspensions (fixed-period exclusions until 2021) and permanent exclusions whose main reason was "
            "**drug and alcohol related** "
            "(DfE), a sign of harm among children. Counts are of exclusions, not pupils (a pupil can be "
            "suspended more than once), in state-funded primary, secondary and special schools, per 10,000 "
            "pupils on roll (95% intervals: exact Poisson below 10 events, Byar's from 10), against England by "
            "Fingertips' rule; the change is the latest year against the one before, tested with the exact "
            "rate-ratio test on the pupil headcounts.", "", *lines, "",
            f"The latest year DfE published by reason on these boundaries is {s['period'].iloc[-1]}: the figures are "
            "years old and show what was, not what is. Counts of 1 to 4 are shown as [c]."]
    items.append(Md("\n".join(text)))
    ch = ex.exclusions_change(s, noun)
    if ch is not None and ch["tested"]:
        verdict = ("fell (statistically significant)" if ch["significant"] and ch["ratio"] < 1 else
                   "rose (statistically significant)" if ch["significant"] else
                   "showed no statistically significant change")
        title = f"Drug and alcohol {noun} in {ctx.area_name}'s schools {verdict} in {ch['period']}"
    else:
        title = f"Drug and alcohol {noun} in {ctx.area_name}'s schools per 10,000 pupils"
    chart = pd.concat([s.assign(who=ctx.area_name)[["period", "who", "value", "lower_95", "upper_95"]],
                       s.assign(who="England", value=s["england"], lower_95=s["england_lower"],
                                upper_95=s["england_upper"])[["period", "who", "value", "lower_95", "upper_95"]]])

    def build() -> tuple[Any, str]:
        return _charts().trend(chart, x="period", y="value", series="who", highlight=ctx.area_name, title=title,
                               subtitle=f"{noun.capitalize()} for drug and alcohol per 10,000 pupils, academic years",
                               source=DFE_SOURCE, y_label="Per 10,000 pupils")

    table = s.rename(columns={"period": "Academic year", "count": "Exclusions", "pupils": "Pupils",
                              "value": "Per 10,000 pupils", "lower_95": "Lower 95% limit",
                              "upper_95": "Upper 95% limit", "england": "England per 10,000",
                              "comparison": "Compared with England"})
    table = table[["Academic year", "Exclusions", "Pupils", "Per 10,000 pupils", "Lower 95% limit", "Upper 95% limit",
                   "England per 10,000", "Compared with England", "status"]]
    items += [Figure(metric, build, title),
              Table(table, metric, f"{noun.capitalize()} for drug and alcohol, {ctx.area_name}",
                    DFE_SOURCE, count_columns=("Exclusions",),
                    formats={"Exclusions": "{:,.0f}", "Pupils": "{:,.0f}", "Per 10,000 pupils": "{:.1f}",
                             "Lower 95% limit": "{:.1f}", "Upper 95% limit": "{:.1f}",
                             "England per 10,000": "{:.1f}"})]
    return items


# --------------------------------------------------------------------------- harm
def harm_section(ctx: NeedsContext) -> list[Md | Figure | Table]:
    """Hospital admissions related to drugs per 100,000 residents, against England, tested change."""
    from cdp_analysis.indicators.disclosure import count_text
    from cdp_analysis.needs import harm

    obs = ctx.observations(list(harm.HARM_METRICS))
    pop = pd.concat([ctx.populations(ctx.codes), ctx.populations([ENGLAND, *harm.REGIONS])], ignore_index=True)
    lines, main = [], None
    for metric, (what, _) in harm.HARM_METRICS.items():
        s = harm.admissions_series(obs, pop, ctx.codes, metric)
        if s.empty:
            continue
        if main is None:
            main = (metric, what, s)
        last = s.iloc[-1]
        rate = ("[c]" if pd.isna(last["value"]) else
                f"{last['value']:.1f} per 100,000 residents (95% interval {last['lower_95']:.1f} to "
                f"{last['upper_95']:.1f})")
        cmp = comparison_phrase(last["comparison"], "England") if last["comparison"] else "not compared with England"
        lines.append(f"- **{what.capitalize()}, {last['period']}**: {count_text(last['count'], last['status'])}"
                     f"{_parts_text(last['parts'], ctx.codes)}: {rate}; England {last['england']:.1f}: {cmp}.")
        ch = harm.admissions_change(s, metric)
        if ch is not None:
            lines.append(f"  {ch['sentence']}.")
    if main is None:
        return [Md(NO_DATA.format(what=escape_md(ctx.area_name)) + " The admissions are compiled on the health "
                   "areas of 2008-2013 and the authorities after them; no set of them makes up exactly this area "
                   "(BCP or Dorset Council alone: Christchurch lay in Dorset County).")]
    metric, what, s = main
    text = ["Hospital admissions related to drugs (NHS Digital, Hospital Episode Statistics; financial years), the "
            "harm short of death that reaches hospitals. Crude rates per 100,000 residents of all ages (NHS "
            "Digital publishes age-standardised rates, so these differ from its tables), with 95% intervals, "
            "against England by Fingertips' rule; the change is the latest year against the one before, tested "
            "with the exact rate-ratio test on the populations.", "", *lines, "",
            "The compiled series ends in 2018/19. Poisoning admissions get no change verdict: the compilation joins "
            "editions of NHS Digital's tables that define that measure differently. Counts of 1 to 4 are shown "
            "as [c]."]
    ch = harm.admissions_change(s, metric)
    if ch is not None and ch["tested"]:
        verdict = ("fell (statistically significant)" if ch["significant"] and ch["ratio"] < 1 else
                   "rose (statistically significant)" if ch["significant"] else
                   "showed no statistically significant change")
        title = f"Admissions for drug-related mental and behavioural disorders in {ctx.area_name} {verdict} in " \
                f"{ch['period']}"
    else:
        title = f"Admissions for drug-related mental and behavioural disorders in {ctx.area_name}"
    chart = pd.concat([s.assign(who=ctx.area_name)[["period", "who", "value", "lower_95", "upper_95"]],
                       s.assign(who="England", value=s["england"], lower_95=s["england_lower"],
                                upper_95=s["england_upper"])[["period", "who", "value", "lower_95", "upper_95"]]])

    def build() -> tuple[Any, str]:
        return _charts().trend(chart, x="period", y="value", series="who", highlight=ctx.area_name, title=title,
                               subtitle="Admissions per 100,000 residents, financial years", source=NHS_SOURCE,
                               y_label="Admissions per 100,000")

    table = s.rename(columns={"period": "Financial year", "count": "Admissions", "population": "Residents",
                              "value": "Per 100,000", "lower_95": "Lower 95% limit", "upper_95": "Upper 95% limit",
                              "england": "England per 100,000", "comparison": "Compared with England"})
    table = table[["Financial year", "Admissions", "Residents", "Per 100,000", "Lower 95% limit", "Upper 95% limit",
                   "England per 100,000", "Compared with England", "status"]]
    return [Md("\n".join(text)), Figure("harm_admissions", build, title),
            Table(table, "harm_admissions", f"Admissions for drug-related mental and behavioural disorders, "
                  f"{ctx.area_name}", NHS_SOURCE, count_columns=("Admissions",),
                  formats={"Admissions": "{:,.0f}", "Residents": "{:,.0f}", "Per 100,000": "{:.1f}",
                           "Lower 95% limit": "{:.1f}", "Upper 95% limit": "{:.1f}", "England per 100,000": "{:.1f}"})]


# --------------------------------------------------------------------------- reoffending
def reoffending_section(ctx: NeedsContext) -> list[Md | Figure | Table]:
    """National proven reoffending series; the partnership's own figures when its returns hold any."""
    items: list[Md | Figure | Table] = []
    nat = needs.reoffending_national(ctx.reoffending)
    if nat.empty:
        items.append(Md("No national proven-reoffending series is in the store yet (MoJ proven reoffending "
                        "statistics)."))
    else:
        last = nat.iloc[-1]
        line = (f"Nationally, {last['value']:.1f}% of the offender cohort of {last['period']} committed a proven "
                f"reoffence within a year (MoJ; results arrive about 18 months after the cohort).")
        change = needs.reoffending_change(nat, ctx.period)
        title = f"Proven reoffending nationally: {last['value']:.1f}% in {last['period']}"
        if change is not None:
            line += " " + escape_md(change["sentence"]) + "."
            title = (f"Proven reoffending nationally: {change['verdict']} to {change['value']:.1f}% in "
                     f"{change['period']}, from {change['base_value']:.1f}% a year earlier"
                     if not change["verdict"].startswith("not")
                     else f"Proven reoffending nationally: {change['value']:.1f}% in {change['period']}, "
                          "no statistically significant change on a year earlier")
            if change["years_before"] >= 3:
                line += (f" This is the latest cohort in the store; it ended {change['years_before']} years before "
                         f"the end of {ctx.period}, so it describes the national picture then, not now. Newer MoJ "
                         "editions can be added to `data/raw/reoffending/` and loaded with `cdp ingest`.")
        items.append(Md(line))
        plot = nat.assign(period=nat["period"].astype(str))

        def build() -> tuple[Any, str]:
            return _charts().trend(plot, x="period", y="value", lower=None, upper=None,
                                   title=title,
                                   subtitle="Per cent of offenders who reoffended within 12 months, by cohort",
                                   source="Source: Ministry of Justice, Proven reoffending statistics",
                                   y_label="Per cent reoffending")

        items.append(Figure("reoffending_national", build, "Proven reoffending nationally"))
        items += reoffending_forecast_items(national_reoffending_rows(ctx.reoffending), ctx.period,
                                             "reoffending_forecast_national", "England and Wales",
                                             "Source: Ministry of Justice, Proven reoffending statistics; "
                                             "forecast [f] by cdp-analysis")
    loc = needs.reoffending_local(ctx.returns, ctx.metrics, ctx.codes)
    if loc.empty:
        items.append(Md(f"The returns hold no local reoffending figures for {escape_md(ctx.area_name)}."))
    else:
        items.append(Table(loc.rename(columns={"metric_id": "Measure", "area_code": "Area", "period": "Period",
                                               "value": "Value"}), "reoffending_local",
                           f"Local reoffending figures, {ctx.area_name}", "Source: partnership returns"))
        for code, rows in loc.groupby("area_code", sort=True):
            if not {"reoffending_cohort", "reoffenders"} <= set(rows["metric_id"]):
                continue
            items += reoffending_forecast_items(rows, ctx.period, f"reoffending_forecast_{code}",
                                                 areas.name_or_code(code),
                                                 "Source: partnership returns; forecast [f] by cdp-analysis")
    return items


# --------------------------------------------------------------------------- summary
def findings(ctx: NeedsContext, measure: str = "misuse") -> list[dict[str, str]]:
    """The summary's findings (see :func:`cdp_analysis.report.needs_summary.summary_findings`)."""
    return summary_findings(ctx, measure)


def summary_section(ctx: NeedsContext) -> list[Md]:
    """A plain-English summary of the findings, each with its test."""
    fs = findings(ctx)
    lines = [f"- **{escape_md(f['topic'])}.** {escape_md(f['finding'])}" for f in fs]
    return [Md("\n".join(lines))]


def notes_section(ctx: NeedsContext) -> list[Md]:
    """Notes on sources, uncertainty and shorthand."""
    return [Md("\n".join([
        "- " + REGISTRATION_NOTE,
        "- Confidence and prediction intervals are 95% unless stated. \"Not a statistically significant change\" "
        "means the difference is within what chance alone would often produce.",
        "- Shorthand: [f] forecast, [u] unreliable (fewer than 20 deaths), [x] not available, [c] suppressed.",
        "- Partnership totals sum the members' counts and populations; rates are never averaged.",
        "- Police.uk and Home Office seizures are counts of police activity, not of drug use; Crime Survey "
        "figures are national; alcohol-dependence figures are modelled estimates on the boundaries of their year.",
        "- Produced with cdp-analysis; methods and references are in the library's documentation.",
    ]))]
