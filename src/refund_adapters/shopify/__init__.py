"""Shopify: outgoing refunds and store credit (NSC-7, NSC-8), incoming refunds, webhooks.

Intent: speak Shopify's Admin GraphQL API (version :data:`API_VERSION`) for the sync engine.
:class:`ShopifyStorefront` implements :class:`refund_core.Storefront` (a cart: refunds made in
NetSuite go out to Shopify, which moves the money); :class:`ShopifyRefundSource` implements
:class:`refund_core.RefundSource` for accounts that sync Shopify refunds in;
:class:`ShopifyWebhookVerifier` checks ``refunds/create`` deliveries; :class:`ShopifyDoctor`
checks, reading only, what the adapters assume about a shop. All share one
:class:`ShopifyAdminClient` (cost-paced, retried, errors mapped to ``refund_adapters._http``).

:class:`ShopifyStandIn` is a stateful local Shopify for tests and demos; it validates and executes
every query with graphql-core against the subset of Shopify's published Admin schema shipped in
this package (``admin_2026-01.subset.graphql``), or a full SDL file given to it. graphql-core is
only imported by those who use the stand-in, so it is imported lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._client import API_VERSION, ShopifyAdminClient, ShopifyUserError, UserErrorDetail
from ._doctor import ShopifyDoctor
from ._source import ShopifyRefundSource
from ._storefront import (
    MAX_ATTEMPTS,
    LineNotOnOrderError,
    RestockType,
    ShopifyOverRefundError,
    ShopifyStorefront,
    idempotency_key,
)
from ._webhooks import ShopifyWebhook, ShopifyWebhookVerifier, WebhookVerificationError
from ._wire import IncompleteListError, MalformedResponseError

if TYPE_CHECKING:
    from ._standin import ShopifyStandIn

__all__ = [
    "API_VERSION",
    "MAX_ATTEMPTS",
    "IncompleteListError",
    "LineNotOnOrderError",
    "MalformedResponseError",
    "RestockType",
    "ShopifyAdminClient",
    "ShopifyDoctor",
    "ShopifyOverRefundError",
    "ShopifyRefundSource",
    "ShopifyStandIn",
    "ShopifyStorefront",
    "ShopifyUserError",
    "ShopifyWebhook",
    "ShopifyWebhookVerifier",
    "UserErrorDetail",
    "WebhookVerificationError",
    "idempotency_key",
]


def __getattr__(name: str) -> Any:
    # The stand-in needs graphql-core; only those who use it pay for (and need) the import.
    if name == "ShopifyStandIn":
        from ._standin import ShopifyStandIn  # noqa: PLC0415 - lazy on purpose

        return ShopifyStandIn
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
