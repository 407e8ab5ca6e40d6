# vaereport — `make setup` once, then `make report` (or `make report PROFILE=smoke`).
PROFILE ?= full
VENV    ?= .venv
PY      := $(VENV)/bin/python
VR      := $(VENV)/bin/vaereport
# Extra parameter overrides for single analyses, e.g.  make q1 PROFILE=smoke P="epochs=3 hidden=[8, 4]"
# (passed as one string; the CLI splits it before each 'key=', so values may contain spaces)
P       ?=
export VAEREPORT_PARAMS := $(P)
OVERRIDES = --params "$$VAEREPORT_PARAMS"
# Grids run on a local Dask cluster (one worker per two cores) unless VAEREPORT_SCHEDULER names a scheduler.
WORKERS ?=
CLUSTER = $(if $(WORKERS),--workers $(WORKERS),)
FASHION_DEB := /usr/share/datasets/fashion-mnist
# Debian packages the tests use: the dataset, pdftotext/pdftoppm (PDF checks), Chromium (the HTML's live plane).
SYSTEM_PACKAGES := dataset-fashion-mnist poppler-utils chromium

ANALYSIS_TARGETS := $(basename $(notdir $(wildcard analysis/*.py))) \
  $(shell awk -F'"' '/^ +Analysis/ {print $$4}' src/vaereport/config/analyses.py)

.PHONY: runs setup system data report study render $(ANALYSIS_TARGETS) status test test-fast lint bench lab clean help
.DEFAULT_GOAL := help

help:
	@echo "make setup                 Debian packages the tests use (as root), .venv (pinned), the datasets"
	@echo "make data                  link/install the datasets into ./data and verify them"
	@echo "make report [PROFILE=...]  run stale analyses, render build/<profile>/report.{pdf,html}"
	@echo "make render [PROFILE=...]  render the report from the existing analysis outputs only"
	@echo "make <analysis> [P='k=v']  re-run one analysis (optionally with overrides); analyses: $(ANALYSIS_TARGETS)"
	@echo "make status [PROFILE=...]  which analyses are up to date, stale (and why) or missing"
	@echo "make runs A=q1 [METRIC=..] the kept runs of an analysis; METRIC draws it across them (a PNG)"
	@echo "make test                  the test suite (what CI runs)"
	@echo "make test-fast             the unit tests only (no training, no browser)"
	@echo "make lint                  ruff over src, analysis, params, tests and benchmarks (make test runs it first)"
	@echo "make bench                 benchmarks -> build/bench/bench.json"
	@echo "make lab                   JupyterLab on analysis/ (the percent scripts open as notebooks)"
	@echo "make clean                 remove build/ (all outputs and reports)"

setup: system $(VENV)/.installed data

# As root with apt-get, install the missing SYSTEM_PACKAGES; otherwise say which to install (make test names the
# tests it then skips).
system:
	@if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then echo "installing Debian packages:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null \
	    || echo "note: apt-get could not install$$missing; the tests that need them will be skipped"; fi; \
	else echo "note: not root with apt-get; install $(SYSTEM_PACKAGES) for the PDF and browser tests"; fi

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

# Link local copies into ./data (gitignored); fall back to Debian's package, then to Keras's download.
data:
	@mkdir -p data
	@if [ -d ../shared/data/mnist ] && [ ! -e data/mnist ]; then ln -s "$$(cd ../shared/data/mnist && pwd)" data/mnist; fi
	@if [ ! -d $(FASHION_DEB) ] && command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist) >/dev/null \
	  || echo "note: apt-get could not install dataset-fashion-mnist; Keras will try to download it"; fi
	@if [ -d $(FASHION_DEB) ] && [ ! -e data/fashion-mnist ]; then ln -s $(FASHION_DEB) data/fashion-mnist; fi
	@$(VR) data || echo "note: a dataset is still missing (see above); online machines download it on first use"

report: $(VENV)/.installed
	$(VR) report --profile $(PROFILE) $(CLUSTER)

study: $(VENV)/.installed
	$(VR) report --profile study $(CLUSTER)

render: $(VENV)/.installed
	$(VR) render --profile $(PROFILE)

# One target per analysis, by its script's name and its registry short name (make q1, make q2_representations).
$(ANALYSIS_TARGETS): $(VENV)/.installed
	$(VR) run $@ --profile $(PROFILE) $(OVERRIDES)

# The kept runs of one analysis (A=q1), and with METRIC='...' a PNG of that metric across them.
A ?= q1
runs: $(VENV)/.installed
	$(VR) runs $(A) --profile $(PROFILE) $(if $(METRIC),--plot "$(METRIC)",)

status: $(VENV)/.installed
	$(VR) status --profile $(PROFILE)

# Two pytest-xdist workers, each taking whole test files (a file's module-scoped set-ups are built once; TensorFlow
# trains on one thread, so most tests keep one core busy); -rs lists every skipped test and why.
# TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= 2
test: $(VENV)/.installed lint
	$(PY) -m pytest -q -rs --durations=12 -n $(TEST_WORKERS) --dist loadfile

lint: $(VENV)/.installed
	$(PY) -m ruff check src analysis params tests benchmarks

test-fast: $(VENV)/.installed
	$(PY) -m pytest -q -m "not integration and not browser"

bench: $(VENV)/.installed
	$(PY) -m benchmarks.run

lab: $(VENV)/.installed
	@test -x $(VENV)/bin/jupyter-lab || $(PY) -m pip install --quiet -e ".[jupyter]"
	$(VENV)/bin/jupyter-lab --notebook-dir=analysis

clean:
	rm -rf build
