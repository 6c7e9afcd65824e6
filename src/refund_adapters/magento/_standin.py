"""A stateful local Magento 2.4 admin REST API: orders, invoices and the credit memos refunds make.

It answers the routes the adapter uses, in Magento's shapes and with Magento's rules:

- ``GET /rest/<store>/V1/orders``, ``/invoices``, ``/creditmemos`` with ``searchCriteria``
  (filter groups ANDed, filters in a group ORed, ``condition_type`` eq/neq/in/nin/gt/gteq/lt/
  lteq/like/null/notnull, camelCase or snake_case names, sort orders, ``pageSize`` /
  ``currentPage``); a page past the end answers the last page again, as Magento does.
- ``GET /V1/orders/{id}``, ``/V1/creditmemo/{id}``, ``/V1/creditmemo/{id}/comments``.
- ``POST /V1/order/{id}/refund`` (offline methods) and ``POST /V1/invoice/{id}/refund``
  (``isOnline``): the credit memo comes from the requested quantities (an empty ``items`` list
  refunds every item in full), ``shipping_amount`` (all remaining shipping when absent) and the
  adjustments; quantities above invoiced-minus-refunded, shipping above what is left, a total that
  is not positive or above what was paid are refused with Magento's messages; the answer is the
  new credit memo's ID. Nothing is idempotent: every accepted POST makes a credit memo.
- Bearer tokens and OAuth 1.0a signatures (:mod:`refund_adapters._oauth1`) are checked on every
  request; a refused one gets Magento's 401 body.
- What ``refund-sync doctor`` reads (see :mod:`._standin_schema`): ``GET /rest/<store>/schema``
  (the routes the caller may call, the major.minor ``version`` and the ``edition``) and
  ``GET /magento_version``. ``missing_routes`` are routes whose module is off (404, left out of
  the schema), ``forbidden_routes`` routes the integration's role may not call (401, left out
  of the schema), ``version_page`` whether the Magento_Version module answers.

Money and quantities are JSON numbers both ways, read as Decimals. One message is the stand-in's
own wording: Magento refuses an offline refund of an online-paid order (and the reverse) with a
validation error whose text the public docs do not give.
"""

from __future__ import annotations

import decimal
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import attrs
import httpx

from .._oauth1 import OAuth1Credentials, OAuth1Error, OAuth1Verifier, credentials_lookup
from .._standin import StandIn
from ._standin_schema import ROUTES, Route, route_for, schema_document, version_page
from ._storefront import DEFAULT_OFFLINE_METHODS
from ._wire import dumps, loads

__all__ = ["CreditMemoRecord", "Exchange", "MagentoStandIn", "SeedItem"]

_ROUTE = re.compile(r"^/rest/(?P<store>[A-Za-z0-9_]+)/V1/(?P<path>.+)$")
_SCHEMA = re.compile(r"^/rest/(?P<store>[A-Za-z0-9_]+)/schema$")
_KEY_PART = re.compile(r"\[([^\]]*)\]")
_CAMEL = {
    "filterGroups": "filter_groups",
    "conditionType": "condition_type",
    "sortOrders": "sort_orders",
    "pageSize": "page_size",
    "currentPage": "current_page",
}
_VALIDATION = "Creditmemo Document Validation Error(s):\n"
_CENT = Decimal("0.01")


@attrs.frozen
class SeedItem:
    """An order line to seed: SKU, unit price, quantity ordered (and invoiced, unless told)."""

    sku: str
    price: Decimal = attrs.field(converter=Decimal)
    qty: Decimal = attrs.field(default=Decimal(1), converter=Decimal)
    qty_invoiced: Decimal | None = attrs.field(
        default=None, converter=attrs.converters.optional(Decimal)
    )
    tax_amount: Decimal = attrs.field(default=Decimal(0), converter=Decimal)
    discount_amount: Decimal = attrs.field(default=Decimal(0), converter=Decimal)


