"""The PostgreSQL journal beyond the contract: migrations, shared accounts, lock, lease, fence."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import datetime

import psycopg
import pytest
from psycopg import sql

import refund_core as rc
from refund_adapters.postgres import (
    SCHEMA_VERSION,
    LeaseLostError,
    PostgresError,
    PostgresStore,
    has_password,
    inbox_channel,
    redact,
)
from tests.builders import at
from tests.postgres_server import fresh_account

KEY = rc.SourceKey("stripe", "re_1")


def _store(url: str, schema: str) -> PostgresStore:
    return PostgresStore(url, schema=schema)


def _migrations(url: str, schema: str) -> list[int]:
    with psycopg.connect(url) as conn:
        query = sql.SQL("SELECT version FROM {}.migrations ORDER BY version")
        rows = conn.execute(query.format(sql.Identifier(schema))).fetchall()
    return [int(row[0]) for row in rows]


# ----------------------------------------------------------------------------------------------
# Migrations
# ----------------------------------------------------------------------------------------------


def test_a_new_schema_is_created_at_the_current_version(postgres_url: str, own_schema: str) -> None:
    """Opening a database without the schema creates it and applies every migration once."""
    with _store(postgres_url, own_schema) as store:
        assert store.schema_version == SCHEMA_VERSION
    with _store(postgres_url, own_schema) as store:  # reopened: nothing applied again
        assert store.schema_version == SCHEMA_VERSION
    assert _migrations(postgres_url, own_schema) == list(range(1, SCHEMA_VERSION + 1))


def test_workers_starting_together_migrate_once(postgres_url: str, own_schema: str) -> None:
    """Four stores opening a fresh schema at once all succeed; each version is applied once."""
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            _store(postgres_url, own_schema).close()
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert _migrations(postgres_url, own_schema) == list(range(1, SCHEMA_VERSION + 1))


def test_a_newer_schema_is_refused(postgres_url: str, own_schema: str) -> None:
    """A schema written by a newer version raises PostgresError naming both versions."""
    _store(postgres_url, own_schema).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("INSERT INTO {}.migrations (version) VALUES (%s)").format(
                sql.Identifier(own_schema)
            ),
            (SCHEMA_VERSION + 1,),
        )
    with pytest.raises(PostgresError, match=f"version {SCHEMA_VERSION + 1}, newer than"):
        _store(postgres_url, own_schema)


def test_a_schema_name_that_needs_quoting_is_refused(postgres_url: str) -> None:
    """The schema must be a plain lower-case name: the store refuses anything else up front."""
    with pytest.raises(rc.ConfigurationError, match="lower-case"):
        PostgresStore(postgres_url, schema='refund"sync; DROP')


# ----------------------------------------------------------------------------------------------
# Many accounts in one schema
# ----------------------------------------------------------------------------------------------


def test_accounts_share_one_schema_without_mixing(postgres_url: str, own_schema: str) -> None:
    """Two accounts' cursors, events, writes, letters and deliveries never show in the other."""
    with _store(postgres_url, own_schema) as store:
        a, b = store.journal("acct-a"), store.journal("acct-b")
        a.set_cursor("s", at("2026-03-02"))
        b.set_cursor("s", at("2026-03-01"))
        a.mark_event(KEY, rc.EventState.DONE, code="planned")
        a.complete_action(KEY, "rs-1", "CM-1")
        a.add_dead_letter(rc.SourceKey("stripe", "re_9"), code="c", message="m", payload="{}")
        delivery = rc.Delivery("stripe", "evt_1", "refund.updated", "re_1", at("2026-03-01"))
        assert a.put_delivery(delivery) is True
        assert b.put_delivery(delivery) is True  # one delivery ID per account
        assert (a.get_cursor("s"), b.get_cursor("s")) == (at("2026-03-02"), at("2026-03-01"))
        assert b.event_state(KEY) is None
        assert b.completed_actions(KEY) == frozenset()
        assert b.action_record("rs-1") is None
        assert a.action_record("rs-1") == "CM-1"
        assert b.dead_letters() == ()
        assert a.event_counts() == {"done:planned": 1}
        assert store.accounts() == ("acct-a", "acct-b")


def test_naive_times_are_refused(postgres_url: str, postgres_schema: str) -> None:
    """A naive cursor position, a naive delivery time or a naive clock is bad input."""
    with _store(postgres_url, postgres_schema) as store:
        journal = store.journal(fresh_account())
        with pytest.raises(rc.InvalidInputError, match="timezone-aware"):
            journal.set_cursor("s", datetime(2026, 3, 1))
    naive = PostgresStore(postgres_url, schema=postgres_schema, clock=lambda: datetime(2026, 3, 1))
    with naive, pytest.raises(rc.InvalidInputError, match="timezone-aware"):
        naive.journal(fresh_account()).mark_event(KEY, rc.EventState.DONE)


