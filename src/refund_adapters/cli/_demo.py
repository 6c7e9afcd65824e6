"""``refund-sync demo``: the whole sync on local stand-ins, with no configuration.

It builds one NetSuite ledger and the events of three connector accounts (Stripe incoming, with
its payouts, under the Stripe Connector policy; Amazon incoming and Shopify outgoing under the
NetSuite Connector policy), runs them through the engine with an SQLite journal in a temporary
folder, prints what was created and why (rule IDs), then runs everything again to show that
nothing new is created.
The stand-ins are the in-memory fakes of ``refund_core.testing``; the HTTP stand-ins of the
adapter issues replace them as they land.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TextIO

import attrs

import refund_core as rc
from refund_adapters.engine import RunSummary, SyncEngine
from refund_adapters.storage import SqliteJournal
from refund_core.testing import FakeLedger, FakePayoutSource, FakeRefundSource, FakeStorefront

__all__ = ["DemoWorld", "build_world"]


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def _usd(amount: str) -> rc.Money:
    return rc.Money.of(amount, "USD")


def _line(line_id: str, item: str, amount: str, ref: str | None = None) -> rc.TransactionLine:
    return rc.TransactionLine(line_id, item, None, _usd(amount), order_line_ref=ref)


@attrs.frozen
class DemoWorld:
    """The demo's starting ledger, settings and the events each account will see."""

    ledger: rc.LedgerSnapshot
    stripe_events: tuple[rc.SourceEvent, ...]
    amazon_events: tuple[rc.SourceEvent, ...]
    stripe_settings: rc.RefundSettings
    amazon_settings: rc.RefundSettings
    shopify_settings: rc.RefundSettings
    payouts: tuple[rc.Payout, ...]


