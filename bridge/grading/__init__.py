"""Grading stored submissions with the grader engine: lease, run outside a transaction, record."""

GRADE_SUBMISSION = "bridge.grading.grade_submission"
REQUEUE_STALE = "bridge.grading.requeue_stale"
