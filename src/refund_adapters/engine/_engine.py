"""The sync passes: page, deduplicate, read the batch at once, plan, apply, journal.

Four passes share one journalled apply: incoming refunds (``run``), outgoing refunds made in
NetSuite (``run_outgoing``, NSC-6..8), processor payouts (``run_payouts``, STC-11..13), and a
retry of the dead letters (``retry``). ``reconcile`` only reads: it compares a source's refunds
over a range with what the ledger holds for them.

Crash safety rests on three facts. Plans are deterministic (same input, same external IDs), so a
rerun plans the same writes. Every write is journalled before and after, and a write begun but
not completed is resolved by looking its external ID up in the ledger before writing again (the
response may have been lost). Decisions plan against the ledger without the event's own records,
so whatever part of a plan already happened is dropped from the replanned one.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import attrs

import refund_core as rc

from .._http import ConcurrencyLimiter

__all__ = [
    "EngineConfig",
    "Progress",
    "ReconciliationReport",
    "RunSummary",
    "SyncEngine",
    "TransientError",
]

log = logging.getLogger("refund_sync.engine")

Sleep = Callable[[float], Awaitable[None]]
_T = TypeVar("_T")
_E = TypeVar("_E", bound=rc.ScenarioEvent)


class TransientError(rc.RefundSyncError, ConnectionError):
    """A failure worth retrying (timeouts, 429, 5xx); adapters raise it or a ConnectionError."""


@attrs.frozen
class EngineConfig:
    """Knobs of a run. The defaults suit a NetSuite account concurrency limit of 5."""

    page_size: int = 100
    overlap: timedelta = timedelta(minutes=10)
    ledger_concurrency: int = 5
    max_attempts: int = 4
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    #: Decide and report, but write nothing anywhere: no ledger or storefront writes, and the
    #: journal is only read (what a run would record is kept in memory for the run).
    dry_run: bool = False


@attrs.define
class _Tally:
    """The counters of a run, counted as it goes; frozen into a :class:`RunSummary` at the end."""

    events_seen: int = 0
    duplicates: int = 0
    planned: int = 0
    writes_created: int = 0
    writes_repeated: int = 0
    already_synced: int = 0
    skipped: int = 0
    unsupported: int = 0
    dead_lettered: int = 0
    manual_actions: int = 0
    resolved: int = 0


@attrs.frozen
class RunSummary(_Tally):
    """What a run did, for the end-of-run report: the counters, warnings and elapsed time."""

    warnings: tuple[str, ...] = ()
    elapsed_s: float = 0.0


@attrs.frozen
class Progress:
    """Where a pass stands, reported after every page: for progress bars and log lines.

    ``position`` is the newest event time read so far (None for passes without one); with the
    pass's start time and the current time it gives the fraction done.
    """

    pass_name: str
    started_from: datetime | None
    position: datetime | None
    events_seen: int
    planned: int
    dead_lettered: int


@attrs.frozen
class ReconciliationReport:
    """Where a source's refunds over a range and the ledger disagree.

    ``missing``: succeeded source refunds with no ledger record for their source key.
    ``extra``: external IDs of ledger records made for this source, dated in the range, whose
    event the source does not know (records without a creation date are never reported).
    ``mismatched``: (source key, source amount, ledger total) where the totals differ; the ledger
    total is the customer refunds under the Stripe policy, credit memos plus cash refunds under
    the NetSuite Connector policy.
    """

    missing: tuple[rc.SourceKey, ...] = ()
    extra: tuple[str, ...] = ()
    mismatched: tuple[tuple[rc.SourceKey, rc.Money, rc.Money], ...] = ()

    @property
    def is_clean(self) -> bool:
        """Whether the source and the ledger agree."""
        return not (self.missing or self.extra or self.mismatched)


def _event_time(event: rc.SourceEvent) -> datetime:
    return event.created_at if isinstance(event, rc.RefundEvent) else event.failed_at


def _reports_failure(event: object) -> bool:
    # A refund that fails after it was synced comes back under its done key; the core reverses
    # it (IDM-3), and a repeated delivery is then already synced (IDM-2).
    return isinstance(event, rc.RefundEvent) and event.status is rc.RefundStatus.FAILED


def _conflict_key(event: rc.SourceEvent) -> str:
    # Events touching the same payment or order must be decided one after the other.
    if isinstance(event, rc.PaymentFailure):
        return f"pay:{event.payment_ref}"
    if event.payment_ref is not None:
        return f"pay:{event.payment_ref}"
    return f"order:{event.order_ref}"


class SyncEngine:
    """Runs the syncs of one connector account.

    Collaborators are injected, and each pass needs only its own: ``source`` for the incoming
    pass and the reconciliation, ``storefront`` for the outgoing pass, ``payouts`` for the payout
    pass. ``on_outcome``, if given, sees every decision (for a live report). ``sleep`` is a
    parameter so tests record backoff instead of waiting. The engine never catches
    ``BaseException``: a crash stops it where it stands and the journal lets the next run resume.
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
        sleep: Sleep = asyncio.sleep,
        owner: str = "refund-sync",
        on_outcome: Callable[[rc.Outcome], None] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self._review = rc.review_account(account)  # NSC-9: refuse both directions up front
        self._account = account
        self._policy = policy
        self._source = source
        self._storefront = storefront
        self._payouts = payouts
        self._ledger = ledger
        self._config = config or EngineConfig()
        self._journal: rc.Journal = _DryRunJournal(journal) if self._config.dry_run else journal
        self._sleep = sleep
        self._owner = owner
        self._on_outcome = on_outcome
        self._on_progress = on_progress
        # Loop-safe: each asyncio.run of a sync entry point gets a fresh semaphore.
        self._limit = ConcurrencyLimiter(self._config.ledger_concurrency)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Configuration warnings (NSC-10), e.g. a cart synced incoming."""
        return self._review.warnings

    @property
    def stream(self) -> str:
        """The journal stream the incoming cursor lives in."""
        return f"{self._account.account_id}:{self._need_source().name}:incoming"

    @property
    def outgoing_stream(self) -> str:
        """The journal stream of the outgoing pass (the ledger is the source)."""
        return f"{self._account.account_id}:ledger:outgoing"

    @property
    def payout_stream(self) -> str:
        """The journal stream the payout cursor lives in."""
        return f"{self._account.account_id}:{self._need_payouts().name}:payouts"

    def _need_direction(self, direction: rc.Direction) -> None:
        if self._review.direction is not direction:
            raise rc.ConfigurationError(
                f"account {self._account.account_id} syncs {self._review.direction.value}; "
                f"this pass is for {direction.value} refunds"
            )

    def _need_source(self) -> rc.RefundSource:
        if self._source is None:
            raise rc.ConfigurationError("this pass needs a refund source; none was given")
        return self._source

    def _need_storefront(self) -> rc.Storefront:
        if self._storefront is None:
            raise rc.ConfigurationError("this pass needs a storefront; none was given")
        return self._storefront

    def _need_payouts(self) -> rc.PayoutSource:
        if self._payouts is None:
            raise rc.ConfigurationError("this pass needs a payout source; none was given")
        return self._payouts

    def _report(
        self, pass_name: str, start: datetime | None, position: datetime | None, tally: _Tally
    ) -> None:
        if self._on_progress is not None:
            self._on_progress(
                Progress(
                    pass_name=pass_name,
                    started_from=start,
                    position=position,
                    events_seen=tally.events_seen,
                    planned=tally.planned,
                    dead_lettered=tally.dead_lettered,
                )
            )

    def _summary(self, tally: _Tally, began: float) -> RunSummary:
        return RunSummary(
            **attrs.asdict(tally),
            warnings=self.warnings,
            elapsed_s=time.monotonic() - began,
        )

    # ------------------------------------------------------------------------------------------
    # Incoming
    # ------------------------------------------------------------------------------------------

    def run(self, start: datetime) -> RunSummary:
        """Synchronous entry point: one incoming pass from the journal's cursor (or ``start``)."""
        return asyncio.run(self.run_async(start))

    async def run_async(self, start: datetime) -> RunSummary:
        """One pass over every incoming event since the cursor, minus the overlap window."""
        self._need_direction(rc.Direction.INCOMING)
        source = self._need_source()
        stream = self.stream
        began = time.monotonic()
        tally = _Tally()
        self._journal.acquire(self._owner)
        try:
            since = self._journal.get_cursor(stream) or start
            token: str | None = None
            fetch_from = since - self._config.overlap
            while True:
                page = await source.list_events(
                    since=fetch_from, page_token=token, limit=self._config.page_size
                )
                # Duplicates within a page are caught here; across pages by the journal, since
                # every event of a page is done or dead-lettered before the next is fetched.
                # So memory stays flat however many events a run reads.
                await self._process_page(page.items, set(), tally)
                newest: datetime | None = None
                if page.items:
                    newest = max(_event_time(event) for event in page.items)
                    self._journal.set_cursor(stream, max(newest, since))
                self._report("incoming", since, newest, tally)
                if page.next_token is None:
                    break
                token = page.next_token
        finally:
            self._journal.release(self._owner)
        return self._summary(tally, began)

    def _fresh(self, events: Iterable[_E], seen: set[rc.SourceKey], tally: _Tally) -> list[_E]:
        fresh: list[_E] = []
        for event in events:
            tally.events_seen += 1
            state = self._journal.event_state(event.key)
            if state is rc.EventState.DONE and _reports_failure(event):
                state = None  # news about a done event: decide it again (a repeat plans nothing)
            if event.key in seen or state in (rc.EventState.DONE, rc.EventState.DEAD):
                tally.duplicates += 1
                continue
            seen.add(event.key)
            fresh.append(event)
        return fresh

    async def _process_page(
        self, events: Iterable[rc.SourceEvent], seen: set[rc.SourceKey], tally: _Tally
    ) -> None:
        fresh = self._fresh(events, seen, tally)
        if not fresh:
            return
        snapshot = await self._load(_query(fresh))
        groups: dict[str, list[rc.SourceEvent]] = {}
        for event in fresh:
            groups.setdefault(_conflict_key(event), []).append(event)
        await asyncio.gather(
            *(self._process_group(group, snapshot, tally) for group in groups.values())
        )

    async def _process_group(
        self, events: Iterable[rc.ScenarioEvent], snapshot: rc.LedgerSnapshot, tally: _Tally
    ) -> None:
        for event in events:
            snapshot = await self._process_event(event, snapshot, tally)

    # ------------------------------------------------------------------------------------------
    # Outgoing (NSC-6..8)
    # ------------------------------------------------------------------------------------------

    def run_outgoing(self, start: datetime) -> RunSummary:
        """Synchronous entry point: send every unsynced NetSuite refund to the storefront."""
        return asyncio.run(self.run_outgoing_async(start))

    async def run_outgoing_async(self, start: datetime) -> RunSummary:
        """One outgoing pass: credit memos and cash refunds made in NetSuite go to the storefront.

        The whole listing is read before anything is sent, since marking records synced shrinks
        it under an offset-paged listing. Records may have no creation time, so the cursor stays
        at ``start``; deduplication is by each record's journal state.
        """
        self._need_direction(rc.Direction.OUTGOING)
        self._need_storefront()
        began = time.monotonic()
        tally = _Tally()
        self._journal.acquire(self._owner)
        try:
            since = self._journal.get_cursor(self.outgoing_stream) or start
            fetch_from = since - self._config.overlap
            record_ids: list[str] = []
            token: str | None = None
            while True:
                page = await self._with_retry(
                    functools.partial(
                        self._ledger.list_unsynced_refunds,
                        since=fetch_from,
                        page_token=token,
                        limit=self._config.page_size,
                    )
                )
                record_ids.extend(page.items)
                if page.next_token is None:
                    break
                token = page.next_token
            seen: set[rc.SourceKey] = set()
            size = self._config.page_size
            for offset in range(0, len(record_ids), size):
                batch = [rc.OutgoingRefund(rid) for rid in record_ids[offset : offset + size]]
                fresh = self._fresh(batch, seen, tally)
                if not fresh:
                    continue
                snapshot = await self._load(
                    rc.LedgerQuery(record_ids=frozenset(e.record_id for e in fresh))
                )
                # Refunds of one order share its tenders (NSC-8): decide them one by one.
                await self._process_group(fresh, snapshot, tally)
                self._report("outgoing", None, None, tally)
        finally:
            self._journal.release(self._owner)
        return self._summary(tally, began)

    # ------------------------------------------------------------------------------------------
    # Payouts (STC-11..13)
    # ------------------------------------------------------------------------------------------

    def run_payouts(self, start: datetime) -> RunSummary:
        """Synchronous entry point: one payout pass from the journal's cursor (or ``start``)."""
        return asyncio.run(self.run_payouts_async(start))

    async def run_payouts_async(self, start: datetime) -> RunSummary:
        """One pass over every payout since the cursor: each becomes one deposit (STC-12)."""
        payouts = self._need_payouts()
        stream = self.payout_stream
        began = time.monotonic()
        tally = _Tally()
        self._journal.acquire(self._owner)
        try:
            since = self._journal.get_cursor(stream) or start
            fetch_from = since - self._config.overlap
            token: str | None = None
            while True:
                page = await payouts.list_payouts(
                    since=fetch_from, page_token=token, limit=self._config.page_size
                )
                fresh = self._fresh(page.items, set(), tally)  # across pages: the journal
                if fresh:
                    snapshot = await self._load(_payout_query(fresh))
                    await self._process_group(fresh, snapshot, tally)
                newest: datetime | None = None
                if page.items:
                    newest = max(payout.arrival_at for payout in page.items)
                    self._journal.set_cursor(stream, max(newest, since))
                self._report("payouts", since, newest, tally)
                if page.next_token is None:
                    break
                token = page.next_token
        finally:
            self._journal.release(self._owner)
        return self._summary(tally, began)

    # ------------------------------------------------------------------------------------------
    # Dead letters
    # ------------------------------------------------------------------------------------------

    def retry(self) -> RunSummary:
        """Synchronous entry point: decide every dead letter again."""
        return asyncio.run(self.retry_async())

    async def retry_async(self) -> RunSummary:
        """Decide every dead letter again against the ledger as it is now.

        A letter that now succeeds is resolved and its event marked done; one still failing is
        set aside again, its attempts counted up.
        """
        began = time.monotonic()
        tally = _Tally()
        self._journal.acquire(self._owner)
        try:
            for letter in self._journal.dead_letters():
                event = _load_payload(letter.payload)
                if not self._handles(event):
                    continue  # another account's or pass's letter: its own engine retries it
                tally.events_seen += 1
                snapshot = await self._load(_query_for(event))
                await self._process_event(event, snapshot, tally)
                if self._journal.event_state(event.key) is rc.EventState.DONE:
                    self._journal.resolve_dead_letter(event.key)
                    tally.resolved += 1
                    log.info("dead letter %s resolved", event.key)
        finally:
            self._journal.release(self._owner)
        return self._summary(tally, began)

    def _handles(self, event: rc.ScenarioEvent) -> bool:
        """Whether this engine's collaborators are the ones that produced ``event``."""
        if isinstance(event, rc.OutgoingRefund):
            return self._storefront is not None
        if isinstance(event, rc.Payout):
            return self._payouts is not None and self._payouts.name == event.source
        return self._source is not None and self._source.name == event.source

    # ------------------------------------------------------------------------------------------
    # Reconciliation
    # ------------------------------------------------------------------------------------------

    def reconcile(self, since: datetime, until: datetime) -> ReconciliationReport:
        """Synchronous entry point of :meth:`reconcile_async`."""
        return asyncio.run(self.reconcile_async(since, until))

    async def reconcile_async(self, since: datetime, until: datetime) -> ReconciliationReport:
        """Compare the source's succeeded refunds created in ``[since, until)`` with the ledger.

        Reads only: one ledger load per source page, nothing written, nothing journalled.
        """
        source = self._need_source()
        known: set[rc.SourceKey] = set()
        checked: set[rc.SourceKey] = set()
        missing: list[rc.SourceKey] = []
        mismatched: list[tuple[rc.SourceKey, rc.Money, rc.Money]] = []
        candidates: dict[str, rc.SourceKey] = {}
        token: str | None = None
        while True:
            page = await source.list_events(
                since=since, page_token=token, limit=self._config.page_size
            )
            known.update(event.key for event in page.items)
            refunds = [
                event
                for event in page.items
                if isinstance(event, rc.RefundEvent)
                and event.status is rc.RefundStatus.SUCCEEDED
                and since <= event.created_at < until
                and event.key not in checked
            ]
            checked.update(event.key for event in refunds)
            if refunds:
                snapshot = await self._load(_query(refunds))
                for event in refunds:
                    records = _records_for(snapshot, event.key)
                    if not records:
                        missing.append(event.key)
                        continue
                    total = self._ledger_total(snapshot, event.key, event.amount.currency)
                    if total != event.amount:
                        mismatched.append((event.key, event.amount, total))
                for record in _records_of(snapshot):
                    if (
                        record.source is not None
                        and record.source.source == source.name
                        and record.created_at is not None
                        and since <= record.created_at < until
                    ):
                        candidates[record.external_id or record.internal_id] = record.source
            if page.next_token is None:
                break
            token = page.next_token
        extra = sorted(ext for ext, key in candidates.items() if key not in known)
        return ReconciliationReport(
            missing=tuple(missing), extra=tuple(extra), mismatched=tuple(mismatched)
        )

    def _ledger_total(
        self, snapshot: rc.LedgerSnapshot, key: rc.SourceKey, currency: rc.Currency
    ) -> rc.Money:
        records: Iterable[rc.CreditMemo | rc.CashRefund | rc.CustomerRefund]
        if self._policy is rc.Policy.STRIPE_CONNECTOR:
            records = (cr for cr in snapshot.customer_refunds if cr.source == key)
        else:
            records = (r for r in snapshot.refund_records() if r.source == key)
        return rc.sum_money((record.amount for record in records), currency)

    # ------------------------------------------------------------------------------------------
    # Deciding and applying one event
    # ------------------------------------------------------------------------------------------

    def _decide(self, event: rc.ScenarioEvent, snapshot: rc.LedgerSnapshot) -> rc.Outcome:
        settings = self._account.settings
        if isinstance(event, rc.OutgoingRefund):
            return rc.decide_outgoing_refund(
                event.record_id, snapshot, settings, self._need_storefront().capabilities
            )
        if isinstance(event, rc.Payout):
            return rc.decide_payout(event, snapshot, settings)
        return rc.decide(event, snapshot, settings, self._policy)

    async def _process_event(
        self, event: rc.ScenarioEvent, snapshot: rc.LedgerSnapshot, tally: _Tally
    ) -> rc.LedgerSnapshot:
        key = event.key
        self._journal.mark_event(key, rc.EventState.IN_PROGRESS)
        try:
            outcome = self._decide(event, snapshot)
        except rc.InvalidInputError as exc:
            self._dead_letter(event, "invalid_input", str(exc), tally)
            return snapshot
        if self._on_outcome is not None:
            self._on_outcome(outcome)
        if isinstance(outcome, rc.Plan):
            try:
                snapshot = await self._apply(outcome, snapshot, tally)
            except rc.InvalidInputError as exc:
                self._dead_letter(event, "write_rejected", str(exc), tally)
                return snapshot
            except _Exhausted as exc:
                self._dead_letter(event, "transient_failure", str(exc), tally)
                return snapshot
            tally.planned += 1
            for manual in outcome.manual_actions:  # NSC-8: reported, never dead-lettered
                tally.manual_actions += 1
                log.warning("manual action for %s [%s]: %s", key, manual.code, manual.message)
            self._journal.mark_event(key, rc.EventState.DONE, code="planned")
            return snapshot
        if outcome.code is rc.Reason.ALREADY_SYNCED:
            tally.already_synced += 1
            self._journal.mark_event(key, rc.EventState.DONE, code=outcome.code.value)
            return snapshot
        if isinstance(outcome, rc.Skipped):
            tally.skipped += 1
        else:
            tally.unsupported += 1
        self._dead_letter(event, outcome.code.value, outcome.message, tally)
        return snapshot

    def _dead_letter(self, event: rc.ScenarioEvent, code: str, message: str, tally: _Tally) -> None:
        tally.dead_lettered += 1
        self._journal.add_dead_letter(
            event.key, code=code, message=message, payload=_dump_payload(event)
        )
        self._journal.mark_event(event.key, rc.EventState.DEAD, code=code)
        log.info("dead-lettered %s: %s", event.key, code)

    async def _load(self, query: rc.LedgerQuery) -> rc.LedgerSnapshot:
        return await self._with_retry(functools.partial(self._ledger.load, query))

    async def _write(self, action: rc.Action) -> rc.WriteReceipt:
        if self._config.dry_run:
            return rc.WriteReceipt(
                external_id=action.external_id, record_id="dry-run", created=True
            )
        if isinstance(action, rc.IssueStorefrontRefund):
            return await self._need_storefront().issue_refund(action)
        if isinstance(action, rc.IssueStoreCredit):
            return await self._need_storefront().issue_store_credit(action)
        return await self._ledger.write(action)

    async def _apply(
        self, plan: rc.Plan, snapshot: rc.LedgerSnapshot, tally: _Tally
    ) -> rc.LedgerSnapshot:
        key = plan.key
        done = self._journal.completed_actions(key)
        pending = self._journal.pending_actions(key)
        for action in plan.actions:
            if action.external_id in done:
                snapshot = rc.apply_action(snapshot, action)
                continue
            if action.external_id in pending and isinstance(action, _LEDGER_ACTIONS):
                # The response of an earlier attempt may have been lost: look before writing.
                # (A storefront write is simply repeated: the storefront is idempotent by
                # external ID, NSC-7.)
                found = await self._with_retry(
                    functools.partial(self._ledger.find_by_external_id, action.external_id)
                )
                if found is not None:
                    self._journal.complete_action(key, action.external_id, found)
                    tally.writes_repeated += 1
                    snapshot = rc.apply_action(snapshot, action)
                    continue
            self._journal.begin_action(key, action.external_id)
            receipt = await self._with_retry(functools.partial(self._write, action))
            self._journal.complete_action(key, action.external_id, receipt.record_id)
            if receipt.created:
                tally.writes_created += 1
            else:
                tally.writes_repeated += 1
            snapshot = rc.apply_action(snapshot, action)
        return snapshot

    async def _with_retry(self, call: Callable[[], Awaitable[_T]]) -> _T:
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self._limit:
                    return await call()
            except (TransientError, ConnectionError, TimeoutError) as exc:
                if attempt >= self._config.max_attempts:
                    raise _Exhausted(f"gave up after {attempt} attempts: {exc}") from exc
                delay = min(
                    self._config.backoff_cap_s, self._config.backoff_base_s * 2 ** (attempt - 1)
                )
                log.info("transient failure (attempt %d), retrying in %.2fs", attempt, delay)
                await self._sleep(delay)


