"""Disclosure decisions for the figures of a partnership's returns: always suppressed when small.

A partnership's returns (treatment numbers, local surveillance deaths, police management
information) are local figures that nobody publishes: a count from 1 to ``threshold - 1``
is hidden as ``[c]`` whatever the published-counts policy
(:class:`cdp_analysis.indicators.disclosure.DisclosurePolicy`), and so is every figure the
progress report derives from it: its year-end projection (the count divided by the
fraction of the year: 3 in a quarter projects to 12), the projection's interval, the
change on last year, a target's "change needed" (target minus the count) and trajectory,
an audit message quoting it, and a comparison of two years of deaths.

The decision is made here, once per figure, from the returns themselves; the progress
report's writers show ``[c]`` wherever a ``status`` column holds ``c``.

Examples
--------
>>> returns = pd.DataFrame({"metric_id": ["adults_in_treatment", "adults_in_treatment"],
...                         "area_code": "E06000017", "period": ["2022/23", "2023/24 Q1"], "value": [3.0, 40.0]})
>>> small = small_figures(returns)
>>> sorted(small)
[('adults_in_treatment', 'E06000017', '2022/23')]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdp_analysis.indicators.disclosure import DisclosurePolicy

__all__ = ["small_figures", "protect_outcomes", "protect_targets", "protect_other", "protect_findings",
           "deaths_hidden", "HIDDEN_SENTENCE"]

HIDDEN_SENTENCE = "Not shown: a count below {threshold} is suppressed [c], and this figure would reveal it"

Key = tuple[str, str, str]


def _threshold(policy: DisclosurePolicy | None) -> int:
    return (policy or DisclosurePolicy.from_env()).threshold_for("local")


def small_figures(returns: pd.DataFrame | None, metrics: pd.DataFrame | None = None,
                  policy: DisclosurePolicy | None = None) -> set[Key]:
    """``(metric_id, area_code, period)`` of every count in the returns from 1 to ``threshold - 1``.

    Counts are the metrics whose unit is ``count`` in ``metrics`` (all figures when
    ``metrics`` is None); percentages and money are not counts of people.
    """
    if returns is None or returns.empty:
        return set()
    thr = _threshold(policy)
    counts = None
    if metrics is not None and "unit" in metrics:
        counts = set(metrics.loc[metrics["unit"] == "count", "metric_id"])
    out: set[Key] = set()
    for r in returns.itertuples(index=False):
        v = pd.to_numeric(pd.Series([r.value]), errors="coerce").iloc[0]
        if pd.isna(v) or (counts is not None and r.metric_id not in counts):
            continue
        if 0 < float(v) < thr:
            out.add((str(r.metric_id), str(r.area_code), str(r.period)))
    return out


def _status(hidden: np.ndarray) -> list[str]:
    return ["c" if h else "" for h in hidden]


def protect_outcomes(outcomes: pd.DataFrame, small: set[Key], policy: DisclosurePolicy | None = None) -> pd.DataFrame:
    """Hide a part-year figure that is small with everything derived from it, and a small last year
    with the change.

    Adds ``status`` (``c`` when the figure to date is hidden), ``last_year_status`` and
    ``printed_status`` (``c`` when the printed report's projection or change is hidden).
    """
    from cdp_analysis.periods import Period

    out = outcomes.copy()
    thr = _threshold(policy)
    sentence = HIDDEN_SENTENCE.format(threshold=thr)
    now = np.array([(str(r.metric_id), str(r.area_code), str(r.period)) in small for r in out.itertuples()], bool)
    last = np.array([(str(r.metric_id), str(r.area_code), str(r.last_year_period)) in small
                     for r in out.itertuples()], bool)
    same = np.zeros(len(out), dtype=bool)
    for i, r in enumerate(out.itertuples()):
        try:
            same[i] = (str(r.metric_id), str(r.area_code), Period.parse(str(r.period)).shift(-1).label) in small
        except Exception:
            same[i] = False
    printed = np.zeros(len(out), dtype=bool)
    for c in ("published_projection", "published_change_pct"):
        if c in out:
            printed |= pd.to_numeric(out[c], errors="coerce").notna().to_numpy()
    for c in ("value", "projection", "lower", "upper", "published_projection", "fraction_elapsed"):
        if c in out:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype(float).where(~now)
    either = now | last
    for c in ("change_pct", "published_change_pct"):
        if c in out:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype(float).where(~either)
    if "last_year" in out:
        out["last_year"] = pd.to_numeric(out["last_year"], errors="coerce").astype(float).where(~last)
    tested = either | same
    if "significance" in out:
        out["significance"] = [sentence + "." if t else s for s, t in zip(out["significance"], tested, strict=True)]
    if "significant" in out:
        out["significant"] = [None if t else s for s, t in zip(out["significant"], tested, strict=True)]
    if "change_method" in out:
        out["change_method"] = ["suppressed" if t else s for s, t in zip(out["change_method"], tested, strict=True)]
    for c in ("projection_agrees", "change_agrees"):
        if c in out:
            out[c] = [None if t else s for s, t in zip(out[c], either, strict=True)]
    out["status"] = _status(now)
    out["last_year_status"] = _status(last)
    out["printed_status"] = _status(printed & either)  # the printed report gave figures, hidden here
    return out


def protect_targets(targets: pd.DataFrame, small: set[Key], policy: DisclosurePolicy | None = None) -> pd.DataFrame:
    """Hide a small latest figure with the change needed and the trajectory (the target minus it),
    and a status that quotes a small in-year figure."""
    out = targets.copy()
    thr = _threshold(policy)
    now = np.array([(str(r.metric_id), str(r.area_code), str(r.period)) in small for r in out.itertuples()], bool)
    year = np.array([(str(r.metric_id), str(r.area_code), str(r.target_period)) in small
                     for r in out.itertuples()], bool)
    for c in ("value", "change_needed", "change_needed_pct", "trajectory_value"):
        if c in out:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype(float).where(~now)
    if "status" in out:
        out["status"] = [f"[c] (a count below {thr} is suppressed)" if (y or (n and "already" in str(s))) else s
                         for s, n, y in zip(out["status"], now, year, strict=True)]
    out["value_status"] = _status(now)
    return out


def protect_other(other: pd.DataFrame, small: set[Key]) -> pd.DataFrame:
    """Hide a small figure among the returns' other figures."""
    out = other.copy()
    hidden = np.array([(str(r.metric_id), str(r.area_code), str(r.period)) in small for r in out.itertuples()], bool)
    if "value" in out:
        out["value"] = pd.to_numeric(out["value"], errors="coerce").astype(float).where(~hidden)
    out["status"] = _status(hidden)
    return out


def protect_findings(findings: pd.DataFrame, small: set[Key], policy: DisclosurePolicy | None = None) -> pd.DataFrame:
    """An audit finding about a small figure quotes it: the message is withheld."""
    out = findings.copy()
    thr = _threshold(policy)
    hidden = np.array([(str(r.metric_id), str(r.area_code), str(r.period)) in small for r in out.itertuples()], bool)
    if "message" in out:
        out["message"] = [f"[c]: the figures are not shown (a count below {thr} is suppressed)" if h else m
                          for m, h in zip(out["message"], hidden, strict=True)]
    return out


def deaths_hidden(returns: pd.DataFrame | None, small: set[Key], metric_id: str = "drug_related_deaths_local") -> bool:
    """Whether either of the latest two yearly local deaths figures is suppressed (their comparison
    would reveal it)."""
    from cdp_analysis.periods import Period

    if returns is None or returns.empty:
        return False
    d = returns[returns["metric_id"] == metric_id].dropna(subset=["value"])
    d = d[[Period.parse(str(p)).is_year for p in d["period"]]]
    d = d.assign(_end=[Period.parse(str(p)).last for p in d["period"]]).sort_values("_end").tail(2)
    return any((str(r.metric_id), str(r.area_code), str(r.period)) in small for r in d.itertuples())
