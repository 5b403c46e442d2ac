"""Exercises: `exercise.yaml` and the files it names, loaded and checked before any grading.

`models` says what a spec may contain, `loading` reads and checks one (with bounds: it is
teacher input from a web form), `paths` keeps every file name inside its directory and unique,
`errors` makes each problem a short `ExerciseError` naming the file and the field.
"""

from grader.exercise.errors import ExerciseError
from grader.exercise.loading import (
    MAX_FILE_BYTES,
    MAX_TOTAL_BYTES,
    SPEC_FILE,
    discover_test_functions,
    discover_unit_tests,
    load_exercise,
    parse_exercise,
)
from grader.exercise.models import (
    CompareMode,
    Comparison,
    Exercise,
    ExerciseSpec,
    Limits,
    TestCase,
    UnitTestCase,
    Visibility,
)
from grader.exercise.paths import PathRefused, safe_relative_path, unique_paths

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_TOTAL_BYTES",
    "SPEC_FILE",
    "CompareMode",
    "Comparison",
    "Exercise",
    "ExerciseError",
    "ExerciseSpec",
    "Limits",
    "PathRefused",
    "TestCase",
    "UnitTestCase",
    "Visibility",
    "discover_test_functions",
    "discover_unit_tests",
    "load_exercise",
    "parse_exercise",
    "safe_relative_path",
    "unique_paths",
]
