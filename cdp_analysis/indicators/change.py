"""Tests of change between two figures, and the plain-English sentence that reports them.

Three functions, scalar or array in:

* :func:`rate_ratio_test` - two counts (deaths in 2022 against 2021, arrests this year against
  last), each over an exposure (person-years, population or simply 1 for "one year each"):
  the exact conditional test and the Clopper-Pearson interval of the rate ratio.
* :func:`proportion_difference_test` - two proportions (reoffending 112/410 against 100/400):
  Newcombe's hybrid score interval of the difference, and a two-sample z test (Fisher's exact
  test when any expected cell count is below 5).
* :func:`describe_change` - the sentence a report prints: "55 deaths in 2022 against 59 in 2021:
  not a statistically significant change (rate ratio 0.93, 95% CI 0.63 to 1.37, p = 0.78)".
  It says "a statistically significant rise/fall" only when the test says so.

Conventions: ``a`` is the figure of interest (usually the later one) and ``b`` the comparator,
so a rate ratio below 1 and a negative difference are falls.

References
----------
Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in the case of the
binomial. Biometrika 1934;26:404-413.
Breslow NE, Day NE. Statistical methods in cancer research, volume II. IARC, 1987, section 2.
Fay MP. Two-sided exact tests and matching confidence intervals for discrete data. R Journal
2010;2(1):53-58.
Newcombe RG. Interval estimation for the difference between independent proportions: comparison
of eleven methods. Statistics in Medicine 1998;17:873-890.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from cdp_analysis.errors import CdpInputError, CdpParameterError
from cdp_analysis.indicators._limits import wilson_limits
from cdp_analysis.indicators.small_numbers import MIN_EVENTS, enough_events
from cdp_analysis.vocabulary import renamed

__all__ = ["rate_ratio_test", "proportion_difference_test", "describe_change"]

_RELATIVE_TIE = 1 + 1e-7  # probabilities equal to within this factor count as ties (as scipy does)


# --------------------------------------------------------------------------- input checks
def _check_confidence(confidence: float) -> float:
    try:
        c = float(confidence)
    except (TypeError, ValueError):
        raise CdpParameterError(f"confidence must be a number between 0 and 1, not {confidence!r}") from None
    if not 0 < c < 1:
        raise CdpParameterError(f"confidence must lie strictly between 0 and 1, not {confidence!r}")
    return c


def _labels_of(values: Any, n: int) -> list[Any]:
    """Row labels used in error messages: a Series' index, else 0-based positions."""
    if isinstance(values, pd.Series) and len(values) == n:
        return list(values.index)
    return list(range(n))


def _broadcast(**named: Any) -> tuple[dict[str, NDArray], pd.Index | None]:
    """Broadcast the named inputs to 1-d float arrays; keep a Series index when there is one."""
    arrays = {}
    for name, v in named.items():
        try:
            arrays[name] = np.asarray(v, dtype=float)
        except (TypeError, ValueError):
            raise CdpInputError(f"{name} must be numeric", column=name, value=v) from None
    try:
        shaped = np.broadcast_arrays(*arrays.values())
    except ValueError:
        shapes = {k: np.shape(v) for k, v in arrays.items()}
        raise CdpInputError(
            f"inputs of different lengths cannot be compared element by element: {shapes}"
        ) from None
    out = {k: np.atleast_1d(v).astype(float).ravel() for k, v in zip(arrays, shaped, strict=True)}
    n = len(next(iter(out.values())))
    index = None
    for v in named.values():
        if isinstance(v, pd.Series) and len(v) == n:
            index = v.index
            break
    return out, index


def _require(bad: NDArray, message: str, name: str, source: Any, values: NDArray, expected: str) -> None:
    if np.any(bad):
        labels = _labels_of(source, len(bad))
        rows = [labels[i] for i in np.flatnonzero(bad)]
        raise CdpInputError(message, row=rows, column=name, value=values[bad][0], expected=expected)


def _check_counts(name: str, values: NDArray, source: Any) -> None:
    _require(~np.isfinite(values), "missing or infinite count", name, source, values, "a whole number >= 0")
    _require(values < 0, "negative count", name, source, values, "a whole number >= 0")
    _require(
        values != np.round(values), "count is not a whole number", name, source, values, "a whole number >= 0"
    )


