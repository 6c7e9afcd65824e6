"""Stripe object shapes for the stand-in: plain JSON dicts as the Stripe API returns them.

Intent: one builder per Stripe object the refund flows read (charge, payment intent, refund,
dispute, balance transaction, payout, event, customer, list, error), each producing every field
the API version ``2023-08-16`` spec marks required plus the fields the current API adds
(checked against Stripe's published 2026 fixtures by ``tests/stripe_contract.py``). Amounts are
integers in Stripe's minor unit (the caller converts with :func:`._wire.stripe_minor`, the
adapter's own function), currencies lowercase ISO codes, times Unix seconds, as on the wire.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

__all__ = [
    "Json",
    "account_object",
    "balance_object",
    "balance_transaction_object",
    "charge_object",
    "customer_object",
    "dispute_object",
    "error_body",
    "event_object",
    "list_object",
    "payment_intent_object",
    "payout_object",
    "refund_object",
    "render_json",
]

Json = dict[str, Any]

#: ``reporting_category`` Stripe gives each balance transaction ``type`` the stand-in produces.
REPORTING_CATEGORY = {
    "adjustment": "other_adjustment",
    "application_fee": "platform_earning",
    "application_fee_refund": "platform_earning_refund",
    "charge": "charge",
    "payment": "charge",
    "payment_failure_refund": "charge_failure",
    "payment_refund": "refund",
    "payout": "payout",
    "refund": "refund",
    "refund_failure": "refund_failure",
    "stripe_fee": "fee",
    "tax_fee": "fee",
}


def _address() -> Json:
    return {
        "city": None,
        "country": None,
        "line1": None,
        "line2": None,
        "postal_code": None,
        "state": None,
    }


def customer_object(customer_id: str, *, created: int, email: str | None, name: str | None) -> Json:
    """A customer with the fields a refund flow may read."""
    return {
        "id": customer_id,
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": created,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": email,
        "invoice_prefix": customer_id[-8:].upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": name,
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def _payment_method_details(method_type: str) -> Json:
    if method_type == "us_bank_account":
        return {
            "type": "us_bank_account",
            "us_bank_account": {
                "account_holder_type": "individual",
                "account_type": "checking",
                "bank_name": "STRIPE TEST BANK",
                "fingerprint": "standinBankFp01",
                "last4": "6789",
                "routing_number": "110000000",
            },
        }
    return {
        "type": "card",
        "card": {
            "brand": "visa",
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "pass",
            },
            "country": "US",
            "exp_month": 8,
            "exp_year": 2030,
            "fingerprint": "standinCardFp01",
            "funding": "credit",
            "installments": None,
            "last4": "4242",
            "mandate": None,
            "network": "visa",
            "network_token": {"used": False},
            "three_d_secure": None,
            "wallet": None,
        },
    }


def charge_object(
    charge_id: str,
    *,
    amount: int,
    currency: str,
    created: int,
    status: str,
    method_type: str,
    customer: str | None,
    payment_intent: str | None,
    balance_transaction: str | None,
    description: str | None,
    metadata: dict[str, str],
) -> Json:
    """A charge; ``status`` is succeeded, pending (delayed notification) or failed."""
    succeeded = status == "succeeded"
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if status != "failed" else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": balance_transaction,
        "billing_details": {
            "address": _address(),
            "email": None,
            "name": None,
            "phone": None,
        },
        "calculated_statement_descriptor": "REFUND-SYNC",
        "captured": status != "failed",
        "created": created,
        "currency": currency,
        "customer": customer,
        "description": description,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(metadata),
        "on_behalf_of": None,
        "outcome": {
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        "paid": succeeded,
        "payment_intent": payment_intent,
        "payment_method": f"pm_{charge_id.removeprefix('ch_')}",
        "payment_method_details": _payment_method_details(method_type),
        "receipt_email": None,
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": status,
        "transfer_data": None,
        "transfer_group": None,
    }


def payment_intent_object(
    payment_intent_id: str,
    *,
    amount: int,
    currency: str,
    created: int,
    status: str,
    method_type: str,
    customer: str | None,
    latest_charge: str | None,
) -> Json:
    """A payment intent with its latest charge (``charges`` is gone since 2022-11-15)."""
    received = amount if status == "succeeded" else 0
    return {
        "id": payment_intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": received,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": None,
        "confirmation_method": "automatic",
        "created": created,
        "currency": currency,
        "customer": customer,
        "customer_account": None,
        "description": None,
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": latest_charge,
        "livemode": False,
        "metadata": {},
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": [method_type],
        "processing": None,
        "receipt_email": None,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": status,
        "transfer_data": None,
        "transfer_group": None,
    }


def refund_object(
    refund_id: str,
    *,
    amount: int,
    currency: str,
    created: int,
    status: str,
    charge: str | None,
    payment_intent: str | None,
    balance_transaction: str | None,
    reason: str | None,
    metadata: dict[str, str],
    customer: str | None,
    method_type: str,
) -> Json:
    """A refund with the current fields (``destination_details``, ``customer`` ...)."""
    if method_type == "us_bank_account":
        destination: Json = {
            "type": "us_bank_transfer",
            "us_bank_transfer": {"reference": None, "reference_status": "pending"},
        }
    else:
        destination = {"type": "card", "card": {"type": "refund"}}
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": balance_transaction,
        "charge": charge,
        "created": created,
        "currency": currency,
        "customer": customer,
        "customer_account": None,
        "destination_details": destination,
        "metadata": dict(metadata),
        "payment_intent": payment_intent,
        "payment_method": None,
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": status,
        "transfer_reversal": None,
    }


def balance_transaction_object(
    txn_id: str,
    *,
    txn_type: str,
    amount: int,
    fee: int,
    currency: str,
    created: int,
    source: str | None,
    description: str | None,
    status: str,
    reporting_category: str | None = None,
    exchange_rate: Decimal | None = None,
    fee_description: str = "Stripe processing fees",
) -> Json:
    """A balance transaction; ``net`` is ``amount - fee`` and the fee is one Stripe fee line.

    ``exchange_rate`` is set when the money was converted into ``currency`` (the settlement
    currency): the source amount times the rate is ``amount``. ``reporting_category`` defaults
    to the one Stripe gives ``txn_type``; an ``adjustment`` is ``dispute`` or
    ``dispute_reversal`` when a dispute moved the money.
    """
    fee_details = (
        [
            {
                "amount": fee,
                "application": None,
                "currency": currency,
                "description": fee_description,
                "type": "stripe_fee",
            }
        ]
        if fee
        else []
    )
    return {
        "id": txn_id,
        "object": "balance_transaction",
        "amount": amount,
        "available_on": created,
        "balance_type": "payments",
        "created": created,
        "currency": currency,
        "description": description,
        "exchange_rate": exchange_rate,
        "fee": fee,
        "fee_details": fee_details,
        "net": amount - fee,
        "reporting_category": reporting_category or REPORTING_CATEGORY.get(txn_type, txn_type),
        "source": source,
        "status": status,
        "type": txn_type,
    }


def dispute_object(
    dispute_id: str,
    *,
    amount: int,
    currency: str,
    created: int,
    charge: str,
    payment_intent: str | None,
    status: str,
    reason: str,
    balance_transactions: list[Json],
) -> Json:
    """A card dispute; ``balance_transactions`` are the funds withdrawn and reinstated, if any."""
    evidence_fields = [
        "access_activity_log",
        "billing_address",
        "cancellation_policy",
        "cancellation_policy_disclosure",
        "cancellation_rebuttal",
        "customer_communication",
        "customer_email_address",
        "customer_name",
        "customer_purchase_ip",
        "customer_signature",
        "duplicate_charge_documentation",
        "duplicate_charge_explanation",
        "duplicate_charge_id",
        "product_description",
        "receipt",
        "refund_policy",
        "refund_policy_disclosure",
        "refund_refusal_explanation",
        "service_date",
        "service_documentation",
        "shipping_address",
        "shipping_carrier",
        "shipping_date",
        "shipping_documentation",
        "shipping_tracking_number",
        "uncategorized_file",
        "uncategorized_text",
    ]
    return {
        "id": dispute_id,
        "object": "dispute",
        "amount": amount,
        "balance_transactions": balance_transactions,
        "charge": charge,
        "created": created,
        "currency": currency,
        "evidence": dict.fromkeys(evidence_fields),
        "evidence_details": {
            "due_by": created + 14 * 86_400,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": not balance_transactions,
        "livemode": False,
        "metadata": {},
        "payment_intent": payment_intent,
        "payment_method_details": {
            "card": {"brand": "visa", "network_reason_code": "10.4"},
            "type": "card",
        },
        "reason": reason,
        "status": status,
    }


def payout_object(
    payout_id: str,
    *,
    amount: int,
    currency: str,
    created: int,
    arrival_date: int,
    status: str,
    balance_transaction: str,
) -> Json:
    """An automatic standard payout to a bank account, reconciled."""
    return {
        "id": payout_id,
        "object": "payout",
        "amount": amount,
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": arrival_date,
        "automatic": True,
        "balance_transaction": balance_transaction,
        "created": created,
        "currency": currency,
        "description": "STRIPE PAYOUT",
        "destination": "ba_standin0001",
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": {},
        "method": "standard",
        "original_payout": None,
        "payout_method": None,
        "reconciliation_status": "completed",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": None,
        "status": status,
        "trace_id": {"status": "supported", "value": None},
        "type": "bank_account",
    }


def event_object(
    event_id: str,
    *,
    event_type: str,
    created: int,
    data_object: Json,
    previous_attributes: Json | None,
    api_version: str,
    request_id: str | None,
    idempotency_key: str | None,
) -> Json:
    """A v1 event (snapshot payload): ``data.object`` is the object as it was at ``created``."""
    data: Json = {"object": data_object}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {
        "id": event_id,
        "object": "event",
        "api_version": api_version,
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": 0,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": event_type,
    }


def account_object(account_id: str, *, country: str, default_currency: str, created: int) -> Json:
    """The account behind the key (``GET /v1/account``), as a standard account that is set up.

    ``default_currency`` is "the default currency for the account", a currency Stripe supports
    in ``country`` (OpenAPI ``account.default_currency``); the spec requires only ``id`` and
    ``object``, the rest are the fields a settled account shows in the 2026 fixtures.
    """
    return {
        "id": account_id,
        "object": "account",
        "business_type": "company",
        "charges_enabled": True,
        "country": country,
        "created": created,
        "default_currency": default_currency,
        "details_submitted": True,
        "email": None,
        "metadata": {},
        "payouts_enabled": True,
        "type": "standard",
    }


def balance_object(*, livemode: bool, available: Json, pending: Json, currency: str) -> Json:
    """The account's balance (``GET /v1/balance``): one entry per currency in each list.

    ``available`` and ``pending`` map lowercase currency codes to minor-unit amounts; a list
    with no currency shows ``currency`` at 0, as a new account's balance does. ``livemode``
    "has the value true if the object exists in live mode" (OpenAPI ``balance.livemode``): it
    is the mode of the key that asked.
    """

    def entries(amounts: Json) -> list[Json]:
        listed = [{"amount": amount, "currency": code} for code, amount in sorted(amounts.items())]
        return listed or [{"amount": 0, "currency": currency}]

    return {
        "object": "balance",
        "available": entries(available),
        "livemode": livemode,
        "pending": entries(pending),
    }


def list_object(data: list[Json], *, has_more: bool, url: str) -> Json:
    """Stripe's list envelope."""
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def error_body(
    error_type: str,
    message: str,
    *,
    code: str | None,
    param: str | None,
    request_id: str,
) -> Json:
    """Stripe's error envelope, with the documentation and request-log links Stripe adds."""
    error: Json = {"type": error_type, "message": message}
    if code is not None:
        error["code"] = code
        error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    if param is not None:
        error["param"] = param
    error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
    return {"error": error}


def render_json(payload: object, *, indent: int | None = None) -> str:
    """JSON as Stripe writes it: Decimals (exchange rates) as exact number literals.

    The stand-in keeps rates as Decimals, never floats; each is written with its own digits.
    """
    marks: dict[str, str] = {}

    def mark(value: object) -> object:
        if isinstance(value, Decimal):
            if not value.is_finite():
                raise ValueError(f"{value} cannot be written as a JSON number")
            token = f"__decimal_{len(marks)}__"
            marks[token] = format(value, "f")
            return token
        if isinstance(value, float):
            raise TypeError("floats are never written: the stand-in keeps Decimals")
        raise TypeError(f"{type(value).__name__} is not JSON serializable")

    text = json.dumps(payload, indent=indent, default=mark)
    for token, literal in marks.items():
        text = text.replace(f'"{token}"', literal)
    return text
