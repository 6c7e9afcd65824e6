"""Example tests for the money invariants MNY-1..5 and idempotency rules IDM-1..3 (RULES.md).

Property tests over many inputs live elsewhere; these are the concrete, readable cases.
"""

from decimal import Decimal

import attrs
import pytest

import refund_core as rc
from tests.builders import (
    M,
    invoice,
    ledger,
    order,
    payment,
    storefront_refund,
    stripe_refund,
)

SETTINGS = rc.RefundSettings(partial_refund_item="PARTIAL-ITEM")


def _plan(outcome: rc.Outcome) -> rc.Plan:
    assert isinstance(outcome, rc.Plan), outcome
    return outcome


def _two_invoice_stripe_ledger() -> rc.LedgerSnapshot:
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


def _split_shipment_ledger() -> rc.LedgerSnapshot:
    lines = [("SKU-A", "60.00", "OL-1"), ("SKU-B", "40.00", "OL-2")]
    return ledger(
        sales_orders=[order(lines=lines)],
        invoices=[
            invoice("INV-1", [lines[0]]),
            invoice("INV-2", [lines[1]], created="2026-03-02"),
        ],
    )


# -- MNY-1: exact money ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minor", "code", "text"),
    [
        (1250, "USD", "12.50 USD"),
        (1250, "JPY", "1250 JPY"),
        (12345, "KWD", "12.345 KWD"),
        (5, "BHD", "0.005 BHD"),
    ],
)
def test_minor_units_round_trip_exactly(minor: int, code: str, text: str) -> None:
    """Minor units convert to money and back exactly, 0- and 3-decimal currencies too (MNY-1)."""
    money = rc.Money.from_minor_units(minor, code)
    assert money == M(text)
    assert money.to_minor_units() == minor
    assert str(money) == text


@pytest.mark.parametrize(("code", "exponent"), [("JPY", 0), ("USD", 2), ("KWD", 3), ("BHD", 3)])
def test_currency_exponent_comes_from_iso_4217(code: str, exponent: int) -> None:
    """Each currency carries its ISO 4217 exponent (MNY-1)."""
    assert rc.Currency(code).exponent == exponent


def test_float_amounts_are_refused() -> None:
    """A float amount is refused with FloatAmountError, never rounded (MNY-1)."""
    with pytest.raises(rc.FloatAmountError, match="float"):
        rc.Money.of(12.5, "USD")  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["12.505 USD", "1.5 JPY", "0.0001 KWD"])
def test_more_decimals_than_the_currency_has_is_refused(text: str) -> None:
    """An amount finer than the currency's minor unit raises PrecisionError (MNY-1)."""
    with pytest.raises(rc.PrecisionError):
        M(text)


def test_jpy_refund_is_planned_in_whole_yen() -> None:
    """A zero-decimal JPY refund is planned exactly in whole yen (MNY-1)."""
    snap = ledger(
        sales_orders=[order(lines=[("SKU-A", "1000", "OL-1")], currency="JPY")],
        invoices=[invoice(lines=[("SKU-A", "1000", "OL-1")], currency="JPY")],
        payments=[payment(amount="1000", applied={"INV-1": "1000"}, currency="JPY")],
    )
    plan = _plan(
        rc.decide_stripe_refund(stripe_refund(amount="333", currency="JPY"), snap, SETTINGS)
    )
    memo, refund = plan.actions
    assert isinstance(memo, rc.CreateCreditMemo)
    assert isinstance(refund, rc.CreateCustomerRefund)
    assert memo.amount == refund.amount == M("333 JPY")
    assert memo.amount.amount == Decimal(333)


# -- MNY-2: positive, same currency ----------------------------------------------------------


@pytest.mark.parametrize("amount", ["0.00", "-5.00"])
def test_non_positive_refund_is_rejected(amount: str) -> None:
    """A refund of zero or less raises NonPositiveAmountError (MNY-2)."""
    with pytest.raises(rc.NonPositiveAmountError, match="must be positive"):
        stripe_refund(amount=amount)


