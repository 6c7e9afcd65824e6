"""The engine over the Stripe adapter and its stand-in: sync, re-run, failure, reversal."""

from __future__ import annotations

import refund_core as rc
from refund_adapters.engine import EngineConfig, SyncEngine
from refund_adapters.stripe import StripeRefundSource
from refund_adapters.stripe._standin import StripeStandIn
from refund_core.testing import FakeLedger, MemoryJournal
from tests.builders import at, ledger, payment, payment_failure, stripe_refund
from tests.stripe.factories import client_for

SETTINGS = rc.RefundSettings()
STRIPE = rc.StorefrontCapabilities("stripe", rc.StorefrontKind.MARKETPLACE)
ACCOUNT = rc.ConnectorAccount("acct-stripe", STRIPE, [rc.Direction.INCOMING], SETTINGS)


def test_engine_syncs_stripe_refunds_once_and_reverses_a_later_failure() -> None:
    """A run creates the records, a re-run nothing, and a refund failing later is reversed."""
    standin = StripeStandIn.from_events(
        [
            stripe_refund("re_1", "30.00", charge="ch_1", created="2026-03-02"),
            payment_failure("txn_fail_2", "50.00", charge="ch_2", failed="2026-03-03"),
        ]
    )
    fake = FakeLedger(
        ledger(
            payments=[payment("PAY-1", "30.00", ref="ch_1"), payment("PAY-2", "50.00", ref="ch_2")]
        )
    )
    journal = MemoryJournal()
    engine = SyncEngine(
        account=ACCOUNT,
        policy=rc.Policy.STRIPE_CONNECTOR,
        source=StripeRefundSource(client_for(standin)),
        ledger=fake,
        journal=journal,
        config=EngineConfig(page_size=1),
    )
    first = engine.run(at("2026-03-01"))
    assert first.planned == 2
    assert [cr.source for cr in fake.snapshot.customer_refunds] == [
        rc.SourceKey("stripe", "re_1"),
        rc.SourceKey("stripe", "txn_fail_2"),
    ]
    assert engine.run(at("2026-03-01")).writes_created == 0
    standin.fail_refund("re_1", "expired_or_canceled_card", at=at("2026-03-06"))
    third = engine.run(at("2026-03-01"))
    assert third.writes_created == 1
    reversals = [p for p in fake.snapshot.payments if p.source == rc.SourceKey("stripe", "re_1")]
    assert len(reversals) == 1
    assert reversals[0].amount == rc.Money.parse("30.00 USD")
