"""Moodle failures, each one either worth retrying or not.

Moodle reports most errors inside HTTP 200 (`{"exception", "errorcode", "message"}`); the
errorcode, not the status, says whether trying again can help.
"""

from __future__ import annotations

from bridge.moodle.encoding import redact

# Exceptions that come from a passing condition on Moodle's side (database hiccup, maintenance).
RETRYABLE_ERRORCODES = frozenset({
    "dmlreadexception", "dmlwriteexception", "dbtransactionfailed", "sitemaintenance",
    "ddllocktimeout", "cannotgetlock", "locktimeout",
})


class MoodleError(Exception):
    """A Moodle call that did not succeed. `retryable` says whether trying later may help."""

    retryable = False

    def __init__(self, message: str, *, function: str | None = None,
                 errorcode: str | None = None) -> None:
        self.function, self.errorcode = function, errorcode
        # Moodle repeats what it was sent (a token, in a warning or an exception): no message
        # carries a configured secret into a log, a stored error or an API answer.
        super().__init__(redact(f"{function}: {message}" if function else message))


class MoodleRetryableError(MoodleError):
    retryable = True


class MoodlePermanentError(MoodleError):
    retryable = False


class MoodleUnavailable(MoodleRetryableError):
    """Network failure, timeout, or an HTTP status that means "not now" (5xx, 429, 408)."""


class MoodleProtocolError(MoodleRetryableError):
    """An answer that is not what a Moodle web service returns (an HTML page from a proxy)."""


class MoodleWSException(MoodleError):
    """An exception Moodle returned inside HTTP 200."""

    def __init__(self, message: str, *, function: str | None, errorcode: str,
                 exception: str = "") -> None:
        self.exception = exception
        super().__init__(f"{errorcode}: {message}", function=function, errorcode=errorcode)

    @property
    def retryable(self) -> bool:  # type: ignore[override]
        return self.errorcode in RETRYABLE_ERRORCODES


class MoodleFileError(MoodlePermanentError):
    """A submitted file that cannot be taken: too large, too many, unsafe name, foreign URL."""


class MoodleResponseError(MoodlePermanentError):
    """A well-formed answer that does not hold what was asked for (unknown assignment...)."""


class AttemptNotFinished(MoodleRetryableError):
    """local_bridge's `attemptnotfinished`: the attempt is not graded yet; it normally is soon.

    Moodle 5.0 finishes the questions right after attempt_submitted, so the bridge waits and
    asks again; an attempt that stays unfinished (abandoned, a preview) fails after the retries.
    """


class QuestionChanged(MoodlePermanentError):
    """local_bridge's `questionchanged`: someone acted on the question since it was read."""
