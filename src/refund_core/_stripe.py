"""Incoming processor refunds and failed payments under the Stripe Connector policy.

A refund consumes the payment's unapplied balance first (a customer refund applied to the
payment, STC-7/8), then its invoice applications, most recent first, each as a credit memo plus a
customer refund the memo is applied to (STC-4/5/9). A charge that paid a cash sale is not
supported (STC-3). A failed delayed payment is reversed by a customer refund applied to it
(STC-10). A refund that fails after it was synced is reversed by an unapplied customer payment
that gives the customer the credit back (IDM-3; NetSuite cannot void a customer refund).
"""

from datetime import datetime

from ._common import (
    check_currency,
    finish_plan,
    fully_reflected,
    status_outcome,
)
from ._credit import choose_credit_lines
from ._errors import InvalidInputError, OverRefundError
from ._ids import Role, external_id
from ._ledger import LedgerView
from ._models import (
    ApplicationChangeKind,
    CustomerDeposit,
    CustomerPayment,
    CustomerRefund,
    LedgerSnapshot,
    PaymentFailure,
    PaymentStatus,
    RefundApplicationKind,
    RefundEvent,
    RefundKind,
    RefundStatus,
)
from ._money import Money, sum_money
from ._outcomes import (
    Action,
    CreateCreditMemo,
    CreateCustomerRefund,
    CreateRefundReversal,
    Flow,
    ManualAction,
    MarkPaymentFailed,
    Outcome,
    PlannedApplication,
    Reason,
    RecordRef,
    Skipped,
    Unsupported,
)
from ._settings import Policy, PreStartMode, RefundSettings

__all__ = ["decide_payment_failure", "decide_stripe_refund", "is_before_sync_start"]

_FLOW = Flow.STRIPE_REFUND


def is_before_sync_start(charge_created_at: datetime | None, settings: RefundSettings) -> bool:
    """Whether a charge predates the account's record sync start date (STC-11)."""
    start = settings.record_sync_start
    return start is not None and charge_created_at is not None and charge_created_at < start


def _noun(event: RefundEvent) -> str:
    """``refund`` or ``dispute``: a dispute is decided like a refund of its amount (DSP-1)."""
    return "dispute" if event.kind is RefundKind.DISPUTE else "refund"


def _dsp(event: RefundEvent, rules: tuple[str, ...]) -> tuple[str, ...]:
    return (*rules, "DSP-1") if event.kind is RefundKind.DISPUTE else rules


def decide_stripe_refund(
    event: RefundEvent, ledger: LedgerSnapshot, settings: RefundSettings
) -> Outcome:
    """Plan the NetSuite records for a Stripe refund or dispute (STC-1..9, STC-11, STC-14..17).

    A dispute whose funds were withdrawn is decided as a refund of the disputed amount, its
    records' external IDs derived from the dispute's ID (DSP-1); it can take only what the
    payment still has (DSP-3). Raises :class:`OverRefundError` when the refund or dispute exceeds
    what the payment has left (MNY-4), naming the amounts.
    """
    full_view = LedgerView(ledger)
    if event.status is RefundStatus.FAILED and full_view.has_records_for(event.key):
        return _reverse_failed_refund(event, full_view, ledger)
    early = status_outcome(event, full_view, _FLOW)
    if early is not None:
        return early
    key = event.key
    if is_before_sync_start(event.charge_created_at, settings):
        return _pre_start(event, settings)
    charge = event.payment_ref
    if charge is None:
        return Skipped(
            key=key,
            flow=_FLOW,
            code=Reason.PAYMENT_NOT_SYNCED,
            message=f"refund {event.refund_id} names no charge, so no payment can be found",
            rule_ids=("STC-1",),
        )
    cash_sale = full_view.cash_sale_by_ref(charge)
    if cash_sale is not None:
        return Unsupported(
            key=key,
            flow=_FLOW,
            code=Reason.CASH_SALE,
            message=(
                f"charge {charge} paid {cash_sale.describe()}: refunds of cash sales are not "
                "supported by the Stripe Connector; nothing is created"
            ),
            rule_ids=("STC-3",),
        )
    # The payment's applications may have changed since the sync (unapplied, failed); planning
    # the refund again would then refund it twice.
    reflected = fully_reflected(
        event, (cr.amount for cr in full_view.customer_refunds_for(key)), _FLOW, "MNY-4"
    )
    if reflected is not None:
        return reflected
    view = full_view.without_source(key)
    payment = view.payment_by_ref(charge)
    if payment is None:
        deposit = view.deposit_by_ref(charge)
        if deposit is not None:
            return _refund_customer_deposit(event, deposit, view, ledger)
        return Skipped(
            key=key,
            flow=_FLOW,
            code=Reason.PAYMENT_NOT_SYNCED,
            message=f"no customer payment or deposit for charge {charge} yet; retry once it syncs",
            rule_ids=("STC-1",),
        )
    check_currency(f"customer payment {payment.internal_id}", event.amount, payment.amount.currency)
    return _refund_payment(event, payment, view, ledger, settings)


