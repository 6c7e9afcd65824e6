"""Builders of the NetSuite adapter over its stand-in, for these tests and the contract suite.

:func:`netsuite_ledger` matches the ledger contract's ``Factory`` (snapshot -> Ledger, built
synchronously). Its client is a factory of ``httpx.AsyncClient`` over the stand-in's in-process
transport, so a new client is made for each event loop: the contract drives every call with its
own ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import attrs
import httpx

import refund_core as rc
from refund_adapters._http import RetryPolicy
from refund_adapters._pacing import ConcurrencyLimiter
from refund_adapters.netsuite import NetSuiteClient, NetSuiteLedger, NetSuiteStandIn

#: Where the in-process stand-in pretends to live.
BASE_URL = "https://123456-sb1.suitetalk.api.netsuite.com/services/rest"


@attrs.define
class Rig:
    """A stand-in, the adapter talking to it, and the waits its retries asked for."""

    standin: NetSuiteStandIn
    ledger: NetSuiteLedger
    client: NetSuiteClient
    sleeps: list[float]


def rig(
    snapshot: rc.LedgerSnapshot,
    *,
    page_size: int = 1000,
    in_list_limit: int = 1000,
    concurrency_limit: int = 5,
    policy: RetryPolicy | None = None,
    auth: httpx.Auth | None = None,
    backoff_scale: float = 0.0,
    **standin_options: Any,
) -> Rig:
    """The adapter over a stand-in seeded with ``snapshot``; backoff waits are recorded only.

    ``backoff_scale`` makes each backoff really wait that fraction of the policy's wait, for tests
    of contention: the waits still grow with the attempts, as the policy's do, so a request
    retried against a busy account is not starved by ones that started later.
    """
    standin = NetSuiteStandIn.from_snapshot(snapshot, **standin_options)
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if backoff_scale:  # let other requests finish, without waiting the whole backoff
            await asyncio.sleep(seconds * backoff_scale)

    make: Callable[[], httpx.AsyncClient] = lambda: httpx.AsyncClient(  # noqa: E731
        transport=standin.transport()
    )
    client = NetSuiteClient(
        make,
        base_url=BASE_URL,
        auth=auth,
        limiter=ConcurrencyLimiter(concurrency_limit),
        policy=policy if policy is not None else RetryPolicy(),
        sleep=sleep,
        page_size=page_size,
    )
    ledger = NetSuiteLedger(
        client,
        undeposited_funds_account=standin.undeposited_funds_account,
        currencies=standin.currency_ids,
        in_list_limit=in_list_limit,
        tax_codes=standin.tax_rates,
        tax_rounding=standin.tax_rounding,
    )
    return Rig(standin, ledger, client, sleeps)


def netsuite_ledger(snapshot: rc.LedgerSnapshot) -> rc.Ledger:
    """The contract suite's factory: the NetSuite adapter over a stand-in holding ``snapshot``."""
    return rig(snapshot).ledger


def no_sleep() -> Callable[[float], Awaitable[None]]:
    """A sleep that returns at once."""

    async def sleep(_seconds: float) -> None:
        return None

    return sleep


def normalized(snapshot: rc.LedgerSnapshot) -> rc.LedgerSnapshot:
    """The snapshot with each record family sorted by internal ID (NetSuite lists by ID)."""
    return attrs.evolve(
        snapshot,
        **{
            family: tuple(sorted(getattr(snapshot, family), key=lambda r: r.internal_id))
            for family in rc.LedgerSnapshot.families()
        },
    )


def everything(snapshot: rc.LedgerSnapshot) -> rc.LedgerQuery:
    """A query naming every record of ``snapshot`` by internal ID."""
    return rc.LedgerQuery(record_ids=frozenset(r.internal_id for r in snapshot.all_records()))


def suiteql_requests(standin: NetSuiteStandIn) -> list[httpx.Request]:
    """The SuiteQL requests the stand-in has received."""
    return [r for r in standin.requests if r.url.path.endswith("/query/v1/suiteql")]


