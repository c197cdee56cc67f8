"""Drug-related hospital admissions (NHS Digital)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from cdp_analysis.areas import ENGLAND
from cdp_analysis.needs import NeedsContext
from cdp_analysis.report.items import Figure, Md, Table
from cdp_analysis.report.needs_sections.common import (
    NHS_SOURCE,
    NO_DATA,
    against_england,
    boundary_note,
    charts,
    parts_text,
)
from cdp_analysis.report.tables import escape_md
from cdp_analysis.report.wording import change_verdict, comparison_phrase


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
        rate = (("[c]" if "c" in str(last["status"]).split() else "[x]") if pd.isna(last["value"]) else
                f"{last['value']:.1f} per 100,000 residents (95% interval {last['lower_95']:.1f} to "
                f"{last['upper_95']:.1f})")
        cmp = comparison_phrase(last["comparison"], "England") if last["comparison"] else "not compared with England"
        lines.append(f"- **{what.capitalize()}, {last['period']}**: {count_text(last['count'], last['status'])}"
                     f"{parts_text(last['parts'], ctx.codes)}: {rate}; England {last['england']:.1f}: {cmp}.")
        ch = harm.admissions_change(s, metric)
        if ch is not None:
            lines.append(f"  {ch.sentence}.")
    if main is None:
        return [Md(NO_DATA.format(what=escape_md(ctx.area_name)) + " The admissions are compiled on the health "
                   "areas of 2008-2013 and the authorities after them; no set of them makes up exactly this "
                   f"area{boundary_note(ctx)}.")]
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
    if ch is not None and ch.tested:
        verdict = change_verdict(ch)
        title = f"Admissions for drug-related mental and behavioural disorders in {ctx.area_name} {verdict} in " \
                f"{ch.period}"
    else:
        title = f"Admissions for drug-related mental and behavioural disorders in {ctx.area_name}"
    chart = against_england(s, ctx.area_name)

    def build() -> tuple[Any, str]:
        return charts().trend(chart, x="period", y="value", series="who", highlight=ctx.area_name, title=title,
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
