# The template's two jobs: `make demo` (bake with the defaults and run the pipeline) and
# `make test` (the template's tests). Both set up their own virtual environment.
PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
export DVC_NO_ANALYTICS := 1
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := true
# The demo commits its results; a machine without a git identity commits as the demo.
DEMO_IDENTITY = $(shell git config user.email >/dev/null || echo '-c user.name=baseline-first-demo -c user.email=demo@example.com')

.PHONY: demo test test-fast bench lint clean

$(BIN)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

demo: $(BIN)/.installed ## bake a project with the defaults into demo/, run its pipeline, commit the results
	rm -rf demo
	PATH="$(BIN):$$PATH" $(BIN)/cookiecutter --no-input --output-dir demo .
	cd demo/tabular-baseline && PATH="$(BIN):$$PATH" && export PATH \
		&& python -m pip install -q --no-build-isolation -e . \
		&& dvc repro && dvc metrics show \
		&& git add --all && git $(DEMO_IDENTITY) commit -q -m "First results of dvc repro" \
		&& echo "First results committed (git log, dvc exp show, python -m tabular_baseline check compare with them)."
	@echo "Put the project's tools (dvc, mlflow, python -m tabular_baseline) on PATH with:"
	@echo "  . $(BIN)/activate && cd demo/tabular-baseline"

test: $(BIN)/.installed ## every template test, real pipelines included
	PATH="$(BIN):$$PATH" $(BIN)/python -m pytest

test-fast: $(BIN)/.installed ## bake tests only (no pipeline runs)
	PATH="$(BIN):$$PATH" $(BIN)/python -m pytest --fast

bench: $(BIN)/.installed ## speed: pipeline against a plain script, and growth to 1M rows (~15 min)
	PATH="$(BIN):$$PATH" $(BIN)/python bench/run.py

lint: $(BIN)/.installed
	$(BIN)/ruff check answer_filters.py hooks tests scripts bench
	$(BIN)/ruff format --check answer_filters.py hooks tests scripts bench

clean:
	rm -rf demo $(VENV)
