"""Requests and answers checked against Magento's own REST schema, and the check shown to bite."""

from __future__ import annotations

from decimal import Decimal

import pytest

import refund_core as rc
from refund_adapters.magento import MagentoStandIn, SeedItem
from tests.builders import M
from tests.contracts._run import run
from tests.magento.factories import new_standin, storefront_over
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
