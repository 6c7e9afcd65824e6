"""The GraphQL documents the adapter sends, each a named operation against Admin API 2026-01.

Kept in one place so a test can validate every one of them against Shopify's published schema
(and so ``tools/shopify_schema_subset.py`` can cut the stand-in's schema down to what they use).
Costs stay well under Shopify's 1,000-point ceiling for a single query: the refund listing scans
orders cheaply and reads each listed refund's details in its own query.

Lists are never silently cut short. ``Order.refunds`` and ``Order.transactions`` are plain lists
with a ``first`` argument and no cursor: the order query takes the first :data:`FIRST_LOOK` of
each, and when that many come back, a dedicated query asks for :data:`LIST_MAX`; a list still
full at that size cannot be read whole, which callers treat as an error, never as "all of it".
Connections (``lineItems``, a refund's lines, shipping lines and transactions) carry
``pageInfo`` and are paged to the end.
"""

from __future__ import annotations

__all__ = [
    "ALL_DOCUMENTS",
    "DOCTOR",
    "FIRST_LOOK",
    "LIST_MAX",
    "ORDERS_WITH_REFUNDS",
    "ORDER_BY_ID",
    "ORDER_BY_NAME",
    "ORDER_LINE_ITEMS",
    "ORDER_REFUNDS",
    "ORDER_TRANSACTIONS",
    "REFUND_CREATE",
    "REFUND_DETAIL",
    "REFUND_LINES_PAGE",
    "REFUND_SHIPPING_PAGE",
    "REFUND_TRANSACTIONS_PAGE",
    "SUGGESTED_REFUND",
]

#: How many refunds and transactions the order query reads at first (most orders have a few).
FIRST_LOOK = 50
#: The most a plain list is asked for (Shopify's page-size ceiling); a full answer is an error.
LIST_MAX = 250

#: The adapter reads presentment amounts only (the customer's currency, the one refunds take).
_MONEY = "presentmentMoney { amount currencyCode }"
_PAGE_INFO = "pageInfo { hasNextPage endCursor }"
_LINE_ITEM = "nodes { id sku quantity refundableQuantity }"
_TRANSACTION = f"""id
    kind
    status
    gateway
    parentTransaction {{ id }}
    amountSet {{ {_MONEY} }}"""
_REFUND_REF = "id note createdAt"

_ORDER_FIELDS = f"""
fragment RefundSyncOrderFields on Order {{
  id
  legacyResourceId
  name
  currencyCode
  presentmentCurrencyCode
  customer {{ id }}
  lineItems(first: 100) {{
    {_LINE_ITEM}
    {_PAGE_INFO}
  }}
  transactions(first: {FIRST_LOOK}) {{
    {_TRANSACTION}
  }}
  refunds(first: {FIRST_LOOK}) {{ {_REFUND_REF} }}
}}
"""

#: One order by GID, with what a refund needs: lines, transactions and earlier refunds.
ORDER_BY_ID = (
    """
query RefundSyncOrder($id: ID!) {
  order(id: $id) { ...RefundSyncOrderFields }
}
"""
    + _ORDER_FIELDS
)

#: An order found by its name (``#1001``) when the reference is not an ID.
ORDER_BY_NAME = (
    """
query RefundSyncOrderByName($query: String!) {
  orders(first: 2, query: $query) {
    nodes { ...RefundSyncOrderFields }
  }
}
"""
    + _ORDER_FIELDS
)

#: The next page of an order's line items (orders with more than 100 lines).
ORDER_LINE_ITEMS = f"""
query RefundSyncOrderLineItems($id: ID!, $after: String) {{
  order(id: $id) {{
    id
    lineItems(first: 100, after: $after) {{
      {_LINE_ITEM}
      {_PAGE_INFO}
    }}
  }}
}}
"""

#: Every refund of an order, up to :data:`LIST_MAX`, when the first look came back full.
ORDER_REFUNDS = f"""
query RefundSyncOrderRefunds($id: ID!) {{
  order(id: $id) {{
    id
    refunds(first: {LIST_MAX}) {{ {_REFUND_REF} }}
  }}
}}
"""

#: Every transaction of an order, up to :data:`LIST_MAX`, when the first look came back full.
ORDER_TRANSACTIONS = f"""
query RefundSyncOrderTransactions($id: ID!) {{
  order(id: $id) {{
    id
    transactions(first: {LIST_MAX}) {{
    {_TRANSACTION}
    }}
  }}
}}
"""

#: What Shopify would refund for these lines and shipping, and the most it would refund at all.
SUGGESTED_REFUND = f"""
query RefundSyncSuggestedRefund(
  $id: ID!
  $refundLineItems: [RefundLineItemInput!]
  $shippingAmount: Money
  $suggestFullRefund: Boolean
  $allocation: RefundMethodAllocation
) {{
  order(id: $id) {{
    id
    totalRefundedSet {{ {_MONEY} }}
    suggestedRefund(
      refundLineItems: $refundLineItems
      shippingAmount: $shippingAmount
      suggestFullRefund: $suggestFullRefund
      refundMethodAllocation: $allocation
    ) {{
      amountSet {{ {_MONEY} }}
      maximumRefundableSet {{ {_MONEY} }}
    }}
  }}
}}
"""

