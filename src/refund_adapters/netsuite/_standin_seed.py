"""Seeding the NetSuite stand-in from a :class:`refund_core.LedgerSnapshot`.

Each record becomes what NetSuite would hold for it: a ``transaction`` header with its signed
total, a main line carrying ``createdfrom``, signed item lines (and, on invoices and cash
sales, shipping, tax and cost-of-goods lines), link rows of documented kinds only (an invoice
billing its order, a payment applied to an invoice, a customer deposit's application), and
what only the REST record API shows: a customer refund's ``apply`` lines, a bank deposit's
``payment`` and ``other`` lines, a deposit application's ``deposit``. A customer refund of a
customer deposit applies, as Oracle documents, to a deposit application of that deposit.
A snapshot the stand-in could not give back identically (times finer than a second, a
customer refund and its deposit disagreeing) is refused with
:class:`refund_core.InvalidRecordError`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import refund_core as rc

from ._fields import PAYMENT_STATUS_CODES, RMA_STATUS_CODES, UNDEPOSITED_FUNDS, Custom, TranType
from ._read import source_text
from ._standin_store import LineSpec, Store

__all__ = ["Seeder", "stamp"]

_PAYMENT_LETTERS = {status: letter for letter, status in PAYMENT_STATUS_CODES.items()}
_RMA_LETTERS = {status: letter for letter, status in RMA_STATUS_CODES.items()}
_APPLIED_TYPES = {
    rc.RefundApplicationKind.CREDIT_MEMO: TranType.CREDIT_MEMO,
    rc.RefundApplicationKind.PAYMENT: TranType.PAYMENT,
}
_DEPOSITED_TYPES = {
    rc.DepositRecordKind.PAYMENT: TranType.PAYMENT,
    rc.DepositRecordKind.CUSTOMER_REFUND: TranType.CUSTOMER_REFUND,
}


def stamp(moment: datetime) -> str:
    """How the stand-in stores a moment: UTC, ``YYYY-MM-DD HH:MM:SS``."""
    if moment.microsecond:
        raise rc.InvalidRecordError(
            f"{moment.isoformat()}: the NetSuite stand-in keeps times to the second"
        )
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _families(snap: rc.LedgerSnapshot) -> list[tuple[TranType, tuple[Any, ...]]]:
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


class Seeder:
    """Writes a snapshot's records into the stand-in's tables."""

    def __init__(self, store: Store, snapshot: rc.LedgerSnapshot, undeposited: str) -> None:
        self.store = store
        self.snapshot = snapshot
        self.undeposited = undeposited

    def account(self, name: str | None) -> str | None:
        """The internal ID of a core account name (Undeposited Funds is the stand-in's own)."""
        return self.undeposited if name == UNDEPOSITED_FUNDS else name

    def run(self) -> None:
        """Write every record; links to records seeded later are written with those."""
        self._check_deposit_links()
        for kind, records in _families(self.snapshot):
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

    def _previous(self, record_id: str, expected: TranType | None = None) -> dict[str, Any]:
        """The header of a record linked to.

        One outside the snapshot is taken to be of the type the core says it is (a partial
        snapshot may name records it does not hold).
        """
        header = self.store.header(record_id)
        if header is not None:
            return header
        if expected is None:
            raise rc.InvalidRecordError(f"record {record_id} is linked to but not in the snapshot")
        return {"id": record_id, "type": expected.value}

    def header(self, record: Any, currency: rc.Currency, **values: Any) -> dict[str, Any]:
        """Header columns common to every record."""
        source = getattr(record, "source", None)
        if source is not None and ":" in source.source:
            raise rc.InvalidRecordError(f"source name {source.source!r} must not contain ':'")
        created_at = getattr(record, "created_at", None)
        return {
            "currency": self.store.currency_id(currency.code),
            "trandate": stamp(created_at) if created_at is not None else None,
            "externalid": getattr(record, "external_id", None),
            Custom.SOURCE.value: source_text(source) if source is not None else None,
            **values,
        }

    def _tax(self, tax: rc.LineTax | None) -> tuple[str, Decimal, Decimal] | None:
        """A line's tax as the store keeps it; its code is set up in the account."""
        if tax is None:
            return None
        self.store.register_tax_code(tax.code, tax.rate)
        return tax.code, tax.rate, tax.amount.amount

    def _lines(self, lines: Iterable[rc.TransactionLine]) -> list[LineSpec]:
        return [
            LineSpec(
                line.line_id,
                line.item,
                line.amount.amount,
                line.quantity,
                {Custom.ORDER_LINE_REF.value: line.order_line_ref},
                tax=self._tax(line.tax),
            )
            for line in lines
        ]

    def _credit_lines(self, lines: Iterable[rc.CreditLine]) -> list[LineSpec]:
        return [
            LineSpec(
                str(number),
                line.item,
                line.amount.amount,
                line.quantity,
                {
                    Custom.ORIGIN_LINE.value: line.origin_line_id,
                    Custom.ORDER_LINE_REF.value: line.order_line_ref,
                    Custom.ACCOUNT.value: line.account,
                    Custom.LINE_KIND.value: None
                    if line.kind is rc.CreditLineKind.ITEM
                    else line.kind.value,
                    Custom.TAX_CODE.value: line.tax.code if line.tax is not None else line.tax_code,
                },
                tax=self._tax(line.tax),
            )
            for number, line in enumerate(lines, start=1)
        ]

    def record(self, kind: TranType, record: Any) -> None:
        """Write one record of ``kind``."""
        store = self.store
        rid = record.internal_id
        if isinstance(record, rc.SalesOrder):
            tenders = (
                json.dumps(
                    [{"kind": t.kind.value, "amount": str(t.amount.amount)} for t in record.tenders]
                )
                if record.tenders
                else None
            )
            store.add_transaction(
                record_id=rid,
                kind=kind,
                header=self.header(
                    record,
                    record.currency,
                    entity=record.customer_id,
                    status="B",
                    **{
                        Custom.ORDER_REF.value: record.order_ref,
                        Custom.STOREFRONT.value: record.storefront,
                        Custom.SHIPPING.value: record.shipping.amount,
                        Custom.TENDERS.value: tenders,
                    },
                ),
                total=Decimal(0),
                lines=self._lines(record.lines),
                exponent=record.currency.exponent,
            )
        elif isinstance(record, rc.Invoice | rc.CashSale):
            values: dict[str, Any] = {Custom.SHIPPING.value: record.shipping.amount}
            if isinstance(record, rc.CashSale):
                values[Custom.PAYMENT_REF.value] = record.payment_ref
            store.add_transaction(
                record_id=rid,
                kind=kind,
                header=self.header(
                    record, record.currency, entity=record.customer_id, status="A", **values
                ),
                total=Decimal(0),
                lines=self._lines(record.lines),
                shipping=record.shipping.amount,
                created_from=record.order_id,
                exponent=record.currency.exponent,
            )
            if record.order_id is not None and isinstance(record, rc.Invoice):
                store.add_link(
                    previous=self._previous(record.order_id, TranType.SALES_ORDER),
                    next_id=rid,
                    next_type=kind,
                    next_line=1,
                    amount=record.total.amount,
                )
        elif isinstance(record, rc.CustomerPayment):
            failed = record.status is rc.PaymentStatus.FAILED
            store.add_transaction(
                record_id=rid,
                kind=kind,
                header=self.header(
                    record,
                    record.amount.currency,
                    entity=record.customer_id,
                    status="A" if failed else _PAYMENT_LETTERS[record.status],
                    memo=record.memo or None,
                    # Stripe payments wait in Undeposited Funds for their payout (STC-12).
                    x_account=self.undeposited,
                    x_undep="T",
                    **{
                        Custom.PAYMENT_REF.value: record.payment_ref,
                        Custom.PAYMENT_FAILED.value: "T" if failed else None,
                    },
                ),
                total=record.amount.amount,
            )
            for line, app in enumerate(record.applications, start=1):
                store.add_link(
                    previous=self._previous(app.invoice_id, TranType.INVOICE),
                    next_id=rid,
                    next_type=kind,
                    next_line=line,
                    amount=app.amount.amount,
                    when=stamp(app.applied_at),
                )
        elif isinstance(record, rc.CustomerDeposit):
            self._customer_deposit(record)
        elif isinstance(record, rc.ReturnAuthorization):
            store.add_transaction(
                record_id=rid,
                kind=kind,
                header=self.header(
                    record,
                    record.lines[0].amount.currency,
                    entity=record.customer_id,
                    status=_RMA_LETTERS[record.status],
                ),
                total=Decimal(0),
                lines=self._lines(record.lines),
                created_from=record.order_id,
            )
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
            store.add_transaction(
                record_id=rid,
                kind=kind,
                header=self.header(
                    record, record.amount.currency, entity=record.customer_id, status="A", **values
                ),
                total=record.amount.amount,
                lines=self._credit_lines(record.lines),
                shipping=record.shipping.amount,
                created_from=record.created_from,
            )
        elif isinstance(record, rc.CustomerRefund):
            self._customer_refund(record)
        elif isinstance(record, rc.Deposit):
            self._deposit(record)

    def _customer_deposit(self, record: rc.CustomerDeposit) -> None:
        store = self.store
        rid = record.internal_id
        store.add_transaction(
            record_id=rid,
            kind=TranType.CUSTOMER_DEPOSIT,
            header=self.header(
                record,
                record.amount.currency,
                entity=record.customer_id,
                status="A",
                **{Custom.PAYMENT_REF.value: record.payment_ref},
            ),
            total=record.amount.amount,
            created_from=record.order_id,
        )
        if record.order_id is not None:
            store.add_link(
                previous=self._previous(record.order_id, TranType.SALES_ORDER),
                next_id=rid,
                next_type=TranType.CUSTOMER_DEPOSIT,
                next_line=1,
                amount=record.amount.amount,
            )
        for number, app in enumerate(record.applications, start=1):
            self.deposit_application(
                f"{rid}-DA{number}",
                record,
                ((self._previous(app.invoice_id, TranType.INVOICE), app.amount.amount),),
            )

    def deposit_application(
        self,
        application_id: str,
        deposit: rc.CustomerDeposit | dict[str, Any],
        applied: Iterable[tuple[dict[str, Any], Decimal]],
    ) -> None:
        """A deposit application of ``deposit`` applying it to the given records."""
        store = self.store
        if isinstance(deposit, rc.CustomerDeposit):
            deposit_row = self._previous(deposit.internal_id)
        else:
            deposit_row = deposit
        applied = list(applied)
        total = sum((amount for _, amount in applied), Decimal(0))
        store.add_transaction(
            record_id=application_id,
            kind=TranType.DEPOSIT_APPLICATION,
            header={
                "entity": deposit_row.get("entity"),
                "currency": deposit_row.get("currency"),
                "trandate": deposit_row.get("trandate"),
                "x_ref": deposit_row["id"],
            },
            total=total,
        )
        store.add_link(
            previous=deposit_row,
            next_id=application_id,
            next_type=TranType.DEPOSIT_APPLICATION,
            next_line=1,
            amount=total,
        )
        for line, (doc, amount) in enumerate(applied, start=1):
            store.add_sublist_line(
                application_id,
                "apply",
                line,
                {"doc": doc["id"], "doctype": doc["type"], "amount": amount},
            )
            store.add_link(
                previous=doc,
                next_id=application_id,
                next_type=TranType.DEPOSIT_APPLICATION,
                next_line=line,
                amount=amount,
            )

    def _customer_refund(self, record: rc.CustomerRefund) -> None:
        store = self.store
        rid = record.internal_id
        store.add_transaction(
            record_id=rid,
            kind=TranType.CUSTOMER_REFUND,
            header=self.header(
                record,
                record.amount.currency,
                entity=record.customer_id,
                memo=record.memo or None,
                x_account=self.account(record.account),
                status="R",
                **{Custom.PAYMENT.value: record.payment_id},
            ),
            total=record.amount.amount,
        )
        refund_row = self._previous(rid)
        for line, app in enumerate(record.applications, start=1):
            if app.kind is rc.RefundApplicationKind.CUSTOMER_DEPOSIT:
                # Oracle: an applied deposit shows as a Deposit Application in ``apply``.
                application_id = f"{rid}-DA{line}"
                self.deposit_application(
                    application_id,
                    self._previous(app.record_id, TranType.CUSTOMER_DEPOSIT),
                    ((refund_row, app.amount.amount),),
                )
                doc, doctype = application_id, TranType.DEPOSIT_APPLICATION.value
            else:
                doc, doctype = app.record_id, _APPLIED_TYPES[app.kind].value
            store.add_sublist_line(
                rid, "apply", line, {"doc": doc, "doctype": doctype, "amount": app.amount.amount}
            )

    def _deposit(self, record: rc.Deposit) -> None:
        store = self.store
        rid = record.internal_id
        store.add_transaction(
            record_id=rid,
            kind=TranType.DEPOSIT,
            header=self.header(
                record,
                record.amount.currency,
                x_account=record.account,
                **{Custom.PAYOUT_REF.value: record.payout_ref},
            ),
            total=record.amount.amount,
        )
        for line, pay in enumerate(record.payment_lines, start=1):
            store.add_sublist_line(
                rid,
                "payment",
                line,
                {
                    "doc": pay.record_id,
                    "doctype": _DEPOSITED_TYPES[pay.kind].value,
                    "amount": pay.amount.amount,
                },
            )
        for line, other in enumerate(record.other_lines, start=1):
            store.add_sublist_line(
                rid,
                "other",
                line,
                {
                    "account": other.account,
                    "amount": other.amount.amount,
                    "memo": other.memo or None,
                    Custom.SOURCE_REFS.value: json.dumps(list(other.source_refs))
                    if other.source_refs
                    else None,
                },
            )
