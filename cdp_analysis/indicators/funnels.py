"""Funnel plots: control limits, chart points and significance (proportions, ratios,
crude rates and DSRs), after the Fingertips technical guidance.

The 95% limits are the "2 sigma" lines (tail probability 0.025 each side) and the 99.8%
limits the "3 sigma" lines (0.001 each side). Count limits here use exact gamma
quantiles; the peer packages find the same points by bisection (agreement ~1e-5).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdp_analysis.errors import CdpInputError, CdpParameterError
from cdp_analysis.indicators._limits import exact_poisson_limits, z_value
from cdp_analysis.indicators._validate import check_frame, check_multiplier, numeric
from cdp_analysis.indicators.rates import count_limits
from cdp_analysis.vocabulary import renamed

__all__ = ["derived_denominator", "funnel_limits", "funnel_significance", "funnel_points"]

LEVELS = ((0.95, "95", "0.025"), (0.998, "99_8", "0.001"))
NOT_APPLICABLE = "Not applicable for events less than 10 for DSRs"


def _floor_1sig(v: float) -> float:
    """Round down to one significant digit of the integer part (0 below 1)."""
    if v < 1:
        return 0.0
    k = 10 ** (len(str(math.floor(v))) - 1)
    return float(math.floor(v / k) * k)


def _ceil_2sig(v: float) -> float:
    """Round up to two significant digits of the integer part."""
    k = 10 ** max(len(str(math.floor(v))) - 2, 0)
    return float(math.ceil(v / k) * k)


def _axis(values: np.ndarray) -> tuple[float, float]:
    lo, hi = float(values.min()), float(values.max())
    minimum = 0.0 if hi > 2 * lo else _floor_1sig(0.95 * lo)
    return minimum, _ceil_2sig(1.05 * hi)


def _grid(minimum: float, maximum: float, n_points: int, offset: int = 0) -> np.ndarray:
    """Geometric-ish grid of whole numbers from max(1, minimum) towards ``maximum``.

    Point j (2..n) is max(previous + 1, round(previous * (maximum/previous)**(1/(n+1-j+offset)))).
    """
    pts = np.empty(n_points)
    pts[0] = max(1.0, minimum)
    for j in range(2, n_points + 1):  # a 100-step recurrence, not a row loop
        prev = pts[j - 2]
        step = round(prev * (maximum / prev) ** (1 / (n_points + 1 - j + offset)))
        pts[j - 1] = max(prev + 1, step)
    return pts


def _check_statistic(statistic: str, rate: str | None, rate_type: str | None, ratio_type: str | None) -> None:
    if statistic not in ("proportion", "ratio", "rate"):
        raise CdpParameterError(f"statistic must be 'proportion', 'ratio' or 'rate', got {statistic!r}")
    if statistic == "rate" and (rate is None or rate_type not in ("dsr", "crude")):
        raise CdpParameterError("for rates give rate= (the rate column) and rate_type='dsr' or 'crude'")
    if statistic == "ratio" and ratio_type not in ("count", "isr"):
        raise CdpParameterError("for ratios give ratio_type='count' or 'isr'")


def derived_denominator(
    df: pd.DataFrame, numerator: str, rate: str, rate_type: str, denominator: str | None, multiplier: float
) -> tuple[np.ndarray, np.ndarray]:
    """Events ``O`` and each area's derived denominator :math:`d = m O / \\text{rate}` (Fingertips).

    For DSRs with no events ``d`` is NaN; for crude rates with no events it is ``denominator``
    (required then). Used by the funnels and by :mod:`cdp_analysis.indicators.overdispersion`.
    """
    o = numeric(df, numerator)
    r = numeric(df, rate, allow_nan=rate_type == "dsr")
    with np.errstate(divide="ignore", invalid="ignore"):
        d = multiplier * o / r
    zero = o == 0
    if rate_type == "crude":
        if zero.any():
            if denominator is None:
                raise CdpInputError(
                    "for crude rates with 0 events the denominator is needed",
                    row=list(df.index[zero]),
                    column=numerator,
                )
            check_frame(df, [denominator])
            d = np.where(zero, numeric(df, denominator, strictly_positive=True), d)
    else:
        d = np.where(zero, np.nan, d)
    return o, d


@renamed(numerator="count")
def funnel_limits(
    df: pd.DataFrame,
    count: str,
    statistic: str = "proportion",
    denominator: str | None = None,
    multiplier: float = 100,
    rate: str | None = None,
    rate_type: str | None = None,
    ratio_type: str | None = None,
    years_of_data: float = 1,
    n_points: int = 100,
) -> pd.DataFrame:
    """Funnel-plot control limits at 95% (2 sigma) and 99.8% (3 sigma) around the average.

    * **proportion**: baseline :math:`\\bar p = \\sum x / \\sum n`; at population
      :math:`N` the limits are the proportions whose Wilson interval just reaches
      :math:`\\bar p`, i.e. :math:`\\bar p \\mp z\\sqrt{\\bar p(1-\\bar p)/N}`
      (:math:`z` = 1.959964, 3.090232), times ``multiplier`` and clipped to
      ``[0, multiplier]``.
    * **ratio** (observed/expected, baseline 1): at observed count :math:`O` the
      expected counts at the limits are the exact Poisson means :math:`\\mu` with
      :math:`P(X \\le O\\mid\\mu) = \\alpha` (lower) and :math:`P(X \\ge O\\mid\\mu) =
      \\alpha` (upper), :math:`\\alpha` = 0.025, 0.001; limit = :math:`O/\\mu - 1`
      (``ratio_type="count"``) or :math:`100\\,O/\\mu` (``"isr"``).
    * **rate** (crude or DSR): baseline = :math:`\\sum O / \\sum d \\times m`, where
      the derived denominator :math:`d = m O / \\text{rate}`; at events :math:`O` the
      population at each limit is :math:`\\mu/\\bar r/\\text{years}` and the limit rate
      :math:`O \\bar r / \\mu \\times m`.

    The axis runs from 0 (or 95% of the smallest denominator, one significant digit,
    when the largest is under twice the smallest) to 105% of the largest (two
    significant digits), over ``n_points`` whole-number points spaced geometrically.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per area.
    count : str
        Events or numerator (>= 0).
    statistic : {"proportion", "ratio", "rate"}, default "proportion"
        Kind of funnel.
    denominator : str, optional
        Denominator (proportions), expected count (ratios), or population (crude rates
        with zero events).
    multiplier : float, default 100
        Units of proportions and rates (100 = percent; 100,000 for rates).
    rate : str, optional
        Column of the rate (``statistic="rate"``).
    rate_type : {"crude", "dsr"}, optional
        Kind of rate.
    ratio_type : {"count", "isr"}, optional
        How a ratio is reported.
    years_of_data : float, default 1
        Years the rates pool (population axis per year).
    n_points : int, default 100
        Number of points.

    Returns
    -------
    pandas.DataFrame
        ``n_points`` rows. Proportions: ``denominator``; ratios: ``observed`` and
        ``lower_95_expected`` ...; rates: ``events`` and ``lower_95_population`` ...;
        then ``lower_95``, ``upper_95``, ``lower_99_8``, ``upper_99_8``, ``baseline``.

    References
    ----------
    Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance. Stat
    Med 24:1185-1202. OHID, Fingertips technical guidance: funnel plots and control limits.

    Examples
    --------
    >>> import pandas as pd
    >>> from cdp_analysis import indicators as ind
    >>> df = pd.DataFrame({"x": [30, 45, 100], "n": [100, 150, 300]})
    >>> lim = ind.funnel_limits(df, "x", "proportion", denominator="n")
    >>> lim.iloc[-1][["denominator", "baseline", "lower_95", "upper_95"]].round(3).tolist()
    [320.0, 31.818, 26.715, 36.921]
    """
    numerator = count  # vocabulary: the parameter is count

    _check_statistic(statistic, rate, rate_type, ratio_type)
    m = check_multiplier(multiplier)
    if statistic in ("proportion", "ratio"):
        if denominator is None:
            raise CdpParameterError(f"{statistic} funnels need denominator=")
        check_frame(df, [numerator, denominator])
        x = numeric(df, numerator)
        n = numeric(df, denominator, strictly_positive=True)
    out = pd.DataFrame()
    if statistic == "proportion":
        if (x > n).any():
            raise CdpInputError("numerator is above its denominator", row=list(df.index[x > n]), column=numerator)
        p = x.sum() / n.sum()
        N = _grid(*_axis(n), n_points)
        out["denominator"] = N
        for c, sfx, _ in LEVELS:
            s = z_value(c) * np.sqrt(p * (1 - p) / N)
            out[f"lower_{sfx}"] = np.clip(p - s, 0, 1) * m
            out[f"upper_{sfx}"] = np.clip(p + s, 0, 1) * m
        out["baseline"] = p * m
        return out
    if statistic == "ratio":
        obs = _grid(*_axis(n), n_points, offset=1)  # axis from the expected counts
        out["observed"] = obs
        for c, sfx, _ in LEVELS:
            mu_lo, mu_hi = exact_poisson_limits(obs, c)
            scale = (lambda r: r - 1) if ratio_type == "count" else (lambda r: r * 100)
            out[f"lower_{sfx}_expected"] = mu_hi
            out[f"lower_{sfx}"] = scale(obs / mu_hi)
            out[f"upper_{sfx}_expected"] = mu_lo
            out[f"upper_{sfx}"] = scale(obs / mu_lo)
        out["baseline"] = 0.0 if ratio_type == "count" else 100.0
        return out
    check_frame(df, [numerator, rate])
    o, d = derived_denominator(df, numerator, rate, rate_type, denominator, m)
    ok = ~np.isnan(d)
    avg = o[ok].sum() / d[ok].sum()  # events per person
    years = float(years_of_data)
    lo_ax, hi_ax = _axis(d[ok] / years)
    ev_min = math.floor(lo_ax * years * avg)
    ev_max = math.ceil(hi_ax * years * avg)
    obs = _grid(ev_min, ev_max, n_points)
    out["events"] = obs
    for c, sfx, _ in LEVELS:
        mu_lo, mu_hi = exact_poisson_limits(obs, c)
        out[f"lower_{sfx}_population"] = mu_hi / avg / years
        out[f"lower_{sfx}"] = obs * avg / mu_hi * m
        out[f"upper_{sfx}_population"] = mu_lo / avg / years
        out[f"upper_{sfx}"] = obs * avg / mu_lo * m
    out["baseline"] = avg * m
    return out


@renamed(numerator="count")
def funnel_significance(
    df: pd.DataFrame,
    count: str,
    statistic: str = "proportion",
    denominator: str | None = None,
    rate: str | None = None,
    rate_type: str | None = None,
    multiplier: float = 100,
) -> pd.DataFrame:
    """Label each area against the funnel: outside the 99.8% or 95% limits, high or low.

    Labels: ``"High (0.001)"``, ``"High (0.025)"``, ``"Low (0.001)"``,
    ``"Low (0.025)"``, ``"Not significant"`` (Fingertips' wording), and for DSRs from
    fewer than 10 events ``"Not applicable for events less than 10 for DSRs"``.

    * proportion: :math:`x/n` against :math:`\\bar p \\mp z\\sqrt{\\bar p(1-\\bar p)/n}`;
    * ratio: the count limits of :math:`O` (exact below 10, Byar's from 10) divided by
      the expected count (``denominator``) against 1;
    * rate: the count limits of :math:`O` over the derived denominator against the
      average rate.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per area.
    count, statistic, denominator, rate, rate_type, multiplier
        As for :func:`funnel_limits`.

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` with ``significance``.

    References
    ----------
    OHID, Fingertips technical guidance: funnel plots. Spiegelhalter (2005).

    Examples
    --------
    >>> import pandas as pd
    >>> from cdp_analysis import indicators as ind
    >>> df = pd.DataFrame({"x": [20, 45, 140], "n": [100, 150, 300]})
    >>> ind.funnel_significance(df, "x", "proportion", denominator="n")["significance"].tolist()
    ['Low (0.001)', 'Not significant', 'High (0.001)']
    """
    numerator = count  # vocabulary: the parameter is count

    _check_statistic(statistic, rate, rate_type, "count")
    m = check_multiplier(multiplier)
    high = {}
    low = {}
    if statistic == "proportion":
        if denominator is None:
            raise CdpParameterError("proportion funnels need denominator=")
        check_frame(df, [numerator, denominator])
        x = numeric(df, numerator)
        n = numeric(df, denominator, strictly_positive=True)
        p = x.sum() / n.sum()
        v = x / n
        for c, sfx, _ in LEVELS:
            s = z_value(c) * np.sqrt(p * (1 - p) / n)
            high[sfx] = v > p + s
            low[sfx] = v < p - s
        na = np.zeros(len(df), dtype=bool)
    else:
        if statistic == "ratio":
            if denominator is None:
                raise CdpParameterError("ratio funnels need denominator= (the expected count)")
            check_frame(df, [numerator, denominator])
            o = numeric(df, numerator)
            d = numeric(df, denominator, strictly_positive=True)
            target = 1.0
            na = np.zeros(len(df), dtype=bool)
        else:
            check_frame(df, [numerator, rate])
            o, d = derived_denominator(df, numerator, rate, rate_type, denominator, m)
            ok = ~np.isnan(d)
            target = o[ok].sum() / d[ok].sum()
            na = (o < 10) if rate_type == "dsr" else np.zeros(len(df), dtype=bool)
        for c, sfx, _ in LEVELS:
            lo, hi, _ = count_limits(o, c)
            with np.errstate(divide="ignore", invalid="ignore"):
                high[sfx] = lo / d > target
                low[sfx] = hi / d < target
    label = np.full(len(df), "Not significant", dtype=object)
    label[low["95"]] = "Low (0.025)"
    label[high["95"]] = "High (0.025)"
    label[low["99_8"]] = "Low (0.001)"
    label[high["99_8"]] = "High (0.001)"
    label[na] = NOT_APPLICABLE
    out = df.copy()
    out["significance"] = label
    from cdp_analysis.results import FunnelResult

    return FunnelResult.wrap(out)


@renamed(numerator="count")
def funnel_points(
    df: pd.DataFrame,
    count: str,
    rate: str,
    rate_type: str,
    denominator: str | None = None,
    multiplier: float = 100_000,
    years_of_data: float = 1,
) -> pd.DataFrame:
    """Chart points of a rate funnel: the rate and the annual derived denominator.

    ``denominator_derived`` = :math:`m O / \\text{rate} / \\text{years}`; a crude rate
    with no events uses ``denominator`` / years. DSRs from fewer than 10 events get
    ``NaN`` for both (they are not plotted). Adds ``<rate>_chart`` and
    ``denominator_derived``.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per area.
    count : str
        Events.
    rate : str
        Rate column.
    rate_type : {"crude", "dsr"}
        Kind of rate.
    denominator : str, optional
        Population, needed for crude rates with 0 events.
    multiplier : float, default 100_000
        The rate's multiplier.
    years_of_data : float, default 1
        Years pooled.

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` with the two columns.

    References
    ----------
    OHID, Fingertips technical guidance: funnel plots.

    Examples
    --------
    >>> import pandas as pd
    >>> from cdp_analysis import indicators as ind
    >>> df = pd.DataFrame({"o": [25, 4], "dsr": [12.5, 8.0]})
    >>> ind.funnel_points(df, "o", "dsr", "dsr", years_of_data=5)["denominator_derived"].tolist()
    [40000.0, nan]
    """
    numerator = count  # vocabulary: the parameter is count

    _check_statistic("rate", rate, rate_type, None)
    m = check_multiplier(multiplier)
    check_frame(df, [numerator, rate])
    o, d = derived_denominator(df, numerator, rate, rate_type, denominator, m)
    r = numeric(df, rate, allow_nan=True, minimum=None)
    hide = (o < 10) if rate_type == "dsr" else np.zeros(len(df), dtype=bool)
    out = df.copy()
    out[f"{rate}_chart"] = np.where(hide, np.nan, r)
    out["denominator_derived"] = np.where(hide, np.nan, d / float(years_of_data))
    return out


_: Sequence = ()
