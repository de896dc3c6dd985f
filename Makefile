# kpikit developer tasks. `make` (or `make help`) lists them.
#
# Every target runs inside .venv, which is built from requirements/lock.txt (exact pins) by the
# .venv/.installed stamp: it reinstalls only when pyproject.toml or the lock changes.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
PERIOD ?= last-complete
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements/lock.txt
EXTRAS := all,dev
PYTEST := $(BIN)/python -m pytest
# nbval: no .pytest_cache for notebook runs; kernels run in the project venv.
NBVAL := $(PYTEST) -p no:cacheprovider --nbval-current-env
CHROMIUM := /usr/bin/chromium

# Exits non-zero, with a message, unless the interpreter given as $$1 is Python >= 3.11.
define require_py311
"$(1)" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { echo "error: kpikit needs Python >= 3.11, but '$(1)' is: $$(command -v "$(1)" >/dev/null && "$(1)" -V 2>&1 || echo 'not found')." >&2; echo "hint: make PYTHON=python3.11 (run 'make distclean' first if .venv was built by an older Python)" >&2; exit 1; }
endef

.PHONY: help report test test-browser notebooks lab check data bench bench-review lock clean distclean

help: ## list the targets (default)
	@echo "usage: make TARGET   (PYTHON=$(PYTHON), venv in $(VENV)/)"
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-zA-Z0-9_.\/-]+:.*## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.venv/.installed: pyproject.toml requirements/lock.txt ## build or update .venv from the lock (only when they change)
	@if [ ! -x $(BIN)/python ]; then $(call require_py311,$(PYTHON)); $(PYTHON) -m venv $(VENV); fi
	@$(call require_py311,$(BIN)/python)
	@# PIP_CONSTRAINT (unlike -c) also pins the build backend in pip's isolated build environment.
	PIP_CONSTRAINT=$(LOCK) $(BIN)/python -m pip install -q -e '.[$(EXTRAS)]'
	@# Build matplotlib's font cache now, so its first-run warning never lands in a notebook output.
	MPLBACKEND=Agg $(BIN)/python -c 'import matplotlib.pyplot'
	touch $@

report: $(STAMP) ## run the monthly report for PERIOD (default last-complete) into reports/<YYYY-MM>/
	$(BIN)/kpikit report --period $(PERIOD)

# Installs Debian package $(1) when command $(2) is missing: as root with apt-get, or says how.
define need_debian_package
command -v $(2) >/dev/null 2>&1 || { \
  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
    echo "installing $(1) (needed by the tests)"; apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(1); \
  else echo "error: the tests need $(2) from the Debian package $(1). hint: sudo apt-get install $(1)" >&2; exit 1; fi; }
endef

test: $(STAMP) ## unit tests, then notebooks/ (nbval, outputs compared) and templates/ (nbval-lax)
	@# The Spark backend's tests run PySpark in local mode, which needs a Java 17 runtime.
	@$(call need_debian_package,openjdk-17-jre-headless,java)
	MPLBACKEND=Agg $(PYTEST)
	@# Notebook kernels must keep Jupyter's inline backend: MPLBACKEND=Agg (from here or from your
	@# shell) reaches the kernel and drops every figure from the outputs, so nbval would fail.
	env -u MPLBACKEND $(NBVAL) --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg notebooks
	env -u MPLBACKEND $(NBVAL) --nbval-lax templates

test-browser: $(STAMP) ## real-browser test of the explorer in JupyterLab (needs Debian's chromium)
	@# Debian's chromium, never a browser downloaded by 'playwright install'.
	@$(call need_debian_package,chromium,$(CHROMIUM))
	@# tests/browser is left out of the default pytest run (pyproject addopts: --ignore); naming it runs it.
	env -u MPLBACKEND $(PYTEST) -p no:cacheprovider tests/browser

notebooks: $(STAMP) ## re-run every walkthrough in notebooks/ in place, so its saved outputs are fresh
	cd notebooks && for nb in *.ipynb; do \
	  env -u MPLBACKEND ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --NotebookClient.record_timing=False "$$nb"; \
	done

lab: $(STAMP) ## open JupyterLab on notebooks/
	env -u MPLBACKEND $(BIN)/jupyter lab notebooks/

check: $(STAMP) ## ruff check, ruff format --check, mypy kpikit
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy kpikit

data: $(STAMP) ## regenerate the sample data in data/
	$(BIN)/python data/generate.py

bench: $(STAMP) ## time kpikit on each backend against hand-written SQL and pandas (BENCH_ARGS="--rows 1000000")
	$(BIN)/python benchmarks/engine.py $(BENCH_ARGS)

bench-review: $(STAMP) ## time a review of the whole sample spec (goal: under 2 s)
	$(BIN)/python benchmarks/review.py $(BENCH_ARGS)

lock: ## re-resolve requirements/lock.txt in a clean temporary venv (needs Python 3.11; review the diff)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { \
	  echo "error: the lock is for Python 3.11; '$(PYTHON)' is $$($(PYTHON) -V 2>&1). Try: make lock PYTHON=python3.11" >&2; exit 1; }
	@mkdir -p $(dir $(LOCK))
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	echo "resolving '.[$(EXTRAS)]' in a clean venv under $$tmp ..." && \
	$(PYTHON) -m venv "$$tmp/venv" && \
	"$$tmp/venv/bin/python" -m pip install -q 'setuptools>=77' && \
	"$$tmp/venv/bin/python" -m pip install -q -e '.[$(EXTRAS)]' && \
	"$$tmp/venv/bin/python" -m pip check && \
	{ echo "# Exact versions of everything that \`pip install -e '.[$(EXTRAS)]'\` installs (the full"; \
	  echo "# transitive closure) on CPython 3.11, Linux x86_64. Generated; do not edit by hand."; \
	  echo "# Regenerate: \`make lock\` (a clean temporary venv, \`pip freeze --exclude-editable\`),"; \
	  echo "# after changing dependencies in pyproject.toml; then review the diff and run \`make test\`."; \
	  echo "# Used as constraints by \`make .venv/.installed\` (PIP_CONSTRAINT, so setuptools, the build backend, is pinned too)"; \
	  "$$tmp/venv/bin/python" -m pip freeze --all --exclude-editable | grep -viE '^(kpikit|pip)( |=|@|$$)'; \
	} > $(LOCK).new && mv $(LOCK).new $(LOCK) && echo "wrote $(LOCK)"

clean: ## remove reports/ and build artefacts (keeps .venv)
	rm -rf reports build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis *.egg-info
	find . -path ./$(VENV) -prune -o -type d \( -name __pycache__ -o -name .ipynb_checkpoints \) -prune -exec rm -rf {} +

distclean: clean ## clean, and remove .venv too
	rm -rf $(VENV)
