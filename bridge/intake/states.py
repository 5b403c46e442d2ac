"""The grading state of a submission as its student sees it, and the failures a teacher hears of.

Built on the combined status operators read (bridge.intake.status), renamed for people:
queued, running, graded (with the score), failed (with why). Moodle asks with the site's
signature (bridge.intake.state_endpoints); the site names the users and only ever gets the
items of those (kind, cmid, user) keys, of its own site.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from bridge.intake import status as item_status
from bridge.intake.models import IntakeItem, IntakeStatus, ItemKind
from bridge.intake.schemas import ItemRead
from bridge.intake.state_repository import StateRepository
from bridge.intake.state_schemas import (
    FailureAnswer,
    FailureRead,
    GradingState,
    StateKey,
    StateRead,
)

DETAIL_CHARS = 500
# ItemRead.status → (state, reason). Anything not named here is still on its way: queued.
SHOWN: dict[str, tuple[GradingState, str | None]] = {
    "received": (GradingState.QUEUED, None),
    "superseded": (GradingState.QUEUED, None),  # a newer save of the attempt is on its way
    "queued": (GradingState.QUEUED, None),
    "running": (GradingState.RUNNING, None),
    "graded": (GradingState.GRADED, None),
    "delivered": (GradingState.GRADED, None),
    "teacher_override": (GradingState.GRADED, "teacher_override"),
    "rejected": (GradingState.FAILED, "rejected"),
    "no_exercise": (GradingState.FAILED, "no_exercise"),
    "unsupported": (GradingState.FAILED, "unsupported"),
    "delivery_parked": (GradingState.FAILED, "delivery_parked"),
}
IN_GRADEBOOK = frozenset({"delivered", "teacher_override"})


def shown_state(read: ItemRead) -> tuple[GradingState, str | None]:
    """What a student is told about an item, and why when it failed."""
    if read.status == "failed":
        # The intake failed (Moodle refused the files for good) or grading did.
        fetch = read.intake_status is IntakeStatus.FAILED
        return GradingState.FAILED, "fetch_failed" if fetch else "grading_failed"
    return SHOWN.get(read.status, (GradingState.QUEUED, None))


def failure_id(read: ItemRead, reason: str) -> str:
    """The stable id of one failure: the same item, submission and cause give the same id."""
    key = f"{read.id}|{read.submission_id or '-'}|{reason}"
    return hashlib.sha256(key.encode()).hexdigest()


def _unix(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment is not None else None


def state_of(read: ItemRead) -> StateRead:
    """The StateRead of one item."""
    state, reason = shown_state(read)
    failed = state is GradingState.FAILED
    in_gradebook = read.status in IN_GRADEBOOK
    return StateRead(
        kind=read.kind.value, cmid=read.cmid, user_id=read.user_id,
        attempt_number=read.attempt_number, state=state,
        final=failed or in_gradebook, reason=reason,
        score=read.score if state is GradingState.GRADED else None,
        max_score=read.max_score if state is GradingState.GRADED else None,
        grade=read.grade if in_gradebook else None, in_gradebook=in_gradebook,
        detail=((read.error or "")[:DETAIL_CHARS] or None) if failed else None,
        failure_id=failure_id(read, reason or "") if failed else None,
        updated_at=_unix(read.modified_at or read.created_at))


def states(session: Session, *, site: str, keys: list[StateKey]) -> list[StateRead]:
    """The state of each asked-for submission of `site`, in the order asked."""
    repo = StateRepository(session)
    answers = []
    for key in keys:
        item = repo.latest(site, ItemKind(key.kind), key.cmid, key.user_id, key.attempt_number)
        if item is None:
            answers.append(StateRead(kind=key.kind, cmid=key.cmid, user_id=key.user_id,
                                     attempt_number=key.attempt_number,
                                     state=GradingState.UNKNOWN, final=False))
            continue
        answers.append(state_of(_read(session, item)))
    return answers


def _read(session: Session, item: IntakeItem) -> ItemRead:
    found = item_status.item_read(session, item.id)
    assert found is not None  # the item was just read in this session
    return found


def failures(session: Session, *, site: str, since: int, limit: int) -> FailureAnswer:
    """Submissions of `site` that could not be graded, failed at or after `since` (unix s)."""
    candidates = StateRepository(session).failure_candidates(
        site, datetime.fromtimestamp(since, UTC), limit)
    found: list[FailureRead] = []
    seen: set[uuid.UUID] = set()
    next_since = since
    for item, at in candidates:
        next_since = max(next_since, int(at.timestamp()))
        if item.id in seen:
            continue
        seen.add(item.id)
        read = _read(session, item)
        state, reason = shown_state(read)
        if state is not GradingState.FAILED or reason is None:
            continue  # failed once, fine now (a parked delivery retried, a refetch)
        found.append(FailureRead(
            failure_id=failure_id(read, reason), kind=read.kind.value, cmid=read.cmid,
            course_id=item.course_id, instance_id=read.instance_id, user_id=read.user_id,
            attempt_number=read.attempt_number, reason=reason,
            detail=(read.error or "")[:DETAIL_CHARS] or None, failed_at=int(at.timestamp())))
    return FailureAnswer(failures=found, next_since=next_since,
                         more=len(candidates) >= limit)
