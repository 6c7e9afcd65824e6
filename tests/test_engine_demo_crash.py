"""Crash injection over the demo scenario: every pass of ``refund-sync demo``, killed anywhere.

For every N, the run dies at the Nth write to a target (ledger or storefront), either before the
write takes effect or after it did with its response lost. A rerun of every pass with the same
journal (SQLite, or an account of the PostgreSQL journal reopened on a new connection) must end
with the ledger and storefront of an uninterrupted run (order aside) and no external ID written
twice.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest

import refund_core as rc
from refund_adapters.demo import DemoWorld, build_world
from refund_adapters.storage import SqliteJournal
from refund_core.testing import FakeLedger, FakeStorefront
from tests.crashes import Crash, CrashingLedger, CrashingStorefront, SimulatedCrash
from tests.demo_passes import demo_passes
from tests.postgres_server import fresh_account
from tests.test_engine import normalized

#: Opens the journal of one run (each run of a test reopens the same one).
Opener = Callable[[], contextlib.AbstractContextManager[rc.Journal]]

SHOPIFY = rc.StorefrontCapabilities("shopify", rc.StorefrontKind.CART, supports_store_credit=True)


@attrs.define
class Targets:
    """The demo's ledger and storefront, as they stand."""

    ledger: FakeLedger
    shop: FakeStorefront


def _sqlite(path: Path) -> Opener:
    return lambda: SqliteJournal(path)


def _postgres(url: str, schema: str) -> Opener:
    """One account's PostgreSQL journal, on a connection of its own per run (as a process)."""
    account = fresh_account()

    @contextlib.contextmanager
    def opened() -> Iterator[rc.Journal]:
        from refund_adapters.postgres import PostgresStore  # noqa: PLC0415 - only when asked

        with PostgresStore(url, schema=schema) as store:
            yield store.journal(account)

    return opened


def _run(
    world: DemoWorld, opener: Opener, crash: Crash | None = None, targets: Targets | None = None
) -> Targets:
    """Every pass over ``targets`` (new ones by default) with the journal ``opener`` opens."""
    if targets is None:
        targets = Targets(FakeLedger(world.ledger), FakeStorefront(SHOPIFY))
    ledger: object = targets.ledger
    shop: object = targets.shop
    if crash is not None:
        ledger = CrashingLedger(targets.ledger, crash)
        shop = CrashingStorefront(targets.shop, crash)
    with opener() as journal:
        for run_pass in demo_passes(world, ledger, {"shopify": shop}, journal):
            run_pass()
    return targets


def _repeated_external_ids(snapshot: rc.LedgerSnapshot) -> list[str]:
    ids = [r.external_id for r in (*snapshot.created_records(), *snapshot.payments)]
    ids += [r.storefront_sync.external_id for r in snapshot.refund_records() if r.storefront_sync]
    return [ext for ext, n in Counter(ids).items() if ext is not None and n > 1]


def _issued(shop: FakeStorefront) -> list[str]:
    return sorted(a.external_id for a in (*shop.refunds, *shop.store_credits))


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Targets, int]:
    """The demo run once without a crash, and how many target writes it made."""
    world = build_world()
    counter = Crash(None, after_apply=False)
    targets = _run(world, _sqlite(tmp_path_factory.mktemp("demo") / "journal.db"), counter)
    return targets, counter.writes


def test_demo_scenario_makes_enough_writes_to_be_worth_crashing(
    uninterrupted: tuple[Targets, int],
) -> None:
    """The demo writes to the ledger and the storefront many times, with no repeats."""
    targets, writes = uninterrupted
    assert writes >= 20
    assert targets.shop.refunds
    assert targets.shop.store_credits
    assert _repeated_external_ids(targets.ledger.snapshot) == []


@pytest.mark.parametrize("journal_kind", ["sqlite", "postgres"])
@pytest.mark.parametrize("after_apply", [False, True], ids=["before-write", "lost-response"])
def test_demo_crash_at_every_write_resumes_to_the_uninterrupted_result(
    after_apply: bool,
    journal_kind: str,
    uninterrupted: tuple[Targets, int],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """For every N, the demo killed at write N then rerun ends as if never interrupted (IDM-2)."""
    expected, writes = uninterrupted
    world = build_world()
    for crash_at in range(1, writes + 1):
        if journal_kind == "sqlite":
            opener = _sqlite(tmp_path / f"journal-{crash_at}.db")
        else:
            opener = _postgres(
                request.getfixturevalue("postgres_url"),
                request.getfixturevalue("postgres_schema"),
            )
        targets = Targets(FakeLedger(world.ledger), FakeStorefront(SHOPIFY))
        with pytest.raises(SimulatedCrash):
            _run(world, opener, Crash(crash_at, after_apply=after_apply), targets)
        _run(world, opener, targets=targets)  # every pass again, the journal reopened
        where = f"crash at write {crash_at}"
        snapshot = targets.ledger.snapshot
        assert normalized(snapshot) == normalized(expected.ledger.snapshot), where
        assert _repeated_external_ids(snapshot) == [], where
        assert _issued(targets.shop) == _issued(expected.shop), where
        # Nothing is sent twice: only a storefront write whose answer was lost is repeated
        # (the storefront recognises it, NSC-7); a lost ledger answer is looked up instead.
        assert targets.ledger.writes == expected.ledger.writes, where
        extra_calls = targets.shop.calls - expected.shop.calls
        assert 0 <= extra_calls <= (1 if after_apply else 0), where
