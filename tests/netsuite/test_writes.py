"""Every write kind through REST: the stand-in ends where apply_action says, once per ID."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import attrs
import httpx
import pytest

import refund_core as rc
from refund_adapters._http import RetryPolicy, UpstreamAuthError, UpstreamUnavailableError
from refund_adapters.netsuite import (
    LostWriteError,
    NetSuiteLedger,
    NetSuiteNotFoundError,
    NetSuiteRejectedError,
    _ledger,
)
from tests.builders import M, at
from tests.contracts._run import run
from tests.netsuite.factories import Rig, everything, normalized, rich_snapshot, rig

SOURCE = rc.SourceKey("stripe", "re_50")


def _base(**overrides: object) -> dict[str, object]:
    return {"source": SOURCE, "rule_ids": ("STC-4",), "reason": "test", **overrides}


def credit_memo_action(created_from: str = "INV-1", ext: str = "rs-cm-test") -> rc.CreateCreditMemo:
    """A 12.00 credit memo crediting line INV-1-L1 of an invoice or RMA."""
    return rc.CreateCreditMemo(
        **_base(external_id=ext),
        customer_id="C-1",
        created_from=created_from,
        order_id="SO-1",
        refunded_payment_id="PAY-1",
        lines=(
            rc.CreditLine(
                "SKU-A",
                M("10.00 USD"),
                quantity=None,
                origin_line_id="INV-1-L1",
                order_line_ref="OL-1",
            ),
        ),
        shipping=M("2.00 USD"),
        amount=M("12.00 USD"),
    )


def cash_refund_action(created_from: str = "CS-1", ext: str = "rs-cs-test") -> rc.CreateCashRefund:
    """A 7.00 cash refund of a cash sale or RMA."""
    return rc.CreateCashRefund(
        **_base(external_id=ext, source=rc.SourceKey("amazon", "ar_1")),
        customer_id="C-1",
        created_from=created_from,
        order_id="SO-1",
        lines=(rc.CreditLine("SKU-B", M("7.00 USD"), quantity=Decimal("1")),),
        shipping=M("0.00 USD"),
        amount=M("7.00 USD"),
    )


def customer_refund_action(ext: str = "rs-cr-test") -> rc.CreateCustomerRefund:
    """A customer refund applied to the open credit memo CM-1 and to payment PAY-1."""
    return rc.CreateCustomerRefund(
        **_base(external_id=ext),
        customer_id="C-1",
        payment_id="PAY-1",
        applications=(
            rc.PlannedApplication(
                rc.RefundApplicationKind.CREDIT_MEMO,
                rc.RecordRef(internal_id="CM-1"),
                M("5.00 USD"),
            ),
            rc.PlannedApplication(
                rc.RefundApplicationKind.PAYMENT, rc.RecordRef(internal_id="PAY-1"), M("1.25 USD")
            ),
        ),
        amount=M("6.25 USD"),
        memo="Stripe refund re_50",
    )


def payment_failed_action() -> rc.MarkPaymentFailed:
    """PAY-1 failed: unapply it from INV-1 (STC-10)."""
    return rc.MarkPaymentFailed(
        **_base(external_id="rs-pf-test", rule_ids=("STC-10",)),
        payment_id="PAY-1",
        unapply_invoice_ids=("INV-1",),
        memo="Payment failed at stripe: insufficient_funds",
    )


def deposit_action() -> rc.CreateDeposit:
    """A payout deposit taking PAY-1, with a fee and a fee refund as Other Deposits lines."""
    return rc.CreateDeposit(
        **_base(external_id="rs-dp-test", rule_ids=("STC-12", "STC-13")),
        payout_ref="po_50",
        account="bank-1",
        payment_lines=(
            rc.PlannedDepositLine(
                rc.DepositRecordKind.PAYMENT, rc.RecordRef(internal_id="PAY-1"), M("105.00 USD")
            ),
        ),
        other_lines=(
            rc.OtherDepositLine("fees", M("-3.35 USD"), "Stripe fees", ("txn_a",)),
            rc.OtherDepositLine("fees", M("0.40 USD"), "Stripe fee refund", ("txn_b", "txn_c")),
        ),
        amount=M("102.05 USD"),
    )


def synced_action() -> rc.MarkRecordSynced:
    """Mark hand-made CM-1 as synced out to the storefront (NSC-7)."""
    return rc.MarkRecordSynced(
        **_base(
            external_id="rs-sync-test", source=rc.SourceKey("netsuite", "CM-1"), rule_ids=("NSC-7",)
        ),
        record_kind=rc.SyncedRecordKind.CREDIT_MEMO,
        record_id="CM-1",
        sync=rc.StorefrontSync("sr_50", M("20.00 USD"), M("10.00 USD")),
    )


def reversal_action() -> rc.CreateRefundReversal:
    """An unapplied customer payment reversing customer refund CUR-1 (IDM-3)."""
    return rc.CreateRefundReversal(
        **_base(external_id="rs-rv-test"),
        customer_id="C-1",
        amount=M("30.00 USD"),
        memo="Stripe refund re_7 failed: insufficient_funds",
        reversed_refund_ids=("CUR-1",),
        transaction_date=at("2026-03-09T12:00"),
    )


WRITES: dict[str, Callable[[], rc.LedgerAction]] = {
    "credit memo from invoice": credit_memo_action,
    "credit memo from RMA": lambda: credit_memo_action("RMA-1", "rs-cm-rma"),
    "cash refund from cash sale": cash_refund_action,
    "cash refund from RMA": lambda: cash_refund_action("RMA-1", "rs-cs-rma"),
    "customer refund": customer_refund_action,
    "payment failed": payment_failed_action,
    "deposit": deposit_action,
    "record synced": synced_action,
    "refund reversal": reversal_action,
}


def _expected(
    before: rc.LedgerSnapshot, action: rc.LedgerAction, record_id: str
) -> rc.LedgerSnapshot:
    return rc.apply_action(before, action, lambda _external_id: record_id)


@pytest.mark.parametrize("name", list(WRITES))
def test_each_write_kind_ends_where_the_core_says(name: str) -> None:
    """Each action written through REST leaves the stand-in as apply_action leaves the snapshot."""
    before = rich_snapshot()
    setup = rig(before)
    action = WRITES[name]()
    receipt = run(setup.ledger.write(action))
    assert receipt.created
    assert receipt.external_id == action.external_id
    assert normalized(setup.standin.snapshot()) == normalized(
        _expected(before, action, receipt.record_id)
    )
    assert run(setup.ledger.find_by_external_id(action.external_id)) == receipt.record_id


def test_refund_reversal_is_an_unapplied_undeposited_payment() -> None:
    """A refund reversal is a new customer payment with the external ID, memo and source."""
    setup = rig(rich_snapshot())
    action = reversal_action()
    receipt = run(setup.ledger.write(action))
    (created,) = (
        p for p in setup.standin.snapshot().payments if p.internal_id == receipt.record_id
    )
    assert created == rc.CustomerPayment(
        internal_id=receipt.record_id,
        customer_id="C-1",
        amount=M("30.00 USD"),
        created_at=at("2026-03-09T12:00"),
        status=rc.PaymentStatus.UNDEPOSITED,
        external_id="rs-rv-test",
        source=SOURCE,
        memo="Stripe refund re_7 failed: insufficient_funds",
    )
    loaded = run(setup.ledger.load(rc.LedgerQuery(sources=frozenset({SOURCE}))))
    assert created in loaded.payments
    again = run(setup.ledger.write(action))
    assert (again.record_id, again.created) == (receipt.record_id, False)


def _post(setup: Rig) -> list[httpx.Request]:
    return [r for r in setup.standin.requests if r.method == "POST" and "/record/" in r.url.path]


def test_credit_memo_is_a_transform_of_its_invoice() -> None:
    """A credit memo is POSTed to invoice/{id}/!transform/creditMemo with replace=item and 204."""
    setup = rig(rich_snapshot())
    run(setup.ledger.write(credit_memo_action()))
    (post,) = _post(setup)
    assert post.url.path == "/services/rest/record/v1/invoice/INV-1/!transform/creditMemo"
    assert post.url.params["replace"] == "item"
    body = json.loads(post.content)
    assert body["externalId"] == "rs-cm-test"
    assert body["item"]["items"][0]["amount"] == 10.0  # a JSON number, never a string


def test_cash_refunds_transform_from_cash_sale_or_rma() -> None:
    """Cash refunds come from cashSale/{id} or returnAuthorization/{id} by transform."""
    setup = rig(rich_snapshot())
    run(setup.ledger.write(cash_refund_action()))
    run(setup.ledger.write(cash_refund_action("RMA-1", "rs-cs-rma")))
    paths = [r.url.path for r in _post(setup)]
    assert paths == [
        "/services/rest/record/v1/cashSale/CS-1/!transform/cashRefund",
        "/services/rest/record/v1/returnAuthorization/RMA-1/!transform/cashRefund",
    ]


def test_a_transform_the_source_does_not_allow_is_refused_before_sending() -> None:
    """A credit memo 'from' a cash sale is a typed error and nothing is POSTed."""
    setup = rig(rich_snapshot())
    with pytest.raises(rc.InvalidInputError, match="cashSale CS-1"):
        run(setup.ledger.write(credit_memo_action("CS-1", "rs-cm-bad")))
    assert _post(setup) == []


def test_customer_refund_sends_its_apply_sublist() -> None:
    """The refund is a transform of the memo it pays out; its apply lines name every doc."""
    setup = rig(rich_snapshot())
    run(setup.ledger.write(customer_refund_action()))
    (post,) = _post(setup)
    # creditMemo -> customerRefund is a transform of the 2026.1 metadata; whether NetSuite
    # takes apply lines on a plain create is an open question of the facts pack.
    assert post.url.path == f"/services/rest/record/v1/{REFUND_PATH}"
    body = json.loads(post.content)
    assert body["apply"]["items"] == [
        {"doc": {"id": "CM-1"}, "apply": True, "amount": 5.0},
        {"doc": {"id": "PAY-1"}, "apply": True, "amount": 1.25},
    ]
    # STC-12: posted to the configured Undeposited Funds account; customerRefund has no
    # undepFunds field (only customerPayment and cashSale do).
    assert body["account"] == {"id": setup.standin.undeposited_funds_account}
    assert "undepFunds" not in body


def test_a_customer_deposit_is_refunded_by_a_create_with_its_deposit_line() -> None:
    """No transform makes a refund of a customer deposit: a create with its deposit sublist."""
    setup = rig(rich_snapshot())
    action = attrs.evolve(
        customer_refund_action("rs-cr-cd"),
        payment_id=None,
        applications=(
            rc.PlannedApplication(
                rc.RefundApplicationKind.CUSTOMER_DEPOSIT,
                rc.RecordRef(internal_id="CD-1"),
                M("10.00 USD"),
            ),
        ),
        amount=M("10.00 USD"),
    )
    receipt = run(setup.ledger.write(action))
    (post,) = _post(setup)
    assert post.url.path == "/services/rest/record/v1/customerRefund"
    body = json.loads(post.content)
    assert body["deposit"]["items"] == [{"doc": {"id": "CD-1"}, "apply": True, "amount": 10.0}]
    assert "apply" not in body
    (created,) = (
        r for r in setup.standin.snapshot().customer_refunds if r.internal_id == receipt.record_id
    )
    assert created.applications == (
        rc.RefundApplication(rc.RefundApplicationKind.CUSTOMER_DEPOSIT, "CD-1", M("10.00 USD")),
    )
    loaded = run(setup.ledger.load(rc.LedgerQuery(record_ids=frozenset({receipt.record_id}))))
    assert created in loaded.customer_refunds


def test_duplicate_write_creates_nothing() -> None:
    """Writing the same action twice: NetSuite's duplicate error resolves to the first record."""
    setup = rig(rich_snapshot())
    first = run(setup.ledger.write(customer_refund_action()))
    second = run(setup.ledger.write(customer_refund_action()))
    assert (second.record_id, second.created) == (first.record_id, False)
    refunds = [
        r for r in setup.standin.snapshot().customer_refunds if r.external_id == "rs-cr-test"
    ]
    assert len(refunds) == 1
    statuses = [r for r in setup.standin.requests if r.method == "GET" and "eid:" in r.url.path]
    assert len(statuses) == 1


