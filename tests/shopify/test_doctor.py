"""refund-sync doctor for Shopify: holds on the stand-in as it is, fails where a shop differs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from refund_adapters._doctor import Check, Verdict
from refund_adapters.shopify import API_VERSION, ShopifyAdminClient, ShopifyDoctor, ShopifyStandIn
from refund_adapters.shopify._queries import DOCTOR
from refund_adapters.shopify._standin import published_versions
from tests.contracts._run import run
from tests.shopify.factories import FakeClock, client, standin


def _doctor(
    shop: ShopifyStandIn,
    clock: FakeClock,
    *,
    writes: bool = True,
    asked: tuple[str, ...] = ("the storefront's store_credit",),
    **options: Any,
) -> dict[str, Check]:
    doctor = ShopifyDoctor(
        client(shop, clock=clock, **options), writes=writes, store_credit_asked_by=asked
    )
    return {check.name: check for check in run(doctor.run())}


def _shop(**options: Any) -> tuple[ShopifyStandIn, FakeClock]:
    clock = FakeClock()
    return standin(clock, **options), clock


def test_the_doctor_passes_on_the_stand_in_as_it_is() -> None:
    """On 2026-03-10 (the stand-in's clock) 2026-01 is supported; scopes and accounts fit."""
    shop, clock = _shop()
    checks = _doctor(shop, clock)
    assert list(checks) == ["credentials", "api-version", "access-scopes", "store-credit"]
    assert {c.verdict for c in checks.values()} == {Verdict.HOLDS}
    assert "X-Shopify-API-Version 2026-01" in checks["api-version"].evidence
    assert "until 2027-01-01" in checks["api-version"].evidence
    assert shop.write_count() == 0
    assert all(not d.lstrip().startswith("mutation") for d in shop.documents)  # read-only


def test_a_version_shopify_no_longer_supports_fails() -> None:
    """A year later 2026-01 is gone: the answer falls forward and the listing omits it."""
    shop, clock = _shop(now=lambda: datetime(2027, 3, 10, tzinfo=UTC))
    check = _doctor(shop, clock)["api-version"]
    assert check.failed
    assert "fell forward" in check.evidence
    assert "X-Shopify-API-Version 2026-04" in check.evidence


def test_a_version_listed_as_unsupported_fails() -> None:
    """A shop whose listing marks the pinned version unsupported, even if it still answers."""
    listing = [(API_VERSION, False), ("2026-04", True), ("unstable", False)]
    shop, clock = _shop(api_versions=listing)
    check = _doctor(shop, clock)["api-version"]
    assert check.failed
    assert "listed as unsupported" in check.evidence


def test_a_missing_write_scope_fails_a_storefront_only() -> None:
    """read_orders alone: enough for a refund source, not for a storefront that refunds."""
    shop, clock = _shop(access_scopes=("read_orders",))
    storefront = _doctor(shop, clock)["access-scopes"]
    assert storefront.failed
    assert "missing: write_orders" in storefront.evidence
    source = _doctor(shop, clock, writes=False, asked=())["access-scopes"]
    assert source.verdict is Verdict.HOLDS


def test_a_write_scope_includes_its_read_scope() -> None:
    """write_orders granted alone covers read_orders, as Shopify's own library counts it."""
    shop, clock = _shop(access_scopes=("write_orders",))
    assert _doctor(shop, clock)["access-scopes"].verdict is Verdict.HOLDS


def test_store_credit_asked_of_a_shop_on_classic_accounts_fails() -> None:
    """Store credit refunds need new customer accounts; this shop uses classic ones."""
    shop, clock = _shop(store_credit=False)
    check = _doctor(shop, clock)["store-credit"]
    assert check.failed
    assert "CLASSIC" in check.evidence
    assert "store credit" in check.assumption


def test_store_credit_is_not_checked_when_nothing_asks_for_it() -> None:
    """An account that never refunds to store credit does not care about customer accounts."""
    shop, clock = _shop(store_credit=False)
    assert "store-credit" not in _doctor(shop, clock, asked=())


def test_a_refused_token_fails_the_credentials_only() -> None:
    """A token the shop does not know: one check, failed."""
    shop, clock = _shop()
    admin = ShopifyAdminClient(
        shop="test-shop",
        access_token="shpat_not_this_shops",
        base_url="https://test-shop.myshopify.com",
        client_factory=lambda: httpx.AsyncClient(transport=shop.transport()),
        sleep=clock.sleep,
        clock=clock,
    )
    checks = run(ShopifyDoctor(admin, writes=True).run())
    assert [c.name for c in checks] == ["credentials"]
    assert checks[0].failed
    assert "401" in checks[0].evidence


def test_the_client_warns_once_when_shopify_falls_forward(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Any operation answered with another version is logged, and the version kept."""
    shop, clock = _shop(now=lambda: datetime(2027, 3, 10, tzinfo=UTC))
    admin = client(shop, clock=clock)
    with caplog.at_level(logging.WARNING, logger="refund_sync.shopify"):
        for _ in range(2):
            run(admin.execute(DOCTOR, {}, operation="RefundSyncDoctor"))
    assert admin.served_version == "2026-04"
    assert [r.getMessage() for r in caplog.records].count(
        "shopify: asked for API version 2026-01, answered with 2026-04: Shopify no longer "
        "supports 2026-01 (run refund-sync doctor)"
    ) == 1


@pytest.mark.parametrize(
    ("moment", "supported", "candidate"),
    [
        (
            datetime(2026, 3, 10, tzinfo=UTC),
            ["2025-04", "2025-07", "2025-10", "2026-01"],
            "2026-04",
        ),
        (
            datetime(2026, 4, 1, 16, 59, tzinfo=UTC),
            ["2025-04", "2025-07", "2025-10", "2026-01"],
            "2026-04",
        ),
        (
            datetime(2026, 4, 1, 17, 0, tzinfo=UTC),
            ["2025-07", "2025-10", "2026-01", "2026-04"],
            "2026-07",
        ),
        (
            datetime(2026, 12, 31, tzinfo=UTC),
            ["2026-01", "2026-04", "2026-07", "2026-10"],
            "2027-01",
        ),
    ],
)
def test_published_versions_follow_shopifys_schedule(
    moment: datetime, supported: list[str], candidate: str
) -> None:
    """A stable version each quarter at 17:00 UTC, supported 12 months; then the RC, unstable."""
    assert published_versions(moment) == (
        *((handle, True) for handle in supported),
        (candidate, False),
        ("unstable", False),
    )
