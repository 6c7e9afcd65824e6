"""Exact money: ``Decimal`` plus an ISO 4217 currency that carries its exponent (MNY-1).

Every operation runs in a private decimal context that *traps* inexact results, so a rounding can
never happen silently: either the arithmetic is exact or it raises. Rounding happens in one place
only, :func:`allocate`, and it names its method (largest remainder).

Amounts are checked once, where they come in (``Money(...)``, :meth:`Money.of`, ...): type,
finiteness, and the currency's exponent. Arithmetic on money that passed those checks builds its
result directly (:func:`at_exponent`): adding or subtracting two amounts held at one exponent
gives an amount at that exponent, exactly, or a trapped signal, and a trapped signal falls back
to the checked constructor, which raises what it always raised. That keeps a decision's many sums
from re-running every check on every intermediate amount (issue 15: they were most of its cost).
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Self, cast

import attrs

from ._currencies import CURRENCIES
from ._errors import (
    CurrencyMismatchError,
    FloatAmountError,
    MoneyError,
    PrecisionError,
    UnknownCurrencyError,
)

__all__ = ["MAX_DIGITS", "Currency", "Money", "allocate", "at_exponent", "sum_money"]

#: The most digits an amount can have (the exact context's precision).
MAX_DIGITS = 60
# Precision far above any ledger amount; Inexact is trapped so nothing is ever rounded quietly.
_EXACT = decimal.Context(
    prec=MAX_DIGITS,
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
# The same, trapping any rounding at all: a sum of two amounts at one exponent is at that exponent
# unless its digits outgrow the precision, which signals Rounded (exact) or Inexact.
_ARITH = _EXACT.copy()
_ARITH.traps[decimal.Rounded] = True
# What _ARITH raises when a result outgrows the precision; the checked path then runs again in
# _EXACT and raises exactly what it always raised.
_OUTGROWN = (decimal.Rounded, decimal.Inexact)

# Exponent and quantum of every code that can be a refund currency, computed once.
_EXPONENTS: dict[str, int] = {
    code: record.exponent for code, record in CURRENCIES.items() if record.exponent is not None
}
_QUANTA: dict[str, Decimal] = {
    code: Decimal(1).scaleb(-exponent, context=_EXACT) for code, exponent in _EXPONENTS.items()
}


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
        return _EXPONENTS[self.code]  # the validator admits only codes with a minor unit

    @property
    def quantum(self) -> Decimal:
        """The smallest amount of this currency, e.g. ``Decimal("0.01")`` for USD."""
        return _QUANTA[self.code]

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


# One Currency per code named by a string: currencies are immutable values, and sharing them lets
# arithmetic tell two amounts share a currency by identity before it compares codes.
_CURRENCIES_BY_CODE: dict[str, Currency] = {}


def _as_currency(currency: Currency | str) -> Currency:
    if isinstance(currency, Currency):
        return currency
    known = _CURRENCIES_BY_CODE.get(currency) if isinstance(currency, str) else None
    if known is None:
        known = Currency(currency)  # checks the code, raising for an unknown one
        _CURRENCIES_BY_CODE[known.code] = known
    return known


@attrs.frozen(order=False, eq=False)
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
            normalised = amount.quantize(_QUANTA[self.currency.code], context=_EXACT)
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
        if cls is Money:
            if isinstance(currency, Currency):
                code: str | None = currency.code
            else:
                code = currency if currency.__class__ is str else None
            zero = _ZEROS.get(code) if code is not None else None
            if zero is not None:
                return zero  # type: ignore[return-value]
            return _zero(_as_currency(currency))  # type: ignore[return-value]
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
        # The amount is held at the exponent, so scaling by it leaves an integral value.
        return int(self.amount.scaleb(_EXPONENTS[self.currency.code], context=_EXACT))

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

    # Equality as attrs would generate it (same class, equal amount and currency), written out
    # because decisions compare money constantly: same-object currencies skip their comparison.
    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self.amount == other.amount and (
            self.currency is other.currency or self.currency == other.currency
        )

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))

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
        if other.__class__ is not Money or other.currency is not self.currency:
            other = self._same_currency(other)
        try:
            return at_exponent(_ARITH.add(self.amount, other.amount), self.currency)
        except _OUTGROWN:  # digits beyond the precision: the checked path decides
            return Money(_EXACT.add(self.amount, other.amount), self.currency)

    def __sub__(self, other: Money) -> Money:
        if other.__class__ is not Money or other.currency is not self.currency:
            other = self._same_currency(other)
        try:
            return at_exponent(_ARITH.subtract(self.amount, other.amount), self.currency)
        except _OUTGROWN:  # digits beyond the precision: the checked path decides
            return Money(_EXACT.subtract(self.amount, other.amount), self.currency)

    def __neg__(self) -> Money:
        # Same digits, so same exponent; the context turns -0 into 0 as it always did.
        return at_exponent(_EXACT.minus(self.amount), self.currency)

    def __abs__(self) -> Money:
        return at_exponent(_EXACT.abs(self.amount), self.currency)

    def __lt__(self, other: Money) -> bool:
        if other.__class__ is not Money or other.currency is not self.currency:
            other = self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        if other.__class__ is not Money or other.currency is not self.currency:
            other = self._same_currency(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        if other.__class__ is not Money or other.currency is not self.currency:
            other = self._same_currency(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        if other.__class__ is not Money or other.currency is not self.currency:
            other = self._same_currency(other)
        return self.amount >= other.amount

    def min(self, other: Money) -> Money:
        """The smaller of two amounts in the same currency."""
        return self if self <= other else other

    def max(self, other: Money) -> Money:
        """The larger of two amounts in the same currency."""
        return self if self >= other else other


# Money's slots, set directly by _valid: the class is frozen, and these skip its checks on purpose.
_SET_AMOUNT = Money.__dict__["amount"].__set__
_SET_CURRENCY = Money.__dict__["currency"].__set__
_new_money = object.__new__
_ZEROS: dict[str, Money] = {}


def at_exponent(amount: Decimal, currency: Currency) -> Money:
    """Money from an amount *already* exact at ``currency``'s exponent; no checks are run.

    Only for the core's own arithmetic on checked money (see the module), never for anything
    from outside, which goes through ``Money(...)``. The amount must be a finite Decimal held at
    the exponent with at most :data:`MAX_DIGITS` digits.
    """
    money = _new_money(Money)
    _SET_AMOUNT(money, amount)
    _SET_CURRENCY(money, currency)
    return money


def _zero(currency: Currency) -> Money:
    zero = _ZEROS.get(currency.code)
    if zero is None:
        zero = _ZEROS[currency.code] = Money(Decimal(0), currency)
    return zero


def sum_money(amounts: Iterable[Money], currency: Currency | str) -> Money:
    """Add amounts that must all be in ``currency``; an empty iterable is zero."""
    cur = _as_currency(currency)
    total = _zero(cur).amount
    add = _ARITH.add
    for item in amounts:
        # An equal currency that is another object passes; anything else raises naming the sum.
        money = item if item.__class__ is Money and item.currency is cur else None
        if money is None:
            money = at_exponent(total, cur)._same_currency(item)
        try:
            total = add(total, money.amount)
        except _OUTGROWN:  # digits beyond the precision: the checked path decides
            total = Money(_EXACT.add(total, money.amount), cur).amount
    return at_exponent(total, cur)


def allocate(total: Money, weights: Sequence[Decimal | int]) -> tuple[Money, ...]:
    """Split ``total`` over ``weights`` by the largest-remainder method (MNY-3).

    Each share is ``total * weight / sum(weights)`` rounded down to a minor unit; the minor units
    left over go one each to the shares with the largest remainders, earlier shares first on a tie.
    The shares always add up to ``total`` exactly. Weights must be non-negative and not all zero.
    """
    if not weights:
        raise MoneyError("cannot allocate over an empty list of weights")
    currency = total.currency
    exponent = _EXPONENTS[currency.code]
    # The amount is held at the exponent, so scaling by it gives an integral value.
    minor = int(total.amount.scaleb(exponent, context=_EXACT))
    sign = -1 if minor < 0 else 1
    minor = abs(minor)
    floors: list[int]
    remainders: Sequence[int | Fraction]
    if set(map(type, weights)) == {int}:  # bools are not weights: they take the checked path
        # Integer weights (minor units, the usual case): share i is minor * w_i / W, so its floor
        # and remainder are a divmod, and remainders over the one denominator W compare as ints.
        ints = cast("Sequence[int]", weights)
        if min(ints) < 0:
            raise MoneyError(f"weights must be non-negative, got {list(map(str, weights))}")
        int_sum = sum(ints)
        if int_sum == 0:
            raise MoneyError("cannot allocate over weights that are all zero")
        floors, remainders = [], []
        for weight in ints:
            floor, remainder = divmod(minor * weight, int_sum)
            floors.append(floor)
            remainders.append(remainder)
    else:
        exact = [Fraction(_exact_decimal(weight, what="weight")) for weight in weights]
        if any(weight < 0 for weight in exact):
            raise MoneyError(f"weights must be non-negative, got {list(map(str, weights))}")
        weight_sum = sum(exact, Fraction(0))
        if weight_sum == 0:
            raise MoneyError("cannot allocate over weights that are all zero")
        ideal = [minor * weight / weight_sum for weight in exact]
        floors = [int(share) for share in ideal]  # shares are non-negative, so int() is floor
        remainders = [share - floor for share, floor in zip(ideal, floors, strict=True)]
    leftover = minor - sum(floors)
    if leftover:
        # Largest remainders first; the sort is stable, so on a tie the earlier share first.
        by_remainder = sorted(range(len(floors)), key=remainders.__getitem__, reverse=True)
        for index in by_remainder[:leftover]:
            floors[index] += 1
    # Each share is at most the total, so it scales to the exponent exactly.
    return tuple(
        at_exponent(Decimal(sign * share).scaleb(-exponent, context=_EXACT), currency)
        for share in floors
    )
