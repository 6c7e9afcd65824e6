"""Behaviour of the in-memory fakes beyond the port contracts: faults, counters, records."""

from __future__ import annotations

import pytest

import refund_core as rc
from refund_core.testing import (
    FakeLedger,
    FakeRefundSource,
    FakeStorefront,
    LedgerWriteFailed,
    MemoryJournal,
)
from tests.builders import M, at, invoice, ledger, order, payment, stripe_refund
from tests.contracts._run import run

SETTINGS = rc.RefundSettings(partial_refund_item="PARTIAL")


def _snapshot() -> rc.LedgerSnapshot:
    return ledger(
        sales_orders=[order()],
        invoices=[invoice()],
        payments=[payment(applied={"INV-1": "100.00"})],
    )


def _actions() -> list[rc.LedgerAction]:
    outcome = rc.decide_stripe_refund(stripe_refund("re_1", "40.00"), _snapshot(), SETTINGS)
    assert isinstance(outcome, rc.Plan)
    return [
        a for a in outcome.actions if isinstance(a, rc.CreateCreditMemo | rc.CreateCustomerRefund)
    ]


def _credit(storefront: str) -> rc.IssueStoreCredit:
    return rc.IssueStoreCredit(
        external_id="rs-sc-1",
        source=rc.SourceKey("netsuite", "CM-1"),
        rule_ids=("NSC-8",),
        reason="gift card",
        storefront=storefront,
        order_ref="1001",
        customer_id="C-1",
        amount=M("5.00 USD"),
    )


def test_fail_after_writes_raises_before_applying() -> None:
    """With ``fail_after_writes=1`` the second write raises and the ledger keeps only the first."""
    fake = FakeLedger(_snapshot(), fail_after_writes=1)
    memo, refund = _actions()
    assert run(fake.write(memo)).created
    before = fake.snapshot
    with pytest.raises(LedgerWriteFailed):
        run(fake.write(refund))
    assert fake.snapshot == before
    assert run(fake.find_by_external_id(refund.external_id)) is None
    fake.fail_after_writes = None
    assert run(fake.write(refund)).created


def test_injected_failure_is_a_connection_error_and_a_library_error() -> None:
    """The injected fault is caught as a ConnectionError (retryable) and a RefundSyncError."""
    assert issubclass(LedgerWriteFailed, ConnectionError)
    assert issubclass(LedgerWriteFailed, rc.RefundSyncError)


def test_lost_response_applies_then_raises_and_a_retry_creates_nothing() -> None:
    """A lost response still applied the write; retrying returns ``created=False``."""
    fake = FakeLedger(_snapshot())
    fake.lose_response_after_writes = 0
    memo, _ = _actions()
    with pytest.raises(LedgerWriteFailed):
        run(fake.write(memo))
    found = run(fake.find_by_external_id(memo.external_id))
    assert found == f"ns-{memo.external_id}"
    fake.lose_response_after_writes = None
    retry = run(fake.write(memo))
    assert retry == rc.WriteReceipt(memo.external_id, found, created=False)
    assert len(fake.snapshot.credit_memos) == 1


def test_ledger_counts_reads_and_writes() -> None:
    """Every write call counts, repeats included; loads and lookups count as reads."""
    fake = FakeLedger(_snapshot())
    memo, _ = _actions()
    run(fake.write(memo))
    run(fake.write(memo))
    run(fake.load(rc.LedgerQuery(payment_refs=frozenset({"ch_1"}))))
    run(fake.find_by_external_id(memo.external_id))
    assert (fake.writes, fake.reads) == (2, 2)


def test_empty_query_loads_an_empty_snapshot() -> None:
    """A query asking for nothing gets nothing."""
    assert run(FakeLedger(_snapshot()).load(rc.LedgerQuery())) == rc.LedgerSnapshot()


def test_refund_source_delivers_duplicates_and_counts_calls() -> None:
    """The same event added twice is listed twice; each listing counts as a call."""
    event = stripe_refund("re_1", "10.00", created="2026-03-01")
    source = FakeRefundSource("stripe", [event])
    source.add(event)
    page = run(source.list_events(since=at("2026-01-01"), page_token=None, limit=10))
    assert page.items == (event, event)
    assert source.calls == 1


def test_bad_page_token_and_limit_are_refused() -> None:
    """A token the source never gave, or a limit below one, is bad input."""
    source = FakeRefundSource("stripe")
    with pytest.raises(rc.InvalidInputError):
        run(source.list_events(since=at("2026-01-01"), page_token="abc", limit=1))
    with pytest.raises(rc.InvalidInputError):
        run(source.list_events(since=at("2026-01-01"), page_token=None, limit=0))


