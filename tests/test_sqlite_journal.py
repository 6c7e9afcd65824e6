"""The SQLite journal beyond the Journal contract: WAL, persistence, migrations, lock, errors."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest

import refund_core as rc
from refund_adapters.storage import SCHEMA_VERSION, JournalError, SqliteJournal
from refund_adapters.storage._sqlite import MIGRATIONS
from tests.builders import at

KEY = rc.SourceKey("stripe", "re_1")
#: Far above any pid_max (Linux allows at most 2**22), so no process can have it.
DEAD_PID = 2**22 + 12345


def _raw(path: Path) -> sqlite3.Connection:
    """A plain connection to the file, to look under the journal or forge old states."""
    return sqlite3.connect(path, isolation_level=None)


def test_wal_mode_is_on(tmp_path: Path) -> None:
    """The file is in WAL mode, as seen by another connection."""
    path = tmp_path / "journal.db"
    with SqliteJournal(path):
        conn = _raw(path)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.close()


def test_new_file_has_current_schema_version(tmp_path: Path) -> None:
    """A new journal is created at SCHEMA_VERSION."""
    path = tmp_path / "journal.db"
    with SqliteJournal(path) as journal:
        assert journal.schema_version == SCHEMA_VERSION
    conn = _raw(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_state_survives_close_and_reopen(tmp_path: Path) -> None:
    """Cursors, events, actions and dead letters written before close are there after reopen."""
    path = tmp_path / "journal.db"
    with SqliteJournal(path) as journal:
        journal.set_cursor("incoming", at("2026-03-01T10:30"))
        journal.mark_event(KEY, rc.EventState.DONE, code="planned")
        journal.begin_action(KEY, "ext-1")
        journal.begin_action(KEY, "ext-2")
        journal.complete_action(KEY, "ext-1", "CM-1")
        journal.add_dead_letter(KEY, code="no_order", message="m", payload="{}")
    with SqliteJournal(path) as journal:
        assert journal.get_cursor("incoming") == at("2026-03-01T10:30")
        assert journal.event_state(KEY) is rc.EventState.DONE
        assert journal.event_code(KEY) == "planned"
        assert journal.completed_actions(KEY) == {"ext-1"}
        assert journal.pending_actions(KEY) == {"ext-2"}
        assert journal.action_record("ext-1") == "CM-1"
        assert journal.dead_letters() == (rc.DeadLetter(KEY, "no_order", "m", "{}", 1),)


def test_migrates_an_older_file_and_keeps_its_data(tmp_path: Path) -> None:
    """A file at schema version 1 is migrated to SCHEMA_VERSION with its rows intact."""
    assert SCHEMA_VERSION > 1
    path = tmp_path / "journal.db"
    conn = _raw(path)
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO cursors VALUES ('incoming', '2026-03-01T10:30:00+00:00')")
    conn.execute(
        "INSERT INTO actions VALUES ('stripe', 're_1', 'ext-1', 'done', 'CM-1', "
        "'2026-03-01T10:30:00+00:00')"
    )
    conn.close()
    with SqliteJournal(path) as journal:
        assert journal.schema_version == SCHEMA_VERSION
        assert journal.get_cursor("incoming") == at("2026-03-01T10:30")
        assert journal.completed_actions(KEY) == {"ext-1"}
    conn = _raw(path)
    indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    conn.close()
    assert {"actions_by_event", "dead_letters_by_age"} <= indexes


def test_newer_schema_version_is_refused(tmp_path: Path) -> None:
    """A file written by a newer version raises JournalError naming both versions."""
    path = tmp_path / "journal.db"
    conn = _raw(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(JournalError, match=rf"version {SCHEMA_VERSION + 1}.*newer") as info:
        SqliteJournal(path)
    assert isinstance(info.value, rc.RefundSyncError)
    assert info.value.operation == "migrate"


def test_second_connection_cannot_acquire_while_first_holds(tmp_path: Path) -> None:
    """Another SqliteJournal on the same file (another owner) is refused until release."""
    path = tmp_path / "journal.db"
    with SqliteJournal(path) as first, SqliteJournal(path) as second:
        first.acquire("run-a")
        with pytest.raises(rc.JournalBusyError, match="run-a"):
            second.acquire("run-b")
        first.release("run-a")
        second.acquire("run-b")
        assert first.holder() == "run-b"


def test_lock_of_a_dead_process_on_this_host_is_taken_over(tmp_path: Path) -> None:
    """A lock left by a process that no longer exists on this host is stale and taken over."""
    path = tmp_path / "journal.db"
    SqliteJournal(path).close()
    conn = _raw(path)
    conn.execute(
        "INSERT INTO lock VALUES (1, 'crashed-run', '2026-03-01T00:00:00+00:00', ?, ?)",
        (DEAD_PID, socket.gethostname()),
    )
    conn.close()
    with SqliteJournal(path) as journal:
        journal.acquire("run-b")
        assert journal.holder() == "run-b"


def test_lock_held_on_another_host_is_not_taken_over(tmp_path: Path) -> None:
    """A lock from another host is never judged stale, since its process cannot be seen."""
    path = tmp_path / "journal.db"
    SqliteJournal(path).close()
    conn = _raw(path)
    conn.execute(
        "INSERT INTO lock VALUES (1, 'remote-run', '2026-03-01T00:00:00+00:00', ?, ?)",
        (DEAD_PID, "some-other-host.invalid"),
    )
    conn.close()
    with SqliteJournal(path) as journal, pytest.raises(rc.JournalBusyError):
        journal.acquire("run-b")


def test_sqlite_errors_are_wrapped(tmp_path: Path) -> None:
    """Opening a directory raises JournalError naming the path, caused by the sqlite3 error."""
    with pytest.raises(JournalError, match="open") as info:
        SqliteJournal(tmp_path)
    assert str(tmp_path) in str(info.value)
    assert isinstance(info.value.__cause__, sqlite3.Error)
    assert isinstance(info.value, RuntimeError)


def test_a_file_that_is_not_a_database_is_wrapped(tmp_path: Path) -> None:
    """A file that is not SQLite raises JournalError, not a raw sqlite3 error."""
    path = tmp_path / "journal.db"
    path.write_bytes(b"this is not a database file, not at all" * 100)
    with pytest.raises(JournalError) as info:
        SqliteJournal(path)
    assert isinstance(info.value.__cause__, sqlite3.Error)


def test_use_after_close_is_wrapped(tmp_path: Path) -> None:
    """Calling a closed journal raises JournalError."""
    journal = SqliteJournal(tmp_path / "journal.db")
    journal.close()
    with pytest.raises(JournalError, match="read a cursor"):
        journal.get_cursor("incoming")


def test_naive_datetimes_are_refused(tmp_path: Path) -> None:
    """A naive cursor position, or a naive clock, is bad input."""
    with SqliteJournal(tmp_path / "a.db") as journal, pytest.raises(rc.InvalidInputError):
        journal.set_cursor("incoming", at("2026-03-01").replace(tzinfo=None))
    naive_clock = at("2026-03-01").replace(tzinfo=None)
    with (
        SqliteJournal(tmp_path / "b.db", clock=lambda: naive_clock) as journal,
        pytest.raises(rc.InvalidInputError),
    ):
        journal.mark_event(KEY, rc.EventState.IN_PROGRESS)


def test_dead_letter_keeps_first_at_and_moves_last_at(tmp_path: Path) -> None:
    """Another attempt updates last_at and keeps first_at, both stored with their offset."""
    times = iter([at("2026-03-01"), at("2026-03-02")])
    path = tmp_path / "journal.db"
    with SqliteJournal(path, clock=lambda: next(times)) as journal:
        journal.add_dead_letter(KEY, code="c", message="m", payload="{}")
        journal.add_dead_letter(KEY, code="c", message="m", payload="{}")
    conn = _raw(path)
    first_at, last_at, attempts = conn.execute(
        "SELECT first_at, last_at, attempts FROM dead_letters"
    ).fetchone()
    conn.close()
    assert (first_at, last_at, attempts) == (
        "2026-03-01T00:00:00.000000+00:00",
        "2026-03-02T00:00:00.000000+00:00",
        2,
    )
