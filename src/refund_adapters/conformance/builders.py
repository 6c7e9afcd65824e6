"""Tiny builders for test fixtures: short, typed, and built only from the public API.

Amounts are strings ("12.50") in the builder's ``currency`` (USD unless told); dates are ISO
strings turned into aware UTC datetimes. The contract suites build their worlds with these, and
your own tests may too: ``from refund_adapters.conformance.builders import order, invoice, ...``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs

import refund_core as rc

__all__ = [
    "M",
    "at",
    "cash_sale",
    "credit_memo",
    "customer_deposit",
    "dispute",
    "invoice",
    "ledger",
    "order",
    "payment",
    "payment_failure",
    "storefront_refund",
    "stripe_refund",
    "tx_lines",
    "with_tax",
]

_T = TypeVar("_T", rc.SalesOrder, rc.Invoice, rc.CashSale)

LineSpec = tuple[str, str] | tuple[str, str, str | None] | tuple[str, str, str | None, int | None]
"""(item, amount) or (item, amount, order_line_ref) or (item, amount, order_line_ref, quantity)."""


def M(text: str) -> rc.Money:  # noqa: N802 - short, reads like a literal: M("12.50 USD")
    """Money from ``"12.50 USD"``."""
    return rc.Money.parse(text)


def _m(amount: str, currency: str) -> rc.Money:
    return rc.Money.of(amount, currency)


def at(text: str) -> datetime:
    """An aware UTC datetime from ``"2026-03-01"`` or ``"2026-03-01T10:30"``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def tx_lines(
    prefix: str, lines: Sequence[LineSpec], currency: str = "USD"
) -> tuple[rc.TransactionLine, ...]:
    """Transaction lines ``<prefix>-L1``, ``<prefix>-L2``... from line specs."""
    built = []
    for index, spec in enumerate(lines, start=1):
        item, amount = spec[0], spec[1]
        ref = spec[2] if len(spec) > 2 else None
        qty = spec[3] if len(spec) > 3 else None
        built.append(
            rc.TransactionLine(
                line_id=f"{prefix}-L{index}",
                item=item,
                quantity=Decimal(qty) if qty is not None else None,
                amount=_m(amount, currency),
                order_line_ref=ref,
            )
        )
    return tuple(built)


def order(
    internal_id: str = "SO-1",
    order_ref: str = "1001",
    lines: Sequence[LineSpec] = (("SKU-A", "100.00", "OL-1"),),
    *,
    customer: str = "C-1",
    shipping: str | None = None,
    gift_card: str | None = None,
    currency: str = "USD",
) -> rc.SalesOrder:
    """A sales order; ``gift_card`` splits its tenders into a gift-card part and the rest."""
    built = tx_lines(internal_id, lines, currency)
    ship = _m(shipping, currency) if shipping is not None else rc.Money.zero(currency)
    tenders: tuple[rc.TenderPart, ...] = ()
    if gift_card is not None:
        total = rc.sum_money((line.amount for line in built), currency) + ship
        gift = _m(gift_card, currency)
        tenders = (
            rc.TenderPart(rc.TenderKind.PAYMENT_METHOD, total - gift),
            rc.TenderPart(rc.TenderKind.GIFT_CARD, gift),
        )
    return rc.SalesOrder(
        internal_id=internal_id,
        customer_id=customer,
        order_ref=order_ref,
        lines=built,
        shipping=ship,
        tenders=tenders,
    )


def invoice(
    internal_id: str = "INV-1",
    lines: Sequence[LineSpec] = (("SKU-A", "100.00", "OL-1"),),
    *,
    order_id: str | None = "SO-1",
    customer: str = "C-1",
    created: str = "2026-03-01",
    shipping: str | None = None,
    currency: str = "USD",
) -> rc.Invoice:
    """An invoice billing (part of) an order."""
    return rc.Invoice(
        internal_id,
        customer,
        at(created),
        tx_lines(internal_id, lines, currency),
        order_id=order_id,
        shipping=_m(shipping, currency) if shipping is not None else rc.Money.zero(currency),
    )


