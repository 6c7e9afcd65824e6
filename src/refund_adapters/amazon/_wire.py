"""Amazon's Finances payloads as vendor-shaped records, read by a private, tolerant converter.

Both API versions are covered: v0 ``listFinancialEvents`` (PascalCase keys, ``ShipmentEvent``
inside ``RefundEventList``) and 2024-06-19 ``listTransactions`` (camelCase keys, ``Transaction``
with nested ``breakdowns``). Keys are turned into snake_case before structuring, unknown keys are
ignored (Amazon adds fields), and amounts must arrive as ``Decimal`` or ``int``: the JSON is
parsed with ``parse_float=Decimal``, so a float here is a bug and is refused.

Strict where used, one item at a time: a page is split into its entries
(:func:`transaction_entries`, :func:`refund_event_entries`) and only the entries the source uses
are decoded (:func:`read_transaction`, :func:`read_shipment_event`), each on its own. A
transaction of a type never used is never decoded, whatever its shape (Amazon's own example
``Transaction`` has ``breakdowns`` as an object where the schema says array); one that is used
and malformed is an :class:`AmazonPayloadError` naming its path, which the source sets aside
with the raw entry instead of failing the window.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import cattrs

from .._decode import DATA_ERRORS, UpstreamDataError
from .._decode import parse_json as _parse_json

__all__ = [
    "AmazonPayloadError",
    "Breakdown",
    "ChargeComponent",
    "CurrencyV0",
    "CurrencyV2024",
    "FeeComponent",
    "FinancialEventsPage",
    "Promotion",
    "ShipmentEvent",
    "ShipmentItem",
    "TaxWithheldComponent",
    "Transaction",
    "TransactionItem",
    "TransactionsPage",
    "parse_json",
    "read_financial_events",
    "read_shipment_event",
    "read_transaction",
    "read_transactions",
    "refund_event_entries",
    "transaction_entries",
]

T = TypeVar("T")


SERVICE = "amazon"
#: The endpoint named when an entry is read away from the answer it came in.
FINANCES = "Amazon Finances"


class AmazonPayloadError(UpstreamDataError):
    """A Finances response does not have the shape the SP-API model describes.

    The Amazon form of :class:`refund_adapters._decode.UpstreamDataError`. The message names the
    JSON path of the bad field, e.g. ``payload.transactions[3].postedDate``.
    """

    def __init__(
        self,
        message: str,
        *,
        endpoint: str = FINANCES,
        path: str = "$",
        problems: tuple[str, ...] = (),
        status: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            message,
            service=SERVICE,
            endpoint=endpoint,
            path=path,
            problems=problems,
            status=status,
            request_id=request_id,
        )


# -- v0 (financesV0.json) --------------------------------------------------------------------


@attrs.frozen
class CurrencyV0:
    """``Currency``: an amount (a JSON number) and its ISO 4217 code."""

    currency_code: str | None = None
    currency_amount: Decimal | None = None


@attrs.frozen
class ChargeComponent:
    """``ChargeComponent``: a charge such as Principal, Tax or ShippingCharge."""

    charge_type: str | None = None
    charge_amount: CurrencyV0 | None = None


@attrs.frozen
class FeeComponent:
    """``FeeComponent``: an Amazon fee such as Commission or RefundCommission."""

    fee_type: str | None = None
    fee_amount: CurrencyV0 | None = None


@attrs.frozen
class Promotion:
    """``Promotion``: a promotion's amount (on a refund, the promotion taken back)."""

    promotion_type: str | None = None
    promotion_id: str | None = None
    promotion_amount: CurrencyV0 | None = None


@attrs.frozen
class TaxWithheldComponent:
    """``TaxWithheldComponent``: tax Amazon collects and remits as marketplace facilitator."""

    tax_collection_model: str | None = None
    taxes_withheld: tuple[ChargeComponent, ...] | None = None


@attrs.frozen
class ShipmentItem:
    """``ShipmentItem``: one order item of a shipment or (in refunds) of an adjustment."""

    seller_sku: str | None = None
    order_item_id: str | None = None
    order_adjustment_item_id: str | None = None
    quantity_shipped: int | None = None
    item_charge_adjustment_list: tuple[ChargeComponent, ...] | None = None
    item_fee_adjustment_list: tuple[FeeComponent, ...] | None = None
    item_tax_withheld_list: tuple[TaxWithheldComponent, ...] | None = None
    promotion_adjustment_list: tuple[Promotion, ...] | None = None


@attrs.frozen
class ShipmentEvent:
    """``ShipmentEvent``: the type of each entry of ``RefundEventList``."""

    amazon_order_id: str | None = None
    seller_order_id: str | None = None
    marketplace_name: str | None = None
    posted_date: datetime | None = None
    order_charge_adjustment_list: tuple[ChargeComponent, ...] | None = None
    shipment_fee_adjustment_list: tuple[FeeComponent, ...] | None = None
    order_fee_adjustment_list: tuple[FeeComponent, ...] | None = None
    shipment_item_adjustment_list: tuple[ShipmentItem, ...] | None = None


