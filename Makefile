# EventHub: `make run` serves the app with demo data; `make test` passes the whole suite.
# Both set up .venv from pyproject.toml first; nothing else needs installing by hand.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
TRANSLATIONS := eventhub/translations
PO_FILES := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
HOST ?= 127.0.0.1
PORT ?= 5000
# Links in mail and feeds follow the port `make run` serves on, unless the environment sets
# EVENTHUB_PUBLIC_BASE_URL (e.g. the address a proxy or another machine reaches it by).
EVENTHUB_PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: help install run serve worker up test test-sqlite test-postgres lint format bench \
        translations extract-messages update-messages browser-deps node-deps clean

help:
	@echo "make run      set up, migrate, load demo data and serve on http://$(HOST):$(PORT)"
	@echo "make serve    gunicorn with several processes (web only; run make worker beside it)"
	@echo "make worker   the scheduler's jobs in a process of their own (mail, reminders, ...)"
	@echo "make up       web and worker together from the Procfile (honcho)"
	@echo "make test     set up and run lint plus the test suite (SQLite, then PostgreSQL)"
	@echo "make lint     ruff check, ruff format --check and the import contracts"
	@echo "make bench    run the benchmarks under benchmarks/"
	@echo "make extract-messages / update-messages / translations   Babel catalogs"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# Compiled catalogs are build output, not committed.
%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

translations: $(MO_FILES)

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o $(TRANSLATIONS)/messages.pot --no-location --sort-output .

update-messages: extract-messages
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching

run: install translations
	$(BIN)/eventhub db upgrade
	$(BIN)/eventhub seed-demo
	@echo
	@echo "  EventHub is starting on http://$(HOST):$(PORT)  (Ctrl+C stops it)"
	@echo "  Mail goes to instance/mail/ as .eml files."
	@echo
	@echo "  Links in mail and feeds start with $(EVENTHUB_PUBLIC_BASE_URL)"
	EVENTHUB_PUBLIC_BASE_URL=$(EVENTHUB_PUBLIC_BASE_URL) $(BIN)/eventhub run --host $(HOST) --port $(PORT) --no-reload

# ruff, then the import direction between and inside the areas (docs/architecture.md).
# The production shape: gunicorn (settings in eventhub/gunicorn_conf.py, docs/deploy.md) with
# the embedded scheduler off; the jobs run in `make worker`. Uses the same settings as the app
# (EVENTHUB_ENV, DATABASE_URL, EVENTHUB_SECRET_KEY ...).
serve: install translations
	$(BIN)/eventhub db upgrade
	EVENTHUB_SCHEDULER_EMBEDDED=false $(BIN)/gunicorn -c python:eventhub.gunicorn_conf 'eventhub:create_app()'

worker: install translations
	$(BIN)/eventhub db upgrade
	EVENTHUB_SCHEDULER_EMBEDDED=false $(BIN)/eventhub worker

up: install translations
	$(BIN)/eventhub db upgrade
	$(BIN)/honcho start -f Procfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Debian's Chromium for the browser tests, with a Korean font so that Korean pages are measured
# (and screenshotted) with real glyph widths. Installed when we may (root with apt-get);
# otherwise the browser tests skip with a reason (and fail under CI=true).
browser-deps:
	@if command -v chromium >/dev/null 2>&1 && fc-list :lang=ko 2>/dev/null | grep -q .; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium and fonts-noto-cjk for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	elif command -v chromium >/dev/null 2>&1; then echo "no Korean font: Korean screenshots show boxes"; \
	else echo "chromium not found and cannot be installed here: browser tests will skip"; fi

# ical.js (Thunderbird's iCalendar parser) for the feed interoperability tests, pinned by
# tests/js/package-lock.json. Without Node.js those tests skip (and fail under CI=true).
node-deps:
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/js --silent --no-audit --no-fund; \
	else echo "npm not found: the ical.js interoperability tests will skip"; fi

test: install translations lint browser-deps node-deps test-sqlite test-postgres

test-sqlite: install translations
	$(BIN)/pytest -p no:cacheprovider

# Skips with a reason without EVENTHUB_TEST_POSTGRES_URL; fails instead under CI=true.
test-postgres: install translations
	$(BIN)/pytest -p no:cacheprovider --backend=postgresql

bench: install translations
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) $(MO_FILES) .pytest_cache .ruff_cache
