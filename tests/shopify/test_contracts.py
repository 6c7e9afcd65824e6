"""The port contracts (refund_adapters.conformance) over the Shopify adapter and its stand-in."""

from __future__ import annotations

from collections.abc import Iterable

import refund_core as rc
from refund_adapters.conformance import RefundSourceContract, StorefrontContract
from tests.shopify.factories import shopify_refund_source, shopify_storefront


class TestShopifyStorefront(StorefrontContract):
    """ShopifyStorefront with store credit, against the stand-in."""

    def make_storefront(self, capabilities: rc.StorefrontCapabilities) -> rc.Storefront:
        """The Shopify storefront over a fresh stand-in."""
        return shopify_storefront(capabilities)


class TestShopifyStorefrontWithoutStoreCredit(StorefrontContract):
    """ShopifyStorefront configured without store credit refuses to issue it."""

    supports_store_credit = False

    def make_storefront(self, capabilities: rc.StorefrontCapabilities) -> rc.Storefront:
        """The Shopify storefront over a fresh stand-in."""
        return shopify_storefront(capabilities)


class TestShopifyRefundSource(RefundSourceContract):
    """ShopifyRefundSource against a stand-in seeded with the contract's refunds."""

    supports_payment_failures = False
    storefront_events = True

    def make_source(self, events: Iterable[rc.SourceEvent]) -> rc.RefundSource:
        """The Shopify refund source over a seeded stand-in."""
        return shopify_refund_source(events)