def cash_sale(
    internal_id: str = "CS-1",
    lines: Sequence[LineSpec] = (("SKU-A", "100.00", "OL-1"),),
    *,
    order_id: str | None = "SO-1",
    customer: str = "C-1",
    created: str = "2026-03-01",
    shipping: str | None = None,
    payment_ref: str | None = None,
    currency: str = "USD",
) -> rc.CashSale:
    """A cash sale billing (part of) an order, optionally paid by a processor charge."""
    return rc.CashSale(
        internal_id,
        customer,
        at(created),
        tx_lines(internal_id, lines, currency),
        order_id=order_id,
        shipping=_m(shipping, currency) if shipping is not None else rc.Money.zero(currency),
        payment_ref=payment_ref,
    )


def payment(
    internal_id: str = "PAY-1",
    amount: str = "100.00",
    *,
    ref: str | None = "ch_1",
    applied: Mapping[str, str] | None = None,
    applied_at: Mapping[str, str] | None = None,
    customer: str = "C-1",
    created: str = "2026-03-01",
    status: rc.PaymentStatus = rc.PaymentStatus.UNDEPOSITED,
    currency: str = "USD",
) -> rc.CustomerPayment:
    """A customer payment; ``applied`` maps invoice IDs to applied amounts (dated ``created``)."""
    dates = applied_at or {}
    return rc.CustomerPayment(
        internal_id=internal_id,
        customer_id=customer,
        amount=_m(amount, currency),
        created_at=at(created),
        payment_ref=ref,
        status=status,
        applications=tuple(
            rc.PaymentApplication(inv, _m(amt, currency), at(dates.get(inv, created)))
            for inv, amt in (applied or {}).items()
        ),
    )


def customer_deposit(
    internal_id: str = "DEP-1",
    amount: str = "100.00",
    *,
    ref: str | None = "ch_1",
    order_id: str | None = "SO-1",
    customer: str = "C-1",
    created: str = "2026-03-01",
    currency: str = "USD",
) -> rc.CustomerDeposit:
    """A customer deposit (prepayment) on an order not billed yet."""
    return rc.CustomerDeposit(
        internal_id=internal_id,
        customer_id=customer,
        amount=_m(amount, currency),
        created_at=at(created),
        order_id=order_id,
        payment_ref=ref,
    )


def credit_memo(
    internal_id: str,
    created_from: str,
    amount: str,
    *,
    lines: Sequence[LineSpec] | None = None,
    shipping: str | None = None,
    order_id: str | None = "SO-1",
    customer: str = "C-1",
    currency: str = "USD",
) -> rc.CreditMemo:
    """A credit memo made by hand in NetSuite (no source, no sync).

    ``lines`` default to one ``SKU-A`` line for the whole amount (less shipping).
    """
    ship = _m(shipping, currency) if shipping is not None else rc.Money.zero(currency)
    if lines is None:
        lines = (("SKU-A", str((_m(amount, currency) - ship).amount)),)
    credit_lines = tuple(
        rc.CreditLine(
            item=line.item,
            amount=line.amount,
            quantity=line.quantity,
            order_line_ref=line.order_line_ref,
        )
        for line in tx_lines(internal_id, lines, currency)
    )
    return rc.CreditMemo(
        internal_id=internal_id,
        customer_id=customer,
        created_from=created_from,
        amount=_m(amount, currency),
        lines=credit_lines,
        shipping=ship,
        order_id=order_id,
    )


def stripe_refund(
    refund_id: str = "re_1",
    amount: str = "100.00",
    *,
    charge: str | None = "ch_1",
    created: str = "2026-03-10",
    charge_created: str | None = None,
    status: rc.RefundStatus = rc.RefundStatus.SUCCEEDED,
    currency: str = "USD",
) -> rc.RefundEvent:
    """A refund issued in Stripe (names no lines)."""
    return rc.RefundEvent(
        source="stripe",
        refund_id=refund_id,
        amount=_m(amount, currency),
        created_at=at(created),
        status=status,
        payment_ref=charge,
        charge_created_at=at(charge_created) if charge_created is not None else None,
    )


