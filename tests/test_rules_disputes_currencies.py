"""Disputes (DSP-1..3) and payouts settled in another currency (CCY-1), in the core."""

from decimal import Decimal

import attrs
import pytest

import refund_core as rc
from tests.builders import M, at, dispute, invoice, ledger, payment, stripe_refund

SETTINGS = rc.RefundSettings(
    partial_refund_item="PARTIAL-ITEM", fee_account="FEES", dispute_account="DISPUTES"
)


def _world(currency: str = "USD") -> rc.LedgerSnapshot:
    return ledger(
        invoices=[invoice("INV-1", [("SKU-A", "100.00")], currency=currency)],
        payments=[payment("PAY-1", "100.00", applied={"INV-1": "100.00"}, currency=currency)],
    )


def _plan(outcome: rc.Outcome) -> rc.Plan:
    assert isinstance(outcome, rc.Plan), outcome
    return outcome


def _entry(
    entry_id: str, kind: rc.BalanceEntryKind, amount: str, ref: str, **kw: object
) -> rc.BalanceEntry:
    return rc.BalanceEntry(entry_id, kind, M(amount), ref, **kw)  # type: ignore[arg-type]


def _payout(*entries: rc.BalanceEntry) -> rc.Payout:
    total = rc.sum_money((e.amount for e in entries), entries[0].amount.currency)
    return rc.Payout("stripe", "po_1", total, at("2026-03-20"), entries)


# -- DSP-1: a dispute is decided like a refund of the disputed amount ----------------------------


def test_dispute_is_a_credit_memo_and_customer_refund_with_ids_from_the_dispute() -> None:
    """A lost dispute on an invoiced charge is credit memo + customer refund (DSP-1, STC-4)."""
    event = dispute("dp_1", "100.00")
    plan = _plan(rc.decide_stripe_refund(event, _world(), SETTINGS))
    memo, refund = plan.actions
    assert isinstance(memo, rc.CreateCreditMemo)
    assert isinstance(refund, rc.CreateCustomerRefund)
    key = rc.SourceKey("stripe", "dp_1")
    assert memo.external_id == rc.external_id(key, rc.Role.CREDIT_MEMO, "PAY-1/INV-1")
    assert refund.external_id == rc.external_id(key, rc.Role.CUSTOMER_REFUND, "PAY-1/INV-1")
    assert refund.memo == "Stripe dispute dp_1"
    assert "DSP-1" in memo.rule_ids
    assert "DSP-1" in refund.rule_ids


def test_dispute_on_an_unapplied_payment_is_a_customer_refund_only() -> None:
    """A dispute of an unapplied charge follows STC-2/STC-8, like a refund (DSP-1)."""
    snap = ledger(payments=[payment("PAY-1", "100.00")])
    plan = _plan(rc.decide_stripe_refund(dispute("dp_1", "40.00"), snap, SETTINGS))
    (refund,) = plan.actions
    assert isinstance(refund, rc.CreateCustomerRefund)
    assert {"STC-2", "DSP-1"} <= set(refund.rule_ids)


def test_dispute_without_withdrawn_funds_waits() -> None:
    """A dispute whose funds are not withdrawn (an inquiry) books nothing yet (DSP-1)."""
    event = dispute("dp_1", "100.00", status=rc.RefundStatus.PENDING)
    outcome = rc.decide_stripe_refund(event, _world(), SETTINGS)
    assert isinstance(outcome, rc.Skipped)
    assert outcome.code is rc.Reason.NOT_SUCCEEDED


# -- DSP-3: a dispute after a refund takes only what is left -------------------------------------


def test_dispute_after_a_refund_is_rejected_above_what_is_left() -> None:
    """30.00 refunded, 100.00 disputed: rejected naming the amounts and the dispute (DSP-3)."""
    snap = _world()
    snap = rc.apply_plan(
        snap, rc.decide_stripe_refund(stripe_refund("re_1", "30.00"), snap, SETTINGS)
    )
    with pytest.raises(rc.OverRefundError) as info:
        rc.decide_stripe_refund(dispute("dp_1", "100.00"), snap, SETTINGS)
    message = str(info.value)
    assert "dispute dp_1" in message
    for amount in ("100.00 USD", "70.00 USD", "30.00 USD"):
        assert amount in message
    within = _plan(rc.decide_stripe_refund(dispute("dp_2", "70.00"), snap, SETTINGS))
    assert rc.sum_money(
        (a.amount for a in within.actions if isinstance(a, rc.CreateCustomerRefund)), "USD"
    ) == M("70.00 USD")


# -- DSP-2: won disputes and dispute fees are deposit lines --------------------------------------


def _disputed() -> rc.LedgerSnapshot:
    snap = _world()
    return rc.apply_plan(snap, rc.decide_stripe_refund(dispute("dp_1", "100.00"), snap, SETTINGS))


