"""The adapter end to end: core plans applied through it, concurrency, loopback, TBA."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings

import refund_core as rc
from refund_adapters._http import RetryPolicy, UpstreamAuthError
from refund_adapters._oauth1 import OAuth1Credentials
from refund_adapters._pacing import ConcurrencyLimiter
from refund_adapters.netsuite import NetSuiteClient, NetSuiteLedger, NetSuiteStandIn, tba_auth
from refund_adapters.netsuite._auth_server import NetSuiteAuthServer
from tests.builders import at
from tests.contracts._run import run
from tests.netsuite.factories import BASE_URL, everything, normalized, rich_snapshot, rig
from tests.strategies import StripeCase, stripe_cases

EXAMPLES = sorted(Path(__file__).parents[2].joinpath("examples").glob("*.json"))


def _ledger_actions(outcome: rc.Outcome) -> list[rc.LedgerAction]:
    if not isinstance(outcome, rc.Plan):
        return []
    return [
        action
        for action in outcome.actions
        if not isinstance(action, rc.IssueStorefrontRefund | rc.IssueStoreCredit)
    ]


def _ns_id(external_id: str) -> str:
    return f"ns-{external_id}"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_plans_through_the_adapter_match_apply_plan(path: Path) -> None:
    """Each example's plans, written through REST, leave NetSuite as refund_core.apply_plan does."""
    scenario = rc.loads_scenario(path.read_text())
    result = rc.plan_scenario(scenario)
    setup = rig(scenario.ledger, internal_id_for=_ns_id)
    for outcome in result.outcomes:
        for action in _ledger_actions(outcome):
            run(setup.ledger.write(action))
    assert normalized(setup.standin.snapshot()) == normalized(result.ledger)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stripe_cases())
def test_stripe_refunds_decided_on_loads_match_the_fake_ledger(case: StripeCase) -> None:
    """Deciding each refund on the adapter's load and writing its plan ends as apply_plan does."""
    setup = rig(case.ledger, internal_id_for=_ns_id)
    expected = case.ledger
    for refund in case.refunds:
        query = rc.LedgerQuery(
            payment_refs=frozenset({refund.payment_ref or ""}), sources=frozenset({refund.key})
        )
        loaded = run(setup.ledger.load(query))
        outcome = rc.decide_stripe_refund(refund, loaded, case.settings)
        assert outcome == rc.decide_stripe_refund(refund, expected, case.settings)
        for action in _ledger_actions(outcome):
            run(setup.ledger.write(action))
        expected = rc.apply_plan(expected, outcome)
    assert normalized(setup.standin.snapshot()) == normalized(expected)


def test_concurrency_limit_is_never_exceeded() -> None:
    """Forty loads at once under a limiter of 3: never more than 3 in flight at NetSuite."""
    snapshot = rich_snapshot()
    setup = rig(snapshot, concurrency_limit=3)
    setup.standin.faults.concurrency_limit = 3
    setup.standin.faults.latency_s = 0.001

    async def many() -> list[rc.LedgerSnapshot]:
        return await asyncio.gather(*(setup.ledger.load(everything(snapshot)) for _ in range(40)))

    results = run(many())
    assert all(normalized(r) == normalized(snapshot) for r in results)
    assert setup.client.limiter.peak_in_flight == 3
    assert setup.standin.peak_in_flight <= 3
    assert setup.standin.rejected_over_limit == 0


def test_a_limit_lower_than_ours_is_met_by_retrying_its_429s() -> None:
    """When the account allows fewer requests than our limiter, its 429s are retried to success."""
    snapshot = rich_snapshot()
    setup = rig(
        snapshot, concurrency_limit=6, policy=RetryPolicy(max_attempts=30), backoff_scale=0.02
    )
    setup.standin.faults.concurrency_limit = 2
    setup.standin.faults.latency_s = 0.001

    async def many() -> list[rc.LedgerSnapshot]:
        return await asyncio.gather(*(setup.ledger.load(everything(snapshot)) for _ in range(6)))

    results = run(many())
    assert all(normalized(r) == normalized(snapshot) for r in results)
    assert setup.standin.rejected_over_limit > 0
    assert setup.sleeps  # each refusal waited before its retry


