"""compose.yaml follows the operations rules (checked statically: no registry, no engine here)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.ops.helpers import COMPOSE, ROOT, compose, services, with_defaults

EXPECTED_SERVICES = {
    "caddy", "bridge", "migrate", "grader", "moodle-worker", "scheduler", "postgres", "redis",
    "moodle",
    "moodle-db", "moodle-cron", "ofelia", "backup", "prometheus", "alertmanager", "grafana",
    "cadvisor", "node-exporter", "portainer", "docker-engine",
}
ONE_SHOT = {"migrate", "runner-images"}
REQUIRED_SECRETS = {
    "POSTGRES_PASSWORD", "BRIDGE_API_KEY", "BRIDGE_SECRET_KEY", "MOODLE_WS_TOKEN",
    "MOODLE_WEBHOOK_SECRET", "MOODLE_DB_PASSWORD", "GRAFANA_ADMIN_PASSWORD",
}
# Services that hold the Docker API to run student code must never get the host's socket.
GRADING_SERVICES = {"grader", "moodle-worker", "scheduler", "bridge", "migrate", "runner-images"}
# Secrets that open Moodle or the SSO signing keys: never where untrusted code is run.
MOODLE_AND_SIGNING_SECRETS = ("MOODLE_WS_TOKEN", "MOODLE_WEBHOOK_SECRET", "BRIDGE_SECRET_KEY",
                              "BRIDGE_API_KEY")
# Operator tools that read (or, for Portainer, manage) the host engine by design.
HOST_SOCKET_ALLOWED = {"ofelia", "cadvisor", "portainer"}
HOST_PATHS_ALLOWED = {"cadvisor": {"/", "/var/run", "/sys", "/var/lib/docker/"}, "node-exporter": {"/"}}
INTERNAL_ONLY = {"postgres", "redis", "moodle-db", "docker-engine", "migrate", "scheduler", "backup"}


def long_running() -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in services().items() if name not in ONE_SHOT}


def volume_sources(service: dict[str, Any]) -> list[str]:
    sources = []
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            sources.append(with_defaults(volume).split(":")[0])
        else:
            sources.append(with_defaults(volume["source"]))
    return sources


def test_every_expected_service_is_there() -> None:
    assert set(services()) >= EXPECTED_SERVICES


@pytest.mark.parametrize("name", sorted(EXPECTED_SERVICES | ONE_SHOT))
def test_image_is_pinned_to_a_version(name: str) -> None:
    image = with_defaults(services()[name]["image"])
    repository, _, tag = image.rpartition(":")
    assert repository and "/" not in tag, f"{name}: {image} has no tag"
    assert tag != "latest" and re.search(r"\d", tag), f"{name}: {image} is not a version tag"


@pytest.mark.parametrize("name", sorted(EXPECTED_SERVICES - ONE_SHOT))
def test_long_running_service_has_a_healthcheck_and_a_restart_policy(name: str) -> None:
    service = services()[name]
    assert service.get("restart") in {"unless-stopped", "always", "on-failure"}, name
    test = service.get("healthcheck", {}).get("test")
    assert test and test[0] in {"CMD", "CMD-SHELL"}, f"{name} has no healthcheck"
    assert not service["healthcheck"].get("disable", False)


def test_one_shot_steps_do_not_restart() -> None:
    for name in ONE_SHOT:
        assert services()[name]["restart"] == "no", name


def test_migration_runs_once_and_its_consumers_wait_for_it() -> None:
    migrate = services()["migrate"]
    assert migrate["command"] == ["python", "-m", "bridge", "migrate"]
    for name in ("bridge", "grader", "moodle-worker", "scheduler"):
        condition = services()[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully", name


def test_dependencies_wait_for_health_or_completion() -> None:
    for name, service in services().items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on must say which condition"
        for dependency, rule in depends.items():
            expected = (
                "service_completed_successfully" if dependency in ONE_SHOT else "service_healthy"
            )
            assert rule["condition"] == expected, f"{name} -> {dependency}"
            assert "healthcheck" in services()[dependency] or dependency in ONE_SHOT


def test_state_lives_in_named_volumes() -> None:
    declared = set(compose()["volumes"])
    for name, service in services().items():
        for source in volume_sources(service):
            if source.startswith(("./", "/")):
                continue
            assert source in declared, f"{name}: volume {source} is not declared"
    for name, path in {
        "postgres": "/var/lib/postgresql/data",
        "moodle-db": "/var/lib/postgresql/data",
        "redis": "/data",
        "prometheus": "/prometheus",
        "grafana": "/var/lib/grafana",
        "caddy": "/data",
    }.items():
        mounts = {v.split(":")[1]: v.split(":")[0] for v in services()[name]["volumes"]}
        assert mounts[path] in declared, f"{name} keeps {path} outside a named volume"


def test_host_paths_are_config_files_or_allowed_exporter_mounts() -> None:
    for name, service in services().items():
        for volume in service.get("volumes", []):
            source, _target, *mode = with_defaults(volume).split(":")
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name}: {source} does not exist"
                assert mode and "ro" in mode[0], f"{name}: {source} must be read-only"
            elif source == "/var/run/docker.sock":
                assert name in HOST_SOCKET_ALLOWED, f"{name} must not get the host's socket"
            elif source.startswith("/"):
                assert source in HOST_PATHS_ALLOWED.get(name, set()), f"{name}: {source}"
                assert mode and "ro" in mode[0], f"{name}: {source} must be read-only"


def test_no_grading_service_gets_the_docker_socket() -> None:
    for name in GRADING_SERVICES | {"docker-engine"}:
        service = services()[name]
        for source in volume_sources(service):
            assert "docker.sock" not in source, name
            assert source != "/var/run", name
        assert not service.get("privileged", False) or name == "docker-engine", name
    grader = services()["grader"]["environment"]
    assert with_defaults(grader["DOCKER_HOST"]).startswith("tcp://")
    assert grader["DOCKER_TLS_VERIFY"] == "1"
    assert "docker-certs-client:/certs/client:ro" in services()["grader"]["volumes"]


def test_the_grading_workers_hold_no_moodle_or_signing_secret() -> None:
    """The host that runs untrusted code gets the database, the broker and the engine's certs."""
    grader = services()["grader"]
    rendered = json.dumps(grader["environment"])
    for secret in MOODLE_AND_SIGNING_SECRETS:
        assert secret not in rendered, f"grader environment holds {secret}"
    assert set(grader["environment"]) >= {"DATABASE_URL", "BROKER_URL", "DOCKER_HOST"}
    assert "MOODLE_SITES" not in grader["environment"]
    assert "edge" not in grader["networks"]  # no route to Moodle or anywhere else
    assert "grading" in grader["command"]


