"""``cdp fetch`` end to end against a real HTTP server on 127.0.0.1.

The server (``http.server`` in a thread) serves the shipped publisher files at the
publishers' URL paths: Fingertips' bulk CSV (``/api/all_data/csv/by_indicator_id``) from the
shipped exports of indicators 93517 and 93532, police.uk's monthly archives
(``/data/archive/2025-MM.zip``, zips of the shipped 2025 Dorset street files to that month under
their archive paths) and the ONS workbook (``/file?uri=.../2021/2021localauthorities.xlsx``). Each test
sets how the server misbehaves: HTTP 500, a stall past the client's timeout, a connection
dropped half-way, a renamed column. No request leaves 127.0.0.1.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import threading
import time
import urllib.parse
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tests_support import data_folder

from cdp_analysis.data import fetch
from cdp_analysis.data.store import Store, ingest, sha256_file
from cdp_analysis.errors import CdpFetchError, CdpInputError

ROOT = Path(__file__).resolve().parents[2]
RAW = ROOT / "data" / "raw"
FINGERTIPS = {93517: RAW / "fingertips" / "unmet_opiates.csv", 93532: RAW / "fingertips" / "unmet_alcohol.csv"}
POLICE = sorted((RAW / "police" / "police_uk_street_dorset_2025").glob("2025-0[1-3]-dorset-street.csv"))
ONS = RAW / "ons_drug_deaths" / "original" / "2021localauthorities.xlsx"
#: Fingertips' list of area types, written here (three of its real entries' shape: Id, Name, Short)
AREA_TYPES = [{"Id": 102, "Name": "Counties and Unitary Authorities (pre 4/19)", "Short": "County & UA (pre 4/19)"},
              {"Id": 402, "Name": "Upper tier local authorities (4/21-3/23)", "Short": "Upper tier LA (4/21-3/23)"},
              {"Id": 502, "Name": "Upper tier local authorities (post 4/23)", "Short": "Upper tier LA (post 4/23)"}]


def fingertips_body(ids: list[int]) -> bytes:
    """The shipped exports of the indicators asked for, one header (what the bulk CSV gives)."""
    rows: list[list[str]] = []
    for i in ids:
        with open(FINGERTIPS[i], newline="", encoding="utf-8-sig") as fh:
            recs = list(csv.reader(fh))
        rows += recs if not rows else recs[1:]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def police_archive(month: str) -> bytes:
    """police.uk's archive of ``month``: the shipped files of that month and before, under ``YYYY-MM/``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in POLICE:
            if p.name[:7] <= month:
                zf.write(p, f"{p.name[:7]}/{p.name}")
    return buf.getvalue()


