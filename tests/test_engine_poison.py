"""Poison events never block an account: set aside with their raw payload, the rest goes on."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import datetime
from pathlib import Path

import pytest

import refund_core as rc
from refund_adapters.cli import main
from refund_adapters.engine import (
    EngineConfig,
    ListingLoopError,
    StopRequest,
    SyncEngine,
    SyncStopped,
)
from refund_adapters.storage import SqliteJournal
from refund_core.testing import FakeLedger, FakeRefundSource, MemoryJournal
from tests.builders import at, invoice, ledger, order, payment, stripe_refund

STRIPE = rc.StorefrontCapabilities("stripe", rc.StorefrontKind.MARKETPLACE)
SETTINGS = rc.RefundSettings(partial_refund_item="PARTIAL")
ACCOUNT = rc.ConnectorAccount("acct-1", STRIPE, [rc.Direction.INCOMING], SETTINGS)
START = at("2026-01-01")
#: What truncated UTF-16 text gives: a lone high surrogate.
SURROGATE_ID = "re_\ud800"


def _ledger() -> FakeLedger:
    return FakeLedger(
        ledger(
            sales_orders=[order("SO-1", "1001"), order("SO-2", "1002")],
            invoices=[invoice("INV-1", order_id="SO-1"), invoice("INV-2", order_id="SO-2")],
            payments=[
                payment("PAY-1", "100.00", ref="ch_1", applied={"INV-1": "100.00"}),
                payment("PAY-2", "100.00", ref="ch_2", applied={"INV-2": "100.00"}),
            ],
        )
    )


def _engine(
    source: rc.RefundSource, journal: rc.Journal, books: FakeLedger, **kwargs: object
) -> SyncEngine:
    return SyncEngine(
        account=ACCOUNT,
        policy=rc.Policy.STRIPE_CONNECTOR,
        ledger=books,
        journal=journal,
        source=source,
        config=EngineConfig(page_size=10),
        **kwargs,  # type: ignore[arg-type]
    )


def test_external_ids_of_lone_surrogates_are_deterministic_and_distinct() -> None:
    """An ID holding a lone surrogate gets a stable external ID, distinct from its neighbours."""
    first = rc.external_id(rc.SourceKey("stripe", SURROGATE_ID), rc.Role.CREDIT_MEMO, "INV-1")
    again = rc.external_id(rc.SourceKey("stripe", SURROGATE_ID), rc.Role.CREDIT_MEMO, "INV-1")
    other = rc.external_id(rc.SourceKey("stripe", "re_\udc00"), rc.Role.CREDIT_MEMO, "INV-1")
    assert first == again != other


def test_the_journal_stores_any_unicode_exactly(tmp_path: Path) -> None:
    """Keys, codes and messages with lone surrogates are stored and read back as they were."""
    key = rc.SourceKey("stripe", SURROGATE_ID)
    neighbour = rc.SourceKey("stripe", "re_\udc00")
    with SqliteJournal(tmp_path / "j.sqlite3") as journal:
        journal.mark_event(key, rc.EventState.DEAD, code="over_refund")
        journal.mark_event(neighbour, rc.EventState.DONE)
        journal.begin_action(key, "rs-cm-1")
        journal.add_dead_letter(key, code="over_refund", message=f"{key} \udfff", payload="{}")
    with SqliteJournal(tmp_path / "j.sqlite3", read_only=True) as journal:
        assert journal.event_state(key) is rc.EventState.DEAD
        assert journal.event_state(neighbour) is rc.EventState.DONE
        assert journal.pending_actions(key) == {"rs-cm-1"}
        (letter,) = journal.dead_letters()
        assert letter.key == key
        assert letter.message == f"{key} \udfff"


def test_a_refund_id_with_a_lone_surrogate_never_blocks_its_account(tmp_path: Path) -> None:
    r"""The \ud800 refund syncs, and so does the account's other refund, on a SQLite journal."""
    poison = stripe_refund(SURROGATE_ID, "40.00", charge="ch_1", created="2026-03-01")
    other = stripe_refund("re_2", "25.00", charge="ch_2", created="2026-03-02")
    books = _ledger()
    with SqliteJournal(tmp_path / "j.sqlite3") as journal:
        summary = _engine(FakeRefundSource("stripe", [poison, other]), journal, books).run(START)
        assert journal.event_state(poison.key) is rc.EventState.DONE
        assert journal.event_state(other.key) is rc.EventState.DONE
    assert summary.planned == 2
    assert {r.source for r in books.snapshot.customer_refunds} == {poison.key, other.key}


class AsideSource(FakeRefundSource):
    """A source whose first page also hands over an item it could not read."""

    def __init__(self, events: list[rc.SourceEvent], aside: rc.UnreadableItem) -> None:
        super().__init__("stripe", events)
        self.aside: rc.UnreadableItem | None = aside

    async def list_events(
        self, *, since: datetime, page_token: str | None, limit: int
    ) -> rc.Page[rc.SourceEvent]:
        """The fake's page, with the unreadable item beside it."""
        page = await super().list_events(since=since, page_token=page_token, limit=limit)
        aside = () if self.aside is None or page_token is not None else (self.aside,)
        return rc.Page(page.items, page.next_token, set_aside=aside)


