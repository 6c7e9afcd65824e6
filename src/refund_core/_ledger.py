"""Questions decisions ask of a ledger snapshot, and the pure effect of a plan on one.

:func:`apply_plan` is what a NetSuite account would look like after a plan's writes. It is pure:
internal IDs of new records are derived from their external IDs. Decisions use it only through
tests and the scenario runner; the in-memory fakes and stand-ins use it to stay faithful.
"""

import functools
import operator
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator
from decimal import Decimal
from typing import Any

import attrs

from ._errors import InvalidRecordError, RefundSyncError
from ._index import LedgerIndex, Measure, SourceRecords, Table
from ._models import (
    CashRefund,
    CashSale,
    CreditMemo,
    CustomerDeposit,
    CustomerPayment,
    CustomerRefund,
    Deposit,
    DepositPaymentLine,
    DepositRecordKind,
    Invoice,
    LedgerSnapshot,
    PaymentStatus,
    RefundApplication,
    RefundApplicationKind,
    ReturnAuthorization,
    SalesOrder,
    SourceKey,
    TransactionLine,
)
from ._money import Currency, Money, sum_money
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
    Outcome,
    Plan,
    RecordRef,
    SyncedRecordKind,
)
from ._tax import CreditLineKind

__all__ = ["LedgerView", "apply_action", "apply_plan"]

Billing = Invoice | CashSale


