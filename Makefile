# The README's commands. Each target installs what it needs into .venv/ first.
PYTHON ?= python3
# The CPU build of torch (on these machines pip finds it on disk). Elsewhere, for example:
#   make demo TORCH="torch --index-url https://download.pytorch.org/whl/cpu"
TORCH ?= torch==2.13.0
VENV := .venv
BIN := $(VENV)/bin
DATA ?= data
QUESTION ?= What did the harbour master say about the storm?

.PHONY: demo run test lint reliability bench bench-full soak eval clean

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

# The fault and hostile-input tests (also part of `make test`), and the table they fill.
RELIABILITY_TESTS := tests/reliability tests/e2e/test_e2e_abuse.py \
	tests/bot/test_bot_render_properties.py \
	tests/e2e/test_e2e_bot.py::test_permission_matrix_of_every_admin_command \
	tests/e2e/test_e2e_bot.py::test_the_token_never_reaches_the_logs \
	tests/e2e/test_e2e_bot.py::test_twenty_concurrent_questions_during_a_reindex_are_acked_and_answered \
	tests/e2e/test_e2e_bot.py::test_hostile_huge_article_never_breaks_limits_or_pings \
	tests/e2e/test_e2e_bot.py::test_cooldown_answers_with_a_friendly_wait \
	tests/e2e/test_e2e_bot.py::test_a_mention_gets_the_same_answer_as_a_reply \
	tests/e2e/test_e2e_source.py::test_mentions_and_links_in_the_message_ping_no_one

reliability: $(VENV)/.installed-dev  ## faults and hostile input, tried; writes docs/reliability.md
	rm -f $(VENV)/reliability.json
	NEWSBOT_RELIABILITY_JSON=$(VENV)/reliability.json $(BIN)/python -m pytest -q $(RELIABILITY_TESTS)
	$(BIN)/python tests/reliability/report.py $(VENV)/reliability.json docs/reliability.md

eval: $(VENV)/.installed  ## answer quality on squad-dev and the seed questions (needs ../shared)
	$(BIN)/newsbot eval ../shared/eval/squad-dev/articles.jsonl ../shared/eval/squad-dev/questions.jsonl
	$(BIN)/newsbot eval ../shared/seeds ../shared/seeds/questions.jsonl

bench: $(VENV)/.installed-bench  ## speed benchmarks against the recipe (~40 min); results in bench/results/
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/query.py --sizes 10000,100000
	$(BIN)/python bench/bot_load.py
	$(BIN)/python bench/feeds_poll.py

soak: $(VENV)/.installed-bench  ## the real bot for 30 busy minutes of faults; RSS plot in bench/results/ (~45 min)
	$(BIN)/python bench/soak.py --minutes 30

bench-full: bench  ## and 1M passages, each encoder's quality, the quality baseline (~2.5 h more)
	$(BIN)/python bench/query.py
	$(BIN)/python bench/encoders.py --limit 1000 --variants torch,onnx,onnx-int8,openvino
	$(BIN)/python bench/quality_baseline.py

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache .mypy_cache .ruff_cache
