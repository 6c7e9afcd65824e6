"""Example tests for the Stripe Connector rules STC-1..STC-17 (see RULES.md)."""

import pytest

import refund_core as rc
from tests.builders import (
    M,
    at,
    cash_sale,
    customer_deposit,
    invoice,
    ledger,
    order,
    payment,
    payment_failure,
    stripe_refund,
)

SETTINGS = rc.RefundSettings(partial_refund_item="PARTIAL-ITEM", fee_account="STRIPE-FEES")
TWO_LINES = [("SKU-A", "60.00", "OL-1"), ("SKU-B", "40.00", "OL-2")]


def _plan(outcome: rc.Outcome) -> rc.Plan:
    assert isinstance(outcome, rc.Plan), outcome
    return outcome


def _one_invoice_ledger(
    lines: list[tuple[str, str, str]] | None = None,
) -> rc.LedgerSnapshot:
    lines = lines or [("SKU-A", "100.00", "OL-1")]
    return ledger(
        sales_orders=[order(lines=lines)],
        invoices=[invoice("INV-1", lines)],
        payments=[payment("PAY-1", "100.00", applied={"INV-1": "100.00"})],
    )


def _pairs(plan: rc.Plan) -> list[tuple[rc.CreateCreditMemo, rc.CreateCustomerRefund]]:
    actions = list(plan.actions)
    memos = [a for a in actions if isinstance(a, rc.CreateCreditMemo)]
    refunds = [a for a in actions if isinstance(a, rc.CreateCustomerRefund)]
    assert len(memos) == len(refunds)
    return list(zip(memos, refunds, strict=True))


# -- STC-1..3, STC-7, STC-8: which representation --------------------------------------------


def test_refund_of_unsynced_charge_waits_for_its_payment() -> None:
    """A Stripe refund whose charge has no NetSuite payment yet is skipped to retry (STC-1)."""
    outcome = rc.decide_stripe_refund(stripe_refund(charge="ch_9"), ledger(), SETTINGS)
    assert isinstance(outcome, rc.Skipped)
    assert outcome.code is rc.Reason.PAYMENT_NOT_SYNCED
    assert "ch_9" in outcome.message
    assert outcome.rule_ids == ("STC-1",)


def test_charge_without_invoice_gets_a_customer_refund_on_the_payment() -> None:
    """A charge linked to no invoice gets a customer refund applied to the payment (STC-2)."""
    snap = ledger(payments=[payment("PAY-1", "100.00")])
    plan = _plan(rc.decide_stripe_refund(stripe_refund(amount="100.00"), snap, SETTINGS))
    (action,) = plan.actions
    assert isinstance(action, rc.CreateCustomerRefund)
    assert action.amount == M("100.00 USD")  # a full refund equals the payment exactly
    assert action.payment_id == "PAY-1"
    assert action.applications == (
        rc.PlannedApplication(
            rc.RefundApplicationKind.PAYMENT, rc.RecordRef(internal_id="PAY-1"), M("100.00 USD")
        ),
    )
    assert {"STC-2", "STC-8"} <= set(action.rule_ids)


def test_partial_refund_of_unapplied_charge_is_the_refunded_amount() -> None:
    """The customer refund is the refunded amount, not the whole payment (STC-2)."""
    snap = ledger(payments=[payment("PAY-1", "100.00")])
    plan = _plan(rc.decide_stripe_refund(stripe_refund(amount="25.00"), snap, SETTINGS))
    (action,) = plan.actions
    assert isinstance(action, rc.CreateCustomerRefund)
    assert action.amount == M("25.00 USD")


def test_charge_of_a_cash_sale_is_unsupported() -> None:
    """A charge that paid a cash sale is unsupported and nothing is created (STC-3)."""
    snap = ledger(
        sales_orders=[order()],
        cash_sales=[cash_sale("CS-1", payment_ref="ch_1")],
        payments=[payment("PAY-1", "100.00")],
    )
    outcome = rc.decide_stripe_refund(stripe_refund(amount="30.00"), snap, SETTINGS)
    assert isinstance(outcome, rc.Unsupported)
    assert outcome.code is rc.Reason.CASH_SALE
    assert "CS-1" in outcome.message
    assert outcome.rule_ids == ("STC-3",)
    assert rc.apply_plan(snap, outcome) == snap


