"""The operations files pass the real tools: caddy, promtool, amtool, shellcheck."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from tests.ops.helpers import CADDY_ENV, CADDYFILE, PROMETHEUS, ROOT, run, tool, unknown_metrics

REQUIRED_ALERTS = {
    "GraderQueueStuck",
    "GraderHighFailureRate",
    "GraderWorkerDown",
    "GraderNoWorkers",
    "DeliveriesParked",
    "BackupStale",
    "BackupFailed",
}


def caddy_json(mode: str) -> dict[str, Any]:
    adapted = run(
        "caddy", "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile",
        env={**CADDY_ENV, "TLS_MODE": mode},
    )
    assert adapted.returncode == 0, adapted.stderr
    config = json.loads(adapted.stdout)
    assert isinstance(config, dict)
    return config


@pytest.mark.parametrize("mode", ["acme", "local"])
def test_caddyfile_validates(mode: str) -> None:
    done = run(
        "caddy", "validate", "--config", str(CADDYFILE), "--adapter", "caddyfile",
        env={**CADDY_ENV, "TLS_MODE": mode},
    )
    assert done.returncode == 0, done.stderr
    assert "Valid configuration" in done.stdout + done.stderr


def test_caddyfile_refuses_an_unknown_tls_mode_and_a_missing_host() -> None:
    bad_mode = run(
        "caddy", "validate", "--config", str(CADDYFILE), "--adapter", "caddyfile",
        env={**CADDY_ENV, "TLS_MODE": "plaintext"},
    )
    no_host = run(
        "caddy", "validate", "--config", str(CADDYFILE), "--adapter", "caddyfile",
        env={**CADDY_ENV, "API_HOST": ""},
    )
    assert bad_mode.returncode != 0
    assert no_host.returncode != 0


def test_local_mode_uses_caddys_own_ca_and_acme_mode_does_not() -> None:
    local = json.dumps(caddy_json("local")["apps"]["tls"])
    acme = json.dumps(caddy_json("acme")["apps"].get("tls", {}))
    assert '"module": "internal"' in local
    assert '"module": "internal"' not in acme


def test_every_host_is_proxied_with_security_headers() -> None:
    config = caddy_json("acme")
    text = json.dumps(config)
    routes = config["apps"]["http"]["servers"]["srv0"]["routes"]
    hosts = {host for route in routes for match in route["match"] for host in match["host"]}
    assert hosts == set(CADDY_ENV.values()) - {CADDY_ENV["ACME_EMAIL"]}
    for upstream in ("bridge:8000", "moodle:80", "grafana:3000", "portainer:9000"):
        assert f'"dial": "{upstream}"' in text
    assert text.count("Strict-Transport-Security") == 4
    assert text.count('"X-Content-Type-Options"') == 4
    assert "{http.request.uuid}" in text  # a request id the client cannot choose


def test_bridge_metrics_are_not_public() -> None:
    config = caddy_json("acme")
    api_route = next(
        route for route in config["apps"]["http"]["servers"]["srv0"]["routes"]
        if CADDY_ENV["API_HOST"] in route["match"][0]["host"]
    )
    text = json.dumps(api_route)
    assert '"/metrics"' in text
    assert '"status_code": 404' in text


def test_prometheus_config_is_valid() -> None:
    done = run("promtool", "check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_alert_rules_are_valid() -> None:
    done = run("promtool", "check", "rules", str(PROMETHEUS / "alerts.yml"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_alert_rules_pass_their_unit_tests() -> None:
    done = run("promtool", "test", "rules", str(PROMETHEUS / "alerts.test.yml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_every_alert_is_documented_and_tested_firing() -> None:
    rules = [
        rule
        for group in yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
        for rule in group["rules"]
    ]
    tests = yaml.safe_load((PROMETHEUS / "alerts.test.yml").read_text())["tests"]
    fired = {
        case["alertname"]
        for test in tests
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    names = {rule["alert"] for rule in rules}
    assert names >= REQUIRED_ALERTS
    assert names == fired, f"alerts without a firing test: {names - fired}"
    for rule in rules:
        assert rule["labels"]["severity"] in {"page", "ticket"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        assert not unknown_metrics(rule["expr"]), (rule["alert"], unknown_metrics(rule["expr"]))


def test_alertmanager_config_is_valid() -> None:
    done = run("amtool", "check-config", str(ROOT / "monitoring/alertmanager/alertmanager.yml"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_shell_script_passes_shellcheck() -> None:
    listed = run("git", "ls-files", "--cached", "--others", "--exclude-standard", "--", "*.sh")
    assert listed.returncode == 0, listed.stderr
    scripts = sorted(name for name in listed.stdout.split() if (ROOT / name).is_file())
    assert "backups/backup.sh" in scripts
    done = run("shellcheck", "--severity=style", *scripts)
    assert done.returncode == 0, done.stdout


def test_check_ops_script_passes() -> None:
    tool("bash")
    done = run("bash", str(ROOT / "scripts" / "check-ops.sh"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all checks passed" in done.stdout
