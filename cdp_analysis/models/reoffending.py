"""Proven-reoffending forecasts: the binary rate of each offender cohort, national or local.

A cohort's proven reoffending rate is reoffenders / offenders (MoJ, *Guide to proven
reoffending statistics*). The forecast is that of :func:`cdp_analysis.models.forecast` with
``kind="proportion"`` and the cohort sizes as exposure: a binomial logit GLM with trend on
the last 16 quarterly (or 10 annual) cohorts,

    logit E[r_t] = a + b·(t − t_n),   Var r_t = φ·p_t(1 − p_t)/n_t   (quasi-binomial),

with beta-binomial predictive noise whenever φ > 1 (intra-cohort correlation
ρ = (φ − 1)/(n − 1); Williams 1982), backtested from rolling origins against the pooled rate
of the last 4 cohorts. Future cohort sizes are held at the mean of the last 4. The rate
frequency (reoffences per offender) is forecast the same way with ``kind="rate"``
(quasi-Poisson, offenders as exposure).

Input is long rows as the store and the returns hold them: ``metric_id`` (any of
``reoffending_cohort``, ``reoffenders``, ``reoffences``, ``proven_reoffending_rate``),
``period`` and ``value`` (and for ``proven_reoffending_rate`` rows from the MoJ loader,
``count`` = reoffenders and ``denominator`` = cohort). A partnership adds its own cohorts
to its returns file as three rows per cohort (see ``data/returns/README.md``).

References
----------
Ministry of Justice (2023). *Guide to proven reoffending statistics*.
McCullagh P, Nelder JA (1989). *Generalized Linear Models*, 2nd ed., §4.5 (quasi-likelihood).
Williams DA (1982). Extra-binomial variation in logistic linear models. *Applied Statistics*
31:144-148.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cdp_analysis.errors import CdpInputError

__all__ = ["ReoffendingForecast", "cohort_table", "forecast_reoffending"]

_COUNTS = ("reoffending_cohort", "reoffenders", "reoffences")


def cohort_table(rows: pd.DataFrame, *, unit: str | None = None) -> pd.DataFrame:
    """One row per cohort: ``period, cohort, reoffenders, reoffences, rate`` (rate in %), oldest first.

    Parameters
    ----------
    rows : pandas.DataFrame
        Long rows of one area and one age group: ``metric_id``, ``period``, ``value`` (and
        ``count``/``denominator`` on ``proven_reoffending_rate`` rows).
    unit : {"quarter", "year"}, optional
        Keep cohorts of this length (3 or 12 months); default the length of the latest cohort.

    Returns
    -------
    pandas.DataFrame
        Cohorts with both offenders and reoffenders, consecutive or not (the forecast checks).

    Raises
    ------
    CdpInputError
        No cohort has both figures, or reoffenders exceed the cohort.

    Examples
    --------
    >>> rows = pd.DataFrame({"metric_id": ["reoffending_cohort", "reoffenders"] * 2,
    ...                      "period": ["2022/23 Q1"] * 2 + ["2022/23 Q2"] * 2, "value": [400, 110, 420, 120]})
    >>> cohort_table(rows)[["period", "cohort", "reoffenders", "rate"]].round(2).values.tolist()
    [['2022/23 Q1', 400.0, 110.0, 27.5], ['2022/23 Q2', 420.0, 120.0, 28.57]]
    """
    from cdp_analysis.periods import Period

    for c in ("metric_id", "period", "value"):
        if c not in rows.columns:
            raise CdpInputError("reoffending rows lack a column", column=c, expected="metric_id, period, value")
    d = rows[rows["metric_id"].isin((*_COUNTS, "proven_reoffending_rate"))]
    for col in ("area_code", "age", "sex"):
        if col in d.columns and d[col].nunique() > 1:
            raise CdpInputError(f"reoffending rows mix {d[col].nunique()} values of {col}", column=col,
                                expected=f"rows of one {col} (filter them first)")
    wide = d[d["metric_id"].isin(_COUNTS)].pivot_table(index="period", columns="metric_id", values="value",
                                                       aggfunc="last")
    wide = wide.reindex(columns=list(_COUNTS))
    rate_rows = d[d["metric_id"] == "proven_reoffending_rate"]
    if len(rate_rows) and {"count", "denominator"} <= set(rate_rows.columns):
        r = rate_rows.dropna(subset=["count", "denominator"]).drop_duplicates("period", keep="last").set_index(
            "period")
        wide = wide.reindex(wide.index.union(r.index))
        wide["reoffending_cohort"] = wide["reoffending_cohort"].fillna(r["denominator"])
        wide["reoffenders"] = wide["reoffenders"].fillna(r["count"])
    wide = wide.dropna(subset=["reoffending_cohort", "reoffenders"])
    if wide.empty:
        raise CdpInputError("no cohort has both its offenders and its reoffenders",
                            column="metric_id", expected="reoffending_cohort and reoffenders rows for each cohort")
    bad = wide.index[(wide["reoffenders"] > wide["reoffending_cohort"]) | (wide["reoffending_cohort"] <= 0)]
    if len(bad):
        raise CdpInputError("reoffenders exceed the cohort (or the cohort is not positive)", row=list(bad),
                            column="reoffenders", expected="0 <= reoffenders <= cohort")
    per = {p: _as_quarter(Period.parse(str(p))) for p in wide.index}
    out = pd.DataFrame({"period": [per[p].label for p in wide.index],
                        "cohort": wide["reoffending_cohort"].to_numpy(float),
                        "reoffenders": wide["reoffenders"].to_numpy(float),
                        "reoffences": wide["reoffences"].to_numpy(float),
                        "_start": [per[p].start for p in wide.index],
                        "_months": [per[p].n_months for p in wide.index]}).sort_values("_start")
    months = {"quarter": 3, "year": 12}.get(unit or "", int(out["_months"].iloc[-1]))
    out = out[out["_months"] == months]
    out["rate"] = 100 * out["reoffenders"] / out["cohort"]
    return out.drop(columns=["_start", "_months"]).reset_index(drop=True)


def _latest_run(tab: pd.DataFrame) -> pd.DataFrame:
    """The latest run of consecutive cohorts (MoJ's national quarters skip 2001, for example)."""
    import datetime as dt

    from cdp_analysis.periods import Period

    ps = [Period.parse(str(p)) for p in tab["period"]]
    i = len(ps) - 1
    while i > 0 and ps[i - 1].end + dt.timedelta(days=1) == ps[i].start:
        i -= 1
    return tab.iloc[i:].reset_index(drop=True)


def _as_quarter(p: Any) -> Any:
    """A 3-month cohort starting in January, April, July or October as its financial quarter
    (MoJ's ``2000-01..2000-03`` is ``1999/00 Q4``), so that quarterly cohorts form one series."""
    from cdp_analysis.periods import Period

    if p.n_months != 3 or p.start.month not in (1, 4, 7, 10) or p.kind == "quarter":
        return p
    y, m = p.start.year, p.start.month
    fy = y if m >= 4 else y - 1
    q = (m - 4) % 12 // 3 + 1
    out = Period.parse(f"{fy}/{(fy + 1) % 100:02d} Q{q}")
    assert out.start == p.start and out.end == p.end
    return out


@dataclass
class ReoffendingForecast:
    """A proven-reoffending forecast with its backtest and the age of its data.

    Attributes
    ----------
    cohorts : pandas.DataFrame
        The history (:func:`cohort_table`).
    forecast : pandas.DataFrame
        ``period, mean, lower_80, upper_80, lower_95, upper_95`` in per cent, ``status`` "[f]".
    model : str
        The model chosen by the backtest (``binomial_glm`` or the ``pooled4`` benchmark).
    mase, coverage_80, coverage_95, naive_mase : float
        The chosen model's rolling-origin backtest scores, and the pooled-4 benchmark's MASE.
    n_checks : int
        Backtest checks behind those scores.
    dispersion : float
        Quasi-binomial dispersion φ of the GLM (1 = binomial).
    latest : str
        The latest cohort.
    years_old : int or None
        Whole years between the end of the latest cohort and the end of ``as_of`` (None without it).
    """

    cohorts: pd.DataFrame
    forecast: pd.DataFrame
    model: str
    mase: float
    coverage_80: float
    coverage_95: float
    naive_mase: float
    n_checks: int
    dispersion: float
    latest: str
    years_old: int | None = None
    info: dict[str, Any] | None = None

    def summary(self) -> str:
        """The forecast [f] in words, with its backtest accuracy and the age of the data."""
        f = self.forecast.iloc[0]
        last = self.cohorts.iloc[-1]
        age = ""
        if self.years_old == 0:
            age = f" The latest cohort ({self.latest}) ended less than a year before the reporting period."
        elif self.years_old is not None:
            age = (f" The latest cohort ({self.latest}) ended {self.years_old} "
                   f"year{'s' if self.years_old != 1 else ''} before the reporting period"
                   + (": the forecast describes those years, not today." if self.years_old >= 2 else "."))
        return (f"Forecast [f] for the {f['period']} cohort: {f['mean']:.1f}% reoffending (95% prediction interval "
                f"{f['lower_95']:.1f}% to {f['upper_95']:.1f}%; 80%: {f['lower_80']:.1f}% to {f['upper_80']:.1f}%), "
                f"against {last['rate']:.1f}% in {last['period']}. In its rolling-origin backtest "
                f"({self.n_checks} checks) the model's mean absolute scaled error was {self.mase:.2f} "
                f"(pooled last-4 benchmark {self.naive_mase:.2f}) and its 95% intervals held "
                f"{self.coverage_95:.0%} of outcomes.{age}")

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.summary())}</p>" + self.forecast.to_html(index=False)


