"""The RefundSource contract (refund_adapters.conformance) over every source implementation."""

from __future__ import annotations

from collections.abc import Iterable

import refund_core as rc
from refund_adapters.conformance import RefundSourceContract
from refund_core.testing import FakeRefundSource


class TestFakeRefundSource(RefundSourceContract):
    """The in-memory source of refund_core.testing."""

    def make_source(self, events: Iterable[rc.SourceEvent]) -> rc.RefundSource:
        """A fake source holding the events."""
        return FakeRefundSource("stripe", events)
