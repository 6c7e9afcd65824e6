"""The Shopify storefront: outgoing refunds and store credit against the schema-checked stand-in."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

import refund_core as rc
from refund_adapters._http import RetryPolicy, UpstreamAuthError, UpstreamUnavailableError
from refund_adapters.conformance import run
from refund_adapters.conformance.builders import M
from refund_adapters.shopify import (
    LineNotOnOrderError,
    RestockType,
    ShopifyAdminClient,
    ShopifyOverRefundError,
    ShopifyStandIn,
    ShopifyStorefront,
    ShopifyUserError,
    idempotency_key,
)
from tests.shopify.factories import TOKEN, FakeClock, client, standin

KEY = rc.SourceKey("netsuite", "CM-7")


def _refund(
    external_id: str = "rs-sr-abc123",
    amount: str = "40.00 USD",
    *,
    lines: tuple[rc.StorefrontRefundLine, ...] = (),
    shipping: str | None = None,
    order_ref: str = "5001",
) -> rc.IssueStorefrontRefund:
    currency = amount.split()[1]
    return rc.IssueStorefrontRefund(
        external_id=external_id,
        source=KEY,
        rule_ids=("NSC-7",),
        reason="credit memo made in NetSuite",
        storefront="shopify",
        order_ref=order_ref,
        record=rc.RecordRef(internal_id="CM-7"),
        lines=lines,
        shipping=M(shipping) if shipping is not None else rc.Money.zero(currency),
        amount=M(amount),
    )


def _credit(
    external_id: str = "rs-sc-abc123", amount: str = "20.00 USD", order_ref: str = "5001"
) -> rc.IssueStoreCredit:
    return rc.IssueStoreCredit(
        external_id=external_id,
        source=KEY,
        rule_ids=("NSC-8",),
        reason="gift-card part as store credit",
        storefront="shopify",
        order_ref=order_ref,
        customer_id="C-10",
        amount=M(amount),
    )


def _line(ref: str, quantity: int | None, amount: str) -> rc.StorefrontRefundLine:
    return rc.StorefrontRefundLine(
        ref, Decimal(quantity) if quantity is not None else None, M(amount)
    )


class World:
    """A stand-in shop with order 5001, a client and a storefront, all on one fake clock.

    Order 5001: jacket 60.00, two scarves at 20.00, shipping 10.00; paid 90.00 by card and
    20.00 by gift card; customer 7001.
    """

    def __init__(self, *, store_credit: bool = True, **standin_options: Any) -> None:
        self.clock = FakeClock()
        self.standin: ShopifyStandIn = standin(self.clock, **standin_options)
        self.order = self.standin.add_order(
            "5001",
            lines=[("51", "JACKET", 1, "60.00"), ("52", "SCARF", 2, "20.00")],
            shipping="10.00",
            payments=[("shopify_payments", "90.00"), ("gift_card", "20.00")],
        )
        self.client: ShopifyAdminClient = client(self.standin, clock=self.clock)
        self.storefront = ShopifyStorefront(
            self.client,
            store_credit=store_credit,
            restock_type=RestockType.RETURN,
            location_id="gid://shopify/Location/9",
        )

    def bodies(self, operation: str) -> list[dict[str, Any]]:
        """The JSON bodies of every request the stand-in received for ``operation``."""
        found = []
        for request in self.standin.requests:
            body = json.loads(request.content)
            if body.get("operationName") == operation:
                found.append(body)
        return found


def test_refund_maps_lines_shipping_and_transactions() -> None:
    """A refund names line items by SKU, refunds shipping, and moves money from the card."""
    world = World()
    action = _refund(
        amount="50.00 USD", lines=(_line("SCARF", 2, "40.00 USD"),), shipping="10.00 USD"
    )
    receipt = run(world.storefront.issue_refund(action))
    assert receipt.created
    assert receipt.record_id.startswith("gid://shopify/Refund/")
    (refund,) = world.order.refunds
    assert [(line.line_item_id, line.quantity, line.restock_type) for line in refund.lines] == [
        ("52", 2, "RETURN")
    ]
    assert refund.shipping == Decimal("10.00")
    card_sale = world.order.transactions[0]
    (refund_tx,) = [t for t in world.order.transactions if t.kind == "REFUND"]
    assert (refund_tx.gateway, refund_tx.amount, refund_tx.parent_id) == (
        "shopify_payments",
        Decimal("50.00"),
        card_sale.id,
    )
    (create,) = world.bodies("RefundSyncRefundCreate")
    assert create["variables"]["idempotencyKey"] == idempotency_key(action.external_id)
    assert "@idempotent(key: $idempotencyKey)" in create["query"]
    assert create["variables"]["input"]["refundLineItems"] == [
        {
            "lineItemId": "gid://shopify/LineItem/52",
            "quantity": 2,
            "restockType": "RETURN",
            "locationId": "gid://shopify/Location/9",
        }
    ]
    assert "currency" not in create["variables"]["input"]


def test_lines_may_name_the_line_item_by_id_or_gid() -> None:
    """Order lines are found by numeric ID or GID as well as by SKU; no quantity means all."""
    world = World()
    action = _refund(
        amount="80.00 USD",
        lines=(_line("51", 1, "60.00 USD"), _line("gid://shopify/LineItem/52", None, "20.00 USD")),
    )
    run(world.storefront.issue_refund(action))
    (create,) = world.bodies("RefundSyncRefundCreate")
    items = create["variables"]["input"]["refundLineItems"]
    assert [(i["lineItemId"], i["quantity"]) for i in items] == [
        ("gid://shopify/LineItem/51", 1),
        ("gid://shopify/LineItem/52", 2),
    ]


def test_unknown_line_or_too_many_units_is_refused_before_writing() -> None:
    """A line the order lacks, or more units than refundable, is a typed error; nothing sent."""
    world = World()
    with pytest.raises(LineNotOnOrderError, match="no line item with ID or SKU 'HAT'"):
        run(world.storefront.issue_refund(_refund(lines=(_line("HAT", 1, "40.00 USD"),))))
    with pytest.raises(LineNotOnOrderError, match="asked to refund 3, but 2 of 2"):
        run(world.storefront.issue_refund(_refund(lines=(_line("SCARF", 3, "40.00 USD"),))))
    assert world.bodies("RefundSyncRefundCreate") == []


def test_gift_card_part_becomes_store_credit() -> None:
    """The gift-card part goes to the customer's store credit through refundMethods (NSC-8)."""
    world = World()
    receipt = run(world.storefront.issue_store_credit(_credit()))
    assert receipt.created
    assert world.standin.store_credit_balance("7001", "USD") == Decimal("20.00")
    (create,) = world.bodies("RefundSyncRefundCreate")
    assert create["variables"]["input"]["refundMethods"] == [
        {"storeCreditRefund": {"amount": {"amount": "20.00", "currencyCode": "USD"}}}
    ]
    assert create["variables"]["idempotencyKey"] == idempotency_key("rs-sc-abc123")


