"""The engine's outgoing pass through the Magento adapter: NetSuite credit memos reach Magento."""

from __future__ import annotations

from decimal import Decimal

import httpx

import refund_core as rc
from refund_adapters.engine import EngineConfig, SyncEngine
from refund_adapters.magento import DEFAULT_CAPABILITIES, MagentoStandIn, SeedItem
from refund_core.testing import FakeLedger, MemoryJournal
from tests.builders import at, credit_memo, invoice, ledger, order
from tests.magento.factories import new_standin, storefront_over

SETTINGS = rc.RefundSettings(gift_card_as_store_credit=True)
ACCOUNT = rc.ConnectorAccount("acct-magento", DEFAULT_CAPABILITIES, ["outgoing"], SETTINGS)


def test_outgoing_pass_creates_magento_credit_memos_once_and_reports_the_gift_card_part() -> None:
    """NSC-7/NSC-8: the payment part becomes a credit memo; the gift-card part a manual action."""
    standin = new_standin()
    standin.add_order(
        "000000900",
        [SeedItem("SKU-A", "25.00", qty=4)],
        shipping="0",
        payment_method="checkmo",
    )
    snapshot = ledger(
        sales_orders=[
            order("SO-9", "000000900", (("SKU-A", "100.00", "SKU-A", 4),), gift_card="40.00")
        ],
        invoices=[invoice("INV-9", (("SKU-A", "100.00", "SKU-A", 4),), order_id="SO-9")],
        credit_memos=[
            credit_memo(
                "CM-9", "INV-9", "50.00", lines=(("SKU-A", "50.00", "SKU-A", 2),), order_id="SO-9"
            )
        ],
    )
    fake = FakeLedger(snapshot)
    adapter = storefront_over(standin)

    def engine(journal: rc.Journal) -> SyncEngine:
        return SyncEngine(
            account=ACCOUNT,
            policy=rc.Policy.NETSUITE_CONNECTOR,
            ledger=fake,
            storefront=adapter,
            journal=journal,
            config=EngineConfig(page_size=10),
        )

    summary = engine(MemoryJournal()).run_outgoing(at("2026-01-01"))
    assert summary.manual_actions == 1  # 20.00 of the 50.00 was paid by gift card
    assert summary.dead_lettered == 0
    (memo,) = standin.memos_of("000000900")
    assert [(item.sku, qty) for item, qty in memo.items] == [("SKU-A", Decimal(2))]
    assert memo.grand_total == Decimal("30.00")
    assert memo.adjustment_negative == Decimal("20.00")
    again = engine(MemoryJournal()).run_outgoing(at("2026-01-01"))
    assert again.writes_created == 0
    assert len(standin.memos_of("000000900")) == 1


class BrokenOrderAnswer(httpx.AsyncBaseTransport):
    """The stand-in, except that one order's ``GET /V1/orders/{id}`` answer is not an order."""

    def __init__(self, standin: MagentoStandIn, order_id: int) -> None:
        self._inner = standin.transport()
        self._path = f"/V1/orders/{order_id}"

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer the broken order with an object Magento never sends; the rest as usual."""
        if request.url.path.endswith(self._path):
            return httpx.Response(200, json={"entity_id": "not-a-number"}, request=request)
        return await self._inner.handle_async_request(request)


def test_a_malformed_answer_dead_letters_its_event_and_the_run_goes_on() -> None:
    """A Magento answer of the wrong shape sets that one refund aside; the next one is sent."""
    standin = new_standin()
    broken = standin.add_order("000000901", [SeedItem("SKU-A", "50.00")], payment_method="checkmo")
    standin.add_order("000000902", [SeedItem("SKU-B", "50.00")], payment_method="checkmo")
    snapshot = ledger(
        sales_orders=[
            order("SO-1", "000000901", (("SKU-A", "50.00", "SKU-A", 1),)),
            order("SO-2", "000000902", (("SKU-B", "50.00", "SKU-B", 1),)),
        ],
        invoices=[
            invoice("INV-1", (("SKU-A", "50.00", "SKU-A", 1),), order_id="SO-1"),
            invoice("INV-2", (("SKU-B", "50.00", "SKU-B", 1),), order_id="SO-2"),
        ],
        credit_memos=[
            credit_memo(
                "CM-1", "INV-1", "50.00", lines=(("SKU-A", "50.00", "SKU-A", 1),), order_id="SO-1"
            ),
            credit_memo(
                "CM-2", "INV-2", "50.00", lines=(("SKU-B", "50.00", "SKU-B", 1),), order_id="SO-2"
            ),
        ],
    )
    journal = MemoryJournal()
    engine = SyncEngine(
        account=ACCOUNT,
        policy=rc.Policy.NETSUITE_CONNECTOR,
        ledger=FakeLedger(snapshot),
        storefront=storefront_over(standin, transport=BrokenOrderAnswer(standin, broken)),
        journal=journal,
        config=EngineConfig(page_size=10),
    )
    summary = engine.run_outgoing(at("2026-01-01"))
    assert summary.dead_lettered == 1
    assert summary.writes_created >= 1
    (letter,) = journal.dead_letters()
    assert letter.key == rc.SourceKey("netsuite", "CM-1")
    assert letter.code == "write_rejected"
    assert "order" in letter.message
    assert journal.event_state(rc.SourceKey("netsuite", "CM-1")) is rc.EventState.DEAD
    assert journal.event_state(rc.SourceKey("netsuite", "CM-2")) is rc.EventState.DONE
    assert standin.memos_of("000000901") == []
    assert len(standin.memos_of("000000902")) == 1
