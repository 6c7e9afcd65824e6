"""Contract of a PayoutSource: paging since a time covers every payout once, oldest first."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

import pytest

import refund_core as rc
from refund_core.testing import FakePayoutSource
from tests.builders import M, at
from tests.contracts._run import run

Factory = Callable[[Iterable[rc.Payout]], rc.PayoutSource]

#: Every implementation of the port; an adapter joins the contract with one more entry here.
IMPLEMENTATIONS: list[Factory] = [
    lambda payouts: FakePayoutSource("stripe", payouts),
]


@pytest.fixture(params=IMPLEMENTATIONS, ids=lambda factory: "fake")
def implementation(request: pytest.FixtureRequest) -> Factory:
    """A factory building the implementation under test from the payouts it holds."""
    factory: Factory = request.param
    return factory


def _payout(payout_id: str, arrival: str, amount: str = "97.00") -> rc.Payout:
    charge = M("100.00 USD")
    fee = M(amount + " USD") - charge
    return rc.Payout(
        source="stripe",
        payout_id=payout_id,
        amount=M(amount + " USD"),
        arrival_at=at(arrival),
        entries=[
            rc.BalanceEntry(f"{payout_id}-1", rc.BalanceEntryKind.CHARGE, charge, "ch_1"),
            rc.BalanceEntry(f"{payout_id}-2", rc.BalanceEntryKind.FEE, fee, "ch_1"),
        ],
    )


def _payouts() -> list[rc.Payout]:
    return [
        _payout("po_3", "2026-03-03"),
        _payout("po_1", "2026-03-01"),
        _payout("po_2b", "2026-03-02"),
        _payout("po_2a", "2026-03-02"),
        _payout("po_0", "2026-02-27"),
    ]


def _all(source: rc.PayoutSource, since: datetime, limit: int) -> list[Sequence[rc.Payout]]:
    pages: list[Sequence[rc.Payout]] = []
    token: str | None = None
    while True:
        page = run(source.list_payouts(since=since, page_token=token, limit=limit))
        pages.append(page.items)
        if page.next_token is None:
            return pages
        token = page.next_token


def test_conforms_to_the_port(implementation: Factory) -> None:
    """The implementation is a PayoutSource and names its system."""
    source = implementation([])
    assert isinstance(source, rc.PayoutSource)
    assert source.name


@pytest.mark.parametrize("limit", [1, 2, 3, 10])
def test_pages_cover_every_payout_once_in_order(implementation: Factory, limit: int) -> None:
    """Pages list every payout since the time exactly once, by arrival, gap-free."""
    pages = _all(implementation(_payouts()), at("2026-03-01"), limit)
    listed = [payout for page in pages for payout in page]
    assert sorted(p.payout_id for p in listed) == ["po_1", "po_2a", "po_2b", "po_3"]
    arrivals = [p.arrival_at for p in listed]
    assert arrivals == sorted(arrivals)


def test_payout_exactly_at_since_is_included(implementation: Factory) -> None:
    """``since`` is inclusive: a payout arriving at that very instant is listed."""
    pages = _all(implementation(_payouts()), at("2026-03-03"), 3)
    assert [p.payout_id for page in pages for p in page] == ["po_3"]


@pytest.mark.parametrize("limit", [1, 2, 4])
def test_limit_is_respected(implementation: Factory, limit: int) -> None:
    """No page holds more than ``limit`` payouts; only the last page is short."""
    pages = _all(implementation(_payouts()), at("2026-01-01"), limit)
    assert all(len(page) <= limit for page in pages)
    assert all(len(page) == limit for page in pages[:-1])
    assert sum(len(page) for page in pages) == len(_payouts())


def test_payouts_keep_their_balance_entries(implementation: Factory) -> None:
    """A listed payout carries every balance entry it settles, unchanged."""
    pages = _all(implementation(_payouts()), at("2026-01-01"), 10)
    by_id = {p.payout_id: p for page in pages for p in page}
    assert by_id["po_1"] == _payout("po_1", "2026-03-01")


def test_nothing_since_gives_one_empty_last_page(implementation: Factory) -> None:
    """A time after every payout gives an empty page with no next token."""
    source = implementation(_payouts())
    page = run(source.list_payouts(since=at("2027-01-01"), page_token=None, limit=2))
    assert page.items == ()
    assert page.next_token is None