def _warm(setup: Rig) -> int:
    """Load every record (types known) and write one customer refund (currencies known).

    Afterwards a write sends its POST first, so a fault scripted for "the next request" hits
    the write itself, not a SuiteQL read before it. Returns the request count so far.
    """
    run(setup.ledger.load(everything(setup.standin.snapshot())))
    run(setup.ledger.write(customer_refund_action("rs-cr-warm")))
    return len(setup.standin.requests)


def _calls(setup: Rig, since: int) -> list[str]:
    return [
        f"{r.method} {'eid' if 'eid:' in r.url.path else r.url.path.rsplit('/v1/', 1)[-1]}"
        for r in setup.standin.requests[since:]
    ]


#: The customer refund of ``customer_refund_action``: a transform of the memo it pays out.
REFUND_PATH = "creditMemo/CM-1/!transform/customerRefund"

LOST_WRITES = [
    ("credit memo from invoice", "invoice/INV-1/!transform/creditMemo"),
    ("customer refund", REFUND_PATH),
    ("deposit", "deposit"),
    ("refund reversal", "customerPayment"),
]


@pytest.mark.parametrize(("name", "path"), LOST_WRITES)
def test_lost_response_is_resolved_without_a_duplicate(name: str, path: str) -> None:
    """The write happened but its answer was lost: looked up by eid, one record, created=True."""
    setup = rig(rich_snapshot())
    since = _warm(setup)
    action = WRITES[name]()
    setup.standin.lose_response_next()
    receipt = run(setup.ledger.write(action))
    assert receipt.created
    # The lost POST, then the externalId lookup, and nothing else: never sent again.
    assert _calls(setup, since) == [f"POST {path}", "GET eid"]
    snap = setup.standin.snapshot()
    holding = [r for r in (*snap.created_records(), *snap.payments) if r.external_id is not None]
    assert [r.internal_id for r in holding if r.external_id == action.external_id] == [
        receipt.record_id
    ]


