"""News and conflicts: whether a delivery of an event says something the journal does not know.

A delivery of a known event is decided again when it says something new: a failure notice
about a done refund (IDM-3), or any change to a dead-lettered event (a pending refund that now
succeeded, a failure of a refund still set aside). The letter then carries the new content, so
a later retry never decides a stale one. Identical re-deliveries are duplicates.

Conflicts (IDM-4). The journal keeps the version of every done event that was synced. A later
delivery of a done refund whose amount, currency, lines, shipping, adjustment or tender split
differ is neither news to decide nor a duplicate: it is a conflict, set aside for a person with
both versions named, and nothing is written. Its retry decides it against NetSuite as it then is
(the core refuses a plan beside records of another version of the refund).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TypeVar

import attrs

import refund_core as rc

from ._letters import dead_letter_of, load_payload, same_event
from ._results import Tally

__all__ = ["News", "conflict_with", "fresh", "news"]

log = logging.getLogger("refund_sync.engine")

_E = TypeVar("_E", bound=rc.ScenarioEvent)


@attrs.frozen
class News:
    """A delivery worth deciding; ``letter`` is the dead letter whose content it supersedes.

    ``conflict``, when set, is why the delivery contradicts the version already synced (IDM-4):
    it is set aside, not decided.
    """

    letter: rc.DeadLetter | None = None
    conflict: str | None = None


def _reports_failure(event: object) -> bool:
    # A refund that fails after it was synced comes back under its done key; the core reverses
    # it (IDM-3), and a repeated delivery is then already synced (IDM-2).
    return isinstance(event, rc.RefundEvent) and event.status is rc.RefundStatus.FAILED


def news(journal: rc.Journal, event: rc.ScenarioEvent) -> News | None:
    """Whether a delivery says something the journal does not know yet (see the module)."""
    state = journal.event_state(event.key)
    if state is None or state is rc.EventState.IN_PROGRESS:
        return News()
    if state is rc.EventState.DONE:
        if _reports_failure(event):
            return News()
        conflict = conflict_with(journal.synced_payload(event.key), event)
        return None if conflict is None else News(conflict=conflict)
    letter = dead_letter_of(journal, event.key)
    if letter is None or same_event(letter, event):
        return None
    return News(letter)


def fresh(journal: rc.Journal, events: Iterable[_E], tally: Tally) -> list[_E]:
    """The events worth deciding; the rest are counted as duplicates.

    Checked again when each event's turn comes: a delivery repeated within the pass is only
    known as done once its first copy is.
    """
    found: list[_E] = []
    for event in events:
        tally.events_seen += 1
        if news(journal, event) is None:
            tally.duplicates += 1
            continue
        found.append(event)
    return found


def _describe(event: rc.RefundEvent) -> str:
    """The parts of a refund IDM-4 compares, in words."""
    parts = [str(event.amount)]
    if event.lines:
        parts.append(
            "lines "
            + ", ".join(
                f"{line.order_line_ref} x{line.quantity if line.quantity is not None else '-'} "
                f"{line.amount}"
                for line in event.lines
            )
        )
    if event.shipping is not None:
        parts.append(f"shipping {event.shipping}")
    if event.adjustment is not None:
        parts.append(f"adjustment {event.adjustment}")
    if event.tenders:
        parts.append("tenders " + ", ".join(f"{t.kind.value} {t.amount}" for t in event.tenders))
    return "; ".join(parts)


def _material(event: rc.RefundEvent) -> tuple[object, ...]:
    return (event.amount, event.lines, event.shipping, event.adjustment, event.tenders)


def conflict_with(synced: str | None, event: rc.ScenarioEvent) -> str | None:
    """Why ``event`` contradicts the version synced before, or None (IDM-4)."""
    if synced is None or not isinstance(event, rc.RefundEvent):
        return None
    try:
        before = load_payload(synced)
    except Exception:  # an unreadable kept version cannot be compared: decide as before
        log.warning("the synced version of %s is unreadable; not compared", event.key)
        return None
    if not isinstance(before, rc.RefundEvent) or _material(before) == _material(event):
        return None
    return (
        f"{event.key} was synced as {_describe(before)}; this delivery says {_describe(event)}. "
        "Two versions of one refund: nothing was written; a person must reconcile NetSuite "
        "with the refund (IDM-4)"
    )
