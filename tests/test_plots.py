"""cdp_analysis.plots: seaborn charts in the afcharts style, with alt text written from the data."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from cdp_analysis import plots

COMMON = {"title": "A finding", "subtitle": "Measure, areas, years", "source": "Source: test"}


def _trends() -> pd.DataFrame:
    rows = []
    rng = np.random.default_rng(1)
    for measure in ("Deaths per 100,000", "Population", "Treatment completions (%)"):
        for area, base in (("Dorset", 10.0), ("South West", 8.0), ("England", 9.0)):
            for i, year in enumerate(range(2015, 2022)):
                v = base + i * 0.5 + float(rng.normal(0, 0.3))
                rows.append({"measure": measure, "area_name": area, "period": str(year), "value": round(v, 1),
                             "lower_95": round(v - 1, 1), "upper_95": round(v + 1, 1)})
    return pd.DataFrame(rows)


def test_small_multiples_one_panel_per_measure_and_the_area_in_focus_colour():
    import matplotlib.colors as mc
    import matplotlib.pyplot as plt

    df = _trends()
    before = dict(plt.rcParams)
    fig, alt = plots.small_multiples(df, highlight="Dorset", **COMMON)
    axes = [ax for ax in fig.axes if ax.get_title(loc="left")]
    assert [ax.get_title(loc="left") for ax in axes] == list(df["measure"].unique())
    for ax in axes:
        colours = [mc.to_hex(line.get_color()) for line in ax.get_lines()]
        assert colours[:3] == [c.lower() for c in plots.palette(3)]  # the area first, in the focus colour
        assert len(ax.collections) >= 3  # one ribbon per group
    assert "A finding" in [t.get_text() for t in fig.texts]
    assert "Source: test" in " ".join(t.get_text() for t in fig.texts)
    # the alt text's latest values are the frame's (worked out here from the frame)
    last = df[(df["period"] == "2021") & (df["measure"] == "Deaths per 100,000")].set_index("area_name")["value"]
    assert (f"Deaths per 100,000: Dorset {last['Dorset']:.1f} in 2021 (South West {last['South West']:.1f}, "
            f"England {last['England']:.1f})") in alt
    assert alt.startswith("Line charts in 3 panels") and len(alt) <= 300
    assert dict(plt.rcParams) == before  # the theme did not leak out of the call
    plots.close(fig)


def test_distribution_ranks_the_area_and_places_it_against_the_limits():
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"area_name": [f"Area {i}" for i in range(150)], "value": rng.gamma(5, 2, 150).round(2)})
    pick = df.iloc[17]
    expected_rank = 1 + int(sorted(df["value"], reverse=True).index(pick["value"]))
    lim = {"centre": 10.0, "lower_95": 8.0, "upper_95": 12.0, "lower_99_8": 7.0, "upper_99_8": 13.0}
    fig, alt = plots.distribution(df, highlight="Area 17", limits=lim, x_label="Deaths per 100,000", **COMMON)
    assert f"ranked {expected_rank} of 150 (1 = highest)" in alt
    v = pick["value"]
    where = ("above the upper 99.8% limit" if v > 13 else "between the upper 95% and 99.8% limits" if v > 12 else
             "below the lower 99.8% limit" if v < 7 else "between the lower 95% and 99.8% limits" if v < 8 else
             "within the 95% limits")
    assert f"Area 17 is {where}." in alt
    assert "Area 17" in [t.get_text() for t in fig.axes[0].texts]
    plots.close(fig)
    with pytest.raises(ValueError, match="highlight"):
        plots.distribution(df, highlight="Nowhere", x_label="x", **COMMON)


def test_regression_draws_the_callers_band_and_names_the_direction():
    pts = pd.DataFrame({"area_name": ["A", "B", "C", "D"], "x": [1.0, 2.0, 3.0, 4.0], "y": [2.0, 2.5, 3.9, 4.2],
                        "population": [1e5, 2e5, 3e5, 4e5]})
    band = pd.DataFrame({"x": [1.0, 4.0], "fit": [2.0, 4.4], "lower": [1.5, 3.9], "upper": [2.5, 4.9]})
    fig, alt = plots.regression(pts, band, x="x", y="y", size="population", highlight="C", x_label="Deprivation",
                                y_label="Deaths per 100,000", **COMMON)
    ax = fig.axes[0]
    line = ax.get_lines()[0]
    assert list(line.get_xdata()) == [1.0, 4.0] and list(line.get_ydata()) == [2.0, 4.4]
    assert "The fitted line rises from 2.00 at 1 to 4.40 at 4." in alt or "rises from 2 at 1 to 4.4 at 4" in alt
    assert "C: 3.9 at 3" in alt
    plots.close(fig)


def test_importing_plots_does_not_import_seaborn_or_matplotlib():
    code = ("import sys, cdp_analysis.plots; "
            "print(sorted(m for m in ('seaborn', 'matplotlib', 'statsmodels') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
