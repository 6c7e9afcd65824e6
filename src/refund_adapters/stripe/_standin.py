"""A stateful local Stripe: the subset of the v1 API the refund flows use, with Stripe's shapes.

Intent: the Stripe adapter and its tests run against this instead of api.stripe.com, in-process
(``standin.transport()``) or over loopback (``with standin.serve() as server``). It keeps charges,
payment intents, refunds, balance transactions, payouts and events, answers like Stripe (list
envelopes newest first with cursor paging, ``expand[]``, Bearer auth, ``Stripe-Version``,
``Request-Id`` on every response, Stripe's error object, idempotent POSTs replayed with
``Idempotent-Replayed: true``), and makes things happen the way Stripe does (a refund failing, a
delayed ACH debit failing), each with its events and balance transactions.

What ``refund-sync doctor`` reads is served as Stripe documents it: ``GET /v1/account`` (the
account's ``default_currency``, OpenAPI ``account``), ``GET /v1/balance`` (``livemode``: true
for a live key, ``sk_live_``/``rk_live_``, docs.stripe.com/keys), the version used in the
``Stripe-Version`` header of every answer (the header stripe-node reads into
``lastResponse.apiVersion``), and 400 "Invalid Stripe API version: ..." for a version Stripe
does not know (stripe-java#682, pay-rails#680, stripe-samples/link#58); ``unknown_versions``
makes a well-formed version one of those.

Scenarios come from seeding methods or straight from :mod:`refund_core` models
(:meth:`StripeStandIn.from_events`, :meth:`StripeStandIn.from_payouts`); the mapping is written on
those methods. Every request and its response (None when the connection was dropped or the
response lost) is recorded in :attr:`StripeStandIn.exchanges` for contract validation.

Money is converted with the adapter's own pair, :func:`._wire.stripe_minor` and
:func:`._wire.stripe_money`, so amounts are written in Stripe's minor unit (ISK 15 is ``1500``,
MGA 1500 is ``1500``) and read back exactly as the adapter reads real Stripe (MNY-1).
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import hmac
import itertools
import json
import re
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
import httpx

import refund_core as rc
from refund_adapters._standin import StandIn

from ._client import decode_form
from ._standin_disputes import DisputeDesk
from ._standin_objects import (
    Json,
    account_object,
    balance_object,
    balance_transaction_object,
    charge_object,
    customer_object,
    error_body,
    event_object,
    list_object,
    payment_intent_object,
    payout_object,
    refund_object,
    render_json,
)
from ._wire import StripePayloadError, stripe_minor, stripe_money

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_VERSION",
    "Exchange",
    "StripeApiError",
    "StripeStandIn",
    "as_datetime",
]

DEFAULT_API_KEY = "sk_test_standin"
#: Secret and restricted key prefixes of live mode (docs.stripe.com/keys); other keys are test.
_LIVE_KEY_PREFIXES = ("sk_live_", "rk_live_")
#: The account's default API version, used when a request sends no ``Stripe-Version``.
DEFAULT_VERSION = "2023-08-16"
_VERSION_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}(?:\.(?P<release>[a-z]+))?$")
_RELEASE_NAMES = frozenset({"acacia", "basil", "clover", "dahlia"})
_REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
_MAX_EXPAND_DEPTH = 4
_LIST_PARAMS = frozenset({"created", "ending_before", "expand", "limit", "starting_after"})
#: Fields that ``expand[]`` may replace by the object they name, per object type.
_EXPANDABLE = {
    "refund": frozenset(
        {"balance_transaction", "charge", "failure_balance_transaction", "payment_intent"}
    ),
    "charge": frozenset(
        {
            "balance_transaction",
            "customer",
            "failure_balance_transaction",
            "payment_intent",
            "refunds",
        }
    ),
    "payment_intent": frozenset({"customer", "latest_charge"}),
    "balance_transaction": frozenset({"source"}),
    "payout": frozenset({"balance_transaction", "failure_balance_transaction"}),
    "dispute": frozenset({"charge", "payment_intent"}),
}
_TXN_TYPE_OF_KIND = {
    rc.BalanceEntryKind.CHARGE: "charge",
    rc.BalanceEntryKind.REFUND: "refund",
    rc.BalanceEntryKind.FEE: "stripe_fee",
    rc.BalanceEntryKind.FEE_REFUND: "application_fee_refund",
    rc.BalanceEntryKind.PAYMENT_FAILURE: "payment_failure_refund",
    rc.BalanceEntryKind.REFUND_FAILURE: "refund_failure",
    rc.BalanceEntryKind.DISPUTE: "adjustment",
    rc.BalanceEntryKind.DISPUTE_REVERSAL: "adjustment",
    rc.BalanceEntryKind.OTHER: "adjustment",
}
#: ``reporting_category`` of entry kinds Stripe files as adjustments of a dispute.
_DISPUTE_CATEGORY = {
    rc.BalanceEntryKind.DISPUTE: "dispute",
    rc.BalanceEntryKind.DISPUTE_REVERSAL: "dispute_reversal",
}
#: Entry kinds whose ``source_ref`` is a refund the stand-in must hold.
_REFUND_SOURCED = frozenset({rc.BalanceEntryKind.REFUND, rc.BalanceEntryKind.REFUND_FAILURE})


@attrs.frozen
class Exchange:
    """One request the stand-in received and what it answered (None: dropped or lost)."""

    request: httpx.Request
    response: httpx.Response | None


class StripeApiError(Exception):
    """A Stripe error answer, raised inside the handlers and turned into the error response."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        should_retry: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.code = code
        self.param = param
        self.should_retry = should_retry


@attrs.frozen
class _SavedResponse:
    endpoint: str
    params: str
    status: int
    body: bytes
    request_id: str


def _unix(moment: datetime | int | None, default: int) -> int:
    if moment is None:
        return default
    if isinstance(moment, int):
        return moment
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} is naive; give an aware datetime")
    seconds = moment.timestamp()
    if seconds != int(seconds):
        raise ValueError(f"{moment.isoformat()} has sub-second precision; Stripe keeps seconds")
    return int(seconds)


def _minor(amount: rc.Money) -> tuple[int, str]:
    return stripe_minor(amount), amount.currency.code.lower()


def _masked(key: str) -> str:
    """A key as Stripe shows it in errors: its prefix and last four characters only."""
    prefix = key[:8] if len(key) > 16 else ""
    return f"{prefix}{'*' * 8}{key[-4:]}"


def _event_matches(event_type: str, pattern: str) -> bool:
    if pattern.endswith("*"):
        return event_type.startswith(pattern[:-1])
    return event_type == pattern


