"""Moodle's REST parameter encoding, token redaction and safe file names."""

from __future__ import annotations

import logging
import posixpath
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from bridge.observability.logs import redact_secrets

ParamValue = str | int | float | bool | None | Sequence[Any] | Mapping[str, Any]

_TOKEN_PARAM = re.compile(r"((?:ws)?token=)[^&\s\"'<>]+", re.IGNORECASE)
REDACTED = "***"


def encode_params(params: Mapping[str, ParamValue]) -> list[tuple[str, str]]:
    """Flatten nested values into PHP bracket notation: `ids[0]=3`, `data[text]=x`."""
    pairs: list[tuple[str, str]] = []

    def add(key: str, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, Mapping):
            for name, item in value.items():
                add(f"{key}[{name}]", item)
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                add(f"{key}[{index}]", item)
        elif isinstance(value, bool):
            pairs.append((key, "1" if value else "0"))
        elif isinstance(value, float):
            pairs.append((key, format(value, "f").rstrip("0").rstrip(".") or "0"))
        else:
            pairs.append((key, str(value)))

    for name, value in params.items():
        add(name, value)
    return pairs


def redact(text: str, *secrets: str) -> str:
    """`text` without any token: configured secrets, `secrets`, and `token=`/`wstoken=` values."""
    text = redact_secrets(text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return _TOKEN_PARAM.sub(lambda m: m.group(1) + REDACTED, text)


class RedactTokens(logging.Filter):
    """Rewrites log records of HTTP libraries so that a token in a URL never reaches a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_log_redaction() -> None:
    """Attach the redacting filter to the loggers httpx and httpcore write request lines to."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME = 100


def safe_file_name(filepath: str, filename: str) -> str:
    """A relative path made of harmless parts from Moodle's `filepath` and `filename`.

    Students name files; a name becomes a path inside the sandbox, so it is reduced to ASCII
    letters, digits, `.`, `_` and `-`, with no hidden, empty or parent parts.
    """
    parts = []
    for raw in [*filepath.split("/"), filename]:
        ascii_part = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
        part = _UNSAFE.sub("_", ascii_part).strip("._")[:MAX_NAME]
        if part:
            parts.append(part)
    if not parts:
        raise ValueError(f"file name {filename!r} has no usable characters")
    return posixpath.join(*parts)
