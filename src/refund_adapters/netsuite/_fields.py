"""The NetSuite vocabulary the adapter and the stand-in share: record types, codes, field names.

Standard names come from Oracle's REST API Browser and SuiteQL tables; names starting with
``custbody_rs_`` / ``custcol_rs_`` are custom fields this library expects on the account (body
fields of transactions and their line fields), documented in ``docs/netsuite-standin.md``.
Keeping them in one place makes the stand-in and the adapter agree by construction.
"""

from __future__ import annotations

import enum

import refund_core as rc

__all__ = [
    "CONCURRENCY_ERROR_CODES",
    "CONCURRENCY_LIMIT_EXCEEDED",
    "DUPLICATE_RECORD",
    "ITEM_LINE_SIGNS",
    "ITEM_LINE_TYPES",
    "PAYMENT_STATUS_CODES",
    "REST_TYPES",
    "RMA_STATUS_CODES",
    "TRANSFORMS",
    "UNDEPOSITED_FUNDS",
    "UNMODELLED_LINE_TYPES",
    "Custom",
    "LinkType",
    "TranType",
]


class TranType(enum.StrEnum):
    """SuiteQL ``transaction.type`` codes (the ``type.id`` values of the REST browser)."""

    SALES_ORDER = "SalesOrd"
    INVOICE = "CustInvc"
    CASH_SALE = "CashSale"
    PAYMENT = "CustPymt"
    CUSTOMER_DEPOSIT = "CustDep"
    CREDIT_MEMO = "CustCred"
    CASH_REFUND = "CashRfnd"
    CUSTOMER_REFUND = "CustRfnd"
    DEPOSIT = "Deposit"
    RETURN_AUTHORIZATION = "RtnAuth"
    DEPOSIT_APPLICATION = "DepAppl"


#: REST record type of each transaction type (the path segment of ``/record/v1/{type}``).
REST_TYPES: dict[TranType, str] = {
    TranType.SALES_ORDER: "salesOrder",
    TranType.INVOICE: "invoice",
    TranType.CASH_SALE: "cashSale",
    TranType.PAYMENT: "customerPayment",
    TranType.CUSTOMER_DEPOSIT: "customerDeposit",
    TranType.CREDIT_MEMO: "creditMemo",
    TranType.CASH_REFUND: "cashRefund",
    TranType.CUSTOMER_REFUND: "customerRefund",
    TranType.DEPOSIT: "deposit",
    TranType.RETURN_AUTHORIZATION: "returnAuthorization",
    TranType.DEPOSIT_APPLICATION: "depositApplication",
}

#: Transforms the adapter uses, all in the 2026.1 REST metadata [O]: (source, target) pairs.
TRANSFORMS: frozenset[tuple[TranType, TranType]] = frozenset(
    {
        (TranType.INVOICE, TranType.CREDIT_MEMO),
        (TranType.RETURN_AUTHORIZATION, TranType.CREDIT_MEMO),
        (TranType.CASH_SALE, TranType.CASH_REFUND),
        (TranType.RETURN_AUTHORIZATION, TranType.CASH_REFUND),
        (TranType.CREDIT_MEMO, TranType.CUSTOMER_REFUND),
        (TranType.PAYMENT, TranType.CUSTOMER_REFUND),
    }
)


class LinkType(enum.StrEnum):
    """``previoustransactionlinelink.linktype`` values of the facts pack (``suiteql.json``).

    ``previousdoc`` is the earlier record, ``nextdoc`` the later one that links to it. Only
    :attr:`PAYMENT` from an invoice (``previoustype`` ``CustInvc``) to a customer payment
    (``nexttype`` ``CustPymt``) is read by the adapter [M]; the others are what the stand-in
    writes as a NetSuite account does, and what the doctor observes.
    """

    PAYMENT = "Payment"  # invoice -> customer payment applied to it [M]; -> DepAppl [S]
    ORDER_BILLING = "OrdBill"  # sales order -> invoice billing it [M]
    DEPOSIT_APPLICATION = "DepAppl"  # customer deposit -> deposit application [S]
    ORDER_DEPOSIT = "OrdDep"  # sales order -> customer deposit taken against it [S]


#: ``transactionline.itemtype`` codes (the REST ``itemType.id`` enum [O], the same codes in
#: SuiteQL [M]) of lines the adapter reads as item lines.
ITEM_LINE_TYPES: frozenset[str] = frozenset(
    {"InvtPart", "NonInvtPart", "Service", "OthCharge", "GiftCert", "Kit", "Assembly", "DwnLdItem"}
)
#: The sign the adapter reads ``transactionline.foreignamount`` and ``quantity`` of item lines
#: with, per type (core amount = sign x stored). Invoice and cash sale lines are negative [M]
#: (``suiteql.json`` signs: PUB-GARAGE, PUB-BC, PUB-FR, FIVETRAN-DBT). The rest rest on weaker
#: facts, so ``refund-sync doctor`` observes them on the account before the first write:
#: credit memo and cash refund lines positive [S] (PUB-GARAGE), sales order lines negative
#: [inference], return authorization lines positive [?].
ITEM_LINE_SIGNS: dict[TranType, int] = {
    TranType.SALES_ORDER: -1,
    TranType.INVOICE: -1,
    TranType.CASH_SALE: -1,
    TranType.CREDIT_MEMO: 1,
    TranType.CASH_REFUND: 1,
    TranType.RETURN_AUTHORIZATION: 1,
}

