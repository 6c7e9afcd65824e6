"""Payout entries for refunds that failed after they were paid out, and movements no line shows.

A refund that fails after it left the processor's balance gives the money back (Stripe's
``refund_failure`` balance transaction). The sync reversed the refund with unapplied customer
payments in Undeposited Funds (IDM-3), so the payout's deposit takes those payments in, as it
takes the refund's customer refunds out (STC-12). A payout holding a movement no deposit line
represents (a dispute, a transfer) is refused whole, naming it: never deposited short.
"""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import refund_core as rc
from tests.builders import M, at, ledger, payment, stripe_refund
from tests.strategies import StripeCase, stripe_cases

SETTINGS = rc.RefundSettings()
START = "2026-01-01"
Kind = rc.BalanceEntryKind


def _plan(outcome: rc.Outcome) -> rc.Plan:
    assert isinstance(outcome, rc.Plan), outcome
    return outcome


def _deposit(plan: rc.Plan) -> rc.CreateDeposit:
    (action,) = plan.actions
    assert isinstance(action, rc.CreateDeposit)
    return action


def _apply(snap: rc.LedgerSnapshot, event: rc.RefundEvent) -> rc.LedgerSnapshot:
    return rc.apply_plan(snap, _plan(rc.decide_stripe_refund(event, snap, SETTINGS)))


def _failed(event: rc.RefundEvent) -> rc.RefundEvent:
    return attrs.evolve(event, status=rc.RefundStatus.FAILED, failure_reason="declined")


def _synced_and_reversed() -> rc.LedgerSnapshot:
    """re_1 (30.00 of ch_1) synced, then failed and reversed."""
    snap = ledger(payments=[payment("PAY-1", "100.00", ref="ch_1")])
    event = stripe_refund("re_1", "30.00", charge="ch_1")
    return _apply(_apply(snap, event), _failed(event))


def _payout(*entries: rc.BalanceEntry, payout_id: str = "po_1") -> rc.Payout:
    total = rc.sum_money((e.amount for e in entries), entries[0].amount.currency)
    return rc.Payout("stripe", payout_id, total, at("2026-03-20"), entries)


def test_a_refund_failure_deposits_the_reversal_payment() -> None:
    """The failure's money back is the reversal payment leaving Undeposited Funds (STC-12)."""
    snap = _synced_and_reversed()
    (reversal,) = [p for p in snap.payments if p.source == rc.SourceKey("stripe", "re_1")]
    (customer_refund,) = snap.customer_refunds
    payout = _payout(
        rc.BalanceEntry("txn_r", Kind.REFUND, M("-30.00 USD"), "re_1"),
        rc.BalanceEntry("txn_rf", Kind.REFUND_FAILURE, M("30.00 USD"), "re_1"),
    )
    plan = _plan(rc.decide_payout(payout, snap, SETTINGS))
    deposit = _deposit(plan)
    assert deposit.payment_lines == (
        rc.PlannedDepositLine(
            rc.DepositRecordKind.CUSTOMER_REFUND,
            rc.RecordRef(internal_id=customer_refund.internal_id),
            M("-30.00 USD"),
        ),
        rc.PlannedDepositLine(
            rc.DepositRecordKind.PAYMENT,
            rc.RecordRef(internal_id=reversal.internal_id),
            M("30.00 USD"),
        ),
    )
    assert deposit.amount == M("0.00 USD")
    assert {"STC-12", "IDM-3"} <= set(deposit.rule_ids)
    after = rc.apply_plan(snap, plan)
    (deposited,) = [p for p in after.payments if p.internal_id == reversal.internal_id]
    assert deposited.status is rc.PaymentStatus.DEPOSITED


def test_a_refund_failure_waits_for_its_reversal() -> None:
    """Until the failed refund's reversal is in NetSuite the payout waits, saying so (STC-12)."""
    snap = _apply(
        ledger(payments=[payment("PAY-1", "100.00", ref="ch_1")]),
        stripe_refund("re_1", "30.00", charge="ch_1"),
    )
    payout = _payout(rc.BalanceEntry("txn_rf", Kind.REFUND_FAILURE, M("30.00 USD"), "re_1"))
    outcome = rc.decide_payout(payout, snap, SETTINGS)
    assert isinstance(outcome, rc.Skipped)
    assert outcome.code is rc.Reason.REFUND_NOT_SYNCED
    assert "reversal of failed refund re_1" in outcome.message


def test_a_refund_failure_that_does_not_match_its_reversal_is_refused() -> None:
    """Money back that differs from what the reversal credited is an error naming both."""
    payout = _payout(rc.BalanceEntry("txn_rf", Kind.REFUND_FAILURE, M("29.00 USD"), "re_1"))
    with pytest.raises(rc.InvalidInputError, match=r"gives back 29\.00 USD.*total 30\.00 USD"):
        rc.decide_payout(payout, _synced_and_reversed(), SETTINGS)


