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
    """A delivery signed with another secret is refused with a typed error."""
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


def test_a_repeated_delivery_is_marked_duplicate() -> None:
    """The same X-Shopify-Webhook-Id twice: the second is reported as a duplicate."""
    body, headers, _ = _delivery()
    verifier = ShopifyWebhookVerifier([SECRET])
    assert not verifier.verify(body, headers).duplicate
    assert verifier.verify(body, headers).duplicate


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
