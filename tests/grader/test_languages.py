"""Every language in the real sandbox: right, wrong and not compiling; its defaults and limits."""

from __future__ import annotations

import textwrap

import pytest

from grader.exercise import ExerciseError
from grader.grading import grade
from grader.languages import LANGUAGES
from grader.results import RunStatus, TestStatus
from grader.sandbox.docker import DockerSandbox
from tests.grader.helpers import exercise
from tests.grader.languages import (
    ADDER,
    COMPILER_SAYS,
    ENTRYPOINT,
    NOT_COMPILING,
    SUBTRACTER,
    adder_exercise,
    run_in,
)

ALL = sorted(LANGUAGES)


def test_the_spec_offers_exactly_the_profiles() -> None:
    from grader.exercise.models import ExerciseSpec

    field = ExerciseSpec.model_fields["language"].annotation
    assert set(field.__args__) == set(LANGUAGES)  # type: ignore[union-attr]


@pytest.mark.parametrize("language", ALL)
def test_right_wrong_and_not_compiling(sandbox: DockerSandbox, language: str) -> None:
    ex = adder_exercise(language)
    entry = ENTRYPOINT[language]
    good = grade(ex, {entry: ADDER[language].encode()}, sandbox)
    assert (good.status, good.score, good.max_score) == (RunStatus.PASSED, 3, 3), good.tests
    assert good.language == language and good.image_digest.startswith("sha256:")
    wrong = grade(ex, {entry: SUBTRACTER[language].encode()}, sandbox)
    assert (wrong.status, wrong.score) == (RunStatus.FAILED, 0)
    assert wrong.tests[0].expected == "5\n" and wrong.tests[0].actual == "-1\n"
    broken = grade(ex, {entry: NOT_COMPILING[language].encode()}, sandbox)
    assert broken.status is RunStatus.COMPILE_ERROR, broken
    assert COMPILER_SAYS[language] in broken.compile_output
    assert [t.status for t in broken.tests] == [TestStatus.COMPILE_ERROR] * 2


@pytest.mark.parametrize("language", ["cpp", "javascript", "java"])
def test_a_misnamed_entrypoint_is_used(sandbox: DockerSandbox, language: str) -> None:
    suffix = LANGUAGES[language].suffixes[0]
    result = grade(adder_exercise(language), {f"mine{suffix}": ADDER[language].encode()},
                   sandbox)
    assert result.status is RunStatus.PASSED, result


def test_each_language_has_its_own_defaults_and_a_spec_overrides_them() -> None:
    java = adder_exercise("java").spec.limits
    assert (java.memory_mb, java.processes, java.time_s, java.compile_memory_mb) == \
        (256, 64, 5, 512)
    c = adder_exercise("c").spec.limits
    assert (c.memory_mb, c.processes, c.time_s) == (128, 32, 2)
    assert adder_exercise("cpp").spec.limits.compile_memory_mb == 512
    mine = adder_exercise("java", memory_mb=64, time_s=1).spec.limits
    assert (mine.memory_mb, mine.time_s, mine.processes) == (64, 1, 64)


@pytest.mark.parametrize("flag", ["-J-Xmx8g", "-d", "-cp", "--class-path=/", "-processorpath"])
def test_javac_flags_that_are_the_graders_are_refused(flag: str) -> None:
    spec = {"language": "java", "entrypoint": "Main.java", "compile_flags": [flag],
            "tests": [{"name": "t", "expected_stdout": ""}]}
    with pytest.raises(ExerciseError) as caught:
        exercise(spec)
    assert "not allowed for java" in str(caught.value)
    spec["compile_flags"] = ["-Xlint:all", "-deprecation"]
    assert exercise(spec).spec.compile_flags == ["-Xlint:all", "-deprecation"]


LIMITS = {
    "cpp": textwrap.dedent("""
        #include <fstream>
        #include <iostream>
        #include <string>
        int main() {
            std::ifstream in("/proc/self/limits");
            for (std::string line; std::getline(in, line);)
                if (line.rfind("Max address space", 0) == 0 || line.rfind("Max processes", 0) == 0)
                    std::cout << line.substr(26, 21) << "|";
            std::cout << "\\n";
        }
    """),
    "javascript": textwrap.dedent("""
        const lines = require("fs").readFileSync("/proc/self/limits", "utf8").split("\\n");
        console.log(lines.filter(l => /^Max (address space|processes)/.test(l))
            .map(l => l.substring(26, 47)).join("|") + "|");
    """),
    "java": textwrap.dedent("""
        import java.nio.file.*;
        public class Main {
            public static void main(String[] args) throws Exception {
                StringBuilder out = new StringBuilder();
                for (String line : Files.readAllLines(Path.of("/proc/self/limits")))
                    if (line.startsWith("Max address space") || line.startsWith("Max processes"))
                        out.append(line, 26, 47).append("|");
                System.out.println(out);
                System.out.println(Runtime.getRuntime().maxMemory() / (1024 * 1024));
            }
        }
    """),
}
EXPECTED_LIMITS = {
    # RLIMIT_NPROC is the exercise's processes; RLIMIT_AS the memory (plus what node maps
    # beside V8's heap), none at all for the JVM, whose heap is -Xmx.
    "cpp": "32                   |268435456            |\n",
    "javascript": "64                   |805306368            |\n",
    "java": "64                   |unlimited            |\n",
}


BIG_HEAP = {  # about 200 MiB live, inside the default 256 MiB heap
    "javascript": "const a = [];\nfor (let i = 0; i < 25; i++) a.push(new Float64Array(1 << 20)"
                  ".fill(i));\nconsole.log(a.length);\n",
    "java": "public class Main { public static void main(String[] x) { long[][] a = new long[25][];"
            " for (int i = 0; i < 25; i++) a[i] = new long[1 << 20]; System.out.println(a.length);"
            " } }\n",
}


@pytest.mark.parametrize("language", sorted(BIG_HEAP))
def test_a_program_may_use_most_of_its_heap(sandbox: DockerSandbox, language: str) -> None:
    ex = exercise({"language": language, "entrypoint": ENTRYPOINT[language],
                   "tests": [{"name": "big", "expected_stdout": "25\n"}]})
    result = run_in(sandbox, language, BIG_HEAP[language], ex)
    assert result.status is RunStatus.PASSED, result.tests[0]


@pytest.mark.parametrize("language", sorted(LIMITS))
def test_a_programs_limits_are_its_languages(sandbox: DockerSandbox, language: str) -> None:
    limits = {"memory_mb": 256} if language == "cpp" else {}
    ex = exercise({"language": language, "entrypoint": ENTRYPOINT[language], "limits": limits,
                   "tests": [{"name": "limits", "expected_stdout": "shown on failure"}]})
    result = run_in(sandbox, language, LIMITS[language], ex)
    actual = (result.tests[0].actual or "").splitlines(keepends=True)
    assert actual[0] == EXPECTED_LIMITS[language], result.tests[0]
    if language == "java":  # -Xmx: the exercise's memory is the heap
        assert 200 <= int(actual[1]) <= 256, actual
