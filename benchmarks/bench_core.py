"""How fast the pure decisions are: decisions per second per core, and how their cost grows.

Run ``python benchmarks/bench.py --only core`` (or this file directly, ``--help`` for options).

Workloads (each checked once to plan what it should before it is timed):

- ``stripe_refund``: a 30.00 Stripe refund of a charge whose payment is applied to 3 invoices
  of 10 lines, every other one taxed (the "realistic ledger"), one earlier refund already
  synced: a credit memo from the latest invoice (partial-refund item, one line per tax code and
  one untaxed) and a customer refund.
- ``stripe_refund_two_invoices``: the same, but the refund takes what is left of the latest
  invoice and 30.00 of the one before: 2 credit memos and 2 customer refunds.
- ``storefront_refund``: a storefront refund (NetSuite Connector, incoming) naming 2 lines of a
  10-line taxed order billed by one invoice, with quantities, tax and shipping; one earlier
  refund synced. Plans one credit memo.
- ``outgoing_refund``: a credit memo made in NetSuite from that invoice (3 lines), on an order
  paid partly by gift card, one earlier credit memo already sent: plans the storefront refund,
  the store credit and the mark.
- ``payout_10``: a payout of 10 entries (4 charges, 3 refunds, 3 fees) into one deposit.
- ``payout_10000``: a payout of 10,000 entries (5,000 charges, 3,000 refunds, 2,000 fees) over a
  ledger holding their 5,000 payments and 3,000 customer refunds; reported in ms per decision.

*Cold* is what the engine does: each decision gets a snapshot no decision has read yet (the
engine hands every conflict group its own snapshot and a new one after each write), so anything
a decision derives from a snapshot is paid for inside the decision. The copies are made before
the clock starts. *Warm* repeats decisions on one snapshot. The cold figures are the ones the
targets judge.

Cost against prior refunds: a Stripe refund on a charge that already has k = 1, 10, 100, 1,000
refunds (each planned by the core and applied with ``apply_plan``, so the ledger is the one the
rules produce), timed warm (flat means the decision itself no longer walks the ledger) and cold
(the first decision on the snapshot also reads it once). ``sequence`` plans 1,000 refunds on
one charge one after another, each on the snapshot the last one's plan left (decide plus
``apply_plan``), as the engine does within a conflict group.

Timing: CPU time of this thread (``time.thread_time``), so time the scheduler gives to other
processes is not counted; each figure is the median of ``--runs`` samples, and each sample runs
enough decisions to take about ``--sample-s`` seconds. Garbage collection stays on, as in use.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import attrs

if __package__ in (None, ""):  # run as a script: make the sibling modules importable
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import Report

import refund_core as rc

USD = "USD"
CA = Decimal("8.25")
T0 = datetime(2026, 1, 5, tzinfo=UTC)
STRIPE_SETTINGS = rc.RefundSettings(partial_refund_item="PARTIAL", tax_item="TAX-ADJ")
NSC_SETTINGS = rc.RefundSettings(
    partial_refund_item="PARTIAL", tax_item="TAX-ADJ", gift_card_as_store_credit=True
)
PAYOUT_SETTINGS = rc.RefundSettings(
    partial_refund_item="PARTIAL", fee_account="stripe-fees", deposit_account="bank"
)
SHOP = rc.StorefrontCapabilities("shopify", rc.StorefrontKind.CART, supports_store_credit=True)
PRIOR_COUNTS = (1, 10, 100, 1000)
SEQUENCE_N = 1000
TARGET_RATE = 20_000.0
TARGET_PAYOUT_MS = 50.0
#: Cost at 1,000 prior refunds over cost at 1, at most (warm): "flat" allowing for noise.
TARGET_FLATNESS = 1.5


def _m(amount: str) -> rc.Money:
    return rc.Money.of(amount, USD)


def _taxed_lines(prefix: str, count: int, *, refs: bool = False) -> tuple[rc.TransactionLine, ...]:
    """``count`` lines, every other one taxed at 8.25 % (the tax NetSuite would compute)."""
    lines = []
    for i in range(1, count + 1):
        net = _m(f"{10 + 3 * i}.{(17 * i) % 100:02d}")
        tax = rc.LineTax("CA", CA, rc.line_tax(net, CA)) if i % 2 else None
        lines.append(
            rc.TransactionLine(
                line_id=f"{prefix}-L{i}",
                item=f"SKU-{i}",
                quantity=Decimal(1 + i % 3),
                amount=net,
                order_line_ref=f"ol-{i}" if refs else None,
                tax=tax,
            )
        )
    return tuple(lines)


# ----------------------------------------------------------------------------------------------
# Workloads
# ----------------------------------------------------------------------------------------------


@attrs.frozen
class Workload:
    """One decision to time: a pure call on a snapshot, and what it must plan."""

    name: str
    snapshot: rc.LedgerSnapshot
    decide: Callable[[rc.LedgerSnapshot], rc.Outcome]
    actions: int  # how many actions the plan must hold

    def check(self) -> rc.Plan:
        """Decide once and make sure the plan is the one this workload is meant to time."""
        outcome = self.decide(self.snapshot)
        if not isinstance(outcome, rc.Plan) or len(outcome.actions) != self.actions:
            raise SystemExit(f"workload {self.name} did not plan {self.actions} actions: {outcome}")
        return outcome


def _stripe_world(prior: int = 1) -> tuple[rc.LedgerSnapshot, rc.CustomerPayment]:
    """A payment applied to 3 invoices of 10 taxed lines, with ``prior`` refunds synced."""
    invoices = tuple(
        rc.Invoice(
            f"INV-{n}",
            "C-1",
            T0 + timedelta(days=n),
            _taxed_lines(f"INV-{n}", 10),
            order_id=f"SO-{n}",
            shipping=_m("7.50"),
        )
        for n in (1, 2, 3)
    )
    payment = rc.CustomerPayment(
        internal_id="PAY-1",
        customer_id="C-1",
        amount=rc.sum_money((inv.total for inv in invoices), USD),
        created_at=T0 + timedelta(days=4),
        payment_ref="ch_1",
        applications=tuple(
            rc.PaymentApplication(inv.internal_id, inv.total, T0 + timedelta(days=4, hours=n))
            for n, inv in enumerate(invoices)
        ),
    )
    snapshot = rc.LedgerSnapshot(invoices=invoices, payments=(payment,))
    for n in range(prior):
        # Small refunds, so even 1,000 of them leave each invoice money to refund.
        earlier = _stripe_event(f"re_prior_{n}", _m("0.25"))
        snapshot = rc.apply_plan(
            snapshot, rc.decide_stripe_refund(earlier, snapshot, STRIPE_SETTINGS)
        )
    return snapshot, payment


def _stripe_event(refund_id: str, amount: rc.Money) -> rc.RefundEvent:
    return rc.RefundEvent(
        source="stripe",
        refund_id=refund_id,
        amount=amount,
        created_at=T0 + timedelta(days=20),
        status=rc.RefundStatus.SUCCEEDED,
        payment_ref="ch_1",
    )


def stripe_workload() -> Workload:
    """See the module: a credit memo + a customer refund, the payment applied 3 times."""
    snapshot, _ = _stripe_world(prior=1)
    event = _stripe_event("re_bench", _m("30.00"))
    return Workload(
        "stripe_refund",
        snapshot,
        lambda snap: rc.decide_stripe_refund(event, snap, STRIPE_SETTINGS),
        actions=2,
    )


def stripe_two_invoices_workload() -> Workload:
    """See the module: 2 credit memos + 2 customer refunds over 3 applications."""
    snapshot, payment = _stripe_world(prior=1)
    latest = max(payment.applications, key=lambda app: app.applied_at)
    # All that is left on the latest invoice, and 30.00 of the one before it.
    left = latest.amount - _m("0.25")
    event = _stripe_event("re_bench", left + _m("30.00"))
    return Workload(
        "stripe_refund_two_invoices",
        snapshot,
        lambda snap: rc.decide_stripe_refund(event, snap, STRIPE_SETTINGS),
        actions=4,
    )


def _order_world() -> tuple[rc.SalesOrder, rc.Invoice]:
    lines = _taxed_lines("SO-1", 10, refs=True)
    total = rc.sum_money((line.gross for line in lines), USD) + _m("9.00")
    gift = _m("25.00")
    order = rc.SalesOrder(
        "SO-1",
        "C-1",
        "1001",
        lines,
        shipping=_m("9.00"),
        tenders=(
            rc.TenderPart(rc.TenderKind.PAYMENT_METHOD, total - gift),
            rc.TenderPart(rc.TenderKind.GIFT_CARD, gift),
        ),
        storefront="shopify",
    )
    invoice = rc.Invoice(
        "INV-1",
        "C-1",
        T0,
        tuple(attrs.evolve(line, line_id=f"INV-1-L{i}") for i, line in enumerate(lines, 1)),
        order_id="SO-1",
        shipping=_m("9.00"),
    )
    return order, invoice


def _shop_event(
    refund_id: str, lines: Sequence[rc.TransactionLine], shipping: str
) -> rc.RefundEvent:
    refund_lines = tuple(
        rc.RefundLine(
            line.order_line_ref or "",
            line.quantity,
            line.gross,
            line.tax.amount if line.tax else None,
        )
        for line in lines
    )
    amount = rc.sum_money((rl.amount for rl in refund_lines), USD) + _m(shipping)
    return rc.RefundEvent(
        source="shopify",
        refund_id=refund_id,
        amount=amount,
        created_at=T0 + timedelta(days=20),
        status=rc.RefundStatus.SUCCEEDED,
        order_ref="1001",
        lines=refund_lines,
        shipping=_m(shipping),
    )


def storefront_workload() -> Workload:
    """See the module: one credit memo for 2 named lines and shipping."""
    order, invoice = _order_world()
    snapshot = rc.LedgerSnapshot(sales_orders=(order,), invoices=(invoice,))
    earlier = _shop_event("rf_prior", invoice.lines[:1], "0.00")
    snapshot = rc.apply_plan(
        snapshot, rc.decide_incoming_refund(earlier, snapshot, NSC_SETTINGS, SHOP)
    )
    event = _shop_event("rf_bench", invoice.lines[3:5], "4.00")
    return Workload(
        "storefront_refund",
        snapshot,
        lambda snap: rc.decide_incoming_refund(event, snap, NSC_SETTINGS, SHOP),
        actions=1,
    )


def _netsuite_memo(internal_id: str, invoice: rc.Invoice, picks: Sequence[int]) -> rc.CreditMemo:
    lines = tuple(
        rc.CreditLine(
            item=invoice.lines[i].item,
            amount=invoice.lines[i].amount,
            quantity=invoice.lines[i].quantity,
            origin_line_id=invoice.lines[i].line_id,
            order_line_ref=invoice.lines[i].order_line_ref,
            tax=invoice.lines[i].tax,
        )
        for i in picks
    )
    return rc.CreditMemo(
        internal_id,
        "C-1",
        "INV-1",
        rc.sum_money((line.gross for line in lines), USD),
        lines,
        order_id="SO-1",
    )


def outgoing_workload() -> Workload:
    """See the module: storefront refund + store credit + mark for a 3-line credit memo."""
    order, invoice = _order_world()
    snapshot = rc.LedgerSnapshot(
        sales_orders=(order,),
        invoices=(invoice,),
        credit_memos=(
            _netsuite_memo("CM-1", invoice, [0]),
            _netsuite_memo("CM-2", invoice, [2, 5, 6]),
        ),
    )
    snapshot = rc.apply_plan(
        snapshot, rc.decide_outgoing_refund("CM-1", snapshot, NSC_SETTINGS, SHOP)
    )
    return Workload(
        "outgoing_refund",
        snapshot,
        lambda snap: rc.decide_outgoing_refund("CM-2", snap, NSC_SETTINGS, SHOP),
        actions=3,
    )


def _payout_world(charges: int, refunds: int, fees: int) -> tuple[rc.LedgerSnapshot, rc.Payout]:
    """A ledger of ``charges`` payments and ``refunds`` customer refunds, and their payout."""
    amount = _m("20.00")
    refund_amount = _m("5.00")
    payments = tuple(
        rc.CustomerPayment(f"PAY-{i}", f"C-{i}", amount, T0, payment_ref=f"ch_{i}")
        for i in range(charges)
    )
    customer_refunds = tuple(
        rc.CustomerRefund(
            f"CR-{i}",
            f"C-{i}",
            refund_amount,
            (rc.RefundApplication(rc.RefundApplicationKind.PAYMENT, f"PAY-{i}", refund_amount),),
            payment_id=f"PAY-{i}",
            source=rc.SourceKey("stripe", f"re_{i}"),
            external_id=f"cr-re_{i}",
        )
        for i in range(refunds)
    )
    entries = [
        *(
            rc.BalanceEntry(f"txn_c{i}", rc.BalanceEntryKind.CHARGE, amount, f"ch_{i}")
            for i in range(charges)
        ),
        *(
            rc.BalanceEntry(f"txn_r{i}", rc.BalanceEntryKind.REFUND, -refund_amount, f"re_{i}")
            for i in range(refunds)
        ),
        *(
            rc.BalanceEntry(f"txn_f{i}", rc.BalanceEntryKind.FEE, _m("-0.59"), f"ch_{i}")
            for i in range(fees)
        ),
    ]
    payout = rc.Payout(
        "stripe",
        f"po_{len(entries)}",
        rc.sum_money((entry.amount for entry in entries), USD),
        T0 + timedelta(days=30),
        entries,
    )
    return rc.LedgerSnapshot(payments=payments, customer_refunds=customer_refunds), payout


def payout_workload(charges: int, refunds: int, fees: int, name: str) -> Workload:
    """A payout of ``charges + refunds + fees`` entries into one deposit."""
    snapshot, payout = _payout_world(charges, refunds, fees)
    return Workload(
        name,
        snapshot,
        lambda snap: rc.decide_payout(payout, snap, PAYOUT_SETTINGS),
        actions=1,
    )


def prior_refunds_workload(prior: int) -> Workload:
    """A 10.00 Stripe refund of a charge that already has ``prior`` refunds."""
    snapshot, _ = _stripe_world(prior=prior)
    event = _stripe_event("re_next", _m("10.00"))
    return Workload(
        f"prior_{prior}",
        snapshot,
        lambda snap: rc.decide_stripe_refund(event, snap, STRIPE_SETTINGS),
        actions=2,
    )


# ----------------------------------------------------------------------------------------------
# Timing
# ----------------------------------------------------------------------------------------------


def _fresh(snapshot: rc.LedgerSnapshot) -> rc.LedgerSnapshot:
    """An equal snapshot, made as the engine makes one, that no decision has read yet."""
    return attrs.evolve(snapshot)


_BATCH = 50


def _sample(work: Workload, count: int, *, cold: bool) -> float:
    """CPU seconds of this thread for ``count`` decisions.

    Cold copies are made a batch at a time, off the clock, and dropped after their batch: a
    run holds a page's snapshots, not thousands, and keeping them all alive would make the
    garbage collector walk them all, over and over, inside the timed decisions.
    """
    decide = work.decide
    spent = 0.0
    done = 0
    while done < count:
        size = min(_BATCH, count - done)
        snapshots = [_fresh(work.snapshot) for _ in range(size)] if cold else [work.snapshot] * size
        began = time.thread_time()
        for snapshot in snapshots:
            decide(snapshot)
        spent += time.thread_time() - began
        done += size
        del snapshots
    return spent


def seconds_per_decision(work: Workload, *, cold: bool, runs: int, sample_s: float) -> float:
    """Median CPU seconds per decision over ``runs`` samples of about ``sample_s`` each."""
    work.check()
    one = _sample(work, 1, cold=cold)
    count = max(1, min(200_000, int(sample_s / max(one, 1e-7))))
    # Calibrate on a short sample (the first call may pay for imports and caches).
    probe = _sample(work, max(1, count // 10), cold=cold) / max(1, count // 10)
    count = max(1, min(200_000, int(sample_s / max(probe, 1e-7))))
    return statistics.median(_sample(work, count, cold=cold) / count for _ in range(runs))


def sequence_seconds(n: int, runs: int) -> float:
    """Median CPU seconds to plan and apply ``n`` refunds of one charge, one after another."""
    base, _ = _stripe_world(prior=0)
    events = [_stripe_event(f"re_seq_{i}", _m("0.25")) for i in range(n)]

    def once() -> float:
        snapshot = base
        began = time.thread_time()
        for event in events:
            outcome = rc.decide_stripe_refund(event, snapshot, STRIPE_SETTINGS)
            snapshot = rc.apply_plan(snapshot, outcome)
        spent = time.thread_time() - began
        if len(snapshot.customer_refunds) != n:
            raise SystemExit(f"sequence planned {len(snapshot.customer_refunds)} refunds, not {n}")
        return spent

    return statistics.median(once() for _ in range(runs))


# ----------------------------------------------------------------------------------------------
# The section
# ----------------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This section's options."""
    group = parser.add_argument_group("core")
    group.add_argument("--runs", type=int, default=7, help="samples per figure (median)")
    group.add_argument("--sample-s", type=float, default=0.3, help="CPU seconds per sample")
    group.add_argument(
        "--sequence-n", type=int, default=SEQUENCE_N, help="refunds of the sequence (0: skip)"
    )
    group.add_argument(
        "--profile",
        metavar="WORKLOAD",
        help="instead of timing, print a cProfile of one workload (stripe_refund, "
        "storefront_refund, outgoing_refund, payout_10, payout_10000, prior_1000)",
    )
    group.add_argument(
        "--profile-sort", default="tottime", help="cProfile order: tottime or cumulative"
    )


