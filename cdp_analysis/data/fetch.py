"""``cdp fetch``: download current editions from the publishers into ``data/raw/``.

Three publishers, each through the route its own documentation gives
(``/work/shared/research/publishers.md`` lists them; fingertips_py and fingertipsR use the
same Fingertips endpoint):

=================  ==========================================================================
Fingertips (OHID)  ``{base}/api/all_data/csv/by_indicator_id?indicator_ids=..&child_area_type_id=..
                   &parent_area_type_id=..``: every area of one area type, the CSV columns of
                   the shipped exports -> ``raw/fingertips/fingertips_<ids>_at<type>.csv``.
                   Area types by name through ``{base}/api/area_types``.
police.uk          ``{base}/data/archive/YYYY-MM.zip`` (each archive holds the 36 months to
                   YYYY-MM for every force): the force's ``YYYY-MM-<force>-street.csv`` of
                   each month asked for -> ``raw/police/police_uk_street_<force>_<from>_<to>/``.
ONS                the workbook "Deaths related to drug poisoning by local authority" of an
                   edition, ``{base}/file?uri=/peoplepopulationandcommunity/birthsdeathsandmarriages/
                   deaths/datasets/drugmisusedeathsbylocalauthority/<edition>/<edition>localauthorities.xlsx``
                   (or any ``--url``) -> ``raw/ons_drug_deaths/original/``.
=================  ==========================================================================

Every download is

* **polite**: one request at a time, a ``User-Agent`` naming the tool, retries with
  exponential back-off on a dropped connection, a timeout, HTTP 429 and 5xx (honouring
  ``Retry-After``), never on other 4xx;
* **resumable**: an interrupted download is kept outside ``raw/`` (``<data>/.fetch/``) and
  continued with an HTTP ``Range`` request next time (from the start when the server
  ignores ranges);
* **never half-written**: bytes go to a hidden temporary file (``.<name>.part``) in the
  target folder, are checked by the loader ``cdp ingest`` will use (the same header and
  value checks), and only then renamed into place, all files of one fetch together; a
  file the loader refuses (the publisher changed the format) is a
  :class:`~cdp_analysis.errors.CdpInputError` naming the URL, row and column, and nothing is
  written;
* **recorded**: each file gets a ``MANIFEST.csv`` row (path, bytes, rows, SHA-256, URL, date
  fetched) and an entry in ``PROVENANCE.md`` (publisher, URL, date, licence, SHA-256).

Network failures raise :class:`~cdp_analysis.errors.CdpFetchError` naming the URL and what
happened (offline, refused, timed out, HTTP status, interrupted after N of M bytes).

Base URLs default to the publishers' hosts; ``base_url=`` or the environment variables
``CDP_FINGERTIPS_URL``, ``CDP_POLICE_UK_URL`` and ``CDP_ONS_URL`` point them elsewhere (a
mirror, or the tests' server on 127.0.0.1).

Examples
--------
>>> fingertips_url([93517, 93532], 502, base_url="http://127.0.0.1:8000")
'http://127.0.0.1:8000/api/all_data/csv/by_indicator_id?indicator_ids=93517%2C93532&child_area_type_id=502&parent_area_type_id=15'
>>> months_between("2024-11", "2025-02")
['2024-11', '2024-12', '2025-01', '2025-02']
"""

from __future__ import annotations

import csv
import datetime as _dt
import email.utils
import hashlib
import io
import os
import re
import shutil
import socket
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cdp_analysis.errors import CdpFetchError, CdpInputError, CdpParameterError

__all__ = [
    "DEFAULT_INDICATORS",
    "FetchResult",
    "FetchedFile",
    "Fetcher",
    "fetch_fingertips",
    "fetch_ons_deaths",
    "fetch_police_uk",
    "fingertips_url",
    "months_between",
]

