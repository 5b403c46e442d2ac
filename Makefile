# Moodle Bridge. The two set-up commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_DATABASE_URL ?= postgresql+psycopg://postgres:postgres@127.0.0.1:5432/bridge_test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test venv docker images lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

docker:
	.ci/services.sh docker

images: venv docker
	$(BIN)/grader images build

# The bridge on http://127.0.0.1:8000 and one grader worker, on embedded defaults:
# SQLite in var/ and a filesystem broker, real Docker sandboxes.
run: images
	@mkdir -p var
	@for f in api_key secret_key; do [ -s var/$$f ] || (umask 077; $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(32))' > var/$$f); done
	@echo "API key: var/api_key   (curl -H \"X-API-Key: \$$(cat var/api_key)\" ...)"
	$(BIN)/bridge migrate
	@rm -rf var/worker-metrics && mkdir -p var/worker-metrics
	@set -m; export BRIDGE_API_KEY="$$(cat var/api_key)" BRIDGE_SECRET_KEY="$$(cat var/secret_key)"; \
	PROMETHEUS_MULTIPROC_DIR=var/worker-metrics $(BIN)/celery -A grader.worker worker --beat --schedule var/celerybeat-schedule \
	  --loglevel INFO --concurrency 2 --hostname grader@%h & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/bridge serve --host 127.0.0.1 --port 8000

test: venv
	.ci/services.sh test
	scripts/install-ops-tools.sh
	$(BIN)/grader images build
	$(BIN)/ruff check bridge grader tests
	scripts/check-php.sh
	scripts/check-ops.sh
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) \
	  $(BIN)/pytest -p no:cacheprovider tests

lint: venv
	$(BIN)/ruff check bridge grader tests
	$(BIN)/mypy bridge grader

bench: images
	$(BIN)/python -m grader.bench

clean:
	rm -rf var/broker var/images
