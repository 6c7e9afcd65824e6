"""Property tests for the pure refund core: money (MNY-1..5) and idempotency/purity (IDM-1..3)."""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable
from decimal import Decimal
from fractions import Fraction

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from refund_core import (
    CreateCashRefund,
    CreateCreditMemo,
    CreateCustomerRefund,
    Currency,
    CurrencyMismatchError,
    FloatAmountError,
    InvalidInputError,
    LedgerSnapshot,
    Money,
    OverRefundError,
    Plan,
    PrecisionError,
    Reason,
    RefundApplicationKind,
    RefundEvent,
    RefundSettings,
    RefundStatus,
    Role,
    Skipped,
    SourceKey,
    Unsupported,
    allocate,
    apply_plan,
    decide_incoming_refund,
    decide_stripe_refund,
    external_id,
    sum_money,
    unstructure,
)
from refund_core._outcomes import Outcome
from tests.strategies import (
    BASE_TIME,
    CURRENCY_CODES,
    StorefrontCase,
    StripeCase,
    currencies,
    nsc_settings,
    storefront_cases,
    stripe_cases,
    stripe_settings,
)

Decide = Callable[[RefundEvent, LedgerSnapshot, RefundSettings], Outcome]

# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------


def _apply_all(
    decide: Decide, ledger: LedgerSnapshot, refunds: Iterable[RefundEvent], settings: RefundSettings
) -> tuple[LedgerSnapshot, list[tuple[RefundEvent, Outcome]]]:
    """Decide and apply each refund in turn; every one must produce a plan."""
    outcomes = []
    for event in refunds:
        outcome = decide(event, ledger, settings)
        assert isinstance(outcome, Plan), outcome
        ledger = apply_plan(ledger, outcome)
        outcomes.append((event, outcome))
    return ledger, outcomes


def _refunded_per_payment(ledger: LedgerSnapshot) -> dict[str, Money]:
    totals: dict[str, Money] = {}
    for payment in ledger.payments:
        totals[payment.internal_id] = sum_money(
            (cr.amount for cr in ledger.customer_refunds if cr.payment_id == payment.internal_id),
            payment.amount.currency,
        )
    return totals


def _credited_per_transaction(ledger: LedgerSnapshot) -> dict[str, Money]:
    totals: dict[str, Money] = {}
    for txn in (*ledger.invoices, *ledger.cash_sales):
        totals[txn.internal_id] = sum_money(
            (
                r.amount
                for r in (*ledger.credit_memos, *ledger.cash_refunds)
                if r.created_from == txn.internal_id
            ),
            txn.currency,
        )
    return totals


def _other_currency(code: str) -> st.SearchStrategy[str]:
    return st.sampled_from([c for c in CURRENCY_CODES if c != code])


identifiers = st.text(
    alphabet=string.ascii_letters + string.digits + "_-/.", min_size=1, max_size=10
)


# ----------------------------------------------------------------------------------------------
# MNY-1: exact money
# ----------------------------------------------------------------------------------------------


@given(currencies, st.integers(min_value=-(10**15), max_value=10**15))
def test_minor_units_round_trip(code: str, minor: int) -> None:
    """MNY-1: minor units -> Money -> minor units round-trips for 0/2/3-decimal currencies."""
    m = Money.from_minor_units(minor, code)
    assert m.to_minor_units() == minor
    assert Money.from_minor_units(m.to_minor_units(), code) == m
    assert m.amount.as_tuple().exponent == -Currency(code).exponent


@given(currencies, st.integers(min_value=-(10**15), max_value=10**15))
def test_string_round_trip(code: str, minor: int) -> None:
    """MNY-1: Money.of(str(amount)) and Money.parse(str(money)) give back the same money."""
    m = Money.from_minor_units(minor, code)
    assert Money.of(str(m.amount), code) == m
    assert Money.parse(str(m)) == m


@given(currencies, st.floats(allow_nan=True, allow_infinity=True))
def test_floats_always_raise(code: str, value: float) -> None:
    """MNY-1: a float amount is refused with FloatAmountError, whatever its value."""
    with pytest.raises(FloatAmountError):
        Money.of(value, code)  # type: ignore[arg-type]
    with pytest.raises(FloatAmountError):
        Money(value, Currency(code))  # type: ignore[arg-type]


@given(currencies, st.integers(-(10**12), 10**12), st.integers(1, 9), st.integers(1, 4))
def test_more_decimals_than_exponent_raise(code: str, minor: int, digit: int, extra: int) -> None:
    """MNY-1: an amount with more decimals than the currency's exponent raises PrecisionError."""
    exponent = Currency(code).exponent
    amount = Decimal(minor).scaleb(-exponent) + Decimal(digit).scaleb(-(exponent + extra))
    with pytest.raises(PrecisionError):
        Money.of(amount, code)
    with pytest.raises(PrecisionError):
        Money.of(str(amount), code)


