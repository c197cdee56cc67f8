"""Proportions with Wilson score confidence limits."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdp_analysis.errors import CdpInputError
from cdp_analysis.indicators._validate import (
    as_list,
    check_frame,
    check_multiplier,
    confidence_levels,
    level_suffix,
    numeric,
    z_of,
)
from cdp_analysis.indicators.rates import assemble, categorical, summed_by
from cdp_analysis.vocabulary import renamed

__all__ = ["proportion"]


@renamed(numerator="count")
def proportion(
    df: pd.DataFrame,
    count: str = "count",
    denominator: str = "denominator",
    by: str | Sequence[str] | None = None,
    multiplier: float = 100,
    confidence: float | Sequence[float] | None = (0.95, 0.998),
) -> pd.DataFrame:
    """Proportion of a denominator with Wilson score confidence limits.

    For each row (``by=None``) or each group (numerators and denominators summed
    first), with :math:`x` the numerator, :math:`n` the denominator and
    :math:`z = \\Phi^{-1}((1+c)/2)`:

    .. math::

        \\text{value} = \\frac{x}{n} \\times m, \\qquad
        \\text{limits} = \\frac{2x + z^2 \\mp z\\sqrt{z^2 + 4x(1 - x/n)}}{2(n + z^2)} \\times m

    A zero numerator gives value 0 and lower limit 0; a numerator equal to the
    denominator gives upper limit ``m``. The numerator need not be an integer.

    Parameters
    ----------
    df : pandas.DataFrame
        Input rows.
    count : str, default "count"
        Column of the numerator (numbers >= 0 and not above the denominator).
    denominator : str, default "denominator"
        Column of the denominator (numbers > 0).
    by : str or list of str, optional
        Group columns; ``None`` keeps one result per row and every input column.
    multiplier : float, default 100
        100 gives percentages, 1 fractions (units of ``value`` and the limits).
    confidence : float or sequence of float, default (0.95, 0.998)
        Levels; columns ``lower_95``, ``upper_95``, ``lower_99_8``, ``upper_99_8``.

    Returns
    -------
    pandas.DataFrame
        Input or group columns plus ``value``, limits, ``method`` (``"wilson"``),
        ``status`` (``""``) and ``note`` (``""``).

    Raises
    ------
    CdpInputError
        Missing columns, non-numeric or missing values, negative numerators,
        denominators not above zero, or a numerator above its denominator (checked on
        the input rows, naming them).

    References
    ----------
    Wilson EB (1927). Probable inference, the law of succession, and statistical
    inference. JASA 22:209-212. Newcombe RG (1998). Two-sided confidence intervals for
    the single proportion. Stat Med 17:857-872 (method 3). OHID, Fingertips technical
    guidance: confidence intervals for proportions.

    Examples
    --------
    >>> import pandas as pd
    >>> from cdp_analysis import indicators as ind
    >>> df = pd.DataFrame({"engaged": [65, 0], "released": [100, 40]})
    >>> out = ind.proportion(df, count="engaged", denominator="released", confidence=0.95)
    >>> out[["value", "lower_95", "upper_95"]].round(2)
       value  lower_95  upper_95
    0   65.0     55.25     73.64
    1    0.0      0.00      8.76
    """
    numerator = count  # vocabulary: the parameter is count

    by_cols = as_list(by)
    check_frame(df, [numerator, denominator, *by_cols])
    levels = confidence_levels(confidence)
    m = check_multiplier(multiplier)
    x = numeric(df, numerator)
    n = numeric(df, denominator, strictly_positive=True)
    over = x > n
    if over.any():
        rows = list(df.index[over])
        raise CdpInputError(
            "numerator is above its denominator",
            row=rows,
            column=numerator,
            value=float(x[over][0]),
            expected=f"a number <= {denominator}",
        )
    base, x, n = summed_by(df, by_cols, numerator, x, denominator, n)
    limits: dict[str, np.ndarray] = {}
    q = 4 * x * (1 - x / n)
    for c in levels:
        # the Wilson score limits of _limits.wilson_limits, computed inline with a cached z
        z = z_of(c)
        z2 = z * z
        root = z * np.sqrt(z2 + q)
        centre = 2 * x + z2
        denom = 2 * (n + z2)
        lo, hi = (centre - root) / denom, (centre + root) / denom
        sfx = level_suffix(c)
        # floating rounding can leave a hair below 0 / above 1 at the bounds
        limits[f"lower_{sfx}"] = np.clip(lo, 0.0, 1.0) * m
        limits[f"upper_{sfx}"] = np.clip(hi, 0.0, 1.0) * m
    zeros = np.zeros(len(x), dtype=np.int8)
    return assemble(
        base,
        x / n * m,
        limits,
        categorical(zeros, ["wilson"]),
        categorical(zeros, [""]),
        categorical(zeros, [""]),
    )
