"""Build ``data/reference/areas.csv`` from the shipped raw lookups and ONS workbooks.

Run from anywhere (paths are relative to this file)::

    python data/reference/build_areas.py            # writes areas.csv next to this script
    python data/reference/build_areas.py --check    # exit 1 if areas.csv is out of date

The output is deterministic (sorted by code, fixed column order, ``\\n`` line endings),
so re-running it on the same raw files changes nothing. Copy the result to
``cdp_analysis/reference/areas.csv`` (``--copy`` does it); a test checks the two are identical.

Inputs (all under ``data/raw/``, read by column header, never by position):

1. ``lookups/Lower_Tier_Local_Authority_to_Upper_Tier_Local_Authority_(December_2022)...csv``
   (LTLA22CD/NM -> UTLA22CD/NM): names and the upper tier of every LTLA in December 2022.
2. ``lookups/Local_Authority_District_to_Community_Safety_Partnerships_to_Police_Force_Areas
   __January_2017__...csv`` (LAD17 -> CSP17 -> PFA17): CSPs, police force areas, and the
   force of each 2017 district (so of the pre-2019 Dorset codes).
3. ``lookups/mysociety_uk_local_authorities_current.csv`` (mySociety, CC BY 4.0): current and
   past councils with start/end dates and ``replaced-by`` (mySociety 3-letter codes, mapped
   to GSS through the same file).
4. ``ons_drug_deaths/original/2021localauthorities.xlsx``, sheet ``Table 1``: the 375 areas of
   the ONS deaths geography (May 2022 boundaries). The column a name sits in gives its level
   (country/region, county/UA/met county/Inner-Outer London, district/borough), which gives
   each area's ``parent``; these areas get ``in_deaths_2021 = True``.
5. ``population/original/*`` sheet ``MYE2 - Persons``: the mid-2020 and mid-2021 (2021
   geography) and mid-2022 (2023 geography) population areas; the ``Geography`` column and
   row order (a county is followed by its districts) give the types and parents.

Columns written:

``code, name, type, parent, region, upper_tier, police_force, valid_from, valid_to,
replaced_by, predecessors, is_upper_tier_england, in_deaths_2021, sources``

- ``type``: country, region, county, metropolitan_county, inner_outer_london, unitary,
  district, metropolitan_district, london_borough, welsh_unitary, scottish_council,
  ni_district, combined_authority, greater_london_authority, police_force, csp (chosen from the GSS code's entity
  prefix, e.g. E06 unitary, E07 district).
- ``parent``: the area it nests in: a district's county, a metropolitan district's
  metropolitan county, a London borough's Inner/Outer London, a UA's or county's region,
  a region's country, a CSP's police force area.
- ``region``: the English region code (``E92000001`` England for the regions themselves;
  the country code for Welsh, Scottish and Northern Irish areas; blank for countries).
- ``upper_tier``: the upper-tier (county or unitary-level) area of a lower-tier district;
  the area itself for counties, UAs, metropolitan districts and London boroughs.
- ``police_force``: the police force area (PFA) code, from the 2017 lookup, carried to
  successor councils and counties when all their parts agree.
- ``valid_from`` / ``valid_to``: first / last day the code was in use, where known (ISO
  dates). mySociety records some end dates as the day of the change (``2023-04-01``); they
  are written as the last day in use (``2023-03-31``). Start dates are kept only when
  they are a reorganisation date (1 April) or a combined authority's creation; the others
  (e.g. 2005-06-19) are the register's own dates, not the council's.
- ``replaced_by``: space-separated successor codes; ``predecessors``: the reverse.
- ``is_upper_tier_england``: the English counties, UAs, metropolitan districts and London
  boroughs of the ONS 2021 deaths workbook: "every English upper-tier area" in that
  geography (May 2022 boundaries, before the April 2023 reorganisation).
- ``in_deaths_2021``: the area is one of the workbook's 375.
- ``sources``: space-separated tags of the inputs that mention the code
  (``ltla_utla_2022 lad_csp_pfa_2017 mysociety ons_deaths_2021 mye2020 mye2021 mye2022``).
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import shutil
import sys
import warnings
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RAW = ROOT / "data" / "raw"
OUT = HERE / "areas.csv"
PACKAGED = ROOT / "cdp_analysis" / "reference" / "areas.csv"

COLUMNS = [
    "code", "name", "type", "parent", "region", "upper_tier", "police_force", "valid_from",
    "valid_to", "replaced_by", "predecessors", "is_upper_tier_england", "in_deaths_2021", "sources",
]

# GSS entity prefix -> type
PREFIX_TYPE = {
    "K02": "country", "K03": "country", "K04": "country", "E92": "country", "W92": "country",
    "S92": "country", "N92": "country", "E12": "region", "E10": "county",
    "E11": "metropolitan_county", "E13": "inner_outer_london", "E06": "unitary",
    "E07": "district", "E08": "metropolitan_district", "E09": "london_borough",
    "W06": "welsh_unitary", "S12": "scottish_council", "N09": "ni_district",
    "E47": "combined_authority", "E23": "police_force", "W15": "police_force",
    "E22": "csp", "W22": "csp", "W14": "csp", "E61": "greater_london_authority",
}
COUNTRY_NAMES = {
    "K02000001": "United Kingdom", "K03000001": "Great Britain", "K04000001": "England and Wales",
    "E92000001": "England", "W92000004": "Wales", "S92000003": "Scotland",
    "N92000002": "Northern Ireland",
}
COUNTRY_PARENT = {
    "K03000001": "K02000001", "K04000001": "K03000001", "E92000001": "K04000001",
    "W92000004": "K04000001", "S92000003": "K03000001", "N92000002": "K02000001",
}
REGION_NAMES = {
    "E12000001": "North East", "E12000002": "North West", "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands", "E12000005": "West Midlands", "E12000006": "East of England",
    "E12000007": "London", "E12000008": "South East", "E12000009": "South West",
}
REGION_BY_NAME = {v: k for k, v in REGION_NAMES.items()}
NATION_CODE = {"E": "E92000001", "W": "W92000004", "S": "S92000003", "N": "N92000002"}
UPPER_TIER_TYPES = {"county", "unitary", "metropolitan_district", "london_borough"}
GSS = re.compile(r"^[EKNSW]\d{8}$")

LTLA_UTLA = "lookups/Lower_Tier_Local_Authority_to_Upper_Tier_Local_Authority_(December_2022)_Lookup_in_England_and_Wales.csv"
LAD_CSP_PFA = "lookups/Local_Authority_District_to_Community_Safety_Partnerships_to_Police_Force_Areas__January_2017__Lookup_in_England_and_Wales_Version_2.csv"
MYSOCIETY = "lookups/mysociety_uk_local_authorities_current.csv"
DEATHS = "ons_drug_deaths/original/2021localauthorities.xlsx"
MYE = {
    "mye2020": "population/original/ukpopestimatesmid2020on2021geography.xls",
    "mye2021": "population/original/ukpopestimatesmid2021on2021geographyfinal.xls",
    "mye2022": "population/original/mye22final.xlsx",
}


class Areas:
    """Accumulates facts per code; the first source to set a field wins."""

    def __init__(self) -> None:
        self.rec: dict[str, dict[str, object]] = {}

    def add(self, code: str, source: str, **fields: object) -> None:
        code = str(code).strip()
        if not GSS.match(code):
            return
        r = self.rec.setdefault(code, {"sources": set()})
        r["sources"].add(source)  # type: ignore[union-attr]
        for k, v in fields.items():
            if v is None or (isinstance(v, float) and pd.isna(v)) or v == "":
                continue
            r.setdefault(k, v)

    def get(self, code: str, field: str) -> object:
        return self.rec.get(code, {}).get(field)


def _read_csv(rel: str) -> pd.DataFrame:
    return pd.read_csv(RAW / rel, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _header_row(raw: pd.DataFrame, first: str) -> int:
    for i in range(min(len(raw), 50)):
        if str(raw.iat[i, 0]).strip().lower().startswith(first.lower()):
            return i
    raise ValueError(f"no header row starting {first!r}")


def _clean_name(name: str) -> str:
    return re.sub(r"\s+", " ", str(name)).strip()


def read_deaths(a: Areas) -> set[str]:
    """Table 1 of the 2021 LA deaths workbook: codes, names and nesting by name column."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = pd.read_excel(RAW / DEATHS, sheet_name="Table 1", header=None, dtype=str,
                            engine="openpyxl")
    h = _header_row(raw, "Area Code")
    # name columns: from the 'Area Names' header to the first year column
    header = [str(x).strip() for x in raw.iloc[h]]
    c0 = header.index("Area Names")
    c1 = next(i for i, x in enumerate(header) if re.match(r"^\d{4}(\.0)?$", x))
    codes: set[str] = set()
    stack: dict[int, str] = {}
    for i in range(h + 1, len(raw)):
        code = str(raw.iat[i, 0]).strip()
        if not GSS.match(code):
            continue
        level = next(j for j in range(c0, c1) if pd.notna(raw.iat[i, j]) and str(raw.iat[i, j]).strip())
        depth = level - c0
        name = _clean_name(raw.iat[i, level])
        if code.startswith("W06") and " / " in name:
            name = name.split(" / ")[0]
        stack[depth] = code
        for d in list(stack):
            if d > depth:
                del stack[d]
        parent = None
        for d in range(depth - 1, -1, -1):
            if d in stack:
                parent = stack[d]
                break
        a.add(code, "ons_deaths_2021", name=name, parent=parent)
        codes.add(code)
    return codes


