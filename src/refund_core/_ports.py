"""Ports: the small interfaces the sync engine needs from the world, named without vendor words.

Each is a :class:`typing.Protocol`; adapters (``refund_adapters``) and the in-memory fakes
(``refund_core.testing``) conform structurally. Network-facing ports are async so the engine can
overlap calls under a concurrency limit; the journal is local and synchronous.

- :class:`RefundSource`: pages of incoming events (refunds, failed payments) since a time.
- :class:`PayoutSource`: pages of payouts with their balance entries.
- :class:`Ledger`: the NetSuite side: batched reads of a whole batch's state, idempotent writes
  keyed by each action's external ID, lookup by external ID, and the refund records made in
  NetSuite that still need to go out.
- :class:`Storefront`: outgoing refunds and store credit, and what the storefront can do.
- :class:`Journal`: cursors, per-event status, applied actions and dead letters.
- :class:`Inbox`: webhook deliveries accepted for an account and not yet synced (a journal that
  takes webhooks has one), deduplicated by the vendor's delivery ID.
"""

import enum
from datetime import datetime
from typing import Generic, Protocol, TypeVar, runtime_checkable

import attrs

from ._models import LedgerSnapshot, PaymentFailure, Payout, RefundEvent, SourceKey
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
from ._settings import StorefrontCapabilities
from ._validators import aware, identifier, optional_identifier, to_tuple

__all__ = [
    "DeadLetter",
    "Delivery",
    "EventState",
    "Inbox",
    "InboxItem",
    "Journal",
    "Ledger",
    "LedgerAction",
    "LedgerQuery",
    "Page",
    "PayoutSource",
    "RefundSource",
    "SourceEvent",
    "Storefront",
    "UnreadableItem",
    "WriteReceipt",
]

T = TypeVar("T")

SourceEvent = RefundEvent | PaymentFailure
LedgerAction = (
    CreateCreditMemo
    | CreateCashRefund
    | CreateCustomerRefund
    | MarkPaymentFailed
    | CreateRefundReversal
    | CreateDeposit
    | MarkRecordSynced
)


@attrs.frozen
class UnreadableItem:
    """An item of a listing that the source could not turn into an event, kept as it came.

    A poison item (a field missing, a number that is not one, text that cannot be encoded) never
    blocks its page: the source hands it over beside the page's events and the engine sets it
    aside as a dead letter carrying ``raw`` and ``error``, so nothing is silently skipped while
    the cursor moves on. ``key`` is the event the item would have been, as far as it can be
    told (the refund's ID when readable), so a later readable delivery of the same item is
    decided and resolves the letter. ``at`` is the item's time when readable (it may move the
    cursor past it once set aside); ``raw`` is the item as the vendor sent it, as JSON text.
    """

    key: SourceKey
    raw: str
    error: str
    code: str = attrs.field(default="upstream_data", validator=identifier)
    at: datetime | None = None


@attrs.frozen
class Page(Generic[T]):
    """One page of a listing; ``next_token`` is None on the last page.

    ``set_aside`` holds the page's items that could not be read (:class:`UnreadableItem`); the
    engine dead-letters them with the page, before the cursor moves past it.
    """

    items: tuple[T, ...] = attrs.field(converter=to_tuple)
    next_token: str | None = attrs.field(default=None, validator=optional_identifier)
    set_aside: tuple[UnreadableItem, ...] = attrs.field(default=(), converter=to_tuple)


@attrs.frozen
class LedgerQuery:
    """Everything a batch of events needs read from the ledger, asked for at once."""

    order_refs: frozenset[str] = frozenset()
    payment_refs: frozenset[str] = frozenset()
    record_ids: frozenset[str] = frozenset()
    sources: frozenset[SourceKey] = frozenset()

    @property
    def is_empty(self) -> bool:
        """Whether the query asks for nothing."""
        return not (self.order_refs or self.payment_refs or self.record_ids or self.sources)


@attrs.frozen
class WriteReceipt:
    """What a write produced: the record's ID there, and whether this call created it.

    ``created`` is False when the write found its external ID already present (a repeat).
    """

    external_id: str = attrs.field(validator=identifier)
    record_id: str = attrs.field(validator=identifier)
    created: bool


@runtime_checkable
class RefundSource(Protocol):
    """Incoming events from a storefront, marketplace or payment processor."""

    @property
    def name(self) -> str:
        """The source system's name, as used in :class:`SourceKey`."""
        ...

    async def list_events(
        self, *, since: datetime, page_token: str | None, limit: int
    ) -> Page[SourceEvent]:
        """Events created at or after ``since``, oldest first, one page at a time."""
        ...


@runtime_checkable
class PayoutSource(Protocol):
    """Payouts from a processor, each with every balance entry it settles."""

    @property
    def name(self) -> str:
        """The source system's name."""
        ...

    async def list_payouts(
        self, *, since: datetime, page_token: str | None, limit: int
    ) -> Page[Payout]:
        """Payouts that arrived at or after ``since``, oldest first."""
        ...


@runtime_checkable
class Ledger(Protocol):
    """The NetSuite side of every flow."""

    async def load(self, query: LedgerQuery) -> LedgerSnapshot:
        """One snapshot with everything the query's orders, payments and records touch."""
        ...

    async def write(self, action: LedgerAction) -> WriteReceipt:
        """Perform one write; a repeat of an external ID already present creates nothing."""
        ...

    async def find_by_external_id(self, external_id: str) -> str | None:
        """The record ID carrying ``external_id``, if any (resolves lost responses)."""
        ...

    async def list_unsynced_refunds(
        self,
        *,
        since: datetime,
        page_token: str | None,
        limit: int,
        storefront: str | None = None,
    ) -> Page[str]:
        """IDs of credit memos and cash refunds made in NetSuite and not yet sent out.

        With ``storefront``, only those whose sales order came from that storefront or names
        none, so that each outgoing account sees its own storefront's refunds.
        """
        ...


