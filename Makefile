# Moodle Bridge. The two set-up commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_DATABASE_URL ?= postgresql+psycopg://postgres:postgres@127.0.0.1:5432/bridge_test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

LOCKS := requirements.lock requirements-dev.lock

.PHONY: run test stack-test e2e venv lock docker images lint bench clean

# One venv for `make run` and `make test`, installed from the lock files alone (every package
# pinned and its hash checked), then the project itself without dependencies; reinstalled when
# a lock file or pyproject.toml changes. The images install requirements.lock the same way.
$(STAMP): $(LOCKS) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes -r requirements.lock -r requirements-dev.lock
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

venv: $(STAMP)

docker:
	.ci/services.sh docker

images: venv docker
	$(BIN)/grader images build

# Refresh both lock files after a change of dependencies in pyproject.toml (scripts/lock.sh);
# `make lock LOCK_ARGS=--upgrade` moves every pin to the newest release that fits.
lock: venv
	scripts/lock.sh

# The bridge on http://127.0.0.1:8000, a grading worker and the Moodle worker (with the
# scheduler), on embedded defaults: SQLite in var/ and a filesystem broker, real Docker
# sandboxes. Ctrl-C, or SIGTERM/SIGINT to the process group, stops all of it (scripts/run.sh).
run: images
	BIN=$(BIN) scripts/run.sh

test: venv
	.ci/services.sh test
	scripts/install-ops-tools.sh
	$(BIN)/grader images build
	$(BIN)/ruff check bridge grader tests
	$(BIN)/lint-imports
	scripts/check-php.sh
	scripts/check-ops.sh
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) \
	  $(BIN)/pytest -p no:cacheprovider --ignore=tests/stack tests

# compose.yaml started for real (tests/stack): images built offline from Debian, the whole
# stack up with `docker compose up --wait`, the core flow, Prometheus, a backup and a restore,
# then everything removed. About 5 minutes, 3 of them for the first image build.
stack-test: venv docker
	scripts/stack-images.sh >/dev/null
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/pytest -p no:cacheprovider tests/stack

# The load-and-fault harness (issue 14, tests/e2e/harness): every service a process of its own
# (a PostgreSQL cluster and Redis of its own, the bridge behind Caddy), exam bursts with 1, 2
# and 4 grading workers, then one run per fault; prints latencies, throughput, recovery, memory.
# E2E_ARGS=--quick for the short form; E2E_ARGS=--docker-restart also restarts the engine.
e2e: images
	.ci/services.sh test
	$(BIN)/python -m tests.e2e.harness $(E2E_ARGS)

lint: venv
	$(BIN)/ruff check bridge grader tests
	$(BIN)/lint-imports
	$(BIN)/mypy bridge grader

bench: images
	$(BIN)/python -m grader.bench

clean:
	rm -rf var/broker var/images
