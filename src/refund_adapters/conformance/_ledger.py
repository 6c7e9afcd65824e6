"""The Ledger contract: batched reads hold what decisions need; writes are idempotent."""

from __future__ import annotations

import contextlib

import attrs

import refund_core as rc

from ._base import ContractBase, LostResponseHook
from ._run import run
from .builders import (
    M,
    at,
    credit_memo,
    invoice,
    ledger,
    order,
    payment,
    payment_failure,
    stripe_refund,
)

__all__ = ["LedgerContract", "contract_snapshot"]

SETTINGS = rc.RefundSettings(partial_refund_item="PARTIAL")
SHOP = rc.StorefrontCapabilities("shopify", rc.StorefrontKind.CART)


def contract_snapshot() -> rc.LedgerSnapshot:
    """Two orders paid by two charges, a pending ACH payment, and a hand-made credit memo."""
    return ledger(
        sales_orders=[order("SO-1", "1001"), order("SO-2", "1002"), order("SO-3", "1003")],
        invoices=[
            invoice("INV-1", order_id="SO-1"),
            invoice("INV-2", order_id="SO-2"),
            invoice("INV-3", order_id="SO-3"),
        ],
        payments=[
            payment("PAY-1", "100.00", ref="ch_1", applied={"INV-1": "100.00"}),
            payment("PAY-2", "100.00", ref="ch_2", applied={"INV-2": "100.00"}),
            payment(
                "PAY-3",
                "100.00",
                ref="ch_3",
                applied={"INV-3": "100.00"},
                status=rc.PaymentStatus.PENDING,
            ),
        ],
        credit_memos=[
            credit_memo("CM-9", "INV-2", "10.00", order_id="SO-2"),
            credit_memo("CM-1", "INV-1", "15.00", order_id="SO-1"),
        ],
    )


def _plan(outcome: rc.Outcome) -> rc.Plan:
    assert isinstance(outcome, rc.Plan), outcome
    return outcome


def _ledger_actions(plan: rc.Plan) -> list[rc.LedgerAction]:
    return [
        action
        for action in plan.actions
        if not isinstance(action, rc.IssueStorefrontRefund | rc.IssueStoreCredit)
    ]


def _mark_synced(record_id: str, refund_id: str) -> rc.MarkRecordSynced:
    return rc.MarkRecordSynced(
        external_id=f"{refund_id}-mark",
        source=rc.SourceKey("netsuite", record_id),
        rule_ids=("NSC-7",),
        reason="synced",
        record_kind=rc.SyncedRecordKind.CREDIT_MEMO,
        record_id=record_id,
        sync=rc.StorefrontSync(refund_id, M("15.00 USD"), M("0.00 USD")),
    )


