"""Magento's wire format: vendor-shaped records, a tolerant reader, JSON numbers, error messages.

Magento sends money and quantities as JSON *numbers* (``19.99``, ``2``); they are read with
``json.loads(..., parse_float=Decimal)`` so no float ever holds an amount (MNY-1), and written
back as number literals from Decimals. Records are read by a private cattrs converter that keeps
the fields the adapter needs and ignores the rest (Magento's objects have a hundred fields).

Errors come as ``{"message": "... %1 ...", "parameters": [...]}`` or with named placeholders
(``%fieldName``) and a ``parameters`` object; :func:`render_message` fills them in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import cattrs

from .._decode import DATA_ERRORS, UpstreamDataError, parse_json

__all__ = [
    "SERVICE",
    "CreditMemo",
    "CreditMemoComment",
    "Invoice",
    "InvoiceItem",
    "MagentoResponseError",
    "Order",
    "OrderItem",
    "Payment",
    "dumps",
    "loads",
    "read",
    "render_message",
]

T = TypeVar("T")

SERVICE = "magento"


#: What no Magento amount or quantity reaches; a bigger (or non-finite) number is malformed.
MAX_NUMBER = Decimal("1e15")


class MagentoResponseError(UpstreamDataError):
    """A Magento response did not have the shape the adapter relies on; says where.

    The Magento form of :class:`refund_adapters._decode.UpstreamDataError` (so a
    :class:`refund_core.InvalidInputError`): the engine sets aside the one event it belongs to
    and goes on with the run. ``endpoint`` is the request answered, ``path`` the JSON path.
    """

    def __init__(
        self,
        message: str,
        *,
        endpoint: str = "Magento REST",
        path: str = "$",
        problems: tuple[str, ...] = (),
        status: int | None = None,
    ) -> None:
        super().__init__(
            message,
            service=SERVICE,
            endpoint=endpoint,
            path=path,
            problems=problems,
            status=status,
        )


@attrs.frozen
class OrderItem:
    """An order line: ``item_id`` is what refunds name; quantities and prices per the order."""

    item_id: int
    sku: str
    qty_ordered: Decimal = Decimal(0)
    qty_invoiced: Decimal = Decimal(0)
    qty_refunded: Decimal = Decimal(0)
    price: Decimal = Decimal(0)
    tax_amount: Decimal = Decimal(0)
    discount_amount: Decimal = Decimal(0)
    parent_item_id: int | None = None

    @property
    def qty_refundable(self) -> Decimal:
        """What may still be refunded: invoiced minus refunded (Magento's ``getQtyToRefund``)."""
        return self.qty_invoiced - self.qty_refunded


@attrs.frozen
class Payment:
    """The order's payment: its method code decides online or offline refunds."""

    method: str = ""


@attrs.frozen
class Order:
    """An order with what the refund needs: its items, currencies, payment and totals."""

    entity_id: int
    increment_id: str
    order_currency_code: str
    base_currency_code: str | None = None
    items: tuple[OrderItem, ...] = ()
    payment: Payment | None = None
    grand_total: Decimal = Decimal(0)
    total_paid: Decimal = Decimal(0)
    total_refunded: Decimal = Decimal(0)
    shipping_amount: Decimal = Decimal(0)
    shipping_refunded: Decimal = Decimal(0)


@attrs.frozen
class InvoiceItem:
    """An invoiced line: which order item and how many."""

    order_item_id: int
    qty: Decimal = Decimal(0)


@attrs.frozen
class Invoice:
    """An invoice of an order; online refunds go through one."""

    entity_id: int
    order_id: int
    grand_total: Decimal = Decimal(0)
    base_total_refunded: Decimal = Decimal(0)
    items: tuple[InvoiceItem, ...] = ()


@attrs.frozen
class CreditMemoComment:
    """One comment of a credit memo (the adapter's marker lives in one)."""

    comment: str = ""


@attrs.frozen
class CreditMemo:
    """A credit memo; ``comments`` is None when the listing left them out."""

    entity_id: int
    order_id: int
    grand_total: Decimal = Decimal(0)
    comments: tuple[CreditMemoComment, ...] | None = None


def _decimal(value: object, _type: object) -> Decimal:
    if isinstance(value, bool | float):
        raise TypeError(f"expected an exact number, got {type(value).__name__}")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | str):
        number = Decimal(value)  # InvalidOperation on "abc": a data error, translated by read()
    else:
        raise TypeError(f"expected a number, got {type(value).__name__}")
    if not number.is_finite() or abs(number) >= MAX_NUMBER:
        raise ValueError(f"expected a finite amount below {MAX_NUMBER}, got {value!r}")
    return number


