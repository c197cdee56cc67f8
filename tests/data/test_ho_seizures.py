"""Home Office drug seizures: figures read by hand, codes, quirks, bad input leaves the store unchanged."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from cdp_analysis.data.sources import ho_seizures as hs
from cdp_analysis.data.store import Store, ingest
from cdp_analysis.errors import CdpInputError

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "data" / "raw" / "police" / "home_office_drug_seizures_by_pfa"
REL = Path("raw") / "police" / "home_office_drug_seizures_by_pfa"


def _by_hand(name: str) -> tuple[list[str], dict[str, list[str]]]:
    with open(SRC / name, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    return [" ".join(h.split()) for h in rows[0]], {r[0].strip(): r for r in rows[1:]}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("seizures") / "data"
    (data / "reference").mkdir(parents=True)
    for f in (ROOT / "data" / "reference").glob("*.csv"):
        shutil.copy(f, data / "reference" / f.name)
    shutil.copytree(SRC, data / REL)
    ingest(data, data / "cdp.duckdb")
    return data


@pytest.fixture
def copy(built, tmp_path) -> Path:
    return Path(shutil.copytree(built, tmp_path / "data"))


def _value(data: Path, metric: str, area: str, period: str):
    with Store(data / "cdp.duckdb", read_only=True) as s:
        df = s.observations(metric=metric, area=area, period=period)
    assert len(df) == 1, df
    return df.iloc[0]


def _digest(data: Path) -> dict[str, str]:
    with Store(data / "cdp.duckdb", read_only=True) as s:
        return s.content_digest()


def test_dorset_2015_16_row(built):
    head, rows = _by_hand("Seizures15-16.csv")
    dorset = rows["Dorset"]
    assert _value(built, "drug_seizures", "E23000039", "2015/16")["count"] == int(dorset[head.index("All drugs")])
    assert _value(built, "drug_seizures_cocaine", "E23000039", "2015/16")["count"] == int(dorset[head.index("Cocaine")])
    assert _value(built, "drug_seizures_cannabis", "E23000039", "2015/16")["count"] == int(
        dorset[head.index("All Cannabis")])
    # the first 'Total Class C' of this file is the class B total
    assert _value(built, "drug_seizures_class_b", "E23000039", "2015/16")["count"] == int(
        dorset[head.index("Total Class C")])
    assert _value(built, "drug_seizures_class_b", "E23000039", "2015/16")["count"] == 1_805


def test_dorset_2018_19_quantity(built):
    head, rows = _by_hand("Quantities18-19.csv")
    got = _value(built, "drug_seizure_quantity_cannabis_plants", "E23000039", "2018/19")
    assert got["value"] == float(rows["Dorset"][head.index("Cannabis Plants")])
    assert got["source"] == hs.SOURCE_QUANTITIES and got["count"] != got["count"]  # quantity: no count


def test_england_and_wales_total(built):
    with open(SRC / "seizures_EW.csv", newline="", encoding="utf-8-sig") as fh:
        ew = {r["year"]: r for r in csv.DictReader(fh)}
    got = _value(built, "drug_seizures", hs.EW_CODE, "2018/19")
    assert got["count"] == int(ew["2019"]["Total"]) == 153_135
    assert str(got["period_start"].date()) == "2018-04-01"


def test_forces_never_exceed_england_and_wales(built):
    with Store(built / "cdp.duckdb", read_only=True) as s:
        df = s.sql("""SELECT period, sum(count) FILTER (WHERE area_code <> 'K04000001') AS forces,
                             sum(count) FILTER (WHERE area_code = 'K04000001') AS ew
                      FROM observations WHERE metric_id = 'drug_seizures' GROUP BY period""")
    both = df.dropna()
    assert len(both) == 10
    assert (both["forces"] <= both["ew"]).all()


def test_special_forces_and_blank_rows(built):
    assert _value(built, "drug_seizures", "british-transport-police", "2009/10")["count"] == 5_733
    assert _value(built, "drug_seizures", "border-force", "2009/10")["count"] == 3_948
    blank = _value(built, "drug_seizures", "E23000030", "2014/15")  # Hampshire: an empty row
    assert blank["status"] == "x" and blank["count"] != blank["count"]


def test_footnote_marker_and_known_inconsistency(built):
    _value(built, "drug_seizure_quantity_cocaine", "E23000032", "2017/18")  # "Kent 4"
    assert _value(built, "drug_seizures", "E23000021", "2015/16")["count"] == 1_069  # kept as published


def test_second_ingest_changes_nothing(copy):
    before = _digest(copy)
    assert not ingest(copy, copy / "cdp.duckdb").changed
    assert _digest(copy) == before


def test_shifted_row_rejected_store_unchanged(copy):
    before = _digest(copy)
    f = copy / REL / "Seizures16-17.csv"
    text = f.read_text(encoding="utf-8-sig")
    lines = text.split("\n")
    i = next(k for k, line in enumerate(lines) if line.split(",")[0].strip() == "Dorset")
    lines[i] = lines[i].replace(",", ",,", 1)  # every figure one column to the right
    f.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(CdpInputError) as err:
        ingest(copy, copy / "cdp.duckdb")
    # spreadsheet rows: the header (with "Mephedrone\n(non-injection)") is row 1 but two lines
    assert err.value.file.endswith("Seizures16-17.csv") and err.value.row == i
    assert _digest(copy) == before


def test_mislabelled_total_rejected(copy):
    before = _digest(copy)
    f = copy / REL / "Seizures17-18.csv"
    text = f.read_text(encoding="utf-8-sig")
    f.write_text(text.replace("Other Class B,Total Class B", "Total Class B,Other Class B", 1), encoding="utf-8")
    with pytest.raises(CdpInputError) as err:
        ingest(copy, copy / "cdp.duckdb")
    assert err.value.column == "Total Class B" and err.value.row == 2  # the first force already disagrees
    assert _digest(copy) == before


def test_unknown_column_and_force(tmp_path):
    head, _ = _by_hand("Seizures09-10.csv")
    bad = tmp_path / "Seizures09-10.csv"
    text = (SRC / "Seizures09-10.csv").read_text(encoding="utf-8-sig")
    bad.write_text(text.replace("Heroin", "Opium", 1), encoding="utf-8")
    with pytest.raises(CdpInputError) as err:
        hs.read(bad)
    assert err.value.row == 1 and err.value.column == "Opium"
    bad.write_text(text.replace("Cleveland", "Atlantis", 1), encoding="utf-8")
    with pytest.raises(CdpInputError, match="unknown police force") as err:
        hs.read(bad)
    assert err.value.row == 2


def test_financial_year_from_name():
    assert hs.financial_year("Seizures09-10.csv") == "2009/10"
    with pytest.raises(CdpInputError):
        hs.financial_year("Seizures09-11.csv")
