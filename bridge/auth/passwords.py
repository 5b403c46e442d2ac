"""Password hashing: argon2id at OWASP's minimum, on a bounded number of threads at a time.

Argon2 is CPU- and memory-bound and releases the GIL, so checks run in parallel threads; but
more checks at once than the machine has cores only makes each one slower. `hashing_slot`
lets at most one check per core run in this process and makes the others wait a bounded time,
after which the caller answers 429 (Retry-After) instead of queueing without end. The slots
are per process: with several API processes, each has its own.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP Password Storage Cheat Sheet, argon2id minimum: 19 MiB, 2 iterations, 1 lane. Hashes
# made with other parameters (argon2-cffi's defaults, t=3 64 MiB p=4, before issue 16) still
# verify, and are rehashed with these on the next successful sign-in.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)
HASHING_THREADS = os.cpu_count() or 1
# How long a sign-in waits for a free slot before it is told to retry.
SLOT_WAIT_S = 5.0
RETRY_AFTER_S = 1

_slots = threading.BoundedSemaphore(HASHING_THREADS)


class HashingBusy(Exception):
    """Every hashing slot stayed taken for SLOT_WAIT_S: the caller should retry later."""

    retry_after_s = RETRY_AFTER_S


@contextmanager
def hashing_slot(wait_s: float | None = None) -> Iterator[None]:
    """Hold one of this process's hashing slots; HashingBusy if none frees up in time."""
    if not _slots.acquire(timeout=SLOT_WAIT_S if wait_s is None else wait_s):
        raise HashingBusy()
    try:
        yield
    finally:
        _slots.release()


def hash_password(password: str) -> str:
    """The stored form of a new password."""
    return HASHER.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return HASHER.hash("no account has this password")


def verify(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored`; with no stored hash, as slow and always False.

    Unknown logins and accounts without a password pay for one check too, so the time an
    answer takes does not tell which logins exist.
    """
    try:
        return HASHER.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether `stored` was made with other parameters than HASHER's."""
    try:
        return HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return False