def test_won_dispute_and_its_fees_are_other_deposits_lines() -> None:
    """Reinstated funds and dispute fees are Other Deposits lines; the records stay (DSP-2)."""
    snap = _disputed()
    payout = _payout(
        _entry("txn_w", rc.BalanceEntryKind.DISPUTE, "-100.00 USD", "dp_1"),
        _entry(
            "txn_w-fee", rc.BalanceEntryKind.FEE, "-15.00 USD", "dp_1", description="Dispute fee"
        ),
        _entry("txn_r", rc.BalanceEntryKind.DISPUTE_REVERSAL, "100.00 USD", "dp_1"),
        _entry("txn_r-fee", rc.BalanceEntryKind.FEE_REFUND, "15.00 USD", "dp_1"),
    )
    plan = _plan(rc.decide_payout(payout, snap, SETTINGS))
    (deposit,) = plan.actions
    assert isinstance(deposit, rc.CreateDeposit)
    (refund_line,) = deposit.payment_lines
    assert refund_line.kind is rc.DepositRecordKind.CUSTOMER_REFUND
    assert refund_line.amount == M("-100.00 USD")
    assert [(o.account, o.amount) for o in deposit.other_lines] == [
        ("FEES", M("-15.00 USD")),
        ("DISPUTES", M("100.00 USD")),
        ("FEES", M("15.00 USD")),
    ]
    assert {"DSP-1", "DSP-2"} <= set(deposit.rule_ids)
    after = rc.apply_plan(snap, plan)
    assert after.credit_memos == snap.credit_memos  # the dispute's records are never undone
    assert all(cr.amount == M("100.00 USD") for cr in after.customer_refunds)


def test_reinstated_funds_need_a_dispute_account() -> None:
    """Without a dispute account a won dispute's payout is a configuration error (DSP-2)."""
    payout = _payout(_entry("txn_r", rc.BalanceEntryKind.DISPUTE_REVERSAL, "100.00 USD", "dp_1"))
    with pytest.raises(rc.ConfigurationError, match="dispute_account"):
        rc.decide_payout(payout, _disputed(), attrs.evolve(SETTINGS, dispute_account=None))


def test_payout_waits_for_its_dispute_to_sync() -> None:
    """A payout withdrawing a dispute not yet in NetSuite waits for it (DSP-1, STC-12)."""
    payout = _payout(_entry("txn_w", rc.BalanceEntryKind.DISPUTE, "-100.00 USD", "dp_1"))
    outcome = rc.decide_payout(payout, _world(), SETTINGS)
    assert isinstance(outcome, rc.Skipped)
    assert "dispute dp_1" in outcome.message


# -- CCY-1: the deposit in the settlement currency, the records in the charge's -------------------


def _eur_refunded() -> rc.LedgerSnapshot:
    snap = _world("EUR")
    event = stripe_refund("re_1", "50.00", currency="EUR")
    return rc.apply_plan(snap, rc.decide_stripe_refund(event, snap, SETTINGS))


def test_deposit_lines_carry_the_settlement_amount_and_the_processors_rate() -> None:
    """EUR records, a USD payout: lines in USD at the balance transaction's rate (CCY-1)."""
    snap = _eur_refunded()
    assert {cr.amount.currency.code for cr in snap.customer_refunds} == {"EUR"}
    payout = _payout(
        _entry(
            "txn_c",
            rc.BalanceEntryKind.CHARGE,
            "108.41 USD",
            "ch_1",
            exchange_rate=Decimal("1.0841"),
        ),
        _entry(
            "txn_r",
            rc.BalanceEntryKind.REFUND,
            "-54.21 USD",
            "re_1",
            exchange_rate=Decimal("1.0841"),
        ),
    )
    plan = _plan(rc.decide_payout(payout, snap, SETTINGS))
    (deposit,) = plan.actions
    assert isinstance(deposit, rc.CreateDeposit)
    assert [(line.amount, line.exchange_rate) for line in deposit.payment_lines] == [
        (M("108.41 USD"), Decimal("1.0841")),
        (M("-54.21 USD"), Decimal("1.0841")),
    ]
    assert deposit.amount == M("54.20 USD")
    assert "CCY-1" in deposit.rule_ids
    after = rc.apply_plan(snap, plan)
    (held,) = after.deposits
    assert {line.amount.currency.code for line in held.payment_lines} == {"USD"}
    assert [line.exchange_rate for line in held.payment_lines] == [Decimal("1.0841")] * 2


def test_payout_in_another_currency_without_a_rate_is_unsupported_by_name() -> None:
    """No rate for a converted entry: the payout is unsupported, naming the entry (CCY-1)."""
    payout = _payout(_entry("txn_r", rc.BalanceEntryKind.REFUND, "-54.21 USD", "re_1"))
    outcome = rc.decide_payout(payout, _eur_refunded(), SETTINGS)
    assert isinstance(outcome, rc.Unsupported)
    assert outcome.code is rc.Reason.NO_EXCHANGE_RATE
    assert "txn_r" in outcome.message
    assert outcome.rule_ids == ("CCY-1",)


def test_rate_that_does_not_explain_the_amount_is_refused() -> None:
    """A rate that does not turn the record's amount into the entry's is bad input (CCY-1)."""
    payout = _payout(
        _entry(
            "txn_r",
            rc.BalanceEntryKind.REFUND,
            "-60.00 USD",
            "re_1",
            exchange_rate=Decimal("1.0841"),
        )
    )
    with pytest.raises(rc.InvalidInputError, match=r"54\.205"):
        rc.decide_payout(payout, _eur_refunded(), SETTINGS)
