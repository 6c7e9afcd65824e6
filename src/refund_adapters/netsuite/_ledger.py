"""The NetSuite Ledger: batched SuiteQL reads and idempotent REST record writes.

Reads: :meth:`NetSuiteLedger.load` finds the records a batch names and closes over every link
a decision follows (see :mod:`._load`): a fixed set of SuiteQL query shapes per batch, chunked
by IN-list size, plus one REST read per customer refund, deposit application and payout deposit
it meets, whose sublists are where NetSuite documents those links.

Writes: each :data:`refund_core.LedgerAction` becomes one REST call carrying the action's
external ID, by the transforms of the 2026.1 metadata where one exists: credit memos and cash
refunds from the invoice, cash sale or RMA, customer refunds from the credit memo or payment
they pay out (``!transform``); a customer refund of a customer deposit (no transform makes one),
deposits and refund reversals by create; status writes by PATCH with a custom-field mark (see
``docs/netsuite-standin.md``). A repeat creates nothing: a create NetSuite refuses (4xx) is
checked by looking its external ID up, and resolves to the record found, whatever the error
code; a write whose answer was lost is looked up the same way, and when absent is left to the
engine (set aside, and written by a later run, which looks first). Records this ledger wrote
are remembered by external ID (a bounded map, like the record types), so a customer refund
applied to the credit memo written just before it costs no lookup.

Customer refunds and refund reversals post to Undeposited Funds (STC-12): the refund names the
account's Undeposited Funds account (its internal ID, given to the constructor) as its
``account``, since ``undepFunds`` is no customerRefund field; the reversal, a customer payment,
sets ``undepFunds``. Currencies are named by their internal IDs, given to the constructor
(``currencies``): no table of the facts pack maps them to ISO codes.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Coroutine, Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final, TypeVar
from urllib.parse import quote as url_quote

import httpx

import refund_core as rc
from refund_adapters._http import UpstreamRejectedError, UpstreamUnavailableError

from . import _suiteql as q
from ._client import SERVICE, LostWriteError, NetSuiteClient, NetSuiteNotFoundError
from ._client import NetSuiteRejectedError as _Rejected
from ._fields import REST_TYPES, TRANSFORMS, UNDEPOSITED_FUNDS, Custom, TranType
from ._load import Loader
from ._read import build_snapshot, event_time_text, source_text
from ._wire import IdRow, IdTypeRow, Ref, decode, decode_rows

__all__ = ["NetSuiteLedger"]

log = logging.getLogger("refund_sync.netsuite")

#: Record types remembered (from loads and writes) before the memory is emptied.
TYPE_CACHE_SIZE = 10_000

#: External IDs of this ledger's own writes remembered before the memory is emptied.
RECEIPT_CACHE_SIZE = 10_000

_SUITEQL = "POST /query/v1/suiteql"
_R = TypeVar("_R")

#: Sent with every record write: NetSuite refuses a body property it does not know instead of
#: dropping it with a warning (REST API Browser: ``X-NetSuite-PropertyNameValidation``), so a
#: field sent to the wrong record type fails loudly, as it does against the stand-in.
WRITE_HEADERS: Final = {"X-NetSuite-PropertyNameValidation": "Error"}


class NetSuiteLedger:
    """A :class:`refund_core.Ledger` over NetSuite's REST record service and SuiteQL.

    ``client`` sends every request (one concurrency limiter, retries, error mapping).
    ``undeposited_funds_account`` is the internal ID of the account's Undeposited Funds account
    (Lists > Accounting > Accounts): customer refunds post to it (STC-12), and records posted to
    it read back as the core's ``"undeposited_funds"``. ``currencies`` maps each ISO code the
    account uses to its currency's internal ID (Lists > Accounting > Currencies).
    ``in_list_limit`` caps the IDs of one SuiteQL IN-list (Oracle's limit is 1000).
    ``tax_codes`` maps each tax code the account uses (the internal ID of its tax item, as
    item lines and tax lines name it) to its rate in percent (Setup > Accounting > Tax Codes),
    and ``tax_rounding`` is the account's tax rounding method (Set Up Taxes): the facts pack
    holds neither, so they are configuration, as currencies are (TAX-1..3).
    """

    def __init__(
        self,
        client: NetSuiteClient,
        *,
        undeposited_funds_account: str,
        currencies: Mapping[str, str],
        in_list_limit: int = q.MAX_IN_LIST,
        tax_codes: Mapping[str, Decimal | str] | None = None,
        tax_rounding: rc.TaxRounding | str = rc.TaxRounding.ROUND_OFF,
    ) -> None:
        if not isinstance(undeposited_funds_account, str) or not undeposited_funds_account.strip():
            raise rc.ConfigurationError(
                "NetSuiteLedger needs the internal ID of the Undeposited Funds account "
                f"(undeposited_funds_account), got {undeposited_funds_account!r}"
            )
        if undeposited_funds_account == UNDEPOSITED_FUNDS:
            raise rc.ConfigurationError(
                "undeposited_funds_account is an internal ID, not the core's name "
                f"{UNDEPOSITED_FUNDS!r}"
            )
        if not 1 <= in_list_limit <= q.MAX_IN_LIST:
            raise rc.ConfigurationError(
                f"IN-list limit must be 1..{q.MAX_IN_LIST}, got {in_list_limit}"
            )
        if not currencies:
            raise rc.ConfigurationError(
                "NetSuiteLedger needs the internal ID of each currency it meets "
                "(currencies, e.g. {'USD': '1'})"
            )
        for code, currency_id in currencies.items():
            rc.Currency(code)  # an unknown ISO code is a configuration error here, not later
            if not isinstance(currency_id, str) or not currency_id.strip():
                raise rc.ConfigurationError(
                    f"currency {code}: expected its internal ID as text, got {currency_id!r}"
                )
        if len(set(currencies.values())) != len(currencies):
            raise rc.ConfigurationError("two currencies share one internal ID")
        self.tax_codes = _tax_codes(tax_codes or {})
        try:
            self.tax_rounding = rc.TaxRounding(tax_rounding)
        except ValueError:
            raise rc.ConfigurationError(
                f"tax_rounding must be one of {', '.join(m.value for m in rc.TaxRounding)}, "
                f"got {tax_rounding!r}"
            ) from None
        self.client = client
        self.undeposited_funds_account = undeposited_funds_account
        self.currencies = dict(currencies)
        self.in_list_limit = in_list_limit
        self._types: dict[str, TranType] = {}
        self._receipts: dict[str, str] = {}
        self._currency_codes = {currency_id: code for code, currency_id in currencies.items()}

    # -- reads -----------------------------------------------------------------------------

    async def _suiteql(self, query: str, cls: type[_R]) -> list[_R]:
        return decode_rows(await self.client.suiteql(query), cls, endpoint=_SUITEQL)

    async def load(self, query: rc.LedgerQuery) -> rc.LedgerSnapshot:
        """Every record the query names, closed over the links decisions follow."""
        if query.is_empty:
            return rc.LedgerSnapshot()
        fetched = await Loader(self.client, self.in_list_limit).load(
            record_ids=query.record_ids,
            order_refs=query.order_refs,
            payment_refs=query.payment_refs,
            sources=(source_text(key) for key in query.sources),
        )
        for record_id, row in fetched.headers.items():
            self._remember(record_id, row.type)
        return build_snapshot(
            fetched,
            undeposited_funds_account=self.undeposited_funds_account,
            currencies=self._currency_codes,
            tax_codes=self.tax_codes,
            tax_rounding=self.tax_rounding,
        )

    def _remember(self, record_id: str, type_code: object) -> None:
        if len(self._types) >= TYPE_CACHE_SIZE:  # keep a long run's memory flat
            self._types.clear()
        with contextlib.suppress(ValueError):  # a type no write needs (journal, fulfilment...)
            self._types[record_id] = TranType(str(type_code))

    async def _type_of(self, record_id: str) -> TranType:
        if record_id not in self._types:
            for row in await self._suiteql(q.types_query((record_id,)), IdTypeRow):
                self._remember(row.id, row.type)
        if record_id not in self._types:
            raise NetSuiteNotFoundError(f"no transaction with internal ID {record_id}", details=())
        return self._types[record_id]

    def _currency_id(self, money: rc.Money) -> str:
        code = money.currency.code
        if code not in self.currencies:
            raise UpstreamRejectedError(
                f"currency {code} has no internal ID in this ledger's configuration "
                "(add it to currencies)",
                service=SERVICE,
            )
        return self.currencies[code]

    async def find_by_external_id(self, external_id: str) -> str | None:
        """The record carrying ``external_id`` (as its external ID or a status-write mark)."""
        rows = await self._suiteql(q.find_query(external_id), IdTypeRow)
        if not rows:
            return None
        self._remember(rows[0].id, rows[0].type)
        return rows[0].id

    async def list_unsynced_refunds(
        self,
        *,
        since: datetime,
        page_token: str | None,
        limit: int,
        storefront: str | None = None,
    ) -> rc.Page[str]:
        """Credit memos and cash refunds made in NetSuite and not yet synced out, by ID.

        With ``storefront``, only refunds of orders from that storefront (or naming none). The
        page token is the last ID of the previous page (keyset paging), so records marked
        synced between pages never shift the listing.
        """
        if limit < 1:
            raise rc.InvalidInputError(f"page limit must be at least 1, not {limit}")
        size = min(limit, q.MAX_IN_LIST)
        page = await self.client.suiteql_page(
            q.unsynced_query(since=since, after=page_token, storefront=storefront),
            limit=size,
            offset=0,
        )
        ids = tuple(row.id for row in decode_rows(page.items, IdRow, endpoint=_SUITEQL))
        return rc.Page(ids, ids[-1] if page.has_more and ids else None)

    # -- writes ----------------------------------------------------------------------------

    async def write(self, action: rc.LedgerAction) -> rc.WriteReceipt:
        """Perform one action; a repeat of an external ID already present creates nothing."""
        handlers: dict[type, Callable[[Any], Coroutine[Any, Any, rc.WriteReceipt]]] = {
            rc.CreateCreditMemo: self._credit_memo,
            rc.CreateCashRefund: self._cash_refund,
            rc.CreateCustomerRefund: self._customer_refund,
            rc.MarkPaymentFailed: self._payment_failed,
            rc.CreateDeposit: self._deposit,
            rc.MarkRecordSynced: self._record_synced,
            rc.CreateRefundReversal: self._refund_reversal,
        }
        handler = handlers.get(type(action))
        if handler is None:
            raise rc.InvalidInputError(f"not a NetSuite write: {type(action).__name__}")
        receipt = await handler(action)
        self._remember_receipt(receipt)
        log.info(
            "netsuite write %s -> %s (%s)",
            action.external_id,
            receipt.record_id,
            "created" if receipt.created else "already present",
        )
        return receipt

    def _remember_receipt(self, receipt: rc.WriteReceipt) -> None:
        if len(self._receipts) >= RECEIPT_CACHE_SIZE:  # keep a long run's memory flat
            self._receipts.clear()
        self._receipts[receipt.external_id] = receipt.record_id

    async def _resolve(self, ref: rc.RecordRef) -> str:
        if ref.internal_id is not None:
            return ref.internal_id
        external_id = ref.external_id or ""
        # A record this ledger wrote (the credit memo of an STC-4 pair): no lookup needed.
        known = self._receipts.get(external_id)
        if known is not None:
            return known
        found = await self.find_by_external_id(external_id)
        if found is None:
            raise rc.InvalidInputError(
                f"no NetSuite record with external ID {external_id} to apply to"
            )
        return found

    async def _lookup(self, target: TranType, external_id: str) -> str | None:
        path = f"record/v1/{REST_TYPES[target]}/eid:{url_quote(external_id, safe='')}"
        try:
            response = await self.client.request(
                "GET", path, what=f"look up {external_id}", repeatable=True
            )
        except NetSuiteNotFoundError:
            return None
        record_id = decode(response.content, Ref, endpoint=f"GET /{path}").id
        self._remember(record_id, target)
        return record_id

    async def _post(
        self,
        path: str,
        body: dict[str, Any],
        *,
        target: TranType,
        external_id: str,
        params: Mapping[str, str] | None = None,
    ) -> rc.WriteReceipt:
        """POST a create or transform; resolve refusals and lost answers by external ID.

        Sent once (a create is never repeated blindly). A lost answer is no reason to write
        again: the record is looked up by its external ID, and if it is absent the write did
        not happen and the error goes to the engine, which sets the event aside; the next run
        looks before it writes, as for any write begun and not completed.
        """
        try:
            response = await self.client.request(
                "POST",
                path,
                what=f"write {external_id}",
                params=params,
                body=body,
                headers=WRITE_HEADERS,
                repeatable=False,
            )
        except LostWriteError as exc:
            found = await self._lookup(target, external_id)
            if found is not None:
                return rc.WriteReceipt(external_id, found, created=True)
            log.info("netsuite write %s: answer lost, nothing written", external_id)
            raise LostWriteError(
                f"{exc.reason}; no record has external ID {external_id}, so nothing was "
                "written: a later run writes it",
                service=SERVICE,
                status=exc.status,
            ) from exc
        except _Rejected as exc:
            # NetSuite documents no error code for a taken external ID on REST, so any
            # refusal is checked: a record with this external ID means the write is a
            # repeat (IDM-2), whatever else the error says.
            found = await self._lookup(target, external_id)
            if found is not None:
                log.info(
                    "netsuite write %s refused (%s): already present as %s",
                    external_id,
                    exc.code or exc.status,
                    found,
                )
                return rc.WriteReceipt(external_id, found, created=False)
            raise
        record_id = _location_id(response) or await self._lookup(target, external_id)
        if record_id is None:
            raise UpstreamUnavailableError(
                f"write {external_id} succeeded but named no record", service=SERVICE
            )
        self._remember(record_id, target)
        return rc.WriteReceipt(external_id, record_id, created=True)

    async def _transform(
        self,
        source_id: str,
        target: TranType,
        allowed: tuple[TranType, ...],
        external_id: str,
        body: dict[str, Any],
        *,
        replace_items: bool = True,
    ) -> rc.WriteReceipt:
        source_type = await self._type_of(source_id)
        if source_type not in allowed or (source_type, target) not in TRANSFORMS:
            raise rc.InvalidInputError(
                f"cannot make a {REST_TYPES[target]} from {REST_TYPES[source_type]} {source_id}"
            )
        path = f"record/v1/{REST_TYPES[source_type]}/{source_id}/!transform/{REST_TYPES[target]}"
        # replace=item: the body's item lines replace the lines copied from the source.
        params = {"replace": "item"} if replace_items else None
        return await self._post(path, body, target=target, external_id=external_id, params=params)

    def _credit_body(
        self,
        action: rc.CreateCreditMemo | rc.CreateCashRefund,
    ) -> dict[str, Any]:
        taxed = any(
            line.tax is not None or line.kind is rc.CreditLineKind.TAX for line in action.lines
        )
        body: dict[str, Any] = {
            "externalId": action.external_id,
            Custom.SOURCE.value: source_text(action.source),
            # shippingCost makes NetSuite's total include shipping; the custom field keeps the
            # amount readable over SuiteQL, where the facts pack has no shipping column.
            Custom.SHIPPING.value: action.shipping.amount,
            "item": {"items": [self._credit_line(line, taxed) for line in action.lines]},
        }
        if not action.shipping.is_zero:
            body["shippingCost"] = action.shipping.amount
        if action.order_id is not None:
            body[Custom.SALES_ORDER.value] = action.order_id
        return body

    def _credit_line(self, line: rc.CreditLine, taxed: bool) -> dict[str, Any]:
        """One item line; in a record with tax, each line says whether it is taxable (TAX-3).

        A taxable line names its tax code (``taxCode``, ``isTaxable``: creditMemo item lines
        [O], cashRefund item lines by the pack's ``fields_note``) and NetSuite computes its
        tax; every other line of such a record is sent non-taxable, so no item's default tax
        code applies behind the plan's back. Explicit tax lines and shipping-item lines are
        marked in ``custcol_rs_line_kind``.
        """
        entry = _credit_line(line)
        if line.kind is not rc.CreditLineKind.ITEM:
            entry[Custom.LINE_KIND.value] = line.kind.value
        if line.tax is not None:
            configured = self.tax_codes.get(line.tax.code)
            if configured != line.tax.rate:
                raise rc.InvalidInputError(
                    f"tax code {line.tax.code} of a line of {line.item} is at "
                    f"{line.tax.describe()}, but this ledger's tax_codes say "
                    f"{'nothing' if configured is None else str(configured) + ' %'}"
                )
            entry["taxCode"] = {"id": line.tax.code}
            entry["isTaxable"] = True
            entry[Custom.TAX_CODE.value] = line.tax.code
        elif taxed:
            entry["isTaxable"] = False
            if line.tax_code is not None:
                entry[Custom.TAX_CODE.value] = line.tax_code
        return entry

    async def _credit_memo(self, action: rc.CreateCreditMemo) -> rc.WriteReceipt:
        body = self._credit_body(action)
        if action.refunded_payment_id is not None:
            body[Custom.PAYMENT.value] = action.refunded_payment_id
        return await self._transform(
            action.created_from,
            TranType.CREDIT_MEMO,
            (TranType.INVOICE, TranType.RETURN_AUTHORIZATION),
            action.external_id,
            body,
        )

    async def _cash_refund(self, action: rc.CreateCashRefund) -> rc.WriteReceipt:
        return await self._transform(
            action.created_from,
            TranType.CASH_REFUND,
            (TranType.CASH_SALE, TranType.RETURN_AUTHORIZATION),
            action.external_id,
            self._credit_body(action),
        )

    async def _customer_refund(self, action: rc.CreateCustomerRefund) -> rc.WriteReceipt:
        """A customer refund, by transform from the credit memo or payment it pays out.

        A refund of customer deposits (no transform makes one) is created with its ``deposit``
        lines instead.
        """
        credits = [
            app
            for app in action.applications
            if app.kind is not rc.RefundApplicationKind.CUSTOMER_DEPOSIT
        ]
        deposits = [
            app
            for app in action.applications
            if app.kind is rc.RefundApplicationKind.CUSTOMER_DEPOSIT
        ]
        if credits and deposits:
            raise rc.InvalidInputError(
                f"{action.external_id}: one customer refund cannot pay out credits and customer "
                "deposits together (no NetSuite transform makes such a refund)"
            )
        body: dict[str, Any] = {
            "externalId": action.external_id,
            # STC-12: customerRefund has no undepFunds field; its account is Undeposited Funds.
            "account": {"id": self.undeposited_funds_account},
            "memo": action.memo,
            Custom.SOURCE.value: source_text(action.source),
        }
        if action.payment_id is not None:
            body[Custom.PAYMENT.value] = action.payment_id
        if deposits:
            body["customer"] = {"id": action.customer_id}
            body["currency"] = {"id": self._currency_id(action.amount)}
            body["deposit"] = {"items": [await self._apply_line(app) for app in deposits]}
            return await self._post(
                "record/v1/customerRefund",
                body,
                target=TranType.CUSTOMER_REFUND,
                external_id=action.external_id,
            )
        lines = [await self._apply_line(app) for app in credits]
        body["apply"] = {"items": lines}
        return await self._transform(
            str(lines[0]["doc"]["id"]),
            TranType.CUSTOMER_REFUND,
            (TranType.CREDIT_MEMO, TranType.PAYMENT),
            action.external_id,
            body,
            replace_items=False,
        )

    async def _apply_line(self, app: rc.PlannedApplication) -> dict[str, Any]:
        return {
            "doc": {"id": await self._resolve(app.record)},
            "apply": True,
            "amount": app.amount.amount,
        }

    async def _deposit(self, action: rc.CreateDeposit) -> rc.WriteReceipt:
        payments = [
            {
                "id": await self._resolve(line.record),
                "deposit": True,
                "paymentAmount": line.amount.amount,
            }
            for line in action.payment_lines
        ]
        other = []
        for line in action.other_lines:
            entry: dict[str, Any] = {
                "account": {"id": line.account},
                "amount": line.amount.amount,
                "memo": line.memo,
            }
            if line.source_refs:
                entry[Custom.SOURCE_REFS.value] = _json_list(line.source_refs)
            other.append(entry)
        body: dict[str, Any] = {
            "externalId": action.external_id,
            "currency": {"id": self._currency_id(action.amount)},
            # The payout's key: a later load of the payout finds its deposit by it.
            Custom.SOURCE.value: source_text(action.source),
            Custom.PAYOUT_REF.value: action.payout_ref,
            "payment": {"items": payments},
            "other": {"items": other},
        }
        if action.account is not None:
            body["account"] = {"id": action.account}
        return await self._post(
            "record/v1/deposit", body, target=TranType.DEPOSIT, external_id=action.external_id
        )

    async def _refund_reversal(self, action: rc.CreateRefundReversal) -> rc.WriteReceipt:
        body: dict[str, Any] = {
            "externalId": action.external_id,
            "customer": {"id": action.customer_id},
            "currency": {"id": self._currency_id(action.amount)},
            "payment": action.amount.amount,
            "autoApply": False,
            "memo": action.memo,
            # tranDate is a date (YYYY-MM-DD, the UTC day of the failure); the moment itself,
            # which the core keeps as the payment's created_at, goes in a custom field.
            "tranDate": action.transaction_date.astimezone(UTC).date().isoformat(),
            Custom.EVENT_TIME.value: event_time_text(action.transaction_date),
            Custom.SOURCE.value: source_text(action.source),
            "apply": {"items": []},
        }
        if action.account == UNDEPOSITED_FUNDS:
            body["undepFunds"] = {"id": "T"}
        else:
            body["account"] = {"id": action.account}
        return await self._post(
            "record/v1/customerPayment",
            body,
            target=TranType.PAYMENT,
            external_id=action.external_id,
        )

    async def _payment_failed(self, action: rc.MarkPaymentFailed) -> rc.WriteReceipt:
        # STC-10: the payment's failed flag and mark, and its invoice applications removed; the
        # customer refund that reverses its effect is a separate action of the same plan.
        if await self._suiteql(q.failure_query(action.external_id), IdRow):
            return rc.WriteReceipt(action.external_id, action.payment_id, created=False)
        body = {
            Custom.FAILURE_MARK.value: action.external_id,
            Custom.PAYMENT_FAILED.value: True,
            "apply": {
                "items": [
                    {"doc": {"id": invoice_id}, "apply": False}
                    for invoice_id in action.unapply_invoice_ids
                ]
            },
        }
        await self.client.request(
            "PATCH",
            f"record/v1/customerPayment/{action.payment_id}",
            what=f"write {action.external_id}",
            body=body,
            headers=WRITE_HEADERS,
            repeatable=True,
        )
        return rc.WriteReceipt(action.external_id, action.payment_id, created=True)

    async def _record_synced(self, action: rc.MarkRecordSynced) -> rc.WriteReceipt:
        # NSC-7: the outgoing marker lives in custom body fields of the memo / cash refund.
        marks = q.synced_query(action.external_id, action.sync.external_id)
        if await self._suiteql(marks, IdRow):
            return rc.WriteReceipt(action.external_id, action.record_id, created=False)
        kind = (
            TranType.CREDIT_MEMO
            if action.record_kind is rc.SyncedRecordKind.CREDIT_MEMO
            else TranType.CASH_REFUND
        )
        body = {
            Custom.SYNCED_MARK.value: action.external_id,
            Custom.SYNCED_ID.value: action.sync.external_id,
            Custom.SYNCED_PAYMENT.value: action.sync.payment_part.amount,
            Custom.SYNCED_GIFT_CARD.value: action.sync.gift_card_part.amount,
        }
        await self.client.request(
            "PATCH",
            f"record/v1/{REST_TYPES[kind]}/{action.record_id}",
            what=f"write {action.external_id}",
            body=body,
            headers=WRITE_HEADERS,
            repeatable=True,
        )
        return rc.WriteReceipt(action.external_id, action.record_id, created=True)


def _credit_line(line: rc.CreditLine) -> dict[str, Any]:
    entry: dict[str, Any] = {"item": {"id": line.item}, "amount": line.amount.amount}
    if line.quantity is not None:
        entry["quantity"] = line.quantity
    if line.origin_line_id is not None:
        entry[Custom.ORIGIN_LINE.value] = line.origin_line_id
    if line.order_line_ref is not None:
        entry[Custom.ORDER_LINE_REF.value] = line.order_line_ref
    if line.account is not None:
        entry[Custom.ACCOUNT.value] = line.account
    return entry


def _tax_codes(codes: Mapping[str, Decimal | str]) -> dict[str, Decimal]:
    """The configured tax codes, their rates as exact percentages (a float is refused)."""
    rates: dict[str, Decimal] = {}
    for code, rate in codes.items():
        if not isinstance(code, str) or not code.strip():
            raise rc.ConfigurationError(f"a tax code is an internal ID as text, got {code!r}")
        if not isinstance(rate, Decimal | str):
            raise rc.ConfigurationError(
                f'tax code {code}: the rate is a percentage as text or Decimal ("8.25"), '
                f"got {type(rate).__name__} {rate!r}"
            )
        try:
            value = Decimal(rate)
        except ArithmeticError:
            raise rc.ConfigurationError(f"tax code {code}: {rate!r} is not a rate") from None
        if not value.is_finite() or value < 0:
            raise rc.ConfigurationError(f"tax code {code}: rate {rate!r} must be 0 or more")
        rates[code] = value
    return rates


def _json_list(values: Iterable[str]) -> str:
    return json.dumps(list(values))


def _location_id(response: httpx.Response) -> str | None:
    """The new record's ID from the ``Location`` header (``.../record/v1/<type>/<id>``)."""
    location = response.headers.get("location")
    if not location:
        return None
    last = httpx.URL(location).path.rstrip("/").rsplit("/", 1)[-1]
    return last or None
