"""Recovery: dead letters retried after their cause is fixed, and the reconciliation sweep.

The dead-letter cases run over every journal: in memory, SQLite, and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

import refund_core as rc
from refund_adapters.engine import EngineConfig, ReconciliationReport, SyncEngine
from refund_adapters.storage import SqliteJournal
from refund_core.testing import FakeLedger, FakeRefundSource, MemoryJournal
from tests.builders import M, at, payment, stripe_refund
from tests.postgres_server import fresh_account
from tests.test_engine import ACCOUNT, START, _events, _ledger

ORPHAN = stripe_refund("re_9", "10.00", charge="ch_9", created="2026-03-06")
UNTIL = at("2026-04-01")


def _engine(fake: FakeLedger, journal: rc.Journal, events: list[rc.SourceEvent]) -> SyncEngine:
    return SyncEngine(
        account=ACCOUNT,
        policy=rc.Policy.STRIPE_CONNECTOR,
        source=FakeRefundSource("stripe", events),
        ledger=fake,
        journal=journal,
        config=EngineConfig(page_size=2),
    )


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[rc.Journal]:
    """An empty journal of each kind."""
    if request.param == "memory":
        yield MemoryJournal()
    elif request.param == "sqlite":
        with SqliteJournal(tmp_path / "journal.sqlite3") as sqlite:
            yield sqlite
    else:
        from refund_adapters.postgres import PostgresStore  # noqa: PLC0415 - only when asked

        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
        with PostgresStore(url, schema=schema) as store:
            yield store.journal(fresh_account())


def _with_payment_9(fake: FakeLedger) -> FakeLedger:
    snap = fake.snapshot
    return FakeLedger(attrs.evolve(snap, payments=(*snap.payments, payment("PAY-9", ref="ch_9"))))


def test_dead_letter_payload_is_tagged_with_its_kind(journal: rc.Journal) -> None:
    """A dead letter's payload names the event's kind, so a retry can rebuild any event."""
    _engine(FakeLedger(_ledger()), journal, [ORPHAN]).run(START)
    (letter,) = journal.dead_letters()
    data = json.loads(letter.payload)
    assert data["type"] == "refund"
    assert rc.converter.structure(data, rc.ScenarioEvent) == ORPHAN


def test_dead_letter_retried_after_its_cause_is_fixed_succeeds(journal: rc.Journal) -> None:
    """A refund for a payment not synced yet succeeds on retry once the payment exists."""
    first = FakeLedger(_ledger())
    _engine(first, journal, [ORPHAN]).run(START)
    (letter,) = journal.dead_letters()
    assert letter.code == rc.Reason.PAYMENT_NOT_SYNCED.value
    fixed = _with_payment_9(first)
    summary = _engine(fixed, journal, [ORPHAN]).retry()
    assert summary.planned == 1
    assert summary.resolved == 1
    assert journal.dead_letters() == ()
    assert journal.event_state(ORPHAN.key) is rc.EventState.DONE
    (refund,) = [cr for cr in fixed.snapshot.customer_refunds if cr.source == ORPHAN.key]
    assert refund.amount == M("10.00 USD")


def test_dead_letter_still_failing_is_set_aside_again(journal: rc.Journal) -> None:
    """A retry whose cause is not fixed keeps the letter and counts another attempt."""
    fake = FakeLedger(_ledger())
    engine = _engine(fake, journal, [ORPHAN])
    engine.run(START)
    summary = engine.retry()
    assert summary.resolved == 0
    assert summary.dead_lettered == 1
    (letter,) = journal.dead_letters()
    assert letter.attempts == 2
    assert journal.event_state(ORPHAN.key) is rc.EventState.DEAD


def test_untagged_dead_letter_from_an_older_journal_is_retried(journal: rc.Journal) -> None:
    """Letters written before payloads were tagged (plain ``rc.dumps``) are still retried."""
    journal.add_dead_letter(
        ORPHAN.key, code="payment_not_synced", message="old", payload=rc.dumps(ORPHAN)
    )
    journal.mark_event(ORPHAN.key, rc.EventState.DEAD)
    fixed = _with_payment_9(FakeLedger(_ledger()))
    summary = _engine(fixed, journal, []).retry()
    assert summary.resolved == 1
    assert journal.dead_letters() == ()


def test_reconcile_after_a_clean_run_reports_nothing() -> None:
    """After a complete run the source and the ledger agree."""
    fake = FakeLedger(_ledger())
    engine = _engine(fake, MemoryJournal(), _events())
    engine.run(START)
    report = engine.reconcile(START, UNTIL)
    assert report == ReconciliationReport()
    assert report.is_clean


def test_reconcile_reports_a_refund_missing_from_the_ledger() -> None:
    """A succeeded source refund with no ledger record is reported missing."""
    fake = FakeLedger(_ledger())
    _engine(fake, MemoryJournal(), _events()).run(START)
    late = stripe_refund("re_late", "5.00", charge="ch_1", created="2026-03-07")
    report = _engine(fake, MemoryJournal(), [*_events(), late]).reconcile(START, UNTIL)
    assert report.missing == (late.key,)
    assert report.mismatched == ()
    assert report.extra == ()


def test_reconcile_ignores_refunds_outside_the_range() -> None:
    """Refunds created at or after ``until`` are not checked."""
    fake = FakeLedger(_ledger())
    _engine(fake, MemoryJournal(), _events()).run(START)
    later = stripe_refund("re_later", "5.00", charge="ch_1", created="2026-05-01")
    report = _engine(fake, MemoryJournal(), [*_events(), later]).reconcile(START, UNTIL)
    assert report.is_clean


def test_reconcile_reports_a_mismatched_amount() -> None:
    """A ledger total that differs from the source amount is reported with both amounts."""
    fake = FakeLedger(_ledger())
    _engine(fake, MemoryJournal(), _events()).run(START)
    key = rc.SourceKey("stripe", "re_2")
    snap = fake.snapshot
    tampered = tuple(
        attrs.evolve(
            cr,
            amount=M("20.00 USD"),
            applications=tuple(attrs.evolve(app, amount=M("20.00 USD")) for app in cr.applications),
        )
        if cr.source == key
        else cr
        for cr in snap.customer_refunds
    )
    hand_built = FakeLedger(attrs.evolve(snap, customer_refunds=tampered))
    report = _engine(hand_built, MemoryJournal(), _events()).reconcile(START, UNTIL)
    assert report.mismatched == ((key, M("25.00 USD"), M("20.00 USD")),)
    assert report.missing == ()


def test_reconcile_reports_a_record_unknown_to_the_source() -> None:
    """A dated ledger record for an event the source does not know is reported extra."""
    fake = FakeLedger(_ledger())
    _engine(fake, MemoryJournal(), _events()).run(START)
    snap = fake.snapshot
    model = next(cr for cr in snap.customer_refunds if cr.source == rc.SourceKey("stripe", "re_2"))
    ghost = attrs.evolve(
        model,
        internal_id="CR-GHOST",
        external_id="ghost-1",
        amount=M("1.00 USD"),
        applications=tuple(attrs.evolve(app, amount=M("1.00 USD")) for app in model.applications),
        source=rc.SourceKey("stripe", "re_ghost"),
        created_at=at("2026-03-03"),
    )
    hand_built = FakeLedger(attrs.evolve(snap, customer_refunds=(*snap.customer_refunds, ghost)))
    report = _engine(hand_built, MemoryJournal(), _events()).reconcile(START, UNTIL)
    assert report.extra == ("ghost-1",)
    assert report.missing == ()