def test_over_a_real_loopback_server() -> None:
    """Load, write and look up over HTTP/1.1 on 127.0.0.1, as against NetSuite."""
    snapshot = rich_snapshot()
    standin = NetSuiteStandIn.from_snapshot(snapshot)
    refund = rc.RefundEvent(
        source="stripe",
        refund_id="re_loop",
        amount=rc.Money.of("5.00", "USD"),
        created_at=at("2026-04-01"),
        status=rc.RefundStatus.SUCCEEDED,
        payment_ref="ch_1",
    )
    settings_ = rc.RefundSettings(partial_refund_item="PARTIAL")

    async def session(base_url: str) -> tuple[rc.LedgerSnapshot, rc.Outcome, list[rc.WriteReceipt]]:
        async with httpx.AsyncClient() as http:
            port = NetSuiteLedger(
                NetSuiteClient(http, base_url=f"{base_url}/services/rest"),
                undeposited_funds_account=standin.undeposited_funds_account,
                currencies=standin.currency_ids,
                tax_codes=standin.tax_rates,
            )
            loaded = await port.load(everything(snapshot))
            plan = rc.decide_stripe_refund(refund, loaded, settings_)
            receipts = [await port.write(action) for action in _ledger_actions(plan)]
            for receipt in receipts:
                assert await port.find_by_external_id(receipt.external_id) == receipt.record_id
            return loaded, plan, receipts

    with standin.serve() as server:
        loaded, plan, receipts = run(session(server.base_url))
    assert normalized(loaded) == normalized(snapshot)
    assert receipts
    assert all(r.created for r in receipts)
    ids = {r.external_id: r.record_id for r in receipts}
    expected = rc.apply_plan(snapshot, plan, internal_id_for=ids.__getitem__)
    assert normalized(standin.snapshot()) == normalized(expected)


CREDENTIALS = OAuth1Credentials("consumer-key", "consumer-secret", "token-id", "token-secret")


def _tba_rig(credentials: OAuth1Credentials) -> tuple[NetSuiteStandIn, NetSuiteLedger]:
    server = NetSuiteAuthServer("123456_SB1")
    server.register_tba(CREDENTIALS)
    standin = NetSuiteStandIn.from_snapshot(rich_snapshot(), auth=server)
    client = NetSuiteClient(
        lambda: httpx.AsyncClient(transport=standin.transport()),
        base_url=BASE_URL,
        auth=tba_auth("123456_SB1", credentials),
    )
    return standin, NetSuiteLedger(
        client,
        undeposited_funds_account=standin.undeposited_funds_account,
        currencies=standin.currency_ids,
        tax_codes=standin.tax_rates,
    )


def test_tba_signed_requests_are_accepted() -> None:
    """Every request is signed with TBA (HMAC-SHA256, realm) and the stand-in accepts them."""
    standin, port = _tba_rig(CREDENTIALS)
    loaded = run(port.load(rc.LedgerQuery(order_refs=frozenset({"1001"}))))
    assert loaded.sales_orders
    assert all(r.headers["authorization"].startswith("OAuth ") for r in standin.requests)


def test_wrong_tba_secret_is_refused_as_invalid_login() -> None:
    """A request signed with the wrong token secret gets 401 INVALID_LOGIN: UpstreamAuthError."""
    wrong = OAuth1Credentials("consumer-key", "consumer-secret", "token-id", "not-the-secret")
    _standin, port = _tba_rig(wrong)
    with pytest.raises(UpstreamAuthError) as caught:
        run(port.find_by_external_id("rs-x"))
    assert caught.value.code == "INVALID_LOGIN"


def test_one_client_factory_serves_several_event_loops() -> None:
    """The same adapter works across separate asyncio.run calls (one client per loop)."""
    setup = rig(rich_snapshot())
    for _ in range(3):
        assert run(setup.ledger.find_by_external_id("rs-dp-1")) == "DP-1"


def test_account_id_gives_the_suitetalk_host() -> None:
    """A sandbox account ID becomes the lower-case, dashed SuiteTalk host."""
    client = NetSuiteClient(httpx.AsyncClient, account="123456_SB1", limiter=ConcurrencyLimiter(5))
    assert client.base_url == "https://123456-sb1.suitetalk.api.netsuite.com/services/rest"