def _reverse_failed_refund(event: RefundEvent, view: LedgerView, ledger: LedgerSnapshot) -> Outcome:
    """Reverse a refund that failed at Stripe after it was synced (IDM-3).

    NetSuite has no void for a customer refund, so the reversal is a new customer payment to
    Undeposited Funds (STC-12) for what the refund's customer refunds paid out, applied to
    nothing: the customer holds that credit again, and the credit memos stay. Its memo carries
    Stripe's failure reason, as STC-10's does. A sync interrupted before any customer refund
    paid anything out has nothing to reverse: its credit memos already leave the customer the
    credit. One reversal per customer (normally one), under an ID fixed by the refund and the
    customer, so a repeated failure delivery finds it done (IDM-2).
    """
    key = event.key
    refunds = view.customer_refunds_for(key)
    if not refunds:
        return Skipped(
            key=key,
            flow=_FLOW,
            code=Reason.NOTHING_TO_REVERSE,
            message=(
                f"refund {event.refund_id} failed at {event.source} before any customer refund "
                "was created for it; its credit memos already leave the customer the credit"
            ),
            rule_ids=("IDM-3",),
        )
    by_customer: dict[str, list[CustomerRefund]] = {}
    for refund in refunds:
        check_currency(
            f"customer refund {refund.internal_id}", event.amount, refund.amount.currency
        )
        by_customer.setdefault(refund.customer_id, []).append(refund)
    memo = f"Refund {event.refund_id} failed at {event.source}: " + (
        event.failure_reason or "no reason given"
    )
    actions: list[Action] = []
    for customer_id in sorted(by_customer):
        reversed_refunds = sorted(by_customer[customer_id], key=lambda cr: cr.internal_id)
        amount = sum_money((cr.amount for cr in reversed_refunds), event.amount.currency)
        ids = tuple(cr.internal_id for cr in reversed_refunds)
        actions.append(
            CreateRefundReversal(
                external_id=external_id(key, Role.REVERSAL, customer_id),
                source=key,
                rule_ids=("IDM-3", "STC-10", "STC-12"),
                reason=(
                    f"refund {event.refund_id} failed after customer refund(s) "
                    f"{', '.join(ids)} paid out {amount}: an unapplied customer payment of "
                    f"{amount} gives customer {customer_id} the credit back (no void exists)"
                ),
                customer_id=customer_id,
                amount=amount,
                memo=memo,
                reversed_refund_ids=ids,
                transaction_date=event.created_at,
            )
        )
    return finish_plan(
        key=key,
        flow=_FLOW,
        summary=f"reverse failed Stripe refund {event.refund_id}",
        actions=actions,
        ledger=ledger,
    )


def _pre_start(event: RefundEvent, settings: RefundSettings) -> Outcome:
    if settings.pre_start_mode is PreStartMode.DEPOSIT_LINE:
        message = (
            f"refund {event.refund_id} is of a charge before the record sync start date: it "
            "becomes a line on its payout's deposit, with no credit memo or customer refund"
        )
        manual: tuple[ManualAction, ...] = ()
    else:
        message = (
            f"refund {event.refund_id} is of a charge before the record sync start date and is "
            "skipped"
        )
        manual = (
            ManualAction(
                code=Reason.PRE_START_DATE,
                message=(
                    "manual: create credit memo + customer refund and match the bank deposit by "
                    f"hand for refund {event.refund_id}"
                ),
                rule_ids=("STC-11",),
                amount=event.amount,
            ),
        )
    return Skipped(
        key=event.key,
        flow=_FLOW,
        code=Reason.PRE_START_DATE,
        message=message,
        rule_ids=("STC-11",),
        manual_actions=manual,
    )


