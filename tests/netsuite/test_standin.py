"""The stand-in on its own: what it refuses to hold, and how it answers the record API."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import attrs
import httpx
import pytest

import refund_core as rc
from refund_adapters.netsuite import NetSuiteStandIn
from tests.builders import at
from tests.netsuite.factories import BASE_URL, rich_snapshot


def _call(standin: NetSuiteStandIn, method: str, path: str, body: object = None) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=standin.transport()) as client:
            content = json.dumps(body).encode() if body is not None else None
            return await client.request(method, f"{BASE_URL}{path}", content=content)

    return asyncio.run(go())


def test_seed_with_sub_second_times_is_refused() -> None:
    """NetSuite keeps times to the second; a seed it could not give back is refused."""
    snapshot = rich_snapshot()
    memo = attrs.evolve(
        snapshot.credit_memos[1], created_at=at("2026-03-05") + timedelta(microseconds=5)
    )
    with pytest.raises(rc.InvalidRecordError, match="to the second"):
        NetSuiteStandIn.from_snapshot(attrs.evolve(snapshot, credit_memos=(memo,)))


def test_seed_whose_refund_and_deposit_disagree_is_refused() -> None:
    """A customer refund naming a deposit that does not list it is refused, naming both."""
    snapshot = rich_snapshot()
    refund = attrs.evolve(snapshot.customer_refunds[0], deposit_id=None)
    with pytest.raises(rc.InvalidRecordError, match="CUR-1"):
        NetSuiteStandIn.from_snapshot(attrs.evolve(snapshot, customer_refunds=(refund,)))


def test_eid_lookup_finds_by_external_id_and_type() -> None:
    """GET /record/v1/{type}/eid:{id} answers the record; another type does not see it."""
    standin = NetSuiteStandIn.from_snapshot(rich_snapshot())
    found = _call(standin, "GET", "/record/v1/customerRefund/eid:rs-cr-1")
    assert found.status_code == 200
    assert found.json()["id"] == "CUR-1"
    missing = _call(standin, "GET", "/record/v1/creditMemo/eid:rs-cr-1")
    assert missing.status_code == 404
    assert missing.json()["o:errorDetails"][0]["o:errorCode"] == "NONEXISTENT_ID"
    assert missing.headers["content-type"].startswith("application/vnd.oracle.resource+json")


def test_record_types_match_case_insensitively() -> None:
    """Oracle's samples use lower-case record types in URLs; the stand-in accepts them."""
    standin = NetSuiteStandIn.from_snapshot(rich_snapshot())
    assert _call(standin, "GET", "/record/v1/customerrefund/CUR-1").status_code == 200


def test_transform_without_item_lines_copies_the_source_lines() -> None:
    """Without replace=item, a transform credits every line of its source, as NetSuite does."""
    standin = NetSuiteStandIn.from_snapshot(rich_snapshot(), internal_id_for=lambda e: f"ns-{e}")
    response = _call(
        standin, "POST", "/record/v1/invoice/INV-1/!transform/creditMemo", {"externalId": "x-1"}
    )
    assert response.status_code == 204
    assert response.headers["location"].endswith("/record/v1/creditMemo/ns-x-1")
    (memo,) = (m for m in standin.snapshot().credit_memos if m.internal_id == "ns-x-1")
    assert [(line.origin_line_id, line.amount) for line in memo.lines] == [
        ("INV-1-L1", rc.Money.of("100.00", "USD"))
    ]


def test_a_transform_netsuite_does_not_offer_is_refused() -> None:
    """Deposit -> creditMemo is no NetSuite transform: 400 in NetSuite's error shape."""
    standin = NetSuiteStandIn.from_snapshot(rich_snapshot())
    response = _call(standin, "POST", "/record/v1/deposit/DP-1/!transform/creditMemo", {})
    assert response.status_code == 400
    assert response.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_PARAMETER"


def test_a_refused_write_leaves_nothing_behind() -> None:
    """A create refused half-way (bad second apply line) writes no record and no link."""
    standin = NetSuiteStandIn.from_snapshot(rich_snapshot())
    before = standin.snapshot()
    body = {
        "externalId": "rs-cr-bad",
        "account": {"id": standin.undeposited_funds_account},
        "apply": {
            "items": [
                {"doc": {"id": "CM-1"}, "apply": True, "amount": 1},
                {"doc": {"id": "nope"}, "apply": True, "amount": 1},
            ]
        },
    }
    response = _call(standin, "POST", REFUND_FROM_MEMO, body)
    assert response.status_code == 400
    assert response.json()["o:errorDetails"][0]["o:errorPath"] == "apply.items[1].doc"
    assert standin.snapshot() == before


def test_unknown_body_properties_are_refused() -> None:
    """A misspelt property is an error naming it, not silently dropped."""
    standin = NetSuiteStandIn.from_snapshot(rich_snapshot())
    response = _call(standin, "PATCH", "/record/v1/creditMemo/CM-1", {"custbody_typo": "x"})
    assert response.status_code == 400
    assert response.json()["o:errorDetails"][0]["o:errorPath"] == "custbody_typo"


def test_over_the_concurrency_limit_it_answers_429_with_its_error_code() -> None:
    """The over-limit answer is 429 with CONCURRENCY_LIMIT_EXCEEDED in NetSuite's shape."""
    response = NetSuiteStandIn().over_limit_response()
    assert response.status_code == 429
    assert json.loads(response.content)["o:errorDetails"][0]["o:errorCode"] == (
        "CONCURRENCY_LIMIT_EXCEEDED"
    )


