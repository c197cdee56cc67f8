"""Write the hostile-input corpus of ``tests/data/bad/`` and build hostile workbooks at test time.

The CSV files are small and committed (run ``python tests/data/bad/make_bad.py`` to rewrite
them); workbooks are large and binary, so :func:`workbook_case` makes a hostile copy of a
shipped workbook with openpyxl in a temporary folder instead. The 200,000-row files are
made at test time by :func:`big_returns` and :func:`big_police`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
RAW = ROOT / "data" / "raw"

RETURNS_HEADER = "metric_id,area_code,period,value,target,target_period,note"
RETURNS_ROWS = [
    "county_lines_arrests,E23000039,2023/24 Q1,38,,,",
    "county_lines_arrests,E23000039,2022/23,80,,,",
    "soc_disruptions,E23000039,2023/24 Q1,259,,,",
    'adults_in_treatment,E06000058,2022/23,"2,590",2700,2023/24,',
]


def _returns(*rows: str, header: str = RETURNS_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


#: name -> file text (str: written UTF-8; bytes: written as is)
RETURNS: dict[str, str | bytes] = {
    # header problems
    "title_above_header.csv": "Pan-Dorset CDP returns, July 2023\n" + _returns(*RETURNS_ROWS),
    "blank_line_above_header.csv": "\n" + _returns(*RETURNS_ROWS),
    "renamed_header.csv": _returns(*RETURNS_ROWS, header=RETURNS_HEADER.replace("metric_id", "Metric")),
    "misspelled_optional_header.csv": _returns(*RETURNS_ROWS, header=RETURNS_HEADER.replace("target,", "targt,")),
    "duplicated_header.csv": _returns(*[r + ",1" for r in RETURNS_ROWS], header=RETURNS_HEADER + ",value"),
    # a merged "Figures" cell over value and target, exported as two header rows
    "merged_header_cells.csv": _returns(",,,,,,", *RETURNS_ROWS,
                                        header="metric_id,area_code,period,Figures,,target_period,note")
    .replace("\n,,,,,,\n", "\n,,,value,target,,\n", 1),
    "trailing_empty_columns.csv": _returns(*[r + ",," for r in RETURNS_ROWS], header=RETURNS_HEADER + ",,"),
    # rows
    "footnote_rows.csv": _returns(*RETURNS_ROWS, "", "Source: Dorset Police management information"),
    "blank_rows_then_bad_value.csv": _returns(RETURNS_ROWS[0], "", ",,,,,,", "   ", RETURNS_ROWS[1],
                                             "soc_disruptions,E23000039,2022/23,nine hundred,,,"),
    "ragged_row.csv": _returns(RETURNS_ROWS[0], "county_lines_arrests,E23000039,2022/23,80,,,,extra"),
    "text_in_number.csv": _returns(RETURNS_ROWS[0], "county_lines_arrests,E23000039,2022/23,n/a,,,"),
    "bad_separator.csv": _returns(RETURNS_ROWS[0], 'county_lines_arrests,E23000039,2022/23,"12,34",,,'),
    "text_in_target.csv": _returns(RETURNS_ROWS[0], "adults_in_treatment,E06000058,2022/23,2590,1.2.3,2023/24,"),
    # markers: {marker} is replaced by each of [c] : u x * in the test
    "marker_template.csv": _returns(*RETURNS_ROWS[:2], "soc_disruptions,E23000039,2023/24 Q1,{marker},,,"),
    # numbers as analysts type them: parsed
    "thousands_separators.csv": _returns(
        'adults_in_treatment,E06000058,2022/23,"2,590","2,700",2023/24,',
        'adults_in_treatment,E06000059,2022/23," 1,234.5 ",,,',
        'county_lines_arrests,E23000039,2022/23,"£23,756",,,',
        "soc_disruptions,E23000039,2022/23,45.2%,,,",
    ),
    # encodings
    "utf8_bom.csv": "\ufeff" + _returns(*RETURNS_ROWS),
    "cp1252.csv": _returns(*RETURNS_ROWS[:2], "soc_disruptions,E23000039,2023/24 Q1,259,,,"
                           "\"Cost \u00a31,200 \u2013 see report\"").encode("cp1252"),
    # empty
    "empty.csv": b"",
    "only_blank_lines.csv": "\n\n  \n",
    "header_only.csv": _returns(),
    # keys and periods
    "duplicated_key.csv": _returns(*RETURNS_ROWS, "county_lines_arrests,E23000039,2022/23,81,,,"),
    "duplicated_key_fullwidth_period.csv": _returns(
        *RETURNS_ROWS, "county_lines_arrests,E23000039,\uff12\uff10\uff12\uff12/\uff12\uff13,81,,,"),
    "mixed_period_labels.csv": _returns(RETURNS_ROWS[0], RETURNS_ROWS[1], "soc_disruptions,E23000039,2022-23,964,,,"),
    "mixed_period_labels_ok.csv": _returns(
        "county_lines_arrests,E23000039, 2023/24 Q1 ,38,,,", "county_lines_arrests,E23000039,2022/23,80,,,",
        "county_lines_arrests,E23000039,2023-06,12,,,", "county_lines_arrests,E23000039,2023-01..2023-06,70,,,",
        "county_lines_arrests,E23000039,2023,140,,,"),
    # text from data that must stay text
    "html_in_note.csv": _returns(RETURNS_ROWS[0] + '"<script>alert(1)</script> | =cmd()"'),
}

SEIZURES_HEADER = ('Police force,All drugs,Cocaine,Crack,Ecstasy,Heroin,LSD,Methadone,Morphine,Other Class A,'
                   'Total Class A,All Cannabis,Amphetamines,Barbiturates,Ketamine,"Mephedrone\n(non-injection)",'
                   'Other Class B,Total Class B,Anabolic-steroids,Benzodiazepines,GHB,Temazepam,Other Class C,'
                   'Total Class C,Unknown')
SEIZURES_ROWS = [
    "Cleveland,1900,254,56,30,146,1,13,8,4,464,1063,102,0,3,0,19,1157,10,57,1,4,87,150,409",
    "Kent,3323,315,115,51,157,4,5,3,13,594,2409,96,0,6,0,0,2493,3,3,0,0,0,5,540",
    "Dorset,1988,179,109,59,175,1,2,6,14,416,1345,37,0,18,1,27,1397,7,42,0,2,26,69,342",
]


def _seizures(*rows: str, header: str = SEIZURES_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


#: name -> (text, name the file is ingested under)
SEIZURES: dict[str, str | bytes] = {
    "ok_bom.csv": "\ufeff" + _seizures(*SEIZURES_ROWS),
    "title_above_header.csv": "Seizures of drugs by police force area, 2017/18\n" + _seizures(*SEIZURES_ROWS),
    "renamed_header.csv": _seizures(*SEIZURES_ROWS, header=SEIZURES_HEADER.replace("Heroin", "Diamorphine")),
    "blank_rows_then_text.csv": _seizures(SEIZURES_ROWS[0], "", ",,,,,,,,,,,,,,,,,,,,,,,,", SEIZURES_ROWS[1],
                                          SEIZURES_ROWS[2].replace(",175,", ",n/a,")),
    "footnote_row.csv": _seizures(*SEIZURES_ROWS, "Source: Home Office"),
    "marker_template.csv": _seizures(SEIZURES_ROWS[0], SEIZURES_ROWS[1].replace(",157,", ",{marker},")),
    "thousands_separators.csv": _seizures(SEIZURES_ROWS[0].replace("1900", '"1,900"'), *SEIZURES_ROWS[1:]),
    "duplicated_force.csv": _seizures(*SEIZURES_ROWS, SEIZURES_ROWS[1]),
    "shifted_columns.csv": _seizures(*SEIZURES_ROWS[:2], SEIZURES_ROWS[2].replace(",175,1,2,6,14,416,", ",416,1,2,6,14,175,")),
    "cp1252.csv": _seizures(*SEIZURES_ROWS[:2], SEIZURES_ROWS[2].replace("Dorset", "Dorset \u2013")).encode("cp1252"),
    "empty.csv": b"",
}

POLICE_HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
                 "Crime type,Last outcome category,Context")
POLICE_ROWS = [
    'aa01,2024-01,Dorset Police,Dorset Police,-1.985138,50.785936,On or near Merley House Lane,E01015433,'
    '"Bournemouth, Christchurch and Poole 001C",Other theft,Investigation complete; no suspect identified,',
    ",2024-01,Dorset Police,Dorset Police,-2.436,50.712,On or near High West Street,E01020447,Dorset 030D,"
    "Anti-social behaviour,,",
    "aa03,2024-01,Dorset Police,Dorset Police,,,No location,,,Drugs,Local resolution,",
]


def _police(*rows: str, header: str = POLICE_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


POLICE: dict[str, str | bytes] = {
    "ok_bom.csv": "\ufeff" + _police(*POLICE_ROWS),
    "renamed_header.csv": _police(*POLICE_ROWS, header=POLICE_HEADER.replace("Crime type", "Offence")),
    "title_above_header.csv": "Dorset Police street-level crime\n" + _police(*POLICE_ROWS),
    "text_in_longitude.csv": _police(*POLICE_ROWS[:2], POLICE_ROWS[2].replace(",,,No location", ",west,50.7,x")),
    "month_mismatch.csv": _police(POLICE_ROWS[0], POLICE_ROWS[1].replace("2024-01", "2024-02"), POLICE_ROWS[2]),
    "no_crime_type.csv": _police(*POLICE_ROWS[:2], POLICE_ROWS[2].replace(",Drugs,", ",,")),
    "footnote_row.csv": _police(*POLICE_ROWS, "Data provided by police.uk"),
    "cp1252.csv": _police(POLICE_ROWS[0], POLICE_ROWS[1].replace("High West Street", "Caf\u00e9 Street"),
                          POLICE_ROWS[2]).encode("cp1252"),
    "empty.csv": b"",
}

FINGERTIPS_HEADER = ("Indicator ID,Indicator Name,Parent Code,Parent Name,Area Code,Area Name,Area Type,Sex,Age,"
                     "Category Type,Category,Time period,Value,Lower CI 95.0 limit,Upper CI 95.0 limit,Count,"
                     "Denominator,Value note")
FINGERTIPS_ROWS = [
    "93517,OCU not in treatment (%),E92000001,England,E06000058,BCP,UA,Persons,15-64 yrs,,,2018/19,52.3,26.4,65.2,"
    "1352,2585,",
    "93517,OCU not in treatment (%),E92000001,England,E06000059,Dorset,UA,Persons,15-64 yrs,,,2018/19,54.6,40.6,"
    "64.1,1439,2635,",
]


def _fingertips(*rows: str, header: str = FINGERTIPS_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


FINGERTIPS: dict[str, str | bytes] = {
    "ok_bom_title.csv": "\ufeffUnmet need for treatment\n\n" + _fingertips(*FINGERTIPS_ROWS),
    "renamed_header.csv": _fingertips(*FINGERTIPS_ROWS, header=FINGERTIPS_HEADER.replace("Area Code", "Place")),
    "text_in_value.csv": _fingertips(FINGERTIPS_ROWS[0], FINGERTIPS_ROWS[1].replace(",54.6,", ",high,")),
    "marker_template.csv": _fingertips(FINGERTIPS_ROWS[0], FINGERTIPS_ROWS[1].replace(",54.6,", ",{marker},")),
    "mixed_period_labels.csv": _fingertips(FINGERTIPS_ROWS[0], FINGERTIPS_ROWS[1].replace(",2018/19,", ",FY18,")),
    "cp1252.csv": _fingertips(*FINGERTIPS_ROWS).replace("(%)", "(\u00a3)").encode("cp1252"),
    "empty.csv": b"",
}

MOJ_HEADER = "measure,temporal_unit,date,group,rate,value"
MOJ_ROWS = ["new,3-monthly,2000-01-01,Adult,binary,30.81000486", "new,3-monthly,2000-04-01,Adult,binary,30.81774107"]
MOJ: dict[str, str | bytes] = {
    "ok_bom.csv": "\ufeff" + "\n".join([MOJ_HEADER, *MOJ_ROWS, "", ",,,,,"]) + "\n",
    "footnote_row.csv": "\n".join([MOJ_HEADER, *MOJ_ROWS, "", "Source: MoJ"]) + "\n",
    "renamed_header.csv": "\n".join([MOJ_HEADER.replace("group", "cohort"), *MOJ_ROWS]) + "\n",
    "text_in_value.csv": "\n".join([MOJ_HEADER, MOJ_ROWS[0], MOJ_ROWS[1].replace("30.81774107", "thirty")]) + "\n",
    "duplicated_key.csv": "\n".join([MOJ_HEADER, *MOJ_ROWS, MOJ_ROWS[1].replace("30.81774107", "31")]) + "\n",
    "cp1252.csv": ("\n".join([MOJ_HEADER, *MOJ_ROWS, "new,3-monthly,2000-07-01,Adult \u2013 all,binary,30"]) + "\n")
    .encode("cp1252"),
    "empty.csv": b"",
}

_AGES = ",".join(f"Age {a}" for a in range(90))
POPSERIES_HEADER = "name,code,year," + _AGES + ",Aged 90+"
_POP_ROW = "Dorset,E06000059,2020," + ",".join(["4000"] * 90) + ",5000"
POPSERIES: dict[str, str | bytes] = {
    "ok_bom.csv": "\ufeff" + POPSERIES_HEADER + "\n" + _POP_ROW + "\n",
    "text_in_count.csv": POPSERIES_HEADER + "\n" + _POP_ROW + "\n"
    + _POP_ROW.replace("2020,4000", "2021,4000").replace(",5000", ",lots") + "\n",
    "thousands_separators.csv": POPSERIES_HEADER + "\n" + _POP_ROW.replace(",5000", ',"5,000"') + "\n",
    "duplicated_key.csv": POPSERIES_HEADER + "\n" + _POP_ROW + "\n" + _POP_ROW + "\n",
    "missing_age_column.csv": POPSERIES_HEADER.replace("Age 42,", "") + "\n" + _POP_ROW.replace("4000,", "", 1) + "\n",
    "empty.csv": b"",
}

VIEWIT_ENG_HEADER = ("ReportingPeriod_Data,Area_Data,DrugGroup_Data,Gender_Data,AgeGroup_Data,"
                     "Num_InTreatment_AllInTx,Eth_White_AllInTx")
VIEWIT_ENG_ROWS = [
    "2021/22,England,TOTAL,TOTAL,TOTAL,289215,250120",
    "2021/22,England,OPIATES,TOTAL,TOTAL,140863,121000",
    "2020/21,England,Total,Total,18-29,85310,74336",
]
VIEWIT_LA_HEADER = ("ReportingPeriod,Area,sex,age_group,drug_group,intreatment_allintx,newpresentation_newtx,"
                    "exits_successfulcompletion_allintx")
VIEWIT_LA_ROWS = [
    "2021/22,Dorset,Total,Total,Total,1230,560,300",
    "2021/22,Barnet,F,18-29,Total,75,50,NULL",
    "2021/22,Barnet,M,30-49,Opiates,195,95,40",
]
ALCOHOL_HEADER = "PHE_Centre,Local_Authority,Area_Code_GSS,Alcohol_dependent,Alcohol_lower_CI,Alcohol_upper_CI,Year"
ALCOHOL_ROWS = [
    "South West,Dorset,E10000009,4102,3161,5706,2017/18",
    "London,Barnet,E09000003,3090,2373,4377,2017/18",
    "NA,Barnet,E09000003,2073,NA,NA,2012",
]


def _lines(header: str, *rows: str) -> str:
    return "\n".join([header, *rows]) + "\n"


NDTMS: dict[str, str | bytes] = {
    # England export
    "eng_ok_bom_title.csv": "\ufeffNDTMS ViewIt export\n\n" + _lines(VIEWIT_ENG_HEADER, *VIEWIT_ENG_ROWS),
    "eng_blank_rows.csv": _lines(VIEWIT_ENG_HEADER, VIEWIT_ENG_ROWS[0], "", ",,,,,,", VIEWIT_ENG_ROWS[1],
                                 "  ", VIEWIT_ENG_ROWS[2]),
    "eng_renamed_header.csv": _lines(VIEWIT_ENG_HEADER.replace("Area_Data", "Place"), *VIEWIT_ENG_ROWS),
    "eng_header_too_low.csv": "\n" * 20 + _lines(VIEWIT_ENG_HEADER, *VIEWIT_ENG_ROWS),
    "eng_footnote_row.csv": _lines(VIEWIT_ENG_HEADER, *VIEWIT_ENG_ROWS, "", "Source: OHID NDTMS"),
    "eng_marker_template.csv": _lines(VIEWIT_ENG_HEADER, VIEWIT_ENG_ROWS[0],
                                      VIEWIT_ENG_ROWS[1].replace(",140863,", ",{marker},"), VIEWIT_ENG_ROWS[2]),
    "eng_text_in_number.csv": _lines(VIEWIT_ENG_HEADER, VIEWIT_ENG_ROWS[0], VIEWIT_ENG_ROWS[1].replace("140863", "n/a")),
    "eng_thousands_separator.csv": _lines(VIEWIT_ENG_HEADER, VIEWIT_ENG_ROWS[0].replace(",289215,", ',"289,215",')),
    "eng_fraction.csv": _lines(VIEWIT_ENG_HEADER, VIEWIT_ENG_ROWS[0], VIEWIT_ENG_ROWS[1].replace("140863", "140863.5")),
    "eng_duplicated_key.csv": _lines(VIEWIT_ENG_HEADER, *VIEWIT_ENG_ROWS,
                                     VIEWIT_ENG_ROWS[1].replace("OPIATES", "Opiate").replace("140863", "140000")),
    "eng_bad_period.csv": _lines(VIEWIT_ENG_HEADER, VIEWIT_ENG_ROWS[0], VIEWIT_ENG_ROWS[2].replace("2020/21", "FY20")),
    "eng_unknown_drug_group.csv": _lines(VIEWIT_ENG_HEADER, VIEWIT_ENG_ROWS[0],
                                         VIEWIT_ENG_ROWS[1].replace("OPIATES", "Spice")),
    # local authority export
    "la_ok.csv": _lines(VIEWIT_LA_HEADER, *VIEWIT_LA_ROWS),
    "la_unknown_area.csv": _lines(VIEWIT_LA_HEADER, VIEWIT_LA_ROWS[0], VIEWIT_LA_ROWS[1].replace("Barnet", "Barnett")),
    "la_cp1252.csv": _lines(VIEWIT_LA_HEADER, VIEWIT_LA_ROWS[0],
                            VIEWIT_LA_ROWS[1].replace("Barnet", "Barnet \u2013 north")).encode("cp1252"),
    "la_text_in_second_measure.csv": _lines(VIEWIT_LA_HEADER, VIEWIT_LA_ROWS[0],
                                            VIEWIT_LA_ROWS[1].replace(",50,", ",fifty,")),
    # alcohol dependence estimates
    "alcohol_ok.csv": _lines(ALCOHOL_HEADER, *ALCOHOL_ROWS),
    "alcohol_bad_code.csv": _lines(ALCOHOL_HEADER, ALCOHOL_ROWS[0], ALCOHOL_ROWS[1].replace("E09000003", "Barnet")),
    "alcohol_duplicated_key.csv": _lines(ALCOHOL_HEADER, *ALCOHOL_ROWS, ALCOHOL_ROWS[1].replace("3090", "3100")),
    "alcohol_text_in_limit.csv": _lines(ALCOHOL_HEADER, ALCOHOL_ROWS[0].replace(",5706,", ",high,"), ALCOHOL_ROWS[1]),
    # neither
    "unknown_layout.csv": "Area,Count\nDorset,3\n",
    "empty.csv": b"",
}

DEATHS_ENG_HEADER = "sex,year,all_drug_poisoning,drug_misuse"
DEATHS_ENG_ROWS = ["Persons,2023,5053,3353", "Persons,2022,4572,2906", "Males,2022,3127,2013"]
DEATHS_REGION_HEADER = "Year of death registration,Usual residence code,Usual residence name,Substance,Deaths"
DEATHS_REGION_ROWS = [
    "2020,E12000001,North East,01 All drug poisonings,389",
    '2020,E12000001,North East,"02 Any opiate (includes unspecified opiates, excludes paracetamol compounds)",191',
    "2020,E12000009,South West,01 All drug poisonings,402",
]

ONS_PUBLISHED: dict[str, str | bytes] = {
    "eng_ok_bom_title.csv": "\ufeffDeaths related to drug poisoning, England\n\n"
    + _lines(DEATHS_ENG_HEADER.replace("sex", "Sex [note 1]"), *DEATHS_ENG_ROWS),
    "eng_blank_rows.csv": _lines(DEATHS_ENG_HEADER, DEATHS_ENG_ROWS[0], "", ",,,", *DEATHS_ENG_ROWS[1:]),
    "eng_renamed_header.csv": _lines(DEATHS_ENG_HEADER.replace("all_drug_poisoning", "poisonings"), *DEATHS_ENG_ROWS),
    "eng_renamed_both.csv": _lines("sex,year,poisonings,misuse", *DEATHS_ENG_ROWS),
    "eng_footnote_row.csv": _lines(DEATHS_ENG_HEADER, *DEATHS_ENG_ROWS, "Source: ONS bulletins"),
    "eng_marker_template.csv": _lines(DEATHS_ENG_HEADER, DEATHS_ENG_ROWS[0], DEATHS_ENG_ROWS[1].replace(",2906", ",{marker}"),
                                      DEATHS_ENG_ROWS[2]),
    "eng_text_in_number.csv": _lines(DEATHS_ENG_HEADER, DEATHS_ENG_ROWS[0], DEATHS_ENG_ROWS[1].replace("4572", "about 4500")),
    "eng_thousands_separator.csv": _lines(DEATHS_ENG_HEADER, DEATHS_ENG_ROWS[0].replace(",5053,", ',"5,053",')),
    "eng_bad_year.csv": _lines(DEATHS_ENG_HEADER, DEATHS_ENG_ROWS[0], DEATHS_ENG_ROWS[1].replace("2022", "2022/23")),
    "eng_duplicated_key.csv": _lines(DEATHS_ENG_HEADER, *DEATHS_ENG_ROWS, DEATHS_ENG_ROWS[1].replace("4572", "4573")),
    "eng_cp1252.csv": _lines(DEATHS_ENG_HEADER + ",note", *[r + "," for r in DEATHS_ENG_ROWS[:2]],
                             DEATHS_ENG_ROWS[2] + ",\u00a3 \u2013 provisional").encode("cp1252"),
    "region_ok.csv": _lines(DEATHS_REGION_HEADER, *DEATHS_REGION_ROWS),
    "region_bad_code.csv": _lines(DEATHS_REGION_HEADER, DEATHS_REGION_ROWS[0],
                                  DEATHS_REGION_ROWS[1].replace("E12000001", "NE")),
    "region_duplicated_key.csv": _lines(DEATHS_REGION_HEADER, *DEATHS_REGION_ROWS,
                                        DEATHS_REGION_ROWS[2].replace("402", "403")),
    "region_text_in_deaths.csv": _lines(DEATHS_REGION_HEADER, DEATHS_REGION_ROWS[0],
                                        DEATHS_REGION_ROWS[1].replace(",191", ",few")),
    "region_no_substance.csv": _lines(DEATHS_REGION_HEADER, DEATHS_REGION_ROWS[0],
                                      DEATHS_REGION_ROWS[2].replace("01 All drug poisonings", "01")),
    "unknown_layout.csv": "year,deaths\n2022,4572\n",
    "empty.csv": b"",
}

# --------------------------------------------------------------------------- issue #15 classes
# returns the csv module used to misread, or the audit's old lenient reader could not read
RETURNS.update({
    "unclosed_quote.csv": _returns(RETURNS_ROWS[0], 'county_lines_arrests,E23000039,2022/23,80,,,"Cost 12', *RETURNS_ROWS[2:]),
    "quote_mid_cell.csv": _returns(RETURNS_ROWS[0], 'county_lines_arrests,E23000039,2022/23,80,,,"see "box" 2"'),
    "nul_byte.csv": _returns(RETURNS_ROWS[0], "county_lines_arrests,E23000039,2022/23,8\x000,,,").encode(),
    "huge_number.csv": _returns(RETURNS_ROWS[0], "county_lines_arrests,E23000039,2022/23,1" + "0" * 400 + ",,,"),
    "huge_negative_number.csv": _returns(RETURNS_ROWS[0], "soc_disruptions,E23000039,2022/23,-9" + "9" * 330 + ",,,"),
    "ragged_short_row.csv": _returns(RETURNS_ROWS[0], "county_lines_arrests,E23000039,2022/23"),
    "many_problems.csv": _returns("county_lines_arrests,E23000039,2023/24 Q1,n/a,,,",
                                  "county_lines_arrests,E23000039,Q1 2023,38,,,",
                                  "soc_disruptions,E23000039,2022/23,259,12,,"),
    "misspelt_metric.csv": _returns(*[r.replace("county_lines_arrests", "county_line_arrests") for r in RETURNS_ROWS]),
    "unknown_area_name.csv": _returns(RETURNS_ROWS[0].replace("E23000039", "Dorset Police")),
    "control_chars_in_note.csv": _returns(RETURNS_ROWS[0] + '"\x1b[2J\x1b]0;owned\x07 cleared\r screen \u202egnp.exe"'),
    "links_and_formulas_in_note.csv": _returns(
        RETURNS_ROWS[0] + '"[click](javascript:alert(1)) <a href=\'javascript:alert(2)\'>x</a>"',
        RETURNS_ROWS[1] + '"=HYPERLINK(""http://evil.example"",""click"")"',
        RETURNS_ROWS[2] + '"@SUM(1+1)*cmd|\' /C calc\'!A0"'),
})
POLICE.update({
    # the month is in the file name: this file is ingested under its own name
    "2095-01-dorset-street.csv": _police(*[r.replace("2024-01", "2095-01") for r in POLICE_ROWS]),
})


def _reference(name: str, rows: int) -> str:
    """The header and first ``rows`` rows of a shipped reference table (rows are added at the end,
    so the corpus does not change when the catalogue grows)."""
    text = (ROOT / "data" / "reference" / name).read_text(encoding="utf-8")
    return "".join(text.splitlines(keepends=True)[: rows + 1])


def _cut(text: str) -> str:
    """``text`` with its last line cut in half: a file cut off mid-row."""
    rows = text.splitlines(keepends=True)
    return "".join(rows[:-1]) + rows[-1][: len(rows[-1]) // 2]


def _reference_cases() -> dict[str, str | bytes]:
    areas, metrics, parts = _reference("areas.csv", 40), _reference("metrics.csv", 12), _reference("partnerships.csv", 2)
    first_area = areas.splitlines()[1]
    return {
        "areas_cut_mid_row.csv": _cut(areas),
        "areas_replaced_header.csv": areas.replace(areas.splitlines()[0], "GSS code,Area name,Type", 1),
        "areas_header_is_a_row.csv": "".join(areas.splitlines(keepends=True)[1:]),
        "areas_duplicated_code.csv": areas + first_area + "\n",
        "metrics_cut_mid_row.csv": _cut(metrics),
        "metrics_unclosed_quote.csv": metrics.replace(',"', ',"unclosed ', 1).replace('",', ",", 1),
        "metrics_bad_polarity.csv": metrics.replace(",higher_is_better,", ",up,", 1),
        "metrics_empty_id.csv": metrics + ",Nameless,enforcement,count,neutral,financial,run_rate,x,y\n",
        "partnerships_unknown_member.csv": parts.replace("E06000059", "E06999999", 1),
        "partnerships_replaced_header.csv": parts.replace("member_area_code", "members", 1),
        "partnerships_cp1252.csv": parts.replace("Dorset and BCP", "Dorset \u2013 BCP").encode("cp1252"),
    }


#: files the command line is given where it expects a notebook or a store (stored as ``*.bad`` so that
#: nbval, ruff and .gitignore leave them alone; the tests drop the ``.bad``)
CLI: dict[str, str | bytes] = {
    "not_a_notebook.ipynb.bad": '{"cells": "none"}\n',
    "not_json.ipynb.bad": "print('a script, not a notebook')\n",
    "binary.ipynb.bad": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "not_a_store.duckdb.bad": "metric_id,area_code\n",
    "empty_store.duckdb.bad": b"",
}

CORPUS = {"returns": RETURNS, "ho_seizures": SEIZURES, "police_uk": POLICE, "fingertips": FINGERTIPS,
          "moj_reoffending": MOJ, "ons_population_series": POPSERIES, "ndtms": NDTMS,
          "ons_published_csvs": ONS_PUBLISHED, "reference": _reference_cases(), "cli": CLI}

#: the classes of hostile input (issue #15 and before), each with the corpus files that exercise it
#: and what must happen; README.md is written from this table
CLASSES: list[tuple[str, str, list[str]]] = [
    ("empty", "empty files, blank lines only, a header and no rows (no audit says 'all agree')",
     ["*empty.*", "*empty_store*", "*only_blank_lines*", "*header_only*"]),
    ("header", "a title, blank line or merged cells above the header; renamed, misspelt, duplicated, "
     "missing or extra columns; an unknown layout", ["*title_above_header*", "*renamed_*", "*header*",
                                                     "*blank_line_above_header*", "*trailing_empty_columns*",
                                                     "*missing_*_column*", "*unknown_layout*"]),
    ("structure", "ragged rows, an unclosed quote, a quote mid-cell, a file cut mid-row, a NUL byte, "
     "shifted columns", ["*ragged_*", "*unclosed_quote*", "*quote_mid_cell*", "*nul_byte*", "*_cut_mid_row*",
                         "*shifted_columns*"]),
    ("rows", "blank rows, footnotes and source lines among the data", ["*blank_rows*", "*footnote*"]),
    ("numbers", "text, markers, fractions, bad separators or numbers too large for a float where a number "
     "belongs (thousands separators are accepted)", ["*text_in_*", "*marker_template*", "*bad_separator*",
                                                      "*huge_*number*", "*fraction*", "*thousands_separator*"]),
    ("keys and references", "duplicated keys; unknown or misspelt metric ids, areas, codes, drug groups and "
     "members; values not allowed", ["*duplicated_*", "*misspelt_*", "*unknown_*", "*bad_code*",
                                     "*bad_polarity*", "*empty_id*", "*no_substance*", "*no_crime_type*"]),
    ("periods", "mixed, full-width, bad or future period labels and months; a Month that contradicts the "
     "file name", ["*mixed_period_labels*", "*fullwidth_period*", "*bad_period*", "*bad_year*",
                   "police_uk/2095-01-*", "*month_mismatch*"]),
    ("encoding", "Windows-1252 instead of UTF-8; a byte-order mark (accepted)", ["*cp1252*", "*bom*"]),
    ("many problems", "several problems in one file: every one reported at once", ["*many_problems*"]),
    ("terminal", "control characters and escape sequences in a cell: never printed raw", ["*control_chars*"]),
    ("outputs", "links, HTML, scripts and spreadsheet formulas in text: never live in a report",
     ["*html_in_*", "*links_and_formulas*"]),
    ("command line", "a notebook or store that is not one", ["cli/*"]),
    ("accepted", "layouts that must parse: the reference for the cases above", ["*_ok.csv", "*/ok.csv"]),
]


def write_corpus(dest: Path = HERE) -> list[Path]:
    """Write every committed CSV of the corpus under ``dest/<loader>/``."""
    out = []
    for folder, files in CORPUS.items():
        (dest / folder).mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            path = dest / folder / name
            path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
            out.append(path)
    return out


# --------------------------------------------------------------------------- big files
def big_returns(path: Path, n: int = 200_000, bad_line: int | None = None) -> Path:
    """A returns file of ``n`` unique rows (metrics x areas x months); optionally ``n/a`` on ``bad_line``."""
    from cdp_analysis.areas import areas
    from cdp_analysis.metrics import metric_ids

    mids = sorted(metric_ids())[:30]
    codes = sorted(c for c in areas()["code"] if c.startswith("E0"))[:30]
    months = [f"{y}-{m:02d}" for y in range(1990, 2024) for m in range(1, 13)]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["metric_id", "area_code", "period", "value", "note"])
    line = 1
    for month in months:
        for mid in mids:
            for code in codes:
                line += 1
                w.writerow([mid, code, month, "n/a" if line == bad_line else f"{line % 997:,}",
                            "a note, quoted"])
                if line > n:
                    path.write_text(buf.getvalue(), encoding="utf-8")
                    return path
    raise ValueError("not enough combinations")


def big_police(path: Path, n: int = 200_000, bad_line: int | None = None) -> Path:
    """A police.uk file of ``n`` records for 2024-01; optionally a text Longitude on ``bad_line``."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(POLICE_HEADER + "\n")
        for line in range(2, n + 2):
            row = POLICE_ROWS[line % len(POLICE_ROWS)]
            if line == bad_line:
                row = row.replace("-1.985138", "west").replace("-2.436", "west")
            fh.write(row + "\n")
    return path


