"""The forecasting facade: validate, backtest the candidates, choose, forecast (DESIGN §7).

See :func:`forecast`. The candidate models per kind of series are listed in
:mod:`cdp_analysis.models._registry`; benchmarks are always computed and reported.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cdp_analysis.errors import CdpParameterError
from cdp_analysis.models import _registry
from cdp_analysis.models._series import prepare
from cdp_analysis.models._types import ModelForecast
from cdp_analysis.models.backtest import _Cache, select_model
from cdp_analysis.models.counts import DegenerateFit

__all__ = ["FORECAST_MARKER", "REGISTRATION_NOTE", "forecast"]

#: GSS shorthand marking a forecast value.
FORECAST_MARKER = "[f]"
#: Caveat stated with every forecast of ONS drug deaths.
REGISTRATION_NOTE = (
    "ONS drug deaths are counted by year of registration, not year of occurrence: most are "
    "referred to a coroner, so many deaths registered in a year happened in earlier years."
)
COLUMNS = ["period", "mean", "lower_80", "upper_80", "lower_95", "upper_95", "model", "status"]


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    return v


def _frame(f: ModelForecast, labels: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": labels,
            "mean": f.mean,
            "lower_80": f.lower_80,
            "upper_80": f.upper_80,
            "lower_95": f.lower_95,
            "upper_95": f.upper_95,
            "model": f.model,
            "status": FORECAST_MARKER,
        }
    )


def forecast(
    series: pd.Series,
    horizon: int,
    kind: str = "count",
    exposure: Any = None,
    seasonal_period: int | None = None,
    *,
    model: str = "auto",
    window: int | None = None,
    n_origins: int = 5,
    n_draws: int = 2000,
    seed: int = 0,
    include_benchmarks: bool = False,
    note: str | None = None,
) -> pd.DataFrame:
    """Forecast a series ``horizon`` periods ahead with the model its own backtest chooses.

    Candidates by kind of series (the first is the default):

    * ``kind="count"``, annual (or ``seasonal_period=1``): log-linear quasi-Poisson GLM on the
      last 10 periods with the exposure (population) as offset, negative binomial noise only
      when dispersion is clearly above 1 (:mod:`~cdp_analysis.models.counts`); damped-trend
      ETS; benchmarks naive, drift, mean of the last 3.
    * ``kind="count"``, monthly or quarterly: damped additive-seasonal ETS when the last
      cycle averages 20 or more per period, else a Poisson GLM with season effects and trend
      on the last 5 cycles; benchmark seasonal naive.
    * ``kind="proportion"`` (values 0-1, exposure = cohort size): binomial logit GLM with
      trend on the last 16 cohorts, quasi-binomial dispersion; benchmark last 4 pooled.
    * ``kind="rate"`` (events per unit of exposure, e.g. reoffences per offender):
      quasi-Poisson GLM with the exposure as offset; benchmark last 4 pooled.

    Each candidate is backtested from the last ``n_origins`` origins (refitted at each;
    horizons 1-3 years, 1-4 quarters, 1-12 months); benchmarks are scored alongside but not
    chosen; the default (first) model is kept unless another eligible model (ETS only when the
    last 3 periods average 20 or more) has a lower mean scaled 95% interval score (MSIS) by a one-sided paired
    t-test over the origins at 5% (choosing the plain minimum of 15 noisy checks picks the
    luckiest model, not the best). Count intervals come from predictive simulation
    (coefficient uncertainty then Poisson or gamma-Poisson draws); Gaussian intervals (ETS,
    naive, drift) are floored at zero and rounded outward for counts.

    Parameters
    ----------
    series
        Observed values indexed by period labels (``"2021"``, ``"2022/23"``,
        ``"2023/24 Q1"``, ``"2023-06"``), :class:`~cdp_analysis.periods.Period` objects or a
        pandas ``PeriodIndex``; consecutive, no gaps, single years/quarters/months only
        (never pooled 3-year sums). Counts, proportions (0-1) or rates by ``kind``.
    horizon
        Number of periods to forecast.
    kind
        ``"count"``, ``"proportion"`` or ``"rate"``.
    exposure
        Population (counts), cohort size (proportions) or offenders (rates): a Series
        indexed like ``series`` (it may extend over the forecast periods) or an array of
        ``len(series)`` or ``len(series) + horizon`` values. Required for proportions and
        rates. Future exposure not given is held at the mean of the last 4 periods
        (flag ``exposure_extrapolated``).
    seasonal_period
        Default 1 for years, 4 for quarters, 12 for months; 1 switches seasonality off.
    model
        ``"auto"`` (choose by backtest) or a candidate name to force it (``"glm"``,
        ``"ets"``, ``"naive"``, ``"drift"``, ``"mean3"``, ``"seasonal_trend"``,
        ``"seasonal_naive"``, ``"binomial_glm"``, ``"rate_glm"``, ``"pooled4"``).
    window
        Periods the trend GLMs are fitted on (default 10 years, 16 quarters, 5 seasonal
        cycles for seasonal counts).
    n_origins
        Backtest origins (5).
    n_draws, seed
        Predictive simulation size and seed (results are reproducible for a fixed seed).
    include_benchmarks
        Also return the rows of every other candidate and benchmark (column ``chosen``).
    note
        Caveat to carry in ``.attrs["notes"]``; the ONS registration caveat is added
        automatically when the series name mentions deaths.

    Returns
    -------
    pandas.DataFrame
        Columns ``period`` (label), ``mean``, ``lower_80``, ``upper_80``, ``lower_95``,
        ``upper_95`` (same units as the series), ``model`` and ``status`` (``"[f]"``, the
        GSS forecast marker). ``.attrs`` holds ``model``, the chosen model's backtest
        ``mase``, ``rmsse``, ``coverage_80``, ``coverage_95``, ``msis_95``, ``n_origins``,
        ``backtest`` (the same scores for every candidate and benchmark), ``benchmarks``,
        ``info`` (slope per period on the log/logit scale with its 95% CI, dispersion,
        family, window), ``flags`` (e.g. ``fallback:all_zero``, ``not_backtested``,
        ``exposure_extrapolated``) and ``notes``.

    Raises
    ------
    CdpInputError
        Too short, gaps, pooled periods, negative values, non-integer counts,
        proportions above 1, exposure missing, misaligned or not positive.
    CdpParameterError
        Unknown ``kind`` or ``model``, bad ``horizon``.

    Notes
    -----
    Fallbacks (documented, flagged in ``.attrs["flags"]``, never a crash): an all-zero
    series, or a GLM that cannot be fitted, uses the benchmark (mean of the last 3 for
    counts, last 4 pooled for proportions and rates); a series too short for a backtest
    uses the default model without one (``not_backtested``, ``n_origins`` = 0).

    Examples
    --------
    >>> idx = [str(y) for y in range(2002, 2022)]
    >>> deaths = pd.Series([25, 28, 27, 29, 30, 33, 31, 36, 38, 37, 41, 44, 43, 47, 46, 50, 53, 51, 55, 58],
    ...                    index=idx, name="drug_poisoning_deaths")
    >>> fc = forecast(deaths, 3)
    >>> fc[["period", "status"]].values.tolist()
    [['2022', '[f]'], ['2023', '[f]'], ['2024', '[f]']]
    >>> fc.attrs["model"] in fc.attrs["backtest"], sorted(fc.attrs["backtest"])
    (True, ['drift', 'ets', 'glm', 'mean3', 'naive'])
    >>> bool((fc["lower_95"] >= 0).all()), fc.attrs["n_origins"]
    (True, 5)
    >>> "registration" in fc.attrs["notes"][0]
    True
    """
    prep = prepare(series, horizon, kind, exposure, seasonal_period)
    m = prep.seasonal_period
    win = window or _registry.default_window(kind, prep.freq, m)
    spec = _registry.build(kind, prep.freq, m, window=win, n_draws=n_draws, seed=seed)
    if model != "auto" and model not in spec.candidates:
        raise CdpParameterError(
            f"model {model!r} is not a candidate for this series; choose 'auto' or one of {list(spec.candidates)}"
        )
    flags = list(prep.flags)
    H = _registry.BACKTEST_HORIZON[prep.freq]
    hist_exp = None if prep.exposure is None else prep.exposure[: prep.n]
    cache = _Cache(spec, prep.y, hist_exp, H)
    # backtest the benchmarks and the models that may be chosen for this series (ETS is not
    # fitted for counts below 20 a period, where it cannot be chosen)
    wanted = [k for k in spec.candidates if k in spec.benchmarks or spec.eligible(k, prep.y) or k == model]
    chosen, scores, n_used = select_model(cache, prep.n, n_origins=n_origins, m=m, only=wanted)
    if n_used == 0:
        flags.append("not_backtested")
    if model != "auto":
        chosen = model
    if not np.any(prep.y > 0) and chosen != spec.fallback:
        flags.append("fallback:all_zero")
        chosen = spec.fallback
    try:
        f = spec.candidates[chosen](prep.y, horizon, prep.exposure)
    except (DegenerateFit, ValueError, np.linalg.LinAlgError) as exc:
        flags.append(f"fallback:{chosen}_failed ({exc})")
        chosen = spec.fallback
        f = spec.candidates[chosen](prep.y, horizon, prep.exposure)
    out = _frame(f, prep.future)
    if include_benchmarks:
        parts = [out.assign(chosen=True)]
        for name, fn in spec.candidates.items():
            if name == chosen:
                continue
            try:
                parts.append(_frame(fn(prep.y, horizon, prep.exposure), prep.future).assign(chosen=False))
            except (DegenerateFit, ValueError, np.linalg.LinAlgError):
                continue
        out = pd.concat(parts, ignore_index=True)
    notes = [] if note is None else [note]
    if "death" in str(prep.name).lower() and REGISTRATION_NOTE not in notes:
        notes.insert(0, REGISTRATION_NOTE)
    notes.append(f"Values marked {FORECAST_MARKER} are forecasts, not observations.")
    sc = scores.get(chosen, {})
    out.attrs = _plain(
        {
            "model": f.model,
            "candidate": chosen,
            "kind": kind,
            "mase": sc.get("mase", float("nan")),
            "rmsse": sc.get("rmsse", float("nan")),
            "coverage_80": sc.get("coverage_80", float("nan")),
            "coverage_95": sc.get("coverage_95", float("nan")),
            "msis_95": sc.get("msis_95", float("nan")),
            "n_origins": n_used,
            "n_checks": sc.get("n_checks", 0),
            "backtest": scores,
            "selection": "default unless another model has lower MSIS (paired t over origins, p < 0.05)",
            "benchmarks": list(spec.benchmarks),
            "info": f.info,
            "flags": flags,
            "notes": notes,
        }
    )
    return out
