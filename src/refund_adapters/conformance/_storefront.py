"""The Storefront contract: refunds and store credit happen once per external ID."""

from __future__ import annotations

import refund_core as rc

from ._run import run
from .builders import M

__all__ = ["StorefrontContract"]

#: The storefront capabilities the suite asks for (store credit on, for the store-credit tests).
SHOP = rc.StorefrontCapabilities("shopify", rc.StorefrontKind.CART, supports_store_credit=True)
#: The NetSuite record the refunds come from.
KEY = rc.SourceKey("netsuite", "CM-1")
#: The storefront order every refund of the suite is against: paid 100.00 USD by card by
#: customer C-1; no refund is larger than 40.00 USD and two refunds never exceed 80.00 USD.
ORDER_REF = "1001"
CUSTOMER_ID = "C-1"


def refund_action(external_id: str = "rs-sr-1", amount: str = "40.00") -> rc.IssueStorefrontRefund:
    """An outgoing refund of ``amount`` USD against order 1001, named by ``external_id``."""
    return rc.IssueStorefrontRefund(
        external_id=external_id,
        source=KEY,
        rule_ids=("NSC-7",),
        reason="refund the payment method",
        storefront=SHOP.name,
        order_ref=ORDER_REF,
        record=rc.RecordRef(internal_id="CM-1"),
        lines=(),
        shipping=M("0.00 USD"),
        amount=M(f"{amount} USD"),
    )


def store_credit_action(external_id: str = "rs-sc-1") -> rc.IssueStoreCredit:
    """Store credit of 10.00 USD for customer C-1 on order 1001 (NSC-8)."""
    return rc.IssueStoreCredit(
        external_id=external_id,
        source=KEY,
        rule_ids=("NSC-8",),
        reason="gift-card part as store credit",
        storefront=SHOP.name,
        order_ref=ORDER_REF,
        customer_id=CUSTOMER_ID,
        amount=M("10.00 USD"),
    )


class StorefrontContract:
    """Subclass as ``class TestMyStorefront(StorefrontContract)`` and implement the factory.

    :meth:`make_storefront` returns a fresh storefront each call, declaring ``capabilities``,
    where order ``1001`` (:data:`ORDER_REF`) exists, paid 100.00 USD by customer ``C-1``. Set
    :attr:`supports_store_credit` False when the storefront cannot issue store credit (its
    ``issue_store_credit`` must then raise a :class:`refund_core.RefundSyncError`).
    """

    supports_store_credit = True

    def make_storefront(self, capabilities: rc.StorefrontCapabilities) -> rc.Storefront:
        """A fresh storefront under test."""
        raise NotImplementedError("implement make_storefront in your subclass")

    def capabilities(self) -> rc.StorefrontCapabilities:
        """The capabilities asked for (store credit as the subclass declares)."""
        return rc.StorefrontCapabilities(
            SHOP.name, SHOP.kind, supports_store_credit=self.supports_store_credit
        )

    def test_conforms_to_the_port(self) -> None:
        """The implementation is a Storefront and reports its capabilities."""
        port = self.make_storefront(self.capabilities())
        assert isinstance(port, rc.Storefront)
        assert port.capabilities.kind is rc.StorefrontKind.CART
        assert port.capabilities.supports_store_credit is self.supports_store_credit

    def test_refund_is_created_once(self) -> None:
        """A first refund is created; its receipt carries the action's external ID."""
        receipt = run(self.make_storefront(self.capabilities()).issue_refund(refund_action()))
        assert receipt.created
        assert receipt.external_id == "rs-sr-1"

    def test_repeated_refund_is_harmless(self) -> None:
        """Issuing the same refund again creates nothing and names the same refund."""
        port = self.make_storefront(self.capabilities())
        first = run(port.issue_refund(refund_action()))
        again = run(port.issue_refund(refund_action()))
        assert not again.created
        assert again.record_id == first.record_id

    def test_distinct_refunds_are_distinct(self) -> None:
        """Two refunds with different external IDs are two refunds."""
        port = self.make_storefront(self.capabilities())
        first = run(port.issue_refund(refund_action("rs-sr-1")))
        second = run(port.issue_refund(refund_action("rs-sr-2")))
        assert first.created
        assert second.created
        assert first.record_id != second.record_id

    def test_repeated_store_credit_is_harmless(self) -> None:
        """Store credit is issued once per external ID; a repeat names the same credit."""
        port = self.make_storefront(self.capabilities())
        if not self.supports_store_credit:
            try:
                run(port.issue_store_credit(store_credit_action()))
            except rc.RefundSyncError:
                return
            raise AssertionError("a storefront without store credit must refuse to issue it")
        first = run(port.issue_store_credit(store_credit_action()))
        again = run(port.issue_store_credit(store_credit_action()))
        assert first.created
        assert not again.created
        assert again.record_id == first.record_id
