"""One connection per process that listens for notifications and hands them to subscribers.

PostgreSQL delivers a ``NOTIFY`` only to connections that asked with ``LISTEN`` and then read
their socket, so a process keeps one connection for it. :class:`Listener` listens on every
channel subscribed to, calls each subscriber with the payload (in the event loop, never
blocking), and when its connection is lost it reconnects with backoff and calls every
subscriber with ``None``: notifications may have been missed, look again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

from ._store import PostgresError, redact

__all__ = ["Listener"]

log = logging.getLogger("refund_sync.postgres")

Subscriber = Callable[[str | None], None]


class Listener:
    """Listens for the subscribed channels on its own connection, until :meth:`aclose`.

    Use it as an async context manager, in the event loop that will read its notifications.
    ``poll_s`` is how often it looks for channels subscribed since it last listened.
    """

    def __init__(self, url: str, *, poll_s: float = 0.2, reconnect_s: float = 1.0) -> None:
        self._url = url
        self._poll_s = poll_s
        self._reconnect_s = reconnect_s
        self._subscribers: dict[str, list[Subscriber]] = {}
        self._listening: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._conn: psycopg.AsyncConnection[Any] | None = None

    def subscribe(self, channel: str, subscriber: Subscriber) -> None:
        """Call ``subscriber(payload)`` for every notification on ``channel`` from now on."""
        self._subscribers.setdefault(channel, []).append(subscriber)

    async def __aenter__(self) -> Listener:
        self._conn = await self._connect()
        self._task = asyncio.create_task(self._run(), name="refund-sync listener")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop listening and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def listening(self, channel: str, timeout_s: float = 10.0) -> None:
        """Wait until ``channel`` is listened to (a notification sent after is heard)."""
        async with asyncio.timeout(timeout_s):
            while channel not in self._listening:
                self._ready.clear()
                await self._ready.wait()

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        try:
            return await psycopg.AsyncConnection.connect(
                self._url,
                autocommit=True,
                connect_timeout=10,
                application_name="refund-sync listener",
                keepalives=1,
                keepalives_idle=10,
                keepalives_interval=5,
                keepalives_count=3,
            )
        except psycopg.Error as exc:
            raise PostgresError(
                f"PostgreSQL {redact(self._url)}: cannot listen: {str(exc).strip()}",
                where=redact(self._url),
                operation="listen",
            ) from exc

    async def _run(self) -> None:
        while True:
            try:
                if self._conn is None:
                    self._conn = await self._connect()
                    self._listening.clear()
                    self._tell_all(None)  # what was sent meanwhile was missed: look again
                await self._listen(self._conn)
            except (psycopg.Error, PostgresError) as exc:
                log.warning("listener connection lost (%s); reconnecting", type(exc).__name__)
                if self._conn is not None:
                    with contextlib.suppress(psycopg.Error):
                        await self._conn.close()
                self._conn = None
                await asyncio.sleep(self._reconnect_s)

    async def _listen(self, conn: psycopg.AsyncConnection[Any]) -> None:
        while True:
            for channel in list(self._subscribers):
                if channel not in self._listening:
                    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                    self._listening.add(channel)
            self._ready.set()
            async for notice in conn.notifies(timeout=self._poll_s):
                self._tell(notice.channel, notice.payload)

    def _tell(self, channel: str, payload: str | None) -> None:
        for subscriber in self._subscribers.get(channel, ()):
            try:
                subscriber(payload)
            except Exception:  # one subscriber's bug must not stop the others hearing
                log.exception("a subscriber of %s failed", channel)

    def _tell_all(self, payload: str | None) -> None:
        for channel in list(self._subscribers):
            self._tell(channel, payload)
