"""What every part of the demo world shares: its constants and tiny builders of its records."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import refund_core as rc

__all__ = [
    "MAGENTO_ORDER",
    "SHOPIFY_CUSTOMER",
    "SHOPIFY_EU_ORDER",
    "SHOPIFY_ORDER",
    "START",
    "TAX_CODE",
    "TAX_RATE",
    "at",
    "jpy",
    "line",
    "usd",
]

#: The NetSuite account's sales tax code (its tax item's internal ID) and rate, in percent.
TAX_CODE = "tax-1"
TAX_RATE = Decimal("8.25")

#: Where every account's first run starts.
START = datetime(2026, 1, 1, tzinfo=UTC)
#: The storefront IDs of the outgoing orders (Shopify's numeric order ID, Magento's increment ID).
SHOPIFY_ORDER = "5001"
#: The order of the incoming Shopify shop whose refund went back partly to a gift card.
SHOPIFY_EU_ORDER = "6001"
SHOPIFY_CUSTOMER = "7001"
MAGENTO_ORDER = "000000400"


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def usd(amount: str) -> rc.Money:
    return rc.Money.of(amount, "USD")


def jpy(amount: str) -> rc.Money:
    return rc.Money.of(amount, "JPY")


def line(
    line_id: str, item: str, amount: rc.Money, ref: str | None = None, qty: int | None = None
) -> rc.TransactionLine:
    quantity = Decimal(qty) if qty is not None else None
    return rc.TransactionLine(line_id, item, quantity, amount, order_line_ref=ref)
