# connect back office. `make run` starts everything on the embedded defaults; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export PORT
# The public development secrets are accepted only in development and tests (core/config.py); deployments set
# ENVIRONMENT=production with their own secrets.
ENVIRONMENT ?= development
export ENVIRONMENT

.PHONY: help install translations-extract translations-update translations-compile chromium fonts scan-tools run demo test test-unit lint bench clean resilience soak

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/backoffice: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/backoffice translations-compile  ## create .venv, install the package with its test tools, compile the catalogues

# gettext catalogues: web/translations/<lang>/LC_MESSAGES/messages.po (English is the source). Besides _() and
# ngettext(), texts are marked with translate() (web.i18n), N_() (core.translatable: a constant translated where it
# is shown) and _with() (the help pages' texts with controls in them).
MARKERS := -k translate -k N_ -k _with -k ngettext:1,2 -k plural:1,2
CATALOGUES := web/translations

# Sorted, without source locations: a catalogue changes only where a text changes, not whenever code moves.
translations-extract: $(BIN)/backoffice  ## collect the marked texts of the code and page templates into messages.pot
	$(BIN)/pybabel extract -F babel.cfg $(MARKERS) --no-wrap --no-location --sort-output \
	  --project "connect back office" -o $(CATALOGUES)/messages.pot .

translations-update: $(BIN)/backoffice  ## merge messages.pot into each language's messages.po (new texts wait for a translator)
	$(BIN)/pybabel update -i $(CATALOGUES)/messages.pot -d $(CATALOGUES) --no-wrap --no-fuzzy-matching

translations-compile: $(BIN)/backoffice  ## the .mo files the application reads (build output, not in git)
	$(BIN)/pybabel compile -d $(CATALOGUES) --statistics

chromium:  ## Debian's chromium for the browser tests (playwright cannot download browsers here)
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

fonts:  ## Debian's Liberation fonts, embedded in every letter (PDF/A)
	@test -f /usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-liberation >/dev/null)

scan-tools:  ## poppler's pdftoppm and zbarimg: the tests print a letter to pixels and scan its barcode back
	@command -v pdftoppm >/dev/null && command -v zbarimg >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils zbar-tools >/dev/null)

demo: install fonts  ## migrate the embedded database and load the small demo register
	$(BIN)/backoffice db upgrade
	$(BIN)/backoffice members import demo/members.csv
	$(BIN)/backoffice staff create --username demo.clerk --name "Demo Clerk" --email clerk@example.ch --role supervisor --password-file demo/staff-password.txt --if-missing

# honcho hands each process type its own PORT (web $(PORT), worker +100, beat +200), so the worker, which prints
# the registration link on letters, is told the web's address here rather than guessing it from its own PORT.
run: demo  ## web, worker and beat on SQLite and kombu's SQLAlchemy transport, at http://127.0.0.1:$(PORT)
	PUBLIC_BASE_URL="$${PUBLIC_BASE_URL:-http://127.0.0.1:$(PORT)}" $(BIN)/honcho start -f Procfile

test: install chromium fonts scan-tools  ## the whole suite: unit, integration (PostgreSQL, Redis) and e2e (worker, browser)
	$(BIN)/pytest -q

test-unit: install fonts scan-tools  ## only the fast, pure tests
	$(BIN)/pytest -q tests/unit

resilience: install fonts  ## faults and attacks (tests/resilience, tests/security); prints the resilience table
	$(BIN)/pytest -q tests/resilience tests/security

soak: install fonts  ## the full soak: 10,000 requests, the worker killed every 30 s (SOAK_REQUESTS, SOAK_KILL_EVERY, SOAK_RATE)
	SOAK_REQUESTS=$${SOAK_REQUESTS:-10000} SOAK_KILL_EVERY=$${SOAK_KILL_EVERY:-30} SOAK_RATE=$${SOAK_RATE:-17} \
	  $(BIN)/pytest -q -s tests/resilience/test_soak.py

lint: install  ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install fonts  ## benchmarks: letters, mailing through the workers, intake, latency, login, sweep, desk, pages
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)
	$(BIN)/python -m bench

clean:  ## remove the embedded data under var/
	rm -rf var
