"""Making untrusted program output safe to store and show: never trusted, never raw."""

from __future__ import annotations

import regex

# CSI / OSC / other ESC sequences, then any C0/C1 control but tab and newline.
_ESCAPES = regex.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROLS = regex.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe_text(data: bytes | str, limit: int | None = None) -> str:
    """Decode as UTF-8 (bad bytes become U+FFFD), drop terminal escapes and control bytes."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = text.replace("\r\n", "\n")
    text = _ESCAPES.sub("", text)
    text = _CONTROLS.sub(lambda m: "\ufffd" if m.group() == "\x00" else "", text)
    if limit is not None and len(text) > limit:
        text = text[:limit] + f"\n... [{len(text) - limit} more characters]"
    return text


def excerpt(text: str, limit: int = 800) -> str:
    """A short, safe excerpt for feedback."""
    return safe_text(text, limit)
