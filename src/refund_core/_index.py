"""Lookups over one ledger snapshot by the keys decisions ask for, built once per snapshot.

A decision asks its snapshot many questions: the payment of a charge, the credits taken from an
invoice, the records of a source event. Answered by scanning, each question cost a pass over the
ledger, so a payout was quadratic in its entries and a charge's thousandth refund paid for the
999 before it (issue 15). Here the questions have tables, built the first time one is needed, a
family of records at a time in one pass, and kept with the snapshot, which never changes
(``LedgerSnapshot._index``).

Every bucket keeps the snapshot's order: each entry carries its record's position (its family's
rank in the table, its index in the family, the item's index in the record, as one integer), so
what a bucket holds is what a scan finds, in the order the scan finds it. Sums over a bucket are
kept per key and currency; a sum that cannot be made (a record in another currency) is kept as
``None``, and the caller then adds the bucket up itself, so its error is the one a scan raises.
:class:`refund_core.LedgerView` asks the questions, and leaves out the records of excluded source
events; ``tests/test_ledger_index.py`` checks its answers against plain scans.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar

from ._errors import RefundSyncError
from ._money import Currency, Money, sum_money

if TYPE_CHECKING:  # _models gives every snapshot its index, so this module must not import it
    from ._models import (
        CashRefund,
        CashSale,
        CreditLine,
        CreditMemo,
        CustomerDeposit,
        CustomerPayment,
        CustomerRefund,
        Deposit,
        Invoice,
        LedgerSnapshot,
        RefundApplication,
        ReturnAuthorization,
        SalesOrder,
        SourceKey,
    )

    Billing: TypeAlias = Invoice | CashSale
    RefundRecord: TypeAlias = CreditMemo | CashRefund

__all__ = ["Entry", "LedgerIndex", "Measure", "SourceRecords", "Table"]

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")

#: (position in the snapshot, the record, the item: the record itself or one of its parts).
Entry = tuple[int, Any, T]
#: How much an item counts in a sum (one or more amounts).
Measure = Callable[[Any], Iterable[Money]]

# A position is rank * _RANK + index * _INDEX + part: the families of one table in snapshot order
# (credit memos before cash refunds), the records of a family in theirs, a record's parts in theirs.
_RANK = 1 << 64
_INDEX = 1 << 24
_EMPTY: list[Any] = []
REFUND_FAMILIES = ("credit_memos", "cash_refunds")


class Table(Generic[K, T]):
    """Entries grouped by key, each bucket in snapshot order, with sums kept per bucket.

    ``families`` names the snapshot fields the table is built from; ``items_of(record)`` gives
    the ``(key, item)`` pairs a record of them holds here: the record itself under one key, or
    its parts (credit lines, applications) under theirs.
    """

    __slots__ = ("_sums", "buckets", "families", "items_of")

    def __init__(
        self,
        families: tuple[str, ...],
        items_of: Callable[[Any], Iterable[tuple[K, T]]],
        buckets: dict[K, list[Entry[T]]],
    ) -> None:
        self.families = families
        self.items_of = items_of
        self.buckets = buckets
        self._sums: dict[tuple[K, str, Measure], Money | None] = {}

    @classmethod
    def build(
        cls,
        snapshot: LedgerSnapshot,
        families: tuple[str, ...],
        items_of: Callable[[Any], Iterable[tuple[K, T]]],
    ) -> Table[K, T]:
        """The table of ``families`` of ``snapshot``, in one pass."""
        buckets: dict[K, list[Entry[T]]] = {}
        for rank, family in enumerate(families):
            base = rank * _RANK
            for index, record in enumerate(getattr(snapshot, family)):
                for part, (key, item) in enumerate(items_of(record)):
                    entry = (base + index * _INDEX + part, record, item)
                    bucket = buckets.get(key)
                    if bucket is None:
                        buckets[key] = [entry]
                    else:
                        bucket.append(entry)
        return cls(families, items_of, buckets)

    def get(self, key: K) -> list[Entry[T]]:
        """The bucket of ``key`` (empty when no record has it); never change it."""
        return self.buckets.get(key, _EMPTY)

    def total(self, key: K, measure: Measure, currency: Currency) -> Money | None:
        """The bucket's items measured and added up, or None when they cannot be (currency)."""
        memo = (key, currency.code, measure)
        sums = self._sums
        if memo in sums:
            return sums[memo]
        bucket = self.buckets.get(key)
        total: Money | None
        if bucket is None:
            total = Money.zero(currency)
        else:
            try:
                total = sum_money(
                    (amount for _, _, item in bucket for amount in measure(item)), currency
                )
            except (RefundSyncError, ArithmeticError):
                total = None  # the caller adds the bucket up itself and raises what a scan raises
        sums[memo] = total
        return total


