"""Crime and enforcement: police.uk records by month and neighbourhood, Home Office drug seizures."""

from __future__ import annotations

from typing import Any

import pandas as pd

from cdp_analysis import areas, needs
from cdp_analysis.needs import NeedsContext
from cdp_analysis.periods import Period
from cdp_analysis.report.items import Figure, Md, Table
from cdp_analysis.report.needs_sections.common import (
    NO_DATA,
    POLICE_SOURCE,
    SEIZURES_SOURCE,
    charts,
)
from cdp_analysis.report.tables import escape_md
from cdp_analysis.report.wording import trend_phrase


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
            lines.append(pr.sentence + ".")
            if pr.change_sentence:
                lines.append(escape_md(pr.change_sentence) + ".")
            title = f"{label}, {ctx.area_name}: on course for about {pr.projection:,.0f} in {pr.year}"
        else:
            title = f"{label} recorded each month, {ctx.area_name}"
        same = needs.police_same_months_change(mon, mid)
        if same is not None and not (pr and pr.change_sentence):  # the projection's change is already like with like
            lines.append(escape_md(same.sentence.rstrip(".")) + ".")
            if not pr:
                verdict = {"higher": "significantly higher than", "lower": "significantly lower than",
                           "similar": "no statistically significant change on",
                           "not tested": "too few records to compare with"}[same.direction]
                title = f"{label} in {same.period}: {verdict} a year earlier"
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
            return charts().monthly(plot, month="month", value="n", series="year", title=title,
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
    annual = summary.annual
    first, last = annual["period"].iloc[0], annual["period"].iloc[-1]
    table = areas.areas()
    in_forces = set(table.loc[table["police_force"].isin(forces) & table["is_upper_tier_england"], "code"])
    larger = bool(in_forces - set(ctx.codes))
    lines = ["### Drug seizures (Home Office)", "",
             f"Seizures of controlled drugs in {escape_md(where)}, {first} to {last} "
             f"(financial years). Seizures measure enforcement activity as much as the drugs in circulation"
             + (f"; the police force area is larger than {escape_md(ctx.area_name)}" if larger else "") + "."]
    parts = [f"{summary.total:,.0f} seizures in {last}"]
    if summary.class_a is not None:
        parts.append(f"{summary.class_a:,.0f} involving a Class A drug")
    if summary.cannabis is not None:
        parts.append(f"{summary.cannabis:,.0f} involving cannabis")
    lines += ["", "; ".join(parts) + " (one seizure can involve several drugs)."]
    if summary.change:
        lines += ["", escape_md(summary.change.sentence) + "."]
    if summary.trend_from:
        lines += ["", f"Recent trend ({summary.trend_from} to {last}, Fingertips' test over five points at "
                      f"99.8%): {trend_phrase(summary.trend)}."]
        title = f"Drug seizures in {where}: {trend_phrase(summary.trend)} {summary.trend_from} to {last}"
    else:
        title = f"Drug seizures in {where}, {first} to {last}"
    years_old = ctx.period.end.year - Period.parse(last).end.year
    if years_old >= 3:
        lines += ["", f"The latest year in the store ({last}) ended {years_old} years before the end of "
                      f"{ctx.period}; newer Home Office tables can be added to `data/raw/` and loaded with `cdp ingest`."]
    items: list[Md | Figure | Table] = [Md("\n".join(lines))]
    plot = annual[["period", "count", "lower_95", "upper_95"]].rename(columns={"count": "value"})

    def build() -> tuple[Any, str]:
        return charts().trend(plot, x="period", y="value", lower="lower_95", upper="upper_95", title=title,
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
