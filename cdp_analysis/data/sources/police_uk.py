"""police.uk street-level crime: record-level store tables, area lookup, monthly counts.

Reads the monthly CSVs published by police.uk (https://data.police.uk/data/, Home Office
and the 43 police forces of England and Wales, Open Government Licence v3.0), one file per
force and month, named ``YYYY-MM-<force>-street.csv`` (e.g. ``2025-01-dorset-street.csv``),
anywhere under ``raw/police/``.

What the ingest makes of them
-----------------------------
``police_records`` (table, one row per published record, nothing dropped)
    ``file_id, crime_id, reported_by, falls_within, longitude, latitude, location, lsoa_code,
    lsoa_name, crime_type, last_outcome, context``: every column of the file but ``Month``,
    which is checked to equal the file's month and so is kept once, in ``police_files``.
``police_files`` (table, one row per loaded file)
    ``file_id, source_file, force, force_code, month``: ``force`` is the police.uk slug from
    the file name (``dorset``), ``force_code`` its police force area GSS code (``E23000039``;
    British Transport Police ``british-transport-police``, which has no GSS code).
``police_crimes`` (view: ``police_records`` with its file and its area)
    ``source_file, force, force_code, month, crime_id, reported_by, falls_within,
    longitude, latitude, location, lsoa_code, lsoa_name, crime_type, last_outcome, context,
    area_code, in_force_area``. ``area_code`` is the current upper-tier local authority of
    the record's LSOA (see *LSOA lookup*), missing when the record has no LSOA (160 Dorset
    records in 2025) or the LSOA is unknown. ``in_force_area`` is false for records placed
    in an LSOA outside the force's own area (23 Dorset records in 2025 fall in New Forest,
    Somerset, Wiltshire ...): they are kept, and marked; it is missing when ``area_code`` is.
    Areas are looked up when queried, so they always follow the current ``lsoa_areas``.
``lsoa_areas`` (table, rebuilt when police.uk files are loaded and its inputs changed)
    ``lsoa_code, lad_code, area_code, police_force, method``: 2011 LSOA codes from the
    English Indices of Deprivation 2019 workbook
    (``raw/lookups/File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx``, LSOA11 -> LAD19,
    ``method`` ``imd2019``) and, for codes it lacks (Wales), mySociety's LSOA lookup
    (``raw/lookups/mysociety_lookup_lsoa_to_registry.csv``, ``method`` ``mysociety``). Each
    district is carried to its *current* upper-tier area with ``data/reference/areas.csv``
    (``replaced_by``, then ``upper_tier``), so Aylesbury Vale records count in Buckinghamshire
    E06000060.
``lsoa_name_areas`` (table)
    ``name, lad_code, area_code, police_force``: local authority names for records whose
    LSOA code is in neither lookup. Since June 2023 police.uk uses **2021 LSOAs**; new codes
    are placed by the name prefix, which is the district's name ("Bournemouth, Christchurch
    and Poole 001B" -> E06000058, "Dorset 010A" -> E06000059).
``police_crimes_by_area_month`` (view)
    ``area_code, month, crime_type, n`` (records with a known area).
``police_crimes_by_lsoa`` (view)
    ``lsoa_code, lsoa_name, area_code, crime_type, n`` (all months loaded).
``observations`` rows, ``source`` ``police_uk``, ``edition`` ``police.uk street-level``
    Monthly counts (``period`` ``2025-01``, ``count`` = ``value`` = records, ``age``
    ``all ages``, ``sex`` ``persons``) for ``metric_id`` ``police_uk_<crime type>``
    (``police_uk_drugs``, ``police_uk_anti_social_behaviour`` ...) and
    ``police_uk_neighbourhood_crime`` (Burglary + Robbery + Theft from the person + Vehicle
    crime), for

    * each police force area with a file for the month: every record of its file, wherever
      located (what police.uk publishes for the force);
    * each upper-tier area whose police force has a file for the month: the records located
      in its LSOAs (from any loaded force), zero when there are none;
    * each partnership (``data/reference/partnerships.csv``) whose members all qualify: the
      sum of its members.

    They are rebuilt from the records whenever a police.uk file changes, so they always
    agree with them.
``lsoa_lookup_state`` (table)
    ``key``: a SHA-256 over the three lookup files and the ``areas`` table that
    ``lsoa_areas`` and ``lsoa_name_areas`` were built from; they are rebuilt only when it
    changes.

Caveats (domain notes §2.6): locations are anonymised snap points; not official statistics
and will not reconcile with police recorded crime; "Last outcome category" is a snapshot at
download time; anti-social behaviour records have no Crime ID.

Validation: the header must hold exactly the 12 police.uk columns (:data:`HEADER`, any order);
every ``Month`` must equal the month in the file name; every record needs a crime type; a
value that is not a number in Longitude/Latitude is reported with its line. Each error is a
:class:`~cdp_analysis.errors.CdpInputError` naming the file, the line and the column, and
the ingest is rolled back.

The files are read by DuckDB directly (``read_csv`` with explicit column types, no sniffing,
no pandas), all files of one header layout in one parallel scan, twice: once to read, cast
and check every value (nothing written), then to store the records. A store written by an
earlier version (``police_crimes`` as one wide table) is converted in place by the next
ingest that loads a police.uk file.

Examples
--------
>>> parse_file_name("2025-01-dorset-street.csv")
('2025-01', 'dorset')
>>> parse_file_name("2024-11-avon-and-somerset-street.csv")
('2024-11', 'avon-and-somerset')
>>> metric_id("Violence and sexual offences")
'police_uk_violence_and_sexual_offences'
>>> FORCE_SLUGS["devon-and-cornwall"], FORCE_SLUGS["city-of-london"]
('E23000035', 'E23000034')
"""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import io
import re
from pathlib import Path
from typing import Any

