"""``refund-sync demo``: the whole sync on local stand-ins, with no configuration.

It builds one NetSuite ledger and the events of three connector accounts (Stripe incoming under
the Stripe Connector policy, Amazon incoming and Shopify outgoing under the NetSuite Connector
policy), runs them through the engine with an SQLite journal in a temporary folder, prints what
was created and why (rule IDs), then runs everything again to show that nothing new is created.
The stand-ins are the in-memory fakes of ``refund_core.testing``; the HTTP stand-ins of the
adapter issues replace them as they land.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import attrs

import refund_core as rc
from refund_adapters.engine import SyncEngine
from refund_adapters.storage import SqliteJournal
from refund_core.testing import FakeLedger, FakeRefundSource

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


def build_world() -> DemoWorld:
    """A small but complete world: every incoming rule has an event that exercises it."""
    d = _at
    invoices = (
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
    sales_orders = (
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
    ledger = rc.LedgerSnapshot(
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
        ),
        amazon_settings=rc.RefundSettings(partial_refund_item="Partial Refund Item"),
    )


START = _at("2026-01-01")
Renderer = Callable[[int, rc.Outcome], list[str]]


def run_demo(out: TextIO, render: Renderer, workdir: Path | None = None) -> int:
    """Run the demo twice and print what each run created; returns the exit code."""
    world = build_world()
    ledger = FakeLedger(world.ledger)
    marketplace = rc.StorefrontKind.MARKETPLACE
    accounts = (
        (
            rc.ConnectorAccount(
                "stripe-acct",
                rc.StorefrontCapabilities("stripe", marketplace),
                [rc.Direction.INCOMING],
                world.stripe_settings,
            ),
            rc.Policy.STRIPE_CONNECTOR,
            FakeRefundSource("stripe", world.stripe_events),
        ),
        (
            rc.ConnectorAccount(
                "amazon-acct",
                rc.StorefrontCapabilities("amazon", marketplace),
                [rc.Direction.INCOMING],
                world.amazon_settings,
            ),
            rc.Policy.NETSUITE_CONNECTOR,
            FakeRefundSource("amazon", world.amazon_events),
        ),
    )
    numbering = itertools.count(1)

    def report(outcome: rc.Outcome) -> None:
        out.write("\n".join(render(next(numbering), outcome)) + "\n")

    with tempfile.TemporaryDirectory(prefix="refund-sync-demo-") as tmp:
        journal_path = (workdir or Path(tmp)) / "journal.db"
        out.write(f"refund-sync demo: local stand-ins, SQLite journal at {journal_path}\n")
        for run in (1, 2):
            before = ledger.snapshot.external_ids()
            out.write(f"\n=== run {run} ===\n")
            with SqliteJournal(journal_path) as journal:
                for account, policy, source in accounts:
                    out.write(f"\n--- account {account.account_id} ({policy.value}) ---\n")
                    engine = SyncEngine(
                        account=account,
                        policy=policy,
                        source=source,
                        ledger=ledger,
                        journal=journal,
                        on_outcome=report,
                    )
                    summary = engine.run(START)
                    out.write(
                        f"summary: {summary.events_seen} events, {summary.duplicates} duplicate, "
                        f"{summary.writes_created} created, {summary.already_synced} already "
                        f"synced, {summary.skipped} skipped, {summary.unsupported} unsupported, "
                        f"{summary.dead_lettered} dead-lettered\n"
                    )
                letters = journal.dead_letters()
            created = ledger.snapshot.external_ids() - before
            out.write(f"\nrun {run}: {len(created)} NetSuite record(s) created; ")
            out.write(f"{len(letters)} event(s) set aside for a person (dead letters)\n")
        out.write(
            "\nThe second run created nothing: every write carries a deterministic external ID.\n"
        )
    return 0