def read_mye(a: Areas, tag: str, rel: str) -> None:
    """MYE2 - Persons: Code, Name, Geography; a county is followed by its districts."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = pd.read_excel(RAW / rel, sheet_name="MYE2 - Persons", header=None, dtype=str)
    h = _header_row(raw, "Code")
    df = raw.iloc[h + 1:].copy()
    df.columns = [str(x).strip() for x in raw.iloc[h]]
    region = county = None
    for code, name, geog in df[["Code", "Name", "Geography"]].itertuples(index=False):
        code = str(code).strip()
        if not GSS.match(code):
            continue
        geog = str(geog).strip()
        parent = None
        if geog == "Region":
            region, county = code, None
            parent = "E92000001"
        elif geog in ("County", "Metropolitan County"):
            county = code
            parent = region
        elif geog in ("Non-metropolitan District", "Metropolitan District"):
            parent = county
        elif geog == "Unitary Authority" and code.startswith("E"):
            county = None
            parent = region
        elif geog == "London Borough":
            parent = None  # Inner/Outer London come from the deaths workbook
        elif geog == "Country":
            region = county = None
        a.add(code, tag, name=_clean_name(name), parent=parent)


def build() -> pd.DataFrame:
    """Read every input and return the areas table (sorted by code)."""
    a = Areas()
    for code, name in COUNTRY_NAMES.items():
        a.add(code, "fixed", name=name, parent=COUNTRY_PARENT.get(code))
    for code, name in REGION_NAMES.items():
        a.add(code, "fixed", name=name, parent="E92000001")

    lu = _read_csv(LTLA_UTLA)
    for r in lu.itertuples(index=False):
        a.add(r.LTLA22CD, "ltla_utla_2022", name=_clean_name(r.LTLA22NM), upper_tier=r.UTLA22CD)
        a.add(r.UTLA22CD, "ltla_utla_2022", name=_clean_name(r.UTLA22NM), upper_tier=r.UTLA22CD)
        if r.UTLA22CD != r.LTLA22CD and r.UTLA22CD.startswith("E10"):
            a.add(r.LTLA22CD, "ltla_utla_2022", parent=r.UTLA22CD)

    deaths = read_deaths(a)
    for tag in ("mye2022", "mye2021", "mye2020"):
        read_mye(a, tag, MYE[tag])

    pfa = _read_csv(LAD_CSP_PFA)
    for r in pfa.itertuples(index=False):
        a.add(r.LAD17CD, "lad_csp_pfa_2017", name=_clean_name(r.LAD17NM), police_force=r.PFA17CD)
        a.add(r.CSP17CD, "lad_csp_pfa_2017", name=_clean_name(r.CSP17NM), parent=r.PFA17CD,
              police_force=r.PFA17CD)
        a.add(r.PFA17CD, "lad_csp_pfa_2017", name=_clean_name(r.PFA17NM), police_force=r.PFA17CD)

    ms = _read_csv(MYSOCIETY)
    reg2gss = {r["local-authority-code"]: r["gss-code"] for _, r in ms.iterrows() if r["gss-code"]}
    for _, r in ms.iterrows():
        code = r["gss-code"]
        if not code:
            continue
        start = r["start-date"]
        if not (start.endswith("-04-01") or r["local-authority-type"] == "COMB"):
            start = ""  # register dates (e.g. 2005-06-19), not the council's start
        end = r["end-date"]
        if end.endswith("-04-01"):
            end = f"{int(end[:4])}-03-31"
        succ = " ".join(sorted(reg2gss[c] for c in r["replaced-by"].split(",") if c in reg2gss))
        county = reg2gss.get(r["county-la"], "")
        a.add(code, "mysociety", name=_clean_name(r["nice-name"]), valid_from=start,
              valid_to=end, replaced_by=succ, ms_county=county,
              ms_region=REGION_BY_NAME.get(r["region"], ""))

    # ---------------------------------------------------------------- derive
    rec = a.rec
    for code, r in rec.items():
        r["type"] = PREFIX_TYPE.get(code[:3], "other")
    preds: dict[str, set[str]] = {}
    for code, r in rec.items():
        for s in str(r.get("replaced_by", "")).split():
            preds.setdefault(s, set()).add(code)
    for code, r in rec.items():
        r["predecessors"] = " ".join(sorted(preds.get(code, ())))

    # parent of districts missing from the deaths/MYE files (pre-2019 codes): mySociety
    # county, preferring the county of a district successor (mySociety has Forest Heath in Surrey)
    for r in rec.values():
        if r["type"] == "district" and "parent" not in r:
            succ = str(r.get("replaced_by", "")).split()
            cands = [rec[s].get("ms_county") for s in succ if s in rec and rec[s]["type"] == "district"]
            county = next((c for c in cands if c), None) or r.get("ms_county")
            if county:
                r["parent"] = county

    def region_of(code: str, seen: frozenset[str] = frozenset()) -> str:
        r = rec.get(code)
        if r is None or code in seen:
            return ""
        t = r["type"]
        if t == "country":
            return ""
        if t == "region":
            return "E92000001"
        if code[0] in "WSN":
            return NATION_CODE[code[0]]
        p = str(r.get("parent", ""))
        if p.startswith("E12"):
            return p
        if p and p in rec and rec[p]["type"] not in ("police_force",):
            got = region_of(p, seen | {code})
            if got:
                return got
        if r.get("ms_region"):
            return str(r["ms_region"])
        for s in str(r.get("replaced_by", "")).split():
            got = region_of(s, seen | {code})
            if got:
                return got
        return ""

    for code, r in rec.items():
        r["region"] = region_of(code)
    # parent defaults: region for English upper-tier-level areas, country for regions
    for code, r in rec.items():
        if "parent" not in r and r["type"] in ("county", "unitary", "metropolitan_county",
                                               "inner_outer_london", "combined_authority"):
            r["parent"] = r["region"]
        if "parent" not in r and r["type"] in ("welsh_unitary", "scottish_council", "ni_district"):
            r["parent"] = NATION_CODE[code[0]]
    # police force areas: region when all their 2017 districts share one
    for code, r in rec.items():
        if r["type"] == "police_force" and code.startswith("E"):
            regs = {rec[c]["region"] for c, x in rec.items()
                    if x.get("police_force") == code and x["type"] not in ("police_force", "csp")}
            regs.discard("")
            if len(regs) == 1:
                r["region"] = regs.pop()
                r.setdefault("parent", r["region"])

    for r in rec.values():
        if r["type"] == "csp":
            r["region"] = rec.get(str(r.get("parent")), {}).get("region", "") or r["region"]

    # upper tier
    for code, r in rec.items():
        t = r["type"]
        if t in UPPER_TIER_TYPES or t in ("welsh_unitary", "scottish_council", "ni_district"):
            r.setdefault("upper_tier", code)
        elif t == "district" and r.get("parent", "") and str(r["parent"]).startswith("E10"):
            r.setdefault("upper_tier", r["parent"])

    # police force of successors and counties: when all parts agree
    for _ in range(2):
        for code, r in rec.items():
            if "police_force" in r or r["type"] not in ("unitary", "county", "district",
                                                         "metropolitan_district"):
                continue
            parts = set(str(r["predecessors"]).split())
            parts |= {c for c, x in rec.items() if x.get("parent") == code and x["type"] == "district"}
            forces = {rec[p].get("police_force") for p in parts if p in rec}
            if len(forces) == 1 and None not in forces:
                r["police_force"] = forces.pop()

    rows = []
    for code in sorted(rec):
        r = rec[code]
        t = r["type"]
        rows.append({
            "code": code,
            "name": r.get("name", ""),
            "type": t,
            "parent": r.get("parent", "") or "",
            "region": r.get("region", "") or "",
            "upper_tier": r.get("upper_tier", "") or "",
            "police_force": r.get("police_force", "") or "",
            "valid_from": r.get("valid_from", "") or "",
            "valid_to": r.get("valid_to", "") or "",
            "replaced_by": r.get("replaced_by", "") or "",
            "predecessors": r.get("predecessors", "") or "",
            "is_upper_tier_england": bool(code in deaths and code.startswith("E")
                                          and t in UPPER_TIER_TYPES),
            "in_deaths_2021": code in deaths,
            "sources": " ".join(sorted(s for s in r["sources"] if s != "fixed")),  # type: ignore[union-attr]
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def to_csv_text(df: pd.DataFrame) -> str:
    """The CSV text written to disk (deterministic)."""
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if areas.csv is out of date")
    ap.add_argument("--copy", action="store_true", help="also copy to cdp_analysis/reference/")
    args = ap.parse_args(argv)
    text = to_csv_text(build())
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print("areas.csv is up to date" if same else "areas.csv is out of date")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({text.count(chr(10)) - 1} areas)")
    if args.copy:
        shutil.copyfile(OUT, PACKAGED)
        print(f"copied to {PACKAGED}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
