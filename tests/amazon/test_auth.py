"""Login with Amazon: tokens fetched, cached, refreshed by the clock; regional hosts; no leaks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from refund_adapters._http import (
    RetryPolicy,
    UpstreamAuthError,
    UpstreamRejectedError,
    UpstreamUnavailableError,
)
from refund_adapters.amazon import (
    LWA_TOKEN_URL,
    AccessTokenCache,
    AmazonPayloadError,
    AmazonRefundSource,
    LwaCredentials,
    Region,
    SeededItem,
    endpoint,
)
from tests.amazon.factories import CREDENTIALS, FakeClock, source_for, standin
from tests.contracts._run import run


def _source_with_refund(clock: FakeClock) -> tuple[AmazonRefundSource, object]:
    amazon = standin(clock)
    amazon.add_refund(
        order_id="111-0000000-0000001",
        posted=datetime(2026, 11, 2, tzinfo=UTC),
        items=[SeededItem("SKU-1", {"Principal": "-10.00"})],
    )
    return source_for(amazon, clock), amazon


def _list(source: AmazonRefundSource) -> int:
    page = run(
        source.list_events(since=datetime(2026, 11, 1, tzinfo=UTC), page_token=None, limit=5)
    )
    return len(page.items)


def test_token_is_fetched_once_and_sent_as_x_amz_access_token() -> None:
    """One LWA call serves several listings; every Finances call carries the token header."""
    clock = FakeClock()
    source, amazon = _source_with_refund(clock)
    assert _list(source) == 1
    assert _list(source) == 1
    assert source.tokens.fetches == 1
    token_requests = [r for r in amazon.requests if r.url.path == "/auth/o2/token"]  # type: ignore[attr-defined]
    assert len(token_requests) == 1
    form = dict(httpx.QueryParams(token_requests[0].content.decode()))
    assert form["grant_type"] == "refresh_token"
    assert form["client_id"] == CREDENTIALS.client_id
    finances = [r for r in amazon.requests if r.url.path.startswith("/finances/")]  # type: ignore[attr-defined]
    assert finances
    assert all(r.headers["x-amz-access-token"].startswith("Atza|") for r in finances)


def test_token_is_refreshed_shortly_before_it_expires() -> None:
    """A token is reused until a minute before its hour is up, then a new one is fetched."""
    clock = FakeClock()
    source, _ = _source_with_refund(clock)
    _list(source)
    clock.advance(timedelta(minutes=58, seconds=59))
    _list(source)
    assert source.tokens.fetches == 1
    clock.advance(timedelta(seconds=2))
    _list(source)
    assert source.tokens.fetches == 2


def test_wrong_refresh_token_is_an_auth_error_without_secrets() -> None:
    """LWA's invalid_grant becomes UpstreamAuthError naming the code, never the secrets."""
    clock = FakeClock()
    amazon = standin(clock)
    cases = [
        (
            LwaCredentials(CREDENTIALS.client_id, CREDENTIALS.client_secret, "Atzr|wrong"),
            "invalid_grant",
        ),
        (
            LwaCredentials(CREDENTIALS.client_id, "s3cret-value", CREDENTIALS.refresh_token),
            "invalid_client",
        ),
    ]
    for credentials, code in cases:
        source = AmazonRefundSource(
            credentials,
            clock=clock.now,
            sleep=clock.sleep,
            client_factory=lambda: httpx.AsyncClient(transport=amazon.transport()),
        )
        with pytest.raises(UpstreamAuthError) as caught:
            _list(source)
        assert caught.value.code == code
        for secret in (credentials.client_secret, credentials.refresh_token):
            assert secret not in str(caught.value)


def test_reprs_hide_secrets_and_tokens() -> None:
    """Credentials, the token cache and the source show no secret, refresh or access token."""
    clock = FakeClock()
    source, _ = _source_with_refund(clock)
    _list(source)
    shown = repr(CREDENTIALS) + repr(source.tokens) + repr(source) + str(CREDENTIALS)
    assert CREDENTIALS.client_id in repr(CREDENTIALS)
    for secret in (CREDENTIALS.client_secret, CREDENTIALS.refresh_token, "Atza|"):
        assert secret not in shown


