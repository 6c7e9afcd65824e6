"""Small attrs validators shared by the models; each raises a typed, located error."""

import enum
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from ._errors import CurrencyMismatchError, InvalidRecordError
from ._money import Currency, Money

__all__ = [
    "aware",
    "identifier",
    "member_of",
    "optional_aware",
    "optional_identifier",
    "positive_money",
    "same_currency",
    "to_tuple",
]

_Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]
_E = TypeVar("_E", bound=enum.Enum)


def member_of(kind: type[_E], value: object) -> _E:
    """``kind(value)``, skipping the call when ``value`` already is a member of ``kind``.

    For the converters of models built many times per decision: calling an enum class costs
    several times more than checking the class, and the result and the errors are the same.
    """
    return value if value.__class__ is kind else kind(value)


def _where(instance: object, attribute: "attrs.Attribute[Any]") -> str:
    return f"{type(instance).__name__}.{attribute.name}"


def identifier(instance: object, attribute: "attrs.Attribute[Any]", value: object) -> None:
    """A record or source identifier: a non-empty string without surrounding whitespace."""
    if not isinstance(value, str) or not value or value[0].isspace() or value[-1].isspace():
        raise InvalidRecordError(
            f"{_where(instance, attribute)} must be a non-empty identifier, got {value!r}"
        )


def optional_identifier(instance: object, attribute: "attrs.Attribute[Any]", value: object) -> None:
    """An identifier or None."""
    if value is not None:
        identifier(instance, attribute, value)


def aware(instance: object, attribute: "attrs.Attribute[Any]", value: object) -> None:
    """A datetime with a UTC offset; naive datetimes are ambiguous across time zones."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidRecordError(
            f"{_where(instance, attribute)} must be a datetime with a UTC offset, got {value!r}"
        )


def optional_aware(instance: object, attribute: "attrs.Attribute[Any]", value: object) -> None:
    """An aware datetime or None."""
    if value is not None:
        aware(instance, attribute, value)


def positive_money(instance: object, attribute: "attrs.Attribute[Any]", value: object) -> None:
    """Money above zero."""
    if not isinstance(value, Money) or not value.is_positive:
        raise InvalidRecordError(f"{_where(instance, attribute)} must be positive, got {value}")


def positive_quantity(instance: object, attribute: "attrs.Attribute[Any]", value: object) -> None:
    """A quantity above zero, or None where the source names no quantity."""
    if value is None:
        return
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise InvalidRecordError(f"{_where(instance, attribute)} must be positive, got {value!r}")


def same_currency(what: str, currency: Currency, amounts: Iterable[Money | None]) -> None:
    """Every amount of a record shares one currency (MNY-2)."""
    for amount in amounts:
        if amount is not None and amount.currency != currency:
            raise CurrencyMismatchError(
                f"{what} mixes currencies: {amount} in a {currency.code} record"
            )


def to_tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    """Accept any iterable from Python callers but store an immutable tuple."""
    if isinstance(value, (str, bytes, dict)):
        raise InvalidRecordError(f"expected a sequence of records, got {type(value).__name__}")
    return tuple(value)
