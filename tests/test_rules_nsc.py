"""Example tests for the NetSuite Connector rules NSC-1..NSC-10 (see RULES.md)."""

from decimal import Decimal

import attrs
import pytest

import refund_core as rc
from tests.builders import (
    M,
    cash_sale,
    credit_memo,
    invoice,
    ledger,
    order,
    storefront_refund,
)

SETTINGS = rc.RefundSettings(partial_refund_item="PARTIAL-ITEM")
SHOPIFY = rc.StorefrontCapabilities("shopify", rc.StorefrontKind.CART)
SHOPIFY_CREDIT = rc.StorefrontCapabilities(
    "shopify", rc.StorefrontKind.CART, supports_store_credit=True
)
AMAZON = rc.StorefrontCapabilities("amazon", rc.StorefrontKind.MARKETPLACE)


def _plan(outcome: rc.Outcome) -> rc.Plan:
    assert isinstance(outcome, rc.Plan), outcome
    return outcome


# -- NSC-1 / NSC-2 / NSC-3: the record type follows the billing transaction ----------------------


def test_full_refund_of_invoice_copies_the_original_lines() -> None:
    """A full refund of an invoiced order is a credit memo with the invoice's lines (NSC-1)."""
    snap = ledger(
        sales_orders=[order(lines=[("SKU-A", "60.00", "OL-1"), ("SKU-B", "40.00", "OL-2")])],
        invoices=[invoice(lines=[("SKU-A", "60.00", "OL-1"), ("SKU-B", "40.00", "OL-2")])],
    )
    plan = _plan(rc.decide_incoming_refund(storefront_refund(amount="100.00"), snap, SETTINGS))
    (action,) = plan.actions
    assert isinstance(action, rc.CreateCreditMemo)
    assert [(line.item, line.amount) for line in action.lines] == [
        ("SKU-A", M("60.00 USD")),
        ("SKU-B", M("40.00 USD")),
    ]
    assert [line.origin_line_id for line in action.lines] == ["INV-1-L1", "INV-1-L2"]
    assert "NSC-1" in action.rule_ids


def test_cash_sale_is_refunded_by_a_cash_refund() -> None:
    """An order billed by a cash sale gets a cash refund from that cash sale (NSC-2)."""
    snap = ledger(sales_orders=[order()], cash_sales=[cash_sale("CS-1")])
    plan = _plan(rc.decide_incoming_refund(storefront_refund(amount="30.00"), snap, SETTINGS))
    (action,) = plan.actions
    assert isinstance(action, rc.CreateCashRefund)
    assert action.created_from == "CS-1"
    assert action.order_id == "SO-1"
    assert action.amount == M("30.00 USD")
    assert [(line.item, line.amount) for line in action.lines] == [("SKU-A", M("30.00 USD"))]
    assert "NSC-2" in action.rule_ids
    assert "NSC-3" not in action.rule_ids


def test_invoice_is_refunded_by_a_credit_memo() -> None:
    """An order billed by an invoice gets a credit memo from that invoice (NSC-3)."""
    snap = ledger(sales_orders=[order()], invoices=[invoice("INV-1")])
    plan = _plan(rc.decide_incoming_refund(storefront_refund(amount="30.00"), snap, SETTINGS))
    (action,) = plan.actions
    assert isinstance(action, rc.CreateCreditMemo)
    assert action.created_from == "INV-1"
    assert action.customer_id == "C-1"
    assert action.amount == M("30.00 USD")
    assert "NSC-3" in action.rule_ids
    assert "NSC-2" not in action.rule_ids


# -- NSC-4: nothing twice; a further partial refund only for its own amount ---------------------


def test_same_refund_synced_twice_creates_nothing_new() -> None:
    """A storefront refund already reflected in NetSuite is skipped as already synced (NSC-4)."""
    snap = ledger(sales_orders=[order()], invoices=[invoice()])
    event = storefront_refund(amount="30.00")
    after = rc.apply_plan(snap, rc.decide_incoming_refund(event, snap, SETTINGS))
    assert len(after.credit_memos) == 1
    again = rc.decide_incoming_refund(event, after, SETTINGS)
    assert isinstance(again, rc.Skipped)
    assert again.code is rc.Reason.ALREADY_SYNCED
    assert "NSC-4" in again.rule_ids