import pandas as pd

from cdp_analysis.data.store import SourceSpec
from cdp_analysis.errors import CdpInputError

__all__ = [
    "EDITION",
    "FILES",
    "FORCE_SLUGS",
    "HEADER",
    "NEIGHBOURHOOD_CRIME_TYPES",
    "RECORDS",
    "SOURCE",
    "TABLE",
    "build_lsoa_areas",
    "load",
    "metric_id",
    "parse_file_name",
    "refresh_observations",
    "SPECS",
]

SOURCE = "police_uk"
EDITION = "police.uk street-level"
TABLE = "police_crimes"
RECORDS = "police_records"
FILES = "police_files"
AGE = "all ages"

#: The 12 columns of a police.uk street-level file and the store column of each.
HEADER: dict[str, str] = {
    "Crime ID": "crime_id",
    "Month": "month",
    "Reported by": "reported_by",
    "Falls within": "falls_within",
    "Longitude": "longitude",
    "Latitude": "latitude",
    "Location": "location",
    "LSOA code": "lsoa_code",
    "LSOA name": "lsoa_name",
    "Crime type": "crime_type",
    "Last outcome category": "last_outcome",
    "Context": "context",
}
_TYPES = {"Longitude": "DOUBLE", "Latitude": "DOUBLE"}
#: the record columns of ``police_records`` / ``police_crimes`` (all but Month), as ``{r}.col``
_COLUMN_NAMES = ", ".join("{r}." + c for h, c in HEADER.items() if h != "Month")

#: police.uk's 14 crime types (since May 2013).
CRIME_TYPES = (
    "Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson", "Drugs",
    "Other crime", "Other theft", "Possession of weapons", "Public order", "Robbery",
    "Shoplifting", "Theft from the person", "Vehicle crime", "Violence and sexual offences",
)
#: The crime types summed into ``police_uk_neighbourhood_crime``.
NEIGHBOURHOOD_CRIME_TYPES = ("Burglary", "Robbery", "Theft from the person", "Vehicle crime")

#: police.uk force slug (from the file name) -> police force area GSS code. British Transport
#: Police has no GSS code; its records carry ``british-transport-police``.
FORCE_SLUGS: dict[str, str] = {
    "metropolitan": "E23000001", "cumbria": "E23000002", "lancashire": "E23000003",
    "merseyside": "E23000004", "greater-manchester": "E23000005", "cheshire": "E23000006",
    "northumbria": "E23000007", "durham": "E23000008", "north-yorkshire": "E23000009",
    "west-yorkshire": "E23000010", "south-yorkshire": "E23000011", "humberside": "E23000012",
    "cleveland": "E23000013", "west-midlands": "E23000014", "staffordshire": "E23000015",
    "west-mercia": "E23000016", "warwickshire": "E23000017", "derbyshire": "E23000018",
    "nottinghamshire": "E23000019", "lincolnshire": "E23000020", "leicestershire": "E23000021",
    "northamptonshire": "E23000022", "cambridgeshire": "E23000023", "norfolk": "E23000024",
    "suffolk": "E23000025", "bedfordshire": "E23000026", "hertfordshire": "E23000027",
    "essex": "E23000028", "thames-valley": "E23000029", "hampshire": "E23000030",
    "surrey": "E23000031", "kent": "E23000032", "sussex": "E23000033",
    "city-of-london": "E23000034", "devon-and-cornwall": "E23000035",
    "avon-and-somerset": "E23000036", "gloucestershire": "E23000037", "wiltshire": "E23000038",
    "dorset": "E23000039", "north-wales": "W15000001", "gwent": "W15000002",
    "south-wales": "W15000003", "dyfed-powys": "W15000004", "btp": "british-transport-police",
}

