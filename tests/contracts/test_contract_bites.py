"""The contracts can fail: each new case is run against an implementation broken in its way.

A contract that passes everything proves nothing. Here small storefronts and a ledger that break
one promise each are put through the very test meant to catch it, which must then fail.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest

import refund_core as rc
from refund_adapters.conformance import (
    ORDER_REF,
    ORDER_TOTAL,
    LedgerContract,
    RefundSourceContract,
    StorefrontContract,
)
from refund_core.testing import FakeLedger, FakeRefundSource, LedgerWriteFailed
from tests.builders import M

#: What a contract test raises when it fails: an assertion, or pytest.raises finding nothing.
FAILED = (AssertionError, pytest.fail.Exception)


class LostAnswer(rc.RefundSyncError):
    """The broken storefront's "connection dropped" after a write applied."""


class Storefront:
    """A small storefront holding order 1001 (100.00 USD), with switchable defects."""

    def __init__(
        self,
        capabilities: rc.StorefrontCapabilities,
        *,
        forgets_repeats: bool = False,
        ignores_balance: bool = False,
        forgets_lost_writes: bool = False,
        refuses_untyped: bool = False,
    ) -> None:
        self._capabilities = capabilities
        self._forgets_repeats = forgets_repeats
        self._ignores_balance = ignores_balance
        self._forgets_lost_writes = forgets_lost_writes
        self._refuses_untyped = refuses_untyped
        self.refunds: dict[str, rc.Money] = {}  # record ID -> amount
        self._by_external_id: dict[str, str] = {}
        self._lose_next = False

    @property
    def capabilities(self) -> rc.StorefrontCapabilities:
        """As given."""
        return self._capabilities

    def lose_next(self) -> None:
        """The next write applies, then raises LostAnswer."""
        self._lose_next = True

    async def issue_refund(self, action: rc.IssueStorefrontRefund) -> rc.WriteReceipt:
        """Refund once per external ID, within what is left, unless a defect says otherwise."""
        assert action.order_ref == ORDER_REF
        known = self._by_external_id.get(action.external_id)
        if known is not None and not self._forgets_repeats:
            return rc.WriteReceipt(action.external_id, known, created=False)
        left = M(f"{ORDER_TOTAL} USD") - rc.sum_money(self.refunds.values(), action.amount.currency)
        if action.amount > left and not self._ignores_balance:
            if self._refuses_untyped:
                raise RuntimeError("too much")
            raise rc.InvalidInputError(f"only {left} left")
        record_id = f"r{len(self.refunds) + 1}"
        self.refunds[record_id] = action.amount
        if self._lose_next:
            self._lose_next = False
            if not self._forgets_lost_writes:
                self._by_external_id[action.external_id] = record_id
            raise LostAnswer("connection dropped")
        self._by_external_id[action.external_id] = record_id
        return rc.WriteReceipt(action.external_id, record_id, created=True)

    async def issue_store_credit(self, action: rc.IssueStoreCredit) -> rc.WriteReceipt:
        """Never supported here."""
        raise rc.InvalidInputError("no store credit")


def contract_for(kind: rc.StorefrontKind = rc.StorefrontKind.CART, **defects: bool) -> type:
    """A StorefrontContract subclass over :class:`Storefront` with ``defects``."""

    class Contract(StorefrontContract):
        supports_store_credit = False
        store: Storefront

        def make_storefront(self, capabilities: rc.StorefrontCapabilities) -> rc.Storefront:
            self.store = Storefront(rc.StorefrontCapabilities(capabilities.name, kind), **defects)
            return self.store

        def lose_next_response(self) -> None:
            self.store.lose_next()

    return Contract


def run_case(contract: type, case: str) -> None:
    """Run one contract test method on a fresh instance, as pytest would (teardowns included)."""
    instance = contract()
    instance._teardowns = []
    try:
        getattr(instance, case)()
    finally:
        for cleanup in reversed(instance._teardowns):
            cleanup()


STOREFRONT_CASES = [
    "test_conforms_to_the_port",
    "test_refund_is_created_once",
    "test_repeated_refund_is_harmless",
    "test_distinct_refunds_are_distinct",
    "test_over_refund_is_refused_and_creates_nothing",
    "test_refund_larger_than_the_order_is_refused",
    "test_unsupported_store_credit_is_refused",
    "test_refund_repeated_after_a_lost_response_is_made_once",
]


