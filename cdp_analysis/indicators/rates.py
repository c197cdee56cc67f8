"""Crude rates with Byar's / exact Poisson confidence limits.

The helpers here (:func:`count_limits`, :func:`assemble`) are shared by the other
indicator modules: the limits of a count, exact below 10 events and Byar's from 10, and
the layout of a result frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from cdp_analysis.errors import CdpParameterError
from cdp_analysis.indicators._limits import byar_limits, exact_poisson_limits
from cdp_analysis.indicators._validate import (
    as_list,
    check_frame,
    check_multiplier,
    confidence_levels,
    group_rows,
    level_suffix,
    numeric,
)

__all__ = ["rate", "count_limits"]

#: Counts below this use exact Poisson limits; from it, Byar's approximation.
EXACT_BELOW = 10
#: Rates and DSRs from fewer events than this are flagged ``u`` (unreliable).
UNRELIABLE_BELOW = 20


def byar(x: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Byar's limits of counts: :func:`~cdp_analysis.indicators._limits.byar_limits`.

    >>> lo, hi = byar(np.array([65.0]), 0.95)
    >>> round(float(lo[0]), 2), round(float(hi[0]), 2)
    (50.16, 82.85)
    """
    return byar_limits(x, confidence)


def count_limits(
    x: np.ndarray, confidence: float, method: str = "auto", threshold: int = EXACT_BELOW
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Confidence limits of Poisson counts ``x`` (events), with a method flag.

    ``method="auto"`` uses exact (Garwood) limits for ``x < threshold`` and Byar's
    approximation otherwise; ``"exact"`` and ``"byars"`` force one method. Returns
    ``(lower, upper, is_exact)``. The exact limits are evaluated once per distinct
    small count, so long arrays of small integers cost almost nothing.

    >>> lo, hi, exact = count_limits(np.array([0.0, 5.0, 65.0]), 0.95)
    >>> lo.round(3).tolist(), hi.round(3).tolist(), exact.tolist()
    ([0.0, 1.623, 50.163], [3.689, 11.668, 82.849], [True, True, False])
    """
    x = np.asarray(x, dtype=float)
    if method == "exact":
        is_exact = np.ones(x.shape, dtype=bool)
    elif method == "byars":
        is_exact = np.zeros(x.shape, dtype=bool)
    elif method == "auto":
        is_exact = x < threshold
    else:
        raise CdpParameterError(f"method must be 'auto', 'exact' or 'byars', got {method!r}")
    if is_exact.all():
        lower = np.empty_like(x)
        upper = np.empty_like(x)
    else:
        lower, upper = byar(x, confidence)
    if is_exact.any():
        small = x[is_exact]
        uniq, inverse = np.unique(small, return_inverse=True)
        e_lo, e_hi = exact_poisson_limits(uniq, confidence)
        lower[is_exact] = e_lo[inverse]
        upper[is_exact] = e_hi[inverse]
    return lower, upper, is_exact


@lru_cache(maxsize=256)
def _cat_dtype(categories: tuple[str, ...]) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(list(categories))


def categorical(codes: np.ndarray, categories: Sequence[str]) -> pd.Categorical:
    """A categorical column from integer codes (cheap for long frames).

    The codes are computed here (0 .. len(categories) - 1), so pandas' validation is
    skipped.
    """
    return pd.Categorical.from_codes(
        np.asarray(codes, dtype=np.int8), dtype=_cat_dtype(tuple(categories)), validate=False
    )


def like(values: np.ndarray, column: pd.Series) -> np.ndarray:
    """Summed ``values`` as integers when the input ``column`` held integers."""
    if pd.api.types.is_integer_dtype(column.dtype):
        return values.round().astype(np.int64)
    return values


def summed_by(
    df: pd.DataFrame, by_cols: Sequence[str], num_col: str, x: np.ndarray, den_col: str, n: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Numerators and denominators summed within each group of ``by_cols`` (before any rate).

    Returns the frame the result is built on (the group keys with the summed inputs, or, with
    no groups, the caller's rows unchanged) and the two arrays to compute from.
    """
    if not by_cols:
        return df.copy(deep=False), x, n  # copy-on-write: the caller's frame is not changed
    groups = group_rows(df, by_cols)
    x, n = groups.sum(x), groups.sum(n)
    base = groups.keys.copy()
    base[num_col] = like(x, df[num_col])
    base[den_col] = like(n, df[den_col])
    return base, x, n


def assemble(
    base: pd.DataFrame,
    value: np.ndarray,
    limits: dict[str, np.ndarray],
    method: object,
    status: object,
    note: object,
) -> pd.DataFrame:
    """Append value, limits, method, status and note to ``base`` (in that order).

    Columns of ``base`` with those names are replaced. One concatenation, not one insert
    per column (that matters for long frames).
    """
    cols: dict[str, object] = {"value": value}
    cols.update(limits)
    cols["method"] = method
    cols["status"] = status
    cols["note"] = note
    clash = [c for c in cols if c in base.columns]
    if clash:
        base = base.drop(columns=clash)
    return pd.concat([base, pd.DataFrame(cols, index=base.index)], axis=1)


def rate(
    df: pd.DataFrame,
    count: str = "count",
    denominator: str = "denominator",
    by: str | Sequence[str] | None = None,
    multiplier: float = 100_000,
    confidence: float | Sequence[float] | None = (0.95, 0.998),
    method: str = "auto",
) -> pd.DataFrame:
    """Crude rate of events per ``multiplier`` population, with confidence limits.

    For each row (``by=None``) or each group of rows (counts and denominators summed
    first, so a partnership's rate is its total events over its total population):

    .. math::

        \\text{value} = \\frac{O}{n} \\times m, \\qquad
        \\text{limit} = \\frac{O_{L}, O_{U}}{n} \\times m

    where :math:`O` is the count of events, :math:`n` the denominator and :math:`m`
    the multiplier. The count limits :math:`O_L, O_U` are exact Poisson (Garwood)
    limits, :math:`\\chi^2_{\\alpha/2,2O}/2` and :math:`\\chi^2_{1-\\alpha/2,2O+2}/2`,
    below 10 events and Byar's approximation from 10 events:

    .. math::

        O_L = O\\left(1 - \\frac{1}{9O} - \\frac{z}{3\\sqrt{O}}\\right)^3, \\quad
        O_U = (O+1)\\left(1 - \\frac{1}{9(O+1)} + \\frac{z}{3\\sqrt{O+1}}\\right)^3

    with :math:`z = \\Phi^{-1}((1+c)/2)` for confidence level :math:`c`. A zero count
    gives value 0, lower limit 0 and a finite upper limit. A count may exceed its
    denominator (e.g. reoffences per offender).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per area/period (or finer rows to be summed by ``by``).
    count : str, default "count"
        Column of event counts (numbers >= 0; need not be integers).
    denominator : str, default "denominator"
        Column of population at risk (numbers > 0).
    by : str or list of str, optional
        Columns to group by. ``None`` computes one rate per row and returns every
        column of ``df``; otherwise one row per group with the ``by`` columns, the
        summed ``count`` and ``denominator``, sorted by the keys.
    multiplier : float, default 100_000
        Rate per this many people (units of ``value`` and the limits).
    confidence : float or sequence of float, default (0.95, 0.998)
        Levels of the two-sided limits; columns ``lower_95``, ``upper_95``,
        ``lower_99_8``, ``upper_99_8`` (suffix = level in percent, ``.`` -> ``_``).
    method : {"auto", "exact", "byars"}, default "auto"
        ``"auto"`` is exact below 10 events and Byar's from 10 (PHE/OHID practice).

    Returns
    -------
    pandas.DataFrame
        Input (or group) columns plus ``value``, the limit columns, ``method``
        (``"exact"`` or ``"byars"``), ``status`` (``"u"`` below 20 events, the
        ONS/Fingertips reliability flag of docs/design.md §5, otherwise ``""``) and ``note``.

    Raises
    ------
    CdpInputError
        Missing columns, non-numeric or missing values, negative counts, denominators
        not above zero; the error names the rows (index labels) and the column.

    References
    ----------
    Breslow NE, Day NE (1987). Statistical Methods in Cancer Research, vol. II. IARC
    (Byar's method, p. 69). Ulm K (1990). A simple method to calculate the confidence
    interval of a standardized mortality ratio. Am J Epidemiol 131:373-375 (exact
    limits). OHID, Fingertips technical guidance: confidence intervals for crude rates.

    Examples
    --------
    >>> import pandas as pd
    >>> from cdp_analysis import indicators as ind
    >>> df = pd.DataFrame({"area": ["A", "B", "C"], "count": [65, 5, 0],
    ...                    "denominator": [100_000, 100_000, 50_000]})
    >>> out = ind.rate(df, confidence=0.95)
    >>> out[["area", "value", "lower_95", "upper_95", "method"]].round(3)
      area  value  lower_95  upper_95 method
    0    A   65.0    50.163    82.849  byars
    1    B    5.0     1.623    11.668  exact
    2    C    0.0     0.000     7.378  exact
    """
    by_cols = as_list(by)
    check_frame(df, [count, denominator, *by_cols])
    levels = confidence_levels(confidence)
    m = check_multiplier(multiplier)
    x = numeric(df, count)
    n = numeric(df, denominator, strictly_positive=True)
    base, x, n = summed_by(df, by_cols, count, x, denominator, n)
    scale = m / n
    limits: dict[str, np.ndarray] = {}
    is_exact = None
    for c in levels:
        lo, hi, is_exact = count_limits(x, c, method)
        sfx = level_suffix(c)
        limits[f"lower_{sfx}"] = lo * scale
        limits[f"upper_{sfx}"] = hi * scale
    if is_exact is None:
        is_exact = count_limits(x, 0.95, method)[2]
    unreliable = x < UNRELIABLE_BELOW
    return assemble(
        base,
        x * scale,
        limits,
        categorical(np.where(is_exact, 0, 1), ["exact", "byars"]),
        categorical(unreliable, ["", "u"]),
        categorical(unreliable, ["", f"fewer than {UNRELIABLE_BELOW} events: value unreliable"]),
    )
