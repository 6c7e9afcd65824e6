"""The stand-in's record writes: transforms, creates and updates, as the REST record API does.

Every body is checked against the record type's fields (:data:`BODY_FIELDS`,
:data:`SUBLIST_FIELDS` and the account's custom fields) before anything is written, as NetSuite
does under ``X-NetSuite-PropertyNameValidation: Error``; one write is one SQLite transaction, so
a refused write leaves nothing behind. What is written takes NetSuite's shape
(:class:`~refund_adapters.netsuite._standin_store.Store` signs it and adds its lines).

Transforms served: invoice / return authorization to credit memo, cash sale / return
authorization to cash refund, credit memo / customer payment to customer refund (the source is
applied; the body's ``apply`` lines set amounts and may add other credits of the customer).
Creates served: a customer refund of customer deposits (its ``deposit`` sublist: no transform
makes one, ``records.json`` ``transforms_absent``), a bank deposit, a customer payment. A
customer refund POSTed with ``apply`` lines is refused: whether NetSuite takes one is an open
question of the facts pack (7), so the adapter must not come to rely on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
import httpx

import refund_core as rc

from ._fields import (
    DUPLICATE_RECORD,
    PAYMENT_STATUS_CODES,
    REST_TYPES,
    UNDEPOSITED_FUNDS,
    Custom,
    TranType,
)
from ._standin_facts import BODY_FIELDS, RECORD_TRANSFORMS, SUBLIST_FIELDS, StandInFacts
from ._standin_seed import Seeder, stamp
from ._standin_store import LineSpec, Store
from ._standin_wire import Refusal, amount_of, check_fields, ref_id, sublist_items

__all__ = ["RecordWrites"]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PAYMENT_LETTERS = {status: letter for letter, status in PAYMENT_STATUS_CODES.items()}
_CREDITS = (TranType.CREDIT_MEMO, TranType.CASH_REFUND)


class RecordWrites:
    """Write handlers of :class:`~refund_adapters.netsuite.NetSuiteStandIn`."""

    store: Store
    facts: StandInFacts
    undeposited_funds_account: str
    _clock: Any

    # -- helpers -----------------------------------------------------------------------------

    def new_id(self, external_id: str | None) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def existing(self, kind: TranType, record_id: str) -> dict[str, Any]:
        """The header of a record of ``kind`` by internal ID or ``eid:<external ID>``."""
        if record_id.startswith("eid:"):
            rows = self.store.rows(
                'SELECT * FROM "transaction" WHERE type = ? AND externalid = ?',
                (kind.value, record_id[4:]),
            )
        else:
            rows = self.store.rows(
                'SELECT * FROM "transaction" WHERE type = ? AND id = ?', (kind.value, record_id)
            )
        if not rows:
            raise Refusal(
                404,
                "NONEXISTENT_ID",
                "The record instance does not exist. Provide a valid record instance ID "
                f"({REST_TYPES[kind]} {record_id}).",
                "id",
            )
        return rows[0]

    def fields_of(self, rest_type: str) -> frozenset[str]:
        """Body fields a record type takes: its facts plus the account's custom fields."""
        return BODY_FIELDS.get(rest_type, frozenset()) | self.facts.custom_on(rest_type)

    def line_fields_of(self, rest_type: str, sublist: str) -> frozenset[str]:
        """Fields a sublist line takes (custom column fields only on item and other lines)."""
        base = SUBLIST_FIELDS.get((rest_type, sublist), frozenset())
        if sublist in ("item", "other"):
            base |= {
                name for name in self.facts.custom_on(rest_type) if name.startswith("custcol_")
            }
        return base

    def check_body(self, rest_type: str, body: Mapping[str, Any]) -> None:
        """Refuse any body property or sublist line field the record type does not have."""
        allowed = self.fields_of(rest_type)
        check_fields({k: v for k, v in body.items() if not k.startswith("custcol_")}, allowed)
        for key in body:
            if key.startswith("custcol_"):
                raise Refusal(400, "USER_ERROR", f"Invalid property name: {key}.", key)
        for (record, sublist), _fields in SUBLIST_FIELDS.items():
            if record != rest_type:
                continue
            for index, item in enumerate(sublist_items(body, sublist)):
                check_fields(
                    item, self.line_fields_of(rest_type, sublist), f"{sublist}.items[{index}]"
                )

    def check_external_id(self, kind: TranType, body: Mapping[str, Any]) -> str | None:
        """The body's external ID, refused when another record of the type has it."""
        external_id = body.get("externalId")
        if external_id is None:
            return None
        if not isinstance(external_id, str) or not external_id.strip():
            raise Refusal(400, "USER_ERROR", "externalId must be a non-empty string.", "externalId")
        taken = self.store.db.execute(
            'SELECT 1 FROM "transaction" WHERE type = ? AND externalid = ?',
            (kind.value, external_id),
        ).fetchone()
        if taken is not None:
            raise Refusal(
                400,
                DUPLICATE_RECORD,
                f"A {REST_TYPES[kind]} record with external ID {external_id} already exists.",
                "externalId",
            )
        return external_id

    def trandate(self, body: Mapping[str, Any]) -> str | None:
        """``tranDate`` (a date, ``YYYY-MM-DD``) kept as midnight; else the clock's time."""
        value = body.get("tranDate")
        if value is not None:
            if not isinstance(value, str) or _DATE.fullmatch(value) is None:
                raise Refusal(
                    400,
                    "INVALID_CONTENT",
                    f"Invalid date value {value!r}: use YYYY-MM-DD.",
                    "tranDate",
                )
            try:
                day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
            except ValueError:
                raise Refusal(
                    400,
                    "INVALID_CONTENT",
                    f"Invalid date value {value!r}: use YYYY-MM-DD.",
                    "tranDate",
                ) from None
            return stamp(day)
        return stamp(self._clock().replace(microsecond=0)) if self._clock is not None else None

    def custom_values(self, rest_type: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """The custom body fields of a write, checked to be text, checkbox or number."""
        values: dict[str, Any] = {}
        numeric = (
            Custom.SHIPPING.value,
            Custom.SYNCED_PAYMENT.value,
            Custom.SYNCED_GIFT_CARD.value,
        )
        for name in self.facts.custom_on(rest_type):
            if name not in body or name.startswith("custcol_"):
                continue
            value = body[name]
            if name in numeric:
                value = amount_of(value, name)
            elif value is not None and not isinstance(value, str | bool):
                raise Refusal(400, "USER_ERROR", "Expected text.", name)
            values[name] = value
        return values

    def created(self, request: httpx.Request, kind: TranType, record_id: str) -> httpx.Response:
        """``204`` with the new record's ``Location``."""
        base = str(request.url.copy_with(path="/services/rest", query=None))
        return httpx.Response(
            204, headers={"Location": f"{base}/record/v1/{REST_TYPES[kind]}/{record_id}"}
        )

    def currency_of(self, body: Mapping[str, Any], docs: Iterable[Mapping[str, Any]]) -> str:
        """The body's currency, else the documents'; all must agree."""
        given = body.get("currency")
        currency = ref_id(given, "currency") if given is not None else None
        if currency is not None and currency not in self.store.currencies.values():
            raise Refusal(
                400, "USER_ERROR", f"Invalid currency reference key {currency}.", "currency"
            )
        for doc in docs:
            if currency is None:
                currency = str(doc["currency"])
            elif str(doc["currency"]) != currency:
                raise Refusal(
                    400,
                    "USER_ERROR",
                    f"Transaction {doc['id']} is in another currency.",
                    "currency",
                )
        if currency is None:
            raise Refusal(400, "USER_ERROR", "Please enter a value for currency.", "currency")
        return currency

    def posting_account(self, body: Mapping[str, Any]) -> str:
        """The ``account`` a record posts to (required), never the core's placeholder name."""
        if body.get("account") is None:
            raise Refusal(400, "USER_ERROR", "Please enter a value for Account.", "account")
        account = ref_id(body["account"], "account")
        if account == UNDEPOSITED_FUNDS:
            raise Refusal(
                400, "INVALID_CONTENT", f"Invalid account reference key {account}.", "account"
            )
        return account

    # -- transforms --------------------------------------------------------------------------

    def transform(
        self,
        request: httpx.Request,
        body: dict[str, Any],
        kind: TranType,
        record_id: str,
        target: TranType,
    ) -> httpx.Response:
        """``POST /{type}/{id}/!transform/{target}``."""
        source_rest, target_rest = REST_TYPES[kind], REST_TYPES[target]
        if (source_rest, target_rest) not in RECORD_TRANSFORMS:
            raise Refusal(
                400,
                "INVALID_PARAMETER",
                f"Transformation of {source_rest} to {target_rest} is not allowed.",
            )
        source = self.existing(kind, record_id)
        self.check_body(target_rest, body)
        if target in _CREDITS:
            return self._credit(request, body, source, target)
        if target is TranType.CUSTOMER_REFUND:
            return self._refund_from(request, body, source)
        raise Refusal(
            400, "INVALID_PARAMETER", f"The stand-in does not make {target_rest} records."
        )

    def _credit(
        self, request: httpx.Request, body: dict[str, Any], source: dict[str, Any], target: TranType
    ) -> httpx.Response:
        target_rest = REST_TYPES[target]
        external_id = self.check_external_id(target, body)
        replace = {part.strip() for part in request.url.params.get("replace", "").split(",")}
        if "item" in replace:
            lines = [
                self._credit_line(target_rest, item, index)
                for index, item in enumerate(sublist_items(body, "item"))
            ]
        else:  # NetSuite copies the source's item lines, with their tax codes, into the record
            sign = self.facts.line_signs.get(source["type"], 1)
            lines = [
                LineSpec(
                    "",
                    line["item"],
                    sign * line["foreignamount"],
                    None if line.get("quantity") is None else sign * line["quantity"],
                    {
                        Custom.ORIGIN_LINE.value: line["id"],
                        Custom.ORDER_LINE_REF.value: line.get(Custom.ORDER_LINE_REF.value),
                        Custom.TAX_CODE.value: line.get("x_taxcode"),
                    },
                    tax=None
                    if line.get("x_taxcode") is None
                    else (line["x_taxcode"], Decimal(0), Decimal(0)),
                )
                for line in self.store.item_lines(source["id"])
            ]
        # NetSuite computes each taxable line's tax from its code's rate, per line (TAX-2).
        currency_code = self.store.currency_code(source.get("currency")) or "USD"
        lines = [self._taxed(line, currency_code) for line in lines]
        shipping = Decimal(0)
        if body.get("shippingCost") is not None:
            shipping = amount_of(body["shippingCost"], "shippingCost")
            if shipping < 0:
                raise Refusal(
                    400, "USER_ERROR", "Shipping cost cannot be negative.", "shippingCost"
                )
        if not lines and not shipping:
            raise Refusal(400, "USER_ERROR", "You must enter at least one line item.", "item")
        numbered = [
            LineSpec(str(number), line.item, line.amount, line.quantity, line.custom, line.tax)
            for number, line in enumerate(lines, start=1)
        ]
        new_id = self.new_id(external_id)
        total = self.store.add_transaction(
            record_id=new_id,
            kind=target,
            header={
                "entity": source.get("entity"),
                "trandate": self.trandate(body),
                "externalid": external_id,
                "memo": body.get("memo"),
                "status": "A",
                "currency": source.get("currency"),
                **self.custom_values(target_rest, body),
            },
            total=Decimal(0),
            lines=numbered,
            shipping=shipping,
            created_from=source["id"],
        )
        if total <= 0:
            raise Refusal(400, "USER_ERROR", "The total must be positive.", "item")
        return self.created(request, target, new_id)

    def _credit_line(self, rest_type: str, item: Mapping[str, Any], index: int) -> LineSpec:
        path = f"item.items[{index}]"
        amount = amount_of(item.get("amount"), f"{path}.amount")
        if amount <= 0:
            raise Refusal(400, "USER_ERROR", "A line amount must be positive.", f"{path}.amount")
        quantity = item.get("quantity")
        custom = {
            name: str(item[name])
            for name in self.line_fields_of(rest_type, "item")
            if name.startswith("custcol_") and item.get(name) is not None
        }
        tax = None
        taxable = item.get("isTaxable")
        if taxable is not None and not isinstance(taxable, bool):
            raise Refusal(
                400, "INVALID_PARAMETER", "isTaxable must be a boolean.", f"{path}.isTaxable"
            )
        if item.get("taxCode") is not None and taxable is not False:
            code = ref_id(item.get("taxCode"), f"{path}.taxCode")
            if code not in self.store.tax_codes:
                raise Refusal(
                    400,
                    "INVALID_KEY_OR_REF",
                    f"Invalid taxCode reference key {code}.",
                    f"{path}.taxCode",
                )
            tax = (code, Decimal(0), Decimal(0))  # rate and amount computed for the record
        return LineSpec(
            "",
            ref_id(item.get("item"), f"{path}.item"),
            amount,
            None if quantity is None else amount_of(quantity, f"{path}.quantity"),
            custom,
            tax=tax,
        )

    def _taxed(self, line: LineSpec, currency_code: str) -> LineSpec:
        """The line with the tax NetSuite computes for its code, per line (TAX-2)."""
        if line.tax is None:
            return line
        rate, tax = self.store.line_tax(line.tax[0], line.amount, currency_code)
        return attrs.evolve(line, tax=(line.tax[0], rate, tax))

    def _refund_from(
        self, request: httpx.Request, body: dict[str, Any], source: dict[str, Any]
    ) -> httpx.Response:
        """A customer refund transformed from a credit memo or payment: the source applied."""
        if sublist_items(body, "deposit"):
            raise Refusal(
                400,
                "INVALID_PARAMETER",
                "A transformed refund applies its source's credits.",
                "deposit",
            )
        lines = self._apply_lines(body, source["entity"])
        if all(doc["id"] != source["id"] for doc, _ in lines):
            lines.insert(0, (source, abs(source["foreigntotal"])))
        return self._write_refund(request, body, source["entity"], lines)

    def _apply_lines(
        self, body: Mapping[str, Any], customer: str
    ) -> list[tuple[dict[str, Any], Decimal]]:
        applied = []
        for index, item in enumerate(sublist_items(body, "apply")):
            path = f"apply.items[{index}]"
            if item.get("apply") is not True:
                continue
            doc_id = ref_id(item.get("doc"), f"{path}.doc")
            doc = self.store.header(doc_id)
            if doc is None or doc["type"] not in (TranType.CREDIT_MEMO, TranType.PAYMENT):
                raise Refusal(
                    400, "USER_ERROR", f"Invalid doc reference key {doc_id}.", f"{path}.doc"
                )
            if doc.get("entity") != customer:
                raise Refusal(
                    400, "USER_ERROR", f"{doc_id} belongs to another customer.", f"{path}.doc"
                )
            amount = amount_of(item.get("amount"), f"{path}.amount")
            if amount <= 0:
                raise Refusal(
                    400, "USER_ERROR", "An applied amount must be positive.", f"{path}.amount"
                )
            if doc["type"] == TranType.CREDIT_MEMO and amount > abs(doc["foreigntotal"]):
                # NetSuite totals a credit memo from its lines and their tax, whatever the plan
                # thought (TAX-2): no refund applies more of it than that total.
                raise Refusal(
                    400,
                    "USER_ERROR",
                    f"Unable to apply {amount} of credit memo {doc_id}: its total is "
                    f"{abs(doc['foreigntotal'])}.",
                    f"{path}.amount",
                )
            applied.append((doc, amount))
        return applied

    def _write_refund(
        self,
        request: httpx.Request,
        body: Mapping[str, Any],
        customer: str,
        applied: list[tuple[dict[str, Any], Decimal]],
        deposits: list[tuple[dict[str, Any], Decimal]] = (),  # type: ignore[assignment]
    ) -> httpx.Response:
        external_id = self.check_external_id(TranType.CUSTOMER_REFUND, body)
        if not applied and not deposits:
            raise Refusal(400, "USER_ERROR", "You must apply the refund to a credit.", "apply")
        account = self.posting_account(body)
        currency = self.currency_of(body, [doc for doc, _ in (*applied, *deposits)])
        new_id = self.new_id(external_id)
        total = sum((amount for _, amount in (*applied, *deposits)), Decimal(0))
        self.store.add_transaction(
            record_id=new_id,
            kind=TranType.CUSTOMER_REFUND,
            header={
                "entity": customer,
                "trandate": self.trandate(body),
                "externalid": external_id,
                "memo": body.get("memo"),
                "status": "R",
                "currency": currency,
                "x_account": account,
                **self.custom_values("customerRefund", body),
            },
            total=total,
        )
        line = 0
        for doc, amount in applied:
            line += 1
            self.store.add_sublist_line(
                new_id, "apply", line, {"doc": doc["id"], "doctype": doc["type"], "amount": amount}
            )
        refund_row = self.store.header(new_id)
        assert refund_row is not None
        for deposit, amount in deposits:
            line += 1
            application_id = self.new_id(None)
            Seeder(
                self.store, rc.LedgerSnapshot(), self.undeposited_funds_account
            ).deposit_application(application_id, deposit, ((refund_row, amount),))
            self.store.add_sublist_line(
                new_id,
                "apply",
                line,
                {
                    "doc": application_id,
                    "doctype": TranType.DEPOSIT_APPLICATION.value,
                    "amount": amount,
                },
            )
        return self.created(request, TranType.CUSTOMER_REFUND, new_id)

    # -- creates -----------------------------------------------------------------------------

    def create(
        self, request: httpx.Request, body: dict[str, Any], kind: TranType
    ) -> httpx.Response:
        """``POST /{type}``: customer refunds of deposits, bank deposits, customer payments."""
        rest = REST_TYPES[kind]
        self.check_body(rest, body)
        if kind is TranType.CUSTOMER_REFUND:
            if sublist_items(body, "apply"):
                raise Refusal(
                    400,
                    "INVALID_PARAMETER",
                    "The stand-in takes credits on a customer refund only by transform from the "
                    "credit memo or payment (whether NetSuite takes apply lines on a create is "
                    "not documented).",
                    "apply",
                )
            customer = ref_id(body.get("customer"), "customer")
            return self._write_refund(
                request, body, customer, [], self._deposit_lines(body, customer)
            )
        if kind is TranType.DEPOSIT:
            return self._create_deposit(request, body)
        if kind is TranType.PAYMENT:
            return self._create_payment(request, body)
        raise Refusal(
            400,
            "INVALID_PARAMETER",
            f"The stand-in does not create {rest} records; use a transform.",
        )

    def _deposit_lines(
        self, body: Mapping[str, Any], customer: str
    ) -> list[tuple[dict[str, Any], Decimal]]:
        lines = []
        for index, item in enumerate(sublist_items(body, "deposit")):
            path = f"deposit.items[{index}]"
            if item.get("apply") is not True:
                continue
            doc_id = ref_id(item.get("doc"), f"{path}.doc")
            doc = self.store.header(doc_id)
            if doc is None or doc["type"] != TranType.CUSTOMER_DEPOSIT:
                raise Refusal(
                    400, "USER_ERROR", f"Invalid doc reference key {doc_id}.", f"{path}.doc"
                )
            if doc.get("entity") != customer:
                raise Refusal(
                    400, "USER_ERROR", f"{doc_id} belongs to another customer.", f"{path}.doc"
                )
            amount = amount_of(item.get("amount"), f"{path}.amount")
            if amount <= 0:
                raise Refusal(
                    400, "USER_ERROR", "An applied amount must be positive.", f"{path}.amount"
                )
            lines.append((doc, amount))
        return lines

    def _create_deposit(self, request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        external_id = self.check_external_id(TranType.DEPOSIT, body)
        selected = []
        taken: set[str] = set()
        for deposited in self.store.rows("SELECT doc FROM x_sublist WHERE sublist = 'payment'"):
            taken.add(str(deposited["doc"]))
        for index, item in enumerate(sublist_items(body, "payment")):
            path = f"payment.items[{index}]"
            if item.get("deposit") is not True:
                continue
            doc_id = str(item.get("id", ""))
            doc = self.store.header(doc_id) if doc_id else None
            if doc is None or doc["type"] not in (TranType.PAYMENT, TranType.CUSTOMER_REFUND):
                raise Refusal(
                    400, "USER_ERROR", f"Invalid payment reference key {doc_id}.", f"{path}.id"
                )
            if doc_id in taken or doc.get("status") == "C":
                raise Refusal(
                    400, "USER_ERROR", f"Transaction {doc_id} is already deposited.", f"{path}.id"
                )
            if doc.get("x_account") != self.undeposited_funds_account:
                raise Refusal(
                    400,
                    "USER_ERROR",
                    f"Transaction {doc_id} was not posted to Undeposited Funds.",
                    f"{path}.id",
                )
            selected.append((doc, amount_of(item.get("paymentAmount"), f"{path}.paymentAmount")))
        others: list[dict[str, Any]] = []
        other_total = Decimal(0)
        for index, item in enumerate(sublist_items(body, "other")):
            path = f"other.items[{index}]"
            refs = item.get(Custom.SOURCE_REFS.value)
            if refs is not None and not isinstance(refs, str):
                raise Refusal(400, "USER_ERROR", "Expected text.", f"{path}.{Custom.SOURCE_REFS}")
            others.append(
                {
                    "account": ref_id(item.get("account"), f"{path}.account"),
                    "amount": amount_of(item.get("amount"), f"{path}.amount"),
                    "memo": item.get("memo") or None,
                    Custom.SOURCE_REFS.value: refs,
                }
            )
            other_total += others[-1]["amount"]
        total = sum((amount for _, amount in selected), Decimal(0)) + other_total
        if total < 0:
            raise Refusal(
                400, "USER_ERROR", "The net value of the deposit's lines is negative.", "payment"
            )
        currency = self.currency_of(body, (doc for doc, _ in selected))
        new_id = self.new_id(external_id)
        self.store.add_transaction(
            record_id=new_id,
            kind=TranType.DEPOSIT,
            header={
                "trandate": self.trandate(body),
                "externalid": external_id,
                "memo": body.get("memo"),
                "currency": currency,
                "x_account": ref_id(body["account"], "account") if body.get("account") else None,
                **self.custom_values("deposit", body),
            },
            total=total,
        )
        for number, (doc, amount) in enumerate(selected, start=1):
            self.store.add_sublist_line(
                new_id,
                "payment",
                number,
                {"doc": doc["id"], "doctype": doc["type"], "amount": amount},
            )
            if doc["type"] == TranType.PAYMENT:
                self.store.update(doc["id"], {"status": "C", Custom.PAYMENT_FAILED.value: None})
        for number, other in enumerate(others, start=1):
            self.store.add_sublist_line(new_id, "other", number, other)
        return self.created(request, TranType.DEPOSIT, new_id)

    def _create_payment(self, request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        external_id = self.check_external_id(TranType.PAYMENT, body)
        customer = ref_id(body.get("customer"), "customer")
        amount = amount_of(body.get("payment"), "payment")
        if amount <= 0:
            raise Refusal(400, "USER_ERROR", "The payment amount must be positive.", "payment")
        if any(item.get("apply") is True for item in sublist_items(body, "apply")):
            raise Refusal(
                400, "INVALID_PARAMETER", "The stand-in creates unapplied payments only.", "apply"
            )
        trandate = self.trandate(body)
        if trandate is None:
            raise Refusal(400, "USER_ERROR", "Please enter a value for tranDate.", "tranDate")
        undeposited = body.get("undepFunds")
        if undeposited is not None and (
            not isinstance(undeposited, dict) or undeposited.get("id") not in ("T", "F")
        ):
            raise Refusal(
                400,
                "INVALID_CONTENT",
                f'Invalid value {undeposited!r} for undepFunds: use {{"id": "T"}}.',
                "undepFunds",
            )
        if undeposited is not None and undeposited["id"] == "T":
            account, undep = self.undeposited_funds_account, "T"
        else:
            account, undep = self.posting_account(body), "F"
        new_id = self.new_id(external_id)
        self.store.add_transaction(
            record_id=new_id,
            kind=TranType.PAYMENT,
            header={
                "entity": customer,
                "trandate": trandate,
                "externalid": external_id,
                "memo": body.get("memo"),
                "status": _PAYMENT_LETTERS[rc.PaymentStatus.UNDEPOSITED],
                "currency": self.currency_of(body, ()),
                "x_account": account,
                "x_undep": undep,
                **self.custom_values("customerPayment", body),
            },
            total=amount,
        )
        return self.created(request, TranType.PAYMENT, new_id)

    # -- updates -----------------------------------------------------------------------------

    def patch(self, body: dict[str, Any], kind: TranType, record_id: str) -> httpx.Response:
        """``PATCH /{type}/{id}``: payment failure marks, sync marks, memo."""
        row = self.existing(kind, record_id)
        rest = REST_TYPES[kind]
        if kind is TranType.PAYMENT:
            allowed = {"memo", "apply", Custom.FAILURE_MARK.value, Custom.PAYMENT_FAILED.value}
        elif kind in _CREDITS:
            allowed = {
                "memo",
                Custom.SYNCED_MARK.value,
                Custom.SYNCED_ID.value,
                Custom.SYNCED_PAYMENT.value,
                Custom.SYNCED_GIFT_CARD.value,
            }
        else:
            raise Refusal(400, "INVALID_PARAMETER", f"The stand-in does not update {rest}.")
        self.check_body(rest, body)
        check_fields(body, allowed & self.fields_of(rest))
        for index, item in enumerate(sublist_items(body, "apply")):
            path = f"apply.items[{index}]"
            if item.get("apply") is not False:
                raise Refusal(400, "INVALID_PARAMETER", "The stand-in only unapplies lines.", path)
            self.store.remove_payment_link(ref_id(item.get("doc"), f"{path}.doc"), row["id"])
        values = self.custom_values(rest, body)
        if "memo" in body:
            values["memo"] = body["memo"]
        self.store.update(row["id"], values)
        return httpx.Response(204)
