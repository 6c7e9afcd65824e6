"""Changed re-deliveries (IDM-4) and what NetSuite holds for a refund ID counting (MNY-4)."""

from __future__ import annotations

import json

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

import refund_core as rc
from refund_adapters.engine import EngineConfig, SyncEngine
from refund_core.testing import FakeLedger, FakeRefundSource, MemoryJournal
from tests.builders import M, at, invoice, ledger, order, payment, storefront_refund, stripe_refund
from tests.strategies import StorefrontCase, StripeCase, storefront_cases, stripe_cases

SETTINGS = rc.RefundSettings(partial_refund_item="PARTIAL-ITEM")
STRIPE = rc.StorefrontCapabilities("stripe", rc.StorefrontKind.MARKETPLACE)
ACCOUNT = rc.ConnectorAccount("acct-1", STRIPE, [rc.Direction.INCOMING], SETTINGS)


def _stripe_world() -> rc.LedgerSnapshot:
    return ledger(
        invoices=[invoice("INV-1", [("SKU-A", "100.00")])],
        payments=[payment("PAY-1", "100.00", applied={"INV-1": "100.00"})],
    )


def _nsc_world() -> rc.LedgerSnapshot:
    return ledger(
        sales_orders=[order(lines=[("SKU-A", "250.00", "OL-1")])],
        invoices=[invoice("INV-1", [("SKU-A", "250.00", "OL-1")])],
    )


def _strip_external_ids(snap: rc.LedgerSnapshot) -> rc.LedgerSnapshot:
    """The same records, as if made by hand or by an earlier connector: no external IDs."""
    return attrs.evolve(
        snap,
        credit_memos=tuple(attrs.evolve(r, external_id=None) for r in snap.credit_memos),
        cash_refunds=tuple(attrs.evolve(r, external_id=None) for r in snap.cash_refunds),
        customer_refunds=tuple(attrs.evolve(r, external_id=None) for r in snap.customer_refunds),
    )


# -- the core: NetSuite holds another version of the refund -------------------------------------


def test_stripe_redelivery_with_another_amount_is_a_conflict_not_a_second_refund() -> None:
    """30.00 held as credit memo + refund, redelivered as 80.00: a conflict (IDM-4)."""
    snap = _stripe_world()
    snap = rc.apply_plan(
        snap, rc.decide_stripe_refund(stripe_refund(amount="30.00"), snap, SETTINGS)
    )
    for held in (snap, _strip_external_ids(snap)):
        outcome = rc.decide_stripe_refund(stripe_refund(amount="80.00"), held, SETTINGS)
        assert isinstance(outcome, rc.Unsupported), outcome
        assert outcome.code is rc.Reason.CONFLICT
        assert {"IDM-4", "MNY-4"} <= set(outcome.rule_ids)
        assert "80.00 USD" in outcome.message
        assert "30.00 USD" in outcome.message


def test_nsc_redelivery_with_another_amount_plans_no_second_credit_memo() -> None:
    """250.00 held on a 250.00 invoice, redelivered as 100.00: a conflict (IDM-4)."""
    snap = _nsc_world()
    event = storefront_refund(amount="250.00")
    snap = rc.apply_plan(snap, rc.decide_incoming_refund(event, snap, SETTINGS))
    for held in (snap, _strip_external_ids(snap)):
        outcome = rc.decide_incoming_refund(
            attrs.evolve(event, amount=M("100.00 USD")), held, SETTINGS
        )
        assert isinstance(outcome, rc.Unsupported), outcome
        assert outcome.code is rc.Reason.CONFLICT
        assert "250.00 USD" in outcome.message


def test_records_without_our_external_ids_count_as_already_synced_when_they_match() -> None:
    """Records found by the refund ID that add up to it mean it is already synced (IDM-2, MNY-4)."""
    snap = _stripe_world()
    snap = rc.apply_plan(
        snap, rc.decide_stripe_refund(stripe_refund(amount="30.00"), snap, SETTINGS)
    )
    outcome = rc.decide_stripe_refund(
        stripe_refund(amount="30.00"), _strip_external_ids(snap), SETTINGS
    )
    assert isinstance(outcome, rc.Skipped)
    assert outcome.code is rc.Reason.ALREADY_SYNCED


def test_interrupted_plan_still_resumes_with_its_own_records() -> None:
    """Records that are this plan's own writes are resumed, not a conflict (IDM-2, IDM-4)."""
    snap, event = _stripe_world(), stripe_refund(amount="60.00")
    full = rc.decide_stripe_refund(event, snap, SETTINGS)
    assert isinstance(full, rc.Plan)
    partial = rc.apply_plan(snap, attrs.evolve(full, actions=full.actions[:1]))
    rest = rc.decide_stripe_refund(event, partial, SETTINGS)
    assert isinstance(rest, rc.Plan)
    assert rest.actions == full.actions[1:]


# -- the law: no plan past what was paid, whoever made the records ------------------------------


def _ceilings_hold(snap: rc.LedgerSnapshot) -> None:
    view = rc.LedgerView(snap)
    for pay in snap.payments:
        assert view.payment_refunded(pay) <= pay.amount, pay.internal_id
    for txn in (*snap.invoices, *snap.cash_sales):
        assert view.credited(txn) <= txn.total, txn.internal_id
    for so in snap.sales_orders:
        assert view.order_refunded(so) <= so.total, so.internal_id