@runtime_checkable
class Storefront(Protocol):
    """A storefront that receives outgoing refunds (NSC-7) and maybe store credit (NSC-8)."""

    @property
    def capabilities(self) -> StorefrontCapabilities:
        """Name, kind (marketplace or cart) and store-credit support."""
        ...

    async def issue_refund(self, action: IssueStorefrontRefund) -> WriteReceipt:
        """Refund the payment method; the action's external ID makes repeats harmless."""
        ...

    async def issue_store_credit(self, action: IssueStoreCredit) -> WriteReceipt:
        """Issue store credit for a gift-card part; repeats are harmless."""
        ...


class EventState(enum.StrEnum):
    """Where an event stands in the journal."""

    IN_PROGRESS = "in_progress"
    DONE = "done"
    DEAD = "dead"


@attrs.frozen
class DeadLetter:
    """An event set aside with its reason; it stays retryable.

    ``payload`` is the event as JSON (``refund_core.dumps``), so a retry needs no source call.
    """

    key: SourceKey
    code: str = attrs.field(validator=identifier)
    message: str
    payload: str
    attempts: int


@runtime_checkable
class Journal(Protocol):
    """Durable progress of a sync: what was read, started, finished or set aside.

    Every write to a target is journalled before (``begin_action``) and after
    (``complete_action``), so a crash at any point resumes with no duplicate and no loss.
    """

    def acquire(self, owner: str) -> None:
        """Take the journal for one run; another live run holding it is an error."""
        ...

    def release(self, owner: str) -> None:
        """Give the journal back."""
        ...

    def get_cursor(self, stream: str) -> datetime | None:
        """Where the last run of ``stream`` got to."""
        ...

    def set_cursor(self, stream: str, position: datetime) -> None:
        """Move ``stream``'s cursor; it never moves backwards."""
        ...

    def event_state(self, key: SourceKey) -> EventState | None:
        """The event's state, or None if it was never seen."""
        ...

    def mark_event(
        self, key: SourceKey, state: EventState, *, code: str = "", payload: str | None = None
    ) -> None:
        """Record the event's new state, with the outcome code when it is done.

        ``payload`` (the event as JSON), given when the event is done, is kept as the version
        that was synced, so a later delivery can be compared with it (IDM-4); without it, the
        kept version is left as it was.
        """
        ...

    def synced_payload(self, key: SourceKey) -> str | None:
        """The event as it was when it was last done (``mark_event``'s payload), if kept."""
        ...

    def begin_action(self, key: SourceKey, external_id: str) -> None:
        """Note that a write is about to happen."""
        ...

    def complete_action(self, key: SourceKey, external_id: str, record_id: str) -> None:
        """Note that a write happened, and the record it produced."""
        ...

    def completed_actions(self, key: SourceKey) -> frozenset[str]:
        """External IDs of the event's writes known to have happened."""
        ...

    def pending_actions(self, key: SourceKey) -> frozenset[str]:
        """External IDs begun but not completed: their responses may have been lost."""
        ...

    def add_dead_letter(self, key: SourceKey, *, code: str, message: str, payload: str) -> None:
        """Set an event aside (again); attempts count up."""
        ...

    def dead_letters(self) -> tuple[DeadLetter, ...]:
        """Every event set aside and not yet resolved, oldest first."""
        ...

    def resolve_dead_letter(self, key: SourceKey) -> None:
        """Remove an event from the dead letters once a retry succeeded."""
        ...


@attrs.frozen
class Delivery:
    """A webhook delivery accepted for an account: what to read again, not what it said.

    A webhook is a trigger, not the truth: the intake keeps only which object to read again from
    the vendor (``object_id``, e.g. a refund's ID), under the vendor's own ID of the delivery
    (``delivery_id``: Stripe's event ID, Shopify's ``X-Shopify-Webhook-Id``), which makes a
    repeated delivery a duplicate. ``source`` is the source's name as in :class:`SourceKey`,
    ``topic`` the vendor's event type (``refund.updated``, ``refunds/create``).
    """

    source: str = attrs.field(validator=identifier)
    delivery_id: str = attrs.field(validator=identifier)
    topic: str = attrs.field(validator=identifier)
    object_id: str = attrs.field(validator=identifier)
    received_at: datetime = attrs.field(validator=aware)


@attrs.frozen
class InboxItem:
    """A delivery waiting in the inbox, with the attempts made to sync it so far."""

    delivery: Delivery
    attempts: int = 0
    last_error: str = ""


@runtime_checkable
class Inbox(Protocol):
    """Webhook deliveries stored before they are answered, until a worker has synced them.

    Storing is the durable deduplication: a delivery ID stored once is never stored again, even
    after it was finished. Items wait in the order they were received.
    """

    def put_delivery(self, delivery: Delivery) -> bool:
        """Store a delivery; False when one with its source and delivery ID was stored before."""
        ...

    def pending_deliveries(self, limit: int) -> tuple[InboxItem, ...]:
        """Up to ``limit`` deliveries not yet finished or given up, oldest received first."""
        ...

    def finish_delivery(self, source: str, delivery_id: str) -> None:
        """The delivery's object was read again and synced: it leaves the pending list."""
        ...

    def fail_delivery(
        self, source: str, delivery_id: str, *, error: str, give_up: bool = False
    ) -> None:
        """Reading the delivery's object failed: count an attempt, keep ``error``.

        With ``give_up`` it leaves the pending list (the poll's overlap window still finds its
        object); otherwise it stays pending for the next wake.
        """
        ...
