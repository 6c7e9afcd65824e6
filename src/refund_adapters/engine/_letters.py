"""Dead letters: events set aside for a person, with what is needed to decide them again.

A letter's payload is the event as JSON tagged with its kind (``"type"``), so a retry rebuilds
exactly the event that was set aside; letters written before kinds were tagged are read by
trying each kind. An item its source could not read is kept as it came (``"raw"``): it has no
event to decide until the source delivers it readable (poison events never block a page).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol, runtime_checkable

import refund_core as rc

from ._results import Tally

__all__ = [
    "LetterLookup",
    "Unreadable",
    "dead_letter",
    "dead_letter_of",
    "dump_payload",
    "load_payload",
    "same_event",
    "set_aside",
]

log = logging.getLogger("refund_sync.engine")

_UNREADABLE = "unreadable_item"

_UNTAGGED: tuple[type[rc.RefundEvent | rc.PaymentFailure | rc.Payout], ...] = (
    rc.RefundEvent,
    rc.PaymentFailure,
    rc.Payout,
)


@runtime_checkable
class LetterLookup(Protocol):
    """A journal that finds one dead letter by key (both shipped journals do)."""

    def dead_letter(self, key: rc.SourceKey) -> rc.DeadLetter | None:
        """The unresolved dead letter of ``key``, if any."""
        ...


class Unreadable(rc.RefundSyncError):
    """A dead letter holding an item its source could not read: there is no event to decide."""


def dump_payload(event: rc.ScenarioEvent) -> str:
    """The event as JSON tagged with its kind (``"type"``), so a retry can rebuild it."""
    return json.dumps(rc.converter.unstructure(event, rc.ScenarioEvent))


def _unreadable_payload(item: rc.UnreadableItem) -> str:
    """An unreadable item's letter payload: the raw item as its source sent it, tagged."""
    return json.dumps({"type": _UNREADABLE, "raw": item.raw})


def load_payload(payload: str) -> rc.ScenarioEvent:
    """Rebuild a dead letter's event; untagged letters (written before kinds) are tried per kind."""
    data: Any = json.loads(payload)
    if isinstance(data, dict) and data.get("type") == _UNREADABLE:
        raise Unreadable("the letter holds an item its source could not read")
    if isinstance(data, dict) and "type" in data:
        event: rc.ScenarioEvent = rc.converter.structure(data, rc.ScenarioEvent)  # type: ignore[arg-type]
        return event
    for kind in _UNTAGGED:
        try:
            return rc.structure(data, kind)
        except rc.DocumentError:
            continue
    raise rc.InvalidInputError(f"dead letter payload is no known event: {payload[:200]}")


def same_event(letter: rc.DeadLetter, event: rc.ScenarioEvent) -> bool:
    """Whether a dead letter holds exactly ``event`` (an unreadable letter holds nothing)."""
    try:
        return load_payload(letter.payload) == event
    except Unreadable:
        return False  # the item comes readable now: news
    except Exception:  # any unreadable payload differs from every event
        log.warning("dead letter %s has an unreadable payload; deciding it anew", letter.key)
        return False


def dead_letter_of(journal: rc.Journal, key: rc.SourceKey) -> rc.DeadLetter | None:
    """The unresolved dead letter of ``key``: looked up directly where the journal can."""
    if isinstance(journal, LetterLookup):
        return journal.dead_letter(key)
    return next((letter for letter in journal.dead_letters() if letter.key == key), None)


def dead_letter(
    journal: rc.Journal, event: rc.ScenarioEvent, code: str, message: str, tally: Tally
) -> None:
    """Set ``event`` aside under ``code``, saying why, and mark it dead."""
    tally.dead_lettered += 1
    journal.add_dead_letter(event.key, code=code, message=message, payload=dump_payload(event))
    journal.mark_event(event.key, rc.EventState.DEAD, code=code)
    log.info("dead-lettered %s: %s", event.key, code)


def set_aside(journal: rc.Journal, item: rc.UnreadableItem, tally: Tally) -> None:
    """Dead-letter an item its source could not read, with its raw form and the error.

    The same unreadable item delivered again is a duplicate. An event already done keeps
    its state (its letter only tells a person what came since); any other is marked dead,
    so a later readable delivery of it is news and decided (see :mod:`._news`).
    """
    tally.events_seen += 1
    payload = _unreadable_payload(item)
    letter = dead_letter_of(journal, item.key)
    if letter is not None and letter.payload == payload:
        tally.duplicates += 1
        return
    tally.dead_lettered += 1
    journal.add_dead_letter(item.key, code=item.code, message=item.error, payload=payload)
    if journal.event_state(item.key) is not rc.EventState.DONE:
        journal.mark_event(item.key, rc.EventState.DEAD, code=item.code)
    log.warning("set aside unreadable %s [%s]", item.key, item.code)
