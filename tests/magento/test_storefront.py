"""The Magento storefront adapter against the stand-in: credit memos as NetSuite asked, once."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import refund_core as rc
from refund_adapters._http import (
    UpstreamAuthError,
    UpstreamNotFoundError,
    UpstreamRejectedError,
    UpstreamUnavailableError,
)
from refund_adapters.magento import (
    BearerToken,
    MagentoStandIn,
    MagentoStorefront,
    RefundLineError,
    SeedItem,
    StoreCreditUnsupportedError,
    integration_auth,
    marker_for,
)
from refund_adapters.magento._wire import dumps, loads
from tests.builders import M
from tests.contracts._run import run
from tests.magento.factories import CREDENTIALS, TOKEN, Sleeps, new_standin, storefront_over

KEY = rc.SourceKey("netsuite", "CM-9")


def refund(
    *lines: rc.StorefrontRefundLine,
    amount: str,
    shipping: str = "0.00",
    order_ref: str = "000000123",
    external_id: str = "rs-sr-cm9",
) -> rc.IssueStorefrontRefund:
    """An outgoing refund of order ``order_ref`` in USD."""
    return rc.IssueStorefrontRefund(
        external_id=external_id,
        source=KEY,
        rule_ids=("NSC-7",),
        reason="credit memo CM-9 made in NetSuite",
        storefront="magento",
        order_ref=order_ref,
        record=rc.RecordRef(internal_id="CM-9"),
        lines=lines,
        shipping=M(f"{shipping} USD"),
        amount=M(f"{amount} USD"),
    )


def line(ref: str, qty: int | None, amount: str) -> rc.StorefrontRefundLine:
    """A refund line naming an order item by ID or SKU."""
    return rc.StorefrontRefundLine(ref, None if qty is None else Decimal(qty), M(f"{amount} USD"))


def shop(payment_method: str = "checkmo") -> MagentoStandIn:
    """Order 000000123: 2 x SKU-RED at 19.99, 1 x SKU-BLUE at 5.00, 7.50 shipping."""
    standin = new_standin()
    standin.add_order(
        "000000123",
        [SeedItem("SKU-RED", "19.99", qty=2), SeedItem("SKU-BLUE", "5.00")],
        shipping="7.50",
        payment_method=payment_method,
    )
    return standin


def posts(standin: MagentoStandIn) -> list[httpx.Request]:
    """The refund POSTs the stand-in received."""
    return [r for r in standin.requests if r.method == "POST"]


class OnFirstPost(httpx.AsyncBaseTransport):
    """Wraps the stand-in's transport and scripts a fault just before the first refund POST."""

    def __init__(self, standin: MagentoStandIn, fault: str) -> None:
        self._standin = standin
        self._inner = standin.transport()
        self._fault = fault
        self._armed = True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Arm the fault on the first POST, then let the stand-in answer."""
        if request.method == "POST" and self._armed:
            self._armed = False
            if self._fault == "lose":
                self._standin.lose_response_next()
            else:
                self._standin.fail_next(int(self._fault), json_body={"message": "Internal Error."})
        return await self._inner.handle_async_request(request)


# -- offline, online, lines, shipping, adjustments ---------------------------------------------


def test_offline_refund_creates_the_credit_memo_netsuite_asked_for() -> None:
    """NSC-7: an offline refund of one line plus shipping is one credit memo of exactly that."""
    standin = shop()
    adapter = storefront_over(standin)
    receipt = run(
        adapter.issue_refund(refund(line("SKU-RED", 1, "19.99"), amount="27.49", shipping="7.50"))
    )
    (memo,) = standin.memos_of("000000123")
    assert receipt == rc.WriteReceipt("rs-sr-cm9", str(memo.entity_id), created=True)
    assert [(item.sku, qty) for item, qty in memo.items] == [("SKU-RED", Decimal(1))]
    assert memo.shipping_amount == Decimal("7.50")
    assert memo.grand_total == Decimal("27.49")
    assert (memo.adjustment_positive, memo.adjustment_negative) == (Decimal(0), Decimal(0))
    assert memo.comments[0].splitlines()[0] == marker_for("rs-sr-cm9")
    (post,) = posts(standin)
    assert post.url.path == f"/rest/all/V1/order/{memo.order_id}/refund"


def test_online_refund_goes_through_the_invoice_with_is_online() -> None:
    """An order paid online is refunded through its invoice, so the gateway returns the money."""
    standin = shop(payment_method="stripe_payments")
    run(storefront_over(standin).issue_refund(refund(line("SKU-BLUE", 1, "5.00"), amount="5.00")))
    (memo,) = standin.memos_of("000000123")
    invoice_id = standin.invoice_of("000000123")
    assert memo.invoice_id == invoice_id
    (post,) = posts(standin)
    assert post.url.path == f"/rest/all/V1/invoice/{invoice_id}/refund"
    assert standin.exchanges[-1].request_body["isOnline"] is True
    assert standin.order_by_increment_id("000000123").total_online_refunded == Decimal("5.00")


def test_line_named_by_item_id_and_quantity_two() -> None:
    """A line may name the Magento order item ID; quantities pass through as numbers."""
    standin = shop()
    order = standin.order_by_increment_id("000000123")
    red = order.items[0]
    run(
        storefront_over(standin).issue_refund(
            refund(line(str(red.item_id), 2, "39.98"), amount="39.98")
        )
    )
    assert red.qty_refunded == 2
    assert standin.exchanges[-1].request_body["items"] == [{"order_item_id": red.item_id, "qty": 2}]


def test_amount_without_quantity_becomes_an_adjustment_refund() -> None:
    """A line without quantity refunds money only: qty 0 items plus adjustment_positive."""
    standin = shop()
    run(storefront_over(standin).issue_refund(refund(line("SKU-RED", None, "3.00"), amount="3.00")))
    (memo,) = standin.memos_of("000000123")
    assert memo.adjustment_positive == Decimal("3.00")
    assert memo.grand_total == Decimal("3.00")
    body = standin.exchanges[-1].request_body
    # Never an empty list: Magento would refund every item in full.
    assert body["items"]
    assert all(item["qty"] == 0 for item in body["items"])
    assert body["arguments"]["shipping_amount"] == 0


def test_gift_card_part_kept_back_becomes_an_adjustment_fee() -> None:
    """NSC-8: when the payment part is below the lines, the rest is adjustment_negative."""
    standin = shop()
    action = refund(line("SKU-RED", 2, "39.98"), amount="30.00")
    run(storefront_over(standin).issue_refund(action))
    (memo,) = standin.memos_of("000000123")
    assert memo.adjustment_negative == Decimal("9.98")
    assert memo.grand_total == Decimal("30.00")


def test_return_to_stock_names_the_refunded_items() -> None:
    """With return_to_stock, the refunded order items go back to stock."""
    standin = shop()
    red = standin.order_by_increment_id("000000123").items[0]
    adapter = storefront_over(standin, return_to_stock=True)
    run(adapter.issue_refund(refund(line("SKU-RED", 1, "19.99"), amount="19.99")))
    body = standin.exchanges[-1].request_body
    assert body["arguments"]["extension_attributes"] == {"return_to_stock_items": [red.item_id]}
    assert standin.returned_to_stock == [red.item_id]


def test_money_is_exact_decimal_on_the_wire() -> None:
    """MNY-1: 19.99 travels as the JSON number 19.99 and comes back as Decimal('19.99')."""
    standin = shop()
    run(storefront_over(standin).issue_refund(refund(line("SKU-RED", 1, "19.99"), amount="19.99")))
    (post,) = posts(standin)
    assert b'"adjustment_positive": 0' in post.content
    (memo,) = standin.memos_of("000000123")
    assert memo.grand_total == Decimal("19.99")
    order = standin.order_by_increment_id("000000123")
    assert order.total_refunded == Decimal("19.99")
    assert isinstance(order.items[0].amount_refunded, Decimal)


# -- once and only once ------------------------------------------------------------------------


def test_lost_response_then_retry_creates_no_second_credit_memo() -> None:
    """A refund whose response was lost is found by its marker; no second credit memo."""
    standin = shop()
    sleeps = Sleeps()
    adapter = storefront_over(standin, transport=OnFirstPost(standin, "lose"), sleep=sleeps)
    receipt = run(adapter.issue_refund(refund(line("SKU-RED", 1, "19.99"), amount="19.99")))
    (memo,) = standin.memos_of("000000123")
    assert receipt.record_id == str(memo.entity_id)
    assert receipt.created  # this call made it, even though it never heard the answer
    assert len(posts(standin)) == 1
    again = run(adapter.issue_refund(refund(line("SKU-RED", 1, "19.99"), amount="19.99")))
    assert again == rc.WriteReceipt("rs-sr-cm9", str(memo.entity_id), created=False)
    assert len(standin.memos_of("000000123")) == 1
    assert len(posts(standin)) == 1


def test_server_error_is_looked_up_and_left_to_a_later_run_that_makes_one_memo() -> None:
    """A 500 on the POST: a lookup, no resend, an unavailable error; the next run makes one memo."""
    standin = shop()
    sleeps = Sleeps()
    adapter = storefront_over(standin, transport=OnFirstPost(standin, "500"), sleep=sleeps)
    with pytest.raises(UpstreamUnavailableError, match="none was made"):
        run(adapter.issue_refund(refund(line("SKU-RED", 1, "19.99"), amount="19.99")))
    assert standin.memos_of("000000123") == []
    assert len(posts(standin)) == 1
    assert sleeps.waits == []  # nothing is repeated on a timer
    receipt = run(adapter.issue_refund(refund(line("SKU-RED", 1, "19.99"), amount="19.99")))
    assert receipt.created
    assert len(standin.memos_of("000000123")) == 1
    assert len(posts(standin)) == 2


def test_post_is_never_sent_without_a_lookup_first() -> None:
    """Every refund POST, the one after a failure included, follows a search of the memos."""
    standin = shop()
    adapter = storefront_over(standin, transport=OnFirstPost(standin, "503"))
    with pytest.raises(UpstreamUnavailableError):
        run(adapter.issue_refund(refund(line("SKU-RED", 1, "19.99"), amount="19.99")))
    run(adapter.issue_refund(refund(line("SKU-RED", 1, "19.99"), amount="19.99")))
    paths = [r.url.path.rsplit("/V1/", 1)[1] for r in standin.requests]
    refunds = [index for index, path in enumerate(paths) if path.endswith("/refund")]
    assert len(refunds) == 2
    for index in refunds:
        assert paths[index - 1] == "creditmemos"


def test_unconfirmed_refund_is_reported_as_unavailable() -> None:
    """When the POST fails and no marked credit memo appears, the engine is told to retry later."""
    standin = shop()

    refused: list[httpx.Request] = []

    class AlwaysDown(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            """Refund POSTs fail with 503; reads reach the stand-in."""
            if request.method == "POST":
                refused.append(request)
                return httpx.Response(503, json={"message": "Service Unavailable"})
            return await standin.transport().handle_async_request(request)

    adapter = storefront_over(standin, transport=AlwaysDown())
    with pytest.raises(UpstreamUnavailableError, match="was not confirmed") as caught:
        run(adapter.issue_refund(refund(line("SKU-RED", 1, "19.99"), amount="19.99")))
    assert caught.value.status == 503
    assert standin.memos_of("000000123") == []
    assert len(refused) == 1


def test_a_refund_post_refused_unprocessed_is_sent_again_after_the_backoff() -> None:
    """A 429 on the POST (Magento ran nothing) is the one case send() repeats it: one memo."""
    standin = shop()
    sleeps = Sleeps()
    adapter = storefront_over(standin, transport=OnFirstPost(standin, "429"), sleep=sleeps)
    receipt = run(adapter.issue_refund(refund(line("SKU-RED", 1, "19.99"), amount="19.99")))
    assert receipt.created
    assert len(posts(standin)) == 2
    assert len(sleeps.waits) == 1
    assert len(standin.memos_of("000000123")) == 1


def test_read_errors_are_retried_with_backoff() -> None:
    """A 503 on a read is retried by send() after an injected backoff."""
    standin = shop()
    sleeps = Sleeps()
    standin.fail_next(503, json_body={"message": "Service Unavailable"})
    adapter = storefront_over(standin, sleep=sleeps)
    receipt = run(adapter.issue_refund(refund(line("SKU-RED", 1, "19.99"), amount="19.99")))
    assert receipt.created
    assert len(sleeps.waits) == 1


def test_distinct_external_ids_are_distinct_credit_memos() -> None:
    """IDM-1: two partial refunds of one order are two credit memos, each found by its own mark."""
    standin = shop()
    adapter = storefront_over(standin)
    first = run(adapter.issue_refund(refund(line("SKU-RED", 1, "19.99"), amount="19.99")))
    second = run(
        adapter.issue_refund(
            refund(line("SKU-RED", 1, "19.99"), amount="19.99", external_id="rs-sr-cm9-2")
        )
    )
    assert first.record_id != second.record_id
    assert len(standin.memos_of("000000123")) == 2


# -- refusals ----------------------------------------------------------------------------------


def test_quantity_over_refund_names_the_item() -> None:
    """Refunding more than invoiced-minus-refunded is refused before any write, naming the SKU."""
    standin = shop()
    with pytest.raises(RefundLineError, match=r"SKU-RED .*cannot refund 3, only 2"):
        run(
            storefront_over(standin).issue_refund(
                refund(line("SKU-RED", 3, "59.97"), amount="59.97")
            )
        )
    assert posts(standin) == []


def test_magento_over_refund_message_is_rendered_into_a_typed_error() -> None:
    """Magento's '%1' message comes back filled in, as a rejected write (dead-lettered)."""
    standin = shop()
    adapter = storefront_over(standin)
    with pytest.raises(UpstreamRejectedError, match=r"most money available to refund is 52\.48"):
        run(adapter.issue_refund(refund(line("SKU-RED", 2, "39.98"), amount="60.00")))
    assert standin.memos_of("000000123") == []


