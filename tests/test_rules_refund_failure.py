"""A Stripe refund that fails after it was synced reverses its earlier effect (issue 4, IDM-3).

Product decision (docs/concepts.md, "Refunds that fail after they were synced"): NetSuite REST
has no void for a customer refund, so the reversal is a new customer payment to Undeposited
Funds for what the refund's customer refunds paid out, left unapplied (the customer holds that
credit again; the credit memos stay), its memo carrying Stripe's failure reason as STC-10's memo
does. It is planned once: a repeated failure delivery finds it by external ID (IDM-2). Under the
NetSuite Connector policy the storefront moved the money, so a failed storefront refund stays
unsupported.
"""

from __future__ import annotations

import json
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import refund_core as rc
from refund_adapters.cli import main
from refund_adapters.engine import EngineConfig, SyncEngine
from refund_core.testing import FakeLedger, FakeRefundSource, MemoryJournal
from tests.builders import M, at, invoice, ledger, order, payment, storefront_refund, stripe_refund
from tests.contracts._run import run
from tests.strategies import StripeCase, stripe_cases

SETTINGS = rc.RefundSettings(partial_refund_item="PARTIAL-ITEM")
REASON = "lost_or_stolen_card"


def _two_invoice_ledger() -> rc.LedgerSnapshot:
    lines = [("SKU-A", "60.00", "OL-1"), ("SKU-B", "40.00", "OL-2")]
    return ledger(
        sales_orders=[order(lines=lines)],
        invoices=[
            invoice("INV-1", [lines[0]]),
            invoice("INV-2", [lines[1]], created="2026-03-02"),
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


def _failed(event: rc.RefundEvent, reason: str | None = REASON) -> rc.RefundEvent:
    return attrs.evolve(event, status=rc.RefundStatus.FAILED, failure_reason=reason)


def _plan(outcome: rc.Outcome) -> rc.Plan:
    assert isinstance(outcome, rc.Plan), outcome
    return outcome


def _synced(
    snap: rc.LedgerSnapshot, event: rc.RefundEvent, actions: int | None = None
) -> rc.LedgerSnapshot:
    """The ledger after the refund's plan, or only its first ``actions`` writes."""
    plan = _plan(rc.decide_stripe_refund(event, snap, SETTINGS))
    if actions is not None:
        plan = attrs.evolve(plan, actions=plan.actions[:actions])
    return rc.apply_plan(snap, plan)


def _reversal(outcome: rc.Outcome) -> rc.CreateRefundReversal:
    (action,) = _plan(outcome).actions
    assert isinstance(action, rc.CreateRefundReversal)
    return action


# -- deciding ---------------------------------------------------------------------------------


def test_failed_after_sync_plans_one_reversal_of_the_full_amount() -> None:
    """A synced refund that fails plans one unapplied payment for all it paid out (IDM-3)."""
    event = stripe_refund(amount="100.00")
    snap = _synced(_two_invoice_ledger(), event)
    refund_ids = tuple(sorted(cr.internal_id for cr in snap.customer_refunds))
    outcome = rc.decide_stripe_refund(_failed(event), snap, SETTINGS)
    action = _reversal(outcome)
    assert outcome.flow is rc.Flow.STRIPE_REFUND
    assert action.amount == M("100.00 USD")
    assert action.customer_id == "C-1"
    assert action.account == "undeposited_funds"
    assert action.reversed_refund_ids == refund_ids
    assert action.transaction_date == event.created_at
    assert action.source == event.key
    assert action.external_id == rc.external_id(event.key, rc.Role.REVERSAL, "C-1")


def test_reversal_memo_carries_the_failure_reason_and_rules() -> None:
    """The memo names Stripe's failure reason like STC-10's; rule IDs say why (IDM-3, STC-12)."""
    event = stripe_refund()
    snap = _synced(_two_invoice_ledger(), event)
    action = _reversal(rc.decide_stripe_refund(_failed(event), snap, SETTINGS))
    assert action.memo == f"Refund re_1 failed at stripe: {REASON}"
    assert action.rule_ids == ("IDM-3", "STC-10", "STC-12")
    assert "no void" in action.reason


def test_reversal_without_a_failure_reason_says_so() -> None:
    """A failure Stripe gives no reason for still gets a readable memo (IDM-3)."""
    event = stripe_refund()
    snap = _synced(_two_invoice_ledger(), event)
    action = _reversal(rc.decide_stripe_refund(_failed(event, None), snap, SETTINGS))
    assert action.memo == "Refund re_1 failed at stripe: no reason given"


def test_applied_reversal_is_unapplied_customer_credit_and_keeps_the_credit_memos() -> None:
    """Applying the reversal adds an unapplied undeposited payment; memos stay (IDM-3, STC-12)."""
    event = stripe_refund()
    synced = _synced(_two_invoice_ledger(), event)
    outcome = rc.decide_stripe_refund(_failed(event), synced, SETTINGS)
    after = rc.apply_plan(synced, outcome)
    (reversal,) = rc.LedgerView(after).reversals_for(event.key)
    assert reversal.amount == M("100.00 USD")
    assert reversal.applications == ()
    assert reversal.status is rc.PaymentStatus.UNDEPOSITED
    assert reversal.payment_ref is None
    assert reversal.memo.endswith(REASON)
    assert reversal.external_id == _reversal(outcome).external_id
    assert after.credit_memos == synced.credit_memos
    assert after.customer_refunds == synced.customer_refunds


def test_repeated_failure_delivery_is_already_synced() -> None:
    """A second delivery of the failure finds the reversal by external ID (IDM-2, IDM-3)."""
    event = stripe_refund()
    snap = _synced(_two_invoice_ledger(), event)
    snap = rc.apply_plan(snap, rc.decide_stripe_refund(_failed(event), snap, SETTINGS))
    again = rc.decide_stripe_refund(_failed(event), snap, SETTINGS)
    assert isinstance(again, rc.Skipped)
    assert again.code is rc.Reason.ALREADY_SYNCED
    assert "IDM-2" in again.rule_ids


def test_late_success_delivery_after_the_reversal_creates_nothing() -> None:
    """An out-of-order 'succeeded' delivery after the reversal plans nothing again (IDM-2)."""
    event = stripe_refund()
    snap = _synced(_two_invoice_ledger(), event)
    snap = rc.apply_plan(snap, rc.decide_stripe_refund(_failed(event), snap, SETTINGS))
    late = rc.decide_stripe_refund(event, snap, SETTINGS)
    assert isinstance(late, rc.Skipped)
    assert late.code is rc.Reason.ALREADY_SYNCED


def test_failed_refund_never_synced_is_skipped() -> None:
    """A refund that failed before any record was made is skipped as not succeeded (IDM-3)."""
    outcome = rc.decide_stripe_refund(_failed(stripe_refund()), _two_invoice_ledger(), SETTINGS)
    assert isinstance(outcome, rc.Skipped)
    assert outcome.code is rc.Reason.NOT_SUCCEEDED
    assert outcome.rule_ids == ("IDM-3",)


def test_storefront_refund_failed_after_sync_stays_unsupported() -> None:
    """Under the NetSuite Connector policy the storefront moved the money: unsupported (IDM-3)."""
    lines = [("SKU-A", "60.00", "OL-1"), ("SKU-B", "40.00", "OL-2")]
    snap = ledger(sales_orders=[order(lines=lines)], invoices=[invoice("INV-1", lines)])
    event = storefront_refund()
    policy = rc.Policy.NETSUITE_CONNECTOR
    snap = rc.apply_plan(snap, rc.decide(event, snap, SETTINGS, policy))
    outcome = rc.decide(_failed(event), snap, SETTINGS, policy)
    assert isinstance(outcome, rc.Unsupported)
    assert outcome.code is rc.Reason.FAILED_AFTER_SYNC
    assert outcome.rule_ids == ("IDM-3",)


def test_partly_synced_refund_reverses_only_what_was_paid_out() -> None:
    """An interrupted sync that then fails reverses just its customer refunds' total (IDM-3)."""
    event = stripe_refund(amount="100.00")
    # The most recent application first (STC-9): INV-2's 40.00 pair exists, INV-1's does not.
    snap = _synced(_two_invoice_ledger(), event, actions=2)
    assert [cr.amount for cr in snap.customer_refunds] == [M("40.00 USD")]
    action = _reversal(rc.decide_stripe_refund(_failed(event), snap, SETTINGS))
    assert action.amount == M("40.00 USD")


def test_sync_interrupted_before_any_customer_refund_has_nothing_to_reverse() -> None:
    """A failure after only a credit memo was made reverses nothing: no money went out (IDM-3)."""
    event = stripe_refund(amount="100.00")
    snap = _synced(_two_invoice_ledger(), event, actions=1)
    assert len(snap.credit_memos) == 1
    assert not snap.customer_refunds
    outcome = rc.decide_stripe_refund(_failed(event), snap, SETTINGS)
    assert isinstance(outcome, rc.Skipped)
    assert outcome.code is rc.Reason.NOTHING_TO_REVERSE


def test_failed_direct_refund_of_an_unapplied_payment_is_reversed() -> None:
    """A failed refund applied straight to an unapplied payment (STC-8) is reversed too."""
    snap = ledger(payments=[payment("PAY-9", "80.00", ref="ch_9", customer="C-9")])
    event = stripe_refund("re_9", "30.00", charge="ch_9")
    snap = _synced(snap, event)
    action = _reversal(rc.decide_stripe_refund(_failed(event), snap, SETTINGS))
    assert (action.customer_id, action.amount) == ("C-9", M("30.00 USD"))


def test_failed_refund_in_another_currency_is_refused() -> None:
    """A failure whose currency differs from the synced refund's is an error (MNY-2)."""
    event = stripe_refund()
    snap = _synced(_two_invoice_ledger(), event)
    wrong = _failed(attrs.evolve(event, amount=M("100.00 EUR")))
    with pytest.raises(rc.CurrencyMismatchError):
        rc.decide_stripe_refund(wrong, snap, SETTINGS)


@given(stripe_cases(), st.data())
def test_every_failed_synced_refund_is_reversed_exactly_once(
    case: StripeCase, data: st.DataObject
) -> None:
    """Over many ledgers: each failed synced refund reverses its full amount, once (IDM-2/3)."""
    snap = case.ledger
    for event in case.refunds:
        snap = rc.apply_plan(snap, rc.decide_stripe_refund(event, snap, case.settings))
    failing = data.draw(st.lists(st.sampled_from(case.refunds), min_size=1, unique=True))
    for event in failing:
        outcome = rc.decide_stripe_refund(_failed(event), snap, case.settings)
        assert sum(a.amount.amount for a in _plan(outcome).actions) == event.amount.amount
        snap = rc.apply_plan(snap, outcome)
    view = rc.LedgerView(snap)
    for event in failing:
        (reversal,) = view.reversals_for(event.key)
        assert reversal.amount == event.amount
        again = rc.decide_stripe_refund(_failed(event), snap, case.settings)
        assert isinstance(again, rc.Skipped)
        assert again.code is rc.Reason.ALREADY_SYNCED


# -- documents and CLI ------------------------------------------------------------------------


def test_scenario_with_a_failure_round_trips_and_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A scenario's failure_reason loads from JSON; the plan prints the reversal (IDM-3)."""
    event = stripe_refund()
    scenario = rc.Scenario(
        policy=rc.Policy.STRIPE_CONNECTOR,
        events=(event, _failed(event), _failed(event)),
        settings=SETTINGS,
        ledger=_two_invoice_ledger(),
    )
    text = rc.dumps(scenario)
    assert rc.loads_scenario(text) == scenario
    outcomes = rc.plan_scenario(scenario).outcomes
    assert isinstance(outcomes[2], rc.Skipped)
    assert outcomes[2].code is rc.Reason.ALREADY_SYNCED
    plan_json = rc.unstructure(outcomes[1])
    assert plan_json["actions"][0]["type"] == "create_refund_reversal"
    path = tmp_path / "failed.json"
    path.write_text(text, encoding="utf-8")
    assert main(["plan", str(path)]) == 0
    out = capsys.readouterr().out
    assert "customer payment" in out
    assert f"memo: Refund re_1 failed at stripe: {REASON}" in out


def test_scenario_without_failure_reason_still_loads() -> None:
    """Documents written before failure_reason existed load unchanged (IDM-3)."""
    data = json.loads(rc.dumps(stripe_refund()))
    assert "failure_reason" in data
    del data["failure_reason"]
    assert rc.structure(data, rc.RefundEvent).failure_reason is None


# -- the fake ledger and the engine -----------------------------------------------------------


def test_fake_ledger_writes_the_reversal_once_and_loads_it() -> None:
    """FakeLedger creates the reversal once, finds it by external ID and loads it (IDM-2)."""
    event = stripe_refund()
    fake = FakeLedger(_synced(_two_invoice_ledger(), event))
    action = _reversal(rc.decide_stripe_refund(_failed(event), fake.snapshot, SETTINGS))
    first = run(fake.write(action))
    second = run(fake.write(action))
    assert first.created
    assert not second.created
    assert first.record_id == second.record_id
    assert run(fake.find_by_external_id(action.external_id)) == first.record_id
    loaded = run(fake.load(rc.LedgerQuery(sources=frozenset({event.key}))))
    assert [p.internal_id for p in rc.LedgerView(loaded).reversals_for(event.key)] == [
        first.record_id
    ]


def _engine(fake: FakeLedger, journal: rc.Journal, source: FakeRefundSource) -> SyncEngine:
    stripe = rc.StorefrontCapabilities("stripe", rc.StorefrontKind.MARKETPLACE)
    return SyncEngine(
        account=rc.ConnectorAccount("acct-1", stripe, [rc.Direction.INCOMING], SETTINGS),
        policy=rc.Policy.STRIPE_CONNECTOR,
        source=source,
        ledger=fake,
        journal=journal,
        config=EngineConfig(page_size=2),
    )


def test_engine_reverses_a_refund_that_fails_after_a_successful_run() -> None:
    """Success run, then the failure: one new record; a rerun creates nothing (IDM-2, IDM-3)."""
    event = stripe_refund()
    fake, journal = FakeLedger(_two_invoice_ledger()), MemoryJournal()
    source = FakeRefundSource("stripe", [event])
    assert _engine(fake, journal, source).run(at("2026-01-01")).writes_created == 4
    before = fake.snapshot
    source.add(_failed(attrs.evolve(event, created_at=at("2026-03-12"))))
    summary = _engine(fake, journal, source).run(at("2026-01-01"))
    assert summary.writes_created == 1
    assert summary.dead_lettered == 0
    (new,) = set(fake.snapshot.payments) - set(before.payments)
    assert new.source == event.key
    assert new.amount == M("100.00 USD")
    assert fake.snapshot.customer_refunds == before.customer_refunds
    after = fake.snapshot
    rerun = _engine(fake, journal, source).run(at("2026-01-01"))
    assert rerun.writes_created == 0
    assert fake.snapshot == after
