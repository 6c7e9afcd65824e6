"""Every exchange with the Stripe stand-in matches Stripe's OpenAPI spec, and the check can fail."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from refund_adapters.stripe._standin import StripeStandIn
from tests.builders import M, at, payment_failure, stripe_refund
from tests.stripe.standin_http import call
from tests.stripe_contract import (
    ContractViolationError,
    assert_all_exchanges_valid,
    assert_valid_exchange,
    event_errors,
    exchange_errors,
    request_errors,
    response_errors,
)

T0 = 1_772_323_200  # 2026-03-01T00:00:00Z


def _scenario() -> StripeStandIn:
    standin = StripeStandIn.from_events(
        [
            stripe_refund("re_1", "10.00", created="2026-03-01", charge="ch_1"),
            stripe_refund("re_2", "5.00", created="2026-03-02", charge="ch_1"),
            stripe_refund("re_jpy", "500", created="2026-03-02", charge="ch_jpy", currency="JPY"),
            payment_failure("txn_fail_1", "20.00", charge="ch_ach", failed="2026-03-03"),
        ],
        clock=lambda: T0 + 50_000,
    )
    standin.add_customer(customer_id="cus_1", email="a@example.com", name="A")
    standin.add_payment_intent(
        M("30.00 USD"), payment_intent_id="pi_1", charge_id="ch_pi", customer="cus_1", created=T0
    )
    standin.add_charge(M("40.00 USD"), charge_id="ch_fee", created=T0, fee=M("1.46 USD"))
    standin.fail_refund("re_2", "expired_or_canceled_card", at=T0 + 200_000)
    standin.add_charge(M("12.00 USD"), charge_id="ch_pend", created=T0)
    standin.add_refund("ch_pend", M("12.00 USD"), refund_id="re_pend", created=T0, status="pending")
    standin.change_refund_status("re_pend", "succeeded", at=T0 + 100_000)
    txns = [
        standin.charges["ch_fee"]["balance_transaction"],
        standin.refunds["re_1"]["balance_transaction"],
    ]
    standin.add_balance_transaction(
        "stripe_fee", M("-2.00 USD"), source=None, created=T0, txn_id="txn_billing_fee"
    )
    standin.add_payout(
        arrival=at("2026-03-06"), payout_id="po_1", balance_transactions=[*txns, "txn_billing_fee"]
    )
    # Disputes (DSP-1, DSP-2): a chargeback won later, an inquiry; and a converted charge (CCY-1).
    standin.add_charge(M("70.00 USD"), charge_id="ch_disputed", created=T0)
    standin.add_dispute("ch_disputed", dispute_id="dp_1", created=T0 + 10_000)
    standin.win_dispute("dp_1", at=T0 + 90_000)
    standin.add_charge(M("20.00 USD"), charge_id="ch_inquiry", created=T0)
    standin.add_dispute("ch_inquiry", dispute_id="dp_2", created=T0 + 20_000, withdraw=False)
    standin.add_balance_transaction(
        "charge",
        M("108.41 USD"),
        source="ch_eur",
        created=T0,
        txn_id="txn_fx",
        exchange_rate=Decimal("1.0841"),
    )
    return standin


#: (method, path, query, form, headers, whether the request itself is valid per the spec)
EXCHANGES: list[tuple[str, str, Any, Any, dict[str, str], bool]] = [
    ("GET", "/v1/refunds", None, None, {}, True),
    (
        "GET",
        "/v1/refunds",
        {"limit": 2, "created[gte]": T0, "expand[]": "data.charge"},
        None,
        {},
        True,
    ),
    ("GET", "/v1/refunds", {"limit": 1, "starting_after": "re_1"}, None, {}, True),
    (
        "GET",
        "/v1/refunds",
        {"charge": "ch_1", "expand[]": ["data.payment_intent", "data.balance_transaction"]},
        None,
        {},
        True,
    ),
    ("GET", "/v1/refunds/re_2", {"expand[]": "failure_balance_transaction"}, None, {}, True),
    ("GET", "/v1/refunds/re_jpy", None, None, {"Stripe-Version": "2026-07-29.dahlia"}, True),
    ("GET", "/v1/refunds/re_missing", None, None, {}, True),
    ("GET", "/v1/charges/ch_1", None, None, {}, True),
    ("GET", "/v1/charges/ch_1", {"expand[]": "refunds"}, None, {}, True),
    (
        "GET",
        "/v1/events",
        {"types[0]": "charge.failed", "types[1]": "refund.failed"},
        None,
        {},
        True,
    ),
    ("GET", "/v1/charges/ch_ach", {"expand[]": "failure_balance_transaction"}, None, {}, True),
    ("GET", "/v1/charges/ch_pi", {"expand[]": ["customer", "payment_intent"]}, None, {}, True),
    ("GET", "/v1/payment_intents/pi_1", {"expand[]": "latest_charge"}, None, {}, True),
    ("GET", "/v1/events", {"type": "refund.failed"}, None, {}, True),
    ("GET", "/v1/events", {"type": "charge.failed", "created[gte]": T0}, None, {}, True),
    (
        "GET",
        "/v1/events",
        {"types[]": ["refund.updated", "charge.refunded", "refund.created"], "limit": 3},
        None,
        {},
        True,
    ),
    ("GET", "/v1/events/evt_re_1", None, None, {}, True),
    ("GET", "/v1/payouts", {"arrival_date[gte]": T0, "status": "paid"}, None, {}, True),
    ("GET", "/v1/payouts/po_1", {"expand[]": "balance_transaction"}, None, {}, True),
    (
        "GET",
        "/v1/balance_transactions",
        {"payout": "po_1", "limit": 100, "expand[]": "data.source"},
        None,
        {},
        True,
    ),
    ("GET", "/v1/balance_transactions", {"source": "ch_ach"}, None, {}, True),
    ("GET", "/v1/balance_transactions", {"type": "payment_failure_refund"}, None, {}, True),
    ("GET", "/v1/balance_transactions/txn_fail_1", None, None, {}, True),
    ("GET", "/v1/balance_transactions/txn_fx", None, None, {}, True),
    ("GET", "/v1/disputes", None, None, {}, True),
    (
        "GET",
        "/v1/disputes",
        {"created[gte]": T0, "expand[]": "data.charge", "limit": 1},
        None,
        {},
        True,
    ),
    ("GET", "/v1/disputes", {"charge": "ch_inquiry"}, None, {}, True),
    ("GET", "/v1/disputes/dp_1", {"expand[]": "charge"}, None, {}, True),
    ("GET", "/v1/disputes/dp_missing", None, None, {}, True),
    (
        "GET",
        "/v1/events",
        {"types[]": ["charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated"]},
        None,
        {},
        True,
    ),
    ("GET", "/v1/balance_transactions", {"type": "adjustment"}, None, {}, True),
    (
        "POST",
        "/v1/refunds",
        None,
        {
            "charge": "ch_fee",
            "amount": "1000",
            "reason": "requested_by_customer",
            "metadata[external_id]": "x1",
        },
        {"Idempotency-Key": "k1"},
        True,
    ),
    (
        "POST",
        "/v1/refunds",
        None,
        {
            "charge": "ch_fee",
            "amount": "1000",
            "reason": "requested_by_customer",
            "metadata[external_id]": "x1",
        },
        {"Idempotency-Key": "k1"},
        True,
    ),
    (
        "POST",
        "/v1/refunds",
        None,
        {"charge": "ch_fee", "amount": "999"},
        {"Idempotency-Key": "k1"},
        True,
    ),
    ("POST", "/v1/refunds", None, {"payment_intent": "pi_1", "expand[]": "charge"}, {}, True),
    ("POST", "/v1/refunds", None, {"charge": "ch_pi"}, {}, True),
    ("POST", "/v1/refunds", None, {"charge": "ch_ach"}, {}, True),
    ("POST", "/v1/refunds", None, {"charge": "ch_1", "amount": "999999"}, {}, True),
    ("GET", "/v1/refunds", {"limit": 500}, None, {}, True),
    ("GET", "/v1/refunds", {"starting_after": "re_nope"}, None, {}, True),
    ("GET", "/v1/balance_transactions", {"payout": "po_nope"}, None, {}, True),
    ("GET", "/v1/refunds", {"expand[]": "charge"}, None, {}, True),
    ("GET", "/v1/refunds", None, None, {"Stripe-Version": "1999-99-99.bogus"}, True),
    # wrong on purpose: Stripe's answers to these are still in its contract
    ("GET", "/v1/refunds", None, None, {"Authorization": ""}, False),
    ("GET", "/v1/refunds", None, None, {"Authorization": "Bearer sk_test_wrong"}, True),
    ("GET", "/v1/refunds", {"order": "asc"}, None, {}, False),
    ("POST", "/v1/refunds", None, {"charge": "ch_1", "colour": "red"}, {}, False),
]


def _run_all(standin: StripeStandIn) -> None:
    for method, path, query, form, headers, _ in EXCHANGES:
        call(standin, method, path, params=query, data=form, headers=headers)


def test_every_endpoint_answer_matches_the_spec() -> None:
    """Lists, objects, creates, replays and errors of every endpoint validate against the spec."""
    standin = _scenario()
    _run_all(standin)
    assert len(standin.exchanges) == len(EXCHANGES)
    statuses = set()
    for (*_, request_valid), exchange in zip(EXCHANGES, standin.exchanges, strict=True):
        assert exchange.response is not None
        statuses.add(exchange.response.status_code)
        assert_valid_exchange(exchange.request, exchange.response, check_request=request_valid)
    assert statuses == {200, 400, 401, 404}


@pytest.mark.parametrize("index", [i for i, e in enumerate(EXCHANGES) if not e[5]])
def test_requests_that_are_wrong_on_purpose_are_caught(index: int) -> None:
    """The request check itself finds what Stripe would refuse (no key, unknown parameter)."""
    standin = _scenario()
    method, path, query, form, headers, _ = EXCHANGES[index]
    call(standin, method, path, params=query, data=form, headers=headers)
    assert request_errors(standin.exchanges[0].request)


def test_fault_answers_match_the_spec() -> None:
    """Rate limits, lock timeouts and scripted 5xx answers are Stripe error objects too."""
    standin = _scenario()
    standin.fail_lock_timeout_next()
    standin.fail_stripe_error_next(500, should_retry=True)
    standin.fail_stripe_error_next(503, headers={"Retry-After": "2"})
    for _ in range(3):
        call(standin, "GET", "/v1/refunds")
    rate_limited = standin.over_limit_response()
    assert rate_limited.status_code == 429
    assert_valid_exchange(standin.exchanges[0].request, rate_limited)
    assert assert_all_exchanges_valid(standin) == 3


def test_dropped_lost_and_replayed_exchanges_match_the_spec() -> None:
    """A dropped request, a lost refund and its idempotent replay are all in contract."""
    standin = _scenario()
    standin.drop_next()
    standin.lose_response_next()
    form = {"charge": "ch_fee", "amount": "300"}
    for _ in range(2):
        with pytest.raises(httpx.TransportError):
            call(standin, "POST", "/v1/refunds", data=form, headers={"Idempotency-Key": "k9"})
    replay = call(standin, "POST", "/v1/refunds", data=form, headers={"Idempotency-Key": "k9"})
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert [e.response is None for e in standin.exchanges] == [True, True, False]
    assert assert_all_exchanges_valid(standin) == 3


def _valid_refund_exchange() -> tuple[httpx.Request, dict[str, Any], httpx.Response]:
    standin = _scenario()
    response = call(standin, "GET", "/v1/refunds/re_1")
    assert_valid_exchange(standin.exchanges[0].request, response)
    return standin.exchanges[0].request, response.json(), response


def _with_body(response: httpx.Response, payload: Any) -> httpx.Response:
    return httpx.Response(
        response.status_code, headers=response.headers, content=json.dumps(payload).encode()
    )


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (lambda r: r.update(amount="1000"), "'1000' is not of type 'integer'"),
        (lambda r: r.pop("object"), "'object' is a required property"),
        (lambda r: r.update(object="refunds"), "is not one of ['refund']"),
        (lambda r: r.update(created=None), "None"),
        (lambda r: r.update(charge=12), "charge"),
        (lambda r: r.update(destination_details="card"), "destination_details"),
        (lambda r: r.update(refunded_on="2026-01-01"), "refunded_on"),
    ],
)
def test_a_broken_refund_fails_validation(breakage: Any, expected: str) -> None:
    """Wrong types, a missing ``object``, unknown or mistyped newer fields are all reported."""
    request, payload, response = _valid_refund_exchange()
    breakage(payload)
    errors = response_errors(request, _with_body(response, payload))
    assert any(expected in error for error in errors), errors
    with pytest.raises(ContractViolationError):
        assert_valid_exchange(request, _with_body(response, payload))


def test_a_list_without_has_more_fails_validation() -> None:
    """The list envelope is checked too."""
    standin = _scenario()
    response = call(standin, "GET", "/v1/refunds")
    payload = response.json()
    del payload["has_more"]
    errors = response_errors(standin.exchanges[0].request, _with_body(response, payload))
    assert any("has_more" in error for error in errors), errors


def test_an_error_without_type_fails_validation() -> None:
    """Stripe's error object must say its type."""
    standin = _scenario()
    response = call(standin, "GET", "/v1/refunds/re_missing")
    payload = response.json()
    del payload["error"]["type"]
    assert response_errors(standin.exchanges[0].request, _with_body(response, payload))