@attrs.frozen
class LedgerView:
    """Read-only questions over a snapshot; every amount is computed, never stored.

    Questions are answered from the snapshot's index (:mod:`refund_core._index`), built once per
    snapshot on first use, so no question scans the ledger. A view made by
    :meth:`without_source` answers as if the records of that source event were not there.
    """

    _base: LedgerSnapshot = attrs.field(alias="snapshot")
    _excluded: frozenset[SourceKey] = attrs.field(
        default=frozenset(), kw_only=True, alias="excluded"
    )

    @functools.cached_property
    def snapshot(self) -> LedgerSnapshot:
        """The snapshot this view answers for, without the records of excluded source events."""
        snap = self._base
        if not self._excluded:
            return snap
        keep = self._keep
        return attrs.evolve(
            snap,
            credit_memos=tuple(r for r in snap.credit_memos if keep(r)),
            cash_refunds=tuple(r for r in snap.cash_refunds if keep(r)),
            customer_refunds=tuple(r for r in snap.customer_refunds if keep(r)),
            payments=tuple(p for p in snap.payments if keep(p)),
        )

    @property
    def _index(self) -> LedgerIndex:
        index: LedgerIndex = self._base._index
        return index

    def _keep(self, record: object) -> bool:
        """Whether the view holds ``record`` (records of excluded source events are left out)."""
        return not self._excluded or getattr(record, "source", None) not in self._excluded

    @functools.cached_property
    def _gone(self) -> dict[str, list[Any]]:
        """The records left out (those of the excluded source events), by family."""
        gone: dict[str, list[Any]] = {}
        by_source = self._index.by_source()
        for source in self._excluded:
            held = by_source.get(source)
            if held is not None:
                for family in SourceRecords.__slots__:
                    gone.setdefault(family, []).extend(held.of(family))
        return gone

    # -- lookups --------------------------------------------------------------------------

    def sales_order_by_ref(self, order_ref: str) -> SalesOrder | None:
        """The sales order imported from the storefront order ``order_ref``."""
        return self._index.orders_by_ref().get(order_ref)

    def sales_order(self, internal_id: str) -> SalesOrder | None:
        """The sales order with this internal ID."""
        return self._index.orders_by_id().get(internal_id)

    def invoice(self, internal_id: str) -> Invoice:
        """The invoice with this internal ID; a snapshot missing it is incomplete input."""
        txn = self._index.billing_by_id().get(internal_id)
        if isinstance(txn, Invoice):
            return txn
        raise InvalidRecordError(f"invoice {internal_id} is referenced but not in the snapshot")

    def billing(self, internal_id: str) -> Billing | None:
        """The invoice or cash sale with this internal ID."""
        return self._index.billing_by_id().get(internal_id)

    def billing_for_order(self, order_id: str) -> tuple[Billing, ...]:
        """Invoices and cash sales of an order, in creation order (NSC-5)."""
        return self._index.billing_by_order().get(order_id, ())

    def return_authorization(self, internal_id: str) -> ReturnAuthorization | None:
        """The return authorization with this internal ID."""
        return self._index.rmas_by_id().get(internal_id)

    def return_authorizations_for(self, order_id: str) -> tuple[ReturnAuthorization, ...]:
        """The return authorizations of an order, in snapshot order."""
        return self._index.rmas_by_order().get(order_id, ())

    def payment_by_ref(self, payment_ref: str) -> CustomerPayment | None:
        """The customer payment recorded from processor charge ``payment_ref``."""
        for _, record, payment in self._index.payments_by_ref().get(payment_ref):
            if self._keep(record):
                return payment
        return None

    def payment(self, internal_id: str) -> CustomerPayment | None:
        """The customer payment with this internal ID."""
        payment = self._index.payments_by_id().get(internal_id)
        return payment if payment is not None and self._keep(payment) else None

    def cash_sale_by_ref(self, payment_ref: str) -> CashSale | None:
        """The cash sale paid by processor charge ``payment_ref``."""
        return self._index.cash_sales_by_ref().get(payment_ref)

    def deposit_by_ref(self, payment_ref: str) -> CustomerDeposit | None:
        """The customer deposit recorded from processor charge ``payment_ref``."""
        return self._index.deposits_by_ref().get(payment_ref)

    def refund_record(self, internal_id: str) -> CreditMemo | CashRefund | None:
        """The credit memo or cash refund with this internal ID."""
        record = self._index.refund_records_by_id().get(internal_id)
        return record if record is not None and self._keep(record) else None

    def _from_source(self, source: SourceKey) -> SourceRecords | None:
        if source in self._excluded:
            return None
        return self._index.by_source().get(source)

    def refund_records_for(self, source: SourceKey) -> tuple[CreditMemo | CashRefund, ...]:
        """Credit memos and cash refunds a sync created for one source event."""
        found = self._from_source(source)
        return tuple(found.refund_records) if found is not None else ()

    def customer_refunds_for(self, source: SourceKey) -> tuple[CustomerRefund, ...]:
        """Customer refunds a sync created for one source event."""
        found = self._from_source(source)
        return tuple(found.customer_refunds) if found is not None else ()

    def reversals_for(self, source: SourceKey) -> tuple[CustomerPayment, ...]:
        """Payments a sync created to reverse one source event's refund (IDM-3)."""
        found = self._from_source(source)
        return tuple(found.payments) if found is not None else ()

    def records_for(
        self, source: SourceKey
    ) -> tuple[CreditMemo | CashRefund | CustomerRefund | CustomerPayment, ...]:
        """Every record NetSuite holds for a source event, whoever made it (IDM-4, MNY-4)."""
        found = self._from_source(source)
        return tuple(found.all()) if found is not None else ()

    def has_records_for(self, source: SourceKey) -> bool:
        """Whether any record was already created for this source event."""
        return self._from_source(source) is not None

    def without_source(self, source: SourceKey) -> "LedgerView":
        """The ledger as it was before any record of ``source`` was created.

        Decisions plan against this view so a plan interrupted halfway is planned again with the
        very same actions and IDs; the ones that exist are then dropped (IDM-1, IDM-2). The view
        shares the snapshot's index and leaves the source's records out of every answer.
        """
        if source in self._excluded or source not in self._index.by_source():
            return self  # no record of the source is in view: leaving it out changes nothing
        return LedgerView(self._base, excluded=self._excluded | {source})

    def refund_records_from(
        self, txn_ids: Iterable[str], order_id: str | None = None
    ) -> tuple[CreditMemo | CashRefund, ...]:
        """Credit memos and cash refunds created from any of ``txn_ids`` or naming ``order_id``.

        In snapshot order (credit memos, then cash refunds), each once.
        """
        index = self._index
        found: dict[int, CreditMemo | CashRefund] = {}
        for txn_id in txn_ids:
            for position, record, _ in index.credits_from().get(txn_id):
                found[position] = record
        if order_id is not None:
            for position, record, _ in index.refund_records_by_order().get(order_id):
                found[position] = record
        keep = self._keep
        return tuple(found[position] for position in sorted(found) if keep(found[position]))

    # -- amounts --------------------------------------------------------------------------

    def _total(
        self,
        table: Table[Any, Any],
        keys: Collection[Hashable],
        measure: Measure,
        currency: Currency,
    ) -> Money:
        """The visible items of the buckets of ``keys``, measured and added up.

        Each bucket's sum is kept by the index; the items of excluded records are taken back
        out. Where a sum cannot be made that way (a record in another currency), the items are
        added up one by one in snapshot order, which raises exactly what a scan raises.
        """
        if not self._excluded and len(keys) == 1:  # the usual question: one bucket, all in view
            for key in keys:
                full = table.total(key, measure, currency)
                if full is not None:
                    return full
        known: list[Money] = []
        for key in keys:
            full = table.total(key, measure, currency)
            if full is None:
                break
            known.append(full)
        else:
            try:
                total = known[0] if len(known) == 1 else sum_money(known, currency)
                if self._excluded:
                    gone = [
                        amount
                        for family in table.families
                        for record in self._gone.get(family, ())
                        for key, item in table.items_of(record)
                        if key in keys
                        for amount in measure.amounts(item)
                    ]
                    if gone:
                        total = total - sum_money(gone, currency)
                return total
            except (RefundSyncError, ArithmeticError):
                pass  # added up one by one below, as a scan does
        entries = sorted(
            (entry for key in keys for entry in table.get(key)), key=operator.itemgetter(0)
        )
        keep = self._keep
        return sum_money(
            (
                amount
                for _, record, item in entries
                if keep(record)
                for amount in measure.amounts(item)
            ),
            currency,
        )

    def credited(self, txn: Billing) -> Money:
        """What credit memos or cash refunds have already taken from a billing transaction."""
        return self._total(self._index.credits_from(), (txn.internal_id,), _amount, txn.currency)

    def refundable(self, txn: Billing) -> Money:
        """What is still refundable on a billing transaction (MNY-4)."""
        return txn.total - self.credited(txn)

    def shipping_refundable(self, txn: Billing) -> Money:
        """Shipping still refundable on a billing transaction (cost or shipping item, SHP-1)."""
        used = self._total(
            self._index.credits_from(), (txn.internal_id,), _shipping_used, txn.currency
        )
        return (txn.shipping - used).max(Money.zero(txn.currency))

    def line_refundable(self, txn: Billing, line: TransactionLine) -> tuple[Money, Decimal | None]:
        """Amount (tax included) and quantity of a billing line not yet credited.

        The quantity is None when the line names none. A credit's explicit tax line for this
        billing line (TAX-2) counts with it.
        """
        table = self._index.credit_lines()
        key = (txn.internal_id, line.line_id)
        amount = line.gross - self._total(table, (key,), _gross, txn.currency)
        if line.quantity is None:
            return amount, None
        quantity = line.quantity
        keep = self._keep
        for _, record, credit_line in table.get(key):
            if credit_line.quantity is not None and keep(record):
                quantity -= credit_line.quantity
        return amount, quantity

    def is_credited_at_all(self, txn: Billing) -> bool:
        """Whether any credit was already taken from the transaction."""
        keep = self._keep
        return any(keep(r) for _, r, _ in self._index.credits_from().get(txn.internal_id))

    def order_refunded(self, order: SalesOrder) -> Money:
        """Everything credited against an order's billing transactions and RMAs."""
        ids = {txn.internal_id for txn in self.billing_for_order(order.internal_id)}
        ids |= {rma.internal_id for rma in self.return_authorizations_for(order.internal_id)}
        return self._total(self._index.credits_from(), ids, _amount, order.currency)

    def payment_refunded(self, payment: CustomerPayment) -> Money:
        """Customer refunds already made against a payment, by either path (MNY-4)."""
        return self._total(
            self._index.customer_refunds_by_payment(),
            (payment.internal_id,),
            _amount,
            payment.amount.currency,
        )

    def payment_unapplied(self, payment: CustomerPayment) -> Money:
        """A payment's balance applied to no invoice and not yet refunded directly (STC-9)."""
        direct = self._total(
            self._index.applications_to(),
            ((RefundApplicationKind.PAYMENT.value, payment.internal_id),),
            _amount,
            payment.amount.currency,
        )
        return payment.amount - payment.applied - direct

    def application_credited(self, payment: CustomerPayment, invoice_id: str) -> Money:
        """Credit memos already refunding this payment's application to this invoice (STC-5)."""
        return self._total(
            self._index.memos_by_application(),
            ((payment.internal_id, invoice_id),),
            _amount,
            payment.amount.currency,
        )

    def deposit_refunded(self, deposit: CustomerDeposit) -> Money:
        """Customer refunds already applied to a customer deposit."""
        return self._total(
            self._index.applications_to(),
            ((RefundApplicationKind.CUSTOMER_DEPOSIT.value, deposit.internal_id),),
            _amount,
            deposit.amount.currency,
        )

    def tender_refunded(self, order: SalesOrder) -> tuple[Money, Money]:
        """(payment-method part, gift-card part) already synced out for an order (NSC-8)."""
        zero = Money.zero(order.currency)
        payment_part, gift_part = zero, zero
        ids = [txn.internal_id for txn in self.billing_for_order(order.internal_id)]
        for record in self.refund_records_from(ids, order_id=order.internal_id):
            if record.storefront_sync is None:
                continue
            payment_part = payment_part + record.storefront_sync.payment_part
            gift_part = gift_part + record.storefront_sync.gift_card_part
        return payment_part, gift_part


