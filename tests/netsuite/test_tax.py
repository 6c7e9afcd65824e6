"""Tax through the NetSuite adapter and its stand-in (TAX-1..3): read, written, per line."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import refund_core as rc
from refund_adapters._decode import UpstreamDataError
from refund_adapters.netsuite import NetSuiteRejectedError, SalesTax
from tests.builders import M, at, cash_sale, invoice, ledger, order, payment, with_tax
from tests.contracts._run import run
from tests.netsuite.factories import Rig, everything, normalized, rig

SETTINGS = rc.RefundSettings(partial_refund_item="PARTIAL", tax_item="TAX-ADJ")
CA = SalesTax("CA", Decimal("8.25"))


def _world() -> rc.LedgerSnapshot:
    inv = with_tax(invoice("INV-1", [("WIDGET", "100.00", "OL-1", 2)]), "CA", "8.25")
    return ledger(
        sales_orders=[with_tax(order(lines=[("WIDGET", "100.00", "OL-1", 2)]), "CA", "8.25")],
        invoices=[inv],
        payments=[payment("PAY-1", "108.25", applied={"INV-1": "108.25"})],
    )


def _rig(snapshot: rc.LedgerSnapshot) -> Rig:
    return rig(snapshot, tax_codes=(CA,), internal_id_for=lambda ext: f"ns-{ext}")


def _write_plan(setup: Rig, plan: rc.Outcome) -> None:
    assert isinstance(plan, rc.Plan), plan
    for action in plan.actions:
        run(setup.ledger.write(action))  # type: ignore[arg-type]


def _credit_bodies(setup: Rig) -> list[dict[str, object]]:
    return [
        json.loads(request.content)
        for request in setup.standin.requests
        if request.method == "POST" and "!transform/creditMemo" in str(request.url)
    ]


def test_a_taxed_invoice_reads_back_with_each_lines_tax() -> None:
    """The adapter reads an invoice's tax line into each line's code, rate and amount (TAX-1)."""
    setup = _rig(_world())
    loaded = run(setup.ledger.load(everything(_world())))
    (inv,) = loaded.invoices
    assert [line.tax for line in inv.lines] == [rc.LineTax("CA", Decimal("8.25"), M("8.25 USD"))]
    assert inv.total == M("108.25 USD")
    assert normalized(loaded) == normalized(_world())


def test_tax_that_cannot_be_attributed_to_lines_is_refused_by_name() -> None:
    """An invoice taxed on only some lines cannot be read line by line: a typed error (TAX-1)."""
    lines = [("WIDGET", "100.00", "OL-1"), ("BOOK", "50.00", "OL-2")]
    inv = with_tax(invoice("INV-1", lines), "CA", "8.25", line_ids=["INV-1-L1"])
    setup = _rig(ledger(invoices=[inv]))
    with pytest.raises(UpstreamDataError) as caught:
        run(setup.ledger.load(rc.LedgerQuery(record_ids=frozenset({"INV-1"}))))
    assert "transaction INV-1" in str(caught.value)
    assert "8.25 USD of CA" in str(caught.value)


def test_a_tax_code_missing_from_the_configuration_is_named() -> None:
    """A tax code the ledger has no rate for is a typed data error naming it (TAX-1)."""
    setup = _rig(_world())
    setup.ledger.tax_codes.clear()
    with pytest.raises(UpstreamDataError, match="tax code CA is not among the configured"):
        run(setup.ledger.load(everything(_world())))


def test_a_taxed_partial_refund_is_written_with_its_tax_code_and_netsuite_agrees() -> None:
    """Lines carry taxCode; NetSuite's per-line tax totals the refund (TAX-2, TAX-3)."""
    setup = _rig(_world())
    refund = rc.RefundEvent(
        "stripe", "re_1", M("50.00 USD"), at("2026-03-10"), "succeeded", payment_ref="ch_1"
    )
    loaded = run(setup.ledger.load(everything(_world())))
    plan = rc.decide_stripe_refund(refund, loaded, SETTINGS)
    _write_plan(setup, plan)
    (body,) = _credit_bodies(setup)
    (line,) = body["item"]["items"]  # type: ignore[index]
    assert line["taxCode"] == {"id": "CA"}
    assert line["isTaxable"] is True
    assert line["amount"] == 46.19
    held = setup.standin.snapshot()
    assert normalized(held) == normalized(
        rc.apply_plan(_world(), plan, internal_id_for=lambda e: f"ns-{e}")
    )
    (memo,) = held.credit_memos
    assert memo.amount == M("50.00 USD")
    assert memo.lines[0].tax == rc.LineTax("CA", Decimal("8.25"), M("3.81 USD"))