# ----------------------------------------------------------------------------------------------
# MNY-3: conservation
# ----------------------------------------------------------------------------------------------


@given(
    currencies,
    st.integers(0, 10**12),
    st.lists(st.integers(0, 10**6) | st.decimals(0, 1000, places=2), min_size=1, max_size=8),
    st.booleans(),
)
def test_allocate_sums_exactly(code: str, minor: int, weights: list, negative: bool) -> None:
    """MNY-3: allocate sums exactly to the total, each share within one minor unit of its ideal."""
    assume(sum(Fraction(w) for w in weights) > 0)
    total = Money.from_minor_units(-minor if negative else minor, code)
    shares = allocate(total, weights)
    assert len(shares) == len(weights)
    assert sum_money(shares, code) == total
    weight_sum = sum(Fraction(w) for w in weights)
    for share, weight in zip(shares, weights, strict=True):
        ideal = Fraction(total.to_minor_units()) * Fraction(weight) / weight_sum
        assert abs(Fraction(share.to_minor_units()) - ideal) < 1
        if not negative:
            assert not share.is_negative


def _check_conservation(event: RefundEvent, plan: Plan) -> None:
    memos = {a.external_id: a for a in plan.actions if isinstance(a, CreateCreditMemo)}
    for action in plan.actions:
        if isinstance(action, (CreateCreditMemo, CreateCashRefund)):
            lines = sum_money((line.amount for line in action.lines), action.amount.currency)
            assert lines + action.shipping == action.amount
    paired: set[str] = set()
    for action in plan.actions:
        if isinstance(action, CreateCustomerRefund):
            for app in action.applications:
                if app.kind is RefundApplicationKind.CREDIT_MEMO:
                    memo = memos[app.record.external_id]
                    assert memo.amount == action.amount == app.amount  # STC-4 pair
                    paired.add(memo.external_id)
    assert paired == set(memos) or not any(
        isinstance(a, CreateCustomerRefund) for a in plan.actions
    )


@given(stripe_cases())
def test_stripe_plans_conserve_the_refund(case: StripeCase) -> None:
    """MNY-3: Stripe plans' customer refunds add up to the refund; each memo equals its pair."""
    ledger = case.ledger
    for event in case.refunds:
        plan = decide_stripe_refund(event, ledger, case.settings)
        assert isinstance(plan, Plan), plan
        refunds = [a.amount for a in plan.actions if isinstance(a, CreateCustomerRefund)]
        assert sum_money(refunds, event.amount.currency) == event.amount
        _check_conservation(event, plan)
        ledger = apply_plan(ledger, plan)


@given(storefront_cases())
def test_incoming_plans_conserve_the_refund(case: StorefrontCase) -> None:
    """MNY-3: every NSC plan's credit memos and cash refunds add up exactly to the refund."""
    ledger = case.ledger
    for event in case.refunds:
        plan = decide_incoming_refund(event, ledger, case.settings)
        assert isinstance(plan, Plan), plan
        created = [
            a.amount for a in plan.actions if isinstance(a, (CreateCreditMemo, CreateCashRefund))
        ]
        assert sum_money(created, event.amount.currency) == event.amount
        _check_conservation(event, plan)
        ledger = apply_plan(ledger, plan)


# ----------------------------------------------------------------------------------------------
# MNY-2: one currency
# ----------------------------------------------------------------------------------------------


@given(stripe_cases(), st.data())
def test_stripe_refund_in_other_currency_raises(case: StripeCase, data: st.DataObject) -> None:
    """MNY-2: a Stripe refund in another currency than its payment's is refused."""
    event = case.refunds[0]
    other = data.draw(_other_currency(event.amount.currency.code))
    wrong = attrs.evolve(event, amount=Money.from_minor_units(event.amount.to_minor_units(), other))
    with pytest.raises(CurrencyMismatchError):
        decide_stripe_refund(wrong, case.ledger, case.settings)


@given(storefront_cases(), st.data())
def test_incoming_refund_in_other_currency_raises(
    case: StorefrontCase, data: st.DataObject
) -> None:
    """MNY-2: a storefront refund in another currency than its order's is refused."""
    event = case.refunds[0]
    other = data.draw(_other_currency(event.amount.currency.code))
    wrong = attrs.evolve(event, amount=Money.from_minor_units(event.amount.to_minor_units(), other))
    with pytest.raises(CurrencyMismatchError):
        decide_incoming_refund(wrong, case.ledger, case.settings)


