"""What a task does when the database is out of reach: which errors, and how long it waits.

A PostgreSQL restart or failover cuts every connection; the task's transaction was rolled back,
so nothing was recorded and trying the same job again a few seconds later is safe (every task
checks whether its work is already done). Past the last retry the row is still in its waiting
state, and the periodic sweeps re-send it.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError

DB_BACKOFF_BASE_S = 5.0
DB_BACKOFF_MAX_S = 300.0


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database could not be reached or dropped the connection."""
    if isinstance(exc, OperationalError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def db_backoff_s(retries: int) -> float:
    """Seconds before try `retries + 1` of a job stopped by the database: 5, 10, 20 ... 300."""
    return float(min(DB_BACKOFF_BASE_S * 2 ** retries, DB_BACKOFF_MAX_S))
