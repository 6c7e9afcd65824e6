"""Oldest-first paging over Stripe's newest-first lists, with tokens that survive new objects.

Stripe lists newest first and pages with object-ID cursors: ``starting_after=X`` gives the
objects just older than X, ``ending_before=X`` the ones just newer (in Stripe's own order,
which breaks ties between equal timestamps consistently). Our ports want the oldest first, in
pages of exactly ``limit`` except the last. So a listing walks *up* Stripe's order:

1. Start: the window ``created[gte]=since`` is read newest first with ``starting_after`` once,
   keeping only the oldest chunk (at most 100 objects in memory) - the only full scan.
2. Then every step asks ``ending_before=<newest ID delivered so far>``: the next objects up,
   which Stripe returns newest first within the chunk, so each chunk is reversed.

Several streams (refunds, events) are merged by time, then by a fixed stream order. The page
token records, per stream, the ID of the last object consumed (``null``: not started), plus
``since`` so a token cannot be replayed against another window. Objects created while a run
pages are simply further up the order: they are listed later in the same run or in the next.
Objects a stream skips (e.g. a ``charge.failed`` of a card decline) still move its cursor.

An object that cannot be read (a field missing or mistyped, an amount out of range) never fails
its page: it is handed over in the page's ``set_aside`` as a :class:`refund_core.UnreadableItem`
with its raw JSON, keyed by the ID its event would have had, and the cursor moves past it like
past any other object. An object without an ID cannot be paged past (Stripe's cursors are IDs):
that answer is an :class:`~refund_adapters._decode.UpstreamDataError` for the whole page.

Tokens are URL-safe base64 of a small JSON document (:func:`pack_token`, :func:`unpack_token`,
shared with the payout source); a malformed one is an :class:`refund_core.InvalidInputError`
naming it. :func:`list_all` reads a whole (short) list, :func:`page_data` checks a list answer.
Every paging loop has a ceiling (:data:`MAX_LIST_PAGES`): an answer that says "more" forever is
an :class:`~refund_adapters._decode.UpstreamDataError`, never a loop without end.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import math
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

import attrs

import refund_core as rc

from .._decode import UpstreamDataError, unreadable_item
from ._client import FormValue, StripeClient
from ._wire import SERVICE, stripe_time

__all__ = [
    "MAX_CHUNK",
    "Stream",
    "ceil_epoch",
    "list_all",
    "merged_page",
    "object_id",
    "pack_token",
    "page_data",
    "unpack_token",
]

T = TypeVar("T")

#: Stripe's largest list page.
MAX_CHUNK = 100
#: The most pages one list is read through before the answers count as malformed (a "has_more"
#: that never ends): a million objects, far beyond any window a sync reads.
MAX_LIST_PAGES = 10_000
_TOKEN_VERSION = 1


def _own_id(raw: dict[str, Any]) -> object:
    return raw.get("id")


@attrs.frozen
class Stream(Generic[T]):
    """One Stripe list walked oldest first.

    ``read`` maps a raw object to ``(time, item or None)``: None skips the object (it still moves
    the cursor). ``complete``, when given, turns an item chosen for the page into the one
    delivered (e.g. an event's stale snapshot into the object's current state, read through the
    API). ``filters`` are extra query parameters (``types[]``, ``expand[]``, ...);
    ``created[gte]`` is added from ``since``. ``key_of`` names the event ID a raw object would
    have had, for setting aside one that cannot be read (by default its own ``id``).
    """

    name: str
    path: str
    filters: Mapping[str, FormValue]
    read: Callable[[dict[str, Any]], tuple[int, T | None]]
    time_filter: str = "created"
    complete: Callable[[T], Awaitable[T]] | None = None
    key_of: Callable[[dict[str, Any]], object] = _own_id


class _Walker(Generic[T]):
    """Oldest-first iterator over one stream from a cursor, fetching a chunk at a time."""

    def __init__(
        self,
        client: StripeClient,
        stream: Stream[T],
        since: int,
        after: str | None,
        anchor: str | None = None,
    ) -> None:
        self.client = client
        self.stream = stream
        self.since = since
        self.after = after  # last consumed ID; None = not started
        # The last consumed ID a URL can carry (one holding a lone surrogate cannot be sent).
        self.anchor = after if after is not None and sendable(after) else anchor
        self.buffer: list[dict[str, Any]] = []
        self.exhausted = False
        self._chunks = iter(_PageBudget(f"GET {stream.path}"))

    def _params(self, limit: int) -> dict[str, FormValue]:
        return {
            **self.stream.filters,
            self.stream.time_filter: {"gte": self.since},
            "limit": limit,
        }

    async def _fill(self) -> None:
        if self.buffer or self.exhausted:
            return
        next(self._chunks)  # a ceiling on the chunks one listing reads
        if self.after is None:
            self.buffer = await self._oldest_chunk()
        else:
            if self.anchor is None:
                raise UpstreamDataError(
                    "every object read so far has an ID a URL cannot carry: the list cannot be "
                    "paged past them",
                    service=SERVICE,
                    endpoint=f"GET {self.stream.path}",
                    path="$.data[].id",
                )
            params = self._params(MAX_CHUNK)
            params["ending_before"] = self.anchor
            body = await self.client.get(self.stream.path, params)
            chunk = list(reversed(page_data(body, self.stream.path)))
            if self.anchor != self.after:
                # Paged from an earlier object: drop what was consumed after it already.
                ids = [_id_or_none(raw) for raw in chunk]
                if self.after in ids:
                    chunk = chunk[ids.index(self.after) + 1 :]
            self.buffer = chunk
        if not self.buffer:
            self.exhausted = True

    async def _oldest_chunk(self) -> list[dict[str, Any]]:
        # The one full scan: walk the window newest first, keep only the oldest chunk.
        oldest: list[dict[str, Any]] = []
        cursor: str | None = None
        seen: set[str] = set()
        for _ in _PageBudget(f"GET {self.stream.path}"):
            params = self._params(MAX_CHUNK)
            if cursor is not None:
                params["starting_after"] = cursor
            body = await self.client.get(self.stream.path, params)
            # Objects listed again after paging from an earlier cursor (see below) are dropped.
            data = [
                raw for raw in page_data(body, self.stream.path) if _id_or_none(raw) not in seen
            ]
            if data:
                oldest = data
                ids = [object_id(raw, self.stream.path) for raw in data]
                seen = set(ids)
                # The oldest object a URL can carry; the ones after it come again, and go.
                cursor = next((i for i in reversed(ids) if sendable(i)), None)
                if cursor is None:
                    raise UpstreamDataError(
                        "no object of a whole chunk has an ID a URL can carry: the list cannot "
                        "be paged past it",
                        service=SERVICE,
                        endpoint=f"GET {self.stream.path}",
                        path="$.data[].id",
                    )
            if not data or body.get("has_more") is not True:
                return list(reversed(oldest))
        raise AssertionError("unreachable: _PageBudget raises when it runs out")

    async def peek(self) -> dict[str, Any] | None:
        """The next raw object up, without consuming it."""
        await self._fill()
        return self.buffer[0] if self.buffer else None

    def consume(self) -> dict[str, Any]:
        """Take the object :meth:`peek` returned and move the cursor past it."""
        raw = self.buffer.pop(0)
        self.after = object_id(raw, self.stream.path)
        if sendable(self.after):
            self.anchor = self.after
        return raw


def _id_or_none(raw: dict[str, Any]) -> str | None:
    value = raw.get("id")
    return value if isinstance(value, str) else None


def sendable(object_id: str) -> bool:
    """Whether an ID can go in a URL (an ID holding a lone UTF-16 surrogate cannot)."""
    try:
        object_id.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _PageBudget:
    """Iterates page numbers up to :data:`MAX_LIST_PAGES`, then raises the typed error."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def __iter__(self) -> Iterator[int]:
        yield from range(MAX_LIST_PAGES)
        raise UpstreamDataError(
            f"still more after {MAX_LIST_PAGES} pages (has_more never ends)",
            service=SERVICE,
            endpoint=self.endpoint,
            path="$.has_more",
        )


