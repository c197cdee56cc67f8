"""Areas, partnerships, predecessors: against the shipped raw files and hand-worked sums."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdp_analysis import areas as ar
from cdp_analysis.errors import CdpInputError, CdpParameterError

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
BCP, DC, PFA = "E06000058", "E06000059", "E23000039"
BCP_OLD = ["E06000028", "E06000029", "E07000048"]
DC_OLD = ["E07000049", "E07000050", "E07000051", "E07000052", "E07000053", "E10000009"]


@pytest.fixture(scope="module")
def deaths_codes() -> set[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = pd.read_excel(RAW / "ons_drug_deaths" / "original" / "2021localauthorities.xlsx",
                            sheet_name="Table 1", header=None, dtype=str, engine="openpyxl")
    col = raw[0].dropna().str.strip()
    return set(col[col.str.match(r"^[EWK]\d{8}$")])


@pytest.mark.parametrize("name", ["areas.csv", "partnerships.csv"])
def test_packaged_copies_identical(name):
    assert (ROOT / "cdp_analysis" / "reference" / name).read_bytes() == \
        (ROOT / "data" / "reference" / name).read_bytes()


def test_build_script_reproduces_areas_csv():
    res = subprocess.run([sys.executable, str(ROOT / "data" / "reference" / "build_areas.py"), "--check"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr


def test_every_deaths_workbook_code_present(deaths_codes):
    df = ar.areas()
    assert len(deaths_codes) == 375
    assert len(df) >= 375
    assert deaths_codes <= set(df["code"])
    assert set(df.loc[df["in_deaths_2021"], "code"]) == deaths_codes


def test_every_lookup_and_population_code_present():
    codes = set(ar.areas()["code"])
    lu = pd.read_csv(next((RAW / "lookups").glob("Lower_Tier*.csv")), dtype=str, encoding="utf-8-sig")
    assert set(lu["LTLA22CD"]) | set(lu["UTLA22CD"]) <= codes
    pfa = pd.read_csv(next((RAW / "lookups").glob("Local_Authority_District_to_Community*.csv")),
                      dtype=str, encoding="utf-8-sig")
    assert set(pfa["LAD17CD"]) | set(pfa["CSP17CD"]) | set(pfa["PFA17CD"]) <= codes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mye = pd.read_excel(RAW / "population" / "original" / "mye22final.xlsx",
                            sheet_name="MYE2 - Persons", header=None, dtype=str)
    mcodes = set(mye[0].dropna().str.strip()) & set(mye[0].dropna()[mye[0].dropna().str.match(r"^[EKNSW]\d{8}$")])
    assert len(mcodes) > 400 and mcodes <= codes
    assert {"E06000063", "E06000064", "E06000065", "E06000066"} <= codes


def test_key_codes():
    assert ar.area_name("E92000001") == "England"
    assert ar.area_name("E12000009") == "South West"
    assert ar.get_area("E12000009").type == "region"
    assert ar.get_area("E12000009").region == "E92000001"
    assert ar.get_area("E92000001").region == ""
    pfa = ar.get_area(PFA)
    assert (pfa.type, pfa.name, pfa.region) == ("police_force", "Dorset", "E12000009")
    for code in (BCP, DC):
        a = ar.get_area(code)
        assert (a.type, a.region, a.upper_tier, a.police_force) == ("unitary", "E12000009", code, PFA)
        assert a.valid_from == "2019-04-01" and a.is_current and a.is_upper_tier_england


def test_dorset_predecessors():
    assert ar.predecessors(BCP) == BCP_OLD
    assert ar.predecessors(DC) == DC_OLD
    for code in BCP_OLD:
        a = ar.get_area(code)
        assert a.replaced_by == (BCP,) and a.valid_to == "2019-03-31" and not a.is_current
        assert ar.successor(code) == BCP
    for code in DC_OLD:
        assert ar.get_area(code).replaced_by == (DC,) and ar.get_area(code).valid_to == "2019-03-31"
        assert ar.successor(code) == DC
    assert ar.get_area("E10000009").type == "county"
    assert ar.get_area("E07000048").parent == "E10000009"  # Christchurch was in Dorset county
    assert ar.get_area("E06000028").police_force == PFA


def test_upper_tier_areas_is_deaths_geography(deaths_codes):
    ut = ar.upper_tier_areas()
    assert ut == sorted(ut) and len(ut) == 152
    assert {BCP, DC, "E09000001", "E08000021", "E10000006", "E10000023", "E10000027"} <= set(ut)
    assert set(ut) <= deaths_codes
    assert not {"E06000063", "E06000065", "E07000026", "E12000009", "E11000007", "E13000001",
                "E06000028", "W06000001"} & set(ut)
    prefixes = {c[:3] for c in ut}
    assert prefixes == {"E06", "E08", "E09", "E10"}
    assert len(ar.upper_tier_areas("W")) == 22
    with pytest.raises(CdpParameterError):
        ar.upper_tier_areas("S")


def test_hierarchy_is_consistent():
    df = ar.areas().set_index("code")
    assert set(df.loc[df["parent"].ne(""), "parent"]) <= set(df.index)
    assert set(df.loc[df["upper_tier"].ne(""), "upper_tier"]) <= set(df.index)
    districts = df[df["type"].eq("district")]
    assert districts["parent"].str.startswith("E10").all()
    assert (df.loc[df["type"].eq("london_borough"), "region"] == "E12000007").all()
    assert df.loc["E09000002", "parent"] in ("E13000001", "E13000002")
    assert df.loc["E08000021", "parent"] == "E11000007"
    assert (df.loc[df["type"].eq("region"), "region"] == "E92000001").all()
    assert (df.loc[df["type"].eq("country"), "region"] == "").all()
    english_la = df[df.index.str.match(r"^E0[6789]|^E10") ]
    assert english_la["region"].str.startswith("E12").all()
    for code, r in df.iterrows():
        for s in r["replaced_by"].split():
            assert code in df.loc[s, "predecessors"].split()


def test_partnerships():
    assert ar.is_partnership("pan-dorset") and not ar.is_partnership(BCP)
    assert ar.members("pan-dorset") == [BCP, DC]
    assert ar.members(BCP) == [BCP]
    kind, codes, name = ar.resolve("pan-dorset")
    assert (kind, codes, name) == ("partnership", [BCP, DC], "Dorset and BCP Combating Drugs Partnership")
    assert ar.resolve(DC) == ("area", [DC], "Dorset")
    p = ar.partnerships()
    assert set(p["police_force"]) == {PFA}
    assert list(p.columns) == ["partnership_id", "name", "member_area_code", "police_force"]


def test_validate_area():
    assert ar.validate_area(BCP) == BCP
    assert ar.validate_area("pan-dorset") == "pan-dorset"
    with pytest.raises(CdpParameterError, match="did you mean 'pan-dorset'"):
        ar.validate_area("pan dorset")
    with pytest.raises(CdpParameterError, match="E06000059"):
        ar.validate_area("Dorset Council")
    with pytest.raises(CdpParameterError, match="unknown area"):
        ar.validate_area("nowhere at all")
    with pytest.raises(CdpParameterError):
        ar.get_area("pan-dorset")
    with pytest.raises(CdpParameterError):
        ar.resolve("E99999999")


def test_successor_split_and_current():
    assert ar.successor(BCP) is None
    assert ar.successors("E10000006") == ["E06000063", "E06000064"]
    with pytest.raises(CdpParameterError, match="split"):
        ar.successor("E10000006")


def test_aggregate_predecessors_hand_calculated():
    df = pd.DataFrame({
        "area_code": BCP_OLD + ["E07000049", "E07000050", "E07000051", "E07000052", "E07000053",
                                "E10000009", "E06000001"],
        "year": [2017] * 10,
        "deaths": [12, 7, 2, 3, 4, 1, 6, 5, 99, 8],
        "population": [195_000, 151_000, 49_000, 88_000, 71_000, 46_000, 101_000, 65_000, 420_000, 93_000],
    })
    out = ar.aggregate_predecessors(df, value_cols=["deaths", "population"])
    got = out.set_index("area_code")
    # BCP = 12 + 7 + 2; Dorset = 3 + 4 + 1 + 6 + 5 (the county row is dropped: its districts are here)
    assert got.loc[BCP, "deaths"] == 21 and got.loc[BCP, "population"] == 395_000
    assert got.loc[DC, "deaths"] == 19 and got.loc[DC, "population"] == 371_000
    assert got.loc["E06000001", "deaths"] == 8
    assert list(out.columns) == ["area_code", "year", "deaths", "population"]
    assert len(out) == 3


def test_aggregate_predecessors_county_only_and_groups():
    df = pd.DataFrame({
        "area_code": ["E06000028", "E06000029", "E10000009", "E06000028", "E06000029", "E10000009"],
        "period": ["2016", "2016", "2016", "2017", "2017", "2017"],
        "count": [10, 5, 30, 11, np.nan, 31],
    })
    out = ar.aggregate_predecessors(df).set_index(["area_code", "period"])["count"]
    assert out[(BCP, "2016")] == 15 and out[(DC, "2016")] == 30 and out[(DC, "2017")] == 31
    assert np.isnan(out[(BCP, "2017")])  # a missing part is not zero


def test_aggregate_predecessors_errors():
    df = pd.DataFrame({"area_code": ["E10000006"], "count": [1]})
    with pytest.raises(CdpParameterError, match="split"):
        ar.aggregate_predecessors(df)
    with pytest.raises(CdpInputError):
        ar.aggregate_predecessors(pd.DataFrame({"area_code": ["X"], "count": [1]}))
    with pytest.raises(CdpInputError):
        ar.aggregate_predecessors(pd.DataFrame({"code": [BCP], "count": [1]}))
