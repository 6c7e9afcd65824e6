"""The scenario format: accounts (NSC-9, NSC-10), rejected events, application history (STC-6/7)."""

from __future__ import annotations

import json
from pathlib import Path

import attrs
import pytest

import refund_core as rc
from refund_adapters.cli import main
from tests.builders import (
    M,
    at,
    credit_memo,
    invoice,
    ledger,
    order,
    payment,
    storefront_refund,
    stripe_refund,
)

SHOPIFY = rc.StorefrontCapabilities("shopify", rc.StorefrontKind.CART)
AMAZON = rc.StorefrontCapabilities("amazon", rc.StorefrontKind.MARKETPLACE)
SETTINGS = rc.RefundSettings(partial_refund_item="PARTIAL-ITEM")


def _world() -> rc.LedgerSnapshot:
    return ledger(
        sales_orders=[order()],
        invoices=[invoice()],
        credit_memos=[credit_memo("CM-1", "INV-1", "30.00")],
    )


def _scenario(account: rc.ConnectorAccount, *events: rc.ScenarioEvent) -> rc.Scenario:
    return rc.Scenario(
        policy=rc.Policy.NETSUITE_CONNECTOR,
        events=events,
        settings=SETTINGS,
        ledger=_world(),
        account=account,
    )


def _write(tmp_path: Path, scenario: rc.Scenario) -> str:
    path = tmp_path / "scenario.json"
    path.write_text(rc.dumps(scenario, indent=2), encoding="utf-8")
    return str(path)


def test_account_in_a_document_names_the_outgoing_storefront() -> None:
    """An account stated in the scenario is where outgoing refunds go (NSC-7, NSC-10)."""
    account = rc.ConnectorAccount("shop-1", SHOPIFY, [rc.Direction.OUTGOING])
    scenario = rc.loads_scenario(rc.dumps(_scenario(account, rc.OutgoingRefund("CM-1"))))
    assert scenario.account == account
    result = rc.plan_scenario(scenario)
    (plan,) = result.outcomes
    assert isinstance(plan, rc.Plan)
    refund = plan.actions[0]
    assert isinstance(refund, rc.IssueStorefrontRefund)
    assert refund.storefront == "shopify"
    assert result.warnings == ()


