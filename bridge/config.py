"""The bridge's one settings object, read from the environment (and `.env`)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, Field, SecretStr, field_serializer, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bridge.observability.logs import REDACTED, register_secret
from grader.bounded import Bounds, loads_json

PLACEHOLDERS = frozenset({"", "changeme", "change-me", "secret", "please-change-me"})
VAR_DIR = Path("var")


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


def _default_database_url() -> str:
    return f"sqlite:///{(VAR_DIR / 'bridge.db').resolve()}"


def url_password(url: str) -> str | None:
    """The password inside `scheme://user:password@host/...`, if there is one."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


def hide_password(url: str) -> str:
    """`url` with its password replaced by ***, for display."""
    password = urlsplit(url).password if "@" in url else None
    return url.replace(f":{password}@", f":{REDACTED}@", 1) if password else url


# Settings printed, logged or dumped show these URLs without their passwords.
URL_FIELDS = ("database_url", "broker_url", "redis_url")


class MoodleSite(BaseModel):
    """One Moodle site the bridge serves: where it is, its WS token, the webhook secret."""

    url: str = Field(pattern=r"^https?://")
    token: SecretStr
    webhook_secret: SecretStr

    @model_validator(mode="after")
    def _register_secrets(self) -> MoodleSite:
        # A Moodle error that repeats the token must not carry it into a log or a stored error.
        register_secret(self.token.get_secret_value())
        register_secret(self.webhook_secret.get_secret_value())
        return self


class CoreSettings(BaseSettings):
    """What every process reads: where the database and the broker are, and how to log.

    The grading workers read only this (and the sandbox engine's client certificates): the
    host that runs untrusted code holds no Moodle token, webhook secret or signing-key secret.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    environment: Environment = Environment.DEVELOPMENT
    # Embedded defaults: SQLite and a filesystem broker, so `make run` needs no server.
    database_url: str = Field(default_factory=_default_database_url)
    broker_url: str = "filesystem://"
    broker_folder: Path = VAR_DIR / "broker"

    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"

    # A grading lease outlives the exercise's own limits by this much before another worker
    # may take the submission over.
    grading_lease_margin_s: float = 60.0
    # Where a worker's main process serves the pool's summed metrics.
    worker_metrics_port: int = 9808

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @model_validator(mode="after")
    def _register_url_passwords(self) -> CoreSettings:
        for name in URL_FIELDS:
            value = getattr(self, name, None)
            password = url_password(value) if value else None
            if password:
                register_secret(password)
        return self

    @field_serializer(*(n for n in URL_FIELDS if n != "redis_url"), check_fields=False)
    def _dump_without_password(self, url: str) -> str:
        return hide_password(url)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            hidden = name in URL_FIELDS and isinstance(value, str)
            yield name, hide_password(value) if hidden else value


class Settings(CoreSettings):
    """Everything the bridge's API and its Moodle worker read from their environment."""

    redis_url: str | None = None

    api_key: SecretStr = Field(default=SecretStr(""), validation_alias="BRIDGE_API_KEY")
    secret_key: SecretStr = Field(default=SecretStr(""), validation_alias="BRIDGE_SECRET_KEY")

    public_url: str = "http://127.0.0.1:8000"
    max_request_bytes: int = 2 * 1024 * 1024
    max_submission_files: int = 50
    max_submission_bytes: int = 1024 * 1024

    health_check_timeout_s: float = 2.0
    # The bridge itself never runs containers; turn on where the engine is part of readiness.
    readiness_checks_docker: bool = False

    # MOODLE_SITES='{"<site id>": {"url": ..., "token": ..., "webhook_secret": ...}}'
    moodle_sites: Annotated[dict[str, MoodleSite], NoDecode] = Field(default_factory=dict)
    moodle_timeout_s: float = 20.0
    intake_window_s: int = 300
    intake_max_body_bytes: int = 16384
    # An exercise upload (schema 2 carries its files, base64): the body, then what it unpacks to.
    intake_max_exercise_bytes: int = 2 * 1024 * 1024
    exercise_max_files: int = 100
    exercise_max_file_bytes: int = 4 * 1024 * 1024
    exercise_max_total_bytes: int = 8 * 1024 * 1024
    delivery_max_attempts: int = 8
    delivery_backoff_s: float = 30.0
    delivery_backoff_max_s: float = 3600.0

    # SSO (bridge/auth): the bridge signs short-lived tokens that Moodle's auth_jwtsso verifies.
    jwt_issuer: str = Field(default="", description="`iss` of SSO tokens; empty: public_url.")
    moodle_url: str = "http://127.0.0.1:8080"
    token_ttl_s: int = Field(default=60, ge=5, le=60)
    # How long clients may cache the JWKS; a new key is published this long before it signs.
    jwks_max_age_s: int = Field(default=300, ge=10, le=3600)
    session_ttl_s: int = Field(default=3600, ge=60, le=86400)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_s: int = Field(default=900, ge=1)
    login_ip_max_failures: int = Field(default=20, ge=1)
    login_ip_window_s: int = Field(default=900, ge=1)

    @field_serializer("redis_url")
    def _dump_redis_without_password(self, url: str | None) -> str | None:
        return hide_password(url) if url else url

    @field_validator("moodle_sites", mode="before")
    @classmethod
    def _parse_sites(cls, value: Any) -> Any:
        # From the environment it is JSON: read with bounds, not json.loads, so that a nested
        # or huge value is a clear error at start-up rather than a RecursionError.
        if isinstance(value, str | bytes):
            return loads_json(value, Bounds(max_bytes=256 * 1024, max_depth=4, max_nodes=10_000))
        return value

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment is Environment.PRODUCTION:
            for name in ("api_key", "secret_key"):
                value = getattr(self, name).get_secret_value()
                if value.lower() in PLACEHOLDERS or len(value) < 24:
                    raise ValueError(
                        f"{name.upper()} must be set to a random value of at least 24 characters "
                        "outside development"
                    )
        elif not self.api_key.get_secret_value():
            # Development and tests get a per-process random key rather than a well-known one.
            self.api_key = SecretStr(secrets.token_urlsafe(32))
        if not self.secret_key.get_secret_value() \
                and self.environment is not Environment.PRODUCTION:
            self.secret_key = SecretStr(secrets.token_urlsafe(32))
        register_secret(self.api_key.get_secret_value())
        register_secret(self.secret_key.get_secret_value())
        self.public_url = self.public_url.rstrip("/")
        self.moodle_url = self.moodle_url.rstrip("/")
        self.jwt_issuer = self.jwt_issuer or self.public_url
        return self


@lru_cache
def get_core_settings() -> CoreSettings:
    """The database, broker and logging settings, read once (all a grading worker reads)."""
    return CoreSettings()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings of the API and the Moodle worker, read once."""
    return Settings()
