"""Laws of the Stripe adapter, checked with Hypothesis: exact money and loss-free paging."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import refund_core as rc
from refund_adapters.stripe import StripePayloadError, StripeRefundSource, stripe_money
from refund_adapters.stripe._standin import StripeStandIn
from refund_adapters.stripe._wire import stripe_exponent, stripe_minor
from refund_core.testing import FakeRefundSource
from tests.builders import M, at
from tests.contracts._run import run
from tests.stripe.factories import client_for

#: What Stripe's integer amounts mean, from https://docs.stripe.com/currencies (fetched
#: 2026-09): "Currencies are two-decimal currencies unless otherwise specified"; the zero-decimal
#: list; the Special cases (ISK and UGX are two-decimal in the API, ``500`` charges 5; HUF and
#: TWD charges are two-decimal); three-decimal BHD, JOD, KWD, OMR, TND from the page as archived
#: at web.archive.org/web/20221231002856/https://stripe.com/docs/currencies ("5.124 KWD must be
#: rounded to 5120 or 5130"). Written out, never computed from the adapter's own function.
STRIPE_DECIMALS = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "JPY",
            "KMF",
            "KRW",
            "MGA",
            "PYG",
            "RWF",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "JOD", "KWD", "OMR", "TND"], 3),
    **dict.fromkeys(["ISK", "UGX", "HUF", "TWD", "USD", "EUR", "GBP", "IDR", "COP"], 2),
}

#: The worked examples of that page: (Stripe amount, lowercase currency, what it means).
DOCUMENTED_EXAMPLES = [
    (1000, "usd", "10.00 USD"),  # "1000 to charge 10 USD"
    (10, "jpy", "10 JPY"),  # "10 to charge 10 JPY"
    (500, "jpy", "500 JPY"),  # "to charge 500 JPY, provide an amount value of 500"
    (500, "isk", "5 ISK"),  # "to charge 5 ISK, provide an amount value of 500"
    (500, "ugx", "5 UGX"),  # "to charge 5 UGX, provide an amount value of 500"
    (1000, "huf", "10.00 HUF"),  # "pay out HUF 10 by submitting 1000"
    (80000, "twd", "800.00 TWD"),  # "pay out TWD 800 by submitting 80000"
    (5120, "kwd", "5.120 KWD"),  # "5.124 KWD must be rounded to 5120 or 5130"
    (1500, "mga", "1500 MGA"),  # MGA is in the zero-decimal list (ISO gives it two decimals)
]


@pytest.mark.parametrize(("minor", "currency", "meaning"), DOCUMENTED_EXAMPLES)
def test_stripes_documented_examples_read_and_write_exactly(
    minor: int, currency: str, meaning: str
) -> None:
    """Each worked example of Stripe's currency page maps to its meaning and back (MNY-1)."""
    assert stripe_money(minor, currency, where="example") == M(meaning)
    assert stripe_minor(M(meaning)) == minor


@pytest.mark.parametrize(("code", "decimals"), sorted(STRIPE_DECIMALS.items()))
def test_stripe_decimals_follow_stripes_table(code: str, decimals: int) -> None:
    """The adapter's exponent is Stripe's, where Stripe and ISO 4217 agree and where they differ."""
    assert stripe_exponent(rc.Currency(code)) == decimals


@given(
    code=st.sampled_from(sorted(STRIPE_DECIMALS)),
    whole=st.integers(min_value=-(10**12), max_value=10**12),
    data=st.data(),
)
def test_stripe_minor_units_round_trip_exactly(code: str, whole: int, data: st.DataObject) -> None:
    """An amount both Stripe's unit and ISO's can hold goes to Stripe's integer and back (MNY-1)."""
    cur = rc.Currency(code)
    # the coarser of the two units: whole krona for ISK (Stripe 2, ISO 0), whole ariary for MGA
    decimals = min(STRIPE_DECIMALS[code], cur.exponent)
    fraction = data.draw(st.integers(min_value=0, max_value=10**decimals - 1))
    amount = rc.Money(Decimal(whole) + Decimal(fraction).scaleb(-decimals), cur)
    minor = stripe_minor(amount)
    assert minor == int((amount.amount * 10 ** STRIPE_DECIMALS[code]).to_integral_exact())
    assert stripe_money(minor, code.lower(), where="property") == amount


@pytest.mark.parametrize(
    ("minor", "currency"), [(150, "isk"), (99, "ugx"), (1, "isk")], ids=["isk", "ugx", "isk-1"]
)
def test_a_fraction_stripe_cannot_charge_is_a_payload_error(minor: int, currency: str) -> None:
    """An ISK or UGX amount that is not whole units is refused by name, never rounded."""
    with pytest.raises(StripePayloadError, match="refund re_1 amount"):
        stripe_money(minor, currency, where="refund re_1 amount")


def test_an_amount_stripes_unit_cannot_hold_is_refused_on_the_way_out() -> None:
    """15.50 MGA has no Stripe form (whole ariary): a precision error, never a rounding."""
    with pytest.raises(rc.PrecisionError, match="MGA"):
        stripe_minor(M("15.50 MGA"))


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
    adapter = StripeRefundSource(client_for(StripeStandIn.from_events(refunds)))
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
