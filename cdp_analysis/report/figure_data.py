"""What a chart draws, read back from the figure itself: the data behind ``figures/<name>.json``.

:func:`cdp_analysis.report.outputs.show_figure` saves beside each chart the values it
actually draws (lines, interval ribbons, bars, points and the text on it), read from the
matplotlib figure after it is built, not from the frame the chart was asked to draw. That
sidecar is the chart's data for readers who cannot see it, and what the disclosure scan
(:mod:`cdp_analysis.report.disclosure_check`) checks: a value drawn is a value published.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import matplotlib.pyplot as plt
>>> fig, ax = plt.subplots()
>>> _ = ax.plot([2019, 2020, 2021], [6, float("nan"), 0])
>>> _ = ax.set_ylabel("Deaths registered")
>>> d = drawn_data(fig)
>>> d["axes"][0]["y_label"], d["axes"][0]["lines"][0]["y"]
('Deaths registered', [6.0, None, 0.0])
>>> plt.close(fig)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["drawn_data"]


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if not math.isfinite(f) else round(f, 6)


def _values(seq: Any) -> list[float | None]:
    import numpy as np

    arr = np.ma.filled(np.ma.asarray(seq, dtype=float), np.nan).ravel()
    return [_num(v) for v in arr]


def drawn_data(fig: Figure) -> dict[str, Any]:
    """Every value and text a figure draws, axis by axis.

    Parameters
    ----------
    fig
        A matplotlib figure.

    Returns
    -------
    dict
        ``{"texts": [...], "axes": [{"title", "x_label", "y_label", "x_ticks", "lines":
        [{"label", "x", "y"}], "ribbons": [{"label", "y"}], "bars": [{"x", "y", "width",
        "height"}], "points": [{"label", "y"}], "texts": [...]}]}`` in data units; a gap
        (missing value) is ``None``. Tick labels are kept apart from labels on the data.
    """
    from matplotlib.collections import PathCollection, PolyCollection
    from matplotlib.patches import Rectangle

    out: dict[str, Any] = {"texts": [t.get_text() for t in fig.texts if t.get_text().strip()], "axes": []}
    for ax in fig.get_axes():
        a: dict[str, Any] = {
            "title": ax.get_title(),
            "x_label": ax.get_xlabel(),
            "y_label": ax.get_ylabel(),
            "x_ticks": [t.get_text() for t in ax.get_xticklabels()],
            "lines": [],
            "ribbons": [],
            "bars": [],
            "points": [],
            "texts": [t.get_text() for t in ax.texts if t.get_text().strip()],
        }
        for line in ax.get_lines():
            x, y = line.get_xdata(orig=False), line.get_ydata(orig=False)
            try:
                xs = _values(x)
            except (TypeError, ValueError):
                xs = [str(v) for v in x]
            a["lines"].append({"label": str(line.get_label()), "x": xs, "y": _values(y)})
        for coll in ax.collections:
            if isinstance(coll, PolyCollection):
                for path in coll.get_paths():
                    a["ribbons"].append({"label": str(coll.get_label()), "y": _values(path.vertices[:, 1])})
            elif isinstance(coll, PathCollection):
                offs = coll.get_offsets()
                a["points"].append({"label": str(coll.get_label()), "x": _values(offs[:, 0]) if len(offs) else [],
                                    "y": _values(offs[:, 1]) if len(offs) else []})
        for patch in ax.patches:
            if isinstance(patch, Rectangle) and patch.get_visible():
                a["bars"].append({"x": _num(patch.get_x()), "y": _num(patch.get_y()),
                                  "width": _num(patch.get_width()), "height": _num(patch.get_height())})
        out["axes"].append(a)
    return out