def test_an_explicit_tax_line_is_written_non_taxable_and_read_back() -> None:
    """Net non-taxable, tax on the tax item's line: written, held and read back (TAX-2)."""
    setup = _rig(_world())
    refund = rc.RefundEvent(
        "stripe", "re_2", M("1.12 USD"), at("2026-03-10"), "succeeded", payment_ref="ch_1"
    )
    plan = rc.decide_stripe_refund(refund, _world(), SETTINGS)
    _write_plan(setup, plan)
    (body,) = _credit_bodies(setup)
    items = body["item"]["items"]  # type: ignore[index]
    assert [(i["amount"], i["isTaxable"], i.get("custcol_rs_line_kind")) for i in items] == [
        (1.03, False, None),
        (0.09, False, "tax"),
    ]
    assert all("taxCode" not in i for i in items)
    loaded = run(setup.ledger.load(everything(setup.standin.snapshot())))
    (memo,) = loaded.credit_memos
    assert [(line.kind, line.amount, line.tax_code) for line in memo.lines] == [
        (rc.CreditLineKind.ITEM, M("1.03 USD"), None),
        (rc.CreditLineKind.TAX, M("0.09 USD"), "CA"),
    ]
    assert memo.amount == M("1.12 USD")


def test_a_plan_netsuite_would_total_otherwise_fails() -> None:
    """Tax NetSuite rounds otherwise: the memo totals lower, its refund is refused (TAX-2)."""
    setup = _rig(_world())
    wrong = rc.CreditLine(
        "WIDGET",
        M("1.02 USD"),
        origin_line_id="INV-1-L1",
        tax=rc.LineTax("CA", Decimal("8.25"), M("0.09 USD")),  # NetSuite computes 0.08
    )
    memo = rc.CreateCreditMemo(
        external_id="rs-cm-wrong",
        source=rc.SourceKey("stripe", "re_x"),
        rule_ids=("TAX-2",),
        reason="a hand-made plan that ignores NetSuite's rounding",
        customer_id="C-1",
        created_from="INV-1",
        refunded_payment_id="PAY-1",
        lines=(wrong,),
        shipping=M("0.00 USD"),
        amount=M("1.11 USD"),
    )
    run(setup.ledger.write(memo))
    held = setup.standin.snapshot()
    (made,) = held.credit_memos
    assert made.amount == M("1.10 USD")  # what NetSuite computed, not what the plan said
    assert normalized(held) != normalized(rc.apply_action(_world(), memo, lambda e: f"ns-{e}"))
    refund = rc.CreateCustomerRefund(
        external_id="rs-cr-wrong",
        source=rc.SourceKey("stripe", "re_x"),
        rule_ids=("STC-4",),
        reason="pays out the plan's amount",
        customer_id="C-1",
        payment_id="PAY-1",
        applications=(
            rc.PlannedApplication(
                rc.RefundApplicationKind.CREDIT_MEMO,
                rc.RecordRef(external_id="rs-cm-wrong"),
                M("1.11 USD"),
            ),
        ),
        amount=M("1.11 USD"),
    )
    with pytest.raises(NetSuiteRejectedError, match=r"its total is 1\.10"):
        run(setup.ledger.write(refund))


def test_a_taxed_cash_refund_round_trips() -> None:
    """A cash refund of a taxed cash sale carries its tax codes too (TAX-1, NSC-2)."""
    sale = with_tax(cash_sale("CS-1", [("WIDGET", "100.00", "OL-1")]), "CA", "8.25")
    world = ledger(
        sales_orders=[with_tax(order(lines=[("WIDGET", "100.00", "OL-1")]), "CA", "8.25")],
        cash_sales=[sale],
    )
    setup = _rig(world)
    event = rc.RefundEvent(
        "shopify", "sr_1", M("108.25 USD"), at("2026-03-10"), "succeeded", order_ref="1001"
    )
    plan = rc.decide_incoming_refund(event, world, SETTINGS)
    _write_plan(setup, plan)
    assert normalized(setup.standin.snapshot()) == normalized(
        rc.apply_plan(world, plan, internal_id_for=lambda e: f"ns-{e}")
    )


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    net=st.integers(100, 50_000),
    rate=st.decimals(min_value=0, max_value=25, places=2),
    refund=st.integers(1, 100),
)
def test_any_taxed_refund_written_through_rest_ends_as_apply_plan(
    net: int, rate: Decimal, refund: int
) -> None:
    """Any rate and partial amount: NetSuite's record is the plan's, tax included (TAX-2)."""
    amount = rc.Money.from_minor_units(net, "USD")
    tax = rc.line_tax(amount, rate)
    line = rc.TransactionLine("INV-1-L1", "WIDGET", None, amount, tax=rc.LineTax("CA", rate, tax))
    inv = rc.Invoice("INV-1", "C-1", at("2026-03-01"), (line,))
    total = inv.total
    world = ledger(
        invoices=[inv],
        payments=[
            rc.CustomerPayment(
                "PAY-1",
                "C-1",
                total,
                at("2026-03-01"),
                payment_ref="ch_1",
                applications=(rc.PaymentApplication("INV-1", total, at("2026-03-01")),),
            )
        ],
    )
    setup = rig(world, tax_codes=(SalesTax("CA", rate),), internal_id_for=lambda e: f"ns-{e}")
    minor = max(1, total.to_minor_units() * refund // 100)
    event = rc.RefundEvent(
        "stripe",
        "re_p",
        rc.Money.from_minor_units(minor, "USD"),
        at("2026-03-10"),
        "succeeded",
        payment_ref="ch_1",
    )
    plan = rc.decide_stripe_refund(event, world, SETTINGS)
    _write_plan(setup, plan)
    assert normalized(setup.standin.snapshot()) == normalized(
        rc.apply_plan(world, plan, internal_id_for=lambda e: f"ns-{e}")
    )
