"""Check Magento requests and responses against Magento's own REST schema (Swagger 2.0).

openapi-core reads OpenAPI 3 only, so this is a focused check with ``jsonschema`` (Draft 4, the
dialect Swagger 2.0 schemas use): the body parameter or response schema of one operation, with
the spec's ``definitions`` beside it so every ``$ref`` resolves; query strings and path
parameters against the operation's declared parameters.

One adaptation (the loaded dict is changed, the file never is): the schema types an error's
``parameters`` as a list of ``{resources, fieldName, fieldValue}`` objects, but Magento sends
what fills the message's placeholders: a list of strings for ``%1`` placeholders, an object of
strings for named ones (Adobe's "Web API response" guide, ``src/pages/get-started/
gs-web-api-response.md``: ``{"message": "Invalid product data: %1", "parameters": [...]}``; see
``shared/api-facts/shopify_magento_amazon.md`` 2.7). Both shapes are accepted beside the declared
one; nothing else is.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
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
        definitions = dict(self.spec["definitions"])
        if "error-parameters" in definitions:
            definitions["error-parameters"] = {
                "anyOf": [
                    definitions["error-parameters"],
                    {"type": "array", "items": {"type": "string"}},
                    {"type": "object", "additionalProperties": {"type": "string"}},
                ]
            }
        self._definitions = definitions
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
        return jsonschema.Draft4Validator({**schema, "definitions": self._definitions})

    def request_errors(self, method: str, path: str, body: Any) -> list[str]:
        """Why ``body`` is not a valid request body for the operation (empty when it is)."""
        params = self.operation(method, path).get("parameters", [])
        schema = next(p["schema"] for p in params if p.get("in") == "body")
        return [_describe(e) for e in self._validator(schema).iter_errors(body)]

    def query_errors(self, method: str, path: str, query: Iterable[tuple[str, str]]) -> list[str]:
        """Why a query string does not fit the operation's query parameters (empty when it does).

        Magento's schema lists array parameters with index 0 only
        (``searchCriteria[filterGroups][0][filters][0][field]``); any index stands for it.
        """
        declared = {
            p["name"]: p
            for p in self.operation(method, path).get("parameters", [])
            if p.get("in") == "query"
        }
        errors = []
        for name, value in query:
            parameter = declared.get(re.sub(r"\[\d+\]", "[0]", name))
            if parameter is None:
                errors.append(f"query {name}: not a parameter of {method} {path}")
            elif parameter.get("type") == "integer" and not re.fullmatch(r"-?\d+", value):
                errors.append(f"query {name}: {value!r} is not an integer")
        return errors

    def path_errors(self, method: str, path: str) -> list[str]:
        """Why the path's parameters (``/V1/orders/{id}``) do not fit their declared types."""
        route = re.sub(r"^/rest/[^/]+", "", path)
        operation = self.operation(method, path)
        for pattern, template in self._templates:
            if pattern.match(route) and operation is self.spec["paths"][template].get(
                method.lower()
            ):
                names = re.findall(r"\{([^}]+)\}", template)
                values = [
                    part
                    for part, templ in zip(route.split("/"), template.split("/"), strict=True)
                    if templ.startswith("{")
                ]
                types = {
                    p["name"]: p.get("type")
                    for p in operation.get("parameters", [])
                    if p.get("in") == "path"
                }
                return [
                    f"path {name}: {value!r} is not an integer"
                    for name, value in zip(names, values, strict=True)
                    if types.get(name) == "integer" and not value.isdigit()
                ]
        return []

    def response_errors(self, method: str, path: str, body: Any, status: int = 200) -> list[str]:
        """Why ``body`` is not a valid ``status`` answer of the operation (empty when it is)."""
        responses = self.operation(method, path)["responses"]
        schema = (responses.get(str(status)) or responses["default"])["schema"]
        return [_describe(e) for e in self._validator(schema).iter_errors(body)]


def _describe(error: jsonschema.ValidationError) -> str:
    where = "/".join(str(part) for part in error.absolute_path) or "<body>"
    return f"{where}: {error.message}"
