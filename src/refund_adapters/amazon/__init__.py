"""Amazon SP-API adapter: refunds from the Finances API as an incoming refund source.

Intent: Amazon is a marketplace, so refunds flow in (NSC-10): a refund made in Seller Central
becomes a :class:`refund_core.RefundEvent` that the NetSuite Connector policy turns into a cash
refund or credit memo. There is no refund-create API to call; this package only reads.

- :data:`DEFAULT_CAPABILITIES`: Amazon declares itself a marketplace (NSC-10: incoming by
  default); :attr:`AmazonRefundSource.capabilities` says the same under the source's name.
- :class:`AmazonRefundSource`: the :class:`refund_core.RefundSource` (Login with Amazon, regional
  hosts, Finances 2024-06-19 ``listTransactions`` by default or v0 ``listFinancialEvents`` until
  its removal on 2027-08-27, 180-day windows, pacing at the documented rate, typed errors).
- :class:`AmazonRefund`: one refund with Amazon's fee adjustments and withheld taxes kept beside
  the customer refund (they are never part of its amount).
- :class:`AmazonDoctor`: checks, reading only, what the source assumes about a seller account.
- :class:`AmazonStandIn`: a stateful local stand-in of LWA and both Finances operations.
"""

from ._auth import LWA_TOKEN_URL, AccessTokenCache, LwaCredentials, Region, endpoint
from ._doctor import AmazonDoctor
from ._mapping import (
    LINE_CHARGE_TYPES,
    SHIPPING_CHARGE_TYPES,
    AmazonRefund,
    FeeAdjustment,
    OrderRefKind,
    TaxWithheld,
    v0_refund_id,
)
from ._source import (
    DEFAULT_CAPABILITIES,
    MAX_WINDOW,
    MIN_SETTLE_DELAY,
    USAGE_PLANS,
    V0_REMOVAL_DATE,
    AmazonRefundSource,
    FinancesApi,
    UsagePlan,
    split_windows,
)
from ._standin import AmazonStandIn, Exchange, SeededItem, SeededRefund
from ._wire import AmazonPayloadError

__all__ = [
    "DEFAULT_CAPABILITIES",
    "LINE_CHARGE_TYPES",
    "LWA_TOKEN_URL",
    "MAX_WINDOW",
    "MIN_SETTLE_DELAY",
    "SHIPPING_CHARGE_TYPES",
    "USAGE_PLANS",
    "V0_REMOVAL_DATE",
    "AccessTokenCache",
    "AmazonDoctor",
    "AmazonPayloadError",
    "AmazonRefund",
    "AmazonRefundSource",
    "AmazonStandIn",
    "Exchange",
    "FeeAdjustment",
    "FinancesApi",
    "LwaCredentials",
    "OrderRefKind",
    "Region",
    "SeededItem",
    "SeededRefund",
    "TaxWithheld",
    "UsagePlan",
    "endpoint",
    "split_windows",
    "v0_refund_id",
]
