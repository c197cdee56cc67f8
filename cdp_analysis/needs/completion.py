"""Fingertips' treatment outcome indicators for any area: the latest year against England.

The Fingertips indicators :func:`cdp_analysis.data.fetch.fetch_fingertips` downloads for
every area (``cdp fetch fingertips``) and the appendix shows beside the partnership's own
returns, so that an area without returns still gets its treatment outcomes:

* 90244, successful completion of drug treatment, opiate users;
* 90245, successful completion of drug treatment, non-opiate users;
* 92544, adults with a treatment need who engaged in community treatment after leaving prison
  (continuity of care; the id is a candidate to confirm in Fingertips' metadata).

Each is a percentage of people (``count`` of ``denominator``). One area: the published value
and 95% limits. A partnership: its members' numerators and denominators summed (every member
must have the year) and the proportion recomputed with Wilson score limits
(:func:`cdp_analysis.indicators.proportion`), never an average of the members' percentages.
Either way England's value of the same year is the comparator, by Fingertips' rule
(:func:`cdp_analysis.indicators.compare`, higher is better). Counts of 1 to 4 and what derives
from them are hidden (:func:`cdp_analysis.indicators.protect`).

References
----------
OHID. Fingertips technical guidance: confidence intervals for proportions (Wilson score);
benchmarking against England. Public Health Outcomes Framework indicator definitions
(C19a-c, successful completion of drug treatment).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdp_analysis.areas import ENGLAND
from cdp_analysis.needs.common import latest_full_period
from cdp_analysis.periods import sort_by_period

__all__ = ["COMPLETION_METRICS", "treatment_outcomes"]

#: metric -> what it measures
COMPLETION_METRICS = {
    "fingertips_90244": "opiate users who completed treatment successfully and did not re-present within 6 months",
    "fingertips_90245": "non-opiate users who completed treatment successfully and did not re-present within "
                        "6 months",
    "fingertips_92544": "adults leaving prison with a treatment need who engaged in community treatment "
                        "(continuity of care)",
}


def treatment_outcomes(obs: pd.DataFrame, codes: Sequence[str]) -> pd.DataFrame:
    """The area's latest year of each indicator present, against England.

    Parameters
    ----------
    obs
        ``observations`` rows of :data:`COMPLETION_METRICS` (every area).
    codes
        The area's GSS codes.

    Returns
    -------
    pandas.DataFrame
        One row per indicator in ``obs``: ``metric_id, what, period, count, denominator, value,
        lower_95, upper_95, status, england, comparison``; ``value`` missing (and ``period``
        England's latest) when the area's members do not all have a year.

    Examples
    --------
    >>> obs = pd.DataFrame({"metric_id": "fingertips_90244", "area_code": ["A", "B", ENGLAND],
    ...     "period": "2021", "value": [5.0, 6.0, 5.0], "lower_95": [4.0, 5.0, 4.9],
    ...     "upper_95": [6.2, 7.1, 5.1], "count": [50.0, 60.0, 6000.0], "denominator": [1000.0, 1000.0, 120000.0]})
    >>> treatment_outcomes(obs, ["A", "B"])[["count", "denominator", "value", "comparison"]].values.tolist()
    [[110.0, 2000.0, 5.5, 'similar']]
    """
    from cdp_analysis import indicators as ind

    cols = ["metric_id", "what", "period", "count", "denominator", "value", "lower_95", "upper_95", "status",
            "england", "comparison"]
    codes = list(codes)
    rows = []
    for mid, what in COMPLETION_METRICS.items():
        d = obs[(obs["metric_id"] == mid) & obs["value"].notna()] if len(obs) else obs
        if d is None or d.empty:
            continue
        eng = d[d["area_code"] == ENGLAND]
        own = d[d["area_code"].isin(codes)]
        if len(codes) > 1:
            own = own[own["count"].notna() & own["denominator"].notna()]
        period = latest_full_period(own, codes)
        row = dict.fromkeys(cols, np.nan)
        row.update(metric_id=mid, what=what, comparison="", status="")
        if period is not None:
            o = own[own["period"] == period]
            row["period"] = period
            if len(codes) == 1:
                r = o.iloc[0]
                row.update(count=r["count"], denominator=r["denominator"], value=float(r["value"]),
                           lower_95=r["lower_95"], upper_95=r["upper_95"])
            else:
                p = ind.proportion(pd.DataFrame({"count": [o["count"].sum()], "denominator": [o["denominator"].sum()]}),
                                   confidence=0.95).iloc[0]
                row.update(count=float(p["count"]), denominator=float(p["denominator"]), value=float(p["value"]),
                           lower_95=float(p["lower_95"]), upper_95=float(p["upper_95"]))
        elif len(eng):
            row["period"] = sort_by_period(eng[["period"]].drop_duplicates())["period"].iloc[-1]
        else:
            continue
        e = eng[eng["period"] == row["period"]]
        if len(e):
            row["england"] = float(e["value"].iloc[0])
        if pd.notna(row["value"]) and pd.notna(row["england"]) and pd.notna(row["lower_95"]):
            cmp_ = ind.compare(pd.DataFrame([{"value": row["value"], "lower_95": row["lower_95"],
                                               "upper_95": row["upper_95"]}]),
                               benchmark=row["england"], polarity="higher_is_better")
            row["comparison"] = str(cmp_["comparison"].iloc[0])
        rows.append(row)
    out = pd.DataFrame(rows, columns=cols)
    if out.empty or out["count"].isna().all():
        return out
    has = out["count"].notna()
    safe = ind.protect(out[has].reset_index(drop=True), "count", metric=str(out.loc[has, "metric_id"].iloc[0]),
                       derived=["value", "lower_95", "upper_95"])
    return pd.concat([safe, out[~has]], ignore_index=True)[cols]
