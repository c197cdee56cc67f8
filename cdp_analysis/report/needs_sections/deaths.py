"""Drug deaths: registrations, change and trend, forecast [f], pooled rates against region and England, funnel."""

from __future__ import annotations

from typing import Any

import pandas as pd

from cdp_analysis import areas, needs
from cdp_analysis.areas import ENGLAND
from cdp_analysis.formatting import fmt
from cdp_analysis.indicators.disclosure import count_text, is_hidden, origin_of
from cdp_analysis.needs import NeedsContext
from cdp_analysis.report.items import Figure, Md, Table
from cdp_analysis.report.needs_sections.common import (
    NO_DATA,
    ONS_SOURCE,
    REGISTRATION_NOTE,
    charts,
    members_text,
)
from cdp_analysis.report.tables import escape_md
from cdp_analysis.report.wording import comparison_phrase, trend_phrase


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
            f"{escape_md(ctx.area_name)}" + (f" (sum of {escape_md(members_text(ctx))})" if ctx.is_partnership else "")
            + "."]
    if change:
        text += ["", escape_md(change.sentence) + "."]
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
        return charts().trend(plot, x="period", y="value", lower="lower_95", upper="upper_95", title=title,
                               subtitle=f"Deaths registered each year, {ctx.area_name}, {first} to {last}"
                               + (" with forecast [f]" if fc_plot is not None else "") + hidden_note,
                               source=ONS_SOURCE, y_label="Deaths registered", forecast=fc_plot)

    items.append(Figure(f"deaths_{measure}_annual", build_annual, title,
                        origin=origin_of(needs.DEATH_METRICS[measure][0])))
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
    items += _funnel_items(ctx, noun, measure)
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
        return charts().comparison_bars(plot, label="area_name", value="value", lower="lower_95", upper="upper_95",
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


def _funnel_items(ctx: NeedsContext, noun: str, measure: str) -> list[Md | Figure]:
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
    lines += _overdispersion_lines(pts, lim)
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
        return charts().funnel(pts, lim, x="denominator", y="value", label="area_name", highlight=hl, title=title,
                                subtitle=f"Age-standardised deaths per 100,000 by population, English upper-tier "
                                         f"areas, {period}", source=ONS_SOURCE,
                                x_label="Population (derived from deaths and rate)", y_label="Deaths per 100,000")

    return [Md("\n".join(lines)), Figure(f"deaths_{measure}_funnel", build, title)]


def _overdispersion_lines(pts: pd.DataFrame, lim: pd.DataFrame) -> list[str]:
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
