"""An exercise's files as they travel: decoded from an upload (files, a zip), packed for download.

The Moodle plugin sends, in a schema-2 upload, any of: the exercise.yaml typed into the form,
files by path (base64) from the Autograding file area, and one zip of the exercise folder
(base64), forwarded unopened so that this is the only place that inflates it, with bounds
(grader.exercise.archive). A path given twice is refused, naming it; so is anything over the
limits (count, bytes per file and in total), each as an `ExerciseError` the teacher reads.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator
from sqlalchemy.orm import Session

from bridge.config import get_settings
from bridge.exercises.repository import ExerciseRepository
from bridge.exercises.service import ExerciseNotFound
from grader import SPEC_FILE, ExerciseError
from grader.exercise.archive import ARCHIVE, ArchiveLimits, check_path, read_zip, write_zip

_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


class ExerciseFilesUpload(BaseModel):
    """The exercise part of a signed upload: schema 1 is exercise.yaml alone; schema 2 adds
    `files` ({relative path: base64}) and `archive` (a base64 zip), any of the three."""

    model_config = ConfigDict(extra="forbid", strict=True)

    schema_: Literal[1, 2] = Field(alias="schema")
    exercise_yaml: StrictStr | None = None
    files: dict[StrictStr, StrictStr] | None = None
    archive: StrictStr | None = None

    @model_validator(mode="after")
    def _carries_an_exercise(self) -> ExerciseFilesUpload:
        if self.schema_ == 1 and (self.exercise_yaml is None or self.files is not None
                                  or self.archive is not None):
            raise ValueError("schema 1 carries exercise_yaml alone; files and archive need "
                             "schema 2")
        if self.exercise_yaml is None and not self.files and self.archive is None:
            raise ValueError("give exercise_yaml, files or archive")
        return self

    def exercise_files(self) -> dict[str, bytes]:
        """The exercise's files, decoded and bounded; ExerciseError naming what is refused."""
        return upload_files(exercise_yaml=self.exercise_yaml, files=self.files,
                            archive=self.archive)


def upload_limits() -> ArchiveLimits:
    """The bounds of one upload, from the settings."""
    settings = get_settings()
    return ArchiveLimits(max_archive_bytes=settings.intake_max_exercise_bytes,
                         max_entries=settings.exercise_max_files,
                         max_file_bytes=settings.exercise_max_file_bytes,
                         max_total_bytes=settings.exercise_max_total_bytes)


def upload_files(*, exercise_yaml: str | None, files: dict[str, str] | None,
                 archive: str | None, limits: ArchiveLimits | None = None) -> dict[str, bytes]:
    """The exercise an upload carries, {path: content}; ExerciseError naming what is refused."""
    limits = limits or upload_limits()
    found: dict[str, bytes] = {}
    origin: dict[str, str] = {}

    def add(path: str, content: bytes, source: str) -> None:
        if path in found:
            raise ExerciseError(path, None, f"given twice: in {origin[path]} and in {source}")
        found[path], origin[path] = content, source

    if archive is not None:
        for path, content in read_zip(_decoded(ARCHIVE, archive), limits).items():
            add(path, content, "the zip")
    for path, encoded in (files or {}).items():
        if len(found) >= limits.max_entries:
            raise ExerciseError(path, None, f"more than {limits.max_entries} files")
        check_path(path)
        content = _decoded(path, encoded)
        if len(content) > limits.max_file_bytes:
            raise ExerciseError(path, None, f"file is larger than {limits.max_file_bytes} bytes")
        add(path, content, "the uploaded files")
    if exercise_yaml is not None:
        add(SPEC_FILE, exercise_yaml.encode(), "the form's exercise.yaml")
    if sum(len(content) for content in found.values()) > limits.max_total_bytes:
        raise ExerciseError(SPEC_FILE, None,
                            f"exercise files exceed {limits.max_total_bytes} bytes")
    return found


def version_zip(session: Session, *, version_id: uuid.UUID) -> tuple[str, bytes]:
    """A stored version as a zip `grader check` accepts: (file name, bytes)."""
    version = ExerciseRepository(session).get_version(version_id)
    if version is None:
        raise ExerciseNotFound(version_id)
    folder = f"exercise-{version.exercise_id.hex[:8]}-v{version.number}"
    return f"{folder}.zip", write_zip({f.path: f.content for f in version.files}, folder)


def _decoded(path: str, encoded: str) -> bytes:
    # Strict: no whitespace or URL-safe alphabet, so that one text has one meaning.
    if len(encoded) % 4 or not _BASE64.fullmatch(encoded):
        raise ExerciseError(path, None, "is not valid base64")
    try:
        return base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise ExerciseError(path, None, "is not valid base64") from None
