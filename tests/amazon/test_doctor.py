"""refund-sync doctor for Amazon: holds on the stand-in as it is, fails where a seller differs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from refund_adapters._decode import UpstreamDataError
from refund_adapters._doctor import Check, Verdict
from refund_adapters._pacing import RatePacer
from refund_adapters.amazon import AmazonDoctor, AmazonStandIn, FinancesApi, SeededItem
from tests.amazon.factories import NOW, FakeClock, source_for, standin
from tests.amazon.swagger_check import SwaggerModel
from tests.contracts._run import run
from tests.specs import spec_path

PATH = "/finances/2024-06-19/transactions"


def _seller(clock: FakeClock, *, refunds: int = 2, **options: Any) -> AmazonStandIn:
    amazon = standin(clock, **options)
    for number in range(refunds):
        amazon.add_refund(
            order_id=f"113-0000000-{number:07d}",
            posted=NOW - timedelta(days=30 + number),
            items=[
                SeededItem(
                    "SKU-1",
                    {"Principal": "-19.99", "Tax": "-1.60", "ShippingCharge": "-4.99"},
                    fees={"Commission": "3.00", "RefundCommission": "-0.60"},
                    withheld={"MarketplaceFacilitatorTax-Principal": "1.60"},
                )
            ],
        )
    amazon.add_other_transaction(
        transaction_type="Shipment", posted=NOW - timedelta(days=40), amount=Decimal("25.00")
    )
    return amazon


def _doctor(amazon: AmazonStandIn, clock: FakeClock, **options: Any) -> dict[str, Check]:
    fast = RatePacer(100.0, 100.0, clock=clock.monotonic, sleep=clock.sleep)
    api = options.pop("api", FinancesApi.V2024_06_19)
    source = source_for(amazon, clock, api=api, pacer=fast, **options)
    return {check.name: check for check in run(AmazonDoctor(source).run())}


def test_the_doctor_passes_on_the_stand_in_as_it_is() -> None:
    """Refunds of type Refund with a REFUND_ID, their goods under Principal: both hold."""
    clock = FakeClock()
    amazon = _seller(clock)
    checks = _doctor(amazon, clock)
    assert list(checks) == ["credentials", "refund.transaction-type", "refund.breakdown-names"]
    assert {c.verdict for c in checks.values()} == {Verdict.HOLDS}
    assert (
        "2 transaction(s) of type Refund, 2 with a REFUND_ID"
        in checks["refund.transaction-type"].evidence
    )
    assert "Principal 2" in checks["refund.breakdown-names"].evidence
    assert {r.method for r in amazon.requests if r.url.path == PATH} == {"GET"}


def test_principle_as_the_models_example_spells_it_fails() -> None:
    """A seller whose data spells Principle: the adapter would lose the refunds' lines."""
    clock = FakeClock()
    amazon = _seller(clock, breakdown_names={"Principal": "Principle"})
    check = _doctor(amazon, clock)["refund.breakdown-names"]
    assert check.failed
    assert "Principle 2" in check.evidence
    assert "misspelling of 'Principal'" in check.evidence


def test_refunds_under_another_transaction_type_fail_naming_it() -> None:
    """Refunds carry REFUND_ID but another type: the adapter, reading Refund, would miss them."""
    clock = FakeClock()
    amazon = _seller(clock, refund_transaction_type="RefundOrder")
    checks = _doctor(amazon, clock)
    assert checks["refund.transaction-type"].failed
    assert "RefundOrder 2" in checks["refund.transaction-type"].evidence
    assert "refund_transaction_types" in checks["refund.transaction-type"].remedy
    assert checks["refund.breakdown-names"].verdict is Verdict.HOLDS


def test_configuring_that_type_makes_it_hold() -> None:
    """The remedy works: with the type configured the same seller passes."""
    clock = FakeClock()
    amazon = _seller(clock, refund_transaction_type="RefundOrder")
    types = frozenset({"Refund", "RefundOrder"})
    checks = _doctor(amazon, clock, refund_transaction_types=types)
    assert checks["refund.transaction-type"].verdict is Verdict.HOLDS


