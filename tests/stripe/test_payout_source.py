"""StripePayoutSource against the stand-in: entries with fees, refunds and failed payments."""

from __future__ import annotations

from datetime import datetime

import attrs
import pytest

import refund_core as rc
from refund_adapters.engine import EngineConfig, SyncEngine
from refund_adapters.stripe import StripePayoutSource, StripeRefundSource
from refund_adapters.stripe._standin import StripeStandIn
from refund_core.testing import FakeLedger, FakeRefundSource, MemoryJournal
from tests.builders import M, at, ledger, payment, payment_failure, stripe_refund
from tests.contracts._run import run
from tests.stripe.factories import client_for
from tests.stripe_contract import assert_all_exchanges_valid


def payouts_since(standin: StripeStandIn, since: datetime, limit: int = 10) -> list[rc.Payout]:
    """Every payout the adapter lists from ``since``."""
    source = StripePayoutSource(client_for(standin))
    listed: list[rc.Payout] = []
    token: str | None = None
    while True:
        page = run(source.list_payouts(since=since, page_token=token, limit=limit))
        listed += page.items
        if page.next_token is None:
            return listed
        token = page.next_token


def card_day(standin: StripeStandIn) -> list[str]:
    """A 100.00 charge with a 3.20 fee and a 40.00 refund of an older charge: their txn IDs."""
    charge = standin.add_charge(
        M("100.00 USD"), charge_id="ch_sale", created=at("2026-06-01"), fee=M("3.20 USD")
    )
    old = standin.add_charge(M("40.00 USD"), charge_id="ch_old", created=at("2025-12-01"))
    refund = standin.add_refund(
        old["id"], M("40.00 USD"), refund_id="re_old", created=at("2026-06-01T10:00")
    )
    return [charge["balance_transaction"], refund["balance_transaction"]]


def test_charge_fee_and_refund_become_entries_that_add_up() -> None:
    """A charge is gross plus a fee line; a refund is negative and carries its charge's date."""
    standin = StripeStandIn()
    txns = card_day(standin)
    standin.add_payout(arrival=at("2026-06-03"), payout_id="po_1", balance_transactions=txns)
    (payout,) = payouts_since(standin, at("2026-06-01"))
    assert payout.amount == M("56.80 USD")
    kinds = [(e.kind, e.amount, e.source_ref) for e in payout.entries]
    assert kinds == [
        (rc.BalanceEntryKind.CHARGE, M("100.00 USD"), "ch_sale"),
        (rc.BalanceEntryKind.FEE, M("-3.20 USD"), "ch_sale"),
        (rc.BalanceEntryKind.REFUND, M("-40.00 USD"), "re_old"),
    ]
    assert payout.entries[1].entry_id == f"{txns[0]}-fee"
    assert payout.entries[1].description == "Stripe processing fees"
    assert payout.entries[2].charge_created_at == at("2025-12-01")
    assert payout.arrival_at == at("2026-06-03")


def test_charge_dates_of_many_refunds_cost_no_request_per_refund() -> None:
    """Refund entries get their charges' dates from one typed listing, not a GET per refund."""
    standin = StripeStandIn()
    txns = []
    for n in range(7):
        standin.add_charge(M("10.00 USD"), charge_id=f"ch_{n}", created=at(f"2025-12-0{n + 1}"))
        refund = standin.add_refund(
            f"ch_{n}", M("10.00 USD"), refund_id=f"re_{n}", created=at("2026-06-01")
        )
        txns.append(refund["balance_transaction"])
    sale = standin.add_charge(M("100.00 USD"), charge_id="ch_sale", created=at("2026-06-01"))
    standin.add_payout(
        arrival=at("2026-06-03"),
        payout_id="po_many",
        balance_transactions=[sale["balance_transaction"], *txns],
    )
    (payout,) = payouts_since(standin, at("2026-06-01"))
    dates = {e.source_ref: e.charge_created_at for e in payout.entries}
    assert dates == {"ch_sale": None, **{f"re_{n}": at(f"2025-12-0{n + 1}") for n in range(7)}}
    asked = [(r.url.path, r.url.params.get("type")) for r in standin.requests]
    assert asked == [
        ("/v1/payouts", None),
        ("/v1/balance_transactions", None),
        ("/v1/balance_transactions", "refund"),
    ]
    assert assert_all_exchanges_valid(standin) == 3


