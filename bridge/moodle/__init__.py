"""The one Moodle web-service client: typed calls, Moodle's quirks, errors classified."""

from bridge.moodle.client import MoodleClient, client_for_site
from bridge.moodle.errors import (
    AttemptNotFinished,
    MoodleError,
    MoodleFileError,
    MoodlePermanentError,
    MoodleProtocolError,
    MoodleRetryableError,
    MoodleUnavailable,
    MoodleWSException,
    QuestionChanged,
)

__all__ = [
    "AttemptNotFinished",
    "MoodleClient",
    "MoodleError",
    "MoodleFileError",
    "MoodlePermanentError",
    "MoodleProtocolError",
    "MoodleRetryableError",
    "MoodleUnavailable",
    "MoodleWSException",
    "QuestionChanged",
    "client_for_site",
]
