"""refund_adapters.storage: durable state of a sync, kept in a local SQLite file.

Intent: :class:`SqliteJournal` is the real :class:`refund_core.Journal`, the on-disk twin of
:class:`refund_core.testing.MemoryJournal` (one contract suite holds both to the same behaviour).
It records cursors, per-event states, every write before and after it happens, and dead letters,
so a crash at any point resumes with no duplicate and no loss; and it is the account's
:class:`refund_core.Inbox`, where webhook deliveries wait until a worker synced them. One
run holds the journal at a time (:class:`refund_core.JournalBusyError` otherwise). The schema
is versioned (:data:`SCHEMA_VERSION`) and older files are migrated when opened. Every
``sqlite3`` failure is raised as :class:`JournalError`, naming the file and the operation::

    RefundSyncError
    +-- JournalError(RuntimeError)       the journal file could not be opened, read or written
    +-- JournalBusyError(RuntimeError)   another live run holds the journal (from refund_core)

This package imports only the standard library and :mod:`refund_core`.
"""

from ._sqlite import SCHEMA_VERSION, JournalError, LockHolder, SqliteJournal

__all__ = ["SCHEMA_VERSION", "JournalError", "LockHolder", "SqliteJournal"]
