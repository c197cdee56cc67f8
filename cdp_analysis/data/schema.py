"""The tidy tables of the store (docs/design.md §5) and checks that a loader's output fits them.

``observations`` (**contract**) is one long table for every published indicator and count::

    source, metric_id, area_code, period, period_start, period_end, sex, age,
    count, denominator, value, lower_95, upper_95, status, edition

``status`` holds the official shorthand, space separated when several apply: ``c``
suppressed, ``u`` unreliable (10-19 events), ``p`` provisional, ``r`` revised, ``x`` not
available, ``z`` not applicable, ``f`` forecast. A suppressed value is missing with a
flag, never 0.

``population``: ``area_code, year, sex, age, population, source, edition`` (one row per
single year of age; ``age`` 90 means 90 and over; ``sex`` is ``persons``, ``males`` or
``females``; ``year`` is the mid-year of the estimate).

``returns``: the partnership's own figures (docs/design.md §4), see :mod:`cdp_analysis.data.returns`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cdp_analysis.errors import CdpInputError
from cdp_analysis.periods import Period

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "OBSERVATION_COLUMNS",
    "POPULATION_COLUMNS",
    "RETURNS_COLUMNS",
    "STATUS_CODES",
    "add_period_bounds",
    "SEXES",
    "check_observations",
    "check_population",
]

OBSERVATION_COLUMNS: dict[str, str] = {
    "source": "VARCHAR",
    "metric_id": "VARCHAR",
    "area_code": "VARCHAR",
    "period": "VARCHAR",
    "period_start": "DATE",
    "period_end": "DATE",
    "sex": "VARCHAR",
    "age": "VARCHAR",
    "count": "DOUBLE",
    "denominator": "DOUBLE",
    "value": "DOUBLE",
    "lower_95": "DOUBLE",
    "upper_95": "DOUBLE",
    "status": "VARCHAR",
    "edition": "VARCHAR",
}
OBSERVATION_KEY = ("source", "metric_id", "area_code", "period", "sex", "age", "edition")

POPULATION_COLUMNS: dict[str, str] = {
    "area_code": "VARCHAR",
    "year": "INTEGER",
    "sex": "VARCHAR",
    "age": "INTEGER",
    "population": "DOUBLE",
    "source": "VARCHAR",
    "edition": "VARCHAR",
}
POPULATION_KEY = ("area_code", "year", "sex", "age", "source")

RETURNS_COLUMNS: dict[str, str] = {
    "partnership": "VARCHAR",
    "metric_id": "VARCHAR",
    "area_code": "VARCHAR",
    "period": "VARCHAR",
    "period_start": "DATE",
    "period_end": "DATE",
    "value": "DOUBLE",
    "target": "DOUBLE",
    "target_period": "VARCHAR",
    "published_projection": "DOUBLE",
    "published_change_pct": "DOUBLE",
    "published_status": "VARCHAR",
    "note": "VARCHAR",
    "status": "VARCHAR",
    "source_file": "VARCHAR",
    "source_row": "INTEGER",
}

STATUS_CODES = {
    "c": "suppressed",
    "u": "unreliable (10-19 events)",
    "p": "provisional",
    "r": "revised",
    "x": "not available",
    "z": "not applicable",
    "f": "forecast",
}
SEXES = ("persons", "males", "females")


def _check_columns(df: pd.DataFrame, columns: dict[str, str], what: str, file: str | None) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise CdpInputError(
            f"a {what} frame lacks columns {missing}", file=file, expected=f"columns {list(columns)}"
        )


def check_observations(df: pd.DataFrame, *, file: str | None = None) -> pd.DataFrame:
    """Check a loader's output against the ``observations`` schema; return it in column order.

    Raises
    ------
    CdpInputError
        Missing columns, unknown status codes, unknown sexes, or duplicated keys.
    """
    _check_columns(df, OBSERVATION_COLUMNS, "observations", file)
    out = df[list(OBSERVATION_COLUMNS)].copy()
    status = out["status"].fillna("").astype(str)
    bad = ~status.str.split().map(lambda codes: all(c in STATUS_CODES for c in codes))
    if bad.any():
        raise CdpInputError(
            "unknown status code", file=file, row=list(out.index[bad][:10]), column="status",
            value=status[bad].iloc[0], expected=f"space-separated codes from {sorted(STATUS_CODES)}",
        )
    badsex = ~out["sex"].isin(SEXES)
    if badsex.any():
        raise CdpInputError(
            "unknown sex", file=file, row=list(out.index[badsex][:10]), column="sex",
            value=out.loc[badsex, "sex"].iloc[0], expected=f"one of {SEXES}",
        )
    dup = out.duplicated(list(OBSERVATION_KEY), keep=False)
    if dup.any():
        raise CdpInputError(
            "duplicated observation key", file=file, row=list(out.index[dup][:10]),
            expected=f"one row per {OBSERVATION_KEY}",
        )
    return out


def check_population(df: pd.DataFrame, *, file: str | None = None) -> pd.DataFrame:
    """Check a loader's output against the ``population`` schema; return it in column order."""
    _check_columns(df, POPULATION_COLUMNS, "population", file)
    out = df[list(POPULATION_COLUMNS)].copy()
    badsex = ~out["sex"].isin(SEXES)
    if badsex.any():
        raise CdpInputError(
            "unknown sex", file=file, row=list(out.index[badsex][:10]), column="sex",
            value=out.loc[badsex, "sex"].iloc[0], expected=f"one of {SEXES}",
        )
    neg = out["population"] < 0
    if neg.any():
        raise CdpInputError(
            "negative population", file=file, row=list(out.index[neg][:10]), column="population",
            expected="a count of 0 or more",
        )
    return out


def add_period_bounds(df: pd.DataFrame) -> dict[str, Period]:
    """Add ``period_start`` and ``period_end`` (datetimes) from the ``period`` labels, in place.

    Each distinct label is parsed once; the parsed periods are returned by label.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"period": ["2021", "2022/23", "2021"]})
    >>> spans = add_period_bounds(df)
    >>> df["period_start"].dt.strftime("%Y-%m-%d").tolist(), df["period_end"].dt.strftime("%Y-%m-%d").tolist()
    (['2021-01-01', '2022-04-01', '2021-01-01'], ['2021-12-31', '2023-03-31', '2021-12-31'])
    >>> sorted(spans)
    ['2021', '2022/23']
    """
    import pandas as pd

    spans = {lab: Period.parse(lab) for lab in df["period"].unique()}
    df["period_start"] = pd.to_datetime(df["period"].map({k: p.start for k, p in spans.items()}))
    df["period_end"] = pd.to_datetime(df["period"].map({k: p.end for k, p in spans.items()}))
    return spans
