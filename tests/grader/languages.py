"""Programs in every language, for the language and hostile-code tests: one adder each."""

from __future__ import annotations

from typing import Any

from grader.exercise import Exercise
from grader.grading import grade
from grader.results import GradingResult
from grader.sandbox import Sandbox
from tests.grader.helpers import exercise

ENTRYPOINT = {"python": "solution.py", "c": "solution.c", "cpp": "main.cpp",
              "javascript": "main.js", "java": "Main.java"}
ADDER = {
    "python": "a, b = map(int, input().split())\nprint(a + b)\n",
    "c": '#include <stdio.h>\nint main(void) { long a, b; if (scanf("%ld %ld", &a, &b) != 2)'
         ' return 1; printf("%ld\\n", a + b); return 0; }\n',
    "cpp": "#include <iostream>\nint main() { long a, b; std::cin >> a >> b;"
           ' std::cout << a + b << "\\n"; }\n',
    "javascript": 'const [a, b] = require("fs").readFileSync(0, "utf8").trim().split(/\\s+/)'
                  ".map(BigInt);\nconsole.log((a + b).toString());\n",
    "java": "import java.util.Scanner;\npublic class Main {\n    public static void main(String[]"
            " args) {\n        Scanner in = new Scanner(System.in);\n        long a = in.nextLong(),"
            " b = in.nextLong();\n        System.out.println(a + b);\n    }\n}\n",
}
SUBTRACTER = {language: source.replace("a + b", "a - b") for language, source in ADDER.items()}
NOT_COMPILING = {
    "python": "def f(:\n",
    "c": "int main(void) { return missing; }\n",
    "cpp": "int main() { std::cout << 1; }\n",
    "javascript": "function (\n",
    "java": "public class Main { oops }\n",
}
COMPILER_SAYS = {"python": "SyntaxError", "c": "error:", "cpp": "error:",
                 "javascript": "SyntaxError", "java": "error:"}
ADD_TESTS = [
    {"name": "adds two numbers", "stdin": "2 3\n", "expected_stdout": "5\n", "points": 2},
    {"name": "large numbers", "stdin": "1000000000000 1\n", "expected_stdout": "1000000000001\n",
     "visibility": "hidden"},
]


def adder_exercise(language: str, **limits: Any) -> Exercise:
    """The adder exercise in `language`, its limits the language's defaults unless given."""
    spec: dict[str, Any] = {"language": language, "entrypoint": ENTRYPOINT[language],
                            "tests": ADD_TESTS}
    if limits:
        spec["limits"] = limits
    return exercise(spec)


def one_test_in(language: str, stdin: str = "", expected: str = "", **limits: Any) -> Exercise:
    """A one-test exercise in `language` (limits: the language's defaults, then `limits`)."""
    spec: dict[str, Any] = {"language": language, "entrypoint": ENTRYPOINT[language],
                            "limits": {"total_time_s": 20, **limits},
                            "tests": [{"name": "t", "stdin": stdin, "expected_stdout": expected}]}
    return exercise(spec)


def run_in(sandbox: Sandbox, language: str, code: str, ex: Exercise | None = None) -> GradingResult:
    """Grade `code` as the entrypoint of `language` (a one-test exercise by default)."""
    return grade(ex or one_test_in(language), {ENTRYPOINT[language]: code.encode()}, sandbox)