def test_payment_unapplied_from_its_invoice_is_refunded_directly() -> None:
    """A payment unapplied from its invoice is refunded with no credit memo (STC-7)."""
    snap = ledger(
        sales_orders=[order()],
        invoices=[invoice("INV-1")],
        payments=[payment("PAY-1", "100.00", applied={"INV-1": "60.00"})],
    )
    plan = _plan(rc.decide_stripe_refund(stripe_refund(amount="40.00"), snap, SETTINGS))
    (action,) = plan.actions
    assert isinstance(action, rc.CreateCustomerRefund)
    assert action.applications[0].kind is rc.RefundApplicationKind.PAYMENT
    assert action.amount == M("40.00 USD")
    assert "STC-7" in action.rule_ids


def test_charge_with_no_invoice_creates_no_credit_memo() -> None:
    """A charge with no invoice creates no credit memo (STC-8)."""
    snap = ledger(sales_orders=[order()], invoices=[invoice()], payments=[payment("PAY-1")])
    plan = _plan(rc.decide_stripe_refund(stripe_refund(amount="100.00"), snap, SETTINGS))
    assert not any(isinstance(a, rc.CreateCreditMemo) for a in plan.actions)
    assert "STC-8" in plan.rule_ids
    after = rc.apply_plan(snap, plan)
    assert after.credit_memos == ()
    (refund,) = after.customer_refunds
    assert refund.applications == (
        rc.RefundApplication(rc.RefundApplicationKind.PAYMENT, "PAY-1", M("100.00 USD")),
    )


def test_refund_of_an_unbilled_customer_deposit_is_applied_to_the_deposit() -> None:
    """A charge recorded as a customer deposit is refunded against that deposit (STC-8)."""
    snap = ledger(sales_orders=[order()], customer_deposits=[customer_deposit("DEP-1")])
    plan = _plan(rc.decide_stripe_refund(stripe_refund(amount="40.00"), snap, SETTINGS))
    (action,) = plan.actions
    assert isinstance(action, rc.CreateCustomerRefund)
    assert action.amount == M("40.00 USD")
    assert action.applications == (
        rc.PlannedApplication(
            rc.RefundApplicationKind.CUSTOMER_DEPOSIT,
            rc.RecordRef(internal_id="DEP-1"),
            M("40.00 USD"),
        ),
    )
    assert "STC-8" in action.rule_ids
    after = rc.apply_plan(snap, plan)
    assert after.credit_memos == ()
    assert after.customer_refunds[0].applications[0].record_id == "DEP-1"


# -- STC-4, STC-5, STC-6, STC-9: credit memo + customer refund pairs -----------------------------


def test_invoice_charge_gets_credit_memo_applied_to_customer_refund() -> None:
    """A charge linked to an invoice gets a credit memo applied to a customer refund (STC-4)."""
    plan = _plan(
        rc.decide_stripe_refund(stripe_refund(amount="30.00"), _one_invoice_ledger(), SETTINGS)
    )
    ((memo, refund),) = _pairs(plan)
    assert plan.actions == (memo, refund)
    assert memo.created_from == "INV-1"
    assert memo.refunded_payment_id == "PAY-1"
    assert memo.amount == refund.amount == M("30.00 USD")
    assert refund.applications == (
        rc.PlannedApplication(
            rc.RefundApplicationKind.CREDIT_MEMO,
            rc.RecordRef(external_id=memo.external_id),
            M("30.00 USD"),
        ),
    )
    assert "STC-4" in memo.rule_ids
    assert "STC-4" in refund.rule_ids


