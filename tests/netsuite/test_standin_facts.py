"""The stand-in is held to NetSuite's published facts: SuiteQL schema, signs, lines, links, REST."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import httpx
import pytest

from refund_adapters.netsuite import NetSuiteRejectedError, NetSuiteStandIn
from refund_adapters.netsuite._standin_facts import DOCUMENTED_LINKS
from tests.contracts._run import run
from tests.netsuite.factories import BASE_URL, rich_snapshot, rig


def _get(standin: NetSuiteStandIn, path: str, **headers: str) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=standin.transport()) as client:
            return await client.get(f"{BASE_URL}{path}", headers=headers)

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        (
            "SELECT t.createdfrom FROM transaction t",
            "Search error occurred: Unknown identifier 't.createdfrom'. "
            "Available identifiers are: {t=transaction}.",
        ),
        ("SELECT t.account FROM transaction t", "Unknown identifier 't.account'"),
        ("SELECT tl.amount FROM transactionline tl", "Unknown identifier 'tl.amount'"),
        ("SELECT cur.symbol FROM currency cur", "Invalid search type: currency."),
    ],
)
def test_suiteql_outside_the_facts_gets_netsuites_unknown_field_error(
    query: str, detail: str
) -> None:
    """A table or column outside suiteql.json: 400 INVALID_PARAMETER at q, NetSuite's wording."""
    setup = rig(rich_snapshot())
    with pytest.raises(NetSuiteRejectedError) as caught:
        run(setup.client.suiteql(query))
    error = caught.value
    assert (error.status, error.code, error.error_path) == (400, "INVALID_PARAMETER", "q")
    assert error.details[0].detail.startswith("Invalid search query. Detailed unprocessed")
    assert detail in error.details[0].detail


def test_invoice_rows_carry_netsuites_signs_and_extra_lines() -> None:
    """INV-1: items negative, a shipping, a tax and cost-of-goods lines, main line positive."""
    setup = rig(rich_snapshot())
    rows = run(
        setup.client.suiteql(
            "SELECT tl.id, tl.mainline, tl.taxline, tl.iscogs, tl.itemtype, tl.foreignamount, "
            "tl.quantity, tl.createdfrom FROM transactionline tl WHERE tl.transaction = 'INV-1' "
            "ORDER BY tl.linesequencenumber"
        )
    )
    by_id = {row["id"]: row for row in rows}
    assert by_id["0"]["mainline"] == "T"
    assert by_id["0"]["createdfrom"] == "SO-1"
    assert by_id["INV-1-L1"]["foreignamount"] == Decimal("-100.00")
    assert by_id["INV-1-L1"]["quantity"] == Decimal(-2)
    shipping = [row for row in rows if row.get("itemtype") == "ShipItem"]
    taxes = [row for row in rows if row["taxline"] == "T"]
    cogs = [row for row in rows if row["iscogs"] == "T"]
    assert [row["foreignamount"] for row in shipping] == [Decimal("-5.00")]
    assert [row["foreignamount"] for row in taxes] == [Decimal("-8.25")]  # 8.25% of 100.00
    assert sorted(row["foreignamount"] for row in cogs) == [Decimal("-40.00"), Decimal("40.00")]
    assert by_id["0"]["foreignamount"] == Decimal("113.25")  # items + shipping + tax
    (header,) = run(
        setup.client.suiteql("SELECT t.foreigntotal FROM transaction t WHERE t.id = 'CM-1'")
    )
    assert header["foreigntotal"] < 0  # credit memo totals are negative [S]


def test_only_documented_link_types_are_held() -> None:
    """Every link row is of a documented kind and direction; no Refund or Deposit rows."""
    setup = rig(rich_snapshot())
    rows = run(
        setup.client.suiteql(
            "SELECT lk.linktype, lk.previoustype, lk.nexttype FROM previoustransactionlinelink lk "
            "ORDER BY lk.nextdoc"
        )
    )
    documented = {(k.linktype, k.previoustype, k.nexttype) for k in DOCUMENTED_LINKS}
    seen = {(row["linktype"], row["previoustype"], row["nexttype"]) for row in rows}
    assert seen <= documented
    assert ("Payment", "CustInvc", "CustPymt") in seen
    assert ("OrdBill", "SalesOrd", "CustInvc") in seen
    assert not {row["linktype"] for row in rows} & {"Refund", "Deposit"}


def test_a_record_shows_its_sublists_only_when_expanded() -> None:
    """GET answers sublists as links; with expandSubResources=true, their lines inline."""
    standin = NetSuiteStandIn.from_snapshot(rich_snapshot())
    plain = _get(standin, "/record/v1/customerRefund/CUR-1").json()
    assert set(plain["apply"]) == {"links"}
    expanded = _get(standin, "/record/v1/customerRefund/CUR-1?expandSubResources=true").json()
    (line,) = expanded["apply"]["items"]
    assert (line["doc"], line["apply"], line["amount"]) == ({"id": "CM-1"}, True, 30.0)
    assert expanded["deposit"]["items"] == []  # Oracle: empty on GET


def test_the_metadata_catalog_lists_fields_sublists_and_custom_fields() -> None:
    """The catalog (swagger+json) holds the record, its sublists' elements, custom fields."""
    standin = NetSuiteStandIn()
    response = _get(
        standin, "/record/v1/metadata-catalog/customerRefund", accept="application/swagger+json"
    )
    assert response.status_code == 200
    schemas = json.loads(response.content)["components"]["schemas"]
    refund = schemas["customerRefund"]["properties"]
    assert {"account", "apply", "deposit", "externalId"} <= set(refund)
    assert "undepFunds" not in refund
    assert refund["custbody_rs_source"]["x-ns-custom-field"] is True
    assert {"doc", "apply", "amount"} <= set(schemas["customerRefund-applyElement"]["properties"])
    without = _get(standin, "/record/v1/metadata-catalog/customerRefund")
    assert without.status_code == 400
