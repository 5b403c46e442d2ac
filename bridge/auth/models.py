"""Auth tables: accounts and their course enrolments, sign-in failures, signing keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bridge.db import Base, RecordModel, utcnow


class AccountRole(StrEnum):
    STUDENT = "student"
    TEACHER = "teacher"
    ADMIN = "admin"


class AccountStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class CourseRole(StrEnum):
    STUDENT = "student"
    TEACHER = "teacher"


def _enum(enum: type[StrEnum]) -> Enum:
    return Enum(enum, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Account(RecordModel):
    """A person who signs in at the bridge; `id` is the stable `sub` of their SSO tokens."""

    __tablename__ = "accounts"

    # The registration system's own id, for idempotent upserts.
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    given_name: Mapped[str] = mapped_column(String(100), default="")
    family_name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[AccountRole] = mapped_column(_enum(AccountRole), default=AccountRole.STUDENT)
    status: Mapped[AccountStatus] = mapped_column(_enum(AccountStatus),
                                                  default=AccountStatus.ACTIVE)
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    failed_logins: Mapped[int] = mapped_column(default=0)
    # The last wrong password: failures older than the lockout period are forgiven.
    last_failed_login_at: Mapped[datetime | None] = mapped_column(default=None)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    # Part of every session token: bumping it (suspension, new password) ends all sessions.
    session_version: Mapped[int] = mapped_column(default=1)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)

    enrolments: Mapped[list[Enrolment]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="Enrolment.course_id"
    )

    def __repr__(self) -> str:  # never the password hash
        return f"Account(id={self.id}, username={self.username!r}, role={self.role})"


class Enrolment(Base):
    """An account's place in a Moodle course, as the registration system reports it."""

    __tablename__ = "account_enrolments"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    course_id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[CourseRole] = mapped_column(_enum(CourseRole), default=CourseRole.STUDENT)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginFailure(Base):
    """One failed sign-in from an address; counted over a window to throttle that address."""

    __tablename__ = "login_failures"
    __table_args__ = (Index(None, "ip", "attempted_at"), Index(None, "attempted_at"))

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    ip: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginThrottle(Base):
    """Wrong passwords given for a login that names no account, counted like an account's.

    Without it an unknown login would keep answering 401 where a known one locks, which tells
    an attacker which logins exist. Keyed by a digest: no one's typed input is stored.
    """

    __tablename__ = "login_throttles"
    __table_args__ = (Index(None, "last_failed_login_at"),)

    login_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    last_failed_login_at: Mapped[datetime | None] = mapped_column(default=None)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)


class SigningKey(Base):
    """A token signing key: published from `created_at`, signs from `activates_at`.

    The state (next, active, retired) follows from the clock and the other keys' activation
    times, so nothing has to flip it at the right moment: see service.key_states.
    """

    __tablename__ = "signing_keys"
    __table_args__ = (Index(None, "activates_at"),)

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(8))
    public_jwk: Mapped[dict[str, Any]]
    # AES-GCM of the PKCS#8 DER private key under a key derived from BRIDGE_SECRET_KEY.
    private_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activates_at: Mapped[datetime]

    def __repr__(self) -> str:  # never the key material
        return f"SigningKey(kid={self.kid!r}, alg={self.alg}, activates_at={self.activates_at})"
