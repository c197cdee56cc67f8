"""Year-end projection of a monthly or quarterly count: seasonal GLM where the history allows, else run rate.

Two rules, and the projection says which it used and why:

* **seasonal GLM** (at least two complete years before the current one): a log-linear
  Poisson GLM with month (or quarter) effects and a linear trend,

      log E[y_t] = a + b·t + s_{month(t)},   Var y_t = φ·E[y_t]   (quasi-Poisson),

  fitted by IRLS on every complete year and the current year to date
  (:func:`cdp_analysis.models.counts.fit_count_trend`, ``window=None``; McCullagh & Nelder
  1989); the remaining periods of the year are simulated from the predictive distribution
  (coefficients from N(b̂, max(φ,1)(XᵀWX)⁻¹), then negative-binomial noise with variance φμ
  whenever φ > 1) and added to the count to date.
* **run rate** otherwise: year to date / share of the year elapsed, with the gamma-Poisson
  interval of :func:`cdp_analysis.models.yearend.simulate_year_end` at the flat share k/12
  (or k/4): the count to date X gives the annual rate Gamma(X + ½, ·) and the remainder is
  negative binomial (docs/references/forecasting.md §3.2).

References
----------
McCullagh P, Nelder JA (1989). *Generalized Linear Models*, 2nd ed., §6.2 (log-linear models
for counts), §4.5 (quasi-likelihood). Hyndman RJ, Athanasopoulos G (2021). *Forecasting:
principles and practice*, 3rd ed., §7.4 (seasonal dummy variables), §5.5 (simulated intervals).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdp_analysis.errors import CdpInputError, CdpParameterError

__all__ = ["YearEndProjection", "project_year_end_seasonal", "MIN_COMPLETE_YEARS"]

#: Complete years of history before the current year that the seasonal rule needs.
MIN_COMPLETE_YEARS = 2


@dataclass(frozen=True)
class YearEndProjection:
    """A year-end projection with its 80% and 95% predictive intervals and the rule used.

    Attributes
    ----------
    to_date : float
        Count so far this year.
    elapsed, periods_per_year : int
        Periods of the year observed and in a year (12 or 4).
    mean, lower_80, upper_80, lower_95, upper_95 : float
        Projected year-end total and its predictive intervals (whole numbers).
    rule : str
        ``"seasonal"`` or ``"run rate"``.
    reason : str
        Why that rule, in words.
    dispersion : float
        Quasi-Poisson dispersion of the seasonal GLM (NaN for the run rate).
    """

    to_date: float
    elapsed: int
    periods_per_year: int
    mean: float
    lower_80: float
    upper_80: float
    lower_95: float
    upper_95: float
    rule: str
    reason: str
    dispersion: float = float("nan")

    def summary(self) -> str:
        """The projection and its rule in one sentence."""
        unit = "months" if self.periods_per_year == 12 else "quarters"
        return (f"Projected year-end total {self.mean:,.0f} (95% predictive range {self.lower_95:,.0f} to "
                f"{self.upper_95:,.0f}) from {self.to_date:,.0f} in the first {self.elapsed} {unit}, by the "
                f"{self.rule} rule: {self.reason}")

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.summary())}</p>"


def _quantiles(mean: float, paths: np.ndarray, to_date: float, rule: str, reason: str, k: int, m: int,
               phi: float = float("nan")) -> YearEndProjection:
    q = np.quantile(paths, [0.025, 0.1, 0.9, 0.975], method="inverted_cdf")
    return YearEndProjection(float(to_date), k, m, float(mean), float(np.floor(q[1])), float(np.ceil(q[2])),
                             float(np.floor(q[0])), float(np.ceil(q[3])), rule, reason, float(phi))


def project_year_end_seasonal(
    history: pd.Series | np.ndarray,
    elapsed: int,
    *,
    periods_per_year: int = 12,
    rule: str = "auto",
    n_draws: int = 4000,
    seed: int = 0,
) -> YearEndProjection:
    """Project this year's total from the periods to date, seasonally when two complete years allow.

    Parameters
    ----------
    history : Series or array
        Counts per month (or quarter), oldest first, consecutive, starting at the first period
        of a year and ending with the current year's ``elapsed`` periods.
    elapsed : int
        Periods of the current year observed (1 to periods_per_year - 1).
    periods_per_year : {12, 4}
        Months or quarters.
    rule : {"auto", "seasonal", "run rate"}
        ``"auto"``: seasonal with at least :data:`MIN_COMPLETE_YEARS` complete years before the
        current one, else run rate. Forcing ``"seasonal"`` without them raises.
    n_draws, seed
        Predictive simulation size and seed.

    Returns
    -------
    YearEndProjection

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> season = np.tile([1.3, 1.2, 1.0, 0.9, 0.8, 0.8, 0.8, 0.9, 1.0, 1.1, 1.1, 1.1], 3)
    >>> y = rng.poisson(30 * season)[:27]
    >>> p = project_year_end_seasonal(y, 3)
    >>> p.rule, bool(p.lower_95 <= p.mean <= p.upper_95)
    ('seasonal', True)
    >>> project_year_end_seasonal(y[12:], 3).rule
    'run rate'
    """
    from cdp_analysis.models.counts import DegenerateFit, fit_count_trend, simulate_counts
    from cdp_analysis.models.yearend import simulate_year_end

    m = int(periods_per_year)
    if m not in (4, 12):
        raise CdpParameterError(f"periods_per_year must be 12 or 4, got {periods_per_year!r}")
    if not isinstance(elapsed, (int, np.integer)) or not 1 <= elapsed < m:
        raise CdpParameterError(f"elapsed must be 1-{m - 1}, got {elapsed!r}")
    if rule not in ("auto", "seasonal", "run rate"):
        raise CdpParameterError(f"rule must be 'auto', 'seasonal' or 'run rate', got {rule!r}")
    y = np.asarray(history.to_numpy() if isinstance(history, pd.Series) else history, dtype=float)
    if y.ndim != 1 or not np.isfinite(y).all() or (y < 0).any():
        raise CdpInputError("the history must be counts >= 0 for every period", expected="non-negative counts")
    if len(y) < elapsed or (len(y) - elapsed) % m:
        raise CdpInputError(f"{len(y)} periods do not end with {elapsed} of the current year after whole years",
                            expected=f"complete years of {m} periods, then the current year's {elapsed}")
    full_years = (len(y) - elapsed) // m
    x = float(y[-elapsed:].sum())
    unit = "months" if m == 12 else "quarters"
    seasonal_ok = full_years >= MIN_COMPLETE_YEARS
    if rule == "seasonal" and not seasonal_ok:
        raise CdpInputError(f"the seasonal rule needs {MIN_COMPLETE_YEARS} complete years before this one, "
                            f"got {full_years}", expected=f"at least {MIN_COMPLETE_YEARS * m + elapsed} {unit}")
    if seasonal_ok and rule != "run rate":
        try:
            fit = fit_count_trend(y, window=None, seasonal_period=m)
        except DegenerateFit:
            fit = None
        if fit is not None:
            mean_rest, draws = simulate_counts(fit, m - elapsed, n_draws=n_draws, seed=seed)
            paths = x + draws.sum(axis=1)
            reason = (f"{full_years} complete years of {unit} give each {unit[:-1]}'s usual share of the year "
                      f"(Poisson GLM with {unit[:-1]} effects and trend, dispersion {fit.dispersion:.2f}).")
            return _quantiles(x + float(mean_rest.sum()), paths, x, "seasonal", reason, elapsed, m, fit.dispersion)
    share = elapsed / m
    paths = simulate_year_end(y, elapsed, share=share, n_paths=n_draws, seed=seed)
    why = ("chosen" if rule == "run rate" else
           f"fewer than {MIN_COMPLETE_YEARS} complete years of {unit} ({full_years}), so no seasonal pattern can be "
           "estimated")
    reason = (f"{why}; the year to date is scaled by {m}/{elapsed}, which assumes every {unit[:-1]} is average "
              "(no seasonality).")
    return _quantiles(x / share, paths, x, "run rate", reason, elapsed, m)
