"""Grafana provisioning and dashboards: valid JSON, the provisioned datasource, real PromQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.ops.helpers import APP_METRICS, DASHBOARDS, ROOT, run, services, unknown_metrics

PROVISIONING = ROOT / "monitoring" / "grafana" / "provisioning"


def dashboards() -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text()) for path in sorted(DASHBOARDS.glob("*.json"))}


def targets(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [target for panel in board["panels"] for target in panel.get("targets", [])]


def test_grading_delivery_and_sso_dashboards_exist() -> None:
    assert {"grading.json", "delivery.json", "sso.json"} <= set(dashboards())


def test_dashboards_have_unique_uids_and_use_the_provisioned_datasource() -> None:
    datasources = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yml").read_text())
    prometheus = next(d for d in datasources["datasources"] if d["type"] == "prometheus")
    assert prometheus["url"] == "http://prometheus:9090"
    uids = [board["uid"] for board in dashboards().values()]
    assert len(uids) == len(set(uids))
    for name, board in dashboards().items():
        assert targets(board), f"{name} has no queries"
        for panel in board["panels"]:
            if panel["type"] != "row":
                assert panel["datasource"]["uid"] == prometheus["uid"], (name, panel["title"])
                assert panel.get("description"), (name, panel["title"])


def test_dashboard_provider_points_at_the_mounted_folder() -> None:
    provider = yaml.safe_load((PROVISIONING / "dashboards" / "moodle-bridge.yml").read_text())
    path = provider["providers"][0]["options"]["path"]
    assert f"./monitoring/grafana/dashboards:{path}:ro" in services()["grafana"]["volumes"]


def test_dashboard_queries_use_only_exposed_metrics() -> None:
    for name, board in dashboards().items():
        for target in targets(board):
            assert not unknown_metrics(target["expr"]), (name, target["expr"])


def test_the_app_metrics_the_checks_accept_are_defined_in_the_code() -> None:
    # APP_METRICS is what the dashboard and alert checks take as exposed: each must be a
    # metric the bridge or the grader defines (a histogram without _bucket; prometheus_client
    # adds _total to a counter named without it).
    sources = "\n".join(path.read_text() for top in ("bridge", "grader")
                        for path in (ROOT / top).rglob("*.py"))
    for name in APP_METRICS:
        if name.startswith(("bridge_", "grader_")):
            defined = {name, name.removesuffix("_bucket"), name.removesuffix("_total")}
            assert any(f'"{candidate}"' in sources for candidate in defined), name


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    records = [
        {"record": f"dashboard:query_{index}", "expr": expr}
        for index, expr in enumerate(
            target["expr"].replace("$__rate_interval", "5m")
            for board in dashboards().values()
            for target in targets(board)
        )
    ]
    rules = tmp_path / "dashboard_queries.yml"
    rules.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": records}]}))
    done = run("promtool", "check", "rules", str(rules))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("board", "metric"),
    [
        ("grading.json", "grader_queue_length"),
        ("grading.json", "grader_grading_duration_seconds_bucket"),
        ("grading.json", "grader_sandbox_failures_total"),
        ("delivery.json", "bridge_deliveries_parked"),
        ("delivery.json", "bridge_delivery_retries_total"),
        ("sso.json", "bridge_tokens_issued_total"),
    ],
)
def test_each_dashboard_shows_its_flow(board: str, metric: str) -> None:
    assert any(metric in target["expr"] for target in targets(dashboards()[board]))
