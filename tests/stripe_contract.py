"""Contract validation of Stripe HTTP exchanges against Stripe's official OpenAPI spec.

Use :func:`assert_valid_exchange` on one ``httpx.Request``/``httpx.Response`` pair, or
:func:`assert_all_exchanges_valid` on everything a :class:`StripeStandIn` saw (``exchanges``),
e.g. after running the Stripe adapter against it. The spec is
``stripe/openapi.spec3.2023-08-16.json`` (Stripe's ``openapi/spec3.yaml`` of 2023-09-13, see
``shared/specs/SOURCES.md``), read through :func:`tests.specs.spec_path` (the caller is skipped
when it is absent) and parsed once per session.

What is checked, and how the spec is adapted (the loaded dict is transformed, the file never is):

* **Operation**: method + path must be an operation of the spec (``/v1/refunds/{refund}``).
* **Request parameters and bodies** are checked by this module, not by openapi-core: Stripe
  encodes v1 query strings and ``application/x-www-form-urlencoded`` bodies with brackets
  (``expand[]=data.charge``, ``created[gte]=1700000000``, ``metadata[key]=v``), which the spec
  declares as ``style: deepObject`` and which openapi-core does not decode for arrays or for
  ``anyOf`` (object-or-integer) schemas. The adapter's own
  :func:`refund_adapters.stripe._client.decode_form` decodes them, every value
  (a string on the wire) is coerced to the type its schema names, and the result is validated
  with the spec's own JSON schema (``OAS30Validator``, ``$ref`` resolved in the spec). A
  parameter the operation does not declare is an error, as Stripe answers it with 400.
* **Responses** are validated by openapi-core against the operation's response schema
  (``200`` or ``default``, i.e. Stripe's ``error`` object for errors). Stripe's spec writes
  nullable references as ``{"anyOf": [...], "nullable": true}`` and nullable enums as
  ``{"enum": [...], "nullable": true}``; OAS 3.0 validators apply ``nullable`` to ``type`` only,
  so :func:`_allow_nulls` rewrites each such schema to accept ``null`` explicitly (an
  ``{"enum": [null]}`` branch in ``anyOf``/``oneOf``, ``null`` added to ``enum``).
* **Fields newer than the 2023 spec** (``destination_details``, ``presentment_details``,
  ``customer``/``payment_method`` on refunds, ``balance_type``, ``trace_id`` ...): openapi-core
  ignores properties a schema does not list, so every object in a response (anything with an
  ``object`` key the fixtures know) is also walked, and **each field the 2023 spec does not list
  must appear in the same resource of Stripe's 2026 fixtures** (``fixtures3.2026-08-21.json``)
  with the same JSON type (``null`` matches anything). A field in neither is an error.
"""

from __future__ import annotations

import functools
import json
import re
import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
from jsonschema.exceptions import ValidationError
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from werkzeug.datastructures import Headers, ImmutableMultiDict

from refund_adapters.stripe._client import decode_form
from tests.specs import spec_path

__all__ = [
    "FIXTURES",
    "SPEC",
    "ContractViolationError",
    "assert_all_exchanges_valid",
    "assert_valid_exchange",
    "event_errors",
    "exchange_errors",
    "request_errors",
    "response_errors",
]

SPEC = "stripe/openapi.spec3.2023-08-16.json"
FIXTURES = "stripe/fixtures3.2026-08-21.json"
_SPEC_URI = "urn:stripe:openapi"
_HOST = "https://api.stripe.com"


class ContractViolationError(AssertionError):
    """An exchange that does not match Stripe's published contract."""


# -- loading (once per session) ---------------------------------------------------------------