#: Item types that move money the core does not model on a billing line: a record holding one
#: is refused by name rather than read with its total misstated.
UNMODELLED_LINE_TYPES: frozenset[str] = frozenset({"Discount", "Markup"})


class Custom(enum.StrEnum):
    """Custom fields (body: ``custbody_``, line: ``custcol_``) this library relies on."""

    ORDER_REF = "custbody_rs_order_ref"  # sales order: the storefront's order ID
    STOREFRONT = "custbody_rs_storefront"  # sales order: the storefront it came from
    PAYMENT_REF = "custbody_rs_payment_ref"  # payment, cash sale, customer deposit: charge ID
    SOURCE = "custbody_rs_source"  # records a sync created: "<source>:<event ID>"
    SALES_ORDER = "custbody_rs_sales_order"  # credit memo, cash refund, customer deposit
    PAYMENT = "custbody_rs_payment"  # credit memo / customer refund: the payment it refunds
    SHIPPING = "custbody_rs_shipping"  # shipping amount of orders, billing and credits
    TENDERS = "custbody_rs_tenders"  # sales order: JSON list of {kind, amount}
    PAYOUT_REF = "custbody_rs_payout_ref"  # bank deposit: the processor payout ID
    PAYMENT_FAILED = "custbody_rs_payment_failed"  # payment: checkbox, STC-10
    FAILURE_MARK = "custbody_rs_failure_mark"  # payment: external ID of the failure write
    SYNCED_MARK = "custbody_rs_synced_mark"  # credit memo / cash refund: mark's external ID
    SYNCED_ID = "custbody_rs_synced_id"  # ... the storefront refund's external ID
    SYNCED_PAYMENT = "custbody_rs_synced_payment"  # ... part refunded to the payment method
    SYNCED_GIFT_CARD = "custbody_rs_synced_gift_card"  # ... part issued as store credit
    ORDER_LINE_REF = "custcol_rs_order_line_ref"  # line: storefront order line ID
    ORIGIN_LINE = "custcol_rs_origin_line"  # credit line: the billing line it credits
    ACCOUNT = "custcol_rs_account"  # credit line / other deposit line: posting account
    SOURCE_REFS = "custcol_rs_source_refs"  # other deposit line: JSON list of source IDs
    EVENT_TIME = "custbody_rs_event_time"  # refund reversal: its UTC time (tranDate is a date)
    TAX_CODE = "custcol_rs_tax_code"  # credit line: its tax code, or the one a tax line holds
    LINE_KIND = "custcol_rs_line_kind"  # credit line: "shipping" or "tax" (TAX-2, SHP-1)


#: ``transaction.status`` letters of customer payments (REST ``status.id``) and what they mean.
PAYMENT_STATUS_CODES: dict[str, rc.PaymentStatus] = {
    "A": rc.PaymentStatus.PENDING,  # Unapproved Payment
    "B": rc.PaymentStatus.UNDEPOSITED,  # Not Deposited
    "C": rc.PaymentStatus.DEPOSITED,  # Deposited
}

#: ``transaction.status`` letters of return authorizations.
RMA_STATUS_CODES: dict[str, rc.ReturnAuthorizationStatus] = {
    "A": rc.ReturnAuthorizationStatus.PENDING_APPROVAL,
    "B": rc.ReturnAuthorizationStatus.PENDING_RECEIPT,
    "C": rc.ReturnAuthorizationStatus.CANCELLED,
    "F": rc.ReturnAuthorizationStatus.PENDING_REFUND,
    "G": rc.ReturnAuthorizationStatus.REFUNDED,
    "H": rc.ReturnAuthorizationStatus.CLOSED,
}

#: The core's name for the Undeposited Funds account (``refund_core`` records default to it);
#: on the wire it is the account's internal ID, which the ledger is configured with.
UNDEPOSITED_FUNDS = "undeposited_funds"

#: ``o:errorCode`` the stand-in answers to a create whose external ID is taken (SOAP's code for
#: "This record already exists"; REST's own answer is not documented, so the ledger does not
#: depend on it: any 4xx to a create is checked by looking the external ID up).
DUPLICATE_RECORD = "DUP_RCRD"
#: ``o:errorCode`` the stand-in answers over the concurrency limit (with HTTP 429).
CONCURRENCY_LIMIT_EXCEEDED = "CONCURRENCY_LIMIT_EXCEEDED"
#: Error codes that mean "too many requests at once; retry later", whatever the status.
CONCURRENCY_ERROR_CODES: frozenset[str] = frozenset(
    {CONCURRENCY_LIMIT_EXCEEDED, "SSS_REQUEST_LIMIT_EXCEEDED", "WS_REQUEST_BLOCKED"}
)
