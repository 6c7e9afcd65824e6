"""What a batch of events needs read from the ledger, as one :class:`LedgerQuery`.

A decision reads only the records its event leads to: the orders and payments it names, the
records a sync already made for it (by source key), the NetSuite record an outgoing refund is.
:func:`ledger_query` gathers those for a whole batch, so a sync engine reads a page's ledger in
one load. It follows the same links the decisions do, which is why it lives beside them.
"""

from collections.abc import Iterable

from ._models import BalanceEntryKind, PaymentFailure, Payout, RefundEvent, SourceKey
from ._ports import LedgerQuery
from ._scenario import OutgoingRefund, ScenarioEvent

__all__ = ["ledger_query"]

#: Balance entries whose ledger records carry the entry's own source key: a refund's records,
#: a failed refund's reversal (it has the refund's key), a failed payment's reversal, a
#: dispute's customer refunds (they have the dispute's key).
_KEYED_ENTRIES = frozenset(
    {
        BalanceEntryKind.REFUND,
        BalanceEntryKind.REFUND_FAILURE,
        BalanceEntryKind.PAYMENT_FAILURE,
        BalanceEntryKind.DISPUTE,
    }
)


def ledger_query(events: Iterable[ScenarioEvent]) -> LedgerQuery:
    """Everything deciding ``events`` reads from the ledger, asked for at once.

    >>> from refund_core import Money, RefundEvent, RefundStatus
    >>> from datetime import datetime, UTC
    >>> refund = RefundEvent(
    ...     source="stripe",
    ...     refund_id="re_1",
    ...     amount=Money.of("5.00", "USD"),
    ...     created_at=datetime(2026, 3, 1, tzinfo=UTC),
    ...     status=RefundStatus.SUCCEEDED,
    ...     payment_ref="ch_1",
    ... )
    >>> sorted(ledger_query([refund]).payment_refs)
    ['ch_1']
    """
    order_refs: set[str] = set()
    payment_refs: set[str] = set()
    record_ids: set[str] = set()
    sources: set[SourceKey] = set()
    for event in events:
        if isinstance(event, OutgoingRefund):
            record_ids.add(event.record_id)
            continue
        sources.add(event.key)  # what a run already made for it (a payout: its own deposit)
        if isinstance(event, Payout):
            for entry in event.entries:
                if entry.kind is BalanceEntryKind.CHARGE:
                    payment_refs.add(entry.source_ref)
                elif entry.kind in _KEYED_ENTRIES:
                    sources.add(SourceKey(event.source, entry.source_ref))
        elif isinstance(event, PaymentFailure):
            payment_refs.add(event.payment_ref)
        elif isinstance(event, RefundEvent):
            if event.order_ref is not None:
                order_refs.add(event.order_ref)
            if event.payment_ref is not None:
                payment_refs.add(event.payment_ref)
    return LedgerQuery(
        order_refs=frozenset(order_refs),
        payment_refs=frozenset(payment_refs),
        record_ids=frozenset(record_ids),
        sources=frozenset(sources),
    )