def _record_calls(setup: Rig, since: int) -> list[tuple[str, bool]]:
    return [
        (r.method, "eid:" in r.url.path)
        for r in setup.standin.requests[since:]
        if "/record/" in r.url.path
    ]


def test_dropped_write_found_absent_is_left_to_the_next_run() -> None:
    """A connection dropped before the write: the eid lookup finds nothing; a later write does."""
    setup = rig(rich_snapshot())
    run(setup.ledger.write(customer_refund_action("rs-cr-warm")))  # currencies now known
    since = len(setup.standin.requests)
    setup.standin.drop_next()
    with pytest.raises(LostWriteError, match="nothing was written"):
        run(setup.ledger.write(customer_refund_action()))
    assert _record_calls(setup, since) == [("POST", False), ("GET", True)]
    receipt = run(setup.ledger.write(customer_refund_action()))  # the engine's next run
    assert receipt.created
    refunds = setup.standin.snapshot().customer_refunds
    assert len([r for r in refunds if r.external_id == "rs-cr-test"]) == 1


def test_server_error_on_a_create_is_looked_up_not_retried_blindly() -> None:
    """A 500 on a POST is resolved by an eid lookup; absent, the adapter does not send it again."""
    setup = rig(rich_snapshot())
    run(setup.ledger.write(customer_refund_action("rs-cr-warm")))
    since = len(setup.standin.requests)
    setup.standin.fail_next(500)
    with pytest.raises(LostWriteError, match="HTTP 500"):
        run(setup.ledger.write(customer_refund_action()))
    assert _record_calls(setup, since) == [("POST", False), ("GET", True)]
    receipt = run(setup.ledger.write(customer_refund_action()))
    assert receipt.created
    assert _record_calls(setup, since)[2:] == [("POST", False)]