def test_an_unreadable_item_is_set_aside_with_its_raw_form_and_the_rest_goes_on() -> None:
    """A poison item is a dead letter (raw, error), the rest syncs, a readable copy resolves it."""
    good = stripe_refund("re_2", "25.00", charge="ch_2", created="2026-03-02")
    item = rc.UnreadableItem(
        key=rc.SourceKey("stripe", "re_1"),
        raw='{"id": "re_1", "amount": "40.00"}',
        error="stripe: malformed answer to GET /v1/refunds at $.amount: expected an integer",
        at=at("2026-03-01"),
    )
    source = AsideSource([good], item)
    journal = MemoryJournal()
    books = _ledger()
    engine = _engine(source, journal, books)
    summary = engine.run(START)
    assert summary.dead_lettered == 1
    assert summary.planned == 1
    (letter,) = journal.dead_letters()
    assert letter.key == item.key
    assert letter.code == "upstream_data"
    assert "$.amount" in letter.message
    assert json.loads(letter.payload) == {"type": "unreadable_item", "raw": item.raw}
    assert journal.get_cursor(engine.stream) == at("2026-03-02")
    # The same unreadable item again is a duplicate; retry cannot decide it, and keeps it.
    assert engine.run(START).dead_lettered == 0
    assert engine.retry().resolved == 0
    # Fixed at the source: delivered again readable (a later update), decided, letter resolved.
    source.aside = None
    source.add(stripe_refund("re_1", "40.00", charge="ch_1", created="2026-03-03"))
    assert engine.run(START).resolved == 1
    assert journal.dead_letters() == ()


def test_a_decision_that_crashes_sets_its_event_aside_and_the_account_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bug deciding one event dead-letters it with the error and where; the rest syncs."""
    poison = stripe_refund("re_1", "40.00", charge="ch_1", created="2026-03-01")
    other = stripe_refund("re_2", "25.00", charge="ch_2", created="2026-03-02")
    real = rc.decide

    def decide(event: rc.ScenarioEvent, *args: object, **kwargs: object) -> rc.Outcome:
        if event.key == poison.key:
            raise KeyError("a column nobody expected")
        return real(event, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(rc, "decide", decide)
    journal = MemoryJournal()
    summary = _engine(FakeRefundSource("stripe", [poison, other]), journal, _ledger()).run(START)
    assert summary.planned == 1
    (letter,) = journal.dead_letters()
    assert letter.key == poison.key
    assert letter.code == "decision_failed"
    assert "KeyError" in letter.message
    assert "test_engine_poison.py" in letter.message


class LoopingSource(FakeRefundSource):
    """A source that hands back the page token it was given, forever."""

    async def list_events(
        self, *, since: datetime, page_token: str | None, limit: int
    ) -> rc.Page[rc.SourceEvent]:
        """Always one more page, under the same token."""
        self.calls += 1
        return rc.Page((), "again")


def test_a_listing_that_never_ends_is_a_typed_error_not_a_hang() -> None:
    """A source repeating its page token stops the pass with ListingLoopError."""
    source = LoopingSource("stripe")
    with pytest.raises(ListingLoopError, match="returned the page token it was given"):
        _engine(source, MemoryJournal(), _ledger()).run(START)
    assert source.calls == 2


def test_a_stop_request_finishes_the_event_under_way_and_keeps_the_cursor() -> None:
    """Asked to stop, the engine finishes the event under way, takes no other, keeps the cursor."""
    stop = StopRequest()
    events = [
        stripe_refund("re_1", "40.00", charge="ch_1", created="2026-03-01"),
        stripe_refund("re_2", "25.00", charge="ch_1", created="2026-03-02"),
    ]
    books = _ledger()

    class StoppingLedger(FakeLedger):
        async def write(self, action: rc.LedgerAction) -> rc.WriteReceipt:
            stop.request("SIGTERM")  # the signal arrives while the first event writes
            return await super().write(action)

    stopping = StoppingLedger(books.snapshot)
    journal = MemoryJournal()
    engine = _engine(FakeRefundSource("stripe", events), journal, stopping, stop=stop)
    with pytest.raises(SyncStopped, match="SIGTERM"):
        engine.run(START)
    assert journal.event_state(events[0].key) is rc.EventState.DONE
    assert journal.event_state(events[1].key) is None
    assert journal.get_cursor(engine.stream) is None
    # The next run resumes and does the rest.
    resumed = _engine(FakeRefundSource("stripe", events), journal, stopping).run(START)
    assert resumed.planned == 1


def test_plan_shows_a_lone_surrogate_escaped_on_a_strict_utf8_stdout(tmp_path: Path) -> None:
    r"""refund-sync plan on a refund ID holding \ud800 prints it escaped, never crashes."""
    example = json.loads(
        (
            Path(__file__).parent.parent / "examples" / "stripe-refund-two-applications.json"
        ).read_text(encoding="utf-8")
    )
    example["events"][0]["refund_id"] = SURROGATE_ID
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(example), encoding="utf-8")  # written as the \ud800 escape
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")  # strict, like a real pipe
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdout", stdout)
        code = main(["plan", str(path)])
    stdout.flush()
    text = stdout.buffer.getvalue().decode("utf-8")  # type: ignore[attr-defined]
    assert code == 0
    assert "re_\\ud800" in text


def test_run_in_a_fresh_loop_is_not_disturbed_by_an_unreadable_item_without_time() -> None:
    """An unreadable item with no readable time is set aside and never moves the cursor."""
    item = rc.UnreadableItem(key=rc.SourceKey("stripe", "unreadable-1"), raw="[]", error="bad")
    source = AsideSource([], item)
    journal = MemoryJournal()
    engine = _engine(source, journal, _ledger())
    summary = asyncio.run(engine.run_async(START))
    assert summary.dead_lettered == 1
    assert journal.get_cursor(engine.stream) is None
