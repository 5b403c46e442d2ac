"""The bridge's one settings object, read from the environment (and `.env`)."""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDERS = frozenset({"", "changeme", "change-me", "secret", "please-change-me"})
VAR_DIR = Path("var")


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


def _default_database_url() -> str:
    return f"sqlite:///{(VAR_DIR / 'bridge.db').resolve()}"


class Settings(BaseSettings):
    """Everything the bridge and the grader workers read from their environment."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    environment: Environment = Environment.DEVELOPMENT
    # Embedded defaults: SQLite and a filesystem broker, so `make run` needs no server.
    database_url: str = Field(default_factory=_default_database_url)
    broker_url: str = "filesystem://"
    broker_folder: Path = VAR_DIR / "broker"
    redis_url: str | None = None

    api_key: str = Field(default="", validation_alias="BRIDGE_API_KEY")
    secret_key: str = Field(default="", validation_alias="BRIDGE_SECRET_KEY")

    public_url: str = "http://127.0.0.1:8000"
    max_request_bytes: int = 2 * 1024 * 1024
    max_submission_files: int = 50
    max_submission_bytes: int = 1024 * 1024

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
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
