"""Hypothesis strategies that build realistic ledgers for the refund_core property tests.

Currencies come from 0-, 2- and 3-decimal ISO 4217 codes; every amount is built from integer
minor units (``Money.from_minor_units``), as Stripe sends them. Ledgers are valid by construction:
payment applications never exceed the payment or an invoice's total, and partial refunds never
exceed what is left, so any error a decision raises on them is a finding, not noise.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
from hypothesis import strategies as st

from refund_core import (
    CashSale,
    CustomerPayment,
    Invoice,
    LedgerSnapshot,
    Money,
    PaymentApplication,
    RefundEvent,
    RefundSettings,
    RefundStatus,
    SalesOrder,
    TransactionLine,
)

__all__ = [
    "BASE_TIME",
    "CURRENCY_CODES",
    "StorefrontCase",
    "StripeCase",
    "currencies",
    "invoices",
    "minor_amounts",
    "money",
    "nsc_settings",
    "storefront_cases",
    "stripe_cases",
    "stripe_ledgers",
    "stripe_refund",
    "stripe_settings",
]

CURRENCY_CODES = ("JPY", "KRW", "USD", "EUR", "KWD", "BHD", "JOD")
BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)
CUSTOMER = "CUST-1"

currencies = st.sampled_from(CURRENCY_CODES)


def minor_amounts(min_value: int = 1, max_value: int = 500_000) -> st.SearchStrategy[int]:
    """Integer minor units in a range."""
    return st.integers(min_value=min_value, max_value=max_value)


def money(currency: str, min_minor: int = 1, max_minor: int = 500_000) -> st.SearchStrategy[Money]:
    """Money in ``currency`` built from minor units."""
    return minor_amounts(min_minor, max_minor).map(lambda m: Money.from_minor_units(m, currency))


stripe_settings = st.sampled_from(
    (
        RefundSettings(partial_refund_item="stripe-partial-refund-item"),
        RefundSettings(use_refund_item=True, refund_item="stripe-refund-item"),
        RefundSettings(
            partial_refund_item="stripe-partial-refund-item",
            revenue_recognition=True,
            deferred_revenue_account="deferred-revenue",
        ),
    )
)
nsc_settings = st.sampled_from(
    (
        RefundSettings(partial_refund_item="partial-refund-item"),
        RefundSettings(use_refund_item=True, refund_item="refund-item"),
    )
)


@st.composite
def transaction_lines(
    draw: st.DrawFn, currency: str, prefix: str, *, min_size: int = 1, max_size: int = 4
) -> tuple[TransactionLine, ...]:
    """1-4 item lines with positive amounts, each carrying its storefront order line ref."""
    count = draw(st.integers(min_size, max_size))
    return tuple(
        TransactionLine(
            line_id=f"{prefix}-L{i}",
            item=draw(st.sampled_from(("item-a", "item-b", "item-c"))),
            quantity=draw(st.none() | st.integers(1, 5).map(Decimal)),
            amount=draw(money(currency, 1, 200_000)),
            order_line_ref=f"{prefix}-ol{i}",
        )
        for i in range(count)
    )


@st.composite
def invoices(draw: st.DrawFn, currency: str, count: int) -> tuple[Invoice, ...]:
    """``count`` multi-line invoices (1-4 lines, optional shipping) in one currency."""
    result = []
    for i in range(count):
        internal_id = f"INV-{i + 1}"
        result.append(
            Invoice(
                internal_id=internal_id,
                customer_id=CUSTOMER,
                created_at=BASE_TIME + timedelta(days=i),
                lines=draw(transaction_lines(currency, internal_id)),
                shipping=draw(money(currency, 0, 5_000)),
            )
        )
    return tuple(result)


@st.composite
def stripe_ledgers(draw: st.DrawFn) -> LedgerSnapshot:
    """Invoices and customer payments (charges ``ch_N``), some applied to several invoices.

    Applications never exceed the payment, and all applications to one invoice never exceed its
    total; a payment may keep an unapplied balance or be applied to nothing (STC-2, STC-9).
    """
    currency = draw(currencies)
    invs = draw(invoices(currency, draw(st.integers(1, 3))))
    open_minor = {inv.internal_id: inv.total.to_minor_units() for inv in invs}
    payments = []
    hour = 0
    for p in range(draw(st.integers(1, 3))):
        apps = []
        targets = draw(
            st.lists(st.sampled_from(invs), unique_by=lambda i: i.internal_id, max_size=3)
        )
        for inv in targets:
            left = open_minor[inv.internal_id]
            if left < 1:
                continue
            minor = draw(st.integers(1, left))
            open_minor[inv.internal_id] -= minor
            hour += 1
            apps.append(
                PaymentApplication(
                    invoice_id=inv.internal_id,
                    amount=Money.from_minor_units(minor, currency),
                    applied_at=BASE_TIME
                    + timedelta(days=10, hours=draw(st.integers(0, 5)) * 10 + hour),
                )
            )
        applied = sum(app.amount.to_minor_units() for app in apps)
        # Fully applied payments are common; refunds of them take the credit memo path (STC-4).
        extra = (
            draw(st.just(0) | st.integers(0, 100_000))
            if applied
            else draw(minor_amounts(1, 100_000))
        )
        payments.append(
            CustomerPayment(
                internal_id=f"PAY-{p + 1}",
                customer_id=CUSTOMER,
                amount=Money.from_minor_units(applied + extra, currency),
                created_at=BASE_TIME + timedelta(days=5, hours=p),
                payment_ref=f"ch_{p + 1}",
                applications=tuple(apps),
            )
        )
    return LedgerSnapshot(invoices=invs, payments=tuple(payments))


def stripe_refund(refund_id: str, payment: CustomerPayment, minor: int) -> RefundEvent:
    """A succeeded Stripe refund of ``minor`` units of ``payment``'s charge."""
    return RefundEvent(
        source="stripe",
        refund_id=refund_id,
        amount=Money.from_minor_units(minor, payment.amount.currency),
        created_at=BASE_TIME + timedelta(days=30),
        status=RefundStatus.SUCCEEDED,
        payment_ref=payment.payment_ref,
    )


