"""``refund-sync doctor`` for NetSuite: every assumption the ledger makes, checked on the account.

Read-only: SuiteQL queries and REST GETs, never a write. The checks, in order:

1. the credentials (one SuiteQL query);
2. every SuiteQL table and column the ledger names, each run once (custom fields included);
3. on the account's own recent transactions: the ``Payment`` link kind and direction the ledger
   reads, and its amounts against the payment's REST ``apply`` lines; the sign of item lines of
   every transaction type the ledger reads lines of; the status letters it maps; the
   ``undepFunds`` value it writes on payments; the sign of customer refund lines on deposits;
4. the metadata catalog (``Accept: application/swagger+json``) of every record type the ledger
   writes: each body field, sublist and sublist field it sends, custom fields included;
5. the configured items and accounts (seen on recent lines and GL lines), and currencies.

A check that finds nothing to look at (an account with no recent credit memo) is *not
observable*, never a pass or a failure; only a contradiction fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import refund_core as rc
from refund_adapters._decode import parse_json
from refund_adapters._doctor import Check, Confidence, Verdict
from refund_adapters._http import UpstreamAuthError

from . import _suiteql as q
from ._client import NetSuiteClient, NetSuiteRejectedError
from ._fields import (
    ITEM_LINE_SIGNS,
    PAYMENT_STATUS_CODES,
    REST_TYPES,
    RMA_STATUS_CODES,
    Custom,
    TranType,
)
from ._wire import DepositRecord, PaymentRecord, decode

__all__ = ["ADAPTER_COLUMNS", "WRITTEN", "NetSuiteDoctor"]

VENDOR = "netsuite"

#: SuiteQL columns the ledger names, by table.
ADAPTER_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "transaction": (
        "id",
        "type",
        "entity",
        "trandate",
        "externalid",
        "memo",
        "status",
        "currency",
        "foreigntotal",
        *q.BODY_CUSTOM_COLUMNS,
    ),
    "transactionline": (
        "transaction",
        "id",
        "linesequencenumber",
        "mainline",
        "taxline",
        "iscogs",
        "itemtype",
        "item",
        "createdfrom",
        "quantity",
        "foreignamount",
        *q.LINE_CUSTOM_COLUMNS,
    ),
    "previoustransactionlinelink": (
        "previousdoc",
        "previousline",
        "previoustype",
        "nextdoc",
        "nextline",
        "nexttype",
        "linktype",
        "foreignamount",
        "lastmodifieddate",
    ),
}
_TABLE_FACTS = {
    "transaction": ("suiteql.json transaction columns (FIVETRAN-SRC, PUB-AR)", Confidence.MULTI),
    "transactionline": (
        "suiteql.json transactionline columns (FIVETRAN-SRC, CDATA, PUB-GARAGE)",
        Confidence.MULTI,
    ),
    "previoustransactionlinelink": (
        "suiteql.json link columns (TD-RELATED, CDATA, PUB-AR)",
        Confidence.MULTI,
    ),
}

#: Credit lines say whether they are taxable, and under which code (TAX-3).
_CREDIT_LINE = ("item", "amount", "quantity", "taxCode", "isTaxable", *q.LINE_CUSTOM_COLUMNS)
_CREDIT_BODY = (
    "externalId",
    "memo",
    "shippingCost",
    Custom.SOURCE.value,
    Custom.SHIPPING.value,
    Custom.SALES_ORDER.value,
    Custom.SYNCED_MARK.value,
    Custom.SYNCED_ID.value,
    Custom.SYNCED_PAYMENT.value,
    Custom.SYNCED_GIFT_CARD.value,
)
#: What the ledger writes, by record type: body fields, and each sublist's line fields.
WRITTEN: Mapping[str, tuple[tuple[str, ...], Mapping[str, tuple[str, ...]]]] = {
    "creditMemo": ((*_CREDIT_BODY, Custom.PAYMENT.value), {"item": _CREDIT_LINE}),
    "cashRefund": (_CREDIT_BODY, {"item": _CREDIT_LINE}),
    "customerRefund": (
        (
            "externalId",
            "account",
            "memo",
            "customer",
            "currency",
            Custom.SOURCE.value,
            Custom.PAYMENT.value,
        ),
        {"apply": ("doc", "apply", "amount"), "deposit": ("doc", "apply", "amount")},
    ),
    "deposit": (
        (
            "externalId",
            "currency",
            "account",
            Custom.SOURCE.value,
            Custom.PAYOUT_REF.value,
        ),
        {
            "payment": ("id", "deposit", "paymentAmount"),
            "other": ("account", "amount", "memo", Custom.SOURCE_REFS.value),
        },
    ),
    "customerPayment": (
        (
            "externalId",
            "customer",
            "currency",
            "payment",
            "autoApply",
            "memo",
            "tranDate",
            "undepFunds",
            "account",
            Custom.SOURCE.value,
            Custom.EVENT_TIME.value,
            Custom.FAILURE_MARK.value,
            Custom.PAYMENT_FAILED.value,
        ),
        {"apply": ("doc", "apply")},
    ),
}

#: Where the sign the ledger reads each type's item lines with comes from.
_SIGN_FACTS: Mapping[TranType, tuple[str, Confidence]] = {
    TranType.INVOICE: (
        "suiteql.json signs: PUB-GARAGE, PUB-BC, PUB-FR, FIVETRAN-DBT",
        Confidence.MULTI,
    ),
    TranType.CASH_SALE: ("suiteql.json signs: PUB-GARAGE, PUB-BC", Confidence.MULTI),
    TranType.SALES_ORDER: (
        "suiteql.json signs: inference from the invoice's side",
        Confidence.UNKNOWN,
    ),
    TranType.CREDIT_MEMO: ("suiteql.json signs: PUB-GARAGE", Confidence.SINGLE),
    TranType.CASH_REFUND: ("suiteql.json signs: PUB-GARAGE", Confidence.SINGLE),
    TranType.RETURN_AUTHORIZATION: (
        "no source; the credit side of the memo it becomes",
        Confidence.UNKNOWN,
    ),
}


def _check(  # noqa: PLR0917 - a report row: its columns in reading order
    name: str,
    assumption: str,
    fact: str,
    confidence: Confidence,
    verdict: Verdict,
    evidence: str,
    remedy: str = "",
) -> Check:
    return Check(VENDOR, name, assumption, fact, confidence, verdict, evidence, remedy)


def _ids(values: Iterable[Any], limit: int = 5) -> str:
    listed = [str(value) for value in values]
    more = f" and {len(listed) - limit} more" if len(listed) > limit else ""
    return ", ".join(listed[:limit]) + more


class NetSuiteDoctor:
    """The checks of one NetSuite account (see the module docstring).

    ``recent`` is how many of the latest transactions of each type are looked at.
    """

    def __init__(
        self,
        client: NetSuiteClient,
        *,
        undeposited_funds_account: str,
        currencies: Mapping[str, str],
        settings: rc.RefundSettings | None = None,
        recent: int = 25,
    ) -> None:
        self.client = client
        self.undeposited = undeposited_funds_account
        self.currencies = dict(currencies)
        self.settings = settings
        self.recent = recent

    async def _rows(self, query: str, limit: int = 1000) -> tuple[Mapping[str, Any], ...]:
        page = await self.client.suiteql_page(query, limit=limit, offset=0)
        return page.items

    async def _recent(self, kind: TranType) -> list[str]:
        rows = await self._rows(
            f"SELECT t.id FROM transaction t WHERE t.type = {q.quote(kind)} ORDER BY t.id DESC",
            limit=self.recent,
        )
        return [str(row["id"]) for row in rows]

    async def run(self) -> tuple[Check, ...]:
        """Every check, in order; only the credentials check when credentials are refused."""
        credentials = await self._credentials()
        if credentials.failed:
            return (credentials,)
        checks = [credentials]
        for table in ADAPTER_COLUMNS:
            checks.append(await self._columns(table))
        checks.append(await self._payment_links())
        for kind in ITEM_LINE_SIGNS:
            checks.append(await self._line_sign(kind))
        checks.append(await self._status_letters(TranType.PAYMENT, set(PAYMENT_STATUS_CODES)))
        checks.append(
            await self._status_letters(TranType.RETURN_AUTHORIZATION, set(RMA_STATUS_CODES))
        )
        checks.append(await self._undeposited_payments())
        checks.append(await self._refund_lines_on_deposits())
        for rest_type in WRITTEN:
            checks.append(await self._catalog(rest_type))
        checks.extend(await self._configured())
        return tuple(checks)

    # -- 1. credentials ----------------------------------------------------------------------

    async def _credentials(self) -> Check:
        try:
            await self._rows("SELECT t.id FROM transaction t ORDER BY t.id", limit=1)
        except UpstreamAuthError as exc:
            return _check(
                "credentials",
                "the configured credentials may run SuiteQL and read records",
                "TBA / OAuth 2.0 per Oracle (section_1534941295)",
                Confidence.ORACLE,
                Verdict.FAILS,
                f"HTTP {exc.status}: {exc}",
                "check the token, its role's REST Web Services and SuiteAnalytics Workbook "
                "permissions, and the Login Audit Trail",
            )
        return _check(
            "credentials",
            "the configured credentials may run SuiteQL and read records",
            "TBA / OAuth 2.0 per Oracle (section_1534941295)",
            Confidence.ORACLE,
            Verdict.HOLDS,
            "a SuiteQL query was answered",
        )

    # -- 2. columns --------------------------------------------------------------------------

    async def _columns(self, table: str) -> Check:
        fact, confidence = _TABLE_FACTS[table]
        missing: list[str] = []
        for column in ADAPTER_COLUMNS[table]:
            try:
                await self._rows(f"SELECT x.{column} FROM {table} x", limit=1)
            except NetSuiteRejectedError as exc:
                missing.append(f"{column} ({exc.details[0].detail if exc.details else exc})")
        columns = ADAPTER_COLUMNS[table]
        if missing:
            return _check(
                f"suiteql.{table}",
                f"SuiteQL serves {table}.{', '.join(columns)}",
                fact + "; custom fields: the library's own",
                confidence,
                Verdict.FAILS,
                f"refused: {'; '.join(missing)}",
                "create the missing custom fields (docs/netsuite-standin.md lists them) or, for "
                "a standard column, report it: the adapter cannot read this account",
            )
        return _check(
            f"suiteql.{table}",
            f"SuiteQL serves {table}.{', '.join(columns)}",
            fact + "; custom fields: the library's own",
            confidence,
            Verdict.HOLDS,
            f"each of the {len(columns)} columns ran once",
        )

    # -- 3. links, signs, statuses, values ---------------------------------------------------

    async def _payment_links(self) -> Check:
        name = "link.payment"
        assumption = (
            "a payment's invoice applications are link rows linktype 'Payment', previoustype "
            "'CustInvc' (previousdoc = invoice), nexttype 'CustPymt', foreignamount = the amount "
            "applied, as the payment's REST apply lines say"
        )
        fact = "suiteql.json link_types (PUB-PAYLINK, PUB-AR, PUB-CASHAPP, PUB-NTLL-PAY)"
        payments = await self._recent(TranType.PAYMENT)
        for payment_id in payments[:5]:
            record = await self._read(f"record/v1/customerPayment/{payment_id}", PaymentRecord)
            rest: dict[str, Decimal] = {}
            for line in record.apply.items:
                if line.apply:
                    rest[line.doc.id] = rest.get(line.doc.id, Decimal(0)) + line.amount
            if not rest:
                continue
            rows = await self._rows(
                "SELECT lk.previousdoc, lk.previousline, lk.nextline, lk.foreignamount "
                f"FROM previoustransactionlinelink lk WHERE lk.nextdoc = {q.quote(payment_id)} "
                f"AND {q.PAYMENT_LINK} ORDER BY lk.previousdoc"
            )
            links: dict[str, Decimal] = {}
            for row in rows:
                doc = str(row["previousdoc"])
                links[doc] = links.get(doc, Decimal(0)) + Decimal(str(row.get("foreignamount", 0)))
            if links != rest:
                return _check(
                    name,
                    assumption,
                    fact,
                    Confidence.MULTI,
                    Verdict.FAILS,
                    f"payment {payment_id}: its apply lines {_amounts(rest)}, its Payment links "
                    f"{_amounts(links) or 'none'}",
                    "the account links payments otherwise: the adapter would misread what a "
                    "payment is applied to; report it before syncing",
                )
            return _check(
                name,
                assumption,
                fact,
                Confidence.MULTI,
                Verdict.HOLDS,
                f"payment {payment_id}: {len(rest)} application(s), links match its apply lines",
            )
        return _check(
            name,
            assumption,
            fact,
            Confidence.MULTI,
            Verdict.NOT_OBSERVABLE,
            f"no applied payment among {min(len(payments), 5)} recent payments",
        )

    async def _line_sign(self, kind: TranType) -> Check:
        sign = ITEM_LINE_SIGNS[kind]
        word = "negative" if sign < 0 else "positive"
        fact, confidence = _SIGN_FACTS[kind]
        name = f"sign.{REST_TYPES[kind]}"
        assumption = (
            f"{REST_TYPES[kind]} item lines (mainline, taxline, iscogs 'F') carry {word} "
            "foreignamount"
        )
        ids = await self._recent(kind)
        if not ids:
            return _check(
                name,
                assumption,
                fact,
                confidence,
                Verdict.NOT_OBSERVABLE,
                f"no recent {REST_TYPES[kind]}",
            )
        rows = await self._rows(q.lines_query(ids))
        amounts = [
            (row, Decimal(str(row["foreignamount"])))
            for row in rows
            if row.get("foreignamount") is not None
        ]
        wrong = [(row, amount) for row, amount in amounts if amount and (amount > 0) != (sign > 0)]
        if not amounts:
            return _check(
                name,
                assumption,
                fact,
                confidence,
                Verdict.NOT_OBSERVABLE,
                f"{len(ids)} recent {REST_TYPES[kind]} with no item lines",
            )
        if wrong:
            return _check(
                name,
                assumption,
                fact,
                confidence,
                Verdict.FAILS,
                f"{len(wrong)} of {len(amounts)} lines are not {word}, e.g. "
                + _ids(f"{r['transaction']}/{r['id']} {a}" for r, a in wrong),
                "this account signs these lines otherwise: the adapter would misread amounts; "
                "report it before syncing",
            )
        return _check(
            name,
            assumption,
            fact,
            confidence,
            Verdict.HOLDS,
            f"{len(amounts)} lines on {len(ids)} recent {REST_TYPES[kind]}, all {word}",
        )

    async def _status_letters(self, kind: TranType, known: set[str]) -> Check:
        name = f"status.{REST_TYPES[kind]}"
        assumption = f"{REST_TYPES[kind]} status letters are among {', '.join(sorted(known))}"
        fact = (
            "suiteql.json status_codes (prolecto 2013, PUB-BILLABEX)"
            if kind is TranType.PAYMENT
            else "saved-search status list (prolecto 2013): not in the facts pack"
        )
        confidence = Confidence.MULTI if kind is TranType.PAYMENT else Confidence.UNKNOWN
        rows = await self._rows(
            f"SELECT t.id, t.status FROM transaction t WHERE t.type = {q.quote(kind)} "
            "ORDER BY t.id DESC",
            limit=self.recent,
        )
        if not rows:
            return _check(
                name,
                assumption,
                fact,
                confidence,
                Verdict.NOT_OBSERVABLE,
                f"no recent {REST_TYPES[kind]}",
            )
        unknown = [row for row in rows if row.get("status") not in known]
        if unknown:
            return _check(
                name,
                assumption,
                fact,
                confidence,
                Verdict.FAILS,
                "unknown letters: " + _ids(f"{r['id']}={r.get('status')}" for r in unknown),
                "the adapter would refuse these records; report the letters' meaning",
            )
        letters = sorted({str(row.get("status")) for row in rows})
        return _check(
            name,
            assumption,
            fact,
            confidence,
            Verdict.HOLDS,
            f"{len(rows)} recent {REST_TYPES[kind]}: letters {', '.join(letters)}",
        )

    async def _undeposited_payments(self) -> Check:
        name = "value.undepFunds"
        assumption = (
            'a payment posted to Undeposited Funds has undepFunds {"id": "T"} (written on '
            "refund reversals)"
        )
        fact = (
            "records.json customerPayment.undepFunds: an object with no enum (facts pack open "
            "question 6)"
        )
        rows = await self._rows(
            "SELECT t.id FROM transaction t WHERE t.type = 'CustPymt' AND t.status = 'B' "
            "ORDER BY t.id DESC",
            limit=self.recent,
        )
        for row in rows:
            payment_id = str(row["id"])
            response = await self.client.request(
                "GET",
                f"record/v1/customerPayment/{payment_id}",
                what="doctor: read a payment",
                repeatable=True,
            )
            body = _object(response.content)
            value = body.get("undepFunds")
            if isinstance(value, dict) and value.get("id") == "T":
                return _check(
                    name,
                    assumption,
                    fact,
                    Confidence.UNKNOWN,
                    Verdict.HOLDS,
                    f"payment {payment_id}: undepFunds id 'T'",
                )
            if isinstance(value, dict) and value.get("id") not in (None, "F"):
                return _check(
                    name,
                    assumption,
                    fact,
                    Confidence.UNKNOWN,
                    Verdict.FAILS,
                    f"payment {payment_id}: undepFunds {value!r}",
                    "the account takes another value: report it before syncing failed refunds",
                )
        return _check(
            name,
            assumption,
            fact,
            Confidence.UNKNOWN,
            Verdict.NOT_OBSERVABLE,
            f"no undeposited payment posted through undepFunds among {len(rows)} looked at",
        )

    async def _refund_lines_on_deposits(self) -> Check:
        name = "sign.deposit.refund-lines"
        assumption = (
            "a customer refund on a bank deposit's payment sublist has a negative paymentAmount"
        )
        fact = "records.json deposit-paymentElement (no sign documented)"
        deposits = await self._recent(TranType.DEPOSIT)
        records = await asyncio.gather(
            *(
                self._read(f"record/v1/deposit/{deposit_id}", DepositRecord)
                for deposit_id in deposits
            )
        )
        lines = [
            (record.id, line)
            for record in records
            for line in record.payment.items
            if line.type.id == TranType.CUSTOMER_REFUND and line.deposit
        ]
        if not lines:
            return _check(
                name,
                assumption,
                fact,
                Confidence.UNKNOWN,
                Verdict.NOT_OBSERVABLE,
                f"no customer refund on {len(deposits)} recent deposits",
            )
        wrong = [(deposit, line) for deposit, line in lines if line.paymentAmount > 0]
        if wrong:
            return _check(
                name,
                assumption,
                fact,
                Confidence.UNKNOWN,
                Verdict.FAILS,
                f"positive refund lines: {_ids(f'{d}/{line.id}' for d, line in wrong)}",
                "the account signs refund lines positive: payout deposits would be wrong",
            )
        return _check(
            name,
            assumption,
            fact,
            Confidence.UNKNOWN,
            Verdict.HOLDS,
            f"{len(lines)} customer refund lines, all negative",
        )

    async def _read(self, path: str, cls: type[Any]) -> Any:
        response = await self.client.request(
            "GET",
            path,
            what="doctor: read a record",
            params={"expandSubResources": "true"},
            repeatable=True,
        )
        return decode(response.content, cls, endpoint=f"GET /{path}")

    # -- 4. metadata catalog -----------------------------------------------------------------

    async def _catalog(self, rest_type: str) -> Check:
        body_fields, sublists = WRITTEN[rest_type]
        name = f"rest.{rest_type}"
        assumption = f"{rest_type} takes {', '.join(body_fields)}" + "".join(
            f"; {sub}[{', '.join(fields)}]" for sub, fields in sublists.items()
        )
        fact = "records.json (REST 2026.1 metadata); custom fields: the library's own"
        path = f"record/v1/metadata-catalog/{rest_type}"
        response = await self.client.request(
            "GET",
            path,
            what=f"doctor: metadata of {rest_type}",
            headers={"Accept": "application/swagger+json"},
            repeatable=True,
        )
        schemas = _object(response.content).get("components", {}).get("schemas", {})
        record = schemas.get(rest_type, {}).get("properties", {})
        missing = [field for field in body_fields if field not in record]
        for sublist, fields in sublists.items():
            element = schemas.get(f"{rest_type}-{sublist}Element", {}).get("properties", {})
            if sublist not in record:
                missing.append(f"{sublist} (sublist)")
                continue
            missing.extend(f"{sublist}.{field}" for field in fields if field not in element)
        if missing:
            return _check(
                name,
                assumption,
                fact,
                Confidence.ORACLE,
                Verdict.FAILS,
                f"not in the metadata catalog: {', '.join(missing)}",
                "create the missing custom fields and apply them to this record type "
                "(docs/netsuite-standin.md lists them)",
            )
        return _check(
            name,
            assumption,
            fact,
            Confidence.ORACLE,
            Verdict.HOLDS,
            "every field and sublist written is in the catalog",
        )

    # -- 5. configuration --------------------------------------------------------------------

    async def _configured(self) -> list[Check]:
        checks = []
        accounts: dict[str, str] = {"undeposited_funds_account": self.undeposited}
        items: dict[str, str] = {}
        if self.settings is not None:
            for field in (
                "deferred_revenue_account",
                "fee_account",
                "deposit_account",
                "pre_start_income_account",
            ):
                value = getattr(self.settings, field)
                if value is not None:
                    accounts[field] = value
            for field in ("partial_refund_item", "refund_item"):
                value = getattr(self.settings, field)
                if value is not None:
                    items[field] = value
        for field, account in accounts.items():
            rows = await self._rows(
                "SELECT tal.transaction FROM transactionaccountingline tal WHERE tal.account = "
                f"{q.quote(account)} ORDER BY tal.transaction DESC",
                limit=1,
            )
            checks.append(self._seen("account", field, account, rows, "a GL line posts to it"))
        for field, item in items.items():
            rows = await self._rows(
                f"SELECT tl.transaction FROM transactionline tl WHERE tl.item = {q.quote(item)} "
                "ORDER BY tl.transaction DESC",
                limit=1,
            )
            checks.append(self._seen("item", field, item, rows, "a transaction line uses it"))
        rows = await self._rows(
            "SELECT t.currency FROM transaction t ORDER BY t.id DESC", limit=self.recent * 4
        )
        seen = {str(row["currency"]) for row in rows if row.get("currency") is not None}
        configured = set(self.currencies.values())
        unknown = sorted(seen - configured)
        verdict = Verdict.HOLDS if configured <= seen and not unknown else Verdict.NOT_OBSERVABLE
        checks.append(
            _check(
                "config.currencies",
                f"currency internal IDs {self.currencies}",
                "configuration (no fact maps internal IDs to ISO codes)",
                Confidence.OWN,
                verdict,
                f"IDs on recent transactions: {', '.join(sorted(seen)) or 'none'}"
                + (f"; not configured: {', '.join(unknown)}" if unknown else ""),
            )
        )
        return checks

    @staticmethod
    def _seen(
        kind: str, field: str, value: str, rows: Sequence[Mapping[str, Any]], how: str
    ) -> Check:
        if rows:
            return _check(
                f"config.{field}",
                f"{kind} {value} ({field}) exists",
                "configuration",
                Confidence.OWN,
                Verdict.HOLDS,
                f"{how}: transaction {rows[0]['transaction']}",
            )
        return _check(
            f"config.{field}",
            f"{kind} {value} ({field}) exists",
            "configuration",
            Confidence.OWN,
            Verdict.NOT_OBSERVABLE,
            f"no recent transaction uses {kind} {value}: check it in NetSuite",
        )


def _amounts(values: Mapping[str, Decimal]) -> str:
    return ", ".join(f"{doc} {amount}" for doc, amount in sorted(values.items()))


def _object(content: bytes) -> dict[str, Any]:
    value = parse_json(content, service=VENDOR, endpoint="GET /record/v1")
    return value if isinstance(value, dict) else {}
