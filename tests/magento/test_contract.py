"""The Storefront contract (refund_adapters.conformance) over the Magento adapter and stand-in."""

from __future__ import annotations

import refund_core as rc
from refund_adapters.conformance import StorefrontContract
from tests.magento.factories import magento_storefront


class TestMagentoStorefront(StorefrontContract):
    """Magento: refunds once per external ID by comment marker; no store credit over REST."""

    supports_store_credit = False

    def make_storefront(self, capabilities: rc.StorefrontCapabilities) -> rc.Storefront:
        """A Magento adapter over a freshly seeded stand-in."""
        return magento_storefront(capabilities)
