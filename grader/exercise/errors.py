"""`ExerciseError`, and how a validation error becomes one that is short whatever the input.

An error message is shown to the teacher, stored and logged: it quotes at most a short excerpt
of any value it names (a 429-byte file of YAML aliases once made one of 624 MB).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

MAX_FILE_CHARS = 60
MAX_FIELD_CHARS = 60
MAX_MESSAGE_CHARS = 160
MAX_QUOTE_CHARS = 40


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def quote(value: object, limit: int = MAX_QUOTE_CHARS) -> str:
    """A short rendering of an input value for an error message, never more than a few words."""
    if isinstance(value, str):
        return repr(clip(value, limit))
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return repr(value) if value.bit_length() < 64 else "a very large number"
    if isinstance(value, float):
        return clip(repr(value), limit)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a value of type {type(value).__name__}"


class ExerciseError(ValueError):
    """An exercise that cannot be used, with where and why (each part cut to a short length)."""

    def __init__(self, file: str, field: str | None, message: str) -> None:
        self.file = clip(file, MAX_FILE_CHARS)
        self.field = clip(field, MAX_FIELD_CHARS) if field else None
        self.message = clip(message, MAX_MESSAGE_CHARS)
        where = f"{self.file}: {self.field}: " if self.field else f"{self.file}: "
        super().__init__(where + self.message)

    def as_dict(self) -> dict[str, str | None]:
        """The error as the API returns it."""
        return {"file": self.file, "field": self.field, "message": self.message}


def field_path(loc: tuple[Any, ...]) -> str:
    """Pydantic's error location as the teacher wrote it: `tests[0].files.data.txt`."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int) and parts:
            parts[-1] += f"[{item}]"
        elif isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(clip(str(item), MAX_QUOTE_CHARS))  # keys come from the input
    return ".".join(parts)


def from_validation_error(file: str, error: ValidationError, prefix: str = "") -> ExerciseError:
    """The first problem pydantic found, named by field, quoting no more than an excerpt."""
    first = error.errors(include_url=False)[0]
    path = field_path(tuple(first["loc"]))
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown field (check its spelling)"
    elif first["type"] == "literal_error":
        message = f"{message}; got {quote(first.get('input'))}"
    return ExerciseError(file, (prefix + path).strip(".") or None, message)