class _Exhausted(rc.RefundSyncError):
    """Retries ran out; the event is dead-lettered and stays retryable."""


_LEDGER_ACTIONS = (
    rc.CreateCreditMemo,
    rc.CreateCashRefund,
    rc.CreateCustomerRefund,
    rc.MarkPaymentFailed,
    rc.CreateRefundReversal,
    rc.CreateDeposit,
    rc.MarkRecordSynced,
)


def _query(events: Iterable[rc.SourceEvent]) -> rc.LedgerQuery:
    order_refs: set[str] = set()
    payment_refs: set[str] = set()
    sources: set[rc.SourceKey] = set()
    for event in events:
        sources.add(event.key)
        if isinstance(event, rc.PaymentFailure):
            payment_refs.add(event.payment_ref)
            continue
        if event.order_ref is not None:
            order_refs.add(event.order_ref)
        if event.payment_ref is not None:
            payment_refs.add(event.payment_ref)
    return rc.LedgerQuery(
        order_refs=frozenset(order_refs),
        payment_refs=frozenset(payment_refs),
        sources=frozenset(sources),
    )


def _payout_query(payouts: Iterable[rc.Payout]) -> rc.LedgerQuery:
    payment_refs: set[str] = set()
    sources: set[rc.SourceKey] = set()
    for payout in payouts:
        for entry in payout.entries:
            if entry.kind is rc.BalanceEntryKind.CHARGE:
                payment_refs.add(entry.source_ref)
            elif entry.kind in (rc.BalanceEntryKind.REFUND, rc.BalanceEntryKind.PAYMENT_FAILURE):
                sources.add(rc.SourceKey(payout.source, entry.source_ref))
    return rc.LedgerQuery(payment_refs=frozenset(payment_refs), sources=frozenset(sources))