def test_standalone_fees_and_fee_refunds_are_fee_lines() -> None:
    """stripe_fee and application_fee_refund transactions become fee and fee-refund entries."""
    standin = StripeStandIn()
    fee = standin.add_balance_transaction(
        "stripe_fee", M("-15.00 USD"), created=at("2026-06-01"), description="Radar"
    )
    back = standin.add_balance_transaction(
        "application_fee_refund", M("2.00 USD"), source="fr_1", created=at("2026-06-01")
    )
    charge = standin.add_charge(M("50.00 USD"), charge_id="ch_2", created=at("2026-06-01"))
    standin.add_payout(
        arrival=at("2026-06-02"),
        payout_id="po_f",
        balance_transactions=[fee["id"], back["id"], charge["balance_transaction"]],
    )
    (payout,) = payouts_since(standin, at("2026-06-02"))
    by_kind = {e.kind: e for e in payout.entries}
    assert by_kind[rc.BalanceEntryKind.FEE].amount == M("-15.00 USD")
    assert by_kind[rc.BalanceEntryKind.FEE].description == "Radar"
    assert by_kind[rc.BalanceEntryKind.FEE_REFUND].amount == M("2.00 USD")
    assert by_kind[rc.BalanceEntryKind.FEE_REFUND].source_ref == "fr_1"
    assert payout.amount == M("37.00 USD")


def test_deposit_plan_puts_fees_on_other_deposit_lines() -> None:
    """The listed payout, decided by the core, moves the payment and books the fee (STC-12/13)."""
    standin = StripeStandIn()
    charge = standin.add_charge(
        M("100.00 USD"), charge_id="ch_1", created=at("2026-06-01"), fee=M("3.20 USD")
    )
    standin.add_payout(
        arrival=at("2026-06-03"),
        payout_id="po_d",
        balance_transactions=[charge["balance_transaction"]],
    )
    (payout,) = payouts_since(standin, at("2026-06-01"))
    snapshot = ledger(payments=[payment("PAY-1", "100.00", ref="ch_1")])
    outcome = rc.decide_payout(payout, snapshot, rc.RefundSettings(fee_account="6100"))
    assert isinstance(outcome, rc.Plan)
    (deposit,) = outcome.actions
    assert isinstance(deposit, rc.CreateDeposit)
    assert deposit.amount == M("96.80 USD")
    assert [line.amount for line in deposit.other_lines] == [M("-3.20 USD")]


def test_payment_failure_entry_carries_the_failure_id_of_the_refund_source() -> None:
    """A failed ACH payment's reversal in a payout names the same ID as its PaymentFailure."""
    standin = StripeStandIn()
    failure = payment_failure("txn_fail_7", "60.00", charge="ch_ach", failed="2026-06-04")
    standin.seed_events([failure])
    standin.add_payout(
        arrival=at("2026-06-06"), payout_id="po_neg", balance_transactions=["txn_fail_7"]
    )
    (payout,) = payouts_since(standin, at("2026-06-05"))
    (entry,) = payout.entries
    assert entry.kind is rc.BalanceEntryKind.PAYMENT_FAILURE
    assert entry.amount == M("-60.00 USD")
    page = run(
        StripeRefundSource(client_for(standin)).list_events(
            since=at("2026-06-01"), page_token=None, limit=10
        )
    )
    (listed,) = page.items
    assert listed.key == rc.SourceKey("stripe", entry.source_ref)


def test_only_paid_payouts_by_arrival_then_id() -> None:
    """In-transit payouts wait; paid ones list by arrival date, ties by ID, paged stably."""
    standin = StripeStandIn()
    for payout_id, arrival, status in [
        ("po_b", "2026-06-02", "paid"),
        ("po_a", "2026-06-02", "paid"),
        ("po_c", "2026-06-01", "paid"),
        ("po_t", "2026-06-01", "in_transit"),
    ]:
        charge = standin.add_charge(M("10.00 USD"), created=at("2026-05-30"))
        standin.add_payout(
            arrival=at(arrival),
            payout_id=payout_id,
            status=status,
            created=at("2026-05-31"),
            balance_transactions=[charge["balance_transaction"]],
        )
    listed = payouts_since(standin, at("2026-06-01"), limit=1)
    assert [p.payout_id for p in listed] == ["po_c", "po_a", "po_b"]


