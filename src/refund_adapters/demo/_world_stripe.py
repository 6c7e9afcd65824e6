"""The demo world's Stripe accounts: US (refunds, an ACH failure, payouts, a dispute) and JP.

See :mod:`._world` for what each event is there to show; the comment beside each says which
rules it exercises.
"""

from __future__ import annotations

import attrs

import refund_core as rc

from ._samples import TAX_CODE, TAX_RATE, at, jpy, line, usd

__all__ = ["dispute_payout", "stripe_events", "stripe_jp", "stripe_payouts", "stripe_us"]


def stripe_us() -> tuple[tuple[rc.Invoice, ...], tuple[rc.CustomerPayment, ...], rc.CashSale]:
    d = at
    invoices = (
        rc.Invoice(
            "INV-100",
            "C-1",
            d("2026-02-01"),
            lines=(line("1", "WIDGET", usd("60.00")), line("2", "GADGET", usd("40.00"))),
        ),
        rc.Invoice("INV-101", "C-2", d("2026-02-02"), lines=(line("1", "PLAN-PRO", usd("80.00")),)),
        rc.Invoice(
            "INV-102",
            "C-3",
            d("2026-02-03"),
            lines=(line("1", "WIDGET", usd("30.00")), line("2", "CABLE", usd("20.00"))),
        ),
        rc.Invoice("INV-103", "C-4", d("2026-02-04"), lines=(line("1", "SERVICE", usd("200.00")),)),
        # Taxed at 8.25 % under the account's tax code tax-1: 100.00 + 8.25 (TAX-1).
        rc.Invoice(
            "INV-104",
            "C-12",
            d("2026-02-07"),
            lines=(
                rc.TransactionLine(
                    "1",
                    "LAPTOP-BAG",
                    None,
                    usd("100.00"),
                    tax=rc.LineTax(TAX_CODE, TAX_RATE, usd("8.25")),
                ),
            ),
        ),
        rc.Invoice(
            "INV-105", "C-13", d("2026-02-08"), lines=(line("1", "HEADPHONES", usd("60.00")),)
        ),
    )
    payments = (
        rc.CustomerPayment(
            "PAY-1",
            "C-1",
            usd("100.00"),
            d("2026-02-01"),
            payment_ref="ch_multi",
            applications=(rc.PaymentApplication("INV-100", usd("100.00"), d("2026-02-01")),),
        ),
        rc.CustomerPayment(
            "PAY-2",
            "C-2",
            usd("100.00"),
            d("2026-02-02"),
            payment_ref="ch_single",
            applications=(rc.PaymentApplication("INV-101", usd("80.00"), d("2026-02-02")),),
        ),
        rc.CustomerPayment(
            "PAY-3",
            "C-3",
            usd("50.00"),
            d("2026-02-03"),
            payment_ref="ch_full",
            applications=(rc.PaymentApplication("INV-102", usd("50.00"), d("2026-02-03")),),
        ),
        rc.CustomerPayment("PAY-4", "C-5", usd("70.00"), d("2026-02-05"), payment_ref="ch_noinv"),
        rc.CustomerPayment(
            "PAY-5",
            "C-4",
            usd("200.00"),
            d("2026-02-04"),
            payment_ref="ch_ach",
            status=rc.PaymentStatus.PENDING,
            applications=(rc.PaymentApplication("INV-103", usd("200.00"), d("2026-02-04")),),
        ),
        rc.CustomerPayment("PAY-6", "C-11", usd("300.00"), d("2026-03-09"), payment_ref="ch_new"),
        rc.CustomerPayment(
            "PAY-7",
            "C-12",
            usd("108.25"),
            d("2026-02-07"),
            payment_ref="ch_taxed",
            applications=(rc.PaymentApplication("INV-104", usd("108.25"), d("2026-02-07")),),
        ),
        rc.CustomerPayment(
            "PAY-8",
            "C-13",
            usd("60.00"),
            d("2026-02-08"),
            payment_ref="ch_disputed",
            applications=(rc.PaymentApplication("INV-105", usd("60.00"), d("2026-02-08")),),
        ),
        rc.CustomerPayment("PAY-9", "C-14", usd("120.00"), d("2026-03-20"), payment_ref="ch_later"),
    )
    cash_sale = rc.CashSale(
        "CS-1",
        "C-6",
        d("2026-02-06"),
        lines=(line("1", "MUG", usd("15.00")),),
        payment_ref="ch_cashsale",
    )
    return invoices, payments, cash_sale


