"""Refunded shipping on refund records, SHP-1 (RULES.md), in both directions."""

import attrs

import refund_core as rc
from tests.builders import M, credit_memo, invoice, ledger, order, payment, storefront_refund
from tests.builders import stripe_refund as stripe_refund_event

SETTINGS = rc.RefundSettings(partial_refund_item="PARTIAL-ITEM")
WITH_ITEM = attrs.evolve(SETTINGS, shipping_refund_item="SHIPPING-REFUND")
SHOP = rc.StorefrontCapabilities("shopify", rc.StorefrontKind.CART)


def _world() -> rc.LedgerSnapshot:
    lines = [("SKU-A", "60.00", "OL-1", 1), ("SKU-B", "30.00", "OL-2", 1)]
    return ledger(
        sales_orders=[order(lines=lines, shipping="10.00")],
        invoices=[invoice(lines=lines, shipping="10.00")],
    )


def _memo(outcome: rc.Outcome) -> rc.CreateCreditMemo:
    assert isinstance(outcome, rc.Plan), outcome
    (memo,) = [a for a in outcome.actions if isinstance(a, rc.CreateCreditMemo)]
    return memo


def test_shipping_only_refund_creates_a_record_with_shipping_and_no_item_lines() -> None:
    """A refund of shipping only is the record's shipping, never an item line (SHP-1)."""
    event = storefront_refund(amount="10.00", shipping="10.00")
    memo = _memo(rc.decide_incoming_refund(event, _world(), SETTINGS))
    assert memo.lines == ()
    assert memo.shipping == memo.amount == M("10.00 USD")
    assert "SHP-1" in memo.rule_ids


def test_shipping_only_refund_goes_to_the_configured_shipping_refund_item() -> None:
    """With a shipping refund item set, refunded shipping is a line of that item (SHP-1)."""
    event = storefront_refund(amount="10.00", shipping="10.00")
    memo = _memo(rc.decide_incoming_refund(event, _world(), WITH_ITEM))
    assert [(line.item, line.kind, line.amount) for line in memo.lines] == [
        ("SHIPPING-REFUND", rc.CreditLineKind.SHIPPING, M("10.00 USD"))
    ]
    assert memo.shipping == M("0.00 USD")


def test_amount_only_refund_naming_shipping_keeps_it_off_the_item_lines() -> None:
    """An amount-only refund's named shipping is shipping; only the rest is on items (SHP-1)."""
    event = storefront_refund(amount="40.00", shipping="10.00")
    memo = _memo(rc.decide_incoming_refund(event, _world(), SETTINGS))
    assert memo.shipping == M("10.00 USD")
    assert [(line.item, line.amount) for line in memo.lines] == [("PARTIAL-ITEM", M("30.00 USD"))]


def test_shipping_refunded_once_cannot_be_refunded_again() -> None:
    """Shipping refunded on the shipping item counts as refunded shipping (SHP-1, MNY-4)."""
    snap = _world()
    first = storefront_refund("sr_1", "10.00", shipping="10.00")
    snap = rc.apply_plan(snap, rc.decide_incoming_refund(first, snap, WITH_ITEM))
    again = storefront_refund("sr_2", "5.00", shipping="5.00")
    outcome = rc.decide_incoming_refund(again, snap, WITH_ITEM)
    assert isinstance(outcome, rc.Unsupported)
    assert "shipping" in outcome.message


def test_full_stripe_refund_puts_shipping_on_the_shipping_refund_item() -> None:
    """A full refund's shipping goes to the shipping refund item when one is set (SHP-1, STC-16)."""
    snap = ledger(
        invoices=[invoice(lines=[("SKU-A", "90.00")], shipping="10.00")],
        payments=[payment(applied={"INV-1": "100.00"})],
    )
    memo = _memo(rc.decide_stripe_refund(stripe_refund_event(amount="100.00"), snap, WITH_ITEM))
    assert [(line.kind, line.amount) for line in memo.lines] == [
        (rc.CreditLineKind.ITEM, M("90.00 USD")),
        (rc.CreditLineKind.SHIPPING, M("10.00 USD")),
    ]
    assert {"SHP-1", "STC-16"} <= set(memo.rule_ids)


def test_outgoing_refund_carries_shipping_cost_as_shipping() -> None:
    """A credit memo's shipping cost goes to the storefront as shipping (SHP-1, NSC-7)."""
    memo = credit_memo(
        "CM-9", "INV-1", "40.00", lines=[("SKU-A", "30.00", "OL-1", 1)], shipping="10.00"
    )
    snap = attrs.evolve(_world(), credit_memos=(memo,))
    outcome = rc.decide_outgoing_refund("CM-9", snap, SETTINGS, SHOP)
    assert isinstance(outcome, rc.Plan)
    refund = outcome.actions[0]
    assert isinstance(refund, rc.IssueStorefrontRefund)
    assert refund.shipping == M("10.00 USD")
    assert [(line.order_line_ref, line.amount) for line in refund.lines] == [
        ("OL-1", M("30.00 USD"))
    ]


def test_outgoing_refund_carries_the_shipping_item_line_as_shipping() -> None:
    """A shipping refund item line goes out as shipping, never as an order line (SHP-1)."""
    memo = rc.CreditMemo(
        internal_id="CM-9",
        customer_id="C-1",
        created_from="INV-1",
        amount=M("40.00 USD"),
        lines=(
            rc.CreditLine("SKU-A", M("30.00 USD"), order_line_ref="OL-1"),
            rc.CreditLine(
                "SHIPPING-REFUND",
                M("10.00 USD"),
                order_line_ref="OL-1",
                kind=rc.CreditLineKind.SHIPPING,
            ),
        ),
        order_id="SO-1",
    )
    snap = attrs.evolve(_world(), credit_memos=(memo,))
    outcome = rc.decide_outgoing_refund("CM-9", snap, WITH_ITEM, SHOP)
    assert isinstance(outcome, rc.Plan)
    refund = outcome.actions[0]
    assert isinstance(refund, rc.IssueStorefrontRefund)
    assert refund.shipping == M("10.00 USD")
    assert [(line.order_line_ref, line.amount) for line in refund.lines] == [
        ("OL-1", M("30.00 USD"))
    ]
    assert "SHP-1" in refund.rule_ids
