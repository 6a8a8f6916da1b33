# The README's commands. Each target installs what it needs into .venv/ first.
PYTHON ?= python3
# The CPU build of torch (on these machines pip finds it on disk). Elsewhere, for example:
#   make demo TORCH="torch --index-url https://download.pytorch.org/whl/cpu"
TORCH ?= torch==2.13.0
VENV := .venv
BIN := $(VENV)/bin
DATA ?= data
QUESTION ?= What did the harbour master say about the storm?

.PHONY: demo run test lint bench eval clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(TORCH)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed

demo: $(VENV)/.installed  ## index the bundled samples and answer a question in the terminal
	$(BIN)/newsbot --data $(DATA) ingest samples
	$(BIN)/newsbot --data $(DATA) ask "$(QUESTION)"

run: $(VENV)/.installed  ## start the Discord bot (DISCORD_TOKEN in .env)
	$(BIN)/newsbot --data $(DATA) run

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint  ## lint, type check and the whole test suite
	$(BIN)/python -m pytest -q

eval: $(VENV)/.installed  ## answer quality on squad-dev and the seed questions (needs ../shared)
	$(BIN)/newsbot eval ../shared/eval/squad-dev/articles.jsonl ../shared/eval/squad-dev/questions.jsonl
	$(BIN)/newsbot eval ../shared/seeds ../shared/seeds/questions.jsonl

bench: $(VENV)/.installed-bench  ## benchmarks; results in bench/results/
	$(BIN)/python bench/quality_baseline.py

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache .mypy_cache .ruff_cache
