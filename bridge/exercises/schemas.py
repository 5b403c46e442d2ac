"""API shapes for exercises."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator


class FileIn(BaseModel):
    """A file given as UTF-8 text or as base64."""

    text: str | None = None
    base64: str | None = None

    def content(self) -> bytes:
        if (self.text is None) == (self.base64 is None):
            raise ValueError("give exactly one of text or base64")
        if self.text is not None:
            return self.text.encode()
        assert self.base64 is not None
        try:
            return base64.b64decode(self.base64, validate=True)
        except binascii.Error:
            raise ValueError("base64 is not valid") from None


def decode_files(files: dict[str, FileIn | str]) -> dict[str, bytes]:
    """Turn API files into bytes; a plain string is UTF-8 text."""
    return {name: f.encode() if isinstance(f, str) else f.content() for name, f in files.items()}


class ExerciseCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    files: dict[str, FileIn | str] = Field(
        description="exercise.yaml and the files it names, by relative path."
    )

    @field_validator("files")
    @classmethod
    def _decodable(cls, value: dict[str, FileIn | str]) -> dict[str, FileIn | str]:
        decode_files(value)
        return value


class ExerciseVersionCreate(BaseModel):
    files: dict[str, FileIn | str]


class ExerciseRead(BaseModel):
    id: uuid.UUID
    name: str
    version: int
    version_id: uuid.UUID
    language: str
    max_score: float
    spec: dict[str, Any]
    created_at: datetime