def test_a_response_without_request_id_fails_validation() -> None:
    """Stripe sends Request-Id on every response."""
    request, payload, _response = _valid_refund_exchange()
    bare = httpx.Response(200, json=payload)
    assert any("Request-Id" in e for e in response_errors(request, bare))


@pytest.mark.parametrize(
    ("method", "url", "content", "expected"),
    [
        ("GET", "https://api.stripe.com/v1/refunds?limit=ten", b"", "query limit"),
        ("GET", "https://api.stripe.com/v1/refunds?created[gte]=soon", b"", "query created"),
        ("GET", "https://api.stripe.com/v1/refundz", b"", "not an operation"),
        ("POST", "https://api.stripe.com/v1/refunds", b"amount=ten&charge=ch_1", "body[amount]"),
        ("POST", "https://api.stripe.com/v1/refunds", b"reason=angry&charge=ch_1", "body[reason]"),
    ],
)
def test_a_broken_request_fails_validation(
    method: str, url: str, content: bytes, expected: str
) -> None:
    """Mistyped parameters, enum values and unknown paths are reported for requests."""
    headers = {"Authorization": "Bearer sk_test_x"}
    if content:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = httpx.Request(method, url, headers=headers, content=content)
    errors = request_errors(request)
    assert any(expected in error for error in errors), errors


def test_a_dropped_exchange_checks_the_request_only() -> None:
    """An exchange with no response (dropped) is judged on its request."""
    request = httpx.Request(
        "GET", "https://api.stripe.com/v1/refunds", headers={"Authorization": "Bearer k"}
    )
    assert exchange_errors(request, None) == []


def test_every_stored_event_is_a_valid_webhook_body() -> None:
    """Each event (refund.created/failed/updated, charge.refunded/failed) validates, signed."""
    standin = _scenario()
    kinds = set()
    for event_id, event in standin.events.items():
        body, _header = standin.signed_webhook(event_id, "whsec_x", timestamp=T0)
        assert event_errors(json.loads(body)) == [], event_id
        kinds.add(event["type"])
    assert kinds >= {
        "refund.created",
        "refund.failed",
        "refund.updated",
        "charge.refunded",
        "charge.failed",
    }


def test_an_event_with_a_broken_object_fails_validation() -> None:
    """The event's data.object is checked as the object it names."""
    event = _scenario().events["evt_re_1"]
    event["data"]["object"]["amount"] = "10.00"
    assert any("data.object" in error for error in event_errors(event))
