"""The stand-in's state: SQLite tables named after SuiteQL's, rows signed as NetSuite signs them.

SuiteQL runs against ``transaction``, ``transactionline``, ``previoustransactionlinelink``
(and the view ``nexttransactionlinelink``, the same links seen from the other side [M]) and
``transactionaccountingline``. What only the REST record API shows (a customer refund's
``apply`` lines, a bank deposit's ``payment`` and ``other`` lines, a deposit application's
``deposit``, the account a record posts to) sits in ``x_``-prefixed columns and the
``x_sublist`` table: SuiteQL refuses those names (they are in no fact), as NetSuite would.

:meth:`Store.add_transaction` writes a header, its main line and its item lines with the signs
of :class:`~refund_adapters.netsuite._standin_facts.StandInFacts`, and the lines NetSuite adds:
on any record with taxed lines, a tax line per tax code (``taxline = 'T'``, the tax code's
item, the sum of its lines' tax); on invoices and cash sales a shipping line and cost-of-goods
lines for inventory items (``taxline`` / ``iscogs`` / ``itemtype`` flagged as NetSuite flags
them). Each taxed item line keeps its tax code, rate and amount (``x_taxcode``, ``x_taxrate``,
``x_taxamt``: what the REST record shows as ``taxCode``, ``taxRate1``, ``tax1Amt``, which
SuiteQL does not serve). The record's total is its lines, their tax and its shipping.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

import refund_core as rc

from ._fields import Custom, TranType
from ._standin_facts import StandInFacts

__all__ = ["LineSpec", "SalesTax", "Store", "stored"]

#: Columns whose text is a number (read back as Decimal, sent as JSON numbers).
NUMERIC_COLUMNS = frozenset(
    {
        "foreigntotal",
        "foreignamount",
        "quantity",
        "amount",
        "x_taxrate",
        "x_taxamt",
        Custom.SHIPPING.value,
        Custom.SYNCED_PAYMENT.value,
        Custom.SYNCED_GIFT_CARD.value,
    }
)
#: Integer columns (line numbers).
INTEGER_COLUMNS = frozenset({"linesequencenumber", "previousline", "nextline", "line"})

#: Types that carry the lines NetSuite adds (shipping, tax, cost of goods).
_BILLING = frozenset({TranType.INVOICE, TranType.CASH_SALE})


@attrs.frozen
class SalesTax:
    """A tax code of the account: its tax item's internal ID and its rate in percent."""

    code: str = "tax-1"
    rate: Decimal = Decimal("8.25")


@attrs.frozen
class LineSpec:
    """One item line as given (positive amounts); the store signs it.

    ``tax`` is the line's tax code, rate (percent) and tax amount, None for an untaxed line.
    """

    line_id: str
    item: str
    amount: Decimal
    quantity: Decimal | None = None
    custom: Mapping[str, Any] = attrs.field(factory=dict)
    tax: tuple[str, Decimal, Decimal] | None = None


def stored(value: Any) -> Any:
    """How a value is kept: Decimals as exact text, booleans as NetSuite's ``T`` / ``F``."""
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, Decimal):
        return str(value)
    return value


def _schema(facts: StandInFacts) -> str:
    body = sorted(name for name in facts.custom_fields if name.startswith("custbody_"))
    line = sorted(name for name in facts.custom_fields if name.startswith("custcol_"))
    body_columns = "".join(f", {name} TEXT" for name in body)
    line_columns = "".join(f", {name} TEXT" for name in line)
    return f"""
CREATE TABLE "transaction" (
    x_seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, tranid TEXT, trandate TEXT, entity TEXT,
    status TEXT, foreigntotal TEXT, externalid TEXT, memo TEXT, currency TEXT,
    x_account TEXT, x_undep TEXT, x_ref TEXT{body_columns},
    UNIQUE (type, externalid)
);
CREATE TABLE transactionline (
    "transaction" TEXT NOT NULL, id TEXT NOT NULL, linesequencenumber INTEGER NOT NULL,
    mainline TEXT NOT NULL DEFAULT 'F', taxline TEXT NOT NULL DEFAULT 'F',
    iscogs TEXT NOT NULL DEFAULT 'F', itemtype TEXT, item TEXT, createdfrom TEXT,
    foreignamount TEXT, quantity TEXT, memo TEXT, entity TEXT,
    x_kind TEXT NOT NULL, x_taxcode TEXT, x_taxrate TEXT, x_taxamt TEXT{line_columns}
);
CREATE TABLE previoustransactionlinelink (
    previousdoc TEXT NOT NULL, previousline INTEGER NOT NULL, previoustype TEXT NOT NULL,
    nextdoc TEXT NOT NULL, nextline INTEGER NOT NULL, nexttype TEXT NOT NULL,
    linktype TEXT NOT NULL, foreignamount TEXT, lastmodifieddate TEXT
);
CREATE VIEW nexttransactionlinelink AS SELECT * FROM previoustransactionlinelink;
CREATE TABLE transactionaccountingline (
    "transaction" TEXT NOT NULL, transactionline INTEGER NOT NULL, account TEXT NOT NULL,
    amount TEXT NOT NULL, posting TEXT NOT NULL
);
CREATE TABLE x_sublist (
    record TEXT NOT NULL, sublist TEXT NOT NULL, line INTEGER NOT NULL, doc TEXT,
    doctype TEXT, amount TEXT, account TEXT, memo TEXT{line_columns}
);
"""


