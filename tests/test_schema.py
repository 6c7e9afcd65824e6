"""JSON Schemas generated from the models: committed files are fresh and examples validate."""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import refund_core

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = ROOT / "docs" / "schema"
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "generate_schemas", ROOT / "tools" / "generate_schemas.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR = _generator()

_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "null": type(None),
}


def _errors(schema: dict[str, Any], value: Any, root: dict[str, Any], path: str) -> list[str]:
    """Every violation of ``schema`` by ``value``, for the keywords the generator emits."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        return _errors(root["$defs"][name], value, root, path)
    if "anyOf" in schema:
        if any(not _errors(sub, value, root, path) for sub in schema["anyOf"]):
            return []
        return [f"{path}: matches no anyOf branch"]
    if "oneOf" in schema:
        results = [_errors(sub, value, root, path) for sub in schema["oneOf"]]
        matches = sum(1 for result in results if not result)
        if matches == 0:
            return min(results, key=len)  # the nearest branch explains best
        return [] if matches == 1 else [f"{path}: matches {matches} oneOf branches"]
    problems: list[str] = []
    kind = schema.get("type")
    if kind == "boolean":
        if not isinstance(value, bool):
            return [f"{path}: expected boolean"]
    elif kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"{path}: expected integer"]
    elif kind is not None and not isinstance(value, _TYPES[kind]):
        return [f"{path}: expected {kind}, got {type(value).__name__}"]
    if "const" in schema and value != schema["const"]:
        problems.append(f"{path}: expected {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: {value!r} not in {schema['enum']}")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append(f"{path}: {value!r} does not match {schema['pattern']}")
    if schema.get("format") == "date-time":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            problems.append(f"{path}: {value!r} is not a date-time")
    if kind == "object":
        properties = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                problems.append(f"{path}: missing {key}")
        for key, item in value.items():
            if key in properties:
                problems.extend(_errors(properties[key], item, root, f"{path}.{key}"))
            elif schema.get("additionalProperties") is False:
                problems.append(f"{path}: unknown key {key}")
    if kind == "array":
        for index, item in enumerate(value):
            problems.extend(_errors(schema["items"], item, root, f"{path}[{index}]"))
        if schema.get("uniqueItems"):
            dumped = [json.dumps(item, sort_keys=True) for item in value]
            if len(set(dumped)) != len(dumped):
                problems.append(f"{path}: items are not unique")
    return problems


def validate(schema: dict[str, Any], value: Any) -> list[str]:
    """Violations of ``schema`` by ``value``; empty when it validates."""
    return _errors(schema, value, schema, "$")


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("name", ["scenario.schema.json", "plan.schema.json"])
def test_committed_schema_is_fresh(name: str) -> None:
    """The committed schema equals a freshly generated one (run tools/generate_schemas.py)."""
    fresh = GENERATOR.build_schemas()[name]
    assert (SCHEMA_DIR / name).read_text(encoding="utf-8") == GENERATOR.render(fresh)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_validate_against_scenario_schema(path: Path) -> None:
    """Every shipped example is a valid scenario by the schema, and by the converter."""
    text = path.read_text(encoding="utf-8")
    assert validate(_load("scenario.schema.json"), json.loads(text)) == []
    refund_core.loads_scenario(text)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_plan_output_validates_against_plan_schema(path: Path) -> None:
    """The --json document of every example validates against the plan schema."""
    result = refund_core.plan_scenario(refund_core.loads_scenario(path.read_text("utf-8")))
    document = {"outcomes": refund_core.unstructure(result)["outcomes"]}
    assert validate(_load("plan.schema.json"), document) == []


def test_schema_rejects_unknown_key() -> None:
    """An unknown key anywhere is rejected, as the converter rejects it."""
    data = json.loads(EXAMPLES[0].read_text(encoding="utf-8"))
    data["events"][0]["colour"] = "blue"
    problems = validate(_load("scenario.schema.json"), data)
    assert problems
    assert "colour" in " ".join(problems)
    data = json.loads(EXAMPLES[0].read_text(encoding="utf-8"))
    data["surprise"] = 1
    assert validate(_load("scenario.schema.json"), data)


def test_schema_rejects_bad_values() -> None:
    """Wrong tags, enum values, float amounts and currency codes are rejected."""
    schema = _load("scenario.schema.json")
    base = json.loads(EXAMPLES[0].read_text(encoding="utf-8"))
    mutations: tuple[Callable[[dict[str, Any]], None], ...] = (
        lambda d: d["events"][0].update(type="refund_event"),
        lambda d: d.update(policy="both"),
        lambda d: d["events"][0]["amount"].update(amount=12.5),
        lambda d: d["events"][0]["amount"].update(currency="usd"),
    )
    for mutate in mutations:
        data = json.loads(json.dumps(base))
        mutate(data)
        assert validate(schema, data), mutate


def test_json_schema_shape() -> None:
    """Tags follow the converter's, fields without defaults are required, defs are referenced."""
    schema = refund_core.json_schema(refund_core.Scenario)
    assert schema["required"] == ["policy", "events"]
    assert schema["additionalProperties"] is False
    tags = {
        schema["$defs"][ref["$ref"].removeprefix("#/$defs/")]["properties"]["type"]["const"]
        for ref in schema["properties"]["events"]["items"]["oneOf"]
    }
    assert tags == {"refund", "payment_failure", "payout", "outgoing_refund"}
    assert "optional" not in json.dumps(schema)
