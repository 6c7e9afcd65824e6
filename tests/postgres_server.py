"""The real PostgreSQL the tests run against, and a fresh schema per session (fixtures).

Any test may ask for ``postgres_url``, ``postgres_schema`` or ``own_schema`` (``conftest.py``
makes them fixtures everywhere). The server is ``REFUND_SYNC_TEST_POSTGRES`` (a libpq URL;
default the local server). Where it cannot be reached these tests skip, saying why; with
``REFUND_SYNC_REQUIRE_POSTGRES`` set (as ``.ci/run`` sets it) they fail instead, so CI always
runs them. Every session works in a schema of its own, dropped at the end; tests use accounts
of their own inside it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from refund_adapters.postgres import redact

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _required() -> bool:
    return os.environ.get("REFUND_SYNC_REQUIRE_POSTGRES", "").strip().lower() not in (
        "",
        "0",
        "false",
        "no",
    )


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test server's URL; skips (or fails, when required) if it cannot be reached."""
    url = os.environ.get("REFUND_SYNC_TEST_POSTGRES", DEFAULT_URL)
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as exc:
        why = (
            f"PostgreSQL is not reachable at {redact(url)} ({str(exc).strip().splitlines()[0]}); "
            "set REFUND_SYNC_TEST_POSTGRES to a server's URL"
        )
        if _required():
            pytest.fail(f"{why} (REFUND_SYNC_REQUIRE_POSTGRES is set)", pytrace=False)
        pytest.skip(why)
    return url


def drop_schema(url: str, schema: str) -> None:
    """Drop ``schema`` and everything in it."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def fresh_schema_name() -> str:
    """A schema name no other test or session uses."""
    return f"rs_test_{secrets.token_hex(6)}"


@pytest.fixture(scope="session")
def postgres_schema(postgres_url: str) -> Iterator[str]:
    """A schema for this test session, dropped at its end."""
    schema = fresh_schema_name()
    yield schema
    drop_schema(postgres_url, schema)


@pytest.fixture
def own_schema(postgres_url: str) -> Iterator[str]:
    """A schema for one test (migrations, counts over every account), dropped after it."""
    schema = fresh_schema_name()
    yield schema
    drop_schema(postgres_url, schema)


def fresh_account() -> str:
    """An account name no other test uses."""
    return f"acct-{secrets.token_hex(6)}"
