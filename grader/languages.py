"""Language profiles: what a language needs from its image and how to compile and run it.

Adding a language is a new profile here plus the Debian packages its image needs.
"""

from __future__ import annotations

from dataclasses import dataclass

RUNNER = ["/usr/bin/python3", "-S", "-E", "/opt/grader/runner.py"]


@dataclass(frozen=True)
class LanguageProfile:
    name: str
    packages: tuple[str, ...]
    default_compile_flags: tuple[str, ...] = ()
    default_link_flags: tuple[str, ...] = ()
    supports_unittest: bool = False

    @property
    def image(self) -> str:
        return f"moodle-bridge/runner-{self.name}"

    def compile_argv(self, entrypoint: str, sources: list[str], flags: list[str] | None,
                     link_flags: list[str] | None) -> list[str] | None:
        """The one compile step for a submission, or None when the language has none."""
        if self.name == "python":
            # Byte-compiling reports a syntax error once, as a compile error, before any test.
            return ["python3", "-m", "py_compile", *sources]
        if self.name == "c":
            compile_flags = list(self.default_compile_flags if flags is None else flags)
            links = list(self.default_link_flags if link_flags is None else link_flags)
            c_sources = [s for s in sources if s.endswith(".c")]
            return ["gcc", *compile_flags, "-o", "prog", *c_sources, *links]
        raise AssertionError(self.name)

    def run_argv(self, entrypoint: str, args: list[str]) -> list[str]:
        """The command line of one I/O test."""
        if self.name == "python":
            return ["python3", "-E", "-s", entrypoint, *args]
        return ["./prog", *args]


PYTHON = LanguageProfile(
    name="python", packages=("python3", "python3-pytest"), supports_unittest=True
)
C = LanguageProfile(
    name="c",
    packages=("python3", "gcc", "libc6-dev"),
    default_compile_flags=("-O2", "-std=c17", "-Wall", "-Wextra"),
    default_link_flags=("-lm",),
)
LANGUAGES: dict[str, LanguageProfile] = {p.name: p for p in (PYTHON, C)}
