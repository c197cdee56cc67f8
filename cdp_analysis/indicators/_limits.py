"""Confidence limits shared by the indicator methods (vectorised, numpy in, numpy out).

These are the building blocks of rates, proportions, standardised rates, funnel limits
and year-end projections. Formulas as published by OHID/UKHSA (PHEindicatormethods,
Fingertips) and summarised in ``docs``/domain notes:

* Byar's approximation to the Poisson limits of a count ``x`` (used from 10 events)::

    lower = x * (1 - 1/(9x) - z/(3 sqrt(x)))**3
    upper = (x+1) * (1 - 1/(9(x+1)) + z/(3 sqrt(x+1)))**3

* Exact Poisson limits (used below 10 events)::

    lower = chi2.ppf(alpha/2, 2x) / 2            (0 when x = 0)
    upper = chi2.ppf(1 - alpha/2, 2x + 2) / 2

* Wilson score limits of a proportion ``p = x/n``::

    (2x + z^2 -/+ z sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2))

References
----------
Breslow NE, Day NE. Statistical methods in cancer research, volume II. IARC, 1987
(Byar's method). Wilson EB. Probable inference, the law of succession, and statistical
inference. JASA 1927;22:209-212. Newcombe RG. Two-sided confidence intervals for the single
proportion. Statistics in Medicine 1998;17:857-872.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cdp_analysis.vocabulary import renamed

__all__ = ["z_value", "byar_limits", "exact_poisson_limits", "poisson_limits", "wilson_limits"]


@lru_cache(maxsize=64)
def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile for a confidence level (cached: it sits on hot paths).

    >>> round(z_value(0.95), 6), round(z_value(0.998), 6)
    (1.959964, 3.090232)
    """
    from scipy.special import ndtri

    return float(ndtri(1 - (1 - confidence) / 2))


@renamed(x="count")
def byar_limits(count: ArrayLike, confidence: float = 0.95) -> tuple[NDArray, NDArray]:
    """Byar's approximate Poisson limits of a count (events, not a rate).

    >>> lo, hi = byar_limits([65, 59, 55])
    >>> [round(float(v), 2) for v in lo], [round(float(v), 2) for v in hi]
    ([50.16, 44.91, 41.43], [82.85, 76.11, 71.59])
    """
    x = np.asarray(count, dtype=float)
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = x * (1 - 1 / (9 * x) - z / (3 * np.sqrt(x))) ** 3
    lower = np.where(x > 0, lower, 0.0)
    x1 = x + 1
    upper = x1 * (1 - 1 / (9 * x1) + z / (3 * np.sqrt(x1))) ** 3
    return lower, upper


@renamed(x="count")
def exact_poisson_limits(count: ArrayLike, confidence: float = 0.95) -> tuple[NDArray, NDArray]:
    """Exact (Garwood) Poisson limits of a count, from the chi-squared distribution.

    >>> lo, hi = exact_poisson_limits([5, 0])
    >>> [round(float(v), 3) for v in lo], [round(float(v), 3) for v in hi]
    ([1.623, 0.0], [11.668, 3.689])
    """
    from scipy.stats import chi2

    x = np.asarray(count, dtype=float)
    alpha = 1 - confidence
    with np.errstate(invalid="ignore"):
        lower = np.where(x > 0, chi2.ppf(alpha / 2, 2 * x) / 2, 0.0)
    upper = chi2.ppf(1 - alpha / 2, 2 * x + 2) / 2
    return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)


@renamed(x="count")
def poisson_limits(count: ArrayLike, confidence: float = 0.95, threshold: int = 10) -> tuple[NDArray, NDArray, NDArray]:
    """Limits of a count: exact Poisson below ``threshold`` events, Byar's from it.

    Returns ``(lower, upper, method)`` where ``method`` holds ``"exact"`` or ``"byars"``
    per element.
    """
    x = np.asarray(count, dtype=float)
    b_lo, b_hi = byar_limits(x, confidence)
    e_lo, e_hi = exact_poisson_limits(x, confidence)
    small = x < threshold
    method = np.where(small, "exact", "byars")
    return np.where(small, e_lo, b_lo), np.where(small, e_hi, b_hi), method


@renamed(x="count", n="denominator")
def wilson_limits(count: ArrayLike, denominator: ArrayLike, confidence: float = 0.95) -> tuple[NDArray, NDArray]:
    """Wilson score limits of the proportion ``count / denominator`` (as a fraction of 1).

    >>> lo, hi = wilson_limits(65, 100)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.5525, 0.7364)
    """
    x = np.asarray(count, dtype=float)
    n = np.asarray(denominator, dtype=float)
    z = z_value(confidence)
    root = z * np.sqrt(z**2 + 4 * x * (1 - x / n))
    denom = 2 * (n + z**2)
    lower = (2 * x + z**2 - root) / denom
    upper = (2 * x + z**2 + root) / denom
    return lower, upper
