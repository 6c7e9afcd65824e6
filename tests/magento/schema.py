"""Check Magento requests and responses against Magento's own REST schema (Swagger 2.0).

openapi-core reads OpenAPI 3 only, so this is a focused check with ``jsonschema`` (Draft 4, the
dialect Swagger 2.0 schemas use): the body parameter or 200 response schema of one operation,
with the spec's ``definitions`` beside it so every ``$ref`` resolves.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs in the test venv
import yaml

from tests.specs import spec_path

RUNTIME = "magento/rest_schema_2-4-8_admin_runtime.json"
ADOBE_249 = "magento/admin-schema-2.4.9.yaml"


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        loaded: dict[str, Any] = json.loads(text)
    else:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        loaded = yaml.load(text, Loader=loader)
    return loaded


class MagentoSchema:
    """One Magento Swagger file; finds an operation by a concrete request path."""

    def __init__(self, relative: str = RUNTIME) -> None:
        self.spec = _load(spec_path(relative))
        self._templates = [
            (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"), template)
            for template in self.spec["paths"]
        ]

    def operation(self, method: str, path: str) -> dict[str, Any]:
        """The operation object for ``METHOD /rest/<store>/V1/...``."""
        route = re.sub(r"^/rest/[^/]+", "", path)
        for pattern, template in self._templates:
            if pattern.match(route) and method.lower() in self.spec["paths"][template]:
                operation: dict[str, Any] = self.spec["paths"][template][method.lower()]
                return operation
        raise KeyError(f"no {method} {route} in the Magento schema")

    def _validator(self, schema: dict[str, Any]) -> jsonschema.Draft4Validator:
        return jsonschema.Draft4Validator({**schema, "definitions": self.spec["definitions"]})

    def request_errors(self, method: str, path: str, body: Any) -> list[str]:
        """Why ``body`` is not a valid request body for the operation (empty when it is)."""
        params = self.operation(method, path).get("parameters", [])
        schema = next(p["schema"] for p in params if p.get("in") == "body")
        return [_describe(e) for e in self._validator(schema).iter_errors(body)]

    def response_errors(self, method: str, path: str, body: Any, status: int = 200) -> list[str]:
        """Why ``body`` is not a valid ``status`` answer of the operation (empty when it is)."""
        responses = self.operation(method, path)["responses"]
        schema = (responses.get(str(status)) or responses["default"])["schema"]
        return [_describe(e) for e in self._validator(schema).iter_errors(body)]


def _describe(error: jsonschema.ValidationError) -> str:
    where = "/".join(str(part) for part in error.absolute_path) or "<body>"
    return f"{where}: {error.message}"
