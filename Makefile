# The template's two jobs: `make demo` (bake with the defaults and run the pipeline) and
# `make test` (the template's tests). Both set up their own virtual environment.
PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
export DVC_NO_ANALYTICS := 1
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := true

.PHONY: demo test test-fast bench lint clean

$(BIN)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

demo: $(BIN)/.installed ## bake a project with the defaults into demo/ and run its pipeline
	rm -rf demo
	$(BIN)/cookiecutter --no-input --output-dir demo .
	cd demo/tabular-baseline && $(BIN)/python -m pip install -q --no-build-isolation -e . \
		&& PATH="$(BIN):$$PATH" dvc repro && PATH="$(BIN):$$PATH" dvc metrics show

test: $(BIN)/.installed ## every template test, real pipelines included
	PATH="$(BIN):$$PATH" $(BIN)/python -m pytest

test-fast: $(BIN)/.installed ## bake tests only (no pipeline runs)
	PATH="$(BIN):$$PATH" $(BIN)/python -m pytest --fast

bench: $(BIN)/.installed ## speed: pipeline against a plain script, and growth to 1M rows (~15 min)
	PATH="$(BIN):$$PATH" $(BIN)/python bench/run.py

lint: $(BIN)/.installed
	$(BIN)/ruff check hooks tests scripts bench
	$(BIN)/ruff format --check hooks tests scripts bench

clean:
	rm -rf demo $(VENV)