def test_unknown_line_and_unknown_order_are_typed_errors() -> None:
    """A line naming nothing on the order, or an unknown order number, is a clear error."""
    standin = shop()
    adapter = storefront_over(standin)
    with pytest.raises(RefundLineError, match=r"lines\[0\]: order 000000123 has no item .*SKU-X"):
        run(adapter.issue_refund(refund(line("SKU-X", 1, "1.00"), amount="1.00")))
    with pytest.raises(UpstreamNotFoundError, match="no order with increment ID '999'"):
        run(adapter.issue_refund(refund(amount="1.00", order_ref="999")))


def test_currency_other_than_the_order_is_refused() -> None:
    """MNY-2: a refund in another currency than the order's is refused before any write."""
    standin = new_standin()
    standin.add_order("000000200", [SeedItem("SKU-E", "10.00")], shipping="1.00", currency="EUR")
    with pytest.raises(RefundLineError, match="in EUR, the refund rs-sr-cm9 in USD"):
        run(storefront_over(standin).issue_refund(refund(amount="1.00", order_ref="000000200")))


def test_store_credit_is_refused_and_never_declared() -> None:
    """NSC-8: Magento has no REST store credit; the adapter says so and declares none."""
    adapter = storefront_over(shop())
    assert adapter.capabilities.supports_store_credit is False
    assert adapter.capabilities.kind is rc.StorefrontKind.CART
    credit = rc.IssueStoreCredit(
        external_id="rs-sc-1",
        source=KEY,
        rule_ids=("NSC-8",),
        reason="gift card",
        storefront="magento",
        order_ref="000000123",
        customer_id="C-1",
        amount=M("5.00 USD"),
    )
    with pytest.raises(StoreCreditUnsupportedError, match=r"5\.00 USD store credit .*\(NSC-8\)"):
        run(adapter.issue_store_credit(credit))
    with pytest.raises(rc.ConfigurationError, match="store credit"):
        storefront_over(
            shop(),
            capabilities=rc.StorefrontCapabilities("magento", "cart", supports_store_credit=True),
        )


