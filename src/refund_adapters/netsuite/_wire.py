"""NetSuite's answers as typed wire models, decoded through the shared boundary.

Every answer the adapter reads goes :func:`refund_adapters._decode.parse_json` then
:func:`refund_adapters._decode.structure` with this module's private converter into one of the
models below, so a missing column, ``items: null`` or a number that is not one leaves as an
:class:`~refund_adapters._decode.UpstreamDataError` naming NetSuite, the request and the JSON
path (``$.items[3].foreigntotal``), never as a bare ``KeyError`` or ``TypeError``.

SuiteQL items carry lower-case column names and leave NULL columns out (the adapter reads an
absent column as NULL); numbers may come as JSON numbers or numeric strings, IDs as strings or
integers. REST records carry references as ``{"id": ..., "refName": ...}`` and sublists, asked
with ``expandSubResources=true``, as ``{"items": [...]}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import attrs
import cattrs

from refund_adapters._decode import UpstreamDataError, parse_json, structure

__all__ = [
    "ApplyLine",
    "CustomerRefundRecord",
    "DepositApplicationRecord",
    "DepositPaymentLine",
    "DepositRecord",
    "HeaderRow",
    "IdRow",
    "IdTypeRow",
    "LineRow",
    "LinkRow",
    "OtherDepositLine",
    "PaymentRecord",
    "Ref",
    "SuiteQLPageWire",
    "TaxLineRow",
    "decode",
    "decode_rows",
]

T = TypeVar("T")
SERVICE = "netsuite"


def _decimal(value: object, _: type) -> Decimal:
    if isinstance(value, bool):
        raise TypeError(f"expected a number, got {value!r}")
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"expected a number, got {value!r}") from None
        if number.is_finite():
            return number
    raise ValueError(f"expected a number, got {value!r}")


def _text(value: object, _: type) -> str:
    if isinstance(value, bool):
        raise TypeError(f"expected text, got {value!r}")
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    raise TypeError(f"expected text, got {type(value).__name__}")


def _flag(value: object, _: type) -> bool:
    if isinstance(value, bool):
        return value
    raise TypeError(f"expected true or false, got {value!r}")


_converter = cattrs.Converter(forbid_extra_keys=False)
_converter.register_structure_hook(Decimal, _decimal)
_converter.register_structure_hook(str, _text)
_converter.register_structure_hook(bool, _flag)


@attrs.frozen
class SuiteQLPageWire:
    """One page of SuiteQL results."""

    items: tuple[dict[str, Any], ...]
    hasMore: bool = False  # noqa: N815 - NetSuite's name


@attrs.frozen
class HeaderRow:
    """A ``transaction`` header with its main line's ``createdfrom`` and custom fields."""

    id: str
    type: str
    entity: str | None = None
    trandate: str | None = None
    externalid: str | None = None
    memo: str | None = None
    status: str | None = None
    currency: str | None = None
    foreigntotal: Decimal | None = None
    createdfrom: str | None = None
    custbody_rs_order_ref: str | None = None
    custbody_rs_storefront: str | None = None
    custbody_rs_payment_ref: str | None = None
    custbody_rs_source: str | None = None
    custbody_rs_sales_order: str | None = None
    custbody_rs_payment: str | None = None
    custbody_rs_shipping: Decimal | None = None
    custbody_rs_tenders: str | None = None
    custbody_rs_payout_ref: str | None = None
    custbody_rs_payment_failed: str | None = None
    custbody_rs_failure_mark: str | None = None
    custbody_rs_synced_mark: str | None = None
    custbody_rs_synced_id: str | None = None
    custbody_rs_synced_payment: Decimal | None = None
    custbody_rs_synced_gift_card: Decimal | None = None
    custbody_rs_event_time: str | None = None


@attrs.frozen
class LineRow:
    """An item line of a transaction (``transactionline``)."""

    transaction: str
    id: str
    linesequencenumber: int | None = None
    item: str | None = None
    itemtype: str | None = None
    quantity: Decimal | None = None
    foreignamount: Decimal | None = None
    custcol_rs_order_line_ref: str | None = None
    custcol_rs_origin_line: str | None = None
    custcol_rs_account: str | None = None
    custcol_rs_tax_code: str | None = None
    custcol_rs_line_kind: str | None = None


