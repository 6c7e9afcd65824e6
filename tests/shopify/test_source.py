"""The Shopify refund source: refunds made in Shopify read back as incoming events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

import refund_core as rc
from refund_adapters._http import UpstreamRejectedError
from refund_adapters.conformance import run
from refund_adapters.conformance.builders import M, at, payment_failure, storefront_refund
from refund_adapters.shopify import (
    IncompleteListError,
    ShopifyRefundSource,
    ShopifyStandIn,
    ShopifyStorefront,
)
from refund_adapters.shopify._queries import REFUND_CREATE
from tests.shopify.factories import FakeClock, client, standin


def _all(source: ShopifyRefundSource, since: datetime, limit: int = 10) -> list[rc.SourceEvent]:
    events: list[rc.SourceEvent] = []
    token = None
    while True:
        page = run(source.list_events(since=since, page_token=token, limit=limit))
        events.extend(page.items)
        if page.next_token is None:
            return events
        token = page.next_token


def test_refund_with_lines_shipping_and_tenders_becomes_an_event() -> None:
    """Lines (with their order line IDs), shipping and the card/gift-card split are reported."""
    clock = FakeClock()
    shop = standin(clock, now=lambda: datetime(2026, 3, 10, 12, tzinfo=UTC))
    shop.add_order(
        "5001",
        lines=[("51", "JACKET", 1, "60.00"), ("52", "SCARF", 2, "20.00")],
        shipping="10.00",
        payments=[("shopify_payments", "90.00"), ("gift_card", "20.00")],
        created_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    shop_client = client(shop, clock=clock)
    storefront = ShopifyStorefront(shop_client)
    action = rc.IssueStorefrontRefund(
        external_id="rs-sr-1",
        source=rc.SourceKey("netsuite", "CM-1"),
        rule_ids=("NSC-7",),
        reason="test",
        storefront="shopify",
        order_ref="5001",
        record=rc.RecordRef(internal_id="CM-1"),
        lines=(rc.StorefrontRefundLine("SCARF", Decimal(1), M("20.00 USD")),),
        shipping=M("10.00 USD"),
        amount=M("30.00 USD"),
    )
    run(storefront.issue_refund(action))
    shop.add_refund(
        "5001", "8100", "20.00", gateway="gift_card", created_at=datetime(2026, 3, 11, tzinfo=UTC)
    )
    first, gift = _all(ShopifyRefundSource(shop_client), at("2026-03-01"))
    assert isinstance(first, rc.RefundEvent)
    assert isinstance(gift, rc.RefundEvent)
    assert first.amount == M("30.00 USD")
    assert first.created_at == datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert first.lines == (rc.RefundLine("52", Decimal(1), M("20.00 USD")),)
    assert first.shipping == M("10.00 USD")
    assert first.order_ref == "5001"
    assert first.payment_ref == shop.order("5001").transactions[0].id
    assert first.tenders == ()
    assert gift.tenders == (rc.TenderPart(rc.TenderKind.GIFT_CARD, M("20.00 USD")),)
    assert gift.key == rc.SourceKey("shopify", "8100")


def test_seeded_events_come_back_as_they_were() -> None:
    """from_events then listing gives back the same refunds (IDs, amounts, times, lines)."""
    events = [
        storefront_refund(
            "r1", "25.00", order_ref="2001", created="2026-03-02", lines=[("L1", 1, "25.00")]
        ),
        storefront_refund("r2", "7.50", order_ref="2002", created="2026-03-03"),
    ]
    clock = FakeClock()
    shop = ShopifyStandIn.from_events(events, access_token="shpat_test_token", clock=clock)
    listed = _all(ShopifyRefundSource(client(shop, clock=clock)), at("2026-03-01"), limit=1)
    assert [(e.key.event_id, e.amount, e.created_at) for e in listed] == [
        (e.key.event_id, e.amount, e.created_at) for e in events
    ]
    assert isinstance(listed[0], rc.RefundEvent)
    assert listed[0].lines == events[0].lines


def test_stand_in_holds_refunds_only() -> None:
    """A failed payment cannot be seeded into the Shopify stand-in."""
    with pytest.raises(rc.InvalidInputError, match="refunds only"):
        ShopifyStandIn.from_events([payment_failure()])


def test_a_foreign_page_token_is_refused() -> None:
    """A page token this source did not hand out is a typed error, not a silent restart."""
    clock = FakeClock()
    source = ShopifyRefundSource(client(standin(clock), clock=clock))
    with pytest.raises(UpstreamRejectedError, match="page token"):
        run(source.list_events(since=at("2026-03-01"), page_token="garbage", limit=2))


def test_orders_with_more_than_fifty_refunds_lose_none() -> None:
    """An order with 60 refunds made in Shopify: all 60 are listed, in order."""
    clock = FakeClock()
    shop = standin(clock)
    shop.add_order(
        "5001", lines=[("51", "JACKET", 1, "60.00")], created_at=datetime(2026, 3, 1, tzinfo=UTC)
    )
    for n in range(60):
        shop.add_refund(
            "5001", f"{8000 + n}", "0.50", created_at=datetime(2026, 3, 2, 0, n, tzinfo=UTC)
        )
    listed = _all(ShopifyRefundSource(client(shop, clock=clock)), at("2026-03-01"), limit=25)
    assert [event.key.event_id for event in listed] == [str(8000 + n) for n in range(60)]


def test_an_order_whose_refunds_cannot_all_be_read_is_an_error() -> None:
    """250 refunds on one order (more than one query returns): a typed error, not a short list."""
    clock = FakeClock()
    shop = standin(clock)
    shop.add_order("5001", lines=[("51", "JACKET", 1, "100.00")])
    for n in range(250):
        shop.add_refund("5001", f"{8000 + n}", "0.10", created_at=shop.order("5001").created_at)
    source = ShopifyRefundSource(client(shop, clock=clock))
    with pytest.raises(IncompleteListError, match="refunds of Shopify order"):
        run(source.list_events(since=at("2026-03-01"), page_token=None, limit=10))


def test_a_refunds_lines_and_transactions_are_read_to_the_last_page() -> None:
    """A refund of 60 lines and 22 transactions (one a gift card) is read whole."""
    clock = FakeClock()
    shop = standin(clock)
    shop.add_order(
        "5001",
        lines=[(f"6{n:03d}", f"SKU-{n}", 1, "1.00") for n in range(60)],
        payments=[("shopify_payments", "1.00")] * 21 + [("gift_card", "39.00")],
    )
    sales = shop.order("5001").transactions
    transactions = [
        {
            "orderId": "gid://shopify/Order/5001",
            "parentId": f"gid://shopify/OrderTransaction/{sale.id}",
            "gateway": sale.gateway,
            "kind": "REFUND",
            "amount": str(sale.amount),
        }
        for sale in sales
    ]
    refund_input = {
        "orderId": "gid://shopify/Order/5001",
        "refundLineItems": [
            {"lineItemId": f"gid://shopify/LineItem/6{n:03d}", "quantity": 1} for n in range(60)
        ],
        "transactions": transactions,
    }
    shop_client = client(shop, clock=clock)
    data = run(
        shop_client.execute(
            REFUND_CREATE,
            {"input": refund_input, "idempotencyKey": "k-big"},
            operation="RefundSyncRefundCreate",
        )
    )
    refund_id = data["refundCreate"]["refund"]["id"]
    event = run(ShopifyRefundSource(shop_client).fetch_event(refund_id))
    assert event is not None
    assert event.amount == M("60.00 USD")
    assert len(event.lines) == 60
    assert event.tenders == (
        rc.TenderPart(rc.TenderKind.PAYMENT_METHOD, M("21.00 USD")),
        rc.TenderPart(rc.TenderKind.GIFT_CARD, M("39.00 USD")),
    )
    operations = [json.loads(r.content)["operationName"] for r in shop.requests]
    assert "RefundSyncRefundLines" in operations
    assert "RefundSyncRefundTransactions" in operations
