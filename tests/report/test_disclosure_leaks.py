"""The disclosure scan catches each kind of leak of issue 16, re-inserted one at a time.

A run folder is built with the real writers from a Rutland-like series (drug misuse deaths
registered 2012 to 2021: 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, the counts behind the issue's
report): the protected table (CSV, JSON, workbook), the protected chart (SVG, PNG and the
data it draws), an HTML page and a Word file holding the sentences, the table and the chart
with its alt text, as a reader gets them. The protected folder must scan clean; then each
test puts back one leak the issue found and the scan must name it.
"""

from __future__ import annotations

import base64
import html
import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from cdp_analysis.indicators.disclosure import DisclosurePolicy, protect
from cdp_analysis.report import charts, outputs
from cdp_analysis.report.disclosure_check import scan_outputs, scan_text, svg_drawn_values

YEARS = [str(y) for y in range(2012, 2022)]
COUNTS = [0, 0, 1, 1, 0, 0, 0, 0, 1, 0]
CHART = {"title": "Registered drug misuse deaths in Rutland", "subtitle": "Deaths registered each year, Rutland",
         "source": "Source: ONS", "y_label": "Deaths registered"}


def _annual(counts=COUNTS) -> pd.DataFrame:
    # exact Poisson limits, written out here: lower chi2(0.025, 2x)/2 (0 for x = 0), upper chi2(0.975, 2x+2)/2
    x = np.asarray(counts, dtype=float)
    lo = np.where(x > 0, chi2.ppf(0.025, 2 * np.maximum(x, 1)) / 2, 0.0)
    return pd.DataFrame({"period": YEARS[: len(x)], "count": x, "lower_95": lo, "upper_95": chi2.ppf(0.975, 2 * x + 2) / 2})


def _html(folder, paragraphs, table: pd.DataFrame, images) -> None:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in table.itertuples(index=False))
    imgs = "".join(f'<img src="data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()}" '
                   f'alt="{html.escape(alt, quote=True)}" />' for svg, alt in images)
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    (folder / "needs_assessment.html").write_text(
        f"<html><body>{paras}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{imgs}</body></html>",
        encoding="utf-8")


def _docx(folder, paragraphs, table: pd.DataFrame, images) -> None:
    import docx

    doc = docx.Document()
    for p in paragraphs:
        doc.add_paragraph(p)
    t = doc.add_table(rows=1, cols=len(table.columns))
    for i, c in enumerate(table.columns):
        t.rows[0].cells[i].text = c
    for row in table.itertuples(index=False):
        cells = t.add_row().cells
        for i, v in enumerate(row):
            cells[i].text = str(v)
    for png, alt in images:
        doc.add_picture(str(png))
        doc.inline_shapes[-1]._inline.docPr.set("descr", alt)
    doc.save(str(folder / "needs_assessment.docx"))


def _build(folder, displayed, *, annual=None, sentences=None, alt_extra="", chart_data=None,
           origin="local") -> dict:
    """A run folder written by the real writers; the arguments put one leak back."""
    protected = protect(_annual(), metric="drug_misuse_deaths", policy=DisclosurePolicy.from_env())
    annual = protected if annual is None else annual
    tab = annual[["period", "count", "lower_95", "upper_95"]].rename(columns={
        "period": "Year of registration", "count": "Deaths", "lower_95": "Lower 95% limit",
        "upper_95": "Upper 95% limit"})
    if "status" in annual:
        tab["status"] = annual["status"]
    outputs.show_table(tab, "deaths_annual", title="Registered drug misuse deaths, Rutland", source="Source: ONS",
                       count_columns=["Deaths"], totals=None, origin=origin,
                       formats={"Lower 95% limit": "{:.1f}", "Upper 95% limit": "{:.1f}"})
    text, _, _ = outputs.prepare_table(tab, count_columns=["Deaths"], totals=None, origin=origin,
                                       formats={"Lower 95% limit": "{:.1f}", "Upper 95% limit": "{:.1f}"})
    plot = (chart_data if chart_data is not None else protected).rename(columns={"count": "value"})
    fig, alt = charts.trend(plot, x="period", y="value", **CHART)
    alt = alt + alt_extra
    outputs.show_figure(fig, "deaths_annual", alt=alt, origin=origin)
    outputs.write_workbook(folder, title="Needs assessment", area="Rutland", period="2023/24 Q1")
    svg = (folder / "figures" / "deaths_annual.svg").read_text(encoding="utf-8")
    sentences = sentences if sentences is not None else [
        "0 drug misuse deaths were registered in 2021 to residents of Rutland.",
        "The change from 2020 is not shown: the 2020 count is suppressed [c].",
        "Counts of 1 to 4 deaths are shown as [c]."]
    _html(folder, sentences, text.drop(columns=[c for c in text.columns if c == "status"]), [(svg, alt)])
    _docx(folder, sentences, text.drop(columns=[c for c in text.columns if c == "status"]),
          [(folder / "figures" / "deaths_annual.png", alt)])
    return {"alt": alt, "text": text}