def test_storefront_keeps_each_issued_action_once() -> None:
    """``refunds`` and ``store_credits`` list what took effect, repeats left out."""
    shop = rc.StorefrontCapabilities("shopify", rc.StorefrontKind.CART, supports_store_credit=True)
    fake = FakeStorefront(shop)
    credit = _credit("shopify")
    run(fake.issue_store_credit(credit))
    run(fake.issue_store_credit(credit))
    assert fake.store_credits == (credit,)
    assert fake.refunds == ()


def test_storefront_without_store_credit_refuses_it() -> None:
    """A storefront that cannot issue store credit refuses the action."""
    fake = FakeStorefront(rc.StorefrontCapabilities("amazon", rc.StorefrontKind.MARKETPLACE))
    credit = _credit("amazon")
    with pytest.raises(rc.InvalidInputError):
        run(fake.issue_store_credit(credit))


def test_memory_journal_conforms_to_the_port() -> None:
    """MemoryJournal is a Journal."""
    assert isinstance(MemoryJournal(), rc.Journal)


def test_memory_journal_is_held_by_one_owner() -> None:
    """A second owner is refused until the first releases; the holder may acquire again."""
    journal = MemoryJournal()
    journal.acquire("run-1")
    journal.acquire("run-1")
    with pytest.raises(rc.JournalBusyError):
        journal.acquire("run-2")
    journal.release("run-1")
    journal.acquire("run-2")


def test_memory_journal_cursor_never_moves_back() -> None:
    """An earlier cursor position is ignored."""
    journal = MemoryJournal()
    journal.set_cursor("s", at("2026-03-02"))
    journal.set_cursor("s", at("2026-03-01"))
    assert journal.get_cursor("s") == at("2026-03-02")
    assert journal.get_cursor("other") is None


def test_memory_journal_tracks_actions_and_dead_letters() -> None:
    """Begun actions are pending until completed; dead letters count attempts, oldest first."""
    journal = MemoryJournal()
    a, b = rc.SourceKey("stripe", "re_a"), rc.SourceKey("stripe", "re_b")
    journal.begin_action(a, "x-1")
    assert journal.pending_actions(a) == {"x-1"}
    journal.complete_action(a, "x-1", "ns-x-1")
    assert journal.pending_actions(a) == frozenset()
    assert journal.completed_actions(a) == {"x-1"}
    journal.mark_event(a, rc.EventState.DONE, code="planned")
    assert journal.event_state(a) is rc.EventState.DONE
    assert journal.event_state(b) is None
    journal.add_dead_letter(a, code="c", message="m", payload="{}")
    journal.add_dead_letter(b, code="c", message="m", payload="{}")
    journal.add_dead_letter(a, code="c2", message="m2", payload="{}")
    assert [(d.key, d.attempts) for d in journal.dead_letters()] == [(a, 2), (b, 1)]
    journal.resolve_dead_letter(a)
    assert [d.key for d in journal.dead_letters()] == [b]


def test_refund_source_lists_oldest_first_unless_told_otherwise() -> None:
    """By default events are listed oldest first; ``ordered=False`` keeps the given order."""
    old = stripe_refund("re_old", "10.00", created="2026-03-01")
    new = stripe_refund("re_new", "10.00", created="2026-03-05")
    since = at("2026-01-01")
    ordered = run(
        FakeRefundSource("stripe", [new, old]).list_events(since=since, page_token=None, limit=10)
    )
    assert ordered.items == (old, new)
    given = FakeRefundSource("stripe", [new, old], ordered=False)
    assert run(given.list_events(since=since, page_token=None, limit=10)).items == (new, old)
    late = run(given.list_events(since=at("2026-03-02"), page_token=None, limit=10))
    assert late.items == (new,)


def test_memory_journal_finds_one_dead_letter_by_key() -> None:
    """``dead_letter`` returns the unresolved letter of a key, or None."""
    journal = MemoryJournal()
    key = rc.SourceKey("stripe", "re_1")
    assert journal.dead_letter(key) is None
    journal.add_dead_letter(key, code="c", message="m", payload="{}")
    assert journal.dead_letter(key) == rc.DeadLetter(key, "c", "m", "{}", 1)
    journal.resolve_dead_letter(key)
    assert journal.dead_letter(key) is None
