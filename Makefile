# Kinotruck Scheduler: `make run` serves the demo season; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck pytest services plan-demo bench bench-large bench-api clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/scheduler serve --demo --host $(HOST) --port $(PORT)

plan-demo: $(STAMP)
	$(BIN)/scheduler demo --out out/plan.json --scenario-out out/scenario.json

services:
	bash scripts/services.sh

lint: $(STAMP)
	$(BIN)/ruff check scheduler tests benchmarks
	$(BIN)/ruff format --check scheduler tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy scheduler

pytest: $(STAMP) services
	$(BIN)/pytest -q

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/season.py

bench-large: $(STAMP)
	$(BIN)/python benchmarks/season.py --large

bench-api: $(STAMP)
	$(BIN)/python benchmarks/api.py

clean:
	rm -rf $(VENV) out var .mypy_cache .ruff_cache .pytest_cache
