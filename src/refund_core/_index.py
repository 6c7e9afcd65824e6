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

import bisect
import operator
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


class Measure:
    """How much an item counts in a sum: one amount (``one``) or several (``many``)."""

    __slots__ = ("many", "one")

    def __init__(
        self,
        one: Callable[[Any], Money] | None = None,
        many: Callable[[Any], Iterable[Money]] | None = None,
    ) -> None:
        self.one = one
        self.many = many

    def amounts(self, item: Any) -> Iterable[Money]:
        """The amounts ``item`` counts for, in the order a scan adds them."""
        if self.one is not None:
            return (self.one(item),)
        assert self.many is not None
        return self.many(item)


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
        # Per key: per (currency code, measure), the bucket's sum (None: cannot be made).
        self._sums: dict[K, dict[tuple[str, Measure], Money | None]] = {}

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
        memo = (currency.code, measure)
        sums = self._sums.get(key)
        if sums is None:
            sums = self._sums[key] = {}
        elif memo in sums:
            return sums[memo]
        bucket = self.buckets.get(key)
        if bucket is None:
            total: Money | None = Money.zero(currency)
        else:
            total = _sum((item for _, _, item in bucket), measure, currency)
        sums[memo] = total
        return total

    def with_record(self, record: Any, position: int) -> Table[K, T]:
        """This table with ``record`` added at ``position``, sharing what it does not change.

        The record's buckets are copied with its entries in place, and their sums carried
        forward by adding its items, so a table grown a record at a time is never rebuilt.
        """
        buckets = dict(self.buckets)
        sums = dict(self._sums)
        for part, (key, item) in enumerate(self.items_of(record)):
            entry = (position + part, record, item)
            bucket = buckets.get(key)
            if bucket is None:
                buckets[key] = [entry]
            elif bucket[-1][0] < entry[0]:
                buckets[key] = [*bucket, entry]
            else:  # a credit memo goes before the cash refunds of a mixed bucket
                grown = list(bucket)
                bisect.insort(grown, entry, key=_POSITION)
                buckets[key] = grown
            held = sums.get(key)
            if held:
                sums[key] = {
                    (code, measure): _grown(total, item, measure)
                    for (code, measure), total in held.items()
                }
        table = Table(self.families, self.items_of, buckets)
        table._sums = sums
        return table


def _sum(items: Iterable[Any], measure: Measure, currency: Currency) -> Money | None:
    """The items measured and added up, or None when they cannot be (another currency).

    On None the caller adds the items up itself, and so raises what a scan raises.
    """
    try:
        if measure.one is not None:
            return sum_money(map(measure.one, items), currency)
        return sum_money((amount for item in items for amount in measure.amounts(item)), currency)
    except (RefundSyncError, ArithmeticError):
        return None


def _grown(total: Money | None, item: Any, measure: Measure) -> Money | None:
    """A kept sum with one more item: what summing the grown bucket afresh gives."""
    if total is None:
        return None
    more = _sum((item,), measure, total.currency)
    if more is None:
        return None
    try:
        return total + more
    except (RefundSyncError, ArithmeticError):
        return None


_POSITION = operator.itemgetter(0)


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

    def with_record(self, family: str, record: Any) -> SourceRecords:
        """A copy with ``record`` appended to ``family``."""
        grown = SourceRecords()
        grown.credit_memos = list(self.credit_memos)
        grown.cash_refunds = list(self.cash_refunds)
        grown.customer_refunds = list(self.customer_refunds)
        grown.payments = list(self.payments)
        grown.of(family).append(record)
        return grown

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


_ALWAYS_SHARED = (
    "_orders_by_ref",
    "_orders_by_id",
    "_billing_by_id",
    "_billing_by_order",
    "_cash_sales_by_ref",
    "_deposits_by_ref",
    "_rmas_by_id",
    "_rmas_by_order",
)
_REFUND_TABLES = (
    "_credits_from",
    "_refund_records_by_order",
    "_memos_by_application",
    "_refund_records_by_id",
    "_credit_lines",
    "_marked_synced",
)
_CUSTOMER_REFUND_TABLES = ("_customer_refunds_by_payment", "_applications_to")
_PAYMENT_TABLES = ("_payments_by_ref", "_payments_by_id")
_SHARED_BY_PAYMENTS = ("_created_by_external_id",)
# The tables a record of each family leaves as they are (LedgerIndex.carry_into shares them).
_SHARED_UNLESS: dict[str, tuple[str, ...]] = {
    "credit_memos": (*_ALWAYS_SHARED, *_CUSTOMER_REFUND_TABLES, *_PAYMENT_TABLES),
    "cash_refunds": (*_ALWAYS_SHARED, *_CUSTOMER_REFUND_TABLES, *_PAYMENT_TABLES),
    "customer_refunds": (*_ALWAYS_SHARED, *_REFUND_TABLES, *_PAYMENT_TABLES),
    "payments": (
        *_ALWAYS_SHARED,
        *_REFUND_TABLES,
        *_CUSTOMER_REFUND_TABLES,
        *_SHARED_BY_PAYMENTS,
    ),
}


