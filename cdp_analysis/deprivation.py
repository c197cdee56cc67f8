"""Deprivation of areas from the IMD 2019 LSOAs, and the gradient of a rate across it.

* :func:`upper_tier_of`: a 2019 district's upper-tier area of today's reporting geography
  (the areas with ``is_upper_tier_england`` in ``areas.csv``: the 2021 death registrations'
  and the December 2022 LTLA->UTLA lookup's), following counties and the ``replaced_by``
  links of the 2019-2020 reorganisations (Christchurch -> BCP, the Buckinghamshire districts ->
  Buckinghamshire; Allerdale -> Cumbria).
* :func:`lsoa_table`: the tidy LSOA table: IMD rank and decile beside the LSOA's district and
  upper-tier area, area name and region.
* :func:`aggregate`: one row per area, the method stated in ``.attrs["method"]``.
* :func:`deprivation_gradient`: a quasi-Poisson regression of event counts on an area's
  deprivation with a population offset: the rate ratio per decile with its confidence
  interval, a result that shows itself (:class:`DeprivationGradient`).

Aggregation method
------------------
IoD2019 File 1 gives each LSOA's rank (1 = most deprived of 32,844) and decile. For an area
with LSOAs :math:`i = 1..n` and weights :math:`w_i`:

* ``average_rank`` :math:`= \\sum w_i r_i / \\sum w_i` (MHCLG's "average rank" summary);
* ``average_decile`` :math:`= \\sum w_i d_i / \\sum w_i` (1 = most deprived tenth; the
  regression's covariate);
* ``most_deprived_10`` = the share of the area's LSOAs in decile 1 (MHCLG's "proportion of
  LSOAs in most deprived 10% nationally", unweighted by definition).

The weights are LSOA populations when given (``weights=``: a Series of population by LSOA
code, e.g. ONS mid-year estimates by LSOA), which makes the average a population-weighted
one as in MHCLG's own local-authority summaries (which use mid-2015 populations). The
shipped data hold no LSOA populations, so by default each LSOA weighs the same: LSOAs were
drawn to hold similar populations (about 1,000 to 3,000 residents, 1,500 on average in
2011), so the equal-weight average approximates the population-weighted one; the method in
``.attrs`` says which was used.

References: MHCLG (2019), *The English Indices of Deprivation 2019: Technical report*,
chapter 3 and section 3.9 (summary measures for larger areas); McCullagh & Nelder (1989),
*Generalized Linear Models*, 2nd ed., section 4.5 and chapter 9 (quasi-likelihood: the Poisson
model with its variance scaled by Pearson's chi-squared over the residual degrees of freedom).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cdp_analysis.errors import CdpInputError, CdpParameterError

if TYPE_CHECKING:  # pragma: no cover
    from cdp_analysis.data.store import Store

__all__ = ["upper_tier_of", "lsoa_table", "aggregate", "deprivation_gradient", "DeprivationGradient",
           "deaths_and_deprivation", "METHOD_EQUAL", "METHOD_POPULATION", "N_LSOA"]

N_LSOA = 32844
METHOD_EQUAL = ("IMD 2019 by LSOA (MHCLG File 1) aggregated to areas: average rank and average decile over "
                "the area's LSOAs, each LSOA weighted equally (the shipped data hold no LSOA populations; "
                "LSOAs hold similar populations by design); share of LSOAs in England's most deprived 10%.")
METHOD_POPULATION = ("IMD 2019 by LSOA (MHCLG File 1) aggregated to areas: population-weighted average rank and "
                     "average decile over the area's LSOAs (weights: the population given by LSOA); share of "
                     "LSOAs in England's most deprived 10% (unweighted, as MHCLG defines it).")


# ----------------------------------------------------------------------------- geography

def upper_tier_of(lad_codes: pd.Series | list[str], areas: pd.DataFrame) -> pd.Series:
    """Today's upper-tier area (reporting geography) of each 2019 district code.

    Parameters
    ----------
    lad_codes
        District codes (2019 or earlier).
    areas
        The ``areas`` reference table (``code, upper_tier, replaced_by, is_upper_tier_england``).

    Returns
    -------
    pandas.Series
        Upper-tier codes, index = ``lad_codes``; empty string where none is found.

    Examples
    --------
    >>> areas = pd.DataFrame({"code": ["E07000048", "E10000009", "E06000058"],
    ...                       "upper_tier": ["E10000009", "E10000009", "E06000058"],
    ...                       "replaced_by": ["E06000058", "E06000059", ""],
    ...                       "is_upper_tier_england": ["False", "False", "True"]})
    >>> upper_tier_of(["E07000048", "E06000058"], areas).tolist()
    ['E06000058', 'E06000058']
    """
    info = areas.fillna("").astype(str).set_index("code")
    target = set(info.index[info["is_upper_tier_england"].str.lower() == "true"])

    def find(code: str) -> str:
        for _ in range(6):  # reorganisation chains are short
            if code in target:
                return code
            if code not in info.index:
                return ""
            upper = info.at[code, "upper_tier"]
            if upper in target:
                return upper
            repl = info.at[code, "replaced_by"].split()
            if len(repl) != 1:
                return ""
            code = repl[0]
        return ""

    codes = list(lad_codes)
    return pd.Series([find(str(c)) for c in codes], index=codes, dtype=object)


def lsoa_table(imd: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """The tidy LSOA table: IMD rank and decile with the LSOA's upper-tier area of today.

    Parameters
    ----------
    imd
        Rows of ``imd_lsoa`` (``lsoa_code, lsoa_name, lad_code, lad_name, imd_rank, imd_decile``).
    areas
        The ``areas`` reference table.

    Returns
    -------
    pandas.DataFrame
        ``lsoa_code, lsoa_name, lad_code, lad_name, area_code, area_name, region, imd_rank,
        imd_decile``, one row per LSOA.
    """
    needed = ["lsoa_code", "lsoa_name", "lad_code", "lad_name", "imd_rank", "imd_decile"]
    missing = [c for c in needed if c not in imd.columns]
    if missing:
        raise CdpInputError(f"the IMD table lacks {missing}", expected=f"columns {needed}")
    lads = imd["lad_code"].astype(str).unique()
    up = upper_tier_of(list(lads), areas)
    info = areas.fillna("").astype(str).set_index("code")
    out = imd[needed].copy()
    out["area_code"] = out["lad_code"].map(up).fillna("")
    out["area_name"] = out["area_code"].map(info["name"]).fillna("")
    out["region"] = out["area_code"].map(info["region"]).fillna("")
    out["imd_rank"] = out["imd_rank"].astype(int)
    out["imd_decile"] = out["imd_decile"].astype(int)
    cols = ["lsoa_code", "lsoa_name", "lad_code", "lad_name", "area_code", "area_name", "region", "imd_rank",
            "imd_decile"]
    return out[cols].sort_values("lsoa_code").reset_index(drop=True)


def aggregate(lsoa: pd.DataFrame, by: str = "area_code", weights: pd.Series | None = None) -> pd.DataFrame:
    """IMD summaries of areas from their LSOAs (see the module notes for the method).

    Parameters
    ----------
    lsoa
        The LSOA table (:func:`lsoa_table`), or any frame with ``lsoa_code``, ``imd_rank``,
        ``imd_decile`` and the ``by`` column.
    by
        The area column (``area_code`` for today's upper-tier areas, ``lad_code`` for districts).
    weights
        Population by LSOA code; every LSOA must have a positive weight. Default: equal weights.

    Returns
    -------
    pandas.DataFrame
        One row per area: ``by``, ``lsoas``, ``average_rank``, ``average_decile``,
        ``most_deprived_10`` (a share, 0 to 1), ``rank_of_average`` (1 = most deprived of the
        areas) and ``area_decile`` (tenths of the areas by average rank, 1 = most deprived);
        ``.attrs["method"]`` states the weights used.

    Examples
    --------
    >>> t = pd.DataFrame({"area_code": ["A", "A", "B"], "lsoa_code": ["x", "y", "z"],
    ...                   "imd_rank": [100, 300, 32000], "imd_decile": [1, 1, 10]})
    >>> aggregate(t)[["area_code", "lsoas", "average_rank", "average_decile", "most_deprived_10"]]
      area_code  lsoas  average_rank  average_decile  most_deprived_10
    0         A      2         200.0             1.0               1.0
    1         B      1       32000.0            10.0               0.0
    >>> aggregate(t, weights=pd.Series({"x": 3000, "y": 1000, "z": 1500}))["average_rank"].tolist()
    [150.0, 32000.0]
    """
    for c in (by, "lsoa_code", "imd_rank", "imd_decile"):
        if c not in lsoa.columns:
            raise CdpInputError(f"the LSOA table lacks the column {c!r}", column=c)
    df = lsoa[lsoa[by].astype(str) != ""].copy()
    if weights is None:
        df["_w"] = 1.0
        method = METHOD_EQUAL
    else:
        w = pd.Series(weights, dtype=float)
        df["_w"] = df["lsoa_code"].map(w)
        bad = df["_w"].isna() | ~(df["_w"] > 0)
        if bad.any():
            first = df.loc[bad, "lsoa_code"].iloc[0]
            raise CdpInputError(f"{int(bad.sum())} LSOAs have no positive population weight (first: {first})",
                                column="weights", expected="a population above 0 for every LSOA")
        method = METHOD_POPULATION
    df["_wr"] = df["_w"] * df["imd_rank"].astype(float)
    df["_wd"] = df["_w"] * df["imd_decile"].astype(float)
    df["_d1"] = (df["imd_decile"].astype(int) == 1).astype(float)
    g = df.groupby(by, sort=True)
    out = pd.DataFrame({
        "lsoas": g.size(),
        "average_rank": g["_wr"].sum() / g["_w"].sum(),
        "average_decile": g["_wd"].sum() / g["_w"].sum(),
        "most_deprived_10": g["_d1"].mean(),
    }).reset_index()
    out["rank_of_average"] = out["average_rank"].rank(method="min").astype(int)
    n = len(out)
    out["area_decile"] = np.minimum(10, np.floor((out["rank_of_average"] - 1) * 10 / n) + 1).astype(int)
    out.attrs["method"] = method
    return out


# ----------------------------------------------------------------------------- the gradient

@dataclass(frozen=True)
class DeprivationGradient:
    """A quasi-Poisson regression of counts on deprivation, with a population offset.

    The model: :math:`\\log E[Y_i] = \\log P_i + \\beta_0 + \\beta_1 x_i`, with
    :math:`\\operatorname{Var}(Y_i) = \\phi\\,E[Y_i]`, where :math:`Y_i` is the area's count of
    events, :math:`P_i` its person-years and :math:`x_i` its average IMD decile
    (1 = most deprived). :math:`\\phi` is Pearson's :math:`\\chi^2/(n-2)`; standard errors are
    the Poisson ones times :math:`\\sqrt{\\phi}`, and intervals use the normal quantile.
    The rate ratio per decile *more* deprived is :math:`e^{-\\beta_1}`.

    Attributes
    ----------
    rate_ratio, lower, upper
        Rate ratio per one decile more deprived and its confidence interval.
    p_value
        Wald test of no gradient (:math:`\\beta_1 = 0`) with the scaled standard error.
    dispersion
        :math:`\\phi` (1 = Poisson variation; above 1, more variation between areas).
    n_areas, events, confidence
        What the model was fitted to.
    coef, se
        :math:`(\\beta_0, \\beta_1)` and their scaled standard errors.
    """

    rate_ratio: float
    lower: float
    upper: float
    p_value: float
    dispersion: float
    n_areas: int
    events: int
    coef: tuple[float, float]
    se: tuple[float, float]
    cov: tuple[tuple[float, float], tuple[float, float]]
    confidence: float = 0.95
    units: str = "areas"
    x_label: str = "average IMD decile (1 = most deprived)"
    multiplier: float = 100_000
    method: str = ("Quasi-Poisson regression (log link, log person-years offset, variance scaled by Pearson's "
                   "chi-squared over the residual degrees of freedom) of counts on the area's average IMD 2019 "
                   "decile.")
    reference: str = "McCullagh P, Nelder JA (1989) Generalized Linear Models, 2nd ed., Chapman & Hall, ch. 9."
    _results: Any = field(default=None, repr=False, compare=False)

    @property
    def significant(self) -> bool:
        """Whether the interval of the rate ratio excludes 1."""
        return not (self.lower <= 1.0 <= self.upper)

    def sentence(self) -> str:
        """The finding in plain English, with its interval and test."""
        pct = abs(self.rate_ratio - 1) * 100
        way = "higher" if self.rate_ratio > 1 else "lower"
        level = f"{self.confidence:.0%}"
        verdict = ("a statistically significant gradient" if self.significant
                   else "not a statistically significant gradient")
        return (f"Across {self.n_areas} {self.units}, the rate is {pct:.1f}% {way} for each decile more deprived "
                f"(rate ratio {self.rate_ratio:.3f}, {level} CI {self.lower:.3f} to {self.upper:.3f}, "
                f"p {_fmt_p(self.p_value)}): {verdict}.")

    def predict(self, x: np.ndarray | pd.Series | list[float]) -> pd.DataFrame:
        """Fitted rate per ``multiplier`` person-years at deprivation ``x``, with its confidence band."""
        from scipy.stats import norm

        xv = np.asarray(x, dtype=float)
        eta = self.coef[0] + self.coef[1] * xv
        c = np.asarray(self.cov)
        var = c[0, 0] + 2 * xv * c[0, 1] + xv**2 * c[1, 1]
        z = norm.ppf(0.5 + self.confidence / 2)
        se = np.sqrt(var)
        return pd.DataFrame({"x": xv, "fit": np.exp(eta) * self.multiplier,
                             "lower": np.exp(eta - z * se) * self.multiplier,
                             "upper": np.exp(eta + z * se) * self.multiplier})

    def band(self, x_min: float = 1.0, x_max: float = 10.0, n: int = 60) -> pd.DataFrame:
        """:meth:`predict` over a grid from ``x_min`` to ``x_max`` (for a chart's band)."""
        return self.predict(np.linspace(x_min, x_max, n))

    def summary(self) -> Any:
        """The statsmodels summary of the fitted GLM (scale = Pearson's chi-squared / df)."""
        if self._results is None:
            raise CdpParameterError("this result holds no fitted statsmodels model")
        return self._results.summary()

    def to_frame(self) -> pd.DataFrame:
        """One row: the rate ratio, its interval, p, the dispersion and the sizes."""
        return pd.DataFrame([{"rate_ratio_per_decile_more_deprived": self.rate_ratio, "lower": self.lower,
                              "upper": self.upper, "p_value": self.p_value, "dispersion": self.dispersion,
                              "areas": self.n_areas, "events": self.events}])

    def __repr__(self) -> str:
        return (f"DeprivationGradient(rate_ratio={self.rate_ratio:.4f}, ci=({self.lower:.4f}, {self.upper:.4f}), "
                f"p={self.p_value:.3g}, dispersion={self.dispersion:.3f}, n_areas={self.n_areas})")

    def _repr_html_(self) -> str:
        rows = [("Rate ratio per decile more deprived", f"{self.rate_ratio:.3f}"),
                (f"{self.confidence:.0%} confidence interval", f"{self.lower:.3f} to {self.upper:.3f}"),
                ("p-value (no gradient)", _fmt_p(self.p_value)),
                ("Dispersion (Pearson)", f"{self.dispersion:.2f}"),
                (f"{self.units.capitalize()}; events", f"{self.n_areas}; {self.events:,}")]
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                       for k, v in rows)
        return (f"<div class='cdp-result'><p><strong>{html.escape(self.sentence())}</strong></p>"
                f"<table>{body}</table><p><em>Method:</em> {html.escape(self.method)}<br>"
                f"<em>Reference:</em> {html.escape(self.reference)}</p></div>")


def _fmt_p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def deprivation_gradient(
    df: pd.DataFrame,
    *,
    events: str = "deaths",
    exposure: str = "person_years",
    x: str = "average_decile",
    confidence: float = 0.95,
    multiplier: float = 100_000,
    units: str = "areas",
) -> DeprivationGradient:
    """Fit :class:`DeprivationGradient` to one row per area (statsmodels GLM, quasi-Poisson).

    Parameters
    ----------
    df
        One row per area: ``events`` (whole numbers >= 0), ``exposure`` (person-years > 0) and
        ``x`` (average IMD decile, 1 = most deprived). Rows with a missing value are dropped.
    confidence
        Of the intervals (default 0.95).
    multiplier
        Rates per this many person-years in :meth:`DeprivationGradient.predict`.
    units
        What the rows are, for the sentence ("areas", "deciles").

    Returns
    -------
    DeprivationGradient

    Examples
    --------
    >>> d = pd.DataFrame({"deaths": [30, 25, 18, 12, 10], "person_years": [1e6] * 5,
    ...                   "average_decile": [2.0, 4.0, 5.0, 7.0, 9.0]})
    >>> g = deprivation_gradient(d)
    >>> round(g.rate_ratio, 3), g.n_areas, g.events
    (1.185, 5, 95)
    """
    import statsmodels.api as sm
    from scipy.stats import norm

    for c in (events, exposure, x):
        if c not in df.columns:
            raise CdpInputError(f"the frame lacks the column {c!r}", column=c)
    d = df[[events, exposure, x]].apply(pd.to_numeric, errors="coerce").dropna()
    if len(d) < 3:
        raise CdpParameterError(f"a gradient needs at least 3 areas with values; got {len(d)}")
    y = d[events].to_numpy(dtype=float)
    e = d[exposure].to_numpy(dtype=float)
    if (y < 0).any() or (np.abs(y - np.round(y)) > 1e-9).any():
        raise CdpInputError("event counts must be whole numbers of 0 or more", column=events)
    if (e <= 0).any():
        raise CdpInputError("person-years must be above 0", column=exposure)
    X = sm.add_constant(d[x].to_numpy(dtype=float))
    res = sm.GLM(y, X, family=sm.families.Poisson(), offset=np.log(e)).fit(scale="X2")
    b0, b1 = (float(v) for v in res.params)
    s0, s1 = (float(v) for v in res.bse)
    z = float(norm.ppf(0.5 + confidence / 2))
    cov = np.asarray(res.cov_params())
    p = float(2 * norm.sf(abs(b1 / s1)))
    return DeprivationGradient(
        rate_ratio=math.exp(-b1), lower=math.exp(-b1 - z * s1), upper=math.exp(-b1 + z * s1), p_value=p,
        dispersion=float(res.scale), n_areas=len(d), events=int(round(y.sum())), coef=(b0, b1), se=(s0, s1),
        cov=((float(cov[0, 0]), float(cov[0, 1])), (float(cov[1, 0]), float(cov[1, 1]))), confidence=confidence,
        multiplier=multiplier, units=units, _results=res)


# ----------------------------------------------------------------------------- from the store

def deaths_and_deprivation(store: Store, years: tuple[int, ...] = (2019, 2020, 2021),
                           metric: str = "drug_misuse_deaths") -> pd.DataFrame:
    """One row per upper-tier area of England: deaths, person-years, crude rate and IMD summaries.

    Deaths are ONS registrations by local authority (``metric``, source ``ons_drug_deaths_la``)
    summed over ``years``; person-years are the ONS mid-year populations of those years
    (all ages, persons) summed, a county's from its districts for a year that gives districts
    only; the crude rate is per 100,000 person-years. Areas whose deaths
    or populations are missing for any year are left out (listed in ``.attrs["dropped"]``).
    """
    areas = store.reference("areas")
    upper = areas[areas["is_upper_tier_england"].astype(str).str.lower() == "true"]
    codes = list(upper["code"])
    periods = [str(y) for y in years]
    deaths = store.observations(metric, area=codes, period=periods, source="ons_drug_deaths_la")
    deaths = deaths[deaths["age"] == "all ages"]
    dn = deaths.groupby("area_code").agg(deaths=("count", "sum"), n=("count", "count"),
                                          hidden=("count", lambda s: int(s.isna().sum())))
    # a county's population where published, else the sum of its districts (Nomis' 2019 series
    # holds districts only)
    info = areas.fillna("").astype(str)
    districts = info[info["type"] == "district"]
    parent = dict(zip(districts["code"], districts["upper_tier"], strict=True))
    pop = store.population(area=codes + list(parent), year=list(years))
    pn = pop.groupby(["area_code", "year"])["population"].sum(min_count=1).unstack().reindex(columns=list(years))
    from_districts = pn[pn.index.isin(list(parent))].groupby(lambda c: parent[c]).sum(min_count=1)
    counts = pn[pn.index.isin(list(parent))].notna().groupby(lambda c: parent[c]).all()
    from_districts = from_districts.where(counts)
    pn = pn[pn.index.isin(codes)].combine_first(from_districts.reindex(columns=list(years)))
    person_years = pn.sum(axis=1, min_count=1).where(pn.notna().all(axis=1))
    imd = aggregate(lsoa_table(store.sql("SELECT * FROM imd_lsoa"), areas))
    out = upper[["code", "name", "region"]].rename(columns={"code": "area_code", "name": "area_name"})
    out = out.merge(dn[["deaths", "n", "hidden"]], left_on="area_code", right_index=True, how="left")
    out["person_years"] = out["area_code"].map(person_years)
    out = out.merge(imd, on="area_code", how="left")
    ok = (out["n"] == len(years)) & (out["hidden"] == 0) & out["person_years"].notna() & out["lsoas"].notna()
    out = out[ok].drop(columns=["n", "hidden"]).reset_index(drop=True)
    out["deaths"] = out["deaths"].astype(int)
    out["crude_rate"] = out["deaths"] / out["person_years"] * 100_000
    out.attrs["dropped"] = sorted(set(upper["code"]) - set(out["area_code"]))
    out.attrs["method"] = imd.attrs["method"]
    return out
