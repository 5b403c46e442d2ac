#!/usr/bin/env bash
# Refresh the lock files (`make lock`): every Python package that `make run`, `make test` and
# the images install, pinned with its hashes, resolved once for every platform the images may
# run on (amd64 and arm64 alike) and Python 3.11.
#   requirements.lock      pyproject.toml's dependencies and its build system (setuptools)
#   requirements-dev.lock  the same pins, plus the `dev` extra (tests, linters, uv itself)
# Pins already in a lock are kept unless they no longer fit pyproject.toml; to move them on:
#   make lock LOCK_ARGS=--upgrade                  (everything)
#   make lock LOCK_ARGS='--upgrade-package fastapi' (one package)
set -euo pipefail
cd "$(dirname "$0")/.."

uv=${UV:-.venv/bin/uv}
python=${PYTHON:-python3}
# shellcheck disable=SC2206  # LOCK_ARGS is a list of options, split on purpose
extra=(${LOCK_ARGS:-})
common=(--universal --python-version 3.11 --generate-hashes --quiet
        --custom-compile-command "make lock" "${extra[@]}")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
compile() {  # compile LOCK ARGS...: uv keeps LOCK's pins as preferences; replaced only if changed
    local lock=$1
    shift
    [[ -f $lock ]] && cp "$lock" "$work/$lock"
    "$uv" pip compile "$@" "${common[@]}" --output-file "$work/$lock"
    # An unchanged lock keeps its time stamp: make reinstalls the venv only for a real change.
    cmp -s "$work/$lock" "$lock" || mv "$work/$lock" "$lock"
}

# The build system is installed from the lock too: `pip install --no-build-isolation .`.
"$python" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"]))' \
    | compile requirements.lock pyproject.toml -
# The dev lock repeats the runtime pins exactly: both files are installed together.
compile requirements-dev.lock pyproject.toml --extra dev --constraint requirements.lock
echo "lock: requirements.lock ($(grep -c '==' requirements.lock) packages)," \
     "requirements-dev.lock ($(grep -c '==' requirements-dev.lock) packages)"
