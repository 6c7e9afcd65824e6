"""The Shopify client: cost pacing, THROTTLED retries, every query checked against the schema."""

from __future__ import annotations

import gc
import warnings

import graphql
import httpx
import pytest

import refund_core as rc
from refund_adapters._http import UpstreamRejectedError, UpstreamUnavailableError
from refund_adapters.conformance import run
from refund_adapters.shopify import ShopifyAdminClient, ShopifyStandIn, ShopifyStorefront
from refund_adapters.shopify._queries import ALL_DOCUMENTS, ORDER_BY_ID, REFUND_CREATE
from refund_adapters.shopify._standin import load_schema
from tests.shopify.factories import FakeClock, client, schema_path, standin
from tests.shopify.test_storefront import World, _credit, _refund

ORDER = {"id": "gid://shopify/Order/5001"}

THROTTLED = {
    "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
    "extensions": {
        "cost": {
            "requestedQueryCost": 200,
            "actualQueryCost": None,
            "throttleStatus": {
                "maximumAvailable": 2000.0,
                "currentlyAvailable": 0.0,
                "restoreRate": 100.0,
            },
        }
    },
}


def _world(**options: float) -> tuple[FakeClock, ShopifyStandIn, ShopifyAdminClient]:
    clock = FakeClock()
    shop = standin(clock, **options)
    shop.add_order("5001", lines=[("51", "JACKET", 1, "60.00")])
    return clock, shop, client(shop, clock=clock)


def test_every_adapter_query_validates_against_the_schema() -> None:
    """Each operation the adapter can send is valid against the Admin 2026-01 schema."""
    schema = load_schema(schema_path())
    for name, document in ALL_DOCUMENTS.items():
        assert graphql.validate(schema, graphql.parse(document)) == [], name


BAD = "query Bad($id: ID!) { order(id: $id) { id refundSyncSecretField } }"


def test_the_validator_can_fail() -> None:
    """A query for a field Shopify does not have is rejected by the validator."""
    schema = load_schema(schema_path())
    problems = graphql.validate(schema, graphql.parse(BAD))
    assert problems
    assert "refundSyncSecretField" in problems[0].message


def test_the_stand_in_refuses_an_invalid_query() -> None:
    """The stand-in answers a query for a field Shopify does not have with a request error."""
    _, _, shop_client = _world()
    with pytest.raises(UpstreamRejectedError, match="Cannot query field 'refundSyncSecretField'"):
        run(shop_client.execute(BAD, ORDER, operation="Bad"))


def test_the_stand_in_validates_what_it_receives() -> None:
    """Every document the stand-in received in a refund and a store credit was schema-valid."""
    world = World()
    run(world.storefront.issue_refund(_refund()))
    run(world.storefront.issue_store_credit(_credit()))
    schema = load_schema(schema_path())
    assert len(world.standin.documents) >= 6
    for document in world.standin.documents:
        assert graphql.validate(schema, graphql.parse(document)) == []


def test_a_wrong_variable_type_is_refused() -> None:
    """Variables are checked too: a Money string where an Int is due is a request error."""
    _, _, shop_client = _world()
    query = "query Orders($first: Int!) { orders(first: $first) { nodes { id } } }"
    with pytest.raises(UpstreamRejectedError, match="Int cannot represent"):
        run(shop_client.execute(query, {"first": "ten"}, operation="Orders"))


def test_cost_is_reported_and_paced_when_the_bucket_runs_low() -> None:
    """With a small bucket, the client waits for it to refill instead of being throttled."""
    clock, shop, shop_client = _world(bucket_size=600.0, restore_rate=50.0)
    for _ in range(6):
        run(shop_client.execute(ORDER_BY_ID, ORDER, operation="RefundSyncOrder"))
    assert shop.throttled == 0
    assert clock.slept
    assert sum(clock.slept) > 0
    assert shop_client.pacer.burst == 600.0
    assert shop_client.pacer.rate == 50.0


def test_throttled_answer_is_retried_after_the_restore_time() -> None:
    """THROTTLED (HTTP 200) is retried once the bucket has refilled enough for the query."""
    clock, shop, shop_client = _world(restore_rate=100.0)
    shop.bucket.available = 0.0
    data = run(shop_client.execute(ORDER_BY_ID, ORDER, operation="RefundSyncOrder"))
    assert data["order"]["id"] == ORDER["id"]
    assert shop.throttled == 1
    assert shop_client.throttled == 1
    cost = shop.query_cost(graphql.parse(ORDER_BY_ID), "RefundSyncOrder", ORDER)
    assert max(clock.slept) >= cost / 100.0


def test_throttled_until_retries_run_out_is_unavailable() -> None:
    """Throttled on every attempt: the client gives up with an error the engine retries later."""
    _, shop, shop_client = _world()
    shop.fail_next(200, json_body=THROTTLED, times=10)
    with pytest.raises(UpstreamUnavailableError, match="gave up"):
        run(shop_client.execute(ORDER_BY_ID, ORDER, operation="RefundSyncOrder"))


def test_http_429_is_retried_after_retry_after() -> None:
    """A 429 with Retry-After is retried no sooner than the server asked."""
    clock, shop, shop_client = _world()
    shop.fail_next(429, headers={"Retry-After": "2.0"}, json_body={"errors": "Throttled"})
    run(shop_client.execute(ORDER_BY_ID, ORDER, operation="RefundSyncOrder"))
    assert max(clock.slept) >= 2.0


