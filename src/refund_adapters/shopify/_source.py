"""Shopify refunds as incoming events, for accounts that sync refunds made in Shopify.

Shopify has no "refunds since" listing: a refund updates its order, so the source scans orders
updated at or after the time asked (``orders(sortKey: UPDATED_AT, query: "updated_at:>=...")``),
collects their refunds created at or after it, and orders them by (created time, refund ID).
A page token is the position of the last event handed out, so pages are stable and gap-free
even when several refunds share an instant; the next scan starts from that time. Only the
refunds of the page are then read in full (lines, shipping, transactions), one query each, which
keeps every query far below Shopify's cost ceiling. An order whose first look at its refunds
comes back full is read again with the larger limit, and a refund's lines, shipping lines and
transactions are paged to the end: no refund, line or transaction is dropped for not fitting.

Each refund becomes a :class:`refund_core.RefundEvent` in the presentment currency: its
amount is ``totalRefundedSet``; lines name the order line by its numeric ID and carry their
tax; what lines and shipping do not explain (order adjustments) is the signed ``adjustment``;
tenders split the money by gateway (``gift_card`` vs the rest) when the refund's successful
transactions add up to the amount. Refunds that moved no money are not events.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs

import refund_core as rc

from .._decode import decoding, unreadable_item
from .._http import UpstreamRejectedError
from . import _queries as q
from ._client import SERVICE, ShopifyAdminClient
from ._wire import (
    GIFT_CARD_GATEWAYS,
    GRAPHQL,
    IncompleteListError,
    MalformedResponseError,
    WireRefundDetail,
    gid_tail,
    pages,
    read_refund_detail,
    read_refund_lines,
    read_refund_shipping,
    read_refund_transactions,
)

__all__ = ["ShopifyRefundSource"]

_ORDER_PAGE = 50


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_time(text: str, where: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise MalformedResponseError(where, f"not a date-time: {text!r}") from None
    if value.tzinfo is None:
        raise MalformedResponseError(where, f"date-time without offset: {text!r}")
    return value


class ShopifyRefundSource:
    """A :class:`refund_core.RefundSource` of one shop's order refunds, oldest first."""

    def __init__(self, client: ShopifyAdminClient, *, name: str = "shopify") -> None:
        self._client = client
        self._name = name

    @property
    def client(self) -> ShopifyAdminClient:
        """The Admin API client it talks through (the doctor checks the shop with it)."""
        return self._client

    def __repr__(self) -> str:
        return f"ShopifyRefundSource({self._client!r}, name={self._name!r})"

    @property
    def name(self) -> str:
        """The source's name in event keys."""
        return self._name

    async def _refund_refs(self, since: datetime) -> list[tuple[datetime, str]]:
        """(created time, refund GID) of every refund created at or after ``since``."""
        found: dict[str, datetime] = {}
        after: str | None = None
        query = f"updated_at:>='{_stamp(since)}'"
        for _ in pages("orders with refunds"):
            data = await self._client.execute(
                q.ORDERS_WITH_REFUNDS,
                {"first": _ORDER_PAGE, "after": after, "query": query},
                operation="RefundSyncOrdersWithRefunds",
            )
            orders = data.get("orders")
            if not isinstance(orders, Mapping):
                raise MalformedResponseError("data.orders", "missing")
            nodes = orders.get("nodes")
            if not isinstance(nodes, list):
                raise MalformedResponseError("data.orders.nodes", "expected a list")
            for n, order in enumerate(nodes):
                base = f"data.orders.nodes[{n}]"
                refunds = order.get("refunds") if isinstance(order, Mapping) else None
                if not isinstance(refunds, list):
                    raise MalformedResponseError(f"{base}.refunds", "missing")
                if len(refunds) >= q.FIRST_LOOK:
                    # The first look came back full: more may exist; read them all (or fail).
                    base, refunds = "data.order", await self._all_refunds(order, base)
                for m, refund in enumerate(refunds):
                    where = f"{base}.refunds[{m}]"
                    refund_id = refund.get("id") if isinstance(refund, Mapping) else None
                    created = refund.get("createdAt") if isinstance(refund, Mapping) else None
                    if not isinstance(refund_id, str) or not isinstance(created, str):
                        raise MalformedResponseError(where, "expected id and createdAt")
                    moment = _parse_time(created, f"{where}.createdAt")
                    if moment >= since:
                        found[refund_id] = moment
            info = orders.get("pageInfo")
            if not isinstance(info, Mapping) or info.get("hasNextPage") is not True:
                break
            cursor = info.get("endCursor")
            if not isinstance(cursor, str) or not cursor or cursor == after:
                raise MalformedResponseError(
                    "data.orders.pageInfo.endCursor", "missing, or the one just used"
                )
            after = cursor
        return sorted(((moment, gid) for gid, moment in found.items()), key=_position)

    async def _all_refunds(self, order: Mapping[str, Any], where: str) -> list[Any]:
        """Every refund (ID and time) of an order whose first look at them came back full."""
        order_id = order.get("id")
        if not isinstance(order_id, str) or not order_id:
            raise MalformedResponseError(f"{where}.id", "missing")
        data = await self._client.execute(
            q.ORDER_REFUNDS, {"id": order_id}, operation="RefundSyncOrderRefunds"
        )
        raw = data.get("order")
        refunds = raw.get("refunds") if isinstance(raw, Mapping) else None
        if not isinstance(refunds, list):
            raise MalformedResponseError("data.order.refunds", "missing")
        if len(refunds) >= q.LIST_MAX:
            raise IncompleteListError(f"refunds of Shopify order {order_id}", q.LIST_MAX)
        return refunds

    async def list_events(
        self, *, since: datetime, page_token: str | None, limit: int
    ) -> rc.Page[rc.SourceEvent]:
        """Refunds created at or after ``since``, oldest first, ``limit`` at a time."""
        if limit < 1:
            raise rc.InvalidInputError(f"limit must be at least 1, got {limit}")
        after: tuple[datetime, str] | None = _decode_token(page_token) if page_token else None
        scan_from = max(since, after[0]) if after is not None else since
        refs = [
            ref
            for ref in await self._refund_refs(scan_from)
            if ref[0] >= since and (after is None or _position(ref) > _position(after))
        ]
        events: list[rc.SourceEvent] = []
        aside: list[rc.UnreadableItem] = []
        consumed = 0
        for moment, gid in refs:
            if len(events) + len(aside) == limit:
                break
            consumed += 1
            raw: object = None
            try:
                raw = await self._refund_answer(gid)
                event = await self._event_of(raw)
            except rc.ConfigurationError:
                raise
            except rc.InvalidInputError as exc:
                # This refund cannot be read: set it aside with what came, and go on.
                aside.append(
                    unreadable_item(
                        source=self._name, raw=raw, error=exc, event_id=gid_tail(gid), at=moment
                    )
                )
                continue
            if event is not None:
                events.append(event)
        last = refs[consumed - 1] if consumed else None
        more = consumed < len(refs)
        token = _encode_token(last) if more and last is not None else None
        return rc.Page(tuple(events), token, set_aside=tuple(aside))

    async def fetch_event(self, refund_id: str) -> rc.RefundEvent | None:
        """The event of one refund by GID, e.g. from a verified ``refunds/create`` webhook.

        None when the refund does not exist or moved no money.
        """
        return await self._event_of(await self._refund_answer(refund_id))

    async def _refund_answer(self, refund_id: str) -> object:
        """The refund as Shopify answers it (raw JSON: kept whole for setting it aside)."""
        data = await self._client.execute(
            q.REFUND_DETAIL, {"id": refund_id}, operation="RefundSyncRefund"
        )
        return data.get("refund")

    async def _event_of(self, raw: object) -> rc.RefundEvent | None:
        """The event of a refund's answer (read whole, every page), or None when none."""
        if raw is None:
            return None
        detail = await self._rest_of(read_refund_detail(raw, "data.refund"))
        with decoding(service=SERVICE, endpoint=GRAPHQL, path="$.data.refund"):
            return refund_event(detail, source=self._name)

    async def _page(self, document: str, operation: str, refund_id: str, after: str) -> Any:
        data = await self._client.execute(
            document, {"id": refund_id, "after": after}, operation=operation
        )
        raw = data.get("refund")
        if raw is None:
            raise MalformedResponseError("data.refund", f"refund {refund_id} vanished while paging")
        return raw

    async def _rest_of(self, detail: WireRefundDetail) -> WireRefundDetail:
        """The refund with every page of its lines, shipping lines and transactions."""
        lines = list(detail.lines)
        cursor = detail.more_lines
        budget = pages(f"refund {detail.id}")
        while cursor is not None:
            next(budget)
            raw = await self._page(q.REFUND_LINES_PAGE, "RefundSyncRefundLines", detail.id, cursor)
            page, cursor = read_refund_lines(raw, "data.refund")
            lines.extend(page)
        shipping = detail.shipping
        cursor = detail.more_shipping
        while cursor is not None:
            next(budget)
            raw = await self._page(
                q.REFUND_SHIPPING_PAGE, "RefundSyncRefundShipping", detail.id, cursor
            )
            part, cursor = read_refund_shipping(raw, "data.refund")
            if part is not None:
                shipping = part if shipping is None else shipping + part
        transactions = list(detail.transactions)
        cursor = detail.more_transactions
        while cursor is not None:
            next(budget)
            raw = await self._page(
                q.REFUND_TRANSACTIONS_PAGE, "RefundSyncRefundTransactions", detail.id, cursor
            )
            more, cursor = read_refund_transactions(raw, "data.refund")
            transactions.extend(more)
        return attrs.evolve(
            detail,
            lines=tuple(lines),
            shipping=shipping,
            transactions=tuple(transactions),
            more_lines=None,
            more_shipping=None,
            more_transactions=None,
        )


