"""The payout pass: each payout becomes one deposit taking its refunds out of Undeposited Funds."""

from __future__ import annotations

import attrs

import refund_core as rc
from refund_adapters.engine import EngineConfig, SyncEngine
from refund_core.testing import FakeLedger, FakePayoutSource, FakeRefundSource, MemoryJournal
from tests.builders import M, at, invoice, ledger, order, payment, stripe_refund

STRIPE = rc.StorefrontCapabilities("stripe", rc.StorefrontKind.MARKETPLACE)
SETTINGS = rc.RefundSettings(partial_refund_item="PARTIAL", fee_account="FEES")
ACCOUNT = rc.ConnectorAccount("acct-1", STRIPE, [rc.Direction.INCOMING], SETTINGS)
START = at("2026-01-01")
REFUND = stripe_refund("re_1", "120.00", charge="ch_1", created="2026-03-01")


def _ledger() -> rc.LedgerSnapshot:
    return ledger(
        sales_orders=[order("SO-1", "1001")],
        invoices=[invoice("INV-1", order_id="SO-1")],
        payments=[
            payment("PAY-1", "150.00", ref="ch_1", applied={"INV-1": "100.00"}),
            payment("PAY-4", "200.00", ref="ch_4", created="2026-03-02"),
        ],
    )


def _payout() -> rc.Payout:
    return rc.Payout(
        source="stripe",
        payout_id="po_1",
        amount=M("75.70 USD"),
        arrival_at=at("2026-03-05"),
        entries=(
            rc.BalanceEntry("txn_1", rc.BalanceEntryKind.CHARGE, M("200.00 USD"), "ch_4"),
            rc.BalanceEntry("txn_2", rc.BalanceEntryKind.REFUND, M("-120.00 USD"), "re_1"),
            rc.BalanceEntry("txn_3", rc.BalanceEntryKind.FEE, M("-5.80 USD"), "ch_4"),
            rc.BalanceEntry("txn_4", rc.BalanceEntryKind.FEE_REFUND, M("1.50 USD"), "re_1"),
        ),
    )


def _engine(fake: FakeLedger, journal: rc.Journal, refunds: list[rc.SourceEvent]) -> SyncEngine:
    return SyncEngine(
        account=ACCOUNT,
        policy=rc.Policy.STRIPE_CONNECTOR,
        source=FakeRefundSource("stripe", refunds),
        payouts=FakePayoutSource("stripe", [_payout()]),
        ledger=fake,
        journal=journal,
        config=EngineConfig(page_size=2),
    )


def _check_deposit(snap: rc.LedgerSnapshot) -> None:
    (deposit,) = snap.deposits
    refunds = [cr for cr in snap.customer_refunds if cr.source == REFUND.key]
    assert refunds
    assert all(cr.deposit_id == deposit.internal_id for cr in refunds)  # STC-12
    linked = {
        line.record_id
        for line in deposit.payment_lines
        if line.kind is rc.DepositRecordKind.CUSTOMER_REFUND
    }
    assert linked == {cr.internal_id for cr in refunds}
    (fee_refund,) = [line for line in deposit.other_lines if line.amount == M("1.50 USD")]
    assert fee_refund.account == "FEES"  # STC-13
    assert deposit.amount == M("75.70 USD")


def test_payout_deposit_links_the_synced_customer_refunds() -> None:
    """Refunds synced, then the payout: its deposit links the customer refunds (STC-12, STC-13)."""
    fake = FakeLedger(_ledger())
    journal = MemoryJournal()
    engine = _engine(fake, journal, [REFUND])
    engine.run(START)
    summary = engine.run_payouts(START)
    assert summary.planned == 1
    assert summary.dead_lettered == 0
    _check_deposit(fake.snapshot)
    # STC-13: the fee refund is on no customer refund: they add up to the refund alone.
    refunded = rc.sum_money(
        (cr.amount for cr in fake.snapshot.customer_refunds if cr.source == REFUND.key), "USD"
    )
    assert refunded == M("120.00 USD")


def test_second_payout_run_creates_nothing() -> None:
    """A payout already deposited is recognised on the next run (IDM-2)."""
    fake = FakeLedger(_ledger())
    journal = MemoryJournal()
    engine = _engine(fake, journal, [REFUND])
    engine.run(START)
    engine.run_payouts(START)
    before = fake.snapshot
    again = engine.run_payouts(START)
    assert fake.snapshot == before
    assert again.duplicates == 1
    assert again.writes_created == 0


def test_payout_before_its_refund_is_dead_lettered_then_retried() -> None:
    """A payout whose refund is not synced waits as a dead letter; a retry succeeds (STC-12)."""
    fake = FakeLedger(_ledger())
    journal = MemoryJournal()
    engine = _engine(fake, journal, [REFUND])
    summary = engine.run_payouts(START)
    assert summary.dead_lettered == 1
    assert summary.skipped == 1
    (letter,) = journal.dead_letters()
    assert letter.code == rc.Reason.REFUND_NOT_SYNCED.value
    assert fake.snapshot.deposits == ()
    engine.run(START)
    retried = engine.retry()
    assert retried.resolved == 1
    assert retried.planned == 1
    assert journal.dead_letters() == ()
    assert journal.event_state(_payout().key) is rc.EventState.DONE
    _check_deposit(fake.snapshot)


class _OutOfOrderPayouts(FakePayoutSource):
    """Serves its payouts one per page, in the order given (not by arrival)."""

    async def list_payouts(
        self, *, since: object, page_token: str | None, limit: int
    ) -> rc.Page[rc.Payout]:
        """One payout per page, as given."""
        index = int(page_token or 0)
        chosen = self._payouts[index]
        more = str(index + 1) if index + 1 < len(self._payouts) else None
        return rc.Page([chosen], more)


def test_the_payout_cursor_never_moves_back_past_a_page_already_read() -> None:
    """A page of older payouts after a newer one leaves the cursor at the newest time read."""
    newer = attrs.evolve(_payout(), payout_id="po_new", arrival_at=at("2026-03-10"))
    older = attrs.evolve(_payout(), payout_id="po_old", arrival_at=at("2026-03-05"))
    journal = MemoryJournal()
    engine = SyncEngine(
        account=ACCOUNT,
        policy=rc.Policy.STRIPE_CONNECTOR,
        payouts=_OutOfOrderPayouts("stripe", [newer, older]),
        ledger=FakeLedger(_ledger()),
        journal=journal,
    )
    engine.run_payouts(START)
    assert journal.get_cursor(engine.payout_stream) == at("2026-03-10")