def test_one_pair_per_payment_application() -> None:
    """Each (payment, invoice) application touched gets its own credit memo + refund (STC-5)."""
    snap = ledger(
        sales_orders=[order(lines=TWO_LINES)],
        invoices=[
            invoice("INV-1", [TWO_LINES[0]]),
            invoice("INV-2", [TWO_LINES[1]], created="2026-03-02"),
        ],
        payments=[
            payment(
                "PAY-1",
                "100.00",
                applied={"INV-1": "60.00", "INV-2": "40.00"},
                applied_at={"INV-1": "2026-03-01", "INV-2": "2026-03-02"},
            )
        ],
    )
    plan = _plan(rc.decide_stripe_refund(stripe_refund(amount="100.00"), snap, SETTINGS))
    pairs = _pairs(plan)
    assert [(m.created_from, m.amount, r.amount) for m, r in pairs] == [
        ("INV-2", M("40.00 USD"), M("40.00 USD")),
        ("INV-1", M("60.00 USD"), M("60.00 USD")),
    ]
    for memo, refund in pairs:
        assert refund.applications[0].record == rc.RecordRef(external_id=memo.external_id)
        assert "STC-5" in memo.rule_ids
    after = rc.apply_plan(snap, plan)
    assert len(after.credit_memos) == 2
    assert len(after.customer_refunds) == 2


def test_payment_moved_to_another_invoice_credits_the_current_one() -> None:
    """A payment now applied to a different invoice credits the current invoice (STC-6)."""
    snap = ledger(
        sales_orders=[order("SO-1", "1001"), order("SO-2", "1002")],
        invoices=[invoice("INV-1", order_id="SO-1"), invoice("INV-2", order_id="SO-2")],
        # Originally applied to INV-1; now applied to INV-2 only.
        payments=[payment("PAY-1", "100.00", applied={"INV-2": "100.00"})],
    )
    plan = _plan(rc.decide_stripe_refund(stripe_refund(amount="30.00"), snap, SETTINGS))
    ((memo, _refund),) = _pairs(plan)
    assert memo.created_from == "INV-2"
    assert memo.order_id == "SO-2"
    assert "STC-6" in memo.rule_ids


def test_unapplied_balance_first_then_most_recent_application_first() -> None:
    """A refund takes the unapplied balance, then applications newest first (STC-9)."""
    snap = ledger(
        sales_orders=[order(lines=[("SKU-A", "30.00", "OL-1"), ("SKU-B", "50.00", "OL-2")])],
        invoices=[
            invoice("INV-1", [("SKU-A", "30.00", "OL-1")]),
            invoice("INV-2", [("SKU-B", "50.00", "OL-2")], created="2026-03-05"),
        ],
        payments=[
            payment(
                "PAY-1",
                "100.00",
                applied={"INV-1": "30.00", "INV-2": "50.00"},
                applied_at={"INV-1": "2026-03-01", "INV-2": "2026-03-05"},
            )
        ],
    )
    plan = _plan(rc.decide_stripe_refund(stripe_refund(amount="90.00"), snap, SETTINGS))
    summary = [
        (type(a).__name__, getattr(a, "created_from", None), a.amount)  # type: ignore[union-attr]
        for a in plan.actions
    ]
    assert summary == [
        ("CreateCustomerRefund", None, M("20.00 USD")),
        ("CreateCreditMemo", "INV-2", M("50.00 USD")),
        ("CreateCustomerRefund", None, M("50.00 USD")),
        ("CreateCreditMemo", "INV-1", M("20.00 USD")),
        ("CreateCustomerRefund", None, M("20.00 USD")),
    ]
    direct = plan.actions[0]
    assert isinstance(direct, rc.CreateCustomerRefund)
    assert direct.applications[0].kind is rc.RefundApplicationKind.PAYMENT
    assert "STC-9" in direct.rule_ids


# -- STC-10: failed delayed-notification payments ---------------------------------------------


def test_failed_ach_payment_is_reversed_without_a_credit_memo() -> None:
    """A failed ACH payment is marked failed, unapplied and reversed by a refund (STC-10)."""
    snap = ledger(
        sales_orders=[order()],
        invoices=[invoice("INV-1")],
        payments=[
            payment(
                "PAY-1",
                "100.00",
                applied={"INV-1": "100.00"},
                status=rc.PaymentStatus.PENDING,
            )
        ],
    )
    failure = payment_failure(code="insufficient_funds", message="Not enough money.")
    plan = _plan(rc.decide_payment_failure(failure, snap, SETTINGS))
    mark, refund = plan.actions
    assert isinstance(mark, rc.MarkPaymentFailed)
    assert mark.payment_id == "PAY-1"
    assert mark.unapply_invoice_ids == ("INV-1",)
    assert isinstance(refund, rc.CreateCustomerRefund)
    assert refund.amount == M("100.00 USD")
    assert refund.applications == (
        rc.PlannedApplication(
            rc.RefundApplicationKind.PAYMENT, rc.RecordRef(internal_id="PAY-1"), M("100.00 USD")
        ),
    )
    assert "insufficient_funds" in refund.memo
    assert "Not enough money." in refund.memo
    assert "STC-10" in refund.rule_ids
    assert not any(isinstance(a, rc.CreateCreditMemo) for a in plan.actions)
    after = rc.apply_plan(snap, plan)
    (paid,) = after.payments
    assert paid.status is rc.PaymentStatus.FAILED
    assert paid.applications == ()
    assert after.credit_memos == ()


