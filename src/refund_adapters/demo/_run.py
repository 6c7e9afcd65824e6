"""``refund-sync demo``: the whole sync over real HTTP, against local stand-ins, with no setup.

It starts stateful stand-ins of NetSuite, two Stripe accounts, Amazon, two Shopify shops and
Magento as HTTP servers on 127.0.0.1 (:mod:`._standins`), seeds them with the demo world
(:mod:`._world`), writes a ``refund-sync.toml`` naming the real adapters (:mod:`._config`;
secrets in environment variables, never in the file), and runs every account through
:func:`refund_adapters.wiring.run_account`, the code path of ``refund-sync sync``: the adapter
registry, one engine and one SQLite journal per account, TBA-signed NetSuite requests,
Stripe's and Shopify's idempotency keys. Every outcome is printed with the rules behind it.
Then everything runs a second time, and nothing new is created.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TextIO

import attrs

import refund_core as rc

from ..storage import SqliteJournal
from ..wiring import PassResult, SyncConfig, load_config, run_account
from ._config import config_text
from ._standins import PASSES, SECRETS, StandIns, build_standins, serving
from ._world import DemoWorld, build_world

__all__ = ["DemoResult", "RunReport", "demo", "run_demo", "run_once"]

Renderer = Callable[[int, rc.Outcome], list[str]]


@attrs.frozen
class RunReport:
    """What one run of every account did, as the stand-ins saw it."""

    results: tuple[PassResult, ...]
    netsuite_created: frozenset[str]
    storefront_writes: int
    dead_letters: tuple[tuple[str, rc.DeadLetter], ...]
    rule_ids: frozenset[str]


def _netsuite_ids(standins: StandIns) -> frozenset[str]:
    snapshot = standins.netsuite.snapshot()
    return snapshot.external_ids() | snapshot.marked_synced


def _storefront_writes(standins: StandIns) -> int:
    return standins.shopify.write_count() + len(standins.magento.credit_memos)


def _dead_letters(config: SyncConfig) -> tuple[tuple[str, rc.DeadLetter], ...]:
    letters: list[tuple[str, rc.DeadLetter]] = []
    for account in config.accounts:
        path = config.journal_path(account)
        if not path.exists():
            continue
        with SqliteJournal(path) as journal:
            letters.extend(
                (account.account.account_id, letter) for letter in journal.dead_letters()
            )
    return tuple(letters)


def run_once(
    config: SyncConfig, standins: StandIns, out: TextIO, render: Renderer, *, number: int
) -> RunReport:
    """Run every account once through ``refund-sync sync``'s code path, printing outcomes."""
    numbering = iter(range(1, 10_000))
    rules: set[str] = set()

    def report(outcome: rc.Outcome) -> None:
        rules.update(outcome.rule_ids)
        if isinstance(outcome, rc.Plan | rc.Skipped):
            for manual in outcome.manual_actions:
                rules.update(manual.rule_ids)
        if isinstance(outcome, rc.Plan):
            for notice in outcome.notices:
                rules.update(notice.rule_ids)
        out.write("\n".join(render(next(numbering), outcome)) + "\n")

    before_ns = _netsuite_ids(standins)
    before_sf = _storefront_writes(standins)
    results: list[PassResult] = []
    for account_id, label in PASSES:
        out.write(f"\n--- {account_id}: {label} ---\n")
        (account,) = config.account(account_id)
        # The report shows the configuration warnings itself (NSC-10), and progress lines are
        # for long runs: neither is wanted here.
        passes = run_account(config, account, environ=SECRETS, on_outcome=report)
        for result in passes:
            s = result.summary
            out.write(
                f"{result.pass_name}: {s.events_seen} event(s), {s.duplicates} already seen, "
                f"{s.writes_created} write(s), {s.skipped} skipped, {s.unsupported} "
                f"unsupported, {s.dead_lettered} set aside, {s.manual_actions} manual\n"
            )
        results.extend(passes)
    letters = _dead_letters(config)
    created = _netsuite_ids(standins) - before_ns
    sent = _storefront_writes(standins) - before_sf
    out.write(
        f"\nrun {number}: {len(created)} NetSuite record(s) created, {sent} storefront "
        f"refund(s) or store credit(s) issued; {len(letters)} event(s) set aside as dead letters "
        "(skipped, unsupported or rejected; each retryable with `refund-sync retry`)\n"
    )
    for account_id, letter in letters:
        out.write(f"  {account_id}: {letter.key} [{letter.code}] {letter.message}\n")
    for letter_rules in (_ERROR_RULES.get(letter.code, ()) for _, letter in letters):
        rules.update(letter_rules)
    return RunReport(tuple(results), created, sent, letters, frozenset(rules))


