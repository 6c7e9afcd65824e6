"""The one page loop of every pass: list page after page, and move the stream's cursor.

:func:`pages` follows a listing's tokens and refuses one that hands back the token it was
given (it would never end). A pass that prefetches (the incoming pass) starts a page's work,
then lists the next page while that work drains; :class:`Cursor` moves past a page only once
all of it is finished, and never backwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import TypeVar

import refund_core as rc

__all__ = ["Cursor", "ListingLoopError", "event_time", "newest", "pages"]

_T = TypeVar("_T")


class ListingLoopError(rc.RefundSyncError):
    """A listing handed back the page token it was given: it would never end."""

    error_code = "listing_loop"


def _next(previous: str | None, token: str, what: str) -> str:
    """The next page's token; the one just used again would page forever (a typed error)."""
    if token == previous:
        raise ListingLoopError(f"{what}: the listing returned the page token it was given")
    return token


async def pages(
    list_page: Callable[[str | None], Awaitable[rc.Page[_T]]],
    *,
    what: str,
    stopping: Callable[[], bool] | None = None,
) -> AsyncIterator[rc.Page[_T]]:
    """Every page of a listing, first to last; ``list_page(token)`` reads one.

    With ``stopping``, no further page is listed once it says so (a stop was asked for).
    """
    token: str | None = None
    while stopping is None or not stopping():
        page = await list_page(token)
        yield page
        if page.next_token is None:
            return
        token = _next(token, page.next_token, what)


class Cursor:
    """Where a pass's stream stands in the journal: read at the start, moved page by page.

    ``since`` is where the pass starts (the journal's cursor, or ``start`` on a first run);
    listings begin ``overlap`` before it, so an event stamped a little late is not missed.
    """

    def __init__(self, journal: rc.Journal, stream: str, start: datetime) -> None:
        self._journal = journal
        self._stream = stream
        self.since = journal.get_cursor(stream) or start
        self.position = self.since

    def fetch_from(self, overlap: timedelta) -> datetime:
        """Where listings begin: the overlap window before :attr:`since`."""
        return self.since - overlap

    def advance(self, newest: datetime | None) -> None:
        """Move past a finished page whose newest time is ``newest`` (never backwards)."""
        if newest is not None:
            self.position = max(self.position, newest)
            self._journal.set_cursor(self._stream, self.position)


def event_time(event: rc.SourceEvent) -> datetime:
    """When a source event happened: a refund's creation, a payment failure's failure."""
    return event.created_at if isinstance(event, rc.RefundEvent) else event.failed_at


def newest(times: Iterable[datetime], set_aside: Iterable[rc.UnreadableItem]) -> datetime | None:
    """The newest time of a page: its events' and its set-aside items' (those with one)."""
    known = [*times, *(item.at for item in set_aside if item.at is not None)]
    return max(known, default=None)
