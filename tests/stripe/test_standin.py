"""The Stripe stand-in behaves like Stripe's v1 API for the endpoints the refund flows use."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import refund_core as rc
from refund_adapters.stripe._standin import StripeStandIn, as_datetime
from tests.builders import M, at, payment_failure, stripe_refund
from tests.stripe.standin_http import call

T0 = 1_772_323_200  # 2026-03-01T00:00:00Z


def _shop() -> StripeStandIn:
    standin = StripeStandIn(clock=lambda: T0 + 10_000)
    standin.add_charge(M("100.00 USD"), charge_id="ch_a", created=T0)
    standin.add_charge(M("50.00 USD"), charge_id="ch_b", created=T0 + 1)
    for n in range(5):
        standin.add_refund("ch_a", M("1.00 USD"), refund_id=f"re_{n}", created=T0 + 100 + n // 2)
    return standin


def _ids(response_json: dict[str, object]) -> list[str]:
    data = response_json["data"]
    assert isinstance(data, list)
    return [item["id"] for item in data]


def test_refund_list_is_stripes_list_object_newest_first() -> None:
    """GET /v1/refunds answers a list object, newest first, with has_more and url."""
    body = call(_shop(), "GET", "/v1/refunds").json()
    assert body["object"] == "list"
    assert body["url"] == "/v1/refunds"
    assert body["has_more"] is False
    assert _ids(body) == ["re_4", "re_3", "re_2", "re_1", "re_0"]


def test_refund_list_pages_with_starting_after_and_ending_before() -> None:
    """Cursor paging walks every refund once, forwards and back."""
    standin = _shop()
    first = call(standin, "GET", "/v1/refunds", params={"limit": 2}).json()
    assert (_ids(first), first["has_more"]) == (["re_4", "re_3"], True)
    second = call(
        standin, "GET", "/v1/refunds", params={"limit": 2, "starting_after": "re_3"}
    ).json()
    assert (_ids(second), second["has_more"]) == (["re_2", "re_1"], True)
    last = call(standin, "GET", "/v1/refunds", params={"limit": 2, "starting_after": "re_1"}).json()
    assert (_ids(last), last["has_more"]) == (["re_0"], False)
    back = call(standin, "GET", "/v1/refunds", params={"limit": 2, "ending_before": "re_1"}).json()
    assert (_ids(back), back["has_more"]) == (["re_3", "re_2"], True)


@pytest.mark.parametrize(
    ("bound", "expected"),
    [
        ({"created[gte]": T0 + 101}, ["re_4", "re_3", "re_2"]),
        ({"created[gt]": T0 + 101}, ["re_4"]),
        ({"created[lte]": T0 + 100}, ["re_1", "re_0"]),
        ({"created[lt]": T0 + 101}, ["re_1", "re_0"]),
        ({"created": T0 + 102}, ["re_4"]),
    ],
)
def test_refund_list_filters_on_created(bound: dict[str, int], expected: list[str]) -> None:
    """``created`` takes an exact time or gt/gte/lt/lte bounds."""
    assert _ids(call(_shop(), "GET", "/v1/refunds", params=bound).json()) == expected


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_limit_outside_1_to_100_is_a_400(limit: str) -> None:
    """``limit`` must be an integer from 1 to 100, as on Stripe."""
    response = call(_shop(), "GET", "/v1/refunds", params={"limit": limit})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "limit"


def test_expand_data_charge_inlines_the_charge() -> None:
    """``expand[]=data.charge`` replaces each refund's charge ID by the charge object."""
    body = call(
        _shop(), "GET", "/v1/refunds", params={"expand[]": ["data.charge"], "limit": 1}
    ).json()
    charge = body["data"][0]["charge"]
    assert charge["object"] == "charge"
    assert charge["id"] == "ch_a"
    assert charge["created"] == T0


