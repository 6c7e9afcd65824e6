"""The retry pass: every dead letter decided again, against the ledger as it is now.

A letter that now succeeds is resolved and its event marked done; one still failing is set
aside again, its attempts counted up. A letter holding an item its source could not read has no
event to decide: it stays until the source delivers the item readable. A letter of another
account's or pass's event is left to the engine that produced it.
"""

from __future__ import annotations

import functools
import logging
import time

import refund_core as rc

from ._apply import process_event
from ._letters import Unreadable, load_payload
from ._results import RunSummary, Tally
from ._runner import Runner

__all__ = ["run_retry"]

log = logging.getLogger("refund_sync.engine")


async def run_retry(run: Runner) -> RunSummary:
    """Decide every dead letter again (see the module)."""
    began = time.monotonic()
    tally = Tally()
    with run.holding():
        for letter in run.journal.dead_letters():
            if run.stopping():
                raise run.stopped()
            try:
                event = load_payload(letter.payload)
            except Unreadable:
                if _reads(run, letter.key.source):
                    tally.events_seen += 1
                    log.info("dead letter %s holds an unreadable item; it stays", letter.key)
                continue
            except (ValueError, TypeError, KeyError, RecursionError):
                log.warning("dead letter %s has a payload no event can be built from", letter.key)
                continue
            if not _handles(run, event):
                continue  # another account's or pass's letter: its own engine retries it
            tally.events_seen += 1
            snapshot = await run.read(
                functools.partial(run.ledger.load, rc.ledger_query([event])), run.ledger_limit
            )
            await process_event(run, event, snapshot, tally)
            if run.journal.event_state(event.key) is rc.EventState.DONE:
                run.journal.resolve_dead_letter(event.key)
                tally.resolved += 1
                log.info("dead letter %s resolved", event.key)
    return run.summary(tally, began)


def _reads(run: Runner, source: str) -> bool:
    """Whether this engine reads the source (refunds or payouts) called ``source``."""
    names = {part.name for part in (run.source, run.payouts) if part is not None}
    return source in names


def _handles(run: Runner, event: rc.ScenarioEvent) -> bool:
    """Whether this engine's collaborators are the ones that produced ``event``."""
    if isinstance(event, rc.OutgoingRefund):
        return run.storefront is not None
    if isinstance(event, rc.Payout):
        return run.payouts is not None and run.payouts.name == event.source
    return run.source is not None and run.source.name == event.source
