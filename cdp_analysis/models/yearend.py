"""Model-based year-end projection paths and the probability of meeting a target.

A year-to-date count X after k months is projected to the year end as a Poisson process whose
rate follows the usual seasonal profile (docs/references/forecasting.md §3.2):

* the share s of a year's events normally reached after k months is estimated from the last
  ``n_years`` complete years (pooled: Σ first-k-months / Σ year totals) and, unless given,
  drawn from Beta(A/φ + ½, (T − A)/φ + ½) to carry its uncertainty;
* given X, the annual rate has the gamma posterior Gamma(X/φ + ½, s) (Jeffreys prior), so the
  remainder of the year is negative binomial, NB(X/φ + ½, s), scaled by φ;
* the year-end total is X + remainder; its central estimate is X / s.

φ is an over-dispersion factor (1 = Poisson; e.g. 2 for operation-driven clumping of
enforcement counts). The probability of meeting a target is the share of simulated totals on
the right side of it.

References
----------
Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed. (simulated paths).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cdp_analysis.errors import CdpInputError, CdpParameterError

__all__ = ["probability_of_meeting", "seasonal_share", "simulate_year_end"]


def _values(history: Any) -> np.ndarray:
    try:
        import pandas as pd

        if isinstance(history, pd.Series):
            history = history.to_numpy()
        y = np.asarray(history, dtype=float).ravel()
    except (TypeError, ValueError):
        raise CdpInputError("monthly history must be numeric", expected="monthly counts") from None
    bad = ~np.isfinite(y)
    if bad.any():
        raise CdpInputError("missing values in the monthly history", row=list(np.nonzero(bad)[0]), expected="a count for every month")
    if (y < 0).any():
        raise CdpInputError("negative counts in the monthly history", row=list(np.nonzero(y < 0)[0]), expected="counts >= 0")
    return y


def seasonal_share(monthly_history: Any, months_elapsed: int, n_years: int = 3) -> tuple[float, float, float]:
    """Share of the year normally reached after ``months_elapsed`` months.

    Parameters
    ----------
    monthly_history
        Monthly counts, oldest first, ending with the current year's ``months_elapsed``
        months; the complete years before them (at least one) give the profile.
    months_elapsed
        Months of the current year observed (1-12).
    n_years
        Complete prior years used (the last three by default).

    Returns
    -------
    share, first_part, total
        s = A / T, with A the events in the first ``months_elapsed`` months and T all events
        of the prior years used.

    Examples
    --------
    >>> hist = [10] * 3 + [30] * 9 + [10] * 3 + [30] * 9 + [12, 9, 11]
    >>> seasonal_share(hist, 3)
    (0.1, 60.0, 600.0)
    """
    y = _values(monthly_history)
    if not isinstance(months_elapsed, (int, np.integer)) or not 1 <= months_elapsed <= 12:
        raise CdpParameterError(f"months_elapsed must be 1-12, not {months_elapsed!r}")
    prior = y[: len(y) - months_elapsed]
    n_full = len(prior) // 12
    if n_full < 1:
        raise CdpInputError(
            f"monthly history too short: {len(prior)} months before the current year",
            expected="at least 12 complete months before the year to date",
        )
    use = prior[len(prior) - 12 * min(n_full, n_years) :].reshape(-1, 12)
    a, t = float(use[:, :months_elapsed].sum()), float(use.sum())
    if t <= 0:
        raise CdpInputError("no events in the prior years: the seasonal share is undefined", expected="some events")
    return a / t, a, t


def simulate_year_end(
    monthly_history: Any,
    months_elapsed: int,
    *,
    share: float | None = None,
    n_years: int = 3,
    dispersion: float = 1.0,
    share_uncertainty: bool = True,
    n_paths: int = 10_000,
    seed: int | np.random.Generator | None = 0,
) -> np.ndarray:
    """Simulate year-end totals from the year to date and the seasonal share.

    Parameters
    ----------
    monthly_history
        Monthly counts, oldest first, ending with the current year's ``months_elapsed`` months
        (a Series or array); needed in full only when ``share`` is not given.
    months_elapsed
        Months of the current year observed (1-12).
    share
        Known share of the year reached by now (e.g. 0.25 for flat seasonality after 3 months);
        default: estimated from the last ``n_years`` complete years.
    n_years
        Prior years for the estimated share.
    dispersion
        Over-dispersion φ ≥ 1 (1 = Poisson).
    share_uncertainty
        Draw the estimated share from its beta distribution (ignored when ``share`` is given).
    n_paths, seed
        Number of simulated totals and the seed (reproducible).

    Returns
    -------
    numpy.ndarray
        ``n_paths`` simulated year-end totals (year to date + remainder), whole numbers when
        φ = 1.

    Examples
    --------
    >>> paths = simulate_year_end([10, 12, 16], 3, share=0.25, seed=1)
    >>> np.percentile(paths, [2.5, 97.5]).round(-1).tolist()
    [120.0, 200.0]
    """
    if dispersion < 1:
        raise CdpParameterError(f"dispersion must be >= 1, not {dispersion!r}")
    y = _values(monthly_history)
    if not isinstance(months_elapsed, (int, np.integer)) or not 1 <= months_elapsed <= 12:
        raise CdpParameterError(f"months_elapsed must be 1-12, not {months_elapsed!r}")
    if len(y) < months_elapsed:
        raise CdpInputError("fewer months than months_elapsed", expected=f"at least {months_elapsed} months")
    rng = np.random.default_rng(seed)
    x = float(y[-months_elapsed:].sum())
    if months_elapsed == 12:
        return np.full(n_paths, x)
    if share is None:
        s_hat, a, t = seasonal_share(y, months_elapsed, n_years)
        if share_uncertainty:
            s = rng.beta(a / dispersion + 0.5, (t - a) / dispersion + 0.5, size=n_paths)
        else:
            s = np.full(n_paths, s_hat)
    else:
        if not 0 < share < 1:
            raise CdpParameterError(f"share must be between 0 and 1, not {share!r}")
        s = np.full(n_paths, float(share))
    s = np.clip(s, 1e-6, 1 - 1e-6)
    remainder = rng.negative_binomial(x / dispersion + 0.5, s) * dispersion
    return x + remainder


def probability_of_meeting(paths: Any, target: float, polarity: str) -> float:
    """Probability that the outcome meets ``target``, from simulated paths (or totals).

    Parameters
    ----------
    paths
        Simulated outcomes: a 1-d array of totals, or a 2-d array (paths x periods) whose
        last column is the outcome at the target date.
    target
        The target value.
    polarity
        ``"higher_is_better"`` (met when outcome ≥ target) or ``"lower_is_better"``
        (met when outcome ≤ target), as in the metric catalogue.

    Examples
    --------
    >>> probability_of_meeting(np.array([90, 100, 110, 120]), 100, "higher_is_better")
    0.75
    >>> probability_of_meeting(np.array([90, 100, 110, 120]), 100, "lower_is_better")
    0.5
    """
    arr = np.asarray(paths, dtype=float)
    if arr.ndim == 2:
        arr = arr[:, -1]
    if arr.ndim != 1 or arr.size == 0:
        raise CdpInputError("paths must be a non-empty 1-d or 2-d array", expected="simulated outcomes")
    if polarity == "higher_is_better":
        return float(np.mean(arr >= target))
    if polarity == "lower_is_better":
        return float(np.mean(arr <= target))
    raise CdpParameterError(
        f"polarity must be 'higher_is_better' or 'lower_is_better' to judge a target, not {polarity!r}"
    )
