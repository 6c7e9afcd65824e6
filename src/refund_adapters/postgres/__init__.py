"""refund_adapters.postgres: one database for many accounts, workers and machines.

Intent: for an installation that outgrows one machine, the same engine keeps its state in
PostgreSQL. :class:`PostgresStore` is one installation's schema (migrated when opened; every
table has an ``account`` column, so any number of workers on any machines share it);
:class:`PostgresJournal` is one account's :class:`refund_core.Journal` and
:class:`refund_core.Inbox`, held to the same contract as the SQLite and in-memory journals. The
lock a run takes on an account is tied to its database session (a run killed anywhere frees it
at once) and, for a worker, to a lease it renews; a run that lost its lease can write nothing.
:class:`PostgresBudgets` shares a NetSuite account's concurrency limit between every process
writing to it (:class:`SharedBudget` is a :class:`refund_adapters._pacing.Limiter`), and a
:class:`Listener` hands a process the notifications that wake it. Every ``psycopg`` failure is
raised typed::

    RefundSyncError
    +-- PostgresError(RuntimeError)          the database could not be reached, read or written
    |   +-- LeaseLostError(JournalBusyError)  a run's hold on an account ended; writes refused
    +-- BudgetDeadlineError(TimeoutError)    a request cut off before its slot's lease ran out
    +-- JournalBusyError(RuntimeError)       another live run holds the account (refund_core)

Needs ``psycopg`` (``pip install "refund-sync[postgres]"``); imports only :mod:`refund_core`
and the shared modules of :mod:`refund_adapters`.
"""

from ._budget import BudgetDeadlineError, PostgresBudgets, SharedBudget, budget_channel
from ._journal import PostgresJournal, inbox_channel
from ._listen import Listener
from ._schema import SCHEMA_VERSION
from ._store import (
    DEFAULT_SCHEMA,
    LeaseLostError,
    PostgresError,
    PostgresStore,
    has_password,
    redact,
)

__all__ = [
    "DEFAULT_SCHEMA",
    "SCHEMA_VERSION",
    "BudgetDeadlineError",
    "LeaseLostError",
    "Listener",
    "PostgresBudgets",
    "PostgresError",
    "PostgresJournal",
    "PostgresStore",
    "SharedBudget",
    "budget_channel",
    "has_password",
    "inbox_channel",
    "redact",
]
