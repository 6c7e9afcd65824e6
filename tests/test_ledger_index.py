"""The ledger index answers what a scan of the snapshot answers, and decisions do not change.

:class:`ScanView` below is the straightforward ledger view: every question a pass over the
snapshot (the view as it was before the index, issue 15). Over Hypothesis-generated ledgers,
after refunds were planned and applied, with NetSuite-made credits, return authorizations and a
record in another currency mixed in, every question is asked of both, on the whole ledger and
without each source event's records; then every decision is made with the indexed view and again
with the scanning one, and the outcomes (or the errors) must be equal.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

import attrs
import hypothesis
from hypothesis import given, settings
from hypothesis import strategies as st

from refund_core import (
    BalanceEntry,
    BalanceEntryKind,
    CashRefund,
    CashSale,
    CreditLine,
    CreditLineKind,
    CreditMemo,
    CustomerDeposit,
    CustomerPayment,
    CustomerRefund,
    InvalidInputError,
    InvalidRecordError,
    Invoice,
    LedgerSnapshot,
    LedgerView,
    Money,
    Payout,
    RefundApplicationKind,
    RefundEvent,
    RefundSettings,
    RefundStatus,
    ReturnAuthorization,
    ReturnAuthorizationStatus,
    SalesOrder,
    SourceKey,
    StorefrontCapabilities,
    StorefrontKind,
    StorefrontSync,
    TransactionLine,
    apply_plan,
    decide_incoming_refund,
    decide_outgoing_refund,
    decide_payout,
    decide_stripe_refund,
    sum_money,
)
from tests.strategies import BASE_TIME, storefront_cases, stripe_cases

Billing = Invoice | CashSale


# ----------------------------------------------------------------------------------------------
# The straightforward view: one scan per question
# ----------------------------------------------------------------------------------------------


@attrs.frozen
class ScanView:
    """Every question answered by a pass over the snapshot, as before the index."""

    snapshot: LedgerSnapshot

    def _refund_records(self) -> tuple[CreditMemo | CashRefund, ...]:
        return (*self.snapshot.credit_memos, *self.snapshot.cash_refunds)

    def sales_order_by_ref(self, order_ref: str) -> SalesOrder | None:
        """The first sales order with this storefront reference."""
        return next((so for so in self.snapshot.sales_orders if so.order_ref == order_ref), None)

    def sales_order(self, internal_id: str) -> SalesOrder | None:
        """The sales order with this internal ID."""
        return next(
            (so for so in self.snapshot.sales_orders if so.internal_id == internal_id), None
        )

    def invoice(self, internal_id: str) -> Invoice:
        """The invoice with this internal ID, or InvalidRecordError."""
        for invoice in self.snapshot.invoices:
            if invoice.internal_id == internal_id:
                return invoice
        raise InvalidRecordError(f"invoice {internal_id} is referenced but not in the snapshot")

    def billing(self, internal_id: str) -> Billing | None:
        """The invoice or cash sale with this internal ID."""
        snap = self.snapshot
        return next(
            (txn for txn in (*snap.invoices, *snap.cash_sales) if txn.internal_id == internal_id),
            None,
        )

    def billing_for_order(self, order_id: str) -> tuple[Billing, ...]:
        """An order's billing, in creation order."""
        billing: list[Billing] = [
            *(inv for inv in self.snapshot.invoices if inv.order_id == order_id),
            *(cs for cs in self.snapshot.cash_sales if cs.order_id == order_id),
        ]
        return tuple(sorted(billing, key=lambda txn: (txn.created_at, txn.internal_id)))

    def return_authorization(self, internal_id: str) -> ReturnAuthorization | None:
        """The RMA with this internal ID."""
        rmas = self.snapshot.return_authorizations
        return next((r for r in rmas if r.internal_id == internal_id), None)

    def return_authorizations_for(self, order_id: str) -> tuple[ReturnAuthorization, ...]:
        """An order's RMAs."""
        return tuple(r for r in self.snapshot.return_authorizations if r.order_id == order_id)

    def payment_by_ref(self, payment_ref: str) -> CustomerPayment | None:
        """The first payment of this charge."""
        return next((p for p in self.snapshot.payments if p.payment_ref == payment_ref), None)

    def payment(self, internal_id: str) -> CustomerPayment | None:
        """The payment with this internal ID."""
        return next((p for p in self.snapshot.payments if p.internal_id == internal_id), None)

    def cash_sale_by_ref(self, payment_ref: str) -> CashSale | None:
        """The first cash sale of this charge."""
        return next((c for c in self.snapshot.cash_sales if c.payment_ref == payment_ref), None)

    def deposit_by_ref(self, payment_ref: str) -> CustomerDeposit | None:
        """The first customer deposit of this charge."""
        deposits = self.snapshot.customer_deposits
        return next((d for d in deposits if d.payment_ref == payment_ref), None)

    def refund_record(self, internal_id: str) -> CreditMemo | CashRefund | None:
        """The credit memo or cash refund with this internal ID."""
        return next((r for r in self._refund_records() if r.internal_id == internal_id), None)

    def refund_records_for(self, source: SourceKey) -> tuple[CreditMemo | CashRefund, ...]:
        """Credits of one source event."""
        return tuple(r for r in self._refund_records() if r.source == source)

    def customer_refunds_for(self, source: SourceKey) -> tuple[CustomerRefund, ...]:
        """Customer refunds of one source event."""
        return tuple(cr for cr in self.snapshot.customer_refunds if cr.source == source)

    def reversals_for(self, source: SourceKey) -> tuple[CustomerPayment, ...]:
        """Reversal payments of one source event."""
        return tuple(p for p in self.snapshot.payments if p.source == source)

    def records_for(self, source: SourceKey) -> tuple[Any, ...]:
        """Every record of one source event."""
        return (
            *self.refund_records_for(source),
            *self.customer_refunds_for(source),
            *self.reversals_for(source),
        )

    def has_records_for(self, source: SourceKey) -> bool:
        """Whether a source event has records."""
        return bool(self.reversals_for(source)) or any(
            getattr(record, "source", None) == source
            for record in (*self._refund_records(), *self.snapshot.customer_refunds)
        )

    def without_source(self, source: SourceKey) -> ScanView:
        """The snapshot without one source event's records."""
        snap = self.snapshot
        return ScanView(
            attrs.evolve(
                snap,
                credit_memos=tuple(r for r in snap.credit_memos if r.source != source),
                cash_refunds=tuple(r for r in snap.cash_refunds if r.source != source),
                customer_refunds=tuple(r for r in snap.customer_refunds if r.source != source),
                payments=tuple(p for p in snap.payments if p.source != source),
            )
        )

    def refund_records_from(
        self, txn_ids: Iterable[str], order_id: str | None = None
    ) -> tuple[CreditMemo | CashRefund, ...]:
        """Credits from any of ``txn_ids`` or naming ``order_id``."""
        ids = set(txn_ids)
        return tuple(
            r
            for r in self._refund_records()
            if r.created_from in ids or (order_id is not None and r.order_id == order_id)
        )

    def _credits_from(self, txn_id: str) -> tuple[CreditMemo | CashRefund, ...]:
        return tuple(r for r in self._refund_records() if r.created_from == txn_id)

    def credited(self, txn: Billing) -> Money:
        """What credits took from a transaction."""
        return sum_money((r.amount for r in self._credits_from(txn.internal_id)), txn.currency)

    def refundable(self, txn: Billing) -> Money:
        """What a transaction has left."""
        return txn.total - self.credited(txn)

    def shipping_refundable(self, txn: Billing) -> Money:
        """Shipping a transaction has left."""
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
        """Amount and quantity of a billing line not yet credited."""
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
        """Whether any credit was taken from a transaction."""
        return bool(self._credits_from(txn.internal_id))

    def order_refunded(self, order: SalesOrder) -> Money:
        """What was credited against an order's billing and RMAs."""
        ids = {txn.internal_id for txn in self.billing_for_order(order.internal_id)}
        ids |= {r.internal_id for r in self.return_authorizations_for(order.internal_id)}
        return sum_money(
            (r.amount for r in self._refund_records() if r.created_from in ids), order.currency
        )

    def payment_refunded(self, payment: CustomerPayment) -> Money:
        """Customer refunds against a payment."""
        return sum_money(
            (
                cr.amount
                for cr in self.snapshot.customer_refunds
                if cr.payment_id == payment.internal_id
            ),
            payment.amount.currency,
        )

    def _applied_to(self, kind: RefundApplicationKind, record_id: str) -> Iterator[Money]:
        for refund in self.snapshot.customer_refunds:
            for app in refund.applications:
                if app.kind is kind and app.record_id == record_id:
                    yield app.amount

    def payment_unapplied(self, payment: CustomerPayment) -> Money:
        """A payment's unapplied balance not yet refunded directly."""
        direct = sum_money(
            self._applied_to(RefundApplicationKind.PAYMENT, payment.internal_id),
            payment.amount.currency,
        )
        return payment.amount - payment.applied - direct

    def application_credited(self, payment: CustomerPayment, invoice_id: str) -> Money:
        """Credit memos refunding a payment's application to an invoice."""
        return sum_money(
            (
                cm.amount
                for cm in self.snapshot.credit_memos
                if cm.refunded_payment_id == payment.internal_id and cm.created_from == invoice_id
            ),
            payment.amount.currency,
        )

    def deposit_refunded(self, deposit: CustomerDeposit) -> Money:
        """Customer refunds applied to a customer deposit."""
        return sum_money(
            self._applied_to(RefundApplicationKind.CUSTOMER_DEPOSIT, deposit.internal_id),
            deposit.amount.currency,
        )

    def tender_refunded(self, order: SalesOrder) -> tuple[Money, Money]:
        """(payment part, gift-card part) synced out for an order."""
        zero = Money.zero(order.currency)
        payment_part, gift_part = zero, zero
        ids = {txn.internal_id for txn in self.billing_for_order(order.internal_id)}
        for record in self._refund_records():
            if record.storefront_sync is None:
                continue
            if record.order_id == order.internal_id or record.created_from in ids:
                payment_part = payment_part + record.storefront_sync.payment_part
                gift_part = gift_part + record.storefront_sync.gift_card_part
        return payment_part, gift_part


