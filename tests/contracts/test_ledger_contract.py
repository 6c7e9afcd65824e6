"""The Ledger contract (refund_adapters.conformance) over the in-memory fake ledger.

The NetSuite adapter's subclasses live in ``tests/netsuite/test_contract.py``.
"""

from __future__ import annotations

import refund_core as rc
from refund_adapters.conformance import LedgerContract
from refund_core.testing import FakeLedger


class _LosesOneResponse(FakeLedger):
    """FakeLedger whose lost-response fault (``lose_response_after_writes``) hits one write.

    The fake loses the answer of *every* write after the first N; the contract's hook wants the
    next one only, so the switch is cleared once it has hit.
    """

    async def write(self, action: rc.LedgerAction) -> rc.WriteReceipt:
        """Write as the fake does; a write the fault hit turns the fault off again."""
        try:
            return await super().write(action)
        finally:
            armed = self.lose_response_after_writes
            if armed is not None and self.writes > armed:
                self.lose_response_after_writes = None


class TestFakeLedger(LedgerContract):
    """The in-memory ledger of refund_core.testing, with its lost-response fault."""

    fake: _LosesOneResponse

    def make_ledger(self, snapshot: rc.LedgerSnapshot) -> rc.Ledger:
        """A fake ledger holding the snapshot."""
        self.fake = _LosesOneResponse(snapshot)
        return self.fake

    def lose_next_response(self) -> None:
        """The next write applies, then raises LedgerWriteFailed (its answer was lost)."""
        self.fake.lose_response_after_writes = self.fake.writes