def test_different_partial_refund_creates_only_its_own_amount() -> None:
    """A further, different partial refund creates a record for its own amount only (NSC-4)."""
    snap = ledger(sales_orders=[order()], invoices=[invoice()])
    first = storefront_refund("sr_1", "30.00")
    snap = rc.apply_plan(snap, rc.decide_incoming_refund(first, snap, SETTINGS))
    plan = _plan(rc.decide_incoming_refund(storefront_refund("sr_2", "50.00"), snap, SETTINGS))
    (action,) = plan.actions
    assert isinstance(action, rc.CreateCreditMemo)
    assert action.amount == M("50.00 USD")
    assert action.source == rc.SourceKey("shopify", "sr_2")
    assert "NSC-4" in action.rule_ids
    after = rc.apply_plan(snap, plan)
    assert sorted(cm.amount.amount for cm in after.credit_memos) == [
        Decimal("30.00"),
        Decimal("50.00"),
    ]


def test_further_partial_refund_above_the_remainder_is_rejected() -> None:
    """A further partial refund above what is still refundable raises OverRefundError (NSC-4)."""
    snap = ledger(sales_orders=[order()], invoices=[invoice()])
    snap = rc.apply_plan(
        snap, rc.decide_incoming_refund(storefront_refund("sr_1", "80.00"), snap, SETTINGS)
    )
    with pytest.raises(rc.OverRefundError, match=r"30\.00 USD.*20\.00 USD") as info:
        rc.decide_incoming_refund(storefront_refund("sr_2", "30.00"), snap, SETTINGS)
    assert info.value.remaining == M("20.00 USD")
    assert info.value.already_refunded == M("80.00 USD")


# -- NSC-5: split shipments ------------------------------------------------------------------------


def _split_shipment_ledger() -> rc.LedgerSnapshot:
    return ledger(
        sales_orders=[
            order(
                lines=[
                    ("SKU-A", "60.00", "OL-1"),
                    ("SKU-B", "40.00", "OL-2"),
                    ("SKU-C", "50.00", "OL-3"),
                ]
            )
        ],
        invoices=[
            invoice("INV-2", [("SKU-B", "40.00", "OL-2", 1)], created="2026-03-02"),
            invoice("INV-1", [("SKU-A", "60.00", "OL-1", 1)], created="2026-03-01"),
        ],
    )


def test_refund_naming_lines_goes_to_the_invoice_holding_them() -> None:
    """A refund naming a line becomes a credit memo from the invoice that billed it (NSC-5)."""
    event = storefront_refund(amount="40.00", lines=[("OL-2", 1, "40.00")])
    plan = _plan(rc.decide_incoming_refund(event, _split_shipment_ledger(), SETTINGS))
    (action,) = plan.actions
    assert isinstance(action, rc.CreateCreditMemo)
    assert action.created_from == "INV-2"
    (line,) = action.lines
    assert (line.item, line.amount, line.quantity) == ("SKU-B", M("40.00 USD"), Decimal(1))
    assert line.origin_line_id == "INV-2-L1"
    assert "NSC-5" in action.rule_ids


def test_named_line_without_billed_quantity_is_placed_by_amount() -> None:
    """A named line on an invoice line of unknown quantity is placed by its amount (NSC-5)."""
    snap = ledger(
        sales_orders=[order(lines=[("SKU-A", "60.00", "OL-1"), ("SKU-B", "40.00", "OL-2")])],
        invoices=[
            invoice("INV-1", [("SKU-A", "60.00", "OL-1")], created="2026-03-01"),
            invoice("INV-2", [("SKU-B", "40.00", "OL-2")], created="2026-03-02"),
        ],
    )
    event = storefront_refund(amount="40.00", lines=[("OL-2", 1, "40.00")])
    plan = _plan(rc.decide_incoming_refund(event, snap, SETTINGS))
    (action,) = plan.actions
    assert isinstance(action, rc.CreateCreditMemo)
    assert action.created_from == "INV-2"
    assert [(line.item, line.amount) for line in action.lines] == [("SKU-B", M("40.00 USD"))]


