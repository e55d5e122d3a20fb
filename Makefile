# dancu — two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DANCU_TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
export DANCU_TEST_DATABASE_URL

.PHONY: run test lint format check-migrations bench install dev clean \
	messages-extract messages-update messages-compile screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

## Install, migrate, seed the demo province into var/dancu.db, serve on http://127.0.0.1:8000
run: install messages-compile
	$(BIN)/dancu db upgrade
	$(BIN)/dancu demo --if-empty
	$(BIN)/dancu serve

## Install the dev extras and run everything: lint, migrations check, the whole suite
test: dev lint check-migrations messages-compile
	$(BIN)/pytest -n 2 --dist loadgroup

lint: dev
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations

format: dev
	$(BIN)/ruff check --fix src tests bench migrations
	$(BIN)/ruff format src tests bench migrations

check-migrations: dev
	rm -f var/alembic-check.db
	DANCU_DATABASE_URL=sqlite:///var/alembic-check.db $(BIN)/alembic upgrade head
	DANCU_DATABASE_URL=sqlite:///var/alembic-check.db $(BIN)/alembic check
	rm -f var/alembic-check.db

## Translations (src/dancu/web/translations/<lang>/LC_MESSAGES/messages.po):
## extract every msgid of the sources into messages.pot, merge it into each catalogue, compile
TRANSLATIONS := src/dancu/web/translations

messages-extract: install
	$(BIN)/pybabel extract -F babel.cfg -o $(TRANSLATIONS)/messages.pot --add-location=file \
		--sort-output --add-comments=TRANSLATORS: --project=dancu --version=0.1.0 \
		--copyright-holder="dancu contributors" src/dancu

messages-update: messages-extract
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --ignore-pot-creation-date

messages-compile: install
	$(BIN)/pybabel compile -d $(TRANSLATIONS) --statistics

## Benchmarks: ratios measured side by side in one run (needs PostgreSQL)
bench: dev
	$(BIN)/python -m bench

## The demo's main pages in Chromium at 1280 and 390 px, as PNGs into docs/screenshots/
screenshots: dev messages-compile
	$(BIN)/python tools/screenshots.py --out docs/screenshots

clean:
	rm -rf $(VENV) var .pytest_cache
