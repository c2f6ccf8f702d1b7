# Closer: every target creates and uses .venv itself, so a fresh clone needs only Python 3.11+.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint pytest bench chaos diagram migrate clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Closer needs Python 3.11 or newer; set PYTHON=python3.11")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

## With TELEGRAM_BOT_TOKEN (environment or .env): run the bot on Telegram. Without one:
## start the local Bot API stand-in and the bot against it, and chat in this terminal
## (LANGUAGE=ru or es: as someone whose Telegram is in that language).
run: $(STAMP)
	@if [ -n "$$TELEGRAM_BOT_TOKEN" ] || grep -qsE '^TELEGRAM_BOT_TOKEN=.+' .env; then \
		$(PY) -m bot; \
	else \
		$(PY) -m standin.localrun --language "$(or $(LANGUAGE),en)" -- $(PY) -m bot; \
	fi

## Lint, type-check and run every test; fails on the first problem.
test: lint pytest

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy .

pytest: $(STAMP)
	$(PY) -m pytest

## Benchmarks; figures go to bench/results/latest.json and BENCHMARKS.md quotes them.
## QUICK=1 for a reduced run (under three minutes).
bench: $(STAMP)
	$(PY) -m bench $(if $(QUICK),--quick,)

## Fault drills: SIGKILLs mid-conversation, a failing Bot API, fuzzed updates, a database
## that goes away. Figures go to docs/RELIABILITY.md. QUICK=1 for the reduced version.
chaos: $(STAMP)
	$(PY) -m chaos $(if $(QUICK),--quick,)

## Apply database migrations to DATABASE_URL (the bot also does this at start-up).
migrate: $(STAMP)
	$(PY) -m storage.migrate

## Redraw docs/dialogue.md from the machine after changing the flow.
diagram: $(STAMP)
	$(PY) -m dialogs.diagram --write docs/dialogue.md

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