# ----------------------------------------------------------------------------------------------
# Ledgers
# ----------------------------------------------------------------------------------------------

SHOP = StorefrontCapabilities("shopify", StorefrontKind.CART, supports_store_credit=True)


@attrs.frozen
class World:
    """A ledger after some refunds were applied, and the events and payouts to decide on it."""

    ledger: LedgerSnapshot
    events: tuple[RefundEvent, ...]
    settings: RefundSettings
    incoming: bool


def _applied(
    decide: Callable[[RefundEvent, LedgerSnapshot], Any],
    ledger: LedgerSnapshot,
    events: Iterable[RefundEvent],
) -> LedgerSnapshot:
    for event in events:
        with contextlib.suppress(Exception):  # an event that cannot be planned changes nothing
            ledger = apply_plan(ledger, decide(event, ledger))
    return ledger


def _netsuite_credit(txn: Billing, amount: Money, n: int, synced: bool) -> CreditMemo | CashRefund:
    """A credit made in NetSuite (no source) from ``txn``, possibly already sent out."""
    line = txn.lines[0]
    kind = CreditMemo if isinstance(txn, Invoice) else CashRefund
    return kind(
        internal_id=f"NS-{n}",
        customer_id=txn.customer_id,
        created_from=txn.internal_id,
        amount=amount,
        lines=(
            CreditLine(
                item=line.item,
                amount=amount,
                quantity=Decimal(1) if line.quantity is not None else None,
                origin_line_id=line.line_id,
                order_line_ref=line.order_line_ref,
            ),
        ),
        order_id=txn.order_id,
        storefront_sync=(
            StorefrontSync(f"sync-{n}", amount, Money.zero(amount.currency)) if synced else None
        ),
    )