@attrs.frozen
class StripeCase:
    """A ledger and partial refunds of its payments that together fit what each payment paid."""

    ledger: LedgerSnapshot
    refunds: tuple[RefundEvent, ...]
    settings: RefundSettings


@st.composite
def stripe_cases(draw: st.DrawFn, max_refunds_per_payment: int = 3) -> StripeCase:
    """A Stripe ledger plus partial refunds (``payment_ref`` = the charge) that fit each payment."""
    ledger = draw(stripe_ledgers())
    refunds = []
    n = 0
    for payment in ledger.payments:
        left = payment.amount.to_minor_units()
        for _ in range(draw(st.integers(0, max_refunds_per_payment))):
            if left < 1:
                break
            # Mostly small partial refunds, sometimes everything that is left.
            minor = draw(st.integers(1, left) | st.just(left))
            left -= minor
            n += 1
            refunds.append(stripe_refund(f"re_{n}", payment, minor))
    if not refunds:
        payment = ledger.payments[0]
        refunds.append(stripe_refund("re_0", payment, payment.amount.to_minor_units()))
    return StripeCase(ledger=ledger, refunds=tuple(refunds), settings=draw(stripe_settings))


@attrs.frozen
class StorefrontCase:
    """A storefront order billed by invoices and cash sales, and partial refunds that fit it."""

    ledger: LedgerSnapshot
    order: SalesOrder
    refunds: tuple[RefundEvent, ...]
    settings: RefundSettings


@st.composite
def storefront_cases(draw: st.DrawFn, max_refunds: int = 4) -> StorefrontCase:
    """An order split over 1-3 billing transactions (invoices or cash sales) covering all its lines.

    Refunds are amount-only storefront refunds (NSC policy) whose sum never exceeds the order total.
    """
    currency = draw(currencies)
    lines = draw(transaction_lines(currency, "SO-1", min_size=1, max_size=4))
    shipping = draw(money(currency, 0, 5_000))
    order = SalesOrder(
        internal_id="SO-1",
        customer_id=CUSTOMER,
        order_ref="ord_1",
        lines=lines,
        shipping=shipping,
    )
    k = draw(st.integers(1, min(3, len(lines))))
    cuts = (
        sorted(
            draw(
                st.lists(
                    st.integers(1, len(lines) - 1), unique=True, min_size=k - 1, max_size=k - 1
                )
            )
        )
        if k > 1
        else []
    )
    bounds = [0, *cuts, len(lines)]
    invs: list[Invoice] = []
    sales: list[CashSale] = []
    for index in range(len(bounds) - 1):
        chunk = lines[bounds[index] : bounds[index + 1]]
        txn_id = f"TX-{index + 1}"
        txn_lines = tuple(attrs.evolve(line, line_id=f"{txn_id}-{line.line_id}") for line in chunk)
        common = {
            "internal_id": txn_id,
            "customer_id": CUSTOMER,
            "created_at": BASE_TIME + timedelta(days=index),
            "lines": txn_lines,
            "order_id": order.internal_id,
            "shipping": shipping if index == 0 else Money.zero(currency),
        }
        if draw(st.booleans()):
            sales.append(CashSale(**common))  # type: ignore[arg-type]
        else:
            invs.append(Invoice(**common))  # type: ignore[arg-type]
    ledger = LedgerSnapshot(sales_orders=(order,), invoices=tuple(invs), cash_sales=tuple(sales))
    left = order.total.to_minor_units()
    refunds = []
    for n in range(draw(st.integers(1, max_refunds))):
        if left < 1:
            break
        minor = draw(st.integers(1, left) | st.just(left))
        left -= minor
        refunds.append(
            RefundEvent(
                source="shopify",
                refund_id=f"rf_{n + 1}",
                amount=Money.from_minor_units(minor, currency),
                created_at=BASE_TIME + timedelta(days=30),
                status=RefundStatus.SUCCEEDED,
                order_ref=order.order_ref,
            )
        )
    return StorefrontCase(
        ledger=ledger, order=order, refunds=tuple(refunds), settings=draw(nsc_settings)
    )
