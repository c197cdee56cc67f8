"""Areas (GSS codes), partnerships (CDP footprints) and boundary changes.

Two reference tables, packaged with the library (canonical copies in the repository's
``data/reference/``; set ``CDP_REFERENCE_DIR`` to use others):

- ``areas.csv``: every GSS area in the shipped lookups and ONS workbooks, built by
  ``data/reference/build_areas.py``: ``code, name, type, parent, region, upper_tier,
  police_force, valid_from, valid_to, replaced_by, predecessors, is_upper_tier_england,
  in_deaths_2021, sources``.
- ``partnerships.csv``: ``partnership_id, name, member_area_code, police_force``, one row
  per member area (``pan-dorset`` = BCP E06000058 + Dorset E06000059, police force area
  E23000039).

An *area* argument anywhere in the library is a GSS code or a partnership id.
Partnership totals are built by summing members' numerators and denominators, never by
averaging rates (docs/design.md §4).

Examples
--------
>>> area_name("E06000058")
'Bournemouth, Christchurch and Poole'
>>> members("pan-dorset")
['E06000058', 'E06000059']
>>> resolve("pan-dorset")
('partnership', ['E06000058', 'E06000059'], 'Dorset and BCP Combating Drugs Partnership')
>>> predecessors("E06000058")
['E06000028', 'E06000029', 'E07000048']
>>> successor("E07000051")
'E06000059'
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from cdp_analysis.errors import CdpInputError, CdpParameterError
from cdp_analysis.reference import reference_path, suggest

__all__ = [
    "AREA_COLUMNS",
    "PARTNERSHIP_COLUMNS",
    "Area",
    "areas",
    "partnerships",
    "get_area",
    "area_name",
    "is_area",
    "is_partnership",
    "is_known",
    "members",
    "resolve",
    "upper_tier_areas",
    "predecessors",
    "successors",
    "successor",
    "aggregate_predecessors",
    "validate_area",
    "ENGLAND",
    "name_or_code",
    "comparators",
    "police_forces",
    "exact_predecessors",
]

#: GSS code of England, the benchmark of every comparison
ENGLAND = "E92000001"

AREA_COLUMNS = (
    "code", "name", "type", "parent", "region", "upper_tier", "police_force", "valid_from",
    "valid_to", "replaced_by", "predecessors", "is_upper_tier_england", "in_deaths_2021", "sources",
)
PARTNERSHIP_COLUMNS = ("partnership_id", "name", "member_area_code", "police_force")


@dataclass(frozen=True)
class Area:
    """One row of ``areas.csv`` (empty strings where a field does not apply).

    Examples
    --------
    >>> a = get_area("E06000059")
    >>> a.name, a.type, a.region, a.police_force, a.valid_from
    ('Dorset', 'unitary', 'E12000009', 'E23000039', '2019-04-01')
    """

    code: str
    name: str
    type: str
    parent: str
    region: str
    upper_tier: str
    police_force: str
    valid_from: str
    valid_to: str
    replaced_by: tuple[str, ...]
    predecessors: tuple[str, ...]
    is_upper_tier_england: bool
    in_deaths_2021: bool

    @property
    def is_current(self) -> bool:
        """True when the code has no end date."""
        return not self.valid_to

    def as_dict(self) -> dict[str, object]:
        """The fields as a plain dict."""
        return asdict(self)


# ---------------------------------------------------------------------- loading
def _read(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """A reference table read strictly (:func:`cdp_analysis.data.csvfile.read_table`): every
    column present, every row complete, keys non-empty."""
    from cdp_analysis.data.csvfile import read_table

    df = read_table(path, list(columns))
    key = columns[0]
    empty = df[key].str.strip().eq("")
    if empty.any():
        i = int(empty.to_numpy().nonzero()[0][0])
        raise CdpInputError(f"empty {key}", file=path, row=i + 2, column=key, expected=f"a {key} on every row")
    return df


@functools.lru_cache(maxsize=8)
def _areas_at(path: str) -> pd.DataFrame:
    df = _read(Path(path), AREA_COLUMNS)
    dup = df["code"].duplicated()
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise CdpInputError("duplicated area code", file=path, row=i + 2, column="code",
                            value=df["code"].iloc[i])
    for col in ("is_upper_tier_england", "in_deaths_2021"):
        df[col] = df[col].str.lower().eq("true")
    return df.set_index("code", drop=False)


@functools.lru_cache(maxsize=8)
def _partnerships_at(path: str, areas_path: str) -> pd.DataFrame:
    df = _read(Path(path), PARTNERSHIP_COLUMNS)
    known = _areas_at(areas_path).index
    for col in ("member_area_code", "police_force"):
        bad = ~df[col].isin(known) & df[col].ne("")
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise CdpInputError("unknown area code", file=path, row=i + 2, column=col,
                                value=df[col].iloc[i], expected="a code in areas.csv")
    clash = df["partnership_id"].isin(known)
    if clash.any():
        i = int(clash.to_numpy().nonzero()[0][0])
        raise CdpInputError("partnership id is also an area code", file=path, row=i + 2,
                            column="partnership_id", value=df["partnership_id"].iloc[i])
    return df


def _areas() -> pd.DataFrame:
    return _areas_at(str(reference_path("areas.csv")))


def _partnerships() -> pd.DataFrame:
    return _partnerships_at(str(reference_path("partnerships.csv")), str(reference_path("areas.csv")))


def areas() -> pd.DataFrame:
    """The areas table as a DataFrame (a copy; boolean flag columns, text elsewhere).

    Examples
    --------
    >>> df = areas()
    >>> int(df["in_deaths_2021"].sum())
    375
    """
    return _areas().reset_index(drop=True).copy()


def partnerships() -> pd.DataFrame:
    """The partnerships table, one row per member area (a copy).

    Examples
    --------
    >>> partnerships()[["partnership_id", "member_area_code"]].values.tolist()
    [['pan-dorset', 'E06000058'], ['pan-dorset', 'E06000059']]
    """
    return _partnerships().copy()


# ------------------------------------------------------------------- look-ups
def is_area(code: object) -> bool:
    """Whether ``code`` is a GSS code in ``areas.csv``.

    >>> is_area("E23000039"), is_area("pan-dorset")
    (True, False)
    """
    return isinstance(code, str) and code in _areas().index


def is_partnership(partnership_id: object) -> bool:
    """Whether ``partnership_id`` is a partnership in ``partnerships.csv``.

    >>> is_partnership("pan-dorset"), is_partnership("E06000058")
    (True, False)
    """
    return isinstance(partnership_id, str) and bool(
        (_partnerships()["partnership_id"] == partnership_id).any()
    )


def is_known(area: object) -> bool:
    """Whether ``area`` is a known GSS code or partnership id.

    >>> is_known("pan-dorset"), is_known("E99999999")
    (True, False)
    """
    return is_area(area) or is_partnership(area)


def validate_area(area: str) -> str:
    """Return ``area`` if it is a known GSS code or partnership id; else raise.

    Raises
    ------
    CdpParameterError
        Unknown area; the message suggests close codes or ids, or the code of an area whose
        name matches.

    Examples
    --------
    >>> validate_area("E06000059")
    'E06000059'
    >>> validate_area("pan_dorset")
    Traceback (most recent call last):
    ...
    cdp_analysis.errors.CdpParameterError: unknown area 'pan_dorset' (expected a GSS code or a partnership id); did you mean 'pan-dorset'?
    >>> validate_area("Bournemouth, Christchurch and Pool")
    Traceback (most recent call last):
    ...
    cdp_analysis.errors.CdpParameterError: unknown area 'Bournemouth, Christchurch and Pool' (expected a GSS code or a partnership id); did you mean 'E06000058' (Bournemouth, Christchurch and Poole, unitary)?
    """
    if is_known(area):
        return area
    msg = f"unknown area {area!r} (expected a GSS code or a partnership id)"
    text = str(area)
    ids = list(_partnerships()["partnership_id"].unique())
    hint = suggest(text, ids + list(_areas().index))
    if not hint:
        hint = _name_hint(text)
    raise CdpParameterError(msg + hint)


def _norm_name(name: str) -> str:
    words = re.sub(r"[^a-z0-9 ]+", " ", name.lower()).split()
    return " ".join(w for w in words if w not in ("council", "county", "city", "of", "the", "and", "borough", "district"))


def _name_hint(text: str) -> str:
    """'; did you mean CODE (NAME)?' for names close to ``text`` (current areas first)."""
    df = _areas()
    p = _partnerships().drop_duplicates("partnership_id")
    cands = pd.DataFrame({
        "code": [*df["code"], *p["partnership_id"]],
        "name": [*df["name"], *p["name"]],
        "label": [*(df["name"] + ", " + df["type"].str.replace("_", " ")), *(p["name"] + ", partnership")],
        "current": [*df["valid_to"].eq(""), *([True] * len(p))],
    })
    cands["key"] = cands["name"].map(_norm_name)
    key = _norm_name(text)
    hit = cands[cands["key"] == key]
    if hit.empty:
        close = difflib.get_close_matches(key, list(cands["key"].unique()), n=2, cutoff=0.75)
        hit = cands[cands["key"].isin(close)]
    if hit.empty:
        return ""
    hit = hit.sort_values(["current", "code"], ascending=[False, True]).head(3)
    return "; did you mean " + " or ".join(f"{c!r} ({n})" for c, n in zip(hit["code"], hit["label"], strict=True)) + "?"


def get_area(code: str) -> Area:
    """The ``areas.csv`` entry of a GSS code as a frozen :class:`Area`.

    Raises
    ------
    CdpParameterError
        Unknown code (a partnership id is not an area: use :func:`resolve`).

    Examples
    --------
    >>> get_area("E07000048").replaced_by
    ('E06000058',)
    """
    if not is_area(code):
        validate_area(code)
        raise CdpParameterError(f"{code!r} is a partnership, not a GSS area; use resolve() or members()")
    r = _areas().loc[code]
    return Area(
        code=r["code"], name=r["name"], type=r["type"], parent=r["parent"], region=r["region"],
        upper_tier=r["upper_tier"], police_force=r["police_force"], valid_from=r["valid_from"],
        valid_to=r["valid_to"], replaced_by=tuple(r["replaced_by"].split()),
        predecessors=tuple(r["predecessors"].split()),
        is_upper_tier_england=bool(r["is_upper_tier_england"]),
        in_deaths_2021=bool(r["in_deaths_2021"]),
    )


def area_name(area: str) -> str:
    """The name of a GSS code or partnership id.

    >>> area_name("E23000039"), area_name("pan-dorset")
    ('Dorset', 'Dorset and BCP Combating Drugs Partnership')
    """
    return resolve(area)[2]


def members(area: str) -> list[str]:
    """The GSS codes an area stands for: a GSS code gives ``[itself]``, a partnership its members.

    >>> members("E06000058")
    ['E06000058']
    """
    return resolve(area)[1]


def resolve(area: str) -> tuple[str, list[str], str]:
    """``(kind, codes, name)`` for a GSS code (kind ``"area"``) or a partnership id.

    Raises
    ------
    CdpParameterError
        Unknown area, with a suggestion.

    Examples
    --------
    >>> resolve("E92000001")
    ('area', ['E92000001'], 'England')
    """
    if is_area(area):
        return "area", [area], str(_areas().at[area, "name"])
    if is_partnership(area):
        p = _partnerships()
        rows = p[p["partnership_id"] == area]
        return "partnership", sorted(rows["member_area_code"]), str(rows["name"].iloc[0])
    validate_area(area)
    raise AssertionError("unreachable")  # pragma: no cover


def upper_tier_areas(country: str = "E") -> list[str]:
    """Every upper-tier area of the ONS 2021 deaths-workbook geography (May 2022 boundaries).

    Counties, unitary authorities, metropolitan districts and London boroughs as the ONS
    local-authority drug deaths workbook (2021 registrations) has them: before the April
    2023 reorganisation, so Cumbria, North Yorkshire and Somerset are counties and the
    2023 unitary authorities (E06000063-66) are absent.

    Parameters
    ----------
    country
        ``"E"`` (England) is the only geography with upper tiers in that sense; ``"W"``
        gives the Welsh unitary authorities of the workbook.

    Examples
    --------
    >>> codes = upper_tier_areas()
    >>> len(codes), "E06000058" in codes, "E10000006" in codes, "E06000063" in codes
    (152, True, True, False)
    """
    df = _areas()
    if country == "E":
        return sorted(df.index[df["is_upper_tier_england"]])
    if country == "W":
        return sorted(df.index[df["in_deaths_2021"] & df["type"].eq("welsh_unitary")])
    raise CdpParameterError(f"country must be 'E' or 'W', not {country!r}")


# ------------------------------------------------------------ boundary changes
def predecessors(code: str) -> list[str]:
    """The codes a GSS area directly replaced (sorted; empty when none).

    Examples
    --------
    >>> predecessors("E06000059")
    ['E07000049', 'E07000050', 'E07000051', 'E07000052', 'E07000053', 'E10000009']
    """
    return list(get_area(code).predecessors)


def successors(code: str) -> list[str]:
    """The codes that directly replaced a GSS area (empty while it is current).

    >>> successors("E10000006")
    ['E06000063', 'E06000064']
    """
    return list(get_area(code).replaced_by)


def successor(code: str) -> str | None:
    """The current code an old area's territory now lies in, following chains of changes.

    Returns ``None`` for a code that is still current.

    Raises
    ------
    CdpParameterError
        When the area was split between several successors (no single successor).

    Examples
    --------
    >>> successor("E06000028"), successor("E06000058")
    ('E06000058', None)
    >>> successor("E07000190")  # Taunton Deane -> Somerset West and Taunton -> Somerset
    'E06000066'
    """
    current = code
    seen = {code}
    while True:
        nxt = successors(current)
        if not nxt:
            return None if current == code else current
        if len(nxt) > 1:
            raise CdpParameterError(
                f"{code} ({area_name(code)}) was split between {nxt}; it has no single successor"
            )
        current = nxt[0]
        if current in seen:  # pragma: no cover - malformed table
            raise CdpParameterError(f"circular replaced_by chain at {current}")
        seen.add(current)


def aggregate_predecessors(
    df: pd.DataFrame,
    code_col: str = "area_code",
    value_cols: Sequence[str] = ("count",),
    by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Re-base counts on old boundaries onto their successors by summing them.

    Each row whose code has a single successor (see :func:`successor`) is relabelled with
    that successor; rows are then summed within groups of the code and ``by`` columns.
    Rows already on current codes pass through (and are summed with relabelled rows of
    the same group). Where a county and any of its own districts are in the same group,
    the county rows are dropped, because the districts already make up the county.

    Only **counts** (deaths, people, population, numerators, denominators) can be summed.
    Rates, percentages and age-standardised rates must be recomputed from the summed
    numerators and denominators, never summed or averaged.

    Caveats: a sum is only as complete as its parts (Bournemouth + Poole without
    Christchurch is not BCP), and a missing part (NaN) makes the group's total NaN rather
    than silently too small. Dorset County (E10000009) maps to Dorset Council (E06000059)
    although it also contained Christchurch, now in BCP: county-level series mapped
    this way are approximate.

    Parameters
    ----------
    df
        Long frame with a code column and numeric count columns.
    code_col
        The column holding GSS codes.
    value_cols
        The count columns to sum.
    by
        Columns that define a group besides the code (e.g. ``["period", "sex"]``); default
        every column other than ``code_col`` and ``value_cols`` (drop name columns first).

    Returns
    -------
    pandas.DataFrame
        ``code_col``, the ``by`` columns and the summed ``value_cols``, sorted.

    Raises
    ------
    CdpInputError
        Missing columns, or a code not in ``areas.csv``.
    CdpParameterError
        A code split between several successors.

    Examples
    --------
    >>> old = pd.DataFrame({"area_code": ["E06000028", "E06000029", "E07000048", "E06000059"],
    ...                     "year": [2018, 2018, 2018, 2018], "deaths": [20, 10, 3, 15]})
    >>> aggregate_predecessors(old, value_cols=["deaths"])
       area_code  year  deaths
    0  E06000058  2018      33
    1  E06000059  2018      15
    """
    value_cols = list(value_cols)
    missing = [c for c in [code_col, *value_cols, *(by or [])] if c not in df.columns]
    if missing:
        raise CdpInputError(f"frame lacks columns {missing}", column=missing[0])
    keys = list(by) if by is not None else [c for c in df.columns if c != code_col and c not in value_cols]
    codes = df[code_col].astype(str)
    unknown = ~codes.map(is_area)
    if unknown.any():
        raise CdpInputError("unknown area code", row=list(df.index[unknown][:10]), column=code_col,
                            value=codes[unknown].iloc[0], expected="a GSS code in areas.csv")
    mapping = {c: (successor(c) or c) for c in codes.unique()}
    work = df[[code_col, *keys, *value_cols]].copy()
    work["_orig"] = codes
    work[code_col] = codes.map(mapping)
    # drop a county's rows where its own districts are in the same group
    parent = _areas()["parent"]
    work["_parent"] = work["_orig"].map(parent)
    gkeys = [code_col, *keys]
    present = work.groupby(gkeys, dropna=False)["_parent"].transform(lambda s: " ".join(s.dropna()))
    is_county = work["_orig"].map(_areas()["type"]).eq("county")
    drop = is_county & pd.Series(
        [o in p.split() for o, p in zip(work["_orig"], present, strict=True)], index=work.index
    )
    work = work[~drop]
    out = (
        work.groupby(gkeys, dropna=False, sort=True)[value_cols]
        .sum(min_count=1)
        .reset_index()
    )
    # NaN in any part -> NaN total (a missing part is not zero)
    anynan = work[value_cols].isna().groupby([work[k] for k in gkeys], dropna=False, sort=True).any()
    anynan = anynan.reset_index(drop=True)
    for c in value_cols:
        if anynan[c].any():
            out.loc[anynan[c].to_numpy(), c] = float("nan")
    return out[[code_col, *keys, *value_cols]]