@given(currencies, st.integers(-(10**9), 10**9), st.integers(-(10**9), 10**9), st.data())
def test_arithmetic_across_currencies_raises(
    code: str, a: int, b: int, data: st.DataObject
) -> None:
    """MNY-2: adding, subtracting or comparing two currencies raises CurrencyMismatchError."""
    x = Money.from_minor_units(a, code)
    y = Money.from_minor_units(b, data.draw(_other_currency(code)))
    for op in (
        lambda: x + y,
        lambda: x - y,
        lambda: x < y,
        lambda: x <= y,
        lambda: x > y,
        lambda: x >= y,
        lambda: sum_money([x, y], code),
    ):
        with pytest.raises(CurrencyMismatchError):
            op()


# ----------------------------------------------------------------------------------------------
# MNY-4: never over-refund
# ----------------------------------------------------------------------------------------------


@given(stripe_cases())
def test_stripe_partial_refunds_never_over_refund(case: StripeCase) -> None:
    """MNY-4: after partial Stripe refunds nothing exceeds what was paid per payment or invoice."""
    ledger, _ = _apply_all(decide_stripe_refund, case.ledger, case.refunds, case.settings)
    refunded = _refunded_per_payment(ledger)
    for payment in ledger.payments:
        assert refunded[payment.internal_id] <= payment.amount
    credited = _credited_per_transaction(ledger)
    for invoice in ledger.invoices:
        assert credited[invoice.internal_id] <= invoice.total


@given(storefront_cases())
def test_incoming_partial_refunds_never_over_refund(case: StorefrontCase) -> None:
    """MNY-4: after partial storefront refunds no billing transaction is over-credited."""
    ledger, _ = _apply_all(decide_incoming_refund, case.ledger, case.refunds, case.settings)
    credited = _credited_per_transaction(ledger)
    for txn in (*ledger.invoices, *ledger.cash_sales):
        assert credited[txn.internal_id] <= txn.total
    assert sum_money(credited.values(), case.order.currency) <= case.order.total


@given(stripe_cases(), st.integers(1, 10**6), st.data())
def test_stripe_refund_above_what_is_left_raises(
    case: StripeCase, extra: int, data: st.DataObject
) -> None:
    """MNY-4: a Stripe refund above the payment's rest raises OverRefundError naming amounts."""
    ledger, _ = _apply_all(decide_stripe_refund, case.ledger, case.refunds, case.settings)
    payment = data.draw(st.sampled_from(ledger.payments))
    left = payment.amount - _refunded_per_payment(ledger)[payment.internal_id]
    asked = left + Money.from_minor_units(extra, payment.amount.currency)
    event = attrs.evolve(
        case.refunds[0], refund_id="re_over", amount=asked, payment_ref=payment.payment_ref
    )
    with pytest.raises(OverRefundError) as info:
        decide_stripe_refund(event, ledger, case.settings)
    message = str(info.value)
    assert str(asked) in message
    assert str(left) in message
    assert str(payment.amount) in message


@given(storefront_cases(), st.integers(1, 10**6))
def test_incoming_refund_above_what_is_left_raises(case: StorefrontCase, extra: int) -> None:
    """MNY-4: a storefront refund above the order's rest raises OverRefundError naming amounts."""
    ledger, _ = _apply_all(decide_incoming_refund, case.ledger, case.refunds, case.settings)
    left = case.order.total - sum_money(
        _credited_per_transaction(ledger).values(), case.order.currency
    )
    asked = left + Money.from_minor_units(extra, case.order.currency)
    event = attrs.evolve(case.refunds[0], refund_id="rf_over", amount=asked)
    with pytest.raises(OverRefundError) as info:
        decide_incoming_refund(event, ledger, case.settings)
    assert str(asked) in str(info.value)
    assert str(left) in str(info.value)


# ----------------------------------------------------------------------------------------------
# MNY-5: order independence
# ----------------------------------------------------------------------------------------------


@given(stripe_cases(), st.data())
def test_stripe_refund_order_does_not_change_totals(case: StripeCase, data: st.DataObject) -> None:
    """MNY-5: Stripe partial refunds in any order give the same totals per invoice and payment."""
    order = data.draw(st.permutations(case.refunds))
    first, _ = _apply_all(decide_stripe_refund, case.ledger, case.refunds, case.settings)
    second, _ = _apply_all(decide_stripe_refund, case.ledger, order, case.settings)
    assert _refunded_per_payment(first) == _refunded_per_payment(second)
    assert _credited_per_transaction(first) == _credited_per_transaction(second)


