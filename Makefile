# The two commands a newcomer needs are `make run` and `make test` (see README.md).
# Everything else here is what they are made of. Prerequisites: Python >= 3.11 and Node >= 20.
#
# Each set-up step leaves a stamp file and is redone only when its inputs change, so a second
# `make run` or `make test` skips straight to the work:
#   .tools/bin/uv          uv itself, bootstrapped with pip into a private venv
#   .venv/.synced          `uv sync --frozen` (Python deps, dev group included) vs uv.lock
#   node_modules/.ci       `npm ci` vs package-lock.json
#   static/dist/.built     `npm run build` vs static/src and the installed packages

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules

PYTHON ?= python3
UV_VERSION ?= 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
# Two workers suit a 2-core machine; each gets its own test database (test_housing_gw0, ...).
PYTEST_ARGS ?= -n 2

# uv must use the Python that is here, never download one.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# npm: no audit or funding chatter, and no update check.
export npm_config_audit := false
export npm_config_fund := false
export npm_config_update_notifier := false

ASSET_SOURCES := $(shell find static/src -type f 2>/dev/null)

.PHONY: help run test bench install lint clean clean-data chromium

help: ## Show this list
	@echo "Housing management: make targets"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

# scripts/run.py does `migrate --noinput` and `seed_demo` itself, in the process that holds the
# embedded PostgreSQL open, then supervises runserver, the Celery worker and Celery beat.
run: install ## Set up, migrate, load demo data, then run web + Celery worker + beat (Ctrl-C stops all)
	$(PY) scripts/run.py

test: install chromium ## Set up, then lint, check migrations, and run the whole test suite
	$(VENV)/bin/ruff check .
	DJANGO_ENV=test $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: install ## Set up, then print performance figures (last line: one JSON object)
	$(PY) manage.py bench

install: $(VENV)/.synced static/dist/.built ## Create .venv, install locked deps, build front-end assets

lint: $(VENV)/.synced ## Run ruff
	$(VENV)/bin/ruff check .

chromium: ## Make sure Debian's Chromium is installed for the browser tests
	@bash scripts/ensure_chromium.sh

clean: ## Remove installed tools, dependencies and built assets (keeps the database in .data/)
	rm -rf $(TOOLS) $(VENV) node_modules static/dist staticfiles .ruff_cache .pytest_cache test-results
	find . -name __pycache__ -type d -not -path './.data/*' -prune -exec rm -rf {} +

clean-data: ## Delete the embedded database, broker queue and media under .data/ (stop `make run` first)
	@if [ -f .data/pg/postmaster.pid ] && kill -0 "$$(head -1 .data/pg/postmaster.pid)" 2>/dev/null; then \
		echo "The embedded PostgreSQL in .data/pg is running: stop 'make run' (and tests) first."; exit 1; fi
	rm -rf .data

# --- set-up steps ------------------------------------------------------------------------------

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "Python >= 3.11 is needed; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
		echo "Install a newer Python, or point make at one: make run PYTHON=python3.12"; exit 1; }
	@echo "==> Bootstrapping uv $(UV_VERSION) into $(TOOLS)/"
	@$(PYTHON) -m venv $(TOOLS) || { rm -rf $(TOOLS); \
		echo "'$(PYTHON) -m venv' failed. On Debian or Ubuntu: sudo apt-get install python3-venv"; exit 1; }
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	@echo "==> Installing Python dependencies from uv.lock into $(VENV)/"
	$(UV) sync --frozen
	@touch $@

node_modules/.ci: package.json package-lock.json
	@command -v node >/dev/null && node -e 'process.exit(parseInt(process.versions.node) < 20 ? 1 : 0)' || { \
		echo "Node.js >= 20 is needed (found: $$(node --version 2>/dev/null || echo none))."; exit 1; }
	@echo "==> Installing front-end packages from package-lock.json"
	npm ci --no-audit --no-fund
	@touch $@

static/dist/.built: node_modules/.ci $(ASSET_SOURCES)
	@echo "==> Building front-end assets into static/dist/"
	npm run build
	@touch $@