@pytest.mark.parametrize("case", STOREFRONT_CASES)
def test_a_sound_storefront_passes_every_case(case: str) -> None:
    """The small storefront without defects meets every case: the failures come from defects."""
    run_case(contract_for(), case)


@pytest.mark.parametrize(
    ("defects", "case"),
    [
        ({"forgets_repeats": True}, "test_repeated_refund_is_harmless"),
        ({"ignores_balance": True}, "test_over_refund_is_refused_and_creates_nothing"),
        ({"ignores_balance": True}, "test_refund_larger_than_the_order_is_refused"),
        ({"refuses_untyped": True}, "test_over_refund_is_refused_and_creates_nothing"),
        ({"forgets_lost_writes": True}, "test_refund_repeated_after_a_lost_response_is_made_once"),
    ],
)
def test_a_broken_storefront_fails_the_case_meant_for_it(
    defects: dict[str, bool], case: str
) -> None:
    """Re-created repeats, unchecked or untyped over-refunds, twice-made lost writes all fail."""
    with pytest.raises((*FAILED, RuntimeError)):
        run_case(contract_for(**defects), case)


def test_the_declared_kind_is_checked() -> None:
    """NSC-10: a marketplace declaring itself a cart fails a contract that expects a marketplace."""
    contract = contract_for(kind=rc.StorefrontKind.CART)
    marketplace = type("Marketplace", (contract,), {"kind": rc.StorefrontKind.MARKETPLACE})
    with pytest.raises(FAILED):
        run_case(marketplace, "test_conforms_to_the_port")
    run_case(type("Cart", (contract,), {}), "test_conforms_to_the_port")


def test_a_missing_hook_skips_with_a_reason() -> None:
    """Without lose_next_response the lost-response case is skipped, saying what is missing."""

    class NoHook(StorefrontContract):
        supports_store_credit = False

        def make_storefront(self, capabilities: rc.StorefrontCapabilities) -> rc.Storefront:
            return Storefront(capabilities)

    with pytest.raises(pytest.skip.Exception, match="does not implement lose_next_response"):
        run_case(NoHook, "test_refund_repeated_after_a_lost_response_is_made_once")


class UnmarkedLedger(FakeLedger):
    """A ledger whose lost write is made without its external ID, so a repeat writes again."""

    lose_next = False

    async def write(self, action: rc.LedgerAction) -> rc.WriteReceipt:
        """Write; a write whose answer is lost goes in unmarked, then the answer is lost."""
        if not self.lose_next:
            return await super().write(action)
        self.lose_next = False
        await super().write(attrs.evolve(action, external_id=f"{action.external_id}-unmarked"))
        raise LedgerWriteFailed("answer lost")


def test_a_ledger_that_writes_again_after_a_lost_answer_fails_the_case() -> None:
    """A write that cannot be found after its answer was lost is made twice: the case fails."""

    class Contract(LedgerContract):
        ledger: UnmarkedLedger

        def make_ledger(self, snapshot: rc.LedgerSnapshot) -> rc.Ledger:
            self.ledger = UnmarkedLedger(snapshot)
            return self.ledger

        def lose_next_response(self) -> None:
            self.ledger.lose_next = True

    with pytest.raises(FAILED):
        run_case(Contract, "test_write_repeated_after_a_lost_response_creates_one_record")


def test_a_source_listing_other_ids_fails_unless_it_maps_them() -> None:
    """A source that renames its events fails the paging case, and passes with listed_event_id."""

    def renamed(events: list[rc.SourceEvent]) -> list[rc.SourceEvent]:
        return [
            _rename(e, f"x-{e.key.event_id}") if isinstance(e, rc.RefundEvent) else e
            for e in events
        ]

    def source_contract(mapped: bool) -> type:
        attributes: dict[str, Callable[..., object]] = {
            "make_source": lambda self, events: FakeRefundSource("stripe", renamed(list(events)))
        }
        if mapped:
            attributes["listed_event_id"] = lambda self, event: (
                f"x-{event.key.event_id}"
                if isinstance(event, rc.RefundEvent)
                else event.key.event_id
            )
        return type("Contract", (RefundSourceContract,), attributes)

    with pytest.raises(FAILED):
        run_case(source_contract(mapped=False), "test_events_keep_their_amounts_and_times")
    run_case(source_contract(mapped=True), "test_events_keep_their_amounts_and_times")


def _rename(event: rc.RefundEvent, refund_id: str) -> rc.RefundEvent:
    return attrs.evolve(event, refund_id=refund_id)