def test_a_dispute_in_a_payout_is_named_not_dropped() -> None:
    """A movement no deposit line represents is listed by type; the core leaves it unsupported."""
    standin = StripeStandIn()
    odd = standin.add_balance_transaction(
        "adjustment", M("-25.00 USD"), created=at("2026-06-01"), description="Dispute dp_1"
    )
    standin.add_payout(arrival=at("2026-06-02"), payout_id="po_x", balance_transactions=[odd["id"]])
    (payout,) = payouts_since(standin, at("2026-06-01"))
    (entry,) = payout.entries
    assert (entry.kind, entry.amount, entry.description) == (
        rc.BalanceEntryKind.OTHER,
        M("-25.00 USD"),
        "Stripe adjustment: Dispute dp_1",
    )
    outcome = rc.decide_payout(payout, ledger(), rc.RefundSettings())
    assert isinstance(outcome, rc.Unsupported)
    assert outcome.code is rc.Reason.UNSUPPORTED_BALANCE_ENTRY
    assert f"{odd['id']} (Stripe adjustment" in outcome.message


def test_one_unsupported_payout_is_set_aside_and_the_others_sync() -> None:
    """po_1 and po_3 become deposits; po_2, holding a dispute, is dead-lettered with the reason."""
    standin = StripeStandIn()
    for n, day in ((1, "2026-06-02"), (2, "2026-06-03"), (3, "2026-06-04")):
        charge = standin.add_charge(
            M(f"{n}0.00 USD"), charge_id=f"ch_{n}", created=at("2026-06-01")
        )
        txns = [charge["balance_transaction"]]
        if n == 2:
            txns.append(
                standin.add_balance_transaction(
                    "adjustment", M("-4.00 USD"), created=at("2026-06-01"), txn_id="txn_dispute"
                )["id"]
            )
        standin.add_payout(arrival=at(day), payout_id=f"po_{n}", balance_transactions=txns)
    fake = FakeLedger(
        ledger(payments=[payment(f"PAY-{n}", f"{n}0.00", ref=f"ch_{n}") for n in (1, 2, 3)])
    )
    journal = MemoryJournal()
    settings = rc.RefundSettings()
    engine = SyncEngine(
        account=rc.ConnectorAccount(
            "acct-stripe",
            rc.StorefrontCapabilities("stripe", rc.StorefrontKind.MARKETPLACE),
            [rc.Direction.INCOMING],
            settings,
        ),
        policy=rc.Policy.STRIPE_CONNECTOR,
        source=FakeRefundSource("stripe", []),
        payouts=StripePayoutSource(client_for(standin)),
        ledger=fake,
        journal=journal,
        config=EngineConfig(page_size=1),
    )
    summary = engine.run_payouts(at("2026-06-01"))
    assert sorted(d.payout_ref for d in fake.snapshot.deposits) == ["po_1", "po_3"]
    assert (summary.planned, summary.dead_lettered) == (2, 1)
    (letter,) = journal.dead_letters()
    assert letter.key == rc.SourceKey("stripe", "po_2")
    assert "txn_dispute (Stripe adjustment, -4.00 USD)" in letter.message


def test_a_refund_failure_gives_the_refund_back_with_its_charge_date() -> None:
    """refund_failure is money back on the refund (REFUND_FAILURE), with the charge's date."""
    standin = StripeStandIn()
    txns = card_day(standin)
    standin.fail_refund("re_old", "expired_or_canceled_card", at=at("2026-06-02"))
    failure = standin.refunds["re_old"]["failure_balance_transaction"]
    standin.add_payout(
        arrival=at("2026-06-03"), payout_id="po_rf", balance_transactions=[*txns, failure]
    )
    (payout,) = payouts_since(standin, at("2026-06-01"))
    entry = payout.entries[-1]
    assert (entry.entry_id, entry.kind, entry.amount, entry.source_ref) == (
        failure,
        rc.BalanceEntryKind.REFUND_FAILURE,
        M("40.00 USD"),
        "re_old",
    )
    assert entry.charge_created_at == at("2025-12-01")
    assert payout.amount == M("96.80 USD")


