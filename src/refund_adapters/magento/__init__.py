"""Magento 2 / Adobe Commerce: a cart storefront that receives outgoing refunds (NSC-7, NSC-10).

Intent: a credit memo or cash refund made in NetSuite becomes a Magento credit memo, offline
(``POST /V1/order/{id}/refund``) or through the gateway (``POST /V1/invoice/{id}/refund`` with
``isOnline``), exactly once per external ID although Magento itself has no idempotency: the
adapter marks each credit memo's comment and looks for the mark before every write. Store credit
is not available over Magento's REST API, so gift-card parts stay manual actions (NSC-8).

- :class:`MagentoStorefront`: the :class:`refund_core.Storefront` adapter.
- :class:`BearerToken`, :func:`integration_auth`: admin/integration bearer tokens, or OAuth 1.0a
  integration signing (HMAC-SHA256).
- :class:`MagentoDoctor`: checks, reading only, what the storefront assumes about a store.
- :class:`MagentoStandIn`: a stateful local Magento for tests and demos (seed with
  :meth:`MagentoStandIn.add_order` and :class:`SeedItem`; read the credit memos refunds made
  with :meth:`MagentoStandIn.credit_memos_of`, as :class:`CreditMemoRecord`).
"""

from ._auth import BearerToken, MagentoAuth, integration_auth
from ._doctor import MagentoDoctor
from ._standin import CreditMemoRecord, Exchange, MagentoStandIn, SeedItem
from ._storefront import (
    DEFAULT_CAPABILITIES,
    DEFAULT_OFFLINE_METHODS,
    MARKER_PREFIX,
    MagentoStorefront,
    RefundLineError,
    StoreCreditUnsupportedError,
    marker_for,
)
from ._wire import MagentoResponseError, render_message

__all__ = [
    "DEFAULT_CAPABILITIES",
    "DEFAULT_OFFLINE_METHODS",
    "MARKER_PREFIX",
    "BearerToken",
    "CreditMemoRecord",
    "Exchange",
    "MagentoAuth",
    "MagentoDoctor",
    "MagentoResponseError",
    "MagentoStandIn",
    "MagentoStorefront",
    "RefundLineError",
    "SeedItem",
    "StoreCreditUnsupportedError",
    "integration_auth",
    "marker_for",
    "render_message",
]
