"""Generate tests/vectors/webhook_vectors.json: the intake signing scheme and notification bodies.

Scheme (local_bridge -> bridge):
    X-Bridge-Site: <site id>
    X-Bridge-Timestamp: <unix seconds, decimal digits only>
    X-Bridge-Signature: sha256=<lowercase hex HMAC-SHA256(secret, "<timestamp>.<raw body bytes>")>
accepted while |now - timestamp| <= window_s. The HMAC covers the raw bytes as received, never a
re-serialisation. Fully deterministic: no randomness, fixed clock.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from _testkeys import compact_json

OUT = Path(__file__).resolve().parent / "webhook_vectors.json"

SECRET = "test-only-webhook-secret-never-use-in-production-7f3a9c"
SITE = "moodle-test-site"
NOW = 1767225600
WINDOW_S = 300
MAX_BODY_BYTES = 16384
ASSIGN_EVENT = "\\mod_assign\\event\\assessable_submitted"
QUIZ_EVENT = "\\mod_quiz\\event\\attempt_submitted"

CHECK_ORDER = [
    "oversized",
    "missing_header",
    "malformed_header",
    "unknown_site",
    "stale",
    "future",
    "bad_signature",
    "invalid_json",
    "schema_invalid",
    "site_mismatch",
]


def event_id(site: str, eventname: str, cmid: int, objectid: int, timecreated: int) -> str:
    """Stable id of one Moodle event, as local_bridge\\notification computes it."""
    return hashlib.sha256(f"{site}|{eventname}|{cmid}|{objectid}|{timecreated}".encode()).hexdigest()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Header value for a body signed at timestamp."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


# Moodle events as an observer sees them (fields from shared/moodle/ws/events_observed.txt) and the
# notification local_bridge must build from each.
EXAMPLES: list[dict[str, Any]] = [
    {
        "name": "assign_submitted_by_student",
        "event": {"eventname": ASSIGN_EVENT, "component": "mod_assign", "objecttable": "assign_submission",
                  "objectid": 1, "contextinstanceid": 1, "userid": 5, "relateduserid": None, "courseid": 2,
                  "other": {"submission_editable": False}, "timecreated": NOW - 10},
        "snapshot": {"table": "assign_submission",
                     "record": {"id": 1, "assignment": 1, "userid": 5, "attemptnumber": 0, "status": "submitted"}},
    },
    {
        "name": "assign_submitted_by_teacher_for_student",
        "event": {"eventname": ASSIGN_EVENT, "component": "mod_assign", "objecttable": "assign_submission",
                  "objectid": 7, "contextinstanceid": 1, "userid": 2, "relateduserid": 6, "courseid": 2,
                  "other": {"submission_editable": False}, "timecreated": NOW - 20},
        "snapshot": {"table": "assign_submission",
                     "record": {"id": 7, "assignment": 1, "userid": 6, "attemptnumber": 2, "status": "submitted"}},
    },
    {
        "name": "quiz_attempt_submitted",
        "event": {"eventname": QUIZ_EVENT, "component": "mod_quiz", "objecttable": "quiz_attempts",
                  "objectid": 2, "contextinstanceid": 2, "userid": 5, "relateduserid": 5, "courseid": 2,
                  "other": {"submitterid": "5", "quizid": "1", "studentisonline": True}, "timecreated": NOW - 30},
        "snapshot": {"table": "quiz_attempts",
                     "record": {"id": 2, "quiz": 1, "userid": 5, "attempt": 1, "uniqueid": 2, "state": "finished"}},
    },
]


def notification(example: dict[str, Any]) -> dict[str, Any]:
    """The body local_bridge sends for one example event, keys in the order PHP emits them."""
    event, record = example["event"], example["snapshot"]["record"]
    assign = event["eventname"] == ASSIGN_EVENT
    return {
        "schema": 1,
        "site": SITE,
        "event_id": event_id(SITE, event["eventname"], event["contextinstanceid"], event["objectid"],
                             event["timecreated"]),
        "kind": "assign_submission" if assign else "quiz_attempt",
        "course_id": event["courseid"],
        "cmid": event["contextinstanceid"],
        "instance_id": record["assignment"] if assign else record["quiz"],
        "item_id": event["objectid"],
        "user_id": record["userid"],
        "attempt_number": record["attemptnumber"] if assign else record["attempt"],
        "submitted_at": event["timecreated"],
        "event": event["eventname"],
    }


def build_cases() -> list[dict[str, Any]]:
    """Every case, in a stable order."""
    cases: list[dict[str, Any]] = []
    assign = compact_json(notification(EXAMPLES[0])).decode()
    quiz = compact_json(notification(EXAMPLES[2])).decode()
    now = str(NOW)

    def signed(body: str, timestamp: str = now, secret: str = SECRET, site: str = SITE) -> dict[str, str]:
        return {"X-Bridge-Site": site, "X-Bridge-Timestamp": timestamp,
                "X-Bridge-Signature": signature(secret, timestamp, body.encode())}

    def add(name: str, layer: str, headers: dict[str, str], body: str, reason: str) -> None:
        cases.append({"name": name, "layer": layer, "headers": headers, "body": body,
                      "verdict": "accept" if reason == "valid" else "reject", "reason": reason})

    add("valid_assign_submission", "signature", signed(assign), assign, "valid")
    add("valid_quiz_attempt", "signature", signed(quiz), quiz, "valid")
    pretty = json.dumps(notification(EXAMPLES[1]), indent=2)
    add("valid_raw_bytes_not_reserialised", "signature", signed(pretty), pretty, "valid")
    add("valid_window_edge_past", "signature", signed(assign, str(NOW - WINDOW_S)), assign, "valid")
    add("valid_window_edge_future", "signature", signed(assign, str(NOW + WINDOW_S)), assign, "valid")
    add("wrong_secret", "signature", signed(assign, secret=SECRET + "x"), assign, "bad_signature")
    add("body_tampered", "signature", signed(assign), assign.replace('"user_id":5', '"user_id":6'),
        "bad_signature")
    moved = signed(assign)
    moved["X-Bridge-Timestamp"] = str(NOW - 1)
    add("timestamp_changed_after_signing", "signature", moved, assign, "bad_signature")
    add("stale", "signature", signed(assign, str(NOW - WINDOW_S - 1)), assign, "stale")
    add("stale_by_a_day", "signature", signed(assign, str(NOW - 86400)), assign, "stale")
    add("future", "signature", signed(assign, str(NOW + WINDOW_S + 1)), assign, "future")
    for header in ("X-Bridge-Signature", "X-Bridge-Timestamp", "X-Bridge-Site"):
        missing = signed(assign)
        del missing[header]
        add(f"missing_{header.lower().replace('-', '_')}", "signature", missing, assign, "missing_header")
    good = signed(assign)
    hexdigest = good["X-Bridge-Signature"].removeprefix("sha256=")
    for name, field, value in (
        ("signature_without_prefix", "X-Bridge-Signature", hexdigest),
        ("signature_wrong_scheme", "X-Bridge-Signature", f"sha1={hexdigest}"),
        ("signature_uppercase_hex", "X-Bridge-Signature", f"sha256={hexdigest.upper()}"),
        ("signature_short", "X-Bridge-Signature", f"sha256={hexdigest[:63]}"),
        ("timestamp_fractional", "X-Bridge-Timestamp", f"{NOW}.5"),
        ("timestamp_not_a_number", "X-Bridge-Timestamp", "yesterday"),
        ("timestamp_negative", "X-Bridge-Timestamp", f"-{NOW}"),
    ):
        add(name, "signature", {**good, field: value}, assign, "malformed_header")
    add("unknown_site", "signature", signed(assign, site="another-site"), assign, "unknown_site")
    big = json.dumps({**notification(EXAMPLES[0]), "padding": "x" * MAX_BODY_BYTES}, separators=(",", ":"))
    add("oversized", "signature", signed(big), big, "oversized")

    def schema_case(name: str, body: str, reason: str = "schema_invalid") -> None:
        add(name, "schema", signed(body), body, reason)

    schema_case("not_json", "{\"schema\":1,", "invalid_json")
    base = notification(EXAMPLES[0])
    schema_case("missing_event_id", compact_json({k: v for k, v in base.items() if k != "event_id"}).decode())
    schema_case("unknown_kind", compact_json({**base, "kind": "forum_post"}).decode())
    schema_case("course_id_as_string", compact_json({**base, "course_id": "2"}).decode())
    schema_case("future_schema_version", compact_json({**base, "schema": 2}).decode())
    schema_case("extra_field", compact_json({**base, "grade": 100}).decode())
    schema_case("kind_event_mismatch", compact_json({**base, "event": QUIZ_EVENT}).decode())
    schema_case("site_mismatch", compact_json({**base, "site": "another-site"}).decode(), "site_mismatch")
    return cases


def main() -> None:
    """Write the vector file."""
    document = {
        "description": "Shared intake signing vectors (TEST-ONLY secret, see tests/vectors/README.md).",
        "secret": SECRET,
        "site": SITE,
        "now": NOW,
        "window_s": WINDOW_S,
        "max_body_bytes": MAX_BODY_BYTES,
        "signed_string": "<X-Bridge-Timestamp>.<raw body bytes>",
        "signature_header": "sha256=<lowercase hex HMAC-SHA256(secret, signed_string)>",
        "check_order": CHECK_ORDER,
        "notification_examples": [{**example, "body": compact_json(notification(example)).decode()}
                                  for example in EXAMPLES],
        "cases": build_cases(),
    }
    OUT.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(document['cases'])} cases, {len(EXAMPLES)} notification examples)")


if __name__ == "__main__":
    main()
