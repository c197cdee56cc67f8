"""Paths shared by the tests."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
RETURNS = DATA / "returns" / "pan_dorset.csv"


def csv_rows(path: Path) -> list[list[str]]:
    """The records of a CSV file (BOM dropped), as lists of text cells."""
    import csv

    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.reader(fh))


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    """Write records as a UTF-8 CSV file; return its path."""
    import csv

    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def data_folder(root: Path, *, returns: bool = False) -> Path:
    """A data folder under ``root`` holding the reference tables (and the returns)."""
    import shutil

    data = root / "data"
    shutil.copytree(DATA / "reference", data / "reference", ignore=shutil.ignore_patterns("*.py"))
    if returns:
        shutil.copytree(DATA / "returns", data / "returns")
    return data