def with_tax(
    record: _T,
    code: str,
    rate: str,
    *,
    line_ids: Iterable[str] | None = None,
    rounding: rc.TaxRounding = rc.TaxRounding.ROUND_OFF,
) -> _T:
    """``record`` with its lines (or those in ``line_ids``) taxed under ``code``.

    ``rate`` is a percentage; each line's tax is computed as NetSuite computes it
    (:func:`refund_core.line_tax`).
    """
    chosen = None if line_ids is None else set(line_ids)
    lines = tuple(
        attrs.evolve(
            line,
            tax=rc.LineTax(code, Decimal(rate), rc.line_tax(line.amount, Decimal(rate), rounding)),
        )
        if chosen is None or line.line_id in chosen
        else line
        for line in record.lines
    )
    return attrs.evolve(record, lines=lines)


def dispute(
    dispute_id: str = "dp_1",
    amount: str = "100.00",
    *,
    charge: str | None = "ch_1",
    created: str = "2026-03-12",
    charge_created: str | None = None,
    status: rc.RefundStatus = rc.RefundStatus.SUCCEEDED,
    currency: str = "USD",
) -> rc.RefundEvent:
    """A Stripe dispute whose funds were withdrawn (``status`` succeeded), decided like a refund."""
    return attrs.evolve(
        stripe_refund(
            dispute_id,
            amount,
            charge=charge,
            created=created,
            charge_created=charge_created,
            status=status,
            currency=currency,
        ),
        kind=rc.RefundKind.DISPUTE,
    )


def storefront_refund(
    refund_id: str = "sr_1",
    amount: str = "100.00",
    *,
    order_ref: str = "1001",
    lines: Iterable[tuple[str, int | None, str]] = (),
    shipping: str | None = None,
    gift_card: str | None = None,
    source: str = "shopify",
    created: str = "2026-03-10",
    status: rc.RefundStatus = rc.RefundStatus.SUCCEEDED,
    currency: str = "USD",
) -> rc.RefundEvent:
    """A storefront refund; ``lines`` are (order_line_ref, quantity, amount).

    ``gift_card`` splits its tenders into a gift-card part and the payment-method rest (NSC-8).
    """
    tenders: tuple[rc.TenderPart, ...] = ()
    if gift_card is not None:
        gift, total = _m(gift_card, currency), _m(amount, currency)
        tenders = (rc.TenderPart(rc.TenderKind.GIFT_CARD, gift),)
        if total != gift:
            tenders = (rc.TenderPart(rc.TenderKind.PAYMENT_METHOD, total - gift), *tenders)
    return rc.RefundEvent(
        source=source,
        refund_id=refund_id,
        amount=_m(amount, currency),
        created_at=at(created),
        status=status,
        order_ref=order_ref,
        lines=tuple(
            rc.RefundLine(ref, Decimal(qty) if qty is not None else None, _m(amt, currency))
            for ref, qty, amt in lines
        ),
        shipping=_m(shipping, currency) if shipping is not None else None,
        tenders=tenders,
    )


def payment_failure(
    failure_id: str = "fail_1",
    amount: str = "100.00",
    *,
    charge: str = "ch_1",
    code: str = "insufficient_funds",
    message: str = "The customer's account has insufficient funds.",
    failed: str = "2026-03-05",
    currency: str = "USD",
) -> rc.PaymentFailure:
    """A delayed-notification (ACH) payment that failed after it was applied."""
    return rc.PaymentFailure(
        source="stripe",
        failure_id=failure_id,
        payment_ref=charge,
        amount=_m(amount, currency),
        failed_at=at(failed),
        failure_code=code,
        failure_message=message,
    )


def ledger(**records: Iterable[object]) -> rc.LedgerSnapshot:
    """A snapshot from keyword lists: ``ledger(invoices=[...], payments=[...])``."""
    fields: dict[str, Any] = {name: tuple(values) for name, values in records.items()}
    return rc.LedgerSnapshot(**fields)
