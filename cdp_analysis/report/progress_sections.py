"""The sections of the progress report, from :mod:`cdp_analysis.progress`.

Every number here is computed by the library; this module only words and formats it. Each
section takes the :class:`~cdp_analysis.progress.ProgressContext` and returns a list of
items (:mod:`cdp_analysis.report.items`), like the appendix's sections, and
:func:`~cdp_analysis.report.items.show` displays them; the chart is a
:class:`~cdp_analysis.report.items.Figure` item, drawn only when shown.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from cdp_analysis.formatting import fmt
from cdp_analysis.indicators.targets import PROBABILITY_RULE
from cdp_analysis.progress import (
    TARGET_RULE,
    ProgressContext,
    deaths_statement,
    other_figures,
    outcomes_table,
    printed_checks,
    returns_sources,
    targets_table,
)
from cdp_analysis.report.items import Figure, Item, Md, show
from cdp_analysis.report.outputs import METHODS_NOTE
from cdp_analysis.report.tables import escape_md, markdown_table
from cdp_analysis.report.wording import comparison_phrase
from cdp_analysis.returns_disclosure import (
    HIDDEN_SENTENCE,
    deaths_hidden,
    protect_findings,
    protect_other,
    protect_outcomes,
    protect_targets,
    small_figures,
)

__all__ = ["show", "header", "outcomes_section", "outcomes_chart", "treatment_section", "deaths_section", "checks_section", "summary_section",
           "prevention_section", "other_figures_section", "notes_section", "reoffending_section"]


def _small(ctx: ProgressContext) -> set[tuple[str, str, str]]:
    """The returns' figures hidden as [c] (local returns are always suppressed when small)."""
    return small_figures(ctx.returns, ctx.metrics)


def _f(value: object, unit: str = "count", decimals: int | None = None, hidden: bool = False) -> str:
    """A figure as a reader sees it: ``[c]`` when suppressed."""
    return "[c]" if hidden else fmt(value, unit, decimals)


def _threshold() -> int:
    from cdp_analysis.indicators.disclosure import DisclosurePolicy

    return DisclosurePolicy.from_env().threshold_for("local")


def _hidden_sentence() -> str:
    return HIDDEN_SENTENCE.format(threshold=_threshold())


def _area_label(ctx: ProgressContext, code: str) -> str:
    from cdp_analysis import areas

    if areas.is_area(code):
        area = areas.get_area(code)
        return f"{area.name} police force area" if area.type == "police_force" else area.name
    return areas.name_or_code(code)


def _section(words: Callable[..., str]) -> Callable[..., list[Item]]:
    """Make a function that writes a section's Markdown into a section: its text as one item (none if empty)."""

    @functools.wraps(words)
    def section(*args: Any, **kwargs: Any) -> list[Item]:
        text = words(*args, **kwargs)
        return [Md(text)] if text else []

    section.__annotations__ = {**section.__annotations__, "return": "list[Item]"}
    section.words = words  # the Markdown alone
    return section


@_section
def header(ctx: ProgressContext) -> str:
    """The title block: area, period, and what the report is built from."""
    text = (f"## {escape_md(ctx.area_name)}, {ctx.period}\n\n"
            f"Reporting period **{ctx.period}** ({ctx.period.start:%d %B %Y} to {ctx.period.end:%d %B %Y}). "
            "Every figure below is computed from the partnership's returns by the cdp-analysis library; "
            "where the printed report gave a different figure, the table says so beside it.")
    if ctx.returns is None or ctx.returns.dropna(subset=["value"]).empty:
        text += (f"\n\n**No returns for {escape_md(ctx.area_name)} are in the store.** This report is built from a "
                 "partnership's own figures (police management information, local treatment counts, targets and "
                 "what its printed report said), kept in `data/returns/<partnership>.csv` and loaded by "
                 "`cdp ingest`; the sections below stay empty until there is one. The needs-assessment appendix "
                 "works from published data and covers this area now.")
    return text


