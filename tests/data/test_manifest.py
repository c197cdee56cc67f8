"""Every shipped raw file is exactly the file PROVENANCE.md describes (SHA-256, size, rows)."""

import csv
import hashlib
from pathlib import Path

import pytest

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"
with open(RAW / "MANIFEST.csv", newline="", encoding="utf-8") as fh:
    MANIFEST = list(csv.DictReader(fh))


def test_manifest_lists_every_shipped_file():
    shipped = {p.relative_to(RAW).as_posix() for p in RAW.rglob("*") if p.is_file()}
    listed = {row["path"] for row in MANIFEST}
    assert shipped - {"MANIFEST.csv", "PROVENANCE.md"} == listed


@pytest.mark.parametrize("row", MANIFEST, ids=[r["path"] for r in MANIFEST])
def test_file_matches_manifest(row):
    path = RAW / row["path"]
    data = path.read_bytes()
    assert len(data) == int(row["bytes"])
    assert hashlib.sha256(data).hexdigest() == row["sha256"]
