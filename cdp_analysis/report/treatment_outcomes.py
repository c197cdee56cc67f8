"""Words for Fingertips' treatment outcome indicators in the appendix's treatment section.

The figures come from :func:`cdp_analysis.needs.completion.treatment_outcomes`; this module
only words them. With no such indicator in the store it says how to add them (``cdp fetch
fingertips``), so that the section fills in for any area without code changes.
"""

from __future__ import annotations

import pandas as pd

from cdp_analysis.needs import NeedsContext
from cdp_analysis.report.items import Md
from cdp_analysis.report.tables import escape_md

__all__ = ["outcome_items", "HIGHER_IS_BETTER"]

#: Fingertips' comparison labels of a higher-is-better percentage, in words
HIGHER_IS_BETTER = {
    "better": "higher than England (statistically significant)",
    "worse": "lower than England (statistically significant)",
    "similar": "similar to England (no statistically significant difference)",
}


def outcome_items(ctx: NeedsContext) -> list[Md]:
    """Successful completion and continuity of care (Fingertips), the area against England.

    >>> HIGHER_IS_BETTER["worse"]
    'lower than England (statistically significant)'
    """
    from cdp_analysis.indicators.disclosure import count_text
    from cdp_analysis.needs.completion import COMPLETION_METRICS, treatment_outcomes

    t = treatment_outcomes(ctx.observations(list(COMPLETION_METRICS)), ctx.codes)
    lines = ["### Treatment outcomes (Fingertips)", ""]
    if t.empty:
        return [Md("\n".join(lines + [
            "No Fingertips treatment outcome indicator is in the store. `cdp fetch fingertips` downloads successful "
            "completion of treatment (90244 opiate, 90245 non-opiate) and continuity of care for every area; "
            "`cdp ingest` then fills this in."]))]
    for r in t.itertuples(index=False):
        if pd.isna(r.value) and r.status != "c":
            lines.append(f"- {r.what.capitalize()}, {r.period}: no figure for {escape_md(ctx.area_name)} in the "
                         f"store; England {r.england:.1f}%.")
            continue
        share = ("[c]" if pd.isna(r.value) else
                 f"{r.value:.1f}% (95% interval {r.lower_95:.1f}% to {r.upper_95:.1f}%)")
        of = (f", {count_text(r.count, r.status)} of {r.denominator:,.0f}" if pd.notna(r.denominator) else "")
        cmp = HIGHER_IS_BETTER.get(r.comparison, "not compared with England")
        eng = f"England {r.england:.1f}%" if pd.notna(r.england) else "no England figure"
        lines.append(f"- {r.what.capitalize()}, {r.period}: {share}{of}; {eng}: {cmp}.")
    if ctx.is_partnership:
        lines += ["", "For the partnership the members' numbers are summed and the percentage recomputed (Wilson "
                      "interval), never averaged."]
    lines += ["", "Source: OHID, Fingertips (National Drug Treatment Monitoring System). Higher is better."]
    return [Md("\n".join(lines))]
