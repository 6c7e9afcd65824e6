"""What a decision returns: a plan of actions, or a skipped or unsupported result (IDM-3).

Each action is a write some adapter will perform. It carries its deterministic external ID
(IDM-1), the rule IDs that produced it and a sentence saying why, so a user can always ask
"why this credit memo, with these lines?". Manual actions are things a person must do (NSC-8,
STC-11); they are reported, never performed.
"""

import enum
from datetime import datetime
from decimal import Decimal

import attrs

from ._errors import InvalidRecordError
from ._models import (
    CreditLine,
    DepositRecordKind,
    OtherDepositLine,
    RefundApplicationKind,
    SourceKey,
    StorefrontSync,
    deposit_record_kind,
    refund_application_kind,
)
from ._money import Money, sum_money
from ._validators import (
    aware,
    identifier,
    member_of,
    optional_identifier,
    positive_money,
    to_tuple,
)

__all__ = [
    "Action",
    "CreateCashRefund",
    "CreateCreditMemo",
    "CreateCustomerRefund",
    "CreateDeposit",
    "CreateRefundReversal",
    "Flow",
    "IssueStoreCredit",
    "IssueStorefrontRefund",
    "ManualAction",
    "MarkPaymentFailed",
    "MarkRecordSynced",
    "Notice",
    "Outcome",
    "Plan",
    "PlannedApplication",
    "PlannedDepositLine",
    "Reason",
    "RecordRef",
    "Skipped",
    "StorefrontRefundLine",
    "SyncedRecordKind",
    "Unsupported",
]


class Flow(enum.StrEnum):
    """Which decision produced an outcome."""

    INCOMING_REFUND = "incoming_refund"
    STRIPE_REFUND = "stripe_refund"
    PAYMENT_FAILURE = "payment_failure"
    PAYOUT = "payout"
    OUTGOING_REFUND = "outgoing_refund"


class Reason(enum.StrEnum):
    """Machine-readable codes for skipped and unsupported results and manual actions."""

    ALREADY_SYNCED = "already_synced"
    NOT_SUCCEEDED = "not_succeeded"
    FAILED_AFTER_SYNC = "failed_after_sync"
    PAYMENT_NOT_SYNCED = "payment_not_synced"
    ORDER_NOT_SYNCED = "order_not_synced"
    OPEN_RMA = "open_rma"
    CASH_SALE = "cash_sale"
    NOT_BILLED = "not_billed"
    LINE_NOT_BILLED = "line_not_billed"
    NEEDS_REFUND_ITEM = "needs_refund_item"
    DEPOSIT_ALREADY_APPLIED = "deposit_already_applied"
    PRE_START_DATE = "pre_start_date"
    REFUND_NOT_SYNCED = "refund_not_synced"
    NOTHING_TO_REVERSE = "nothing_to_reverse"
    GIFT_CARD = "gift_card"
    NOT_A_REFUND_RECORD = "not_a_refund_record"
    UNSUPPORTED_BALANCE_ENTRY = "unsupported_balance_entry"
    OTHER_STOREFRONT = "other_storefront"
    NEEDS_TAX_ITEM = "needs_tax_item"
    STORE_CREDIT_ISSUED = "store_credit_issued"
    CONFLICT = "conflict"
    NO_EXCHANGE_RATE = "no_exchange_rate"
    WRONG_DIRECTION = "wrong_direction"


def _flow(value: object) -> Flow:
    return member_of(Flow, value)


def _reason(value: object) -> Reason:
    return member_of(Reason, value)


@attrs.frozen
class RecordRef:
    """A NetSuite record by internal ID, or by the external ID of a record the same plan creates."""

    internal_id: str | None = attrs.field(default=None, validator=optional_identifier)
    external_id: str | None = attrs.field(default=None, validator=optional_identifier)

    def __attrs_post_init__(self) -> None:
        if (self.internal_id is None) == (self.external_id is None):
            raise InvalidRecordError("a record reference needs exactly one of internal/external ID")

    def __str__(self) -> str:
        return self.internal_id if self.internal_id is not None else f"ext:{self.external_id}"


@attrs.frozen(kw_only=True)
class _Action:
    external_id: str = attrs.field(validator=identifier)
    source: SourceKey
    rule_ids: tuple[str, ...] = attrs.field(converter=to_tuple)
    reason: str


