"""The demo's ``refund-sync.toml``: six accounts, every adapter pointed at its stand-in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import refund_core as rc

from ._standins import (
    AMAZON_CLIENT_ID,
    NETSUITE_ACCOUNT,
    NETSUITE_CURRENCIES,
    SHOPIFY_EU_SHOP,
    SHOPIFY_SHOP,
    UNDEPOSITED_FUNDS,
)
from ._world import START, TAX_CODE, TAX_RATE, DemoWorld

__all__ = ["config_text"]


def _toml_value(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{key} = {_toml_value(v)}" for key, v in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _table(header: str, values: Mapping[str, Any]) -> list[str]:
    lines = [f"[{header}]"]
    lines += [f"{key} = {_toml_value(v)}" for key, v in values.items() if v is not None]
    return [*lines, ""]


def _settings(settings: rc.RefundSettings) -> dict[str, Any]:
    document: dict[str, Any] = rc.unstructure(settings)
    return {key: value for key, value in document.items() if value is not None}


def config_text(world: DemoWorld, urls: Mapping[str, str]) -> str:
    """The ``refund-sync.toml`` of the demo: six accounts, adapters pointed at the stand-ins."""
    ledger = {
        "adapter": "netsuite",
        "account_id": NETSUITE_ACCOUNT,
        "undeposited_funds_account": UNDEPOSITED_FUNDS,
        "currencies": NETSUITE_CURRENCIES,
        "tax_codes": {TAX_CODE: str(TAX_RATE)},
        "base_url": urls["netsuite"],
        "consumer_key_env": "DEMO_NS_CONSUMER_KEY",
        "consumer_secret_env": "DEMO_NS_CONSUMER_SECRET",
        "token_id_env": "DEMO_NS_TOKEN_ID",
        "token_secret_env": "DEMO_NS_TOKEN_SECRET",
    }
    start = START.isoformat().replace("+00:00", "Z")
    lines = [
        "# refund-sync.toml written by `refund-sync demo`: every adapter points at a local",
        "# stand-in on 127.0.0.1; secrets come from the environment variables named *_env.",
        "",
        *_table("journal", {"dir": "journals"}),
    ]

    def account(
        account_id: str,
        *,
        policy: rc.Policy,
        direction: rc.Direction,
        channel: str,
        settings: rc.RefundSettings,
        adapters: Mapping[str, Mapping[str, Any]],
    ) -> None:
        lines.extend(
            [
                "[[accounts]]",
                f'id = "{account_id}"',
                f'policy = "{policy.value}"',
                f'direction = "{direction.value}"',
                f'start = "{start}"',
                f"channel = {channel}",
                "",
                *_table("accounts.settings", _settings(settings)),
            ]
        )
        for role, table in adapters.items():
            lines.extend(_table(f"accounts.{role}", table))

    stripe_channel = '{ name = "stripe", kind = "marketplace" }'
    for account_id, events_settings, url, key_env in (
        ("stripe-us", world.stripe_settings, urls["stripe_us"], "DEMO_STRIPE_US_KEY"),
        ("stripe-jp", world.stripe_jp_settings, urls["stripe_jp"], "DEMO_STRIPE_JP_KEY"),
    ):
        stripe_table = {
            "adapter": "stripe",
            "secret_key_env": key_env,
            "mode": "test",  # the demo's keys are test keys
            "base_url": url,
        }
        account(
            account_id,
            policy=rc.Policy.STRIPE_CONNECTOR,
            direction=rc.Direction.INCOMING,
            channel=stripe_channel,
            settings=events_settings,
            adapters={"source": stripe_table, "payouts": stripe_table, "ledger": ledger},
        )
    account(
        "amazon-us",
        policy=rc.Policy.NETSUITE_CONNECTOR,
        direction=rc.Direction.INCOMING,
        channel='{ name = "amazon", kind = "marketplace" }',
        settings=world.amazon_settings,
        adapters={
            "source": {
                "adapter": "amazon",
                "client_id": AMAZON_CLIENT_ID,
                "client_secret_env": "DEMO_AMAZON_CLIENT_SECRET",
                "refresh_token_env": "DEMO_AMAZON_REFRESH_TOKEN",
                "base_url": urls["amazon"],
                "token_url": f"{urls['amazon']}/auth/o2/token",
            },
            "ledger": ledger,
        },
    )
    account(
        "shopify-eu",
        policy=rc.Policy.NETSUITE_CONNECTOR,
        direction=rc.Direction.INCOMING,
        channel='{ name = "shopify", kind = "cart", supports_store_credit = true }',
        settings=world.shopify_in_settings,
        adapters={
            "source": {
                "adapter": "shopify",
                "shop": SHOPIFY_EU_SHOP,
                "access_token_env": "DEMO_SHOPIFY_EU_TOKEN",
                "base_url": urls["shopify_eu"],
            },
            "ledger": ledger,
        },
    )
    account(
        "shopify-us",
        policy=rc.Policy.NETSUITE_CONNECTOR,
        direction=rc.Direction.OUTGOING,
        channel='{ name = "shopify", kind = "cart", supports_store_credit = true }',
        settings=world.shopify_settings,
        adapters={
            "storefront": {
                "adapter": "shopify",
                "shop": SHOPIFY_SHOP,
                "access_token_env": "DEMO_SHOPIFY_TOKEN",
                "store_credit": True,
                "base_url": urls["shopify"],
            },
            "ledger": ledger,
        },
    )
    account(
        "magento-us",
        policy=rc.Policy.NETSUITE_CONNECTOR,
        direction=rc.Direction.OUTGOING,
        channel='{ name = "magento", kind = "cart", supports_store_credit = false }',
        settings=world.magento_settings,
        adapters={
            "storefront": {
                "adapter": "magento",
                "base_url": urls["magento"],
                "token_env": "DEMO_MAGENTO_TOKEN",
            },
            "ledger": ledger,
        },
    )
    return "\n".join(lines)
