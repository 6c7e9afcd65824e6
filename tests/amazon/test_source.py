"""The Amazon refund source: windows, the PostedBefore clamp, paging, pacing, retries, errors."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl

import httpx
import pytest

import refund_core as rc
from refund_adapters._http import (
    RetryPolicy,
    UpstreamAuthError,
    UpstreamNotFoundError,
    UpstreamRejectedError,
    UpstreamUnavailableError,
)
from refund_adapters._pacing import RatePacer
from refund_adapters.amazon import (
    DEFAULT_CAPABILITIES,
    MAX_WINDOW,
    AmazonRefundSource,
    AmazonStandIn,
    FinancesApi,
    SeededItem,
    split_windows,
)
from tests.amazon.factories import (
    CREDENTIALS,
    NOW,
    FakeClock,
    prime_token,
    source_for,
    standin,
)
from tests.contracts._run import run

APIS = [FinancesApi.V2024_06_19, FinancesApi.V0]
SINCE = datetime(2026, 1, 1, tzinfo=UTC)
QUOTA = {"errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota."}]}


def _refund(amazon: AmazonStandIn, day: datetime, order: str = "111-0000000-0000001") -> None:
    amazon.add_refund(
        order_id=order, posted=day, items=[SeededItem("SKU-1", {"Principal": "-10.00"})]
    )


def _finances_queries(amazon: AmazonStandIn) -> list[dict[str, str]]:
    return [
        dict(parse_qsl(r.url.query.decode()))
        for r in amazon.requests
        if r.url.path.startswith("/finances/")
    ]


def _all(
    source: AmazonRefundSource, since: datetime, limit: int
) -> list[tuple[rc.SourceEvent, ...]]:
    pages = []
    token = None
    while True:
        page = run(source.list_events(since=since, page_token=token, limit=limit))
        pages.append(page.items)
        if page.next_token is None:
            return pages
        token = page.next_token


def test_split_windows_cover_a_long_range_in_consecutive_180_day_windows() -> None:
    """A 400-day range becomes three back-to-back windows, none longer than 180 days."""
    end = SINCE + timedelta(days=400)
    windows = split_windows(SINCE, end)
    assert [b - a for a, b in windows] == [MAX_WINDOW, MAX_WINDOW, timedelta(days=40)]
    assert windows[0][0] == SINCE
    assert windows[-1][1] == end
    assert all(windows[i][1] == windows[i + 1][0] for i in range(len(windows) - 1))
    assert split_windows(end, end) == ()
    with pytest.raises(rc.ConfigurationError, match="180 days"):
        split_windows(SINCE, end, timedelta(days=181))


@pytest.mark.parametrize("api", APIS)
def test_a_range_over_180_days_is_read_window_by_window(api: FinancesApi) -> None:
    """Refunds 300 days apart are both found, though Amazon answers nothing for wider ranges."""
    clock = FakeClock()
    amazon = standin(clock)
    _refund(amazon, SINCE + timedelta(days=10))
    _refund(amazon, SINCE + timedelta(days=310))
    source = source_for(amazon, clock, api=api)
    listed = run(source.list_events(since=SINCE, page_token=None, limit=10)).items
    assert [e.created_at for e in listed] == [
        SINCE + timedelta(days=10),
        SINCE + timedelta(days=310),
    ]
    after, before = (
        ("PostedAfter", "PostedBefore")
        if api is FinancesApi.V0
        else ("postedAfter", "postedBefore")
    )
    spans = [
        (datetime.fromisoformat(q[after]), datetime.fromisoformat(q[before]))
        for q in _finances_queries(amazon)
    ]
    assert spans == [(SINCE, SINCE + MAX_WINDOW), (SINCE + MAX_WINDOW, NOW - timedelta(minutes=2))]


@pytest.mark.parametrize("api", APIS)
def test_posted_before_is_clamped_two_minutes_before_now(api: FinancesApi) -> None:
    """The last window ends two minutes before the clock (whole seconds), never later."""
    clock = FakeClock(datetime(2026, 11, 30, 8, 0, 30, 500000, tzinfo=UTC))
    amazon = standin(clock)
    source = source_for(amazon, clock, api=api)
    run(source.list_events(since=datetime(2026, 11, 1, tzinfo=UTC), page_token=None, limit=5))
    (query,) = _finances_queries(amazon)
    before = query["PostedBefore" if api is FinancesApi.V0 else "postedBefore"]
    assert before == "2026-11-30T07:58:30Z"


def test_since_inside_the_last_two_minutes_lists_nothing_without_asking() -> None:
    """A since later than now - 2 min gives an empty last page and sends no request."""
    clock = FakeClock()
    amazon = standin(clock)
    source = source_for(amazon, clock)
    page = run(source.list_events(since=NOW - timedelta(minutes=1), page_token=None, limit=5))
    assert page == rc.Page(items=(), next_token=None)
    assert amazon.requests == []


def test_settle_delay_may_be_longer_but_not_shorter_than_two_minutes() -> None:
    """A 48-hour settle delay moves postedBefore back; under two minutes is refused."""
    clock = FakeClock()
    amazon = standin(clock)
    source = source_for(amazon, clock, settle_delay=timedelta(hours=48))
    assert source.posted_before_limit() == NOW - timedelta(hours=48)
    with pytest.raises(rc.ConfigurationError, match="2 minutes"):
        source_for(amazon, clock, settle_delay=timedelta(minutes=1))


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("empty_pages", [False, True])
def test_next_token_pages_are_followed_and_events_come_oldest_first(
    api: FinancesApi, empty_pages: bool
) -> None:
    """Amazon's pages (some empty) are followed with NextToken; events come out sorted by time."""
    clock = FakeClock()
    amazon = standin(clock, transactions_page_size=2, empty_pages=empty_pages)
    days = [5, 1, 4, 2, 3]  # Amazon gives them in the order they were added
    for day in days:
        _refund(amazon, datetime(2026, 11, day, tzinfo=UTC), order=f"111-000000{day}-0000000")
    source = source_for(amazon, clock, api=api, max_results_per_page=2)
    pages = _all(source, datetime(2026, 11, 1, tzinfo=UTC), 2)
    listed = [e for page in pages for e in page]
    assert [e.created_at.day for e in listed] == [1, 2, 3, 4, 5]
    assert [len(page) for page in pages] == [2, 2, 1]
    queries = _finances_queries(amazon)
    token_name = "NextToken" if api is FinancesApi.V0 else "nextToken"
    with_token = [q for q in queries if token_name in q]
    assert len(with_token) == (4 if empty_pages else 2)
    assert all({k: v for k, v in q.items() if k != token_name} == queries[0] for q in with_token)