@attrs.frozen(kw_only=True)
class CreateCreditMemo(_Action):
    """Create a credit memo from an invoice or RMA (NSC-3, STC-4)."""

    customer_id: str = attrs.field(validator=identifier)
    created_from: str = attrs.field(validator=identifier)
    order_id: str | None = None
    refunded_payment_id: str | None = None
    lines: tuple[CreditLine, ...] = attrs.field(converter=to_tuple)
    shipping: Money
    amount: Money = attrs.field(validator=positive_money)

    def __attrs_post_init__(self) -> None:
        total = sum_money((line.gross for line in self.lines), self.amount.currency)
        total = total + self.shipping
        if total != self.amount:
            raise InvalidRecordError(f"credit memo lines add up to {total}, not {self.amount}")


@attrs.frozen(kw_only=True)
class CreateCashRefund(_Action):
    """Create a cash refund from a cash sale (NSC-2)."""

    customer_id: str = attrs.field(validator=identifier)
    created_from: str = attrs.field(validator=identifier)
    order_id: str | None = None
    lines: tuple[CreditLine, ...] = attrs.field(converter=to_tuple)
    shipping: Money
    amount: Money = attrs.field(validator=positive_money)

    def __attrs_post_init__(self) -> None:
        total = sum_money((line.gross for line in self.lines), self.amount.currency)
        total = total + self.shipping
        if total != self.amount:
            raise InvalidRecordError(f"cash refund lines add up to {total}, not {self.amount}")


@attrs.frozen
class PlannedApplication:
    """One line of a planned customer refund's apply list."""

    kind: RefundApplicationKind = attrs.field(converter=refund_application_kind)
    record: RecordRef
    amount: Money = attrs.field(validator=positive_money)


@attrs.frozen(kw_only=True)
class CreateCustomerRefund(_Action):
    """Create a customer refund, posted to Undeposited Funds (STC-2, STC-4, STC-12)."""

    customer_id: str = attrs.field(validator=identifier)
    payment_id: str | None = None
    applications: tuple[PlannedApplication, ...] = attrs.field(converter=to_tuple)
    amount: Money = attrs.field(validator=positive_money)
    memo: str = ""

    def __attrs_post_init__(self) -> None:
        total = sum_money((app.amount for app in self.applications), self.amount.currency)
        if total != self.amount:
            raise InvalidRecordError(f"customer refund applies {total}, not {self.amount}")


@attrs.frozen(kw_only=True)
class MarkPaymentFailed(_Action):
    """Set a delayed payment's status to failed and unapply it from its invoices (STC-10)."""

    payment_id: str = attrs.field(validator=identifier)
    unapply_invoice_ids: tuple[str, ...] = attrs.field(converter=to_tuple)
    memo: str


@attrs.frozen(kw_only=True)
class CreateRefundReversal(_Action):
    """Reverse a synced refund that failed at its source: an unapplied customer payment (IDM-3).

    NetSuite has no void for a customer refund, so the failed refund's effect is reversed by a
    new customer payment to Undeposited Funds for what its customer refunds paid out, applied
    to nothing: the customer holds that credit again (the credit memos stay). ``memo`` carries
    the source's failure reason (as STC-10's memo does); ``reversed_refund_ids`` are the
    customer refunds it reverses, for the audit trail; ``transaction_date`` is the failed
    event's time (the core reads no clock).
    """

    customer_id: str = attrs.field(validator=identifier)
    amount: Money = attrs.field(validator=positive_money)
    memo: str
    reversed_refund_ids: tuple[str, ...] = attrs.field(converter=to_tuple)
    transaction_date: datetime = attrs.field(validator=aware)
    account: str = attrs.field(default="undeposited_funds", validator=identifier)


@attrs.frozen
class PlannedDepositLine:
    """A payment or customer refund the planned deposit takes out of Undeposited Funds.

    ``amount`` is in the deposit's (settlement) currency; ``exchange_rate`` is the processor's
    rate when the record is in another (the charge's) currency (CCY-1).
    """

    kind: DepositRecordKind = attrs.field(converter=deposit_record_kind)
    record: RecordRef
    amount: Money
    exchange_rate: Decimal | None = None


@attrs.frozen(kw_only=True)
class CreateDeposit(_Action):
    """Create the deposit representing a payout (STC-11..13)."""

    payout_ref: str = attrs.field(validator=identifier)
    account: str | None = None
    payment_lines: tuple[PlannedDepositLine, ...] = attrs.field(converter=to_tuple)
    other_lines: tuple[OtherDepositLine, ...] = attrs.field(converter=to_tuple)
    amount: Money

    def __attrs_post_init__(self) -> None:
        total = sum_money(
            (
                *(line.amount for line in self.payment_lines),
                *(line.amount for line in self.other_lines),
            ),
            self.amount.currency,
        )
        if total != self.amount:
            raise InvalidRecordError(f"deposit lines add up to {total}, not {self.amount}")