class LedgerContract(ContractBase, LostResponseHook):
    """Subclass as ``class TestMyLedger(LedgerContract)`` and implement the factory.

    :meth:`make_ledger` returns a fresh ledger holding exactly ``snapshot``
    (:func:`contract_snapshot`: three orders paid by charges ``ch_1``..``ch_3``, one of them a
    pending ACH payment, and two credit memos made by hand in NetSuite).

    Optional hooks: :meth:`lose_next_response` (the lost-response case; skipped without it)
    and :meth:`on_teardown` (stop what the factory started, e.g. a loopback server).
    """

    def make_ledger(self, snapshot: rc.LedgerSnapshot) -> rc.Ledger:
        """A fresh ledger under test seeded with ``snapshot``."""
        raise NotImplementedError("implement make_ledger in your subclass")

    def test_conforms_to_the_port(self) -> None:
        """The implementation is a Ledger."""
        assert isinstance(self.make_ledger(contract_snapshot()), rc.Ledger)

    def test_write_then_find_by_external_id(self) -> None:
        """A created record is found again by its external ID, under the receipt's record ID."""
        port = self.make_ledger(contract_snapshot())
        plan = _plan(
            rc.decide_stripe_refund(stripe_refund("re_1", "40.00"), contract_snapshot(), SETTINGS)
        )
        for action in _ledger_actions(plan):
            receipt = run(port.write(action))
            assert receipt.created
            assert receipt.external_id == action.external_id
            assert run(port.find_by_external_id(action.external_id)) == receipt.record_id

    def test_unknown_external_id_is_not_found(self) -> None:
        """Looking up an external ID nobody wrote gives None."""
        assert (
            run(self.make_ledger(contract_snapshot()).find_by_external_id("rs-cm-nothing")) is None
        )

    def test_repeated_write_creates_nothing_and_returns_the_same_record(self) -> None:
        """Writing an action again creates nothing and names the record of the first write."""
        port = self.make_ledger(contract_snapshot())
        plan = _plan(
            rc.decide_stripe_refund(stripe_refund("re_1", "40.00"), contract_snapshot(), SETTINGS)
        )
        first = [run(port.write(action)) for action in _ledger_actions(plan)]
        query = rc.LedgerQuery(payment_refs=frozenset({"ch_1"}), sources=frozenset({plan.key}))
        after_first = run(port.load(query))
        again = [run(port.write(action)) for action in _ledger_actions(plan)]
        assert [r.record_id for r in again] == [r.record_id for r in first]
        assert not any(r.created for r in again)
        assert run(port.load(query)) == after_first

    def test_write_repeated_after_a_lost_response_creates_one_record(self) -> None:
        """A write whose answer was lost, sent again, makes one record, found by external ID."""
        port = self.make_ledger(contract_snapshot())
        event = stripe_refund("re_1", "40.00")
        plan = _plan(rc.decide_stripe_refund(event, contract_snapshot(), SETTINGS))
        lost, *rest = _ledger_actions(plan)
        self.lose_next_response()
        first: rc.WriteReceipt | None = None
        # The loss may surface, typed (the engine then looks the external ID up and repeats the
        # write), or be recovered from inside the adapter.
        with contextlib.suppress(rc.RefundSyncError):
            first = run(port.write(lost))
        again = run(port.write(lost))
        assert not again.created
        if first is not None:
            assert first.created  # nothing existed before: the first call made it
            assert again.record_id == first.record_id
        assert run(port.find_by_external_id(lost.external_id)) == again.record_id
        for action in rest:
            run(port.write(action))
        query = rc.LedgerQuery(payment_refs=frozenset({"ch_1"}), sources=frozenset({event.key}))
        loaded = run(port.load(query))
        made = [r for r in loaded.created_records() if r.external_id == lost.external_id]
        assert [r.internal_id for r in made] == [again.record_id]
        # IDM-2: with the plan applied once, deciding again plans nothing new.
        outcome = rc.decide_stripe_refund(event, loaded, SETTINGS)
        assert not isinstance(outcome, rc.Plan)
        assert outcome.code is rc.Reason.ALREADY_SYNCED

    def test_customer_refund_applied_to_a_memo_made_earlier_in_the_plan_resolves(self) -> None:
        """A customer refund naming a credit memo by external ID is applied to that memo."""
        port = self.make_ledger(contract_snapshot())
        plan = _plan(
            rc.decide_stripe_refund(stripe_refund("re_1", "40.00"), contract_snapshot(), SETTINGS)
        )
        receipts = {a.external_id: run(port.write(a)) for a in _ledger_actions(plan)}
        memo = next(a for a in plan.actions if isinstance(a, rc.CreateCreditMemo))
        refund = next(a for a in plan.actions if isinstance(a, rc.CreateCustomerRefund))
        loaded = run(port.load(rc.LedgerQuery(payment_refs=frozenset({"ch_1"}))))
        (customer_refund,) = (
            cr for cr in loaded.customer_refunds if cr.external_id == refund.external_id
        )
        assert [app.record_id for app in customer_refund.applications] == [
            receipts[memo.external_id].record_id
        ]

    def test_status_writes_are_idempotent_too(self) -> None:
        """Marking a payment failed twice changes it once and returns its ID both times."""
        port = self.make_ledger(contract_snapshot())
        failure = payment_failure("fail_3", charge="ch_3")
        plan = _plan(rc.decide_payment_failure(failure, contract_snapshot(), SETTINGS))
        first = [run(port.write(action)) for action in _ledger_actions(plan)]
        mark = next(a for a in plan.actions if isinstance(a, rc.MarkPaymentFailed))
        assert first[0].record_id == mark.payment_id
        assert run(port.find_by_external_id(mark.external_id)) == mark.payment_id
        again = [run(port.write(action)) for action in _ledger_actions(plan)]
        assert [r.record_id for r in again] == [r.record_id for r in first]
        assert not any(r.created for r in again)
        loaded = run(port.load(rc.LedgerQuery(payment_refs=frozenset({"ch_3"}))))
        (pay,) = (p for p in loaded.payments if p.internal_id == "PAY-3")
        assert pay.status is rc.PaymentStatus.FAILED

    def test_load_holds_what_a_stripe_decision_needs(self) -> None:
        """Deciding on ``load(query)`` gives the same outcome as on the whole ledger."""
        port = self.make_ledger(contract_snapshot())
        event = stripe_refund("re_2", "30.00", charge="ch_2")
        query = rc.LedgerQuery(payment_refs=frozenset({"ch_2"}), sources=frozenset({event.key}))
        loaded = run(port.load(query))
        assert rc.decide_stripe_refund(event, loaded, SETTINGS) == rc.decide_stripe_refund(
            event, contract_snapshot(), SETTINGS
        )

    def test_load_after_a_partial_plan_gives_the_same_remaining_plan(self) -> None:
        """After half a plan was written, deciding on ``load`` matches the whole ledger."""
        port = self.make_ledger(contract_snapshot())
        event = stripe_refund("re_1", "40.00")
        plan = _plan(rc.decide_stripe_refund(event, contract_snapshot(), SETTINGS))
        run(port.write(_ledger_actions(plan)[0]))
        query = rc.LedgerQuery(payment_refs=frozenset({"ch_1"}), sources=frozenset({event.key}))
        loaded = run(port.load(query))
        whole = rc.apply_action(contract_snapshot(), _ledger_actions(plan)[0])
        assert rc.decide_stripe_refund(event, loaded, SETTINGS) == rc.decide_stripe_refund(
            event, whole, SETTINGS
        )

    def test_load_holds_what_an_outgoing_decision_needs(self) -> None:
        """Deciding an outgoing refund on ``load`` by record ID matches the whole ledger."""
        port = self.make_ledger(contract_snapshot())
        loaded = run(port.load(rc.LedgerQuery(record_ids=frozenset({"CM-1"}))))
        assert rc.decide_outgoing_refund(
            "CM-1", loaded, SETTINGS, SHOP
        ) == rc.decide_outgoing_refund("CM-1", contract_snapshot(), SETTINGS, SHOP)

    def test_load_by_order_ref_returns_the_order_and_its_billing(self) -> None:
        """An order asked for comes with its invoices, their payments and their credit memos."""
        loaded = run(
            self.make_ledger(contract_snapshot()).load(
                rc.LedgerQuery(order_refs=frozenset({"1001"}))
            )
        )
        assert {so.internal_id for so in loaded.sales_orders} >= {"SO-1"}
        assert {inv.internal_id for inv in loaded.invoices} >= {"INV-1"}
        assert {p.internal_id for p in loaded.payments} >= {"PAY-1"}
        assert {cm.internal_id for cm in loaded.credit_memos} >= {"CM-1"}

    def test_unsynced_refunds_are_listed_once_and_leave_when_marked(self) -> None:
        """Hand-made refund records are paged once each; a synced one is no longer listed."""
        port = self.make_ledger(contract_snapshot())

        def listing() -> list[str]:
            ids: list[str] = []
            token: str | None = None
            while True:
                page = run(
                    port.list_unsynced_refunds(since=at("2026-01-01"), page_token=token, limit=1)
                )
                assert len(page.items) <= 1
                ids.extend(page.items)
                if page.next_token is None:
                    return ids
                token = page.next_token

        assert sorted(listing()) == ["CM-1", "CM-9"]
        mark = _mark_synced("CM-1", "sr_1")
        receipt = run(port.write(mark))
        assert receipt.record_id == "CM-1"
        assert not run(port.write(mark)).created
        assert listing() == ["CM-9"]

    def test_unsynced_refunds_of_one_storefront_leave_out_other_storefronts(self) -> None:
        """Asked for one storefront, the listing leaves out refunds of another's orders (NSC-7)."""
        base = contract_snapshot()
        storefronts = {"SO-1": "mine", "SO-2": "elsewhere"}
        snapshot = attrs.evolve(
            base,
            sales_orders=tuple(
                attrs.evolve(so, storefront=storefronts.get(so.internal_id))
                for so in base.sales_orders
            ),
        )
        port = self.make_ledger(snapshot)

        def listing(storefront: str | None) -> list[str]:
            page = run(
                port.list_unsynced_refunds(
                    since=at("2026-01-01"), page_token=None, limit=10, storefront=storefront
                )
            )
            return sorted(page.items)

        assert listing("mine") == ["CM-1"]
        assert listing("elsewhere") == ["CM-9"]
        assert listing(None) == ["CM-1", "CM-9"]

    def test_records_created_by_a_sync_are_not_unsynced_refunds(self) -> None:
        """A credit memo a sync created (it has a source) never goes back out."""
        port = self.make_ledger(contract_snapshot())
        plan = _plan(
            rc.decide_stripe_refund(stripe_refund("re_1", "40.00"), contract_snapshot(), SETTINGS)
        )
        for action in _ledger_actions(plan):
            run(port.write(action))
        page = run(port.list_unsynced_refunds(since=at("2026-01-01"), page_token=None, limit=10))
        assert sorted(page.items) == ["CM-1", "CM-9"]
