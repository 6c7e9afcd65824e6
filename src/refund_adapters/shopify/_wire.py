"""Shopify's answers read into small vendor-shaped records, tolerant of fields we do not use.

Reading is strict about what the adapter relies on and says where a response is malformed by
its JSON path (``data.order.transactions[2].amountSet``), so a schema change upstream shows up as
a clear error rather than a wrong refund. Amounts come as decimal strings and become
:class:`refund_core.Money` in the presentment (customer's) currency, which is the currency of
the order in NetSuite and the one ``refundCreate`` takes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

import attrs

import refund_core as rc

from .._decode import UpstreamDataError, decoding
from .._http import UpstreamRejectedError
from ._client import SERVICE

__all__ = [
    "GIFT_CARD_GATEWAYS",
    "GRAPHQL",
    "MAX_PAGES",
    "IncompleteListError",
    "WireLineItem",
    "WireOrder",
    "WireRefundDetail",
    "WireRefundRef",
    "WireSuggestion",
    "WireTransaction",
    "gid_tail",
    "pages",
    "read_line_items",
    "read_order",
    "read_refund_detail",
    "read_refund_lines",
    "read_refund_refs",
    "read_refund_shipping",
    "read_refund_transactions",
    "read_suggestion",
    "read_transactions",
]

#: Gateways whose money is refunded as store credit (NSC-8), never back through a transaction,
#: and which incoming refunds report as the gift-card tender.
GIFT_CARD_GATEWAYS = frozenset({"gift_card"})


#: The endpoint every answer comes from (one GraphQL URL); the operation is named where known.
GRAPHQL = "POST graphql.json"

_P = ParamSpec("_P")
_T = TypeVar("_T")


class MalformedResponseError(UpstreamDataError):
    """A Shopify response lacks a field the adapter relies on, or holds the wrong kind of value.

    The Shopify form of :class:`refund_adapters._decode.UpstreamDataError`; ``path`` is the JSON
    path in the answer (``$.data.order.transactions[2].amountSet``).
    """

    def __init__(self, path: str, problem: str, *, endpoint: str = GRAPHQL) -> None:
        super().__init__(
            problem,
            service=SERVICE,
            endpoint=endpoint,
            path=path if path.startswith("$") else f"$.{path}",
        )


#: The most pages one connection is read through: a "hasNextPage" that never ends is malformed.
MAX_PAGES = 10_000


def pages(what: str) -> Iterator[int]:
    """Page numbers for reading ``what``; past :data:`MAX_PAGES` a typed error, never a loop."""
    yield from range(MAX_PAGES)
    raise MalformedResponseError(
        "$.pageInfo.hasNextPage", f"{what}: still a next page after {MAX_PAGES} pages"
    )


def _reader(read: Callable[_P, _T]) -> Callable[_P, _T]:
    """A reader of answers whose every bare data error leaves as an ``UpstreamDataError``."""

    @functools.wraps(read)
    def strict(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        path = args[1] if len(args) > 1 and isinstance(args[1], str) else "$"
        with decoding(service=SERVICE, endpoint=GRAPHQL, path=f"$.{path}"):
            return read(*args, **kwargs)

    return strict


class IncompleteListError(UpstreamRejectedError):
    """A list Shopify cannot hand over whole (``Order.refunds`` has no cursor): nothing is assumed.

    Raised instead of working from part of the list: a refund missing from it could be the one
    this action already made, or one an incoming sync must report.
    """

    def __init__(self, what: str, limit: int) -> None:
        self.what = what
        self.limit = limit
        super().__init__(
            f"{what}: Shopify returned {limit} items, the most one query can ask for, and this "
            "list cannot be paged; refusing to work from a list that may be incomplete",
            service=SERVICE,
        )


def gid_tail(gid: str) -> str:
    """The last segment of ``gid://shopify/Refund/123`` (``123``): Shopify's numeric ID."""
    return gid.rsplit("/", 1)[-1]


def _get(obj: Any, key: str, path: str) -> Any:
    if not isinstance(obj, Mapping):
        raise MalformedResponseError(path, "expected an object")
    if key not in obj:
        raise MalformedResponseError(f"{path}.{key}", "missing")
    return obj[key]


def _str(obj: Any, key: str, path: str) -> str:
    value = _get(obj, key, path)
    if not isinstance(value, str) or not value:
        raise MalformedResponseError(f"{path}.{key}", f"expected a non-empty string, got {value!r}")
    return value


def _opt_str(obj: Any, key: str, path: str) -> str | None:
    value = obj.get(key) if isinstance(obj, Mapping) else None
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedResponseError(f"{path}.{key}", f"expected a string, got {value!r}")
    return value


def _int(obj: Any, key: str, path: str) -> int:
    value = _get(obj, key, path)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedResponseError(f"{path}.{key}", f"expected an integer, got {value!r}")
    return value


def _list(obj: Any, key: str, path: str) -> Sequence[Any]:
    value = _get(obj, key, path)
    if not isinstance(value, list):
        raise MalformedResponseError(f"{path}.{key}", "expected a list")
    return value


