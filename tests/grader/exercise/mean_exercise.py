"""A pytest exercise with a data file, its reference and wrong solutions: what issue 12 uploads."""

from __future__ import annotations

EXERCISE_YAML = """\
language: python
entrypoint: stats.py
title: Mean of a data file
unittest: test_stats.py
files: [data/scores.csv]
limits: {total_time_s: 30}
tests:
  - name: test_mean_of_the_data_file
    points: 2
  - name: test_empty_is_zero
    visibility: hidden
"""
TEST_FILE = b"""\
from stats import mean_of


def test_mean_of_the_data_file():
    assert mean_of("data/scores.csv") == 7.5


def test_empty_is_zero(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("score\\n")
    assert mean_of(str(empty)) == 0
"""
FILES = {"exercise.yaml": EXERCISE_YAML.encode(), "test_stats.py": TEST_FILE,
         "data/scores.csv": b"score\n5\n10\n"}
SOLUTION = b"""\
import csv


def mean_of(path):
    with open(path, newline="") as handle:
        scores = [float(row["score"]) for row in csv.DictReader(handle)]
    return sum(scores) / len(scores) if scores else 0
"""
# Right on the data file, divides by zero on an empty one: only the hidden test catches it.
WRONG = b"""\
def mean_of(path):
    with open(path) as handle:
        values = handle.read().split()[1:]
    return sum(float(v) for v in values) / len(values)
"""
