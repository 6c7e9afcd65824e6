"""Batched SuiteQL reads: what load returns, how many queries it takes, paging and chunking."""

from __future__ import annotations

import json
import logging
from decimal import Decimal

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

import refund_core as rc
from refund_adapters._decode import UpstreamDataError
from refund_adapters.netsuite import NetSuiteRejectedError, NetSuiteStandIn, TranType
from refund_adapters.netsuite._fields import ITEM_LINE_TYPES, UNMODELLED_LINE_TYPES
from refund_adapters.netsuite._read import Fetched, build_snapshot
from refund_adapters.netsuite._wire import (
    ApplyLine,
    ApplySublist,
    CustomerRefundRecord,
    HeaderRow,
    Ref,
)
from tests.builders import at, credit_memo, invoice, ledger, order, payment
from tests.contracts._run import run
from tests.netsuite.factories import (
    everything,
    normalized,
    rich_snapshot,
    rig,
    suiteql_requests,
)
from tests.strategies import stripe_ledgers


def test_stand_in_reads_back_exactly_its_seed() -> None:
    """A stand-in seeded from a snapshot gives the same snapshot back."""
    snapshot = rich_snapshot()
    assert rig(snapshot).standin.snapshot() == snapshot


def test_batched_load_of_every_record_equals_the_seed() -> None:
    """Loading every record by ID over SuiteQL gives the seed, every field intact."""
    snapshot = rich_snapshot()
    loaded = run(rig(snapshot).ledger.load(everything(snapshot)))
    assert normalized(loaded) == normalized(snapshot)


def test_load_by_order_ref_closes_over_every_link() -> None:
    """An order brings its billing, payments, credits and refunds; not the bank deposit.

    No documented SuiteQL link leads from a customer refund or payment to the bank deposit
    that took it (the facts pack: "Bank deposits: no link-table evidence"), so a load reaches a
    deposit only through the payout it was made for (see the test below).
    """
    snapshot = rich_snapshot()
    loaded = run(rig(snapshot).ledger.load(rc.LedgerQuery(order_refs=frozenset({"1001"}))))
    assert {r.internal_id for r in loaded.all_records()} == {
        r.internal_id
        for r in snapshot.all_records()
        if not r.internal_id.endswith("-9") and r.internal_id not in {"DP-1", "PAY-2"}
    }
    (refund,) = loaded.customer_refunds
    assert refund.deposit_id is None  # its deposit was not read


def test_a_payouts_deposit_is_found_by_the_payout_it_was_made_for() -> None:
    """A deposit written for a payout carries the payout's key: loading the payout finds it."""
    setup = rig(rich_snapshot())
    payout = rc.SourceKey("stripe", "po_77")
    action = rc.CreateDeposit(
        external_id="rs-dp-77",
        source=payout,
        rule_ids=("STC-12",),
        reason="payout po_77",
        payout_ref="po_77",
        account="bank-1",
        payment_lines=(
            rc.PlannedDepositLine(
                rc.DepositRecordKind.PAYMENT,
                rc.RecordRef(internal_id="PAY-1"),
                rc.Money.of("105.00", "USD"),
            ),
        ),
        other_lines=(),
        amount=rc.Money.of("105.00", "USD"),
    )
    receipt = run(setup.ledger.write(action))
    loaded = run(setup.ledger.load(rc.LedgerQuery(sources=frozenset({payout}))))
    (deposit,) = loaded.deposits
    assert (deposit.internal_id, deposit.external_id) == (receipt.record_id, "rs-dp-77")
    assert [line.record_id for line in deposit.payment_lines] == ["PAY-1"]


def test_load_by_source_finds_the_records_a_sync_made() -> None:
    """A source event asked for brings the records created for it."""
    snapshot = rich_snapshot()
    query = rc.LedgerQuery(sources=frozenset({rc.SourceKey("stripe", "re_7")}))
    loaded = run(rig(snapshot).ledger.load(query))
    assert "CUR-1" in {r.internal_id for r in loaded.customer_refunds}


def test_empty_query_reads_nothing() -> None:
    """An empty query sends no request and returns an empty snapshot."""
    setup = rig(rich_snapshot())
    assert run(setup.ledger.load(rc.LedgerQuery())) == rc.LedgerSnapshot()
    assert setup.standin.requests == []


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(stripe_ledgers())
def test_load_round_trips_any_stripe_ledger(snapshot: rc.LedgerSnapshot) -> None:
    """For any generated ledger (any currency), seed then load by charge gives it back (MNY-1)."""
    query = rc.LedgerQuery(payment_refs=frozenset(p.payment_ref or "" for p in snapshot.payments))
    loaded = run(rig(snapshot).ledger.load(query))
    expected = rc.LedgerSnapshot(
        invoices=tuple(
            inv
            for inv in snapshot.invoices
            if any(
                app.invoice_id == inv.internal_id
                for p in snapshot.payments
                for app in p.applications
            )
        ),
        payments=snapshot.payments,
    )
    assert normalized(loaded) == normalized(expected)


