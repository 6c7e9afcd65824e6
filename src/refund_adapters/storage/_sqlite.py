"""The SQLite journal: one local file holding a sync's cursors, events, writes and dead letters.

Connection settings, and why:

- ``journal_mode=WAL``: readers never block the writer and a crash mid-write leaves the last
  committed state intact. It is checked after being set: a file system that cannot do WAL is an
  error, not a silent fallback. (A read-only open sets nothing; it reads the file as it is.)
- ``synchronous=NORMAL``: with WAL this never corrupts the file; a power loss (not a process
  crash) may lose the last few commits. That is safe here because every target write is
  idempotent by its external ID: a lost ``begin``/``complete`` only makes the next run ask the
  target again or repeat a write the target recognises, never create a duplicate.
- ``foreign_keys=ON`` so any future references are enforced.
- Autocommit (``isolation_level=None``) with an explicit ``BEGIN IMMEDIATE`` around each
  read-modify-write, so the write lock is taken up front and two processes cannot interleave a
  check and its update; ``busy_timeout_s`` is how long to wait for another writer.

Datetimes are stored as ISO 8601 strings with their UTC offset and returned aware. Bookkeeping
stamps (``updated_at``, ``first_at`` ...) come from the injected ``clock`` and are stored in UTC
with microseconds, so ordering by their text is ordering by time.

Concurrent runs: the ``lock`` table holds at most one row (``id = 1``) naming the owner, its
process ID, host name and a random token drawn afresh by every ``acquire``. The token, not the
owner name, says whose lock it is: the CLI uses one owner name per account in every process, so
a name cannot tell two runs apart. While a live holder has the row, ``acquire`` from any other
:class:`SqliteJournal` (another process, or another connection in this one) fails with
:class:`refund_core.JournalBusyError` naming the holder, whatever owner name it asks with; only
the instance holding the token may acquire again, and ``release`` deletes the row only when it
carries this instance's token, so a refused run's cleanup never frees the lock of the run that
refused it. A holder is *stale*, and its lock taken over, only when it was on this host and its
process no longer exists, or its process ID now belongs to a process that started after the
holder did (the lock records the holder's process start, :func:`process_start`: a reused PID
is told from the holder); a lock taken on another host is never judged stale (its process cannot
be seen from here), nor is one on Windows, where probing a process ID is not harmless.
:meth:`SqliteJournal.unlock` (``refund-sync unlock``) clears a stale lock, and refuses, naming
the holder, while it lives.

Text: IDs, codes, messages and payloads are stored exactly, whatever Unicode they hold. Text
that UTF-8 can encode is stored as TEXT; text it cannot (a lone UTF-16 surrogate, as in a Stripe
refund ID cut from truncated UTF-16 text) is stored as a BLOB of its ``surrogatepass`` encoding
and read back as the same string. SQLite never compares a BLOB equal to a TEXT, so the mapping
is one-to-one: such an event is journalled and looked up like any other, never dropped.

Read-only: ``SqliteJournal(path, read_only=True)`` (for dry runs) opens an existing file with
SQLite's ``mode=ro`` and never migrates it: a file at an older schema version is read as it is
(every read here works on version 1 onwards), a newer one is refused as usual, and every write
raises :class:`JournalError`.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import secrets
import socket
import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Final

from refund_core import (
    DeadLetter,
    Delivery,
    EventState,
    InboxItem,
    InvalidInputError,
    JournalBusyError,
    RefundSyncError,
    SourceKey,
)

from .._locks import LockHolder

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "JournalError",
    "LockHolder",
    "SqliteJournal",
    "process_start",
]


class JournalError(RefundSyncError, RuntimeError):
    """The journal file could not be opened, migrated, read or written.

    ``path`` is the database file and ``operation`` what was being done; the ``sqlite3`` error,
    when there is one, is the ``__cause__``.
    """

    def __init__(self, message: str, *, path: str, operation: str) -> None:
        self.path = path
        self.operation = operation
        super().__init__(message)


#: Each step takes the schema from version ``i`` to ``i + 1`` (``PRAGMA user_version``); steps
#: are append-only, never edited once released.
MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    # 1: the tables.
    (
        """CREATE TABLE cursors (
            stream TEXT PRIMARY KEY,
            position TEXT NOT NULL
        )""",
        """CREATE TABLE events (
            source TEXT NOT NULL,
            event_id TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('in_progress', 'done', 'dead')),
            code TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL,
            PRIMARY KEY (source, event_id)
        )""",
        """CREATE TABLE actions (
            source TEXT NOT NULL,
            event_id TEXT NOT NULL,
            external_id TEXT PRIMARY KEY,
            state TEXT NOT NULL CHECK (state IN ('begun', 'done')),
            record_id TEXT,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE dead_letters (
            source TEXT NOT NULL,
            event_id TEXT NOT NULL,
            code TEXT NOT NULL,
            message TEXT NOT NULL,
            payload TEXT NOT NULL,
            attempts INTEGER NOT NULL CHECK (attempts >= 1),
            first_at TEXT NOT NULL,
            last_at TEXT NOT NULL,
            PRIMARY KEY (source, event_id)
        )""",
        """CREATE TABLE lock (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            owner TEXT NOT NULL,
            acquired_at TEXT NOT NULL,
            pid INTEGER NOT NULL,
            hostname TEXT NOT NULL
        )""",
    ),
    # 2: indexes for the per-event action lookups and the oldest-first dead-letter listing.
    (
        "CREATE INDEX actions_by_event ON actions (source, event_id, state)",
        "CREATE INDEX dead_letters_by_age ON dead_letters (first_at, source, event_id)",
    ),
    # 3: a random token per acquire: the lock belongs to one run, not to an owner name.
    ("ALTER TABLE lock ADD COLUMN token TEXT NOT NULL DEFAULT ''",),
    # 4: the version of each done event that was synced, to tell a changed delivery (IDM-4).
    ("ALTER TABLE events ADD COLUMN synced TEXT",),
    # 5: the holder's process start, so a reused process ID is told from the holder.
    ("ALTER TABLE lock ADD COLUMN started TEXT NOT NULL DEFAULT ''",),
    # 6: webhook deliveries stored before they are answered, until a worker synced them.
    (
        """CREATE TABLE inbox (
            source TEXT NOT NULL,
            delivery_id TEXT NOT NULL,
            topic TEXT NOT NULL,
            object_id TEXT NOT NULL,
            received_at TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'given_up')),
            attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            last_error TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL,
            PRIMARY KEY (source, delivery_id)
        )""",
        "CREATE INDEX inbox_pending ON inbox (state, received_at, source, delivery_id)",
    ),
)

#: The schema version this code writes; older files are migrated up to it when opened.
SCHEMA_VERSION: Final[int] = len(MIGRATIONS)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _require_aware(what: str, value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInputError(f"{what} must be timezone-aware, not {value.isoformat()}")
    return value


def _bind(value: object) -> object:
    """A parameter as SQLite can hold it: text UTF-8 cannot encode becomes a BLOB (see above)."""
    if isinstance(value, str) and not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogatepass")
    return value


def _binds(params: Sequence[object]) -> tuple[object, ...]:
    return tuple(_bind(value) for value in params)


def _unbind(value: object) -> object:
    """A stored value as it was given: a BLOB is text that UTF-8 could not encode."""
    return value.decode("utf-8", "surrogatepass") if isinstance(value, bytes) else value


def process_start(pid: int) -> str:
    """An identity of the process ``pid``'s start, or ``""`` where it cannot be read.

    On Linux: the boot's ID and the process's start time in clock ticks since boot
    (``/proc/<pid>/stat`` field 22). A process ID reused by another process has another start,
    so a lock can tell its holder from a stranger that happens to have its PID.
    """
    try:
        boot = pathlib.Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = stat[stat.rfind(")") + 2 :].split()
    return f"{boot}:{fields[19]}" if len(fields) > 19 else ""


def _pid_alive(pid: int) -> bool:
    """Whether a process with ``pid`` exists on this host (True when it cannot be told)."""
    if pid <= 0 or sys.platform == "win32":
        # os.kill on Windows terminates the process; never probe there, assume it lives.
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by someone else
    except OSError:
        return True  # e.g. a pid out of range on some systems: do not take the lock on a guess
    return True


def _holder_alive(pid: int, hostname: str, started: str) -> bool | None:
    """Whether the lock's holder still runs: None when it cannot be told (see LockHolder)."""
    if hostname != socket.gethostname():
        return None
    if not _pid_alive(pid):
        return False
    # A PID reused by a process that started after the holder's is not the holder.
    return not (started and process_start(pid) not in ("", started))


