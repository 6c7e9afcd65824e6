"""The refund-source contract (refund_adapters.conformance), run over the Amazon adapter."""

from __future__ import annotations

from collections.abc import Iterable

import refund_core as rc
from refund_adapters.conformance import RefundSourceContract
from tests.amazon.factories import amazon_refund_source


class TestAmazonRefundSource(RefundSourceContract):
    """The SP-API Finances adapter (2024-06-19) over a stand-in seeded with the events."""

    supports_payment_failures = False
    storefront_events = True

    def make_source(self, events: Iterable[rc.SourceEvent]) -> rc.RefundSource:
        """The adapter over a stand-in holding the events."""
        return amazon_refund_source(events)
