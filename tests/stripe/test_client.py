"""StripeClient: headers, form bodies, idempotency keys, retries and error mapping."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import refund_core as rc
from refund_adapters._http import (
    RetryPolicy,
    UpstreamAuthError,
    UpstreamNotFoundError,
    UpstreamUnavailableError,
)
from refund_adapters.stripe import (
    STRIPE_VERSION,
    StripeClient,
    StripeRefundSource,
    StripeRejectedError,
    idempotency_key,
    stripe_advice,
)
from refund_adapters.stripe._client import decode_form, encode_form
from refund_adapters.stripe._wire import stripe_time
from tests.contracts._run import run
from tests.specs import spec_path

KEY = "sk_test_not_a_real_key_1234"

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """Delays the client asked to sleep, instead of sleeping."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        """Record the delay."""
        self.delays.append(seconds)


def make_client(handler: Handler, sleep: Recorder | None = None, **kwargs: Any) -> StripeClient:
    """A client over a MockTransport handler, sleeping into a recorder."""
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return StripeClient(http, KEY, sleep=sleep or Recorder(), **kwargs)


def error(status: int, headers: dict[str, str] | None = None, **fields: str) -> httpx.Response:
    """A Stripe error answer."""
    body = {"error": {"type": "invalid_request_error", "message": "bad", **fields}}
    return httpx.Response(status, headers=headers or {}, json=body)


def fixtures() -> dict[str, Any]:
    """Stripe's current example objects (fixtures3.json)."""
    path: Path = spec_path("stripe/fixtures3.2026-08-21.json")
    resources: dict[str, Any] = json.loads(path.read_text())["resources"]
    return resources


