"""IMD 2019 by LSOA: the loader (figures of the publication, hostile copies refused with the
store unchanged), today's upper-tier areas of the LSOAs, and the aggregation checked by hand
for BCP (formed in 2019 from Bournemouth, Poole and Christchurch) and Cumbria (six districts)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cdp_analysis.data.sources import imd
from cdp_analysis.errors import CdpInputError

FILE = "raw/lookups/File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx"


@pytest.fixture(scope="module")
def raw_rows():
    """The published sheet read with openpyxl (not the loader's calamine): the hand-check route."""
    import openpyxl
    from tests_support import DATA

    wb = openpyxl.load_workbook(DATA / FILE, read_only=True, data_only=True)
    rows = list(wb["IMD2019"].iter_rows(values_only=True))
    wb.close()
    return rows


def test_reads_every_english_lsoa_with_the_published_counts():
    from tests_support import DATA

    rows = imd.read(DATA / FILE)
    assert len(rows) == 32_844  # English LSOAs (2011), as the release states
    by_lad: dict[str, int] = {}
    deciles: dict[int, int] = {}
    for _, _, lad, _, _, decile in rows:
        by_lad[lad] = by_lad.get(lad, 0) + 1
        deciles[decile] = deciles.get(decile, 0) + 1
    assert by_lad["E06000058"] == 233 and by_lad["E06000059"] == 219  # PROVENANCE §11
    assert sorted(deciles.values()) == [3284] * 6 + [3285] * 4  # equal tenths of 32,844


@pytest.fixture(scope="module")
def book():
    import openpyxl
    from tests_support import DATA

    wb = openpyxl.load_workbook(DATA / FILE)
    for ws in wb.worksheets:  # the Notes sheet's picture cannot be saved twice by openpyxl
        ws._images = []
    return wb


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    from tests_support import built_store

    return built_store(tmp_path_factory.mktemp("imd_base"))


@pytest.mark.parametrize("cell, value, column, expected", [
    ("A40", "E0100003X", "LSOA code (2011)", "E01 and six digits"),
    ("F2", 3, "Index of Multiple Deprivation (IMD) Decile", "decile 9 for rank 29,199"),
    ("E7", "n/a", "Index of Multiple Deprivation (IMD) Rank", "a whole number from 1 to 32,844"),
    ("A3", "E01000001", "LSOA code (2011)", "each LSOA once"),
    ("E1", "IMD rank", None, "the columns"),
])
def test_hostile_copies_are_refused_naming_the_place_and_the_store_is_unchanged(
        book, base, tmp_path, cell, value, column, expected):
    from tests_support import assert_rejected, edited_copy, store_copy

    data, db = store_copy(base, tmp_path)
    bad = edited_copy(book, tmp_path / "bad.xlsx", {("IMD2019", cell): value})
    err = assert_rejected(data, db, FILE, bad)
    assert err.sheet == "IMD2019"
    assert err.row == (1 if column is None else int(cell[1:]))
    assert err.column == column
    assert expected in str(err)


def test_a_file_that_is_not_a_workbook_is_a_named_error(tmp_path):
    p = tmp_path / "imd.xlsx"
    p.write_text("LSOA code (2011),IMD rank\n", encoding="utf-8")
    with pytest.raises(CdpInputError, match="could not be read as a workbook"):
        imd.read(p)


def _hand(raw_rows, prefixes: tuple[str, ...]) -> tuple[int, float, float, float]:
    """Count, mean rank, mean decile and share in decile 1 of the LSOAs whose 2011 name starts
    with one of the (pre-2019) district names: an independent route to an area's LSOAs."""
    head = list(raw_rows[0])
    i_name, i_rank, i_dec = head.index("LSOA name (2011)"), head.index(
        "Index of Multiple Deprivation (IMD) Rank"), head.index("Index of Multiple Deprivation (IMD) Decile")
    picked = [r for r in raw_rows[1:] if r[i_name] and r[i_name].rsplit(" ", 1)[0] in prefixes]
    n = len(picked)
    return (n, sum(r[i_rank] for r in picked) / n, sum(r[i_dec] for r in picked) / n,
            sum(1 for r in picked if r[i_dec] == 1) / n)


@pytest.mark.parametrize("code, prefixes, lsoas", [
    ("E06000058", ("Bournemouth", "Poole", "Christchurch"), 233),
    ("E10000006", ("Allerdale", "Barrow-in-Furness", "Carlisle", "Copeland", "Eden", "South Lakeland"), 321),
])
def test_area_summaries_match_a_hand_computation(full_store, raw_rows, code, prefixes, lsoas):
    from cdp_analysis.data.store import Store

    n, mean_rank, mean_decile, share = _hand(raw_rows, prefixes)
    assert n == lsoas
    with Store(full_store, read_only=True) as s:
        areas = s.imd_areas()
        lsoa = s.imd_lsoa()
    row = areas.set_index("area_code").loc[code]
    assert int(row["lsoas"]) == n
    assert row["average_rank"] == pytest.approx(mean_rank, rel=1e-12)
    assert row["average_decile"] == pytest.approx(mean_decile, rel=1e-12)
    assert row["most_deprived_10"] == pytest.approx(share, rel=1e-12)
    assert "weighted equally" in areas.attrs["method"]
    assert set(lsoa.loc[lsoa["area_code"] == code, "area_name"]) == {
        "Bournemouth, Christchurch and Poole" if code == "E06000058" else "Cumbria"}


def test_population_weights_give_the_weighted_mean(full_store):
    """Weights by hand: BCP's average rank with each LSOA weighted 1 or 3 by its code's parity."""
    from cdp_analysis.data.store import Store

    with Store(full_store, read_only=True) as s:
        lsoa = s.imd_lsoa()
        w = {c: (3.0 if int(c[-1]) % 2 else 1.0) for c in lsoa["lsoa_code"]}
        out = s.imd_areas(weights=w).set_index("area_code")
    bcp = lsoa[lsoa["area_code"] == "E06000058"]
    num = sum(w[c] * r for c, r in zip(bcp["lsoa_code"], bcp["imd_rank"], strict=True))
    den = sum(w[c] for c in bcp["lsoa_code"])
    assert out.loc["E06000058", "average_rank"] == pytest.approx(num / den, rel=1e-12)
    assert "population-weighted" in out.attrs["method"]
    with pytest.raises(CdpInputError, match="no positive population weight"):
        from cdp_analysis.deprivation import aggregate

        aggregate(lsoa, weights={"E01000001": 1500.0})


def test_every_lsoa_has_an_upper_tier_area_agreeing_with_the_ons_lookup(full_store):
    """Each 2019 district's upper-tier area against ONS's LTLA -> UTLA (December 2022) lookup."""
    from tests_support import DATA

    from cdp_analysis.data.store import Store

    with Store(full_store, read_only=True) as s:
        lsoa = s.imd_lsoa()
    assert (lsoa["area_code"] != "").all() and lsoa["area_code"].nunique() == 152
    path = DATA / "raw/lookups/Lower_Tier_Local_Authority_to_Upper_Tier_Local_Authority_(December_2022)_Lookup_in_England_and_Wales.csv"
    with open(path, newline="", encoding="utf-8-sig") as fh:
        ons = {r["LTLA22CD"]: r["UTLA22CD"] for r in csv.DictReader(fh)}
    pairs = lsoa[["lad_code", "area_code"]].drop_duplicates()
    checked = pairs[pairs["lad_code"].isin(ons)]
    assert len(checked) >= 300  # all but the districts merged before 2022
    assert (checked["lad_code"].map(ons) == checked["area_code"]).all()
    # the districts gone by 2022 (Buckinghamshire 2020, Northamptonshire 2021) go to their successors
    gone = dict(pairs[~pairs["lad_code"].isin(ons)].itertuples(index=False, name=None))
    assert gone["E07000004"] == "E06000060"  # Aylesbury Vale -> Buckinghamshire
    assert set(gone.values()) <= {"E06000060", "E06000061", "E06000062"}


def test_the_store_says_when_it_has_no_imd_table(returns_store):
    from cdp_analysis.data.store import Store
    from cdp_analysis.errors import CdpParameterError

    with Store(returns_store, read_only=True) as s, pytest.raises(CdpParameterError, match="no IMD table"):
        s.imd_lsoa()


def test_source_registers_itself():
    from cdp_analysis.data.store import source_specs

    assert any(spec.table == "imd_lsoa" and spec.source == "mhclg_imd2019" for spec in source_specs())
    assert Path(imd.__file__).name == "imd.py"