def test_amount_only_refund_fills_invoices_in_creation_order() -> None:
    """An amount-only refund fills billing transactions oldest first, one record each (NSC-5)."""
    event = storefront_refund(amount="80.00")
    plan = _plan(rc.decide_incoming_refund(event, _split_shipment_ledger(), SETTINGS))
    assert [(a.created_from, a.amount) for a in plan.actions] == [  # type: ignore[union-attr]
        ("INV-1", M("60.00 USD")),
        ("INV-2", M("20.00 USD")),
    ]
    assert all(isinstance(a, rc.CreateCreditMemo) for a in plan.actions)
    assert all("NSC-5" in a.rule_ids for a in plan.actions)


def test_redelivered_refund_after_billing_changed_creates_nothing_new() -> None:
    """A synced refund delivered again after its billing changed is not placed again (NSC-4)."""
    snap = _split_shipment_ledger()
    event = storefront_refund(amount="50.00")
    snap = rc.apply_plan(snap, rc.decide_incoming_refund(event, snap, SETTINGS))
    earlier = invoice("INV-0", (("SKU-Z", "30.00", "OL-9"),), created="2026-02-01")
    changed = attrs.evolve(snap, invoices=(earlier, *snap.invoices))
    again = rc.decide_incoming_refund(event, changed, SETTINGS)
    assert isinstance(again, rc.Skipped)
    assert again.code is rc.Reason.ALREADY_SYNCED
    assert rc.apply_plan(changed, again) == changed


def test_refund_of_a_line_not_billed_yet_is_unsupported() -> None:
    """A refund naming a line no invoice holds yet is unsupported, never guessed (NSC-5)."""
    event = storefront_refund(amount="50.00", lines=[("OL-3", 1, "50.00")])
    outcome = rc.decide_incoming_refund(event, _split_shipment_ledger(), SETTINGS)
    assert isinstance(outcome, rc.Unsupported)
    assert outcome.code is rc.Reason.LINE_NOT_BILLED
    assert "OL-3" in outcome.message
    assert "NSC-5" in outcome.rule_ids


def test_amount_only_refund_above_what_is_billed_is_unsupported() -> None:
    """An amount-only refund larger than everything billed is unsupported (NSC-5)."""
    event = storefront_refund(amount="120.00")
    outcome = rc.decide_incoming_refund(event, _split_shipment_ledger(), SETTINGS)
    assert isinstance(outcome, rc.Unsupported)
    assert outcome.code is rc.Reason.NOT_BILLED
    assert "NSC-5" in outcome.rule_ids


# -- NSC-6: RMAs are refunded in NetSuite, then synced out -------------------------------------


def _rma(status: rc.ReturnAuthorizationStatus) -> rc.ReturnAuthorization:
    return rc.ReturnAuthorization(
        internal_id="RMA-1",
        customer_id="C-1",
        order_id="SO-1",
        status=status,
        lines=(rc.TransactionLine("RMA-1-L1", "SKU-A", Decimal(1), M("100.00 USD"), "OL-1"),),
    )


def test_incoming_refund_with_open_rma_is_skipped() -> None:
    """An incoming refund on an order with an open RMA is skipped: refund the RMA (NSC-6)."""
    snap = ledger(
        sales_orders=[order()],
        invoices=[invoice()],
        return_authorizations=[_rma(rc.ReturnAuthorizationStatus.PENDING_REFUND)],
    )
    outcome = rc.decide_incoming_refund(storefront_refund(amount="30.00"), snap, SETTINGS)
    assert isinstance(outcome, rc.Skipped)
    assert outcome.code is rc.Reason.OPEN_RMA
    assert "RMA-1" in outcome.message
    assert "refund the RMA in NetSuite" in outcome.message
    assert outcome.rule_ids == ("NSC-6",)


def test_incoming_refund_with_closed_rma_proceeds() -> None:
    """A refunded (closed) RMA does not block an incoming refund (NSC-6)."""
    snap = ledger(
        sales_orders=[order()],
        invoices=[invoice()],
        return_authorizations=[_rma(rc.ReturnAuthorizationStatus.CLOSED)],
    )
    outcome = rc.decide_incoming_refund(storefront_refund(amount="30.00"), snap, SETTINGS)
    assert isinstance(outcome, rc.Plan)


