"""The metric catalogue (docs/design.md §4): what each ``metric_id`` means and how to treat it.

The catalogue is ``data/reference/metrics.csv`` (packaged as
``cdp_analysis/reference/metrics.csv``), one row per metric with the columns
``metric_id, name, section, unit, polarity, year_basis, projection, source, definition``:

- ``section``: prevention | enforcement | treatment | deaths | harm | reoffending | context
- ``unit``: count | rate | percent | currency
- ``polarity``: higher_is_better | lower_is_better | neutral (how a change is judged)
- ``year_basis``: financial | calendar | academic (the year a part-year figure is projected to;
  academic years, September to August, are never projected)
- ``projection``: run_rate | seasonal | none (how year-to-date becomes year end)

Examples
--------
>>> m = get_metric("county_lines_arrests")
>>> m.section, m.unit, m.polarity, m.year_basis, m.projection
('enforcement', 'count', 'higher_is_better', 'financial', 'run_rate')
>>> get_metric("drug_misuse_asmr").unit
'rate'
>>> "police_uk_drugs" in set(metrics()["metric_id"])
True
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from cdp_analysis.errors import CdpInputError, CdpParameterError
from cdp_analysis.reference import reference_path, suggest

__all__ = [
    "METRIC_COLUMNS",
    "SECTIONS",
    "UNITS",
    "POLARITIES",
    "YEAR_BASES",
    "PROJECTIONS",
    "Metric",
    "get_metric",
    "metrics",
    "metric_ids",
    "validate_metric",
]

METRIC_COLUMNS = (
    "metric_id", "name", "section", "unit", "polarity", "year_basis", "projection", "source",
    "definition",
)
SECTIONS = ("prevention", "enforcement", "treatment", "deaths", "harm", "reoffending", "context")
UNITS = ("count", "rate", "percent", "currency")
POLARITIES = ("higher_is_better", "lower_is_better", "neutral")
YEAR_BASES = ("financial", "calendar", "academic")
PROJECTIONS = ("run_rate", "seasonal", "none")
_ALLOWED = {
    "section": SECTIONS,
    "unit": UNITS,
    "polarity": POLARITIES,
    "year_basis": YEAR_BASES,
    "projection": PROJECTIONS,
}


@dataclass(frozen=True)
class Metric:
    """One row of the metric catalogue.

    Examples
    --------
    >>> get_metric("continuity_of_care").unit
    'percent'
    """

    metric_id: str
    name: str
    section: str
    unit: str
    polarity: str
    year_basis: str
    projection: str
    source: str
    definition: str

    def as_dict(self) -> dict[str, str]:
        """The fields as a plain dict."""
        return asdict(self)


def _read_catalogue(path: Path) -> pd.DataFrame:
    from cdp_analysis.data.csvfile import read_table

    df = read_table(path, list(METRIC_COLUMNS))  # strict: every column present, every row complete
    empty = df["metric_id"].str.strip().eq("")
    if empty.any():
        i = int(empty.to_numpy().nonzero()[0][0])
        raise CdpInputError("empty metric_id", file=path, row=i + 2, column="metric_id",
                            expected="a metric_id on every row")
    for col, allowed in _ALLOWED.items():
        bad = ~df[col].isin(allowed)
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise CdpInputError("value not allowed", file=path, row=i + 2, column=col,
                                value=df[col].iloc[i], expected=f"one of {allowed}")
    dup = df["metric_id"].duplicated()
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise CdpInputError("duplicated metric_id", file=path, row=i + 2, column="metric_id",
                            value=df["metric_id"].iloc[i], expected="each metric_id once")
    return df.reset_index(drop=True)


@functools.lru_cache(maxsize=8)
def _catalogue_at(path: str) -> pd.DataFrame:
    return _read_catalogue(Path(path))


def _catalogue() -> pd.DataFrame:
    return _catalogue_at(str(reference_path("metrics.csv")))


def metrics(section: str | None = None) -> pd.DataFrame:
    """The metric catalogue as a DataFrame (a copy), optionally one section only.

    Parameters
    ----------
    section
        ``None`` for every metric, or one of :data:`SECTIONS`.

    Examples
    --------
    >>> list(metrics("treatment")["metric_id"])[:4]
    ['adults_in_treatment', 'young_people_in_treatment', 'continuity_of_care', 'rehab_placements']
    """
    df = _catalogue()
    if section is not None:
        if section not in SECTIONS:
            raise CdpParameterError(f"unknown section {section!r}; expected one of {SECTIONS}"
                                    + suggest(section, SECTIONS))
        df = df[df["section"] == section]
    return df.reset_index(drop=True).copy()


def metric_ids() -> frozenset[str]:
    """Every metric id in the catalogue.

    >>> "population" in metric_ids()
    True
    """
    return frozenset(_catalogue()["metric_id"])


def validate_metric(metric_id: str) -> str:
    """Return ``metric_id`` if it is in the catalogue, else raise with the closest match.

    Raises
    ------
    CdpParameterError
        Unknown id; the message suggests the nearest known ids.

    Examples
    --------
    >>> validate_metric("soc_disruptions")
    'soc_disruptions'
    >>> validate_metric("soc_disruption")
    Traceback (most recent call last):
    ...
    cdp_analysis.errors.CdpParameterError: unknown metric_id 'soc_disruption'; did you mean 'soc_disruptions'?
    """
    ids = metric_ids()
    if not isinstance(metric_id, str) or metric_id not in ids:
        raise CdpParameterError(f"unknown metric_id {metric_id!r}" + suggest(str(metric_id), sorted(ids)))
    return metric_id


def get_metric(metric_id: str) -> Metric:
    """The catalogue entry for ``metric_id`` as a frozen :class:`Metric`.

    Raises
    ------
    CdpParameterError
        Unknown id (with a suggestion).

    Examples
    --------
    >>> get_metric("drug_related_deaths_local").year_basis
    'calendar'
    """
    validate_metric(metric_id)
    df = _catalogue()
    row = df.loc[df["metric_id"] == metric_id].iloc[0]
    return Metric(**{c: str(row[c]) for c in METRIC_COLUMNS})
