"""From Amazon's refund records to :class:`refund_core.RefundEvent`, with fees kept apart.

Amazon reports a refund from the seller's side: what goes back to the customer (charge
adjustments, negative: Principal, Tax, ShippingCharge ...), promotions taken back (positive) and
Amazon's own fee adjustments (commission returned, refund commission charged). Only the first two
are the customer's refund; the fees are the seller's cost and never part of ``amount``.

Where each part lands (signs flipped, so a refund is positive):

* an item's Principal, Tax, Giftwrap and GiftwrapTax -> one :class:`refund_core.RefundLine` per
  item, keyed by its seller SKU (the line reference both API versions carry);
* ShippingCharge and ShippingTax (order or item level) -> ``shipping``;
* everything else the customer gets back or gives back (promotions, Discount, Goodwill,
  RestockingFee, ReturnShipping, ...) -> the signed ``adjustment``.

So lines + shipping + adjustment == amount, exactly, by construction. An item whose line part
is not positive (or a refund with an item that names no SKU) cannot be a line: then lines are
left out and the event is amount-only, with shipping and adjustment still given.

Fees (``ItemFeeAdjustmentList``, ``AmazonFees`` breakdowns) and marketplace-facilitator tax
withheld go to :attr:`AmazonRefund.fees` and :attr:`AmazonRefund.taxes_withheld`: the core's
:class:`refund_core.RefundEvent` has no place for them, and they are not customer money.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal

import attrs

import refund_core as rc

from ._wire import (
    AmazonPayloadError,
    Breakdown,
    ChargeComponent,
    CurrencyV0,
    CurrencyV2024,
    FeeComponent,
    ShipmentEvent,
    Transaction,
)

__all__ = [
    "LINE_CHARGE_TYPES",
    "SHIPPING_CHARGE_TYPES",
    "AmazonRefund",
    "FeeAdjustment",
    "OrderRefKind",
    "TaxWithheld",
    "from_shipment_event",
    "from_transaction",
    "v0_refund_id",
]

#: Charge types that make up an item's refunded line (goods and their tax).
LINE_CHARGE_TYPES = frozenset({"Principal", "Tax", "Giftwrap", "GiftwrapTax"})
#: Charge types that are refunded shipping. "Shipping" is the 2024-06-19 spelling seen in
#: breakdowns; v0 says "ShippingCharge".
SHIPPING_CHARGE_TYPES = frozenset({"ShippingCharge", "ShippingTax", "Shipping"})
#: 2024-06-19 breakdown groups whose leaves are Amazon's fees, not customer money.
_FEE_GROUPS = frozenset({"AmazonFees", "Fees", "FBAFees"})
#: 2024-06-19 breakdown groups holding tax Amazon withholds as marketplace facilitator.
_WITHHELD_GROUPS = frozenset({"TaxWithheld", "TaxesWithheld", "MarketplaceFacilitatorTax"})
#: 2024-06-19 breakdown groups holding promotions.
_PROMOTION_GROUPS = frozenset({"Promotion", "Promotions", "PromotionAdjustments"})


class OrderRefKind(enum.StrEnum):
    """Which Amazon order number becomes ``order_ref`` (it must match the imported order)."""

    AMAZON_ORDER_ID = "amazon_order_id"
    #: Only v0 events carry it; 2024-06-19 transactions do not.
    SELLER_ORDER_ID = "seller_order_id"


@attrs.frozen
class FeeAdjustment:
    """An Amazon fee adjustment of a refund, signed as Amazon reports it (seller's view).

    A returned commission is positive (back to the seller), a refund commission negative.
    """

    fee_type: str
    amount: rc.Money
    order_adjustment_item_id: str | None = None


@attrs.frozen
class TaxWithheld:
    """Marketplace-facilitator tax Amazon withholds or returns on a refund (seller's view)."""

    charge_type: str
    amount: rc.Money
    order_adjustment_item_id: str | None = None


@attrs.frozen
class AmazonRefund:
    """One Amazon refund: the customer refund as a core event, and Amazon's side of it."""

    event: rc.RefundEvent
    fees: tuple[FeeAdjustment, ...] = ()
    taxes_withheld: tuple[TaxWithheld, ...] = ()
    marketplace: str | None = None

    @property
    def sort_key(self) -> tuple[datetime, str]:
        """Oldest first, ties broken by refund ID, so pages are stable."""
        return (self.event.created_at, self.event.refund_id)


# -- a version-neutral view of one refund -----------------------------------------------------


class _Part(enum.Enum):
    CHARGE = "charge"
    PROMOTION = "promotion"
    FEE = "fee"
    WITHHELD = "withheld"


@attrs.frozen
class _Component:
    part: _Part
    kind: str
    amount: rc.Money


@attrs.frozen
class _Item:
    sku: str | None
    quantity: int | None
    adjustment_id: str | None
    components: tuple[_Component, ...]


@attrs.frozen
class _Refund:
    refund_id: str
    order_ref: str | None
    posted: datetime
    items: tuple[_Item, ...]
    order_components: tuple[_Component, ...]
    marketplace: str | None


def _money(currency: CurrencyV0 | CurrencyV2024 | None, where: str) -> rc.Money:
    if currency is None or currency.currency_amount is None or not currency.currency_code:
        raise AmazonPayloadError(f"{where}: amount or currency code missing")
    try:
        return rc.Money.of(currency.currency_amount, currency.currency_code)
    except rc.MoneyError as exc:
        raise AmazonPayloadError(f"{where}: {exc}") from None


def _event(refund: _Refund, source: str) -> AmazonRefund:
    where = f"Amazon refund {refund.refund_id}"
    everything = [
        *refund.order_components,
        *(c for item in refund.items for c in item.components),
    ]
    customer = [c for c in everything if c.part in (_Part.CHARGE, _Part.PROMOTION)]
    currencies = {c.amount.currency for c in everything}
    if len(currencies) > 1:
        codes = ", ".join(sorted(c.code for c in currencies))
        raise AmazonPayloadError(f"{where}: amounts in several currencies ({codes})")
    if not customer:
        raise AmazonPayloadError(f"{where}: no charge adjustment, so no customer refund")
    currency = customer[0].amount.currency

    def refunded(components: Iterable[_Component]) -> rc.Money:
        # Amazon signs refunds from the seller's side: money back to the customer is negative.
        return -rc.sum_money((c.amount for c in components), currency)

    amount = refunded(customer)
    shipping = refunded(
        c for c in customer if c.part is _Part.CHARGE and c.kind in SHIPPING_CHARGE_TYPES
    )
    adjustment = refunded(
        c
        for c in customer
        if c.part is _Part.PROMOTION
        or (c.kind not in SHIPPING_CHARGE_TYPES and c.kind not in LINE_CHARGE_TYPES)
    )
    if shipping.is_negative:
        # Shipping charged again on a refund is not "refunded shipping"; it still counts.
        adjustment, shipping = adjustment + shipping, rc.Money.zero(currency)
    # Goods charged at order level belong to no item, so no line can carry them.
    lines_possible = not any(
        c.part is _Part.CHARGE and c.kind in LINE_CHARGE_TYPES for c in refund.order_components
    )
    lines: list[rc.RefundLine] = []
    for item in refund.items:
        line_amount = refunded(
            c for c in item.components if c.part is _Part.CHARGE and c.kind in LINE_CHARGE_TYPES
        )
        if line_amount.is_zero:
            continue
        if item.sku is None or item.sku != item.sku.strip() or not line_amount.is_positive:
            lines_possible = False
            continue
        quantity = item.quantity if item.quantity is not None and item.quantity > 0 else None
        lines.append(
            rc.RefundLine(
                order_line_ref=item.sku,
                quantity=None if quantity is None else Decimal(quantity),
                amount=line_amount,
            )
        )
    if not lines_possible:
        lines = []
    fees = tuple(
        FeeAdjustment(c.kind, c.amount, item.adjustment_id)
        for item in (_Item(None, None, None, refund.order_components), *refund.items)
        for c in item.components
        if c.part is _Part.FEE
    )
    withheld = tuple(
        TaxWithheld(c.kind, c.amount, item.adjustment_id)
        for item in (_Item(None, None, None, refund.order_components), *refund.items)
        for c in item.components
        if c.part is _Part.WITHHELD
    )
    try:
        event = rc.RefundEvent(
            source=source,
            refund_id=refund.refund_id,
            amount=amount,
            created_at=refund.posted,
            status=rc.RefundStatus.SUCCEEDED,
            order_ref=refund.order_ref,
            lines=tuple(lines),
            shipping=None if shipping.is_zero else shipping,
            adjustment=None if adjustment.is_zero else adjustment,
        )
    except rc.InvalidInputError as exc:
        raise AmazonPayloadError(f"{where}: {exc}") from None
    return AmazonRefund(
        event=event, fees=fees, taxes_withheld=withheld, marketplace=refund.marketplace
    )


def _check_parts(refund: _Refund, where: str, partial: bool) -> None:
    """A used refund must say what it moved: no breakdown at all (or some missing) is malformed.

    Without this, a refund whose breakdowns were left out would read as "nothing went back to
    the customer" and be skipped while the cursor moved on: a refund lost without a sign.
    """
    if partial:
        raise AmazonPayloadError(
            f"{where}: some items carry no breakdowns (and the transaction none of its own): "
            "what went back to the customer cannot be told",
            path=f"$.{where}.items",
        )
    if not refund.order_components and not any(item.components for item in refund.items):
        raise AmazonPayloadError(
            f"{where}: no breakdown or adjustment at all: what went back to the customer "
            "cannot be told",
            path=f"$.{where}",
        )


def customer_amount_is_positive(refund: _Refund) -> bool:
    """Whether the customer gets money back at all (fee-only corrections do not)."""
    customer = [
        c
        for c in (*refund.order_components, *(c for i in refund.items for c in i.components))
        if c.part in (_Part.CHARGE, _Part.PROMOTION)
    ]
    if not customer:
        return False
    currency = customer[0].amount.currency
    try:
        total = rc.sum_money((c.amount for c in customer), currency)
    except rc.CurrencyMismatchError:
        return True  # let _event report the mixed currencies
    return total.is_negative


# -- v0 ----------------------------------------------------------------------------------------


def _charges(
    charges: Iterable[ChargeComponent] | None, part: _Part, where: str
) -> Iterator[_Component]:
    for index, charge in enumerate(charges or ()):
        at = f"{where}[{index}]"
        yield _Component(part, charge.charge_type or "", _money(charge.charge_amount, at))


def _fees(fees: Iterable[FeeComponent] | None, where: str) -> Iterator[_Component]:
    for index, fee in enumerate(fees or ()):
        at = f"{where}[{index}]"
        yield _Component(_Part.FEE, fee.fee_type or "", _money(fee.fee_amount, at))


def _v0_refund(event: ShipmentEvent, where: str, order_ref: OrderRefKind) -> _Refund:
    if not event.amazon_order_id:
        raise AmazonPayloadError(f"{where}.AmazonOrderId: missing")
    if event.posted_date is None:
        raise AmazonPayloadError(f"{where}.PostedDate: missing")
    items: list[_Item] = []
    for index, item in enumerate(event.shipment_item_adjustment_list or ()):
        at = f"{where}.ShipmentItemAdjustmentList[{index}]"
        components = [
            *_charges(
                item.item_charge_adjustment_list, _Part.CHARGE, f"{at}.ItemChargeAdjustmentList"
            ),
            *_fees(item.item_fee_adjustment_list, f"{at}.ItemFeeAdjustmentList"),
        ]
        for p_index, promotion in enumerate(item.promotion_adjustment_list or ()):
            p_at = f"{at}.PromotionAdjustmentList[{p_index}]"
            components.append(
                _Component(
                    _Part.PROMOTION,
                    promotion.promotion_type or "Promotion",
                    _money(promotion.promotion_amount, p_at),
                )
            )
        for t_index, withheld in enumerate(item.item_tax_withheld_list or ()):
            t_at = f"{at}.ItemTaxWithheldList[{t_index}].TaxesWithheld"
            components.extend(_charges(withheld.taxes_withheld, _Part.WITHHELD, t_at))
        items.append(
            _Item(
                sku=item.seller_sku or None,
                quantity=item.quantity_shipped,
                adjustment_id=item.order_adjustment_item_id,
                components=tuple(components),
            )
        )
    order_components = (
        *_charges(
            event.order_charge_adjustment_list, _Part.CHARGE, f"{where}.OrderChargeAdjustmentList"
        ),
        *_fees(event.shipment_fee_adjustment_list, f"{where}.ShipmentFeeAdjustmentList"),
        *_fees(event.order_fee_adjustment_list, f"{where}.OrderFeeAdjustmentList"),
    )
    if order_ref is OrderRefKind.SELLER_ORDER_ID:
        if not event.seller_order_id:
            raise AmazonPayloadError(f"{where}.SellerOrderId: missing, but configured as order_ref")
        ref = event.seller_order_id
    else:
        ref = event.amazon_order_id
    return _Refund(
        refund_id=v0_refund_id(
            event.amazon_order_id,
            event.posted_date,
            [item.adjustment_id for item in items if item.adjustment_id],
        ),
        order_ref=ref,
        posted=event.posted_date,
        items=tuple(items),
        order_components=tuple(order_components),
        marketplace=event.marketplace_name,
    )


def v0_refund_id(order_id: str, posted: datetime, adjustment_ids: Iterable[str]) -> str:
    """The refund ID of a v0 refund event: order, posting second and adjustment item IDs.

    v0 has no refund identifier; this triple is stable across listings (IDM-1) and tells two
    partial refunds of one order apart (each has its own adjustment items and posting time).
    """
    stamp = posted.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    ids = "+".join(sorted(set(adjustment_ids))) or "-"
    return f"{order_id}/{stamp}/{ids}"


def from_shipment_event(
    event: ShipmentEvent,
    *,
    source: str,
    where: str,
    order_ref: OrderRefKind = OrderRefKind.AMAZON_ORDER_ID,
) -> AmazonRefund | None:
    """Map one v0 ``RefundEventList`` entry; None when nothing goes back to the customer."""
    refund = _v0_refund(event, where, order_ref)
    _check_parts(refund, where, partial=False)
    if not customer_amount_is_positive(refund):
        return None
    return _event(refund, source)


# -- 2024-06-19 --------------------------------------------------------------------------------


def breakdown_part(groups: Iterable[str], kind: str) -> _Part:
    """What a 2024-06-19 breakdown leaf ``kind`` under the groups ``groups`` is to the adapter.

    Fees and withheld tax by their group (or, for withheld tax, the leaf's own name); promotions
    by their group; anything else is a charge: customer money, read by its name.
    """
    path = {*groups, kind}
    if path & _FEE_GROUPS:
        return _Part.FEE
    if path & _WITHHELD_GROUPS or kind.startswith("MarketplaceFacilitatorTax"):
        return _Part.WITHHELD
    if path & _PROMOTION_GROUPS:
        return _Part.PROMOTION
    return _Part.CHARGE


def _leaves(
    breakdowns: Iterable[Breakdown] | None, groups: tuple[str, ...], where: str
) -> Iterator[_Component]:
    for index, node in enumerate(breakdowns or ()):
        at = f"{where}[{index}]"
        kind = node.breakdown_type or ""
        if node.breakdowns:
            yield from _leaves(node.breakdowns, (*groups, kind), f"{at}.breakdowns")
            continue
        part = breakdown_part(groups, kind)
        yield _Component(part, kind, _money(node.breakdown_amount, f"{at}.breakdownAmount"))


def _v2024_refund(txn: Transaction, where: str) -> _Refund:
    if txn.posted_date is None:
        raise AmazonPayloadError(f"{where}.postedDate: missing")
    refund_id = txn.identifier("REFUND_ID") or txn.transaction_id
    if not refund_id:
        raise AmazonPayloadError(f"{where}: neither a REFUND_ID nor a transactionId")
    items: list[_Item] = []
    for index, item in enumerate(txn.items or ()):
        at = f"{where}.items[{index}]"
        product = item.product
        items.append(
            _Item(
                sku=(product.sku or None) if product is not None else None,
                quantity=product.quantity_shipped if product is not None else None,
                adjustment_id=item.identifier("ORDER_ADJUSTMENT_ITEM_ID"),
                components=tuple(_leaves(item.breakdowns, (), f"{at}.breakdowns")),
            )
        )
    # Some transaction types put their breakdowns on the transaction and none on the items
    # (amzn/selling-partner-api-models#4993); then the transaction's own breakdowns count.
    order_components: tuple[_Component, ...] = ()
    if not any(item.components for item in items):
        order_components = tuple(_leaves(txn.breakdowns, (), f"{where}.breakdowns"))
    return _Refund(
        refund_id=refund_id,
        order_ref=txn.identifier("ORDER_ID"),
        posted=txn.posted_date,
        items=tuple(items),
        order_components=order_components,
        marketplace=(txn.marketplace_details.marketplace_name if txn.marketplace_details else None),
    )


def from_transaction(
    txn: Transaction, *, source: str, where: str, refund_types: frozenset[str]
) -> AmazonRefund | None:
    """Map one 2024-06-19 transaction; None when it is not a customer refund."""
    if (txn.transaction_type or "") not in refund_types:
        return None
    refund = _v2024_refund(txn, where)
    partial = not txn.breakdowns and any(item.breakdowns is None for item in txn.items or ())
    _check_parts(refund, where, partial=partial)
    if not customer_amount_is_positive(refund):
        return None
    return _event(refund, source)
