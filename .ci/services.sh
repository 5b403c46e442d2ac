#!/usr/bin/env bash
# Install (Debian packages) and start what the project needs, when absent:
#   .ci/services.sh docker          dockerd + debootstrap (runner images)
#   .ci/services.sh test            PostgreSQL, Redis, dockerd, PHP, the ops tools, Chromium
# Idempotent: a running service is left alone. Needs root (apt-get, dockerd).
set -euo pipefail

log() { printf '[services] %s\n' "$*" >&2; }

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    log "need root to install packages: sudo apt-get install ${missing[*]}"; exit 1
  fi
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
    apt-get update -qq
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

start_docker() {
  apt_install docker.io debootstrap
  if docker info >/dev/null 2>&1; then return 0; fi
  log "starting dockerd"
  mkdir -p /var/log
  # A session of its own: a caller killed with its process group (a timeout) must not take
  # the machine's engine with it.
  setsid nohup dockerd >>/var/log/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return 0
    sleep 1
  done
  log "dockerd did not start; see /var/log/dockerd.log"; tail -n 20 /var/log/dockerd.log >&2; exit 1
}

start_postgres() {
  apt_install postgresql postgresql-contrib
  local version
  version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf "%f\n" | sort -n | tail -n1)
  if ! pg_lsclusters -h 2>/dev/null | grep -q .; then
    pg_createcluster "$version" main >/dev/null
  fi
  local cluster
  cluster=$(pg_lsclusters -h | head -n1 | awk '{print $1" "$2}')
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    log "starting PostgreSQL $cluster"
    # shellcheck disable=SC2086
    pg_ctlcluster $cluster start
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  su postgres -c "psql -qtAc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
}

start_redis() {
  apt_install redis-server
  if redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then return 0; fi
  log "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no >/dev/null
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && return 0; sleep 0.5; done
  log "Redis did not start"; exit 1
}

case "${1:-test}" in
  docker) start_docker ;;
  test)
    start_docker
    start_postgres
    start_redis
    apt_install php-cli phpunit php-curl php-mbstring php-xml caddy prometheus \
      prometheus-alertmanager shellcheck
    # Headless Chromium for the real-browser sign-on test (Playwright drives it; it never
    # downloads a browser of its own).
    apt_install chromium
    ;;
  *) echo "usage: $0 [docker|test]" >&2; exit 2 ;;
esac
