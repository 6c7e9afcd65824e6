"""What every pass of one account shares: collaborators, limits, the journal lock, stop, progress.

A :class:`Runner` is made once per :class:`~refund_adapters.engine.SyncEngine`; each pass takes
the journal with :meth:`Runner.holding`, reads through :meth:`Runner.read` and reports with
:meth:`Runner.report`. Writes are bounded per target (``ledger_concurrency``,
``storefront_concurrency``); ledger reads count against the ledger's bound.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from typing import TypeVar

import attrs

import refund_core as rc

from .._pacing import ConcurrencyLimiter
from ._config import GROUPS_PER_SLOT, EngineConfig, StopRequest, SyncStopped
from ._results import Progress, RunSummary, Tally

__all__ = ["Runner"]

_T = TypeVar("_T")


class Runner:
    """The collaborators and shared state of one account's passes (see the module)."""

    def __init__(
        self,
        *,
        account: rc.ConnectorAccount,
        policy: rc.Policy,
        ledger: rc.Ledger,
        journal: rc.Journal,
        source: rc.RefundSource | None,
        storefront: rc.Storefront | None,
        payouts: rc.PayoutSource | None,
        config: EngineConfig,
        owner: str,
        on_outcome: Callable[[rc.Outcome], None] | None,
        on_progress: Callable[[Progress], None] | None,
        stop: StopRequest,
    ) -> None:
        self.review = rc.review_account(account)  # NSC-9: refuse both directions up front
        self.account = account
        self.policy = policy
        self.ledger = ledger
        self.journal = journal
        self.source = source
        self.storefront = storefront
        self.payouts = payouts
        self.config = config
        self.owner = owner
        self.on_outcome = on_outcome
        self.on_progress = on_progress
        self.stop = stop
        # Loop-safe: each asyncio.run of a sync entry point gets fresh semaphores.
        self.ledger_limit = ConcurrencyLimiter(config.ledger_concurrency)
        self.storefront_limit = ConcurrencyLimiter(config.storefront_concurrency)
        self.group_slots = ConcurrencyLimiter(
            GROUPS_PER_SLOT * (config.ledger_concurrency + config.storefront_concurrency)
        )

    # -- what a pass needs ----------------------------------------------------------------------

    def need_direction(self, direction: rc.Direction) -> None:
        """Refuse a pass for the direction the account does not sync."""
        if self.review.direction is not direction:
            raise rc.ConfigurationError(
                f"account {self.account.account_id} syncs {self.review.direction.value}; "
                f"this pass is for {direction.value} refunds"
            )

    def need_source(self) -> rc.RefundSource:
        """The refund source, or a configuration error saying the pass needs one."""
        if self.source is None:
            raise rc.ConfigurationError("this pass needs a refund source; none was given")
        return self.source

    def need_storefront(self) -> rc.Storefront:
        """The storefront, or a configuration error saying the pass needs one."""
        if self.storefront is None:
            raise rc.ConfigurationError("this pass needs a storefront; none was given")
        return self.storefront

    def need_payouts(self) -> rc.PayoutSource:
        """The payout source, or a configuration error saying the pass needs one."""
        if self.payouts is None:
            raise rc.ConfigurationError("this pass needs a payout source; none was given")
        return self.payouts

    @contextlib.contextmanager
    def holding(self) -> Iterator[None]:
        """Hold the journal for a pass: one live run per journal, given back however it ends."""
        self.journal.acquire(self.owner)
        try:
            yield
        finally:
            self.journal.release(self.owner)

    # -- stop and progress --------------------------------------------------------------------

    def stopping(self) -> bool:
        """Whether a stop was asked for (a call: it may be asked for at any await)."""
        return self.stop.requested

    def stopped(self) -> SyncStopped:
        """The error a pass ends with when it stopped on request."""
        return SyncStopped(
            f"stopped ({self.stop.reason}): the writes under way finished and are journalled; "
            "the next run resumes where this one stopped"
        )

    def report(
        self, pass_name: str, start: datetime | None, position: datetime | None, tally: Tally
    ) -> None:
        """Tell ``on_progress`` where the pass stands."""
        if self.on_progress is not None:
            self.on_progress(
                Progress(
                    pass_name=pass_name,
                    started_from=start,
                    position=position,
                    events_seen=tally.events_seen,
                    planned=tally.planned,
                    dead_lettered=tally.dead_lettered,
                )
            )

    def summary(self, tally: Tally, began: float) -> RunSummary:
        """The pass's counters, the account's warnings and the time it took."""
        return RunSummary(
            **attrs.asdict(tally),
            warnings=self.review.warnings,
            elapsed_s=time.monotonic() - began,
        )

    # -- calls to the collaborators -------------------------------------------------------------

    async def read(
        self, call: Callable[[], Awaitable[_T]], limiter: ConcurrencyLimiter | None
    ) -> _T:
        """A read outside any one event (a listing, a page's load), holding a slot of ``limiter``.

        ``limiter`` is the ledger's for ledger reads, ``None`` for a source's listing. Nothing
        is retried here: the adapter's HTTP layer already did (the one retry policy); an error
        that comes out stops the pass, whose cursor has not moved past the page.
        """
        return await self.call(call, limiter)

    @staticmethod
    async def call(call: Callable[[], Awaitable[_T]], limiter: ConcurrencyLimiter | None) -> _T:
        """Call, holding a slot of ``limiter`` (when one is given)."""
        if limiter is None:
            return await call()
        async with limiter:
            return await call()