_FILE = re.compile(r"(\d{4}-(?:0[1-9]|1[0-2]))-([a-z0-9]+(?:-[a-z0-9]+)*)-street\.csv")
_IMD = "raw/lookups/File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx"
_MYSOC_LSOA = "raw/lookups/mysociety_lookup_lsoa_to_registry.csv"
_MYSOC_LA = "raw/lookups/mysociety_uk_local_authorities_current.csv"
_LAD_TYPES = ("unitary", "district", "metropolitan_district", "london_borough", "welsh_unitary")


def parse_file_name(name: str) -> tuple[str, str]:
    """``(month, force slug)`` from a police.uk file name.

    Raises
    ------
    CdpInputError
        When the name is not ``YYYY-MM-<force>-street.csv``.
    """
    m = _FILE.fullmatch(Path(name).name)
    if not m:
        raise CdpInputError("not a police.uk street-level file name", file=name,
                            expected="a name like 2025-01-dorset-street.csv")
    return m[1], m[2]


#: months a police.uk file may be dated after the current month (clock and time-zone slack);
#: police.uk publishes a month about seven weeks after it ends, so any later date is a mistake
FUTURE_MONTHS_TOLERANCE = 1


def check_month_not_future(month: str, file: str, today: _dt.date | None = None) -> str:
    """Refuse a police.uk month later than this month plus :data:`FUTURE_MONTHS_TOLERANCE`.

    Examples
    --------
    >>> import datetime
    >>> check_month_not_future("2025-01", "2025-01-dorset-street.csv", datetime.date(2025, 3, 1))
    '2025-01'
    >>> check_month_not_future("2095-01", "2095-01-dorset-street.csv", datetime.date(2025, 3, 1))
    Traceback (most recent call last):
    ...
    cdp_analysis.errors.CdpInputError: 2095-01-dorset-street.csv: a police.uk file dated 2095-01, after the current month (2025-03) (expected a month no later than 2025-04: police.uk publishes each month about seven weeks after it ends)
    """
    today = today or _dt.date.today()
    year, mon = int(month[:4]), int(month[5:7])
    limit = today.year * 12 + today.month - 1 + FUTURE_MONTHS_TOLERANCE
    if year * 12 + mon - 1 > limit:
        ly, lm = divmod(limit, 12)
        raise CdpInputError(f"a police.uk file dated {month}, after the current month ({today:%Y-%m})", file=file,
                            expected=f"a month no later than {ly}-{lm + 1:02d}: police.uk publishes each month "
                                     "about seven weeks after it ends")
    return month


def metric_id(crime_type: str) -> str:
    """The ``metric_id`` of a police.uk crime type: ``police_uk_`` + snake case."""
    return "police_uk_" + re.sub(r"[^a-z0-9]+", "_", crime_type.lower()).strip("_")


# ----------------------------------------------------------------------------- areas
def _has_table(con: Any, table: str, column: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = ? AND column_name = ?",
        [table, column]).fetchall()[0][0])