def _refund_customer_deposit(
    event: RefundEvent, deposit: CustomerDeposit, view: LedgerView, ledger: LedgerSnapshot
) -> Outcome:
    """A charge recorded as a customer deposit on an unbilled order: refund the deposit."""
    check_currency(f"customer deposit {deposit.internal_id}", event.amount, deposit.amount.currency)
    refunded = view.deposit_refunded(deposit)
    remaining = deposit.amount - refunded
    if event.amount > remaining:
        raise OverRefundError(
            target=f"customer deposit {deposit.internal_id}",
            requested=event.amount,
            ceiling=deposit.amount,
            already_refunded=refunded,
            remaining=remaining,
        )
    unapplied = remaining - deposit.applied
    if event.amount > unapplied:
        return Unsupported(
            key=event.key,
            flow=_FLOW,
            code=Reason.DEPOSIT_ALREADY_APPLIED,
            message=(
                f"customer deposit {deposit.internal_id} is applied to an invoice; only "
                f"{unapplied.max(Money.zero(event.amount.currency))} of it can be refunded, "
                f"not {event.amount}: refund the invoice in NetSuite"
            ),
            rule_ids=("STC-8", "MNY-4"),
        )
    action = CreateCustomerRefund(
        external_id=external_id(event.key, Role.CUSTOMER_REFUND, deposit.internal_id),
        source=event.key,
        rule_ids=_dsp(event, ("STC-1", "STC-8", "STC-12")),
        reason=(
            f"charge {event.payment_ref} is a deposit on an order not billed yet: the refund "
            f"is a customer refund applied to customer deposit {deposit.internal_id}"
        ),
        customer_id=deposit.customer_id,
        applications=(
            PlannedApplication(
                RefundApplicationKind.CUSTOMER_DEPOSIT,
                RecordRef(internal_id=deposit.internal_id),
                event.amount,
            ),
        ),
        amount=event.amount,
        memo=f"Stripe {_noun(event)} {event.refund_id}",
    )
    return finish_plan(
        key=event.key,
        flow=_FLOW,
        summary=f"{_noun(event)} {event.refund_id} of {event.amount} against an unbilled deposit",
        actions=(action,),
        ledger=ledger,
        refund=event.amount,
        conserved=(action.amount,),
        delivered=event.amount,
    )


