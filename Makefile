# Time Bank — the two commands users rely on: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: install run test lint typecheck unit bench db-check clean

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $@

# Browser-side packages (htmx for the pages, axe-core for the accessibility checks).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(BIN)/.installed node_modules/.installed

# Fresh clone to a running site on SQLite with a demo city, at http://127.0.0.1:8000
run: install
	$(BIN)/timebank db upgrade
	$(BIN)/timebank demo --seed 1 --size small --if-empty
	$(BIN)/timebank serve

# Layers: lint-imports keeps the contracts in .importlinter; check-layers shows they bite.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	bash .ci/check-layers

typecheck: install
	$(BIN)/mypy timebank

# The whole suite: lint, types, unit, integration (SQLite and PostgreSQL), functional, e2e.
test: lint typecheck
	$(BIN)/pytest -n 2 --dist loadgroup --ignore=tests/e2e $(PYTEST_ARGS)
	# The browser journeys share one server and build on each other: one process, in order.
	$(BIN)/pytest tests/e2e $(PYTEST_ARGS)

unit: install
	$(BIN)/pytest tests/unit -q

bench: install
	$(BIN)/python bench/ledger.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
