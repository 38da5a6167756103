# stmon: `make run` sets up and starts the monitor; `make test` sets up and runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONFIG ?= config/monitor.yaml

.PHONY: all setup run test lint format typecheck pytest bench demo clean

all: test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/stmon --config $(CONFIG) check
	$(BIN)/stmon --config $(CONFIG) db upgrade
	$(BIN)/stmon --config $(CONFIG) run

lint: $(STAMP)
	$(BIN)/ruff format --check monitor tests bench demo
	$(BIN)/ruff check monitor tests bench demo
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format monitor tests bench demo
	$(BIN)/ruff check --fix monitor tests bench demo

pytest: $(STAMP)
	scripts/test-tools.sh
	scripts/test-browser.sh
	scripts/test-postgres.sh $(BIN)/pytest

test: lint pytest

bench: $(STAMP)
	$(BIN)/python bench/bench_classify.py
	$(BIN)/python bench/bench_parse.py
	$(BIN)/python bench/bench_poll.py
	$(BIN)/python bench/bench_dedup.py
	$(BIN)/python bench/bench_alert.py
	$(BIN)/python bench/bench_latency.py
	$(BIN)/python bench/bench_hostile.py
	$(BIN)/python bench/bench_web.py
	scripts/test-postgres.sh $(BIN)/python bench/bench_instances.py

demo: $(STAMP)
	$(BIN)/python demo/run.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