def test_amount_only_refund_after_shipping_is_refunded_is_refused_early() -> None:
    """Magento refuses a credit memo without quantities once shipping is gone; we say so first."""
    standin = new_standin()
    standin.add_order("000000300", [SeedItem("SKU-N", "10.00")])
    with pytest.raises(RefundLineError, match="names no quantity"):
        run(storefront_over(standin).issue_refund(refund(amount="2.00", order_ref="000000300")))
    assert posts(standin) == []


# -- auth, transports, loops -------------------------------------------------------------------


def test_bad_bearer_token_is_an_auth_error_without_the_token() -> None:
    """A refused token stops the run (PermissionError) and never appears in messages or reprs."""
    standin = shop()
    adapter = storefront_over(standin, auth=BearerToken("wrong-token-abc"))
    with pytest.raises(UpstreamAuthError, match="Magento_Sales::sales") as caught:
        run(adapter.issue_refund(refund(amount="1.00")))
    assert "wrong-token-abc" not in str(caught.value)
    assert TOKEN not in repr(BearerToken(TOKEN))
    assert TOKEN not in repr(storefront_over(standin))


def test_oauth1_integration_signing_is_accepted() -> None:
    """OAuth 1.0a HMAC-SHA256 signing with the integration's credentials is accepted."""
    standin = shop()
    auth = integration_auth(
        consumer_key=CREDENTIALS.consumer_key,
        consumer_secret=CREDENTIALS.consumer_secret,
        access_token=CREDENTIALS.token,
        access_token_secret=CREDENTIALS.token_secret,
    )
    receipt = run(
        storefront_over(standin, auth=auth).issue_refund(
            refund(line("SKU-BLUE", 1, "5.00"), amount="5.00")
        )
    )
    assert receipt.created
    assert all(r.headers["authorization"].startswith("OAuth ") for r in standin.requests)
    assert 'oauth_signature_method="HMAC-SHA256"' in standin.requests[0].headers["authorization"]


