"""Area names to GSS codes, for publishers' files that name areas without codes.

Some files give only a name ("Dorset", "Bristol, City of", "Halton and St. Helens"). A
name means different territories at different times: DfE's and NHS Digital's "Dorset"
before April 2019 is Dorset **County** (E10000009, with Christchurch), after it Dorset
Council (E06000059). :func:`resolve_name` therefore looks the name up among the England
areas of :mod:`cdp_analysis.areas` that can hold such figures (England, regions, counties,
unitary authorities, metropolitan districts, London boroughs) and, when several areas
share the name, keeps the one whose lifetime (``valid_from`` to ``valid_to``) overlaps the
period of the figure.

Names are compared without case, punctuation, a trailing "County", ", County of" or
", City of", or a leading "County" or "City of" before a one-word name (``Dorset County``
and ``Dorset`` match; ``Herefordshire, County of`` and ``Herefordshire``; ``County
Durham`` and ``Durham``; ``City of Bristol`` and ``Bristol``); ``&`` reads as ``and``.

Examples
--------
>>> import datetime as dt
>>> resolve_name("Dorset", dt.date(2016, 9, 1), dt.date(2017, 8, 31))
'E10000009'
>>> resolve_name("Dorset", dt.date(2019, 4, 1), dt.date(2020, 3, 31))
'E06000059'
>>> resolve_name("Bristol, City of", dt.date(2016, 9, 1), dt.date(2017, 8, 31))
'E06000023'
>>> resolve_name("Atlantis", dt.date(2016, 9, 1), dt.date(2017, 8, 31)) is None
True
"""

from __future__ import annotations

import datetime as _dt
import re
from functools import lru_cache

__all__ = ["name_key", "resolve_name", "AREA_TYPES"]

#: Area types a publisher's figures by name can stand for.
AREA_TYPES = ("country", "region", "inner_outer_london", "county", "unitary", "metropolitan_district",
              "london_borough")
_SUFFIX = re.compile(r"(?:,? county of|,? city of| county| council)$")
_PREFIX = re.compile(r"^(?:county|city of) (?!of\b)(?=\w+$)")


def name_key(name: object) -> str:
    """The comparison form of an area name (lower case, ``&`` -> ``and``, no punctuation).

    >>> name_key("Halton & St. Helens"), name_key("Herefordshire, County of")
    ('halton and st helens', 'herefordshire county of')
    """
    t = str(name).lower().replace("&", " and ")
    t = re.sub(r"[.,'()]", " ", t).replace("-", " ")
    return " ".join(t.split())


def _keys(name: object) -> list[str]:
    full = " ".join(str(name).lower().replace("&", " and ").split())
    stripped = _PREFIX.sub("", _SUFFIX.sub("", full))
    return list(dict.fromkeys([name_key(full), name_key(stripped)]))


@lru_cache(maxsize=1)
def _index() -> dict[str, list[tuple[str, _dt.date, _dt.date]]]:
    import pandas as pd

    from cdp_analysis import areas

    df = areas.areas()
    df = df[df["type"].isin(AREA_TYPES) & df["code"].str.startswith("E")]
    out: dict[str, list[tuple[str, _dt.date, _dt.date]]] = {}
    for code, name, start, end in df[["code", "name", "valid_from", "valid_to"]].itertuples(index=False):
        s = pd.to_datetime(start).date() if str(start) not in ("", "nan", "None", "NaT") else _dt.date(1900, 1, 1)
        e = pd.to_datetime(end).date() if str(end) not in ("", "nan", "None", "NaT") else _dt.date(9999, 12, 31)
        for k in _keys(name):
            out.setdefault(k, []).append((code, s, e))
    return out


def resolve_name(name: object, start: _dt.date, end: _dt.date) -> str | None:
    """The GSS code of the England area called ``name`` for figures of ``start``-``end``.

    Returns ``None`` when no area has the name, or when several do and not exactly one of
    them existed during the period (the caller raises a :class:`CdpInputError` naming the
    row).
    """
    index = _index()
    found: dict[str, tuple[_dt.date, _dt.date]] = {}
    for k in _keys(name):  # the name as written first; the shortened form only when that fails
        for code, s, e in index.get(k, []):
            found[code] = (s, e)
        if found:
            break
    if not found:
        return None
    if len(found) == 1:
        return next(iter(found))
    live = [c for c, (s, e) in found.items() if s <= end and e >= start]
    if len(live) == 1:
        return live[0]
    # a name shared by an area and its successor over a period that straddles the change
    whole = [c for c, (s, e) in found.items() if s <= start and e >= end]
    return whole[0] if len(whole) == 1 else None
