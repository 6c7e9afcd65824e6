"""The NetSuite facts the stand-in is held to, each with its source and confidence.

NetSuite publishes no machine-readable schema of SuiteQL or of the REST record API outside an
account, so the project keeps a facts pack (``shared/specs/netsuite``: ``records.json`` from
the 2026.1 REST record metadata, ``suiteql.json`` with a source and a confidence tag on every
SuiteQL fact). The stand-in cannot read that pack at run time (it ships in the wheel for the
demo), so this module encodes the part of it the stand-in serves: every table, column, link
type, transform, record field and sign below is in the pack (the contract tests check that),
and anything outside it is refused as NetSuite refuses it. Confidence tags are the pack's:
``O`` Oracle-documented or in the REST metadata, ``M`` seen in two or more independent public
sources, ``S`` single source, ``?`` unknown or conflicting (the stand-in still has to pick a
behaviour; ``docs/netsuite-standin.md`` says which and why).

:class:`StandInFacts` gathers what a test may change to build a stand-in that differs from
this account (a missing column, another link type, other signs), as a real account may.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

from ._fields import Custom, TranType

__all__ = [
    "BODY_FIELDS",
    "DEFAULT_CUSTOM_FIELDS",
    "DEFAULT_FACTS",
    "DOCUMENTED_LINKS",
    "HEADER_SIGNS",
    "LINE_SIGNS",
    "RECORD_TRANSFORMS",
    "SUBLIST_FIELDS",
    "SUITEQL_COLUMNS",
    "Confidence",
    "LinkKind",
    "StandInFacts",
]


class Confidence(enum.StrEnum):
    """How well a fact is established (the facts pack's tags)."""

    ORACLE = "O"
    MULTI = "M"
    SINGLE = "S"
    UNKNOWN = "?"


#: SuiteQL tables and the columns of each the stand-in serves (``suiteql.json`` ``tables``).
#: The header columns ``createdfrom``, ``amount`` and ``subsidiary`` are in the pack's
#: ``not_columns`` of ``transaction``: they are refused like any unknown column.
SUITEQL_COLUMNS: Mapping[str, frozenset[str]] = {
    # [M] FIVETRAN-SRC, PUB-AR (and others per column)
    "transaction": frozenset(
        {
            "id",
            "type",
            "tranid",
            "trandate",
            "entity",
            "status",
            "foreigntotal",
            "externalid",
            "memo",
            "currency",
        }
    ),
    # [M] FIVETRAN-SRC, CDATA, PUB-GARAGE, PUB-DEPAPPL (createdfrom read on mainline = 'T')
    "transactionline": frozenset(
        {
            "id",
            "transaction",
            "linesequencenumber",
            "mainline",
            "taxline",
            "iscogs",
            "itemtype",
            "item",
            "createdfrom",
            "foreignamount",
            "quantity",
            "memo",
            "entity",
        }
    ),
    # [M] TD-RELATED, CDATA, PUB-AR, PUB-ORDBILL: the same links seen from either side
    "previoustransactionlinelink": frozenset(
        {
            "previousdoc",
            "previousline",
            "previoustype",
            "nextdoc",
            "nextline",
            "nexttype",
            "linktype",
            "foreignamount",
            "lastmodifieddate",
        }
    ),
    "nexttransactionlinelink": frozenset(
        {
            "previousdoc",
            "previousline",
            "previoustype",
            "nextdoc",
            "nextline",
            "nexttype",
            "linktype",
            "foreignamount",
            "lastmodifieddate",
        }
    ),
    # [M] FIVETRAN-SRC, CDATA, PROLECTO-AR: GL lines per accounting book
    "transactionaccountingline": frozenset(
        {"transaction", "transactionline", "account", "amount", "posting"}
    ),
}


@attrs.frozen
class LinkKind:
    """One documented kind of link row: its ``linktype`` and the types on each side."""

    linktype: str
    previoustype: str
    nexttype: str
    confidence: Confidence
    source: str


#: The link rows the stand-in writes: only documented kinds, in the documented direction
#: (``suiteql.json`` ``link_types``). Credit memo, customer refund, cash sale and bank deposit
#: links are unknown or unseen there, so the stand-in writes none for them.
DOCUMENTED_LINKS: tuple[LinkKind, ...] = (
    LinkKind("OrdBill", TranType.SALES_ORDER, TranType.INVOICE, Confidence.MULTI, "PUB-ORDBILL"),
    LinkKind(
        "Payment",
        TranType.INVOICE,
        TranType.PAYMENT,
        Confidence.MULTI,
        "PUB-PAYLINK, PUB-AR, PUB-CASHAPP, PUB-NTLL-PAY",
    ),
    LinkKind(
        "Payment", TranType.INVOICE, TranType.DEPOSIT_APPLICATION, Confidence.SINGLE, "PUB-DEPAPPL"
    ),
    LinkKind(
        "DepAppl",
        TranType.CUSTOMER_DEPOSIT,
        TranType.DEPOSIT_APPLICATION,
        Confidence.SINGLE,
        "PUB-DEPAPPL",
    ),
    LinkKind(
        "OrdDep", TranType.SALES_ORDER, TranType.CUSTOMER_DEPOSIT, Confidence.SINGLE, "PUB-ORDDEP"
    ),
)

#: The sign ``transactionline.foreignamount`` (and ``quantity``) of item, tax and shipping
#: lines carries per transaction type; the main line carries the opposite sign, and
#: ``transaction.foreigntotal`` the sign of :data:`HEADER_SIGNS`. Invoice and cash sale lines
#: are negative [M] (PUB-GARAGE, PUB-BC, PUB-FR, FIVETRAN-DBT); credit memo and cash refund
#: lines positive [S] (PUB-GARAGE); sales order lines negative [inference: same posting side
#: as the invoice]; return authorization lines positive [?: the credit side, like the memo
#: they become].
LINE_SIGNS: Mapping[str, int] = {
    TranType.SALES_ORDER: -1,
    TranType.INVOICE: -1,
    TranType.CASH_SALE: -1,
    TranType.CREDIT_MEMO: 1,
    TranType.CASH_REFUND: 1,
    TranType.RETURN_AUTHORIZATION: 1,
}

#: The sign of ``transaction.foreigntotal`` per type. CustInvc, CashSale, SalesOrd positive
#: [S] (NSRP); CustCred negative [S] (PUB-AR); CustPymt negative [? conflicting; PUB-BC says
#: negative]; the rest unknown [?]: the stand-in signs them by double entry (receipts like the
#: payment, refunds and deposits positive).
HEADER_SIGNS: Mapping[str, int] = {
    TranType.SALES_ORDER: 1,
    TranType.INVOICE: 1,
    TranType.CASH_SALE: 1,
    TranType.CREDIT_MEMO: -1,
    TranType.CASH_REFUND: -1,
    TranType.RETURN_AUTHORIZATION: -1,
    TranType.PAYMENT: -1,
    TranType.CUSTOMER_DEPOSIT: -1,
    TranType.DEPOSIT_APPLICATION: 1,
    TranType.CUSTOMER_REFUND: 1,
    TranType.DEPOSIT: 1,
}

#: Body fields of each REST record type the stand-in serves and accepts (``records.json``
#: ``records.<type>.body``; dotted names are sub-properties of an object field). Anything
#: else in a write is refused, as NetSuite does under ``X-NetSuite-PropertyNameValidation:
#: Error`` (REST API Browser, shared headers).
BODY_FIELDS: Mapping[str, frozenset[str]] = {
    "customerRefund": frozenset(
        {
            "id",
            "externalId",
            "customer",
            "currency",
            "account",
            "memo",
            "tranDate",
            "total",
            "status",
            "apply",
            "deposit",
        }
    ),
    "customerPayment": frozenset(
        {
            "id",
            "externalId",
            "customer",
            "currency",
            "payment",
            "undepFunds",
            "account",
            "autoApply",
            "memo",
            "tranDate",
            "total",
            "status",
            "apply",
        }
    ),
    "customerDeposit": frozenset(
        {"id", "externalId", "customer", "currency", "memo", "tranDate", "total", "status"}
    ),
    "depositApplication": frozenset(
        {"id", "externalId", "customer", "deposit", "tranDate", "total", "apply"}
    ),
    "deposit": frozenset(
        {"id", "externalId", "currency", "account", "memo", "tranDate", "total", "payment", "other"}
    ),
    "creditMemo": frozenset(
        {
            "id",
            "externalId",
            "entity",
            "currency",
            "createdFrom",
            "memo",
            "tranDate",
            "total",
            "status",
            "shippingCost",
            "item",
        }
    ),
    "cashRefund": frozenset(
        {
            "id",
            "externalId",
            "entity",
            "currency",
            "createdFrom",
            "memo",
            "tranDate",
            "total",
            "shippingCost",
            "item",
        }
    ),
    "cashSale": frozenset(
        {"id", "externalId", "entity", "createdFrom", "tranDate", "total", "status", "item"}
    ),
    "invoice": frozenset(
        {"id", "externalId", "entity", "createdFrom", "tranDate", "total", "status", "memo"}
    ),
    "salesOrder": frozenset(),
    "returnAuthorization": frozenset(),
}

#: Sublist element fields the stand-in serves and accepts (``records.json``
#: ``records.<type>.sublists.<sublist>.fields``; for ``cashRefund.item`` the pack's
#: ``fields_note``: the same shape as the credit memo's for ``item``, ``amount``,
#: ``quantity``, ``line``...).
SUBLIST_FIELDS: Mapping[tuple[str, str], frozenset[str]] = {
    ("customerRefund", "apply"): frozenset({"doc", "apply", "amount", "line", "type"}),
    ("customerRefund", "deposit"): frozenset({"doc", "apply", "amount"}),
    ("customerPayment", "apply"): frozenset({"doc", "apply", "amount", "line", "type"}),
    ("depositApplication", "apply"): frozenset({"doc", "apply", "amount", "line", "type"}),
    ("deposit", "payment"): frozenset({"id", "deposit", "paymentAmount", "type.id"}),
    ("deposit", "other"): frozenset({"account", "amount", "memo", "line"}),
    # taxCode and isTaxable: creditMemo-itemElement [O]; cashRefund's fields_note lists both.
    ("creditMemo", "item"): frozenset(
        {"item", "amount", "quantity", "line", "taxCode", "isTaxable"}
    ),
    ("cashRefund", "item"): frozenset(
        {"item", "amount", "quantity", "line", "taxCode", "isTaxable"}
    ),
}

#: Transforms of the 2026.1 REST metadata (``records.json`` ``transforms``) [O].
RECORD_TRANSFORMS: frozenset[tuple[str, str]] = frozenset(
    {
        ("customerPayment", "customerRefund"),
        ("customerDeposit", "depositApplication"),
        ("creditMemo", "customerRefund"),
        ("cashSale", "cashRefund"),
        ("cashSale", "returnAuthorization"),
        ("invoice", "creditMemo"),
        ("invoice", "customerPayment"),
        ("invoice", "returnAuthorization"),
        ("salesOrder", "cashSale"),
        ("salesOrder", "fulfillmentRequest"),
        ("salesOrder", "invoice"),
        ("salesOrder", "itemFulfillment"),
        ("salesOrder", "returnAuthorization"),
        ("returnAuthorization", "cashRefund"),
        ("returnAuthorization", "creditMemo"),
        ("returnAuthorization", "itemReceipt"),
    }
)


def _custom_on() -> Mapping[str, frozenset[str]]:
    """Where each of the library's custom fields applies (see ``docs/netsuite-standin.md``)."""
    credit = ("creditMemo", "cashRefund")
    body: dict[Custom, tuple[str, ...]] = {
        Custom.ORDER_REF: ("salesOrder",),
        Custom.STOREFRONT: ("salesOrder",),
        Custom.PAYMENT_REF: ("customerPayment", "cashSale", "customerDeposit"),
        Custom.SOURCE: (*credit, "customerRefund", "customerPayment", "deposit"),
        Custom.SALES_ORDER: credit,
        Custom.PAYMENT: ("creditMemo", "customerRefund"),
        Custom.SHIPPING: ("salesOrder", "invoice", "cashSale", *credit),
        Custom.TENDERS: ("salesOrder",),
        Custom.PAYOUT_REF: ("deposit",),
        Custom.PAYMENT_FAILED: ("customerPayment",),
        Custom.FAILURE_MARK: ("customerPayment",),
        Custom.SYNCED_MARK: credit,
        Custom.SYNCED_ID: credit,
        Custom.SYNCED_PAYMENT: credit,
        Custom.SYNCED_GIFT_CARD: credit,
        Custom.EVENT_TIME: ("customerPayment",),
        # column fields: the record types whose lines carry them
        Custom.ORDER_LINE_REF: (
            "salesOrder",
            "invoice",
            "cashSale",
            "returnAuthorization",
            *credit,
        ),
        Custom.ORIGIN_LINE: credit,
        Custom.ACCOUNT: (*credit, "deposit"),
        Custom.TAX_CODE: credit,
        Custom.LINE_KIND: credit,
        Custom.SOURCE_REFS: ("deposit",),
    }
    return {field.value: frozenset(types) for field, types in body.items()}


#: The custom fields a stand-in account has, by field ID, with the record types each applies
#: to (body fields ``custbody_``, line fields ``custcol_``). A test may remove one to play an
#: account that lacks it.
DEFAULT_CUSTOM_FIELDS: Mapping[str, frozenset[str]] = _custom_on()


@attrs.frozen
class StandInFacts:
    """What a stand-in account exposes; :data:`DEFAULT_FACTS` is the facts pack's account.

    ``suiteql`` names the tables and columns SuiteQL serves; ``links`` the kinds of link rows
    the account holds; ``line_signs`` the sign of item lines per transaction type;
    ``custom_fields`` the account's custom fields and the record types they apply to.
    """

    suiteql: Mapping[str, frozenset[str]] = SUITEQL_COLUMNS
    links: tuple[LinkKind, ...] = DOCUMENTED_LINKS
    line_signs: Mapping[str, int] = LINE_SIGNS
    header_signs: Mapping[str, int] = HEADER_SIGNS
    custom_fields: Mapping[str, frozenset[str]] = DEFAULT_CUSTOM_FIELDS

    def without_column(self, table: str, column: str) -> StandInFacts:
        """These facts with one SuiteQL column gone (or one custom field removed)."""
        if column in self.custom_fields:
            custom = {name: on for name, on in self.custom_fields.items() if name != column}
            return attrs.evolve(self, custom_fields=custom)
        columns = {**self.suiteql, table: self.suiteql[table] - {column}}
        return attrs.evolve(self, suiteql=columns)

    def columns(self, table: str) -> frozenset[str]:
        """The columns SuiteQL serves for ``table``, custom fields included."""
        base = self.suiteql.get(table, frozenset())
        if table == "transaction":
            return base | {name for name in self.custom_fields if name.startswith("custbody_")}
        if table == "transactionline":
            return base | {name for name in self.custom_fields if name.startswith("custcol_")}
        return base

    def link_kind(self, previoustype: str, nexttype: str) -> LinkKind | None:
        """The kind of link row this account writes between two types, if any."""
        for kind in self.links:
            if kind.previoustype == previoustype and kind.nexttype == nexttype:
                return kind
        return None

    def custom_on(self, record_type: str) -> frozenset[str]:
        """The custom fields that apply to a REST record type."""
        return frozenset(name for name, on in self.custom_fields.items() if record_type in on)


DEFAULT_FACTS = StandInFacts()