def rich_snapshot() -> rc.LedgerSnapshot:
    """One of every record family, with every optional field the adapter must carry.

    Order SO-1 (gift card tender, shipping) is billed by INV-1 and CS-1, has a customer deposit,
    an RMA and credit records (one synced out, one made by a sync); PAY-1 is applied to INV-1
    and partly refunded; INV-1 is taxed (8.25 % under the default tax code); deposit DP-1 took
    PAY-2 and the customer refund with fee lines. SO-9 is a JPY order (zero decimals) with a
    failed payment.
    """
    from tests.builders import (  # noqa: PLC0415 - test builders, kept out of import time
        M,
        at,
        cash_sale,
        credit_memo,
        customer_deposit,
        invoice,
        order,
        payment,
        with_tax,
    )

    memo = credit_memo("CM-1", "INV-1", "30.00", shipping="5.00")
    synced = attrs.evolve(
        credit_memo("CM-2", "INV-1", "10.00"),
        storefront_sync=rc.StorefrontSync("sr_9", M("6.00 USD"), M("4.00 USD")),
        created_at=at("2026-03-05T08:15"),
    )
    made_by_sync = rc.CashRefund(
        internal_id="CR-1",
        customer_id="C-1",
        created_from="CS-1",
        amount=M("20.00 USD"),
        lines=(
            rc.CreditLine(
                "SKU-B",
                M("20.00 USD"),
                quantity=Decimal("1"),
                origin_line_id="CS-1-L1",
                order_line_ref="OL-2",
                account="4000",
            ),
        ),
        external_id="rs-cs-1",
        order_id="SO-1",
        source=rc.SourceKey("shopify", "sr_1"),
    )
    customer_refund = rc.CustomerRefund(
        internal_id="CUR-1",
        customer_id="C-1",
        amount=M("30.00 USD"),
        applications=(
            rc.RefundApplication(rc.RefundApplicationKind.CREDIT_MEMO, "CM-1", M("30.00 USD")),
        ),
        memo="Stripe refund re_7",
        external_id="rs-cr-1",
        payment_id="PAY-1",
        source=rc.SourceKey("stripe", "re_7"),
        deposit_id="DP-1",
        created_at=at("2026-03-06"),
    )
    deposit = rc.Deposit(
        internal_id="DP-1",
        payout_ref="po_1",
        amount=M("67.00 USD"),
        payment_lines=(
            rc.DepositPaymentLine(rc.DepositRecordKind.PAYMENT, "PAY-2", M("100.00 USD")),
            rc.DepositPaymentLine(rc.DepositRecordKind.CUSTOMER_REFUND, "CUR-1", M("-30.00 USD")),
        ),
        other_lines=(
            rc.OtherDepositLine("fees", M("-3.50 USD"), "Stripe fees", ("txn_1", "txn_2")),
            rc.OtherDepositLine("fees", M("0.50 USD")),
        ),
        account="bank-1",
        external_id="rs-dp-1",
    )
    rma = rc.ReturnAuthorization(
        internal_id="RMA-1",
        customer_id="C-1",
        order_id="SO-1",
        status=rc.ReturnAuthorizationStatus.PENDING_RECEIPT,
        lines=tx_lines_for("RMA-1"),
    )
    return rc.LedgerSnapshot(
        sales_orders=(
            order(
                "SO-1",
                "1001",
                (("SKU-A", "100.00", "OL-1", "2"), ("SKU-B", "20.00", "OL-2")),
                shipping="5.00",
                gift_card="25.00",
            ),
            order("SO-9", "9009", (("SKU-J", "1500", "OL-J"),), currency="JPY", customer="C-9"),
        ),
        invoices=(
            # Taxed as the stand-in's default tax code taxes it (8.25 %, TAX-1).
            with_tax(
                invoice("INV-1", (("SKU-A", "100.00", "OL-1", "2"),), shipping="5.00"),
                "tax-1",
                "8.25",
            ),
            invoice(
                "INV-9",
                (("SKU-J", "1500", "OL-J"),),
                order_id="SO-9",
                customer="C-9",
                currency="JPY",
            ),
        ),
        cash_sales=(cash_sale("CS-1", (("SKU-B", "20.00", "OL-2"),), payment_ref="ch_cs"),),
        payments=(
            payment(
                "PAY-1",
                "105.00",
                ref="ch_1",
                applied={"INV-1": "105.00"},
                applied_at={"INV-1": "2026-03-02T09:00"},
            ),
            payment("PAY-2", "100.00", ref="ch_2", status=rc.PaymentStatus.DEPOSITED),
            payment(
                "PAY-9",
                "1500",
                ref="ch_9",
                customer="C-9",
                currency="JPY",
                status=rc.PaymentStatus.FAILED,
            ),
        ),
        customer_deposits=(
            attrs.evolve(
                customer_deposit("CD-1", "50.00", ref="ch_cd"),
                applications=(rc.DepositApplication("INV-1", M("20.00 USD")),),
            ),
        ),
        credit_memos=(memo, synced),
        cash_refunds=(made_by_sync,),
        customer_refunds=(customer_refund,),
        deposits=(deposit,),
        return_authorizations=(rma,),
    )


def tx_lines_for(prefix: str) -> tuple[rc.TransactionLine, ...]:
    """One returned line of SKU-A for an RMA."""
    return (
        rc.TransactionLine(
            f"{prefix}-L1", "SKU-A", Decimal("1"), rc.Money.of("50.00", "USD"), "OL-1"
        ),
    )
