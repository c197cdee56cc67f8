# cdp-analysis: the two commands of the README's quick start, and their parts.
#   make report   set everything up, build the store, run the latest pan-Dorset reports
#   make test     set up what the tests need and run the whole suite
#   make lab      the analyst's way in: JupyterLab on notebooks/ with the kernel and the store
#   make docs     the documentation site into docs/_build/html
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PERIOD ?=
AREA   ?= pan-dorset
LAB_OUTPUT ?= $(CURDIR)/scratch
LAB_ARGS   ?=
# exact versions every install is constrained to (pip -c): re-running a quarter next year gives
# the same numbers; a package not in the lock (newly added to pyproject.toml) still installs
LOCK   ?= requirements/lock.txt

.PHONY: report test setup setup-test kernel ingest run lint clean-reports lab setup-lab store docs setup-docs lock hooks

report: setup kernel ingest run

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e ".[test]"
	touch $@

$(VENV)/.installed-lab: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e ".[lab]"
	touch $@

$(VENV)/.installed-docs: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e ".[docs]"
	touch $@

setup: $(VENV)/.installed

setup-lab: $(VENV)/.installed-lab

setup-docs: $(VENV)/.installed-docs

setup-test: $(VENV)/.installed-test kernel
	$(PYTHON) .ci/browser.py --install

kernel: setup
	$(BIN)/python -m ipykernel install --sys-prefix --name cdp-analysis --display-name "Python (cdp-analysis)" >/dev/null

ingest: setup
	$(BIN)/cdp ingest

store: setup
	@test -f "$${CDP_DB:-data/cdp.duckdb}" || $(BIN)/cdp ingest

# JupyterLab 4 on notebooks/ with the kernel "Python (cdp-analysis)"; figures and tables a
# notebook saves go to $(LAB_OUTPUT) (CDP_OUTPUT_DIR), never into notebooks/.
lab: setup-lab kernel store
	@mkdir -p "$(LAB_OUTPUT)"
	CDP_OUTPUT_DIR="$(LAB_OUTPUT)" $(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,) $(LAB_ARGS)

docs: setup-docs
	$(BIN)/python -m sphinx -E -W --keep-going -b html -q docs docs/_build/html

run: setup
	$(BIN)/cdp run --area $(AREA) $(if $(PERIOD),--period "$(PERIOD)",)

test: setup-test
	$(BIN)/python -m pytest

lint: setup-test
	$(BIN)/ruff check cdp_analysis tests benchmarks

clean-reports:
	find reports -mindepth 1 -not -name README.md -exec rm -rf {} +

# Renew the lock: install the newest versions pyproject.toml allows (every extra) into a fresh
# venv, run the tests there, then write its exact versions to $(LOCK). Review the diff.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e ".[test,lab,docs]"
	head -2 $(LOCK) > $(LOCK).new
	.venv-lock/bin/python -m pip freeze --exclude-editable | LC_ALL=C sort -f >> $(LOCK).new
	mv $(LOCK).new $(LOCK)
	rm -rf .venv-lock
	@echo "$(LOCK) renewed: run make test, then commit it with the reason"

# the pre-commit hooks (ruff, notebook outputs stripped, jupytext pairs) on every file
hooks: setup-test
	$(BIN)/pre-commit run --all-files
