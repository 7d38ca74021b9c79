# midoffice: the two commands of the README.
#   make demo  - venv, install, generate the sample world, load it, run the end of day, summary
#   make test  - venv, install with the test tools, run the whole test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: demo test test-big install install-dev lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e ".[dev]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

demo: install
	$(VENV)/bin/midoffice demo

test: install-dev
	$(PY) -m pytest -q -n 2 --dist loadgroup; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

# issue 4's accuracy bar on a 1M-trade world (about 7 minutes; feeds kept under data/worlds/)
test-big: install-dev
	$(PY) -m pytest -q -s -m big tests/test_recon_accuracy_big.py

lint: install-dev
	$(VENV)/bin/ruff check engine connectors dashboards tests

bench: install-dev
	cd benchmarks && for b in bench_generate bench_foundation bench_connectors bench_connectors_bo bench_recon bench_positions bench_risk; do ../$(PY) $$b.py; done

clean:
	rm -rf $(VENV) data/sample data/*.duckdb data/*.duckdb.wal