def _other_table(df: pd.DataFrame, ctx: ProgressContext) -> str:
    table = pd.DataFrame({
        "Measure": df["name"].to_numpy(),
        "Area": [_area_label(ctx, a) for a in df["area_code"]],
        "Period": df["period"].to_numpy(),
        "Figure": [_f(v, u, hidden=st == "c") for v, u, st in zip(df["value"], df["unit"],
                                                                   df.get("status", pd.Series("", index=df.index)),
                                                                   strict=True)],
        "Source": df["source"].to_numpy(),
    })
    return markdown_table(table, align={"Figure": "right"})


@_section
def other_figures_section(ctx: ProgressContext, section: str) -> str:
    """The returns' other figures of one section (``metrics.csv``), shown as they stand.

    Empty text when there are none, so the notebook shows nothing.
    """
    df = protect_other(other_figures(ctx.returns, ctx.period, ctx.metrics, section=section), _small(ctx))
    if df.empty:
        return ""
    return "\n".join([f"**Other {escape_md(section)} figures in the returns.** Single figures, or figures for "
                      "other areas and years than those above: shown as they stand, with no projection or test.",
                      "", _other_table(df, ctx)])


@_section
def reoffending_section(ctx: ProgressContext) -> str:
    """The partnership's own reoffending cohorts: a forecast [f] for each area with 10 or more, then the figures.

    Each area whose returns hold ``reoffending_cohort`` and ``reoffenders`` rows is forecast with
    :func:`cdp_analysis.models.reoffending.forecast_reoffending` (the binomial trend model of the
    appendix, on the same footing); empty text when the returns hold no reoffending figures.
    """
    from cdp_analysis.errors import CdpInputError
    from cdp_analysis.models.reoffending import forecast_reoffending

    ids = {"reoffending_cohort", "reoffenders", "reoffences", "proven_reoffending_rate"}
    r = ctx.returns[ctx.returns["metric_id"].isin(ids)] if len(ctx.returns) else ctx.returns
    lines = []
    for code, rows in (r.groupby("area_code", sort=True) if len(r) else []):
        if not {"reoffending_cohort", "reoffenders"} <= set(rows["metric_id"]):
            continue
        try:
            fc = forecast_reoffending(rows, 4, as_of=ctx.period)
        except CdpInputError as exc:
            lines.append(f"- {escape_md(_area_label(ctx, code))}: no forecast ({escape_md(exc.message)}).")
            continue
        lines.append(f"- {escape_md(_area_label(ctx, code))}: {escape_md(fc.summary())}")
    other = other_figures_section.words(ctx, "reoffending")
    if not lines:
        return other
    head = ("**Local proven reoffending, forecast [f].** The returns hold the partnership's own cohorts; each is "
            "forecast with the binomial trend model the appendix uses for the national series.")
    return "\n".join([head, "", *lines] + (["", other] if other else []))


def _school_exclusions(ctx: ProgressContext) -> str:
    """Published school suspensions and permanent exclusions for drug and alcohol (DfE), tested."""
    from cdp_analysis import areas
    from cdp_analysis.data.store import Store
    from cdp_analysis.indicators.disclosure import count_text
    from cdp_analysis.needs import exclusions as ex

    codes = areas.members(ctx.area) or [ctx.area]
    with Store(ctx.db or None, read_only=True) as store:
        obs = store.observations(metric=[*ex.EXCLUSION_METRICS, ex.PUPILS], sex=None)
    lines = []
    for metric, noun in ex.EXCLUSION_METRICS.items():
        s = ex.exclusions_series(obs, codes, metric)
        if s.empty:
            continue
        last = s.iloc[-1]
        rate = (("[c]" if "c" in str(last["status"]).split() else "[x]") if pd.isna(last["value"])
                else f"{last['value']:.1f} per 10,000 pupils")
        cmp = comparison_phrase(last["comparison"], "England") if last["comparison"] else "not compared with England"
        ch = ex.exclusions_change(s, noun)
        lines.append(f"- {noun.capitalize()} for drug and alcohol, {last['period']}: "
                     f"{count_text(last['count'], last['status'])} ({rate}; England {last['england']:.1f}): {cmp}."
                     + (f" {ch.sentence}." if ch is not None else ""))
    if not lines:
        if obs.empty:
            return ""
        return ("DfE's school exclusions by reason (published to 2016/17, on the local authorities of the time) do "
                f"not cover exactly {escape_md(ctx.area_name)}, so no school figure is shown.")
    return "\n".join(["**School exclusions for drug and alcohol (DfE, published).** Exclusions whose main reason was "
                      "drug and alcohol related, per 10,000 pupils, against England; the change is the latest "
                      "year against the one before (exact rate-ratio test on the pupil headcounts). DfE's figures "
                      "by reason end in 2016/17, long before this period: they describe the need the prevention "
                      "work starts from, not its effect. The needs-assessment appendix has the whole series.",
                      "", *lines])