def test_the_moodle_worker_cannot_reach_the_sandbox_engine() -> None:
    worker = services()["moodle-worker"]
    assert "sandbox" not in worker["networks"]
    assert not any("docker-certs" in source for source in volume_sources(worker))
    assert not any(key.startswith("DOCKER_") for key in worker["environment"])
    assert "moodle" in worker["command"] and "grading" not in worker["command"]
    assert "MOODLE_SITES" in worker["environment"]


def test_sandbox_engine_is_reachable_only_on_the_internal_sandbox_network() -> None:
    engine = services()["docker-engine"]
    assert engine["networks"] == ["sandbox"]
    assert "rootless" in engine["image"]
    assert compose()["networks"]["sandbox"]["internal"] is True


def test_only_caddy_publishes_ports_and_only_80_and_443() -> None:
    for name, service in services().items():
        if name == "caddy":
            published = {str(port).split(":")[0] for port in service["ports"]}
            assert published == {"80", "443"}
        else:
            assert "ports" not in service, f"{name} publishes {service.get('ports')}"


def test_data_services_sit_on_internal_networks_only() -> None:
    networks = compose()["networks"]
    for name in INTERNAL_ONLY:
        service = services()[name]
        attached = service.get("networks", [])
        assert attached, f"{name} has no explicit network"
        for network in attached:
            assert networks[network].get("internal") is True, f"{name} is on {network}"


