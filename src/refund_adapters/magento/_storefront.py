"""The Magento 2 / Adobe Commerce storefront: outgoing refunds become Magento credit memos (NSC-7).

How one :class:`~refund_core.IssueStorefrontRefund` becomes a credit memo:

1. The order is found by its **increment ID** (the order number people see, e.g. ``000000123``;
   that is what ``order_ref`` holds) with a ``searchCriteria`` search, then read in full by its
   entity ID (``GET /V1/orders/{id}``).
2. Each refund line names an order item by Magento ``item_id`` or, failing that, by SKU. Its
   quantity goes to ``items[{order_item_id, qty}]``. Magento prices the quantities itself;
   whatever differs between that and the action's amount (a line refunded without quantity, the
   gift-card part kept back under NSC-8, NetSuite rounding) becomes ``adjustment_positive`` or
   ``adjustment_negative``, so the credit memo's grand total is the action's amount.
   ``shipping_amount`` is always sent (Magento refunds all remaining shipping when it is
   missing), and an amount-only refund lists the order's items with quantity 0 (an empty
   ``items`` list makes Magento refund every item in full).
3. Offline payment methods (check, bank transfer, ...) are refunded with
   ``POST /V1/order/{id}/refund``; online ones through the invoice holding the lines,
   ``POST /V1/invoice/{id}/refund`` with ``isOnline`` so the gateway returns the money.

Magento has no idempotency keys: a repeated POST is a second credit memo. So the first line of
the credit memo's comment is a marker, ``refund-sync:<external ID>`` (:func:`marker_for`), and
before every POST (the first included: the engine repeats storefront writes whose response it
never saw) the adapter reads the order's credit memos and returns the marked one if it exists.
That lookup comes before the refund is checked against the order, since a refund already made
has used up what it would now be checked for. A POST is never repeated blindly: it is sent again
only when Magento refused it unprocessed (429); after a lost, failed or unreadable answer the
marker is looked up, and when no credit memo carries it, the error goes to the engine, which
sets the event aside for a later run (whose first step is the same lookup).

Store credit cannot be refunded over Magento's REST API (Adobe Commerce bugs #26249, #27468,
#32812), so the storefront declares no store credit and the core reports a gift-card part as a
manual action (NSC-8).
"""

from __future__ import annotations

import asyncio
import contextlib
import decimal
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import httpx

import refund_core as rc

from .._http import (
    RetryAdvice,
    RetryPolicy,
    UpstreamAuthError,
    UpstreamError,
    UpstreamNotFoundError,
    UpstreamRejectedError,
    UpstreamUnavailableError,
    retry_after_seconds,
    send,
)
from .._pacing import ConcurrencyLimiter
from ._wire import (
    MAX_NUMBER,
    SERVICE,
    CreditMemo,
    CreditMemoComment,
    Invoice,
    MagentoResponseError,
    Order,
    OrderItem,
    dumps,
    loads,
    read,
    render_message,
)

__all__ = [
    "DEFAULT_CAPABILITIES",
    "DEFAULT_OFFLINE_METHODS",
    "MARKER_PREFIX",
    "SERVICE",
    "MagentoStorefront",
    "RefundLineError",
    "StoreCreditUnsupportedError",
    "marker_for",
]

log = logging.getLogger("refund_sync.magento")

#: The first line of every credit memo comment the adapter writes is this plus the external ID.
MARKER_PREFIX = "refund-sync:"
_MAX_MARKER = 200
#: Magento's offline payment methods (refunded by order); any other method is refunded online.
DEFAULT_OFFLINE_METHODS = frozenset(
    {"checkmo", "banktransfer", "cashondelivery", "purchaseorder", "free", "companycredit"}
)
DEFAULT_CAPABILITIES = rc.StorefrontCapabilities(
    "magento", rc.StorefrontKind.CART, supports_store_credit=False
)

Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")

#: The most pages one search is read through; a total_count asking for more is malformed.
MAX_SEARCH_PAGES = 10_000
#: Reads (searches, order loads) are safe to repeat: they retry 429/5xx and dropped connections
#: with send()'s backoff. The refund POST has no idempotency key: see ``_refused_before_it_ran``.
_READ_POLICY = RetryPolicy()
_WORK = decimal.Context(prec=40)