def test_every_request_carries_bearer_key_and_pinned_version() -> None:
    """GETs send the secret key as a bearer token and the pinned Stripe-Version."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"object": "list", "data": [], "has_more": False})

    run(make_client(handler).get("/v1/refunds", {"limit": 3, "expand": ["data.charge"]}))
    (request,) = seen
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["stripe-version"] == STRIPE_VERSION == "2026-07-29.dahlia"
    assert request.url.params.get_list("expand[]") == ["data.charge"]
    assert request.url.params["limit"] == "3"


def test_repr_never_shows_the_secret_key() -> None:
    """The key stays out of repr."""
    client = make_client(lambda request: httpx.Response(200, json={}))
    assert KEY not in repr(client)
    assert "api.stripe.com" in repr(client)


def test_form_encoding_nests_like_stripe() -> None:
    """Mappings become a[b]=c, sequences a[]=x, booleans true/false, None is left out."""
    pairs = encode_form(
        {
            "amount": 1250,
            "metadata": {"ns_id": "77"},
            "expand": ["charge", "x"],
            "a": True,
            "n": None,
        }
    )
    assert pairs == [
        ("amount", "1250"),
        ("metadata[ns_id]", "77"),
        ("expand[]", "charge"),
        ("expand[]", "x"),
        ("a", "true"),
    ]


def test_form_encoding_indexes_lists_of_hashes() -> None:
    """A list of hashes is a[0][k]=, a[1][k]= (a[][k]= cannot say which keys go together)."""
    pairs = encode_form(
        {"items": [{"sku": "A", "qty": 2}, {"sku": "B", "meta": {"x": "1"}}], "expand": ["c"]}
    )
    assert pairs == [
        ("items[0][sku]", "A"),
        ("items[0][qty]", "2"),
        ("items[1][sku]", "B"),
        ("items[1][meta][x]", "1"),
        ("expand[]", "c"),
    ]


@pytest.mark.parametrize(
    "amount", [Decimal("10"), Decimal("1E+1"), Decimal("12.50"), 12.5], ids=repr
)
def test_form_encoding_refuses_decimals_and_floats(amount: object) -> None:
    """Amounts go as integers in minor units: Decimal (str() can give 1E+1) or float is refused."""
    with pytest.raises(TypeError, match=r"'refund\[amount\]'.*minor unit"):
        encode_form({"refund": {"amount": amount}})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="minor unit"):
        encode_form({"amounts": [1, amount]})  # type: ignore[list-item]


def test_form_encoding_refuses_values_it_has_no_form_for() -> None:
    """Bytes, sets and other objects are refused by name instead of being iterated or str()ed."""
    for value in (b"ab", {"a"}, object()):
        with pytest.raises(TypeError, match="'x'"):
            encode_form({"x": value})  # type: ignore[dict-item]


def test_form_decoding_reads_stripes_encodings() -> None:
    """``a[]``, ``a[0]``, ``a[b]`` and ``a[b][c]`` decode into lists and nested hashes."""
    pairs = [
        ("expand[]", "data.charge"),
        ("expand[]", "data.payment_intent"),
        ("types[0]", "refund.failed"),
        ("created[gte]", "1"),
        ("metadata[k]", "v"),
        ("a[b][c]", "2"),
        ("limit", "3"),
    ]
    assert decode_form(pairs) == {
        "expand": ["data.charge", "data.payment_intent"],
        "types": ["refund.failed"],
        "created": {"gte": "1"},
        "metadata": {"k": "v"},
        "a": {"b": {"c": "2"}},
        "limit": "3",
    }


def test_form_decoding_keeps_indexed_elements_together() -> None:
    """``a[1][k]`` before ``a[0][k]`` still lands in element 1; ``a=1&a[b]=2`` is refused."""
    assert decode_form([("a[1][k]", "z"), ("a[0][k]", "y"), ("a[0][j]", "w")]) == {
        "a": [{"k": "y", "j": "w"}, {"k": "z"}]
    }
    with pytest.raises(ValueError, match="'a\\[b\\]'"):
        decode_form([("a", "1"), ("a[b]", "2")])


_KEYS = st.text(alphabet="abcxyz_", min_size=1, max_size=4)
_SCALARS = st.text(alphabet="abc 019.-_", max_size=6) | st.integers(-(10**6), 10**6)
_FORMS = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, min_size=1, max_size=3)
        | st.dictionaries(_KEYS, inner, min_size=1, max_size=3)
    ),
    max_leaves=12,
)


def _as_wire(value: Any) -> Any:
    """What a value looks like after the wire: every scalar a string."""
    if isinstance(value, dict):
        return {key: _as_wire(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_as_wire(inner) for inner in value]
    return str(value)


@given(st.dictionaries(_KEYS, _FORMS, max_size=4))
def test_decoding_undoes_encoding(params: dict[str, Any]) -> None:
    """decode_form(encode_form(x)) is x with its scalars as strings, for any nesting."""
    assert decode_form(encode_form(params)) == _as_wire(params)


def test_idempotency_key_is_a_deterministic_function_of_the_external_id() -> None:
    """The same external ID gives the same key; different IDs give different keys; <= 255 chars."""
    first = idempotency_key("stripe:re_1:customer_refund:PAY-1")
    assert first == idempotency_key("stripe:re_1:customer_refund:PAY-1")
    assert first != idempotency_key("stripe:re_2:customer_refund:PAY-1")
    assert len(idempotency_key("x" * 5000)) <= 255
    with pytest.raises(ValueError, match="external ID"):
        idempotency_key(" ")


def test_every_post_attempt_carries_the_same_idempotency_key_and_a_form_body() -> None:
    """A POST retried after a 500 sends the key derived from the external ID each time."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return error(500, code="api_error")
        return httpx.Response(200, json={"id": "re_1", "object": "refund"})

    client = make_client(handler)
    body = run(
        client.post(
            "/v1/refunds/re_1", {"metadata": {"netsuite_id": "CR-9"}}, external_id="stripe:re_1:x"
        )
    )
    assert body["id"] == "re_1"
    assert len(seen) == 2
    keys = {request.headers["idempotency-key"] for request in seen}
    assert keys == {idempotency_key("stripe:re_1:x")}
    assert all(r.headers["content-type"] == "application/x-www-form-urlencoded" for r in seen)
    assert seen[0].content == b"metadata%5Bnetsuite_id%5D=CR-9"