def test_oauth1_bad_signature_is_rejected() -> None:
    """A request signed with the wrong consumer secret is refused with a 401."""
    standin = shop()
    auth = integration_auth(
        consumer_key=CREDENTIALS.consumer_key,
        consumer_secret="not-the-secret",
        access_token=CREDENTIALS.token,
        access_token_secret=CREDENTIALS.token_secret,
    )
    with pytest.raises(UpstreamAuthError):
        run(storefront_over(standin, auth=auth).issue_refund(refund(amount="1.00")))
    assert standin.memos_of("000000123") == []


def test_works_across_event_loops_and_over_a_real_loopback_server() -> None:
    """Over real HTTP on 127.0.0.1 with OAuth 1.0a, across two asyncio.run calls."""
    standin = shop()
    auth = integration_auth(
        consumer_key=CREDENTIALS.consumer_key,
        consumer_secret=CREDENTIALS.consumer_secret,
        access_token=CREDENTIALS.token,
        access_token_secret=CREDENTIALS.token_secret,
    )
    with standin.serve() as server:
        adapter = MagentoStorefront(base_url=server.base_url, auth=auth, sleep=Sleeps())
        first = asyncio.run(
            adapter.issue_refund(refund(line("SKU-RED", 1, "19.99"), amount="19.99"))
        )
        again = asyncio.run(
            adapter.issue_refund(refund(line("SKU-RED", 1, "19.99"), amount="19.99"))
        )
    assert first.created
    assert not again.created
    assert again.record_id == first.record_id
    assert len(standin.memos_of("000000123")) == 1


