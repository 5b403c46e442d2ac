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

# The bridge on http://127.0.0.1:8000, a grading worker and the Moodle worker (with the
# scheduler), on embedded defaults: SQLite in var/ and a filesystem broker, real Docker
# sandboxes. The grading worker is started before the secrets are exported: only the bridge
# and the Moodle worker hold the API key and the secret key.
run: images
	@mkdir -p var
	@for f in api_key secret_key; do [ -s var/$$f ] || (umask 077; $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(32))' > var/$$f); done
	@echo "API key: var/api_key   (curl -H \"X-API-Key: \$$(cat var/api_key)\" ...)"
	$(BIN)/bridge migrate
	@rm -rf var/metrics && mkdir -p var/metrics/grading var/metrics/moodle
	@set -m; \
	PROMETHEUS_MULTIPROC_DIR=var/metrics/grading WORKER_METRICS_PORT=9808 \
	  $(BIN)/celery -A bridge.worker.app worker -Q grading --concurrency 2 \
	  --loglevel INFO --hostname grading@%h & grading=$$!; \
	export BRIDGE_API_KEY="$$(cat var/api_key)" BRIDGE_SECRET_KEY="$$(cat var/secret_key)"; \
	PROMETHEUS_MULTIPROC_DIR=var/metrics/moodle WORKER_METRICS_PORT=9809 \
	  $(BIN)/celery -A bridge.worker.app worker -Q moodle --concurrency 2 --beat \
	  --schedule var/celerybeat-schedule --loglevel INFO --hostname moodle@%h & moodle=$$!; \
	trap 'kill -TERM $$grading $$moodle 2>/dev/null; wait $$grading $$moodle' EXIT INT TERM; \
	$(BIN)/bridge serve --host 127.0.0.1 --port 8000

test: venv
	.ci/services.sh test
	scripts/install-ops-tools.sh
	$(BIN)/grader images build
	$(BIN)/ruff check bridge grader tests
	$(BIN)/lint-imports
	scripts/check-php.sh
	scripts/check-ops.sh
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) \
	  $(BIN)/pytest -p no:cacheprovider tests

lint: venv
	$(BIN)/ruff check bridge grader tests
	$(BIN)/lint-imports
	$(BIN)/mypy bridge grader

bench: images
	$(BIN)/python -m grader.bench

clean:
	rm -rf var/broker var/images
