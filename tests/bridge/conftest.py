"""Fixtures of the bridge's tests: a database whose commits are real (tests.bridge.committed)."""

from tests.bridge.committed import committed_engine, committed_factory

__all__ = ["committed_engine", "committed_factory"]