def test_status_writes_repeat_as_no_ops() -> None:
    """Marking a payment failed or a memo synced twice changes the record once."""
    setup = rig(rich_snapshot())
    for action in (payment_failed_action(), synced_action()):
        first = run(setup.ledger.write(action))
        again = run(setup.ledger.write(action))
        assert first.created
        assert not again.created
        assert again.record_id == first.record_id
    patches = [r for r in setup.standin.requests if r.method == "PATCH"]
    assert len(patches) == 2


def test_concurrency_error_is_retried_with_backoff() -> None:
    """A 429 on the write itself is retried after a (recorded) backoff; one record results."""
    setup = rig(rich_snapshot())
    since = _warm(setup)
    setup.standin.fail_next(
        429,
        times=2,
        json_body={
            "o:errorDetails": [{"detail": "limit", "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED"}]
        },
    )
    receipt = run(setup.ledger.write(customer_refund_action()))
    assert receipt.created
    assert len(setup.sleeps) == 2
    # Refused before it ran, so the POST itself is repeated: no lookup, no duplicate.
    assert _calls(setup, since) == [f"POST {REFUND_PATH}"] * 3
    refunds = setup.standin.snapshot().customer_refunds
    assert len([r for r in refunds if r.external_id == "rs-cr-test"]) == 1