def test_pages_resume_after_the_last_event_at_a_shared_instant() -> None:
    """Refunds posted at the same second are split over pages without loss or repeat."""
    clock = FakeClock()
    amazon = standin(clock)
    for n in range(5):
        _refund(amazon, datetime(2026, 11, 3, tzinfo=UTC), order=f"111-000000{n}-0000000")
    source = source_for(amazon, clock)
    pages = _all(source, datetime(2026, 11, 1, tzinfo=UTC), 2)
    ids = [e.key.event_id for page in pages for e in page]
    assert len(ids) == 5
    assert ids == sorted(set(ids))


def test_page_token_belongs_to_its_listing() -> None:
    """A token reused with another since, or a made-up token, is refused as invalid input."""
    clock = FakeClock()
    amazon = standin(clock)
    for day in (1, 2, 3):
        _refund(amazon, datetime(2026, 11, day, tzinfo=UTC))
    source = source_for(amazon, clock)
    token = run(
        source.list_events(since=datetime(2026, 11, 1, tzinfo=UTC), page_token=None, limit=1)
    ).next_token
    assert token is not None
    with pytest.raises(rc.InvalidInputError, match="belongs to a listing"):
        run(source.list_events(since=datetime(2026, 10, 1, tzinfo=UTC), page_token=token, limit=1))
    with pytest.raises(rc.InvalidInputError, match="not an Amazon page token"):
        run(
            source.list_events(
                since=datetime(2026, 11, 1, tzinfo=UTC), page_token="garbage", limit=1
            )
        )