#: Create a refund; ``@idempotent`` makes a repeat with the same key return the first result.
REFUND_CREATE = f"""
mutation RefundSyncRefundCreate($input: RefundInput!, $idempotencyKey: String!) {{
  refundCreate(input: $input) @idempotent(key: $idempotencyKey) {{
    refund {{
      id
      note
      createdAt
      totalRefundedSet {{ {_MONEY} }}
    }}
    userErrors {{ field message }}
  }}
}}
"""

#: Orders updated at or after a time (a refund updates its order), with their refunds' IDs.
ORDERS_WITH_REFUNDS = f"""
query RefundSyncOrdersWithRefunds($first: Int!, $after: String, $query: String!) {{
  orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {{
    nodes {{
      id
      refunds(first: {FIRST_LOOK}) {{ id createdAt }}
    }}
    {_PAGE_INFO}
  }}
}}
"""

_REFUND_LINES = f"""nodes {{
        quantity
        lineItem {{ id sku }}
        subtotalSet {{ {_MONEY} }}
        totalTaxSet {{ {_MONEY} }}
      }}
      {_PAGE_INFO}"""
_REFUND_SHIPPING = f"""nodes {{
        subtotalAmountSet {{ {_MONEY} }}
        taxAmountSet {{ {_MONEY} }}
      }}
      {_PAGE_INFO}"""
_REFUND_TRANSACTIONS = f"""nodes {{
        {_TRANSACTION}
      }}
      {_PAGE_INFO}"""

#: One refund with its lines, shipping and money movements (each connection paged on).
REFUND_DETAIL = f"""
query RefundSyncRefund($id: ID!) {{
  refund(id: $id) {{
    id
    createdAt
    order {{ id legacyResourceId presentmentCurrencyCode }}
    totalRefundedSet {{ {_MONEY} }}
    refundLineItems(first: 50) {{
      {_REFUND_LINES}
    }}
    refundShippingLines(first: 10) {{
      {_REFUND_SHIPPING}
    }}
    transactions(first: 20) {{
      {_REFUND_TRANSACTIONS}
    }}
  }}
}}
"""

#: The next page of a refund's lines.
REFUND_LINES_PAGE = f"""
query RefundSyncRefundLines($id: ID!, $after: String) {{
  refund(id: $id) {{
    id
    refundLineItems(first: 50, after: $after) {{
      {_REFUND_LINES}
    }}
  }}
}}
"""

#: The next page of a refund's shipping lines.
REFUND_SHIPPING_PAGE = f"""
query RefundSyncRefundShipping($id: ID!, $after: String) {{
  refund(id: $id) {{
    id
    refundShippingLines(first: 10, after: $after) {{
      {_REFUND_SHIPPING}
    }}
  }}
}}
"""

#: The next page of a refund's transactions.
REFUND_TRANSACTIONS_PAGE = f"""
query RefundSyncRefundTransactions($id: ID!, $after: String) {{
  refund(id: $id) {{
    id
    transactions(first: 20, after: $after) {{
      {_REFUND_TRANSACTIONS}
    }}
  }}
}}
"""

#: What ``refund-sync doctor`` reads, in one query: the Admin API versions Shopify serves
#: (``publicApiVersions``: supported ones, the release candidate, ``unstable``), the access
#: scopes granted to this app's installation, and the shop's customer accounts version (refunds
#: to store credit need new customer accounts).
DOCTOR = """
query RefundSyncDoctor {
  publicApiVersions { handle supported }
  currentAppInstallation { accessScopes { handle } }
  shop { customerAccountsV2 { customerAccountsVersion } }
}
"""

ALL_DOCUMENTS: dict[str, str] = {
    "RefundSyncOrder": ORDER_BY_ID,
    "RefundSyncOrderByName": ORDER_BY_NAME,
    "RefundSyncOrderLineItems": ORDER_LINE_ITEMS,
    "RefundSyncOrderRefunds": ORDER_REFUNDS,
    "RefundSyncOrderTransactions": ORDER_TRANSACTIONS,
    "RefundSyncSuggestedRefund": SUGGESTED_REFUND,
    "RefundSyncRefundCreate": REFUND_CREATE,
    "RefundSyncOrdersWithRefunds": ORDERS_WITH_REFUNDS,
    "RefundSyncRefund": REFUND_DETAIL,
    "RefundSyncRefundLines": REFUND_LINES_PAGE,
    "RefundSyncRefundShipping": REFUND_SHIPPING_PAGE,
    "RefundSyncRefundTransactions": REFUND_TRANSACTIONS_PAGE,
    "RefundSyncDoctor": DOCTOR,
}