class Store:
    """The stand-in's tables and the writes that keep NetSuite's shape in them."""

    def __init__(
        self,
        facts: StandInFacts,
        *,
        tax_codes: Iterable[SalesTax],
        tax_rounding: rc.TaxRounding,
        cogs_rate: Decimal,
        item_types: Mapping[str, str],
        shipping_item: str,
    ) -> None:
        self.facts = facts
        self.tax_codes: dict[str, Decimal] = {}
        for tax_code in tax_codes:
            self.register_tax_code(tax_code.code, tax_code.rate)
        self.tax_rounding = tax_rounding
        self.cogs_rate = cogs_rate
        self.item_types = dict(item_types)
        self.shipping_item = shipping_item
        self.db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self.db.executescript(_schema(facts))
        self.lock = threading.RLock()
        self.currencies: dict[str, str] = {}

    # -- reading -----------------------------------------------------------------------------

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        """Rows as dicts with lower-case keys; NULLs left out, numbers as Decimal / int."""
        cursor = self.db.execute(sql, tuple(params))
        names = [description[0].lower() for description in cursor.description]
        result = []
        for values in cursor.fetchall():
            row: dict[str, Any] = {}
            for name, value in zip(names, values, strict=True):
                if value is None:
                    continue  # SuiteQL leaves NULL columns out of an item
                if name in NUMERIC_COLUMNS:
                    row[name] = Decimal(str(value))
                elif name in INTEGER_COLUMNS:
                    row[name] = int(value)
                else:
                    row[name] = value
            result.append(row)
        return result

    def header(self, record_id: str) -> dict[str, Any] | None:
        """The ``transaction`` row of a record."""
        found = self.rows('SELECT * FROM "transaction" WHERE id = ?', (record_id,))
        return found[0] if found else None

    def sublist(self, record_id: str, sublist: str) -> list[dict[str, Any]]:
        """The REST-only lines of one sublist of a record, in line order."""
        return self.rows(
            "SELECT * FROM x_sublist WHERE record = ? AND sublist = ? ORDER BY line",
            (record_id, sublist),
        )

    def item_lines(self, record_id: str) -> list[dict[str, Any]]:
        """A record's item lines (not main, tax, shipping or cost-of-goods lines)."""
        return self.rows(
            "SELECT * FROM transactionline WHERE \"transaction\" = ? AND x_kind = 'item' "
            "ORDER BY linesequencenumber",
            (record_id,),
        )

    def main_line(self, record_id: str) -> dict[str, Any]:
        """A record's main line."""
        return self.rows(
            "SELECT * FROM transactionline WHERE \"transaction\" = ? AND mainline = 'T'",
            (record_id,),
        )[0]

    def lines_of_kind(self, record_id: str, kind: str) -> list[dict[str, Any]]:
        """A record's lines of one kind (``shipping``, ``tax``, ``cogs``)."""
        return self.rows(
            'SELECT * FROM transactionline WHERE "transaction" = ? AND x_kind = ? '
            "ORDER BY linesequencenumber",
            (record_id, kind),
        )

    def currency_code(self, currency_id: str | None) -> str | None:
        """The ISO code of a currency's internal ID."""
        for code, known in self.currencies.items():
            if known == currency_id:
                return code
        return None

    # -- writing -----------------------------------------------------------------------------

    def register_tax_code(self, code: str, rate: Decimal) -> None:
        """Set up a tax code with its rate (percent); one code has one rate."""
        known = self.tax_codes.get(code)
        if known is not None and known != rate:
            raise ValueError(f"tax code {code} is at {known} %, not {rate} %")
        self.tax_codes[code] = rate

    def line_tax(self, code: str, net: Decimal, currency_code: str) -> tuple[Decimal, Decimal]:
        """(rate, tax) NetSuite computes for a line of ``net`` under ``code``, per line.

        The same function the core plans with (:func:`refund_core.line_tax`), under the
        account's rounding method; a code the account lacks is a KeyError.
        """
        rate = self.tax_codes[code]
        tax = rc.line_tax(rc.Money(net, rc.Currency(currency_code)), rate, self.tax_rounding)
        return rate, tax.amount

    def currency_id(self, code: str) -> str:
        """The internal ID of a currency, set up on first use (NetSuite numbers them)."""
        if code not in self.currencies:
            self.currencies[code] = str(len(self.currencies) + 1)
        return self.currencies[code]

    def _insert(self, table: str, values: Mapping[str, Any]) -> None:
        # An account without one of the library's custom fields holds no value for it.
        values = {
            column: value
            for column, value in values.items()
            if not column.startswith(("custbody_", "custcol_"))
            or column in self.facts.custom_fields
        }
        columns = [f'"{column}"' for column in values]
        self.db.execute(
            f'INSERT INTO "{table}" ({", ".join(columns)}) '
            f"VALUES ({', '.join('?' for _ in columns)})",
            tuple(stored(value) for value in values.values()),
        )

    def update(self, record_id: str, values: Mapping[str, Any]) -> None:
        """Change header columns of one record."""
        if not values:
            return
        assignments = ", ".join(f'"{column}" = ?' for column in values)
        self.db.execute(
            f'UPDATE "transaction" SET {assignments} WHERE id = ?',
            (*(stored(value) for value in values.values()), record_id),
        )

    def add_transaction(
        self,
        *,
        record_id: str,
        kind: TranType,
        header: Mapping[str, Any],
        total: Decimal,
        lines: Sequence[LineSpec] = (),
        shipping: Decimal = Decimal(0),
        created_from: str | None = None,
        exponent: int = 2,
    ) -> Decimal:
        """Write a transaction as NetSuite holds it; returns its total (lines, shipping, tax).

        ``total`` is used as is for records without item lines (payments, refunds, deposits);
        for records with item lines the total is what the lines, shipping and tax add up to.
        """
        sign = self.facts.line_signs.get(kind, 1)
        number = 0
        rows: list[dict[str, Any]] = []
        taxes: dict[str, Decimal] = {}  # tax code -> the tax of its lines
        for line in lines:
            number += 1
            itemtype = self.item_types.get(line.item, "InvtPart")
            row: dict[str, Any] = {
                "id": line.line_id,
                "linesequencenumber": number,
                "item": line.item,
                "itemtype": itemtype,
                "foreignamount": sign * line.amount,
                "quantity": None if line.quantity is None else sign * line.quantity,
                "x_kind": "item",
                **line.custom,
            }
            if line.tax is not None:
                code, rate, amount = line.tax
                row["x_taxcode"], row["x_taxrate"], row["x_taxamt"] = code, rate, amount
                taxes[code] = taxes.get(code, Decimal(0)) + amount
            rows.append(row)
        items_total = sum((line.amount for line in lines), Decimal(0))
        tax = sum(taxes.values(), Decimal(0))
        if shipping:
            number += 1
            rows.append(
                {
                    "id": f"ship-{number}",
                    "linesequencenumber": number,
                    "item": self.shipping_item,
                    "itemtype": "ShipItem",
                    "foreignamount": sign * shipping,
                    "x_kind": "shipping",
                }
            )
        for code, amount in sorted(taxes.items()):
            number += 1
            rows.append(
                {
                    "id": f"tax-{number}",
                    "linesequencenumber": number,
                    "taxline": "T",
                    "item": code,
                    "itemtype": "TaxItem",
                    "foreignamount": sign * amount,
                    "x_kind": "tax",
                }
            )
        if kind in _BILLING and self.cogs_rate:
            for line in lines:
                if self.item_types.get(line.item, "InvtPart") != "InvtPart":
                    continue
                cost = (line.amount * self.cogs_rate).quantize(Decimal(1).scaleb(-exponent))
                for posting in (cost, -cost):  # cost of goods sold, then inventory asset
                    number += 1
                    rows.append(
                        {
                            "id": f"cogs-{number}",
                            "linesequencenumber": number,
                            "iscogs": "T",
                            "item": line.item,
                            "itemtype": "InvtPart",
                            "foreignamount": posting,
                            "x_kind": "cogs",
                        }
                    )
        if lines or shipping:
            total = items_total + shipping + tax
        header_sign = self.facts.header_signs.get(kind, 1)
        self._insert(
            "transaction",
            {"id": record_id, "type": kind.value, **header, "foreigntotal": header_sign * total},
        )
        self._insert(
            "transactionline",
            {
                "transaction": record_id,
                "id": "0",
                "linesequencenumber": 0,
                "mainline": "T",
                "createdfrom": created_from,
                "entity": header.get("entity"),
                "foreignamount": -sign * total
                if kind in self.facts.line_signs
                else header_sign * total,
                "x_kind": "main",
            },
        )
        for row in rows:
            self._insert("transactionline", {"transaction": record_id, **row})
        account = header.get("x_account")
        if account is not None:
            self._insert(
                "transactionaccountingline",
                {
                    "transaction": record_id,
                    "transactionline": 0,
                    "account": account,
                    "amount": total,
                    "posting": "T",
                },
            )
        return total

    def add_other(self, record_id: str, type_code: str, header: Mapping[str, Any]) -> None:
        """A transaction of a type the core does not model (a journal entry...).

        Header and main line only, as a test needs it.
        """
        self._insert("transaction", {"id": record_id, "type": type_code, **header})
        self._insert(
            "transactionline",
            {
                "transaction": record_id,
                "id": "0",
                "linesequencenumber": 0,
                "mainline": "T",
                "entity": header.get("entity"),
                "x_kind": "main",
            },
        )

    def add_link(
        self,
        *,
        previous: Mapping[str, Any],
        next_id: str,
        next_type: TranType,
        next_line: int,
        amount: Decimal | None,
        when: str | None = None,
    ) -> None:
        """A link row, only when the account documents links of this kind (else none)."""
        kind = self.facts.link_kind(str(previous["type"]), next_type.value)
        if kind is None:
            return
        self._insert(
            "previoustransactionlinelink",
            {
                "previousdoc": previous["id"],
                "previousline": 0,
                "previoustype": previous["type"],
                "nextdoc": next_id,
                "nextline": next_line,
                "nexttype": next_type.value,
                "linktype": kind.linktype,
                "foreignamount": amount,
                "lastmodifieddate": when,
            },
        )

    def add_sublist_line(
        self, record_id: str, sublist: str, line: int, values: Mapping[str, Any]
    ) -> None:
        """One line of a REST-only sublist."""
        self._insert("x_sublist", {"record": record_id, "sublist": sublist, "line": line, **values})

    def remove_payment_link(self, invoice_id: str, payment_id: str) -> None:
        """Unapply a payment from an invoice."""
        self.db.execute(
            "DELETE FROM previoustransactionlinelink WHERE previousdoc = ? AND nextdoc = ? "
            "AND nexttype = ?",
            (invoice_id, payment_id, TranType.PAYMENT.value),
        )

    def payment_links(self, payment_id: str) -> list[dict[str, Any]]:
        """The invoice applications of a payment, as its link rows hold them."""
        return self.rows(
            "SELECT * FROM previoustransactionlinelink WHERE nextdoc = ? AND nexttype = ? "
            "AND previoustype = ? ORDER BY nextline",
            (payment_id, TranType.PAYMENT.value, TranType.INVOICE.value),
        )

    def deposit_applications(self, deposit_id: str) -> list[dict[str, Any]]:
        """The deposit application records of a customer deposit."""
        return self.rows(
            'SELECT * FROM "transaction" WHERE type = ? AND x_ref = ? ORDER BY x_seq',
            (TranType.DEPOSIT_APPLICATION.value, deposit_id),
        )
