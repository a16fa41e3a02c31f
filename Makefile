# Causette. `make run` to talk to the bot, `make test` to check everything. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
RASA   := $(VENV)/bin/rasa
STAMP  := $(VENV)/.installed
MODEL_STAMP := models/.trained

# Everything Rasa and our code read from the environment, with local defaults.
export PYTHONPATH := $(CURDIR)
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL ?= 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONWARNINGS ?= ignore::DeprecationWarning
export PORT ?= 5005
export ACTION_PORT ?= 5055
export HOST ?= 0.0.0.0
export SANIC_HOST ?= 127.0.0.1
export TRACKER_STORE_URL ?= sqlite:///$(CURDIR)/var/tracker.sqlite3
export TRACKER_STORE_DIALECT ?= $(firstword $(subst :, ,$(subst +, ,$(TRACKER_STORE_URL))))
export TRACKER_STORE_DB ?= rasa

TRAIN_INPUTS := config.yml domain.yml bot/brand/places.yml $(shell find data brands -name '*.yml' -not -path 'brands/copy/*' 2>/dev/null) $(wildcard components/*.py)

.PHONY: help install run serve train test test-unit test-stories validate bench-nlu bench-ledger bench-webhook bench-door bench-dialogue lock lint clean

help:
	@echo "make run        install, train if needed, start the action server and open rasa shell"
	@echo "make test       the whole test suite (install and train included)"
	@echo "make serve      rasa run --enable-api on PORT=$(PORT) + action server on ACTION_PORT=$(ACTION_PORT)"
	@echo "make train      train a model if config, domain, data or brands changed"
	@echo "make bench-nlu  NLU benchmark, written to docs/benchmarks.md"
	@echo "make bench-ledger  ledger write and report benchmark, written to docs/benchmarks.md"
	@echo "make bench-webhook Messenger webhook acknowledgement under 20 senders, docs/benchmarks.md"
	@echo "make bench-door    what refused and malformed requests cost the real server, docs/benchmarks.md"
	@echo "make bench-dialogue  tests/dialogue conversation sets through the real server, docs/benchmarks.md"

install: $(STAMP)

$(STAMP): requirements.lock scripts/install.sh
	scripts/install.sh
	@touch $@

lock: ## re-resolve requirements.in into requirements.lock
	scripts/install.sh --lock

train: $(MODEL_STAMP)

$(MODEL_STAMP): $(STAMP) $(TRAIN_INPUTS)
	$(PY) -m bot nlu sync
	@mkdir -p models
	$(RASA) train --out models --fixed-model-name causette-$$(date -u +%Y%m%dT%H%M%S)
	@touch $@

validate: $(STAMP)
	$(RASA) data validate --fail-on-warnings

serve: train
	@mkdir -p var
	scripts/serve.sh

run: train
	@mkdir -p var
	scripts/shell.sh

test-stories: train
	$(RASA) test core --stories tests/test_stories.yml --fail-on-prediction-errors --out results

test-unit: train
	$(PY) -m pytest

test: validate test-stories test-unit

bench-nlu: $(STAMP)
	$(PY) bench/nlu_bench.py

bench-ledger: $(STAMP)
	$(PY) bench/ledger_bench.py --plot docs/funnel-bench.png

bench-webhook: $(STAMP)
	$(PY) bench/webhook_bench.py

bench-door: train
	$(PY) bench/door_bench.py

bench-dialogue: train
	$(PY) bench/dialogue_bench.py

lint: $(STAMP)
	$(VENV)/bin/ruff check bot actions components connectors tests bench
	$(VENV)/bin/ruff format --check bot actions components connectors tests bench

clean:
	rm -rf models results .pytest_cache