def test_account_asking_for_both_directions_is_refused_before_planning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """NSC-9: a document whose account asks for both directions plans nothing and exits 2."""
    account = rc.ConnectorAccount("shop-1", SHOPIFY, [rc.Direction.INCOMING, rc.Direction.OUTGOING])
    scenario = _scenario(account, rc.OutgoingRefund("CM-1"))
    with pytest.raises(rc.ConfigurationError, match="exactly one direction"):
        rc.plan_scenario(scenario)
    assert main(["plan", _write(tmp_path, scenario)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "incoming and outgoing" in err


def test_non_recommended_direction_is_planned_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """NSC-10: a cart synced incoming is planned, and the report warns about it."""
    account = rc.ConnectorAccount("shop-1", SHOPIFY, [rc.Direction.INCOMING])
    scenario = _scenario(account, storefront_refund("sr_1", "20.00"))
    result = rc.plan_scenario(scenario)
    assert isinstance(result.outcomes[0], rc.Plan)
    (warning,) = result.warnings
    assert "recommended" in warning
    assert main(["plan", _write(tmp_path, scenario)]) == 0
    assert "WARNING: shopify is a cart" in capsys.readouterr().out


def test_event_of_the_other_direction_is_not_synced_by_the_account() -> None:
    """NSC-9: an outgoing account does not book storefront refunds; an incoming one sends none."""
    outgoing = rc.ConnectorAccount("shop-1", SHOPIFY, [rc.Direction.OUTGOING])
    (wrong,) = rc.plan_scenario(_scenario(outgoing, storefront_refund("sr_1", "20.00"))).outcomes
    assert isinstance(wrong, rc.Unsupported)
    assert wrong.code is rc.Reason.WRONG_DIRECTION
    assert "NSC-9" in wrong.rule_ids
    incoming = rc.ConnectorAccount("amzn-1", AMAZON, [rc.Direction.INCOMING])
    (wrong,) = rc.plan_scenario(_scenario(incoming, rc.OutgoingRefund("CM-1"))).outcomes
    assert isinstance(wrong, rc.Unsupported)
    assert "not sent to amazon" in wrong.message


def test_every_event_is_reported_even_when_one_is_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rejected event is one outcome among the others; the rest are still decided (MNY-4)."""
    scenario = rc.Scenario(
        policy=rc.Policy.STRIPE_CONNECTOR,
        events=[
            stripe_refund("re_1", "30.00"),
            stripe_refund("re_2", "150.00"),
            stripe_refund("re_3", "20.00", currency="EUR"),
            stripe_refund("re_4", "70.00"),
        ],
        settings=SETTINGS,
        ledger=ledger(invoices=[invoice()], payments=[payment(applied={"INV-1": "100.00"})]),
    )
    outcomes = rc.plan_scenario(scenario).outcomes
    assert [type(o).__name__ for o in outcomes] == ["Plan", "Rejected", "Rejected", "Plan"]
    over, mismatch = outcomes[1], outcomes[2]
    assert isinstance(over, rc.Rejected)
    assert isinstance(mismatch, rc.Rejected)
    assert (over.code, over.rule_ids) == ("over_refund", ("MNY-4",))
    assert mismatch.code == "currency_mismatch"
    path = _write(tmp_path, scenario)
    assert main(["plan", path]) == 2
    out, err = capsys.readouterr()
    for number in range(1, 5):
        assert f"Event {number}:" in out
    assert "REJECTED" in out
    assert "2 of 4 event(s) rejected" in err
    assert main(["plan", path, "--json"]) == 2
    document = json.loads(capsys.readouterr().out)
    assert [o["type"] for o in document["outcomes"]] == ["plan", "rejected", "rejected", "plan"]


def test_application_history_gives_the_current_applications() -> None:
    """A payment's history replays to its applications: re-applied elsewhere (STC-6)."""
    history = (
        rc.ApplicationChange("applied", "INV-1", M("100.00 USD"), at("2026-03-01")),
        rc.ApplicationChange("unapplied", "INV-1", M("100.00 USD"), at("2026-03-05")),
        rc.ApplicationChange("applied", "INV-2", M("100.00 USD"), at("2026-03-06")),
    )
    pay = rc.CustomerPayment(
        "PAY-1", "C-1", M("100.00 USD"), at("2026-03-01"), payment_ref="ch_1", history=history
    )
    assert [(a.invoice_id, a.amount) for a in pay.applications] == [("INV-2", M("100.00 USD"))]
    snap = ledger(invoices=[invoice("INV-1"), invoice("INV-2")], payments=[pay])
    plan = rc.decide_stripe_refund(stripe_refund(amount="100.00"), snap, SETTINGS)
    assert isinstance(plan, rc.Plan)
    memo = plan.actions[0]
    assert isinstance(memo, rc.CreateCreditMemo)
    assert memo.created_from == "INV-2"
    assert "re-applied from INV-1" in memo.reason
    assert "STC-6" in memo.rule_ids


def test_unapplied_history_is_named_when_the_refund_hits_the_payment() -> None:
    """A payment unapplied, then refunded: no credit memo, and the reason says so (STC-7)."""
    history = (
        rc.ApplicationChange("applied", "INV-1", M("100.00 USD"), at("2026-03-01")),
        rc.ApplicationChange("unapplied", "INV-1", M("40.00 USD"), at("2026-03-05")),
    )
    pay = rc.CustomerPayment(
        "PAY-1", "C-1", M("100.00 USD"), at("2026-03-01"), payment_ref="ch_1", history=history
    )
    snap = ledger(invoices=[invoice("INV-1")], payments=[pay])
    plan = rc.decide_stripe_refund(stripe_refund(amount="40.00"), snap, SETTINGS)
    assert isinstance(plan, rc.Plan)
    (refund,) = plan.actions
    assert isinstance(refund, rc.CreateCustomerRefund)
    assert "STC-7" in refund.rule_ids
    assert "unapplied from INV-1 on 2026-03-05" in refund.reason


def test_history_that_contradicts_the_applications_is_refused() -> None:
    """Applications that are not what the history leaves are an invalid record, named (STC-6)."""
    history = (rc.ApplicationChange("applied", "INV-2", M("100.00 USD"), at("2026-03-01")),)
    with pytest.raises(rc.InvalidRecordError, match=r"INV-2 100\.00 USD"):
        attrs.evolve(payment(applied={"INV-1": "100.00"}), history=history)
    with pytest.raises(rc.InvalidRecordError, match="more than was applied"):
        rc.CustomerPayment(
            "PAY-1",
            "C-1",
            M("100.00 USD"),
            at("2026-03-01"),
            history=(rc.ApplicationChange("unapplied", "INV-1", M("1.00 USD"), at("2026-03-01")),),
        )
