"""Tax on refund records, TAX-1..3 (RULES.md): example tests and the total-equals-refund law."""

from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import refund_core as rc
from refund_adapters.cli import render_text
from tests.builders import (
    M,
    invoice,
    ledger,
    order,
    payment,
    storefront_refund,
    stripe_refund,
    with_tax,
)
from tests.strategies import BASE_TIME

SETTINGS = rc.RefundSettings(partial_refund_item="PARTIAL-ITEM", tax_item="TAX-ITEM")


def _plan(outcome: rc.Outcome) -> rc.Plan:
    assert isinstance(outcome, rc.Plan), outcome
    return outcome


def _memos(plan: rc.Plan) -> list[rc.CreateCreditMemo]:
    return [a for a in plan.actions if isinstance(a, rc.CreateCreditMemo)]


def _stripe_world(inv: rc.Invoice) -> rc.LedgerSnapshot:
    total = str(inv.total.amount)
    return ledger(invoices=[inv], payments=[payment("PAY-1", total, applied={"INV-1": total})])


def _state(line: rc.CreditLine) -> tuple[str, str, str | None, str | None]:
    code = line.tax.code if line.tax is not None else line.tax_code
    tax = str(line.tax.amount) if line.tax is not None else None
    return (line.kind.value, str(line.amount), tax, code)


# -- the one function: what NetSuite computes --------------------------------------------------


@pytest.mark.parametrize(
    ("net", "rate", "rounding", "tax"),
    [
        ("46.19 USD", "8.25", rc.TaxRounding.ROUND_OFF, "3.81 USD"),
        ("10.00 USD", "8.25", rc.TaxRounding.ROUND_OFF, "0.83 USD"),
        ("10.00 USD", "8.25", rc.TaxRounding.ROUND_DOWN, "0.82 USD"),
        ("10.01 USD", "8.25", rc.TaxRounding.ROUND_UP, "0.83 USD"),
        ("999 JPY", "10", rc.TaxRounding.ROUND_OFF, "100 JPY"),
        ("1.005 KWD", "5", rc.TaxRounding.ROUND_OFF, "0.050 KWD"),
    ],
)
def test_line_tax_rounds_per_line_with_the_named_method(
    net: str, rate: str, rounding: rc.TaxRounding, tax: str
) -> None:
    """NetSuite's per-line tax rounds to the minor unit by the account's method (TAX-2)."""
    assert rc.line_tax(M(net), Decimal(rate), rounding) == M(tax)


def test_netsuite_total_counts_computed_tax_not_the_stated_one() -> None:
    """A line stating tax NetSuite would round otherwise totals as NetSuite computes (TAX-2)."""
    stated = rc.CreditLine(
        item="SKU", amount=M("1.02 USD"), tax=rc.LineTax("CA", Decimal("8.25"), M("0.09 USD"))
    )
    assert stated.gross == M("1.11 USD")
    assert rc.netsuite_total([stated], M("0.00 USD")) == M("1.10 USD")


# -- TAX-1: full refunds reproduce the lines with their codes ------------------------------------


def test_full_refund_of_a_taxed_invoice_reproduces_lines_and_codes() -> None:
    """A full Stripe refund credits the original lines with their tax codes (TAX-1, STC-16)."""
    inv = with_tax(invoice(lines=[("WIDGET", "60.00"), ("GADGET", "40.00")]), "CA", "8.25")
    assert inv.total == M("108.25 USD")
    plan = _plan(
        rc.decide_stripe_refund(stripe_refund(amount="108.25"), _stripe_world(inv), SETTINGS)
    )
    (memo,) = _memos(plan)
    assert [_state(line) for line in memo.lines] == [
        ("item", "60.00 USD", "4.95 USD", "CA"),
        ("item", "40.00 USD", "3.30 USD", "CA"),
    ]
    assert rc.netsuite_total(memo.lines, memo.shipping) == memo.amount == M("108.25 USD")
    assert {"TAX-1", "STC-16"} <= set(memo.rule_ids)


