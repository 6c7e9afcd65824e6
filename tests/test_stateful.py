"""Stateful test of the Stripe policy: refunds, re-deliveries, (un)applications, ACH failures.

A trivially correct model keeps what has been refunded per payment (in minor units); after every
step the ledger built by ``apply_plan`` must agree with it and keep the money invariants.
"""

from __future__ import annotations

import re
from datetime import timedelta

import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from refund_core import (
    CustomerPayment,
    LedgerSnapshot,
    LedgerView,
    Money,
    OverRefundError,
    PaymentApplication,
    PaymentFailure,
    PaymentStatus,
    Plan,
    RefundEvent,
    RefundSettings,
    Skipped,
    apply_plan,
    decide_payment_failure,
    decide_stripe_refund,
    sum_money,
    unstructure,
)
from refund_core._outcomes import Outcome
from tests.strategies import BASE_TIME, stripe_ledgers, stripe_refund, stripe_settings


@settings(max_examples=50, stateful_step_count=20, deadline=None)
class StripeLedgerMachine(RuleBasedStateMachine):
    """Drives a Stripe ledger through refunds and payment changes against a per-payment model."""

    def __init__(self) -> None:
        super().__init__()
        self.ledger = LedgerSnapshot()
        self.settings = RefundSettings()
        self.refunded: dict[str, int] = {}  # model: minor units refunded per payment
        self.processed: list[RefundEvent] = []
        self.failures: list[PaymentFailure] = []
        self.counter = 0
        self.last_outcome: Outcome | None = None

    # -- helpers --------------------------------------------------------------------------

    def _decide(self, decide, event):  # type: ignore[no-untyped-def]
        """Decide, checking the inputs are not mutated (IDM-3), then apply and re-plan (IDM-2)."""
        before = (unstructure(event), unstructure(self.ledger), unstructure(self.settings))
        try:
            outcome = decide(event, self.ledger, self.settings)
        finally:
            after = (unstructure(event), unstructure(self.ledger), unstructure(self.settings))
            assert after == before, "a decision mutated its input (IDM-3)"
        new_ledger = apply_plan(self.ledger, outcome)
        again = decide(event, new_ledger, self.settings)
        assert not isinstance(again, Plan), f"planning again after applying planned {again}"
        self.last_outcome = outcome
        return outcome, new_ledger

    def _payment(self, payment_id: str) -> CustomerPayment:
        return next(p for p in self.ledger.payments if p.internal_id == payment_id)

    def _replace_payment(self, payment: CustomerPayment) -> None:
        self.ledger = attrs.evolve(
            self.ledger,
            payments=tuple(
                payment if p.internal_id == payment.internal_id else p for p in self.ledger.payments
            ),
        )

    # -- rules ----------------------------------------------------------------------------

    @initialize(ledger=stripe_ledgers(), refund_settings=stripe_settings)
    def setup(self, ledger: LedgerSnapshot, refund_settings: RefundSettings) -> None:
        """Start from a generated ledger with no refunds yet."""
        self.ledger = ledger
        self.settings = refund_settings
        self.refunded = {p.internal_id: 0 for p in ledger.payments}

    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        """A new partial Stripe refund: within what is left, or deliberately above it (MNY-4)."""
        payment = data.draw(st.sampled_from(self.ledger.payments))
        left = payment.amount.to_minor_units() - self.refunded[payment.internal_id]
        self.counter += 1
        over = left < 1 or data.draw(st.integers(0, 7)) == 0
        if over:
            minor = left + data.draw(st.integers(1, 10_000))
        else:
            minor = data.draw(st.integers(1, left) | st.just(left))
        event = stripe_refund(f"re_s{self.counter}", payment, minor)
        if over:
            before = self.ledger
            with pytest.raises(OverRefundError, match=re.escape(str(event.amount))):
                self._decide(decide_stripe_refund, event)
            assert self.ledger == before
            return
        outcome, new_ledger = self._decide(decide_stripe_refund, event)
        assert isinstance(outcome, Plan), outcome
        self.ledger = new_ledger
        self.refunded[payment.internal_id] += minor
        self.processed.append(event)

    @rule(data=st.data())
    def duplicate_delivery(self, data: st.DataObject) -> None:
        """Re-deliver an already processed refund: it must plan nothing (IDM-2)."""
        if not self.processed:
            return
        event = data.draw(st.sampled_from(self.processed))
        outcome, new_ledger = self._decide(decide_stripe_refund, event)
        assert isinstance(outcome, Skipped), outcome
        assert new_ledger == self.ledger

    @rule(data=st.data())
    def unapply_payment(self, data: st.DataObject) -> None:
        """Remove one of a payment's invoice applications (STC-7)."""
        candidates = [p for p in self.ledger.payments if p.applications]
        if not candidates:
            return
        payment = data.draw(st.sampled_from(candidates))
        drop = data.draw(st.sampled_from(payment.applications))
        self._replace_payment(
            attrs.evolve(
                payment, applications=tuple(a for a in payment.applications if a is not drop)
            )
        )

    @rule(data=st.data())
    def reapply_payment(self, data: st.DataObject) -> None:
        """Apply a payment's unapplied balance to another invoice, keeping it valid (STC-6)."""
        view = LedgerView(self.ledger)
        options = []
        for payment in self.ledger.payments:
            if payment.status is PaymentStatus.FAILED:
                continue
            free = view.payment_unapplied(payment).to_minor_units()
            applied_to = {a.invoice_id for a in payment.applications}
            for invoice in self.ledger.invoices:
                if invoice.internal_id in applied_to:
                    continue
                all_apps = sum_money(
                    (
                        a.amount
                        for p in self.ledger.payments
                        for a in p.applications
                        if a.invoice_id == invoice.internal_id
                    ),
                    invoice.currency,
                )
                open_minor = (invoice.total - all_apps - view.credited(invoice)).to_minor_units()
                cap = min(free, open_minor)
                if cap >= 1:
                    options.append((payment, invoice, cap))
        if not options:
            return
        payment, invoice, cap = data.draw(st.sampled_from(options))
        self.counter += 1
        app = PaymentApplication(
            invoice_id=invoice.internal_id,
            amount=Money.from_minor_units(data.draw(st.integers(1, cap)), invoice.currency),
            applied_at=BASE_TIME + timedelta(days=60, minutes=self.counter),
        )
        self._replace_payment(attrs.evolve(payment, applications=(*payment.applications, app)))

    @rule(data=st.data())
    def ach_failure(self, data: st.DataObject) -> None:
        """A delayed payment fails: it is marked failed and its rest reversed (STC-10)."""
        if data.draw(st.integers(0, 3)) != 0:  # failures are rare; most steps pass on
            return
        payment = data.draw(st.sampled_from(self.ledger.payments))
        failure = PaymentFailure(
            source="stripe",
            failure_id=f"fail_{payment.internal_id}",
            payment_ref=payment.payment_ref or "",
            amount=payment.amount,
            failed_at=BASE_TIME + timedelta(days=90),
            failure_code="R01",
            failure_message="insufficient funds",
        )
        _, new_ledger = self._decide(decide_payment_failure, failure)
        self.ledger = new_ledger
        self.refunded[payment.internal_id] = payment.amount.to_minor_units()
        failed = self._payment(payment.internal_id)
        assert failed.status is PaymentStatus.FAILED
        assert not failed.applications
        self.failures.append(failure)

    # -- invariants -----------------------------------------------------------------------

    @invariant()
    def model_matches_ledger(self) -> None:
        """MNY-4/MNY-5: per payment, customer refunds in the ledger equal the model's total."""
        for payment in self.ledger.payments:
            in_ledger = sum_money(
                (
                    cr.amount
                    for cr in self.ledger.customer_refunds
                    if cr.payment_id == payment.internal_id
                ),
                payment.amount.currency,
            )
            assert in_ledger.to_minor_units() == self.refunded[payment.internal_id]

    @invariant()
    def nothing_over_refunded(self) -> None:
        """MNY-4: no payment refunded above its amount, no invoice credited above its total."""
        for payment in self.ledger.payments:
            assert self.refunded[payment.internal_id] <= payment.amount.to_minor_units()
        for invoice in self.ledger.invoices:
            credited = sum_money(
                (
                    m.amount
                    for m in self.ledger.credit_memos
                    if m.created_from == invoice.internal_id
                ),
                invoice.currency,
            )
            assert credited <= invoice.total

    @invariant()
    def records_are_consistent(self) -> None:
        """MNY-3: every credit memo is paired with a customer refund of the same amount (STC-4)."""
        by_memo = {
            app.record_id: cr
            for cr in self.ledger.customer_refunds
            for app in cr.applications
            if app.kind.value == "credit_memo"
        }
        for memo in self.ledger.credit_memos:
            assert by_memo[memo.internal_id].amount == memo.amount


TestStateful = StripeLedgerMachine.TestCase
TestStateful.__doc__ = "Runs the Stripe ledger state machine (MNY-4, MNY-5, IDM-2, IDM-3, STC-9)."