# -- STC-11: refunds of charges before the record sync start date ---------------------------


START = "2026-01-01"


def test_pre_start_refund_is_skipped_with_a_manual_action_by_default() -> None:
    """A refund of a pre-start charge is skipped with a manual action in skip mode (STC-11)."""
    settings = rc.RefundSettings(record_sync_start=at(START))
    event = stripe_refund(amount="30.00", charge_created="2025-12-15")
    outcome = rc.decide_stripe_refund(event, _one_invoice_ledger(), settings)
    assert isinstance(outcome, rc.Skipped)
    assert outcome.code is rc.Reason.PRE_START_DATE
    (manual,) = outcome.manual_actions
    assert manual.code is rc.Reason.PRE_START_DATE
    assert "create credit memo + customer refund" in manual.message
    assert "bank deposit by hand" in manual.message
    assert manual.amount == M("30.00 USD")
    assert "STC-11" in outcome.rule_ids


def _pre_start_payout() -> rc.Payout:
    return rc.Payout(
        source="stripe",
        payout_id="po_1",
        amount=M("50.00 USD"),
        arrival_at=at("2026-03-20"),
        entries=(
            rc.BalanceEntry("txn_1", rc.BalanceEntryKind.CHARGE, M("100.00 USD"), "ch_2"),
            rc.BalanceEntry(
                "txn_2",
                rc.BalanceEntryKind.REFUND,
                M("-30.00 USD"),
                "re_old1",
                charge_created_at=at("2025-12-01"),
            ),
            rc.BalanceEntry(
                "txn_3",
                rc.BalanceEntryKind.REFUND,
                M("-20.00 USD"),
                "re_old2",
                charge_created_at=at("2025-12-02"),
            ),
        ),
    )


def _payout_ledger() -> rc.LedgerSnapshot:
    return ledger(payments=[payment("PAY-2", "100.00", ref="ch_2")])


def test_pre_start_refunds_in_a_payout_are_manual_in_skip_mode() -> None:
    """In skip mode pre-start refunds stay out of the deposit as manual actions (STC-11)."""
    settings = rc.RefundSettings(record_sync_start=at(START))
    plan = _plan(rc.decide_payout(_pre_start_payout(), _payout_ledger(), settings))
    (deposit,) = plan.actions
    assert isinstance(deposit, rc.CreateDeposit)
    assert deposit.other_lines == ()
    assert deposit.amount == M("100.00 USD")
    assert [(m.code, m.amount) for m in plan.manual_actions] == [
        (rc.Reason.PRE_START_DATE, M("-30.00 USD")),
        (rc.Reason.PRE_START_DATE, M("-20.00 USD")),
    ]


def test_pre_start_refunds_become_deposit_lines_in_deposit_line_mode() -> None:
    """In deposit-line mode each pre-start refund is a deposit line on one account (STC-11)."""
    settings = rc.RefundSettings(
        record_sync_start=at(START),
        pre_start_mode=rc.PreStartMode.DEPOSIT_LINE,
        pre_start_income_account="4000-INCOME",
    )
    plan = _plan(rc.decide_payout(_pre_start_payout(), _payout_ledger(), settings))
    (deposit,) = plan.actions
    assert isinstance(deposit, rc.CreateDeposit)
    assert [(line.account, line.amount) for line in deposit.other_lines] == [
        ("4000-INCOME", M("-30.00 USD")),
        ("4000-INCOME", M("-20.00 USD")),
    ]
    assert deposit.amount == M("50.00 USD")
    assert "STC-11" in deposit.rule_ids
    assert plan.manual_actions == ()


