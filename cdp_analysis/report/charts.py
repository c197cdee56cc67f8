"""Accessible charts in the Government Analysis Function style, each with its alt text.

Every function takes the tidy frame it plots and returns a :class:`Chart`: the figure and its
alt text, shown together in JupyterLab (the image with its alt text, and the alt text below
it), and unpacked as ``fig, alt = trend(...)`` by the reports:

* the figure uses the afcharts matplotlib style and colours, a title that states the finding
  (the caller's words), a subtitle with the measure, area and period, a source line at the
  bottom, gridlines on the value axis only, direct labels instead of legends, and intervals
  drawn as ribbons (lines) or error bars (bars);
* the alt text is written from the data: the type of chart, what is plotted, the range of
  the x axis, the latest value with its interval, and where the highlighted area sits. It is
  plain English and about 300 characters at most.

A quick look needs only the frame (``trend(df)``): the title, subtitle, source and axis
labels have defaults (the column names), to be replaced by the finding, the measure, area
and period, and the source before a chart is published. Pass a chart (or its figure and alt
text) to :func:`cdp_analysis.report.outputs.show_figure` in a report to save it.

The figures are :class:`matplotlib.figure.Figure` objects drawn on their own Agg canvas,
outside pyplot: a chart never changes the notebook's backend (no ``matplotlib.use``), is not
shown twice by the inline backend, and leaves ``df.plot(); plt.show()`` working as before.
Matplotlib is imported inside the functions so that ``import cdp_analysis`` stays light.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"period": ["2021", "2022", "2023"], "value": [10.0, 12.5, 11.0],
...                    "lower_95": [8.0, 10.1, 9.0], "upper_95": [12.4, 15.2, 13.3]})
>>> chart = trend(df, title="Deaths steady", subtitle="Rate per 100,000, Dorset, 2021 to 2023",
...               source="Source: ONS", y_label="Rate per 100,000")
>>> fig, alt = chart  # the reports unpack it; a notebook shows it
>>> alt
'Line chart of rate per 100,000 from 2021 to 2023, with shaded 95% confidence intervals. Latest value (2023): 11.0 (95% confidence interval 9.0 to 13.3). Lowest 10.0 in 2021; highest 12.5 in 2022.'
>>> close(fig)
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cdp_analysis.formatting import fmt_number

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["Chart", "trend", "comparison_bars", "funnel", "monthly", "fmt_number", "palette", "close",
           "STYLE", "FOCUS", "GREY", "MAX_ALT"]

STYLE = "afcharts.afcharts"
FOCUS = "#12436D"  # afcharts focus palette: highlight
GREY = "#BFBFBF"  # afcharts focus palette: everything else
LABEL_GREY = "#6F6F6F"  # text beside grey lines (4.9:1 on white)
MAX_ALT = 300
FIGSIZE = (8.0, 5.0)
_TITLE_WRAP = 62
_SUB_WRAP = 80


@dataclass(frozen=True)
class Chart:
    """A chart and its alt text; shows itself in JupyterLab and unpacks as ``(figure, alt)``.

    Attributes
    ----------
    figure
        The :class:`matplotlib.figure.Figure` (not managed by pyplot; save it with
        ``chart.figure.savefig(...)`` or :func:`cdp_analysis.report.outputs.show_figure`).
    alt
        The alt text, written from the data (at most about 300 characters).

    Examples
    --------
    >>> import pandas as pd
    >>> chart = trend(pd.DataFrame({"period": ["2021", "2022"], "value": [3.0, 4.0]}))
    >>> fig, alt = chart
    >>> alt
    'Line chart of value from 2021 to 2022. Latest value (2022): 4.'
    >>> sorted(chart._repr_mimebundle_())
    ['image/png', 'text/html', 'text/plain']
    >>> close(chart)
    """

    figure: Figure
    alt: str

    def __iter__(self) -> Iterator[Any]:
        return iter((self.figure, self.alt))

    def png(self, dpi: int = 100) -> bytes:
        """The chart as PNG bytes."""
        import io

        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.15)
        return buf.getvalue()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        import base64
        import html

        data = base64.b64encode(self.png()).decode("ascii")
        alt = html.escape(self.alt, quote=True)
        page = (f'<figure style="margin:0"><img src="data:image/png;base64,{data}" alt="{alt}" '
                f'style="max-width:100%"><figcaption style="color:#505a5f;font-size:0.9em">'
                f"Alt text: {alt}</figcaption></figure>")
        return {"image/png": data, "text/html": page, "text/plain": f"Chart: {self.alt}"}

    def __repr__(self) -> str:
        return f"Chart(alt={self.alt!r})"

    def close(self) -> None:
        """Free the figure's memory."""
        close(self.figure)


# ----------------------------------------------------------------------------- helpers

def palette(n: int) -> list[str]:
    """The Analysis Function categorical colours for ``n`` series (1 to 6), in order.

    >>> palette(1)
    ['#12436D']
    >>> palette(3)
    ['#12436D', '#28A197', '#801650']
    """
    from afcharts.af_colours import get_af_colours

    if n < 1:
        raise ValueError("palette needs at least one colour")
    if n == 1:
        return [get_af_colours("categorical")[0]]
    if n > 6:
        raise ValueError(f"at most 6 series can be told apart by colour; got {n} (use small multiples)")
    return list(get_af_colours("categorical", number_of_colours=n))


