"""Amazon's refund records become core refund events: exact parts, positive amounts, fees apart."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import refund_core as rc
from refund_adapters.amazon import (
    AmazonPayloadError,
    AmazonRefund,
    AmazonStandIn,
    FinancesApi,
    SeededItem,
    v0_refund_id,
)
from refund_adapters.amazon._mapping import from_shipment_event, from_transaction
from refund_adapters.amazon._standin import _transaction, _v0_event
from refund_adapters.amazon._wire import read_financial_events, read_transactions
from tests.amazon.factories import FakeClock, source_for, standin
from tests.contracts._run import run

APIS = [FinancesApi.V2024_06_19, FinancesApi.V0]
POSTED = datetime(2026, 11, 2, 10, 12, tzinfo=UTC)


def M(text: str) -> rc.Money:  # noqa: N802 - the project's tiny money builder
    """Money from '12.50 USD'."""
    return rc.Money.parse(text)


def _listed(
    amazon: AmazonStandIn, clock: FakeClock, api: FinancesApi, **options: object
) -> list[AmazonRefund]:
    source = source_for(amazon, clock, api=api, **options)
    page = run(
        source.list_refunds(since=datetime(2026, 11, 1, tzinfo=UTC), page_token=None, limit=50)
    )
    return list(page.items)


def _one(
    items: list[SeededItem], api: FinancesApi, currency: str = "USD", **options: object
) -> AmazonRefund:
    clock = FakeClock()
    amazon = standin(clock)
    amazon.add_refund(
        order_id="113-1234567-1234567",
        posted=POSTED,
        items=items,
        currency=currency,
        refund_id="REF-1",
        seller_order_id="SO-77",
    )
    (refund,) = _listed(amazon, clock, api, **options)
    return refund


@pytest.mark.parametrize("api", APIS)
def test_principal_tax_shipping_and_promotion_map_to_lines_shipping_and_adjustment(
    api: FinancesApi,
) -> None:
    """Principal+tax make the line, shipping+tax the shipping, a promotion the adjustment."""
    refund = _one(
        [
            SeededItem(
                "SKU-1",
                {
                    "Principal": "-19.99",
                    "Tax": "-1.60",
                    "ShippingCharge": "-4.99",
                    "ShippingTax": "-0.40",
                },
                quantity=2,
                promotions={"PromotionMetaDataDefinitionValue": "2.00"},
            ),
            SeededItem("SKU-2", {"Principal": "-5.00"}),
        ],
        api,
    )
    event = refund.event
    assert event.amount == M("29.98 USD")
    assert [(line.order_line_ref, line.quantity, line.amount) for line in event.lines] == [
        ("SKU-1", Decimal(2), M("21.59 USD")),
        ("SKU-2", Decimal(1), M("5.00 USD")),
    ]
    assert event.shipping == M("5.39 USD")
    assert event.adjustment == M("-2.00 USD")
    assert event.order_ref == "113-1234567-1234567"
    assert event.source == "amazon"
    assert event.created_at == POSTED


@pytest.mark.parametrize("api", APIS)
def test_fee_adjustments_and_withheld_tax_are_kept_apart(api: FinancesApi) -> None:
    """Commission returned and refund commission stay beside the event, outside its amount."""
    refund = _one(
        [
            SeededItem(
                "SKU-1",
                {"Principal": "-19.99", "Tax": "-1.60"},
                fees={"Commission": "3.00", "RefundCommission": "-0.60"},
                withheld={"MarketplaceFacilitatorTax-Principal": "1.60"},
            )
        ],
        api,
    )
    assert refund.event.amount == M("21.59 USD")
    assert [(f.fee_type, f.amount) for f in refund.fees] == [
        ("Commission", M("3.00 USD")),
        ("RefundCommission", M("-0.60 USD")),
    ]
    assert all(f.order_adjustment_item_id for f in refund.fees)
    assert [(t.charge_type, t.amount) for t in refund.taxes_withheld] == [
        ("MarketplaceFacilitatorTax-Principal", M("1.60 USD"))
    ]


@pytest.mark.parametrize("api", APIS)
def test_zero_decimal_yen_amounts_stay_whole(api: FinancesApi) -> None:
    """A JPY refund (JSON integers, exponent 0) maps exactly, with no invented decimals (MNY-1)."""
    refund = _one(
        [SeededItem("JP-SKU", {"Principal": "-1099", "Tax": "-110", "ShippingCharge": "-500"})],
        api,
        currency="JPY",
    )
    assert refund.event.amount == M("1709 JPY")
    assert refund.event.lines[0].amount == M("1209 JPY")
    assert refund.event.shipping == M("500 JPY")


@pytest.mark.parametrize("api", APIS)
def test_restocking_fee_is_a_negative_adjustment_and_goodwill_positive(api: FinancesApi) -> None:
    """A restocking fee kept back lowers the refund; goodwill given on top raises it."""
    refund = _one(
        [
            SeededItem(
                "SKU-1", {"Principal": "-50.00", "RestockingFee": "7.50", "Goodwill": "-2.50"}
            )
        ],
        api,
    )
    assert refund.event.amount == M("45.00 USD")
    assert refund.event.adjustment == M("-5.00 USD")
    assert refund.event.lines[0].amount == M("50.00 USD")


@pytest.mark.parametrize("api", APIS)
def test_an_item_without_sku_makes_the_refund_amount_only(api: FinancesApi) -> None:
    """When an item names no SKU, no lines are given; amount, shipping and adjustment still are."""
    refund = _one(
        [
            SeededItem("SKU-1", {"Principal": "-10.00", "ShippingCharge": "-3.00"}),
            SeededItem(None, {"Principal": "-4.00", "Goodwill": "-1.00"}),
        ],
        api,
    )
    assert refund.event.lines == ()
    assert refund.event.amount == M("18.00 USD")
    assert refund.event.shipping == M("3.00 USD")
    assert refund.event.adjustment == M("1.00 USD")


@pytest.mark.parametrize("api", APIS)
def test_fee_only_corrections_are_not_customer_refunds(api: FinancesApi) -> None:
    """A refund record that gives the customer nothing (fees only) is not listed, but counted."""
    clock = FakeClock()
    amazon = standin(clock)
    amazon.add_refund(
        order_id="111-1",
        posted=POSTED,
        items=[SeededItem("SKU-1", {}, fees={"RefundCommission": "-0.60"})],
    )
    amazon.add_refund(
        order_id="111-2", posted=POSTED, items=[SeededItem("SKU-1", {"Principal": "-1.00"})]
    )
    source = source_for(amazon, clock, api=api)
    page = run(
        source.list_events(since=datetime(2026, 11, 1, tzinfo=UTC), page_token=None, limit=5)
    )
    assert [e.order_ref for e in page.items] == ["111-2"]
    assert source.not_customer_refunds == 1


def test_identity_is_refund_id_in_2024_and_order_time_adjustments_in_v0() -> None:
    """2024-06-19 uses Amazon's REFUND_ID; v0 builds order/posted-second/adjustment-item IDs."""
    items = [
        SeededItem("A", {"Principal": "-1.00"}, adjustment_id="777"),
        SeededItem("B", {"Principal": "-1.00"}, adjustment_id="555"),
    ]
    assert _one(items, FinancesApi.V2024_06_19).event.refund_id == "REF-1"
    v0_id = _one(items, FinancesApi.V0).event.refund_id
    assert v0_id == "113-1234567-1234567/20261102T101200Z/555+777"
    assert v0_id == v0_refund_id("113-1234567-1234567", POSTED, ["777", "555"])