# What the sums above measure, one object each so the index can keep their sums.


def _shipping_amounts(record: CreditMemo | CashRefund) -> Iterator[Money]:
    yield record.shipping
    for line in record.lines:
        if line.kind is CreditLineKind.SHIPPING:
            yield line.amount


_amount = Measure(one=operator.attrgetter("amount"))
_gross = Measure(one=operator.attrgetter("gross"))
_shipping_used = Measure(many=_shipping_amounts)


# ----------------------------------------------------------------------------------------------
# Applying a plan
# ----------------------------------------------------------------------------------------------


def _default_internal_id(external_id: str) -> str:
    return f"ns-{external_id}"


def apply_plan(
    ledger: LedgerSnapshot,
    outcome: Outcome,
    *,
    internal_id_for: Callable[[str], str] = _default_internal_id,
) -> LedgerSnapshot:
    """The snapshot after a plan's NetSuite writes; skipped and unsupported change nothing.

    Storefront actions (refunds, store credit) do not touch NetSuite and are ignored here.
    Writes whose external ID already exists are not repeated, as NetSuite would refuse them.
    """
    if not isinstance(outcome, Plan):
        return ledger
    snap = ledger
    for action in outcome.actions:
        snap = apply_action(snap, action, internal_id_for)
    return snap


