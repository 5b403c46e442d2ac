""".env.example documents every variable compose.yaml reads, and ships no secret."""

from __future__ import annotations

import re

from tests.ops.helpers import COMPOSE, ROOT

ENV_EXAMPLE = ROOT / ".env.example"


def example() -> dict[str, str]:
    pairs = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def test_every_variable_compose_reads_is_in_env_example() -> None:
    used = set(re.findall(r"\$\{(\w+)", COMPOSE.read_text()))
    secrets_from_env = {"ALERT_WEBHOOK_URL"}
    assert used | secrets_from_env <= set(example()), used - set(example())


def test_required_variables_are_empty_and_marked_required() -> None:
    text = COMPOSE.read_text()
    required = set(re.findall(r"\$\{(\w+):\?", text))
    values = example()
    lines = ENV_EXAMPLE.read_text().splitlines()
    for variable in required:
        assert values[variable] == "", f"{variable} must ship empty so compose refuses to start"
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{variable}="))
        comment_above = "\n".join(lines[max(0, index - 4) : index])
        assert "REQUIRED" in comment_above, f"{variable} is not marked REQUIRED"


def test_env_example_is_sectioned() -> None:
    sections = re.findall(r"^# --- (.+?) -+$", ENV_EXAMPLE.read_text(), flags=re.M)
    assert {"Host names and TLS", "Bridge", "Moodle", "Backups", "Monitoring"} <= set(sections)