@_section
def prevention_section(ctx: ProgressContext) -> str:
    """Prevention figures in the returns, or what the returns do not hold, and the published school exclusions."""
    text = other_figures_section.words(ctx, "prevention")
    school = _school_exclusions(ctx)
    if not text:
        text = ("The returns hold no prevention figures for this period. The prevention sub-group's work "
                "(school-based prevention, suspensions, campaigns, whole-family support) is reported in words.")
    return text + ("\n\n" + school if school else "")


@_section
def notes_section(ctx: ProgressContext) -> str:
    """Where the figures come from (the sources in ``metrics.csv`` of the figures shown) and how to read them."""
    words = {"enforcement": "Enforcement figures", "treatment": "Treatment figures", "deaths": "Drug-related deaths",
             "prevention": "Prevention figures", "reoffending": "Reoffending figures"}
    lines = []
    for section, sources in returns_sources(ctx.returns, ctx.metrics).items():
        lines.append(f"- {words.get(section, section.capitalize() + ' figures')}: {escape_md('; '.join(sources))}.")
    if any("NDTMS" in s for s in returns_sources(ctx.returns, ctx.metrics).get("treatment", [])):
        lines.append("- NDTMS numbers in treatment exclude clients who do not consent to share their data.")
    if "deaths" in returns_sources(ctx.returns, ctx.metrics):
        lines.append("- Local drug-related deaths are surveillance figures, not ONS registrations.")
    lines += ["- Confidence and predictive intervals are 95%. \"Not a statistically significant change\" means the "
              "difference is within what chance alone would often produce.",
              METHODS_NOTE]
    return "\n".join(lines)


def _printed(pub: float, agrees: bool | None, unit: str, decimals: int | None = None) -> str:
    if pub is None or pd.isna(pub):
        return "not printed"
    text = fmt(pub, unit, decimals)
    return f"{text} (agrees)" if agrees else f"{text} (**differs**)"


