"""The Stripe adapter: refunds, failed payments and payouts in, webhooks verified.

Intent: Stripe is where processor refunds start (STC-1). This package reads them through the
v1 API with a pinned ``Stripe-Version`` (:data:`STRIPE_VERSION`) and hands the engine
:mod:`refund_core` events: :class:`StripeRefundSource` (a ``RefundSource``: refunds, refunds
that failed later, failed delayed payments, oldest first) and :class:`StripePayoutSource` (a
``PayoutSource``: paid payouts with their balance entries). :class:`StripeClient` owns the
HTTP side (bearer key, form bodies, idempotency keys, retries, typed errors);
:func:`verify_webhook` and :class:`WebhookInbox` take Stripe's signed webhooks. See
``docs/stripe.md`` for the endpoints, the paging design and the retry policy.
:class:`StripeStandIn` is a stateful local Stripe for tests and the demo;
:class:`StripeDoctor` checks, reading only, what the adapters assume about an account.
"""

from ._client import (
    STRIPE_RETRY_POLICY,
    STRIPE_VERSION,
    StripeClient,
    StripeRejectedError,
    idempotency_key,
    stripe_advice,
)
from ._doctor import StripeDoctor
from ._payouts import StripePayoutSource
from ._refunds import StripeRefundSource
from ._standin import StripeStandIn
from ._webhooks import (
    NoMatchingSignatureError,
    SignatureHeaderError,
    TimestampTooOldError,
    WebhookDelivery,
    WebhookError,
    WebhookInbox,
    sign_payload,
    verify_webhook,
)
from ._wire import StripePayloadError, stripe_money

__all__ = [
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
]
