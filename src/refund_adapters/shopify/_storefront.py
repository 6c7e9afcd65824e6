"""Outgoing refunds to Shopify (NSC-7) and the gift-card part as store credit (NSC-8).

One ``issue_refund`` is: read the order (every line item, transaction and earlier refund); if an
earlier refund's note carries our key, that refund *is* this action (``created=False``); map our
lines (which name the order line by GID, numeric ID or SKU) to line item IDs; ask
``suggestedRefund`` what Shopify would refund and refuse when ours is more; split the amount over
the original sale/capture transactions that are not gift cards; then ``refundCreate`` with
``@idempotent(key:)``.

**Decision (ours):** repeats are recognised two ways. Within one call, a write whose response was
lost is sent again with the same idempotency key, and Shopify answers with the first result.
Across calls (a crash, an engine retry), the key is also written into the refund's ``note``, and
the order's refunds are checked for it before anything is written: Shopify does not say whether
an ``@idempotent`` answer was a replay, so the note is what makes ``WriteReceipt.created``
truthful.

**A failed attempt.** Shopify answers ``IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED`` when an earlier
request with the key failed inside Shopify, and documents the way out: "Retry with a new
idempotency key". The key is derived, never random: attempt *n* > 1 uses
``idempotency_key(external_id, n)`` (the first key plus ``#n``). Before each attempt the order
is read again and checked for the marker of *every* attempt, so a refund made by any of them is
found and nothing is written twice; after :data:`MAX_ATTEMPTS` failed keys the action stops with
an error naming them.
"""

from __future__ import annotations

import enum
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs

import refund_core as rc

from .._http import UpstreamNotFoundError, UpstreamRejectedError
from . import _queries as q
from ._client import PREVIOUS_ATTEMPT_FAILED, SERVICE, ShopifyAdminClient, user_errors
from ._wire import (
    GIFT_CARD_GATEWAYS,
    IncompleteListError,
    MalformedResponseError,
    WireLineItem,
    WireOrder,
    WireTransaction,
    gid_tail,
    pages,
    read_line_items,
    read_order,
    read_refund_refs,
    read_suggestion,
    read_transactions,
)

__all__ = [
    "MAX_ATTEMPTS",
    "LineNotOnOrderError",
    "RestockType",
    "ShopifyOverRefundError",
    "ShopifyStorefront",
    "idempotency_key",
]

log = logging.getLogger("refund_sync.shopify")

_KEY_PREFIX = "refund-sync:"
_MAX_KEY = 200
_ORDER_GID = "gid://shopify/Order/"
#: Idempotency keys one action may use, each after Shopify said the one before it failed.
MAX_ATTEMPTS = 5
_PAID_KINDS = frozenset({"SALE", "CAPTURE"})


class RestockType(enum.StrEnum):
    """Shopify's ``RefundLineItemRestockType`` values accepted on create."""

    NO_RESTOCK = "NO_RESTOCK"
    RETURN = "RETURN"
    CANCEL = "CANCEL"


class ShopifyOverRefundError(rc.OverRefundError):
    """Our refund asks for more than Shopify says is refundable; nothing was written."""

    def __init__(
        self,
        *,
        order: str,
        what: str,
        requested: rc.Money,
        refundable: rc.Money,
        refunded: rc.Money,
    ) -> None:
        super().__init__(
            target=f"Shopify order {order}",
            requested=requested,
            ceiling=refundable,
            already_refunded=refunded,
            remaining=refundable,
        )
        message = (
            f"over-refund on Shopify order {order}: asked to refund {requested}, but {what} is "
            f"only {refundable} ({refunded} already refunded)"
        )
        self.args = (message,)


class LineNotOnOrderError(rc.InvalidInputError):
    """A refund line names an order line the Shopify order does not have (or not enough of)."""


def idempotency_key(external_id: str, attempt: int = 1) -> str:
    """The ``@idempotent`` key (and note marker) of an action: ``refund-sync:<external ID>``.

    Deterministic (IDM-1); an external ID too long for a key is replaced by its SHA-256. Attempt
    ``n`` > 1 (after Shopify said the previous key's attempt failed) adds ``#n``.
    """
    if not 1 <= attempt <= MAX_ATTEMPTS:
        raise rc.InvalidInputError(f"attempt must be 1 to {MAX_ATTEMPTS}, got {attempt}")
    suffix = f"#{attempt}" if attempt > 1 else ""
    key = f"{_KEY_PREFIX}{external_id}"
    if len(key) + len(suffix) > _MAX_KEY:
        key = _KEY_PREFIX + hashlib.sha256(external_id.encode("utf-8")).hexdigest()
    return key + suffix


