"""The one decoding boundary every adapter reads vendor answers through.

A vendor's answer is bytes until it has been parsed and structured into the adapter's typed wire
models; nothing else in an adapter touches raw JSON. Whatever goes wrong on the way (a body that
is not JSON, a number that is not finite, nesting too deep, a field missing or of the wrong type,
text that cannot be encoded) leaves as one typed error, :class:`UpstreamDataError`, naming the
vendor, the endpoint and the JSON path, so the engine sets aside the one event the answer
belongs to and the run goes on. No bare ``KeyError``, ``TypeError``, ``ValueError``,
``InvalidOperation``, ``UnicodeError`` or ``RecursionError`` crosses this boundary.

Each adapter keeps its own private converter (vendors differ: Stripe's integers are minor units,
Magento sends money as JSON numbers, Amazon as strings); this module only parses and translates.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, TypeVar

import cattrs

from ._http import UpstreamRejectedError

__all__ = ["MAX_DEPTH", "UpstreamDataError", "check_depth", "parse_json", "structure"]

T = TypeVar("T")

#: The deepest nesting accepted in a vendor answer. Real answers nest a dozen levels at most;
#: anything near the interpreter's recursion limit is refused before a recursive reader sees it.
MAX_DEPTH = 64

#: What a structuring step may raise on malformed data, besides cattrs' own validation errors.
_DATA_ERRORS = (
    KeyError,
    IndexError,
    TypeError,
    ValueError,  # includes UnicodeError and json.JSONDecodeError
    InvalidOperation,
    AttributeError,
    OverflowError,
    RecursionError,
)


class UpstreamDataError(UpstreamRejectedError):
    """A vendor's answer did not have the shape the adapter relies on; says where.

    ``endpoint`` is the request it answered (method and path, no query string: queries can carry
    tokens); ``path`` the JSON path of the first problem (``$.data[3].amount``); ``problems``
    every problem found, each with its path.
    """

    error_code: ClassVar[str] = "upstream_data"

    def __init__(
        self,
        message: str,
        *,
        service: str,
        endpoint: str,
        path: str = "$",
        problems: tuple[str, ...] = (),
        status: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            f"malformed answer to {endpoint} at {path}: {message}",
            service=service,
            status=status,
            request_id=request_id,
        )
        self.endpoint = endpoint
        self.path = path
        self.problems = problems or (f"{message} @ {path}",)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def check_depth(value: object, *, limit: int = MAX_DEPTH) -> None:
    """Raise ``ValueError`` if ``value`` nests deeper than ``limit`` (checked without recursion)."""
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


def parse_json(
    body: bytes | str,
    *,
    service: str,
    endpoint: str,
    status: int | None = None,
    request_id: str | None = None,
    parse_float: Callable[[str], Any] = Decimal,
) -> Any:
    """Parse a vendor's JSON body: fractions as ``Decimal``, no NaN or Infinity, bounded depth."""
    try:
        value = json.loads(body, parse_float=parse_float, parse_constant=_refuse_constant)
        check_depth(value)
    except (ValueError, RecursionError) as exc:
        raise UpstreamDataError(
            f"not usable JSON: {exc}",
            service=service,
            endpoint=endpoint,
            status=status,
            request_id=request_id,
        ) from exc
    return value


def structure(
    converter: cattrs.Converter,
    payload: object,
    cls: type[T],
    *,
    service: str,
    endpoint: str,
    path: str = "$",
    status: int | None = None,
    request_id: str | None = None,
) -> T:
    """Structure ``payload`` into ``cls`` with the adapter's converter, or raise one typed error.

    ``path`` is where ``payload`` sits in the whole answer, so problems are named from its root.
    """
    try:
        return converter.structure(payload, cls)
    except cattrs.BaseValidationError as exc:
        problems = tuple(cattrs.transform_error(exc, path=path))
        first = problems[0] if problems else f"invalid {cls.__name__} @ {path}"
        message, _, where = first.rpartition(" @ ")
        raise UpstreamDataError(
            message or first,
            service=service,
            endpoint=endpoint,
            path=where or path,
            problems=problems,
            status=status,
            request_id=request_id,
        ) from exc
    except _DATA_ERRORS as exc:
        raise UpstreamDataError(
            f"unreadable {cls.__name__}: {type(exc).__name__}: {exc}",
            service=service,
            endpoint=endpoint,
            path=path,
            status=status,
            request_id=request_id,
        ) from exc
