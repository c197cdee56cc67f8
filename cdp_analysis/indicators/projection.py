r"""Year-to-date to year-end projection, with an honest predictive range.

A progress report's "projected" figure is the year-to-date value scaled up to a full year. The
seed report did it as "quarter 1 x 4" with no range; :func:`project_year_end` reproduces those
numbers as its point projection (38 in 2023/24 Q1 -> 152) and adds the range the year end can
be expected to fall in if the rest of the year goes the way the first part did.

Methods (``method`` column)
---------------------------
``run_rate``
    No history, counts. Point :math:`X / s` with :math:`s` the fraction of the year elapsed
    (months from the start of the containing year to the end of ``period``, over 12). Events
    are a Poisson process with a constant annual rate :math:`\lambda`; after observing
    :math:`X` events in a share :math:`s` of the year, Jeffreys' prior gives the posterior
    :math:`\lambda \sim \mathrm{Gamma}(X + \tfrac12, \text{rate } s)`, so the count in the
    rest of the year is gamma-Poisson, i.e. negative binomial:

    .. math:: R \sim \mathrm{NB}(X + \tfrac12,\ s)\quad(\text{failures before } X+\tfrac12
              \text{ successes, success probability } s),

    and the year end is :math:`X + R`; the range is its equal-tailed predictive interval
    (whole numbers, content at least ``confidence``).
``seasonal``
    With ``history``: the share :math:`\bar s` of the year normally reached by this point,
    pooled over the last three complete years (:math:`\bar s = \sum_i Y_{1i} / \sum_i F_i`,
    to-date over full-year totals). Point :math:`X / \bar s`. For counts the share is itself
    uncertain: given the past to-date total :math:`Y_1` and remainder :math:`Y_2`, the share
    has the Jeffreys posterior :math:`\mathrm{Beta}(Y_1/\phi + \tfrac12, Y_2/\phi + \tfrac12)`,
    where :math:`\phi \ge 1` is the Pearson dispersion of the yearly shares (chi-squared of
    the 2 x k table over k - 1 degrees of freedom; 1 when the shares vary no more than binomial
    noise). Mixing the negative binomial above over that beta gives a beta-negative-binomial
    remainder: :math:`R \sim \mathrm{BNB}(X+\tfrac12, Y_1/\phi+\tfrac12, Y_2/\phi+\tfrac12)`,
    so the range reflects both the Poisson noise of this year and the uncertainty of the share.
    For money and other units the range comes from the spread of the past years' multipliers
    :math:`m_i = \log(F_i / Y_{1i})`: :math:`X/\bar s \cdot \exp(\pm t_{k-1}\, \mathrm{sd}(m)
    \sqrt{1 + 1/k})` (a prediction interval for a new year's multiplier, k >= 2 years).
``run_rate (no interval)``, ``seasonal (no interval)``
    Money and other units without enough history for a spread: the point only.
``actual (full year)``
    ``period`` is a whole year: the value is the year-end figure.

Units
-----
``count`` (events: arrests, disruptions, deaths), ``currency`` (alias ``money``), ``rate``
(a cumulative rate per population) and ``other``: anything that accumulates over the year.
A ``percent`` does not accumulate, so it cannot be run-rated (project its numerator and
denominator instead) and raises CdpParameterError.

References
----------
Cox DR, Lewis PAW. The statistical analysis of series of events. Methuen, 1966 (Poisson
process). Bernardo JM, Smith AFM. Bayesian theory. Wiley, 1994, appendix A (gamma-Poisson and
beta-negative-binomial predictive distributions). Jeffreys H. Theory of probability, 3rd ed.
OUP, 1961. ``docs/references/forecasting.md`` §3.2 (project note).

Examples
--------
>>> project_year_end([38, 259], "2023/24 Q1")[["projection", "lower", "upper", "method"]]
   projection  lower  upper    method
0       152.0  115.0  199.0  run_rate
1      1036.0  931.0 1150.0  run_rate
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from cdp_analysis.errors import CdpInputError, CdpParameterError
from cdp_analysis.periods import Period, YearBasis

__all__ = ["project_year_end"]

_UNITS = {"count": "count", "currency": "currency", "money": "currency", "rate": "rate", "other": "other"}


@dataclass
class _Predictive:
    """Per-row predictive distribution of the year-end value (internal; used by targets)."""

    kind: NDArray  # "nb", "bnb", "logt", "point", "actual"
    x: NDArray  # value to date
    projection: NDArray
    r: NDArray = field(default_factory=lambda: np.empty(0))  # NB size (X + 1/2)
    s: NDArray = field(default_factory=lambda: np.empty(0))  # NB success probability (share)
    a: NDArray = field(default_factory=lambda: np.empty(0))  # beta parameters of the share
    b: NDArray = field(default_factory=lambda: np.empty(0))
    scale: NDArray = field(default_factory=lambda: np.empty(0))  # log-t scale
    df: NDArray = field(default_factory=lambda: np.empty(0))  # log-t degrees of freedom


def _check_confidence(confidence: float) -> float:
    try:
        c = float(confidence)
    except (TypeError, ValueError):
        raise CdpParameterError(f"confidence must be a number between 0 and 1, not {confidence!r}") from None
    if not 0 < c < 1:
        raise CdpParameterError(f"confidence must lie strictly between 0 and 1, not {confidence!r}")
    return c


def _unit(unit: str) -> str:
    if unit == "percent":
        raise CdpParameterError(
            "a percentage does not accumulate over the year, so it cannot be projected by run rate; "
            "project its numerator and denominator as counts"
        )
    if unit not in _UNITS:
        raise CdpParameterError(f"unit must be one of {sorted(_UNITS)}, not {unit!r}")
    return _UNITS[unit]


def _values(value_to_date: ArrayLike, unit: str) -> tuple[NDArray, pd.Index | None]:
    index = value_to_date.index if isinstance(value_to_date, pd.Series) else None
    try:
        x = np.atleast_1d(np.asarray(value_to_date, dtype=float)).ravel()
    except (TypeError, ValueError):
        raise CdpInputError(
            "value_to_date must be numeric", column="value_to_date", value=value_to_date
        ) from None
    labels = list(index) if index is not None else list(range(len(x)))
    for bad, msg, exp in (
        (~np.isfinite(x), "missing or infinite value", "a number >= 0"),
        (np.isfinite(x) & (x < 0), "negative value", "a number >= 0"),
        (
            np.isfinite(x) & (unit == "count") & (x != np.round(x)),
            "a count must be a whole number",
            "a whole number",
        ),
    ):
        if np.any(bad):
            rows = [labels[i] for i in np.flatnonzero(bad)]
            raise CdpInputError(msg, row=rows, column="value_to_date", value=x[bad][0], expected=exp)
    return x, index


# ------------------------------------------------------------------------------- history
def _history_pairs(history: Any) -> tuple[str, Any]:
    """Classify ``history``: ("pairs", frame) or ("series", frame with period/value)."""
    if isinstance(history, pd.Series):
        frame = pd.DataFrame({"period": [str(p) for p in history.index], "value": history.to_numpy()})
        return "series", frame
    if isinstance(history, pd.DataFrame):
        cols = set(history.columns)
        if {"to_date", "full_year"} <= cols:
            frame = history.sort_values("year") if "year" in cols else history
            return "pairs", frame.reset_index(drop=True)
        if {"period", "value"} <= cols:
            return "series", history.reset_index(drop=True)
        raise CdpInputError(
            "history must have columns 'to_date' and 'full_year' (one row per past year), or "
            "'period' and 'value' (monthly or quarterly values of past years)",
            column=", ".join(map(str, history.columns)),
        )
    raise CdpInputError(
        "history must be a DataFrame (to_date/full_year or period/value) or a Series indexed by period labels",
        value=type(history).__name__,
    )


def _check_history_numbers(values: NDArray, column: str, rows: list[Any]) -> None:
    bad = ~np.isfinite(values) | (values < 0)
    if np.any(bad):
        raise CdpInputError(
            "history values must be numbers >= 0",
            row=[rows[i] for i in np.flatnonzero(bad)],
            column=column,
            value=values[bad][0],
        )


def _past_years(
    kind: str, frame: pd.DataFrame, period: Period, basis: YearBasis, years: int
) -> tuple[NDArray, NDArray, list[str]]:
    """(to-date, full-year, year labels) of the last ``years`` complete past years."""
    if kind == "pairs":
        td = frame["to_date"].to_numpy(dtype=float)
        full = frame["full_year"].to_numpy(dtype=float)
        rows = list(frame.index)
        _check_history_numbers(td, "to_date", rows)
        _check_history_numbers(full, "full_year", rows)
        bad = td > full
        if np.any(bad):
            raise CdpInputError(
                "a year-to-date value is above its full-year value",
                row=[rows[i] for i in np.flatnonzero(bad)],
                column="to_date",
            )
        labels = (
            [str(v) for v in frame["year"]] if "year" in frame.columns else [f"year {i + 1}" for i in rows]
        )
        return td[-years:], full[-years:], labels[-years:]

    year_now = period.containing_year(basis)
    position = period.last - year_now.first + 1  # months elapsed
    values = pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=float)
    rows = list(frame.index)
    _check_history_numbers(values, "value", rows)
    by_year: dict[Period, list[tuple[int, int, float]]] = {}
    for i, label in enumerate(frame["period"]):
        try:
            p = Period.parse(str(label))
            y = p.containing_year(basis)
        except CdpParameterError as err:
            raise CdpInputError(
                f"bad history period: {err}", row=rows[i], column="period", value=label
            ) from None
        if p.is_year:
            raise CdpInputError(
                "history values must be months or quarters of past years",
                row=rows[i],
                column="period",
                value=label,
            )
        by_year.setdefault(y, []).append((p.first - y.first, p.last - y.first, values[i]))
    complete = []
    for y, pieces in sorted(by_year.items()):
        if y.first >= year_now.first:
            continue
        covered = sorted(m for first, last, _ in pieces for m in range(first, last + 1))
        if covered != list(range(12)):
            continue  # an incomplete (or double-counted) year is not used
        td = 0.0
        for first, last, v in pieces:
            if first < position <= last:
                raise CdpInputError(
                    f"history period straddles the end of {period} within the year {y}; give monthly values",
                    column="period",
                )
            if last < position:
                td += v
        complete.append((str(y), td, sum(v for _, _, v in pieces)))
    complete = complete[-years:]
    if not complete:
        raise CdpInputError(
            f"history holds no complete {basis} year before {year_now} (each needs all 12 months)",
            column="period",
        )
    return (
        np.array([c[1] for c in complete]),
        np.array([c[2] for c in complete]),
        [c[0] for c in complete],
    )


# ------------------------------------------------------------- beta-negative-binomial
def _bnb_grid(r: NDArray, a: NDArray, b: NDArray) -> tuple[NDArray, NDArray]:
    """CDF of the beta-negative-binomial on a grid ``k = 0..K`` for each row (rows x K+1).

    ``P(R = k) = Γ(r + k) / (k! Γ(r)) · B(r + a, k + b) / B(a, b)``: the number of failures
    before ``r`` successes when the success probability is Beta(a, b). Computed here (scipy's
    ``betanbinom`` takes whole ``r`` only). ``K`` reaches beyond the 1 - 1e-10 quantile of
    the negative binomial at the 1e-9 quantile of the beta, so the grid holds all the mass that
    matters.
    """
    from scipy import special, stats

    p_low = np.maximum(stats.beta.ppf(1e-9, a, b), 1e-12)
    k_max = int(np.max(stats.nbinom.ppf(1 - 1e-10, r, p_low))) + 1
    k = np.arange(k_max + 1, dtype=float)[None, :]
    r_, a_, b_ = r[:, None], a[:, None], b[:, None]
    logpmf = (
        special.gammaln(r_ + k)
        - special.gammaln(k + 1)
        - special.gammaln(r_)
        + special.betaln(r_ + a_, k + b_)
        - special.betaln(a_, b_)
    )
    return np.arange(k_max + 1, dtype=float), np.cumsum(np.exp(logpmf), axis=1)


def _bnb_ppf(q: float, r: NDArray, a: NDArray, b: NDArray) -> NDArray:
    """Smallest k with CDF(k) >= q, row by row (vectorised over rows)."""
    k, cdf = _bnb_grid(r, a, b)
    idx = np.argmax(cdf >= q * (1 - 1e-12), axis=1)
    return k[idx]


def _bnb_cdf(x: NDArray, r: NDArray, a: NDArray, b: NDArray) -> NDArray:
    """P(R <= x) for each row (0 for x < 0)."""
    k, cdf = _bnb_grid(r, a, b)
    xi = np.floor(x).astype(int)
    inside = np.clip(xi, 0, len(k) - 1)
    vals = cdf[np.arange(len(x)), inside]
    return np.where(xi < 0, 0.0, np.where(xi >= len(k), 1.0, np.minimum(vals, 1.0)))


# ---------------------------------------------------------------------------- projection
_YEAR_START = {"financial": "April", "calendar": "January"}


def _check_year_to_date(period: Period, basis: YearBasis) -> None:
    """Refuse a month range that does not start the year of ``basis`` (it is not a year to date).

    ``"2023-01..2023-03"`` on the financial basis would otherwise be read as the months to
    date of 2022/23 (a whole year, April to March) and "projected" to itself.
    """
    if basis not in _YEAR_START:
        raise CdpParameterError(f"year_basis must be 'financial' or 'calendar', not {basis!r}")
    if period.kind != "month_range":
        return
    other: YearBasis = "calendar" if basis == "financial" else "financial"
    try:
        year = period.containing_year(basis)
    except CdpParameterError:
        year = None
    if year is not None and period.first == year.first:
        return
    first_month = period.start.strftime("%B")
    fix = (
        f"pass year_basis={other!r} if these months are the {other} year to date"
        if first_month == _YEAR_START[other]
        else f"give the total from {_YEAR_START[basis]} with the period ending {period.months[-1]!r}"
    )
    raise CdpParameterError(
        f"period {str(period)!r} starts in {first_month}, but a {basis} year starts in {_YEAR_START[basis]}: "
        f"value_to_date must be the total from the start of the {basis} year to the end of the period; {fix}"
    )


def _project(
    value_to_date: ArrayLike,
    period: str | Period | ArrayLike,
    unit: str,
    history: Any,
    confidence: float,
    year_basis: YearBasis,
    history_years: int = 3,
) -> tuple[pd.DataFrame, _Predictive]:
    from scipy import stats

    c = _check_confidence(confidence)
    u = _unit(unit)
    x, index = _values(value_to_date, u)
    if isinstance(period, (str, Period)):
        periods = [period] * len(x)
    else:
        periods = list(np.atleast_1d(np.asarray(period, dtype=object)).ravel())
        if len(periods) == 1:
            periods = periods * len(x)
        elif len(x) == 1:
            x = np.repeat(x, len(periods))
        if len(periods) != len(x):
            raise CdpParameterError(f"{len(periods)} periods given for {len(x)} values")
    parsed = [Period.parse(p) for p in periods]
    for p in dict.fromkeys(parsed):
        _check_year_to_date(p, year_basis)
    n = len(x)
    frac = np.array([p.fraction_elapsed(year_basis) for p in parsed])
    year = [str(p.containing_year(year_basis)) for p in parsed]
    ytd = [str(p.to_year_to_date(year_basis)) for p in parsed]

    alpha = 1 - c
    share = frac.copy()
    lower = np.full(n, np.nan)
    upper = np.full(n, np.nan)
    method = np.empty(n, dtype=object)
    note = np.empty(n, dtype=object)
    kind = np.full(n, "point", dtype=object)
    r = x + 0.5
    a_par = np.full(n, np.nan)
    b_par = np.full(n, np.nan)
    scale = np.full(n, np.nan)
    dfree = np.full(n, np.nan)

    months = np.rint(frac * 12).astype(int)
    if history is None:
        if u == "count":
            kind[:] = "nb"
            method[:] = "run_rate"
        else:
            method[:] = "run_rate (no interval)"
        for i in range(n):
            note[i] = f"year to date {ytd[i]} ({months[i]} of 12 months) scaled by 12/{months[i]}" + (
                "; range: gamma-Poisson (negative binomial) predictive for the rest of the year"
                if u == "count"
                else ""
            )
    else:
        hkind, frame = _history_pairs(history)
        if hkind == "pairs" and len(set(periods)) > 1:
            raise CdpParameterError(
                "to-date/full-year pairs in history describe one point of the year; pass one period"
            )
        cache: dict[Period, tuple[NDArray, NDArray, list[str]]] = {}
        for i, p in enumerate(parsed):
            if frac[i] >= 1:
                continue
            if p not in cache:
                cache[p] = _past_years(hkind, frame, p, year_basis, history_years)
            td, full, labels = cache[p]
            if np.sum(td) <= 0 or np.sum(full) <= 0:
                raise CdpInputError(
                    f"history has nothing to date by this point of the year ({p}), so no seasonal share",
                    column="value",
                )
            k = len(td)
            s_bar = float(np.sum(td) / np.sum(full))
            share[i] = s_bar
            span = labels[0] if k == 1 else f"{labels[0]} to {labels[-1]}"
            note[i] = (
                f"year to date {ytd[i]} divided by the share of the year usually reached by then "
                f"({s_bar:.1%}, {k} year{'s' if k > 1 else ''}: {span})"
            )
            if u == "count":
                rem = full - td
                phi = 1.0
                if k >= 2 and 0 < s_bar < 1:
                    exp_td = full * s_bar
                    exp_rem = full * (1 - s_bar)
                    with np.errstate(divide="ignore", invalid="ignore"):
                        chi2 = np.nansum((td - exp_td) ** 2 / exp_td + (rem - exp_rem) ** 2 / exp_rem)
                    phi = max(1.0, float(chi2) / (k - 1))
                a_par[i] = np.sum(td) / phi + 0.5
                b_par[i] = np.sum(rem) / phi + 0.5
                kind[i] = "bnb"
                method[i] = "seasonal"
                note[i] += (
                    "; range: Poisson noise of this year and uncertainty of the share "
                    f"(beta-negative-binomial, dispersion {phi:.2f})"
                )
            else:
                if k >= 2 and np.all(td > 0):
                    m = np.log(full / td)
                    scale[i] = float(np.std(m, ddof=1) * np.sqrt(1 + 1 / k))
                    dfree[i] = k - 1
                    kind[i] = "logt"
                    method[i] = "seasonal"
                    note[i] += f"; range from the spread of the past years' multipliers (t, {k - 1} df)"
                else:
                    method[i] = "seasonal (no interval)"
                    note[i] += "; too little history for a range"

    projection = x / share
    nb = kind == "nb"
    if np.any(nb):
        lower[nb] = x[nb] + stats.nbinom.ppf(alpha / 2, r[nb], share[nb])
        upper[nb] = x[nb] + stats.nbinom.ppf(1 - alpha / 2, r[nb], share[nb])
    bnb = kind == "bnb"
    if np.any(bnb):
        lower[bnb] = x[bnb] + _bnb_ppf(alpha / 2, r[bnb], a_par[bnb], b_par[bnb])
        upper[bnb] = x[bnb] + _bnb_ppf(1 - alpha / 2, r[bnb], a_par[bnb], b_par[bnb])
    lt = kind == "logt"
    if np.any(lt):
        half = stats.t.ppf(1 - alpha / 2, dfree[lt]) * scale[lt]
        lower[lt] = projection[lt] * np.exp(-half)
        upper[lt] = projection[lt] * np.exp(half)

    full_year = frac >= 1
    if np.any(full_year):
        projection[full_year] = x[full_year]
        lower[full_year] = x[full_year]
        upper[full_year] = x[full_year]
        share[full_year] = 1.0
        kind[full_year] = "actual"
        method[full_year] = "actual (full year)"
        for i in np.flatnonzero(full_year):
            note[i] = f"{ytd[i]} is a whole year: no projection needed"

    out = pd.DataFrame(
        {
            "period": [str(p) for p in parsed],
            "year": year,
            "value_to_date": x,
            "fraction_elapsed": frac,
            "share": share,
            "projection": projection,
            "lower": lower,
            "upper": upper,
            "method": method.astype(str),
            "status": "f",
            "note": note.astype(str),
        },
        index=index,
    )
    out.attrs["confidence"] = c
    out.attrs["unit"] = u
    pred = _Predictive(
        kind=kind, x=x, projection=projection, r=r, s=share, a=a_par, b=b_par, scale=scale, df=dfree
    )
    return out, pred


def project_year_end(
    value_to_date: ArrayLike,
    period: str | Period | ArrayLike,
    unit: str = "count",
    history: pd.DataFrame | pd.Series | None = None,
    confidence: float = 0.95,
    year_basis: YearBasis = "financial",
) -> pd.DataFrame:
    """Project a year-to-date value to the year end, with a predictive range.

    See the module docstring for the formulas of each method.

    Parameters
    ----------
    value_to_date
        The value accumulated from the start of the containing year to the end of ``period``
        (for ``"2023/24 Q2"``: April to September). Scalar or array; >= 0; whole numbers for
        counts.
    period
        Period label(s) whose end is "now": ``"2023/24 Q1"``, ``"2023-06"``,
        ``"2023-01..2023-06"``. One label for all values, or one per value. Required: there
        is no default period. A month range must start the year of ``year_basis`` (it is the
        year to date).
    unit
        ``"count"`` (default), ``"currency"``/``"money"``, ``"rate"`` or ``"other"``;
        ``"percent"`` is refused (not cumulative).
    history
        Optional past years, for the seasonal share: either a DataFrame with ``to_date`` and
        ``full_year`` (one row per past year, same point of the year; optional ``year`` to sort
        by), or monthly/quarterly values of past years as a DataFrame with ``period`` and
        ``value`` or a Series indexed by period label. The last three complete years before
        the current one are used (a year counts when all 12 months are present).
    confidence
        Content of the predictive range (default 0.95).
    year_basis
        ``"financial"`` (April to March, default) or ``"calendar"``, as the metric's catalogue
        entry says.

    Returns
    -------
    pandas.DataFrame
        ``period, year, value_to_date, fraction_elapsed, share, projection, lower, upper,
        method, status, note``. ``share`` is the share of the year taken as reached (the
        fraction elapsed for a run rate, the historical share for ``seasonal``); ``status`` is
        ``"f"`` (forecast); ``note`` says in words what was done. ``lower``/``upper`` are NaN
        when there is no interval.

    Raises
    ------
    CdpParameterError
        A bad period label, a period not inside one year of ``year_basis``, a month range that
        does not start the year of ``year_basis`` (``"2023-01..2023-03"`` with the financial
        basis: the message names ``year_basis="calendar"``), an unknown unit or a percentage.
    CdpInputError
        Negative, missing or fractional (for counts) values; unusable history.

    Examples
    --------
    The July 2023 pan-Dorset report's projections (its £94,304 was a typing error):

    >>> project_year_end([38, 259], "2023/24 Q1").projection.tolist()
    [152.0, 1036.0]
    >>> project_year_end(101, "2023-01..2023-06", year_basis="calendar").projection.iloc[0]
    np.float64(202.0)
    >>> r = project_year_end(23_756, "2023/24 Q1", unit="currency")
    >>> r.projection.iloc[0], r.method.iloc[0]
    (np.float64(95024.0), 'run_rate (no interval)')

    With three past years' to-date and full-year counts, the seasonal share is used:

    >>> hist = pd.DataFrame({"year": ["2020/21", "2021/22", "2022/23"],
    ...                      "to_date": [30, 35, 40], "full_year": [140, 150, 160]})
    >>> project_year_end(38, "2023/24 Q1", history=hist)[["share", "projection", "lower", "upper"]].round(3)
       share  projection  lower  upper
    0  0.233     162.857  118.0  225.0
    """
    from cdp_analysis.results import YearEndProjection

    out, _ = _project(value_to_date, period, unit, history, confidence, year_basis)
    return YearEndProjection.wrap(out)
