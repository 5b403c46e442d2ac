"""Structured JSON logs: one line per record, with the request or task context, secrets redacted."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import IO, Any
from urllib.parse import quote, quote_plus

from pythonjsonlogger.json import JsonFormatter

REDACTED = "***"
# A key is secret when its name contains one of these (wstoken, x-api-key, refresh_token, ...).
SECRET_KEY_PARTS = ("token", "secret", "password", "passwd", "authorization", "apikey",
                    "api_key", "cookie", "private_key", "signature")
_SENSITIVE_NAME = (
    r"[\w.-]*(?:token|secret|passw(?:or)?d|authorization|api[_-]?key|cookie|signature)[\w.-]*"
)
_TEXT_PATTERNS = (
    # key=value, key: value and "key": "value" (query strings, headers, reprs, JSON).
    (re.compile(rf"(?i)(\b{_SENSITIVE_NAME}[\"']?\s*[:=]\s*[\"']?)(?:bearer\s+|basic\s+)?[^\s\"'&,;)}}]+"),
     rf"\1{REDACTED}"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {REDACTED}"),
    # Credentials inside URLs: scheme://user:password@host.
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@"), rf"\1{REDACTED}@"),
    # Anything shaped like a JWT.
    (re.compile(r"\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*"), REDACTED),
)
# Attributes every LogRecord has; anything else on a record came from `extra` or a filter.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName",
}
_HANDLER_MARK = "_moodle_bridge_handler"
_log_context: ContextVar[Mapping[str, str]] = ContextVar("log_context", default={})  # noqa: B039
# Values of the configured secrets (API key, tokens, passwords): redacted wherever they appear,
# whatever a parameter around them is called (`?key=...`). Shorter values would match ordinary
# words by chance (a test database's password "postgres"); no real secret is that short.
_KNOWN_SECRETS: set[str] = set()
MIN_SECRET_LENGTH = 12


def register_secret(value: str) -> None:
    """Redact `value` (and its URL-encoded form) from every log line and stored error."""
    if len(value) >= MIN_SECRET_LENGTH:
        _KNOWN_SECRETS.update({value, quote(value, safe=""), quote_plus(value)})


def redact_secrets(text: str) -> str:
    """`text` without any registered secret value."""
    # Longest first, so that a secret containing another is replaced whole.
    for secret in sorted(_KNOWN_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact_text(text: str) -> str:
    """`text` with known secret values and secret-looking values replaced by ***."""
    text = redact_secrets(text)
    for pattern, replacement in _TEXT_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def is_secret_key(key: str) -> bool:
    """Whether a field named `key` holds a secret."""
    normalized = key.lower().replace("-", "_")
    return any(part in normalized for part in SECRET_KEY_PARTS)


def redact_value(value: Any, depth: int = 0) -> Any:
    """A copy of `value` with secret keys and secret-looking strings redacted."""
    if depth > 5:
        return value
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: REDACTED if is_secret_key(str(k)) else redact_value(v, depth + 1)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(v, depth + 1) for v in value)
    return value


def bind_log_context(**fields: str) -> Token[Mapping[str, str]]:
    """Add `fields` to every record logged in this context; undo with `reset_log_context`."""
    return _log_context.set({**_log_context.get(), **fields})


def reset_log_context(token: Token[Mapping[str, str]]) -> None:
    """Restore the log context from before `bind_log_context`."""
    _log_context.reset(token)


@contextmanager
def log_context(**fields: str) -> Iterator[None]:
    """Records logged inside the block carry `fields`."""
    token = bind_log_context(**fields)
    try:
        yield
    finally:
        reset_log_context(token)


def current_log_context() -> Mapping[str, str]:
    """The fields bound in this context (request_id, task_id, submission_id, ...)."""
    return _log_context.get()


class ContextFilter(logging.Filter):
    """Copies the bound context (request id, task and submission ids) onto each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _log_context.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class RedactionFilter(logging.Filter):
    """Removes secrets from the message, its arguments and the `extra` fields of a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the formatter to report
            message = None
        if message is not None:
            record.msg, record.args = redact_text(message), None
        for key, value in list(vars(record).items()):
            if key in _RECORD_ATTRS:
                continue
            setattr(record, key, REDACTED if is_secret_key(key) else redact_value(value))
        return True


class BridgeJsonFormatter(JsonFormatter):
    """JSON lines: time, level, logger, message, context and extra fields; tracebacks redacted."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )

    def formatException(self, ei: Any) -> str | list[str]:  # type: ignore[override]
        return _redact_lines(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str | list[str]:  # type: ignore[override]
        return _redact_lines(super().formatStack(stack_info))


def _redact_lines(text: str | list[str]) -> str | list[str]:
    return redact_text(text) if isinstance(text, str) else [redact_text(t) for t in text]


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        context = " ".join(f"{k}={v}" for k, v in _log_context.get().items())
        return redact_text(super().format(record) + (f" [{context}]" if context else ""))


def make_handler(stream: IO[str] | None = None, fmt: str = "json") -> logging.Handler:
    """A stream handler writing redacted records with their context, as JSON or plain text."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactionFilter())
    if fmt == "json":
        handler.setFormatter(BridgeJsonFormatter())
    else:
        handler.setFormatter(_TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    return handler


def configure_logging(level: int | str | None = None, fmt: str | None = None,
                      stream: IO[str] | None = None) -> logging.Handler:
    """Send every log record of the process (uvicorn's and Celery's too) through one handler.

    Idempotent: replaces the handler it installed before and leaves others (pytest's) alone.
    """
    from bridge.config import get_core_settings

    settings = get_core_settings()
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    handler = make_handler(stream, fmt or settings.log_format)
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)
    root.setLevel(level or settings.log_level.upper())
    # uvicorn installs plain-text handlers before it imports the app: route its records here.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        server_logger = logging.getLogger(name)
        server_logger.handlers.clear()
        server_logger.propagate = True
    return handler
