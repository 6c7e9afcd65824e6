"""Factories that build the Stripe adapter over a seeded Stripe stand-in, for the port contracts.

``stripe_refund_source(events)`` and ``stripe_payout_source(payouts)`` match the contract
factory types (``Callable[[Iterable[SourceEvent]], RefundSource]`` and
``Callable[[Iterable[Payout]], PayoutSource]``): the stand-in is seeded from our own model
objects and the adapter reads them back through the in-process transport.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpx

import refund_core as rc
from refund_adapters.stripe import StripeClient, StripePayoutSource, StripeRefundSource
from refund_adapters.stripe._standin import DEFAULT_API_KEY, StripeStandIn

__all__ = [
    "client_for",
    "seed_failure",
    "seeded_standin",
    "stripe_payout_source",
    "stripe_refund_source",
]


async def _no_sleep(_seconds: float) -> None:
    """Backoff without waiting, so retrying tests stay instant."""


def client_for(standin: StripeStandIn, *, base_url: str = "https://api.stripe.com") -> StripeClient:
    """A StripeClient talking to ``standin`` in-process, with the stand-in's key."""
    http = httpx.AsyncClient(transport=standin.transport())
    return StripeClient(http, DEFAULT_API_KEY, base_url=base_url, sleep=_no_sleep)


def seed_failure(standin: StripeStandIn, failure: rc.PaymentFailure) -> None:
    """A pending ACH charge that failed: the reversal transaction's ID is ``failure_id``.

    The adapter names a failure by the charge's ``failure_balance_transaction`` (the ID the
    payout's ``payment_failure_refund`` entry carries), so the seed gives that transaction the
    failure's ID. A fixture that also refunds the same charge gets a charge of its own here.
    """
    charge_id = failure.payment_ref
    if charge_id in standin.charges:
        charge_id = f"{charge_id}_{failure.failure_id}"
    charge = standin.add_charge(
        failure.amount,
        charge_id=charge_id,
        created=failure.failed_at,
        payment_method_type="us_bank_account",
        status="pending",
    )
    standin.add_balance_transaction(
        "payment_failure_refund",
        -failure.amount,
        source=charge_id,
        created=failure.failed_at,
        txn_id=failure.failure_id,
        description=failure.failure_message or None,
    )
    charge.update(
        status="failed",
        paid=False,
        failure_code=failure.failure_code,
        failure_message=failure.failure_message,
        failure_balance_transaction=failure.failure_id,
    )
    standin.add_event(
        "charge.failed", charge, created=failure.failed_at, event_id=f"evt_{failure.failure_id}"
    )


def seeded_standin(events: Iterable[rc.SourceEvent]) -> StripeStandIn:
    """A stand-in holding the refunds (its own seeding) and failed payments (``seed_failure``)."""
    events = list(events)
    standin = StripeStandIn()
    standin.seed_events(e for e in events if isinstance(e, rc.RefundEvent))
    for failure in events:
        if isinstance(failure, rc.PaymentFailure):
            seed_failure(standin, failure)
    return standin


def stripe_refund_source(events: Iterable[rc.SourceEvent]) -> rc.RefundSource:
    """The Stripe refund source over a stand-in holding ``events``."""
    return StripeRefundSource(client_for(seeded_standin(events)))


def stripe_payout_source(payouts: Iterable[rc.Payout]) -> rc.PayoutSource:
    """The Stripe payout source over a stand-in holding ``payouts`` and their entries."""
    return StripePayoutSource(client_for(StripeStandIn.from_payouts(payouts)))
