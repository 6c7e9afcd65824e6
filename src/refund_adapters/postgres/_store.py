"""One installation's PostgreSQL database: the connection, the migrations, the session's key.

:class:`PostgresStore` opens one connection (autocommit; each statement is its own transaction
unless a method says otherwise), creates the schema if it is missing and migrates it, and takes
the session's liveness key (see :mod:`._schema`). Everything a process keeps in the database
goes through it: each account's :class:`~.PostgresJournal` (:meth:`PostgresStore.journal`),
the workers' registry and the doctor's verdicts. It is safe to share between threads (every
operation holds the store's lock), never between processes.

Connection settings, and why: the time zone UTC, so times come back aware in UTC;
``keepalives`` so a server gone silent is noticed in about 25 s instead of hours;
``connect_timeout`` so a server that does not answer is an error, not a hang. The URL may name
no password: it comes from ``PGPASSWORD`` or a ``.pgpass`` file, as for every libpq client (a
URL holding one is refused by the configuration reader, and never printed).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

import psycopg
from psycopg import sql

import refund_core as rc

from ._schema import LEASE_LOST, LOCK_CLASS, MIGRATIONS, SCHEMA_VERSION
from ._text import from_db, to_db

if TYPE_CHECKING:
    from ._journal import PostgresJournal

__all__ = [
    "DEFAULT_SCHEMA",
    "LeaseLostError",
    "PostgresError",
    "PostgresStore",
    "connect",
    "redact",
]

#: The schema an installation uses unless told otherwise.
DEFAULT_SCHEMA: Final[str] = "refund_sync"
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class PostgresError(rc.RefundSyncError, RuntimeError):
    """The database could not be reached, migrated, read or written.

    ``where`` names the server, database and schema (never a password); ``operation`` what was
    being done. The ``psycopg`` error, when there is one, is the ``__cause__``.
    """

    error_code = "journal_unavailable"

    def __init__(self, message: str, *, where: str, operation: str) -> None:
        self.where = where
        self.operation = operation
        super().__init__(message)


class LeaseLostError(PostgresError, rc.JournalBusyError):
    """A run's hold on an account's journal ended (its lease expired or was taken over).

    Its writes are refused from then on, so two runs never write one account's journal at once.
    """

    error_code = "lease_lost"


def redact(url: str) -> str:
    """``url`` without its password (and without any query options), for messages."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "<a PostgreSQL URL that cannot be read>"
    if not parts.scheme:
        return "<a libpq connection string>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}{host}{parts.path}"


