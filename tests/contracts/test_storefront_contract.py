"""The Storefront contract (refund_adapters.conformance) over the in-memory fake storefront.

Every adapter's own subclass lives beside its tests (``tests/<vendor>/test_contract*.py``).
"""

from __future__ import annotations

import refund_core as rc
from refund_adapters.conformance import ORDER_REF, ORDER_TOTAL, StorefrontContract
from refund_core.testing import FakeStorefront


class TestFakeStorefront(StorefrontContract):
    """The in-memory storefront of refund_core.testing, keeping the order's balance."""

    def make_storefront(self, capabilities: rc.StorefrontCapabilities) -> rc.Storefront:
        """A fake storefront with the capabilities asked for and the contract's order."""
        self.storefront = FakeStorefront(
            capabilities, orders={ORDER_REF: rc.Money.of(ORDER_TOTAL, "USD")}
        )
        return self.storefront

    def lose_next_response(self) -> None:
        """The next write takes effect and its answer is lost."""
        self.storefront.lose_next_response()


class TestFakeStorefrontWithoutBalances(StorefrontContract):
    """The fake as most tests build it, with no order balances: it refuses no amount."""

    refuses_over_refunds = False

    def make_storefront(self, capabilities: rc.StorefrontCapabilities) -> rc.Storefront:
        """A fake storefront that keeps no balances."""
        return FakeStorefront(capabilities)


class TestFakeMarketplaceWithoutStoreCredit(TestFakeStorefront):
    """The fake declaring a marketplace without store credit: kind and refusal as declared."""

    kind = rc.StorefrontKind.MARKETPLACE
    name = "marketplace"
    supports_store_credit = False
