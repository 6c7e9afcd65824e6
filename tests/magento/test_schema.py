"""Requests and answers checked against Magento's own REST schema, and the check shown to bite."""

from __future__ import annotations

import re
from decimal import Decimal

import attrs
import httpx
import pytest

import refund_core as rc
from refund_adapters._http import UpstreamAuthError, UpstreamRejectedError
from refund_adapters.magento import BearerToken, MagentoStandIn, SeedItem
from refund_adapters.magento._wire import dumps, loads
from tests.builders import M
from tests.contracts._run import run
from tests.contracts.faults import WriteFaults, http_write
from tests.magento.factories import TOKEN, new_standin, storefront_over
from tests.magento.schema import ADOBE_249, RUNTIME, MagentoSchema


def _refund(
    order_ref: str, *lines: rc.StorefrontRefundLine, amount: str, shipping: str
) -> rc.IssueStorefrontRefund:
    """An outgoing refund of ``order_ref`` in USD."""
    return rc.IssueStorefrontRefund(
        external_id=f"rs-sr-{order_ref}",
        source=rc.SourceKey("netsuite", "CM-7"),
        rule_ids=("NSC-7",),
        reason="schema check",
        storefront="magento",
        order_ref=order_ref,
        record=rc.RecordRef(internal_id="CM-7"),
        lines=lines,
        shipping=M(f"{shipping} USD"),
        amount=M(f"{amount} USD"),
    )


def _exercised() -> MagentoStandIn:
    """A stand-in after an offline and an online refund (search, load, lookup, POST each)."""
    standin = new_standin()
    standin.add_order("000000071", [SeedItem("SKU-RED", "19.99", qty=2)], shipping="5.00")
    standin.add_order(
        "000000072", [SeedItem("SKU-BLUE", "12.00")], shipping="3.00", payment_method="stripe"
    )
    adapter = storefront_over(standin, return_to_stock=True)
    red = rc.StorefrontRefundLine("SKU-RED", Decimal(1), M("19.99 USD"))
    blue = rc.StorefrontRefundLine("SKU-BLUE", Decimal(1), M("12.00 USD"))
    run(adapter.issue_refund(_refund("000000071", red, amount="24.99", shipping="5.00")))
    run(adapter.issue_refund(_refund("000000072", blue, amount="10.00", shipping="0.00")))
    run(adapter.issue_refund(_refund("000000071", red, amount="24.99", shipping="5.00")))
    return standin


def test_every_exchange_matches_the_runtime_schema() -> None:
    """Each refund body and each 200 answer the adapter met is valid per the live 2.4.8 schema."""
    schema = MagentoSchema(RUNTIME)
    standin = _exercised()
    methods = {(e.method, e.path.split("/V1/")[1].split("/")[0]) for e in standin.exchanges}
    assert ("POST", "order") in methods
    assert ("POST", "invoice") in methods
    assert ("GET", "creditmemos") in methods
    for exchange in standin.exchanges:
        assert exchange.status == 200, exchange
        if exchange.method == "POST":
            assert schema.request_errors("POST", exchange.path, exchange.request_body) == []
        assert schema.response_errors(exchange.method, exchange.path, exchange.response_body) == []


def test_refund_bodies_match_adobes_249_schema() -> None:
    """The refund bodies also match Adobe's published 2.4.9 schema."""
    schema = MagentoSchema(ADOBE_249)
    standin = _exercised()
    posts = [e for e in standin.exchanges if e.method == "POST"]
    assert len(posts) == 2
    for exchange in posts:
        assert schema.request_errors("POST", exchange.path, exchange.request_body) == []


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ({"items": [{"order_item_id": 1, "qty": "1"}]}, "items/0/qty: '1' is not of type 'number'"),
        ({"items": [{"qty": 1}]}, "items/0: 'order_item_id' is a required property"),
        (
            {"comment": {"comment": "x", "is_visible_on_front": False}},
            "comment/is_visible_on_front: False is not of type 'integer'",
        ),
        ({"arguments": {"shipping_amount": "7.50"}}, "arguments/shipping_amount: '7.50'"),
        ({"isOnline": "yes"}, "isOnline: 'yes' is not of type 'boolean'"),
    ],
)
def test_the_schema_check_rejects_broken_bodies(broken: dict[str, object], expected: str) -> None:
    """The check can fail: wrong types and missing required fields are named by path."""
    schema = MagentoSchema(RUNTIME)
    errors = schema.request_errors("POST", "/rest/all/V1/invoice/7/refund", broken)
    assert any(error.startswith(expected) for error in errors), errors


def test_the_schema_check_rejects_a_broken_answer() -> None:
    """A credit memo search answer without total_count, or with a string ID, is refused."""
    schema = MagentoSchema(RUNTIME)
    path = "/rest/all/V1/creditmemos"
    assert schema.response_errors("GET", path, {"items": [], "search_criteria": {}})
    assert schema.response_errors("POST", "/rest/all/V1/order/1/refund", "12")
    assert schema.response_errors("POST", "/rest/all/V1/order/1/refund", 12) == []