class LedgerIndex:
    """The tables of one snapshot; each family's are built the first time one is needed."""

    __slots__ = (
        "_applications_to",
        "_billing_by_id",
        "_billing_by_order",
        "_by_source",
        "_cash_sales_by_ref",
        "_created_by_external_id",
        "_created_records",
        "_credit_lines",
        "_credits_from",
        "_customer_refunds_by_payment",
        "_deposits_by_ref",
        "_external_ids",
        "_internal_ids",
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
        self._internal_ids: frozenset[str] | None = None
        self._created_by_external_id: dict[str, RefundRecord | CustomerRefund | Deposit] | None = (
            None
        )
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

    def know_ids(self, internal_ids: frozenset[str], external_ids: frozenset[str]) -> None:
        """Keep the internal and external IDs the snapshot collected while checking itself."""
        self._internal_ids = internal_ids
        self._external_ids = external_ids

    def internal_ids(self) -> frozenset[str]:
        """Every record's internal ID."""
        if self._internal_ids is None:
            self._internal_ids = frozenset(r.internal_id for r in self.snapshot.all_records())
        return self._internal_ids

    def created_by_external_id(self) -> dict[str, RefundRecord | CustomerRefund | Deposit]:
        """Created records by external ID (the first one, as a scan finds it)."""
        if self._created_by_external_id is None:
            self._created_by_external_id = _first_by(
                self.created_records(), lambda record: record.external_id
            )
        return self._created_by_external_id

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

    # -- a snapshot grown by one record ------------------------------------------------------

    def carry_into(self, grown: LedgerIndex, family: str, record: Any) -> None:
        """Give ``grown`` (this snapshot with ``record`` appended to ``family``) these tables.

        Applying a plan grows a snapshot a record at a time (``apply_action``); rebuilding every
        table for each new snapshot would make a run of refunds on one charge quadratic again.
        Tables the record does not touch are shared; those it does are copied with it added
        (:meth:`Table.with_record`); tables never built here are built on first use as usual.
        """
        for name in _SHARED_UNLESS[family]:
            setattr(grown, name, getattr(self, name))
        if self._internal_ids is not None:
            grown._internal_ids = self._internal_ids | {record.internal_id}
        external = record.external_id
        if self._external_ids is not None:
            grown._external_ids = (
                self._external_ids if external is None else self._external_ids | {external}
            )
        if self._created_by_external_id is not None and family != "payments":
            known = self._created_by_external_id
            # Created records are credit memos, cash refunds, customer refunds, deposits, in
            # that order: a new one is the first with its external ID unless one came earlier.
            grown._created_by_external_id = (
                known if external is None or external in known else {**known, external: record}
            )
        index = len(getattr(self.snapshot, family))
        if self._by_source is not None:
            by_source = dict(self._by_source)
            if record.source is not None:
                held = by_source.get(record.source) or SourceRecords()
                by_source[record.source] = held.with_record(family, record)
            grown._by_source = by_source
        if family in REFUND_FAMILIES:
            position = REFUND_FAMILIES.index(family) * _RANK + index * _INDEX
            self._carry_refund_record(grown, family, record, position)
        elif family == "customer_refunds":
            position = index * _INDEX
            if self._customer_refunds_by_payment is not None:
                grown._customer_refunds_by_payment = self._customer_refunds_by_payment.with_record(
                    record, position
                )
            if self._applications_to is not None:
                grown._applications_to = self._applications_to.with_record(record, position)
        elif family == "payments":
            if self._payments_by_ref is not None:
                grown._payments_by_ref = self._payments_by_ref.with_record(record, index * _INDEX)
            if self._payments_by_id is not None:
                grown._payments_by_id = {**self._payments_by_id, record.internal_id: record}

    def _carry_refund_record(
        self, grown: LedgerIndex, family: str, record: RefundRecord, position: int
    ) -> None:
        if self._credits_from is not None:
            grown._credits_from = self._credits_from.with_record(record, position)
        if self._refund_records_by_order is not None:
            grown._refund_records_by_order = self._refund_records_by_order.with_record(
                record, position
            )
        if self._memos_by_application is not None:
            grown._memos_by_application = (
                self._memos_by_application.with_record(record, position)
                if family == "credit_memos"
                else self._memos_by_application
            )
        if self._refund_records_by_id is not None:
            grown._refund_records_by_id = {**self._refund_records_by_id, record.internal_id: record}
        if self._credit_lines is not None:
            grown._credit_lines = self._credit_lines.with_record(record, position)
        if self._marked_synced is not None:
            sync = record.storefront_sync
            grown._marked_synced = (
                self._marked_synced if sync is None else self._marked_synced | {sync.external_id}
            )


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
