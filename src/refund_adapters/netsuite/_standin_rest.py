"""What the stand-in's record API reads answer: records with their sublists, and the catalog.

``GET /record/v1/{type}/{id}`` answers the record's body fields (only those of
:data:`BODY_FIELDS` and the account's custom fields); each sublist is a link unless
``expandSubResources=true`` is asked, then its lines inline as ``{"items": [...]}`` (REST API
Browser shared parameters; the shape of public record dumps). A customer refund's ``deposit``
sublist is always empty: Oracle documents that an applied deposit shows as a Deposit
Application line in ``apply`` instead (article_0830082954).

``GET /record/v1/metadata-catalog/{type}`` with ``Accept: application/swagger+json`` answers
an OpenAPI 3 document whose ``components.schemas`` hold the record, each sublist's collection
and element, and the account's custom fields marked ``x-ns-custom-field`` (Oracle:
``Accept: application/swagger+json`` for OpenAPI; the markers as public metadata dumps show
them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._fields import REST_TYPES, Custom, TranType
from ._standin_facts import BODY_FIELDS, SUBLIST_FIELDS, StandInFacts
from ._standin_store import NUMERIC_COLUMNS, Store
from ._standin_wire import Refusal

__all__ = ["catalog", "record_body"]

_CUSTOMER_FIELD = frozenset(
    {
        TranType.CUSTOMER_REFUND,
        TranType.PAYMENT,
        TranType.CUSTOMER_DEPOSIT,
        TranType.DEPOSIT_APPLICATION,
    }
)


def _ref(value: Any) -> dict[str, Any] | None:
    return None if value is None else {"id": str(value)}


def _sublist(url: str, name: str, items: list[dict[str, Any]], expand: bool) -> dict[str, Any]:
    links = [{"rel": "self", "href": f"{url}/{name}"}]
    if not expand:
        return {"links": links}
    return {
        "links": links,
        "items": [{"links": [], **item} for item in items],
        "totalResults": len(items),
        "count": len(items),
        "hasMore": False,
        "offset": 0,
    }


def record_body(
    store: Store,
    facts: StandInFacts,
    kind: TranType,
    row: Mapping[str, Any],
    *,
    url: str,
    expand: bool,
) -> dict[str, Any]:
    """The REST body of one record (see the module docstring)."""
    rest = REST_TYPES[kind]
    rid = str(row["id"])
    main = store.main_line(rid)
    currency = row.get("currency")
    trandate = row.get("trandate")
    body: dict[str, Any] = {
        "links": [{"rel": "self", "href": url}],
        "id": rid,
        "externalId": row.get("externalid"),
        "tranDate": trandate[:10] if trandate else None,
        "total": abs(row["foreigntotal"]) if row.get("foreigntotal") is not None else None,
        "memo": row.get("memo"),
        "status": _ref(row.get("status")),
        "currency": None
        if currency is None
        else {"id": str(currency), "refName": store.currency_code(currency)},
        "createdFrom": _ref(main.get("createdfrom")),
        ("customer" if kind in _CUSTOMER_FIELD else "entity"): _ref(row.get("entity")),
        "account": _ref(row.get("x_account")),
    }
    for name in facts.custom_on(rest):
        if name.startswith("custbody_") and row.get(name) is not None:
            body[name] = row[name]
    if kind is TranType.PAYMENT:
        body["payment"] = body["total"]
        body["undepFunds"] = {"id": row.get("x_undep") or "F"}
        if row.get("x_undep") == "T":
            body["account"] = None
        apply = [
            {"doc": {"id": link["previousdoc"]}, "apply": True, "amount": link["foreignamount"]}
            for link in store.payment_links(rid)
        ]
        body["apply"] = _sublist(url, "apply", apply, expand)
    elif kind is TranType.CUSTOMER_REFUND:
        apply = [
            {
                "doc": {"id": line["doc"]},
                "apply": True,
                "amount": line["amount"],
                "line": line["line"],
            }
            for line in store.sublist(rid, "apply")
        ]
        body["apply"] = _sublist(url, "apply", apply, expand)
        body["deposit"] = _sublist(url, "deposit", [], expand)
    elif kind is TranType.DEPOSIT_APPLICATION:
        body["deposit"] = _ref(row.get("x_ref"))
        apply = [
            {
                "doc": {"id": line["doc"]},
                "apply": True,
                "amount": line["amount"],
                "line": line["line"],
            }
            for line in store.sublist(rid, "apply")
        ]
        body["apply"] = _sublist(url, "apply", apply, expand)
    elif kind is TranType.DEPOSIT:
        payment = [
            {
                "id": line["doc"],
                "type": {"id": line["doctype"]},
                "deposit": True,
                "paymentAmount": line["amount"],
            }
            for line in store.sublist(rid, "payment")
        ]
        other = []
        for line in store.sublist(rid, "other"):
            entry: dict[str, Any] = {
                "line": line["line"],
                "account": {"id": line["account"]},
                "amount": line["amount"],
                "memo": line.get("memo"),
            }
            refs = line.get(Custom.SOURCE_REFS.value)
            if refs is not None:
                entry[Custom.SOURCE_REFS.value] = refs
            other.append(entry)
        body["payment"] = _sublist(url, "payment", payment, expand)
        body["other"] = _sublist(url, "other", other, expand)
    elif kind in (TranType.CREDIT_MEMO, TranType.CASH_REFUND):
        sign = facts.line_signs.get(kind, 1)
        items = []
        for line in store.item_lines(rid):
            entry = {
                "line": line["linesequencenumber"],
                "item": {"id": line["item"]},
                "amount": sign * line["foreignamount"],
            }
            if line.get("quantity") is not None:
                entry["quantity"] = sign * line["quantity"]
            for name in facts.custom_on(rest):
                if name.startswith("custcol_") and line.get(name) is not None:
                    entry[name] = line[name]
            items.append(entry)
        shipping = store.lines_of_kind(rid, "shipping")
        if shipping:
            body["shippingCost"] = abs(shipping[0]["foreignamount"])
        body["item"] = _sublist(url, "item", items, expand)
    allowed = BODY_FIELDS.get(rest, frozenset()) | facts.custom_on(rest) | {"links"}
    return {
        key: value
        for key, value in body.items()
        if value is not None and key.split(".", 1)[0] in {name.split(".", 1)[0] for name in allowed}
    }


def _property(name: str) -> dict[str, Any]:
    if name in ("id",):
        return {"type": "string", "title": "Internal ID"}
    if name.lower() in NUMERIC_COLUMNS or name in (
        "total",
        "amount",
        "payment",
        "paymentAmount",
        "shippingCost",
        "quantity",
    ):
        return {"type": "number", "format": "double"}
    if name in ("apply", "deposit", "autoApply"):
        return {"type": "boolean"}
    if name == "tranDate":
        return {"type": "string", "format": "date"}
    return {"type": "string"}


def _properties(names: frozenset[str], custom: frozenset[str]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for name in sorted(names):
        head, _, tail = name.partition(".")
        if tail:
            holder = properties.setdefault(head, {"type": "object", "properties": {}})
            holder["properties"][tail] = {"type": "string"}
        else:
            properties[name] = _property(name)
    for name in sorted(custom):
        properties[name] = {**_property(name), "x-ns-custom-field": True, "nullable": True}
    return properties


def catalog(facts: StandInFacts, rest_type: str) -> dict[str, Any]:
    """The OpenAPI document of one record type's metadata (see the module docstring)."""
    if rest_type not in BODY_FIELDS:
        raise Refusal(404, "INVALID_URL", f"Unknown record type {rest_type}.")
    custom = facts.custom_on(rest_type)
    sublists = {sub for (record, sub) in SUBLIST_FIELDS if record == rest_type}
    body = _properties(
        BODY_FIELDS[rest_type] - sublists,
        frozenset(name for name in custom if name.startswith("custbody_")),
    )
    schemas: dict[str, Any] = {rest_type: {"type": "object", "properties": body}}
    for sublist in sorted(sublists):
        collection = f"{rest_type}-{sublist}Collection"
        element = f"{rest_type}-{sublist}Element"
        body[sublist] = {"$ref": f"#/components/schemas/{collection}"}
        schemas[collection] = {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{element}"}}
            },
        }
        line_custom = (
            frozenset(name for name in custom if name.startswith("custcol_"))
            if sublist in ("item", "other")
            else frozenset()
        )
        schemas[element] = {
            "type": "object",
            "properties": _properties(SUBLIST_FIELDS[(rest_type, sublist)], line_custom),
        }
    return {
        "openapi": "3.0.1",
        "info": {"title": "NetSuite REST Record API", "version": "v1"},
        "paths": {},
        "components": {"schemas": schemas},
    }
