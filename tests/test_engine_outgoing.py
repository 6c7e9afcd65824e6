"""The outgoing pass: refunds made in NetSuite go to the storefront once, crash or no crash."""

from __future__ import annotations

from collections import Counter
from typing import TypeVar

import attrs
import pytest

import refund_core as rc
from refund_adapters.engine import EngineConfig, SyncEngine
from refund_core.testing import FakeLedger, FakeRefundSource, FakeStorefront, MemoryJournal
from tests.builders import M, at, credit_memo, invoice, ledger, order
from tests.crashes import Crash, CrashingLedger, CrashingStorefront, SimulatedCrash

T = TypeVar("T")

SHOP = rc.StorefrontCapabilities("shopify", rc.StorefrontKind.CART, supports_store_credit=True)
SHOP_NO_CREDIT = rc.StorefrontCapabilities("shopify", rc.StorefrontKind.CART)
SETTINGS = rc.RefundSettings(gift_card_as_store_credit=True)
ACCOUNT = rc.ConnectorAccount("acct-out", SHOP, [rc.Direction.OUTGOING], SETTINGS)
START = at("2026-01-01")


def _ledger() -> rc.LedgerSnapshot:
    return ledger(
        sales_orders=[
            order("SO-1", "1001"),
            order("SO-2", "1002", gift_card="40.00"),
            order("SO-3", "1003"),
        ],
        invoices=[
            invoice("INV-1", order_id="SO-1"),
            invoice("INV-2", order_id="SO-2"),
            invoice("INV-3", order_id="SO-3"),
        ],
        credit_memos=[
            credit_memo("CM-1", "INV-1", "30.00", order_id="SO-1"),
            credit_memo("CM-2", "INV-2", "50.00", order_id="SO-2"),
            credit_memo("CM-3", "INV-3", "100.00", order_id="SO-3"),
            credit_memo("CM-4", "INV-1", "20.00", order_id="SO-1"),
        ],
    )


def _engine(
    ledger_port: object,
    storefront: object,
    journal: rc.Journal,
    account: rc.ConnectorAccount = ACCOUNT,
) -> SyncEngine:
    return SyncEngine(
        account=account,
        policy=rc.Policy.NETSUITE_CONNECTOR,
        ledger=ledger_port,  # type: ignore[arg-type]
        storefront=storefront,  # type: ignore[arg-type]
        journal=journal,
        config=EngineConfig(page_size=2),
    )


def _unsynced(fake: FakeLedger) -> list[str]:
    return [r.internal_id for r in fake.snapshot.refund_records() if r.storefront_sync is None]


def test_outgoing_run_sends_each_credit_memo_once() -> None:
    """Every credit memo made in NetSuite is sent once and marked synced (NSC-7, IDM-2)."""
    fake = FakeLedger(_ledger())
    shop = FakeStorefront(SHOP)
    journal = MemoryJournal()
    summary = _engine(fake, shop, journal).run_outgoing(START)
    assert summary.planned == 4
    assert summary.dead_lettered == 0
    assert sorted(r.record.internal_id for r in shop.refunds) == ["CM-1", "CM-2", "CM-3", "CM-4"]
    assert _unsynced(fake) == []
    calls = shop.calls
    again = _engine(fake, shop, journal).run_outgoing(START)
    assert shop.calls == calls
    assert again.planned == 0
    assert again.writes_created == 0


def test_outgoing_run_with_a_lost_journal_sends_nothing_again() -> None:
    """A fresh journal against a synced ledger sends nothing: records are marked synced (IDM-2)."""
    fake = FakeLedger(_ledger())
    shop = FakeStorefront(SHOP)
    _engine(fake, shop, MemoryJournal()).run_outgoing(START)
    sent = shop.refunds
    _engine(fake, shop, MemoryJournal()).run_outgoing(START)
    assert shop.refunds == sent


def test_gift_card_part_becomes_store_credit_when_supported() -> None:
    """The gift-card share of a refund is issued as store credit when supported (NSC-8)."""
    fake = FakeLedger(_ledger())
    shop = FakeStorefront(SHOP)
    summary = _engine(fake, shop, MemoryJournal()).run_outgoing(START)
    assert summary.manual_actions == 0
    (credit,) = shop.store_credits
    assert credit.amount == M("20.00 USD")
    refund = next(r for r in shop.refunds if r.record.internal_id == "CM-2")
    assert refund.amount == M("30.00 USD")