def test_stripe_refund_in_another_currency_than_the_payment_is_rejected() -> None:
    """A refund in another currency than its payment raises CurrencyMismatchError (MNY-2)."""
    snap = ledger(payments=[payment("PAY-1", "100.00")])
    with pytest.raises(rc.CurrencyMismatchError, match="PAY-1"):
        rc.decide_stripe_refund(stripe_refund(amount="10.00", currency="EUR"), snap, SETTINGS)


def test_storefront_refund_in_another_currency_than_the_order_is_rejected() -> None:
    """A storefront refund in another currency than its order raises an error (MNY-2)."""
    snap = _split_shipment_ledger()
    with pytest.raises(rc.CurrencyMismatchError, match="SO-1"):
        rc.decide_incoming_refund(storefront_refund(amount="10.00", currency="EUR"), snap, SETTINGS)


def test_money_of_two_currencies_cannot_be_added() -> None:
    """Adding amounts in two currencies raises CurrencyMismatchError (MNY-2)."""
    with pytest.raises(rc.CurrencyMismatchError):
        _ = M("1.00 USD") + M("1.00 EUR")


# -- MNY-3: conservation ----------------------------------------------------------------------


def test_allocate_uses_largest_remainder_and_sums_exactly() -> None:
    """Splitting 100.00 in three gives 33.34 + 33.33 + 33.33 (MNY-3)."""
    shares = rc.allocate(M("100.00 USD"), [1, 1, 1])
    assert shares == (M("33.34 USD"), M("33.33 USD"), M("33.33 USD"))
    assert rc.sum_money(shares, "USD") == M("100.00 USD")


def test_stripe_plan_created_amounts_add_up_to_the_refund() -> None:
    """Credit memos and customer refunds each add up to the refunded amount (MNY-3)."""
    plan = _plan(
        rc.decide_stripe_refund(
            stripe_refund(amount="70.00"), _two_invoice_stripe_ledger(), SETTINGS
        )
    )
    memos = [a.amount for a in plan.actions if isinstance(a, rc.CreateCreditMemo)]
    refunds = [a.amount for a in plan.actions if isinstance(a, rc.CreateCustomerRefund)]
    assert memos == [M("40.00 USD"), M("30.00 USD")]
    assert rc.sum_money(memos, "USD") == rc.sum_money(refunds, "USD") == M("70.00 USD")


def test_line_split_over_two_invoices_by_quantity_sums_exactly() -> None:
    """A line billed over two invoices is split by quantity, summing exactly (MNY-3)."""
    snap = ledger(
        sales_orders=[order(lines=[("SKU-A", "30.00", "OL-1", 3)])],
        invoices=[
            invoice("INV-1", [("SKU-A", "10.00", "OL-1", 1)]),
            invoice("INV-2", [("SKU-A", "20.00", "OL-1", 2)], created="2026-03-02"),
        ],
    )
    event = storefront_refund(amount="10.00", lines=[("OL-1", 3, "10.00")])
    plan = _plan(rc.decide_incoming_refund(event, snap, SETTINGS))
    assert [(a.created_from, a.amount) for a in plan.actions] == [  # type: ignore[union-attr]
        ("INV-1", M("3.33 USD")),
        ("INV-2", M("6.67 USD")),
    ]


# -- MNY-4: never over-refund ----------------------------------------------------------------


def test_over_refund_of_a_payment_names_the_amounts() -> None:
    """A refund above what a payment has left raises OverRefundError naming amounts (MNY-4)."""
    snap = ledger(payments=[payment("PAY-1", "100.00")])
    snap = rc.apply_plan(
        snap, rc.decide_stripe_refund(stripe_refund("re_1", "80.00"), snap, SETTINGS)
    )
    with pytest.raises(rc.OverRefundError) as info:
        rc.decide_stripe_refund(stripe_refund("re_2", "30.00"), snap, SETTINGS)
    message = str(info.value)
    assert "PAY-1" in message
    for amount in ("30.00 USD", "20.00 USD", "100.00 USD", "80.00 USD"):
        assert amount in message
    assert info.value.requested == M("30.00 USD")
    assert info.value.remaining == M("20.00 USD")


