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

import contextlib
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, TypeVar

import cattrs

import refund_core as rc

from ._http import UpstreamRejectedError

__all__ = [
    "DATA_ERRORS",
    "MAX_DEPTH",
    "MAX_RAW_CHARS",
    "UpstreamDataError",
    "check_depth",
    "decoding",
    "parse_json",
    "raw_text",
    "structure",
    "unreadable_item",
]

T = TypeVar("T")

#: The deepest nesting accepted in a vendor answer (the core's bound for every JSON read).
MAX_DEPTH = rc.MAX_JSON_DEPTH
check_depth = rc.check_depth

#: The longest raw item kept with a dead letter; a longer one is cut, and says so.
MAX_RAW_CHARS = 64_000

#: What a structuring step may raise on malformed data, besides cattrs' own validation errors.
DATA_ERRORS = (
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
    tokens); ``path`` the JSON path of the first problem (``$.data[3].amount``); ``problem`` what
    was wrong there; ``problems`` every problem found, each with its path.
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
        #: the problem alone, without the vendor, endpoint and path around it
        self.problem = message
        self.problems = problems or (f"{message} @ {path}",)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


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
        why = "nested too deep" if isinstance(exc, RecursionError) else str(exc)
        raise UpstreamDataError(
            f"not usable JSON: {why}",
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
    except DATA_ERRORS as exc:
        raise UpstreamDataError(
            f"unreadable {cls.__name__}: {type(exc).__name__}: {exc}",
            service=service,
            endpoint=endpoint,
            path=path,
            status=status,
            request_id=request_id,
        ) from exc


@contextlib.contextmanager
def decoding(
    *,
    service: str,
    endpoint: str,
    path: str = "$",
    status: int | None = None,
    request_id: str | None = None,
) -> Iterator[None]:
    """Read an answer inside this block: any bare data error leaves as :class:`UpstreamDataError`.

    For readers written by hand (Shopify's GraphQL answers, mapping decoded models to events):
    a ``KeyError``, ``TypeError``, ``InvalidOperation``, ``UnicodeError`` ... raised while reading
    means the answer did not have the shape relied on. The library's own errors pass unchanged.
    """
    try:
        yield
    except rc.RefundSyncError:
        raise
    except cattrs.BaseValidationError as exc:
        problems = tuple(cattrs.transform_error(exc, path=path))
        first = problems[0] if problems else f"invalid answer @ {path}"
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
    except DATA_ERRORS as exc:
        raise UpstreamDataError(
            f"unreadable: {type(exc).__name__}: {exc}",
            service=service,
            endpoint=endpoint,
            path=path,
            status=status,
            request_id=request_id,
        ) from exc


_NUMBER = "\x1fnumber:"
_MARKED = re.compile(r'"\\u001fnumber:([^"]*)"')


def raw_text(value: object) -> str:
    r"""``value`` (parsed JSON) as JSON text again, for a dead letter: exact and always writable.

    Decimals are written as the numbers they were, text that UTF-8 cannot encode is escaped
    (``\\ud800``), anything else unexpected is written as its ``repr``; longer than
    :data:`MAX_RAW_CHARS`, the text is cut and says so.
    """

    def default(item: object) -> object:
        if isinstance(item, Decimal):
            return f"{_NUMBER}{item}"
        return repr(item)

    try:
        text = json.dumps(value, default=default, allow_nan=True)
    except (ValueError, TypeError, RecursionError):
        text = json.dumps(repr(value)[:MAX_RAW_CHARS])
    text = _MARKED.sub(r"\1", text)
    if len(text) > MAX_RAW_CHARS:
        text = text[:MAX_RAW_CHARS] + f"...(cut at {MAX_RAW_CHARS} of {len(text)} characters)"
    return text


def unreadable_item(
    *,
    source: str,
    raw: object,
    error: rc.RefundSyncError,
    event_id: object = None,
    at: datetime | None = None,
) -> rc.UnreadableItem:
    """The :class:`refund_core.UnreadableItem` of ``raw``: keyed by ``event_id`` when usable.

    ``event_id`` is the ID the item's event would have had (a refund ID); without a usable one
    the key is a digest of the raw item, so the same item delivered again is recognised.
    """
    text = raw_text(raw)
    if isinstance(event_id, str) and event_id and event_id == event_id.strip():
        key_id = event_id
    else:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:24]
        key_id = f"unreadable-{digest}"
    return rc.UnreadableItem(
        key=rc.SourceKey(source, key_id),
        raw=text,
        error=str(error),
        code=error.error_code,
        at=at if at is not None and at.utcoffset() is not None else None,
    )
