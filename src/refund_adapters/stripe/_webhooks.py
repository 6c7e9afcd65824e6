"""Stripe webhook intake: verify the signature, parse the event, deliver each event ID once.

Intent: a webhook is an unauthenticated HTTP POST until its ``Stripe-Signature`` proves
otherwise. :func:`verify_webhook` follows Stripe's scheme (A16): the header is
``t=<unix time>,v1=<hex>[,v1=<hex>...]``; the signed payload is ``"{t}.{raw body}"``; a
signature is the hex HMAC-SHA256 of it under an endpoint secret; the event is genuine if *any*
``v1`` matches *any* configured secret (several ``v1`` while Stripe rolls a secret, several
secrets while we do), compared in constant time as raw digest bytes (a ``v1`` that is not 64
hex digits is a malformed header, never a comparison); ``v0`` (test-mode legacy) is ignored; the
timestamp must be no older than ``tolerance`` seconds (300 by default, as every official SDK).
Only the past is checked, as Stripe's SDKs do. Each failure is a :class:`WebhookError` subclass
saying what was wrong, never echoing a secret or a signature.

:class:`WebhookInbox` remembers the last ``capacity`` event IDs handled (Stripe may deliver
an event more than once; an ID counts once the caller acknowledges it) and maps accepted events
to our source events where no API call is needed; refunds it names should be read again through
:meth:`refund_adapters.stripe.StripeRefundSource.refund`, which gives the current state and the
charge's date, and disputes (``charge.dispute.*``, DSP-1) through
:meth:`refund_adapters.stripe.StripeRefundSource.dispute`. The memory is bounded and per
process: the engine's journal (keyed by the refund or failure ID) is the durable deduplication;
the inbox only spares repeated work.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import OrderedDict
from collections.abc import Sequence

import attrs

import refund_core as rc

from .._decode import UpstreamDataError, parse_json
from ._refunds import DISPUTE_EVENTS, source_event_from
from ._wire import StripeDispute, StripeEvent, StripeRefund, decode, read

__all__ = [
    "DEFAULT_TOLERANCE_S",
    "NoMatchingSignatureError",
    "SignatureHeaderError",
    "TimestampTooOldError",
    "WebhookDelivery",
    "WebhookError",
    "WebhookInbox",
    "sign_payload",
    "verify_webhook",
]

#: Seconds a signed timestamp stays acceptable (stripe-python/-go/-node DEFAULT_TOLERANCE).
DEFAULT_TOLERANCE_S = 300

_REFUND_EVENTS = frozenset({"refund.created", "refund.updated", "refund.failed"})

#: A ``v1`` signature: the hex SHA-256 HMAC, 32 bytes. ASCII only: ``str.isdigit`` and ``\d``
#: would let other scripts' digits through, and ``hmac.compare_digest`` refuses non-ASCII str.
_V1 = re.compile(r"[0-9a-fA-F]{64}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class WebhookError(rc.InvalidInputError):
    """A webhook delivery was refused; the message says why."""


class SignatureHeaderError(WebhookError):
    """The ``Stripe-Signature`` header is missing or malformed (no timestamp, a bad ``v1``)."""


class TimestampTooOldError(WebhookError):
    """The signed timestamp is older than the tolerance: a possible replay."""


class NoMatchingSignatureError(WebhookError):
    """No ``v1`` signature matches the body under any configured secret."""


def sign_payload(payload: bytes, secret: str, timestamp: int) -> str:
    """The hex ``v1`` signature Stripe computes for ``payload`` at ``timestamp``."""
    return _digest(payload, secret, timestamp).hex()


def _digest(payload: bytes, secret: str, timestamp: int) -> bytes:
    signed = str(timestamp).encode("ascii") + b"." + payload
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).digest()


def _parse_header(sig_header: str | None) -> tuple[int, list[bytes]]:
    """The timestamp and the ``v1`` signatures, as digest bytes."""
    if not sig_header or not sig_header.strip():
        raise SignatureHeaderError("no Stripe-Signature header")
    timestamp: int | None = None
    values: list[str] = []
    for part in sig_header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            if not _TIMESTAMP.fullmatch(value):
                raise SignatureHeaderError(
                    "the Stripe-Signature timestamp t= is not a whole number"
                )
            timestamp = int(value)
        elif key == "v1":
            values.append(value)
    if timestamp is None:
        raise SignatureHeaderError("the Stripe-Signature header has no timestamp (t=)")
    if not values:
        raise SignatureHeaderError("the Stripe-Signature header has no v1 signature")
    for value in values:
        if not _V1.fullmatch(value):
            # never echoed: the value is whatever the sender put there
            raise SignatureHeaderError(
                f"a v1 signature of the Stripe-Signature header is not 64 hex digits "
                f"({len(value)} characters)"
            )
    return timestamp, [bytes.fromhex(value) for value in values]


def verify_webhook(
    payload: bytes,
    sig_header: str | None,
    secrets: Sequence[str],
    *,
    now: int,
    tolerance: int = DEFAULT_TOLERANCE_S,
) -> StripeEvent:
    """Check a delivery's signature and age, then parse its event.

    ``payload`` must be the raw body as received (re-serialised JSON does not verify). ``now`` is
    the current Unix time, passed in so callers and tests control the clock.
    """
    if not secrets or not all(secrets):
        raise rc.ConfigurationError("verify_webhook needs at least one non-empty endpoint secret")
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise WebhookError(
            f"the webhook body must be the raw request bytes, not {type(payload).__name__} "
            "(a decoded or re-encoded body would not match the signature)"
        )
    if sig_header is not None and not isinstance(sig_header, str):
        raise SignatureHeaderError(
            f"the Stripe-Signature header must be text, not {type(sig_header).__name__}"
        )
    payload = bytes(payload)
    timestamp, signatures = _parse_header(sig_header)
    matched = False
    for secret in secrets:
        expected = _digest(payload, secret, timestamp)
        for signature in signatures:
            # Every pair is compared, so timing says nothing about which one matched.
            matched |= hmac.compare_digest(expected, signature)
    if not matched:
        raise NoMatchingSignatureError(
            f"no v1 signature of the delivery matches the body under any of the "
            f"{len(secrets)} configured endpoint secret(s)"
        )
    if timestamp < now - tolerance:
        raise TimestampTooOldError(
            f"the delivery was signed {now - timestamp} s ago, more than the {tolerance} s allowed"
        )
    try:
        # Bounded depth: a validly signed body may still nest too deep for a recursive reader.
        document = parse_json(payload, service="stripe", endpoint="webhook delivery")
    except UpstreamDataError as exc:
        raise WebhookError(f"the signed delivery body is {exc.problem}") from exc
    return read(document, StripeEvent, where="webhook event", endpoint="webhook delivery")


@attrs.frozen
class WebhookDelivery:
    """What one accepted delivery means for us.

    ``duplicate``: the event ID was seen before (nothing to do). ``source_event``: the event
    mapped without an API call (a failed payment, a failed or canceled refund). ``refund_id``:
    a refund to read again through the API for its current state and charge date;
    ``dispute_id`` likewise a dispute (a withdrawal is decided like a refund, DSP-1; a
    reinstatement changes no record, DSP-2, so reading it again finds the dispute synced).
    """

    event_id: str
    event_type: str
    duplicate: bool
    source_event: rc.SourceEvent | None = None
    refund_id: str | None = None
    dispute_id: str | None = None


class WebhookInbox:
    """Verifies deliveries and drops repeated event IDs, remembering at most ``capacity``."""

    def __init__(
        self,
        secrets: Sequence[str],
        *,
        capacity: int = 10_000,
        tolerance: int = DEFAULT_TOLERANCE_S,
    ) -> None:
        if capacity < 1:
            raise rc.ConfigurationError(
                f"webhook inbox capacity must be at least 1, not {capacity}"
            )
        if not secrets or not all(secrets):
            raise rc.ConfigurationError("a webhook inbox needs at least one non-empty secret")
        self._secrets = tuple(secrets)
        self._capacity = capacity
        self._tolerance = tolerance
        self._seen: OrderedDict[str, None] = OrderedDict()

    def __repr__(self) -> str:
        return f"WebhookInbox(secrets=<{len(self._secrets)} hidden>, capacity={self._capacity})"

    def receive(self, payload: bytes, sig_header: str | None, *, now: int) -> WebhookDelivery:
        """Verify one delivery and say what it means; raises :class:`WebhookError` if forged.

        The event counts as seen only once :meth:`acknowledge` is called after it was handled,
        so a delivery whose handling failed is handled again when Stripe retries it.
        """
        event = verify_webhook(
            payload, sig_header, self._secrets, now=now, tolerance=self._tolerance
        )
        if event.id in self._seen:
            self._seen.move_to_end(event.id)
            return WebhookDelivery(event.id, event.type, duplicate=True)
        refund_id = dispute_id = None
        if event.type in _REFUND_EVENTS:
            refund_id = read(
                event.object,
                StripeRefund,
                where=f"event {event.id!r} data.object",
                endpoint="webhook delivery",
                path="$.data.object",
            ).id
        if event.type in DISPUTE_EVENTS:
            dispute_id = decode(
                event.object, StripeDispute, endpoint="webhook", path="$.data.object"
            ).id
        return WebhookDelivery(
            event.id,
            event.type,
            duplicate=False,
            source_event=source_event_from(event),
            refund_id=refund_id,
            dispute_id=dispute_id,
        )

    def acknowledge(self, delivery: WebhookDelivery) -> None:
        """Remember a handled delivery's event ID; the oldest is forgotten beyond capacity."""
        self._seen[delivery.event_id] = None
        self._seen.move_to_end(delivery.event_id)
        if len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