class StripeStandIn(DisputeDesk, StandIn):
    """Stripe's v1 refund, charge, dispute, event, payout and balance-transaction endpoints."""

    service = "stripe"

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        *,
        default_version: str = DEFAULT_VERSION,
        clock: Callable[[], int] | None = None,
        account_id: str = "acct_1StandInAccount00",
        country: str = "US",
        default_currency: str = "usd",
        unknown_versions: Iterable[str] = (),
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.default_version = default_version
        #: The account behind the key, as ``GET /v1/account`` shows it.
        self.account_id = account_id
        self.country = country
        self.default_currency = default_currency.lower()
        #: Well-formed versions this Stripe does not know (not released yet, say): a request
        #: pinning one is refused like any unknown version, 400 "Invalid Stripe API version".
        self.unknown_versions = frozenset(unknown_versions)
        self._clock = clock or (lambda: int(time.time()))
        self._account_created = self._clock()
        self.customers: dict[str, Json] = {}
        self.charges: dict[str, Json] = {}
        self.payment_intents: dict[str, Json] = {}
        self.refunds: dict[str, Json] = {}
        self.disputes: dict[str, Json] = {}
        self.balance_transactions: dict[str, Json] = {}
        self.payouts: dict[str, Json] = {}
        self.events: dict[str, Json] = {}
        #: Which payout settled each balance transaction (Stripe keeps this off the object).
        self.payout_of_transaction: dict[str, str] = {}
        self.exchanges: list[Exchange] = []
        self._ids = itertools.count(1)
        self._idempotent: dict[str, _SavedResponse] = {}

    # -- construction from refund_core models ----------------------------------------------

    @classmethod
    def from_events(cls, events: Iterable[rc.SourceEvent], **kwargs: Any) -> StripeStandIn:
        """A stand-in holding the Stripe objects behind ``events`` (see :meth:`seed_events`)."""
        standin = cls(**kwargs)
        standin.seed_events(events)
        return standin

    @classmethod
    def from_payouts(cls, payouts: Iterable[rc.Payout], **kwargs: Any) -> StripeStandIn:
        """A stand-in holding ``payouts`` and their balance transactions (:meth:`seed_payouts`)."""
        standin = cls(**kwargs)
        standin.seed_payouts(payouts)
        return standin

    def seed_events(self, events: Iterable[rc.SourceEvent]) -> None:
        """Create what Stripe would hold for these refunds and failed payments.

        * :class:`~refund_core.RefundEvent`: refund ``id = refund_id`` (amount in minor units,
          ``created = created_at``, ``status``), on a card charge ``id = payment_ref`` created at
          ``charge_created_at`` (else at the earliest of its refunds) whose amount is the sum of
          its refunds; a ``refund`` balance transaction; events ``refund.created``
          (``"evt_" + refund_id``) and ``charge.refunded``; a failed refund also gets
          ``failure_reason = "unknown"`` and ``refund.failed``. No ``payment_ref``: no charge.
        * a :class:`~refund_core.RefundEvent` of kind dispute: a dispute ``id = refund_id`` of
          its charge (counted in the charge's amount like a refund), withdrawn at ``created_at``
          when succeeded, an inquiry when pending (see :meth:`seed_dispute`).
        * :class:`~refund_core.PaymentFailure`: a failed ``us_bank_account`` charge
          ``id = payment_ref`` with ``failure_code``/``failure_message``, created at
          ``failed_at``, its ``payment`` transaction, its ``payment_failure_refund`` transaction
          ``id = failure_id`` (the charge's ``failure_balance_transaction``), and the event
          ``charge.failed`` ``id = "evt_" + failure_id``, ``created = failed_at``. When refunds
          in the same scenario already made that charge, only the failure transaction and the
          event are added; the event's snapshot shows the failed debit.
        """
        events = list(events)
        refunds = [e for e in events if isinstance(e, rc.RefundEvent)]
        failures = [e for e in events if isinstance(e, rc.PaymentFailure)]
        by_charge: dict[str, list[rc.RefundEvent]] = {}
        for refund in refunds:
            if refund.payment_ref is not None:
                by_charge.setdefault(refund.payment_ref, []).append(refund)
        for charge_id, its_refunds in by_charge.items():
            if charge_id in self.charges:
                raise ValueError(f"charge {charge_id} already exists in the stand-in")
            total = its_refunds[0].amount
            for refund in its_refunds[1:]:
                total = total + refund.amount
            dated = [r.charge_created_at for r in its_refunds if r.charge_created_at is not None]
            created = min(dated) if dated else min(r.created_at for r in its_refunds)
            self.add_charge(total, charge_id=charge_id, created=created)
        for refund in sorted(refunds, key=lambda r: (r.created_at, r.refund_id)):
            if refund.kind is rc.RefundKind.DISPUTE:
                self.seed_dispute(refund, minor=stripe_minor(refund.amount))
                continue
            status = refund.status.value
            self.add_refund(
                refund.payment_ref,
                refund.amount,
                refund_id=refund.refund_id,
                created=refund.created_at,
                status="succeeded" if status == "failed" else status,
            )
            if status == "failed":
                self.fail_refund(
                    refund.refund_id,
                    "unknown",
                    at=refund.created_at,
                    event_id=f"evt_failed_{refund.refund_id}",
                )
        for failure in failures:
            self._seed_failure(failure)

    def _seed_failure(self, failure: rc.PaymentFailure) -> None:
        if failure.payment_ref not in self.charges:
            self.add_charge(
                failure.amount,
                charge_id=failure.payment_ref,
                created=failure.failed_at,
                payment_method_type="us_bank_account",
                status="pending",
            )
            self.fail_ach_charge(
                failure.payment_ref,
                failure.failure_code,
                failure.failure_message,
                at=failure.failed_at,
                event_id=f"evt_{failure.failure_id}",
                failure_transaction_id=failure.failure_id,
            )
            return
        # The charge also carries refunds in this scenario: the event's snapshot shows the
        # failed debit while the stored charge keeps its refunds (the scenario is the model's).
        minor, currency = _minor(failure.amount)
        when = _unix(failure.failed_at, 0)
        self._add_txn(
            "payment_failure_refund",
            -minor,
            currency,
            when,
            source=failure.payment_ref,
            description=failure.failure_message or None,
            txn_id=failure.failure_id,
        )
        snapshot = copy.deepcopy(self.charges[failure.payment_ref])
        snapshot.update(
            amount=minor,
            currency=currency,
            status="failed",
            paid=False,
            failure_code=failure.failure_code,
            failure_message=failure.failure_message,
            failure_balance_transaction=failure.failure_id,
            payment_method_details=charge_object(
                failure.payment_ref,
                amount=minor,
                currency=currency,
                created=when,
                status="failed",
                method_type="us_bank_account",
                customer=None,
                payment_intent=None,
                balance_transaction=None,
                description=None,
                metadata={},
            )["payment_method_details"],
        )
        self.add_event(
            "charge.failed", snapshot, created=when, event_id=f"evt_{failure.failure_id}"
        )

    def seed_payouts(self, payouts: Iterable[rc.Payout]) -> None:
        """Create each payout and one balance transaction per entry, settled by the payout.

        Payout ``id = payout_id``, ``created = arrival_date = arrival_at``. Entry -> transaction
        ``id = entry_id``, ``amount = net = entry amount``, ``fee = 0``, ``source = source_ref``,
        ``exchange_rate`` the entry's (CCY-1), ``type``: charge, refund, stripe_fee,
        application_fee_refund, payment_failure_refund, refund_failure or adjustment (``OTHER``;
        a dispute's withdrawal or reinstatement, with its ``reporting_category``) by kind. A
        dispute entry also gets its dispute ``source_ref`` on a charge ``ch_of_<dispute>`` (dated
        ``charge_created_at``, else the arrival), its transactions being the dispute's own. A
        refund or refund-failure entry also gets its refund ``source_ref`` (failed for a failure),
        on a charge created at ``charge_created_at`` (so ``expand[]=data.source.charge`` finds the
        date); without it the refund has no charge. The payout's own ``payout`` transaction is
        listed too, as on Stripe.
        """
        for payout in payouts:
            arrival = _unix(payout.arrival_at, 0)
            txn_ids = []
            for entry in payout.entries:
                txn_type = _TXN_TYPE_OF_KIND[entry.kind]
                if entry.kind in _REFUND_SOURCED and entry.source_ref not in self.refunds:
                    self._seed_refund_of_entry(entry, arrival)
                if entry.kind in _DISPUTE_CATEGORY:
                    txn_ids.append(self._seed_dispute_entry(entry, arrival)["id"])
                    continue
                txn = self.add_balance_transaction(
                    txn_type,
                    entry.amount,
                    source=entry.source_ref,
                    created=arrival,
                    txn_id=entry.entry_id,
                    description=entry.description or None,
                    exchange_rate=entry.exchange_rate,
                )
                txn_ids.append(txn["id"])
            self.add_payout(
                arrival=payout.arrival_at,
                amount=payout.amount,
                payout_id=payout.payout_id,
                balance_transactions=txn_ids,
            )

    def _seed_dispute_entry(self, entry: rc.BalanceEntry, arrival: int) -> Json:
        """The dispute's withdrawal or reinstatement transaction for a payout's entry."""
        minor = stripe_minor(abs(entry.amount))
        if entry.source_ref not in self.disputes:
            charge_id = f"ch_of_{entry.source_ref}"
            if charge_id not in self.charges:
                self.add_charge(
                    abs(entry.amount),
                    charge_id=charge_id,
                    created=entry.charge_created_at or arrival,
                )
            withdraw = entry.kind is rc.BalanceEntryKind.DISPUTE
            self.add_dispute(
                charge_id,
                minor,
                dispute_id=entry.source_ref,
                created=arrival,
                fee=0,
                withdraw=withdraw,
                withdrawal_txn_id=entry.entry_id if withdraw else None,
            )
            if withdraw:
                return self.balance_transactions[entry.entry_id]
        dispute = self.disputes[entry.source_ref]
        withdrawn = [txn["id"] for txn in dispute["balance_transactions"] if txn["amount"] < 0]
        if entry.kind is rc.BalanceEntryKind.DISPUTE and withdrawn:
            if withdrawn != [entry.entry_id]:
                raise ValueError(
                    f"dispute {entry.source_ref} withdrew its funds by {withdrawn[0]}, "
                    f"not {entry.entry_id}"
                )
        elif entry.kind is rc.BalanceEntryKind.DISPUTE:
            self.withdraw_dispute_funds(entry.source_ref, at=arrival, fee=0, txn_id=entry.entry_id)
        else:
            if not dispute["balance_transactions"]:  # reinstated funds were withdrawn before
                self.withdraw_dispute_funds(entry.source_ref, at=arrival, fee=0)
            self.win_dispute(
                entry.source_ref, at=arrival, fee_refunded=False, txn_id=entry.entry_id
            )
        return self.balance_transactions[entry.entry_id]

    def _seed_refund_of_entry(self, entry: rc.BalanceEntry, arrival: int) -> None:
        failed = entry.kind is rc.BalanceEntryKind.REFUND_FAILURE
        amount = entry.amount if failed else -entry.amount
        charge_id = None
        if entry.charge_created_at is not None:
            charge_id = f"ch_of_{entry.source_ref}"
            self.add_charge(amount, charge_id=charge_id, created=entry.charge_created_at)
        self.add_refund(
            charge_id,
            amount,
            refund_id=entry.source_ref,
            created=arrival,
            status="failed" if failed else "succeeded",
            with_balance_transaction=False,
            with_events=False,
        )

    # -- seeding ---------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        """A fresh Stripe-looking ID, e.g. ``re_standin00000000000000000007``."""
        return f"{prefix}_standin{next(self._ids):022d}"

    def add_customer(
        self,
        *,
        customer_id: str | None = None,
        email: str | None = None,
        name: str | None = None,
        created: datetime | int | None = None,
    ) -> Json:
        """Store a customer."""
        customer_id = customer_id or self.new_id("cus")
        customer = customer_object(
            customer_id, created=_unix(created, self._clock()), email=email, name=name
        )
        self.customers[customer_id] = customer
        return customer

    def add_charge(
        self,
        amount: rc.Money,
        *,
        charge_id: str | None = None,
        created: datetime | int | None = None,
        customer: str | None = None,
        payment_intent: str | None = None,
        payment_method_type: str = "card",
        status: str = "succeeded",
        fee: rc.Money | None = None,
        description: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> Json:
        """Store a charge and, unless it failed, its ``charge``/``payment`` balance transaction.

        A ``us_bank_account`` charge may be ``pending`` (a delayed-notification debit): its
        balance transaction is pending too until :meth:`fail_ach_charge` or success.
        """
        charge_id = charge_id or self.new_id("ch")
        if charge_id in self.charges:
            raise ValueError(f"charge {charge_id} already exists in the stand-in")
        minor, currency = _minor(amount)
        when = _unix(created, self._clock())
        txn_id = None
        if status != "failed":
            txn = self.add_balance_transaction(
                "charge" if payment_method_type == "card" else "payment",
                amount,
                source=charge_id,
                fee=fee,
                created=when,
                description=description,
                status="available" if status == "succeeded" else "pending",
            )
            txn_id = txn["id"]
        charge = charge_object(
            charge_id,
            amount=minor,
            currency=currency,
            created=when,
            status=status,
            method_type=payment_method_type,
            customer=customer,
            payment_intent=payment_intent,
            balance_transaction=txn_id,
            description=description,
            metadata=dict(metadata or {}),
        )
        self.charges[charge_id] = charge
        return charge

    def add_payment_intent(
        self,
        amount: rc.Money,
        *,
        payment_intent_id: str | None = None,
        charge_id: str | None = None,
        created: datetime | int | None = None,
        customer: str | None = None,
        payment_method_type: str = "card",
        charge_status: str = "succeeded",
    ) -> Json:
        """Store a payment intent and its (latest) charge."""
        payment_intent_id = payment_intent_id or self.new_id("pi")
        when = _unix(created, self._clock())
        charge = self.add_charge(
            amount,
            charge_id=charge_id,
            created=when,
            customer=customer,
            payment_intent=payment_intent_id,
            payment_method_type=payment_method_type,
            status=charge_status,
        )
        minor, currency = _minor(amount)
        status = {"succeeded": "succeeded", "pending": "processing"}.get(
            charge_status, "requires_payment_method"
        )
        intent = payment_intent_object(
            payment_intent_id,
            amount=minor,
            currency=currency,
            created=when,
            status=status,
            method_type=payment_method_type,
            customer=customer,
            latest_charge=charge["id"],
        )
        self.payment_intents[payment_intent_id] = intent
        return intent

    def add_refund(
        self,
        charge_id: str | None,
        amount: rc.Money | None = None,
        *,
        refund_id: str | None = None,
        created: datetime | int | None = None,
        status: str = "succeeded",
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
        with_balance_transaction: bool = True,
        with_events: bool = True,
    ) -> Json:
        """Store a refund of ``charge_id`` (the rest of the charge when ``amount`` is None).

        The charge's ``amount_refunded``/``refunded`` follow; a ``refund`` (card) or
        ``payment_refund`` balance transaction and the events ``refund.created`` and
        ``charge.refunded`` are added unless told otherwise.
        """
        refund_id = refund_id or self.new_id("re")
        if refund_id in self.refunds:
            raise ValueError(f"refund {refund_id} already exists in the stand-in")
        when = _unix(created, self._clock())
        charge = self.charges.get(charge_id) if charge_id is not None else None
        if charge_id is not None and charge is None:
            raise KeyError(f"no charge {charge_id} in the stand-in")
        if amount is None:
            if charge is None:
                raise ValueError("a refund without a charge needs an amount")
            minor = charge["amount"] - charge["amount_refunded"]
            currency = charge["currency"]
        else:
            minor, currency = _minor(amount)
        method_type = charge["payment_method_details"]["type"] if charge else "card"
        txn_id = None
        if with_balance_transaction and status in {"succeeded", "pending"}:
            txn = self._add_txn(
                "refund" if method_type == "card" else "payment_refund",
                -minor,
                currency,
                when,
                source=refund_id,
                description="REFUND FOR CHARGE",
            )
            txn_id = txn["id"]
        refund = refund_object(
            refund_id,
            amount=minor,
            currency=currency,
            created=when,
            status=status,
            charge=charge_id,
            payment_intent=charge["payment_intent"] if charge else None,
            balance_transaction=txn_id,
            reason=reason,
            metadata=dict(metadata or {}),
            customer=charge["customer"] if charge else None,
            method_type=method_type,
        )
        self.refunds[refund_id] = refund
        if charge is not None and status in {"succeeded", "pending"}:
            charge["amount_refunded"] += minor
            charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        if with_events:
            self.add_event("refund.created", refund, created=when, event_id=f"evt_{refund_id}")
            if charge is not None:
                self.add_event(
                    "charge.refunded",
                    charge,
                    created=when,
                    event_id=f"evt_chrefunded_{refund_id}",
                )
        return refund

    def add_balance_transaction(
        self,
        txn_type: str,
        amount: rc.Money,
        *,
        source: str | None = None,
        fee: rc.Money | None = None,
        created: datetime | int | None = None,
        txn_id: str | None = None,
        description: str | None = None,
        payout: str | None = None,
        status: str = "available",
        exchange_rate: Decimal | None = None,
        reporting_category: str | None = None,
    ) -> Json:
        """Store a balance transaction (``amount`` signed: money out is negative).

        ``exchange_rate``: the rate Stripe converted the source's currency at into ``amount``'s
        (CCY-1); ``reporting_category`` overrides the type's usual one.
        """
        minor, currency = _minor(amount)
        fee_minor = stripe_minor(fee) if fee is not None else 0
        txn = self._add_txn(
            txn_type,
            minor,
            currency,
            _unix(created, self._clock()),
            source=source,
            fee=fee_minor,
            description=description,
            status=status,
            txn_id=txn_id,
            exchange_rate=exchange_rate,
            reporting_category=reporting_category,
        )
        if payout is not None:
            self.payout_of_transaction[txn["id"]] = payout
        return txn

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
    ) -> Json:
        txn_id = txn_id or self.new_id("txn")
        if txn_id in self.balance_transactions:
            raise ValueError(f"balance transaction {txn_id} already exists in the stand-in")
        txn = balance_transaction_object(
            txn_id,
            txn_type=txn_type,
            amount=minor,
            fee=fee,
            currency=currency,
            created=created,
            source=source,
            description=description,
            status=status,
            reporting_category=reporting_category,
            exchange_rate=exchange_rate,
            fee_description=fee_description,
        )
        self.balance_transactions[txn_id] = txn
        return txn

    def add_payout(
        self,
        *,
        arrival: datetime | int,
        amount: rc.Money | None = None,
        payout_id: str | None = None,
        created: datetime | int | None = None,
        status: str = "paid",
        balance_transactions: Sequence[str] = (),
    ) -> Json:
        """Store a payout settling ``balance_transactions`` (amount: the sum of their nets).

        Its own ``payout`` balance transaction (minus the amount) is added and settled by it.
        """
        payout_id = payout_id or self.new_id("po")
        if payout_id in self.payouts:
            raise ValueError(f"payout {payout_id} already exists in the stand-in")
        arrival_s = _unix(arrival, 0)
        settled = [self.balance_transactions[txn_id] for txn_id in balance_transactions]
        if amount is None:
            if not settled:
                raise ValueError("a payout without balance transactions needs an amount")
            minor = sum(txn["net"] for txn in settled)
            currency = settled[0]["currency"]
        else:
            minor, currency = _minor(amount)
        when = _unix(created, arrival_s)
        own = self._add_txn(
            "payout", -minor, currency, when, source=payout_id, description="STRIPE PAYOUT"
        )
        for txn_id in (*balance_transactions, own["id"]):
            self.payout_of_transaction[txn_id] = payout_id
        payout = payout_object(
            payout_id,
            amount=minor,
            currency=currency,
            created=when,
            arrival_date=arrival_s,
            status=status,
            balance_transaction=own["id"],
        )
        self.payouts[payout_id] = payout
        return payout

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
    ) -> Json:
        """Store an event carrying a snapshot of ``data_object`` as it is now."""
        event_id = event_id or self.new_id("evt")
        if event_id in self.events:
            raise ValueError(f"event {event_id} already exists in the stand-in")
        event = event_object(
            event_id,
            event_type=event_type,
            created=_unix(created, self._clock()),
            data_object=copy.deepcopy(data_object),
            previous_attributes=previous_attributes,
            api_version=self.default_version,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        self.events[event_id] = event
        return event

    # -- things that happen ----------------------------------------------------------------

    def fail_refund(
        self,
        refund_id: str,
        reason: str = "unknown",
        *,
        at: datetime | int | None = None,
        event_id: str | None = None,
    ) -> Json:
        """A succeeded or pending refund fails: status, ``failure_reason``, money back, events.

        The refund gets a ``refund_failure`` balance transaction (the amount returns to the
        balance) as ``failure_balance_transaction``, its charge's ``amount_refunded`` drops, and
        ``refund.failed`` and ``refund.updated`` events are stored.
        """
        refund = self.refunds[refund_id]
        if refund["status"] not in {"succeeded", "pending"}:
            raise ValueError(f"refund {refund_id} is {refund['status']}; it cannot fail")
        when = _unix(at, self._clock())
        previous = {"status": refund["status"]}
        txn = self._add_txn(
            "refund_failure",
            refund["amount"],
            refund["currency"],
            when,
            source=refund_id,
            description="REFUND FAILURE",
        )
        refund["status"] = "failed"
        refund["failure_reason"] = reason
        refund["failure_balance_transaction"] = txn["id"]
        charge = self.charges.get(refund["charge"]) if refund["charge"] else None
        if charge is not None:
            charge["amount_refunded"] -= refund["amount"]
            charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        self.add_event("refund.failed", refund, created=when, event_id=event_id)
        self.add_event(
            "refund.updated",
            refund,
            created=when,
            previous_attributes=previous,
            event_id=f"{event_id}_updated" if event_id else None,
        )
        return refund

    def change_refund_status(
        self,
        refund_id: str,
        status: str,
        *,
        at: datetime | int | None = None,
        event_id: str | None = None,
    ) -> Json:
        """A pending or requires_action refund moves on: ``refund.updated`` with the old status.

        ``status`` is ``succeeded``, ``pending``, ``requires_action`` or ``canceled`` (a
        cancellation gives the amount back to the charge; its balance side is not modelled). A
        failure is :meth:`fail_refund`, which also sends ``refund.failed`` and moves money.
        """
        refund = self.refunds[refund_id]
        if status not in {"succeeded", "pending", "requires_action", "canceled"}:
            raise ValueError(f"use fail_refund for a failure; {status!r} is no refund status here")
        if refund["status"] not in {"pending", "requires_action"}:
            raise ValueError(f"refund {refund_id} is {refund['status']}; it cannot move on")
        if status == refund["status"]:
            raise ValueError(f"refund {refund_id} is already {status}")
        previous = {"status": refund["status"]}
        refund["status"] = status
        charge = self.charges.get(refund["charge"]) if refund["charge"] else None
        if charge is not None and status == "canceled":
            charge["amount_refunded"] -= refund["amount"]
            charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        self.add_event(
            "refund.updated",
            refund,
            created=_unix(at, self._clock()),
            previous_attributes=previous,
            event_id=event_id,
        )
        return refund

    def fail_ach_charge(
        self,
        charge_id: str,
        code: str,
        message: str,
        *,
        at: datetime | int | None = None,
        event_id: str | None = None,
        failure_transaction_id: str | None = None,
    ) -> Json:
        """A pending ``us_bank_account`` charge fails (STC-10): ``charge.failed`` and reversal.

        The charge becomes ``failed`` with ``failure_code``/``failure_message``; a
        ``payment_failure_refund`` balance transaction reverses its ``payment`` transaction and
        becomes ``failure_balance_transaction``; its payment intent (if any) goes back to
        ``requires_payment_method`` with ``last_payment_error``.
        """
        charge = self.charges[charge_id]
        if charge["payment_method_details"]["type"] != "us_bank_account":
            raise ValueError(f"charge {charge_id} is not a us_bank_account debit")
        if charge["status"] != "pending":
            raise ValueError(f"charge {charge_id} is {charge['status']}, not pending")
        when = _unix(at, self._clock())
        txn = self._add_txn(
            "payment_failure_refund",
            -charge["amount"],
            charge["currency"],
            when,
            source=charge_id,
            description=message or "ACH payment failed",
            txn_id=failure_transaction_id,
        )
        charge.update(
            status="failed",
            paid=False,
            failure_code=code,
            failure_message=message,
            failure_balance_transaction=txn["id"],
        )
        charge["outcome"] = {
            "network_status": "declined_by_network",
            "reason": code,
            "risk_level": "normal",
            "seller_message": message,
            "type": "issuer_declined",
        }
        intent = self.payment_intents.get(charge["payment_intent"] or "")
        if intent is not None:
            intent["status"] = "requires_payment_method"
            intent["amount_received"] = 0
            intent["last_payment_error"] = {"type": "card_error", "code": code, "message": message}
        self.add_event("charge.failed", charge, created=when, event_id=event_id)
        return charge

    # -- webhooks --------------------------------------------------------------------------

    def signed_webhook(
        self, event: Json | str, secret: str, *, timestamp: int
    ) -> tuple[bytes, str]:
        """The body and ``Stripe-Signature`` header Stripe would send for ``event``.

        ``v1`` is the hex HMAC-SHA256 of ``"{timestamp}.{body}"`` keyed by the endpoint secret.
        """
        payload = self.events[event] if isinstance(event, str) else event
        body = render_json(payload, indent=2).encode()
        signed = str(timestamp).encode() + b"." + body
        digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        return body, f"t={timestamp},v1={digest}"

    # -- fault helpers ---------------------------------------------------------------------

    def fail_stripe_error_next(
        self,
        status: int,
        *,
        error_type: str = "api_error",
        code: str | None = None,
        message: str = "An unknown error occurred",
        should_retry: bool | None = None,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next requests with a Stripe error object instead of processing them."""
        extra = dict(headers or {})
        if should_retry is not None:
            extra["Stripe-Should-Retry"] = "true" if should_retry else "false"
        for _ in range(times):
            request_id = self.new_id("req")
            body = error_body(error_type, message, code=code, param=None, request_id=request_id)
            self.fail_next(status, headers={"Request-Id": request_id, **extra}, json_body=body)

    def fail_lock_timeout_next(self, times: int = 1) -> None:
        """Answer with Stripe's retryable 429 ``lock_timeout`` (``Stripe-Should-Retry: true``)."""
        self.fail_stripe_error_next(
            429,
            error_type="invalid_request_error",
            code="lock_timeout",
            message=(
                "This object cannot be accessed right now because another API request or "
                "Stripe process is currently accessing it."
            ),
            should_retry=True,
            times=times,
        )

    def over_limit_response(self) -> httpx.Response:
        """Stripe's 429 ``rate_limit`` error (no ``Stripe-Should-Retry``: SDKs back off)."""
        return self._error_response(
            StripeApiError(
                429,
                "Too many requests hit the API too quickly. We recommend an exponential "
                "backoff of your requests.",
                code="rate_limit",
            ),
            self.new_id("req"),
            self.default_version,
        )

    # -- the HTTP side ---------------------------------------------------------------------

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        """Run the base pipeline, then stamp ``Request-Id`` and record the exchange."""
        try:
            response = await super().__call__(request)
        except Exception:
            self.exchanges.append(Exchange(request, None))
            raise
        if "request-id" not in response.headers:
            response.headers["Request-Id"] = self.new_id("req")
        self.exchanges.append(Exchange(request, response))
        return response

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Authenticate, check the version, route, and answer like Stripe."""
        request_id = self.new_id("req")
        version = request.headers.get("stripe-version", self.default_version)
        try:
            self._authenticate(request)
            self._check_version(request)
            return self._dispatch(request, request_id, version)
        except StripeApiError as error:
            return self._error_response(error, request_id, version)

    def _authenticate(self, request: httpx.Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        key = ""
        if scheme.lower() == "bearer":
            key = credential.strip()
        elif scheme.lower() == "basic":
            try:
                key = base64.b64decode(credential.strip()).decode().partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                key = ""
        if not key:
            raise StripeApiError(
                401,
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY').",
            )
        if not hmac.compare_digest(key.encode(), self.api_key.encode()):
            raise StripeApiError(
                401,
                f"Invalid API Key provided: {_masked(key)}",
                code="api_key_invalid",
            )

    def _check_version(self, request: httpx.Request) -> None:
        version = request.headers.get("stripe-version")
        if version is None:
            return
        match = _VERSION_FORMAT.match(version)
        release = match.group("release") if match else None
        unknown = release is not None and release not in _RELEASE_NAMES
        if match is None or unknown or version in self.unknown_versions:
            raise StripeApiError(
                400, f"Invalid Stripe API version: {version}", code="api_version_invalid"
            )

    def _error_response(
        self, error: StripeApiError, request_id: str, version: str
    ) -> httpx.Response:
        headers = {
            "Request-Id": request_id,
            "Stripe-Version": version,
            "Content-Type": "application/json",
        }
        if error.should_retry is not None:
            headers["Stripe-Should-Retry"] = "true" if error.should_retry else "false"
        body = error_body(
            error.error_type,
            error.message,
            code=error.code,
            param=error.param,
            request_id=request_id,
        )
        return httpx.Response(error.status, headers=headers, content=json.dumps(body).encode())

    def _ok(self, payload: Json, request_id: str, version: str) -> httpx.Response:
        headers = {
            "Request-Id": request_id,
            "Stripe-Version": version,
            "Content-Type": "application/json",
        }
        return httpx.Response(200, headers=headers, content=render_json(payload).encode())

    def _dispatch(self, request: httpx.Request, request_id: str, version: str) -> httpx.Response:
        path = request.url.path.rstrip("/")
        method = request.method.upper()
        try:
            query = decode_form(request.url.params.multi_items())
            form = (
                decode_form(
                    urllib.parse.parse_qsl(request.content.decode(), keep_blank_values=True)
                )
                if method == "POST"
                else {}
            )
        except (ValueError, UnicodeDecodeError) as exc:
            raise StripeApiError(400, f"Invalid request parameters: {exc}") from exc
        if method == "POST":
            if path == "/v1/refunds":
                return self._create_refund(request, form, request_id, version)
            raise self._unknown_route(method, path)
        if method != "GET":
            raise self._unknown_route(method, path)
        parts = path.split("/")[1:]
        if len(parts) == 2 and parts[0] == "v1":
            handler = {
                "refunds": self._list_refunds,
                "events": self._list_events,
                "payouts": self._list_payouts,
                "balance_transactions": self._list_balance_transactions,
                "disputes": self._list_disputes,
                "account": self._account,
                "balance": self._balance,
            }.get(parts[1])
            if handler is not None:
                return self._ok(handler(query, path), request_id, version)
        if len(parts) == 3 and parts[0] == "v1":
            stores = {
                "refunds": ("refund", self.refunds),
                "charges": ("charge", self.charges),
                "payment_intents": ("payment_intent", self.payment_intents),
                "events": ("event", self.events),
                "payouts": ("payout", self.payouts),
                "balance_transactions": ("balance_transaction", self.balance_transactions),
                "customers": ("customer", self.customers),
                "disputes": ("dispute", self.disputes),
            }
            if parts[1] in stores:
                kind, store = stores[parts[1]]
                self._only(query, {"expand"})
                found = store.get(urllib.parse.unquote(parts[2]))
                if found is None:
                    raise StripeApiError(
                        404,
                        f"No such {kind}: '{urllib.parse.unquote(parts[2])}'",
                        code="resource_missing",
                        param="id",
                    )
                return self._ok(self._expand(found, self._expand_list(query)), request_id, version)
        raise self._unknown_route(method, path)

    @property
    def livemode(self) -> bool:
        """Whether the stand-in's key is a live-mode key (``sk_live_``/``rk_live_``)."""
        return self.api_key.startswith(_LIVE_KEY_PREFIXES)

    def _account(self, params: Json, url: str) -> Json:
        self._only(params, {"expand"})
        return account_object(
            self.account_id,
            country=self.country,
            default_currency=self.default_currency,
            created=self._account_created,
        )

    def _balance(self, params: Json, url: str) -> Json:
        """What the held balance transactions add up to, by currency and status."""
        self._only(params, {"expand"})
        totals: dict[str, dict[str, int]] = {"available": {}, "pending": {}}
        for txn in self.balance_transactions.values():
            bucket = totals["available" if txn["status"] == "available" else "pending"]
            bucket[txn["currency"]] = bucket.get(txn["currency"], 0) + txn["net"]
        return balance_object(
            livemode=self.livemode,
            available=totals["available"],
            pending=totals["pending"],
            currency=self.default_currency,
        )

    @staticmethod
    def _unknown_route(method: str, path: str) -> StripeApiError:
        return StripeApiError(
            404,
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
            "or we can help at https://support.stripe.com/.",
        )

    # -- parameters ------------------------------------------------------------------------

    @staticmethod
    def _only(params: Json, allowed: Iterable[str]) -> None:
        allowed = frozenset(allowed)
        for name in params:
            if name not in allowed:
                raise StripeApiError(400, f"Received unknown parameter: {name}", param=name)

    @staticmethod
    def _expand_list(params: Json) -> list[str]:
        expand = params.get("expand", [])
        if isinstance(expand, str) or not isinstance(expand, list):
            raise StripeApiError(
                400, "Invalid array", code="parameter_invalid_array", param="expand"
            )
        return [str(item) for item in expand]

    @staticmethod
    def _integer(params: Json, name: str) -> int | None:
        value = params.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
            raise StripeApiError(
                400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=name
            )
        return int(value)

    def _range(self, params: Json, name: str) -> Callable[[int], bool]:
        """The ``created``-style filter: an exact integer or ``gt/gte/lt/lte`` bounds."""
        value = params.get(name)
        if value is None:
            return lambda _moment: True
        if isinstance(value, str):
            exact = self._integer(params, name)
            return lambda moment: moment == exact
        if not isinstance(value, dict):
            raise StripeApiError(400, f"Invalid {name}", param=name)
        bounds: dict[str, int] = {}
        for op, raw in value.items():
            if op not in {"gt", "gte", "lt", "lte"}:
                raise StripeApiError(
                    400, f"Received unknown parameter: {name}[{op}]", param=f"{name}[{op}]"
                )
            parsed = self._integer({op: raw}, op)
            if parsed is None:  # unreachable: the key is present
                continue
            bounds[op] = parsed

        def within(moment: int) -> bool:
            return (
                ("gt" not in bounds or moment > bounds["gt"])
                and ("gte" not in bounds or moment >= bounds["gte"])
                and ("lt" not in bounds or moment < bounds["lt"])
                and ("lte" not in bounds or moment <= bounds["lte"])
            )

        return within

    def _page(self, items: list[Json], params: Json, url: str, kind: str) -> Json:
        """Newest first; ``starting_after``/``ending_before`` cursors; ``limit`` 1..100."""
        limit = self._integer(params, "limit")
        if limit is None:
            limit = 10
        if not 1 <= limit <= 100:
            raise StripeApiError(
                400,
                "This value must be greater than or equal to 1."
                if limit < 1
                else "This value must be less than or equal to 100.",
                code="parameter_invalid_integer",
                param="limit",
            )
        ordered = sorted(items, key=lambda obj: (obj["created"], obj["id"]), reverse=True)
        ids = [obj["id"] for obj in ordered]
        after, before = params.get("starting_after"), params.get("ending_before")
        if after is not None and before is not None:
            raise StripeApiError(
                400, "You may only specify one of these parameters: ending_before, starting_after."
            )
        if after is not None or before is not None:
            cursor, name = (
                (after, "starting_after") if after is not None else (before, "ending_before")
            )
            if cursor not in ids:
                everywhere = self._lookup(str(cursor))
                if everywhere is None:
                    raise StripeApiError(
                        400,
                        f"No such {kind}: '{cursor}'",
                        code="resource_missing",
                        param=name,
                    )
                # a cursor object filtered out of this listing: place it by its sort position
                key = (everywhere["created"], everywhere["id"])
                position = sum(1 for obj in ordered if (obj["created"], obj["id"]) > key)
                cut_after, cut_before = position, position
            else:
                cut_after = ids.index(cursor) + 1
                cut_before = ids.index(cursor)
            if after is not None:
                rest = ordered[cut_after:]
                return self._render_list(rest[:limit], len(rest) > limit, url, params)
            rest = ordered[:cut_before]
            return self._render_list(rest[-limit:], len(rest) > limit, url, params)
        return self._render_list(ordered[:limit], len(ordered) > limit, url, params)

    def _render_list(self, data: list[Json], has_more: bool, url: str, params: Json) -> Json:
        paths = []
        for path in self._expand_list(params):
            if not path.startswith("data."):
                raise StripeApiError(
                    400,
                    f"This property cannot be expanded ({path}). You may want to try expanding "
                    f"'data.{path}' instead.",
                    param="expand",
                )
            paths.append(path.removeprefix("data."))
        return list_object([self._expand(obj, paths) for obj in data], has_more=has_more, url=url)

    # -- expansion -------------------------------------------------------------------------

    def _lookup(self, object_id: str) -> Json | None:
        for store in (
            self.refunds,
            self.disputes,
            self.charges,
            self.payment_intents,
            self.balance_transactions,
            self.payouts,
            self.customers,
            self.events,
        ):
            if object_id in store:
                return store[object_id]
        return None

    def _expand(self, obj: Json, paths: Sequence[str]) -> Json:
        result = copy.deepcopy(obj)
        for path in paths:
            fields = path.split(".")
            if len(fields) > _MAX_EXPAND_DEPTH:
                raise StripeApiError(
                    400,
                    f"You cannot expand more than {_MAX_EXPAND_DEPTH} levels of a property. "
                    f"Property: {path}",
                    param="expand",
                )
            self._expand_path(result, fields, path)
        return result

    def _expand_path(
        self, obj: Json, fields: list[str], whole: str, *, nested: bool = False
    ) -> None:
        name, rest = fields[0], fields[1:]
        if name not in _EXPANDABLE.get(str(obj.get("object")), frozenset()):
            if nested:
                # below a polymorphic field (a transaction's source may be a charge, a refund,
                # a payout ...) a path that fits another kind of object is left alone
                return
            raise StripeApiError(
                400, f"This property cannot be expanded ({whole}).", param="expand"
            )
        if obj.get("object") == "charge" and name == "refunds":
            # not auto-expanded since 2022-11-15; on request, the charge's refunds as a list
            of_charge = [r for r in self.refunds.values() if r["charge"] == obj["id"]]
            of_charge.sort(key=lambda r: (r["created"], r["id"]), reverse=True)
            obj["refunds"] = list_object(
                copy.deepcopy(of_charge), has_more=False, url=f"/v1/charges/{obj['id']}/refunds"
            )
            return
        value = obj.get(name)
        if isinstance(value, str):
            found = self._lookup(value)
            if found is not None:
                value = copy.deepcopy(found)
                obj[name] = value
        if rest and isinstance(value, dict):
            self._expand_path(value, rest, whole, nested=True)

    # -- endpoints -------------------------------------------------------------------------

    def _list_refunds(self, params: Json, url: str) -> Json:
        self._only(params, _LIST_PARAMS | {"charge", "payment_intent"})
        created = self._range(params, "created")
        charge, intent = params.get("charge"), params.get("payment_intent")
        items = [
            refund
            for refund in self.refunds.values()
            if created(refund["created"])
            and (charge is None or refund["charge"] == charge)
            and (intent is None or refund["payment_intent"] == intent)
        ]
        return self._page(items, params, url, "refund")

    def _list_events(self, params: Json, url: str) -> Json:
        self._only(params, _LIST_PARAMS | {"type", "types", "delivery_success"})
        created = self._range(params, "created")
        if "type" in params and "types" in params:
            raise StripeApiError(
                400, "You may only specify one of these parameters: type, types.", param="types"
            )
        patterns: list[str] = []
        if "type" in params:
            patterns = [str(params["type"])]
        elif "types" in params:
            raw = params["types"]
            if not isinstance(raw, list):
                raise StripeApiError(
                    400, "Invalid array", code="parameter_invalid_array", param="types"
                )
            patterns = [str(item) for item in raw]
        items = [
            event
            for event in self.events.values()
            if created(event["created"])
            and (not patterns or any(_event_matches(event["type"], p) for p in patterns))
        ]
        return self._page(items, params, url, "event")

    def _list_disputes(self, params: Json, url: str) -> Json:
        self._only(params, _LIST_PARAMS | {"charge", "payment_intent"})
        created = self._range(params, "created")
        charge, intent = params.get("charge"), params.get("payment_intent")
        items = [
            dispute
            for dispute in self.disputes.values()
            if created(dispute["created"])
            and (charge is None or dispute["charge"] == charge)
            and (intent is None or dispute["payment_intent"] == intent)
        ]
        return self._page(items, params, url, "dispute")

    def _list_payouts(self, params: Json, url: str) -> Json:
        self._only(params, _LIST_PARAMS | {"arrival_date", "destination", "status"})
        created = self._range(params, "created")
        arrival = self._range(params, "arrival_date")
        status = params.get("status")
        items = [
            payout
            for payout in self.payouts.values()
            if created(payout["created"])
            and arrival(payout["arrival_date"])
            and (status is None or payout["status"] == status)
        ]
        return self._page(items, params, url, "payout")

    def _list_balance_transactions(self, params: Json, url: str) -> Json:
        self._only(params, _LIST_PARAMS | {"currency", "payout", "source", "type"})
        created = self._range(params, "created")
        payout, source = params.get("payout"), params.get("source")
        txn_type, currency = params.get("type"), params.get("currency")
        if payout is not None and payout not in self.payouts:
            raise StripeApiError(
                400, f"No such payout: '{payout}'", code="resource_missing", param="payout"
            )
        items = [
            txn
            for txn in self.balance_transactions.values()
            if created(txn["created"])
            and (payout is None or self.payout_of_transaction.get(txn["id"]) == payout)
            and (source is None or txn["source"] == source)
            and (txn_type is None or txn["type"] == txn_type)
            and (currency is None or txn["currency"] == currency)
        ]
        return self._page(items, params, url, "balance_transaction")

    def _create_refund(
        self, request: httpx.Request, form: Json, request_id: str, version: str
    ) -> httpx.Response:
        self._only(
            form,
            {
                "amount",
                "charge",
                "currency",
                "customer",
                "expand",
                "instructions_email",
                "metadata",
                "origin",
                "payment_intent",
                "reason",
                "refund_application_fee",
                "reverse_transfer",
            },
        )
        key = request.headers.get("idempotency-key")
        endpoint = "POST /v1/refunds"
        fingerprint = json.dumps(form, sort_keys=True)
        if key is not None:
            saved = self._idempotent.get(key)
            if saved is not None:
                return self._replay(
                    saved,
                    key,
                    endpoint=endpoint,
                    fingerprint=fingerprint,
                    request_id=request_id,
                    version=version,
                )
        # Parameter validation first: Stripe does not save responses to invalid requests.
        charge_id, amount, reason, metadata = self._refund_params(form)
        try:
            refund = self._execute_refund(
                charge_id, amount, reason=reason, metadata=metadata, request_id=request_id, key=key
            )
            response = self._ok(self._expand(refund, self._expand_list(form)), request_id, version)
        except StripeApiError as error:
            response = self._error_response(error, request_id, version)
        if key is not None:
            response.headers["Idempotency-Key"] = key
            self._idempotent[key] = _SavedResponse(
                endpoint, fingerprint, response.status_code, response.content, request_id
            )
        return response

    def _replay(
        self,
        saved: _SavedResponse,
        key: str,
        *,
        endpoint: str,
        fingerprint: str,
        request_id: str,
        version: str,
    ) -> httpx.Response:
        if saved.endpoint != endpoint:
            raise StripeApiError(
                400,
                f"Keys for idempotent requests can only be used for the same endpoint they "
                f"were first used for ('{saved.endpoint}' vs '{endpoint}'). Try using a key "
                f"other than '{key}' if you meant to execute a different request.",
                error_type="idempotency_error",
                should_retry=False,
            )
        if saved.params != fingerprint:
            raise StripeApiError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
                error_type="idempotency_error",
                should_retry=False,
            )
        headers = {
            "Request-Id": request_id,
            "Stripe-Version": version,
            "Content-Type": "application/json",
            "Idempotency-Key": key,
            "Idempotent-Replayed": "true",
            "Original-Request": saved.request_id,
        }
        return httpx.Response(saved.status, headers=headers, content=saved.body)

    def _refund_params(self, form: Json) -> tuple[str, int | None, str | None, dict[str, str]]:
        charge_id, intent_id = form.get("charge"), form.get("payment_intent")
        if charge_id is None and intent_id is None:
            raise StripeApiError(
                400,
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
                code="parameter_missing",
            )
        if intent_id is not None:
            intent = self.payment_intents.get(str(intent_id))
            if intent is None:
                raise StripeApiError(
                    400,
                    f"No such payment_intent: '{intent_id}'",
                    code="resource_missing",
                    param="payment_intent",
                )
            if charge_id is not None and charge_id != intent["latest_charge"]:
                raise StripeApiError(
                    400,
                    f"Charge {charge_id} does not belong to PaymentIntent {intent_id}.",
                    param="charge",
                )
            charge_id = intent["latest_charge"]
        if not isinstance(charge_id, str) or charge_id not in self.charges:
            raise StripeApiError(
                400, f"No such charge: '{charge_id}'", code="resource_missing", param="charge"
            )
        amount = self._integer(form, "amount")
        if amount is not None and amount < 1:
            raise StripeApiError(
                400,
                "This value must be greater than or equal to 1.",
                code="parameter_invalid_integer",
                param="amount",
            )
        reason = form.get("reason")
        if reason is not None and reason not in _REFUND_REASONS:
            raise StripeApiError(
                400,
                "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
                param="reason",
            )
        metadata = form.get("metadata", {})
        if not isinstance(metadata, dict):
            raise StripeApiError(
                400, "Invalid hash", code="parameter_invalid_hash", param="metadata"
            )
        return charge_id, amount, reason, {str(k): str(v) for k, v in metadata.items()}

    def _execute_refund(
        self,
        charge_id: str,
        amount: int | None,
        *,
        reason: str | None,
        metadata: dict[str, str],
        request_id: str,
        key: str | None,
    ) -> Json:
        charge = self.charges[charge_id]
        if charge["status"] == "failed":
            raise StripeApiError(
                400,
                f"Charge {charge_id} has failed and cannot be refunded.",
                code="charge_not_refundable",
                param="charge",
            )
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining <= 0:
            raise StripeApiError(
                400,
                f"Charge {charge_id} has already been refunded.",
                code="charge_already_refunded",
                param="charge",
            )
        minor = remaining if amount is None else amount
        if minor > remaining:
            raise StripeApiError(
                400,
                f"Refund amount ({minor}) is greater than unrefunded amount on charge "
                f"({remaining})",
                code="amount_too_large",
                param="amount",
            )
        try:
            money = stripe_money(minor, charge["currency"], where="amount")
        except StripePayloadError as exc:
            # ISK and UGX are two-decimal in the API but whole units only
            raise StripeApiError(
                400,
                f"Invalid amount. Currency {charge['currency'].upper()} has become effectively "
                "zero-decimal and charged amounts must be evenly divisible by 100. See "
                "https://stripe.com/docs/currencies#special-cases for more information.",
                code="invalid_charge_amount_no_decimal_compatible",
                param="amount",
            ) from exc
        pending = (
            charge["payment_method_details"]["type"] != "card" or charge["status"] == "pending"
        )
        refund = self.add_refund(
            charge_id,
            money,
            status="pending" if pending else "succeeded",
            reason=reason,
            metadata=metadata,
            with_events=False,
        )
        self.add_event(
            "refund.created",
            refund,
            created=refund["created"],
            request_id=request_id,
            idempotency_key=key,
        )
        self.add_event(
            "charge.refunded",
            charge,
            created=refund["created"],
            request_id=request_id,
            idempotency_key=key,
        )
        return refund


def as_datetime(unix_seconds: int) -> datetime:
    """A Stripe timestamp as an aware UTC datetime (for tests comparing with core models)."""
    return datetime.fromtimestamp(unix_seconds, UTC)