@st.composite
def worlds(draw: st.DrawFn) -> World:
    """A Stripe or storefront ledger with a prefix of its refunds applied, and extra records."""
    incoming = draw(st.booleans())
    case = draw(storefront_cases() if incoming else stripe_cases())
    settings = case.settings
    events = case.refunds
    if incoming:
        decide: Callable[[RefundEvent, LedgerSnapshot], Any] = lambda e, snap: (  # noqa: E731
            decide_incoming_refund(e, snap, settings, SHOP)
        )
    else:
        decide = lambda e, snap: decide_stripe_refund(e, snap, settings)  # noqa: E731
    done = draw(st.integers(0, len(events)))
    ledger = _applied(decide, case.ledger, events[:done])
    extra: dict[str, list[Any]] = {"credit_memos": [], "cash_refunds": [], "rmas": []}
    billing = (*ledger.invoices, *ledger.cash_sales)
    for n in range(draw(st.integers(0, 2))):
        txn = draw(st.sampled_from(billing))
        if not txn.lines[0].amount.is_positive:
            continue
        currency = txn.currency.code
        if draw(st.integers(0, 4)) == 0:  # a credit in another currency: sums must raise alike
            currency = "JPY" if currency != "JPY" else "USD"
        credit = _netsuite_credit(
            txn, Money.from_minor_units(draw(st.integers(1, 50)), currency), n, draw(st.booleans())
        )
        extra["credit_memos" if isinstance(credit, CreditMemo) else "cash_refunds"].append(credit)
    if ledger.sales_orders and draw(st.booleans()):
        order = ledger.sales_orders[0]
        extra["rmas"].append(
            ReturnAuthorization(
                "RMA-1",
                order.customer_id,
                order.internal_id,
                draw(st.sampled_from(ReturnAuthorizationStatus)),
                order.lines[:1],
            )
        )
    ledger = attrs.evolve(
        ledger,
        credit_memos=(*ledger.credit_memos, *extra["credit_memos"]),
        cash_refunds=(*ledger.cash_refunds, *extra["cash_refunds"]),
        return_authorizations=tuple(extra["rmas"]),
    )
    return World(ledger, events, settings, incoming)


