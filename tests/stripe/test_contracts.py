"""The RefundSource and PayoutSource contracts over the Stripe adapter and its stand-in.

Each runs twice: in-process (the stand-in as an httpx transport) and over loopback HTTP (the
stand-in served on 127.0.0.1, the client pointed at it by its base URL).
"""

from __future__ import annotations

from collections.abc import Iterable

import httpx

import refund_core as rc
from refund_adapters.conformance import PayoutSourceContract, RefundSourceContract
from refund_adapters.stripe import StripeClient, StripePayoutSource, StripeRefundSource
from refund_adapters.stripe._standin import DEFAULT_API_KEY, StripeStandIn
from tests.stripe.factories import client_for, seeded_standin


async def _no_sleep(_seconds: float) -> None:
    """Backoff without waiting."""


class _Connects:
    """Builds the StripeClient of a contract's stand-in, in-process or over loopback."""

    loopback = False

    def connect(self, standin: StripeStandIn) -> StripeClient:
        """A client for ``standin``: its transport, or a loopback server of it."""
        if not self.loopback:
            return client_for(standin)
        server = standin.serve().start()
        self.on_teardown(server.stop)  # type: ignore[attr-defined]  # the contract's hook
        # No kept-alive connections: the contract drives every call on a fresh event loop, and a
        # pooled connection belongs to the loop that opened it.
        http = httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=0))
        return StripeClient(http, DEFAULT_API_KEY, base_url=server.base_url, sleep=_no_sleep)


class TestStripeRefundSource(_Connects, RefundSourceContract):
    """StripeRefundSource reading refunds and failed payments from the stand-in."""

    def make_source(self, events: Iterable[rc.SourceEvent]) -> rc.RefundSource:
        """The adapter over a stand-in seeded with the events."""
        return StripeRefundSource(self.connect(seeded_standin(events)))


class TestStripeRefundSourceOverLoopback(TestStripeRefundSource):
    """The same contract with the stand-in served over HTTP on 127.0.0.1."""

    loopback = True


class TestStripePayoutSource(_Connects, PayoutSourceContract):
    """StripePayoutSource reading payouts and balance transactions from the stand-in."""

    def make_payouts(self, payouts: Iterable[rc.Payout]) -> rc.PayoutSource:
        """The adapter over a stand-in seeded with the payouts."""
        return StripePayoutSource(self.connect(StripeStandIn.from_payouts(payouts)))


class TestStripePayoutSourceOverLoopback(TestStripePayoutSource):
    """The same contract with the stand-in served over HTTP on 127.0.0.1."""

    loopback = True
