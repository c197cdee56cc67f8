"""Funnel plots that allow for over-dispersion (Spiegelhalter 2005).

When areas vary far more than Poisson or binomial chance allows, the usual funnel limits
flag a large share of areas as "outliers". Spiegelhalter (2005) estimates the excess from
the areas themselves and widens the limits, either multiplicatively (variance
:math:`\\phi s^2`) or additively (a random-effects variance :math:`s^2 + \\tau^2`):

1. each area's indicator :math:`y_i` is put on a scale :math:`g` (identity, square root or
   log) and scored :math:`z_i = (g(y_i) - g(\\theta_0)) / s_i`, with :math:`s_i` the
   standard error of :math:`g(y_i)` at the target :math:`\\theta_0`;
2. the most extreme ``trim`` (10%) of z-scores in each tail are Winsorised (shrunk to the
   10th/90th percentile; Spiegelhalter 2005) or truncated (dropped; the NHS SHMI);
3. :math:`\\hat\\phi = \\frac{1}{I}\\sum_i z_i^2` over those :math:`I` scores; with no
   over-dispersion :math:`I\\hat\\phi` is approximately :math:`\\chi^2_{I-1}` (the target is
   estimated from the same areas), which gives the test of :math:`\\phi > 1`;
4. the between-area variance (DerSimonian-Laird moment estimator),
   :math:`\\hat\\tau^2 = \\max\\{0, (I\\hat\\phi - (I-1)) / (\\sum w_i - \\sum w_i^2 / \\sum w_i)\\}`,
   :math:`w_i = 1/s_i^2`;
5. limits at size :math:`n`: :math:`g^{-1}(g(\\theta_0) \\pm z_\\alpha \\sqrt{\\phi}\\, s(n))`
   (multiplicative) and :math:`g^{-1}(g(\\theta_0) \\pm z_\\alpha \\sqrt{s(n)^2 + \\tau^2})`
   (additive), :math:`z_\\alpha` = 1.96 (95%) and 3.09 (99.8%).

References
----------
Spiegelhalter DJ (2005). Handling over-dispersion of performance indicators. Qual Saf
Health Care 14:347-351. Spiegelhalter DJ (2005). Funnel plots for comparing institutional
performance. Stat Med 24:1185-1202. Spiegelhalter DJ, Sherlaw-Johnson C, Bardsley M et al.
(2012). Statistical methods for healthcare regulation: rating, screening and surveillance.
J R Stat Soc A 175:1-47. DerSimonian R, Laird N (1986). Meta-analysis in clinical trials.
Control Clin Trials 7:177-188. NHS Digital, SHMI specification (truncation variant).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cdp_analysis.errors import CdpInputError, CdpParameterError
from cdp_analysis.indicators._limits import z_value
from cdp_analysis.indicators._validate import check_frame, check_multiplier, numeric
from cdp_analysis.vocabulary import renamed

__all__ = ["Overdispersion", "OverdispersedFunnel", "funnel_z_scores", "overdispersion", "overdispersed_funnel"]

SCALES = ("identity", "sqrt", "log")
SETS = ("unadjusted", "multiplicative", "additive")
_LEVELS = ((0.95, "95"), (0.998, "99_8"))


@dataclass(frozen=True)
class _Scored:
    y: np.ndarray  # indicator on its natural scale (proportion, ratio, events per person)
    size: np.ndarray  # denominator, expected count or annual derived population
    variance: np.ndarray  # variance of y at the target
    target: float
    keep: np.ndarray  # rows scored (DSRs from < 10 events are not)


def _g(v: np.ndarray | float, scale: str) -> np.ndarray:
    v = np.asarray(v, float)
    if scale == "sqrt":
        return np.sqrt(v)
    if scale == "log":
        with np.errstate(divide="ignore"):
            return np.log(v)
    return v


def _g_inv(v: np.ndarray, scale: str) -> np.ndarray:
    if scale == "sqrt":
        return np.maximum(v, 0.0) ** 2
    if scale == "log":
        return np.exp(v)
    return v


def _dg(target: float, scale: str) -> float:
    """Derivative of the scale at the target (delta method)."""
    return {"identity": 1.0, "sqrt": 0.5 / math.sqrt(target), "log": 1.0 / target}[scale]


def _score_inputs(df, numerator, statistic, denominator, rate, rate_type, multiplier, years_of_data) -> _Scored:
    if statistic not in ("proportion", "ratio", "rate"):
        raise CdpParameterError(f"statistic must be 'proportion', 'ratio' or 'rate', got {statistic!r}")
    if statistic in ("proportion", "ratio"):
        if denominator is None:
            raise CdpParameterError(f"{statistic} funnels need denominator=")
        check_frame(df, [numerator, denominator])
        x = numeric(df, numerator)
        n = numeric(df, denominator, strictly_positive=True)
        keep = np.ones(len(df), dtype=bool)
        if statistic == "proportion":
            if (x > n).any():
                raise CdpInputError("numerator is above its denominator", row=list(df.index[x > n]), column=numerator)
            p = x.sum() / n.sum()
            if not 0 < p < 1:
                raise CdpInputError("the average proportion is 0 or 1: no funnel to adjust", column=numerator)
            return _Scored(x / n, n, p * (1 - p) / n, p, keep)
        return _Scored(x / n, n, 1.0 / n, 1.0, keep)  # O/E with Poisson O: var = 1/E at the target
    if rate is None or rate_type not in ("dsr", "crude"):
        raise CdpParameterError("for rates give rate= (the rate column) and rate_type='dsr' or 'crude'")
    from cdp_analysis.indicators.funnels import derived_denominator

    check_frame(df, [numerator, rate])
    o, d = derived_denominator(df, numerator, rate, rate_type, denominator, multiplier)
    keep = ~np.isnan(d)
    if rate_type == "dsr":
        keep &= o >= 10
    target = o[keep].sum() / d[keep].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(keep, o / d, np.nan)
        return _Scored(y, d / float(years_of_data), target / d, target, keep)


def _check_options(scale: str, trim: float, method: str) -> None:
    if scale not in SCALES:
        raise CdpParameterError(f"scale must be one of {SCALES}, got {scale!r}")
    if not (isinstance(trim, (int, float)) and 0 <= trim < 0.5):
        raise CdpParameterError(f"trim must be a share in [0, 0.5), got {trim!r}")
    if method not in ("winsorise", "truncate"):
        raise CdpParameterError(f"method must be 'winsorise' or 'truncate', got {method!r}")


def _default_scale(statistic: str) -> str:
    return "identity" if statistic == "proportion" else "sqrt"


@renamed(numerator="count")
def funnel_z_scores(
    df: pd.DataFrame,
    count: str,
    statistic: str = "proportion",
    denominator: str | None = None,
    rate: str | None = None,
    rate_type: str | None = None,
    multiplier: float = 100,
    scale: str | None = None,
    years_of_data: float = 1,
) -> pd.DataFrame:
    """Each area's z-score against the funnel's target (Spiegelhalter 2005, unadjusted).

    :math:`z_i = (g(y_i) - g(\\theta_0)) / s_i` with :math:`s_i = \\sqrt{V_i}\\, g'(\\theta_0)`, where

    * proportion: :math:`y = x/n`, :math:`\\theta_0 = \\sum x/\\sum n`, :math:`V = \\theta_0(1-\\theta_0)/n`;
    * ratio: :math:`y = O/E`, :math:`\\theta_0 = 1`, :math:`V = 1/E` (``scale="sqrt"`` gives
      :math:`z = 2(\\sqrt O - \\sqrt E)`, ``"log"`` gives :math:`z = \\sqrt E \\ln(O/E)`, the SHMI's);
    * rate: :math:`y = O/d` with the derived denominator :math:`d = mO/\\text{rate}`,
      :math:`\\theta_0 = \\sum O/\\sum d`, :math:`V = \\theta_0/d`; DSRs from fewer than 10
      events are not scored (NaN), as they are not plotted.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per area.
    count, statistic, denominator, rate, rate_type, multiplier
        As :func:`cdp_analysis.indicators.funnel_limits`.
    scale : {"identity", "sqrt", "log"}, optional
        Scale of the z-scores: identity for proportions, square root otherwise (Spiegelhalter
        et al. 2012).
    years_of_data : float, default 1
        Years pooled in a rate (the size column is per year).

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` with ``funnel_size`` (denominator, expected count or annual derived
        population), ``funnel_se`` (:math:`s_i`) and ``z``.

    References
    ----------
    Spiegelhalter DJ (2005). Handling over-dispersion of performance indicators. Qual Saf
    Health Care 14:347-351.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"o": [100, 150], "e": [108.0, 112.0]})
    >>> funnel_z_scores(df, "o", "ratio", denominator="e", scale="log")["z"].round(4).tolist()
    [-0.7998, 3.0917]
    """
    numerator = count  # vocabulary: the parameter is count

    scale = scale or _default_scale(statistic)
    _check_options(scale, 0.1, "winsorise")
    m = check_multiplier(multiplier)
    sc = _score_inputs(df, numerator, statistic, denominator, rate, rate_type, m, years_of_data)
    return _z_frame(df, sc, scale, statistic)


def _z_frame(df: pd.DataFrame, sc: _Scored, scale: str, statistic: str) -> pd.DataFrame:
    if scale == "log" and (sc.y[sc.keep] <= 0).any():
        bad = list(df.index[sc.keep & (sc.y <= 0)])
        raise CdpInputError("a log-scale z-score needs a value above 0", row=bad, expected="scale='sqrt' for zeros")
    se = np.sqrt(sc.variance) * _dg(sc.target, scale)
    with np.errstate(invalid="ignore"):
        z = (_g(sc.y, scale) - _g(sc.target, scale)) / se
    out = df.copy()
    out["funnel_size"] = sc.size
    out["funnel_se"] = np.where(sc.keep, se, np.nan)
    out["z"] = np.where(sc.keep, z, np.nan)
    return out


@dataclass(frozen=True)
class Overdispersion:
    """Over-dispersion of a funnel's areas (Spiegelhalter 2005): :math:`\\phi`, :math:`\\tau^2` and the test.

    Attributes
    ----------
    phi : float
        Multiplicative over-dispersion :math:`\\hat\\phi` (1 = as chance allows).
    tau2 : float
        Additive between-area variance :math:`\\hat\\tau^2`, on the z-score's scale.
    n_areas : int
        Areas whose z-scores entered :math:`\\hat\\phi` (after truncation).
    statistic : float
        :math:`I\\hat\\phi`, referred to :math:`\\chi^2_{I-1}`.
    p_value : float
        One-sided p-value of :math:`\\phi > 1`.
    alpha : float
        Level of the test.
    scale, method, trim
        The z-score scale and how the tails were handled.
    """

    phi: float
    tau2: float
    n_areas: int
    statistic: float
    p_value: float
    alpha: float
    scale: str
    method: str
    trim: float
    target: float = float("nan")
    multiplier: float = 1.0

    @property
    def tau_units(self) -> float:
        """:math:`\\hat\\tau` in the indicator's units (times the multiplier), by the delta method:
        :math:`\\hat\\tau / g'(\\theta_0)`; the spread of the areas' underlying values."""
        return self.tau / _dg(self.target, self.scale) * self.multiplier

    @property
    def tau(self) -> float:
        """Between-area standard deviation :math:`\\hat\\tau` on the z-score's scale."""
        return math.sqrt(self.tau2)

    @property
    def over_dispersed(self) -> bool:
        """Whether :math:`\\phi > 1` at level ``alpha`` (the areas vary more than chance allows)."""
        return bool(self.p_value < self.alpha)

    def summary(self) -> str:
        """One sentence: :math:`\\phi`, :math:`\\tau` and the test in plain English."""
        verdict = ("more than chance alone allows" if self.over_dispersed
                   else "no more than chance alone would explain")
        return (f"The areas vary {verdict}: over-dispersion phi = {self.phi:.2f} "
                f"(test of phi > 1: chi-squared {self.statistic:.1f} on {self.n_areas - 1} degrees of freedom, "
                f"p {_p(self.p_value)}), between-area standard deviation tau = {self.tau:.3g} "
                f"on the {_scale_words(self.scale)} scale, about {self.tau_units:.3g} in the indicator's units "
                f"({self.tau_units / (self.target * self.multiplier):.0%} of the average; "
                f"{int(round(self.trim * 100))}% "
                f"{'Winsorised' if self.method == 'winsorise' else 'truncated'} in each tail).")

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<p><b>Over-dispersion</b>: {html.escape(self.summary())}</p>"


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}".rstrip("0").rstrip(".") if p < 0.1 else f"= {p:.2f}"


