"""Moodle Bridge grader: Celery workers that run submissions in hardened sandboxes."""

__version__ = "0.1.0"