class Server:
    """A real HTTP server on 127.0.0.1 with switchable misbehaviour (``mode``) and a request log."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.requests: list[tuple[str, str | None]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                outer.requests.append((self.path, self.headers.get("Range")))
                body = outer.body(self.path)
                if body is None:
                    self.send_error(404)
                    return
                mode = outer.mode
                if mode == "500":
                    self.send_error(500)
                    return
                if mode == "slow":
                    time.sleep(1.5)
                if mode == "changed-header":
                    body = body.replace(b"Area Code", b"Area GSS", 1) if b"Area Code" in body else body
                start = 0
                rng = self.headers.get("Range")
                if rng and mode != "no-ranges":
                    start = int(rng.split("=")[1].split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                part = body[start:]
                if mode == "interrupt" or (mode == "interrupt-once" and sum(1 for _ in outer.requests) == 1):
                    self.wfile.write(part[: len(part) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(part)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def body(self, path: str) -> bytes | None:
        url = urllib.parse.urlsplit(path)
        q = urllib.parse.parse_qs(url.query)
        if url.path == "/api/all_data/csv/by_indicator_id":
            ids = [int(i) for i in q["indicator_ids"][0].split(",")]
            return fingertips_body(ids) if all(i in FINGERTIPS for i in ids) else None
        if url.path == "/api/area_types":
            return json.dumps(AREA_TYPES).encode()
        if m := re.fullmatch(r"/data/archive/(2025-\d\d)\.zip", url.path):
            return police_archive(m[1])
        if url.path == "/file" and q.get("uri", [""])[0].endswith("/2021/2021localauthorities.xlsx"):
            return ONS.read_bytes()
        return None

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[Path, Path]:
    """A data folder with the reference tables, the returns and one shipped Fingertips file, ingested."""
    root = tmp_path_factory.mktemp("fetchbase")
    data = data_folder(root, returns=True)
    (data / "raw" / "fingertips").mkdir(parents=True)
    shutil.copy2(RAW / "fingertips" / "indicator-93495-all-areas.csv", data / "raw" / "fingertips")
    shutil.copy2(RAW / "MANIFEST.csv", data / "raw" / "MANIFEST.csv")
    shutil.copy2(RAW / "PROVENANCE.md", data / "raw" / "PROVENANCE.md")
    db = root / "cdp.duckdb"
    ingest(data, db)
    return data, db


@pytest.fixture
def copy(base, tmp_path) -> tuple[Path, Path]:
    data, db = base
    shutil.copytree(data, tmp_path / "data")
    shutil.copy2(db, tmp_path / "cdp.duckdb")
    return tmp_path / "data", tmp_path / "cdp.duckdb"


def snapshot(data: Path) -> dict[str, str]:
    """Every file under data/raw with its SHA-256 (hidden files included)."""
    return {p.relative_to(data).as_posix(): sha256_file(p) for p in sorted((data / "raw").rglob("*")) if p.is_file()}


def quick(**kw) -> fetch.Fetcher:
    return fetch.Fetcher(timeout=kw.get("timeout", 5.0), retries=kw.get("retries", 2), backoff=0.01, progress=False)


def treatment_text(db: Path, area: str) -> str:
    from cdp_analysis.needs import load_context
    from cdp_analysis.report import needs_sections

    ctx = load_context(area, "2023/24 Q1", db=str(db), include_forecast=False)
    return "\n".join(getattr(i, "text", "") for i in needs_sections.treatment_section(ctx))


# --------------------------------------------------------------------------- end to end
def test_fingertips_fetch_ingest_then_the_appendix_shows_the_figures(server, copy):
    data, db = copy
    before = treatment_text(db, "E06000001")
    assert "no figure for Hartlepool" in before or "Unmet need" not in before
    result = fetch.fetch_fingertips([93517, 93532], "Upper tier local authorities (post 4/23)", data=data,
                                    base_url=server.url, fetcher=quick())
    (f,) = result.files
    assert f.rel == "raw/fingertips/fingertips_93517_93532_at502.csv"
    assert f.sha256 == hashlib.sha256(fingertips_body([93517, 93532])).hexdigest()
    assert f.url == f"{server.url}/api/all_data/csv/by_indicator_id?indicator_ids=93517%2C93532&" \
                    "child_area_type_id=502&parent_area_type_id=15"
    # one request at a time, in order: the area types, then the data
    assert [urllib.parse.urlsplit(p).path for p, _ in server.requests] == \
        ["/api/area_types", "/api/all_data/csv/by_indicator_id"]
    manifest = {r["path"]: r for r in csv.DictReader(open(data / "raw" / "MANIFEST.csv", newline=""))}
    row = manifest["fingertips/fingertips_93517_93532_at502.csv"]
    assert (row["sha256"], row["url"], row["fetched"]) == (f.sha256, f.url, f.fetched)
    assert int(row["data_rows_excl_header"]) == 13 + 17
    assert f.url in (data / "raw" / "PROVENANCE.md").read_text()
    ingest(data, db)
    after = treatment_text(db, "E06000001")
    # Hartlepool's latest figures, read from the shipped export with the csv module
    with open(FINGERTIPS[93517], newline="", encoding="utf-8-sig") as fh:
        recs = [r for r in csv.DictReader(fh) if r["Area Code"] == "E06000001"]
    latest = max(recs, key=lambda r: r["Time period"])
    assert f"{float(latest['Value']):.1f}%" in after
    assert "no figure for Hartlepool" not in after.split("dependent drinkers")[0]


def test_police_uk_months_of_a_force_ingest(server, copy):
    data, db = copy
    result = fetch.fetch_police_uk("dorset", "2025-01", "2025-03", data=data, base_url=server.url, fetcher=quick())
    assert [f.rel for f in result.files] == [
        f"raw/police/police_uk_street_dorset_2025-01_2025-03/2025-0{m}-dorset-street.csv" for m in (1, 2, 3)]
    for f, src in zip(result.files, POLICE, strict=True):
        assert f.sha256 == sha256_file(src)
    assert not (data / ".fetch" / "police_uk_2025-12.zip").exists()
    ingest(data, db)
    with Store(db, read_only=True) as s:
        n = s.sql("SELECT count(*) AS n FROM police_crimes").iloc[0]["n"]
    assert n == sum(sum(1 for _ in csv.reader(open(p, newline=""))) - 1 for p in POLICE)


def test_ons_workbook_of_an_edition(server, copy):
    data, _ = copy
    result = fetch.fetch_ons_deaths("2021", data=data, base_url=server.url, fetcher=quick())
    (f,) = result.files
    assert f.rel == "raw/ons_drug_deaths/original/2021localauthorities.xlsx" and f.sha256 == sha256_file(ONS)


def test_cli_fetch(server, copy, capsys):
    from cdp_analysis.cli import main

    data, _ = copy
    status = main(["fetch", "--data-dir", str(data), "--base-url", server.url, "--quiet", "--retries", "0",
                   "fingertips", "--indicator", "93517", "--area-type", "102"])
    assert status == 0, capsys.readouterr().err
    assert (data / "raw" / "fingertips" / "fingertips_93517_at102.csv").exists()
    server.mode = "500"
    status = main(["fetch", "--data-dir", str(data), "--base-url", server.url, "--quiet", "--retries", "0",
                   "fingertips", "--indicator", "93532", "--area-type", "102"])
    err = capsys.readouterr().err
    assert status == 2 and "HTTP 500" in err and "Traceback" not in err


# --------------------------------------------------------------------------- failures
def _refused(copy, server, exc_type, **fetch_kw) -> Exception:
    data, db = copy
    raw = snapshot(data)
    with Store(db, read_only=True) as s:
        digest = s.content_digest()
    with pytest.raises(exc_type) as err:
        fetch.fetch_fingertips([93517], 102, data=data, base_url=server.url, fetcher=quick(**fetch_kw))
    assert snapshot(data) == raw, "a failed fetch changed data/raw/"
    ingest(data, db)
    with Store(db, read_only=True) as s:
        assert s.content_digest() == digest
    assert "Traceback" not in str(err.value)
    return err.value


def test_http_500_is_named_and_changes_nothing(server, copy):
    server.mode = "500"
    err = _refused(copy, server, CdpFetchError)
    assert "HTTP 500" in str(err) and err.url.startswith(server.url)
    assert len(server.requests) == 3  # the first try and two retries, one after the other


def test_timeout_is_named_and_changes_nothing(server, copy):
    server.mode = "slow"
    err = _refused(copy, server, CdpFetchError, timeout=0.3, retries=1)
    assert "within 0.3 s" in str(err) or "stalled" in str(err)


def test_interrupted_download_is_named_changes_nothing_and_resumes(server, copy):
    server.mode = "interrupt"
    err = _refused(copy, server, CdpFetchError, retries=0)
    assert "interrupted after" in str(err)
    data, _ = copy
    kept = list((data / ".fetch").glob("*.part"))
    assert len(kept) == 1  # outside raw/, for the next attempt
    size = kept[0].stat().st_size
    assert 0 < size < len(fingertips_body([93517]))
    server.mode = "ok"
    server.requests.clear()
    result = fetch.fetch_fingertips([93517], 102, data=data, base_url=server.url, fetcher=quick())
    assert server.requests[0][1] == f"bytes={size}-"  # continued where it stopped
    assert not kept[0].exists()
    assert result.files[0].sha256 == hashlib.sha256(fingertips_body([93517])).hexdigest()


def test_interrupted_once_then_resumed_within_the_retries(server, copy):
    server.mode = "interrupt-once"
    data, _ = copy
    result = fetch.fetch_fingertips([93517], 102, data=data, base_url=server.url, fetcher=quick())
    assert [r for _, r in server.requests][0] is None and server.requests[1][1].startswith("bytes=")
    assert result.files[0].sha256 == hashlib.sha256(fingertips_body([93517])).hexdigest()


def test_changed_header_is_named_and_changes_nothing(server, copy):
    server.mode = "changed-header"
    err = _refused(copy, server, CdpInputError)
    assert err.file == "raw/fingertips/fingertips_93517_at102.csv" and err.row == 1
    assert "changed the format" in str(err) and server.url in str(err)


def test_offline_is_named(copy):
    data, _ = copy
    port = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    url = f"http://127.0.0.1:{port.server_address[1]}"
    port.server_close()  # nothing listens there now
    raw = snapshot(data)
    with pytest.raises(CdpFetchError, match="offline"):
        fetch.fetch_fingertips([93517], 102, data=data, base_url=url, fetcher=quick(retries=1))
    assert snapshot(data) == raw


def test_police_month_missing_from_the_archive_is_named(server, copy):
    data, _ = copy
    raw = snapshot(data)
    with pytest.raises(CdpFetchError, match="holds no 2025-04/2025-04-dorset-street.csv"):
        fetch.fetch_police_uk("dorset", "2025-02", "2025-04", data=data, base_url=server.url, fetcher=quick())
    assert {k: v for k, v in snapshot(data).items()} == raw


def test_base_url_from_the_environment(monkeypatch):
    monkeypatch.setenv("CDP_FINGERTIPS_URL", "http://127.0.0.1:9/")
    assert fetch.fingertips_url([1], 2).startswith("http://127.0.0.1:9/api/all_data/csv/by_indicator_id?")