def test_gets_carry_no_idempotency_key() -> None:
    """Idempotency keys are for writes only (they have no effect on GET)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    run(make_client(handler).get("/v1/payouts"))
    assert "idempotency-key" not in seen[0].headers


def test_429_is_retried_after_retry_after() -> None:
    """A 429 with Retry-After: 3 waits at least 3 s (recorded, not slept), then succeeds."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls <= 2:
            return error(429, {"Retry-After": "3"}, code="rate_limit")
        return httpx.Response(200, json={"ok": True})

    sleep = Recorder()
    assert run(make_client(handler, sleep).get("/v1/refunds")) == {"ok": True}
    assert calls == 3
    assert len(sleep.delays) == 2
    assert all(delay >= 3 for delay in sleep.delays)


def test_backoff_is_bounded_and_attempts_run_out() -> None:
    """Endless 503s stop after the policy's attempts with an unavailable error; waits are capped."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503, headers={"Request-Id": "req_503"}, json={})

    sleep = Recorder()
    client = make_client(handler, sleep, policy=RetryPolicy(max_attempts=4, max_delay_s=5.0))
    with pytest.raises(UpstreamUnavailableError) as info:
        run(client.get("/v1/refunds"))
    assert calls == 4
    assert info.value.status == 503
    assert info.value.request_id == "req_503"
    assert all(0 <= delay <= 5.0 for delay in sleep.delays)


def test_giving_up_keeps_stripes_error_code_and_message() -> None:
    """Retries run out on lock timeouts: the error keeps Stripe's code, words and request ID."""

    def handler(request: httpx.Request) -> httpx.Response:
        return error(
            429,
            {"Stripe-Should-Retry": "true", "Request-Id": "req_lock"},
            code="lock_timeout",
            message="This object cannot be accessed right now.",
        )

    with pytest.raises(UpstreamUnavailableError) as info:
        run(make_client(handler, policy=RetryPolicy(max_attempts=2)).get("/v1/refunds"))
    assert (info.value.code, info.value.status, info.value.request_id) == (
        "lock_timeout",
        429,
        "req_lock",
    )
    assert "cannot be accessed right now" in str(info.value)
    assert isinstance(info.value.__cause__, UpstreamUnavailableError)


def test_a_day_long_retry_after_is_not_slept() -> None:
    """Retry-After: 86400 on a 429 gives up at once with the advised wait (no day-long sleep)."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return error(429, {"Retry-After": "86400"}, code="rate_limit")

    sleep = Recorder()
    with pytest.raises(UpstreamUnavailableError) as info:
        run(make_client(handler, sleep).get("/v1/refunds"))
    assert (calls, sleep.delays) == (1, [])
    assert info.value.retry_after_s == 86400
    assert info.value.code == "rate_limit"


def test_stripe_should_retry_false_is_not_retried() -> None:
    """Stripe-Should-Retry: false on a 500 means one attempt and an error naming the status."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return error(500, {"Stripe-Should-Retry": "false", "Request-Id": "req_1"}, code="api_error")

    with pytest.raises(UpstreamUnavailableError) as info:
        run(make_client(handler).get("/v1/refunds"))
    assert calls == 1
    assert info.value.status == 500
    assert info.value.request_id == "req_1"


