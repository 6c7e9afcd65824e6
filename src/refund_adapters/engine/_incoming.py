"""The incoming pass: refunds and payment failures from a source, into the ledger.

Page by page from the journal's cursor (minus the overlap window): set aside what could not be
read, sift out duplicates, load the page's part of the ledger at once, and start its conflict
groups (:mod:`._groups`). While one page's writes drain, the next page is listed and loaded
(prefetch), so the targets' slots never idle between pages. The cursor moves page by page, in
order, only past pages whose every event is finished; working memory holds two pages, however
many events a pass reads. All tasks of a pass live in one task group: a failure cancels the
others before the pass gives the journal back.
"""

from __future__ import annotations

import asyncio
import functools
import time
from datetime import datetime

import refund_core as rc

from ._apply import run_group
from ._groups import Batch, Claims, conflict_groups, task_group
from ._letters import set_aside
from ._news import fresh
from ._paging import Cursor, event_time, newest, pages
from ._results import RunSummary, Tally
from ._runner import Runner

__all__ = ["run_incoming", "stream_of"]


def stream_of(run: Runner) -> str:
    """The journal stream the incoming cursor lives in."""
    return f"{run.account.account_id}:{run.need_source().name}:incoming"


async def run_incoming(run: Runner, start: datetime) -> RunSummary:
    """One pass over every incoming event since the cursor (or ``start``), minus the overlap."""
    run.need_direction(rc.Direction.INCOMING)
    source = run.need_source()
    stream = stream_of(run)
    began = time.monotonic()
    tally = Tally()
    with run.holding():
        cursor = Cursor(run.journal, stream, start)
        list_page = functools.partial(
            source.list_events,
            since=cursor.fetch_from(run.config.overlap),
            limit=run.config.page_size,
        )
        claims = Claims()
        async with task_group() as tasks:
            draining: Batch | None = None
            async for page in pages(
                lambda token: run.read(functools.partial(list_page, page_token=token), None),
                what=source.name,
                stopping=run.stopping,
            ):
                batch = await _start_page(run, page, tasks, claims, tally)
                if draining is not None:
                    await _finish_page(run, draining, cursor, tally)
                draining = batch
            if draining is not None:
                await _finish_page(run, draining, cursor, tally)
        if run.stopping():
            raise run.stopped()
    return run.summary(tally, began)


async def _start_page(
    run: Runner,
    page: rc.Page[rc.SourceEvent],
    tasks: asyncio.TaskGroup,
    claims: Claims,
    tally: Tally,
) -> Batch:
    """Set aside the unreadable items, sift the events, load and start the conflict groups."""
    events = page.items
    page_newest = newest((event_time(event) for event in events), page.set_aside)
    for item in page.set_aside:
        set_aside(run.journal, item, tally)
    found = fresh(run.journal, events, tally)
    if not found:
        return Batch([], page_newest)
    snapshot = await run.read(
        functools.partial(run.ledger.load, rc.ledger_query(found)), run.ledger_limit
    )
    started: list[asyncio.Task[None]] = []
    for group in conflict_groups(found, snapshot):
        waits = claims.before(group.nodes)
        task = tasks.create_task(run_group(run, group.events, group.snapshot, waits, tally))
        claims.claim(group.nodes, task)
        started.append(task)
    return Batch(started, page_newest)


async def _finish_page(run: Runner, batch: Batch, cursor: Cursor, tally: Tally) -> None:
    """Wait for a page's groups, then move the cursor past it.

    When a stop was asked for, a group may have left events undone: the cursor stays.
    """
    await batch.wait()
    if run.stopping():
        return
    cursor.advance(batch.newest)
    run.report("incoming", cursor.since, batch.newest, tally)