#: Dead-letter codes of rejected input and the rules that reject it.
_ERROR_RULES: Mapping[str, tuple[str, ...]] = {
    error.error_code: error.rule_ids
    for error in (rc.OverRefundError, rc.CurrencyMismatchError, rc.NonPositiveAmountError)
}


def _configuration_checks(out: TextIO) -> set[str]:
    """NSC-9 and NSC-10 are about configuration: show both answers."""
    rules: set[str] = set()
    both = rc.ConnectorAccount(
        "shopify-both",
        rc.StorefrontCapabilities("shopify", rc.StorefrontKind.CART),
        [rc.Direction.INCOMING, rc.Direction.OUTGOING],
    )
    try:
        rc.review_account(both)
    except rc.ConfigurationError as exc:
        out.write(f"an account syncing both directions is refused before any run: {exc}\n")
        rules.add("NSC-9")
    incoming_cart = rc.ConnectorAccount(
        "shopify-in",
        rc.StorefrontCapabilities("shopify", rc.StorefrontKind.CART),
        [rc.Direction.INCOMING],
    )
    review = rc.review_account(incoming_cart)
    for warning in review.warnings:
        out.write(f"a cart synced incoming runs, with a warning: {warning}\n")
        rules.update(review.rule_ids)
    return rules


def _ledger_checks(world: DemoWorld, standins: StandIns, out: TextIO) -> set[str]:
    """What NetSuite holds after the runs, checked against the events that produced it."""
    rules: set[str] = set()
    snapshot = standins.netsuite.snapshot()
    created: dict[rc.SourceKey, list[rc.Money]] = {}
    records: tuple[rc.CreditMemo | rc.CashRefund, ...] = (
        *snapshot.credit_memos,
        *snapshot.cash_refunds,
    )
    for record in records:
        if record.source is not None and record.source.source == "amazon":
            created.setdefault(record.source, []).append(record.amount)
    for refund in snapshot.customer_refunds:
        if refund.source is not None and refund.source.source == "stripe":
            created.setdefault(refund.source, []).append(refund.amount)
    refunds = [
        event
        for event in (*world.stripe_events, *world.stripe_jp_events, *world.amazon_events)
        if isinstance(event, rc.RefundEvent) and event.key in created
    ]
    exact = [e for e in refunds if rc.sum_money(created[e.key], e.amount.currency) == e.amount]
    out.write(
        f"the records of {len(exact)} of {len(refunds)} synced refunds add up exactly to the "
        "refund, as NetSuite holds them (MNY-3)\n"
    )
    if refunds and len(exact) == len(refunds):
        rules.add("MNY-3")
    taxed = [
        record
        for record in snapshot.credit_memos
        if any(line.tax is not None or line.kind is rc.CreditLineKind.TAX for line in record.lines)
    ]
    agreeing = [r for r in taxed if rc.netsuite_total(r.lines, r.shipping) == r.amount]
    if taxed and len(agreeing) == len(taxed):
        out.write(
            f"{len(taxed)} taxed credit memo(s): NetSuite computed each line's tax and totals "
            "each at the refund (TAX-1, TAX-2)\n"
        )
        rules.update({"TAX-1", "TAX-2"})
    disputed = [r for r in snapshot.customer_refunds if r.memo.startswith("Stripe dispute")]
    won = [
        line
        for deposit in snapshot.deposits
        for line in deposit.other_lines
        if line.memo.startswith("Stripe dispute")
    ]
    if disputed and won:
        out.write(
            f"{len(disputed)} dispute(s) booked like refunds, and still booked after being won: "
            "the reinstated funds are an Other Deposits line of their payout (DSP-1, DSP-2)\n"
        )
        rules.update({"DSP-1", "DSP-2"})
    yen = [e for e in exact if e.amount.currency.code == "JPY"]
    if yen:
        out.write(
            f"{len(yen)} JPY refund(s) went through Stripe's integer minor units and NetSuite "
            "and came back to the yen (MNY-1)\n"
        )
        rules.add("MNY-1")
    return rules


