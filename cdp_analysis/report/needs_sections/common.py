"""Sources, notes, the header and the notes section shared by the appendix's sections."""

from __future__ import annotations

from typing import Any

import pandas as pd

from cdp_analysis import areas
from cdp_analysis.needs import NeedsContext
from cdp_analysis.report.items import Md
from cdp_analysis.report.outputs import METHODS_NOTE
from cdp_analysis.report.tables import escape_md

ONS_SOURCE = "Source: ONS, Deaths related to drug poisoning by local authority, England and Wales (registrations)"
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


def charts() -> Any:
    """The chart module, imported when a figure is drawn (matplotlib is heavy)."""
    from cdp_analysis.report import charts as module

    return module


def members_text(ctx: NeedsContext) -> str:
    """The member areas of a partnership, by name ("A and B")."""
    return " and ".join(areas.name_or_code(c) for c in ctx.codes)


def against_england(series: pd.DataFrame, name: str) -> pd.DataFrame:
    """A chart's frame of the area's rates and England's: ``period, who, value, lower_95, upper_95``."""
    cols = ["period", "who", "value", "lower_95", "upper_95"]
    return pd.concat([series.assign(who=name)[cols],
                      series.assign(who="England", value=series["england"], lower_95=series["england_lower"],
                                    upper_95=series["england_upper"])[cols]])


def boundary_note(ctx: NeedsContext) -> str:
    """Why figures on the old boundaries do not fit BCP or Dorset Council alone (empty otherwise)."""
    if len(ctx.codes) == 1 and ctx.codes[0] in ("E06000058", "E06000059"):
        return " (Christchurch, now in BCP, lay in Dorset County)"
    return ""


def parts_text(parts: str, codes: list[str]) -> str:
    """', the sum of X, Y and Z (the authorities of the time that make up exactly this area)' or ''."""
    names = [areas.name_or_code(c) for c in parts.split("+")]
    if parts.split("+") == list(codes) or not names:
        return ""
    joined = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
    return f", the sum of {escape_md(joined)} (the areas of the time that make up exactly this area)"


# --------------------------------------------------------------------------- header
def header(ctx: NeedsContext) -> list[Md]:
    """Title block: area, members, period, and where the shared results came from."""
    lines = [f"## {escape_md(ctx.area_name)}, {ctx.period}", ""]
    if ctx.is_partnership:
        lines += [f"The partnership covers {escape_md(members_text(ctx))}. Partnership figures sum the members' "
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
        METHODS_NOTE,
    ]))]