def test_over_refund_of_an_order_is_rejected() -> None:
    """A storefront refund above the order total raises OverRefundError (MNY-4)."""
    with pytest.raises(rc.OverRefundError, match=r"120\.00 USD"):
        rc.decide_incoming_refund(
            storefront_refund(amount="120.00"), _split_shipment_ledger(), SETTINGS
        )


# -- MNY-5: order independence -----------------------------------------------------------------


def _credited_per_invoice(events: list[rc.RefundEvent]) -> dict[str, rc.Money]:
    snap = _split_shipment_ledger()
    for event in events:
        snap = rc.apply_plan(snap, rc.decide_incoming_refund(event, snap, SETTINGS))
    totals: dict[str, rc.Money] = {}
    for memo in snap.credit_memos:
        totals[memo.created_from] = totals.get(memo.created_from, M("0.00 USD")) + memo.amount
    return totals


def test_partial_refunds_in_either_order_end_with_the_same_totals() -> None:
    """Two partial refunds synced in either order give the same total per invoice (MNY-5)."""
    first, second = storefront_refund("sr_1", "30.00"), storefront_refund("sr_2", "50.00")
    forward = _credited_per_invoice([first, second])
    backward = _credited_per_invoice([second, first])
    assert forward == backward == {"INV-1": M("60.00 USD"), "INV-2": M("20.00 USD")}


# -- IDM-1: deterministic external IDs -------------------------------------------------------


def test_planning_twice_gives_the_same_external_ids() -> None:
    """Planning the same input twice gives equal plans with equal external IDs (IDM-1)."""
    snap, event = _two_invoice_stripe_ledger(), stripe_refund(amount="100.00")
    one = _plan(rc.decide_stripe_refund(event, snap, SETTINGS))
    two = _plan(rc.decide_stripe_refund(event, snap, SETTINGS))
    assert one == two
    ids = [a.external_id for a in one.actions]
    assert ids == [a.external_id for a in two.actions]
    assert len(set(ids)) == len(ids) == 4


def test_external_id_derives_from_source_role_and_target() -> None:
    """An external ID depends on source, event, role and target, and nothing else (IDM-1)."""
    key = rc.SourceKey("shopify", "sr_1")
    plan = _plan(rc.decide_incoming_refund(storefront_refund(), _split_shipment_ledger(), SETTINGS))
    assert [a.external_id for a in plan.actions] == [
        rc.external_id(key, rc.Role.CREDIT_MEMO, "INV-1"),
        rc.external_id(key, rc.Role.CREDIT_MEMO, "INV-2"),
    ]
    base = rc.external_id(key, rc.Role.CREDIT_MEMO, "INV-1")
    assert base == rc.external_id(rc.SourceKey("shopify", "sr_1"), rc.Role.CREDIT_MEMO, "INV-1")
    assert base != rc.external_id(key, rc.Role.CASH_REFUND, "INV-1")
    assert base != rc.external_id(key, rc.Role.CREDIT_MEMO, "INV-2")
    assert base != rc.external_id(rc.SourceKey("shopify", "sr_2"), rc.Role.CREDIT_MEMO, "INV-1")
    assert base != rc.external_id(rc.SourceKey("amazon", "sr_1"), rc.Role.CREDIT_MEMO, "INV-1")


# -- IDM-2: apply, then plan again: nothing new ---------------------------------------------------


