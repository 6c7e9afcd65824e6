"""The Magento stand-in keeps Magento's rules: searchCriteria paging, refund limits, auth."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import httpx
import pytest

import refund_core as rc
from refund_adapters.magento import CreditMemoRecord, MagentoStandIn, SeedItem, marker_for
from refund_adapters.magento._wire import dumps, loads
from tests.builders import M
from tests.contracts._run import run
from tests.magento.factories import BASE_URL, TOKEN, new_standin, storefront_over


def call(
    standin: MagentoStandIn,
    method: str,
    path: str,
    *,
    body: Any = None,
    params: list[tuple[str, str]] | None = None,
    token: str = TOKEN,
) -> tuple[int, Any]:
    """One raw request to the stand-in; the status and the JSON answer (numbers as Decimals)."""

    async def go() -> tuple[int, Any]:
        async with httpx.AsyncClient(transport=standin.transport(), base_url=BASE_URL) as client:
            response = await client.request(
                method,
                f"/rest/default/V1/{path}",
                params=tuple(params or ()),
                content=None if body is None else dumps(body).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            return response.status_code, loads(response.content)

    return run(go())


def page(size: int, current: int, *filters: tuple[str, str, str]) -> list[tuple[str, str]]:
    """Query pairs of a ``searchCriteria`` (camelCase, as the schema spells them)."""
    params: list[tuple[str, str]] = []
    for group, (field, value, condition) in enumerate(filters):
        base = f"searchCriteria[filterGroups][{group}][filters][0]"
        params += [
            (f"{base}[field]", field),
            (f"{base}[value]", value),
            (f"{base}[conditionType]", condition),
        ]
    return [
        *params,
        ("searchCriteria[pageSize]", str(size)),
        ("searchCriteria[currentPage]", str(current)),
    ]


def many_orders(count: int) -> MagentoStandIn:
    """A stand-in with ``count`` one-item orders 000000001.."""
    standin = new_standin()
    for number in range(1, count + 1):
        standin.add_order(f"{number:09d}", [SeedItem("SKU", "10.00")], shipping="2.00")
    return standin


def test_a_page_past_the_end_answers_the_last_page_again() -> None:
    """Magento's collection quirk: currentPage beyond the last page repeats the last page."""
    standin = many_orders(7)
    status, last = call(standin, "GET", "orders", params=page(3, 3))
    assert status == 200
    assert [o["increment_id"] for o in last["items"]] == ["000000007"]
    _, beyond = call(standin, "GET", "orders", params=page(3, 9))
    assert beyond["items"] == last["items"]
    assert beyond["total_count"] == 7


def test_filters_and_conditions() -> None:
    """Groups AND, conditions compare numbers as numbers, and snake_case names work too."""
    standin = many_orders(5)
    _, found = call(
        standin, "GET", "orders", params=page(10, 1, ("increment_id", "000000003", "eq"))
    )
    assert [o["increment_id"] for o in found["items"]] == ["000000003"]
    first_id = found["items"][0]["entity_id"]
    _, after = call(
        standin,
        "GET",
        "orders",
        params=[
            ("searchCriteria[filter_groups][0][filters][0][field]", "entity_id"),
            ("searchCriteria[filter_groups][0][filters][0][value]", str(first_id)),
            ("searchCriteria[filter_groups][0][filters][0][condition_type]", "gt"),
            ("searchCriteria[filter_groups][1][filters][0][field]", "increment_id"),
            ("searchCriteria[filter_groups][1][filters][0][value]", "000000004,000000005"),
            ("searchCriteria[filter_groups][1][filters][0][condition_type]", "in"),
        ],
    )
    assert [o["increment_id"] for o in after["items"]] == ["000000004", "000000005"]


def test_adapter_paging_stops_on_total_count() -> None:
    """The adapter reads 3 pages of 3 for 7 credit memos and never asks for a 4th page."""
    standin = new_standin()
    standin.add_order("000000042", [SeedItem("SKU", "100.00")], shipping="5.00")
    adapter = storefront_over(standin, page_size=3)
    for number in range(7):
        run(adapter.issue_refund(_amount_only(f"rs-sr-{number}", "1.00")))
    standin.requests.clear()
    run(adapter.issue_refund(_amount_only("rs-sr-new", "1.00")))
    pages = [
        r.url.params["searchCriteria[currentPage]"]
        for r in standin.requests
        if r.url.path.endswith("/creditmemos")
    ]
    assert pages == ["1", "2", "3"]
    assert len(standin.memos_of("000000042")) == 8


def _amount_only(external_id: str, amount: str) -> rc.IssueStorefrontRefund:
    return rc.IssueStorefrontRefund(
        external_id=external_id,
        source=rc.SourceKey("netsuite", external_id),
        rule_ids=("NSC-7",),
        reason="amount-only refund",
        storefront="magento",
        order_ref="000000042",
        record=rc.RecordRef(internal_id="CM-42"),
        lines=(),
        shipping=M("0.00 USD"),
        amount=M(f"{amount} USD"),
    )


