"""In-memory fakes of every port, for the engine's tests and for users' own tests.

Intent: a fake is a small, faithful stand-in that conforms structurally to its port
(:class:`~refund_core.RefundSource`, :class:`~refund_core.PayoutSource`,
:class:`~refund_core.Ledger`, :class:`~refund_core.Storefront`, :class:`~refund_core.Journal`)
and passes the same contract tests as the real adapters (``tests/contracts``). The ledger fake
applies writes with :func:`refund_core.apply_action`, so it changes exactly as the pure rules say
NetSuite would. Fakes count their calls, keep what they were asked to do for assertions, and can
inject the faults a real system has (a write that fails, a response that is lost).

The values they return are frozen; the fakes themselves are mutable objects by nature (they
hold the state of a pretend world) and are not safe to share between threads. Like the rest of
``refund_core`` this module does no I/O, reads no clock and draws no random numbers: paging
tokens are offsets, record IDs are derived from external IDs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TypeVar

import attrs

from ._errors import InvalidInputError, JournalBusyError, OverRefundError, RefundSyncError
from ._ledger import apply_action
from ._models import (
    CashRefund,
    CashSale,
    CreditMemo,
    Invoice,
    LedgerSnapshot,
    Payout,
    RefundEvent,
    ReturnAuthorization,
    SourceKey,
)
from ._money import Money
from ._outcomes import (
    CreateCashRefund,
    CreateCreditMemo,
    CreateCustomerRefund,
    CreateDeposit,
    CreateRefundReversal,
    IssueStoreCredit,
    IssueStorefrontRefund,
    MarkPaymentFailed,
    MarkRecordSynced,
)
from ._ports import (
    DeadLetter,
    Delivery,
    EventState,
    InboxItem,
    LedgerAction,
    LedgerQuery,
    Page,
    SourceEvent,
    WriteReceipt,
)
from ._settings import StorefrontCapabilities

__all__ = [
    "FakeLedger",
    "FakePayoutSource",
    "FakeRefundSource",
    "FakeStorefront",
    "LedgerWriteFailed",
    "LostResponseError",
    "MemoryJournal",
]

T = TypeVar("T")


class LedgerWriteFailed(RefundSyncError, ConnectionError):  # noqa: N818 - reads as an event
    """An injected ledger fault: the write failed, or its response was lost after it applied."""


# ----------------------------------------------------------------------------------------------
# Paging
# ----------------------------------------------------------------------------------------------


def _page(items: list[T], page_token: str | None, limit: int) -> Page[T]:
    """One page of ``items``; the token is the offset of the next page, as a string."""
    if limit < 1:
        raise InvalidInputError(f"page limit must be at least 1, not {limit}")
    try:
        start = 0 if page_token is None else int(page_token)
    except ValueError:
        raise InvalidInputError(f"not a page token of this source: {page_token!r}") from None
    if start < 0:
        raise InvalidInputError(f"not a page token of this source: {page_token!r}")
    end = start + limit
    return Page(items[start:end], str(end) if end < len(items) else None)


def _event_time(event: SourceEvent) -> datetime:
    return event.created_at if isinstance(event, RefundEvent) else event.failed_at


def _event_order(event: SourceEvent) -> tuple[datetime, str, str]:
    return (_event_time(event), event.key.source, event.key.event_id)


class FakeRefundSource:
    """A :class:`~refund_core.RefundSource` over a list of events; ``add`` delivers more.

    The same event may be delivered more than once (sources do), to test deduplication.
    ``calls`` counts ``list_events`` calls. Events are listed oldest first, as the port asks;
    with ``ordered=False`` they are listed in the order given (still only those at or after
    ``since``), to test how a caller copes with a source that breaks that promise.
    """

    def __init__(
        self, name: str, events: Iterable[SourceEvent] = (), *, ordered: bool = True
    ) -> None:
        self._name = name
        self._events: list[SourceEvent] = list(events)
        self._ordered = ordered
        self.calls = 0

    @property
    def name(self) -> str:
        """The source system's name."""
        return self._name

    @property
    def events(self) -> tuple[SourceEvent, ...]:
        """Every event delivered so far, in delivery order."""
        return tuple(self._events)

    def add(self, *events: SourceEvent) -> None:
        """Deliver more events (duplicates allowed)."""
        self._events.extend(events)

    async def list_events(
        self, *, since: datetime, page_token: str | None, limit: int
    ) -> Page[SourceEvent]:
        """Events created at or after ``since``, oldest first (ties by key), paged by offset.

        Unordered (``ordered=False``): in the order they were given and added.
        """
        self.calls += 1
        chosen = [e for e in self._events if _event_time(e) >= since]
        if self._ordered:
            chosen.sort(key=_event_order)
        return _page(chosen, page_token, limit)