# ----------------------------------------------------------------------------------------------
# The lock across sessions and processes
# ----------------------------------------------------------------------------------------------


def test_another_session_is_refused_naming_the_holder(
    postgres_url: str, postgres_schema: str
) -> None:
    """A run on another connection is refused, even under the same owner name, until release."""
    account = fresh_account()
    with _store(postgres_url, postgres_schema) as one, _store(postgres_url, postgres_schema) as two:
        first, second = one.journal(account), two.journal(account)
        first.acquire("refund-sync sync")
        with pytest.raises(rc.JournalBusyError, match=f"pid {one.pid}"):
            second.acquire("refund-sync sync")
        second.release("refund-sync sync")  # a refused run's cleanup frees nothing
        holder = second.lock_holder()
        assert holder is not None
        assert (holder.owner, holder.alive) == ("refund-sync sync", True)
        first.release("refund-sync sync")
        second.acquire("refund-sync sync")
        assert second.holds


def test_a_closed_session_frees_the_account_at_once(
    postgres_url: str, postgres_schema: str
) -> None:
    """The lock of a run whose connection ended is stale at once, and taken over."""
    account = fresh_account()
    one = _store(postgres_url, postgres_schema)
    one.journal(account).acquire("run-a")
    one.close()
    with _store(postgres_url, postgres_schema) as two:
        journal = two.journal(account)
        holder = journal.lock_holder()
        assert holder is not None
        assert holder.alive is False
        journal.acquire("run-b")
        assert journal.holder() == "run-b"


_HOLD = """
import sys
from refund_adapters.postgres import PostgresStore
store = PostgresStore(sys.argv[1], schema=sys.argv[2])
store.journal(sys.argv[3]).acquire("held elsewhere")
print("held", flush=True)
sys.stdin.readline()
"""


def test_a_killed_process_frees_the_account_at_once(
    postgres_url: str, postgres_schema: str
) -> None:
    """A process killed outright (SIGKILL) while holding an account frees it for the next run."""
    account = fresh_account()
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, postgres_url, postgres_schema, account],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    with holder, _store(postgres_url, postgres_schema) as store:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        journal = store.journal(account)
        with pytest.raises(rc.JournalBusyError, match=f"pid {holder.pid}"):
            journal.acquire("next run")
        holder.kill()
        holder.wait(timeout=60)
        deadline = time.monotonic() + 10  # the server notices the closed socket within moments
        while True:
            try:
                journal.acquire("next run")
                break
            except rc.JournalBusyError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        assert journal.holder() == "next run"


# ----------------------------------------------------------------------------------------------
# Leases and the fence
# ----------------------------------------------------------------------------------------------


def test_an_expired_lease_is_taken_over_and_fences_its_old_holder(
    postgres_url: str, postgres_schema: str
) -> None:
    """A lease not renewed in time is taken by another worker; the old holder can write nothing."""
    account = fresh_account()
    with _store(postgres_url, postgres_schema) as one, _store(postgres_url, postgres_schema) as two:
        old, new = one.journal(account), two.journal(account)
        old.acquire("worker-1", lease_s=0.3)
        old.mark_event(KEY, rc.EventState.IN_PROGRESS)  # holds: writes go through
        with pytest.raises(rc.JournalBusyError):
            new.acquire("worker-2", lease_s=30)
        time.sleep(0.5)  # the lease runs out while its session still lives (a stalled worker)
        new.acquire("worker-2", lease_s=30)
        new.add_dead_letter(KEY, code="c", message="m", payload="{}")
        new.put_delivery(rc.Delivery("stripe", "evt_1", "refund.updated", "re_1", at("2026-03-01")))
        for write in (
            lambda: old.mark_event(KEY, rc.EventState.DONE, code="planned"),
            lambda: old.begin_action(KEY, "rs-1"),
            lambda: old.complete_action(KEY, "rs-1", "CM-1"),
            lambda: old.set_cursor("s", at("2026-03-02")),
            lambda: old.add_dead_letter(KEY, code="c", message="m", payload="{}"),
            lambda: old.resolve_dead_letter(KEY),
            lambda: old.finish_delivery("stripe", "evt_1"),
        ):
            with pytest.raises(LeaseLostError, match="no longer held"):
                write()
        assert old.renew(30) is False
        assert new.event_state(KEY) is rc.EventState.IN_PROGRESS
        assert new.completed_actions(KEY) == frozenset()
        assert [letter.attempts for letter in new.dead_letters()] == [1]
        assert len(new.pending_deliveries(10)) == 1
        new.mark_event(KEY, rc.EventState.DONE, code="planned")
        assert new.event_state(KEY) is rc.EventState.DONE


