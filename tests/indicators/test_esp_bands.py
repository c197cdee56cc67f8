"""DSR inputs (#18 item 9): the store's single-year populations in ESP2013 bands; errors that name
the group and the band."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdp_analysis import indicators as ind
from cdp_analysis.errors import CdpInputError


def test_store_populations_into_esp2013_bands(full_store):
    from cdp_analysis.data.store import Store

    with Store(full_store, read_only=True) as s:
        pop = s.population(area=["E06000058", "E06000059"], year=2021)
    bands = ind.esp2013_bands(pop)
    assert len(bands) == 2 * 19
    assert bands["age_band"].iloc[:19].tolist() == ind.esp2013()["age_band"].tolist()
    for code in ("E06000058", "E06000059"):  # by hand: sums of the single years
        one = pop[pop["area_code"] == code].set_index("age")["population"]
        got = bands[bands["area_code"] == code].set_index("age_band")["population"]
        assert got["0-4"] == one.loc[0:4].sum() and got["45-49"] == one.loc[45:49].sum()
        assert got["90+"] == one.loc[90] and got.sum() == one.sum()
    # ready for dsr: deaths by band merged on, 1 death per 1,000 people in every band
    deaths = bands.assign(count=np.round(bands["population"] / 1000))
    out = ind.dsr(deaths, count="count", denominator="population", by=["area_code", "year"])
    assert out["value"].between(90, 110).all()  # about 100 per 100,000 whatever the age structure


def test_missing_single_year_and_missing_band_name_the_group_and_the_band():
    pop = pd.DataFrame({"area_code": "E06000058", "year": 2021, "sex": "persons", "age": range(91),
                        "population": 1000.0})
    with pytest.raises(CdpInputError, match=r"group area_code=E06000058, year=2021, sex=persons has no population "
                                            r"for age 47, so its ESP2013 band 45-49 is incomplete"):
        ind.esp2013_bands(pop[pop["age"] != 47])
    bands = ind.esp2013_bands(pop).assign(count=20.0, period="2021")
    with pytest.raises(CdpInputError, match=r"group area_code=E06000058, period=2021 has no row for the ESP2013 "
                                            r"age band 45-49") as err:
        ind.dsr(bands[bands["age_band"] != "45-49"], denominator="population")
    assert err.value.column == "age_band"