def test_credit_memo_from_rma_is_synced_out_to_the_storefront() -> None:
    """A credit memo made from an RMA in NetSuite becomes a storefront refund (NSC-6)."""
    memo = credit_memo(
        "CM-9", "RMA-1", "100.00", lines=[("SKU-A", "100.00", "OL-1", 1)], order_id=None
    )
    snap = ledger(
        sales_orders=[order()],
        invoices=[invoice()],
        return_authorizations=[_rma(rc.ReturnAuthorizationStatus.REFUNDED)],
        credit_memos=[memo],
    )
    plan = _plan(rc.decide_outgoing_refund("CM-9", snap, SETTINGS, SHOPIFY))
    refund = plan.actions[0]
    assert isinstance(refund, rc.IssueStorefrontRefund)
    assert refund.order_ref == "1001"
    assert refund.amount == M("100.00 USD")
    assert refund.record == rc.RecordRef(internal_id="CM-9")
    assert "NSC-6" in refund.rule_ids
    assert "RMA-1" in refund.reason


# -- NSC-7: outgoing sends the refund; the storefront moves the money ---------------------------


def test_outgoing_sends_lines_quantities_shipping_and_amount() -> None:
    """Outgoing sync sends lines, quantities, shipping and amount, no NetSuite money (NSC-7)."""
    memo = credit_memo(
        "CM-1",
        "INV-1",
        "55.00",
        lines=[("SKU-A", "30.00", "OL-1", 1), ("SKU-B", "20.00", "OL-2", 2)],
        shipping="5.00",
    )
    snap = ledger(
        sales_orders=[
            order(lines=[("SKU-A", "60.00", "OL-1"), ("SKU-B", "40.00", "OL-2")], shipping="10.00")
        ],
        invoices=[
            invoice(
                lines=[("SKU-A", "60.00", "OL-1"), ("SKU-B", "40.00", "OL-2")], shipping="10.00"
            )
        ],
        credit_memos=[memo],
    )
    plan = _plan(rc.decide_outgoing_refund("CM-1", snap, SETTINGS, SHOPIFY))
    refund, mark = plan.actions
    assert isinstance(refund, rc.IssueStorefrontRefund)
    assert refund.storefront == "shopify"
    assert refund.lines == (
        rc.StorefrontRefundLine("OL-1", Decimal(1), M("30.00 USD")),
        rc.StorefrontRefundLine("OL-2", Decimal(2), M("20.00 USD")),
    )
    assert refund.shipping == M("5.00 USD")
    assert refund.amount == M("55.00 USD")
    assert refund.rule_ids == ("NSC-7",)
    assert isinstance(mark, rc.MarkRecordSynced)
    money_records = (rc.CreateCreditMemo, rc.CreateCashRefund, rc.CreateCustomerRefund)
    assert not any(isinstance(a, money_records) for a in plan.actions)
    after = rc.apply_plan(snap, plan)
    assert after.credit_memos[0].storefront_sync is not None
    assert (after.cash_refunds, after.customer_refunds) == ((), ())
    assert len(after.credit_memos) == 1


# -- NSC-8: gift cards -----------------------------------------------------------------------------


def _gift_card_ledger() -> rc.LedgerSnapshot:
    # 100.00 order: 75.00 by card, 25.00 by gift card; a full credit memo made in NetSuite.
    return ledger(
        sales_orders=[order(gift_card="25.00")],
        invoices=[invoice()],
        credit_memos=[credit_memo("CM-1", "INV-1", "100.00")],
    )


def test_gift_card_part_becomes_store_credit_when_asked_and_supported() -> None:
    """The gift-card part is store credit when settings ask and the storefront can (NSC-8)."""
    settings = rc.RefundSettings(gift_card_as_store_credit=True)
    plan = _plan(rc.decide_outgoing_refund("CM-1", _gift_card_ledger(), settings, SHOPIFY_CREDIT))
    refund, credit, _mark = plan.actions
    assert isinstance(refund, rc.IssueStorefrontRefund)
    assert refund.amount == M("75.00 USD")
    assert isinstance(credit, rc.IssueStoreCredit)
    assert credit.amount == M("25.00 USD")
    assert credit.customer_id == "C-1"
    assert credit.rule_ids == ("NSC-8",)
    assert plan.manual_actions == ()


