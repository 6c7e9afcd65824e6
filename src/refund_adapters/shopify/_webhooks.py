"""Verifying Shopify webhook deliveries (``refunds/create``) and ignoring duplicates.

Shopify signs each HTTPS delivery: ``X-Shopify-Hmac-SHA256`` is the base64 HMAC-SHA256 of the
raw request body keyed with the app's client secret. Verification must use the raw bytes (not a
re-serialised JSON) and a constant-time comparison. After a secret is rotated Shopify may sign
with the old one for up to an hour, so several secrets can be given; any one of them may match.

Deliveries are at-least-once: ``X-Shopify-Webhook-Id`` names a delivery. A delivery counts as
done only once it was *processed*: the receiver calls :meth:`ShopifyWebhookVerifier.verify`,
processes the delivery, then :meth:`ShopifyWebhookVerifier.mark_processed`. A redelivery after
a failure (no ``mark_processed``) is processed again, never dropped as a duplicate; a
redelivery after success comes back with ``duplicate=True``::

    webhook = verifier.verify(raw_body, headers)  # WebhookVerificationError if forged
    if not webhook.duplicate:
        event = await source.fetch_event(webhook.refund_id)
        ...  # hand the event to the engine; if this raises, Shopify delivers again
        verifier.mark_processed(webhook.webhook_id)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import types
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

import refund_core as rc

from .._decode import UpstreamDataError, parse_json

__all__ = ["ShopifyWebhook", "ShopifyWebhookVerifier", "WebhookVerificationError"]


class WebhookVerificationError(rc.InvalidInputError):
    """A delivery whose signature is missing or wrong (forged or tampered), or is malformed."""


@attrs.frozen
class ShopifyWebhook:
    """A verified delivery: its topic, shop, IDs and REST-shaped JSON payload.

    ``duplicate`` is True when this delivery ID was processed before (do not process it again).
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
        if isinstance(key, str) and key.lower() == wanted:
            if not isinstance(value, str):
                raise WebhookVerificationError(
                    f"header {name} must be text, not {type(value).__name__}"
                )
            return value
    return None


#: The length of an HMAC-SHA256 digest, which ``X-Shopify-Hmac-SHA256`` carries in base64.
_DIGEST_SIZE = hashlib.sha256().digest_size


def _signature_bytes(signature: str | bytes) -> bytes:
    """The digest in an ``X-Shopify-Hmac-SHA256`` value; a typed error when it cannot be one."""
    if not isinstance(signature, str | bytes):
        raise WebhookVerificationError(
            f"X-Shopify-Hmac-SHA256 must be text, not {type(signature).__name__}"
        )
    try:
        given = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise WebhookVerificationError("X-Shopify-Hmac-SHA256 is not base64") from None
    if len(given) != _DIGEST_SIZE:
        raise WebhookVerificationError(
            f"X-Shopify-Hmac-SHA256 holds {len(given)} bytes, not a {_DIGEST_SIZE}-byte "
            "HMAC-SHA256 digest"
        )
    return given


class ShopifyWebhookVerifier:
    """Checks signatures against the app's secret(s) and remembers processed delivery IDs.

    ``secrets`` lists the current client secret first and, during a rotation, the previous one.
    ``topics`` limits which topics are accepted (``refunds/create`` by default). The memory of
    processed delivery IDs holds the last ``remember`` of them; durable dedupe is the journal's
    job (a refund's ID is its event key), this only saves the work of a quick redelivery.
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
        self._processed: OrderedDict[str, None] = OrderedDict()

    def __repr__(self) -> str:
        return f"ShopifyWebhookVerifier(secrets={len(self.__keys)}, topics={sorted(self._topics)})"

    def _matches(self, body: bytes, given: bytes) -> bool:
        matched = False
        for key in self.__keys:
            expected = hmac.new(key, body, hashlib.sha256).digest()
            # Every secret is tried (no early exit), so timing does not tell which one matched.
            matched |= hmac.compare_digest(expected, given)
        return matched

    def signature_matches(self, body: bytes, signature: str) -> bool:
        """Whether ``signature`` is the base64 HMAC-SHA256 of ``body`` under any secret.

        A signature that is not base64 of a 32-byte digest does not match.
        """
        try:
            given = _signature_bytes(signature)
        except WebhookVerificationError:
            return False
        return self._matches(bytes(body), given)

    def verify(self, body: bytes, headers: Mapping[str, str]) -> ShopifyWebhook:
        """Verify one delivery (raw body and its headers); say whether it was processed before.

        Raises :class:`WebhookVerificationError` when the signature is missing, malformed or
        wrong, or the delivery is otherwise not one to handle. Verifying does not mark the
        delivery: call :meth:`mark_processed` once it has been processed.
        """
        if not isinstance(body, bytes | bytearray | memoryview):
            raise WebhookVerificationError(
                f"the webhook body must be the raw request bytes, not {type(body).__name__} "
                "(a re-encoded body would not match the signature)"
            )
        raw = bytes(body)
        signature = _header(headers, "X-Shopify-Hmac-SHA256")
        if not signature:
            raise WebhookVerificationError("webhook has no X-Shopify-Hmac-SHA256 header")
        if not self._matches(raw, _signature_bytes(signature)):
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
            # Bounded depth: a validly signed body may still nest too deep for a recursive reader.
            payload = parse_json(raw, service="shopify", endpoint=f"webhook {topic}")
        except UpstreamDataError as exc:
            raise WebhookVerificationError(f"webhook body is {exc.problem}") from None
        if not isinstance(payload, dict):
            raise WebhookVerificationError("webhook body is not a JSON object")
        return ShopifyWebhook(
            topic=topic,
            shop_domain=_header(headers, "X-Shopify-Shop-Domain") or "",
            webhook_id=webhook_id,
            api_version=_header(headers, "X-Shopify-API-Version") or "",
            payload=types.MappingProxyType(payload),
            duplicate=webhook_id in self._processed,
        )

    def mark_processed(self, webhook_id: str) -> None:
        """Remember that the delivery ``webhook_id`` was processed: a redelivery is a duplicate.

        Call it only after processing succeeded, so a delivery whose processing failed is
        processed again when Shopify delivers it again.
        """
        if not webhook_id:
            raise rc.InvalidInputError("a webhook ID to mark as processed must not be empty")
        self._processed[webhook_id] = None
        self._processed.move_to_end(webhook_id)
        while len(self._processed) > self._remember:
            self._processed.popitem(last=False)
