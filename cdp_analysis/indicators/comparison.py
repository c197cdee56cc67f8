"""Comparison with a benchmark (Fingertips' RAG rating) and the recent-trend test.

Labels, and how they map to Fingertips:

==================  ==========================  ==============================
polarity            benchmark outside, above    Fingertips label
==================  ==========================  ==============================
higher_is_better    area higher -> "better"     Better
higher_is_better    area lower  -> "worse"      Worse
lower_is_better     area higher -> "worse"      Worse
lower_is_better     area lower  -> "better"     Better
neutral             "higher" / "lower"          Higher / Lower (no judgement)
any                 inside -> "similar"         Same / Similar
==================  ==========================  ==============================
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cdp_analysis.errors import CdpInputError, CdpParameterError
from cdp_analysis.indicators._validate import as_list, check_frame, group_rows, numeric

__all__ = ["compare", "benchmark_comparison", "recent_trend", "POLARITIES"]

POLARITIES = ("higher_is_better", "lower_is_better", "neutral")
#: chi-square(1 df) 99.8% point, 3.090232^2: Fingertips' recent-trend threshold.
TREND_THRESHOLD = 9.549535568


def _check_polarity(polarity: str) -> str:
    if polarity not in POLARITIES:
        raise CdpParameterError(f"polarity must be one of {', '.join(POLARITIES)}; got {polarity!r}")
    return polarity


def benchmark_comparison(
    lower: Any, upper: Any, benchmark: Any, polarity: str = "neutral"
) -> np.ndarray:
    """Fingertips' comparison of an area's interval with a benchmark value.

    The benchmark *value* (e.g. England) is tested against the *area's* confidence
    interval: inside ``[lower, upper]`` (bounds included) is ``"similar"``; otherwise
    the area is higher (``lower > benchmark``) or lower (``upper < benchmark``),
    reported as ``"better"``/``"worse"`` by the metric's polarity or as
    ``"higher"``/``"lower"`` when it is ``"neutral"``. Missing limits or benchmark
    give ``"not compared"``.

    Parameters
    ----------
    lower, upper : array-like
        The area's confidence limits (same units as the benchmark).
    benchmark : float or array-like
        Benchmark value(s).
    polarity : {"higher_is_better", "lower_is_better", "neutral"}, default "neutral"
        From the metric catalogue.

    Returns
    -------
    numpy.ndarray
        Labels (object array).

    References
    ----------
    OHID, Fingertips technical guidance: "Comparing an indicator value with a
    benchmark" (single overlapping confidence interval method, 95% or 99.8%).

    Examples
    --------
    >>> from cdp_analysis import indicators as ind
    >>> ind.benchmark_comparison([50.2, 60.0, 1.0], [82.8, 70.0, 2.0], 55.0,
    ...                          "lower_is_better").tolist()
    ['similar', 'worse', 'better']
    >>> ind.benchmark_comparison([60.0], [70.0], 55.0).tolist()
    ['higher']
    """
    _check_polarity(polarity)
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    b = np.broadcast_to(np.asarray(benchmark, dtype=float), np.broadcast_shapes(lo.shape, hi.shape))
    above = lo > b
    below = hi < b
    up, down = {"higher_is_better": ("better", "worse"), "lower_is_better": ("worse", "better"),
                "neutral": ("higher", "lower")}[polarity]
    out = np.where(above, up, np.where(below, down, "similar")).astype(object)
    missing = np.isnan(lo) | np.isnan(hi) | np.isnan(b)
    out[missing] = "not compared"
    return out


def compare(
    df: pd.DataFrame,
    benchmark: float | str | Sequence[float],
    polarity: str = "neutral",
    level: float = 0.95,
    lower: str | None = None,
    upper: str | None = None,
) -> pd.DataFrame:
    """Add Fingertips' benchmark comparison to a result frame (column ``comparison``).

    See :func:`benchmark_comparison` for the rule. The limits are taken from the
    columns of ``level`` (``lower_95``/``upper_95`` or ``lower_99_8``/``upper_99_8``)
    unless ``lower`` and ``upper`` name them.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame from :func:`rate`, :func:`proportion`, :func:`dsr` ... or any frame
        with limit columns.
    benchmark : float, str or array-like
        A value, the name of a column of ``df`` (e.g. the England value joined on), or
        one value per row.
    polarity : {"higher_is_better", "lower_is_better", "neutral"}, default "neutral"
        The metric's polarity.
    level : float, default 0.95
        Which limits to use (0.95 or 0.998 in Fingertips).
    lower, upper : str, optional
        Explicit limit columns.

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` with ``comparison``.

    References
    ----------
    OHID, Fingertips technical guidance: comparing with a benchmark.

    Examples
    --------
    >>> import pandas as pd
    >>> from cdp_analysis import indicators as ind
    >>> deaths = ind.rate(pd.DataFrame({"count": [59, 12], "denominator": [780_000, 40_000]}))
    >>> ind.compare(deaths, benchmark=9.0, polarity="lower_is_better")["comparison"].tolist()
    ['similar', 'worse']
    """
    from cdp_analysis.indicators._validate import level_suffix

    sfx = level_suffix(level)
    lower = lower or f"lower_{sfx}"
    upper = upper or f"upper_{sfx}"
    cols = [lower, upper] + ([benchmark] if isinstance(benchmark, str) else [])
    check_frame(df, cols)
    lo = numeric(df, lower, minimum=None, allow_nan=True)
    hi = numeric(df, upper, minimum=None, allow_nan=True)
    if isinstance(benchmark, str):
        b = numeric(df, benchmark, minimum=None, allow_nan=True)
    else:
        b = np.asarray(benchmark, dtype=float)
        if b.ndim and len(b) != len(df):
            raise CdpInputError(
                f"benchmark has {len(b)} values for {len(df)} rows", column="benchmark", expected="one per row"
            )
    out = df.copy()
    out["comparison"] = benchmark_comparison(lo, hi, b, polarity)
    return out


def _period_order(labels: pd.Series) -> np.ndarray:
    """Sort codes of period labels: by start date when every label parses, else lexically."""
    codes, uniques = pd.factorize(labels, use_na_sentinel=False)
    try:
        from cdp_analysis.periods import Period

        keys = [Period.parse(str(u)).start for u in uniques]
        rank = np.argsort(np.argsort(np.array(keys, dtype="datetime64[D]"), kind="stable"), kind="stable")
    except Exception:  # not all labels are Period labels: order them as text/numbers
        rank = np.argsort(np.argsort(pd.Index(uniques).astype(str), kind="stable"), kind="stable")
    return rank[codes]


def _wls(t: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least-squares slope and its chi-square along the last axis (w=0 drops)."""
    sw = w.sum(-1)
    tbar = (w * t).sum(-1) / sw
    ybar = (w * y).sum(-1) / sw
    dt = t - tbar[..., None]
    sxx = (w * dt * dt).sum(-1)
    slope = (w * dt * (y - ybar[..., None])).sum(-1) / sxx
    return slope, slope * slope * sxx


def _chi_trend(t: np.ndarray, x: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chi-square test for linear trend in proportions (n=0 drops a point)."""
    N = n.sum(-1)
    p = x.sum(-1) / N
    tbar = (n * t).sum(-1) / N
    dt = t - tbar[..., None]
    T = (x * dt).sum(-1)
    sxx = (n * dt * dt).sum(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        chi = T * T / (p * (1 - p) * sxx)
        slope = T / sxx  # weighted LS slope of x/n on t, weights n (fraction per period)
    return slope, chi


def recent_trend(
    df: pd.DataFrame,
    value: str = "value",
    lower: str = "lower_95",
    upper: str = "upper_95",
    period: str = "period",
    by: str | Sequence[str] | None = None,
    numerator: str | None = None,
    denominator: str | None = None,
    polarity: str = "neutral",
    points: int = 5,
    threshold: float = TREND_THRESHOLD,
) -> pd.DataFrame:
    """Fingertips' recent trend of the latest ``points`` (5) values of each series.

    The latest 5 periods of each group are tested for a linear trend over time
    (scores :math:`t = 0..4`, one per period, equally spaced):

    * proportions (``numerator`` and ``denominator`` given): the chi-square test for
      linear trend in proportions, :math:`\\chi^2 = T^2 / (\\bar p(1-\\bar p) S_{tt})`
      with :math:`T = \\sum x_i (t_i - \\bar t)`, :math:`\\bar t = \\sum n_i t_i/\\sum n_i`,
      :math:`S_{tt} = \\sum n_i (t_i - \\bar t)^2`, :math:`\\bar p = \\sum x_i / \\sum n_i`;
    * other values: inverse-variance weighted regression of ``value`` on :math:`t`
      with :math:`SE_i = (\\text{upper}_i - \\text{lower}_i)/(2 \\times 1.959964)` from
      the 95% limits, :math:`\\chi^2 = b^2 / \\mathrm{var}(b)`.

    The proportion statistic is the score (Cochran-Armitage) test of the slope of a
    logistic regression of the proportion on time; an implementation that fits the
    logistic regression and uses its Wald or likelihood-ratio statistic agrees
    asymptotically but can differ for series close to the threshold. Periods are taken
    as equally spaced (consecutive years, as Fingertips requires).

    A trend is significant when :math:`\\chi^2 > 9.5495` (the 99.8% point of
    :math:`\\chi^2_1`) **and** the slope keeps its sign when each of the 5 points is
    dropped in turn. Fewer than 5 points: ``"cannot be calculated"``.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per group and period.
    value, lower, upper : str
        Value and 95% limit columns (regression method).
    period : str, default "period"
        Period labels; ordered by start date when they are DESIGN §3 labels, else as text.
    by : str or sequence of str, optional
        Series identifiers (e.g. ``"area_code"``).
    numerator, denominator : str, optional
        Counts of a proportion: use the chi-square test for trend.
    polarity : {"higher_is_better", "lower_is_better", "neutral"}, default "neutral"
        Adds "and getting better/worse" to a significant trend.
    points : int, default 5
        Number of latest points used (and required).
    threshold : float, default 9.5495
        Chi-square threshold.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``by`` columns, ``n_points``, ``from_period``,
        ``to_period``, ``slope`` (value units per period; a fraction of 1 for
        proportions), ``chi_square``, ``trend`` (``"increasing"``, ``"decreasing"``,
        ``"no significant change"``, ``"cannot be calculated"``), ``label`` (e.g.
        ``"increasing and getting worse"``) and ``method``.

    References
    ----------
    OHID, Fingertips technical guidance: recent trends (chi-squared test for trend over
    the five most recent points, 99.8% level). Altman DG (1991). Practical Statistics
    for Medical Research, §10.7.4 (chi-squared test for trend in proportions).

    Examples
    --------
    >>> import pandas as pd
    >>> from cdp_analysis import indicators as ind
    >>> df = pd.DataFrame({"period": ["2019", "2020", "2021", "2022", "2023"],
    ...                    "x": [300, 340, 380, 420, 470], "n": [1000] * 5})
    >>> out = ind.recent_trend(df, numerator="x", denominator="n", polarity="higher_is_better")
    >>> out[["trend", "label"]].iloc[0].tolist()
    ['increasing', 'increasing and getting better']
    """
    _check_polarity(polarity)
    by_cols = as_list(by)
    is_prop = numerator is not None or denominator is not None
    if is_prop and (numerator is None or denominator is None):
        raise CdpParameterError("give both numerator and denominator for the proportion trend test")
    cols = [period, *by_cols] + ([numerator, denominator] if is_prop else [value, lower, upper])
    check_frame(df, cols)
    if is_prop:
        a = numeric(df, numerator)
        b = numeric(df, denominator, strictly_positive=True)
        if (a > b).any():
            raise CdpInputError("numerator is above its denominator", row=list(df.index[a > b]), column=numerator)
    else:
        a = numeric(df, value, minimum=None, allow_nan=True)
        lo = numeric(df, lower, minimum=None, allow_nan=True)
        hi = numeric(df, upper, minimum=None, allow_nan=True)
        b = (hi - lo) / (2 * 1.959963984540054)
    groups = group_rows(df, by_cols)
    porder = _period_order(df[period])
    order = np.lexsort((porder, groups.codes))
    g_sorted = groups.codes[order]
    p_sorted = porder[order]
    dup = np.zeros(len(order), dtype=bool)
    dup[1:] = (g_sorted[1:] == g_sorted[:-1]) & (p_sorted[1:] == p_sorted[:-1])
    if dup.any():
        dup_rows = np.zeros(len(order), dtype=bool)
        dup_rows[order[dup]] = True
        dup_rows[order[np.flatnonzero(dup) - 1]] = True
        raise CdpInputError("period repeated within a series", row=list(df.index[dup_rows]), column=period)
    G, k = groups.n, points
    count = np.bincount(groups.codes, minlength=G)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    pos_from_end = count[g_sorted] - (np.arange(len(order)) - start[g_sorted])  # 1 = latest
    keep = pos_from_end <= k
    col = k - pos_from_end[keep]
    A = np.full((G, k), np.nan)
    B = np.full((G, k), np.nan)
    A[g_sorted[keep], col] = a[order][keep]
    B[g_sorted[keep], col] = b[order][keep]
    periods = df[period].to_numpy()[order][keep]
    first_p = np.full(G, None, dtype=object)
    last_p = np.full(G, None, dtype=object)
    gk = g_sorted[keep]
    last_p[gk[col == k - 1]] = periods[col == k - 1]
    # earliest of the points used
    first_idx = np.full(G, -1)
    np.maximum.at(first_idx, gk, -col)  # smallest col per group
    for_first = col == -first_idx[gk]
    first_p[gk[for_first]] = periods[for_first]

    t = np.arange(k, dtype=float)
    usable = (count >= k) & np.isfinite(A).all(1) & np.isfinite(B).all(1)
    if not is_prop:
        usable &= (B > 0).all(1)
    A0 = np.where(usable[:, None], A, 0.5)
    B0 = np.where(usable[:, None], B, 1.0)
    drop = 1.0 - np.eye(k)  # leave-one-out masks
    with np.errstate(divide="ignore", invalid="ignore"):
        if is_prop:
            slope, chi = _chi_trend(t, A0, B0)
            s_loo, _ = _chi_trend(t, A0[:, None, :] * drop, B0[:, None, :] * drop)
        else:
            w = 1.0 / (B0 * B0)
            slope, chi = _wls(t, A0, w)
            s_loo, _ = _wls(t, A0[:, None, :], w[:, None, :] * drop)
    stable = (np.sign(s_loo) == np.sign(slope)[:, None]).all(1) & (slope != 0)
    significant = usable & (chi > threshold) & stable
    trend = np.where(
        ~usable,
        "cannot be calculated",
        np.where(significant, np.where(slope > 0, "increasing", "decreasing"), "no significant change"),
    ).astype(object)
    label = trend.copy()
    if polarity != "neutral":
        good_up = polarity == "higher_is_better"
        better = (slope > 0) == good_up
        sig = trend != "no significant change"
        sig &= trend != "cannot be calculated"
        label[sig & better] = trend[sig & better] + " and getting better"
        label[sig & ~better] = trend[sig & ~better] + " and getting worse"
    out = groups.keys.copy()
    out["n_points"] = np.minimum(count, k)
    out["from_period"] = first_p
    out["to_period"] = last_p
    out["slope"] = np.where(usable, slope, np.nan)
    out["chi_square"] = np.where(usable, chi, np.nan)
    out["trend"] = trend
    out["label"] = label
    out["method"] = "chi-square test for trend" if is_prop else "weighted regression"
    return out
