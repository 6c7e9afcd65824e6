"""A focused checker of JSON documents and query strings against an SP-API Swagger 2.0 model.

It covers what the Finances models use: ``$ref`` to ``#/definitions/...``, ``type`` (object,
array, string, number, integer, boolean), ``required``, ``enum``, ``properties``, ``items``,
``allOf``, ``format: date-time``, and integer ``minimum``/``maximum`` on query parameters.
Strict by default about unknown object keys (a stand-in inventing a field is a bug); numbers must
be JSON numbers (``int`` or ``Decimal`` after ``parse_float=Decimal``), never strings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any


class SwaggerModel:
    """One SP-API model file, loaded once."""

    def __init__(self, path: Path) -> None:
        self.document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if self.document.get("swagger") != "2.0":
            raise ValueError(f"{path} is not a Swagger 2.0 model")
        self.definitions: dict[str, Any] = self.document["definitions"]

    def operation(self, path: str, method: str = "get") -> dict[str, Any]:
        """The operation object at ``path`` and ``method``."""
        return dict(self.document["paths"][path][method])

    def response_schema(self, path: str, status: int, method: str = "get") -> dict[str, Any]:
        """The schema of the operation's response with ``status``."""
        return dict(self.operation(path, method)["responses"][str(status)]["schema"])

    def check(self, value: Any, schema: Mapping[str, Any], where: str = "$") -> list[str]:
        """Every way ``value`` breaks ``schema``, each naming its JSON path; empty when valid."""
        problems: list[str] = []
        self._check(value, schema, where, problems)
        return problems

    def check_query(self, path: str, query: Mapping[str, str], method: str = "get") -> list[str]:
        """Every way a query string breaks the operation's query parameters."""
        parameters = {
            p["name"]: p
            for p in self.operation(path, method).get("parameters", [])
            if p.get("in") == "query"
        }
        problems = [f"query: unknown parameter {name}" for name in query if name not in parameters]
        for name, parameter in parameters.items():
            if name not in query:
                if parameter.get("required"):
                    problems.append(f"query: {name} is required")
                continue
            text = query[name]
            if parameter.get("type") == "integer":
                try:
                    number = int(text)
                except ValueError:
                    problems.append(f"query.{name}: {text!r} is not an integer")
                    continue
                if "minimum" in parameter and number < parameter["minimum"]:
                    problems.append(f"query.{name}: {number} < minimum {parameter['minimum']}")
                if "maximum" in parameter and number > parameter["maximum"]:
                    problems.append(f"query.{name}: {number} > maximum {parameter['maximum']}")
            elif parameter.get("format") == "date-time" and not _is_date_time(text):
                problems.append(f"query.{name}: {text!r} is not an ISO 8601 date-time")
        return problems

    # -- internals ---------------------------------------------------------------------------

    def _resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in schema:
            reference = str(schema["$ref"])
            prefix = "#/definitions/"
            if not reference.startswith(prefix):
                raise ValueError(f"unsupported reference {reference}")
            schema = self.definitions[reference[len(prefix) :]]
        return schema

    def _properties(self, schema: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        schema = self._resolve(schema)
        properties = dict(schema.get("properties", {}))
        required = list(schema.get("required", []))
        for part in schema.get("allOf", []):
            more, needed = self._properties(part)
            properties.update(more)
            required.extend(needed)
        return properties, required

    def _check(self, value: Any, schema: Mapping[str, Any], where: str, out: list[str]) -> None:
        schema = self._resolve(schema)
        if "allOf" in schema or schema.get("type") == "object" or "properties" in schema:
            if not isinstance(value, dict):
                out.append(f"{where}: expected an object, got {type(value).__name__}")
                return
            properties, required = self._properties(schema)
            out.extend(
                f"{where}: missing required {name}" for name in required if name not in value
            )
            for key, item in value.items():
                if key not in properties:
                    out.append(f"{where}: unknown property {key}")
                else:
                    self._check(item, properties[key], f"{where}.{key}", out)
            return
        kind = schema.get("type")
        if kind == "array":
            if not isinstance(value, list):
                out.append(f"{where}: expected an array, got {type(value).__name__}")
                return
            for index, item in enumerate(value):
                self._check(item, schema.get("items", {}), f"{where}[{index}]", out)
            return
        if kind == "string":
            if not isinstance(value, str):
                out.append(f"{where}: expected a string, got {type(value).__name__}")
                return
            if schema.get("format") == "date-time" and not _is_date_time(value):
                out.append(f"{where}: {value!r} is not an ISO 8601 date-time")
        elif kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
                out.append(f"{where}: expected a JSON number, got {type(value).__name__}")
                return
        elif kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                out.append(f"{where}: expected an integer, got {type(value).__name__}")
                return
        elif kind == "boolean" and not isinstance(value, bool):
            out.append(f"{where}: expected a boolean, got {type(value).__name__}")
            return
        if "enum" in schema and value not in schema["enum"]:
            out.append(f"{where}: {value!r} is not one of {schema['enum']}")


def _is_date_time(text: str) -> bool:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return False
    return "T" in text and parsed.utcoffset() is not None


def load_json(body: bytes) -> Any:
    """A response body with exact numbers, as the adapter reads it."""
    return json.loads(body, parse_float=Decimal)