def test_quota_exceeded_is_retried_after_waiting_for_the_bucket() -> None:
    """Two 429 QuotaExceeded answers are waited out (injected sleep) and the listing succeeds."""
    clock = FakeClock()
    amazon = standin(clock)
    _refund(amazon, datetime(2026, 11, 2, tzinfo=UTC))
    source = source_for(amazon, clock)
    prime_token(source, amazon)
    amazon.fail_next(429, times=2, json_body=QUOTA)
    listed = run(
        source.list_events(since=datetime(2026, 11, 1, tzinfo=UTC), page_token=None, limit=5)
    )
    assert len(listed.items) == 1
    # Each 429 empties the client's bucket: the next attempt waits for a token at 0.5/s.
    assert sum(clock.sleeps) >= 2 * 2.0


def test_rate_limit_header_sets_the_pace() -> None:
    """x-amzn-RateLimit-Limit on a 429 sets the client's rate to the plan Amazon applied."""
    clock = FakeClock()
    amazon = standin(clock)
    source = source_for(amazon, clock)
    prime_token(source, amazon)
    amazon.fail_next(429, json_body=QUOTA, headers={"x-amzn-RateLimit-Limit": "0.2"})
    run(source.list_events(since=datetime(2026, 11, 1, tzinfo=UTC), page_token=None, limit=5))
    assert source.pacer.rate == 0.5  # the stand-in's 200 answer says 0.5 again
    amazon.fail_next(429, times=5, json_body=QUOTA, headers={"x-amzn-RateLimit-Limit": "0.2"})
    with pytest.raises(UpstreamUnavailableError) as caught:
        run(source.list_events(since=datetime(2026, 11, 1, tzinfo=UTC), page_token=None, limit=5))
    assert source.pacer.rate == 0.2
    assert caught.value.status == 429
    assert 1 / 0.2 in clock.sleeps or sum(clock.sleeps) >= 5 * 5.0


def test_pacer_keeps_to_half_a_request_per_second_so_amazon_never_throttles() -> None:
    """30 requests at the documented 0.5/s (burst 10) pass Amazon's bucket; faster ones do not."""
    clock = FakeClock()
    amazon = standin(clock, transactions_page_size=1)
    for day in range(1, 31):
        _refund(amazon, datetime(2026, 10, day, tzinfo=UTC), order=f"111-{day:07d}-0000000")
    source = source_for(amazon, clock)
    run(source.list_events(since=datetime(2026, 10, 1, tzinfo=UTC), page_token=None, limit=50))
    assert source.requests_sent == 30
    assert amazon.throttled == 0
    assert sum(clock.sleeps) == pytest.approx((30 - 10) / 0.5)

    hasty_clock = FakeClock()
    # Without Amazon's rate header, a client paced at 5/s finds out only by being throttled.
    hasty_amazon = standin(hasty_clock, transactions_page_size=1, send_rate_limit_header=False)
    for day in range(1, 31):
        _refund(hasty_amazon, datetime(2026, 10, day, tzinfo=UTC), order=f"111-{day:07d}-0000000")
    hasty = source_for(
        hasty_amazon,
        hasty_clock,
        pacer=RatePacer(5, 10, clock=hasty_clock.monotonic, sleep=hasty_clock.sleep),
        policy=RetryPolicy(max_attempts=1),
    )
    with pytest.raises(UpstreamUnavailableError):
        run(hasty.list_events(since=datetime(2026, 10, 1, tzinfo=UTC), page_token=None, limit=50))
    assert hasty_amazon.throttled == 1


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (400, "InvalidInput", UpstreamRejectedError),
        (404, "NotFound", UpstreamNotFoundError),
    ],
)
def test_amazon_errors_become_typed_errors_with_the_request_id(
    status: int, code: str, error: type[Exception]
) -> None:
    """A 4xx errors body becomes the matching typed error naming code, message and request ID."""
    clock = FakeClock()
    amazon = standin(clock)
    source = source_for(amazon, clock)
    prime_token(source, amazon)
    amazon.fail_next(
        status,
        json_body={"errors": [{"code": code, "message": "Input not valid.", "details": "x"}]},
        headers={"x-amzn-RequestId": "req-123"},
    )
    with pytest.raises(error) as caught:
        run(source.list_events(since=datetime(2026, 11, 1, tzinfo=UTC), page_token=None, limit=5))
    assert caught.value.code == code  # type: ignore[attr-defined]
    assert caught.value.request_id == "req-123"  # type: ignore[attr-defined]
    assert "Input not valid." in str(caught.value)


