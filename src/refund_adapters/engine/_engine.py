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

Concurrency. A page's events are split into *conflict groups*: the connected parts of a graph
whose nodes are the events, their payment and order refs and the ledger records of the page's
snapshot, linked as the records link (a payment to the invoices it is applied to, a bill to its
order, a credit to what it was made from ...). Events of one group are decided one after the
other, each on the snapshot its predecessors left, so two refunds can never both spend what one
order, payment or invoice has left (MNY-4); groups run side by side. Writes are bounded per
target (``ledger_concurrency``, ``storefront_concurrency``); ledger reads count against the
ledger's bound. While a page's writes drain, the next page is listed and loaded (prefetch), so
the targets' slots never idle between pages; a group of the new page that touches anything a
group of the previous page is still writing waits for it and reloads its snapshot. The cursor
moves page by page, in order, only past pages whose every event is finished. All tasks of a pass
live in one task group: a failure cancels the others before the pass gives the journal back.

News. A delivery of a known event is decided again when it says something new: a failure notice
about a done refund (IDM-3), or any change to a dead-lettered event (a pending refund that now
succeeded, a failure of a refund still set aside). The letter then carries the new content, so a
later retry never decides a stale one. Identical re-deliveries are duplicates.

Conflicts (IDM-4). The journal keeps the version of every done event that was synced. A later
delivery of a done refund whose amount, currency, lines, shipping, adjustment or tender split
differ is neither news to decide nor a duplicate: it is a conflict, set aside for a person with
both versions named, and nothing is written. Its retry decides it against NetSuite as it then is
(the core refuses a plan beside records of another version of the refund).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

import attrs

import refund_core as rc

from .._http import ConcurrencyLimiter, check_seconds

__all__ = [
    "EngineConfig",
    "ListingLoopError",
    "Progress",
    "ReconciliationReport",
    "RunSummary",
    "StopRequest",
    "SyncEngine",
    "SyncStopped",
    "TransientError",
]

log = logging.getLogger("refund_sync.engine")

Sleep = Callable[[float], Awaitable[None]]
_T = TypeVar("_T")
_E = TypeVar("_E", bound=rc.ScenarioEvent)
_G = TypeVar("_G", rc.RefundEvent | rc.PaymentFailure, rc.OutgoingRefund)


class TransientError(rc.RefundSyncError, ConnectionError):
    """A failure worth retrying (timeouts, 429, 5xx); adapters raise it or a ConnectionError."""


class StopRequest:
    """Asks the passes to stop cleanly: set it (from a signal handler, say) and they finish.

    A pass that sees it takes no new event or page; the events already being applied finish
    their writes, which are journalled; no cursor moves past a page read in part; then the pass
    raises :class:`SyncStopped`. The next run resumes where it stopped.
    """

    def __init__(self) -> None:
        self.reason: str | None = None

    def request(self, reason: str) -> None:
        """Ask to stop, saying why (``SIGTERM``); a second request keeps the first reason."""
        if self.reason is None:
            self.reason = reason

    @property
    def requested(self) -> bool:
        """Whether a stop was asked for."""
        return self.reason is not None


class SyncStopped(rc.RefundSyncError):
    """A pass stopped because it was asked to: its started writes finished and are journalled."""

    error_code = "stopped"


_AT_LEAST_ONE = attrs.validators.ge(1)


