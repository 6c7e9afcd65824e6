"""The Journal contract: cursors, event states, journalled writes, dead letters and the lock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import refund_core as rc

from ._base import ContractBase, expect_refusal
from .builders import at

__all__ = ["JournalContract", "ticking_clock"]

KEY = rc.SourceKey("stripe", "re_1")
OTHER = rc.SourceKey("stripe", "re_2")


def ticking_clock() -> Callable[[], datetime]:
    """A clock one second further on at each reading, so "oldest first" is never a tie."""
    now = at("2026-03-01")

    def clock() -> datetime:
        nonlocal now
        now += timedelta(seconds=1)
        return now

    return clock


class JournalContract(ContractBase):
    """Subclass as ``class TestMyJournal(JournalContract)`` and implement the factory.

    :meth:`make_journal` returns a fresh, empty journal; it may keep its files in ``folder`` (a
    temporary folder of the test). If the journal has a ``close()`` method it is called after.
    """

    def make_journal(self, folder: Path) -> rc.Journal:
        """A fresh, empty journal under test."""
        raise NotImplementedError("implement make_journal in your subclass")

    @pytest.fixture
    def journal(self, tmp_path: Path) -> Iterator[rc.Journal]:
        """The journal under test, closed after the test when it can be."""
        journal = self.make_journal(tmp_path)
        yield journal
        close = getattr(journal, "close", None)
        if callable(close):
            close()

    def test_conforms_to_the_protocol(self, journal: rc.Journal) -> None:
        """The implementation is a Journal structurally."""
        assert isinstance(journal, rc.Journal)

    def test_cursor_round_trip(self, journal: rc.Journal) -> None:
        """A stream without a cursor reads None; a set cursor reads back equal and aware."""
        assert journal.get_cursor("incoming") is None
        journal.set_cursor("incoming", at("2026-03-01T10:30"))
        got = journal.get_cursor("incoming")
        assert got == at("2026-03-01T10:30")
        assert got is not None
        assert got.tzinfo is not None
        assert journal.get_cursor("payouts") is None

    def test_cursor_never_moves_backwards(self, journal: rc.Journal) -> None:
        """An earlier position is ignored; a later one moves the cursor."""
        journal.set_cursor("incoming", at("2026-03-02"))
        journal.set_cursor("incoming", at("2026-03-01"))
        assert journal.get_cursor("incoming") == at("2026-03-02")
        journal.set_cursor("incoming", at("2026-03-03"))
        assert journal.get_cursor("incoming") == at("2026-03-03")

    def test_cursor_compares_times_not_offsets(self, journal: rc.Journal) -> None:
        """A position in another offset is compared as a moment in time."""
        journal.set_cursor("incoming", at("2026-03-01T12:00"))
        # 13:00+02:00 is 11:00 UTC: earlier, so ignored.
        journal.set_cursor(
            "incoming", datetime(2026, 3, 1, 13, tzinfo=timezone(timedelta(hours=2)))
        )
        assert journal.get_cursor("incoming") == at("2026-03-01T12:00")

    def test_event_states(self, journal: rc.Journal) -> None:
        """An unseen event has no state; marking records the latest state per event."""
        assert journal.event_state(KEY) is None
        journal.mark_event(KEY, rc.EventState.IN_PROGRESS)
        assert journal.event_state(KEY) is rc.EventState.IN_PROGRESS
        journal.mark_event(KEY, rc.EventState.DONE, code="planned")
        assert journal.event_state(KEY) is rc.EventState.DONE
        assert journal.event_state(OTHER) is None
        journal.mark_event(OTHER, rc.EventState.DEAD, code="unsupported")
        assert journal.event_state(OTHER) is rc.EventState.DEAD
        assert journal.event_state(KEY) is rc.EventState.DONE

    def test_synced_version_is_kept_with_the_done_state(self, journal: rc.Journal) -> None:
        """A done event keeps the version it was synced as until a newer one is given (IDM-4)."""
        assert journal.synced_payload(KEY) is None
        journal.mark_event(KEY, rc.EventState.IN_PROGRESS)
        assert journal.synced_payload(KEY) is None
        journal.mark_event(KEY, rc.EventState.DONE, code="planned", payload='{"v": 1}')
        assert journal.synced_payload(KEY) == '{"v": 1}'
        journal.mark_event(KEY, rc.EventState.IN_PROGRESS)
        journal.mark_event(KEY, rc.EventState.DEAD, code="conflict")
        assert journal.synced_payload(KEY) == '{"v": 1}'
        journal.mark_event(KEY, rc.EventState.DONE, code="planned", payload='{"v": 2}')
        assert journal.synced_payload(KEY) == '{"v": 2}'
        assert journal.synced_payload(OTHER) is None

    def test_begin_complete_and_pending_actions(self, journal: rc.Journal) -> None:
        """A begun write is pending until completed; then it is completed, per event."""
        assert journal.pending_actions(KEY) == frozenset()
        assert journal.completed_actions(KEY) == frozenset()
        journal.begin_action(KEY, "ext-1")
        journal.begin_action(KEY, "ext-2")
        journal.begin_action(OTHER, "ext-3")
        assert journal.pending_actions(KEY) == {"ext-1", "ext-2"}
        journal.complete_action(KEY, "ext-1", "CM-1")
        assert journal.pending_actions(KEY) == {"ext-2"}
        assert journal.completed_actions(KEY) == {"ext-1"}
        assert journal.pending_actions(OTHER) == {"ext-3"}
        assert journal.completed_actions(OTHER) == frozenset()

    def test_complete_without_begin_counts_as_completed(self, journal: rc.Journal) -> None:
        """A write found already applied (lost response) can be completed without a begin."""
        journal.complete_action(KEY, "ext-1", "CM-1")
        assert journal.completed_actions(KEY) == {"ext-1"}
        assert journal.pending_actions(KEY) == frozenset()

    def test_dead_letters_upsert_count_and_resolve(self, journal: rc.Journal) -> None:
        """Setting aside again counts an attempt and keeps the latest reason; resolve removes it."""
        assert journal.dead_letters() == ()
        journal.add_dead_letter(KEY, code="no_order", message="first", payload='{"a": 1}')
        journal.add_dead_letter(KEY, code="no_payment", message="second", payload='{"a": 2}')
        (letter,) = journal.dead_letters()
        assert letter == rc.DeadLetter(KEY, "no_payment", "second", '{"a": 2}', 2)
        journal.resolve_dead_letter(KEY)
        assert journal.dead_letters() == ()
        journal.resolve_dead_letter(KEY)  # resolving twice is harmless

    def test_dead_letters_oldest_first(self, journal: rc.Journal) -> None:
        """Dead letters list in the order first set aside; a new attempt does not move one."""
        late_key = rc.SourceKey("amazon", "z")
        journal.add_dead_letter(OTHER, code="c", message="m", payload="{}")
        journal.add_dead_letter(KEY, code="c", message="m", payload="{}")
        journal.add_dead_letter(late_key, code="c", message="m", payload="{}")
        journal.add_dead_letter(OTHER, code="c", message="again", payload="{}")
        assert [letter.key for letter in journal.dead_letters()] == [OTHER, KEY, late_key]

    def test_second_owner_cannot_acquire(self, journal: rc.Journal) -> None:
        """While one owner holds the journal, another owner's acquire raises JournalBusyError."""
        journal.acquire("run-a")
        expect_refusal(
            lambda: journal.acquire("run-b"),
            rc.JournalBusyError,
            "acquire by run-b while run-a holds the journal",
        )
        journal.acquire("run-a")  # the holder may acquire again

    def test_release_lets_another_owner_acquire(self, journal: rc.Journal) -> None:
        """After the holder releases, another owner can acquire."""
        journal.acquire("run-a")
        journal.release("run-b")  # not the holder: no effect
        expect_refusal(
            lambda: journal.acquire("run-b"),
            rc.JournalBusyError,
            "acquire by run-b while run-a holds the journal",
        )
        journal.release("run-a")
        journal.acquire("run-b")
        expect_refusal(
            lambda: journal.acquire("run-a"),
            rc.JournalBusyError,
            "acquire by run-a while run-b holds the journal",
        )