@attrs.frozen
class FinancialEventsPage:
    """``ListFinancialEventsPayload`` reduced to what refunds need."""

    refunds: tuple[ShipmentEvent, ...]
    next_token: str | None


# -- 2024-06-19 (finances_2024-06-19.json) ---------------------------------------------------


@attrs.frozen
class CurrencyV2024:
    """``Currency`` of the 2024-06-19 model (camelCase keys)."""

    currency_code: str | None = None
    currency_amount: Decimal | None = None


@attrs.frozen
class Breakdown:
    """``Breakdown``: a named amount, itself broken down further (a tree)."""

    breakdown_type: str | None = None
    breakdown_amount: CurrencyV2024 | None = None
    breakdowns: tuple[Breakdown, ...] | None = None


@attrs.frozen
class RelatedIdentifier:
    """``RelatedIdentifier``: e.g. ORDER_ID or REFUND_ID of a transaction."""

    related_identifier_name: str | None = None
    related_identifier_value: str | None = None


@attrs.frozen
class ItemRelatedIdentifier:
    """``ItemRelatedIdentifier``: e.g. ORDER_ADJUSTMENT_ITEM_ID of an item."""

    item_related_identifier_name: str | None = None
    item_related_identifier_value: str | None = None


@attrs.frozen
class Context:
    """``Context``: only ``ProductContext`` fields (sku, quantity) matter for refunds."""

    context_type: str | None = None
    sku: str | None = None
    asin: str | None = None
    quantity_shipped: int | None = None


@attrs.frozen
class TransactionItem:
    """``Item``: one item of a transaction, with its own breakdowns."""

    description: str | None = None
    related_identifiers: tuple[ItemRelatedIdentifier, ...] | None = None
    total_amount: CurrencyV2024 | None = None
    breakdowns: tuple[Breakdown, ...] | None = None
    contexts: tuple[Context, ...] | None = None

    def identifier(self, name: str) -> str | None:
        """The value of the item's related identifier called ``name``."""
        for ident in self.related_identifiers or ():
            if ident.item_related_identifier_name == name:
                return ident.item_related_identifier_value
        return None

    @property
    def product(self) -> Context | None:
        """The item's ProductContext, if it has one."""
        return next((c for c in self.contexts or () if c.context_type == "ProductContext"), None)


@attrs.frozen
class MarketplaceDetails:
    """``MarketplaceDetails``: where the transaction happened."""

    marketplace_id: str | None = None
    marketplace_name: str | None = None


@attrs.frozen
class Transaction:
    """``Transaction``: one posted financial transaction (a refund is one kind)."""

    transaction_type: str | None = None
    transaction_id: str | None = None
    transaction_status: str | None = None
    description: str | None = None
    posted_date: datetime | None = None
    total_amount: CurrencyV2024 | None = None
    related_identifiers: tuple[RelatedIdentifier, ...] | None = None
    items: tuple[TransactionItem, ...] | None = None
    breakdowns: tuple[Breakdown, ...] | None = None
    marketplace_details: MarketplaceDetails | None = None

    def identifier(self, name: str) -> str | None:
        """The value of the transaction's related identifier called ``name``."""
        for ident in self.related_identifiers or ():
            if ident.related_identifier_name == name:
                return ident.related_identifier_value
        return None


@attrs.frozen
class TransactionsPage:
    """``TransactionsPayload``: one page of transactions and the token for the next."""

    transactions: tuple[Transaction, ...]
    next_token: str | None


# -- reading -----------------------------------------------------------------------------------

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _snake(key: str) -> str:
    return _CAMEL.sub("_", key).lower()


def _snake_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {_snake(str(k)): _snake_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake_keys(v) for v in value]
    return value


def _structure_decimal(value: object, _type: object) -> Decimal:
    # JSON numbers arrive as Decimal (parse_float=Decimal) or int; never float, never bool.
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"expected a JSON number, got {type(value).__name__}")
    return Decimal(value)


def _structure_datetime(value: object, _type: object) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 date-time string, got {type(value).__name__}")
    parsed = datetime.fromisoformat(value)
    if parsed.utcoffset() is None:
        raise ValueError(f"date-time {value!r} has no UTC offset")
    return parsed