# --------------------------------------------------------------------------- workbooks
def workbook_case(src: Path, dst: Path, mutate) -> Path:
    """Copy workbook ``src`` to ``dst`` through openpyxl, calling ``mutate(workbook)`` on the way."""
    import openpyxl

    wb = openpyxl.load_workbook(src)
    mutate(wb)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return dst


def find_cell(ws, predicate, max_row: int = 40):
    """The first cell in the top ``max_row`` rows of ``ws`` whose value satisfies ``predicate``."""
    for row in ws.iter_rows(min_row=1, max_row=max_row):
        for cell in row:
            if cell.value is not None and predicate(cell.value):
                return cell
    raise LookupError(f"no such cell in {ws.title}")


def slim_workbook(src: Path, dst: Path, keep) -> Path:
    """Write a small ``.xlsx`` of the cell values of ``src`` (``.xls`` or ``.xlsx``, read with calamine).

    ``keep(sheet_name, row_number, values)`` says which rows to copy (``None`` drops the whole
    sheet); kept rows are written one under another, so a row's number may change. Values are
    copied as read: numbers stay numbers and text stays text (the ``.xls`` editions of the
    ONS population estimates hold many counts as text, e.g. ``'67081234'``).
    """
    import openpyxl

    from cdp_analysis.data.sources._excel import Workbook

    out = openpyxl.Workbook()
    out.remove(out.active)
    with Workbook(src) as book:
        for name in book.sheet_names:
            rows = book.sheet(name).values
            kept = [r for r, vals in rows.iterrows() if keep(name, int(r), vals.tolist())]
            if keep(name, 0, []) is None:
                continue
            ws = out.create_sheet(name)
            for r in kept:
                ws.append([None if v == "" else v for v in rows.loc[r].tolist()])
    dst.parent.mkdir(parents=True, exist_ok=True)
    out.save(dst)
    return dst


