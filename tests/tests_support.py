"""Paths shared by the tests."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
RETURNS = DATA / "returns" / "pan_dorset.csv"
BAD = ROOT / "tests" / "data" / "bad"


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


def built_store(root: Path, *, returns: bool = False) -> tuple[Path, Path]:
    """A data folder under ``root`` (see :func:`data_folder`) and the store ingested from it."""
    from cdp_analysis.data.store import ingest

    data = data_folder(root, returns=returns)
    db = root / "cdp.duckdb"
    ingest(data, db)
    return data, db


def store_copy(base: tuple[Path, Path], dest: Path) -> tuple[Path, Path]:
    """Copy a ``(data folder, store)`` pair under ``dest``; return the copies."""
    import shutil

    data, db = base
    shutil.copytree(data, dest / "data")
    shutil.copy2(db, dest / "cdp.duckdb")
    return dest / "data", dest / "cdp.duckdb"


def corpus(loader: str, name: str, marker: str | None = None) -> bytes:
    """A file of the hostile-input corpus, with ``{marker}`` replaced by ``marker`` when given."""
    data = (BAD / loader / name).read_bytes()
    if marker is not None:
        assert b"{marker}" in data
        data = data.replace(b"{marker}", marker.encode())
    return data


def assert_rejected(data: Path, db: Path, rel: str, content: bytes | Path):
    """Put ``content`` at ``data/rel``, ingest, and check it is refused with the store unchanged.

    Unchanged means the same bytes on disk and the same content (every table). Returns the
    :class:`~cdp_analysis.errors.CdpInputError` so the caller can check its file, row and column.
    """
    import shutil

    import pytest

    from cdp_analysis.data.store import Store, ingest, sha256_file
    from cdp_analysis.errors import CdpInputError

    dest = data / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, Path):
        shutil.copy2(content, dest)
    else:
        dest.write_bytes(content)
    with Store(db, read_only=True) as s:
        digest = s.content_digest()
    sha = sha256_file(db)
    with pytest.raises(CdpInputError) as err:
        ingest(data, db)
    assert sha256_file(db) == sha, "a rejected ingest changed the store's bytes"
    with Store(db, read_only=True) as s:
        assert s.content_digest() == digest
    assert sha256_file(db) == sha
    assert err.value.file is not None and err.value.file.endswith(rel)
    assert "Traceback" not in str(err.value)
    return err.value


def edited_copy(book, path: Path, edits: dict[tuple[str, str], object]) -> Path:
    """Save an openpyxl ``book`` with ``edits`` ((sheet, cell) -> value) to ``path``, then undo them.

    Lets a module load a real workbook once and write many hostile copies of it.
    """
    old = {k: book[k[0]][k[1]].value for k in edits}
    try:
        for (sheet, cell), value in edits.items():
            book[sheet][cell].value = value
        book.save(path)
    finally:
        for (sheet, cell), value in old.items():
            book[sheet][cell].value = value
    return path


def load_make_bad():
    """The generator of the hostile-input corpus, ``tests/data/bad/make_bad.py``, as a module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_bad", ROOT / "tests" / "data" / "bad" / "make_bad.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ----------------------------------------------------------------------------- Word tables
#: twips per character of 12 pt text (a character taken as 0.55 em), and Word's cell margins
CHAR = 0.55 * 12 * 20
PADDING = 2 * 108
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def table_widths(table) -> list[int]:
    """The column widths (twips) of a python-docx table, from its grid."""
    return [int(g.get(_W + "w")) for g in table._tbl.find(_W + "tblGrid").findall(_W + "gridCol")]


def assert_words_fit(table) -> None:
    """No column of a Word table is narrower than its longest word (Word would break it mid-letter)."""
    n = len(table.columns)
    longest = [1] * n
    for row in table.rows:
        for i, cell in enumerate(row.cells[:n]):
            longest[i] = max([longest[i], *(len(w) for w in cell.text.split())])
    for width, k, head in zip(table_widths(table), longest, table.rows[0].cells, strict=True):
        assert width >= k * CHAR + PADDING, f"column {head.text!r}: {width} twips for a {k}-letter word"
