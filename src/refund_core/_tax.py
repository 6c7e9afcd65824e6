"""Tax as NetSuite holds it on a line, and the total NetSuite computes for a record (TAX-1..3).

NetSuite keeps tax per item line: a tax code, its rate (``taxRate1``, a percentage) and the tax
amount (``tax1Amt``); the record's total is its lines, their tax and its shipping. When a record is
created, NetSuite computes each taxable line's tax from its code's rate and rounds it *per line*.
That computation lives in exactly one place, :func:`netsuite_total`, used by the decisions (so a
plan's records total what they refund) and by the NetSuite stand-in (so a plan that would not is
caught by a test).

Source: NetSuite Help, "Setting Tax Rounding Levels, Methods, and Precision Settings"
(docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_N1814149.html). With the tax
rounding level *Item Line Level* "tax is rounded per line"; U.S. and Canadian nexuses have no
level preference at all (their tax is per line); the rounding method is *Round Off* (to the
nearest), *Round Up* or *Round Down* (:class:`TaxRounding`); the precision defaults to ".01 and
Below", two decimal places, which is the minor unit of a two-decimal currency. Decisions here round
to the currency's ISO 4217 minor unit (0, 2 or 3 places), the only precision a record can hold.
The documented *Transaction Level* (one rounding of subtotal x rate) is VAT/GST only and is not
modelled: an account using it keeps its tax per line in what NetSuite returns, which the decisions
reproduce as explicit amounts where they differ (TAX-2).

Rounding modes are named, never inherited from a global decimal context: *Round Off* rounds halves
away from zero (``ROUND_HALF_UP``), *Round Up* and *Round Down* are away from and towards zero.
"""

import decimal
import enum
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol

import attrs

from ._errors import InvalidRecordError
from ._money import MAX_DIGITS, Money, at_exponent, sum_money
from ._validators import identifier

__all__ = [
    "CreditLineKind",
    "LineTax",
    "TaxRounding",
    "line_tax",
    "netsuite_total",
    "stated_tax",
]

#: Far more precision than any amount times any rate needs, so only the named rounding rounds.
_WIDE = decimal.Context(prec=80, traps=[decimal.InvalidOperation, decimal.Overflow])
_HUNDRED = Decimal(100)


class TaxRounding(enum.StrEnum):
    """NetSuite's tax rounding methods (Set Up Taxes, "Tax Rounding Method")."""

    ROUND_OFF = "round_off"
    ROUND_UP = "round_up"
    ROUND_DOWN = "round_down"

    @property
    def decimal_mode(self) -> str:
        """The :mod:`decimal` rounding mode of this method."""
        return _DECIMAL_MODES[self]


_DECIMAL_MODES = {
    TaxRounding.ROUND_OFF: decimal.ROUND_HALF_UP,
    TaxRounding.ROUND_UP: decimal.ROUND_UP,
    TaxRounding.ROUND_DOWN: decimal.ROUND_DOWN,
}


class CreditLineKind(enum.StrEnum):
    """What a line of a credit memo or cash refund is.

    ``ITEM``: an item line (an original line, a partial or refund item). ``SHIPPING``: refunded
    shipping written as a line of the configured shipping refund item (SHP-1). ``TAX``: an explicit
    tax line holding tax NetSuite's per-line rounding could not reach on a taxable line (TAX-2).
    """

    ITEM = "item"
    SHIPPING = "shipping"
    TAX = "tax"


def _rate(_instance: object, _attribute: "attrs.Attribute[Any]", value: object) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise InvalidRecordError(f"a tax rate is a percentage of zero or more, got {value!r}")


@attrs.frozen
class LineTax:
    """The tax of one line as NetSuite holds it: code, rate in percent (8.25 is 8.25 %), amount."""

    code: str = attrs.field(validator=identifier)
    rate: Decimal = attrs.field(validator=_rate)
    amount: Money

    def __attrs_post_init__(self) -> None:
        if self.amount.is_negative:
            raise InvalidRecordError(f"tax {self.code}: amount {self.amount} is negative")

    def describe(self) -> str:
        """``CA 8.25 %``."""
        return f"{self.code} {self.rate.normalize():f} %"


def line_tax(net: Money, rate: Decimal, rounding: TaxRounding = TaxRounding.ROUND_OFF) -> Money:
    """The tax NetSuite computes for a taxable line of ``net`` at ``rate`` percent, per line.

    >>> str(line_tax(Money.of("46.19", "USD"), Decimal("8.25")))
    '3.81 USD'
    >>> str(line_tax(Money.of("999", "JPY"), Decimal("10")))
    '100 JPY'
    """
    exact = _WIDE.divide(_WIDE.multiply(net.amount, rate), _HUNDRED)
    rounded = exact.quantize(net.currency.quantum, rounding=rounding.decimal_mode, context=_WIDE)
    if rounded.adjusted() < MAX_DIGITS - net.currency.exponent:  # fits: at the exponent already
        return at_exponent(rounded, net.currency)
    return Money(rounded, net.currency)  # too many digits for an amount: Money says so


class TaxedLine(Protocol):
    """Anything with a net amount and an optional tax: billing lines and credit lines alike."""

    @property
    def amount(self) -> Money:
        """The line's net amount (for an explicit tax line: the tax it holds)."""
        ...

    @property
    def tax(self) -> LineTax | None:
        """The line's tax code and rate, or None for a non-taxable line."""
        ...


def netsuite_total(
    lines: Iterable[TaxedLine],
    shipping: Money,
    rounding: TaxRounding = TaxRounding.ROUND_OFF,
) -> Money:
    """The total NetSuite computes for a record of ``lines`` and ``shipping`` (TAX-1, TAX-2).

    Each line counts its amount plus, when taxable, the tax NetSuite computes from its rate and
    rounds per line (:func:`line_tax`); the tax amount a line carries is what the record *states*,
    not what NetSuite computes, so a stated amount that NetSuite would round differently shows up
    as a different total. Non-taxable lines and explicit tax lines count their amount as it is.
    """
    amounts: list[Money] = [shipping]
    for line in lines:
        amounts.append(line.amount)
        if line.tax is not None:
            amounts.append(line_tax(line.amount, line.tax.rate, rounding))
    return sum_money(amounts, shipping.currency)


def stated_tax(line: TaxedLine) -> Money:
    """The tax a line states (zero when it is not taxable)."""
    return line.tax.amount if line.tax is not None else Money.zero(line.amount.currency)