@pytest.mark.parametrize("flow", ["stripe", "storefront"])
def test_applied_plan_planned_again_is_already_synced(flow: str) -> None:
    """After applying a plan, planning the same event again is skipped as synced (IDM-2)."""
    if flow == "stripe":
        snap = _two_invoice_stripe_ledger()
        outcome = rc.decide_stripe_refund(stripe_refund(amount="70.00"), snap, SETTINGS)
        after = rc.apply_plan(snap, outcome)
        again = rc.decide_stripe_refund(stripe_refund(amount="70.00"), after, SETTINGS)
    else:
        snap = _split_shipment_ledger()
        outcome = rc.decide_incoming_refund(storefront_refund(amount="70.00"), snap, SETTINGS)
        after = rc.apply_plan(snap, outcome)
        again = rc.decide_incoming_refund(storefront_refund(amount="70.00"), after, SETTINGS)
    assert isinstance(outcome, rc.Plan)
    assert isinstance(again, rc.Skipped)
    assert again.code is rc.Reason.ALREADY_SYNCED
    assert "IDM-2" in again.rule_ids
    assert rc.apply_plan(after, again) == after


def test_interrupted_plan_replans_exactly_the_remaining_actions() -> None:
    """A plan applied only in part replans just the rest, with identical IDs (IDM-2)."""
    snap, event = _two_invoice_stripe_ledger(), stripe_refund(amount="100.00")
    full = _plan(rc.decide_stripe_refund(event, snap, SETTINGS))
    assert len(full.actions) == 4
    partial = rc.apply_plan(snap, attrs.evolve(full, actions=full.actions[:1]))
    rest = _plan(rc.decide_stripe_refund(event, partial, SETTINGS))
    assert rest.actions == full.actions[1:]
    finished = rc.apply_plan(partial, rest)
    assert finished == rc.apply_plan(snap, full)
    assert isinstance(rc.decide_stripe_refund(event, finished, SETTINGS), rc.Skipped)


def test_interrupted_storefront_plan_replans_the_remaining_record() -> None:
    """An incoming plan interrupted after one record replans the other, same ID (IDM-2)."""
    snap, event = _split_shipment_ledger(), storefront_refund(amount="80.00")
    full = _plan(rc.decide_incoming_refund(event, snap, SETTINGS))
    assert len(full.actions) == 2
    partial = rc.apply_plan(snap, attrs.evolve(full, actions=full.actions[:1]))
    rest = _plan(rc.decide_incoming_refund(event, partial, SETTINGS))
    assert rest.actions == full.actions[1:]


# -- IDM-3: total, with readable reasons ---------------------------------------------------------


@pytest.mark.parametrize("status", [rc.RefundStatus.PENDING, rc.RefundStatus.CANCELED])
def test_refund_not_succeeded_is_skipped_with_a_reason(status: rc.RefundStatus) -> None:
    """A refund that has not succeeded is skipped with a readable reason (IDM-3)."""
    snap = _two_invoice_stripe_ledger()
    outcome = rc.decide_stripe_refund(stripe_refund(status=status), snap, SETTINGS)
    assert isinstance(outcome, rc.Skipped)
    assert outcome.code is rc.Reason.NOT_SUCCEEDED
    assert status.value in outcome.message
    assert outcome.rule_ids == ("IDM-3",)


def test_refund_failed_after_sync_is_unsupported_with_a_reason() -> None:
    """A storefront refund failed after its records were made is reported, not hidden (IDM-3).

    (Under the Stripe Connector policy it is reversed instead: tests/test_rules_refund_failure.py.)
    """
    snap = _split_shipment_ledger()
    snap = rc.apply_plan(snap, rc.decide_incoming_refund(storefront_refund(), snap, SETTINGS))
    failed = storefront_refund(status=rc.RefundStatus.FAILED)
    outcome = rc.decide_incoming_refund(failed, snap, SETTINGS)
    assert isinstance(outcome, rc.Unsupported)
    assert outcome.code is rc.Reason.FAILED_AFTER_SYNC
    assert "reversed" in outcome.message


def test_decisions_leave_their_input_untouched() -> None:
    """Deciding does not change the snapshot it reads (IDM-3)."""
    snap = _two_invoice_stripe_ledger()
    copy = rc.structure(rc.unstructure(snap), rc.LedgerSnapshot)
    rc.decide_stripe_refund(stripe_refund(amount="70.00"), snap, SETTINGS)
    assert snap == copy