# ------------------------------------------------------------ geography of a report
def name_or_code(code: str) -> str:
    """The name of a GSS code or partnership id, or the code itself when the tables do not know it.

    >>> name_or_code("E06000059"), name_or_code("E99999999")
    ('Dorset', 'E99999999')
    """
    try:
        return area_name(code)
    except CdpParameterError:
        return code


def comparators(area: str) -> list[tuple[str, str]]:
    """``[(code, name), ...]`` of the area's region(s) and England, the benchmarks of every comparison.

    >>> comparators("pan-dorset")
    [('E12000009', 'South West'), ('E92000001', 'England')]
    """
    regions: list[str] = []
    for code in members(area):
        r = get_area(code).region if is_area(code) else ""
        if r and r not in regions:
            regions.append(r)
    out = [(r, area_name(r)) for r in regions if r != ENGLAND]
    return [*out, (ENGLAND, "England")]


def police_forces(codes: Sequence[str]) -> list[str]:
    """Police force areas of the given areas and of the partnerships that hold any of them.

    >>> police_forces(["pan-dorset"]), police_forces(["E06000058"])
    (['E23000039'], ['E23000039'])
    """
    codes = list(codes)
    parts = partnerships()
    hit = parts[parts["partnership_id"].isin(codes) | parts["member_area_code"].isin(codes)]
    table = areas()
    own = table.loc[table["code"].isin(codes), "police_force"] if "police_force" in table else []
    return sorted((set(hit["police_force"].dropna()) | set(pd.Series(own).dropna())) - {""})


