"""DSR (Dobson), ISR and SMR: check values, hand calculations, PHStatsMethods, bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cdp_analysis import indicators as ind
from cdp_analysis.errors import CdpInputError

Z95 = 1.959963984540054
Z998 = 3.090232306167813
REL = 1e-9
ESP = [5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000]
BANDS = ["0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50-54",
         "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+"]


def byar(x, z):
    lo = x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3
    x1 = x + 1
    return lo, x1 * (1 - 1 / (9 * x1) + z / (3 * math.sqrt(x1))) ** 3


def hand_dsr(x, n, w, z, m=100_000):
    W = sum(w)
    obs = sum(x)
    value = sum(wi * xi / ni for xi, ni, wi in zip(x, n, w, strict=False)) / W * m
    var = sum(wi**2 * xi / ni**2 for xi, ni, wi in zip(x, n, w, strict=False)) / W**2
    lo, hi = byar(obs, z)
    s = math.sqrt(var / obs) * m
    return value, value + s * (lo - obs), value + s * (hi - obs)


def area(code, period, counts, pops):
    return pd.DataFrame({"area_code": code, "period": period, "age_band": BANDS, "count": counts, "population": pops})


def test_esp2013_table_and_reference_csv():
    esp = ind.esp2013()
    assert esp["age_band"].tolist() == BANDS
    assert esp["esp2013"].tolist() == ESP
    assert esp["esp2013"].sum() == 100_000
    ref = pd.read_csv("data/reference/esp2013.csv") if __import__("os").path.exists("data/reference/esp2013.csv") else None
    if ref is not None:
        assert ref["esp2013_population"].tolist() == ESP
        assert ref.columns.tolist() == ["age_band", "age_lower", "age_upper", "esp2013_population"]


def test_domain_toy_case():
    # docs/references/domain.md §4: 40 deaths in bands 15-69, each band population 20,000 -> 13.20 (9.42-17.99)
    counts = [0, 0, 0, 0, 3, 3, 5, 5, 5, 4, 5, 6, 3, 1, 0, 0, 0, 0, 0]
    out = ind.dsr(area("E06000058", "2022", counts, 20_000))
    assert out["count"].iloc[0] == 40
    assert round(out["value"].iloc[0], 2) == 13.20
    assert round(out["lower_95"].iloc[0], 2) == 9.42
    assert round(out["upper_95"].iloc[0], 2) == 17.99
    assert out["status"].iloc[0] == ""


def test_hand_calculation_two_groups_both_levels():
    rng = np.random.default_rng(11)
    c1 = rng.integers(0, 12, 19).tolist()
    p1 = rng.integers(1000, 90_000, 19).tolist()
    c2 = rng.integers(0, 4, 19).tolist()
    p2 = rng.integers(1000, 90_000, 19).tolist()
    df = pd.concat([area("A", "2022", c1, p1), area("B", "2022", c2, p2)], ignore_index=True)
    out = ind.dsr(df)
    for i, (c, p) in enumerate([(c1, p1), (c2, p2)]):
        for z, lo, hi in [(Z95, "lower_95", "upper_95"), (Z998, "lower_99_8", "upper_99_8")]:
            v, el, eh = hand_dsr(c, p, ESP, z)
            assert out["value"].iloc[i] == pytest.approx(v, rel=REL)
            assert out[lo].iloc[i] == pytest.approx(el, rel=REL)
            assert out[hi].iloc[i] == pytest.approx(eh, rel=REL)
        assert out["population"].iloc[i] == sum(p)


def test_below_ten_events_not_calculated_and_flags():
    df = pd.concat(
        [
            area("A", "2022", [0] * 18 + [9], 1000),
            area("B", "2022", [0] * 18 + [15], 1000),
            area("C", "2022", [0] * 19, 1000),
        ],
        ignore_index=True,
    )
    out = ind.dsr(df)
    assert out["status"].tolist() == ["x", "u", "x"]
    assert np.isnan(out.loc[0, ["value", "lower_95", "upper_99_8"]].to_numpy(float)).all()
    assert out["note"].iloc[0] == "not calculated: fewer than 10 events"
    assert out["value"].iloc[1] == pytest.approx(15 / 1000 * 1000 / 100_000 * 100_000, rel=REL)


def test_partnership_sums_bands_before_standardising():
    rng = np.random.default_rng(5)
    c1, c2 = rng.integers(0, 9, 19), rng.integers(0, 9, 19)
    p1, p2 = rng.integers(500, 9000, 19), rng.integers(500, 9000, 19)
    df = pd.concat([area("E06000058", "2022", c1, p1), area("E06000059", "2022", c2, p2)], ignore_index=True)
    out = ind.dsr(df, by="period")
    v, lo, hi = hand_dsr((c1 + c2).tolist(), (p1 + p2).tolist(), ESP, Z95)
    assert out["value"].iloc[0] == pytest.approx(v, rel=REL)
    assert out["lower_95"].iloc[0] == pytest.approx(lo, rel=REL)


def test_custom_standard_column_and_labels():
    # a 3-band standard held in a column
    df = pd.DataFrame(
        {"g": "x", "age_band": ["young", "mid", "old"], "count": [5, 10, 20], "population": [1000, 2000, 500],
         "std": [30.0, 50.0, 20.0]}
    )
    out = ind.dsr(df, by="g", standard="std", multiplier=1000)
    v, lo, hi = hand_dsr([5, 10, 20], [1000, 2000, 500], [30, 50, 20], Z998, m=1000)
    assert out["value"].iloc[0] == pytest.approx(v, rel=REL)
    assert out["upper_99_8"].iloc[0] == pytest.approx(hi, rel=REL)
    # a standard given as 19 numbers in ESP band order, or as a mapping
    d1 = area("A", "2022", list(range(19)), list(range(1000, 20000, 1000)))
    esp1976 = [8000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 6000, 5000, 4000, 3000, 2000, 1000, 500, 500]
    v = hand_dsr(list(range(19)), list(range(1000, 20000, 1000)), esp1976, Z95)[0]
    assert ind.dsr(d1, standard=esp1976)["value"].iloc[0] == pytest.approx(v, rel=REL)
    assert ind.dsr(d1, standard=dict(zip(BANDS, esp1976, strict=False)))["value"].iloc[0] == pytest.approx(v, rel=REL)
    assert ind.dsr(d1, standard=ESP)["value"].iloc[0] == pytest.approx(ind.dsr(d1)["value"].iloc[0], rel=REL)
    # tolerant ESP labels
    labels = ["00-04", "05-09"] + BANDS[2:-1] + ["90 and over"]
    d2 = area("A", "2022", [5] * 19, 10_000).assign(age_band=labels)
    assert ind.dsr(d2)["value"].iloc[0] == pytest.approx(50.0, rel=REL)


def test_non_independent_events_hand_calculation():
    # band i, frequency f: p people with exactly f events; n and w repeat on each frequency row
    rows = []
    data = {  # band: {f: people}
        "15-19": {1: 6, 2: 2}, "20-24": {1: 8, 3: 1}, "25-29": {1: 4, 2: 3, 4: 1},
    }
    pops = {"15-19": 3000, "20-24": 4000, "25-29": 2500}
    for b, fs in data.items():
        for f, p in fs.items():
            rows.append({"age_band": b, "freq": f, "count": p, "population": pops[b]})
    rest = [{"age_band": b, "freq": 1, "count": 0, "population": 5000} for b in BANDS if b not in data]
    df = pd.DataFrame(rows + rest)
    out = ind.dsr(df, by=None, event_frequency="freq")
    w = dict(zip(BANDS, ESP, strict=False))
    allpops = {**{b: 5000 for b in BANDS}, **pops}
    W = 100_000
    events = {b: sum(f * p for f, p in data.get(b, {}).items()) for b in BANDS}
    obs = sum(events.values())
    value = sum(w[b] * events[b] / allpops[b] for b in BANDS) / W * 1e5
    var = sum(f * f * w[b] ** 2 * p / allpops[b] ** 2 for b, fs in data.items() for f, p in fs.items()) / W**2
    lo, hi = byar(obs, Z95)
    assert out["count"].iloc[0] == obs
    assert out["value"].iloc[0] == pytest.approx(value, rel=REL)
    assert out["lower_95"].iloc[0] == pytest.approx(value + math.sqrt(var / obs) * 1e5 * (lo - obs), rel=REL)
    assert out["upper_95"].iloc[0] == pytest.approx(value + math.sqrt(var / obs) * 1e5 * (hi - obs), rel=REL)
    assert out["method"].iloc[0] == "dobson, non-independent events"
    # wider than treating events as independent
    indep = pd.DataFrame({"age_band": BANDS, "count": [events[b] for b in BANDS], "population": [allpops[b] for b in BANDS]})
    plain = ind.dsr(indep, by=None)
    assert plain["value"].iloc[0] == pytest.approx(value, rel=REL)
    assert plain["upper_95"].iloc[0] < out["upper_95"].iloc[0]


def test_invalid_inputs():
    good = area("A", "2022", [1] * 19, 1000)
    with pytest.raises(CdpInputError) as err:
        ind.dsr(good.assign(age_band=BANDS[:-1] + ["95+"]))
    assert err.value.row == [18] and err.value.column == "age_band"
    with pytest.raises(CdpInputError) as err:
        ind.dsr(good.drop(index=[3]))
    assert err.value.column == "age_band" and 0 in err.value.row
    bad = good.copy()
    bad.loc[4, "count"] = -1
    with pytest.raises(CdpInputError) as err:
        ind.dsr(bad)
    assert (err.value.row, err.value.column) == ([4], "count")
    bad = good.astype({"population": object})
    bad.loc[2, "population"] = "lots"
    with pytest.raises(CdpInputError) as err:
        ind.dsr(bad)
    assert (err.value.row, err.value.column) == ([2], "population")
    bad = good.assign(population=[1000] * 18 + [0])
    with pytest.raises(CdpInputError) as err:
        ind.dsr(bad)
    assert (err.value.row, err.value.column) == ([18], "population")
    with pytest.raises(CdpInputError) as err:
        ind.dsr(good.drop(columns="period"))
    assert err.value.column == "period"
    with pytest.raises(CdpInputError) as err:  # a standard column that is not there
        ind.dsr(good.assign(std=[100.0] * 19), standard="stdpop")
    assert err.value.column == "stdpop"
    with pytest.raises(CdpInputError) as err:  # a standard population of the wrong length
        ind.dsr(good, standard=ESP[:-1])
    assert err.value.column == "standard" and "18 values" in str(err.value)
    with pytest.raises(CdpInputError) as err:  # a mapping that lacks a band in the data
        ind.dsr(good, standard=dict(zip(BANDS[:-1], ESP[:-1], strict=False)))
    assert (err.value.row, err.value.column) == ([18], "age_band")
    two = pd.concat([good, good], ignore_index=True).assign(std=[100.0] * 37 + [50.0])
    with pytest.raises(CdpInputError) as err:  # standard disagrees within a band
        ind.dsr(two, standard="std")
    assert err.value.column == "std" and err.value.row == [18, 37]


@pytest.mark.parametrize("seed", [21, 22])
def test_dsr_matches_phstatsmethods(seed):
    phs = pytest.importorskip("PHStatsMethods")
    rng = np.random.default_rng(seed)
    frames = []
    for g in range(12):
        scale = [0, 1, 3, 30][g % 4]
        frames.append(area(f"E{g:08d}", "2022", rng.poisson(scale, 19), rng.integers(200, 50_000, 19)))
    df = pd.concat(frames, ignore_index=True)
    df["stdpop"] = np.tile(ESP, 12).astype(float)
    theirs = phs.ph_dsr(df, "count", "population", "stdpop", group_cols="area_code", confidence=[0.95, 0.998],
                        euro_standard_pops=False).sort_values("area_code").reset_index(drop=True)
    ours = ind.dsr(df, by="area_code")
    for a, b in [("value", "Value"), ("lower_95", "lower_95_ci"), ("upper_95", "upper_95_ci"),
                 ("lower_99_8", "lower_99_8_ci"), ("upper_99_8", "upper_99_8_ci")]:
        np.testing.assert_allclose(ours[a].to_numpy(), theirs[b].to_numpy(dtype=float), rtol=REL, equal_nan=True)
    np.testing.assert_array_equal(ours["count"].to_numpy(), theirs["Total Count"].to_numpy())


def test_isr_and_ratio_hand_calculation_and_zero():
    df = pd.DataFrame({"g": ["a", "a", "b", "b"], "count": [5, 20, 0, 0], "population": [10_000, 5_000, 800, 900],
                       "ref_count": [300, 900, 300, 900], "ref_population": [1_000_000, 500_000, 1_000_000, 500_000]})
    smr = ind.standardised_ratio(df, by="g")
    E = 300 / 1e6 * 10_000 + 900 / 5e5 * 5_000
    lo, hi = byar(25, Z95)
    assert smr["expected"].iloc[0] == pytest.approx(E, rel=REL)
    assert smr["value"].iloc[0] == pytest.approx(25 / E, rel=REL)
    assert smr["lower_95"].iloc[0] == pytest.approx(lo / E, rel=REL)
    assert smr["upper_95"].iloc[0] == pytest.approx(hi / E, rel=REL)
    Eb = 300 / 1e6 * 800 + 900 / 5e5 * 900
    assert smr["value"].iloc[1] == 0.0
    assert smr["upper_99_8"].iloc[1] == pytest.approx(-math.log(0.001) / Eb, rel=REL)
    rate = ind.isr(df, by="g")
    ref = 1200 / 1.5e6 * 1e5
    assert rate["ref_rate"].iloc[0] == pytest.approx(ref, rel=REL)
    assert rate["value"].iloc[0] == pytest.approx(25 / E * ref, rel=REL)
    assert rate["upper_95"].iloc[1] == pytest.approx(-math.log(0.025) / Eb * ref, rel=REL)


@pytest.mark.parametrize("seed", [31, 32])
def test_isr_matches_phstatsmethods(seed):
    phs = pytest.importorskip("PHStatsMethods")
    rng = np.random.default_rng(seed)
    k = 10 * 19
    df = pd.DataFrame({
        "g": np.repeat(np.arange(10), 19),
        "count": rng.poisson(np.repeat([0.1, 0.3, 1, 5, 0.2, 2, 0.4, 0.05, 3, 10], 19)),
        "population": rng.integers(100, 20_000, k),
        "ref_count": np.tile(rng.integers(10, 5000, 19), 10),
        "ref_population": np.tile(rng.integers(100_000, 3_000_000, 19), 10),
    })
    keep = df.groupby("g")["count"].transform("sum") > 0  # PHStatsMethods fails on zero counts
    df = df[keep].reset_index(drop=True)
    t_ratio = phs.ph_ISRatio(df, "count", "population", "ref_count", "ref_population", group_cols="g",
                             confidence=[0.95, 0.998]).sort_values("g")
    t_rate = phs.ph_ISRate(df, "count", "population", "ref_count", "ref_population", group_cols="g",
                           confidence=[0.95, 0.998]).sort_values("g")
    o_ratio = ind.standardised_ratio(df, by="g")
    o_rate = ind.isr(df, by="g")
    for a, b in [("value", "Value"), ("lower_95", "lower_95_ci"), ("upper_95", "upper_95_ci"),
                 ("lower_99_8", "lower_99_8_ci"), ("upper_99_8", "upper_99_8_ci")]:
        np.testing.assert_allclose(o_ratio[a].to_numpy(), t_ratio[b].to_numpy(dtype=float), rtol=REL)
        np.testing.assert_allclose(o_rate[a].to_numpy(), t_rate[b].to_numpy(dtype=float), rtol=REL)


def test_block_layout_and_shuffled_rows_agree():
    # the fast path (one block of 19 rows per group) and the general path give the same
    rng = np.random.default_rng(42)
    frames = [area(f"E0600{g:04d}", str(2018 + g % 3), rng.poisson(2 + g, 19), rng.integers(300, 9000, 19))
              for g in range(9)]
    df = pd.concat(frames, ignore_index=True)
    fast = ind.dsr(df)
    slow = ind.dsr(df.sample(frac=1, random_state=1))
    pd.testing.assert_frame_equal(fast, slow, check_exact=False, rtol=1e-12)
    # a block that mixes two groups must not take the fast path: both groups lack bands
    mixed = df.copy()
    mixed.loc[5, "period"] = "1999"
    with pytest.raises(CdpInputError) as err:
        ind.dsr(mixed)
    assert err.value.row == list(range(19)) and err.value.column == "age_band"
    # ... and with a column standard (no completeness rule) it gives two groups
    out = ind.dsr(mixed.assign(std=np.tile(ESP, 9).astype(float)), standard="std")
    assert len(out) == 10 and out["period"].iloc[0] == "1999"
    assert out["count"].sum() == df["count"].sum()


def test_dsr_esp_join_matches_phstatsmethods():
    # PHStatsMethods' own ESP2013 join (by age-band label), with zero and small counts
    phs = pytest.importorskip("PHStatsMethods")
    import contextlib
    import io

    rng = np.random.default_rng(77)
    frames = [area(f"E{g:08d}", "2023", rng.poisson([0, 0.3, 2, 6][g % 4], 19), rng.integers(100, 40_000, 19))
              for g in range(16)]
    df = pd.concat(frames, ignore_index=True)
    with contextlib.redirect_stdout(io.StringIO()):
        theirs = phs.ph_dsr(df, "count", "population", "age_band", group_cols="area_code",
                            confidence=[0.95, 0.998], euro_standard_pops=True)
    theirs = theirs.sort_values("area_code").reset_index(drop=True)
    ours = ind.dsr(df, by="area_code")
    assert ours["value"].notna().sum() >= 6 and ours["value"].isna().sum() >= 3
    for a, b in [("value", "Value"), ("lower_95", "lower_95_ci"), ("upper_99_8", "upper_99_8_ci")]:
        np.testing.assert_allclose(ours[a].to_numpy(), theirs[b].to_numpy(dtype=float), rtol=REL, equal_nan=True)


def test_esp_block_fast_path_agrees_with_general_path():
    # one block of 19 bands per group is read without hashing labels; every variant of that
    # layout must give what the general path gives on the same rows shuffled
    rng = np.random.default_rng(7)
    frames = [area(f"E0700{g:04d}", str(2015 + g % 4), rng.poisson(1 + g, 19), rng.integers(300, 9000, 19))
              for g in range(12)]
    df = pd.concat(frames, ignore_index=True)
    expected = ind.dsr(df.sample(frac=1, random_state=3))
    # blocks in reverse key order (results still sorted by key)
    rev = pd.concat(frames[::-1], ignore_index=True)
    pd.testing.assert_frame_equal(ind.dsr(rev), expected, check_exact=False, rtol=1e-12)
    # bands in another order, the same in every block
    perm = rng.permutation(19)
    permuted = pd.concat([f.iloc[perm] for f in frames], ignore_index=True)
    pd.testing.assert_frame_equal(ind.dsr(permuted), expected, check_exact=False, rtol=1e-12)
    # bands in a different order in one block only
    mixed = pd.concat([frames[0].iloc[perm]] + frames[1:], ignore_index=True)
    pd.testing.assert_frame_equal(ind.dsr(mixed), expected, check_exact=False, rtol=1e-12)
    # two blocks of the same group: their bands are summed before standardising (hand check)
    twice = pd.concat([frames[0], frames[0].assign(count=frames[0]["count"] * 2)], ignore_index=True)
    out = ind.dsr(twice, confidence=0.95)
    x = (frames[0]["count"] * 3).tolist()
    n = (frames[0]["population"] * 2).tolist()
    value, lo, hi = hand_dsr(x, n, ESP, Z95)
    assert len(out) == 1 and out["count"].iloc[0] == sum(x)
    assert out["value"].iloc[0] == pytest.approx(value, rel=REL)
    assert (out["lower_95"].iloc[0], out["upper_95"].iloc[0]) == (pytest.approx(lo, rel=REL), pytest.approx(hi, rel=REL))
    # an unknown label in every block is still named, row by row
    bad = df.assign(age_band=np.where(df["age_band"] == "90+", "95+", df["age_band"]))
    with pytest.raises(CdpInputError) as err:
        ind.dsr(bad)
    assert err.value.column == "age_band" and err.value.row == list(range(18, len(df), 19))
    # events where a band's population is 0, in the fast layout
    zero = df.copy()
    zero.loc[[40, 100], "population"] = 0
    zero.loc[[40, 100], "count"] = [3, 0]
    with pytest.raises(CdpInputError) as err:
        ind.dsr(zero)
    assert (err.value.row, err.value.column) == ([40], "population")
