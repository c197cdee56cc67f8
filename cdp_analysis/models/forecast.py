"""The forecasting facade: validate, backtest the candidates, choose, forecast (docs/design.md §7).

See :func:`forecast`. The candidate models per kind of series are listed in
:mod:`cdp_analysis.models._registry`; benchmarks are always computed and reported.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cdp_analysis.errors import CdpInputError, CdpParameterError
from cdp_analysis.models import _registry
from cdp_analysis.models._series import prepare
from cdp_analysis.models._types import ModelForecast
from cdp_analysis.models.backtest import _Cache, select_model
from cdp_analysis.models.counts import DegenerateFit
from cdp_analysis.results import Explanation, ResultFrame, fmt
from cdp_analysis.vocabulary import renamed

__all__ = ["FORECAST_MARKER", "REGISTRATION_NOTE", "Forecast", "forecast", "forecast_warnings"]

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


_MODEL_NAMES = {
    "glm": "log-linear quasi-Poisson GLM",
    "ets": "damped-trend exponential smoothing (ETS)",
    "naive": "naive (last value repeated)",
    "drift": "drift (straight line from first to last value)",
    "mean3": "mean of the last 3 periods",
    "seasonal_trend": "Poisson GLM with season effects and trend",
    "seasonal_naive": "seasonal naive",
    "binomial_glm": "binomial logit GLM with trend",
    "rate_glm": "quasi-Poisson rate GLM",
    "pooled4": "last 4 periods pooled",
}


class Forecast(ResultFrame):
    """A forecast with the backtest that chose its model: a table that explains itself.

    The rows and columns are those :func:`forecast` has always returned (``period, mean,
    lower_80, upper_80, lower_95, upper_95, model, status``) and ``attrs`` holds the backtest;
    in JupyterLab it shows the model, its backtest MASE and interval coverage, the caveats and,
    in plain words, :attr:`warnings`. ``to_frame()`` gives the plain table.
    """

    @property
    def model(self) -> str:
        """The chosen model's name."""
        return str(self.attrs.get("model", ""))

    @property
    def mase(self) -> float:
        """Mean absolute scaled error of the chosen model in its own rolling-origin backtest."""
        return float(self.attrs.get("mase", float("nan")))

    @property
    def coverage_95(self) -> float:
        """Share of backtest outcomes inside the 95% prediction interval."""
        return float(self.attrs.get("coverage_95", float("nan")))

    @property
    def warnings(self) -> list[str]:
        """Plain-English warnings: worse than naive in its backtest, a first step beyond the history."""
        return list(self.attrs.get("warnings", []))

    @property
    def notes(self) -> list[str]:
        """Caveats to state with the forecast (the ONS registration caveat for deaths)."""
        return list(self.attrs.get("notes", []))

    def explain(self) -> Explanation:
        a = self.attrs
        chosen = self[self["chosen"]] if "chosen" in self.columns else self
        sentences = []
        for r in chosen.itertuples(index=False):
            sentences.append(f"{r.period}: {fmt(r.mean, 1)} (95% prediction interval {fmt(r.lower_95, 1)} to "
                             f"{fmt(r.upper_95, 1)}) {FORECAST_MARKER}.")
        facts = (
            ("model", _MODEL_NAMES.get(str(a.get("candidate", "")), str(a.get("model", "")))),
            ("backtest MASE", f"{fmt(a.get('mase'))} (below 1: better than the typical one-step change)"),
            ("backtest coverage", f"80%: {_pct(a.get('coverage_80'))}, 95%: {_pct(a.get('coverage_95'))} "
                                  f"({a.get('n_checks', 0)} checks from {a.get('n_origins', 0)} origins)"),
            ("naive's backtest MASE", fmt(a.get("backtest", {}).get("naive", {}).get("mase", float("nan")))),
        )
        return Explanation(
            title=f"Forecast {FORECAST_MARKER} of {a.get('series_name') or 'the series'}",
            sentences=tuple(sentences) + tuple(a.get("notes", [])),
            method=("model chosen by a rolling-origin backtest of every candidate against naive, drift and "
                    "mean benchmarks; intervals by predictive simulation"),
            reference=("Hyndman RJ, Athanasopoulos G. Forecasting: principles and practice, 3rd ed., 2021, "
                       "sections 5.8-5.10 (MASE, interval scores, time-series cross-validation)"),
            facts=facts,
            warnings=tuple(a.get("warnings", [])),
        )


def _pct(v: Any) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return "not available"
    return "not available" if x != x else f"{x:.0%}"