def _query_for(event: rc.ScenarioEvent) -> rc.LedgerQuery:
    if isinstance(event, rc.OutgoingRefund):
        return rc.LedgerQuery(record_ids=frozenset({event.record_id}))
    if isinstance(event, rc.Payout):
        return _payout_query([event])
    return _query([event])


def _dump_payload(event: rc.ScenarioEvent) -> str:
    """The event as JSON tagged with its kind (``"type"``), so a retry can rebuild it."""
    return json.dumps(rc.converter.unstructure(event, rc.ScenarioEvent))


_UNTAGGED: tuple[type[rc.RefundEvent | rc.PaymentFailure | rc.Payout], ...] = (
    rc.RefundEvent,
    rc.PaymentFailure,
    rc.Payout,
)


def _load_payload(payload: str) -> rc.ScenarioEvent:
    """Rebuild a dead letter's event; untagged letters (written before kinds) are tried per kind."""
    data: Any = json.loads(payload)
    if isinstance(data, dict) and "type" in data:
        event: rc.ScenarioEvent = rc.converter.structure(data, rc.ScenarioEvent)  # type: ignore[arg-type]
        return event
    for kind in _UNTAGGED:
        try:
            return rc.structure(data, kind)
        except rc.DocumentError:
            continue
    raise rc.InvalidInputError(f"dead letter payload is no known event: {payload[:200]}")