def test_expand_without_data_prefix_on_a_list_is_refused() -> None:
    """On lists an expansion must start with ``data.``."""
    response = call(_shop(), "GET", "/v1/refunds", params={"expand[]": "charge"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "expand"


def test_unknown_parameter_is_a_400_naming_it() -> None:
    """Stripe refuses parameters an endpoint does not take."""
    response = call(_shop(), "GET", "/v1/refunds", params={"sort": "asc"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Received unknown parameter: sort"


def test_retrieve_unknown_refund_is_404_resource_missing() -> None:
    """A missing object is a 404 with code resource_missing."""
    response = call(_shop(), "GET", "/v1/refunds/re_nope")
    assert response.status_code == 404
    error = response.json()["error"]
    assert (error["type"], error["code"], error["param"]) == (
        "invalid_request_error",
        "resource_missing",
        "id",
    )


def test_charge_tracks_its_refunds() -> None:
    """A charge's amount_refunded and refunded follow its refunds."""
    charge = call(_shop(), "GET", "/v1/charges/ch_a").json()
    assert (charge["amount_refunded"], charge["refunded"]) == (500, False)


def test_missing_api_key_is_401_with_stripes_error() -> None:
    """No Authorization header: 401 invalid_request_error, with a Request-Id."""
    response = call(_shop(), "GET", "/v1/refunds", headers={"Authorization": ""})
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert response.headers["Request-Id"].startswith("req_")


def test_wrong_api_key_is_401_and_not_echoed_in_full() -> None:
    """A wrong key is refused and the error shows it masked."""
    key = "sk_test_wrongwrongwrong1234"
    response = call(_shop(), "GET", "/v1/refunds", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401
    assert key not in response.text


def test_basic_auth_with_the_key_as_user_is_accepted() -> None:
    """Stripe also takes the key as the Basic-auth user name."""
    response = call(
        _shop(),
        "GET",
        "/v1/refunds",
        headers={"Authorization": "Basic c2tfdGVzdF9zdGFuZGluOg=="},  # sk_test_standin:
    )
    assert response.status_code == 200


def test_stripe_version_is_echoed_and_defaults_to_the_account_version() -> None:
    """The response names the API version used; a malformed one is a 400."""
    standin = _shop()
    assert call(standin, "GET", "/v1/refunds").headers["Stripe-Version"] == "2023-08-16"
    pinned = call(standin, "GET", "/v1/refunds", headers={"Stripe-Version": "2026-07-29.dahlia"})
    assert pinned.headers["Stripe-Version"] == "2026-07-29.dahlia"
    bad = call(standin, "GET", "/v1/refunds", headers={"Stripe-Version": "2026-13-99.nope"})
    assert bad.status_code == 400
    assert "Invalid Stripe API version" in bad.json()["error"]["message"]


def test_every_response_carries_a_request_id() -> None:
    """Successes and errors alike carry a Request-Id header."""
    standin = _shop()
    for path in ("/v1/refunds", "/v1/refunds/re_0", "/v1/refunds/re_nope", "/v1/nothing"):
        assert call(standin, "GET", path).headers["Request-Id"].startswith("req_")


def test_create_refund_refunds_the_rest_by_default() -> None:
    """POST /v1/refunds without amount refunds what is left on the charge."""
    standin = _shop()
    response = call(standin, "POST", "/v1/refunds", data={"charge": "ch_b"})
    assert response.status_code == 200
    refund = response.json()
    assert (refund["amount"], refund["status"], refund["charge"]) == (5000, "succeeded", "ch_b")
    assert standin.charges["ch_b"]["refunded"] is True
    types = [event["type"] for event in standin.events.values() if event["created"] == T0 + 10_000]
    assert types == ["refund.created", "charge.refunded"]


def test_create_refund_by_payment_intent() -> None:
    """A refund may name the payment intent instead of the charge."""
    standin = StripeStandIn()
    intent = standin.add_payment_intent(M("20.00 EUR"), payment_intent_id="pi_1", charge_id="ch_1")
    refund = call(
        standin, "POST", "/v1/refunds", data={"payment_intent": "pi_1", "amount": "500"}
    ).json()
    assert (refund["charge"], refund["payment_intent"], refund["currency"]) == (
        intent["latest_charge"],
        "pi_1",
        "eur",
    )


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"charge": "ch_a", "amount": "9501"}, "amount_too_large"),
        ({"charge": "ch_missing"}, "resource_missing"),
        ({"amount": "100"}, "parameter_missing"),
    ],
)
def test_create_refund_errors(form: dict[str, str], code: str) -> None:
    """Over-refunds, unknown charges and missing targets are Stripe 400s."""
    response = call(_shop(), "POST", "/v1/refunds", data=form)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_refund_of_a_fully_refunded_charge_is_refused() -> None:
    """A second full refund is charge_already_refunded."""
    standin = _shop()
    call(standin, "POST", "/v1/refunds", data={"charge": "ch_b"})
    again = call(standin, "POST", "/v1/refunds", data={"charge": "ch_b"})
    assert again.json()["error"]["code"] == "charge_already_refunded"


def test_idempotency_key_replays_the_first_response() -> None:
    """Same key, same parameters: the first refund comes back, marked as replayed."""
    standin = _shop()
    form = {"charge": "ch_b", "amount": "700", "metadata[external_id]": "x-1"}
    first = call(standin, "POST", "/v1/refunds", data=form, headers={"Idempotency-Key": "k-1"})
    again = call(standin, "POST", "/v1/refunds", data=form, headers={"Idempotency-Key": "k-1"})
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert standin.charges["ch_b"]["amount_refunded"] == 700
    assert first.json()["metadata"] == {"external_id": "x-1"}


def test_idempotency_key_with_other_parameters_is_an_idempotency_error() -> None:
    """Same key, different parameters: 400 idempotency_error, nothing created."""
    standin = _shop()
    call(standin, "POST", "/v1/refunds", data={"charge": "ch_b", "amount": "700"},
         headers={"Idempotency-Key": "k-2"})  # fmt: skip
    clash = call(
        standin,
        "POST",
        "/v1/refunds",
        data={"charge": "ch_b", "amount": "800"},
        headers={"Idempotency-Key": "k-2"},
    )
    assert clash.status_code == 400
    assert clash.json()["error"]["type"] == "idempotency_error"
    assert clash.headers["Stripe-Should-Retry"] == "false"
    assert standin.charges["ch_b"]["amount_refunded"] == 700


def test_idempotency_key_replays_a_saved_error_too() -> None:
    """Stripe saves the first result even when it was an error, and replays it."""
    standin = _shop()
    form = {"charge": "ch_b", "amount": "6000"}
    first = call(standin, "POST", "/v1/refunds", data=form, headers={"Idempotency-Key": "k-3"})
    again = call(standin, "POST", "/v1/refunds", data=form, headers={"Idempotency-Key": "k-3"})
    assert first.status_code == again.status_code == 400
    assert again.headers["Idempotent-Replayed"] == "true"


def test_events_filter_by_type_and_wildcard() -> None:
    """GET /v1/events filters by an exact type, a ``prefix.*`` wildcard or ``types[]``."""
    standin = _shop()
    standin.fail_refund("re_0", "expired_or_canceled_card", at=T0 + 500)
    failed = call(standin, "GET", "/v1/events", params={"type": "refund.failed"}).json()
    assert [e["data"]["object"]["id"] for e in failed["data"]] == ["re_0"]
    charges = call(standin, "GET", "/v1/events", params={"type": "charge.*"}).json()
    assert {e["type"] for e in charges["data"]} == {"charge.refunded"}
    both = call(
        standin, "GET", "/v1/events", params={"types[]": ["refund.failed", "refund.updated"]}
    ).json()
    assert [e["type"] for e in both["data"]] == ["refund.updated", "refund.failed"]


def test_fail_refund_reverses_the_refund() -> None:
    """A failed refund has its reason, a refund_failure transaction and the charge reopens."""
    standin = _shop()
    standin.fail_refund("re_0", "lost_or_stolen_card", at=T0 + 500)
    refund = call(
        standin, "GET", "/v1/refunds/re_0", params={"expand[]": "failure_balance_transaction"}
    ).json()
    assert (refund["status"], refund["failure_reason"]) == ("failed", "lost_or_stolen_card")
    assert refund["failure_balance_transaction"]["type"] == "refund_failure"
    assert refund["failure_balance_transaction"]["amount"] == 100
    assert standin.charges["ch_a"]["amount_refunded"] == 400


def test_fail_ach_charge_emits_charge_failed_and_a_reversal() -> None:
    """A pending ACH debit that fails: charge.failed and a payment_failure_refund."""
    standin = StripeStandIn()
    standin.add_charge(
        M("80.00 USD"),
        charge_id="ch_ach",
        created=T0,
        payment_method_type="us_bank_account",
        status="pending",
    )
    standin.fail_ach_charge("ch_ach", "insufficient_funds", "Insufficient funds", at=T0 + 86_400)
    events = call(standin, "GET", "/v1/events", params={"type": "charge.failed"}).json()["data"]
    charge = events[0]["data"]["object"]
    assert (charge["status"], charge["failure_code"]) == ("failed", "insufficient_funds")
    txns = call(standin, "GET", "/v1/balance_transactions", params={"source": "ch_ach"}).json()[
        "data"
    ]
    assert [(t["type"], t["amount"]) for t in txns] == [
        ("payment_failure_refund", -8000),
        ("payment", 8000),
    ]


def test_fail_ach_charge_refuses_card_charges() -> None:
    """Only a pending us_bank_account debit can fail this way."""
    with pytest.raises(ValueError, match="us_bank_account"):
        _shop().fail_ach_charge("ch_a", "insufficient_funds", "no")


def test_from_events_maps_core_refunds_and_failures() -> None:
    """from_events stores each refund under its ID, on its charge, and each failure's event."""
    events = [
        stripe_refund("re_1", "10.00", created="2026-03-01", charge="ch_9"),
        stripe_refund("re_2", "5.50", created="2026-03-02", charge="ch_9"),
        payment_failure("txn_fail_1", "20.00", failed="2026-03-03"),
        payment_failure("txn_fail_2", "7.00", failed="2026-03-04", charge="ch_9"),
    ]
    standin = StripeStandIn.from_events(events)
    refund = call(standin, "GET", "/v1/refunds/re_2", params={"expand[]": "charge"}).json()
    assert (refund["amount"], refund["currency"], refund["status"]) == (550, "usd", "succeeded")
    assert as_datetime(refund["created"]) == at("2026-03-02")
    assert refund["charge"]["amount"] == 1550
    failure = call(standin, "GET", "/v1/events/evt_txn_fail_1").json()
    assert failure["type"] == "charge.failed"
    charge = failure["data"]["object"]
    assert (charge["id"], charge["amount"], charge["status"]) == ("ch_1", 2000, "failed")
    assert charge["failure_balance_transaction"] == "txn_fail_1"
    reversal = call(standin, "GET", "/v1/balance_transactions/txn_fail_1").json()
    assert (reversal["type"], reversal["amount"]) == ("payment_failure_refund", -2000)
    # a failure on a charge the scenario also refunds: the event shows the failed debit
    shared = call(standin, "GET", "/v1/events/evt_txn_fail_2").json()["data"]["object"]
    assert (shared["id"], shared["amount"], shared["status"]) == ("ch_9", 700, "failed")


@pytest.mark.parametrize(("amount", "minor"), [("1234 JPY", 1234), ("1.234 KWD", 1234)])
def test_minor_units_follow_the_currency_exponent(amount: str, minor: int) -> None:
    """Zero- and three-decimal currencies convert exactly (MNY-1)."""
    standin = StripeStandIn()
    standin.add_charge(M(amount), charge_id="ch_x", created=T0)
    assert standin.charges["ch_x"]["amount"] == minor


def test_isk_is_written_two_decimal_and_refunded_in_whole_krona() -> None:
    """ISK 1500 is 150000 on the wire; a refund of a fraction of a krona is Stripe's 400."""
    standin = StripeStandIn()
    standin.add_charge(M("1500 ISK"), charge_id="ch_isk", created=T0)
    assert standin.charges["ch_isk"]["amount"] == 150000
    fraction = call(standin, "POST", "/v1/refunds", data={"charge": "ch_isk", "amount": "150"})
    assert fraction.status_code == 400
    error = fraction.json()["error"]
    assert (error["code"], error["param"]) == (
        "invalid_charge_amount_no_decimal_compatible",
        "amount",
    )
    whole = call(standin, "POST", "/v1/refunds", data={"charge": "ch_isk", "amount": "500"})
    assert whole.json()["amount"] == 500
    assert standin.charges["ch_isk"]["amount_refunded"] == 500


def test_from_payouts_lists_every_entry_and_the_payout_itself() -> None:
    """Balance transactions by payout: one per entry plus the payout's own transaction."""
    payout = rc.Payout(
        source="stripe",
        payout_id="po_1",
        amount=M("87.00 USD"),
        arrival_at=at("2026-03-05"),
        entries=[
            rc.BalanceEntry("txn_c", rc.BalanceEntryKind.CHARGE, M("100.00 USD"), "ch_1"),
            rc.BalanceEntry("txn_f", rc.BalanceEntryKind.FEE, M("-3.00 USD"), "ch_1"),
            rc.BalanceEntry(
                "txn_r",
                rc.BalanceEntryKind.REFUND,
                M("-10.00 USD"),
                "re_1",
                charge_created_at=at("2026-01-01"),
            ),
        ],
    )
    standin = StripeStandIn.from_payouts([payout])
    body = call(
        standin,
        "GET",
        "/v1/balance_transactions",
        params={"payout": "po_1", "expand[]": "data.source.charge", "limit": 10},
    ).json()
    by_id = {t["id"]: t for t in body["data"]}
    assert set(by_id) - {"txn_c", "txn_f", "txn_r"} == {
        standin.payouts["po_1"]["balance_transaction"]
    }
    assert [by_id[i]["type"] for i in ("txn_c", "txn_f", "txn_r")] == [
        "charge",
        "stripe_fee",
        "refund",
    ]
    assert by_id["txn_r"]["source"]["charge"]["created"] == int(at("2026-01-01").timestamp())
    listed = call(standin, "GET", "/v1/payouts", params={"arrival_date[gte]": T0}).json()
    assert [(p["id"], p["amount"]) for p in listed["data"]] == [("po_1", 8700)]


def test_signed_webhook_matches_stripes_scheme() -> None:
    """The signature is hex HMAC-SHA256 over "{t}.{body}" with the endpoint secret."""
    standin = _shop()
    body, header = standin.signed_webhook("evt_re_0", "whsec_test", timestamp=1_700_000_000)
    assert json.loads(body)["id"] == "evt_re_0"
    t, v1 = (part.split("=", 1)[1] for part in header.split(","))
    expected = hmac.new(b"whsec_test", t.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert (t, v1) == ("1700000000", expected)


def test_indexed_array_parameters_are_read_like_bracket_arrays() -> None:
    """``types[0]=...&types[1]=...`` filters like ``types[]``, as Stripe accepts both."""
    standin = _shop()
    standin.fail_refund("re_0", "declined", at=T0 + 500)
    body = call(
        standin,
        "GET",
        "/v1/events",
        params={"types[0]": "refund.failed", "types[1]": "refund.updated"},
    ).json()
    assert sorted(e["type"] for e in body["data"]) == ["refund.failed", "refund.updated"]


def test_charge_refunds_expand_to_a_list() -> None:
    """``expand[]=refunds`` on a charge gives its refunds as a list object, newest first."""
    charge = call(_shop(), "GET", "/v1/charges/ch_a", params={"expand[]": "refunds"}).json()
    refunds = charge["refunds"]
    assert (refunds["object"], refunds["url"]) == ("list", "/v1/charges/ch_a/refunds")
    assert [r["id"] for r in refunds["data"]] == ["re_4", "re_3", "re_2", "re_1", "re_0"]


def test_failed_core_refund_gets_its_failure_events() -> None:
    """A failed RefundEvent is stored failed, with refund.failed and refund.updated events."""
    events = [
        stripe_refund("re_f", "3.00", created="2026-03-01", status=rc.RefundStatus.FAILED),
    ]
    standin = StripeStandIn.from_events(events)
    assert standin.refunds["re_f"]["status"] == "failed"
    assert standin.events["evt_failed_re_f"]["type"] == "refund.failed"
    assert standin.events["evt_failed_re_f_updated"]["data"]["previous_attributes"] == {
        "status": "succeeded"
    }


@settings(max_examples=40, deadline=None)
@given(
    offsets=st.lists(st.integers(min_value=0, max_value=4), min_size=0, max_size=12),
    limit=st.integers(min_value=1, max_value=5),
)
def test_cursor_paging_lists_every_refund_once_in_both_directions(
    offsets: list[int], limit: int
) -> None:
    """Forward (starting_after) and backward (ending_before) walks each see every refund once."""
    standin = StripeStandIn(clock=lambda: T0)
    standin.add_charge(M("1000.00 USD"), charge_id="ch_p", created=T0)
    for n, offset in enumerate(offsets):
        standin.add_refund("ch_p", M("1.00 USD"), refund_id=f"re_{n:02d}", created=T0 + offset)
    newest_first = [
        r["id"]
        for r in sorted(
            standin.refunds.values(), key=lambda r: (r["created"], r["id"]), reverse=True
        )
    ]
    forward: list[str] = []
    params: dict[str, object] = {"limit": limit}
    while True:
        body = call(standin, "GET", "/v1/refunds", params=params).json()
        forward += _ids(body)
        if not body["has_more"]:
            break
        params = {"limit": limit, "starting_after": forward[-1]}
    assert forward == newest_first
    if not newest_first:
        return
    backward = newest_first[-1:]
    while True:
        body = call(
            standin, "GET", "/v1/refunds", params={"limit": limit, "ending_before": backward[0]}
        ).json()
        backward = _ids(body) + backward
        if not body["has_more"]:
            break
    assert backward == newest_first


def test_a_cursor_outside_the_created_window_is_placed_by_its_time() -> None:
    """``ending_before`` an object older than the window gives the window's oldest page."""
    standin = _shop()
    body = call(
        standin,
        "GET",
        "/v1/refunds",
        params={"created[gte]": T0 + 101, "ending_before": "re_0", "limit": 2},
    ).json()
    assert (_ids(body), body["has_more"]) == (["re_3", "re_2"], True)
