"""Shopify webhooks: refunds/create verified by HMAC, forgeries refused, repeats noticed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

import refund_core as rc
from refund_adapters.conformance import run
from refund_adapters.shopify import (
    ShopifyRefundSource,
    ShopifyWebhookVerifier,
    WebhookVerificationError,
)
from tests.shopify.factories import FakeClock, client, standin

SECRET = "app-secret-current"
OLD_SECRET = "app-secret-before-rotation"

#: A refunds/create body as Shopify sends it (REST-shaped), for tests that need no stand-in.
REFUND_BODY = json.dumps(
    {
        "id": 8001,
        "order_id": 5001,
        "created_at": "2026-03-10T12:00:00Z",
        "admin_graphql_api_id": "gid://shopify/Refund/8001",
        "transactions": [{"id": 9001, "kind": "refund", "amount": "60.00", "currency": "USD"}],
    }
).encode()


def _signed(body: bytes, secret: str, webhook_id: str = "wh-1") -> dict[str, str]:
    """The headers of a delivery of ``body`` signed with ``secret``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return {
        "X-Shopify-Topic": "refunds/create",
        "X-Shopify-Hmac-SHA256": base64.b64encode(digest).decode(),
        "X-Shopify-Shop-Domain": "test-shop.myshopify.com",
        "X-Shopify-API-Version": "2026-01",
        "X-Shopify-Webhook-Id": webhook_id,
    }


def _delivery(secret: str = SECRET) -> tuple[bytes, dict[str, str], object]:
    clock = FakeClock()
    shop = standin(clock)
    shop.add_order("5001", lines=[("51", "JACKET", 1, "60.00")])
    refund = shop.add_refund(
        "5001",
        "8001",
        "60.00",
        created_at=shop.order("5001").created_at,
        lines=[("51", 1, "60.00")],
    )
    body, headers = shop.refund_webhook("5001", refund.id, secret)
    return body, headers, (shop, clock)


def test_a_genuine_delivery_is_accepted_and_leads_to_the_refund() -> None:
    """A correctly signed refunds/create is accepted; its refund is then read as an event."""
    body, headers, (shop, clock) = _delivery()
    webhook = ShopifyWebhookVerifier([SECRET]).verify(body, headers)
    assert webhook.topic == "refunds/create"
    assert not webhook.duplicate
    assert webhook.refund_id == "gid://shopify/Refund/8001"
    source = ShopifyRefundSource(client(shop, clock=clock))  # type: ignore[arg-type]
    event = run(source.fetch_event(webhook.refund_id))
    assert event is not None
    assert (event.refund_id, str(event.amount), event.order_ref) == ("8001", "60.00 USD", "5001")


def test_a_forged_shopify_webhook_is_rejected() -> None:
    """A delivery signed with another secret is refused with a typed error (no specs needed)."""
    headers = _signed(REFUND_BODY, "attacker-guess")
    with pytest.raises(WebhookVerificationError, match="does not match"):
        ShopifyWebhookVerifier([SECRET]).verify(REFUND_BODY, headers)
    genuine = ShopifyWebhookVerifier([SECRET]).verify(REFUND_BODY, _signed(REFUND_BODY, SECRET))
    assert genuine.refund_id == "gid://shopify/Refund/8001"


def test_a_forged_delivery_from_the_stand_in_is_rejected() -> None:
    """The stand-in's own delivery, signed with a secret the app does not hold, is refused."""
    body, headers, _ = _delivery(secret="attacker-guess")
    with pytest.raises(WebhookVerificationError, match="does not match"):
        ShopifyWebhookVerifier([SECRET]).verify(body, headers)


def test_a_tampered_body_is_rejected() -> None:
    """Changing the body after signing (say, the amount) breaks the signature."""
    body, headers, _ = _delivery()
    tampered = body.replace(b'"60.00"', b'"600.00"')
    assert tampered != body
    with pytest.raises(WebhookVerificationError):
        ShopifyWebhookVerifier([SECRET]).verify(tampered, headers)
    assert isinstance(WebhookVerificationError("x"), rc.InvalidInputError)


def test_missing_or_garbled_signature_is_rejected() -> None:
    """No signature header, or one that is not base64, is refused."""
    body, headers, _ = _delivery()
    verifier = ShopifyWebhookVerifier([SECRET])
    unsigned = {k: v for k, v in headers.items() if k != "X-Shopify-Hmac-SHA256"}
    with pytest.raises(WebhookVerificationError, match="no X-Shopify-Hmac-SHA256"):
        verifier.verify(body, unsigned)
    with pytest.raises(WebhookVerificationError):
        verifier.verify(body, {**headers, "X-Shopify-Hmac-SHA256": "not base64!!"})


