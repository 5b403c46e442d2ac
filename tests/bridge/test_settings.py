"""Settings never show a secret: not in repr, str, or a dump; bounded parsing of MOODLE_SITES."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from bridge.config import Settings

API_KEY = "api-key-SECRET-0123456789abcdef"
SECRET_KEY = "secret-key-SECRET-0123456789abcdef"
DB_PASSWORD = "db-password-SECRET-42"
BROKER_PASSWORD = "broker-password-SECRET-7"
WS_TOKEN = "ws-token-SECRET-0123456789"
WEBHOOK_SECRET = "webhook-SECRET-0123456789abcdef"
SECRETS = (API_KEY, SECRET_KEY, DB_PASSWORD, BROKER_PASSWORD, WS_TOKEN, WEBHOOK_SECRET)


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("BRIDGE_API_KEY", API_KEY)
    monkeypatch.setenv("BRIDGE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://bridge:{DB_PASSWORD}@db:5432/bridge")
    monkeypatch.setenv("BROKER_URL", f"redis://:{BROKER_PASSWORD}@redis:6379/0")
    monkeypatch.setenv("REDIS_URL", f"redis://:{BROKER_PASSWORD}@redis:6379/1")
    monkeypatch.setenv("MOODLE_SITES", json.dumps({"main": {
        "url": "https://moodle.example", "token": WS_TOKEN, "webhook_secret": WEBHOOK_SECRET}}))
    return Settings()


def test_no_secret_is_shown(settings: Settings) -> None:
    for shown in (repr(settings), str(settings), settings.model_dump_json(),
                  repr(settings.model_dump()), f"{settings}", repr(settings.moodle_sites)):
        for secret in SECRETS:
            assert secret not in shown
    assert "bridge:***@db:5432" in repr(settings)


def test_secrets_are_still_there_for_their_users(settings: Settings) -> None:
    assert settings.api_key.get_secret_value() == API_KEY
    assert settings.secret_key.get_secret_value() == SECRET_KEY
    assert DB_PASSWORD in settings.database_url  # the engine needs the real URL
    assert settings.moodle_sites["main"].token.get_secret_value() == WS_TOKEN


@pytest.mark.parametrize("value", ['{"main": ' + "[" * 5000 + "]" * 5000 + "}",
                                   '{"main": {"url": "https://m", "token": ' * 50])
def test_a_nested_or_broken_moodle_sites_is_a_clear_error(
        value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOODLE_SITES", value)
    with pytest.raises(ValidationError, match="moodle_sites"):
        Settings()
