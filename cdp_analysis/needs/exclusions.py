"""School exclusions and suspensions for drug and alcohol: rates per pupil, against England, tested change.

DfE's exclusion statistics (:mod:`cdp_analysis.data.sources.dfe_exclusions`) count exclusions
of pupils in state-funded primary, secondary and special schools by their main reason; the
"drug and alcohol related" ones are an early sign of harm among children. The figures stop in
2016/17 and lie on the local authorities of their time, so an area of today gets the sum of
the old authorities whose territory is exactly its own (pan-Dorset: Bournemouth + Poole +
Dorset County; BCP or Dorset Council alone: none, since Christchurch lay in Dorset County).

Rate per 10,000 pupils: exclusions / headcount x 10,000, with exact Poisson limits below 10
events and Byar's from 10 (:func:`cdp_analysis.indicators.rate`; exclusions are events, and a
pupil can be excluded more than once). England's rate of the same year is the comparator, by
Fingertips' rule (:func:`cdp_analysis.indicators.compare`, lower is better). The change is the
latest year against the one before, the exact conditional test of two Poisson rates with the
headcounts as exposures (:func:`cdp_analysis.indicators.describe_change`); no verdict from
fewer than 10 exclusions in the two years together, and none from DfE's apportioned,
fractional counts. A year with a suppressed part (DfE's ``x``) has no total.

Counts of 1 to 4 and what derives from them are hidden (``status`` ``c``,
:func:`cdp_analysis.indicators.protect`) before anything is worded or drawn.

References
----------
Department for Education. Permanent and fixed-period exclusions in England: methodology
(rates per pupil enrolled in the January census). OHID. Fingertips technical guidance:
confidence intervals for crude rates; benchmarking against England.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from cdp_analysis.areas import ENGLAND
from cdp_analysis.needs.common import rate_change, untested_change
from cdp_analysis.needs.findings import CountChange

PUPILS = "school_pupils"
#: the drug-and-alcohol exclusion metrics shown, and their nouns
EXCLUSION_METRICS = {"school_suspensions_drug_alcohol": "suspensions",
                     "school_permanent_exclusions_drug_alcohol": "permanent exclusions"}
PER = 10_000

__all__ = ["EXCLUSION_METRICS", "PUPILS", "PER", "academic_label", "exact_parts", "exclusions_change",
           "exclusions_series"]
#: Editions in order of preference where they overlap (the SFR's underlying data first).
_EDITION_ORDER = ("reason for exclusion (SFR)", "reason for exclusion (tidied)", "headcount and totals")


@lru_cache(maxsize=4096)
def _atoms(code: str) -> frozenset[str]:
    """The lowest-tier areas (districts, unitary, metropolitan, London) making up ``code``'s territory."""
    from cdp_analysis import areas

    if "+" in code:
        return frozenset().union(*(_atoms(c) for c in code.split("+")))
    table = areas.areas().set_index("code")
    if code not in table.index:
        return frozenset([code])
    kind = table.at[code, "type"]
    preds = [p for p in areas.predecessors(code) if p in table.index and table.at[p, "type"] != "county"]
    if preds:
        return frozenset().union(*(_atoms(p) for p in preds))
    if kind in ("county", "region", "country", "metropolitan_county", "inner_outer_london"):
        kids = table.index[table["parent"] == code]
        kids = [k for k in kids if table.at[k, "type"] not in ("csp", "police_force")]
        if kids:
            return frozenset().union(*(_atoms(k) for k in kids))
    return frozenset([code])


def exact_parts(have: Sequence[str], codes: Sequence[str]) -> list[str] | None:
    """The data codes in ``have`` whose territories exactly tile the area made of ``codes``.

    A data code may be an old authority (``E10000009`` Dorset County) or several joined by
    ``+``. Returns ``None`` when no such set exists.

    >>> exact_parts(["E06000028", "E06000029", "E10000009", "E08000025"], ["E06000058", "E06000059"])
    ['E06000028', 'E06000029', 'E10000009']
    >>> exact_parts(["E06000028", "E06000029", "E10000009"], ["E06000058"]) is None
    True
    >>> exact_parts(["E06000028+E06000029", "E10000009"], ["E06000058", "E06000059"])
    ['E06000028+E06000029', 'E10000009']
    """
    target = frozenset().union(*(_atoms(c) for c in codes))
    if not target:
        return None
    inside = [c for c in dict.fromkeys(have) if c != ENGLAND and _atoms(c) and _atoms(c) <= target]
    # the largest pieces first; a piece inside one already taken is skipped
    chosen: list[str] = []
    covered: frozenset[str] = frozenset()
    for c in sorted(inside, key=lambda c: (-len(_atoms(c)), c)):
        if _atoms(c) & covered:
            continue
        chosen.append(c)
        covered |= _atoms(c)
    return sorted(chosen) if covered == target else None