def test_idempotency_key_is_required_by_the_stand_in() -> None:
    """Like Shopify from 2026-04, a refundCreate without @idempotent is refused."""
    _, _, shop_client = _world()
    mutation = (
        "mutation R($input: RefundInput!) { refundCreate(input: $input) "
        "{ refund { id } userErrors { field message } } }"
    )
    with pytest.raises(UpstreamRejectedError, match="@idempotent directive is required"):
        run(shop_client.execute(mutation, {"input": {"orderId": ORDER["id"]}}, operation="R"))


def test_same_key_with_other_input_is_refused() -> None:
    """Reusing an idempotency key for a different refund is an error, not a silent replay."""
    _, shop, shop_client = _world()
    shop.add_order("5002", lines=[("61", "CAP", 1, "15.00")])

    def variables(order: str) -> dict[str, object]:
        return {"input": {"orderId": f"gid://shopify/Order/{order}"}, "idempotencyKey": "k-1"}

    run(shop_client.execute(REFUND_CREATE, variables("5001"), operation="RefundSyncRefundCreate"))
    with pytest.raises(UpstreamRejectedError, match="IDEMPOTENCY_KEY_PARAMETER_MISMATCH"):
        run(
            shop_client.execute(
                REFUND_CREATE, variables("5002"), operation="RefundSyncRefundCreate"
            )
        )


def test_a_client_serves_several_event_loops() -> None:
    """One client is used from several asyncio.run calls (a fresh HTTP client per loop)."""
    _, _, shop_client = _world()
    storefront = ShopifyStorefront(shop_client)
    for _ in range(3):
        order = run(storefront.load_order("5001"))
        assert order.name == "#5001"


def test_each_loops_client_is_closed_when_its_loop_ends() -> None:
    """Over real HTTP, the client made for each asyncio.run is closed with it: no leaked sockets."""
    clock, shop, _ = _world()
    made: list[httpx.AsyncClient] = []

    def factory() -> httpx.AsyncClient:
        made.append(httpx.AsyncClient())
        return made[-1]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with shop.serve() as server:
            shop_client = ShopifyAdminClient(
                shop="test-shop",
                access_token="shpat_test_token",
                base_url=server.base_url,
                client_factory=factory,
                sleep=clock.sleep,
                clock=clock,
            )
            storefront = ShopifyStorefront(shop_client)
            for _ in range(3):
                assert run(storefront.load_order("5001")).name == "#5001"
                assert made[-1].is_closed
            del storefront, shop_client
            gc.collect()
    assert len(made) == 3
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_aclose_closes_the_running_loops_own_client() -> None:
    """aclose() closes the client made for the running loop; the next call makes a new one."""
    _, shop, _ = _world()
    made: list[httpx.AsyncClient] = []

    def factory() -> httpx.AsyncClient:
        made.append(httpx.AsyncClient(transport=shop.transport()))
        return made[-1]

    shop_client = ShopifyAdminClient(
        shop="test-shop", access_token="shpat_test_token", client_factory=factory
    )

    async def twice() -> None:
        await shop_client.execute(ORDER_BY_ID, ORDER, operation="RefundSyncOrder")
        await shop_client.aclose()
        assert made[0].is_closed
        async with shop_client:
            await shop_client.execute(ORDER_BY_ID, ORDER, operation="RefundSyncOrder")
        assert made[1].is_closed

    run(twice())
    assert len(made) == 2


def test_an_injected_client_is_used_and_never_closed() -> None:
    """An http_client given by the caller serves every call and stays open after aclose()."""
    _, shop, _ = _world()

    async def scenario() -> httpx.AsyncClient:
        async with httpx.AsyncClient(transport=shop.transport()) as http:
            shop_client = ShopifyAdminClient(
                shop="test-shop", access_token="shpat_test_token", http_client=http
            )
            for _ in range(2):
                await shop_client.execute(ORDER_BY_ID, ORDER, operation="RefundSyncOrder")
            await shop_client.aclose()
            assert not http.is_closed
            return http

    assert run(scenario()).is_closed
    assert len(shop.requests) == 2
    with pytest.raises(rc.ConfigurationError, match="not both"):
        ShopifyAdminClient(
            shop="test-shop",
            access_token="t",
            http_client=httpx.AsyncClient(),
            client_factory=httpx.AsyncClient,
        )


def test_shop_names_are_checked() -> None:
    """A shop that is not a plain shop name is refused when the client is built."""
    with pytest.raises(UpstreamRejectedError, match="shop must be"):
        ShopifyAdminClient(shop="evil.example/..", access_token="t")
    built = ShopifyAdminClient(
        shop="My-Store.myshopify.com", access_token="t", client_factory=httpx.AsyncClient
    )
    assert built.endpoint == "https://my-store.myshopify.com/admin/api/2026-01/graphql.json"


def test_a_concurrent_request_with_the_same_key_is_worth_retrying_later() -> None:
    """IDEMPOTENCY_CONCURRENT_REQUEST is reported as unavailable (retry later), not refused."""
    _, shop, shop_client = _world()
    busy = {
        "errors": [
            {
                "message": "request is currently in progress, please try again",
                "extensions": {"code": "IDEMPOTENCY_CONCURRENT_REQUEST"},
            }
        ]
    }
    shop.fail_next(200, json_body=busy)
    with pytest.raises(UpstreamUnavailableError, match="in progress"):
        run(shop_client.execute(ORDER_BY_ID, ORDER, operation="RefundSyncOrder"))