def build_world() -> DemoWorld:
    """A small but complete world: every incoming rule has an event that exercises it."""
    d = _at
    invoices: tuple[rc.Invoice, ...] = (
        # Stripe side: a multi-line invoice, a single-line one, one paid by two payments.
        rc.Invoice(
            "INV-100",
            "C-1",
            d("2026-02-01"),
            lines=(_line("1", "WIDGET", "60.00"), _line("2", "GADGET", "40.00")),
        ),
        rc.Invoice("INV-101", "C-2", d("2026-02-02"), lines=(_line("1", "PLAN-PRO", "80.00"),)),
        rc.Invoice(
            "INV-102",
            "C-3",
            d("2026-02-03"),
            lines=(_line("1", "WIDGET", "30.00"), _line("2", "CABLE", "20.00")),
        ),
        rc.Invoice("INV-103", "C-4", d("2026-02-04"), lines=(_line("1", "SERVICE", "200.00"),)),
        # Amazon side: the invoice half of a split shipment.
        rc.Invoice(
            "INV-200",
            "C-9",
            d("2026-02-11"),
            lines=(_line("1", "BOOK", "25.00", "AMZ-L2"),),
            order_id="SO-200",
        ),
        rc.Invoice(
            "INV-201",
            "C-8",
            d("2026-02-12"),
            lines=(_line("1", "LAMP", "45.00", "AMZ-L5"),),
            order_id="SO-201",
        ),
    )
    payments: tuple[rc.CustomerPayment, ...] = (
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
    )
    cash_sales = (
        rc.CashSale(
            "CS-1",
            "C-6",
            d("2026-02-06"),
            lines=(_line("1", "MUG", "15.00"),),
            payment_ref="ch_cashsale",
        ),
        rc.CashSale(
            "CS-200",
            "C-9",
            d("2026-02-10"),
            lines=(_line("1", "PEN", "10.00", "AMZ-L1"),),
            order_id="SO-200",
        ),
    )
    sales_orders: tuple[rc.SalesOrder, ...] = (
        rc.SalesOrder(
            "SO-200",
            "C-9",
            "AMZ-200",
            lines=(_line("1", "PEN", "10.00", "AMZ-L1"), _line("2", "BOOK", "25.00", "AMZ-L2")),
        ),
        rc.SalesOrder("SO-201", "C-8", "AMZ-201", lines=(_line("1", "LAMP", "45.00", "AMZ-L5"),)),
        rc.SalesOrder("SO-202", "C-7", "AMZ-202", lines=(_line("1", "CHAIR", "90.00", "AMZ-L7"),)),
    )
    rmas = (
        rc.ReturnAuthorization(
            "RMA-1",
            "C-7",
            "SO-202",
            rc.ReturnAuthorizationStatus.PENDING_RECEIPT,
            lines=(_line("1", "CHAIR", "90.00", "AMZ-L7"),),
        ),
    )
    # Shopify side (outgoing): an order paid 80.00 by card and 20.00 by gift card, and a credit
    # memo of 50.00 made in NetSuite that must reach the storefront (NSC-7, NSC-8).
    shopify_order = rc.SalesOrder(
        "SO-300",
        "C-10",
        "SHOP-300",
        lines=(_line("1", "JACKET", "60.00", "SHOP-L1"), _line("2", "SCARF", "40.00", "SHOP-L2")),
        tenders=(
            rc.TenderPart(rc.TenderKind.PAYMENT_METHOD, _usd("80.00")),
            rc.TenderPart(rc.TenderKind.GIFT_CARD, _usd("20.00")),
        ),
    )
    shopify_invoice = rc.Invoice(
        "INV-300",
        "C-10",
        d("2026-02-20"),
        lines=(_line("1", "JACKET", "60.00", "SHOP-L1"), _line("2", "SCARF", "40.00", "SHOP-L2")),
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
                order_line_ref="SHOP-L2",
            ),
        ),
        order_id="SO-300",
    )
    sales_orders = (*sales_orders, shopify_order)
    invoices = (*invoices, shopify_invoice)
    payments = (
        *payments,
        rc.CustomerPayment("PAY-6", "C-11", _usd("300.00"), d("2026-03-09"), payment_ref="ch_new"),
    )
    ledger = rc.LedgerSnapshot(
        credit_memos=(shopify_credit,),
        sales_orders=sales_orders,
        invoices=invoices,
        cash_sales=cash_sales,
        payments=payments,
        return_authorizations=rmas,
    )

    def stripe(
        refund_id: str,
        amount: str,
        charge: str,
        day: str,
        charge_created_at: datetime | None = None,
    ) -> rc.RefundEvent:
        return rc.RefundEvent(
            source="stripe",
            refund_id=refund_id,
            amount=_usd(amount),
            created_at=d(day),
            status=rc.RefundStatus.SUCCEEDED,
            payment_ref=charge,
            charge_created_at=charge_created_at,
        )

    stripe_events: tuple[rc.SourceEvent, ...] = (
        stripe("re_partial_multi", "25.00", "ch_multi", "2026-03-01"),  # STC-4/5/15
        stripe("re_unapplied_first", "30.00", "ch_single", "2026-03-02"),  # STC-9/7, STC-14
        stripe("re_full", "50.00", "ch_full", "2026-03-03"),  # STC-16
        stripe("re_no_invoice", "70.00", "ch_noinv", "2026-03-04"),  # STC-2/8
        stripe("re_cash_sale", "15.00", "ch_cashsale", "2026-03-05"),  # STC-3: unsupported
        stripe(
            "re_before_start", "5.00", "ch_old", "2026-03-06", charge_created_at=d("2025-12-01")
        ),  # STC-11: skipped
        rc.PaymentFailure(
            "stripe",
            "ach_fail_1",
            "ch_ach",
            _usd("200.00"),
            d("2026-03-07"),
            "insufficient_funds",
            "The customer's account has insufficient funds.",
        ),  # STC-10
        stripe("re_partial_multi", "25.00", "ch_multi", "2026-03-01"),  # duplicate delivery
    )
    amazon_events: tuple[rc.SourceEvent, ...] = (
        rc.RefundEvent(
            source="amazon",
            refund_id="amz_r1",
            amount=_usd("35.00"),
            created_at=d("2026-03-08"),
            status=rc.RefundStatus.SUCCEEDED,
            order_ref="AMZ-200",
            lines=(
                rc.RefundLine("AMZ-L1", None, _usd("10.00")),
                rc.RefundLine("AMZ-L2", None, _usd("25.00")),
            ),
        ),  # NSC-2/3/5
        rc.RefundEvent(
            source="amazon",
            refund_id="amz_r2",
            amount=_usd("20.00"),
            created_at=d("2026-03-09"),
            status=rc.RefundStatus.SUCCEEDED,
            order_ref="AMZ-201",
        ),
        rc.RefundEvent(
            source="amazon",
            refund_id="amz_r3",
            amount=_usd("90.00"),
            created_at=d("2026-03-10"),
            status=rc.RefundStatus.SUCCEEDED,
            order_ref="AMZ-202",
        ),
    )
    return DemoWorld(
        ledger=ledger,
        stripe_events=stripe_events,
        amazon_events=amazon_events,
        stripe_settings=rc.RefundSettings(
            partial_refund_item="Stripe Partial Refund Item",
            revenue_recognition=True,
            deferred_revenue_account="2400 Deferred Revenue",
            record_sync_start=d("2026-01-01"),
            fee_account="6100 Stripe Fees",
            deposit_account="1000 Operating Bank",
        ),
        amazon_settings=rc.RefundSettings(partial_refund_item="Partial Refund Item"),
        shopify_settings=rc.RefundSettings(gift_card_as_store_credit=True),
        payouts=(
            # The payout that settles a new charge, two synced refunds, a fee and a fee refund.
            rc.Payout(
                "stripe",
                "po_1",
                _usd("177.70"),
                d("2026-03-12"),
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
        ),
    )


START = _at("2026-01-01")
Renderer = Callable[[int, rc.Outcome], list[str]]


def run_demo(out: TextIO, render: Renderer, workdir: Path | None = None) -> int:
    """Run the demo twice and print what each run created; returns the exit code."""
    world = build_world()
    ledger = FakeLedger(world.ledger)
    marketplace = rc.StorefrontKind.MARKETPLACE
    shopify = FakeStorefront(
        rc.StorefrontCapabilities("shopify", rc.StorefrontKind.CART, supports_store_credit=True)
    )
    stripe_account = rc.ConnectorAccount(
        "stripe-acct",
        rc.StorefrontCapabilities("stripe", marketplace),
        [rc.Direction.INCOMING],
        world.stripe_settings,
    )
    amazon_account = rc.ConnectorAccount(
        "amazon-acct",
        rc.StorefrontCapabilities("amazon", marketplace),
        [rc.Direction.INCOMING],
        world.amazon_settings,
    )
    shopify_account = rc.ConnectorAccount(
        "shopify-acct", shopify.capabilities, [rc.Direction.OUTGOING], world.shopify_settings
    )
    numbering = itertools.count(1)

    def report(outcome: rc.Outcome) -> None:
        out.write("\n".join(render(next(numbering), outcome)) + "\n")

    def passes(journal: rc.Journal) -> tuple[tuple[str, Callable[[], RunSummary]], ...]:
        stripe = SyncEngine(
            account=stripe_account,
            policy=rc.Policy.STRIPE_CONNECTOR,
            source=FakeRefundSource("stripe", world.stripe_events),
            payouts=FakePayoutSource("stripe", world.payouts),
            ledger=ledger,
            journal=journal,
            on_outcome=report,
        )
        amazon = SyncEngine(
            account=amazon_account,
            policy=rc.Policy.NETSUITE_CONNECTOR,
            source=FakeRefundSource("amazon", world.amazon_events),
            ledger=ledger,
            journal=journal,
            on_outcome=report,
        )
        outgoing = SyncEngine(
            account=shopify_account,
            policy=rc.Policy.NETSUITE_CONNECTOR,
            storefront=shopify,
            ledger=ledger,
            journal=journal,
            on_outcome=report,
        )
        return (
            ("Stripe refunds -> NetSuite (Stripe Connector)", lambda: stripe.run(START)),
            ("Stripe payouts -> NetSuite deposits", lambda: stripe.run_payouts(START)),
            ("Amazon refunds -> NetSuite (NetSuite Connector)", lambda: amazon.run(START)),
            ("NetSuite refunds -> Shopify (outgoing)", lambda: outgoing.run_outgoing(START)),
        )

    with tempfile.TemporaryDirectory(prefix="refund-sync-demo-") as tmp:
        journal_path = (workdir or Path(tmp)) / "journal.db"
        out.write(f"refund-sync demo: local stand-ins, SQLite journal at {journal_path}\n")
        for run in (1, 2):
            before = ledger.snapshot.external_ids() | ledger.snapshot.marked_synced
            refunds_before = len(shopify.refunds) + len(shopify.store_credits)
            out.write(f"\n=== run {run} ===\n")
            with SqliteJournal(journal_path) as journal:
                for label, run_pass in passes(journal):
                    out.write(f"\n--- {label} ---\n")
                    summary = run_pass()
                    out.write(
                        f"summary: {summary.events_seen} event(s), {summary.duplicates} already "
                        f"seen, {summary.writes_created} write(s), {summary.skipped} skipped, "
                        f"{summary.unsupported} unsupported, {summary.dead_lettered} set aside, "
                        f"{summary.manual_actions} manual\n"
                    )
                letters = journal.dead_letters()
            created = (ledger.snapshot.external_ids() | ledger.snapshot.marked_synced) - before
            sent = len(shopify.refunds) + len(shopify.store_credits) - refunds_before
            out.write(
                f"\nrun {run}: {len(created)} NetSuite record(s) created, {sent} storefront "
                f"refund(s) or store credit(s) issued; {len(letters)} event(s) set aside for a "
                "person (dead letters, retryable)\n"
            )
        out.write(
            "\nThe second run created nothing: every write carries a deterministic external ID.\n"
        )
    return 0
