"""Paths of exercise and submission files: relative, normalised, inside their directory, unique."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Annotated, TypeVar

from pydantic import AfterValidator

from grader.exercise.errors import quote

MAX_PATH_CHARS = 200
T = TypeVar("T")


class PathRefused(ValueError):
    """A file name that cannot be used: unsafe, or the same file as another once normalised.

    The message starts with the name, quoted.
    """

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        super().__init__(message)


def safe_relative_path(value: str) -> str:
    """`value` normalised (`a//b`, `a/./b` are `a/b`) if it is a relative POSIX path inside its
    directory; ValueError if not."""
    if not value or "\x00" in value or "\\" in value:
        raise ValueError(f"{quote(value)} must be a non-empty relative path, without "
                         "backslashes or NUL bytes")
    normal = posixpath.normpath(value)
    if normal.startswith(("/", "../")) or normal in (".", "..") or posixpath.isabs(value):
        raise ValueError(f"{quote(value)} must be a relative path that stays inside its directory")
    if len(normal) > MAX_PATH_CHARS:
        raise ValueError(f"{quote(value)} is longer than {MAX_PATH_CHARS} characters")
    return normal


# A path field of the exercise spec: checked and stored normalised.
SafePath = Annotated[str, AfterValidator(safe_relative_path)]


def unique_paths(files: Mapping[str, T]) -> dict[str, T]:
    """`files` keyed by normalised path; PathRefused for an unsafe name or two names of one file."""
    clean: dict[str, T] = {}
    originals: dict[str, str] = {}
    for name, content in files.items():
        try:
            normal = safe_relative_path(name)
        except ValueError as exc:
            raise PathRefused(name, str(exc)) from None
        if normal in originals:
            raise PathRefused(name, f"{quote(name)} is the same file as "
                                    f"{quote(originals[normal])} (both are {quote(normal)})")
        originals[normal] = name
        clean[normal] = content
    return clean
