"""The Storefront contract (refund_adapters.conformance) over the in-memory fake storefront.

Every adapter's own subclass lives beside its tests (``tests/<vendor>/test_contract*.py``).
"""

from __future__ import annotations

import refund_core as rc
from refund_adapters.conformance import StorefrontContract
from refund_core.testing import FakeStorefront


class TestFakeStorefront(StorefrontContract):
    """The in-memory storefront of refund_core.testing.

    It keeps no order balances and has no lost-response switch, so the over-refund and
    lost-response cases are skipped for it (they run over every adapter).
    """

    refuses_over_refunds = False

    def make_storefront(self, capabilities: rc.StorefrontCapabilities) -> rc.Storefront:
        """A fake storefront with the capabilities asked for."""
        return FakeStorefront(capabilities)


class TestFakeMarketplaceWithoutStoreCredit(TestFakeStorefront):
    """The fake declaring a marketplace without store credit: kind and refusal as declared."""

    kind = rc.StorefrontKind.MARKETPLACE
    name = "marketplace"
    supports_store_credit = False
