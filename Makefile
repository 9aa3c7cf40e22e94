# Kinotruck Scheduler: `make run` plans the demo season; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench bench-large clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/scheduler demo --out out/plan.json --scenario-out out/scenario.json

lint: $(STAMP)
	$(BIN)/ruff check scheduler tests benchmarks
	$(BIN)/ruff format --check scheduler tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy scheduler

pytest: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/season.py

bench-large: $(STAMP)
	$(BIN)/python benchmarks/season.py --large

clean:
	rm -rf $(VENV) out .mypy_cache .ruff_cache .pytest_cache
