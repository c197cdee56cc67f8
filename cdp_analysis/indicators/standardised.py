"""Age-standardised measures: directly standardised rates (DSR, Dobson limits), indirectly
standardised rates (ISR) and standardised ratios (SMR), and the 2013 European Standard
Population.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from cdp_analysis.errors import CdpInputError, CdpParameterError
from cdp_analysis.indicators._validate import (
    Groups,
    as_list,
    check_frame,
    check_multiplier,
    confidence_levels,
    factorize,
    group_blocks,
    group_rows,
    level_suffix,
    numeric,
)
from cdp_analysis.indicators.rates import (
    EXACT_BELOW,
    UNRELIABLE_BELOW,
    assemble,
    byar,
    categorical,
    count_limits,
    like,
)
from cdp_analysis.vocabulary import renamed

__all__ = ["esp2013", "esp2013_bands", "dsr", "isr", "standardised_ratio"]

#: DSRs from fewer events than this are not calculated (status ``x``).
DSR_MIN_EVENTS = 10


@lru_cache(maxsize=1)
def _esp2013_table() -> pd.DataFrame:
    from importlib.resources import files

    with files("cdp_analysis.indicators").joinpath("esp2013.csv").open("r", encoding="utf-8") as fh:
        table = pd.read_csv(fh, dtype={"age_band": str})
    return table


def esp2013() -> pd.DataFrame:
    """The 2013 European Standard Population in the 19 five-year bands used by OHID.

    Bands ``0-4``, ``5-9``, ..., ``85-89``, ``90+`` (age 0 and 1-4 merged; 90-94 and 95+
    merged); people per band of a standard population of 100,000.

    Returns
    -------
    pandas.DataFrame
        Columns ``age_band`` (str), ``age_lower``, ``age_upper`` (``NaN`` for ``90+``)
        and ``esp2013`` (people), 19 rows.

    References
    ----------
    Eurostat (2013). Revision of the European Standard Population: report of Eurostat's
    task force. Publications Office of the European Union. ONS (2013), Revised European
    Standard Population 2013 (2013 ESP).

    Examples
    --------
    >>> from cdp_analysis import indicators as ind
    >>> esp = ind.esp2013()
    >>> len(esp), int(esp["esp2013"].sum()), esp["age_band"].iloc[[0, -1]].tolist()
    (19, 100000, ['0-4', '90+'])
    """
    t = _esp2013_table()
    return pd.DataFrame(
        {
            "age_band": t["age_band"].astype(str),
            "age_lower": t["age_lower"].astype(int),
            "age_upper": t["age_upper"].astype(float),
            "esp2013": t["esp2013_population"].astype(float),
        }
    )


def esp2013_bands(
    df: pd.DataFrame,
    by: str | Sequence[str] | None = ("area_code", "year", "sex"),
    age: str = "age",
    denominator: str = "population",
) -> pd.DataFrame:
    """Single years of age summed into the 19 ESP2013 bands (the input :func:`dsr` needs).

    Takes the store's population rows (:meth:`Store.population
    <cdp_analysis.data.store.Store.population>`: one row per single year of age, ``age`` 90
    meaning 90 and over) and sums them into ``0-4``, ``5-9``, ..., ``85-89``, ``90+``. Every
    year of age 0 to 90 must be present in each group: a missing year would silently shrink
    its band.

    Parameters
    ----------
    df
        One row per group and single year of age.
    by
        Columns identifying each population (default area, mid-year and sex).
    age
        Column of single years of age (whole numbers 0 to 90; 90 is 90 and over).
    denominator
        Column of people.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``age_band`` (the 19 bands in order, as text) and
        ``denominator`` summed: 19 rows per group, ready to merge with deaths by band.

    Raises
    ------
    CdpInputError
        A missing column, an age that is not a whole number from 0 to 90, or a group
        without every year of age of a band (naming the group, the band and the ages).

    Examples
    --------
    >>> pop = pd.DataFrame({"area_code": "E06000058", "age": range(91), "population": 1000.0})
    >>> bands = esp2013_bands(pop, by="area_code")
    >>> len(bands), bands["population"].iloc[[0, -2, -1]].tolist()
    (19, [5000.0, 5000.0, 1000.0])
    >>> esp2013_bands(pop[pop["age"] != 47], by="area_code")
    Traceback (most recent call last):
    ...
    cdp_analysis.errors.CdpInputError: column 'age': group area_code=E06000058 has no population for age 47, so its ESP2013 band 45-49 is incomplete (expected every single year of age 0 to 90 (90 = 90 and over) in each group)
    """
    by_cols = as_list(by)
    check_frame(df, [*by_cols, age, denominator])
    ages = pd.to_numeric(df[age], errors="coerce")
    bad = ages.isna() | (ages != ages.round()) | (ages < 0) | (ages > 90)
    if bad.any():
        raise CdpInputError("not a single year of age from 0 to 90", row=list(df.index[bad]), column=age,
                            value=df.loc[bad, age].iloc[0], expected="a whole number 0-90 (90 = 90 and over)")
    pop = numeric(df, denominator)
    table = _esp2013_table()
    lower = table["age_lower"].to_numpy(dtype=int)
    band_idx = np.searchsorted(lower, ages.to_numpy(dtype=int), side="right") - 1
    labels = table["age_band"].astype(str).to_numpy()
    work = df[by_cols].copy() if by_cols else pd.DataFrame(index=df.index)
    work["_age"] = ages.to_numpy(dtype=int)
    key = work[by_cols].astype(str).agg("\x1f".join, axis=1) if by_cols else pd.Series("", index=df.index)
    seen = pd.DataFrame({"key": key.to_numpy(), "age": work["_age"].to_numpy()}).drop_duplicates()
    for k, grp in seen.groupby("key", sort=False):
        missing = sorted(set(range(91)) - set(grp["age"]))
        if missing:
            first = int(np.flatnonzero(key.to_numpy() == k)[0])
            who = ", ".join(f"{c}={df[c].iloc[first]}" for c in by_cols) or "the frame"
            bands = list(dict.fromkeys(labels[np.searchsorted(lower, missing, side="right") - 1]))
            ages_text = ", ".join(map(str, missing[:6])) + (", ..." if len(missing) > 6 else "")
            raise CdpInputError(
                f"group {who} has no population for age{'s' if len(missing) > 1 else ''} {ages_text}, so its "
                f"ESP2013 band{'s' if len(bands) > 1 else ''} {', '.join(bands)} "
                f"{'are' if len(bands) > 1 else 'is'} incomplete",
                column=age, expected="every single year of age 0 to 90 (90 = 90 and over) in each group",
            )
    work["age_band"] = pd.Categorical(labels[band_idx], categories=list(labels), ordered=True)
    work[denominator] = pop
    out = work.groupby([*by_cols, "age_band"], observed=True, sort=True)[denominator].sum().reset_index()
    out["age_band"] = out["age_band"].astype(str)
    return out


@lru_cache(maxsize=4096)
def _normalise_band(label: object) -> str:
    text = str(label).strip().lower()
    text = re.sub(r"\b(aged|age|ages|years|year|yrs)\b", "", text)
    text = text.replace("\u2013", "-").replace("\u2014", "-").replace(" to ", "-")
    text = re.sub(r"\s*(and over|and above|plus|or over)\s*$", "+", text)
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"\b0+(\d)", r"\1", text)
    return text


@lru_cache(maxsize=1)
def _esp_canon() -> dict[str, int]:
    return {_normalise_band(b): i for i, b in enumerate(_esp2013_table()["age_band"])}


def _esp_weights(df: pd.DataFrame, age_band: str) -> tuple[np.ndarray, np.ndarray]:
    """Band index (0..18) and ESP2013 weight of every row; unknown labels raise."""
    table = _esp2013_table()
    canon = _esp_canon()
    codes, uniques = factorize(df[age_band], period=len(canon))
    idx_of_unique = np.array([canon.get(_normalise_band(u), -1) if pd.notna(u) else -1 for u in uniques])
    if (idx_of_unique < 0).any():
        bad_u = np.flatnonzero(idx_of_unique < 0)
        mask = np.isin(codes, bad_u)
        raise CdpInputError(
            "unknown age band",
            row=list(df.index[mask]),
            column=age_band,
            value=uniques[bad_u[0]],
            expected="one of the 19 ESP2013 bands " + ", ".join(table["age_band"]),
        )
    band = idx_of_unique[codes]
    return band, table["esp2013_population"].to_numpy(dtype=float)[band]


def _esp_block_bands(labels: pd.Series) -> np.ndarray | None:
    """ESP2013 band index (0..18) of each row position in a block of 19, or ``None``.

    The usual standardisation input has one block of 19 band rows per group, the bands in
    the same order in every block. That layout is recognised exactly (every row is
    compared with the row 19 places earlier, and the first block must name each ESP2013
    band once) without hashing every label; any other layout gives ``None`` and the
    general path, which also reports unknown or missing bands.
    """
    arr = labels.to_numpy()
    size = len(arr)
    if size <= 19 or size % 19 or isinstance(labels.dtype, pd.CategoricalDtype):
        return None
    try:
        same = bool(np.asarray(arr[19:] == arr[:-19], dtype=bool).all())
    except (TypeError, ValueError):
        return None
    if not same:
        return None
    canon = _esp_canon()
    head = np.array([canon.get(_normalise_band(u), -1) if pd.notna(u) else -1 for u in arr[:19]])
    if (np.sort(head) != np.arange(19)).any():
        return None
    return head


def _weights_from(standard: object, df: pd.DataFrame, age_band: str) -> np.ndarray:
    """Row weights from a band -> weight mapping, or 19 weights in ESP2013 band order."""
    if isinstance(standard, (dict, pd.Series)):
        mapping = {_normalise_band(k): float(v) for k, v in dict(standard).items()}
    else:
        try:
            values = [float(v) for v in standard]  # type: ignore[union-attr]
        except (TypeError, ValueError):
            raise CdpParameterError(
                "standard must be 'esp2013', a column name, a band -> population mapping "
                f"or 19 populations in ESP2013 band order; got {standard!r}"
            ) from None
        bands = _esp2013_table()["age_band"].tolist()
        if len(values) != len(bands):
            raise CdpInputError(
                f"standard population has {len(values)} values",
                column="standard",
                expected=f"{len(bands)} values, one per band " + ", ".join(bands),
            )
        mapping = {_normalise_band(b): v for b, v in zip(bands, values, strict=False)}
    if any(not np.isfinite(v) or v < 0 for v in mapping.values()):
        raise CdpInputError("standard population values must be numbers >= 0", column="standard")
    codes, uniques = pd.factorize(df[age_band], use_na_sentinel=False)
    w_u = np.array([mapping.get(_normalise_band(u), np.nan) if pd.notna(u) else np.nan for u in uniques])
    if np.isnan(w_u).any():
        bad_u = np.flatnonzero(np.isnan(w_u))
        raise CdpInputError(
            "age band not in the standard population",
            row=list(df.index[np.isin(codes, bad_u)]),
            column=age_band,
            value=uniques[bad_u[0]],
            expected="one of " + ", ".join(str(k) for k in mapping),
        )
    return w_u[codes]


@renamed(population="denominator")
def dsr(
    df: pd.DataFrame,
    count: str = "count",
    denominator: str = "population",
    by: str | Sequence[str] | None = ("area_code", "period"),
    age_band: str = "age_band",
    standard: str | dict | pd.Series | Sequence[float] = "esp2013",
    multiplier: float = 100_000,
    confidence: float | Sequence[float] | None = (0.95, 0.998),
    event_frequency: str | None = None,
) -> pd.DataFrame:
    """Directly standardised rate with Dobson confidence limits.

    Each group of ``by`` is one unit standardised. Rows are first summed within each
    (group, age band) cell, so a partnership's DSR uses its summed band counts and
    populations. With :math:`O_i, n_i, w_i` the events, population and standard
    population of band :math:`i`, :math:`W = \\sum w_i`, :math:`O = \\sum O_i`:

    .. math::

        \\text{DSR} = \\frac{m}{W} \\sum_i \\frac{w_i O_i}{n_i}, \\qquad
        V = \\frac{1}{W^2} \\sum_i \\frac{w_i^2 O_i}{n_i^2}

        \\text{limits} = \\text{DSR} + m\\sqrt{V/O}\\,(O_{L,U} - O)

    where :math:`O_L, O_U` are Byar's limits of :math:`O` (Dobson et al. 1991). Not
    calculated when :math:`O < 10`: value and limits ``NaN``, ``status`` ``"x"`` and
    ``note`` ``"not calculated: fewer than 10 events"``; 10-19 events give status ``"u"``.

    **Non-independent events** (``event_frequency`` given, e.g. repeat admissions):
    each row holds the number of *people* :math:`p_{i,f}` with exactly :math:`f` events
    in band :math:`i`. Then :math:`O_i = \\sum_f f p_{i,f}` (same DSR) and
    :math:`V = \\sum_f f^2 \\sum_i w_i^2 p_{i,f} / n_i^2 / W^2`, widening the interval.
    In this mode the population and standard must be the same on every frequency row
    of a (group, band) cell; sum areas into partnerships before calling.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per group x age band (more rows per cell are summed).
    count : str, default "count"
        Events per row (>= 0), or people per row with ``event_frequency``.
    denominator : str, default "population"
        Population of the row's band (>= 0; 0 only where the band has no events).
    by : str or sequence of str, default ("area_code", "period")
        Columns identifying each unit standardised; ``None`` makes the frame one unit.
    age_band : str, default "age_band"
        Column of band labels (used to match ``"esp2013"`` and to form cells).
    standard : str, mapping or sequence, default "esp2013"
        ``"esp2013"``: the 19 ESP2013 bands ``0-4`` ... ``85-89``, ``90+`` (every group
        must have all 19; labels such as ``"00-04"`` or ``"90 and over"`` are accepted;
        :math:`W` = 100,000). Otherwise the name of a column of ``df`` holding each row's
        standard population, a mapping (dict or Series) from band label to standard
        population, or 19 numbers in ESP2013 band order (any standard, e.g. ESP1976);
        :math:`W` is then the sum over the bands present in the group.
    multiplier : float, default 100_000
        Rate per this many people.
    confidence : float or sequence of float, default (0.95, 0.998)
        Levels of the limits (columns ``lower_95`` ... ``upper_99_8``).
    event_frequency : str, optional
        Column of the event frequency :math:`f` (>= 1) for non-independent events.

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` columns, ``count`` (total events :math:`O`),
        the denominator column (total), ``value``, the limits, ``method`` (``"dobson"`` or
        ``"dobson, non-independent events"``), ``status`` and ``note``.

    Raises
    ------
    CdpInputError
        Missing columns, non-numeric, missing or negative values, unknown age bands, a
        group without all 19 ESP2013 bands, events in a band of population 0, or a
        standard (or, for non-independent events, population) that differs between the
        rows of one cell.

    References
    ----------
    Dobson AJ, Kuulasmaa K, Eberle E, Scherer J (1991). Confidence intervals for weighted
    sums of Poisson parameters. Stat Med 10:457-462. Breslow NE, Day NE (1987), vol. II
    (Byar's method). Eurostat (2013), Revision of the European Standard Population. OHID,
    Fingertips technical guidance: directly standardised rates; PHEindicatormethods
    ``calculate_dsr`` documentation (non-independent events).

    Examples
    --------
    The check case of docs/references/domain.md §4: 40 deaths in bands 15-19 ... 65-69, every band
    population 20,000.

    >>> import pandas as pd
    >>> from cdp_analysis import indicators as ind
    >>> bands = ind.esp2013()["age_band"]
    >>> df = pd.DataFrame({"area_code": "E06000058", "period": "2022", "age_band": bands,
    ...                    "count": [0, 0, 0, 0, 3, 3, 5, 5, 5, 4, 5, 6, 3, 1, 0, 0, 0, 0, 0],
    ...                    "population": 20_000})
    >>> out = ind.dsr(df, confidence=0.95)
    >>> out[["count", "value", "lower_95", "upper_95", "method"]].round(2)
       count  value  lower_95  upper_95  method
    0     40   13.2      9.42     17.99  dobson
    """
    population = denominator  # vocabulary: the parameter is denominator

    by_cols = as_list(by)
    is_esp = isinstance(standard, str) and standard == "esp2013"
    is_column = isinstance(standard, str) and not is_esp
    needed = [count, population, age_band, *by_cols]
    if is_column:
        needed.append(standard)
    if event_frequency is not None:
        needed.append(event_frequency)
    check_frame(df, needed)
    levels = confidence_levels(confidence)
    m = check_multiplier(multiplier)
    x = numeric(df, count)
    n = numeric(df, population)
    if is_esp and event_frequency is None:
        head = _esp_block_bands(df[age_band])
        if head is not None:
            # every block of 19 rows holds each ESP2013 band once, in the same order
            blocks = group_blocks(df, by_cols, 19, per_block=True)
            if blocks is not None and blocks.n == len(blocks.codes):  # one block per group
                w19 = _esp2013_table()["esp2013_population"].to_numpy(dtype=float)[head]
                return _dsr_blocks(blocks, 19, x, n, w19, df, count, population, levels, m)
    if is_esp:
        band, w = _esp_weights(df, age_band)
        n_bands = 19
    else:
        w = numeric(df, standard) if is_column else _weights_from(standard, df, age_band)
        band, band_labels = pd.factorize(df[age_band], use_na_sentinel=False)
        band = band.astype(np.int64)
        n_bands = max(len(band_labels), 1)
    if event_frequency is not None:
        f = numeric(df, event_frequency)
        events_row = f * x
    else:
        f = None
        events_row = x

    groups = None
    if f is None and len(df) % n_bands == 0 and len(df) > n_bands:
        first_block = band[:n_bands]
        if len(np.unique(first_block)) == n_bands and (band.reshape(-1, n_bands) == first_block).all():
            # every block of n_bands rows holds each band once, in the same order
            blocks = group_blocks(df, by_cols, n_bands, per_block=True)
            if blocks is not None and blocks.n == len(blocks.codes):
                return _dsr_blocks(blocks, n_bands, x, n, w, df, count, population, levels, m)
            if blocks is not None:
                groups = Groups(np.repeat(blocks.codes, n_bands), blocks.n, blocks.keys)
    if groups is None:
        groups = group_rows(df, by_cols)
    G = groups.n
    cell_key = groups.codes * n_bands + band
    if G * n_bands <= 50_000_000:
        cell, n_cells = cell_key, G * n_bands
        present = np.bincount(cell, minlength=n_cells) > 0
    else:  # sparse keys: densify
        cell, uniq = pd.factorize(cell_key, sort=True)
        n_cells = len(uniq)
        present = np.ones(n_cells, dtype=bool)
        cell_key = uniq
    dense = n_cells == G * n_bands
    cell_group = None if dense else cell_key // n_bands

    def gsum(values: np.ndarray) -> np.ndarray:
        """Sum cell values within each group."""
        if dense:
            return values.reshape(G, n_bands).sum(axis=1)
        return np.bincount(cell_group, weights=values, minlength=G)

    def _constant(values: np.ndarray, column: str, what: str) -> np.ndarray:
        lo = np.full(n_cells, np.inf)
        hi = np.full(n_cells, -np.inf)
        np.minimum.at(lo, cell, values)
        np.maximum.at(hi, cell, values)
        bad_cell = present & (lo != hi)
        if bad_cell.any():
            rows = list(df.index[bad_cell[cell]])
            raise CdpInputError(
                f"{what} differs between rows of the same group and age band",
                row=rows,
                column=column,
                expected="one value per group and age band",
            )
        return np.where(present, lo, 0.0)

    o_cell = np.bincount(cell, weights=events_row, minlength=n_cells)
    if is_esp:
        w_cell = np.where(present, np.tile(_esp2013_table()["esp2013_population"].to_numpy(float), G) if dense else 0.0, 0.0)
        if not dense:
            w_cell = _constant(w, age_band, "standard population")
        per_group = gsum(present.astype(float))
        if (per_group < n_bands).any():
            missing = np.flatnonzero(per_group < n_bands)
            rows = list(df.index[np.isin(groups.codes, missing)])
            g0 = int(missing[0])
            have = set(np.flatnonzero(present.reshape(G, n_bands)[g0]) if dense
                       else np.asarray(cell_key)[cell_group == g0] % n_bands)
            labels = _esp2013_table()["age_band"].tolist()
            lack = [labels[i] for i in range(n_bands) if i not in have]
            first = int(np.flatnonzero(groups.codes == g0)[0])
            who = ", ".join(f"{c}={df[c].iloc[first]}" for c in by_cols) or "the frame"
            more = f" ({len(missing) - 1} more group{'s' if len(missing) > 2 else ''} lack bands too)" \
                if len(missing) > 1 else ""
            raise CdpInputError(
                f"group {who} has no row for the ESP2013 age band{'s' if len(lack) > 1 else ''} "
                f"{', '.join(lack)}{more}",
                row=rows,
                column=age_band,
                expected="rows for every band 0-4, 5-9, ..., 85-89, 90+ in each group "
                         "(esp2013_bands() puts single years of age into them)",
            )
    else:
        w_cell = _constant(w, standard if is_column else age_band, "standard population")
    if f is None:
        n_cell = np.bincount(cell, weights=n, minlength=n_cells)
    else:
        n_cell = _constant(n, population, "population")

    empty = (n_cell <= 0) & (o_cell > 0)
    if empty.any():
        raise CdpInputError(
            "events in an age band with population 0",
            row=list(df.index[empty[cell] & (x > 0)]),
            column=population,
            expected="a population > 0 where there are events",
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_n = np.where(n_cell > 0, 1.0 / n_cell, 0.0)
    W = gsum(w_cell)
    num = gsum(w_cell * o_cell * inv_n)
    if f is None:
        var_cell = w_cell**2 * o_cell * inv_n**2
    else:
        # sum over rows of f^2 * p * w^2 / n^2, with the cell's n and w
        var_cell = np.bincount(cell, weights=f * f * x, minlength=n_cells) * w_cell**2 * inv_n**2
    var = gsum(var_cell) / W**2
    obs = gsum(o_cell)
    pop = gsum(n_cell)
    return _dsr_result(groups.keys, num, W, var, obs, pop, df, count, population, levels, m, f is not None)


def _dsr_blocks(groups, nb, x, n, w, df, count, population, levels, m) -> pd.DataFrame:
    """DSR when each group is one block of ``nb`` consecutive rows (one per band).

    ``groups.codes`` holds the group of each block; ``w`` is the standard population of
    each row, or of each of the ``nb`` positions in a block (the same in every block).
    """
    X = x.reshape(-1, nb)
    N = n.reshape(-1, nb)
    Wt = w.reshape(-1, nb) if w.shape != (nb,) else w
    if N.min(initial=1.0) > 0:  # the usual case: every band has people
        wr = Wt / N
    else:
        empty = (N <= 0) & (X > 0)
        if empty.any():
            raise CdpInputError(
                "events in an age band with population 0",
                row=list(df.index[empty.ravel()]),
                column=population,
                expected="a population > 0 where there are events",
            )
        wr = np.divide(Wt, N, out=np.zeros(N.shape), where=N > 0)  # w / n, 0 where n = 0
    wrx = wr * X
    ones = np.ones(nb)
    order = groups.codes  # group of each block
    in_order = bool((order[1:] > order[:-1]).all())

    def per_group(values: np.ndarray) -> np.ndarray:
        sums = values @ ones  # a matrix-vector product: fast block sums
        if in_order:
            return sums
        out = np.empty(groups.n)
        out[order] = sums
        return out

    W = per_group(Wt) if Wt.ndim == 2 else np.full(groups.n, Wt.sum())
    num = per_group(wrx)
    var = per_group(wr * wrx) / W**2
    obs = per_group(X)
    pop = per_group(N)
    return _dsr_result(groups.keys, num, W, var, obs, pop, df, count, population, levels, m, False)


def _dsr_result(keys, num, W, var, obs, pop, df, count, population, levels, m, non_independent) -> pd.DataFrame:
    """Dobson limits, suppression below 10 events and the result frame."""
    G = len(obs)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = num / W * m
        spread = np.sqrt(var / obs) * m
    ok = obs >= DSR_MIN_EVENTS
    value = np.where(ok, value, np.nan)
    limits: dict[str, np.ndarray] = {}
    for c in levels:
        o_lo, o_hi = byar(obs, c)
        sfx = level_suffix(c)
        limits[f"lower_{sfx}"] = np.where(ok, value + spread * (o_lo - obs), np.nan)
        limits[f"upper_{sfx}"] = np.where(ok, value + spread * (o_hi - obs), np.nan)
    base = keys.copy(deep=False)
    base[count] = obs if non_independent else like(obs, df[count])
    base[population] = like(pop, df[population])
    state = np.where(~ok, 2, np.where(obs < UNRELIABLE_BELOW, 1, 0))
    method = "dobson, non-independent events" if non_independent else "dobson"
    return assemble(
        base,
        value,
        limits,
        categorical(np.zeros(G), [method]),
        categorical(state, ["", "u", "x"]),
        categorical(
            state,
            [
                "",
                f"fewer than {UNRELIABLE_BELOW} events: value unreliable",
                f"not calculated: fewer than {DSR_MIN_EVENTS} events",
            ],
        ),
    )


def _indirect(
    df: pd.DataFrame,
    count: str,
    population: str,
    ref_count: str,
    ref_population: str,
    by: str | Sequence[str] | None,
    confidence: float | Sequence[float] | None,
    method: str,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, dict, np.ndarray]:
    by_cols = as_list(by)
    check_frame(df, [count, population, ref_count, ref_population, *by_cols])
    levels = confidence_levels(confidence)
    x = numeric(df, count)
    n = numeric(df, population)
    X = numeric(df, ref_count)
    N = numeric(df, ref_population, strictly_positive=True)
    groups = group_rows(df, by_cols)
    obs = groups.sum(x)
    E = groups.sum(X / N * n)
    ref_rate = groups.sum(X) / groups.sum(N)
    no_expected = E <= 0
    if (no_expected & (obs > 0)).any():
        bad = np.flatnonzero(no_expected & (obs > 0))
        raise CdpInputError(
            "events observed where none are expected (expected count 0)",
            row=list(df.index[np.isin(groups.codes, bad)]),
            column=ref_count,
            expected="reference events > 0 in the group's bands",
        )
    lims: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    is_exact = np.zeros(len(obs), dtype=bool)
    for c in levels:
        lo, hi, is_exact = count_limits(obs, c, method)
        lims[level_suffix(c)] = (lo, hi)
    if not levels:
        is_exact = count_limits(obs, 0.95, method)[2]
    base = groups.keys.copy()
    base[count] = like(obs, df[count])
    base["expected"] = E
    return base, obs, E, ref_rate, lims, is_exact


def _finish(base, obs, E, scale, lims, is_exact) -> pd.DataFrame:
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(E > 0, scale / E, np.nan)
    limits = {}
    for sfx, (lo, hi) in lims.items():
        limits[f"lower_{sfx}"] = lo * factor
        limits[f"upper_{sfx}"] = hi * factor
    state = np.where(E <= 0, 2, np.where(obs < UNRELIABLE_BELOW, 1, 0))
    return assemble(
        base,
        obs * factor,
        limits,
        categorical(np.where(is_exact, 0, 1), ["exact", "byars"]),
        categorical(state, ["", "u", "x"]),
        categorical(
            state,
            ["", f"fewer than {UNRELIABLE_BELOW} events: value unreliable", "not calculated: no expected events"],
        ),
    )


@renamed(population="denominator", ref_population="ref_denominator")
def standardised_ratio(
    df: pd.DataFrame,
    count: str = "count",
    denominator: str = "population",
    ref_count: str = "ref_count",
    ref_denominator: str = "ref_population",
    by: str | Sequence[str] | None = None,
    refvalue: float = 1,
    confidence: float | Sequence[float] | None = (0.95, 0.998),
    method: str = "auto",
) -> pd.DataFrame:
    """Indirectly standardised ratio (e.g. standardised mortality ratio, SMR).

    Per group, with local events :math:`O_i` and population :math:`n_i` and reference
    events :math:`X_i` and population :math:`N_i` in band :math:`i`:

    .. math::

        E = \\sum_i \\frac{X_i}{N_i} n_i, \\qquad
        \\text{value} = \\frac{O}{E} \\times r, \\qquad
        \\text{limits} = \\frac{O_{L,U}}{E} \\times r

    where :math:`O = \\sum O_i`, :math:`r` the reference value and :math:`O_L, O_U` the
    count limits of :math:`O` (exact Poisson below 10 events, Byar's from 10). A zero
    count gives value 0 with a finite upper limit.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per group x band, holding local and reference figures for the band.
    count, population : str
        Local events (>= 0) and population (>= 0) per row.
    ref_count, ref_population : str
        Reference (e.g. England) events (>= 0) and population (> 0) of the row's band.
    by : str or sequence of str, optional
        Units standardised; ``None`` makes the frame one unit.
    refvalue : float, default 1
        Value of the reference: 1 for a ratio, 100 for an SMR in percent.
    confidence : float or sequence of float, default (0.95, 0.998)
        Levels of the limits.
    method : {"auto", "exact", "byars"}, default "auto"
        Count limits of :math:`O`.

    Returns
    -------
    pandas.DataFrame
        ``by`` columns, ``count`` (observed), ``expected``, ``value``, limits,
        ``method``, ``status``, ``note``.

    References
    ----------
    Breslow NE, Day NE (1987). Statistical Methods in Cancer Research, vol. II. IARC.
    OHID, Fingertips technical guidance: indirectly standardised ratios.

    Examples
    --------
    >>> import pandas as pd
    >>> from cdp_analysis import indicators as ind
    >>> df = pd.DataFrame({"count": [5, 20], "population": [10_000, 5_000],
    ...                    "ref_count": [300, 900], "ref_population": [1_000_000, 500_000]})
    >>> out = ind.standardised_ratio(df, refvalue=100, confidence=0.95)
    >>> out[["count", "expected", "value", "lower_95", "upper_95"]].round(2)
       count  expected   value  lower_95  upper_95
    0     25      12.0  208.33    134.79    307.55
    """
    population = denominator  # vocabulary: the parameter is denominator
    ref_population = ref_denominator  # vocabulary: the parameter is ref_denominator

    base, obs, E, _, lims, is_exact = _indirect(
        df, count, population, ref_count, ref_population, by, confidence, method
    )
    r = float(refvalue)
    if not np.isfinite(r) or r <= 0:
        raise CdpParameterError(f"refvalue must be a positive number, got {refvalue!r}")
    return _finish(base, obs, E, r, lims, is_exact)


@renamed(population="denominator", ref_population="ref_denominator")
def isr(
    df: pd.DataFrame,
    count: str = "count",
    denominator: str = "population",
    ref_count: str = "ref_count",
    ref_denominator: str = "ref_population",
    by: str | Sequence[str] | None = None,
    multiplier: float = 100_000,
    confidence: float | Sequence[float] | None = (0.95, 0.998),
    method: str = "auto",
) -> pd.DataFrame:
    """Indirectly standardised rate.

    The standardised ratio :math:`O/E` (see :func:`standardised_ratio`) times the
    reference crude rate :math:`R = \\sum X_i / \\sum N_i` (over the group's rows):

    .. math::

        \\text{ISR} = \\frac{O}{E} R \\times m, \\qquad
        \\text{limits} = \\frac{O_{L,U}}{E} R \\times m

    with exact Poisson limits of :math:`O` below 10 events and Byar's from 10.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per group x band with local and reference figures.
    count, population, ref_count, ref_population : str
        As for :func:`standardised_ratio`.
    by : str or sequence of str, optional
        Units standardised; ``None`` makes the frame one unit.
    multiplier : float, default 100_000
        Rate per this many people.
    confidence : float or sequence of float, default (0.95, 0.998)
        Levels of the limits.
    method : {"auto", "exact", "byars"}, default "auto"
        Count limits of :math:`O`.

    Returns
    -------
    pandas.DataFrame
        ``by`` columns, ``count``, ``expected``, ``ref_rate`` (per ``multiplier``),
        ``value``, limits, ``method``, ``status``, ``note``.

    References
    ----------
    Breslow NE, Day NE (1987), vol. II. OHID, Fingertips technical guidance: indirectly
    standardised rates.

    Examples
    --------
    >>> import pandas as pd
    >>> from cdp_analysis import indicators as ind
    >>> df = pd.DataFrame({"count": [5, 20], "population": [10_000, 5_000],
    ...                    "ref_count": [300, 900], "ref_population": [1_000_000, 500_000]})
    >>> out = ind.isr(df, confidence=0.95)
    >>> out[["ref_rate", "value"]].round(2)
       ref_rate   value
    0      80.0  166.67
    """
    population = denominator  # vocabulary: the parameter is denominator
    ref_population = ref_denominator  # vocabulary: the parameter is ref_denominator

    base, obs, E, ref_rate, lims, is_exact = _indirect(
        df, count, population, ref_count, ref_population, by, confidence, method
    )
    m = check_multiplier(multiplier)
    base["ref_rate"] = ref_rate * m
    return _finish(base, obs, E, ref_rate * m, lims, is_exact)


_ = EXACT_BELOW  # re-exported threshold, documented in rates
