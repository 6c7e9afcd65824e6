"""The demo's world: one NetSuite account and what five connector accounts will see.

Pure data, built from :mod:`refund_core` models. ``refund-sync demo`` seeds the local stand-ins
with it; tests use it as a realistic scenario (crash injection, end to end over loopback).
Every event is there to exercise rules of the catalogue; the comment beside it says which.

- **stripe-us** (Stripe Connector, USD): partial refunds of multi- and single-line invoices,
  a refund eating an unapplied balance first, a full refund, a charge with no invoice, a cash
  sale, a refund of a charge before the record sync start date, a failed ACH debit, a payout
  with refunds, a fee and a fee refund; a partial refund of a taxed invoice (net and tax split,
  a tax code on the line); a dispute decided like a refund, won later: its payout holds the
  withdrawal, the dispute fee, the reinstated funds and the fee's refund.
- **stripe-jp** (Stripe Connector, JPY, zero-decimal): *use refund item*, pre-start refunds
  as one summarized deposit line.
- **amazon-us** (NetSuite Connector, incoming): a split shipment (cash sale + invoice), two
  different partial refunds of one order, an order with an open RMA, an over-refund and a
  refund in the wrong currency (both rejected with the amounts).
- **shopify-eu** (NetSuite Connector, incoming, from a second shop: a cart synced incoming is
  allowed, with a warning): a refund that went back partly to a gift card; the credit memo
  covers only the part refunded to the card, the gift-card part is store credit Shopify issued.
- **shopify-us** and **magento-us** (NetSuite Connector, outgoing): credit memos made in
  NetSuite, one from an RMA, on orders partly paid by gift card.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import attrs

import refund_core as rc

__all__ = [
    "MAGENTO_ORDER",
    "SHOPIFY_CUSTOMER",
    "SHOPIFY_EU_ORDER",
    "SHOPIFY_ORDER",
    "START",
    "TAX_CODE",
    "TAX_RATE",
    "DemoWorld",
    "build_world",
]

#: The NetSuite account's sales tax code (its tax item's internal ID) and rate, in percent.
TAX_CODE = "tax-1"
TAX_RATE = Decimal("8.25")

#: Where every account's first run starts.
START = datetime(2026, 1, 1, tzinfo=UTC)
#: The storefront IDs of the outgoing orders (Shopify's numeric order ID, Magento's increment ID).
SHOPIFY_ORDER = "5001"
#: The order of the incoming Shopify shop whose refund went back partly to a gift card.
SHOPIFY_EU_ORDER = "6001"
SHOPIFY_CUSTOMER = "7001"
MAGENTO_ORDER = "000000400"


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def _usd(amount: str) -> rc.Money:
    return rc.Money.of(amount, "USD")


def _jpy(amount: str) -> rc.Money:
    return rc.Money.of(amount, "JPY")


def _line(
    line_id: str, item: str, amount: rc.Money, ref: str | None = None, qty: int | None = None
) -> rc.TransactionLine:
    quantity = Decimal(qty) if qty is not None else None
    return rc.TransactionLine(line_id, item, quantity, amount, order_line_ref=ref)


@attrs.frozen
class DemoWorld:
    """The demo's starting ledger, each account's settings, and the events each will see."""

    ledger: rc.LedgerSnapshot
    stripe_events: tuple[rc.SourceEvent, ...]
    amazon_events: tuple[rc.SourceEvent, ...]
    stripe_settings: rc.RefundSettings
    amazon_settings: rc.RefundSettings
    shopify_settings: rc.RefundSettings
    payouts: tuple[rc.Payout, ...]
    stripe_jp_events: tuple[rc.SourceEvent, ...]
    stripe_jp_settings: rc.RefundSettings
    stripe_jp_payouts: tuple[rc.Payout, ...]
    magento_settings: rc.RefundSettings
    shopify_in_events: tuple[rc.SourceEvent, ...]
    shopify_in_settings: rc.RefundSettings


def _stripe_us() -> tuple[tuple[rc.Invoice, ...], tuple[rc.CustomerPayment, ...], rc.CashSale]:
    d = _at
    invoices = (
        rc.Invoice(
            "INV-100",
            "C-1",
            d("2026-02-01"),
            lines=(_line("1", "WIDGET", _usd("60.00")), _line("2", "GADGET", _usd("40.00"))),
        ),
        rc.Invoice(
            "INV-101", "C-2", d("2026-02-02"), lines=(_line("1", "PLAN-PRO", _usd("80.00")),)
        ),
        rc.Invoice(
            "INV-102",
            "C-3",
            d("2026-02-03"),
            lines=(_line("1", "WIDGET", _usd("30.00")), _line("2", "CABLE", _usd("20.00"))),
        ),
        rc.Invoice(
            "INV-103", "C-4", d("2026-02-04"), lines=(_line("1", "SERVICE", _usd("200.00")),)
        ),
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
                    _usd("100.00"),
                    tax=rc.LineTax(TAX_CODE, TAX_RATE, _usd("8.25")),
                ),
            ),
        ),
        rc.Invoice(
            "INV-105", "C-13", d("2026-02-08"), lines=(_line("1", "HEADPHONES", _usd("60.00")),)
        ),
    )
    payments = (
        rc.CustomerPayment(
            "PAY-1",
            "C-1",
            _usd("100.00"),
            d("2026-02-01"),
            payment_ref="ch_multi",
            applications=(rc.PaymentApplication("INV-100", _usd("100.00"), d("2026-02-01")),),
        ),
        rc.CustomerPayment(
            "PAY-2",
            "C-2",
            _usd("100.00"),
            d("2026-02-02"),
            payment_ref="ch_single",
            applications=(rc.PaymentApplication("INV-101", _usd("80.00"), d("2026-02-02")),),
        ),
        rc.CustomerPayment(
            "PAY-3",
            "C-3",
            _usd("50.00"),
            d("2026-02-03"),
            payment_ref="ch_full",
            applications=(rc.PaymentApplication("INV-102", _usd("50.00"), d("2026-02-03")),),
        ),
        rc.CustomerPayment("PAY-4", "C-5", _usd("70.00"), d("2026-02-05"), payment_ref="ch_noinv"),
        rc.CustomerPayment(
            "PAY-5",
            "C-4",
            _usd("200.00"),
            d("2026-02-04"),
            payment_ref="ch_ach",
            status=rc.PaymentStatus.PENDING,
            applications=(rc.PaymentApplication("INV-103", _usd("200.00"), d("2026-02-04")),),
        ),
        rc.CustomerPayment("PAY-6", "C-11", _usd("300.00"), d("2026-03-09"), payment_ref="ch_new"),
        rc.CustomerPayment(
            "PAY-7",
            "C-12",
            _usd("108.25"),
            d("2026-02-07"),
            payment_ref="ch_taxed",
            applications=(rc.PaymentApplication("INV-104", _usd("108.25"), d("2026-02-07")),),
        ),
        rc.CustomerPayment(
            "PAY-8",
            "C-13",
            _usd("60.00"),
            d("2026-02-08"),
            payment_ref="ch_disputed",
            applications=(rc.PaymentApplication("INV-105", _usd("60.00"), d("2026-02-08")),),
        ),
        rc.CustomerPayment(
            "PAY-9", "C-14", _usd("120.00"), d("2026-03-20"), payment_ref="ch_later"
        ),
    )
    cash_sale = rc.CashSale(
        "CS-1",
        "C-6",
        d("2026-02-06"),
        lines=(_line("1", "MUG", _usd("15.00")),),
        payment_ref="ch_cashsale",
    )
    return invoices, payments, cash_sale


def _stripe_events() -> tuple[rc.SourceEvent, ...]:
    d = _at

    def refund(
        refund_id: str, amount: str, charge: str, day: str, charge_day: str | None = None
    ) -> rc.RefundEvent:
        return rc.RefundEvent(
            source="stripe",
            refund_id=refund_id,
            amount=_usd(amount),
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
            _usd("200.00"),
            d("2026-03-07"),
            "insufficient_funds",
            "The customer's account has insufficient funds.",
        ),  # STC-10
    )


def _stripe_payouts() -> tuple[rc.Payout, ...]:
    # The payout that settles a new charge, two synced refunds, a fee and a fee refund (STC-12/13).
    return (
        rc.Payout(
            "stripe",
            "po_1",
            _usd("177.70"),
            _at("2026-03-12"),
            entries=(
                rc.BalanceEntry("txn_1", rc.BalanceEntryKind.CHARGE, _usd("300.00"), "ch_new"),
                rc.BalanceEntry("txn_2", rc.BalanceEntryKind.REFUND, _usd("-50.00"), "re_full"),
                rc.BalanceEntry(
                    "txn_3", rc.BalanceEntryKind.REFUND, _usd("-70.00"), "re_no_invoice"
                ),
                rc.BalanceEntry(
                    "txn_4", rc.BalanceEntryKind.FEE, _usd("-3.50"), "fee_1", "processing fee"
                ),
                rc.BalanceEntry(
                    "txn_5",
                    rc.BalanceEntryKind.FEE_REFUND,
                    _usd("1.20"),
                    "fee_1r",
                    "fee returned with a refund",
                ),
            ),
        ),
    )


def _dispute_payout() -> rc.Payout:
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
        _usd("120.00"),
        _at("2026-03-28"),
        entries=(
            # In the order Stripe lists them: the withdrawal when the dispute opened, then the
            # payout day's transactions.
            entry(
                "txn_dp_demo",
                kind.DISPUTE,
                _usd("-60.00"),
                "dp_demo",
                "Chargeback withdrawal for ch_disputed",
            ),
            entry("txn_later", kind.CHARGE, _usd("120.00"), "ch_later"),
            entry("txn_dp_demo_fee", kind.FEE, _usd("-15.00"), "dp_demo", "Dispute fee"),
            entry(
                "txn_dp_demo_fr", kind.FEE_REFUND, _usd("15.00"), "dp_demo", "Dispute fee refund"
            ),
            entry(
                "txn_dp_demo_r",
                kind.DISPUTE_REVERSAL,
                _usd("60.00"),
                "dp_demo",
                "Chargeback reversal for ch_disputed",
            ),
        ),
    )


def _stripe_jp() -> tuple[
    tuple[rc.Invoice, ...],
    tuple[rc.CustomerPayment, ...],
    tuple[rc.SourceEvent, ...],
    tuple[rc.Payout, ...],
]:
    d = _at
    invoices = (
        rc.Invoice(
            "INV-500",
            "C-20",
            d("2026-02-15"),
            lines=(_line("1", "SHIRT", _jpy("3000")), _line("2", "SOCKS", _jpy("1000"))),
        ),
    )
    payments = (
        rc.CustomerPayment(
            "PAY-500",
            "C-20",
            _jpy("4000"),
            d("2026-02-15"),
            payment_ref="ch_jp_1",
            applications=(rc.PaymentApplication("INV-500", _jpy("4000"), d("2026-02-15")),),
        ),
        rc.CustomerPayment(
            "PAY-501", "C-21", _jpy("10000"), d("2026-03-20"), payment_ref="ch_jp_2"
        ),
    )

    def refund(
        refund_id: str, amount: str, charge: str, day: str, charge_day: str | None = None
    ) -> rc.RefundEvent:
        return rc.RefundEvent(
            source="stripe",
            refund_id=refund_id,
            amount=_jpy(amount),
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
            _jpy("6700"),
            _at("2026-03-25"),
            entries=(
                rc.BalanceEntry("txn_jp_1", rc.BalanceEntryKind.CHARGE, _jpy("10000"), "ch_jp_2"),
                rc.BalanceEntry("txn_jp_2", rc.BalanceEntryKind.REFUND, _jpy("-1500"), "re_jp_1"),
                rc.BalanceEntry(
                    "txn_jp_3",
                    rc.BalanceEntryKind.REFUND,
                    _jpy("-800"),
                    "re_jp_old_1",
                    charge_created_at=d("2025-11-20"),
                ),
                rc.BalanceEntry(
                    "txn_jp_4",
                    rc.BalanceEntryKind.REFUND,
                    _jpy("-700"),
                    "re_jp_old_2",
                    charge_created_at=d("2025-12-05"),
                ),
                rc.BalanceEntry(
                    "txn_jp_5", rc.BalanceEntryKind.FEE, _jpy("-300"), "fee_jp_1", "processing fee"
                ),
            ),
        ),
    )
    return invoices, payments, events, payouts


def _amazon() -> tuple[
    tuple[rc.SalesOrder, ...],
    tuple[rc.Invoice, ...],
    rc.CashSale,
    rc.ReturnAuthorization,
    tuple[rc.SourceEvent, ...],
]:
    d = _at
    orders = (
        rc.SalesOrder(
            "SO-200",
            "C-9",
            "AMZ-200",
            lines=(
                _line("1", "PEN", _usd("10.00"), "AMZ-L1"),
                _line("2", "BOOK", _usd("25.00"), "AMZ-L2"),
            ),
            storefront="amazon",
        ),
        rc.SalesOrder(
            "SO-201",
            "C-8",
            "AMZ-201",
            lines=(_line("1", "LAMP", _usd("45.00"), "AMZ-L5"),),
            storefront="amazon",
        ),
        rc.SalesOrder(
            "SO-202",
            "C-7",
            "AMZ-202",
            lines=(_line("1", "CHAIR", _usd("90.00"), "AMZ-L7"),),
            storefront="amazon",
        ),
    )
    invoices = (
        # The invoice half of the split shipment of AMZ-200 (the cash sale is the other half).
        rc.Invoice(
            "INV-200",
            "C-9",
            d("2026-02-11"),
            lines=(_line("1", "BOOK", _usd("25.00"), "AMZ-L2"),),
            order_id="SO-200",
        ),
        rc.Invoice(
            "INV-201",
            "C-8",
            d("2026-02-12"),
            lines=(_line("1", "LAMP", _usd("45.00"), "AMZ-L5"),),
            order_id="SO-201",
        ),
    )
    cash_sale = rc.CashSale(
        "CS-200",
        "C-9",
        d("2026-02-10"),
        lines=(_line("1", "PEN", _usd("10.00"), "AMZ-L1"),),
        order_id="SO-200",
    )
    rma = rc.ReturnAuthorization(
        "RMA-1",
        "C-7",
        "SO-202",
        rc.ReturnAuthorizationStatus.PENDING_RECEIPT,
        lines=(_line("1", "CHAIR", _usd("90.00"), "AMZ-L7"),),
    )

    def refund(
        refund_id: str,
        amount: rc.Money,
        order: str,
        day: str,
        lines: tuple[rc.RefundLine, ...] = (),
    ) -> rc.RefundEvent:
        return rc.RefundEvent(
            source="amazon",
            refund_id=refund_id,
            amount=amount,
            created_at=d(day),
            status=rc.RefundStatus.SUCCEEDED,
            order_ref=order,
            lines=lines,
        )

    events: tuple[rc.SourceEvent, ...] = (
        refund(
            "amz_r1",
            _usd("35.00"),
            "AMZ-200",
            "2026-03-08",
            (
                rc.RefundLine("AMZ-L1", None, _usd("10.00")),
                rc.RefundLine("AMZ-L2", None, _usd("25.00")),
            ),
        ),  # NSC-5 split shipment: NSC-2 cash refund + NSC-3 credit memo
        refund("amz_r2", _usd("20.00"), "AMZ-201", "2026-03-09"),  # NSC-3, partial
        refund("amz_r3", _usd("90.00"), "AMZ-202", "2026-03-10"),  # NSC-6: open RMA, skipped
        refund("amz_r4", _usd("15.00"), "AMZ-201", "2026-03-11"),  # NSC-4: a further partial
        refund("amz_r5", _usd("50.00"), "AMZ-201", "2026-03-12"),  # MNY-4: only 10.00 is left
        refund("amz_r6", rc.Money.of("10.00", "EUR"), "AMZ-201", "2026-03-13"),  # MNY-2
    )
    return orders, invoices, cash_sale, rma, events


def _outgoing() -> tuple[
    tuple[rc.SalesOrder, ...],
    tuple[rc.Invoice, ...],
    tuple[rc.CreditMemo, ...],
    tuple[rc.ReturnAuthorization, ...],
]:
    d = _at
    # Shopify: paid 80.00 by card and 20.00 by gift card; a 40.00 credit memo made in NetSuite.
    shopify_order = rc.SalesOrder(
        "SO-300",
        "C-10",
        SHOPIFY_ORDER,
        lines=(
            _line("1", "JACKET", _usd("60.00"), "11001", qty=1),
            _line("2", "SCARF", _usd("40.00"), "11002", qty=1),
        ),
        tenders=(
            rc.TenderPart(rc.TenderKind.PAYMENT_METHOD, _usd("80.00")),
            rc.TenderPart(rc.TenderKind.GIFT_CARD, _usd("20.00")),
        ),
        storefront="shopify",
    )
    shopify_invoice = rc.Invoice(
        "INV-300",
        "C-10",
        d("2026-02-20"),
        lines=shopify_order.lines,
        order_id="SO-300",
    )
    shopify_credit = rc.CreditMemo(
        "CM-300",
        "C-10",
        "INV-300",
        _usd("40.00"),
        lines=(
            rc.CreditLine(
                "SCARF",
                _usd("40.00"),
                quantity=Decimal(1),
                origin_line_id="2",
                order_line_ref="11002",
            ),
        ),
        order_id="SO-300",
    )
    # Magento: paid 50.00 by card and 10.00 by gift card; a credit memo for the tee, and one
    # from a received RMA for one mug (NSC-6: RMAs are refunded in NetSuite, then synced out).
    magento_order = rc.SalesOrder(
        "SO-400",
        "C-30",
        MAGENTO_ORDER,
        lines=(
            _line("1", "MUG", _usd("25.00"), "MUG-01", qty=2),
            _line("2", "TEE", _usd("35.00"), "TEE-01", qty=1),
        ),
        tenders=(
            rc.TenderPart(rc.TenderKind.PAYMENT_METHOD, _usd("50.00")),
            rc.TenderPart(rc.TenderKind.GIFT_CARD, _usd("10.00")),
        ),
        storefront="magento",
    )
    magento_invoice = rc.Invoice(
        "INV-400", "C-30", d("2026-02-25"), lines=magento_order.lines, order_id="SO-400"
    )
    magento_rma = rc.ReturnAuthorization(
        "RMA-2",
        "C-30",
        "SO-400",
        rc.ReturnAuthorizationStatus.REFUNDED,
        lines=(_line("1", "MUG", _usd("12.50"), "MUG-01", qty=1),),
    )
    magento_credits = (
        rc.CreditMemo(
            "CM-400",
            "C-30",
            "INV-400",
            _usd("35.00"),
            lines=(
                rc.CreditLine(
                    "TEE",
                    _usd("35.00"),
                    quantity=Decimal(1),
                    origin_line_id="2",
                    order_line_ref="TEE-01",
                ),
            ),
            order_id="SO-400",
        ),
        rc.CreditMemo(
            "CM-401",
            "C-30",
            "RMA-2",
            _usd("12.50"),
            lines=(
                rc.CreditLine(
                    "MUG",
                    _usd("12.50"),
                    quantity=Decimal(1),
                    origin_line_id="1",
                    order_line_ref="MUG-01",
                ),
            ),
            order_id="SO-400",
        ),
    )
    return (
        (shopify_order, magento_order),
        (shopify_invoice, magento_invoice),
        (shopify_credit, *magento_credits),
        (magento_rma,),
    )


def _shopify_in() -> tuple[rc.SalesOrder, rc.Invoice, tuple[rc.SourceEvent, ...]]:
    """An order paid 70.00 by card and 30.00 by gift card, and a refund split the same way."""
    d = _at
    order = rc.SalesOrder(
        "SO-600",
        "C-40",
        SHOPIFY_EU_ORDER,
        lines=(_line("1", "COAT", _usd("100.00"), "61001", qty=1),),
        tenders=(
            rc.TenderPart(rc.TenderKind.PAYMENT_METHOD, _usd("70.00")),
            rc.TenderPart(rc.TenderKind.GIFT_CARD, _usd("30.00")),
        ),
        storefront="shopify-eu",
    )
    invoice = rc.Invoice("INV-600", "C-40", d("2026-02-26"), lines=order.lines, order_id="SO-600")
    refund = rc.RefundEvent(
        source="shopify",
        refund_id="9001",
        amount=_usd("45.00"),
        created_at=d("2026-03-14"),
        status=rc.RefundStatus.SUCCEEDED,
        order_ref=SHOPIFY_EU_ORDER,
        tenders=(
            rc.TenderPart(rc.TenderKind.PAYMENT_METHOD, _usd("25.00")),
            rc.TenderPart(rc.TenderKind.GIFT_CARD, _usd("20.00")),
        ),
    )  # NSC-8 (incoming): a credit memo of 25.00; 20.00 is store credit Shopify issued
    return order, invoice, (refund,)


def build_world() -> DemoWorld:
    """The whole world: the NetSuite ledger and every account's events and settings."""
    invoices, payments, cash_sale = _stripe_us()
    jp_invoices, jp_payments, jp_events, jp_payouts = _stripe_jp()
    amazon_orders, amazon_invoices, amazon_cash_sale, rma, amazon_events = _amazon()
    out_orders, out_invoices, out_credits, out_rmas = _outgoing()
    in_order, in_invoice, in_events = _shopify_in()
    ledger = rc.LedgerSnapshot(
        sales_orders=(*amazon_orders, *out_orders, in_order),
        invoices=(*invoices, *jp_invoices, *amazon_invoices, *out_invoices, in_invoice),
        cash_sales=(cash_sale, amazon_cash_sale),
        payments=(*payments, *jp_payments),
        credit_memos=out_credits,
        return_authorizations=(rma, *out_rmas),
    )
    return DemoWorld(
        ledger=ledger,
        stripe_events=_stripe_events(),
        amazon_events=amazon_events,
        stripe_settings=rc.RefundSettings(
            partial_refund_item="Stripe Partial Refund Item",
            revenue_recognition=True,
            deferred_revenue_account="2400 Deferred Revenue",
            record_sync_start=START,
            fee_account="6100 Stripe Fees",
            deposit_account="1000 Operating Bank",
            tax_item="Sales Tax Refund",
            dispute_account="4910 Dispute Recoveries",
        ),
        amazon_settings=rc.RefundSettings(partial_refund_item="Partial Refund Item"),
        shopify_settings=rc.RefundSettings(gift_card_as_store_credit=True),
        payouts=(*_stripe_payouts(), _dispute_payout()),
        stripe_jp_events=jp_events,
        stripe_jp_settings=rc.RefundSettings(
            use_refund_item=True,
            refund_item="Stripe Refund Item",
            record_sync_start=START,
            pre_start_mode=rc.PreStartMode.DEPOSIT_LINE,
            summarize_before_backfill=True,
            pre_start_income_account="4010 Sales JP",
            fee_account="6110 Stripe Fees JP",
            deposit_account="1010 Bank JPY",
        ),
        stripe_jp_payouts=jp_payouts,
        magento_settings=rc.RefundSettings(gift_card_as_store_credit=True),
        shopify_in_events=in_events,
        shopify_in_settings=rc.RefundSettings(
            partial_refund_item="Partial Refund Item", gift_card_as_store_credit=True
        ),
    )
