"""The refund-source contract (refund_adapters.conformance), run over the Amazon adapter.

Both Finances operations (2024-06-19 ``listTransactions`` and v0 ``listFinancialEvents``), each
in-process (the stand-in as an httpx transport) and over loopback HTTP (the stand-in served on
127.0.0.1, the adapter pointed at it by its base URL and LWA token URL).
"""

from __future__ import annotations

from collections.abc import Iterable

import httpx

import refund_core as rc
from refund_adapters.amazon import AmazonStandIn, FinancesApi, v0_refund_id
from refund_adapters.conformance import RefundSourceContract
from tests.amazon.factories import FakeClock, source_for


class TestAmazonRefundSource(RefundSourceContract):
    """The SP-API Finances adapter (2024-06-19) over a stand-in seeded with the events."""

    supports_payment_failures = False
    storefront_events = True
    api = FinancesApi.V2024_06_19
    loopback = False
    amazon: AmazonStandIn

    def make_source(self, events: Iterable[rc.SourceEvent]) -> rc.RefundSource:
        """The adapter over a stand-in holding the events."""
        clock = FakeClock()
        self.amazon = AmazonStandIn.from_events(events, clock=clock.now, monotonic=clock.monotonic)
        if not self.loopback:
            return source_for(self.amazon, clock, api=self.api)
        server = self.amazon.serve().start()
        self.on_teardown(server.stop)
        return source_for(
            self.amazon,
            clock,
            api=self.api,
            base_url=server.base_url,
            token_url=f"{server.base_url}/auth/o2/token",
            client_factory=httpx.AsyncClient,
        )


class TestAmazonRefundSourceOverLoopback(TestAmazonRefundSource):
    """The same contract with the stand-in served over HTTP on 127.0.0.1."""

    loopback = True


class TestAmazonRefundSourceV0(TestAmazonRefundSource):
    """The v0 RefundEventList path (until its removal on 2027-08-27) under the same contract.

    v0 events carry no refund ID: the adapter names each by order, posting second and adjustment
    item IDs (:func:`refund_adapters.amazon.v0_refund_id`), which is what it must list.
    """

    api = FinancesApi.V0

    def listed_event_id(self, event: rc.SourceEvent) -> str:
        """The v0 ID of the stand-in's refund seeded from ``event``."""
        (seeded,) = (r for r in self.amazon.refunds if r.refund_id == event.key.event_id)
        return v0_refund_id(
            seeded.order_id,
            seeded.posted,
            [item.adjustment_id for item in seeded.items if item.adjustment_id is not None],
        )


class TestAmazonRefundSourceV0OverLoopback(TestAmazonRefundSourceV0):
    """The v0 path over HTTP on 127.0.0.1."""

    loopback = True
