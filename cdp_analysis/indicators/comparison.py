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
from cdp_analysis.vocabulary import renamed

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


@renamed(level="confidence")
def compare(
    df: pd.DataFrame,
    benchmark: float | str | Sequence[float],
    polarity: str | None = None,
    confidence: float = 0.95,
    lower: str | None = None,
    upper: str | None = None,
    *,
    metric: str | None = None,
    area: str = "area_code",
) -> pd.DataFrame:
    """Add Fingertips' benchmark comparison to a result frame (column ``comparison``).

    See :func:`benchmark_comparison` for the rule. The limits are taken from the
    columns of ``confidence`` (``lower_95``/``upper_95`` or ``lower_99_8``/``upper_99_8``)
    unless ``lower`` and ``upper`` name them.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame from :func:`rate`, :func:`proportion`, :func:`dsr` ... or any frame
        with limit columns.
    benchmark : float, str or array-like
        A value; the name of a column of ``df`` (e.g. the England value joined on); one
        value per row; or a **benchmark area**: a code found in ``df[area]`` (for instance
        ``"E92000001"`` in a frame of every area and England), whose own ``value`` is the
        benchmark for every row of the same period (``period`` column, when there is one).
    polarity : {"higher_is_better", "lower_is_better", "neutral"}, optional
        The metric's polarity. Default: read from the metric catalogue (``metrics.csv``)
        for ``metric`` (or the frame's single ``metric_id``), else ``"neutral"``.
    confidence : float, default 0.95
        Which limits to use (0.95 or 0.998 in Fingertips).
    lower, upper : str, optional
        Explicit limit columns.
    metric : str, optional
        Metric id whose catalogue polarity is used.
    area : str, default "area_code"
        The column holding area codes, for a benchmark area.

    Returns
    -------
    Comparison
        A copy of ``df`` with ``comparison``, ``benchmark`` (the value compared with),
        ``benchmark_name`` (the benchmark area's name, the column's name or
        ``"benchmark"``) and ``confidence`` (the level whose limits were used); ``attrs``
        holds ``polarity``, ``confidence``, ``lower`` and ``upper``. Shows itself in
        JupyterLab with a sentence per row.

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

    With England in the frame, named as the benchmark area, and the catalogue's polarity:

    >>> areas = pd.DataFrame({"area_code": ["E06000058", "E06000059", "E92000001"],
    ...                       "count": [80, 20, 2846], "denominator": [400_000, 380_000, 56_000_000]})
    >>> c = ind.compare(ind.rate(areas), "E92000001", metric="drug_misuse_deaths")
    >>> c[["area_code", "comparison", "benchmark_name"]].values.tolist()
    [['E06000058', 'worse', 'England'], ['E06000059', 'similar', 'England'], ['E92000001', 'similar', 'England']]
    >>> round(float(c["benchmark"].iloc[0]), 2), c.attrs["polarity"], float(c["confidence"].iloc[0])
    (5.08, 'lower_is_better', 0.95)
    """
    from cdp_analysis.indicators._validate import level_suffix
    from cdp_analysis.results import Comparison

    sfx = level_suffix(confidence)
    lower = lower or f"lower_{sfx}"
    upper = upper or f"upper_{sfx}"
    polarity = _catalogue_polarity(df, polarity, metric)
    is_column = isinstance(benchmark, str) and benchmark in df.columns
    is_area = isinstance(benchmark, str) and not is_column
    cols = [lower, upper] + ([benchmark] if is_column else []) + (["value", area] if is_area else [])
    check_frame(df, cols)
    lo = numeric(df, lower, minimum=None, allow_nan=True)
    hi = numeric(df, upper, minimum=None, allow_nan=True)
    name = "benchmark"
    if is_column:
        b = numeric(df, benchmark, minimum=None, allow_nan=True)
        name = str(benchmark)
    elif is_area:
        b, name = _benchmark_area(df, str(benchmark), area)
    else:
        b = np.asarray(benchmark, dtype=float)
        if b.ndim and len(b) != len(df):
            raise CdpInputError(
                f"benchmark has {len(b)} values for {len(df)} rows", column="benchmark", expected="one per row"
            )
    out = df.copy()
    out["comparison"] = benchmark_comparison(lo, hi, b, polarity)
    out["benchmark"] = np.broadcast_to(np.asarray(b, dtype=float), (len(df),)).copy()
    out["benchmark_name"] = name
    out["confidence"] = float(confidence)
    out.attrs.update(polarity=polarity, confidence=float(confidence), lower=lower, upper=upper)
    return Comparison.wrap(out)