def forecast_warnings(history: pd.Series, result: pd.DataFrame, attrs: dict[str, Any]) -> list[str]:
    """Plain-English warnings about a forecast, from its own backtest and its history.

    * the chosen model's backtest MASE is above naive's (it did worse than repeating the last
      value), or above 1 (its errors were larger than the typical change from one period to
      the next);
    * the first forecast step lies beyond every value observed by more than the typical change
      from one period to the next (the mean absolute one-step change of the history, the scale
      of MASE): it jumps beyond its history rather than continuing it.

    Parameters
    ----------
    history
        The observed values, in time order, indexed by period label.
    result
        The forecast rows (``period``, ``mean``) of the chosen model.
    attrs
        The forecast's ``attrs`` (``mase``, ``backtest``).

    Examples
    --------
    >>> h = pd.Series([46.0, 76, 39, 58, 66, 82, 83, 81, 79], index=[str(y) for y in range(2013, 2022)])
    >>> fc = pd.DataFrame({"period": ["2022"], "mean": [99.1]})
    >>> for w in forecast_warnings(h, fc, {"mase": 1.70, "backtest": {"naive": {"mase": 1.90}}}):
    ...     print(w)
    In its own backtest the model's errors averaged 1.70 times the typical change from one period to the next (MASE above 1): read the forecast as rough.
    The first forecast (99.1 for 2022) is above every value observed (highest 83 in 2019) by more than the typical change from one period to the next (14.4), and 25% above the last (79 in 2021).
    """
    out = []
    mase = float(attrs.get("mase", float("nan")))
    naive = float(attrs.get("backtest", {}).get("naive", {}).get("mase", float("nan")))
    if np.isfinite(mase) and np.isfinite(naive) and mase > naive:
        out.append(f"In its own backtest the model did worse than repeating the last value (MASE {fmt(mase)} "
                   f"against {fmt(naive)} for naive): treat the forecast with caution.")
    elif np.isfinite(mase) and mase > 1:
        out.append(f"In its own backtest the model's errors averaged {fmt(mase)} times the typical change from "
                   "one period to the next (MASE above 1): read the forecast as rough.")
    y = pd.to_numeric(history, errors="coerce").dropna()
    if len(y) >= 2 and len(result):
        first = float(result["mean"].iloc[0])
        label = str(result["period"].iloc[0])
        last = float(y.iloc[-1])
        hi, lo = float(y.max()), float(y.min())
        step = float(np.mean(np.abs(np.diff(y.to_numpy(dtype=float)))))  # typical one-step change
        beyond = first - hi if first > hi else lo - first if first < lo else 0.0
        if beyond > step:
            side, word, at = ("above", "highest", y.idxmax()) if first > hi else ("below", "lowest", y.idxmin())
            jump = (f", and {abs(first / last - 1):.0%} {'above' if first > last else 'below'} the last "
                    f"({fmt(last, 1)} in {y.index[-1]})") if last else ""
            out.append(f"The first forecast ({fmt(first, 1)} for {label}) is {side} every value observed "
                       f"({word} {fmt(hi if side == 'above' else lo, 1)} in {at}) by more than the typical change "
                       f"from one period to the next ({fmt(step, 1)}){jump}.")
    return out


def _is_deaths(*names: Any) -> bool:
    return any("death" in str(n).lower() for n in names if n is not None)


def _from_frame(frame: pd.DataFrame, period: str | None, value: str | None,
                exposure: Any) -> tuple[pd.Series, Any]:
    """A tidy frame (one row per period) as the value series and the exposure."""
    from cdp_analysis.data.series import check_single_series

    period = period or "period"
    if period in frame.columns:
        labels = frame[period]
    elif frame.index.name == period:
        labels = frame.index.to_series()
    else:
        raise CdpInputError(f"the frame has no period column {period!r}", column=period,
                            expected="period= naming the column (or index) of period labels")
    if value is None:
        value = "count" if "count" in frame.columns else "value"
    if value not in frame.columns:
        raise CdpInputError(f"the frame has no value column {value!r}", column=value,
                            expected=f"value= naming one of {list(frame.columns)}")
    check_single_series(frame.assign(_period=labels.to_numpy()), by=("_period",))
    series = pd.Series(pd.to_numeric(frame[value], errors="coerce").to_numpy(), index=labels.astype(str).to_numpy(),
                       name=value)
    series.attrs = dict(frame.attrs)
    if isinstance(exposure, str):
        if exposure not in frame.columns:
            raise CdpInputError(f"the frame has no exposure column {exposure!r}", column=exposure)
        exposure = pd.Series(pd.to_numeric(frame[exposure], errors="coerce").to_numpy(), index=series.index)
    return series, exposure


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