@attrs.define
class _Item:
    item_id: int
    order_id: int
    sku: str
    price: Decimal
    qty_ordered: Decimal
    qty_invoiced: Decimal
    tax_amount: Decimal
    discount_amount: Decimal
    qty_refunded: Decimal = Decimal(0)
    amount_refunded: Decimal = Decimal(0)

    def value(self, qty: Decimal) -> Decimal:
        """Price times quantity, plus the quantity's share of tax, minus its share of discount."""
        if qty == 0:
            return Decimal(0)

        def share(total: Decimal) -> Decimal:
            return (total * qty / self.qty_ordered).quantize(_CENT, rounding=decimal.ROUND_HALF_UP)

        row = (self.price * qty).quantize(_CENT, rounding=decimal.ROUND_HALF_UP)
        return row + share(self.tax_amount) - share(self.discount_amount)

    def as_json(self) -> dict[str, Any]:
        row = (self.price * self.qty_ordered).quantize(_CENT)
        return {
            "item_id": self.item_id,
            "order_id": self.order_id,
            "sku": self.sku,
            "name": self.sku,
            "product_type": "simple",
            "price": self.price,
            "base_price": self.price,
            "row_total": row,
            "base_row_total": row,
            "tax_amount": self.tax_amount,
            "discount_amount": self.discount_amount,
            "qty_ordered": self.qty_ordered,
            "qty_invoiced": self.qty_invoiced,
            "qty_refunded": self.qty_refunded,
            "amount_refunded": self.amount_refunded,
        }


@attrs.define
class _Order:
    entity_id: int
    increment_id: str
    currency: str
    payment_method: str
    customer_email: str
    items: list[_Item]
    shipping_amount: Decimal
    grand_total: Decimal
    total_paid: Decimal
    created_at: str
    state: str = "processing"
    shipping_refunded: Decimal = Decimal(0)
    total_refunded: Decimal = Decimal(0)
    total_online_refunded: Decimal = Decimal(0)
    total_offline_refunded: Decimal = Decimal(0)

    def item(self, item_id: object) -> _Item | None:
        return next((item for item in self.items if item.item_id == item_id), None)

    def as_json(self) -> dict[str, Any]:
        return {
            "entity_id": self.entity_id,
            "increment_id": self.increment_id,
            "state": self.state,
            "status": self.state,
            "created_at": self.created_at,
            "customer_email": self.customer_email,
            "order_currency_code": self.currency,
            "base_currency_code": self.currency,
            "grand_total": self.grand_total,
            "base_grand_total": self.grand_total,
            "total_paid": self.total_paid,
            "total_invoiced": self.total_paid,
            "total_refunded": self.total_refunded,
            "base_total_refunded": self.total_refunded,
            "total_online_refunded": self.total_online_refunded,
            "total_offline_refunded": self.total_offline_refunded,
            "shipping_amount": self.shipping_amount,
            "shipping_refunded": self.shipping_refunded,
            "items": [item.as_json() for item in self.items],
            "payment": {
                "method": self.payment_method,
                "account_status": "",
                "additional_information": [],
                "cc_last4": "",
                "amount_paid": self.total_paid,
                "amount_refunded": self.total_refunded,
            },
        }


@attrs.define
class _Invoice:
    entity_id: int
    order_id: int
    items: dict[int, Decimal]
    grand_total: Decimal
    online: bool
    created_at: str
    total_refunded: Decimal = Decimal(0)
    refunded: dict[int, Decimal] = attrs.field(factory=dict)

    def as_json(self, order: _Order) -> dict[str, Any]:
        return {
            "entity_id": self.entity_id,
            "order_id": self.order_id,
            "increment_id": f"{self.entity_id:09d}",
            "created_at": self.created_at,
            "state": 2,
            "order_currency_code": order.currency,
            "grand_total": self.grand_total,
            "base_grand_total": self.grand_total,
            "base_total_refunded": self.total_refunded,
            "transaction_id": f"txn-{self.entity_id}" if self.online else "",
            "total_qty": sum(self.items.values(), Decimal(0)),
            "items": [
                {"order_item_id": item_id, "qty": qty, "sku": _sku(order, item_id)}
                for item_id, qty in self.items.items()
            ],
        }


