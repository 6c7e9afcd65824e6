"""One account, wired: its adapters built from its table, its journal, its engine, its passes.

Everything ``refund-sync sync`` does for one account, without the command line, so an
integrator can run an account from their own scheduler or worker::

    config = load_config("refund-sync.toml")
    (account,) = config.account("acme-stripe")
    results = run_account(config, account)  # secrets from os.environ

or take the pieces: :func:`connect` builds the adapters inside the running event loop (their
HTTP clients belong to it) and closes them at the end, :func:`open_journal` opens the account's
SQLite journal, :func:`build_engine` makes the :class:`~refund_adapters.engine.SyncEngine`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

import attrs

import refund_core as rc
from refund_core.testing import MemoryJournal

from ..engine import EngineConfig, Progress, RunSummary, StopRequest, SyncEngine
from ..storage import SqliteJournal
from ._builders import default_registry
from ._config import ROLES, AccountConfig, SyncConfig
from ._doctor import gate
from ._registry import AdapterRegistry, BuildContext

__all__ = [
    "Adapters",
    "PassResult",
    "build_engine",
    "connect",
    "open_journal",
    "run_account",
    "run_account_async",
]


@attrs.frozen
class PassResult:
    """One pass of one account, for the summary table."""

    account: str
    pass_name: str
    summary: RunSummary


@attrs.frozen
class Adapters:
    """The adapters an account's tables name, built: one per role it configures."""

    account: AccountConfig
    by_role: Mapping[str, Any]

    @property
    def source(self) -> Any:
        """The refund source (``RefundSource``), if the account has one."""
        return self.by_role.get("source")

    @property
    def payouts(self) -> Any:
        """The payout source (``PayoutSource``), if the account has one."""
        return self.by_role.get("payouts")

    @property
    def ledger(self) -> Any:
        """The ledger (``Ledger``), if the account has one."""
        return self.by_role.get("ledger")

    @property
    def storefront(self) -> Any:
        """The storefront (``Storefront``), if the account has one."""
        return self.by_role.get("storefront")

    def require(self, *roles: str) -> None:
        """Refuse, naming the missing table, when one of ``roles`` was not configured."""
        for role in roles:
            if role not in self.by_role:
                raise rc.ConfigurationError(
                    f"{self.account.where}.{role}: a {self.account.direction.value} account "
                    f"needs a [{self.account.where}.{role}] table naming its adapter"
                )


@contextlib.asynccontextmanager
async def connect(
    account: AccountConfig,
    *,
    environ: Mapping[str, str] | None = None,
    registry: AdapterRegistry | None = None,
    roles: tuple[str, ...] = ROLES,
) -> AsyncIterator[Adapters]:
    """Build the account's adapters for ``roles`` in the running loop; close their clients after.

    Secrets are read from ``environ`` (default: ``os.environ``); ``registry`` says which builder
    each adapter name means (default: :func:`default_registry`, every adapter this package
    ships). One loop per account: the adapters' HTTP clients belong to the loop that made them.
    """
    chosen = registry if registry is not None else default_registry()
    env = os.environ if environ is None else environ
    context = BuildContext(account=account)
    try:
        built = {
            role: chosen.build(role, account.adapters[role], env, context)
            for role in roles
            if role in account.adapters
        }
        yield Adapters(account, built)
    finally:
        await context.clients.aclose()


@contextlib.contextmanager
def open_journal(
    config: SyncConfig, account: AccountConfig, *, dry_run: bool = False
) -> Iterator[rc.Journal]:
    """The account's SQLite journal (``journal.dir/<account id>.sqlite3``), closed after use.

    A dry run reads the journal where a live run would start and never migrates it; with no
    journal file yet, an empty in-memory one stands in (a dry run writes nothing, not even a
    new file).
    """
    path = config.journal_path(account)
    if dry_run and not path.exists():
        yield MemoryJournal()
        return
    if not dry_run:
        path.parent.mkdir(parents=True, exist_ok=True)
    journal = SqliteJournal(path, read_only=dry_run)
    try:
        yield journal
    finally:
        journal.close()


def build_engine(
    account: AccountConfig,
    adapters: Adapters,
    journal: rc.Journal,
    config: EngineConfig | None = None,
    **hooks: Any,
) -> SyncEngine:
    """The engine of ``account`` over its adapters and ``journal`` (``hooks``: SyncEngine's)."""
    adapters.require("ledger")
    return SyncEngine(
        account=account.account,
        policy=account.policy,
        ledger=adapters.ledger,
        journal=journal,
        source=adapters.source,
        storefront=adapters.storefront,
        payouts=adapters.payouts,
        config=config,
        **hooks,
    )


async def run_account_async(
    config: SyncConfig,
    account: AccountConfig,
    *,
    registry: AdapterRegistry | None = None,
    environ: Mapping[str, str] | None = None,
    dry_run: bool = False,
    on_outcome: Callable[[rc.Outcome], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    stop: StopRequest | None = None,
) -> list[PassResult]:
    """Every pass of ``account``, as ``refund-sync sync`` runs it; the result of each pass.

    Incoming: refunds, then payouts when a payout source is configured; outgoing: NetSuite
    refunds to the storefront. Before the first write (not in a dry run) the adapters'
    assumptions are checked (:func:`~refund_adapters.wiring.gate`). ``on_warning`` hears the
    account's configuration warnings (NSC-10). A journal another live run holds raises
    :class:`refund_core.JournalBusyError`.
    """
    name = account.account.account_id
    async with connect(account, environ=environ, registry=registry) as adapters:
        adapters.require("ledger")
        adapters.require("source" if account.direction is rc.Direction.INCOMING else "storefront")
        if not dry_run:
            await gate(config, account, adapters.by_role)  # before the first write (issue 10)
        with open_journal(config, account, dry_run=dry_run) as journal:
            engine = build_engine(
                account,
                adapters,
                journal,
                attrs.evolve(config.engine, dry_run=dry_run),
                owner=f"refund-sync sync {name}",
                on_outcome=on_outcome,
                on_progress=on_progress,
                stop=stop,
            )
            for warning in engine.warnings:  # NSC-10
                if on_warning is not None:
                    on_warning(warning)
            done: list[PassResult] = []
            if account.direction is rc.Direction.INCOMING:
                done.append(PassResult(name, "incoming", await engine.run_async(account.start)))
                if adapters.payouts is not None:
                    summary = await engine.run_payouts_async(account.start)
                    done.append(PassResult(name, "payouts", summary))
            else:
                summary = await engine.run_outgoing_async(account.start)
                done.append(PassResult(name, "outgoing", summary))
            return done


def run_account(
    config: SyncConfig,
    account: AccountConfig,
    *,
    registry: AdapterRegistry | None = None,
    environ: Mapping[str, str] | None = None,
    dry_run: bool = False,
    on_outcome: Callable[[rc.Outcome], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    stop: StopRequest | None = None,
) -> list[PassResult]:
    """Synchronous form of :func:`run_account_async`: one event loop for the account's passes."""
    return asyncio.run(
        run_account_async(
            config,
            account,
            registry=registry,
            environ=environ,
            dry_run=dry_run,
            on_outcome=on_outcome,
            on_progress=on_progress,
            on_warning=on_warning,
            stop=stop,
        )
    )