def _refund_payment(
    event: RefundEvent,
    payment: CustomerPayment,
    view: LedgerView,
    ledger: LedgerSnapshot,
    settings: RefundSettings,
) -> Outcome:
    refunded = view.payment_refunded(payment)
    remaining = payment.amount - refunded
    if event.amount > remaining:  # MNY-4 per payment; DSP-3 for a dispute
        raise OverRefundError(
            target=f"customer payment {payment.internal_id}"
            + (f" (dispute {event.refund_id})" if event.kind is RefundKind.DISPUTE else ""),
            requested=event.amount,
            ceiling=payment.amount,
            already_refunded=refunded,
            remaining=remaining,
        )
    key = event.key
    rest = event.amount
    actions: list[Action] = []
    created: list[Money] = []
    memo = f"Stripe {_noun(event)} {event.refund_id}"
    # STC-9: the unapplied balance first (STC-7, STC-8; STC-2 when the charge has no invoice).
    unapplied = view.payment_unapplied(payment)
    direct = rest.min(unapplied)
    if direct.is_positive:
        never_applied = not payment.applications
        rules = (
            ("STC-1", "STC-2", "STC-8", "STC-9") if never_applied else ("STC-1", "STC-7", "STC-9")
        )
        why = (
            "the charge is not applied to any invoice"
            if never_applied
            else f"the payment has {unapplied} unapplied, which a refund consumes first"
        ) + _unapplied_history(payment)
        actions.append(
            CreateCustomerRefund(
                external_id=external_id(key, Role.CUSTOMER_REFUND, payment.internal_id),
                source=key,
                rule_ids=_dsp(event, (*rules, "STC-12")),
                reason=f"{why}: no credit memo; a customer refund applied to the payment",
                customer_id=payment.customer_id,
                payment_id=payment.internal_id,
                applications=(
                    PlannedApplication(
                        RefundApplicationKind.PAYMENT,
                        RecordRef(internal_id=payment.internal_id),
                        direct,
                    ),
                ),
                amount=direct,
                memo=memo,
            )
        )
        created.append(direct)
        rest = rest - direct
    # STC-4/5/6/9: then current applications, most recent first; one pair per application.
    applications = sorted(
        payment.applications, key=lambda app: (app.applied_at, app.invoice_id), reverse=True
    )
    for app in applications:
        if not rest.is_positive:
            break
        invoice = view.invoice(app.invoice_id)
        check_currency(invoice.describe(), event.amount, invoice.currency)
        available = (app.amount - view.application_credited(payment, invoice.internal_id)).min(
            view.refundable(invoice)
        )
        take = rest.min(available)
        if not take.is_positive:
            continue
        choice = choose_credit_lines(invoice, take, view, settings, Policy.STRIPE_CONNECTOR)
        if isinstance(choice, str):
            tax = "tax item" in choice
            return Unsupported(
                key=key,
                flow=_FLOW,
                code=Reason.NEEDS_TAX_ITEM if tax else Reason.NEEDS_REFUND_ITEM,
                message=choice,
                rule_ids=("TAX-2",) if tax else ("STC-15",),
            )
        memo_id = external_id(key, Role.CREDIT_MEMO, f"{payment.internal_id}/{invoice.internal_id}")
        pair_rules = _dsp(event, ("STC-1", "STC-4", "STC-5", "STC-6", "STC-9", *choice.rule_ids))
        actions.append(
            CreateCreditMemo(
                external_id=memo_id,
                source=key,
                rule_ids=pair_rules,
                reason=(
                    f"payment {payment.internal_id} is applied to {invoice.describe()}"
                    + _reapplied_history(payment, invoice.internal_id)
                    + f": a credit memo from it for {take}, carrying {choice.explanation}"
                ),
                customer_id=invoice.customer_id,
                created_from=invoice.internal_id,
                order_id=invoice.order_id,
                refunded_payment_id=payment.internal_id,
                lines=choice.lines,
                shipping=choice.shipping,
                amount=take,
            )
        )
        actions.append(
            CreateCustomerRefund(
                external_id=external_id(
                    key, Role.CUSTOMER_REFUND, f"{payment.internal_id}/{invoice.internal_id}"
                ),
                source=key,
                rule_ids=_dsp(event, ("STC-1", "STC-4", "STC-5", "STC-12")),
                reason=(
                    f"the credit memo for {invoice.describe()} is applied to a customer refund "
                    f"of {take}, posted to Undeposited Funds"
                ),
                customer_id=invoice.customer_id,
                payment_id=payment.internal_id,
                applications=(
                    PlannedApplication(
                        RefundApplicationKind.CREDIT_MEMO, RecordRef(external_id=memo_id), take
                    ),
                ),
                amount=take,
                memo=memo,
            )
        )
        created.append(take)
        rest = rest - take
    if rest.is_positive:
        return Unsupported(
            key=key,
            flow=_FLOW,
            code=Reason.NOT_BILLED,
            message=(
                f"{rest} of {_noun(event)} {event.refund_id} cannot be placed: payment "
                f"{payment.internal_id}'s invoices were already credited by other records"
            ),
            rule_ids=("STC-9", "MNY-4"),
        )
    return finish_plan(
        key=key,
        flow=_FLOW,
        summary=(
            f"Stripe {_noun(event)} {event.refund_id} of {event.amount} on payment "
            f"{payment.internal_id}"
        ),
        actions=actions,
        ledger=ledger,
        refund=event.amount,
        conserved=created,
        rounding=settings.tax_rounding,
        delivered=event.amount,
    )


