"""The adapters ``refund-sync.toml`` can name, wired to their packages.

The switchboard of the wiring: each builder turns an account's adapter table (plain options
plus secrets from the environment) into a configured adapter. Secrets are named
``<secret>_env`` in the file (see ``_config``); the builders below list which each one needs.

==========  ===========================  =====================================================
adapter     roles                        table
==========  ===========================  =====================================================
stripe      source, payouts              ``secret_key_env``; ``mode`` (``live``, the
                                         default, or ``test``: the key's mode the doctor
                                         expects), ``base_url``
netsuite    ledger                       ``account_id``, ``undeposited_funds_account``
                                         (its internal ID), ``currencies`` (ISO code ->
                                         internal ID); TBA: ``consumer_key_env``,
                                         ``consumer_secret_env``, ``token_id_env``,
                                         ``token_secret_env``; ``concurrency_limit``,
                                         ``base_url``
shopify     source, storefront           ``shop``, ``access_token_env``; ``store_credit``,
                                         ``restock_type``, ``location_id``, ``base_url``
magento     storefront                   ``base_url``; ``token_env`` (bearer) or the four
                                         integration secrets ``consumer_key_env``,
                                         ``consumer_secret_env``, ``access_token_env``,
                                         ``access_token_secret_env``; ``store_code``,
                                         ``return_to_stock``
amazon      source                       ``client_id``, ``client_secret_env``,
                                         ``refresh_token_env``; ``region``,
                                         ``marketplace_id``, ``api``,
                                         ``refund_transaction_types`` (list; default
                                         ``["Refund"]``), ``base_url``, ``token_url``
==========  ===========================  =====================================================
"""

from __future__ import annotations

from collections.abc import Mapping

import refund_core as rc

from .. import amazon, magento, netsuite, shopify, stripe
from .._oauth1 import OAuth1Credentials
from ._config import AdapterConfig
from ._registry import AdapterRegistry, BuildContext

__all__ = ["default_registry", "stripe_mode"]

STRIPE_MODES = ("live", "test")


def _secret(config: AdapterConfig, secrets: Mapping[str, str], name: str) -> str:
    value = secrets.get(name)
    if value is None:
        raise rc.ConfigurationError(
            f"{config.where}.{name}_env: adapter {config.adapter!r} needs {name}; name the "
            "environment variable that holds it"
        )
    return value


def stripe_mode(config: AdapterConfig) -> str:
    """The mode (``live`` or ``test``) a Stripe adapter table says its key is in."""
    mode = config.option("mode", str, "live")
    if mode not in STRIPE_MODES:
        raise rc.ConfigurationError(
            f"{config.where}.mode: {mode!r} is not one of {', '.join(STRIPE_MODES)}"
        )
    return str(mode)


def _stripe_client(
    config: AdapterConfig, secrets: Mapping[str, str], context: BuildContext
) -> stripe.StripeClient:
    stripe_mode(config)  # refused here, before anything runs, when it names no mode
    base_url = config.option("base_url", str, "https://api.stripe.com")
    return stripe.StripeClient(
        context.http_client(), _secret(config, secrets, "secret_key"), base_url=base_url
    )


def _stripe_source(
    config: AdapterConfig, secrets: Mapping[str, str], context: BuildContext
) -> object:
    return stripe.StripeRefundSource(_stripe_client(config, secrets, context))


def _stripe_payouts(
    config: AdapterConfig, secrets: Mapping[str, str], context: BuildContext
) -> object:
    return stripe.StripePayoutSource(_stripe_client(config, secrets, context))


def _netsuite_ledger(
    config: AdapterConfig, secrets: Mapping[str, str], context: BuildContext
) -> object:
    account_id = config.option("account_id", str, required=True)
    credentials = OAuth1Credentials(
        consumer_key=_secret(config, secrets, "consumer_key"),
        consumer_secret=_secret(config, secrets, "consumer_secret"),
        token=_secret(config, secrets, "token_id"),
        token_secret=_secret(config, secrets, "token_secret"),
    )
    base_url = config.option("base_url", str)
    client = netsuite.NetSuiteClient(
        context.http_client(),
        account=account_id,
        base_url=f"{base_url.rstrip('/')}/services/rest" if base_url else None,
        auth=netsuite.tba_auth(account_id, credentials),
        concurrency_limit=config.option("concurrency_limit", int, 5),
    )
    currencies = config.option("currencies", dict, required=True)
    for code, currency_id in currencies.items():
        if not isinstance(currency_id, str):
            raise rc.ConfigurationError(
                f"{config.where}.currencies.{code}: expected the internal ID as text, got "
                f"{type(currency_id).__name__}"
            )
    tax_codes = config.option("tax_codes", dict, {})
    for code, rate in tax_codes.items():
        if not isinstance(rate, str):
            raise rc.ConfigurationError(
                f"{config.where}.tax_codes.{code}: expected the rate in percent as text "
                f'("8.25"), got {type(rate).__name__}'
            )
    return netsuite.NetSuiteLedger(
        client,
        undeposited_funds_account=config.option("undeposited_funds_account", str, required=True),
        currencies=currencies,
        tax_codes=tax_codes,
        tax_rounding=config.option("tax_rounding", str, rc.TaxRounding.ROUND_OFF.value),
    )


