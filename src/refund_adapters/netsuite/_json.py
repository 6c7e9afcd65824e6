"""JSON with exact numbers: Decimals out as JSON numbers, JSON numbers in as Decimals.

NetSuite sends and takes amounts as JSON numbers; ``json.dumps`` cannot write a Decimal and
``json.loads`` would read a float, so both directions go through here (MNY-1: no floats).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

__all__ = ["dumps", "loads"]


def loads(text: str | bytes) -> Any:
    """Parse JSON, reading every non-integer number as a Decimal."""
    return json.loads(text, parse_float=Decimal)


def dumps(value: Any) -> str:
    """Serialise ``value``; Decimals become JSON numbers written exactly."""
    return "".join(_encode(value))


def _encode(value: Any) -> list[str]:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        return [str(value)]
    if isinstance(value, dict):
        parts = ["{"]
        for index, (key, item) in enumerate(value.items()):
            if index:
                parts.append(",")
            parts.append(json.dumps(str(key)))
            parts.append(":")
            parts.extend(_encode(item))
        parts.append("}")
        return parts
    if isinstance(value, list | tuple):
        parts = ["["]
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            parts.extend(_encode(item))
        parts.append("]")
        return parts
    if isinstance(value, float):
        raise TypeError("floats are never sent: use Decimal")
    return [json.dumps(value)]
