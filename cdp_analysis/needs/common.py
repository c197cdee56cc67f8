"""What the topics share: the latest year every member has, and a rate's change between two years, tested.

A partnership's figure for a year exists only when every member has one (a missing member
would make a sum too small), so the topics look for the latest such year alike
(:func:`latest_full_period`). A change of a rate is the exact conditional rate-ratio test of the two years' counts over their denominators
(:func:`cdp_analysis.indicators.rate_ratio_test`), worded by
:func:`cdp_analysis.indicators.describe_change`, so "rise" or "fall" appears only for a
statistically significant change at 95%. The callers decide first whether the change can be
tested at all (suppressed or too few events: :mod:`cdp_analysis.indicators.small_numbers`).
"""

from __future__ import annotations

import pandas as pd

from cdp_analysis.needs.findings import CountChange

__all__ = ["latest_full_period", "rate_change", "untested_change"]


def latest_full_period(own: pd.DataFrame, codes: list[str]) -> str | None:
    """The latest period in which every one of ``codes`` has a row of ``own`` (``None`` when none does).

    >>> own = pd.DataFrame({"area_code": ["A", "B", "A"], "period": ["2019/20", "2019/20", "2020/21"]})
    >>> latest_full_period(own, ["A", "B"]), latest_full_period(own, ["A"]), latest_full_period(own, ["C"])
    ('2019/20', '2020/21', None)
    """
    from cdp_analysis.periods import sort_by_period

    own = own[own["area_code"].isin(list(codes))]
    full = own.groupby("period")["area_code"].nunique()
    periods = [p for p in full.index if full[p] == len(set(codes))]
    if not periods:
        return None
    return str(sort_by_period(pd.DataFrame({"period": periods}))["period"].iloc[-1])


def rate_change(a: pd.Series, b: pd.Series, denominator: str, measure: str, multiplier: float,
                rate_unit: str) -> CountChange:
    """The latest year ``a`` against the year before ``b``, tested: a :class:`CountChange` of the rates.

    ``a`` and ``b`` hold ``period``, ``count`` and the ``denominator`` column (pupils,
    residents); ``multiplier`` and ``rate_unit`` say how the rates are written.

    >>> a = pd.Series({"period": "2016/17", "count": 89.0, "pupils": 98093.0})
    >>> b = pd.Series({"period": "2015/16", "count": 96.0, "pupils": 97321.0})
    >>> r = rate_change(a, b, "pupils", "suspensions", 10_000, "per 10,000 pupils")
    >>> r.significant, round(r.ratio, 2), r.sentence.split(":")[1].strip()[:40]
    (False, 0.92, 'not a statistically significant change (')
    """
    from cdp_analysis import indicators as ind

    frame = ind.rate_ratio_test(float(a["count"]), float(a[denominator]), float(b["count"]),
                                float(b[denominator]))
    test = frame.iloc[0]
    sentence = ind.describe_change(float(a["count"]), float(b["count"]), str(a["period"]), str(b["period"]),
                                   measure=measure, denominator_a=float(a[denominator]),
                                   denominator_b=float(b[denominator]), multiplier=multiplier, rate_unit=rate_unit)
    return CountChange(str(a["period"]), str(b["period"]), float(a["count"]), float(b["count"]),
                       float(test["ratio"]), float(test["lower"]), float(test["upper"]), float(test["p_value"]),
                       significant=bool(test["significant"]), suppressed=False, sentence=str(sentence), test=frame)


def untested_change(a: pd.Series, b: pd.Series, sentence: str, *, suppressed: bool = False,
                    counts: bool = True) -> CountChange:
    """A :class:`CountChange` that was not tested (suppressed, too few or not comparable), with why.

    >>> untested_change(pd.Series({"period": "2021", "count": 3.0}), pd.Series({"period": "2020", "count": 4.0}),
    ...                 "too few").tested
    False
    """
    nan = float("nan")
    count = float(a["count"]) if counts and not suppressed else nan
    previous = float(b["count"]) if counts and not suppressed else nan
    return CountChange(str(a["period"]), str(b["period"]), count, previous, nan, nan, nan, nan,
                       significant=None, suppressed=suppressed, sentence=sentence)