@given(storefront_cases(), st.data())
def test_incoming_refund_order_does_not_change_totals(
    case: StorefrontCase, data: st.DataObject
) -> None:
    """MNY-5: storefront partial refunds in any order end with the same totals per transaction."""
    order = data.draw(st.permutations(case.refunds))
    first, _ = _apply_all(decide_incoming_refund, case.ledger, case.refunds, case.settings)
    second, _ = _apply_all(decide_incoming_refund, case.ledger, order, case.settings)
    assert _credited_per_transaction(first) == _credited_per_transaction(second)


# ----------------------------------------------------------------------------------------------
# IDM-1: deterministic external IDs
# ----------------------------------------------------------------------------------------------


def _ids(outcome: Outcome) -> list[str]:
    return [a.external_id for a in outcome.actions] if isinstance(outcome, Plan) else []


@given(stripe_cases(), storefront_cases())
def test_deciding_twice_gives_equal_outcomes(stripe: StripeCase, shop: StorefrontCase) -> None:
    """IDM-1: deciding the same input twice gives equal outcomes with the same external IDs."""
    for decide, case in ((decide_stripe_refund, stripe), (decide_incoming_refund, shop)):
        ledger = case.ledger
        for event in case.refunds:
            a = decide(event, ledger, case.settings)
            b = decide(event, ledger, case.settings)
            assert a == b
            assert _ids(a) == _ids(b)
            ledger = apply_plan(ledger, a)


@given(
    st.tuples(identifiers, identifiers, st.sampled_from(Role), identifiers),
    st.tuples(identifiers, identifiers, st.sampled_from(Role), identifiers),
)
def test_external_ids_differ_when_inputs_differ(a: tuple, b: tuple) -> None:
    """IDM-1: external IDs differ when source, refund ID, role or target differ, else match."""
    id_a = external_id(SourceKey(a[0], a[1]), a[2], a[3])
    id_b = external_id(SourceKey(b[0], b[1]), b[2], b[3])
    assert (id_a == id_b) == (a == b)


@given(
    source=identifiers,
    event_id=identifiers,
    role=st.sampled_from(Role),
    target=identifiers,
    which=st.integers(0, 3),
    other=identifiers,
)
def test_external_id_changes_with_each_component(
    source: str, event_id: str, role: Role, target: str, *, which: int, other: str
) -> None:
    """IDM-1: changing exactly one of source, refund ID, role or target changes the external ID."""
    parts = [source, event_id, role, target]
    changed = list(parts)
    if which == 2:
        changed[2] = next(r for r in Role if r is not role)
    else:
        assume(other != parts[which])
        changed[which] = other
    before = external_id(SourceKey(parts[0], parts[1]), parts[2], parts[3])
    after = external_id(SourceKey(changed[0], changed[1]), changed[2], changed[3])
    assert before != after
    assert before == external_id(SourceKey(source, event_id), role, target)


# ----------------------------------------------------------------------------------------------
# IDM-2: applying a plan, then planning again, plans nothing new
# ----------------------------------------------------------------------------------------------


@given(stripe_cases(), storefront_cases())
def test_replanning_after_apply_plans_nothing(stripe: StripeCase, shop: StorefrontCase) -> None:
    """IDM-2: after apply_plan, deciding the same refund again is Skipped(ALREADY_SYNCED)."""
    for decide, case in ((decide_stripe_refund, stripe), (decide_incoming_refund, shop)):
        ledger = case.ledger
        for event in case.refunds:
            plan = decide(event, ledger, case.settings)
            ledger = apply_plan(ledger, plan)
            again = decide(event, ledger, case.settings)
            assert isinstance(again, Skipped), again
            assert again.code is Reason.ALREADY_SYNCED
            assert apply_plan(ledger, again) == ledger


@given(stripe_cases())
def test_redelivery_after_unapplying_plans_nothing(case: StripeCase) -> None:
    """IDM-2: a synced Stripe refund re-delivered after its payment is unapplied plans nothing."""
    ledger, _ = _apply_all(decide_stripe_refund, case.ledger, case.refunds, case.settings)
    ledger = attrs.evolve(
        ledger, payments=tuple(attrs.evolve(p, applications=()) for p in ledger.payments)
    )
    for event in case.refunds:
        again = decide_stripe_refund(event, ledger, case.settings)
        assert isinstance(again, Skipped), again
        assert again.code is Reason.ALREADY_SYNCED


