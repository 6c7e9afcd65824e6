"""The PayoutSource contract (refund_adapters.conformance) over every payout source."""

from __future__ import annotations

from collections.abc import Iterable

import refund_core as rc
from refund_adapters.conformance import PayoutSourceContract
from refund_core.testing import FakePayoutSource


class TestFakePayoutSource(PayoutSourceContract):
    """The in-memory payout source of refund_core.testing."""

    def make_payouts(self, payouts: Iterable[rc.Payout]) -> rc.PayoutSource:
        """A fake payout source holding the payouts."""
        return FakePayoutSource("stripe", payouts)
