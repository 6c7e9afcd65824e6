"""Gift cards on incoming storefront refunds: the NSC-8 decision for incoming (RULES.md)."""

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

import refund_core as rc
from refund_adapters.engine import SyncEngine
from refund_core.testing import FakeLedger, FakeRefundSource, MemoryJournal
from tests.builders import M, at, invoice, ledger, order, storefront_refund

AMAZON = rc.StorefrontCapabilities(
    "amazon", rc.StorefrontKind.MARKETPLACE, supports_store_credit=True
)
NO_CREDIT = rc.StorefrontCapabilities("amazon", rc.StorefrontKind.MARKETPLACE)
SETTINGS = rc.RefundSettings(partial_refund_item="PARTIAL-ITEM", gift_card_as_store_credit=True)


def _world() -> rc.LedgerSnapshot:
    lines = [("SKU-A", "60.00", "OL-1", 1), ("SKU-B", "30.00", "OL-2", 1)]
    return ledger(
        sales_orders=[order(lines=lines, shipping="10.00", gift_card="40.00")],
        invoices=[invoice(lines=lines, shipping="10.00")],
    )


def _plan(outcome: rc.Outcome) -> rc.Plan:
    assert isinstance(outcome, rc.Plan), outcome
    return outcome


def test_record_covers_only_the_part_refunded_to_the_payment_method() -> None:
    """The credit memo books only the payment-method part; the gift card is no record (NSC-8)."""
    event = storefront_refund(amount="50.00", gift_card="20.00", source="amazon")
    plan = _plan(rc.decide_incoming_refund(event, _world(), SETTINGS, AMAZON))
    (memo,) = plan.actions
    assert isinstance(memo, rc.CreateCreditMemo)
    assert memo.amount == M("30.00 USD")
    assert "NSC-8" in memo.rule_ids
    assert "30.00 USD refunded to the payment method" in memo.reason


def test_gift_card_part_is_reported_as_store_credit_the_storefront_issued() -> None:
    """Store credit on and supported: the gift-card part is a notice naming it (NSC-8)."""
    event = storefront_refund(amount="50.00", gift_card="20.00", source="amazon")
    plan = _plan(rc.decide_incoming_refund(event, _world(), SETTINGS, AMAZON))
    (notice,) = plan.notices
    assert notice.code is rc.Reason.STORE_CREDIT_ISSUED
    assert notice.amount == M("20.00 USD")
    assert plan.manual_actions == ()


def test_gift_card_part_is_a_manual_action_without_store_credit() -> None:
    """Store credit off or unsupported: a manual action naming the amount (NSC-8)."""
    event = storefront_refund(amount="50.00", gift_card="20.00", source="amazon")
    for config, storefront in (
        (SETTINGS, NO_CREDIT),
        (attrs.evolve(SETTINGS, gift_card_as_store_credit=False), AMAZON),
    ):
        plan = _plan(rc.decide_incoming_refund(event, _world(), config, storefront))
        (manual,) = plan.manual_actions
        assert manual.code is rc.Reason.GIFT_CARD
        assert manual.amount == M("20.00 USD")
        assert "20.00 USD" in manual.message
        assert plan.notices == ()


def test_refund_wholly_on_a_gift_card_creates_no_record_and_is_done() -> None:
    """A refund entirely to a gift card plans no write, only its report, and is done (NSC-8)."""
    event = storefront_refund(amount="20.00", gift_card="20.00", source="amazon")
    plan = _plan(rc.decide_incoming_refund(event, _world(), SETTINGS, NO_CREDIT))
    assert plan.actions == ()
    assert [m.amount for m in plan.manual_actions] == [M("20.00 USD")]
    account = rc.ConnectorAccount("acct", NO_CREDIT, [rc.Direction.INCOMING], SETTINGS)
    ledger_port = FakeLedger(_world())
    journal = MemoryJournal()
    summary = SyncEngine(
        account=account,
        policy=rc.Policy.NETSUITE_CONNECTOR,
        ledger=ledger_port,
        journal=journal,
        source=FakeRefundSource("amazon", [event]),
    ).run(at("2026-01-01"))
    assert summary.planned == 1
    assert summary.dead_lettered == 0
    assert summary.manual_actions == 1
    assert ledger_port.snapshot.credit_memos == ()
    assert journal.event_state(event.key) is rc.EventState.DONE


def test_shipping_share_of_the_payment_part_stays_shipping() -> None:
    """The booked part keeps the refund's share of named shipping on the shipping (NSC-8, SHP-1)."""
    event = attrs.evolve(
        storefront_refund(amount="50.00", gift_card="25.00", source="amazon"),
        shipping=M("10.00 USD"),
    )
    plan = _plan(rc.decide_incoming_refund(event, _world(), SETTINGS, AMAZON))
    (memo,) = plan.actions
    assert isinstance(memo, rc.CreateCreditMemo)
    assert memo.shipping == M("5.00 USD")
    assert memo.amount == M("25.00 USD")


@settings(max_examples=80, deadline=None)
@given(
    total=st.integers(1, 10_000),
    gift_share=st.integers(1, 100),
    shipping=st.integers(0, 1_000),
)
def test_booked_part_and_gift_card_add_up_to_the_refund(
    total: int, gift_share: int, shipping: int
) -> None:
    """For any split, records plus the reported gift-card part equal the refund (NSC-8, MNY-3)."""
    amount = rc.Money.from_minor_units(total, "USD")
    gift = rc.Money.from_minor_units(max(1, total * gift_share // 100), "USD")
    ship = rc.Money.from_minor_units(min(shipping, total, 1_000), "USD")
    event = attrs.evolve(
        storefront_refund(amount=str(amount.amount), gift_card=str(gift.amount), source="amazon"),
        shipping=ship if ship.is_positive else None,
    )
    plan = _plan(rc.decide_incoming_refund(event, _world(), SETTINGS, AMAZON))
    booked = rc.sum_money(
        (a.amount for a in plan.actions if isinstance(a, rc.CreateCreditMemo)), "USD"
    )
    reported = rc.sum_money((n.amount for n in plan.notices if n.amount is not None), "USD")
    assert reported == gift
    assert booked + reported == amount
