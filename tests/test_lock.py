"""The lock file: exact versions that every install is constrained to, consistent with pyproject.toml.

A locked version outside the range pyproject.toml allows would make ``pip install -c`` fail
(no version satisfies both), so every pin is checked against every requirement that names the
package. A requirement the lock does not list yet is allowed (it installs at the newest
allowed version until ``make lock`` renews the file).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements" / "lock.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line!r}"
            pins[canonicalize_name(name)] = version
    return pins


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = [*project["dependencies"], *(r for extra in project["optional-dependencies"].values() for r in extra)]
    return [Requirement(r) for r in reqs]


def test_every_pin_satisfies_pyproject():
    pins = _lock()
    wrong = [f"{r} (locked {pins[canonicalize_name(r.name)]})" for r in _requirements()
             if canonicalize_name(r.name) in pins and not r.specifier.contains(pins[canonicalize_name(r.name)],
                                                                                 prereleases=True)]
    assert not wrong, "locked versions outside pyproject.toml's ranges: " + "; ".join(wrong)


def test_the_core_dependencies_are_locked():
    pins = _lock()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = [canonicalize_name(Requirement(r).name) for r in project["dependencies"]]
    assert [n for n in core if n not in pins] == []


def test_make_installs_with_the_lock():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installs = [line for line in makefile.splitlines() if re.search(r"\$\(BIN\)/python -m pip install .*-e ", line)]
    assert len(installs) >= 4 and all("-c $(LOCK)" in line for line in installs)  # base, test, lab, docs
    assert "LOCK   ?= requirements/lock.txt" in makefile and "\nlock:" in makefile
