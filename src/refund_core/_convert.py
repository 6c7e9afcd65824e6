"""The strict JSON converter for every model, setting, plan and scenario.

A private cattrs converter, never the global one. Decimals travel as strings (``"12.50"``),
datetimes as ISO 8601 with a UTC offset, currencies as their code, enums as their value, and
unions of records as objects tagged with ``"type"``. Unknown keys and wrong types raise one
:class:`DocumentError` listing every bad field with its JSON path (``$.events[0].amount``).

Whatever a document holds, reading it ends in a result or a :class:`DocumentError`: a top level
that is not an object, nesting deeper than :data:`MAX_JSON_DEPTH`, an integer too long for
Python to read (over 4,300 digits), NaN or Infinity are all reported with their path.
"""

import json
import re
import typing
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.strategies import configure_tagged_union

from ._errors import DocumentError, FieldProblem, InvalidInputError
from ._money import Currency, Money
from ._outcomes import Action, Outcome
from ._scenario import Scenario, ScenarioEvent, ScenarioOutcome

__all__ = [
    "MAX_JSON_DEPTH",
    "check_depth",
    "converter",
    "dumps",
    "loads_scenario",
    "structure",
    "unstructure",
]

T = TypeVar("T")

#: The deepest nesting accepted in any JSON refund-sync reads (documents, vendor answers). Real
#: ones nest a dozen levels at most; anything near the interpreter's recursion limit is refused
#: before a recursive reader sees it.
MAX_JSON_DEPTH = 64