def page_data(body: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """The ``data`` of a list answer from ``path``; a typed error if it is not a list of objects."""
    data = body.get("data")
    if not isinstance(data, list):
        raise UpstreamDataError(
            f"expected a list of objects, got {type(data).__name__}",
            service=SERVICE,
            endpoint=f"GET {path}",
            path="$.data",
        )
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise UpstreamDataError(
                f"expected an object, got {type(item).__name__}",
                service=SERVICE,
                endpoint=f"GET {path}",
                path=f"$.data[{index}]",
            )
    return data


def object_id(raw: dict[str, Any], path: str) -> str:
    """The ``id`` of an object listed by ``path``; a typed error if it has none."""
    value = raw.get("id")
    if not isinstance(value, str) or not value:
        raise UpstreamDataError(
            f"a listed object has no id (got {type(value).__name__}); the list cannot be paged",
            service=SERVICE,
            endpoint=f"GET {path}",
            path="$.data[].id",
        )
    return value


async def list_all(
    client: StripeClient, path: str, params: Mapping[str, FormValue]
) -> list[dict[str, Any]]:
    """Every object of a list, in Stripe's order (newest first), paged with ``starting_after``.

    For lists known to be short (a day's payouts, one payout's transactions).
    """
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in _PageBudget(f"GET {path}"):
        query = {**params, "limit": MAX_CHUNK}
        if cursor is not None:
            query["starting_after"] = cursor
        body = await client.get(path, query)
        data = page_data(body, path)
        found.extend(data)
        if not data or body.get("has_more") is not True:
            return found
        cursor = object_id(data[-1], path)
    raise AssertionError("unreachable: _PageBudget raises when it runs out")


def ceil_epoch(moment: datetime) -> int:
    """``moment`` as Unix seconds, rounded up; a naive datetime is refused.

    Stripe's times are whole seconds: an object at 10:00:00 is not "at or after" 10:00:00.5.
    """
    if moment.utcoffset() is None:
        raise rc.InvalidInputError(f"since must be an aware datetime, got {moment!r}")
    return math.ceil(moment.timestamp())


def pack_token(since: int, fields: Mapping[str, Any]) -> str:
    """A page token: ``fields`` with the window's ``since`` and the token version, as base64."""
    document = {**fields, "v": _TOKEN_VERSION, "since": since}
    raw = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unpack_token(token: str, since: int, *, what: str) -> dict[str, Any]:
    """The fields of a token :func:`pack_token` made for the same ``since``; typed error if not.

    ``what`` names the listing in errors ("the Stripe source", "the Stripe payouts").
    """
    try:
        padded = token + "=" * (-len(token) % 4)
        document = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error):
        raise rc.InvalidInputError(f"not a page token of {what}: {token!r}") from None
    if not isinstance(document, dict) or document.get("v") != _TOKEN_VERSION:
        raise rc.InvalidInputError(f"not a page token of {what}: {token!r}")
    if document.get("since") != since:
        raise rc.InvalidInputError(
            f"page token {token!r} was issued for another 'since'; start the listing again"
        )
    return document


