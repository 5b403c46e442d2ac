"""Fixtures of the Moodle stand-in."""

from tests.fakes.fixtures import fake_moodle, moodle_site  # noqa: F401