def test_full_refund_with_overridden_tax_uses_an_explicit_tax_line() -> None:
    """Tax held as NetSuite would not compute it is credited on an explicit tax line (TAX-1)."""
    inv = invoice(lines=[("SKU", "10.00")])
    line = attrs.evolve(inv.lines[0], tax=rc.LineTax("CA", Decimal("8.25"), M("0.82 USD")))
    inv = attrs.evolve(inv, lines=(line,))
    plan = _plan(
        rc.decide_stripe_refund(stripe_refund(amount="10.82"), _stripe_world(inv), SETTINGS)
    )
    (memo,) = _memos(plan)
    assert [_state(credit) for credit in memo.lines] == [
        ("item", "10.00 USD", None, None),
        ("tax", "0.82 USD", None, "CA"),
    ]
    assert memo.lines[1].origin_line_id == line.line_id
    assert rc.netsuite_total(memo.lines, memo.shipping) == M("10.82 USD")


# -- TAX-2: partial refunds split net and tax in proportion ------------------------------------


def test_partial_refund_of_a_taxed_single_line_splits_net_and_tax() -> None:
    """50.00 of 100.00 + 8.25 tax is 46.19 net + 3.81 tax on a taxable line (TAX-2, STC-14)."""
    inv = with_tax(invoice(lines=[("SKU", "100.00")]), "CA", "8.25")
    plan = _plan(
        rc.decide_stripe_refund(stripe_refund(amount="50.00"), _stripe_world(inv), SETTINGS)
    )
    (memo,) = _memos(plan)
    assert [_state(line) for line in memo.lines] == [("item", "46.19 USD", "3.81 USD", "CA")]
    assert rc.netsuite_total(memo.lines, memo.shipping) == M("50.00 USD")
    assert {"TAX-2", "TAX-3", "STC-14"} <= set(memo.rule_ids)


def test_unreachable_partial_refund_uses_a_non_taxable_line_and_a_tax_line() -> None:
    """Where NetSuite's rounding cannot reach the split, net and tax go on two lines (TAX-2)."""
    inv = with_tax(invoice(lines=[("SKU", "10.00")]), "CA", "8.25")
    plan = _plan(
        rc.decide_stripe_refund(stripe_refund(amount="1.11"), _stripe_world(inv), SETTINGS)
    )
    (memo,) = _memos(plan)
    # 1.11 of 10.00 + 0.83 is 1.02 + 0.09, but NetSuite taxes 1.02 at 8.25 % as 0.08.
    assert [_state(line) for line in memo.lines] == [
        ("item", "1.02 USD", None, None),
        ("tax", "0.09 USD", None, "CA"),
    ]
    assert rc.netsuite_total(memo.lines, memo.shipping) == M("1.11 USD")
    assert "TAX-2" in memo.rule_ids
    assert "explicit tax line" in memo.reason
    assert "0.08 USD" in memo.reason


def test_unreachable_split_without_a_tax_item_is_unsupported() -> None:
    """No tax item configured: the refund is unsupported, naming the setting (TAX-2)."""
    inv = with_tax(invoice(lines=[("SKU", "10.00")]), "CA", "8.25")
    no_item = attrs.evolve(SETTINGS, tax_item=None)
    outcome = rc.decide_stripe_refund(stripe_refund(amount="1.11"), _stripe_world(inv), no_item)
    assert isinstance(outcome, rc.Unsupported)
    assert outcome.code is rc.Reason.NEEDS_TAX_ITEM
    assert "tax_item" in outcome.message
    assert "TAX-2" in outcome.rule_ids


def test_partial_refund_of_a_multi_rate_invoice_has_a_line_per_tax_code() -> None:
    """A multi-line partial refund carries one partial-item line per tax code (TAX-2, STC-15)."""
    inv = invoice(lines=[("A", "100.00"), ("B", "50.00")], shipping="10.00")
    inv = with_tax(inv, "STD", "10", line_ids=["INV-1-L1"])
    inv = with_tax(inv, "ZERO", "0", line_ids=["INV-1-L2"])
    assert inv.total == M("170.00 USD")
    plan = _plan(
        rc.decide_stripe_refund(stripe_refund(amount="34.00"), _stripe_world(inv), SETTINGS)
    )
    (memo,) = _memos(plan)
    assert [(line.item, *_state(line)) for line in memo.lines] == [
        ("PARTIAL-ITEM", "item", "20.00 USD", "2.00 USD", "STD"),
        ("PARTIAL-ITEM", "item", "10.00 USD", "0.00 USD", "ZERO"),
        ("PARTIAL-ITEM", "item", "2.00 USD", None, None),
    ]
    assert rc.netsuite_total(memo.lines, memo.shipping) == M("34.00 USD")