def _orders(count: int) -> rc.LedgerSnapshot:
    return ledger(
        sales_orders=[order(f"SO-{n}", f"{1000 + n}") for n in range(count)],
        invoices=[invoice(f"INV-{n}", order_id=f"SO-{n}") for n in range(count)],
        payments=[
            payment(f"PAY-{n}", ref=f"ch_{n}", applied={f"INV-{n}": "100.00"}) for n in range(count)
        ],
        credit_memos=[
            credit_memo(f"CM-{n}", f"INV-{n}", "10.00", order_id=f"SO-{n}") for n in range(count)
        ],
    )


def _reads_for(count: int) -> int:
    snapshot = _orders(40)
    setup = rig(snapshot)
    refs = frozenset(f"{1000 + n}" for n in range(count))
    loaded = run(setup.ledger.load(rc.LedgerQuery(order_refs=refs)))
    assert len(loaded.sales_orders) == count
    return len(suiteql_requests(setup.standin))


def test_reads_per_batch_do_not_grow_with_the_batch() -> None:
    """One order or forty: the same number of SuiteQL queries (no query per event)."""
    assert _reads_for(1) == _reads_for(40)
    assert _reads_for(40) <= 8


def test_suiteql_is_posted_as_netsuite_expects() -> None:
    """SuiteQL goes as POST /query/v1/suiteql with Prefer: transient, {"q"} and limit/offset."""
    setup = rig(rich_snapshot())
    run(setup.ledger.load(rc.LedgerQuery(order_refs=frozenset({"1001"}))))
    for request in suiteql_requests(setup.standin):
        assert request.method == "POST"
        assert request.url.path == "/services/rest/query/v1/suiteql"
        assert request.headers["prefer"] == "transient"
        assert set(json.loads(request.content)) == {"q"}
        assert {"limit", "offset"} <= set(request.url.params)


def test_paging_follows_has_more() -> None:
    """With a page of 2 rows, load pages through hasMore and still gets everything."""
    snapshot = rich_snapshot()
    setup = rig(snapshot, page_size=2)
    loaded = run(setup.ledger.load(everything(snapshot)))
    assert normalized(loaded) == normalized(snapshot)
    offsets = {int(r.url.params["offset"]) for r in suiteql_requests(setup.standin)}
    assert {0, 2, 4} <= offsets
    assert all(r.url.params["limit"] == "2" for r in suiteql_requests(setup.standin))


def test_in_lists_are_chunked() -> None:
    """With an IN-list limit of 3, no query lists more than 3 IDs, and nothing is lost."""
    snapshot = rich_snapshot()
    setup = rig(snapshot, in_list_limit=3)
    loaded = run(setup.ledger.load(everything(snapshot)))
    assert normalized(loaded) == normalized(snapshot)
    codes = {t.value for t in TranType} | ITEM_LINE_TYPES | UNMODELLED_LINE_TYPES
    for request in suiteql_requests(setup.standin):
        query = json.loads(request.content)["q"]
        for in_list in query.split(" IN (")[1:]:
            literals = in_list.split(")")[0]
            if literals.startswith("SELECT"):
                continue
            if {value.strip(" '") for value in literals.split(",")} <= codes:
                continue  # a fixed list of type codes, not IDs
            assert literals.count(",") <= 2, query


def test_unsynced_refunds_page_by_keyset() -> None:
    """Hand-made credit records are listed by ID, a page at a time, synced ones left out."""
    rich = rich_snapshot()
    extra = credit_memo("CM-3", "INV-1", "5.00")
    setup = rig(attrs.evolve(rich, credit_memos=(*rich.credit_memos, extra)))
    pages = []
    token = None
    while True:
        page = run(
            setup.ledger.list_unsynced_refunds(since=at("2026-01-01"), page_token=token, limit=1)
        )
        pages.append(page.items)
        token = page.next_token
        if token is None:
            break
    assert pages == [("CM-1",), ("CM-3",)]


def test_unsynced_refunds_respect_since() -> None:
    """A hand-made record dated before ``since`` is not listed."""
    rich = rich_snapshot()
    memo = attrs.evolve(rich.credit_memos[0], created_at=at("2025-12-01"))
    setup = rig(rc.LedgerSnapshot(invoices=rich.invoices[:1], credit_memos=(memo,)))
    page = run(setup.ledger.list_unsynced_refunds(since=at("2026-01-01"), page_token=None, limit=5))
    assert page.items == ()


