"""StripeRefundSource against the Stripe stand-in: paging, money, failures, status changes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs
import httpx
import pytest

import refund_core as rc
from refund_adapters.stripe import StripeClient, StripeRefundSource
from refund_adapters.stripe._standin import DEFAULT_API_KEY, StripeStandIn
from tests.builders import M, at, ledger, payment, payment_failure, stripe_refund
from tests.contracts._run import run
from tests.stripe.factories import client_for, no_sleep
from tests.stripe_contract import assert_all_exchanges_valid


def all_events(
    source: StripeRefundSource, since: datetime, limit: int
) -> list[Sequence[rc.SourceEvent]]:
    """Every page from ``since``, following the tokens."""
    pages: list[Sequence[rc.SourceEvent]] = []
    token: str | None = None
    while True:
        page = run(source.list_events(since=since, page_token=token, limit=limit))
        pages.append(page.items)
        if page.next_token is None:
            return pages
        token = page.next_token


def event_time(event: rc.SourceEvent) -> datetime:
    """When the event happened at Stripe."""
    return event.created_at if isinstance(event, rc.RefundEvent) else event.failed_at


def many_refunds(count: int) -> list[rc.RefundEvent]:
    """``count`` refunds, three per second, so many share a timestamp across page boundaries."""
    start = at("2026-04-01T08:00")
    return [
        rc.RefundEvent(
            source="stripe",
            refund_id=f"re_{n:04d}",
            amount=M("1.00 USD"),
            created_at=start + timedelta(seconds=n // 3),
            status=rc.RefundStatus.SUCCEEDED,
            payment_ref=f"ch_{n:04d}",
        )
        for n in range(count)
    ]


@pytest.mark.parametrize(("count", "limit"), [(40, 1), (250, 7), (250, 100), (250, 150)])
def test_paging_many_refunds_oldest_first_nothing_lost(count: int, limit: int) -> None:
    """Many refunds (ties at every second) page oldest first, each once, full pages but the last."""
    refunds = many_refunds(count)
    source = StripeRefundSource(client_for(StripeStandIn.from_events(refunds)))
    pages = all_events(source, at("2026-04-01"), limit)
    listed = [event for page in pages for event in page]
    assert [e.key.event_id for e in listed] == [r.refund_id for r in refunds]
    assert all(len(page) == limit for page in pages[:-1])
    assert len({e.key for e in listed}) == count


def test_an_event_exactly_at_since_is_listed_and_one_before_is_not() -> None:
    """``since`` is inclusive to the second."""
    refunds = many_refunds(6)  # seconds 0,0,0,1,1,1
    source = StripeRefundSource(client_for(StripeStandIn.from_events(refunds)))
    since = at("2026-04-01T08:00") + timedelta(seconds=1)
    listed = [e.key.event_id for page in all_events(source, since, 2) for e in page]
    assert listed == ["re_0003", "re_0004", "re_0005"]


def test_later_pages_walk_up_with_ending_before() -> None:
    """After the first page, each page asks for what is newer than the last ID delivered."""
    refunds = many_refunds(30)
    standin = StripeStandIn.from_events(refunds)
    source = StripeRefundSource(client_for(standin), include_events=False, include_disputes=False)
    first = run(source.list_events(since=at("2026-04-01"), page_token=None, limit=10))
    before = len(standin.requests)
    second = run(source.list_events(since=at("2026-04-01"), page_token=first.next_token, limit=10))
    asked = standin.requests[before:]
    assert [r.url.params.get("ending_before") for r in asked] == [first.items[-1].key.event_id]
    assert second.items[0].key.event_id == "re_0010"


def test_new_refunds_during_paging_are_not_lost() -> None:
    """A refund created between two pages is listed on a later page of the same walk."""
    refunds = many_refunds(4)
    standin = StripeStandIn.from_events(refunds)
    source = StripeRefundSource(client_for(standin))
    first = run(source.list_events(since=at("2026-04-01"), page_token=None, limit=2))
    charge = standin.add_charge(M("5.00 USD"), charge_id="ch_late", created=at("2026-04-02"))
    standin.add_refund(charge["id"], M("5.00 USD"), refund_id="re_late", created=at("2026-04-02"))
    token = first.next_token
    listed = [e.key.event_id for e in first.items]
    while token is not None:
        page = run(source.list_events(since=at("2026-04-01"), page_token=token, limit=2))
        listed += [e.key.event_id for e in page.items]
        token = page.next_token
    assert listed == ["re_0000", "re_0001", "re_0002", "re_0003", "re_late"]


def test_listing_carries_charge_and_its_date() -> None:
    """The expanded charge gives payment_ref and charge_created_at (STC-11)."""
    refund = stripe_refund(
        "re_a", "12.50", charge="ch_a", created="2026-05-02", charge_created="2026-01-15"
    )
    source = StripeRefundSource(client_for(StripeStandIn.from_events([refund])))
    (page,) = all_events(source, at("2026-05-01"), 10)
    assert list(page) == [refund]


@pytest.mark.parametrize(
    ("amount", "minor"),
    [
        ("500 JPY", 500),
        ("1.234 KWD", 1234),
        ("0.005 BHD", 5),
        ("12.50 EUR", 1250),
        ("1500 ISK", 150000),  # two-decimal in Stripe's API, none in ISO
        ("5 UGX", 500),  # likewise
        ("1500 MGA", 1500),  # zero-decimal in Stripe, two decimals in ISO
    ],
)
def test_zero_and_three_decimal_currencies_are_exact(amount: str, minor: int) -> None:
    """The stand-in writes and the adapter reads Stripe's own minor unit, both ways (MNY-1)."""
    money = M(amount)
    refund = rc.RefundEvent(
        source="stripe",
        refund_id="re_cur",
        amount=money,
        created_at=at("2026-05-02"),
        status=rc.RefundStatus.SUCCEEDED,
        payment_ref="ch_cur",
    )
    standin = StripeStandIn.from_events([refund])
    assert standin.refunds["re_cur"]["amount"] == minor
    source = StripeRefundSource(client_for(standin))
    (page,) = all_events(source, at("2026-05-01"), 10)
    assert page[0].amount == money


