"""The DuckDB store: ingest is idempotent and transactional, and errors name the place."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests_support import data_folder

from cdp_analysis.cli import main
from cdp_analysis.data.store import Store, ingest
from cdp_analysis.errors import CdpInputError

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"


def _mini_data(tmp_path: Path, *, deaths: bool = False) -> Path:
    data = data_folder(tmp_path, returns=True)
    if deaths:
        src = DATA / "raw" / "ons_drug_deaths" / "original" / "2021localauthorities.xlsx"
        dst = data / "raw" / "ons_drug_deaths" / "original"
        dst.mkdir(parents=True)
        shutil.copy2(src, dst / src.name)
    return data


def test_ingest_returns_then_nothing_changes(tmp_path):
    data = _mini_data(tmp_path)
    db = tmp_path / "cdp.duckdb"
    first = ingest(data, db)
    assert first.changed
    with Store(db, read_only=True) as s:
        ret = s.returns()
        digest = s.content_digest()
        assert len(s.reference("metrics")) > 20
        assert set(s.reference("partnerships")["member_area_code"]) >= {"E06000058", "E06000059"}
    q1 = ret[(ret.metric_id == "county_lines_arrests") & (ret.period == "2023/24 Q1")]
    assert q1["value"].tolist() == [38.0]
    assert str(q1["period_start"].iloc[0])[:10] == "2023-04-01"
    second = ingest(data, db)
    assert not second.changed
    assert {f["action"] for f in second.files} == {"unchanged"}
    with Store(db, read_only=True) as s:
        assert s.content_digest() == digest


def test_changed_file_replaces_its_rows_only(tmp_path):
    data = _mini_data(tmp_path)
    db = tmp_path / "cdp.duckdb"
    ingest(data, db)
    path = data / "returns" / "pan_dorset.csv"
    text = path.read_text(encoding="utf-8").replace("county_lines_arrests,E23000039,2023/24 Q1,38,",
                                                    "county_lines_arrests,E23000039,2023/24 Q1,39,")
    path.write_text(text, encoding="utf-8")
    result = ingest(data, db)
    assert [f["action"] for f in result.files if f["file"] == "returns/pan_dorset.csv"] == ["loaded"]
    with Store(db, read_only=True) as s:
        ret = s.returns(metric="county_lines_arrests")
    assert sorted(ret["value"]) == [39.0, 80.0]  # replaced, not duplicated


def test_bad_returns_leave_the_store_as_it_was(tmp_path):
    data = _mini_data(tmp_path)
    db = tmp_path / "cdp.duckdb"
    ingest(data, db)
    with Store(db, read_only=True) as s:
        before = s.content_digest()
    bad = data / "returns" / "pan_dorset.csv"
    lines = bad.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("soc_disruptions", "soc_disruptionz", 1)
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CdpInputError) as err:
        ingest(data, db)
    assert err.value.file.endswith("pan_dorset.csv")
    assert err.value.row == 4 and err.value.column == "metric_id"
    with Store(db, read_only=True) as s:
        assert s.content_digest() == before


@pytest.mark.parametrize(
    ("old", "new", "column"),
    [
        ("county_lines_arrests,E23000039,", "county_lines_arrests,E99999999,", "area_code"),
        (",2023/24 Q1,38,", ",2023/24 Q1,thirty-eight,", "value"),
    ],
)
def test_cli_names_the_place_and_exits_2(tmp_path, capsys, old, new, column):
    data = _mini_data(tmp_path)
    path = data / "returns" / "pan_dorset.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    code = main(["ingest", "--data-dir", str(data), "--db", str(tmp_path / "x.duckdb"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert "pan_dorset.csv" in err and "row 2" in err and f"column '{column}'" in err
    assert "Traceback" not in err


def test_deaths_workbook_into_the_store_and_a_broken_copy_rejected(tmp_path):
    from openpyxl import load_workbook

    data = _mini_data(tmp_path, deaths=True)
    db = tmp_path / "cdp.duckdb"
    ingest(data, db)
    with Store(db, read_only=True) as s:
        bcp = s.observations("drug_misuse_asmr", area="E06000058", period="2019-2021")
        before = s.content_digest()
        n_annual = s.sql("SELECT count(*) AS n FROM observations WHERE metric_id IN "
                         "('drug_poisoning_deaths', 'drug_misuse_deaths')")["n"].iloc[0]
    assert bcp[["count", "value", "lower_95", "upper_95"]].iloc[0].tolist() == [77.0, 6.8, 5.3, 8.5]
    with Store(db, read_only=True) as s:
        summary = s.sources_summary().set_index("source").loc["ons_drug_deaths_la"]
        n_u = s.sql("SELECT count(*) AS n FROM observations WHERE status = 'u'")["n"].iloc[0]
    assert summary["periods"] == "Jan 1993 to Dec 2021" and summary["rows"] == 64386
    assert f"{n_u:,} unreliable" in summary["warnings"]
    assert n_annual == 375 * 29 * 2
    # rename a header in a copy of the workbook: ingest refuses, naming the place; store unchanged
    path = data / "raw" / "ons_drug_deaths" / "original" / "2021localauthorities.xlsx"
    wb = load_workbook(path)
    renamed = False
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=1, max_row=15):
            for cell in row:
                if isinstance(cell.value, str) and cell.value.strip().lower().startswith("area code"):
                    cell.value = "Place identifier"
                    renamed = True
                    break
            if renamed:
                break
        if renamed:
            break
    assert renamed
    wb.save(path)
    with pytest.raises(CdpInputError) as err:
        ingest(data, db)
    assert err.value.file.endswith("2021localauthorities.xlsx")
    assert err.value.sheet is not None and err.value.row is not None
    with Store(db, read_only=True) as s:
        assert s.content_digest() == before


def test_store_read_only_needs_ingest_first(tmp_path):
    from cdp_analysis.errors import CdpParameterError

    with pytest.raises(CdpParameterError, match="cdp ingest"):
        Store(tmp_path / "missing.duckdb", read_only=True)


def test_removed_file_rebuilds_what_is_derived_from_it(tmp_path):
    data = _mini_data(tmp_path)
    src = DATA / "raw" / "police" / "police_uk_street_dorset_2024_jan_apr"
    dst = data / "raw" / "police" / "p"
    dst.mkdir(parents=True)
    for month in ("2024-01", "2024-02"):
        shutil.copy2(src / f"{month}-dorset-street.csv", dst)
    db = tmp_path / "cdp.duckdb"
    ingest(data, db)
    query = ("SELECT DISTINCT period FROM observations WHERE source = 'police_uk' AND area_code = 'E23000039' "
             "ORDER BY period")
    with Store(db, read_only=True) as s:
        assert s.sql(query)["period"].tolist() == ["2024-01", "2024-02"]
    (dst / "2024-02-dorset-street.csv").unlink()
    result = ingest(data, db)
    assert [f["action"] for f in result.files if f["file"].endswith("2024-02-dorset-street.csv")] == ["removed"]
    with Store(db, read_only=True) as s:
        assert s.sql(query)["period"].tolist() == ["2024-01"]
        assert s.sql("SELECT count(*) AS n FROM police_crimes WHERE month = '2024-02'")["n"].iloc[0] == 0