def _allow_nulls(node: Any) -> Any:
    """Make ``nullable: true`` admit ``null`` where OAS 3.0 validators would not (see above)."""
    if isinstance(node, list):
        return [_allow_nulls(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: _allow_nulls(value) for key, value in node.items()}
    if result.get("nullable") is True:
        for combinator in ("anyOf", "oneOf"):
            if combinator in result:
                result[combinator] = [*result[combinator], {"enum": [None]}]
        if "enum" in result and None not in result["enum"]:
            result["enum"] = [*result["enum"], None]
    return result


@functools.cache
def _spec_at(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    transformed = _allow_nulls(loaded)
    assert isinstance(transformed, dict)
    return transformed


@functools.cache
def _fixtures_at(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    resources: dict[str, Any] = loaded["resources"]
    return resources


@functools.cache
def _openapi_at(path: str) -> OpenAPI:
    # The spec is Stripe's, validated upstream; checking its 5 MB again adds nothing.
    return OpenAPI.from_dict(_spec_at(path), config=Config(spec_validator_cls=None))


@functools.cache
def _registry_at(path: str) -> Registry[Any]:
    resource = Resource.from_contents(_spec_at(path), default_specification=DRAFT4)
    return Registry().with_resource(_SPEC_URI, resource)


def spec() -> dict[str, Any]:
    """The transformed spec dict (skips the calling test when the spec file is absent)."""
    return _spec_at(str(spec_path(SPEC)))


def fixtures() -> dict[str, Any]:
    """Stripe's 2026 example objects by resource name (skips when absent)."""
    return _fixtures_at(str(spec_path(FIXTURES)))


def _coerce(value: Any, schema: dict[str, Any], resolve: Any) -> Any:
    """Turn form strings into the JSON types the schema names (integers, booleans ...)."""
    if "$ref" in schema:
        return _coerce(value, resolve(schema["$ref"]), resolve)
    for combinator in ("anyOf", "oneOf"):
        for option in schema.get(combinator, []):
            resolved = resolve(option["$ref"]) if "$ref" in option else option
            if _shape_fits(value, resolved):
                return _coerce(value, resolved, resolve)
        if combinator in schema:
            return value
    kind = schema.get("type")
    if isinstance(value, str):
        if kind == "integer" and re.fullmatch(r"-?\d+", value):
            return int(value)
        if kind == "boolean" and value in {"true", "false"}:
            return value == "true"
        if kind == "object" and value == "":
            return {}  # Stripe's way to send an empty hash (``metadata=``)
        return value
    if isinstance(value, list) and kind == "array":
        items = schema.get("items", {})
        return [_coerce(item, items, resolve) for item in value]
    if isinstance(value, dict) and kind == "object":
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        out = {}
        for key, item in value.items():
            sub = props.get(key, extra if isinstance(extra, dict) else {})
            out[key] = _coerce(item, sub, resolve)
        return out
    return value


def _shape_fits(value: Any, schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    if isinstance(value, dict):
        return kind == "object"
    if isinstance(value, list):
        return kind == "array"
    if kind == "integer":
        return re.fullmatch(r"-?\d+", value) is not None
    if kind == "boolean":
        return value in {"true", "false"}
    if kind == "object":
        return value == ""
    return kind == "string" or "enum" in schema


def _spec_file() -> str:
    return str(spec_path(SPEC))


# -- request validation -----------------------------------------------------------------------


@functools.cache
def _templates(path: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    compiled = []
    for template in _spec_at(path)["paths"]:
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        compiled.append((re.compile(f"^{pattern}$"), template))
    # literal paths win over templated ones (``/v1/charges/search`` vs ``/v1/charges/{charge}``)
    compiled.sort(key=lambda item: item[1].count("{"))
    return tuple(compiled)


def _operation(request: httpx.Request) -> tuple[str, dict[str, Any]] | None:
    path_file = _spec_file()
    for pattern, template in _templates(path_file):
        if pattern.match(request.url.path):
            operation = _spec_at(path_file)["paths"][template].get(request.method.lower())
            if operation is not None:
                return template, operation
    return None


def _validate_value(value: Any, pointer: str, where: str, errors: list[str], resolve: Any) -> None:
    schema = resolve(pointer)
    coerced = _coerce(value, schema, resolve)
    validator = OAS30Validator(
        {"$ref": f"{_SPEC_URI}#{pointer}"}, registry=_registry_at(_spec_file())
    )
    for error in validator.iter_errors(coerced):
        at = "".join(f"[{part}]" for part in error.absolute_path)
        errors.append(f"{where}{at}: {error.message}")


def _resolver() -> Any:
    document = _spec_at(_spec_file())

    def resolve(pointer: str) -> Any:
        node: Any = document
        for part in pointer.removeprefix("#").removeprefix(_SPEC_URI + "#").split("/")[1:]:
            name = part.replace("~1", "/").replace("~0", "~")
            node = node[int(name)] if isinstance(node, list) else node[name]
        return node

    return resolve


def request_errors(request: httpx.Request) -> list[str]:
    """What is wrong with ``request`` against the spec (empty when it is valid)."""
    found = _operation(request)
    method, path = request.method.upper(), request.url.path
    if found is None:
        return [f"{method} {path} is not an operation of the Stripe API spec"]
    template, operation = found
    errors: list[str] = []
    resolve = _resolver()
    escaped = template.replace("~", "~0").replace("/", "~1")
    base = f"/paths/{escaped}/{request.method.lower()}"
    declared = {
        p["name"]: i for i, p in enumerate(operation.get("parameters", [])) if p["in"] == "query"
    }
    try:
        query = decode_form(request.url.params.multi_items())
    except ValueError as exc:
        return [f"query of {method} {path} cannot be decoded: {exc}"]
    for name, value in query.items():
        if name not in declared:
            errors.append(f"query parameter {name!r} is not declared for {method} {template}")
            continue
        _validate_value(
            value, f"{base}/parameters/{declared[name]}/schema", f"query {name}", errors, resolve
        )
    body = request.content
    if body:
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        if content_type != "application/x-www-form-urlencoded":
            errors.append(f"body content type {content_type!r}; Stripe v1 takes form bodies")
        else:
            try:
                form = decode_form(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
            except ValueError as exc:
                return [*errors, f"body of {method} {path} cannot be decoded: {exc}"]
            media = f"{base}/requestBody/content/application~1x-www-form-urlencoded/schema"
            _validate_value(form, media, "body", errors, resolve)
    elif operation.get("requestBody", {}).get("required"):
        errors.append(f"{method} {template} requires a body")
    if not re.match(r"^(Bearer|Basic) \S+", request.headers.get("authorization", "")):
        errors.append("no Bearer/Basic Authorization header (the spec requires one)")
    return errors


# -- response validation ----------------------------------------------------------------------


class _CoreRequest:
    """The minimal request openapi-core needs to find the operation (parameters checked above)."""

    def __init__(self, request: httpx.Request) -> None:
        self._request = request
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
        )

    @property
    def host_url(self) -> str:
        return _HOST

    @property
    def path(self) -> str:
        return self._request.url.path

    @property
    def method(self) -> str:
        return self._request.method.lower()

    @property
    def body(self) -> bytes | None:
        return None

    @property
    def content_type(self) -> str:
        return "application/x-www-form-urlencoded"


class _CoreResponse:
    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def data(self) -> bytes:
        return self._response.content

    @property
    def status_code(self) -> int:
        return self._response.status_code

    @property
    def content_type(self) -> str:
        return self._response.headers.get("content-type", "")

    @property
    def headers(self) -> Headers:
        return Headers(list(self._response.headers.items()))


def _describe(error: ValidationError, where: str) -> str:
    """The innermost reason of a schema error (``anyOf`` branches hide it), with its path."""
    leaf = error
    while leaf.context:
        # the branch that got furthest into the value is the one the value was meant to be
        leaf = max(leaf.context, key=lambda e: (len(e.absolute_path), -len(e.context or ())))
    at = "".join(f"[{part!r}]" for part in leaf.absolute_path)
    message = leaf.message if len(leaf.message) <= 300 else leaf.message[:300] + "..."
    return f"{where}{at}: {message}"


def _event_object_errors(payload: Any) -> list[str]:
    """The spec types an event's ``data.object`` as any object; check it as its own kind."""
    schemas = spec()["components"]["schemas"]
    errors: list[str] = []
    for where, obj in _objects(payload, "$"):
        if obj.get("object") != "event":
            continue
        inner = obj.get("data", {}).get("object") if isinstance(obj.get("data"), dict) else None
        kind = inner.get("object") if isinstance(inner, dict) else None
        if not isinstance(kind, str) or kind not in schemas:
            continue
        validator = OAS30Validator(
            {"$ref": f"{_SPEC_URI}#/components/schemas/{kind}"},
            registry=_registry_at(_spec_file()),
        )
        errors.extend(
            _describe(error, f"{where}.data.object") for error in validator.iter_errors(inner)
        )
    return errors


def event_errors(event: dict[str, Any]) -> list[str]:
    """What is wrong with one event (e.g. a webhook body) against the spec and the fixtures."""
    validator = OAS30Validator(
        {"$ref": f"{_SPEC_URI}#/components/schemas/event"}, registry=_registry_at(_spec_file())
    )
    errors = [_describe(error, "event") for error in validator.iter_errors(event)]
    return errors + _event_object_errors(event) + _newer_field_errors(event)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def _objects(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if isinstance(node.get("object"), str):
            yield where, node
        for key, value in node.items():
            yield from _objects(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _objects(value, f"{where}[{index}]")


def _newer_field_errors(payload: Any) -> list[str]:
    """Fields absent from the 2023 spec must exist, with the same type, in the 2026 fixtures."""
    schemas = spec()["components"]["schemas"]
    examples = fixtures()
    errors = []
    for where, obj in _objects(payload, "$"):
        kind = obj["object"]
        if kind == "list" or kind not in schemas:
            continue
        known = schemas[kind].get("properties", {})
        example = examples.get(kind, {})
        for field, value in obj.items():
            if field in known:
                continue
            if field not in example:
                errors.append(
                    f"{where}.{field}: {kind} has no field {field!r} in the 2023 spec nor in "
                    "the 2026 fixtures"
                )
                continue
            expected, actual = _json_type(example[field]), _json_type(value)
            if "null" not in (expected, actual) and expected != actual:
                errors.append(
                    f"{where}.{field}: {actual} where Stripe's 2026 fixture has {expected}"
                )
    return errors


def response_errors(request: httpx.Request, response: httpx.Response) -> list[str]:
    """What is wrong with ``response`` to ``request`` against the spec (empty when valid)."""
    if "request-id" not in response.headers:
        errors = ["no Request-Id header (Stripe sends one on every response)"]
    else:
        errors = []
    try:
        payload = json.loads(response.content)
    except ValueError:
        return [*errors, f"body is not JSON: {response.content[:80]!r}"]
    api = _openapi_at(_spec_file())
    for error in api.iter_response_errors(_CoreRequest(request), _CoreResponse(response)):
        cause = error.__cause__
        details = getattr(cause, "schema_errors", None)
        if details:
            errors.extend(_describe(detail, "response") for detail in details)
        else:
            errors.append(f"response: {error}" + (f" ({cause})" if cause else ""))
    errors.extend(_event_object_errors(payload))
    errors.extend(_newer_field_errors(payload))
    return errors


def exchange_errors(
    request: httpx.Request, response: httpx.Response | None, *, check_request: bool = True
) -> list[str]:
    """Every contract error of one exchange; a None response (dropped) checks the request only."""
    errors = request_errors(request) if check_request else []
    if response is not None:
        errors += response_errors(request, response)
    return errors


def assert_valid_exchange(
    request: httpx.Request, response: httpx.Response | None, *, check_request: bool = True
) -> None:
    """Fail the test, listing every problem, unless the exchange matches Stripe's contract.

    ``check_request=False`` is for exchanges that test Stripe's answer to a request that is
    wrong on purpose (no API key, an unknown parameter).
    """
    errors = exchange_errors(request, response, check_request=check_request)
    if errors:
        status = response.status_code if response is not None else "no response"
        raise ContractViolationError(
            f"{request.method} {request.url.path} -> {status}:\n  " + "\n  ".join(errors)
        )


def assert_all_exchanges_valid(standin: Any, *, check_requests: bool = True) -> int:
    """Validate every exchange a Stripe stand-in recorded; returns how many were checked."""
    problems = []
    exchanges = list(standin.exchanges)
    for index, exchange in enumerate(exchanges):
        errors = exchange_errors(exchange.request, exchange.response, check_request=check_requests)
        if errors:
            problems.append(
                f"#{index} {exchange.request.method} {exchange.request.url.path}:\n    "
                + "\n    ".join(errors)
            )
    if problems:
        raise ContractViolationError("\n".join(problems))
    return len(exchanges)