@pytest.mark.parametrize(
    ("signature", "problem"),
    [
        ("not base64!!", "not base64"),
        ("héllo==", "not base64"),
        (base64.b64encode(b"short").decode(), "holds 5 bytes"),
        (base64.b64encode(bytes(64)).decode(), "holds 64 bytes"),
        ("", "no X-Shopify-Hmac-SHA256"),
    ],
)
def test_a_malformed_signature_is_a_typed_error(signature: str, problem: str) -> None:
    """A signature that is not base64 of a 32-byte digest is refused as such, never a TypeError."""
    headers = {**_signed(REFUND_BODY, SECRET), "X-Shopify-Hmac-SHA256": signature}
    verifier = ShopifyWebhookVerifier([SECRET])
    with pytest.raises(WebhookVerificationError, match=problem):
        verifier.verify(REFUND_BODY, headers)
    assert not verifier.signature_matches(REFUND_BODY, signature)


def test_a_body_that_is_not_raw_bytes_is_a_typed_error() -> None:
    """A decoded (str) body cannot be verified; the error says to pass the raw bytes."""
    verifier = ShopifyWebhookVerifier([SECRET])
    with pytest.raises(WebhookVerificationError, match="raw request bytes"):
        verifier.verify(REFUND_BODY.decode(), _signed(REFUND_BODY, SECRET))  # type: ignore[arg-type]


def test_the_previous_secret_is_accepted_during_rotation() -> None:
    """During a rotation both secrets verify; one holding only the new secret refuses the old."""
    body, headers, _ = _delivery(secret=OLD_SECRET)
    assert not ShopifyWebhookVerifier([SECRET]).signature_matches(
        body, headers["X-Shopify-Hmac-SHA256"]
    )
    webhook = ShopifyWebhookVerifier([SECRET, OLD_SECRET]).verify(body, headers)
    assert webhook.webhook_id == headers["X-Shopify-Webhook-Id"]
    new_body, new_headers, _ = _delivery(secret=SECRET)
    assert ShopifyWebhookVerifier([SECRET, OLD_SECRET]).verify(new_body, new_headers)


def test_a_redelivery_after_success_is_a_duplicate() -> None:
    """A delivery processed and marked, then delivered again: the repeat is a duplicate."""
    body, headers, _ = _delivery()
    verifier = ShopifyWebhookVerifier([SECRET])
    first = verifier.verify(body, headers)
    assert not first.duplicate
    verifier.mark_processed(first.webhook_id)
    assert verifier.verify(body, headers).duplicate
    other = _signed(REFUND_BODY, SECRET, webhook_id="wh-other")
    assert not verifier.verify(REFUND_BODY, other).duplicate


def test_a_redelivery_after_failed_processing_is_processed() -> None:
    """Verified but never marked processed (processing failed): the redelivery is processed."""
    body, headers, (shop, clock) = _delivery()
    verifier = ShopifyWebhookVerifier([SECRET])
    source = ShopifyRefundSource(client(shop, clock=clock))  # type: ignore[arg-type]
    processed: list[rc.RefundEvent] = []

    def receive(fail: bool) -> None:
        webhook = verifier.verify(body, headers)
        if webhook.duplicate:
            return
        assert webhook.refund_id is not None
        event = run(source.fetch_event(webhook.refund_id))
        assert event is not None
        if fail:
            raise RuntimeError("the engine was down")
        processed.append(event)
        verifier.mark_processed(webhook.webhook_id)

    with pytest.raises(RuntimeError):
        receive(fail=True)
    receive(fail=False)
    receive(fail=False)
    assert [event.refund_id for event in processed] == ["8001"]


def test_processed_ids_are_remembered_up_to_the_limit() -> None:
    """The memory of processed deliveries is bounded; the oldest is forgotten first."""
    verifier = ShopifyWebhookVerifier([SECRET], remember=2)
    for webhook_id in ("wh-1", "wh-2", "wh-3"):
        verifier.mark_processed(webhook_id)
    assert not verifier.verify(REFUND_BODY, _signed(REFUND_BODY, SECRET, "wh-1")).duplicate
    assert verifier.verify(REFUND_BODY, _signed(REFUND_BODY, SECRET, "wh-3")).duplicate
    with pytest.raises(rc.InvalidInputError):
        verifier.mark_processed("")


def test_header_names_are_case_insensitive_and_topics_checked() -> None:
    """Lower-case header names verify; a topic the app does not handle is refused."""
    body, headers, _ = _delivery()
    lower = {k.lower(): v for k, v in headers.items()}
    assert (
        ShopifyWebhookVerifier([SECRET]).verify(body, lower).shop_domain.endswith(".myshopify.com")
    )
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    other = {**headers, "X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-SHA256": signature}
    with pytest.raises(WebhookVerificationError, match="topic 'orders/create'"):
        ShopifyWebhookVerifier([SECRET]).verify(body, other)
    assert json.loads(body)["admin_graphql_api_id"] == "gid://shopify/Refund/8001"


def test_secrets_stay_out_of_repr_and_a_secret_is_required() -> None:
    """The verifier shows no secret, and refuses to exist without one."""
    assert SECRET not in repr(ShopifyWebhookVerifier([SECRET]))
    with pytest.raises(rc.ConfigurationError):
        ShopifyWebhookVerifier([])