def test_without_refunds_both_are_not_observable() -> None:
    """Shipments only: nothing tells which type or names refunds have; nothing passes."""
    clock = FakeClock()
    checks = _doctor(_seller(clock, refunds=0), clock)
    assert checks["refund.transaction-type"].verdict is Verdict.NOT_OBSERVABLE
    assert "Shipment 1" in checks["refund.transaction-type"].evidence
    assert checks["refund.breakdown-names"].verdict is Verdict.NOT_OBSERVABLE


def test_refunds_older_than_the_lookback_are_not_seen() -> None:
    """A refund 400 days old is outside the year looked at (two windows of 180 days and less)."""
    clock = FakeClock()
    amazon = standin(clock)
    amazon.add_refund(
        order_id="113-0000000-0000001",
        posted=NOW - timedelta(days=400),
        items=[SeededItem("SKU-1", {"Principal": "-5.00"})],
    )
    check = _doctor(amazon, clock)["refund.transaction-type"]
    assert check.verdict is Verdict.NOT_OBSERVABLE
    windows = [r for r in amazon.requests if r.url.path == PATH]
    assert len(windows) == 3


def test_reading_stops_once_enough_refunds_are_seen() -> None:
    """Enough refunds in the newest window: the older windows are not asked for."""
    clock = FakeClock()
    amazon = _seller(clock, refunds=30)
    _doctor(amazon, clock)
    assert len([r for r in amazon.requests if r.url.path == PATH]) == 1


def test_refused_credentials_fail_alone() -> None:
    """A refresh token LWA does not know: one check, failed."""
    clock = FakeClock()
    amazon = _seller(clock, refresh_token="Atzr|another")
    checks = _doctor(amazon, clock)
    assert list(checks) == ["credentials"]
    assert checks["credentials"].failed


def test_v0_is_checked_against_its_removal_date() -> None:
    """On v0 the operation is the assumption: served now, failed from 2027-08-27."""
    clock = FakeClock()
    checks = _doctor(_seller(clock), clock, api=FinancesApi.V0)
    assert checks["api.v0"].verdict is Verdict.HOLDS
    late = FakeClock(datetime(2027, 9, 1, tzinfo=UTC))
    gone = _doctor(_seller(late), late, api=FinancesApi.V0)["api.v0"]
    assert gone.failed
    assert "2024-06-19" in gone.remedy


def test_every_exchange_of_the_doctor_follows_the_model() -> None:
    """Each listTransactions request and answer the doctor saw fits the 2024-06-19 model."""
    model = SwaggerModel(spec_path("amazon/finances_2024-06-19.json"))
    clock = FakeClock()
    amazon = _seller(clock, transactions_page_size=1)
    _doctor(amazon, clock)
    exchanges = [e for e in amazon.exchanges if e.path == PATH]
    assert len(exchanges) > 3  # one page per transaction
    for exchange in exchanges:
        assert model.check_query(PATH, dict(exchange.query)) == []
        schema = model.response_schema(PATH, exchange.status)
        assert model.check(exchange.response_body, schema) == []


def test_a_malformed_answer_is_refused_naming_where() -> None:
    """An answer whose transactions are not a list: the shared decoding error, with its path."""
    clock = FakeClock()
    amazon = _seller(clock)

    async def malformed(request: httpx.Request) -> httpx.Response:
        if request.url.path == PATH:
            return httpx.Response(200, content=b'{"payload": {"transactions": "none"}}')
        return await amazon(request)  # Login with Amazon as usual

    fast = RatePacer(100.0, 100.0, clock=clock.monotonic, sleep=clock.sleep)
    transport = httpx.MockTransport(malformed)
    source = source_for(
        amazon, clock, pacer=fast, client_factory=lambda: httpx.AsyncClient(transport=transport)
    )
    with pytest.raises(UpstreamDataError) as raised:
        run(AmazonDoctor(source).run())
    assert raised.value.path == "$.payload.transactions"