def test_restlet_style_concurrency_error_is_retried_too() -> None:
    """A 400 SSS_REQUEST_LIMIT_EXCEEDED is a concurrency error, retried, not a rejection."""
    setup = rig(rich_snapshot())
    setup.standin.fail_next(
        400,
        json_body={
            "o:errorDetails": [{"detail": "limit", "o:errorCode": "SSS_REQUEST_LIMIT_EXCEEDED"}]
        },
    )
    loaded = run(setup.ledger.load(rc.LedgerQuery(record_ids=frozenset({"CM-1"}))))
    assert "CM-1" in {m.internal_id for m in loaded.credit_memos}
    assert len(setup.sleeps) == 1


def test_concurrency_retries_run_out_as_unavailable() -> None:
    """When 429s never stop, the adapter gives up with UpstreamUnavailableError (engine retries)."""
    setup = rig(rich_snapshot(), policy=RetryPolicy(max_attempts=3))
    setup.standin.fail_next(429, times=3)
    with pytest.raises(UpstreamUnavailableError):
        run(setup.ledger.find_by_external_id("rs-anything"))


def test_bad_write_is_a_typed_error_with_netsuites_detail() -> None:
    """A refund applied to a record NetSuite lacks: UpstreamRejectedError with code and path."""
    setup = rig(rich_snapshot())
    action = attrs.evolve(
        customer_refund_action(),
        applications=(
            customer_refund_action().applications[0],
            rc.PlannedApplication(
                rc.RefundApplicationKind.PAYMENT,
                rc.RecordRef(internal_id="PAY-404"),
                M("1.25 USD"),
            ),
        ),
    )
    with pytest.raises(NetSuiteRejectedError) as caught:
        run(setup.ledger.write(action))
    error = caught.value
    assert isinstance(error, rc.InvalidInputError)  # the engine dead-letters it
    assert (error.status, error.code, error.error_path) == (400, "USER_ERROR", "apply.items[1].doc")
    assert "PAY-404" in str(error)
    assert not [
        r for r in setup.standin.snapshot().customer_refunds if r.external_id == action.external_id
    ]


def test_negative_deposit_is_refused_as_netsuite_does() -> None:
    """Deposit lines netting below zero are refused (Oracle: such a deposit cannot be added)."""
    setup = rig(rich_snapshot())
    action = attrs.evolve(
        deposit_action(),
        payment_lines=(),
        other_lines=(rc.OtherDepositLine("fees", M("-1.00 USD")),),
        amount=M("-1.00 USD"),
    )
    with pytest.raises(NetSuiteRejectedError) as caught:
        run(setup.ledger.write(action))
    assert caught.value.code == "USER_ERROR"


def test_depositing_a_deposited_payment_is_refused() -> None:
    """A payment already deposited cannot go on another deposit; the error names the line."""
    setup = rig(rich_snapshot())
    action = attrs.evolve(
        deposit_action(),
        payment_lines=(
            rc.PlannedDepositLine(
                rc.DepositRecordKind.PAYMENT, rc.RecordRef(internal_id="PAY-2"), M("100.00 USD")
            ),
        ),
        other_lines=(),
        amount=M("100.00 USD"),
    )
    with pytest.raises(NetSuiteRejectedError) as caught:
        run(setup.ledger.write(action))
    assert caught.value.error_path == "payment.items[0].id"


def test_unknown_source_transaction_is_not_found() -> None:
    """A credit memo from an invoice NetSuite does not have is UpstreamNotFoundError."""
    setup = rig(rich_snapshot())
    with pytest.raises(NetSuiteNotFoundError):
        run(setup.ledger.write(credit_memo_action("INV-404", "rs-cm-404")))


def test_refused_credentials_stop_the_run() -> None:
    """HTTP 401 INVALID_LOGIN becomes UpstreamAuthError (a PermissionError)."""
    setup = rig(rich_snapshot())
    setup.standin.fail_next(
        401,
        json_body={
            "o:errorDetails": [{"detail": "Invalid login attempt.", "o:errorCode": "INVALID_LOGIN"}]
        },
    )
    with pytest.raises(UpstreamAuthError) as caught:
        run(setup.ledger.find_by_external_id("rs-x"))
    assert isinstance(caught.value, PermissionError)
    assert caught.value.code == "INVALID_LOGIN"