def _fmt_fixed(v: float, decimals: int | None) -> str:
    if decimals is None:
        return fmt_number(v)
    return f"{v:,.{decimals}f}"


def _decimals(values: Sequence[float]) -> int | None:
    """One number of decimal places for a set of related values (value and its limits)."""
    vals = [abs(float(v)) for v in values if v is not None and np.isfinite(v)]
    if not vals or all(v == round(v) for v in vals):
        return None
    m = max(vals)
    most = 0 if m >= 100 else 1 if m >= 10 else 2
    exact = next((d for d in (0, 1) if all(abs(v - round(v, d)) < 1e-9 for v in vals)), 2)
    return min(most, max(exact, 1 if most else 0))


def _with_interval(v: float, lo: float | None, hi: float | None, label: str = "95% confidence interval") -> str:
    dec = _decimals([v, lo if lo is not None else np.nan, hi if hi is not None else np.nan])
    text = _fmt_fixed(v, dec)
    if lo is not None and hi is not None and np.isfinite(lo) and np.isfinite(hi):
        text += f" ({label} {_fmt_fixed(lo, dec)} to {_fmt_fixed(hi, dec)})"
    return text


def _lower_first(text: str) -> str:
    """Lower-case the first letter unless the first word looks like an acronym."""
    if not text:
        return text
    first = text.split()[0]
    if len(first) > 1 and first[:2].isupper():
        return text
    return text[0].lower() + text[1:]


def _clip(text: str, limit: int = MAX_ALT) -> str:
    """Keep whole sentences up to ``limit`` characters (the first sentence always)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    sentences = [s.strip() for s in text.replace(". ", ".\x00").split("\x00")]
    out = sentences[0]
    for s in sentences[1:]:
        if len(out) + 1 + len(s) > limit:
            break
        out += " " + s
    if len(out) > limit:
        out = out[: limit - 1].rsplit(" ", 1)[0] + "…"
    return out


def _labels(values: pd.Series) -> list[str]:
    """Tick labels for x values: dates as 'Mon YYYY' when monthly, else their text."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return [pd.Timestamp(v).strftime("%b %Y") for v in values]
    return [str(v) for v in values]


