"""Stripe as a :class:`refund_core.RefundSource`: refunds, refund failures and failed payments.

Intent: one oldest-first stream of source events, merged from two Stripe lists (see
:mod:`._listing` for the paging and its token):

- ``GET /v1/refunds?created[gte]=since&expand[]=data.charge``: every refund created since the
  time, in its *current* state. The expanded charge gives ``payment_ref`` (the charge ID, which
  the NetSuite payment holds) and ``charge_created_at`` (for the record sync start date, STC-11).
- ``GET /v1/events?types[]=charge.failed&types[]=refund.failed&types[]=refund.updated``: things
  that happen *to older objects*, which a list by creation time cannot see. A delayed-notification
  payment (ACH ``us_bank_account`` and other debits) fails days after its charge was created,
  and a refund can fail after it succeeded; the events carry the time it happened. Stripe keeps
  events for 30 days, so a sync must run at least that often (webhooks, :mod:`._webhooks`, give
  the same events as they happen).

Mapping:

- refund -> :class:`refund_core.RefundEvent`; amounts via :func:`._wire.stripe_money`; status
  ``succeeded``/``pending``/``failed``/``canceled`` as is, ``requires_action`` as pending;
  Stripe's ``failure_reason`` kept for the reversal's memo.
- A refund whose status changed -> the same refund again (same ID, so the same
  :class:`refund_core.SourceKey`) in its *current* state, read through ``GET /v1/refunds/{id}``
  (the event's snapshot may be stale and carries no charge date): a refund listed as pending
  comes again once it succeeded, failed or was canceled; the core decides the new version
  (a reversal when a synced refund failed, FAILED_AFTER_SYNC). A status change is
  ``refund.failed``, or ``refund.updated`` whose ``previous_attributes`` holds a ``status`` that
  maps to another of our statuses (``requires_action`` -> ``pending`` is no news: both are
  pending to us). A ``refund.updated`` to ``failed`` is left to its ``refund.failed``, and one
  that changed other fields (metadata, destination details) is skipped, so an unchanged refund
  is not delivered again for nothing. The version is listed at the event's time; its
  ``created_at`` stays the refund's creation time.
- ``charge.failed`` of a charge that had reached the balance (it has a
  ``failure_balance_transaction``) or was paid by a delayed-notification method ->
  :class:`refund_core.PaymentFailure` (STC-10), ``failure_id`` the failure balance transaction
  (the same ID the payout's ``payment_failure_refund`` entry carries, so the deposit finds it),
  or the event ID when Stripe made none. A card decline at checkout is skipped: no payment was
  ever recorded for it.
- Disputes (DSP-1): ``GET /v1/disputes?created[gte]=since&expand[]=data.charge`` lists each
  dispute in its current state, and ``charge.dispute.funds_withdrawn`` events bring back a
  dispute whose funds were withdrawn after it was created (an inquiry that became a chargeback),
  read again through ``GET /v1/disputes/{id}``. A dispute is a
  :class:`refund_core.RefundEvent` of kind ``dispute`` whose ``refund_id`` is the dispute's ID:
  succeeded once a balance transaction withdrew its funds ("zero, one, or two balance
  transactions that show funds withdrawn and reinstated", Stripe's dispute object), canceled when
  it closed without (``won``, ``warning_closed``), pending otherwise. A won dispute stays
  succeeded: its reinstated funds are a deposit line of their payout, its records stay (DSP-2).
  Disputes are read through the shared decoding boundary (``refund_adapters._decode``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import refund_core as rc

from .._decode import UpstreamDataError
from ._client import StripeClient
from ._listing import Stream, ceil_epoch, merged_page, sendable
from ._wire import (
    StripeCharge,
    StripeDispute,
    StripeEvent,
    StripePayloadError,
    StripeRefund,
    decode,
    read,
    stripe_money,
    stripe_time,
)

__all__ = [
    "DELAYED_NOTIFICATION_METHODS",
    "DISPUTE_EVENTS",
    "SOURCE_NAME",
    "StripeRefundSource",
    "dispute_event",
    "failure_from_event",
    "refund_change",
    "refund_event",
    "source_event_from",
]

log = logging.getLogger("refund_sync.stripe")

SOURCE_NAME = "stripe"

#: Payment method types whose success is only known days later (bank debits).
DELAYED_NOTIFICATION_METHODS = frozenset(
    {
        "us_bank_account",
        "ach_debit",
        "sepa_debit",
        "bacs_debit",
        "au_becs_debit",
        "acss_debit",
        "nz_bank_account",
    }
)

_STATUS = {
    "succeeded": rc.RefundStatus.SUCCEEDED,
    "pending": rc.RefundStatus.PENDING,
    "requires_action": rc.RefundStatus.PENDING,
    "failed": rc.RefundStatus.FAILED,
    "canceled": rc.RefundStatus.CANCELED,
}

#: Webhook and event types about disputes; the listing reads only the withdrawal.
DISPUTE_EVENTS = frozenset(
    {
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.closed",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.funds_reinstated",
    }
)
_WITHDRAWN = "charge.dispute.funds_withdrawn"
_EVENT_TYPES = ("charge.failed", "refund.failed", "refund.updated", _WITHDRAWN)
_CLOSED_WITHOUT_WITHDRAWAL = frozenset({"won", "warning_closed", "prevented"})

#: What a refund snapshot can be decided as without its charge's date: a failure (a reversal,
#: or nothing) and a cancellation (nothing). A success needs the date (STC-11).
_DECIDABLE_FROM_SNAPSHOT = frozenset({rc.RefundStatus.FAILED, rc.RefundStatus.CANCELED})


def _status(refund: StripeRefund) -> rc.RefundStatus:
    status = _STATUS.get(refund.status or "")
    if status is None:
        # An open enum: a status we do not know is not a success, so nothing is synced yet.
        log.warning("stripe refund %s has unknown status %r", refund.id, refund.status)
        return rc.RefundStatus.PENDING
    return status


def refund_event(refund: StripeRefund) -> rc.RefundEvent:
    """Our event for a Stripe refund in its current state."""
    where = f"refund {refund.id}"
    charge = refund.charge if isinstance(refund.charge, StripeCharge) else None
    try:
        return rc.RefundEvent(
            source=SOURCE_NAME,
            refund_id=refund.id,
            amount=stripe_money(refund.amount, refund.currency, where=f"{where} amount"),
            created_at=stripe_time(refund.created),
            status=_status(refund),
            payment_ref=refund.charge_id,
            charge_created_at=stripe_time(charge.created) if charge is not None else None,
            failure_reason=refund.failure_reason,
        )
    except StripePayloadError:
        raise
    except rc.InvalidInputError as exc:
        raise StripePayloadError(f"stripe {where} cannot be read as a refund: {exc}") from exc


def dispute_event(dispute: StripeDispute, *, endpoint: str) -> rc.RefundEvent:
    """Our event for a Stripe dispute in its current state (DSP-1)."""
    where = f"dispute {dispute.id}"
    charge = dispute.charge if isinstance(dispute.charge, StripeCharge) else None
    if dispute.funds_withdrawn:
        status = rc.RefundStatus.SUCCEEDED
    elif dispute.status in _CLOSED_WITHOUT_WITHDRAWAL:
        status = rc.RefundStatus.CANCELED
    else:
        status = rc.RefundStatus.PENDING
    try:
        return rc.RefundEvent(
            source=SOURCE_NAME,
            refund_id=dispute.id,
            amount=stripe_money(dispute.amount, dispute.currency, where=f"{where} amount"),
            created_at=stripe_time(dispute.created),
            status=status,
            payment_ref=dispute.charge_id,
            charge_created_at=stripe_time(charge.created) if charge is not None else None,
            kind=rc.RefundKind.DISPUTE,
        )
    except rc.InvalidInputError as exc:
        raise UpstreamDataError(
            f"stripe {where} cannot be read as a dispute: {exc}",
            service="stripe",
            endpoint=endpoint,
        ) from exc


def failure_from_event(event: StripeEvent) -> rc.PaymentFailure | None:
    """A failed delayed payment from a ``charge.failed`` event, or None for a plain decline."""
    charge = read(event.object, StripeCharge, where=f"event {event.id} data.object")
    method = charge.payment_method_details.type if charge.payment_method_details else None
    if charge.failure_balance_transaction is None and method not in DELAYED_NOTIFICATION_METHODS:
        return None
    return rc.PaymentFailure(
        source=SOURCE_NAME,
        failure_id=charge.failure_balance_transaction or event.id,
        payment_ref=charge.id,
        amount=stripe_money(charge.amount, charge.currency, where=f"charge {charge.id} amount"),
        failed_at=stripe_time(event.created),
        failure_code=charge.failure_code or "payment_failed",
        failure_message=charge.failure_message or "",
    )


def refund_change(event: StripeEvent) -> StripeRefund | None:
    """The refund whose status an event reports changed (its snapshot), or None.

    ``refund.failed`` is sent for every refund since 2024-10-28.acacia; every other status change
    (pending to succeeded, to canceled, out of requires_action) is a ``refund.updated`` whose
    ``previous_attributes`` name the old ``status``. Stripe also sends ``refund.updated`` for a
    failure: that one is left to ``refund.failed``, so a failure is delivered once.
    """
    if event.type not in ("refund.failed", "refund.updated"):
        return None
    refund = read(event.object, StripeRefund, where=f"event {event.id} data.object")
    now = _status(refund)
    if event.type == "refund.failed":
        return refund if now is rc.RefundStatus.FAILED else None
    previous = (event.previous_attributes or {}).get("status")
    if previous is None or now is rc.RefundStatus.FAILED:
        return None
    if _STATUS.get(str(previous)) is now:
        return None  # e.g. requires_action -> pending: pending to us before and after
    return refund


def source_event_from(event: StripeEvent) -> rc.SourceEvent | None:
    """Our event for a Stripe event without an API call, or None when there is none.

    ``charge.failed`` gives a :class:`refund_core.PaymentFailure`. A refund status change gives
    the refund's snapshot only when it failed or was canceled, which the core decides without
    the charge's date; any other change (and a creation) must be read through
    :meth:`StripeRefundSource.refund`, which carries the date (STC-11).
    """
    if event.type == "charge.failed":
        return failure_from_event(event)
    refund = refund_change(event)
    if refund is None:
        return None
    mapped = refund_event(refund)
    return mapped if mapped.status in _DECIDABLE_FROM_SNAPSHOT else None


def _event_key(raw: dict[str, Any]) -> object:
    """The event ID an unreadable ``/v1/events`` entry would have had, as far as it can be told.

    A refund's status change is the refund's event (its ID); a failed payment is keyed by its
    failure balance transaction. Otherwise, the Stripe event's own ID.
    """
    data = raw.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    kind = raw.get("type")
    if isinstance(obj, dict) and isinstance(kind, str):
        if kind.startswith("refund.") and isinstance(obj.get("id"), str):
            return obj["id"]
        failure = obj.get("failure_balance_transaction")
        if kind == "charge.failed" and isinstance(failure, dict):
            failure = failure.get("id")
        if kind == "charge.failed" and isinstance(failure, str):
            return failure
    return raw.get("id")


def _read_refund(raw: dict[str, Any]) -> tuple[int, rc.SourceEvent | None]:
    refund = read(raw, StripeRefund, where=f"refund {raw.get('id')!r}", endpoint="GET /v1/refunds")
    return refund.created, refund_event(refund)


def _read_dispute(raw: dict[str, Any]) -> tuple[int, rc.SourceEvent | None]:
    dispute = decode(raw, StripeDispute, endpoint="GET /v1/disputes")
    return dispute.created, dispute_event(dispute, endpoint="GET /v1/disputes")


def _read_event(raw: dict[str, Any]) -> tuple[int, rc.SourceEvent | None]:
    event = read(raw, StripeEvent, where=f"event {raw.get('id')!r}", endpoint="GET /v1/events")
    if event.type == "charge.failed":
        return event.created, failure_from_event(event)
    if event.type == _WITHDRAWN:
        endpoint = "GET /v1/events"
        dispute = decode(event.object, StripeDispute, endpoint=endpoint, path="$.data.object")
        # The snapshot stands in until the page is built; complete() reads the current state.
        return event.created, dispute_event(dispute, endpoint=endpoint)
    refund = refund_change(event)
    # The snapshot stands in until the page is built; complete() reads the current state.
    return event.created, None if refund is None else refund_event(refund)


class StripeRefundSource:
    """Refunds, refund failures and failed delayed payments from Stripe, oldest first.

    ``since`` is used as given (the engine subtracts its own overlap). Page tokens encode the
    window and a cursor per Stripe list (see :mod:`refund_adapters.stripe._listing`).
    ``include_events=False`` lists refunds only: no failed payments, no later refund failures
    (for keys without access to ``/v1/events``).
    """

    def __init__(
        self, client: StripeClient, *, include_events: bool = True, include_disputes: bool = True
    ) -> None:
        self._client = client
        streams: list[Stream[rc.SourceEvent]] = [
            Stream(
                name="refunds",
                path="/v1/refunds",
                filters={"expand": ["data.charge"]},
                read=_read_refund,
            )
        ]
        if include_disputes:
            streams.append(
                Stream(
                    name="disputes",
                    path="/v1/disputes",
                    filters={"expand": ["data.charge"]},
                    read=_read_dispute,
                )
            )
        if include_events:
            streams.append(
                Stream(
                    name="events",
                    path="/v1/events",
                    filters={
                        "types": [t for t in _EVENT_TYPES if include_disputes or t != _WITHDRAWN]
                    },
                    read=_read_event,
                    complete=self._current,
                    key_of=_event_key,
                )
            )
        self._streams = tuple(streams)

    @property
    def client(self) -> StripeClient:
        """The Stripe client it reads through (the doctor checks the account with it)."""
        return self._client

    @property
    def name(self) -> str:
        """``stripe``, as in every :class:`refund_core.SourceKey` this source makes."""
        return SOURCE_NAME

    async def list_events(
        self, *, since: datetime, page_token: str | None, limit: int
    ) -> rc.Page[rc.SourceEvent]:
        """Events at or after ``since``, oldest first, ``limit`` per page."""
        return await merged_page(
            self._client,
            self._streams,
            since=ceil_epoch(since),
            page_token=page_token,
            limit=limit,
            source=SOURCE_NAME,
        )

    async def _current(self, event: rc.SourceEvent) -> rc.SourceEvent:
        """A refund change or a dispute withdrawal as it is now; a failed payment as it is."""
        if isinstance(event, rc.RefundEvent) and event.kind is rc.RefundKind.DISPUTE:
            return await self.dispute(event.refund_id)
        if isinstance(event, rc.RefundEvent):
            return await self.refund(event.refund_id)
        return event

    async def dispute(self, dispute_id: str) -> rc.RefundEvent:
        """One dispute in its current state, with its charge (``GET /v1/disputes/{id}``).

        Webhook intake uses it for ``charge.dispute.*`` events (DSP-1).
        """
        raw = await self._client.get(f"/v1/disputes/{dispute_id}", {"expand": ["charge"]})
        endpoint = "GET /v1/disputes/{dispute}"
        return dispute_event(decode(raw, StripeDispute, endpoint=endpoint), endpoint=endpoint)

    async def refund(self, refund_id: str) -> rc.RefundEvent:
        """One refund in its current state, with its charge (``GET /v1/refunds/{id}``).

        Webhook intake uses it: an event's snapshot may be stale and carries no charge date.
        """
        if not sendable(refund_id):
            raise StripePayloadError(
                f"refund ID {refund_id!r} holds text a URL cannot carry; it cannot be read",
                endpoint="GET /v1/refunds/{id}",
            )
        raw = await self._client.get(f"/v1/refunds/{refund_id}", {"expand": ["charge"]})
        return refund_event(
            read(raw, StripeRefund, where=f"refund {refund_id!r}", endpoint="GET /v1/refunds/{id}")
        )