def _nodes(obj: Any, key: str, path: str) -> Sequence[Any]:
    return _list(_get(obj, key, path), "nodes", f"{path}.{key}")


def _next_cursor(obj: Any, key: str, path: str) -> str | None:
    """The end cursor of the connection at ``obj[key]`` when it has a next page, else None."""
    where = f"{path}.{key}.pageInfo"
    info = _get(_get(obj, key, path), "pageInfo", f"{path}.{key}")
    more = _get(info, "hasNextPage", where)
    if not isinstance(more, bool):
        raise MalformedResponseError(f"{where}.hasNextPage", f"expected a boolean, got {more!r}")
    return _str(info, "endCursor", where) if more else None


def _time(obj: Any, key: str, path: str) -> datetime:
    text = _str(obj, key, path)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise MalformedResponseError(f"{path}.{key}", f"not a date-time: {text!r}") from None
    if value.tzinfo is None:
        raise MalformedResponseError(f"{path}.{key}", f"date-time without offset: {text!r}")
    return value


def _money(obj: Any, key: str, path: str) -> rc.Money:
    """The presentment amount of the MoneyBag at ``obj[key]``."""
    where = f"{path}.{key}.presentmentMoney"
    money = _get(_get(obj, key, path), "presentmentMoney", f"{path}.{key}")
    amount = _get(money, "amount", where)
    currency = _str(money, "currencyCode", where)
    if isinstance(amount, bool) or not isinstance(amount, str | int):
        # MoneyV2.amount is a Decimal scalar, sent as a string: anything else is no amount.
        raise MalformedResponseError(
            f"{where}.amount", f"expected a decimal string, got {amount!r}"
        )
    try:
        return rc.Money.of(str(amount), currency)
    except rc.InvalidInputError as exc:
        raise MalformedResponseError(where, str(exc)) from None


@attrs.frozen
class WireLineItem:
    """An order's line item: its GID, SKU and how many can still be refunded."""

    id: str
    sku: str | None
    quantity: int
    refundable_quantity: int


@attrs.frozen
class WireTransaction:
    """An order transaction (sale, capture, refund ...) in presentment currency."""

    id: str
    kind: str
    status: str
    gateway: str
    parent_id: str | None
    amount: rc.Money


@attrs.frozen
class WireRefundRef:
    """An earlier refund of the order: its GID, note (carries our key) and time."""

    id: str
    note: str
    created_at: datetime | None


@attrs.frozen
class WireOrder:
    """An order as the refund needs it."""

    id: str
    name: str
    shop_currency: str
    presentment_currency: str
    customer_id: str | None
    line_items: tuple[WireLineItem, ...]
    transactions: tuple[WireTransaction, ...]
    refunds: tuple[WireRefundRef, ...]
    #: The cursor after the last line item read, when the order has more (else None).
    more_line_items: str | None = None


def _transaction(raw: Any, path: str) -> WireTransaction:
    parent = raw.get("parentTransaction") if isinstance(raw, Mapping) else None
    return WireTransaction(
        id=_str(raw, "id", path),
        kind=_str(raw, "kind", path),
        status=_str(raw, "status", path),
        gateway=_opt_str(raw, "gateway", path) or "",
        parent_id=_str(parent, "id", f"{path}.parentTransaction") if parent else None,
        amount=_money(raw, "amountSet", path),
    )


@_reader
def read_line_items(raw: Any, path: str) -> tuple[tuple[WireLineItem, ...], str | None]:
    """The ``lineItems`` page of the order at ``path`` and the cursor of the next one, if any."""
    lines = tuple(
        WireLineItem(
            id=_str(item, "id", f"{path}.lineItems.nodes[{n}]"),
            sku=_opt_str(item, "sku", f"{path}.lineItems.nodes[{n}]"),
            quantity=_int(item, "quantity", f"{path}.lineItems.nodes[{n}]"),
            refundable_quantity=_int(item, "refundableQuantity", f"{path}.lineItems.nodes[{n}]"),
        )
        for n, item in enumerate(_nodes(raw, "lineItems", path))
    )
    return lines, _next_cursor(raw, "lineItems", path)


@_reader
def read_transactions(raw: Any, path: str) -> tuple[WireTransaction, ...]:
    """The ``transactions`` list of the order at ``path``."""
    return tuple(
        _transaction(item, f"{path}.transactions[{n}]")
        for n, item in enumerate(_list(raw, "transactions", path))
    )


@_reader
def read_refund_refs(raw: Any, path: str) -> tuple[WireRefundRef, ...]:
    """The ``refunds`` list of the order at ``path``."""
    return tuple(
        WireRefundRef(
            id=_str(item, "id", f"{path}.refunds[{n}]"),
            note=_opt_str(item, "note", f"{path}.refunds[{n}]") or "",
            created_at=(
                _time(item, "createdAt", f"{path}.refunds[{n}]")
                if isinstance(item, Mapping) and item.get("createdAt")
                else None
            ),
        )
        for n, item in enumerate(_list(raw, "refunds", path))
    )