@attrs.frozen
class StorefrontRefundLine:
    """A line of an outgoing storefront refund: which order line, how many, for how much."""

    order_line_ref: str = attrs.field(validator=identifier)
    quantity: Decimal | None
    amount: Money


@attrs.frozen(kw_only=True)
class IssueStorefrontRefund(_Action):
    """Ask the storefront to refund the customer's payment method (NSC-7).

    ``amount`` is what goes back to the payment method; lines and shipping describe the refund.
    """

    storefront: str = attrs.field(validator=identifier)
    order_ref: str = attrs.field(validator=identifier)
    record: RecordRef
    lines: tuple[StorefrontRefundLine, ...] = attrs.field(converter=to_tuple)
    shipping: Money
    amount: Money


@attrs.frozen(kw_only=True)
class IssueStoreCredit(_Action):
    """Ask the storefront to issue store credit for the gift-card part of a refund (NSC-8)."""

    storefront: str = attrs.field(validator=identifier)
    order_ref: str = attrs.field(validator=identifier)
    customer_id: str = attrs.field(validator=identifier)
    amount: Money = attrs.field(validator=positive_money)


class SyncedRecordKind(enum.StrEnum):
    """NetSuite records that outgoing sync marks as synced."""

    CREDIT_MEMO = "credit_memo"
    CASH_REFUND = "cash_refund"


@attrs.frozen(kw_only=True)
class MarkRecordSynced(_Action):
    """Record on the NetSuite refund that it reached the storefront (outgoing idempotency)."""

    record_kind: SyncedRecordKind = attrs.field(converter=SyncedRecordKind)
    record_id: str = attrs.field(validator=identifier)
    sync: StorefrontSync


Action = (
    CreateCreditMemo
    | CreateCashRefund
    | CreateCustomerRefund
    | MarkPaymentFailed
    | CreateRefundReversal
    | CreateDeposit
    | IssueStorefrontRefund
    | IssueStoreCredit
    | MarkRecordSynced
)


@attrs.frozen
class ManualAction:
    """Something a person must do because the connector will not (NSC-8, STC-11)."""

    code: Reason = attrs.field(converter=_reason)
    message: str
    rule_ids: tuple[str, ...] = attrs.field(converter=to_tuple)
    amount: Money | None = None


@attrs.frozen
class Notice:
    """Something reported about a plan that needs nobody to act (NSC-8: store credit issued)."""

    code: Reason = attrs.field(converter=_reason)
    message: str
    rule_ids: tuple[str, ...] = attrs.field(converter=to_tuple)
    amount: Money | None = None


@attrs.frozen
class Plan:
    """The writes that represent one source event, in the order they must happen.

    A plan may hold no writes at all and only report (a refund wholly on a gift card, NSC-8).
    """

    key: SourceKey
    flow: Flow = attrs.field(converter=_flow)
    summary: str
    actions: tuple[Action, ...] = attrs.field(converter=to_tuple)
    manual_actions: tuple[ManualAction, ...] = attrs.field(default=(), converter=to_tuple)
    notices: tuple[Notice, ...] = attrs.field(default=(), converter=to_tuple)

    def __attrs_post_init__(self) -> None:
        ids = [action.external_id for action in self.actions]
        if len(set(ids)) != len(ids):
            raise InvalidRecordError(f"plan for {self.key} repeats an external ID")

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """Every rule behind this plan, each once, in order of first use."""
        seen: dict[str, None] = {}
        for action in self.actions:
            seen.update(dict.fromkeys(action.rule_ids))
        for manual in self.manual_actions:
            seen.update(dict.fromkeys(manual.rule_ids))
        for notice in self.notices:
            seen.update(dict.fromkeys(notice.rule_ids))
        return tuple(seen)


@attrs.frozen
class Skipped:
    """Nothing to do for this event, on purpose; ``code`` says why, ``message`` says it in words."""

    key: SourceKey
    flow: Flow = attrs.field(converter=_flow)
    code: Reason = attrs.field(converter=_reason)
    message: str
    rule_ids: tuple[str, ...] = attrs.field(converter=to_tuple)
    manual_actions: tuple[ManualAction, ...] = attrs.field(default=(), converter=to_tuple)


@attrs.frozen
class Unsupported:
    """The event cannot be represented under this policy; nothing is created."""

    key: SourceKey
    flow: Flow = attrs.field(converter=_flow)
    code: Reason = attrs.field(converter=_reason)
    message: str
    rule_ids: tuple[str, ...] = attrs.field(converter=to_tuple)


Outcome = Plan | Skipped | Unsupported