def test_storefront_line_with_its_tax_is_credited_with_the_code() -> None:
    """A storefront refund line naming its tax is credited as net + tax with the code (TAX-2)."""
    so = with_tax(order(lines=[("WIDGET", "60.00", "OL-1", 2)]), "CA", "8.25")
    inv = with_tax(invoice(lines=[("WIDGET", "60.00", "OL-1", 2)]), "CA", "8.25")
    event = attrs.evolve(
        storefront_refund(amount="32.48"),
        lines=(rc.RefundLine("OL-1", Decimal(1), M("32.48 USD"), tax=M("2.48 USD")),),
    )
    plan = _plan(
        rc.decide_incoming_refund(event, ledger(sales_orders=[so], invoices=[inv]), SETTINGS)
    )
    (memo,) = _memos(plan)
    assert [_state(line) for line in memo.lines] == [("item", "30.00 USD", "2.48 USD", "CA")]
    assert memo.lines[0].quantity == Decimal(1)
    assert rc.netsuite_total(memo.lines, memo.shipping) == M("32.48 USD")


def test_line_left_after_a_taxed_partial_counts_its_tax() -> None:
    """What a taxed line has left counts the tax its credits took, explicit lines too (TAX-2)."""
    so = with_tax(order(lines=[("SKU", "10.00", "OL-1")]), "CA", "8.25")
    inv = with_tax(invoice(lines=[("SKU", "10.00", "OL-1")]), "CA", "8.25")
    snap = ledger(sales_orders=[so], invoices=[inv])
    first = storefront_refund("sr_1", "1.11", lines=[("OL-1", None, "1.11")])
    snap = rc.apply_plan(snap, rc.decide_incoming_refund(first, snap, SETTINGS))
    left, _ = rc.LedgerView(snap).line_refundable(inv, inv.lines[0])
    assert left == M("9.72 USD")
    rest = storefront_refund("sr_2", "9.72", lines=[("OL-1", None, "9.72")])
    plan = _plan(rc.decide_incoming_refund(rest, snap, SETTINGS))
    with pytest.raises(rc.OverRefundError):
        rc.decide_incoming_refund(
            storefront_refund("sr_3", "9.73", lines=[("OL-1", None, "9.73")]), snap, SETTINGS
        )
    assert sum((m.amount.amount for m in _memos(plan)), Decimal(0)) == Decimal("9.72")


# -- TAX-3: the plan states net, tax and code of every line ----------------------------------


def test_plan_states_net_tax_and_code_of_every_line() -> None:
    """Every line of a taxed credit states its net, its tax and its tax code (TAX-3)."""
    inv = with_tax(invoice(lines=[("SKU", "10.00")]), "CA", "8.25")
    plan = _plan(
        rc.decide_stripe_refund(stripe_refund(amount="1.11"), _stripe_world(inv), SETTINGS)
    )
    lines = _memos(plan)[0].lines
    tax_lines = {line.origin_line_id: line for line in lines if line.kind is rc.CreditLineKind.TAX}
    for line in lines:
        if line.kind is rc.CreditLineKind.TAX:
            assert line.tax_code == "CA"
        elif line.tax is None:  # a non-taxable net: its tax is stated on its tax line
            assert tax_lines[line.origin_line_id].tax_code == "CA"
    taxable = _plan(
        rc.decide_stripe_refund(stripe_refund(amount="5.00"), _stripe_world(inv), SETTINGS)
    )
    text = render_text([plan, taxable])
    assert "tax line: TAX-ITEM  0.09 USD of tax code CA" in text
    assert "net 4.62 USD + tax 0.38 USD (CA 8.25 %)" in text
    assert "TAX-3" in taxable.rule_ids


