"""The Ledger contract (refund_adapters.conformance) over every ledger implementation."""

from __future__ import annotations

import refund_core as rc
from refund_adapters.conformance import LedgerContract
from refund_core.testing import FakeLedger


class TestFakeLedger(LedgerContract):
    """The in-memory ledger of refund_core.testing."""

    def make_ledger(self, snapshot: rc.LedgerSnapshot) -> rc.Ledger:
        """A fake ledger holding the snapshot."""
        return FakeLedger(snapshot)
