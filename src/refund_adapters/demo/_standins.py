"""The demo's stand-ins: NetSuite, two Stripe accounts, Amazon, two Shopify shops and Magento.

Each is seeded from :func:`~refund_adapters.demo.build_world` and credentials kept as a
deployment keeps them (in environment variables, :data:`SECRETS`); :func:`serving` serves them
all on 127.0.0.1 for the length of a block.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime

import attrs

import refund_core as rc

from .. import amazon, magento, netsuite, shopify, stripe
from .._oauth1 import OAuth1Credentials
from ._world import MAGENTO_ORDER, SHOPIFY_CUSTOMER, SHOPIFY_ORDER, TAX_CODE, TAX_RATE, DemoWorld

__all__ = [
    "AMAZON_CLIENT_ID",
    "NETSUITE_ACCOUNT",
    "NETSUITE_CURRENCIES",
    "PASSES",
    "SECRETS",
    "SHOPIFY_EU_SHOP",
    "SHOPIFY_SHOP",
    "UNDEPOSITED_FUNDS",
    "StandIns",
    "build_standins",
    "serving",
]

#: The NetSuite sandbox account the stand-in pretends to be (TBA realm 123456_SB1).
NETSUITE_ACCOUNT = "123456_SB1"
#: The internal ID of its Undeposited Funds account (STC-12).
UNDEPOSITED_FUNDS = "uf-1"
#: The demo account's currencies and their internal IDs (the stand-in numbers them in this
#: order); the NetSuite ledger is configured with the same map.
NETSUITE_CURRENCIES: Mapping[str, str] = {"USD": "1", "JPY": "2", "EUR": "3"}

#: The demo's credentials, as a deployment would keep them: in environment variables.
SECRETS: Mapping[str, str] = {
    "DEMO_NS_CONSUMER_KEY": "demo-consumer-key",
    "DEMO_NS_CONSUMER_SECRET": "demo-consumer-secret",
    "DEMO_NS_TOKEN_ID": "demo-token-id",
    "DEMO_NS_TOKEN_SECRET": "demo-token-secret",
    "DEMO_STRIPE_US_KEY": "sk_test_demo_us_0000000000000000000000",
    "DEMO_STRIPE_JP_KEY": "sk_test_demo_jp_0000000000000000000000",
    "DEMO_AMAZON_CLIENT_SECRET": "demo-lwa-client-secret",
    "DEMO_AMAZON_REFRESH_TOKEN": "Atzr|demo-refresh-token",
    "DEMO_SHOPIFY_TOKEN": "shpat_demo_token",
    "DEMO_SHOPIFY_EU_TOKEN": "shpat_demo_eu_token",
    "DEMO_MAGENTO_TOKEN": "demo-magento-integration-token",
}
AMAZON_CLIENT_ID = "amzn1.application-oa2-client.demo"
SHOPIFY_SHOP = "demo-shop.myshopify.com"
SHOPIFY_EU_SHOP = "demo-eu.myshopify.com"
#: The day the demo's Shopify answers as of (which API versions it supports).
_SHOPIFY_DAY = datetime(2026, 3, 1, tzinfo=UTC)

#: What each account syncs, in the order the demo runs them.
PASSES: tuple[tuple[str, str], ...] = (
    ("stripe-us", "Stripe refunds and payouts -> NetSuite (Stripe Connector, USD)"),
    ("stripe-jp", "Stripe refunds and payouts -> NetSuite (Stripe Connector, JPY)"),
    ("amazon-us", "Amazon refunds -> NetSuite (NetSuite Connector, incoming)"),
    (
        "shopify-eu",
        "Shopify refunds -> NetSuite (NetSuite Connector, incoming: a cart, allowed with a "
        "warning)",
    ),
    ("shopify-us", "NetSuite refunds -> Shopify (NetSuite Connector, outgoing)"),
    ("magento-us", "NetSuite refunds -> Magento (NetSuite Connector, outgoing)"),
)


@attrs.define
class StandIns:
    """The running stand-ins and the base URL of each."""

    netsuite: netsuite.NetSuiteStandIn
    stripe_us: stripe.StripeStandIn
    stripe_jp: stripe.StripeStandIn
    amazon: amazon.AmazonStandIn
    shopify_eu: shopify.ShopifyStandIn  # before the field that shadows the module's name
    shopify: shopify.ShopifyStandIn
    magento: magento.MagentoStandIn
    urls: dict[str, str] = attrs.field(factory=dict)


def _stripe(
    events: tuple[rc.SourceEvent, ...], payouts: tuple[rc.Payout, ...], key: str, currency: str
) -> stripe.StripeStandIn:
    standin = stripe.StripeStandIn.from_events(events, api_key=key, default_currency=currency)
    standin.seed_payouts(payouts)
    return standin


def _shopify_versions() -> tuple[tuple[str, bool], ...]:
    """The versions Shopify served on the demo world's day.

    So the demo keeps running after the pinned version retires (the doctor then fails a real
    shop, as it must).
    """
    from ..shopify._standin import published_versions  # noqa: PLC0415 - needs graphql-core

    return published_versions(_SHOPIFY_DAY)


def _shopify() -> shopify.ShopifyStandIn:
    standin = shopify.ShopifyStandIn(
        shop=SHOPIFY_SHOP,
        access_token=SECRETS["DEMO_SHOPIFY_TOKEN"],
        api_versions=_shopify_versions(),
    )
    standin.add_order(
        SHOPIFY_ORDER,
        lines=[("11001", "JACKET", 1, "60.00"), ("11002", "SCARF", 1, "40.00")],
        payments=[("shopify_payments", "80.00"), ("gift_card", "20.00")],
        customer_id=SHOPIFY_CUSTOMER,
    )
    return standin


def _magento() -> magento.MagentoStandIn:
    standin = magento.MagentoStandIn(bearer_tokens=[SECRETS["DEMO_MAGENTO_TOKEN"]])
    standin.add_order(
        MAGENTO_ORDER,
        [magento.SeedItem("MUG-01", "12.50", qty=2), magento.SeedItem("TEE-01", "35.00")],
    )
    return standin


def build_standins(
    world: DemoWorld, *, internal_id_for: Callable[[str], str] | None = None
) -> StandIns:
    """Every stand-in, seeded with ``world`` (not yet serving).

    ``internal_id_for`` names the records NetSuite creates after their external IDs (tests
    compare with the in-memory ledger that way); by default NetSuite numbers them itself.
    """
    auth = netsuite.NetSuiteAuthServer(NETSUITE_ACCOUNT)
    auth.register_tba(
        OAuth1Credentials(
            SECRETS["DEMO_NS_CONSUMER_KEY"],
            SECRETS["DEMO_NS_CONSUMER_SECRET"],
            SECRETS["DEMO_NS_TOKEN_ID"],
            SECRETS["DEMO_NS_TOKEN_SECRET"],
        )
    )
    return StandIns(
        netsuite=netsuite.NetSuiteStandIn.from_snapshot(
            world.ledger,
            auth=auth,
            currencies=tuple(NETSUITE_CURRENCIES),
            undeposited_funds_account=UNDEPOSITED_FUNDS,
            internal_id_for=internal_id_for,
            tax_codes=(netsuite.SalesTax(TAX_CODE, TAX_RATE),),
        ),
        stripe_us=_stripe(world.stripe_events, world.payouts, SECRETS["DEMO_STRIPE_US_KEY"], "usd"),
        stripe_jp=_stripe(
            world.stripe_jp_events, world.stripe_jp_payouts, SECRETS["DEMO_STRIPE_JP_KEY"], "jpy"
        ),
        amazon=amazon.AmazonStandIn.from_events(
            world.amazon_events,
            client_id=AMAZON_CLIENT_ID,
            client_secret=SECRETS["DEMO_AMAZON_CLIENT_SECRET"],
            refresh_token=SECRETS["DEMO_AMAZON_REFRESH_TOKEN"],
        ),
        shopify=_shopify(),
        magento=_magento(),
        shopify_eu=shopify.ShopifyStandIn.from_events(
            world.shopify_in_events,
            shop=SHOPIFY_EU_SHOP,
            access_token=SECRETS["DEMO_SHOPIFY_EU_TOKEN"],
            api_versions=_shopify_versions(),
        ),
    )


@contextlib.contextmanager
def serving(standins: StandIns) -> Iterator[StandIns]:
    """Serve every stand-in on 127.0.0.1 while the block runs; ``urls`` names their bases."""
    with contextlib.ExitStack() as stack:
        for name in (
            "netsuite",
            "stripe_us",
            "stripe_jp",
            "amazon",
            "shopify",
            "magento",
            "shopify_eu",
        ):
            server = stack.enter_context(getattr(standins, name).serve())
            standins.urls[name] = server.base_url
        yield standins
        standins.urls.clear()
