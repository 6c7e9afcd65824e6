"""The RefundSource contract: paging since a time covers every event once, oldest first."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import pytest

import refund_core as rc

from ._base import ContractBase
from ._run import run
from .builders import at, payment_failure, storefront_refund, stripe_refund

__all__ = ["RefundSourceContract"]


def _time(event: rc.SourceEvent) -> datetime:
    return event.created_at if isinstance(event, rc.RefundEvent) else event.failed_at


class RefundSourceContract(ContractBase):
    """Subclass as ``class TestMySource(RefundSourceContract)`` and implement the factory.

    :meth:`make_source` returns a source holding exactly ``events`` (seed your stand-in with
    them). A source that cannot report failed payments sets :attr:`supports_payment_failures`
    False; one that reports storefront refunds (with order references) rather than processor
    refunds (with charge references) sets :attr:`storefront_events` True.

    Optional hooks: :meth:`listed_event_id` when the source names events by an ID of its own
    making (not the one seeded), and :meth:`on_teardown` (stop what the factory started).
    """

    supports_payment_failures = True
    storefront_events = False

    def make_source(self, events: Iterable[rc.SourceEvent]) -> rc.RefundSource:
        """A fresh source under test holding ``events``."""
        raise NotImplementedError("implement make_source in your subclass")

    def listed_event_id(self, event: rc.SourceEvent) -> str:
        """The event ID the source made last lists ``event`` under (default: its own ID).

        Override when the vendor has no ID to seed and the adapter derives one (Amazon's
        Finances v0 names a refund by order, posting time and adjustment items).
        """
        return event.key.event_id

    def refund(self, refund_id: str, amount: str, created: str) -> rc.RefundEvent:
        """One refund of the kind this source reports."""
        if self.storefront_events:
            return storefront_refund(refund_id, amount, created=created, source="shopify")
        return stripe_refund(refund_id, amount, created=created)

    def events(self) -> list[rc.SourceEvent]:
        """Five events over four days, deliberately out of order."""
        events: list[rc.SourceEvent] = [
            self.refund("re_3", "30.00", "2026-03-03"),
            self.refund("re_1", "10.00", "2026-03-01"),
            self.refund("re_2b", "21.00", "2026-03-02"),
            self.refund("re_0", "5.00", "2026-02-28"),
        ]
        if self.supports_payment_failures:
            events.append(payment_failure("fail_2", "20.00", failed="2026-03-02"))
        else:
            events.append(self.refund("re_2a", "20.00", "2026-03-02"))
        return events

    def pages(
        self, source: rc.RefundSource, since: datetime, limit: int
    ) -> list[Sequence[rc.SourceEvent]]:
        """Every page from ``since``, following the tokens."""
        pages: list[Sequence[rc.SourceEvent]] = []
        token: str | None = None
        while True:
            page = run(source.list_events(since=since, page_token=token, limit=limit))
            pages.append(page.items)
            if page.next_token is None:
                return pages
            token = page.next_token

    def test_conforms_to_the_port(self) -> None:
        """The implementation is a RefundSource and names its system."""
        source = self.make_source([])
        assert isinstance(source, rc.RefundSource)
        assert source.name

    @pytest.mark.parametrize("limit", [1, 2, 3, 10])
    def test_pages_cover_every_event_once_in_order(self, limit: int) -> None:
        """Pages list every event since the time exactly once, oldest first, gap-free."""
        since = at("2026-03-01")
        pages = self.pages(self.make_source(self.events()), since, limit)
        listed = [event for page in pages for event in page]
        expected = [e for e in self.events() if _time(e) >= since]
        assert sorted(e.key.event_id for e in listed) == sorted(
            self.listed_event_id(e) for e in expected
        )
        assert len({e.key for e in listed}) == len(listed)
        times = [_time(e) for e in listed]
        assert times == sorted(times)

    def test_events_keep_their_amounts_and_times(self) -> None:
        """A listed event carries the amount, currency and time it was created with."""
        pages = self.pages(self.make_source(self.events()), at("2026-01-01"), 10)
        listed = {e.key.event_id: e for page in pages for e in page}
        for event in self.events():
            listed_id = self.listed_event_id(event)
            assert listed_id in listed, f"{listed_id} is not listed (listed: {sorted(listed)})"
            got = listed[listed_id]
            assert got.amount == event.amount
            assert _time(got) == _time(event)

    def test_event_exactly_at_since_is_included(self) -> None:
        """``since`` is inclusive: an event created at that very instant is listed."""
        events = self.events()
        pages = self.pages(self.make_source(events), at("2026-03-03"), 5)
        (latest,) = (e for e in events if e.key.event_id == "re_3")
        assert [e.key.event_id for page in pages for e in page] == [self.listed_event_id(latest)]

    @pytest.mark.parametrize("limit", [1, 2, 4])
    def test_limit_is_respected(self, limit: int) -> None:
        """No page holds more than ``limit`` events, and only the last one is short."""
        pages = self.pages(self.make_source(self.events()), at("2026-01-01"), limit)
        assert all(len(page) <= limit for page in pages)
        assert all(len(page) == limit for page in pages[:-1])
        assert sum(len(page) for page in pages) == len(self.events())

    def test_nothing_since_gives_one_empty_last_page(self) -> None:
        """A time after every event gives an empty page with no next token."""
        source = self.make_source(self.events())
        page = run(source.list_events(since=at("2027-01-01"), page_token=None, limit=2))
        assert page.items == ()
        assert page.next_token is None

    def test_events_at_the_same_instant_are_not_lost_across_pages(self) -> None:
        """Events sharing a timestamp split over page boundaries are all listed once."""
        same = [self.refund(f"re_{n}", "1.00", "2026-03-05") for n in range(5)]
        pages = self.pages(self.make_source(same), at("2026-03-05"), 2)
        listed = sorted(e.key.event_id for page in pages for e in page)
        assert listed == sorted(self.listed_event_id(e) for e in same)

    def test_listing_again_gives_the_same_pages(self) -> None:
        """Paging is deterministic: the same request gives the same events and tokens."""
        source = self.make_source(self.events())
        first = run(source.list_events(since=at("2026-01-01"), page_token=None, limit=2))
        again = run(source.list_events(since=at("2026-01-01"), page_token=None, limit=2))
        assert first == again
