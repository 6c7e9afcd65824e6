"""Builders for the Stripe adapter's tests: a client talking to a stand-in, no-wait backoff.

Scenarios are seeded through the stand-in's own :meth:`StripeStandIn.from_events` and
:meth:`StripeStandIn.from_payouts` (refunds, failed payments, payouts from core models), so there
is one mapping from our models to Stripe objects, documented on those methods.
"""

from __future__ import annotations

import httpx

from refund_adapters.stripe import StripeClient
from refund_adapters.stripe._standin import DEFAULT_API_KEY, StripeStandIn

__all__ = ["client_for", "no_sleep"]


async def no_sleep(_seconds: float) -> None:
    """Backoff without waiting, so retrying tests stay instant."""


def client_for(standin: StripeStandIn, *, base_url: str = "https://api.stripe.com") -> StripeClient:
    """A StripeClient talking to ``standin`` in-process, with the stand-in's key."""
    http = httpx.AsyncClient(transport=standin.transport())
    return StripeClient(http, DEFAULT_API_KEY, base_url=base_url, sleep=no_sleep)