HOSTS = {
    "fingertips": ("CDP_FINGERTIPS_URL", "https://fingertips.phe.org.uk"),
    "police_uk": ("CDP_POLICE_UK_URL", "https://data.police.uk"),
    "ons": ("CDP_ONS_URL", "https://www.ons.gov.uk"),
}
#: Fingertips indicators the appendix uses (ids from docs/references/domain.md; 92544 and 92906 to confirm
#: with the indicator metadata): deaths from drug misuse, successful completion of drug
#: treatment (opiate, non-opiate), unmet need for treatment (opiate/crack users, dependent
#: drinkers), continuity of care after prison, admission episodes for alcohol-specific conditions.
DEFAULT_INDICATORS = (92432, 90244, 90245, 93517, 93532, 92544, 92906)
#: Fingertips' area type of upper-tier local authorities since April 2023 (chosen by name
#: through ``/api/area_types`` when a name is given).
DEFAULT_AREA_TYPE = "Upper tier local authorities (post 4/23)"
ENGLAND_AREA_TYPE = 15
ONS_DEATHS_PATH = ("/file?uri=/peoplepopulationandcommunity/birthsdeathsandmarriages/deaths/datasets/"
                   "drugmisusedeathsbylocalauthority/{edition}/{edition}localauthorities.xlsx")
OGL = "Open Government Licence v3.0"
USER_AGENT = "cdp-analysis (Combating Drugs Partnership analysis; one request at a time)"
_CHUNK = 1 << 16


def publisher_url(publisher: str, override: str | None = None) -> str:
    """The base URL of a publisher: ``override``, its environment variable, or its host."""
    env, default = HOSTS[publisher]
    return (override or os.environ.get(env) or default).rstrip("/")


def fingertips_url(indicators: Sequence[int | str], area_type: int, *, parent_area_type: int = ENGLAND_AREA_TYPE,
                   base_url: str | None = None) -> str:
    """The Fingertips bulk-CSV URL for ``indicators`` at ``area_type`` (see the module docstring)."""
    ids = ",".join(str(int(i)) for i in indicators)
    query = urllib.parse.urlencode({"indicator_ids": ids, "child_area_type_id": int(area_type),
                                    "parent_area_type_id": int(parent_area_type)})
    return f"{publisher_url('fingertips', base_url)}/api/all_data/csv/by_indicator_id?{query}"