def _is_numeric_x(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _style():
    """The afcharts style as a context manager (the backend is never touched)."""
    import matplotlib.style

    return matplotlib.style.context([STYLE, {"xtick.labelsize": 11, "ytick.labelsize": 11, "axes.labelsize": 12,
                                      "svg.hashsalt": "cdp-analysis", "svg.fonttype": "path"}])


def _new_figure(figsize: tuple[float, float] = FIGSIZE):
    """A figure on its own Agg canvas, outside pyplot (so the notebook's backend is left alone)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    return fig, ax


def _frame(fig, ax, *, title: str, subtitle: str, source: str, note: str | None = None,
           right: float = 0.84) -> None:
    """Title and subtitle at the top left, source (and a note) at the bottom left."""
    title_w = textwrap.fill(title, _TITLE_WRAP)
    sub_w = textwrap.fill(subtitle, _SUB_WRAP) if subtitle else ""
    foot = " ".join(p for p in (note, source) if p)
    foot_w = textwrap.fill(foot, 100) if foot else ""
    h = fig.get_figheight()
    line = 1.0 / (h * 72)  # one point in figure fraction
    n_title, n_sub, n_foot = title_w.count("\n") + 1, (sub_w.count("\n") + 1 if sub_w else 0), (
        foot_w.count("\n") + 1 if foot_w else 0)
    y = 1 - 10 * line
    fig.text(0.02, y, title_w, ha="left", va="top", fontsize=15, fontweight="bold", color="#0B0C0C")
    y -= n_title * 19 * line + 4 * line
    if sub_w:
        fig.text(0.02, y, sub_w, ha="left", va="top", fontsize=11.5, color="#3D3D3D")
        y -= n_sub * 15 * line
    top = y - 10 * line
    if foot_w:
        fig.text(0.02, 8 * line, foot_w, ha="left", va="bottom", fontsize=9.5, color="#3D3D3D")
    bottom = (8 + n_foot * 12.5 + 34) * line
    fig.subplots_adjust(left=0.1, right=right, top=max(top, 0.45), bottom=min(bottom, 0.4))


def _label(column: str) -> str:
    """A column name as a default label: ``'lower_95'`` -> ``'Lower 95'``."""
    text = str(column).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _check_columns(df: pd.DataFrame, cols: Sequence[str | None], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what} takes a DataFrame, not {type(df).__name__}")
    missing = [c for c in cols if c is not None and c not in df.columns]
    if missing:
        raise KeyError(f"{what}: missing columns {missing}; have {list(df.columns)}")


def _direct_label(ax, x: float, y: float, text: str, color: str) -> None:
    color = LABEL_GREY if color == GREY else color  # grey text needs contrast >= 4.5:1
    ax.annotate(text, (x, y), xytext=(6, 0), textcoords="offset points", va="center", ha="left",
                color=color, fontsize=11, fontweight="bold", annotation_clip=False)


def close(fig: Figure | Chart) -> None:
    """Close a figure or a :class:`Chart` (free its memory)."""
    import sys

    fig = fig.figure if isinstance(fig, Chart) else fig
    if "matplotlib.pyplot" in sys.modules:  # a pyplot figure (seaborn's) is forgotten by pyplot too
        sys.modules["matplotlib.pyplot"].close(fig)
    fig.clear()


# ----------------------------------------------------------------------------- trend

def trend(
    df: pd.DataFrame,
    x: str = "period",
    y: str = "value",
    lower: str | None = "lower_95",
    upper: str | None = "upper_95",
    *,
    title: str | None = None,
    subtitle: str = "",
    source: str = "",
    y_label: str | None = None,
    series: str | None = None,
    forecast: pd.DataFrame | None = None,
    highlight: str | None = None,
    interval_label: str = "95% confidence interval",
) -> Chart:
    """Line chart over time with interval ribbons, and an optional forecast fan marked [f].

    Parameters
    ----------
    df
        One row per period (and series): ``x``, ``y`` and, optionally, the interval columns.
    x, y, lower, upper
        Column names. ``lower``/``upper`` may be None or absent (no ribbon).
    title
        The finding, in words ("Drug deaths have risen since 2018"); default "<y label> by
        <x>" for a quick look.
    subtitle
        Measure, area and period ("Deaths per 100,000, Dorset, 2012-14 to 2021-23"); default
        none.
    source
        Source line ("Source: ONS, deaths registered ..."); default none.
    y_label
        Label of the value axis; also names the measure in the alt text. Default: ``y``.
    series
        Column splitting lines (at most 6); each line is labelled at its end.
    forecast
        Frame of ``x`` (or ``period``), ``mean``, ``lower_80``, ``upper_80``, ``lower_95``,
        ``upper_95``: drawn dashed with an 80% and 95% fan, labelled "Forecast [f]".
        Only with a single series.
    highlight
        With ``series``: the series drawn in the focus colour, others in grey.
    interval_label
        What the ribbon shows, for the note and the alt text.

    Returns
    -------
    Chart
        The figure and its alt text (unpacks as ``fig, alt``).
    """
    _check_columns(df, [x, y, series], "trend")
    y_label = y_label or _label(y)
    title = title if title is not None else f"{y_label} by {_label(x).lower()}"
    if df.empty:
        raise ValueError("trend: no rows to plot")
    has_ci = lower is not None and upper is not None and lower in df.columns and upper in df.columns
    data = df.copy()
    # a suppressed figure (status c) is never drawn, nor its interval: a gap, marked [c]
    hidden = _hidden_rows(data)
    if hidden.any():
        for c in (y, lower, upper) if has_ci else (y,):
            data[c] = pd.to_numeric(data[c], errors="coerce").astype(float).where(~hidden)
    groups = list(dict.fromkeys(data[series])) if series else [None]
    fc = None
    if forecast is not None and len(forecast):
        if series and len(groups) > 1:
            raise ValueError("trend: a forecast can be drawn with a single series only")
        fc = forecast.copy()
        fx = x if x in fc.columns else "period"
        _check_columns(fc, [fx, "mean"], "trend forecast")
        fc = fc.rename(columns={fx: x})

    # x positions: numbers and dates as they are, text (periods) by order of appearance
    all_x = pd.concat([data[x], fc[x]] if fc is not None else [data[x]], ignore_index=True)
    if pd.api.types.is_datetime64_any_dtype(all_x) or _is_numeric_x(all_x):
        categorical = False
        order: list = []
    else:
        categorical = True
        order = list(dict.fromkeys(all_x.astype(str)))

    def pos(values: pd.Series):
        if categorical:
            idx = {v: i for i, v in enumerate(order)}
            return np.array([idx[str(v)] for v in values], dtype=float)
        return values.to_numpy()

    if highlight is not None and series and highlight not in groups:
        raise ValueError(f"trend: highlight {highlight!r} is not one of the series {groups}")
    if highlight is not None and series:
        colours = {g: (FOCUS if g == highlight else GREY) for g in groups}
    else:
        colours = dict(zip(groups, palette(len(groups)), strict=True))

    with _style():
        fig, ax = _new_figure()
        # grey series first so the highlight is drawn on top
        draw_order = sorted(groups, key=lambda g: g == highlight)
        ends = []
        for g in draw_order:
            sub = data if g is None else data[data[series] == g]
            sub = sub.assign(_p=pos(sub[x])).sort_values("_p")
            col = colours[g]
            if has_ci:  # missing limits leave a gap in the band (never bridged across a hidden year)
                ax.fill_between(sub["_p"], sub[lower].astype(float), sub[upper].astype(float),
                                color=col, alpha=0.18 if g == highlight or highlight is None else 0.1,
                                linewidth=0)
            ax.plot(sub["_p"], sub[y].astype(float), color=col, marker="o" if len(sub) <= 12 else None,
                    markersize=4, zorder=3)
            last = sub[sub[y].notna()].iloc[-1] if sub[y].notna().any() else None
            if g is not None and last is not None:
                ends.append((last["_p"], float(last[y]), str(g), col))
        if fc is not None:
            fcs = fc.assign(_p=pos(fc[x])).sort_values("_p")
            col = colours[groups[0]]
            for lo_c, hi_c, a in (("lower_95", "upper_95", 0.12), ("lower_80", "upper_80", 0.22)):
                if lo_c in fcs.columns and hi_c in fcs.columns:
                    ax.fill_between(fcs["_p"], fcs[lo_c].astype(float), fcs[hi_c].astype(float), color=col,
                                    alpha=a, linewidth=0)
            obs = data.assign(_p=pos(data[x])).sort_values("_p")
            obs = obs[obs[y].notna()]
            xs = list(fcs["_p"])
            ys = list(fcs["mean"].astype(float))
            if len(obs):
                xs = [obs["_p"].iloc[-1], *xs]
                ys = [float(obs[y].iloc[-1]), *ys]
            ax.plot(xs, ys, color=col, linestyle="--", zorder=3)
            ends.append((fcs["_p"].iloc[-1], float(fcs["mean"].iloc[-1]), "Forecast [f]", col))
        for ex, ey, text, col in _spread_labels(ax, ends):
            _direct_label(ax, ex, ey, text, col)
        if categorical:
            ticks = list(range(len(order)))
            per_tick = max(len(o) for o in order) + 3  # characters per label, with a gap
            step = max(1, math.ceil(len(order) / max(1, 70 // per_tick)))
            ax.set_xticks(ticks[::step], [order[i] for i in ticks[::step]])
        ax.set_ylabel(y_label)
        ax.set_xlabel("")
        ax.grid(axis="y", visible=True)
        ax.grid(axis="x", visible=False)
        if data[y].min() >= 0:  # from zero, with headroom so a flat series does not sit on the top edge
            top = ax.get_ylim()[1]
            ax.set_ylim(0, top * 1.05)
        note = f"Shaded areas show {interval_label}s." if has_ci else None
        if fc is not None:
            note = (note + " " if note else "") + "Dashed line: forecast [f] with 80% and 95% prediction intervals."
        if hidden.any():
            hx = pos(data.loc[hidden, x])
            for px in sorted(set(np.asarray(hx, dtype=float).tolist())):
                ax.annotate("[c]", (px, 0), xytext=(0, 4), textcoords="offset points", ha="center", va="bottom",
                            color=LABEL_GREY, fontsize=8, annotation_clip=False)
            note = (note + " " if note else "") + _HIDDEN_NOTE
        _frame(fig, ax, title=title, subtitle=subtitle, source=source, note=note)

    alt = _trend_alt(data, x, y, lower if has_ci else None, upper if has_ci else None, y_label, series, groups,
                     highlight, fc, interval_label, categorical, order)
    if hidden.any():
        # the suppressed points come second, before anything else is clipped; the lowest and
        # highest of the shown points are not the series' own, so they are not named
        when = list(dict.fromkeys(_x_text(v) for v in data.loc[hidden, x]))
        sentences = re.split(r"(?<=\.) (?=[A-Z])", alt)
        sentences = [t for t in sentences if not t.startswith("Lowest ")]
        sentences.insert(1, f"Not shown [c] (suppressed to protect confidentiality): {_list_text(when)}.")
        alt = _clip(" ".join(sentences))
    return Chart(fig, alt)


_HIDDEN_NOTE = "[c]: not drawn, a count too small to publish or a figure that would reveal one."


def _hidden_rows(data: pd.DataFrame) -> np.ndarray:
    """Rows whose ``status`` holds ``c`` (suppressed where the figures were computed)."""
    if "status" not in data.columns:
        return np.zeros(len(data), dtype=bool)
    return np.array([isinstance(v, str) and "c" in v.split() for v in data["status"]], dtype=bool)


def _list_text(items: list[str], limit: int = 8) -> str:
    """Items in words.

    >>> _list_text(["2014", "2015", "2020"])
    '2014, 2015 and 2020'
    """
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _spread_labels(ax, ends: list[tuple[float, float, str, str]]) -> list[tuple[float, float, str, str]]:
    """Nudge end labels apart vertically so that they do not overlap."""
    if len(ends) < 2:
        return ends
    lo, hi = ax.get_ylim()
    gap = (hi - lo) * 0.06
    ordered = sorted(ends, key=lambda e: e[1])
    out = []
    prev = -np.inf
    for ex, ey, text, col in ordered:
        ny = max(ey, prev + gap)
        out.append((ex, ny, text, col))
        prev = ny
    return out


def _x_text(v: Any) -> str:
    if isinstance(v, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(v).strftime("%B %Y")
    return str(v)


def _trend_alt(data, x, y, lower, upper, y_label, series, groups, highlight, fc, interval_label,
               categorical, order) -> str:
    measure = _lower_first(y_label)
    xs = data[x]
    if categorical:
        present = [o for o in order if o in set(xs.astype(str))]
        first, last_x = present[0], present[-1]
    else:
        first, last_x = _x_text(xs.min()), _x_text(xs.max())
    ribbon = f", with shaded {interval_label}s" if lower else ""
    if series and len(groups) > 1:
        head = f"Line chart of {measure} from {first} to {last_x} for {len(groups)} series ({', '.join(map(str, groups[:4]))}{'…' if len(groups) > 4 else ''}){ribbon}."
    else:
        head = f"Line chart of {measure} from {first} to {last_x}{ribbon}."
    parts = [head]
    focus = highlight if (series and highlight is not None) else (groups[0] if len(groups) == 1 else None)
    if focus is not None or not series:
        sub = data if focus is None or not series else data[data[series] == focus]
        sub = sub.assign(_o=(sub[x].astype(str).map({o: i for i, o in enumerate(order)}) if categorical else sub[x]))
        sub = sub.sort_values("_o")
        sub = sub[sub[y].notna()]
        if len(sub):
            r = sub.iloc[-1]
            who = f"{focus}, " if series and focus is not None else ""
            lo = float(r[lower]) if lower else None
            hi = float(r[upper]) if upper else None
            parts.append(f"Latest value ({who}{_x_text(sub[x].iloc[-1])}): "
                         f"{_with_interval(float(r[y]), lo, hi, interval_label)}.")
            if len(sub) > 2:
                yv = sub[y].astype(float).reset_index(drop=True)
                xv = sub[x].reset_index(drop=True)
                i_lo, i_hi = int(yv.idxmin()), int(yv.idxmax())
                dec = _decimals(list(yv))
                parts.append(f"Lowest {_fmt_fixed(yv[i_lo], dec)} in {_x_text(xv[i_lo])}; "
                             f"highest {_fmt_fixed(yv[i_hi], dec)} in {_x_text(xv[i_hi])}.")
    else:
        latest = []
        for g in groups:
            sub = data[data[series] == g]
            sub = sub.assign(_o=(sub[x].astype(str).map({o: i for i, o in enumerate(order)}) if categorical else sub[x]))
            sub = sub[sub[y].notna()].sort_values("_o")
            if len(sub):
                latest.append(f"{g} {fmt_number(sub.iloc[-1][y])}")
        parts.append(f"Latest values: {', '.join(latest)}.")
    if fc is not None:
        r = fc.iloc[-1]
        lo95 = float(r["lower_95"]) if "lower_95" in fc.columns else None
        hi95 = float(r["upper_95"]) if "upper_95" in fc.columns else None
        parts.insert(2 if len(parts) > 1 else 1,
                     f"Forecast [f] for {_x_text(fc[x].iloc[-1])}: {_with_interval(float(r['mean']), lo95, hi95, '95% prediction interval')}.")
    return _clip(" ".join(parts))


# ----------------------------------------------------------------------------- comparison bars

def _benchmark(benchmark: float | tuple[str, float] | None) -> tuple[str, float] | None:
    if benchmark is None:
        return None
    if isinstance(benchmark, tuple):
        return str(benchmark[0]), float(benchmark[1])
    return "England", float(benchmark)


def comparison_bars(
    df: pd.DataFrame,
    label: str = "area_name",
    value: str = "value",
    lower: str | None = "lower_95",
    upper: str | None = "upper_95",
    *,
    title: str | None = None,
    subtitle: str = "",
    source: str = "",
    x_label: str | None = None,
    highlight: str | None = None,
    benchmark: float | tuple[str, float] | None = None,
    sort: bool = True,
    interval_label: str = "95% confidence interval",
) -> Chart:
    """Horizontal bars with interval error bars; the highlighted area in the focus colour.

    Parameters
    ----------
    df
        One row per area: ``label``, ``value`` and, optionally, the interval columns. Missing
        values (suppressed or not available) are listed with "[c]"/"[x]" instead of a bar
        (``[c]`` when a ``status`` column holds ``c``).
    highlight
        The area to pick out (focus colour; others grey). Without it all bars are dark blue.
    benchmark
        A value drawn as a dashed vertical line labelled "England", or ``(label, value)``.
        The alt text says whether the highlighted area's interval is above, below or
        overlaps it.
    sort
        Largest value at the top (default); False keeps the frame's order, top to bottom.

    title, subtitle, source, x_label
        The finding, the measure, area and period, the source line and the value axis label;
        defaults for a quick look: "<value> by <label>", none, none, ``value``.

    Returns
    -------
    Chart
        The figure and its alt text (unpacks as ``fig, alt``).
    """
    _check_columns(df, [label, value], "comparison_bars")
    x_label = x_label or _label(value)
    title = title if title is not None else f"{x_label} by {_label(label).lower()}"
    if df.empty:
        raise ValueError("comparison_bars: no rows to plot")
    has_ci = lower is not None and upper is not None and lower in df.columns and upper in df.columns
    data = df.copy()
    data[value] = pd.to_numeric(data[value], errors="coerce")
    if highlight is not None and highlight not in set(data[label].astype(str)):
        raise ValueError(f"comparison_bars: highlight {highlight!r} is not among the labels")
    if sort:
        data = data.sort_values(value, ascending=False, na_position="last", kind="stable")
    data = data.reset_index(drop=True)
    n = len(data)
    bench = _benchmark(benchmark)
    with _style():
        height = min(max(3.2, 1.6 + 0.38 * n), 14)
        fig, ax = _new_figure((8.0, height))
        ypos = np.arange(n)[::-1]  # first row at the top
        cols = [FOCUS if highlight is None or str(lab) == highlight else GREY for lab in data[label]]
        vals = data[value].to_numpy(dtype=float)
        ax.barh(ypos, np.nan_to_num(vals), color=cols, height=0.65, zorder=2)
        if has_ci:
            lo = pd.to_numeric(data[lower], errors="coerce").to_numpy(dtype=float)
            hi = pd.to_numeric(data[upper], errors="coerce").to_numpy(dtype=float)
            ok = np.isfinite(lo) & np.isfinite(hi) & np.isfinite(vals)
            ax.errorbar(vals[ok], ypos[ok], xerr=[vals[ok] - lo[ok], hi[ok] - vals[ok]], fmt="none",
                        ecolor="#0B0C0C", elinewidth=1.2, capsize=3, zorder=3)
        status = data["status"].astype(str) if "status" in data.columns else pd.Series([""] * n)
        for i, v in enumerate(vals):
            if not np.isfinite(v):
                code = "[c]" if "c" in status.iloc[i].split() else "[x]"
                ax.annotate(code, (0, ypos[i]), xytext=(4, 0), textcoords="offset points", va="center",
                            fontsize=10, color="#3D3D3D")
        labels = [str(v) for v in data[label]]
        ax.set_yticks(ypos, [textwrap.fill(v, 26) for v in labels])
        for tick, lab in zip(ax.get_yticklabels(), labels, strict=True):
            if highlight is not None and lab == highlight:
                tick.set_fontweight("bold")
        ax.tick_params(axis="y", length=0)
        if bench is not None:
            ax.axvline(bench[1], color="#3D3D3D", linestyle="--", linewidth=1.5, zorder=4)
            ax.annotate(f"{bench[0]}: {fmt_number(bench[1])}", (bench[1], 1.0), xycoords=("data", "axes fraction"),
                        xytext=(3, 2), textcoords="offset points", fontsize=10, color="#3D3D3D", va="bottom")
        ax.set_xlabel(x_label)
        ax.grid(axis="y", visible=False)
        ax.grid(axis="x", visible=True)
        ax.spines["bottom"].set_visible(False)
        ax.spines["left"].set_visible(True)
        lows = np.asarray(vals, dtype=float)
        if has_ci:
            lows = np.concatenate([lows, pd.to_numeric(data[lower], errors="coerce").to_numpy(dtype=float)])
        lowest = np.nanmin(lows) if np.isfinite(lows).any() else 0.0
        if lowest < 0:  # room for negative values and intervals that reach below zero
            span = np.nanmax(np.abs(lows[np.isfinite(lows)])) if np.isfinite(lows).any() else 1.0
            ax.set_xlim(left=lowest - 0.05 * span)
        else:
            ax.set_xlim(left=0)
        ax.set_ylim(-0.6, n - 0.4)
        note = f"Lines show {interval_label}s." if has_ci else None
        _frame(fig, ax, title=title, subtitle=subtitle, source=source, note=note, right=0.95)
        fig.canvas.draw()
        widest = max(t.get_window_extent().width for t in ax.get_yticklabels())
        fig.subplots_adjust(left=min(0.5, 0.02 + (widest + 12) / (fig.get_figwidth() * fig.dpi)))

    alt = _bars_alt(data, label, value, lower if has_ci else None, upper if has_ci else None, x_label,
                    highlight, bench, interval_label)
    return Chart(fig, alt)


def _bars_alt(data, label, value, lower, upper, x_label, highlight, bench, interval_label) -> str:
    shown = data[data[value].notna()]
    n = len(data)
    parts = [f"Bar chart of {_lower_first(x_label)} for {n} areas, with {interval_label}s." if lower
             else f"Bar chart of {_lower_first(x_label)} for {n} areas."]
    if len(shown):
        top = shown.loc[shown[value].idxmax()]
        bot = shown.loc[shown[value].idxmin()]
        dec = _decimals(list(shown[value].astype(float)))
        parts.append(f"Highest {top[label]} {_fmt_fixed(float(top[value]), dec)}; "
                     f"lowest {bot[label]} {_fmt_fixed(float(bot[value]), dec)}.")
    if highlight is not None:
        r = data[data[label].astype(str) == highlight].iloc[0]
        v = float(r[value])
        if np.isfinite(v):
            rank = int((shown[value] > v).sum()) + 1
            lo = float(r[lower]) if lower else None
            hi = float(r[upper]) if upper else None
            text = f"{highlight}: {_with_interval(v, lo, hi, interval_label)}, {_ordinal(rank)} highest of {len(shown)}"
            if bench is not None:
                b = bench[1]
                if lo is not None and hi is not None and np.isfinite(lo) and np.isfinite(hi):
                    rel = "higher than" if lo > b else "lower than" if hi < b else "similar to"
                else:
                    rel = "above" if v > b else "below" if v < b else "equal to"
                text += f"; {rel} {bench[0]} ({fmt_number(b)})"
            parts.append(text + ".")
        else:
            parts.append(f"{highlight}: not shown (suppressed or not available).")
    elif bench is not None:
        parts.append(f"{bench[0]}: {fmt_number(bench[1])}.")
    return _clip(" ".join(parts))


def _ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 22nd.

    >>> [_ordinal(i) for i in (1, 2, 3, 4, 11, 12, 13, 21, 22, 103)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '103rd']
    """
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }".replace(" ", "")