def test_server_errors_are_retried_then_reported_unavailable() -> None:
    """503s are retried with backoff (injected sleep) and then raise UpstreamUnavailableError."""
    clock = FakeClock()
    amazon = standin(clock)
    source = source_for(amazon, clock, policy=RetryPolicy(max_attempts=3))
    prime_token(source, amazon)
    amazon.fail_next(503, times=3, headers={"x-amzn-RequestId": "req-503"})
    with pytest.raises(UpstreamUnavailableError) as caught:
        run(source.list_events(since=datetime(2026, 11, 1, tzinfo=UTC), page_token=None, limit=5))
    assert caught.value.status == 503
    assert caught.value.request_id == "req-503"
    assert len(clock.sleeps) >= 2


def test_works_across_several_event_loops() -> None:
    """The same source lists in one asyncio.run after another (a client per call)."""
    clock = FakeClock()
    amazon = standin(clock)
    _refund(amazon, datetime(2026, 11, 2, tzinfo=UTC))
    source = source_for(amazon, clock)
    for _ in range(3):
        assert len(run(source.list_events(since=SINCE, page_token=None, limit=5)).items) == 1
    assert source.tokens.fetches == 1


def test_refunds_over_a_real_loopback_server() -> None:
    """The adapter with its default HTTP client lists refunds from the stand-in over 127.0.0.1."""
    clock = FakeClock()
    amazon = standin(clock)
    _refund(amazon, datetime(2026, 11, 2, tzinfo=UTC))
    _refund(amazon, datetime(2026, 11, 3, tzinfo=UTC), order="111-0000000-0000002")
    with amazon.serve() as server:
        source = AmazonRefundSource(
            CREDENTIALS,
            base_url=server.base_url,
            token_url=f"{server.base_url}/auth/o2/token",
            clock=clock.now,
        )
        pages = _all(source, datetime(2026, 11, 1, tzinfo=UTC), 1)
    assert [e.order_ref for page in pages for e in page] == [
        "111-0000000-0000001",
        "111-0000000-0000002",
    ]


def test_only_refund_transactions_are_listed_and_marketplace_is_sent() -> None:
    """A Shipment transaction is not a refund; a configured marketplaceId goes on every request."""
    clock = FakeClock()
    amazon = standin(clock)
    _refund(amazon, datetime(2026, 11, 2, tzinfo=UTC))
    amazon.add_other_transaction(
        transaction_type="Shipment",
        posted=datetime(2026, 11, 3, tzinfo=UTC),
        amount=Decimal("10.00"),
    )
    source = source_for(amazon, clock, marketplace_id="ATVPDKIKX0DER")
    listed = run(
        source.list_events(since=datetime(2026, 11, 1, tzinfo=UTC), page_token=None, limit=5)
    )
    assert len(listed.items) == 1
    assert all(q["marketplaceId"] == "ATVPDKIKX0DER" for q in _finances_queries(amazon))


def test_amazon_declares_itself_a_marketplace() -> None:
    """NSC-10: Amazon's kind is marketplace, so its recommended direction is incoming."""
    assert (
        rc.StorefrontCapabilities(
            "amazon", rc.StorefrontKind.MARKETPLACE, supports_store_credit=False
        )
        == DEFAULT_CAPABILITIES
    )
    assert DEFAULT_CAPABILITIES.kind.recommended_direction is rc.Direction.INCOMING
    assert AmazonRefundSource(CREDENTIALS).capabilities == DEFAULT_CAPABILITIES
    named = AmazonRefundSource(CREDENTIALS, name="amazon-eu").capabilities
    assert named == rc.StorefrontCapabilities("amazon-eu", rc.StorefrontKind.MARKETPLACE)
    review = rc.review_account(
        rc.ConnectorAccount("acct-amazon", DEFAULT_CAPABILITIES, ["outgoing"])
    )
    assert review.warnings


def test_source_rejects_bad_configuration() -> None:
    """Seller order IDs need v0, windows stay within 180 days, page sizes within 1..100."""
    with pytest.raises(rc.ConfigurationError, match="needs api=v0"):
        AmazonRefundSource(CREDENTIALS, order_ref="seller_order_id")
    with pytest.raises(rc.ConfigurationError, match="180 days"):
        AmazonRefundSource(CREDENTIALS, window=timedelta(days=200))
    with pytest.raises(rc.ConfigurationError, match=r"1\.\.100"):
        AmazonRefundSource(CREDENTIALS, api="v0", max_results_per_page=0)
    with pytest.raises(rc.ConfigurationError, match="limit"):
        run(AmazonRefundSource(CREDENTIALS).list_events(since=SINCE, page_token=None, limit=0))