def test_customer_refund_may_apply_to_a_memo_written_earlier_by_external_id() -> None:
    """An application naming a credit memo by external ID is resolved to its internal ID."""
    setup = rig(rich_snapshot())
    memo = run(setup.ledger.write(credit_memo_action()))
    refund = attrs.evolve(
        customer_refund_action(),
        applications=(
            rc.PlannedApplication(
                rc.RefundApplicationKind.CREDIT_MEMO,
                rc.RecordRef(external_id="rs-cm-test"),
                M("6.25 USD"),
            ),
        ),
    )
    receipt = run(setup.ledger.write(refund))
    (created,) = (
        r for r in setup.standin.snapshot().customer_refunds if r.internal_id == receipt.record_id
    )
    assert [a.record_id for a in created.applications] == [memo.record_id]


def test_new_record_ids_come_from_the_location_header() -> None:
    """The receipt's record ID is the last segment of the 204's Location header."""
    setup = rig(rich_snapshot())
    receipt = run(setup.ledger.write(customer_refund_action()))
    assert receipt.record_id.isdigit()  # NetSuite-style internal IDs by default
    assert receipt.record_id in {r.internal_id for r in setup.standin.snapshot().customer_refunds}


# -- Undeposited Funds, dates, receipts, refusals (audit of the first version) ------------------


def test_customer_refund_posts_to_the_configured_undeposited_funds_account() -> None:
    """STC-12: the refund's account is the configured internal ID, read back as the core's name."""
    setup = rig(rich_snapshot(), undeposited_funds_account="118")
    receipt = run(setup.ledger.write(customer_refund_action()))
    (post,) = _post(setup)
    assert json.loads(post.content)["account"] == {"id": "118"}
    loaded = run(setup.ledger.load(rc.LedgerQuery(record_ids=frozenset({receipt.record_id}))))
    (created,) = (r for r in loaded.customer_refunds if r.internal_id == receipt.record_id)
    assert created.account == "undeposited_funds"


@pytest.mark.parametrize("bad", ["", "   ", "undeposited_funds"])
def test_ledger_needs_the_undeposited_funds_account_id(bad: str) -> None:
    """Without a real internal ID for Undeposited Funds the ledger is a configuration error."""
    setup = rig(rich_snapshot())
    with pytest.raises(rc.ConfigurationError, match=r"Undeposited Funds|internal ID"):
        NetSuiteLedger(setup.client, undeposited_funds_account=bad, currencies={"USD": "1"})


def test_refund_reversal_sends_a_date_and_keeps_the_time_apart() -> None:
    """The reversal's tranDate is YYYY-MM-DD; its time rides in custbody_rs_event_time (IDM-3)."""
    setup = rig(rich_snapshot())
    run(setup.ledger.write(reversal_action()))
    (post,) = _post(setup)
    body = json.loads(post.content)
    assert body["tranDate"] == "2026-03-09"
    assert body["custbody_rs_event_time"] == "2026-03-09T12:00:00Z"
    assert body["undepFunds"] == {"id": "T"}  # a customerPayment select field, not a boolean


def test_stc4_pair_costs_no_read_for_the_memo_just_written() -> None:
    """STC-4: the refund applied to the memo written before it resolves from the receipt."""
    setup = rig(rich_snapshot())
    _warm(setup)
    memo = run(setup.ledger.write(credit_memo_action()))
    since = len(setup.standin.requests)
    refund = attrs.evolve(
        customer_refund_action(),
        applications=(
            rc.PlannedApplication(
                rc.RefundApplicationKind.CREDIT_MEMO,
                rc.RecordRef(external_id="rs-cm-test"),
                M("6.25 USD"),
            ),
        ),
    )
    receipt = run(setup.ledger.write(refund))
    # one request for the refund: a transform of the memo, whose ID and type came with it
    assert _calls(setup, since) == [f"POST creditMemo/{memo.record_id}/!transform/customerRefund"]
    (created,) = (
        r for r in setup.standin.snapshot().customer_refunds if r.internal_id == receipt.record_id
    )
    assert [a.record_id for a in created.applications] == [memo.record_id]