def test_store_credit_refused_when_not_configured() -> None:
    """A storefront not configured for store credit refuses to issue it, sending nothing."""
    world = World(store_credit=False)
    assert world.storefront.capabilities.supports_store_credit is False
    with pytest.raises(rc.ConfigurationError):
        run(world.storefront.issue_store_credit(_credit()))
    assert world.standin.requests == []


def test_repeated_refund_creates_one_refund() -> None:
    """The same action twice: one refund; the repeat says it was not created and names it."""
    world = World()
    first = run(world.storefront.issue_refund(_refund()))
    again = run(world.storefront.issue_refund(_refund()))
    assert (first.created, again.created) == (True, False)
    assert again.record_id == first.record_id
    assert len(world.order.refunds) == 1
    assert len(world.bodies("RefundSyncRefundCreate")) == 1


def test_repeated_store_credit_creates_one_credit() -> None:
    """Store credit twice for one external ID is credited once."""
    world = World()
    run(world.storefront.issue_store_credit(_credit()))
    again = run(world.storefront.issue_store_credit(_credit()))
    assert not again.created
    assert world.standin.store_credit_balance("7001", "USD") == Decimal("20.00")


def _lose_first_refund_create(world: World) -> None:
    """Make the stand-in process the first refundCreate, then drop its response."""
    handle = world.standin.handle
    lost = []

    async def losing(request: httpx.Request) -> httpx.Response:
        if b"refundCreate" in request.content and not lost:
            lost.append(request)
            world.standin.lose_response_next()
        return await handle(request)

    world.standin.handle = losing  # type: ignore[method-assign]


def test_lost_response_is_repeated_with_the_same_key() -> None:
    """A refund whose response was lost is sent again with the same key: still one refund."""
    world = World()
    _lose_first_refund_create(world)
    receipt = run(world.storefront.issue_refund(_refund()))
    assert receipt.created
    creates = world.bodies("RefundSyncRefundCreate")
    assert len(creates) == 2
    assert creates[0]["variables"] == creates[1]["variables"]
    (refund,) = world.order.refunds
    assert receipt.record_id == f"gid://shopify/Refund/{refund.id}"


def test_lost_response_then_a_later_call_finds_the_refund() -> None:
    """When retries ran out after a lost response, the next call finds the refund by its key."""
    world = World()
    world.client = client(world.standin, clock=world.clock, policy=RetryPolicy(max_attempts=1))
    world.storefront = ShopifyStorefront(world.client)
    _lose_first_refund_create(world)
    with pytest.raises(UpstreamUnavailableError):
        run(world.storefront.issue_refund(_refund()))
    receipt = run(world.storefront.issue_refund(_refund()))
    assert not receipt.created
    assert len(world.order.refunds) == 1
    assert len(world.bodies("RefundSyncRefundCreate")) == 1