@renamed(exposure="denominator")
def forecast(
    series: pd.Series | pd.DataFrame,
    horizon: int,
    kind: str = "count",
    denominator: Any = None,
    seasonal_period: int | None = None,
    *,
    model: str = "auto",
    window: int | None = None,
    n_origins: int = 5,
    n_draws: int = 2000,
    seed: int = 0,
    include_benchmarks: bool = False,
    note: str | None = None,
    period: str | None = None,
    value: str | None = None,
    metric: str | None = None,
) -> Forecast:
    """Forecast a series ``horizon`` periods ahead with the model its own backtest chooses.

    Candidates by kind of series (the first is the default):

    * ``kind="count"``, annual (or ``seasonal_period=1``): log-linear quasi-Poisson GLM on the
      last 10 periods with the exposure (population) as offset, negative binomial noise
      whenever the dispersion is above 1 (:mod:`~cdp_analysis.models.counts`); damped-trend
      ETS; benchmarks naive, drift, mean of the last 3.
    * ``kind="count"``, monthly or quarterly: damped additive-seasonal ETS when the last
      cycle averages 20 or more per period, else a Poisson GLM with season effects and trend
      on the last 5 cycles; benchmark seasonal naive.
    * ``kind="proportion"`` (values 0-1, exposure = cohort size): binomial logit GLM with
      trend on the last 16 cohorts, quasi-binomial dispersion, beta-binomial noise whenever
      the dispersion is above 1; benchmark last 4 pooled.
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
        (never pooled 3-year sums). Counts, proportions (0-1) or rates by ``kind``. Or a
        tidy frame, one row per period (:meth:`Store.series <cdp_analysis.data.store.Store.series>`),
        with ``period=`` and ``value=`` naming its columns; rows that mix sources, editions,
        sexes or age bands are refused.
    horizon
        Number of periods to forecast.
    kind
        ``"count"``, ``"proportion"`` or ``"rate"``.
    denominator
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
        automatically when the series is of deaths: its name, ``metric`` or the metric id in
        its ``attrs`` (set by the store's queries) mentions deaths, so a column named
        ``"count"`` keeps the caveat.
    period, value
        With a frame: the period column (default ``"period"``, or the index of that name) and
        the value column (default ``"count"``, else ``"value"``). ``denominator`` may then name a
        column.
    metric
        The metric id of the series, when its name does not say (for the caveats).

    Returns
    -------
    Forecast
        A DataFrame (subclass :class:`Forecast`, which shows the model, the backtest MASE
        and coverage and any warning in JupyterLab) with columns ``period`` (label), ``mean``, ``lower_80``, ``upper_80``, ``lower_95``,
        ``upper_95`` (same units as the series), ``model`` and ``status`` (``"[f]"``, the
        GSS forecast marker). ``.attrs`` holds ``model``, the chosen model's backtest
        ``mase``, ``rmsse``, ``coverage_80``, ``coverage_95``, ``msis_95``, ``n_origins``,
        ``backtest`` (the same scores for every candidate and benchmark), ``benchmarks``,
        ``info`` (slope per period on the log/logit scale with its 95% CI, dispersion,
        family, window), ``flags`` (e.g. ``fallback:all_zero``, ``not_backtested``,
        ``exposure_extrapolated``), ``notes`` and ``warnings`` (plain English: the model did
        worse than naive in its own backtest or had a MASE above 1, or the first forecast
        lies beyond every observed value; see :func:`forecast_warnings`).

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
    exposure = denominator  # vocabulary: the parameter is denominator

    if isinstance(series, pd.DataFrame):
        series, exposure = _from_frame(series, period, value, exposure)
    elif period is not None or value is not None:
        raise CdpParameterError("period= and value= name the columns of a frame; a Series is indexed by period")
    if isinstance(series, pd.Series) and series.index.has_duplicates:
        dup = list(dict.fromkeys(series.index[series.index.duplicated()]))
        raise CdpInputError(
            "duplicate periods in the series: the rows mix sources, editions, sexes or age bands",
            row=dup, column="index",
            expected="one value per period: take one series with Store.series(metric, area, ...)",
        )
    attrs_in = dict(getattr(series, "attrs", {}) or {})
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
    if _is_deaths(prep.name, metric, attrs_in.get("metric_id")) and REGISTRATION_NOTE not in notes:
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
    history = pd.Series(prep.y, index=prep.labels)
    chosen_rows = out[out["chosen"]] if "chosen" in out.columns else out
    out.attrs["warnings"] = forecast_warnings(history, chosen_rows, out.attrs)
    out.attrs["series_name"] = str(metric or attrs_in.get("metric_id") or prep.name or "the series")
    return Forecast.wrap(out)
