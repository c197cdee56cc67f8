"""A pooled small-area trend model for annual counts: empirical-Bayes shrinkage of each area's slope.

Small areas have short, noisy series, so each area's own trend is mostly noise. The model
borrows strength from the other areas of its group (region):

1. for area i, a Poisson log-linear GLM on its last ``window`` years gives the slope
   :math:`\\hat b_i` with standard error :math:`s_i` (scaled by the Pearson dispersion
   :math:`\\max(\\hat\\phi_i, 1)`); the same GLM on the group's total gives :math:`b_g`;
2. the between-area variance of the slopes in the group is the DerSimonian-Laird moment
   estimate :math:`\\hat\\tau^2 = \\max\\{0, (Q - (I-1))/(\\sum w_i - \\sum w_i^2/\\sum w_i)\\}`,
   :math:`Q = \\sum w_i(\\hat b_i - b_g)^2`, :math:`w_i = s_i^{-2}`; each slope is shrunk,
   :math:`b_i^* = \\lambda_i \\hat b_i + (1 - \\lambda_i) b_g`,
   :math:`\\lambda_i = \\hat\\tau^2/(\\hat\\tau^2 + s_i^2)` (empirical Bayes; Efron & Morris 1975);
3. the level at the last year T given that slope is the Poisson MLE over the window,
   :math:`\\hat L_i = \\sum_j y_{i,T-j} / \\sum_j e^{-b_i^* j}`, and the forecast is
   :math:`\\hat\\mu_{i,T+h} = \\hat L_i e^{b_i^* h}`;
4. predictive intervals are negative binomial (NB2), :math:`\\operatorname{Var} y = \\mu + \\alpha_h \\mu^2`,
   with :math:`\\alpha_h` the maximum-likelihood value over the pooled errors of the model's own
   forecasts from the ``calibration_origins`` previous origins whose outcomes are known at the
   origin (empirical prediction intervals; Williams & Goodman 1971), so the intervals carry
   the real spread of forecast errors, not only Poisson noise.

The specification (window 10, level from the same window, shrinkage towards the region, 5
calibration origins) was fixed on forecast origins 2009-2013 of the ONS deaths backtest and
evaluated on origins 2014-2018 (``benchmarks/forecast_accuracy.py``).

References
----------
Efron B, Morris C (1975). Data analysis using Stein's estimator and its generalizations.
JASA 70:311-319. DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Control
Clin Trials 7:177-188. Williams WH, Goodman ML (1971). A simple method for the construction of
empirical confidence limits for economic forecasts. JASA 66:752-754. Hilbe JM (2011).
*Negative Binomial Regression*, 2nd ed., ch. 8 (NB2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cdp_analysis.errors import CdpInputError

__all__ = ["PooledForecast", "pooled_backtest", "pooled_forecast", "pooled_means", "nb2_alpha"]


def _poisson_slope(y: np.ndarray) -> tuple[float, float]:
    """Slope and dispersion-scaled standard error of a log-linear Poisson GLM on y (t centred at the end)."""
    n = len(y)
    if not np.any(y > 0):
        return 0.0, np.inf
    X = np.c_[np.ones(n), np.arange(n) - (n - 1.0)]
    mu = y + 0.5
    eta = np.log(mu)
    for _ in range(30):
        z = eta + (y - mu) / mu
        XtW = X.T * mu
        b = np.linalg.solve(XtW @ X, XtW @ z)
        eta_new = np.clip(X @ b, -30, 30)
        done = np.max(np.abs(eta_new - eta)) < 1e-9
        eta = eta_new
        mu = np.exp(eta)
        if done:
            break
    cov = np.linalg.inv((X.T * mu) @ X)
    phi = max(1.0, float(np.sum((y - mu) ** 2 / mu) / max(n - 2, 1)))
    return float(b[1]), float(np.sqrt(cov[1, 1] * phi))


def pooled_means(Y: np.ndarray, groups: np.ndarray, horizon: int, window: int = 10,
                 extra: np.ndarray | None = None, extra_groups: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """Point forecasts (areas x horizon) of the shrunk-slope model from the last ``window`` columns of ``Y``.

    ``extra`` rows (e.g. partnerships, sums of areas already in ``Y``) are forecast with the
    group slopes and between-area variances estimated from ``Y`` alone; their means follow
    the rows of ``Y`` in the result.

    Returns
    -------
    means, info
        ``info`` has ``slope``, ``slope_se``, ``shrunk_slope``, ``weight`` (λ) per area and
        ``group_slope``, ``tau2`` per group.
    """
    Yw = np.asarray(Y, float)[:, -window:]
    b, se = np.array([_poisson_slope(y) for y in Yw]).T
    bstar = b.copy()
    lam = np.zeros(len(b))
    gslope, gtau2 = {}, {}
    for g in pd.unique(groups):
        idx = groups == g
        bg, _ = _poisson_slope(Yw[idx].sum(axis=0))
        ok = idx & np.isfinite(se) & (se > 0)
        w = 1.0 / se[ok] ** 2
        if ok.sum() >= 2:
            q = float(np.sum(w * (b[ok] - bg) ** 2))
            denom = w.sum() - (w**2).sum() / w.sum()
            tau2 = max(0.0, (q - (ok.sum() - 1)) / denom) if denom > 0 else 0.0
        else:
            tau2 = 0.0
        lam[ok] = tau2 / (tau2 + se[ok] ** 2)
        bstar[idx] = lam[idx] * np.where(np.isfinite(b[idx]), b[idx], 0) + (1 - lam[idx]) * bg
        gslope[g], gtau2[g] = bg, tau2
    if extra is not None and len(extra):
        Ew = np.asarray(extra, float)[:, -window:]
        eb, ese = np.array([_poisson_slope(y) for y in Ew]).reshape(-1, 2).T
        etau = np.array([gtau2.get(g, 0.0) for g in extra_groups])
        egs = np.array([gslope.get(g, np.nan) for g in extra_groups])
        egs = np.where(np.isfinite(egs), egs, eb)
        elam = np.where(np.isfinite(ese) & (ese > 0), etau / (etau + ese**2), 0.0)
        ebstar = elam * np.where(np.isfinite(eb), eb, 0) + (1 - elam) * egs
        Yw = np.vstack([Yw, Ew])
        b, se = np.r_[b, eb], np.r_[se, ese]
        bstar, lam = np.r_[bstar, ebstar], np.r_[lam, elam]
    j = np.arange(window)
    level = Yw[:, ::-1].sum(axis=1) / np.exp(-np.outer(bstar, j)).sum(axis=1)
    h = np.arange(1, horizon + 1)
    means = level[:, None] * np.exp(np.outer(bstar, h))
    return means, {"slope": b, "slope_se": se, "shrunk_slope": bstar, "weight": lam, "group_slope": gslope,
                   "tau2": gtau2, "level": level}


def nb2_alpha(y: np.ndarray, mu: np.ndarray) -> float:
    """Maximum-likelihood NB2 over-dispersion α for counts ``y`` with known means ``mu`` (0 = Poisson).

    Maximises :math:`\\sum_i \\log \\mathrm{NB}(y_i; \\mu_i, \\alpha)` with
    :math:`\\operatorname{Var} y = \\mu + \\alpha\\mu^2` over α in [0, 10].

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> mu = np.full(20000, 20.0)
    >>> y = rng.negative_binomial(1 / 0.1, 1 / (1 + 0.1 * mu))
    >>> round(nb2_alpha(y, mu), 2)
    0.1
    """
    from scipy.optimize import minimize_scalar
    from scipy.special import gammaln

    y = np.asarray(y, float)
    mu = np.maximum(np.asarray(mu, float), 1e-9)

    def nll(log_a: float) -> float:
        a = np.exp(log_a)
        r = 1.0 / a
        ll = gammaln(y + r) - gammaln(r) - gammaln(y + 1) + r * np.log(r / (r + mu)) + y * np.log(mu / (r + mu))
        return -float(ll.sum())

    res = minimize_scalar(nll, bounds=(np.log(1e-6), np.log(10.0)), method="bounded")
    a = float(np.exp(res.x))
    return 0.0 if a < 1e-5 else a


@dataclass
class PooledForecast:
    """Forecasts of every area from the pooled (shrunk-slope) model, with NB2 intervals.

    Attributes
    ----------
    table : pandas.DataFrame
        ``area, period, h, mean, lower_80, upper_80, lower_95, upper_95, status`` ("[f]").
    alpha : dict
        NB2 α per horizon, estimated from the model's past errors.
    info : dict
        Slopes, standard errors, shrinkage weights and group slopes/τ² (see :func:`pooled_means`).
    """

    table: pd.DataFrame
    alpha: dict[int, float]
    info: dict = field(default_factory=dict)

    def area(self, code: str) -> pd.DataFrame:
        """The rows of one area."""
        return self.table[self.table["area"] == code].reset_index(drop=True)


def _labels_after(last: str, h: int) -> list[str]:
    from cdp_analysis.periods import Period

    p = Period.parse(str(last))
    return [p.shift(k).label for k in range(1, h + 1)]


def pooled_forecast(
    panel: pd.DataFrame,
    groups: Mapping[str, str] | pd.Series,
    horizon: int = 3,
    *,
    window: int = 10,
    calibration_origins: int = 5,
    extra: pd.DataFrame | None = None,
) -> PooledForecast:
    """Forecast every area of ``panel`` with slopes shrunk towards its group's, and NB2 intervals.

    Parameters
    ----------
    panel : pandas.DataFrame
        Annual counts, one row per area (index: area code), one column per consecutive year
        (labels such as ``"2019"``), no missing values.
    groups : mapping or Series
        Area code -> group (region); areas not listed form one group of their own ("other").
    horizon : int, default 3
        Years ahead.
    window : int, default 10
        Years each GLM is fitted on.
    calibration_origins : int, default 5
        Past origins whose errors (outcomes all observed) estimate the NB2 α of each horizon.
    extra : pandas.DataFrame, optional
        More series with the same columns (partnerships: sums of areas in ``panel``), forecast
        with the groups' slopes and variances from ``panel`` (they do not enter the estimates);
        their group is ``groups[code]``.

    Returns
    -------
    PooledForecast

    Raises
    ------
    CdpInputError
        Missing values, fewer than 2 areas, or too short for the window and the calibration
        (``window + horizon + calibration_origins - 1`` years).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> years = [str(y) for y in range(2000, 2022)]
    >>> mu = np.outer(rng.uniform(5, 60, 30), np.exp(0.04 * np.arange(22)))
    >>> panel = pd.DataFrame(rng.poisson(mu), columns=years, index=[f"A{i}" for i in range(30)])
    >>> f = pooled_forecast(panel, {f"A{i}": "R1" if i < 15 else "R2" for i in range(30)}, 2)
    >>> f.area("A0")["period"].tolist()
    ['2022', '2023']
    """
    from scipy.stats import nbinom

    Y = panel.to_numpy(dtype=float)
    if Y.ndim != 2 or Y.shape[0] < 2:
        raise CdpInputError("the pooled model needs a panel of at least 2 areas", expected="rows = areas")
    if not np.isfinite(Y).all() or (Y < 0).any():
        bad = list(panel.index[~np.isfinite(Y).all(axis=1) | (Y < 0).any(axis=1)])
        raise CdpInputError("missing or negative counts in the panel", row=bad, expected="a count for every year")
    need = window + horizon + calibration_origins - 1
    if Y.shape[1] < need:
        raise CdpInputError(f"the pooled model needs {need} years, got {Y.shape[1]}",
                            expected=f"window ({window}) + horizon ({horizon}) + calibration origins - 1")
    g = np.array([str(groups.get(a, "other")) if hasattr(groups, "get") else "other" for a in panel.index])
    X = None if extra is None or extra.empty else extra[list(panel.columns)].to_numpy(dtype=float)
    if X is not None and (not np.isfinite(X).all() or (X < 0).any()):
        raise CdpInputError("missing or negative counts in the extra series", row=list(extra.index))
    gx = None if X is None else np.array([str(groups.get(a, "other")) for a in extra.index])
    n = Y.shape[1]
    alpha = {}
    errs: dict[int, tuple[list, list]] = {h: ([], []) for h in range(1, horizon + 1)}
    for L in range(n - horizon - calibration_origins + 1, n - horizon + 1):
        mu, _ = pooled_means(Y[:, :L], g, horizon, window)
        for h in range(1, horizon + 1):
            errs[h][0].append(Y[:, L + h - 1])
            errs[h][1].append(mu[:, h - 1])
    for h, (ys, mus) in errs.items():
        alpha[h] = nb2_alpha(np.concatenate(ys), np.concatenate(mus))
    means, info = pooled_means(Y, g, horizon, window, X, gx)
    names = list(panel.index) + ([] if X is None else list(extra.index))
    labels = _labels_after(str(panel.columns[-1]), horizon)
    rows = []
    for h in range(1, horizon + 1):
        mu = means[:, h - 1]
        a = max(alpha[h], 1e-8)
        r = 1.0 / a
        p = r / (r + np.maximum(mu, 1e-12))
        q = {lv: nbinom.ppf(lv, r, p) for lv in (0.025, 0.1, 0.9, 0.975)}
        rows.append(pd.DataFrame({"area": names, "period": labels[h - 1], "h": h, "mean": mu,
                                  "lower_80": q[0.1], "upper_80": q[0.9], "lower_95": q[0.025],
                                  "upper_95": q[0.975], "status": "[f]"}))
    table = pd.concat(rows, ignore_index=True).sort_values(["area", "h"], kind="stable").reset_index(drop=True)
    return PooledForecast(table, alpha, info)


def pooled_backtest(
    panel: pd.DataFrame,
    groups: Mapping[str, str] | pd.Series,
    horizon: int = 3,
    *,
    n_origins: int = 5,
    window: int = 10,
    calibration_origins: int = 5,
    extra: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rolling-origin checks of the pooled model and of naive, per area, in the format of :func:`backtest`.

    The last ``n_origins`` origins whose ``horizon`` outcomes are all observed are refitted
    (pooled over all areas, calibration included) on the data up to each; naive (last value,
    with its Gaussian interval from the in-sample one-step changes, as
    :func:`cdp_analysis.models.benchmarks.naive`) is scored on the same checks. Pass the result
    to :func:`cdp_analysis.models.summarise` (per area or pooled).

    Returns
    -------
    pandas.DataFrame
        ``series`` (area code), ``model`` (``pooled`` or ``naive``), ``origin``, ``h``, ``period``,
        ``actual``, ``mean``, the 80%/95% bounds and the scaled scores.
    """
    from cdp_analysis.models import benchmarks as bm
    from cdp_analysis.models.backtest import naive_scale, score_checks

    cols = list(panel.columns)
    both = panel if extra is None or extra.empty else pd.concat([panel, extra[cols]])
    n = len(cols)
    rows = []
    for L in range(n - horizon - n_origins + 1, n - horizon + 1):
        f = pooled_forecast(panel.iloc[:, :L], groups, horizon, window=window,
                            calibration_origins=calibration_origins,
                            extra=None if extra is None or extra.empty else extra.iloc[:, :L]).table
        for r in f.itertuples(index=False):
            y = both.loc[r.area].to_numpy(float)
            mae, mse = naive_scale(y[:L])
            base = {"series": r.area, "origin": cols[L - 1], "h": r.h, "period": r.period,
                    "actual": y[cols.index(r.period)], "scale_mae": mae, "scale_mse": mse}
            rows.append({**base, "model": "pooled", "mean": r.mean, "lower_80": r.lower_80, "upper_80": r.upper_80,
                         "lower_95": r.lower_95, "upper_95": r.upper_95})
        for code in both.index:
            y = both.loc[code].to_numpy(float)
            nv = bm.naive(y[:L], horizon)
            mae, mse = naive_scale(y[:L])
            for h in range(1, horizon + 1):
                rows.append({"series": code, "origin": cols[L - 1], "h": h, "period": cols[L + h - 1],
                             "actual": y[L + h - 1], "scale_mae": mae, "scale_mse": mse, "model": "naive",
                             "mean": nv.mean[h - 1], "lower_80": nv.lower_80[h - 1], "upper_80": nv.upper_80[h - 1],
                             "lower_95": nv.lower_95[h - 1], "upper_95": nv.upper_95[h - 1]})
    return score_checks(pd.DataFrame(rows))
