"""The deprivation gradient of drug-death rates: the statsmodels fit checked against the same
quasi-Poisson model fitted here by Newton-Raphson with numpy, and its inputs against the ONS
workbook's own three-year counts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from cdp_analysis import deprivation as dp


@pytest.fixture(scope="module")
def frame(full_store):
    from cdp_analysis.data.store import Store

    with Store(full_store, read_only=True) as s:
        d = dp.deaths_and_deprivation(s)
        three_year = s.observations("drug_misuse_asmr", period="2019-2021", source="ons_drug_deaths_la")
    return d, three_year


def _newton(y: np.ndarray, e: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Poisson log-linear model with offset by Newton-Raphson; quasi-Poisson scale by Pearson."""
    X = np.column_stack([np.ones_like(x), x])
    beta = np.array([math.log(y.sum() / e.sum()), 0.0])
    for _ in range(100):
        mu = e * np.exp(X @ beta)
        grad = X.T @ (y - mu)
        info = X.T @ (X * mu[:, None])
        step = np.linalg.solve(info, grad)
        beta = beta + step
        if np.abs(step).max() < 1e-12:
            break
    mu = e * np.exp(X @ beta)
    phi = float(((y - mu) ** 2 / mu).sum() / (len(y) - 2))
    cov = np.linalg.inv(X.T @ (X * mu[:, None])) * phi
    return beta, cov, phi


def test_every_upper_tier_area_with_its_ons_three_year_count(frame):
    d, three_year = frame
    assert len(d) == 152 and d.attrs["dropped"] == []
    published = three_year[three_year["sex"] == "persons"].set_index("area_code")["count"]
    both = d.set_index("area_code")["deaths"].to_frame().join(published.rename("ons"), how="inner")
    assert len(both) >= 140
    assert (both["deaths"] == both["ons"]).all()  # 2019+2020+2021 = the workbook's 2019-2021 count
    assert d.set_index("area_code").loc["E06000058", "deaths"] == 77


def test_gradient_matches_an_independent_fit(frame):
    d, _ = frame
    g = dp.deprivation_gradient(d)
    y, e, x = (d[c].to_numpy(dtype=float) for c in ("deaths", "person_years", "average_decile"))
    beta, cov, phi = _newton(y, e, x)
    se = math.sqrt(cov[1, 1])
    assert g.dispersion == pytest.approx(phi, rel=1e-8)
    assert g.rate_ratio == pytest.approx(math.exp(-beta[1]), rel=1e-9)
    assert g.lower == pytest.approx(math.exp(-beta[1] - 1.959963984540054 * se), rel=1e-8)
    assert g.upper == pytest.approx(math.exp(-beta[1] + 1.959963984540054 * se), rel=1e-8)
    assert g.p_value == pytest.approx(2 * norm.sf(abs(beta[1] / se)), rel=1e-6)
    # the band at x is exp(b0 + b1 x) per 100,000 with the delta-method interval
    band = g.predict([1.0, 10.0])
    var1 = cov[0, 0] + 2 * cov[0, 1] + cov[1, 1]
    assert band["fit"].iloc[0] == pytest.approx(math.exp(beta[0] + beta[1]) * 1e5, rel=1e-9)
    assert band["upper"].iloc[0] == pytest.approx(math.exp(beta[0] + beta[1] + 1.959963984540054 * math.sqrt(var1)) * 1e5,
                                                  rel=1e-8)
    # more deprived areas have higher rates, far beyond chance, with clear over-dispersion
    assert g.rate_ratio > 1 and g.significant and g.dispersion > 2
    assert "for each decile more deprived" in g.sentence()
    assert "statistically significant gradient" in g.sentence()


def test_the_result_shows_itself(frame):
    d, _ = frame
    g = dp.deprivation_gradient(d)
    html = g._repr_html_()
    assert "<table>" in html and "Rate ratio per decile more deprived" in html and "McCullagh" in html
    assert repr(g).startswith("DeprivationGradient(rate_ratio=")
    assert "Generalized Linear Model Regression Results" in str(g.summary())
    assert list(g.to_frame().columns)[:3] == ["rate_ratio_per_decile_more_deprived", "lower", "upper"]


def test_no_gradient_is_not_called_significant():
    # equal rates everywhere: the rate ratio is 1 and the interval includes it
    d = pd.DataFrame({"deaths": [10, 20, 30, 40, 50], "person_years": [1e5, 2e5, 3e5, 4e5, 5e5],
                      "average_decile": [1.0, 3.0, 5.0, 7.0, 9.0]})
    g = dp.deprivation_gradient(d.assign(deaths=[11, 19, 31, 39, 50]))
    assert g.lower < 1 < g.upper and not g.significant
    assert "not a statistically significant gradient" in g.sentence()


def test_bad_input_is_a_named_error():
    from cdp_analysis.errors import CdpInputError, CdpParameterError

    with pytest.raises(CdpInputError, match="whole numbers"):
        dp.deprivation_gradient(pd.DataFrame({"deaths": [1.5, 2, 3], "person_years": [1, 1, 1],
                                              "average_decile": [1, 2, 3]}))
    with pytest.raises(CdpParameterError, match="at least 3 areas"):
        dp.deprivation_gradient(pd.DataFrame({"deaths": [1, 2], "person_years": [1, 1], "average_decile": [1, 2]}))