def test_refund_over_what_shopify_suggests_is_refused() -> None:
    """More than Shopify's maximum refundable is refused, naming both amounts; nothing written."""
    world = World()
    with pytest.raises(ShopifyOverRefundError) as caught:
        run(world.storefront.issue_refund(_refund(amount="150.00 USD")))
    assert "150.00 USD" in str(caught.value)
    assert "110.00 USD" in str(caught.value)
    assert isinstance(caught.value, rc.InvalidInputError)
    assert world.bodies("RefundSyncRefundCreate") == []


def test_refund_over_the_suggestion_for_its_lines_is_refused() -> None:
    """Lines worth 20.00 cannot carry a 50.00 refund: the suggestion for those lines is the cap."""
    world = World()
    action = _refund(amount="50.00 USD", lines=(_line("SCARF", 1, "20.00 USD"),))
    with pytest.raises(ShopifyOverRefundError, match=r"50\.00 USD.*20\.00 USD"):
        run(world.storefront.issue_refund(action))
    assert world.order.refunds == []


def test_refund_beyond_the_card_is_refused() -> None:
    """The gift-card 20.00 is not the card's to refund: 100.00 exceeds the card's 90.00."""
    world = World()
    with pytest.raises(ShopifyOverRefundError, match=r"100\.00 USD.*90\.00 USD"):
        run(world.storefront.issue_refund(_refund(amount="100.00 USD")))


def test_user_errors_name_the_field_path() -> None:
    """Shopify's userErrors become a typed error naming the input field path."""
    world = World()
    world.standin.add_order("5002", lines=[("61", "CAP", 1, "15.00")], customer_id=None)
    with pytest.raises(ShopifyUserError) as caught:
        run(world.storefront.issue_store_credit(_credit(amount="5.00 USD", order_ref="5002")))
    (detail,) = caught.value.errors
    assert detail.path == "refundMethods.0.storeCreditRefund"
    assert "customer" in detail.message
    assert "refundMethods.0.storeCreditRefund" in str(caught.value)
    assert isinstance(caught.value, rc.InvalidInputError)


def test_presentment_currency_is_sent_and_used() -> None:
    """An order paid in EUR in a USD shop is refunded in EUR, with the currency named."""
    world = World()
    world.standin.add_order(
        "5003",
        lines=[("71", "BAG", 1, "80.00")],
        presentment_currency="EUR",
        rate="1.10",
    )
    receipt = run(world.storefront.issue_refund(_refund(amount="30.00 EUR", order_ref="5003")))
    assert receipt.created
    create = world.bodies("RefundSyncRefundCreate")[-1]
    assert create["variables"]["input"]["currency"] == "EUR"
    assert create["variables"]["input"]["transactions"][0]["amount"] == "30.00"
    with pytest.raises(rc.CurrencyMismatchError, match="paid in EUR"):
        run(world.storefront.issue_refund(_refund("rs-sr-usd", "5.00 USD", order_ref="5003")))


def test_order_found_by_name() -> None:
    """An order reference that is not an ID is looked up by the order's name."""
    world = World()
    world.standin.add_order("5004", name="#SHOP-300", lines=[("81", "HAT", 1, "25.00")])
    receipt = run(world.storefront.issue_refund(_refund(amount="25.00 USD", order_ref="SHOP-300")))
    assert receipt.created
    assert len(world.standin.order("5004").refunds) == 1


def test_refused_token_is_an_auth_error_and_never_shown() -> None:
    """A wrong access token is an auth error; the token appears in no repr."""
    world = World()
    bad = ShopifyAdminClient(
        shop="test-shop",
        access_token="shpat_wrong_secret",
        client_factory=lambda: httpx.AsyncClient(transport=world.standin.transport()),
        sleep=world.clock.sleep,
        clock=world.clock,
    )
    with pytest.raises(UpstreamAuthError):
        run(ShopifyStorefront(bad).issue_refund(_refund()))
    assert "shpat" not in repr(bad)
    assert TOKEN not in repr(world.storefront)


def test_works_over_a_real_loopback_server() -> None:
    """The whole refund, its repeat and store credit work over real HTTP on 127.0.0.1."""
    world = World()
    with world.standin.serve() as server:
        over_http = client(world.standin, clock=world.clock, base_url=server.base_url)
        storefront = ShopifyStorefront(over_http, store_credit=True)

        async def scenario() -> tuple[rc.WriteReceipt, rc.WriteReceipt, rc.WriteReceipt]:
            try:
                first = await storefront.issue_refund(_refund())
                again = await storefront.issue_refund(_refund())
                credit = await storefront.issue_store_credit(_credit())
                return first, again, credit
            finally:
                await over_http.aclose()

        first, again, credit = run(scenario())
    assert (first.created, again.created, credit.created) == (True, False, True)
    assert len(world.order.refunds) == 2