def test_failed_ach_payment_becomes_a_payment_failure() -> None:
    """A pending us_bank_account charge that fails is a PaymentFailure with code and message."""
    standin = StripeStandIn()
    standin.add_charge(
        M("80.00 USD"),
        charge_id="ch_ach",
        created=at("2026-05-01"),
        payment_method_type="us_bank_account",
        status="pending",
    )
    standin.fail_ach_charge(
        "ch_ach", "insufficient_funds", "Not enough money.", at=at("2026-05-05"), event_id="evt_f"
    )
    reversal = standin.charges["ch_ach"]["failure_balance_transaction"]
    source = StripeRefundSource(client_for(standin))
    (page,) = all_events(source, at("2026-05-04"), 10)
    assert list(page) == [
        rc.PaymentFailure(
            source="stripe",
            failure_id=reversal,
            payment_ref="ch_ach",
            amount=M("80.00 USD"),
            failed_at=at("2026-05-05"),
            failure_code="insufficient_funds",
            failure_message="Not enough money.",
        )
    ]


def test_a_card_decline_is_not_a_payment_failure() -> None:
    """charge.failed of a card that never reached the balance is skipped (nothing was applied)."""
    standin = StripeStandIn()
    charge = standin.add_charge(
        M("9.00 USD"), charge_id="ch_card", created=at("2026-05-01"), status="failed"
    )
    standin.add_event("charge.failed", charge, created=at("2026-05-01"))
    source = StripeRefundSource(client_for(standin))
    assert all_events(source, at("2026-04-30"), 10) == [()]


def test_payment_failure_decides_the_stc10_reversal() -> None:
    """The listed failure, decided by the core, reverses its charge's payment (STC-10)."""
    failure = payment_failure("txn_fail_1", "100.00", charge="ch_1", failed="2026-03-05")
    source = StripeRefundSource(client_for(StripeStandIn.from_events([failure])))
    (page,) = all_events(source, at("2026-03-01"), 10)
    (listed,) = page
    assert isinstance(listed, rc.PaymentFailure)
    snapshot = ledger(payments=[payment("PAY-1", "100.00", ref="ch_1")])
    outcome = rc.decide_payment_failure(listed, snapshot, rc.RefundSettings())
    assert isinstance(outcome, rc.Plan)
    assert "STC-10" in outcome.rule_ids


def test_a_refund_that_fails_after_success_is_delivered_again_as_failed() -> None:
    """refund.failed re-delivers the same refund ID with status FAILED, at the failure's time."""
    refund = stripe_refund("re_f", "40.00", charge="ch_f", created="2026-05-01")
    standin = StripeStandIn.from_events([refund])
    source = StripeRefundSource(client_for(standin))
    (first,) = all_events(source, at("2026-04-30"), 10)
    assert [e.status for e in first if isinstance(e, rc.RefundEvent)] == [rc.RefundStatus.SUCCEEDED]
    standin.fail_refund("re_f", "expired_or_canceled_card", at=at("2026-05-09"))
    (again,) = all_events(source, at("2026-05-08"), 10)
    (failed,) = again
    assert isinstance(failed, rc.RefundEvent)
    assert failed.key == refund.key
    assert failed.status is rc.RefundStatus.FAILED
    assert failed.amount == refund.amount
    assert failed.created_at == refund.created_at


