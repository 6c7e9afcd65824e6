"""Structure-aware mutations of JSON documents, as Hypothesis strategies.

A mutation picks a node of a valid document by its path and does to it what a broken vendor,
proxy or truncated transfer does: drops it, nulls it, gives it another JSON type or container,
puts a non-finite or enormous number, a lone UTF-16 surrogate or a NUL in it, or nests it far
deeper than any real answer. :func:`encode` writes the result as the bytes a server would send,
including what :func:`json.dumps` refuses to write (``NaN``, a 5,000-digit integer, 100,000
levels of nesting); :func:`mutated_body` may also break the bytes themselves (cut short, not
UTF-8, not JSON at all).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

__all__ = ["Raw", "encode", "mutated", "mutated_body", "paths"]

Path = tuple[str | int, ...]


class Raw:
    """A JSON value written verbatim: what ``json.dumps`` cannot produce (``NaN``, ``1e400``)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Raw({self.text[:40]!r}{'...' if len(self.text) > 40 else ''})"


def _deep(levels: int, open_: str, close: str, inner: str = "1") -> Raw:
    return Raw(open_ * levels + inner + close * levels)


#: Numbers no vendor answer should carry, and some that are valid but extreme.
_NUMBERS: tuple[Any, ...] = (
    Raw("NaN"),
    Raw("Infinity"),
    Raw("-Infinity"),
    Raw("1e400"),
    Raw("-1e400"),
    Raw("1e-400"),
    Raw("9" * 5000),  # over Python's 4,300-digit limit for int()
    2**63,
    -(2**64),
    10**30,
    -1,
    0,
    Raw("0.1"),
    Raw("-0.0"),
    Raw("12.345678901234567890123"),
)

#: Text that breaks encoders, databases and terminals.
_TEXTS: tuple[str, ...] = (
    "\ud800",
    "re_\ud800",
    "\udfff\ud800",
    "x\x00y",
    "",
    " ",
    "é☃🎉",
    "\u202e",
    "gid://shopify/Refund/\ud800",
    "9" * 5000,
    "NaN",
    "Infinity",
    "-1",
    "1e400",
    "2026-13-45T99:99:99Z",
    "2026-03-10T12:00:00",
    "x" * 10_000,
)

_OTHER_TYPES: tuple[Any, ...] = (None, True, False, 0, "", [], {}, "1", 1, [None], {"": None})

_DEEP: tuple[Raw, ...] = (
    _deep(70, "[", "]"),
    _deep(200, '{"a":', "}"),
    _deep(100_000, "[", "]"),
)

KINDS = ("drop", "null", "type", "number", "text", "deep", "container", "duplicate")


def paths(document: Any) -> Iterator[Path]:
    """Every node's path in ``document``, the root (``()``) first, without recursion."""
    stack: list[tuple[Path, Any]] = [((), document)]
    while stack:
        path, node = stack.pop()
        yield path
        if isinstance(node, dict):
            stack.extend(((*path, key), value) for key, value in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend(
                ((*path, index), value) for index, value in reversed(list(enumerate(node)))
            )


def _get(document: Any, path: Path) -> Any:
    node = document
    for step in path:
        node = node[step]
    return node


def _replace(document: Any, path: Path, value: Any) -> Any:
    if not path:
        return value
    parent = _get(document, path[:-1])
    parent[path[-1]] = value
    return document


def _drop(document: Any, path: Path) -> Any:
    if not path:
        return Raw("")  # an empty body
    parent = _get(document, path[:-1])
    del parent[path[-1]]
    return document


def _other_container(value: Any) -> Any:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return {str(index): item for index, item in enumerate(value)}
    return [value]


@st.composite
def mutated(draw: st.DrawFn, document: Any) -> Any:
    """``document`` (left unchanged) with one to three structure-aware mutations applied."""
    doc = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 3))):
        if isinstance(doc, Raw):
            break
        where = draw(st.sampled_from(list(paths(doc))))
        kind = draw(st.sampled_from(KINDS))
        node = _get(doc, where)
        if kind == "drop":
            doc = _drop(doc, where)
        elif kind == "null":
            doc = _replace(doc, where, None)
        elif kind == "type":
            # a copy: the tuple's lists and objects must never be shared between documents
            doc = _replace(doc, where, copy.deepcopy(draw(st.sampled_from(_OTHER_TYPES))))
        elif kind == "number":
            doc = _replace(doc, where, draw(st.sampled_from(_NUMBERS)))
        elif kind == "text":
            doc = _replace(doc, where, draw(st.sampled_from(_TEXTS)))
        elif kind == "deep":
            doc = _replace(doc, where, draw(st.sampled_from(_DEEP)))
        elif kind == "container":
            doc = _replace(doc, where, _other_container(node))
        elif isinstance(node, list) and node:
            node.append(copy.deepcopy(node[0]))  # duplicate: the first element twice
        else:
            doc = _replace(doc, where, [node, copy.deepcopy(node)])
    return doc


def encode(document: Any) -> bytes:
    """``document`` as JSON bytes, :class:`Raw` values written verbatim."""
    raws: list[str] = []

    def placeholder(value: Any) -> Any:
        if isinstance(value, Raw):
            raws.append(value.text)
            return f"\x00raw{len(raws) - 1}\x00"
        raise TypeError(f"cannot encode {type(value).__name__}")

    def swap(node: Any) -> Any:
        # Raw values may sit anywhere; json.dumps calls ``default`` only for unknown types.
        stack: list[Any] = [node]
        while stack:
            item = stack.pop()
            children: list[tuple[Any, Any]] = []
            if isinstance(item, dict):
                children = list(item.items())
            elif isinstance(item, list):
                children = list(enumerate(item))
            for key, child in children:
                if isinstance(child, Raw):
                    item[key] = placeholder(child)
                elif isinstance(child, dict | list):
                    stack.append(child)
        return placeholder(node) if isinstance(node, Raw) else node

    text = json.dumps(swap(document))  # lone surrogates are written as \ud800 escapes
    for index, raw in enumerate(raws):
        text = text.replace(json.dumps(f"\x00raw{index}\x00"), raw)
    return text.encode("utf-8")


_BROKEN_BYTES = (b"", b"\xff\xfe\xfd", b"<html>502 Bad Gateway</html>", b"null", b"\xef\xbb\xbf{}")


@st.composite
def mutated_body(draw: st.DrawFn, document: Any) -> bytes:
    """The bytes of a mutated ``document``; now and then the bytes themselves are broken."""
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return draw(st.sampled_from(_BROKEN_BYTES))
    if choice == 1:
        body = encode(document)
        return body[: draw(st.integers(0, max(len(body) - 1, 0)))]  # cut short
    return encode(draw(mutated(document)))
