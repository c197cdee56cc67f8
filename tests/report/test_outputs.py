"""show_table: disclosure control (primary and secondary), [c] never 0, Markdown with a
header row, and the CSV/JSON written for the workbook."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.report import outputs


def _completions(shown: list[float | None], total: int):
    """Every way of filling the hidden cells (None) with whole numbers >= 0 to make ``total``."""
    hidden = [i for i, v in enumerate(shown) if v is None]
    rest = int(round(total - sum(v for v in shown if v is not None)))

    def parts(n: int, k: int):
        if k == 1:
            yield (n,)
            return
        for first in range(n + 1):
            for tail in parts(n - first, k - 1):
                yield (first, *tail)

    if hidden and rest >= 0:
        for combo in parts(rest, len(hidden)):
            yield dict(zip(hidden, combo, strict=True))


def _recoverable(shown: list[float | None], total: int) -> list[int]:
    """Hidden cells whose value is the same in every completion (worked out exactly)."""
    options: dict[int, set[int]] = {}
    for comp in _completions(shown, total):
        for i, v in comp.items():
            options.setdefault(i, set()).add(v)
    return [i for i, vals in options.items() if len(vals) == 1]


def _parse(cells: list[str]) -> list[float | None]:
    return [None if c == "[c]" else float(c.replace(",", "")) for c in cells]


def test_count_of_three_and_its_complement_are_hidden(run_folder, displayed):
    df = pd.DataFrame({"Area": ["Bournemouth", "Christchurch", "Poole", "Dorset"], "Deaths": [3, 12, 40, 25]})
    outputs.show_table(df, "deaths", title="Deaths by area", source="Source: ONS", count_columns=["Deaths"])
    md = displayed[0]["text/markdown"]
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    assert rows[0] == "| Area | Deaths |"  # real header row: left-aligned names, right-aligned counts
    assert re.fullmatch(r"\| :-{3,} \| -{3,}: \|", rows[1])
    cells = [r.split(" | ")[1].rstrip(" |") for r in rows[2:]]
    assert cells == ["[c]", "[c]", "40", "25"]
    assert "[c] confidential" in md
    # the published total (80) does not give either hidden cell away
    assert _recoverable(_parse(cells), int(df["Deaths"].sum())) == []
    # without the secondary cell it would: 80 - 12 - 40 - 25 = 3
    assert _recoverable([None, 12, 40, 25], 80) == [0]


def test_zero_is_shown_and_never_printed_for_a_hidden_cell(displayed, run_folder):
    df = pd.DataFrame({"Area": list("ABCDE"), "n": [0, 2, 7, 9, 30]})
    outputs.show_table(df, "n", title="Counts", source="Source: test", count_columns=["n"])
    csv = pd.read_csv(run_folder / "tables" / "n.csv", dtype=str, keep_default_na=False)
    assert csv["n"].tolist() == ["0", "[c]", "[c]", "9", "30"]
    assert _recoverable(_parse(csv["n"].tolist()), 48) == []


@pytest.mark.parametrize("seed", range(6))
def test_no_hidden_cell_recoverable_from_group_totals(seed):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"Year": np.repeat([2021, 2022], 5), "Area": list("ABCDE") * 2,
                       "Deaths": rng.integers(0, 12, 10)})
    text, _, meta = outputs.prepare_table(df, count_columns=["Deaths"], by="Year")
    for year, idx in df.groupby("Year").groups.items():
        cells = text.loc[idx, "Deaths"].tolist()
        original = df.loc[idx, "Deaths"].tolist()
        assert "0" not in [c for c, o in zip(cells, original, strict=True) if o > 0]
        for c, o in zip(cells, original, strict=True):
            if 0 < o < 5:
                assert c == "[c]"
        if len(idx) - cells.count("[c]") >= 1 and cells.count("[c]"):
            # enumerate only when small enough to do quickly
            if sum(original) <= 60:
                assert _recoverable(_parse(cells), int(sum(original))) == [], (year, cells, original)


def test_rates_hidden_with_their_count_and_status_kept():
    df = pd.DataFrame({"Area": ["A", "B", "C"], "Deaths": [2, 20, 30], "value": [1.5, 15.25, 22.0],
                       "lower_95": [0.2, 9.3, 14.8], "upper_95": [5.4, 23.6, 31.4], "status": ["", "p", ""]})
    text, values, meta = outputs.prepare_table(df, count_columns=["Deaths"], formats={"value": "{:.1f}"})
    assert text["Deaths"].tolist() == ["[c]", "[c]", "30"]
    assert text["value"].tolist() == ["[c]", "[c]", "22.0"]
    assert text["lower_95"].tolist()[:2] == ["[c]", "[c]"]
    assert text["status"].tolist() == ["[c]", "[p] [c]", ""]
    assert meta["shorthand"] == ["c", "p"]
    assert values["value"].tolist() == ["[c]", "[c]", 22.0]


def test_several_count_columns_are_protected_separately():
    df = pd.DataFrame({"Area": list("ABCD"), "Deaths": [3, 10, 11, 12], "Admissions": [50, 60, 2, 70]})
    text, _, meta = outputs.prepare_table(df, count_columns=["Deaths", "Admissions"])
    assert text["Deaths"].tolist() == ["[c]", "[c]", "11", "12"]
    assert text["Admissions"].tolist() == ["50", "[c]", "[c]", "70"] or \
        text["Admissions"].tolist() == ["[c]", "60", "[c]", "70"]
    assert meta["suppressed"]["Deaths"] == {"primary": 1, "secondary": 1}


def test_missing_values_are_x_and_formats_apply():
    df = pd.DataFrame({"Period": ["2021", "2022"], "Rate": [12.345, np.nan], "People": [1234, 5678]})
    text, values, meta = outputs.prepare_table(df, formats={"Rate": ",.2f", "People": "{:,}"})
    assert text["Rate"].tolist() == ["12.35", "[x]"] or text["Rate"].tolist() == ["12.34", "[x]"]
    assert text["People"].tolist() == ["1,234", "5,678"]
    assert values["People"].tolist() == [1234, 5678]
    assert meta["shorthand"] == ["x"]


def test_csv_and_json_for_the_workbook(run_folder, displayed):
    df = pd.DataFrame({"Area": ["A", "B", "C"], "Deaths": [1, 20, 30]})
    outputs.show_table(df, "t1", title="First", source="Source: one", notes="A note.", count_columns=["Deaths"],
                       units={"Deaths": "number"})
    outputs.show_table(df.assign(Deaths=[10, 20, 30]), "t2", title="Second", source="Source: two")
    meta = json.loads((run_folder / "tables" / "t1.json").read_text(encoding="utf-8"))
    assert meta["title"] == "First" and meta["source"] == "Source: one" and meta["notes"] == ["A note."]
    assert meta["units"] == {"Deaths": "number"} and meta["shorthand"] == ["c"] and meta["order"] == 1
    assert json.loads((run_folder / "tables" / "t2.json").read_text(encoding="utf-8"))["order"] == 2
    # showing t1 again (re-run cell) keeps its place
    outputs.show_table(df, "t1", title="First", source="Source: one", count_columns=["Deaths"])
    assert json.loads((run_folder / "tables" / "t1.json").read_text(encoding="utf-8"))["order"] == 1
    assert "Note: A note." in displayed[0]["text/markdown"]


def test_bad_arguments(run_folder):
    df = pd.DataFrame({"Area": ["A"], "n": [3]})
    with pytest.raises(KeyError, match="count columns"):
        outputs.prepare_table(df, count_columns=["deaths"])
    with pytest.raises(ValueError, match="name"):
        outputs.show_table(df, "a b", title="t", source="s")
    with pytest.raises(ValueError, match="title and a source"):
        outputs.show_table(df, "ab", title="", source="s")


def test_renamed_interval_beside_a_hidden_count_is_hidden():
    # the appendix's annual table: a count of 1 with its exact Poisson limits (0.03, 5.57) under readable names
    df = pd.DataFrame({"Year of registration": ["2019", "2020", "2021"], "Deaths": [6, 1, 0],
                       "Lower 95% limit": [2.2, 0.03, 0.0], "Upper 95% limit": [13.1, 5.57, 3.69]})
    text, values, _ = outputs.prepare_table(df, count_columns=["Deaths"], totals=None,
                                            formats={"Lower 95% limit": "{:.1f}", "Upper 95% limit": "{:.1f}"})
    assert text.iloc[1].tolist() == ["2020", "[c]", "[c]", "[c]"]
    assert text["Upper 95% limit"].tolist() == ["13.1", "[c]", "3.7"]


def test_a_figure_suppressed_upstream_stays_hidden_and_counts_in_the_totals():
    from cdp_analysis.indicators.disclosure import DisclosurePolicy, protect

    df = pd.DataFrame({"Area": ["A", "B", "C"], "count": [2, 30, 40]})
    decided = protect(df, policy=DisclosurePolicy(), totals="group")
    text, _, meta = outputs.prepare_table(decided, count_columns=["count"])
    assert text["count"].tolist() == ["[c]", "[c]", "40"]  # the same two cells the library hid
    assert meta["suppressed"]["count"] == {"primary": 2, "secondary": 0, "upstream": 2}


def test_published_counts_policy_applies_to_published_tables_only(monkeypatch):
    df = pd.DataFrame({"Year": ["2020", "2021"], "Deaths": [1, 30]})
    monkeypatch.setenv("CDP_PUBLISHED_COUNTS", "show")
    shown, _, meta = outputs.prepare_table(df, count_columns=["Deaths"], totals=None, origin="published")
    assert shown["Deaths"].tolist() == ["1", "30"] and meta["applied_threshold"] == 1
    local, _, _ = outputs.prepare_table(df, count_columns=["Deaths"], totals=None, origin="local")
    assert local["Deaths"].tolist() == ["[c]", "30"]
    monkeypatch.delenv("CDP_PUBLISHED_COUNTS")
    default, _, _ = outputs.prepare_table(df, count_columns=["Deaths"], totals=None, origin="published")
    assert default["Deaths"].tolist() == ["[c]", "30"]


def test_a_count_missing_at_source_is_x_and_left_out_of_suppression():
    # DfE publishes nothing for some small areas: missing is [x], not [c], and does not stop the table
    df = pd.DataFrame({"Year": ["2015", "2016", "2017"], "Exclusions": [np.nan, 3, 12], "status": ["x", "", ""]})
    text, _, _ = outputs.prepare_table(df, count_columns=["Exclusions"], totals=None)
    assert text["Exclusions"].tolist() == ["[x]", "[c]", "12"]