@pytest.mark.parametrize(
    ("settings", "storefront"),
    [
        (rc.RefundSettings(gift_card_as_store_credit=False), SHOPIFY_CREDIT),
        (rc.RefundSettings(gift_card_as_store_credit=True), SHOPIFY),
    ],
    ids=["settings-off", "storefront-cannot"],
)
def test_gift_card_part_is_a_manual_action_otherwise(
    settings: rc.RefundSettings, storefront: rc.StorefrontCapabilities
) -> None:
    """Without store credit the gift-card part is manual and the rest proceeds (NSC-8)."""
    plan = _plan(rc.decide_outgoing_refund("CM-1", _gift_card_ledger(), settings, storefront))
    assert not any(isinstance(a, rc.IssueStoreCredit) for a in plan.actions)
    refund = plan.actions[0]
    assert isinstance(refund, rc.IssueStorefrontRefund)
    assert refund.amount == M("75.00 USD")
    (manual,) = plan.manual_actions
    assert manual.code is rc.Reason.GIFT_CARD
    assert manual.amount == M("25.00 USD")
    assert manual.rule_ids == ("NSC-8",)
    assert "NSC-8" in plan.rule_ids


# -- NSC-9 / NSC-10: one direction per account, defaults by storefront kind --------------------


def test_account_asking_for_both_directions_is_rejected() -> None:
    """An account asking to sync refunds both ways is a configuration error (NSC-9)."""
    account = rc.ConnectorAccount(
        "acct-1", SHOPIFY, directions=[rc.Direction.INCOMING, rc.Direction.OUTGOING]
    )
    with pytest.raises(rc.ConfigurationError, match="exactly one direction"):
        rc.review_account(account)


def test_account_asking_for_no_direction_is_rejected() -> None:
    """An account asking for no refund direction is a configuration error (NSC-9)."""
    with pytest.raises(rc.ConfigurationError, match="acct-1"):
        rc.review_account(rc.ConnectorAccount("acct-1", SHOPIFY, directions=[]))


@pytest.mark.parametrize(
    ("storefront", "direction", "warned"),
    [
        (SHOPIFY, rc.Direction.OUTGOING, False),
        (SHOPIFY, rc.Direction.INCOMING, True),
        (AMAZON, rc.Direction.INCOMING, False),
        (AMAZON, rc.Direction.OUTGOING, True),
    ],
)
def test_non_recommended_direction_is_allowed_but_warned(
    storefront: rc.StorefrontCapabilities, direction: rc.Direction, warned: bool
) -> None:
    """Carts default to outgoing, marketplaces to incoming; the other way is warned (NSC-10)."""
    review = rc.review_account(rc.ConnectorAccount("acct-1", storefront, directions=[direction]))
    assert review.direction is direction
    assert bool(review.warnings) is warned
    if warned:
        assert storefront.name in review.warnings[0]
    assert "NSC-10" in review.rule_ids


def test_outgoing_leaves_a_refund_of_another_storefronts_order_to_that_storefront() -> None:
    """A credit memo of a Magento order is not sent to Shopify: skipped, naming both (NSC-7)."""
    memo = credit_memo("CM-1", "INV-1", "20.00")
    magento_order = attrs.evolve(order(), storefront="magento")
    snap = ledger(sales_orders=[magento_order], invoices=[invoice()], credit_memos=[memo])
    outcome = rc.decide_outgoing_refund("CM-1", snap, SETTINGS, SHOPIFY)
    assert isinstance(outcome, rc.Skipped)
    assert outcome.code is rc.Reason.OTHER_STOREFRONT
    assert "from magento, not shopify" in outcome.message
    assert outcome.rule_ids == ("NSC-7",)
    shopify_order = attrs.evolve(order(), storefront="shopify")
    snap = ledger(sales_orders=[shopify_order], invoices=[invoice()], credit_memos=[memo])
    assert isinstance(rc.decide_outgoing_refund("CM-1", snap, SETTINGS, SHOPIFY), rc.Plan)
