"""The grader's one settings object (environment variables prefixed GRADER_)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class GraderSettings(BaseSettings):
    """Sandbox sizing and the ceilings an exercise may ask for."""

    model_config = SettingsConfigDict(env_prefix="GRADER_", env_file=".env", extra="ignore")

    # A container serves at most this many submissions, each under its own uid, and is
    # replaced sooner if a run leaves anything behind. 1 = a fresh container per submission.
    max_uses: int = 50
    container_ttl_s: int = 1800
    cpus: float = 1.0
    tmpfs_mb: int = 64
    uid_base: int = 20000
    # Ceilings: an exercise asking for more is refused when it is loaded.
    max_memory_mb: int = 1024
    max_time_s: float = 60.0
    max_total_time_s: float = 600.0
    max_processes: int = 256
    max_output_kb: int = 8192
    # Container-wide pids cap, above the per-submission RLIMIT_NPROC: runner + init + margin.
    pids_limit: int = 300
    host_margin_s: float = 15.0


@lru_cache
def get_grader_settings() -> GraderSettings:
    """The process-wide grader settings."""
    return GraderSettings()
