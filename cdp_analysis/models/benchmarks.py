"""Benchmark forecasts: naive, drift, mean of the last 3, seasonal naive, last 4 pooled.

Every model is judged against these (docs/references/forecasting.md §6). Point forecasts and interval
formulas follow Hyndman & Athanasopoulos, *Forecasting: Principles and Practice* (3rd ed.,
FPP3), §5.5 "Distributional forecasts and prediction intervals":

============== ====================================== ===========================================
benchmark      point forecast ŷ(n+h)                  interval standard deviation σ̂_h
============== ====================================== ===========================================
naive          y_n                                    σ̂ √h,   σ̂² = mean of (y_t − y_{t−1})²
drift          y_n + h (y_n − y_1)/(n − 1)            σ̂ √(h (1 + h/n)), σ̂ from drift residuals
seasonal naive y_{n+h−m(k)}, k = ⌊(h−1)/m⌋ + 1         σ̂ √k,   σ̂² = mean of (y_t − y_{t−m})²
============== ====================================== ===========================================

These Gaussian intervals are floored at 0 and, for counts, rounded outward to whole numbers.
The two pooled benchmarks use count distributions instead:

* **mean of the last 3** (counts): the rate is Gamma(S + ½, E) given S events over exposure E
  in the last three periods (Jeffreys prior), so the next count over exposure e is negative
  binomial NB(S + ½, E/(E + e)) — the gamma–Poisson predictive of docs/references/forecasting.md §3.1.
* **last 4 pooled** (proportions, rates): the proportion is Beta(X + ½, N − X + ½) given X of N
  in the last four cohorts, and the next cohort of size n is beta-binomial; rates use the
  negative binomial as above. Results are divided by the future exposure.
"""

from __future__ import annotations

import numpy as np

from cdp_analysis.models._types import Q_LEVELS, ModelForecast

__all__ = ["drift", "mean_last", "naive", "pooled_last", "seasonal_naive"]


def naive(y: np.ndarray, h: int, *, counts: bool = True, upper_bound: float | None = None) -> ModelForecast:
    """Naive forecast: the last value, with σ̂√h Gaussian intervals floored at 0.

    Parameters
    ----------
    y
        Observed series (oldest first), at least 2 values.
    h
        Number of periods ahead.
    counts
        Round interval bounds outward to whole numbers.
    upper_bound
        Cap for the bounds (1 for proportions).

    Examples
    --------
    >>> f = naive(np.array([10.0, 12.0, 11.0, 13.0]), 2)
    >>> f.mean.tolist(), f.lower_95.tolist(), f.upper_95.tolist()
    ([13.0, 13.0], [9.0, 8.0], [17.0, 18.0])
    """
    y = np.asarray(y, float)
    d = np.diff(y)
    sigma = float(np.sqrt(np.mean(d**2))) if d.size else 0.0
    hs = np.arange(1, h + 1)
    return ModelForecast.from_normal(
        "naive", np.full(h, y[-1]), sigma * np.sqrt(hs), counts=counts, upper_bound=upper_bound
    )


def drift(y: np.ndarray, h: int, *, counts: bool = True, upper_bound: float | None = None) -> ModelForecast:
    """Drift forecast: the line through the first and last values (FPP3 §5.2).

    Examples
    --------
    >>> drift(np.array([10.0, 12.0, 14.0, 16.0]), 2).mean.tolist()
    [18.0, 20.0]
    """
    y = np.asarray(y, float)
    n = len(y)
    c = (y[-1] - y[0]) / (n - 1)
    e = np.diff(y) - c
    sigma = float(np.sqrt(np.sum(e**2) / max(n - 2, 1)))
    hs = np.arange(1, h + 1)
    mean = y[-1] + c * hs
    sd = sigma * np.sqrt(hs * (1 + hs / n))
    return ModelForecast.from_normal("drift", mean, sd, counts=counts, upper_bound=upper_bound)


def seasonal_naive(
    y: np.ndarray, h: int, m: int, *, counts: bool = True, upper_bound: float | None = None
) -> ModelForecast:
    """Seasonal naive: the value of the same season in the last observed cycle.

    Examples
    --------
    >>> y = np.array([1.0, 5, 3, 2, 6, 4, 2, 6, 4])
    >>> seasonal_naive(y, 4, 3).mean.tolist()
    [2.0, 6.0, 4.0, 2.0]
    """
    y = np.asarray(y, float)
    n = len(y)
    hs = np.arange(1, h + 1)
    k = (hs - 1) // m + 1
    mean = y[n + hs - 1 - m * k]
    d = y[m:] - y[:-m]
    sigma = float(np.sqrt(np.mean(d**2))) if d.size else 0.0
    return ModelForecast.from_normal(
        "seasonal_naive", mean, sigma * np.sqrt(k), counts=counts, upper_bound=upper_bound
    )