def test_a_renewed_lease_is_kept(postgres_url: str, postgres_schema: str) -> None:
    """A worker renewing its lease in time keeps the account past the lease's first term."""
    account = fresh_account()
    with _store(postgres_url, postgres_schema) as one, _store(postgres_url, postgres_schema) as two:
        holder, other = one.journal(account), two.journal(account)
        holder.acquire("worker-1", lease_s=0.4)
        for _ in range(4):
            time.sleep(0.2)
            assert holder.renew(0.4) is True
        with pytest.raises(rc.JournalBusyError):
            other.acquire("worker-2", lease_s=30)
        holder.mark_event(KEY, rc.EventState.DONE)  # still holds: writes go through


def test_unlock_clears_only_a_lock_whose_run_is_gone_unless_forced(
    postgres_url: str, postgres_schema: str
) -> None:
    """Unlock refuses a live holder, clears it with force (fencing it), clears a dead one."""
    account = fresh_account()
    with _store(postgres_url, postgres_schema) as one, _store(postgres_url, postgres_schema) as two:
        held, admin = one.journal(account), two.journal(account)
        assert admin.unlock() is None
        held.acquire("worker-1", lease_s=30)
        with pytest.raises(rc.JournalBusyError, match="still running"):
            admin.unlock()
        cleared = admin.unlock(force=True)
        assert cleared is not None
        assert cleared.owner == "worker-1"
        with pytest.raises(LeaseLostError):
            held.mark_event(KEY, rc.EventState.DONE)
    with _store(postgres_url, postgres_schema) as three:
        gone = three.journal(fresh_account())
        gone.acquire("run")
    with _store(postgres_url, postgres_schema) as four:
        stale = four.journal(gone.account)
        cleared = stale.unlock()
        assert cleared is not None
        assert cleared.alive is False


def test_a_journal_closed_gives_its_lock_back(postgres_url: str, postgres_schema: str) -> None:
    """Closing a journal that still holds its account frees it; the store stays usable."""
    with _store(postgres_url, postgres_schema) as store:
        journal = store.journal(fresh_account())
        journal.acquire("run")
        journal.close()
        assert journal.lock_holder() is None
        store.ping()


# ----------------------------------------------------------------------------------------------
# The inbox wakes workers
# ----------------------------------------------------------------------------------------------


def test_a_stored_delivery_is_announced_once(postgres_url: str, postgres_schema: str) -> None:
    """Storing a delivery notifies the inbox channel with the account; a duplicate does not."""
    account = fresh_account()
    channel = inbox_channel(postgres_schema)
    delivery = rc.Delivery("stripe", "evt_1", "refund.updated", "re_1", at("2026-03-01"))
    with psycopg.connect(postgres_url, autocommit=True) as listener:
        listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        with _store(postgres_url, postgres_schema) as store:
            journal = store.journal(account)
            assert journal.put_delivery(delivery) is True
            assert journal.put_delivery(delivery) is False
        heard = [n.payload for n in listener.notifies(timeout=2, stop_after=2)]
    assert heard == [account]


# ----------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------


def test_an_unreachable_server_is_a_typed_error_without_the_password() -> None:
    """A server that refuses the connection raises PostgresError; the password is never shown."""
    url = "postgresql://refund:s3cret-pw@127.0.0.1:1/refund"
    with pytest.raises(PostgresError) as caught:
        PostgresStore(url, connect_timeout_s=2)
    assert "s3cret-pw" not in str(caught.value)
    assert "127.0.0.1:1" in str(caught.value)


def test_use_after_close_is_a_typed_error(postgres_url: str, postgres_schema: str) -> None:
    """Calling a journal whose store was closed raises PostgresError, naming the operation."""
    store = _store(postgres_url, postgres_schema)
    journal = store.journal(fresh_account())
    store.close()
    with pytest.raises(PostgresError, match="read a cursor"):
        journal.get_cursor("s")


@pytest.mark.parametrize(
    ("url", "shown", "secret"),
    [
        (
            "postgresql://u:pw@db.example:5433/refunds?sslmode=require",
            "postgresql://u@db.example:5433/refunds",
            True,
        ),
        ("postgresql://db.example/refunds", "postgresql://db.example/refunds", False),
        ("postgresql:///refunds?password=pw", "postgresql:///refunds", True),
        ("host=db password=pw dbname=refunds", "<a libpq connection string>", True),
        ("host=db dbname=refunds", "<a libpq connection string>", False),
    ],
)
def test_urls_are_shown_without_their_password(url: str, shown: str, secret: bool) -> None:
    """Redact drops the password and options; has_password finds one in either form."""
    assert redact(url) == shown
    assert has_password(url) is secret
