"""Deterministic external IDs for every record a plan creates (IDM-1).

An external ID is derived only from (source system, source event ID, role of the record, target
transaction), so planning the same input twice, on any machine, gives the same IDs. The same value
is used as NetSuite ``externalId``, Stripe ``Idempotency-Key`` and Shopify ``@idempotent`` key,
which is what makes repeating a write harmless.

The ID keeps the role readable and hashes the rest: source IDs can be long or contain characters
NetSuite does not accept in an external ID, and a fixed length fits every target's limits.
"""

import enum
import hashlib

from ._models import SourceKey

__all__ = ["Role", "external_id"]

_DIGEST_CHARS = 24  # 96 bits: collisions are not a practical concern for one account's refunds


class Role(enum.StrEnum):
    """What a created record is for; part of its identity (IDM-1)."""

    CREDIT_MEMO = "cm"
    CUSTOMER_REFUND = "cr"
    CASH_REFUND = "cs"
    PAYMENT_FAILED = "pf"
    REVERSAL = "rv"
    DEPOSIT = "dp"
    STOREFRONT_REFUND = "sr"
    STORE_CREDIT = "sc"


def external_id(source: SourceKey, role: Role, target: str) -> str:
    """The external ID of the record playing ``role`` for ``source`` against ``target``.

    >>> external_id(SourceKey("stripe", "re_1"), Role.CREDIT_MEMO, "INV-7")
    'rs-cm-63b44efc703be21875e674a7'
    """
    # Unit separators keep ("a", "bc") and ("ab", "c") apart. "surrogatepass": an ID may hold a
    # lone UTF-16 surrogate (truncated UTF-16 text at the source); it still has exactly one
    # encoding, so the ID stays deterministic and distinct (strict UTF-8 would refuse it).
    material = "\x1f".join((source.source, source.event_id, role.value, target))
    digest = hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:_DIGEST_CHARS]
    return f"rs-{role.value}-{digest}"
