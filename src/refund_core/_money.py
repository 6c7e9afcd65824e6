"""Exact money: ``Decimal`` plus an ISO 4217 currency that carries its exponent (MNY-1).

Every operation runs in a private decimal context that *traps* inexact results, so a rounding can
never happen silently: either the arithmetic is exact or it raises. Rounding happens in one place
only, :func:`allocate`, and it names its method (largest remainder).
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Self

import attrs

from ._currencies import CURRENCIES
from ._errors import (
    CurrencyMismatchError,
    FloatAmountError,
    MoneyError,
    PrecisionError,
    UnknownCurrencyError,
)

__all__ = ["Currency", "Money", "allocate", "sum_money"]

# Precision far above any ledger amount; Inexact is trapped so nothing is ever rounded quietly.
_EXACT = decimal.Context(
    prec=60,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=999_999,
    Emin=-999_999,
    traps=[
        decimal.InvalidOperation,
        decimal.DivisionByZero,
        decimal.Overflow,
        decimal.Inexact,
    ],
)


def _check_code(_instance: object, _attribute: object, code: object) -> None:
    if not isinstance(code, str):
        raise UnknownCurrencyError(f"currency code must be a string, got {type(code).__name__}")
    record = CURRENCIES.get(code)
    if record is None:
        raise UnknownCurrencyError(f"unknown currency {code!r}: not an active ISO 4217 code")
    if record.exponent is None:
        raise UnknownCurrencyError(
            f"{code} has no minor unit in ISO 4217 (a metal, fund or test code); "
            "it cannot be a refund currency"
        )


@attrs.frozen(order=False)
class Currency:
    """An active ISO 4217 currency; its exponent (minor unit) comes from the standard's table."""

    code: str = attrs.field(validator=_check_code)  # type: ignore[assignment]

    @property
    def exponent(self) -> int:
        """Digits after the decimal point: 0 for JPY, 2 for USD, 3 for KWD."""
        exponent = CURRENCIES[self.code].exponent
        if exponent is None:  # unreachable: the validator refuses codes without a minor unit
            raise UnknownCurrencyError(f"{self.code} has no minor unit")
        return exponent

    @property
    def quantum(self) -> Decimal:
        """The smallest amount of this currency, e.g. ``Decimal("0.01")`` for USD."""
        return Decimal(1).scaleb(-self.exponent, context=_EXACT)

    def __str__(self) -> str:
        return self.code


