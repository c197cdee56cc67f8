"""Charts: alt text written from known data, afcharts style, figures saved as SVG and PNG."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.report import charts

COMMON = {"title": "A finding", "subtitle": "Measure, area, period", "source": "Source: test"}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _trend_frame():
    return pd.DataFrame({"period": ["2019", "2020", "2021", "2022", "2023"],
                         "value": [8.0, 9.5, 10.1, 11.0, 12.2],
                         "lower_95": [6.0, 7.4, 8.0, 8.9, 10.0],
                         "upper_95": [10.4, 12.0, 12.6, 13.5, 14.8]})


def test_trend_alt_text_has_range_latest_and_interval():
    fig, alt = charts.trend(_trend_frame(), y_label="Deaths per 100,000", **COMMON)
    assert alt.startswith("Line chart of deaths per 100,000 from 2019 to 2023")
    assert "95% confidence interval" in alt
    assert "Latest value (2023): 12.2 (95% confidence interval 10.0 to 14.8)" in alt
    assert "Lowest 8.0 in 2019; highest 12.2 in 2023" in alt
    assert len(alt) <= charts.MAX_ALT


def test_trend_style_and_furniture():
    fig, _ = charts.trend(_trend_frame(), y_label="Deaths per 100,000", **COMMON)
    ax = fig.axes[0]
    texts = [t.get_text() for t in fig.texts]
    assert texts[0] == "A finding" and texts[1] == "Measure, area, period"
    assert any("Source: test" in t for t in texts)
    # afcharts: first categorical colour, no top/right/left spines, y gridlines only
    assert ax.lines[0].get_color().upper() == "#12436D"
    assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
    assert any(g.get_visible() for g in ax.yaxis.get_gridlines())
    assert not any(g.get_visible() for g in ax.xaxis.get_gridlines())
    assert ax.get_legend() is None
    assert ax.collections, "interval ribbon expected"


def test_trend_forecast_is_dashed_labelled_and_described():
    fc = pd.DataFrame({"period": ["2024", "2025"], "mean": [12.8, 13.4], "lower_80": [11.0, 11.2],
                       "upper_80": [14.6, 15.6], "lower_95": [10.1, 10.0], "upper_95": [15.5, 16.8]})
    fig, alt = charts.trend(_trend_frame(), y_label="Deaths per 100,000", forecast=fc, **COMMON)
    ax = fig.axes[0]
    assert any(line.get_linestyle() == "--" for line in ax.lines)
    assert any(t.get_text() == "Forecast [f]" for t in ax.texts)
    assert "Forecast [f] for 2025: 13.4 (95% prediction interval 10.0 to 16.8)" in alt
    assert len(alt) <= charts.MAX_ALT


def test_trend_series_highlight_direct_labels():
    df = _trend_frame()
    both = pd.concat([df.assign(area="Dorset"), df.assign(area="England", value=df["value"] - 2)])
    fig, alt = charts.trend(both, series="area", highlight="Dorset", y_label="Rate", **COMMON)
    ax = fig.axes[0]
    assert {t.get_text() for t in ax.texts} == {"Dorset", "England"}
    colours = {line.get_color().upper() for line in ax.lines}
    assert colours == {charts.FOCUS, charts.GREY}
    assert "2 series (Dorset, England)" in alt
    assert "Latest value (Dorset, 2023): 12.2" in alt


def test_comparison_bars_alt_text_rank_and_benchmark():
    df = pd.DataFrame({"area_name": ["A", "B", "Dorset", "C"], "value": [14.2, 10.5, 9.1, 8.0],
                       "lower_95": [12.0, 8.3, 7.1, 6.0], "upper_95": [16.5, 12.7, 11.3, 10.2]})
    fig, alt = charts.comparison_bars(df, x_label="Deaths per 100,000", highlight="Dorset", benchmark=9.5,
                                      **COMMON)
    assert alt.startswith("Bar chart of deaths per 100,000 for 4 areas")
    assert "Highest A 14.2; lowest C 8.0" in alt
    assert "Dorset: 9.1 (95% confidence interval 7.1 to 11.3), 3rd highest of 4; similar to England (9.5)" in alt
    fig, alt = charts.comparison_bars(df, x_label="Rate", highlight="A", benchmark=("Region", 9.5), **COMMON)
    assert "A: 14.2 (95% confidence interval 12.0 to 16.5), 1st highest of 4; higher than Region (9.5)" in alt
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B", "Dorset", "C"]  # largest at the top


def test_comparison_bars_suppressed_value_marked():
    df = pd.DataFrame({"area_name": ["A", "B", "C"], "value": [5.0, np.nan, 7.0], "status": ["", "c", ""]})
    fig, alt = charts.comparison_bars(df, x_label="Rate", highlight="B", **COMMON)
    assert any(t.get_text() == "[c]" for t in fig.axes[0].texts)
    assert "B: not shown (suppressed or not available)" in alt


def test_funnel_alt_text_counts_outliers_and_places_highlight():
    n = np.linspace(1_000, 100_000, 60)
    se = np.sqrt(0.1 * 0.9 / n)
    limits = pd.DataFrame({"denominator": n, "centre": 0.1,
                           "lower_95": 0.1 - 1.96 * se, "upper_95": 0.1 + 1.96 * se,
                           "lower_99_8": 0.1 - 3.09 * se, "upper_99_8": 0.1 + 3.09 * se})
    points = pd.DataFrame({"area_name": ["High", "Low", "Mid", "Edge"],
                           "denominator": [50_000, 50_000, 10_000, 50_000],
                           "value": [0.2, 0.01, 0.1, 0.1 + 2.5 * np.sqrt(0.09 / 50_000)]})
    fig, alt = charts.funnel(points, limits, highlight="Edge", x_label="Population", y_label="Proportion",
                             **COMMON)
    assert alt.startswith("Funnel plot of proportion against population for 4 areas")
    assert "1 above and 1 below the 99.8% limits" in alt
    assert "Edge" in alt and "between the upper 95% and 99.8% limits" in alt
    assert "average of 0.1" in alt


def test_monthly_alt_text():
    df = pd.DataFrame({"month": pd.date_range("2023-04-01", periods=12, freq="MS"),
                       "n": [10, 12, 9, 30, 11, 10, 8, 12, 13, 11, 9, 14]})
    fig, alt = charts.monthly(df, y_label="Referrals", **COMMON)
    assert alt.startswith("Line chart of monthly referrals from Apr 2023 to Mar 2024")
    assert "Highest 30 in Jul 2023; lowest 8 in Oct 2023" in alt
    assert "Latest: 14 in Mar 2024" in alt
    two = pd.concat([df.assign(year="2023-24"), df.assign(year="2022-23", n=df["n"] + 1)])
    fig, alt = charts.monthly(two, series="year", y_label="Referrals", **COMMON)
    assert "one line per year (2023-24, 2022-23)" in alt
    assert {t.get_text() for t in fig.axes[0].texts} == {"2023-24", "2022-23"}


def test_alt_text_is_clipped_to_whole_sentences():
    long = charts._clip("First sentence here. " + "Second sentence goes on. " * 30)
    assert len(long) <= charts.MAX_ALT and long.endswith(".")


def test_bad_input():
    with pytest.raises(KeyError, match="missing columns"):
        charts.trend(pd.DataFrame({"x": [1]}), y_label="y", **COMMON)
    with pytest.raises(ValueError, match="highlight"):
        charts.comparison_bars(pd.DataFrame({"area_name": ["A"], "value": [1.0]}), x_label="v",
                               highlight="Z", **COMMON)
    with pytest.raises(ValueError, match="at most 6"):
        charts.palette(7)


def test_show_figure_saves_svg_and_png_with_alt(run_folder, displayed):
    from cdp_analysis.report import outputs

    fig, alt = charts.trend(_trend_frame(), y_label="Deaths per 100,000", **COMMON)
    assert outputs.show_figure(fig, "deaths-trend", alt=alt) is None
    svg, png = run_folder / "figures" / "deaths-trend.svg", run_folder / "figures" / "deaths-trend.png"
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bundle = displayed[0]
    assert 'alt="Line chart of deaths per 100,000' in bundle["text/html"]
    assert "data:image/svg+xml;base64," in bundle["text/html"]
    assert bundle["text/markdown"].startswith("![Line chart of deaths per 100,000")
    assert "(figures/deaths-trend.png)" in bundle["text/markdown"]
    import matplotlib.pyplot as plt

    # the chart's figure is outside pyplot (it never changes the notebook's backend)
    assert all(plt.figure(n) is not fig for n in plt.get_fignums())
    chart = charts.trend(_trend_frame(), y_label="Deaths per 100,000", **COMMON)
    assert outputs.show_figure(chart, "deaths-trend-2") is None  # a Chart carries its alt text
    assert displayed[-1]["text/plain"] == f"[Figure: {chart.alt}]"
    with pytest.raises(ValueError, match="alt text"):
        outputs.show_figure(plt.figure(), "x", alt=" ")
    with pytest.raises(ValueError, match="name"):
        outputs.show_figure(plt.figure(), "../x", alt="a")


def test_trend_numeric_x_keeps_whole_years_and_decimals_consistent():
    df = pd.DataFrame({"year": [2019, 2020, 2021], "value": [3.0, 4.0, 5.5]})
    _, alt = charts.trend(df, x="year", lower=None, upper=None, y_label="Count", **COMMON)
    assert alt == ("Line chart of count from 2019 to 2021. Latest value (2021): 5.5. "
                   "Lowest 3.0 in 2019; highest 5.5 in 2021.")