def _resolve(snap: LedgerSnapshot, ref: RecordRef) -> str:
    if ref.internal_id is not None:
        return ref.internal_id
    record = snap._index.created_by_external_id().get(ref.external_id or "")
    if record is not None:
        return record.internal_id
    raise InvalidRecordError(f"no record with external ID {ref.external_id} to apply to")


def apply_action(
    snap: LedgerSnapshot,
    action: object,
    internal_id_for: Callable[[str], str] = _default_internal_id,
) -> LedgerSnapshot:
    """The snapshot after one action's NetSuite write (see :func:`apply_plan`)."""
    existing = snap.external_ids()
    match action:
        case CreateCreditMemo() if action.external_id not in existing:
            memo = CreditMemo(
                internal_id=internal_id_for(action.external_id),
                customer_id=action.customer_id,
                created_from=action.created_from,
                amount=action.amount,
                lines=action.lines,
                shipping=action.shipping,
                external_id=action.external_id,
                order_id=action.order_id,
                refunded_payment_id=action.refunded_payment_id,
                source=action.source,
            )
            return _appended(snap, "credit_memos", memo)
        case CreateCashRefund() if action.external_id not in existing:
            refund = CashRefund(
                internal_id=internal_id_for(action.external_id),
                customer_id=action.customer_id,
                created_from=action.created_from,
                amount=action.amount,
                lines=action.lines,
                shipping=action.shipping,
                external_id=action.external_id,
                order_id=action.order_id,
                source=action.source,
            )
            return _appended(snap, "cash_refunds", refund)
        case CreateCustomerRefund() if action.external_id not in existing:
            customer_refund = CustomerRefund(
                internal_id=internal_id_for(action.external_id),
                customer_id=action.customer_id,
                amount=action.amount,
                applications=tuple(
                    RefundApplication(app.kind, _resolve(snap, app.record), app.amount)
                    for app in action.applications
                ),
                memo=action.memo,
                external_id=action.external_id,
                payment_id=action.payment_id,
                source=action.source,
            )
            return _appended(snap, "customer_refunds", customer_refund)
        case CreateRefundReversal() if action.external_id not in existing:
            # Applied to nothing: the amount is the customer's credit again (IDM-3).
            reversal = CustomerPayment(
                internal_id=internal_id_for(action.external_id),
                customer_id=action.customer_id,
                amount=action.amount,
                created_at=action.transaction_date,
                status=PaymentStatus.UNDEPOSITED,
                external_id=action.external_id,
                source=action.source,
                memo=action.memo,
            )
            return _appended(snap, "payments", reversal)
        case MarkPaymentFailed():
            return attrs.evolve(
                snap,
                payments=tuple(
                    attrs.evolve(
                        payment,
                        status=PaymentStatus.FAILED,
                        applications=tuple(
                            app
                            for app in payment.applications
                            if app.invoice_id not in action.unapply_invoice_ids
                        ),
                    )
                    if payment.internal_id == action.payment_id
                    else payment
                    for payment in snap.payments
                ),
            )
        case CreateDeposit() if action.external_id not in existing:
            return _apply_deposit(snap, action, internal_id_for)
        case MarkRecordSynced():
            if action.record_kind is SyncedRecordKind.CREDIT_MEMO:
                return attrs.evolve(
                    snap,
                    credit_memos=tuple(
                        attrs.evolve(cm, storefront_sync=action.sync)
                        if cm.internal_id == action.record_id
                        else cm
                        for cm in snap.credit_memos
                    ),
                )
            return attrs.evolve(
                snap,
                cash_refunds=tuple(
                    attrs.evolve(cr, storefront_sync=action.sync)
                    if cr.internal_id == action.record_id
                    else cr
                    for cr in snap.cash_refunds
                ),
            )
        case IssueStorefrontRefund() | IssueStoreCredit():
            return snap
        case _:
            # An action whose external ID already exists: NetSuite would refuse a duplicate.
            return snap