class StoreCreditUnsupportedError(rc.InvalidInputError):
    """Magento cannot issue store credit over REST; the gift-card part is a manual action."""


class RefundLineError(rc.InvalidInputError):
    """A refund line cannot be placed on the Magento order (unknown item, quantity too high...)."""


def marker_for(external_id: str) -> str:
    """The comment line that marks the credit memo made for ``external_id``.

    ``refund-sync:<external ID>`` for IDs of printable ASCII without spaces, up to 200
    characters in all (the engine's own IDs are 30). Any other ID is replaced by its SHA-256, as
    Shopify's idempotency key is: Magento's comment column (``TEXT``, 64 KB) would hold a longer
    one, but the marker must stay one plain line to be matched, whatever the table's charset.
    """
    marker = f"{MARKER_PREFIX}{external_id}"
    plain = all(33 <= ord(char) < 127 for char in external_id)
    if not plain or len(marker) > _MAX_MARKER:
        marker = MARKER_PREFIX + hashlib.sha256(external_id.encode("utf-8")).hexdigest()
    return marker


def _carries_marker(comment: str, marker: str) -> bool:
    return any(line.strip() == marker for line in comment.splitlines())


@attrs.frozen
class _RefundBody:
    """What goes to Magento, with the order items it names (for messages and restocking)."""

    items: tuple[tuple[int, Decimal], ...]
    shipping: Decimal
    adjustment_positive: Decimal
    adjustment_negative: Decimal
    refunded_item_ids: tuple[int, ...]