def corpus_files(root: Path = HERE) -> list[Path]:
    """Every committed file of the corpus (not the generator or its README)."""
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix != ".py" and p.name != "README.md"
                  and "__pycache__" not in p.parts)


def class_of(rel: str) -> str:
    """The class of a corpus file (its first matching pattern in :data:`CLASSES`), or 'other'."""
    from fnmatch import fnmatch

    for name, _, patterns in CLASSES:
        if any(fnmatch(rel, pattern) for pattern in patterns):
            return name
    return "other"


def readme(root: Path = HERE) -> str:
    """README.md of the corpus: how it is made and used, and the table of classes."""
    files = [p.relative_to(root).as_posix() for p in corpus_files(root)]
    counts: dict[str, int] = {}
    for rel in files:
        counts[class_of(rel)] = counts.get(class_of(rel), 0) + 1
    lines = [
        "# The hostile-input corpus",
        "",
        "Files that real people and real publishers produce by mistake, one mistake each, in a folder",
        "per loader. **Generated**: edit `make_bad.py` and run `python tests/data/bad/make_bad.py`, which",
        "rewrites every file and this README (a test checks they match). Workbooks and 200,000-row files",
        "are made at test time by the same module.",
        "",
        "Every file is either parsed correctly or refused with one `CdpInputError` naming the file, row",
        "and column (`tests/test_hostile_inputs*.py`); ingesting it leaves the store file byte-identical;",
        "and the command line given it never prints a traceback and never exits 3, a fault of ours",
        "(`tests/test_hostile_cli.py`).",
        "",
        "To add a class: add its files to a dict of `make_bad.py` (or a new folder in `CORPUS`), a row to",
        "`CLASSES`, and its expected outcome to the tests if the whole-corpus test is not enough.",
        "",
        f"{len(files)} files in {len(CLASSES)} classes:",
        "",
        "| class | what | files | patterns |",
        "|---|---|---|---|",
    ]
    for name, what, patterns in CLASSES:
        lines.append(f"| {name} | {what} | {counts.get(name, 0)} | " + ", ".join(f"`{p}`" for p in patterns) + " |")
    if counts.get("other"):
        lines.append(f"| other | parsed correctly (layout variants) | {counts['other']} | |")
    return "\n".join(lines) + "\n"


def write_readme(root: Path = HERE) -> Path:
    path = root / "README.md"
    path.write_text(readme(root), encoding="utf-8")
    return path


if __name__ == "__main__":
    for p in write_corpus():
        print(p.relative_to(ROOT))
    print(write_readme().relative_to(ROOT))
