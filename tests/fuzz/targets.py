"""What the fuzz session attacks: the adapters' reading of vendor answers, files and webhooks.

HTTP targets (:data:`HTTP_TARGETS`) are the adapters' real calls over realistic data: the Stripe
refund and payout sources, the Shopify refund source and storefront (refund and store credit),
the Magento storefront (a credit memo), the Amazon refund source on both Finances versions (the
demo world's), and the NetSuite ledger's reads (the batched load, the unsynced-refund listing,
the external-ID lookup, over the NetSuite tests' richest snapshot). Each is recorded once
against its stand-in, then replayed with mutated answers. Other targets (:data:`PLAIN_TARGETS`)
take a mutated document directly: the scenario reader, the configuration reader, and the Stripe
and Shopify webhook verifiers, whose bodies are signed *after* mutation so verification passes
and the parsing behind it is what is attacked.

Plugging in another adapter is one more :class:`~._harness.Target`: a stand-in transport and an
``async call(transport, sleeper)`` that builds the adapter on that transport and consumes it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import io
import json
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import httpx

import refund_core as rc
from refund_adapters import amazon, cli, magento, shopify, stripe
from refund_adapters._http import RetryPolicy
from refund_adapters._pacing import RatePacer
from refund_adapters.demo import (
    MAGENTO_ORDER,
    SHOPIFY_CUSTOMER,
    SHOPIFY_ORDER,
    build_world,
)
from refund_adapters.netsuite import NetSuiteClient, NetSuiteLedger, NetSuiteStandIn
from refund_adapters.wiring import _config
from tests.netsuite.factories import BASE_URL as NETSUITE_URL
from tests.netsuite.factories import everything, rich_snapshot

from ._harness import NotApplicable, Runaway, Sleeper, Target

__all__ = ["HTTP_TARGETS", "PLAIN_TARGETS", "PlainTarget"]

ROOT = Path(__file__).resolve().parents[2]
WORLD = build_world()
#: Later than every event of the demo world, so every listing holds all of them.
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SINCE = datetime(2025, 6, 1, tzinfo=UTC)
#: Pages one listing call may take before it counts as a runaway loop.
MAX_PAGES = 200


async def _all_pages(list_page: Callable[..., Any], **kwargs: Any) -> list[Any]:
    items: list[Any] = []
    token: str | None = None
    for _ in range(MAX_PAGES):
        page = await list_page(page_token=token, **kwargs)
        items.extend(page.items)
        if page.next_token is None:
            return items
        token = page.next_token
    raise Runaway(f"more than {MAX_PAGES} pages")


# -- Stripe -------------------------------------------------------------------------------------

_STRIPE_KEY = "sk_test_fuzz"


def _stripe_standin() -> httpx.AsyncBaseTransport:
    standin = stripe.StripeStandIn.from_events(WORLD.stripe_events, api_key=_STRIPE_KEY)
    standin.seed_payouts(WORLD.payouts)
    return standin.transport()


def _stripe_client(transport: httpx.AsyncBaseTransport, sleeper: Sleeper) -> stripe.StripeClient:
    return stripe.StripeClient(
        httpx.AsyncClient(transport=transport), _STRIPE_KEY, sleep=sleeper.sleep
    )


async def _stripe_refunds(transport: httpx.AsyncBaseTransport, sleeper: Sleeper) -> None:
    source = stripe.StripeRefundSource(_stripe_client(transport, sleeper))
    events = await _all_pages(source.list_events, since=SINCE, limit=3)
    refund = next(e for e in events if isinstance(e, rc.RefundEvent))
    await source.refund(refund.refund_id)


async def _stripe_payouts(transport: httpx.AsyncBaseTransport, sleeper: Sleeper) -> None:
    source = stripe.StripePayoutSource(_stripe_client(transport, sleeper))
    await _all_pages(source.list_payouts, since=SINCE, limit=1)


# -- Shopify ------------------------------------------------------------------------------------

_SHOP = "fuzz-shop"
_SHOPIFY_TOKEN = "shpat_fuzz"


def _usd(amount: str) -> rc.Money:
    return rc.Money.of(amount, "USD")


_SHOPIFY_REFUNDS = (
    rc.RefundEvent(
        source="shopify",
        refund_id="9001",
        amount=_usd("45.00"),
        created_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        status=rc.RefundStatus.SUCCEEDED,
        order_ref="4001",
        lines=(rc.RefundLine("31", Decimal(1), _usd("40.00")),),
        shipping=_usd("5.00"),
    ),
    rc.RefundEvent(
        source="shopify",
        refund_id="9002",
        amount=_usd("20.00"),
        created_at=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
        status=rc.RefundStatus.SUCCEEDED,
        order_ref="4002",
    ),
)


def _shopify_source_standin() -> httpx.AsyncBaseTransport:
    standin = shopify.ShopifyStandIn.from_events(
        _SHOPIFY_REFUNDS,
        shop=_SHOP,
        access_token=_SHOPIFY_TOKEN,
        clock=time.monotonic,
        bucket_size=1e9,
        restore_rate=1e9,
    )
    return standin.transport()


def _shopify_client(transport: httpx.AsyncBaseTransport, sleeper: Sleeper) -> Any:
    return shopify.ShopifyAdminClient(
        shop=_SHOP,
        access_token=_SHOPIFY_TOKEN,
        http_client=httpx.AsyncClient(transport=transport),
        sleep=sleeper.sleep,
        clock=sleeper,
    )


async def _shopify_source(transport: httpx.AsyncBaseTransport, sleeper: Sleeper) -> None:
    source = shopify.ShopifyRefundSource(_shopify_client(transport, sleeper))
    await _all_pages(source.list_events, since=SINCE, limit=1)


def _outgoing_actions(record_id: str, capabilities: rc.StorefrontCapabilities) -> list[rc.Action]:
    settings = rc.RefundSettings(gift_card_as_store_credit=True)
    outcome = rc.decide_outgoing_refund(record_id, WORLD.ledger, settings, capabilities)
    assert isinstance(outcome, rc.Plan)
    return list(outcome.actions)


_SHOPIFY_CAPABILITIES = rc.StorefrontCapabilities(
    "shopify", rc.StorefrontKind.CART, supports_store_credit=True
)
_SHOPIFY_ACTIONS = _outgoing_actions("CM-300", _SHOPIFY_CAPABILITIES)


def _shopify_storefront_standin() -> httpx.AsyncBaseTransport:
    standin = shopify.ShopifyStandIn(
        shop=_SHOP,
        access_token=_SHOPIFY_TOKEN,
        clock=time.monotonic,
        bucket_size=1e9,
        restore_rate=1e9,
    )
    standin.add_order(
        SHOPIFY_ORDER,
        lines=[("11001", "JACKET", 1, "60.00"), ("11002", "SCARF", 1, "40.00")],
        payments=[("shopify_payments", "80.00"), ("gift_card", "20.00")],
        customer_id=SHOPIFY_CUSTOMER,
    )
    return standin.transport()


async def _shopify_refund(transport: httpx.AsyncBaseTransport, sleeper: Sleeper) -> None:
    storefront = shopify.ShopifyStorefront(_shopify_client(transport, sleeper), store_credit=True)
    for action in _SHOPIFY_ACTIONS:
        if isinstance(action, rc.IssueStorefrontRefund):
            await storefront.issue_refund(action)
        elif isinstance(action, rc.IssueStoreCredit):
            await storefront.issue_store_credit(action)


# -- Magento ------------------------------------------------------------------------------------

_MAGENTO_TOKEN = "magento-fuzz-token"
_MAGENTO_CAPABILITIES = magento.DEFAULT_CAPABILITIES
_MAGENTO_ACTIONS = [
    action
    for record in ("CM-400", "CM-401")
    for action in _outgoing_actions(record, _MAGENTO_CAPABILITIES)
    if isinstance(action, rc.IssueStorefrontRefund)
]


def _magento_standin() -> httpx.AsyncBaseTransport:
    standin = magento.MagentoStandIn(bearer_tokens=[_MAGENTO_TOKEN])
    standin.add_order(
        MAGENTO_ORDER,
        [magento.SeedItem("MUG-01", "12.50", qty=2), magento.SeedItem("TEE-01", "35.00")],
    )
    return standin.transport()


async def _magento_refund(transport: httpx.AsyncBaseTransport, sleeper: Sleeper) -> None:
    storefront = magento.MagentoStorefront(
        base_url="http://magento.fuzz",
        auth=magento.BearerToken(_MAGENTO_TOKEN),
        transport=transport,
        sleep=sleeper.sleep,
    )
    for action in _MAGENTO_ACTIONS:
        assert isinstance(action, rc.IssueStorefrontRefund)
        await storefront.issue_refund(action)


# -- Amazon -------------------------------------------------------------------------------------

_AMAZON = amazon.LwaCredentials(
    client_id="amzn1.application-oa2-client.fuzz",
    client_secret="fuzz-client-secret",
    refresh_token="Atzr|fuzz-refresh-token",
)


def _amazon_standin() -> httpx.AsyncBaseTransport:
    standin = amazon.AmazonStandIn.from_events(
        WORLD.amazon_events,
        client_id=_AMAZON.client_id,
        client_secret=_AMAZON.client_secret,
        refresh_token=_AMAZON.refresh_token,
        clock=lambda: NOW,
        enforce_rate_limits=False,
        transactions_page_size=2,
    )
    return standin.transport()


def _amazon_call(api: amazon.FinancesApi) -> Callable[..., Any]:
    async def call(transport: httpx.AsyncBaseTransport, sleeper: Sleeper) -> None:
        source = amazon.AmazonRefundSource(
            _AMAZON,
            api=api,
            clock=lambda: NOW,
            sleep=sleeper.sleep,
            pacer=RatePacer(0.5, 10, clock=sleeper, sleep=sleeper.sleep),
            policy=RetryPolicy(),
            max_results_per_page=2 if api is amazon.FinancesApi.V0 else 100,
            client_factory=lambda: httpx.AsyncClient(transport=transport),
        )
        await _all_pages(source.list_events, since=SINCE, limit=2)

    return call


# -- NetSuite (issue 10's strict adapter, fuzzed the same way) -----------------------------------

_NETSUITE_WORLD = rich_snapshot()
_NETSUITE_SEED = NetSuiteStandIn.from_snapshot(_NETSUITE_WORLD)


def _netsuite_standin() -> httpx.AsyncBaseTransport:
    return NetSuiteStandIn.from_snapshot(_NETSUITE_WORLD).transport()


async def _netsuite(transport: httpx.AsyncBaseTransport, sleeper: Sleeper) -> None:
    client = NetSuiteClient(
        lambda: httpx.AsyncClient(transport=transport),
        base_url=NETSUITE_URL,
        policy=RetryPolicy(),
        sleep=sleeper.sleep,
    )
    ledger = NetSuiteLedger(
        client,
        undeposited_funds_account=_NETSUITE_SEED.undeposited_funds_account,
        currencies=_NETSUITE_SEED.currency_ids,
        tax_codes=_NETSUITE_SEED.tax_rates,
        tax_rounding=_NETSUITE_SEED.tax_rounding,
    )
    await ledger.load(everything(_NETSUITE_WORLD))
    await _all_pages(ledger.list_unsynced_refunds, since=SINCE, limit=2)
    await ledger.find_by_external_id("rs-cm-000000000000000000000000")


HTTP_TARGETS: tuple[Target, ...] = (
    Target("stripe.refunds", _stripe_refunds, _stripe_standin),
    Target("stripe.payouts", _stripe_payouts, _stripe_standin),
    Target("shopify.refunds", _shopify_source, _shopify_source_standin),
    Target("shopify.storefront", _shopify_refund, _shopify_storefront_standin),
    Target("magento.storefront", _magento_refund, _magento_standin),
    Target("amazon.transactions", _amazon_call(amazon.FinancesApi.V2024_06_19), _amazon_standin),
    Target("amazon.financial_events", _amazon_call(amazon.FinancesApi.V0), _amazon_standin),
    Target("netsuite.ledger", _netsuite, _netsuite_standin),
)


# -- plain targets: a mutated document in, a typed error or a result out ------------------------


@attrs.frozen
class PlainTarget:
    """A reader fuzzed with mutated documents: ``seeds`` are valid ones, ``call`` takes bytes."""

    name: str
    seeds: tuple[Any, ...]
    call: Callable[[bytes], Any]


def _scenario_seeds() -> tuple[Any, ...]:
    files = sorted((ROOT / "examples").glob("*.json"))
    return tuple(json.loads(file.read_text(encoding="utf-8")) for file in files)


def _plan(body: bytes) -> None:
    """``refund-sync plan FILE`` on the bytes: exit 0 or 2, one error line, never a traceback."""
    with tempfile.TemporaryDirectory(prefix="refund-sync-fuzz-") as folder:
        path = Path(folder) / "scenario.json"
        path.write_bytes(body)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["plan", str(path)])
    if code not in (0, 2):
        raise AssertionError(f"refund-sync plan exited {code}: {err.getvalue()[:300]}")
    if "Traceback" in err.getvalue():
        raise AssertionError(f"refund-sync plan printed a traceback: {err.getvalue()[:300]}")


def _config_seeds() -> tuple[Any, ...]:
    return (
        {
            "journal": {"dir": ".refund-sync"},
            "engine": {"page_size": 50, "backoff_base_s": 0.5, "ledger_concurrency": 3},
            "accounts": [
                {
                    "id": "acme-stripe",
                    "policy": "stripe_connector",
                    "direction": "incoming",
                    "start": "2026-01-01T00:00:00Z",
                    "channel": {"name": "stripe", "kind": "marketplace"},
                    "settings": {"partial_refund_item": "PARTIAL-REFUND"},
                    "source": {"adapter": "stripe", "api_key_env": "STRIPE_SECRET_KEY"},
                    "payouts": {"adapter": "stripe", "api_key_env": "STRIPE_SECRET_KEY"},
                    "ledger": {
                        "adapter": "netsuite",
                        "account_id": "1234567_SB1",
                        "consumer_key_env": "NS_CONSUMER_KEY",
                    },
                },
                {
                    "id": "acme-shopify",
                    "policy": "netsuite_connector",
                    "direction": "outgoing",
                    "start": "2026-01-01T00:00:00Z",
                    "channel": {"name": "shopify", "kind": "cart"},
                    "settings": {"gift_card_as_store_credit": True},
                    "storefront": {"adapter": "shopify", "shop": "acme"},
                    "ledger": {"adapter": "netsuite", "account_id": "1234567_SB1"},
                },
            ],
        },
    )


def _read_config(body: bytes) -> None:
    # The TOML parser hands the reader JSON-like data (tables, arrays, scalars): fuzz that.
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise NotApplicable from None  # broken bytes are the TOML parser's to refuse
    _config.parse_config(data, Path("refund-sync.toml"))


_WEBHOOK_SECRET = "whsec_fuzz"


def _stripe_webhook_seeds() -> tuple[Any, ...]:
    refund = {
        "id": "re_1",
        "object": "refund",
        "amount": 1000,
        "currency": "usd",
        "created": 1767225600,
        "status": "failed",
        "charge": "ch_1",
        "failure_reason": "lost_or_stolen_card",
    }
    charge = {
        "id": "ch_2",
        "object": "charge",
        "amount": 5000,
        "currency": "usd",
        "created": 1767225600,
        "status": "failed",
        "failure_code": "insufficient_funds",
        "failure_balance_transaction": "txn_9",
        "payment_method_details": {"type": "us_bank_account"},
    }
    return (
        {"id": "evt_1", "type": "refund.failed", "created": 1767225700, "data": {"object": refund}},
        {
            "id": "evt_2",
            "type": "refund.updated",
            "created": 1767225700,
            "data": {"object": refund, "previous_attributes": {"status": "pending"}},
        },
        {"id": "evt_3", "type": "charge.failed", "created": 1767225700, "data": {"object": charge}},
    )


def _stripe_webhook(body: bytes) -> None:
    now = 1767225800
    signature = stripe.sign_payload(body, _WEBHOOK_SECRET, now)
    inbox = stripe.WebhookInbox([_WEBHOOK_SECRET])
    inbox.receive(body, f"t={now},v1={signature}", now=now)


def _shopify_webhook_seeds() -> tuple[Any, ...]:
    return (
        {
            "id": 9001,
            "order_id": 4001,
            "created_at": "2026-03-02T09:00:00-05:00",
            "admin_graphql_api_id": "gid://shopify/Refund/9001",
            "transactions": [{"id": 1, "amount": "45.00", "kind": "refund", "gateway": "bogus"}],
        },
    )


def _shopify_webhook(body: bytes) -> None:
    digest = hmac.new(_WEBHOOK_SECRET.encode(), body, hashlib.sha256).digest()
    headers = {
        "X-Shopify-Hmac-SHA256": base64.b64encode(digest).decode(),
        "X-Shopify-Topic": "refunds/create",
        "X-Shopify-Webhook-Id": "wh-1",
        "X-Shopify-Shop-Domain": "fuzz-shop.myshopify.com",
    }
    webhook = shopify.ShopifyWebhookVerifier([_WEBHOOK_SECRET]).verify(body, headers)
    _ = webhook.refund_id


PLAIN_TARGETS: tuple[PlainTarget, ...] = (
    PlainTarget("scenario", _scenario_seeds(), _plan),
    PlainTarget("config", _config_seeds(), _read_config),
    PlainTarget("stripe.webhook", _stripe_webhook_seeds(), _stripe_webhook),
    PlainTarget("shopify.webhook", _shopify_webhook_seeds(), _shopify_webhook),
)
