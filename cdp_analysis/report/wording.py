"""Plain words for test results, shared by both reports.

Nothing here says "rise" or "fall": a comparison is worded from Fingertips' benchmark label
and a trend from Fingertips' recent-trend result, each computed by the library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cdp_analysis.needs.findings import CountChange

__all__ = ["comparison_phrase", "trend_phrase", "change_verdict"]

_RELATION = {"better": "lower than", "worse": "higher than", "similar": "similar to", "higher": "higher than",
             "lower": "lower than", "not compared": "not compared with"}


def comparison_phrase(label: str, benchmark: str) -> str:
    """Plain words for a Fingertips comparison of a lower-is-better rate.

    >>> comparison_phrase("worse", "England"), comparison_phrase("similar", "South West")
    ('higher than England (statistically significant)', 'similar to South West (no statistically significant difference)')
    """
    if not label:
        return f"not compared with {benchmark}"
    rel = _RELATION.get(str(label), str(label))
    if label in ("similar",):
        return f"{rel} {benchmark} (no statistically significant difference)"
    if label == "not compared":
        return f"{rel} {benchmark} (too few deaths for a rate)"
    return f"{rel} {benchmark} (statistically significant)"


def trend_phrase(trend: str, reason: str = "") -> str:
    """Plain words for a recent-trend result (never "rise"/"fall" without the test).

    >>> trend_phrase("no significant change")
    'no statistically significant trend'
    >>> trend_phrase("cannot be calculated", "fewer than 10 deaths in total in 2017 to 2021")
    'trend cannot be calculated (fewer than 10 deaths in total in 2017 to 2021)'
    """
    if str(trend) == "cannot be calculated":
        return "trend cannot be calculated" + (f" ({reason})" if reason else "")
    return {"increasing": "a statistically significant increasing trend",
            "decreasing": "a statistically significant decreasing trend",
            "no significant change": "no statistically significant trend"}.get(str(trend), str(trend))


def change_verdict(change: CountChange) -> str:
    """A chart title's verb for a tested change of a rate (its ``significant`` and ``ratio``).

    >>> import pandas as pd
    >>> from cdp_analysis import needs
    >>> ch = needs.deaths_change(pd.DataFrame({"period": ["2020", "2021"], "count": [100.0, 50.0]}))
    >>> change_verdict(ch)
    'fell (statistically significant)'
    """
    if not change.significant:
        return "showed no statistically significant change"
    return "fell (statistically significant)" if change.ratio < 1 else "rose (statistically significant)"