def _attempt_keys(external_id: str) -> tuple[str, ...]:
    return tuple(idempotency_key(external_id, n) for n in range(1, MAX_ATTEMPTS + 1))


def _money_input(money: rc.Money) -> dict[str, str]:
    return {"amount": str(money.amount), "currencyCode": money.currency.code}


class ShopifyStorefront:
    """A :class:`refund_core.Storefront` over one shop's Admin GraphQL API.

    ``restock_type`` and ``location_id`` say whether refunded items go back to stock (``RETURN``
    and ``CANCEL`` need a location). ``store_credit`` declares whether the shop can take store
    credit refunds (new customer accounts on, orders with customers); it is what the storefront's
    capabilities report.
    """

    def __init__(
        self,
        client: ShopifyAdminClient,
        *,
        name: str = "shopify",
        store_credit: bool = False,
        restock_type: RestockType | str = RestockType.NO_RESTOCK,
        location_id: str | None = None,
        notify_customer: bool = False,
    ) -> None:
        restock_type = RestockType(restock_type)
        if restock_type is not RestockType.NO_RESTOCK and not location_id:
            raise rc.ConfigurationError(f"restock type {restock_type} needs a location ID")
        self._client = client
        self._capabilities = rc.StorefrontCapabilities(
            name, rc.StorefrontKind.CART, supports_store_credit=store_credit
        )
        self._restock_type = restock_type
        self._location_id = location_id if restock_type is not RestockType.NO_RESTOCK else None
        self._notify = notify_customer

    @property
    def client(self) -> ShopifyAdminClient:
        """The Admin API client it talks through (the doctor checks the shop with it)."""
        return self._client

    def __repr__(self) -> str:
        return f"ShopifyStorefront({self._client!r}, store_credit={self.store_credit})"

    @property
    def store_credit(self) -> bool:
        """Whether store credit refunds are configured."""
        return self._capabilities.supports_store_credit

    @property
    def capabilities(self) -> rc.StorefrontCapabilities:
        """Name, kind CART, and store-credit support as configured."""
        return self._capabilities

    # -- reading ------------------------------------------------------------------------------

    async def load_order(self, order_ref: str) -> WireOrder:
        """The order named by GID, numeric ID or name (``#1001``), with every line and refund.

        A reference of digits only is tried as the numeric ID first, then as the name.
        """
        order: WireOrder | None = None
        if order_ref.startswith(_ORDER_GID) or order_ref.isdigit():
            gid = order_ref if order_ref.startswith(_ORDER_GID) else f"{_ORDER_GID}{order_ref}"
            data = await self._client.execute(
                q.ORDER_BY_ID, {"id": gid}, operation="RefundSyncOrder"
            )
            raw = data.get("order")
            if raw is not None:
                order = read_order(raw, "data.order")
            elif order_ref.startswith(_ORDER_GID):
                raise UpstreamNotFoundError(f"order {order_ref} not found", service=SERVICE)
        if order is None:
            order = await self._order_by_name(order_ref)
        return await self._complete(order)

    async def _order_by_name(self, order_ref: str) -> WireOrder:
        name = order_ref if order_ref.startswith("#") else f"#{order_ref}"
        data = await self._client.execute(
            q.ORDER_BY_NAME, {"query": f"name:'{name}'"}, operation="RefundSyncOrderByName"
        )
        orders = data.get("orders")
        nodes = orders.get("nodes") if isinstance(orders, Mapping) else None
        if not isinstance(nodes, list):
            raise MalformedResponseError("data.orders.nodes", "expected a list")
        if len(nodes) != 1:
            found = "no order" if not nodes else "more than one order"
            tried = " (nor with that numeric ID)" if order_ref.isdigit() else ""
            raise UpstreamNotFoundError(f"{found} named {name}{tried}", service=SERVICE)
        return read_order(nodes[0], "data.orders.nodes[0]")

    async def _order_part(self, document: str, order: WireOrder, operation: str) -> Any:
        data = await self._client.execute(document, {"id": order.id}, operation=operation)
        raw = data.get("order")
        if raw is None:
            raise UpstreamNotFoundError(f"order {order.name} not found", service=SERVICE)
        return raw

    async def _complete(self, order: WireOrder) -> WireOrder:
        """Read the rest of whatever the first look at the order could not hold."""
        lines = list(order.line_items)
        cursor = order.more_line_items
        budget = pages(f"order {order.name}")
        while cursor is not None:
            next(budget)
            data = await self._client.execute(
                q.ORDER_LINE_ITEMS,
                {"id": order.id, "after": cursor},
                operation="RefundSyncOrderLineItems",
            )
            raw = data.get("order")
            if raw is None:
                raise UpstreamNotFoundError(f"order {order.name} not found", service=SERVICE)
            page, cursor = read_line_items(raw, "data.order")
            lines.extend(page)
        refunds = order.refunds
        if len(refunds) >= q.FIRST_LOOK:
            raw = await self._order_part(q.ORDER_REFUNDS, order, "RefundSyncOrderRefunds")
            refunds = read_refund_refs(raw, "data.order")
            if len(refunds) >= q.LIST_MAX:
                raise IncompleteListError(f"refunds of Shopify order {order.name}", q.LIST_MAX)
        transactions = order.transactions
        if len(transactions) >= q.FIRST_LOOK:
            raw = await self._order_part(q.ORDER_TRANSACTIONS, order, "RefundSyncOrderTransactions")
            transactions = read_transactions(raw, "data.order")
            if len(transactions) >= q.LIST_MAX:
                raise IncompleteListError(f"transactions of Shopify order {order.name}", q.LIST_MAX)
        return attrs.evolve(
            order,
            line_items=tuple(lines),
            refunds=refunds,
            transactions=transactions,
            more_line_items=None,
        )

    async def _suggest(
        self,
        order: WireOrder,
        *,
        lines: list[dict[str, Any]] | None = None,
        shipping: rc.Money | None = None,
        full: bool = False,
        allocation: str = "ORIGINAL_PAYMENT_METHODS",
    ) -> Any:
        variables = {
            "id": order.id,
            "refundLineItems": lines or None,
            "shippingAmount": str(shipping.amount) if shipping is not None else None,
            "suggestFullRefund": full,
            "allocation": allocation,
        }
        data = await self._client.execute(
            q.SUGGESTED_REFUND, variables, operation="RefundSyncSuggestedRefund"
        )
        raw = data.get("order")
        if raw is None:
            raise UpstreamNotFoundError(f"order {order.name} not found", service=SERVICE)
        return read_suggestion(raw, "data.order")

    @staticmethod
    def _existing(order: WireOrder, keys: tuple[str, ...]) -> str | None:
        """The refund whose note carries the marker of any attempt of this action."""
        for refund in order.refunds:
            if not set(keys).isdisjoint(refund.note.split()):
                return refund.id
        return None

    @staticmethod
    def _check_currency(order: WireOrder, amount: rc.Money) -> None:
        # Refund amounts are in the order's presentment currency (the customer's), which is the
        # currency the order was imported into NetSuite with.
        if amount.currency.code != order.presentment_currency:
            raise rc.CurrencyMismatchError(
                f"refund of {amount} against Shopify order {order.name}, which was paid in "
                f"{order.presentment_currency} (shop currency {order.shop_currency})"
            )

    # -- line and transaction mapping ---------------------------------------------------------

    def _line_item(self, order: WireOrder, ref: str, quantity: int | None) -> WireLineItem:
        by_id = [item for item in order.line_items if ref in (item.id, gid_tail(item.id))]
        if by_id:
            return by_id[0]
        by_sku = [item for item in order.line_items if item.sku == ref]
        if not by_sku:
            raise LineNotOnOrderError(
                f"Shopify order {order.name} has no line item with ID or SKU {ref!r}"
            )
        wanted = quantity or 1
        fitting = [item for item in by_sku if item.refundable_quantity >= wanted]
        return (fitting or by_sku)[0]

    def _refund_lines(
        self, order: WireOrder, lines: tuple[rc.StorefrontRefundLine, ...]
    ) -> list[dict[str, Any]]:
        quantities: dict[str, int] = {}
        items: dict[str, WireLineItem] = {}
        for line in lines:
            quantity: int | None = None
            if line.quantity is not None:
                if line.quantity != line.quantity.to_integral_value() or line.quantity <= 0:
                    raise LineNotOnOrderError(
                        f"line {line.order_line_ref}: Shopify refunds whole units, "
                        f"not {line.quantity}"
                    )
                quantity = int(line.quantity)
            item = self._line_item(order, line.order_line_ref, quantity)
            items[item.id] = item
            # No quantity named: the whole line, as much of it as is still refundable.
            quantities[item.id] = quantities.get(item.id, 0) + (
                quantity if quantity is not None else item.refundable_quantity
            )
        built = []
        for item_id, quantity in quantities.items():
            item = items[item_id]
            if quantity < 1 or quantity > item.refundable_quantity:
                raise LineNotOnOrderError(
                    f"Shopify order {order.name} line {item.id} (SKU {item.sku}): asked to refund "
                    f"{quantity}, but {item.refundable_quantity} of {item.quantity} are refundable"
                )
            entry: dict[str, Any] = {
                "lineItemId": item_id,
                "quantity": quantity,
                "restockType": self._restock_type.value,
            }
            if self._location_id is not None:
                entry["locationId"] = self._location_id
            built.append(entry)
        return built

    @staticmethod
    def _transactions(order: WireOrder, amount: rc.Money) -> list[dict[str, Any]]:
        """Split ``amount`` over the paid transactions that are not gift cards, oldest first."""
        refunded: dict[str, rc.Money] = {}
        for tx in order.transactions:
            if tx.kind == "REFUND" and tx.status in ("SUCCESS", "PENDING") and tx.parent_id:
                before = refunded.get(tx.parent_id, rc.Money.zero(tx.amount.currency))
                refunded[tx.parent_id] = before + tx.amount
        parents: list[tuple[WireTransaction, rc.Money]] = []
        for tx in order.transactions:
            if (
                tx.kind in _PAID_KINDS
                and tx.status == "SUCCESS"
                and tx.gateway not in GIFT_CARD_GATEWAYS
            ):
                left = tx.amount - refunded.get(tx.id, rc.Money.zero(tx.amount.currency))
                if left.is_positive:
                    parents.append((tx, left))
        capacity = rc.sum_money((left for _, left in parents), amount.currency)
        if amount > capacity:
            refunded_total = rc.sum_money(refunded.values(), amount.currency)
            raise ShopifyOverRefundError(
                order=order.name,
                what="what its payment methods (other than gift cards) can still refund",
                requested=amount,
                refundable=capacity,
                refunded=refunded_total,
            )
        built: list[dict[str, Any]] = []
        rest = amount
        for tx, left in parents:
            if not rest.is_positive:
                break
            part = rest.min(left)
            built.append(
                {
                    "orderId": order.id,
                    "parentId": tx.id,
                    "gateway": tx.gateway,
                    "kind": "REFUND",
                    "amount": str(part.amount),
                }
            )
            rest = rest - part
        return built

    # -- writing ------------------------------------------------------------------------------

    async def _create(self, input_: Mapping[str, Any], key: str) -> str:
        data = await self._client.execute(
            q.REFUND_CREATE,
            {"input": input_, "idempotencyKey": key},
            operation="RefundSyncRefundCreate",
        )
        payload = data.get("refundCreate")
        if not isinstance(payload, Mapping):
            raise MalformedResponseError("data.refundCreate", "missing")
        user_errors(payload, "refundCreate")  # typed, also when userErrors is malformed
        refund = payload.get("refund")
        refund_id = refund.get("id") if isinstance(refund, Mapping) else None
        if not isinstance(refund_id, str) or not refund_id:
            raise MalformedResponseError("data.refundCreate.refund.id", "missing")
        return refund_id

    def _base_input(self, order: WireOrder, key: str, note: str) -> dict[str, Any]:
        input_: dict[str, Any] = {"orderId": order.id, "note": f"{key} {note}"}
        if order.presentment_currency != order.shop_currency:
            # Required by Shopify when the customer paid in another currency than the shop's.
            input_["currency"] = order.presentment_currency
        input_["notify"] = self._notify
        return input_

    async def _issue(
        self,
        external_id: str,
        order_ref: str,
        build: Callable[[WireOrder, str], Awaitable[dict[str, Any]]],
    ) -> rc.WriteReceipt:
        """Write once per external ID: find an earlier refund by marker, else create one.

        ``build(order, key)`` checks the order and returns the ``RefundInput``. A key Shopify
        reports as burned by a failed attempt is followed by the next attempt's key, after the
        order has been read again and holds no refund of any attempt.
        """
        keys = _attempt_keys(external_id)
        order: WireOrder | None = None
        for attempt, key in enumerate(keys, start=1):
            order = await self.load_order(order_ref)
            existing = self._existing(order, keys)
            if existing is not None:
                return rc.WriteReceipt(external_id, existing, created=False)
            input_ = await build(order, key)
            try:
                refund_id = await self._create(input_, key)
            except UpstreamRejectedError as exc:
                if exc.code != PREVIOUS_ATTEMPT_FAILED:
                    raise
                log.warning(
                    "shopify: attempt %d for order %s failed earlier at Shopify; "
                    "re-reading the order before the next key",
                    attempt,
                    order.name,
                )
                continue
            return rc.WriteReceipt(external_id, refund_id, created=True)
        where = order.name if order is not None else order_ref
        raise UpstreamRejectedError(
            f"refundCreate for {external_id} on order {where}: Shopify reports that the attempts "
            f"with all {len(keys)} keys ({keys[0]} to {keys[-1]}) failed, and the order holds no "
            "refund carrying any of them; nothing was written, see the order in Shopify",
            service=SERVICE,
            code=PREVIOUS_ATTEMPT_FAILED,
        )

    async def issue_refund(self, action: rc.IssueStorefrontRefund) -> rc.WriteReceipt:
        """Refund the payment methods of the order once per external ID (NSC-7)."""

        async def build(order: WireOrder, key: str) -> dict[str, Any]:
            self._check_currency(order, action.amount)
            self._check_currency(order, action.shipping)
            lines = self._refund_lines(order, action.lines)
            shipping = action.shipping if action.shipping.is_positive else None
            suggestion = await self._suggest(order, lines=lines, shipping=shipping)
            if action.amount > suggestion.maximum_refundable:
                raise ShopifyOverRefundError(
                    order=order.name,
                    what="the most Shopify suggests as refundable",
                    requested=action.amount,
                    refundable=suggestion.maximum_refundable,
                    refunded=suggestion.total_refunded,
                )
            if (lines or shipping is not None) and action.amount > suggestion.amount:
                raise ShopifyOverRefundError(
                    order=order.name,
                    what="what Shopify suggests for these lines and shipping",
                    requested=action.amount,
                    refundable=suggestion.amount,
                    refunded=suggestion.total_refunded,
                )
            input_ = self._base_input(order, key, f"NetSuite {action.record}")
            if lines:
                input_["refundLineItems"] = lines
            if shipping is not None:
                input_["shipping"] = {"amount": str(shipping.amount)}
            if action.amount.is_positive:
                input_["transactions"] = self._transactions(order, action.amount)
            return input_

        return await self._issue(action.external_id, action.order_ref, build)

    async def issue_store_credit(self, action: rc.IssueStoreCredit) -> rc.WriteReceipt:
        """Refund ``amount`` to the order's customer as store credit, once per external ID."""
        if not self.store_credit:
            raise rc.ConfigurationError(
                f"{self._capabilities.name} is not configured for store credit refunds"
            )

        async def build(order: WireOrder, key: str) -> dict[str, Any]:
            self._check_currency(order, action.amount)
            suggestion = await self._suggest(order, full=True, allocation="STORE_CREDIT")
            if action.amount > suggestion.maximum_refundable:
                raise ShopifyOverRefundError(
                    order=order.name,
                    what="the most Shopify suggests as refundable",
                    requested=action.amount,
                    refundable=suggestion.maximum_refundable,
                    refunded=suggestion.total_refunded,
                )
            input_ = self._base_input(order, key, "gift-card part as store credit (NSC-8)")
            input_["refundMethods"] = [
                {"storeCreditRefund": {"amount": _money_input(action.amount)}}
            ]
            return input_

        return await self._issue(action.external_id, action.order_ref, build)
