"""What the ledger read (SuiteQL rows, REST records) to a :class:`refund_core.LedgerSnapshot`.

Where each value comes from, and the fact it rests on (tags of the facts pack):

- headers: ``transaction`` columns [M]; ``createdfrom`` from the main line [M]; header totals
  are read as magnitudes (``|foreigntotal|``), so no header sign is relied on (the pack knows
  few of them); the currency's ISO code from the configured internal IDs;
- item lines: signed per transaction type (:data:`ITEM_LINE_SIGNS`): invoice and cash-sale
  lines negative [M]; sales order, credit memo, cash refund and return authorization lines by
  [S]/[?] facts that ``refund-sync doctor`` observes on the account before the first write;
- tax (TAX-1): a transaction's tax lines (``taxline = 'T'`` [M]: the tax code's item and the
  amount, signed like item lines) and the configured rate of each tax code. The facts pack
  knows no column for one item line's tax, so each line's tax is what NetSuite computes per
  line (:func:`refund_core.line_tax`), attributed as follows: lines the library wrote name
  their code (``custcol_rs_tax_code``); the rest of a code's tax must be, to the minor unit,
  that code's tax on every other line (a transaction taxed under one code throughout). Tax that
  cannot be attributed so (several codes on unmarked lines, some lines exempt, an edited amount)
  is an :class:`~refund_adapters._decode.UpstreamDataError` naming the transaction: a refund
  of it must not book its tax as revenue. Explicit tax lines and shipping-item lines the
  library wrote are read back by ``custcol_rs_line_kind``;
- a payment's invoice applications: ``Payment`` link rows [M], summed per invoice over distinct
  line pairs (link rows fan out per line pair [M]);
- a customer refund's applications and posting account: its REST ``apply`` sublist and
  ``account`` [O]; a deposit applied shows as a deposit application, whose ``deposit`` names
  the customer deposit [O];
- a customer deposit's applications: its deposit applications' ``apply`` lines [O];
- a bank deposit's lines and account: its REST ``payment`` and ``other`` sublists [O].

Real accounts hold records the core does not model. A bank deposit without a payout reference
(made by hand or by another tool) is left out with an ID-only log line: decisions read only the
deposits a sync made. A payout deposit taking any other kind of record, a customer refund
applied to a record the core lacks, or a billing record with a discount line is an
:class:`~refund_adapters._decode.UpstreamDataError` instead: leaving the line out would misstate
what the record moved or what is left to refund.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs

import refund_core as rc
from refund_adapters._decode import UpstreamDataError

from ._fields import (
    ITEM_LINE_SIGNS,
    PAYMENT_STATUS_CODES,
    RMA_STATUS_CODES,
    UNDEPOSITED_FUNDS,
    UNMODELLED_LINE_TYPES,
    Custom,
    TranType,
)
from ._wire import (
    CustomerRefundRecord,
    DepositApplicationRecord,
    DepositRecord,
    HeaderRow,
    LineRow,
    LinkRow,
    TaxLineRow,
)

__all__ = [
    "Fetched",
    "build_snapshot",
    "event_time_text",
    "forward_refs",
    "parse_source",
    "source_text",
]

log = logging.getLogger("refund_sync.netsuite")

_SUITEQL = "POST /query/v1/suiteql"
#: What a customer refund's apply lines may name, as the core knows it.
_APPLICATION_KINDS: dict[str, rc.RefundApplicationKind] = {
    TranType.CREDIT_MEMO: rc.RefundApplicationKind.CREDIT_MEMO,
    TranType.PAYMENT: rc.RefundApplicationKind.PAYMENT,
}
#: What a payout deposit's payment lines may take out of Undeposited Funds.
_DEPOSITED_KINDS: dict[str, rc.DepositRecordKind] = {
    TranType.PAYMENT: rc.DepositRecordKind.PAYMENT,
    TranType.CUSTOMER_REFUND: rc.DepositRecordKind.CUSTOMER_REFUND,
}
#: ``custcol_rs_line_kind`` values of lines that are not items of goods (TAX-2, SHP-1).
_TAX_KIND = rc.CreditLineKind.TAX.value
_SHIPPING_KIND = rc.CreditLineKind.SHIPPING.value

#: How ``custbody_rs_event_time`` holds a moment: UTC, to the second.
_EVENT_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def bad(message: str, where: str, endpoint: str = _SUITEQL) -> UpstreamDataError:
    """An error for NetSuite data the adapter cannot read, naming the request and where."""
    return UpstreamDataError(message, service="netsuite", endpoint=endpoint, path=where)


def source_text(key: rc.SourceKey) -> str:
    """How a source key is stored in ``custbody_rs_source``: ``<source>:<event ID>``."""
    return f"{key.source}:{key.event_id}"


def parse_source(text: str, where: str) -> rc.SourceKey:
    """The source key stored in ``custbody_rs_source``."""
    source, sep, event_id = text.partition(":")
    if not sep or not source or not event_id:
        raise bad(f"expected '<source>:<event ID>', got {text!r}", where)
    return rc.SourceKey(source, event_id)


def forward_refs(row: HeaderRow) -> tuple[str, ...]:
    """IDs a header row points at by field (created from, order, refunded payment)."""
    refs = (row.createdfrom, row.custbody_rs_sales_order, row.custbody_rs_payment)
    return tuple(ref for ref in refs if ref)


def event_time_text(moment: datetime) -> str:
    """How ``custbody_rs_event_time`` holds a moment: ``2026-03-09T12:00:00Z`` (UTC)."""
    return moment.astimezone(UTC).strftime(_EVENT_TIME_FORMAT)


def _moment(text: str | None, where: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        raise bad(f"expected 'YYYY-MM-DD HH:MM:SS', got {text!r}", where) from None


@attrs.frozen
class Fetched:
    """Everything one load read: SuiteQL rows and REST records, by internal ID."""

    headers: Mapping[str, HeaderRow]
    lines: Sequence[LineRow] = ()
    links: Sequence[LinkRow] = ()
    tax_lines: Sequence[TaxLineRow] = ()
    refunds: Mapping[str, CustomerRefundRecord] = attrs.field(factory=dict)
    applications: Mapping[str, DepositApplicationRecord] = attrs.field(factory=dict)
    deposits: Mapping[str, DepositRecord] = attrs.field(factory=dict)


class _Assembler:
    """Builds records from what was fetched; one instance per snapshot."""

    def __init__(
        self,
        fetched: Fetched,
        undeposited: str,
        currencies: Mapping[str, str],
        tax_codes: Mapping[str, Decimal],
        tax_rounding: rc.TaxRounding,
    ) -> None:
        self.fetched = fetched
        self.headers = fetched.headers
        self.undeposited = undeposited
        self.currencies = currencies
        self.tax_codes = tax_codes
        self.tax_rounding = tax_rounding
        self.lines: dict[str, list[LineRow]] = defaultdict(list)
        for line in fetched.lines:
            self.lines[line.transaction].append(line)
        self.tax_lines: dict[str, list[TaxLineRow]] = defaultdict(list)
        for tax_line in fetched.tax_lines:
            self.tax_lines[tax_line.transaction].append(tax_line)
        self.links: dict[str, list[LinkRow]] = defaultdict(list)
        for link in fetched.links:
            self.links[link.nextdoc].append(link)
        self.deposit_of: dict[str, str] = {}
        for deposit_id, deposit in fetched.deposits.items():
            for payment_line in deposit.payment.items:
                if payment_line.deposit:
                    self.deposit_of[payment_line.id] = deposit_id

    # -- field readers ---------------------------------------------------------------------

    def currency(self, row: HeaderRow) -> rc.Currency:
        where = f"transaction {row.id}.currency"
        if row.currency is None:
            raise bad("required value missing", where)
        code = self.currencies.get(row.currency)
        if code is None:
            raise bad(
                f"currency {row.currency} is not among the configured currencies "
                f"({', '.join(sorted(self.currencies)) or 'none'}); add it to currencies",
                where,
            )
        return rc.Currency(code)

    def required(self, row: HeaderRow, name: str) -> str:
        value = getattr(row, name)
        if not value:
            raise bad("required value missing", f"transaction {row.id}.{name}")
        return str(value)

    def total(self, row: HeaderRow) -> rc.Money:
        if row.foreigntotal is None:
            raise bad("required amount missing", f"transaction {row.id}.foreigntotal")
        return rc.Money(abs(row.foreigntotal), self.currency(row))

    def optional(self, row: HeaderRow, value: Decimal | None) -> rc.Money:
        return rc.Money(value if value is not None else Decimal(0), self.currency(row))

    def created_at(self, row: HeaderRow) -> datetime | None:
        # tranDate is a date; records that need their time of day carry it in a custom field.
        if row.custbody_rs_event_time:
            try:
                return datetime.strptime(row.custbody_rs_event_time, _EVENT_TIME_FORMAT).replace(
                    tzinfo=UTC
                )
            except ValueError:
                raise bad(
                    f"expected 'YYYY-MM-DDTHH:MM:SSZ', got {row.custbody_rs_event_time!r}",
                    f"transaction {row.id}.custbody_rs_event_time",
                ) from None
        return _moment(row.trandate, f"transaction {row.id}.trandate")

    def required_created_at(self, row: HeaderRow) -> datetime:
        moment = self.created_at(row)
        if moment is None:
            raise bad("required date missing", f"transaction {row.id}.trandate")
        return moment

    def source(self, row: HeaderRow) -> rc.SourceKey | None:
        text = row.custbody_rs_source
        return None if not text else parse_source(text, f"transaction {row.id}.custbody_rs_source")

    def account(self, account: str) -> str:
        return UNDEPOSITED_FUNDS if account == self.undeposited else account

    # -- lines -----------------------------------------------------------------------------

    def _signed_lines(self, row: HeaderRow) -> list[tuple[LineRow, Decimal, Decimal | None]]:
        sign = ITEM_LINE_SIGNS[TranType(row.type)]
        result = []
        for line in self.lines.get(row.id, []):
            where = f"transaction {row.id} line {line.id}"
            if line.itemtype in UNMODELLED_LINE_TYPES:
                raise bad(
                    f"a {line.itemtype} line, which refund sync does not model on "
                    f"{TranType(row.type).name.lower().replace('_', ' ')}s",
                    where,
                )
            if line.foreignamount is None:
                raise bad("required amount missing", f"{where}.foreignamount")
            quantity = None if line.quantity is None else sign * line.quantity
            result.append((line, sign * line.foreignamount, quantity))
        return result

    def _rate(self, code: str, where: str) -> Decimal:
        rate = self.tax_codes.get(code)
        if rate is None:
            raise bad(
                f"tax code {code} is not among the configured tax codes "
                f"({', '.join(sorted(self.tax_codes)) or 'none'}); add it to tax_codes",
                where,
            )
        return rate

    def _line_taxes(
        self, row: HeaderRow, signed: Sequence[tuple[LineRow, Decimal, Decimal | None]]
    ) -> list[rc.LineTax | None]:
        """Each item line's tax, attributed from the tax lines (see the module, TAX-1)."""
        currency = self.currency(row)
        sign = ITEM_LINE_SIGNS[TranType(row.type)]
        zero = rc.Money.zero(currency)
        left: dict[str, rc.Money] = {}
        for tax_line in self.tax_lines.get(row.id, []):
            where = f"transaction {row.id} tax line {tax_line.id}"
            if not tax_line.item:
                raise bad("required value missing", f"{where}.item")
            if tax_line.foreignamount is None:
                raise bad("required amount missing", f"{where}.foreignamount")
            held = rc.Money(sign * tax_line.foreignamount, currency)
            left[tax_line.item] = left.get(tax_line.item, zero) + held
        taxes: list[rc.LineTax | None] = [None] * len(signed)
        unmarked: list[int] = []
        for index, (line, net, _) in enumerate(signed):
            if line.custcol_rs_line_kind in (_TAX_KIND, _SHIPPING_KIND):
                continue  # an explicit tax line or refunded shipping: never taxed itself
            code = line.custcol_rs_tax_code
            if not code:
                unmarked.append(index)
                continue
            rate = self._rate(code, f"transaction {row.id} line {line.id}")
            tax = rc.line_tax(rc.Money(net, currency), rate, self.tax_rounding)
            taxes[index] = rc.LineTax(code, rate, tax)
            left[code] = left.get(code, zero) - tax
        remaining = {code: rest for code, rest in left.items() if not rest.is_zero}
        if not remaining:
            return taxes
        if len(remaining) == 1 and unmarked:
            ((code, held),) = remaining.items()
            rate = self._rate(code, f"transaction {row.id} tax line of {code}")
            computed = [
                rc.line_tax(rc.Money(signed[i][1], currency), rate, self.tax_rounding)
                for i in unmarked
            ]
            if rc.sum_money(computed, currency) == held:
                for index, tax in zip(unmarked, computed, strict=True):
                    taxes[index] = rc.LineTax(code, rate, tax)
                return taxes
        raise bad(
            "its tax lines hold "
            + ", ".join(f"{amount} of {code}" for code, amount in sorted(remaining.items()))
            + " that its item lines do not account for at the configured rates (tax on only "
            "some lines, several codes, or an edited amount): its tax cannot be attributed to "
            "lines",
            f"transaction {row.id}",
        )

    def transaction_lines(self, row: HeaderRow) -> tuple[rc.TransactionLine, ...]:
        currency = self.currency(row)
        signed = self._signed_lines(row)
        taxes = self._line_taxes(row, signed)
        return tuple(
            rc.TransactionLine(
                line_id=line.id,
                item=self._item(row, line),
                quantity=quantity,
                amount=rc.Money(amount, currency),
                order_line_ref=line.custcol_rs_order_line_ref or None,
                tax=tax,
            )
            for (line, amount, quantity), tax in zip(signed, taxes, strict=True)
        )

    def credit_lines(self, row: HeaderRow) -> tuple[rc.CreditLine, ...]:
        currency = self.currency(row)
        signed = self._signed_lines(row)
        taxes = self._line_taxes(row, signed)
        lines = []
        for (line, amount, quantity), tax in zip(signed, taxes, strict=True):
            kind = line.custcol_rs_line_kind or rc.CreditLineKind.ITEM.value
            if kind not in {k.value for k in rc.CreditLineKind}:
                raise bad(
                    f"unknown line kind {kind!r}",
                    f"transaction {row.id} line {line.id}.{Custom.LINE_KIND}",
                )
            explicit = kind == _TAX_KIND
            if explicit and not line.custcol_rs_tax_code:
                raise bad(
                    "an explicit tax line names no tax code",
                    f"transaction {row.id} line {line.id}.{Custom.TAX_CODE}",
                )
            lines.append(
                rc.CreditLine(
                    item=self._item(row, line),
                    amount=rc.Money(amount, currency),
                    quantity=quantity,
                    origin_line_id=line.custcol_rs_origin_line or None,
                    order_line_ref=line.custcol_rs_order_line_ref or None,
                    account=line.custcol_rs_account or None,
                    tax=tax,
                    kind=rc.CreditLineKind(kind),
                    tax_code=line.custcol_rs_tax_code if explicit else None,
                )
            )
        return tuple(lines)

    @staticmethod
    def _item(row: HeaderRow, line: LineRow) -> str:
        if not line.item:
            raise bad("required value missing", f"transaction {row.id} line {line.id}.item")
        return line.item

    def tenders(self, row: HeaderRow) -> tuple[rc.TenderPart, ...]:
        text = row.custbody_rs_tenders
        if not text:
            return ()
        where = f"transaction {row.id}.custbody_rs_tenders"
        try:
            raw = json.loads(text, parse_float=Decimal)
            return tuple(
                rc.TenderPart(
                    rc.TenderKind(entry["kind"]),
                    rc.Money(Decimal(str(entry["amount"])), self.currency(row)),
                )
                for entry in raw
            )
        except (ValueError, KeyError, TypeError, ArithmeticError):
            raise bad("expected a JSON list of {kind, amount}", where) from None

    def storefront_sync(self, row: HeaderRow) -> rc.StorefrontSync | None:
        if not row.custbody_rs_synced_id:
            return None
        return rc.StorefrontSync(
            row.custbody_rs_synced_id,
            self.optional(row, row.custbody_rs_synced_payment),
            self.optional(row, row.custbody_rs_synced_gift_card),
        )

    # -- records ---------------------------------------------------------------------------

    def snapshot(self) -> rc.LedgerSnapshot:
        families: dict[TranType, list[Any]] = defaultdict(list)
        for record_id, row in self.headers.items():
            try:
                kind = TranType(row.type)
            except ValueError:
                continue  # a record type no decision reads (item fulfilment, journal...)
            try:
                record = self.record(kind, record_id, row)
            except rc.InvalidRecordError as exc:
                raise bad(str(exc), f"transaction {record_id}") from exc
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

    def record(self, kind: TranType, record_id: str, row: HeaderRow) -> object | None:
        """The core record of a header row; None for one the core does not model."""
        if kind is TranType.SALES_ORDER:
            return rc.SalesOrder(
                internal_id=record_id,
                customer_id=self.required(row, "entity"),
                order_ref=self.required(row, "custbody_rs_order_ref"),
                lines=self.transaction_lines(row),
                shipping=self.optional(row, row.custbody_rs_shipping),
                tenders=self.tenders(row),
                storefront=row.custbody_rs_storefront or None,
            )
        if kind in (TranType.INVOICE, TranType.CASH_SALE):
            common: dict[str, Any] = {
                "internal_id": record_id,
                "customer_id": self.required(row, "entity"),
                "created_at": self.required_created_at(row),
                "lines": self.transaction_lines(row),
                "order_id": row.createdfrom or None,
                "shipping": self.optional(row, row.custbody_rs_shipping),
            }
            if kind is TranType.INVOICE:
                return rc.Invoice(**common)
            return rc.CashSale(**common, payment_ref=row.custbody_rs_payment_ref or None)
        if kind is TranType.PAYMENT:
            return self.payment(record_id, row)
        if kind is TranType.CUSTOMER_DEPOSIT:
            return rc.CustomerDeposit(
                internal_id=record_id,
                customer_id=self.required(row, "entity"),
                amount=self.total(row),
                created_at=self.required_created_at(row),
                order_id=row.createdfrom or None,
                payment_ref=row.custbody_rs_payment_ref or None,
                applications=self.deposit_applications(record_id, row),
            )
        if kind in (TranType.CREDIT_MEMO, TranType.CASH_REFUND):
            credit: dict[str, Any] = {
                "internal_id": record_id,
                "customer_id": self.required(row, "entity"),
                "created_from": self.required(row, "createdfrom"),
                "amount": self.total(row),
                "lines": self.credit_lines(row),
                "shipping": self.optional(row, row.custbody_rs_shipping),
                "external_id": row.externalid or None,
                "order_id": row.custbody_rs_sales_order or None,
                "source": self.source(row),
                "created_at": self.created_at(row),
                "storefront_sync": self.storefront_sync(row),
            }
            if kind is TranType.CREDIT_MEMO:
                return rc.CreditMemo(**credit, refunded_payment_id=row.custbody_rs_payment or None)
            return rc.CashRefund(**credit)
        if kind is TranType.CUSTOMER_REFUND:
            return self.customer_refund(record_id, row)
        if kind is TranType.DEPOSIT:
            return self.deposit(record_id, row)
        if kind is TranType.RETURN_AUTHORIZATION:
            status_code = self.required(row, "status")
            if status_code not in RMA_STATUS_CODES:
                raise bad(f"unknown RMA status {status_code!r}", f"transaction {row.id}.status")
            return rc.ReturnAuthorization(
                internal_id=record_id,
                customer_id=self.required(row, "entity"),
                order_id=self.required(row, "createdfrom"),
                status=RMA_STATUS_CODES[status_code],
                lines=self.transaction_lines(row),
            )
        return None  # deposit applications: read through their customer deposit or refund

    def payment(self, record_id: str, row: HeaderRow) -> rc.CustomerPayment:
        if row.custbody_rs_payment_failed in ("T", "true", "True"):
            status = rc.PaymentStatus.FAILED
        else:
            code = self.required(row, "status")
            if code not in PAYMENT_STATUS_CODES:
                raise bad(f"unknown payment status {code!r}", f"transaction {row.id}.status")
            status = PAYMENT_STATUS_CODES[code]
        currency = self.currency(row)
        applied: dict[str, Decimal] = {}
        applied_at: dict[str, datetime] = {}
        seen: set[tuple[str, int | None, int | None]] = set()
        for link in self.links.get(record_id, []):
            pair = (link.previousdoc, link.previousline, link.nextline)
            if pair in seen:
                continue  # the same line pair seen twice adds nothing
            seen.add(pair)
            where = f"link {link.previousdoc} -> {record_id}"
            if link.foreignamount is None:
                raise bad("required amount missing", f"{where}.foreignamount")
            moment = _moment(link.linkdate, f"{where}.linkdate")
            if moment is None:
                raise bad("required date missing", f"{where}.linkdate")
            applied[link.previousdoc] = (
                applied.get(link.previousdoc, Decimal(0)) + link.foreignamount
            )
            applied_at[link.previousdoc] = max(applied_at.get(link.previousdoc, moment), moment)
        return rc.CustomerPayment(
            internal_id=record_id,
            customer_id=self.required(row, "entity"),
            amount=self.total(row),
            created_at=self.required_created_at(row),
            payment_ref=row.custbody_rs_payment_ref or None,
            status=status,
            applications=tuple(
                rc.PaymentApplication(invoice, rc.Money(amount, currency), applied_at[invoice])
                for invoice, amount in applied.items()
            ),
            external_id=row.externalid or None,
            source=self.source(row),
            memo=row.memo or "",
        )

    def deposit_applications(
        self, record_id: str, row: HeaderRow
    ) -> tuple[rc.DepositApplication, ...]:
        currency = self.currency(row)
        result = []
        for application in self.fetched.applications.values():
            if application.deposit.id != record_id:
                continue
            for line in application.apply.items:
                doc = self.headers.get(line.doc.id)
                if line.apply and doc is not None and doc.type == TranType.INVOICE:
                    result.append(
                        rc.DepositApplication(line.doc.id, rc.Money(line.amount, currency))
                    )
        return tuple(result)

    def customer_refund(self, record_id: str, row: HeaderRow) -> rc.CustomerRefund:
        endpoint = f"GET /record/v1/customerRefund/{record_id}"
        record = self.fetched.refunds.get(record_id)
        if record is None:
            raise bad("the customer refund's record was not read", "$", endpoint)
        if record.account is None:
            raise bad("required value missing", "$.account", endpoint)
        currency = self.currency(row)
        applications = []
        for index, line in enumerate(record.apply.items):
            if not line.apply:
                continue
            where = f"$.apply.items[{index}].doc"
            doc = self.headers.get(line.doc.id)
            if doc is None:
                raise bad(f"applied to {line.doc.id}, which was not read", where, endpoint)
            if doc.type == TranType.DEPOSIT_APPLICATION:
                application = self.fetched.applications.get(line.doc.id)
                if application is None:
                    raise bad(f"deposit application {line.doc.id} was not read", where, endpoint)
                kind, target = rc.RefundApplicationKind.CUSTOMER_DEPOSIT, application.deposit.id
            elif doc.type in _APPLICATION_KINDS:
                kind, target = _APPLICATION_KINDS[doc.type], line.doc.id
            else:
                # Left out, the refund would apply less than it pays out; left out whole,
                # money already paid back would look unpaid.
                raise bad(
                    f"applied to {doc.type} {line.doc.id}, a kind of record refund sync does "
                    "not model",
                    where,
                    endpoint,
                )
            applications.append(rc.RefundApplication(kind, target, rc.Money(line.amount, currency)))
        return rc.CustomerRefund(
            internal_id=record_id,
            customer_id=self.required(row, "entity"),
            amount=self.total(row),
            applications=tuple(applications),
            account=self.account(record.account.id),
            memo=row.memo or "",
            external_id=row.externalid or None,
            payment_id=row.custbody_rs_payment or None,
            source=self.source(row),
            deposit_id=self.deposit_of.get(record_id),
            created_at=self.created_at(row),
        )

    def deposit(self, record_id: str, row: HeaderRow) -> rc.Deposit | None:
        """A payout deposit; None for a deposit that is no payout deposit."""
        if not row.custbody_rs_payout_ref:
            log.info("netsuite: deposit %s has no payout reference; not read", record_id)
            return None
        endpoint = f"GET /record/v1/deposit/{record_id}"
        record = self.fetched.deposits.get(record_id)
        if record is None:
            raise bad("the deposit's record was not read", "$", endpoint)
        currency = self.currency(row)
        lines = []
        for index, line in enumerate(record.payment.items):
            if not line.deposit:
                continue
            kind = _DEPOSITED_KINDS.get(line.type.id)
            if kind is None:
                raise bad(
                    f"payout deposit takes {line.type.id} {line.id}, a kind of record refund "
                    "sync does not deposit",
                    f"$.payment.items[{index}].type.id",
                    endpoint,
                )
            lines.append(
                rc.DepositPaymentLine(kind, line.id, rc.Money(line.paymentAmount, currency))
            )
        others = []
        for index, other in enumerate(record.other.items):
            refs: list[Any] = []
            if other.custcol_rs_source_refs:
                try:
                    refs = json.loads(other.custcol_rs_source_refs)
                except ValueError:
                    refs = None  # type: ignore[assignment]
                if not isinstance(refs, list):
                    raise bad(
                        "not a JSON list",
                        f"$.other.items[{index}].custcol_rs_source_refs",
                        endpoint,
                    )
            others.append(
                rc.OtherDepositLine(
                    account=other.account.id,
                    amount=rc.Money(other.amount, currency),
                    memo=other.memo or "",
                    source_refs=tuple(str(ref) for ref in refs),
                )
            )
        return rc.Deposit(
            internal_id=record_id,
            payout_ref=row.custbody_rs_payout_ref,
            amount=self.total(row),
            payment_lines=tuple(lines),
            other_lines=tuple(others),
            account=record.account.id if record.account is not None else None,
            external_id=row.externalid or None,
        )


def build_snapshot(
    fetched: Fetched,
    *,
    undeposited_funds_account: str,
    currencies: Mapping[str, str],
    tax_codes: Mapping[str, Decimal] | None = None,
    tax_rounding: rc.TaxRounding = rc.TaxRounding.ROUND_OFF,
) -> rc.LedgerSnapshot:
    """The snapshot of what one load fetched.

    ``undeposited_funds_account`` is the internal ID of the account's Undeposited Funds: a
    customer refund posted to it reads as :data:`UNDEPOSITED_FUNDS`, as the core names it;
    ``currencies`` maps currency internal IDs to ISO codes; ``tax_codes`` the account's tax
    codes (tax item internal IDs) to their rates in percent, and ``tax_rounding`` its tax
    rounding method, with which each line's tax is attributed (see the module).
    """
    return _Assembler(
        fetched, undeposited_funds_account, currencies, tax_codes or {}, tax_rounding
    ).snapshot()