def _records_of(
    snapshot: rc.LedgerSnapshot,
) -> tuple[rc.CreditMemo | rc.CashRefund | rc.CustomerRefund, ...]:
    return (*snapshot.credit_memos, *snapshot.cash_refunds, *snapshot.customer_refunds)


def _records_for(
    snapshot: rc.LedgerSnapshot, key: rc.SourceKey
) -> tuple[rc.CreditMemo | rc.CashRefund | rc.CustomerRefund, ...]:
    return tuple(record for record in _records_of(snapshot) if record.source == key)


class _DryRunJournal:
    """A journal for dry runs: reads see the real journal, writes stay in memory for the run."""

    def __init__(self, base: rc.Journal) -> None:
        self._base = base
        self._cursors: dict[str, datetime] = {}
        self._states: dict[rc.SourceKey, rc.EventState] = {}
        self._completed: dict[rc.SourceKey, set[str]] = {}
        self._begun: dict[rc.SourceKey, set[str]] = {}

    def acquire(self, owner: str) -> None:
        """A dry run takes no lock: it writes nothing a live run could trip over."""

    def release(self, owner: str) -> None:
        """Nothing to give back."""

    def get_cursor(self, stream: str) -> datetime | None:
        return self._base.get_cursor(stream)  # a dry run always starts where a live run would

    def set_cursor(self, stream: str, position: datetime) -> None:
        self._cursors[stream] = position

    def event_state(self, key: rc.SourceKey) -> rc.EventState | None:
        return self._states.get(key) or self._base.event_state(key)

    def mark_event(self, key: rc.SourceKey, state: rc.EventState, *, code: str = "") -> None:
        self._states[key] = state

    def begin_action(self, key: rc.SourceKey, external_id: str) -> None:
        self._begun.setdefault(key, set()).add(external_id)

    def complete_action(self, key: rc.SourceKey, external_id: str, record_id: str) -> None:
        self._completed.setdefault(key, set()).add(external_id)

    def completed_actions(self, key: rc.SourceKey) -> frozenset[str]:
        return self._base.completed_actions(key) | self._completed.get(key, set())

    def pending_actions(self, key: rc.SourceKey) -> frozenset[str]:
        return self._base.pending_actions(key) - self._completed.get(key, set())

    def add_dead_letter(self, key: rc.SourceKey, *, code: str, message: str, payload: str) -> None:
        self._states[key] = rc.EventState.DEAD

    def dead_letters(self) -> tuple[rc.DeadLetter, ...]:
        return self._base.dead_letters()

    def resolve_dead_letter(self, key: rc.SourceKey) -> None:
        """Resolved only for this run's reporting; the real letter stays."""
