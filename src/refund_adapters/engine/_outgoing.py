"""The outgoing pass (NSC-6..8): refunds made in NetSuite, sent to the storefront.

The whole listing of unsynced records is read before anything is sent, since marking records
synced shrinks it under an offset-paged listing. Records may have no creation time, so the
cursor stays at ``start``; deduplication is by each record's journal state. Refunds of one
order share its tenders (NSC-8): one conflict group per order, decided one by one; different
orders go side by side.
"""

from __future__ import annotations

import functools
import time
from datetime import datetime

import refund_core as rc

from ._apply import run_group
from ._groups import conflict_groups, task_group
from ._news import fresh
from ._paging import pages
from ._results import RunSummary, Tally
from ._runner import Runner

__all__ = ["run_outgoing", "stream_of"]


def stream_of(run: Runner) -> str:
    """The journal stream of the outgoing pass (the ledger is the source)."""
    return f"{run.account.account_id}:ledger:outgoing"


async def run_outgoing(run: Runner, start: datetime) -> RunSummary:
    """One outgoing pass: credit memos and cash refunds made in NetSuite go to the storefront."""
    run.need_direction(rc.Direction.OUTGOING)
    storefront = run.need_storefront()
    began = time.monotonic()
    tally = Tally()
    with run.holding():
        since = run.journal.get_cursor(stream_of(run)) or start
        list_page = functools.partial(
            run.ledger.list_unsynced_refunds,
            since=since - run.config.overlap,
            limit=run.config.page_size,
            # Only this storefront's refunds: an account may have several (NSC-7).
            storefront=storefront.capabilities.name,
        )
        record_ids: list[str] = []
        async for page in pages(
            lambda token: run.read(
                functools.partial(list_page, page_token=token), run.ledger_limit
            ),
            what="the ledger's unsynced refunds",
        ):
            record_ids.extend(page.items)
        size = run.config.page_size
        for offset in range(0, len(record_ids), size):
            if run.stopping():
                break
            batch = [rc.OutgoingRefund(rid) for rid in record_ids[offset : offset + size]]
            found = fresh(run.journal, batch, tally)
            if not found:
                continue
            snapshot = await run.read(
                functools.partial(run.ledger.load, rc.ledger_query(found)), run.ledger_limit
            )
            async with task_group() as tasks:
                for group in conflict_groups(found, snapshot):
                    tasks.create_task(run_group(run, group.events, group.snapshot, set(), tally))
            run.report("outgoing", None, None, tally)
        if run.stopping():
            raise run.stopped()
    return run.summary(tally, began)
