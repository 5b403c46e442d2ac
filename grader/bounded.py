"""Bounded parsing: every YAML or JSON document the product reads is measured before it is built.

A parser that builds first and checks afterwards can be made to build anything: a 429-byte
YAML file of nested aliases expands to hundreds of megabytes, and a few thousand ``[`` make
the standard library recurse until it fails. So each loader here checks the size of the
input, then walks a cheap representation of it (YAML events, or the JSON text with its
strings taken out) for nesting depth and node count, counting an alias as the whole subtree
it stands for, and only then builds Python objects. A refusal is a `DocumentTooComplex`
(a `ValueError`) whose message names the limit and never quotes the input.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import yaml


class DocumentTooComplex(ValueError):
    """A document over one of the limits (size, depth, nodes); says which, never the input."""


@dataclass(frozen=True)
class Bounds:
    """What one document may be: bytes, nesting depth, and nodes (aliases expanded)."""

    max_bytes: int = 1024 * 1024
    max_depth: int = 32
    max_nodes: int = 100_000


DEFAULT_BOUNDS = Bounds()
# A string, or an unterminated one running to the end: possessive, and every quote starts a
# match that consumes to its end, so the scan stays linear (`"\"\"\"...` made it quadratic).
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)', re.S)
_JSON_STRUCTURE = re.compile(rb"[\[\]{},:]")
# libyaml when present: the same events and nodes, scanned some fifty times faster.
_Parser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _check_size(data: bytes | str, bounds: Bounds) -> bytes:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > bounds.max_bytes:
        raise DocumentTooComplex(f"larger than {bounds.max_bytes} bytes")
    return raw


def loads_json(data: bytes | str, bounds: Bounds = DEFAULT_BOUNDS) -> Any:
    """`json.loads` after checking size, depth and element count; bad JSON is a ValueError."""
    raw = _check_size(data, bounds)
    depth = 0
    # Strings taken out, what is left is structure and scalars: depth and count are exact.
    structure = _JSON_STRUCTURE.finditer(_JSON_STRING.sub(b'""', raw))
    for elements, match in enumerate(structure, start=1):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > bounds.max_depth:
                raise DocumentTooComplex(f"nested deeper than {bounds.max_depth} levels")
        elif token in (b"]", b"}"):
            depth -= 1
        if elements > bounds.max_nodes:
            raise DocumentTooComplex(f"more than {bounds.max_nodes} elements")
    try:
        return json.loads(raw)
    except RecursionError:  # unreachable within max_depth; kept as a clear error all the same
        raise DocumentTooComplex(f"nested deeper than {bounds.max_depth} levels") from None


def _expanded_size(node: yaml.Node, memo: dict[int, int], limit: int) -> int:
    """Nodes in the tree under `node` with every alias expanded, stopping past `limit`."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = limit + 1  # a node that contains itself expands without end
    size = 1
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            size += _expanded_size(child, memo, limit)
            if size > limit:
                break
    elif isinstance(node, yaml.MappingNode):
        for child_key, child_value in node.value:
            size += _expanded_size(child_key, memo, limit) + _expanded_size(child_value, memo,
                                                                             limit)
            if size > limit:
                break
    memo[key] = size
    return size


def _count_events(text: str, bounds: Bounds) -> None:
    """Depth and written nodes from the event stream, which is produced without recursion
    or building anything: composing afterwards cannot recurse too deep."""
    depth = 0
    for events, event in enumerate(yaml.parse(text, Loader=_Parser), start=1):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > bounds.max_depth:
                raise DocumentTooComplex(f"nested deeper than {bounds.max_depth} levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if events > bounds.max_nodes:
            raise DocumentTooComplex(f"more than {bounds.max_nodes} nodes")


def safe_load_yaml(data: bytes | str, bounds: Bounds = DEFAULT_BOUNDS) -> Any:
    """`yaml.safe_load` after checking size, depth and node count with aliases expanded.

    Raises `DocumentTooComplex` over a limit and `yaml.YAMLError` for YAML that is not valid,
    including a value that cannot be built (a date like 2026-13-45, an integer of 5000 digits).
    """
    raw = _check_size(data, bounds)
    text = raw.decode("utf-8")
    try:
        _count_events(text, bounds)
    except yaml.YAMLError as exc:
        # libyaml reads a flow collection's tokens ahead and stops at its own depth, 1000.
        if "maximum nesting depth" in str(getattr(exc, "problem", "")):
            raise DocumentTooComplex(f"nested deeper than {bounds.max_depth} levels") from None
        raise
    node = yaml.compose(text, Loader=_Parser)
    if node is None:
        return None
    if _expanded_size(node, {}, bounds.max_nodes) > bounds.max_nodes:
        raise DocumentTooComplex(
            f"more than {bounds.max_nodes} nodes once its aliases are expanded")
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    except (ValueError, TypeError, OverflowError) as exc:
        # The constructors call date(), int() and friends, whose errors are not YAMLErrors.
        raise yaml.constructor.ConstructorError(
            None, None, f"a value cannot be read: {str(exc)[:80]}", None) from None
    finally:
        loader.dispose()
