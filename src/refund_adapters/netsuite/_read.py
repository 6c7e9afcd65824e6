"""SuiteQL rows to a :class:`refund_core.LedgerSnapshot`: headers, lines and links joined.

The ledger reads three row families (transaction headers, transaction lines, transaction
links) and this module turns them into the core's records. Every value is read tolerantly
(numbers as JSON numbers or strings, absent columns as NULL, since SuiteQL leaves NULL columns
out of its items) and strictly where it matters: a missing required field or a non-number is a
:class:`~refund_adapters.netsuite.NetSuiteRejectedError` naming the record and the field.

Real accounts hold records the core does not model. A bank deposit without a payout reference
(made by hand or by another tool, often taking cash sales, customer deposits or journal entries)
is left out of the snapshot with an ID-only log line: decisions read only the deposits a sync
made, which carry a payout reference and take payments and customer refunds only, so nothing
they need is lost. A payout deposit taking any other kind of record, or a customer refund
applied to one, is an error instead: leaving the line out would misstate what the record moved,
and leaving the refund out would hide money already paid back (a later refund could pay it
twice).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import refund_core as rc

from ._client import decimal_of, malformed
from ._fields import (
    PAYMENT_STATUS_CODES,
    RMA_STATUS_CODES,
    UNDEPOSITED_FUNDS,
    Custom,
    LinkType,
    TranType,
)

__all__ = [
    "Row",
    "build_snapshot",
    "event_time_text",
    "forward_refs",
    "parse_source",
    "source_text",
]

log = logging.getLogger("refund_sync.netsuite")

Row = Mapping[str, Any]

#: What a customer refund's apply lines may name (``previoustype`` of its links), as the core
#: knows it; anything else (a journal entry, a deposit application...) is not modelled.
_APPLICATION_KINDS: dict[str, rc.RefundApplicationKind] = {
    TranType.CREDIT_MEMO: rc.RefundApplicationKind.CREDIT_MEMO,
    TranType.PAYMENT: rc.RefundApplicationKind.PAYMENT,
    TranType.CUSTOMER_DEPOSIT: rc.RefundApplicationKind.CUSTOMER_DEPOSIT,
}
#: What a payout deposit's payment lines may take out of Undeposited Funds.
_DEPOSITED_KINDS: dict[str, rc.DepositRecordKind] = {
    TranType.PAYMENT: rc.DepositRecordKind.PAYMENT,
    TranType.CUSTOMER_REFUND: rc.DepositRecordKind.CUSTOMER_REFUND,
}
#: How ``custbody_rs_event_time`` holds a moment: UTC, to the second.
_EVENT_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def source_text(key: rc.SourceKey) -> str:
    """How a source key is stored in ``custbody_rs_source``: ``<source>:<event ID>``."""
    return f"{key.source}:{key.event_id}"


def parse_source(text: str, where: str) -> rc.SourceKey:
    """The source key stored in ``custbody_rs_source``."""
    source, sep, event_id = text.partition(":")
    if not sep or not source or not event_id:
        raise malformed(f"expected '<source>:<event ID>', got {text!r}", where)
    return rc.SourceKey(source, event_id)


def forward_refs(row: Row) -> tuple[str, ...]:
    """IDs a header row points at by field (created from, order, refunded payment)."""
    refs = (row.get("createdfrom"), row.get(Custom.SALES_ORDER), row.get(Custom.PAYMENT))
    return tuple(str(ref) for ref in refs if ref is not None and ref != "")


def _text(row: Row, key: str) -> str | None:
    value = row.get(key)
    if value is None or value == "":
        return None
    return str(value)


def _required(row: Row, key: str) -> str:
    value = _text(row, key)
    if value is None:
        raise malformed("required value missing", f"{_where(row)}.{key}")
    return value


def _where(row: Row) -> str:
    return f"transaction {row.get('id', row.get('transaction', '?'))}"


def _moment(text: str | None, where: str) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        raise malformed(f"expected 'YYYY-MM-DD HH:MM:SS', got {text!r}", where) from None


def event_time_text(moment: datetime) -> str:
    """How ``custbody_rs_event_time`` holds a moment: ``2026-03-09T12:00:00Z`` (UTC)."""
    return moment.astimezone(UTC).strftime(_EVENT_TIME_FORMAT)


def _event_time(text: str, where: str) -> datetime:
    try:
        return datetime.strptime(text, _EVENT_TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise malformed(f"expected 'YYYY-MM-DDTHH:MM:SSZ', got {text!r}", where) from None


def _previous_doc(link: Row, where: str) -> str:
    value = link.get("previousdoc")
    if value is None or value == "":
        raise malformed("required value missing", f"{where}.previousdoc")
    return str(value)


class _Assembler:
    """Builds records from the three row families; one instance per snapshot."""

    def __init__(
        self,
        headers: Mapping[str, Row],
        lines: Iterable[Row],
        links: Iterable[Row],
        undeposited_funds_account: str,
    ) -> None:
        self.headers = headers
        self.undeposited_funds_account = undeposited_funds_account
        self.lines: dict[str, list[Row]] = defaultdict(list)
        for line in lines:
            self.lines[str(line.get("transaction"))].append(line)
        self.links_into: dict[str, list[Row]] = defaultdict(list)
        self.deposit_of: dict[str, str] = {}
        for link in links:
            next_doc = str(link.get("nextdoc"))
            self.links_into[next_doc].append(link)
            if link.get("linktype") == LinkType.DEPOSIT:
                self.deposit_of[str(link.get("previousdoc"))] = next_doc

    # -- field readers ---------------------------------------------------------------------

    def currency(self, row: Row) -> str:
        return _required(row, "currency")

    def money(self, row: Row, key: str, currency: str, *, where: str | None = None) -> rc.Money:
        place = where or f"{_where(row)}.{key}"
        value = row.get(key)
        if value is None or value == "":
            raise malformed("required amount missing", place)
        return rc.Money(decimal_of(value, place), rc.Currency(currency))

    def optional_money(self, row: Row, key: str, currency: str) -> rc.Money:
        if row.get(key) is None or row.get(key) == "":
            return rc.Money.zero(currency)
        return self.money(row, key, currency)

    def quantity(self, line: Row, where: str) -> Decimal | None:
        value = line.get("quantity")
        return None if value is None or value == "" else decimal_of(value, where)

    def created_at(self, row: Row) -> datetime | None:
        # tranDate is a date; records that need their time of day carry it in a custom field.
        event = _text(row, Custom.EVENT_TIME)
        if event is not None:
            return _event_time(event, f"{_where(row)}.{Custom.EVENT_TIME}")
        return _moment(_text(row, "trandate"), f"{_where(row)}.trandate")

    def account(self, row: Row) -> str:
        """The posting account, the core's Undeposited Funds name for the configured one."""
        account = _required(row, "account")
        return UNDEPOSITED_FUNDS if account == self.undeposited_funds_account else account

    def required_created_at(self, row: Row) -> datetime:
        moment = self.created_at(row)
        if moment is None:
            raise malformed("required date missing", f"{_where(row)}.trandate")
        return moment

    def source(self, row: Row) -> rc.SourceKey | None:
        text = _text(row, Custom.SOURCE)
        return None if text is None else parse_source(text, f"{_where(row)}.{Custom.SOURCE}")

    # -- sublists --------------------------------------------------------------------------

    def transaction_lines(self, row: Row) -> tuple[rc.TransactionLine, ...]:
        currency = self.currency(row)
        result = []
        for line in self.lines.get(str(row["id"]), []):
            where = f"{_where(row)} line {line.get('id')}"
            result.append(
                rc.TransactionLine(
                    line_id=_required(line, "id"),
                    item=_required(line, "item"),
                    quantity=self.quantity(line, f"{where}.quantity"),
                    amount=self.money(line, "foreignamount", currency, where=f"{where}.amount"),
                    order_line_ref=_text(line, Custom.ORDER_LINE_REF),
                )
            )
        return tuple(result)

    def credit_lines(self, row: Row) -> tuple[rc.CreditLine, ...]:
        currency = self.currency(row)
        result = []
        for line in self.lines.get(str(row["id"]), []):
            where = f"{_where(row)} line {line.get('id')}"
            result.append(
                rc.CreditLine(
                    item=_required(line, "item"),
                    amount=self.money(line, "foreignamount", currency, where=f"{where}.amount"),
                    quantity=self.quantity(line, f"{where}.quantity"),
                    origin_line_id=_text(line, Custom.ORIGIN_LINE),
                    order_line_ref=_text(line, Custom.ORDER_LINE_REF),
                    account=_text(line, Custom.ACCOUNT),
                )
            )
        return tuple(result)

    def other_lines(self, row: Row) -> tuple[rc.OtherDepositLine, ...]:
        currency = self.currency(row)
        result = []
        for line in self.lines.get(str(row["id"]), []):
            where = f"{_where(row)} line {line.get('id')}"
            refs_text = _text(line, Custom.SOURCE_REFS)
            try:
                refs = json.loads(refs_text) if refs_text is not None else []
            except ValueError:
                raise malformed("not a JSON list", f"{where}.{Custom.SOURCE_REFS}") from None
            if not isinstance(refs, list):
                raise malformed("not a JSON list", f"{where}.{Custom.SOURCE_REFS}")
            result.append(
                rc.OtherDepositLine(
                    account=_required(line, Custom.ACCOUNT),
                    amount=self.money(line, "foreignamount", currency, where=f"{where}.amount"),
                    memo=_text(line, "memo") or "",
                    source_refs=tuple(str(ref) for ref in refs),
                )
            )
        return tuple(result)

    def links(self, row: Row, link_type: LinkType) -> list[Row]:
        return [
            link
            for link in self.links_into.get(str(row["id"]), [])
            if link.get("linktype") == link_type
        ]

    def tenders(self, row: Row, currency: str) -> tuple[rc.TenderPart, ...]:
        text = _text(row, Custom.TENDERS)
        if text is None:
            return ()
        where = f"{_where(row)}.{Custom.TENDERS}"
        try:
            raw = json.loads(text, parse_float=Decimal)
            return tuple(
                rc.TenderPart(
                    rc.TenderKind(entry["kind"]),
                    rc.Money(decimal_of(entry["amount"], where), rc.Currency(currency)),
                )
                for entry in raw
            )
        except (ValueError, KeyError, TypeError):
            raise malformed("expected a JSON list of {kind, amount}", where) from None

    def storefront_sync(self, row: Row, currency: str) -> rc.StorefrontSync | None:
        synced = _text(row, Custom.SYNCED_ID)
        if synced is None:
            return None
        return rc.StorefrontSync(
            synced,
            self.optional_money(row, Custom.SYNCED_PAYMENT, currency),
            self.optional_money(row, Custom.SYNCED_GIFT_CARD, currency),
        )

    # -- records ---------------------------------------------------------------------------

    def snapshot(self) -> rc.LedgerSnapshot:
        families: dict[TranType, list[Any]] = defaultdict(list)
        for record_id, row in self.headers.items():
            try:
                kind = TranType(str(row.get("type")))
            except ValueError:
                continue  # a record type no decision reads (item fulfilment, journal...)
            record = self.record(kind, record_id, row)
            if record is not None:
                families[kind].append(record)
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

    def record(self, kind: TranType, record_id: str, row: Row) -> object | None:
        """The core record of a header row; None for one the core does not model."""
        currency = self.currency(row)
        entity = _text(row, "entity")
        if kind is TranType.SALES_ORDER:
            return rc.SalesOrder(
                internal_id=record_id,
                customer_id=_required(row, "entity"),
                order_ref=_required(row, Custom.ORDER_REF),
                lines=self.transaction_lines(row),
                shipping=self.optional_money(row, Custom.SHIPPING, currency),
                tenders=self.tenders(row, currency),
                storefront=_text(row, Custom.STOREFRONT),
            )
        if kind in (TranType.INVOICE, TranType.CASH_SALE):
            common: dict[str, Any] = {
                "internal_id": record_id,
                "customer_id": _required(row, "entity"),
                "created_at": self.required_created_at(row),
                "lines": self.transaction_lines(row),
                "order_id": _text(row, "createdfrom"),
                "shipping": self.optional_money(row, Custom.SHIPPING, currency),
            }
            if kind is TranType.INVOICE:
                return rc.Invoice(**common)
            return rc.CashSale(**common, payment_ref=_text(row, Custom.PAYMENT_REF))
        if kind is TranType.PAYMENT:
            return self.payment(record_id, row, currency)
        if kind is TranType.CUSTOMER_DEPOSIT:
            return rc.CustomerDeposit(
                internal_id=record_id,
                customer_id=_required(row, "entity"),
                amount=self.money(row, "foreigntotal", currency),
                created_at=self.required_created_at(row),
                order_id=_text(row, Custom.SALES_ORDER),
                payment_ref=_text(row, Custom.PAYMENT_REF),
                applications=tuple(
                    rc.DepositApplication(
                        str(link["previousdoc"]),
                        self.money(link, "foreignamount", currency, where=f"link {record_id}"),
                    )
                    for link in self.links(row, LinkType.DEPOSIT_APPLICATION)
                ),
            )
        if kind in (TranType.CREDIT_MEMO, TranType.CASH_REFUND):
            credit: dict[str, Any] = {
                "internal_id": record_id,
                "customer_id": _required(row, "entity"),
                "created_from": _required(row, "createdfrom"),
                "amount": self.money(row, "foreigntotal", currency),
                "lines": self.credit_lines(row),
                "shipping": self.optional_money(row, Custom.SHIPPING, currency),
                "external_id": _text(row, "externalid"),
                "order_id": _text(row, Custom.SALES_ORDER),
                "source": self.source(row),
                "created_at": self.created_at(row),
                "storefront_sync": self.storefront_sync(row, currency),
            }
            if kind is TranType.CREDIT_MEMO:
                return rc.CreditMemo(**credit, refunded_payment_id=_text(row, Custom.PAYMENT))
            return rc.CashRefund(**credit)
        if kind is TranType.CUSTOMER_REFUND:
            return rc.CustomerRefund(
                internal_id=record_id,
                customer_id=_required(row, "entity"),
                amount=self.money(row, "foreigntotal", currency),
                applications=self.refund_applications(record_id, row, currency),
                account=self.account(row),
                memo=_text(row, "memo") or "",
                external_id=_text(row, "externalid"),
                payment_id=_text(row, Custom.PAYMENT),
                source=self.source(row),
                deposit_id=self.deposit_of.get(record_id),
                created_at=self.created_at(row),
            )
        if kind is TranType.DEPOSIT:
            payment_lines = self.deposit_lines(record_id, row, currency)
            if payment_lines is None:
                return None
            return rc.Deposit(
                internal_id=record_id,
                payout_ref=_required(row, Custom.PAYOUT_REF),
                amount=self.money(row, "foreigntotal", currency),
                payment_lines=payment_lines,
                other_lines=self.other_lines(row),
                account=_text(row, "account"),
                external_id=_text(row, "externalid"),
            )
        status_code = _required(row, "status")
        if status_code not in RMA_STATUS_CODES:
            raise malformed(f"unknown RMA status {status_code!r}", f"{_where(row)}.status")
        return rc.ReturnAuthorization(
            internal_id=record_id,
            customer_id=entity if entity is not None else _required(row, "entity"),
            order_id=_required(row, "createdfrom"),
            status=RMA_STATUS_CODES[status_code],
            lines=self.transaction_lines(row),
        )

    def refund_applications(
        self, record_id: str, row: Row, currency: str
    ) -> tuple[rc.RefundApplication, ...]:
        """A customer refund's apply lines; one naming a record the core lacks is an error."""
        applications = []
        for link in self.links(row, LinkType.REFUND):
            where = f"customer refund {record_id} apply line {link.get('nextline', '?')}"
            doc = _previous_doc(link, where)
            doc_type = str(link.get("previoustype"))
            kind = _APPLICATION_KINDS.get(doc_type)
            if kind is None:
                # Left out, the refund would apply less than it pays out (and the core would
                # refuse it); left out whole, money already paid back would look unpaid.
                raise malformed(
                    f"applied to {doc_type} {doc}, a kind of record refund sync does not model",
                    where,
                )
            applications.append(
                rc.RefundApplication(
                    kind, doc, self.money(link, "foreignamount", currency, where=where)
                )
            )
        return tuple(applications)

    def deposit_lines(
        self, record_id: str, row: Row, currency: str
    ) -> tuple[rc.DepositPaymentLine, ...] | None:
        """A payout deposit's payment lines; None for a deposit that is no payout deposit."""
        payout_ref = _text(row, Custom.PAYOUT_REF)
        if payout_ref is None:
            log.info("netsuite: deposit %s has no payout reference; not read", record_id)
            return None
        lines = []
        for link in self.links(row, LinkType.DEPOSIT):
            where = f"deposit {record_id} payment line {link.get('nextline', '?')}"
            doc = _previous_doc(link, where)
            doc_type = str(link.get("previoustype"))
            kind = _DEPOSITED_KINDS.get(doc_type)
            if kind is None:
                raise malformed(
                    f"payout deposit takes {doc_type} {doc}, a kind of record refund sync does "
                    "not deposit",
                    where,
                )
            lines.append(
                rc.DepositPaymentLine(
                    kind, doc, self.money(link, "foreignamount", currency, where=where)
                )
            )
        return tuple(lines)

    def payment(self, record_id: str, row: Row, currency: str) -> rc.CustomerPayment:
        if _text(row, Custom.PAYMENT_FAILED) in ("T", "true", "True"):
            status = rc.PaymentStatus.FAILED
        else:
            code = _required(row, "status")
            if code not in PAYMENT_STATUS_CODES:
                raise malformed(f"unknown payment status {code!r}", f"{_where(row)}.status")
            status = PAYMENT_STATUS_CODES[code]
        applications = []
        for link in self.links(row, LinkType.PAYMENT):
            where = f"link {record_id} -> {link.get('previousdoc')}"
            applied_at = _moment(_text(link, "linkdate"), f"{where}.linkdate")
            if applied_at is None:
                raise malformed("required date missing", f"{where}.linkdate")
            applications.append(
                rc.PaymentApplication(
                    str(link["previousdoc"]),
                    self.money(link, "foreignamount", currency, where=where),
                    applied_at,
                )
            )
        return rc.CustomerPayment(
            internal_id=record_id,
            customer_id=_required(row, "entity"),
            amount=self.money(row, "foreigntotal", currency),
            created_at=self.required_created_at(row),
            payment_ref=_text(row, Custom.PAYMENT_REF),
            status=status,
            applications=tuple(applications),
            external_id=_text(row, "externalid"),
            source=self.source(row),
            memo=_text(row, "memo") or "",
        )


def build_snapshot(
    headers: Mapping[str, Row],
    lines: Sequence[Row],
    links: Sequence[Row],
    *,
    undeposited_funds_account: str,
) -> rc.LedgerSnapshot:
    """The snapshot of the given header rows, with their lines and links.

    ``undeposited_funds_account`` is the internal ID of the account's Undeposited Funds: a
    customer refund posted to it reads as :data:`UNDEPOSITED_FUNDS`, as the core names it.
    """
    return _Assembler(headers, lines, links, undeposited_funds_account).snapshot()
