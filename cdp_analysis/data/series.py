"""One clean series out of the long ``observations`` table, and the guard against summing mixtures.

The store keeps every source and edition as published: England's drug-misuse deaths come from
three sources (the local-authority workbook, the national workbook with seven age bands and
two editions, and a compiled series), so ``observations("drug_misuse_deaths",
area_code="E92000001")`` holds 473 rows for 31 years. Summing those rows counts each death
six times. This module gives

* :func:`select_series`: one row per period for one metric, area, sex and age band, from one
  source and, per period, one edition (the latest by default), with the choice stated in the
  frame's columns and ``attrs``;
* :func:`check_single_series`: the check every summing helper runs first, refusing rows that
  mix sources, editions, sexes or age bands for the same area and period.

:meth:`cdp_analysis.data.store.Store.series` and :meth:`~cdp_analysis.data.store.Store.area_profile`
are the store's front doors to these.

Examples
--------
>>> import pandas as pd
>>> obs = pd.DataFrame({"source": ["a", "b", "a"], "metric_id": "m", "area_code": "E1",
...                     "period": ["2021", "2021", "2022"], "sex": "persons", "age": "all ages",
...                     "count": [5.0, 5.0, 6.0], "edition": "e1"})
>>> check_single_series(obs)
Traceback (most recent call last):
...
cdp_analysis.errors.CdpInputError: column 'source': rows from 2 sources ('a', 'b') for the same area and period (first: E1, 2021); summing them would count the same events more than once (expected one source, edition, sex and age band per area and period: take one series with Store.series(metric, area, ...))
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cdp_analysis.errors import CdpInputError, CdpParameterError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["check_single_series", "select_series", "edition_order", "SERIES_COLUMNS"]

#: The columns of a series, after its ``period`` index.
SERIES_COLUMNS = ["period_start", "period_end", "count", "denominator", "value", "lower_95", "upper_95",
                  "status", "source", "edition"]
_MIXING = ("metric_id", "source", "edition", "sex", "age")
_NOUNS = {"metric_id": "metrics", "source": "sources", "edition": "editions", "sex": "sexes",
          "age": "age bands"}
_EXPECTED = ("one source, edition, sex and age band per area and period: take one series with "
             "Store.series(metric, area, ...)")


def check_single_series(frame: pd.DataFrame, by: Sequence[str] = ("area_code", "period"),
                        *, file: str | None = None) -> pd.DataFrame:
    """Refuse rows that would be double counted if summed: mixed sources, editions, sexes or ages.

    Parameters
    ----------
    frame
        ``observations`` rows (any of ``metric_id``, ``source``, ``edition``, ``sex``, ``age``
        may be absent: absent columns are not checked).
    by
        The columns that identify one figure (default area and period).
    file
        Named in the error when the rows came from a file.

    Returns
    -------
    pandas.DataFrame
        ``frame`` itself, unchanged, when every ``by`` group holds one metric, source,
        edition, sex and age band.

    Raises
    ------
    CdpInputError
        Naming the column that mixes, its values and the first area and period affected.
    """
    keys = [c for c in by if c in frame.columns]
    if frame.empty or not keys:
        return frame
    for col in _MIXING:
        if col not in frame.columns:
            continue
        n = frame.groupby(keys, sort=False, dropna=False)[col].nunique(dropna=False)
        bad = n[n > 1]
        if len(bad):
            first = bad.index[0]
            where = ", ".join(map(str, first if isinstance(first, tuple) else (first,)))
            values = sorted(map(str, frame[col].dropna().unique()))
            shown = ", ".join(repr(v) for v in values[:4]) + (", ..." if len(values) > 4 else "")
            raise CdpInputError(
                f"rows from {len(values)} {_NOUNS[col]} ({shown}) for the same area and period "
                f"(first: {where}); summing them would count the same events more than once",
                file=file, column=col, expected=_EXPECTED,
            )
    return frame


def edition_order(edition: Any) -> tuple[int, str]:
    """Sort key of an edition label: the last four-digit year in it, then the label.

    >>> sorted(["2022 registrations", "compiled 1993-2023", "2021 registrations"], key=edition_order)
    ['2021 registrations', '2022 registrations', 'compiled 1993-2023']
    """
    text = "" if edition is None else str(edition)
    years = re.findall(r"(?<!\d)(\d{4})(?!\d)", text)
    return (int(years[-1]) if years else -1, text)


def _one_of(frame: pd.DataFrame, column: str, wanted: str, what: str, context: str) -> pd.DataFrame:
    from cdp_analysis.reference import suggest

    if wanted in set(frame[column]):
        return frame[frame[column] == wanted]
    have = sorted(map(str, frame[column].dropna().unique()))
    raise CdpParameterError(f"no {what} {wanted!r} for {context}; the store holds {have}" + suggest(wanted, have))


def select_series(
    obs: pd.DataFrame,
    metric: str,
    area: str,
    *,
    sex: str = "persons",
    age: str = "all ages",
    edition: str = "latest",
    source: str | None = None,
) -> pd.DataFrame:
    """One row per period for one metric and area, from one source (pure function over rows).

    Parameters
    ----------
    obs
        ``observations`` rows (any metrics and areas; filtered here).
    metric, area
        Metric id and GSS code.
    sex, age
        The sex (``"persons"``, ``"males"``, ``"females"``) and age band (``"all ages"``, or
        a band the source publishes, such as ``"20-29"`` or ``"18+"``). When the metric has
        one age band only (e.g. ``"16+"``), ``age="all ages"`` takes it.
    edition
        ``"latest"`` (default): for each period, the latest edition of the source that gives
        it (a later edition revises earlier years); or one edition's label.
    source
        The source; by default the one reaching the latest period (then the one with most
        periods). The choice and the sources not used are in ``attrs``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``period`` (label, in time order), columns ``period_start, period_end,
        count, denominator, value, lower_95, upper_95, status, source, edition``; ``attrs``
        holds ``metric_id``, ``area_code``, ``sex``, ``age``, ``source``, ``editions`` and
        ``other_sources``. Empty (same columns) when the store has no rows for the metric and
        area.

    Raises
    ------
    CdpParameterError
        A sex, age band, source or edition the rows do not hold, with the ones they do.

    Examples
    --------
    >>> import pandas as pd
    >>> obs = pd.DataFrame({
    ...     "source": ["la", "nat", "nat", "nat", "nat"], "metric_id": "deaths", "area_code": "E92000001",
    ...     "period": ["2021", "2021", "2021", "2021", "2022"], "sex": "persons",
    ...     "age": ["all ages", "all ages", "0-19", "all ages", "all ages"],
    ...     "count": [2846.0, 2846.0, 60.0, 2846.0, 2906.0],
    ...     "edition": ["2021 registrations", "2021 registrations", "2021 registrations",
    ...                 "2022 registrations", "2022 registrations"]})
    >>> s = select_series(obs, "deaths", "E92000001")
    >>> s[["count", "source", "edition"]]
             count source             edition
    period
    2021    2846.0    nat  2022 registrations
    2022    2906.0    nat  2022 registrations
    >>> s.attrs["other_sources"]
    ['la']
    """
    import pandas as pd

    rows = obs[(obs["metric_id"] == metric) & (obs["area_code"] == area)]
    if "period_end" not in rows.columns or "period_start" not in rows.columns:
        from cdp_analysis.periods import Period

        parsed = [Period.parse(str(p)) for p in rows["period"]]
        rows = rows.assign(period_start=pd.to_datetime([p.start for p in parsed]),
                           period_end=pd.to_datetime([p.end for p in parsed]))
    cols = [c for c in SERIES_COLUMNS if c in rows.columns]
    context = f"{metric} in {area}"
    attrs: dict[str, Any] = {"metric_id": metric, "area_code": area, "sex": sex, "age": age}
    if rows.empty:
        out = pd.DataFrame(columns=cols, index=pd.Index([], name="period"))
        out.attrs.update(attrs, source=None, editions=[], other_sources=[])
        return out
    if "sex" in rows.columns:
        rows = _one_of(rows, "sex", sex, "sex", context)
    if "age" in rows.columns:
        ages = set(rows["age"])
        if age == "all ages" and age not in ages and len(ages) == 1:
            age = next(iter(ages))  # the only band published (e.g. "16+") is the whole population
            attrs["age"] = age
        rows = _one_of(rows, "age", age, "age band", context)
    sources = list(dict.fromkeys(rows["source"]))
    if source is None:
        spans = rows.groupby("source").agg(last=("period_end", "max"), n=("period", "nunique"))
        spans = spans.sort_values(["last", "n"], ascending=False, kind="stable")
        source = str(spans.index[0])
    else:
        rows = _one_of(rows, "source", source, "source", context)
    rows = rows[rows["source"] == source]
    if edition != "latest":
        rows = _one_of(rows, "edition", edition, "edition", f"{context} from {source}")
    rows = rows.assign(_order=rows["edition"].map(edition_order))
    rows = rows.sort_values(["period_start", "period_end", "_order"], kind="stable")
    rows = rows.drop_duplicates(["period"], keep="last")
    out = rows.set_index("period")[cols]
    attrs.update(source=source, editions=sorted(set(out["edition"]), key=edition_order),
                 other_sources=[s for s in sources if s != source])
    out.attrs.update(attrs)
    return out