class FakePayoutSource:
    """A :class:`~refund_core.PayoutSource` over a list of payouts; ``add`` delivers more."""

    def __init__(self, name: str, payouts: Iterable[Payout] = ()) -> None:
        self._name = name
        self._payouts: list[Payout] = list(payouts)
        self.calls = 0

    @property
    def name(self) -> str:
        """The source system's name."""
        return self._name

    def add(self, *payouts: Payout) -> None:
        """Deliver more payouts (duplicates allowed)."""
        self._payouts.extend(payouts)

    async def list_payouts(
        self, *, since: datetime, page_token: str | None, limit: int
    ) -> Page[Payout]:
        """Payouts that arrived at or after ``since``, oldest first (ties by ID), paged."""
        self.calls += 1
        chosen = sorted(
            (p for p in self._payouts if p.arrival_at >= since),
            key=lambda p: (p.arrival_at, p.source, p.payout_id),
        )
        return _page(chosen, page_token, limit)


# ----------------------------------------------------------------------------------------------
# Ledger
# ----------------------------------------------------------------------------------------------


def _restrict(snap: LedgerSnapshot, query: LedgerQuery) -> LedgerSnapshot:
    """The part of ``snap`` the query touches, closed over every link a decision follows.

    Starting from the orders, payments, records and sources asked for, it adds linked records
    until nothing changes: an order brings its billing, RMAs and deposits; a payment the invoices
    it is applied to (and they their order); refund records and customer refunds come with what
    they were created from, refund or are applied to. The result is a valid snapshot on which
    every decision gives the same outcome as on the whole ledger.
    """
    if query.is_empty:
        return LedgerSnapshot()
    ids = set(query.record_ids)
    orders = {so.internal_id for so in snap.sales_orders if so.order_ref in query.order_refs}
    refs = query.payment_refs
    ids |= {p.internal_id for p in snap.payments if p.payment_ref in refs}
    ids |= {c.internal_id for c in snap.cash_sales if c.payment_ref in refs}
    ids |= {d.internal_id for d in snap.customer_deposits if d.payment_ref in refs}
    ids |= {
        r.internal_id for r in snap.created_records() if getattr(r, "source", None) in query.sources
    }
    ids |= {p.internal_id for p in snap.payments if p.source in query.sources}  # reversals
    ids |= orders

    while True:
        before = len(ids)
        for billing in (*snap.invoices, *snap.cash_sales):
            if billing.order_id in ids or billing.internal_id in ids:
                ids.add(billing.internal_id)
                if billing.order_id is not None:
                    ids.add(billing.order_id)
        for rma in snap.return_authorizations:
            if rma.order_id in ids or rma.internal_id in ids:
                ids |= {rma.internal_id, rma.order_id}
        for payment in snap.payments:
            invoices = {app.invoice_id for app in payment.applications}
            if payment.internal_id in ids or invoices & ids:
                ids.add(payment.internal_id)
                ids |= invoices
        for deposit in snap.customer_deposits:
            invoices = {app.invoice_id for app in deposit.applications}
            if deposit.internal_id in ids or deposit.order_id in ids or invoices & ids:
                ids.add(deposit.internal_id)
                ids |= invoices
                if deposit.order_id is not None:
                    ids.add(deposit.order_id)
        for record in snap.refund_records():
            links = {record.created_from, record.order_id}
            if isinstance(record, CreditMemo):
                links.add(record.refunded_payment_id)
            if record.internal_id in ids or links & ids:
                ids.add(record.internal_id)
                ids |= {link for link in links if link is not None}
        for refund in snap.customer_refunds:
            links = {refund.payment_id, refund.deposit_id}
            links |= {app.record_id for app in refund.applications}
            if refund.internal_id in ids or links & ids:
                ids.add(refund.internal_id)
                ids |= {link for link in links if link is not None}
        for bank_deposit in snap.deposits:
            lines = {line.record_id for line in bank_deposit.payment_lines}
            if bank_deposit.internal_id in ids or lines & ids:
                ids.add(bank_deposit.internal_id)
                ids |= lines
        if len(ids) == before:
            break

    def keep(records: tuple[T, ...], internal_id: Callable[[T], str]) -> tuple[T, ...]:
        return tuple(record for record in records if internal_id(record) in ids)

    return LedgerSnapshot(
        sales_orders=keep(snap.sales_orders, lambda r: r.internal_id),
        invoices=keep(snap.invoices, lambda r: r.internal_id),
        cash_sales=keep(snap.cash_sales, lambda r: r.internal_id),
        payments=keep(snap.payments, lambda r: r.internal_id),
        customer_deposits=keep(snap.customer_deposits, lambda r: r.internal_id),
        credit_memos=keep(snap.credit_memos, lambda r: r.internal_id),
        cash_refunds=keep(snap.cash_refunds, lambda r: r.internal_id),
        customer_refunds=keep(snap.customer_refunds, lambda r: r.internal_id),
        deposits=keep(snap.deposits, lambda r: r.internal_id),
        return_authorizations=keep(snap.return_authorizations, lambda r: r.internal_id),
    )


