"""Which adapter a config name means: a registry of builders, one per (role, adapter name).

The wiring is where adapter packages meet (:mod:`._builders` holds the shipped ones). A builder
gets the adapter's table from ``refund-sync.toml`` (plain options), its secrets (read from the
environment variables the table names) and the account, and returns an object conforming to
the role's port (``source`` -> RefundSource, ``payouts`` -> PayoutSource, ``ledger`` -> Ledger,
``storefront`` -> Storefront). Users with their own adapter register it with
:meth:`AdapterRegistry.register` and pass that registry to :func:`refund_adapters.wiring.connect`
or :func:`refund_adapters.cli.main`.

Builders run inside the event loop that will drive the account's passes, so an adapter may hold
one ``httpx.AsyncClient`` for the whole run: take it from :meth:`BuildContext.http_client`, which
closes every client it made when the account's run ends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs
import httpx

import refund_core as rc

from ._config import AccountConfig, AdapterConfig

__all__ = ["AdapterRegistry", "BuildContext", "Builder", "HttpClients"]

#: What each role's object must conform to.
PORTS: Mapping[str, type[Any]] = {
    "source": rc.RefundSource,
    "payouts": rc.PayoutSource,
    "ledger": rc.Ledger,
    "storefront": rc.Storefront,
}


class HttpClients:
    """The HTTP clients of one account's run: made on demand, all closed together at the end."""

    def __init__(self) -> None:
        self._clients: list[httpx.AsyncClient] = []

    def new(self, *, timeout_s: float = 30.0) -> httpx.AsyncClient:
        """A new pooled client (call it inside the run's event loop)."""
        client = httpx.AsyncClient(timeout=httpx.Timeout(timeout_s))
        self._clients.append(client)
        return client

    async def aclose(self) -> None:
        """Close every client made so far."""
        clients, self._clients = self._clients, []
        for client in clients:
            await client.aclose()


@attrs.frozen
class BuildContext:
    """What a builder may need besides its own table: the account it serves, its HTTP clients."""

    account: AccountConfig
    clients: HttpClients = attrs.field(factory=HttpClients)

    def http_client(self, *, timeout_s: float = 30.0) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` for the adapter, closed when the account's run ends."""
        return self.clients.new(timeout_s=timeout_s)


Builder = Callable[[AdapterConfig, Mapping[str, str], BuildContext], object]


class AdapterRegistry:
    """Builders by role and adapter name."""

    def __init__(self) -> None:
        self._builders: dict[tuple[str, str], Builder] = {}

    def register(self, role: str, name: str, builder: Builder) -> None:
        """Make ``adapter = "<name>"`` in an account's ``[<role>]`` table build with ``builder``."""
        if role not in PORTS:
            raise rc.ConfigurationError(f"unknown role {role!r} (roles: {', '.join(PORTS)})")
        self._builders[(role, name)] = builder

    def names(self, role: str) -> tuple[str, ...]:
        """The adapter names registered for ``role``."""
        return tuple(sorted(name for r, name in self._builders if r == role))

    def build(
        self,
        role: str,
        config: AdapterConfig,
        environ: Mapping[str, str],
        context: BuildContext,
    ) -> Any:
        """Build the adapter ``config`` names for ``role``, checked against the role's port."""
        builder = self._builders.get((role, config.adapter))
        if builder is None:
            known = ", ".join(self.names(role)) or "none"
            raise rc.ConfigurationError(
                f"{config.where}.adapter: no {role} adapter named {config.adapter!r} "
                f"(known: {known})"
            )
        adapter = builder(config, config.secrets(environ), context)
        if not isinstance(adapter, PORTS[role]):
            raise rc.ConfigurationError(
                f"{config.where}: adapter {config.adapter!r} built a "
                f"{type(adapter).__name__}, which is no {PORTS[role].__name__}"
            )
        return adapter
