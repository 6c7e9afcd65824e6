"""HTTP plumbing every adapter shares: bounded retries, concurrency and rate limits, typed errors.

Adapters differ in what they retry (Stripe's ``Stripe-Should-Retry``, NetSuite's concurrency
errors, Shopify's THROTTLED) but not in how: :func:`send` builds the request afresh on every
attempt (so OAuth signatures, nonces and timestamps are new each time), waits a jittered
exponential backoff that is never shorter than the server's ``Retry-After``, and gives up after a
bounded number of attempts with a :class:`UpstreamUnavailableError` the engine can retry later.
A ``Retry-After`` longer than the policy allows (:attr:`RetryPolicy.max_retry_after_s`) is not
slept through: the call gives up at once, and the error carries the advised wait.

Errors (every httpx exception is translated here, chained with ``raise ... from``)::

    refund_core.RefundSyncError
    └── UpstreamError                    service, status, code, request_id
        ├── UpstreamRejectedError        4xx; also a refund_core.InvalidInputError
        │   ├── UpstreamNotFoundError    404; also a LookupError
        │   └── UnsendableRequestError   a value (an ID, a token) HTTP cannot carry
        ├── UpstreamAuthError            401/403; also a PermissionError
        └── UpstreamUnavailableError     retries ran out, the wait asked for is too long, the
                                         connection failed, or the answer could not be read
                                         (also a ConnectionError); retry_after_s

Only IDs, methods, paths, status codes and timings are logged: never headers, query strings or
bodies (they carry tokens, signatures and customer data).
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

import attrs
import httpx
import tenacity

import refund_core as rc

__all__ = [
    "ConcurrencyLimiter",
    "Limiter",
    "PacingError",
    "RatePacer",
    "RetryAdvice",
    "RetryPolicy",
    "UnsendableRequestError",
    "UpstreamAuthError",
    "UpstreamError",
    "UpstreamNotFoundError",
    "UpstreamRejectedError",
    "UpstreamUnavailableError",
    "check_seconds",
    "default_advice",
    "retry_after_seconds",
    "send",
]

log = logging.getLogger("refund_sync.http")

Sleep = Callable[[float], Awaitable[None]]


class UpstreamError(rc.RefundSyncError):
    """A vendor API answered with an error (or not at all); says which, where and why.

    ``reason`` is the message alone, without the service name and the status details.
    """

    def __init__(
        self,
        message: str,
        *,
        service: str,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        details = ", ".join(
            part
            for part in (
                f"HTTP {status}" if status is not None else "",
                f"code {code}" if code else "",
                f"request {request_id}" if request_id else "",
            )
            if part
        )
        super().__init__(f"{service}: {message}" + (f" ({details})" if details else ""))
        self.reason = message
        self.service = service
        self.status = status
        # The vendor's own error code for this answer (None when it gave none); our own name
        # for the kind of failure is the class's ``error_code``.
        self.code = code
        self.request_id = request_id


class UpstreamRejectedError(UpstreamError, rc.InvalidInputError):
    """The vendor refused the request as invalid (4xx); repeating it unchanged cannot help."""


class UpstreamNotFoundError(UpstreamRejectedError, LookupError):
    """The vendor has no such resource (404)."""


class UnsendableRequestError(UpstreamRejectedError):
    """A request could not be built: a value in it holds text a URL or header cannot carry.

    Often a value a vendor answered with (an ID, a token); repeating the request cannot help.
    """

    error_code = "unsendable_request"


class UpstreamAuthError(UpstreamError, PermissionError):
    """Credentials were refused (401/403): a configuration problem that stops the run."""


class UpstreamUnavailableError(UpstreamError, ConnectionError):
    """Retries ran out on 429/5xx or on connection failures; worth trying again later.

    ``retry_after_s`` is the wait the vendor last advised (``Retry-After``), when it gave one.
    """

    def __init__(
        self,
        message: str,
        *,
        service: str,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        if retry_after_s is not None:
            message = f"{message}; the server asked to wait {retry_after_s:g} s"
        super().__init__(message, service=service, status=status, code=code, request_id=request_id)
        self.retry_after_s = retry_after_s


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


def _seconds(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    check_seconds(attribute.name, value)


def _at_least_one(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise rc.ConfigurationError(
            f"{attribute.name} must be a whole number from 1, got {value!r}"
        )


@attrs.frozen
class RetryPolicy:
    """How hard :func:`send` tries: attempts in all, and the backoff's base and cap.

    Every number is checked: a NaN, infinite or negative delay is a
    :class:`refund_core.ConfigurationError`, never a wait without end.
    """

    max_attempts: int = attrs.field(default=5, validator=_at_least_one)
    base_delay_s: float = attrs.field(default=0.25, validator=_seconds)
    max_delay_s: float = attrs.field(default=20.0, validator=_seconds)
    #: The longest ``Retry-After`` worth waiting for inside one call. A longer one (a server
    #: asking for minutes or a day) ends the call at once with the advised wait in the error,
    #: so a run is never parked for hours; the engine tries the work again later.
    max_retry_after_s: float = attrs.field(default=60.0, validator=_seconds)
    #: Retry when the connection fails or drops. Safe for reads and for writes that carry an
    #: idempotency key; a write without one must look for its own effect before repeating.
    retry_transport_errors: bool = True


@attrs.frozen
class RetryAdvice:
    """What a response means for retrying: retry or not, and at the earliest after how long."""

    retry: bool
    delay_s: float | None = None


NO_RETRY = RetryAdvice(retry=False)


def retry_after_seconds(response: httpx.Response, *, now: datetime | None = None) -> float | None:
    """The ``Retry-After`` header as seconds (delta-seconds or an HTTP date), if present."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # "nan" is no wait at all; "inf" or "1e999" is a wait too long to honour (send() gives up).
        return None if math.isnan(seconds) else max(0.0, seconds)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def default_advice(response: httpx.Response) -> RetryAdvice:
    """Retry 429 and 5xx (after ``Retry-After`` when given); never other statuses."""
    if response.status_code == 429 or response.status_code >= 500:
        return RetryAdvice(retry=True, delay_s=retry_after_seconds(response))
    return NO_RETRY


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


