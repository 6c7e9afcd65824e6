"""Each adapter's decoding boundary: what was found leaking, now typed, set aside or bounded."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

import refund_core as rc
from refund_adapters._decode import UpstreamDataError
from refund_adapters._http import RetryPolicy, retry_after_seconds
from refund_adapters._pacing import PacingError, RatePacer
from refund_adapters.amazon import AmazonStandIn, SeededItem
from refund_adapters.amazon._standin import dumps_with_numbers
from refund_adapters.conformance import run
from refund_adapters.shopify import ShopifyAdminClient
from refund_adapters.shopify._client import user_errors
from refund_adapters.stripe import StripeClient, StripePayoutSource, StripeStandIn
from refund_adapters.stripe._standin import DEFAULT_API_KEY
from tests.amazon.factories import FakeClock, source_for, standin
from tests.builders import at
from tests.fuzz._mutate import Raw, encode
from tests.magento.factories import contract_standin, storefront_over
from tests.stripe.factories import no_sleep
from tests.stripe.test_payout_source import card_day

# -- bounded waiting ------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [math.nan, math.inf, -1.0])
def test_pacers_refuse_numbers_that_would_make_them_wait_forever(bad: float) -> None:
    """NaN, infinite or negative rates, bursts, costs, availabilities and pauses are typed."""
    pacer = RatePacer(1.0, 10.0)
    with pytest.raises(rc.ConfigurationError):
        RatePacer(bad, 10.0)
    with pytest.raises(rc.ConfigurationError):
        pacer.update(available=bad)
    with pytest.raises(rc.ConfigurationError):
        pacer.update(available=1.0, burst=bad)
    with pytest.raises(rc.ConfigurationError):
        pacer.pause(bad)
    with pytest.raises(rc.ConfigurationError):
        asyncio.run(pacer.acquire(bad))
    with pytest.raises(rc.ConfigurationError):
        RetryPolicy(base_delay_s=bad)


def test_a_pacer_whose_clock_never_moves_gives_up_instead_of_spinning() -> None:
    """Every wait of a pacer has a ceiling: a frozen clock ends in PacingError, not a hang."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    pacer = RatePacer(1.0, 1.0, clock=lambda: 0.0, sleep=sleep)
    asyncio.run(pacer.acquire())
    with pytest.raises(PacingError):
        asyncio.run(pacer.acquire())
    assert 0 < len(slept) <= RatePacer.max_rounds


def test_a_nan_retry_after_is_no_wait_and_an_infinite_one_too_long() -> None:
    """Retry-After: nan is ignored; inf is a wait too long to honour (send gives up at once)."""
    assert retry_after_seconds(httpx.Response(429, headers={"retry-after": "nan"})) is None
    assert retry_after_seconds(httpx.Response(429, headers={"retry-after": "inf"})) == math.inf


# -- Shopify: a NaN cost once hung the pacer holding the journal lock ----------------------------


def _shopify(answer: dict[str, Any]) -> ShopifyAdminClient:
    body = encode(answer)  # NaN and 1e999 written as such, as a broken server would
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    return ShopifyAdminClient(
        shop="fuzz-shop",
        access_token="shpat_x",
        http_client=httpx.AsyncClient(transport=transport),
    )


def _cost_answer(**status: str) -> dict[str, Any]:
    numbers = {"maximumAvailable": "2000.0", "currentlyAvailable": "1990.0", "restoreRate": "100"}
    numbers.update(status)
    requested = numbers.pop("requestedQueryCost", "10")
    return {
        "data": {"shop": {"name": "x"}},
        "extensions": {
            "cost": {
                "requestedQueryCost": Raw(requested),
                "throttleStatus": {name: Raw(value) for name, value in numbers.items()},
            }
        },
    }


@pytest.mark.parametrize(
    "field", ["requestedQueryCost", "maximumAvailable", "currentlyAvailable", "restoreRate"]
)
def test_a_nan_cost_is_a_typed_error_never_a_hang(field: str) -> None:
    """A NaN in the cost (the pacer once spun on it forever) is an UpstreamDataError."""
    client = _shopify(_cost_answer(**{field: "NaN"}))
    with pytest.raises(UpstreamDataError, match="NaN"):
        asyncio.run(client.execute("query Q { shop { name } }", {}, operation="Q"))


@pytest.mark.parametrize("value", ["1e999", "-1", '"12"', "null"])
@pytest.mark.parametrize("field", ["maximumAvailable", "currentlyAvailable", "restoreRate"])
def test_an_unusable_throttle_status_is_refused_by_its_path(field: str, value: str) -> None:
    """A throttleStatus figure that is huge, negative, text or null is refused by JSON path."""
    client = _shopify(_cost_answer(**{field: value}))
    with pytest.raises(UpstreamDataError) as info:
        asyncio.run(client.execute("query Q { shop { name } }", {}, operation="Q"))
    assert info.value.path == f"$.extensions.cost.throttleStatus.{field}"


