"""The Journal and Inbox contracts: a journal's state and lock, an inbox's waiting deliveries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import attrs
import pytest

import refund_core as rc

from ._base import ContractBase, expect_refusal
from .builders import at

__all__ = ["InboxContract", "JournalContract", "ticking_clock"]

KEY = rc.SourceKey("stripe", "re_1")
OTHER = rc.SourceKey("stripe", "re_2")
#: IDs a vendor may send that plain UTF-8 text cannot hold: a lone surrogate (from truncated
#: UTF-16), a NUL, and the private-use character a store might escape them with.
ODD_KEYS = (
    rc.SourceKey("stripe", "re_\ud800"),
    rc.SourceKey("stripe", "re_\udc00"),
    rc.SourceKey("stripe", "re_\x00nul"),
    rc.SourceKey("stripe", "re_\ue000\ue000"),
    rc.SourceKey("stripe", "re_\ue0000000"),
)


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

    def test_any_unicode_is_stored_exactly(self, journal: rc.Journal) -> None:
        """Keys, codes, messages and payloads with lone surrogates or NULs read back as given."""
        for n, key in enumerate(ODD_KEYS):
            journal.mark_event(key, rc.EventState.DONE, code="planned", payload=f"{{{n}}}\x00")
            journal.begin_action(key, f"rs-\ud800-{n}")
            journal.add_dead_letter(key, code="conflict", message=f"{key} \udfff", payload="\x00")
        for n, key in enumerate(ODD_KEYS):
            assert journal.event_state(key) is rc.EventState.DONE
            assert journal.synced_payload(key) == f"{{{n}}}\x00"
            assert journal.pending_actions(key) == {f"rs-\ud800-{n}"}
        letters = {letter.key: letter for letter in journal.dead_letters()}
        assert set(letters) == set(ODD_KEYS)
        assert all(letters[key].message == f"{key} \udfff" for key in ODD_KEYS)
        assert all(letters[key].payload == "\x00" for key in ODD_KEYS)

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


def _delivery(delivery_id: str, minute: int, *, source: str = "stripe") -> rc.Delivery:
    return rc.Delivery(
        source=source,
        delivery_id=delivery_id,
        topic="refund.updated",
        object_id=f"re_{delivery_id}",
        received_at=at(f"2026-03-01T10:{minute:02d}"),
    )


class InboxContract(ContractBase):
    """Subclass as ``class TestMyInbox(InboxContract)`` and implement the factory.

    :meth:`make_inbox` returns a fresh, empty inbox (usually a journal that is one); it may keep
    its files in ``folder``. If it has a ``close()`` method it is called after the test.
    """

    def make_inbox(self, folder: Path) -> rc.Inbox:
        """A fresh, empty inbox under test."""
        raise NotImplementedError("implement make_inbox in your subclass")

    @pytest.fixture
    def inbox(self, tmp_path: Path) -> Iterator[rc.Inbox]:
        """The inbox under test, closed after the test when it can be."""
        inbox = self.make_inbox(tmp_path)
        yield inbox
        close = getattr(inbox, "close", None)
        if callable(close):
            close()

    def test_conforms_to_the_protocol(self, inbox: rc.Inbox) -> None:
        """The implementation is an Inbox structurally."""
        assert isinstance(inbox, rc.Inbox)

    def test_a_delivery_is_stored_once_ever(self, inbox: rc.Inbox) -> None:
        """A repeated delivery ID is refused while it waits and after it was finished."""
        assert inbox.put_delivery(_delivery("evt_1", 1)) is True
        assert inbox.put_delivery(_delivery("evt_1", 2)) is False
        assert [item.delivery for item in inbox.pending_deliveries(10)] == [_delivery("evt_1", 1)]
        inbox.finish_delivery("stripe", "evt_1")
        assert inbox.put_delivery(_delivery("evt_1", 3)) is False
        assert inbox.pending_deliveries(10) == ()

    def test_delivery_ids_are_per_source(self, inbox: rc.Inbox) -> None:
        """The same delivery ID from two sources is two deliveries."""
        assert inbox.put_delivery(_delivery("d1", 1, source="stripe")) is True
        assert inbox.put_delivery(_delivery("d1", 2, source="shopify")) is True
        assert [item.delivery.source for item in inbox.pending_deliveries(10)] == [
            "stripe",
            "shopify",
        ]

    def test_pending_deliveries_wait_oldest_first(self, inbox: rc.Inbox) -> None:
        """Deliveries come back in the order received, at most ``limit`` at a time."""
        for delivery_id, minute in (("b", 5), ("a", 9), ("c", 1)):
            inbox.put_delivery(_delivery(delivery_id, minute))
        assert [item.delivery.delivery_id for item in inbox.pending_deliveries(10)] == [
            "c",
            "b",
            "a",
        ]
        assert [item.delivery.delivery_id for item in inbox.pending_deliveries(2)] == ["c", "b"]
        inbox.finish_delivery("stripe", "b")
        assert [item.delivery.delivery_id for item in inbox.pending_deliveries(10)] == ["c", "a"]
        inbox.finish_delivery("stripe", "nothing-like-it")  # harmless

    def test_a_failed_attempt_is_counted_and_waits_again(self, inbox: rc.Inbox) -> None:
        """A failure counts an attempt and keeps its error; giving up stops the wait."""
        inbox.put_delivery(_delivery("evt_1", 1))
        inbox.fail_delivery("stripe", "evt_1", error="stripe: 503 from GET /v1/refunds/{id}")
        inbox.fail_delivery("stripe", "evt_1", error="stripe: 503 again")
        (item,) = inbox.pending_deliveries(10)
        assert (item.attempts, item.last_error) == (2, "stripe: 503 again")
        inbox.fail_delivery("stripe", "evt_1", error="gave up \ud800", give_up=True)
        assert inbox.pending_deliveries(10) == ()
        assert inbox.put_delivery(_delivery("evt_1", 2)) is False

    def test_odd_delivery_ids_are_stored_exactly(self, inbox: rc.Inbox) -> None:
        """Delivery and object IDs with lone surrogates or NULs come back as they were given."""
        delivery = attrs.evolve(_delivery("evt_\ud800\x00", 1), object_id="re_\udc00\ue000")
        assert inbox.put_delivery(delivery) is True
        assert inbox.put_delivery(delivery) is False
        (item,) = inbox.pending_deliveries(1)
        assert item.delivery == delivery