@_section
def outcomes_section(ctx: ProgressContext) -> str:
    """The national outcomes: figures to date, projections with intervals, changes tested, and the printed figures checked."""
    df = protect_outcomes(outcomes_table(ctx.returns, ctx.period, ctx.metrics), _small(ctx))
    if df.empty:
        return f"No part-year figures ending in {ctx.period} are in the returns."
    rows = []
    for r in df.itertuples(index=False):
        now, last = r.status == "c", r.last_year_status == "c"
        interval = ("[c]" if now else f"{fmt(r.lower, r.unit, 0)} to {fmt(r.upper, r.unit, 0)}"
                    if not (np.isnan(r.lower) or np.isnan(r.upper)) else "no interval (not a count)")
        rows.append({
            "Measure": r.name,
            "Area": _area_label(ctx, r.area_code),
            "To date": f"{_f(r.value, r.unit, hidden=now)} ({r.period})",
            "Projected year end": f"{_f(r.projection, r.unit, 0, hidden=now)} ({r.year})",
            "95% interval": interval,
            "Last year": f"{_f(r.last_year, r.unit, hidden=last)} ({r.last_year_period})",
            "Change": "[c]" if now or last else "[x]" if np.isnan(r.change_pct) else f"{r.change_pct:+.1f}%",
        })
    table = pd.DataFrame(rows)
    right = {c: "right" for c in table.columns if c not in ("Measure", "Area", "95% interval")}
    notes = [f"- **{escape_md(r.name)}**: {escape_md(r.significance)}" for r in df.itertuples(index=False)]
    differs = df[(df["projection_agrees"] == False) | (df["change_agrees"] == False)]  # noqa: E712
    lines = [markdown_table(table, align=right), "",
             "Projections are the run rate: the figure to date divided by the fraction of the year elapsed. "
             "For counts the 95% interval is a Poisson predictive interval for the full year; money has no "
             "interval without monthly history.", "",
             "*How changes are judged:* a count to date is tested against the same months of last year when the "
             "returns hold them (exact rate-ratio test). Where they do not, the projection's 95% range is set "
             "against last year's figure instead; that comparison assumes every month is average (no "
             "seasonality) and that counts vary only by chance (no extra-Poisson variation), so it is not "
             "called a statistically significant change.", "", *notes]
    printed = df[df["published_projection"].notna() | df["published_change_pct"].notna()
                 | (df["printed_status"] == "c")]
    if len(printed):
        check = pd.DataFrame({
            "Measure": printed["name"].to_numpy(),
            "Area": [_area_label(ctx, a) for a in printed["area_code"]],
            "Printed projection": ["[c]" if r.status == "c" else _printed(r.published_projection, r.projection_agrees,
                                                                          r.unit, 0)
                                   for r in printed.itertuples(index=False)],
            "Printed change": ["[c]" if "c" in (r.status, r.last_year_status) else
                               _printed(r.published_change_pct, r.change_agrees, "percent")
                               for r in printed.itertuples(index=False)],
        })
        lines += ["", "**The printed report's projections and changes, checked** (a printed change is judged "
                      "against the printed projection it was made from):", "",
                  markdown_table(check, align={"Printed projection": "right", "Printed change": "right"})]
    if len(differs):
        lines += ["", "**Printed figures that do not match their own inputs:**", ""]
        for r in differs.itertuples(index=False):
            if r.projection_agrees is False:
                lines.append(f"- {escape_md(r.name)}: printed projection {fmt(r.published_projection, r.unit, 0)}, "
                             f"but {fmt(r.value, r.unit)} to date gives {fmt(r.projection, r.unit, 0)}.")
            if r.change_agrees is False:
                lines.append(f"- {escape_md(r.name)}: printed change {r.published_change_pct:g}%, but the projection "
                             f"against last year's {fmt(r.last_year, r.unit)} is {r.change_pct:+.2f}%.")
    return "\n".join(lines)


def outcomes_chart(ctx: ProgressContext) -> list[Item]:
    """The projected changes on last year with their 95% ranges, as a figure item (drawn when shown)."""
    from cdp_analysis.progress import change_chart_data, change_headline

    out = protect_outcomes(outcomes_table(ctx.returns, ctx.period, ctx.metrics), _small(ctx))
    data = change_chart_data(out[(out["status"] != "c") & (out["last_year_status"] != "c")])
    if data.empty:
        return []
    title = change_headline(data)

    def build() -> tuple[Any, str]:
        from cdp_analysis.report import charts

        return charts.comparison_bars(
            data, label="name", value="change", lower="change_lower", upper="change_upper", title=title,
            subtitle=f"Projected change on last year (%), {ctx.area_name}, {ctx.period}",
            source="Source: partnership returns (police management information); cdp-analysis projections",
            x_label="Projected change on last year (%)", benchmark=("No change", 0.0),
            interval_label="95% predictive range",
        )

    return [Figure("outcomes_change", build, title)]