class SourceRecords:
    """The records a sync created for one source event, each family in snapshot order."""

    __slots__ = ("cash_refunds", "credit_memos", "customer_refunds", "payments")

    def __init__(self) -> None:
        self.credit_memos: list[CreditMemo] = []
        self.cash_refunds: list[CashRefund] = []
        self.customer_refunds: list[CustomerRefund] = []
        self.payments: list[CustomerPayment] = []

    def of(self, family: str) -> list[Any]:
        """The records of one family (a field name of the snapshot)."""
        records: list[Any] = getattr(self, family)
        return records

    @property
    def refund_records(self) -> list[RefundRecord]:
        """Credit memos, then cash refunds."""
        return [*self.credit_memos, *self.cash_refunds]

    def all(self) -> Iterator[RefundRecord | CustomerRefund | CustomerPayment]:
        """Every record, in the order :meth:`refund_core.LedgerView.records_for` gives them."""
        yield from self.credit_memos
        yield from self.cash_refunds
        yield from self.customer_refunds
        yield from self.payments


def _add(buckets: dict[Any, list[Any]], key: Hashable, entry: Any) -> None:
    bucket = buckets.get(key)
    if bucket is None:
        buckets[key] = [entry]
    else:
        bucket.append(entry)


def _first_by(records: Iterable[Any], key: Callable[[Any], str | None]) -> dict[str, Any]:
    """The first record for each key, as a scan that stops at the first match returns it."""
    found: dict[str, Any] = {}
    for record in records:
        value = key(record)
        if value is not None and value not in found:
            found[value] = record
    return found


