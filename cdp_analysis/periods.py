"""Reporting periods: parse, print and reason about the labels the field uses.

Labels (the **contract** of docs/design.md §3), parsed and printed exactly like this:

=====================  =======================================================
``2022``               calendar year (1 Jan - 31 Dec)
``2022/23``            financial year (1 Apr 2022 - 31 Mar 2023)
``2023/24 Q1``         financial quarter (Q1 Apr-Jun, Q2 Jul-Sep, Q3 Oct-Dec, Q4 Jan-Mar)
``2023-06``            month
``2023-01..2023-06``   inclusive range of months
``2019-2021``          pooled calendar years (as ONS pools deaths)
``2019/20-2021/22``    pooled financial years
=====================  =======================================================

A :class:`Period` is an inclusive run of whole months with a ``kind`` that decides how
it prints. Every period knows its start and end dates and its months; a part-year
period (a quarter, a month or a month range) knows the full year containing it, on a
financial or calendar basis, and the fraction of that year elapsed at its end.

Examples
--------
>>> p = Period.parse("2023/24 Q1")
>>> p.start, p.end
(datetime.date(2023, 4, 1), datetime.date(2023, 6, 30))
>>> str(p.containing_year("financial")), p.fraction_elapsed("financial")
('2023/24', 0.25)
>>> str(Period.parse("2023-01..2023-06").containing_year("calendar"))
'2023'
>>> Period.parse("2022/23").slug
'2022-23'
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from cdp_analysis.errors import CdpParameterError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Period", "parse_period", "sort_by_period", "GRAMMAR", "YearBasis"]

YearBasis = Literal["financial", "calendar"]

GRAMMAR = (
    "a period label is one of: '2022' (calendar year), '2022/23' (financial year), "
    "'2023/24 Q1' (financial quarter, Q1 = Apr-Jun), '2023-06' (month), "
    "'2023-01..2023-06' (inclusive month range), '2019-2021' (pooled calendar years), "
    "'2019/20-2021/22' (pooled financial years)"
)

_KINDS = (
    "calendar_year",
    "financial_year",
    "quarter",
    "month",
    "month_range",
    "calendar_years",
    "financial_years",
)

_RE_CY = re.compile(r"^(\d{4})$")
_RE_FY = re.compile(r"^(\d{4})/(\d{2})$")
_RE_Q = re.compile(r"^(\d{4})/(\d{2}) Q([1-4])$")
_RE_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_RE_RANGE = re.compile(r"^(\d{4})-(\d{2})\.\.(\d{4})-(\d{2})$")
_RE_CYS = re.compile(r"^(\d{4})-(\d{4})$")
_RE_FYS = re.compile(r"^(\d{4})/(\d{2})-(\d{4})/(\d{2})$")


def _ord(year: int, month: int) -> int:
    """Month ordinal: months since January of year 0."""
    return year * 12 + (month - 1)


def _ym(ordinal: int) -> tuple[int, int]:
    return ordinal // 12, ordinal % 12 + 1


def _bad(label: object, why: str) -> CdpParameterError:
    return CdpParameterError(f"bad period label {label!r}: {why}; {GRAMMAR}")


def _check_fy(label: str, first: str, second: str) -> int:
    year = int(first)
    if (year + 1) % 100 != int(second):
        raise _bad(label, f"'{first}/{second}' is not a financial year ({year}/{(year + 1) % 100:02d} is)")
    return year


def _check_month(label: str, month: str) -> int:
    m = int(month)
    if not 1 <= m <= 12:
        raise _bad(label, f"month {month} is not 01-12")
    return m


@dataclass(frozen=True, order=True)
class Period:
    """An inclusive run of whole months, with the kind of label it prints as.

    Parameters
    ----------
    first, last
        Month ordinals (``year * 12 + month - 1``) of the first and last month.
    kind
        One of ``calendar_year``, ``financial_year``, ``quarter``, ``month``,
        ``month_range``, ``calendar_years``, ``financial_years``.

    Use :meth:`Period.parse` rather than the constructor.
    """

    first: int
    last: int
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise CdpParameterError(f"unknown period kind {self.kind!r}; expected one of {_KINDS}")
        if self.last < self.first:
            raise CdpParameterError("a period cannot end before it starts")

    # ------------------------------------------------------------------ parsing
    @classmethod
    def parse(cls, label: str | Period) -> Period:
        """Parse a period label (see the module docstring for the grammar).

        Raises
        ------
        CdpParameterError
            When the label is not one of the forms, naming the grammar.

        Examples
        --------
        >>> Period.parse("2019/20-2021/22").n_months
        36
        """
        if isinstance(label, Period):
            return label
        if not isinstance(label, str):
            raise _bad(label, f"expected a string, got {type(label).__name__}")
        s = label.strip()
        if m := _RE_Q.match(s):
            y = _check_fy(label, m[1], m[2])
            q = int(m[3])
            start = _ord(y, 4) + 3 * (q - 1)
            return cls(start, start + 2, "quarter")
        if m := _RE_FY.match(s):
            y = _check_fy(label, m[1], m[2])
            return cls(_ord(y, 4), _ord(y + 1, 3), "financial_year")
        if m := _RE_CY.match(s):
            y = int(m[1])
            return cls(_ord(y, 1), _ord(y, 12), "calendar_year")
        if m := _RE_MONTH.match(s):
            o = _ord(int(m[1]), _check_month(label, m[2]))
            return cls(o, o, "month")
        if m := _RE_RANGE.match(s):
            a = _ord(int(m[1]), _check_month(label, m[2]))
            b = _ord(int(m[3]), _check_month(label, m[4]))
            if b < a:
                raise _bad(label, "the range ends before it starts")
            return cls(a, b, "month_range")
        if m := _RE_FYS.match(s):
            a = _check_fy(label, m[1], m[2])
            b = _check_fy(label, m[3], m[4])
            if b <= a:
                raise _bad(label, "pooled years must run forwards over at least two years")
            return cls(_ord(a, 4), _ord(b + 1, 3), "financial_years")
        if m := _RE_CYS.match(s):
            a, b = int(m[1]), int(m[2])
            if b <= a:
                raise _bad(label, "pooled years must run forwards over at least two years")
            return cls(_ord(a, 1), _ord(b, 12), "calendar_years")
        raise _bad(label, "not a recognised form")

    @classmethod
    def from_months(cls, first: str, last: str | None = None) -> Period:
        """A month (``'2023-06'``) or an inclusive month range, labelled canonically."""
        a = cls.parse(first)
        b = cls.parse(last) if last is not None else a
        if a.kind != "month" or b.kind != "month":
            raise CdpParameterError("from_months takes month labels like '2023-06'")
        return cls(a.first, b.last, "month" if a == b else "month_range")

    # ----------------------------------------------------------------- printing
    def __str__(self) -> str:
        y0, m0 = _ym(self.first)
        y1, m1 = _ym(self.last)
        if self.kind == "calendar_year":
            return f"{y0}"
        if self.kind == "financial_year":
            return f"{y0}/{(y0 + 1) % 100:02d}"
        if self.kind == "quarter":
            fy = y0 if m0 >= 4 else y0 - 1
            q = ((m0 - 4) % 12) // 3 + 1
            return f"{fy}/{(fy + 1) % 100:02d} Q{q}"
        if self.kind == "month":
            return f"{y0}-{m0:02d}"
        if self.kind == "month_range":
            return f"{y0}-{m0:02d}..{y1}-{m1:02d}"
        if self.kind == "calendar_years":
            return f"{y0}-{y1}"
        # financial_years
        return f"{y0}/{(y0 + 1) % 100:02d}-{y1 - 1}/{y1 % 100:02d}"

    @property
    def label(self) -> str:
        """The canonical label (same as ``str(period)``)."""
        return str(self)

    def __repr__(self) -> str:
        return f"Period('{self}')"

    @property
    def slug(self) -> str:
        """A path-safe form of the label: ``'2023/24 Q1'`` -> ``'2023-24-Q1'``."""
        return str(self).replace("..", "_to_").replace("/", "-").replace(" ", "-")

    # ------------------------------------------------------------------- dates
    @property
    def start(self) -> _dt.date:
        """First day of the period."""
        y, m = _ym(self.first)
        return _dt.date(y, m, 1)

    @property
    def end(self) -> _dt.date:
        """Last day of the period (inclusive)."""
        y, m = _ym(self.last)
        return _dt.date(y, m, calendar.monthrange(y, m)[1])

    @property
    def n_months(self) -> int:
        """Number of whole months covered."""
        return self.last - self.first + 1

    @property
    def months(self) -> list[str]:
        """The month labels covered, in order (``['2023-04', '2023-05', '2023-06']``)."""
        return [f"{y}-{m:02d}" for y, m in map(_ym, range(self.first, self.last + 1))]

    @property
    def is_pooled(self) -> bool:
        """True for pooled multi-year periods (``2019-2021``, ``2019/20-2021/22``)."""
        return self.kind in ("calendar_years", "financial_years")

    @property
    def is_year(self) -> bool:
        """True for a single calendar or financial year."""
        return self.kind in ("calendar_year", "financial_year")

    def contains(self, other: str | Period) -> bool:
        """Whether ``other`` lies wholly inside this period."""
        o = Period.parse(other)
        return self.first <= o.first and o.last <= self.last

    # ------------------------------------------------------------ year reasoning
    def containing_year(self, basis: YearBasis = "financial") -> Period:
        """The full financial or calendar year that contains this period.

        Raises
        ------
        CdpParameterError
            If the period straddles two such years or is pooled.

        Examples
        --------
        >>> str(Period.parse("2024-02").containing_year("financial"))
        '2023/24'
        """
        if basis not in ("financial", "calendar"):
            raise CdpParameterError(f"year basis must be 'financial' or 'calendar', not {basis!r}")
        y, m = _ym(self.first)
        if basis == "financial":
            fy = y if m >= 4 else y - 1
            year = Period(_ord(fy, 4), _ord(fy + 1, 3), "financial_year")
        else:
            year = Period(_ord(y, 1), _ord(y, 12), "calendar_year")
        if not year.contains(self):
            raise CdpParameterError(f"period {self} is not inside one {basis} year")
        return year

    def fraction_elapsed(self, basis: YearBasis = "financial") -> float:
        """Fraction of the containing year elapsed at the end of this period.

        ``(months from the start of the containing year to the end of this period) / 12``;
        1.0 for a whole year. A year-to-date value over this period is annualised by
        dividing by this fraction.

        Examples
        --------
        >>> Period.parse("2023/24 Q2").fraction_elapsed("financial")
        0.5
        """
        year = self.containing_year(basis)
        return (self.last - year.first + 1) / 12

    def shift(self, years: int) -> Period:
        """The same period ``years`` years later (earlier when negative)."""
        return Period(self.first + 12 * years, self.last + 12 * years, self.kind)

    def previous_year(self) -> Period:
        """The same period one year earlier: ``2023/24 Q1`` -> ``2022/23 Q1``."""
        return self.shift(-1)

    def to_year_to_date(self, basis: YearBasis = "financial") -> Period:
        """The months from the start of the containing year to the end of this period."""
        year = self.containing_year(basis)
        if self.first == year.first and self.last == year.last:
            return year
        return Period(year.first, self.last, "month" if year.first == self.last else "month_range")


def parse_period(label: str | Period) -> Period:
    """Parse a period label; shorthand for :meth:`Period.parse`.

    >>> parse_period("2019-2021").n_months
    36
    """
    return Period.parse(label)


def sort_by_period(df: pd.DataFrame, column: str = "period") -> pd.DataFrame:
    """The rows of ``df`` in time order of their period labels (by start), index reset.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"period": ["2019/20", "2017/18", "2018/19"]})
    >>> sort_by_period(df)["period"].tolist()
    ['2017/18', '2018/19', '2019/20']
    """
    starts = [Period.parse(str(p)).start for p in df[column]]
    return df.assign(_start=starts).sort_values("_start").drop(columns="_start").reset_index(drop=True)
