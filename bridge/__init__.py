"""Moodle Bridge: the FastAPI service between Moodle and the grader workers."""

__version__ = "0.2.0"