class LedgerIndex:
    """The tables of one snapshot; each family's are built the first time one is needed."""

    __slots__ = (
        "_applications_to",
        "_billing_by_id",
        "_billing_by_order",
        "_by_source",
        "_cash_sales_by_ref",
        "_created_records",
        "_credit_lines",
        "_credits_from",
        "_customer_refunds_by_payment",
        "_deposits_by_ref",
        "_external_ids",
        "_marked_synced",
        "_memos_by_application",
        "_orders_by_id",
        "_orders_by_ref",
        "_payments_by_id",
        "_payments_by_ref",
        "_refund_records",
        "_refund_records_by_id",
        "_refund_records_by_order",
        "_rmas_by_id",
        "_rmas_by_order",
        "snapshot",
    )

    def __init__(self, snapshot: LedgerSnapshot) -> None:
        self.snapshot = snapshot
        self._orders_by_ref: dict[str, SalesOrder] | None = None
        self._orders_by_id: dict[str, SalesOrder] | None = None
        self._billing_by_id: dict[str, Billing] | None = None
        self._billing_by_order: dict[str, tuple[Billing, ...]] | None = None
        self._cash_sales_by_ref: dict[str, CashSale] | None = None
        self._deposits_by_ref: dict[str, CustomerDeposit] | None = None
        self._payments_by_ref: Table[str, CustomerPayment] | None = None
        self._payments_by_id: dict[str, CustomerPayment] | None = None
        self._rmas_by_id: dict[str, ReturnAuthorization] | None = None
        self._rmas_by_order: dict[str, tuple[ReturnAuthorization, ...]] | None = None
        self._by_source: dict[SourceKey, SourceRecords] | None = None
        self._credits_from: Table[str, RefundRecord] | None = None
        self._refund_records_by_order: Table[str, RefundRecord] | None = None
        self._refund_records_by_id: dict[str, RefundRecord] | None = None
        self._memos_by_application: Table[tuple[str, str], CreditMemo] | None = None
        self._credit_lines: Table[tuple[str, str], CreditLine] | None = None
        self._customer_refunds_by_payment: Table[str, CustomerRefund] | None = None
        self._applications_to: Table[tuple[str, str], RefundApplication] | None = None
        self._refund_records: tuple[RefundRecord, ...] | None = None
        self._created_records: tuple[RefundRecord | CustomerRefund | Deposit, ...] | None = None
        self._external_ids: frozenset[str] | None = None
        self._marked_synced: frozenset[str] | None = None

    # -- what the snapshot itself answers (see LedgerSnapshot) -------------------------------

    def refund_records(self) -> tuple[RefundRecord, ...]:
        """Every credit memo, then every cash refund."""
        if self._refund_records is None:
            self._refund_records = (*self.snapshot.credit_memos, *self.snapshot.cash_refunds)
        return self._refund_records

    def created_records(self) -> tuple[RefundRecord | CustomerRefund | Deposit, ...]:
        """Credit memos, cash refunds, customer refunds and deposits."""
        if self._created_records is None:
            snap = self.snapshot
            self._created_records = (*self.refund_records(), *snap.customer_refunds, *snap.deposits)
        return self._created_records

    def external_ids(self) -> frozenset[str]:
        """Every external ID of a created record or a payment."""
        if self._external_ids is None:
            self._external_ids = frozenset(
                record.external_id
                for record in (*self.created_records(), *self.snapshot.payments)
                if record.external_id is not None
            )
        return self._external_ids

    def marked_synced(self) -> frozenset[str]:
        """External IDs of the outgoing syncs recorded on credit memos and cash refunds."""
        if self._marked_synced is None:
            self._marked_synced = frozenset(
                record.storefront_sync.external_id
                for record in self.refund_records()
                if record.storefront_sync is not None
            )
        return self._marked_synced

    # -- records by their own IDs and references ---------------------------------------------

    def orders_by_ref(self) -> dict[str, SalesOrder]:
        """Sales orders by storefront order reference (the first one, as a scan finds it)."""
        if self._orders_by_ref is None:
            self._orders_by_ref = _first_by(self.snapshot.sales_orders, lambda so: so.order_ref)
        return self._orders_by_ref

    def orders_by_id(self) -> dict[str, SalesOrder]:
        """Sales orders by internal ID."""
        if self._orders_by_id is None:
            self._orders_by_id = {so.internal_id: so for so in self.snapshot.sales_orders}
        return self._orders_by_id

    def billing_by_id(self) -> dict[str, Billing]:
        """Invoices and cash sales by internal ID (internal IDs are unique in a snapshot)."""
        if self._billing_by_id is None:
            snap = self.snapshot
            found: dict[str, Billing] = {inv.internal_id: inv for inv in snap.invoices}
            found.update((cs.internal_id, cs) for cs in snap.cash_sales)
            self._billing_by_id = found
        return self._billing_by_id

    def billing_by_order(self) -> dict[str, tuple[Billing, ...]]:
        """Each order's invoices and cash sales, in creation order (NSC-5)."""
        if self._billing_by_order is None:
            grouped: dict[str, list[Billing]] = {}
            for txn in self.billing_by_id().values():
                if txn.order_id is not None:
                    _add(grouped, txn.order_id, txn)
            self._billing_by_order = {
                order_id: tuple(sorted(txns, key=lambda txn: (txn.created_at, txn.internal_id)))
                for order_id, txns in grouped.items()
            }
        return self._billing_by_order

    def cash_sales_by_ref(self) -> dict[str, CashSale]:
        """Cash sales by the processor charge that paid them (the first one)."""
        if self._cash_sales_by_ref is None:
            self._cash_sales_by_ref = _first_by(self.snapshot.cash_sales, lambda cs: cs.payment_ref)
        return self._cash_sales_by_ref

    def deposits_by_ref(self) -> dict[str, CustomerDeposit]:
        """Customer deposits by processor charge (the first one)."""
        if self._deposits_by_ref is None:
            self._deposits_by_ref = _first_by(
                self.snapshot.customer_deposits, lambda d: d.payment_ref
            )
        return self._deposits_by_ref

    def rmas_by_id(self) -> dict[str, ReturnAuthorization]:
        """Return authorizations by internal ID."""
        if self._rmas_by_id is None:
            self._rmas_by_id = {r.internal_id: r for r in self.snapshot.return_authorizations}
        return self._rmas_by_id

    def rmas_by_order(self) -> dict[str, tuple[ReturnAuthorization, ...]]:
        """Each order's return authorizations, in snapshot order."""
        if self._rmas_by_order is None:
            grouped: dict[str, list[ReturnAuthorization]] = {}
            for rma in self.snapshot.return_authorizations:
                _add(grouped, rma.order_id, rma)
            self._rmas_by_order = {order_id: tuple(rmas) for order_id, rmas in grouped.items()}
        return self._rmas_by_order

    def by_source(self) -> dict[SourceKey, SourceRecords]:
        """What syncs created for each source event: credits, customer refunds, reversals."""
        if self._by_source is None:
            found: dict[SourceKey, SourceRecords] = {}
            snap = self.snapshot
            for family in (*REFUND_FAMILIES, "customer_refunds", "payments"):
                for record in getattr(snap, family):
                    source = record.source
                    if source is not None:
                        held = found.get(source)
                        if held is None:
                            held = found[source] = SourceRecords()
                        held.of(family).append(record)
            self._by_source = found
        return self._by_source

    # -- payments ----------------------------------------------------------------------------

    def _build_payments(self) -> None:
        by_ref: dict[str, list[Entry[CustomerPayment]]] = {}
        by_id: dict[str, CustomerPayment] = {}
        for index, payment in enumerate(self.snapshot.payments):
            by_id[payment.internal_id] = payment
            if payment.payment_ref is not None:
                _add(by_ref, payment.payment_ref, (index * _INDEX, payment, payment))
        self._payments_by_ref = Table(("payments",), _payment_by_ref, by_ref)
        self._payments_by_id = by_id

    def payments_by_ref(self) -> Table[str, CustomerPayment]:
        """Customer payments by processor charge, every one (a view may leave some out)."""
        if self._payments_by_ref is None:
            self._build_payments()
        assert self._payments_by_ref is not None
        return self._payments_by_ref

    def payments_by_id(self) -> dict[str, CustomerPayment]:
        """Customer payments by internal ID."""
        if self._payments_by_id is None:
            self._build_payments()
        assert self._payments_by_id is not None
        return self._payments_by_id

    # -- credit memos and cash refunds -------------------------------------------------------

    def _build_refund_records(self) -> None:
        snap = self.snapshot
        from_txn: dict[str, list[Entry[RefundRecord]]] = {}
        by_order: dict[str, list[Entry[RefundRecord]]] = {}
        by_application: dict[tuple[str, str], list[Entry[CreditMemo]]] = {}
        by_id: dict[str, RefundRecord] = {}
        for rank, family in enumerate(REFUND_FAMILIES):
            base = rank * _RANK
            for index, record in enumerate(getattr(snap, family)):
                entry = (base + index * _INDEX, record, record)
                by_id[record.internal_id] = record
                _add(from_txn, record.created_from, entry)
                if record.order_id is not None:
                    _add(by_order, record.order_id, entry)
                if rank == 0 and record.refunded_payment_id is not None:
                    _add(by_application, (record.refunded_payment_id, record.created_from), entry)
        self._credits_from = Table(REFUND_FAMILIES, _credit_from, from_txn)
        self._refund_records_by_order = Table(REFUND_FAMILIES, _refund_by_order, by_order)
        self._memos_by_application = Table(("credit_memos",), _memo_by_application, by_application)
        self._refund_records_by_id = by_id

    def credits_from(self) -> Table[str, RefundRecord]:
        """Credit memos and cash refunds by the transaction they were created from."""
        if self._credits_from is None:
            self._build_refund_records()
        assert self._credits_from is not None
        return self._credits_from

    def refund_records_by_order(self) -> Table[str, RefundRecord]:
        """Credit memos and cash refunds by the order they name."""
        if self._refund_records_by_order is None:
            self._build_refund_records()
        assert self._refund_records_by_order is not None
        return self._refund_records_by_order

    def memos_by_application(self) -> Table[tuple[str, str], CreditMemo]:
        """Credit memos by (payment whose application they refund, invoice) (STC-5)."""
        if self._memos_by_application is None:
            self._build_refund_records()
        assert self._memos_by_application is not None
        return self._memos_by_application

    def refund_records_by_id(self) -> dict[str, RefundRecord]:
        """Credit memos and cash refunds by internal ID."""
        if self._refund_records_by_id is None:
            self._build_refund_records()
        assert self._refund_records_by_id is not None
        return self._refund_records_by_id

    def credit_lines(self) -> Table[tuple[str, str], CreditLine]:
        """Credit lines by (transaction credited, billing line they credit)."""
        if self._credit_lines is None:
            self._credit_lines = Table.build(self.snapshot, REFUND_FAMILIES, _credit_lines)
        return self._credit_lines

    # -- customer refunds --------------------------------------------------------------------

    def _build_customer_refunds(self) -> None:
        by_payment: dict[str, list[Entry[CustomerRefund]]] = {}
        applied: dict[tuple[str, str], list[Entry[RefundApplication]]] = {}
        for index, refund in enumerate(self.snapshot.customer_refunds):
            base = index * _INDEX
            if refund.payment_id is not None:
                _add(by_payment, refund.payment_id, (base, refund, refund))
            for part, app in enumerate(refund.applications):
                _add(applied, (app.kind.value, app.record_id), (base + part, refund, app))
        self._customer_refunds_by_payment = Table(
            ("customer_refunds",), _refund_by_payment, by_payment
        )
        self._applications_to = Table(("customer_refunds",), _applications, applied)

    def customer_refunds_by_payment(self) -> Table[str, CustomerRefund]:
        """Customer refunds by the payment they refund."""
        if self._customer_refunds_by_payment is None:
            self._build_customer_refunds()
        assert self._customer_refunds_by_payment is not None
        return self._customer_refunds_by_payment

    def applications_to(self) -> Table[tuple[str, str], RefundApplication]:
        """Customer refund applications by (what they apply to, its internal ID)."""
        if self._applications_to is None:
            self._build_customer_refunds()
        assert self._applications_to is not None
        return self._applications_to


