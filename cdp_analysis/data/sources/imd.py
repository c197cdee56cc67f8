"""English Indices of Deprivation 2019: the Index of Multiple Deprivation by LSOA.

Source: Ministry of Housing, Communities and Local Government, *English indices of
deprivation 2019*, File 1 "Index of Multiple Deprivation" (OGL v3; PROVENANCE §11),
``raw/lookups/File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx``, sheet ``IMD2019``: one row
per 2011 Lower-layer Super Output Area (LSOA) of England (32,844), with its local authority
district (2019 codes, so BCP ``E06000058`` and Dorset ``E06000059`` already), the IMD rank
(1 = most deprived in England) and decile (1 = the most deprived 10%).

The file holds ranks and deciles only: the IMD *scores* and the LSOA populations are in
Files 5 and 6 of the release, which are not shipped. Aggregation to areas
(:mod:`cdp_analysis.deprivation`) is therefore over ranks and deciles, with the weights stated.

Loaded by header (the columns may move) into the table ``imd_lsoa``:
``lsoa_code, lsoa_name, lad_code, lad_name, imd_rank, imd_decile, edition, source_file``.
Each row is checked: LSOA code ``E01`` + 6 digits, district code ``E06/E07/E08/E09`` + 6
digits, rank a whole number from 1 to the number of LSOAs, decile a whole number from 1 to
10 that agrees with the rank (decile *d* holds ranks from about (d - 1) x N/10 to d x N/10),
and every LSOA once. Equal ranks are kept as published (26 pairs of LSOAs share a rank in the
2019 file: tied scores). A file that breaks a rule raises
:class:`~cdp_analysis.errors.CdpInputError` naming the file, sheet, row and column, and the
store is left as it was.

Examples
--------
>>> expected_decile(1, 32844), expected_decile(3284, 32844), expected_decile(32844, 32844)
(1, 1, 10)
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from cdp_analysis.data.store import SourceSpec
from cdp_analysis.errors import CdpInputError

__all__ = ["read", "load", "expected_decile", "TABLE", "SOURCE", "SHEET", "COLUMNS", "SPECS"]

TABLE = "imd_lsoa"
SOURCE = "mhclg_imd2019"
SHEET = "IMD2019"
EDITION = "English indices of deprivation 2019, File 1"
#: the header of each column we read, and its name in ``imd_lsoa``
COLUMNS = {
    "LSOA code (2011)": "lsoa_code",
    "LSOA name (2011)": "lsoa_name",
    "Local Authority District code (2019)": "lad_code",
    "Local Authority District name (2019)": "lad_name",
    "Index of Multiple Deprivation (IMD) Rank": "imd_rank",
    "Index of Multiple Deprivation (IMD) Decile": "imd_decile",
}
_LSOA = re.compile(r"E01\d{6}")
_LAD = re.compile(r"E0[6-9]\d{6}")
_DDL = (f"CREATE TABLE IF NOT EXISTS {TABLE} (lsoa_code VARCHAR, lsoa_name VARCHAR, lad_code VARCHAR, "
        "lad_name VARCHAR, imd_rank INTEGER, imd_decile INTEGER, edition VARCHAR, source_file VARCHAR)")


def expected_decile(rank: int, n: int) -> int:
    """The decile (1 = most deprived) of ``rank`` among ``n`` LSOAs, as equal tenths."""
    return min(10, math.floor((rank - 1) * 10 / n) + 1)


def _whole(v: Any) -> int | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)) and math.isfinite(v) and float(v) == int(v):
        return int(v)
    if isinstance(v, str) and v.strip().isdigit():
        return int(v.strip())
    return None


def _rows(path: Path) -> list[list[Any]]:
    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(path))
        if SHEET not in wb.sheet_names:
            raise CdpInputError(f"has no sheet {SHEET!r} (sheets: {', '.join(wb.sheet_names)})", file=path,
                                expected=f"the {SHEET} sheet of IoD2019 File 1")
        return wb.get_sheet_by_name(SHEET).to_python()
    except CdpInputError:
        raise
    except Exception as exc:  # not a workbook calamine can read
        raise CdpInputError(f"could not be read as a workbook: {exc}", file=path,
                            expected="an .xlsx workbook (IoD2019 File 1)") from exc


def read(path: str | Path) -> list[tuple[str, str, str, str, int, int]]:
    """Read and check the ``IMD2019`` sheet: one tuple per LSOA, in the order of :data:`COLUMNS`.

    Raises
    ------
    CdpInputError
        Naming the file, sheet, row (spreadsheet row number) and column of the first problem.
    """
    path = Path(path)
    rows = _rows(path)
    if not rows:
        raise CdpInputError("the sheet is empty", file=path, sheet=SHEET, row=1, expected="a header row")
    head = [" ".join(str(h).split()) if h is not None else "" for h in rows[0]]
    missing = [h for h in COLUMNS if h not in head]
    if missing:
        raise CdpInputError(f"lacks the column {missing[0]!r}", file=path, sheet=SHEET, row=1,
                            expected=f"the columns {list(COLUMNS)}")
    idx = [head.index(h) for h in COLUMNS]
    body = [r for r in rows[1:] if any(c not in (None, "") for c in r)]
    n = len(body)
    if n < 10:
        raise CdpInputError(f"holds {n} LSOAs", file=path, sheet=SHEET, expected="one row per English LSOA")
    out: list[tuple[str, str, str, str, int, int]] = []
    seen_lsoa: dict[str, int] = {}
    heads = list(COLUMNS)
    for i, r in enumerate(rows[1:], start=2):
        if not any(c not in (None, "") for c in r):
            continue
        vals = [r[j] if j < len(r) else None for j in idx]
        code, name, lad, lad_name = (str(v).strip() if v is not None else "" for v in vals[:4])
        if not _LSOA.fullmatch(code):
            raise CdpInputError("not an English LSOA code", file=path, sheet=SHEET, row=i, column=heads[0],
                                value=code, expected="E01 and six digits")
        if not _LAD.fullmatch(lad):
            raise CdpInputError("not an English district code", file=path, sheet=SHEET, row=i, column=heads[2],
                                value=lad, expected="E06, E07, E08 or E09 and six digits")
        rank, decile = _whole(vals[4]), _whole(vals[5])
        if rank is None or not 1 <= rank <= n:
            raise CdpInputError("not a rank", file=path, sheet=SHEET, row=i, column=heads[4], value=vals[4],
                                expected=f"a whole number from 1 to {n:,}")
        if decile is None or not 1 <= decile <= 10:
            raise CdpInputError("not a decile", file=path, sheet=SHEET, row=i, column=heads[5], value=vals[5],
                                expected="a whole number from 1 to 10")
        # MHCLG's tenths hold 3,284 or 3,285 LSOAs: a boundary rank may fall one place either side
        if not (decile - 1) * n / 10 - 1 < rank <= decile * n / 10 + 1:
            raise CdpInputError(f"decile {decile} does not agree with rank {rank:,}", file=path, sheet=SHEET,
                                row=i, column=heads[5], value=decile,
                                expected=f"decile {expected_decile(rank, n)} for rank {rank:,} of {n:,}")
        if code in seen_lsoa:
            raise CdpInputError(f"LSOA {code} appears twice (rows {seen_lsoa[code]} and {i})", file=path,
                                sheet=SHEET, row=i, column=heads[0], expected="each LSOA once")
        seen_lsoa[code] = i
        out.append((code, name, lad, lad_name, rank, decile))
    return out


def load(con: Any, files: list[tuple[Path, str]]) -> dict[str, tuple[int, str]]:
    """Native loader for the store: insert each file's LSOAs into ``imd_lsoa`` (one edition)."""
    import pandas as pd

    done: dict[str, tuple[int, str]] = {}
    for path, rel in files:
        rows = read(path)
        df = pd.DataFrame(rows, columns=list(COLUMNS.values())).assign(edition=EDITION, source_file=rel)
        con.register("_imd_new", df)
        con.execute(f"INSERT INTO {TABLE} SELECT lsoa_code, lsoa_name, lad_code, lad_name, imd_rank::INTEGER, "
                    "imd_decile::INTEGER, edition, source_file FROM _imd_new")
        con.unregister("_imd_new")
        done[rel] = (len(df), EDITION)
    return done


def _create(con: Any) -> None:
    con.execute(_DDL)


SPECS = [
    SourceSpec(
        table=TABLE,
        source=SOURCE,
        pattern="raw/lookups/File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx",
        loader=load,
        create=_create,
        description="MHCLG English indices of deprivation 2019: IMD rank and decile by LSOA (2011)",
    )
]