def _check_exposures(name: str, values: NDArray, source: Any) -> None:
    _require(~np.isfinite(values), "missing or infinite exposure", name, source, values, "a number > 0")
    _require(values <= 0, "exposure must be positive", name, source, values, "a number > 0")


# ------------------------------------------------------------------- exact two-sided p-value
def _minlike_pvalue(
    x: NDArray,
    lo: NDArray,
    hi: NDArray,
    mode: NDArray,
    pmf: Callable[[NDArray], NDArray],
    cdf: Callable[[NDArray], NDArray],
    sf: Callable[[NDArray], NDArray],
) -> NDArray:
    """Two-sided exact p-value of a unimodal discrete distribution, "minimum likelihood" rule.

    p = sum of P(k) over the support for every k with P(k) <= P(x) (ties within a relative
    1e-7). The pmf is non-increasing above ``mode`` and non-decreasing below it, so the far
    tail starts at one boundary, found by a vectorised bisection. ``pmf``, ``cdf`` and ``sf``
    are the distribution's functions already bound to each element's parameters.
    """
    x = x.astype(float)
    threshold = pmf(x) * _RELATIVE_TIE
    p = np.ones_like(x)

    below = x < mode
    if np.any(below):
        # smallest k in [mode, hi + 1] with pmf(k) <= threshold (hi + 1 is past the support: pmf 0)
        left, right = mode.copy(), hi + 1
        for _ in range(80):
            active = below & (left < right)
            if not active.any():
                break
            mid = np.floor((left + right) / 2)
            ok = (mid > hi) | (pmf(np.minimum(mid, hi)) <= threshold)
            right = np.where(active & ok, mid, right)
            left = np.where(active & ~ok, mid + 1, left)
        p = np.where(below, cdf(x) + sf(right - 1), p)

    above = x > mode
    if np.any(above):
        # largest k in [lo - 1, mode] with pmf(k) <= threshold (lo - 1 is before the support)
        left, right = lo - 1, mode.copy()
        for _ in range(80):
            active = above & (left < right)
            if not active.any():
                break
            mid = np.ceil((left + right) / 2)
            ok = (mid < lo) | (pmf(np.maximum(mid, lo)) <= threshold)
            left = np.where(active & ok, mid, left)
            right = np.where(active & ~ok, mid - 1, right)
        p = np.where(above, cdf(left) + sf(x - 1), p)
    return np.clip(p, 0.0, 1.0)


def _binomial_pvalue(x: NDArray, n: NDArray, p0: NDArray, kind: str = "minlike") -> NDArray:
    """Exact two-sided binomial p-value of ``x`` successes in ``n`` trials under ``p0``."""
    from scipy.stats import binom

    if kind == "central":
        return np.clip(2 * np.minimum(binom.cdf(x, n, p0), binom.sf(x - 1, n, p0)), 0.0, 1.0)
    mode = np.floor((n + 1) * p0)
    mode = np.minimum(mode, n)
    return _minlike_pvalue(
        x,
        np.zeros_like(n),
        n,
        mode,
        lambda k: binom.pmf(k, n, p0),
        lambda k: binom.cdf(k, n, p0),
        lambda k: binom.sf(k, n, p0),
    )


def _fisher_pvalue(x_a: NDArray, n_a: NDArray, x_b: NDArray, n_b: NDArray) -> NDArray:
    """Fisher's exact two-sided p-value of a 2x2 table (minimum-likelihood rule, as scipy)."""
    from scipy.stats import hypergeom

    total = n_a + n_b
    successes = x_a + x_b
    lo = np.maximum(0, n_a + successes - total)
    hi = np.minimum(successes, n_a)
    mode = np.floor((n_a + 1) * (successes + 1) / (total + 2))
    mode = np.clip(mode, lo, hi)
    return _minlike_pvalue(
        x_a,
        lo,
        hi,
        mode,
        lambda k: hypergeom.pmf(k, total, successes, n_a),
        lambda k: hypergeom.cdf(k, total, successes, n_a),
        lambda k: hypergeom.sf(k, total, successes, n_a),
    )


