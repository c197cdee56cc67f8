"""Harm: hospital admissions related to drugs, per 100,000 residents, against England, tested change.

NHS Digital's counts of admissions (:mod:`cdp_analysis.data.sources.nhs_admissions`, compiled
on "merged locations" by the authors of *British Drug Dynamics*) for the area's territory: the
locations whose territories exactly tile it (pan-Dorset: Bournemouth and Poole + Dorset County;
BCP or Dorset Council alone: none). Crude rate per 100,000 residents of all ages, with the ONS
mid-year population of the start of the financial year (exact Poisson limits below 10
admissions, Byar's from 10; :func:`cdp_analysis.indicators.rate`), against England's crude rate
by Fingertips' rule (lower is better). NHS Digital publishes age-standardised rates, so these
crude rates differ from its tables. The change is the latest year against the one before, the
exact conditional test of two Poisson rates with the populations as exposures; no verdict from
fewer than 10 admissions in the two years together. Admissions for poisoning by drug misuse get
no change verdict: the compiled series joins editions of NHS Digital's tables whose definition
of the measure changed (England 2012/13: 12,238 here, 15,580 in the 2020 edition). Only the
years of the compiled England table (2008/09-2018/19) are used: the location tables' extra
2019/20 row lies outside the compilers' documented range, is partly blank, and jumps from the
year before (Birmingham's poisoning admissions 410 in 2018/19, 140 in 2019/20).

Counts of 1 to 4 and what derives from them are hidden (``status`` ``c``) before anything is
worded or drawn.

References
----------
NHS Digital. Statistics on Drug Misuse, England: hospital admissions methodology (measures 1-3).
OHID. Fingertips technical guidance: confidence intervals for crude rates.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdp_analysis.areas import ENGLAND
from cdp_analysis.needs.common import rate_change, untested_change
from cdp_analysis.needs.exclusions import exact_parts
from cdp_analysis.needs.findings import CountChange

REGIONS = [f"E1200000{i}" for i in range(1, 10)]
#: metric -> (what it counts, whether a change may be tested)
HARM_METRICS = {
    "admissions_drug_mental_behavioural": ("admissions for drug-related mental and behavioural disorders", True),
    "admissions_drug_poisoning": ("admissions for poisoning by drug misuse", False),
}
PER = 100_000
_POP_SOURCES = ("ons_mye_nomis", "ons_mye")

__all__ = ["HARM_METRICS", "PER", "admissions_change", "admissions_series"]


def _population(population: pd.DataFrame, codes: Sequence[str]) -> pd.Series:
    """Persons of all ages by mid-year for the codes summed (England: its nine regions when not given)."""
    p = population[(population["sex"] == "persons")]
    out = {}
    for src in _POP_SOURCES:
        q = p[p["source"] == src]
        for code_set in ([list(codes)] if list(codes) != [ENGLAND] else [[ENGLAND], REGIONS]):
            g = q[q["area_code"].isin(code_set)].groupby(["year", "area_code"])["population"].sum(min_count=1)
            tot = g.groupby(level="year").agg(["sum", "count"])
            for year, r in tot.iterrows():
                if r["count"] == len(code_set) and year not in out:
                    out[int(year)] = float(r["sum"])
    return pd.Series(out, dtype=float).sort_index()


def admissions_series(obs: pd.DataFrame, population: pd.DataFrame, codes: Sequence[str],
                      metric: str = "admissions_drug_mental_behavioural") -> pd.DataFrame:
    """The area's admissions each financial year, the crude rate per 100,000, with England.

    Returns
    -------
    pandas.DataFrame
        ``period, count, population, value, lower_95, upper_95, england, england_lower,
        england_upper, comparison, parts``; empty when no set of locations covers exactly
        the area.
    """
    from cdp_analysis import indicators as ind

    cols = ["period", "count", "population", "value", "lower_95", "upper_95", "england", "england_lower",
            "england_upper", "comparison", "parts"]
    d = obs[obs["metric_id"] == metric]
    if d.empty:
        return pd.DataFrame(columns=cols)
    codes = list(codes)
    parts = exact_parts(sorted(set(d["area_code"])), codes)
    if not parts:
        return pd.DataFrame(columns=cols)
    wide = d.pivot_table(index="period", columns="area_code", values="count", aggfunc="first", dropna=False)
    own_pop, eng_pop = _population(population, codes), _population(population, [ENGLAND])
    rows = []
    for period in sorted(wide.index):
        vals = wide.loc[period, [c for c in parts if c in wide.columns]]
        n = float(vals.sum()) if len(vals) == len(parts) and vals.notna().all() else np.nan
        e = float(wide.at[period, ENGLAND]) if ENGLAND in wide.columns and pd.notna(wide.at[period, ENGLAND]) \
            else np.nan
        year = int(period[:4])
        rows.append({"period": period, "count": n, "population": own_pop.get(year, np.nan), "england_count": e,
                     "england_population": eng_pop.get(year, np.nan)})
    out = pd.DataFrame(rows)
    # the years of the England file (2008/09-2018/19): the location files' extra 2019/20 row is not
    # in the compilers' documented range, is partly blank and unlike the years before
    out = out[out["count"].notna() & out["england_count"].notna()].reset_index(drop=True)
    if out.empty:
        return pd.DataFrame(columns=cols)

    def rated(n: pd.Series, p: pd.Series) -> np.ndarray:
        res = np.full((len(n), 3), np.nan)
        ok = (n.notna() & p.notna() & (p > 0)).to_numpy()
        if ok.any():
            r = ind.rate(pd.DataFrame({"count": n[ok], "denominator": p[ok]}), multiplier=PER, confidence=0.95)
            res[ok] = r[["value", "lower_95", "upper_95"]].to_numpy()
        return res

    out[["value", "lower_95", "upper_95"]] = rated(out["count"], out["population"])
    out[["england", "england_lower", "england_upper"]] = rated(out["england_count"], out["england_population"])
    out["comparison"] = ""
    ok = out["value"].notna() & out["england"].notna()
    if ok.any():
        cmp = ind.compare(out.loc[ok, ["value", "lower_95", "upper_95", "england"]], "england",
                          polarity="lower_is_better")
        out.loc[ok, "comparison"] = cmp["comparison"].to_numpy()
    out["parts"] = "+".join(parts)
    return ind.protect(out[cols], "count", metric=metric, derived=["value", "lower_95", "upper_95"])


def admissions_change(series: pd.DataFrame, metric: str) -> CountChange | None:
    """The latest year against the one before (populations as exposures), or why it is not tested.

    >>> s = pd.DataFrame({"period": ["2017/18", "2018/19"], "count": [85.0, 90.0],
    ...                   "population": [770689.0, 772268.0]})
    >>> admissions_change(s, "admissions_drug_mental_behavioural").sentence.split(":")[1].strip()[:40]
    'not a statistically significant change ('
    """
    from cdp_analysis.indicators.small_numbers import comparison_adequacy

    what, testable = HARM_METRICS[metric]
    s = series
    if len(s) < 2:
        return None
    a, b = s.iloc[-1], s.iloc[-2]
    if pd.isna(a["count"]) or pd.isna(b["count"]):
        return untested_change(a, b, f"{what.capitalize()}, {a['period']} against {b['period']}: the change cannot "
                                     "be tested (a figure of one of the two years is suppressed)", suppressed=True)
    if not testable:
        return untested_change(a, b, f"{a['count']:,.0f} {what} in {a['period']} against {b['count']:,.0f} in "
                                     f"{b['period']}: not tested, because the compiled series joins editions that "
                                     "define the measure differently")
    ad = comparison_adequacy(a["count"], b["count"], "admissions")
    if not ad or pd.isna(a["population"]) or pd.isna(b["population"]):
        why = ad.reason if not ad else "no population estimate for one of the years"
        return untested_change(a, b, f"{what.capitalize()}, {a['period']} against {b['period']}: the change cannot "
                                     f"be tested ({why})")
    return rate_change(a, b, "population", what, PER, "per 100,000")
