"""Reading the stand-in's state back as a :class:`refund_core.LedgerSnapshot`.

This is the stand-in's own view of its tables (signs undone, REST-only sublists joined), not
the adapter's reading of them over SuiteQL and REST: tests compare the two, and compare this
with ``FakeLedger`` after the same plan. Deposit applications are no core record: they show
as the customer deposit's applications, or as a customer refund's application to the
deposit they apply.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import refund_core as rc

from ._fields import PAYMENT_STATUS_CODES, RMA_STATUS_CODES, UNDEPOSITED_FUNDS, Custom, TranType
from ._read import parse_source
from ._standin_store import Store

__all__ = ["read_snapshot"]

_EVENT_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_APPLICATION_KINDS = {
    TranType.CREDIT_MEMO.value: rc.RefundApplicationKind.CREDIT_MEMO,
    TranType.PAYMENT.value: rc.RefundApplicationKind.PAYMENT,
}
_DEPOSITED_KINDS = {
    TranType.PAYMENT.value: rc.DepositRecordKind.PAYMENT,
    TranType.CUSTOMER_REFUND.value: rc.DepositRecordKind.CUSTOMER_REFUND,
}


class _Reader:
    def __init__(self, store: Store, undeposited: str) -> None:
        self.store = store
        self.undeposited = undeposited
        self.deposit_of: dict[str, str] = {}
        for line in store.rows(
            "SELECT record, doc FROM x_sublist WHERE sublist = 'payment' ORDER BY record, line"
        ):
            self.deposit_of[str(line["doc"])] = str(line["record"])

    def money(self, value: Decimal, row: dict[str, Any]) -> rc.Money:
        code = self.store.currency_code(row.get("currency"))
        return rc.Money(value, rc.Currency(code or "USD"))

    def total(self, row: dict[str, Any]) -> rc.Money:
        return self.money(abs(row["foreigntotal"]), row)

    @staticmethod
    def moment(text: str | None) -> datetime | None:
        if text is None:
            return None
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)

    def required_moment(self, text: str | None, where: str) -> datetime:
        moment = self.moment(text)
        if moment is None:
            raise rc.InvalidRecordError(f"{where}: the stand-in holds no date")
        return moment

    def required_created_at(self, row: dict[str, Any]) -> datetime:
        moment = self.created_at(row)
        if moment is None:
            raise rc.InvalidRecordError(f"transaction {row['id']}: the stand-in holds no date")
        return moment

    def created_at(self, row: dict[str, Any]) -> datetime | None:
        event = row.get(Custom.EVENT_TIME.value)
        if event is not None:
            return datetime.strptime(event, _EVENT_TIME_FORMAT).replace(tzinfo=UTC)
        return self.moment(row.get("trandate"))

    def optional(self, row: dict[str, Any], column: str) -> rc.Money:
        value = row.get(column)
        return self.money(Decimal(0) if value is None else value, row)

    def source(self, row: dict[str, Any]) -> rc.SourceKey | None:
        text = row.get(Custom.SOURCE.value)
        return None if text is None else parse_source(text, f"transaction {row['id']}")

    def tax(self, line: dict[str, Any], row: dict[str, Any]) -> rc.LineTax | None:
        """A line's tax as the record holds it (``taxCode``, ``taxRate1``, ``tax1Amt``)."""
        if line.get("x_taxcode") is None:
            return None
        return rc.LineTax(line["x_taxcode"], line["x_taxrate"], self.money(line["x_taxamt"], row))

    def lines(self, row: dict[str, Any]) -> tuple[rc.TransactionLine, ...]:
        sign = self.store.facts.line_signs.get(row["type"], 1)
        return tuple(
            rc.TransactionLine(
                line_id=line["id"],
                item=line["item"],
                quantity=None if line.get("quantity") is None else sign * line["quantity"],
                amount=self.money(sign * line["foreignamount"], row),
                order_line_ref=line.get(Custom.ORDER_LINE_REF.value),
                tax=self.tax(line, row),
            )
            for line in self.store.item_lines(row["id"])
        )

    def credit_lines(self, row: dict[str, Any]) -> tuple[rc.CreditLine, ...]:
        sign = self.store.facts.line_signs.get(row["type"], 1)
        lines = []
        for line in self.store.item_lines(row["id"]):
            kind = rc.CreditLineKind(line.get(Custom.LINE_KIND.value) or "item")
            lines.append(
                rc.CreditLine(
                    item=line["item"],
                    amount=self.money(sign * line["foreignamount"], row),
                    quantity=None if line.get("quantity") is None else sign * line["quantity"],
                    origin_line_id=line.get(Custom.ORIGIN_LINE.value),
                    order_line_ref=line.get(Custom.ORDER_LINE_REF.value),
                    account=line.get(Custom.ACCOUNT.value),
                    tax=self.tax(line, row),
                    kind=kind,
                    tax_code=line.get(Custom.TAX_CODE.value)
                    if kind is rc.CreditLineKind.TAX
                    else None,
                )
            )
        return tuple(lines)

    def shipping(self, row: dict[str, Any]) -> rc.Money:
        return self.optional(row, Custom.SHIPPING.value)

    def account(self, row: dict[str, Any]) -> str:
        account = str(row["x_account"])
        return UNDEPOSITED_FUNDS if account == self.undeposited else account

    def record(self, row: dict[str, Any]) -> tuple[TranType, object] | None:
        kind = TranType(row["type"])
        rid = row["id"]
        created_from = self.store.main_line(rid).get("createdfrom")
        if kind is TranType.SALES_ORDER:
            tenders = json.loads(row[Custom.TENDERS.value]) if Custom.TENDERS.value in row else []
            return kind, rc.SalesOrder(
                internal_id=rid,
                customer_id=row["entity"],
                order_ref=row[Custom.ORDER_REF.value],
                lines=self.lines(row),
                shipping=self.shipping(row),
                tenders=tuple(
                    rc.TenderPart(rc.TenderKind(t["kind"]), self.money(Decimal(t["amount"]), row))
                    for t in tenders
                ),
                storefront=row.get(Custom.STOREFRONT.value),
            )
        if kind in (TranType.INVOICE, TranType.CASH_SALE):
            common: dict[str, Any] = {
                "internal_id": rid,
                "customer_id": row["entity"],
                "created_at": self.required_moment(row.get("trandate"), rid),
                "lines": self.lines(row),
                "order_id": created_from,
                "shipping": self.shipping(row),
            }
            if kind is TranType.INVOICE:
                return kind, rc.Invoice(**common)
            return kind, rc.CashSale(**common, payment_ref=row.get(Custom.PAYMENT_REF.value))
        if kind is TranType.PAYMENT:
            if row.get(Custom.PAYMENT_FAILED.value) == "T":
                status = rc.PaymentStatus.FAILED
            else:
                status = PAYMENT_STATUS_CODES[row["status"]]
            return kind, rc.CustomerPayment(
                internal_id=rid,
                customer_id=row["entity"],
                amount=self.total(row),
                created_at=self.required_created_at(row),
                payment_ref=row.get(Custom.PAYMENT_REF.value),
                status=status,
                applications=tuple(
                    rc.PaymentApplication(
                        link["previousdoc"],
                        self.money(link["foreignamount"], row),
                        self.required_moment(link.get("lastmodifieddate"), rid),
                    )
                    for link in self.store.payment_links(rid)
                ),
                external_id=row.get("externalid"),
                source=self.source(row),
                memo=row.get("memo") or "",
            )
        if kind is TranType.CUSTOMER_DEPOSIT:
            applications = []
            for application in self.store.deposit_applications(rid):
                for line in self.store.sublist(application["id"], "apply"):
                    if line["doctype"] == TranType.INVOICE.value:
                        applications.append(
                            rc.DepositApplication(line["doc"], self.money(line["amount"], row))
                        )
            return kind, rc.CustomerDeposit(
                internal_id=rid,
                customer_id=row["entity"],
                amount=self.total(row),
                created_at=self.required_created_at(row),
                order_id=created_from,
                payment_ref=row.get(Custom.PAYMENT_REF.value),
                applications=tuple(applications),
            )
        if kind in (TranType.CREDIT_MEMO, TranType.CASH_REFUND):
            synced = row.get(Custom.SYNCED_ID.value)
            credit: dict[str, Any] = {
                "internal_id": rid,
                "customer_id": row["entity"],
                "created_from": created_from,
                "amount": self.total(row),
                "lines": self.credit_lines(row),
                "shipping": self.shipping(row),
                "external_id": row.get("externalid"),
                "order_id": row.get(Custom.SALES_ORDER.value),
                "source": self.source(row),
                "created_at": self.created_at(row),
                "storefront_sync": None
                if synced is None
                else rc.StorefrontSync(
                    synced,
                    self.optional(row, Custom.SYNCED_PAYMENT.value),
                    self.optional(row, Custom.SYNCED_GIFT_CARD.value),
                ),
            }
            if kind is TranType.CREDIT_MEMO:
                return kind, rc.CreditMemo(
                    **credit, refunded_payment_id=row.get(Custom.PAYMENT.value)
                )
            return kind, rc.CashRefund(**credit)
        if kind is TranType.CUSTOMER_REFUND:
            return kind, rc.CustomerRefund(
                internal_id=rid,
                customer_id=row["entity"],
                amount=self.total(row),
                applications=self.refund_applications(row),
                account=self.account(row),
                memo=row.get("memo") or "",
                external_id=row.get("externalid"),
                payment_id=row.get(Custom.PAYMENT.value),
                source=self.source(row),
                deposit_id=self.deposit_of.get(rid),
                created_at=self.created_at(row),
            )
        if kind is TranType.DEPOSIT:
            return kind, rc.Deposit(
                internal_id=rid,
                payout_ref=row[Custom.PAYOUT_REF.value],
                amount=self.total(row),
                payment_lines=tuple(
                    rc.DepositPaymentLine(
                        _DEPOSITED_KINDS[line["doctype"]],
                        line["doc"],
                        self.money(line["amount"], row),
                    )
                    for line in self.store.sublist(rid, "payment")
                ),
                other_lines=tuple(
                    rc.OtherDepositLine(
                        line["account"],
                        self.money(line["amount"], row),
                        line.get("memo") or "",
                        tuple(json.loads(line.get(Custom.SOURCE_REFS.value) or "[]")),
                    )
                    for line in self.store.sublist(rid, "other")
                ),
                account=row.get("x_account"),
                external_id=row.get("externalid"),
            )
        if kind is TranType.RETURN_AUTHORIZATION:
            return kind, rc.ReturnAuthorization(
                internal_id=rid,
                customer_id=row["entity"],
                order_id=str(created_from),
                status=RMA_STATUS_CODES[row["status"]],
                lines=self.lines(row),
            )
        return None  # deposit applications show through their deposit or refund

    def refund_applications(self, row: dict[str, Any]) -> tuple[rc.RefundApplication, ...]:
        applications = []
        for line in self.store.sublist(row["id"], "apply"):
            if line["doctype"] == TranType.DEPOSIT_APPLICATION.value:
                application = self.store.header(line["doc"])
                assert application is not None
                applications.append(
                    rc.RefundApplication(
                        rc.RefundApplicationKind.CUSTOMER_DEPOSIT,
                        application["x_ref"],
                        self.money(line["amount"], row),
                    )
                )
            else:
                applications.append(
                    rc.RefundApplication(
                        _APPLICATION_KINDS[line["doctype"]],
                        line["doc"],
                        self.money(line["amount"], row),
                    )
                )
        return tuple(applications)


def read_snapshot(store: Store, undeposited: str) -> rc.LedgerSnapshot:
    """Everything the store holds, as a snapshot (records in creation order)."""
    reader = _Reader(store, undeposited)
    families: dict[TranType, list[Any]] = defaultdict(list)
    for row in store.rows('SELECT * FROM "transaction" ORDER BY x_seq'):
        found = reader.record(row)
        if found is not None:
            families[found[0]].append(found[1])
    return rc.LedgerSnapshot(
        sales_orders=families[TranType.SALES_ORDER],
        invoices=families[TranType.INVOICE],
        cash_sales=families[TranType.CASH_SALE],
        payments=families[TranType.PAYMENT],
        customer_deposits=families[TranType.CUSTOMER_DEPOSIT],
        credit_memos=families[TranType.CREDIT_MEMO],
        cash_refunds=families[TranType.CASH_REFUND],
        customer_refunds=families[TranType.CUSTOMER_REFUND],
        deposits=families[TranType.DEPOSIT],
        return_authorizations=families[TranType.RETURN_AUTHORIZATION],
    )