@given(
    price=st.integers(1, 10_000),
    qty=st.integers(1, 5),
    tax=st.integers(0, 500),
    discount=st.integers(0, 100),
    shipping=st.integers(0, 1_000),
    data=st.data(),
)
@settings(max_examples=40, deadline=None)
def test_credit_memo_total_is_exactly_the_refund_amount(
    *, price: int, qty: int, tax: int, discount: int, shipping: int, data: st.DataObject
) -> None:
    """MNY-3: whatever the quantities, tax, discount and shipping, Magento refunds the amount."""
    standin = new_standin()
    cents = Decimal("0.01")
    standin.add_order(
        "000000777",
        [
            SeedItem(
                "SKU-P",
                Decimal(price) * cents,
                qty=qty,
                tax_amount=Decimal(tax) * cents,
                discount_amount=Decimal(min(discount, price * qty - 1)) * cents,
            )
        ],
        shipping=Decimal(shipping) * cents,
    )
    refund_qty = data.draw(st.integers(0 if shipping else 1, qty), label="refund_qty")
    paid = standin.order_by_increment_id("000000777").total_paid
    ship = data.draw(st.integers(0, shipping), label="shipping_refund") * cents
    amount = data.draw(st.integers(1, int(paid / cents)), label="amount") * cents
    lines = (line("SKU-P", refund_qty, "0.00"),) if refund_qty else ()
    action = refund(*lines, amount=str(amount), shipping=str(ship), order_ref="000000777")
    run(storefront_over(standin).issue_refund(action))
    (memo,) = standin.memos_of("000000777")
    assert memo.grand_total == amount


def test_concurrent_calls_share_one_client_and_write_once_per_external_id() -> None:
    """Two concurrent calls with one external ID make one credit memo; over loopback, no leaks."""
    standin = shop()
    with standin.serve() as server:
        adapter = MagentoStorefront(base_url=server.base_url, auth=BearerToken(TOKEN))
        action = refund(line("SKU-RED", 1, "19.99"), amount="19.99")

        async def both() -> list[rc.WriteReceipt]:
            return list(
                await asyncio.gather(adapter.issue_refund(action), adapter.issue_refund(action))
            )

        receipts = asyncio.run(both())
    assert sorted(r.created for r in receipts) == [False, True]
    assert receipts[0].record_id == receipts[1].record_id
    assert len(standin.memos_of("000000123")) == 1