@given(stripe_cases(), storefront_cases(), st.data())
def test_resuming_a_prefix_plans_exactly_the_rest(
    stripe: StripeCase, shop: StorefrontCase, data: st.DataObject
) -> None:
    """IDM-2: after applying a prefix of a plan, deciding again plans exactly the rest."""
    for decide, case in ((decide_stripe_refund, stripe), (decide_incoming_refund, shop)):
        ledger = case.ledger
        for event in case.refunds:
            plan = decide(event, ledger, case.settings)
            assert isinstance(plan, Plan), plan
            k = data.draw(st.integers(0, len(plan.actions)))
            partial = apply_plan(ledger, attrs.evolve(plan, actions=plan.actions[:k]))
            again = decide(event, partial, case.settings)
            if k == len(plan.actions):
                assert isinstance(again, Skipped)
                assert again.code is Reason.ALREADY_SYNCED
            else:
                assert isinstance(again, Plan), again
                assert again.actions == plan.actions[k:]
                assert _ids(again) == _ids(plan)[k:]
            ledger = apply_plan(partial, again)
            assert apply_plan(ledger, plan) == ledger


# ----------------------------------------------------------------------------------------------
# IDM-3: total and pure
# ----------------------------------------------------------------------------------------------


@st.composite
def _any_stripe_event(draw: st.DrawFn, case: StripeCase) -> RefundEvent:
    currency = case.ledger.payments[0].amount.currency.code
    return RefundEvent(
        source="stripe",
        refund_id=draw(st.sampled_from(("re_1", "re_2", "re_x"))),
        amount=Money.from_minor_units(
            draw(st.integers(1, 10**6)), draw(st.just(currency) | currencies)
        ),
        created_at=BASE_TIME,
        status=draw(st.sampled_from(RefundStatus)),
        payment_ref=draw(st.none() | st.sampled_from(("ch_1", "ch_2", "ch_3", "ch_9"))),
        charge_created_at=draw(st.none() | st.just(BASE_TIME)),
    )


@st.composite
def _any_shop_event(draw: st.DrawFn, case: StorefrontCase) -> RefundEvent:
    currency = case.order.currency.code
    return RefundEvent(
        source="shopify",
        refund_id=draw(st.sampled_from(("rf_1", "rf_2", "rf_x"))),
        amount=Money.from_minor_units(
            draw(st.integers(1, 10**6)), draw(st.just(currency) | currencies)
        ),
        created_at=BASE_TIME,
        status=draw(st.sampled_from(RefundStatus)),
        order_ref=draw(st.none() | st.sampled_from(("ord_1", "ord_9"))),
    )


def _check_total_and_pure(
    decide: Decide, event: RefundEvent, ledger: LedgerSnapshot, settings: RefundSettings
) -> None:
    before = (unstructure(event), unstructure(ledger), unstructure(settings))
    try:
        outcome = decide(event, ledger, settings)
    except InvalidInputError:
        outcome = None
    assert (unstructure(event), unstructure(ledger), unstructure(settings)) == before
    if outcome is None:
        return
    assert isinstance(outcome, (Plan, Skipped, Unsupported))
    if isinstance(outcome, Plan):
        assert outcome.summary.strip()
        assert outcome.actions
        assert all(action.reason.strip() and action.rule_ids for action in outcome.actions)
    else:
        assert outcome.message.strip()
        assert outcome.rule_ids
    for value in (event, ledger, outcome):
        field = attrs.fields(type(value))[0].name
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(value, field, getattr(value, field))


@given(stripe_cases(), st.data())
def test_stripe_decisions_are_total_and_pure(case: StripeCase, data: st.DataObject) -> None:
    """IDM-3: Stripe decisions give an outcome with a reason or InvalidInputError; no mutation."""
    ledger, _ = _apply_all(decide_stripe_refund, case.ledger, case.refunds[:1], case.settings)
    settings = data.draw(stripe_settings | st.just(RefundSettings()))
    for _ in range(3):
        _check_total_and_pure(
            decide_stripe_refund, data.draw(_any_stripe_event(case)), ledger, settings
        )


@given(storefront_cases(), st.data())
def test_incoming_decisions_are_total_and_pure(case: StorefrontCase, data: st.DataObject) -> None:
    """IDM-3: NSC decisions give an outcome with a reason or InvalidInputError; no mutation."""
    ledger, _ = _apply_all(decide_incoming_refund, case.ledger, case.refunds[:1], case.settings)
    settings = data.draw(nsc_settings | st.just(RefundSettings()))
    for _ in range(3):
        _check_total_and_pure(
            decide_incoming_refund, data.draw(_any_shop_event(case)), ledger, settings
        )
