"""Period labels (docs/design.md §3): every form parses, prints back exactly, and knows its dates."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdp_analysis import CdpParameterError, Period, parse_period

D = dt.date


@pytest.mark.parametrize(
    ("label", "kind", "start", "end", "n_months"),
    [
        ("2022", "calendar_year", D(2022, 1, 1), D(2022, 12, 31), 12),
        ("2022/23", "financial_year", D(2022, 4, 1), D(2023, 3, 31), 12),
        ("1999/00", "financial_year", D(1999, 4, 1), D(2000, 3, 31), 12),
        ("2023/24 Q1", "quarter", D(2023, 4, 1), D(2023, 6, 30), 3),
        ("2023/24 Q3", "quarter", D(2023, 10, 1), D(2023, 12, 31), 3),
        ("2023/24 Q4", "quarter", D(2024, 1, 1), D(2024, 3, 31), 3),
        ("2024-02", "month", D(2024, 2, 1), D(2024, 2, 29), 1),
        ("2023-01..2023-06", "month_range", D(2023, 1, 1), D(2023, 6, 30), 6),
        ("2019-2021", "calendar_years", D(2019, 1, 1), D(2021, 12, 31), 36),
        ("2019/20-2021/22", "financial_years", D(2019, 4, 1), D(2022, 3, 31), 36),
    ],
)
def test_each_form(label, kind, start, end, n_months):
    p = Period.parse(label)
    assert p.kind == kind
    assert (p.start, p.end, p.n_months) == (start, end, n_months)
    assert str(p) == label
    assert len(p.months) == n_months


def test_containing_year_and_fraction():
    q1 = Period.parse("2023/24 Q1")
    assert str(q1.containing_year("financial")) == "2023/24"
    assert q1.fraction_elapsed("financial") == 0.25
    assert Period.parse("2023/24 Q4").fraction_elapsed() == 1.0
    half = Period.parse("2023-01..2023-06")
    assert str(half.containing_year("calendar")) == "2023"
    assert half.fraction_elapsed("calendar") == 0.5
    # a lone month late in the financial year: Jan 2024 is the 10th month of 2023/24
    assert Period.parse("2024-01").fraction_elapsed("financial") == 10 / 12
    assert Period.parse("2022").fraction_elapsed("calendar") == 1.0


def test_previous_year_and_slug():
    assert str(Period.parse("2023/24 Q1").previous_year()) == "2022/23 Q1"
    assert str(Period.parse("2023-01..2023-06").previous_year()) == "2022-01..2022-06"
    assert Period.parse("2023/24 Q1").slug == "2023-24-Q1"
    assert Period.parse("2023-01..2023-06").slug == "2023-01_to_2023-06"


def test_straddling_period_has_no_containing_year():
    with pytest.raises(CdpParameterError, match="not inside one calendar year"):
        Period.parse("2022/23").containing_year("calendar")
    with pytest.raises(CdpParameterError):
        Period.parse("2019-2021").fraction_elapsed("calendar")


@pytest.mark.parametrize(
    "label",
    ["", "22/23", "2022/24", "2022-13", "2023/24 Q5", "2023/24Q1", "2023-06..2023-01", "2021-2019",
     "2019/20-2018/19", "FY2022", "2022 /23", "2022-2022", "abc"],
)
def test_bad_labels_name_the_grammar(label):
    with pytest.raises(CdpParameterError) as err:
        parse_period(label)
    assert "'2023/24 Q1' (financial quarter" in str(err.value)
    assert repr(label) in str(err.value)


def test_non_string_rejected():
    with pytest.raises(CdpParameterError, match="expected a string"):
        parse_period(2022)


def test_ordering_and_contains():
    fy = Period.parse("2023/24")
    assert fy.contains("2023/24 Q2") and fy.contains("2024-03")
    assert not fy.contains("2024-04")
    assert Period.parse("2022") < Period.parse("2023")


# ---- property-based round trips over every form ----------------------------------
years = st.integers(min_value=1990, max_value=2098)
months = st.integers(min_value=1, max_value=12)


@st.composite
def labels(draw):
    form = draw(st.sampled_from(["cy", "fy", "q", "m", "range", "cys", "fys"]))
    y = draw(years)
    if form == "cy":
        return f"{y}"
    if form == "fy":
        return f"{y}/{(y + 1) % 100:02d}"
    if form == "q":
        return f"{y}/{(y + 1) % 100:02d} Q{draw(st.integers(1, 4))}"
    if form == "m":
        return f"{y}-{draw(months):02d}"
    if form == "range":
        a = y * 12 + draw(months) - 1
        b = a + draw(st.integers(0, 40))
        return f"{a // 12}-{a % 12 + 1:02d}..{b // 12}-{b % 12 + 1:02d}"
    n = draw(st.integers(1, 6))
    if form == "cys":
        return f"{y}-{y + n}"
    return f"{y}/{(y + 1) % 100:02d}-{y + n}/{(y + n + 1) % 100:02d}"


@given(labels())
def test_round_trip(label):
    p = Period.parse(label)
    assert str(p) == label
    assert Period.parse(str(p)) == p
    assert p.start <= p.end
    assert p.n_months == len(p.months)
    assert p.months[0] == p.start.strftime("%Y-%m") and p.months[-1] == p.end.strftime("%Y-%m")


@given(labels())
def test_part_year_fraction_is_consistent(label):
    p = Period.parse(label)
    if p.is_pooled:
        return
    for basis in ("financial", "calendar"):
        try:
            year = p.containing_year(basis)
        except CdpParameterError:
            continue
        assert year.contains(p)
        assert 0 < p.fraction_elapsed(basis) <= 1
        assert year.n_months == 12
