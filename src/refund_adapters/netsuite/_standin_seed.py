"""Seeding the NetSuite stand-in from a :class:`refund_core.LedgerSnapshot`.

Each record becomes the rows NetSuite would hold for it: a ``transaction`` header, its
``transactionline`` rows and the ``previoustransactionlinelink`` rows of its applications and
deposit lines, with the custom fields of ``docs/netsuite-standin.md``. A snapshot the stand-in
could not read back identically (times finer than a second, a customer refund and its deposit
disagreeing) is refused with :class:`refund_core.InvalidRecordError`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import refund_core as rc

from ._fields import (
    PAYMENT_STATUS_CODES,
    RMA_STATUS_CODES,
    UNDEPOSITED_FUNDS,
    Custom,
    LinkType,
    TranType,
)
from ._read import source_text

if TYPE_CHECKING:
    from ._standin import NetSuiteStandIn

__all__ = ["Seeder", "stamp"]

_PAYMENT_LETTERS = {status: letter for letter, status in PAYMENT_STATUS_CODES.items()}
_RMA_LETTERS = {status: letter for letter, status in RMA_STATUS_CODES.items()}


def stamp(moment: datetime) -> str:
    """How the stand-in stores a moment: UTC, ``YYYY-MM-DD HH:MM:SS``."""
    if moment.microsecond:
        raise rc.InvalidRecordError(
            f"{moment.isoformat()}: the NetSuite stand-in keeps times to the second"
        )
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


class Seeder:
    """Writes a snapshot's records into the stand-in's tables."""

    def __init__(self, standin: NetSuiteStandIn, snapshot: rc.LedgerSnapshot) -> None:
        self.standin = standin
        self.snapshot = snapshot
        self.types: dict[str, TranType] = {}
        for kind, records in self._families():
            for record in records:
                self.types[record.internal_id] = kind

    def _families(self) -> list[tuple[TranType, tuple[Any, ...]]]:
        snap = self.snapshot
        return [
            (TranType.SALES_ORDER, snap.sales_orders),
            (TranType.INVOICE, snap.invoices),
            (TranType.CASH_SALE, snap.cash_sales),
            (TranType.PAYMENT, snap.payments),
            (TranType.CUSTOMER_DEPOSIT, snap.customer_deposits),
            (TranType.RETURN_AUTHORIZATION, snap.return_authorizations),
            (TranType.CREDIT_MEMO, snap.credit_memos),
            (TranType.CASH_REFUND, snap.cash_refunds),
            (TranType.CUSTOMER_REFUND, snap.customer_refunds),
            (TranType.DEPOSIT, snap.deposits),
        ]

    def account(self, name: str) -> str:
        """The internal ID of a core account name (Undeposited Funds is the stand-in's own)."""
        if name == UNDEPOSITED_FUNDS:
            return self.standin.undeposited_funds_account
        return name

    def type_of(self, record_id: str, expected: TranType) -> str:
        return self.types.get(record_id, expected).value

    def run(self) -> None:
        self._check_deposit_links()
        for kind, records in self._families():
            for record in records:
                self.record(kind, record)

    def _check_deposit_links(self) -> None:
        listed = {
            line.record_id: deposit.internal_id
            for deposit in self.snapshot.deposits
            for line in deposit.payment_lines
            if line.kind is rc.DepositRecordKind.CUSTOMER_REFUND
        }
        for refund in self.snapshot.customer_refunds:
            if listed.get(refund.internal_id) != refund.deposit_id:
                raise rc.InvalidRecordError(
                    f"customer refund {refund.internal_id} names deposit {refund.deposit_id}, "
                    f"but the deposits list it on {listed.get(refund.internal_id)}"
                )

    def header(self, kind: TranType, record: Any, currency: rc.Currency, **values: Any) -> None:
        source = getattr(record, "source", None)
        if source is not None and ":" in source.source:
            raise rc.InvalidRecordError(f"source name {source.source!r} must not contain ':'")
        created_at = getattr(record, "created_at", None)
        self.standin.insert_transaction(
            {
                "id": record.internal_id,
                "type": kind.value,
                "currency": self.standin.currency_id(currency.code),
                "trandate": stamp(created_at) if created_at is not None else None,
                "externalid": getattr(record, "external_id", None),
                Custom.SOURCE.value: source_text(source) if source is not None else None,
                **values,
            }
        )

    def lines(self, record_id: str, lines: Iterable[rc.TransactionLine]) -> None:
        for number, line in enumerate(lines, start=1):
            self.standin.insert_line(
                record_id,
                number,
                {
                    "id": line.line_id,
                    "item": line.item,
                    "quantity": line.quantity,
                    "foreignamount": line.amount.amount,
                    Custom.ORDER_LINE_REF.value: line.order_line_ref,
                },
            )

    def credit_lines(self, record_id: str, lines: Iterable[rc.CreditLine]) -> None:
        for number, line in enumerate(lines, start=1):
            self.standin.insert_line(
                record_id,
                number,
                {
                    "id": str(number),
                    "item": line.item,
                    "quantity": line.quantity,
                    "foreignamount": line.amount.amount,
                    Custom.ORIGIN_LINE.value: line.origin_line_id,
                    Custom.ORDER_LINE_REF.value: line.order_line_ref,
                    Custom.ACCOUNT.value: line.account,
                },
            )

    def link(
        self,
        previous: str,
        expected: TranType,
        record: Any,
        kind: TranType,
        *,
        line: int,
        link_type: LinkType,
        amount: rc.Money,
        when: datetime | None = None,
    ) -> None:
        self.standin.insert_link(
            previous=previous,
            previous_type=self.type_of(previous, expected),
            next_doc=record.internal_id,
            next_type=kind.value,
            line=line,
            link_type=link_type,
            amount=amount.amount,
            when=stamp(when) if when is not None else None,
        )

    def record(self, kind: TranType, record: Any) -> None:
        rid = record.internal_id
        if isinstance(record, rc.SalesOrder):
            tenders = (
                json.dumps(
                    [{"kind": t.kind.value, "amount": str(t.amount.amount)} for t in record.tenders]
                )
                if record.tenders
                else None
            )
            self.header(
                kind,
                record,
                record.currency,
                entity=record.customer_id,
                foreigntotal=record.total.amount,
                status="B",
                **{
                    Custom.ORDER_REF.value: record.order_ref,
                    Custom.STOREFRONT.value: record.storefront,
                    Custom.SHIPPING.value: record.shipping.amount,
                    Custom.TENDERS.value: tenders,
                },
            )
            self.lines(rid, record.lines)
        elif isinstance(record, rc.Invoice | rc.CashSale):
            values: dict[str, Any] = {Custom.SHIPPING.value: record.shipping.amount}
            if isinstance(record, rc.CashSale):
                values[Custom.PAYMENT_REF.value] = record.payment_ref
            self.header(
                kind,
                record,
                record.currency,
                entity=record.customer_id,
                foreigntotal=record.total.amount,
                createdfrom=record.order_id,
                status="A",
                **values,
            )
            self.lines(rid, record.lines)
        elif isinstance(record, rc.CustomerPayment):
            failed = record.status is rc.PaymentStatus.FAILED
            self.header(
                kind,
                record,
                record.amount.currency,
                entity=record.customer_id,
                foreigntotal=record.amount.amount,
                status="A" if failed else _PAYMENT_LETTERS[record.status],
                memo=record.memo or None,
                # Stripe payments wait in Undeposited Funds for their payout's deposit (STC-12).
                account=self.standin.undeposited_funds_account,
                **{
                    Custom.PAYMENT_REF.value: record.payment_ref,
                    Custom.PAYMENT_FAILED.value: "T" if failed else None,
                },
            )
            for line, app in enumerate(record.applications, start=1):
                self.link(
                    app.invoice_id,
                    TranType.INVOICE,
                    record,
                    kind,
                    line=line,
                    link_type=LinkType.PAYMENT,
                    amount=app.amount,
                    when=app.applied_at,
                )
        elif isinstance(record, rc.CustomerDeposit):
            self.header(
                kind,
                record,
                record.amount.currency,
                entity=record.customer_id,
                foreigntotal=record.amount.amount,
                status="A",
                **{
                    Custom.SALES_ORDER.value: record.order_id,
                    Custom.PAYMENT_REF.value: record.payment_ref,
                },
            )
            for line, dep_app in enumerate(record.applications, start=1):
                self.link(
                    dep_app.invoice_id,
                    TranType.INVOICE,
                    record,
                    kind,
                    line=line,
                    link_type=LinkType.DEPOSIT_APPLICATION,
                    amount=dep_app.amount,
                )
        elif isinstance(record, rc.ReturnAuthorization):
            total = sum((line.amount.amount for line in record.lines), Decimal(0))
            self.header(
                kind,
                record,
                record.lines[0].amount.currency,
                entity=record.customer_id,
                foreigntotal=total,
                createdfrom=record.order_id,
                status=_RMA_LETTERS[record.status],
            )
            self.lines(rid, record.lines)
        elif isinstance(record, rc.CreditMemo | rc.CashRefund):
            sync = record.storefront_sync
            values = {
                Custom.SHIPPING.value: record.shipping.amount,
                Custom.SALES_ORDER.value: record.order_id,
                Custom.SYNCED_ID.value: sync.external_id if sync else None,
                Custom.SYNCED_PAYMENT.value: sync.payment_part.amount if sync else None,
                Custom.SYNCED_GIFT_CARD.value: sync.gift_card_part.amount if sync else None,
            }
            if isinstance(record, rc.CreditMemo):
                values[Custom.PAYMENT.value] = record.refunded_payment_id
            self.header(
                kind,
                record,
                record.amount.currency,
                entity=record.customer_id,
                foreigntotal=record.amount.amount,
                createdfrom=record.created_from,
                status="A",
                **values,
            )
            self.credit_lines(rid, record.lines)
        elif isinstance(record, rc.CustomerRefund):
            self.header(
                kind,
                record,
                record.amount.currency,
                entity=record.customer_id,
                foreigntotal=record.amount.amount,
                memo=record.memo or None,
                account=self.account(record.account),
                status="R",
                **{Custom.PAYMENT.value: record.payment_id},
            )
            expected = {
                rc.RefundApplicationKind.CREDIT_MEMO: TranType.CREDIT_MEMO,
                rc.RefundApplicationKind.PAYMENT: TranType.PAYMENT,
                rc.RefundApplicationKind.CUSTOMER_DEPOSIT: TranType.CUSTOMER_DEPOSIT,
            }
            for line, refund_app in enumerate(record.applications, start=1):
                self.standin.insert_link(
                    previous=refund_app.record_id,
                    previous_type=expected[refund_app.kind].value,
                    next_doc=rid,
                    next_type=kind.value,
                    line=line,
                    link_type=LinkType.REFUND,
                    amount=refund_app.amount.amount,
                )
        elif isinstance(record, rc.Deposit):
            self.header(
                kind,
                record,
                record.amount.currency,
                foreigntotal=record.amount.amount,
                account=record.account,
                **{Custom.PAYOUT_REF.value: record.payout_ref},
            )
            expected_kinds = {
                rc.DepositRecordKind.PAYMENT: TranType.PAYMENT,
                rc.DepositRecordKind.CUSTOMER_REFUND: TranType.CUSTOMER_REFUND,
            }
            for line, pay_line in enumerate(record.payment_lines, start=1):
                self.standin.insert_link(
                    previous=pay_line.record_id,
                    previous_type=expected_kinds[pay_line.kind].value,
                    next_doc=rid,
                    next_type=kind.value,
                    line=line,
                    link_type=LinkType.DEPOSIT,
                    amount=pay_line.amount.amount,
                )
            for number, other in enumerate(record.other_lines, start=1):
                self.standin.insert_line(
                    rid,
                    number,
                    {
                        "id": str(number),
                        Custom.ACCOUNT.value: other.account,
                        "foreignamount": other.amount.amount,
                        "memo": other.memo or None,
                        Custom.SOURCE_REFS.value: json.dumps(list(other.source_refs))
                        if other.source_refs
                        else None,
                    },
                )
