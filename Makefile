# Kinotruck Scheduler: `make run` serves the demo season; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

WEB := scheduler/web/static/vendor/.installed

.PHONY: run test lint typecheck pytest services chromium web plan-demo bench bench-large bench-api clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Front-end libraries: npm (pinned by package-lock.json), copied into static/vendor.
$(WEB): package.json package-lock.json scripts/vendor.mjs
	npm ci --no-audit --no-fund --loglevel=error
	node scripts/vendor.mjs
	touch $(WEB)

web: $(WEB)

run: $(STAMP) $(WEB)
	$(BIN)/scheduler serve --demo --host $(HOST) --port $(PORT)

plan-demo: $(STAMP)
	$(BIN)/scheduler demo --out out/plan.json --scenario-out out/scenario.json

services:
	bash scripts/services.sh

# Browser tests drive Debian's Chromium (Playwright cannot download browsers here).
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

lint: $(STAMP)
	$(BIN)/ruff check scheduler tests benchmarks
	$(BIN)/ruff format --check scheduler tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy scheduler

pytest: $(STAMP) $(WEB) services chromium
	$(BIN)/pytest -q

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/season.py

bench-large: $(STAMP)
	$(BIN)/python benchmarks/season.py --large

bench-api: $(STAMP)
	$(BIN)/python benchmarks/api.py

clean:
	rm -rf $(VENV) out var node_modules scheduler/web/static/vendor test-artifacts .mypy_cache .ruff_cache .pytest_cache
