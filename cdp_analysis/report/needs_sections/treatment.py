"""Treatment and justice: treatment against targets, unmet need for treatment, reoffending."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cdp_analysis import areas, needs
from cdp_analysis.areas import ENGLAND
from cdp_analysis.formatting import fmt
from cdp_analysis.indicators.targets import PROBABILITY_RULE
from cdp_analysis.needs import NeedsContext
from cdp_analysis.periods import Period
from cdp_analysis.progress import TARGET_RULE
from cdp_analysis.report.items import Figure, Md, Table
from cdp_analysis.report.needs_sections.common import (
    NO_DATA,
    charts,
)
from cdp_analysis.report.tables import escape_md
from cdp_analysis.report.treatment_outcomes import outcome_items
from cdp_analysis.report.wording import comparison_phrase


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
        hid = r.value_status == "c"  # a small local count, hidden with the line drawn from it
        rows.append({"Measure": r.name, "Area": areas.name_or_code(r.area_code),
                     "Latest": f"{'[c]' if hid else fmt(r.value, r.unit)} ({r.period})",
                     "Target": f"{fmt(r.target, r.unit)} ({r.target_period})",
                     "On the straight line": "[c]" if hid else "[x]" if np.isnan(r.expected_now)
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
            line += " " + escape_md(change.sentence) + "."
            title = (f"Proven reoffending nationally: {change.verdict} to {change.value:.1f}% in "
                     f"{change.period}, from {change.base_value:.1f}% a year earlier"
                     if not change.verdict.startswith("not")
                     else f"Proven reoffending nationally: {change.value:.1f}% in {change.period}, "
                          "no statistically significant change on a year earlier")
            if change.years_before >= 3:
                line += (f" This is the latest cohort in the store; it ended {change.years_before} years before "
                         f"the end of {ctx.period}, so it describes the national picture then, not now. Newer MoJ "
                         "editions can be added to `data/raw/reoffending/` and loaded with `cdp ingest`.")
        items.append(Md(line))
        plot = nat.assign(period=nat["period"].astype(str))

        def build() -> tuple[Any, str]:
            return charts().trend(plot, x="period", y="value", lower=None, upper=None,
                                   title=title,
                                   subtitle="Per cent of offenders who reoffended within 12 months, by cohort",
                                   source="Source: Ministry of Justice, Proven reoffending statistics",
                                   y_label="Per cent reoffending")

        items.append(Figure("reoffending_national", build, "Proven reoffending nationally"))
        items += _reoffending_forecast_items(_national_reoffending_rows(ctx.reoffending), ctx.period,
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
            items += _reoffending_forecast_items(rows, ctx.period, f"reoffending_forecast_{code}",
                                                 areas.name_or_code(code),
                                                 "Source: partnership returns; forecast [f] by cdp-analysis")
    return items


def _national_reoffending_rows(reoff: pd.DataFrame) -> pd.DataFrame:
    """The national (England and Wales) all-ages cohort rows of the store."""
    if reoff is None or reoff.empty:
        return pd.DataFrame()
    d = reoff[reoff["metric_id"].isin(["proven_reoffending_rate", "reoffending_cohort", "reoffenders",
                                       "reoffences"])]
    if "area_code" in d:
        nat = [c for c in ("K04000001", ENGLAND) if c in set(d["area_code"])]
        d = d[d["area_code"] == nat[0]] if nat else d.iloc[0:0]
    if "age" in d and d["age"].nunique() > 1:
        d = d[d["age"].astype(str).str.lower().isin(["all", "all ages"])]
    return d


def _reoffending_forecast_items(rows: pd.DataFrame, period: Period, name: str, where: str,
                                source: str) -> list[Md | Table]:
    """The proven-reoffending forecast [f] of ``rows`` with its backtest and the age of the data, or why not."""
    from cdp_analysis.errors import CdpInputError
    from cdp_analysis.models.reoffending import forecast_reoffending

    if rows is None or rows.empty:
        return []
    try:
        fc = forecast_reoffending(rows, 4, as_of=period)
    except CdpInputError as exc:
        return [Md(f"No reoffending forecast for {escape_md(where)}: {escape_md(exc.message)}.")]
    tab = fc.forecast.assign(
        r80=[f"{lo:.1f} to {hi:.1f}" for lo, hi in zip(fc.forecast["lower_80"], fc.forecast["upper_80"], strict=True)],
        r95=[f"{lo:.1f} to {hi:.1f}" for lo, hi in zip(fc.forecast["lower_95"], fc.forecast["upper_95"], strict=True)])
    tab = tab[["period", "mean", "r80", "r95", "status"]].rename(columns={
        "period": "Cohort", "mean": "Forecast reoffending (%)", "r80": "80% prediction interval (%)",
        "r95": "95% prediction interval (%)", "status": "Status"})
    text = (f"**Forecast [f], {escape_md(where)}.** " + escape_md(fc.summary())
            + " The model is a binomial trend on the last 16 quarterly cohorts with extra-binomial variation "
              "(`benchmarks/results/forecast_reoffending.md` gives its backtest on the national series).")
    return [Md(text), Table(tab, name, f"Proven reoffending forecast [f], {where}", source,
                            formats={"Forecast reoffending (%)": "{:.1f}"})]
