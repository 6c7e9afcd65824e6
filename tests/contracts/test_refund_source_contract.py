"""Contract of a RefundSource: paging since a time covers every event once, oldest first."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

import pytest

import refund_core as rc
from refund_core.testing import FakeRefundSource
from tests.builders import at, payment_failure, stripe_refund
from tests.contracts._run import run

Factory = Callable[[Iterable[rc.SourceEvent]], rc.RefundSource]

#: Every implementation of the port; an adapter joins the contract with one more entry here.
IMPLEMENTATIONS: list[Factory] = [
    lambda events: FakeRefundSource("stripe", events),
]


@pytest.fixture(params=IMPLEMENTATIONS, ids=lambda factory: "fake")
def implementation(request: pytest.FixtureRequest) -> Factory:
    """A factory building the implementation under test from the events it holds."""
    factory: Factory = request.param
    return factory


def _events() -> list[rc.SourceEvent]:
    return [
        stripe_refund("re_3", "30.00", created="2026-03-03"),
        stripe_refund("re_1", "10.00", created="2026-03-01"),
        payment_failure("fail_2", "20.00", failed="2026-03-02"),
        stripe_refund("re_2b", "21.00", created="2026-03-02"),
        stripe_refund("re_0", "5.00", created="2026-02-28"),
    ]


def _time(event: rc.SourceEvent) -> datetime:
    return event.created_at if isinstance(event, rc.RefundEvent) else event.failed_at


def _all(source: rc.RefundSource, since: datetime, limit: int) -> list[Sequence[rc.SourceEvent]]:
    pages: list[Sequence[rc.SourceEvent]] = []
    token: str | None = None
    while True:
        page = run(source.list_events(since=since, page_token=token, limit=limit))
        pages.append(page.items)
        if page.next_token is None:
            return pages
        token = page.next_token


def test_conforms_to_the_port(implementation: Factory) -> None:
    """The implementation is a RefundSource and names its system."""
    source = implementation([])
    assert isinstance(source, rc.RefundSource)
    assert source.name


@pytest.mark.parametrize("limit", [1, 2, 3, 10])
def test_pages_cover_every_event_once_in_order(implementation: Factory, limit: int) -> None:
    """Pages list every event since the time exactly once, oldest first, gap-free."""
    since = at("2026-03-01")
    pages = _all(implementation(_events()), since, limit)
    listed = [event for page in pages for event in page]
    expected = [e for e in _events() if _time(e) >= since]
    assert sorted(e.key.event_id for e in listed) == sorted(e.key.event_id for e in expected)
    assert len({e.key for e in listed}) == len(listed)
    times = [_time(e) for e in listed]
    assert times == sorted(times)


def test_event_exactly_at_since_is_included(implementation: Factory) -> None:
    """``since`` is inclusive: an event created at that very instant is listed."""
    pages = _all(implementation(_events()), at("2026-03-03"), 5)
    assert [e.key.event_id for page in pages for e in page] == ["re_3"]


@pytest.mark.parametrize("limit", [1, 2, 4])
def test_limit_is_respected(implementation: Factory, limit: int) -> None:
    """No page holds more than ``limit`` events, and only the last has no next token."""
    pages = _all(implementation(_events()), at("2026-01-01"), limit)
    assert all(len(page) <= limit for page in pages)
    assert all(len(page) == limit for page in pages[:-1])
    assert sum(len(page) for page in pages) == len(_events())


def test_nothing_since_gives_one_empty_last_page(implementation: Factory) -> None:
    """A time after every event gives an empty page with no next token."""
    source = implementation(_events())
    page = run(source.list_events(since=at("2027-01-01"), page_token=None, limit=2))
    assert page.items == ()
    assert page.next_token is None


def test_events_at_the_same_instant_are_not_lost_across_pages(implementation: Factory) -> None:
    """Events sharing a timestamp split over page boundaries are all listed once."""
    same = [stripe_refund(f"re_{n}", "1.00", created="2026-03-05") for n in range(5)]
    pages = _all(implementation(same), at("2026-03-05"), 2)
    assert sorted(e.key.event_id for page in pages for e in page) == [f"re_{n}" for n in range(5)]


def test_listing_again_gives_the_same_pages(implementation: Factory) -> None:
    """Paging is deterministic: the same request gives the same events and tokens."""
    source = implementation(_events())
    first = run(source.list_events(since=at("2026-01-01"), page_token=None, limit=2))
    again = run(source.list_events(since=at("2026-01-01"), page_token=None, limit=2))
    assert first == again
