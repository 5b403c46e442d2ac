"""Shared pieces of the operations tests: paths, the real checking tools, compose.yaml."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"
CADDYFILE = ROOT / "caddy" / "Caddyfile"
PROMETHEUS = ROOT / "monitoring" / "prometheus"
DASHBOARDS = ROOT / "monitoring" / "grafana" / "dashboards"

CADDY_ENV = {
    "API_HOST": "api.example.org",
    "MOODLE_HOST": "moodle.example.org",
    "GRAFANA_HOST": "grafana.example.org",
    "PORTAINER_HOST": "portainer.example.org",
    "ACME_EMAIL": "ops@example.org",
}

# The metrics the bridge and the workers promise to expose (the contract dashboards and alerts
# are written against), plus the backup textfile and Prometheus' own `up`.
APP_METRICS = frozenset({
    "bridge_http_requests_total",
    "bridge_http_request_duration_seconds_bucket",
    "bridge_submissions",
    "grader_queue_length",
    "grader_grading_duration_seconds_bucket",
    "grader_sandbox_failures_total",
    "grader_tasks_total",
    "bridge_delivery_retries_total",
    "bridge_deliveries_parked",
    "bridge_deliveries_woken_total",
    "bridge_tokens_issued_total",
    "backup_last_success_timestamp_seconds",
    "backup_last_size_bytes",
    "backup_last_run_success",
    "up",
})
EXPORTER_PREFIXES = ("node_", "container_")
PROMQL_WORDS = frozenset({
    "sum", "max", "min", "avg", "count", "by", "without", "on", "ignoring", "and", "or",
    "unless", "rate", "increase", "irate", "changes", "absent", "time", "histogram_quantile",
    "clamp_min", "clamp_max", "max_over_time", "min_over_time", "count_over_time", "le",
    "bool", "group_left", "group_right", "offset", "vector", "scalar", "topk", "bottomk",
})


def tool(name: str) -> str:
    """The path of a checking tool; fail (never skip) when it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run scripts/install-ops-tools.sh")
    return path


def run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a tool from the repository root and return its result (never raises on failure)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [tool(command[0]), *command[1:]],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@cache
def compose() -> dict[str, Any]:
    """compose.yaml as data (YAML anchors and merge keys resolved by PyYAML)."""
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def services() -> dict[str, dict[str, Any]]:
    """The services of compose.yaml by name."""
    found = compose()["services"]
    assert isinstance(found, dict)
    return found


_DEFAULTED = re.compile(r"\$\{(\w+):?-([^}]*)\}")


def with_defaults(value: str) -> str:
    """Resolve `${VAR:-default}` to its default, as compose would with VAR unset."""
    return _DEFAULTED.sub(lambda m: m.group(2), value)


def metric_names(expr: str) -> set[str]:
    """Metric names used in a PromQL expression (label matchers and strings removed)."""
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    stripped = re.sub(r"\{[^}]*\}", "", stripped)
    stripped = re.sub(r"\[[^\]]*\]", "", stripped)
    stripped = re.sub(r"\b(?:by|without|on|ignoring)\s*\([^)]*\)", "", stripped)
    words = set(re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b", stripped))
    return {w for w in words if w not in PROMQL_WORDS and not re.fullmatch(r"e\d*", w)}


def unknown_metrics(expr: str) -> set[str]:
    """Metric names in `expr` that no part of the stack exposes."""
    return {
        name
        for name in metric_names(expr)
        if name not in APP_METRICS and not name.startswith(EXPORTER_PREFIXES)
    }
