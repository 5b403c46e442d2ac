"""Fetching a submitted item's files from Moodle, within limits and with safe names."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bridge.moodle import MoodleClient
from bridge.moodle.encoding import safe_file_name
from bridge.moodle.errors import MoodleFileError, MoodleResponseError

ONLINE_TEXT_NAME = "onlinetext.txt"


class Superseded(Exception):
    """Moodle already holds a newer attempt (or the submission went back to draft)."""


@dataclass(frozen=True)
class ItemRef:
    """What a fetch needs to know about an item, read before leaving the transaction."""

    site: str
    instance_id: int
    item_id: int
    user_id: int
    attempt_number: int


def fetch_assign_files(client: MoodleClient, ref: ItemRef, *, entrypoint: str,
                       max_files: int, max_bytes: int) -> dict[str, bytes]:
    """The files of one assignment submission attempt: uploads, and the online text."""
    response = client.get_submissions([ref.instance_id])
    mine = [s for s in response.for_assignment(ref.instance_id) if s.userid == ref.user_id]
    if not mine:
        warnings = "; ".join(w.message for w in response.warnings)
        raise MoodleResponseError(f"submission {ref.item_id} is not visible to the bridge"
                                  + (f" ({warnings})" if warnings else ""),
                                  function="mod_assign_get_submissions")
    submission = max(mine, key=lambda s: s.attemptnumber)
    if submission.attemptnumber > ref.attempt_number or submission.id != ref.item_id:
        raise Superseded(f"attempt {submission.attemptnumber} replaced attempt "
                         f"{ref.attempt_number}")
    if submission.status != "submitted":
        raise Superseded(f"the submission is {submission.status!r} now")
    listed = submission.files()
    if len(listed) > max_files:
        raise MoodleFileError(f"{len(listed)} files; at most {max_files} are graded")
    if sum(f.filesize for f in listed) > max_bytes:
        raise MoodleFileError(f"the files exceed {max_bytes // 1024} KiB in total")
    files: dict[str, bytes] = {}
    remaining = max_bytes
    for listed_file in listed:
        try:
            name = safe_file_name(listed_file.filepath, listed_file.filename)
        except ValueError as exc:
            raise MoodleFileError(str(exc)) from None
        if name in files:
            raise MoodleFileError(f"two files are both named {name!r} once made safe")
        content = client.download(listed_file.fileurl, max_bytes=remaining)
        remaining -= len(content)
        files[name] = content
    text = submission.online_text()
    if text is not None:
        plain = html_to_text(text).encode()
        # Code typed into the editor is the program when nothing was uploaded.
        name = entrypoint if not files else ONLINE_TEXT_NAME
        if name not in files and len(plain) <= remaining:
            files[name] = plain
    return files


_BREAKS = re.compile(r"<\s*(br\s*/?|/p|/div|/pre|/li)\s*>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]*>")


def html_to_text(text: str) -> str:
    """Moodle's editor HTML as plain text: line breaks kept, tags dropped, entities decoded."""
    text = _BREAKS.sub("\n", text.replace("\r\n", "\n"))
    text = html.unescape(_TAGS.sub("", text))
    return text.replace("\xa0", " ").strip("\n") + "\n"
