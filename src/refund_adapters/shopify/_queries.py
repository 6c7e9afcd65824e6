"""The GraphQL documents the adapter sends, each a named operation against Admin API 2026-01.

Kept in one place so a test can validate every one of them against Shopify's published schema.
Costs stay well under Shopify's 1,000-point ceiling for a single query: the refund listing scans
orders cheaply and reads each listed refund's details in its own query.
"""

from __future__ import annotations

__all__ = [
    "ALL_DOCUMENTS",
    "ORDERS_WITH_REFUNDS",
    "ORDER_BY_ID",
    "ORDER_BY_NAME",
    "REFUND_CREATE",
    "REFUND_DETAIL",
    "SUGGESTED_REFUND",
]

#: The adapter reads presentment amounts only (the customer's currency, the one refunds take).
_MONEY = "presentmentMoney { amount currencyCode }"

_ORDER_FIELDS = f"""
fragment RefundSyncOrderFields on Order {{
  id
  legacyResourceId
  name
  currencyCode
  presentmentCurrencyCode
  customer {{ id }}
  lineItems(first: 100) {{
    nodes {{ id sku quantity refundableQuantity }}
  }}
  transactions(first: 50) {{
    id
    kind
    status
    gateway
    parentTransaction {{ id }}
    amountSet {{ {_MONEY} }}
  }}
  refunds(first: 50) {{ id note createdAt }}
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
ORDERS_WITH_REFUNDS = """
query RefundSyncOrdersWithRefunds($first: Int!, $after: String, $query: String!) {
  orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {
    nodes {
      id
      refunds(first: 50) { id createdAt }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

#: One refund with its lines, shipping and money movements.
REFUND_DETAIL = f"""
query RefundSyncRefund($id: ID!) {{
  refund(id: $id) {{
    id
    createdAt
    order {{ id legacyResourceId presentmentCurrencyCode }}
    totalRefundedSet {{ {_MONEY} }}
    refundLineItems(first: 50) {{
      nodes {{
        quantity
        lineItem {{ id sku }}
        subtotalSet {{ {_MONEY} }}
        totalTaxSet {{ {_MONEY} }}
      }}
    }}
    refundShippingLines(first: 10) {{
      nodes {{
        subtotalAmountSet {{ {_MONEY} }}
        taxAmountSet {{ {_MONEY} }}
      }}
    }}
    transactions(first: 20) {{
      nodes {{
        id
        kind
        status
        gateway
        parentTransaction {{ id }}
        amountSet {{ {_MONEY} }}
      }}
    }}
  }}
}}
"""

ALL_DOCUMENTS: dict[str, str] = {
    "RefundSyncOrder": ORDER_BY_ID,
    "RefundSyncOrderByName": ORDER_BY_NAME,
    "RefundSyncSuggestedRefund": SUGGESTED_REFUND,
    "RefundSyncRefundCreate": REFUND_CREATE,
    "RefundSyncOrdersWithRefunds": ORDERS_WITH_REFUNDS,
    "RefundSyncRefund": REFUND_DETAIL,
}
