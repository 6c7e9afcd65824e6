"""The Storefront contract: refunds and store credit happen once per external ID, never too much."""

from __future__ import annotations

import contextlib

import pytest

import refund_core as rc

from ._base import ContractBase, LostResponseHook, expect_refusal
from ._run import run
from .builders import M

__all__ = [
    "CUSTOMER_ID",
    "ORDER_REF",
    "ORDER_TOTAL",
    "StorefrontContract",
    "refund_action",
    "store_credit_action",
]

#: The NetSuite record the refunds come from.
KEY = rc.SourceKey("netsuite", "CM-1")
#: The storefront order every refund of the suite is against: paid 100.00 USD (by card, or any
#: method the storefront refunds by amount alone) by customer C-1, nothing refunded yet.
ORDER_REF = "1001"
CUSTOMER_ID = "C-1"
ORDER_TOTAL = "100.00"
#: The name of the contract's storefront unless a subclass names it (``name``).
DEFAULT_NAME = "storefront"


def refund_action(
    external_id: str = "rs-sr-1", amount: str = "40.00", *, storefront: str = DEFAULT_NAME
) -> rc.IssueStorefrontRefund:
    """An amount-only refund of ``amount`` USD (no shipping) against order 1001."""
    return rc.IssueStorefrontRefund(
        external_id=external_id,
        source=KEY,
        rule_ids=("NSC-7",),
        reason="refund the payment method",
        storefront=storefront,
        order_ref=ORDER_REF,
        record=rc.RecordRef(internal_id="CM-1"),
        lines=(),
        shipping=M("0.00 USD"),
        amount=M(f"{amount} USD"),
    )


def store_credit_action(
    external_id: str = "rs-sc-1", amount: str = "10.00", *, storefront: str = DEFAULT_NAME
) -> rc.IssueStoreCredit:
    """Store credit of ``amount`` USD for customer C-1 on order 1001 (NSC-8)."""
    return rc.IssueStoreCredit(
        external_id=external_id,
        source=KEY,
        rule_ids=("NSC-8",),
        reason="gift-card part as store credit",
        storefront=storefront,
        order_ref=ORDER_REF,
        customer_id=CUSTOMER_ID,
        amount=M(f"{amount} USD"),
    )