def test_seller_order_id_can_be_the_order_reference_in_v0() -> None:
    """Configured so, the v0 path names the order by the seller's own order ID."""
    refund = _one(
        [SeededItem("A", {"Principal": "-1.00"})], FinancesApi.V0, order_ref="seller_order_id"
    )
    assert refund.event.order_ref == "SO-77"


def _v2024_document(amount: object) -> dict[str, object]:
    return {
        "payload": {
            "transactions": [
                {
                    "transactionType": "Refund",
                    "transactionId": "t-1",
                    "postedDate": "2026-11-02T10:12:00Z",
                    "relatedIdentifiers": [
                        {"relatedIdentifierName": "ORDER_ID", "relatedIdentifierValue": "111-1"}
                    ],
                    "items": [
                        {
                            "breakdowns": [
                                {
                                    "breakdownType": "ProductCharges",
                                    "breakdowns": [
                                        {
                                            "breakdownType": "Principal",
                                            "breakdownAmount": {
                                                "currencyCode": "USD",
                                                "currencyAmount": amount,
                                            },
                                        }
                                    ],
                                }
                            ]
                        }
                    ],
                }
            ]
        }
    }


def test_a_string_or_float_amount_is_refused_with_its_path() -> None:
    """Amounts must be exact JSON numbers: a string or a float names the field that carried it."""
    for bad in ("-1.00", -1.0):
        with pytest.raises(AmazonPayloadError, match=r"payload\.transactions\[0\]\.items\[0\]"):
            read_transactions(_v2024_document(bad))
    page = read_transactions(_v2024_document(Decimal("-1.00")))
    refund = from_transaction(
        page.transactions[0], source="amazon", where="t", refund_types=frozenset({"Refund"})
    )
    assert refund is not None
    assert refund.event.amount == M("1.00 USD")
    assert refund.event.refund_id == "t-1"  # no REFUND_ID: Amazon's transaction ID


