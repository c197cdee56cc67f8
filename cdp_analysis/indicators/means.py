"""Means with Student's t confidence limits."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdp_analysis.indicators._validate import (
    as_list,
    check_frame,
    confidence_levels,
    group_rows,
    level_suffix,
    numeric,
)
from cdp_analysis.indicators.rates import assemble, categorical

__all__ = ["mean"]


def mean(
    df: pd.DataFrame,
    value: str = "value",
    by: str | Sequence[str] | None = None,
    confidence: float | Sequence[float] | None = (0.95, 0.998),
) -> pd.DataFrame:
    """Mean of a column with Student's t confidence limits, per group.

    With :math:`k` values, sum :math:`S`, mean :math:`\\bar y = S/k` and sample standard
    deviation :math:`s` (divisor :math:`k-1`):

    .. math::

        \\text{limits} = \\bar y \\mp t_{(1+c)/2,\\,k-1} \\frac{s}{\\sqrt k}

    Values may be negative (unlike PHStatsMethods). A group of one value has no
    limits (``status`` ``"x"``).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per observation.
    value : str, default "value"
        Numeric column (no missing values).
    by : str or sequence of str, optional
        Groups; ``None`` takes the mean of the whole frame (one row).
    confidence : float or sequence of float, default (0.95, 0.998)
        Levels of the limits (columns ``lower_95`` ... ``upper_99_8``).

    Returns
    -------
    pandas.DataFrame
        ``by`` columns, ``value_sum``, ``value_count``, ``stdev``, ``value``, limits,
        ``method`` (``"student_t"``), ``status`` and ``note``.

    References
    ----------
    Student (1908). The probable error of a mean. Biometrika 6:1-25. OHID, Fingertips
    technical guidance: confidence intervals for means.

    Examples
    --------
    >>> import pandas as pd
    >>> from cdp_analysis import indicators as ind
    >>> df = pd.DataFrame({"days": [10, 12, 14, 20, 24]})
    >>> ind.mean(df, "days", confidence=0.95)[["value", "stdev", "lower_95", "upper_95"]].round(3)
       value  stdev  lower_95  upper_95
    0   16.0  5.831      8.76     23.24
    """
    from scipy.stats import t as student_t

    by_cols = as_list(by)
    check_frame(df, [value, *by_cols])
    levels = confidence_levels(confidence)
    y = numeric(df, value, minimum=None)
    groups = group_rows(df, by_cols)
    k = np.bincount(groups.codes, minlength=groups.n).astype(float)
    total = groups.sum(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        avg = total / k
        resid = y - avg[groups.codes]
        sd = np.sqrt(groups.sum(resid * resid) / (k - 1))
        se = sd / np.sqrt(k)
    ok = k >= 2
    sd = np.where(ok, sd, np.nan)
    limits: dict[str, np.ndarray] = {}
    for c in levels:
        tq = np.where(ok, student_t.ppf((1 + c) / 2, np.maximum(k - 1, 1)), np.nan)
        sfx = level_suffix(c)
        limits[f"lower_{sfx}"] = avg - tq * se
        limits[f"upper_{sfx}"] = avg + tq * se
    base = groups.keys.copy()
    base["value_sum"] = total
    base["value_count"] = k.astype(np.int64)
    base["stdev"] = sd
    state = np.where(ok, 0, 1)
    return assemble(
        base,
        avg,
        limits,
        categorical(np.zeros(groups.n), ["student_t"]),
        categorical(state, ["", "x"]),
        categorical(state, ["", "limits not calculated: fewer than 2 values"]),
    )
