"""The stand-in's answers and the adapter's requests agree with Amazon's published SP-API models."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qsl

import httpx
import pytest

from refund_adapters._pacing import RatePacer
from refund_adapters.amazon import AmazonRefundSource, AmazonStandIn, FinancesApi, SeededItem
from tests.amazon.factories import FakeClock, fresh_token, source_for, standin
from tests.amazon.swagger_check import SwaggerModel, load_json
from tests.contracts._run import run
from tests.specs import spec_path

V2024_PATH = "/finances/2024-06-19/transactions"
V0_PATH = "/finances/v0/financialEvents"


@pytest.fixture(scope="module")
def v2024() -> SwaggerModel:
    """The Finances 2024-06-19 model."""
    return SwaggerModel(spec_path("amazon/finances_2024-06-19.json"))


@pytest.fixture(scope="module")
def v0() -> SwaggerModel:
    """The Finances v0 model."""
    return SwaggerModel(spec_path("amazon/financesV0.json"))


def _seeded(clock: FakeClock, **options: object) -> AmazonStandIn:
    amazon = standin(clock, **options)
    amazon.add_refund(
        order_id="113-1234567-1234567",
        posted=datetime(2026, 5, 2, 10, 12, tzinfo=UTC),
        items=[
            SeededItem(
                "SKU-1",
                {"Principal": "-19.99", "Tax": "-1.60", "ShippingCharge": "-4.99"},
                fees={"Commission": "3.00", "RefundCommission": "-0.60"},
                promotions={"PromotionMetaDataDefinitionValue": "2.00"},
                withheld={"MarketplaceFacilitatorTax-Principal": "1.60"},
            ),
            SeededItem(None, {"Goodwill": "-5.00"}, quantity=None),
        ],
        seller_order_id="SO-1",
    )
    amazon.add_refund(
        order_id="503-1234567-1234567",
        posted=datetime(2026, 5, 3, tzinfo=UTC),
        items=[SeededItem("JP-1", {"Principal": "-1099"})],
        currency="JPY",
    )
    amazon.add_other_transaction(
        transaction_type="Shipment", posted=datetime(2026, 5, 4, tzinfo=UTC), amount=Decimal("9")
    )
    return amazon


def _served(amazon: AmazonStandIn, path: str) -> list[httpx.Request]:
    return [r for r in amazon.requests if r.url.path == path]


def test_checker_finds_what_breaks_a_schema(v2024: SwaggerModel) -> None:
    """The checker reports a missing required field, a bad date, a string amount, a bad enum."""
    schema = {"$ref": "#/definitions/Transaction"}
    broken = {
        "postedDate": "yesterday",
        "totalAmount": {"currencyCode": "USD", "currencyAmount": "1.00"},
        "relatedIdentifiers": [{"relatedIdentifierName": "NOT_A_NAME"}],
        "invented": 1,
    }
    problems = v2024.check(broken, schema)
    assert "$.postedDate: 'yesterday' is not an ISO 8601 date-time" in problems
    assert "$.totalAmount.currencyAmount: expected a JSON number, got str" in problems
    assert any("relatedIdentifierName: 'NOT_A_NAME' is not one of" in p for p in problems)
    assert "$: unknown property invented" in problems
    errors = v2024.check({"errors": [{"message": "no code"}]}, {"$ref": "#/definitions/ErrorList"})
    assert errors == ["$.errors[0]: missing required code"]


def test_checker_finds_what_breaks_a_query(v0: SwaggerModel) -> None:
    """The query checker refuses unknown parameters, bad dates and out-of-range page sizes."""
    problems = v0.check_query(
        V0_PATH, {"PostedAfter": "2026-01-01", "MaxResultsPerPage": "101", "Foo": "x"}
    )
    assert problems == [
        "query: unknown parameter Foo",
        "query.MaxResultsPerPage: 101 > maximum 100",
        "query.PostedAfter: '2026-01-01' is not an ISO 8601 date-time",
    ]


def test_transactions_answers_and_requests_follow_the_2024_model(v2024: SwaggerModel) -> None:
    """Transactions pages, a 400 and a 429 match the model; the adapter's queries are valid."""
    clock = FakeClock()
    amazon = _seeded(clock, transactions_page_size=1)
    source = source_for(amazon, clock)
    run(source.list_refunds(since=datetime(2026, 4, 1, tzinfo=UTC), page_token=None, limit=10))
    requests = _served(amazon, V2024_PATH)
    assert len(requests) == 4  # three transactions one per page, then the second window
    for request in requests:
        assert v2024.check_query(V2024_PATH, dict(parse_qsl(request.url.query.decode()))) == []

    async def fetch(query: str, token: str) -> httpx.Response:
        async with httpx.AsyncClient(transport=amazon.transport()) as client:
            return await client.get(
                f"https://sellingpartnerapi-na.amazon.com{V2024_PATH}?{query}",
                headers={"x-amz-access-token": token},
            )

    token = run(fresh_token(amazon))
    ok = run(fetch("postedAfter=2026-04-01T00:00:00Z&postedBefore=2026-06-01T00:00:00Z", token))
    body = load_json(ok.content)
    assert v2024.check(body, v2024.response_schema(V2024_PATH, 200)) == []
    assert len(body["payload"]["transactions"]) == 1
    assert isinstance(body["payload"]["transactions"][0]["totalAmount"]["currencyAmount"], Decimal)
    bad = run(fetch("postedBefore=2026-06-01T00:00:00Z", token))
    assert bad.status_code == 400
    assert v2024.check(load_json(bad.content), v2024.response_schema(V2024_PATH, 400)) == []
    amazon.faults.concurrency_limit = 0
    throttled = run(fetch("postedAfter=2026-04-01T00:00:00Z", token))
    assert throttled.status_code == 429
    assert v2024.check(load_json(throttled.content), v2024.response_schema(V2024_PATH, 429)) == []


