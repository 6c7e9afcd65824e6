"""The default registry builds every shipped adapter from its refund-sync.toml table."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import refund_core as rc
from refund_adapters import amazon, magento, netsuite, shopify, stripe
from refund_adapters.cli import default_registry
from refund_adapters.wiring import AccountConfig, AdapterConfig, BuildContext, parse_config

ENV = {
    "STRIPE_KEY": "sk_test_registry_0000000000000000",
    "NS_CK": "secret-value-ns-consumer-key",
    "NS_CS": "secret-value-ns-consumer-secret",
    "NS_TID": "secret-value-ns-token-id",
    "NS_TS": "secret-value-ns-token-secret",
    "SHOPIFY_TOKEN": "shpat_secret_value",
    "MAGENTO_TOKEN": "secret-value-magento-token",
    "LWA_SECRET": "secret-value-lwa",
    "LWA_REFRESH": "Atzr|secret-value-refresh",
}

TABLES: dict[tuple[str, str], dict[str, Any]] = {
    ("source", "stripe"): {"adapter": "stripe", "secret_key_env": "STRIPE_KEY"},
    ("payouts", "stripe"): {"adapter": "stripe", "secret_key_env": "STRIPE_KEY"},
    ("ledger", "netsuite"): {
        "adapter": "netsuite",
        "account_id": "123456_SB1",
        "undeposited_funds_account": "118",
        "currencies": {"USD": "1", "EUR": "4"},
        "consumer_key_env": "NS_CK",
        "consumer_secret_env": "NS_CS",
        "token_id_env": "NS_TID",
        "token_secret_env": "NS_TS",
    },
    ("source", "shopify"): {
        "adapter": "shopify",
        "shop": "acme.myshopify.com",
        "access_token_env": "SHOPIFY_TOKEN",
    },
    ("storefront", "shopify"): {
        "adapter": "shopify",
        "shop": "acme.myshopify.com",
        "access_token_env": "SHOPIFY_TOKEN",
        "store_credit": True,
    },
    ("storefront", "magento"): {
        "adapter": "magento",
        "base_url": "https://shop.example.com",
        "token_env": "MAGENTO_TOKEN",
    },
    ("source", "amazon"): {
        "adapter": "amazon",
        "client_id": "amzn1.application-oa2-client.x",
        "client_secret_env": "LWA_SECRET",
        "refresh_token_env": "LWA_REFRESH",
        "region": "eu",
    },
}

EXPECTED: dict[tuple[str, str], type[Any]] = {
    ("source", "stripe"): stripe.StripeRefundSource,
    ("payouts", "stripe"): stripe.StripePayoutSource,
    ("ledger", "netsuite"): netsuite.NetSuiteLedger,
    ("source", "shopify"): shopify.ShopifyRefundSource,
    ("storefront", "shopify"): shopify.ShopifyStorefront,
    ("storefront", "magento"): magento.MagentoStorefront,
    ("source", "amazon"): amazon.AmazonRefundSource,
}


def _account() -> AccountConfig:
    document = {
        "accounts": [
            {
                "id": "acct",
                "policy": "netsuite_connector",
                "direction": "incoming",
                "start": "2026-01-01T00:00:00Z",
                "channel": {"name": "amazon", "kind": "marketplace"},
            }
        ]
    }
    return parse_config(document, Path("refund-sync.toml")).accounts[0]


def _build(role: str, table: Mapping[str, Any], environ: Mapping[str, str]) -> Any:
    config_table = {k: v for k, v in table.items() if k != "adapter"}
    config = AdapterConfig(
        adapter=table["adapter"],
        where=f"accounts[0].{role}",
        options={k: v for k, v in config_table.items() if not k.endswith("_env")},
        secret_envs={
            k.removesuffix("_env"): v for k, v in config_table.items() if k.endswith("_env")
        },
    )

    async def inside_a_loop() -> Any:
        context = BuildContext(account=_account())
        try:
            return default_registry().build(role, config, environ, context)
        finally:
            await context.clients.aclose()

    return asyncio.run(inside_a_loop())


@pytest.mark.parametrize(("role", "name"), sorted(TABLES), ids=str)
def test_every_shipped_adapter_builds_from_its_table(role: str, name: str) -> None:
    """Each adapter the registry names builds from a table with secrets from the environment."""
    built = _build(role, TABLES[(role, name)], ENV)
    assert isinstance(built, EXPECTED[(role, name)])


@pytest.mark.parametrize(("role", "name"), sorted(TABLES), ids=str)
def test_a_missing_secret_names_its_variable_and_never_a_value(role: str, name: str) -> None:
    """Without the environment variable a secret names, the error says which variable."""
    table = TABLES[(role, name)]
    variable = next(v for k, v in table.items() if k.endswith("_env"))
    environ = {k: v for k, v in ENV.items() if k != variable}
    with pytest.raises(rc.ConfigurationError, match=variable) as caught:
        _build(role, table, environ)
    assert all(secret not in str(caught.value) for secret in ENV.values())


def test_netsuite_needs_its_undeposited_funds_account() -> None:
    """The NetSuite ledger refuses to build without the Undeposited Funds account (STC-12)."""
    table = dict(TABLES[("ledger", "netsuite")])
    del table["undeposited_funds_account"]
    with pytest.raises(rc.ConfigurationError, match="undeposited_funds_account"):
        _build("ledger", table, ENV)


def test_netsuite_takes_its_tax_codes_and_rounding_from_the_table() -> None:
    """Tax code rates come as exact text; a float or an unknown rounding is refused (TAX-1)."""
    table = {
        **TABLES[("ledger", "netsuite")],
        "tax_codes": {"-8": "8.25"},
        "tax_rounding": "round_down",
    }
    ledger = _build("ledger", table, ENV)
    assert ledger.tax_codes == {"-8": Decimal("8.25")}
    assert ledger.tax_rounding is rc.TaxRounding.ROUND_DOWN
    with pytest.raises(rc.ConfigurationError, match=r"tax_codes\.-8"):
        _build("ledger", {**table, "tax_codes": {"-8": 8.25}}, ENV)
    with pytest.raises(rc.ConfigurationError, match="tax_rounding"):
        _build("ledger", {**table, "tax_rounding": "bankers"}, ENV)


def test_an_unknown_amazon_region_is_a_configuration_error() -> None:
    """A region Amazon does not have is refused with the table's path."""
    table = {**TABLES[("source", "amazon")], "region": "moon"}
    with pytest.raises(rc.ConfigurationError, match=r"accounts\[0\]\.source"):
        _build("source", table, ENV)


