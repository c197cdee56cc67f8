"""The traps of issue #18, each with the call and the input named in the issue.

Each test failed on the library as the issue found it (a silent wrong answer or an empty
frame) and passes now (a refusal naming the fix, or the right answer).
"""

from __future__ import annotations

import inspect

import pytest

from cdp_analysis.errors import CdpParameterError

# ---------------------------------------------------------------- 1. year-end projection


def test_projection_refuses_months_that_do_not_start_the_financial_year():
    from cdp_analysis import indicators as ind

    # January to March is not "April to date": read on the financial basis it was the whole of
    # 2022/23 and came back as 38 (range 38-38)
    with pytest.raises(CdpParameterError, match=r"year_basis='calendar'"):
        ind.project_year_end(38, period="2023-01..2023-03")
    # the fix the message names gives the calendar-year projection: 38 in 3 of 12 months
    fixed = ind.project_year_end(38, period="2023-01..2023-03", year_basis="calendar").iloc[0]
    assert fixed["projection"] == pytest.approx(38 * 12 / 3)
    assert fixed["lower"] < fixed["projection"] < fixed["upper"]
    # April to June on the calendar basis is refused the other way round
    with pytest.raises(CdpParameterError, match=r"year_basis='financial'"):
        ind.project_year_end(38, period="2023-04..2023-06", year_basis="calendar")
    # a range starting mid-year on either basis: the message says to give the total from the start
    with pytest.raises(CdpParameterError, match=r"from April"):
        ind.project_year_end(38, period="2023-07..2023-09")


def test_projection_and_probability_have_no_default_period():
    from cdp_analysis import indicators as ind

    for fn in (ind.project_year_end, ind.probability_of_meeting_target):
        assert inspect.signature(fn).parameters["period"].default is inspect.Parameter.empty
    with pytest.raises(TypeError):
        ind.project_year_end(38)  # type: ignore[call-arg]
