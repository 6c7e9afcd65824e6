"""Webhook intake: Stripe-Signature verification, event mapping and duplicate delivery."""

from __future__ import annotations

import json

import pytest

import refund_core as rc
from refund_adapters.stripe import (
    NoMatchingSignatureError,
    SignatureHeaderError,
    StripeRefundSource,
    TimestampTooOldError,
    WebhookInbox,
    sign_payload,
    verify_webhook,
)
from refund_adapters.stripe._standin import StripeStandIn
from tests.builders import M, at
from tests.contracts._run import run
from tests.stripe.factories import client_for

SECRET = "whsec_current_secret_value"
OLD_SECRET = "whsec_previous_secret_value"
NOW = 1_780_000_000


def body(event_id: str = "evt_1", event_type: str = "refund.created") -> bytes:
    """A refund event as Stripe would post it."""
    refund = {
        "id": "re_1",
        "object": "refund",
        "amount": 1250,
        "currency": "usd",
        "created": NOW - 60,
        "status": "succeeded",
        "charge": "ch_1",
    }
    event = {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "created": NOW - 30,
        "data": {"object": refund},
    }
    return json.dumps(event).encode()


def header(payload: bytes, *secrets: str, t: int = NOW) -> str:
    """A Stripe-Signature header with one v1 per secret."""
    return ",".join([f"t={t}", *(f"v1={sign_payload(payload, s, t)}" for s in secrets)])


def test_a_valid_delivery_verifies_and_parses() -> None:
    """A body signed with the endpoint secret gives its event."""
    payload = body()
    event = verify_webhook(payload, header(payload, SECRET), [SECRET], now=NOW)
    assert (event.id, event.type) == ("evt_1", "refund.created")


def test_a_tampered_body_fails() -> None:
    """Changing one byte of the body breaks the signature."""
    payload = body()
    signature = header(payload, SECRET)
    with pytest.raises(NoMatchingSignatureError):
        verify_webhook(payload.replace(b"1250", b"9250"), signature, [SECRET], now=NOW)


def test_a_wrong_secret_fails_without_echoing_it() -> None:
    """A signature under another secret does not match, and the error never shows a secret."""
    payload = body()
    with pytest.raises(NoMatchingSignatureError) as info:
        verify_webhook(payload, header(payload, "whsec_attacker"), [SECRET], now=NOW)
    assert SECRET not in str(info.value)
    assert "whsec_attacker" not in str(info.value)


def test_rotation_accepts_the_second_secret() -> None:
    """While secrets rotate, a delivery signed with the old one still verifies."""
    payload = body()
    event = verify_webhook(payload, header(payload, OLD_SECRET), [SECRET, OLD_SECRET], now=NOW)
    assert event.id == "evt_1"


def test_any_of_several_v1_signatures_may_match() -> None:
    """Stripe sends one v1 per active secret; one match is enough, v0 is ignored."""
    payload = body()
    signed = header(payload, "whsec_other", SECRET)
    assert verify_webhook(payload, signed + ",v0=deadbeef", [SECRET], now=NOW).id == "evt_1"


def test_only_a_v0_signature_is_not_enough() -> None:
    """A header with only the legacy v0 scheme has no v1 to check."""
    payload = body()
    v0 = f"t={NOW},v0={sign_payload(payload, SECRET, NOW)}"
    with pytest.raises(SignatureHeaderError, match="no v1"):
        verify_webhook(payload, v0, [SECRET], now=NOW)


def test_too_old_is_refused_and_the_edge_is_accepted() -> None:
    """A timestamp older than the tolerance is a replay; exactly at the tolerance it passes."""
    payload = body()
    old = header(payload, SECRET, t=NOW - 301)
    with pytest.raises(TimestampTooOldError, match="301 s ago"):
        verify_webhook(payload, old, [SECRET], now=NOW)
    edge = header(payload, SECRET, t=NOW - 300)
    assert verify_webhook(payload, edge, [SECRET], now=NOW).id == "evt_1"


