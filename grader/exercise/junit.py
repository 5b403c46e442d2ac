"""The test methods of a teacher's JUnit 5 file, found without a Java parser.

Comments, strings and character literals are blanked first (one linear pass), so an
annotation or a name inside them does not count; then each `@Test`-like annotation names
the first identifier followed by `(` after it (its own arguments and further annotations
skipped): the method. Names are plain method names, as the JUnit report gives them.
"""

from __future__ import annotations

import re

TEST_ANNOTATIONS = frozenset({"Test", "ParameterizedTest", "RepeatedTest", "TestFactory",
                              "TestTemplate"})
# Names (qualified ones as one word) and the punctuation that matters; nothing else.
_TOKEN = re.compile(r"[A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*|[@(){};=]")
_MODIFIERS = frozenset({"public", "protected", "private", "static", "final", "void",
                        "synchronized", "abstract", "default"})


def blank_literals(source: str) -> str:
    """`source` with comments, strings and char literals replaced by spaces (lines kept)."""
    out: list[str] = []
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if source.startswith("//", i):
            end = source.find("\n", i)
            end = n if end < 0 else end
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            end = n if end < 0 else end + 2
        elif source.startswith('"""', i):
            end = source.find('"""', i + 3)
            end = n if end < 0 else end + 3
        elif c in "\"'":
            end = i + 1
            while end < n and source[end] not in (c, "\n"):
                end += 2 if source[end] == "\\" else 1
            end = min(end + 1, n)
        else:
            j = i + 1
            while j < n and source[j] not in "/\"'":
                j += 1
            out.append(source[i:j] if j > i + 1 else c)
            i = j
            continue
        out.append(re.sub(r"[^\n]", " ", source[i:end]))
        i = end
    return "".join(out)


def _closing(tokens: list[str]) -> dict[int, int]:
    """For each `(`, the index just past its `)` (the end when it has none)."""
    closing: dict[int, int] = {}
    open_at: list[int] = []
    for index, word in enumerate(tokens):
        if word == "(":
            open_at.append(index)
        elif word == ")" and open_at:
            closing[open_at.pop()] = index + 1
    for index in open_at:
        closing[index] = len(tokens)
    return closing


def discover_junit_tests(source: bytes) -> list[str]:
    """Names of the test methods in a JUnit 5 source file, in order, each once.

    One forward pass over the tokens: a test annotation makes the next `name(` that is not
    an annotation's the method's name; a `;`, `{` or `=` first means it named no method.
    """
    tokens = _TOKEN.findall(blank_literals(source.decode("utf-8", "replace")))
    closing = _closing(tokens)
    names: dict[str, None] = {}
    pending = False
    i = 0
    while i < len(tokens):
        word = tokens[i]
        if word == "@" and i + 1 < len(tokens) and tokens[i + 1] not in "@(){};=":
            simple = tokens[i + 1].rsplit(".", 1)[-1].strip()
            pending = pending or simple in TEST_ANNOTATIONS
            i += 2
            if i < len(tokens) and tokens[i] == "(":
                i = closing[i]  # the annotation's arguments
            continue
        if pending and word in ";{=":
            pending = False
        elif pending and word not in "(){}" and word not in _MODIFIERS \
                and i + 1 < len(tokens) and tokens[i + 1] == "(":
            names.setdefault(word.rsplit(".", 1)[-1].strip())
            pending = False
        i += 1
    return list(names)