@pytest.mark.parametrize(
    ("region", "host"),
    [
        (Region.NA, "sellingpartnerapi-na.amazon.com"),
        (Region.EU, "sellingpartnerapi-eu.amazon.com"),
        (Region.FE, "sellingpartnerapi-fe.amazon.com"),
    ],
)
def test_each_region_has_its_host(region: Region, host: str) -> None:
    """NA, EU and FE sellers are served by their own hosts, with sandbox variants."""
    assert endpoint(region) == f"https://{host}"
    assert endpoint(region, sandbox=True) == f"https://sandbox.{host}"
    assert AmazonRefundSource(CREDENTIALS, region=region).base_url == f"https://{host}"


def test_requests_go_to_the_region_host_and_lwa() -> None:
    """An EU source sends Finances calls to the EU host and the token call to api.amazon.com."""
    clock = FakeClock()
    amazon = standin(clock)
    source = source_for(amazon, clock, region="eu")
    run(source.list_events(since=datetime(2026, 11, 1, tzinfo=UTC), page_token=None, limit=5))
    hosts = {(r.url.host, r.url.path.split("/")[1]) for r in amazon.requests}
    assert hosts == {("api.amazon.com", "auth"), ("sellingpartnerapi-eu.amazon.com", "finances")}
    assert LWA_TOKEN_URL == "https://api.amazon.com/auth/o2/token"


def test_base_url_overrides_the_region() -> None:
    """A base URL (a stand-in, a proxy) replaces the regional host."""
    source = AmazonRefundSource(CREDENTIALS, region="fe", base_url="http://127.0.0.1:9/")
    assert source.base_url == "http://127.0.0.1:9"


def test_token_cache_refuses_a_response_without_a_token() -> None:
    """A 200 from LWA without access_token is an error, not an empty header later."""
    clock = FakeClock()

    async def fetch() -> str:
        transport = httpx.MockTransport(lambda _: httpx.Response(200, json={"expires_in": 3600}))
        async with httpx.AsyncClient(transport=transport) as client:
            return await AccessTokenCache(CREDENTIALS, clock=clock.now).access_token(client)

    with pytest.raises(UpstreamRejectedError, match="no access_token"):
        run(fetch())


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, b"<html><body>Bad Request</body></html>", UpstreamAuthError),
        (401, b"", UpstreamAuthError),
        (403, b"Forbidden", UpstreamAuthError),
        (404, b"<html>Not Found</html>", UpstreamRejectedError),
        (502, b"<html>Bad Gateway</html>", UpstreamUnavailableError),
    ],
)
def test_an_lwa_error_that_is_not_json_is_still_typed_by_its_status(
    status: int, body: bytes, expected: type[Exception]
) -> None:
    """A refusal with an HTML or empty body (a proxy's page) is typed by status, not as bad JSON."""
    clock = FakeClock()

    async def fetch() -> str:
        transport = httpx.MockTransport(
            lambda _: httpx.Response(status, content=body, headers={"content-type": "text/html"})
        )
        async with httpx.AsyncClient(transport=transport) as client:
            cache = AccessTokenCache(
                CREDENTIALS, clock=clock.now, policy=RetryPolicy(max_attempts=1)
            )
            return await cache.access_token(client)

    with pytest.raises(expected) as caught:
        run(fetch())
    assert type(caught.value) is expected
    assert caught.value.status == status  # type: ignore[attr-defined]
    assert caught.value.code is None  # type: ignore[attr-defined]


def test_a_malformed_200_from_lwa_is_a_payload_error() -> None:
    """A 200 whose body is not JSON is still Amazon's payload error, naming the token response."""
    clock = FakeClock()

    async def fetch() -> str:
        transport = httpx.MockTransport(lambda _: httpx.Response(200, content=b"<html/>"))
        async with httpx.AsyncClient(transport=transport) as client:
            return await AccessTokenCache(CREDENTIALS, clock=clock.now).access_token(client)

    with pytest.raises(AmazonPayloadError, match="LWA token response"):
        run(fetch())