@attrs.define
class _CreditMemo:
    entity_id: int
    order_id: int
    invoice_id: int | None
    currency: str
    items: list[tuple[_Item, Decimal]]
    subtotal: Decimal
    shipping_amount: Decimal
    adjustment_positive: Decimal
    adjustment_negative: Decimal
    grand_total: Decimal
    comments: list[str]
    created_at: str

    def as_json(self) -> dict[str, Any]:
        return {
            "entity_id": self.entity_id,
            "increment_id": f"{self.entity_id:09d}",
            "order_id": self.order_id,
            **({"invoice_id": self.invoice_id} if self.invoice_id is not None else {}),
            "state": 2,
            "created_at": self.created_at,
            "order_currency_code": self.currency,
            "base_currency_code": self.currency,
            "subtotal": self.subtotal,
            "shipping_amount": self.shipping_amount,
            "adjustment_positive": self.adjustment_positive,
            "adjustment_negative": self.adjustment_negative,
            "adjustment": self.adjustment_positive - self.adjustment_negative,
            "grand_total": self.grand_total,
            "base_grand_total": self.grand_total,
            "items": [
                {
                    "entity_id": self.entity_id * 100 + index,
                    "parent_id": self.entity_id,
                    "order_item_id": item.item_id,
                    "sku": item.sku,
                    "qty": qty,
                    "price": item.price,
                    "base_price": item.price,
                    "base_cost": Decimal(0),
                    "row_total": item.value(qty),
                }
                for index, (item, qty) in enumerate(self.items)
            ],
            "comments": self.comments_json(),
        }

    def comments_json(self) -> list[dict[str, Any]]:
        return [
            {
                "entity_id": self.entity_id * 100 + index,
                "parent_id": self.entity_id,
                "comment": text,
                "is_customer_notified": 0,
                "is_visible_on_front": 0,
                "created_at": self.created_at,
            }
            for index, text in enumerate(self.comments)
        ]


@attrs.frozen
class CreditMemoRecord:
    """A credit memo the stand-in made, as a test or a demo reads it back.

    ``items`` are (SKU, quantity) pairs; ``invoice_id`` is None for an offline refund by order;
    ``comments`` are the comment texts, oldest first (the adapter's marker opens the first).
    """

    entity_id: int
    order_increment_id: str
    invoice_id: int | None
    currency: str
    items: tuple[tuple[str, Decimal], ...]
    shipping_amount: Decimal
    adjustment_positive: Decimal
    adjustment_negative: Decimal
    grand_total: Decimal
    comments: tuple[str, ...]


def _sku(order: _Order, item_id: int) -> str:
    item = order.item(item_id)
    return item.sku if item is not None else ""


