"""Bounded parsing: hostile YAML and JSON are refused before they are built, in bounded memory."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
import yaml

from grader.bounded import Bounds, DocumentTooComplex, loads_json, safe_load_yaml
from tests.grader.helpers import MEMORY_BOUND, alias_bomb, peak_memory


def refused(load: Callable[[], Any]) -> str:
    with pytest.raises(DocumentTooComplex) as caught:
        load()
    return str(caught.value)


def test_alias_bomb_is_refused_in_bounded_memory() -> None:
    bomb = alias_bomb()
    assert len(bomb.encode()) < 430  # 9**8 = 43 million strings once expanded
    with peak_memory() as peak:
        message = refused(lambda: safe_load_yaml(bomb))
    assert "aliases are expanded" in message
    assert peak[0] < MEMORY_BOUND, f"peak {peak[0] / 1e6:.1f} MB"
    assert len(message) < 100 and "x" not in message.replace("expanded", "")


def test_alias_referencing_itself_is_refused() -> None:
    for document in ("a: &a [*a]\n", "a: &a {b: *a}\n", "a: &a [1, [2, *a]]\n"):
        assert "aliases are expanded" in refused(partial(safe_load_yaml, document))


def test_a_few_aliases_still_load() -> None:
    document = ("defaults: &limits {time_s: 2, memory_mb: 64}\n"
                "first: *limits\nsecond: {<<: *limits, time_s: 5}\nnames: &n [a, b]\nagain: *n\n")
    data = safe_load_yaml(document, Bounds(max_nodes=50))
    assert data["first"] == {"time_s": 2, "memory_mb": 64}
    assert data["second"] == {"time_s": 5, "memory_mb": 64}
    assert data["again"] == ["a", "b"]


def test_node_count_counts_each_alias_as_its_subtree() -> None:
    document = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\nb: [*a, *a, *a, *a, *a, *a]\n"
    assert safe_load_yaml(document, Bounds(max_nodes=100))["b"][5][8] == 9
    assert "aliases" in refused(lambda: safe_load_yaml(document, Bounds(max_nodes=60)))


@pytest.mark.parametrize("opening", ["[", "{"])
def test_deep_yaml_nesting_is_refused_not_a_recursion_error(opening: str) -> None:
    for document in (opening * 5000, "a:\n" + "".join("  " * i + "- \n" for i in range(1, 200))):
        message = refused(partial(safe_load_yaml, document))
        assert "nested deeper than 32 levels" in message


@pytest.mark.parametrize("opening", ["[", "{\"a\":"])
def test_deep_json_nesting_is_refused_not_a_recursion_error(opening: str) -> None:
    assert "nested deeper" in refused(lambda: loads_json(opening * 100_000))


def test_nesting_at_the_limit_loads() -> None:
    assert safe_load_yaml("[" * 32 + "]" * 32) == loads_json("[" * 32 + "]" * 32)
    with pytest.raises(DocumentTooComplex):
        loads_json("[" * 33 + "]" * 33)


def test_brackets_inside_json_strings_are_not_structure() -> None:
    document = '{"a": "' + "[{" * 1000 + '", "b": ["\\"]]]\\\\", 1]}'
    assert loads_json(document, Bounds(max_depth=2, max_nodes=20))["b"] == ['"]]]\\', 1]


@pytest.mark.timeout(60)
def test_unterminated_json_strings_are_scanned_in_linear_time() -> None:
    # Every quote but the first is escaped: a backtracking scan restarted at each of them.
    document = '"' + '\\"' * 500_000
    with pytest.raises(ValueError, match="Unterminated string"):
        loads_json(document, Bounds(max_bytes=2 * 1024 * 1024))


def test_size_limit_comes_first() -> None:
    bounds = Bounds(max_bytes=1000)
    assert "larger than 1000 bytes" in refused(lambda: safe_load_yaml("a: " + "x" * 1000, bounds))
    assert "larger than 1000 bytes" in refused(lambda: loads_json(b'"' + b"x" * 1000 + b'"',
                                                                   bounds))
    assert safe_load_yaml("a: " + "x" * 990, bounds) == {"a": "x" * 990}


def test_element_count_limit_for_json() -> None:
    assert "more than 100 elements" in refused(lambda: loads_json("[" + "1," * 200 + "1]",
                                                                  Bounds(max_nodes=100)))


def test_values_that_cannot_be_built_are_yaml_errors() -> None:
    for document in ("when: 2026-13-45\n", "points: " + "9" * 5000 + "\n"):
        with pytest.raises(yaml.YAMLError, match="a value cannot be read"):
            safe_load_yaml(document)


def test_refusals_never_quote_the_input() -> None:
    secret = "s3cr3t-" * 10
    for load in (lambda: safe_load_yaml(f"{secret}: " + "[" * 100),
                 lambda: loads_json(f'["{secret}", ' + "[" * 100)):
        assert "s3cr3t" not in refused(load)
