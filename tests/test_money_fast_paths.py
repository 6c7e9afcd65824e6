"""Money's internal fast paths give what the checked constructor gives (MNY-1, MNY-3).

Arithmetic on checked money builds its result without re-running the checks, sums add Decimals
and build one Money, and integer weights are allocated with integer arithmetic (issue 15). Each
is compared here with the slow, checked way over Hypothesis-drawn amounts, signs and currencies.
"""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from refund_core import (
    Currency,
    CurrencyMismatchError,
    Money,
    MoneyError,
    PrecisionError,
    allocate,
    line_tax,
    sum_money,
)
from tests.strategies import currencies

minors = st.integers(-(10**15), 10**15)


def _checked(amount: Decimal, code: str) -> Money:
    """The checked way: the public constructor, which validates and quantizes."""
    return Money(amount, Currency(code))


def _same(fast: Money, slow: Money) -> None:
    """Equal, and held alike: same digits, exponent and sign (so ``str`` agrees too)."""
    assert fast == slow
    assert fast.amount.as_tuple() == slow.amount.as_tuple()
    assert str(fast) == str(slow)
    assert fast.currency == slow.currency


@given(currencies, minors, minors)
def test_arithmetic_equals_the_checked_constructor(code: str, a: int, b: int) -> None:
    """MNY-1: +, -, unary -, abs, min and max give what Money(...) of the exact result gives."""
    x, y = Money.from_minor_units(a, code), Money.from_minor_units(b, code)
    _same(x + y, _checked(x.amount + y.amount, code))
    _same(x - y, _checked(x.amount - y.amount, code))
    _same(-x, _checked(-x.amount, code))
    _same(abs(x), _checked(abs(x.amount), code))
    assert x.min(y) == _checked(min(x.amount, y.amount), code)
    assert x.max(y) == _checked(max(x.amount, y.amount), code)
    assert (x < y, x <= y, x > y, x >= y) == (
        x.amount < y.amount,
        x.amount <= y.amount,
        x.amount > y.amount,
        x.amount >= y.amount,
    )


@given(currencies, st.lists(minors, max_size=8))
def test_sum_money_equals_adding_one_by_one(code: str, amounts: list[int]) -> None:
    """MNY-1: sum_money equals a fold of checked additions, zero for nothing."""
    moneys = [Money.from_minor_units(m, code) for m in amounts]
    total = _checked(Decimal(0), code)
    for money in moneys:
        total = _checked(total.amount + money.amount, code)
    _same(sum_money(moneys, code), total)


def test_zero_minus_zero_is_an_unsigned_zero() -> None:
    """MNY-1: the fast paths keep the context's signed-zero rules (no '-0.00')."""
    zero = Money.zero("USD")
    assert str(zero - zero) == "0.00 USD"
    assert str(-zero) == "0.00 USD"
    assert str(sum_money([zero, -zero], "USD")) == "0.00 USD"


@given(currencies, currencies, minors)
def test_mixing_currencies_still_raises(code: str, other: str, minor: int) -> None:
    """MNY-2: arithmetic and sums across currencies raise, naming both."""
    assume(code != other)
    x, y = Money.from_minor_units(minor, code), Money.from_minor_units(minor, other)
    for combine in (lambda: x + y, lambda: x - y, lambda: x < y, lambda: sum_money([x, y], code)):
        with pytest.raises(CurrencyMismatchError, match=other):
            combine()


def test_currencies_equal_by_code_combine_whoever_made_them() -> None:
    """MNY-1: money in two Currency objects of one code adds up as one currency."""
    x = Money(Decimal("1.50"), Currency("EUR"))
    y = Money(Decimal("2.25"), Currency("EUR"))
    assert str(x + y) == "3.75 EUR"
    assert str(sum_money([x, y], Currency("EUR"))) == "3.75 EUR"
    assert x - y < x


def test_amounts_beyond_the_precision_raise_as_before() -> None:
    """MNY-1: a result too large for an amount raises as the checked constructor always did."""
    big = Money(Decimal("9" * 58 + ".99"), Currency("USD"))  # 60 digits, the most an amount has
    for grow in (
        lambda extra: big + extra,
        lambda extra: big - (-extra),
        lambda extra: sum_money([big, extra], "USD"),
    ):
        # 61 digits, the last one not 0: inexact, as the exact context reports it.
        with pytest.raises(decimal.Inexact) as raised:
            grow(Money.of("0.02", "USD"))
        assert raised.value.args == ([decimal.Inexact],)
        # 61 digits ending in 0: rounded without loss, then refused by Money.
        with pytest.raises(PrecisionError, match="too large"):
            grow(Money.of("0.11", "USD"))


def test_anything_but_money_is_refused() -> None:
    """MNY-1: combining money with a number raises MoneyError, as it always did."""
    x = Money.of("1.00", "USD")
    with pytest.raises(MoneyError):
        x + Decimal(1)  # type: ignore[operator]
    with pytest.raises(MoneyError):
        sum_money([x, Decimal(1)], "USD")  # type: ignore[list-item]


@given(
    currencies,
    st.integers(-(10**12), 10**12),
    st.lists(st.integers(0, 10**9), min_size=1, max_size=8),
)
def test_integer_weights_allocate_as_exact_fractions_do(
    code: str, minor: int, weights: list[int]
) -> None:
    """MNY-3: integer weights (the fast path) split as the same weights as Decimals do."""
    assume(sum(weights) > 0)
    total = Money.from_minor_units(minor, code)
    fast = allocate(total, weights)
    exact = allocate(total, [Decimal(w) for w in weights])
    assert fast == exact
    for share, slow in zip(fast, exact, strict=True):
        _same(share, slow)


def test_integer_weights_are_checked_as_before() -> None:
    """MNY-3: negative, all-zero and bool weights are refused on the integer path too."""
    total = Money.of("1.00", "USD")
    with pytest.raises(MoneyError, match="non-negative"):
        allocate(total, [1, -1])
    with pytest.raises(MoneyError, match="all zero"):
        allocate(total, [0, 0])
    with pytest.raises(MoneyError, match="bool"):
        allocate(total, [True, 1])


@given(
    currencies,
    st.integers(0, 10**12),
    st.decimals(min_value=0, max_value=30, places=4, allow_nan=False, allow_infinity=False),
)
def test_line_tax_is_money_at_the_exponent(code: str, minor: int, rate: Decimal) -> None:
    """TAX-1: the per-line tax is held at the currency's exponent, as Money(...) would hold it."""
    tax = line_tax(Money.from_minor_units(minor, code), rate)
    _same(tax, _checked(tax.amount, code))
