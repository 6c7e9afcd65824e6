"""Re-deliveries of known events: news is decided again, identical repeats stay duplicates.

A delivery of an event the journal knows is news when its content differs from what the journal
recorded for it: a failure notice about a done refund (IDM-3), or any change to a dead-lettered
event, whose letter then carries the new content so a later retry never books a stale one.
"""

from __future__ import annotations

import json

import attrs

import refund_core as rc
from refund_adapters.engine import EngineConfig, SyncEngine
from refund_core.testing import FakeLedger, FakeRefundSource, MemoryJournal
from tests.builders import M, payment, stripe_refund
from tests.test_engine import ACCOUNT, START, _ledger

ORPHAN = stripe_refund("re_9", "10.00", charge="ch_9", created="2026-03-06")


def _engine(fake: FakeLedger, journal: rc.Journal, events: list[rc.SourceEvent]) -> SyncEngine:
    return SyncEngine(
        account=ACCOUNT,
        policy=rc.Policy.STRIPE_CONNECTOR,
        source=FakeRefundSource("stripe", events),
        ledger=fake,
        journal=journal,
        config=EngineConfig(page_size=2),
    )


def _with_payment_9(fake: FakeLedger) -> FakeLedger:
    snap = fake.snapshot
    return FakeLedger(attrs.evolve(snap, payments=(*snap.payments, payment("PAY-9", ref="ch_9"))))


def _refunds_of(fake: FakeLedger, key: rc.SourceKey) -> list[rc.CustomerRefund]:
    return [cr for cr in fake.snapshot.customer_refunds if cr.source == key]


def test_failure_notice_for_a_dead_lettered_refund_is_not_lost() -> None:
    """A refund set aside, then reported failed, is never booked by a later retry (IDM-3)."""
    journal = MemoryJournal()
    first = FakeLedger(_ledger())
    _engine(first, journal, [ORPHAN]).run(START)
    (letter,) = journal.dead_letters()
    assert letter.code == rc.Reason.PAYMENT_NOT_SYNCED.value
    failed = attrs.evolve(ORPHAN, status=rc.RefundStatus.FAILED, failure_reason="expired_card")
    summary = _engine(first, journal, [ORPHAN, failed]).run(START)
    assert summary.duplicates == 1  # the same delivery again; the failure notice is news
    assert summary.dead_lettered == 1
    (letter,) = journal.dead_letters()
    assert rc.converter.structure(json.loads(letter.payload), rc.ScenarioEvent) == failed
    fixed = _with_payment_9(first)
    _engine(fixed, journal, []).retry()
    assert _refunds_of(fixed, ORPHAN.key) == []


def test_pending_refund_that_later_succeeds_is_synced() -> None:
    """A pending refund set aside is synced when it comes back succeeded under the same ID."""
    journal = MemoryJournal()
    fake = FakeLedger(_ledger())
    pending = stripe_refund(
        "re_p", "10.00", charge="ch_1", created="2026-03-06", status=rc.RefundStatus.PENDING
    )
    _engine(fake, journal, [pending]).run(START)
    (letter,) = journal.dead_letters()
    assert letter.code == rc.Reason.NOT_SUCCEEDED.value
    succeeded = attrs.evolve(pending, status=rc.RefundStatus.SUCCEEDED)
    summary = _engine(fake, journal, [succeeded]).run(START)
    assert summary.planned == 1
    assert journal.event_state(pending.key) is rc.EventState.DONE
    assert journal.dead_letters() == ()
    (refund,) = _refunds_of(fake, pending.key)
    assert refund.amount == M("10.00 USD")


def test_identical_redelivery_of_a_dead_letter_stays_a_duplicate() -> None:
    """The same dead-lettered event delivered again is a duplicate: no new attempt, no read."""
    journal = MemoryJournal()
    fake = FakeLedger(_ledger())
    _engine(fake, journal, [ORPHAN]).run(START)
    reads = fake.reads
    summary = _engine(fake, journal, [ORPHAN, ORPHAN]).run(START)
    assert summary.duplicates == 2
    assert summary.dead_lettered == 0
    (letter,) = journal.dead_letters()
    assert letter.attempts == 1
    assert fake.reads == reads


def test_changed_redelivery_still_failing_keeps_one_letter_with_the_new_content() -> None:
    """A changed event that is set aside again replaces its letter's payload and counts on."""
    journal = MemoryJournal()
    fake = FakeLedger(_ledger())
    _engine(fake, journal, [ORPHAN]).run(START)
    bigger = attrs.evolve(ORPHAN, amount=M("12.00 USD"))
    _engine(fake, journal, [bigger]).run(START)
    (letter,) = journal.dead_letters()
    assert letter.code == rc.Reason.PAYMENT_NOT_SYNCED.value
    assert rc.converter.structure(json.loads(letter.payload), rc.ScenarioEvent) == bigger
    assert journal.event_state(ORPHAN.key) is rc.EventState.DEAD


def test_failure_notice_and_success_in_one_page_end_reversed() -> None:
    """A success and its failure notice delivered together are decided in turn (IDM-3)."""
    journal = MemoryJournal()
    fake = FakeLedger(_ledger())
    succeeded = stripe_refund("re_f", "10.00", charge="ch_1", created="2026-03-06")
    failed = attrs.evolve(succeeded, status=rc.RefundStatus.FAILED, failure_reason="lost_card")
    expected = FakeLedger(_ledger())
    expected_journal = MemoryJournal()
    _engine(expected, expected_journal, [succeeded]).run(START)
    _engine(expected, expected_journal, [failed]).run(START)
    _engine(fake, journal, [succeeded, failed]).run(START)
    assert fake.snapshot == expected.snapshot
    assert journal.event_state(succeeded.key) is rc.EventState.DONE


def test_repeated_failure_notice_sees_its_reversal_and_writes_nothing() -> None:
    """A failure notice delivered again finds its reversal: already synced (IDM-2, IDM-3)."""
    journal = MemoryJournal()
    fake = FakeLedger(_ledger())
    succeeded = stripe_refund("re_f", "10.00", charge="ch_1", created="2026-03-06")
    failed = attrs.evolve(succeeded, status=rc.RefundStatus.FAILED, failure_reason="lost_card")
    _engine(fake, journal, [succeeded]).run(START)
    _engine(fake, journal, [failed]).run(START)
    assert [p for p in fake.snapshot.payments if p.source == succeeded.key]  # the reversal
    writes = fake.writes
    summary = _engine(fake, journal, [failed]).run(START)
    assert summary.already_synced == 1
    assert summary.planned == 0
    assert fake.writes == writes
