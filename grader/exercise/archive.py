"""An exercise as one zip: read with bounds before anything is extracted, written back alike.

A zip is teacher input from a web form, or a file a teacher made: it can claim anything. So the
reader refuses, before a single byte is inflated, an archive larger than allowed, more entries
than allowed (counted in the end record, then in the directory), encrypted entries, compression
other than stored/deflate, symlinks and special files, absolute paths, `..`, and declared sizes
over the per-file or total limit; then it inflates each file counting the bytes it actually
gets, so an entry that lies about its size is stopped at the limit, not at the end of memory.
Each refusal is an `ExerciseError` naming the entry (or the archive) at fault.
"""

from __future__ import annotations

import io
import stat
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

from grader.exercise.errors import ExerciseError, quote
from grader.exercise.loading import MAX_FILE_BYTES, MAX_TOTAL_BYTES, SPEC_FILE, parse_exercise
from grader.exercise.models import Exercise
from grader.exercise.paths import PathRefused, unique_paths

ARCHIVE = "exercise.zip"
# What zip tools add beside the files; never part of an exercise.
_JUNK_DIRS = ("__MACOSX", "__pycache__")
_JUNK_FILES = (".DS_Store", "Thumbs.db")
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_END_RECORD = b"PK\x05\x06"
_CHUNK = 64 * 1024
# A fixed time makes the same files the same bytes (downloads compare equal, caches work).
_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class ArchiveLimits:
    """What one exercise zip may hold: its own size, entries, bytes per file and in total."""

    max_archive_bytes: int = MAX_TOTAL_BYTES
    max_entries: int = 500
    max_file_bytes: int = MAX_FILE_BYTES
    max_total_bytes: int = MAX_TOTAL_BYTES


DEFAULT_LIMITS = ArchiveLimits()


def read_zip(data: bytes, limits: ArchiveLimits = DEFAULT_LIMITS,
             label: str = ARCHIVE) -> dict[str, bytes]:
    """The files of an exercise zip, {relative path: content}; ExerciseError if refused.

    A zip of the exercise's folder (every entry below one directory holding exercise.yaml) is
    read as that folder.
    """
    if len(data) > limits.max_archive_bytes:
        raise ExerciseError(label, None, f"the zip is larger than {limits.max_archive_bytes} bytes")
    declared = _declared_entries(data)
    if declared is not None and declared > limits.max_entries:
        raise ExerciseError(label, None, f"more than {limits.max_entries} entries")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise ExerciseError(label, None, "is not a readable zip file") from None
    with archive:
        entries = archive.infolist()
        if len(entries) > limits.max_entries:
            raise ExerciseError(label, None, f"more than {limits.max_entries} entries")
        members = _checked_members(entries, limits, label)
        files = {name: _inflate(archive, info, limits.max_file_bytes) for name, info in members}
    if sum(len(content) for content in files.values()) > limits.max_total_bytes:
        raise ExerciseError(label, None, f"the files exceed {limits.max_total_bytes} bytes")
    try:
        return _without_top_folder(unique_paths(files))
    except PathRefused as exc:
        raise ExerciseError(exc.name, None, str(exc)) from None


def write_zip(files: dict[str, bytes], folder: str = "") -> bytes:
    """A zip of exercise files (below `folder`/ if given) that read_zip and `grader check` take."""
    buffer = io.BytesIO()
    prefix = f"{folder.strip('/')}/" if folder.strip("/") else ""
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(prefix + path, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, files[path])
    return buffer.getvalue()


def load_exercise_zip(path: Path, limits: ArchiveLimits = DEFAULT_LIMITS) -> Exercise:
    """Load and check an exercise zip from disk (what `grader check exercise.zip` reads)."""
    with path.open("rb") as handle:
        data = handle.read(limits.max_archive_bytes + 1)
    return parse_exercise(read_zip(data, limits, label=path.name))


def _declared_entries(data: bytes) -> int | None:
    """The entry count of the end record, read without parsing the central directory."""
    at = data.rfind(_END_RECORD, max(0, len(data) - 22 - 0xFFFF))
    if at < 0 or at + 22 > len(data):
        return None  # zipfile names what is wrong
    (total,) = struct.unpack_from("<H", data, at + 10)
    return int(total)


def _checked_members(entries: list[zipfile.ZipInfo], limits: ArchiveLimits,
                     label: str) -> list[tuple[str, zipfile.ZipInfo]]:
    members: list[tuple[str, zipfile.ZipInfo]] = []
    declared_total = 0
    for info in entries:
        name = info.filename
        parts = name.rstrip("/").split("/")
        if _is_junk(parts):
            continue
        check_path(name)
        kind = stat.S_IFMT(info.external_attr >> 16)
        if kind == stat.S_IFLNK:
            raise ExerciseError(name, None, "symlinks are not allowed")
        if info.is_dir():
            continue
        if kind not in (0, stat.S_IFREG):
            raise ExerciseError(name, None, "only regular files are allowed")
        if info.flag_bits & 0x1:
            raise ExerciseError(name, None, "is encrypted; zip it without a password")
        if info.compress_type not in _METHODS:
            raise ExerciseError(name, None, f"compression method {info.compress_type} is not "
                                            "supported; use deflate (the default of zip tools)")
        if info.file_size > limits.max_file_bytes:
            raise ExerciseError(name, None, f"file is larger than {limits.max_file_bytes} bytes")
        declared_total += info.file_size
        if declared_total > limits.max_total_bytes:
            raise ExerciseError(label, None, f"the files exceed {limits.max_total_bytes} bytes")
        members.append((name, info))
    return members


def _is_junk(parts: list[str]) -> bool:
    return any(part in _JUNK_DIRS for part in parts[:-1]) or parts[-1] in _JUNK_FILES \
        or parts[0] == "__MACOSX"


def check_path(name: str) -> None:
    """Refuse a member name that is absolute, has a drive or backslash, or contains `..`."""
    parts = name.rstrip("/").split("/")
    if name.startswith("/") or "\\" in name or "\x00" in name or (len(name) > 1 and name[1] == ":"):
        raise ExerciseError(name, None, f"{quote(name)} must be a relative path, without "
                                        "backslashes or a drive")
    if ".." in parts:
        raise ExerciseError(name, None, f"{quote(name)} must not contain '..'")


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """The entry's content, never more than `limit` bytes whatever its header says."""
    out = bytearray()
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                out += chunk
                if len(out) > limit:
                    raise ExerciseError(info.filename, None,
                                        f"file is larger than {limit} bytes")
    except ExerciseError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        # zlib errors and CRC mismatches: a damaged or doctored entry.
        raise ExerciseError(info.filename, None, f"cannot be read from the zip: {exc}") from None
    return bytes(out)


def _without_top_folder(files: dict[str, bytes]) -> dict[str, bytes]:
    if SPEC_FILE in files or not files:
        return files
    tops = {path.split("/", 1)[0] for path in files}
    if len(tops) != 1 or any("/" not in path for path in files):
        return files
    (top,) = tops
    if f"{top}/{SPEC_FILE}" not in files:
        return files
    return {path[len(top) + 1:]: content for path, content in files.items()}
