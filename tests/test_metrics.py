"""The metric catalogue: contract columns, allowed values, the ids other code relies on."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest

from cdp_analysis import metrics as m
from cdp_analysis.errors import CdpParameterError

ROOT = Path(__file__).resolve().parents[1]

REQUIRED_IDS = {
    "county_lines_arrests": ("enforcement", "count", "financial"),
    "soc_disruptions": ("enforcement", "count", "financial"),
    "neighbourhood_crime": ("enforcement", "count", "calendar"),
    "cash_seizures": ("enforcement", "currency", "financial"),
    "nrm_county_lines_referrals": ("enforcement", "count", "financial"),
    "fast_parcel_referrals": ("enforcement", "count", "financial"),
    "adults_in_treatment": ("treatment", "count", "financial"),
    "young_people_in_treatment": ("treatment", "count", "financial"),
    "continuity_of_care": ("treatment", "percent", "financial"),
    "rehab_placements": ("treatment", "count", "financial"),
    "drug_related_deaths_local": ("deaths", "count", "calendar"),
    "drug_poisoning_deaths": ("deaths", "count", "calendar"),
    "drug_misuse_deaths": ("deaths", "count", "calendar"),
    "drug_poisoning_asmr": ("deaths", "rate", "calendar"),
    "drug_misuse_asmr": ("deaths", "rate", "calendar"),
    "population": ("context", "count", "calendar"),
    "proven_reoffending_rate": ("reoffending", "percent", "financial"),
    "proven_reoffending_frequency": ("reoffending", "rate", "financial"),
    "reoffending_cohort": ("reoffending", "count", "financial"),
    "reoffenders": ("reoffending", "count", "financial"),
    "reoffences": ("reoffending", "count", "financial"),
}
POLICE_UK_TYPES = [
    "Violence and sexual offences", "Anti-social behaviour", "Shoplifting",
    "Criminal damage and arson", "Other theft", "Public order", "Vehicle crime", "Burglary",
    "Drugs", "Bicycle theft", "Other crime", "Robbery", "Possession of weapons",
    "Theft from the person",
]


def test_header_is_the_contract():
    with open(ROOT / "data" / "reference" / "metrics.csv", newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert header == list(m.METRIC_COLUMNS) == [
        "metric_id", "name", "section", "unit", "polarity", "year_basis", "projection",
        "source", "definition",
    ]


def test_packaged_copy_is_identical():
    canonical = (ROOT / "data" / "reference" / "metrics.csv").read_bytes()
    packaged = (ROOT / "cdp_analysis" / "reference" / "metrics.csv").read_bytes()
    assert packaged == canonical


@pytest.mark.parametrize("metric_id", sorted(REQUIRED_IDS))
def test_required_ids(metric_id):
    got = m.get_metric(metric_id)
    assert (got.section, got.unit, got.year_basis) == REQUIRED_IDS[metric_id]
    assert got.name and got.source and got.definition


def test_police_uk_types():
    ids = m.metric_ids()
    for t in POLICE_UK_TYPES:
        mid = "police_uk_" + t.lower().replace("-", "_").replace(" ", "_")
        assert mid in ids, mid
    nc = m.get_metric("police_uk_neighbourhood_crime")
    for part in ("Burglary", "Robbery", "Theft from the person", "Vehicle crime"):
        assert part in nc.definition


def test_values_allowed_and_ids_unique():
    df = m.metrics()
    assert df["metric_id"].is_unique
    assert set(df["section"]) <= set(m.SECTIONS)
    assert set(df["unit"]) <= set(m.UNITS)
    assert set(df["polarity"]) <= set(m.POLARITIES)
    assert set(df["year_basis"]) <= set(m.YEAR_BASES)
    assert set(df["projection"]) <= set(m.PROJECTIONS)
    assert (df.apply(lambda c: c.str.strip().ne("")).all()).all()


def test_local_deaths_never_ons():
    local = m.get_metric("drug_related_deaths_local")
    assert "ONS" not in local.source and "not ons" in local.definition.lower()
    assert "ONS" in m.get_metric("drug_misuse_deaths").source


def test_metric_is_frozen():
    got = m.get_metric("soc_disruptions")
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.unit = "rate"  # type: ignore[misc]


def test_metrics_frame_is_a_copy():
    df = m.metrics()
    df.loc[0, "unit"] = "nonsense"
    assert m.metrics().loc[0, "unit"] != "nonsense"


def test_unknown_metric_suggests():
    with pytest.raises(CdpParameterError, match="did you mean 'adults_in_treatment'"):
        m.validate_metric("adult_in_treatment")
    with pytest.raises(CdpParameterError, match="unknown metric_id"):
        m.get_metric("zzz")
    with pytest.raises(CdpParameterError, match="unknown section"):
        m.metrics("enforcment")


def test_env_override(tmp_path, monkeypatch):
    (tmp_path / "metrics.csv").write_text(
        ",".join(m.METRIC_COLUMNS) + "\nx_only,X,context,count,neutral,calendar,none,me,def\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("CDP_REFERENCE_DIR", str(tmp_path))
    assert m.metric_ids() == {"x_only"}