def _unapplied_history(payment: CustomerPayment) -> str:
    """What the payment's history says about its unapplied balance (STC-7), if anything."""
    unapplied = [c for c in payment.history if c.kind is ApplicationChangeKind.UNAPPLIED]
    if not unapplied:
        return ""
    return (
        " (unapplied from "
        + ", ".join(f"{c.invoice_id} on {c.at.date().isoformat()}" for c in unapplied)
        + ")"
    )


def _reapplied_history(payment: CustomerPayment, invoice_id: str) -> str:
    """Where the payment was before it was applied to ``invoice_id`` (STC-6), if known."""
    before = sorted(
        {
            c.invoice_id
            for c in payment.history
            if c.kind is ApplicationChangeKind.UNAPPLIED and c.invoice_id != invoice_id
        }
    )
    applied_here = any(
        c.kind is ApplicationChangeKind.APPLIED and c.invoice_id == invoice_id
        for c in payment.history
    )
    if not before or not applied_here:
        return ""
    return f" now (re-applied from {', '.join(before)}; the current invoice is credited)"


def decide_payment_failure(
    failure: PaymentFailure, ledger: LedgerSnapshot, settings: RefundSettings
) -> Outcome:
    """Reverse a failed delayed-notification payment (STC-10).

    The payment's status becomes failed and it is unapplied from its invoices (which are open
    again, no credit memo); a customer refund applied to the payment reverses its ledger effect,
    its memo carrying the processor's failure reason.
    """
    del settings  # the reversal does not depend on refund settings
    flow = Flow.PAYMENT_FAILURE
    key = failure.key
    full_view = LedgerView(ledger)
    payment = full_view.payment_by_ref(failure.payment_ref)
    if payment is None:
        return Skipped(
            key=key,
            flow=flow,
            code=Reason.PAYMENT_NOT_SYNCED,
            message=(
                f"no customer payment for charge {failure.payment_ref} yet; retry once it syncs"
            ),
            rule_ids=("STC-10",),
        )
    check_currency(
        f"customer payment {payment.internal_id}", failure.amount, payment.amount.currency
    )
    if failure.amount != payment.amount:
        raise InvalidInputError(
            f"payment failure {failure.failure_id} is for {failure.amount}, but customer payment "
            f"{payment.internal_id} is {payment.amount}"
        )
    view = full_view.without_source(key)
    memo = f"Payment failed at {failure.source}: {failure.failure_code}" + (
        f" - {failure.failure_message}" if failure.failure_message else ""
    )
    actions: list[Action] = []
    if payment.status is not PaymentStatus.FAILED or payment.applications:
        actions.append(
            MarkPaymentFailed(
                external_id=external_id(key, Role.PAYMENT_FAILED, payment.internal_id),
                source=key,
                rule_ids=("STC-10",),
                reason=(
                    f"charge {failure.payment_ref} failed after it was applied: payment "
                    f"{payment.internal_id} becomes failed and its invoices are open again"
                ),
                payment_id=payment.internal_id,
                unapply_invoice_ids=tuple(app.invoice_id for app in payment.applications),
                memo=memo,
            )
        )
    reverse = payment.amount - view.payment_refunded(payment)
    if reverse.is_positive:
        actions.append(
            CreateCustomerRefund(
                external_id=external_id(key, Role.CUSTOMER_REFUND, payment.internal_id),
                source=key,
                rule_ids=("STC-10", "STC-12"),
                reason=(
                    f"a customer refund of {reverse} applied to payment {payment.internal_id} "
                    "reverses its ledger effect; no credit memo"
                ),
                customer_id=payment.customer_id,
                payment_id=payment.internal_id,
                applications=(
                    PlannedApplication(
                        RefundApplicationKind.PAYMENT,
                        RecordRef(internal_id=payment.internal_id),
                        reverse,
                    ),
                ),
                amount=reverse,
                memo=memo,
            )
        )
    if not actions:
        return Skipped(
            key=key,
            flow=flow,
            code=Reason.NOTHING_TO_REVERSE,
            message=f"payment {payment.internal_id} is failed and fully refunded already",
            rule_ids=("STC-10", "IDM-2"),
        )
    return finish_plan(
        key=key,
        flow=flow,
        summary=f"reverse failed payment {payment.internal_id} ({failure.failure_code})",
        actions=actions,
        ledger=ledger,
    )