@pytest.mark.parametrize(
    ("sig_header", "why"),
    [
        (None, "no Stripe-Signature"),
        ("", "no Stripe-Signature"),
        ("v1=abc", "no timestamp"),
        ("t=soon,v1=abc", "not a whole number"),
    ],
)
def test_a_missing_or_malformed_header_says_what_is_wrong(sig_header: str | None, why: str) -> None:
    """No header, no timestamp or a broken one: a header error naming the problem."""
    with pytest.raises(SignatureHeaderError, match=why):
        verify_webhook(body(), sig_header, [SECRET], now=NOW)


@pytest.mark.parametrize(
    "v1",
    [
        "é" * 64,  # non-ASCII: hmac.compare_digest(str, str) raises TypeError on it
        "\u0663" * 64,  # Arabic-Indic digits: digits to str.isdigit, not hex
        "ab" * 31,  # 62 hex digits
        "ab" * 33,  # 66 hex digits
        "g" * 64,  # right length, not hex
        "",  # empty
    ],
    ids=["non-ascii", "arabic-indic-digits", "62-hex", "66-hex", "not-hex", "empty"],
)
def test_a_v1_that_is_not_64_hex_digits_is_a_header_error(v1: str) -> None:
    """A non-ASCII, non-hex or wrong-length v1 is a header error, never a comparison."""
    payload = body()
    with pytest.raises(SignatureHeaderError, match="not 64 hex digits") as info:
        verify_webhook(payload, f"t={NOW},v1={v1}", [SECRET], now=NOW)
    if v1:
        assert v1 not in str(info.value)  # what the sender wrote is never echoed


def test_a_bad_v1_next_to_a_good_one_is_still_refused() -> None:
    """A header with one valid and one malformed v1 is malformed as a whole."""
    payload = body()
    with pytest.raises(SignatureHeaderError):
        verify_webhook(payload, header(payload, SECRET) + ",v1=zz", [SECRET], now=NOW)


def test_a_non_ascii_timestamp_is_a_header_error() -> None:
    """t= must be ASCII digits: other scripts' digits are not a Unix time."""
    payload = body()
    signed = header(payload, SECRET).replace(f"t={NOW}", "t=" + "\u0661" * 10)
    with pytest.raises(SignatureHeaderError, match="not a whole number"):
        verify_webhook(payload, signed, [SECRET], now=NOW)


def test_no_secret_is_a_configuration_error() -> None:
    """Verifying without a secret is refused before looking at the delivery."""
    with pytest.raises(rc.ConfigurationError):
        verify_webhook(body(), header(body(), SECRET), [], now=NOW)


def test_the_inbox_drops_a_duplicate_event_id() -> None:
    """The same event delivered twice is processed once; the second is marked duplicate."""
    inbox = WebhookInbox([SECRET])
    payload = body()
    first = inbox.receive(payload, header(payload, SECRET), now=NOW)
    inbox.acknowledge(first)
    again = inbox.receive(payload, header(payload, SECRET, t=NOW + 5), now=NOW + 5)
    assert (first.duplicate, again.duplicate) == (False, True)
    assert first.refund_id == "re_1"
    assert first.source_event is None  # a creation: read the refund through the API


def test_an_unacknowledged_delivery_is_handled_again() -> None:
    """A delivery never acknowledged (its handling failed) is not a duplicate on Stripe's retry."""
    inbox = WebhookInbox([SECRET])
    payload = body()
    assert not inbox.receive(payload, header(payload, SECRET), now=NOW).duplicate
    assert not inbox.receive(payload, header(payload, SECRET), now=NOW).duplicate


def test_the_inbox_memory_is_bounded() -> None:
    """Past its capacity the inbox forgets the oldest IDs (the journal dedupes for good)."""
    inbox = WebhookInbox([SECRET], capacity=2)
    for event_id in ("evt_a", "evt_b", "evt_c"):
        payload = body(event_id)
        delivery = inbox.receive(payload, header(payload, SECRET), now=NOW)
        assert not delivery.duplicate
        inbox.acknowledge(delivery)
    payload = body("evt_c")
    assert inbox.receive(payload, header(payload, SECRET), now=NOW).duplicate
    payload = body("evt_a")
    assert not inbox.receive(payload, header(payload, SECRET), now=NOW).duplicate
    assert SECRET not in repr(inbox)


