"""Treatment and justice: targets from the partnership's returns, unmet need, reoffending.

Treatment figures and targets come from the partnership's returns (NDTMS); a target is
judged by :func:`cdp_analysis.progress.targets_table`'s rule, with the straight-line
trajectory to it. Unmet need is Fingertips' modelled estimate; reoffending is MoJ's national
proven-reoffending series (changes tested as two proportions).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdp_analysis.areas import ENGLAND
from cdp_analysis.needs.common import latest_full_period
from cdp_analysis.needs.findings import ProportionChange
from cdp_analysis.periods import Period, sort_by_period
from cdp_analysis.progress import targets_table

__all__ = ["UNMET_METRICS", "REOFFENDING_METRICS", "treatment_targets", "unmet_need", "reoffending_national",
           "reoffending_change", "reoffending_local"]

#: Fingertips' unmet need for treatment (metric -> who)
UNMET_METRICS = {"fingertips_93517": "opiate and/or crack cocaine users", "fingertips_93532": "dependent drinkers"}
REOFFENDING_METRICS = ("proven_reoffending_rate", "proven_reoffending_frequency", "reoffending_cohort",
                       "reoffenders", "reoffences")


def treatment_targets(returns: pd.DataFrame, metrics: pd.DataFrame, codes: Sequence[str],
                      period: Period) -> pd.DataFrame:
    """The returns' targets for the area's members with the straight-line trajectory.

    :func:`cdp_analysis.progress.targets_table` (change still needed, honest status) plus
    ``expected_now``: the value on the straight line from the latest figure to the target at
    the end of the reporting period's financial year (NaN when that year is not between them).

    The returns are local figures: a latest count from 1 to 4 is hidden (``value_status``
    ``c``) with the change needed and the straight line from it
    (:func:`cdp_analysis.returns_disclosure.protect_targets`).
    """
    from cdp_analysis import indicators as ind
    from cdp_analysis.returns_disclosure import protect_targets, small_figures

    r = returns[returns["area_code"].isin(list(codes))]
    t = targets_table(r, metrics)
    if t.empty:
        return t.assign(expected_now=pd.Series(dtype=float), expected_at=pd.Series(dtype=object),
                        value_status=pd.Series(dtype=object))
    at = period.containing_year("financial")
    exp, when = [], []
    for row in t.itertuples(index=False):
        try:
            tr = ind.target_trajectory(row.value, row.target, row.period, row.target_period, at=at.label)
            exp.append(float(tr["expected"].iloc[-1]))
            when.append(at.label)
        except Exception:
            exp.append(np.nan)
            when.append(None)
    t = protect_targets(t.assign(expected_now=exp, expected_at=when), small_figures(r, metrics))
    t.loc[t["value_status"] == "c", "expected_now"] = np.nan
    return t


def reoffending_national(reoff: pd.DataFrame, metric_id: str = "proven_reoffending_rate",
                         n: int = 8) -> pd.DataFrame:
    """The national proven-reoffending series (latest ``n`` cohorts), oldest first.

    Keeps the national area (England and Wales or England), all ages where the store
    separates adults and juveniles (``age`` ``"all ages"``/``"all"`` preferred).

    Returns
    -------
    pandas.DataFrame
        ``period, value, count, denominator, area_code, age`` (empty when not in the store).
    """
    cols = ["period", "value", "count", "denominator", "area_code", "age"]
    d = reoff[reoff["metric_id"] == metric_id] if len(reoff) else reoff
    if d is None or d.empty:
        return pd.DataFrame(columns=cols)
    national = [c for c in ("K04000001", ENGLAND, "K02000001", "K03000001") if c in set(d["area_code"])]
    if national:
        d = d[d["area_code"] == national[0]]
    if "age" in d and d["age"].nunique() > 1:
        pref = [a for a in d["age"].unique() if str(a).lower() in ("all ages", "all")]
        if pref:
            d = d[d["age"] == pref[0]]
    if "sex" in d and d["sex"].nunique() > 1:
        d = d[d["sex"] == "persons"] if (d["sex"] == "persons").any() else d
    d = d.assign(_start=pd.to_datetime(d["period_start"])).sort_values("_start")
    # one temporal unit: the most common length among the latest periods
    months = np.array([Period.parse(str(x)).n_months for x in d["period"]])
    d = d[months == months[-1]]
    d = d.drop_duplicates("period", keep="last")
    return d.tail(n)[cols].reset_index(drop=True)


def reoffending_change(nat: pd.DataFrame, period: Period) -> ProportionChange | None:
    """The latest national reoffending cohort against the cohort a year earlier, tested.

    The two proportions (reoffenders / cohort) are compared with
    :func:`cdp_analysis.indicators.proportion_difference_test`; the words come from
    :func:`cdp_analysis.indicators.describe_change`, so "rise" or "fall" appears only for a
    statistically significant difference at 95%. ``years_before`` says how far the latest
    cohort ends before the end of the reporting ``period`` (whole years), so a report can say
    when the national series in the store is old.

    Returns
    -------
    ProportionChange or None
        ``period``, ``value`` (per cent), ``base_period``, ``base_value``, ``difference`` with
        ``lower`` and ``upper`` (fractions), ``p_value``, ``significant``, ``verdict``
        (``"a statistically significant fall"``, ``"... rise"`` or ``"not a statistically
        significant change"``), ``sentence``, ``years_before`` and the library's
        :class:`~cdp_analysis.results.ChangeTest` as ``test``; ``None`` without a cohort a
        year before the latest, or without counts.

    Examples
    --------
    MoJ's national cohorts of January to March 2014 and 2013 (reoffenders / offenders):

    >>> nat = pd.DataFrame({"period": ["2013-01..2013-03", "2014-01..2014-03"], "value": [31.3, 30.6],
    ...                     "count": [47394, 45507], "denominator": [151201, 148879]})
    >>> ch = reoffending_change(nat, Period.parse("2023/24 Q1"))
    >>> ch.verdict, ch.years_before
    ('a statistically significant fall', 9)
    """
    from cdp_analysis import indicators as ind

    if nat.empty:
        return None
    last = nat.iloc[-1]
    base_label = Period.parse(str(last["period"])).shift(-1).label
    base = nat[nat["period"].astype(str) == base_label]
    if base.empty or any(pd.isna(r.get(k)) for r in (last, base.iloc[0]) for k in ("count", "denominator")):
        return None
    b = base.iloc[0]
    frame = ind.proportion_difference_test(float(last["count"]), float(last["denominator"]), float(b["count"]),
                                           float(b["denominator"]))
    test = frame.iloc[0]
    sentence = ind.describe_change(float(last["count"]), float(b["count"]), str(last["period"]), base_label,
                                   kind="proportion", denominator_a=float(last["denominator"]),
                                   denominator_b=float(b["denominator"]), measure="reoffended")
    end = period.end
    cohort_end = Period.parse(str(last["period"])).end
    years = max(0, (end.year - cohort_end.year) - ((end.month, end.day) < (cohort_end.month, cohort_end.day)))
    return ProportionChange(str(last["period"]), base_label, float(last["value"]), float(b["value"]),
                            float(test["difference"]), float(test["lower"]), float(test["upper"]),
                            float(test["p_value"]), bool(test["significant"]), str(sentence), int(years), test=frame)


def reoffending_local(returns: pd.DataFrame, metrics: pd.DataFrame, codes: Sequence[str]) -> pd.DataFrame:
    """Reoffending figures in the partnership's returns for the area's members (may be empty)."""
    ids = set(metrics.loc[metrics["section"] == "reoffending", "metric_id"]) if "section" in metrics else set()
    r = returns[returns["metric_id"].isin(ids) & returns["area_code"].isin(list(codes))]
    return r[["metric_id", "area_code", "period", "value"]].reset_index(drop=True)



def unmet_need(context: pd.DataFrame, codes: Sequence[str]) -> pd.DataFrame:
    """Fingertips' estimated unmet need for treatment, the area's latest year against England.

    For one area the published value and 95% limits are used and compared with England's
    value of the same year by Fingertips' rule (:func:`cdp_analysis.indicators.compare`,
    lower is better). For a partnership the members' numerators and denominators (people not
    in treatment, estimated people in need) are summed when every member has the year; the
    published limits come from the prevalence model and cannot be combined, so the sum has
    none and is not compared.

    Returns
    -------
    pandas.DataFrame
        One row per metric: ``metric_id, who, period, value, lower_95, upper_95, count,
        denominator, england, england_lower, england_upper, comparison`` (``value`` NaN and
        ``period`` the latest England year when the area is not in the store).

    Examples
    --------
    >>> obs = pd.DataFrame({"metric_id": "fingertips_93517", "area_code": ["A", ENGLAND],
    ...     "period": "2020/21", "value": [45.4, 52.1], "lower_95": [36.4, 51.5], "upper_95": [56.3, 53.7],
    ...     "count": [535., 158976.], "denominator": [1179., 305118.]})
    >>> unmet_need(obs, ["A"])[["who", "value", "england", "comparison"]].values.tolist()
    [['opiate and/or crack cocaine users', 45.4, 52.1, 'similar']]
    """
    from cdp_analysis import indicators as ind

    cols = ["metric_id", "who", "period", "value", "lower_95", "upper_95", "count", "denominator", "england",
            "england_lower", "england_upper", "comparison"]
    if context is None or context.empty:
        return pd.DataFrame(columns=cols)
    codes = list(codes)
    rows = []
    for mid, who in UNMET_METRICS.items():
        d = context[(context["metric_id"] == mid) & context["value"].notna()]
        if d.empty:
            continue
        eng = d[d["area_code"] == ENGLAND]
        own = d[d["area_code"].isin(codes)]
        period = latest_full_period(own, codes)
        row = dict.fromkeys(cols, np.nan)
        row.update(metric_id=mid, who=who, comparison="")
        if period is not None:
            o = own[own["period"] == period]
            row["period"] = period
            if len(codes) == 1:
                r = o.iloc[0]
                row.update(value=float(r["value"]), lower_95=r["lower_95"], upper_95=r["upper_95"],
                           count=r["count"], denominator=r["denominator"])
            else:
                row.update(count=float(o["count"].sum()), denominator=float(o["denominator"].sum()))
                row["value"] = row["count"] / row["denominator"] * 100
        elif len(eng):
            row["period"] = sort_by_period(eng[["period"]].drop_duplicates())["period"].iloc[-1]
        else:
            continue
        e = eng[eng["period"] == row["period"]]
        if len(e):
            row.update(england=float(e["value"].iloc[0]), england_lower=e["lower_95"].iloc[0],
                       england_upper=e["upper_95"].iloc[0])
        if len(codes) == 1 and pd.notna(row["value"]) and pd.notna(row["england"]) and pd.notna(row["lower_95"]):
            cmp_ = ind.compare(pd.DataFrame([{"value": row["value"], "lower_95": row["lower_95"],
                                               "upper_95": row["upper_95"]}]),
                               benchmark=row["england"], polarity="lower_is_better")
            row["comparison"] = str(cmp_["comparison"].iloc[0])
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)
