"""The exam: two exercises (Python and C, the same task) and the programs students hand in.

Each program kind has a known grade: the harness checks every grade Moodle receives against it.
The task: read two integers from one line, print their sum. Four tests of one point each; two
of them have a negative number, which the "partly correct" programs get wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

TESTS = (("small", "1 2\n", "3\n"), ("larger", "10 20\n", "30\n"),
         ("negative", "-5 3\n", "-2\n"), ("both negative", "-4 -7\n", "-11\n"))


def exercise_yaml(language: str, entrypoint: str) -> str:
    """exercise.yaml of the sum task in `language`."""
    lines = [f"language: {language}", f"entrypoint: {entrypoint}",
             "limits:", "  time_s: 1", "  total_time_s: 20", "  output_kb: 16", "tests:"]
    for name, stdin, expected in TESTS:
        lines += [f"  - name: {name}", f"    stdin: {stdin!r}".replace("'", '"'),
                  f"    expected_stdout: {expected!r}".replace("'", '"')]
    return "\n".join(lines) + "\n"


PYTHON = {
    "correct": ("a, b = map(int, input().split())\nprint(a + b)\n", 100.0),
    "partial": ("a, b = map(int, input().split())\nprint(abs(a) + abs(b))\n", 50.0),
    "crashing": ("a, b = map(int, input().split())\nprint(a / 0)\n", 0.0),
    "endless": ("while True:\n    pass\n", 0.0),
    "flooding": ("while True:\n    print('x' * 4096)\n", 0.0),
    "not compiling": ("def main(:\n    print(\n", 0.0),
}
C = {
    "correct": ('#include <stdio.h>\nint main(void){long a,b;scanf("%ld %ld",&a,&b);'
                'printf("%ld\\n",a+b);return 0;}\n', 100.0),
    "partial": ('#include <stdio.h>\n#include <stdlib.h>\nint main(void){long a,b;'
                'scanf("%ld %ld",&a,&b);printf("%ld\\n",labs(a)+labs(b));return 0;}\n', 50.0),
    "crashing": ('#include <stdio.h>\nint main(void){int *p=0;long a,b;scanf("%ld %ld",&a,&b);'
                 '*p=(int)(a+b);return 0;}\n', 0.0),
    "endless": ("int main(void){volatile int x=0;for(;;){x++;}return 0;}\n", 0.0),
    "flooding": ('#include <stdio.h>\nint main(void){for(;;){puts("xxxxxxxxxxxxxxxxxxxxxxxx'
                 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");}return 0;}\n', 0.0),
    "not compiling": ("int main(void) { return 0 }\n", 0.0),
}
# How often each kind is handed in, out of 10: most students get it (nearly) right.
MIX = ("correct", "correct", "correct", "correct", "partial", "partial", "crashing", "endless",
       "flooding", "not compiling")


@dataclass(frozen=True)
class Assignment:
    id: int
    language: str
    entrypoint: str
    programs: dict[str, tuple[str, float]]

    @property
    def yaml(self) -> str:
        return exercise_yaml(self.language, self.entrypoint)


ASSIGNMENTS = (Assignment(101, "python", "sum.py", PYTHON), Assignment(102, "c", "sum.c", C))


@dataclass(frozen=True)
class Planned:
    """One submission of the burst: who, what, and the grade Moodle must receive."""

    user_id: int
    assignment: Assignment
    kind: str

    @property
    def source(self) -> bytes:
        return self.assignment.programs[self.kind][0].encode()

    @property
    def expected_grade(self) -> float:
        return self.assignment.programs[self.kind][1]


def plan(submissions: int) -> list[Planned]:
    """`submissions` submissions from `submissions // 2` students, one per exercise each."""
    students = max(1, submissions // 2)
    planned = []
    for index in range(submissions):
        student, which = divmod(index, 2)
        user = 1000 + student % students
        # Offset per exercise so a student's two programs are not always of the same kind.
        kind = MIX[(student * 3 + which * 7) % len(MIX)]
        planned.append(Planned(user, ASSIGNMENTS[which], kind))
    return planned
