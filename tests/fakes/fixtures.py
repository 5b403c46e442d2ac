"""Fixtures around the Moodle stand-in, shared by the intake, delivery and end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from bridge.config import MoodleSite, get_settings
from tests.fakes.moodle import FakeMoodle

HELLO_EXERCISE = """\
language: python
entrypoint: hello.py
tests:
  - name: greets the world
    stdin: "world\\n"
    expected_stdout: "Hello, world!\\n"
  - name: greets Ada
    stdin: "Ada\\n"
    expected_stdout: "Hello, Ada!\\n"
    visibility: hidden
"""
GOOD_HELLO = b"print(f'Hello, {input()}!')\n"
CONSTANT_HELLO = b"print('Hello, world!')\n"


@pytest.fixture
def fake_moodle() -> Iterator[FakeMoodle]:
    """A running Moodle stand-in with assignment 1 (cmid 1, course 2, out of 100)."""
    fake = FakeMoodle()
    fake.add_assignment(1, cmid=1, course=2, grade=100)
    with fake:
        yield fake


@pytest.fixture
def moodle_site(fake_moodle: FakeMoodle, monkeypatch: pytest.MonkeyPatch) -> FakeMoodle:
    """The stand-in configured as a site of the bridge (URL, token, webhook secret)."""
    monkeypatch.setitem(get_settings().moodle_sites, fake_moodle.site, MoodleSite(
        url=fake_moodle.url, token=SecretStr(fake_moodle.token),
        webhook_secret=SecretStr(fake_moodle.secret)))
    return fake_moodle