# ----------------------------------------------------------------------------- funnel

def funnel(
    points: pd.DataFrame,
    limits: pd.DataFrame,
    *,
    x: str = "denominator",
    y: str = "value",
    label: str = "area_name",
    highlight: str | Sequence[str] | None = None,
    title: str | None = None,
    subtitle: str = "",
    source: str = "",
    x_label: str | None = None,
    y_label: str | None = None,
) -> Chart:
    """Funnel plot: areas' values against their size, with 95% and 99.8% control limits.

    Parameters
    ----------
    points
        One row per area: ``x`` (population or denominator), ``y`` (value) and ``label``.
    limits
        Control limits over a grid of ``x``: ``x`` (or the same column name as ``points``),
        ``lower_95``, ``upper_95``, ``lower_99_8``, ``upper_99_8`` and ``centre`` (as from
        :func:`cdp_analysis.indicators.funnel_limits`).
    highlight
        The area (or areas: a partnership's members) to pick out and label.

    title, subtitle, source, x_label, y_label
        Defaults for a quick look: "<y> against <x>", none, none and the column names.

    Returns
    -------
    Chart
        The figure and its alt text (unpacks as ``fig, alt``). The alt text counts the areas
        outside the 99.8% limits and places each highlighted one.
    """
    _check_columns(points, [x, y, label], "funnel points")
    x_label = x_label or _label(x)
    y_label = y_label or _label(y)
    title = title if title is not None else f"{y_label} against {x_label.lower()}"
    lim = limits.copy()
    lx = x if x in lim.columns else "x"
    _check_columns(lim, [lx, "lower_95", "upper_95", "lower_99_8", "upper_99_8", "centre"], "funnel limits")
    lim = lim.sort_values(lx)
    pts = points.copy()
    pts[y] = pd.to_numeric(pts[y], errors="coerce")
    pts[x] = pd.to_numeric(pts[x], errors="coerce")
    pts = pts[pts[x].notna() & pts[y].notna()]
    highlights = [highlight] if isinstance(highlight, str) else list(highlight or [])
    missing = [h for h in highlights if h not in set(pts[label].astype(str))]
    if missing:
        raise ValueError(f"funnel: highlight {missing[0]!r} is not among the points")
    lxv = lim[lx].to_numpy(dtype=float)

    def at(col: str, xv: np.ndarray) -> np.ndarray:
        return np.interp(xv, lxv, lim[col].to_numpy(dtype=float))

    with _style():
        fig, ax = _new_figure()
        ax.plot(lxv, lim["centre"].to_numpy(dtype=float), color="#3D3D3D", linewidth=1.2, zorder=2)
        for lo_c, hi_c, ls in (("lower_95", "upper_95", "--"), ("lower_99_8", "upper_99_8", "-")):
            for c in (lo_c, hi_c):
                ax.plot(lxv, lim[c].to_numpy(dtype=float), color="#28A197" if ls == "--" else "#801650",
                        linestyle=ls, linewidth=1.4, zorder=2)
        xe = lxv[-1]
        ends = [(xe, float(lim["upper_99_8"].iloc[-1]), "99.8%", "#801650"),
                (xe, float(lim["upper_95"].iloc[-1]), "95%", "#28A197"),
                (xe, float(lim["centre"].iloc[-1]), "Average", "#3D3D3D"),
                (xe, float(lim["lower_95"].iloc[-1]), "95%", "#28A197"),
                (xe, float(lim["lower_99_8"].iloc[-1]), "99.8%", "#801650")]
        is_hi = pts[label].astype(str).isin(highlights)
        others = pts[~is_hi]
        ax.scatter(others[x], others[y], s=36, color=FOCUS if not highlights else GREY,
                   edgecolor="white", linewidth=0.5, zorder=3)
        for i, name in enumerate(highlights):
            h = pts[pts[label].astype(str) == name].iloc[0]
            ax.scatter([h[x]], [h[y]], s=70, color=FOCUS, edgecolor="white", linewidth=0.8, zorder=4)
            ax.annotate(name, (h[x], h[y]), xytext=(7, 5 - 14 * (i % 2)), textcoords="offset points", fontsize=11,
                        fontweight="bold", color=FOCUS)
        x_min = float(pts[x].min()) if len(pts) else float(lxv[0])
        span = [*pts[y].astype(float), *(at(c, np.array([x_min]))[0] for c in ("lower_99_8", "upper_99_8"))]
        y_lo, y_hi = float(np.nanmin(span)), float(np.nanmax(span))
        pad = (y_hi - y_lo) * 0.08 or 1.0
        y_lo = max(y_lo - pad, 0.0) if (pts[y] >= 0).all() and y_lo >= 0 else y_lo - pad
        ax.set_ylim(y_lo, y_hi + pad)
        ax.set_xlim(left=0)
        ends = [e for e in ends if y_lo <= e[1] <= y_hi + pad]
        for ex, ey, text, col in _spread_labels(ax, ends):
            ax.annotate(text, (ex, ey), xytext=(5, 0), textcoords="offset points", va="center", fontsize=9.5,
                        color=col, annotation_clip=False)
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        ax.grid(axis="y", visible=True)
        ax.grid(axis="x", visible=False)
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
        ax.xaxis.set_major_formatter(_compact())
        _frame(fig, ax, title=title, subtitle=subtitle, source=source,
               note="Dashed lines: 95% control limits; solid outer lines: 99.8% control limits.")

    xv = pts[x].to_numpy(dtype=float)
    yv = pts[y].to_numpy(dtype=float)
    above = int((yv > at("upper_99_8", xv)).sum())
    below = int((yv < at("lower_99_8", xv)).sum())
    centre = float(np.nanmedian(lim["centre"].to_numpy(dtype=float)))
    parts = [f"Funnel plot of {_lower_first(y_label)} against {_lower_first(x_label)} for {len(pts)} areas, "
             f"with 95% and 99.8% control limits around the average of {fmt_number(centre)}.",
             f"{above} above and {below} below the 99.8% limits."]
    for name in highlights:
        h = pts[pts[label].astype(str) == name].iloc[0]
        hx, hy = np.array([float(h[x])]), float(h[y])
        if hy > at("upper_99_8", hx)[0]:
            where = "above the upper 99.8% limit"
        elif hy > at("upper_95", hx)[0]:
            where = "between the upper 95% and 99.8% limits"
        elif hy < at("lower_99_8", hx)[0]:
            where = "below the lower 99.8% limit"
        elif hy < at("lower_95", hx)[0]:
            where = "between the lower 95% and 99.8% limits"
        else:
            where = "within the 95% limits"
        parts.append(f"{name}: {fmt_number(hy)} at {fmt_number(hx[0])}, {where}.")
    return Chart(fig, _clip(" ".join(parts)))