def _structure_text(value: object, _type: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _structure_int(value: object, _type: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=False)
    converter.register_structure_hook(Decimal, _structure_decimal)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_structure_hook(str, _structure_text)
    converter.register_structure_hook(int, _structure_int)
    return converter


_CONVERTER = _make_converter()


def parse_json(body: bytes, *, where: str, endpoint: str = FINANCES) -> Any:
    """Parse a response body with every JSON number exact (MNY-1), no NaN, bounded depth."""
    try:
        return _parse_json(body, service=SERVICE, endpoint=endpoint)
    except UpstreamDataError as exc:
        raise AmazonPayloadError(
            f"{where}: response is not usable JSON ({exc.problem})", endpoint=endpoint
        ) from None


def _structure(value: Any, cls: type[T], where: str, endpoint: str = FINANCES) -> T:
    try:
        return _CONVERTER.structure(_snake_keys(value), cls)
    except cattrs.BaseValidationError as exc:
        # Paths name the fields in snake_case (postedDate -> posted_date), with list indexes.
        problems = tuple(cattrs.transform_error(exc, path=where))
        first = problems[0] if problems else f"invalid {cls} @ {where}"
        at = first.rpartition(" @ ")[2]
        raise AmazonPayloadError(
            "; ".join(problems) or f"{where}: {exc}",
            endpoint=endpoint,
            path=f"$.{at or where}",
            problems=problems,
        ) from None
    except DATA_ERRORS as exc:
        raise AmazonPayloadError(
            f"{where}: {type(exc).__name__}: {exc}", endpoint=endpoint, path=f"$.{where}"
        ) from None


def refund_event_entries(document: Any, endpoint: str = FINANCES) -> tuple[list[Any], str | None]:
    """The raw ``RefundEventList`` entries and next token of a v0 listFinancialEvents answer."""
    payload = _object(document, "response", endpoint).get("payload")
    if payload is None:
        return [], None
    payload = _object(payload, "payload", endpoint)
    events = _object(payload.get("FinancialEvents") or {}, "payload.FinancialEvents", endpoint)
    entries = _list(
        events.get("RefundEventList"), "payload.FinancialEvents.RefundEventList", endpoint
    )
    return entries, _token(payload.get("NextToken"), "payload.NextToken", endpoint)


def read_shipment_event(raw: Any, where: str, endpoint: str = FINANCES) -> ShipmentEvent:
    """One ``RefundEventList`` entry, decoded strictly; ``where`` is its path."""
    return _structure(raw, ShipmentEvent, where, endpoint)


def read_financial_events(document: Any) -> FinancialEventsPage:
    """The refund events and next token of a v0 ``ListFinancialEventsResponse``, all strict."""
    entries, token = refund_event_entries(document)
    where = "payload.FinancialEvents.RefundEventList"
    refunds = tuple(
        read_shipment_event(raw, f"{where}[{index}]") for index, raw in enumerate(entries)
    )
    return FinancialEventsPage(refunds=refunds, next_token=token)


def transaction_entries(document: Any, endpoint: str = FINANCES) -> tuple[list[Any], str | None]:
    """The raw ``transactions`` and next token of a 2024-06-19 ``ListTransactionsResponse``."""
    payload = _object(document, "response", endpoint).get("payload")
    if payload is None:
        return [], None
    payload = _object(payload, "payload", endpoint)
    entries = _list(payload.get("transactions"), "payload.transactions", endpoint)
    return entries, _token(payload.get("nextToken"), "payload.nextToken", endpoint)


def read_transaction(raw: Any, where: str, endpoint: str = FINANCES) -> Transaction:
    """One transaction, decoded strictly; ``where`` is its path."""
    return _structure(raw, Transaction, where, endpoint)


def read_transactions(document: Any) -> TransactionsPage:
    """The transactions and next token of a 2024-06-19 ``ListTransactionsResponse``, all strict."""
    entries, token = transaction_entries(document)
    transactions = tuple(
        read_transaction(raw, f"payload.transactions[{index}]") for index, raw in enumerate(entries)
    )
    return TransactionsPage(transactions=transactions, next_token=token)


def _object(value: Any, where: str, endpoint: str = FINANCES) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise AmazonPayloadError(
            f"{where}: expected an object, got {type(value).__name__}",
            endpoint=endpoint,
            path=f"$.{where}" if where != "response" else "$",
        )
    return value


def _list(value: Any, where: str, endpoint: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise AmazonPayloadError(
            f"{where}: expected a list, got {type(value).__name__}",
            endpoint=endpoint,
            path=f"$.{where}",
        )
    return value


#: An SP-API NextToken is opaque but printable ASCII (it goes back in a query string).
_TOKEN = re.compile(r"[\x21-\x7e]{1,8192}")


def _token(value: Any, where: str, endpoint: str = FINANCES) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _TOKEN.fullmatch(value):
        shown = type(value).__name__ if not isinstance(value, str) else f"{len(value)} characters"
        raise AmazonPayloadError(
            f"{where}: expected an opaque printable-ASCII token, got {shown}",
            endpoint=endpoint,
            path=f"$.{where}",
        )
    return value
