"""Statistical graphics for exploring in JupyterLab, drawn with seaborn in the afcharts style.

Three kinds of chart an analyst needs beside the report charts (:mod:`cdp_analysis.report.charts`):

* :func:`small_multiples`: one panel per measure, the area's trend against its region and
  England (seaborn's figure-level ``relplot``), intervals as ribbons;
* :func:`distribution`: every area's value as a strip over a box plot, one area picked out,
  with the funnel (control) limits at that area's size;
* :func:`regression`: a scatter of areas with a fitted line and its confidence band, the band
  taken from the model the caller fitted (not re-estimated by seaborn).

Every function takes tidy frames and returns a :class:`~cdp_analysis.report.charts.Chart`
like the report charts (it shows itself in JupyterLab and unpacks as ``(figure, alt_text)``):
a title that states the finding (the caller's words), a subtitle with the measure, areas and
period, a source line, and alt text written from the data (about 300 characters at most).
Pass both to :func:`cdp_analysis.report.outputs.show_figure`, or show the figure as it is.

The theme is seaborn's (``ticks``), then the afcharts matplotlib style on top of it, so the
Government Analysis Function fonts, colours and gridlines win. seaborn and matplotlib are
imported inside the functions: ``import cdp_analysis`` stays light (measured by
``benchmarks/import_time.py``).

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"period": ["2019", "2020", "2021"] * 2, "value": [10.0, 11.0, 12.0, 8.0, 8.5, 9.0],
...                    "area_name": ["Dorset"] * 3 + ["England"] * 3, "measure": ["Deaths per 100,000"] * 6})
>>> fig, alt = small_multiples(df, highlight="Dorset", title="Dorset above England", subtitle="2019 to 2021",
...                            source="Source: ONS")
>>> alt
'Line charts in 1 panel (Deaths per 100,000) from 2019 to 2021 for Dorset and England. Deaths per 100,000: Dorset 12.0 in 2021 (England 9.0).'
>>> close(fig)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

import numpy as np
import pandas as pd

from cdp_analysis.report.charts import (
    FOCUS,
    GREY,
    LABEL_GREY,
    STYLE,
    Chart,
    _check_columns,
    _clip,
    _decimals,
    _fmt_fixed,
    _frame,
    _lower_first,
    _with_interval,
    close,
    fmt_number,
    palette,
)

__all__ = ["small_multiples", "distribution", "regression", "theme", "close", "position_against_limits"]


@contextmanager
def theme():
    """seaborn's ``ticks`` theme, then the afcharts style over it (a context manager).

    Everything drawn inside uses the Analysis Function fonts and colours with seaborn's
    layout defaults; nothing is changed outside the ``with`` block.
    """
    import matplotlib.pyplot as plt  # the backend is left as chosen (inline in JupyterLab)
    import seaborn as sns

    with ExitStack() as stack:
        stack.enter_context(sns.axes_style("ticks"))
        stack.enter_context(sns.plotting_context("notebook"))
        stack.enter_context(plt.style.context([STYLE, {"xtick.labelsize": 10, "ytick.labelsize": 10,
                                                       "axes.labelsize": 11, "svg.hashsalt": "cdp-analysis",
                                                       "svg.fonttype": "path"}]))
        yield


def _periods_in_order(values: pd.Series) -> list[str]:
    return sorted(dict.fromkeys(values.astype(str)))


# ----------------------------------------------------------------------------- small multiples

def small_multiples(
    df: pd.DataFrame,
    *,
    x: str = "period",
    y: str = "value",
    panel: str = "measure",
    group: str = "area_name",
    lower: str | None = "lower_95",
    upper: str | None = "upper_95",
    highlight: str | None = None,
    title: str,
    subtitle: str,
    source: str,
    col_wrap: int = 3,
    height: float = 2.6,
    interval_label: str = "95% confidence interval",
) -> Chart:
    """Trends of one area against its comparators, one panel per measure (seaborn ``relplot``).

    Parameters
    ----------
    df
        Tidy rows: ``x`` (period labels that sort in time order, e.g. ``2019`` or
        ``2017-2019``), ``y``, ``panel`` (the measure with its unit, the panel title),
        ``group`` (area, region, England) and optionally the interval columns.
    highlight
        The group drawn in the focus colour (the area); the others get the next
        Analysis Function colours. Default: the first group.
    title, subtitle, source
        The finding in words, what and where, and the source line.
    col_wrap, height
        Panels per row and the height of each panel (inches).

    Returns
    -------
    Chart
        The figure and its alt text: the panels, the x range, the groups and, per panel, the
        highlighted group's latest value against the others'.
    """
    _check_columns(df, [x, y, panel, group], "small_multiples")
    data = df[df[y].notna()].copy()
    if data.empty:
        raise ValueError("small_multiples: no values to plot")
    data[x] = data[x].astype(str)
    data[y] = data[y].astype(float)
    groups = list(dict.fromkeys(data[group].astype(str)))
    focus = highlight if highlight is not None else groups[0]
    if focus not in groups:
        raise ValueError(f"small_multiples: highlight {focus!r} is not one of the groups {groups}")
    groups = [focus, *[g for g in groups if g != focus]]
    colours = dict(zip(groups, palette(min(len(groups), 6)) + [GREY] * max(0, len(groups) - 6), strict=True))
    panels = list(dict.fromkeys(data[panel].astype(str)))
    order = _periods_in_order(data[x])
    pos = {p: i for i, p in enumerate(order)}
    data["_x"] = data[x].map(pos).astype(float)
    has_ci = lower is not None and upper is not None and lower in data.columns and upper in data.columns
    import seaborn as sns

    with theme():
        wrap = max(1, min(col_wrap, len(panels)))
        grid = sns.relplot(data=data, x="_x", y=y, hue=group, hue_order=groups, palette=colours, col=panel,
                           col_order=panels, col_wrap=wrap if len(panels) > 1 else None, kind="line",
                           marker="o" if len(order) <= 20 else None, markersize=4, height=height, aspect=1.35,
                           facet_kws={"sharey": False, "sharex": True}, legend=False)
        for name, ax in grid.axes_dict.items():
            sub = data[data[panel].astype(str) == str(name)]
            if has_ci:
                for g in groups:
                    s = sub[(sub[group].astype(str) == g) & sub[lower].notna() & sub[upper].notna()].sort_values("_x")
                    if len(s):
                        ax.fill_between(s["_x"], s[lower].astype(float), s[upper].astype(float), color=colours[g],
                                        alpha=0.15, linewidth=0)
            ax.set_title(str(name), fontsize=11, loc="left")
            ax.set_xlabel("")
            ax.set_ylabel("")
            ax.grid(axis="y", visible=True)
            ax.grid(axis="x", visible=False)
            if len(sub) and sub[y].min() >= 0:
                ax.set_ylim(0, ax.get_ylim()[1] * 1.05)
            step = max(1, int(np.ceil(len(order) / 4)))
            ticks = list(range(0, len(order), step))
            ax.set_xticks(ticks, [order[i] for i in ticks])
        fig = grid.figure
        w, h = fig.get_size_inches()
        fig.set_size_inches(max(w, 7.5), h + 1.6)
        note = f"Shaded areas show {interval_label}s." if has_ci else None
        _frame(fig, fig.axes[0], title=title, subtitle=subtitle, source=source, note=note, right=0.97)
        # the key under the subtitle, then the panels (each with its measure as title)
        point = 1.0 / (fig.get_figheight() * 72)
        top = fig.subplotpars.top
        fig.legend(handles=[_line(colours[g]) for g in groups], labels=groups, loc="upper left", ncol=len(groups),
                   frameon=False, fontsize=10, bbox_to_anchor=(0.01, top + 6 * point), handlelength=1.5)
        fig.subplots_adjust(left=0.08, top=top - 40 * point, hspace=0.6, wspace=0.25)

    alt = [f"Line charts in {len(panels)} panel{'s' if len(panels) != 1 else ''} "
           f"({', '.join(panels[:4])}{'…' if len(panels) > 4 else ''}) from {order[0]} to {order[-1]} for "
           f"{_and(groups)}."]
    for name in panels:
        sub = data[data[panel].astype(str) == name]
        mine = sub[sub[group].astype(str) == focus].sort_values("_x")
        if mine.empty:
            continue
        last = mine.iloc[-1]
        others = sub[(sub[x] == last[x]) & (sub[group].astype(str) != focus)]
        dec = _decimals(list(sub[y]))
        comp = ", ".join(f"{g} {_fmt_fixed(v, dec)}" for g, v in zip(others[group], others[y], strict=True))
        alt.append(f"{name}: {focus} {_fmt_fixed(last[y], dec)} in {last[x]}{f' ({comp})' if comp else ''}.")
    return _chart(fig, " ".join(alt))


def _chart(fig, alt: str) -> Chart:
    """The figure, no longer held by pyplot (so JupyterLab shows it once, through the Chart),
    and its alt text clipped to whole sentences."""
    import matplotlib.pyplot as plt

    plt.close(fig)
    return Chart(fig, _clip(alt))


def _line(colour: str):
    from matplotlib.lines import Line2D

    return Line2D([0], [0], color=colour, linewidth=2.5)


def _and(items: Sequence[str]) -> str:
    """A list in words: ``A``, ``A and B``, ``A, B and C``; more than four end with an ellipsis.

    >>> _and(["A"]), _and(["A", "B", "C"]), _and(list("ABCDEF"))
    ('A', 'A, B and C', 'A, B, C, D…')
    """
    items = [str(i) for i in items]
    if len(items) > 4:
        return ", ".join(items[:4]) + "…"
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + f" and {items[-1]}"


# ----------------------------------------------------------------------------- distribution

def distribution(
    df: pd.DataFrame,
    *,
    value: str = "value",
    label: str = "area_name",
    highlight: str | None = None,
    limits: Mapping[str, float] | pd.Series | None = None,
    title: str,
    subtitle: str,
    source: str,
    x_label: str,
) -> Chart:
    """Where one area sits among all areas: a strip of every area over a box plot.

    Parameters
    ----------
    df
        One row per area: ``value`` and ``label``.
    highlight
        The area to pick out (focus colour, labelled, its rank in the alt text).
    limits
        Funnel (control) limits at the highlighted area's size: ``centre``, ``lower_95``,
        ``upper_95``, ``lower_99_8``, ``upper_99_8`` (e.g. one row of
        :func:`cdp_analysis.indicators.funnel_limits` interpolated at its population). Drawn
        as a shaded 95% band and 99.8% lines around the average.
    x_label
        The measure with its unit (the value axis).

    Returns
    -------
    Chart
        The alt text gives the number of areas, the median and range, and the highlighted
        area's value, rank (1 = highest) and position against the limits.
    """
    _check_columns(df, [value, label], "distribution")
    data = df[[label, value]].copy()
    data[value] = pd.to_numeric(data[value], errors="coerce")
    data = data[data[value].notna()].reset_index(drop=True)
    if data.empty:
        raise ValueError("distribution: no values to plot")
    data[label] = data[label].astype(str)
    if highlight is not None and highlight not in set(data[label]):
        raise ValueError(f"distribution: highlight {highlight!r} is not among the areas")
    lim = None
    if limits is not None:
        lim = {k: float(limits[k]) for k in ("centre", "lower_95", "upper_95", "lower_99_8", "upper_99_8")}
    import seaborn as sns

    with theme():
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8.0, 4.2))
        if lim is not None:
            ax.axvspan(lim["lower_95"], lim["upper_95"], color="#28A197", alpha=0.15, linewidth=0, zorder=0)
            for c in ("lower_99_8", "upper_99_8"):
                ax.axvline(lim[c], color="#801650", linewidth=1.3, zorder=1)
            ax.axvline(lim["centre"], color="#3D3D3D", linewidth=1.1, zorder=1)
        with warnings.catch_warnings():  # seaborn 0.13 passes matplotlib 3.10+'s deprecated ``vert``
            warnings.filterwarnings("ignore", message=".*vert.*", category=DeprecationWarning)
            warnings.filterwarnings("ignore", message=".*vert.*", category=PendingDeprecationWarning)
            sns.boxplot(data=data, x=value, ax=ax, color=LABEL_GREY, fill=False, width=0.45, showfliers=False,
                        zorder=2, linewidth=1.0)
        others = data[data[label] != highlight]
        sns.stripplot(data=others, x=value, ax=ax, color=GREY if highlight else FOCUS, size=4.5, jitter=0.18,
                      zorder=3, alpha=0.9)
        if highlight is not None:
            hv = float(data.loc[data[label] == highlight, value].iloc[0])
            ax.scatter([hv], [0], s=90, color=FOCUS, edgecolor="white", linewidth=1.0, zorder=5)
            ax.annotate(highlight, (hv, 0), xytext=(0, 22), textcoords="offset points", ha="center", fontsize=11,
                        fontweight="bold", color=FOCUS, arrowprops={"arrowstyle": "-", "color": FOCUS})
        ax.set_xlabel(x_label)
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        ax.grid(axis="x", visible=True)
        ax.grid(axis="y", visible=False)
        note = None
        if lim is not None:
            note = ("Shaded band: 95% control limits at the area's size; dark lines: 99.8% limits and the "
                    "average.")
        _frame(fig, ax, title=title, subtitle=subtitle, source=source, note=note, right=0.97)

    v = data[value].to_numpy(dtype=float)
    parts = [f"Strip and box plot of {_lower_first(x_label)} for {len(data)} areas: median {fmt_number(np.median(v))},"
             f" from {fmt_number(v.min())} to {fmt_number(v.max())}."]
    if highlight is not None:
        hv = float(data.loc[data[label] == highlight, value].iloc[0])
        rank = int((v > hv).sum()) + 1
        parts.append(f"{highlight}: {fmt_number(hv)}, ranked {rank} of {len(data)} (1 = highest).")
        if lim is not None:
            parts.append(f"{highlight} is {position_against_limits(hv, lim)}.")
    return _chart(fig, " ".join(parts))


def position_against_limits(v: float, lim: Mapping[str, float]) -> str:
    """Position of a value against funnel limits, in Fingertips' words.

    >>> position_against_limits(5.0, {"lower_95": 1, "upper_95": 4, "lower_99_8": 0, "upper_99_8": 6, "centre": 2})
    'between the upper 95% and 99.8% limits'
    """
    if v > lim["upper_99_8"]:
        return "above the upper 99.8% limit"
    if v > lim["upper_95"]:
        return "between the upper 95% and 99.8% limits"
    if v < lim["lower_99_8"]:
        return "below the lower 99.8% limit"
    if v < lim["lower_95"]:
        return "between the lower 95% and 99.8% limits"
    return "within the 95% limits"


# ----------------------------------------------------------------------------- regression

def regression(
    points: pd.DataFrame,
    band: pd.DataFrame,
    *,
    x: str,
    y: str,
    label: str = "area_name",
    highlight: str | Sequence[str] | None = None,
    size: str | None = None,
    title: str,
    subtitle: str,
    source: str,
    x_label: str,
    y_label: str,
    fit_label: str = "fitted line",
    interval_label: str = "95% confidence band",
) -> Chart:
    """Areas as points, the fitted line and its confidence band (from the caller's model).

    Parameters
    ----------
    points
        One row per area: ``x``, ``y``, ``label`` and optionally ``size`` (e.g. population,
        drawn as the point's area).
    band
        The fit over a grid of ``x``: ``x`` (or the same name as in ``points``), ``fit``,
        ``lower``, ``upper``
        (e.g. :meth:`cdp_analysis.deprivation.DeprivationGradient.band`).
    highlight
        Area(s) to pick out and label.
    fit_label, interval_label
        How the line and band are described in the note and alt text.

    Returns
    -------
    Chart
        The alt text names the number of areas, the direction of the fitted line from its
        ends and where each highlighted area sits against the band.
    """
    _check_columns(points, [x, y, label, size], "regression points")
    bx = x if x in band.columns else "x"
    _check_columns(band, [bx, "fit", "lower", "upper"], "regression band")
    pts = points.copy()
    pts = pts[pts[x].notna() & pts[y].notna()]
    if pts.empty:
        raise ValueError("regression: no points to plot")
    pts[label] = pts[label].astype(str)
    highlights = [highlight] if isinstance(highlight, str) else list(highlight or [])
    missing = [h for h in highlights if h not in set(pts[label])]
    if missing:
        raise ValueError(f"regression: highlight {missing[0]!r} is not among the points")
    b = band.rename(columns={bx: x}).sort_values(x)
    import seaborn as sns

    with theme():
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8.0, 5.2))
        ax.fill_between(b[x], b["lower"], b["upper"], color=FOCUS, alpha=0.18, linewidth=0, zorder=1)
        ax.plot(b[x], b["fit"], color=FOCUS, linewidth=2, zorder=2)
        others = pts[~pts[label].isin(highlights)]
        kw: dict[str, Any] = {"sizes": (15, 160), "size": size} if size else {"s": 30}
        sns.scatterplot(data=others, x=x, y=y, ax=ax, color=GREY, edgecolor="white", linewidth=0.4, zorder=3,
                        legend=False, **kw)
        for i, name in enumerate(highlights):
            h = pts[pts[label] == name].iloc[0]
            ax.scatter([h[x]], [h[y]], s=80, color="#F46A25", edgecolor="white", linewidth=0.8, zorder=5)
            ax.annotate(name, (h[x], h[y]), xytext=(7, 6 - 14 * (i % 2)), textcoords="offset points",
                        fontsize=11, fontweight="bold", color="#3D3D3D")
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        ax.grid(axis="y", visible=True)
        ax.grid(axis="x", visible=False)
        if (pts[y] >= 0).all():
            ax.set_ylim(bottom=0)
        note = f"Line: {fit_label}; shaded: its {interval_label}."
        if size:
            note += f" Point area shows {size.replace('_', ' ')}."
        _frame(fig, ax, title=title, subtitle=subtitle, source=source, note=note, right=0.95)

    f0, f1 = float(b["fit"].iloc[0]), float(b["fit"].iloc[-1])
    direction = "rises" if f1 > f0 else "falls" if f1 < f0 else "is flat"
    parts = [f"Scatter plot of {_lower_first(y_label)} against {_lower_first(x_label)} for {len(pts)} areas, "
             f"with a {fit_label} and its {interval_label}.",
             f"The fitted line {direction} from {fmt_number(f0)} at {fmt_number(b[x].iloc[0])} to "
             f"{fmt_number(f1)} at {fmt_number(b[x].iloc[-1])}."]
    for name in highlights:
        h = pts[pts[label] == name].iloc[0]
        parts.append(f"{name}: {_with_interval(float(h[y]), None, None)} at {fmt_number(h[x])}.")
    return _chart(fig, " ".join(parts))