def _scale_words(scale: str) -> str:
    return {"identity": "original", "sqrt": "square-root", "log": "log"}[scale]


def _trimmed(z: np.ndarray, trim: float, method: str) -> np.ndarray:
    """Winsorise to the (trim, 1-trim) quantiles (R type 7), or drop floor(trim*I) from each end."""
    if trim == 0:
        return z
    if method == "winsorise":
        lo, hi = np.quantile(z, [trim, 1 - trim])
        return np.clip(z, lo, hi)
    k = int(math.floor(trim * len(z)))
    return np.sort(z)[k:len(z) - k]


def _estimate(z: np.ndarray, se: np.ndarray, trim: float, method: str, alpha: float, scale: str,
              target: float, multiplier: float) -> Overdispersion:
    from scipy.stats import chi2

    if len(z) < 3:
        raise CdpInputError(f"over-dispersion needs at least 3 areas, got {len(z)}", expected="3 or more areas")
    zt = _trimmed(z, trim, method)
    n = len(zt)
    phi = float(np.sum(zt**2) / n)
    if method == "truncate" and trim > 0:
        order = np.argsort(z, kind="stable")
        k = int(math.floor(trim * len(z)))
        se = se[order][k:len(z) - k]
    w = 1.0 / se**2
    denom = w.sum() - (w**2).sum() / w.sum()
    tau2 = max(0.0, (n * phi - (n - 1)) / denom) if denom > 0 else 0.0
    stat = n * phi
    return Overdispersion(phi, float(tau2), n, float(stat), float(chi2.sf(stat, n - 1)), alpha, scale, method, trim,
                          float(target), float(multiplier))