def forecast_reoffending(
    rows: pd.DataFrame,
    horizon: int = 4,
    *,
    unit: str | None = None,
    as_of: Any = None,
    n_origins: int = 5,
    n_draws: int = 2000,
    seed: int = 0,
) -> ReoffendingForecast:
    """Forecast the proven reoffending rate of the next ``horizon`` cohorts, with 80% and 95% intervals.

    Parameters
    ----------
    rows : pandas.DataFrame
        Long rows of one area and one age group (see :func:`cohort_table`).
    horizon : int, default 4
        Cohorts ahead.
    unit : {"quarter", "year"}, optional
        Cohort length; default that of the latest cohort.
    as_of : str or Period, optional
        Reporting period, to state how old the latest cohort is.
    n_origins, n_draws, seed
        As :func:`cdp_analysis.models.forecast`.

    Returns
    -------
    ReoffendingForecast

    Raises
    ------
    CdpInputError
        Fewer than 10 consecutive cohorts (6 to fit and 4 to check) in the latest run of
        consecutive cohorts (earlier cohorts before a gap are left out), or bad rows.

    Examples
    --------
    >>> q = [f"{y}/{str(y + 1)[2:]} Q{k}" for y in range(2019, 2023) for k in range(1, 5)]
    >>> rng = np.random.default_rng(0)
    >>> n = np.full(16, 500.0)
    >>> x = rng.binomial(500, np.linspace(0.30, 0.26, 16)).astype(float)
    >>> rows = pd.concat([pd.DataFrame({"metric_id": "reoffending_cohort", "period": q, "value": n}),
    ...                   pd.DataFrame({"metric_id": "reoffenders", "period": q, "value": x})])
    >>> fc = forecast_reoffending(rows, 2)
    >>> fc.forecast["period"].tolist(), fc.forecast["status"].iloc[0]
    (['2023/24 Q1', '2023/24 Q2'], '[f]')
    """
    from cdp_analysis.models.forecast import forecast
    from cdp_analysis.periods import Period

    tab = _latest_run(cohort_table(rows, unit=unit))
    if len(tab) < 10:
        raise CdpInputError(f"a reoffending forecast needs at least 10 cohorts, got {len(tab)}",
                            expected="10 or more consecutive cohorts (6 to fit, 4 to backtest)")
    series = pd.Series(tab["reoffenders"].to_numpy() / tab["cohort"].to_numpy(), index=tab["period"].to_numpy(),
                       name="proven reoffending rate")
    expo = pd.Series(tab["cohort"].to_numpy(), index=tab["period"].to_numpy())
    fc = forecast(series, horizon, kind="proportion", denominator=expo, n_origins=n_origins, n_draws=n_draws,
                  seed=seed, metric="proven_reoffending_rate")
    a = fc.attrs
    out = pd.DataFrame(fc).loc[:, ["period", "mean", "lower_80", "upper_80", "lower_95", "upper_95", "status"]]
    for c in ("mean", "lower_80", "upper_80", "lower_95", "upper_95"):
        out[c] = 100 * out[c].astype(float)
    bench = a.get("backtest", {}).get("pooled4", {})
    years = None
    if as_of is not None:
        end = Period.parse(str(as_of)).end
        cend = Period.parse(str(tab["period"].iloc[-1])).end
        years = max(0, (end.year - cend.year) - ((end.month, end.day) < (cend.month, cend.day)))
    info = dict(a.get("info", {}))
    return ReoffendingForecast(
        cohorts=tab, forecast=out.reset_index(drop=True), model=str(a.get("model", "")),
        mase=float(a.get("mase", np.nan)), coverage_80=float(a.get("coverage_80", np.nan)),
        coverage_95=float(a.get("coverage_95", np.nan)), naive_mase=float(bench.get("mase", np.nan)),
        n_checks=int(a.get("n_checks", 0) or 0), dispersion=float(info.get("dispersion", np.nan)),
        latest=str(tab["period"].iloc[-1]), years_old=years, info=info,
    )
