"""Verifying Shopify webhook deliveries (``refunds/create``) and ignoring duplicates.

Shopify signs each HTTPS delivery: ``X-Shopify-Hmac-SHA256`` is the base64 HMAC-SHA256 of the
raw request body keyed with the app's client secret. Verification must use the raw bytes (not a
re-serialised JSON) and a constant-time comparison. After a secret is rotated Shopify may sign
with the old one for up to an hour, so several secrets can be given; any one of them may match.
Deliveries are at-least-once: ``X-Shopify-Webhook-Id`` names a delivery, and a repeat of one
already accepted is reported as a duplicate rather than processed again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import types
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

import refund_core as rc

__all__ = ["ShopifyWebhook", "ShopifyWebhookVerifier", "WebhookVerificationError"]


class WebhookVerificationError(rc.InvalidInputError):
    """A delivery whose signature is missing or wrong (forged or tampered), or is malformed."""


@attrs.frozen
class ShopifyWebhook:
    """A verified delivery: its topic, shop, IDs and REST-shaped JSON payload.

    ``duplicate`` is True when this delivery ID was accepted before (do not process it again).
    ``refund_id`` is the refund's GraphQL ID (``admin_graphql_api_id``) for ``refunds/create``.
    """

    topic: str
    shop_domain: str
    webhook_id: str
    api_version: str
    payload: Mapping[str, Any]
    duplicate: bool

    @property
    def refund_id(self) -> str | None:
        """The refund's GID, when the payload is a refund."""
        value = self.payload.get("admin_graphql_api_id")
        return value if isinstance(value, str) else None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


class ShopifyWebhookVerifier:
    """Checks signatures against the app's secret(s) and remembers recent delivery IDs.

    ``secrets`` lists the current client secret first and, during a rotation, the previous one.
    ``topics`` limits which topics are accepted (``refunds/create`` by default). The memory of
    delivery IDs holds the last ``remember`` deliveries; durable dedupe is the journal's job
    (a refund's ID is its event key), this only saves the work of a quick redelivery.
    """

    def __init__(
        self,
        secrets: Sequence[str],
        *,
        topics: Sequence[str] = ("refunds/create",),
        remember: int = 10_000,
    ) -> None:
        keys = [secret.encode("utf-8") for secret in secrets if secret]
        if not keys:
            raise rc.ConfigurationError("a Shopify webhook verifier needs at least one secret")
        self.__keys = tuple(keys)
        self._topics = frozenset(topics)
        self._remember = remember
        self._seen: OrderedDict[str, None] = OrderedDict()

    def __repr__(self) -> str:
        return f"ShopifyWebhookVerifier(secrets={len(self.__keys)}, topics={sorted(self._topics)})"

    def signature_matches(self, body: bytes, signature: str) -> bool:
        """Whether ``signature`` is the base64 HMAC-SHA256 of ``body`` under any secret."""
        try:
            given = base64.b64decode(signature.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        matched = False
        for key in self.__keys:
            expected = hmac.new(key, body, hashlib.sha256).digest()
            # Every secret is tried (no early exit), so timing does not tell which one matched.
            matched |= hmac.compare_digest(expected, given)
        return matched

    def verify(self, body: bytes, headers: Mapping[str, str]) -> ShopifyWebhook:
        """Verify one delivery (raw body and its headers) and say whether it is a duplicate."""
        signature = _header(headers, "X-Shopify-Hmac-SHA256")
        if not signature:
            raise WebhookVerificationError("webhook has no X-Shopify-Hmac-SHA256 header")
        if not self.signature_matches(body, signature):
            raise WebhookVerificationError(
                "webhook signature does not match the body (forged, tampered with, or signed "
                "with a secret this verifier does not hold)"
            )
        topic = _header(headers, "X-Shopify-Topic") or ""
        if topic not in self._topics:
            raise WebhookVerificationError(f"webhook topic {topic!r} is not one this app handles")
        webhook_id = _header(headers, "X-Shopify-Webhook-Id")
        if not webhook_id:
            raise WebhookVerificationError("webhook has no X-Shopify-Webhook-Id header")
        try:
            payload = json.loads(body, parse_float=Decimal)
        except ValueError as exc:
            raise WebhookVerificationError(f"webhook body is not JSON: {exc}") from None
        if not isinstance(payload, dict):
            raise WebhookVerificationError("webhook body is not a JSON object")
        duplicate = webhook_id in self._seen
        self._seen[webhook_id] = None
        self._seen.move_to_end(webhook_id)
        while len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        return ShopifyWebhook(
            topic=topic,
            shop_domain=_header(headers, "X-Shopify-Shop-Domain") or "",
            webhook_id=webhook_id,
            api_version=_header(headers, "X-Shopify-API-Version") or "",
            payload=types.MappingProxyType(payload),
            duplicate=duplicate,
        )
