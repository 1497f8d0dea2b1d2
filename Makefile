# Credential Catalog: `make dev` runs the whole product, `make test` runs the whole suite.
# Both install what they need (apt, pip, mvn) or say exactly what is missing.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
export OPENSEARCH_URL ?= http://127.0.0.1:9200
export REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: dev test services-up services-down install browsers lock clean-instance help

help:
	@echo "make dev            services, migrations, taxonomy, demo data, web on http://127.0.0.1:5000, relay and rebuild workers, beat"
	@echo "make test           the whole suite against real OpenSearch, Redis, SQLite and PostgreSQL"
	@echo "make services-up    start OpenSearch, Redis and PostgreSQL in the background (idempotent)"
	@echo "make services-down  stop them"

$(STAMP): pyproject.toml constraints.txt
	@scripts/require-python "$(PYTHON)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c constraints.txt -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

browsers:
	@scripts/require-chromium

services-up:
	@scripts/redis-local start
	@scripts/postgres-local start
	@scripts/opensearch-local start

services-down:
	-@scripts/opensearch-local stop
	-@scripts/redis-local stop
	-@scripts/postgres-local stop

dev: install services-up
	@scripts/dev

# The layer contracts, then the whole suite on SQLite and, beside it, every test that touches the
# database (marked `db` by tests/conftest.py) on a throwaway PostgreSQL database (scripts/test-suite).
test: install services-up browsers
	$(VENV)/bin/lint-imports
	scripts/test-suite $(PYTEST_ARGS)

# Re-pin after changing dependencies in pyproject.toml.
lock: $(STAMP)
	$(PIP) freeze --exclude-editable | grep -v '^credential-catalog' > constraints.txt