def test_untaxed_plans_carry_no_tax() -> None:
    """Without tax on the billing, credits carry no tax and no tax rule (TAX-3)."""
    plan = _plan(
        rc.decide_stripe_refund(
            stripe_refund(amount="50.00"),
            _stripe_world(invoice(lines=[("SKU", "100.00")])),
            SETTINGS,
        )
    )
    (memo,) = _memos(plan)
    assert all(line.tax is None and line.kind is rc.CreditLineKind.ITEM for line in memo.lines)
    assert not {"TAX-1", "TAX-2", "TAX-3"} & set(plan.rule_ids)


# -- the law: every record totals, as NetSuite computes it, what it refunds ---------------------

_RATES = st.decimals(min_value=0, max_value=30, places=3, allow_nan=False, allow_infinity=False)


@st.composite
def _taxed_invoices(draw: st.DrawFn, currency: str, rounding: rc.TaxRounding) -> rc.Invoice:
    lines = []
    for index in range(draw(st.integers(1, 4))):
        minor = draw(st.integers(1, 200_000))
        net = rc.Money.from_minor_units(minor, currency)
        tax = None
        if draw(st.booleans()):
            rate = draw(_RATES)
            held = rc.line_tax(net, rate, rounding)
            if draw(st.integers(0, 4)) == 0:  # a hand-edited tax amount, one unit off
                held = held + rc.Money.from_minor_units(1, currency)
            tax = rc.LineTax(draw(st.sampled_from(("CA", "NY", "VAT"))), rate, held)
        lines.append(
            rc.TransactionLine(
                line_id=f"L{index}",
                item=f"SKU-{index}",
                quantity=None,
                amount=net,
                order_line_ref=f"OL-{index}",
                tax=tax,
            )
        )
    shipping = rc.Money.from_minor_units(draw(st.integers(0, 3_000)), currency)
    return rc.Invoice("INV-1", "C-1", BASE_TIME, lines, order_id="SO-1", shipping=shipping)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_every_record_totals_what_it_refunds(data: st.DataObject) -> None:
    """Any rates, lines, currencies: NetSuite totals each record at its refund (TAX-1, TAX-2)."""
    currency = data.draw(st.sampled_from(("JPY", "USD", "KWD")))
    rounding = data.draw(st.sampled_from(list(rc.TaxRounding)))
    item = data.draw(st.booleans())
    config = rc.RefundSettings(
        partial_refund_item="PARTIAL-ITEM",
        tax_item="TAX-ITEM",
        tax_rounding=rounding,
        use_refund_item=item,
        refund_item="REFUND-ITEM" if item else None,
    )
    inv = data.draw(_taxed_invoices(currency, rounding))
    total = inv.total
    policy = data.draw(st.sampled_from(list(rc.Policy)))
    if policy is rc.Policy.STRIPE_CONNECTOR:
        pay = rc.CustomerPayment(
            "PAY-1",
            "C-1",
            total,
            BASE_TIME,
            payment_ref="ch_1",
            applications=(rc.PaymentApplication("INV-1", total, BASE_TIME),),
        )
        snap = rc.LedgerSnapshot(invoices=(inv,), payments=(pay,))
    else:
        so = rc.SalesOrder("SO-1", "C-1", "1001", inv.lines, shipping=inv.shipping)
        snap = rc.LedgerSnapshot(sales_orders=(so,), invoices=(inv,))
    left = total.to_minor_units()
    for n in range(data.draw(st.integers(1, 3))):
        if left < 1:
            break
        minor = data.draw(st.integers(1, left) | st.just(left))
        left -= minor
        event = rc.RefundEvent(
            source="stripe" if policy is rc.Policy.STRIPE_CONNECTOR else "shopify",
            refund_id=f"r{n}",
            amount=rc.Money.from_minor_units(minor, currency),
            created_at=BASE_TIME,
            status=rc.RefundStatus.SUCCEEDED,
            payment_ref="ch_1",
            order_ref="1001",
        )
        outcome = rc.decide(event, snap, config, policy)
        plan = _plan(outcome)
        records = [
            a for a in plan.actions if isinstance(a, rc.CreateCreditMemo | rc.CreateCashRefund)
        ]
        for record in records:
            assert rc.netsuite_total(record.lines, record.shipping, rounding) == record.amount
        assert rc.sum_money((r.amount for r in records), currency) == event.amount
        snap = rc.apply_plan(snap, plan)
    credited = rc.sum_money((cm.amount for cm in snap.credit_memos), currency)
    assert credited <= total
