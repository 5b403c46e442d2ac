#!/usr/bin/env bash
# `make run`: the bridge on http://$HOST:$PORT, a grading worker, and the Moodle worker with the
# scheduler (Celery beat), on the embedded defaults (SQLite in var/bridge.db, a filesystem broker
# in var/broker/) unless the environment or .env says otherwise; real Docker sandboxes.
# The grading worker gets no secret: only the bridge and the Moodle worker hold the API key and
# the secret key (var/api_key, var/secret_key, written on first run).
#
# Stopping: SIGTERM, SIGINT (Ctrl-C) or SIGHUP, sent to this script alone or to its whole
# process group (a terminal, a service manager, CI). Each child runs in a session of its own, so
# only this script signals it, once: the workers shut down warm (a grading run finishes, warm
# sandbox containers are removed), the bridge closes its connections. Whatever is still alive
# after STOP_TIMEOUT seconds is killed with its pool processes, and the sandbox containers of
# dead workers are removed. If one child exits by itself, the others are stopped the same way.
#
# Settings (environment): BIN (.venv/bin), VAR (var), HOST, PORT (8000), STOP_TIMEOUT (30),
# GRADING_METRICS_PORT (9808), MOODLE_METRICS_PORT (9809), LOG_FORMAT (text on a terminal,
# else json).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-.venv/bin}
VAR=${VAR:-var}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
STOP_TIMEOUT=${STOP_TIMEOUT:-30}
GRADING_METRICS_PORT=${GRADING_METRICS_PORT:-9808}
MOODLE_METRICS_PORT=${MOODLE_METRICS_PORT:-9809}
SECRETS=(BRIDGE_API_KEY BRIDGE_SECRET_KEY MOODLE_SITES)

log() { printf '[run] %s\n' "$*" >&2; }

# Readable lines for a person at a terminal; JSON lines for anything that collects logs.
if [[ -z ${LOG_FORMAT:-} ]]; then
    if [[ -t 1 ]]; then LOG_FORMAT=text; else LOG_FORMAT=json; fi
fi
export LOG_FORMAT

mkdir -p "$VAR"
for name in api_key secret_key; do
    if [[ ! -s $VAR/$name ]]; then
        (umask 077 && "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(32))' >"$VAR/$name")
    fi
done
echo "API key: $VAR/api_key   (curl -H \"X-API-Key: \$(cat $VAR/api_key)\" http://$HOST:$PORT/...)"

# Before migrate: it publishes the first signing key, encrypted with BRIDGE_SECRET_KEY (the
# grading worker is started without either; see SECRETS).
BRIDGE_API_KEY=$(cat "$VAR/api_key")
BRIDGE_SECRET_KEY=$(cat "$VAR/secret_key")
export BRIDGE_API_KEY BRIDGE_SECRET_KEY
"$BIN/bridge" migrate
rm -rf "$VAR/metrics"
mkdir -p "$VAR/metrics/grading" "$VAR/metrics/moodle"

children=()
names=()
stopping=0
signal=""

start() {  # start NAME COMMAND...: in a session of its own (its pid is its session id)
    [[ $stopping -eq 0 ]] || return 0
    local name=$1
    shift
    setsid "$@" &
    children+=("$!")
    names+=("$name")
}

running() {  # the processes, pool children included, left in the children's sessions
    local sessions
    sessions=$(IFS=,; echo "${children[*]}")
    [[ -n $sessions ]] || return 0
    # Zombies are gone already: they wait only to be reaped by whoever adopted them.
    { ps -o pid=,stat= -s "$sessions" 2>/dev/null || true; } | awk '$2 !~ /^Z/ {print $1}'
}

stop() {
    trap '' INT TERM HUP  # one stop, however many signals arrive meanwhile
    [[ $stopping -eq 0 ]] || return 0
    stopping=1
    log "stopping: ${names[*]:-nothing started}"
    local pid
    for pid in "${children[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while [[ -n $(running) ]]; do
        if ((SECONDS >= deadline)); then
            log "still running after ${STOP_TIMEOUT}s, killed: $(running | tr '\n' ' ')"
            for pid in "${children[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
            break
        fi
        sleep 0.2
    done
    wait 2>/dev/null || true
    # A worker killed mid-run could not remove its sandboxes: remove those of dead owners.
    "$BIN/python" -c 'import docker; from grader import reap_orphans
removed = reap_orphans(docker.from_env())
if removed: print(f"[run] removed {len(removed)} sandbox containers of stopped workers")' \
        || log "could not check for leftover sandbox containers"
    log "stopped"
}

# shellcheck disable=SC2317  # called from the traps below
on_signal() {
    signal=$1
    stop
}

trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

unset_secrets=()
for name in "${SECRETS[@]}"; do unset_secrets+=(-u "$name"); done
start grading env "${unset_secrets[@]}" \
    PROMETHEUS_MULTIPROC_DIR="$VAR/metrics/grading" WORKER_METRICS_PORT="$GRADING_METRICS_PORT" \
    "$BIN/celery" -A bridge.worker.app worker -Q grading --concurrency 2 \
    --loglevel INFO --hostname "grading@%h"

start moodle env \
    PROMETHEUS_MULTIPROC_DIR="$VAR/metrics/moodle" WORKER_METRICS_PORT="$MOODLE_METRICS_PORT" \
    "$BIN/celery" -A bridge.worker.app worker -Q moodle --concurrency 2 --beat \
    --schedule "$VAR/celerybeat-schedule" --loglevel INFO --hostname "moodle@%h"
start bridge "$BIN/bridge" serve --host "$HOST" --port "$PORT"

# Until a signal arrives or a child exits by itself; either way everything is stopped.
status=0
wait -n || status=$?
if [[ -z $signal && $stopping -eq 0 ]]; then
    log "a process exited by itself (status $status)"
fi
stop
if [[ -n $signal ]]; then
    # Die of the signal, so that make or a service manager sees why the run ended.
    trap - "$signal"
    kill -s "$signal" "$$"
fi
exit $((status == 0 ? 1 : status))
