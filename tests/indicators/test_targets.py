"""Targets: trajectory by hand, the status rule case by case, probabilities against simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdp_analysis import indicators as ind
from cdp_analysis.errors import CdpInputError, CdpParameterError
from cdp_analysis.indicators import (
    probability_of_meeting_target,
    project_year_end,
    target_status,
    target_trajectory,
)

REL = 1e-9


# ---------------------------------------------------------------------------- trajectory
def test_trajectory_continuity_of_care() -> None:
    # seed report: BCP 45.2% in 2022/23, target 75% by 2024/25; Dorset 67.7%
    t = target_trajectory(45.2, 75, "2022/23", "2024/25")
    assert t.period.tolist() == ["2022/23", "2023/24", "2024/25"]
    assert t.expected.tolist() == pytest.approx([45.2, 45.2 + (75 - 45.2) / 2, 75.0], rel=REL)
    q = target_trajectory(67.7, 75, "2022/23", "2024/25", at=["2023/24 Q1", "2023/24 Q3"])
    # 3 and 9 months of the 24 between the two year ends
    assert q.expected.tolist() == pytest.approx([67.7 + 7.3 * 3 / 24, 67.7 + 7.3 * 9 / 24], rel=REL)


def test_trajectory_downwards_and_uneven_spans() -> None:
    t = target_trajectory(59, 45, "2021", "2023-06")
    assert t.period.tolist() == ["2021", "2023-06"]
    mid = target_trajectory(59, 45, "2021", "2023-06", at="2022").expected.iloc[0]
    assert mid == pytest.approx(59 - 14 * 12 / 18, rel=REL)


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((1, 2, "2024/25", "2022/23"), {}),
        ((1, 2, "2022/23", "2024/25"), {"at": "2021/22"}),
        ((1, 2, "2022/23", "2024/25"), {"at": "2026/27"}),
        ((1, 2, "2022/23", "2024/26"), {}),
    ],
)
def test_trajectory_bad_periods(args: tuple, kwargs: dict) -> None:
    with pytest.raises(CdpParameterError):
        target_trajectory(*args, **kwargs)


def test_trajectory_bad_values() -> None:
    with pytest.raises(CdpInputError):
        target_trajectory(np.nan, 2, "2022/23", "2024/25")


# -------------------------------------------------------------------------------- status
@pytest.mark.parametrize(
    "polarity, lower, upper, target, expected",
    [
        ("higher_is_better", 115, 199, 100, "on track"),
        ("higher_is_better", 115, 199, 115, "on track"),  # at the target counts as meeting it
        ("higher_is_better", 115, 199, 150, "at risk"),
        ("higher_is_better", 115, 199, 199, "at risk"),
        ("higher_is_better", 115, 199, 200, "off track"),
        ("lower_is_better", 41, 72, 80, "on track"),
        ("lower_is_better", 41, 72, 72, "on track"),
        ("lower_is_better", 41, 72, 55, "at risk"),
        ("lower_is_better", 41, 72, 41, "at risk"),
        ("lower_is_better", 41, 72, 40, "off track"),
    ],
)
def test_status_rule(polarity: str, lower: float, upper: float, target: float, expected: str) -> None:
    r = target_status((lower + upper) / 2, target, polarity, lower=lower, upper=upper).iloc[0]
    assert r.status == expected
    assert polarity.split("_")[0] in r.rule
    assert str(target) in r.reason


def test_status_without_a_range_uses_the_point() -> None:
    cash = project_year_end(23_756, "2023/24 Q1", unit="currency")
    r = target_status(cash, target=68_413).iloc[0]  # last year's seizures
    assert r.status == "on track" and "no range" in r.rule
    assert target_status(cash, target=100_000).status.iloc[0] == "off track"


def test_status_keeps_the_projection_frame_index() -> None:
    proj = project_year_end(pd.Series([38, 259], index=["county lines", "SOC"]), "2023/24 Q1")
    st = target_status(proj, target=[80, 964])
    assert list(st.index) == ["county lines", "SOC"]
    assert st.status.tolist() == ["on track", "at risk"]


def test_status_bad_input() -> None:
    with pytest.raises(CdpParameterError):
        target_status(10, 5, "neutral")  # type: ignore[arg-type]
    with pytest.raises(CdpInputError):
        target_status([10, np.nan], 5)
    with pytest.raises(CdpInputError):
        target_status(10, 5, lower=12, upper=8)
    with pytest.raises(CdpInputError):
        target_status([1, 2, 3], [1, 2])


# --------------------------------------------------------------------------- probability
def test_probability_against_simulation() -> None:
    # independent: Jeffreys gamma posterior for the annual rate, Poisson for the other 9 months
    rng = np.random.default_rng(42)
    lam = rng.gamma(38.5, 1 / 0.25, 1_000_000)
    total = 38 + rng.poisson(lam * 0.75)
    targets = np.array([100, 140, 152, 180, 200])
    got = probability_of_meeting_target(38, targets, "2023/24 Q1")
    np.testing.assert_allclose(got.probability, [(total >= t).mean() for t in targets], atol=0.002)
    low = probability_of_meeting_target(38, targets, "2023/24 Q1", polarity="lower_is_better")
    np.testing.assert_allclose(low.probability, [(total <= t).mean() for t in targets], atol=0.002)


def test_probability_consistent_with_the_range() -> None:
    proj = project_year_end(38, "2023/24 Q1").iloc[0]
    p = probability_of_meeting_target(38, [proj.lower, proj.upper + 1], "2023/24 Q1").probability
    assert p.iloc[0] >= 0.975 and p.iloc[1] <= 0.025


def test_probability_seasonal_and_money() -> None:
    hist = pd.DataFrame({"to_date": [37, 38, 38], "full_year": [150, 150, 150]})
    rng = np.random.default_rng(7)
    share = rng.beta(113.5, 337.5, 600_000)
    total = 38 + rng.poisson(rng.gamma(38.5, 1 / share) * (1 - share))
    got = probability_of_meeting_target(38, [130, 160], "2023/24 Q1", history=hist).probability
    np.testing.assert_allclose(got, [(total >= 130).mean(), (total >= 160).mean()], atol=0.003)

    money = pd.DataFrame(
        {"to_date": [20_000.0, 15_000.0, 18_000.0], "full_year": [70_000.0, 68_000.0, 69_000.0]}
    )
    proj = project_year_end(23_756, "2023/24 Q1", unit="currency", history=money).iloc[0]
    at_proj = probability_of_meeting_target(23_756, proj.projection, "2023/24 Q1", unit="currency", history=money)
    assert at_proj.probability.iloc[0] == pytest.approx(0.5, rel=REL)
    at_lower = probability_of_meeting_target(23_756, proj.lower, "2023/24 Q1", unit="currency", history=money)
    assert at_lower.probability.iloc[0] == pytest.approx(0.975, rel=1e-7)
    nohist = probability_of_meeting_target(23_756, 90_000, "2023/24 Q1", unit="currency")
    assert np.isnan(nohist.probability.iloc[0]) and nohist.method.iloc[0] == "run_rate (no interval)"


def test_probability_full_year_and_errors() -> None:
    r = probability_of_meeting_target([80, 80], [80, 81], "2022/23")
    assert r.probability.tolist() == [1.0, 0.0]
    with pytest.raises(CdpParameterError):
        probability_of_meeting_target(38, 100, "2023/24 Q1", polarity="neutral")  # type: ignore[arg-type]
    with pytest.raises(CdpInputError):
        probability_of_meeting_target([1, 2, 3], [1, 2], "2023/24 Q1")
    with pytest.raises(CdpParameterError):
        probability_of_meeting_target(38, 100, period="2023/24 Q7")


def test_status_is_shown_beside_its_probability():
    # #17 item 5: a target with a 95% chance of being met is "at risk" by the range rule;
    # the label must carry the chance so a board is not misled either way
    r = ind.target_assessment([259, 259, 38], [950, 1200, 100], "2023/24 Q1")
    assert r["status"].tolist() == ["at risk", "off track", "on track"]
    # independent Monte Carlo of the gamma-Poisson year end (Jeffreys posterior, remainder Poisson)
    rng = np.random.default_rng(5)
    lam = rng.gamma(259 + 0.5, 1 / 0.25, size=400_000)  # annual rate given 259 in a quarter
    year_end = 259 + rng.poisson(lam * 0.75)
    assert r["probability"].iloc[0] == pytest.approx((year_end >= 950).mean(), abs=0.003)
    assert r["label"].iloc[0] == "at risk: 95% chance of meeting the target"
    assert r["label"].iloc[1].startswith("off track: less than 1% chance")
    assert r["label"].iloc[2] == "on track: more than 99% chance of meeting the target"
    assert all("chance of meeting the target is the share" in rule for rule in r["rule"])
    low = ind.target_assessment(20, 200, "2023/24 Q1", polarity="lower_is_better").iloc[0]
    assert low["status"] == "on track" and low["label"].startswith("on track: ")
