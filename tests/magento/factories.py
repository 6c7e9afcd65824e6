"""Builders for the Magento tests and for the Storefront contract: a seeded stand-in and adapter.

The contract's world (order ``1001`` paid 100.00 USD by customer C-1) is seeded as two items
(60.00 + 30.00) and 10.00 shipping, paid by check (an offline method).
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

import refund_core as rc
from refund_adapters._oauth1 import OAuth1Credentials
from refund_adapters.conformance import CUSTOMER_ID, ORDER_REF
from refund_adapters.magento import (
    DEFAULT_CAPABILITIES,
    BearerToken,
    MagentoStandIn,
    MagentoStorefront,
    SeedItem,
)

__all__ = [
    "BASE_URL",
    "CREDENTIALS",
    "TOKEN",
    "Sleeps",
    "contract_standin",
    "magento_storefront",
    "new_standin",
    "storefront_over",
]

BASE_URL = "http://magento.test"
TOKEN = "test-admin-token-0123456789"
CREDENTIALS = OAuth1Credentials(
    consumer_key="ck-refund-sync",
    consumer_secret="cs-not-a-real-secret",
    token="at-refund-sync",
    token_secret="ts-not-a-real-secret",
)


class Sleeps:
    """An injected ``sleep`` that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        """Note the wait and return at once."""
        self.waits.append(seconds)


def new_standin() -> MagentoStandIn:
    """An empty stand-in accepting :data:`TOKEN` and :data:`CREDENTIALS`."""
    return MagentoStandIn(bearer_tokens=[TOKEN], oauth_credentials=[CREDENTIALS])


def contract_standin() -> MagentoStandIn:
    """A stand-in holding the contract's order 1001: 60.00 + 30.00 + 10.00 shipping, by check."""
    standin = new_standin()
    standin.add_order(
        ORDER_REF,
        [SeedItem("SKU-A", "60.00"), SeedItem("SKU-B", "30.00")],
        shipping="10.00",
        payment_method="checkmo",
        customer_email=f"{CUSTOMER_ID.lower()}@example.com",
    )
    return standin


def storefront_over(
    standin: MagentoStandIn,
    *,
    auth: httpx.Auth | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    capabilities: rc.StorefrontCapabilities = DEFAULT_CAPABILITIES,
    sleep: Sleeps | None = None,
    **options: object,
) -> MagentoStorefront:
    """An adapter talking to ``standin`` in-process (bearer token unless told otherwise)."""
    return MagentoStorefront(
        base_url=BASE_URL,
        auth=auth if auth is not None else BearerToken(TOKEN),
        capabilities=capabilities,
        transport=transport if transport is not None else standin.transport(),
        sleep=sleep if sleep is not None else Sleeps(),
        **options,  # type: ignore[arg-type]  # test-only pass-through of keyword options
    )


def magento_storefront(capabilities: rc.StorefrontCapabilities) -> rc.Storefront:
    """The Storefront contract's factory: a Magento adapter over a fresh seeded stand-in."""
    return storefront_over(contract_standin(), capabilities=capabilities)


def seed_items(*pairs: tuple[str, str]) -> Sequence[SeedItem]:
    """``("SKU", "price")`` pairs as seed items of quantity 1."""
    return [SeedItem(sku, price) for sku, price in pairs]