def test_the_registry_names_every_role_of_every_shipped_adapter() -> None:
    """Stripe, NetSuite, Shopify, Magento and Amazon are all registered for their roles."""
    registry = default_registry()
    assert registry.names("source") == ("amazon", "shopify", "stripe")
    assert registry.names("payouts") == ("stripe",)
    assert registry.names("ledger") == ("netsuite",)
    assert registry.names("storefront") == ("magento", "shopify")


def test_an_unknown_restock_type_is_a_configuration_error() -> None:
    """A Shopify restock type Shopify does not accept is refused naming the choices."""
    table = {**TABLES[("storefront", "shopify")], "restock_type": "SOMETIMES"}
    with pytest.raises(rc.ConfigurationError, match="NO_RESTOCK"):
        _build("storefront", table, ENV)


def test_a_stripe_mode_other_than_live_or_test_is_a_configuration_error() -> None:
    """The key's mode the doctor expects is live or test; anything else is refused early."""
    table = {**TABLES[("source", "stripe")], "mode": "production"}
    with pytest.raises(rc.ConfigurationError, match=r"source\.mode: 'production' is not one of"):
        _build("source", table, ENV)


def test_amazon_refund_transaction_types_reach_the_source() -> None:
    """The types the doctor may tell an account to add are read from the table."""
    table = {**TABLES[("source", "amazon")], "refund_transaction_types": ["Refund", "RefundOrder"]}
    built = _build("source", table, ENV)
    assert built.refund_transaction_types == frozenset({"Refund", "RefundOrder"})
    assert _build("source", TABLES[("source", "amazon")], ENV).refund_transaction_types == {
        "Refund"
    }
    with pytest.raises(rc.ConfigurationError, match="refund_transaction_types"):
        _build("source", {**table, "refund_transaction_types": []}, ENV)