@pytest.mark.parametrize("bad", ["refused", 7, {"field": ["x"], "message": "no"}, [1], [{}]])
def test_user_errors_of_the_wrong_type_are_typed(bad: object) -> None:
    """Malformed userErrors are an UpstreamDataError: never "no errors", never a TypeError."""
    with pytest.raises(UpstreamDataError, match="userErrors"):
        user_errors({"userErrors": bad}, "refundCreate")


# -- Amazon: decode strictly what is used; set aside, with its raw entry, what is malformed --------


def _rewritten(
    amazon: AmazonStandIn, edit: Callable[[list[dict[str, Any]]], None]
) -> Callable[[], httpx.AsyncClient]:
    """Clients whose listTransactions answers pass through ``edit`` (the transactions list)."""
    inner = amazon.transport()

    async def handle(request: httpx.Request) -> httpx.Response:
        response = await inner.handle_async_request(request)
        body = await response.aread()
        if request.url.path.endswith("/transactions") and response.status_code == 200:
            document = json.loads(body, parse_float=Decimal)
            edit(document["payload"]["transactions"])
            body = dumps_with_numbers(document)
        return httpx.Response(response.status_code, headers=response.headers, content=body)

    return lambda: httpx.AsyncClient(transport=httpx.MockTransport(handle))


def _amazon_refunds(count: int, clock: FakeClock) -> AmazonStandIn:
    amazon = standin(clock)
    for day in range(1, count + 1):
        amazon.add_refund(
            order_id=f"111-000000{day}-0000001",
            posted=datetime(2026, 11, day, tzinfo=UTC),
            items=[SeededItem("SKU-1", {"Principal": "-10.00"})],
        )
    return amazon


@pytest.mark.parametrize(
    "damage",
    [
        lambda txn: txn.pop("transactionType"),
        lambda txn: [item.pop("breakdowns") for item in txn["items"]],
    ],
    ids=["no transactionType", "no breakdowns"],
)
def test_a_used_transaction_that_is_malformed_is_set_aside_never_skipped(
    damage: Callable[[dict[str, Any]], object],
) -> None:
    """Missing transactionType or breakdowns: set aside with its raw entry; the others come."""
    clock = FakeClock()
    amazon = _amazon_refunds(3, clock)

    def edit(transactions: list[dict[str, Any]]) -> None:
        for txn in transactions:
            if txn.get("postedDate", "").startswith("2026-11-02"):
                damage(txn)

    source = source_for(amazon, clock, client_factory=_rewritten(amazon, edit))
    page = run(
        source.list_events(since=datetime(2026, 11, 1, tzinfo=UTC), page_token=None, limit=10)
    )
    assert len(page.items) == 2
    (aside,) = page.set_aside
    assert aside.at == datetime(2026, 11, 2, tzinfo=UTC)
    assert aside.code == "upstream_data"
    assert "amazon" in aside.error
    assert json.loads(aside.raw)["postedDate"].startswith("2026-11-02")


def test_a_transaction_of_an_unused_type_in_an_unexpected_shape_never_fails_the_window() -> None:
    """Amazon's own example Transaction (breakdowns as an object) of another type is ignored."""
    clock = FakeClock()
    amazon = _amazon_refunds(2, clock)

    def edit(transactions: list[dict[str, Any]]) -> None:
        transactions.append(
            {
                "transactionType": "Shipment",
                "postedDate": "2026-11-01T12:00:00Z",
                "breakdowns": {"breakdownType": "Sales", "breakdownAmount": {}},
                "items": "not even a list",
            }
        )

    source = source_for(amazon, clock, client_factory=_rewritten(amazon, edit))
    page = run(
        source.list_events(since=datetime(2026, 11, 1, tzinfo=UTC), page_token=None, limit=10)
    )
    assert len(page.items) == 2
    assert page.set_aside == ()


def test_transactions_that_are_not_a_list_are_a_typed_error() -> None:
    """payload.transactions as an object is an UpstreamDataError naming the path."""
    clock = FakeClock()
    amazon = _amazon_refunds(1, clock)

    def edit(transactions: list[dict[str, Any]]) -> None:
        transactions.clear()

    factory = _rewritten(amazon, edit)
    inner_factory = factory

    def object_not_list() -> httpx.AsyncClient:
        client = inner_factory()
        original = client._transport

        async def handle(request: httpx.Request) -> httpx.Response:
            response = await original.handle_async_request(request)
            body = await response.aread()
            if request.url.path.endswith("/transactions"):
                body = b'{"payload": {"transactions": {"0": {}}}}'
            return httpx.Response(response.status_code, content=body)

        return httpx.AsyncClient(transport=httpx.MockTransport(handle))

    source = source_for(amazon, clock, client_factory=object_not_list)
    with pytest.raises(UpstreamDataError) as info:
        run(source.list_events(since=datetime(2026, 11, 1, tzinfo=UTC), page_token=None, limit=5))
    assert info.value.path == "$.payload.transactions"