def test_a_refund_failure_is_money_back_never_money_out() -> None:
    """A refund failure entry with a negative amount is refused when built."""
    with pytest.raises(rc.InvalidRecordError, match="gives money back"):
        rc.BalanceEntry("txn_rf", Kind.REFUND_FAILURE, M("-30.00 USD"), "re_1")


def _pre_start_pair() -> rc.Payout:
    old = at("2025-12-01")
    return _payout(
        rc.BalanceEntry("txn_c", Kind.CHARGE, M("100.00 USD"), "ch_2"),
        rc.BalanceEntry("txn_r", Kind.REFUND, M("-30.00 USD"), "re_old", charge_created_at=old),
        rc.BalanceEntry(
            "txn_rf", Kind.REFUND_FAILURE, M("30.00 USD"), "re_old", charge_created_at=old
        ),
    )


def test_the_failure_of_a_pre_start_refund_is_manual_in_skip_mode() -> None:
    """Like its refund, a pre-start refund's failure stays out of the deposit (STC-11)."""
    settings = rc.RefundSettings(record_sync_start=at(START))
    snap = ledger(payments=[payment("PAY-2", "100.00", ref="ch_2")])
    plan = _plan(rc.decide_payout(_pre_start_pair(), snap, settings))
    assert _deposit(plan).amount == M("100.00 USD")
    assert [(m.amount, "failed" in m.message) for m in plan.manual_actions] == [
        (M("-30.00 USD"), False),
        (M("30.00 USD"), True),
    ]


def test_the_failure_of_a_pre_start_refund_is_a_deposit_line_in_deposit_line_mode() -> None:
    """In deposit-line mode the failure is a line on the same income account (STC-11)."""
    settings = rc.RefundSettings(
        record_sync_start=at(START),
        pre_start_mode=rc.PreStartMode.DEPOSIT_LINE,
        pre_start_income_account="4000-INCOME",
    )
    snap = ledger(payments=[payment("PAY-2", "100.00", ref="ch_2")])
    deposit = _deposit(_plan(rc.decide_payout(_pre_start_pair(), snap, settings)))
    assert [(line.amount, line.memo) for line in deposit.other_lines] == [
        (M("-30.00 USD"), "refund re_old before the record sync start date"),
        (M("30.00 USD"), "failure of refund re_old before the record sync start date"),
    ]
    summarized = _deposit(
        _plan(
            rc.decide_payout(
                _pre_start_pair(), snap, attrs.evolve(settings, summarize_before_backfill=True)
            )
        )
    )
    assert summarized.other_lines == ()  # the refund and its failure cancel out
    assert summarized.amount == M("100.00 USD")


def test_a_movement_no_line_represents_leaves_the_payout_unsupported_by_name() -> None:
    """A dispute in a payout makes it unsupported, naming the entry: never a short deposit."""
    payout = _payout(
        rc.BalanceEntry("txn_c", Kind.CHARGE, M("100.00 USD"), "ch_2"),
        rc.BalanceEntry("txn_dp", Kind.OTHER, M("-25.00 USD"), "dp_1", "adjustment: dispute"),
    )
    snap = ledger(payments=[payment("PAY-2", "100.00", ref="ch_2")])
    outcome = rc.decide_payout(payout, snap, SETTINGS)
    assert isinstance(outcome, rc.Unsupported)
    assert outcome.code is rc.Reason.UNSUPPORTED_BALANCE_ENTRY
    assert "txn_dp (adjustment: dispute, -25.00 USD)" in outcome.message


def test_a_refund_that_failed_before_it_synced_cancels_its_failure_in_one_payout() -> None:
    """A never-synced refund and its failure net to zero: the deposit is the charge (STC-12)."""
    payout = _payout(
        rc.BalanceEntry("txn_c", Kind.CHARGE, M("100.00 USD"), "ch_2"),
        rc.BalanceEntry("txn_r", Kind.REFUND, M("-30.00 USD"), "re_never"),
        rc.BalanceEntry("txn_f", Kind.REFUND_FAILURE, M("30.00 USD"), "re_never"),
    )
    snap = ledger(payments=[payment("PAY-2", "100.00", ref="ch_2")])
    deposit = _deposit(_plan(rc.decide_payout(payout, snap, SETTINGS)))
    assert deposit.amount == payout.amount == M("100.00 USD")
    assert [line.record.internal_id for line in deposit.payment_lines] == ["PAY-2"]
    assert deposit.other_lines == ()


