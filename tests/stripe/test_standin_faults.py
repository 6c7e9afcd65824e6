"""Faults on the Stripe stand-in, in-process and over a real loopback server, look like Stripe's.

These run without the vendor specs; ``test_standin_contract.py`` validates the same kinds of answers
against Stripe's OpenAPI spec.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from refund_adapters.stripe._standin import StripeStandIn
from tests.builders import M
from tests.stripe.standin_http import Target, call, call_many

T0 = 1_772_323_200


@pytest.fixture
def standin() -> StripeStandIn:
    """A stand-in with one card charge to refund."""
    stand_in = StripeStandIn(clock=lambda: T0 + 60)
    stand_in.add_charge(M("25.00 USD"), charge_id="ch_1", created=T0)
    return stand_in


@pytest.fixture(params=["in_process", "loopback"])
def target(request: pytest.FixtureRequest, standin: StripeStandIn) -> Iterator[Target]:
    """The stand-in itself (in-process transport) or the base URL of its loopback server."""
    if request.param == "in_process":
        yield standin
        return
    with standin.serve() as server:
        yield server.base_url


def test_latency_keeps_requests_in_flight_together(standin: StripeStandIn, target: Target) -> None:
    """With added latency, concurrent requests overlap and all still succeed."""
    standin.faults.latency_s = 0.05
    responses = call_many(target, [("/v1/refunds", None)] * 3)
    assert [r.status_code for r in responses if isinstance(r, httpx.Response)] == [200] * 3
    assert standin.peak_in_flight == 3


def test_429_with_retry_after_then_success(standin: StripeStandIn, target: Target) -> None:
    """A scripted 429 rate_limit carries Retry-After and a Stripe error; the next call works."""
    standin.fail_stripe_error_next(
        429,
        error_type="invalid_request_error",
        code="rate_limit",
        message="Too many requests hit the API too quickly.",
        headers={"Retry-After": "3"},
    )
    limited = call(target, "GET", "/v1/refunds")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "3"
    assert limited.json()["error"]["code"] == "rate_limit"
    assert call(target, "GET", "/v1/refunds").status_code == 200


def test_5xx_says_whether_to_retry(standin: StripeStandIn, target: Target) -> None:
    """A 500 api_error carries Stripe-Should-Retry: true, as Stripe sends it."""
    standin.fail_stripe_error_next(500, should_retry=True)
    failed = call(target, "GET", "/v1/charges/ch_1")
    assert failed.status_code == 500
    assert failed.headers["Stripe-Should-Retry"] == "true"
    assert failed.json()["error"]["type"] == "api_error"
    assert failed.headers["Request-Id"].startswith("req_")
    assert call(target, "GET", "/v1/charges/ch_1").status_code == 200


def test_lock_timeout_is_a_retryable_429(standin: StripeStandIn, target: Target) -> None:
    """Stripe's lock_timeout 429 tells clients to retry; a plain rate limit does not."""
    standin.fail_lock_timeout_next()
    answer = call(target, "POST", "/v1/refunds", data={"charge": "ch_1"})
    assert (answer.status_code, answer.headers["Stripe-Should-Retry"]) == (429, "true")
    assert answer.json()["error"]["code"] == "lock_timeout"
    assert standin.charges["ch_1"]["amount_refunded"] == 0


def test_dropped_connection_has_no_effect(standin: StripeStandIn, target: Target) -> None:
    """A connection dropped before processing: the client sees an error, nothing is refunded."""
    standin.drop_next()
    with pytest.raises(httpx.TransportError):
        call(target, "POST", "/v1/refunds", data={"charge": "ch_1"})
    assert standin.refunds == {}
    assert standin.exchanges[-1].response is None


def test_lost_response_then_idempotent_retry_replays(
    standin: StripeStandIn, target: Target
) -> None:
    """The refund happened but its answer was lost; a retry with the same key replays it."""
    standin.lose_response_next()
    form = {"charge": "ch_1", "amount": "500"}
    key = {"Idempotency-Key": "refund-sync-x1"}
    with pytest.raises(httpx.TransportError):
        call(target, "POST", "/v1/refunds", data=form, headers=key)
    assert len(standin.refunds) == 1
    retry = call(target, "POST", "/v1/refunds", data=form, headers=key)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["id"] == next(iter(standin.refunds))
    assert len(standin.refunds) == 1
    assert standin.charges["ch_1"]["amount_refunded"] == 500


def test_concurrency_limit_answers_stripes_rate_limit(
    standin: StripeStandIn, target: Target
) -> None:
    """Requests over the concurrency limit get Stripe's 429 rate_limit error object."""
    standin.faults.concurrency_limit = 1
    standin.faults.latency_s = 0.05
    responses = call_many(target, [("/v1/refunds", None)] * 3)
    codes = sorted(r.status_code for r in responses if isinstance(r, httpx.Response))
    assert codes == [200, 429, 429]
    limited = next(r for r in responses if isinstance(r, httpx.Response) and r.status_code == 429)
    error = limited.json()["error"]
    assert (error["type"], error["code"]) == ("invalid_request_error", "rate_limit")
    assert "Stripe-Should-Retry" not in limited.headers
    assert standin.rejected_over_limit == 2
