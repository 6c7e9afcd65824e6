"""The RefundSource and PayoutSource contracts over the Stripe adapter and its stand-in."""

from __future__ import annotations

from collections.abc import Iterable

import refund_core as rc
from refund_adapters.conformance import PayoutSourceContract, RefundSourceContract
from tests.stripe.factories import stripe_payout_source, stripe_refund_source


class TestStripeRefundSource(RefundSourceContract):
    """StripeRefundSource reading refunds and failed payments from the stand-in."""

    def make_source(self, events: Iterable[rc.SourceEvent]) -> rc.RefundSource:
        """The adapter over a stand-in seeded with the events."""
        return stripe_refund_source(events)


class TestStripePayoutSource(PayoutSourceContract):
    """StripePayoutSource reading payouts and balance transactions from the stand-in."""

    def make_payouts(self, payouts: Iterable[rc.Payout]) -> rc.PayoutSource:
        """The adapter over a stand-in seeded with the payouts."""
        return stripe_payout_source(payouts)