def test_the_core_flags_a_failed_refund_that_was_synced() -> None:
    """The re-delivered failure, decided against a ledger holding its records, plans a reversal."""
    refund = stripe_refund("re_g", "40.00", charge="ch_g", created="2026-05-01")
    standin = StripeStandIn.from_events([refund])
    source = StripeRefundSource(client_for(standin))
    snapshot = ledger(payments=[payment("PAY-G", "40.00", ref="ch_g")])
    plan = rc.decide_stripe_refund(refund, snapshot, rc.RefundSettings())
    assert isinstance(plan, rc.Plan)
    synced = rc.apply_plan(snapshot, plan)
    standin.fail_refund("re_g", "lost_or_stolen_card", at=at("2026-05-03"))
    (page,) = all_events(source, at("2026-05-02"), 10)
    (failed,) = page
    assert isinstance(failed, rc.RefundEvent)
    assert failed.failure_reason == "lost_or_stolen_card"
    outcome = rc.decide_stripe_refund(failed, synced, rc.RefundSettings())
    assert isinstance(outcome, rc.Plan)
    assert outcome.summary == "reverse failed Stripe refund re_g"
    assert all("lost_or_stolen_card" in getattr(a, "memo", "") for a in outcome.actions)


def _pending_refund(standin: StripeStandIn, status: str = "pending") -> rc.RefundEvent:
    """A 25.00 refund of a January charge, created 2026-05-02 in ``status``; its success."""
    standin.add_charge(M("25.00 USD"), charge_id="ch_p", created=at("2026-01-10"))
    standin.add_refund(
        "ch_p", M("25.00 USD"), refund_id="re_p", created=at("2026-05-02"), status=status
    )
    return stripe_refund(
        "re_p", "25.00", charge="ch_p", created="2026-05-02", charge_created="2026-01-10"
    )


def test_a_pending_refund_that_succeeds_later_is_delivered_again_as_succeeded() -> None:
    """Listed pending, then refund.updated to succeeded: the source delivers the succeeded one."""
    standin = StripeStandIn()
    succeeded = _pending_refund(standin)
    source = StripeRefundSource(client_for(standin))
    (first,) = all_events(source, at("2026-05-01"), 10)
    assert list(first) == [attrs.evolve(succeeded, status=rc.RefundStatus.PENDING)]
    standin.change_refund_status("re_p", "succeeded", at=at("2026-05-06"))
    (later,) = all_events(source, at("2026-05-05"), 10)
    assert list(later) == [succeeded]  # with the charge's date, as the list gives it (STC-11)


def test_a_walk_over_the_whole_history_delivers_only_current_versions() -> None:
    """A refund in the window and its status change both give the refund as it is now."""
    standin = StripeStandIn()
    succeeded = _pending_refund(standin)
    standin.change_refund_status("re_p", "succeeded", at=at("2026-05-06"))
    source = StripeRefundSource(client_for(standin))
    (page,) = all_events(source, at("2026-05-01"), 10)
    assert list(page) == [succeeded, succeeded]  # same content: the journal counts it once
    assert run(source.refund("re_p")) == succeeded


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("pending", "canceled", rc.RefundStatus.CANCELED),
        ("requires_action", "succeeded", rc.RefundStatus.SUCCEEDED),
        ("requires_action", "canceled", rc.RefundStatus.CANCELED),
    ],
)
def test_every_status_change_of_a_refund_is_delivered(
    start: str, end: str, expected: rc.RefundStatus
) -> None:
    """Pending or requires_action moving to succeeded or canceled delivers the new status."""
    standin = StripeStandIn()
    _pending_refund(standin, start)
    standin.change_refund_status("re_p", end, at=at("2026-05-06"))
    (page,) = all_events(StripeRefundSource(client_for(standin)), at("2026-05-05"), 10)
    assert [(e.key.event_id, e.status) for e in page if isinstance(e, rc.RefundEvent)] == [
        ("re_p", expected)
    ]


def test_updates_that_change_nothing_of_ours_are_not_delivered() -> None:
    """Metadata edits and requires_action -> pending (pending to us both) deliver nothing."""
    standin = StripeStandIn()
    _pending_refund(standin, "requires_action")
    refund = standin.refunds["re_p"]
    standin.add_event(
        "refund.updated",
        refund,
        created=at("2026-05-06"),
        previous_attributes={"metadata": {}},
    )
    standin.change_refund_status("re_p", "pending", at=at("2026-05-07"))
    before = len(standin.requests)
    assert all_events(StripeRefundSource(client_for(standin)), at("2026-05-05"), 10) == [()]
    asked = [r.url.path for r in standin.requests[before:]]
    assert "/v1/refunds/re_p" not in asked  # nothing was read again either


