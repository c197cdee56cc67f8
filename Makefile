# cdp-analysis: the two commands of the README's quick start, and their parts.
#   make report   set everything up, build the store, run the latest pan-Dorset reports
#   make test     set up what the tests need and run the whole suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PERIOD ?=
AREA   ?= pan-dorset

.PHONY: report test setup setup-test kernel ingest run lint clean-reports

report: setup kernel ingest run

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

setup: $(VENV)/.installed

setup-test: $(VENV)/.installed-test kernel
	$(PYTHON) .ci/browser.py --install

kernel: setup
	$(BIN)/python -m ipykernel install --sys-prefix --name cdp-analysis --display-name "Python (cdp-analysis)" >/dev/null

ingest: setup
	$(BIN)/cdp ingest

run: setup
	$(BIN)/cdp run --area $(AREA) $(if $(PERIOD),--period "$(PERIOD)",)

test: setup-test
	$(BIN)/python -m pytest

lint: setup-test
	$(BIN)/ruff check cdp_analysis tests benchmarks

clean-reports:
	find reports -mindepth 1 -not -name README.md -exec rm -rf {} +