@settings(max_examples=120, deadline=None)
@given(case=stripe_cases(), data=st.data())
def test_no_stripe_plan_goes_past_what_was_paid_whoever_made_the_records(
    case: StripeCase, data: st.DataObject
) -> None:
    """Records with or without our IDs, any redelivery: no payment past paid (MNY-4, IDM-4)."""
    snap = case.ledger
    for refund in case.refunds:
        snap = rc.apply_plan(snap, rc.decide_stripe_refund(refund, snap, case.settings))
    if data.draw(st.booleans()):
        snap = _strip_external_ids(snap)
    _ceilings_hold(snap)
    again = data.draw(st.sampled_from(case.refunds))
    minor = data.draw(st.integers(1, 2 * again.amount.to_minor_units() + 1))
    changed = attrs.evolve(again, amount=rc.Money.from_minor_units(minor, again.amount.currency))
    try:
        outcome = rc.decide_stripe_refund(changed, snap, case.settings)
    except rc.OverRefundError:
        return
    after = rc.apply_plan(snap, outcome)
    _ceilings_hold(after)
    if changed.amount != again.amount and isinstance(outcome, rc.Plan):
        assert not outcome.actions, "a changed delivery must not write beside another version"


@settings(max_examples=120, deadline=None)
@given(case=storefront_cases(), data=st.data())
def test_no_storefront_plan_goes_past_the_order_whoever_made_the_records(
    case: StorefrontCase, data: st.DataObject
) -> None:
    """Records with or without our IDs: no plan passes an order or a bill (MNY-4)."""
    snap = case.ledger
    for refund in case.refunds:
        snap = rc.apply_plan(snap, rc.decide_incoming_refund(refund, snap, case.settings))
    if data.draw(st.booleans()):
        snap = _strip_external_ids(snap)
    again = data.draw(st.sampled_from(case.refunds))
    minor = data.draw(st.integers(1, 2 * again.amount.to_minor_units() + 1))
    changed = attrs.evolve(again, amount=rc.Money.from_minor_units(minor, again.amount.currency))
    try:
        outcome = rc.decide_incoming_refund(changed, snap, case.settings)
    except rc.OverRefundError:
        return
    _ceilings_hold(rc.apply_plan(snap, outcome))


# -- the engine: the journal keeps what was synced -----------------------------------------------


def _engine(fake: FakeLedger, journal: rc.Journal, events: list[rc.SourceEvent]) -> SyncEngine:
    return SyncEngine(
        account=ACCOUNT,
        policy=rc.Policy.STRIPE_CONNECTOR,
        source=FakeRefundSource("stripe", events),
        ledger=fake,
        journal=journal,
        config=EngineConfig(page_size=2),
    )


def test_changed_redelivery_of_a_synced_refund_is_set_aside_naming_both_versions() -> None:
    """A synced refund delivered with another amount is a conflict, nothing written (IDM-4)."""
    fake, journal = FakeLedger(_stripe_world()), MemoryJournal()
    first = stripe_refund(amount="30.00")
    assert _engine(fake, journal, [first]).run(at("2026-01-01")).planned == 1
    before = fake.snapshot
    summary = _engine(fake, journal, [attrs.evolve(first, amount=M("80.00 USD"))]).run(
        at("2026-01-01")
    )
    assert summary.already_synced == 0
    assert summary.dead_lettered == 1
    assert fake.snapshot == before
    (letter,) = journal.dead_letters()
    assert letter.code == "conflict"
    assert "30.00 USD" in letter.message
    assert "80.00 USD" in letter.message
    assert "IDM-4" in letter.message
    assert journal.event_state(first.key) is rc.EventState.DEAD
    changed = rc.converter.structure(json.loads(letter.payload), rc.ScenarioEvent)
    assert changed == attrs.evolve(first, amount=M("80.00 USD"))


def test_identical_redelivery_stays_a_duplicate() -> None:
    """The same version delivered again is a duplicate, not a conflict (IDM-2, IDM-4)."""
    fake, journal = FakeLedger(_stripe_world()), MemoryJournal()
    first = stripe_refund(amount="30.00")
    _engine(fake, journal, [first]).run(at("2026-01-01"))
    summary = _engine(fake, journal, [first]).run(at("2026-01-01"))
    assert summary.duplicates == 1
    assert summary.dead_lettered == 0


def test_changed_tender_split_of_a_synced_refund_is_a_conflict() -> None:
    """Same amount, another tender split: still a conflict for a person (IDM-4)."""
    world = ledger(
        sales_orders=[order(lines=[("SKU-A", "100.00", "OL-1")], gift_card="40.00")],
        invoices=[invoice("INV-1", [("SKU-A", "100.00", "OL-1")])],
    )
    shop = rc.StorefrontCapabilities("amazon", rc.StorefrontKind.MARKETPLACE)
    account = rc.ConnectorAccount("acct-2", shop, [rc.Direction.INCOMING], SETTINGS)
    fake, journal = FakeLedger(world), MemoryJournal()
    first = storefront_refund(amount="50.00", source="amazon")

    def run(event: rc.RefundEvent) -> None:
        SyncEngine(
            account=account,
            policy=rc.Policy.NETSUITE_CONNECTOR,
            source=FakeRefundSource("amazon", [event]),
            ledger=fake,
            journal=journal,
        ).run(at("2026-01-01"))

    run(first)
    before = fake.snapshot
    run(storefront_refund(amount="50.00", source="amazon", gift_card="20.00"))
    assert fake.snapshot == before
    (letter,) = journal.dead_letters()
    assert letter.code == "conflict"
    assert "gift_card 20.00 USD" in letter.message
