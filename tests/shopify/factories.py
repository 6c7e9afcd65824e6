"""Builders of the Shopify adapter over the local stand-in, shaped like the contract factories.

``shopify_storefront(capabilities)`` and ``shopify_refund_source(events)`` match the ``Factory``
types of the Storefront and RefundSource contracts; :func:`standin` and :func:`client` are the
pieces the Shopify tests combine themselves. Stand-ins use the schema subset shipped with the
package, so these tests run without the shared specs; :func:`schema_path` (Shopify's full SDL,
skipping when absent) is for the tests that check against the official schema itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import httpx

import refund_core as rc
from refund_adapters.shopify import (
    ShopifyAdminClient,
    ShopifyRefundSource,
    ShopifyStandIn,
    ShopifyStorefront,
)
from tests.specs import spec_path

SCHEMA = "shopify/admin_2026-01.graphql"
TOKEN = "shpat_test_token"
SHOP = "test-shop"
#: The contract's order: 1001, paid 100.00 USD by card by a customer.
CONTRACT_ORDER = "1001"


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it (no real waiting)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        """The current simulated time."""
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Record the wait and move time forward by it."""
        self.slept.append(seconds)
        self.now += max(seconds, 0.0)


def schema_path() -> Any:
    """Shopify's full Admin 2026-01 SDL (the test is skipped when the shared specs are absent)."""
    return spec_path(SCHEMA)


def standin(clock: FakeClock | None = None, **options: Any) -> ShopifyStandIn:
    """An empty stand-in shop ``test-shop`` on the shipped schema, its bucket on ``clock``."""
    options.setdefault("now", lambda: datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    return ShopifyStandIn(shop=SHOP, access_token=TOKEN, clock=clock or FakeClock(), **options)


def client(
    shop_standin: ShopifyStandIn,
    *,
    clock: FakeClock | None = None,
    base_url: str | None = None,
    **options: Any,
) -> ShopifyAdminClient:
    """A client talking to the stand-in in-process (or to ``base_url`` over loopback).

    Pass the stand-in's :class:`FakeClock`: the client's pacing and retries sleep on it, which
    moves the stand-in's bucket forward too, so nothing really waits.
    """
    clock = clock or FakeClock()
    if base_url is None:
        factory: Callable[[], httpx.AsyncClient] = lambda: httpx.AsyncClient(  # noqa: E731
            transport=shop_standin.transport()
        )
    else:
        factory = httpx.AsyncClient
    return ShopifyAdminClient(
        shop=SHOP,
        access_token=TOKEN,
        base_url=base_url or "https://test-shop.myshopify.com",
        client_factory=factory,
        sleep=clock.sleep,
        clock=clock,
        **options,
    )


def contract_order(shop_standin: ShopifyStandIn) -> None:
    """Order 1001 as the Storefront contract expects it: 100.00 USD by card, with a customer."""
    shop_standin.add_order(
        CONTRACT_ORDER,
        lines=[("11", "SKU-A", 1, "100.00")],
        customer_id="7001",
        created_at=datetime(2026, 3, 1, tzinfo=UTC),
    )


def shopify_storefront(capabilities: rc.StorefrontCapabilities) -> rc.Storefront:
    """The Shopify storefront over a fresh stand-in holding the contract's order."""
    clock = FakeClock()
    shop_standin = standin(clock)
    contract_order(shop_standin)
    return ShopifyStorefront(
        client(shop_standin, clock=clock),
        name=capabilities.name,
        store_credit=capabilities.supports_store_credit,
    )


def shopify_refund_source(events: Iterable[rc.SourceEvent]) -> rc.RefundSource:
    """The Shopify refund source over a stand-in seeded with ``events`` (refunds only)."""
    clock = FakeClock()
    shop_standin = ShopifyStandIn.from_events(events, shop=SHOP, access_token=TOKEN, clock=clock)
    return ShopifyRefundSource(client(shop_standin, clock=clock))
