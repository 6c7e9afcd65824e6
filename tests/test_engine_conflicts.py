"""How the engine runs events side by side: conflict groups, per-target limits, failing siblings.

Events that touch the same order, payment or invoice are decided one after the other (MNY-4);
the others run concurrently, bounded per target (ledger, storefront). A group that fails stops
its siblings before the run gives the journal back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import attrs
import pytest

import refund_core as rc
from refund_adapters.engine import EngineConfig, SyncEngine
from refund_core.testing import FakeLedger, FakeRefundSource, FakeStorefront, MemoryJournal
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

T = TypeVar("T")

AMAZON = rc.StorefrontCapabilities("amazon", rc.StorefrontKind.MARKETPLACE)
STRIPE = rc.StorefrontCapabilities("stripe", rc.StorefrontKind.MARKETPLACE)
SHOP = rc.StorefrontCapabilities("shopify", rc.StorefrontKind.CART, supports_store_credit=True)
SETTINGS = rc.RefundSettings(partial_refund_item="PARTIAL")
AMAZON_ACCOUNT = rc.ConnectorAccount("acct-amz", AMAZON, [rc.Direction.INCOMING], SETTINGS)
STRIPE_ACCOUNT = rc.ConnectorAccount("acct-stripe", STRIPE, [rc.Direction.INCOMING], SETTINGS)
SHOP_ACCOUNT = rc.ConnectorAccount(
    "acct-shop", SHOP, [rc.Direction.OUTGOING], rc.RefundSettings(gift_card_as_store_credit=True)
)
START = at("2026-01-01")


class Gauge:
    """Counts calls in flight and remembers the most seen at once."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0

    async def through(self, call: Callable[[], Awaitable[T]], pauses: int = 5) -> T:
        """Run ``call`` counted as in flight, yielding to the loop ``pauses`` times first."""
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            for _ in range(pauses):
                await asyncio.sleep(0)  # let every other ready task run: concurrency shows
            return await call()
        finally:
            self.in_flight -= 1


class PausingLedger:
    """A FakeLedger whose every call pauses, counted in one gauge (a ledger's account limit)."""

    def __init__(self, inner: FakeLedger) -> None:
        self.inner = inner
        self.gauge = Gauge()

    async def load(self, query: rc.LedgerQuery) -> rc.LedgerSnapshot:
        """Reads pause too: they count against the ledger's limit."""
        return await self.gauge.through(lambda: self.inner.load(query))

    async def write(self, action: rc.LedgerAction) -> rc.WriteReceipt:
        """Writes pause."""
        return await self.gauge.through(lambda: self.inner.write(action))

    async def find_by_external_id(self, external_id: str) -> str | None:
        """Lookups pause."""
        return await self.gauge.through(lambda: self.inner.find_by_external_id(external_id))

    async def list_unsynced_refunds(self, **kwargs: object) -> rc.Page[str]:
        """Listings pause."""
        return await self.gauge.through(
            lambda: self.inner.list_unsynced_refunds(**kwargs)  # type: ignore[arg-type]
        )


class PausingStorefront:
    """A FakeStorefront whose writes pause, counted in their own gauge."""

    def __init__(self, inner: FakeStorefront) -> None:
        self.inner = inner
        self.gauge = Gauge()

    @property
    def capabilities(self) -> rc.StorefrontCapabilities:
        """The wrapped storefront's capabilities."""
        return self.inner.capabilities

    async def issue_refund(self, action: rc.IssueStorefrontRefund) -> rc.WriteReceipt:
        """Refunds pause."""
        return await self.gauge.through(lambda: self.inner.issue_refund(action))

    async def issue_store_credit(self, action: rc.IssueStoreCredit) -> rc.WriteReceipt:
        """Store credit pauses."""
        return await self.gauge.through(lambda: self.inner.issue_store_credit(action))


def _credited(snapshot: rc.LedgerSnapshot, invoice_id: str) -> rc.Money:
    return rc.sum_money(
        (cm.amount for cm in snapshot.credit_memos if cm.created_from == invoice_id), "USD"
    )


# ----------------------------------------------------------------------------------------------
# MNY-4: events that share an order, a payment or an invoice are decided in turn
# ----------------------------------------------------------------------------------------------


