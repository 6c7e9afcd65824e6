"""The SQLite journal beyond the Journal contract: WAL, persistence, migrations, lock, errors."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
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
        "INSERT INTO lock (id, owner, acquired_at, pid, hostname) "
        "VALUES (1, 'crashed-run', '2026-03-01T00:00:00+00:00', ?, ?)",
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
        "INSERT INTO lock (id, owner, acquired_at, pid, hostname) "
        "VALUES (1, 'remote-run', '2026-03-01T00:00:00+00:00', ?, ?)",
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


# ----------------------------------------------------------------------------------------------
# One run at a time, even under one owner name
# ----------------------------------------------------------------------------------------------

OWNER = "refund-sync sync acct-1"  # the CLI's owner name: the same in every process


def test_same_owner_name_in_another_connection_is_refused(tmp_path: Path) -> None:
    """A second run under the same owner name is refused, and its release frees nothing."""
    path = tmp_path / "journal.db"
    with SqliteJournal(path) as first, SqliteJournal(path) as second:
        first.acquire(OWNER)
        with pytest.raises(rc.JournalBusyError, match=OWNER):
            second.acquire(OWNER)
        second.release(OWNER)  # the refused run's cleanup must not free the first's lock
        assert first.holder() == OWNER
        with pytest.raises(rc.JournalBusyError):
            second.acquire(OWNER)
        first.acquire(OWNER)  # the holder itself may acquire again
        first.release(OWNER)
        assert first.holder() is None
        second.acquire(OWNER)
        assert first.holder() == OWNER


def test_each_acquire_records_a_fresh_token(tmp_path: Path) -> None:
    """Every acquire stores a new random token with the pid and host, so runs never alias."""
    path = tmp_path / "journal.db"
    tokens = []
    with SqliteJournal(path) as journal:
        for _ in range(2):
            journal.acquire(OWNER)
            conn = _raw(path)
            tokens.append(conn.execute("SELECT token, pid, hostname FROM lock").fetchone())
            conn.close()
            journal.release(OWNER)
    (token_a, pid_a, host_a), (token_b, _, _) = tokens
    assert len(token_a) >= 32
    assert token_a != token_b
    assert (pid_a, host_a) == (os.getpid(), socket.gethostname())


_HOLD = """
import sys
from refund_adapters.storage import SqliteJournal
journal = SqliteJournal(sys.argv[1])
journal.acquire(sys.argv[2])
print("held", flush=True)
sys.stdin.readline()
journal.release(sys.argv[2])
journal.close()
print("released", flush=True)
"""

_TRY = """
import sys
import refund_core as rc
from refund_adapters.storage import SqliteJournal
with SqliteJournal(sys.argv[1]) as journal:
    try:
        journal.acquire(sys.argv[2])
    except rc.JournalBusyError as exc:
        print(exc, flush=True)
        journal.release(sys.argv[2])  # what a refused run's cleanup does
        sys.exit(3)
    journal.release(sys.argv[2])
print("acquired", flush=True)
"""


def _python(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _holder(path: Path) -> subprocess.Popen[str]:
    """A process that takes the journal, says ``held`` and keeps it until its stdin has a line."""
    return subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(path), OWNER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _lock_row(path: Path) -> tuple[str, int] | None:
    conn = _raw(path)
    row = conn.execute("SELECT owner, pid FROM lock").fetchone()
    conn.close()
    return (str(row[0]), int(row[1])) if row else None


def test_a_second_process_is_refused_and_the_first_keeps_its_lock(tmp_path: Path) -> None:
    """Two processes, one owner name: the second is refused naming the first, which keeps it."""
    path = tmp_path / "journal.db"
    SqliteJournal(path).close()
    with _holder(path) as first:
        assert first.stdout is not None
        assert first.stdin is not None
        assert first.stdout.readline().strip() == "held"
        second = _python(_TRY, str(path), OWNER)
        assert second.returncode == 3, second.stderr
        assert OWNER in second.stdout
        assert f"pid {first.pid}" in second.stdout
        assert _lock_row(path) == (OWNER, first.pid)  # the refused run freed nothing
        first.stdin.write("\n")
        first.stdin.flush()
        assert first.stdout.readline().strip() == "released"
        assert first.wait(timeout=60) == 0
    assert _lock_row(path) is None
    third = _python(_TRY, str(path), OWNER)
    assert (third.returncode, third.stdout.strip()) == (0, "acquired"), third.stderr


def test_lock_of_a_killed_process_is_taken_over(tmp_path: Path) -> None:
    """A run killed while holding the journal leaves a stale lock the next run takes over."""
    path = tmp_path / "journal.db"
    SqliteJournal(path).close()
    with _holder(path) as first:
        assert first.stdout is not None
        assert first.stdout.readline().strip() == "held"
        first.kill()  # dies holding the lock: no release, no cleanup
        first.wait(timeout=60)
    assert _lock_row(path) == (OWNER, first.pid)
    with SqliteJournal(path) as journal:
        journal.acquire(OWNER)
        assert _lock_row(path) == (OWNER, os.getpid())


# ----------------------------------------------------------------------------------------------
# Read-only (dry runs) and the dead-letter lookup
# ----------------------------------------------------------------------------------------------


def _version_1_file(path: Path) -> None:
    conn = _raw(path)
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO cursors VALUES ('incoming', '2026-03-01T10:30:00+00:00')")
    conn.close()


def test_read_only_journal_reads_an_older_file_without_migrating_it(tmp_path: Path) -> None:
    """A read-only open (a dry run's) reads an old file as it is and changes not a byte."""
    path = tmp_path / "journal.db"
    _version_1_file(path)
    before = path.read_bytes()
    with SqliteJournal(path, read_only=True) as journal:
        assert journal.get_cursor("incoming") == at("2026-03-01T10:30")
        assert journal.event_state(KEY) is None
        assert journal.dead_letters() == ()
        with pytest.raises(JournalError, match="read-only"):
            journal.mark_event(KEY, rc.EventState.DONE)
    assert path.read_bytes() == before
    conn = _raw(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()


def test_read_only_journal_needs_an_existing_file(tmp_path: Path) -> None:
    """A read-only open of a missing file is an error and creates nothing."""
    path = tmp_path / "missing.db"
    with pytest.raises(JournalError, match="open"):
        SqliteJournal(path, read_only=True)
    assert not path.exists()


def test_read_only_journal_refuses_a_newer_schema(tmp_path: Path) -> None:
    """A read-only open of a file from a newer version is refused like a normal open."""
    path = tmp_path / "journal.db"
    conn = _raw(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(JournalError, match="newer"):
        SqliteJournal(path, read_only=True)


def test_dead_letter_lookup_by_key(tmp_path: Path) -> None:
    """One letter is found by its key without listing them all."""
    with SqliteJournal(tmp_path / "journal.db") as journal:
        assert journal.dead_letter(KEY) is None
        journal.add_dead_letter(KEY, code="c", message="m", payload='{"a": 1}')
        assert journal.dead_letter(KEY) == rc.DeadLetter(KEY, "c", "m", '{"a": 1}', 1)
        journal.resolve_dead_letter(KEY)
        assert journal.dead_letter(KEY) is None
