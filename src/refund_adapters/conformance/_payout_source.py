"""The PayoutSource contract: payouts since a time, each once, by arrival, with their entries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import pytest

import refund_core as rc

from ._base import ContractBase
from ._run import run
from .builders import M, at

__all__ = ["PayoutSourceContract"]


def contract_payout(payout_id: str, arrival: str, amount: str = "97.00") -> rc.Payout:
    """A payout of one 100.00 USD charge less its fee."""
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


class PayoutSourceContract(ContractBase):
    """Subclass as ``class TestMyPayouts(PayoutSourceContract)`` and implement the factory.

    :meth:`make_payouts` returns a source holding exactly ``payouts`` with their entries.
    Optional hook: :meth:`on_teardown` (stop what the factory started, e.g. a loopback server).
    """

    def make_payouts(self, payouts: Iterable[rc.Payout]) -> rc.PayoutSource:
        """A fresh payout source under test holding ``payouts``."""
        raise NotImplementedError("implement make_payouts in your subclass")

    def payouts(self) -> list[rc.Payout]:
        """Five payouts over five days, two on the same day, out of order."""
        return [
            contract_payout("po_3", "2026-03-03"),
            contract_payout("po_1", "2026-03-01"),
            contract_payout("po_2b", "2026-03-02"),
            contract_payout("po_2a", "2026-03-02"),
            contract_payout("po_0", "2026-02-27"),
        ]

    def pages(
        self, source: rc.PayoutSource, since: datetime, limit: int
    ) -> list[Sequence[rc.Payout]]:
        """Every page from ``since``, following the tokens."""
        pages: list[Sequence[rc.Payout]] = []
        token: str | None = None
        while True:
            page = run(source.list_payouts(since=since, page_token=token, limit=limit))
            pages.append(page.items)
            if page.next_token is None:
                return pages
            token = page.next_token

    def test_conforms_to_the_port(self) -> None:
        """The implementation is a PayoutSource and names its system."""
        source = self.make_payouts([])
        assert isinstance(source, rc.PayoutSource)
        assert source.name

    @pytest.mark.parametrize("limit", [1, 2, 3, 10])
    def test_pages_cover_every_payout_once_in_order(self, limit: int) -> None:
        """Pages list every payout since the time exactly once, by arrival, gap-free."""
        pages = self.pages(self.make_payouts(self.payouts()), at("2026-03-01"), limit)
        listed = [payout for page in pages for payout in page]
        assert sorted(p.payout_id for p in listed) == ["po_1", "po_2a", "po_2b", "po_3"]
        arrivals = [p.arrival_at for p in listed]
        assert arrivals == sorted(arrivals)

    def test_payout_exactly_at_since_is_included(self) -> None:
        """``since`` is inclusive: a payout arriving at that very instant is listed."""
        pages = self.pages(self.make_payouts(self.payouts()), at("2026-03-03"), 3)
        assert [p.payout_id for page in pages for p in page] == ["po_3"]

    @pytest.mark.parametrize("limit", [1, 2, 4])
    def test_limit_is_respected(self, limit: int) -> None:
        """No page holds more than ``limit`` payouts; only the last page is short."""
        pages = self.pages(self.make_payouts(self.payouts()), at("2026-01-01"), limit)
        assert all(len(page) <= limit for page in pages)
        assert all(len(page) == limit for page in pages[:-1])
        assert sum(len(page) for page in pages) == len(self.payouts())

    def test_payouts_keep_their_balance_entries(self) -> None:
        """A listed payout carries every balance entry it settles, unchanged."""
        pages = self.pages(self.make_payouts(self.payouts()), at("2026-01-01"), 10)
        by_id = {p.payout_id: p for page in pages for p in page}
        assert by_id["po_1"] == contract_payout("po_1", "2026-03-01")

    def test_nothing_since_gives_one_empty_last_page(self) -> None:
        """A time after every payout gives an empty page with no next token."""
        source = self.make_payouts(self.payouts())
        page = run(source.list_payouts(since=at("2027-01-01"), page_token=None, limit=2))
        assert page.items == ()
        assert page.next_token is None
