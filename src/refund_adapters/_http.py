"""HTTP plumbing every adapter shares: the one retry policy, and typed errors.

This is the only place anything is retried on a timer. Adapters differ in *what* they retry
(Stripe's ``Stripe-Should-Retry``, NetSuite's concurrency errors, Shopify's THROTTLED: each
passes its ``advise``) but not in *how*: :func:`send` builds the request afresh on every
attempt (so OAuth signatures, nonces and timestamps are new each time), waits a jittered
exponential backoff that is never shorter than the server's ``Retry-After``, and gives up with
a :class:`UpstreamUnavailableError` naming the method, the URL (without its query string), the
attempts made and the time spent. Above it, nobody retries: the engine decides what to do with
the error (a write's event is set aside, retried by a later run; a failed read stops the pass).

The bounds of one call (:class:`RetryPolicy`): at most ``max_attempts`` attempts; no wait is
begun that would take the attempts and waits so far past ``max_elapsed_s``, so a call ends
within ``max_elapsed_s`` plus one request's own timeout (the ``httpx`` client's); a
``Retry-After`` longer than ``max_retry_after_s`` is not slept through at all: the call gives up
at once, and the error carries the advised wait. Retrying a write is the adapter's choice per
call: only calls that are safe to repeat (reads, writes with an idempotency key) retry dropped
connections (``retry_transport_errors``). Rate and concurrency limits are
:mod:`refund_adapters._pacing`'s.

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

Only IDs, methods, hosts, paths, status codes and timings are logged or put in errors: never
headers, query strings or bodies (they carry tokens, signatures and customer data).
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import attrs
import httpx
import tenacity

import refund_core as rc

from ._pacing import Limiter, RatePacer, check_seconds

__all__ = [
    "RetryAdvice",
    "RetryPolicy",
    "UnsendableRequestError",
    "UpstreamAuthError",
    "UpstreamError",
    "UpstreamNotFoundError",
    "UpstreamRejectedError",
    "UpstreamUnavailableError",
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


def _seconds(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    check_seconds(attribute.name, value)


def _at_least_one(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise rc.ConfigurationError(
            f"{attribute.name} must be a whole number from 1, got {value!r}"
        )


@attrs.frozen
class RetryPolicy:
    """How hard :func:`send` tries: attempts and time in all, and the backoff's base and cap.

    A call makes at most ``max_attempts`` attempts and begins no wait that would take it past
    ``max_elapsed_s`` (attempts and waits counted), so it ends within ``max_elapsed_s`` plus one
    request's timeout. Every number is checked: a NaN, infinite or negative delay is a
    :class:`refund_core.ConfigurationError`, never a wait without end.
    """

    max_attempts: int = attrs.field(default=5, validator=_at_least_one)
    #: The time one call may spend on attempts and waits before it gives up.
    max_elapsed_s: float = attrs.field(default=120.0, validator=_seconds)
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


@attrs.define
class _Effort:
    """What one :func:`send` has spent so far: attempts, seconds (attempts and waits), where."""

    attempts: int = 0
    spent_s: float = 0.0
    target: str = ""

    def summary(self) -> str:
        """``4 attempts in 3.2 s``."""
        plural = "" if self.attempts == 1 else "s"
        return f"{self.attempts} attempt{plural} in {self.spent_s:.1f} s"


def _target(request: httpx.Request) -> str:
    """``GET https://host:port/path``: the method and URL without query string or credentials."""
    url = request.url
    return f"{request.method} {url.scheme}://{url.netloc.decode('ascii', 'replace')}{url.path}"


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
    its own errors). When the attempts or the time run out on retryable responses, or the server
    asks for a wait longer than ``policy.max_retry_after_s``, raises
    :class:`UpstreamUnavailableError` naming the request, the attempts and time spent, the last
    status, request ID and advised wait; ``describe`` (the adapter's own reading of an error
    answer) adds the vendor's error code and message, and becomes the cause. Connection
    failures, undecodable answers and redirect loops are translated too, naming the request.
    """
    backoff = tenacity.wait_random_exponential(
        multiplier=policy.base_delay_s, max=policy.max_delay_s
    )
    effort = _Effort()

    def wait(state: tenacity.RetryCallState) -> float:
        delay = backoff(state)
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, _RetryableStatus) and exc.delay_s is not None:
            delay = max(delay, exc.delay_s)
        return float(delay)

    def out_of_effort(state: tenacity.RetryCallState) -> bool:
        # Counted by hand, not by tenacity's clock: ``sleep`` may be a test's recorder.
        if state.attempt_number >= policy.max_attempts:
            return True
        return effort.spent_s + state.upcoming_sleep > policy.max_elapsed_s

    def slept(state: tenacity.RetryCallState) -> None:
        effort.spent_s += state.upcoming_sleep
        log.info("%s: attempt %d failed, retrying", service, state.attempt_number)

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
        effort.attempts += 1
        effort.target = _target(request)
        if pacer is not None:
            await pacer.acquire()
        started = time.perf_counter()
        try:
            if limiter is not None:
                async with limiter:
                    response = await client.send(request)
            else:
                response = await client.send(request)
        finally:
            effort.spent_s += time.perf_counter() - started
        log.debug(
            "%s %s %s -> %d in %.0f ms (request %s)",
            service,
            request.method,
            request.url.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
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
        stop=out_of_effort,
        wait=wait,
        retry=tenacity.retry_if_exception(retryable),
        sleep=sleep,
        reraise=True,
        before_sleep=slept,
    )
    try:
        return await retrying(attempt)
    except _RetryableStatus as exc:
        described = describe(exc.response) if describe is not None else None
        raise _gave_up(exc, policy, service, effort, described) from (described or exc)
    except httpx.TransportError as exc:
        raise UpstreamUnavailableError(
            f"{effort.target}: connection failed after {effort.summary()} "
            f"({type(exc).__name__}: {exc})",
            service=service,
        ) from exc
    except httpx.DecodingError as exc:
        raise UpstreamUnavailableError(
            f"{effort.target}: the answer could not be decoded ({type(exc).__name__}: {exc})",
            service=service,
        ) from exc
    except httpx.TooManyRedirects as exc:
        raise UpstreamUnavailableError(
            f"too many redirects from {_target(exc.request)}", service=service
        ) from exc
    except httpx.RequestError as exc:  # any other httpx request failure: still ours to name
        raise UpstreamUnavailableError(
            f"{effort.target}: request failed ({type(exc).__name__}: {exc})", service=service
        ) from exc


def _gave_up(
    signal: _RetryableStatus,
    policy: RetryPolicy,
    service: str,
    effort: _Effort,
    described: UpstreamError | None,
) -> UpstreamUnavailableError:
    """The give-up error for the last retryable answer, with the vendor's code and words."""
    response = signal.response
    if isinstance(signal, _WaitTooLong):
        why = f"gave up at once: a wait over {policy.max_retry_after_s:g} s is not slept through"
    elif effort.attempts >= policy.max_attempts:
        why = f"gave up after {effort.summary()}"
    else:
        why = (
            f"gave up after {effort.summary()}: the next wait would pass the "
            f"{policy.max_elapsed_s:g} s a call may take"
        )
    if described is not None:
        why = f"{why} ({described.reason})"
    return UpstreamUnavailableError(
        f"{effort.target}: {why}",
        service=service,
        status=response.status_code,
        code=described.code if described is not None else None,
        request_id=_request_id(response),
        retry_after_s=signal.delay_s,
    )
