"""The sync engine of one connector account: five passes over one shared runner.

Incoming refunds (``run``, :mod:`._incoming`), outgoing refunds made in NetSuite
(``run_outgoing``, NSC-6..8, :mod:`._outgoing`), processor payouts (``run_payouts``,
STC-11..13, :mod:`._payouts`) and a retry of the dead letters (``retry``, :mod:`._retry`) share
one journalled apply (:mod:`._apply`); ``reconcile`` (:mod:`._reconcile`) only reads. Each pass
has an ``async`` form and a synchronous one that runs it in its own event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

import refund_core as rc

from . import _incoming, _outgoing, _payouts
from ._config import EngineConfig, StopRequest
from ._dry_run import DryRunJournal
from ._reconcile import reconcile
from ._results import Progress, ReconciliationReport, RunSummary
from ._retry import run_retry
from ._runner import Runner

__all__ = ["SyncEngine"]


class SyncEngine:
    """Runs the syncs of one connector account.

    Collaborators are injected, and each pass needs only its own: ``source`` for the incoming
    pass and the reconciliation, ``storefront`` for the outgoing pass, ``payouts`` for the payout
    pass. ``on_outcome``, if given, sees every decision (for a live report). The engine retries
    nothing itself (the adapters' HTTP layer does, once); it never catches ``BaseException``: a
    crash stops it where it stands and the journal lets the next run resume.
    """

    def __init__(
        self,
        *,
        account: rc.ConnectorAccount,
        policy: rc.Policy,
        ledger: rc.Ledger,
        journal: rc.Journal,
        source: rc.RefundSource | None = None,
        storefront: rc.Storefront | None = None,
        payouts: rc.PayoutSource | None = None,
        config: EngineConfig | None = None,
        owner: str = "refund-sync",
        on_outcome: Callable[[rc.Outcome], None] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        stop: StopRequest | None = None,
    ) -> None:
        config = config or EngineConfig()
        self._run = Runner(
            account=account,
            policy=policy,
            ledger=ledger,
            journal=DryRunJournal(journal) if config.dry_run else journal,
            source=source,
            storefront=storefront,
            payouts=payouts,
            config=config,
            owner=owner,
            on_outcome=on_outcome,
            on_progress=on_progress,
            stop=stop or StopRequest(),
        )

    @property
    def warnings(self) -> tuple[str, ...]:
        """Configuration warnings (NSC-10), e.g. a cart synced incoming."""
        return self._run.review.warnings

    @property
    def stream(self) -> str:
        """The journal stream the incoming cursor lives in."""
        return _incoming.stream_of(self._run)

    @property
    def outgoing_stream(self) -> str:
        """The journal stream of the outgoing pass (the ledger is the source)."""
        return _outgoing.stream_of(self._run)

    @property
    def payout_stream(self) -> str:
        """The journal stream the payout cursor lives in."""
        return _payouts.stream_of(self._run)

    def run(self, start: datetime) -> RunSummary:
        """Synchronous entry point: one incoming pass from the journal's cursor (or ``start``)."""
        return asyncio.run(self.run_async(start))

    async def run_async(self, start: datetime) -> RunSummary:
        """One pass over every incoming event since the cursor, minus the overlap window.

        While one page's writes drain, the next page is listed and loaded; the cursor moves
        past a page only once all of it (and every page before it) is finished. Working memory
        holds two pages, however many events a pass reads.
        """
        return await _incoming.run_incoming(self._run, start)

    def run_outgoing(self, start: datetime) -> RunSummary:
        """Synchronous entry point: send every unsynced NetSuite refund to the storefront."""
        return asyncio.run(self.run_outgoing_async(start))

    async def run_outgoing_async(self, start: datetime) -> RunSummary:
        """One outgoing pass: credit memos and cash refunds made in NetSuite go to the storefront.

        The whole listing is read before anything is sent, since marking records synced shrinks
        it under an offset-paged listing. Records may have no creation time, so the cursor stays
        at ``start``; deduplication is by each record's journal state.
        """
        return await _outgoing.run_outgoing(self._run, start)

    def run_payouts(self, start: datetime) -> RunSummary:
        """Synchronous entry point: one payout pass from the journal's cursor (or ``start``)."""
        return asyncio.run(self.run_payouts_async(start))

    async def run_payouts_async(self, start: datetime) -> RunSummary:
        """One pass over every payout since the cursor: each becomes one deposit (STC-12)."""
        return await _payouts.run_payouts(self._run, start)

    def retry(self) -> RunSummary:
        """Synchronous entry point: decide every dead letter again."""
        return asyncio.run(self.retry_async())

    async def retry_async(self) -> RunSummary:
        """Decide every dead letter again against the ledger as it is now.

        A letter that now succeeds is resolved and its event marked done; one still failing is
        set aside again, its attempts counted up. A letter holding an item its source could not
        read has no event to decide: it stays until the source delivers the item readable.
        """
        return await run_retry(self._run)

    def reconcile(self, since: datetime, until: datetime) -> ReconciliationReport:
        """Synchronous entry point of :meth:`reconcile_async`."""
        return asyncio.run(self.reconcile_async(since, until))

    async def reconcile_async(self, since: datetime, until: datetime) -> ReconciliationReport:
        """Compare the source's succeeded refunds created in ``[since, until)`` with the ledger.

        Reads only: one ledger load per source page, nothing written, nothing journalled.
        """
        return await reconcile(self._run, since, until)