def test_marker_is_found_when_the_listing_leaves_comments_out() -> None:
    """If the credit memo listing has no comments, each memo's comments are read on their own."""
    standin = shop()
    first = run(
        storefront_over(standin).issue_refund(refund(line("SKU-RED", 1, "19.99"), amount="19.99"))
    )

    class NoComments(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            """Strip ``comments`` from credit memo listings, as a trimmed listing would."""
            response = await standin.transport().handle_async_request(request)
            if not request.url.path.endswith("/creditmemos"):
                return response
            body = loads(response.content)
            for item in body["items"]:
                item.pop("comments", None)
            return httpx.Response(200, content=dumps(body).encode(), request=request)

    adapter = storefront_over(standin, transport=NoComments())
    again = run(adapter.issue_refund(refund(line("SKU-RED", 1, "19.99"), amount="19.99")))
    assert again == rc.WriteReceipt(first.external_id, first.record_id, created=False)
    assert any(r.url.path.endswith("/comments") for r in standin.requests)


def test_nothing_to_return_to_the_payment_method_is_refused() -> None:
    """NSC-8: a refund paid wholly by gift card leaves 0.00 for Magento, which it cannot make."""
    standin = shop()
    with pytest.raises(RefundLineError, match=r"0\.00 USD to the payment method"):
        run(
            storefront_over(standin).issue_refund(
                refund(line("SKU-RED", 1, "19.99"), amount="0.00")
            )
        )
    assert standin.requests == []


@pytest.mark.parametrize(
    "external_id",
    [
        "rs-sr-" + "x" * 400,  # far longer than one readable line
        "rs-sr-two\nlines",  # a line break would split the marker over two comment lines
        "rs-sr-with space",
        "rs-sr-caf\u00e9",  # not ASCII: kept out of the marker whatever the table's charset
    ],
)
def test_unusual_external_ids_are_marked_by_their_hash_and_found_again(external_id: str) -> None:
    """IDM-1: an external ID unfit for one plain line is marked by its SHA-256, found on repeat."""
    marker = marker_for(external_id)
    assert marker.startswith("refund-sync:")
    assert len(marker) == len("refund-sync:") + 64
    assert marker == marker_for(external_id)  # deterministic
    standin = shop()
    adapter = storefront_over(standin)
    action = refund(line("SKU-RED", 1, "19.99"), amount="19.99", external_id=external_id)
    first = run(adapter.issue_refund(action))
    again = run(adapter.issue_refund(action))
    assert first.created
    assert again == rc.WriteReceipt(external_id, first.record_id, created=False)
    (memo,) = standin.memos_of("000000123")
    assert memo.comments[0].splitlines()[0] == marker


def test_plain_external_ids_are_marked_as_they_are() -> None:
    """The engine's own IDs (rs-sr-<hex>) stay readable in the comment: refund-sync:<ID>."""
    engine_id = "rs-sr-63b44efc703be21875e674a7"
    assert marker_for(engine_id) == f"refund-sync:{engine_id}"
    assert marker_for("x" * 188) == "refund-sync:" + "x" * 188  # 200 characters in all


def test_repeat_of_a_refund_that_used_up_its_lines_is_found_not_refused() -> None:
    """A repeat of a refund that took every unit and all shipping is answered, not refused."""
    standin = shop()
    adapter = storefront_over(standin)
    action = refund(
        line("SKU-RED", 2, "39.98"), line("SKU-BLUE", 1, "5.00"), amount="52.48", shipping="7.50"
    )
    first = run(adapter.issue_refund(action))
    again = run(adapter.issue_refund(action))
    assert first.created
    assert again == rc.WriteReceipt(action.external_id, first.record_id, created=False)
    assert len(standin.memos_of("000000123")) == 1


def test_repeat_of_an_online_refund_that_used_up_its_invoice_is_found_not_refused() -> None:
    """An online refund of the whole invoice, repeated, is found by its marker first."""
    standin = shop(payment_method="stripe_payments")
    adapter = storefront_over(standin)
    action = refund(
        line("SKU-RED", 2, "39.98"), line("SKU-BLUE", 1, "5.00"), amount="52.48", shipping="7.50"
    )
    first = run(adapter.issue_refund(action))
    again = run(adapter.issue_refund(action))
    assert again == rc.WriteReceipt(action.external_id, first.record_id, created=False)
    assert len(standin.memos_of("000000123")) == 1