def exact_predecessors(have: set[str], codes: Sequence[str]) -> list[str] | None:
    """Old areas in ``have`` whose territory is exactly that of ``codes`` together, or ``None``.

    Figures published for the areas of their time can be summed onto today's boundaries only
    when a set of old areas covers exactly the current ones: each current area has its own
    figure or every one of its predecessors lies inside a chosen old area, and every district
    of a chosen county went to the current areas.

    Examples
    --------
    Bournemouth, Poole and Dorset County make up BCP and Dorset together, but not either
    alone (Christchurch lay in Dorset County and is now in BCP):

    >>> exact_predecessors({"E06000028", "E06000029", "E10000009"}, ["E06000058", "E06000059"])
    ['E06000028', 'E06000029', 'E10000009']
    >>> exact_predecessors({"E06000028", "E06000029", "E10000009"}, ["E06000058"]) is None
    True
    """
    table = areas().set_index("code")
    codes = list(codes)
    chosen = []
    for c in sorted(have):
        try:
            if c in codes or successor(c) in codes:
                chosen.append(c)
        except CdpParameterError:  # unknown, or split between several successors: not usable
            continue
    if not chosen:
        return None
    for c in codes:  # each area has its own figure, or every predecessor lies inside a chosen area
        if c in chosen:
            continue
        preds = predecessors(c)
        if not preds:
            return None
        for p in preds:
            parent = table.at[p, "parent"] if p in table.index else ""
            if p not in chosen and parent not in chosen:
                return None
    for c in chosen:  # a chosen county's districts all went to the current areas
        districts = table.index[table["parent"] == c]
        if any((successor(d) or d) not in codes for d in districts if table.at[d, "type"] == "district"):
            return None
    return chosen
