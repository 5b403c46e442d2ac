#!/usr/bin/env bash
# Check every operations file with the real tools (install them with
# scripts/install-ops-tools.sh): Caddy's config in both TLS modes, Prometheus' config, rules and
# rule unit tests, Alertmanager's config, and every shell script in the repository.
set -euo pipefail
cd "$(dirname "$0")/.."

failures=0
check() {
    local name=$1
    shift
    if output=$("$@" 2>&1); then
        printf 'ok    %s\n' "$name"
    else
        printf 'FAIL  %s\n%s\n' "$name" "$output"
        failures=$((failures + 1))
    fi
}

caddy_env=(
    API_HOST=api.example.org MOODLE_HOST=moodle.example.org GRAFANA_HOST=grafana.example.org
    PORTAINER_HOST=portainer.example.org ACME_EMAIL=ops@example.org
)
check "caddy validate (acme)" \
    env "${caddy_env[@]}" TLS_MODE=acme caddy validate --config caddy/Caddyfile --adapter caddyfile
check "caddy validate (local certificates)" \
    env "${caddy_env[@]}" TLS_MODE=local caddy validate --config caddy/Caddyfile --adapter caddyfile
check "promtool check config" promtool check config monitoring/prometheus/prometheus.yml
check "promtool check rules" promtool check rules monitoring/prometheus/alerts.yml
check "promtool test rules" promtool test rules monitoring/prometheus/alerts.test.yml
if command -v amtool >/dev/null 2>&1; then
    check "amtool check-config" amtool check-config monitoring/alertmanager/alertmanager.yml
else
    echo "skip  amtool check-config (amtool not installed)"
fi

# compose.yaml as Docker Compose itself reads it, with every required value filled in, alone
# and with the stack test's override.
compose_env=$(mktemp)
trap 'rm -f "$compose_env"' EXIT
sed -E 's/^([A-Z_]+)=$/\1=check-ops-placeholder-0123456789/' .env.example >"$compose_env"
echo "STACK_DOCKER_GID=0" >>"$compose_env"
compose=${DOCKER_COMPOSE:-$(command -v docker-compose || echo .venv/bin/docker-compose)}
check "docker compose config" "$compose" --env-file "$compose_env" -f compose.yaml config -q
check "docker compose config (stack test override)" "$compose" --env-file "$compose_env" \
    -f compose.yaml -f tests/stack/compose.override.yaml config -q

scripts=()
while IFS= read -r script; do
    [[ -f $script ]] && scripts+=("$script")
done < <(
    git ls-files --cached --others --exclude-standard -- '*.sh' 2>/dev/null \
        || find . -name '*.sh' -not -path './.git/*' -not -path './.venv/*' -not -path '*/node_modules/*'
)
if [[ ${#scripts[@]} -gt 0 ]]; then
    check "shellcheck (${#scripts[@]} scripts)" shellcheck --severity=style "${scripts[@]}"
fi

if [[ $failures -gt 0 ]]; then
    echo "check-ops: $failures check(s) failed" >&2
    exit 1
fi
echo "check-ops: all checks passed"
