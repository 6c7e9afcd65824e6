"""What a pass reports: counters as it goes, a summary at the end, progress after each page."""

from __future__ import annotations

from datetime import datetime

import attrs

import refund_core as rc

__all__ = ["Progress", "ReconciliationReport", "RunSummary", "Tally"]


@attrs.define
class Tally:
    """The counters of a run, counted as it goes; frozen into a :class:`RunSummary` at the end."""

    events_seen: int = 0
    duplicates: int = 0
    planned: int = 0
    writes_created: int = 0
    writes_repeated: int = 0
    already_synced: int = 0
    skipped: int = 0
    unsupported: int = 0
    dead_lettered: int = 0
    manual_actions: int = 0
    resolved: int = 0


@attrs.frozen
class RunSummary(Tally):
    """What a run did, for the end-of-run report: the counters, warnings and elapsed time."""

    warnings: tuple[str, ...] = ()
    elapsed_s: float = 0.0


@attrs.frozen
class Progress:
    """Where a pass stands, reported after every page: for progress bars and log lines.

    ``position`` is the newest event time read so far (None for passes without one); with the
    pass's start time and the current time it gives the fraction done.
    """

    pass_name: str
    started_from: datetime | None
    position: datetime | None
    events_seen: int
    planned: int
    dead_lettered: int


@attrs.frozen
class ReconciliationReport:
    """Where a source's refunds over a range and the ledger disagree.

    ``missing``: succeeded source refunds with no ledger record for their source key.
    ``extra``: external IDs of ledger records made for this source, dated in the range, whose
    event the source does not know (records without a creation date are never reported).
    ``mismatched``: (source key, source amount, ledger total) where the totals differ; the ledger
    total is the customer refunds under the Stripe policy, credit memos plus cash refunds under
    the NetSuite Connector policy. ``unreadable``: items the source listed but could not read,
    so nothing can be said of them.
    """

    missing: tuple[rc.SourceKey, ...] = ()
    extra: tuple[str, ...] = ()
    mismatched: tuple[tuple[rc.SourceKey, rc.Money, rc.Money], ...] = ()
    unreadable: tuple[rc.SourceKey, ...] = ()

    @property
    def is_clean(self) -> bool:
        """Whether the source and the ledger agree (and every item could be read)."""
        return not (self.missing or self.extra or self.mismatched or self.unreadable)
