"""Contract of a Storefront: refunds and store credit happen once per external ID."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import refund_core as rc
from refund_core.testing import FakeStorefront
from tests.builders import M
from tests.contracts._run import run

Factory = Callable[[rc.StorefrontCapabilities], rc.Storefront]

#: Every implementation of the port; an adapter joins the contract with one more entry here.
IMPLEMENTATIONS: list[Factory] = [
    FakeStorefront,
]

SHOP = rc.StorefrontCapabilities("shopify", rc.StorefrontKind.CART, supports_store_credit=True)
KEY = rc.SourceKey("netsuite", "CM-1")


@pytest.fixture(params=IMPLEMENTATIONS, ids=lambda factory: "fake")
def implementation(request: pytest.FixtureRequest) -> Factory:
    """A factory building the implementation under test from its capabilities."""
    factory: Factory = request.param
    return factory


def _refund(external_id: str = "rs-sr-1", amount: str = "40.00") -> rc.IssueStorefrontRefund:
    return rc.IssueStorefrontRefund(
        external_id=external_id,
        source=KEY,
        rule_ids=("NSC-7",),
        reason="refund the payment method",
        storefront="shopify",
        order_ref="1001",
        record=rc.RecordRef(internal_id="CM-1"),
        lines=(),
        shipping=M("0.00 USD"),
        amount=M(f"{amount} USD"),
    )


def _credit(external_id: str = "rs-sc-1") -> rc.IssueStoreCredit:
    return rc.IssueStoreCredit(
        external_id=external_id,
        source=KEY,
        rule_ids=("NSC-8",),
        reason="gift-card part as store credit",
        storefront="shopify",
        order_ref="1001",
        customer_id="C-1",
        amount=M("10.00 USD"),
    )


def test_conforms_to_the_port(implementation: Factory) -> None:
    """The implementation is a Storefront and reports the capabilities it was given."""
    port = implementation(SHOP)
    assert isinstance(port, rc.Storefront)
    assert port.capabilities == SHOP


def test_refund_is_created_once(implementation: Factory) -> None:
    """A first refund is created; its receipt carries the action's external ID."""
    receipt = run(implementation(SHOP).issue_refund(_refund()))
    assert receipt.created
    assert receipt.external_id == "rs-sr-1"


def test_repeated_refund_is_harmless(implementation: Factory) -> None:
    """Issuing the same refund again creates nothing and names the same refund."""
    port = implementation(SHOP)
    first = run(port.issue_refund(_refund()))
    again = run(port.issue_refund(_refund()))
    assert not again.created
    assert again.record_id == first.record_id


def test_distinct_refunds_are_distinct(implementation: Factory) -> None:
    """Two refunds with different external IDs are two refunds."""
    port = implementation(SHOP)
    first = run(port.issue_refund(_refund("rs-sr-1")))
    second = run(port.issue_refund(_refund("rs-sr-2")))
    assert first.created
    assert second.created
    assert first.record_id != second.record_id


def test_repeated_store_credit_is_harmless(implementation: Factory) -> None:
    """Store credit is issued once per external ID; a repeat names the same credit."""
    port = implementation(SHOP)
    first = run(port.issue_store_credit(_credit()))
    again = run(port.issue_store_credit(_credit()))
    assert first.created
    assert not again.created
    assert again.record_id == first.record_id
