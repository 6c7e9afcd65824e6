"""The Stripe adapter's public surface is exactly what we mean to export."""

from __future__ import annotations

import refund_adapters.stripe as stripe_adapter
import refund_core as rc
from refund_adapters.stripe import StripePayoutSource, StripeRefundSource


def test_exports_are_exact() -> None:
    """``__all__`` names each export once, and every name in it exists."""
    assert len(set(stripe_adapter.__all__)) == len(stripe_adapter.__all__)
    assert all(hasattr(stripe_adapter, name) for name in stripe_adapter.__all__)
    assert set(stripe_adapter.__all__) == {
        "STRIPE_RETRY_POLICY",
        "STRIPE_VERSION",
        "NoMatchingSignatureError",
        "SignatureHeaderError",
        "StripeClient",
        "StripeDoctor",
        "StripePayloadError",
        "StripePayoutSource",
        "StripeRefundSource",
        "StripeRejectedError",
        "StripeStandIn",
        "TimestampTooOldError",
        "WebhookDelivery",
        "WebhookError",
        "WebhookInbox",
        "idempotency_key",
        "sign_payload",
        "stripe_advice",
        "stripe_money",
        "verify_webhook",
    }


def test_sources_conform_to_the_ports_structurally() -> None:
    """The sources are the core's ports by shape, not by inheritance."""
    assert rc.RefundSource not in StripeRefundSource.__mro__
    assert rc.PayoutSource not in StripePayoutSource.__mro__
    assert {"name", "list_events"} <= set(dir(StripeRefundSource))
    assert {"name", "list_payouts"} <= set(dir(StripePayoutSource))


def test_errors_subclass_what_callers_already_catch() -> None:
    """Payload, signature and rejection errors are input errors (ValueError)."""
    for error in (
        stripe_adapter.StripePayloadError,
        stripe_adapter.WebhookError,
        stripe_adapter.StripeRejectedError,
    ):
        assert issubclass(error, rc.InvalidInputError)
        assert issubclass(error, ValueError)
