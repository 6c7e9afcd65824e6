"""Deciding and applying one event: journal it, decide it, write its plan, mark it done.

Crash safety rests on three facts. Plans are deterministic (same input, same external IDs), so a
rerun plans the same writes. Every write is journalled before and after, and a write begun but
not completed is resolved by looking its external ID up in the ledger before writing again (the
response may have been lost). Decisions plan against the ledger without the event's own records,
so whatever part of a plan already happened is dropped from the replanned one.

What comes out of a decision or a write decides what happens to the event: bad input is set
aside under the error's own code (naming the rules that refused it), a failure no rule names is
set aside as a bug of that one event, and a configuration error stops the run (no event's
fault). The engine never catches ``BaseException``: a crash stops it where it stands and the
journal lets the next run resume.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import refund_core as rc

from .._pacing import ConcurrencyLimiter
from ._letters import dead_letter, dump_payload
from ._news import news
from ._results import Tally
from ._runner import Runner

__all__ = ["process_event", "process_news", "run_group"]

log = logging.getLogger("refund_sync.engine")

_G = TypeVar("_G", rc.RefundEvent | rc.PaymentFailure, rc.OutgoingRefund)

_LEDGER_ACTIONS = (
    rc.CreateCreditMemo,
    rc.CreateCashRefund,
    rc.CreateCustomerRefund,
    rc.MarkPaymentFailed,
    rc.CreateRefundReversal,
    rc.CreateDeposit,
    rc.MarkRecordSynced,
)


async def run_group(
    run: Runner,
    events: Sequence[_G],
    snapshot: rc.LedgerSnapshot,
    waits: set[asyncio.Task[None]],
    tally: Tally,
) -> None:
    """Decide and apply a conflict group's events in turn, each on the snapshot left before.

    A group that had to wait for groups of an earlier page reloads its snapshot first: the
    page's snapshot was read while they were still writing. Only so many groups are in
    progress at once (a few per slot of the targets): enough to keep every slot busy, few
    enough that a new page's decisions spread over the run instead of all running the
    moment it arrives, while the calls in flight wait for their answers to be read.
    """
    if waits:
        await asyncio.wait(waits)
    async with run.group_slots:
        if waits:
            snapshot = await run.read(
                functools.partial(run.ledger.load, rc.ledger_query(events)), run.ledger_limit
            )
        for event in events:
            if run.stopping():
                return  # the events left are not marked: the next run decides them
            snapshot = await process_news(run, event, snapshot, tally)


async def process_news(
    run: Runner, event: rc.ScenarioEvent, snapshot: rc.LedgerSnapshot, tally: Tally
) -> rc.LedgerSnapshot:
    """Decide ``event`` if it is news (see :mod:`._news`); set a conflict aside (IDM-4)."""
    journal = run.journal
    found = news(journal, event)
    if found is None:
        tally.duplicates += 1
        return snapshot
    key = event.key
    if found.conflict is not None:
        dead_letter(journal, event, rc.Reason.CONFLICT.value, found.conflict, tally)
        tally.unsupported += 1
        return snapshot
    if found.letter is not None:
        # The letter takes the new content first: should this run die before deciding it,
        # a retry must never decide the stale one (e.g. book a refund that has since failed).
        journal.add_dead_letter(
            key,
            code=found.letter.code,
            message=found.letter.message,
            payload=dump_payload(event),
        )
        log.info("dead letter %s superseded by a new delivery; deciding it again", key)
    snapshot = await process_event(run, event, snapshot, tally)
    if found.letter is not None and journal.event_state(key) is rc.EventState.DONE:
        journal.resolve_dead_letter(key)
        tally.resolved += 1
    return snapshot


def _decide(run: Runner, event: rc.ScenarioEvent, snapshot: rc.LedgerSnapshot) -> rc.Outcome:
    settings = run.account.settings
    if isinstance(event, rc.OutgoingRefund):
        return rc.decide_outgoing_refund(
            event.record_id, snapshot, settings, run.need_storefront().capabilities
        )
    if isinstance(event, rc.Payout):
        return rc.decide_payout(event, snapshot, settings)
    # The account's storefront says whether it issues store credit (NSC-8, incoming).
    return rc.decide(event, snapshot, settings, run.policy, run.account.storefront)


async def process_event(
    run: Runner, event: rc.ScenarioEvent, snapshot: rc.LedgerSnapshot, tally: Tally
) -> rc.LedgerSnapshot:
    """Decide ``event`` on ``snapshot``, apply its plan, journal the outcome; the new snapshot."""
    journal = run.journal
    key = event.key
    journal.mark_event(key, rc.EventState.IN_PROGRESS)
    try:
        outcome = _decide(run, event, snapshot)
    except rc.ConfigurationError:
        raise  # the account's settings cannot decide anything: no event's fault
    except rc.InvalidInputError as exc:
        # Rejected input (an over-refund, a currency mismatch...): set aside under the
        # error's own code, naming the rules that refused it, e.g. "over_refund" (MNY-4).
        rules = f" ({', '.join(exc.rule_ids)})" if exc.rule_ids else ""
        dead_letter(journal, event, exc.error_code, f"{exc}{rules}", tally)
        return snapshot
    except Exception as exc:
        # A decision that fails in a way no rule names is a bug, but of this one event: it is
        # set aside with the error and where it happened, and the account goes on.
        log.error("deciding %s failed: %s", key, _bug(exc), exc_info=exc)
        dead_letter(journal, event, "decision_failed", _bug(exc), tally)
        return snapshot
    if run.on_outcome is not None:
        run.on_outcome(outcome)
    if isinstance(outcome, rc.Plan):
        try:
            snapshot = await _apply(run, outcome, snapshot, tally)
        except rc.ConfigurationError:
            raise  # the account or target is misconfigured: no event's fault, stop the run
        except rc.InvalidInputError as exc:
            dead_letter(journal, event, "write_rejected", str(exc), tally)
            return snapshot
        except (ConnectionError, TimeoutError) as exc:
            # What the adapter's retries could not get through (a vendor down, an answer lost):
            # set aside, and the next run or `retry` tries it again, looking before writing.
            dead_letter(journal, event, "transient_failure", str(exc), tally)
            return snapshot
        tally.planned += 1
        for manual in outcome.manual_actions:  # NSC-8: reported, never dead-lettered
            tally.manual_actions += 1
            log.warning("manual action for %s [%s]: %s", key, manual.code, manual.message)
        for notice in outcome.notices:
            log.info("notice for %s [%s]: %s", key, notice.code, notice.message)
        journal.mark_event(key, rc.EventState.DONE, code="planned", payload=dump_payload(event))
        return snapshot
    if outcome.code is rc.Reason.ALREADY_SYNCED:
        tally.already_synced += 1
        journal.mark_event(
            key, rc.EventState.DONE, code=outcome.code.value, payload=dump_payload(event)
        )
        return snapshot
    if isinstance(outcome, rc.Skipped):
        tally.skipped += 1
    else:
        tally.unsupported += 1
    dead_letter(journal, event, outcome.code.value, outcome.message, tally)
    return snapshot


async def _write(run: Runner, action: rc.Action) -> rc.WriteReceipt:
    if run.config.dry_run:
        return rc.WriteReceipt(external_id=action.external_id, record_id="dry-run", created=True)
    if isinstance(action, rc.IssueStorefrontRefund):
        return await run.need_storefront().issue_refund(action)
    if isinstance(action, rc.IssueStoreCredit):
        return await run.need_storefront().issue_store_credit(action)
    return await run.ledger.write(action)


def _limit_for(run: Runner, action: rc.Action) -> ConcurrencyLimiter:
    if isinstance(action, rc.IssueStorefrontRefund | rc.IssueStoreCredit):
        return run.storefront_limit
    return run.ledger_limit


async def _apply(
    run: Runner, plan: rc.Plan, snapshot: rc.LedgerSnapshot, tally: Tally
) -> rc.LedgerSnapshot:
    journal = run.journal
    key = plan.key
    done = journal.completed_actions(key)
    pending = journal.pending_actions(key)
    for action in plan.actions:
        if action.external_id in done:
            snapshot = rc.apply_action(snapshot, action)
            continue
        if action.external_id in pending and isinstance(action, _LEDGER_ACTIONS):
            # The response of an earlier attempt may have been lost: look before writing.
            # (A storefront write is simply repeated: the storefront is idempotent by
            # external ID, NSC-7.)
            found = await run.call(
                functools.partial(run.ledger.find_by_external_id, action.external_id),
                run.ledger_limit,
            )
            if found is not None:
                journal.complete_action(key, action.external_id, found)
                tally.writes_repeated += 1
                snapshot = rc.apply_action(snapshot, action)
                continue
        journal.begin_action(key, action.external_id)
        receipt = await run.call(functools.partial(_write, run, action), _limit_for(run, action))
        journal.complete_action(key, action.external_id, receipt.record_id)
        if receipt.created:
            tally.writes_created += 1
        else:
            tally.writes_repeated += 1
        snapshot = rc.apply_action(snapshot, action)
    return snapshot


def _bug(exc: BaseException) -> str:
    """``KeyError: 'x' (at refund_core/_incoming.py:120)``: what failed and where, in one line."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"