def test_breakdowns_on_the_transaction_only_still_count() -> None:
    """A transaction whose items carry no breakdowns is read from its own breakdowns."""
    document = _v2024_document(Decimal("-3.00"))
    txn = document["payload"]["transactions"][0]  # type: ignore[index]
    txn["breakdowns"] = txn["items"][0]["breakdowns"]
    txn["items"] = [{"contexts": [{"contextType": "ProductContext", "sku": "X"}]}]
    refund = from_transaction(
        read_transactions(document).transactions[0],
        source="amazon",
        where="t",
        refund_types=frozenset({"Refund"}),
    )
    assert refund is not None
    assert refund.event.amount == M("3.00 USD")
    assert refund.event.lines == ()


def test_mixed_currencies_in_one_refund_are_refused() -> None:
    """A refund whose parts are in two currencies is a payload error naming the currencies."""
    event = _v0_event(
        AmazonStandIn().add_refund(
            order_id="111-1", posted=POSTED, items=[SeededItem("A", {"Principal": "-1.00"})]
        )
    )
    event["ShipmentItemAdjustmentList"][0]["ItemChargeAdjustmentList"].append(
        {
            "ChargeType": "Tax",
            "ChargeAmount": {"CurrencyCode": "EUR", "CurrencyAmount": Decimal("-1")},
        }
    )
    page = read_financial_events({"payload": {"FinancialEvents": {"RefundEventList": [event]}}})
    with pytest.raises(AmazonPayloadError, match="EUR, USD"):
        from_shipment_event(page.refunds[0], source="amazon", where="e")


_amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2)
_optional = st.one_of(st.just(Decimal(0)), _amounts)


@settings(max_examples=60, deadline=None)
@given(
    items=st.lists(
        st.tuples(_amounts, _optional, _optional, _optional, _optional, _optional, st.booleans()),
        min_size=1,
        max_size=4,
    )
)
def test_parts_always_add_up_to_a_positive_amount_in_both_versions(
    items: list[tuple[Decimal, Decimal, Decimal, Decimal, Decimal, Decimal, bool]],
) -> None:
    """Whatever the charges, lines + shipping + adjustment == amount == customer money (MNY-3)."""
    seeded = []
    for index, (principal, tax, ship, promo, restock, fee, named) in enumerate(items):
        charges = {
            "Principal": -principal,
            "Tax": -tax,
            "ShippingCharge": -ship,
            "RestockingFee": restock,
        }
        seeded.append(
            SeededItem(
                f"SKU-{index}" if named else None,
                {k: v for k, v in charges.items() if v},
                promotions={"P": promo} if promo else {},
                fees={"Commission": fee} if fee else {},
            )
        )
    refund_record = AmazonStandIn().add_refund(order_id="111-1", posted=POSTED, items=seeded)
    customer = sum(
        (-v for item in seeded for _, v in (*item.charges, *item.promotions)), Decimal(0)
    )
    v0_page = read_financial_events(
        {"payload": {"FinancialEvents": {"RefundEventList": [_v0_event(refund_record)]}}}
    )
    v24_page = read_transactions({"payload": {"transactions": [_transaction(refund_record)]}})
    mapped = [
        from_shipment_event(v0_page.refunds[0], source="amazon", where="e"),
        from_transaction(
            v24_page.transactions[0], source="amazon", where="t", refund_types=frozenset({"Refund"})
        ),
    ]
    for refund in mapped:
        if customer <= 0:
            assert refund is None
            continue
        assert refund is not None
        event = refund.event
        assert event.amount == rc.Money.of(customer, "USD")
        parts = event.shipping_amount + event.adjustment_amount
        for line in event.lines:
            parts = parts + line.amount
        if event.lines:
            assert parts == event.amount
        assert sum((f.amount.amount for f in refund.fees), Decimal(0)) == sum(
            (v for item in seeded for _, v in item.fees), Decimal(0)
        )
    if customer > 0:
        assert mapped[0] is not None
        assert mapped[1] is not None
        assert mapped[0].event.lines == mapped[1].event.lines
        assert mapped[0].event.amount == mapped[1].event.amount