def _exact_decimal(value: object, *, what: str = "amount") -> Decimal:
    """Turn an int, a Decimal or a numeric string into a finite Decimal; refuse floats."""
    if isinstance(value, bool):
        raise MoneyError(f"{what} must be a number, got a bool")
    if isinstance(value, float):
        raise FloatAmountError(
            f"{what} {value!r} is a float; pass a Decimal, an int or a string so it stays exact"
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except decimal.InvalidOperation:
            raise MoneyError(f"{what} {value!r} is not a decimal number") from None
    else:
        raise MoneyError(
            f"{what} must be a Decimal, an int or a string, got {type(value).__name__}"
        )
    if not result.is_finite():
        raise MoneyError(f"{what} must be finite, got {result}")
    return result


def _as_currency(currency: Currency | str) -> Currency:
    return currency if isinstance(currency, Currency) else Currency(currency)


@attrs.frozen(order=False)
class Money:
    """An exact amount in one currency, held at exactly the currency's exponent.

    ``Money(Decimal("12.5"), Currency("USD"))`` is stored as ``12.50 USD``; ``12.505 USD`` is a
    :class:`PrecisionError`, never a rounding. Arithmetic with another currency raises
    :class:`CurrencyMismatchError`.
    """

    amount: Decimal
    currency: Currency = attrs.field(validator=attrs.validators.instance_of(Currency))

    def __attrs_post_init__(self) -> None:
        amount = _exact_decimal(self.amount)
        try:
            normalised = amount.quantize(self.currency.quantum, context=_EXACT)
        except decimal.Inexact:
            raise PrecisionError(
                f"{amount} has more decimal places than {self.currency.code} allows "
                f"({self.currency.exponent})"
            ) from None
        except decimal.InvalidOperation:
            raise PrecisionError(f"{amount} is too large for an amount") from None
        object.__setattr__(self, "amount", normalised)

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: Currency | str) -> Self:
        """Build from an exact amount and a currency code: ``Money.of("12.50", "USD")``."""
        return cls(_exact_decimal(amount), _as_currency(currency))

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse ``"12.50 USD"``, the form used in messages and test fixtures."""
        parts = text.split()
        if len(parts) != 2:
            raise MoneyError(f"expected '<amount> <currency>', got {text!r}")
        return cls.of(parts[0], parts[1])

    @classmethod
    def zero(cls, currency: Currency | str) -> Self:
        """Zero in the given currency."""
        return cls(Decimal(0), _as_currency(currency))

    @classmethod
    def from_minor_units(cls, minor: int, currency: Currency | str) -> Self:
        """From an integer count of minor units, as Stripe sends them: ``1250`` USD is 12.50."""
        if isinstance(minor, bool) or not isinstance(minor, int):
            raise MoneyError(f"minor units must be an int, got {type(minor).__name__}")
        cur = _as_currency(currency)
        return cls(Decimal(minor).scaleb(-cur.exponent, context=_EXACT), cur)

    def to_minor_units(self) -> int:
        """The amount as an integer count of minor units; exact by construction."""
        scaled = self.amount.scaleb(self.currency.exponent, context=_EXACT)
        return int(scaled.to_integral_exact(context=_EXACT))

    # -- queries ----------------------------------------------------------------------------

    @property
    def is_zero(self) -> bool:
        """True for an amount of exactly zero."""
        return self.amount.is_zero()

    @property
    def is_positive(self) -> bool:
        """True for an amount above zero."""
        return self.amount > 0

    @property
    def is_negative(self) -> bool:
        """True for an amount below zero."""
        return self.amount < 0

    def __str__(self) -> str:
        return f"{self.amount} {self.currency.code}"

    # -- arithmetic -------------------------------------------------------------------------

    def _same_currency(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise MoneyError(f"cannot combine money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(
                f"cannot combine {self} with {other}: currencies differ "
                f"({self.currency.code} vs {other.currency.code})"
            )
        return other

    def __add__(self, other: Money) -> Money:
        other = self._same_currency(other)
        return Money(_EXACT.add(self.amount, other.amount), self.currency)

    def __sub__(self, other: Money) -> Money:
        other = self._same_currency(other)
        return Money(_EXACT.subtract(self.amount, other.amount), self.currency)

    def __neg__(self) -> Money:
        return Money(_EXACT.minus(self.amount), self.currency)

    def __abs__(self) -> Money:
        return Money(_EXACT.abs(self.amount), self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same_currency(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same_currency(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same_currency(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same_currency(other).amount

    def min(self, other: Money) -> Money:
        """The smaller of two amounts in the same currency."""
        return self if self <= other else other

    def max(self, other: Money) -> Money:
        """The larger of two amounts in the same currency."""
        return self if self >= other else other


def sum_money(amounts: Iterable[Money], currency: Currency | str) -> Money:
    """Add amounts that must all be in ``currency``; an empty iterable is zero."""
    total = Money.zero(currency)
    for amount in amounts:
        total = total + amount
    return total


def allocate(total: Money, weights: Sequence[Decimal | int]) -> tuple[Money, ...]:
    """Split ``total`` over ``weights`` by the largest-remainder method (MNY-3).

    Each share is ``total * weight / sum(weights)`` rounded down to a minor unit; the minor units
    left over go one each to the shares with the largest remainders, earlier shares first on a tie.
    The shares always add up to ``total`` exactly. Weights must be non-negative and not all zero.
    """
    if not weights:
        raise MoneyError("cannot allocate over an empty list of weights")
    exact = [Fraction(_exact_decimal(weight, what="weight")) for weight in weights]
    if any(weight < 0 for weight in exact):
        raise MoneyError(f"weights must be non-negative, got {list(map(str, weights))}")
    weight_sum = sum(exact, Fraction(0))
    if weight_sum == 0:
        raise MoneyError("cannot allocate over weights that are all zero")
    sign = -1 if total.is_negative else 1
    minor = abs(total.to_minor_units())
    ideal = [minor * weight / weight_sum for weight in exact]
    floors = [int(share) for share in ideal]  # shares are non-negative, so int() is floor
    leftover = minor - sum(floors)
    by_remainder = sorted(range(len(ideal)), key=lambda i: (-(ideal[i] - floors[i]), i))
    for index in by_remainder[:leftover]:
        floors[index] += 1
    return tuple(Money.from_minor_units(sign * share, total.currency) for share in floors)
