"""The payout pass (STC-11..13): each processor payout becomes one NetSuite deposit (STC-12).

Payouts are few and may share refunds, so a page's payouts are decided one after the other on
one snapshot. The cursor moves past a page once all of it is decided; a page read in part (a
stop was asked for) leaves it where it was.
"""

from __future__ import annotations

import functools
import time
from datetime import datetime

import refund_core as rc

from ._apply import process_news
from ._letters import set_aside
from ._news import fresh
from ._paging import Cursor, newest, pages
from ._results import RunSummary, Tally
from ._runner import Runner

__all__ = ["run_payouts", "stream_of"]


def stream_of(run: Runner) -> str:
    """The journal stream the payout cursor lives in."""
    return f"{run.account.account_id}:{run.need_payouts().name}:payouts"


async def run_payouts(run: Runner, start: datetime) -> RunSummary:
    """One pass over every payout since the cursor (or ``start``), minus the overlap."""
    payouts = run.need_payouts()
    began = time.monotonic()
    tally = Tally()
    with run.holding():
        cursor = Cursor(run.journal, stream_of(run), start)
        list_page = functools.partial(
            payouts.list_payouts,
            since=cursor.fetch_from(run.config.overlap),
            limit=run.config.page_size,
        )
        async for page in pages(
            lambda token: run.read(functools.partial(list_page, page_token=token), None),
            what=payouts.name,
            stopping=run.stopping,
        ):
            for item in page.set_aside:
                set_aside(run.journal, item, tally)
            found = fresh(run.journal, page.items, tally)
            if found:
                snapshot = await run.read(
                    functools.partial(run.ledger.load, rc.ledger_query(found)), run.ledger_limit
                )
                for payout in found:
                    if run.stopping():
                        break
                    snapshot = await process_news(run, payout, snapshot, tally)
            if run.stopping():
                break  # the page was read in part: the cursor stays before it
            page_newest = newest((payout.arrival_at for payout in page.items), page.set_aside)
            cursor.advance(page_newest)
            run.report("payouts", cursor.since, page_newest, tally)
        if run.stopping():
            raise run.stopped()
    return run.summary(tally, began)
