"""The demo: a sample world synced end to end over real HTTP, against local stand-ins.

Intent: ``refund-sync demo`` in a package of its own, so the command line stays a thin face and
the tests can drive the same world. :func:`build_world` is the sample world (pure data: ledgers,
events and payouts as refund_core models), :func:`build_standins` seeds every vendor's stand-in
with it, :func:`config_text` writes the configuration naming the real adapters, and
:func:`demo` runs every account twice through the production code path
(:func:`refund_adapters.wiring.run_account`), printing each outcome and its rules.
"""

from ._config import config_text
from ._run import DemoResult, RunReport, demo, run_demo, run_once
from ._standins import (
    NETSUITE_ACCOUNT,
    NETSUITE_CURRENCIES,
    PASSES,
    SECRETS,
    UNDEPOSITED_FUNDS,
    StandIns,
    build_standins,
    serving,
)
from ._world import (
    MAGENTO_ORDER,
    SHOPIFY_CUSTOMER,
    SHOPIFY_EU_ORDER,
    SHOPIFY_ORDER,
    START,
    TAX_CODE,
    TAX_RATE,
    DemoWorld,
    build_world,
)

__all__ = [
    "MAGENTO_ORDER",
    "NETSUITE_ACCOUNT",
    "NETSUITE_CURRENCIES",
    "PASSES",
    "SECRETS",
    "SHOPIFY_CUSTOMER",
    "SHOPIFY_EU_ORDER",
    "SHOPIFY_ORDER",
    "START",
    "TAX_CODE",
    "TAX_RATE",
    "UNDEPOSITED_FUNDS",
    "DemoResult",
    "DemoWorld",
    "RunReport",
    "StandIns",
    "build_standins",
    "build_world",
    "config_text",
    "demo",
    "run_demo",
    "run_once",
    "serving",
]