def _int(value: object, _type: object) -> int:
    # Magento writes some IDs as strings ("12") depending on the endpoint.
    if isinstance(value, bool):
        raise TypeError("expected an integer, got a bool")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    raise TypeError(f"expected an integer, got {value!r}")


def _str(value: object, _type: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"expected a string, got {type(value).__name__}")


_converter = cattrs.Converter()
_converter.register_structure_hook(Decimal, _decimal)
_converter.register_structure_hook(int, _int)
_converter.register_structure_hook(str, _str)


def read(
    payload: object, kind: type[T], *, what: str, endpoint: str = "Magento REST", path: str = "$"
) -> T:
    """Read one Magento record as ``kind``; a missing or mistyped field names its path.

    ``path`` is where the record sits in the answer (``$.items[2]``), ``what`` names it.
    """
    try:
        return _converter.structure(payload, kind)
    except cattrs.BaseValidationError as exc:
        problems = tuple(cattrs.transform_error(exc, path=path))
        first = problems[0] if problems else f"invalid {what} @ {path}"
        message, _, at = first.rpartition(" @ ")
        raise MagentoResponseError(
            f"unexpected {what}: {message or first}",
            endpoint=endpoint,
            path=at or path,
            problems=problems,
        ) from exc
    except DATA_ERRORS as exc:
        raise MagentoResponseError(
            f"unexpected {what}: {type(exc).__name__}: {exc}", endpoint=endpoint, path=path
        ) from exc


def loads(text: str | bytes, *, endpoint: str = "Magento REST", status: int | None = None) -> Any:
    """Parse a Magento JSON body: Decimal fractions, never floats; no NaN; bounded depth.

    Raises :class:`MagentoResponseError` (typed, naming ``endpoint``) for a body it cannot use.
    """
    try:
        return parse_json(text, service=SERVICE, endpoint=endpoint, status=status)
    except UpstreamDataError as exc:
        raise MagentoResponseError(exc.problem, endpoint=endpoint, status=status) from exc


def dumps(value: object) -> str:
    """Write JSON with Decimals as number literals (``19.99``, not ``"19.99"``), as Magento does."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} cannot be written as a JSON number")
        return format(value, "f")
    if isinstance(value, Mapping):
        return (
            "{"
            + ", ".join(f"{json.dumps(str(key))}: {dumps(item)}" for key, item in value.items())
            + "}"
        )
    if isinstance(value, list | tuple):
        return "[" + ", ".join(dumps(item) for item in value) + "]"
    if isinstance(value, float):
        raise TypeError("floats are never written: money and quantities travel as Decimals")
    return json.dumps(value)


_PLACEHOLDER = re.compile(r"%(\w+)")


def render_message(message: str, parameters: object) -> str:
    """Fill Magento's placeholders: ``%1`` from a list (1-based), ``%name`` from an object."""

    def lookup(match: re.Match[str]) -> str:
        key = match.group(1)
        if isinstance(parameters, list) and key.isdigit():
            index = int(key) - 1
            if 0 <= index < len(parameters):
                return str(parameters[index])
        if isinstance(parameters, Mapping) and key in parameters:
            return str(parameters[key])
        return match.group(0)

    return _PLACEHOLDER.sub(lookup, message)
