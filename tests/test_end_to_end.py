"""Every flow end to end over loopback HTTP ends exactly where the in-memory reference ends.

The demo world runs twice: once through the real adapters against the stand-ins served on
127.0.0.1 (the ``refund-sync sync`` path: TOML, registry, engine, SQLite journal), once through
the same engine over the in-memory fakes of ``refund_core.testing``. NetSuite must hold the
same records in both, field for field, and the storefronts must have been asked for the same
refunds: the adapters add transport, never behaviour.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import attrs
import pytest

import refund_core as rc
from refund_adapters.cli import default_registry
from refund_adapters.cli._sync import sync_accounts
from refund_adapters.demo import (
    SECRETS,
    DemoWorld,
    build_standins,
    build_world,
    config_text,
    serving,
)
from refund_adapters.wiring import load_config
from refund_core.testing import (
    FakeLedger,
    FakeStorefront,
    MemoryJournal,
)
from tests.demo_passes import demo_passes
from tests.netsuite.factories import normalized

ACCOUNTS = ("stripe-us", "stripe-jp", "amazon-us", "shopify-eu", "shopify-us", "magento-us")


def _ns_id(external_id: str) -> str:
    return f"ns-{external_id}"


def _reference(world: DemoWorld) -> tuple[rc.LedgerSnapshot, dict[str, list[rc.Action]]]:
    """The same accounts, in the same order, over the in-memory fakes."""
    fake = FakeLedger(world.ledger)
    storefronts = {
        "shopify": FakeStorefront(
            rc.StorefrontCapabilities("shopify", rc.StorefrontKind.CART, supports_store_credit=True)
        ),
        "magento": FakeStorefront(rc.StorefrontCapabilities("magento", rc.StorefrontKind.CART)),
    }
    for run_pass in demo_passes(world, fake, storefronts, MemoryJournal()):
        run_pass()
    issued: dict[str, list[rc.Action]] = {
        name: [*storefront.refunds, *storefront.store_credits]
        for name, storefront in storefronts.items()
    }
    return fake.snapshot, issued


@pytest.fixture(scope="module")
def over_http(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoWorld, object]:
    """The world synced once through the real adapters over loopback HTTP."""
    world = build_world()
    standins = build_standins(world, internal_id_for=_ns_id)
    folder: Path = tmp_path_factory.mktemp("e2e")
    with serving(standins):
        path = folder / "refund-sync.toml"
        path.write_text(config_text(world, standins.urls), encoding="utf-8")
        config = load_config(path)
        for account_id in ACCOUNTS:
            sync_accounts(
                config,
                registry=default_registry(),
                environ=SECRETS,
                stderr=io.StringIO(),
                dry_run=False,
                account_id=account_id,
                tty=False,
            )
    return world, standins


def _comparable(snapshot: rc.LedgerSnapshot) -> rc.LedgerSnapshot:
    """Records sorted by ID; times cut to the day (NetSuite's tranDate is a date)."""

    def day(record: object) -> object:
        created = getattr(record, "created_at", None)
        if isinstance(created, datetime):
            return attrs.evolve(record, created_at=created.replace(hour=0, minute=0, second=0))
        return record

    families = {
        family: tuple(day(r) for r in getattr(snapshot, family))
        for family in (
            "credit_memos",
            "cash_refunds",
            "customer_refunds",
            "deposits",
            "payments",
        )
    }
    return normalized(attrs.evolve(snapshot, **families))


def test_netsuite_ends_as_the_in_memory_reference_ends(over_http: tuple[DemoWorld, object]) -> None:
    """Every STC and NSC record written over HTTP equals the reference's, field for field."""
    world, standins = over_http
    expected, _ = _reference(world)
    actual = standins.netsuite.snapshot()  # type: ignore[attr-defined]
    assert _comparable(actual) == _comparable(expected)


def test_the_storefronts_were_asked_for_what_the_reference_issued(
    over_http: tuple[DemoWorld, object],
) -> None:
    """Shopify got the refund and the store credit, Magento both credit memos (NSC-7, NSC-8)."""
    world, standins = over_http
    _, issued = _reference(world)
    shopify_notes = [r.note or "" for r in standins.shopify.refunds()]  # type: ignore[attr-defined]
    for action in issued["shopify"]:
        assert any(action.external_id in note for note in shopify_notes), action.external_id
    magento = standins.magento.credit_memos_of("000000400")  # type: ignore[attr-defined]
    comments = " ".join(c for memo in magento for c in memo.comments)
    for action in issued["magento"]:
        assert action.external_id in comments, action.external_id
    assert len(magento) == len(issued["magento"]) == 2
    assert len(shopify_notes) == len(issued["shopify"]) == 2
