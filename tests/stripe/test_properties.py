"""Laws of the Stripe adapter, checked with Hypothesis: exact money and loss-free paging."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import refund_core as rc
from refund_adapters.stripe import StripeRefundSource, stripe_money
from refund_adapters.stripe._wire import stripe_exponent
from refund_core._currencies import CURRENCIES
from refund_core.testing import FakeRefundSource
from tests.builders import at
from tests.contracts._run import run
from tests.stripe.factories import client_for, seeded_standin

#: Every ISO 4217 code with a minor unit, ISK (Stripe's two-decimal exception) included.
ALL_CURRENCIES = st.sampled_from(
    sorted(code for code, record in CURRENCIES.items() if record.exponent is not None)
)


@given(currency=ALL_CURRENCIES, minor=st.integers(min_value=-(10**12), max_value=10**12))
def test_stripe_minor_units_round_trip_exactly(currency: str, minor: int) -> None:
    """Any whole Stripe amount in any currency maps to Money and back without loss (MNY-1)."""
    cur = rc.Currency(currency)
    scale = 10 ** (stripe_exponent(cur) - cur.exponent)
    whole = minor - minor % scale  # Stripe's extra digits (ISK) must be zero
    money = stripe_money(whole, currency.lower(), where="property")
    assert money.currency == cur
    assert money.to_minor_units() * scale == whole


def refunds_strategy() -> st.SearchStrategy[list[rc.RefundEvent]]:
    """Up to 25 refunds over a few seconds, so timestamps collide often."""
    offsets = st.lists(st.integers(min_value=0, max_value=4), min_size=0, max_size=25)
    start = at("2026-07-01T12:00")
    return offsets.map(
        lambda secs: [
            rc.RefundEvent(
                source="stripe",
                refund_id=f"re_{n:03d}",
                amount=rc.Money.parse("1.00 USD"),
                created_at=start + timedelta(seconds=s),
                status=rc.RefundStatus.SUCCEEDED,
                payment_ref=f"ch_{n:03d}",
            )
            for n, s in enumerate(secs)
        ]
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    refunds=refunds_strategy(),
    since_offset=st.integers(min_value=0, max_value=5),
    limit=st.integers(min_value=1, max_value=6),
)
def test_paging_agrees_with_the_in_memory_source(
    refunds: list[rc.RefundEvent], since_offset: int, limit: int
) -> None:
    """Over any refunds, since and limit, the adapter pages exactly as the in-memory fake does."""
    since = at("2026-07-01T12:00") + timedelta(seconds=since_offset)
    adapter = StripeRefundSource(client_for(seeded_standin(refunds)))
    model = FakeRefundSource("stripe", refunds)

    def walk(source: rc.RefundSource) -> list[list[str]]:
        pages: list[list[str]] = []
        token: str | None = None
        while True:
            page = run(source.list_events(since=since, page_token=token, limit=limit))
            pages.append([e.key.event_id for e in page.items])
            if page.next_token is None:
                return pages
            token = page.next_token

    assert walk(adapter) == walk(model)