def workloads() -> dict[str, Callable[[], Workload]]:
    """Every workload by name, built on demand."""
    built: dict[str, Callable[[], Workload]] = {
        "stripe_refund": stripe_workload,
        "stripe_refund_two_invoices": stripe_two_invoices_workload,
        "storefront_refund": storefront_workload,
        "outgoing_refund": outgoing_workload,
        "payout_10": lambda: payout_workload(4, 3, 3, "payout_10"),
        "payout_10000": lambda: payout_workload(5000, 3000, 2000, "payout_10000"),
    }
    for prior in PRIOR_COUNTS:
        built[f"prior_{prior}"] = lambda prior=prior: prior_refunds_workload(prior)  # type: ignore[misc]
    return built


def profile(name: str, report: Report, sort: str = "tottime") -> None:
    """Print a cProfile of one workload (cold), sorted by ``sort`` (own time by default)."""
    work = workloads()[name]()
    work.check()
    count = 20 if name.endswith("10000") else 2000
    snapshots = [_fresh(work.snapshot) for _ in range(count)]
    profiler = cProfile.Profile()
    profiler.enable()
    for snapshot in snapshots:
        work.decide(snapshot)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=report.out)
    stats.sort_stats(sort).print_stats(40)


def run(args: argparse.Namespace, report: Report) -> None:
    """Time every workload and record the ``core.*`` metrics and targets."""
    if args.profile:
        profile(args.profile, report, args.profile_sort)
        return
    runs, sample_s = args.runs, args.sample_s
    report.method["core"] = (
        f"thread CPU time; median of {runs} samples of ~{sample_s:g} s; cold = a snapshot no "
        "decision has read (as the engine hands them), warm = one snapshot decided on repeatedly"
    )
    report.say(f"core decisions (CPU time per decision, median of {runs} samples)")
    header = f"  {'workload':<26} {'cold/s':>10} {'warm/s':>10} {'cold µs':>9} {'warm µs':>9}"
    report.say(header)
    report.say("  " + "-" * (len(header) - 2))
    built = workloads()
    for name in (
        "stripe_refund",
        "stripe_refund_two_invoices",
        "storefront_refund",
        "outgoing_refund",
        "payout_10",
    ):
        work = built[name]()
        cold = seconds_per_decision(work, cold=True, runs=runs, sample_s=sample_s)
        warm = seconds_per_decision(work, cold=False, runs=runs, sample_s=sample_s)
        report.metric(f"core.decisions_per_s.{name}", 1 / cold)
        report.metric(f"core.decisions_per_s_warm.{name}", 1 / warm)
        report.say(
            f"  {name:<26} {1 / cold:>10,.0f} {1 / warm:>10,.0f} {cold * 1e6:>9.1f} "
            f"{warm * 1e6:>9.1f}"
        )
        report.target(
            f"core.{name}",
            f"core.decisions_per_s.{name}",
            ">=",
            TARGET_RATE,
            "every decision >= 20,000/s/core on the realistic ledger (cold)",
        )
    big = built["payout_10000"]()
    payout_s = seconds_per_decision(big, cold=True, runs=runs, sample_s=sample_s)
    report.metric("core.payout_ms_10000", payout_s * 1000)
    report.say(f"  {'payout_10000':<26} {payout_s * 1000:>10.2f} ms per decision (cold)")
    report.target(
        "core.payout_10000",
        "core.payout_ms_10000",
        "<=",
        TARGET_PAYOUT_MS,
        "a 10,000-entry payout decided in <= 50 ms",
    )

    report.say()
    report.say("Stripe refund cost against refunds already on the charge")
    report.say(f"  {'prior':>6} {'warm µs':>9} {'cold µs':>9} {'snapshot records':>17}")
    warm_costs: dict[int, float] = {}
    for prior in PRIOR_COUNTS:
        work = built[f"prior_{prior}"]()
        warm = seconds_per_decision(work, cold=False, runs=runs, sample_s=sample_s)
        cold = seconds_per_decision(work, cold=True, runs=runs, sample_s=sample_s)
        warm_costs[prior] = warm
        report.metric(f"core.prior_refunds.{prior}.us_per_decision_warm", warm * 1e6)
        report.metric(f"core.prior_refunds.{prior}.us_per_decision_cold", cold * 1e6)
        records = len(work.snapshot.all_records())
        report.say(f"  {prior:>6} {warm * 1e6:>9.1f} {cold * 1e6:>9.1f} {records:>17}")
    flatness = warm_costs[PRIOR_COUNTS[-1]] / warm_costs[PRIOR_COUNTS[0]]
    report.metric("core.prior_refunds.flatness_1000_over_1", flatness)
    report.target(
        "core.flat_in_prior_refunds",
        "core.prior_refunds.flatness_1000_over_1",
        "<=",
        TARGET_FLATNESS,
        "a decision costs about the same with 1 or 1,000 earlier refunds (warm)",
    )
    if args.sequence_n:
        total = sequence_seconds(args.sequence_n, max(1, min(runs, 3)))
        report.metric(f"core.sequence_s_{args.sequence_n}", total)
        report.say(
            f"  plan + apply {args.sequence_n} refunds of one charge in turn: {total:.3f} s "
            f"({total / args.sequence_n * 1e6:.0f} µs each)"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Run this section alone."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    add_arguments(parser)
    args = parser.parse_args(argv)
    report = Report(as_json=args.json)
    run(args, report)
    if not args.profile:
        report.finish()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
