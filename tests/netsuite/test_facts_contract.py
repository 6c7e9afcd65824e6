"""The adapter's requests and the stand-in's own facts are held to shared/specs/netsuite."""

from __future__ import annotations

import json

import httpx

from refund_adapters.netsuite import _suiteql as q
from refund_adapters.netsuite._standin_facts import (
    BODY_FIELDS,
    DOCUMENTED_LINKS,
    RECORD_TRANSFORMS,
    SUBLIST_FIELDS,
    SUITEQL_COLUMNS,
)
from tests.netsuite_contract import request_errors
from tests.specs import spec_path

BASE = "https://123456-sb1.suitetalk.api.netsuite.com/services/rest"


def _suiteql(query: str) -> httpx.Request:
    return httpx.Request("POST", f"{BASE}/query/v1/suiteql", content=json.dumps({"q": query}))


def test_a_column_outside_the_facts_fails_the_contract() -> None:
    """transaction.createdfrom and an invented link type are caught; the adapter's queries not."""
    spec_path("netsuite/suiteql.json")
    assert request_errors(_suiteql("SELECT t.createdfrom FROM transaction t")) == [
        "transaction.createdfrom is not in suiteql.json"
    ]
    link = "SELECT lk.nextdoc FROM previoustransactionlinelink lk WHERE lk.linktype = 'Refund'"
    assert request_errors(_suiteql(link)) == ["link type Refund is not in suiteql.json"]
    for query in (
        q.seed_query(record_ids=["1"]),
        q.expand_query(["1"], ["C-1"]),
        q.lines_query(["1"]),
        q.links_query(["1"]),
    ):
        assert request_errors(_suiteql(query)) == []


def test_a_body_field_outside_records_json_fails_the_contract() -> None:
    """customerRefund.undepFunds is no field of records.json; account is."""
    spec_path("netsuite/records.json")
    body = {"account": {"id": "1"}, "undepFunds": {"id": "T"}}
    request = httpx.Request("POST", f"{BASE}/record/v1/customerRefund", content=json.dumps(body))
    assert request_errors(request) == ["customerRefund.undepFunds is not in records.json"]


def test_the_stand_ins_facts_are_in_the_pack() -> None:
    """Every table, column, link kind, transform, body and sublist field it serves is listed."""
    records = json.loads(spec_path("netsuite/records.json").read_text(encoding="utf-8"))
    suiteql = json.loads(spec_path("netsuite/suiteql.json").read_text(encoding="utf-8"))
    for table, columns in SUITEQL_COLUMNS.items():
        for column in columns:
            request = _suiteql(f"SELECT x.{column} FROM {table} x")
            assert request_errors(request) == [], (table, column)
    kinds = {(e["linktype"], e["previoustype"], e["nexttype"]) for e in suiteql["link_types"]}
    for kind in DOCUMENTED_LINKS:
        assert (kind.linktype, kind.previoustype, kind.nexttype) in kinds
    pairs = {(t["from"], t["to"]) for t in records["transforms"]}
    assert pairs == RECORD_TRANSFORMS
    for record, fields in BODY_FIELDS.items():
        listed = {name.split(".")[0] for name in records["records"][record]["body"]}
        listed |= set(records["records"][record]["sublists"])
        assert fields <= listed | {"id"}, (record, fields - listed)
    for (record, sublist), fields in SUBLIST_FIELDS.items():
        element = records["records"][record]["sublists"][sublist].get("fields")
        if element is None:  # cashRefund.item: the credit memo's shape (fields_note)
            element = records["records"]["creditMemo"]["sublists"]["item"]["fields"]
        assert {name.split(".")[0] for name in fields} <= {n.split(".")[0] for n in element}