def _shopify_client(
    config: AdapterConfig, secrets: Mapping[str, str], context: BuildContext
) -> shopify.ShopifyAdminClient:
    return shopify.ShopifyAdminClient(
        shop=config.option("shop", str, required=True),
        access_token=_secret(config, secrets, "access_token"),
        base_url=config.option("base_url", str),
        http_client=context.http_client(),
    )


def _shopify_source(
    config: AdapterConfig, secrets: Mapping[str, str], context: BuildContext
) -> object:
    return shopify.ShopifyRefundSource(_shopify_client(config, secrets, context))


def _shopify_storefront(
    config: AdapterConfig, secrets: Mapping[str, str], context: BuildContext
) -> object:
    restock = config.option("restock_type", str, shopify.RestockType.NO_RESTOCK.value)
    try:
        restock_type = shopify.RestockType(restock)
    except ValueError:
        choices = ", ".join(t.value for t in shopify.RestockType)
        raise rc.ConfigurationError(
            f"{config.where}.restock_type: {restock!r} is not one of {choices}"
        ) from None
    return shopify.ShopifyStorefront(
        _shopify_client(config, secrets, context),
        store_credit=config.option("store_credit", bool, False),
        restock_type=restock_type,
        location_id=config.option("location_id", str),
    )


def _magento_storefront(
    config: AdapterConfig, secrets: Mapping[str, str], context: BuildContext
) -> object:
    auth: magento.MagentoAuth
    if "token" in secrets:
        auth = magento.BearerToken(secrets["token"])
    else:
        auth = magento.integration_auth(
            consumer_key=_secret(config, secrets, "consumer_key"),
            consumer_secret=_secret(config, secrets, "consumer_secret"),
            access_token=_secret(config, secrets, "access_token"),
            access_token_secret=_secret(config, secrets, "access_token_secret"),
        )
    return magento.MagentoStorefront(
        base_url=config.option("base_url", str, required=True),
        auth=auth,
        store_code=config.option("store_code", str, "all"),
        return_to_stock=config.option("return_to_stock", bool, False),
    )


def _amazon_source(
    config: AdapterConfig, secrets: Mapping[str, str], context: BuildContext
) -> object:
    credentials = amazon.LwaCredentials(
        client_id=config.option("client_id", str, required=True),
        client_secret=_secret(config, secrets, "client_secret"),
        refresh_token=_secret(config, secrets, "refresh_token"),
    )
    types = config.option("refund_transaction_types", list, ["Refund"])
    if not types or not all(isinstance(kind, str) and kind.strip() for kind in types):
        raise rc.ConfigurationError(
            f"{config.where}.refund_transaction_types: expected a non-empty list of "
            "transaction type names"
        )
    try:
        return amazon.AmazonRefundSource(
            credentials,
            refund_transaction_types=frozenset(types),
            region=config.option("region", str, amazon.Region.NA.value),
            marketplace_id=config.option("marketplace_id", str),
            api=config.option("api", str, amazon.FinancesApi.V2024_06_19.value),
            base_url=config.option("base_url", str),
            token_url=config.option("token_url", str, amazon.LWA_TOKEN_URL),
            # The source opens and closes a client per call (it is paced at 0.5 requests/s),
            # so it keeps its own factory rather than the run's pooled clients.
        )
    except ValueError as exc:  # an unknown region or API version
        raise rc.ConfigurationError(f"{config.where}: {exc}") from None


def default_registry() -> AdapterRegistry:
    """A registry with every adapter this package ships."""
    registry = AdapterRegistry()
    registry.register("source", "stripe", _stripe_source)
    registry.register("payouts", "stripe", _stripe_payouts)
    registry.register("ledger", "netsuite", _netsuite_ledger)
    registry.register("source", "shopify", _shopify_source)
    registry.register("storefront", "shopify", _shopify_storefront)
    registry.register("storefront", "magento", _magento_storefront)
    registry.register("source", "amazon", _amazon_source)
    return registry
