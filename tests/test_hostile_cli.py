"""The whole hostile corpus through the command line: never a traceback, never a fault of ours.

Every file of ``tests/data/bad/`` is given to the ``cdp`` command that would meet it (``cdp
ingest`` with the file where its loader reads, ``cdp audit`` for returns, ``cdp run`` or
``cdp list`` for a notebook or store that is not one). Whatever the file, the command must
end with exit status 0, 1 or 2 (3 is a fault of ours: an exception nobody named), print no
traceback, put at most one paragraph on standard error, print no raw control character, and
leave the store file byte-identical when it refuses an ingest. New files added to the corpus
are picked up here without editing this test.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from tests_support import BAD, built_store, load_make_bad, store_copy

from cdp_analysis.cli import main
from cdp_analysis.data.store import sha256_file

make_bad = load_make_bad()
FILES = [p.relative_to(BAD).as_posix() for p in make_bad.corpus_files(BAD)]

_DEST = {
    "returns": "returns/pan_dorset.csv",
    "ho_seizures": "raw/police/home_office_drug_seizures_by_pfa/Seizures17-18.csv",
    "police_uk": "raw/police/x/2024-01-dorset-street.csv",
    "fingertips": "raw/fingertips/export.csv",
    "moj_reoffending": "raw/reoffending/proven_reoffending_data.csv",
    "ons_population_series": "raw/population/la_pop_estimates.csv",
}
_BY_PREFIX = {
    "ndtms": {"la_": "raw/ndtms/ViewIt Export Data_LAs.csv",
              "alcohol_": "raw/ndtms/Estimates_of_Alcohol_Dependent_Adults_in_England_for_R.csv",
              "": "raw/ndtms/ViewIt Export Data_England.csv"},
    "ons_published_csvs": {"region_": "raw/ons_drug_deaths/drug_poisoning_registrations_region_substance_1993_2020.csv",
                           "": "raw/ons_drug_deaths/published_ons_figures_england_1993_2023.csv"},
    "reference": {"areas_": "reference/areas.csv", "metrics_": "reference/metrics.csv",
                  "partnerships_": "reference/partnerships.csv"},
}
_RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]")


def destination(rel: str) -> str | None:
    """Where ``cdp ingest`` reads a corpus file (``None``: not an ingest input)."""
    folder, name = rel.split("/", 1)
    if folder == "police_uk" and re.fullmatch(r"\d{4}-\d{2}-[a-z-]+-street\.csv", name):
        return f"raw/police/x/{name}"
    if folder in _DEST:
        return _DEST[folder]
    for prefix, dest in _BY_PREFIX.get(folder, {}).items():
        if name.startswith(prefix):
            return dest
    return None


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[Path, Path]:
    return built_store(tmp_path_factory.mktemp("hostile_cli"), returns=True)


def _content(rel: str) -> bytes:
    data = (BAD / rel).read_bytes()
    return data.replace(b"{marker}", b"[c]")


def _check(code: int, out: str, err: str, what: str) -> None:
    assert code in (0, 1, 2), f"{what}: exit {code} (3 = an exception we did not name)\n{err}"
    assert "Traceback" not in out + err, f"{what}:\n{err}"
    assert err.strip().count("\n") == 0, f"{what}: more than one paragraph on stderr:\n{err}"
    assert not _RAW_CONTROL.search(out + err), f"{what}: a raw control character was printed"


@pytest.mark.parametrize("rel", [f for f in FILES if destination(f)])
def test_ingest_never_prints_a_traceback(base, tmp_path, capsys, rel):
    data, db = store_copy(base, tmp_path)
    dest = data / destination(rel)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(_content(rel))
    sha = sha256_file(db)
    code = main(["ingest", "--data-dir", str(data), "--db", str(db), "--quiet"])
    out, err = capsys.readouterr()
    _check(code, out, err, f"cdp ingest with {rel}")
    if code == 2:
        assert sha256_file(db) == sha, f"{rel}: a refused ingest changed the store file"
        assert "error:" in err and destination(rel).split("/")[-1] in err, err
    if rel.startswith("reference/"):
        assert code == 2, f"{rel}: a broken reference table was accepted"


@pytest.mark.parametrize("rel", [f for f in FILES if f.startswith("returns/")])
def test_audit_never_prints_a_traceback(tmp_path, capsys, rel):
    path = tmp_path / Path(rel).name
    path.write_bytes(_content(rel))
    code = main(["audit", str(path)])
    out, err = capsys.readouterr()
    _check(code, out, err, f"cdp audit {rel}")
    assert "every published figure agrees" not in out or code == 0
    if rel == "returns/header_only.csv":
        assert code == 2 and "no figures to audit" in err


@pytest.mark.parametrize("rel", [f for f in FILES if f.startswith("cli/")])
def test_run_and_list_never_print_a_traceback(base, tmp_path, capsys, rel):
    path = tmp_path / Path(rel).name.removesuffix(".bad")
    path.write_bytes(_content(rel))
    out_dir = tmp_path / "reports"
    if path.suffix == ".ipynb":
        commands = [["run", "--db", str(base[1]), "--notebook", str(path), "--period", "2023/24 Q1",
                     "--out", str(out_dir), "--quiet"]]
    else:
        commands = [["list", "sources", "--db", str(path)],
                    ["run", "--db", str(path), "--period", "2023/24 Q1", "--out", str(out_dir), "--quiet"]]
    for argv in commands:
        code = main(argv)
        out, err = capsys.readouterr()
        _check(code, out, err, " ".join(argv[:2]) + f" with {rel}")
        assert code == 2
    assert not (out_dir / "2023-24-Q1").exists() or not any((out_dir / "2023-24-Q1").iterdir())


def test_every_corpus_file_is_used_and_classified():
    unused = [f for f in FILES if not destination(f) and not f.startswith(("cli/", "returns/"))]
    assert unused == []
    assert [f for f in FILES if make_bad.class_of(f) == "other"] == []
    assert len(FILES) >= 130 and len(make_bad.CLASSES) >= 12


def test_readme_is_what_make_bad_writes(tmp_path):
    shutil.copytree(BAD, tmp_path / "bad", ignore=shutil.ignore_patterns("__pycache__"))
    assert (BAD / "README.md").read_text(encoding="utf-8") == make_bad.readme(BAD)


#: the new cases of issue #15: (file, row, column, words in the message)
NAMED = [
    ("returns/unclosed_quote.csv", 3, "note", "never closed"),
    ("returns/quote_mid_cell.csv", 3, "note", "double quote in the middle"),
    ("returns/nul_byte.csv", 3, None, "NUL byte"),
    ("returns/huge_number.csv", 3, "value", "too large"),
    ("returns/huge_negative_number.csv", 3, "value", "too large"),
    ("returns/ragged_short_row.csv", 3, "value", "3 fields where the header has 7"),
    ("returns/misspelt_metric.csv", 2, "metric_id", "did you mean 'county_lines_arrests'"),
    ("returns/unknown_area_name.csv", 2, "area_code", "unknown area_code"),
]


@pytest.mark.parametrize(("rel", "row", "column", "words"), NAMED)
def test_new_returns_cases_name_row_and_column(rel, row, column, words):
    from cdp_analysis.data.returns import read_returns
    from cdp_analysis.errors import CdpInputError

    with pytest.raises(CdpInputError) as err:
        read_returns(BAD / rel)
    assert (err.value.row, err.value.column) == (row, column) and words in str(err.value)
    assert err.value.file.endswith(Path(rel).name)


def test_many_problems_are_reported_at_once():
    from cdp_analysis.data.returns import read_returns
    from cdp_analysis.errors import CdpInputError

    with pytest.raises(CdpInputError) as err:
        read_returns(BAD / "returns" / "many_problems.csv")
    assert [(p.row, p.column) for p in err.value.problems] == [(2, "value"), (3, "period"), (4, "target_period")]


@pytest.mark.parametrize(("rel", "row", "column"), [
    ("reference/areas_cut_mid_row.csv", 41, None), ("reference/metrics_cut_mid_row.csv", 13, None),
    ("reference/areas_replaced_header.csv", 1, "code"), ("reference/partnerships_replaced_header.csv", 1,
                                                        "member_area_code"),
    ("reference/metrics_bad_polarity.csv", 2, "polarity"), ("reference/areas_duplicated_code.csv", None, "code"),
    ("reference/partnerships_unknown_member.csv", 3, "member_area_code"),
])
def test_broken_reference_tables_name_row_and_column(base, tmp_path, rel, row, column):
    from cdp_analysis.data.store import ingest
    from cdp_analysis.errors import CdpInputError

    data, db = store_copy(base, tmp_path)
    (data / destination(rel)).write_bytes(_content(rel))
    sha = sha256_file(db)
    with pytest.raises(CdpInputError) as err:
        ingest(data, db)
    assert err.value.file.endswith(destination(rel).split("/")[-1])
    if row is not None:
        assert err.value.row == row
    if column is not None:
        assert err.value.column == column
    assert sha256_file(db) == sha


def test_police_file_dated_decades_ahead_is_refused(base, tmp_path):
    from cdp_analysis.data.store import ingest
    from cdp_analysis.errors import CdpInputError

    data, db = store_copy(base, tmp_path)
    dest = data / destination("police_uk/2095-01-dorset-street.csv")
    dest.parent.mkdir(parents=True)
    dest.write_bytes(_content("police_uk/2095-01-dorset-street.csv"))
    with pytest.raises(CdpInputError, match="dated 2095-01, after the current month"):
        ingest(data, db)


def test_cell_length_limit_is_deliberate(tmp_path):
    """A long note loads (the csv module's default limit of 131,072 characters broke it); a 2 MB cell is refused."""
    from cdp_analysis.data.csvfile import FIELD_LIMIT
    from cdp_analysis.data.returns import read_returns
    from cdp_analysis.errors import CdpInputError

    header = "metric_id,area_code,period,value,note\n"
    ok = tmp_path / "long.csv"
    ok.write_text(header + f'county_lines_arrests,E23000039,2022/23,80,"{"x" * 500_000}"\n', encoding="utf-8")
    assert len(read_returns(ok)["note"].iloc[0]) == 500_000
    big = tmp_path / "huge.csv"
    big.write_text(header + f'county_lines_arrests,E23000039,2022/23,80,"{"x" * (FIELD_LIMIT + 1)}"\n',
                   encoding="utf-8")
    with pytest.raises(CdpInputError, match="a cell longer than 1,048,576 characters") as err:
        read_returns(big)
    assert err.value.row == 2


def test_a_folder_given_as_the_file(tmp_path, capsys):
    folder = tmp_path / "returns.csv"
    folder.mkdir()
    code = main(["audit", str(folder)])
    out, err = capsys.readouterr()
    _check(code, out, err, "cdp audit FOLDER")
    assert code == 2 and "is a folder, not a file" in err
