"""Laws of the Shopify storefront over random sequences of refunds, repeats included."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import refund_core as rc
from refund_adapters.conformance import run
from refund_adapters.shopify import ShopifyOverRefundError
from tests.shopify.test_storefront import World, _refund

#: (which of three external IDs, amount in cents) - IDs repeat, amounts may overrun the card.
STEPS = st.lists(st.tuples(st.integers(0, 2), st.integers(1, 6000)), min_size=1, max_size=5)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=STEPS)
def test_one_refund_per_external_id_and_never_more_than_the_card(
    steps: list[tuple[int, int]],
) -> None:
    """Whatever the order of refunds and repeats: one refund per ID, the card never overdrawn."""
    world = World()
    receipts: dict[str, rc.WriteReceipt] = {}
    for index, cents in steps:
        external_id = f"rs-sr-{index}"
        amount = f"{Decimal(cents) / 100:.2f} USD"
        try:
            receipt = run(world.storefront.issue_refund(_refund(external_id, amount)))
        except ShopifyOverRefundError:
            assert external_id not in receipts
            continue
        if external_id in receipts:
            assert not receipt.created
            assert receipt.record_id == receipts[external_id].record_id
        else:
            assert receipt.created
            receipts[external_id] = receipt
    assert len(world.order.refunds) == len(receipts)
    card = world.order.transactions[0]
    assert world.order.left_on(card) >= 0
    refunded = sum((t.amount for t in world.order.transactions if t.kind == "REFUND"), Decimal(0))
    assert refunded <= Decimal("90.00")