@attrs.frozen
class TaxLineRow:
    """A tax line of a transaction (``transactionline`` with ``taxline = 'T'``)."""

    transaction: str
    id: str
    item: str | None = None
    foreignamount: Decimal | None = None


@attrs.frozen
class LinkRow:
    """A payment's application to an invoice (``previoustransactionlinelink``, ``Payment``)."""

    previousdoc: str
    nextdoc: str
    previousline: int | None = None
    nextline: int | None = None
    foreignamount: Decimal | None = None
    linkdate: str | None = None


@attrs.frozen
class IdRow:
    """A row holding an internal ID."""

    id: str


@attrs.frozen
class IdTypeRow:
    """A row holding an internal ID and a transaction type."""

    id: str
    type: str


@attrs.frozen
class Ref:
    """A reference field: ``{"id": ..., "refName": ...}``."""

    id: str
    refName: str | None = None  # noqa: N815 - NetSuite's name


@attrs.frozen
class ApplyLine:
    """One ``apply`` line: the document, whether it is applied, and how much."""

    doc: Ref
    amount: Decimal
    apply: bool = True


@attrs.frozen
class ApplySublist:
    """An ``apply`` sublist, expanded."""

    items: tuple[ApplyLine, ...] = ()


@attrs.frozen
class CustomerRefundRecord:
    """``GET /record/v1/customerRefund/{id}?expandSubResources=true``: what we read of it."""

    id: str
    apply: ApplySublist
    account: Ref | None = None


@attrs.frozen
class PaymentRecord:
    """``GET /record/v1/customerPayment/{id}?expandSubResources=true``: its applications."""

    id: str
    apply: ApplySublist


@attrs.frozen
class DepositApplicationRecord:
    """``GET /record/v1/depositApplication/{id}``: the customer deposit and what it applies to."""

    id: str
    deposit: Ref
    apply: ApplySublist


@attrs.frozen
class TypeRef:
    """``type`` of a deposit payment line: ``{"id": "CustPymt"}``."""

    id: str


@attrs.frozen
class DepositPaymentLine:
    """One line of a bank deposit's ``payment`` sublist."""

    id: str
    type: TypeRef
    paymentAmount: Decimal  # noqa: N815 - NetSuite's name
    deposit: bool = True


@attrs.frozen
class DepositPaymentSublist:
    """A bank deposit's ``payment`` sublist, expanded."""

    items: tuple[DepositPaymentLine, ...] = ()


@attrs.frozen
class OtherDepositLine:
    """One line of a bank deposit's ``other`` (Other Deposits) sublist."""

    account: Ref
    amount: Decimal
    memo: str | None = None
    custcol_rs_source_refs: str | None = None


@attrs.frozen
class OtherDepositSublist:
    """A bank deposit's ``other`` sublist, expanded."""

    items: tuple[OtherDepositLine, ...] = ()


@attrs.frozen
class DepositRecord:
    """``GET /record/v1/deposit/{id}?expandSubResources=true``: what we read of it."""

    id: str
    payment: DepositPaymentSublist
    other: OtherDepositSublist
    account: Ref | None = None


def decode(body: bytes, cls: type[T], *, endpoint: str, status: int | None = None) -> T:
    """Parse and structure one answer into ``cls``."""
    payload = parse_json(body, service=SERVICE, endpoint=endpoint, status=status)
    return structure(_converter, payload, cls, service=SERVICE, endpoint=endpoint, status=status)


def decode_rows(
    rows: Sequence[Mapping[str, Any]], cls: type[T], *, endpoint: str, first: int = 0
) -> list[T]:
    """Structure SuiteQL items into typed rows, naming ``$.items[i]`` on a bad one."""
    result = []
    for index, row in enumerate(rows, start=first):
        if not isinstance(row, Mapping):
            raise UpstreamDataError(
                "expected an object", service=SERVICE, endpoint=endpoint, path=f"$.items[{index}]"
            )
        result.append(
            structure(
                _converter, row, cls, service=SERVICE, endpoint=endpoint, path=f"$.items[{index}]"
            )
        )
    return result
