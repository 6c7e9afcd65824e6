"""NSC-8's gift-card split depends on the credit memo alone, never on the order refunds come in."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

import refund_core as rc
from tests.builders import credit_memo, invoice, ledger, order

SHOPIFY = rc.StorefrontCapabilities("shopify", rc.StorefrontKind.CART, supports_store_credit=True)
SETTINGS = rc.RefundSettings(gift_card_as_store_credit=True)


def _books(total: str, gift: str, memos: list[str]) -> rc.LedgerSnapshot:
    return ledger(
        sales_orders=[order(lines=(("SKU-A", total, "OL-1"),), gift_card=gift)],
        invoices=[invoice("INV-1", order_id="SO-1", lines=(("SKU-A", total),))],
        credit_memos=[
            credit_memo(f"CM-{n}", "INV-1", amount) for n, amount in enumerate(memos, start=1)
        ],
    )


def _splits(books: rc.LedgerSnapshot, order_of_records: list[str]) -> dict[str, tuple[str, str]]:
    """Decide the memos one after the other, each on the ledger the ones before it left."""
    splits: dict[str, tuple[str, str]] = {}
    for record_id in order_of_records:
        outcome = rc.decide_outgoing_refund(record_id, books, SETTINGS, SHOPIFY)
        assert isinstance(outcome, rc.Plan)
        (mark,) = [a for a in outcome.actions if isinstance(a, rc.MarkRecordSynced)]
        splits[record_id] = (str(mark.sync.payment_part), str(mark.sync.gift_card_part))
        books = rc.apply_plan(books, outcome)
    return splits


def test_a_retry_after_another_memo_gives_the_clean_runs_split() -> None:
    """60.00 paid 50.00 + 10.00 gift: the 35.00 memo is 29.17/5.83 first or after the 12.50 one."""
    books = _books("60.00", "10.00", ["35.00", "12.50"])
    clean = _splits(books, ["CM-1", "CM-2"])
    retried = _splits(books, ["CM-2", "CM-1"])  # the 35.00 failed once and came back later
    assert clean["CM-1"] == retried["CM-1"] == ("29.17 USD", "5.83 USD")
    assert clean == retried


_CENTS = st.integers(min_value=1, max_value=50_000)


@settings(max_examples=150, deadline=None)
@given(
    gift=st.integers(min_value=1, max_value=40_000),
    paid=_CENTS,
    memos=st.lists(_CENTS, min_size=1, max_size=5),
    order_seed=st.randoms(use_true_random=False),
)
def test_the_split_is_a_function_of_the_memo_whatever_the_processing_order(
    gift: int, paid: int, memos: list[int], order_seed: object
) -> None:
    """Any order: each memo's own share of the tenders (NSC-8), within them (MNY-4), exact."""
    total = gift + paid
    kept: list[int] = []
    for cents in memos:  # keep the memos the order can take (the rest would be over-refunds)
        if sum(kept) + cents <= total:
            kept.append(cents)

    def usd(cents: int) -> str:
        return str(Decimal(cents).scaleb(-2))

    books = _books(usd(total), usd(gift), [usd(c) for c in kept])
    ids = [f"CM-{n}" for n in range(1, len(kept) + 1)]
    shuffled = list(ids)
    order_seed.shuffle(shuffled)  # type: ignore[attr-defined]
    first, second = _splits(books, ids), _splits(books, shuffled)
    to_money = {
        record: tuple(rc.Money.of(part.split()[0], "USD") for part in parts)
        for record, parts in first.items()
    }
    pure = {
        record: rc.tender_split(
            rc.Money.of(usd(cents), "USD"),
            rc.Money.of(usd(paid), "USD"),
            rc.Money.of(usd(gift), "USD"),
        )
        for record, cents in zip(ids, kept, strict=True)
    }
    room = sum(p[0].amount for p in pure.values()) <= Decimal(paid).scaleb(-2) and sum(
        p[1].amount for p in pure.values()
    ) <= Decimal(gift).scaleb(-2)
    if room:  # no tender runs out: every memo's split is its own, in any order
        assert first == second
        assert to_money == pure
    for splits in (first, second):
        assert sum(Decimal(s[1].split()[0]) for s in splits.values()) <= Decimal(gift).scaleb(-2)
        assert sum(Decimal(s[0].split()[0]) for s in splits.values()) <= Decimal(paid).scaleb(-2)
        for record, cents in zip(ids, kept, strict=True):
            payment, gift_part = (Decimal(part.split()[0]) for part in splits[record])
            assert payment + gift_part == Decimal(cents).scaleb(-2)