def _two_storefronts() -> rc.LedgerSnapshot:
    """Order SO-1 from shopify with memo CM-1, SO-2 from magento with CM-2, SO-3 naming none.

    CM-2 names no order itself: it is found through the invoice it was created from.
    """
    orders = [
        attrs.evolve(order("SO-1", "1001"), storefront="shopify"),
        attrs.evolve(order("SO-2", "1002"), storefront="magento"),
        order("SO-3", "1003"),
    ]
    invoices = [invoice(f"INV-{n}", order_id=f"SO-{n}") for n in (1, 2, 3)]
    memos = [
        credit_memo(f"CM-{n}", f"INV-{n}", "5.00", order_id=None if n == 2 else f"SO-{n}")
        for n in (1, 2, 3)
    ]
    return ledger(sales_orders=orders, invoices=invoices, credit_memos=memos)


@pytest.mark.parametrize(
    ("storefront", "listed"),
    [
        (None, ("CM-1", "CM-2", "CM-3")),
        ("shopify", ("CM-1", "CM-3")),
        ("magento", ("CM-2", "CM-3")),
        ("amazon", ("CM-3",)),
    ],
)
def test_unsynced_refunds_of_one_storefront(
    storefront: str | None, listed: tuple[str, ...]
) -> None:
    """A storefront's listing holds refunds of its own orders and of orders naming none (NSC-7)."""
    setup = rig(_two_storefronts())
    page = run(
        setup.ledger.list_unsynced_refunds(
            since=at("2026-01-01"), page_token=None, limit=10, storefront=storefront
        )
    )
    assert page.items == listed


def test_a_sales_order_reads_back_with_its_storefront() -> None:
    """The storefront an order came from survives the round trip through NetSuite."""
    snapshot = _two_storefronts()
    loaded = run(rig(snapshot).ledger.load(rc.LedgerQuery(order_refs=frozenset({"1001", "1002"}))))
    assert {o.internal_id: o.storefront for o in loaded.sales_orders} == {
        "SO-1": "shopify",
        "SO-2": "magento",
    }


@pytest.mark.parametrize(
    "query",
    [
        "DELETE FROM transaction",
        "SELECT id FROM transaction LIMIT 5",
        "SELECT id FROM transaction; SELECT 1",
        "SELECT strftime('%Y', trandate) FROM transaction",
        "SELECT TO_CHAR(t.trandate, 'DD.MM.YYYY') FROM transaction t",
        "SELECT nosuchcolumn FROM transaction",
    ],
)
def test_stand_in_refuses_what_suiteql_would_not_run(query: str) -> None:
    """Non-SELECTs, SQLite-isms and bad columns are refused with NetSuite's error shape."""
    setup = rig(rich_snapshot())
    with pytest.raises(NetSuiteRejectedError) as caught:
        run(setup.client.suiteql(query))
    assert caught.value.status == 400
    assert caught.value.code == "INVALID_PARAMETER"
    assert caught.value.error_path == "q"


def test_offset_must_be_a_multiple_of_limit() -> None:
    """The stand-in refuses an offset that is not a multiple of the limit, naming offset."""
    setup = rig(rich_snapshot())
    with pytest.raises(NetSuiteRejectedError) as caught:
        run(setup.client.suiteql_page("SELECT t.id FROM transaction t", limit=10, offset=5))
    assert caught.value.error_path == "offset"


# -- records the core does not model ------------------------------------------------------------


def _journal_refund(standin: NetSuiteStandIn) -> None:
    """Add what real accounts hold: a customer refund applied to a journal entry."""
    store = standin.store
    usd = standin.currency_id("USD")
    store.add_other("JE-1", "Journal", {"entity": "C-1", "currency": usd, "foreigntotal": "5"})
    store.add_transaction(
        record_id="CUR-J",
        kind=TranType.CUSTOMER_REFUND,
        header={
            "entity": "C-1",
            "currency": usd,
            "status": "R",
            "x_account": standin.undeposited_funds_account,
        },
        total=Decimal(5),
    )
    store.add_sublist_line(
        "CUR-J", "apply", 1, {"doc": "JE-1", "doctype": "Journal", "amount": Decimal(5)}
    )


