"""The engine's outgoing pass through the Magento adapter: NetSuite credit memos reach Magento."""

from __future__ import annotations

from decimal import Decimal

import refund_core as rc
from refund_adapters.engine import EngineConfig, SyncEngine
from refund_adapters.magento import DEFAULT_CAPABILITIES, SeedItem
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
