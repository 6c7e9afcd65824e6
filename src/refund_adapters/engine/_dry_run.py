"""The journal of a dry run: it reads the real journal and keeps its own writes in memory.

A dry run decides and reports like a live one, so it must see what a live run would (cursors,
done events, dead letters) and track what it would have recorded during the run (a refund
planned on page one is a duplicate on page two); none of that may reach the real journal.
"""

from __future__ import annotations

from datetime import datetime

import refund_core as rc

from ._letters import LetterLookup

__all__ = ["DryRunJournal"]


class DryRunJournal:
    """A journal for dry runs: reads see the real journal, writes stay in memory for the run."""

    def __init__(self, base: rc.Journal) -> None:
        self._base = base
        self._cursors: dict[str, datetime] = {}
        self._states: dict[rc.SourceKey, rc.EventState] = {}
        self._synced: dict[rc.SourceKey, str] = {}
        self._completed: dict[rc.SourceKey, set[str]] = {}
        self._begun: dict[rc.SourceKey, set[str]] = {}

    def acquire(self, owner: str) -> None:
        """A dry run takes no lock: it writes nothing a live run could trip over."""

    def release(self, owner: str) -> None:
        """Nothing to give back."""

    def get_cursor(self, stream: str) -> datetime | None:
        return self._base.get_cursor(stream)  # a dry run always starts where a live run would

    def set_cursor(self, stream: str, position: datetime) -> None:
        self._cursors[stream] = position

    def event_state(self, key: rc.SourceKey) -> rc.EventState | None:
        return self._states.get(key) or self._base.event_state(key)

    def mark_event(
        self,
        key: rc.SourceKey,
        state: rc.EventState,
        *,
        code: str = "",
        payload: str | None = None,
    ) -> None:
        self._states[key] = state
        if payload is not None:
            self._synced[key] = payload

    def synced_payload(self, key: rc.SourceKey) -> str | None:
        return self._synced.get(key) or self._base.synced_payload(key)

    def begin_action(self, key: rc.SourceKey, external_id: str) -> None:
        self._begun.setdefault(key, set()).add(external_id)

    def complete_action(self, key: rc.SourceKey, external_id: str, record_id: str) -> None:
        self._completed.setdefault(key, set()).add(external_id)

    def completed_actions(self, key: rc.SourceKey) -> frozenset[str]:
        return self._base.completed_actions(key) | self._completed.get(key, set())

    def pending_actions(self, key: rc.SourceKey) -> frozenset[str]:
        return self._base.pending_actions(key) - self._completed.get(key, set())

    def add_dead_letter(self, key: rc.SourceKey, *, code: str, message: str, payload: str) -> None:
        self._states[key] = rc.EventState.DEAD

    def dead_letters(self) -> tuple[rc.DeadLetter, ...]:
        return self._base.dead_letters()

    def dead_letter(self, key: rc.SourceKey) -> rc.DeadLetter | None:
        if isinstance(self._base, LetterLookup):
            return self._base.dead_letter(key)
        return next((letter for letter in self._base.dead_letters() if letter.key == key), None)

    def resolve_dead_letter(self, key: rc.SourceKey) -> None:
        """Resolved only for this run's reporting; the real letter stays."""