def _sources(ledger: LedgerSnapshot) -> list[SourceKey]:
    found = {
        record.source
        for record in (
            *ledger.credit_memos,
            *ledger.cash_refunds,
            *ledger.customer_refunds,
            *ledger.payments,
        )
        if record.source is not None
    }
    return [*sorted(found, key=str), SourceKey("stripe", "re_nowhere")]


def _answer(ask: Callable[..., Any], *args: Any) -> Any:
    """What ``ask(*args)`` answers, or the error it raises (as type and message)."""
    try:
        return ("ok", ask(*args))
    except Exception as exc:  # the error is the answer being compared
        return ("raised", type(exc), str(exc))


def _questions(view: Any, ledger: LedgerSnapshot) -> dict[str, Any]:
    """Every question the view answers, over every record and key of ``ledger``."""
    answers: dict[str, Any] = {}
    billing: tuple[Billing, ...] = (*ledger.invoices, *ledger.cash_sales)
    billing_ids = [txn.internal_id for txn in billing]

    def ask(name: str, *args: Any) -> None:
        answers[f"{name}{args}"] = _answer(getattr(view, name), *args)

    for order in ledger.sales_orders:
        for name in ("order_refunded", "tender_refunded"):
            ask(name, order)
        ask("sales_order_by_ref", order.order_ref)
        ask("return_authorizations_for", order.internal_id)
        ask("billing_for_order", order.internal_id)
        ask("refund_records_from", billing_ids, order.internal_id)
    ask("refund_records_from", billing_ids)
    for txn in billing:
        for name in ("credited", "refundable", "shipping_refundable", "is_credited_at_all"):
            ask(name, txn)
        for line in txn.lines:
            ask("line_refundable", txn, line)
    for payment in ledger.payments:
        for name in ("payment_refunded", "payment_unapplied"):
            ask(name, payment)
        for txn in billing:
            ask("application_credited", payment, txn.internal_id)
    for internal_id in [r.internal_id for r in ledger.all_records()] + ["nothing"]:
        for name in (
            "sales_order",
            "invoice",
            "billing",
            "return_authorization",
            "payment",
            "refund_record",
        ):
            ask(name, internal_id)
    for ref in [p.payment_ref for p in ledger.payments if p.payment_ref] + ["ch_none"]:
        for name in ("payment_by_ref", "cash_sale_by_ref", "deposit_by_ref"):
            ask(name, ref)
    for source in _sources(ledger):
        for name in (
            "refund_records_for",
            "customer_refunds_for",
            "reversals_for",
            "records_for",
            "has_records_for",
        ):
            ask(name, source)
    answers["snapshot"] = view.snapshot
    return answers


@settings(deadline=None)  # many questions per example; speed is the benchmark's job
@given(worlds())
def test_the_index_answers_every_question_as_a_scan_does(world: World) -> None:
    """Each LedgerView question equals the scan's answer, whole and without a source's records."""
    ledger = world.ledger
    indexed: Any = LedgerView(ledger)
    scanned: Any = ScanView(ledger)
    assert _questions(indexed, ledger) == _questions(scanned, ledger)
    for source in _sources(ledger):
        assert _questions(indexed.without_source(source), ledger) == _questions(
            scanned.without_source(source), ledger
        )
    # Asked again (the sums are now kept), the answers are the same.
    assert _questions(indexed, ledger) == _questions(scanned, ledger)