class StorefrontContract(ContractBase, LostResponseHook):
    """Subclass as ``class TestMyStorefront(StorefrontContract)`` and implement the factory.

    :meth:`make_storefront` returns a fresh storefront each call, declaring ``capabilities``,
    where order ``1001`` (:data:`ORDER_REF`) exists, paid 100.00 USD (:data:`ORDER_TOTAL`) by
    customer ``C-1`` (:data:`CUSTOMER_ID`) and not refunded yet. Every refund of the suite is
    amount-only (no lines, no shipping); together they never pass the 100.00 paid, except the
    over-refund the storefront must refuse.

    Class attributes say what the storefront is:

    - :attr:`kind`: the kind it declares (NSC-10), ``CART`` (default) or ``MARKETPLACE``.
    - :attr:`name`: the storefront name of the capabilities and actions.
    - :attr:`supports_store_credit`: False when it cannot issue store credit; its
      ``issue_store_credit`` must then raise a :class:`refund_core.RefundSyncError`.
    - :attr:`refuses_over_refunds`: leave True. Only a storefront that knows no order balances
      (an in-memory fake) may set it False, which skips the over-refund case.

    Optional hooks: :meth:`lose_next_response` (the lost-response cases; skipped without it)
    and :meth:`on_teardown` (stop what the factory started, e.g. a loopback server).
    """

    kind: rc.StorefrontKind = rc.StorefrontKind.CART
    name: str = DEFAULT_NAME
    supports_store_credit: bool = True
    refuses_over_refunds: bool = True

    def make_storefront(self, capabilities: rc.StorefrontCapabilities) -> rc.Storefront:
        """A fresh storefront under test."""
        raise NotImplementedError("implement make_storefront in your subclass")

    def capabilities(self) -> rc.StorefrontCapabilities:
        """The capabilities asked for: :attr:`name`, :attr:`kind`, store credit as declared."""
        return rc.StorefrontCapabilities(
            self.name, self.kind, supports_store_credit=self.supports_store_credit
        )

    def refund(
        self, external_id: str = "rs-sr-1", amount: str = "40.00"
    ) -> rc.IssueStorefrontRefund:
        """:func:`refund_action` for this storefront's name."""
        return refund_action(external_id, amount, storefront=self.name)

    def store_credit(self, external_id: str = "rs-sc-1") -> rc.IssueStoreCredit:
        """:func:`store_credit_action` for this storefront's name."""
        return store_credit_action(external_id, storefront=self.name)

    def _need_store_credit(self, supported: bool) -> None:
        if self.supports_store_credit is not supported:
            state = "supports" if self.supports_store_credit else "does not support"
            pytest.skip(f"{type(self).__name__} {state} store credit")

    def _need_balances(self) -> None:
        if not self.refuses_over_refunds:
            pytest.skip(
                f"{type(self).__name__} declares refuses_over_refunds = False: the storefront "
                "knows no order balances, so an over-refund cannot be checked"
            )

    # -- the port ----------------------------------------------------------------------------

    def test_conforms_to_the_port(self) -> None:
        """The implementation is a Storefront and declares its kind and store credit (NSC-10)."""
        port = self.make_storefront(self.capabilities())
        assert isinstance(port, rc.Storefront)
        assert port.capabilities.kind is self.kind
        assert port.capabilities.supports_store_credit is self.supports_store_credit

    # -- once per external ID (IDM-1, NSC-7) -------------------------------------------------

    def test_refund_is_created_once(self) -> None:
        """A first refund is created; its receipt carries the action's external ID."""
        receipt = run(self.make_storefront(self.capabilities()).issue_refund(self.refund()))
        assert receipt.created
        assert receipt.external_id == "rs-sr-1"
        assert receipt.record_id

    def test_repeated_refund_is_harmless(self) -> None:
        """Issuing the same refund again creates nothing and names the same refund."""
        port = self.make_storefront(self.capabilities())
        first = run(port.issue_refund(self.refund()))
        again = run(port.issue_refund(self.refund()))
        assert first.created
        assert not again.created
        assert again.external_id == first.external_id
        assert again.record_id == first.record_id

    def test_distinct_refunds_are_distinct(self) -> None:
        """Two refunds with different external IDs are two refunds."""
        port = self.make_storefront(self.capabilities())
        first = run(port.issue_refund(self.refund("rs-sr-1")))
        second = run(port.issue_refund(self.refund("rs-sr-2")))
        assert first.created
        assert second.created
        assert first.record_id != second.record_id

    # -- never too much (MNY-4) --------------------------------------------------------------

    def test_over_refund_is_refused_and_creates_nothing(self) -> None:
        """MNY-4: more than is left on the order is refused, typed; what is left stays left."""
        self._need_balances()
        port = self.make_storefront(self.capabilities())
        assert run(port.issue_refund(self.refund("rs-sr-1", "40.00"))).created
        expect_refusal(
            lambda: run(port.issue_refund(self.refund("rs-sr-2", "60.01"))),
            rc.RefundSyncError,
            "a refund of 60.01 with 60.00 left on the order",
        )
        # The refused refund took nothing: the 60.00 left can still be refunded, in full.
        assert run(port.issue_refund(self.refund("rs-sr-3", "60.00"))).created

    def test_refund_larger_than_the_order_is_refused(self) -> None:
        """MNY-4: a first refund above what the order was paid is refused, typed."""
        self._need_balances()
        port = self.make_storefront(self.capabilities())
        expect_refusal(
            lambda: run(port.issue_refund(self.refund("rs-sr-1", "100.01"))),
            rc.RefundSyncError,
            f"a refund of 100.01 on an order of {ORDER_TOTAL}",
        )
        assert run(port.issue_refund(self.refund("rs-sr-2", ORDER_TOTAL))).created

    # -- store credit (NSC-8) ----------------------------------------------------------------

    def test_repeated_store_credit_is_harmless(self) -> None:
        """Store credit is issued once per external ID; a repeat names the same credit."""
        self._need_store_credit(True)
        port = self.make_storefront(self.capabilities())
        first = run(port.issue_store_credit(self.store_credit()))
        again = run(port.issue_store_credit(self.store_credit()))
        assert first.created
        assert not again.created
        assert again.record_id == first.record_id

    def test_unsupported_store_credit_is_refused(self) -> None:
        """NSC-8: a storefront without store credit refuses it with a typed error, and goes on."""
        self._need_store_credit(False)
        port = self.make_storefront(self.capabilities())
        for attempt in ("store credit", "store credit asked for again"):
            expect_refusal(
                lambda: run(port.issue_store_credit(self.store_credit())),
                rc.RefundSyncError,
                f"{attempt} on a storefront declaring none",
            )
        assert run(port.issue_refund(self.refund())).created

    # -- lost responses (needs the lose_next_response hook) ----------------------------------

    def test_refund_repeated_after_a_lost_response_is_made_once(self) -> None:
        """A refund whose answer was lost, issued again, is found: one refund, one record ID."""
        port = self.make_storefront(self.capabilities())
        self.lose_next_response()
        first: rc.WriteReceipt | None = None
        # The loss may surface, typed (the engine then repeats the write), or be recovered from.
        with contextlib.suppress(rc.RefundSyncError):
            first = run(port.issue_refund(self.refund("rs-sr-1", "40.00")))
        again = run(port.issue_refund(self.refund("rs-sr-1", "40.00")))
        assert not again.created
        if first is not None:
            assert first.created  # nothing existed before: the first call made it
            assert again.record_id == first.record_id
        if self.refuses_over_refunds:
            # Made twice, 80.00 would be gone and these 60.00 refused.
            assert run(port.issue_refund(self.refund("rs-sr-2", "60.00"))).created
        else:
            assert run(port.issue_refund(self.refund("rs-sr-1", "40.00"))) == again

    def test_store_credit_repeated_after_a_lost_response_is_issued_once(self) -> None:
        """Store credit whose answer was lost, issued again, names the one credit made."""
        self._need_store_credit(True)
        port = self.make_storefront(self.capabilities())
        self.lose_next_response()
        first: rc.WriteReceipt | None = None
        with contextlib.suppress(rc.RefundSyncError):
            first = run(port.issue_store_credit(self.store_credit()))
        again = run(port.issue_store_credit(self.store_credit()))
        assert not again.created
        if first is not None:
            assert first.created
            assert again.record_id == first.record_id
        assert run(port.issue_store_credit(self.store_credit())) == again