def test_financial_events_answers_and_requests_follow_the_v0_model(v0: SwaggerModel) -> None:
    """Financial-events pages and a 403 match the v0 model; the adapter's queries are valid."""
    clock = FakeClock()
    amazon = _seeded(clock)
    source = source_for(amazon, clock, api="v0", max_results_per_page=1)
    run(source.list_refunds(since=datetime(2026, 4, 1, tzinfo=UTC), page_token=None, limit=10))
    requests = _served(amazon, V0_PATH)
    assert len(requests) == 3  # two refunds one per page, then the second window
    for request in requests:
        assert v0.check_query(V0_PATH, dict(parse_qsl(request.url.query.decode()))) == []

    async def fetch(token: str) -> httpx.Response:
        async with httpx.AsyncClient(transport=amazon.transport()) as client:
            return await client.get(
                f"https://sellingpartnerapi-na.amazon.com{V0_PATH}"
                "?PostedAfter=2026-04-01T00:00:00Z&PostedBefore=2026-06-01T00:00:00Z&MaxResultsPerPage=5",
                headers={"x-amz-access-token": token},
            )

    token = run(fresh_token(amazon))
    body = load_json(run(fetch(token)).content)
    assert v0.check(body, v0.response_schema(V0_PATH, 200)) == []
    assert len(body["payload"]["FinancialEvents"]["RefundEventList"]) == 2
    denied = run(fetch("Atza|not-a-token"))
    assert denied.status_code == 403
    assert v0.check(load_json(denied.content), v0.response_schema(V0_PATH, 403)) == []


def test_token_answer_is_what_lwa_documents() -> None:
    """The LWA answer carries access_token, token_type bearer and expires_in in seconds."""
    clock = FakeClock()
    amazon = standin(clock)

    async def post() -> httpx.Response:
        async with httpx.AsyncClient(transport=amazon.transport()) as client:
            return await client.post(
                "https://api.amazon.com/auth/o2/token",
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": "Atzr|standin-refresh-token",
                    "client_id": "amzn1.application-oa2-client.standin",
                    "client_secret": "standin-client-secret",
                },
            )

    body = load_json(run(post()).content)
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"].startswith("Atza|")


@pytest.mark.parametrize("api", [FinancesApi.V2024_06_19, FinancesApi.V0])
def test_every_exchange_of_a_listing_follows_the_model(
    api: FinancesApi, v2024: SwaggerModel, v0: SwaggerModel
) -> None:
    """Every Finances request and answer of a listing fits its model, 403 and 429 included."""
    # Through the adapter: NextToken pages, empty pages, several windows, QuotaExceeded past the
    # burst, and a revoked token refused, then replaced.
    clock = FakeClock()
    amazon = _seeded(clock, transactions_page_size=1, empty_pages=True)
    model, path = (v0, V0_PATH) if api is FinancesApi.V0 else (v2024, V2024_PATH)
    fast = RatePacer(100.0, 100.0, clock=clock.monotonic, sleep=clock.sleep)
    source = source_for(amazon, clock, api=api, pacer=fast, max_results_per_page=1)
    since = datetime(2025, 9, 1, tzinfo=UTC)  # two windows: the first one before any refund
    first = _listed(source, since)
    amazon.revoke_tokens()  # the cached access token is refused: 403, then a new token
    assert _listed(source, since) == first
    for _ in range(40):  # past the stand-in's burst: 429 QuotaExceeded, retried after a pause
        run(source.list_refunds(since=since, page_token=None, limit=1))
    statuses = {e.status for e in amazon.exchanges if e.path == path}
    assert {200, 403, 429} <= statuses
    assert any(
        dict(e.query).get("NextToken" if api is FinancesApi.V0 else "nextToken")
        for e in amazon.exchanges
        if e.path == path
    )
    checked = 0
    for exchange in amazon.exchanges:
        if exchange.path == "/auth/o2/token":
            continue  # Login with Amazon is not an SP-API model (see test_token_answer_...)
        where = f"{exchange.method} {exchange.path} -> {exchange.status}"
        assert exchange.path == path, where
        assert model.check_query(path, dict(exchange.query)) == [], where
        schema = model.response_schema(path, exchange.status)
        assert model.check(exchange.response_body, schema) == [], where
        checked += 1
    assert checked >= 10


def _listed(source: AmazonRefundSource, since: datetime) -> list[str]:
    """Every refund ID listed from ``since``, one per page."""
    ids: list[str] = []
    token: str | None = None
    while True:
        page = run(source.list_refunds(since=since, page_token=token, limit=1))
        ids += [refund.event.refund_id for refund in page.items]
        token = page.next_token
        if token is None:
            return ids