def test_a_synced_refund_that_failed_deposits_its_reversal() -> None:
    """Refund and failure in one payout: the deposit takes the customer refund and reversal."""
    standin = StripeStandIn()
    standin.add_charge(M("40.00 USD"), charge_id="ch_old", created=at("2025-12-01"))
    refund = standin.add_refund(
        "ch_old", M("40.00 USD"), refund_id="re_old", created=at("2026-06-01")
    )
    standin.fail_refund("re_old", "declined", at=at("2026-06-02"))
    failure = standin.refunds["re_old"]["failure_balance_transaction"]
    standin.add_payout(
        arrival=at("2026-06-03"),
        payout_id="po_rf",
        balance_transactions=[refund["balance_transaction"], failure],
    )
    (payout,) = payouts_since(standin, at("2026-06-01"))
    settings = rc.RefundSettings()
    event = stripe_refund("re_old", "40.00", charge="ch_old", created="2026-06-01")
    snap = ledger(payments=[payment("PAY-OLD", "40.00", ref="ch_old")])
    for version in (event, attrs.evolve(event, status=rc.RefundStatus.FAILED)):
        outcome = rc.decide_stripe_refund(version, snap, settings)
        assert isinstance(outcome, rc.Plan)
        snap = rc.apply_plan(snap, outcome)
    plan = rc.decide_payout(payout, snap, settings)
    assert isinstance(plan, rc.Plan)
    (deposit,) = plan.actions
    assert isinstance(deposit, rc.CreateDeposit)
    assert sorted((line.kind.value, line.amount) for line in deposit.payment_lines) == [
        ("customer_refund", M("-40.00 USD")),
        ("payment", M("40.00 USD")),
    ]


@pytest.mark.parametrize(
    ("txn_type", "category", "source", "kind"),
    [
        ("refund_failure", "refund_failure", "re_x", rc.BalanceEntryKind.REFUND_FAILURE),
        ("adjustment", "refund_failure", "re_x", rc.BalanceEntryKind.REFUND_FAILURE),
        ("refund_failure", "refund_failure", "ch_x", rc.BalanceEntryKind.OTHER),
        ("adjustment", "other_adjustment", "dp_x", rc.BalanceEntryKind.OTHER),
        ("transfer", "transfer", "tr_x", rc.BalanceEntryKind.OTHER),
    ],
)
def test_refund_failures_are_known_by_type_or_reporting_category(
    txn_type: str, category: str, source: str, kind: rc.BalanceEntryKind
) -> None:
    """A failed refund filed as an adjustment counts too; one not on a refund cannot be matched."""
    standin = StripeStandIn()
    txn = standin.add_balance_transaction(
        txn_type, M("5.00 USD"), source=source, created=at("2026-06-01")
    )
    txn["reporting_category"] = category
    standin.add_payout(arrival=at("2026-06-02"), payout_id="po_k", balance_transactions=[txn["id"]])
    if source.startswith("re_"):
        standin.add_refund(None, M("5.00 USD"), refund_id=source, created=at("2026-05-01"))
    (payout,) = payouts_since(standin, at("2026-06-01"))
    assert [e.kind for e in payout.entries] == [kind]


def test_zero_decimal_payout_is_exact() -> None:
    """A JPY payout keeps whole yen (MNY-1)."""
    standin = StripeStandIn()
    charge = standin.add_charge(
        M("5000 JPY"), charge_id="ch_jp", created=at("2026-06-01"), fee=M("180 JPY")
    )
    standin.add_payout(
        arrival=at("2026-06-02"),
        payout_id="po_jp",
        balance_transactions=[charge["balance_transaction"]],
    )
    (payout,) = payouts_since(standin, at("2026-06-01"))
    assert payout.amount == M("4820 JPY")
    assert [e.amount for e in payout.entries] == [M("5000 JPY"), M("-180 JPY")]


def test_every_payout_exchange_matches_stripes_spec() -> None:
    """The payout listing's requests and answers fit Stripe's OpenAPI spec."""
    standin = StripeStandIn()
    txns = card_day(standin)
    standin.add_payout(arrival=at("2026-06-03"), payout_id="po_s", balance_transactions=txns)
    assert len(payouts_since(standin, at("2026-06-01"))) == 1
    assert assert_all_exchanges_valid(standin) == len(standin.exchanges)