def test_summarize_before_backfill_makes_one_line() -> None:
    """With summarize-before-backfill all pre-start refunds become one deposit line (STC-11)."""
    settings = rc.RefundSettings(
        record_sync_start=at(START),
        pre_start_mode=rc.PreStartMode.DEPOSIT_LINE,
        pre_start_income_account="4000-INCOME",
        summarize_before_backfill=True,
    )
    plan = _plan(rc.decide_payout(_pre_start_payout(), _payout_ledger(), settings))
    (deposit,) = plan.actions
    assert isinstance(deposit, rc.CreateDeposit)
    (line,) = deposit.other_lines
    assert (line.account, line.amount) == ("4000-INCOME", M("-50.00 USD"))
    assert line.source_refs == ("re_old1", "re_old2")


# -- STC-12, STC-13: payouts and deposits ------------------------------------------------------


def _refunded_ledger() -> rc.LedgerSnapshot:
    snap = ledger(
        sales_orders=[order()],
        invoices=[invoice("INV-1")],
        payments=[
            payment("PAY-1", "100.00", applied={"INV-1": "100.00"}),
            payment("PAY-2", "80.00", ref="ch_2"),
        ],
    )
    outcome = rc.decide_stripe_refund(stripe_refund("re_1", "30.00"), snap, SETTINGS)
    return rc.apply_plan(snap, outcome)


def test_payout_deposit_moves_the_customer_refund_out_of_undeposited_funds() -> None:
    """A payout's deposit links its customer refunds as negative lines (STC-12)."""
    snap = _refunded_ledger()
    (customer_refund,) = snap.customer_refunds
    assert customer_refund.account == "undeposited_funds"
    assert customer_refund.deposit_id is None
    payout = rc.Payout(
        source="stripe",
        payout_id="po_1",
        amount=M("50.00 USD"),
        arrival_at=at("2026-03-20"),
        entries=(
            rc.BalanceEntry("txn_1", rc.BalanceEntryKind.CHARGE, M("80.00 USD"), "ch_2"),
            rc.BalanceEntry("txn_2", rc.BalanceEntryKind.REFUND, M("-30.00 USD"), "re_1"),
        ),
    )
    plan = _plan(rc.decide_payout(payout, snap, SETTINGS))
    (deposit,) = plan.actions
    assert isinstance(deposit, rc.CreateDeposit)
    assert deposit.payment_lines == (
        rc.PlannedDepositLine(
            rc.DepositRecordKind.PAYMENT, rc.RecordRef(internal_id="PAY-2"), M("80.00 USD")
        ),
        rc.PlannedDepositLine(
            rc.DepositRecordKind.CUSTOMER_REFUND,
            rc.RecordRef(internal_id=customer_refund.internal_id),
            M("-30.00 USD"),
        ),
    )
    assert "STC-12" in deposit.rule_ids
    after = rc.apply_plan(snap, plan)
    (made,) = after.deposits
    (linked,) = after.customer_refunds
    assert linked.deposit_id == made.internal_id
    assert made.external_id == deposit.external_id


def test_refunded_fee_is_an_other_deposits_line_never_on_a_credit() -> None:
    """A refunded Stripe fee is an Other Deposits line on the fee account (STC-13)."""
    snap = _refunded_ledger()
    payout = rc.Payout(
        source="stripe",
        payout_id="po_1",
        amount=M("-28.80 USD"),
        arrival_at=at("2026-03-20"),
        entries=(
            rc.BalanceEntry("txn_2", rc.BalanceEntryKind.REFUND, M("-30.00 USD"), "re_1"),
            rc.BalanceEntry("txn_3", rc.BalanceEntryKind.FEE_REFUND, M("1.20 USD"), "fee_re_1"),
        ),
    )
    plan = _plan(rc.decide_payout(payout, snap, SETTINGS))
    (deposit,) = plan.actions
    assert isinstance(deposit, rc.CreateDeposit)
    (fee_line,) = deposit.other_lines
    assert (fee_line.account, fee_line.amount) == ("STRIPE-FEES", M("1.20 USD"))
    assert fee_line.source_refs == ("txn_3",)
    assert "STC-13" in deposit.rule_ids
    after = rc.apply_plan(snap, plan)
    assert [cm.amount for cm in after.credit_memos] == [M("30.00 USD")]
    assert [cr.amount for cr in after.customer_refunds] == [M("30.00 USD")]