def _appended(snap: LedgerSnapshot, family: str, record: Any) -> LedgerSnapshot:
    """``snap`` with ``record`` appended to ``family`` (see ``LedgerSnapshot._with``)."""
    return snap._with(family, record)


def _apply_deposit(
    snap: LedgerSnapshot, action: CreateDeposit, internal_id_for: Callable[[str], str]
) -> LedgerSnapshot:
    deposit_id = internal_id_for(action.external_id)
    lines = tuple(
        DepositPaymentLine(line.kind, _resolve(snap, line.record), line.amount, line.exchange_rate)
        for line in action.payment_lines
    )
    payment_ids = {line.record_id for line in lines if line.kind is DepositRecordKind.PAYMENT}
    refund_ids = {
        line.record_id for line in lines if line.kind is DepositRecordKind.CUSTOMER_REFUND
    }
    deposit = Deposit(
        internal_id=deposit_id,
        payout_ref=action.payout_ref,
        amount=action.amount,
        payment_lines=lines,
        other_lines=action.other_lines,
        account=action.account,
        external_id=action.external_id,
    )
    return attrs.evolve(
        snap,
        deposits=(*snap.deposits, deposit),
        payments=tuple(
            attrs.evolve(p, status=PaymentStatus.DEPOSITED) if p.internal_id in payment_ids else p
            for p in snap.payments
        ),
        customer_refunds=tuple(
            attrs.evolve(cr, deposit_id=deposit_id) if cr.internal_id in refund_ids else cr
            for cr in snap.customer_refunds
        ),
    )