def _finite_seconds(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    # A NaN or infinite backoff would make a retry wait forever (or not at all).
    check_seconds(attribute.name, value)


#: Conflict groups in progress per slot of the targets (see ``SyncEngine._run_group``).
_GROUPS_PER_SLOT = 2


@attrs.frozen
class EngineConfig:
    """Knobs of a run. The defaults suit a NetSuite account concurrency limit of 5.

    ``ledger_concurrency`` bounds ledger calls in flight (reads and writes: NetSuite counts
    both against the account's limit); ``storefront_concurrency`` bounds storefront writes.
    """

    page_size: int = attrs.field(default=100, validator=_AT_LEAST_ONE)
    overlap: timedelta = timedelta(minutes=10)
    ledger_concurrency: int = attrs.field(default=5, validator=_AT_LEAST_ONE)
    storefront_concurrency: int = attrs.field(default=5, validator=_AT_LEAST_ONE)
    max_attempts: int = attrs.field(default=4, validator=_AT_LEAST_ONE)
    backoff_base_s: float = attrs.field(default=0.5, validator=_finite_seconds)
    backoff_cap_s: float = attrs.field(default=30.0, validator=_finite_seconds)
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
    the NetSuite Connector policy. ``unreadable``: items the source listed but could not read,
    so nothing can be said of them.
    """

    missing: tuple[rc.SourceKey, ...] = ()
    extra: tuple[str, ...] = ()
    mismatched: tuple[tuple[rc.SourceKey, rc.Money, rc.Money], ...] = ()
    unreadable: tuple[rc.SourceKey, ...] = ()

    @property
    def is_clean(self) -> bool:
        """Whether the source and the ledger agree (and every item could be read)."""
        return not (self.missing or self.extra or self.mismatched or self.unreadable)


def _event_time(event: rc.SourceEvent) -> datetime:
    return event.created_at if isinstance(event, rc.RefundEvent) else event.failed_at


class ListingLoopError(rc.RefundSyncError):
    """A listing handed back the page token it was given: it would never end."""

    error_code = "listing_loop"


def _next(previous: str | None, token: str, what: str) -> str:
    """The next page's token; the one just used again would page forever (a typed error)."""
    if token == previous:
        raise ListingLoopError(f"{what}: the listing returned the page token it was given")
    return token


def _newest(times: Iterable[datetime], set_aside: Iterable[rc.UnreadableItem]) -> datetime | None:
    """The newest time of a page: its events' and its set-aside items' (those with one)."""
    known = [*times, *(item.at for item in set_aside if item.at is not None)]
    return max(known, default=None)


def _reports_failure(event: object) -> bool:
    # A refund that fails after it was synced comes back under its done key; the core reverses
    # it (IDM-3), and a repeated delivery is then already synced (IDM-2).
    return isinstance(event, rc.RefundEvent) and event.status is rc.RefundStatus.FAILED


class _Components:
    """Union-find over string nodes: which nodes are linked, directly or not."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def find(self, node: str) -> str:
        """The representative of ``node``'s component (adding the node if new)."""
        parent = self._parent
        root = parent.setdefault(node, node)
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:  # path compression
            parent[node], node = root, parent[node]
        return root

    def union(self, a: str, b: str) -> None:
        """Link ``a`` and ``b``."""
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self._parent[root_b] = root_a

    def members(self) -> dict[str, set[str]]:
        """Every component, by its representative."""
        out: dict[str, set[str]] = {}
        for node in list(self._parent):
            out.setdefault(self.find(node), set()).add(node)
        return out


def _rec(internal_id: str) -> str:
    return f"rec:{internal_id}"


def _record_links(snapshot: rc.LedgerSnapshot) -> Iterator[tuple[str, str]]:
    """The links between a snapshot's records that a decision follows, as node pairs.

    Bank deposits are left out: no refund changes one, and one deposit would tie together every
    payment it took.
    """
    for so in snapshot.sales_orders:
        yield _rec(so.internal_id), f"order:{so.order_ref}"
    for pay in snapshot.payments:
        if pay.payment_ref is not None:
            yield _rec(pay.internal_id), f"pay:{pay.payment_ref}"
        for app in pay.applications:
            yield _rec(pay.internal_id), _rec(app.invoice_id)
    for dep in snapshot.customer_deposits:
        if dep.payment_ref is not None:
            yield _rec(dep.internal_id), f"pay:{dep.payment_ref}"
        if dep.order_id is not None:
            yield _rec(dep.internal_id), _rec(dep.order_id)
        for dep_app in dep.applications:
            yield _rec(dep.internal_id), _rec(dep_app.invoice_id)
    for cash_sale in snapshot.cash_sales:
        if cash_sale.payment_ref is not None:
            yield _rec(cash_sale.internal_id), f"pay:{cash_sale.payment_ref}"
    for bill in (*snapshot.invoices, *snapshot.cash_sales):
        if bill.order_id is not None:
            yield _rec(bill.internal_id), _rec(bill.order_id)
    for rma in snapshot.return_authorizations:
        yield _rec(rma.internal_id), _rec(rma.order_id)
    for record in snapshot.refund_records():
        yield _rec(record.internal_id), _rec(record.created_from)
        if record.order_id is not None:
            yield _rec(record.internal_id), _rec(record.order_id)
        if isinstance(record, rc.CreditMemo) and record.refunded_payment_id is not None:
            yield _rec(record.internal_id), _rec(record.refunded_payment_id)
    for made in (*snapshot.created_records(), *snapshot.payments):
        source = getattr(made, "source", None)  # what a sync made for an event (a reversal too)
        if source is not None:
            yield _rec(made.internal_id), f"event:{source.source}:{source.event_id}"
    for refund in snapshot.customer_refunds:
        for linked in (refund.payment_id, refund.deposit_id):
            if linked is not None:
                yield _rec(refund.internal_id), _rec(linked)
        for refund_app in refund.applications:
            yield _rec(refund.internal_id), _rec(refund_app.record_id)


def _event_node(event: rc.ScenarioEvent) -> str:
    return f"event:{event.key.source}:{event.key.event_id}"


def _seeds(event: rc.SourceEvent | rc.OutgoingRefund) -> tuple[str, ...]:
    """The nodes an event names itself: its payment and order refs, or its NetSuite record."""
    if isinstance(event, rc.OutgoingRefund):
        return (_rec(event.record_id),)
    if isinstance(event, rc.PaymentFailure):
        return (f"pay:{event.payment_ref}",)
    refs: list[str] = []
    if event.payment_ref is not None:
        refs.append(f"pay:{event.payment_ref}")
    if event.order_ref is not None:
        refs.append(f"order:{event.order_ref}")
    return tuple(refs)


@attrs.frozen
class _Group(Generic[_G]):
    """Events to decide one after the other, the nodes they touch, and their part of the ledger.

    ``snapshot`` holds only the records of the group's component: a decision reads nothing else
    (every lookup follows a link or a ref the component contains), and every snapshot a group
    derives while applying its plans stays as small as the group.
    """

    events: list[_G]
    nodes: frozenset[str]
    snapshot: rc.LedgerSnapshot


def _conflict_groups(events: Sequence[_G], snapshot: rc.LedgerSnapshot) -> list[_Group[_G]]:
    """Split events into groups that must run one after the other (MNY-4), in page order.

    Two events are in one group when they share a payment ref, an order ref or a key, or when
    the records they reach in ``snapshot`` are linked. Each group comes with every node of its
    component, for a later page's groups to see what it touches, and with its records.
    """
    components = _Components()
    for a, b in _record_links(snapshot):
        components.union(a, b)
    for event in events:
        node = _event_node(event)
        components.find(node)
        for seed in _seeds(event):
            components.union(node, seed)
    grouped: dict[str, list[_G]] = {}
    for event in events:
        grouped.setdefault(components.find(_event_node(event)), []).append(event)
    parts: dict[str, dict[str, list[Any]]] = {root: {} for root in grouped}
    for family in rc.LedgerSnapshot.families():
        for record in getattr(snapshot, family):
            part = parts.get(components.find(_rec(record.internal_id)))
            if part is not None:
                part.setdefault(family, []).append(record)
    members = components.members()
    return [
        _Group(group, frozenset(members[root]), rc.LedgerSnapshot(**parts[root]))
        for root, group in grouped.items()
    ]


class _Claims:
    """Which running group last claimed each node, so a later page's group can wait for it.

    A claim ends when its task does, so this holds the nodes of the groups in flight only.
    """

    def __init__(self) -> None:
        self._holders: dict[str, asyncio.Task[None]] = {}

    def before(self, nodes: Iterable[str]) -> set[asyncio.Task[None]]:
        """Unfinished groups that touch any of ``nodes``."""
        found: set[asyncio.Task[None]] = set()
        for node in nodes:
            task = self._holders.get(node)
            if task is not None and not task.done():
                found.add(task)
        return found

    def claim(self, nodes: frozenset[str], task: asyncio.Task[None]) -> None:
        """Record that ``task`` now touches ``nodes``."""
        for node in nodes:
            self._holders[node] = task
        task.add_done_callback(functools.partial(self._end, nodes))

    def _end(self, nodes: frozenset[str], task: asyncio.Task[None]) -> None:
        for node in nodes:
            if self._holders.get(node) is task:
                del self._holders[node]


@attrs.define
class _Batch:
    """One page's groups, started; the page's newest event time moves the cursor once done."""

    tasks: list[asyncio.Task[None]]
    newest: datetime | None

    async def wait(self) -> None:
        """Until every group of the page is finished (a failure cancels the waiter instead)."""
        if self.tasks:
            await asyncio.wait(self.tasks)


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    out: list[BaseException] = []
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            out.extend(_leaves(exc))
        else:
            out.append(exc)
    return out


@contextlib.asynccontextmanager
async def _task_group() -> AsyncIterator[asyncio.TaskGroup]:
    """An :class:`asyncio.TaskGroup` that raises its first failure as it is, not grouped.

    When a task fails, the group cancels every other task (and the body) and waits for them
    before this returns: nothing a pass started is still writing once it gives the journal back.
    Further failures of the same pass are logged.
    """
    try:
        async with asyncio.TaskGroup() as group:
            yield group
    except BaseExceptionGroup as failures:
        first, *others = _leaves(failures)
        for other in others:
            log.error(
                "another task of the same pass failed too: %s: %s", type(other).__name__, other
            )
        raise first from None


@attrs.frozen
class _News:
    """A delivery worth deciding; ``letter`` is the dead letter whose content it supersedes.

    ``conflict``, when set, is why the delivery contradicts the version already synced (IDM-4):
    it is set aside, not decided.
    """

    letter: rc.DeadLetter | None = None
    conflict: str | None = None


def _describe(event: rc.RefundEvent) -> str:
    """The parts of a refund IDM-4 compares, in words."""
    parts = [str(event.amount)]
    if event.lines:
        parts.append(
            "lines "
            + ", ".join(
                f"{line.order_line_ref} x{line.quantity if line.quantity is not None else '-'} "
                f"{line.amount}"
                for line in event.lines
            )
        )
    if event.shipping is not None:
        parts.append(f"shipping {event.shipping}")
    if event.adjustment is not None:
        parts.append(f"adjustment {event.adjustment}")
    if event.tenders:
        parts.append("tenders " + ", ".join(f"{t.kind.value} {t.amount}" for t in event.tenders))
    return "; ".join(parts)


def _material(event: rc.RefundEvent) -> tuple[object, ...]:
    return (event.amount, event.lines, event.shipping, event.adjustment, event.tenders)


def _conflict_with(synced: str | None, event: rc.ScenarioEvent) -> str | None:
    """Why ``event`` contradicts the version synced before, or None (IDM-4)."""
    if synced is None or not isinstance(event, rc.RefundEvent):
        return None
    try:
        before = _load_payload(synced)
    except Exception:  # an unreadable kept version cannot be compared: decide as before
        log.warning("the synced version of %s is unreadable; not compared", event.key)
        return None
    if not isinstance(before, rc.RefundEvent) or _material(before) == _material(event):
        return None
    return (
        f"{event.key} was synced as {_describe(before)}; this delivery says {_describe(event)}. "
        "Two versions of one refund: nothing was written; a person must reconcile NetSuite "
        "with the refund (IDM-4)"
    )


@runtime_checkable
class _LetterLookup(Protocol):
    """A journal that finds one dead letter by key (both shipped journals do)."""

    def dead_letter(self, key: rc.SourceKey) -> rc.DeadLetter | None:
        """The unresolved dead letter of ``key``, if any."""
        ...


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
        stop: StopRequest | None = None,
    ) -> None:
        self._stop = stop or StopRequest()
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
        # Loop-safe: each asyncio.run of a sync entry point gets fresh semaphores.
        self._ledger_limit = ConcurrencyLimiter(self._config.ledger_concurrency)
        self._storefront_limit = ConcurrencyLimiter(self._config.storefront_concurrency)
        self._group_slots = ConcurrencyLimiter(
            _GROUPS_PER_SLOT
            * (self._config.ledger_concurrency + self._config.storefront_concurrency)
        )

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

    def _stopping(self) -> bool:
        # A call, not a property read: a stop may be asked for at any await.
        return self._stop.requested

    def _stopped(self) -> SyncStopped:
        return SyncStopped(
            f"stopped ({self._stop.reason}): the writes under way finished and are journalled; "
            "the next run resumes where this one stopped"
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
        """One pass over every incoming event since the cursor, minus the overlap window.

        While one page's writes drain, the next page is listed and loaded; the cursor moves
        past a page only once all of it (and every page before it) is finished. Working memory
        holds two pages, however many events a pass reads.
        """
        self._need_direction(rc.Direction.INCOMING)
        source = self._need_source()
        stream = self.stream
        began = time.monotonic()
        tally = _Tally()
        self._journal.acquire(self._owner)
        try:
            since = self._journal.get_cursor(stream) or start
            fetch_from = since - self._config.overlap
            claims = _Claims()
            cursor = since
            async with _task_group() as tasks:
                draining: _Batch | None = None
                token: str | None = None
                while not self._stopping():
                    page = await self._read(
                        functools.partial(
                            source.list_events,
                            since=fetch_from,
                            page_token=token,
                            limit=self._config.page_size,
                        ),
                        None,
                    )
                    batch = await self._start_page(page, tasks, claims, tally)
                    if draining is not None:
                        cursor = await self._finish_page(draining, stream, since, cursor, tally)
                    draining = batch
                    if page.next_token is None:
                        break
                    token = _next(token, page.next_token, source.name)
                if draining is not None:
                    await self._finish_page(draining, stream, since, cursor, tally)
            if self._stopping():
                raise self._stopped()
        finally:
            self._journal.release(self._owner)
        return self._summary(tally, began)

    async def _start_page(
        self,
        page: rc.Page[rc.SourceEvent],
        tasks: asyncio.TaskGroup,
        claims: _Claims,
        tally: _Tally,
    ) -> _Batch:
        """Set aside the unreadable items, sift the events, load and start the conflict groups."""
        events = page.items
        newest = _newest((_event_time(event) for event in events), page.set_aside)
        for item in page.set_aside:
            self._set_aside(item, tally)
        fresh = self._fresh(events, tally)
        if not fresh:
            return _Batch([], newest)
        snapshot = await self._read(
            functools.partial(self._ledger.load, _query(fresh)), self._ledger_limit
        )
        started: list[asyncio.Task[None]] = []
        for group in _conflict_groups(fresh, snapshot):
            waits = claims.before(group.nodes)
            task = tasks.create_task(self._run_group(group.events, group.snapshot, waits, tally))
            claims.claim(group.nodes, task)
            started.append(task)
        return _Batch(started, newest)

    async def _finish_page(
        self, batch: _Batch, stream: str, since: datetime, cursor: datetime, tally: _Tally
    ) -> datetime:
        """Wait for a page's groups, then move the cursor past it; returns the new cursor.

        When a stop was asked for, a group may have left events undone: the cursor stays.
        """
        await batch.wait()
        if self._stopping():
            return cursor
        if batch.newest is not None:
            cursor = max(cursor, batch.newest)
            self._journal.set_cursor(stream, cursor)
        self._report("incoming", since, batch.newest, tally)
        return cursor

    async def _run_group(
        self,
        events: Sequence[_G],
        snapshot: rc.LedgerSnapshot,
        waits: set[asyncio.Task[None]],
        tally: _Tally,
    ) -> None:
        """Decide and apply a conflict group's events in turn, each on the snapshot left before.

        A group that had to wait for groups of an earlier page reloads its snapshot first: the
        page's snapshot was read while they were still writing. Only so many groups are in
        progress at once (a few per slot of the targets): enough to keep every slot busy, few
        enough that a new page's decisions spread over the run instead of all running the
        moment it arrives, while the calls in flight wait for their answers to be read.
        """
        if waits:
            await asyncio.wait(waits)
        async with self._group_slots:
            if waits:
                snapshot = await self._read(
                    functools.partial(self._ledger.load, _query_any(events)), self._ledger_limit
                )
            for event in events:
                if self._stopping():
                    return  # the events left are not marked: the next run decides them
                snapshot = await self._process_news(event, snapshot, tally)

    def _fresh(self, events: Iterable[_E], tally: _Tally) -> list[_E]:
        """The events worth deciding; the rest are counted as duplicates.

        Checked again when each event's turn comes (:meth:`_process_news`): a delivery repeated
        within the pass is only known as done once its first copy is.
        """
        fresh: list[_E] = []
        for event in events:
            tally.events_seen += 1
            if self._news(event) is None:
                tally.duplicates += 1
                continue
            fresh.append(event)
        return fresh

    def _news(self, event: rc.ScenarioEvent) -> _News | None:
        """Whether a delivery says something the journal does not know yet (see the module)."""
        state = self._journal.event_state(event.key)
        if state is None or state is rc.EventState.IN_PROGRESS:
            return _News()
        if state is rc.EventState.DONE:
            # A refund that fails after it was synced comes back under its done key; the core
            # reverses it (IDM-3), and a repeated delivery is then already synced (IDM-2).
            if _reports_failure(event):
                return _News()
            conflict = _conflict_with(self._journal.synced_payload(event.key), event)
            return None if conflict is None else _News(conflict=conflict)
        letter = self._dead_letter_of(event.key)
        if letter is None or _same_event(letter, event):
            return None
        return _News(letter)

    def _dead_letter_of(self, key: rc.SourceKey) -> rc.DeadLetter | None:
        if isinstance(self._journal, _LetterLookup):
            return self._journal.dead_letter(key)
        return next((letter for letter in self._journal.dead_letters() if letter.key == key), None)

    async def _process_news(
        self, event: rc.ScenarioEvent, snapshot: rc.LedgerSnapshot, tally: _Tally
    ) -> rc.LedgerSnapshot:
        news = self._news(event)
        if news is None:
            tally.duplicates += 1
            return snapshot
        key = event.key
        if news.conflict is not None:
            self._dead_letter(event, rc.Reason.CONFLICT.value, news.conflict, tally)
            tally.unsupported += 1
            return snapshot
        if news.letter is not None:
            # The letter takes the new content first: should this run die before deciding it,
            # a retry must never decide the stale one (e.g. book a refund that has since failed).
            self._journal.add_dead_letter(
                key,
                code=news.letter.code,
                message=news.letter.message,
                payload=_dump_payload(event),
            )
            log.info("dead letter %s superseded by a new delivery; deciding it again", key)
        snapshot = await self._process_event(event, snapshot, tally)
        if news.letter is not None and self._journal.event_state(key) is rc.EventState.DONE:
            self._journal.resolve_dead_letter(key)
            tally.resolved += 1
        return snapshot

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
        storefront = self._need_storefront()
        began = time.monotonic()
        tally = _Tally()
        self._journal.acquire(self._owner)
        try:
            since = self._journal.get_cursor(self.outgoing_stream) or start
            fetch_from = since - self._config.overlap
            record_ids: list[str] = []
            token: str | None = None
            while True:
                page = await self._read(
                    functools.partial(
                        self._ledger.list_unsynced_refunds,
                        since=fetch_from,
                        page_token=token,
                        limit=self._config.page_size,
                        # Only this storefront's refunds: an account may have several (NSC-7).
                        storefront=storefront.capabilities.name,
                    ),
                    self._ledger_limit,
                )
                record_ids.extend(page.items)
                if page.next_token is None:
                    break
                token = _next(token, page.next_token, "the ledger's unsynced refunds")
            size = self._config.page_size
            for offset in range(0, len(record_ids), size):
                if self._stopping():
                    break
                batch = [rc.OutgoingRefund(rid) for rid in record_ids[offset : offset + size]]
                fresh = self._fresh(batch, tally)
                if not fresh:
                    continue
                snapshot = await self._read(
                    functools.partial(self._ledger.load, _query_any(fresh)), self._ledger_limit
                )
                # Refunds of one order share its tenders (NSC-8): one group per order, decided
                # one by one; different orders go side by side.
                async with _task_group() as tasks:
                    for group in _conflict_groups(fresh, snapshot):
                        tasks.create_task(
                            self._run_group(group.events, group.snapshot, set(), tally)
                        )
                self._report("outgoing", None, None, tally)
            if self._stopping():
                raise self._stopped()
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
            while not self._stopping():
                page = await self._read(
                    functools.partial(
                        payouts.list_payouts,
                        since=fetch_from,
                        page_token=token,
                        limit=self._config.page_size,
                    ),
                    None,
                )
                for item in page.set_aside:
                    self._set_aside(item, tally)
                fresh = self._fresh(page.items, tally)
                if fresh:
                    # Payouts are few and may share refunds: one after the other.
                    snapshot = await self._read(
                        functools.partial(self._ledger.load, _payout_query(fresh)),
                        self._ledger_limit,
                    )
                    for payout in fresh:
                        if self._stopping():
                            break
                        snapshot = await self._process_news(payout, snapshot, tally)
                if self._stopping():
                    break  # the page was read in part: the cursor stays before it
                newest = _newest((payout.arrival_at for payout in page.items), page.set_aside)
                if newest is not None:
                    self._journal.set_cursor(stream, max(newest, since))
                self._report("payouts", since, newest, tally)
                if page.next_token is None:
                    break
                token = _next(token, page.next_token, payouts.name)
            if self._stopping():
                raise self._stopped()
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
        set aside again, its attempts counted up. A letter holding an item its source could not
        read has no event to decide: it stays until the source delivers the item readable.
        """
        began = time.monotonic()
        tally = _Tally()
        self._journal.acquire(self._owner)
        try:
            for letter in self._journal.dead_letters():
                if self._stopping():
                    raise self._stopped()
                try:
                    event = _load_payload(letter.payload)
                except _Unreadable:
                    if self._reads(letter.key.source):
                        tally.events_seen += 1
                        log.info("dead letter %s holds an unreadable item; it stays", letter.key)
                    continue
                except (ValueError, TypeError, KeyError, RecursionError):
                    log.warning(
                        "dead letter %s has a payload no event can be built from", letter.key
                    )
                    continue
                if not self._handles(event):
                    continue  # another account's or pass's letter: its own engine retries it
                tally.events_seen += 1
                snapshot = await self._read(
                    functools.partial(self._ledger.load, _query_for(event)), self._ledger_limit
                )
                await self._process_event(event, snapshot, tally)
                if self._journal.event_state(event.key) is rc.EventState.DONE:
                    self._journal.resolve_dead_letter(event.key)
                    tally.resolved += 1
                    log.info("dead letter %s resolved", event.key)
        finally:
            self._journal.release(self._owner)
        return self._summary(tally, began)

    def _reads(self, source: str) -> bool:
        """Whether this engine reads the source (refunds or payouts) called ``source``."""
        names = {part.name for part in (self._source, self._payouts) if part is not None}
        return source in names

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
        unreadable: list[rc.SourceKey] = []
        token: str | None = None
        while True:
            page = await self._read(
                functools.partial(
                    source.list_events, since=since, page_token=token, limit=self._config.page_size
                ),
                None,
            )
            known.update(event.key for event in page.items)
            known.update(item.key for item in page.set_aside)
            unreadable.extend(item.key for item in page.set_aside if item.key not in unreadable)
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
                snapshot = await self._read(
                    functools.partial(self._ledger.load, _query(refunds)), self._ledger_limit
                )
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
            token = _next(token, page.next_token, source.name)
        extra = sorted(ext for ext, key in candidates.items() if key not in known)
        return ReconciliationReport(
            missing=tuple(missing),
            extra=tuple(extra),
            mismatched=tuple(mismatched),
            unreadable=tuple(unreadable),
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
        # The account's storefront says whether it issues store credit (NSC-8, incoming).
        return rc.decide(event, snapshot, settings, self._policy, self._account.storefront)

    async def _process_event(
        self, event: rc.ScenarioEvent, snapshot: rc.LedgerSnapshot, tally: _Tally
    ) -> rc.LedgerSnapshot:
        key = event.key
        self._journal.mark_event(key, rc.EventState.IN_PROGRESS)
        try:
            outcome = self._decide(event, snapshot)
        except rc.ConfigurationError:
            raise  # the account's settings cannot decide anything: no event's fault
        except rc.InvalidInputError as exc:
            # Rejected input (an over-refund, a currency mismatch...): set aside under the
            # error's own code, naming the rules that refused it, e.g. "over_refund" (MNY-4).
            rules = f" ({', '.join(exc.rule_ids)})" if exc.rule_ids else ""
            self._dead_letter(event, exc.error_code, f"{exc}{rules}", tally)
            return snapshot
        except Exception as exc:
            # A decision that fails in a way no rule names is a bug, but of this one event: it is
            # set aside with the error and where it happened, and the account goes on.
            log.error("deciding %s failed: %s", key, _bug(exc), exc_info=exc)
            self._dead_letter(event, "decision_failed", _bug(exc), tally)
            return snapshot
        if self._on_outcome is not None:
            self._on_outcome(outcome)
        if isinstance(outcome, rc.Plan):
            try:
                snapshot = await self._apply(outcome, snapshot, tally)
            except rc.ConfigurationError:
                raise  # the account or target is misconfigured: no event's fault, stop the run
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
            for notice in outcome.notices:
                log.info("notice for %s [%s]: %s", key, notice.code, notice.message)
            self._journal.mark_event(
                key, rc.EventState.DONE, code="planned", payload=_dump_payload(event)
            )
            return snapshot
        if outcome.code is rc.Reason.ALREADY_SYNCED:
            tally.already_synced += 1
            self._journal.mark_event(
                key, rc.EventState.DONE, code=outcome.code.value, payload=_dump_payload(event)
            )
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

    def _set_aside(self, item: rc.UnreadableItem, tally: _Tally) -> None:
        """Dead-letter an item its source could not read, with its raw form and the error.

        The same unreadable item delivered again is a duplicate. An event already done keeps
        its state (its letter only tells a person what came since); any other is marked dead,
        so a later readable delivery of it is news and decided (see :meth:`_news`).
        """
        tally.events_seen += 1
        payload = _unreadable_payload(item)
        letter = self._dead_letter_of(item.key)
        if letter is not None and letter.payload == payload:
            tally.duplicates += 1
            return
        tally.dead_lettered += 1
        self._journal.add_dead_letter(item.key, code=item.code, message=item.error, payload=payload)
        if self._journal.event_state(item.key) is not rc.EventState.DONE:
            self._journal.mark_event(item.key, rc.EventState.DEAD, code=item.code)
        log.warning("set aside unreadable %s [%s]", item.key, item.code)

    async def _read(
        self, call: Callable[[], Awaitable[_T]], limiter: ConcurrencyLimiter | None
    ) -> _T:
        """A read outside any one event (a listing, a page's load): retried, then raised as is.

        ``limiter`` is the ledger's for ledger reads, ``None`` for a source's listing.
        """
        return await self._with_retry(call, limiter, wrap=False)

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

    def _limit_for(self, action: rc.Action) -> ConcurrencyLimiter:
        if isinstance(action, rc.IssueStorefrontRefund | rc.IssueStoreCredit):
            return self._storefront_limit
        return self._ledger_limit

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
                    functools.partial(self._ledger.find_by_external_id, action.external_id),
                    self._ledger_limit,
                )
                if found is not None:
                    self._journal.complete_action(key, action.external_id, found)
                    tally.writes_repeated += 1
                    snapshot = rc.apply_action(snapshot, action)
                    continue
            self._journal.begin_action(key, action.external_id)
            receipt = await self._with_retry(
                functools.partial(self._write, action), self._limit_for(action)
            )
            self._journal.complete_action(key, action.external_id, receipt.record_id)
            if receipt.created:
                tally.writes_created += 1
            else:
                tally.writes_repeated += 1
            snapshot = rc.apply_action(snapshot, action)
        return snapshot

    async def _with_retry(
        self,
        call: Callable[[], Awaitable[_T]],
        limiter: ConcurrencyLimiter | None,
        *,
        wrap: bool = True,
    ) -> _T:
        """Call, holding a slot of ``limiter``, retrying transient failures with backoff.

        When attempts run out: :class:`_Exhausted` (the event is dead-lettered) if ``wrap``,
        else the last failure itself.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                if limiter is None:
                    return await call()
                async with limiter:
                    return await call()
            except (TransientError, ConnectionError, TimeoutError) as exc:
                if attempt >= self._config.max_attempts:
                    if not wrap:
                        raise
                    raise _Exhausted(f"gave up after {attempt} attempts: {exc}") from exc
                delay = min(
                    self._config.backoff_cap_s, self._config.backoff_base_s * 2 ** (attempt - 1)
                )
                log.info("transient failure (attempt %d), retrying in %.2fs", attempt, delay)
                await self._sleep(delay)


class _Exhausted(rc.RefundSyncError):
    """Retries ran out; the event is dead-lettered and stays retryable."""


def _bug(exc: BaseException) -> str:
    """``KeyError: 'x' (at refund_core/_incoming.py:120)``: what failed and where, in one line."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


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


def _query_any(
    events: Iterable[rc.RefundEvent | rc.PaymentFailure | rc.OutgoingRefund],
) -> rc.LedgerQuery:
    """The query of source events or outgoing refunds (a conflict group holds one kind)."""
    records = frozenset(e.record_id for e in events if isinstance(e, rc.OutgoingRefund))
    query = _query(e for e in events if not isinstance(e, rc.OutgoingRefund))
    return attrs.evolve(query, record_ids=query.record_ids | records)


def _payout_query(payouts: Iterable[rc.Payout]) -> rc.LedgerQuery:
    payment_refs: set[str] = set()
    sources: set[rc.SourceKey] = set()
    for payout in payouts:
        sources.add(payout.key)  # the payout's own deposit, if a run already made it
        for entry in payout.entries:
            if entry.kind is rc.BalanceEntryKind.CHARGE:
                payment_refs.add(entry.source_ref)
            elif entry.kind in (
                rc.BalanceEntryKind.REFUND,
                rc.BalanceEntryKind.REFUND_FAILURE,  # its reversal has the refund's key
                rc.BalanceEntryKind.PAYMENT_FAILURE,
                rc.BalanceEntryKind.DISPUTE,  # its customer refunds have the dispute's key
            ):
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


_UNREADABLE = "unreadable_item"


def _unreadable_payload(item: rc.UnreadableItem) -> str:
    """An unreadable item's letter payload: the raw item as its source sent it, tagged."""
    return json.dumps({"type": _UNREADABLE, "raw": item.raw})


class _Unreadable(rc.RefundSyncError):
    """A dead letter holding an item its source could not read: there is no event to decide."""


_UNTAGGED: tuple[type[rc.RefundEvent | rc.PaymentFailure | rc.Payout], ...] = (
    rc.RefundEvent,
    rc.PaymentFailure,
    rc.Payout,
)


def _load_payload(payload: str) -> rc.ScenarioEvent:
    """Rebuild a dead letter's event; untagged letters (written before kinds) are tried per kind."""
    data: Any = json.loads(payload)
    if isinstance(data, dict) and data.get("type") == _UNREADABLE:
        raise _Unreadable("the letter holds an item its source could not read")
    if isinstance(data, dict) and "type" in data:
        event: rc.ScenarioEvent = rc.converter.structure(data, rc.ScenarioEvent)  # type: ignore[arg-type]
        return event
    for kind in _UNTAGGED:
        try:
            return rc.structure(data, kind)
        except rc.DocumentError:
            continue
    raise rc.InvalidInputError(f"dead letter payload is no known event: {payload[:200]}")


def _same_event(letter: rc.DeadLetter, event: rc.ScenarioEvent) -> bool:
    """Whether a dead letter holds exactly ``event`` (an unreadable letter holds nothing)."""
    try:
        return _load_payload(letter.payload) == event
    except _Unreadable:
        return False  # the item comes readable now: news
    except Exception:  # any unreadable payload differs from every event
        log.warning("dead letter %s has an unreadable payload; deciding it anew", letter.key)
        return False


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
        self._synced: dict[rc.SourceKey, str] = {}
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

    def mark_event(
        self,
        key: rc.SourceKey,
        state: rc.EventState,
        *,
        code: str = "",
        payload: str | None = None,
    ) -> None:
        self._states[key] = state
        if payload is not None:
            self._synced[key] = payload

    def synced_payload(self, key: rc.SourceKey) -> str | None:
        return self._synced.get(key) or self._base.synced_payload(key)

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

    def dead_letter(self, key: rc.SourceKey) -> rc.DeadLetter | None:
        if isinstance(self._base, _LetterLookup):
            return self._base.dead_letter(key)
        return next((letter for letter in self._base.dead_letters() if letter.key == key), None)

    def resolve_dead_letter(self, key: rc.SourceKey) -> None:
        """Resolved only for this run's reporting; the real letter stays."""