def _kinds(findings: pd.DataFrame) -> set[str]:
    return set(findings["kind"])


def test_protected_outputs_scan_clean(run_folder, displayed):
    built = _build(run_folder, displayed)
    findings = scan_outputs(run_folder)
    assert findings.empty, findings.to_string()
    # and they really hold the small counts as [c], with a gap in the chart
    assert built["text"]["Deaths"].tolist().count("[c]") == 3
    assert "Not shown [c]" in built["alt"] and "2014, 2015 and 2020" in built["alt"]
    side = json.loads((run_folder / "figures" / "deaths_annual.json").read_text(encoding="utf-8"))
    ys = side["axes"][0]["lines"][0]["y"]
    assert ys[2] is None and ys[3] is None and ys[8] is None  # gaps where 2014, 2015 and 2020 were


def test_interval_beside_c_is_caught(run_folder, displayed):
    # the upper 95% limit of a count of 1 (5.6) left beside its [c]
    _build(run_folder, displayed)
    csv = run_folder / "tables" / "deaths_annual.csv"
    df = pd.read_csv(csv, dtype=str, keep_default_na=False)
    row = df.index[df["Deaths"] == "[c]"][0]
    df.loc[row, "Upper 95% limit"] = "5.6"
    df.to_csv(csv, index=False)
    findings = scan_outputs(run_folder)
    hit = findings[findings["kind"] == "interval beside [c]"]
    assert len(hit) == 1 and hit["value"].iloc[0] == "5.6" and "count of 1" in hit["problem"].iloc[0]


def test_interval_beside_c_caught_in_the_workbook_and_word_too(run_folder, displayed):
    leaky = _annual().assign(status="")
    leaky.loc[leaky["count"].between(1, 4), "status"] = "c"
    leaky.loc[leaky["status"] == "c", "count"] = np.nan  # the count hidden, its interval left: the table
    _build(run_folder, displayed, annual=leaky)
    findings = scan_outputs(run_folder)
    # prepare_table hides the renamed limits itself, so the CSV and workbook stay clean ...
    assert findings.empty, findings.to_string()
    # ... and when a writer bypasses it, every form is checked
    import docx

    doc = docx.Document(str(run_folder / "needs_assessment.docx"))
    cell = next(r.cells[3] for r in doc.tables[0].rows if r.cells[1].text == "[c]")
    cell.text = "5.6"
    doc.save(str(run_folder / "needs_assessment.docx"))
    found = scan_outputs(run_folder)
    assert set(found["file"]) == {"needs_assessment.docx"} and _kinds(found) == {"interval beside [c]"}


def test_comparison_sentence_with_a_small_count_is_caught(run_folder, displayed):
    _build(run_folder, displayed, sentences=["0 drug misuse deaths registered in 2021 against 1 in 2020: not a "
                                             "statistically significant change (rate ratio 0.00, 95% CI 0.00 to "
                                             "39.00, p = 1.00)."])
    findings = scan_outputs(run_folder)
    assert _kinds(findings) == {"sentence"}
    assert set(findings["file"]) == {"needs_assessment.html", "needs_assessment.docx"}
    assert set(findings["value"]) == {"against 1 in 2020"}


def test_a_chart_drawing_ones_and_twos_is_caught(run_folder, displayed):
    raw = _annual([0, 1, 2, 1, 0, 2, 0, 1, 1, 0])  # the exact yearly counts, drawn unprotected
    _build(run_folder, displayed, chart_data=raw)
    findings = scan_outputs(run_folder)
    data = findings[findings["kind"] == "chart data"]
    # caught from the SVG itself (inline in the HTML, and the figure file) and from the chart's drawn data
    assert {"needs_assessment.html: image 1", "figures/deaths_annual.svg", "figures/deaths_annual.json"} <= set(
        data["file"])
    assert any("count of 1" in p for p in data["problem"])  # the ribbon through 5.57
    # the alt text of that chart names them too
    assert "alt text" in _kinds(findings)


def test_alt_text_naming_a_small_count_is_caught(run_folder, displayed):
    _build(run_folder, displayed, alt_extra=" Lowest 0 in 1993; highest 2 in 2004.")
    findings = scan_outputs(run_folder)
    alt = findings[findings["kind"] == "alt text"]
    assert set(alt["value"]) == {"highest 2"}
    assert {"needs_assessment.html", "needs_assessment.docx", "figures/deaths_annual.json"} == set(alt["file"])
    assert _kinds(findings) == {"alt text"}