@_section
def treatment_section(ctx: ProgressContext) -> str:
    """Treatment figures against their targets, with the straight-line trajectory and the rule."""
    df = protect_targets(targets_table(ctx.returns, ctx.metrics), _small(ctx))
    if df.empty:
        return "No targets are in the returns."
    rows = []
    for r in df.itertuples(index=False):
        hid = r.value_status == "c"
        rows.append({
            "Measure": r.name,
            "Area": _area_label(ctx, r.area_code),
            "Latest": f"{_f(r.value, r.unit, hidden=hid)} ({r.period})",
            "Target": f"{fmt(r.target, r.unit)} ({r.target_period})",
            "Change needed": ("[c]" if hid else f"{r.change_needed:+,.1f} points" if r.unit == "percent"
                              else f"{r.change_needed:+,.0f} ({r.change_needed_pct:+.1f}%)"),
            "On the trajectory": (f"{_f(r.trajectory_value, r.unit, hidden=hid)} by {r.trajectory_period}"
                                  if r.trajectory_period != r.target_period else "the target itself"),
            "Status": r.status,
            "Chance of meeting": r.chance,
            "Printed status": r.published_status if isinstance(r.published_status, str) and r.published_status
            else "none printed",
        })
    table = pd.DataFrame(rows)
    return "\n".join([markdown_table(table, align={"Latest": "right", "Target": "right", "Change needed": "right"}),
                      "", f"*Rule:* {TARGET_RULE} {PROBABILITY_RULE} It is shown once a figure for the "
                      "target's own year is in the returns."])


def _deaths_text(ctx: ProgressContext) -> str | None:
    text = deaths_statement(ctx.returns)
    if text is not None and deaths_hidden(ctx.returns, _small(ctx)):
        return "The change in local drug-related deaths between the latest two years. " + _hidden_sentence() + "."
    return text


@_section
def deaths_section(ctx: ProgressContext) -> str:
    """Local drug-related deaths: the latest two years compared with an exact test."""
    text = _deaths_text(ctx)
    if text is None:
        return "No drug-related deaths figures for two years are in the returns."
    return (text + " These are local suspected drug-related deaths (surveillance), not ONS registrations, "
            "and must not be mixed with ONS figures.")


@_section
def checks_section(ctx: ProgressContext) -> str:
    """The audit's findings on the returns (the same table ``cdp audit`` prints)."""
    printed = [c for c in ("published_projection", "published_change_pct", "published_status")
               if c in ctx.returns.columns]
    if not printed or ctx.returns[printed].replace("", np.nan).isna().all().all():
        return "The returns hold no printed figures to check."
    findings = protect_findings(printed_checks(ctx.returns, ctx.metrics), _small(ctx))
    if findings.empty:
        return "The audit found nothing to flag in the printed figures."
    names = dict(zip(ctx.metrics["metric_id"], ctx.metrics["name"], strict=False))
    show = findings[["metric_id", "area_code", "period", "check", "severity", "message"]].copy()
    show["metric_id"] = [names.get(m, m) for m in show["metric_id"]]
    show["area_code"] = [_area_label(ctx, a) for a in show["area_code"]]
    show["check"] = show["check"].str.replace("_", " ", regex=False)
    show = show.rename(columns={"metric_id": "Measure", "area_code": "Area", "period": "Period", "check": "Check",
                                "severity": "Severity", "message": "Finding"})
    return markdown_table(show)


@_section
def summary_section(ctx: ProgressContext) -> str:
    """The summary: each outcome's projection and its tested change, and the deaths statement."""
    out = protect_outcomes(outcomes_table(ctx.returns, ctx.period, ctx.metrics), _small(ctx))
    bullets = []
    for r in out.itertuples(index=False):
        if r.status == "c" or r.last_year_status == "c":
            bullets.append(f"- {escape_md(r.name)}: [c] (a count below {_threshold()} is suppressed, with the "
                           "projection and change that would reveal it).")
            continue
        sig = r.significant is True and r.change_method == "same months"
        word = ("a statistically significant " + ("rise" if r.change_pct > 0 else "fall")
                + " on the same months of last year") if sig else {
            "same months": "not a statistically significant change on the same months of last year",
            "projection range": "not tested: no figure for the same months of last year",
            "cannot be calculated": "too few to test"}.get(r.change_method, "untested")
        if np.isnan(r.change_pct):
            continue
        bullets.append(f"- {escape_md(r.name)}: on course for {fmt(r.projection, r.unit, 0)} in {r.year} against "
                       f"{fmt(r.last_year, r.unit)} last year ({r.change_pct:+.1f}%; {word}).")
    deaths = _deaths_text(ctx)
    if deaths:
        bullets.append(f"- Drug-related deaths (local surveillance): {escape_md(deaths)}")
    return "\n".join(bullets) if bullets else "No figures to summarise."