def _same_answers(ledger: LedgerSnapshot) -> None:
    indexed: Any = LedgerView(ledger)
    scanned: Any = ScanView(ledger)
    assert _questions(indexed, ledger) == _questions(scanned, ledger)
    for source in _sources(ledger):
        assert _questions(indexed.without_source(source), ledger) == _questions(
            scanned.without_source(source), ledger
        )


@settings(deadline=None)  # many questions per example; speed is the benchmark's job
@given(worlds())
def test_a_snapshot_grown_by_a_plan_answers_as_a_scan_does(world: World) -> None:
    """Tables and sums carried to the snapshot a plan's writes leave answer as scans of it do."""
    ledger = world.ledger
    settings = world.settings
    failed = [attrs.evolve(e, status=RefundStatus.FAILED) for e in world.events]
    for event in (*world.events, *failed):
        try:
            if world.incoming:
                outcome = decide_incoming_refund(event, ledger, settings, SHOP)
            else:
                outcome = decide_stripe_refund(event, ledger, settings)
        except InvalidInputError:
            continue
        _same_answers(ledger)  # every table built and every sum kept before the snapshot grows
        ledger = apply_plan(ledger, outcome)
        _same_answers(ledger)


# ----------------------------------------------------------------------------------------------
# Decisions
# ----------------------------------------------------------------------------------------------

_DECISION_MODULES = (
    "refund_core._common",
    "refund_core._incoming",
    "refund_core._outgoing",
    "refund_core._payout",
    "refund_core._stripe",
)


def _decided(decide: Callable[..., Any], *args: Any) -> tuple[Any, Any]:
    """The outcome of a decision with the indexed view, and with the scanning one."""
    indexed = _answer(decide, *args)
    with contextlib.ExitStack() as stack:
        for module in _DECISION_MODULES:
            stack.enter_context(mock.patch(f"{module}.LedgerView", ScanView))
        scanned = _answer(decide, *args)
    if indexed[0] == "ok":
        what = getattr(indexed[1], "code", None) or type(indexed[1]).__name__
    else:
        what = indexed[1].__name__
    hypothesis.event(f"{decide.__name__}: {what}")
    return indexed, scanned


def _payout(ledger: LedgerSnapshot, draw: st.DrawFn) -> Payout | None:
    """A payout of some of the ledger's charges and synced refunds, and a fee."""
    entries: list[BalanceEntry] = []
    for payment in ledger.payments:
        if payment.payment_ref is not None and draw(st.booleans()):
            entries.append(
                BalanceEntry(
                    f"txn_{payment.internal_id}",
                    BalanceEntryKind.CHARGE,
                    payment.amount,
                    payment.payment_ref,
                )
            )
    for source in _sources(ledger):
        refunds = [cr for cr in ledger.customer_refunds if cr.source == source]
        if refunds and draw(st.booleans()):
            total = sum_money((cr.amount for cr in refunds), refunds[0].amount.currency)
            entries.append(
                BalanceEntry(
                    f"txn_{source.event_id}", BalanceEntryKind.REFUND, -total, source.event_id
                )
            )
    if not entries:
        return None
    currency = entries[0].amount.currency
    entries = [e for e in entries if e.amount.currency == currency]
    entries.append(
        BalanceEntry("txn_fee", BalanceEntryKind.FEE, Money.from_minor_units(-1, currency), "ch_1")
    )
    return Payout(
        "stripe",
        "po_1",
        sum_money((e.amount for e in entries), currency),
        BASE_TIME + timedelta(days=40),
        entries,
    )


@settings(deadline=None)  # many questions per example; speed is the benchmark's job
@given(worlds(), st.data())
def test_decisions_on_the_index_equal_decisions_by_scanning(
    world: World, data: st.DataObject
) -> None:
    """Every decision (incoming, Stripe, outgoing, payout) is the same with either view."""
    ledger = world.ledger
    settings = world.settings
    for event in world.events:
        if world.incoming:
            indexed, scanned = _decided(decide_incoming_refund, event, ledger, settings, SHOP)
        else:
            indexed, scanned = _decided(decide_stripe_refund, event, ledger, settings)
        assert indexed == scanned
    for record in (*ledger.credit_memos, *ledger.cash_refunds):
        indexed, scanned = _decided(
            decide_outgoing_refund, record.internal_id, ledger, settings, SHOP
        )
        assert indexed == scanned
    payout = _payout(ledger, data.draw)
    if payout is not None:
        payout_settings = attrs.evolve(settings, fee_account="fees")
        indexed, scanned = _decided(decide_payout, payout, ledger, payout_settings)
        assert indexed == scanned
