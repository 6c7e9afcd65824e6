"""The Journal and Inbox contracts over the memory and SQLite journals (also tests/postgres)."""

from __future__ import annotations

from pathlib import Path

import refund_core as rc
from refund_adapters.conformance import InboxContract, JournalContract
from refund_adapters.conformance._journal import ticking_clock
from refund_adapters.storage import SqliteJournal
from refund_core.testing import MemoryJournal


class TestMemoryJournal(JournalContract):
    """The in-memory journal of refund_core.testing."""

    def make_journal(self, folder: Path) -> rc.Journal:
        """An empty memory journal."""
        return MemoryJournal()


class TestSqliteJournal(JournalContract):
    """The SQLite journal, with a clock that ticks so ordering is never a tie."""

    def make_journal(self, folder: Path) -> rc.Journal:
        """An empty SQLite journal in the test's folder."""
        return SqliteJournal(folder / "journal.db", clock=ticking_clock())


class TestMemoryInbox(InboxContract):
    """The in-memory journal's inbox."""

    def make_inbox(self, folder: Path) -> rc.Inbox:
        """An empty memory journal."""
        return MemoryJournal()


class TestSqliteInbox(InboxContract):
    """The SQLite journal's inbox."""

    def make_inbox(self, folder: Path) -> rc.Inbox:
        """An empty SQLite journal in the test's folder."""
        return SqliteJournal(folder / "journal.db", clock=ticking_clock())
