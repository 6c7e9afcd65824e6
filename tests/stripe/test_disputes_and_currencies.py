"""The Stripe adapter reads disputes (DSP-1, DSP-2) and exchange rates (CCY-1), spec-checked."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs
import pytest

import refund_core as rc
from refund_adapters._decode import UpstreamDataError
from refund_adapters.engine import SyncEngine
from refund_adapters.stripe import StripePayoutSource, StripeRefundSource, WebhookInbox
from refund_adapters.stripe._standin import StripeStandIn
from refund_adapters.stripe._wire import StripeBalanceTransaction, decode
from refund_core.testing import FakeLedger, MemoryJournal
from tests.builders import M, at, dispute, invoice, ledger, payment
from tests.contracts._run import run
from tests.stripe.factories import client_for
from tests.stripe_contract import assert_all_exchanges_valid, event_errors

SECRET = "whsec_dispute_secret"
NOW = 1_780_000_000


def _events(standin: StripeStandIn, since: datetime) -> list[rc.SourceEvent]:
    source = StripeRefundSource(client_for(standin))
    listed: list[rc.SourceEvent] = []
    token: str | None = None
    while True:
        page = run(source.list_events(since=since, page_token=token, limit=5))
        listed += page.items
        if page.next_token is None:
            return listed
        token = page.next_token


def _payouts(standin: StripeStandIn, since: datetime) -> list[rc.Payout]:
    page = run(
        StripePayoutSource(client_for(standin)).list_payouts(since=since, page_token=None, limit=10)
    )
    return list(page.items)


def test_a_dispute_seeded_from_the_core_lists_as_that_event() -> None:
    """A dispute event seeded into the stand-in is listed back as the same event (DSP-1)."""
    event = dispute("dp_s", "40.00", charge="ch_s", created="2026-05-03")
    standin = StripeStandIn.from_events([event])
    listed = _events(standin, at("2026-05-01"))
    assert listed
    assert all(attrs.evolve(e, charge_created_at=None) == event for e in listed), listed
    assert standin.disputes["dp_s"]["balance_transactions"][0]["id"] == "txn_dp_s"


def test_a_chargeback_is_listed_as_a_succeeded_dispute_with_its_charge() -> None:
    """A dispute whose funds were withdrawn is a succeeded dispute event of its charge (DSP-1)."""
    standin = StripeStandIn()
    standin.add_charge(M("100.00 USD"), charge_id="ch_d", created=at("2026-01-05"))
    standin.add_dispute("ch_d", dispute_id="dp_1", created=int(at("2026-05-03").timestamp()))
    # Listed once as a dispute and once through its funds_withdrawn event: the same version,
    # which the engine's journal takes as a duplicate.
    first, again = _events(standin, at("2026-05-01"))
    assert first == again
    event = first
    assert isinstance(event, rc.RefundEvent)
    assert event.kind is rc.RefundKind.DISPUTE
    assert event.key == rc.SourceKey("stripe", "dp_1")
    assert event.status is rc.RefundStatus.SUCCEEDED
    assert event.amount == M("100.00 USD")
    assert event.payment_ref == "ch_d"
    assert event.charge_created_at == at("2026-01-05")
    assert assert_all_exchanges_valid(standin) == len(standin.exchanges)


def test_an_inquiry_is_pending_until_its_funds_are_withdrawn() -> None:
    """An inquiry withdraws nothing: pending; its later withdrawal comes back succeeded (DSP-1)."""
    standin = StripeStandIn()
    standin.add_charge(M("60.00 USD"), charge_id="ch_i", created=at("2026-01-05"))
    opened = int(at("2026-05-03").timestamp())
    standin.add_dispute("ch_i", dispute_id="dp_i", created=opened, withdraw=False)
    (pending,) = _events(standin, at("2026-05-01"))
    assert isinstance(pending, rc.RefundEvent)
    assert pending.status is rc.RefundStatus.PENDING
    standin.withdraw_dispute_funds("dp_i", at=int(at("2026-05-10").timestamp()))
    listed = _events(standin, at("2026-05-01"))
    assert [e.status for e in listed if isinstance(e, rc.RefundEvent)] == [
        rc.RefundStatus.SUCCEEDED,  # the dispute in its current state
        rc.RefundStatus.SUCCEEDED,  # funds_withdrawn, read again
    ]
    assert assert_all_exchanges_valid(standin) == len(standin.exchanges)


def test_dispute_webhooks_name_the_dispute_to_read_again() -> None:
    """charge.dispute.* deliveries are valid Stripe events naming the dispute (DSP-1)."""
    standin = StripeStandIn(clock=lambda: NOW - 100)
    standin.add_charge(M("100.00 USD"), charge_id="ch_w", created=at("2026-01-05"))
    standin.add_dispute("ch_w", dispute_id="dp_w")
    standin.win_dispute("dp_w")
    inbox = WebhookInbox([SECRET])
    kinds = []
    for event_id in (
        "evt_created_dp_w",
        "evt_withdrawn_dp_w",
        "evt_reinstated_dp_w",
        "evt_closed_dp_w",
    ):
        assert event_errors(standin.events[event_id]) == []
        delivery = inbox.receive(*standin.signed_webhook(event_id, SECRET, timestamp=NOW), now=NOW)
        assert delivery.dispute_id == "dp_w"
        assert delivery.source_event is None
        kinds.append(delivery.event_type)
    assert kinds == [
        "charge.dispute.created",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.funds_reinstated",
        "charge.dispute.closed",
    ]
    won = run(StripeRefundSource(client_for(standin)).dispute("dp_w"))
    assert won.status is rc.RefundStatus.SUCCEEDED  # a won dispute's records stay (DSP-2)
    assert assert_all_exchanges_valid(standin) == len(standin.exchanges)


def test_a_payout_with_a_won_dispute_reads_withdrawal_reinstatement_and_fees() -> None:
    """Dispute transactions become dispute entries and their fees fee entries (DSP-1, DSP-2)."""
    standin = StripeStandIn()
    standin.add_charge(M("100.00 USD"), charge_id="ch_p", created=at("2026-01-05"))
    dispute_obj = standin.add_dispute(
        "ch_p", dispute_id="dp_p", created=int(at("2026-05-03").timestamp())
    )
    standin.win_dispute("dp_p", at=int(at("2026-05-20").timestamp()))
    txns = [txn["id"] for txn in standin.disputes["dp_p"]["balance_transactions"]]
    assert dispute_obj["id"] == "dp_p"
    standin.add_payout(arrival=at("2026-05-25"), payout_id="po_d", balance_transactions=txns)
    (payout,) = _payouts(standin, at("2026-05-01"))
    assert [(e.kind, e.amount, e.source_ref) for e in payout.entries] == [
        (rc.BalanceEntryKind.DISPUTE, M("-100.00 USD"), "dp_p"),
        (rc.BalanceEntryKind.FEE, M("-15.00 USD"), "dp_p"),
        (rc.BalanceEntryKind.DISPUTE_REVERSAL, M("100.00 USD"), "dp_p"),
        (rc.BalanceEntryKind.FEE_REFUND, M("15.00 USD"), "dp_p"),
    ]
    assert payout.entries[0].charge_created_at == at("2026-01-05")
    assert assert_all_exchanges_valid(standin) == len(standin.exchanges)


def test_dispute_to_deposit_end_to_end() -> None:
    """A dispute synced, then its payout: Other Deposits lines, records kept (DSP-1, DSP-2)."""
    standin = StripeStandIn()
    standin.add_charge(M("100.00 USD"), charge_id="ch_1", created=at("2026-01-05"))
    standin.add_dispute("ch_1", dispute_id="dp_e", created=int(at("2026-05-03").timestamp()))
    fake = FakeLedger(
        ledger(
            invoices=[invoice("INV-1", [("SKU-A", "100.00")])],
            payments=[payment("PAY-1", "100.00", ref="ch_1", applied={"INV-1": "100.00"})],
        )
    )
    settings = rc.RefundSettings(fee_account="FEES", dispute_account="DISPUTES")
    stripe = rc.StorefrontCapabilities("stripe", rc.StorefrontKind.MARKETPLACE)
    engine = SyncEngine(
        account=rc.ConnectorAccount("acct", stripe, [rc.Direction.INCOMING], settings),
        policy=rc.Policy.STRIPE_CONNECTOR,
        ledger=fake,
        journal=MemoryJournal(),
        source=StripeRefundSource(client_for(standin)),
        payouts=StripePayoutSource(client_for(standin)),
    )
    assert engine.run(at("2026-05-01")).planned == 1
    (refund,) = fake.snapshot.customer_refunds
    assert refund.memo == "Stripe dispute dp_e"
    standin.win_dispute("dp_e", at=int(at("2026-05-20").timestamp()))
    txns = [txn["id"] for txn in standin.disputes["dp_e"]["balance_transactions"]]
    standin.add_payout(arrival=at("2026-05-25"), payout_id="po_e", balance_transactions=txns)
    assert engine.run_payouts(at("2026-05-01")).planned == 1
    (deposit,) = fake.snapshot.deposits
    assert [line.record_id for line in deposit.payment_lines] == [refund.internal_id]
    assert sorted((o.account, o.amount) for o in deposit.other_lines) == [
        ("DISPUTES", M("100.00 USD")),
        ("FEES", M("-15.00 USD")),
        ("FEES", M("15.00 USD")),
    ]
    assert fake.snapshot.customer_refunds == (attrs.evolve(refund, deposit_id=deposit.internal_id),)


def test_converted_transactions_carry_their_exchange_rate() -> None:
    """A balance transaction converted into the payout's currency carries Stripe's rate (CCY-1)."""
    entries = [
        rc.BalanceEntry(
            "txn_c",
            rc.BalanceEntryKind.CHARGE,
            M("108.41 USD"),
            "ch_eur",
            exchange_rate=Decimal("1.0841"),
        ),
        rc.BalanceEntry("txn_f", rc.BalanceEntryKind.FEE, M("-3.44 USD"), "ch_eur"),
    ]
    payout = rc.Payout("stripe", "po_fx", M("104.97 USD"), at("2026-06-02"), entries)
    standin = StripeStandIn.from_payouts([payout])
    (read,) = _payouts(standin, at("2026-06-01"))
    assert [(e.kind, e.amount, e.exchange_rate) for e in read.entries] == [
        (rc.BalanceEntryKind.CHARGE, M("108.41 USD"), Decimal("1.0841")),
        (rc.BalanceEntryKind.FEE, M("-3.44 USD"), None),
    ]
    assert assert_all_exchanges_valid(standin) == len(standin.exchanges)
    body = standin.exchanges[-1].response
    assert body is not None
    assert b'"exchange_rate": 1.0841' in body.content


def test_a_float_exchange_rate_is_refused_at_the_boundary() -> None:
    """A rate that arrives as a float (not parsed exactly) is a typed data error (CCY-1, MNY-1)."""
    raw = {
        "id": "txn_1",
        "type": "charge",
        "amount": 100,
        "fee": 0,
        "net": 100,
        "currency": "usd",
        "created": 1,
        "exchange_rate": 1.25,
    }
    with pytest.raises(UpstreamDataError) as info:
        decode(raw, StripeBalanceTransaction, endpoint="GET /v1/balance_transactions")
    assert "exchange_rate" in str(info.value)
    raw["exchange_rate"] = Decimal("1.25")
    assert decode(raw, StripeBalanceTransaction, endpoint="x").exchange_rate == Decimal("1.25")