def has_password(url: str) -> bool:
    """Whether a URL (or key=value string) carries a password."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return False
    if parts.scheme:
        return bool(parts.password) or "password" in urllib.parse.parse_qs(parts.query)
    return re.search(r"(^|\s)password\s*=", url) is not None


def check_schema(schema: str) -> str:
    """A schema name refund-sync will create and quote: lower-case letters, digits, ``_``."""
    if not _SCHEMA_NAME.fullmatch(schema):
        raise rc.ConfigurationError(
            f"PostgreSQL schema {schema!r}: use lower-case letters, digits and '_' (up to 63, "
            "not starting with a digit)"
        )
    return schema


def connect(url: str, *, operation: str = "connect", **kwargs: Any) -> psycopg.Connection[Any]:
    """A connection with the settings above (autocommit), or a :class:`PostgresError`."""
    try:
        return psycopg.connect(
            url,
            autocommit=True,
            connect_timeout=kwargs.pop("connect_timeout", 10),
            application_name=kwargs.pop("application_name", "refund-sync"),
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
            **kwargs,
        )
    except psycopg.Error as exc:
        raise PostgresError(
            f"PostgreSQL {redact(url)}: cannot {operation}: {_first_line(exc)}",
            where=redact(url),
            operation=operation,
        ) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def take_session_key(conn: psycopg.Connection[Any]) -> int:
    """Hold a random liveness key for the connection's session (see :mod:`._schema`)."""
    for _ in range(64):
        key = secrets.randbits(31)
        row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, key)).fetchone()
        if row is not None and row[0]:
            return key
    raise RuntimeError("no free session key after 64 draws")  # 2**31 keys: never in practice


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PostgresStore:
    """The database of one installation; see the module docstring.

    ``url`` is a libpq URL or connection string; ``schema`` the installation's schema
    (created if missing, then migrated). ``clock`` stamps bookkeeping times (``updated_at``,
    ``first_at``); leases and expiries use the server's clock, the one all machines share.
    A database at a newer schema version than this code knows is refused.
    """

    def __init__(
        self,
        url: str,
        *,
        schema: str = DEFAULT_SCHEMA,
        clock: Callable[[], datetime] = _utc_now,
        connect_timeout_s: int = 10,
    ) -> None:
        self._url = url
        self.schema = check_schema(schema)
        self.where = f"{redact(url)} (schema {schema})"
        self._clock = clock
        self._lock = threading.RLock()
        self._conn = connect(url, connect_timeout=connect_timeout_s)
        try:
            with self._translate("migrate"):
                self._conn.execute("SET TIME ZONE 'UTC'")
                self._migrate()
                self._conn.execute(
                    sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema))
                )
                self.session_key = take_session_key(self._conn)
        except BaseException:
            self._conn.close()
            raise
        self.pid = os.getpid()
        self.hostname = socket.gethostname()

    # -- life cycle --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The URL this store connects to (may name a user, never holds a password here)."""
        return self._url

    def close(self) -> None:
        """Close the connection: everything this process held (locks, slots) is freed at once."""
        with self._lock:
            self._conn.close()

    @property
    def closed(self) -> bool:
        """Whether the connection is closed (or was lost)."""
        return self._conn.closed or self._conn.broken

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PostgresStore({self.where!r})"

    def journal(self, account: str) -> PostgresJournal:
        """The journal (and inbox) of ``account``, sharing this store's connection."""
        from ._journal import PostgresJournal  # noqa: PLC0415 - the journal imports this module

        return PostgresJournal(self, account)

    # -- migrations --------------------------------------------------------------------------

    def _migrate(self) -> None:
        schema = sql.Identifier(self.schema)
        with self._conn.transaction():
            # One migration at a time across every process starting on this database.
            self._conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (LOCK_CLASS,))
            exists = self._conn.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.schema,)
            ).fetchone()
            if exists is None:
                self._conn.execute(sql.SQL("CREATE SCHEMA {}").format(schema))
            self._conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {}.migrations ("
                    "version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
                ).format(schema)
            )
            row = self._conn.execute(
                sql.SQL("SELECT COALESCE(MAX(version), 0) FROM {}.migrations").format(schema)
            ).fetchone()
            version = int(row[0]) if row is not None else 0
            if version > SCHEMA_VERSION:
                raise PostgresError(
                    f"{self.where} has schema version {version}, newer than {SCHEMA_VERSION} "
                    "which this version of refund-sync understands; upgrade refund-sync",
                    where=self.where,
                    operation="migrate",
                )
            for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in statements:
                    self._conn.execute(sql.SQL(statement).format(schema=schema))
                self._conn.execute(
                    sql.SQL("INSERT INTO {}.migrations (version) VALUES (%s)").format(schema),
                    (number,),
                )

    @property
    def schema_version(self) -> int:
        """The schema version of the database (always :data:`SCHEMA_VERSION` once open)."""
        rows = self.fetch("read the schema version", "SELECT MAX(version) FROM migrations")
        return int(str(rows[0][0]))

    # -- plumbing ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _translate(self, operation: str) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as exc:
            if getattr(exc, "sqlstate", None) == LEASE_LOST:
                raise LeaseLostError(
                    f"{self.where}: {operation}: {_first_line(exc)}",
                    where=self.where,
                    operation=operation,
                ) from exc
            raise PostgresError(
                f"{self.where}: {operation} failed: {_first_line(exc)}",
                where=self.where,
                operation=operation,
            ) from exc

    @contextlib.contextmanager
    def transaction(self, operation: str) -> Iterator[psycopg.Connection[Any]]:
        """One transaction on the store's connection, committed on success (errors typed)."""
        with self._lock, self._translate(operation), self._conn.transaction():
            yield self._conn

    def fetch(
        self, operation: str, query: str, params: Sequence[object] = ()
    ) -> list[tuple[Any, ...]]:
        """Rows of one statement, text unescaped (see :mod:`._text`)."""
        with self._lock, self._translate(operation):
            rows = self._conn.execute(query, _binds(params)).fetchall()
        return [_unbind_row(row) for row in rows]

    def execute(self, operation: str, query: str, params: Sequence[object] = ()) -> int:
        """Run one statement; the number of rows it touched."""
        with self._lock, self._translate(operation):
            return self._conn.execute(query, _binds(params)).rowcount

    def stamp(self) -> datetime:
        """The bookkeeping clock's time, aware."""
        now = self._clock()
        if now.utcoffset() is None:
            raise rc.InvalidInputError(
                f"the journal clock's time must be timezone-aware, not {now.isoformat()}"
            )
        return now

    def ping(self) -> None:
        """Ask the server for nothing, to see that it answers (``/readyz``)."""
        self.fetch("check the connection", "SELECT 1")

    def accounts(self) -> tuple[str, ...]:
        """Every account the database holds anything for, sorted."""
        rows = self.fetch(
            "list the accounts",
            "SELECT account FROM cursors UNION SELECT account FROM events "
            "UNION SELECT account FROM inbox UNION SELECT account FROM locks ORDER BY 1",
        )
        return tuple(str(row[0]) for row in rows)

    # -- the doctor's verdicts ---------------------------------------------------------------

    def verdict(self, account: str) -> tuple[str, bool] | None:
        """The library version and outcome of the account's last doctor run, if any."""
        rows = self.fetch(
            "read a doctor verdict",
            "SELECT version, ok FROM doctor_verdicts WHERE account = %s",
            (account,),
        )
        return (str(rows[0][0]), bool(rows[0][1])) if rows else None

    def keep_verdict(self, account: str, *, version: str, ok: bool, failed: Sequence[str]) -> None:
        """Keep the outcome of the account's doctor run, in place of the last one."""
        self.execute(
            "keep a doctor verdict",
            "INSERT INTO doctor_verdicts (account, version, ok, checked_at, failed) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (account) DO UPDATE SET "
            "version = excluded.version, ok = excluded.ok, checked_at = excluded.checked_at, "
            "failed = excluded.failed",
            (account, version, ok, self.stamp(), "\n".join(failed)),
        )


def _binds(params: Sequence[object]) -> tuple[object, ...]:
    return tuple(to_db(value) if isinstance(value, str) else value for value in params)


def _unbind_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(from_db(value) if isinstance(value, str) else value for value in row)
