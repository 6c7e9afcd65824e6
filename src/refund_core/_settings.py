"""Refund settings and connector accounts.

Settings mirror the connectors' refund settings pages; combinations that cannot run raise
:class:`ConfigurationError` on construction, naming the setting to fix.
"""

import enum
from datetime import datetime

import attrs

from ._errors import ConfigurationError
from ._tax import TaxRounding
from ._validators import identifier, optional_aware, optional_identifier

__all__ = [
    "AccountReview",
    "ConnectorAccount",
    "Direction",
    "Policy",
    "PreStartMode",
    "RefundSettings",
    "StorefrontCapabilities",
    "StorefrontKind",
]


class Policy(enum.StrEnum):
    """Which product's behaviour a decision reproduces; they differ (e.g. on cash sales)."""

    NETSUITE_CONNECTOR = "netsuite_connector"
    STRIPE_CONNECTOR = "stripe_connector"


class PreStartMode(enum.StrEnum):
    """What happens to refunds of charges before the record sync start date (STC-11)."""

    SKIP = "skip"
    DEPOSIT_LINE = "deposit_line"


@attrs.frozen
class RefundSettings:
    """The refund settings of one connector account.

    Item and account values are NetSuite internal IDs or names, passed through untouched: the
    connector never edits the items themselves (STC-17).

    ``tax_rounding`` is the account's tax rounding method (NetSuite's Set Up Taxes), with which
    NetSuite rounds each line's tax; ``tax_item`` the tax item of explicit tax lines (TAX-2);
    ``shipping_refund_item``, when set, the item refunded shipping is written on instead of the
    record's shipping cost (SHP-1); ``dispute_account`` the account of the Other Deposits line of
    a won dispute's reinstated funds (DSP-2).
    """

    use_refund_item: bool = False
    refund_item: str | None = attrs.field(default=None, validator=optional_identifier)
    partial_refund_item: str | None = attrs.field(default=None, validator=optional_identifier)
    revenue_recognition: bool = False
    deferred_revenue_account: str | None = attrs.field(default=None, validator=optional_identifier)
    gift_card_as_store_credit: bool = False
    record_sync_start: datetime | None = attrs.field(default=None, validator=optional_aware)
    pre_start_mode: PreStartMode = attrs.field(default=PreStartMode.SKIP, converter=PreStartMode)
    summarize_before_backfill: bool = False
    pre_start_income_account: str | None = attrs.field(default=None, validator=optional_identifier)
    fee_account: str | None = attrs.field(default=None, validator=optional_identifier)
    deposit_account: str | None = attrs.field(default=None, validator=optional_identifier)
    tax_rounding: TaxRounding = attrs.field(default=TaxRounding.ROUND_OFF, converter=TaxRounding)
    tax_item: str | None = attrs.field(default=None, validator=optional_identifier)
    shipping_refund_item: str | None = attrs.field(default=None, validator=optional_identifier)
    dispute_account: str | None = attrs.field(default=None, validator=optional_identifier)

    def __attrs_post_init__(self) -> None:
        if self.use_refund_item and self.refund_item is None:
            raise ConfigurationError("use_refund_item is on, but refund_item names no item")
        if self.revenue_recognition and self.deferred_revenue_account is None:
            raise ConfigurationError(
                "revenue_recognition is on, but deferred_revenue_account names no account"
            )
        if self.pre_start_mode is PreStartMode.DEPOSIT_LINE:
            if self.pre_start_income_account is None:
                raise ConfigurationError(
                    "pre_start_mode is 'deposit_line', but pre_start_income_account is not set"
                )
            if self.record_sync_start is None:
                raise ConfigurationError(
                    "pre_start_mode is 'deposit_line', but record_sync_start is not set"
                )
        if self.summarize_before_backfill and self.pre_start_mode is not PreStartMode.DEPOSIT_LINE:
            raise ConfigurationError(
                "summarize_before_backfill only applies with pre_start_mode 'deposit_line'"
            )


class Direction(enum.StrEnum):
    """Which way refunds flow for an account (NSC-9)."""

    INCOMING = "incoming"  # storefront or marketplace -> NetSuite
    OUTGOING = "outgoing"  # NetSuite -> storefront


class StorefrontKind(enum.StrEnum):
    """Marketplaces refund where the sale happened; carts are refunded from NetSuite (NSC-10)."""

    MARKETPLACE = "marketplace"
    CART = "cart"

    @property
    def recommended_direction(self) -> Direction:
        """The direction the connector's documentation recommends for this kind."""
        if self is StorefrontKind.MARKETPLACE:
            return Direction.INCOMING
        return Direction.OUTGOING


@attrs.frozen
class StorefrontCapabilities:
    """What a storefront integration declares about itself."""

    name: str = attrs.field(validator=identifier)
    kind: StorefrontKind = attrs.field(converter=StorefrontKind)
    supports_store_credit: bool = False


def _directions(value: object) -> frozenset[Direction]:
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        raise ConfigurationError(f"directions must be a list of directions, got {value!r}")
    return frozenset(Direction(item) for item in value)


@attrs.frozen
class ConnectorAccount:
    """A connector account: one storefront, the direction(s) it asks for, and its settings."""

    account_id: str = attrs.field(validator=identifier)
    storefront: StorefrontCapabilities
    directions: frozenset[Direction] = attrs.field(converter=_directions)
    settings: RefundSettings = attrs.Factory(RefundSettings)


@attrs.frozen
class AccountReview:
    """The result of checking an account that can run: its direction and any warnings."""

    account_id: str
    direction: Direction
    warnings: tuple[str, ...] = ()
    rule_ids: tuple[str, ...] = ()
