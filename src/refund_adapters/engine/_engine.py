"""One incoming sync pass: page, deduplicate, read the batch at once, plan, apply, journal.

Crash safety rests on three facts. Plans are deterministic (same input, same external IDs), so a
rerun plans the same writes. Every write is journalled before and after, and a write begun but
not completed is resolved by looking its external ID up in the ledger before writing again (the
response may have been lost). Decisions plan against the ledger without the event's own records,
so whatever part of a plan already happened is dropped from the replanned one.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import TypeVar

import attrs

import refund_core as rc

__all__ = ["EngineConfig", "RunSummary", "SyncEngine", "TransientError"]

log = logging.getLogger("refund_sync.engine")

Sleep = Callable[[float], Awaitable[None]]
_T = TypeVar("_T")


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


@attrs.frozen
class RunSummary:
    """What a run did, for the end-of-run report."""

    events_seen: int = 0
    duplicates: int = 0
    planned: int = 0
    writes_created: int = 0
    writes_repeated: int = 0
    already_synced: int = 0
    skipped: int = 0
    unsupported: int = 0
    dead_lettered: int = 0
    warnings: tuple[str, ...] = ()
    elapsed_s: float = 0.0


@attrs.define
class _Tally:
    events_seen: int = 0
    duplicates: int = 0
    planned: int = 0
    writes_created: int = 0
    writes_repeated: int = 0
    already_synced: int = 0
    skipped: int = 0
    unsupported: int = 0
    dead_lettered: int = 0


def _event_time(event: rc.SourceEvent) -> datetime:
    return event.created_at if isinstance(event, rc.RefundEvent) else event.failed_at


def _conflict_key(event: rc.SourceEvent) -> str:
    # Events touching the same payment or order must be decided one after the other.
    if isinstance(event, rc.PaymentFailure):
        return f"pay:{event.payment_ref}"
    if event.payment_ref is not None:
        return f"pay:{event.payment_ref}"
    return f"order:{event.order_ref}"


class SyncEngine:
    """Runs incoming syncs for one connector account.

    Collaborators are injected; ``sleep`` is a parameter so tests record backoff instead of
    waiting. The engine never catches ``BaseException``: a crash stops it where it stands and the
    journal lets the next run resume.
    """

    def __init__(
        self,
        *,
        account: rc.ConnectorAccount,
        policy: rc.Policy,
        source: rc.RefundSource,
        ledger: rc.Ledger,
        journal: rc.Journal,
        config: EngineConfig | None = None,
        sleep: Sleep = asyncio.sleep,
        owner: str = "refund-sync",
    ) -> None:
        self._review = rc.review_account(account)  # NSC-9: refuse both directions up front
        if self._review.direction is not rc.Direction.INCOMING:
            raise rc.ConfigurationError(
                f"account {account.account_id} syncs {self._review.direction.value}; "
                "this engine pass is for incoming refunds"
            )
        self._account = account
        self._policy = policy
        self._source = source
        self._ledger = ledger
        self._journal = journal
        self._config = config or EngineConfig()
        self._sleep = sleep
        self._owner = owner
        self._limit = asyncio.Semaphore(self._config.ledger_concurrency)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Configuration warnings (NSC-10), e.g. a cart synced incoming."""
        return self._review.warnings

    @property
    def stream(self) -> str:
        """The journal stream this engine's cursor lives in."""
        return f"{self._account.account_id}:{self._source.name}:incoming"

    def run(self, start: datetime) -> RunSummary:
        """Synchronous entry point: one pass from the journal's cursor (or ``start``)."""
        return asyncio.run(self.run_async(start))

    async def run_async(self, start: datetime) -> RunSummary:
        """One pass over every event since the cursor, minus the overlap window."""
        began = time.monotonic()
        tally = _Tally()
        self._journal.acquire(self._owner)
        try:
            since = self._journal.get_cursor(self.stream) or start
            token: str | None = None
            fetch_from = since - self._config.overlap
            seen: set[rc.SourceKey] = set()
            while True:
                page = await self._source.list_events(
                    since=fetch_from, page_token=token, limit=self._config.page_size
                )
                await self._process_page(page.items, seen, tally)
                if page.items:
                    newest = max(_event_time(event) for event in page.items)
                    self._journal.set_cursor(self.stream, max(newest, since))
                if page.next_token is None:
                    break
                token = page.next_token
        finally:
            self._journal.release(self._owner)
        return RunSummary(
            **attrs.asdict(tally),
            warnings=self.warnings,
            elapsed_s=time.monotonic() - began,
        )

    async def _process_page(
        self, events: Iterable[rc.SourceEvent], seen: set[rc.SourceKey], tally: _Tally
    ) -> None:
        fresh: list[rc.SourceEvent] = []
        for event in events:
            tally.events_seen += 1
            state = self._journal.event_state(event.key)
            if event.key in seen or state in (rc.EventState.DONE, rc.EventState.DEAD):
                tally.duplicates += 1
                continue
            seen.add(event.key)
            fresh.append(event)
        if not fresh:
            return
        snapshot = await self._ledger.load(_query(fresh))
        groups: dict[str, list[rc.SourceEvent]] = {}
        for event in fresh:
            groups.setdefault(_conflict_key(event), []).append(event)
        await asyncio.gather(
            *(self._process_group(group, snapshot, tally) for group in groups.values())
        )

    async def _process_group(
        self, events: list[rc.SourceEvent], snapshot: rc.LedgerSnapshot, tally: _Tally
    ) -> None:
        for event in events:
            snapshot = await self._process_event(event, snapshot, tally)

    async def _process_event(
        self, event: rc.SourceEvent, snapshot: rc.LedgerSnapshot, tally: _Tally
    ) -> rc.LedgerSnapshot:
        key = event.key
        self._journal.mark_event(key, rc.EventState.IN_PROGRESS)
        try:
            outcome = rc.decide(event, snapshot, self._account.settings, self._policy)
        except rc.InvalidInputError as exc:
            self._dead_letter(event, "invalid_input", str(exc), tally)
            return snapshot
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

    def _dead_letter(self, event: rc.SourceEvent, code: str, message: str, tally: _Tally) -> None:
        tally.dead_lettered += 1
        self._journal.add_dead_letter(
            event.key, code=code, message=message, payload=rc.dumps(event)
        )
        self._journal.mark_event(event.key, rc.EventState.DEAD, code=code)
        log.info("dead-lettered %s: %s", event.key, code)

    async def _apply(
        self, plan: rc.Plan, snapshot: rc.LedgerSnapshot, tally: _Tally
    ) -> rc.LedgerSnapshot:
        key = plan.key
        done = self._journal.completed_actions(key)
        pending = self._journal.pending_actions(key)
        for action in plan.actions:
            if not isinstance(action, _LEDGER_ACTIONS):
                continue  # storefront actions belong to the outgoing pass
            if action.external_id in done:
                snapshot = rc.apply_action(snapshot, action)
                continue
            if action.external_id in pending:
                # The response of an earlier attempt may have been lost: look before writing.
                found = await self._with_retry(
                    functools.partial(self._ledger.find_by_external_id, action.external_id)
                )
                if found is not None:
                    self._journal.complete_action(key, action.external_id, found)
                    tally.writes_repeated += 1
                    snapshot = rc.apply_action(snapshot, action)
                    continue
            self._journal.begin_action(key, action.external_id)
            receipt = await self._with_retry(functools.partial(self._ledger.write, action))
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