def test_gift_card_part_is_a_manual_action_without_store_credit() -> None:
    """Without store-credit support the gift-card part is a manual action, the rest proceeds.

    NSC-8: counted in the summary, never dead-lettered.
    """
    fake = FakeLedger(_ledger())
    shop = FakeStorefront(SHOP_NO_CREDIT)
    account = rc.ConnectorAccount("acct-out", SHOP_NO_CREDIT, [rc.Direction.OUTGOING], SETTINGS)
    journal = MemoryJournal()
    summary = _engine(fake, shop, journal, account).run_outgoing(START)
    assert summary.manual_actions == 1
    assert summary.dead_lettered == 0
    assert journal.dead_letters() == ()
    assert shop.store_credits == ()
    refund = next(r for r in shop.refunds if r.record.internal_id == "CM-2")
    assert refund.amount == M("30.00 USD")
    assert _unsynced(fake) == []


@pytest.mark.parametrize("after_apply", [False, True], ids=["before-write", "lost-response"])
def test_outgoing_crash_at_every_write_resumes_without_duplicates(after_apply: bool) -> None:
    """For every N, a crash at write N then a rerun sends each refund once (NSC-7, IDM-2)."""
    expected_fake = FakeLedger(_ledger())
    expected_shop = FakeStorefront(SHOP)
    _engine(expected_fake, expected_shop, MemoryJournal()).run_outgoing(START)
    total = expected_fake.writes + expected_shop.calls
    assert total == 9  # 4 refunds, 1 store credit, 4 marks
    for crash_at in range(1, total + 1):
        fake = FakeLedger(_ledger())
        shop = FakeStorefront(SHOP)
        journal = MemoryJournal()
        crash = Crash(crash_at, after_apply=after_apply)
        with pytest.raises(SimulatedCrash):
            _engine(
                CrashingLedger(fake, crash), CrashingStorefront(shop, crash), journal
            ).run_outgoing(START)
        journal.release("refund-sync")
        _engine(fake, shop, journal).run_outgoing(START)
        ids = Counter(r.external_id for r in shop.refunds)
        assert all(n == 1 for n in ids.values()), f"duplicate refund after crash at {crash_at}"
        assert sorted(ids) == sorted(r.external_id for r in expected_shop.refunds)
        assert len(shop.store_credits) == 1, f"crash at {crash_at}"
        assert _unsynced(fake) == [], f"unsynced record after crash at {crash_at}"
        assert fake.snapshot == expected_fake.snapshot, f"crash at write {crash_at}"


class ForgetfulJournal(MemoryJournal):
    """A journal that records event states but none of the writes (to prove a test bites)."""

    def begin_action(self, key: rc.SourceKey, external_id: str) -> None:
        """Forget it."""

    def complete_action(self, key: rc.SourceKey, external_id: str, record_id: str) -> None:
        """Forget it."""


def _resend_counts(journal_type: type[MemoryJournal], *, after_apply: bool) -> list[str]:
    """Crash at every write, resume, and say where a target was called more than it must be."""
    expected_fake = FakeLedger(_ledger())
    expected_shop = FakeStorefront(SHOP)
    _engine(expected_fake, expected_shop, MemoryJournal()).run_outgoing(START)
    problems: list[str] = []
    for crash_at in range(1, expected_fake.writes + expected_shop.calls + 1):
        fake = FakeLedger(_ledger())
        shop = FakeStorefront(SHOP)
        journal = journal_type()
        crash = Crash(crash_at, after_apply=after_apply)
        with pytest.raises(SimulatedCrash):
            _engine(
                CrashingLedger(fake, crash), CrashingStorefront(shop, crash), journal
            ).run_outgoing(START)
        _engine(fake, shop, journal).run_outgoing(START)
        # Only a storefront write whose answer was lost is sent again (NSC-7); a ledger write
        # begun before the crash is looked up by external ID instead of being repeated.
        allowed = 1 if after_apply and crash.crashed_on == "storefront" else 0
        if shop.calls != expected_shop.calls + allowed:
            problems.append(f"crash at {crash_at}: {shop.calls} storefront calls")
        if fake.writes != expected_fake.writes:
            problems.append(f"crash at {crash_at}: {fake.writes} ledger writes")
    return problems


@pytest.mark.parametrize("after_apply", [False, True], ids=["before-write", "lost-response"])
def test_outgoing_crash_resends_nothing_already_sent(after_apply: bool) -> None:
    """Counting calls: after a crash at any write, nothing completed is sent again (NSC-7)."""
    assert _resend_counts(MemoryJournal, after_apply=after_apply) == []


def test_outgoing_call_counts_catch_a_journal_that_records_no_writes() -> None:
    """The call counts above can fail: a journal forgetting its writes resends after a crash."""
    assert _resend_counts(ForgetfulJournal, after_apply=True)


def test_outgoing_pass_refuses_an_incoming_account() -> None:
    """The outgoing pass runs only for an outgoing account (NSC-9)."""
    stripe = rc.StorefrontCapabilities("stripe", rc.StorefrontKind.MARKETPLACE)
    incoming = rc.ConnectorAccount("acct-in", stripe, [rc.Direction.INCOMING])
    shop = FakeStorefront(SHOP)
    engine = _engine(FakeLedger(_ledger()), shop, MemoryJournal(), incoming)
    with pytest.raises(rc.ConfigurationError, match="outgoing"):
        engine.run_outgoing(START)
    assert shop.calls == 0


