"""The sync engine over the NetSuite adapter ends where it ends over FakeLedger, faults or not."""

from __future__ import annotations

import httpx
import pytest

import refund_core as rc
from refund_adapters.engine import EngineConfig, SyncEngine
from refund_adapters.netsuite import NetSuiteStandIn
from refund_core.testing import FakeLedger, FakeRefundSource, MemoryJournal
from tests.builders import at
from tests.netsuite.factories import normalized, rig
from tests.test_engine import _events, _ledger  # the same world as over FakeLedger

SETTINGS = rc.RefundSettings(partial_refund_item="PARTIAL")
ACCOUNT = rc.ConnectorAccount(
    "acct-1",
    rc.StorefrontCapabilities("stripe", rc.StorefrontKind.MARKETPLACE),
    [rc.Direction.INCOMING],
    SETTINGS,
)
START = at("2026-01-01")


def _engine(port: rc.Ledger) -> SyncEngine:
    return SyncEngine(
        account=ACCOUNT,
        policy=rc.Policy.STRIPE_CONNECTOR,
        source=FakeRefundSource("stripe", _events()),
        ledger=port,
        journal=MemoryJournal(),
        config=EngineConfig(page_size=2),
    )


def _with_fake() -> rc.LedgerSnapshot:
    fake = FakeLedger(_ledger())
    _engine(fake).run(START)
    return fake.snapshot


def _lose_answer_of_request(standin: NetSuiteStandIn, number: int) -> list[str]:
    """Make the stand-in process its ``number``-th request and then drop its answer."""
    original = standin.handle
    lost: list[str] = []

    async def handle(request: httpx.Request) -> httpx.Response:
        response = await original(request)
        if len(standin.requests) == number:
            standin.lose_response_next()
            lost.append(f"{request.method} {request.url.path}")
        return response

    standin.handle = handle  # type: ignore[method-assign]
    return lost


def _clean_run_requests() -> list[str]:
    setup = rig(_ledger(), internal_id_for=lambda external_id: f"ns-{external_id}")
    _engine(setup.ledger).run(START)
    return [f"{r.method} {r.url.path}" for r in setup.standin.requests]


def _request_numbers() -> list[int | None]:
    """No fault, then the first request of each kind: a read, each write kind, a PATCH."""
    calls = _clean_run_requests()
    kinds = ("query/v1/suiteql", "!transform/creditMemo", "record/v1/customerRefund", "PATCH ")
    numbers: list[int | None] = [None]
    for kind in kinds:
        numbers.append(next(n for n, call in enumerate(calls, start=1) if kind in call))
    numbers.append(len(calls))  # the very last request
    return numbers


@pytest.mark.parametrize("lost_at", _request_numbers())
def test_engine_over_netsuite_matches_the_fake_ledger(lost_at: int | None) -> None:
    """Same events, same end state as FakeLedger, even when the answer of request N is lost."""
    setup = rig(_ledger(), internal_id_for=lambda external_id: f"ns-{external_id}")
    lost = _lose_answer_of_request(setup.standin, lost_at) if lost_at is not None else []
    summary = _engine(setup.ledger).run(START)
    assert summary.dead_lettered == 0
    assert len(lost) == (lost_at is not None)
    assert normalized(setup.standin.snapshot()) == normalized(_with_fake())
    again = _engine(setup.ledger).run(START)  # a fresh journal: everything is planned again
    assert again.writes_created == 0  # IDM-2