class MagentoStorefront:
    """A :class:`~refund_core.Storefront` over Magento 2.4's admin REST API.

    ``base_url`` is the store's address (``https://shop.example.com``); requests go to
    ``/rest/<store_code>/V1/...``. ``auth`` is a :class:`~refund_adapters.magento.BearerToken`
    or OAuth 1.0a signing (:func:`~refund_adapters.magento.integration_auth`). ``transport``
    replaces the network (e.g. ``MagentoStandIn.transport()``). The httpx client is made when a
    call needs it, shared by the calls in flight on one event loop and closed when the last of
    them ends, so the adapter works across several ``asyncio.run`` calls.
    """

    def __init__(
        self,
        *,
        base_url: str,
        auth: httpx.Auth,
        store_code: str = "all",
        capabilities: rc.StorefrontCapabilities = DEFAULT_CAPABILITIES,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: RetryPolicy = _READ_POLICY,
        offline_payment_methods: frozenset[str] = DEFAULT_OFFLINE_METHODS,
        return_to_stock: bool = False,
        notify_customer: bool = False,
        page_size: int = 50,
        limiter: ConcurrencyLimiter | None = None,
        sleep: Sleep = asyncio.sleep,
        timeout_s: float = 30.0,
    ) -> None:
        if capabilities.supports_store_credit:
            raise rc.ConfigurationError(
                "Magento cannot refund to store credit over REST: declare "
                "supports_store_credit=False (gift-card parts become manual actions, NSC-8)"
            )
        if page_size < 1:
            raise rc.ConfigurationError(f"page_size must be at least 1, got {page_size}")
        if not store_code or "/" in store_code:
            raise rc.ConfigurationError(f"store_code {store_code!r} is not a Magento store code")
        self._base_url = base_url.rstrip("/")
        self._auth = auth
        #: The store view the REST calls address (``/rest/<store_code>/V1/...``).
        self.store_code = store_code
        self._prefix = f"/rest/{store_code}/V1"
        self._capabilities = capabilities
        self._transport = transport
        self._policy = policy
        self._offline_methods = frozenset(offline_payment_methods)
        self._return_to_stock = return_to_stock
        self._notify = notify_customer
        self._page_size = page_size
        self._limiter = limiter
        self._sleep = sleep
        self._timeout_s = timeout_s
        self._leases: dict[asyncio.AbstractEventLoop, _Lease] = {}

    def __repr__(self) -> str:
        return f"MagentoStorefront(base_url={self._base_url!r}, store={self._prefix!r})"

    # -- the port ---------------------------------------------------------------------------

    @property
    def capabilities(self) -> rc.StorefrontCapabilities:
        """A cart (NSC-10) without store credit (NSC-8)."""
        return self._capabilities

    async def issue_refund(self, action: rc.IssueStorefrontRefund) -> rc.WriteReceipt:
        """Create the credit memo for ``action`` once; a repeat returns the one already made."""
        if not action.amount.is_positive:
            # All of it was paid by gift card (NSC-8): Magento refuses a zero credit memo.
            raise RefundLineError(
                f"{SERVICE}: refund {action.external_id} of order {action.order_ref} returns "
                f"{action.amount} to the payment method; Magento cannot make a credit memo of "
                "nothing: record the returned lines in Magento by hand"
            )
        if action.shipping.currency != action.amount.currency:
            raise RefundLineError(
                f"{SERVICE}: refund {action.external_id}: shipping {action.shipping} and amount "
                f"{action.amount} are in different currencies"
            )
        async with self._lease() as lease, lease.lock(action.external_id):
            # One writer per external ID at a time, or two lookups could both find nothing.
            return await self._issue_refund(lease.client, action)

    async def _issue_refund(
        self, client: httpx.AsyncClient, action: rc.IssueStorefrontRefund
    ) -> rc.WriteReceipt:
        order = await self._order_by_increment_id(client, action.order_ref)
        marker = marker_for(action.external_id)
        # A repeat is recognised before the refund is checked against the order: once made, the
        # refund has used up the very quantities and amount it would now be refused for.
        found = await self._find_marked(client, order.entity_id, marker)
        if found is not None:
            log.info(
                "magento: credit memo %s of order %s already carries %s",
                found,
                order.increment_id,
                action.external_id,
            )
            return rc.WriteReceipt(action.external_id, str(found), created=False)
        body = self._refund_body(order, action)
        invoice = (
            await self._invoice_for(client, order, body, action) if self._is_online(order) else None
        )
        try:
            memo_id = await self._post_refund(
                client, order, invoice=invoice, body=body, action=action, marker=marker
            )
        except (UpstreamUnavailableError, MagentoResponseError) as exc:
            # The POST went out and no usable answer came back (lost, 5xx, or unreadable): the
            # credit memo may well exist, and its marker says. Absent, nothing was made, and
            # the engine sets the event aside; the next run looks again before it sends.
            found = await self._find_marked(client, order.entity_id, marker)
            if found is not None:
                log.info(
                    "magento: credit memo %s of order %s found by its marker after %s",
                    found,
                    order.increment_id,
                    type(exc).__name__,
                )
                return rc.WriteReceipt(action.external_id, str(found), created=True)
            if isinstance(exc, MagentoResponseError):
                raise MagentoResponseError(
                    f"{exc.problem}; and no credit memo of order {order.increment_id} "
                    f"carries the marker of {action.external_id}, so none was made",
                    endpoint=exc.endpoint,
                    path=exc.path,
                    status=exc.status,
                ) from exc
            raise UpstreamUnavailableError(
                f"refund {action.external_id} of order {order.increment_id} was not confirmed "
                f"({exc.reason}); no credit memo carries its marker, so none was made: a later "
                "run sends it again",
                service=SERVICE,
                status=exc.status,
            ) from exc
        log.info(
            "magento: credit memo %s created for order %s (%s, %s)",
            memo_id,
            order.increment_id,
            action.external_id,
            "online" if invoice is not None else "offline",
        )
        return rc.WriteReceipt(action.external_id, str(memo_id), created=True)

    async def issue_store_credit(self, action: rc.IssueStoreCredit) -> rc.WriteReceipt:
        """Always refused: Magento's REST API cannot refund to store credit (NSC-8)."""
        raise StoreCreditUnsupportedError(
            f"{SERVICE}: cannot issue {action.amount} store credit for order {action.order_ref} "
            "over REST; refund the gift-card part by hand (NSC-8)"
        )

    # -- building the refund ----------------------------------------------------------------

    def _is_online(self, order: Order) -> bool:
        method = order.payment.method if order.payment is not None else ""
        return method not in self._offline_methods

    def _refund_body(self, order: Order, action: rc.IssueStorefrontRefund) -> _RefundBody:
        currency = action.amount.currency
        if order.order_currency_code != currency.code:
            raise RefundLineError(
                f"{SERVICE}: order {order.increment_id} is in {order.order_currency_code}, "
                f"the refund {action.external_id} in {currency.code}"
            )
        if order.base_currency_code not in (None, order.order_currency_code):
            # Refund arguments are read in the base currency: converting would be a guess.
            raise RefundLineError(
                f"{SERVICE}: order {order.increment_id} was placed in "
                f"{order.order_currency_code} with base currency {order.base_currency_code}; "
                "refund it in Magento by hand"
            )
        quantities: dict[int, Decimal] = {}
        for index, line in enumerate(action.lines):
            item = self._item_for(order, line.order_line_ref, f"lines[{index}]")
            if line.quantity is not None:
                quantities[item.item_id] = quantities.get(item.item_id, Decimal(0)) + line.quantity
        by_id = {item.item_id: item for item in order.items}
        for item_id, qty in quantities.items():
            item = by_id[item_id]
            if qty < 0:
                raise RefundLineError(
                    f"{SERVICE}: order {order.increment_id} item {item.sku} (item {item_id}): "
                    f"quantity {qty} is negative"
                )
            if qty > item.qty_refundable:
                raise RefundLineError(
                    f"{SERVICE}: order {order.increment_id} item {item.sku} (item {item_id}): "
                    f"cannot refund {qty}, only {item.qty_refundable} of {item.qty_invoiced} "
                    "invoiced is left to refund"
                )
        value = sum(
            (_item_value(by_id[item_id], qty, currency) for item_id, qty in quantities.items()),
            Decimal(0),
        )
        shipping = action.shipping.amount
        adjustment = action.amount.amount - shipping - value
        refunded = tuple(item_id for item_id, qty in quantities.items() if qty > 0)
        if refunded:
            items = tuple((item_id, quantities[item_id]) for item_id in refunded)
        else:
            if order.shipping_amount - order.shipping_refunded <= 0:
                # Magento's QuantityValidator: "You can't create a creditmemo without products."
                raise RefundLineError(
                    f"{SERVICE}: refund {action.external_id} of order {order.increment_id} "
                    "names no quantity and the order's shipping is already refunded; Magento "
                    "refuses such a credit memo: refund it in Magento by hand"
                )
            # Quantity 0 on every top-level item: an empty list would refund the whole order.
            items = tuple((item.item_id, Decimal(0)) for item in _top_level(order))
        return _RefundBody(
            items=items,
            shipping=shipping,
            adjustment_positive=max(adjustment, Decimal(0)),
            adjustment_negative=max(-adjustment, Decimal(0)),
            refunded_item_ids=refunded,
        )

    def _item_for(self, order: Order, ref: str, where: str) -> OrderItem:
        top = _top_level(order)
        by_id = [item for item in top if str(item.item_id) == ref]
        if by_id:
            return by_id[0]
        by_sku = [item for item in top if item.sku == ref]
        if len(by_sku) == 1:
            return by_sku[0]
        if not by_sku:
            raise RefundLineError(
                f"{SERVICE}: {where}: order {order.increment_id} has no item with ID or SKU {ref!r}"
            )
        raise RefundLineError(
            f"{SERVICE}: {where}: SKU {ref!r} names {len(by_sku)} items of order "
            f"{order.increment_id} (items {', '.join(str(i.item_id) for i in by_sku)}); "
            "name the item ID instead"
        )

    async def _invoice_for(
        self,
        client: httpx.AsyncClient,
        order: Order,
        body: _RefundBody,
        action: rc.IssueStorefrontRefund,
    ) -> Invoice:
        invoices = await self._search(
            client, "invoices", [("order_id", str(order.entity_id), "eq")], Invoice, "invoice"
        )
        wanted = {item_id: qty for item_id, qty in body.items if qty > 0}
        for invoice in invoices:
            invoiced = {item.order_item_id: item.qty for item in invoice.items}
            covers = all(
                invoiced.get(item_id, Decimal(0)) >= qty for item_id, qty in wanted.items()
            )
            left = invoice.grand_total - invoice.base_total_refunded
            if covers and left >= action.amount.amount:
                return invoice
        raise RefundLineError(
            f"{SERVICE}: no single invoice of order {order.increment_id} holds every refunded "
            f"line with {action.amount} left to refund online; refund it in Magento by hand"
        )

    # -- HTTP -------------------------------------------------------------------------------

    def http_client(self, *, authenticated: bool = True) -> httpx.AsyncClient:
        """A new client for the store: its base URL, transport and timeout, and its auth.

        For read-only checks (``refund-sync doctor``); ``authenticated=False`` leaves the auth
        out, for pages outside the REST API that must not see the credentials. The caller
        closes the client.
        """
        return httpx.AsyncClient(
            base_url=self._base_url,
            auth=self._auth if authenticated else None,
            transport=self._transport,
            timeout=self._timeout_s,
        )

    @contextlib.asynccontextmanager
    async def _lease(self) -> AsyncIterator[_Lease]:
        """The running loop's client, shared by the calls in flight and closed by the last one.

        A client's connections belong to the loop that opened them, and the engine runs one
        ``asyncio.run`` per pass; closing the client when its last user leaves means no
        connection outlives its loop.
        """
        loop = asyncio.get_running_loop()
        lease = self._leases.get(loop)
        if lease is None:
            lease = _Lease(
                httpx.AsyncClient(
                    base_url=self._base_url,
                    auth=self._auth,
                    transport=self._transport,
                    timeout=self._timeout_s,
                )
            )
            self._leases[loop] = lease
        lease.users += 1
        try:
            yield lease
        finally:
            lease.users -= 1
            if lease.users == 0:
                del self._leases[loop]
                await lease.client.aclose()

    async def _get(
        self, client: httpx.AsyncClient, path: str, params: Sequence[tuple[str, str]] = ()
    ) -> Any:
        url = f"{self._prefix}/{path}"
        response = await send(
            client,
            lambda: client.build_request(
                "GET", url, params=list(params), headers={"Accept": "application/json"}
            ),
            service=SERVICE,
            policy=self._policy,
            limiter=self._limiter,
            sleep=self._sleep,
        )
        return _json_or_raise(response, f"GET {_template(path)}")

    async def _post_refund(
        self,
        client: httpx.AsyncClient,
        order: Order,
        *,
        invoice: Invoice | None,
        body: _RefundBody,
        action: rc.IssueStorefrontRefund,
        marker: str,
    ) -> int:
        payload: dict[str, Any] = {
            "items": [{"order_item_id": item_id, "qty": qty} for item_id, qty in body.items],
            "notify": self._notify,
            "appendComment": True,
            "comment": {
                "comment": f"{marker}\nRefund of NetSuite {action.record} sent by refund-sync.",
                "is_visible_on_front": 0,
            },
            "arguments": {
                "shipping_amount": body.shipping,
                "adjustment_positive": body.adjustment_positive,
                "adjustment_negative": body.adjustment_negative,
            },
        }
        if self._return_to_stock and body.refunded_item_ids:
            payload["arguments"]["extension_attributes"] = {
                "return_to_stock_items": list(body.refunded_item_ids)
            }
        if invoice is not None:
            payload["isOnline"] = True
            path = f"invoice/{invoice.entity_id}/refund"
        else:
            path = f"order/{order.entity_id}/refund"
        content = dumps(payload).encode()
        url = f"{self._prefix}/{path}"
        response = await send(
            client,
            lambda: client.build_request(
                "POST",
                url,
                content=content,
                headers={"Content-Type": "application/json", "Accept": "application/json"},
            ),
            service=SERVICE,
            # A 429 was refused before Magento ran it: safe to send again. Anything else (a
            # 5xx, a dropped connection) may have made the credit memo: never sent again here.
            policy=attrs.evolve(self._policy, retry_transport_errors=False),
            advise=_refused_before_it_ran,
            limiter=self._limiter,
            sleep=self._sleep,
        )
        endpoint = f"POST {_template(path)}"
        result = _json_or_raise(response, endpoint)
        return _as_int(result, endpoint=endpoint, path="$")

    async def _search(
        self,
        client: httpx.AsyncClient,
        resource: str,
        filters: Sequence[tuple[str, str, str]],
        kind: type[T],
        what: str,
    ) -> list[T]:
        """Every match, page by page, stopping on ``total_count``.

        Magento answers a page past the end with the last page again, never an empty one, so
        the count, not an empty page, ends the loop. Sorting by entity ID keeps pages stable.
        """
        found: list[T] = []
        endpoint = f"GET {resource}"
        previous: list[Any] | None = None
        for page in range(1, MAX_SEARCH_PAGES + 1):
            params: list[tuple[str, str]] = []
            for group, (field, value, condition) in enumerate(filters):
                # The names of Magento's own REST schema (camelCase); Magento also takes the
                # snake_case of its docs, but the schema is what every store publishes.
                base = f"searchCriteria[filterGroups][{group}][filters][0]"
                params += [
                    (f"{base}[field]", field),
                    (f"{base}[value]", value),
                    (f"{base}[conditionType]", condition),
                ]
            params += [
                ("searchCriteria[sortOrders][0][field]", "entity_id"),
                ("searchCriteria[sortOrders][0][direction]", "ASC"),
                ("searchCriteria[pageSize]", str(self._page_size)),
                ("searchCriteria[currentPage]", str(page)),
            ]
            body = await self._get(client, resource, params)
            if not isinstance(body, dict) or "total_count" not in body:
                raise MagentoResponseError(
                    "a search answered without total_count", endpoint=endpoint, path="$.total_count"
                )
            total = _as_int(body["total_count"], endpoint=endpoint, path="$.total_count")
            items = body.get("items") or []
            if not isinstance(items, list):
                raise MagentoResponseError(
                    f"expected a list, got {type(items).__name__}",
                    endpoint=endpoint,
                    path="$.items",
                )
            if items == previous:
                # Magento answers a page past the end with the last page again: total_count
                # promised more than there is.
                raise MagentoResponseError(
                    f"total_count {total} promises more than the {len(found)} found",
                    endpoint=endpoint,
                    path="$.total_count",
                )
            previous = items
            found += [
                read(item, kind, what=what, endpoint=endpoint, path=f"$.items[{index}]")
                for index, item in enumerate(items)
            ]
            if not items or page * self._page_size >= total:
                return found
        raise MagentoResponseError(
            f"total_count {total} would take more than {MAX_SEARCH_PAGES} pages",
            endpoint=endpoint,
            path="$.total_count",
        )

    async def _order_by_increment_id(self, client: httpx.AsyncClient, increment_id: str) -> Order:
        matches = await self._search(
            client, "orders", [("increment_id", increment_id, "eq")], _OrderHead, "order"
        )
        if not matches:
            raise UpstreamNotFoundError(
                f"no order with increment ID {increment_id!r}", service=SERVICE
            )
        if len(matches) > 1:
            raise RefundLineError(
                f"{SERVICE}: increment ID {increment_id!r} names {len(matches)} orders "
                f"(entity IDs {', '.join(str(m.entity_id) for m in matches)}) in different "
                "stores; use a store code that holds only one"
            )
        payload = await self._get(client, f"orders/{matches[0].entity_id}")
        return read(payload, Order, what="order", endpoint="GET orders/{id}")

    async def _find_marked(
        self, client: httpx.AsyncClient, order_id: int, marker: str
    ) -> int | None:
        memos = await self._search(
            client, "creditmemos", [("order_id", str(order_id), "eq")], CreditMemo, "creditmemo"
        )
        for memo in memos:
            comments = memo.comments
            if comments is None:
                listing = await self._get(client, f"creditmemo/{memo.entity_id}/comments")
                endpoint = "GET creditmemo/{id}/comments"
                items = listing.get("items") if isinstance(listing, dict) else None
                if not isinstance(items, list):
                    raise MagentoResponseError(
                        "expected a list of comments", endpoint=endpoint, path="$.items"
                    )
                comments = tuple(
                    read(
                        item,
                        CreditMemoComment,
                        what="credit memo comment",
                        endpoint=endpoint,
                        path=f"$.items[{index}]",
                    )
                    for index, item in enumerate(items)
                )
            if any(_carries_marker(comment.comment, marker) for comment in comments):
                return memo.entity_id
        return None