def stripe_events() -> tuple[rc.SourceEvent, ...]:
    d = at

    def refund(
        refund_id: str, amount: str, charge: str, day: str, charge_day: str | None = None
    ) -> rc.RefundEvent:
        return rc.RefundEvent(
            source="stripe",
            refund_id=refund_id,
            amount=usd(amount),
            created_at=d(day),
            status=rc.RefundStatus.SUCCEEDED,
            payment_ref=charge,
            charge_created_at=d(charge_day) if charge_day else None,
        )

    return (
        refund("re_partial_multi", "25.00", "ch_multi", "2026-03-01"),  # STC-4/5/6/15
        refund("re_unapplied_first", "30.00", "ch_single", "2026-03-02"),  # STC-9/7, STC-14
        refund("re_full", "50.00", "ch_full", "2026-03-03"),  # STC-16
        refund("re_no_invoice", "70.00", "ch_noinv", "2026-03-04"),  # STC-2/8
        refund("re_cash_sale", "15.00", "ch_cashsale", "2026-03-05"),  # STC-3: unsupported
        refund("re_before_start", "5.00", "ch_old", "2026-03-06", "2025-12-01"),  # STC-11: skip
        refund("re_taxed", "50.00", "ch_taxed", "2026-03-08"),  # TAX-2/3: 46.19 + 3.81 of tax-1
        attrs.evolve(
            refund("dp_demo", "60.00", "ch_disputed", "2026-03-09"), kind=rc.RefundKind.DISPUTE
        ),  # DSP-1: a chargeback, decided like a refund of the disputed amount
        rc.PaymentFailure(
            "stripe",
            "ach_fail_1",
            "ch_ach",
            usd("200.00"),
            d("2026-03-07"),
            "insufficient_funds",
            "The customer's account has insufficient funds.",
        ),  # STC-10
    )


def stripe_payouts() -> tuple[rc.Payout, ...]:
    # The payout that settles a new charge, two synced refunds, a fee and a fee refund (STC-12/13).
    return (
        rc.Payout(
            "stripe",
            "po_1",
            usd("177.70"),
            at("2026-03-12"),
            entries=(
                rc.BalanceEntry("txn_1", rc.BalanceEntryKind.CHARGE, usd("300.00"), "ch_new"),
                rc.BalanceEntry("txn_2", rc.BalanceEntryKind.REFUND, usd("-50.00"), "re_full"),
                rc.BalanceEntry(
                    "txn_3", rc.BalanceEntryKind.REFUND, usd("-70.00"), "re_no_invoice"
                ),
                rc.BalanceEntry(
                    "txn_4", rc.BalanceEntryKind.FEE, usd("-3.50"), "fee_1", "processing fee"
                ),
                rc.BalanceEntry(
                    "txn_5",
                    rc.BalanceEntryKind.FEE_REFUND,
                    usd("1.20"),
                    "fee_1r",
                    "fee returned with a refund",
                ),
            ),
        ),
    )