@_reader
def read_order(raw: Any, path: str) -> WireOrder:
    """Read the ``RefundSyncOrderFields`` fragment at ``path``."""
    customer = raw.get("customer") if isinstance(raw, Mapping) else None
    lines, more = read_line_items(raw, path)
    return WireOrder(
        id=_str(raw, "id", path),
        name=_str(raw, "name", path),
        shop_currency=_str(raw, "currencyCode", path),
        presentment_currency=_str(raw, "presentmentCurrencyCode", path),
        customer_id=_str(customer, "id", f"{path}.customer") if customer else None,
        line_items=lines,
        transactions=read_transactions(raw, path),
        refunds=read_refund_refs(raw, path),
        more_line_items=more,
    )


@attrs.frozen
class WireSuggestion:
    """What ``suggestedRefund`` says: the amount for the lines asked, and the most refundable."""

    amount: rc.Money
    maximum_refundable: rc.Money
    total_refunded: rc.Money


@_reader
def read_suggestion(raw: Any, path: str) -> WireSuggestion:
    """Read the ``order`` of the suggested-refund query at ``path``."""
    suggested = _get(raw, "suggestedRefund", path)
    where = f"{path}.suggestedRefund"
    if suggested is None:
        raise MalformedResponseError(where, "Shopify suggested no refund for this order")
    return WireSuggestion(
        amount=_money(suggested, "amountSet", where),
        maximum_refundable=_money(suggested, "maximumRefundableSet", where),
        total_refunded=_money(raw, "totalRefundedSet", path),
    )


@attrs.frozen
class WireRefundLine:
    """A refunded line: the order line's GID and SKU, quantity, and amount with tax."""

    line_item_id: str
    sku: str | None
    quantity: int
    amount: rc.Money


@attrs.frozen
class WireRefundDetail:
    """A refund as the refund source reports it.

    The ``more_*`` cursors say where the refund's lines, shipping lines and transactions go on
    when the first page did not hold them all (None: nothing more).
    """

    id: str
    created_at: datetime
    order_id: str
    order_legacy_id: str
    total: rc.Money
    lines: tuple[WireRefundLine, ...]
    shipping: rc.Money | None
    transactions: tuple[WireTransaction, ...]
    more_lines: str | None = None
    more_shipping: str | None = None
    more_transactions: str | None = None


@_reader
def read_refund_lines(raw: Any, path: str) -> tuple[tuple[WireRefundLine, ...], str | None]:
    """The ``refundLineItems`` page of the refund at ``path`` and the next page's cursor."""
    lines = []
    for n, item in enumerate(_nodes(raw, "refundLineItems", path)):
        where = f"{path}.refundLineItems.nodes[{n}]"
        line_item = _get(item, "lineItem", where)
        lines.append(
            WireRefundLine(
                line_item_id=_str(line_item, "id", f"{where}.lineItem"),
                sku=_opt_str(line_item, "sku", f"{where}.lineItem"),
                quantity=_int(item, "quantity", where),
                amount=_money(item, "subtotalSet", where) + _money(item, "totalTaxSet", where),
            )
        )
    return tuple(lines), _next_cursor(raw, "refundLineItems", path)


@_reader
def read_refund_shipping(raw: Any, path: str) -> tuple[rc.Money | None, str | None]:
    """The shipping (with tax) on the ``refundShippingLines`` page at ``path``, and the cursor."""
    shipping: rc.Money | None = None
    for n, item in enumerate(_nodes(raw, "refundShippingLines", path)):
        where = f"{path}.refundShippingLines.nodes[{n}]"
        part = _money(item, "subtotalAmountSet", where) + _money(item, "taxAmountSet", where)
        shipping = part if shipping is None else shipping + part
    return shipping, _next_cursor(raw, "refundShippingLines", path)


@_reader
def read_refund_transactions(raw: Any, path: str) -> tuple[tuple[WireTransaction, ...], str | None]:
    """The ``transactions`` page of the refund at ``path`` and the next page's cursor."""
    transactions = tuple(
        _transaction(item, f"{path}.transactions.nodes[{n}]")
        for n, item in enumerate(_nodes(raw, "transactions", path))
    )
    return transactions, _next_cursor(raw, "transactions", path)


@_reader
def read_refund_detail(raw: Any, path: str) -> WireRefundDetail:
    """Read the ``refund`` of the refund-detail query at ``path`` (its first pages)."""
    total = _money(raw, "totalRefundedSet", path)
    lines, more_lines = read_refund_lines(raw, path)
    shipping, more_shipping = read_refund_shipping(raw, path)
    transactions, more_transactions = read_refund_transactions(raw, path)
    order = _get(raw, "order", path)
    return WireRefundDetail(
        id=_str(raw, "id", path),
        created_at=_time(raw, "createdAt", path),
        order_id=_str(order, "id", f"{path}.order"),
        order_legacy_id=str(_get(order, "legacyResourceId", f"{path}.order")),
        total=total,
        lines=lines,
        shipping=shipping,
        transactions=transactions,
        more_lines=more_lines,
        more_shipping=more_shipping,
        more_transactions=more_transactions,
    )