def test_a_never_synced_refund_and_its_failure_in_two_payouts_each_wait() -> None:
    """Split over two payouts, neither half cancels: each waits for a person (STC-12)."""
    snap = ledger(payments=[payment("PAY-2", "100.00", ref="ch_2")])
    refund_only = _payout(
        rc.BalanceEntry("txn_c", Kind.CHARGE, M("100.00 USD"), "ch_2"),
        rc.BalanceEntry("txn_r", Kind.REFUND, M("-30.00 USD"), "re_never"),
    )
    failure_only = _payout(
        rc.BalanceEntry("txn_f", Kind.REFUND_FAILURE, M("30.00 USD"), "re_never"), payout_id="po_2"
    )
    for payout in (refund_only, failure_only):
        outcome = rc.decide_payout(payout, snap, SETTINGS)
        assert isinstance(outcome, rc.Skipped)
        assert outcome.code is rc.Reason.REFUND_NOT_SYNCED
        assert "re_never" in outcome.message


# -- laws ---------------------------------------------------------------------------------------


def _failed_and_reversed(
    case: StripeCase, data: st.DataObject
) -> tuple[rc.LedgerSnapshot, list[rc.RefundEvent], list[rc.RefundEvent]]:
    """The case's refunds synced, then a drawn subset failed and reversed."""
    snap = case.ledger
    for event in case.refunds:
        snap = rc.apply_plan(snap, _plan(rc.decide_stripe_refund(event, snap, case.settings)))
    failed = [e for e in case.refunds if data.draw(st.booleans(), label=f"{e.refund_id} fails")]
    for event in failed:
        snap = rc.apply_plan(
            snap, _plan(rc.decide_stripe_refund(_failed(event), snap, case.settings))
        )
    return snap, list(case.refunds), failed


def _payout_of(
    refunds: list[rc.RefundEvent], failed: list[rc.RefundEvent], data: st.DataObject
) -> rc.Payout:
    entries = [
        rc.BalanceEntry(f"txn_{e.refund_id}", Kind.REFUND, -e.amount, e.refund_id) for e in refunds
    ] + [
        rc.BalanceEntry(f"txn_f_{e.refund_id}", Kind.REFUND_FAILURE, e.amount, e.refund_id)
        for e in failed
    ]
    return _payout(*data.draw(st.permutations(entries), label="entry order"))


@given(stripe_cases(), st.data())
def test_deposits_with_refund_failures_conserve_the_payout(
    case: StripeCase, data: st.DataObject
) -> None:
    """Whatever refunds failed, in any entry order, the deposit is exactly the payout (STC-12)."""
    snap, refunds, failed = _failed_and_reversed(case, data)
    payout = _payout_of(refunds, failed, data)
    plan = _plan(rc.decide_payout(payout, snap, case.settings))
    deposit = _deposit(plan)
    assert deposit.amount == payout.amount
    reversals = {p.internal_id: p.amount for p in snap.payments if p.source is not None}
    taken_in = {
        line.record.internal_id: line.amount
        for line in deposit.payment_lines
        if line.kind is rc.DepositRecordKind.PAYMENT
    }
    assert taken_in == reversals  # each reversal once, at its amount
    after = rc.apply_plan(snap, plan)
    assert all(
        p.status is rc.PaymentStatus.DEPOSITED for p in after.payments if p.source is not None
    )


@given(stripe_cases(), st.data())
def test_deciding_a_payout_with_failures_is_pure_and_repeatable(
    case: StripeCase, data: st.DataObject
) -> None:
    """A payout decides the same way twice, and deciding it after its deposit plans nothing."""
    snap, refunds, failed = _failed_and_reversed(case, data)
    payout = _payout_of(refunds, failed, data)
    before = snap
    first = rc.decide_payout(payout, snap, case.settings)
    assert rc.decide_payout(payout, snap, case.settings) == first
    assert snap == before
    again = rc.decide_payout(payout, rc.apply_plan(snap, _plan(first)), case.settings)
    assert isinstance(again, rc.Skipped)
    assert again.code is rc.Reason.ALREADY_SYNCED


@given(stripe_cases(), st.data())
def test_a_missing_reversal_makes_the_payout_wait(case: StripeCase, data: st.DataObject) -> None:
    """Drop any failed refund's reversal from the ledger and the payout waits, naming it."""
    snap, refunds, failed = _failed_and_reversed(case, data)
    if not failed:
        failed = [refunds[0]]
    else:
        gone = rc.SourceKey("stripe", data.draw(st.sampled_from(failed)).refund_id)
        snap = attrs.evolve(snap, payments=tuple(p for p in snap.payments if p.source != gone))
    outcome = rc.decide_payout(_payout_of(refunds, failed, data), snap, case.settings)
    assert isinstance(outcome, rc.Skipped)
    assert outcome.code is rc.Reason.REFUND_NOT_SYNCED
    assert "reversal of failed refund" in outcome.message
