"""The README's "library as analysts call it" section runs as written (#18: the nine tasks).

Every ``python`` block of the section is executed in order against a store built by
``cdp ingest`` from the shipped data; the ``bash`` block's ``cdp audit`` runs through the
command line. The answers the section promises are checked against the issue's figures.
"""

from __future__ import annotations

import re
import shlex

from tests_support import ROOT

SECTION = "## The library as analysts call it"


def _blocks() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.index("\n## ", start + len(SECTION))
    return re.findall(r"```(python|bash)\n(.*?)```", text[start:end], flags=re.S)


def test_readme_library_snippets_run(full_store, monkeypatch, capsys):
    from cdp_analysis.cli import main

    monkeypatch.setenv("CDP_DB", str(full_store))
    monkeypatch.chdir(ROOT)
    blocks = _blocks()
    assert [kind for kind, _ in blocks].count("python") >= 2 and any(k == "bash" for k, _ in blocks)
    names: dict = {}
    for kind, code in blocks:
        if kind == "python":
            exec(compile(code, "README.md", "exec"), names)
        else:
            for line in code.splitlines():
                if line.strip().startswith(".venv/bin/cdp"):
                    argv = shlex.split(line.split("#")[0])[1:]
                    assert main(argv) in (0, 1)  # 1 when the audit finds an error, never a crash (2)
    out = capsys.readouterr().out
    # what the section promises
    assert "55 deaths in 2022 against 59 in 2021: not a statistically significant change" in out
    assert names["deaths"].loc["2021", "count"] == 79 and names["deaths"].index.is_unique
    assert len(names["bands"]) == 19 and round(names["fc"]["mean"].iloc[0]) == 99
    assert any("above every value observed" in w for w in names["fc"].warnings)
    fig, alt = names["chart"]
    assert alt.startswith("Line chart of count")