class FakeLedger:
    """A :class:`~refund_core.Ledger` holding one :class:`~refund_core.LedgerSnapshot`.

    Writes go through :func:`refund_core.apply_action`, so new records get the internal ID
    ``ns-<external ID>``; a write whose external ID is already present creates nothing and
    returns the existing record's ID. ``reads`` and ``writes`` count calls.

    Faults: with ``fail_after_writes = N`` every write after the first N raises
    :class:`LedgerWriteFailed` before it applies; with ``lose_response_after_writes = N`` every
    write after the first N applies and then raises (the response was lost). Both count every
    write call, and may be set or cleared at any time.
    """

    def __init__(
        self,
        snapshot: LedgerSnapshot | None = None,
        *,
        fail_after_writes: int | None = None,
        lose_response_after_writes: int | None = None,
    ) -> None:
        self._snapshot = snapshot if snapshot is not None else LedgerSnapshot()
        self._marks: dict[str, str] = {}  # external ID of a status write -> the record it changed
        self.fail_after_writes = fail_after_writes
        self.lose_response_after_writes = lose_response_after_writes
        self.reads = 0
        self.writes = 0

    @property
    def snapshot(self) -> LedgerSnapshot:
        """The whole ledger as it is now."""
        return self._snapshot

    async def load(self, query: LedgerQuery) -> LedgerSnapshot:
        """The records the query touches, with everything linked to them."""
        self.reads += 1
        return _restrict(self._snapshot, query)

    def _existing(self, action: LedgerAction) -> str | None:
        found = self._find(action.external_id)
        if found is not None:
            return found
        if isinstance(action, MarkRecordSynced) and action.sync.external_id in (
            self._snapshot.marked_synced
        ):
            return action.record_id
        return None

    def _find(self, external_id: str) -> str | None:
        for record in (*self._snapshot.created_records(), *self._snapshot.payments):
            if record.external_id == external_id:
                return record.internal_id
        if external_id in self._marks:
            return self._marks[external_id]
        for refund in self._snapshot.refund_records():
            if refund.storefront_sync is not None and refund.storefront_sync.external_id == (
                external_id
            ):
                return refund.internal_id
        return None

    async def write(self, action: LedgerAction) -> WriteReceipt:
        """Apply one action; a repeat of an existing external ID returns ``created=False``."""
        self.writes += 1
        if self.fail_after_writes is not None and self.writes > self.fail_after_writes:
            raise LedgerWriteFailed(f"injected failure of write {self.writes}")
        existing = self._existing(action)
        if existing is not None:
            receipt = WriteReceipt(action.external_id, existing, created=False)
        else:
            self._snapshot = apply_action(self._snapshot, action)
            receipt = WriteReceipt(action.external_id, self._record_id(action), created=True)
        if (
            self.lose_response_after_writes is not None
            and self.writes > self.lose_response_after_writes
        ):
            raise LedgerWriteFailed(f"injected lost response of write {self.writes}")
        return receipt

    def _record_id(self, action: LedgerAction) -> str:
        match action:
            case MarkPaymentFailed():
                self._marks[action.external_id] = action.payment_id
                return action.payment_id
            case MarkRecordSynced():
                self._marks[action.external_id] = action.record_id
                return action.record_id
            case (
                CreateCreditMemo()
                | CreateCashRefund()
                | CreateCustomerRefund()
                | CreateDeposit()
                | CreateRefundReversal()
            ):
                found = self._find(action.external_id)
                if found is None:  # pragma: no cover - apply_action always creates it
                    raise InvalidInputError(f"write {action.external_id} created no record")
                return found

    async def find_by_external_id(self, external_id: str) -> str | None:
        """The record ID carrying ``external_id``, if any."""
        self.reads += 1
        return self._find(external_id)

    async def list_unsynced_refunds(
        self,
        *,
        since: datetime,
        page_token: str | None,
        limit: int,
        storefront: str | None = None,
    ) -> Page[str]:
        """Credit memos and cash refunds made in NetSuite (no source) and not yet sent out.

        Records without a creation time are always listed; the others when made at or after
        ``since``. With ``storefront``, only those whose order came from it or names none.
        Sorted by internal ID.
        """
        self.reads += 1
        records: Iterable[CreditMemo | CashRefund] = self._snapshot.refund_records()
        ids = sorted(
            record.internal_id
            for record in records
            if record.source is None
            and record.storefront_sync is None
            and (record.created_at is None or record.created_at >= since)
            and (storefront is None or self._order_storefront(record) in (None, storefront))
        )
        return _page(ids, page_token, limit)

    def _order_storefront(self, record: CreditMemo | CashRefund) -> str | None:
        """The storefront of the record's sales order: its own, or its source transaction's."""
        snapshot = self._snapshot
        order_id = record.order_id
        if order_id is None:
            made_from: tuple[Invoice | CashSale | ReturnAuthorization, ...] = (
                *snapshot.invoices,
                *snapshot.cash_sales,
                *snapshot.return_authorizations,
            )
            source = next((t for t in made_from if t.internal_id == record.created_from), None)
            order_id = source.order_id if source is not None else None
        order = next((o for o in snapshot.sales_orders if o.internal_id == order_id), None)
        return order.storefront if order is not None else None