def test_incoming_pass_refuses_an_outgoing_account() -> None:
    """The incoming pass runs only for an incoming account (NSC-9)."""
    source = FakeRefundSource("shopify")
    engine = SyncEngine(
        account=ACCOUNT,
        policy=rc.Policy.NETSUITE_CONNECTOR,
        source=source,
        ledger=FakeLedger(_ledger()),
        journal=MemoryJournal(),
    )
    with pytest.raises(rc.ConfigurationError, match="incoming"):
        engine.run(START)
    assert source.calls == 0


def test_outgoing_pass_needs_a_storefront() -> None:
    """Without a storefront the outgoing pass refuses to run, touching nothing."""
    fake = FakeLedger(_ledger())
    engine = SyncEngine(
        account=ACCOUNT,
        policy=rc.Policy.NETSUITE_CONNECTOR,
        ledger=fake,
        journal=MemoryJournal(),
    )
    with pytest.raises(rc.ConfigurationError, match="storefront"):
        engine.run_outgoing(START)
    assert fake.reads == 0


def test_on_outcome_sees_every_decision() -> None:
    """The ``on_outcome`` hook receives each decision once; one order's in listing order (NSC-8).

    Refunds of different orders are decided side by side, so only one order's are ordered.
    """
    seen: list[rc.Outcome] = []
    engine = SyncEngine(
        account=ACCOUNT,
        policy=rc.Policy.NETSUITE_CONNECTOR,
        ledger=FakeLedger(_ledger()),
        storefront=FakeStorefront(SHOP),
        journal=MemoryJournal(),
        on_outcome=seen.append,
    )
    engine.run_outgoing(START)
    ids = [o.key.event_id for o in seen]
    assert sorted(ids) == ["CM-1", "CM-2", "CM-3", "CM-4"]
    assert ids.index("CM-1") < ids.index("CM-4")  # both refund order SO-1


def test_two_outgoing_accounts_on_one_ledger_each_send_their_own_storefronts_refunds() -> None:
    """Shopify's pass sends Shopify's credit memos, Magento's its own; none crosses (NSC-7)."""
    snapshot = ledger(
        sales_orders=[
            attrs.evolve(order("SO-1", "1001"), storefront="shopify"),
            attrs.evolve(order("SO-2", "1002"), storefront="magento"),
        ],
        invoices=[invoice("INV-1", order_id="SO-1"), invoice("INV-2", order_id="SO-2")],
        credit_memos=[
            credit_memo("CM-1", "INV-1", "30.00", order_id=None),
            credit_memo("CM-2", "INV-2", "20.00", order_id="SO-2"),
        ],
    )
    fake = FakeLedger(snapshot)
    journal = MemoryJournal()
    sent: dict[str, list[str]] = {}
    for name in ("shopify", "magento"):
        capabilities = rc.StorefrontCapabilities(name, rc.StorefrontKind.CART)
        storefront = FakeStorefront(capabilities)
        account = rc.ConnectorAccount(
            f"acct-{name}", capabilities, [rc.Direction.OUTGOING], rc.RefundSettings()
        )
        summary = _engine(fake, storefront, journal, account).run_outgoing(START)
        assert summary.dead_lettered == 0
        sent[name] = [refund.order_ref for refund in storefront.refunds]
    assert sent == {"shopify": ["1001"], "magento": ["1002"]}
    assert _unsynced(fake) == []


def test_a_storefront_answer_lost_in_transit_is_retried_into_the_one_refund_made() -> None:
    """The refund happened but its answer was lost: set aside, the retry finds it; sent once."""
    fake = FakeLedger(_ledger())
    orders = {ref: M("100.00 USD") for ref in ("1001", "1002", "1003")}
    storefront = FakeStorefront(SHOP, orders=orders)
    storefront.lose_next_response()
    journal = MemoryJournal()
    engine = SyncEngine(
        account=ACCOUNT,
        policy=rc.Policy.NETSUITE_CONNECTOR,
        ledger=fake,
        storefront=storefront,
        journal=journal,
        config=EngineConfig(page_size=2),
    )
    summary = engine.run_outgoing(START)
    assert summary.dead_lettered == 1
    (letter,) = journal.dead_letters()
    assert letter.code == "transient_failure"
    retried = engine.retry()
    assert (retried.resolved, retried.writes_repeated) == (1, 1)
    sent = Counter(r.external_id for r in storefront.refunds)
    assert set(sent.values()) == {1}
    assert _unsynced(fake) == []
