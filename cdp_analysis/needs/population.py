"""Population and prevalence: the age structure, national drug use and alcohol dependence.

Population estimates are whole-population counts, so their differences need no test. The
Crime Survey's drug use is a national estimate (no local figures). Alcohol dependence was
modelled for the upper-tier areas of its time; an area created later gets the sum of the
old areas whose territory is exactly its own (:func:`cdp_analysis.areas.exact_predecessors`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cdp_analysis import areas
from cdp_analysis.areas import ENGLAND
from cdp_analysis.needs.findings import AlcoholDependence
from cdp_analysis.periods import sort_by_period

__all__ = ["PREVALENCE_METRICS", "ALCOHOL_METRIC", "ENGLAND_AND_WALES", "PROFILE_BANDS", "population_profile",
           "alcohol_dependence", "drug_use_prevalence"]

#: Crime Survey for England and Wales: last-year use (national estimates)
PREVALENCE_METRICS = {"csew_any_drug_use_last_year": "any drug", "csew_any_class_a_drug_use_last_year": "any Class A drug"}
ALCOHOL_METRIC = "alcohol_dependent_adults"
ENGLAND_AND_WALES = "K04000001"
#: broad age bands of the population profile (lower bound, label)
PROFILE_BANDS = ((0, "0-17"), (18, "18-24"), (25, "25-34"), (35, "35-44"), (45, "45-54"), (55, "55-64"),
                 (65, "65+"))


def population_profile(population: pd.DataFrame, codes: Sequence[str], year: int | None = None,
                       benchmark: str | None = ENGLAND) -> pd.DataFrame:
    """Population by broad age band, members summed, with the benchmark's age structure.

    Parameters
    ----------
    population
        Rows of the store's ``population`` table (single years of age, ``sex='persons'``).
    codes
        The area's GSS codes (summed).
    year
        Mid-year of the estimate; default the latest year every code has.
    benchmark
        Code whose percentages are shown alongside (default England); ``None`` for none.

    Returns
    -------
    pandas.DataFrame
        ``age_band, population, percent, benchmark_percent, year``; empty when the store
        has no population for the codes.

    Examples
    --------
    >>> pop = pd.DataFrame({"area_code": ["A", "A", "B", "B"], "year": 2021, "sex": "persons",
    ...                     "age": [10, 30, 10, 70], "population": [100.0, 300.0, 50.0, 50.0]})
    >>> population_profile(pop, ["A", "B"], benchmark=None)[["age_band", "population", "percent"]].values.tolist()
    [['0-17', 150.0, 30.0], ['18-24', 0.0, 0.0], ['25-34', 300.0, 60.0], ['35-44', 0.0, 0.0], ['45-54', 0.0, 0.0], ['55-64', 0.0, 0.0], ['65+', 50.0, 10.0]]
    """
    cols = ["age_band", "population", "percent", "benchmark_percent", "year"]
    pop = population[population["area_code"].isin(list(codes))]
    if "sex" in pop:
        pop = pop[pop["sex"] == "persons"]
    if pop.empty:
        return pd.DataFrame(columns=cols)
    if year is None:
        have = pop.groupby("year")["area_code"].nunique()
        full = have[have == len(set(codes))]
        if full.empty:
            return pd.DataFrame(columns=cols)
        year = int(full.index.max())
    bounds = [b for b, _ in PROFILE_BANDS]
    labels = [lab for _, lab in PROFILE_BANDS]

    def banded(df: pd.DataFrame) -> pd.Series:
        idx = np.searchsorted(bounds, df["age"].to_numpy(), side="right") - 1
        s = df.groupby(np.asarray(labels, dtype=object)[idx])["population"].sum()
        return s.reindex(labels, fill_value=0.0).astype(float)

    area = banded(pop[pop["year"] == year])
    out = pd.DataFrame({"age_band": labels, "population": area.to_numpy()})
    out["percent"] = out["population"] / out["population"].sum() * 100
    out["benchmark_percent"] = np.nan
    if benchmark is not None:
        b = population[(population["area_code"] == benchmark) & (population["year"] == year)]
        if "sex" in b:
            b = b[b["sex"] == "persons"]
        if len(b):
            bb = banded(b)
            out["benchmark_percent"] = (bb / bb.sum() * 100).to_numpy()
    out["year"] = year
    return out[cols]



def alcohol_dependence(context: pd.DataFrame, codes: Sequence[str]) -> AlcoholDependence | None:
    """PHE's estimate of alcohol-dependent adults for the area, latest year, with England.

    The estimates were published for the upper-tier areas of their time (to 2017/18). An area
    created later gets the sum of the old areas whose territory is exactly its own (for
    pan-Dorset: Bournemouth + Poole + Dorset County); where no set of old areas matches
    exactly (BCP alone, or Dorset alone: Christchurch lay in Dorset County) no figure is given.
    A sum has no published interval (the areas' uncertainties are not independent), so only a
    single area's own estimate carries one.

    Returns
    -------
    AlcoholDependence or None
        ``period, count, lower, upper`` (``None`` for a sum), ``parts`` (codes summed),
        ``england, england_lower, england_upper``, ``reason`` (why there is no figure, else
        ``""``); ``None`` when the store holds no estimates.

    Examples
    --------
    >>> obs = pd.DataFrame({"metric_id": ALCOHOL_METRIC, "period": "2017/18",
    ...     "area_code": ["E06000028", "E06000029", "E10000009", "E92000001"],
    ...     "count": [2644., 1609., 4632., 586780.], "lower_95": [2146., 1300., 3700., 485444.],
    ...     "upper_95": [3352., 2000., 5900., 742305.]})
    >>> r = alcohol_dependence(obs, ["E06000058", "E06000059"])
    >>> r.count, r.lower, r.parts
    (8885.0, None, ('E06000028', 'E06000029', 'E10000009'))
    >>> alcohol_dependence(obs, ["E06000058"]).count is None  # Christchurch lay in Dorset County
    True
    """
    if context is None or context.empty:
        return None
    d = context[(context["metric_id"] == ALCOHOL_METRIC) & context["count"].notna()]
    if d.empty:
        return None
    latest = sort_by_period(d[["period"]].drop_duplicates())["period"].iloc[-1]
    d = d[d["period"] == latest].set_index("area_code")
    eng = d.loc[ENGLAND] if ENGLAND in d.index else None
    out: dict[str, Any] = {"period": str(latest), "count": None, "lower": None, "upper": None, "parts": (),
                           "england": None if eng is None else float(eng["count"]),
                           "england_lower": None if eng is None else float(eng.get("lower_95", np.nan)),
                           "england_upper": None if eng is None else float(eng.get("upper_95", np.nan)),
                           "reason": ""}
    codes = list(codes)
    if all(c in d.index for c in codes):
        parts = codes
    else:
        parts = areas.exact_predecessors(set(d.index) - {ENGLAND}, codes)
    if not parts:
        out["reason"] = (f"the estimates ({latest}) were published for the areas of their time, and no set of "
                         "them covers exactly this area")
        return AlcoholDependence(**out)
    out["parts"] = tuple(parts)
    out["count"] = float(d.loc[parts, "count"].sum())
    if len(parts) == 1:
        out["lower"] = float(d.at[parts[0], "lower_95"]) if pd.notna(d.at[parts[0], "lower_95"]) else None
        out["upper"] = float(d.at[parts[0], "upper_95"]) if pd.notna(d.at[parts[0], "upper_95"]) else None
    return AlcoholDependence(**out)


def drug_use_prevalence(context: pd.DataFrame) -> pd.DataFrame:
    """Last-year drug use in England and Wales from the Crime Survey, latest survey year.

    National estimates only (the survey gives no local figures); ``base`` is the unweighted
    number of respondents. ONS's own significance tests allow for the survey design, which
    a simple test on these percentages would not, so none is made here.

    Returns
    -------
    pandas.DataFrame
        ``period, what, age, percent, base`` (empty when not in the store).

    Examples
    --------
    >>> obs = pd.DataFrame({"metric_id": "csew_any_drug_use_last_year", "area_code": ENGLAND_AND_WALES,
    ...                     "period": ["2019-04..2020-03", "2021-10..2022-06"], "age": "16-59",
    ...                     "value": [9.4, 9.15], "denominator": [7000., 7197.]})
    >>> drug_use_prevalence(obs)[["period", "what", "percent"]].values.tolist()
    [['2021-10..2022-06', 'any drug', 9.15]]
    """
    cols = ["period", "what", "age", "percent", "base"]
    if context is None or context.empty:
        return pd.DataFrame(columns=cols)
    d = context[context["metric_id"].isin(list(PREVALENCE_METRICS)) & (context["area_code"] == ENGLAND_AND_WALES)]
    d = d[d["value"].notna()]
    if d.empty:
        return pd.DataFrame(columns=cols)
    latest = sort_by_period(d[["period"]].drop_duplicates())["period"].iloc[-1]
    d = d[d["period"] == latest]
    order = {m: i for i, m in enumerate(PREVALENCE_METRICS)}
    d = d.assign(_o=d["metric_id"].map(order)).sort_values(["_o", "age"])
    return pd.DataFrame({"period": d["period"].astype(str).to_numpy(),
                         "what": d["metric_id"].map(PREVALENCE_METRICS).to_numpy(),
                         "age": d["age"].astype(str).to_numpy(), "percent": d["value"].to_numpy(dtype=float),
                         "base": d["denominator"].to_numpy(dtype=float)})[cols]
