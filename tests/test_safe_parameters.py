"""Safe parameters and paths: hostile values are refused before any kernel starts, or stay inert.

* area ids and periods that would become paths are validated by :func:`pipeline.plan`
  (``CdpParameterError``, nothing started, nothing written);
* a parameter the notebook takes as free text (``db``) reaches the kernel as a literal, even
  holding quotes, a newline and code: the progress report runs on a store at such a path and
  the code never runs;
* text from data (a metric name with ``<script>``) is escaped in the HTML;
* YAML and JSON are read with safe loaders only.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests_support import data_folder

from cdp_analysis import pipeline
from cdp_analysis.errors import CdpParameterError

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"

HOSTILE_AREAS = [
    "../x", "/etc", "a/b", "..", ".", "", "E06000058/../../x", "..\\x", "pan-dorset\n", "pan-dorset/",
    "\uff25\uff10\uff16\uff10\uff10\uff10\uff10\uff15\uff18",  # fullwidth E06000058
    "pan\u2010dorset",  # a Unicode hyphen
    "pan-dorset\u202e", "E06000058\x00", "x'; import os; os.system('touch PWNED') #",
    '"; import os; os.system("touch PWNED") #',
]
HOSTILE_PERIODS = [
    "../2023", "/etc", "2023/24 Q1/../..", "2023/24 Q1'; import os #", "..", "2023/../../x",
    "2023/24 Q1\x00",
]


@pytest.mark.parametrize("area", HOSTILE_AREAS, ids=[repr(a) for a in HOSTILE_AREAS])
def test_hostile_area_refused_before_any_run(tmp_path, area):
    out = tmp_path / "reports"
    with pytest.raises(CdpParameterError):
        pipeline.plan(["2023/24 Q1"], [area], notebooks=["progress_report"], out=out)
    assert not out.exists() or not any(out.rglob("*"))
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("period", HOSTILE_PERIODS, ids=[repr(p) for p in HOSTILE_PERIODS])
def test_hostile_period_refused_before_any_run(tmp_path, period):
    with pytest.raises(CdpParameterError):
        pipeline.plan([period], ["pan-dorset"], notebooks=["progress_report"], out=tmp_path / "reports")


def test_safe_component_accepts_ids_and_refuses_paths():
    assert pipeline.safe_component("pan-dorset") == "pan-dorset"
    assert pipeline.safe_component("E06000058") == "E06000058"
    for bad in ("..", "a/b", "/etc", "a\nb", "-rf", "\uff25\uff10"):
        with pytest.raises(CdpParameterError):
            pipeline.safe_component(bad)


def test_every_planned_folder_stays_under_reports(tmp_path):
    out = tmp_path / "reports"
    runs = pipeline.plan(["2023/24 Q1", "2022/23", "2023-01..2023-06", "\uff12\uff10\uff12\uff13",
                          " 2023\n"],
                         ["pan-dorset", "E06000058"], notebooks=["progress_report"], out=out)
    assert len(runs) == 10
    assert {r.period for r in runs} == {"2023/24 Q1", "2022/23", "2023-01..2023-06", "2023"}
    for run in runs:
        folder = Path(run.out_dir).resolve()
        assert folder.is_relative_to(out.resolve()) and folder != out.resolve()
        assert ".." not in Path(run.out_dir).parts
        assert re.fullmatch(r"[A-Za-z0-9_.-]+", Path(run.out_dir).parent.name), run.out_dir


def test_unknown_parameter_refused(tmp_path):
    with pytest.raises(CdpParameterError, match="unknown parameter"):
        pipeline.plan(["2023/24 Q1"], ["pan-dorset"], notebooks=["progress_report"], out=tmp_path,
                      extra={"__import__('os').system('touch PWNED')": 1})
    with pytest.raises(CdpParameterError, match="must be str"):
        pipeline.plan(["2023/24 Q1"], ["pan-dorset"], notebooks=["progress_report"], out=tmp_path,
                      extra={"db": ["not", "a", "string"]})


# --------------------------------------------------------------------------- a real run
INJECTION = "st\"ore'; import os; os.system('touch PWNED') #\nimport os; os.system(\"touch PWNED2\")"
SCRIPT_NAME = "County lines <script>alert('xss')</script> arrests | <img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """The progress report run on a store whose path holds quotes, a newline and code, and whose
    metric catalogue names a metric with HTML."""
    from cdp_analysis.data.store import ingest

    root = tmp_path_factory.mktemp("hostile")
    data = data_folder(root, returns=True)
    metrics = data / "reference" / "metrics.csv"
    text = metrics.read_text(encoding="utf-8")
    assert "county_lines_arrests,County lines arrests," in text
    metrics.write_text(text.replace("county_lines_arrests,County lines arrests,",
                                    f'county_lines_arrests,"{SCRIPT_NAME}",', 1), encoding="utf-8")
    store_dir = root / INJECTION
    store_dir.mkdir()
    db = store_dir / "cdp.duckdb"
    ingest(data, db)
    out = root / "reports"
    runs = pipeline.plan(["2023/24 Q1"], ["pan-dorset"], notebooks=["progress_report"], out=out, db=db)
    assert runs[0].parameters["db"] == str(db.resolve())
    result = pipeline.run_one(runs[0], kernel_name=pipeline.ensure_kernel(), render=True)
    return root, Path(runs[0].out_dir), result


def test_hostile_db_path_is_an_inert_literal(hostile_run):
    import nbformat

    root, folder, result = hostile_run
    assert result["status"] == "ok", result
    for name in ("PWNED", "PWNED2"):
        assert not list(root.rglob(name)), f"injected code ran: {name} exists"
        assert not (Path.cwd() / name).exists()
    nb = nbformat.read(folder / "notebooks" / "progress_report.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    src = injected[0].source
    ns: dict[str, object] = {}
    exec(compile(src, "<parameters>", "exec"), {}, ns)  # the cell is assignments of literals only
    assert ns["db"].endswith(INJECTION + "/cdp.duckdb")
    assert ns["area"] == "pan-dorset" and ns["period"] == "2023/24 Q1"
    assert "os.system" not in "".join(line for line in src.splitlines() if not line.lstrip().startswith("db ="))


def test_text_from_data_is_escaped_in_the_html(hostile_run):
    _, folder, _ = hostile_run
    html = (folder / "progress_report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(" in html
    assert "alert('xss')</script>" not in html and "alert(&#x27;xss&#x27;)</script>" not in html
    assert "<img src=x" not in html and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    for script in re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S | re.I):
        assert "xss" not in script and "alert(" not in script


# --------------------------------------------------------------------------- safe loaders
def test_yaml_and_json_are_read_with_safe_loaders():
    sources = [p for p in (ROOT / "cdp_analysis").rglob("*.py")] + list((ROOT / "notebooks").glob("*.py"))
    unsafe = re.compile(r"yaml\.(?:load|unsafe_load|full_load|load_all)\s*\(|yaml\.Loader|pickle\.loads?\s*\("
                        r"|\beval\s*\(|(?<![\w.])exec\s*\(|marshal\.loads|jsonpickle|shell\s*=\s*True")
    hits = [f"{p.relative_to(ROOT)}:{i}: {line.strip()}"
            for p in sources for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if unsafe.search(line) and not line.lstrip().startswith("#")]
    assert hits == []
    yaml_reads = [f"{p.relative_to(ROOT)}" for p in sources if "yaml." in p.read_text(encoding="utf-8")]
    for p in yaml_reads:
        text = (ROOT / p).read_text(encoding="utf-8")
        assert re.findall(r"yaml\.(\w+)\(", text) and set(re.findall(r"yaml\.(\w+)\(", text)) <= {
            "safe_load", "safe_dump", "dump"}, p
