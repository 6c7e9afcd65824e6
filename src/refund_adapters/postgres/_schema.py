"""The PostgreSQL schema of one installation, as versioned migrations.

Every account shares one schema (default ``refund_sync``): each table carries an ``account``
column, so any number of workers on any machines share the accounts of one database. The
version applied is the highest row of ``migrations``; a step takes the schema from version
``i`` to ``i + 1`` and is append-only, never edited once released. Migrating takes a
transaction-level advisory lock first, so workers starting together migrate once, one after the
other, and a step half-applied is rolled back whole (PostgreSQL's DDL is transactional).

Liveness without clocks: every connection of a store holds a session-level advisory lock on
its own random key (:data:`LOCK_CLASS`, key). A row that names a holder (a journal lock, a
worker, a budget slot) records that key, and ``session_alive(key, own)`` tells whether the
holder's session still exists: it tries a *shared* transaction-level lock on the key, which
fails only while the holder's exclusive one is held. A process killed outright loses its
session at once (the server sees its socket close), so what it held is free at once; a machine
cut off by the network keeps it until its lease or slot expires.
"""

from __future__ import annotations

from typing import Final

__all__ = ["LOCK_CLASS", "MIGRATIONS", "SCHEMA_VERSION"]

#: The first key of every advisory lock refund-sync takes ("RSYC"), the second being random.
LOCK_CLASS: Final[int] = 0x52535943

#: Each step is a list of statements; ``{schema}`` is the installation's schema, quoted.
MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    # 1: the journal, the inbox, leases, workers, NetSuite budgets and doctor verdicts.
    (
        """CREATE TABLE {schema}.cursors (
            account text NOT NULL,
            stream text NOT NULL,
            position timestamptz NOT NULL,
            PRIMARY KEY (account, stream)
        )""",
        """CREATE TABLE {schema}.events (
            account text NOT NULL,
            source text NOT NULL,
            event_id text NOT NULL,
            state text NOT NULL CHECK (state IN ('in_progress', 'done', 'dead')),
            code text NOT NULL DEFAULT '',
            synced text,
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (account, source, event_id)
        )""",
        """CREATE TABLE {schema}.actions (
            account text NOT NULL,
            source text NOT NULL,
            event_id text NOT NULL,
            external_id text NOT NULL,
            state text NOT NULL CHECK (state IN ('begun', 'done')),
            record_id text,
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (account, external_id)
        )""",
        "CREATE INDEX actions_by_event ON {schema}.actions (account, source, event_id, state)",
        """CREATE TABLE {schema}.dead_letters (
            account text NOT NULL,
            source text NOT NULL,
            event_id text NOT NULL,
            code text NOT NULL,
            message text NOT NULL,
            payload text NOT NULL,
            attempts integer NOT NULL CHECK (attempts >= 1),
            first_at timestamptz NOT NULL,
            last_at timestamptz NOT NULL,
            PRIMARY KEY (account, source, event_id)
        )""",
        """CREATE INDEX dead_letters_by_age
            ON {schema}.dead_letters (account, first_at, source, event_id)""",
        # One row per account held by a run: a one-off run holds it while its session lives,
        # a worker's lease until expires_at unless renewed.
        """CREATE TABLE {schema}.locks (
            account text PRIMARY KEY,
            owner text NOT NULL,
            token text NOT NULL,
            pid integer NOT NULL,
            hostname text NOT NULL,
            session_key integer NOT NULL,
            acquired_at timestamptz NOT NULL,
            expires_at timestamptz
        )""",
        """CREATE TABLE {schema}.inbox (
            account text NOT NULL,
            source text NOT NULL,
            delivery_id text NOT NULL,
            topic text NOT NULL,
            object_id text NOT NULL,
            received_at timestamptz NOT NULL,
            state text NOT NULL CHECK (state IN ('pending', 'done', 'given_up')),
            attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            last_error text NOT NULL DEFAULT '',
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (account, source, delivery_id)
        )""",
        """CREATE INDEX inbox_pending ON {schema}.inbox (account, received_at, source, delivery_id)
            WHERE state = 'pending'""",
        """CREATE TABLE {schema}.workers (
            worker_id text PRIMARY KEY,
            hostname text NOT NULL,
            pid integer NOT NULL,
            session_key integer NOT NULL,
            started_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL
        )""",
        # A NetSuite account's concurrency budget: one row per slot; a request in flight holds
        # one until it ends (or the slot's lease runs out).
        """CREATE TABLE {schema}.budget_slots (
            target text NOT NULL,
            slot integer NOT NULL CHECK (slot >= 0),
            holder text,
            session_key integer,
            expires_at timestamptz,
            PRIMARY KEY (target, slot)
        )""",
        """CREATE TABLE {schema}.doctor_verdicts (
            account text PRIMARY KEY,
            version text NOT NULL,
            ok boolean NOT NULL,
            checked_at timestamptz NOT NULL,
            failed text NOT NULL
        )""",
        f"""CREATE FUNCTION {{schema}}.session_alive(p_key integer, p_own integer)
            RETURNS boolean LANGUAGE sql VOLATILE AS $$
                SELECT p_key = p_own OR NOT pg_try_advisory_xact_lock_shared({LOCK_CLASS}, p_key)
            $$""",
        # Fencing: a write of a run that holds the journal checks it still does, in the same
        # statement; a lease lost (expired, or taken over) stops the run's writes at once.
        """CREATE FUNCTION {schema}.hold(p_account text, p_token text)
            RETURNS void LANGUAGE plpgsql VOLATILE AS $$
            BEGIN
                IF p_token IS NULL THEN
                    RETURN;
                END IF;
                PERFORM 1 FROM {schema}.locks
                    WHERE account = p_account AND token = p_token
                    AND (expires_at IS NULL OR expires_at > now());
                IF NOT FOUND THEN
                    RAISE EXCEPTION 'the journal of account % is no longer held by this run',
                        p_account USING ERRCODE = 'RS001';
                END IF;
            END
            $$""",
    ),
)

#: The schema version this code writes; older schemas are migrated up to it when opened.
SCHEMA_VERSION: Final[int] = len(MIGRATIONS)

#: The SQLSTATE ``hold`` raises when a run's lease was lost.
LEASE_LOST: Final[str] = "RS001"
