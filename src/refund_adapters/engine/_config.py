"""How a run is tuned and how it is stopped: :class:`EngineConfig`, :class:`StopRequest`."""

from __future__ import annotations

from datetime import timedelta

import attrs

import refund_core as rc

__all__ = ["GROUPS_PER_SLOT", "EngineConfig", "StopRequest", "SyncStopped"]

_AT_LEAST_ONE = attrs.validators.ge(1)

#: Conflict groups in progress per slot of the targets (see ``_incoming.run_group``).
GROUPS_PER_SLOT = 2


@attrs.frozen
class EngineConfig:
    """Knobs of a run. The defaults suit a NetSuite account concurrency limit of 5.

    ``ledger_concurrency`` bounds ledger calls in flight (reads and writes: NetSuite counts
    both against the account's limit); ``storefront_concurrency`` bounds storefront writes.
    Retries are not the engine's: each adapter's HTTP calls follow its
    :class:`~refund_adapters._http.RetryPolicy`, and the engine decides what to do with what
    still fails (a write's event is set aside for a later run; a failed read stops the pass).
    """

    page_size: int = attrs.field(default=100, validator=_AT_LEAST_ONE)
    overlap: timedelta = timedelta(minutes=10)
    ledger_concurrency: int = attrs.field(default=5, validator=_AT_LEAST_ONE)
    storefront_concurrency: int = attrs.field(default=5, validator=_AT_LEAST_ONE)
    #: Decide and report, but write nothing anywhere: no ledger or storefront writes, and the
    #: journal is only read (what a run would record is kept in memory for the run).
    dry_run: bool = False


class StopRequest:
    """Asks the passes to stop cleanly: set it (from a signal handler, say) and they finish.

    A pass that sees it takes no new event or page; the events already being applied finish
    their writes, which are journalled; no cursor moves past a page read in part; then the pass
    raises :class:`SyncStopped`. The next run resumes where it stopped.
    """

    def __init__(self) -> None:
        self.reason: str | None = None

    def request(self, reason: str) -> None:
        """Ask to stop, saying why (``SIGTERM``); a second request keeps the first reason."""
        if self.reason is None:
            self.reason = reason

    @property
    def requested(self) -> bool:
        """Whether a stop was asked for."""
        return self.reason is not None


class SyncStopped(rc.RefundSyncError):
    """A pass stopped because it was asked to: its started writes finished and are journalled."""

    error_code = "stopped"
