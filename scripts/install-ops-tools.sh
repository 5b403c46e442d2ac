#!/usr/bin/env bash
# Install the tools that check the operations files (caddy validate, promtool,
# amtool, shellcheck) and the ones the backup test drives (pg_dump, pg_restore,
# age). Idempotent: does nothing when every tool is already on PATH.
set -euo pipefail

packages=(caddy prometheus prometheus-alertmanager shellcheck postgresql-client age)
tools=(caddy promtool amtool shellcheck pg_dump pg_restore age)

missing=0
for tool in "${tools[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || missing=1
done
[[ $missing -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
    echo "install-ops-tools: need root to install: ${packages[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_install() {
    apt-get install -y --no-install-recommends "${packages[@]}"
}
# An old or empty package list is the usual reason a candidate is missing.
if ! apt_install; then
    apt-get update
    apt_install
fi

