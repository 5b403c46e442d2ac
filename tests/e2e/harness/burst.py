"""One run: the exercises linked, the burst sent through the stand-in, every grade checked.

A run's verdict: no submission lost (each has a grade in Moodle), none delivered twice with
different grades, each grade the one its program earns; with its figures (latencies, graded
per minute, the time from the last submission to the last delivered grade).
"""

from __future__ import annotations

import base64
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from tests.e2e.harness.programs import ASSIGNMENTS, Planned
from tests.e2e.harness.stack import Stack


def link_exercises(stack: Stack) -> None:
    """Both assignments in the stand-in, their exercise.yaml sent as the plugin's form does."""
    for assignment in ASSIGNMENTS:
        stack.control("/assignments", {"id": assignment.id, "cmid": assignment.id, "course": 2,
                                       "grade": 100})
        sent = stack.control("/exercise", {"assignment_id": assignment.id,
                                           "bridge_url": stack.bridge_url,
                                           "exercise_yaml": assignment.yaml})
        assert sent["status"] in (200, 201), sent


@dataclass
class Sent:
    planned: Planned
    submission_id: int
    attempt: int
    at: float


def send_burst(stack: Stack, planned: list[Planned], window_s: float,
               duplicate_every: int = 7) -> list[Sent]:
    """Each planned submission made in the stand-in and notified, spread over `window_s`."""
    sent = []
    start = time.monotonic()
    for index, item in enumerate(planned):
        due = start + window_s * index / max(1, len(planned))
        time.sleep(max(0.0, due - time.monotonic()))
        made = stack.control("/submissions", {
            "assignment_id": item.assignment.id, "user_id": item.user_id,
            "files": {item.assignment.entrypoint: base64.b64encode(item.source).decode()}})
        at = time.time()
        stack.control("/notify", {"submission_id": made["id"], "bridge_url": stack.bridge_url,
                                  "retry": True, "duplicate": index % duplicate_every == 3,
                                  "max_delay_s": 5})
        sent.append(Sent(item, made["id"], made["attempt"], at))
    return sent


@dataclass
class Verdict:
    expected: int
    delivered: int = 0
    lost: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    conflicting: list[str] = field(default_factory=list)
    repeated_same: int = 0
    last_delivered_at: float = 0.0
    received: dict[tuple[int, int, int], list[float]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.wrong or self.conflicting)


def check(stack: Stack, sent: list[Sent]) -> Verdict:
    """Compare what Moodle received with what each submission should have earned."""
    grades: dict[tuple[int, int, int], list[tuple[float, float]]] = defaultdict(list)
    for saved in stack.control("/saved_grades"):
        key = (int(saved["userid"]), int(saved["assignmentid"]), int(saved["attemptnumber"]))
        grades[key].append((float(saved["grade"]), float(saved["_received_at"])))
    verdict = Verdict(expected=len(sent))
    for item in sent:
        key = (item.planned.user_id, item.planned.assignment.id, item.attempt)
        name = f"user {key[0]} assignment {key[1]} attempt {key[2]} ({item.planned.kind})"
        got = grades.get(key, [])
        if not got:
            verdict.lost.append(name)
            continue
        verdict.delivered += 1
        verdict.received[key] = [at for _, at in got]
        verdict.last_delivered_at = max(verdict.last_delivered_at, max(at for _, at in got))
        if len({grade for grade, _ in got}) > 1:
            verdict.conflicting.append(f"{name}: {[g for g, _ in got]}")
        elif len(got) > 1:
            verdict.repeated_same += len(got) - 1
        if got[0][0] != item.planned.expected_grade:
            verdict.wrong.append(f"{name}: {got[0][0]} instead of {item.planned.expected_grade}")
    return verdict


def wait_for_grades(stack: Stack, sent: list[Sent], timeout: float) -> Verdict:
    """Check until every submission has its grade or `timeout` passes; then once more later."""
    deadline = time.monotonic() + timeout
    verdict = check(stack, sent)
    while verdict.lost and time.monotonic() < deadline:
        time.sleep(1)
        for revived in stack.revive():
            print(f"   supervisor: {revived} died by itself, restarted", flush=True)
        verdict = check(stack, sent)
    time.sleep(3)  # a late duplicate would arrive now
    return check(stack, sent)