def test_empty_items_refund_every_item_and_all_shipping() -> None:
    """Magento's rule the adapter avoids: no quantities and no shipping_amount refunds it all."""
    standin = new_standin()
    order_id = standin.add_order(
        "000000050", [SeedItem("A", "10.00", qty=2), SeedItem("B", "1.50")], shipping="4.00"
    )
    status, memo_id = call(standin, "POST", f"order/{order_id}/refund", body={"items": []})
    assert status == 200
    memo = standin.credit_memos[memo_id]
    assert memo.grand_total == Decimal("25.50")
    assert standin.order_by_increment_id("000000050").state == "closed"


def test_over_refund_of_a_quantity_is_refused_naming_the_sku() -> None:
    """More than invoiced-minus-refunded is refused with Magento's message and no credit memo."""
    standin = new_standin()
    order_id = standin.add_order("000000051", [SeedItem("SKU-RED", "19.99", qty=2)])
    item_id = standin.orders[order_id].items[0].item_id
    status, error = call(
        standin,
        "POST",
        f"order/{order_id}/refund",
        body={"items": [{"order_item_id": item_id, "qty": 3}]},
    )
    assert status == 400
    assert 'unrefunded quantity for product SKU "SKU-RED"' in error["message"]
    assert standin.credit_memos == {}


def test_shipping_above_what_is_left_is_refused() -> None:
    """Refunding more shipping than remains names the maximum, as a %1 parameter."""
    standin = new_standin()
    order_id = standin.add_order("000000052", [SeedItem("A", "10.00")], shipping="4.00")
    item_id = standin.orders[order_id].items[0].item_id
    status, error = call(
        standin,
        "POST",
        f"order/{order_id}/refund",
        body={
            "items": [{"order_item_id": item_id, "qty": 0}],
            "arguments": {"shipping_amount": Decimal("4.01")},
        },
    )
    assert status == 400
    assert error == {
        "message": "Maximum shipping amount allowed to refund is: %1",
        "parameters": ["$4.00"],
    }


def test_offline_refund_of_an_online_order_is_refused() -> None:
    """An order paid online cannot be refunded through the offline order endpoint."""
    standin = new_standin()
    order_id = standin.add_order("000000053", [SeedItem("A", "10.00")], payment_method="braintree")
    status, error = call(standin, "POST", f"order/{order_id}/refund", body={"items": []})
    assert status == 400
    assert "paid online" in error["message"]


def test_unknown_token_is_refused_with_magentos_401() -> None:
    """A request with an unknown token gets Magento's 401 body; no data leaks."""
    standin = many_orders(1)
    status, error = call(standin, "GET", "orders", params=page(1, 1), token="nope")
    assert status == 401
    assert error["parameters"] == {"resources": "Magento_Sales::sales"}


def test_every_new_credit_memo_is_a_new_credit_memo() -> None:
    """Magento has no idempotency: the same POST twice makes two credit memos (why we mark)."""
    standin = new_standin()
    order_id = standin.add_order("000000054", [SeedItem("A", "10.00", qty=2)])
    item_id = standin.orders[order_id].items[0].item_id
    body = {"items": [{"order_item_id": item_id, "qty": 1}]}
    first = call(standin, "POST", f"order/{order_id}/refund", body=body)
    second = call(standin, "POST", f"order/{order_id}/refund", body=body)
    assert first[0] == second[0] == 200
    assert first[1] != second[1]
    assert len(standin.credit_memos) == 2


@pytest.mark.parametrize("route", ["orders/99999", "creditmemo/99999", "nothing/here"])
def test_unknown_entities_and_routes_are_404(route: str) -> None:
    """Unknown IDs and routes answer 404 with a Magento message."""
    status, error = call(new_standin(), "GET", route)
    assert status == 404
    assert error["message"]


def test_credit_memos_read_back_as_frozen_records() -> None:
    """credit_memos_of gives each credit memo an order got: SKUs, quantities, totals, marker."""
    standin = new_standin()
    standin.add_order(
        "000000042", [SeedItem("SKU-A", "10.00", qty=2), SeedItem("SKU-B", "5.00")], shipping="3.00"
    )
    assert standin.credit_memos_of("000000042") == ()
    adapter = storefront_over(standin)
    action = rc.IssueStorefrontRefund(
        external_id="rs-sr-42",
        source=rc.SourceKey("netsuite", "CM-42"),
        rule_ids=("NSC-7",),
        reason="read back",
        storefront="magento",
        order_ref="000000042",
        record=rc.RecordRef(internal_id="CM-42"),
        lines=(rc.StorefrontRefundLine("SKU-A", Decimal(1), M("10.00 USD")),),
        shipping=M("3.00 USD"),
        amount=M("12.00 USD"),
    )
    receipt = run(adapter.issue_refund(action))
    (memo,) = standin.credit_memos_of("000000042")
    assert memo == CreditMemoRecord(
        entity_id=int(receipt.record_id),
        order_increment_id="000000042",
        invoice_id=None,
        currency="USD",
        items=(("SKU-A", Decimal(1)),),
        shipping_amount=Decimal("3.00"),
        adjustment_positive=Decimal(0),
        adjustment_negative=Decimal("1.00"),
        grand_total=Decimal("12.00"),
        comments=memo.comments,
    )
    assert memo.comments[0].splitlines()[0] == marker_for("rs-sr-42")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        memo.grand_total = Decimal(0)  # type: ignore[misc]
