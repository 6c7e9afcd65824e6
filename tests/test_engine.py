"""The sync engine against the in-memory fakes: idempotent, resumable, one direction per account."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import attrs
import pytest

import refund_core as rc
from refund_adapters.engine import EngineConfig, SyncEngine
from refund_adapters.storage import SqliteJournal
from refund_core.testing import FakeLedger, FakeRefundSource, MemoryJournal
from tests.builders import at, invoice, ledger, order, payment, payment_failure, stripe_refund

STRIPE = rc.StorefrontCapabilities("stripe", rc.StorefrontKind.MARKETPLACE)
SETTINGS = rc.RefundSettings(partial_refund_item="PARTIAL")
ACCOUNT = rc.ConnectorAccount("acct-1", STRIPE, [rc.Direction.INCOMING], SETTINGS)
START = at("2026-01-01")


class SimulatedCrash(BaseException):
    """A process dying mid-run: not an error the engine may catch."""


class CrashingLedger:
    """Wraps a ledger; its write number ``crash_at`` kills the run, before or after applying."""

    def __init__(self, inner: FakeLedger, crash_at: int, *, after_apply: bool) -> None:
        self.inner = inner
        self.crash_at = crash_at
        self.after_apply = after_apply
        self.writes = 0

    async def load(self, query: rc.LedgerQuery) -> rc.LedgerSnapshot:
        """Reads pass through."""
        return await self.inner.load(query)

    async def write(self, action: rc.LedgerAction) -> rc.WriteReceipt:
        """Crash at the chosen write, before or after it takes effect."""
        self.writes += 1
        if self.writes == self.crash_at:
            if self.after_apply:
                await self.inner.write(action)  # the write happened; its response is lost
            raise SimulatedCrash
        return await self.inner.write(action)

    async def find_by_external_id(self, external_id: str) -> str | None:
        """Lookups pass through."""
        return await self.inner.find_by_external_id(external_id)

    async def list_unsynced_refunds(self, **kwargs: object) -> rc.Page[str]:
        """Listings pass through."""
        return await self.inner.list_unsynced_refunds(**kwargs)  # type: ignore[arg-type]


def normalized(snapshot: rc.LedgerSnapshot) -> rc.LedgerSnapshot:
    """The snapshot with each record family sorted by external ID (if any), then internal ID.

    Independent events are written concurrently, so the order records were created in (the
    order of a fake's tuples) is not part of what a run promises; their content is.
    """
    return attrs.evolve(
        snapshot,
        **{
            family: tuple(
                sorted(
                    getattr(snapshot, family),
                    key=lambda r: (getattr(r, "external_id", None) or "", r.internal_id),
                )
            )
            for family in rc.LedgerSnapshot.families()
        },
    )


def _ledger() -> rc.LedgerSnapshot:
    return ledger(
        sales_orders=[order("SO-1", "1001"), order("SO-2", "1002"), order("SO-3", "1003")],
        invoices=[
            invoice("INV-1", order_id="SO-1"),
            invoice(
                "INV-2", [("SKU-A", "60.00", "OL-1"), ("SKU-B", "40.00", "OL-2")], order_id="SO-2"
            ),
            invoice("INV-3", order_id="SO-3"),
        ],
        payments=[
            payment("PAY-1", "150.00", ref="ch_1", applied={"INV-1": "100.00"}),
            payment("PAY-2", "100.00", ref="ch_2", applied={"INV-2": "100.00"}),
            payment(
                "PAY-3",
                "100.00",
                ref="ch_3",
                applied={"INV-3": "100.00"},
                status=rc.PaymentStatus.PENDING,
            ),
        ],
    )


def _events() -> list[rc.SourceEvent]:
    return [
        stripe_refund("re_1", "120.00", charge="ch_1", created="2026-03-01"),
        stripe_refund("re_2", "25.00", charge="ch_2", created="2026-03-02"),
        stripe_refund("re_3", "75.00", charge="ch_2", created="2026-03-03"),
        payment_failure("fail_3", "100.00", charge="ch_3", failed="2026-03-04"),
        stripe_refund("re_1", "120.00", charge="ch_1", created="2026-03-01"),  # duplicate
    ]


def _engine(ledger_port: object, journal: rc.Journal, events: list[rc.SourceEvent]) -> SyncEngine:
    return SyncEngine(
        account=ACCOUNT,
        policy=rc.Policy.STRIPE_CONNECTOR,
        source=FakeRefundSource("stripe", events),
        ledger=ledger_port,  # type: ignore[arg-type]
        journal=journal,
        config=EngineConfig(page_size=2),
    )


def _uninterrupted() -> rc.LedgerSnapshot:
    fake = FakeLedger(_ledger())
    _engine(fake, MemoryJournal(), _events()).run(START)
    return fake.snapshot


def _total_writes() -> int:
    fake = FakeLedger(_ledger())
    _engine(fake, MemoryJournal(), _events()).run(START)
    return fake.writes


def test_run_plans_every_event_once_and_skips_the_duplicate() -> None:
    """One pass creates every record once; the duplicate delivery is recognised (IDM-2)."""
    fake = FakeLedger(_ledger())
    summary = _engine(fake, MemoryJournal(), _events()).run(START)
    assert summary.planned == 4
    assert summary.duplicates == 1
    assert summary.dead_lettered == 0
    ids = [r.external_id for r in fake.snapshot.created_records()]
    assert len(ids) == len(set(ids))
    refunded = Counter()
    for cr in fake.snapshot.customer_refunds:
        refunded[cr.payment_id] += cr.amount.to_minor_units()
    assert refunded == {"PAY-1": 12000, "PAY-2": 10000, "PAY-3": 10000}


def test_second_run_creates_nothing() -> None:
    """Running again with the same journal and ledger writes nothing new (IDM-2)."""
    fake = FakeLedger(_ledger())
    journal = MemoryJournal()
    _engine(fake, journal, _events()).run(START)
    before = fake.snapshot
    summary = _engine(fake, journal, _events()).run(START)
    assert fake.snapshot == before
    assert summary.writes_created == 0


def test_fresh_journal_against_synced_ledger_creates_nothing() -> None:
    """Even with its journal lost, a rerun finds every record by external ID (IDM-1, IDM-2)."""
    fake = FakeLedger(_ledger())
    _engine(fake, MemoryJournal(), _events()).run(START)
    before = fake.snapshot
    _engine(fake, MemoryJournal(), _events()).run(START)
    assert fake.snapshot == before


@pytest.mark.parametrize("after_apply", [False, True], ids=["before-write", "lost-response"])
def test_crash_at_every_write_resumes_to_the_same_ledger(after_apply: bool) -> None:
    """For every N, a crash at write N then a rerun ends identical to an uninterrupted run."""
    expected = _uninterrupted()
    total = _total_writes()
    assert total >= 8
    for crash_at in range(1, total + 1):
        fake = FakeLedger(_ledger())
        journal = MemoryJournal()
        crashing = CrashingLedger(fake, crash_at, after_apply=after_apply)
        with pytest.raises(SimulatedCrash):
            _engine(crashing, journal, _events()).run(START)
        journal.release("refund-sync")  # the dead process's lock; SQLite detects this by pid
        _engine(fake, journal, _events()).run(START)
        assert normalized(fake.snapshot) == normalized(expected), f"crash at write {crash_at}"
        ids = [r.external_id for r in fake.snapshot.created_records()]
        assert len(ids) == len(set(ids)), f"duplicate external ID after crash at {crash_at}"


def test_crash_at_every_write_resumes_with_the_sqlite_journal(tmp_path: Path) -> None:
    """The crash-and-resume guarantee holds with the SQLite journal across reopenings."""
    expected = _uninterrupted()
    for crash_at in range(1, _total_writes() + 1):
        fake = FakeLedger(_ledger())
        path = tmp_path / f"journal-{crash_at}.db"
        with SqliteJournal(path) as journal:
            crashing = CrashingLedger(fake, crash_at, after_apply=True)
            with pytest.raises(SimulatedCrash):
                _engine(crashing, journal, _events()).run(START)
            journal.release("refund-sync")
        with SqliteJournal(path) as journal:
            _engine(fake, journal, _events()).run(START)
        assert normalized(fake.snapshot) == normalized(expected), f"crash at write {crash_at}"


def test_event_on_a_page_boundary_is_not_lost() -> None:
    """Events at the same instant split across pages are all synced (cursor overlap)."""
    same = "2026-03-05"
    events = [
        stripe_refund("re_a", "10.00", charge="ch_1", created=same),
        stripe_refund("re_b", "10.00", charge="ch_1", created=same),
        stripe_refund("re_c", "10.00", charge="ch_2", created=same),
    ]
    fake = FakeLedger(_ledger())
    journal = MemoryJournal()
    engine = _engine(fake, journal, events[:2])
    engine.run(START)
    # The third event arrives later with the same timestamp as the cursor.
    _engine(fake, journal, events).run(START)
    sources = {cr.source.event_id for cr in fake.snapshot.customer_refunds if cr.source}
    assert sources == {"re_a", "re_b", "re_c"}


def test_out_of_order_deliveries_end_with_the_same_totals() -> None:
    """Events delivered newest first end with the same totals as in order (MNY-5)."""
    forward = FakeLedger(_ledger())
    _engine(forward, MemoryJournal(), _events()).run(START)
    backward = FakeLedger(_ledger())
    _engine(backward, MemoryJournal(), list(reversed(_events()))).run(START)

    def totals(snap: rc.LedgerSnapshot) -> Counter[str | None]:
        out: Counter[str | None] = Counter()
        for cr in snap.customer_refunds:
            out[cr.payment_id] += cr.amount.to_minor_units()
        return out

    assert totals(forward.snapshot) == totals(backward.snapshot)


def test_unsupported_refund_is_dead_lettered_and_retryable() -> None:
    """A refund for a payment not synced yet goes to the dead letters with its reason."""
    fake = FakeLedger(_ledger())
    journal = MemoryJournal()
    events = [stripe_refund("re_9", "10.00", charge="ch_unknown", created="2026-03-01")]
    summary = _engine(fake, journal, events).run(START)
    assert summary.dead_lettered == 1
    (letter,) = journal.dead_letters()
    assert letter.code == rc.Reason.PAYMENT_NOT_SYNCED.value
    assert rc.converter.structure(json.loads(letter.payload), rc.ScenarioEvent) == events[0]


def test_a_write_that_still_fails_sets_its_event_aside_and_a_retry_writes_it() -> None:
    """A connection error out of a write is not retried by the engine: set aside, then retried."""

    class Flaky(CrashingLedger):
        async def write(self, action: rc.LedgerAction) -> rc.WriteReceipt:
            """Fail the first write with a connection error (the adapter's retries ran out)."""
            self.writes += 1
            if self.writes == 1:
                raise ConnectionError("stripe: connection failed after 4 attempts in 3.2 s")
            return await self.inner.write(action)

    fake = FakeLedger(_ledger())
    journal = MemoryJournal()
    flaky = Flaky(fake, 0, after_apply=False)
    engine = SyncEngine(
        account=ACCOUNT,
        policy=rc.Policy.STRIPE_CONNECTOR,
        source=FakeRefundSource("stripe", _events()[:1]),
        ledger=flaky,  # type: ignore[arg-type]
        journal=journal,
    )
    summary = asyncio.run(engine.run_async(START))
    assert flaky.writes == 1  # one call: the engine repeats nothing itself
    assert (summary.planned, summary.dead_lettered) == (0, 1)
    (letter,) = journal.dead_letters()
    assert letter.code == "transient_failure"
    assert "connection failed after 4 attempts" in letter.message
    retried = engine.retry()
    assert (retried.planned, retried.resolved) == (1, 1)
    assert journal.dead_letters() == ()


def test_account_with_both_directions_is_refused_before_anything_runs() -> None:
    """An account asking for both directions is refused at construction (NSC-9)."""
    both = rc.ConnectorAccount(
        "acct-2", STRIPE, [rc.Direction.INCOMING, rc.Direction.OUTGOING], SETTINGS
    )
    source = FakeRefundSource("stripe", _events())
    with pytest.raises(rc.ConfigurationError, match="one direction"):
        SyncEngine(
            account=both,
            policy=rc.Policy.STRIPE_CONNECTOR,
            source=source,
            ledger=FakeLedger(_ledger()),
            journal=MemoryJournal(),
        )
    assert source.calls == 0


def test_dry_run_over_a_read_only_journal_changes_nothing(tmp_path: Path) -> None:
    """A dry run reads the journal read-only: plans are shown, the file is left byte for byte."""
    path = tmp_path / "journal.db"
    with SqliteJournal(path) as journal:
        _engine(FakeLedger(_ledger()), journal, _events()[:2]).run(START)
    before = path.read_bytes()
    fake = FakeLedger(_ledger())
    with SqliteJournal(path, read_only=True) as journal:
        summary = SyncEngine(
            account=ACCOUNT,
            policy=rc.Policy.STRIPE_CONNECTOR,
            source=FakeRefundSource("stripe", _events()),
            ledger=fake,
            journal=journal,
            config=EngineConfig(page_size=2, dry_run=True),
        ).run(START)
    assert summary.planned == 2  # the two events the live run did not see
    assert fake.writes == 0
    assert path.read_bytes() == before


def test_a_rejected_refund_is_set_aside_under_its_errors_code_naming_the_rule() -> None:
    """An over-refund is dead-lettered as over_refund with the amounts and MNY-4, not a crash."""
    journal = MemoryJournal()
    events: list[rc.SourceEvent] = [
        stripe_refund("re_big", "500.00", charge="ch_2", created="2026-03-01")
    ]
    summary = _engine(FakeLedger(_ledger()), journal, events).run(at("2026-03-01"))
    assert summary.dead_lettered == 1
    (letter,) = journal.dead_letters()
    assert letter.code == "over_refund"
    assert "500.00 USD" in letter.message
    assert letter.message.endswith("(MNY-4)")