# ----------------------------------------------------------------------------------------------
# Storefront
# ----------------------------------------------------------------------------------------------


class LostResponseError(RefundSyncError, ConnectionError):
    """A fake's write took effect but its answer was lost (as a dropped connection would)."""


class FakeStorefront:
    """A :class:`~refund_core.Storefront` that remembers what it issued, once per external ID.

    ``refunds`` and ``store_credits`` list the actions that took effect, in order; a repeat
    returns ``created=False`` and changes nothing. Record IDs are ``sf-<external ID>``.

    ``orders`` (order ref -> amount paid), when given, are balances the storefront keeps as a
    real one does: refunds and store credit beyond what an order has left are refused with
    :class:`~refund_core.OverRefundError`, and an unknown order with
    :class:`~refund_core.InvalidInputError`. :meth:`lose_next_response` makes the next write
    take effect and then raise :class:`LostResponseError`, as a lost answer would.
    """

    def __init__(
        self,
        capabilities: StorefrontCapabilities,
        *,
        orders: Mapping[str, Money] | None = None,
    ) -> None:
        self._capabilities = capabilities
        self._receipts: dict[str, WriteReceipt] = {}
        self._refunds: list[IssueStorefrontRefund] = []
        self._store_credits: list[IssueStoreCredit] = []
        self._paid = dict(orders) if orders is not None else None
        self._taken: dict[str, Money] = {}
        self._lose = 0
        self.calls = 0

    @property
    def capabilities(self) -> StorefrontCapabilities:
        """Name, kind and store-credit support."""
        return self._capabilities

    @property
    def refunds(self) -> tuple[IssueStorefrontRefund, ...]:
        """Refunds issued, in order, each once."""
        return tuple(self._refunds)

    @property
    def store_credits(self) -> tuple[IssueStoreCredit, ...]:
        """Store credit issued, in order, each once."""
        return tuple(self._store_credits)

    def lose_next_response(self, times: int = 1) -> None:
        """The next ``times`` writes take effect, then raise :class:`LostResponseError`."""
        self._lose += times

    def _issue(self, external_id: str, order_ref: str, amount: Money) -> WriteReceipt | None:
        """A repeat's receipt, or None after taking ``amount`` from the order for a new write."""
        self.calls += 1
        known = self._receipts.get(external_id)
        if known is not None:
            return attrs.evolve(known, created=False)
        if self._paid is not None:
            paid = self._paid.get(order_ref)
            if paid is None:
                raise InvalidInputError(f"{self._capabilities.name}: no order {order_ref}")
            taken = self._taken.get(order_ref, Money.zero(paid.currency))
            left = paid - taken
            if amount > left:
                raise OverRefundError(
                    target=f"{self._capabilities.name} order {order_ref}",
                    requested=amount,
                    ceiling=paid,
                    already_refunded=taken,
                    remaining=left,
                )
            self._taken[order_ref] = taken + amount
        self._receipts[external_id] = WriteReceipt(external_id, f"sf-{external_id}", created=True)
        return None

    def _answer(self, external_id: str) -> WriteReceipt:
        if self._lose:
            self._lose -= 1
            raise LostResponseError(f"the answer to {external_id} was lost")
        return self._receipts[external_id]

    async def issue_refund(self, action: IssueStorefrontRefund) -> WriteReceipt:
        """Refund the payment method once per external ID."""
        repeat = self._issue(action.external_id, action.order_ref, action.amount)
        if repeat is not None:
            return repeat
        self._refunds.append(action)
        return self._answer(action.external_id)

    async def issue_store_credit(self, action: IssueStoreCredit) -> WriteReceipt:
        """Issue store credit once per external ID."""
        if not self._capabilities.supports_store_credit:
            raise InvalidInputError(f"{self._capabilities.name} cannot issue store credit")
        repeat = self._issue(action.external_id, action.order_ref, action.amount)
        if repeat is not None:
            return repeat
        self._store_credits.append(action)
        return self._answer(action.external_id)


