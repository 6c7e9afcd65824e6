"""What the adapters assume about one account, checked (read-only) before its first write.

:func:`account_checks` asks every adapter of the account that has a doctor (NetSuite, Stripe,
Shopify, Magento, Amazon) for its checks; ``refund-sync doctor`` prints them. :func:`gate` runs
them before the first sync of an account, and again whenever the library's version differs from
the one that last passed them (or the last verdict was a failure). The verdict and the version
are kept beside the account's journal, in ``<journal dir>/<account id>.doctor.json``; a failure
stops the account before any write, naming the failed assumptions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import refund_core as rc
from refund_adapters import __version__

from .. import amazon, magento, netsuite, shopify, stripe
from .._doctor import Check, DoctorReport
from ._builders import stripe_mode
from ._config import AccountConfig, SyncConfig

__all__ = ["DoctorFailedError", "account_checks", "gate", "verdict_path"]


class DoctorFailedError(rc.ConfigurationError):
    """An account's checks failed: nothing is written for it until they pass."""


async def account_checks(account: AccountConfig, built: Mapping[str, Any]) -> tuple[Check, ...]:
    """The checks of every adapter of the account that has a doctor, one doctor per vendor.

    Adapters of one vendor that share an account (Stripe's refunds and payouts, a shop's
    refunds read and written) are checked once, for everything the account does with them.
    """
    settings = account.account.settings
    ledger = built.get("ledger")
    checks: list[Check] = []
    if isinstance(ledger, netsuite.NetSuiteLedger):
        checks.extend(
            await netsuite.NetSuiteDoctor(
                ledger.client,
                undeposited_funds_account=ledger.undeposited_funds_account,
                currencies=ledger.currencies,
                settings=settings,
            ).run()
        )
    currencies = ledger.currencies if isinstance(ledger, netsuite.NetSuiteLedger) else None
    stripes = [
        (role, adapter)
        for role, adapter in built.items()
        if isinstance(adapter, stripe.StripeRefundSource | stripe.StripePayoutSource)
    ]
    if stripes:
        role, adapter = stripes[0]
        checks.extend(
            await stripe.StripeDoctor(
                adapter.client,
                expected_mode=stripe_mode(account.adapters[role]),
                ledger_currencies=currencies,
            ).run()
        )
    checks.extend(await _shopify_checks(account, built))
    for adapter in built.values():
        if isinstance(adapter, magento.MagentoStorefront):
            checks.extend(await magento.MagentoDoctor(adapter).run())
        elif isinstance(adapter, amazon.AmazonRefundSource):
            checks.extend(await amazon.AmazonDoctor(adapter).run())
    return tuple(checks)


async def _shopify_checks(account: AccountConfig, built: Mapping[str, Any]) -> list[Check]:
    """One doctor per shop: the storefront's client when the account writes to it."""
    by_shop: dict[str, list[Any]] = {}
    for adapter in built.values():
        if isinstance(adapter, shopify.ShopifyRefundSource | shopify.ShopifyStorefront):
            by_shop.setdefault(adapter.client.shop, []).append(adapter)
    checks: list[Check] = []
    for adapters in by_shop.values():
        storefronts = [a for a in adapters if isinstance(a, shopify.ShopifyStorefront)]
        asked: list[str] = []
        if storefronts and storefronts[0].store_credit:
            asked.append("the storefront's store_credit")
        if storefronts and account.account.settings.gift_card_as_store_credit:
            asked.append("the account's gift_card_as_store_credit")
        client = (storefronts or adapters)[0].client
        checks.extend(
            await shopify.ShopifyDoctor(
                client, writes=bool(storefronts), store_credit_asked_by=asked
            ).run()
        )
    return checks


def verdict_path(config: SyncConfig, account: AccountConfig) -> Path:
    """Where the account's last doctor verdict is kept (beside its journal)."""
    return config.journal_path(account).with_suffix(".doctor.json")


def _passed_for_this_version(path: Path) -> bool:
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(kept, dict) and kept.get("ok") is True and kept.get("version") == __version__


async def gate(config: SyncConfig, account: AccountConfig, built: Mapping[str, Any]) -> None:
    """Run the checks unless they passed for this version; raise when one fails."""
    path = verdict_path(config, account)
    if _passed_for_this_version(path):
        return
    found: tuple[Check, ...] = await account_checks(account, built)
    report = DoctorReport(account.account.account_id, __version__, found)
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = {
        "version": __version__,
        "ok": report.ok,
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "failed": [check.name for check in report.failed],
    }
    path.write_text(json.dumps(kept, indent=2) + "\n", encoding="utf-8")
    if not report.ok:
        names = "; ".join(f"{c.vendor} {c.name}: {c.evidence}" for c in report.failed)
        raise DoctorFailedError(
            f"{account.account.account_id}: nothing synced, the account contradicts what the "
            f"adapters assume ({names}); run refund-sync doctor --account "
            f"{account.account.account_id} for details"
        )