# -- STC-14..17: which lines a credit memo carries --------------------------------------------


def test_partial_refund_of_single_line_invoice_uses_that_item() -> None:
    """A partial refund of a single-line invoice uses that line's item (STC-14)."""
    plan = _plan(
        rc.decide_stripe_refund(stripe_refund(amount="30.00"), _one_invoice_ledger(), SETTINGS)
    )
    ((memo, _),) = _pairs(plan)
    (line,) = memo.lines
    assert (line.item, line.amount, line.origin_line_id) == ("SKU-A", M("30.00 USD"), "INV-1-L1")
    assert memo.shipping == M("0.00 USD")
    assert "STC-14" in memo.rule_ids


def test_partial_refund_of_multi_line_invoice_uses_partial_refund_item() -> None:
    """A partial refund of a multi-line invoice uses the partial refund item (STC-15)."""
    plan = _plan(
        rc.decide_stripe_refund(
            stripe_refund(amount="30.00"), _one_invoice_ledger(TWO_LINES), SETTINGS
        )
    )
    ((memo, _),) = _pairs(plan)
    (line,) = memo.lines
    assert (line.item, line.amount, line.account) == ("PARTIAL-ITEM", M("30.00 USD"), None)
    assert "STC-15" in memo.rule_ids


def test_partial_refund_line_posts_to_deferred_revenue_with_revenue_recognition() -> None:
    """With revenue recognition the partial refund line uses deferred revenue (STC-15)."""
    settings = rc.RefundSettings(
        partial_refund_item="PARTIAL-ITEM",
        revenue_recognition=True,
        deferred_revenue_account="2500-DEFERRED",
    )
    plan = _plan(
        rc.decide_stripe_refund(
            stripe_refund(amount="30.00"), _one_invoice_ledger(TWO_LINES), settings
        )
    )
    ((memo, _),) = _pairs(plan)
    (line,) = memo.lines
    assert (line.item, line.amount, line.account) == (
        "PARTIAL-ITEM",
        M("30.00 USD"),
        "2500-DEFERRED",
    )


def test_multi_line_partial_without_partial_item_is_unsupported() -> None:
    """A multi-line partial refund with no partial refund item set is unsupported (STC-15)."""
    outcome = rc.decide_stripe_refund(
        stripe_refund(amount="30.00"), _one_invoice_ledger(TWO_LINES), rc.RefundSettings()
    )
    assert isinstance(outcome, rc.Unsupported)
    assert outcome.code is rc.Reason.NEEDS_REFUND_ITEM
    assert "partial_refund_item" in outcome.message


def test_full_refund_copies_the_original_lines() -> None:
    """A full refund's credit memo carries the invoice's original lines (STC-16)."""
    plan = _plan(
        rc.decide_stripe_refund(
            stripe_refund(amount="100.00"), _one_invoice_ledger(TWO_LINES), SETTINGS
        )
    )
    ((memo, _),) = _pairs(plan)
    assert [(line.item, line.amount, line.origin_line_id) for line in memo.lines] == [
        ("SKU-A", M("60.00 USD"), "INV-1-L1"),
        ("SKU-B", M("40.00 USD"), "INV-1-L2"),
    ]
    assert "STC-16" in memo.rule_ids


@pytest.mark.parametrize("amount", ["100.00", "30.00"], ids=["full", "partial"])
def test_use_refund_item_puts_one_refund_item_line_on_every_memo(amount: str) -> None:
    """With use refund item every credit memo has one refund item line (STC-17)."""
    settings = rc.RefundSettings(use_refund_item=True, refund_item="REFUND-ITEM")
    plan = _plan(
        rc.decide_stripe_refund(
            stripe_refund(amount=amount), _one_invoice_ledger(TWO_LINES), settings
        )
    )
    ((memo, _),) = _pairs(plan)
    (line,) = memo.lines
    assert (line.item, line.amount, line.account) == ("REFUND-ITEM", M(f"{amount} USD"), None)
    assert "STC-17" in memo.rule_ids
