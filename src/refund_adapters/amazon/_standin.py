"""A stateful local stand-in for Login with Amazon and the SP-API Finances API (both versions).

It holds seeded refunds and answers as Amazon does, as far as the models and docs say:

* ``POST /auth/o2/token`` (LWA): refresh-token grant only; issues access tokens that expire by
  the injected wall clock; wrong client or refresh token -> LWA's ``invalid_client`` /
  ``invalid_grant``.
* ``GET /finances/2024-06-19/transactions`` and ``GET /finances/v0/financialEvents``: each
  refund as a ``Refund`` transaction or a ``RefundEventList`` entry; ``x-amz-access-token``
  checked (403 ``Unauthorized`` when missing, unknown or expired); ``postedAfter`` required and,
  like ``postedBefore``, more than two minutes old and ordered (else 400 ``InvalidInput``); a
  range over 180 days answers an *empty* list, as documented; NextToken pages that must be asked
  for with the same arguments; optional empty pages; refunds in the order they were added, not
  by date (Amazon promises no order).
* A token bucket per operation at the documented rate and burst (0.5/s; burst 10 for
  listTransactions, 30 for listFinancialEvents) on an injected monotonic clock: a client over it
  gets 429 ``QuotaExceeded``. Successful answers carry ``x-amzn-RateLimit-Limit``; every answer
  ``x-amzn-RequestId``.

What ``refund-sync doctor`` reads is what the adapter reads: ``listTransactions``. Refunds are
transactions of ``refund_transaction_type`` ("Refund", what the adapter assumes) carrying a
``REFUND_ID`` related identifier (a documented identifier name), with ``description`` "Refund
Order" (the model's own example of a refund's description) and breakdown leaves named as v0's
``ChargeType`` (``Principal``, ``Tax`` ...); ``breakdown_names`` renames leaves (the model's
example spells ``Principle``). The model lists no refund ``transactionType`` and no breakdown
names, so both are assumptions the doctor checks on the live account.

Amounts are written as JSON numbers (Amazon's ``BigDecimal``), exactly, never through float.
Fault injection (latency, scripted statuses, dropped connections) comes from
:class:`refund_adapters._standin.StandIn`.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, parse_qsl

import attrs
import httpx

import refund_core as rc
from refund_adapters._pacing import TokenBucket
from refund_adapters._standin import StandIn

from ._mapping import LINE_CHARGE_TYPES, SHIPPING_CHARGE_TYPES

__all__ = ["AmazonStandIn", "Exchange", "SeededItem", "SeededRefund"]

_V2024_PATH = "/finances/2024-06-19/transactions"
_V0_PATH = "/finances/v0/financialEvents"
_TOKEN_PATH = "/auth/o2/token"
_MAX_RANGE = timedelta(days=180)
_SETTLE = timedelta(minutes=2)


def _decimals(
    values: Mapping[str, Decimal | int | str] | Iterable[tuple[str, Decimal | int | str]],
) -> tuple[tuple[str, Decimal], ...]:
    pairs = values.items() if isinstance(values, Mapping) else values
    # Through str, so a float given by mistake fails loudly instead of carrying binary noise.
    return tuple((kind, _exact(amount)) for kind, amount in pairs)


def _exact(amount: Decimal | int | str) -> Decimal:
    if isinstance(amount, float):
        raise rc.FloatAmountError(f"amount {amount!r} is a float; give a Decimal or a string")
    return Decimal(str(amount))


@attrs.frozen
class SeededItem:
    """One refunded item, with amounts signed as Amazon reports them (seller's view).

    Money back to the customer is negative (``{"Principal": "-19.99", "Tax": "-1.60"}``),
    promotions taken back are positive, a returned commission is positive and a refund
    commission negative.
    """

    sku: str | None
    charges: tuple[tuple[str, Decimal], ...] = attrs.field(converter=_decimals)
    quantity: int | None = 1
    fees: tuple[tuple[str, Decimal], ...] = attrs.field(factory=dict, converter=_decimals)
    promotions: tuple[tuple[str, Decimal], ...] = attrs.field(factory=dict, converter=_decimals)
    withheld: tuple[tuple[str, Decimal], ...] = attrs.field(factory=dict, converter=_decimals)
    adjustment_id: str | None = None


@attrs.frozen
class SeededRefund:
    """One refund the stand-in holds, in both API versions' terms."""

    refund_id: str
    transaction_id: str
    order_id: str
    posted: datetime
    currency: str
    items: tuple[SeededItem, ...]
    seller_order_id: str | None = None
    marketplace_id: str = "ATVPDKIKX0DER"
    marketplace_name: str = "Amazon.com"


@attrs.frozen
class Exchange:
    """One request the stand-in answered: method, path, query pairs, status and JSON answer.

    The answer is parsed with exact numbers (``Decimal``), as the adapter reads it.
    """

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    status: int
    response_body: Any


@attrs.frozen
class _OtherTransaction:
    transaction_id: str
    transaction_type: str
    posted: datetime
    currency: str
    amount: Decimal


@attrs.frozen
class _Paging:
    operation: str
    arguments: tuple[tuple[str, str], ...]
    offset: int
    emptied: bool


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _error(code: str, message: str, details: str | None = None) -> dict[str, Any]:
    entry = {"code": code, "message": message}
    if details:
        entry["details"] = details
    return {"errors": [entry]}


class AmazonStandIn(StandIn):
    """Login with Amazon plus Finances v0 and 2024-06-19, over seeded refunds."""

    service = "amazon"

    def __init__(
        self,
        *,
        client_id: str = "amzn1.application-oa2-client.standin",
        client_secret: str = "standin-client-secret",
        refresh_token: str = "Atzr|standin-refresh-token",
        clock: Callable[[], datetime] = _utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        token_lifetime: timedelta = timedelta(hours=1),
        transactions_page_size: int = 500,
        enforce_rate_limits: bool = True,
        empty_pages: bool = False,
        send_rate_limit_header: bool = True,
        refund_transaction_type: str = "Refund",
        breakdown_names: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        #: The 2024-06-19 ``transactionType`` refunds carry. "Refund" is what the adapter reads
        #: by default; the model lists only "Shipment", so real accounts may differ.
        self.refund_transaction_type = refund_transaction_type
        #: Breakdown leaf names written otherwise in 2024-06-19 answers, e.g.
        #: ``{"Principal": "Principle"}`` as the model's own example spells it.
        self.breakdown_names = dict(breakdown_names or {})
        self.client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._clock = clock
        self._monotonic = monotonic
        self.token_lifetime = token_lifetime
        self.transactions_page_size = transactions_page_size
        self.enforce_rate_limits = enforce_rate_limits
        #: Answer an empty page (with a NextToken) before every further page, as Amazon may.
        self.empty_pages = empty_pages
        #: Send ``x-amzn-RateLimit-Limit`` on successes (Amazon does "when available").
        self.send_rate_limit_header = send_rate_limit_header
        self.refunds: list[SeededRefund] = []
        self._others: list[_OtherTransaction] = []
        self._tokens: dict[str, datetime] = {}
        self._paging: dict[str, _Paging] = {}
        self._counter = itertools.count(1)
        self._state_lock = threading.Lock()
        self._buckets = {
            "listTransactions": TokenBucket(0.5, 10, clock=monotonic),
            "listFinancialEvents": TokenBucket(0.5, 30, clock=monotonic),
        }
        #: Requests answered 429 QuotaExceeded because the bucket was empty.
        self.throttled = 0
        #: Access tokens issued so far.
        self.tokens_issued = 0
        #: Every request answered, with its answer (for checks against the SP-API models).
        self.exchanges: list[Exchange] = []

    def __repr__(self) -> str:
        return f"AmazonStandIn(refunds={len(self.refunds)})"

    # -- seeding -----------------------------------------------------------------------------

    def add_refund(
        self,
        *,
        order_id: str,
        posted: datetime,
        items: Sequence[SeededItem],
        currency: str = "USD",
        refund_id: str | None = None,
        seller_order_id: str | None = None,
        marketplace_id: str = "ATVPDKIKX0DER",
        marketplace_name: str = "Amazon.com",
    ) -> SeededRefund:
        """Hold one more refund; adjustment item IDs are numbered when not given."""
        if posted.utcoffset() is None:
            raise rc.InvalidInputError("posted must carry a UTC offset")
        number = next(self._counter)
        numbered = tuple(
            item
            if item.adjustment_id is not None
            else attrs.evolve(item, adjustment_id=f"{52045600000 + number * 100 + index}")
            for index, item in enumerate(items)
        )
        refund = SeededRefund(
            refund_id=refund_id or f"R{number:010d}",
            transaction_id=f"txn-{number:08d}",
            order_id=order_id,
            posted=posted,
            currency=currency,
            items=numbered,
            seller_order_id=seller_order_id,
            marketplace_id=marketplace_id,
            marketplace_name=marketplace_name,
        )
        self.refunds.append(refund)
        return refund

    def add_other_transaction(
        self, *, transaction_type: str, posted: datetime, amount: Decimal, currency: str = "USD"
    ) -> None:
        """Hold a transaction that is not a refund (e.g. a ``Shipment``); 2024-06-19 only."""
        number = next(self._counter)
        self._others.append(
            _OtherTransaction(f"txn-{number:08d}", transaction_type, posted, currency, amount)
        )

    @classmethod
    def from_events(cls, events: Iterable[rc.SourceEvent], **options: Any) -> AmazonStandIn:
        """A stand-in holding these core events as Amazon refunds, in the given order.

        Each refund keeps its ID (as ``REFUND_ID``), time, order (``order_ref``, else one made
        from the refund ID), lines (SKU = ``order_line_ref``, ``Principal`` = the line amount),
        shipping (``ShippingCharge``) and adjustment (``RestockingFee`` when negative,
        ``Goodwill`` when positive). Amazon reports no failed payments, so a
        :class:`refund_core.PaymentFailure` is refused.
        """
        standin = cls(**options)
        for event in events:
            if not isinstance(event, rc.RefundEvent):
                raise rc.InvalidInputError(
                    f"Amazon reports refunds only, not {type(event).__name__} {event.key}"
                )
            standin.add_refund(
                order_id=event.order_ref or f"ORDER-{event.refund_id}",
                posted=event.created_at,
                items=_items_of(event),
                currency=event.amount.currency.code,
                refund_id=event.refund_id,
            )
        return standin

    def revoke_tokens(self) -> None:
        """Make every access token issued so far invalid (as revoking the app would)."""
        with self._state_lock:
            self._tokens.clear()

    # -- request handling ----------------------------------------------------------------------

    def over_limit_response(self) -> httpx.Response:
        """Amazon's answer to too many requests: 429 QuotaExceeded."""
        return self._json(
            429, _error("QuotaExceeded", "You exceeded your quota for the requested resource.")
        )

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Route by path: the LWA token endpoint or one of the two Finances operations."""
        path = request.url.path
        if request.method == "POST" and path == _TOKEN_PATH:
            response = self._token(request)
        elif request.method == "GET" and path == _V2024_PATH:
            response = self._list(request, "listTransactions")
        elif request.method == "GET" and path == _V0_PATH:
            response = self._list(request, "listFinancialEvents")
        else:
            response = self._json(404, _error("NotFound", "Resource not found."))
        query = tuple(parse_qsl(request.url.query.decode(), keep_blank_values=True))
        body = json.loads(response.content, parse_float=Decimal)
        with self._state_lock:
            self.exchanges.append(Exchange(request.method, path, query, response.status_code, body))
        return response

    def _request_id(self) -> str:
        return f"standin-{next(self._counter):08d}"

    def _json(
        self, status: int, payload: Any, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        merged = {
            "content-type": "application/json",
            "x-amzn-RequestId": self._request_id(),
            **(headers or {}),
        }
        return httpx.Response(status, content=dumps_with_numbers(payload), headers=merged)

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if form.get("grant_type") != "refresh_token":
            return self._lwa_error(400, "unsupported_grant_type", "Only refresh_token is served")
        if form.get("client_id") != self.client_id or form.get("client_secret") != (
            self._client_secret
        ):
            return self._lwa_error(401, "invalid_client", "Client authentication failed")
        if form.get("refresh_token") != self._refresh_token:
            return self._lwa_error(400, "invalid_grant", "The request has an invalid grant")
        with self._state_lock:
            self.tokens_issued += 1
            token = f"Atza|standin-access-{self.tokens_issued:06d}"
            self._tokens[token] = self._clock() + self.token_lifetime
        return self._json(
            200,
            {
                "access_token": token,
                "refresh_token": self._refresh_token,
                "token_type": "bearer",
                "expires_in": int(self.token_lifetime.total_seconds()),
            },
        )

    def _lwa_error(self, status: int, code: str, description: str) -> httpx.Response:
        return self._json(status, {"error": code, "error_description": description})

    def _forbidden(self, details: str) -> httpx.Response:
        return self._json(
            403, _error("Unauthorized", "Access to requested resource is denied.", details)
        )

    def _invalid(self, message: str) -> httpx.Response:
        return self._json(400, _error("InvalidInput", message))

    def _list(self, request: httpx.Request, operation: str) -> httpx.Response:
        token = request.headers.get("x-amz-access-token")
        if not token:
            return self._forbidden("The request has no x-amz-access-token header.")
        with self._state_lock:
            expires = self._tokens.get(token)
        if expires is None:
            return self._forbidden(
                "The access token you provided is revoked, malformed or invalid."
            )
        if self._clock() >= expires:
            return self._forbidden("The access token you provided has expired.")
        if self.enforce_rate_limits:
            with self._state_lock:
                allowed = self._buckets[operation].take()
                if not allowed:
                    self.throttled += 1
            if not allowed:
                return self.over_limit_response()
        v0 = operation == "listFinancialEvents"
        params = {k: v[-1] for k, v in parse_qs(request.url.query.decode()).items()}
        token_name = "NextToken" if v0 else "nextToken"
        next_token = params.pop(token_name, None)
        arguments = tuple(sorted(params.items()))
        after_name, before_name = (
            ("PostedAfter", "PostedBefore")
            if v0
            else (
                "postedAfter",
                "postedBefore",
            )
        )
        problem, after, before = self._check_range(params, after_name, before_name, v0)
        if problem is not None:
            return self._invalid(problem)
        page_size = self.transactions_page_size
        if v0:
            try:
                page_size = int(params.get("MaxResultsPerPage", "100"))
            except ValueError:
                return self._invalid("MaxResultsPerPage must be an integer.")
            if not 1 <= page_size <= 100:
                return self._invalid("MaxResultsPerPage must be between 1 and 100.")
        offset, emptied = 0, False
        if next_token is not None:
            with self._state_lock:
                paging = self._paging.get(next_token)
            if paging is None or paging.operation != operation or paging.arguments != arguments:
                return self._invalid(
                    "NextToken is not valid for this request: call with the same arguments."
                )
            offset, emptied = paging.offset, paging.emptied
        if after is None or before is None:  # _check_range gives both when it finds no problem
            return self._invalid("postedAfter and postedBefore could not be read.")
        records = self._records(operation, after, before)
        if self.empty_pages and next_token is not None and not emptied:
            chunk: list[dict[str, Any]] = []
            following: int | None = offset
            emptied_next = True
        else:
            chunk = records[offset : offset + page_size]
            following = offset + page_size if offset + page_size < len(records) else None
            emptied_next = False
        token_out = None
        if following is not None:
            token_out = f"NT{next(self._counter):08d}"
            with self._state_lock:
                self._paging[token_out] = _Paging(operation, arguments, following, emptied_next)
        headers = {"x-amzn-RateLimit-Limit": "0.5"} if self.send_rate_limit_header else {}
        if v0:
            payload: dict[str, Any] = {"FinancialEvents": {"RefundEventList": chunk}}
            if token_out:
                payload["NextToken"] = token_out
        else:
            payload = {"transactions": chunk}
            if token_out:
                payload["nextToken"] = token_out
        return self._json(200, {"payload": payload}, headers)

    def _check_range(
        self, params: Mapping[str, str], after_name: str, before_name: str, v0: bool
    ) -> tuple[str | None, datetime | None, datetime | None]:
        raw_after = params.get(after_name)
        raw_before = params.get(before_name)
        if raw_after is None:
            if v0 and raw_before is not None:
                return (f"{before_name} requires {after_name}.", None, None)
            return (
                f"Must specify a valid value of atleast one of {after_name} or a related "
                "identifier.",
                None,
                None,
            )
        latest = self._clock() - _SETTLE
        try:
            after = _parse_time(raw_after)
            before = _parse_time(raw_before) if raw_before is not None else latest
        except ValueError:
            return ("Dates must be in ISO 8601 date-time format.", None, None)
        if after > latest:
            return (f"{after_name} must be more than two minutes before the request.", None, None)
        if before > latest:
            return (f"{before_name} must be more than two minutes before the request.", None, None)
        if before <= after:
            return (f"{before_name} must be later than {after_name}.", None, None)
        return None, after, before

    def _records(self, operation: str, after: datetime, before: datetime) -> list[dict[str, Any]]:
        if before - after > _MAX_RANGE:
            return []  # documented: "more than 180 days apart, the response is empty"
        chosen = [r for r in self.refunds if after <= r.posted < before]
        if operation == "listFinancialEvents":
            return [_v0_event(r) for r in chosen]
        transactions = [
            _transaction(r, self.refund_transaction_type, self.breakdown_names) for r in chosen
        ]
        transactions += [_other_transaction(o) for o in self._others if after <= o.posted < before]
        return transactions


def _parse_time(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    if parsed.utcoffset() is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _items_of(event: rc.RefundEvent) -> list[SeededItem]:
    currency = event.amount.currency
    extra: dict[str, Decimal] = {}
    if event.shipping is not None and not event.shipping.is_zero:
        extra["ShippingCharge"] = -event.shipping.amount
    if event.adjustment is not None and not event.adjustment.is_zero:
        # A negative adjustment is kept back from the customer (a restocking fee, which Amazon
        # shows as positive); a positive one is given on top (goodwill, shown negative).
        kind = "RestockingFee" if event.adjustment.is_negative else "Goodwill"
        extra[kind] = -event.adjustment.amount
    if event.lines:
        items = []
        for index, line in enumerate(event.lines):
            quantity = line.quantity
            charges: dict[str, Decimal] = {"Principal": -line.amount.amount}
            if index == 0:
                charges.update(extra)
            items.append(
                SeededItem(
                    sku=line.order_line_ref,
                    charges=charges,
                    quantity=int(quantity)
                    if quantity is not None and quantity == quantity.to_integral_value()
                    else None,
                )
            )
        return items
    principal = event.amount - event.shipping_amount - event.adjustment_amount
    charges = {"Principal": -principal.amount} if not principal.is_zero else {}
    charges.update(extra)
    if not charges:
        charges = {"Principal": -rc.Money.zero(currency).amount}
    return [SeededItem(sku=None, charges=charges, quantity=None)]


def _amount(currency: str, amount: Decimal, *, v0: bool) -> dict[str, Any]:
    if v0:
        return {"CurrencyCode": currency, "CurrencyAmount": amount}
    return {"currencyCode": currency, "currencyAmount": amount}


def _v0_event(refund: SeededRefund) -> dict[str, Any]:
    items = []
    for item in refund.items:
        entry: dict[str, Any] = {"OrderAdjustmentItemId": item.adjustment_id}
        if item.sku is not None:
            entry["SellerSKU"] = item.sku
        if item.quantity is not None:
            entry["QuantityShipped"] = item.quantity
        entry["ItemChargeAdjustmentList"] = [
            {"ChargeType": kind, "ChargeAmount": _amount(refund.currency, value, v0=True)}
            for kind, value in item.charges
        ]
        entry["ItemFeeAdjustmentList"] = [
            {"FeeType": kind, "FeeAmount": _amount(refund.currency, value, v0=True)}
            for kind, value in item.fees
        ]
        entry["PromotionAdjustmentList"] = [
            {
                "PromotionType": kind,
                "PromotionId": f"PROMO-{kind}",
                "PromotionAmount": _amount(refund.currency, value, v0=True),
            }
            for kind, value in item.promotions
        ]
        if item.withheld:
            entry["ItemTaxWithheldList"] = [
                {
                    "TaxCollectionModel": "MarketplaceFacilitator",
                    "TaxesWithheld": [
                        {
                            "ChargeType": kind,
                            "ChargeAmount": _amount(refund.currency, value, v0=True),
                        }
                        for kind, value in item.withheld
                    ],
                }
            ]
        items.append(entry)
    event: dict[str, Any] = {
        "AmazonOrderId": refund.order_id,
        "MarketplaceName": refund.marketplace_name,
        "PostedDate": _iso(refund.posted),
        "ShipmentItemAdjustmentList": items,
    }
    if refund.seller_order_id is not None:
        event["SellerOrderId"] = refund.seller_order_id
    return event


def _group(
    kind: str,
    leaves: Sequence[tuple[str, Decimal]],
    currency: str,
    names: Mapping[str, str],
) -> dict[str, Any] | None:
    if not leaves:
        return None
    return {
        "breakdownType": kind,
        "breakdownAmount": _amount(currency, sum((v for _, v in leaves), Decimal(0)), v0=False),
        "breakdowns": [
            {
                "breakdownType": names.get(leaf, leaf),
                "breakdownAmount": _amount(currency, value, v0=False),
            }
            for leaf, value in leaves
        ],
    }


def _item_total(item: SeededItem) -> Decimal:
    return sum(
        (v for _, v in (*item.charges, *item.fees, *item.promotions, *item.withheld)), Decimal(0)
    )


def _transaction(
    refund: SeededRefund,
    transaction_type: str = "Refund",
    names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    names = names or {}
    items = []
    for item in refund.items:
        goods = [(k, v) for k, v in item.charges if k in LINE_CHARGE_TYPES]
        shipping = [(k, v) for k, v in item.charges if k in SHIPPING_CHARGE_TYPES]
        other = [
            (k, v)
            for k, v in item.charges
            if k not in LINE_CHARGE_TYPES and k not in SHIPPING_CHARGE_TYPES
        ]
        groups = [
            _group("ProductCharges", goods, refund.currency, names),
            _group("Shipping", shipping, refund.currency, names),
            _group("OtherCharges", other, refund.currency, names),
            _group("Promotions", list(item.promotions), refund.currency, names),
            _group("AmazonFees", list(item.fees), refund.currency, names),
            _group("TaxWithheld", list(item.withheld), refund.currency, names),
        ]
        entry: dict[str, Any] = {
            "description": item.sku or "",
            "relatedIdentifiers": [
                {
                    "itemRelatedIdentifierName": "ORDER_ADJUSTMENT_ITEM_ID",
                    "itemRelatedIdentifierValue": item.adjustment_id,
                }
            ],
            "totalAmount": _amount(refund.currency, _item_total(item), v0=False),
            "breakdowns": [g for g in groups if g is not None],
            "contexts": [],
        }
        if item.sku is not None:
            product: dict[str, Any] = {"contextType": "ProductContext", "sku": item.sku}
            if item.quantity is not None:
                product["quantityShipped"] = item.quantity
            entry["contexts"] = [product]
        items.append(entry)
    total = sum((_item_total(item) for item in refund.items), Decimal(0))
    return {
        "sellingPartnerMetadata": {
            "sellingPartnerId": "A3STANDINSELLER",
            "accountType": "Standard Orders",
            "marketplaceId": refund.marketplace_id,
        },
        "relatedIdentifiers": [
            {"relatedIdentifierName": "ORDER_ID", "relatedIdentifierValue": refund.order_id},
            {"relatedIdentifierName": "REFUND_ID", "relatedIdentifierValue": refund.refund_id},
        ],
        "transactionType": transaction_type,
        "transactionId": refund.transaction_id,
        "transactionStatus": "RELEASED",
        "description": "Refund Order",
        "postedDate": _iso(refund.posted),
        "totalAmount": _amount(refund.currency, total, v0=False),
        "marketplaceDetails": {
            "marketplaceId": refund.marketplace_id,
            "marketplaceName": refund.marketplace_name,
        },
        "items": items,
        "contexts": [],
        "breakdowns": [],
    }


def _other_transaction(other: _OtherTransaction) -> dict[str, Any]:
    return {
        "relatedIdentifiers": [],
        "transactionType": other.transaction_type,
        "transactionId": other.transaction_id,
        "transactionStatus": "RELEASED",
        "description": other.transaction_type,
        "postedDate": _iso(other.posted),
        "totalAmount": _amount(other.currency, other.amount, v0=False),
        "items": [],
        "breakdowns": [],
        "contexts": [],
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


_NUMBER_MARK = "\x1fnumber:"
_MARKED = re.compile(r'"\\u001fnumber:(-?[0-9]+(?:\.[0-9]+)?)"')


def _mark_numbers(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{_NUMBER_MARK}{value:f}"
    if isinstance(value, dict):
        return {k: _mark_numbers(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mark_numbers(v) for v in value]
    return value


def dumps_with_numbers(payload: Any) -> bytes:
    """JSON with every Decimal written as an exact JSON number, as Amazon sends amounts."""
    text = json.dumps(_mark_numbers(payload))
    return _MARKED.sub(r"\1", text).encode()