def test_stripe_should_retry_true_retries_a_409() -> None:
    """Stripe-Should-Retry: true overrides the status: a 409 lock conflict is retried."""
    responses = [
        error(409, {"Stripe-Should-Retry": "true"}, code="lock_timeout"),
        httpx.Response(200, json={"ok": 1}),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        return responses.pop(0)

    assert run(make_client(handler).get("/v1/refunds")) == {"ok": 1}
    assert responses == []


def test_advice_reads_headers_and_statuses() -> None:
    """The advice: header first, then 429/5xx retried, other 4xx never."""
    request = httpx.Request("GET", "https://api.stripe.com/v1/refunds")
    assert stripe_advice(httpx.Response(400, request=request)).retry is False
    assert stripe_advice(httpx.Response(404, request=request)).retry is False
    assert stripe_advice(httpx.Response(502, request=request)).retry is True
    retry_after = httpx.Response(429, headers={"Retry-After": "7"}, request=request)
    assert stripe_advice(retry_after).delay_s == 7
    vetoed = httpx.Response(429, headers={"Stripe-Should-Retry": "false"}, request=request)
    assert stripe_advice(vetoed).retry is False


def test_400_is_a_rejection_naming_the_parameter() -> None:
    """A 400 is not retried and becomes a rejection with code, param and request ID."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return error(
            400,
            {"Request-Id": "req_abc"},
            code="parameter_invalid_integer",
            param="limit",
            message="This value must be less than or equal to 100.",
        )

    with pytest.raises(StripeRejectedError) as info:
        run(make_client(handler).get("/v1/refunds", {"limit": 500}))
    assert calls == 1
    assert isinstance(info.value, rc.InvalidInputError)
    assert info.value.param == "limit"
    assert info.value.code == "parameter_invalid_integer"
    assert info.value.request_id == "req_abc"
    assert "parameter 'limit'" in str(info.value)
    assert "req_abc" in str(info.value)


def test_401_is_an_auth_error_without_the_key() -> None:
    """A refused key stops the run with an auth error that does not repeat the key."""

    def handler(request: httpx.Request) -> httpx.Response:
        return error(
            401, code="api_key_invalid", message=f"Invalid API Key provided: {KEY[:8]}****1234"
        )

    with pytest.raises(UpstreamAuthError) as info:
        run(make_client(handler).get("/v1/refunds"))
    assert KEY[:8] not in str(info.value)
    assert "1234" not in str(info.value)
    assert info.value.code == "api_key_invalid"


def test_404_is_not_found() -> None:
    """A missing object is a not-found error (a LookupError too)."""

    def handler(request: httpx.Request) -> httpx.Response:
        return error(404, code="resource_missing", param="id")

    with pytest.raises(UpstreamNotFoundError):
        run(make_client(handler).get("/v1/refunds/re_missing"))


def test_connection_errors_are_retried_then_reported() -> None:
    """A dropped connection is retried; when it keeps failing, the error says so."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(UpstreamUnavailableError, match="connection failed"):
        run(make_client(handler, policy=RetryPolicy(max_attempts=3)).get("/v1/refunds"))
    assert calls == 3


def test_fixture_refund_with_expanded_charge_maps_to_a_refund_event() -> None:
    """Stripe's example refund and charge (fixtures3.json) become one RefundEvent."""
    resources = fixtures()
    refund = dict(resources["refund"], charge=resources["charge"])
    listing = {"object": "list", "data": [refund], "has_more": False, "url": "/v1/refunds"}

    def handler(request: httpx.Request) -> httpx.Response:
        # The one refund is the whole window; nothing is newer than it.
        if request.url.path == "/v1/refunds" and "ending_before" not in request.url.params:
            return httpx.Response(200, json=listing)
        return httpx.Response(200, json={"object": "list", "data": [], "has_more": False})

    source = StripeRefundSource(make_client(handler))
    page = run(source.list_events(since=rc_time(1234567890), page_token=None, limit=10))
    (event,) = page.items
    assert isinstance(event, rc.RefundEvent)
    assert event.key == rc.SourceKey("stripe", resources["refund"]["id"])
    assert event.amount == rc.Money.parse("1.00 USD")
    assert event.payment_ref == resources["charge"]["id"]
    assert event.charge_created_at == rc_time(resources["charge"]["created"])
    assert event.status is rc.RefundStatus.SUCCEEDED
    assert page.next_token is None


def rc_time(epoch: int) -> datetime:
    """An aware UTC datetime from a Unix time."""
    return stripe_time(epoch)
