"""The stand-in's answers in NetSuite's shapes: errors, JSON bodies, and body-reading helpers."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import httpx

from . import _json

__all__ = [
    "Refusal",
    "amount_of",
    "check_fields",
    "error_response",
    "json_response",
    "ref_id",
    "sublist_items",
]

_TITLES = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"}


class Refusal(Exception):  # noqa: N818 - a NetSuite error answer, raised to unwind
    """A request NetSuite refuses: status, ``o:errorCode``, detail and where."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        path: str | None = None,
        *,
        query_param: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.path = path
        self.query_param = query_param


def error_response(
    status: int, code: str, detail: str, path: str | None = None, *, query_param: str | None = None
) -> httpx.Response:
    """NetSuite's error body: ``type``, ``title``, ``status`` and ``o:errorDetails``."""
    entry: dict[str, Any] = {"detail": detail, "o:errorCode": code}
    if path is not None:
        entry["o:errorPath"] = path
    if query_param is not None:
        entry["o:errorQueryParam"] = query_param
    body = {
        "type": f"https://www.rfc-editor.org/rfc/rfc9110.html#status.{status}",
        "title": _TITLES.get(status, "Too Many Requests" if status == 429 else "Error"),
        "status": status,
        "o:errorDetails": [entry],
    }
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"content-type": "application/vnd.oracle.resource+json; type=error"},
    )


def json_response(
    status: int, payload: Any, content_type: str = "application/json"
) -> httpx.Response:
    """A JSON answer with exact numbers."""
    return httpx.Response(
        status, content=_json.dumps(payload).encode(), headers={"content-type": content_type}
    )


def amount_of(value: object, path: str) -> Decimal:
    """A JSON number from a request body, else NetSuite's refusal naming the field."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise Refusal(400, "USER_ERROR", f"Invalid number: {value!r}.", path)


def ref_id(value: object, path: str) -> str:
    """The ``id`` of a reference field (``{"id": "123"}``)."""
    if isinstance(value, dict) and value.get("id") not in (None, ""):
        return str(value["id"])
    raise Refusal(400, "USER_ERROR", 'Expected a reference of the form {"id": ...}.', path)


def sublist_items(body: Mapping[str, Any], sublist: str) -> list[dict[str, Any]]:
    """The lines of a sublist in a request body (``{"items": [...]}``)."""
    raw = body.get(sublist)
    if raw is None:
        return []
    if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
        raise Refusal(400, "USER_ERROR", 'A sublist is {"items": [...]}.', sublist)
    items: list[dict[str, Any]] = []
    for index, item in enumerate(raw["items"]):
        if not isinstance(item, dict):
            raise Refusal(
                400, "USER_ERROR", "A sublist line is an object.", f"{sublist}.items[{index}]"
            )
        items.append(item)
    return items


def check_fields(body: Mapping[str, Any], allowed: Iterable[str], where: str = "") -> None:
    """Refuse any property outside ``allowed`` (``X-NetSuite-PropertyNameValidation: Error``).

    Dotted names (``type.id``) allow the object field they belong to.
    """
    allowed_set = {name.split(".", 1)[0] for name in allowed}
    for key in body:
        if key not in allowed_set:
            path = f"{where}.{key}" if where else key
            raise Refusal(400, "USER_ERROR", f"Invalid property name: {key}.", path)