def notification_summary(stack: Stack) -> str:
    """How the plugin's notifications went: attempts, answers, the duplicates' answers."""
    records = stack.control("/notifications")
    answers: dict[str, int] = defaultdict(int)
    duplicates: dict[str, int] = defaultdict(int)
    for record in records:
        for status in record["statuses"]:
            answers[str(status)] += 1
        if "duplicate_status" in record:
            duplicates[str(record["duplicate_status"])] += 1
    unacknowledged = sum(1 for r in records if r["acknowledged_at"] is None)
    return (f"{len(records)} notified, {sum(answers.values())} attempts "
            f"{dict(sorted(answers.items()))}, unacknowledged {unacknowledged}; "
            f"duplicates sent {sum(duplicates.values())} answered {dict(sorted(duplicates.items()))}")


def graded_times(stack: Stack) -> dict[tuple[int, int, int], float]:
    """When each item's first result was stored, by (user, assignment, attempt)."""
    assert stack.postgres is not None
    engine = sa.create_engine(stack.postgres.url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text(
                "SELECT i.user_id, i.instance_id, i.attempt_number, min(r.created_at) "
                "FROM moodle_items i JOIN results r ON r.submission_id = i.submission_id "
                "GROUP BY 1, 2, 3")).all()
    finally:
        engine.dispose()
    return {(int(u), int(a), int(n)): at.timestamp() for u, a, n, at in rows}


def stuck_items(stack: Stack) -> list[tuple[Any, ...]]:
    """Items, submissions and deliveries that have not reached their end state."""
    assert stack.postgres is not None
    engine = sa.create_engine(stack.postgres.url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text(
                "SELECT i.user_id, i.instance_id, i.status, s.status, s.run_count, d.state, "
                "d.attempts, d.last_error FROM moodle_items i "
                "LEFT JOIN submissions s ON s.id = i.submission_id "
                "LEFT JOIN moodle_deliveries d ON d.submission_id = s.id "
                "WHERE d.state IS DISTINCT FROM 'delivered'")).all())
    finally:
        engine.dispose()


def end_states(stack: Stack) -> dict[str, int]:
    """How many items, submissions and deliveries ended in each state (every one should end
    fetched, delivered, delivered: any other state is a stuck row, or a grade left to a teacher)."""
    assert stack.postgres is not None
    engine = sa.create_engine(stack.postgres.url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text(
                "SELECT 'item ' || status, count(*) FROM moodle_items GROUP BY 1 UNION ALL "
                "SELECT 'submission ' || status, count(*) FROM submissions GROUP BY 1 UNION ALL "
                "SELECT 'delivery ' || state, count(*) FROM moodle_deliveries GROUP BY 1")).all()
    finally:
        engine.dispose()
    return {str(name): int(count) for name, count in rows}


def percentile(values: list[float], share: float) -> float:
    """The `share` quantile (nearest rank) of `values`."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def figures(stack: Stack, sent: list[Sent], verdict: Verdict) -> dict[str, float]:
    """Latencies, throughput and drain time of one run."""
    graded = graded_times(stack)
    to_grade, to_deliver = [], []
    for item in sent:
        key = (item.planned.user_id, item.planned.assignment.id, item.attempt)
        if key in graded:
            to_grade.append(graded[key] - item.at)
        if key in verdict.received:
            to_deliver.append(min(verdict.received[key]) - item.at)
    first, last_sent = min(i.at for i in sent), max(i.at for i in sent)
    last_graded = max(graded.values(), default=first)
    out = {"drain_s": verdict.last_delivered_at - last_sent if verdict.received else -1,
           "graded_per_min": 60 * len(graded) / max(1e-9, last_graded - first)}
    for name, values in (("grade", to_grade), ("deliver", to_deliver)):
        for share in (0.5, 0.95, 0.99):
            out[f"{name}_p{round(share * 100)}_s"] = percentile(values, share)
    return out
