"""How numbers are written for readers: one module for every output.

Reports, tables, chart labels, alt text and the audit's messages all format figures here,
so a figure reads the same wherever it appears:

* :func:`fmt`: a figure with its unit (``£95,024``, ``45.2%``, ``1,036``); missing is ``[x]``
  (the GSS shorthand for "not available");
* :func:`fmt_printed`: a figure at the precision it was printed with (the audit quotes a
  report's own figures back to it, ``7.4`` as ``7.4`` and ``94304`` as ``94,304``);
* :func:`fmt_number`: a number for chart labels and alt text, to three significant figures;
* :func:`decimals_shown`: the decimal places a printed figure shows.

Pure functions of the standard library; cheap to import.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["MISSING", "fmt", "fmt_printed", "fmt_number", "decimals_shown"]

#: GSS shorthand for a figure that is not available
MISSING = "[x]"


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def decimals_shown(value: float) -> int:
    """Decimal places a printed figure shows; trailing zeros are not significant.

    Six places are more than any report prints; beyond them is binary noise
    (``2882033.2999999998`` shows one).

    >>> decimals_shown(7.4), decimals_shown(90.0), decimals_shown(94304), decimals_shown(0.125)
    (1, 0, 0, 3)
    """
    text = f"{round(float(value), 6):.6f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def _with_unit(text: str, unit: str) -> str:
    if unit == "currency":
        return ("-£" + text[1:]) if text.startswith("-") else "£" + text
    if unit == "percent":
        return text + "%"
    return text


def fmt(value: Any, unit: str = "count", decimals: int | None = None, *, missing: str = MISSING) -> str:
    """A figure for readers: thousands separators, £ for money, % for percentages.

    Parameters
    ----------
    value
        The figure (``None`` or NaN is shown as ``missing``).
    unit
        ``"count"``, ``"currency"`` (pounds), ``"percent"``, ``"rate"`` or another unit
        (written without a symbol).
    decimals
        Decimal places; by default one for percentages and rates, none for whole numbers
        and for figures of 100 or more, else one.
    missing
        Text for a missing figure.

    Examples
    --------
    >>> fmt(95024, "currency"), fmt(1036.0), fmt(45.2, "percent"), fmt(float("nan")), fmt(-12.5, "currency", 2)
    ('£95,024', '1,036', '45.2%', '[x]', '-£12.50')
    """
    if _missing(value):
        return missing
    v = float(value)
    if decimals is None:
        decimals = 1 if unit in ("percent", "rate") else (0 if abs(v - round(v)) < 1e-9 or abs(v) >= 100 else 1)
    return _with_unit(f"{v:,.{decimals}f}", unit)


def fmt_printed(value: Any, unit: str = "count", decimals: int | None = None) -> str:
    """A figure at the precision a report printed it with (at most two places), ``?`` when missing.

    >>> fmt_printed(7.4), fmt_printed(94304.0, "currency"), fmt_printed(7.4689), fmt_printed(None)
    ('7.4', '£94,304', '7.47', '?')
    """
    if _missing(value):
        return "?"
    d = min(decimals_shown(value), 2) if decimals is None else decimals
    return fmt(value, unit, d)


def fmt_number(value: Any) -> str:
    """A number for chart labels and alt text: whole numbers with commas, else three
    significant figures (one decimal place from 10 upwards, none from 100).

    >>> [fmt_number(v) for v in (1234, 55.0, 12.345, 0.04567, 123.45, float("nan"))]
    ['1,234', '55', '12.3', '0.0457', '123', 'not available']
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(v):
        return "not available"
    if v == round(v) and abs(v) < 1e15:
        return f"{v:,.0f}"
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"
