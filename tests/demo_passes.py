"""The demo world's passes over in-memory targets, in the order ``refund-sync demo`` runs them.

Shared by the tests that replay the demo without HTTP: the crash-injection test and the
in-memory reference of the end-to-end test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import refund_core as rc
from refund_adapters.demo import START, DemoWorld
from refund_adapters.engine import RunSummary, SyncEngine
from refund_core.testing import FakePayoutSource, FakeRefundSource

__all__ = ["demo_passes"]

_MARKETPLACE = rc.StorefrontKind.MARKETPLACE


def _incoming(account_id: str, name: str, settings: rc.RefundSettings) -> rc.ConnectorAccount:
    capabilities = rc.StorefrontCapabilities(name, _MARKETPLACE)
    return rc.ConnectorAccount(account_id, capabilities, [rc.Direction.INCOMING], settings)


def demo_passes(
    world: DemoWorld, ledger: object, storefronts: Mapping[str, object], journal: rc.Journal
) -> list[Callable[[], RunSummary]]:
    """Both Stripe accounts' refunds and payouts, Amazon's and the EU shop's, then storefronts.

    ``storefronts`` maps ``"shopify"`` and/or ``"magento"`` to the storefront their outgoing
    account sends to (its declared capabilities are the account's).
    """
    passes: list[Callable[[], RunSummary]] = []
    for account_id, events, payouts, settings in (
        ("stripe-us", world.stripe_events, world.payouts, world.stripe_settings),
        ("stripe-jp", world.stripe_jp_events, world.stripe_jp_payouts, world.stripe_jp_settings),
    ):
        stripe = SyncEngine(
            account=_incoming(account_id, "stripe", settings),
            policy=rc.Policy.STRIPE_CONNECTOR,
            source=FakeRefundSource("stripe", events),
            payouts=FakePayoutSource("stripe", payouts),
            ledger=ledger,  # type: ignore[arg-type]
            journal=journal,
        )
        passes += [lambda e=stripe: e.run(START), lambda e=stripe: e.run_payouts(START)]
    amazon = SyncEngine(
        account=_incoming("amazon-us", "amazon", world.amazon_settings),
        policy=rc.Policy.NETSUITE_CONNECTOR,
        source=FakeRefundSource("amazon", world.amazon_events),
        ledger=ledger,  # type: ignore[arg-type]
        journal=journal,
    )
    passes.append(lambda: amazon.run(START))
    shop_in = rc.StorefrontCapabilities(
        "shopify", rc.StorefrontKind.CART, supports_store_credit=True
    )
    shopify_in = SyncEngine(
        account=rc.ConnectorAccount(
            "shopify-eu", shop_in, [rc.Direction.INCOMING], world.shopify_in_settings
        ),
        policy=rc.Policy.NETSUITE_CONNECTOR,
        source=FakeRefundSource("shopify", world.shopify_in_events),
        ledger=ledger,  # type: ignore[arg-type]
        journal=journal,
    )
    passes.append(lambda: shopify_in.run(START))
    settings_of = {"shopify": world.shopify_settings, "magento": world.magento_settings}
    for name, storefront in storefronts.items():
        account = rc.ConnectorAccount(
            f"{name}-us",
            storefront.capabilities,  # type: ignore[attr-defined]
            [rc.Direction.OUTGOING],
            settings_of[name],
        )
        outgoing = SyncEngine(
            account=account,
            policy=rc.Policy.NETSUITE_CONNECTOR,
            storefront=storefront,  # type: ignore[arg-type]
            ledger=ledger,  # type: ignore[arg-type]
            journal=journal,
        )
        passes.append(lambda e=outgoing: e.run_outgoing(START))
    return passes