# ------------------------------------------------------------------------------ rate ratio
@renamed(exposure_a="denominator_a", exposure_b="denominator_b")
def rate_ratio_test(
    count_a: ArrayLike,
    denominator_a: ArrayLike,
    count_b: ArrayLike,
    denominator_b: ArrayLike,
    confidence: float = 0.95,
    p_value_method: Literal["minlike", "central"] = "minlike",
) -> pd.DataFrame:
    r"""Exact conditional test of two Poisson rates, with the rate ratio and its interval.

    The rate ratio is :math:`R = (a / E_a) / (b / E_b)` for counts ``a``, ``b`` over exposures
    ``E_a``, ``E_b`` (person-years, population, or 1 and 1 for two equal periods). Conditional
    on the total :math:`n = a + b`, :math:`a \sim \mathrm{Binomial}(n, \pi)` with

    .. math:: \pi = \frac{E_a R}{E_a R + E_b},

    so the test of :math:`R = 1` is the exact binomial test of :math:`\pi_0 = E_a/(E_a+E_b)`,
    and Clopper-Pearson limits :math:`(\pi_L, \pi_U)` for :math:`\pi` give the limits of the
    ratio :math:`R = \frac{\pi}{1-\pi} \cdot \frac{E_b}{E_a}`, with

    .. math:: \pi_L = B^{-1}(\alpha/2;\ a, b+1),\qquad \pi_U = B^{-1}(1-\alpha/2;\ a+1, b)

    (``B^{-1}`` the beta quantile; :math:`\pi_L = 0` when a = 0, :math:`\pi_U = 1` when b = 0).

    Parameters
    ----------
    count_a, count_b
        Event counts (whole numbers >= 0): ``a`` the figure of interest (e.g. the later year),
        ``b`` the comparator. Scalars or arrays (broadcast together).
    denominator_a, denominator_b
        Exposures (> 0), in any unit common to both: the rates' denominators. Pass 1 and 1 to
        compare two counts over equal periods and populations.
    confidence
        Confidence level of the interval; the test is "significant" when
        ``p_value < 1 - confidence``. Default 0.95.
    p_value_method
        ``"minlike"`` (default): the exact two-sided p-value sums the probabilities of every
        outcome no more likely than the one observed (as ``scipy.stats.binomtest`` and
        statsmodels' ``test_poisson_2indep(method="exact-cond")``). ``"central"``: twice the
        smaller tail, which always agrees with the Clopper-Pearson interval (the interval
        excludes 1 exactly when the central p-value is below ``1 - confidence``). With equal
        exposures the two are identical; otherwise they can differ at the margin of
        significance, so a borderline minlike result may have an interval just touching 1.

    Returns
    -------
    pandas.DataFrame
        One row per element: ``count_a, exposure_a, count_b, exposure_b, ratio, lower, upper,
        p_value, significant``. ``ratio`` is 0 when a = 0, ``inf`` when b = 0 < a (upper limit
        ``inf``), and NaN when both are 0 (limits 0 to ``inf``, p-value 1). ``significant`` is
        a boolean. The confidence level is in ``.attrs["confidence"]``.

    Raises
    ------
    CdpInputError
        Negative, missing or fractional counts; missing or non-positive exposures (naming the
        rows, by index label when a Series is passed).

    References
    ----------
    Breslow NE, Day NE. Statistical methods in cancer research, vol. II. IARC 1987, §2.
    Clopper CJ, Pearson ES. Biometrika 1934;26:404-413.
    Fay MP. R Journal 2010;2(1):53-58 (two-sided exact tests and matching intervals).

    Examples
    --------
    Drug-related deaths, pan-Dorset: 55 in 2022 against 59 in 2021 (equal exposures).

    >>> r = rate_ratio_test(55, 1, 59, 1)
    >>> r[["ratio", "lower", "upper", "p_value"]].round(3)
       ratio  lower  upper  p_value
    0  0.932  0.634  1.369    0.779
    >>> bool(r.significant.iloc[0])
    False

    Rates with different populations, several at once:

    >>> r = rate_ratio_test([30, 0], [200_000, 150_000], [12, 4], [210_000, 150_000])
    >>> r[["ratio", "lower", "upper", "p_value", "significant"]].round(3)
       ratio  lower  upper  p_value  significant
    0  2.625  1.305  5.630    0.005         True
    1  0.000  0.000  1.515    0.125        False
    """
    exposure_a = denominator_a  # vocabulary: the parameter is denominator_a
    exposure_b = denominator_b  # vocabulary: the parameter is denominator_b

    c = _check_confidence(confidence)
    if p_value_method not in ("minlike", "central"):
        raise CdpParameterError(f"p_value_method must be 'minlike' or 'central', not {p_value_method!r}")
    arr, index = _broadcast(count_a=count_a, exposure_a=exposure_a, count_b=count_b, exposure_b=exposure_b)
    a, ea, b, eb = arr["count_a"], arr["exposure_a"], arr["count_b"], arr["exposure_b"]
    _check_counts("count_a", a, count_a)
    _check_counts("count_b", b, count_b)
    _check_exposures("denominator_a", ea, exposure_a)
    _check_exposures("denominator_b", eb, exposure_b)

    from scipy.stats import beta

    alpha = 1 - c
    n = a + b
    scale = eb / ea
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(b > 0, (a / ea) / np.where(b > 0, b / eb, 1.0), np.where(a > 0, np.inf, np.nan))
        p_lo = np.where(a > 0, beta.ppf(alpha / 2, a, b + 1), 0.0)
        p_hi = np.where(b > 0, beta.ppf(1 - alpha / 2, a + 1, b), 1.0)
        lower = p_lo / (1 - p_lo) * scale
        upper = np.where(p_hi < 1, p_hi / (1 - p_hi) * scale, np.inf)
    p0 = ea / (ea + eb)
    p_value = np.where(n > 0, _binomial_pvalue(a, n, p0, p_value_method), 1.0)
    out = pd.DataFrame(
        {
            "count_a": a,
            "exposure_a": ea,
            "count_b": b,
            "exposure_b": eb,
            "ratio": ratio,
            "lower": lower,
            "upper": upper,
            "p_value": p_value,
            "significant": p_value < alpha,
        },
        index=index,
    )
    out.attrs["confidence"] = c
    out.attrs["method"] = f"exact conditional binomial test ({p_value_method}), Clopper-Pearson limits"
    from cdp_analysis.results import ChangeTest

    return ChangeTest.wrap(out)


