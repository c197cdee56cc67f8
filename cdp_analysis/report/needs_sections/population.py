"""Population and prevalence: the age structure, national drug use and alcohol dependence."""

from __future__ import annotations

from typing import Any

import pandas as pd

from cdp_analysis import areas, needs
from cdp_analysis.needs import NeedsContext
from cdp_analysis.report.items import Figure, Md, Table
from cdp_analysis.report.needs_sections.common import (
    ALCOHOL_SOURCE,
    CSEW_SOURCE,
    NO_DATA,
    POP_SOURCE,
    charts,
)
from cdp_analysis.report.tables import escape_md


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
        return charts().trend(comp, x="age_band", y="value", lower=None, upper=None, series="who",
                               highlight=ctx.area_name, title=title,
                               subtitle=f"Per cent of residents by age, mid-{year}", source=POP_SOURCE,
                               y_label="Per cent of residents")

    return [Md(text), Figure("population_age", build, title),
            Table(table, "population_age", f"Residents by age, {ctx.area_name}, mid-{year}", POP_SOURCE,
                  formats={"Residents": "{:,.0f}", "Per cent": "{:.1f}", "England per cent": "{:.1f}"})]




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
    if alc.count is None:
        text.append(f"No estimate of alcohol-dependent adults on the boundaries of {escape_md(ctx.area_name)}: "
                    f"{escape_md(alc.reason)}.")
    else:
        est = f"An estimated {alc.count:,.0f} adults in {escape_md(ctx.area_name)} were dependent on alcohol in " \
              f"{alc.period}"
        if alc.lower is not None:
            est += f" (95% interval {alc.lower:,.0f} to {alc.upper:,.0f})"
        if alc.parts and list(alc.parts) != list(ctx.codes):
            names = [areas.area_name(c) for c in alc.parts]
            names = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
            est += (f": the sum of the estimates for {escape_md(names)}, the areas of the time that make up "
                    "exactly this area (a sum has no published interval)")
        text.append(est + ".")
    if alc.england is not None:
        text.append("")
        text.append(f"England: {alc.england:,.0f} (95% interval {alc.england_lower:,.0f} to "
                    f"{alc.england_upper:,.0f}). The estimates are modelled, not counted, and the latest "
                    f"published year is {alc.period}.")
    text += ["", ALCOHOL_SOURCE]
    items.append(Md("\n".join(text)))
    return items
