"""The Shopify storefront: outgoing refunds and store credit against the schema-checked stand-in."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

import refund_core as rc
from refund_adapters._http import (
    RetryPolicy,
    UpstreamAuthError,
    UpstreamNotFoundError,
    UpstreamRejectedError,
    UpstreamUnavailableError,
)
from refund_adapters.conformance import run
from refund_adapters.conformance.builders import M, at
from refund_adapters.shopify import (
    MAX_ATTEMPTS,
    IncompleteListError,
    LineNotOnOrderError,
    RestockType,
    ShopifyAdminClient,
    ShopifyOverRefundError,
    ShopifyStandIn,
    ShopifyStorefront,
    ShopifyUserError,
    idempotency_key,
)
from refund_adapters.shopify._queries import REFUND_CREATE
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


def test_a_numeric_reference_falls_back_to_the_order_name() -> None:
    """Digits that are no order's ID are looked up as the order's name (#1001)."""
    world = World()
    world.standin.add_order("820001", name="#1001", lines=[("91", "BELT", 1, "30.00")])
    receipt = run(world.storefront.issue_refund(_refund(amount="30.00 USD", order_ref="1001")))
    assert receipt.created
    assert len(world.standin.order("820001").refunds) == 1
    assert [b["operationName"] for b in map(json.loads, _contents(world))][:2] == [
        "RefundSyncOrder",
        "RefundSyncOrderByName",
    ]
    with pytest.raises(UpstreamNotFoundError, match="no order named #4242"):
        run(world.storefront.load_order("4242"))
    with pytest.raises(UpstreamNotFoundError, match="Order/1001 not found"):
        run(world.storefront.load_order("gid://shopify/Order/1001"))


def _contents(world: World) -> list[bytes]:
    return [request.content for request in world.standin.requests]


def _many_refunds(world: World, count: int) -> list[str]:
    """Seed ``count`` refunds of 0.10 on order 5001's card; return their IDs."""
    moment = world.order.created_at
    return [
        world.standin.add_refund("5001", f"77{n:04d}", "0.10", created_at=moment).id
        for n in range(count)
    ]


def test_a_marker_beyond_the_first_fifty_refunds_is_found() -> None:
    """An order with 60 refunds: the one carrying this action's key is found, none is added."""
    world = World()
    ids = _many_refunds(world, 60)
    world.standin.order("5001").refunds[55].note = f"{idempotency_key('rs-sr-abc123')} CM-7"
    receipt = run(world.storefront.issue_refund(_refund(amount="10.00 USD")))
    assert (receipt.created, receipt.record_id) == (False, f"gid://shopify/Refund/{ids[55]}")
    assert len(world.order.refunds) == 60
    assert world.bodies("RefundSyncOrderRefunds")


def test_refunds_that_cannot_all_be_read_stop_the_write() -> None:
    """250 refunds (the most one query returns): the refund is refused, nothing is written."""
    world = World()
    _many_refunds(world, 250)
    with pytest.raises(IncompleteListError, match="refunds of Shopify order #5001") as caught:
        run(world.storefront.issue_refund(_refund(amount="10.00 USD")))
    assert isinstance(caught.value, rc.InvalidInputError)
    assert world.bodies("RefundSyncRefundCreate") == []
    assert len(world.order.refunds) == 250


def test_transactions_beyond_the_first_fifty_can_carry_the_refund() -> None:
    """An order paid in 60 card captures of 1.00: a 55.00 refund spreads over 55 of them."""
    world = World()
    world.standin.add_order(
        "5005",
        lines=[("95", "BOX", 60, "1.00")],
        payments=[("shopify_payments", "1.00")] * 60,
    )
    receipt = run(world.storefront.issue_refund(_refund(amount="55.00 USD", order_ref="5005")))
    assert receipt.created
    create = world.bodies("RefundSyncRefundCreate")[-1]
    assert len(create["variables"]["input"]["transactions"]) == 55
    refunded = [t for t in world.standin.order("5005").transactions if t.kind == "REFUND"]
    assert sum((t.amount for t in refunded), Decimal(0)) == Decimal("55.00")


def test_line_items_beyond_the_first_page_are_found() -> None:
    """An order with 120 lines: a refund of the 115th line finds it on the second page."""
    world = World()
    world.standin.add_order(
        "5006", lines=[(f"6{n:03d}", f"SKU-{n}", 1, "2.00") for n in range(120)]
    )
    action = _refund(amount="2.00 USD", order_ref="5006", lines=(_line("SKU-115", 1, "2.00 USD"),))
    assert run(world.storefront.issue_refund(action)).created
    (refund,) = world.standin.order("5006").refunds
    assert [line.line_item_id for line in refund.lines] == ["6115"]
    assert world.bodies("RefundSyncOrderLineItems")


def test_a_key_burned_by_a_failed_attempt_is_followed_by_the_next() -> None:
    """IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED: re-read, then the next derived key; one refund."""
    world = World()
    world.standin.fail_refund_attempt_next()
    with pytest.raises(UpstreamUnavailableError, match="INTERNAL_SERVER_ERROR"):
        run(world.storefront.issue_refund(_refund()))
    assert world.order.refunds == []
    receipt = run(world.storefront.issue_refund(_refund()))
    assert receipt.created
    (refund,) = world.order.refunds
    assert refund.note is not None
    assert (
        refund.note.split()[0] == idempotency_key("rs-sr-abc123", 2) == "refund-sync:rs-sr-abc123#2"
    )
    keys = [b["variables"]["idempotencyKey"] for b in world.bodies("RefundSyncRefundCreate")]
    assert keys == [idempotency_key("rs-sr-abc123")] * 2 + [idempotency_key("rs-sr-abc123", 2)]
    again = run(world.storefront.issue_refund(_refund()))
    assert (again.created, again.record_id) == (False, receipt.record_id)
    assert len(world.order.refunds) == 1
    assert world.standin.write_count() == 1


def test_every_key_burned_stops_with_an_error_and_no_refund() -> None:
    """When all the attempts' keys failed, the action stops, naming them; nothing is written."""
    world = World()
    world.standin.fail_refund_attempt_next(MAX_ATTEMPTS)
    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(UpstreamUnavailableError):
            run(world.storefront.issue_refund(_refund()))
    with pytest.raises(UpstreamRejectedError, match=r"all 5 keys .*#5") as caught:
        run(world.storefront.issue_refund(_refund()))
    assert caught.value.code == "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"
    assert world.order.refunds == []


def test_attempt_keys_are_derived_and_bounded() -> None:
    """Attempt keys are deterministic, at most 200 characters, and only 1 to MAX_ATTEMPTS."""
    fits, longer = "x" * 186, "x" * 187
    hashed = "refund-sync:" + hashlib.sha256(longer.encode()).hexdigest()
    assert idempotency_key(fits, 3) == f"refund-sync:{fits}#3"
    assert len(idempotency_key(fits, 3)) == 200
    assert idempotency_key(longer) == f"refund-sync:{longer}"
    assert idempotency_key(longer, 3) == f"{hashed}#3"
    assert idempotency_key("x" * 300) == hashed.replace(
        hashlib.sha256(longer.encode()).hexdigest(), hashlib.sha256(b"x" * 300).hexdigest()
    )
    with pytest.raises(rc.InvalidInputError):
        idempotency_key("rs-1", MAX_ATTEMPTS + 1)
    with pytest.raises(rc.InvalidInputError):
        idempotency_key("rs-1", 0)


def test_store_credit_in_the_presentment_currency_names_it() -> None:
    """Store credit on an order paid in EUR in a USD shop: currency EUR, EUR account credited."""
    world = World()
    world.standin.add_order(
        "5007", lines=[("97", "BAG", 1, "80.00")], presentment_currency="EUR", rate="1.10"
    )
    receipt = run(
        world.storefront.issue_store_credit(_credit(amount="15.00 EUR", order_ref="5007"))
    )
    assert receipt.created
    create = world.bodies("RefundSyncRefundCreate")[-1]["variables"]["input"]
    assert create["currency"] == "EUR"
    assert create["refundMethods"][0]["storeCreditRefund"]["amount"] == {
        "amount": "15.00",
        "currencyCode": "EUR",
    }
    assert world.standin.store_credit_balance("7001", "EUR") == Decimal("15.00")
    assert world.standin.store_credit_balance("7001", "USD") == Decimal(0)
    with pytest.raises(rc.CurrencyMismatchError):
        run(world.storefront.issue_store_credit(_credit("rs-sc-usd", "5.00 USD", "5007")))


def test_the_stand_in_requires_the_currency_when_presentment_differs() -> None:
    """Like Shopify, a refund of a EUR order in a USD shop without `currency` is refused."""
    world = World()
    world.standin.add_order("5008", lines=[("98", "CAP", 1, "20.00")], presentment_currency="EUR")
    variables = {"input": {"orderId": "gid://shopify/Order/5008"}, "idempotencyKey": "k-eur"}
    data = run(world.client.execute(REFUND_CREATE, variables, operation="RefundSyncRefundCreate"))
    (problem,) = data["refundCreate"]["userErrors"]
    assert problem["field"] == ["currency"]
    assert world.standin.order("5008").refunds == []


def test_store_credit_needs_new_customer_accounts() -> None:
    """A shop without new customer accounts refuses store credit refunds (NSC-8)."""
    world = World(store_credit=True)
    world.standin.add_shop("legacy-shop", "shpat_legacy", store_credit=False)
    legacy = ShopifyStorefront(
        ShopifyAdminClient(
            shop="legacy-shop",
            access_token="shpat_legacy",
            http_client=httpx.AsyncClient(transport=world.standin.transport()),
            sleep=world.clock.sleep,
            clock=world.clock,
        ),
        store_credit=True,
    )
    world.standin.add_order("5009", lines=[("99", "HAT", 1, "20.00")], shop="legacy-shop")
    with pytest.raises(ShopifyUserError, match="new customer accounts"):
        run(legacy.issue_store_credit(_credit(amount="5.00 USD", order_ref="5009")))


def test_the_demo_credit_memo_reaches_shopify_with_its_gift_card_part_as_store_credit() -> None:
    """80.00 card + 20.00 gift card; a 40.00 credit memo: 32.00 to the card, 8.00 store credit."""
    world = World()
    shop = world.standin
    order = shop.add_order(
        "6001",
        lines=[("11001", "JACKET", 1, "60.00"), ("11002", "SCARF", 1, "40.00")],
        payments=[("shopify_payments", "80.00"), ("gift_card", "20.00")],
        customer_id="7001",
    )
    lines = (
        rc.TransactionLine("1", "JACKET", Decimal(1), M("60.00 USD"), order_line_ref="11001"),
        rc.TransactionLine("2", "SCARF", Decimal(1), M("40.00 USD"), order_line_ref="11002"),
    )
    tenders = (
        rc.TenderPart(rc.TenderKind.PAYMENT_METHOD, M("80.00 USD")),
        rc.TenderPart(rc.TenderKind.GIFT_CARD, M("20.00 USD")),
    )
    credit_line = rc.CreditLine(
        "SCARF", M("40.00 USD"), quantity=Decimal(1), origin_line_id="2", order_line_ref="11002"
    )
    ledger = rc.LedgerSnapshot(
        sales_orders=(rc.SalesOrder("SO-300", "C-10", "6001", lines=lines, tenders=tenders),),
        invoices=(rc.Invoice("INV-300", "C-10", at("2026-02-20"), lines, order_id="SO-300"),),
        credit_memos=(
            rc.CreditMemo(
                "CM-300", "C-10", "INV-300", M("40.00 USD"), (credit_line,), order_id="SO-300"
            ),
        ),
    )
    with shop.serve() as server:
        storefront = ShopifyStorefront(
            client(shop, clock=world.clock, base_url=server.base_url), store_credit=True
        )
        plan = rc.decide_outgoing_refund(
            "CM-300",
            ledger,
            rc.RefundSettings(gift_card_as_store_credit=True),
            storefront.capabilities,
        )
        assert isinstance(plan, rc.Plan)
        writes = [
            a for a in plan.actions if isinstance(a, rc.IssueStorefrontRefund | rc.IssueStoreCredit)
        ]

        async def apply() -> list[rc.WriteReceipt]:
            receipts = []
            for action in writes:
                if isinstance(action, rc.IssueStoreCredit):
                    receipts.append(await storefront.issue_store_credit(action))
                else:
                    receipts.append(await storefront.issue_refund(action))
            return receipts

        first = run(apply())
        again = run(apply())
    assert [r.created for r in first] == [True, True]
    assert [r.created for r in again] == [False, False]
    assert [r.record_id for r in again] == [r.record_id for r in first]
    card, gift = order.transactions[:2]
    refunds = [t for t in order.transactions if t.kind == "REFUND"]
    assert [(t.parent_id, t.amount) for t in refunds] == [(card.id, Decimal("32.00"))]
    assert gift.gateway == "gift_card"
    assert shop.store_credit_balance("7001", "USD") == Decimal("8.00")
    assert [line.line_item_id for line in shop.refunds("6001")[0].lines] == ["11002"]
    assert order.refunded() == Decimal("40.00")
    assert shop.write_count() == 2