class RatePacer:
    """A token bucket: ``rate`` tokens per second, holding at most ``burst``.

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
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = burst
        self._stamp = clock()
        self.waited_s = 0.0

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    @property
    def rate(self) -> float:
        """Tokens per second."""
        return self._rate

    @rate.setter
    def rate(self, value: float) -> None:
        self._rate = check_seconds("the pacer's rate", value, positive=True)

    @property
    def burst(self) -> float:
        """The most tokens the bucket holds."""
        return self._burst

    @burst.setter
    def burst(self, value: float) -> None:
        self._burst = check_seconds("the pacer's burst", value, positive=True)

    async def acquire(self, cost: float = 1.0) -> None:
        """Wait until ``cost`` tokens are available and take them (bounded, see the class)."""
        cost = min(check_seconds("a pacer cost", cost), self.burst)
        waited = 0.0
        for _ in range(self.max_rounds):
            self._refill()
            # A hair of tolerance: with a simulated clock, float rounding can leave the bucket a
            # few ulps short forever (the missing wait is below the clock's resolution).
            if self._tokens >= cost - 1e-9:
                self._tokens -= cost
                return
            wait = (cost - self._tokens) / self.rate
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
        available = check_seconds("the bucket's available tokens", available)
        if burst is not None:
            self.burst = burst
        if rate is not None:
            self.rate = rate
        self._refill()
        self._tokens = min(self.burst, available)

    def pause(self, seconds: float) -> None:
        """Empty the bucket so the next ``acquire`` waits at least ``seconds`` (after a 429)."""
        seconds = check_seconds("a pacer pause", seconds)
        self._refill()
        self._tokens = -min(seconds, self.max_wait_s) * self.rate


class PacingError(rc.RefundSyncError, TimeoutError):
    """A pacer would wait longer than it may (or its clock does not move): stop, never spin."""

    error_code = "pacing"


class _RetryableStatus(Exception):  # noqa: N818 - internal signal, never escapes send()
    def __init__(self, response: httpx.Response, delay_s: float | None) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        self.delay_s = delay_s


class _WaitTooLong(_RetryableStatus):
    """A retryable answer whose ``Retry-After`` exceeds the policy: give up, do not sleep."""


def _request_id(response: httpx.Response) -> str | None:
    for header in ("request-id", "x-request-id", "x-amzn-requestid", "x-shopify-request-id"):
        if header in response.headers:
            return str(response.headers[header])
    return None


async def send(
    client: httpx.AsyncClient,
    build: Callable[[], httpx.Request],
    *,
    service: str,
    policy: RetryPolicy = RetryPolicy(),
    advise: Callable[[httpx.Response], RetryAdvice] = default_advice,
    limiter: Limiter | None = None,
    pacer: RatePacer | None = None,
    sleep: Sleep = asyncio.sleep,
    describe: Callable[[httpx.Response], UpstreamError] | None = None,
) -> httpx.Response:
    """Send ``build()``, retrying as ``advise`` and ``policy`` say; return the final response.

    A response ``advise`` does not retry is returned whatever its status (the adapter maps it to
    its own errors). When the attempts run out on retryable responses, or the server asks for a
    wait longer than ``policy.max_retry_after_s``, raises :class:`UpstreamUnavailableError`
    naming the last status, request ID and advised wait; ``describe`` (the adapter's own reading
    of an error answer) adds the vendor's error code and message, and becomes the cause.
    Connection failures, undecodable answers and redirect loops are translated too.
    """
    backoff = tenacity.wait_random_exponential(
        multiplier=policy.base_delay_s, max=policy.max_delay_s
    )

    def wait(state: tenacity.RetryCallState) -> float:
        delay = backoff(state)
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, _RetryableStatus) and exc.delay_s is not None:
            delay = max(delay, exc.delay_s)
        return float(delay)

    retry_on: tuple[type[BaseException], ...] = (_RetryableStatus,)
    if policy.retry_transport_errors:
        retry_on = (_RetryableStatus, httpx.TransportError)

    async def attempt() -> httpx.Response:
        try:
            request = build()
        except (UnicodeError, httpx.InvalidURL) as exc:
            # A value taken from an answer (an ID, a token) holds text HTTP cannot carry.
            raise UnsendableRequestError(
                f"the request cannot be sent: {type(exc).__name__}: {exc}", service=service
            ) from exc
        if pacer is not None:
            await pacer.acquire()
        started = time.perf_counter()
        if limiter is not None:
            async with limiter:
                response = await client.send(request)
        else:
            response = await client.send(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.debug(
            "%s %s %s -> %d in %.0f ms (request %s)",
            service,
            request.method,
            request.url.path,
            response.status_code,
            elapsed_ms,
            _request_id(response) or "-",
        )
        advice = advise(response)
        if advice.retry:
            await response.aread()
            if advice.delay_s is not None and advice.delay_s > policy.max_retry_after_s:
                raise _WaitTooLong(response, advice.delay_s)
            raise _RetryableStatus(response, advice.delay_s)
        return response

    def retryable(exc: BaseException) -> bool:
        return isinstance(exc, retry_on) and not isinstance(exc, _WaitTooLong)

    retrying = tenacity.AsyncRetrying(
        stop=tenacity.stop_after_attempt(policy.max_attempts),
        wait=wait,
        retry=tenacity.retry_if_exception(retryable),
        sleep=sleep,
        reraise=True,
        before_sleep=lambda state: log.info(
            "%s: attempt %d failed, retrying", service, state.attempt_number
        ),
    )
    try:
        return await retrying(attempt)
    except _RetryableStatus as exc:
        described = describe(exc.response) if describe is not None else None
        raise _gave_up(exc, policy, service, described) from (described or exc)
    except httpx.TransportError as exc:
        raise UpstreamUnavailableError(
            f"connection failed ({type(exc).__name__}: {exc})", service=service
        ) from exc
    except httpx.DecodingError as exc:
        raise UpstreamUnavailableError(
            f"the answer could not be decoded ({type(exc).__name__}: {exc})", service=service
        ) from exc
    except httpx.TooManyRedirects as exc:
        raise UpstreamUnavailableError(
            f"too many redirects from {exc.request.method} {exc.request.url.path}",
            service=service,
        ) from exc
    except httpx.RequestError as exc:  # any other httpx request failure: still ours to name
        raise UpstreamUnavailableError(
            f"request failed ({type(exc).__name__}: {exc})", service=service
        ) from exc


def _gave_up(
    signal: _RetryableStatus,
    policy: RetryPolicy,
    service: str,
    described: UpstreamError | None,
) -> UpstreamUnavailableError:
    """The give-up error for the last retryable answer, with the vendor's code and words."""
    response = signal.response
    if isinstance(signal, _WaitTooLong):
        why = f"gave up at once: a wait over {policy.max_retry_after_s:g} s is not slept through"
    else:
        why = f"gave up after {policy.max_attempts} attempts"
    if described is not None:
        why = f"{why} ({described.reason})"
    return UpstreamUnavailableError(
        why,
        service=service,
        status=response.status_code,
        code=described.code if described is not None else None,
        request_id=_request_id(response),
        retry_after_s=signal.delay_s,
    )
