"""Limits on how much and how fast: a concurrency limiter and one token bucket.

Both sides of a vendor's rate limit use the same :class:`TokenBucket`: an adapter paces itself
with a :class:`RatePacer` (it waits for tokens before sending), and a stand-in enforces the
vendor's documented limit with a bare bucket (it takes a token or refuses the request). A
:class:`ConcurrencyLimiter` bounds the requests in flight (NetSuite's per-account limit; the
engine's per-target write slots).

Every number is checked (:func:`check_seconds`): a NaN, infinite or negative rate, cost or
wait is a :class:`refund_core.ConfigurationError`, never a wait without end. Nothing here sends
a request: the engine uses the limiter without depending on the HTTP layer.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

import refund_core as rc

__all__ = [
    "ConcurrencyLimiter",
    "Limiter",
    "PacingError",
    "RatePacer",
    "TokenBucket",
    "check_seconds",
]

Sleep = Callable[[float], Awaitable[None]]


def check_seconds(what: str, value: object, *, positive: bool = False) -> float:
    """``value`` as a number of seconds (or a rate): finite and not negative, else a typed error.

    A NaN or infinite wait makes a loop spin or sleep forever; a negative one is meaningless.
    Raises :class:`refund_core.ConfigurationError` naming ``what``.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise rc.ConfigurationError(f"{what} must be a number, got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number) or number < 0 or (positive and number == 0):
        needed = "above 0" if positive else "0 or more"
        raise rc.ConfigurationError(f"{what} must be a finite number {needed}, got {value!r}")
    return number


@runtime_checkable
class Limiter(Protocol):
    """What bounds the requests in flight to one target: ``async with limiter:`` around each.

    :class:`ConcurrencyLimiter` bounds one process; a limiter shared by every process writing to
    one NetSuite account (``refund_adapters.postgres.SharedBudget``) bounds them all. Anything
    with these two methods fits where an adapter takes a ``limiter``.
    """

    async def __aenter__(self) -> None:
        """Wait for room, then take it for one request."""
        ...

    async def __aexit__(self, *exc: object) -> None:
        """Give the room back."""
        ...


class ConcurrencyLimiter:
    """At most ``limit`` requests in flight, shared by every request an adapter sends.

    Usable across several event loops one after the other (each ``asyncio.run`` gets a fresh
    semaphore), because the sync entry points of the engine run one loop per call.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise rc.ConfigurationError(f"concurrency limit must be at least 1, got {limit}")
        self.limit = limit
        self._loop: asyncio.AbstractEventLoop | None = None
        self._semaphore: asyncio.Semaphore | None = None
        self.in_flight = 0
        self.peak_in_flight = 0

    def _current(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._loop is not loop:
            self._loop = loop
            self._semaphore = asyncio.Semaphore(self.limit)
        return self._semaphore

    async def __aenter__(self) -> None:
        await self._current().acquire()
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    async def __aexit__(self, *exc: object) -> None:
        self.in_flight -= 1
        self._current().release()


class TokenBucket:
    """``rate`` tokens per second, holding at most ``burst``; full at first unless told.

    ``available`` is the tokens held as of the last :meth:`refill` (every method that takes or
    measures tokens refills first), so a stand-in can report it without the clock moving it.
    The clock is a parameter, so tests and stand-ins run on simulated time.
    """

    def __init__(
        self,
        rate: float,
        burst: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        available: float | None = None,
    ) -> None:
        self._rate = check_seconds("the bucket's rate", rate, positive=True)
        self._burst = check_seconds("the bucket's burst", burst, positive=True)
        self._clock = clock
        self.available = self._burst if available is None else available
        self._stamp = clock()

    @property
    def rate(self) -> float:
        """Tokens per second."""
        return self._rate

    @rate.setter
    def rate(self, value: float) -> None:
        self._rate = check_seconds("the bucket's rate", value, positive=True)

    @property
    def burst(self) -> float:
        """The most tokens the bucket holds."""
        return self._burst

    @burst.setter
    def burst(self, value: float) -> None:
        self._burst = check_seconds("the bucket's burst", value, positive=True)

    def refill(self) -> None:
        """Add the tokens earned since the last refill, up to the burst."""
        now = self._clock()
        self.available = min(self.burst, self.available + (now - self._stamp) * self.rate)
        self._stamp = now

    def take(self, cost: float = 1.0, *, slack: float = 0.0) -> bool:
        """Take ``cost`` tokens if the bucket holds them (give or take ``slack``); else False.

        ``slack`` absorbs float rounding of a simulated clock, which can leave a bucket a few
        ulps short forever.
        """
        self.refill()
        if self.available + slack >= cost:
            self.available -= cost
            return True
        return False

    def update(
        self, *, available: float, rate: float | None = None, burst: float | None = None
    ) -> None:
        """Take the server's own account of the bucket (e.g. Shopify's ``throttleStatus``)."""
        available = check_seconds("the bucket's available tokens", available)
        if burst is not None:
            self.burst = burst
        if rate is not None:
            self.rate = rate
        self.refill()
        self.available = min(self.burst, available)

    def owe(self, seconds: float, *, ceiling_s: float) -> None:
        """Empty the bucket so the next tokens come ``seconds`` from now (at most ``ceiling_s``)."""
        seconds = check_seconds("a pacer pause", seconds)
        self.refill()
        self.available = -min(seconds, ceiling_s) * self.rate


class RatePacer:
    """A client's own pace: waits for a :class:`TokenBucket`'s tokens before each request.

    Amazon's SP-API documents per-operation rates and bursts; Shopify's GraphQL cost budget is a
    bucket too (``update`` sets it from ``throttleStatus``). The clock and sleep are injectable
    so tests run instantly.

    Bounded: every number it is given (rate, burst, cost, availability, pause) must be finite and
    not negative, or it raises :class:`refund_core.ConfigurationError` (a NaN from a server once
    made it spin forever); one ``acquire`` waits at most ``max_wait_s`` in all, then raises
    :class:`PacingError`.
    """

    #: The longest one ``acquire`` may wait, in all (an hour: far beyond any documented refill).
    max_wait_s = 3600.0
    #: Sleeps one ``acquire`` may take (a clock that does not move would otherwise never end it).
    max_rounds = 10_000

    def __init__(
        self,
        rate: float,
        burst: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        rate = check_seconds("the pacer's rate", rate, positive=True)
        burst = check_seconds("the pacer's burst", burst, positive=True)
        self.bucket = TokenBucket(rate, burst, clock=clock)
        self._sleep = sleep
        self.waited_s = 0.0

    @property
    def rate(self) -> float:
        """Tokens per second."""
        return self.bucket.rate

    @rate.setter
    def rate(self, value: float) -> None:
        self.bucket.rate = check_seconds("the pacer's rate", value, positive=True)

    @property
    def burst(self) -> float:
        """The most tokens the bucket holds."""
        return self.bucket.burst

    @burst.setter
    def burst(self, value: float) -> None:
        self.bucket.burst = check_seconds("the pacer's burst", value, positive=True)

    async def acquire(self, cost: float = 1.0) -> None:
        """Wait until ``cost`` tokens are available and take them (bounded, see the class)."""
        cost = min(check_seconds("a pacer cost", cost), self.burst)
        waited = 0.0
        for _ in range(self.max_rounds):
            if self.bucket.take(cost, slack=1e-9):
                return
            wait = (cost - self.bucket.available) / self.rate  # as of the refill just made
            if waited + wait > self.max_wait_s:
                raise PacingError(
                    f"the pacer would wait {waited + wait:.0f} s for {cost:g} tokens at "
                    f"{self.rate:g}/s, more than the {self.max_wait_s:g} s allowed"
                )
            waited += wait
            self.waited_s += wait
            await self._sleep(wait)
        raise PacingError(
            f"the pacer slept {self.max_rounds} times and the bucket never refilled "
            "(does the clock move?)"
        )

    def update(
        self, *, available: float, rate: float | None = None, burst: float | None = None
    ) -> None:
        """Take the server's own account of the bucket (e.g. Shopify's ``throttleStatus``)."""
        self.bucket.update(available=available, rate=rate, burst=burst)

    def pause(self, seconds: float) -> None:
        """Empty the bucket so the next ``acquire`` waits at least ``seconds`` (after a 429)."""
        self.bucket.owe(seconds, ceiling_s=self.max_wait_s)


class PacingError(rc.RefundSyncError, TimeoutError):
    """A pacer would wait longer than it may (or its clock does not move): stop, never spin."""

    error_code = "pacing"