class _Refusal(Exception):  # noqa: N818 - carries a Magento error answer out of the rules
    def __init__(self, status: int, message: str, parameters: object = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.parameters = parameters


@attrs.frozen
class Exchange:
    """One request the stand-in answered: method, route, status, JSON bodies, query pairs.

    A body that is not JSON is None; ``query`` holds the query string as (name, value) pairs.
    """

    method: str
    path: str
    status: int
    request_body: Any
    response_body: Any
    query: tuple[tuple[str, str], ...] = ()


class MagentoStandIn(StandIn):
    """A local Magento whose orders, invoices and credit memos live in memory.

    ``bearer_tokens`` and ``oauth_credentials`` are what it accepts (at least one is needed);
    ``clock`` is the time OAuth timestamps are checked against. Seed with :meth:`add_order`
    (items as :class:`SeedItem`); read what refunds made with :meth:`credit_memos_of`.
    ``exchanges`` lists every answered request with its JSON bodies, for schema checks.
    """

    service = "magento"

    def __init__(
        self,
        *,
        bearer_tokens: Iterable[str] = (),
        oauth_credentials: Iterable[OAuth1Credentials] = (),
        clock: Callable[[], float] = time.time,
        offline_payment_methods: frozenset[str] = DEFAULT_OFFLINE_METHODS,
        version: str = "2.4.8",
        edition: str = "Community",
        version_page: bool = True,
        schema_route: bool = True,
        missing_routes: Iterable[str] = (),
        forbidden_routes: Iterable[str] = (),
    ) -> None:
        super().__init__()
        #: The installed version (``2.4.8``) and edition (Community, Enterprise, B2B).
        self.version = version
        self.edition = edition
        self.version_page = version_page
        #: Whether ``/rest/<store>/schema`` answers (a proxy in front of a store may block it).
        self.schema_route = schema_route
        known = {route.key for route in ROUTES}
        unknown = (set(missing_routes) | set(forbidden_routes)) - known
        if unknown:
            raise ValueError(f"not routes of the stand-in: {', '.join(sorted(unknown))}")
        self.missing_routes = frozenset(missing_routes)
        self.forbidden_routes = frozenset(forbidden_routes)
        self._tokens = frozenset(bearer_tokens)
        self._verifier = OAuth1Verifier(credentials_lookup(*oauth_credentials))
        self._clock = clock
        self._offline = offline_payment_methods
        self.orders: dict[int, _Order] = {}
        self.invoices: dict[int, _Invoice] = {}
        self.credit_memos: dict[int, _CreditMemo] = {}
        self.returned_to_stock: list[int] = []
        self.exchanges: list[Exchange] = []
        self._next_order = 100
        self._next_item = 1000
        self._next_invoice = 500
        self._next_memo = 700
        self._tick = 0

    def __repr__(self) -> str:
        return f"MagentoStandIn(orders={len(self.orders)}, credit_memos={len(self.credit_memos)})"

    # -- seeding ------------------------------------------------------------------------------

    def add_order(
        self,
        increment_id: str,
        items: Sequence[SeedItem],
        *,
        shipping: Decimal | str = "0",
        currency: str = "USD",
        payment_method: str = "checkmo",
        customer_email: str = "customer@example.com",
    ) -> int:
        """Seed an order with one invoice for everything invoiced; returns its entity ID."""
        self._next_order += 1
        order_id = self._next_order
        lines: list[_Item] = []
        for seed in items:
            self._next_item += 1
            lines.append(
                _Item(
                    item_id=self._next_item,
                    order_id=order_id,
                    sku=seed.sku,
                    price=seed.price,
                    qty_ordered=seed.qty,
                    qty_invoiced=seed.qty if seed.qty_invoiced is None else seed.qty_invoiced,
                    tax_amount=seed.tax_amount,
                    discount_amount=seed.discount_amount,
                )
            )
        shipping_amount = Decimal(shipping)
        grand_total = sum((line.value(line.qty_ordered) for line in lines), Decimal(0))
        grand_total += shipping_amount
        invoiced = sum((line.value(line.qty_invoiced) for line in lines), Decimal(0))
        invoiced += shipping_amount if invoiced else Decimal(0)
        order = _Order(
            entity_id=order_id,
            increment_id=increment_id,
            currency=currency,
            payment_method=payment_method,
            customer_email=customer_email,
            items=lines,
            shipping_amount=shipping_amount,
            grand_total=grand_total,
            total_paid=invoiced,
            created_at=self._now(),
        )
        self.orders[order_id] = order
        if invoiced:
            self._next_invoice += 1
            self.invoices[self._next_invoice] = _Invoice(
                entity_id=self._next_invoice,
                order_id=order_id,
                items={line.item_id: line.qty_invoiced for line in lines if line.qty_invoiced},
                grand_total=invoiced,
                online=payment_method not in self._offline,
                created_at=order.created_at,
            )
        return order_id

    def order_by_increment_id(self, increment_id: str) -> _Order:
        """The seeded order with this increment ID (for assertions)."""
        return next(o for o in self.orders.values() if o.increment_id == increment_id)

    def memos_of(self, increment_id: str) -> list[_CreditMemo]:
        """The credit memos of an order, oldest first (for assertions)."""
        order_id = self.order_by_increment_id(increment_id).entity_id
        return [memo for memo in self.credit_memos.values() if memo.order_id == order_id]

    def credit_memos_of(self, increment_id: str) -> tuple[CreditMemoRecord, ...]:
        """The credit memos made for the order with this increment ID, oldest first."""
        return tuple(
            CreditMemoRecord(
                entity_id=memo.entity_id,
                order_increment_id=increment_id,
                invoice_id=memo.invoice_id,
                currency=memo.currency,
                items=tuple((item.sku, qty) for item, qty in memo.items),
                shipping_amount=memo.shipping_amount,
                adjustment_positive=memo.adjustment_positive,
                adjustment_negative=memo.adjustment_negative,
                grand_total=memo.grand_total,
                comments=tuple(memo.comments),
            )
            for memo in self.memos_of(increment_id)
        )

    def invoice_of(self, increment_id: str) -> int:
        """The entity ID of the order's first invoice."""
        order_id = self.order_by_increment_id(increment_id).entity_id
        return next(i.entity_id for i in self.invoices.values() if i.order_id == order_id)

    def _now(self) -> str:
        # Deterministic, strictly increasing timestamps in Magento's format.
        self._tick += 1
        return f"2026-01-01 00:{self._tick // 60 % 60:02d}:{self._tick % 60:02d}"

    # -- the vendor ---------------------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Authenticate, route and answer one request."""
        if request.url.path == "/magento_version":
            return self._version_page(request)
        try:
            request_body = loads(request.content) if request.content else None
        except ValueError:
            request_body = None
        try:
            schema = _SCHEMA.match(request.url.path)
            if schema is not None and request.method == "GET" and self.schema_route:
                status, payload = 200, self._schema(request, schema.group("store"))
            else:
                self._authenticate(request)
                status, payload = self._route(request, request_body)
        except _Refusal as refusal:
            status = refusal.status
            payload = {"message": refusal.message}
            if refusal.parameters is not None:
                payload["parameters"] = refusal.parameters
        query = tuple(parse_qsl(request.url.query.decode(), keep_blank_values=True))
        self.exchanges.append(
            Exchange(request.method, request.url.path, status, request_body, payload, query)
        )
        return httpx.Response(
            status,
            content=dumps(payload).encode(),
            headers={"content-type": "application/json; charset=utf-8"},
        )

    def _version_page(self, request: httpx.Request) -> httpx.Response:
        """``/magento_version``: Magento_Version's one line, or the store's 404 page."""
        if request.method == "GET" and self.version_page:
            status, text = 200, version_page(version=self.version, edition=self.edition)
        else:
            status, text = 404, "404 Not Found"
        self.exchanges.append(Exchange(request.method, request.url.path, status, None, text))
        return httpx.Response(
            status, content=text.encode(), headers={"content-type": "text/html; charset=UTF-8"}
        )

    def _schema(self, request: httpx.Request, store: str) -> dict[str, Any]:
        """The REST schema of the routes the caller may call (none for an anonymous caller)."""
        callable_routes: tuple[Route, ...] = ()
        if self._authenticated(request):
            callable_routes = tuple(
                route
                for route in ROUTES
                if route.key not in self.missing_routes | self.forbidden_routes
            )
        return schema_document(
            version=self.version,
            edition=self.edition,
            host=request.url.host,
            scheme=request.url.scheme,
            store=store,
            services=request.url.params.get("services"),
            callable_routes=callable_routes,
        )

    def _authenticated(self, request: httpx.Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip() in self._tokens:
            return True
        if scheme.lower() == "oauth":
            try:
                self._verifier.verify(request, now=self._clock())
            except OAuth1Error:
                return False
            return True
        return False

    def _authenticate(self, request: httpx.Request) -> None:
        if self._authenticated(request):
            return
        raise _Refusal(
            401,
            "The consumer isn't authorized to access %resources.",
            {"resources": "Magento_Sales::sales"},
        )

    def _route(self, request: httpx.Request, body: Any) -> tuple[int, Any]:
        match = _ROUTE.match(request.url.path)
        if match is None:
            raise _Refusal(404, "Request does not match any route.")
        parts = match.group("path").strip("/").split("/")
        query = parse_qsl(request.url.query.decode(), keep_blank_values=True)
        method = request.method
        route = route_for(method, "/V1/" + "/".join(parts))
        if route is not None and route.key in self.missing_routes:
            raise _Refusal(404, "Request does not match any route.")
        if route is not None and route.key in self.forbidden_routes:
            raise _Refusal(
                401,
                "The consumer isn't authorized to access %resources.",
                {"resources": "Magento_Sales::sales"},
            )
        if method == "GET" and parts == ["orders"]:
            return 200, self._search([o.as_json() for o in self.orders.values()], query)
        if method == "GET" and parts == ["invoices"]:
            rows = [i.as_json(self.orders[i.order_id]) for i in self.invoices.values()]
            return 200, self._search(rows, query)
        if method == "GET" and parts == ["creditmemos"]:
            return 200, self._search([m.as_json() for m in self.credit_memos.values()], query)
        if method == "GET" and len(parts) == 2 and parts[0] == "orders":
            return 200, self._order(parts[1]).as_json()
        if method == "GET" and len(parts) in (2, 3) and parts[0] == "creditmemo":
            memo = self.credit_memos.get(_int_or_none(parts[1]) or -1)
            if memo is None:
                raise _Refusal(
                    404,
                    "The entity that was requested doesn't exist. Verify the entity and try again.",
                )
            if len(parts) == 2:
                return 200, memo.as_json()
            if parts[2] == "comments":
                items = memo.comments_json()
                return 200, {
                    "items": items,
                    "search_criteria": {"filter_groups": []},
                    "total_count": len(items),
                }
        if method == "POST" and len(parts) == 3 and parts[2] == "refund":
            if parts[0] == "order":
                order = self._order(parts[1])
                return 200, self._refund(order, None, body)
            if parts[0] == "invoice":
                invoice = self.invoices.get(_int_or_none(parts[1]) or -1)
                if invoice is None:
                    raise _Refusal(
                        404,
                        "The entity that was requested doesn't exist. "
                        "Verify the entity and try again.",
                    )
                return 200, self._refund(self.orders[invoice.order_id], invoice, body)
        raise _Refusal(404, "Request does not match any route.")

    def _order(self, raw_id: str) -> _Order:
        order = self.orders.get(_int_or_none(raw_id) or -1)
        if order is None:
            raise _Refusal(
                404, "The entity that was requested doesn't exist. Verify the entity and try again."
            )
        return order

    # -- searchCriteria -----------------------------------------------------------------------

    def _search(self, rows: list[dict[str, Any]], query: list[tuple[str, str]]) -> dict[str, Any]:
        criteria = _criteria(query)
        groups = criteria.get("filter_groups", {})
        for group in _ordered(groups):
            filters = _ordered(group.get("filters", {}))
            rows = [row for row in rows if any(_matches(row, f) for f in filters)]
        for sort in reversed(_ordered(criteria.get("sort_orders", {}))):
            field = sort.get("field", "")
            descending = str(sort.get("direction", "DESC")).upper() != "ASC"
            rows.sort(key=lambda row: _sort_key(row.get(field)), reverse=descending)
        total = len(rows)
        echo: dict[str, Any] = {
            "filter_groups": [
                {
                    "filters": [
                        {
                            "field": str(f.get("field", "")),
                            "value": str(f.get("value", "")),
                            "condition_type": str(f.get("condition_type", "eq")),
                        }
                        for f in _ordered(group.get("filters", {}))
                    ]
                }
                for group in _ordered(groups)
            ]
        }
        size = _int_or_none(criteria.get("page_size"))
        if size is not None and size > 0:
            pages = max(1, -(-total // size))
            # Magento answers a page past the end with the last page, not with an empty one.
            page = min(max(1, _int_or_none(criteria.get("current_page")) or 1), pages)
            rows = rows[(page - 1) * size : page * size]
            echo["page_size"] = size
            echo["current_page"] = page
        return {"items": rows, "search_criteria": echo, "total_count": total}

    # -- refunds ------------------------------------------------------------------------------

    def _refund(self, order: _Order, invoice: _Invoice | None, body: Any) -> int:
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise _Refusal(400, "Decoding error: the request body is not a JSON object.")
        online = bool(body.get("isOnline", body.get("is_online", False)))
        paid_online = order.payment_method not in self._offline
        if invoice is None and paid_online:
            raise _Refusal(
                400, _VALIDATION + "An order paid online is refunded through its invoice."
            )
        if invoice is not None and online and not paid_online:
            raise _Refusal(400, _VALIDATION + "An order paid offline cannot be refunded online.")
        arguments = body.get("arguments") or {}
        messages: list[str] = []
        requested = self._requested_quantities(order, body.get("items"), messages)
        for item_id, qty in requested.items():
            item = order.item(item_id)
            if item is None:
                continue
            limit = item.qty_invoiced - item.qty_refunded
            if invoice is not None:
                limit = min(
                    limit,
                    invoice.items.get(item_id, Decimal(0))
                    - invoice.refunded.get(item_id, Decimal(0)),
                )
            if qty < 0 or qty > limit:
                messages.append(
                    "The quantity to creditmemo must not be greater than the unrefunded quantity"
                    f' for product SKU "{item.sku}".'
                )
        shipping_left = order.shipping_amount - order.shipping_refunded
        shipping = _number(arguments.get("shipping_amount"), shipping_left)
        if shipping > shipping_left or shipping < 0:
            raise _Refusal(
                400, "Maximum shipping amount allowed to refund is: %1", [f"${shipping_left}"]
            )
        positive = _number(arguments.get("adjustment_positive"), Decimal(0))
        negative = _number(arguments.get("adjustment_negative"), Decimal(0))
        lines = [
            (item, qty)
            for item_id, qty in requested.items()
            if (item := order.item(item_id)) is not None
        ]
        subtotal = sum((item.value(qty) for item, qty in lines), Decimal(0))
        grand_total = subtotal + shipping + positive - negative
        total_qty = sum((qty for _item, qty in lines if qty > 0), Decimal(0))
        if grand_total <= 0:
            messages.append("The credit memo's total must be positive.")
        elif total_qty <= 0 and shipping_left <= 0:
            messages.append("You can't create a creditmemo without products.")
        stock = (arguments.get("extension_attributes") or {}).get("return_to_stock_items") or []
        if any(order.item(_int_or_none(item_id)) is None for item_id in stock):
            messages.append(
                "The return to stock argument contains product item that is not part of the "
                "original order."
            )
        if messages:
            raise _Refusal(400, _VALIDATION + "\n".join(messages))
        available = order.total_paid - order.total_refunded
        if grand_total > available:
            raise _Refusal(400, "The most money available to refund is %1.", [f"{available}"])
        comments: list[str] = []
        comment = body.get("comment")
        if body.get("appendComment", body.get("append_comment")) and isinstance(comment, dict):
            comments.append(str(comment.get("comment", "")))
        self._next_memo += 1
        memo = _CreditMemo(
            entity_id=self._next_memo,
            order_id=order.entity_id,
            invoice_id=invoice.entity_id if invoice is not None else None,
            currency=order.currency,
            items=[(item, qty) for item, qty in lines],
            subtotal=subtotal,
            shipping_amount=shipping,
            adjustment_positive=positive,
            adjustment_negative=negative,
            grand_total=grand_total,
            comments=comments,
            created_at=self._now(),
        )
        self.credit_memos[memo.entity_id] = memo
        for item, qty in lines:
            item.qty_refunded += qty
            item.amount_refunded += item.value(qty)
            if invoice is not None:
                invoice.refunded[item.item_id] = invoice.refunded.get(item.item_id, 0) + qty
        if invoice is not None:
            invoice.total_refunded += grand_total
        order.shipping_refunded += shipping
        order.total_refunded += grand_total
        if invoice is not None and online:
            order.total_online_refunded += grand_total
        else:
            order.total_offline_refunded += grand_total
        if order.total_refunded >= order.total_paid:
            order.state = "closed"
        self.returned_to_stock += [_int_or_none(item_id) or 0 for item_id in stock]
        return memo.entity_id

    def _requested_quantities(
        self, order: _Order, items: object, messages: list[str]
    ) -> dict[int, Decimal]:
        if items is None or items == []:
            # Magento's rule: no quantities at all means every item in full.
            return {
                item.item_id: item.qty_invoiced - item.qty_refunded
                for item in order.items
                if item.qty_invoiced - item.qty_refunded > 0
            }
        if not isinstance(items, list):
            raise _Refusal(400, "Decoding error: items must be an array.")
        requested: dict[int, Decimal] = {}
        for entry in items:
            if not isinstance(entry, dict) or "order_item_id" not in entry or "qty" not in entry:
                raise _Refusal(
                    400, '"%fieldName" is required. Enter and try again.', {"fieldName": "qty"}
                )
            item_id = _int_or_none(entry["order_item_id"])
            if item_id is None or order.item(item_id) is None:
                messages.append(
                    'The creditmemo contains product SKU "" that is not part of the original order.'
                )
                continue
            requested[item_id] = requested.get(item_id, Decimal(0)) + _number(
                entry["qty"], Decimal(0)
            )
        return requested


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return None


def _number(value: object, default: Decimal) -> Decimal:
    if value is None:
        return default
    if isinstance(value, bool | float):
        raise _Refusal(400, "Decoding error: expected a number, got %1.", [repr(value)])
    if isinstance(value, int | Decimal):
        return Decimal(value)
    try:
        return Decimal(str(value))
    except decimal.InvalidOperation:
        raise _Refusal(400, 'The "%1" value is not a number.', [str(value)]) from None


def _criteria(query: list[tuple[str, str]]) -> dict[str, Any]:
    """``searchCriteria[a][0][b]=v`` pairs as nested dicts, with camelCase names made snake_case."""
    root: dict[str, Any] = {}
    for key, value in query:
        if not key.startswith("searchCriteria"):
            continue
        parts = [_CAMEL.get(part, part) for part in _KEY_PART.findall(key)]
        if not parts:
            continue
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[parts[-1]] = value
    return root


def _ordered(mapping: object) -> list[dict[str, Any]]:
    if not isinstance(mapping, Mapping):
        return []
    keys = sorted(mapping, key=lambda key: int(key) if str(key).isdigit() else 0)
    return [mapping[key] for key in keys if isinstance(mapping[key], dict)]


def _comparable(left: object, right: str) -> tuple[Any, Any]:
    if isinstance(left, int | Decimal) and not isinstance(left, bool):
        try:
            return Decimal(left), Decimal(right)
        except decimal.InvalidOperation:
            return str(left), right
    return ("" if left is None else str(left)), right


def _matches(row: Mapping[str, Any], spec: Mapping[str, Any]) -> bool:
    field = str(spec.get("field", ""))
    value = str(spec.get("value", ""))
    condition = str(spec.get("condition_type", "eq") or "eq").lower()
    actual = row.get(field)
    if condition == "null":
        return actual is None
    if condition == "notnull":
        return actual is not None
    if condition in ("in", "nin"):
        options = [part.strip() for part in value.split(",")]
        found = any(
            _comparable(actual, option)[0] == _comparable(actual, option)[1] for option in options
        )
        return found if condition == "in" else not found
    if condition in ("like", "nlike"):
        pattern = "^" + ".*".join(re.escape(part) for part in value.split("%")) + "$"
        hit = re.match(pattern, "" if actual is None else str(actual), re.IGNORECASE) is not None
        return hit if condition == "like" else not hit
    left, right = _comparable(actual, value)
    comparisons: dict[str, Callable[[Any, Any], bool]] = {
        "eq": lambda a, b: bool(a == b),
        "neq": lambda a, b: bool(a != b),
        "gt": lambda a, b: bool(a > b),
        "gteq": lambda a, b: bool(a >= b),
        "moreq": lambda a, b: bool(a >= b),
        "from": lambda a, b: bool(a >= b),
        "lt": lambda a, b: bool(a < b),
        "lteq": lambda a, b: bool(a <= b),
        "to": lambda a, b: bool(a <= b),
    }
    compare = comparisons.get(condition)
    if compare is None:
        raise _Refusal(400, 'Invalid condition type "%1".', [condition])
    return compare(left, right)


def _sort_key(value: object) -> tuple[int, Any]:
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return (0, Decimal(value))
    return (1, "" if value is None else str(value))