@attrs.define
class _Lease:
    """One event loop's HTTP client, its users, and a lock per external ID being written."""

    client: httpx.AsyncClient
    users: int = 0
    locks: dict[str, asyncio.Lock] = attrs.field(factory=dict)

    def lock(self, external_id: str) -> asyncio.Lock:
        """The external ID's lock; locks live as long as the lease (one busy pass at most)."""
        return self.locks.setdefault(external_id, asyncio.Lock())


@attrs.frozen
class _OrderHead:
    entity_id: int


def _top_level(order: Order) -> tuple[OrderItem, ...]:
    # Configurable and bundle children are refunded through their parent line.
    return tuple(item for item in order.items if item.parent_item_id is None)


def _item_value(item: OrderItem, qty: Decimal, currency: rc.Currency) -> Decimal:
    """What Magento credits for ``qty`` of ``item``: price, plus its tax share, minus discount.

    Tax and discount are shared by quantity and rounded half up to the currency's minor unit,
    as Magento's credit memo totals do.
    """
    if qty == 0 or item.qty_ordered == 0:
        return Decimal(0)
    quantum = currency.quantum

    def share(total: Decimal) -> Decimal:
        return _WORK.divide(_WORK.multiply(total, qty), item.qty_ordered).quantize(
            quantum, rounding=decimal.ROUND_HALF_UP
        )

    row = _WORK.multiply(item.price, qty).quantize(quantum, rounding=decimal.ROUND_HALF_UP)
    return row + share(item.tax_amount) - share(item.discount_amount)