#: A customer refund paying out credit memo CM-1: the transform of the 2026.1 metadata.
REFUND_FROM_MEMO = "/record/v1/creditMemo/CM-1/!transform/customerRefund"


def _refund_body(**extra: object) -> dict[str, object]:
    return {
        "externalId": "rs-cr-new",
        "apply": {"items": [{"doc": {"id": "CM-1"}, "apply": True, "amount": 1}]},
        **extra,
    }


def test_a_customer_refund_created_with_apply_lines_is_refused() -> None:
    """Whether NetSuite takes apply lines on a create is not documented: the stand-in refuses."""
    standin = NetSuiteStandIn.from_snapshot(rich_snapshot())
    body = _refund_body(customer={"id": "C-1"}, account={"id": standin.undeposited_funds_account})
    response = _call(standin, "POST", "/record/v1/customerRefund", body)
    assert response.status_code == 400
    assert response.json()["o:errorDetails"][0]["o:errorPath"] == "apply"


def test_undep_funds_on_a_customer_refund_is_an_unknown_field() -> None:
    """A customer refund has no undepFunds field: a 400 naming it, NetSuite's shape (STC-12)."""
    standin = NetSuiteStandIn.from_snapshot(rich_snapshot())
    before = standin.snapshot()
    response = _call(standin, "POST", REFUND_FROM_MEMO, _refund_body(undepFunds=True))
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/vnd.oracle.resource+json")
    (detail,) = response.json()["o:errorDetails"]
    assert detail["o:errorPath"] == "undepFunds"
    assert "undepFunds" in detail["detail"]
    assert standin.snapshot() == before


def test_customer_refund_keeps_its_account_and_needs_one() -> None:
    """The refund's account is kept as sent (Undeposited Funds by ID); none at all is refused."""
    standin = NetSuiteStandIn.from_snapshot(rich_snapshot(), undeposited_funds_account="118")
    missing = _call(standin, "POST", REFUND_FROM_MEMO, _refund_body())
    assert missing.status_code == 400
    assert missing.json()["o:errorDetails"][0]["o:errorPath"] == "account"
    made = _call(standin, "POST", REFUND_FROM_MEMO, _refund_body(account={"id": "118"}))
    assert made.status_code == 204
    got = _call(standin, "GET", "/record/v1/customerRefund/eid:rs-cr-new")
    assert got.json()["account"] == {"id": "118"}
    (refund,) = (r for r in standin.snapshot().customer_refunds if r.external_id == "rs-cr-new")
    assert refund.account == "undeposited_funds"  # the core's name for account 118


@pytest.mark.parametrize(
    "value", ["2026-03-09 12:00:00", "2026-03-09T12:00:00Z", "09/03/2026", "2026-02-30", 20260309]
)
def test_tran_date_is_a_date_and_nothing_else(value: object) -> None:
    """The tranDate field takes YYYY-MM-DD only (REST API Browser: format date), nothing else."""
    standin = NetSuiteStandIn.from_snapshot(rich_snapshot())
    body = {
        "externalId": "rs-rv-new",
        "customer": {"id": "C-1"},
        "currency": {"id": standin.currency_id("USD")},
        "payment": 5,
        "undepFunds": {"id": "T"},
        "tranDate": value,
    }
    refused = _call(standin, "POST", "/record/v1/customerPayment", body)
    assert refused.status_code == 400
    assert refused.json()["o:errorDetails"][0]["o:errorPath"] == "tranDate"
    accepted = _call(
        standin, "POST", "/record/v1/customerPayment", {**body, "tranDate": "2026-03-09"}
    )
    assert accepted.status_code == 204


@pytest.mark.parametrize("value", [True, "T", {"id": "yes"}])
def test_payment_undep_funds_is_a_select_not_a_boolean(value: object) -> None:
    """customerPayment.undepFunds is an object in the REST API Browser: {"id": "T"} or "F"."""
    standin = NetSuiteStandIn.from_snapshot(rich_snapshot())
    body = {
        "externalId": "rs-rv-new",
        "customer": {"id": "C-1"},
        "currency": {"id": standin.currency_id("USD")},
        "payment": 5,
        "tranDate": "2026-03-09",
        "undepFunds": value,
    }
    response = _call(standin, "POST", "/record/v1/customerPayment", body)
    assert response.status_code == 400
    assert response.json()["o:errorDetails"][0]["o:errorPath"] == "undepFunds"


def test_a_deposit_takes_only_what_was_posted_to_undeposited_funds() -> None:
    """A customer refund paid from a bank account cannot go on a deposit (Oracle's rule)."""
    snapshot = rich_snapshot()
    from_bank = attrs.evolve(
        snapshot.customer_refunds[0],
        internal_id="CUR-BANK",
        external_id="rs-cr-bank",
        account="bank-1",
        deposit_id=None,
        source=rc.SourceKey("stripe", "re_bank"),
    )
    standin = NetSuiteStandIn.from_snapshot(
        attrs.evolve(snapshot, customer_refunds=(*snapshot.customer_refunds, from_bank))
    )
    body = {
        "externalId": "rs-dp-new",
        "currency": {"id": standin.currency_id("USD")},
        "payment": {"items": [{"id": "CUR-BANK", "deposit": True, "paymentAmount": -30}]},
        "other": {"items": [{"account": {"id": "fees"}, "amount": 40}]},
    }
    response = _call(standin, "POST", "/record/v1/deposit", body)
    assert response.status_code == 400
    assert response.json()["o:errorDetails"][0]["o:errorPath"] == "payment.items[0].id"
