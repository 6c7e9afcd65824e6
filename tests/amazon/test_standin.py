"""The Amazon stand-in answers as the SP-API documents: auth, date rules, paging, quotas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

import refund_core as rc
from refund_adapters.amazon import AmazonStandIn, SeededItem
from refund_adapters.conformance.builders import payment_failure, storefront_refund
from tests.amazon.factories import NOW, FakeClock, fresh_token, raw_request, source_for, standin
from tests.contracts._run import run

TXN = "/finances/2024-06-19/transactions"
V0 = "/finances/v0/financialEvents"


def _seeded(clock: FakeClock, **options: object) -> AmazonStandIn:
    amazon = standin(clock, **options)
    for day in range(1, 6):
        amazon.add_refund(
            order_id=f"111-000000{day}-0000000",
            posted=datetime(2026, 11, day, tzinfo=UTC),
            items=[SeededItem("SKU-1", {"Principal": "-10.00"})],
        )
    return amazon


def _code(response: object) -> str:
    body = response.json()  # type: ignore[attr-defined]
    return str(body["errors"][0]["code"])


def test_posted_before_within_two_minutes_is_invalid_input() -> None:
    """A postedBefore less than two minutes before the request is refused with InvalidInput."""
    clock = FakeClock()
    amazon = _seeded(clock)
    token = run(fresh_token(amazon))
    recent = (NOW - timedelta(seconds=60)).isoformat().replace("+00:00", "Z")
    response = run(
        raw_request(
            amazon,
            "GET",
            f"{TXN}?postedAfter=2026-11-01T00:00:00Z&postedBefore={recent}",
            token=token,
        )
    )
    assert response.status_code == 400
    assert _code(response) == "InvalidInput"
    assert response.headers["x-amzn-RequestId"]


def test_posted_after_is_required_and_before_must_follow_it() -> None:
    """No postedAfter, or postedBefore not after postedAfter, is InvalidInput in both versions."""
    clock = FakeClock()
    amazon = _seeded(clock)
    token = run(fresh_token(amazon))
    for path in (
        f"{TXN}?postedBefore=2026-11-02T00:00:00Z",
        f"{V0}?PostedBefore=2026-11-02T00:00:00Z",
    ):
        response = run(raw_request(amazon, "GET", path, token=token))
        assert response.status_code == 400, path
    backwards = f"{TXN}?postedAfter=2026-11-03T00:00:00Z&postedBefore=2026-11-02T00:00:00Z"
    assert run(raw_request(amazon, "GET", backwards, token=token)).status_code == 400


def test_range_over_180_days_answers_an_empty_list() -> None:
    """As documented, more than 180 days between the dates gives an empty response, not an error."""
    clock = FakeClock()
    amazon = _seeded(clock)
    token = run(fresh_token(amazon))
    wide = f"{TXN}?postedAfter=2026-01-01T00:00:00Z&postedBefore=2026-11-30T00:00:00Z"
    response = run(raw_request(amazon, "GET", wide, token=token))
    assert response.status_code == 200
    assert response.json()["payload"]["transactions"] == []
    narrow = f"{TXN}?postedAfter=2026-06-05T00:00:00Z&postedBefore=2026-11-30T00:00:00Z"
    assert (
        len(run(raw_request(amazon, "GET", narrow, token=token)).json()["payload"]["transactions"])
        == 5
    )


def test_access_token_is_checked_and_expires() -> None:
    """No token or an unknown one is 403 Unauthorized; a token an hour old is refused as expired."""
    clock = FakeClock()
    amazon = _seeded(clock)
    query = f"{TXN}?postedAfter=2026-11-01T00:00:00Z"
    assert run(raw_request(amazon, "GET", query)).status_code == 403
    assert _code(run(raw_request(amazon, "GET", query, token="Atza|forged"))) == "Unauthorized"
    token = run(fresh_token(amazon))
    assert run(raw_request(amazon, "GET", query, token=token)).status_code == 200
    clock.advance(timedelta(hours=1))
    expired = run(raw_request(amazon, "GET", query, token=token))
    assert expired.status_code == 403
    assert "expired" in expired.json()["errors"][0]["details"]


def test_lwa_refuses_wrong_client_and_refresh_token() -> None:
    """LWA answers invalid_client for a wrong secret and invalid_grant for a wrong refresh token."""
    amazon = standin(FakeClock())
    form = {
        "grant_type": "refresh_token",
        "refresh_token": "Atzr|standin-refresh-token",
        "client_id": "amzn1.application-oa2-client.standin",
        "client_secret": "wrong",
    }
    wrong_client = run(raw_request(amazon, "POST", "/auth/o2/token", data=form))
    assert (wrong_client.status_code, wrong_client.json()["error"]) == (401, "invalid_client")
    form |= {"client_secret": "standin-client-secret", "refresh_token": "Atzr|other"}
    wrong_grant = run(raw_request(amazon, "POST", "/auth/o2/token", data=form))
    assert (wrong_grant.status_code, wrong_grant.json()["error"]) == (400, "invalid_grant")


def test_next_token_must_come_with_the_same_arguments() -> None:
    """A NextToken pages on with identical arguments and is InvalidInput with different ones."""
    clock = FakeClock()
    amazon = _seeded(clock, transactions_page_size=2)
    token = run(fresh_token(amazon))
    first = run(raw_request(amazon, "GET", f"{TXN}?postedAfter=2026-11-01T00:00:00Z", token=token))
    next_token = first.json()["payload"]["nextToken"]
    same = f"{TXN}?postedAfter=2026-11-01T00:00:00Z&nextToken={next_token}"
    assert (
        len(run(raw_request(amazon, "GET", same, token=token)).json()["payload"]["transactions"])
        == 2
    )
    other = f"{TXN}?postedAfter=2026-11-02T00:00:00Z&nextToken={next_token}"
    assert _code(run(raw_request(amazon, "GET", other, token=token))) == "InvalidInput"


def test_bucket_answers_quota_exceeded_past_the_burst_and_refills_at_the_rate() -> None:
    """A burst of 10 listTransactions calls passes, then 429 QuotaExceeded until 2 s pass."""
    clock = FakeClock()
    amazon = _seeded(clock)
    token = run(fresh_token(amazon))
    query = f"{TXN}?postedAfter=2026-11-01T00:00:00Z"
    statuses = [run(raw_request(amazon, "GET", query, token=token)).status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]
    throttled = run(raw_request(amazon, "GET", query, token=token))
    assert _code(throttled) == "QuotaExceeded"
    clock.monotonic_s += 2.0
    assert run(raw_request(amazon, "GET", query, token=token)).status_code == 200
    assert amazon.throttled == 2


def test_from_events_round_trips_through_the_adapter_in_both_versions() -> None:
    """Seeded core events come back from the adapter with the same amounts, parts and times."""
    events = [
        storefront_refund(
            "r1",
            "35.00",
            lines=[("SKU-A", 1, "10.00"), ("SKU-B", 2, "20.00")],
            shipping="5.00",
            created="2026-03-01",
            order_ref="111-1",
        ),
        rc.RefundEvent(
            source="shopify",
            refund_id="r2",
            amount=rc.Money.parse("18.00 USD"),
            created_at=datetime(2026, 3, 2, tzinfo=UTC),
            status=rc.RefundStatus.SUCCEEDED,
            order_ref="111-2",
            lines=[rc.RefundLine("SKU-C", None, rc.Money.parse("20.00 USD"))],
            adjustment=rc.Money.parse("-2.00 USD"),
        ),
        storefront_refund("r3", "7.00", created="2026-03-03", order_ref="111-3"),
    ]
    clock = FakeClock()
    amazon = AmazonStandIn.from_events(events, clock=clock.now, monotonic=clock.monotonic)
    source = source_for(amazon, clock)
    page = run(
        source.list_events(since=datetime(2026, 1, 1, tzinfo=UTC), page_token=None, limit=10)
    )
    assert page.items == tuple(attrs.evolve(e, source="amazon") for e in events)
    v0 = source_for(amazon, clock, api="v0")
    listed = run(
        v0.list_events(since=datetime(2026, 1, 1, tzinfo=UTC), page_token=None, limit=10)
    ).items
    assert [attrs.evolve(e, refund_id="x") for e in listed] == [
        attrs.evolve(e, source="amazon", refund_id="x") for e in events
    ]


def test_from_events_refuses_payment_failures() -> None:
    """Amazon reports no failed payments, so seeding one is an error, not a disguised refund."""
    with pytest.raises(rc.InvalidInputError, match="refunds only"):
        AmazonStandIn.from_events([payment_failure("fail_1", "5.00")])