@renamed(numerator="count")
def overdispersion(
    df: pd.DataFrame,
    count: str,
    statistic: str = "proportion",
    denominator: str | None = None,
    rate: str | None = None,
    rate_type: str | None = None,
    multiplier: float = 100,
    scale: str | None = None,
    trim: float = 0.1,
    method: str = "winsorise",
    alpha: float = 0.05,
    years_of_data: float = 1,
) -> Overdispersion:
    """Estimate over-dispersion :math:`\\phi` and :math:`\\tau^2` of a funnel and test :math:`\\phi > 1`.

    :math:`\\hat\\phi = \\frac1I\\sum z_i^2` over the Winsorised (or truncated) z-scores of
    :func:`funnel_z_scores`; :math:`I\\hat\\phi \\sim \\chi^2_{I-1}` when the areas differ only
    by chance (Winsorising makes the test conservative);
    :math:`\\hat\\tau^2 = \\max\\{0, (I\\hat\\phi - (I-1))/(\\sum w_i - \\sum w_i^2/\\sum w_i)\\}`,
    :math:`w_i = s_i^{-2}`.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per area.
    count, statistic, denominator, rate, rate_type, multiplier, scale, years_of_data
        As :func:`funnel_z_scores`.
    trim : float, default 0.1
        Share of each tail Winsorised or truncated.
    method : {"winsorise", "truncate"}, default "winsorise"
        Spiegelhalter's Winsorisation, or the SHMI's truncation (drops
        :math:`\\lfloor \\text{trim}\\cdot I\\rfloor` areas from each end).
    alpha : float, default 0.05
        Level of the test of :math:`\\phi > 1`.

    Returns
    -------
    Overdispersion

    References
    ----------
    Spiegelhalter DJ (2005). Handling over-dispersion of performance indicators. Qual Saf
    Health Care 14:347-351. DerSimonian R, Laird N (1986). Control Clin Trials 7:177-188.

    Examples
    --------
    FunnelPlotR's test data (SHMI method, 10% truncation; its tests give phi = 2.948033):

    >>> import pandas as pd
    >>> df = pd.DataFrame({"o": [100, 150, 180, 80, 120, 225], "e": [108, 112, 165, 95, 100, 220]})
    >>> od = overdispersion(df, "o", "ratio", denominator="e", scale="log", method="truncate")
    >>> round(od.phi, 6), od.over_dispersed
    (2.948033, True)
    """
    numerator = count  # vocabulary: the parameter is count

    scale = scale or _default_scale(statistic)
    _check_options(scale, trim, method)
    if not 0 < alpha < 1:
        raise CdpParameterError(f"alpha must be in (0, 1), got {alpha!r}")
    m = check_multiplier(multiplier)
    sc = _score_inputs(df, numerator, statistic, denominator, rate, rate_type, m, years_of_data)
    zf = _z_frame(df, sc, scale, statistic)
    ok = sc.keep
    return _estimate(zf["z"].to_numpy()[ok], zf["funnel_se"].to_numpy()[ok], trim, method, alpha, scale, sc.target, m)