def test_refunds_on_one_order_with_different_payment_refs_never_over_refund() -> None:
    """Two 60.00 refunds on one 100.00 order, one with a payment ref, go in turn (MNY-4)."""
    world = ledger(sales_orders=[order("SO-1", "1001")], invoices=[invoice("INV-1")])
    with_ref = attrs.evolve(
        storefront_refund("amz_1", "60.00", source="amazon", created="2026-03-01"),
        payment_ref="pay_a",
    )
    without_ref = storefront_refund("amz_2", "60.00", source="amazon", created="2026-03-02")
    fake = FakeLedger(world)
    journal = MemoryJournal()
    summary = SyncEngine(
        account=AMAZON_ACCOUNT,
        policy=rc.Policy.NETSUITE_CONNECTOR,
        source=FakeRefundSource("amazon", [with_ref, without_ref]),
        ledger=fake,
        journal=journal,
    ).run(START)
    assert _credited(fake.snapshot, "INV-1") <= M("100.00 USD")
    assert summary.planned == 1
    assert [letter.key for letter in journal.dead_letters()] == [without_ref.key]


def _split_payment_world() -> rc.LedgerSnapshot:
    # INV-1 (100.00) was paid by two charges and already credited 30.00 by hand: 70.00 is left.
    return ledger(
        sales_orders=[order("SO-1", "1001")],
        invoices=[invoice("INV-1")],
        credit_memos=[credit_memo("CM-0", "INV-1", "30.00")],
        payments=[
            payment("PAY-1", "60.00", ref="ch_1", applied={"INV-1": "60.00"}),
            payment("PAY-2", "40.00", ref="ch_2", applied={"INV-1": "40.00"}),
        ],
    )


SPLIT_EVENTS = [
    stripe_refund("re_1", "60.00", charge="ch_1", created="2026-03-01"),
    stripe_refund("re_2", "40.00", charge="ch_2", created="2026-03-02"),
]


def _stripe_engine(ledger_port: object, journal: rc.Journal, page_size: int = 100) -> SyncEngine:
    return SyncEngine(
        account=STRIPE_ACCOUNT,
        policy=rc.Policy.STRIPE_CONNECTOR,
        source=FakeRefundSource("stripe", SPLIT_EVENTS),
        ledger=ledger_port,  # type: ignore[arg-type]
        journal=journal,
        config=EngineConfig(page_size=page_size),
    )


def _one_at_a_time() -> rc.LedgerSnapshot:
    fake = FakeLedger(_split_payment_world())
    journal = MemoryJournal()
    for event in SPLIT_EVENTS:
        SyncEngine(
            account=STRIPE_ACCOUNT,
            policy=rc.Policy.STRIPE_CONNECTOR,
            source=FakeRefundSource("stripe", [event]),
            ledger=fake,
            journal=journal,
        ).run(START)
    return fake.snapshot


def test_refunds_on_two_payments_of_one_invoice_are_decided_in_turn() -> None:
    """Refunds of two charges paying one invoice never credit it past its total (MNY-4)."""
    expected = _one_at_a_time()
    assert _credited(expected, "INV-1") == M("90.00 USD")  # re_2 only fits 10.00 of its 40.00
    fake = FakeLedger(_split_payment_world())
    _stripe_engine(fake, MemoryJournal()).run(START)
    assert _credited(fake.snapshot, "INV-1") <= M("100.00 USD")
    assert fake.snapshot == expected


def test_conflicting_events_on_consecutive_pages_wait_for_each_other() -> None:
    """An event conflicting with one still being written on the previous page waits (MNY-4)."""
    expected = _one_at_a_time()
    pausing = PausingLedger(FakeLedger(_split_payment_world()))
    _stripe_engine(pausing, MemoryJournal(), page_size=1).run(START)
    assert pausing.inner.snapshot == expected


# ----------------------------------------------------------------------------------------------
# Per-target concurrency
# ----------------------------------------------------------------------------------------------


