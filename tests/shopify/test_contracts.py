"""The port contracts (refund_adapters.conformance) over the Shopify adapter and its stand-in.

Each runs twice: in-process (the stand-in as an httpx transport) and over loopback HTTP (the
stand-in served on 127.0.0.1, the client pointed at it by its base URL). The storefront's
lost-response hook drops the answer of the ``refundCreate`` mutation itself.
"""

from __future__ import annotations

from collections.abc import Iterable

import refund_core as rc
from refund_adapters.conformance import RefundSourceContract, StorefrontContract
from refund_adapters.shopify import ShopifyRefundSource, ShopifyStandIn, ShopifyStorefront
from tests.contracts.faults import WriteFaults, graphql_mutation
from tests.shopify.factories import SHOP, TOKEN, FakeClock, client, contract_order, standin


class TestShopifyStorefront(StorefrontContract):
    """ShopifyStorefront with store credit, against the stand-in."""

    name = "shopify"
    loopback = False
    faults: WriteFaults

    def make_storefront(self, capabilities: rc.StorefrontCapabilities) -> rc.Storefront:
        """The Shopify storefront over a fresh stand-in holding the contract's order."""
        clock = FakeClock()
        shop = standin(clock)
        contract_order(shop)
        self.faults = WriteFaults(shop, graphql_mutation)
        base_url = None
        if self.loopback:
            server = shop.serve().start()
            self.on_teardown(server.stop)
            base_url = server.base_url
        return ShopifyStorefront(
            client(shop, clock=clock, base_url=base_url),
            name=capabilities.name,
            store_credit=capabilities.supports_store_credit,
        )

    def lose_next_response(self) -> None:
        """The next mutation (refundCreate) takes effect; its answer never arrives."""
        self.faults.lose_next_write()
        self.on_teardown(self.faults.assert_spent)


class TestShopifyStorefrontOverLoopback(TestShopifyStorefront):
    """The same contract with the stand-in served over HTTP on 127.0.0.1."""

    loopback = True


class TestShopifyStorefrontWithoutStoreCredit(TestShopifyStorefront):
    """ShopifyStorefront configured without store credit refuses to issue it."""

    supports_store_credit = False


class TestShopifyRefundSource(RefundSourceContract):
    """ShopifyRefundSource against a stand-in seeded with the contract's refunds."""

    supports_payment_failures = False
    storefront_events = True
    loopback = False

    def make_source(self, events: Iterable[rc.SourceEvent]) -> rc.RefundSource:
        """The Shopify refund source over a seeded stand-in."""
        clock = FakeClock()
        shop = ShopifyStandIn.from_events(events, shop=SHOP, access_token=TOKEN, clock=clock)
        base_url = None
        if self.loopback:
            server = shop.serve().start()
            self.on_teardown(server.stop)
            base_url = server.base_url
        return ShopifyRefundSource(client(shop, clock=clock, base_url=base_url))


class TestShopifyRefundSourceOverLoopback(TestShopifyRefundSource):
    """The same contract with the stand-in served over HTTP on 127.0.0.1."""

    loopback = True
