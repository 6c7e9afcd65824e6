"""Paging and resuming under unfriendly conditions: disorder, late events, reads that lag writes.

These tests are built so that each can fail: the source really delivers out of order, the late
event is caught only by the overlap window (and missed without it), and the lagging ledger
neither shows a crashed run's writes to ``load`` nor refuses a repeated write, so only the
journal's begin/complete records and the lookup by external ID keep a write from happening twice.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

import refund_core as rc
from refund_adapters.engine import EngineConfig, SyncEngine
from refund_adapters.storage import SqliteJournal
from refund_core.testing import FakeLedger, FakeRefundSource, MemoryJournal
from tests.builders import stripe_refund
from tests.test_engine import (
    ACCOUNT,
    START,
    CrashingLedger,
    SimulatedCrash,
    _events,
    _ledger,
    normalized,
)


def _engine(
    ledger_port: object,
    journal: rc.Journal,
    source: rc.RefundSource,
    *,
    overlap: timedelta = timedelta(minutes=10),
) -> SyncEngine:
    return SyncEngine(
        account=ACCOUNT,
        policy=rc.Policy.STRIPE_CONNECTOR,
        source=source,
        ledger=ledger_port,  # type: ignore[arg-type]
        journal=journal,
        config=EngineConfig(page_size=2, overlap=overlap),
    )


def _refunded(snapshot: rc.LedgerSnapshot) -> Counter[str | None]:
    out: Counter[str | None] = Counter()
    for cr in snapshot.customer_refunds:
        out[cr.payment_id] += cr.amount.to_minor_units()
    return out


# ----------------------------------------------------------------------------------------------
# Disorder and late events
# ----------------------------------------------------------------------------------------------


def test_unsorted_source_delivers_in_the_order_given() -> None:
    """With ``ordered=False`` the fake source keeps the given order, so disorder is real."""
    newest_first = list(reversed(_events()))
    source = FakeRefundSource("stripe", newest_first, ordered=False)
    page = asyncio.run(source.list_events(since=START, page_token=None, limit=2))
    assert list(page.items) == newest_first[:2]
    times = [event.created_at for event in page.items if isinstance(event, rc.RefundEvent)]
    assert times == sorted(times, reverse=True)


def test_out_of_order_deliveries_end_with_the_same_totals() -> None:
    """Events delivered newest first, across pages, end with the same totals as in order (MNY-5)."""
    forward = FakeLedger(_ledger())
    _engine(forward, MemoryJournal(), FakeRefundSource("stripe", _events())).run(START)
    backward = FakeLedger(_ledger())
    source = FakeRefundSource("stripe", list(reversed(_events())), ordered=False)
    summary = _engine(backward, MemoryJournal(), source).run(START)
    assert summary.planned == 4
    assert _refunded(backward.snapshot) == _refunded(forward.snapshot)


@pytest.mark.parametrize(
    ("overlap", "caught"),
    [(timedelta(minutes=10), True), (timedelta(0), False)],
    ids=["overlap-10min", "no-overlap"],
)
def test_late_event_older_than_the_cursor_is_caught_only_by_the_overlap(
    overlap: timedelta, caught: bool
) -> None:
    """An event that arrives late, 5 minutes older than the cursor, is synced within the overlap."""
    events = [
        stripe_refund("re_a", "10.00", charge="ch_1", created="2026-03-01"),
        stripe_refund("re_b", "10.00", charge="ch_2", created="2026-03-03T12:00"),
    ]
    late = stripe_refund("re_late", "10.00", charge="ch_1", created="2026-03-03T11:55")
    source = FakeRefundSource("stripe", events)
    fake = FakeLedger(_ledger())
    journal = MemoryJournal()
    _engine(fake, journal, source, overlap=overlap).run(START)
    assert journal.get_cursor(_engine(fake, journal, source).stream) == events[1].created_at
    source.add(late)  # the source shows it only now, dated before the cursor
    _engine(fake, journal, source, overlap=overlap).run(START)
    synced = {cr.source.event_id for cr in fake.snapshot.customer_refunds if cr.source}
    assert ("re_late" in synced) is caught
    assert (journal.event_state(late.key) is rc.EventState.DONE) is caught


# ----------------------------------------------------------------------------------------------
# A ledger whose reads lag its writes
# ----------------------------------------------------------------------------------------------


class LaggingLedger:
    """A ledger whose searches lag its writes, and whose writes never refuse a repeat.

    ``load`` sees the ledger as it was at the last :meth:`publish` (a search index catching up);
    ``find_by_external_id`` sees every write at once (a lookup by key). ``write`` always reports
    a new record and logs every call, repeats included, in ``log``: only the caller can keep a
    write from happening twice.
    """

    def __init__(self, snapshot: rc.LedgerSnapshot) -> None:
        self.truth = snapshot
        self._visible = FakeLedger(snapshot)
        self.log: list[str] = []
        self._applied: set[str] = set()

    async def load(self, query: rc.LedgerQuery) -> rc.LedgerSnapshot:
        """The published state: writes since the last publish are not in it."""
        return await self._visible.load(query)

    async def write(self, action: rc.LedgerAction) -> rc.WriteReceipt:
        """Log the write and apply it; a repeat is logged again (a duplicate record)."""
        self.log.append(action.external_id)
        if action.external_id not in self._applied:  # the duplicate shows in the log
            self._applied.add(action.external_id)
            self.truth = rc.apply_action(self.truth, action)
        return rc.WriteReceipt(action.external_id, f"ns-{action.external_id}", created=True)

    async def find_by_external_id(self, external_id: str) -> str | None:
        """Every write is found at once by its external ID."""
        return f"ns-{external_id}" if external_id in self.log else None

    def publish(self) -> None:
        """Let searches catch up with every write so far."""
        self._visible = FakeLedger(self.truth)


class ForgetfulJournal(MemoryJournal):
    """A journal that records event states but none of the writes (to prove the test bites)."""

    def begin_action(self, key: rc.SourceKey, external_id: str) -> None:
        """Forget it."""

    def complete_action(self, key: rc.SourceKey, external_id: str, record_id: str) -> None:
        """Forget it."""


def _lagging_run(
    journal_factory: type[MemoryJournal], crash_at: int | None, *, after_apply: bool
) -> LaggingLedger:
    lagging = LaggingLedger(_ledger())
    journal = journal_factory()
    source = FakeRefundSource("stripe", _events())
    if crash_at is not None:
        with pytest.raises(SimulatedCrash):
            _engine(
                CrashingLedger(lagging, crash_at, after_apply=after_apply), journal, source
            ).run(  # type: ignore[arg-type]
                START
            )
    _engine(lagging, journal, source).run(START)  # its loads do not show the crashed run's writes
    return lagging


def _duplicates(lagging: LaggingLedger) -> list[str]:
    return [external_id for external_id, n in Counter(lagging.log).items() if n > 1]


@pytest.mark.parametrize("after_apply", [False, True], ids=["before-write", "lost-response"])
def test_crash_with_lagging_reads_resumes_without_a_duplicate_write(after_apply: bool) -> None:
    """Only the journal and the lookup by external ID stand between a crash and a duplicate."""
    expected = _lagging_run(MemoryJournal, None, after_apply=after_apply)
    assert _duplicates(expected) == []
    total = len(expected.log)
    assert total >= 8
    for crash_at in range(1, total + 1):
        lagging = _lagging_run(MemoryJournal, crash_at, after_apply=after_apply)
        assert _duplicates(lagging) == [], f"duplicate write after a crash at write {crash_at}"
        assert sorted(set(lagging.log)) == sorted(expected.log), f"crash at write {crash_at}"
        assert normalized(lagging.truth) == normalized(expected.truth), f"crash at write {crash_at}"


def test_lagging_ledger_crash_test_catches_a_journal_that_records_no_writes() -> None:
    """The test above can fail: a journal forgetting its writes makes duplicates after a crash."""
    total = len(_lagging_run(MemoryJournal, None, after_apply=True).log)
    found = [
        crash_at
        for crash_at in range(1, total + 1)
        if _duplicates(_lagging_run(ForgetfulJournal, crash_at, after_apply=True))
    ]
    assert found


def test_crash_with_lagging_reads_resumes_with_the_sqlite_journal(tmp_path: Path) -> None:
    """The same guarantee holds with the SQLite journal reopened after the crash."""
    expected = _lagging_run(MemoryJournal, None, after_apply=True)
    for crash_at in range(1, len(expected.log) + 1):
        lagging = LaggingLedger(_ledger())
        source = FakeRefundSource("stripe", _events())
        path = tmp_path / f"journal-{crash_at}.db"
        crashing = CrashingLedger(lagging, crash_at, after_apply=True)  # type: ignore[arg-type]
        with SqliteJournal(path) as journal:
            engine = _engine(crashing, journal, source)
            with pytest.raises(SimulatedCrash):
                engine.run(START)
        with SqliteJournal(path) as journal:
            _engine(lagging, journal, source).run(START)
        assert _duplicates(lagging) == [], f"duplicate write after a crash at write {crash_at}"
        assert normalized(lagging.truth) == normalized(expected.truth), f"crash at write {crash_at}"