def _catalogue_polarity(df: pd.DataFrame, polarity: str | None, metric: str | None) -> str:
    """The polarity given, else the catalogue's for ``metric`` (or the frame's one metric_id)."""
    if polarity is not None:
        return _check_polarity(polarity)
    if metric is None and "metric_id" in df.columns and df["metric_id"].nunique() == 1:
        metric = str(df["metric_id"].iloc[0])
    if metric is None:
        return "neutral"
    from cdp_analysis.metrics import get_metric

    p = get_metric(metric).polarity
    return p if p in POLARITIES else "neutral"


def _benchmark_area(df: pd.DataFrame, code: str, area: str) -> tuple[np.ndarray, str]:
    """The benchmark area's value for each row (by period when there is a period column)."""
    rows = df[df[area].astype(str) == code]
    if rows.empty:
        from cdp_analysis.reference import suggest

        raise CdpParameterError(
            f"benchmark {code!r} is neither a column nor an area in column {area!r}"
            + suggest(code, [*map(str, df.columns), *map(str, df[area].unique())])
        )
    from cdp_analysis.areas import name_or_code

    name = name_or_code(code)  # an area outside the shipped reference: its code names it
    if "period" in df.columns:
        if rows["period"].duplicated().any():
            raise CdpInputError(f"the benchmark area {code} has more than one row for a period",
                                column="period", expected="one row per period")
        by_period = dict(zip(rows["period"], pd.to_numeric(rows["value"], errors="coerce"), strict=True))
        return np.array([by_period.get(p, np.nan) for p in df["period"]], dtype=float), name
    if len(rows) > 1:
        raise CdpInputError(f"the benchmark area {code} has {len(rows)} rows", column=area,
                            expected="one row (or a period column)")
    return np.full(len(df), float(pd.to_numeric(rows["value"], errors="coerce").iloc[0])), name