def dispute_payout() -> rc.Payout:
    """A later payout: a new charge; the dispute withdrawn, its fee, both reinstated (DSP-2).

    The entries are what the Stripe adapter reads from the dispute's balance transactions (a
    withdrawal and a reinstatement filed under ``reporting_category`` dispute and
    dispute_reversal) and its fee and fee refund.
    """
    entry = rc.BalanceEntry
    kind = rc.BalanceEntryKind
    return rc.Payout(
        "stripe",
        "po_2",
        usd("120.00"),
        at("2026-03-28"),
        entries=(
            # In the order Stripe lists them: the withdrawal when the dispute opened, then the
            # payout day's transactions.
            entry(
                "txn_dp_demo",
                kind.DISPUTE,
                usd("-60.00"),
                "dp_demo",
                "Chargeback withdrawal for ch_disputed",
            ),
            entry("txn_later", kind.CHARGE, usd("120.00"), "ch_later"),
            entry("txn_dp_demo_fee", kind.FEE, usd("-15.00"), "dp_demo", "Dispute fee"),
            entry("txn_dp_demo_fr", kind.FEE_REFUND, usd("15.00"), "dp_demo", "Dispute fee refund"),
            entry(
                "txn_dp_demo_r",
                kind.DISPUTE_REVERSAL,
                usd("60.00"),
                "dp_demo",
                "Chargeback reversal for ch_disputed",
            ),
        ),
    )


def stripe_jp() -> tuple[
    tuple[rc.Invoice, ...],
    tuple[rc.CustomerPayment, ...],
    tuple[rc.SourceEvent, ...],
    tuple[rc.Payout, ...],
]:
    d = at
    invoices = (
        rc.Invoice(
            "INV-500",
            "C-20",
            d("2026-02-15"),
            lines=(line("1", "SHIRT", jpy("3000")), line("2", "SOCKS", jpy("1000"))),
        ),
    )
    payments = (
        rc.CustomerPayment(
            "PAY-500",
            "C-20",
            jpy("4000"),
            d("2026-02-15"),
            payment_ref="ch_jp_1",
            applications=(rc.PaymentApplication("INV-500", jpy("4000"), d("2026-02-15")),),
        ),
        rc.CustomerPayment("PAY-501", "C-21", jpy("10000"), d("2026-03-20"), payment_ref="ch_jp_2"),
    )

    def refund(
        refund_id: str, amount: str, charge: str, day: str, charge_day: str | None = None
    ) -> rc.RefundEvent:
        return rc.RefundEvent(
            source="stripe",
            refund_id=refund_id,
            amount=jpy(amount),
            created_at=d(day),
            status=rc.RefundStatus.SUCCEEDED,
            payment_ref=charge,
            charge_created_at=d(charge_day) if charge_day else None,
        )

    events: tuple[rc.SourceEvent, ...] = (
        refund("re_jp_1", "1500", "ch_jp_1", "2026-03-15"),  # STC-17 refund item, MNY-1 JPY
        refund("re_jp_old_1", "800", "ch_jp_old_1", "2026-03-16", "2025-11-20"),  # STC-11
        refund("re_jp_old_2", "700", "ch_jp_old_2", "2026-03-17", "2025-12-05"),  # STC-11
    )
    payouts = (
        # Pre-start refunds become one summarized deposit line (STC-11, summarize).
        rc.Payout(
            "stripe",
            "po_jp_1",
            jpy("6700"),
            at("2026-03-25"),
            entries=(
                rc.BalanceEntry("txn_jp_1", rc.BalanceEntryKind.CHARGE, jpy("10000"), "ch_jp_2"),
                rc.BalanceEntry("txn_jp_2", rc.BalanceEntryKind.REFUND, jpy("-1500"), "re_jp_1"),
                rc.BalanceEntry(
                    "txn_jp_3",
                    rc.BalanceEntryKind.REFUND,
                    jpy("-800"),
                    "re_jp_old_1",
                    charge_created_at=d("2025-11-20"),
                ),
                rc.BalanceEntry(
                    "txn_jp_4",
                    rc.BalanceEntryKind.REFUND,
                    jpy("-700"),
                    "re_jp_old_2",
                    charge_created_at=d("2025-12-05"),
                ),
                rc.BalanceEntry(
                    "txn_jp_5", rc.BalanceEntryKind.FEE, jpy("-300"), "fee_jp_1", "processing fee"
                ),
            ),
        ),
    )
    return invoices, payments, events, payouts
