"""Disputes in the Stripe stand-in: chargebacks that withdraw funds, and wins that reinstate them.

Intent: the stand-in's dispute desk, kept apart from the rest of :class:`StripeStandIn` (one job
per module). It follows Stripe's documented life of a card dispute
(https://docs.stripe.com/disputes/how-disputes-work): a chargeback withdraws the disputed amount
and a dispute fee from the balance at once (one balance transaction, ``type=adjustment``,
``reporting_category=dispute``, its ``fee`` the dispute fee) and sends
``charge.dispute.created`` and ``charge.dispute.funds_withdrawn``; an inquiry
(``warning_needs_response``) withdraws nothing until it escalates; a won dispute reinstates the
amount (``reporting_category=dispute_reversal``), and the fee when the network refunds it, with
``charge.dispute.funds_reinstated`` and ``charge.dispute.closed``. The dispute object lists those
balance transactions in full ("zero, one, or two balance transactions that show funds withdrawn
and reinstated"). ``GET /v1/disputes`` and ``GET /v1/disputes/{id}`` serve them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import refund_core as rc

from ._standin_objects import Json, dispute_object

__all__ = ["DISPUTE_FEE_MINOR", "DisputeDesk"]

#: Stripe's dispute fee in the US, in cents (https://stripe.com/pricing: "$15.00 per dispute").
DISPUTE_FEE_MINOR = 1500


class DisputeDesk:
    """The dispute half of the Stripe stand-in (mixed into :class:`StripeStandIn`)."""

    if TYPE_CHECKING:  # provided by StripeStandIn
        charges: dict[str, Json]
        disputes: dict[str, Json]
        _clock: Callable[[], int]

        def new_id(self, prefix: str) -> str: ...

        def add_event(
            self,
            event_type: str,
            data_object: Json,
            *,
            created: datetime | int | None = None,
            event_id: str | None = None,
            previous_attributes: Json | None = None,
            request_id: str | None = None,
            idempotency_key: str | None = None,
        ) -> Json: ...

        def _add_txn(
            self,
            txn_type: str,
            minor: int,
            currency: str,
            created: int,
            *,
            source: str | None,
            fee: int = 0,
            description: str | None = None,
            status: str = "available",
            txn_id: str | None = None,
            reporting_category: str | None = None,
            exchange_rate: Decimal | None = None,
            fee_description: str = "Stripe processing fees",
        ) -> Json: ...

    def add_dispute(
        self,
        charge_id: str,
        amount: int | None = None,
        *,
        dispute_id: str | None = None,
        created: int | None = None,
        reason: str = "fraudulent",
        withdraw: bool = True,
        fee: int = DISPUTE_FEE_MINOR,
        withdrawal_txn_id: str | None = None,
    ) -> Json:
        """Open a dispute of ``charge_id`` for ``amount`` minor units (the whole charge if None).

        ``withdraw`` makes it a chargeback (``needs_response``, funds and ``fee`` withdrawn at
        once); otherwise an inquiry (``warning_needs_response``) that withdraws nothing yet.
        """
        charge = self.charges[charge_id]
        dispute_id = dispute_id or self.new_id("dp")
        if dispute_id in self.disputes:
            raise ValueError(f"dispute {dispute_id} already exists in the stand-in")
        when = created if created is not None else self._clock()
        minor = charge["amount"] if amount is None else amount
        dispute = dispute_object(
            dispute_id,
            amount=minor,
            currency=charge["currency"],
            created=when,
            charge=charge_id,
            payment_intent=charge["payment_intent"],
            status="needs_response" if withdraw else "warning_needs_response",
            reason=reason,
            balance_transactions=[],
        )
        self.disputes[dispute_id] = dispute
        charge["disputed"] = True
        self.add_event(
            "charge.dispute.created", dispute, created=when, event_id=f"evt_created_{dispute_id}"
        )
        if withdraw:
            self.withdraw_dispute_funds(dispute_id, at=when, fee=fee, txn_id=withdrawal_txn_id)
        return dispute

    def withdraw_dispute_funds(
        self,
        dispute_id: str,
        *,
        at: int | None = None,
        fee: int = DISPUTE_FEE_MINOR,
        txn_id: str | None = None,
    ) -> Json:
        """Withdraw a dispute's amount and fee: ``charge.dispute.funds_withdrawn``."""
        dispute = self.disputes[dispute_id]
        if dispute["balance_transactions"]:
            raise ValueError(f"dispute {dispute_id} already withdrew its funds")
        when = at if at is not None else self._clock()
        txn = self._add_txn(
            "adjustment",
            -dispute["amount"],
            dispute["currency"],
            when,
            source=dispute_id,
            fee=fee,
            description=f"Chargeback withdrawal for {dispute['charge']}",
            reporting_category="dispute",
            fee_description="Dispute fee",
            txn_id=txn_id,
        )
        dispute["balance_transactions"] = [copy.deepcopy(txn)]
        dispute["is_charge_refundable"] = False
        if dispute["status"].startswith("warning_"):
            dispute["status"] = "needs_response"
        self.add_event(
            "charge.dispute.funds_withdrawn",
            dispute,
            created=when,
            event_id=f"evt_withdrawn_{dispute_id}",
        )
        return dispute

    def win_dispute(
        self,
        dispute_id: str,
        *,
        at: int | None = None,
        fee_refunded: bool = True,
        txn_id: str | None = None,
    ) -> Json:
        """The merchant wins: funds (and the fee, if refunded) reinstated, the dispute closed."""
        dispute = self.disputes[dispute_id]
        when = at if at is not None else self._clock()
        withdrawn = dispute["balance_transactions"]
        if withdrawn:
            fee = withdrawn[0]["fee"] if fee_refunded else 0
            txn = self._add_txn(
                "adjustment",
                dispute["amount"],
                dispute["currency"],
                when,
                source=dispute_id,
                fee=-fee,
                description=f"Chargeback reversal for {dispute['charge']}",
                reporting_category="dispute_reversal",
                fee_description="Dispute fee refund",
                txn_id=txn_id,
            )
            dispute["balance_transactions"] = [*withdrawn, copy.deepcopy(txn)]
            self.add_event(
                "charge.dispute.funds_reinstated",
                dispute,
                created=when,
                event_id=f"evt_reinstated_{dispute_id}",
            )
        previous = {"status": dispute["status"]}
        dispute["status"] = "won" if withdrawn else "warning_closed"
        self.add_event(
            "charge.dispute.closed",
            dispute,
            created=when,
            previous_attributes=previous,
            event_id=f"evt_closed_{dispute_id}",
        )
        return dispute

    def seed_dispute(self, event: rc.RefundEvent, *, minor: int) -> Json:
        """A dispute for a :class:`refund_core.RefundEvent` of kind dispute (see ``seed_events``).

        Succeeded: a chargeback whose funds were withdrawn at ``created_at`` by the balance
        transaction ``txn_<dispute ID>`` (no fee: a payout seeded from core models lists the
        dispute fee as an entry of its own); pending: an inquiry; canceled: an inquiry closed
        without a withdrawal.
        """
        if event.payment_ref is None:
            raise ValueError(f"dispute {event.refund_id} names no charge")
        when = int(event.created_at.timestamp())
        succeeded = event.status is rc.RefundStatus.SUCCEEDED
        dispute = self.add_dispute(
            event.payment_ref,
            minor,
            dispute_id=event.refund_id,
            created=when,
            withdraw=succeeded,
            fee=0,
            withdrawal_txn_id=f"txn_{event.refund_id}" if succeeded else None,
        )
        if event.status is rc.RefundStatus.CANCELED:
            dispute = self.win_dispute(event.refund_id, at=when)
        return dispute