def _position(ref: tuple[datetime, str]) -> tuple[datetime, str]:
    # Numeric IDs sort as numbers would when equally long; length first keeps "9" before "10".
    tail = gid_tail(ref[1])
    return (ref[0], f"{len(tail):04d}{tail}")


def _encode_token(ref: tuple[datetime, str]) -> str:
    return f"{_stamp(ref[0])}|{ref[1]}"


def _decode_token(token: str) -> tuple[datetime, str]:
    stamp, sep, gid = token.partition("|")
    try:
        if not sep or not gid:
            raise ValueError(token)
        return (_parse_time(stamp, "page_token"), gid)
    except (ValueError, MalformedResponseError):
        raise UpstreamRejectedError(
            f"page token {token!r} is not one this source handed out", service=SERVICE
        ) from None


def refund_event(detail: WireRefundDetail, *, source: str = "shopify") -> rc.RefundEvent | None:
    """The incoming event of one Shopify refund, or None when it moved no money."""
    if not detail.total.is_positive:
        return None
    currency = detail.total.currency
    lines = tuple(
        rc.RefundLine(
            order_line_ref=gid_tail(line.line_item_id),
            quantity=Decimal(line.quantity) if line.quantity else None,
            amount=line.amount,
        )
        for line in detail.lines
        if line.amount.is_positive
    )
    shipping = (
        detail.shipping if detail.shipping is not None and detail.shipping.is_positive else None
    )
    adjustment: rc.Money | None = None
    if lines:
        explained = rc.sum_money((line.amount for line in lines), currency)
        if shipping is not None:
            explained = explained + shipping
        rest = detail.total - explained
        adjustment = rest if not rest.is_zero else None
    moving = [tx for tx in detail.transactions if tx.kind == "REFUND"]
    statuses = {tx.status for tx in moving}
    if not moving or statuses <= {"SUCCESS"}:
        status = rc.RefundStatus.SUCCEEDED
    elif statuses & {"PENDING", "AWAITING_RESPONSE", "UNKNOWN"}:
        status = rc.RefundStatus.PENDING
    elif "SUCCESS" in statuses:
        status = rc.RefundStatus.SUCCEEDED
    else:
        status = rc.RefundStatus.FAILED
    succeeded = [tx for tx in moving if tx.status == "SUCCESS"]
    tenders: tuple[rc.TenderPart, ...] = ()
    if succeeded:
        gift = rc.sum_money(
            (tx.amount for tx in succeeded if tx.gateway in GIFT_CARD_GATEWAYS), currency
        )
        paid = rc.sum_money(
            (tx.amount for tx in succeeded if tx.gateway not in GIFT_CARD_GATEWAYS), currency
        )
        if gift.is_positive and gift + paid == detail.total:
            tenders = tuple(
                rc.TenderPart(kind, amount)
                for kind, amount in (
                    (rc.TenderKind.PAYMENT_METHOD, paid),
                    (rc.TenderKind.GIFT_CARD, gift),
                )
                if amount.is_positive
            )
    payment = next(
        (tx.parent_id for tx in moving if tx.parent_id and tx.gateway not in GIFT_CARD_GATEWAYS),
        None,
    )
    return rc.RefundEvent(
        source=source,
        refund_id=gid_tail(detail.id),
        amount=detail.total,
        created_at=detail.created_at,
        status=status,
        payment_ref=gid_tail(payment) if payment else None,
        order_ref=detail.order_legacy_id,
        lines=lines,
        shipping=shipping,
        adjustment=adjustment,
        tenders=tenders,
    )