@dataclass
class OverdispersedFunnel:
    """A funnel with unadjusted, multiplicative and additive limits, and which set to show.

    Attributes
    ----------
    overdispersion : Overdispersion
        :math:`\\phi`, :math:`\\tau^2` and the test.
    points : pandas.DataFrame
        The input rows with ``value`` (in the indicator's units), ``funnel_size``, ``z`` and
        ``significance_unadjusted``, ``significance_multiplicative``, ``significance_additive``
        (Fingertips' labels, "High (0.001)" ... "Not significant").
    limits : pandas.DataFrame
        ``size`` grid, ``centre`` and ``lower_95``, ``upper_95``, ``lower_99_8``,
        ``upper_99_8`` of each set, prefixed ``unadjusted_``, ``multiplicative_``,
        ``additive_``.
    shown : str
        The set to show: ``"additive"`` when the test finds :math:`\\phi > 1` (Spiegelhalter
        prefers the random-effects limits), otherwise ``"unadjusted"``.
    outside : dict
        ``{set: {"95": n, "99_8": n}}``: areas outside each set of limits.
    """

    overdispersion: Overdispersion
    points: pd.DataFrame
    limits: pd.DataFrame
    shown: str
    outside: dict[str, dict[str, int]] = field(default_factory=dict)

    def shown_limits(self) -> pd.DataFrame:
        """The limits of the shown set, named ``lower_95`` ... ``centre`` (a chart's input)."""
        cols = {f"{self.shown}_{s}_{lv}": f"{s}_{lv}" for _, lv in _LEVELS for s in ("lower", "upper")}
        return self.limits[["size", "centre", *cols]].rename(columns=cols)

    def summary(self) -> str:
        """Which limits are shown and why, :math:`\\phi`, :math:`\\tau` and the areas outside each set."""
        od = self.overdispersion
        n = int(self.points["z"].notna().sum())
        counts = "; ".join(
            f"{self.outside[s]['99_8']} outside the {s} 99.8% limits ({self.outside[s]['95']} outside 95%)"
            for s in SETS)
        if self.shown == "additive":
            why = ("The limits shown allow for over-dispersion (Spiegelhalter's additive random-effects limits), "
                   "because the areas vary more than chance alone allows: unadjusted limits would flag areas "
                   "whose difference is the ordinary spread between areas.")
        else:
            why = ("The limits shown are the unadjusted limits, because the areas vary no more than chance alone "
                   "would explain.")
        return f"{why} {od.summary()} Of {n} areas: {counts}."

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.summary())}</p>"