def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` (``YYYY-MM``), inclusive.

    Raises
    ------
    CdpParameterError
        When a month is malformed or ``last`` comes before ``first``.
    """
    def ordinal(m: str) -> int:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", str(m)):
            raise CdpParameterError(f"not a month: {m!r} (expected YYYY-MM, e.g. 2025-01)")
        return int(m[:4]) * 12 + int(m[5:]) - 1

    a, b = ordinal(first), ordinal(last)
    if b < a:
        raise CdpParameterError(f"the last month {last} comes before the first {first}")
    return [f"{o // 12}-{o % 12 + 1:02d}" for o in range(a, b + 1)]


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class FetchedFile:
    """One file written to ``data/raw/``: where, from which URL, when, and its SHA-256."""

    path: Path
    rel: str
    url: str
    fetched: str
    sha256: str
    bytes: int
    rows: int | None


@dataclass
class FetchResult:
    """What one fetch wrote (``files``), from which publisher."""

    publisher: str
    files: list[FetchedFile] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"{self.publisher}: {len(self.files)} file(s) written; run `cdp ingest` to load them"]
        lines += [f"  {f.bytes:>12,} bytes  {f.rel}  (sha256 {f.sha256[:12]}...)" for f in self.files]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()


# --------------------------------------------------------------------------- HTTP
def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc or url


@dataclass
class Fetcher:
    """Downloads one URL at a time, with retries, back-off, resume and a progress bar.

    Parameters
    ----------
    timeout
        Seconds to wait for the server to answer or send more bytes.
    retries
        Further attempts after a failure that may pass (dropped connection, timeout, 429, 5xx).
    backoff
        Seconds before the first retry; doubled each time (or the server's ``Retry-After``).
    progress
        Show a progress bar per download.
    """

    timeout: float = 60.0
    retries: int = 3
    backoff: float = 2.0
    progress: bool = True

    def download(self, url: str, dest: Path, *, partial: Path | None = None) -> None:
        """Download ``url`` to ``dest``, resuming from ``partial`` (moved to ``dest``) if given.

        Raises
        ------
        CdpFetchError
            When every attempt failed, naming the URL and the last failure. The bytes
            received so far are left in ``dest`` for the caller to keep or remove.
        """
        if partial is not None and partial.exists() and not dest.exists():
            shutil.move(str(partial), str(dest))
        last: CdpFetchError | None = None
        for attempt in range(self.retries + 1):
            try:
                self._attempt(url, dest)
                return
            except CdpFetchError as exc:
                last = exc
                if not exc.retry or attempt == self.retries:
                    raise
                time.sleep(exc.retry_after if exc.retry_after is not None else self.backoff * 2 ** attempt)
        assert last is not None  # pragma: no cover
        raise last  # pragma: no cover

    def _attempt(self, url: str, dest: Path) -> None:
        have = dest.stat().st_size if dest.exists() else 0
        req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
        if have:
            req.add_header("Range", f"bytes={have}-")
        try:
            resp = urllib.request.urlopen(req, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and have:  # nothing left to send: the partial file is whole
                return
            retry_after = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
            raise CdpFetchError(f"the server answered HTTP {exc.code} {exc.reason}", url=url,
                                retry=exc.code == 429 or exc.code >= 500, retry_after=retry_after) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, (TimeoutError, socket.timeout)):
                raise CdpFetchError(f"no answer from {_host(url)} within {self.timeout:g} s", url=url,
                                    retry=True) from None
            if isinstance(reason, socket.gaierror):
                raise CdpFetchError(f"cannot find {_host(url)} ({reason.strerror}): is this machine offline?",
                                    url=url, retry=True) from None
            raise CdpFetchError(f"could not connect to {_host(url)} ({reason}): is this machine offline, or the "
                                "service down?", url=url, retry=True) from None
        except TimeoutError:
            raise CdpFetchError(f"no answer from {_host(url)} within {self.timeout:g} s", url=url,
                                retry=True) from None
        except (ConnectionError, OSError) as exc:
            raise CdpFetchError(f"the connection to {_host(url)} failed ({exc})", url=url, retry=True) from None
        with resp:
            status = getattr(resp, "status", 200)
            mode = "ab" if (have and status == 206) else "wb"
            if mode == "wb":
                have = 0
            length = resp.headers.get("Content-Length")
            total = have + int(length) if length and length.isdigit() else None
            got = have
            bar = None
            if self.progress:
                from tqdm.auto import tqdm

                bar = tqdm(total=total, initial=have, unit="B", unit_scale=True, desc=Path(dest.name).stem[:40],
                           leave=False)
            try:
                with open(dest, mode) as fh:
                    while True:
                        try:
                            chunk = resp.read(_CHUNK)
                        except TimeoutError:
                            raise CdpFetchError(f"the download stalled: no bytes from {_host(url)} for "
                                                f"{self.timeout:g} s after {got:,} bytes", url=url,
                                                retry=True) from None
                        except (ConnectionError, OSError, ValueError) as exc:  # IncompleteRead is a ValueError
                            raise CdpFetchError(f"the download was interrupted after {got:,}"
                                                + (f" of {total:,}" if total else "") + f" bytes ({type(exc).__name__})",
                                                url=url, retry=True) from None
                        if not chunk:
                            break
                        fh.write(chunk)
                        got += len(chunk)
                        if bar is not None:
                            bar.update(len(chunk))
            finally:
                if bar is not None:
                    bar.close()
            if total is not None and got < total:
                raise CdpFetchError(f"the download was interrupted after {got:,} of {total:,} bytes", url=url,
                                    retry=True)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return min(float(value), 300.0)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, min(300.0, (when - _dt.datetime.now(when.tzinfo)).total_seconds()))


def _get_json(url: str, fetcher: Fetcher) -> object:
    import json

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "x.json"
        Fetcher(fetcher.timeout, fetcher.retries, fetcher.backoff, progress=False).download(url, p)
        try:
            return json.loads(p.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise CdpFetchError(f"the answer is not JSON ({exc}): has the publisher changed its API?",
                                url=url) from None


# --------------------------------------------------------------------------- staging
@dataclass
class _Staged:
    url: str
    target: Path  # final path in data/raw
    temp: Path  # .<name>.part in the same folder
    validate: Callable[[Path], object]


def _cache_dir(data: Path) -> Path:
    return data / ".fetch"


def _partial_path(data: Path, url: str) -> Path:
    return _cache_dir(data) / (hashlib.sha256(url.encode()).hexdigest()[:24] + ".part")


def _temp_for(target: Path) -> Path:
    return target.with_name(f".{target.name}.part")


def _check(staged: _Staged, data: Path) -> None:
    """Run the loader's checks on the downloaded bytes, under the file's final name, outside ``data``."""
    with tempfile.TemporaryDirectory(prefix="cdp-fetch-") as d:
        probe = Path(d) / staged.target.name
        try:
            os.link(staged.temp, probe)
        except OSError:
            shutil.copy2(staged.temp, probe)
        try:
            staged.validate(probe)
        except CdpInputError as err:
            raise CdpInputError(
                f"downloaded from {staged.url}, it is not what the loader expects (has the publisher changed the "
                f"format?): {err.message}", file=staged.target.relative_to(data).as_posix(), sheet=err.sheet,
                row=err.row, column=err.column, expected=err.expected, value=err.value) from None


def _rows(path: Path) -> int | None:
    if path.suffix.lower() != ".csv":
        return None
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as fh:
        return max(0, sum(1 for _ in csv.reader(fh)) - 1)


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = _temp_for(path)
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _record(data: Path, files: list[FetchedFile], publisher: str, description: str) -> None:
    """Add or replace each file's MANIFEST row and append a PROVENANCE entry."""
    raw = data / "raw"
    manifest = raw / "MANIFEST.csv"
    header = ["path", "bytes", "data_rows_excl_header", "sha256", "url", "fetched"]
    if manifest.exists():
        text = manifest.read_bytes().decode("utf-8")
        nl = "\r\n" if text.split("\n", 1)[0].endswith("\r") else "\n"
        lines = text.splitlines()
    else:
        nl, lines = "\n", [",".join(header)]
    first = next(csv.reader([lines[0]]))
    if first[:4] != header[:4]:
        raise CdpInputError("MANIFEST.csv does not start with the expected header", file=manifest, row=1,
                            expected=",".join(header))
    if first != header:
        lines[0] = ",".join(header)
    rels = {f.path.relative_to(raw).as_posix() for f in files}  # MANIFEST paths are relative to raw/
    kept = [ln for ln in lines[1:] if ln.strip() and next(csv.reader([ln]))[0] not in rels]
    out = io.StringIO()
    w = csv.writer(out, lineterminator=nl)
    for f in files:
        w.writerow([f.path.relative_to(raw).as_posix(), f.bytes, "" if f.rows is None else f.rows, f.sha256, f.url, f.fetched])
    body = nl.join([lines[0], *kept]) + nl + out.getvalue()
    _write_atomic(manifest, body.encode("utf-8"))
    prov = raw / "PROVENANCE.md"
    old = prov.read_text(encoding="utf-8") if prov.exists() else "# Data provenance\n"
    head = "\n## Fetched by `cdp fetch`\n\nFiles downloaded from the publishers by `cdp fetch` (newest last).\n"
    entry = [f"\n### {publisher}: {description} (fetched {files[0].fetched if files else ''})\n"]
    for f in files:
        entry.append(f"- `{f.rel}` from <{f.url}>, fetched {f.fetched}, {f.bytes:,} bytes, SHA-256 `{f.sha256}`.\n")
    entry.append(f"- Licence: {OGL} (Crown copyright); \"Contains public sector information licensed under the "
                 f"Open Government Licence v3.0.\"\n")
    text = old if "## Fetched by `cdp fetch`" in old else old.rstrip("\n") + "\n" + head
    _write_atomic(prov, (text + "".join(entry)).encode("utf-8"))


def _commit(data: Path, staged: list[_Staged], publisher: str, description: str) -> FetchResult:
    """Check every staged file, then move them all into place and record them."""
    try:
        for s in staged:
            _check(s, data)
    except BaseException:
        for s in staged:
            s.temp.unlink(missing_ok=True)
        raise
    today = _dt.date.today().isoformat()
    files = []
    for s in staged:
        s.target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(s.temp, s.target)
        files.append(FetchedFile(s.target, s.target.relative_to(data).as_posix(), s.url, today, _sha256(s.target),
                                 s.target.stat().st_size, _rows(s.target)))
    _record(data, files, publisher, description)
    return FetchResult(publisher, files)


def _download(fetcher: Fetcher, data: Path, url: str, target: Path, validate: Callable[[Path], object]) -> _Staged:
    """Download ``url`` into the hidden temporary file beside ``target``; keep a failed partial outside raw/."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = _temp_for(target)
    temp.unlink(missing_ok=True)
    partial = _partial_path(data, url)
    try:
        fetcher.download(url, temp, partial=partial)
    except BaseException:
        if temp.exists() and temp.stat().st_size:
            partial.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(temp), str(partial))  # kept for the next attempt, outside raw/
        temp.unlink(missing_ok=True)
        raise
    return _Staged(url, target, temp, validate)


def _data_dir(data: str | os.PathLike | None) -> Path:
    from cdp_analysis import config

    path = config.data_dir(data)
    if not path.is_dir():
        raise CdpParameterError(f"the data folder {path} does not exist")
    return path


# --------------------------------------------------------------------------- publishers
def fingertips_area_type(name_or_id: str | int, *, base_url: str | None = None,
                         fetcher: Fetcher | None = None) -> int:
    """A Fingertips area-type id: the number given, or the one whose name contains the text.

    Raises
    ------
    CdpParameterError
        When no area type, or more than one, has that name (the error lists them).
    """
    text = str(name_or_id).strip()
    if text.isdigit():
        return int(text)
    url = f"{publisher_url('fingertips', base_url)}/api/area_types"
    types = _get_json(url, fetcher or Fetcher(progress=False))
    if not isinstance(types, list):
        raise CdpFetchError("the area types are not a JSON list: has Fingertips changed its API?", url=url)
    hits = [t for t in types if isinstance(t, dict) and text.lower() in str(t.get("Name", "")).lower()]
    exact = [t for t in hits if str(t.get("Name", "")).lower() == text.lower()]
    hits = exact or hits
    if len(hits) != 1:
        names = "; ".join(f"{t.get('Id')} {t.get('Name')}" for t in (hits or types)[:20])
        raise CdpParameterError(f"{len(hits)} Fingertips area types match {text!r}: {names}")
    return int(hits[0]["Id"])


def fetch_fingertips(indicators: Sequence[int | str] = DEFAULT_INDICATORS, area_type: str | int = DEFAULT_AREA_TYPE,
                     *, parent_area_type: int = ENGLAND_AREA_TYPE, data: str | os.PathLike | None = None,
                     base_url: str | None = None, fetcher: Fetcher | None = None) -> FetchResult:
    """Download Fingertips indicators for every area of an area type (one CSV).

    The file is checked with :func:`cdp_analysis.data.sources.fingertips.read` before it
    is written to ``raw/fingertips/fingertips_<ids>_at<type>.csv``.
    """
    from cdp_analysis.data.sources import fingertips

    fetcher = fetcher or Fetcher()
    data_path = _data_dir(data)
    ids = [int(i) for i in indicators]
    if not ids:
        raise CdpParameterError("no Fingertips indicator ids given")
    at = fingertips_area_type(area_type, base_url=base_url, fetcher=fetcher)
    url = fingertips_url(ids, at, parent_area_type=parent_area_type, base_url=base_url)
    target = data_path / "raw" / "fingertips" / f"fingertips_{'_'.join(map(str, ids))}_at{at}.csv"
    staged = _download(fetcher, data_path, url, target, fingertips.read)
    return _commit(data_path, [staged], "OHID Fingertips",
                   f"indicators {', '.join(map(str, ids))}, area type {at}")


def fetch_ons_deaths(edition: str, *, url: str | None = None, data: str | os.PathLike | None = None,
                     base_url: str | None = None, fetcher: Fetcher | None = None) -> FetchResult:
    """Download the ONS drug-poisoning deaths by local authority workbook of ``edition`` (e.g. ``"2023"``).

    Checked with :func:`cdp_analysis.data.sources.ons_deaths_la.read` (sheets and headers
    found by their titles) before it is written to
    ``raw/ons_drug_deaths/original/<edition>localauthorities.xlsx``.
    """
    from cdp_analysis.data.sources import ons_deaths_la

    if not re.fullmatch(r"\d{4}", str(edition)):
        raise CdpParameterError(f"not an ONS edition: {edition!r} (expected a registration year, e.g. 2023)")
    fetcher = fetcher or Fetcher()
    data_path = _data_dir(data)
    link = url or publisher_url("ons", base_url) + ONS_DEATHS_PATH.format(edition=edition)
    if not link.startswith(("http://", "https://")):
        raise CdpParameterError(f"not an http(s) URL: {link!r}")
    target = data_path / "raw" / "ons_drug_deaths" / "original" / f"{edition}localauthorities.xlsx"
    staged = _download(fetcher, data_path, link, target, ons_deaths_la.read)
    return _commit(data_path, [staged], "ONS", f"deaths related to drug poisoning by local authority, {edition} "
                   "registrations")


def _police_validate(rel: str) -> Callable[[Path], object]:
    def check(path: Path) -> object:
        import duckdb

        from cdp_analysis.data.sources import police_uk

        con = duckdb.connect(":memory:")
        try:
            police_uk._create(con)
            return police_uk.load(con, [(path, rel)])
        finally:
            con.close()

    return check


def fetch_police_uk(force: str, first: str, last: str, *, data: str | os.PathLike | None = None,
                    base_url: str | None = None, fetcher: Fetcher | None = None) -> FetchResult:
    """Download police.uk street-level crime of ``force`` for the months ``first`` to ``last``.

    Each monthly archive ``data/archive/YYYY-MM.zip`` holds the 36 months to its month; the
    fewest archives covering the range are downloaded (into ``<data>/.fetch/``, resumable,
    deleted once used), and the force's file of each month is taken out, checked with the
    police.uk loader and written to ``raw/police/police_uk_street_<force>_<first>_<last>/``.

    Raises
    ------
    CdpFetchError
        When an archive cannot be downloaded or lacks the force's file for a month.
    """
    force = str(force).strip().lower()
    if not re.fullmatch(r"[a-z][a-z-]*", force):
        raise CdpParameterError(f"not a police.uk force id: {force!r} (e.g. dorset, west-midlands)")
    months = months_between(first, last)
    fetcher = fetcher or Fetcher()
    data_path = _data_dir(data)
    base = publisher_url("police_uk", base_url)
    plan: dict[str, list[str]] = {}
    i = len(months) - 1
    while i >= 0:  # newest archive first; each covers 36 months
        archive = months[i]
        covered = months[max(0, i - 35): i + 1]
        plan[archive] = covered
        i -= 36
    folder = data_path / "raw" / "police" / f"police_uk_street_{force}_{months[0]}_{months[-1]}"
    staged: list[_Staged] = []
    try:
        for archive, covered in sorted(plan.items()):
            url = f"{base}/data/archive/{archive}.zip"
            zpath = _cache_dir(data_path) / f"police_uk_{archive}.zip"
            zpath.parent.mkdir(parents=True, exist_ok=True)
            if not zpath.exists():
                tmp = zpath.with_name(zpath.name + ".part")
                try:
                    fetcher.download(url, tmp)
                except BaseException:
                    raise  # the .part stays in .fetch/ (outside raw/) to resume next time
                os.replace(tmp, zpath)
            try:
                zf = zipfile.ZipFile(zpath)
            except zipfile.BadZipFile:
                zpath.unlink(missing_ok=True)
                raise CdpFetchError("the archive is not a zip file: has police.uk changed its downloads?",
                                    url=url) from None
            with zf:
                names = set(zf.namelist())
                for m in covered:
                    member = f"{m}/{m}-{force}-street.csv"
                    if member not in names:
                        raise CdpFetchError(f"the archive holds no {member}: is {force!r} the police.uk id of the "
                                            "force, and has the month been published?", url=url)
                    target = folder / f"{m}-{force}-street.csv"
                    temp = _temp_for(target)
                    folder.mkdir(parents=True, exist_ok=True)
                    with zf.open(member) as src, open(temp, "wb") as dst:
                        shutil.copyfileobj(src, dst, _CHUNK)
                    staged.append(_Staged(f"{url}#{member}", target, temp,
                                          _police_validate(target.relative_to(data_path).as_posix())))
        result = _commit(data_path, staged, "police.uk", f"street-level crime, {force}, {months[0]} to {months[-1]}")
    except BaseException:
        for s in staged:
            s.temp.unlink(missing_ok=True)
        if folder.exists() and not any(folder.iterdir()):
            folder.rmdir()
        raise
    for archive in plan:
        (_cache_dir(data_path) / f"police_uk_{archive}.zip").unlink(missing_ok=True)
    return result


# --------------------------------------------------------------------------- command line
def add_parser(sub, common) -> None:
    """Add ``cdp fetch`` and its three publishers to the command line's subparsers."""
    p = sub.add_parser("fetch", parents=[common], help="download current editions from the publishers into "
                       "data/raw/ (needs the internet)")
    p.add_argument("--data-dir", help="data folder (default: ./data)")
    p.add_argument("--base-url", help="the publisher's base URL (default: its public host)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the server (default 60)")
    p.add_argument("--retries", type=int, default=3, help="retries after a failure (default 3)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    what = p.add_subparsers(dest="publisher", required=True)
    ft = what.add_parser("fingertips", help="Fingertips indicators for every area of an area type (CSV)")
    ft.add_argument("--indicator", action="append", type=int,
                    help=f"indicator id; repeat (default: {' '.join(map(str, DEFAULT_INDICATORS))})")
    ft.add_argument("--area-type", default=DEFAULT_AREA_TYPE, help=f"area type id or name (default: "
                    f"{DEFAULT_AREA_TYPE!r})")
    ft.add_argument("--parent-area-type", type=int, default=ENGLAND_AREA_TYPE,
                    help="parent area type id (default 15, England)")
    pu = what.add_parser("police-uk", help="police.uk street-level crime of a force for a range of months")
    pu.add_argument("--force", required=True, help="police.uk force id, e.g. dorset, west-midlands")
    pu.add_argument("--from", dest="first", required=True, help="first month, YYYY-MM")
    pu.add_argument("--to", dest="last", required=True, help="last month, YYYY-MM")
    on = what.add_parser("ons-deaths", help="the ONS drug-poisoning deaths by local authority workbook")
    on.add_argument("--edition", required=True, help="registration year of the edition, e.g. 2023")
    on.add_argument("--url", help="the workbook's URL, when ONS has moved it")


def run_cli(args) -> int:
    """``cdp fetch``: run the publisher's fetch and print what was written."""
    fetcher = Fetcher(timeout=args.timeout, retries=args.retries, progress=not args.quiet)
    if args.publisher == "fingertips":
        result = fetch_fingertips(args.indicator or DEFAULT_INDICATORS, args.area_type,
                                  parent_area_type=args.parent_area_type, data=args.data_dir,
                                  base_url=args.base_url, fetcher=fetcher)
    elif args.publisher == "police-uk":
        result = fetch_police_uk(args.force, args.first, args.last, data=args.data_dir, base_url=args.base_url,
                                 fetcher=fetcher)
    else:
        result = fetch_ons_deaths(args.edition, url=args.url, data=args.data_dir, base_url=args.base_url,
                                  fetcher=fetcher)
    print(result.summary())
    return 0
