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

Tokens are URL-safe base64 of a small JSON document (:func:`pack_token`, :func:`unpack_token`,
shared with the payout source); a malformed one is an :class:`refund_core.InvalidInputError`
naming it. :func:`list_all` reads a whole (short) list, :func:`page_data` checks a list answer.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

import attrs

import refund_core as rc

from ._client import FormValue, StripeClient

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
_TOKEN_VERSION = 1


@attrs.frozen
class Stream(Generic[T]):
    """One Stripe list walked oldest first.

    ``read`` maps a raw object to ``(time, item or None)``: None skips the object (it still moves
    the cursor). ``complete``, when given, turns an item chosen for the page into the one
    delivered (e.g. an event's stale snapshot into the object's current state, read through the
    API). ``filters`` are extra query parameters (``types[]``, ``expand[]``, ...);
    ``created[gte]`` is added from ``since``.
    """

    name: str
    path: str
    filters: Mapping[str, FormValue]
    read: Callable[[dict[str, Any]], tuple[int, T | None]]
    time_filter: str = "created"
    complete: Callable[[T], Awaitable[T]] | None = None


class _Walker(Generic[T]):
    """Oldest-first iterator over one stream from a cursor, fetching a chunk at a time."""

    def __init__(
        self, client: StripeClient, stream: Stream[T], since: int, after: str | None
    ) -> None:
        self.client = client
        self.stream = stream
        self.since = since
        self.after = after  # last consumed ID; None = not started
        self.buffer: list[dict[str, Any]] = []
        self.exhausted = False

    def _params(self, limit: int) -> dict[str, FormValue]:
        return {
            **self.stream.filters,
            self.stream.time_filter: {"gte": self.since},
            "limit": limit,
        }

    async def _fill(self) -> None:
        if self.buffer or self.exhausted:
            return
        if self.after is None:
            self.buffer = await self._oldest_chunk()
        else:
            params = self._params(MAX_CHUNK)
            params["ending_before"] = self.after
            body = await self.client.get(self.stream.path, params)
            data = page_data(body, self.stream.path)
            self.buffer = list(reversed(data))
        if not self.buffer:
            self.exhausted = True

    async def _oldest_chunk(self) -> list[dict[str, Any]]:
        # The one full scan: walk the window newest first, keep only the oldest chunk.
        oldest: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params = self._params(MAX_CHUNK)
            if cursor is not None:
                params["starting_after"] = cursor
            body = await self.client.get(self.stream.path, params)
            data = page_data(body, self.stream.path)
            if data:
                oldest = data
                cursor = object_id(data[-1], self.stream.path)
            if not data or not body.get("has_more"):
                return list(reversed(oldest))

    async def peek(self) -> dict[str, Any] | None:
        """The next raw object up, without consuming it."""
        await self._fill()
        return self.buffer[0] if self.buffer else None

    def consume(self) -> dict[str, Any]:
        """Take the object :meth:`peek` returned and move the cursor past it."""
        raw = self.buffer.pop(0)
        self.after = object_id(raw, self.stream.path)
        return raw


def page_data(body: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """The ``data`` of a list answer from ``path``; a typed error if it is not a list of objects."""
    data = body.get("data")
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise rc.InvalidInputError(f"stripe: {path} answered without a list of objects in data")
    return data


def object_id(raw: dict[str, Any], path: str) -> str:
    """The ``id`` of an object listed by ``path``; a typed error if it has none."""
    value = raw.get("id")
    if not isinstance(value, str) or not value:
        raise rc.InvalidInputError(f"stripe: an object listed by {path} has no id")
    return value


async def list_all(
    client: StripeClient, path: str, params: Mapping[str, FormValue]
) -> list[dict[str, Any]]:
    """Every object of a list, in Stripe's order (newest first), paged with ``starting_after``.

    For lists known to be short (a day's payouts, one payout's transactions).
    """
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": MAX_CHUNK}
        if cursor is not None:
            query["starting_after"] = cursor
        body = await client.get(path, query)
        data = page_data(body, path)
        found.extend(data)
        if not data or not body.get("has_more"):
            return found
        cursor = object_id(data[-1], path)


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


def _cursors(token: str, since: int, names: Sequence[str]) -> dict[str, str | None]:
    cursors = unpack_token(token, since, what="the Stripe source").get("cursors")
    if not isinstance(cursors, dict) or set(cursors) != set(names):
        raise rc.InvalidInputError(f"page token {token!r} does not name this source's streams")
    if not all(value is None or isinstance(value, str) for value in cursors.values()):
        raise rc.InvalidInputError(f"page token {token!r} holds a cursor that is not an ID")
    return {name: cursors[name] for name in names}


async def merged_page(
    client: StripeClient,
    streams: Sequence[Stream[T]],
    *,
    since: int,
    page_token: str | None,
    limit: int,
) -> rc.Page[T]:
    """Up to ``limit`` items from the streams merged oldest first, and the next token.

    The token is None only when every stream is exhausted, so only the last page is short.
    """
    if limit < 1:
        raise rc.InvalidInputError(f"page limit must be at least 1, not {limit}")
    names = [stream.name for stream in streams]
    cursors = dict.fromkeys(names) if page_token is None else _cursors(page_token, since, names)
    walkers = [_Walker(client, s, since, cursors[s.name]) for s in streams]
    items: list[T] = []

    async def next_walker() -> tuple[_Walker[T], int] | None:
        best: tuple[int, int, _Walker[T]] | None = None
        for order, walker in enumerate(walkers):
            raw = await walker.peek()
            if raw is None:
                continue
            when, _ = walker.stream.read(raw)
            if best is None or (when, order) < (best[0], best[1]):
                best = (when, order, walker)
        return None if best is None else (best[2], best[0])

    while True:
        chosen = await next_walker()
        if chosen is None:
            return rc.Page(tuple(items), None)
        walker, _ = chosen
        if len(items) == limit:
            # There is more: but only if some object still to come maps to an item.
            _, item = walker.stream.read(await _peek_required(walker))
            if item is not None:
                token = pack_token(since, {"cursors": {w.stream.name: w.after for w in walkers}})
                return rc.Page(tuple(items), token)
            walker.consume()  # a skipped object: pass it so the next page does not re-read it
            continue
        _, item = walker.stream.read(walker.consume())
        if item is not None:
            complete = walker.stream.complete
            items.append(item if complete is None else await complete(item))


async def _peek_required(walker: _Walker[T]) -> dict[str, Any]:
    raw = await walker.peek()
    if raw is None:  # pragma: no cover - next_walker only returns walkers with an object
        raise RuntimeError("walker lost its next object")
    return raw
