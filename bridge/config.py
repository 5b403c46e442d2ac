"""The bridge's one settings object, read from the environment (and `.env`)."""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDERS = frozenset({"", "changeme", "change-me", "secret", "please-change-me"})
VAR_DIR = Path("var")


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


def _default_database_url() -> str:
    return f"sqlite:///{(VAR_DIR / 'bridge.db').resolve()}"


class MoodleSite(BaseModel):
    """One Moodle site the bridge serves: where it is, its WS token, the webhook secret."""

    url: str = Field(pattern=r"^https?://")
    token: SecretStr
    webhook_secret: SecretStr


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


class Settings(CoreSettings):
    """Everything the bridge's API and its Moodle worker read from their environment."""

    redis_url: str | None = None

    api_key: str = Field(default="", validation_alias="BRIDGE_API_KEY")
    secret_key: str = Field(default="", validation_alias="BRIDGE_SECRET_KEY")

    public_url: str = "http://127.0.0.1:8000"
    max_request_bytes: int = 2 * 1024 * 1024
    max_submission_files: int = 50
    max_submission_bytes: int = 1024 * 1024

    health_check_timeout_s: float = 2.0
    # The bridge itself never runs containers; turn on where the engine is part of readiness.
    readiness_checks_docker: bool = False

    # MOODLE_SITES='{"<site id>": {"url": ..., "token": ..., "webhook_secret": ...}}'
    moodle_sites: dict[str, MoodleSite] = Field(default_factory=dict)
    moodle_timeout_s: float = 20.0
    intake_window_s: int = 300
    intake_max_body_bytes: int = 16384
    intake_max_exercise_bytes: int = 256 * 1024
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

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment is Environment.PRODUCTION:
            for name in ("api_key", "secret_key"):
                value = getattr(self, name)
                if value.lower() in PLACEHOLDERS or len(value) < 24:
                    raise ValueError(
                        f"{name.upper()} must be set to a random value of at least 24 characters "
                        "outside development"
                    )
        elif not self.api_key:
            # Development and tests get a per-process random key rather than a well-known one.
            self.api_key = secrets.token_urlsafe(32)
        if not self.secret_key and self.environment is not Environment.PRODUCTION:
            self.secret_key = secrets.token_urlsafe(32)
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