def test_small_count_in_a_table_cell_is_caught_in_every_form(run_folder, displayed, monkeypatch):
    monkeypatch.setenv("CDP_DISCLOSURE_THRESHOLD", "1")  # suppression switched off by mistake
    _build(run_folder, displayed, annual=_annual())
    monkeypatch.delenv("CDP_DISCLOSURE_THRESHOLD")
    findings = scan_outputs(run_folder)
    cells = findings[findings["kind"] == "table cell"]
    assert {"tables/deaths_annual.csv", "needs_assessment.html", "needs_assessment.docx"} <= set(cells["file"])
    assert any(f.startswith("tables.xlsx:") for f in cells["file"])


def test_published_counts_policy_allows_published_tables_only(run_folder, displayed, monkeypatch):
    monkeypatch.setenv("CDP_DISCLOSURE_THRESHOLD", "1")
    _build(run_folder, displayed, annual=_annual())
    meta_path = run_folder / "tables" / "deaths_annual.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    assert scan_outputs(run_folder, published_counts="show")["kind"].eq("table cell").any()  # origin local
    meta["origin"] = "published"
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    shown = scan_outputs(run_folder, published_counts="show")
    assert not shown["kind"].eq("table cell").any()
    assert scan_outputs(run_folder)["kind"].eq("table cell").any()  # the default policy still flags them


@pytest.mark.parametrize("text, expected", [
    ("0 drug misuse deaths registered in 2021 against 1 in 2020.", ["against 1 in 2020"]),
    ("3 adults were in treatment.", ["3 adults"]),
    ("the 95% confidence interval 0.03 to 5.57", ["0.03 to 5.57"]),
    ("2,749 seizures in 2018/19 against 2,126 in 2017/18", []),
    ("Counts of 1 to 4 deaths are shown as [c]; fewer than 3 deaths; 12 deaths in 2021.", []),
    ("1 in 5 adults drank", []),
    ("Adults in drug and alcohol treatment, Rutland: 3 in 2022/23 against a target of 6 for 2023/24", ["3 in 2022/23"]),
    ("a rate of 3.0 in 2021; Lowest 0 in 1993; highest 2 in 2004", []),  # extremes: charts of counts only
])
def test_sentence_rules(text, expected):
    assert [p for p, _ in scan_text(text)] == expected


def test_values_read_back_from_an_svg_match_what_was_drawn(run_folder, displayed):
    raw = _annual([0, 1, 2, 1, 0, 2, 0, 1, 1, 0])
    fig, _ = charts.trend(raw.rename(columns={"count": "value"}), x="period", y="value", **CHART)
    outputs.show_figure(fig, "raw", alt="Line chart of deaths registered.")
    drawn = svg_drawn_values((run_folder / "figures" / "raw.svg").read_text(encoding="utf-8"))
    line = max(drawn["lines"], key=len)
    assert np.allclose(line, [0, 1, 2, 1, 0, 2, 0, 1, 1, 0], atol=1e-3)
    top = max(max(r) for r in drawn["ribbons"])
    assert abs(top - chi2.ppf(0.975, 6) / 2) < 1e-3  # the upper limit of a count of 2 (7.22)


def test_published_counts_shown_alike_everywhere_and_scanned_under_that_policy(run_folder, displayed, monkeypatch):
    # ONS registrations by local authority, with the analyst's policy showing published counts
    monkeypatch.setenv("CDP_PUBLISHED_COUNTS", "show")
    _build(run_folder, displayed, origin="published",
           sentences=["0 drug misuse deaths registered in 2021 against 1 in 2020."])
    table = pd.read_csv(run_folder / "tables" / "deaths_annual.csv", dtype=str)
    side = json.loads((run_folder / "figures" / "deaths_annual.json").read_text(encoding="utf-8"))
    assert table["Deaths"].tolist() == [str(c) for c in COUNTS]  # the table shows them ...
    assert side["axes"][0]["lines"][0]["y"] == [float(c) for c in COUNTS]  # ... and so does the chart
    assert "[c]" not in side["alt"]
    assert scan_outputs(run_folder, published_counts="show").empty
    # the same outputs under the default policy are leaks of every kind
    assert {"table cell", "sentence", "chart data"} <= _kinds(scan_outputs(run_folder))


def test_a_table_written_as_text_with_a_small_count_and_its_period_is_caught(tmp_path):
    # the needs appendix's treatment table before the fix: "3 (2022/23)" against a target "6 (2023/24)"
    (tmp_path / "report.html").write_text(
        "<table><tr><th>Measure</th><th>Latest</th><th>Target</th></tr>"
        "<tr><td>Adults in treatment</td><td>3 (2022/23)</td><td>6 (2023/24)</td></tr>"
        "<tr><td>Young people in treatment</td><td>[c] (2022/23)</td><td>4 (2023/24)</td></tr></table>",
        encoding="utf-8")
    findings = scan_outputs(tmp_path)
    assert findings[["kind", "column", "value"]].values.tolist() == [["table cell", "Latest", "3 (2022/23)"]]
