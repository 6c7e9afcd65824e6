"""The NetSuite adapter over its stand-in meets the Ledger contract of the conformance kit."""

from __future__ import annotations

import refund_core as rc
from refund_adapters.conformance import LedgerContract
from tests.netsuite.factories import netsuite_ledger


class TestNetSuiteLedgerContract(LedgerContract):
    """Every Ledger contract test, run against NetSuiteLedger + NetSuiteStandIn."""

    def make_ledger(self, snapshot: rc.LedgerSnapshot) -> rc.Ledger:
        """The adapter over a fresh stand-in seeded with ``snapshot``."""
        return netsuite_ledger(snapshot)
