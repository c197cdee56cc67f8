"""police.uk street-level loader: published figures, area lookup, validation, idempotence."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from cdp_analysis.data.sources import police_uk
from cdp_analysis.data.store import Store, ingest
from cdp_analysis.errors import CdpInputError

ROOT = Path(__file__).resolve().parents[2]
RAW = ROOT / "data" / "raw"
LOOKUPS = ("File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx", "mysociety_lookup_lsoa_to_registry.csv",
           "mysociety_uk_local_authorities_current.csv")
DIRS = ("police_uk_street_dorset_2025", "police_uk_street_dorset_2024_jan_apr")


def _make_data(dest: Path) -> Path:
    (dest / "reference").mkdir(parents=True)
    for f in (ROOT / "data" / "reference").glob("*.csv"):
        shutil.copy(f, dest / "reference" / f.name)
    (dest / "raw" / "lookups").mkdir(parents=True)
    for name in LOOKUPS:
        shutil.copy(RAW / "lookups" / name, dest / "raw" / "lookups" / name)
    for d in DIRS:
        shutil.copytree(RAW / "police" / d, dest / "raw" / "police" / d)
    return dest


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    data = _make_data(tmp_path_factory.mktemp("police") / "data")
    ingest(data, data / "cdp.duckdb")
    return data


@pytest.fixture
def copy(built, tmp_path) -> Path:
    """A copy of the ingested data folder and store, to modify."""
    return Path(shutil.copytree(built, tmp_path / "data"))


def _one(data: Path, sql: str, params=None):
    with Store(data / "cdp.duckdb", read_only=True) as s:
        return s.con.execute(sql, params or []).fetchone()[0]


def _obs(data: Path, metric: str, area: str, like: str) -> float:
    return _one(data, "SELECT sum(count) FROM observations WHERE source = 'police_uk' AND metric_id = ? "
                "AND area_code = ? AND period LIKE ?", [metric, area, like])


def _digest(data: Path) -> dict[str, str]:
    with Store(data / "cdp.duckdb", read_only=True) as s:
        return s.content_digest()


# ------------------------------------------------------------------ published figures (PROVENANCE §6a)
def test_records_2025(built):
    assert _one(built, "SELECT count(*) FROM police_crimes WHERE month LIKE '2025-%'") == 56_023


def test_drugs_2025_and_jan_apr_2024(built):
    assert _obs(built, "police_uk_drugs", "E23000039", "2025-%") == 1_024
    assert _obs(built, "police_uk_drugs", "E23000039", "2024-%") == 312


def test_rows_by_area_2025(built):
    q = "SELECT count(*) FROM police_crimes WHERE month LIKE '2025-%' AND "
    assert _one(built, q + "area_code = 'E06000058'") == 34_900
    assert _one(built, q + "area_code = 'E06000059'") == 20_940
    assert _one(built, q + "lsoa_code IS NULL") == 160
    assert _one(built, q + "NOT in_force_area") == 23
    assert _one(built, q + "area_code IS NULL") == 160


def test_crime_types_2025(built):
    # PROVENANCE §6a: 2025 totals by crime type
    assert _obs(built, "police_uk_violence_and_sexual_offences", "E23000039", "2025-%") == 18_903
    assert _obs(built, "police_uk_anti_social_behaviour", "E23000039", "2025-%") == 13_737
    nbh = 2_785 + 2_054 + 362 + 253  # vehicle crime, burglary, robbery, theft from the person
    assert _obs(built, "police_uk_neighbourhood_crime", "E23000039", "2025-%") == nbh


def test_month_counted_by_hand(built):
    path = RAW / "police" / "police_uk_street_dorset_2025" / "2025-03-dorset-street.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        recs = list(csv.DictReader(fh))
    drugs_bcp = sum(r["Crime type"] == "Drugs" and r["LSOA name"].startswith("Bournemouth, Christchurch and Poole ")
                    for r in recs)
    assert _obs(built, "police_uk_drugs", "E23000039", "2025-03") == sum(r["Crime type"] == "Drugs" for r in recs)
    assert _obs(built, "police_uk_drugs", "E06000058", "2025-03") == drugs_bcp


def test_partnership_is_sum_of_members_and_zeros_kept(built):
    with Store(built / "cdp.duckdb", read_only=True) as s:
        df = s.observations(source="police_uk", area=["E06000058", "E06000059", "pan-dorset"])
    wide = df.pivot_table(index=["metric_id", "period"], columns="area_code", values="count")
    assert (wide["E06000058"] + wide["E06000059"] == wide["pan-dorset"]).all()
    assert len(wide) == 16 * 15  # 16 months x 14 crime types + neighbourhood crime, zeros included
    assert set(df["edition"]) == {police_uk.EDITION}
    assert (df["period_start"].dt.day == 1).all()
    # neighbouring areas of other forces get no partial counts
    assert _one(built, "SELECT count(*) FROM observations WHERE source = 'police_uk' AND area_code = 'E10000014'") == 0


def test_views(built):
    assert _one(built, "SELECT sum(n) FROM police_crimes_by_area_month WHERE area_code = 'E06000058' "
                "AND month LIKE '2025-%'") == 34_900
    assert _one(built, "SELECT sum(n) FROM police_crimes_by_lsoa WHERE area_code = 'E06000059' "
                "AND crime_type = 'Drugs'") == _obs(built, "police_uk_drugs", "E06000059", "%")


def test_2021_lsoa_mapped_by_name_prefix(built):
    row = _one(built, """SELECT list_value(lsoa_code, lsoa_name, area_code) FROM police_crimes
                         WHERE lsoa_code NOT IN (SELECT lsoa_code FROM lsoa_areas)
                           AND lsoa_name LIKE 'Dorset 0%' LIMIT 1""")
    code, name, area = row
    assert code.startswith("E01") and area == "E06000059", row
    row = _one(built, """SELECT list_value(lsoa_name, area_code) FROM police_crimes
                         WHERE lsoa_code NOT IN (SELECT lsoa_code FROM lsoa_areas)
                           AND lsoa_name LIKE 'Bournemouth, Christchurch and Poole%' LIMIT 1""")
    assert row[1] == "E06000058"


def test_second_ingest_changes_nothing(copy):
    before = _digest(copy)
    result = ingest(copy, copy / "cdp.duckdb")
    assert not result.changed
    assert _digest(copy) == before


# ------------------------------------------------------------------ bad input
def test_renamed_column_rejected_store_unchanged(copy):
    before = _digest(copy)
    f = copy / "raw" / "police" / DIRS[0] / "2025-05-dorset-street.csv"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("Crime type", "Offence type", 1), encoding="utf-8")
    with pytest.raises(CdpInputError) as err:
        ingest(copy, copy / "cdp.duckdb")
    e = err.value
    assert e.file.endswith("2025-05-dorset-street.csv") and e.row == 1
    assert e.column == "Offence type"
    assert "Crime type" in e.expected and "Last outcome category" in e.expected
    assert _digest(copy) == before


def test_month_not_matching_file_name(copy):
    before = _digest(copy)
    f = copy / "raw" / "police" / DIRS[1] / "2024-02-dorset-street.csv"
    lines = f.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[6] = lines[6].replace(",2024-02,", ",2024-03,", 1)
    f.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(CdpInputError) as err:
        ingest(copy, copy / "cdp.duckdb")
    assert err.value.row == [7] and err.value.column == "Month" and err.value.value == "2024-03"
    assert _digest(copy) == before


def test_columns_in_another_order_are_read_by_name(tmp_path):
    src = RAW / "police" / DIRS[1] / "2024-01-dorset-street.csv"
    with open(src, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    order = list(reversed(range(12)))
    data = tmp_path / "data"
    (data / "raw" / "police" / "x").mkdir(parents=True)
    with open(data / "raw" / "police" / "x" / "2024-01-dorset-street.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([[r[i] for i in order] for r in rows])
    ingest(data, data / "cdp.duckdb")
    assert _one(data, "SELECT count(*) FROM police_crimes WHERE crime_type = 'Drugs'") == sum(
        r[9] == "Drugs" for r in rows[1:])
    # without the lookups, records are still placed by the LSOA name prefix
    assert _one(data, "SELECT count(*) FROM police_crimes WHERE area_code IS NULL") == sum(
        r[7] == "" for r in rows[1:])


def test_bad_number_names_line_and_column(copy):
    f = copy / "raw" / "police" / DIRS[1] / "2024-03-dorset-street.csv"
    lines = f.read_text(encoding="utf-8").splitlines(keepends=True)
    parts = lines[4].split(",")
    parts[4] = "west"
    lines[4] = ",".join(parts)
    f.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(CdpInputError) as err:
        ingest(copy, copy / "cdp.duckdb")
    assert err.value.row == 5 and err.value.column == "Longitude"
    assert err.value.file.endswith("2024-03-dorset-street.csv")


def test_file_names():
    assert police_uk.parse_file_name("2025-01-dorset-street.csv") == ("2025-01", "dorset")
    with pytest.raises(CdpInputError):
        police_uk.parse_file_name("2025-13-dorset-street.csv")


# ------------------------------------------------------------------ store layout
def test_police_crimes_view_has_the_record_shape(built):
    with Store(built / "cdp.duckdb", read_only=True) as s:
        cols = s.sql("SELECT * FROM police_crimes LIMIT 0").columns.tolist()
        kinds = dict(s.sql("SELECT table_name, table_type FROM information_schema.tables").values.tolist())
    assert cols == ["source_file", "force", "force_code", "month", "crime_id", "reported_by", "falls_within",
                    "longitude", "latitude", "location", "lsoa_code", "lsoa_name", "crime_type", "last_outcome",
                    "context", "area_code", "in_force_area"]
    assert kinds["police_crimes"] == "VIEW" and kinds["police_records"] == "BASE TABLE"
    assert _one(built, "SELECT count(*) FROM police_records") == _one(built, "SELECT count(*) FROM police_crimes")
    assert _one(built, "SELECT count(*) FROM police_files") == 16


def test_lookup_rebuilt_only_when_its_inputs_change(copy, monkeypatch):
    reads = []
    real = police_uk._read_imd
    monkeypatch.setattr(police_uk, "_read_imd", lambda p: reads.append(p) or real(p))
    f = copy / "raw" / "police" / DIRS[1] / "2024-02-dorset-street.csv"
    f.write_text(f.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # same records, new SHA-256
    assert ingest(copy, copy / "cdp.duckdb").changed
    assert reads == []  # lookups unchanged: not read again
    look = copy / "raw" / "lookups" / "mysociety_uk_local_authorities_current.csv"
    look.write_text(look.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    f.write_text(f.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    ingest(copy, copy / "cdp.duckdb")
    assert len(reads) == 1
    assert _obs(copy, "police_uk_drugs", "E23000039", "2024-%") == 312


def test_store_of_the_one_table_layout_is_converted(copy):
    before = _digest(copy)
    with Store(copy / "cdp.duckdb", read_only=False) as s:  # rebuild the layout of earlier versions
        s.con.execute("CREATE TABLE wide AS SELECT * FROM police_crimes")
        for v in ("police_crimes_by_area_month", "police_crimes_by_lsoa", "police_crimes"):
            s.con.execute(f"DROP VIEW {v}")
        s.con.execute("DROP TABLE police_records; DROP TABLE police_files")
        s.con.execute("ALTER TABLE wide RENAME TO police_crimes")
    f = copy / "raw" / "police" / DIRS[1] / "2024-02-dorset-street.csv"
    f.write_text(f.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    ingest(copy, copy / "cdp.duckdb")
    after = _digest(copy)
    for table in ("police_crimes", "observations", "police_crimes_by_lsoa", "police_crimes_by_area_month"):
        assert after[table] == before[table], table
