"""The appendix's model-based items: the deaths funnel (with its over-dispersion in words) and the
reoffending forecasts [f].

Kept apart from :mod:`cdp_analysis.report.needs_sections` (which calls them) so that each module
stays small: these are the words of :mod:`cdp_analysis.indicators.overdispersion` and
:mod:`cdp_analysis.models.reoffending`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from cdp_analysis import areas
from cdp_analysis.areas import ENGLAND
from cdp_analysis.periods import Period
from cdp_analysis.report.items import Figure, Md, Table
from cdp_analysis.report.tables import escape_md

if TYPE_CHECKING:
    from cdp_analysis.needs import NeedsContext

__all__ = ["ONS_SOURCE", "funnel_items", "national_reoffending_rows", "overdispersion_lines", "reoffending_forecast_items"]

ONS_SOURCE = "Source: ONS, Deaths related to drug poisoning by local authority, England and Wales (registrations)"


def _charts() -> Any:
    from cdp_analysis.report import charts

    return charts




def overdispersion_lines(pts: pd.DataFrame, lim: pd.DataFrame) -> list[str]:
    """Which funnel limits are shown and why: phi, its test, tau, and the areas outside each set."""
    if "phi" not in lim or lim["phi"].isna().all() or "significance_unadjusted" not in pts:
        return []
    phi, p, tau = (float(lim[c].iloc[0]) for c in ("phi", "phi_p", "tau"))
    shown = str(lim["limits_shown"].iloc[0])

    def outside(col: str, tag: str) -> int:
        return int(pts[col].astype(str).str.contains(tag, regex=False).sum())

    n = {(s, lv): outside(f"significance_{s}", t) if lv == "99.8" else
         outside(f"significance_{s}", "0.001") + outside(f"significance_{s}", "0.025")
         for s in ("unadjusted", "adjusted") for lv, t in (("99.8", "0.001"), ("95", ""))}
    p_txt = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    if shown == "adjusted":
        why = (f"The areas vary far more than chance alone allows (over-dispersion phi = {phi:.1f}, test of phi > 1: "
               f"{p_txt}; the underlying rates of similar-sized areas differ by a standard deviation of about "
               f"{tau:.1f} per 100,000), so the limits shown allow for that spread (Spiegelhalter 2005, additive "
               "random-effects limits): an area outside them differs by more than the ordinary variation between areas.")
    else:
        why = (f"The areas vary no more than chance alone would explain (over-dispersion phi = {phi:.2f}, test of "
               f"phi > 1: {p_txt}), so the limits shown are the usual Poisson limits.")
    return ["", why, "",
            f"Outside the 99.8% limits: {n[('adjusted', '99.8')]} areas with the limits allowing for over-dispersion, "
            f"{n[('unadjusted', '99.8')]} with the unadjusted Poisson limits (outside 95%: {n[('adjusted', '95')]} and "
            f"{n[('unadjusted', '95')]})."]


def national_reoffending_rows(reoff: pd.DataFrame) -> pd.DataFrame:
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


def reoffending_forecast_items(rows: pd.DataFrame, period: Period, name: str, where: str,
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


def funnel_items(ctx: NeedsContext, noun: str, measure: str) -> list[Md | Figure]:
    pts, lim = ctx.funnel(measure)
    if pts.empty:
        return [Md(f"No funnel plot: no upper-tier rates of {noun} are in the store.")]
    period = pts["period"].iloc[0]
    mine = pts[pts["highlight"]]
    n_out = int(pts["significance"].astype(str).str.contains("0.001").sum())
    words = {"High (0.001)": "above the 99.8% limit (significantly high)",
             "High (0.025)": "above the 95% limit but within 99.8% (high, weaker evidence)",
             "Low (0.001)": "below the 99.8% limit (significantly low)",
             "Low (0.025)": "below the 95% limit but within 99.8% (low, weaker evidence)",
             "Not significant": "within the limits (no significant difference from the average)"}
    lines = [f"### All English upper-tier areas, {period}", "",
             f"The funnel plot compares {len(pts)} upper-tier areas with at least 10 deaths against the average "
             f"rate ({lim['centre'].iloc[0]:.1f} per 100,000); {n_out} lie outside the 99.8% limits shown."]
    lines += overdispersion_lines(pts, lim)
    for r in mine.itertuples(index=False):
        lines.append(f"- {escape_md(r.area_name)}: {words.get(r.significance, r.significance)}.")
    missing = [c for c in ctx.codes if c not in set(pts["area_code"])]
    for c in missing:
        lines.append(f"- {escape_md(areas.name_or_code(c))}: not plotted (fewer than 10 deaths or no published rate).")
    def position(sig: str) -> str:
        return {"High (0.001)": "above the 99.8% limit", "High (0.025)": "above the 95% limit",
                "Low (0.001)": "below the 99.8% limit", "Low (0.025)": "below the 95% limit"}.get(
            str(sig), "within the limits")

    if len(mine) == 1:
        r = mine.iloc[0]
        title = f"{r['area_name']} is {position(r['significance'])} of the funnel for {noun}"
    else:
        title = f"{noun.capitalize()}: " + "; ".join(
            f"{r.area_name} {position(r.significance)}" for r in mine.itertuples(index=False))
    hl = [str(n) for n in mine["area_name"]] or None

    def build() -> tuple[Any, str]:
        return _charts().funnel(pts, lim, x="denominator", y="value", label="area_name", highlight=hl, title=title,
                                subtitle=f"Age-standardised deaths per 100,000 by population, English upper-tier "
                                         f"areas, {period}", source=ONS_SOURCE,
                                x_label="Population (derived from deaths and rate)", y_label="Deaths per 100,000")

    return [Md("\n".join(lines)), Figure(f"deaths_{measure}_funnel", build, title)]
