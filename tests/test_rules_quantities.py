"""Units on outgoing refunds: the MNY-4 decision for quantities (RULES.md)."""

import pytest

import refund_core as rc
from refund_adapters.engine import SyncEngine
from refund_core.testing import FakeLedger, FakeStorefront, MemoryJournal
from tests.builders import at, credit_memo, invoice, ledger, order

SHOP = rc.StorefrontCapabilities("shopify", rc.StorefrontKind.CART)
SETTINGS = rc.RefundSettings()


def _world(*memos: rc.CreditMemo) -> rc.LedgerSnapshot:
    lines = [("SKU-A", "60.00", "OL-1", 2), ("SKU-B", "40.00", "OL-2", 1)]
    return ledger(
        sales_orders=[order(lines=lines)],
        invoices=[invoice(lines=lines)],
        credit_memos=list(memos),
    )


def _memo(internal_id: str, quantity: int, amount: str = "30.00") -> rc.CreditMemo:
    return credit_memo(internal_id, "INV-1", amount, lines=[("SKU-A", amount, "OL-1", quantity)])


def test_more_units_than_sold_is_refused_naming_line_and_quantities() -> None:
    """Three units of a line sold twice: refused, naming the line and both quantities (MNY-4)."""
    with pytest.raises(rc.OverQuantityError) as info:
        rc.decide_outgoing_refund("CM-1", _world(_memo("CM-1", 3)), SETTINGS, SHOP)
    message = str(info.value)
    assert "OL-1" in message
    assert "3 unit(s)" in message
    assert "2 sold" in message
    assert info.value.rule_ids == ("MNY-4",)
    assert info.value.error_code == "over_quantity"


def test_units_already_refunded_count_against_the_line() -> None:
    """One of two units refunded before: a record for two more is refused, one left (MNY-4)."""
    world = _world(_memo("CM-0", 1), _memo("CM-1", 2))
    with pytest.raises(rc.OverQuantityError) as info:
        rc.decide_outgoing_refund("CM-1", world, SETTINGS, SHOP)
    assert info.value.remaining == 1
    assert info.value.already_refunded == 1
    assert "only 1 left" in str(info.value)


def test_units_within_what_is_left_are_sent() -> None:
    """A record for the units still unrefunded goes out with its quantities (MNY-4, NSC-7)."""
    outcome = rc.decide_outgoing_refund(
        "CM-1", _world(_memo("CM-0", 1), _memo("CM-1", 1)), SETTINGS, SHOP
    )
    assert isinstance(outcome, rc.Plan)
    refund = outcome.actions[0]
    assert isinstance(refund, rc.IssueStorefrontRefund)
    assert [(line.order_line_ref, line.quantity) for line in refund.lines] == [("OL-1", 1)]


def test_engine_sends_nothing_for_a_record_with_too_many_units() -> None:
    """The engine sets such a record aside and the storefront receives nothing (MNY-4)."""
    fake = FakeLedger(_world(_memo("CM-1", 5)))
    shop = FakeStorefront(SHOP)
    journal = MemoryJournal()
    account = rc.ConnectorAccount("acct", SHOP, [rc.Direction.OUTGOING], SETTINGS)
    summary = SyncEngine(
        account=account,
        policy=rc.Policy.NETSUITE_CONNECTOR,
        ledger=fake,
        storefront=shop,
        journal=journal,
    ).run_outgoing(at("2026-01-01"))
    assert summary.dead_lettered == 1
    assert shop.refunds == ()
    (letter,) = journal.dead_letters()
    assert letter.code == "over_quantity"
    assert "OL-1" in letter.message