def _compact():
    """Axis labels that never collide: 0, 200k, 1.2m.

    >>> f = _compact()
    >>> f(0, 0), f(200_000, 0), f(1_200_000, 0), f(950, 0)
    ('0', '200k', '1.2m', '950')
    """
    from matplotlib.ticker import FuncFormatter

    def label(v: float, _pos: object) -> str:
        a = abs(v)
        if a >= 1_000_000:
            return f"{v / 1_000_000:,.1f}".rstrip("0").rstrip(".") + "m"
        if a >= 10_000:
            return f"{v / 1_000:,.0f}k"
        return f"{v:,.0f}"

    return FuncFormatter(label)


# ----------------------------------------------------------------------------- monthly

def monthly(
    df: pd.DataFrame,
    month: str = "month",
    value: str = "n",
    *,
    series: str | None = None,
    title: str | None = None,
    subtitle: str = "",
    source: str = "",
    y_label: str | None = None,
) -> Chart:
    """Monthly counts: one line over time, or one line per ``series`` across the months.

    Parameters
    ----------
    df
        One row per month (and series). ``month`` is a date (first of the month) or a label.
    series
        Column such as ``year`` or ``financial_year``: one line per value across months of
        the year (x labels "Jan", "Feb", ... in the order they first appear), so that
        seasonal patterns can be compared. At most 6 series; each labelled at its end.

    title, subtitle, source, y_label
        Defaults for a quick look: "<y label> by month", none, none, ``value``.

    Returns
    -------
    Chart
        The figure and its alt text (unpacks as ``fig, alt``). The alt text names the range
        of months, the highest and lowest month and the latest.
    """
    _check_columns(df, [month, value, series], "monthly")
    y_label = y_label or _label(value)
    title = title if title is not None else f"{y_label} by month"
    if df.empty:
        raise ValueError("monthly: no rows to plot")
    data = df.copy()
    data[value] = pd.to_numeric(data[value], errors="coerce")
    is_date = pd.api.types.is_datetime64_any_dtype(data[month])
    if not is_date:
        try:
            parsed = pd.to_datetime(data[month].astype(str), format="%Y-%m")
            data[month] = parsed
            is_date = True
        except (ValueError, TypeError):
            pass
    if is_date:
        data = data.sort_values(month)
        data["_label"] = data[month].dt.strftime("%b %Y")
        data["_moy"] = data[month].dt.strftime("%b")
    else:
        data["_label"] = data[month].astype(str)
        data["_moy"] = data[month].astype(str)
    with _style():
        fig, ax = _new_figure()
        ends = []
        if series:
            groups = list(dict.fromkeys(data[series]))
            colours = dict(zip(groups, palette(len(groups)), strict=True))
            order = list(dict.fromkeys(data["_moy"]))
            idx = {m: i for i, m in enumerate(order)}
            for g in groups:
                sub = data[data[series] == g]
                px = sub["_moy"].map(idx).to_numpy(dtype=float)
                ax.plot(px, sub[value], color=colours[g], marker="o", markersize=3.5)
                ok = sub[value].notna().to_numpy()
                if ok.any():
                    ends.append((px[ok][-1], float(sub[value][ok].iloc[-1]), str(g), colours[g]))
            ax.set_xticks(range(len(order)), order)
        else:
            if is_date:
                ax.plot(data[month], data[value], color=FOCUS, marker="o" if len(data) <= 24 else None,
                        markersize=3.5)
                import matplotlib.dates as mdates

                ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
            else:
                ax.plot(range(len(data)), data[value], color=FOCUS, marker="o", markersize=3.5)
                step = max(1, math.ceil(len(data) / 12))
                ax.set_xticks(range(0, len(data), step), list(data["_label"])[::step])
        for ex, ey, text, col in _spread_labels(ax, ends):
            _direct_label(ax, ex, ey, text, col)
        ax.set_ylabel(y_label)
        ax.grid(axis="y", visible=True)
        ax.grid(axis="x", visible=False)
        if (data[value].dropna() >= 0).all():
            ax.set_ylim(bottom=0)
        _frame(fig, ax, title=title, subtitle=subtitle, source=source)

    shown = data[data[value].notna()]
    measure = _lower_first(y_label)
    parts = []
    if series:
        groups = list(dict.fromkeys(data[series]))
        parts.append(f"Line chart of monthly {measure}, {shown['_moy'].iloc[0]} to {shown['_moy'].iloc[-1]}, "
                     f"one line per {series.replace('_', ' ')} ({', '.join(map(str, groups))}).")
    else:
        parts.append(f"Line chart of monthly {measure} from {shown['_label'].iloc[0]} to {shown['_label'].iloc[-1]}.")
    if len(shown):
        hi = shown.loc[shown[value].idxmax()]
        lo = shown.loc[shown[value].idxmin()]
        tag = (lambda r: f"{r['_moy']} {r[series]}") if series else (lambda r: r["_label"])
        last = shown.iloc[-1]
        parts.append(f"Highest {fmt_number(hi[value])} in {tag(hi)}; lowest {fmt_number(lo[value])} in {tag(lo)}.")
        parts.append(f"Latest: {fmt_number(last[value])} in {tag(last)}.")
        if len(shown) >= 2:
            parts.append(f"Average {fmt_number(round(float(shown[value].mean()), 1))} a month.")
    return Chart(fig, _clip(" ".join(parts)))
