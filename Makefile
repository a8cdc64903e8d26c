# Guanxi: `make run` sets everything up and serves on http://127.0.0.1:8000; `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
VENDOR := src/guanxi/web/static/vendor
HOST   ?= 127.0.0.1
PORT   ?= 8000
DEMO_CUSTOMERS ?= 5000
# Two processes use both cores of the reference machine; `make test TEST_WORKERS=0` runs serially.
TEST_WORKERS ?= 2

.PHONY: run test install dev assets bench bench-lifetimes clean-data e2e

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

# Front-end packages come from npm at install time and are served from /static/vendor.
$(VENDOR)/.stamp: package.json
	npm install --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts.min.js
	touch $@

assets: $(VENDOR)/.stamp

run: install assets
	$(BIN)/guanxi init
	$(BIN)/guanxi demo --if-empty --customers $(DEMO_CUSTOMERS)
	$(BIN)/guanxi serve --host $(HOST) --port $(PORT)

test: dev assets
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15 $(PYTEST_ARGS)

bench: install
	@for script in bench/bench_*.py bench/analytics.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Guanxi's BG/NBD + Gamma-Gamma fit against the lifetimes package, in an environment of its own.
LIFETIMES_VENV := bench/.venv-lifetimes
$(LIFETIMES_VENV)/.installed: bench/lifetimes-requirements.txt pyproject.toml
	$(PYTHON) -m venv $(LIFETIMES_VENV)
	$(LIFETIMES_VENV)/bin/pip install --quiet -r bench/lifetimes-requirements.txt
	$(LIFETIMES_VENV)/bin/pip install --quiet -e .
	touch $@

bench-lifetimes: $(LIFETIMES_VENV)/.installed
	$(LIFETIMES_VENV)/bin/python bench/lifetimes_compare.py

clean-data:
	rm -rf var