def test_an_external_id_this_ledger_did_not_write_is_looked_up() -> None:
    """Another ledger object (a new run) has no receipt for the memo: one SuiteQL lookup."""
    first = rig(rich_snapshot())
    memo = run(first.ledger.write(credit_memo_action()))
    fresh = NetSuiteLedger(
        first.client,
        undeposited_funds_account=first.standin.undeposited_funds_account,
        currencies=first.standin.currency_ids,
    )
    since = len(first.standin.requests)
    refund = attrs.evolve(
        customer_refund_action(),
        applications=(
            rc.PlannedApplication(
                rc.RefundApplicationKind.CREDIT_MEMO,
                rc.RecordRef(external_id="rs-cm-test"),
                M("6.25 USD"),
            ),
        ),
    )
    run(fresh.write(refund))
    finds = [
        r
        for r in first.standin.requests[since:]
        if r.url.path.endswith("/suiteql") and "rs-cm-test" in json.loads(r.content)["q"]
    ]
    assert len(finds) == 1
    (created,) = (
        r for r in first.standin.snapshot().customer_refunds if r.external_id == "rs-cr-test"
    )
    assert [a.record_id for a in created.applications] == [memo.record_id]


def test_receipt_memory_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The external ID -> internal ID memory is emptied when full, like the type cache."""
    monkeypatch.setattr(_ledger, "RECEIPT_CACHE_SIZE", 2)
    setup = rig(rich_snapshot())
    for number in range(5):
        run(setup.ledger.write(customer_refund_action(f"rs-cr-{number}")))
        assert len(setup.ledger._receipts) <= 2


@pytest.mark.parametrize("code", ["USER_ERROR", "INVALID_CONTENT", None])
def test_any_refused_create_whose_external_id_exists_is_a_repeat(code: str | None) -> None:
    """IDM-2: a 400 with any code (or none) to a create is looked up; found means repeat."""
    setup = rig(rich_snapshot())
    first = run(setup.ledger.write(customer_refund_action()))
    since = len(setup.standin.requests)
    detail: dict[str, object] = {"detail": "This record already exists."}
    if code is not None:
        detail["o:errorCode"] = code
    setup.standin.fail_next(400, json_body={"status": 400, "o:errorDetails": [detail]})
    again = run(setup.ledger.write(customer_refund_action()))
    assert (again.record_id, again.created) == (first.record_id, False)
    assert _calls(setup, since) == [f"POST {REFUND_PATH}", "GET eid"]


def test_a_refused_create_with_no_such_record_is_raised_after_one_lookup() -> None:
    """A 400 to a create whose external ID is absent is NetSuite's rejection, raised as such."""
    setup = rig(rich_snapshot())
    since = _warm(setup)
    setup.standin.fail_next(
        400,
        json_body={"o:errorDetails": [{"detail": "Bad.", "o:errorCode": "USER_ERROR"}]},
    )
    with pytest.raises(NetSuiteRejectedError) as caught:
        run(setup.ledger.write(customer_refund_action()))
    assert caught.value.code == "USER_ERROR"
    assert _calls(setup, since) == [f"POST {REFUND_PATH}", "GET eid"]


def test_a_lost_write_found_absent_is_never_repeated_on_a_timer() -> None:
    """A dropped create, looked up and absent: no backoff, no resend; the engine decides."""
    setup = rig(rich_snapshot())
    since = _warm(setup)
    setup.standin.drop_next()
    with pytest.raises(LostWriteError) as caught:
        run(setup.ledger.write(customer_refund_action()))
    assert isinstance(caught.value, UpstreamUnavailableError)  # a ConnectionError: set aside
    assert _calls(setup, since) == [f"POST {REFUND_PATH}", "GET eid"]
    assert setup.sleeps == []


def test_writes_ask_netsuite_to_refuse_unknown_properties() -> None:
    """Every record write sends X-NetSuite-PropertyNameValidation: Error (no silent drops)."""
    setup = rig(rich_snapshot())
    for make in (credit_memo_action, customer_refund_action, payment_failed_action):
        run(setup.ledger.write(make()))
    writes = [r for r in setup.standin.requests if r.method in ("POST", "PATCH")]
    writes = [r for r in writes if "/record/" in r.url.path]
    assert len(writes) == 3
    assert all(r.headers["x-netsuite-propertynamevalidation"] == "Error" for r in writes)
