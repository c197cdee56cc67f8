"""Results that show themselves (#12 item 4): each type's table, sentence, method and reference.

The numbers in the sentences are checked against independent computations (scipy's exact
binomial test, hand arithmetic) and the frames keep the columns the application layer reads.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cdp_analysis import indicators as ind
from cdp_analysis.results import Explanation, ResultFrame


def _shows(result: ResultFrame, *texts: str) -> None:
    html, text = result._repr_html_(), repr(result)
    for t in (*texts, "Method:", "Reference:"):
        assert t in html and t in text, t
    assert "<table" in html  # the small table of the rows
    plain = result.to_frame()
    assert type(plain) is pd.DataFrame and list(plain.columns) == list(result.columns)
    assert type(result.iloc[:1]) is pd.DataFrame  # selections are plain frames


def test_change_test_says_what_scipy_says():
    from scipy.stats import binomtest

    r = ind.rate_ratio_test(55, 1, 59, 1)
    p = binomtest(55, 114, 0.5).pvalue  # conditional on 114 deaths, 55 in the later year
    assert r["p_value"].iloc[0] == pytest.approx(p)
    _shows(r, "55 against 59: not a statistically significant change", f"p = {p:.2f}", "rate ratio 0.93")
    sig = ind.rate_ratio_test(120, 1, 80, 1)
    assert "a statistically significant rise" in sig.explain().sentences[0]
    d = ind.proportion_difference_test(30, 100, 20, 100)
    _shows(d, "30.0% against 20.0%", "+10.0 percentage points", "Newcombe")


def test_projection_and_target_status_explain_themselves():
    proj = ind.project_year_end(38, "2023/24 Q1")
    assert isinstance(proj, ResultFrame) and proj["projection"].iloc[0] == 38 * 4
    _shows(proj, "38 to 2023/24 Q1 projects to 152 for 2023/24", "95% predictive range")
    status = ind.target_status(proj, 150)
    _shows(status, "Projection 152 against a target of 150: at risk", "includes the target")


def test_comparison_with_a_benchmark_area_names_its_value_and_level():
    areas = pd.DataFrame({"area_code": ["E08000025", "E92000001"], "count": [79, 2846],
                          "denominator": [1_150_000, 56_500_000], "period": "2021"})
    c = ind.compare(ind.rate(areas), "E92000001", metric="drug_misuse_deaths", confidence=0.998)
    england = 2846 / 56_500_000 * 100_000  # by hand
    assert c["benchmark"].tolist() == pytest.approx([england, england])
    assert c.attrs["polarity"] == "lower_is_better"  # from metrics.csv
    assert set(c["confidence"]) == {0.998} and set(c["benchmark_name"]) == {"England"}
    _shows(c, "E08000025: 6.87 (99.8% CI", f"against {england:.2f} (England)")


def test_funnel_result_counts_the_areas_outside():
    df = pd.DataFrame({"x": [10, 40, 12], "n": [100, 100, 100]})
    f = ind.funnel_significance(df, "x", "proportion", denominator="n")
    # overall 62/300; 99.8% limits at n=100: 0.207 +- 3.09 * sqrt(0.207 * 0.793 / 100) = 0.082 to 0.332
    assert f["significance"].tolist() == ["Low (0.025)", "High (0.001)", "Low (0.025)"]
    _shows(f, "3 areas: 1 above the 99.8% limits", "2 more outside the 95% limits only")


def test_explanation_escapes_what_it_shows():
    e = Explanation("<script>x</script>", ("a < b & c",), method="m", reference="r")
    html = e._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html and "a &lt; b &amp; c" in html