def _reference(con: Any, name: str, column: str) -> pd.DataFrame:
    """A reference table from the store (loaded from the data folder) or the packaged copy."""
    if _has_table(con, name, column):
        return con.execute(f'SELECT * FROM "{name}"').df().fillna("").astype(str)
    from cdp_analysis.reference import reference_path

    return pd.read_csv(reference_path(f"{name}.csv"), dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _current_areas(areas: pd.DataFrame) -> pd.DataFrame:
    """District-level areas with their current upper-tier area and police force.

    Returns columns ``lad_code, name, area_code, police_force, current``.
    """
    info = areas.set_index("code")
    lads = areas[areas["type"].isin(_LAD_TYPES)]

    def follow(code: str) -> str:
        for _ in range(5):  # replaced_by chains are short
            repl = info.at[code, "replaced_by"].split() if code in info.index else []
            if len(repl) != 1:
                break
            code = repl[0]
        return code

    rows = []
    for lad, name, valid_to in zip(lads["code"], lads["name"], lads["valid_to"], strict=True):
        cur = follow(lad)
        upper = info.at[cur, "upper_tier"] or cur
        upper = follow(upper)
        force = info.at[cur, "police_force"] if cur in info.index else ""
        rows.append((lad, name, upper, force or info.at[lad, "police_force"], not valid_to))
    return pd.DataFrame(rows, columns=["lad_code", "name", "area_code", "police_force", "current"])


def _lookup_key(areas: pd.DataFrame, data: Path | None) -> str:
    """A digest of what ``lsoa_areas`` is built from: the lookup files and the ``areas`` table."""
    from cdp_analysis.data.store import sha256_file

    h = hashlib.sha256()
    for rel in (_IMD, _MYSOC_LSOA, _MYSOC_LA):
        path = data / rel if data is not None else None
        h.update(f"{rel}={sha256_file(path) if path is not None and path.exists() else '-'};".encode())
    h.update(repr(list(areas.columns)).encode())
    h.update(pd.util.hash_pandas_object(areas, index=False).to_numpy().tobytes())
    return h.hexdigest()


def build_lsoa_areas(con: Any, data: Path | None) -> bool:
    """(Re)build the tables ``lsoa_areas`` and ``lsoa_name_areas`` (see the module notes).

    The tables are rebuilt only when what they are built from changed: the SHA-256 of the
    lookup files under ``raw/lookups/`` (or their absence) and the content of the ``areas``
    table, kept as ``key`` in the one-row table ``lsoa_lookup_state``.

    Parameters
    ----------
    con
        DuckDB connection (inside the ingest transaction).
    data
        The data folder holding ``raw/lookups/``; missing lookups are skipped, leaving the
        name prefix as the only way to place a record.

    Returns
    -------
    bool
        Whether the tables were rebuilt (``False``: they were already built from the same
        inputs).
    """
    areas = _reference(con, "areas", "code")
    key = _lookup_key(areas, data)
    if _has_table(con, "lsoa_lookup_state", "key") and _has_table(con, "lsoa_name_areas", "name"):
        if con.execute("SELECT any_value(key) FROM lsoa_lookup_state").fetchall()[0][0] == key:
            return False
    lads = _current_areas(areas)
    by_lad = lads.set_index("lad_code")
    parts = []
    imd = data / _IMD if data is not None else None
    if imd is not None and imd.exists():
        rows = _read_imd(imd)
        df = pd.DataFrame(rows, columns=["lsoa_code", "lad_code"])
        df["method"] = "imd2019"
        parts.append(df)
    soc, las = (data / _MYSOC_LSOA, data / _MYSOC_LA) if data is not None else (None, None)
    if soc is not None and soc.exists() and las is not None and las.exists():
        reg = pd.read_csv(soc, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        la = pd.read_csv(las, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        la = la.set_index("local-authority-code")
        gss = {k: la.at[k, "gss-code"] for k in la.index}
        df = pd.DataFrame({"lsoa_code": reg["lsoa"], "lad_code": reg["local-authority-code"].map(gss)})
        df["method"] = "mysociety"
        parts.append(df)
    if parts:
        look = pd.concat(parts, ignore_index=True)
        look = look[look["lad_code"].isin(by_lad.index)].drop_duplicates("lsoa_code", keep="first")
    else:
        look = pd.DataFrame({"lsoa_code": [], "lad_code": [], "method": []}, dtype=object)
    look = look.assign(area_code=look["lad_code"].map(by_lad["area_code"]),
                       police_force=look["lad_code"].map(by_lad["police_force"]))
    look = look[["lsoa_code", "lad_code", "area_code", "police_force", "method"]]
    # names: current districts first, so a reused name points at today's authority
    names = lads.sort_values("current", ascending=False).drop_duplicates("name")
    names = names[["name", "lad_code", "area_code", "police_force"]]
    con.register("_lsoa_look", look)
    con.register("_lsoa_names", names)
    con.execute("CREATE OR REPLACE TABLE lsoa_areas AS SELECT * FROM _lsoa_look ORDER BY lsoa_code")
    con.execute("CREATE OR REPLACE TABLE lsoa_name_areas AS SELECT * FROM _lsoa_names ORDER BY name")
    con.unregister("_lsoa_look")
    con.unregister("_lsoa_names")
    con.execute("CREATE OR REPLACE TABLE lsoa_lookup_state AS SELECT ?::VARCHAR AS key", [key])
    return True


def _read_imd(path: Path) -> list[tuple[str, str]]:
    """``(LSOA11 code, LAD19 code)`` pairs from the IMD2019 workbook (sheet ``IMD2019``)."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:  # pragma: no cover - calamine is a dependency
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        rows = list(wb["IMD2019"].iter_rows(values_only=True))
        wb.close()
    else:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("IMD2019").to_python()
    head = [str(h) for h in rows[0]]
    want = ("LSOA code (2011)", "Local Authority District code (2019)")
    if not all(w in head for w in want):
        raise CdpInputError("the IMD2019 sheet lacks the LSOA and district code columns", file=path,
                            sheet="IMD2019", row=1, expected=f"columns {list(want)}")
    i, j = head.index(want[0]), head.index(want[1])
    return [(str(r[i]), str(r[j])) for r in rows[1:] if r[i]]


# ----------------------------------------------------------------------------- loader
_RECORD_COLUMNS = """crime_id VARCHAR, reported_by VARCHAR, falls_within VARCHAR, longitude DOUBLE,
    latitude DOUBLE, location VARCHAR, lsoa_code VARCHAR, lsoa_name VARCHAR, crime_type VARCHAR,
    last_outcome VARCHAR, context VARCHAR"""
_LSOA_AREAS = "lsoa_code VARCHAR, lad_code VARCHAR, area_code VARCHAR, police_force VARCHAR, method VARCHAR"
_LSOA_NAME_AREAS = "name VARCHAR, lad_code VARCHAR, area_code VARCHAR, police_force VARCHAR"

#: the area of an LSOA (``l``, by code) or of a 2021 LSOA (``nm``, by the name prefix)
_AREA_JOIN = """
    LEFT JOIN lsoa_areas AS l ON {r}.lsoa_code = l.lsoa_code
    LEFT JOIN lsoa_name_areas AS nm
           ON l.lsoa_code IS NULL AND {r}.lsoa_code IS NOT NULL
          AND nm.name = left({r}.lsoa_name, length({r}.lsoa_name) - 5)"""


def _create(con: Any) -> None:
    """Create ``police_files``, ``police_records`` and the view ``police_crimes`` if missing.

    A store written by an earlier version, with ``police_crimes`` as one wide table, is
    converted in place (same records, same ``police_crimes`` columns).
    """
    con.execute(f"CREATE TABLE IF NOT EXISTS {FILES} (file_id INTEGER, source_file VARCHAR, force VARCHAR, "
                "force_code VARCHAR, month VARCHAR)")
    con.execute(f"CREATE TABLE IF NOT EXISTS {RECORDS} (file_id INTEGER, {_RECORD_COLUMNS})")
    con.execute(f"CREATE TABLE IF NOT EXISTS lsoa_areas ({_LSOA_AREAS})")
    con.execute(f"CREATE TABLE IF NOT EXISTS lsoa_name_areas ({_LSOA_NAME_AREAS})")
    kind = con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = ?", [TABLE]).fetchall()
    if kind and kind[0][0] == "BASE TABLE":  # the earlier one-table layout
        con.execute(f"""INSERT INTO {FILES}
            SELECT (row_number() OVER (ORDER BY source_file) - 1)::INTEGER, source_file, force, force_code, month
            FROM (SELECT DISTINCT source_file, force, force_code, month FROM {TABLE})""")
        con.execute(f"""INSERT INTO {RECORDS} SELECT f.file_id, {_COLUMN_NAMES.replace("{r}", "p")}
            FROM {TABLE} p JOIN {FILES} f USING (source_file)""")
        con.execute(f"DROP TABLE {TABLE}")
    con.execute(f"""CREATE OR REPLACE VIEW {TABLE} AS
        SELECT f.source_file, f.force, f.force_code, f.month, {_COLUMN_NAMES.replace("{r}", "r")},
               coalesce(l.area_code, nm.area_code) AS area_code,
               coalesce(l.police_force, nm.police_force) = f.force_code AS in_force_area
        FROM {RECORDS} AS r JOIN {FILES} AS f ON r.file_id = f.file_id{_AREA_JOIN.format(r="r")}""")


def _delete(con: Any, rels: list[str]) -> None:
    """Remove the records and the ``police_files`` rows of the files ``rels`` (the store's hook)."""
    _create(con)
    ids = [r[0] for r in con.execute(
        f"SELECT file_id FROM {FILES} WHERE source_file IN (SELECT unnest(?::VARCHAR[]))", [rels]).fetchall()]
    if ids:
        con.execute(f"DELETE FROM {RECORDS} WHERE file_id IN (SELECT unnest(?::INTEGER[]))", [ids])
        con.execute(f"DELETE FROM {FILES} WHERE file_id IN (SELECT unnest(?::INTEGER[]))", [ids])


def _header(path: Path) -> list[str]:
    with open(path, "rb") as fh:
        first = fh.readline().decode("utf-8-sig", errors="replace")
    return [h.strip() for h in next(csv.reader(io.StringIO(first)), [])]


def _check_header(path: Path, rel: str) -> tuple[str, ...]:
    head = _header(path)
    missing = [h for h in HEADER if h not in head]
    extra = [h for h in head if h not in HEADER]
    dup = sorted({h for h in head if head.count(h) > 1})
    if missing or extra or dup:
        what = "; ".join(x for x in (
            f"missing {missing}" if missing else "",
            f"unexpected {extra}" if extra else "",
            f"repeated {dup}" if dup else "") if x)
        raise CdpInputError(
            f"the header does not hold the 12 police.uk street-level columns ({what})",
            file=rel, row=1, column=(extra or missing or dup)[0],
            expected="the columns " + ", ".join(HEADER) + " (any order)",
        )
    return tuple(head)


_LINE = re.compile(r"Line: (\d+)")
_COL = re.compile(r'column "([^"]+)"')
_IN_FILE = re.compile(r"file = (.+)")
_FIELDS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def _duckdb_error(exc: Exception, paths: dict[str, str]) -> CdpInputError:
    msg = str(exc)
    line = _LINE.search(msg)
    col = _COL.search(msg)
    fm = _IN_FILE.search(msg)
    file = paths.get(fm[1].strip(), fm[1].strip()) if fm else None
    first = msg.splitlines()[0] if msg else type(exc).__name__
    column, expected = (col[1] if col else None), None
    if col and col[1] in _TYPES:
        expected = "numbers in Longitude and Latitude"
    elif fm and "Invalid unicode" in msg:  # name the field holding the bytes that are not UTF-8
        from cdp_analysis.data.sources._excel import find_bad_bytes

        bad = find_bad_bytes(Path(fm[1].strip()).read_bytes())
        if bad is not None:
            column, expected = bad.column_name(), "a UTF-8 file, as police.uk publishes"
    elif fm and (count := _FIELDS.search(msg)):  # a short row: the first column it lacks
        head = _header(Path(fm[1].strip()))
        found = int(count[2])
        column = head[found] if found < len(head) else None
        expected = f"{count[1]} fields, one per column of the header"
    return CdpInputError(
        f"could not be read: {first}", file=file, row=int(line[1]) if line else None,
        column=column, expected=expected,
    )


def _bad_rows(path: Path, month: str) -> tuple[list[int], str | None, Any]:
    """Line numbers (1-based, header = 1) of records whose Month differs or crime type is blank."""
    rows: list[int] = []
    column, value = None, None
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        for rec in reader:
            m = (rec.get("Month") or "").strip()
            if m != month:
                rows.append(reader.line_num)
                column, value = column or "Month", value if value is not None else m
            elif not (rec.get("Crime type") or "").strip():
                rows.append(reader.line_num)
                column, value = column or "Crime type", value if value is not None else ""
            if len(rows) >= 20:
                break
    return rows, column, value


_BAD_RECORD = re.compile(r"cdp_police_bad_record file_id=(\d+)")


def load(con: Any, files: list[tuple[Path, str]]) -> dict[str, tuple[int, str]]:
    """Insert police.uk street-level files into ``police_records`` (a native store loader).

    One ``police_files`` row per file (its ``file_id``, name, force and month) and one
    ``police_records`` row per record, read by DuckDB in one parallel ``read_csv`` per header
    layout, twice: first every value is read, cast and checked (the Month against the file
    name, the crime type present) with nothing written, then the records are inserted. The
    insert writes row groups to the store file as it goes; because it cannot fail on the data,
    a rejected file leaves the file byte-identical. A record failing a check aborts the scan
    (``error()``), and only then is that file re-read in Python to name its lines.

    Parameters
    ----------
    con
        DuckDB connection, inside the ingest transaction.
    files
        ``[(path, rel), ...]``: the files to (re)load; their old rows are already deleted.

    Returns
    -------
    dict
        ``{rel: (records, edition)}``.

    Raises
    ------
    CdpInputError
        A file name that is not ``YYYY-MM-<force>-street.csv`` or names an unknown force; a
        header without exactly the 12 police.uk columns (row 1); a ``Month`` that differs
        from the file name, or a record without a crime type (its line); a value DuckDB
        cannot read (its line and column); two files for the same force and month.
    """
    if not files:
        return {}
    import duckdb

    _create(con)
    data = Path(str(files[0][0])[: -len(files[0][1])]) if str(files[0][0]).endswith(files[0][1]) else None
    groups: dict[tuple[str, ...], list[tuple[str, str, str, str, str]]] = {}
    seen: dict[tuple[str, str], str] = {}
    for path, rel in files:
        month, force = parse_file_name(rel)
        check_month_not_future(month, rel)
        if force not in FORCE_SLUGS:
            raise CdpInputError(f"unknown police.uk force {force!r} in the file name", file=rel,
                                expected="one of " + ", ".join(sorted(FORCE_SLUGS)))
        if (force, month) in seen:
            raise CdpInputError(f"a second file for {force} {month} (the first is {seen[force, month]})",
                                file=rel, expected="one file per force and month")
        seen[force, month] = rel
        groups.setdefault(_check_header(path, rel), []).append((str(path), rel, force, FORCE_SLUGS[force], month))
    meta = [m for group in groups.values() for m in group]  # file_id order: base + position here
    new = {k: [m[i] for m in meta] for i, k in enumerate(("path", "rel", "force", "force_code", "month"))}
    clash = con.execute(f"""
        SELECT f.force, f.month, f.source_file, n.rel FROM {FILES} f
        JOIN (SELECT unnest($force) AS force, unnest($month) AS month, unnest($rel) AS rel) n
          ON f.force = n.force AND f.month = n.month LIMIT 1""",
                        {k: new[k] for k in ("force", "month", "rel")}).fetchall()
    if clash:
        f, m, other, rel = clash[0]
        raise CdpInputError(f"a second file for {f} {m} (already loaded from {other})",
                            file=rel, expected="one file per force and month")
    build_lsoa_areas(con, data)
    base = con.execute(f"SELECT coalesce(max(file_id) + 1, 0) FROM {FILES}").fetchall()[0][0]
    con.execute(f"""INSERT INTO {FILES} SELECT unnest($file_id::INTEGER[]), unnest($rel), unnest($force),
                    unnest($force_code), unnest($month)""",
                {"file_id": list(range(base, base + len(meta))),
                 **{k: new[k] for k in ("rel", "force", "force_code", "month")}})
    paths = dict(zip(new["path"], new["rel"], strict=True))
    # the record columns; the crime type checked with the month (error() aborts the statement)
    exprs = [f'r."{h}"' if h != "Crime type" else """
        CASE WHEN r."Month" IS DISTINCT FROM f.month OR r."Crime type" IS NULL
             THEN error('cdp_police_bad_record file_id=' || f.file_id) ELSE r."Crime type" END"""
             for h in HEADER if h != "Month"]
    scans = []  # (FROM clause, parameters) of each header layout's files
    offset = base
    for head, group in groups.items():
        cols = ", ".join(f"'{h}': '{_TYPES.get(h, 'VARCHAR')}'" for h in head)
        # file_index is the position of the file in the list given to read_csv
        scans.append((f"""
            FROM read_csv($paths, columns = {{{cols}}}, header = true, auto_detect = false,
                          delim = ',', quote = '"', escape = '"') AS r
            JOIN {FILES} AS f ON f.file_id = r.file_index + $offset""",
                      {"paths": [m[0] for m in group], "offset": offset}))
        offset += len(group)
    try:
        # 1. every value read, cast and checked, nothing written: the insert below writes row
        # groups to the store file as it goes, and must not be the statement that fails (a
        # rolled-back insert would leave the file's bytes changed, though not its content)
        tally = ", ".join(f"count({e})" for e in exprs)
        for from_, params in scans:
            con.execute(f"SELECT count(f.file_id), {tally} {from_}", params).fetchall()
        # 2. the same records, stored
        for from_, params in scans:
            con.execute(f"INSERT INTO {RECORDS} SELECT f.file_id, {', '.join(exprs)} {from_}", params)
    except duckdb.Error as exc:  # a record that failed the checks, or a value that does not fit
        bad = _BAD_RECORD.search(str(exc))
        if bad is None:
            raise _duckdb_error(exc, paths) from exc
        path, rel, _, _, month = meta[int(bad[1]) - base]
        rows, column, value = _bad_rows(Path(path), month)
        raise CdpInputError(
            "a record's Month differs from the month in the file name" if column == "Month"
            else "a record has no crime type",
            file=rel, row=rows or None, column=column, value=value,
            expected=f"Month {month} (from the file name)" if column == "Month" else "a police.uk crime type",
        ) from None
    counts = dict(con.execute(
        f"SELECT file_id, count(*) FROM {RECORDS} WHERE file_id >= ? GROUP BY file_id", [base]).fetchall())
    return {rel: (int(counts.get(base + k, 0)), EDITION) for k, rel in enumerate(new["rel"])}


# ----------------------------------------------------------------------------- after
def _metric_sql(expr: str) -> str:
    return f"'police_uk_' || trim(regexp_replace(lower({expr}), '[^a-z0-9]+', '_', 'g'), '_')"


#: records counted by file, LSOA and crime type, then placed in areas (small: one row per group)
_COUNTS = f"""
    SELECT f.force_code, f.month, c.lsoa_code, c.lsoa_name, c.crime_type, c.n,
           coalesce(l.area_code, nm.area_code) AS area_code
    FROM (SELECT file_id, lsoa_code, lsoa_name, crime_type, count(*) AS n FROM {RECORDS} GROUP BY ALL) AS c
    JOIN {FILES} AS f ON c.file_id = f.file_id{_AREA_JOIN.format(r="c")}"""


def refresh_observations(con: Any) -> None:
    """Create the views and replace the ``police_uk`` rows of ``observations`` (see module notes).

    Records are counted by file, LSOA and crime type first, and only those counts are placed
    in areas, so nothing here joins the lookups record by record.
    """
    _create(con)
    con.execute(f"""CREATE OR REPLACE VIEW police_crimes_by_area_month AS
        SELECT area_code, month, crime_type, sum(n)::BIGINT AS n FROM ({_COUNTS})
        WHERE area_code IS NOT NULL GROUP BY ALL""")
    con.execute(f"""CREATE OR REPLACE VIEW police_crimes_by_lsoa AS
        SELECT lsoa_code, lsoa_name, area_code, crime_type, sum(n)::BIGINT AS n FROM ({_COUNTS})
        WHERE lsoa_code IS NOT NULL GROUP BY ALL""")
    if not _has_table(con, "lsoa_lookup_state", "key"):
        build_lsoa_areas(con, None)
    parts = _reference(con, "partnerships", "partnership_id")[["partnership_id", "member_area_code"]]
    con.register("_police_partners", parts)
    nbh = ", ".join(f"'{t}'" for t in NEIGHBOURHOOD_CRIME_TYPES)
    con.execute("DELETE FROM observations WHERE source = ?", [SOURCE])
    con.execute(f"""
        INSERT INTO observations (source, metric_id, area_code, period, period_start, period_end, sex, age,
                                  count, denominator, value, lower_95, upper_95, status, edition)
        WITH counts AS MATERIALIZED ({_COUNTS}),
        present AS (SELECT DISTINCT force_code, month FROM {FILES}),
        types AS (SELECT unnest($types::VARCHAR[]) AS crime_type
                  UNION SELECT DISTINCT crime_type FROM counts),
        uppers AS (SELECT DISTINCT area_code, police_force FROM lsoa_areas
                   UNION SELECT DISTINCT area_code, police_force FROM lsoa_name_areas),
        area_months AS (SELECT u.area_code, p.month FROM uppers u JOIN present p ON u.police_force = p.force_code),
        area_n AS (SELECT area_code, month, crime_type, sum(n) AS n FROM counts
                   WHERE area_code IS NOT NULL GROUP BY ALL),
        force_n AS (SELECT force_code AS area_code, month, crime_type, sum(n) AS n FROM counts GROUP BY ALL),
        cells AS (
            SELECT am.area_code, am.month, t.crime_type, coalesce(a.n, 0) AS n
            FROM area_months am CROSS JOIN types t
            LEFT JOIN area_n a ON a.area_code = am.area_code AND a.month = am.month AND a.crime_type = t.crime_type
            UNION ALL
            SELECT p.force_code, p.month, t.crime_type, coalesce(f.n, 0)
            FROM present p CROSS JOIN types t
            LEFT JOIN force_n f ON f.area_code = p.force_code AND f.month = p.month AND f.crime_type = t.crime_type
        ),
        partner_cells AS (
            SELECT m.partnership_id AS area_code, c.month, c.crime_type, sum(c.n) AS n,
                   count(*) AS k, any_value(s.size) AS size
            FROM _police_partners m
            JOIN (SELECT partnership_id, count(*) AS size FROM _police_partners GROUP BY 1) s USING (partnership_id)
            JOIN cells c ON c.area_code = m.member_area_code
            GROUP BY 1, 2, 3
        ),
        all_cells AS (
            SELECT area_code, month, crime_type, n FROM cells
            UNION ALL SELECT area_code, month, crime_type, n FROM partner_cells WHERE k = size
        ),
        metrics AS (
            SELECT area_code, month, {_metric_sql('crime_type')} AS metric_id, n FROM all_cells
            UNION ALL
            SELECT area_code, month, 'police_uk_neighbourhood_crime', sum(n) FROM all_cells
            WHERE crime_type IN ({nbh}) GROUP BY area_code, month
        )
        SELECT '{SOURCE}', metric_id, area_code, month,
               CAST(strptime(month || '-01', '%Y-%m-%d') AS DATE),
               last_day(CAST(strptime(month || '-01', '%Y-%m-%d') AS DATE)),
               'persons', '{AGE}', n, NULL, n, NULL, NULL, '', '{EDITION}'
        FROM metrics ORDER BY metric_id, area_code, month""", {"types": list(CRIME_TYPES)})
    con.unregister("_police_partners")


SPECS = [
    SourceSpec(
        table=TABLE,
        source=SOURCE,
        pattern="raw/police/**/*-street.csv",
        loader=load,
        create=_create,
        after=refresh_observations,
        delete=_delete,
        description="police.uk street-level crime records (record level; monthly counts in observations)",
    )
]