def _cursors(
    token: str, since: int, names: Sequence[str]
) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """Per stream, the last object consumed and the last one a URL can carry (its anchor)."""
    document = unpack_token(token, since, what="the Stripe source")
    cursors = document.get("cursors")
    anchors = document.get("anchors", {})
    if not isinstance(cursors, dict) or set(cursors) != set(names):
        raise rc.InvalidInputError(f"page token {token!r} does not name this source's streams")
    if not isinstance(anchors, dict) or not all(
        value is None or isinstance(value, str) for value in (*cursors.values(), *anchors.values())
    ):
        raise rc.InvalidInputError(f"page token {token!r} holds a cursor that is not an ID")
    return (
        {name: cursors[name] for name in names},
        {name: anchors.get(name) for name in names},
    )


async def merged_page(
    client: StripeClient,
    streams: Sequence[Stream[T]],
    *,
    since: int,
    page_token: str | None,
    limit: int,
    source: str = SERVICE,
) -> rc.Page[T]:
    """Up to ``limit`` items from the streams merged oldest first, and the next token.

    The token is None only when every stream is exhausted, so only the last page is short.
    Objects that cannot be read come in the page's ``set_aside`` (they count towards ``limit``),
    keyed under ``source``.
    """
    if limit < 1:
        raise rc.InvalidInputError(f"page limit must be at least 1, not {limit}")
    names = [stream.name for stream in streams]
    cursors: dict[str, str | None] = dict.fromkeys(names)
    anchors: dict[str, str | None] = dict.fromkeys(names)
    if page_token is not None:
        cursors, anchors = _cursors(page_token, since, names)
    walkers = [_Walker(client, s, since, cursors[s.name], anchors[s.name]) for s in streams]
    items: list[T] = []
    aside: list[rc.UnreadableItem] = []

    def read(stream: Stream[T], raw: dict[str, Any]) -> tuple[int, T | rc.UnreadableItem | None]:
        try:
            return stream.read(raw)
        except rc.InvalidInputError as exc:
            return _unreadable(stream, raw, exc, source)

    async def next_walker() -> tuple[_Walker[T], int] | None:
        best: tuple[int, int, _Walker[T]] | None = None
        for order, walker in enumerate(walkers):
            raw = await walker.peek()
            if raw is None:
                continue
            when, _ = read(walker.stream, raw)
            if best is None or (when, order) < (best[0], best[1]):
                best = (when, order, walker)
        return None if best is None else (best[2], best[0])

    while True:
        chosen = await next_walker()
        if chosen is None:
            return rc.Page(tuple(items), None, set_aside=tuple(aside))
        walker, _ = chosen
        if len(items) + len(aside) == limit:
            # There is more: but only if some object still to come maps to an item.
            _, item = read(walker.stream, await _peek_required(walker))
            if item is not None:
                token = pack_token(
                    since,
                    {
                        "cursors": {w.stream.name: w.after for w in walkers},
                        "anchors": {w.stream.name: w.anchor for w in walkers},
                    },
                )
                return rc.Page(tuple(items), token, set_aside=tuple(aside))
            walker.consume()  # a skipped object: pass it so the next page does not re-read it
            continue
        raw = walker.consume()
        _, item = read(walker.stream, raw)
        if isinstance(item, rc.UnreadableItem):
            aside.append(item)
        elif item is not None:
            complete = walker.stream.complete
            if complete is None:
                items.append(item)
                continue
            try:
                items.append(await complete(item))
            except UpstreamDataError as exc:
                # The object's current state could not be read: set aside what was listed.
                aside.append(_unreadable(walker.stream, raw, exc, source)[1])


def _unreadable(
    stream: Stream[Any], raw: dict[str, Any], error: rc.InvalidInputError, source: str
) -> tuple[int, rc.UnreadableItem]:
    """A raw object that cannot be read, as an item to set aside, with the time it sorts at."""
    when = raw.get(stream.time_filter)
    at = None
    if isinstance(when, int) and not isinstance(when, bool):
        with contextlib.suppress(rc.InvalidInputError):
            at = stripe_time(when)
    return (
        when if at is not None and isinstance(when, int) else 0,
        unreadable_item(source=source, raw=raw, error=error, event_id=stream.key_of(raw), at=at),
    )


async def _peek_required(walker: _Walker[T]) -> dict[str, Any]:
    raw = await walker.peek()
    if raw is None:  # pragma: no cover - next_walker only returns walkers with an object
        raise RuntimeError("walker lost its next object")
    return raw
