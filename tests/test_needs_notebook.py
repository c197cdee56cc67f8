"""The needs-assessment notebook run by papermill, at its defaults and for another area.

pan-Dorset reads the shared results written by ``compute_shared`` (as the batch runner
does); Birmingham has no shared file and computes its own. Assertions are on the outputs:
the statements a reader sees, the figure and table files, and the sections without data.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from tests_support import DATA

from cdp_analysis.needs import shared

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "needs_assessment.ipynb"
TWIN = NOTEBOOK.with_suffix(".py")


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    from cdp_analysis.data.store import ingest

    root = tmp_path_factory.mktemp("needs_nb_store")
    data = root / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("*.duckdb", "*.duckdb.wal", "__pycache__"))
    ingest(data, root / "cdp.duckdb")
    return root / "cdp.duckdb"


def _run(folder: Path, **params) -> tuple[dict, str]:
    import papermill as pm

    from cdp_analysis.pipeline import ensure_kernel, set_single_thread_blas

    set_single_thread_blas()
    ensure_kernel()
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "needs_assessment.ipynb"
    # isolate the default reports folder: a shared file left by `make report` must not be found
    # and save figures and tables into the run folder, as `cdp run` does (CDP_OUTPUT_DIR)
    old = {k: os.environ.get(k) for k in ("CDP_REPORTS_DIR", "CDP_OUTPUT_DIR")}
    os.environ["CDP_REPORTS_DIR"] = str(folder / "reports")
    os.environ["CDP_OUTPUT_DIR"] = str(folder)
    try:
        pm.execute_notebook(str(NOTEBOOK), str(out), parameters=params, kernel_name="cdp-analysis",
                            language="python", cwd=str(folder), progress_bar=False)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    nb = json.loads(out.read_text(encoding="utf-8"))
    texts = []
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            assert o.get("output_type") != "error", o
            data = o.get("data", {})
            t = data.get("text/markdown") or data.get("text/plain") or o.get("text", "")
            texts.append(t if isinstance(t, str) else "".join(t))
    return nb, "\n".join(texts)


@pytest.fixture(scope="module")
def pan_dorset(db, tmp_path_factory):
    root = tmp_path_factory.mktemp("needs_nb_pan")
    path = shared.compute_shared("2023/24 Q1", db=db, out=root / "reports", areas=["pan-dorset"],
                                 measures=("misuse",))
    folder = root / "run"
    nb, text = _run(folder, db=str(db), shared=str(path))
    return folder, nb, text


@pytest.fixture(scope="module")
def birmingham(db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("needs_nb_bham") / "run"
    nb, text = _run(folder, area="E08000025", db=str(db))
    return folder, nb, text


def test_template_committed_without_outputs_and_paired():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "cdp-analysis"
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
    params = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1
    src = "".join(params[0]["source"])
    for line in ('area: str = "pan-dorset"', 'period: str = "2023/24 Q1"', 'db: str = ""', 'shared: str = ""',
                 "include_forecast: bool = True"):
        assert line in src
    assert src in TWIN.read_text(encoding="utf-8")


def test_pan_dorset_defaults(pan_dorset):
    folder, nb, text = pan_dorset
    assert nb["metadata"]["papermill"]["parameters"].get("area", "pan-dorset") == "pan-dorset"
    assert "Dorset and BCP Combating Drugs Partnership, 2023/24 Q1" in text
    assert "computed once for all areas" in text  # read the shared file
    assert "year of registration, not year of occurrence" in text
    assert "47 drug misuse deaths registered in 2021 against 48 in 2020: not a statistically significant change" in text
    assert "cannot be made from the members' published age-standardised rates" in text
    assert "Forecast [f]" in text and "backtest" in text
    assert "Continuity of care" in text
    # the national reoffending cohort is tested against a year earlier, and its age is stated
    assert "in 2013-01..2013-03: a statistically significant fall (difference -0.8 percentage points" in text
    assert "it ended 9 years before the end of 2023/24 Q1" in text
    # the summary's crime findings carry their test and say the months postdate the period
    assert ("police.uk neighbourhood crimes: 5,432 recorded in 2025 (records, not official statistics; later than "
            "the reporting period") in text
    assert "1,744 records in January to April 2025 against 2,398 in January to April 2024: a statistically " \
           "significant fall" in text
    # Home Office seizures of the force, national drug use and alcohol dependence on today's boundaries
    assert "Home Office drug seizures, Dorset police force area: 2,097 seizures in 2018/19 against 1,988" in text
    assert "Recent trend (2014/15 to 2018/19, Fingertips' test over five points at 99.8%): no statistically " \
           "significant trend" in text
    assert "9.2% of adults aged 16 to 59 said they had used any drug in the last year" in text
    assert "An estimated 7,396 adults in Dorset and BCP Combating Drugs Partnership were dependent on alcohol" in text
    assert ("Estimated opiate and/or crack cocaine users not in treatment, 2020/21: no figure for Dorset and BCP "
            "Combating Drugs Partnership in the store; England 52.1%") in text
    for stem in ("deaths_misuse_annual", "deaths_misuse_asmr", "deaths_misuse_funnel", "population_age",
                 "seizures_annual"):
        assert (folder / "figures" / f"{stem}.svg").is_file()
    for stem in ("treatment_targets", "seizures_annual", "prevalence_csew"):
        assert (folder / "tables" / f"{stem}.csv").is_file()
    # harm and school exclusions (new sections): hand-checked in tests/test_needs_exclusions_harm.py
    assert "**Admissions for drug-related mental and behavioural disorders, 2018/19**: 90, the sum of Bournemouth, " \
           "Poole and Dorset County" in text
    assert "**Suspensions for drug and alcohol, 2016/17**: 158 among 98,093 pupils" in text
    assert "214 in 2015/16 (22.0 per 10,000 pupils): a statistically significant fall (rate ratio 0.73" in text
    for stem in ("harm_admissions", "school_suspensions_drug_alcohol"):
        assert (folder / "figures" / f"{stem}.svg").is_file() and (folder / "tables" / f"{stem}.csv").is_file()


def test_birmingham_computes_its_own_and_says_what_is_missing(birmingham):
    folder, nb, text = birmingham
    assert "Birmingham, 2023/24 Q1" in text
    assert "computed for this area alone" in text
    assert "Drug misuse deaths in Birmingham are higher than England" in text or \
        (folder / "figures" / "deaths_misuse_asmr.svg").is_file()
    assert "higher than West Midlands (statistically significant)" in text
    # the funnel allows for over-dispersion (phi ~ 10): Birmingham (7.9 against 5.3 per 100,000) lies within the
    # ordinary spread between areas, though outside the unadjusted Poisson limits it would be "significantly high"
    assert "the limits shown allow for that spread" in text
    assert "Birmingham: within the limits (no significant difference from the average)" in text
    assert "Forecast [f], England and Wales" in text and "pooled small-area trend model" in text
    # sections without data say so
    assert "No data for this section are in the store for Birmingham (police.uk" in text
    assert "No data for this section are in the store for Birmingham (treatment targets" in text
    assert "no local reoffending figures for Birmingham" in text
    assert "West Midlands police force area" in text and "the police force area is larger than Birmingham" in text
    assert "An estimated 12,667 adults in Birmingham were dependent on alcohol in 2017/18 (95% interval 10,049 to " \
           "16,871)" in text
    assert "**Suspensions for drug and alcohol, 2016/17**: 178 among 198,136 pupils" in text
    assert "**Admissions for drug-related mental and behavioural disorders, 2018/19**: 150:" in text