def mean_last(
    y: np.ndarray, h: int, exposure: np.ndarray | None = None, *, k: int = 3, name: str = "mean3"
) -> ModelForecast:
    """Flat mean of the last ``k`` counts with a negative binomial (gamma–Poisson) predictive.

    Parameters
    ----------
    y
        Observed counts.
    h
        Periods ahead.
    exposure
        Optional exposure for history and future (length ``len(y) + h``); the forecast is the
        pooled rate of the last ``k`` periods times each future exposure.
    k
        Number of recent periods pooled.

    Returns
    -------
    ModelForecast
        Count-valued bounds from NB(S + ½, E/(E + e)).

    Examples
    --------
    >>> f = mean_last(np.array([40, 50, 60, 55.0]), 1)
    >>> round(float(f.mean[0]), 2), float(f.lower_95[0]), float(f.upper_95[0])
    (55.0, 39.0, 73.0)
    """
    from scipy import stats

    y = np.asarray(y, float)
    n = len(y)
    s = float(np.sum(y[-k:]))
    if exposure is None:
        e_hist, e_fut = float(min(k, n)), np.ones(h)
    else:
        e_hist, e_fut = float(np.sum(exposure[:n][-k:])), np.asarray(exposure[n : n + h], float)
    r = s + 0.5
    p = e_hist / (e_hist + e_fut)
    q = np.array([stats.nbinom.ppf(a, r, p) for a in Q_LEVELS])
    mean = s / e_hist * e_fut
    return ModelForecast(name, mean, q[1], q[2], q[0], q[3], {"pooled_periods": min(k, n)})


def pooled_last(
    y: np.ndarray,
    h: int,
    exposure: np.ndarray,
    *,
    kind: str = "proportion",
    k: int = 4,
) -> ModelForecast:
    """The last ``k`` cohorts pooled, with a beta-binomial (proportion) or NB (rate) predictive.

    Parameters
    ----------
    y
        Observed proportions (``kind="proportion"``) or rates per unit exposure (``"rate"``).
    h
        Periods ahead.
    exposure
        Cohort sizes / offenders for history and future (length ``len(y) + h``).
    kind
        ``"proportion"`` or ``"rate"``.
    k
        Number of cohorts pooled (4 quarterly cohorts = one year).

    Examples
    --------
    >>> y = np.array([0.25, 0.30, 0.20, 0.25, 0.25])
    >>> f = pooled_last(y, 1, np.full(6, 400.0))
    >>> round(float(f.mean[0]), 3), float(f.lower_95[0]), float(f.upper_95[0])
    (0.25, 0.2025, 0.2975)
    """
    from scipy import stats

    y = np.asarray(y, float)
    n = len(y)
    e_h = np.asarray(exposure[:n][-k:], float)
    x = float(np.sum(y[-k:] * e_h))
    big_n = float(np.sum(e_h))
    e_fut = np.asarray(exposure[n : n + h], float)
    rate = x / big_n
    if kind == "proportion":
        nf = np.maximum(np.round(e_fut), 1)
        a, b = x + 0.5, big_n - x + 0.5
        if np.all(nf <= 5000):
            q = np.array([stats.betabinom.ppf(al, nf, a, b) for al in Q_LEVELS]) / nf
        else:  # scipy's generic discrete ppf sums the cdf term by term: seconds per call at national cohort sizes;
            # draw the same beta-binomial instead (p ~ Beta(a, b), x ~ Binomial(n, p)), seeded
            rng = np.random.default_rng(0)
            pp = rng.beta(a, b, size=(20_000, 1))
            draws = rng.binomial(nf.astype(np.int64), pp) / nf
            q = np.quantile(draws, Q_LEVELS, axis=0, method="inverted_cdf")
    else:
        r, p = x + 0.5, big_n / (big_n + e_fut)
        q = np.array([stats.nbinom.ppf(al, r, p) for al in Q_LEVELS]) / e_fut
    return ModelForecast(f"pooled{k}", np.full(h, rate), q[1], q[2], q[0], q[3], {"pooled_periods": min(k, n)})
