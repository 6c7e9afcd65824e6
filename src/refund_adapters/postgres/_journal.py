"""The PostgreSQL journal: one account's cursors, events, writes, dead letters and inbox.

:class:`PostgresJournal` is the :class:`refund_core.Journal` and :class:`refund_core.Inbox` of
one account in a shared database (every table has an ``account`` column), the twin of the
SQLite journal: one contract suite holds both (and the in-memory journal) to the same
behaviour, and the crash-injection tests run over both.

The lock: ``acquire`` takes the account's row of ``locks`` under a fresh random token, naming the
owner, process, host and the store's session key. The row is held while that session lives, so
a run killed outright (on any machine) frees the account at once; ``acquire(owner,
lease_s=...)`` holds it as a lease besides, which :meth:`PostgresJournal.renew` keeps alive and
which anyone may take over once it expired (a worker cut off from the database). Every write of
a run that holds the lock checks, in the same statement, that it still does (``hold`` in
:mod:`._schema`): once the lease is lost each of the run's writes that would change a row raises
:class:`LeaseLostError`, so two runs never write one account at once.

Bookkeeping times come from the store's clock; lock and lease times from the server's. Deliveries
stored in the inbox wake the workers listening on :attr:`PostgresJournal.inbox_channel` (a
``NOTIFY`` sent in the same statement, delivered when it commits).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

import refund_core as rc

from .._locks import LockHolder
from ._store import PostgresError, PostgresStore

__all__ = ["PostgresJournal", "inbox_channel"]


def inbox_channel(schema: str) -> str:
    """The ``NOTIFY`` channel on which stored deliveries of ``schema`` are announced."""
    return f"{schema}.inbox"


def _aware(what: str, value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise rc.InvalidInputError(f"{what} must be timezone-aware, not {value.isoformat()}")
    return value


class PostgresJournal:
    """The journal of ``account`` in ``store``'s database; see the module docstring.

    Made by :meth:`PostgresStore.journal`. Shares the store's connection, so it belongs to the
    store's process; :meth:`close` gives back a lock this instance still holds.
    """

    read_only = False

    def __init__(self, store: PostgresStore, account: str) -> None:
        if not account or account != account.strip():
            raise rc.ConfigurationError(
                f"a journal's account must be an identifier, not {account!r}"
            )
        self._store = store
        self.account = account
        self._token: str | None = None  # set while this instance holds the lock

    def __repr__(self) -> str:
        return f"PostgresJournal({self._store.where!r}, account={self.account!r})"

    @property
    def store(self) -> PostgresStore:
        """The store whose connection this journal uses."""
        return self._store

    @property
    def where(self) -> str:
        """The server, database, schema and account, for messages (never a password)."""
        return f"{self._store.where}, account {self.account}"

    @property
    def inbox_channel(self) -> str:
        """The channel on which this journal's stored deliveries are announced."""
        return inbox_channel(self._store.schema)

    @property
    def schema_version(self) -> int:
        """The database's schema version."""
        return self._store.schema_version

    def quick_check(self) -> tuple[str, ...]:
        """What is wrong with the journal's database: empty while the server answers."""
        try:
            self._store.ping()
        except PostgresError as exc:
            return (str(exc),)
        return ()

    def close(self) -> None:
        """Give back the lock if this instance still holds it; the store stays open."""
        if self._token is not None and not self._store.closed:
            self._store.execute(
                "release the lock",
                "DELETE FROM locks WHERE account = %s AND token = %s",
                (self.account, self._token),
            )
        self._token = None

    # -- the lock and the lease --------------------------------------------------------------

    _HOLDER = (
        "SELECT owner, token, pid, hostname, acquired_at, "
        "session_alive(session_key, %s) AND (expires_at IS NULL OR expires_at > now()) "
        "FROM locks WHERE account = %s"
    )

    def _holder(self, row: tuple[Any, ...]) -> LockHolder:
        owner, token, pid, hostname, since, alive = row
        return LockHolder(
            owner=str(owner),
            pid=int(pid),
            hostname=str(hostname),
            since=since.isoformat(timespec="seconds"),
            token=str(token),
            alive=bool(alive),
        )

    def acquire(self, owner: str, *, lease_s: float | None = None) -> None:
        """Take the journal for ``owner`` under a fresh token (a lease if ``lease_s`` is given).

        Raises :class:`refund_core.JournalBusyError`, naming the holder, while another run holds
        it and lives (its session exists and its lease, if any, has not expired), even under the
        same owner name. This instance holding it as ``owner`` may acquire again, which renews
        its lease.
        """
        token = secrets.token_hex(16)
        store = self._store
        with store.transaction("acquire the lock") as conn:
            found = conn.execute(
                self._HOLDER + " FOR UPDATE", (store.session_key, self.account)
            ).fetchone()
            if found is not None:
                held = self._holder(found)
                if held.token == self._token and held.owner == owner:
                    if lease_s is not None:
                        self._extend(conn, lease_s)
                    return
                if held.alive:
                    raise rc.JournalBusyError(
                        f"{self.where}: the journal is held by {held}; two runs of one account "
                        "must not overlap"
                    )
            taken = conn.execute(
                "INSERT INTO locks (account, owner, token, pid, hostname, session_key, "
                "acquired_at, expires_at) VALUES (%s, %s, %s, %s, %s, %s, now(), "
                "now() + make_interval(secs => %s)) ON CONFLICT (account) DO UPDATE SET "
                "owner = excluded.owner, token = excluded.token, pid = excluded.pid, "
                "hostname = excluded.hostname, session_key = excluded.session_key, "
                "acquired_at = excluded.acquired_at, expires_at = excluded.expires_at "
                "WHERE %s",
                (
                    self.account,
                    owner,
                    token,
                    store.pid,
                    store.hostname,
                    store.session_key,
                    lease_s,
                    found is not None,  # a row found stale is replaced; a new one never raced
                ),
            ).rowcount
            if not taken:
                raise rc.JournalBusyError(
                    f"{self.where}: another run took the journal at the same moment"
                )
        self._token = token

    def _extend(self, conn: Any, lease_s: float) -> bool:
        return bool(
            conn.execute(
                "UPDATE locks SET expires_at = now() + make_interval(secs => %s) "
                "WHERE account = %s AND token = %s",
                (lease_s, self.account, self._token),
            ).rowcount
        )

    def renew(self, lease_s: float) -> bool:
        """Extend this instance's lease by ``lease_s`` from now; False if it no longer holds it.

        A lease that ran out but was not taken over is renewed (nobody else wrote meanwhile:
        every write checks the lease).
        """
        if self._token is None:
            return False
        with self._store.transaction("renew the lease") as conn:
            kept = self._extend(conn, lease_s)
        if not kept:
            self._token = None
        return kept

    @property
    def holds(self) -> bool:
        """Whether this instance took the lock and has not given it back (nor lost it)."""
        return self._token is not None

    def release(self, owner: str) -> None:
        """Give the journal back; a no-op unless this instance holds it as ``owner``."""
        if self._token is None:
            return
        deleted = self._store.execute(
            "release the lock",
            "DELETE FROM locks WHERE account = %s AND owner = %s AND token = %s",
            (self.account, owner, self._token),
        )
        if deleted:
            self._token = None

    def lock_holder(self) -> LockHolder | None:
        """Who holds the journal, and whether that run is alive."""
        rows = self._store.fetch(
            "read the lock", self._HOLDER, (self._store.session_key, self.account)
        )
        return self._holder(rows[0]) if rows else None

    def holder(self) -> str | None:
        """The owner holding the journal, if any (alive or not)."""
        held = self.lock_holder()
        return None if held is None else held.owner

    def unlock(self, *, force: bool = False) -> LockHolder | None:
        """Clear a lock whose run is gone; the holder cleared, or None if there was no lock.

        Refuses with :class:`refund_core.JournalBusyError` while the holder lives, unless
        ``force`` (for a machine known to be gone whose lease has not run out yet): that run's
        writes are refused from then on.
        """
        store = self._store
        with store.transaction("clear the lock") as conn:
            found = conn.execute(
                self._HOLDER + " FOR UPDATE", (store.session_key, self.account)
            ).fetchone()
            if found is None:
                return None
            held = self._holder(found)
            if held.alive and not force:
                raise rc.JournalBusyError(
                    f"{self.where}: the journal is held by {held}, which is still running "
                    "(clear it with --force only once you know that run is over)"
                )
            conn.execute("DELETE FROM locks WHERE account = %s", (self.account,))
        if held.token == self._token:
            self._token = None
        return held

    # -- cursors -----------------------------------------------------------------------------

    def get_cursor(self, stream: str) -> datetime | None:
        """Where ``stream`` got to, aware."""
        rows = self._store.fetch(
            "read a cursor",
            "SELECT position FROM cursors WHERE account = %s AND stream = %s",
            (self.account, stream),
        )
        return rows[0][0] if rows else None

    def set_cursor(self, stream: str, position: datetime) -> None:
        """Move the cursor forward; an earlier (or equal) position leaves it where it is."""
        _aware("a cursor position", position)
        self._store.execute(
            "set a cursor",
            "INSERT INTO cursors (account, stream, position) SELECT %s, %s, %s FROM hold(%s, %s) "
            "ON CONFLICT (account, stream) DO UPDATE "
            "SET position = GREATEST(cursors.position, excluded.position)",
            (self.account, stream, position, self.account, self._token),
        )

    def cursors(self) -> dict[str, datetime]:
        """Every stream's cursor, by stream name (for ``refund-sync status``)."""
        rows = self._store.fetch(
            "read the cursors",
            "SELECT stream, position FROM cursors WHERE account = %s ORDER BY stream",
            (self.account,),
        )
        return {str(stream): position for stream, position in rows}

    # -- events ------------------------------------------------------------------------------

    def event_counts(self) -> dict[str, int]:
        """How many events stand in each state, with their outcome codes as ``state:code``."""
        rows = self._store.fetch(
            "count the events",
            "SELECT state, code, COUNT(*) FROM events WHERE account = %s "
            "GROUP BY state, code ORDER BY state, code",
            (self.account,),
        )
        return {f"{state}:{code}" if code else str(state): int(n) for state, code, n in rows}

    def _event_column(self, column: str, key: rc.SourceKey) -> list[tuple[Any, ...]]:
        return self._store.fetch(
            "read an event",
            f"SELECT {column} FROM events WHERE account = %s AND source = %s AND event_id = %s",
            (self.account, key.source, key.event_id),
        )

    def event_state(self, key: rc.SourceKey) -> rc.EventState | None:
        """The event's state, or None if it was never seen."""
        rows = self._event_column("state", key)
        return rc.EventState(rows[0][0]) if rows else None

    def event_code(self, key: rc.SourceKey) -> str | None:
        """The outcome code recorded with the event's state, or None if it was never seen."""
        rows = self._event_column("code", key)
        return str(rows[0][0]) if rows else None

    def mark_event(
        self, key: rc.SourceKey, state: rc.EventState, *, code: str = "", payload: str | None = None
    ) -> None:
        """Record the event's new state and outcome code, and its synced version when given."""
        self._store.execute(
            "mark an event",
            "INSERT INTO events (account, source, event_id, state, code, updated_at, synced) "
            "SELECT %s, %s, %s, %s, %s, %s, %s FROM hold(%s, %s) "
            "ON CONFLICT (account, source, event_id) DO UPDATE SET state = excluded.state, "
            "code = excluded.code, updated_at = excluded.updated_at, "
            "synced = COALESCE(excluded.synced, events.synced)",
            (
                self.account,
                key.source,
                key.event_id,
                rc.EventState(state).value,
                code,
                self._store.stamp(),
                payload,
                self.account,
                self._token,
            ),
        )

    def synced_payload(self, key: rc.SourceKey) -> str | None:
        """The event as it was when it was last done, if kept."""
        rows = self._event_column("synced", key)
        return None if not rows or rows[0][0] is None else str(rows[0][0])

    # -- actions -----------------------------------------------------------------------------

    def begin_action(self, key: rc.SourceKey, external_id: str) -> None:
        """Note that a write is about to happen (a completed one stays completed)."""
        self._store.execute(
            "begin an action",
            "INSERT INTO actions (account, source, event_id, external_id, state, updated_at) "
            "SELECT %s, %s, %s, %s, 'begun', %s FROM hold(%s, %s) "
            "ON CONFLICT (account, external_id) DO NOTHING",
            (
                self.account,
                key.source,
                key.event_id,
                external_id,
                self._store.stamp(),
                self.account,
                self._token,
            ),
        )

    def complete_action(self, key: rc.SourceKey, external_id: str, record_id: str) -> None:
        """Note that a write happened, and the record it produced."""
        self._store.execute(
            "complete an action",
            "INSERT INTO actions (account, source, event_id, external_id, state, record_id, "
            "updated_at) SELECT %s, %s, %s, %s, 'done', %s, %s FROM hold(%s, %s) "
            "ON CONFLICT (account, external_id) DO UPDATE SET state = 'done', "
            "record_id = excluded.record_id, updated_at = excluded.updated_at",
            (
                self.account,
                key.source,
                key.event_id,
                external_id,
                record_id,
                self._store.stamp(),
                self.account,
                self._token,
            ),
        )

    def _actions(self, key: rc.SourceKey, state: str) -> frozenset[str]:
        rows = self._store.fetch(
            "read actions",
            "SELECT external_id FROM actions "
            "WHERE account = %s AND source = %s AND event_id = %s AND state = %s",
            (self.account, key.source, key.event_id, state),
        )
        return frozenset(str(row[0]) for row in rows)

    def completed_actions(self, key: rc.SourceKey) -> frozenset[str]:
        """External IDs of the event's writes known to have happened."""
        return self._actions(key, "done")

    def pending_actions(self, key: rc.SourceKey) -> frozenset[str]:
        """External IDs begun but not completed: their responses may have been lost."""
        return self._actions(key, "begun")

    def action_record(self, external_id: str) -> str | None:
        """The record ID a completed write produced, if it completed."""
        rows = self._store.fetch(
            "read an action",
            "SELECT record_id FROM actions WHERE account = %s AND external_id = %s "
            "AND state = 'done'",
            (self.account, external_id),
        )
        return str(rows[0][0]) if rows else None

    # -- dead letters ------------------------------------------------------------------------

    def add_dead_letter(self, key: rc.SourceKey, *, code: str, message: str, payload: str) -> None:
        """Set an event aside, or count another attempt (keeping when it was first set aside)."""
        now = self._store.stamp()
        self._store.execute(
            "add a dead letter",
            "INSERT INTO dead_letters (account, source, event_id, code, message, payload, "
            "attempts, first_at, last_at) SELECT %s, %s, %s, %s, %s, %s, 1, %s, %s "
            "FROM hold(%s, %s) ON CONFLICT (account, source, event_id) DO UPDATE SET "
            "code = excluded.code, message = excluded.message, payload = excluded.payload, "
            "attempts = dead_letters.attempts + 1, last_at = excluded.last_at",
            (
                self.account,
                key.source,
                key.event_id,
                code,
                message,
                payload,
                now,
                now,
                self.account,
                self._token,
            ),
        )

    _LETTER = "SELECT source, event_id, code, message, payload, attempts FROM dead_letters "

    @staticmethod
    def _letter(row: tuple[Any, ...]) -> rc.DeadLetter:
        source, event_id, code, message, payload, attempts = row
        return rc.DeadLetter(
            rc.SourceKey(str(source), str(event_id)),
            str(code),
            str(message),
            str(payload),
            int(attempts),
        )

    def dead_letters(self) -> tuple[rc.DeadLetter, ...]:
        """Every unresolved dead letter, oldest first (by when first set aside, then key)."""
        rows = self._store.fetch(
            "list dead letters",
            self._LETTER + "WHERE account = %s ORDER BY first_at, source, event_id",
            (self.account,),
        )
        return tuple(self._letter(row) for row in rows)

    def dead_letter(self, key: rc.SourceKey) -> rc.DeadLetter | None:
        """The unresolved dead letter of ``key``, if there is one."""
        rows = self._store.fetch(
            "read a dead letter",
            self._LETTER + "WHERE account = %s AND source = %s AND event_id = %s",
            (self.account, key.source, key.event_id),
        )
        return self._letter(rows[0]) if rows else None

    def resolve_dead_letter(self, key: rc.SourceKey) -> None:
        """Remove an event from the dead letters (a no-op if it is not there)."""
        self._store.execute(
            "resolve a dead letter",
            "DELETE FROM dead_letters USING hold(%s, %s) "
            "WHERE account = %s AND source = %s AND event_id = %s",
            (self.account, self._token, self.account, key.source, key.event_id),
        )

    # -- the inbox ---------------------------------------------------------------------------

    def put_delivery(self, delivery: rc.Delivery) -> bool:
        """Store a delivery and wake the workers; False when it was stored before.

        Needs no lock: the intake stores while a worker syncs.
        """
        rows = self._store.fetch(
            "store a delivery",
            "WITH stored AS (INSERT INTO inbox (account, source, delivery_id, topic, object_id, "
            "received_at, state, updated_at) VALUES (%s, %s, %s, %s, %s, %s, 'pending', %s) "
            "ON CONFLICT (account, source, delivery_id) DO NOTHING RETURNING account) "
            "SELECT pg_notify(%s, account) FROM stored",
            (
                self.account,
                delivery.source,
                delivery.delivery_id,
                delivery.topic,
                delivery.object_id,
                _aware("a delivery's arrival", delivery.received_at),
                self._store.stamp(),
                self.inbox_channel,
            ),
        )
        return bool(rows)

    def pending_deliveries(self, limit: int) -> tuple[rc.InboxItem, ...]:
        """Up to ``limit`` waiting deliveries, oldest received first."""
        rows = self._store.fetch(
            "read the inbox",
            "SELECT source, delivery_id, topic, object_id, received_at, attempts, last_error "
            "FROM inbox WHERE account = %s AND state = 'pending' "
            "ORDER BY received_at, source, delivery_id LIMIT %s",
            (self.account, max(limit, 0)),
        )
        return tuple(
            rc.InboxItem(
                rc.Delivery(
                    source=str(source),
                    delivery_id=str(delivery_id),
                    topic=str(topic),
                    object_id=str(object_id),
                    received_at=received,
                ),
                attempts=int(attempts),
                last_error=str(error),
            )
            for source, delivery_id, topic, object_id, received, attempts, error in rows
        )

    def finish_delivery(self, source: str, delivery_id: str) -> None:
        """The delivery was synced: it no longer waits (its ID stays known)."""
        self._store.execute(
            "finish a delivery",
            "UPDATE inbox SET state = 'done', updated_at = %s FROM hold(%s, %s) "
            "WHERE account = %s AND source = %s AND delivery_id = %s",
            (self._store.stamp(), self.account, self._token, self.account, source, delivery_id),
        )

    def fail_delivery(
        self, source: str, delivery_id: str, *, error: str, give_up: bool = False
    ) -> None:
        """Count a failed attempt and keep its error; ``give_up`` stops it waiting."""
        self._store.execute(
            "note a failed delivery",
            "UPDATE inbox SET attempts = attempts + 1, last_error = %s, updated_at = %s, "
            "state = CASE WHEN %s AND state = 'pending' THEN 'given_up' ELSE state END "
            "FROM hold(%s, %s) WHERE account = %s AND source = %s AND delivery_id = %s",
            (
                error,
                self._store.stamp(),
                give_up,
                self.account,
                self._token,
                self.account,
                source,
                delivery_id,
            ),
        )

    def inbox_counts(self) -> dict[str, int]:
        """How many deliveries stand in each state (``pending``, ``done``, ``given_up``)."""
        rows = self._store.fetch(
            "count the inbox",
            "SELECT state, COUNT(*) FROM inbox WHERE account = %s GROUP BY state ORDER BY state",
            (self.account,),
        )
        return {str(state): int(n) for state, n in rows}

    def oldest_pending_delivery(self) -> datetime | None:
        """When the oldest delivery still waiting arrived (the intake's lag starts there)."""
        rows = self._store.fetch(
            "read the inbox",
            "SELECT MIN(received_at) FROM inbox WHERE account = %s AND state = 'pending'",
            (self.account,),
        )
        return rows[0][0] if rows else None
