"""A stateful local Shopify Admin GraphQL API: shops, orders, transactions, refunds, store credit.

Every request is checked as Shopify checks it: the access token (401 otherwise), then the query
is parsed and validated against the schema, answering syntax and validation errors as Shopify
does (HTTP 200, ``errors`` with locations). Valid operations are *executed by graphql-core
against that same schema*, with the stand-in's state as the resolvers' source, so every answer
has exactly the schema's shape: non-null fields, enums and lists are enforced by the executor.

The schema is, by default, the subset of Shopify's published Admin 2026-01 schema shipped with
this package (``admin_2026-01.subset.graphql``): the types, fields, arguments, input objects,
enums, scalars and the ``@idempotent`` directive that the adapter's operations use, with
signatures identical to Shopify's and no descriptions. ``tools/shopify_schema_subset.py`` cuts
it from the official SDL, and the tests check that it is a faithful subset and still what the
tool makes. Give ``schema_path`` (the full ``admin_2026-01.graphql``) to validate against all of
Shopify's schema instead; queries for fields outside the subset need it.

Behaviour imitated (from the API facts): ``refundCreate`` with line items (refundable
quantities, restock types), shipping, transactions (parent must be a successful sale/capture of
the same gateway; no more than it has left), ``refundMethods.storeCreditRefund`` (needs a
customer; credits the customer's store credit account), ``currency`` required when the customer
paid in another currency than the shop's, over-refunds refused unless ``allowOverRefunding``,
``userErrors`` with field paths; ``@idempotent(key:)`` (required, as from 2026-04; a repeat with
the same key and input returns the first refund, with another input it is an error, and after
an attempt that failed inside Shopify it is ``IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED``);
``suggestedRefund``; ``orders(query: "updated_at:>=...")`` and cursors; the cost bucket
(``extensions.cost`` on every answer, ``THROTTLED`` when the bucket cannot pay, and queries
over 1,000 points refused). Query cost is approximated: 1 per object, connections and lists
multiplied by ``first``, 10 for a mutation.

What ``refund-sync doctor`` reads is served as Shopify documents it: ``publicApiVersions``
(the supported stable versions, the release candidate and ``unstable``; by default computed
from the stand-in's clock with Shopify's schedule: a stable version every quarter, released the
1st at 17:00 UTC and supported for 12 months, shopify.dev/docs/api/usage/versioning), the
version an answer was made with in ``X-Shopify-API-Version`` (a request for a version no longer
supported falls forward to the oldest supported one, help.shopify.com/en/api/versioning/
migration-guide), ``currentAppInstallation.accessScopes`` (the scopes granted to the app on
that shop) and ``shop.customerAccountsV2.customerAccountsVersion`` (``NEW_CUSTOMER_ACCOUNTS``
when the shop can refund to store credit, which needs them: shopify.dev/changelog/
refund-to-store-credit; ``CLASSIC`` otherwise).

Not imitated: taxes (line amounts are tax-free), duties, returns, discounts, the REST API.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import importlib.resources
import itertools
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import graphql
import httpx

import refund_core as rc

from .._pacing import TokenBucket
from .._standin import StandIn, json_response

__all__ = [
    "DEFAULT_ACCESS_SCOPES",
    "SUBSET_SCHEMA",
    "ShopifyStandIn",
    "load_schema",
    "published_versions",
    "shipped_schema",
]

#: The scopes an installation of the app holds unless told otherwise: reading and writing orders.
DEFAULT_ACCESS_SCOPES = ("read_orders", "write_orders")

#: The schema subset shipped in this package (a resource of ``refund_adapters.shopify``).
SUBSET_SCHEMA = "admin_2026-01.subset.graphql"

_PATH = re.compile(r"^/admin/api/(?P<version>\d{4}-\d{2}|unstable)/graphql\.json$")
_BAD_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
_MAX_SINGLE_QUERY_COST = 1000
_MUTATION_COST = 10
_PAID_KINDS = ("SALE", "CAPTURE")


def _build(text: str, where: str) -> graphql.GraphQLSchema:
    try:
        return graphql.build_schema(text)
    except (graphql.GraphQLError, TypeError) as exc:
        raise rc.ConfigurationError(f"{where} is not a GraphQL schema: {exc}") from exc


@functools.lru_cache(maxsize=4)
def _schema_at(path: str) -> graphql.GraphQLSchema:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise rc.ConfigurationError(
            f"cannot read the Shopify schema file {path}: {exc.__class__.__name__}: {exc}"
        ) from exc
    return _build(text, f"Shopify schema file {path}")


def load_schema(path: str | Path) -> graphql.GraphQLSchema:
    """Shopify's Admin schema built from an SDL file (cached: the full one takes about 2 s).

    A file that is missing, unreadable or not a schema is a :class:`refund_core.ConfigurationError`
    naming the path.
    """
    return _schema_at(str(Path(path).resolve()))


@functools.cache
def shipped_schema() -> graphql.GraphQLSchema:
    """The schema subset shipped with the package (:data:`SUBSET_SCHEMA`)."""
    resource = importlib.resources.files(__package__).joinpath(SUBSET_SCHEMA)
    return _build(resource.read_text(encoding="utf-8"), f"packaged {SUBSET_SCHEMA}")


def _release(handle: str) -> datetime:
    year, month = (int(part) for part in handle.split("-"))
    return datetime(year, month, 1, 17, 0, tzinfo=UTC)


def published_versions(on: datetime) -> tuple[tuple[str, bool], ...]:
    """The Admin API versions Shopify lists on ``on`` (``publicApiVersions``), oldest first.

    Shopify's schedule (shopify.dev/docs/api/usage/versioning): a stable version every quarter,
    named ``YYYY-MM`` (January, April, July, October) and released on the 1st at 17:00 UTC; each
    is supported for 12 months. Listed are the supported versions (``True``), then the release
    candidate (the next quarter's) and ``unstable`` (both ``False``).
    """
    quarters = [
        f"{year}-{month:02d}" for year in range(on.year - 2, on.year + 2) for month in (1, 4, 7, 10)
    ]
    supported = [
        handle
        for handle in quarters
        if _release(handle) <= on < _release(handle).replace(year=_release(handle).year + 1)
    ]
    candidate = next(handle for handle in quarters if _release(handle) > on)
    return (
        *((handle, True) for handle in supported),
        (candidate, False),
        ("unstable", False),
    )


def _gid(kind: str, local_id: str) -> str:
    return f"gid://shopify/{kind}/{local_id}"


def _tail(gid: str, kind: str) -> str | None:
    prefix = f"gid://shopify/{kind}/"
    return gid[len(prefix) :] if gid.startswith(prefix) else None


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _dec(text: Any, where: str) -> Decimal:
    try:
        value = Decimal(str(text))
    except ArithmeticError:
        raise graphql.GraphQLError(f"{where}: invalid decimal {text!r}") from None
    if not value.is_finite():
        raise graphql.GraphQLError(f"{where}: invalid decimal {text!r}")
    return value


# ----------------------------------------------------------------------------------------------
# State
# ----------------------------------------------------------------------------------------------


@attrs.define
class StandInLineItem:
    """A line item: ``unit_price`` in the presentment currency, tax-free."""

    id: str
    sku: str | None
    quantity: int
    unit_price: Decimal
    refunded: int = 0

    @property
    def refundable(self) -> int:
        """Units not refunded yet."""
        return self.quantity - self.refunded


@attrs.define
class StandInTransaction:
    """An order transaction, amount in the presentment currency."""

    id: str
    kind: str
    status: str
    gateway: str
    amount: Decimal
    processed_at: datetime
    parent_id: str | None = None


@attrs.define
class StandInRefundLine:
    """A refunded line item."""

    line_item_id: str
    quantity: int
    subtotal: Decimal
    restock_type: str
    location_id: str | None = None


@attrs.define
class StandInRefund:
    """A refund of an order: lines, shipping, transactions and store credit."""

    id: str
    note: str | None
    created_at: datetime
    lines: list[StandInRefundLine] = attrs.Factory(list)
    shipping: Decimal = Decimal(0)
    transaction_ids: list[str] = attrs.Factory(list)
    store_credit: Decimal = Decimal(0)


@attrs.define
class StandInOrder:
    """An order of one shop."""

    id: str
    name: str
    shop_currency: str
    presentment_currency: str
    #: Shop currency per unit of presentment currency.
    rate: Decimal
    customer_id: str | None
    line_items: list[StandInLineItem]
    shipping: Decimal
    transactions: list[StandInTransaction]
    created_at: datetime
    updated_at: datetime
    refunds: list[StandInRefund] = attrs.Factory(list)

    def received(self) -> Decimal:
        """Money taken from the customer."""
        return sum(
            (
                t.amount
                for t in self.transactions
                if t.kind in _PAID_KINDS and t.status == "SUCCESS"
            ),
            Decimal(0),
        )

    def refunded(self) -> Decimal:
        """Money given back, through transactions and as store credit."""
        moved = sum(
            (t.amount for t in self.transactions if t.kind == "REFUND" and t.status == "SUCCESS"),
            Decimal(0),
        )
        return moved + sum((r.store_credit for r in self.refunds), Decimal(0))

    def shipping_refunded(self) -> Decimal:
        """Shipping refunded so far."""
        return sum((r.shipping for r in self.refunds), Decimal(0))

    def transaction(self, tx_id: str) -> StandInTransaction | None:
        """The transaction with this local ID."""
        return next((t for t in self.transactions if t.id == tx_id), None)

    def left_on(self, parent: StandInTransaction) -> Decimal:
        """What a sale or capture can still refund."""
        taken = sum(
            (
                t.amount
                for t in self.transactions
                if t.kind == "REFUND" and t.parent_id == parent.id and t.status == "SUCCESS"
            ),
            Decimal(0),
        )
        return parent.amount - taken


@attrs.define
class _Shop:
    domain: str
    currency: str
    #: Whether the shop can refund to store credit (Shopify: new customer accounts are on).
    store_credit_enabled: bool = True
    #: The access scopes granted to the app's installation on this shop.
    access_scopes: tuple[str, ...] = DEFAULT_ACCESS_SCOPES
    orders: dict[str, StandInOrder] = attrs.Factory(dict)
    store_credit: dict[tuple[str, str], Decimal] = attrs.Factory(dict)
    #: Idempotency key -> (fingerprint of the input, refund ID); refund ID None: that attempt
    #: failed inside Shopify, and the key can never be used again.
    idempotency: dict[str, tuple[str, str | None]] = attrs.Factory(dict)


class _UserErrors(Exception):  # noqa: N818 - carries userErrors out of the mutation logic
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self.errors = errors


def _user_error(field: Sequence[str | int] | None, message: str) -> _UserErrors:
    return _UserErrors(
        [
            {
                "field": [str(part) for part in field] if field is not None else None,
                "message": message,
            }
        ]
    )


# ----------------------------------------------------------------------------------------------
# The stand-in
# ----------------------------------------------------------------------------------------------


def _split_of(event: rc.RefundEvent) -> list[tuple[str, str]] | None:
    """The gateways a refund goes back through, by its tenders (None: the card alone)."""
    if not any(t.kind is rc.TenderKind.GIFT_CARD for t in event.tenders):
        return None
    return [
        (
            "gift_card" if t.kind is rc.TenderKind.GIFT_CARD else "shopify_payments",
            str(t.amount.amount),
        )
        for t in event.tenders
    ]


class ShopifyStandIn(StandIn):
    """A local Shopify Admin GraphQL API, validated against Shopify's schema.

    ``schema_path`` is an Admin SDL file (the full ``admin_2026-01.graphql``); by default the
    subset shipped with the package. One shop is made from ``shop``, ``access_token`` and
    ``currency``; ``store_credit`` says whether it can refund to store credit (Shopify: new
    customer accounts on). :meth:`add_shop` adds more (each token belongs to one shop).
    ``clock`` drives the cost bucket (``bucket_size`` points, refilled at ``restore_rate`` per
    second) and ``now`` the timestamps of new records.
    """

    service = "shopify"

    def __init__(
        self,
        schema_path: str | Path | None = None,
        *,
        shop: str = "test-shop",
        access_token: str = "shpat_test_token",
        currency: str = "USD",
        store_credit: bool = True,
        bucket_size: float = 2000.0,
        restore_rate: float = 100.0,
        require_idempotency: bool = True,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        api_versions: Iterable[tuple[str, bool]] | None = None,
        access_scopes: Iterable[str] = DEFAULT_ACCESS_SCOPES,
    ) -> None:
        super().__init__()
        #: The versions ``publicApiVersions`` lists, as (handle, supported); None: Shopify's
        #: schedule on the stand-in's ``now`` (:func:`published_versions`).
        self.api_versions = None if api_versions is None else tuple(api_versions)
        self.schema = shipped_schema() if schema_path is None else load_schema(schema_path)
        self._idempotent = self.schema.get_directive("idempotent")
        self._clock = clock
        self._now = now
        self.require_idempotency = require_idempotency
        self.bucket = TokenBucket(restore_rate, bucket_size, clock=clock)
        self._shops: dict[str, _Shop] = {}
        self._ids = itertools.count(9_000_001)
        #: Every GraphQL document received, in order (to check them against the schema).
        self.documents: list[str] = []
        #: Answers sent THROTTLED.
        self.throttled = 0
        self._failing_attempts = 0
        self._writes = 0
        self.add_shop(
            shop, access_token, currency, store_credit=store_credit, access_scopes=access_scopes
        )
        self._default_shop = shop

    # -- seeding ----------------------------------------------------------------------------

    def add_shop(
        self,
        shop: str,
        access_token: str,
        currency: str = "USD",
        *,
        store_credit: bool = True,
        access_scopes: Iterable[str] = DEFAULT_ACCESS_SCOPES,
    ) -> None:
        """Another shop, reachable with ``access_token`` (the app holds ``access_scopes`` there)."""
        self._shops[access_token] = _Shop(
            domain=shop,
            currency=currency,
            store_credit_enabled=store_credit,
            access_scopes=tuple(access_scopes),
        )

    def versions(self) -> tuple[tuple[str, bool], ...]:
        """The versions Shopify lists now, as (handle, supported), oldest first."""
        if self.api_versions is not None:
            return self.api_versions
        return published_versions(self._now())

    def served_version(self, requested: str) -> str:
        """The version an answer to ``requested`` is made with.

        A listed version (supported, the release candidate, ``unstable``) is served as asked;
        any other falls forward to the oldest supported stable version.
        """
        listed = self.versions()
        if any(handle == requested for handle, _ in listed):
            return requested
        return next(handle for handle, supported in listed if supported)

    def _shop(self, shop: str | None) -> _Shop:
        name = shop or self._default_shop
        for state in self._shops.values():
            if state.domain == name:
                return state
        raise KeyError(f"no shop {name!r}")

    def next_id(self) -> str:
        """A fresh numeric ID."""
        return str(next(self._ids))

    def add_order(
        self,
        order_id: str,
        *,
        lines: Iterable[tuple[str, str | None, int, str]] = (),
        shipping: str = "0.00",
        payments: Iterable[tuple[str, str]] | None = None,
        name: str | None = None,
        customer_id: str | None = "7001",
        presentment_currency: str | None = None,
        rate: str = "1",
        created_at: datetime | None = None,
        shop: str | None = None,
    ) -> StandInOrder:
        """Seed an order; returns the stand-in's record.

        ``lines`` are (line item ID, SKU, quantity, unit price); ``payments`` are (gateway,
        amount) sales, by default one ``shopify_payments`` sale of the total.
        """
        state = self._shop(shop)
        created = created_at or self._now()
        items = [
            StandInLineItem(id=line_id, sku=sku, quantity=qty, unit_price=Decimal(price))
            for line_id, sku, qty, price in lines
        ]
        total = sum((i.unit_price * i.quantity for i in items), Decimal(0)) + Decimal(shipping)
        paid = list(payments) if payments is not None else [("shopify_payments", str(total))]
        order = StandInOrder(
            id=order_id,
            name=name or f"#{order_id}",
            shop_currency=state.currency,
            presentment_currency=presentment_currency or state.currency,
            rate=Decimal(rate),
            customer_id=customer_id,
            line_items=items,
            shipping=Decimal(shipping),
            transactions=[
                StandInTransaction(
                    id=self.next_id(),
                    kind="SALE",
                    status="SUCCESS",
                    gateway=gateway,
                    amount=Decimal(amount),
                    processed_at=created,
                )
                for gateway, amount in paid
            ],
            created_at=created,
            updated_at=created,
        )
        state.orders[order_id] = order
        return order

    def add_refund(
        self,
        order_id: str,
        refund_id: str,
        amount: str,
        *,
        created_at: datetime,
        gateway: str = "shopify_payments",
        lines: Iterable[tuple[str, int, str]] = (),
        shipping: str = "0.00",
        shop: str | None = None,
        split: Iterable[tuple[str, str]] | None = None,
    ) -> StandInRefund:
        """Seed a refund made in Shopify; returns the stand-in's record.

        The money goes back through the order's first sale of ``gateway``; ``lines`` are
        (line item ID, quantity, subtotal). ``split`` instead sends it back through several
        gateways, one refund transaction each: (gateway, amount) pairs adding up to
        ``amount`` (a gift card and a card, say).
        """
        order = self._shop(shop).orders[order_id]
        parts = list(split) if split is not None else [(gateway, amount)]
        if sum((Decimal(part) for _, part in parts), Decimal(0)) != Decimal(amount):
            raise ValueError(f"refund {refund_id}: the split does not add up to {amount}")
        transactions = []
        for part_gateway, part_amount in parts:
            parent = next(
                t for t in order.transactions if t.gateway == part_gateway and t.kind == "SALE"
            )
            transactions.append(
                StandInTransaction(
                    id=self.next_id(),
                    kind="REFUND",
                    status="SUCCESS",
                    gateway=part_gateway,
                    amount=Decimal(part_amount),
                    processed_at=created_at,
                    parent_id=parent.id,
                )
            )
        order.transactions.extend(transactions)
        refund = StandInRefund(
            id=refund_id,
            note=None,
            created_at=created_at,
            lines=[
                StandInRefundLine(line_id, qty, Decimal(subtotal), "NO_RESTOCK")
                for line_id, qty, subtotal in lines
            ],
            shipping=Decimal(shipping),
            transaction_ids=[tx.id for tx in transactions],
        )
        for line in refund.lines:
            item = next(i for i in order.line_items if i.id == line.line_item_id)
            item.refunded += line.quantity
        order.refunds.append(refund)
        order.updated_at = max(order.updated_at, created_at)
        return refund

    @classmethod
    def from_events(
        cls,
        events: Iterable[rc.SourceEvent],
        schema_path: str | Path | None = None,
        **options: Any,
    ) -> ShopifyStandIn:
        """A stand-in whose shop holds one refund per :class:`refund_core.RefundEvent`.

        Orders are made per ``order_ref`` (numeric or not), paid enough for all their refunds;
        refund IDs, amounts, times and lines are the events'. A refund whose tenders hold a
        gift-card part goes back through a ``gift_card`` sale for that part and the card for the
        rest. Other events are refused: Shopify has no failed-payment events here.
        """
        standin = cls(schema_path, **options)
        refunds: list[rc.RefundEvent] = []
        for event in events:
            if not isinstance(event, rc.RefundEvent):
                raise rc.InvalidInputError(
                    f"the Shopify stand-in holds refunds only, not {type(event).__name__}"
                )
            refunds.append(event)
        by_order: dict[str, list[rc.RefundEvent]] = {}
        for event in refunds:
            by_order.setdefault(event.order_ref or "1001", []).append(event)
        for order_ref, group in by_order.items():
            lines: dict[str, tuple[str, int, Decimal]] = {}
            for event in group:
                for line in event.lines:
                    qty = int(line.quantity) if line.quantity is not None else 1
                    unit = line.amount.amount / qty
                    known = lines.get(line.order_line_ref)
                    lines[line.order_line_ref] = (
                        line.order_line_ref,
                        (known[1] if known else 0) + qty,
                        max(unit, known[2]) if known else unit,
                    )
            total = sum((e.amount.amount for e in group), Decimal(0))
            gift = sum(
                (
                    t.amount.amount
                    for e in group
                    for t in e.tenders
                    if t.kind is rc.TenderKind.GIFT_CARD
                ),
                Decimal(0),
            )
            currency = group[0].amount.currency.code
            created = min(e.created_at for e in group)
            sales = [("shopify_payments", str(total - gift))] if total > gift else []
            if gift:
                sales.append(("gift_card", str(gift)))
            standin.add_order(
                order_ref,
                lines=[(ref, None, qty, str(unit)) for ref, qty, unit in lines.values()],
                payments=sales,
                presentment_currency=currency,
                created_at=created,
            )
            standin._shop(None).currency = currency
            standin._shop(None).orders[order_ref].shop_currency = currency
            for event in group:
                standin.add_refund(
                    order_ref,
                    event.refund_id,
                    str(event.amount.amount),
                    created_at=event.created_at,
                    lines=[
                        (
                            line.order_line_ref,
                            int(line.quantity) if line.quantity is not None else 1,
                            str(line.amount.amount),
                        )
                        for line in event.lines
                    ],
                    shipping=str(event.shipping.amount) if event.shipping else "0.00",
                    split=_split_of(event),
                )
        return standin

    # -- faults -------------------------------------------------------------------------------

    def fail_refund_attempt_next(self, times: int = 1) -> None:
        """Make the next ``times`` refundCreate calls fail inside Shopify, writing nothing.

        Each is answered ``INTERNAL_SERVER_ERROR``; its idempotency key is then burned: any
        later request with it gets ``IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED``.
        """
        self._failing_attempts += times

    # -- inspection ---------------------------------------------------------------------------

    def order(self, order_id: str, shop: str | None = None) -> StandInOrder:
        """The stand-in's order (for assertions)."""
        return self._shop(shop).orders[order_id]

    def refunds(self, order_id: str | None = None, shop: str | None = None) -> list[StandInRefund]:
        """The refunds of one order, or of every order of the shop, oldest order first."""
        state = self._shop(shop)
        orders = [state.orders[order_id]] if order_id is not None else state.orders.values()
        return [refund for order in orders for refund in order.refunds]

    def write_count(self) -> int:
        """Refunds created through ``refundCreate`` (store credit ones too), in every shop.

        Replays of an idempotency key, refused inputs and failed attempts are not counted.
        """
        return self._writes

    def store_credit_balance(
        self, customer_id: str, currency: str, shop: str | None = None
    ) -> Decimal:
        """A customer's store credit in one currency."""
        return self._shop(shop).store_credit.get((customer_id, currency), Decimal(0))

    def refund_webhook(
        self, order_id: str, refund_id: str, secret: str, *, shop: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The ``refunds/create`` delivery Shopify would send: REST-shaped body and headers."""
        state = self._shop(shop)
        order = state.orders[order_id]
        refund = next(r for r in order.refunds if r.id == refund_id)
        payload = {
            "id": refund.id,
            "order_id": order.id,
            "created_at": _stamp(refund.created_at),
            "note": refund.note,
            "admin_graphql_api_id": _gid("Refund", refund.id),
            "refund_line_items": [
                {
                    "line_item_id": line.line_item_id,
                    "quantity": line.quantity,
                    "subtotal": str(line.subtotal),
                    "restock_type": line.restock_type.lower(),
                }
                for line in refund.lines
            ],
            "transactions": [
                {
                    "id": tx.id,
                    "kind": "refund",
                    "status": tx.status.lower(),
                    "gateway": tx.gateway,
                    "amount": str(tx.amount),
                    "currency": order.presentment_currency,
                    "parent_id": tx.parent_id,
                }
                for tx in order.transactions
                if tx.id in refund.transaction_ids
            ],
        }
        body = json.dumps(payload).encode()
        digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        headers = {
            "X-Shopify-Topic": "refunds/create",
            "X-Shopify-Hmac-SHA256": base64.b64encode(digest).decode(),
            "X-Shopify-Shop-Domain": f"{state.domain}.myshopify.com",
            "X-Shopify-API-Version": "2026-01",
            "X-Shopify-Webhook-Id": f"wh-{refund.id}-{self.next_id()}",
            "X-Shopify-Triggered-At": _stamp(self._now()),
            "X-Shopify-Event-Id": f"ev-{refund.id}",
        }
        return body, headers

    # -- HTTP ---------------------------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request, saying in ``X-Shopify-API-Version`` which version answered."""
        match = _PATH.match(request.url.path)
        if request.method != "POST" or match is None:
            return json_response(404, {"errors": "Not Found"})
        response = self._answer(request)
        response.headers["X-Shopify-API-Version"] = self.served_version(match["version"])
        return response

    def _answer(self, request: httpx.Request) -> httpx.Response:
        """Authenticate, validate against the schema, charge the bucket, execute."""
        state = self._shops.get(request.headers.get("x-shopify-access-token", ""))
        if state is None:
            return json_response(401, {"errors": _BAD_TOKEN})
        try:
            body = json.loads(request.content or b"null")
            query = body["query"]
            variables = body.get("variables") or {}
            operation = body.get("operationName")
            if not isinstance(query, str) or not isinstance(variables, dict):
                raise TypeError(query)
        except (ValueError, KeyError, TypeError):
            return json_response(
                400, {"errors": {"query": "Required parameter missing or invalid"}}
            )
        self.documents.append(query)
        try:
            document = graphql.parse(query)
        except graphql.GraphQLError as exc:
            return json_response(200, {"errors": [exc.formatted]})
        problems = graphql.validate(self.schema, document)
        if problems:
            return json_response(200, {"errors": [p.formatted for p in problems]})
        cost = self.query_cost(document, operation, variables)
        self.bucket.refill()
        if cost > _MAX_SINGLE_QUERY_COST:
            return json_response(
                200,
                {
                    "errors": [
                        {
                            "message": f"Query cost is {cost}, which exceeds the single query "
                            f"max cost limit ({_MAX_SINGLE_QUERY_COST}).",
                            "extensions": {
                                "code": "MAX_COST_EXCEEDED",
                                "cost": cost,
                                "maxCost": _MAX_SINGLE_QUERY_COST,
                            },
                        }
                    ]
                },
            )
        # A millionth of a point of slack: a simulated clock adds float rounding of its own.
        if not self.bucket.take(cost, slack=1e-6):
            self.throttled += 1
            return json_response(
                200,
                {
                    "errors": [
                        {
                            "message": "Throttled",
                            "extensions": {
                                "code": "THROTTLED",
                                "documentation": "https://shopify.dev/api/usage/rate-limits",
                            },
                        }
                    ],
                    "extensions": self._cost_extension(cost, None),
                },
            )
        result = graphql.execute_sync(
            self.schema,
            document,
            root_value=_Root(self, state),
            variable_values=variables,
            operation_name=operation,
        )
        payload: dict[str, Any] = {}
        if result.errors:
            payload["errors"] = [error.formatted for error in result.errors]
        payload["data"] = result.data
        payload["extensions"] = self._cost_extension(cost, cost)
        return json_response(200, payload, headers={"x-request-id": f"req-{self.next_id()}"})

    def _cost_extension(self, requested: int, actual: int | None) -> dict[str, Any]:
        return {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": {
                    "maximumAvailable": self.bucket.burst,
                    "currentlyAvailable": round(self.bucket.available, 3),
                    "restoreRate": self.bucket.rate,
                },
            }
        }

    # -- cost -------------------------------------------------------------------------------

    def query_cost(
        self, document: graphql.DocumentNode, operation: str | None, variables: Mapping[str, Any]
    ) -> int:
        """The approximate cost of the operation (see the module docstring)."""
        fragments = {
            d.name.value: d
            for d in document.definitions
            if isinstance(d, graphql.FragmentDefinitionNode)
        }
        ops = [d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)]
        op = next(
            (o for o in ops if operation is None or (o.name and o.name.value == operation)), None
        )
        if op is None:
            return 0
        root = self.schema.get_root_type(op.operation)
        if root is None:
            return 0
        cost = self._selection_cost(op.selection_set, root, fragments, variables)
        if op.operation is graphql.OperationType.MUTATION:
            cost += _MUTATION_COST
        return cost

    def _selection_cost(
        self,
        selection_set: graphql.SelectionSetNode | None,
        parent: graphql.GraphQLNamedType,
        fragments: Mapping[str, graphql.FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, graphql.FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    if target is not None:
                        total += self._selection_cost(
                            fragment.selection_set, target, fragments, variables
                        )
            elif isinstance(selection, graphql.InlineFragmentNode):
                target = (
                    self.schema.get_type(selection.type_condition.name.value)
                    if selection.type_condition
                    else parent
                )
                if target is not None:
                    total += self._selection_cost(
                        selection.selection_set, target, fragments, variables
                    )
            elif isinstance(selection, graphql.FieldNode) and isinstance(
                parent, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType
            ):
                field = parent.fields.get(selection.name.value)
                if field is None:
                    continue
                named = graphql.get_named_type(field.type)
                if not isinstance(
                    named,
                    graphql.GraphQLObjectType
                    | graphql.GraphQLInterfaceType
                    | graphql.GraphQLUnionType,
                ):
                    continue
                first = 1
                for argument in selection.arguments or ():
                    if argument.name.value in ("first", "last"):
                        value = graphql.value_from_ast_untyped(argument.value, dict(variables))
                        if isinstance(value, int):
                            first = value
                children = self._selection_cost(
                    selection.selection_set, named, fragments, variables
                )
                total += 1 + first * children
        return total

    # -- mutation logic ---------------------------------------------------------------------

    def refund_create(
        self, state: _Shop, info: graphql.GraphQLResolveInfo, refund_input: dict[str, Any]
    ) -> dict[str, Any]:
        """``refundCreate``: idempotency, validation into ``userErrors``, then the refund."""
        directive = (
            graphql.get_directive_values(
                self._idempotent, info.field_nodes[0], info.variable_values
            )
            if self._idempotent is not None
            else None
        )
        key = directive.get("key") if directive else None
        if key is not None and not str(key).strip():
            raise graphql.GraphQLError(
                "Idempotency key cannot be empty", extensions={"code": "BAD_REQUEST"}
            )
        if key is None and self.require_idempotency:
            raise graphql.GraphQLError(
                "The @idempotent directive is required for this mutation",
                extensions={"code": "BAD_REQUEST"},
            )
        fingerprint = json.dumps(refund_input, sort_keys=True, default=str)
        if key is not None and key in state.idempotency:
            seen_fingerprint, refund_id = state.idempotency[key]
            if seen_fingerprint != fingerprint:
                raise graphql.GraphQLError(
                    "The idempotency key was already used with different parameters",
                    extensions={"code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"},
                )
            if refund_id is None:
                raise graphql.GraphQLError(
                    "A previous request with this idempotency key failed. "
                    "Retry with a new idempotency key.",
                    extensions={"code": "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"},
                )
            order, refund = self._find_refund(state, refund_id)
            return {
                "refund": _RefundView(self, order, refund),
                "order": _OrderView(self, order),
                "userErrors": [],
            }
        if self._failing_attempts:
            self._failing_attempts -= 1
            if key is not None:
                state.idempotency[key] = (fingerprint, None)
            raise graphql.GraphQLError(
                "Internal error. Looks like something went wrong on our end.",
                extensions={"code": "INTERNAL_SERVER_ERROR"},
            )
        try:
            order, refund = self._create_refund(state, refund_input)
        except _UserErrors as problem:
            return {"refund": None, "order": None, "userErrors": problem.errors}
        self._writes += 1
        if key is not None:
            state.idempotency[key] = (fingerprint, refund.id)
        return {
            "refund": _RefundView(self, order, refund),
            "order": _OrderView(self, order),
            "userErrors": [],
        }

    def _find_refund(self, state: _Shop, refund_id: str) -> tuple[StandInOrder, StandInRefund]:
        for order in state.orders.values():
            for refund in order.refunds:
                if refund.id == refund_id:
                    return order, refund
        raise KeyError(refund_id)

    def _create_refund(
        self, state: _Shop, data: dict[str, Any]
    ) -> tuple[StandInOrder, StandInRefund]:
        order_id = _tail(data["orderId"], "Order")
        order = state.orders.get(order_id or "")
        if order is None:
            raise _user_error(["orderId"], "Order does not exist")
        currency = data.get("currency")
        if order.presentment_currency != order.shop_currency and currency is None:
            raise _user_error(
                ["currency"],
                "Currency is required when the presentment currency differs from the shop currency",
            )
        if currency is not None and currency != order.presentment_currency:
            raise _user_error(["currency"], f"Currency must be {order.presentment_currency}")
        now = self._now()
        pending_lines: list[tuple[StandInLineItem, StandInRefundLine]] = []
        for n, line in enumerate(data.get("refundLineItems") or ()):
            item_id = _tail(line["lineItemId"], "LineItem")
            item = next((i for i in order.line_items if i.id == item_id), None)
            if item is None:
                raise _user_error(
                    ["refundLineItems", n, "lineItemId"], "Line item does not exist on this order"
                )
            quantity = line["quantity"]
            if quantity < 1 or quantity > item.refundable:
                raise _user_error(
                    ["refundLineItems", n, "quantity"],
                    "Quantity cannot refund more items than were purchased "
                    f"({item.refundable} refundable)",
                )
            restock = line.get("restockType") or "NO_RESTOCK"
            if restock == "LEGACY_RESTOCK":
                raise _user_error(
                    ["refundLineItems", n, "restockType"], "LEGACY_RESTOCK is not supported"
                )
            if restock in ("RETURN", "CANCEL") and not line.get("locationId"):
                raise _user_error(
                    ["refundLineItems", n, "locationId"], "Location is required to restock"
                )
            pending_lines.append(
                (
                    item,
                    StandInRefundLine(
                        item.id,
                        quantity,
                        item.unit_price * quantity,
                        restock,
                        line.get("locationId"),
                    ),
                )
            )
        shipping = Decimal(0)
        shipping_input = data.get("shipping")
        shipping_left = order.shipping - order.shipping_refunded()
        if shipping_input:
            if shipping_input.get("fullRefund"):
                shipping = shipping_left
            elif shipping_input.get("amount") is not None:
                shipping = _dec(shipping_input["amount"], "shipping.amount")
            if shipping < 0 or shipping > shipping_left:
                raise _user_error(
                    ["shipping", "amount"], f"Shipping refund cannot exceed {shipping_left}"
                )
        new_transactions: list[StandInTransaction] = []
        for n, tx in enumerate(data.get("transactions") or ()):
            where: list[str | int] = ["transactions", n]
            if tx["kind"] != "REFUND":
                raise _user_error([*where, "kind"], "Kind must be REFUND")
            if _tail(tx["orderId"], "Order") != order.id:
                raise _user_error(
                    [*where, "orderId"], "Transaction order does not match the refund's order"
                )
            parent = order.transaction(_tail(tx.get("parentId") or "", "OrderTransaction") or "")
            if parent is None or parent.kind not in _PAID_KINDS or parent.status != "SUCCESS":
                raise _user_error(
                    [*where, "parentId"], "Parent transaction must be a successful sale or capture"
                )
            if tx["gateway"] != parent.gateway:
                raise _user_error([*where, "gateway"], f"Gateway must be {parent.gateway}")
            amount = _dec(tx["amount"], "amount")
            already = sum(
                (t.amount for t in new_transactions if t.parent_id == parent.id), Decimal(0)
            )
            if amount <= 0 or amount + already > order.left_on(parent):
                raise _user_error(
                    [*where, "amount"],
                    f"Amount {amount} exceeds what the transaction can refund "
                    f"({order.left_on(parent) - already})",
                )
            new_transactions.append(
                StandInTransaction(
                    id=self.next_id(),
                    kind="REFUND",
                    status="SUCCESS",
                    gateway=parent.gateway,
                    amount=amount,
                    processed_at=now,
                    parent_id=parent.id,
                )
            )
        store_credit = Decimal(0)
        for n, method in enumerate(data.get("refundMethods") or ()):
            credit = method.get("storeCreditRefund")
            if not credit:
                continue
            where = ["refundMethods", n, "storeCreditRefund"]
            if not state.store_credit_enabled:
                raise _user_error(
                    where,
                    "Store credit refunds need new customer accounts to be enabled for the shop",
                )
            if order.customer_id is None:
                raise _user_error(
                    where, "Store credit can only be refunded to an order with a customer"
                )
            money = credit["amount"]
            if money["currencyCode"] != order.presentment_currency:
                raise _user_error(
                    [*where, "amount", "currencyCode"],
                    f"Currency must be {order.presentment_currency}",
                )
            amount = _dec(money["amount"], "amount")
            if amount <= 0:
                raise _user_error([*where, "amount", "amount"], "Amount must be greater than zero")
            store_credit += amount
        moving = sum((t.amount for t in new_transactions), Decimal(0)) + store_credit
        refundable = order.received() - order.refunded()
        if moving > refundable and not data.get("allowOverRefunding"):
            raise _user_error(
                None, f"Refund amount {moving} exceeds the refundable amount {refundable}"
            )
        refund = StandInRefund(
            id=self.next_id(),
            note=data.get("note"),
            created_at=now,
            lines=[line for _, line in pending_lines],
            shipping=shipping,
            transaction_ids=[t.id for t in new_transactions],
            store_credit=store_credit,
        )
        for item, line in pending_lines:
            item.refunded += line.quantity
        order.transactions.extend(new_transactions)
        order.refunds.append(refund)
        order.updated_at = now
        if store_credit:
            account = (order.customer_id or "", order.presentment_currency)
            state.store_credit[account] = state.store_credit.get(account, Decimal(0)) + store_credit
        return order, refund

    def suggest(self, order: StandInOrder, args: Mapping[str, Any]) -> dict[str, Any]:
        """``Order.suggestedRefund``: the amount for these lines and shipping, and the most.

        A full refund suggests every refundable line and the shipping left.
        """
        lines: list[tuple[StandInLineItem, int]] = []
        if args.get("suggestFullRefund"):
            lines = [(i, i.refundable) for i in order.line_items if i.refundable]
            shipping = order.shipping - order.shipping_refunded()
        else:
            for n, line in enumerate(args.get("refundLineItems") or ()):
                item = next(
                    (i for i in order.line_items if i.id == _tail(line["lineItemId"], "LineItem")),
                    None,
                )
                if item is None or line["quantity"] > item.refundable:
                    raise graphql.GraphQLError(
                        f"refundLineItems.{n}: invalid line item or quantity"
                    )
                lines.append((item, line["quantity"]))
            shipping = _dec(args.get("shippingAmount") or "0", "shippingAmount")
            if args.get("refundShipping"):
                shipping = order.shipping - order.shipping_refunded()
        subtotal = sum((item.unit_price * qty for item, qty in lines), Decimal(0))
        maximum = max(order.received() - order.refunded(), Decimal(0))
        amount = min(subtotal + shipping, maximum)
        bag = functools.partial(_money_bag, order)
        return {
            "amountSet": bag(amount),
            "maximumRefundableSet": bag(maximum),
            "subtotalSet": bag(subtotal),
            "discountedSubtotalSet": bag(subtotal),
            "totalTaxSet": bag(Decimal(0)),
            "totalDutiesSet": bag(Decimal(0)),
            "totalCartDiscountAmountSet": bag(Decimal(0)),
            "refundLineItems": [],
            "refundDuties": [],
            "shipping": {
                "amountSet": bag(shipping),
                "maximumRefundableSet": bag(order.shipping - order.shipping_refunded()),
                "taxSet": bag(Decimal(0)),
            },
            "suggestedTransactions": [],
            "suggestedRefundMethods": [],
        }


# ----------------------------------------------------------------------------------------------
# Views: the state as graphql-core's default resolver reads it (dict keys, or callables taking
# ``info`` and the field's arguments)
# ----------------------------------------------------------------------------------------------


def _money_bag(order: StandInOrder, amount: Decimal) -> dict[str, Any]:
    shop_quantum = rc.Currency(order.shop_currency).quantum
    presentment_quantum = rc.Currency(order.presentment_currency).quantum
    return {
        "presentmentMoney": {
            "amount": str(amount.quantize(presentment_quantum)),
            "currencyCode": order.presentment_currency,
        },
        "shopMoney": {
            "amount": str((amount * order.rate).quantize(shop_quantum)),
            "currencyCode": order.shop_currency,
        },
    }


def _connection(items: Sequence[Any], args: Mapping[str, Any]) -> dict[str, Any]:
    start = 0
    after = args.get("after")
    if after:
        try:
            start = int(base64.b64decode(after).decode().removeprefix("cursor:")) + 1
        except (ValueError, UnicodeDecodeError):
            raise graphql.GraphQLError(f"Invalid cursor {after!r}") from None
    ordered = list(reversed(items)) if args.get("reverse") else list(items)
    first = args.get("first")
    if first is None and args.get("last") is None:
        raise graphql.GraphQLError("you must provide one of first or last")
    end = len(ordered) if first is None else min(len(ordered), start + first)
    window = ordered[start:end]
    cursors = [base64.b64encode(f"cursor:{i}".encode()).decode() for i in range(start, end)]
    return {
        "nodes": window,
        "edges": [
            {"node": node, "cursor": cursor} for node, cursor in zip(window, cursors, strict=True)
        ],
        "pageInfo": {
            "hasNextPage": end < len(ordered),
            "hasPreviousPage": start > 0,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
    }


class _View(dict[str, Any]):
    """A dict the default resolver reads; subclasses fill it from a record."""


class _TransactionView(_View):
    def __init__(
        self, standin: ShopifyStandIn, order: StandInOrder, tx: StandInTransaction
    ) -> None:
        parent = order.transaction(tx.parent_id) if tx.parent_id else None
        super().__init__(
            id=_gid("OrderTransaction", tx.id),
            kind=tx.kind,
            status=tx.status,
            gateway=tx.gateway,
            formattedGateway=tx.gateway.replace("_", " ").title(),
            amountSet=_money_bag(order, tx.amount),
            processedAt=_stamp(tx.processed_at),
            createdAt=_stamp(tx.processed_at),
            parentTransaction=_TransactionView(standin, order, parent) if parent else None,
            test=True,
            manualPaymentGateway=False,
            manuallyCapturable=False,
            multiCapturable=False,
            fees=[],
        )


class _LineItemView(_View):
    def __init__(self, order: StandInOrder, item: StandInLineItem) -> None:
        super().__init__(
            id=_gid("LineItem", item.id),
            sku=item.sku,
            name=item.sku or item.id,
            title=item.sku or item.id,
            quantity=item.quantity,
            currentQuantity=item.refundable,
            refundableQuantity=item.refundable,
            originalUnitPriceSet=_money_bag(order, item.unit_price),
            discountedUnitPriceSet=_money_bag(order, item.unit_price),
        )


class _RefundView(_View):
    def __init__(self, standin: ShopifyStandIn, order: StandInOrder, refund: StandInRefund) -> None:
        bag = functools.partial(_money_bag, order)
        transactions = [t for t in order.transactions if t.id in refund.transaction_ids]
        total = sum((t.amount for t in transactions if t.status == "SUCCESS"), Decimal(0))
        total += refund.store_credit
        line_views = [
            {
                "id": _gid("RefundLineItem", f"{refund.id}-{n}"),
                "lineItem": _LineItemView(
                    order, next(i for i in order.line_items if i.id == line.line_item_id)
                ),
                "quantity": line.quantity,
                "restockType": line.restock_type,
                "restocked": line.restock_type != "NO_RESTOCK",
                "priceSet": bag(line.subtotal / line.quantity),
                "subtotalSet": bag(line.subtotal),
                "totalTaxSet": bag(Decimal(0)),
                "location": None,
            }
            for n, line in enumerate(refund.lines)
        ]
        shipping_views = (
            [
                {
                    "id": _gid("RefundShippingLine", refund.id),
                    "subtotalAmountSet": bag(refund.shipping),
                    "taxAmountSet": bag(Decimal(0)),
                }
            ]
            if refund.shipping
            else []
        )
        tx_views = [_TransactionView(standin, order, t) for t in transactions]
        super().__init__(
            id=_gid("Refund", refund.id),
            legacyResourceId=refund.id,
            note=refund.note,
            createdAt=_stamp(refund.created_at),
            processedAt=_stamp(refund.created_at),
            updatedAt=_stamp(refund.created_at),
            totalRefundedSet=bag(total),
            refundLineItems=lambda _info, **args: _connection(line_views, args),
            refundShippingLines=lambda _info, **args: _connection(shipping_views, args),
            transactions=lambda _info, **args: _connection(tx_views, args),
            order=lambda _info: _OrderView(standin, order),
        )


class _OrderView(_View):
    def __init__(self, standin: ShopifyStandIn, order: StandInOrder) -> None:
        bag = functools.partial(_money_bag, order)
        super().__init__(
            id=_gid("Order", order.id),
            legacyResourceId=order.id,
            name=order.name,
            currencyCode=order.shop_currency,
            presentmentCurrencyCode=order.presentment_currency,
            createdAt=_stamp(order.created_at),
            updatedAt=_stamp(order.updated_at),
            processedAt=_stamp(order.created_at),
            customer={"id": _gid("Customer", order.customer_id)} if order.customer_id else None,
            totalRefundedSet=bag(order.refunded()),
            totalRefundedShippingSet=bag(order.shipping_refunded()),
            totalReceivedSet=bag(order.received()),
            refundable=order.received() > order.refunded(),
            lineItems=lambda _info, **args: _connection(
                [_LineItemView(order, i) for i in order.line_items], args
            ),
            transactions=lambda _info, **args: [
                _TransactionView(standin, order, t) for t in order.transactions
            ][: args.get("first") or None],
            refunds=lambda _info, **args: [_RefundView(standin, order, r) for r in order.refunds][
                : args.get("first") or None
            ],
            suggestedRefund=lambda _info, **args: standin.suggest(order, args),
        )


_SEARCH_TERM = re.compile(r"(?P<field>\w+):(?P<op>>=|<=|>|<|=)?(?P<value>'[^']*'|\"[^\"]*\"|\S+)")


def _matches(order: StandInOrder, query: str | None) -> bool:
    """Shopify's search syntax, the part the adapter uses, terms joined by AND.

    Supported: ``updated_at``/``created_at`` comparisons and ``name``.
    """
    if not query:
        return True
    for match in _SEARCH_TERM.finditer(query):
        field, op, value = match["field"], match["op"] or "=", match["value"].strip("'\"")
        if field in ("updated_at", "created_at"):
            try:
                bound = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise graphql.GraphQLError(f"Invalid date in search term {match[0]!r}") from None
            if bound.tzinfo is None:
                bound = bound.replace(tzinfo=UTC)
            moment = order.updated_at if field == "updated_at" else order.created_at
            checks = {
                ">=": moment >= bound,
                ">": moment > bound,
                "<=": moment <= bound,
                "<": moment < bound,
                "=": moment == bound,
            }
            if not checks[op]:
                return False
        elif field == "name":
            if order.name.lstrip("#") != value.lstrip("#"):
                return False
        else:
            raise graphql.GraphQLError(f"Unsupported search field {field!r} in the stand-in")
    return True


_SORTS: dict[str, Callable[[StandInOrder], Any]] = {
    "UPDATED_AT": lambda o: (o.updated_at, o.id),
    "CREATED_AT": lambda o: (o.created_at, o.id),
    "PROCESSED_AT": lambda o: (o.created_at, o.id),
    "ID": lambda o: (len(o.id), o.id),
}


class _Root(_View):
    """Query and mutation roots of one shop (graphql-core uses the same root value for both)."""

    def __init__(self, standin: ShopifyStandIn, state: _Shop) -> None:
        def order(_info: Any, id: str) -> _OrderView | None:
            found = state.orders.get(_tail(id, "Order") or "")
            return _OrderView(standin, found) if found else None

        def orders(_info: Any, **args: Any) -> dict[str, Any]:
            key = _SORTS.get(args.get("sortKey") or "PROCESSED_AT", _SORTS["ID"])
            chosen = sorted(
                (o for o in state.orders.values() if _matches(o, args.get("query"))), key=key
            )
            return _connection([_OrderView(standin, o) for o in chosen], args)

        def refund(_info: Any, id: str) -> _RefundView | None:
            local = _tail(id, "Refund") or ""
            for candidate in state.orders.values():
                for item in candidate.refunds:
                    if item.id == local:
                        return _RefundView(standin, candidate, item)
            return None

        def refund_create(
            info: graphql.GraphQLResolveInfo, input: dict[str, Any]
        ) -> dict[str, Any]:
            return standin.refund_create(state, info, input)

        def public_api_versions(_info: Any) -> list[dict[str, Any]]:
            return [
                {"handle": handle, "supported": supported}
                for handle, supported in standin.versions()
            ]

        installation = {"accessScopes": [{"handle": scope} for scope in state.access_scopes]}
        accounts = "NEW_CUSTOMER_ACCOUNTS" if state.store_credit_enabled else "CLASSIC"
        super().__init__(
            order=order,
            orders=orders,
            refund=refund,
            refundCreate=refund_create,
            publicApiVersions=public_api_versions,
            currentAppInstallation=installation,
            shop={"customerAccountsV2": {"customerAccountsVersion": accounts}},
        )