# ----------------------------------------------------------------------------------------------
# Journal
# ----------------------------------------------------------------------------------------------


@attrs.define
class _EventEntry:
    state: EventState
    code: str = ""
    synced: str | None = None


class MemoryJournal:
    """A :class:`~refund_core.Journal` in memory: the SQLite journal's behaviour, minus the disk.

    Only one owner holds it at a time (:class:`~refund_core.JournalBusyError` otherwise; the same
    owner may acquire again). Cursors never move backwards. Dead letters stay in the order they
    were first set aside, and count their attempts. It is an :class:`~refund_core.Inbox` too:
    deliveries wait oldest received first, and a delivery ID is stored once, ever.
    """

    def __init__(self) -> None:
        self.owner: str | None = None
        self._cursors: dict[str, datetime] = {}
        self._events: dict[SourceKey, _EventEntry] = {}
        self._actions: dict[SourceKey, tuple[set[str], dict[str, str]]] = {}
        self._dead: dict[SourceKey, DeadLetter] = {}
        #: (source, delivery ID) -> the item, and whether it still waits.
        self._inbox: dict[tuple[str, str], tuple[InboxItem, bool]] = {}

    def acquire(self, owner: str) -> None:
        """Take the journal for ``owner``; another owner holding it raises JournalBusyError."""
        if self.owner is not None and self.owner != owner:
            raise JournalBusyError(f"the journal is held by {self.owner!r}")
        self.owner = owner

    def release(self, owner: str) -> None:
        """Give the journal back (a no-op if ``owner`` does not hold it)."""
        if self.owner == owner:
            self.owner = None

    def get_cursor(self, stream: str) -> datetime | None:
        """Where ``stream`` got to."""
        return self._cursors.get(stream)

    def set_cursor(self, stream: str, position: datetime) -> None:
        """Move the cursor forward; an earlier position is ignored."""
        current = self._cursors.get(stream)
        if current is None or position > current:
            self._cursors[stream] = position

    def event_state(self, key: SourceKey) -> EventState | None:
        """The event's state, or None if never seen."""
        entry = self._events.get(key)
        return entry.state if entry is not None else None

    def event_code(self, key: SourceKey) -> str | None:
        """The outcome code recorded with the event's state, or None if never seen."""
        entry = self._events.get(key)
        return entry.code if entry is not None else None

    def mark_event(
        self, key: SourceKey, state: EventState, *, code: str = "", payload: str | None = None
    ) -> None:
        """Record the event's state and outcome code, and the synced version when given."""
        entry = self._events.setdefault(key, _EventEntry(state))
        entry.state = EventState(state)
        entry.code = code
        if payload is not None:
            entry.synced = payload

    def synced_payload(self, key: SourceKey) -> str | None:
        """The event as it was when it was last done, if kept."""
        entry = self._events.get(key)
        return entry.synced if entry is not None else None

    def _entry(self, key: SourceKey) -> tuple[set[str], dict[str, str]]:
        return self._actions.setdefault(key, (set(), {}))

    def begin_action(self, key: SourceKey, external_id: str) -> None:
        """Note a write about to happen."""
        self._entry(key)[0].add(external_id)

    def complete_action(self, key: SourceKey, external_id: str, record_id: str) -> None:
        """Note a write that happened and the record it produced."""
        begun, completed = self._entry(key)
        begun.discard(external_id)
        completed[external_id] = record_id

    def completed_actions(self, key: SourceKey) -> frozenset[str]:
        """External IDs of the event's writes known to have happened."""
        return frozenset(self._actions.get(key, (set(), {}))[1])

    def pending_actions(self, key: SourceKey) -> frozenset[str]:
        """External IDs begun and not completed."""
        begun, completed = self._actions.get(key, (set(), {}))
        return frozenset(begun - completed.keys())

    def add_dead_letter(self, key: SourceKey, *, code: str, message: str, payload: str) -> None:
        """Set an event aside, or count another attempt of one already set aside."""
        previous = self._dead.get(key)
        attempts = previous.attempts + 1 if previous is not None else 1
        self._dead[key] = DeadLetter(key, code, message, payload, attempts)

    def dead_letters(self) -> tuple[DeadLetter, ...]:
        """Unresolved dead letters, oldest first."""
        return tuple(self._dead.values())

    def dead_letter(self, key: SourceKey) -> DeadLetter | None:
        """The unresolved dead letter of ``key``, if there is one."""
        return self._dead.get(key)

    def resolve_dead_letter(self, key: SourceKey) -> None:
        """Remove an event from the dead letters."""
        self._dead.pop(key, None)

    def put_delivery(self, delivery: Delivery) -> bool:
        """Store a delivery; False when its source and delivery ID were stored before."""
        name = (delivery.source, delivery.delivery_id)
        if name in self._inbox:
            return False
        self._inbox[name] = (InboxItem(delivery), True)
        return True

    def pending_deliveries(self, limit: int) -> tuple[InboxItem, ...]:
        """Up to ``limit`` waiting deliveries, oldest received first."""
        waiting = [item for item, pending in self._inbox.values() if pending]
        waiting.sort(key=lambda item: item.delivery.received_at)  # stable: arrival breaks ties
        return tuple(waiting[: max(limit, 0)])

    def finish_delivery(self, source: str, delivery_id: str) -> None:
        """The delivery was synced: it no longer waits (its ID stays known)."""
        found = self._inbox.get((source, delivery_id))
        if found is not None:
            self._inbox[(source, delivery_id)] = (found[0], False)

    def fail_delivery(
        self, source: str, delivery_id: str, *, error: str, give_up: bool = False
    ) -> None:
        """Count a failed attempt and keep its error; ``give_up`` stops it waiting."""
        found = self._inbox.get((source, delivery_id))
        if found is not None:
            item = attrs.evolve(found[0], attempts=found[0].attempts + 1, last_error=error)
            self._inbox[(source, delivery_id)] = (item, found[1] and not give_up)