@pytest.mark.parametrize("name", sorted(EXPECTED_SERVICES | ONE_SHOT))
def test_resource_limits_are_set(name: str) -> None:
    limits = services()[name]["deploy"]["resources"]["limits"]
    assert limits.get("memory") and limits.get("cpus"), name


def test_logs_are_rotated() -> None:
    for name, service in services().items():
        options = service["logging"]["options"]
        assert options["max-size"] and options["max-file"], name


def test_required_secrets_fail_loudly_when_unset() -> None:
    text = COMPOSE.read_text()
    for variable in REQUIRED_SECRETS:
        uses = re.findall(r"\$\{" + variable + r"([^}]*)\}", text)
        assert uses, f"{variable} is not used"
        for use in uses:
            assert use.startswith(":?"), f"${{{variable}{use}}} must be ${{{variable}:?...}}"


def test_no_secret_is_written_into_compose() -> None:
    secretish = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY")
    for name, service in services().items():
        environment = service.get("environment", {})
        assert isinstance(environment, dict), f"{name}: use a mapping for environment"
        for key, value in environment.items():
            if secretish.search(key) and "URL" not in key:
                assert str(value).startswith("${") and ":?" in str(value), f"{name}: {key}"


def test_grader_scales_and_prometheus_finds_every_replica() -> None:
    grader = services()["grader"]
    assert "container_name" not in grader
    assert "grader" in (ROOT / "monitoring/prometheus/prometheus.yml").read_text()
    assert "backend" in grader["networks"] and "backend" in services()["prometheus"]["networks"]


def test_optional_parts_are_behind_profiles() -> None:
    assert services()["portainer"]["profiles"] == ["ops"]
    assert services()["runner-images"]["profiles"] == ["setup"]
    for name in EXPECTED_SERVICES - {"portainer"}:
        assert "profiles" not in services()[name], name


def test_backups_reach_both_databases_and_feed_node_exporter() -> None:
    backup = services()["backup"]
    assert set(backup["networks"]) == {"backend", "moodle"}
    assert "backup-metrics:/textfile" in backup["volumes"]
    assert "backup-metrics:/textfile:ro" in services()["node-exporter"]["volumes"]
    assert "--collector.textfile.directory=/textfile" in services()["node-exporter"]["command"]
    labels = [entry.split("=")[0] for entry in backup["environment"]["BACKUP_DATABASES"].split()]
    assert labels == ["bridge", "moodle"]
    for label in labels:
        assert f"PGPASSWORD_{label.upper()}" in backup["environment"]


def test_broker_never_evicts_queued_tasks() -> None:
    command = services()["redis"]["command"]
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert "--appendonly" in command


def test_bridge_environment_matches_what_the_bridge_reads() -> None:
    environment = services()["bridge"]["environment"]
    for key in (
        "DATABASE_URL", "BROKER_URL", "BRIDGE_API_KEY", "BRIDGE_SECRET_KEY", "ENVIRONMENT",
        "PUBLIC_URL", "MOODLE_URL", "MOODLE_SITES",
    ):
        assert key in environment, key
    site = json.loads(with_defaults(environment["MOODLE_SITES"]))
    assert set(site["moodle"]) == {"url", "token", "webhook_secret"}
    assert site["moodle"]["token"].startswith("${MOODLE_WS_TOKEN:?")
    assert environment["ENVIRONMENT"] == "production"
    assert environment["BROKER_URL"] == "redis://redis:6379/0"
    assert environment["DATABASE_URL"].startswith("postgresql+psycopg://bridge:${POSTGRES_PASSWORD:?")