def _label(z: np.ndarray, width: np.ndarray | float) -> np.ndarray:
    """Fingertips' labels from z against limits ``width`` x z_alpha."""
    lab = np.full(len(z), "Not significant", dtype=object)
    for c, sfx in _LEVELS:
        zc = z_value(c)
        hi, lo = z > zc * width, z < -zc * width
        tag = "0.025" if sfx == "95" else "0.001"
        lab[hi] = f"High ({tag})"
        lab[lo] = f"Low ({tag})"
    lab[np.isnan(z)] = ""
    return lab


@renamed(numerator="count")
def overdispersed_funnel(
    df: pd.DataFrame,
    count: str,
    statistic: str = "proportion",
    denominator: str | None = None,
    rate: str | None = None,
    rate_type: str | None = None,
    multiplier: float = 100,
    scale: str | None = None,
    trim: float = 0.1,
    method: str = "winsorise",
    alpha: float = 0.05,
    years_of_data: float = 1,
    n_points: int = 100,
    sizes: np.ndarray | None = None,
) -> OverdispersedFunnel:
    """Funnel limits and each area's standing with and without allowance for over-dispersion.

    At size :math:`n` (denominator, expected count, or annual derived population) with
    :math:`s(n) = \\sqrt{V(n)}\\,g'(\\theta_0)`:

    * unadjusted: :math:`g^{-1}(g(\\theta_0) \\pm z_\\alpha s(n))`;
    * multiplicative: :math:`g^{-1}(g(\\theta_0) \\pm z_\\alpha \\sqrt{\\hat\\phi}\\, s(n))`
      (:math:`\\hat\\phi` floored at 1);
    * additive (random effects): :math:`g^{-1}(g(\\theta_0) \\pm z_\\alpha \\sqrt{s(n)^2 + \\hat\\tau^2})`;

    and an area is outside a set when :math:`|z_i|` exceeds :math:`z_\\alpha\\sqrt{\\hat\\phi}`
    or :math:`z_\\alpha\\sqrt{1 + \\hat\\tau^2/s_i^2}`. Values are in the indicator's units
    (times ``multiplier``). The additive set is shown when :math:`\\phi > 1` by the test
    (Spiegelhalter 2005 prefers it: it does not widen the limits of large areas without bound).

    Parameters
    ----------
    df, numerator, statistic, denominator, rate, rate_type, multiplier, scale, trim, method, alpha, years_of_data
        As :func:`overdispersion`.
    n_points : int, default 100
        Points of the limit lines (geometric from 0.9 x the smallest size to 1.05 x the largest).
    sizes : array, optional
        The sizes to compute the limits at instead (a chart's own grid).

    Returns
    -------
    OverdispersedFunnel

    References
    ----------
    Spiegelhalter DJ (2005). Handling over-dispersion of performance indicators. Qual Saf
    Health Care 14:347-351.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"x": [30, 45, 100, 20, 70, 160], "n": [100, 150, 300, 120, 180, 400]})
    >>> f = overdispersed_funnel(df, "x", "proportion", denominator="n")
    >>> f.shown, f.outside["unadjusted"]["95"], f.outside["additive"]["95"]
    ('additive', 2, 1)
    """
    numerator = count  # vocabulary: the parameter is count

    scale = scale or _default_scale(statistic)
    _check_options(scale, trim, method)
    m = check_multiplier(multiplier)
    sc = _score_inputs(df, numerator, statistic, denominator, rate, rate_type, m, years_of_data)
    zf = _z_frame(df, sc, scale, statistic)
    ok = sc.keep
    z = zf["z"].to_numpy()
    se = zf["funnel_se"].to_numpy()
    od = _estimate(z[ok], se[ok], trim, method, alpha, scale, sc.target, m)
    phi = max(od.phi, 1.0)
    unit = m
    pts = zf.copy()
    pts["value"] = sc.y * unit
    with np.errstate(invalid="ignore", divide="ignore"):
        widths = {"unadjusted": 1.0, "multiplicative": math.sqrt(phi), "additive": np.sqrt(1 + od.tau2 / se**2)}
    outside: dict[str, dict[str, int]] = {}
    for s in SETS:
        lab = _label(z, widths[s])
        pts[f"significance_{s}"] = lab
        outside[s] = {"95": int(sum(str(v).endswith("(0.025)") or str(v).endswith("(0.001)") for v in lab)),
                      "99_8": int(sum(str(v).endswith("(0.001)") for v in lab))}
    size = sc.size[ok]
    grid = (np.geomspace(size.min() * 0.9, size.max() * 1.05, n_points) if sizes is None
            else np.asarray(sizes, dtype=float))
    if statistic == "proportion":
        var = sc.target * (1 - sc.target) / grid
    elif statistic == "ratio":
        var = 1.0 / grid
    else:
        var = sc.target / (grid * float(years_of_data))
    s_n = np.sqrt(var) * _dg(sc.target, scale)
    g0 = float(_g(sc.target, scale))
    lim = pd.DataFrame({"size": grid, "centre": sc.target * unit})
    sd = {"unadjusted": s_n, "multiplicative": math.sqrt(phi) * s_n, "additive": np.sqrt(s_n**2 + od.tau2)}
    for s in SETS:
        for c, sfx in _LEVELS:
            zc = z_value(c)
            lo = _g_inv(g0 - zc * sd[s], scale)
            hi = _g_inv(g0 + zc * sd[s], scale)
            if statistic == "proportion":
                lo, hi = np.clip(lo, 0, 1), np.clip(hi, 0, 1)
            lim[f"{s}_lower_{sfx}"] = np.maximum(lo, 0.0) * unit
            lim[f"{s}_upper_{sfx}"] = hi * unit
    shown = "additive" if od.over_dispersed else "unadjusted"
    return OverdispersedFunnel(od, pts, lim, shown, outside)