def test_logs_name_ids_and_statuses_but_never_tokens(caplog: pytest.LogCaptureFixture) -> None:
    """Debug logs of a listing with an error hold no access token, refresh token or secret."""
    clock = FakeClock()
    amazon = standin(clock)
    _refund(amazon, datetime(2026, 11, 2, tzinfo=UTC))
    source = source_for(amazon, clock)
    prime_token(source, amazon)
    amazon.fail_next(400, json_body={"errors": [{"code": "InvalidInput", "message": "bad"}]})
    with caplog.at_level(logging.DEBUG), pytest.raises(UpstreamRejectedError):
        run(source.list_events(since=datetime(2026, 11, 1, tzinfo=UTC), page_token=None, limit=5))
    run(source.list_events(since=datetime(2026, 11, 1, tzinfo=UTC), page_token=None, limit=5))
    text = caplog.text + repr(source) + repr(source.tokens) + repr(CREDENTIALS)
    assert "InvalidInput" in caplog.text
    for secret in ("Atza|", CREDENTIALS.refresh_token, CREDENTIALS.client_secret):
        assert secret not in text


def test_expired_or_revoked_token_is_replaced_once() -> None:
    """A 403 for a revoked token fetches a new one and succeeds; a second 403 is an auth error."""
    clock = FakeClock()
    amazon = standin(clock)
    _refund(amazon, datetime(2026, 11, 2, tzinfo=UTC))
    source = source_for(amazon, clock)
    run(source.list_events(since=datetime(2026, 11, 1, tzinfo=UTC), page_token=None, limit=5))
    amazon.revoke_tokens()
    assert (
        len(
            run(
                source.list_events(
                    since=datetime(2026, 11, 1, tzinfo=UTC), page_token=None, limit=5
                )
            ).items
        )
        == 1
    )
    assert source.tokens.fetches == 2
    assert (
        amazon.requests[-1].headers["x-amz-access-token"]
        != amazon.requests[1].headers["x-amz-access-token"]
    )


def test_a_token_refused_twice_is_an_auth_error() -> None:
    """When a fresh token is refused too, the 403 becomes UpstreamAuthError with Amazon's code."""
    finances_calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal finances_calls
        if request.url.path == "/auth/o2/token":
            return httpx.Response(200, json={"access_token": "Atza|t", "expires_in": 3600})
        finances_calls += 1
        return httpx.Response(
            403,
            json={"errors": [{"code": "Unauthorized", "message": "Access denied."}]},
            headers={"x-amzn-RequestId": "req-403"},
        )

    clock = FakeClock()
    source = source_for(
        standin(clock),
        clock,
        client_factory=lambda: httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    with pytest.raises(UpstreamAuthError) as caught:
        run(source.list_events(since=datetime(2026, 11, 1, tzinfo=UTC), page_token=None, limit=5))
    assert (caught.value.code, caught.value.request_id) == ("Unauthorized", "req-403")
    assert finances_calls == 2
    assert source.tokens.fetches == 2


def test_pages_of_a_window_come_from_memory_and_a_new_listing_reads_afresh() -> None:
    """Later pages of a window send no request; a new listing sees refunds added since."""
    clock = FakeClock()
    amazon = standin(clock)
    for day in (1, 2, 3):
        _refund(amazon, datetime(2026, 11, day, tzinfo=UTC))
    source = source_for(amazon, clock)
    since = datetime(2026, 11, 1, tzinfo=UTC)
    first = run(source.list_events(since=since, page_token=None, limit=1))
    sent = source.requests_sent
    second = run(source.list_events(since=since, page_token=first.next_token, limit=1))
    assert source.requests_sent == sent
    assert second.items[0].created_at.day == 2
    _refund(amazon, datetime(2026, 11, 4, tzinfo=UTC))
    fresh = run(source.list_events(since=since, page_token=None, limit=10))
    assert [e.created_at.day for e in fresh.items] == [1, 2, 3, 4]