def _cash_sale_deposit(standin: NetSuiteStandIn, *, payout_ref: str | None) -> None:
    """Add a bank deposit taking cash sale CS-1 (with or without a payout reference)."""
    store = standin.store
    usd = standin.currency_id("USD")
    store.add_transaction(
        record_id="DP-CS",
        kind=TranType.DEPOSIT,
        header={"currency": usd, "custbody_rs_payout_ref": payout_ref, "x_account": "bank-1"},
        total=Decimal("20.00"),
    )
    store.add_sublist_line(
        "DP-CS", "payment", 1, {"doc": "CS-1", "doctype": "CashSale", "amount": Decimal("20.00")}
    )


def test_a_refund_applied_to_a_journal_entry_is_a_typed_error() -> None:
    """A customer refund applied to a record the core lacks: UpstreamDataError naming both."""
    setup = rig(rich_snapshot())
    _journal_refund(setup.standin)
    with pytest.raises(UpstreamDataError) as caught:
        run(setup.ledger.load(rc.LedgerQuery(record_ids=frozenset({"CUR-J"}))))
    assert caught.value.endpoint == "GET /record/v1/customerRefund/CUR-J"
    assert caught.value.path == "$.apply.items[0].doc"
    assert "Journal JE-1" in str(caught.value)


def test_a_refund_applied_to_a_cash_sale_is_a_typed_error() -> None:
    """A refund's apply line on a cash sale (no application kind in the core) is a typed error."""
    setup = rig(rich_snapshot())
    setup.standin.store.add_sublist_line(
        "CUR-1", "apply", 2, {"doc": "CS-1", "doctype": "CashSale", "amount": Decimal(1)}
    )
    with pytest.raises(UpstreamDataError, match="CashSale CS-1"):
        run(setup.ledger.load(rc.LedgerQuery(record_ids=frozenset({"CUR-1"}))))


def test_a_hand_made_deposit_of_a_cash_sale_is_left_out(caplog: pytest.LogCaptureFixture) -> None:
    """A deposit with no payout reference is not read, even when asked for; the log says so."""
    setup = rig(rich_snapshot())
    _cash_sale_deposit(setup.standin, payout_ref=None)
    with caplog.at_level(logging.INFO, logger="refund_sync.netsuite"):
        loaded = run(setup.ledger.load(rc.LedgerQuery(record_ids=frozenset({"DP-CS"}))))
    assert loaded.deposits == ()
    assert "deposit DP-CS" in caplog.text
    assert not [r for r in setup.standin.requests if "/record/v1/deposit/" in r.url.path]


def test_a_payout_deposit_taking_a_cash_sale_is_a_typed_error() -> None:
    """A payout deposit (ours) with a line the core cannot hold is an error, not a silent gap."""
    setup = rig(rich_snapshot())
    _cash_sale_deposit(setup.standin, payout_ref="po_cs")
    with pytest.raises(UpstreamDataError, match=r"CashSale CS-1") as caught:
        run(setup.ledger.load(rc.LedgerQuery(record_ids=frozenset({"DP-CS"}))))
    assert caught.value.endpoint == "GET /record/v1/deposit/DP-CS"
    assert caught.value.path == "$.payment.items[0].type.id"


def _refund_snapshot(account: str | None) -> rc.LedgerSnapshot:
    """A refund R-1 applied to payment PAY-1, as read, with ``account`` as its REST account."""
    payment = HeaderRow(
        id="PAY-1",
        type="CustPymt",
        entity="C-1",
        currency="1",
        status="B",
        trandate="2026-03-01 00:00:00",
        foreigntotal=Decimal("-5.00"),
    )
    refund = HeaderRow(
        id="R-1", type="CustRfnd", entity="C-1", currency="1", foreigntotal=Decimal("5.00")
    )
    record = CustomerRefundRecord(
        id="R-1",
        apply=ApplySublist((ApplyLine(Ref("PAY-1"), Decimal("5.00")),)),
        account=Ref(account) if account is not None else None,
    )
    fetched = Fetched(headers={"PAY-1": payment, "R-1": refund}, refunds={"R-1": record})
    return build_snapshot(fetched, undeposited_funds_account="118", currencies={"1": "USD"})


@pytest.mark.parametrize(
    ("account", "expected"), [("118", "undeposited_funds"), ("bank-7", "bank-7")]
)
def test_refund_account_reads_back_by_the_configured_id(account: str, expected: str) -> None:
    """STC-12: the configured Undeposited Funds ID reads as the core's name; others as they are."""
    assert _refund_snapshot(account).customer_refunds[0].account == expected


def test_a_refund_without_an_account_is_not_taken_for_undeposited_funds() -> None:
    """An empty account is unreadable data (NetSuite requires one), never Undeposited Funds."""
    with pytest.raises(UpstreamDataError) as caught:
        _refund_snapshot(None)
    assert (caught.value.endpoint, caught.value.path) == (
        "GET /record/v1/customerRefund/R-1",
        "$.account",
    )
