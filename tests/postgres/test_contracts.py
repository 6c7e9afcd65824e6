"""The Journal and Inbox contracts over the PostgreSQL journal, each test its own account."""

from __future__ import annotations

from pathlib import Path

import pytest

import refund_core as rc
from refund_adapters.conformance import InboxContract, JournalContract
from refund_adapters.conformance._journal import ticking_clock
from refund_adapters.postgres import PostgresStore
from tests.postgres_server import fresh_account


class _OnPostgres:
    """Opens a store on the session's schema for each test, and closes it after."""

    url: str
    schema: str

    @pytest.fixture(autouse=True)
    def _server(self, postgres_url: str, postgres_schema: str) -> None:
        """Where the journals of this test live."""
        self.url = postgres_url
        self.schema = postgres_schema

    def _journal(self) -> rc.Journal:
        store = PostgresStore(self.url, schema=self.schema, clock=ticking_clock())
        self.on_teardown(store.close)  # type: ignore[attr-defined]
        return store.journal(fresh_account())


class TestPostgresJournal(_OnPostgres, JournalContract):
    """The PostgreSQL journal of a fresh account in a shared schema."""

    def make_journal(self, folder: Path) -> rc.Journal:
        """An empty account's journal."""
        return self._journal()


class TestPostgresInbox(_OnPostgres, InboxContract):
    """The PostgreSQL journal's inbox."""

    def make_inbox(self, folder: Path) -> rc.Inbox:
        """An empty account's inbox."""
        journal = self._journal()
        assert isinstance(journal, rc.Inbox)
        return journal
