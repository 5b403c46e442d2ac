"""API shapes for accounts, sign-in and signing keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bridge.auth.models import AccountRole, AccountStatus, CourseRole

# What auth_jwtsso accepts as a Moodle username (it lower-cases first).
USERNAME_PATTERN = r"^[a-z0-9_.@-]+$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class EnrolmentIn(BaseModel):
    course_id: int = Field(ge=1, description="Moodle course id.")
    role: CourseRole = CourseRole.STUDENT


class EnrolmentRead(EnrolmentIn):
    model_config = ConfigDict(from_attributes=True)


class AccountFields(BaseModel):
    """What a registration system sends for one person."""

    username: str = Field(min_length=1, max_length=100, pattern=USERNAME_PATTERN)
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN)
    given_name: str = Field(default="", max_length=100)
    family_name: str = Field(default="", max_length=100)
    role: AccountRole = AccountRole.STUDENT
    password: str | None = Field(default=None, min_length=12, max_length=1024, repr=False,
                                 description="Optional; without one the account cannot sign in.")
    enrolments: list[EnrolmentIn] | None = Field(
        default=None, description="Replaces the account's enrolments; omitted: left as they are."
    )

    @field_validator("username", "email", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


class AccountCreate(AccountFields):
    external_id: str | None = Field(default=None, min_length=1, max_length=200)


class AccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID = Field(description="Stable subject id: the `sub` of this person's tokens.")
    external_id: str | None
    username: str
    email: str
    given_name: str
    family_name: str
    role: AccountRole
    status: AccountStatus
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime
    enrolments: list[EnrolmentRead]


class AccountStatusUpdate(BaseModel):
    status: AccountStatus


class EnrolmentsUpdate(BaseModel):
    enrolments: list[EnrolmentIn]


class SignIn(BaseModel):
    login: str = Field(min_length=1, max_length=254, description="Email address or username.")
    password: str = Field(min_length=1, max_length=1024, repr=False)


class SessionRead(BaseModel):
    access_token: str = Field(description="Also set as the HttpOnly `bridge_session` cookie.")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int
    account: AccountRead


class KeyRotate(BaseModel):
    alg: Literal["RS256", "ES256"] = "RS256"


class KeyRead(BaseModel):
    kid: str
    alg: str
    state: str
    published_at: datetime
    activates_at: datetime
    retired_at: datetime | None
    unpublish_at: datetime | None
