"""JSON Schema (draft 2020-12) for the documents the converter reads and writes.

Pure: walks attrs classes through their fields and type hints and returns plain dicts, matching
what :mod:`refund_core._convert` accepts and produces: decimals as strings, datetimes with a UTC
offset, money as ``{"amount", "currency"}``, enums by value, and unions of records tagged with
``"type"``. Nested classes become ``$defs`` referenced with ``$ref``; every object forbids
unknown keys, as the converter does.
"""

import enum
import types
import typing
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from ._convert import _tag
from ._money import Currency, Money

__all__ = ["json_schema"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"

_NONE = type(None)


def _is_union(hint: object) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


class _Builder:
    def __init__(self) -> None:
        self.defs: dict[str, dict[str, Any]] = {}
        self._names: dict[tuple[type, str | None], str] = {}

    def ref(self, cls: type, tag: str | None) -> dict[str, Any]:
        key = (cls, tag)
        name = self._names.get(key)
        if name is None:
            name = cls.__name__
            taken = set(self._names.values())
            if name in taken:
                name = f"{name}Tagged" if tag is not None else f"{name}Plain"
            self._names[key] = name
            self.defs[name] = {}  # placeholder, so recursion terminates
            self.defs[name] = self.object_schema(cls, tag)
        return {"$ref": f"#/$defs/{name}"}

    def object_schema(self, cls: type, tag: str | None = None) -> dict[str, Any]:
        hints = typing.get_type_hints(cls)
        properties: dict[str, Any] = {}
        required: list[str] = []
        if tag is not None:
            properties["type"] = {"const": tag}
            required.append("type")
        for field in attrs.fields(cls):
            if not field.init:
                continue
            name = field.alias or field.name
            properties[name] = self.schema(hints[field.name])
            if field.default is attrs.NOTHING:
                required.append(name)
        schema: dict[str, Any] = {"type": "object", "title": cls.__name__}
        doc = (cls.__doc__ or "").strip().split("\n\n")[0]
        if doc:
            schema["description"] = " ".join(doc.split())
        schema["properties"] = properties
        schema["required"] = required
        schema["additionalProperties"] = False
        return schema

    def schema(self, hint: Any) -> dict[str, Any]:
        if _is_union(hint):
            members = [arg for arg in typing.get_args(hint) if arg is not _NONE]
            nullable = len(members) < len(typing.get_args(hint))
            if len(members) == 1:
                inner = self.schema(members[0])
            else:
                if not all(attrs.has(member) for member in members):
                    raise TypeError(f"only unions of attrs classes are tagged: {hint!r}")
                inner = {"oneOf": [self.ref(member, _tag(member)) for member in members]}
            return {"anyOf": [inner, {"type": "null"}]} if nullable else inner
        origin = typing.get_origin(hint)
        if origin is tuple:
            args = typing.get_args(hint)
            if len(args) != 2 or args[1] is not Ellipsis:
                raise TypeError(f"only variable-length tuples are supported: {hint!r}")
            return {"type": "array", "items": self.schema(args[0])}
        if origin is frozenset:
            (item,) = typing.get_args(hint)
            return {"type": "array", "items": self.schema(item), "uniqueItems": True}
        if hint is bool:
            return {"type": "boolean"}
        if hint is int:
            return {"type": "integer"}
        if hint is str:
            return {"type": "string"}
        if hint is Decimal:
            return {"type": "string", "pattern": DECIMAL_PATTERN}
        if hint is datetime:
            return {"type": "string", "format": "date-time"}
        if hint is Currency:
            return {"type": "string", "pattern": CURRENCY_PATTERN}
        if hint is Money:
            return {
                "type": "object",
                "properties": {
                    "amount": {"type": "string", "pattern": DECIMAL_PATTERN},
                    "currency": {"type": "string", "pattern": CURRENCY_PATTERN},
                },
                "required": ["amount", "currency"],
                "additionalProperties": False,
            }
        if isinstance(hint, type) and issubclass(hint, enum.StrEnum):
            return {"type": "string", "enum": [member.value for member in hint]}
        if isinstance(hint, type) and attrs.has(hint):
            return self.ref(hint, None)
        raise TypeError(f"no JSON Schema for {hint!r}")


def json_schema(cls: type, *, title: str | None = None) -> dict[str, Any]:
    """The JSON Schema of the document :func:`refund_core.structure` reads for ``cls``."""
    if not attrs.has(cls):
        raise TypeError(f"{cls!r} is not an attrs class")
    builder = _Builder()
    root = builder.object_schema(cls)
    schema: dict[str, Any] = {"$schema": DIALECT}
    schema["title"] = title or root.pop("title")
    root.pop("title", None)
    schema.update(root)
    if builder.defs:
        schema["$defs"] = dict(sorted(builder.defs.items()))
    return schema