@pytest.mark.parametrize("token", ["t\u00e9st", "abc\ud800", "two words"])
def test_a_next_token_no_query_string_can_carry_is_a_typed_error(token: str) -> None:
    """A nextToken that is not printable ASCII is refused by path, never a UnicodeEncodeError."""
    clock = FakeClock()
    amazon = _amazon_refunds(1, clock)
    inner = amazon.transport()

    async def handle(request: httpx.Request) -> httpx.Response:
        response = await inner.handle_async_request(request)
        body = await response.aread()
        if request.url.path.endswith("/transactions"):
            document = json.loads(body)
            document["payload"]["nextToken"] = token
            body = json.dumps(document).encode()
        return httpx.Response(response.status_code, content=body)

    source = source_for(
        amazon,
        clock,
        client_factory=lambda: httpx.AsyncClient(transport=httpx.MockTransport(handle)),
    )
    with pytest.raises(UpstreamDataError, match=r"nextToken"):
        run(source.list_events(since=datetime(2026, 11, 1, tzinfo=UTC), page_token=None, limit=5))


# -- Stripe payouts: KeyError 'id' -----------------------------------------------------------------


def test_a_balance_transaction_without_an_id_sets_its_payout_aside() -> None:
    """A refund transaction listed without "id" sets its payout aside (typed), not a KeyError."""
    standin = StripeStandIn()
    txns = card_day(standin)
    standin.add_payout(arrival=at("2026-06-03"), payout_id="po_1", balance_transactions=txns)
    inner = standin.transport()

    async def handle(request: httpx.Request) -> httpx.Response:
        response = await inner.handle_async_request(request)
        body = json.loads(await response.aread())
        if request.url.path == "/v1/balance_transactions":
            for txn in body["data"]:
                if txn.get("type") == "refund":
                    txn.pop("id")
        return httpx.Response(response.status_code, json=body)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    source = StripePayoutSource(StripeClient(http, DEFAULT_API_KEY, sleep=no_sleep))
    page = run(source.list_payouts(since=at("2026-06-01"), page_token=None, limit=5))
    assert page.items == ()
    assert [item.key.event_id for item in page.set_aside] == ["po_1"]
    assert "balance_transactions" in page.set_aside[0].error


# -- Magento: an unreadable answer to the refund POST after the credit memo was made -------------


@pytest.mark.parametrize("answer", [b'"not-an-id"', b"NaN", b"{", b'{"entity_id": null}'])
def test_an_unreadable_refund_answer_is_resolved_by_the_marker_when_the_memo_was_made(
    answer: bytes,
) -> None:
    """Magento made the credit memo, then answered garbage: the marker finds it (created)."""
    magento = contract_standin()
    inner = magento.transport()

    async def handle(request: httpx.Request) -> httpx.Response:
        response = await inner.handle_async_request(request)
        await response.aread()
        if request.method == "POST" and request.url.path.endswith("/refund"):
            return httpx.Response(200, content=answer)
        return response

    storefront = storefront_over(magento, transport=httpx.MockTransport(handle))
    receipt = run(storefront.issue_refund(_magento_refund()))
    assert receipt.created
    assert [str(memo_id) for memo_id in magento.credit_memos] == [receipt.record_id]


def test_an_unreadable_refund_answer_without_a_memo_is_typed_and_writes_nothing_twice() -> None:
    """Garbage from the POST and no memo carrying the marker: a typed error, one POST only."""
    magento = contract_standin()
    posts: list[str] = []

    async def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            posts.append(request.url.path)
            return httpx.Response(200, content=b"[[[")
        return await magento.transport().handle_async_request(request)

    storefront = storefront_over(magento, transport=httpx.MockTransport(handle))
    with pytest.raises(UpstreamDataError, match="no credit memo"):
        run(storefront.issue_refund(_magento_refund()))
    assert len(posts) == 1


def _magento_refund() -> rc.IssueStorefrontRefund:
    return rc.IssueStorefrontRefund(
        external_id="rs-sr-magento-1",
        source=rc.SourceKey("netsuite", "CM-1"),
        rule_ids=("NSC-7",),
        reason="test",
        storefront="magento",
        order_ref="1001",
        record=rc.RecordRef(internal_id="CM-1"),
        lines=(),
        shipping=rc.Money.of("0.00", "USD"),
        amount=rc.Money.of("20.00", "USD"),
    )
