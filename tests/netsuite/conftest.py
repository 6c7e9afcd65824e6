"""Every request a NetSuite stand-in accepts in these tests is held to the facts pack."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from refund_adapters.netsuite import NetSuiteStandIn
from tests.netsuite_contract import request_errors
from tests.specs import specs_dir


@pytest.fixture(autouse=True)
def _requests_within_the_facts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Record what each stand-in accepted; after the test, check it against the facts pack."""
    accepted: list[httpx.Request] = []
    handle = NetSuiteStandIn.handle

    async def recording(self: NetSuiteStandIn, request: httpx.Request) -> httpx.Response:
        response = await handle(self, request)
        if response.status_code < 400:
            accepted.append(request)
        return response

    monkeypatch.setattr(NetSuiteStandIn, "handle", recording)
    yield
    if not (specs_dir() / "netsuite" / "records.json").is_file():
        return  # no facts pack here: the contract tests below say so by skipping
    errors = sorted({error for request in accepted for error in request_errors(request)})
    assert errors == [], "requests outside the NetSuite facts pack"
