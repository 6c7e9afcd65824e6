"""The wiring: how adapters, a journal and an engine are built for an account from configuration.

Intent: the one place where adapter packages meet. ``refund-sync.toml`` (or the same tables
built in code: :func:`parse_config`) names an adapter per role of each account; a registry of
builders (:func:`default_registry`, or yours with :meth:`AdapterRegistry.register`) turns each
table into an adapter conforming to its port. :func:`connect` builds an account's adapters in
the running event loop and closes their HTTP clients at the end, :func:`open_journal` opens its
SQLite journal, :func:`build_engine` makes its engine, and :func:`run_account` runs its passes
exactly as ``refund-sync sync`` does (the command line is a thin face over this package). The
adapters' assumptions about the account are checked before its first write (:func:`gate`).
"""

from ._account import (
    Adapters,
    PassResult,
    build_engine,
    connect,
    open_journal,
    run_account,
    run_account_async,
)
from ._builders import default_registry, stripe_mode
from ._config import (
    ROLES,
    AccountConfig,
    AdapterConfig,
    SyncConfig,
    is_secret_name,
    load_config,
    parse_config,
)
from ._doctor import DoctorFailedError, account_checks, gate, verdict_path
from ._registry import AdapterRegistry, BuildContext, Builder, HttpClients

__all__ = [
    "ROLES",
    "AccountConfig",
    "AdapterConfig",
    "AdapterRegistry",
    "Adapters",
    "BuildContext",
    "Builder",
    "DoctorFailedError",
    "HttpClients",
    "PassResult",
    "SyncConfig",
    "account_checks",
    "build_engine",
    "connect",
    "default_registry",
    "gate",
    "is_secret_name",
    "load_config",
    "open_journal",
    "parse_config",
    "run_account",
    "run_account_async",
    "stripe_mode",
    "verdict_path",
]