def _many_payments(n: int) -> tuple[rc.LedgerSnapshot, list[rc.SourceEvent]]:
    invoices = [invoice(f"INV-{i}", order_id=None) for i in range(n)]
    payments = [
        payment(f"PAY-{i}", ref=f"ch_{i}", applied={f"INV-{i}": "100.00"}) for i in range(n)
    ]
    events: list[rc.SourceEvent] = [
        stripe_refund(f"re_{i}", "10.00", charge=f"ch_{i}", created="2026-03-01") for i in range(n)
    ]
    return ledger(invoices=invoices, payments=payments), events


def test_ledger_calls_in_flight_never_exceed_the_ledger_limit() -> None:
    """With ledger_concurrency=2, independent refunds keep exactly two ledger calls in flight."""
    world, events = _many_payments(8)
    pausing = PausingLedger(FakeLedger(world))
    summary = SyncEngine(
        account=STRIPE_ACCOUNT,
        policy=rc.Policy.STRIPE_CONNECTOR,
        source=FakeRefundSource("stripe", events),
        ledger=pausing,
        journal=MemoryJournal(),
        config=EngineConfig(page_size=4, ledger_concurrency=2),
    ).run(START)
    assert summary.planned == 8
    assert pausing.gauge.peak == 2  # reached (concurrent) and never passed (bounded)


def _outgoing_world(n: int) -> rc.LedgerSnapshot:
    return ledger(
        sales_orders=[order(f"SO-{i}", f"10{i:02d}") for i in range(n)],
        invoices=[invoice(f"INV-{i}", order_id=f"SO-{i}") for i in range(n)],
        credit_memos=[
            credit_memo(f"CM-{i}", f"INV-{i}", "30.00", order_id=f"SO-{i}") for i in range(n)
        ],
    )


def test_storefront_and_ledger_have_their_own_limits() -> None:
    """Outgoing refunds of different orders run side by side, each target under its own limit."""
    shop = PausingStorefront(FakeStorefront(SHOP))
    pausing = PausingLedger(FakeLedger(_outgoing_world(8)))
    summary = SyncEngine(
        account=SHOP_ACCOUNT,
        policy=rc.Policy.NETSUITE_CONNECTOR,
        ledger=pausing,
        storefront=shop,
        journal=MemoryJournal(),
        config=EngineConfig(page_size=8, ledger_concurrency=1, storefront_concurrency=3),
    ).run_outgoing(START)
    assert summary.planned == 8
    assert len(shop.inner.refunds) == 8
    assert shop.gauge.peak == 3
    assert pausing.gauge.peak == 1


def test_default_limits_suit_a_netsuite_account() -> None:
    """Both targets default to 5 calls in flight, NetSuite's smallest account limit."""
    config = EngineConfig()
    assert (config.ledger_concurrency, config.storefront_concurrency) == (5, 5)
    with pytest.raises(ValueError, match="storefront_concurrency"):
        EngineConfig(storefront_concurrency=0)


# ----------------------------------------------------------------------------------------------
# A failing group stops its siblings before the lock is given back
# ----------------------------------------------------------------------------------------------


class Boom(Exception):  # noqa: N818 - a scripted failure, named for what it does
    """A failure the engine does not handle: it must end the run."""


class OneFailsOthersHang:
    """Writes for ``ch_bad`` fail; every other write waits on a gate that never opens."""

    def __init__(self, inner: FakeLedger, journal: MemoryJournal) -> None:
        self.inner = inner
        self.journal = journal
        self.gate = asyncio.Event()
        self.waiting = 0
        self.writes_done = 0
        self.cancelled_while_held: list[str | None] = []

    async def load(self, query: rc.LedgerQuery) -> rc.LedgerSnapshot:
        """Reads pass through."""
        return await self.inner.load(query)

    async def write(self, action: rc.LedgerAction) -> rc.WriteReceipt:
        """Fail for the bad payment; hang for the others until cancelled."""
        if isinstance(action, rc.CreateCreditMemo) and action.created_from == "INV-bad":
            while self.waiting < 3:  # fail only once the others are well under way
                await asyncio.sleep(0)
            raise Boom("the ledger refused the bad refund")
        self.waiting += 1
        try:
            await self.gate.wait()
        except asyncio.CancelledError:
            self.cancelled_while_held.append(self.journal.owner)
            raise
        self.writes_done += 1
        return await self.inner.write(action)

    async def find_by_external_id(self, external_id: str) -> str | None:
        """Lookups pass through."""
        return await self.inner.find_by_external_id(external_id)


