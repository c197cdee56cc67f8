"""The needs-assessment appendix's summary: the findings it states, each with its test.

Computed from the same figures as the sections (:class:`~cdp_analysis.needs.NeedsContext`
and the topic modules of :mod:`cdp_analysis.needs`), worded with
:mod:`cdp_analysis.report.wording` and :mod:`cdp_analysis.formatting`.
"""

from __future__ import annotations

import pandas as pd

from cdp_analysis import areas, needs
from cdp_analysis.formatting import fmt
from cdp_analysis.needs import NeedsContext
from cdp_analysis.report.wording import comparison_phrase, trend_phrase

__all__ = ["summary_findings"]


def summary_findings(ctx: NeedsContext, measure: str = "misuse") -> list[dict[str, str]]:
    """The findings the summary states, each ``{"topic", "finding"}``, computed from the sections.

    Every statement carries its test: the comparison rule, the change test or the trend test.
    """
    noun = f"drug {measure} deaths"
    out: list[dict[str, str]] = []
    ch = needs.deaths_change(ctx.annual(measure), measure=f"{noun} registered")
    if ch:
        out.append({"topic": "Deaths", "finding": ch.sentence + "."})
    cmp_ = ctx.asmr(measure)
    for r in cmp_[cmp_["role"] != "benchmark"].itertuples(index=False):
        if pd.isna(r.value):
            out.append({"topic": "Deaths", "finding": f"{r.area_name}: no age-standardised rate for {r.period} "
                        "(fewer than 10 deaths)."})
            continue
        out.append({"topic": "Deaths", "finding": (
            f"{r.area_name}'s age-standardised {noun} rate for {r.period} is {r.value:.1f} per 100,000 (95% "
            f"confidence interval {r.lower_95:.1f} to {r.upper_95:.1f}): "
            f"{comparison_phrase(getattr(r, 'vs_england', ''), 'England')}.")})
    for r in ctx.trends(measure).itertuples(index=False):
        span = f" ({r.from_period} to {r.to_period})" if r.trend != "cannot be calculated" else ""
        out.append({"topic": "Deaths", "finding": f"Trend in the {r.series}{span}: "
                    f"{trend_phrase(r.trend, getattr(r, 'reason', '') or '')}."})
    mon = needs.police_monthly(ctx.police, ctx.codes, until=ctx.period)
    for mid in needs.POLICE_METRICS:
        pr = needs.police_year_end_projection(mon, mid)
        what = "drug offences" if mid == "police_uk_drugs" else "neighbourhood crimes"
        m = mon[mon["metric_id"] == mid]
        later = "; later than the reporting period, as no months up to its end are in the store" \
            if mon.attrs.get("after_period") else ""
        if not pr and len(m):
            year = m["month"].str[:4].max()
            if m["month"].str[:4].eq(year).sum() == 12:
                total = float(m.loc[m["month"].str[:4] == year, "n"].sum())
                text = f"police.uk {what}: {total:,.0f} recorded in {year} (records, not official statistics{later})."
                same = needs.police_same_months_change(mon, mid)
                if same:
                    text += f" {same.sentence.rstrip('.')}."
                out.append({"topic": "Crime", "finding": text})
        if pr:
            text = (f"police.uk {what}: {pr.value:,.0f} in {pr.period}, projected {pr.projection:,.0f} "
                    f"for {pr.year} (95% interval {pr.lower:,.0f} to {pr.upper:,.0f}).")
            if pr.change_sentence:
                text += f" {pr.change_sentence}."
            out.append({"topic": "Crime", "finding": text})
    forces = ctx.police_forces
    seiz = needs.seizures_summary(ctx.context, forces, until=ctx.period) if forces else None
    if seiz is not None and seiz.change:
        place = " and ".join(areas.area_name(f) for f in forces) + " police force area"
        out.append({"topic": "Enforcement", "finding": f"Home Office drug seizures, {place}: "
                    f"{seiz.change.sentence}."})
    tt = needs.treatment_targets(ctx.returns, ctx.metrics, ctx.codes, ctx.period)
    for r in tt.itertuples(index=False):
        latest = "[c]" if r.value_status == "c" else fmt(r.value, r.unit)
        out.append({"topic": "Treatment", "finding": f"{r.name}, {areas.name_or_code(r.area_code)}: {latest} in "
                    f"{r.period} against a target of {fmt(r.target, r.unit)} for {r.target_period}; {r.status}."})
    if not out:
        out.append({"topic": "Data", "finding": "No figures for this area are in the store."})
    return out