# What each table holds of one record (``Table.items_of``), matching the builders above.


def _payment_by_ref(payment: CustomerPayment) -> tuple[tuple[str, CustomerPayment], ...]:
    ref = payment.payment_ref
    return () if ref is None else ((ref, payment),)


def _credit_from(record: RefundRecord) -> tuple[tuple[str, RefundRecord]]:
    return ((record.created_from, record),)


def _refund_by_order(record: RefundRecord) -> tuple[tuple[str, RefundRecord], ...]:
    order_id = record.order_id
    return () if order_id is None else ((order_id, record),)


def _memo_by_application(memo: CreditMemo) -> tuple[tuple[tuple[str, str], CreditMemo], ...]:
    payment_id = memo.refunded_payment_id
    return () if payment_id is None else (((payment_id, memo.created_from), memo),)


def _credit_lines(record: RefundRecord) -> Iterator[tuple[tuple[str, str], CreditLine]]:
    for line in record.lines:
        if line.origin_line_id is not None:
            yield (record.created_from, line.origin_line_id), line


def _refund_by_payment(refund: CustomerRefund) -> tuple[tuple[str, CustomerRefund], ...]:
    payment_id = refund.payment_id
    return () if payment_id is None else ((payment_id, refund),)


def _applications(refund: CustomerRefund) -> Iterator[tuple[tuple[str, str], RefundApplication]]:
    for app in refund.applications:
        yield (app.kind.value, app.record_id), app