class _NoCommentsInListings(httpx.AsyncBaseTransport):
    """The stand-in's transport with ``comments`` cut from credit memo listings.

    The adapter then reads each memo's comments on their own (``/V1/creditmemo/{id}/comments``).
    """

    def __init__(self, standin: MagentoStandIn) -> None:
        self._inner = standin.transport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Forward; strip comments from ``/V1/creditmemos`` answers."""
        response = await self._inner.handle_async_request(request)
        if not request.url.path.endswith("/creditmemos"):
            return response
        body = loads(response.content)
        for item in body["items"]:
            item.pop("comments", None)
        return httpx.Response(200, content=dumps(body).encode(), request=request)


def _every_route_and_answer() -> MagentoStandIn:
    """A stand-in after every request the adapter makes, and every error it can meet."""
    standin = _exercised()
    red = rc.StorefrontRefundLine("SKU-RED", Decimal(1), M("19.99 USD"))
    # A repeat whose listing leaves comments out: the comments route.
    lookup = storefront_over(standin, transport=_NoCommentsInListings(standin))
    run(lookup.issue_refund(_refund("000000071", red, amount="24.99", shipping="5.00")))
    # A lost answer: the POST is processed (and recorded), then looked up and found.
    standin.add_order("000000073", [SeedItem("SKU-GREEN", "8.00", qty=3)], shipping="2.00")
    green = rc.StorefrontRefundLine("SKU-GREEN", Decimal(1), M("8.00 USD"))
    lost = WriteFaults(standin, http_write)
    lost.lose_next_write()
    run(
        storefront_over(standin).issue_refund(
            _refund("000000073", green, amount="8.00", shipping="0.00")
        )
    )
    lost.assert_spent()
    # Refusals: more than was paid (400), a bad token (401), an unknown order (404).
    with pytest.raises(UpstreamRejectedError):
        run(
            storefront_over(standin).issue_refund(
                rc.IssueStorefrontRefund(
                    **{
                        **_fields(_refund("000000073", amount="100.00", shipping="0.00")),
                        "external_id": "rs-sr-too-much",
                    }
                )
            )
        )
    with pytest.raises(UpstreamAuthError):
        run(
            storefront_over(standin, auth=BearerToken("wrong")).issue_refund(
                _refund("000000073", green, amount="8.00", shipping="0.00")
            )
        )

    async def unknown_order() -> httpx.Response:
        async with httpx.AsyncClient(transport=standin.transport()) as client:
            return await client.get(
                "http://magento.test/rest/all/V1/orders/999999",
                headers={"Authorization": f"Bearer {TOKEN}"},
            )

    assert run(unknown_order()).status_code == 404
    return standin


def _fields(action: rc.IssueStorefrontRefund) -> dict[str, object]:
    return {field.name: getattr(action, field.name) for field in attrs.fields(type(action))}


def test_every_request_and_answer_of_every_status_matches_the_runtime_schema() -> None:
    """Paths, queries, bodies and answers (200, 400, 401, 404) all fit Magento's own schema."""
    schema = MagentoSchema(RUNTIME)
    standin = _every_route_and_answer()
    seen = {
        (e.method, re.sub(r"/\d+", "/{id}", e.path.split("/V1/")[1]), e.status)
        for e in standin.exchanges
    }
    assert {
        ("GET", "orders", 200),
        ("GET", "orders/{id}", 200),
        ("GET", "invoices", 200),
        ("GET", "creditmemos", 200),
        ("GET", "creditmemo/{id}/comments", 200),
        ("POST", "order/{id}/refund", 200),
        ("POST", "invoice/{id}/refund", 200),
        ("POST", "order/{id}/refund", 400),
        ("GET", "orders", 401),
        ("GET", "orders/{id}", 404),
    } <= seen
    for exchange in standin.exchanges:
        where = f"{exchange.method} {exchange.path} -> {exchange.status}"
        assert schema.path_errors(exchange.method, exchange.path) == [], where
        assert schema.query_errors(exchange.method, exchange.path, exchange.query) == [], where
        if exchange.method == "POST":
            errors = schema.request_errors("POST", exchange.path, exchange.request_body)
            assert errors == [], where
        errors = schema.response_errors(
            exchange.method, exchange.path, exchange.response_body, exchange.status
        )
        assert errors == [], where


def test_the_query_and_path_checks_can_fail() -> None:
    """A parameter the schema does not declare, a non-integer page size or ID, are named."""
    schema = MagentoSchema(RUNTIME)
    path = "/rest/all/V1/creditmemos"
    assert schema.query_errors("GET", path, [("searchCriteria[pageSize]", "ten")]) == [
        "query searchCriteria[pageSize]: 'ten' is not an integer"
    ]
    assert schema.query_errors("GET", path, [("searchCriteria[limit]", "1")]) == [
        "query searchCriteria[limit]: not a parameter of GET /rest/all/V1/creditmemos"
    ]
    assert (
        schema.query_errors(
            "GET", path, [("searchCriteria[filterGroups][3][filters][1][conditionType]", "eq")]
        )
        == []
    )
    assert schema.path_errors("GET", "/rest/all/V1/orders/abc") == [
        "path id: 'abc' is not an integer"
    ]


def test_the_error_answer_check_can_fail() -> None:
    """An error answer without a message, or with placeholders filled by numbers, is refused."""
    schema = MagentoSchema(RUNTIME)
    path = "/rest/all/V1/order/1/refund"
    assert schema.response_errors("POST", path, {"message": "x %1", "parameters": ["1"]}, 400) == []
    assert (
        schema.response_errors("POST", path, {"message": "%a", "parameters": {"a": "b"}}, 400) == []
    )
    assert schema.response_errors("POST", path, {"parameters": ["1"]}, 400)
    assert schema.response_errors("POST", path, {"message": "x %1", "parameters": [1]}, 400)
