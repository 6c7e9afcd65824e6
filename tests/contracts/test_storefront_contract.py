"""The Storefront contract (refund_adapters.conformance) over every storefront."""

from __future__ import annotations

import refund_core as rc
from refund_adapters.conformance import StorefrontContract
from refund_core.testing import FakeStorefront


class TestFakeStorefront(StorefrontContract):
    """The in-memory storefront of refund_core.testing."""

    def make_storefront(self, capabilities: rc.StorefrontCapabilities) -> rc.Storefront:
        """A fake storefront with the capabilities asked for."""
        return FakeStorefront(capabilities)