# --------------------------------------------------------------------- difference of proportions
@renamed(x_a="count_a", n_a="denominator_a", x_b="count_b", n_b="denominator_b")
def proportion_difference_test(
    count_a: ArrayLike,
    denominator_a: ArrayLike,
    count_b: ArrayLike,
    denominator_b: ArrayLike,
    confidence: float = 0.95,
) -> pd.DataFrame:
    r"""Difference of two independent proportions: Newcombe's interval and a significance test.

    With :math:`p_a = x_a/n_a`, :math:`p_b = x_b/n_b` and Wilson score limits
    :math:`(l_a, u_a)`, :math:`(l_b, u_b)`, the difference :math:`d = p_a - p_b` has Newcombe's
    hybrid score interval (his method 10)

    .. math::
        d - \sqrt{(p_a - l_a)^2 + (u_b - p_b)^2},\qquad d + \sqrt{(u_a - p_a)^2 + (p_b - l_b)^2}.

    The p-value tests :math:`p_a = p_b`:

    * **two-sample z test** with the pooled proportion
      :math:`\bar p = (x_a+x_b)/(n_a+n_b)`, :math:`z = d / \sqrt{\bar p(1-\bar p)(1/n_a + 1/n_b)}`,
      two-sided (the same as Pearson's chi-squared test of the 2x2 table without continuity
      correction) - used when every expected cell count of the 2x2 table is at least 5;
    * **Fisher's exact test** (two-sided, summing the tables no more likely than the one
      observed) when any expected count is below 5 (Cochran's rule). ``method`` says which.

    The interval and the test are different calculations, so at the margin of significance the
    interval can just include 0 while p < alpha, or the reverse; ``significant`` follows the
    p-value.

    Parameters
    ----------
    count_a, denominator_a
        Numerator and denominator of the proportion of interest (e.g. the later cohort).
    count_b, denominator_b
        Numerator and denominator of the comparator.
    confidence
        Confidence level (default 0.95); significant when ``p_value < 1 - confidence``.

    Returns
    -------
    pandas.DataFrame
        ``x_a, n_a, x_b, n_b, proportion_a, proportion_b, difference, lower, upper, p_value,
        significant, method``. Proportions and the difference are fractions of 1 (multiply by
        100 for percentage points).

    Raises
    ------
    CdpInputError
        Negative, missing or fractional counts, a zero denominator, or a numerator above its
        denominator (naming the rows).

    References
    ----------
    Newcombe RG. Statistics in Medicine 1998;17:873-890 (method 10; worked example 56/70 vs
    48/80 gives 0.0524 to 0.3339).
    Fisher RA. Statistical methods for research workers. Oliver & Boyd, 1925.
    Cochran WG. Some methods for strengthening the common chi-squared tests. Biometrics
    1954;10:417-451.

    Examples
    --------
    >>> r = proportion_difference_test(56, 70, 48, 80)
    >>> r[["difference", "lower", "upper", "p_value"]].round(4)
       difference   lower   upper  p_value
    0         0.2  0.0524  0.3339    0.008
    >>> r.method.iloc[0]
    'z test (pooled)'
    >>> proportion_difference_test(3, 10, 0, 12)[["p_value", "method"]].round(4)
       p_value        method
    0   0.0779  fisher exact
    """
    x_a = count_a  # vocabulary: the parameter is count_a
    n_a = denominator_a  # vocabulary: the parameter is denominator_a
    x_b = count_b  # vocabulary: the parameter is count_b
    n_b = denominator_b  # vocabulary: the parameter is denominator_b

    c = _check_confidence(confidence)
    arr, index = _broadcast(x_a=x_a, n_a=n_a, x_b=x_b, n_b=n_b)
    xa, na, xb, nb = arr["x_a"], arr["n_a"], arr["x_b"], arr["n_b"]
    for name, v, src in (("x_a", xa, x_a), ("n_a", na, n_a), ("x_b", xb, x_b), ("n_b", nb, n_b)):
        _check_counts(name, v, src)
    _require(na <= 0, "denominator must be positive", "n_a", n_a, na, "a whole number > 0")
    _require(nb <= 0, "denominator must be positive", "n_b", n_b, nb, "a whole number > 0")
    _require(xa > na, "numerator above its denominator", "x_a", x_a, xa, "at most n_a")
    _require(xb > nb, "numerator above its denominator", "x_b", x_b, xb, "at most n_b")

    from scipy.stats import norm

    pa, pb = xa / na, xb / nb
    d = pa - pb
    la, ua = wilson_limits(xa, na, c)
    lb, ub = wilson_limits(xb, nb, c)
    lower = d - np.sqrt((pa - la) ** 2 + (ub - pb) ** 2)
    upper = d + np.sqrt((ua - pa) ** 2 + (pb - lb) ** 2)

    total = na + nb
    pooled = (xa + xb) / total
    expected = np.stack(
        [na * pooled, na * (1 - pooled), nb * pooled, nb * (1 - pooled)],
    )
    small = np.any(expected < 5, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
        z = np.where(se > 0, d / se, 0.0)
    p_z = 2 * norm.sf(np.abs(z))
    p_value = p_z.copy()
    if np.any(small):
        p_value[small] = _fisher_pvalue(xa[small], na[small], xb[small], nb[small])
    out = pd.DataFrame(
        {
            "x_a": xa,
            "n_a": na,
            "x_b": xb,
            "n_b": nb,
            "proportion_a": pa,
            "proportion_b": pb,
            "difference": d,
            "lower": lower,
            "upper": upper,
            "p_value": p_value,
            "significant": p_value < 1 - c,
            "method": np.where(small, "fisher exact", "z test (pooled)"),
        },
        index=index,
    )
    out.attrs["confidence"] = c
    from cdp_analysis.results import ChangeTest

    return ChangeTest.wrap(out)


# --------------------------------------------------------------------------- the sentence
def _fmt_rate(value: float, multiplier: float) -> str:
    """A rate to one decimal place; a whole number of events a year (multiplier 1) without one.

    >>> _fmt_rate(6.84, 100_000), _fmt_rate(13.0, 100_000), _fmt_rate(152.0, 1), _fmt_rate(242.4, 1)
    ('6.8', '13.0', '152', '242.4')
    """
    if multiplier == 1 and abs(value - round(value)) < 1e-9:
        return f"{round(value):,}"
    return f"{value:,.1f}"


def _fmt_number(v: float) -> str:
    if np.isfinite(v) and float(v) == round(float(v)):
        return f"{int(round(float(v))):,}"
    return f"{v:,.1f}"


def _fmt_p(p: float) -> str:
    if p < 0.001:
        return "p < 0.001"
    if p < 0.01:
        return f"p = {p:.3f}"
    return f"p = {p:.2f}"


def _fmt_level(confidence: float) -> str:
    pct = confidence * 100
    return f"{pct:.0f}%" if abs(pct - round(pct)) < 1e-9 else f"{pct:g}%"


def _verdict(significant: bool, direction: float) -> str:
    if not significant:
        return "not a statistically significant change"
    return "a statistically significant " + ("rise" if direction > 0 else "fall")


@renamed(exposure_a="denominator_a", exposure_b="denominator_b")
def describe_change(
    value_a: ArrayLike,
    value_b: ArrayLike,
    label_a: str | ArrayLike,
    label_b: str | ArrayLike,
    *,
    measure: str = "",
    kind: Literal["count", "proportion", "percent"] = "count",
    denominator_a: ArrayLike | None = None,
    denominator_b: ArrayLike | None = None,
    multiplier: float | None = None,
    rate_unit: str = "",
    confidence: float = 0.95,
    small_numbers: bool = True,
) -> str | pd.Series:
    """A plain-English sentence stating a change and whether it is statistically significant.

    Counts (``kind="count"``) are tested with :func:`rate_ratio_test` (exposures default to
    equal); proportions (``kind="proportion"``: ``value`` = numerator) and percentages
    (``kind="percent"``: ``value`` = the percentage, numerator recovered as
    ``round(value * denominator / 100)``) with :func:`proportion_difference_test`. The sentence
    says "a statistically significant rise" or "fall" only when ``p < 1 - confidence``, and
    otherwise "not a statistically significant change"; the numbers in brackets are computed,
    never typed in.

    Parameters
    ----------
    value_a, value_b
        The figure of interest (usually the later) and the comparator.
    label_a, label_b
        What each figure is (``"2022"``, ``"2022/23"``, ``"BCP"``).
    measure
        Noun for counts (``"deaths"``) or phrase for proportions (``"reoffended"``).
    kind
        ``"count"`` (default), ``"proportion"`` or ``"percent"``.
    denominator_a, denominator_b
        Counts: their exposures (populations, person-years, or the fractions of a year
        covered); default equal. Proportions and percentages: their denominators (required).
        (``exposure_a``/``exposure_b`` are the retired names for counts.)
    multiplier, rate_unit
        With exposures, print each rate as ``count / exposure * multiplier`` followed by
        ``rate_unit`` (e.g. ``100_000`` and ``"per 100,000"``).
    confidence
        Confidence level (default 0.95).
    small_numbers
        Apply the small-number rule to counts (default True): fewer than 10 events in the two
        figures together give no verdict, "a change cannot be calculated (fewer than 10 ...)"
        (:mod:`cdp_analysis.indicators.small_numbers`).

    Returns
    -------
    str or pandas.Series
        One sentence for scalar input; a Series of sentences for arrays.

    Raises
    ------
    CdpInputError
        As the underlying tests; CdpParameterError for an unknown ``kind`` or a proportion
        without denominators.

    Examples
    --------
    >>> print(describe_change(55, 59, "2022", "2021", measure="deaths"))
    55 deaths in 2022 against 59 in 2021: not a statistically significant change (rate ratio 0.93, 95% CI 0.63 to 1.37, p = 0.78)
    >>> print(describe_change(30, 12, "BCP", "Dorset", measure="arrests", denominator_a=400_000,
    ...       denominator_b=380_000, multiplier=100_000, rate_unit="per 100,000"))
    30 arrests in BCP (7.5 per 100,000) against 12 in Dorset (3.2 per 100,000): a statistically significant rise (rate ratio 2.38, 95% CI 1.18 to 5.09, p = 0.01)
    >>> print(describe_change(3, 1, "2023", "2022", measure="deaths"))
    3 deaths in 2023 against 1 in 2022: a change cannot be calculated (fewer than 10 deaths in the two periods together)
    >>> print(describe_change(112, 100, "2023", "2022", kind="proportion", denominator_a=410,
    ...       denominator_b=400, measure="reoffended"))
    112 of 410 reoffended (27.3%) in 2023 against 100 of 400 (25.0%) in 2022: not a statistically significant change (difference +2.3 percentage points, 95% CI -3.7 to +8.3, p = 0.45)
    """
    exposure_a, exposure_b = (denominator_a, denominator_b) if kind == "count" else (None, None)
    c = _check_confidence(confidence)
    level = _fmt_level(c)
    scalar = all(np.ndim(v) == 0 for v in (value_a, value_b, label_a, label_b))
    noun = f" {measure}" if measure else ""
    sentences: list[str] = []
    if kind == "count":
        if (exposure_a is None) != (exposure_b is None):
            raise CdpParameterError("give both denominator_a and denominator_b, or neither (equal exposures)")
        ea = 1.0 if exposure_a is None else exposure_a
        eb = 1.0 if exposure_b is None else exposure_b
        res = rate_ratio_test(value_a, ea, value_b, eb, confidence=c)
        la, lb = (
            np.broadcast_to(np.asarray(label_a, dtype=object), len(res)),
            np.broadcast_to(np.asarray(label_b, dtype=object), len(res)),
        )
        show_rates = multiplier is not None and exposure_a is not None
        for i, row in enumerate(res.itertuples(index=False)):
            first = f"{_fmt_number(row.count_a)}{noun} in {la[i]}"
            second = f"{_fmt_number(row.count_b)} in {lb[i]}"
            if show_rates:
                unit = f" {rate_unit}" if rate_unit else ""
                first += f" ({_fmt_rate(row.count_a / row.exposure_a * multiplier, multiplier)}{unit})"
                second += f" ({_fmt_rate(row.count_b / row.exposure_b * multiplier, multiplier)}{unit})"
            if np.isnan(row.ratio):
                stats = f"no events in either, so no rate ratio; {_fmt_p(row.p_value)}"
            elif np.isinf(row.ratio):
                stats = f"rate ratio not defined as there were none in {lb[i]}; {_fmt_p(row.p_value)}"
            else:
                upper = "infinity" if np.isinf(row.upper) else f"{row.upper:.2f}"
                stats = f"rate ratio {row.ratio:.2f}, {level} CI {row.lower:.2f} to {upper}, {_fmt_p(row.p_value)}"
            direction = (row.count_a / row.exposure_a) - (row.count_b / row.exposure_b)
            if small_numbers and not enough_events(row.count_a + row.count_b)[0]:
                what = measure or "events"
                sentences.append(f"{first} against {second}: a change cannot be calculated (fewer than "
                                 f"{MIN_EVENTS} {what} in the two periods together)")
                continue
            sentences.append(
                f"{first} against {second}: {_verdict(bool(row.significant), direction)} ({stats})"
            )
    elif kind in ("proportion", "percent"):
        if denominator_a is None or denominator_b is None:
            raise CdpParameterError(f"describe_change(kind={kind!r}) needs denominator_a and denominator_b")
        xa, xb = np.asarray(value_a, dtype=float), np.asarray(value_b, dtype=float)
        if kind == "percent":
            for name, v in (("value_a", xa), ("value_b", xb)):
                if np.any(~np.isfinite(v)) or np.any((v < 0) | (v > 100)):
                    raise CdpInputError("a percentage must lie between 0 and 100", column=name, value=v)
            xa = np.round(xa * np.asarray(denominator_a, dtype=float) / 100)
            xb = np.round(xb * np.asarray(denominator_b, dtype=float) / 100)
        res = proportion_difference_test(xa, denominator_a, xb, denominator_b, confidence=c)
        la, lb = (
            np.broadcast_to(np.asarray(label_a, dtype=object), len(res)),
            np.broadcast_to(np.asarray(label_b, dtype=object), len(res)),
        )
        for i, row in enumerate(res.itertuples(index=False)):
            first = (
                f"{_fmt_number(row.x_a)} of {_fmt_number(row.n_a)}{noun} ({row.proportion_a:.1%}) in {la[i]}"
            )
            second = f"{_fmt_number(row.x_b)} of {_fmt_number(row.n_b)} ({row.proportion_b:.1%}) in {lb[i]}"
            stats = (
                f"difference {row.difference * 100:+.1f} percentage points, {level} CI "
                f"{row.lower * 100:+.1f} to {row.upper * 100:+.1f}, {_fmt_p(row.p_value)}"
            )
            sentences.append(
                f"{first} against {second}: {_verdict(bool(row.significant), row.difference)} ({stats})"
            )
    else:
        raise CdpParameterError(f"kind must be 'count', 'proportion' or 'percent', not {kind!r}")
    if scalar:
        return sentences[0]
    return pd.Series(sentences, index=res.index, name="sentence")