def _period_bounds(labels: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """First and last month ordinals of each period label, or None when any label is not a period."""
    from cdp_analysis.periods import Period

    codes, uniques = pd.factorize(labels, use_na_sentinel=False)
    try:
        parsed = [Period.parse(str(u)) for u in uniques]
    except Exception:  # not all labels are DESIGN section 3 labels: order them as text, equally spaced
        return None
    first = np.array([p.first for p in parsed], dtype=np.int64)
    last = np.array([p.last for p in parsed], dtype=np.int64)
    return first[codes], last[codes]


def _text_order(labels: pd.Series) -> np.ndarray:
    """Rank of each label as text (labels that are not periods), 0 = earliest."""
    codes, uniques = pd.factorize(labels, use_na_sentinel=False)
    rank = np.argsort(np.argsort(pd.Index(uniques).astype(str), kind="stable"), kind="stable")
    return rank[codes]


def _chain(rows: np.ndarray, first: np.ndarray, last: np.ndarray, k: int) -> tuple[list[int], bool]:
    """The latest ``k`` consecutive, non-overlapping periods among ``rows`` (oldest first).

    Starting from the latest period, each earlier one must end the month before the next
    starts and be as long; a missing one ends the run. Returns the rows and whether periods
    were skipped because they overlap the ones chosen (rolling pools).
    """
    latest = rows[np.lexsort((first[rows], last[rows]))[-1]]
    length = last[latest] - first[latest]
    by_last = {int(last[r]): r for r in rows if last[r] - first[r] == length}
    chain = [int(latest)]
    while len(chain) < k:
        prev = by_last.get(int(first[chain[-1]]) - 1)
        if prev is None:
            break
        chain.append(int(prev))
    f, la = first[rows], last[rows]
    order = np.argsort(f, kind="stable")
    overlapping = bool(np.any(f[order][1:] <= la[order][:-1]))
    return chain[::-1], overlapping


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


@renamed(numerator="count")
def recent_trend(
    df: pd.DataFrame,
    value: str = "value",
    lower: str = "lower_95",
    upper: str = "upper_95",
    period: str = "period",
    by: str | Sequence[str] | None = None,
    count: str | None = None,
    denominator: str | None = None,
    polarity: str = "neutral",
    points: int = 5,
    threshold: float = TREND_THRESHOLD,
) -> pd.DataFrame:
    """Fingertips' recent trend of the latest ``points`` (5) consecutive periods of each series.

    **Which points.** The latest ``points`` periods that follow one another without a gap
    and without overlapping: starting from the latest period, each earlier one must end
    the month before the next starts and be as long. Rolling pools that share years
    (``2015-2017``, ``2016-2018``, ...) are therefore never tested together: from a series
    of them the non-overlapping pools ``2007-2009`` ... ``2019-2021`` are used (consecutive
    pools share two thirds of their deaths, so testing them as independent points
    inflates the false-positive rate about fourfold). A period with no figure (missing or
    suppressed) ends the run, as Fingertips requires an unbroken run of valid values.
    Periods with a zero count are kept.

    **Time in real units.** Each point sits at the middle of its period, in years, so the
    slope is per year (non-overlapping 3-year pools are 3 years apart).

    **The test**, with :math:`t_i` the times:

    * proportions (``numerator`` and ``denominator`` given): the chi-square test for
      linear trend in proportions, :math:`\\chi^2 = T^2 / (\\bar p(1-\\bar p) S_{tt})`
      with :math:`T = \\sum x_i (t_i - \\bar t)`, :math:`\\bar t = \\sum n_i t_i/\\sum n_i`,
      :math:`S_{tt} = \\sum n_i (t_i - \\bar t)^2`, :math:`\\bar p = \\sum x_i / \\sum n_i`;
    * other values: inverse-variance weighted regression of ``value`` on :math:`t`
      with :math:`SE_i = (\\text{upper}_i - \\text{lower}_i)/(2 \\times 1.959964)` from
      the 95% limits, :math:`\\chi^2 = b^2 / \\mathrm{var}(b)`.

    A trend is significant when :math:`\\chi^2 > 9.5495` (the 99.8% point of
    :math:`\\chi^2_1`) **and** the slope keeps its sign when each point is dropped in turn.

    **Small numbers** (:mod:`cdp_analysis.indicators.small_numbers`): "cannot be
    calculated" when there are fewer than ``points`` such periods, or, when the counts are
    known (``count``, with or without ``denominator``), fewer than 10 events in
    total over them. ``reason`` says which.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per group and period.
    value, lower, upper : str
        Value and 95% limit columns (regression method).
    period : str, default "period"
        Period labels (docs/design.md §3). Labels that are not periods are ordered as text and
        taken as equally spaced, one unit apart (``slope`` is then per period).
    by : str or sequence of str, optional
        Series identifiers (e.g. ``"area_code"``).
    count, denominator : str, optional
        Count and denominator columns of a proportion: with both, the chi-square test for
        trend. ``count`` alone: the event counts behind each value (regression method), for
        the small-number rule. (``numerator`` is the retired name of ``count``.)
    polarity : {"higher_is_better", "lower_is_better", "neutral"}, default "neutral"
        Adds "and getting better/worse" to a significant trend.
    points : int, default 5
        Number of latest points used (and required).
    threshold : float, default 9.5495
        Chi-square threshold.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``by`` columns, ``n_points`` (consecutive periods available,
        at most ``points``), ``from_period``, ``to_period``, ``slope`` (value units per
        year; a fraction of 1 per year for proportions), ``chi_square``, ``trend``
        (``"increasing"``, ``"decreasing"``, ``"no significant change"``, ``"cannot be
        calculated"``), ``label`` (e.g. ``"increasing and getting worse"``), ``reason``
        (why it cannot be calculated, else empty) and ``method``.

    References
    ----------
    OHID, Fingertips technical guidance: recent trends (chi-squared test for trend over
    the five most recent points, 99.8% level; single-year periods; an unbroken run of
    valid values). Altman DG (1991). Practical Statistics for Medical Research, §10.7.4
    (chi-squared test for trend in proportions).

    Examples
    --------
    >>> import pandas as pd
    >>> from cdp_analysis import indicators as ind
    >>> df = pd.DataFrame({"period": ["2019", "2020", "2021", "2022", "2023"],
    ...                    "x": [300, 340, 380, 420, 470], "n": [1000] * 5})
    >>> out = ind.recent_trend(df, count="x", denominator="n", polarity="higher_is_better")
    >>> out[["trend", "label"]].iloc[0].tolist()
    ['increasing', 'increasing and getting better']

    Too few deaths for a trend (Rutland's latest five years):

    >>> d = pd.DataFrame({"period": [str(y) for y in range(2016, 2021)], "value": [3, 1, 0, 0, 0]})
    >>> lims = ind.poisson_limits(d["value"].to_numpy(float))
    >>> d["lower_95"], d["upper_95"] = lims[0], lims[1]
    >>> r = ind.recent_trend(d, count="value").iloc[0]
    >>> r["trend"], r["reason"]
    ('cannot be calculated', 'fewer than 10 events in total in 2016 to 2020')
    """
    from cdp_analysis.indicators.small_numbers import MIN_EVENTS

    _check_polarity(polarity)
    by_cols = as_list(by)
    is_prop = denominator is not None
    numerator = count if is_prop else None
    if is_prop and count is None:
        raise CdpParameterError("give both count and denominator for the proportion trend test")
    cols = [period, *by_cols] + ([numerator, denominator] if is_prop else [value, lower, upper])
    if count is not None and not is_prop:
        cols.append(count)
    check_frame(df, list(dict.fromkeys(cols)))
    if is_prop:
        a = numeric(df, numerator, allow_nan=True)
        b = numeric(df, denominator, strictly_positive=True, allow_nan=True)
        if (a > b).any():
            raise CdpInputError("numerator is above its denominator", row=list(df.index[a > b]), column=numerator)
        events = a
    else:
        a = numeric(df, value, minimum=None, allow_nan=True)
        lo = numeric(df, lower, minimum=None, allow_nan=True)
        hi = numeric(df, upper, minimum=None, allow_nan=True)
        b = (hi - lo) / (2 * 1.959963984540054)
        events = numeric(df, count, allow_nan=True) if count is not None else None
    groups = group_rows(df, by_cols)
    bounds = _period_bounds(df[period])
    if bounds is None:
        rank = _text_order(df[period])
        first, last = rank.astype(np.int64), rank.astype(np.int64)
        months_per_unit = 1.0
    else:
        first, last = bounds
        months_per_unit = 12.0
    order = np.lexsort((first, last, groups.codes))
    g_sorted = groups.codes[order]
    key = np.stack([first[order], last[order]])
    dup = np.zeros(len(order), dtype=bool)
    dup[1:] = (g_sorted[1:] == g_sorted[:-1]) & (key[:, 1:] == key[:, :-1]).all(0)
    if dup.any():
        dup_rows = np.zeros(len(order), dtype=bool)
        dup_rows[order[dup]] = True
        dup_rows[order[np.flatnonzero(dup) - 1]] = True
        raise CdpInputError("period repeated within a series", row=list(df.index[dup_rows]), column=period)
    G, k = groups.n, points
    labels = df[period].to_numpy()
    A = np.full((G, k), np.nan)
    B = np.full((G, k), np.nan)
    T = np.tile(np.arange(k, dtype=float), (G, 1))
    E = np.full((G, k), np.nan)
    n_points = np.zeros(G, dtype=int)
    first_p = np.full(G, None, dtype=object)
    last_p = np.full(G, None, dtype=object)
    reason = np.full(G, "", dtype=object)
    bounds_g = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1], True])
    for s0, s1 in zip(bounds_g[:-1], bounds_g[1:], strict=True):
        g = g_sorted[s0]
        rows = order[s0:s1]
        chain, overlapping = _chain(rows, first, last, k)
        # a period without a figure ends the run (Fingertips: an unbroken run of valid values)
        valid = np.isfinite(a[chain]) & np.isfinite(b[chain])
        if events is not None:
            valid &= np.isfinite(events[chain])
        run = len(chain) - (np.flatnonzero(~valid)[-1] + 1 if (~valid).any() else 0)
        chain = chain[len(chain) - run:]
        n_points[g] = run
        if run:
            first_p[g], last_p[g] = labels[chain[0]], labels[chain[-1]]
        if run < k:
            kind = "consecutive non-overlapping periods" if overlapping else "consecutive periods"
            reason[g] = f"only {run} {kind} with a figure ({k} needed)"
            continue
        A[g], B[g] = a[chain], b[chain]
        T[g] = (first[chain] + last[chain]) / 2.0 / months_per_unit
        if events is not None:
            E[g] = events[chain]
    usable = reason == ""
    if not is_prop:
        no_se = usable & ~(B > 0).all(1)
        reason[no_se] = "a period has no confidence interval"
        usable &= ~no_se
    if events is not None:
        few = usable & ~(np.nansum(E, 1) >= MIN_EVENTS)
        for g in np.flatnonzero(few):
            reason[g] = f"fewer than {MIN_EVENTS} events in total in {first_p[g]} to {last_p[g]}"
        usable &= ~few
    A0 = np.where(usable[:, None], A, 0.5)
    B0 = np.where(usable[:, None], B, 1.0)
    T0 = T - T.mean(1, keepdims=True)  # centred: the slope is unchanged, the sums are better conditioned
    drop = 1.0 - np.eye(k)  # leave-one-out masks
    with np.errstate(divide="ignore", invalid="ignore"):
        if is_prop:
            slope, chi = _chi_trend(T0, A0, B0)
            s_loo, _ = _chi_trend(T0[:, None, :], A0[:, None, :] * drop, B0[:, None, :] * drop)
        else:
            w = 1.0 / (B0 * B0)
            slope, chi = _wls(T0, A0, w)
            s_loo, _ = _wls(T0[:, None, :], A0[:, None, :], w[:, None, :] * drop)
    no_var = usable & ~np.isfinite(chi)
    reason[no_var] = "no variation to test (every period the same proportion of 0 or 1)"
    usable &= ~no_var
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
        sig = significant
        label[sig & better] = trend[sig & better] + " and getting better"
        label[sig & ~better] = trend[sig & ~better] + " and getting worse"
    out = groups.keys.copy()
    out["n_points"] = n_points
    out["from_period"] = first_p
    out["to_period"] = last_p
    out["slope"] = np.where(usable, slope, np.nan)
    out["chi_square"] = np.where(usable, chi, np.nan)
    out["trend"] = trend
    out["label"] = label
    out["reason"] = reason
    out["method"] = "chi-square test for trend" if is_prop else "weighted regression"
    return out