def _one_edition(obs: pd.DataFrame) -> pd.DataFrame:
    """One row per metric, area and period: the preferred edition's where editions overlap."""
    rank = {e: i for i, e in enumerate(_EDITION_ORDER)}
    d = obs.assign(_rank=obs["edition"].map(lambda e: next((rank[k] for k in rank if str(e).startswith(k)), 99)))
    return d.sort_values("_rank").drop_duplicates(["metric_id", "area_code", "period"]).drop(columns="_rank")


def academic_label(period: str) -> str:
    """``2016-09..2017-08`` -> ``2016/17``.

    >>> academic_label("2016-09..2017-08")
    '2016/17'
    """
    return f"{period[:4]}/{period[11:13]}" if ".." in period else period


def exclusions_series(obs: pd.DataFrame, codes: Sequence[str], metric: str = "school_suspensions_drug_alcohol"
                      ) -> pd.DataFrame:
    """The area's drug-and-alcohol exclusions per 10,000 pupils each year, with England.

    Parameters
    ----------
    obs
        ``observations`` rows of ``metric`` and ``school_pupils`` (every area, every edition).
    codes
        The area's GSS codes (today's).

    Returns
    -------
    pandas.DataFrame
        ``period`` (academic year ``2016/17``), ``count``, ``pupils``, ``value`` (per 10,000
        pupils), ``lower_95``, ``upper_95``, ``status`` (``c`` when a part was suppressed),
        ``england``, ``england_lower``, ``england_upper``, ``comparison`` (Fingertips' rule,
        lower is better) and ``parts`` (the old authorities summed). Empty when no set of
        old authorities covers exactly the area.
    """
    from cdp_analysis import indicators as ind

    cols = ["period", "count", "pupils", "value", "lower_95", "upper_95", "status", "england", "england_lower",
            "england_upper", "comparison", "parts"]
    d = _one_edition(obs[obs["metric_id"].isin([metric, PUPILS])])
    if d.empty:
        return pd.DataFrame(columns=cols)
    codes = list(codes)
    parts = [ENGLAND] if codes == [ENGLAND] else exact_parts(sorted(set(d["area_code"])), codes)
    if not parts:
        return pd.DataFrame(columns=cols)
    counts = d[d["metric_id"] == metric].pivot_table(index="period", columns="area_code", values="count",
                                                     aggfunc="first", dropna=False)
    status = d[d["metric_id"] == metric].pivot_table(index="period", columns="area_code", values="status",
                                                     aggfunc="first", dropna=False)
    pupils = d[d["metric_id"] == PUPILS].pivot_table(index="period", columns="area_code", values="count",
                                                     aggfunc="first")
    def total(table: pd.DataFrame, period: str, area: Sequence[str]) -> float:
        """The sum over ``area`` in ``period``; missing when any part is."""
        if any(a not in table.columns for a in area):
            return np.nan
        vals = table.loc[period, list(area)].astype(float)
        return float(vals.sum()) if vals.notna().all() else np.nan

    rows = []
    for period in sorted(set(counts.index) & set(pupils.index)):
        n, p = total(counts, period, parts), total(pupils, period, parts)
        st = status.loc[period, [a for a in parts if a in status.columns]] if period in status.index else []
        hidden = any("c" in str(s).split() for s in st)
        en, ep = total(counts, period, [ENGLAND]), total(pupils, period, [ENGLAND])
        rows.append({"period": period, "count": np.nan if hidden else n, "pupils": p, "status": "c" if hidden else "",
                     "england_count": en, "england_pupils": ep})
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=cols)
    out = out[out["pupils"].notna() & (out["pupils"] > 0)].reset_index(drop=True)

    def rated(n: pd.Series, p: pd.Series) -> pd.DataFrame:
        ok = n.notna() & p.notna() & (p > 0)
        res = pd.DataFrame({"value": np.nan, "lower_95": np.nan, "upper_95": np.nan}, index=n.index)
        if ok.any():
            r = ind.rate(pd.DataFrame({"count": n[ok], "denominator": p[ok]}), multiplier=PER, confidence=0.95)
            res.loc[ok, ["value", "lower_95", "upper_95"]] = r[["value", "lower_95", "upper_95"]].to_numpy()
        return res

    own = rated(out["count"], out["pupils"])
    eng = rated(out["england_count"], out["england_pupils"])
    out[["value", "lower_95", "upper_95"]] = own.to_numpy()
    out["england"], out["england_lower"], out["england_upper"] = (eng["value"], eng["lower_95"], eng["upper_95"])
    out["comparison"] = ""
    ok = out["value"].notna() & out["england"].notna()
    if ok.any() and parts != [ENGLAND]:
        cmp = ind.compare(out.loc[ok, ["value", "lower_95", "upper_95", "england"]], "england",
                          polarity="lower_is_better")
        out.loc[ok, "comparison"] = cmp["comparison"].to_numpy()
    out["parts"] = "+".join(parts)
    out["period"] = out["period"].map(academic_label)
    out = out[cols]
    missing = out["count"].isna()
    out.loc[missing & (out["status"] != "c"), "status"] = "x"  # DfE's ':' or '.', or no row for a part
    if missing.all():
        return out
    # DfE's apportioned counts (2006/07-2009/10) are fractional: the decision is made on the rounded count
    have = out[~missing]
    frac = (have["count"] % 1 != 0).to_numpy()
    safe = ind.protect(have.assign(count=have["count"].round()).reset_index(drop=True), "count", metric=metric,
                       derived=["value", "lower_95", "upper_95"])
    shown = frac & safe["count"].notna().to_numpy()
    safe.loc[shown, "count"] = have["count"].to_numpy()[shown]
    safe.index = have.index
    return pd.concat([safe, out[missing]]).sort_index()[cols]


