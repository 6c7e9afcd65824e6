"""Shared HTTP plumbing: Retry-After is bounded, give-ups keep their cause, httpx never leaks."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from refund_adapters._http import (
    RetryPolicy,
    UpstreamError,
    UpstreamUnavailableError,
    default_advice,
    send,
)
from refund_core import ConfigurationError
from tests.contracts._run import run

URL = "https://vendor.example/v1/things"

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """Waits the retry loop asked for, recorded instead of slept."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        """Record the wait."""
        self.delays.append(seconds)


def _send(
    handler: Handler,
    *,
    policy: RetryPolicy | None = None,
    sleep: Recorder | None = None,
    describe: Callable[[httpx.Response], UpstreamError] | None = None,
    **client: object,
) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.MockTransport(handler)
        async with httpx.AsyncClient(transport=transport, **client) as http:  # type: ignore[arg-type]
            extra = {} if describe is None else {"describe": describe}
            return await send(
                http,
                lambda: http.build_request("GET", URL),
                service="vendor",
                policy=policy or RetryPolicy(),
                advise=default_advice,
                sleep=sleep or Recorder(),
                **extra,
            )

    return run(go())


def _counting(*responses: httpx.Response) -> tuple[Handler, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return responses[min(len(seen), len(responses)) - 1]

    return handler, seen


def test_a_retry_after_beyond_the_cap_gives_up_at_once_with_the_advised_wait() -> None:
    """Retry-After: 86400 is not slept through: one attempt, and the error carries the wait."""
    handler, seen = _counting(httpx.Response(429, headers={"Retry-After": "86400"}))
    sleep = Recorder()
    with pytest.raises(UpstreamUnavailableError) as info:
        _send(handler, sleep=sleep)
    assert len(seen) == 1
    assert sleep.delays == []
    assert info.value.retry_after_s == 86400
    assert info.value.status == 429
    assert "86400 s" in str(info.value)


def test_a_retry_after_within_the_cap_is_waited_for() -> None:
    """A Retry-After under the default 60 s cap is honoured as the least wait, then retried."""
    handler, seen = _counting(
        httpx.Response(503, headers={"Retry-After": "45"}), httpx.Response(200, json={})
    )
    sleep = Recorder()
    assert _send(handler, sleep=sleep).status_code == 200
    assert len(seen) == 2
    (delay,) = sleep.delays
    assert delay >= 45


def test_the_cap_is_a_policy_field() -> None:
    """A stricter policy gives up on a Retry-After a looser one would wait for."""
    assert RetryPolicy().max_retry_after_s == 60
    handler, seen = _counting(httpx.Response(429, headers={"Retry-After": "10"}))
    with pytest.raises(UpstreamUnavailableError) as info:
        _send(handler, policy=RetryPolicy(max_retry_after_s=5))
    assert len(seen) == 1
    assert info.value.retry_after_s == 10


def test_giving_up_keeps_the_vendors_code_and_cause() -> None:
    """Retries run out: the vendor's reading of the last answer is the cause; its code stays."""
    handler, seen = _counting(httpx.Response(503, headers={"x-request-id": "r-9"}))

    def describe(response: httpx.Response) -> UpstreamError:
        return UpstreamUnavailableError(
            "the vendor is down", service="vendor", status=response.status_code, code="down"
        )

    with pytest.raises(UpstreamUnavailableError) as info:
        _send(handler, policy=RetryPolicy(max_attempts=3), describe=describe)
    assert len(seen) == 3
    assert (info.value.code, info.value.request_id, info.value.status) == ("down", "r-9", 503)
    assert "the vendor is down" in str(info.value)
    assert isinstance(info.value.__cause__, UpstreamUnavailableError)
    assert info.value.__cause__.code == "down"


def test_giving_up_without_a_describer_is_still_chained() -> None:
    """No ``from None``: the give-up names the last answer through its cause."""
    handler, _ = _counting(httpx.Response(500))
    with pytest.raises(UpstreamUnavailableError) as info:
        _send(handler, policy=RetryPolicy(max_attempts=2))
    assert info.value.__cause__ is not None
    assert "HTTP 500" in str(info.value.__cause__)
    assert info.value.__suppress_context__


def test_an_undecodable_answer_is_an_upstream_error() -> None:
    """A body that fails its Content-Encoding becomes our error, chained to httpx's."""
    # a stream, so the body is decoded when the client reads it, not when the test builds it
    garbled = httpx.ByteStream(b"not gzip at all")
    handler, seen = _counting(
        httpx.Response(200, headers={"Content-Encoding": "gzip"}, stream=garbled)
    )
    with pytest.raises(UpstreamUnavailableError, match="could not be decoded") as info:
        _send(handler)
    assert isinstance(info.value.__cause__, httpx.DecodingError)
    assert len(seen) == 1


def test_a_redirect_loop_is_an_upstream_error() -> None:
    """Too many redirects becomes our error, chained to httpx's, without retrying."""
    handler, seen = _counting(httpx.Response(302, headers={"Location": URL}))
    with pytest.raises(UpstreamUnavailableError, match="too many redirects") as info:
        _send(handler, follow_redirects=True, max_redirects=3)
    assert isinstance(info.value.__cause__, httpx.TooManyRedirects)
    assert len(seen) == 4


def test_a_connection_failure_is_retried_then_translated() -> None:
    """Transport errors are retried per policy, then become an unavailable error."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(UpstreamUnavailableError, match="connection failed") as info:
        _send(handler, policy=RetryPolicy(max_attempts=2))
    assert calls == 2
    assert isinstance(info.value.__cause__, httpx.ConnectError)


def test_a_connection_failure_names_the_request_attempts_and_time_never_the_query() -> None:
    """The give-up names method, scheme, host, port and path, and what it cost; no query string."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("All connection attempts failed", request=request)

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            await send(
                http,
                lambda: http.build_request("GET", "http://127.0.0.1:9/v1/refunds?key=sk_secret"),
                service="stripe",
                policy=RetryPolicy(max_attempts=3),
                sleep=Recorder(),
            )

    with pytest.raises(UpstreamUnavailableError) as info:
        run(go())
    message = str(info.value)
    assert message.startswith("stripe: GET http://127.0.0.1:9/v1/refunds: connection failed")
    assert "after 3 attempts in " in message
    assert "sk_secret" not in message


def test_no_wait_is_begun_that_would_pass_the_time_a_call_may_take() -> None:
    """With waits of 20 s and 30 s allowed in all, the call stops after the first wait."""
    handler, seen = _counting(httpx.Response(503, headers={"Retry-After": "20"}))
    sleep = Recorder()
    with pytest.raises(UpstreamUnavailableError) as info:
        _send(handler, policy=RetryPolicy(max_attempts=10, max_elapsed_s=30), sleep=sleep)
    assert len(seen) == 2
    assert len(sleep.delays) == 1
    assert sleep.delays[0] >= 20
    assert "the next wait would pass the 30 s a call may take" in str(info.value)
    assert "gave up after 2 attempts in " in str(info.value)


def test_the_bounds_of_a_call_are_stated_and_checked() -> None:
    """Attempts and time are both bounded by default; a NaN or negative bound is refused."""
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.max_elapsed_s, policy.max_retry_after_s) == (5, 120, 60)
    for bad in (float("nan"), -1.0, float("inf")):
        with pytest.raises(ConfigurationError):
            RetryPolicy(max_elapsed_s=bad)
