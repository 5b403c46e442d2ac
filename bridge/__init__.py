"""Moodle Bridge: the FastAPI service between Moodle and the grader workers."""
