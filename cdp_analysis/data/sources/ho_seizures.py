"""Home Office drug seizures by police force area, and England and Wales totals.

Source: Home Office, *Seizures of drugs in England and Wales* (financial years ending March
2009 to 2019; Open Government Licence v3.0), as compiled into CSVs by the
``LeonardoCastro/BritishDrugDynamics`` repository (PROVENANCE §6b):

``SeizuresYY-YY.csv``
    Number of seizures by police force (39 English forces, British Transport Police, Border
    Force; no Welsh forces) and drug, for the financial year in the name
    (``Seizures15-16`` -> ``2015/16``). ``metric_id`` ``drug_seizures`` (all drugs) and
    ``drug_seizures_<drug>`` (see :data:`DRUGS`); class totals ``drug_seizures_class_a`` /
    ``_class_b`` / ``_class_c`` count seizures of any drug of the class, so they are less than
    or equal to the sum of the drugs (one seizure can hold several drugs).
``QuantitiesYY-YY.csv``
    Quantity seized, ``metric_id`` ``drug_seizure_quantity_<drug>``, in the Home Office
    table's unit for the drug (kilograms for most drugs, doses for tablets and LSD, plants
    for cannabis plants; the compiled CSV does not state them).
``seizures_EW.csv`` / ``quantities_EW.csv``
    England and Wales (``K04000001``) by year. The ``year`` column is the year the financial
    year *ends*: ``2019`` is 2018/19. Only under that reading are the force files' sums at or
    below the England and Wales totals in every year (e.g. 2017/18 cannabis plants: forces
    330,929 against 354,540 for "2018" but 318,988 for "2017").

Rows: ``source`` ``ho_drug_seizures`` (numbers) or ``ho_drug_seizure_quantities``
(quantities), ``period`` the financial year, ``sex`` ``persons``, ``age`` ``all ages``,
``count`` = ``value`` (``count`` missing for quantities), ``edition`` from the file
(``2015/16 by police force``, ``England and Wales 2008/09-2018/19``). A blank cell (whole
rows for Bedfordshire and Hampshire in some years) is missing with ``status`` ``x``.

Area codes: police force area GSS codes ``E23...`` from ``data/reference/areas.csv`` (type
``police_force``), matched by name after :data:`FORCE_NAME_FIXES`; British Transport Police
``british-transport-police`` and Border Force ``border-force`` (neither has a GSS code).

Quirks handled: UTF-8 byte-order mark; header names padded with spaces or holding a newline
("Anabolic\\nsteroids", "Mephedrone\\n(non-injection)"), a digit for a hyphen
("Anabolic0steroids"); column sets that change between years (ketamine moved to class B in
2014, mephedrone added in 2015/16); mislabelled headers repaired by :data:`HEADER_FIXES`
(2014/15 labels shifted by one column after Barbiturates; 2015/16 "Total Class C" in place
of "Total Class B"). Every seizures file is then checked: each class total must be at least
each drug of the class and "All drugs" at least each class total, so a shifted or
mislabelled column raises :class:`~cdp_analysis.errors.CdpInputError` naming the row and
column. One published row breaks that rule and is kept as published
(:data:`KNOWN_INCONSISTENCIES`: Leicestershire 2015/16, All drugs 1,069 below its class B
total 1,180). Footnote digits after a force name ("Kent 4" in Quantities17-18) are dropped.

Examples
--------
>>> financial_year("Seizures15-16.csv")
'2015/16'
>>> drug_key(" Anabolic \\nsteroids ")
'anabolic_steroids'
>>> drug_key("Anabolic0steroids"), drug_key("Total Class B"), drug_key("All drugs")
('anabolic_steroids', 'class_b', 'all')
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from cdp_analysis.data.schema import OBSERVATION_COLUMNS, check_observations
from cdp_analysis.data.store import SourceSpec
from cdp_analysis.errors import CdpInputError
from cdp_analysis.periods import Period

__all__ = [
    "DRUGS",
    "EW_CODE",
    "FORCE_NAME_FIXES",
    "HEADER_FIXES",
    "KNOWN_INCONSISTENCIES",
    "SOURCE",
    "SOURCE_QUANTITIES",
    "SPECS",
    "drug_key",
    "financial_year",
    "read",
    "metric_id",
]

SOURCE = "ho_drug_seizures"
SOURCE_QUANTITIES = "ho_drug_seizure_quantities"
EW_CODE = "K04000001"
AGE = "all ages"

#: drug key -> (label, class); the keys make the metric ids.
DRUGS: dict[str, tuple[str, str]] = {
    "all": ("All drugs", ""),
    "class_a": ("Class A (any)", "total_a"), "cocaine": ("Cocaine", "a"), "crack": ("Crack", "a"),
    "ecstasy": ("Ecstasy", "a"), "heroin": ("Heroin", "a"), "lsd": ("LSD", "a"),
    "methadone": ("Methadone", "a"), "morphine": ("Morphine", "a"), "other_class_a": ("Other Class A", "a"),
    "class_b": ("Class B (any)", "total_b"), "cannabis": ("Cannabis (all)", "b"),
    "herbal_cannabis": ("Herbal cannabis", ""), "cannabis_resin": ("Cannabis resin", ""),
    "cannabis_plants": ("Cannabis plants", ""), "amphetamines": ("Amphetamines", "b"),
    "barbiturates": ("Barbiturates", "b"), "mephedrone": ("Mephedrone (non-injection)", "b"),
    "other_class_b": ("Other Class B", "b"),
    "ketamine": ("Ketamine", ""),  # class C until June 2014, class B since
    "class_c": ("Class C (any)", "total_c"), "anabolic_steroids": ("Anabolic steroids", "c"),
    "benzodiazepines": ("Benzodiazepines", "c"), "ghb": ("GHB", "c"), "temazepam": ("Temazepam", "c"),
    "other_class_c": ("Other Class C", "c"),
    "unknown": ("Unknown", ""),
}
_ALIASES = {
    "all drugs": "all", "total": "all", "total class a": "class_a", "all class a": "class_a",
    "total class b": "class_b", "all class b": "class_b", "total class c": "class_c",
    "all class c": "class_c", "all cannabis": "cannabis", "total cannabis": "cannabis",
    "mephedrone (non-injection)": "mephedrone", "anabolic steroids": "anabolic_steroids",
    "anabolic-steroids": "anabolic_steroids", "anabolic0steroids": "anabolic_steroids",
}

#: Police force names in the files that differ from ``areas.csv`` (normalised, lower case) -> code.
FORCE_NAME_FIXES: dict[str, str] = {
    "devon and cornwall": "E23000035",  # areas.csv: "Devon & Cornwall"
    "metropolitan police": "E23000001",
    "metropolitan": "E23000001",
    "london, city of": "E23000034",
    "city of london": "E23000034",
    "british transport police": "british-transport-police",
    "border force": "border-force",
}

_STD_2014 = ("Police force", "All drugs", "Cocaine", "Crack", "Ecstasy", "Heroin", "LSD", "Methadone",
             "Morphine", "Other Class A", "Total Class A", "All Cannabis", "Amphetamines", "Barbiturates")
#: Whole headers known to be mislabelled in the compilation -> the labels that fit the figures.
HEADER_FIXES: dict[tuple[str, ...], tuple[str, ...]] = {
    # 2014/15: ketamine moved to class B, but the labels kept the 2013/14 order
    _STD_2014 + ("Other Class B", "Total Class B", "Anabolic-steroids", "Benzodiazepines", "GHB",
                 "Ketamine", "Temazepam", "Other Class C", "Other Class C", "Unknown"):
    _STD_2014 + ("Ketamine", "Other Class B", "Total Class B", "Anabolic steroids", "Benzodiazepines",
                 "GHB", "Temazepam", "Other Class C", "Total Class C", "Unknown"),
    # 2015/16: "Total Class C" where "Total Class B" belongs
    _STD_2014 + ("Ketamine", "Mephedrone (non-injection)", "Other Class B", "Total Class C",
                 "Anabolic-steroids", "Benzodiazepines", "GHB", "Temazepam", "Other Class C",
                 "Total Class C", "Unknown"):
    _STD_2014 + ("Ketamine", "Mephedrone (non-injection)", "Other Class B", "Total Class B",
                 "Anabolic-steroids", "Benzodiazepines", "GHB", "Temazepam", "Other Class C",
                 "Total Class C", "Unknown"),
}

#: Rows kept as published although a total is below one of its parts (publisher's figures):
#: ``(file name, police force, column)``.
KNOWN_INCONSISTENCIES: set[tuple[str, str, str]] = {
    # All drugs 1,069 but Class B 1,180 and cannabis 1,067: the published total looks short
    ("Seizures15-16.csv", "Leicestershire", "All drugs"),
}

_FY_FILE = re.compile(r"(?:Seizures|Quantities)(\d{2})-(\d{2})", re.I)


def _clean(label: str) -> str:
    return " ".join(str(label).split())


def drug_key(label: str) -> str:
    """The drug key of a column label (spaces, newlines, case and known misspellings ignored).

    Raises
    ------
    CdpInputError
        When the label names no known drug.
    """
    text = _clean(label).lower()
    if text in _ALIASES:
        return _ALIASES[text]
    key = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    if key in DRUGS:
        return key
    raise CdpInputError("not a drug column", column=_clean(label), value=_clean(label),
                        expected="one of " + ", ".join(v[0] for v in DRUGS.values()))


def metric_id(key: str, quantity: bool = False) -> str:
    """``drug_seizures`` / ``drug_seizures_<key>`` or ``drug_seizure_quantity_<key>``."""
    if quantity:
        return f"drug_seizure_quantity_{key}"
    return "drug_seizures" if key == "all" else f"drug_seizures_{key}"


def financial_year(name: str | os.PathLike[str]) -> str:
    """The financial year of a force file from its name: ``Seizures15-16`` -> ``'2015/16'``."""
    m = _FY_FILE.search(Path(name).name)
    if not m or (int(m[1]) + 1) % 100 != int(m[2]):
        raise CdpInputError("the file name does not give a financial year", file=str(name),
                            expected="a name like Seizures15-16.csv or Quantities15-16.csv")
    return f"{2000 + int(m[1])}/{m[2]}"


def _force_codes() -> dict[str, str]:
    from cdp_analysis.areas import areas

    a = areas()
    forces = a[a["type"] == "police_force"]
    out = {_clean(n).lower().replace("&", "and"): c for n, c in zip(forces["name"], forces["code"], strict=True)}
    out.update(FORCE_NAME_FIXES)
    return out


def _numbers(path: str, rows: list[list[str]], cols: list[int], labels: list[str],
             whole: bool, recs: list[int]) -> tuple[np.ndarray, np.ndarray]:
    vals = np.full((len(rows), len(cols)), np.nan)
    for i, row in enumerate(rows):
        for j, c in enumerate(cols):
            text = row[c].strip().replace(",", "") if c < len(row) else ""
            if text == "":
                continue
            try:
                v = float(text)
            except ValueError:
                raise CdpInputError("not a number", file=path, row=recs[i], column=labels[j], value=row[c],
                                    expected="a number or an empty cell") from None
            if v < 0 or (whole and v != int(v)):
                raise CdpInputError("not a count" if whole else "a negative quantity", file=path, row=recs[i],
                                    column=labels[j], value=row[c],
                                    expected="a whole number of seizures, 0 or more" if whole else "0 or more")
            vals[i, j] = v
    return vals, np.where(np.isnan(vals), "x", "")


def _check_totals(path: str, keys: list[str], labels: list[str], vals: np.ndarray, names: list[str],
                  recs: list[int]) -> None:
    """Each class total >= each of its drugs; All drugs >= each class total (bar :data:`KNOWN_INCONSISTENCIES`)."""
    file = Path(path).name
    idx = {k: j for j, k in enumerate(keys)}
    groups = {f"class_{c}": [k for k in keys if DRUGS[k][1] == c] for c in "abc"}
    checks = [(t, members) for t, members in groups.items() if t in idx]
    if "all" in idx:
        checks.append(("all", [t for t in ("class_a", "class_b", "class_c") if t in idx]))
    for total, members in checks:
        for k in members:
            with np.errstate(invalid="ignore"):
                bad = vals[:, idx[k]] > vals[:, idx[total]]
            for i in np.flatnonzero(bad):
                if (file, names[i], labels[idx[total]]) in KNOWN_INCONSISTENCIES:
                    bad[i] = False
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise CdpInputError(
                    f"{labels[idx[k]]} ({vals[i, idx[k]]:g}) exceeds {labels[idx[total]]} "
                    f"({vals[i, idx[total]]:g}) for {names[i]}: the columns look shifted or mislabelled",
                    file=path, row=recs[i], column=labels[idx[total]],
                    expected=f"{labels[idx[total]]} at least as large as each drug it covers",
                )


def read(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read one Home Office seizures CSV (force or England and Wales; numbers or quantities).

    Parameters
    ----------
    path
        ``SeizuresYY-YY.csv``, ``QuantitiesYY-YY.csv``, ``seizures_EW.csv`` or
        ``quantities_EW.csv``.

    Returns
    -------
    pandas.DataFrame
        Rows of ``observations`` (see the module notes for metric ids, units and codes).

    Raises
    ------
    CdpInputError
        An unknown or repeated column or police force, a cell that is not a number (or, for
        numbers of seizures, not a whole number), a class total below one of its drugs; each
        names the file, the row (spreadsheet numbering, header = 1) and the column.
    """
    path = str(path)
    name = Path(path).name
    quantity = name.lower().startswith("quantities")
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = [r for r in csv.reader(fh)]
    except UnicodeDecodeError as exc:
        from cdp_analysis.data.sources._excel import find_bad_bytes

        bad = find_bad_bytes(Path(path).read_bytes())
        raise CdpInputError("not UTF-8 text (saved as Windows-1252/ANSI?)", file=path,
                            row=bad.record if bad else None, column=bad.column_name() if bad else None,
                            value=bad.text if bad else None, expected="a UTF-8 CSV") from exc
    if not rows:
        raise CdpInputError("the file is empty", file=path, row=1)
    header = tuple(_clean(h) for h in rows[0])
    header = HEADER_FIXES.get(header, header)
    body = [r for r in rows[1:] if any(c.strip() for c in r)]
    # the record number (header = 1) of each body row, blank rows skipped
    recs = [k for k, r in enumerate(rows, start=1) if k > 1 and any(c.strip() for c in r)]
    national = "_ew" in name.lower()
    first = header[0].lower()
    want = "year" if national else "police force"
    if first != want:
        raise CdpInputError(f"the first column is {header[0]!r}", file=path, row=1, column=header[0] or "A",
                            expected=f"'{want}' then one column per drug")
    labels = list(header[1:])
    keys = []
    for lab in labels:
        try:
            keys.append(drug_key(lab))
        except CdpInputError as exc:
            raise CdpInputError(exc.message, file=path, row=1, column=lab, expected=exc.expected) from None
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise CdpInputError(f"more than one column for {DRUGS[dup[0]][0]}", file=path, row=1,
                            column=labels[keys.index(dup[0])], expected="one column per drug")
    for i, r in enumerate(body):
        if len(r) != len(header):
            raise CdpInputError(f"{len(r)} cells in a row under a header of {len(header)}", file=path,
                                row=recs[i], column=header[min(len(r), len(header) - 1)],
                                expected=f"{len(header)} cells", value=r[0])
    vals, status = _numbers(path, body, list(range(1, len(header))), labels, whole=not quantity, recs=recs)
    ids = [r[0].strip() for r in body]
    if national:
        try:
            years = [int(y) for y in ids]
        except ValueError:
            bad = next(i for i, y in enumerate(ids) if not y.isdigit())
            raise CdpInputError("not a year", file=path, row=recs[bad], column=header[0], value=ids[bad],
                                expected="a year like 2019 (the year the financial year ends)") from None
        periods = [f"{y - 1}/{y % 100:02d}" for y in years]
        areas = [EW_CODE] * len(body)
        edition = f"England and Wales {min(periods)}-{max(periods)}"
        if len(set(years)) != len(years):
            twice = next(i for i, y in enumerate(years) if years.index(y) != i)
            raise CdpInputError("a year appears twice", file=path, row=recs[twice], column=header[0],
                                value=ids[twice], expected="one row per year")
    else:
        fy = financial_year(name)
        codes = _force_codes()
        areas = []
        for i, n in enumerate(ids):
            n = re.sub(r"\s+\d+$", "", _clean(n))  # footnote markers: "Kent 4"
            ids[i] = n
            code = codes.get(n.lower().replace("&", "and"))
            if code is None:
                raise CdpInputError("unknown police force", file=path, row=recs[i], column=header[0], value=n,
                                    expected="a police force area name from areas.csv, British Transport "
                                    "Police or Border Force")
            if code in areas:
                raise CdpInputError("a police force appears twice", file=path, row=recs[i], column=header[0],
                                    value=n, expected="one row per force")
            areas.append(code)
        periods = [fy] * len(body)
        edition = f"{fy} by police force"
    if not quantity:
        _check_totals(path, keys, labels, vals, ids, recs)
    n_rows, n_cols = vals.shape
    spans = {p: Period.parse(p) for p in set(periods)}
    per = np.repeat(np.array(periods, dtype=object), n_cols)
    value = vals.ravel()
    df = pd.DataFrame({
        "source": SOURCE_QUANTITIES if quantity else SOURCE,
        "metric_id": np.tile(np.array([metric_id(k, quantity) for k in keys], dtype=object), n_rows),
        "area_code": np.repeat(np.array(areas, dtype=object), n_cols),
        "period": per,
        "period_start": pd.to_datetime([spans[p].start for p in per]),
        "period_end": pd.to_datetime([spans[p].end for p in per]),
        "sex": "persons",
        "age": AGE,
        "count": np.nan if quantity else value,
        "denominator": np.nan,
        "value": value,
        "lower_95": np.nan,
        "upper_95": np.nan,
        "status": status.ravel(),
        "edition": edition,
    })
    df["count"] = df["count"].astype(float)
    return check_observations(df[list(OBSERVATION_COLUMNS)], file=path)


_DIR = "raw/police/home_office_drug_seizures_by_pfa/"
SPECS = [
    SourceSpec("observations", SOURCE, _DIR + "Seizures[0-9]*-[0-9]*.csv", read,
               description="Home Office drug seizures by police force area (number)"),
    SourceSpec("observations", SOURCE_QUANTITIES, _DIR + "Quantities[0-9]*-[0-9]*.csv", read,
               description="Home Office drug seizures by police force area (quantity)"),
    SourceSpec("observations", SOURCE, _DIR + "seizures_EW.csv", read,
               description="Home Office drug seizures, England and Wales (number)"),
    SourceSpec("observations", SOURCE_QUANTITIES, _DIR + "quantities_EW.csv", read,
               description="Home Office drug seizures, England and Wales (quantity)"),
]