def test_standin_signed_failures_map_to_our_events() -> None:
    """Stand-in deliveries: charge.failed -> PaymentFailure, refund.failed -> FAILED refund."""
    standin = StripeStandIn()
    standin.add_charge(
        M("80.00 USD"),
        charge_id="ch_ach",
        created=at("2026-05-01"),
        payment_method_type="us_bank_account",
        status="pending",
    )
    standin.fail_ach_charge("ch_ach", "R01", "Insufficient funds", event_id="evt_fail")
    charge = standin.add_charge(M("30.00 USD"), charge_id="ch_c", created=at("2026-05-01"))
    standin.add_refund(charge["id"], M("30.00 USD"), refund_id="re_c", created=at("2026-05-02"))
    standin.fail_refund("re_c", "declined", event_id="evt_rf")
    inbox = WebhookInbox([SECRET])
    failure = inbox.receive(*standin.signed_webhook("evt_fail", SECRET, timestamp=NOW), now=NOW)
    assert isinstance(failure.source_event, rc.PaymentFailure)
    assert failure.source_event.payment_ref == "ch_ach"
    assert failure.source_event.failure_code == "R01"
    refund = inbox.receive(*standin.signed_webhook("evt_rf", SECRET, timestamp=NOW), now=NOW)
    assert isinstance(refund.source_event, rc.RefundEvent)
    assert refund.source_event.status is rc.RefundStatus.FAILED
    assert refund.source_event.failure_reason == "declined"
    assert refund.refund_id == "re_c"


def test_a_refund_named_by_a_webhook_is_read_again_with_its_charge() -> None:
    """refund.created triggers a read of the refund's current state and charge date."""
    standin = StripeStandIn()
    charge = standin.add_charge(M("30.00 USD"), charge_id="ch_w", created=at("2026-01-10"))
    standin.add_refund(charge["id"], M("12.00 USD"), refund_id="re_w", created=at("2026-05-02"))
    inbox = WebhookInbox([SECRET])
    delivery = inbox.receive(*standin.signed_webhook("evt_re_w", SECRET, timestamp=NOW), now=NOW)
    assert delivery.refund_id == "re_w"
    event = run(StripeRefundSource(client_for(standin)).refund(delivery.refund_id))
    assert event.charge_created_at == at("2026-01-10")
    assert event.amount == M("12.00 USD")


def test_a_refund_status_change_by_webhook_is_read_again_unless_decidable() -> None:
    """refund.updated to succeeded names the refund to read (its charge date); canceled maps."""
    standin = StripeStandIn()
    standin.add_charge(M("30.00 USD"), charge_id="ch_u", created=at("2026-01-10"))
    for refund_id in ("re_ok", "re_x"):
        standin.add_refund(
            "ch_u", M("10.00 USD"), refund_id=refund_id, created=at("2026-05-02"), status="pending"
        )
    standin.change_refund_status("re_ok", "succeeded", event_id="evt_ok")
    standin.change_refund_status("re_x", "canceled", event_id="evt_x")
    inbox = WebhookInbox([SECRET])
    succeeded = inbox.receive(*standin.signed_webhook("evt_ok", SECRET, timestamp=NOW), now=NOW)
    assert (succeeded.source_event, succeeded.refund_id) == (None, "re_ok")
    event = run(StripeRefundSource(client_for(standin)).refund("re_ok"))
    assert (event.status, event.charge_created_at) == (rc.RefundStatus.SUCCEEDED, at("2026-01-10"))
    canceled = inbox.receive(*standin.signed_webhook("evt_x", SECRET, timestamp=NOW), now=NOW)
    assert isinstance(canceled.source_event, rc.RefundEvent)
    assert canceled.source_event.status is rc.RefundStatus.CANCELED