def _catalogue() -> tuple[str, ...]:
    ids = [f"NSC-{n}" for n in range(1, 11)] + [f"STC-{n}" for n in range(1, 18)]
    return (
        *ids,
        *(f"MNY-{n}" for n in range(1, 6)),
        *(f"IDM-{n}" for n in range(1, 5)),
        "SHP-1",
        *(f"TAX-{n}" for n in range(1, 4)),
        *(f"DSP-{n}" for n in range(1, 4)),
        "CCY-1",
    )


@attrs.frozen
class DemoResult:
    """Both runs of the demo, the stand-ins as they ended, and the rules the demo exercised."""

    first: RunReport
    second: RunReport
    standins: StandIns
    rule_ids: frozenset[str]


def demo(out: TextIO, render: Renderer, workdir: Path | None = None) -> DemoResult:
    """Run the demo twice, printing what each run created and why."""
    world = build_world()
    standins = build_standins(world)
    with contextlib.ExitStack() as stack:
        # The report shows manual actions and dead letters itself: keep the log to errors.
        stack.enter_context(_quiet_logs())
        folder = workdir or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="rs-demo-"))
        )
        stack.enter_context(serving(standins))
        config_path = folder / "refund-sync.toml"
        config_path.write_text(config_text(world, standins.urls), encoding="utf-8")
        config = load_config(config_path)
        out.write(
            "refund-sync demo: NetSuite, Stripe (US and JP), Amazon, Shopify (two shops) and "
            "Magento stand-ins serving on 127.0.0.1\n"
        )
        for name, url in standins.urls.items():
            out.write(f"  {name:10} {url}\n")
        out.write(f"configuration: {config_path}\njournals: {config.journal_dir}\n")
        reports: list[RunReport] = []
        for number in (1, 2):
            out.write(f"\n=== run {number} ===\n")
            reports.append(run_once(config, standins, out, render, number=number))
        first, second = reports
        out.write("\n=== checks ===\n")
        rules = set(first.rule_ids) | _configuration_checks(out)
        rules |= _ledger_checks(world, standins, out)
        if not second.netsuite_created and not second.storefront_writes:
            # IDM-1/IDM-2: the same external IDs were planned again and found present.
            rules.update({"IDM-1", "IDM-2"})
            out.write(
                "\nThe second run created nothing: every write carries a deterministic external "
                "ID, found present.\n"
            )
        missing = [rule for rule in _catalogue() if rule not in rules]
        out.write(f"\nrules exercised by this demo: {', '.join(sorted(rules, key=_rule_order))}\n")
        if missing:
            out.write(
                f"covered by the test suite only (laws over many inputs): {', '.join(missing)}\n"
            )
    return DemoResult(first, second, standins, frozenset(rules))


def run_demo(out: TextIO, render: Renderer, workdir: Path | None = None) -> int:
    """``refund-sync demo``: returns the exit code (0 when the second run created nothing)."""
    result = demo(out, render, workdir)
    repeated = result.second.netsuite_created or result.second.storefront_writes
    return 1 if repeated else 0


@contextlib.contextmanager
def _quiet_logs() -> Iterator[None]:
    logger = logging.getLogger("refund_sync")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _rule_order(rule: str) -> tuple[int, int]:
    family, _, number = rule.partition("-")
    return ("NSC", "STC", "MNY", "IDM", "SHP", "TAX", "DSP", "CCY").index(family), int(number)