def test_a_failing_group_cancels_its_siblings_before_the_lock_is_released() -> None:
    """When one group fails, the others are cancelled while the run still holds the journal."""
    world, events = _many_payments(3)
    world = attrs.evolve(
        world,
        invoices=(*world.invoices, invoice("INV-bad", order_id=None)),
        payments=(*world.payments, payment("PAY-bad", ref="ch_bad", applied={"INV-bad": "100.00"})),
    )
    events.append(stripe_refund("re_bad", "10.00", charge="ch_bad", created="2026-03-01"))
    journal = MemoryJournal()
    port = OneFailsOthersHang(FakeLedger(world), journal)
    engine = SyncEngine(
        account=STRIPE_ACCOUNT,
        policy=rc.Policy.STRIPE_CONNECTOR,
        source=FakeRefundSource("stripe", events),
        ledger=port,  # type: ignore[arg-type]
        journal=journal,
    )

    async def scenario() -> None:
        with pytest.raises(Boom):
            await engine.run_async(START)
        assert journal.owner is None  # released once the run ended
        assert port.cancelled_while_held == ["refund-sync"] * 3
        port.gate.set()  # an orphaned write would now go ahead
        for _ in range(20):
            await asyncio.sleep(0)
        assert port.writes_done == 0

    asyncio.run(scenario())


# ----------------------------------------------------------------------------------------------
# Errors the engine must raise, and listings it must retry
# ----------------------------------------------------------------------------------------------


class MisconfiguredLedger(FakeLedger):
    """A ledger whose writes find the account misconfigured (e.g. no such GL account)."""

    async def write(self, action: rc.LedgerAction) -> rc.WriteReceipt:
        """Every write fails with a configuration error."""
        self.writes += 1
        raise rc.ConfigurationError("the deposit account 1000 does not exist in the ledger")


def test_configuration_error_during_a_write_ends_the_run() -> None:
    """A misconfigured target stops the run: it is not one event's fault to set aside."""
    world, events = _many_payments(2)
    journal = MemoryJournal()
    engine = SyncEngine(
        account=STRIPE_ACCOUNT,
        policy=rc.Policy.STRIPE_CONNECTOR,
        source=FakeRefundSource("stripe", events),
        ledger=MisconfiguredLedger(world),
        journal=journal,
    )
    with pytest.raises(rc.ConfigurationError, match="deposit account"):
        engine.run(START)
    assert journal.dead_letters() == ()


class FlakySource(FakeRefundSource):
    """A source whose first ``failures`` listings fail with a connection error."""

    def __init__(self, events: list[rc.SourceEvent], failures: int) -> None:
        super().__init__("stripe", events)
        self.failures = failures

    async def list_events(
        self, *, since: object, page_token: str | None, limit: int
    ) -> rc.Page[rc.SourceEvent]:
        """Fail, then list."""
        if self.failures:
            self.failures -= 1
            raise ConnectionError("connection reset by peer")
        return await super().list_events(since=since, page_token=page_token, limit=limit)  # type: ignore[arg-type]


def test_a_listing_that_still_fails_stops_the_pass_and_the_next_run_resumes() -> None:
    """A connection error out of a listing stops the pass as it is; the cursor stays put."""
    world, events = _many_payments(2)
    fake = FakeLedger(world)
    journal = MemoryJournal()
    source = FlakySource(events, failures=1)

    def engine() -> SyncEngine:
        return SyncEngine(
            account=STRIPE_ACCOUNT,
            policy=rc.Policy.STRIPE_CONNECTOR,
            source=source,
            ledger=fake,
            journal=journal,
        )

    first = engine()
    with pytest.raises(ConnectionError, match="connection reset by peer"):
        asyncio.run(first.run_async(START))
    assert journal.get_cursor(first.stream) is None
    assert journal.dead_letters() == ()
    summary = engine().run(START)
    assert summary.planned == 2
