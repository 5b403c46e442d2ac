"""The one Moodle web-service client: typed calls, Moodle's quirks, errors classified."""

from bridge.moodle.client import MoodleClient, client_for_site
from bridge.moodle.errors import (
    MoodleError,
    MoodleFileError,
    MoodlePermanentError,
    MoodleProtocolError,
    MoodleRetryableError,
    MoodleUnavailable,
    MoodleWSException,
)

__all__ = [
    "MoodleClient",
    "MoodleError",
    "MoodleFileError",
    "MoodlePermanentError",
    "MoodleProtocolError",
    "MoodleRetryableError",
    "MoodleUnavailable",
    "MoodleWSException",
    "client_for_site",
]