def exclusions_change(series: pd.DataFrame, measure: str = "suspensions") -> CountChange | None:
    """The latest year against the one before: the exact rate-ratio test on the headcounts.

    Returns ``None`` when fewer than two years have counts; ``sentence`` states "cannot be
    tested" (and why) when the counts are too few or fractional.

    >>> s = pd.DataFrame({"period": ["2015/16", "2016/17"], "count": [96.0, 89.0],
    ...                   "pupils": [97321.0, 98093.0]})
    >>> exclusions_change(s).sentence.split(":")[1].strip()[:40]
    'not a statistically significant change ('
    """
    from cdp_analysis.indicators.small_numbers import comparison_adequacy

    s = series.dropna(subset=["pupils"])
    if len(s) < 2 or s["count"].notna().sum() == 0:
        return None
    a, b = s.iloc[-1], s.iloc[-2]
    if pd.isna(a["count"]) or pd.isna(b["count"]):
        hidden = any("c" in str(r.get("status", "")).split() for r in (a, b))
        why = "suppressed" if hidden else "not available"
        return untested_change(a, b, f"{measure.capitalize()} in {a['period']} against {b['period']}: the change "
                                     f"cannot be tested (a figure of one of the two years is {why})",
                               suppressed=hidden)
    ad = comparison_adequacy(a["count"], b["count"], measure)
    if not float(a["count"]).is_integer() or not float(b["count"]).is_integer():
        return untested_change(a, b, f"{a['count']:,.1f} {measure} in {a['period']} against {b['count']:,.1f} in "
                                     f"{b['period']}: the change cannot be tested (DfE apportioned these counts, so "
                                     "they are not whole numbers)")
    if not ad:
        return untested_change(a, b, f"{measure.capitalize()} in {a['period']} against {b['period']}: the change "
                                     f"cannot be tested ({ad.reason})")
    return rate_change(a, b, "pupils", measure, PER, "per 10,000 pupils")