def check_depth(value: object, *, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise ``ValueError`` if ``value`` nests deeper than ``limit`` (checked without recursion).

    >>> check_depth([[1]], limit=2)
    >>> check_depth([[[1]]], limit=2)
    Traceback (most recent call last):
    ...
    ValueError: nested deeper than 2 levels
    """
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            raise ValueError(f"nested deeper than {limit} levels")
        stack.extend((child, depth + 1) for child in children)


class _LongInteger:
    """A JSON integer too long to read as one (over Python's 4,300 digits): refused by field."""

    def __init__(self, digits: str) -> None:
        self.digits = len(digits)

    def __repr__(self) -> str:
        return f"<an integer of {self.digits} digits>"


def _integer(text: str) -> int | _LongInteger:
    # int() refuses over 4,300 digits with a bare ValueError; the marker lets the field say so.
    return int(text) if len(text) <= 4300 else _LongInteger(text)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _tag(cls: type) -> str:
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()
    return name.removesuffix("_event")


def _structure_decimal(value: object, _: type) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(
            f'expected a decimal string such as "12.50", got {type(value).__name__} {value!r}'
        )
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise ValueError(f'expected a decimal string such as "12.50", got {value!r}') from None
    if not result.is_finite():
        raise ValueError(f"expected a finite decimal, got {value!r}")
    return result


def _structure_datetime(value: object, _: type) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 datetime string, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected an ISO 8601 datetime, got {value!r}") from None
    if parsed.utcoffset() is None:
        raise ValueError(f"datetime {value!r} has no UTC offset; add one, e.g. +00:00 or Z")
    return parsed


def _structure_currency(value: object, _: type) -> Currency:
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 4217 currency code, got {type(value).__name__}")
    return Currency(value)


def _structure_money(value: object, _: type) -> Money:
    if not isinstance(value, dict):
        raise ValueError(
            f'expected money as {{"amount": "12.50", "currency": "USD"}}, got {_json_kind(value)}'
        )
    extra = set(value) - {"amount", "currency"}
    if extra:
        raise ValueError(f"unknown money key(s): {', '.join(sorted(extra))}")
    if "amount" not in value or "currency" not in value:
        raise ValueError('money needs both "amount" and "currency"')
    return Money(
        _structure_decimal(value["amount"], Decimal),
        _structure_currency(value["currency"], Currency),
    )


def _exactly(kind: type[T]) -> Any:
    """A hook taking only values already of ``kind``: 3 is no string, "3" no integer, 1 no bool."""

    def hook(value: object, _: object) -> T:
        if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
            return value
        raise ValueError(f"expected {_JSON_NAMES[kind]}, got {type(value).__name__} {value!r}")

    return hook


_JSON_NAMES: dict[type, str] = {str: "a string", int: "an integer", bool: "true or false"}


def _is_frozenset(hint: Any) -> bool:
    return hint is frozenset or typing.get_origin(hint) is frozenset


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    # cattrs would coerce (str(3), int("3"), bool("no")); a document must say what it means.
    for kind in (str, int, bool):
        conv.register_structure_hook(kind, _exactly(kind))
    conv.register_structure_hook(Decimal, _structure_decimal)
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_unstructure_hook(datetime, lambda value: value.isoformat())
    conv.register_structure_hook(Currency, _structure_currency)
    conv.register_unstructure_hook(Currency, lambda value: value.code)
    conv.register_structure_hook(Money, _structure_money)
    conv.register_unstructure_hook(
        Money, lambda value: {"amount": str(value.amount), "currency": value.currency.code}
    )
    # Sets travel as sorted lists, bare or typed (``frozenset[Direction]``).
    conv.register_unstructure_hook_func(
        _is_frozenset, lambda value: sorted(conv.unstructure(v) for v in value)
    )
    for union in (Action, Outcome, ScenarioEvent, ScenarioOutcome):
        configure_tagged_union(union, conv, tag_generator=_tag, tag_name="type")
    return conv


converter = _make_converter()


def _problems(exc: BaseException, path: str) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    for line in cattrs.transform_error(exc, path=path, format_exception=_format):
        message, _, where = line.rpartition(" @ ")
        problems.append(FieldProblem(path=where or path, message=message or line))
    return problems


def _format(exc: BaseException, type_: Any) -> str:
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return f"unknown field(s): {', '.join(sorted(exc.extra_fields))}"
    if isinstance(exc, (InvalidInputError, ValueError)) and str(exc):
        return str(exc)
    name = getattr(type_, "__name__", str(type_))
    return f"invalid value, expected {name}"


def _json_kind(value: object) -> str:
    if isinstance(value, _LongInteger):
        return repr(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float | Decimal):
        return "a number"
    return type(value).__name__


def structure(data: object, cls: type[T], *, what: str | None = None) -> T:
    """Build ``cls`` from JSON data, or raise :class:`DocumentError` naming every bad path."""
    what = what or str(getattr(cls, "__name__", "document"))
    if attrs.has(cls) and not isinstance(data, dict):
        problem = f"expected a JSON object, got {_json_kind(data)}"
        raise DocumentError(what, [FieldProblem("$", problem)])
    try:
        return converter.structure(data, cls)
    except cattrs.BaseValidationError as exc:
        raise DocumentError(what, _problems(exc, "$")) from exc
    except InvalidInputError as exc:
        raise DocumentError(what, [FieldProblem("$", str(exc))]) from exc
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
        # A shape cattrs does not wrap itself (rare: the top level of a union, say).
        problem = f"unreadable: {type(exc).__name__}: {exc}"
        raise DocumentError(what, [FieldProblem("$", problem)]) from exc


def loads_json(text: str | bytes, *, what: str) -> Any:
    """Parse a JSON document, or raise :class:`DocumentError` saying what is wrong, and where.

    NaN and Infinity are refused, nesting is bounded (:data:`MAX_JSON_DEPTH`), and an integer
    too long to read is left as a marker its field refuses by path.
    """
    try:
        data = json.loads(text, parse_int=_integer, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        problem = f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        raise DocumentError(what, [FieldProblem("$", problem)]) from exc
    except (ValueError, RecursionError) as exc:  # a bad constant, undecodable bytes, deep
        message = "nested too deep" if isinstance(exc, RecursionError) else str(exc)
        raise DocumentError(what, [FieldProblem("$", f"not valid JSON: {message}")]) from exc
    try:
        check_depth(data)
    except ValueError as exc:
        raise DocumentError(what, [FieldProblem("$", str(exc))]) from exc
    return data


def unstructure(value: object) -> Any:
    """JSON-shaped data for any model, plan or scenario."""
    return converter.unstructure(value)


def dumps(value: object, **kwargs: Any) -> str:
    """A JSON string for any model, plan or scenario."""
    return json.dumps(unstructure(value), **kwargs)


def loads_scenario(text: str) -> Scenario:
    """Parse a scenario document, raising :class:`DocumentError` with JSON paths on bad input."""
    return structure(loads_json(text, what="scenario"), Scenario, what="scenario")
