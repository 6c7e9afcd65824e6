"""The fixture builders, which ship in the library's conformance kit; imported here for brevity.

Import with ``from tests.builders import ...``; see :mod:`refund_adapters.conformance.builders`.
"""

from refund_adapters.conformance.builders import (
    M,
    at,
    cash_sale,
    credit_memo,
    customer_deposit,
    dispute,
    invoice,
    ledger,
    order,
    payment,
    payment_failure,
    storefront_refund,
    stripe_refund,
    tx_lines,
    with_tax,
)

__all__ = [
    "M",
    "at",
    "cash_sale",
    "credit_memo",
    "customer_deposit",
    "dispute",
    "invoice",
    "ledger",
    "order",
    "payment",
    "payment_failure",
    "storefront_refund",
    "stripe_refund",
    "tx_lines",
    "with_tax",
]
