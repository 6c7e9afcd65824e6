"""Questions decisions ask of a ledger snapshot, and the pure effect of a plan on one.

:func:`apply_plan` is what a NetSuite account would look like after a plan's writes. It is pure:
internal IDs of new records are derived from their external IDs. Decisions use it only through
tests and the scenario runner; the in-memory fakes and stand-ins use it to stay faithful.
"""

from collections.abc import Callable, Iterable
from decimal import Decimal

import attrs

from ._errors import InvalidRecordError
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
    SalesOrder,
    SourceKey,
    TransactionLine,
)
from ._money import Money, sum_money
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
    """Read-only questions over a snapshot; every amount is computed, never stored."""

    snapshot: LedgerSnapshot

    # -- lookups --------------------------------------------------------------------------

    def sales_order_by_ref(self, order_ref: str) -> SalesOrder | None:
        """The sales order imported from the storefront order ``order_ref``."""
        return next((so for so in self.snapshot.sales_orders if so.order_ref == order_ref), None)

    def sales_order(self, internal_id: str) -> SalesOrder | None:
        """The sales order with this internal ID."""
        return next(
            (so for so in self.snapshot.sales_orders if so.internal_id == internal_id), None
        )

    def invoice(self, internal_id: str) -> Invoice:
        """The invoice with this internal ID; a snapshot missing it is incomplete input."""
        for invoice in self.snapshot.invoices:
            if invoice.internal_id == internal_id:
                return invoice
        raise InvalidRecordError(f"invoice {internal_id} is referenced but not in the snapshot")

    def billing_for_order(self, order_id: str) -> tuple[Billing, ...]:
        """Invoices and cash sales of an order, in creation order (NSC-5)."""
        billing: list[Billing] = [
            *(inv for inv in self.snapshot.invoices if inv.order_id == order_id),
            *(cs for cs in self.snapshot.cash_sales if cs.order_id == order_id),
        ]
        return tuple(sorted(billing, key=lambda txn: (txn.created_at, txn.internal_id)))

    def payment_by_ref(self, payment_ref: str) -> CustomerPayment | None:
        """The customer payment recorded from processor charge ``payment_ref``."""
        return next((p for p in self.snapshot.payments if p.payment_ref == payment_ref), None)

    def cash_sale_by_ref(self, payment_ref: str) -> CashSale | None:
        """The cash sale paid by processor charge ``payment_ref``."""
        return next((c for c in self.snapshot.cash_sales if c.payment_ref == payment_ref), None)

    def deposit_by_ref(self, payment_ref: str) -> CustomerDeposit | None:
        """The customer deposit recorded from processor charge ``payment_ref``."""
        return next(
            (d for d in self.snapshot.customer_deposits if d.payment_ref == payment_ref), None
        )

    def refund_record(self, internal_id: str) -> CreditMemo | CashRefund | None:
        """The credit memo or cash refund with this internal ID."""
        for record in self.snapshot.refund_records():
            if record.internal_id == internal_id:
                return record
        return None

    def customer_refunds_for(self, source: SourceKey) -> tuple[CustomerRefund, ...]:
        """Customer refunds a sync created for one source event."""
        return tuple(cr for cr in self.snapshot.customer_refunds if cr.source == source)

    def reversals_for(self, source: SourceKey) -> tuple[CustomerPayment, ...]:
        """Payments a sync created to reverse one source event's refund (IDM-3)."""
        return tuple(p for p in self.snapshot.payments if p.source == source)

    def records_for(
        self, source: SourceKey
    ) -> tuple[CreditMemo | CashRefund | CustomerRefund | CustomerPayment, ...]:
        """Every record NetSuite holds for a source event, whoever made it (IDM-4, MNY-4)."""
        return (
            *(r for r in self.snapshot.refund_records() if r.source == source),
            *self.customer_refunds_for(source),
            *self.reversals_for(source),
        )

    def has_records_for(self, source: SourceKey) -> bool:
        """Whether any record was already created for this source event."""
        return bool(self.reversals_for(source)) or any(
            getattr(record, "source", None) == source for record in self.snapshot.created_records()
        )

    def without_source(self, source: SourceKey) -> "LedgerView":
        """The ledger as it was before any record of ``source`` was created.

        Decisions plan against this view so a plan interrupted halfway is planned again with the
        very same actions and IDs; the ones that exist are then dropped (IDM-1, IDM-2).
        """
        snap = self.snapshot
        return LedgerView(
            attrs.evolve(
                snap,
                credit_memos=tuple(r for r in snap.credit_memos if r.source != source),
                cash_refunds=tuple(r for r in snap.cash_refunds if r.source != source),
                customer_refunds=tuple(r for r in snap.customer_refunds if r.source != source),
                payments=tuple(p for p in snap.payments if p.source != source),
            )
        )

    # -- amounts --------------------------------------------------------------------------

    def _credits_from(self, txn_id: str) -> tuple[CreditMemo | CashRefund, ...]:
        return tuple(
            record for record in self.snapshot.refund_records() if record.created_from == txn_id
        )

    def credited(self, txn: Billing) -> Money:
        """What credit memos or cash refunds have already taken from a billing transaction."""
        return sum_money((r.amount for r in self._credits_from(txn.internal_id)), txn.currency)

    def refundable(self, txn: Billing) -> Money:
        """What is still refundable on a billing transaction (MNY-4)."""
        return txn.total - self.credited(txn)

    def shipping_refundable(self, txn: Billing) -> Money:
        """Shipping still refundable on a billing transaction (cost or shipping item, SHP-1)."""
        used = sum_money(
            (
                amount
                for record in self._credits_from(txn.internal_id)
                for amount in (
                    record.shipping,
                    *(ln.amount for ln in record.lines if ln.kind is CreditLineKind.SHIPPING),
                )
            ),
            txn.currency,
        )
        return (txn.shipping - used).max(Money.zero(txn.currency))

    def line_refundable(self, txn: Billing, line: TransactionLine) -> tuple[Money, Decimal | None]:
        """Amount (tax included) and quantity of a billing line not yet credited.

        The quantity is None when the line names none. A credit's explicit tax line for this
        billing line (TAX-2) counts with it.
        """
        credited_lines = [
            credit_line
            for record in self._credits_from(txn.internal_id)
            for credit_line in record.lines
            if credit_line.origin_line_id == line.line_id
        ]
        amount = line.gross - sum_money((cl.gross for cl in credited_lines), txn.currency)
        if line.quantity is None:
            return amount, None
        quantity = line.quantity
        for credit_line in credited_lines:
            if credit_line.quantity is not None:
                quantity -= credit_line.quantity
        return amount, quantity

    def is_credited_at_all(self, txn: Billing) -> bool:
        """Whether any credit was already taken from the transaction."""
        return bool(self._credits_from(txn.internal_id))

    def order_refunded(self, order: SalesOrder) -> Money:
        """Everything credited against an order's billing transactions and RMAs."""
        ids = {txn.internal_id for txn in self.billing_for_order(order.internal_id)}
        ids |= {
            rma.internal_id
            for rma in self.snapshot.return_authorizations
            if rma.order_id == order.internal_id
        }
        return sum_money(
            (
                record.amount
                for record in self.snapshot.refund_records()
                if record.created_from in ids
            ),
            order.currency,
        )

    def payment_refunded(self, payment: CustomerPayment) -> Money:
        """Customer refunds already made against a payment, by either path (MNY-4)."""
        return sum_money(
            (
                cr.amount
                for cr in self.snapshot.customer_refunds
                if cr.payment_id == payment.internal_id
            ),
            payment.amount.currency,
        )

    def payment_unapplied(self, payment: CustomerPayment) -> Money:
        """A payment's balance applied to no invoice and not yet refunded directly (STC-9)."""
        direct = sum_money(
            _applied_to(
                self.snapshot.customer_refunds, RefundApplicationKind.PAYMENT, payment.internal_id
            ),
            payment.amount.currency,
        )
        return payment.amount - payment.applied - direct

    def application_credited(self, payment: CustomerPayment, invoice_id: str) -> Money:
        """Credit memos already refunding this payment's application to this invoice (STC-5)."""
        return sum_money(
            (
                cm.amount
                for cm in self.snapshot.credit_memos
                if cm.refunded_payment_id == payment.internal_id and cm.created_from == invoice_id
            ),
            payment.amount.currency,
        )

    def deposit_refunded(self, deposit: CustomerDeposit) -> Money:
        """Customer refunds already applied to a customer deposit."""
        return sum_money(
            _applied_to(
                self.snapshot.customer_refunds,
                RefundApplicationKind.CUSTOMER_DEPOSIT,
                deposit.internal_id,
            ),
            deposit.amount.currency,
        )

    def tender_refunded(self, order: SalesOrder) -> tuple[Money, Money]:
        """(payment-method part, gift-card part) already synced out for an order (NSC-8)."""
        zero = Money.zero(order.currency)
        payment_part, gift_part = zero, zero
        ids = {txn.internal_id for txn in self.billing_for_order(order.internal_id)}
        for record in self.snapshot.refund_records():
            if record.storefront_sync is None:
                continue
            if record.order_id == order.internal_id or record.created_from in ids:
                payment_part = payment_part + record.storefront_sync.payment_part
                gift_part = gift_part + record.storefront_sync.gift_card_part
        return payment_part, gift_part


def _applied_to(
    refunds: Iterable[CustomerRefund], kind: RefundApplicationKind, record_id: str
) -> Iterable[Money]:
    for refund in refunds:
        for app in refund.applications:
            if app.kind is kind and app.record_id == record_id:
                yield app.amount


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
    for record in snap.created_records():
        if record.external_id == ref.external_id:
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
            return attrs.evolve(snap, credit_memos=(*snap.credit_memos, memo))
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
            return attrs.evolve(snap, cash_refunds=(*snap.cash_refunds, refund))
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
            return attrs.evolve(snap, customer_refunds=(*snap.customer_refunds, customer_refund))
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
            return attrs.evolve(snap, payments=(*snap.payments, reversal))
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