class SqliteJournal:
    """A :class:`refund_core.Journal` and :class:`refund_core.Inbox` in one SQLite file.

    See the module docstring.

    Opening creates or migrates the file; a file written by a newer version raises
    :class:`JournalError`. With ``read_only`` the file must exist and is only read (never
    migrated; writes raise :class:`JournalError`). Use it as a context manager, or call
    :meth:`close`. One instance belongs to one thread (``sqlite3``'s default) and stands for one
    run: its lock is its own (see the module docstring). Other processes may open the same file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout_s: float = 5.0,
        clock: Callable[[], datetime] = _utc_now,
        read_only: bool = False,
    ) -> None:
        self._path = os.fspath(path)
        self._clock = clock
        self._read_only = read_only
        self._token: str | None = None  # set while this instance holds the lock
        self._refuse_empty()
        with self._translate("open"):
            if read_only:
                self._conn = self._open_read_only(busy_timeout_s)
            else:
                self._conn = sqlite3.connect(
                    self._path, timeout=busy_timeout_s, isolation_level=None
                )
        try:
            if read_only:
                self._check_version()
            else:
                self._configure()
                self._migrate()
            # A read-only open of a file older than version 4 has no synced versions.
            self._keeps_synced = self.schema_version >= 4
        except BaseException:
            self._conn.close()
            raise

    def _refuse_empty(self) -> None:
        """A journal file of 0 bytes is an error, never a fresh start (see the module)."""
        file = pathlib.Path(self._path)
        wal = pathlib.Path(f"{self._path}-wal")
        with contextlib.suppress(OSError):
            if file.stat().st_size == 0 and not (wal.exists() and wal.stat().st_size > 0):
                raise JournalError(
                    f"journal {self._path!r} is empty (0 bytes): a journal is never empty once "
                    "made, so it was truncated or replaced. Starting a fresh one over it would "
                    "sync everything again from the start, so it is left as it is: restore it "
                    "from a backup, or delete it to start over on purpose",
                    path=self._path,
                    operation="open",
                )

    def _open_read_only(self, busy_timeout_s: float) -> sqlite3.Connection:
        """Open for reading only; in a folder nobody may write, without the WAL's shared memory.

        SQLite reads a WAL-mode file through its ``-shm`` file, which it cannot make in a
        read-only folder. With no ``-wal`` file there is nothing beyond the main file, and no
        writer can be at work (it could not make one either), so the file is read as immutable.
        """
        uri = pathlib.Path(self._path).absolute().as_uri()
        conn = sqlite3.connect(
            f"{uri}?mode=ro", timeout=busy_timeout_s, isolation_level=None, uri=True
        )
        try:
            conn.execute("PRAGMA user_version").fetchone()
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            conn.close()
            if pathlib.Path(f"{self._path}-wal").exists():
                raise  # a WAL to read, but no way to read it from here: say so (typed)
            conn = sqlite3.connect(
                f"{uri}?mode=ro&immutable=1",
                timeout=busy_timeout_s,
                isolation_level=None,
                uri=True,
            )
        return conn

    # -- life cycle --------------------------------------------------------------------------

    @property
    def path(self) -> str:
        """The database file."""
        return self._path

    def close(self) -> None:
        """Close the connection; the journal cannot be used afterwards."""
        with self._translate("close"):
            self._conn.close()

    def __enter__(self) -> SqliteJournal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SqliteJournal({self._path!r})"

    # -- plumbing ----------------------------------------------------------------------------

    @property
    def read_only(self) -> bool:
        """Whether this journal was opened read-only (a dry run's)."""
        return self._read_only

    @contextlib.contextmanager
    def _translate(self, operation: str) -> Iterator[None]:
        """Raise any ``sqlite3`` error inside as a :class:`JournalError` naming the operation."""
        try:
            yield
        except sqlite3.Error as exc:
            raise JournalError(
                f"journal {self._path!r}: {operation} failed: {exc}",
                path=self._path,
                operation=operation,
            ) from exc

    def _writable(self, operation: str) -> None:
        if self._read_only:
            raise JournalError(
                f"journal {self._path!r} is open read-only (a dry run): cannot {operation}",
                path=self._path,
                operation=operation,
            )

    @contextlib.contextmanager
    def _transaction(self, operation: str) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction, committed on success and rolled back otherwise."""
        self._writable(operation)
        with self._translate(operation):
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.rollback()
                raise
            self._conn.commit()

    def _fetchall(
        self, operation: str, sql: str, params: Sequence[object] = ()
    ) -> list[tuple[object, ...]]:
        with self._translate(operation):
            rows: list[tuple[object, ...]] = self._conn.execute(sql, _binds(params)).fetchall()
        return [tuple(_unbind(value) for value in row) for row in rows]

    def _execute(self, operation: str, sql: str, params: Sequence[object]) -> None:
        """One single-statement write (atomic on its own under autocommit)."""
        self._writable(operation)
        with self._translate(operation):
            self._conn.execute(sql, _binds(params))

    def _stamp(self) -> str:
        now = _require_aware("the journal clock's time", self._clock())
        return now.astimezone(UTC).isoformat(timespec="microseconds")

    def _configure(self) -> None:
        with self._translate("configure"):
            row = self._conn.execute("PRAGMA journal_mode=WAL").fetchone()
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
        mode = str(row[0]).lower() if row else "unknown"
        if mode != "wal":
            raise JournalError(
                f"journal {self._path!r}: could not switch to WAL mode (got {mode!r})",
                path=self._path,
                operation="configure",
            )

    def _refuse_newer(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise JournalError(
                f"journal {self._path!r} has schema version {version}, newer than "
                f"{SCHEMA_VERSION} which this version of refund-sync understands; "
                "upgrade refund-sync to open it",
                path=self._path,
                operation="migrate",
            )

    def _check_version(self) -> None:
        """A read-only open: refuse a newer file, read an older one as it is (and an empty one)."""
        with self._translate("read schema version"):
            version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
        self._refuse_newer(version)

    def _migrate(self) -> None:
        with self._transaction("migrate") as conn:
            # Read inside the write transaction: another process may have migrated meanwhile.
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            self._refuse_newer(version)
            for statements in MIGRATIONS[version:]:
                for statement in statements:
                    conn.execute(statement)
            if version < SCHEMA_VERSION:
                # PRAGMA takes no parameters; SCHEMA_VERSION is our own int.
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")

    def quick_check(self) -> tuple[str, ...]:
        """What ``PRAGMA quick_check`` finds wrong with the file (empty when it is sound).

        Reads every page of the file once (no index cross-check): a corrupted page is named
        here, not found in the middle of a run.
        """
        try:
            rows = self._conn.execute("PRAGMA quick_check(20)").fetchall()
        except sqlite3.DatabaseError as exc:  # "database disk image is malformed"
            return (str(exc),)
        found = tuple(str(row[0]) for row in rows)
        return () if found == ("ok",) else found

    @property
    def schema_version(self) -> int:
        """The schema version of the open file (always :data:`SCHEMA_VERSION` once open)."""
        rows = self._fetchall("read schema version", "PRAGMA user_version")
        return int(str(rows[0][0]))

    # -- the lock ----------------------------------------------------------------------------

    def acquire(self, owner: str) -> None:
        """Take the journal for ``owner``, under a fresh random token.

        Raises :class:`refund_core.JournalBusyError`, naming the holder, if anyone else holds it
        and is alive (or its liveness cannot be told), even under the same owner name. Only this
        instance, holding the lock as ``owner``, may acquire again.
        """
        token = secrets.token_hex(16)
        with self._transaction("acquire the lock") as conn:
            held = self._read_lock(conn)
            if held is not None:
                if held.token == self._token and held.owner == owner:
                    return  # this run already holds it
                if held.alive is not False:
                    raise JournalBusyError(
                        f"journal {self._path!r} is held by {held}; two runs of one sync must "
                        "not overlap"
                    )
            conn.execute(
                "INSERT OR REPLACE INTO lock "
                "(id, owner, acquired_at, pid, hostname, token, started) "
                "VALUES (1, ?, ?, ?, ?, ?, ?)",
                _binds(
                    (
                        owner,
                        self._stamp(),
                        os.getpid(),
                        socket.gethostname(),
                        token,
                        process_start(os.getpid()),
                    )
                ),
            )
        self._token = token

    def _read_lock(self, conn: sqlite3.Connection) -> LockHolder | None:
        # A read-only journal may be at an older schema version, without token or start.
        have = {str(row[1]) for row in conn.execute("PRAGMA table_info(lock)")}
        extra = [f"{name}" if name in have else "''" for name in ("token", "started")]
        row = conn.execute(
            f"SELECT owner, pid, hostname, acquired_at, {extra[0]}, {extra[1]} FROM lock"
        ).fetchone()
        if row is None:
            return None
        owner, pid, hostname, since, token, started = (_unbind(value) for value in row)
        return LockHolder(
            owner=str(owner),
            pid=int(str(pid)),
            hostname=str(hostname),
            since=str(since),
            token=str(token),
            alive=_holder_alive(int(str(pid)), str(hostname), str(started)),
        )

    def lock_holder(self) -> LockHolder | None:
        """Who holds the journal, and whether that run is still alive (None: cannot tell)."""
        with self._translate("read the lock"):
            return self._read_lock(self._conn)

    def unlock(self, *, force: bool = False) -> LockHolder | None:
        """Clear a lock whose holder is gone; the holder cleared, or None if there was no lock.

        Refuses with :class:`refund_core.JournalBusyError`, naming the holder, while it is alive
        (its process exists on this host and started when the lock was taken: a process that only
        reuses its ID does not count). A holder on another host cannot be seen from here: its
        lock is cleared only with ``force``, by someone who knows that run is over.
        """
        with self._transaction("clear the lock") as conn:
            held = self._read_lock(conn)
            if held is None:
                return None
            if held.alive or (held.alive is None and not force):
                why = (
                    "is still running"
                    if held.alive
                    else "cannot be seen from this host; clear it with --force once you know "
                    "that run is over"
                )
                raise JournalBusyError(f"journal {self._path!r} is held by {held}, which {why}")
            conn.execute("DELETE FROM lock WHERE id = 1")
        return held

    def release(self, owner: str) -> None:
        """Give the journal back; a no-op unless this instance holds it as ``owner``."""
        if self._token is None:
            return
        self._writable("release the lock")
        with self._translate("release the lock"):
            deleted = self._conn.execute(
                "DELETE FROM lock WHERE id = 1 AND owner = ? AND token = ?",
                _binds((owner, self._token)),
            ).rowcount
        if deleted:
            self._token = None

    def holder(self) -> str | None:
        """The owner holding the journal, if any (stale or not)."""
        rows = self._fetchall("read the lock", "SELECT owner FROM lock")
        return str(rows[0][0]) if rows else None

    # -- cursors -----------------------------------------------------------------------------

    def get_cursor(self, stream: str) -> datetime | None:
        """Where ``stream`` got to, aware."""
        rows = self._fetchall(
            "read a cursor", "SELECT position FROM cursors WHERE stream = ?", (stream,)
        )
        return datetime.fromisoformat(str(rows[0][0])) if rows else None

    def set_cursor(self, stream: str, position: datetime) -> None:
        """Move the cursor forward; an earlier (or equal) position leaves it where it is."""
        _require_aware("a cursor position", position)
        with self._transaction("set a cursor") as conn:
            row = conn.execute(
                "SELECT position FROM cursors WHERE stream = ?", _binds((stream,))
            ).fetchone()
            # Compared as datetimes, not text: positions may carry different offsets.
            if row is not None and datetime.fromisoformat(str(row[0])) >= position:
                return
            conn.execute(
                "INSERT INTO cursors (stream, position) VALUES (?, ?) "
                "ON CONFLICT (stream) DO UPDATE SET position = excluded.position",
                _binds((stream, position.isoformat())),
            )

    def cursors(self) -> dict[str, datetime]:
        """Every stream's cursor, by stream name (for ``refund-sync status``)."""
        rows = self._fetchall("read the cursors", "SELECT stream, position FROM cursors")
        return {str(stream): datetime.fromisoformat(str(pos)) for stream, pos in sorted(rows)}

    # -- events ------------------------------------------------------------------------------

    def event_counts(self) -> dict[str, int]:
        """How many events stand in each state, with their outcome codes as ``state:code``."""
        rows = self._fetchall(
            "count the events",
            "SELECT state, code, COUNT(*) FROM events GROUP BY state, code ORDER BY state, code",
        )
        return {f"{state}:{code}" if code else str(state): int(str(n)) for state, code, n in rows}

    def event_state(self, key: SourceKey) -> EventState | None:
        """The event's state, or None if it was never seen."""
        rows = self._fetchall(
            "read an event",
            "SELECT state FROM events WHERE source = ? AND event_id = ?",
            (key.source, key.event_id),
        )
        return EventState(str(rows[0][0])) if rows else None

    def event_code(self, key: SourceKey) -> str | None:
        """The outcome code recorded with the event's state, or None if it was never seen."""
        rows = self._fetchall(
            "read an event",
            "SELECT code FROM events WHERE source = ? AND event_id = ?",
            (key.source, key.event_id),
        )
        return str(rows[0][0]) if rows else None

    def mark_event(
        self, key: SourceKey, state: EventState, *, code: str = "", payload: str | None = None
    ) -> None:
        """Record the event's new state and outcome code, and its synced version when given.

        State and synced version change in one statement: a done event always has the version
        it was done with (or, written before schema version 4, none).
        """
        self._execute(
            "mark an event",
            "INSERT INTO events (source, event_id, state, code, updated_at, synced) "
            "VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (source, event_id) DO UPDATE SET state = excluded.state, "
            "code = excluded.code, updated_at = excluded.updated_at, "
            "synced = COALESCE(excluded.synced, events.synced)",
            (key.source, key.event_id, EventState(state).value, code, self._stamp(), payload),
        )

    def synced_payload(self, key: SourceKey) -> str | None:
        """The event as it was when it was last done, if kept (files before version 4: None)."""
        if not self._keeps_synced:
            return None
        rows = self._fetchall(
            "read an event",
            "SELECT synced FROM events WHERE source = ? AND event_id = ?",
            (key.source, key.event_id),
        )
        return None if not rows or rows[0][0] is None else str(rows[0][0])

    # -- actions -----------------------------------------------------------------------------

    def begin_action(self, key: SourceKey, external_id: str) -> None:
        """Note that a write is about to happen (a completed one stays completed)."""
        self._execute(
            "begin an action",
            "INSERT INTO actions (source, event_id, external_id, state, record_id, updated_at) "
            "VALUES (?, ?, ?, 'begun', NULL, ?) ON CONFLICT (external_id) DO NOTHING",
            (key.source, key.event_id, external_id, self._stamp()),
        )

    def complete_action(self, key: SourceKey, external_id: str, record_id: str) -> None:
        """Note that a write happened, and the record it produced."""
        self._execute(
            "complete an action",
            "INSERT INTO actions (source, event_id, external_id, state, record_id, updated_at) "
            "VALUES (?, ?, ?, 'done', ?, ?) ON CONFLICT (external_id) DO UPDATE SET "
            "state = 'done', record_id = excluded.record_id, updated_at = excluded.updated_at",
            (key.source, key.event_id, external_id, record_id, self._stamp()),
        )

    def _actions(self, key: SourceKey, state: str) -> frozenset[str]:
        rows = self._fetchall(
            "read actions",
            "SELECT external_id FROM actions WHERE source = ? AND event_id = ? AND state = ?",
            (key.source, key.event_id, state),
        )
        return frozenset(str(row[0]) for row in rows)

    def completed_actions(self, key: SourceKey) -> frozenset[str]:
        """External IDs of the event's writes known to have happened."""
        return self._actions(key, "done")

    def pending_actions(self, key: SourceKey) -> frozenset[str]:
        """External IDs begun but not completed: their responses may have been lost."""
        return self._actions(key, "begun")

    def action_record(self, external_id: str) -> str | None:
        """The record ID a completed write produced, if it completed."""
        rows = self._fetchall(
            "read an action",
            "SELECT record_id FROM actions WHERE external_id = ? AND state = 'done'",
            (external_id,),
        )
        return str(rows[0][0]) if rows else None

    # -- dead letters ------------------------------------------------------------------------

    def add_dead_letter(self, key: SourceKey, *, code: str, message: str, payload: str) -> None:
        """Set an event aside, or count another attempt (keeping when it was first set aside)."""
        now = self._stamp()
        self._execute(
            "add a dead letter",
            "INSERT INTO dead_letters "
            "(source, event_id, code, message, payload, attempts, first_at, last_at) "
            "VALUES (?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (source, event_id) DO UPDATE SET "
            "code = excluded.code, message = excluded.message, payload = excluded.payload, "
            "attempts = dead_letters.attempts + 1, last_at = excluded.last_at",
            (key.source, key.event_id, code, message, payload, now, now),
        )

    def dead_letters(self) -> tuple[DeadLetter, ...]:
        """Every unresolved dead letter, oldest first (by when first set aside, then key)."""
        rows = self._fetchall(
            "list dead letters",
            "SELECT source, event_id, code, message, payload, attempts FROM dead_letters "
            "ORDER BY first_at, source, event_id",
        )
        return tuple(
            DeadLetter(
                SourceKey(str(source), str(event_id)),
                str(code),
                str(message),
                str(payload),
                int(str(attempts)),
            )
            for source, event_id, code, message, payload, attempts in rows
        )

    def dead_letter(self, key: SourceKey) -> DeadLetter | None:
        """The unresolved dead letter of ``key``, if there is one."""
        rows = self._fetchall(
            "read a dead letter",
            "SELECT code, message, payload, attempts FROM dead_letters "
            "WHERE source = ? AND event_id = ?",
            (key.source, key.event_id),
        )
        if not rows:
            return None
        code, message, payload, attempts = rows[0]
        return DeadLetter(key, str(code), str(message), str(payload), int(str(attempts)))

    def resolve_dead_letter(self, key: SourceKey) -> None:
        """Remove an event from the dead letters (a no-op if it is not there)."""
        self._execute(
            "resolve a dead letter",
            "DELETE FROM dead_letters WHERE source = ? AND event_id = ?",
            (key.source, key.event_id),
        )

    # -- the inbox ---------------------------------------------------------------------------

    def put_delivery(self, delivery: Delivery) -> bool:
        """Store a delivery; False when its source and delivery ID were stored before."""
        received = _require_aware("a delivery's arrival", delivery.received_at)
        with self._transaction("store a delivery") as conn:
            stored = conn.execute(
                "INSERT INTO inbox (source, delivery_id, topic, object_id, received_at, state, "
                "updated_at) VALUES (?, ?, ?, ?, ?, 'pending', ?) "
                "ON CONFLICT (source, delivery_id) DO NOTHING",
                _binds(
                    (
                        delivery.source,
                        delivery.delivery_id,
                        delivery.topic,
                        delivery.object_id,
                        received.astimezone(UTC).isoformat(timespec="microseconds"),
                        self._stamp(),
                    )
                ),
            ).rowcount
        return bool(stored)

    def pending_deliveries(self, limit: int) -> tuple[InboxItem, ...]:
        """Up to ``limit`` waiting deliveries, oldest received first."""
        if not self._has_inbox():
            return ()
        rows = self._fetchall(
            "read the inbox",
            "SELECT source, delivery_id, topic, object_id, received_at, attempts, last_error "
            "FROM inbox WHERE state = 'pending' "
            "ORDER BY received_at, source, delivery_id LIMIT ?",
            (max(limit, 0),),
        )
        return tuple(
            InboxItem(
                Delivery(
                    source=str(source),
                    delivery_id=str(delivery_id),
                    topic=str(topic),
                    object_id=str(object_id),
                    received_at=datetime.fromisoformat(str(received)),
                ),
                attempts=int(str(attempts)),
                last_error=str(error),
            )
            for source, delivery_id, topic, object_id, received, attempts, error in rows
        )

    def finish_delivery(self, source: str, delivery_id: str) -> None:
        """The delivery was synced: it no longer waits (its ID stays known)."""
        self._execute(
            "finish a delivery",
            "UPDATE inbox SET state = 'done', updated_at = ? WHERE source = ? AND delivery_id = ?",
            (self._stamp(), source, delivery_id),
        )

    def fail_delivery(
        self, source: str, delivery_id: str, *, error: str, give_up: bool = False
    ) -> None:
        """Count a failed attempt and keep its error; ``give_up`` stops it waiting."""
        self._execute(
            "note a failed delivery",
            "UPDATE inbox SET attempts = attempts + 1, last_error = ?, updated_at = ?, "
            "state = CASE WHEN ? AND state = 'pending' THEN 'given_up' ELSE state END "
            "WHERE source = ? AND delivery_id = ?",
            (error, self._stamp(), give_up, source, delivery_id),
        )

    def inbox_counts(self) -> dict[str, int]:
        """How many deliveries stand in each state (``pending``, ``done``, ``given_up``)."""
        if not self._has_inbox():
            return {}
        rows = self._fetchall(
            "count the inbox", "SELECT state, COUNT(*) FROM inbox GROUP BY state ORDER BY state"
        )
        return {str(state): int(str(n)) for state, n in rows}

    def oldest_pending_delivery(self) -> datetime | None:
        """When the oldest delivery still waiting arrived (the intake's lag starts there)."""
        if not self._has_inbox():
            return None
        rows = self._fetchall(
            "read the inbox",
            "SELECT MIN(received_at) FROM inbox WHERE state = 'pending'",
        )
        return None if not rows or rows[0][0] is None else datetime.fromisoformat(str(rows[0][0]))

    def _has_inbox(self) -> bool:
        # A read-only journal may be older than version 6, which made the inbox.
        return not self._read_only or self.schema_version >= 6
