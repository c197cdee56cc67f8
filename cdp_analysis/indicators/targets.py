"""Targets: the trajectory towards a target, whether a projection is on track, and the chance of
meeting it.

The July 2023 pan-Dorset report called targets "on track" by eye. Here the call follows a
written rule on the projection's predictive range (:func:`target_status`), and
:func:`probability_of_meeting_target` states the chance in numbers, from the same predictive
distribution :func:`~cdp_analysis.indicators.project_year_end` uses.

Polarity is ``higher_is_better`` (arrests, numbers in treatment, continuity of care) or
``lower_is_better`` (deaths, reoffending). "Meeting" a target means reaching at least the
target for the first and at most the target for the second.

References
----------
Home Office. Drugs strategy guidance for local delivery partners, Appendix 2 (2022, updated
2024): national ambitions with baselines and target years.
``docs/references/forecasting.md`` §3.3 (project note): report the probability of reaching a target
rather than a yes/no from a point forecast.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from cdp_analysis.errors import CdpInputError, CdpParameterError
from cdp_analysis.periods import Period, YearBasis

__all__ = ["target_trajectory", "target_status", "probability_of_meeting_target", "target_assessment", "PROBABILITY_RULE"]

Polarity = Literal["higher_is_better", "lower_is_better"]


def _polarity(polarity: str) -> str:
    if polarity not in ("higher_is_better", "lower_is_better"):
        raise CdpParameterError(
            f"polarity must be 'higher_is_better' or 'lower_is_better', not {polarity!r} "
            "(a neutral metric has no target direction)"
        )
    return polarity


def _finite(name: str, values: Any) -> np.ndarray:
    try:
        arr = np.atleast_1d(np.asarray(values, dtype=float)).ravel()
    except (TypeError, ValueError):
        raise CdpInputError(f"{name} must be numeric", column=name, value=values) from None
    bad = ~np.isfinite(arr)
    if np.any(bad):
        labels = list(values.index) if isinstance(values, pd.Series) else list(range(len(arr)))
        raise CdpInputError(
            f"missing or infinite {name}",
            row=[labels[i] for i in np.flatnonzero(bad)],
            column=name,
            expected="a number",
        )
    return arr


# ---------------------------------------------------------------------------- trajectory
def target_trajectory(
    baseline: float,
    target: float,
    baseline_period: str | Period,
    target_period: str | Period,
    at: str | Period | list[str | Period] | None = None,
) -> pd.DataFrame:
    r"""The straight-line trajectory from a baseline to a target, and the value expected on it.

    The baseline is the value at the end of ``baseline_period`` and the target the value due by
    the end of ``target_period``. At the end of a period ``p`` between them

    .. math:: \text{expected} = \text{baseline} + w\,(\text{target} - \text{baseline}),\qquad
              w = \frac{\text{months from the end of the baseline period to the end of } p}
                       {\text{months from the end of the baseline period to the end of the target period}}.

    Parameters
    ----------
    baseline, target
        Values in the metric's own unit (a count, a percentage, ...).
    baseline_period, target_period
        Period labels (``"2022/23"``, ``"2024/25"``); the target period must end later.
    at
        Period label(s) at which to read the trajectory (each must end between the two
        periods' ends). Default: the baseline period and each year after it up to the target
        period (or just the two ends when they are not whole years apart).

    Returns
    -------
    pandas.DataFrame
        ``period, fraction_of_way, expected, baseline, target`` (``fraction_of_way`` is
        :math:`w`).

    Raises
    ------
    CdpParameterError
        Bad period labels, a target period that does not end after the baseline, or an ``at``
        period outside the two.
    CdpInputError
        A missing or non-numeric baseline or target.

    Examples
    --------
    Continuity of care, BCP: 45.2% in 2022/23, ambition 75% by 2024/25.

    >>> target_trajectory(45.2, 75, "2022/23", "2024/25")
        period  fraction_of_way  expected  baseline  target
    0  2022/23              0.0      45.2      45.2    75.0
    1  2023/24              0.5      60.1      45.2    75.0
    2  2024/25              1.0      75.0      45.2    75.0
    >>> float(target_trajectory(45.2, 75, "2022/23", "2024/25", at="2023/24 Q2").expected.iloc[0])
    52.65
    """
    base_v = float(_finite("baseline", baseline)[0])
    targ_v = float(_finite("target", target)[0])
    b = Period.parse(baseline_period)
    t = Period.parse(target_period)
    span = t.last - b.last
    if span <= 0:
        raise CdpParameterError(f"the target period {t} must end after the baseline period {b}")
    if at is None:
        if span % 12 == 0:
            points = [b.shift(k) for k in range(span // 12 + 1)]
        else:
            points = [b, t]
    else:
        labels = [at] if isinstance(at, (str, Period)) else list(at)
        points = [Period.parse(p) for p in labels]
    offsets = np.array([p.last - b.last for p in points], dtype=float)
    outside = (offsets < 0) | (offsets > span)
    if np.any(outside):
        bad = [str(p) for p, o in zip(points, outside, strict=True) if o]
        raise CdpParameterError(f"periods {bad} do not end between {b} and {t}")
    w = offsets / span
    return pd.DataFrame(
        {
            "period": [str(p) for p in points],
            "fraction_of_way": w,
            "expected": base_v + w * (targ_v - base_v),
            "baseline": base_v,
            "target": targ_v,
        }
    )


# -------------------------------------------------------------------------------- status
_RULES = {
    "higher_is_better": (
        "higher is better: on track if the lower limit of the projection's range is at or above the "
        "target; off track if the upper limit is below it; at risk otherwise"
    ),
    "lower_is_better": (
        "lower is better: on track if the upper limit of the projection's range is at or below the "
        "target; off track if the lower limit is above it; at risk otherwise"
    ),
}
_POINT_RULE = " (no range available: judged on the projection alone, so never 'at risk')"


def target_status(
    projection: pd.DataFrame | ArrayLike,
    target: ArrayLike,
    polarity: Polarity = "higher_is_better",
    lower: ArrayLike | None = None,
    upper: ArrayLike | None = None,
) -> pd.DataFrame:
    """On track, at risk or off track: a projection's range against a target or trajectory.

    **The rule.** With the projection's predictive range ``[lower, upper]`` (e.g. 95%, from
    :func:`~cdp_analysis.indicators.project_year_end`):

    * ``higher_is_better``: **on track** when ``lower >= target`` (the whole range meets the
      target); **off track** when ``upper < target`` (the whole range falls short); **at
      risk** otherwise (the range straddles the target: it may or may not be met).
    * ``lower_is_better``: **on track** when ``upper <= target``; **off track** when
      ``lower > target``; **at risk** otherwise.
    * Without a range (NaN limits, e.g. money with no history): on track when the projection
      itself meets the target, off track otherwise; the ``rule`` column says so.

    So "on track" claims only what the data support: even the low end of the expected range
    reaches the target. Compare with the final target for a year-end projection of the target
    year, or with :func:`target_trajectory`'s expected value for an intermediate year.

    Parameters
    ----------
    projection
        A frame with ``projection``, ``lower`` and ``upper`` columns (the output of
        ``project_year_end``), or the projected values (then give ``lower`` and ``upper``).
    target
        Target (or trajectory) value(s), scalar or one per row.
    polarity
        ``"higher_is_better"`` (default) or ``"lower_is_better"``.
    lower, upper
        The range's limits when ``projection`` is not a frame (default: no range).

    Returns
    -------
    pandas.DataFrame
        ``projection, lower, upper, target, polarity, status, rule, reason`` (``status`` one
        of ``on track``, ``at risk``, ``off track``; ``rule`` the rule applied; ``reason`` the
        comparison in words). Keeps the frame's index.

    Raises
    ------
    CdpParameterError
        An unknown polarity (``neutral`` metrics have no target direction).
    CdpInputError
        Missing projections or targets; a lower limit above the upper.

    Examples
    --------
    >>> from cdp_analysis.indicators import project_year_end
    >>> proj = project_year_end([38, 259, 20], "2023/24 Q1")
    >>> target_status(proj, target=[100, 1036, 120])[["projection", "lower", "upper", "target", "status"]]
       projection  lower   upper  target     status
    0       152.0  115.0   199.0   100.0   on track
    1      1036.0  931.0  1150.0  1036.0    at risk
    2        80.0   54.0   115.0   120.0  off track
    >>> target_status(55, 60, "lower_is_better", lower=41, upper=72).status.iloc[0]
    'at risk'
    """
    pol = _polarity(polarity)
    if isinstance(projection, pd.DataFrame):
        missing = [c for c in ("projection", "lower", "upper") if c not in projection.columns]
        if missing:
            raise CdpInputError("projection frame lacks columns", column=", ".join(missing))
        index = projection.index
        proj = _finite("projection", projection["projection"])
        lo = np.asarray(projection["lower"], dtype=float)
        hi = np.asarray(projection["upper"], dtype=float)
    else:
        index = projection.index if isinstance(projection, pd.Series) else None
        proj = _finite("projection", projection)
        n = len(proj)
        lo = (
            np.full(n, np.nan) if lower is None else np.broadcast_to(np.asarray(lower, dtype=float), n).copy()
        )
        hi = (
            np.full(n, np.nan) if upper is None else np.broadcast_to(np.asarray(upper, dtype=float), n).copy()
        )
    n = len(proj)
    tgt_in = _finite("target", target)
    if len(tgt_in) not in (1, n):
        raise CdpInputError(f"{len(tgt_in)} targets for {n} projections", column="target")
    tgt = np.broadcast_to(tgt_in, n)
    if np.any(lo > hi):
        raise CdpInputError(
            "lower limit above upper limit", row=list(np.flatnonzero(lo > hi)), column="lower"
        )

    ranged = np.isfinite(lo) & np.isfinite(hi)
    if pol == "higher_is_better":
        on = np.where(ranged, lo >= tgt, proj >= tgt)
        off = np.where(ranged, hi < tgt, proj < tgt)
        side = ("at or above", "below")
    else:
        on = np.where(ranged, hi <= tgt, proj <= tgt)
        off = np.where(ranged, lo > tgt, proj > tgt)
        side = ("at or below", "above")
    status = np.where(on, "on track", np.where(off, "off track", "at risk"))
    rule = np.where(ranged, _RULES[pol], _RULES[pol] + _POINT_RULE)

    def _n(v: float) -> str:
        return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"

    reason = []
    for i in range(n):
        if not ranged[i]:
            where = side[0] if on[i] else side[1]
            reason.append(f"projection {_n(proj[i])} is {where} the target of {_n(tgt[i])}")
        elif status[i] == "on track":
            reason.append(
                f"the whole range {_n(lo[i])} to {_n(hi[i])} is {side[0]} the target of {_n(tgt[i])}"
            )
        elif status[i] == "off track":
            reason.append(
                f"the whole range {_n(lo[i])} to {_n(hi[i])} is {side[1]} the target of {_n(tgt[i])}"
            )
        else:
            reason.append(f"the range {_n(lo[i])} to {_n(hi[i])} includes the target of {_n(tgt[i])}")
    from cdp_analysis.results import TargetStatus

    return TargetStatus.wrap(pd.DataFrame(
        {
            "projection": proj,
            "lower": lo,
            "upper": hi,
            "target": tgt,
            "polarity": pol,
            "status": status,
            "rule": rule,
            "reason": reason,
        },
        index=index,
    ))


# ---------------------------------------------------------------------------- probability
def probability_of_meeting_target(
    value_to_date: ArrayLike,
    target: ArrayLike,
    period: str | Period | ArrayLike,
    polarity: Polarity = "higher_is_better",
    unit: str = "count",
    history: pd.DataFrame | pd.Series | None = None,
    year_basis: YearBasis = "financial",
) -> pd.DataFrame:
    r"""Chance that the year-end value meets a target, from the projection's predictive distribution.

    Uses exactly the distribution behind :func:`~cdp_analysis.indicators.project_year_end`'s
    range (see that module): with :math:`X` to date and the year end :math:`X + R`,

    * counts, run rate: :math:`R \sim \mathrm{NB}(X + \tfrac12, s)`;
    * counts with history: :math:`R` beta-negative-binomial (share uncertain);
    * money and other units with history: year end :math:`= (X/\bar s)\,e^{\sigma T}`,
      :math:`T \sim t_{k-1}`;
    * a whole year: 1 or 0; no predictive distribution (money without history): NaN.

    Meeting means :math:`X + R \ge \text{target}` for ``higher_is_better`` and
    :math:`X + R \le \text{target}` for ``lower_is_better``. Everything is computed
    analytically (no simulation), so the result is exactly reproducible.

    Parameters
    ----------
    value_to_date, period, unit, history, year_basis
        As :func:`~cdp_analysis.indicators.project_year_end`.
    target
        The year-end target (scalar or one per value).
    polarity
        ``"higher_is_better"`` (default) or ``"lower_is_better"``.

    Returns
    -------
    pandas.DataFrame
        ``period, value_to_date, projection, target, polarity, probability, method``.

    Raises
    ------
    CdpParameterError, CdpInputError
        As ``project_year_end``; an unknown polarity; missing targets.

    Examples
    --------
    38 county-lines arrests in Q1 against last year's 80, and a stretch target of 180:

    >>> r = probability_of_meeting_target(38, [80, 152, 180], "2023/24 Q1")
    >>> r[["projection", "target", "probability"]].round(3)
       projection  target  probability
    0       152.0    80.0        1.000
    1       152.0   152.0        0.516
    2       152.0   180.0        0.117
    """
    from scipy import stats

    from cdp_analysis.indicators.projection import _bnb_cdf, _project

    pol = _polarity(polarity)
    tgt_in = _finite("target", target)
    if len(tgt_in) > 1 and np.ndim(value_to_date) == 0:
        value_to_date = np.repeat(float(value_to_date), len(tgt_in))  # type: ignore[arg-type]
    frame, pred = _project(value_to_date, period, unit, history, 0.95, year_basis)
    n = len(frame)
    if len(tgt_in) not in (1, n):
        raise CdpInputError(f"{len(tgt_in)} targets for {n} values", column="target")
    tgt = np.broadcast_to(tgt_in, n).astype(float)
    x = pred.x
    need = tgt - x  # remainder needed (higher) or allowed (lower)
    prob = np.full(n, np.nan)
    higher = pol == "higher_is_better"

    nb = pred.kind == "nb"
    if np.any(nb):
        if higher:
            prob[nb] = stats.nbinom.sf(np.ceil(need[nb]) - 1, pred.r[nb], pred.s[nb])
        else:
            prob[nb] = stats.nbinom.cdf(np.floor(need[nb]), pred.r[nb], pred.s[nb])
    bnb = pred.kind == "bnb"
    if np.any(bnb):
        if higher:
            prob[bnb] = 1 - _bnb_cdf(np.ceil(need[bnb]) - 1, pred.r[bnb], pred.a[bnb], pred.b[bnb])
        else:
            prob[bnb] = _bnb_cdf(np.floor(need[bnb]), pred.r[bnb], pred.a[bnb], pred.b[bnb])
    lt = pred.kind == "logt"
    if np.any(lt):
        centre = pred.projection[lt]
        with np.errstate(divide="ignore"):
            z = (np.log(tgt[lt]) - np.log(centre)) / pred.scale[lt]
        prob[lt] = stats.t.sf(z, pred.df[lt]) if higher else stats.t.cdf(z, pred.df[lt])
    actual = pred.kind == "actual"
    if np.any(actual):
        prob[actual] = np.where(higher, x[actual] >= tgt[actual], x[actual] <= tgt[actual]).astype(float)
    prob = np.clip(prob, 0.0, 1.0)
    return pd.DataFrame(
        {
            "period": frame["period"].to_numpy(),
            "value_to_date": x,
            "projection": pred.projection,
            "target": tgt,
            "polarity": pol,
            "probability": prob,
            "method": frame["method"].to_numpy(),
        },
        index=frame.index,
    )


# ---------------------------------------------------------------------------- assessment
PROBABILITY_RULE = (
    "The chance of meeting the target is the share of the projection's predictive distribution that "
    "meets it (the same distribution as the range), assuming the rest of the year goes the way the "
    "part so far did."
)


def target_assessment(
    value_to_date: ArrayLike,
    target: ArrayLike,
    period: str | Period,
    polarity: Polarity = "higher_is_better",
    unit: str = "count",
    history: pd.DataFrame | pd.Series | None = None,
    year_basis: YearBasis = "financial",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """A target's status beside the probability of meeting it, with the rules in words.

    The status (:func:`target_status`) is a statement about the whole predictive range, so
    "at risk" covers anything from a near-certain miss to a near-certain hit; the
    probability (:func:`probability_of_meeting_target`, from the same predictive
    distribution) says which. Both are shown together: ``label`` reads "at risk: 95% chance
    of meeting the target".

    Parameters
    ----------
    value_to_date, target, period, polarity, unit, history, year_basis
        As :func:`probability_of_meeting_target`.
    confidence
        Level of the projection's range behind the status (default 0.95).

    Returns
    -------
    pandas.DataFrame
        ``period, value_to_date, projection, lower, upper, target, polarity, status,
        probability, label, rule, reason``; ``rule`` is the status rule followed by
        :data:`PROBABILITY_RULE`.

    Examples
    --------
    259 disruptions in Q1 (projected 1,036, range 931 to 1,150) against a target of 950:

    >>> a = target_assessment(259, 950, "2023/24 Q1")
    >>> r = a.iloc[0]
    >>> r["status"], round(float(r["probability"]), 3), r["label"]
    ('at risk', 0.946, 'at risk: 95% chance of meeting the target')
    >>> print(a.explain().sentences[0])
    Projection 1,036 against a target of 950: at risk (the range 931 to 1,150 includes the target of 950); 95% chance of meeting it.
    """
    from cdp_analysis.indicators.projection import project_year_end

    pol = _polarity(polarity)
    proj = project_year_end(value_to_date, period=period, unit=unit, history=history, year_basis=year_basis,
                            confidence=confidence)
    tgt = _finite("target", target)
    if len(tgt) > 1 and len(proj) == 1:
        proj = proj.loc[proj.index.repeat(len(tgt))].reset_index(drop=True)
    status = target_status(proj, tgt, pol)
    prob = probability_of_meeting_target(proj["value_to_date"].to_numpy() if "value_to_date" in proj
                                         else value_to_date, tgt, period, pol, unit, history, year_basis)
    p = prob["probability"].to_numpy(dtype=float)
    from cdp_analysis.results import TargetStatus, chance_words

    label = [f"{s}: {chance_words(v)} of meeting the target" for s, v in zip(status["status"], p, strict=True)]

    return TargetStatus.wrap(pd.DataFrame({
        "period": prob["period"].to_numpy(),
        "value_to_date": prob["value_to_date"].to_numpy(),
        "projection": status["projection"].to_numpy(),
        "lower": status["lower"].to_numpy(),
        "upper": status["upper"].to_numpy(),
        "target": status["target"].to_numpy(),
        "polarity": pol,
        "status": status["status"].to_numpy(),
        "probability": p,
        "label": label,
        "rule": [f"{r}. {PROBABILITY_RULE}" for r in status["rule"]],
        "reason": status["reason"].to_numpy(),
    }))
