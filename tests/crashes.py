"""Crash injection for engine tests: targets whose Nth write kills the run.

:class:`Crash` counts the writes of every wrapped target together; at write ``at`` it raises
:class:`SimulatedCrash` (a ``BaseException``, as a dying process is not an error the engine may
catch), either before the write or after it took effect, its response lost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import refund_core as rc
from refund_core.testing import FakeLedger, FakeStorefront

__all__ = ["Crash", "CrashingLedger", "CrashingStorefront", "SimulatedCrash"]

T = TypeVar("T")


class SimulatedCrash(BaseException):
    """A process dying mid-run: not an error the engine may catch."""


class Crash:
    """Counts writes to every target together; write ``at`` (None: never) kills the run."""

    def __init__(self, at: int | None, *, after_apply: bool) -> None:
        self.at = at
        self.after_apply = after_apply
        self.writes = 0
        self.crashed_on: str | None = None

    async def hit(self, write: Callable[[], Awaitable[T]], target: str = "ledger") -> T:
        """Perform a write, or crash before it (or after it, losing its response)."""
        self.writes += 1
        if self.writes == self.at:
            self.crashed_on = target
            if self.after_apply:
                await write()
            raise SimulatedCrash
        return await write()


class CrashingLedger:
    """A FakeLedger whose writes go through a shared :class:`Crash`."""

    def __init__(self, inner: FakeLedger, crash: Crash) -> None:
        self.inner = inner
        self.crash = crash

    async def load(self, query: rc.LedgerQuery) -> rc.LedgerSnapshot:
        """Reads pass through."""
        return await self.inner.load(query)

    async def write(self, action: rc.LedgerAction) -> rc.WriteReceipt:
        """Writes may crash."""
        return await self.crash.hit(lambda: self.inner.write(action))

    async def find_by_external_id(self, external_id: str) -> str | None:
        """Lookups pass through."""
        return await self.inner.find_by_external_id(external_id)

    async def list_unsynced_refunds(self, **kwargs: object) -> rc.Page[str]:
        """Listings pass through."""
        return await self.inner.list_unsynced_refunds(**kwargs)  # type: ignore[arg-type]


class CrashingStorefront:
    """A FakeStorefront whose writes go through a shared :class:`Crash`."""

    def __init__(self, inner: FakeStorefront, crash: Crash) -> None:
        self.inner = inner
        self.crash = crash

    @property
    def capabilities(self) -> rc.StorefrontCapabilities:
        """The wrapped storefront's capabilities."""
        return self.inner.capabilities

    async def issue_refund(self, action: rc.IssueStorefrontRefund) -> rc.WriteReceipt:
        """Refunds may crash."""
        return await self.crash.hit(lambda: self.inner.issue_refund(action), "storefront")

    async def issue_store_credit(self, action: rc.IssueStoreCredit) -> rc.WriteReceipt:
        """Store credit may crash."""
        return await self.crash.hit(lambda: self.inner.issue_store_credit(action), "storefront")
