"""The gptables workbook: cover, contents, notes, one table per sheet, shorthand in brackets."""

from __future__ import annotations

import pandas as pd
import pytest

from cdp_analysis.report import outputs


@pytest.fixture
def workbook(run_folder, displayed):
    deaths = pd.DataFrame({"Area": ["Bournemouth", "Christchurch", "Poole", "Dorset"], "Deaths": [3, 12, 40, 25],
                           "Rate": [2.1, 8.4, 20.3, 11.9]})
    outputs.show_table(deaths, "deaths", title="Drug deaths by area, 2021 to 2023", source="Source: ONS",
                       notes=["Deaths registered in the three years."], count_columns=["Deaths"],
                       formats={"Rate": "{:.1f}"}, units={"Rate": "per 100,000"})
    refs = pd.DataFrame({"Year": [2021, 2022, 2023], "Referrals": [120, 135, 150]})
    outputs.show_table(refs, "referrals", title="Referrals to treatment", source="Source: NDTMS")
    path = outputs.write_workbook(run_folder, title="Needs assessment", area="Dorset", period="2023-24")
    import openpyxl

    return path, openpyxl.load_workbook(path)


def test_sheets_cover_contents_notes_and_one_table_each(workbook):
    path, wb = workbook
    assert path.name == "tables.xlsx"
    assert wb.sheetnames == ["Cover", "Contents", "Notes", "Table 1", "Table 2"]
    assert wb["Cover"]["A1"].value == "Needs assessment: Dorset, 2023-24"
    contents = [row for row in wb["Contents"].iter_rows(values_only=True)]
    assert any(r[0] == "Table 1" and "Drug deaths by area" in r[1] for r in contents)
    assert any(r[0] == "Table 2" and "Referrals to treatment" in r[1] for r in contents)
    for name in ("Table 1", "Table 2"):
        ws = wb[name]
        assert len(ws.tables) == 1, "one table per sheet, as an Excel table object"
        assert not ws.merged_cells.ranges
        assert ws.freeze_panes is None


def test_table_sheet_title_header_values_and_shorthand(workbook):
    _, wb = workbook
    ws = wb["Table 1"]
    assert ws["A1"].value.startswith("Drug deaths by area, 2021 to 2023 [note")
    (table,) = ws.tables.values()
    rows = [[c.value for c in row] for row in ws[table.ref]]
    assert rows[0] == ["Area", "Deaths", "Rate\n(per 100,000)"]
    # a rate beside a hidden count would give the count away (its population is public): hidden with it
    assert rows[1:] == [["Bournemouth", "[c]", "[c]"], ["Christchurch", "[c]", "[c]"], ["Poole", 40, 20.3],
                        ["Dorset", 25, 11.9]]
    text = [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any(t.startswith("[c] = confidential") for t in text), "shorthand explained on the sheet"
    assert "Source: ONS" in text
    # numbers are stored as numbers
    assert isinstance(rows[3][1], int) and isinstance(rows[3][2], float)
    assert not any(c == 0 for row in rows[1:] for c in row[1:2]), "a hidden count is never 0"


def test_notes_sheet_lists_notes_and_shorthand(workbook):
    _, wb = workbook
    notes = [row for row in wb["Notes"].iter_rows(values_only=True)]
    texts = " ".join(str(r[1]) for r in notes if r[1])
    assert "Deaths registered in the three years." in texts
    assert "[c] confidential" in texts
    assert "Dorset, 2023-24" in texts
    assert wb["Notes"].tables, "notes are a table too"


def test_no_tables_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no tables"):
        outputs.write_workbook(tmp_path, title="t", area="a", period="p")