def test_a_failure_is_delivered_once_not_for_each_of_its_events() -> None:
    """refund.failed and its refund.updated give one FAILED version, not two."""
    standin = StripeStandIn()
    _pending_refund(standin, "succeeded")
    standin.fail_refund("re_p", "declined", at=at("2026-05-06"))
    when = int(at("2026-05-06").timestamp())
    types = sorted(e["type"] for e in standin.events.values() if e["created"] == when)
    assert types == ["refund.failed", "refund.updated"]
    (page,) = all_events(StripeRefundSource(client_for(standin)), at("2026-05-05"), 10)
    assert [(e.key.event_id, e.status) for e in page if isinstance(e, rc.RefundEvent)] == [
        ("re_p", rc.RefundStatus.FAILED)
    ]


def test_requires_action_and_canceled_refunds_are_not_successes() -> None:
    """requires_action lists as pending; a cancellation arrives as canceled."""
    standin = StripeStandIn()
    charge = standin.add_charge(M("30.00 USD"), charge_id="ch_r", created=at("2026-05-01"))
    standin.add_refund(
        charge["id"],
        M("30.00 USD"),
        refund_id="re_r",
        created=at("2026-05-02"),
        status="requires_action",
    )
    source = StripeRefundSource(client_for(standin))
    (page,) = all_events(source, at("2026-05-01"), 10)
    assert [e.status for e in page if isinstance(e, rc.RefundEvent)] == [rc.RefundStatus.PENDING]


def test_a_foreign_or_stale_page_token_is_refused() -> None:
    """A token that is not ours, or was issued for another ``since``, is a clear input error."""
    source = StripeRefundSource(client_for(StripeStandIn.from_events(many_refunds(5))))
    first = run(source.list_events(since=at("2026-04-01"), page_token=None, limit=2))
    assert first.next_token is not None
    with pytest.raises(rc.InvalidInputError, match="another 'since'"):
        run(source.list_events(since=at("2026-03-01"), page_token=first.next_token, limit=2))
    with pytest.raises(rc.InvalidInputError, match="not a page token"):
        run(source.list_events(since=at("2026-04-01"), page_token="12", limit=2))


def test_a_malformed_refund_is_set_aside_naming_the_object_and_field() -> None:
    """A refund with a non-integer amount is set aside (raw JSON, path); the page still comes."""
    standin = StripeStandIn.from_events(
        [
            stripe_refund("re_bad", "5.00", charge="ch_bad", created="2026-05-02"),
            stripe_refund("re_good", "7.00", charge="ch_good", created="2026-05-03"),
        ]
    )
    standin.refunds["re_bad"]["amount"] = "5.00"
    source = StripeRefundSource(client_for(standin))
    page = run(source.list_events(since=at("2026-05-01"), page_token=None, limit=10))
    assert [event.key.event_id for event in page.items] == ["re_good"]
    (aside,) = page.set_aside
    assert aside.key == rc.SourceKey("stripe", "re_bad")
    assert "GET /v1/refunds" in aside.error
    assert "$.amount" in aside.error
    assert aside.at == at("2026-05-02")
    assert json.loads(aside.raw)["amount"] == "5.00"


def test_end_to_end_over_a_loopback_server() -> None:
    """The same listing works over real HTTP against the stand-in's server, through a 429."""
    refunds = many_refunds(12)
    failure = payment_failure("txn_fail_9", "20.00", charge="ch_9", failed="2026-04-01T08:00:02")
    standin = StripeStandIn.from_events([*refunds, failure])
    standin.fail_lock_timeout_next()

    async def walk(base_url: str) -> list[str]:
        async with httpx.AsyncClient() as http:
            client = StripeClient(http, DEFAULT_API_KEY, base_url=base_url, sleep=no_sleep)
            source = StripeRefundSource(client)
            token: str | None = None
            listed: list[str] = []
            while True:
                page = await source.list_events(since=at("2026-04-01"), page_token=token, limit=5)
                listed += [e.key.event_id for e in page.items]
                if page.next_token is None:
                    return listed
                token = page.next_token

    with standin.serve() as server:
        listed = asyncio.run(walk(server.base_url))
    expected = sorted(
        [*refunds, failure], key=lambda e: (event_time(e), isinstance(e, rc.PaymentFailure))
    )
    assert listed == [e.key.event_id for e in expected]


def test_every_exchange_matches_stripes_spec() -> None:
    """Each request the source sends, and each answer it reads, fits Stripe's OpenAPI spec."""
    refunds = many_refunds(12)
    failure = payment_failure("txn_fail_3", "20.00", charge="ch_3", failed="2026-04-01T08:00:01")
    standin = StripeStandIn.from_events([*refunds, failure])
    source = StripeRefundSource(client_for(standin))
    assert len([e for page in all_events(source, at("2026-04-01"), 5) for e in page]) == 13
    run(source.refund("re_0001"))
    assert assert_all_exchanges_valid(standin) == len(standin.exchanges)
