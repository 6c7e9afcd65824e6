"""A NetSuite account's concurrency limit, shared by every process that writes to it.

NetSuite counts the requests in flight per account, across every integration and every worker.
:class:`PostgresBudgets` holds each account's budget as rows of ``budget_slots``, one per slot;
a request takes a free slot before it is sent and frees it when its answer is read, so however
many workers run on however many machines, no more requests are in flight than the configured
limit. A slot is free when nobody holds it, when its holder's database session has ended (a
worker killed outright frees its slots at once: see :mod:`._schema`), or when its lease ran out.

Why a request can never outlive its slot: the slot is leased for ``slot_lease_s`` on the
server's clock from the moment it is taken, and the request is cut off (a typed
:class:`BudgetDeadlineError`, a ``TimeoutError``) ``deadline_margin_s`` before that, measured on
this process's clock from before the statement that took it was sent. A worker cut off from
the database keeps what it holds only until then; its requests end first.

:class:`SharedBudget` is one account's budget as a :class:`refund_adapters._pacing.Limiter`: give
it to the NetSuite client where a ``ConcurrencyLimiter`` would go. Within a process, requests
waiting for a slot queue in order, and one of them at a time asks the database (a release, here
or in another process, is announced with ``NOTIFY``; a slot freed by a session that died or a
lease that ran out is found by asking again every ``poll_s``).

Throughput and fairness: a request that ends while another of its process waits hands its slot
straight over (no round trip), for up to ``turn_s`` after the slot was taken. Then the slot goes
back to the database, and its process waits ``yield_s`` before asking again, so that a process
that was waiting (told by ``NOTIFY``) takes it first: every process gets its share within a few
turns, and a slot idles at most ``yield_s`` per turn when nobody else wants it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import secrets
import time
from typing import Any

import attrs
import psycopg
from psycopg import sql

import refund_core as rc

from ._listen import Listener
from ._schema import LOCK_CLASS
from ._store import DEFAULT_SCHEMA, PostgresError, PostgresStore, check_schema, redact

__all__ = ["BudgetDeadlineError", "PostgresBudgets", "SharedBudget", "budget_channel"]

log = logging.getLogger("refund_sync.postgres")


def budget_channel(schema: str) -> str:
    """The ``NOTIFY`` channel on which freed slots of ``schema`` are announced."""
    return f"{schema}.budget"


class BudgetDeadlineError(rc.RefundSyncError, TimeoutError):
    """A request held its slot until just before the slot's lease ran out, and was cut off.

    Raised so that no request is ever in flight under a slot another process may take. The
    engine retries it like any timeout (a write is looked up by its external ID first).
    """

    error_code = "budget_deadline"


@attrs.frozen
class _Taken:
    """A slot taken: which, under what token, and when (this process's clock) it was asked.

    Until ``turn_ends`` it may be handed from one request of this process to the next.
    """

    slot: int
    token: str
    asked: float
    turn_ends: float


@attrs.define
class _Target:
    """One budget's waiters in this process, and the task asking the database for them."""

    limit: int
    waiters: collections.deque[asyncio.Future[_Taken]] = attrs.field(factory=collections.deque)
    wake: asyncio.Event = attrs.field(factory=asyncio.Event)
    pump: asyncio.Task[None] | None = None
    slots_made: int = 0
    #: Do not ask for a slot before this (this process's clock): another process's turn.
    hold_off_until: float = 0.0


class PostgresBudgets:
    """Every budget of this process, on one connection of its own; an async context manager.

    ``slot_lease_s`` is how long a slot stays taken without being freed (default 120 s, past
    the HTTP clients' timeouts); ``deadline_margin_s`` how long before it a request is cut off.
    The schema is migrated first if it is behind. ``listener`` (optional) is the process's
    :class:`Listener`; without one, the budgets listen on a connection of their own.
    """

    def __init__(
        self,
        url: str,
        *,
        schema: str = DEFAULT_SCHEMA,
        slot_lease_s: float = 120.0,
        deadline_margin_s: float = 10.0,
        poll_s: float = 0.2,
        turn_s: float = 1.0,
        yield_s: float = 0.01,
        listener: Listener | None = None,
    ) -> None:
        if not 0 < deadline_margin_s < slot_lease_s:
            raise rc.ConfigurationError(
                f"a slot's lease ({slot_lease_s} s) must be longer than the margin before it "
                f"({deadline_margin_s} s)"
            )
        self._url = url
        self.schema = check_schema(schema)
        self.slot_lease_s = slot_lease_s
        self.deadline_s = slot_lease_s - deadline_margin_s
        self._poll_s = poll_s
        self._turn_s = turn_s
        self._yield_s = yield_s
        self._listener = listener
        self._own_listener = listener is None
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._session_key = 0
        self._targets: dict[str, _Target] = {}
        self._budgets: dict[str, SharedBudget] = {}
        self._holder = secrets.token_hex(6)
        self._serial = 0

    @property
    def channel(self) -> str:
        """Where freed slots are announced."""
        return budget_channel(self.schema)

    async def __aenter__(self) -> PostgresBudgets:
        # Migrate (or check) the schema on a store's connection, in a thread: it blocks.
        await asyncio.to_thread(lambda: PostgresStore(self._url, schema=self.schema).close())
        try:
            self._conn = await psycopg.AsyncConnection.connect(
                self._url,
                autocommit=True,
                connect_timeout=10,
                application_name="refund-sync budgets",
                keepalives=1,
                keepalives_idle=10,
                keepalives_interval=5,
                keepalives_count=3,
            )
            await self._conn.execute("SET TIME ZONE 'UTC'")
            await self._conn.execute(
                sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema))
            )
            self._session_key = await self._take_key(self._conn)
            if self._listener is None:
                self._listener = Listener(self._url, poll_s=self._poll_s)
                await self._listener.__aenter__()
        except psycopg.Error as exc:
            await self.aclose()
            raise self._error("open the budgets", exc) from exc
        self._listener.subscribe(self.channel, self._freed)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop every queue, then close: every slot this process still holds is freed."""
        for target in self._targets.values():
            if target.pump is not None:
                target.pump.cancel()
            while target.waiters:
                target.waiters.popleft().cancel()
        if self._own_listener and self._listener is not None:
            await self._listener.aclose()
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    def budget(self, target: str, limit: int) -> SharedBudget:
        """The shared budget ``target`` (e.g. ``netsuite:1234567_SB1``) of ``limit`` slots.

        Every process asking for one target with one limit shares it. Processes configured with
        different limits use slots ``0 .. limit - 1`` each: the requests in flight never
        exceed the largest limit configured.
        """
        if limit < 1:
            raise rc.ConfigurationError(f"a budget needs at least one slot, not {limit}")
        found = self._budgets.get(target)
        if found is None or found.limit != limit:
            found = SharedBudget(self, target, limit)
            self._budgets[target] = found
        return found

    async def in_flight(self) -> dict[str, int]:
        """Slots held now, by target, across every process (live holders, unexpired leases)."""
        rows = await self._fetch(
            "count the slots in use",
            "SELECT target, COUNT(*) FROM budget_slots WHERE holder IS NOT NULL "
            "AND expires_at > now() AND session_alive(session_key, %s) GROUP BY target",
            (self._session_key,),
        )
        return {str(target): int(n) for target, n in rows}

    # -- taking and freeing slots ------------------------------------------------------------

    async def take(self, target: str, limit: int) -> _Taken:
        """Wait for a slot of ``target``: the slot, its token, and when it was asked for."""
        queue = self._targets.get(target)
        if queue is None:
            queue = self._targets[target] = _Target(limit)
        queue.limit = limit
        waiter: asyncio.Future[_Taken] = asyncio.get_running_loop().create_future()
        queue.waiters.append(waiter)
        if queue.pump is None or queue.pump.done():
            queue.pump = asyncio.create_task(self._pump(target, queue), name=f"budget {target}")
        return await waiter

    async def done_with(self, target: str, taken: _Taken) -> None:
        """A request ended: hand its slot to the next one waiting here, or give it back."""
        queue = self._targets.get(target)
        turn_over = time.monotonic() >= taken.turn_ends
        if queue is not None and not turn_over:
            while queue.waiters:
                waiter = queue.waiters.popleft()
                if not waiter.done():
                    waiter.set_result(taken)
                    return
        if queue is not None and turn_over and queue.waiters:
            # Others may be waiting in other processes: let them take it first.
            queue.hold_off_until = time.monotonic() + self._yield_s
        await self.give(target, taken.slot, taken.token)

    async def give(self, target: str, slot: int, token: str) -> None:
        """Free a slot taken under ``token`` and announce it (a no-op if it was taken over)."""
        queue = self._targets.get(target)
        if queue is not None:
            queue.wake.set()  # a waiter here may take it at once, without the round trip
        try:
            await self._fetch(
                "free a slot",
                "WITH freed AS (UPDATE budget_slots SET holder = NULL, session_key = NULL, "
                "expires_at = NULL WHERE target = %s AND slot = %s AND holder = %s "
                "RETURNING target) SELECT pg_notify(%s, target) FROM freed",
                (target, slot, token, self.channel),
            )
        except PostgresError as exc:
            # Its holder's session ending or its lease running out frees it all the same.
            log.warning("could not free slot %d of %s: %s", slot, target, exc)

    def _freed(self, payload: str | None) -> None:
        if payload is None:
            for every in self._targets.values():
                every.wake.set()
            return
        found = self._targets.get(payload)
        if found is not None:
            found.wake.set()

    async def _pump(self, target: str, queue: _Target) -> None:
        """Ask the database for slots while requests wait here, one question at a time."""
        while True:
            while queue.waiters and queue.waiters[0].done():
                queue.waiters.popleft()  # its request was cancelled while it waited
            if not queue.waiters:
                return
            pause = queue.hold_off_until - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
                continue
            queue.wake.clear()
            try:
                if queue.slots_made < queue.limit:
                    await self._make_slots(target, queue.limit)
                    queue.slots_made = queue.limit
                taken = await self._try_take(target, queue.limit)
            except PostgresError as exc:
                while queue.waiters:
                    waiter = queue.waiters.popleft()
                    if not waiter.done():
                        waiter.set_exception(exc)
                return
            if taken is not None:
                while queue.waiters and queue.waiters[0].done():
                    queue.waiters.popleft()
                if queue.waiters:
                    queue.waiters.popleft().set_result(taken)
                else:
                    await self.give(target, taken.slot, taken.token)
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_s):
                    await queue.wake.wait()

    async def _make_slots(self, target: str, limit: int) -> None:
        await self._fetch(
            "make the slots",
            "INSERT INTO budget_slots (target, slot) SELECT %s, generate_series(0, %s - 1) "
            "ON CONFLICT (target, slot) DO NOTHING",
            (target, limit),
        )

    async def _try_take(self, target: str, limit: int) -> _Taken | None:
        self._serial += 1
        token = f"{self._holder}-{self._serial}"
        asked = time.monotonic()  # before the server's now() that starts the slot's lease
        rows = await self._fetch(
            "take a slot",
            "UPDATE budget_slots SET holder = %s, session_key = %s, "
            "expires_at = now() + make_interval(secs => %s) "
            "WHERE (target, slot) = (SELECT target, slot FROM budget_slots "
            "WHERE target = %s AND slot < %s AND (holder IS NULL OR expires_at <= now() "
            "OR NOT session_alive(session_key, %s)) "
            "ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING slot",
            (token, self._session_key, self.slot_lease_s, target, limit, self._session_key),
        )
        return _Taken(int(rows[0][0]), token, asked, asked + self._turn_s) if rows else None

    # -- plumbing ----------------------------------------------------------------------------

    async def _take_key(self, conn: psycopg.AsyncConnection[Any]) -> int:
        for _ in range(64):
            key = secrets.randbits(31)
            cursor = await conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, key))
            row = await cursor.fetchone()
            if row is not None and row[0]:
                return key
        raise RuntimeError("no free session key after 64 draws")  # 2**31 keys: never

    def _error(self, operation: str, exc: BaseException) -> PostgresError:
        where = f"{redact(self._url)} (schema {self.schema})"
        first = str(exc).strip().splitlines()
        return PostgresError(
            f"{where}: {operation} failed: {first[0] if first else type(exc).__name__}",
            where=where,
            operation=operation,
        )

    async def _fetch(
        self, operation: str, query: str, params: tuple[object, ...]
    ) -> list[tuple[Any, ...]]:
        if self._conn is None:
            raise PostgresError(
                f"budgets: cannot {operation}: not open",
                where=redact(self._url),
                operation=operation,
            )
        try:
            cursor = await self._conn.execute(query, params)
            return await cursor.fetchall() if cursor.description is not None else []
        except psycopg.Error as exc:
            raise self._error(operation, exc) from exc


class SharedBudget:
    """One NetSuite account's budget, as a :class:`refund_adapters._pacing.Limiter`.

    ``in_flight`` and ``peak_in_flight`` count this process's requests under it.
    """

    def __init__(self, budgets: PostgresBudgets, target: str, limit: int) -> None:
        self._budgets = budgets
        self.target = target
        self.limit = limit
        self.in_flight = 0
        self.peak_in_flight = 0
        self._held: dict[asyncio.Task[Any] | None, tuple[_Taken, asyncio.Timeout]] = {}

    def __repr__(self) -> str:
        return f"SharedBudget({self.target!r}, limit={self.limit})"

    async def __aenter__(self) -> None:
        taken = await self._budgets.take(self.target, self.limit)
        # The deadline counts from before the slot was taken: it ends before the slot's lease.
        guard = asyncio.timeout_at(
            asyncio.get_running_loop().time() + self._budgets.deadline_s - _since(taken.asked)
        )
        await guard.__aenter__()
        self._held[asyncio.current_task()] = (taken, guard)
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    async def __aexit__(self, *exc: Any) -> None:
        taken, guard = self._held.pop(asyncio.current_task())
        self.in_flight -= 1
        try:
            await guard.__aexit__(*exc)
        except TimeoutError as timeout:
            held = _since(taken.asked)
            raise BudgetDeadlineError(
                f"a request to {self.target} was still in flight after {held:.0f} s, just "
                "before its slot's lease ran out; it was cut off so that no other worker's "
                "request shares its slot"
            ) from timeout
        finally:
            # Shielded: a cancellation arriving now must not keep the slot taken.
            await asyncio.shield(self._budgets.done_with(self.target, taken))


def _since(moment: float) -> float:
    return time.monotonic() - moment