def _as_int(value: object, *, endpoint: str, path: str) -> int:
    """A whole number Magento sent as a number or a string (an ID, a count); typed if not one."""
    number: Decimal | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value)
    elif isinstance(value, str | Decimal):
        with contextlib.suppress(decimal.InvalidOperation, ValueError):
            number = Decimal(value)
    if (
        number is None
        or not number.is_finite()
        or number != number.to_integral_value()
        or abs(number) >= MAX_NUMBER
    ):
        raise MagentoResponseError(
            f"expected a whole number, got {value!r}"[:200], endpoint=endpoint, path=path
        )
    return int(number)


def _template(path: str) -> str:
    """``order/12/refund`` -> ``order/{id}/refund``: the endpoint's name without its IDs."""
    return "/".join("{id}" if part.isdigit() else part for part in path.split("/"))


def _refused_before_it_ran(response: httpx.Response) -> RetryAdvice:
    """Retry a refund POST only when Magento refused it unprocessed (429, after Retry-After)."""
    if response.status_code == 429:
        return RetryAdvice(retry=True, delay_s=retry_after_seconds(response))
    return RetryAdvice(retry=False)


def _json_or_raise(response: httpx.Response, endpoint: str) -> Any:
    if response.status_code == 200:
        return loads(response.content, endpoint=endpoint, status=response.status_code)
    raise _upstream_error(response)


def _upstream_error(response: httpx.Response) -> UpstreamError:
    """Magento's error body (``message`` with ``%1`` placeholders and ``parameters``) as ours."""
    status = response.status_code
    message = f"HTTP {status} {response.reason_phrase}".strip()
    code: str | None = None
    try:
        body = loads(response.content)
    except MagentoResponseError:
        body = None  # not Magento's JSON: the status says enough
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        message = render_message(body["message"], body.get("parameters"))
        details = [
            render_message(error["message"], error.get("parameters"))
            for error in body.get("errors") or []
            if isinstance(error, dict) and isinstance(error.get("message"), str)
        ]
        if details:
            message += " (" + "; ".join(details) + ")"
        if isinstance(body.get("code"), int):
            code = str(body["code"])
    kind: type[UpstreamError]
    if status in (401, 403):
        kind = UpstreamAuthError
    elif status == 404:
        kind = UpstreamNotFoundError
    elif status == 429 or status >= 500:
        kind = UpstreamUnavailableError
    else:
        kind = UpstreamRejectedError
    return kind(message, service=SERVICE, status=status, code=code)
