# Sync Desk: `make run` starts it with demo data, `make test` runs the whole suite. `make help` lists the rest.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help run test test-redis unit lint typecheck bench chromium translations

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime ## create .venv, migrate, start the simulator and the app, seed the demo salon
	$(BIN)/python -m ops_ui.local_stack

chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

test: $(VENV)/.dev chromium ## the whole suite: unit, integration and end-to-end in Chromium
	$(BIN)/pytest

ENGINE_TESTS := tests/integration/test_job_workers.py tests/integration/test_rate_budget.py \
	tests/integration/test_bulk_retry.py tests/integration/test_sync_due.py tests/integration/test_sync_service.py \
	tests/integration/test_one_writer.py tests/integration/test_cleanup.py tests/integration/test_handover.py

test-redis: $(VENV)/.dev ## the engine's tests with the job queue and rate budget in Redis (REDIS_URL must be set)
	@test -n "$$REDIS_URL" || { echo "set REDIS_URL, e.g. redis://127.0.0.1:6379/15"; exit 2; }
	$(BIN)/pytest $(ENGINE_TESTS)

unit: $(VENV)/.dev ## the unit tests only (seconds, no simulator, no browser)
	$(BIN)/pytest tests/unit

lint: $(VENV)/.dev ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev ## mypy as configured in pyproject.toml
	$(BIN)/mypy

translations: $(VENV)/.runtime ## extract the texts to translate, update the German catalogue, compile it
	$(BIN)/pybabel extract -F babel.cfg -k _l -k _n -k say --project "Sync Desk" --version 0.1.0 -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --width 120
	$(BIN)/pybabel compile -d translations --statistics

bench: $(VENV)/.dev ## the board vs Flask-Admin and its floor (SQLite, PostgreSQL), the dashboard, bulk retry, the intake soak
	bench/postgres.sh $(BIN)/python -m bench.review_board
	bench/postgres.sh $(BIN)/python -m bench.review_actions
	bench/postgres.sh $(BIN)/python -m bench.health_dashboard
	$(BIN)/python -m bench.bulk_retry
	$(BIN)/python -m bench.soak_intake
