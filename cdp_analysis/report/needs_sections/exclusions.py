"""School exclusions and suspensions for drug and alcohol reasons (DfE)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from cdp_analysis.needs import NeedsContext
from cdp_analysis.report.items import Figure, Md, Table
from cdp_analysis.report.needs_sections.common import (
    DFE_SOURCE,
    NO_DATA,
    against_england,
    boundary_note,
    charts,
    parts_text,
)
from cdp_analysis.report.tables import escape_md
from cdp_analysis.report.wording import change_verdict, comparison_phrase


# --------------------------------------------------------------------------- school exclusions
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
        rate = (("[c]" if "c" in str(last["status"]).split() else "[x]") if pd.isna(last["value"]) else
                f"{last['value']:.1f} per 10,000 pupils (95% interval {last['lower_95']:.1f} to {last['upper_95']:.1f})")
        eng = f"England {last['england']:.1f}"
        cmp = comparison_phrase(last["comparison"], "England") if last["comparison"] else "not compared with England"
        ch = ex.exclusions_change(s, noun)
        lines.append(f"- **{noun.capitalize()} for drug and alcohol, {last['period']}**: "
                     f"{count_text(last['count'], last['status'])} among {last['pupils']:,.0f} pupils"
                     f"{parts_text(last['parts'], ctx.codes)}: {rate}; {eng}: {cmp}.")
        if ch is not None:
            lines.append(f"  {ch.sentence}.")
    if main is None:
        return [Md(NO_DATA.format(what=escape_md(ctx.area_name)) + " DfE's exclusion figures (to 2016/17) are on "
                   f"the local authorities of their time; no set of them makes up exactly this area{boundary_note(ctx)}.")]
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
    if ch is not None and ch.tested:
        verdict = change_verdict(ch)
        title = f"Drug and alcohol {noun} in {ctx.area_name}'s schools {verdict} in {ch.period}"
    else:
        title = f"Drug and alcohol {noun} in {ctx.area_name}'s schools per 10,000 pupils"
    chart = against_england(s, ctx.area_name)

    def build() -> tuple[Any, str]:
        return charts().trend(chart, x="period", y="value", series="who", highlight=ctx.area_name, title=title,
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
                    DFE_SOURCE,  # counts protected where computed (exclusions_series); [x] rows are not counts
                    count_columns=(),
                    formats={"Exclusions": "{:,.0f}", "Pupils": "{:,.0f}", "Per 10,000 pupils": "{:.1f}",
                             "Lower 95% limit": "{:.1f}", "Upper 95% limit": "{:.1f}",
                             "England per 10,000": "{:.1f}"})]
    return items
