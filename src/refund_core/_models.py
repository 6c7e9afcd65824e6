"""Immutable records of both sides of a sync.

Source side: what a storefront, marketplace or payment processor tells us (refunds, failed delayed
payments, payouts). NetSuite side: the transactions a plan reads and the ones it creates. Every
record is a frozen attrs class holding tuples, and checks on construction that its parts agree
(one currency, sums that add up), so a contradictory record cannot exist.
"""

import enum
import functools
import operator
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from ._errors import InvalidRecordError, NonPositiveAmountError
from ._index import LedgerIndex
from ._money import Currency, Money, sum_money
from ._tax import CreditLineKind, LineTax, stated_tax
from ._validators import (
    aware,
    identifier,
    member_of,
    optional_aware,
    optional_identifier,
    positive_money,
    positive_quantity,
    same_currency,
    to_tuple,
)

__all__ = [
    "ApplicationChange",
    "ApplicationChangeKind",
    "BalanceEntry",
    "BalanceEntryKind",
    "CashRefund",
    "CashSale",
    "CreditLine",
    "CreditMemo",
    "CustomerDeposit",
    "CustomerPayment",
    "CustomerRefund",
    "Deposit",
    "DepositApplication",
    "DepositPaymentLine",
    "DepositRecordKind",
    "Invoice",
    "LedgerSnapshot",
    "OtherDepositLine",
    "PaymentApplication",
    "PaymentFailure",
    "PaymentStatus",
    "Payout",
    "RefundApplication",
    "RefundApplicationKind",
    "RefundEvent",
    "RefundKind",
    "RefundLine",
    "RefundStatus",
    "ReturnAuthorization",
    "ReturnAuthorizationStatus",
    "SalesOrder",
    "SourceKey",
    "StorefrontSync",
    "TenderKind",
    "TenderPart",
    "TransactionLine",
]


# ----------------------------------------------------------------------------------------------
# Source side
# ----------------------------------------------------------------------------------------------


class RefundStatus(enum.StrEnum):
    """Lifecycle of a refund at its source."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class TenderKind(enum.StrEnum):
    """How (part of) an order was paid, and so how that part is refunded (NSC-8)."""

    PAYMENT_METHOD = "payment_method"
    GIFT_CARD = "gift_card"
    STORE_CREDIT = "store_credit"


class RefundKind(enum.StrEnum):
    """What took the money back: a refund, or a dispute whose funds were withdrawn (DSP-1)."""

    REFUND = "refund"
    DISPUTE = "dispute"


@attrs.frozen(cache_hash=True)
class SourceKey:
    """Identifies one source event: the system it came from and its ID there."""

    source: str = attrs.field(validator=identifier)
    event_id: str = attrs.field(validator=identifier)

    def __str__(self) -> str:
        return f"{self.source}:{self.event_id}"


@attrs.frozen
class TenderPart:
    """The part of an order or refund paid with one kind of tender."""

    kind: TenderKind = attrs.field(converter=TenderKind)
    amount: Money = attrs.field(validator=positive_money)


@attrs.frozen
class RefundLine:
    """One refunded order line as the source names it: which line, how many, for how much.

    ``amount`` is what the line refunds, tax included; ``tax`` the part of it that is tax, when
    the source says (TAX-2). Without it, the part is taken in the billed line's proportion.
    """

    order_line_ref: str = attrs.field(validator=identifier)
    quantity: Decimal | None = attrs.field(validator=positive_quantity)
    amount: Money = attrs.field(validator=positive_money)
    tax: Money | None = None

    def __attrs_post_init__(self) -> None:
        if self.tax is None:
            return
        same_currency(f"refund line {self.order_line_ref}", self.amount.currency, (self.tax,))
        if self.tax.is_negative or self.tax > self.amount:
            raise InvalidRecordError(
                f"refund line {self.order_line_ref}: tax {self.tax} is not part of its "
                f"amount {self.amount}"
            )


def _check_tenders(what: str, total: Money, tenders: tuple[TenderPart, ...]) -> None:
    if not tenders:
        return
    same_currency(what, total.currency, (tender.amount for tender in tenders))
    tender_total = sum_money((tender.amount for tender in tenders), total.currency)
    if tender_total != total:
        raise InvalidRecordError(
            f"{what}: tenders add up to {tender_total}, but the total is {total}"
        )


@attrs.frozen
class RefundEvent:
    """A refund issued at a storefront, marketplace or payment processor.

    ``lines``, ``shipping`` and ``adjustment`` are given when the source names them (carts do,
    Stripe does not). When lines are given, lines + shipping + adjustment equal the amount.
    ``adjustment`` is signed (a restocking fee is negative). ``tenders`` splits the amount by
    tender when the source reports it (gift card vs payment method). ``failure_reason`` is the
    source's reason when a refund failed (Stripe's ``failure_reason``), for the reversal's memo.
    ``kind`` says whether a refund or a dispute took the money back (DSP-1): a dispute is decided
    like a refund of the disputed amount, ``refund_id`` being the dispute's ID.
    """

    source: str = attrs.field(validator=identifier)
    refund_id: str = attrs.field(validator=identifier)
    amount: Money
    created_at: datetime = attrs.field(validator=aware)
    status: RefundStatus = attrs.field(converter=RefundStatus)
    payment_ref: str | None = attrs.field(default=None, validator=optional_identifier)
    order_ref: str | None = attrs.field(default=None, validator=optional_identifier)
    lines: tuple[RefundLine, ...] = attrs.field(default=(), converter=to_tuple)
    shipping: Money | None = None
    adjustment: Money | None = None
    tenders: tuple[TenderPart, ...] = attrs.field(default=(), converter=to_tuple)
    charge_created_at: datetime | None = attrs.field(default=None, validator=optional_aware)
    failure_reason: str | None = None
    kind: RefundKind = attrs.field(default=RefundKind.REFUND, converter=RefundKind)

    def __attrs_post_init__(self) -> None:
        if not self.amount.is_positive:  # MNY-2
            raise NonPositiveAmountError(
                f"refund {self.source}:{self.refund_id} has amount {self.amount}; "
                "a refund must be positive"
            )
        what = f"refund {self.source}:{self.refund_id}"
        same_currency(
            what,
            self.amount.currency,
            (
                *(line.amount for line in self.lines),
                *(line.tax for line in self.lines),
                self.shipping,
                self.adjustment,
            ),
        )
        if self.shipping is not None and self.shipping.is_negative:
            raise InvalidRecordError(f"{what}: shipping {self.shipping} is negative")
        if self.lines:
            parts = sum_money((line.amount for line in self.lines), self.amount.currency)
            parts = parts + self.shipping_amount + self.adjustment_amount
            if parts != self.amount:
                raise InvalidRecordError(
                    f"{what}: lines, shipping and adjustment add up to {parts}, "
                    f"but the refund is {self.amount}"
                )
        _check_tenders(what, self.amount, self.tenders)

    @functools.cached_property
    def key(self) -> SourceKey:
        """The event's identity across deliveries."""
        return SourceKey(self.source, self.refund_id)

    @property
    def shipping_amount(self) -> Money:
        """Refunded shipping, zero when the source names none."""
        return self.shipping if self.shipping is not None else Money.zero(self.amount.currency)

    @property
    def adjustment_amount(self) -> Money:
        """The signed adjustment, zero when the source names none."""
        return self.adjustment if self.adjustment is not None else Money.zero(self.amount.currency)


@attrs.frozen
class PaymentFailure:
    """A delayed-notification payment (e.g. ACH debit) that failed after it was applied (STC-10)."""

    source: str = attrs.field(validator=identifier)
    failure_id: str = attrs.field(validator=identifier)
    payment_ref: str = attrs.field(validator=identifier)
    amount: Money = attrs.field(validator=positive_money)
    failed_at: datetime = attrs.field(validator=aware)
    failure_code: str = attrs.field(validator=identifier)
    failure_message: str = ""

    @functools.cached_property
    def key(self) -> SourceKey:
        """The event's identity across deliveries."""
        return SourceKey(self.source, self.failure_id)


class BalanceEntryKind(enum.StrEnum):
    """What one entry of a payout is.

    ``REFUND_FAILURE``: a refund that failed after it left the balance gives the money back
    (positive); ``source_ref`` names the refund, whose reversal payments (IDM-3) the deposit takes
    out of Undeposited Funds. ``DISPUTE``: a dispute's funds withdrawn (negative); ``source_ref``
    names the dispute, whose customer refunds (DSP-1) the deposit takes out as it does a refund's.
    ``DISPUTE_REVERSAL``: a won dispute's funds reinstated (positive), an Other Deposits line
    (DSP-2). ``OTHER``: a movement no deposit line represents (a transfer, an adjustment);
    ``description`` says what it is, and its payout is refused whole rather than deposited short.
    """

    CHARGE = "charge"
    REFUND = "refund"
    FEE = "fee"
    FEE_REFUND = "fee_refund"
    PAYMENT_FAILURE = "payment_failure"
    REFUND_FAILURE = "refund_failure"
    DISPUTE = "dispute"
    DISPUTE_REVERSAL = "dispute_reversal"
    OTHER = "other"


@attrs.frozen
class BalanceEntry:
    """One balance movement included in a payout; amounts are signed (refunds negative).

    ``source_ref`` names what moved: the charge, refund, dispute or failure ID at the source.
    ``charge_created_at`` is the date of the refunded charge, for refunds, refund failures and
    disputes (STC-11). ``exchange_rate`` is the processor's rate when the money was converted into
    the payout's (settlement) currency: the source amount times the rate is ``amount`` (CCY-1).
    """

    entry_id: str = attrs.field(validator=identifier)
    kind: BalanceEntryKind = attrs.field(converter=BalanceEntryKind)
    amount: Money
    source_ref: str = attrs.field(validator=identifier)
    description: str = ""
    charge_created_at: datetime | None = attrs.field(default=None, validator=optional_aware)
    exchange_rate: Decimal | None = attrs.field(default=None, validator=positive_quantity)

    def __attrs_post_init__(self) -> None:
        if self.amount.is_zero:
            raise InvalidRecordError(f"balance entry {self.entry_id} has a zero amount")
        gives_back = (BalanceEntryKind.REFUND_FAILURE, BalanceEntryKind.DISPUTE_REVERSAL)
        if self.kind in gives_back and self.amount.is_negative:
            raise InvalidRecordError(
                f"balance entry {self.entry_id}: a {self.kind.value.replace('_', ' ')} gives "
                f"money back, not {self.amount}"
            )
        if self.kind is BalanceEntryKind.DISPUTE and self.amount.is_positive:
            raise InvalidRecordError(
                f"balance entry {self.entry_id}: a dispute withdraws money, not {self.amount}"
            )


@attrs.frozen
class Payout:
    """A payout from the processor to the bank, with every balance entry it settles."""

    source: str = attrs.field(validator=identifier)
    payout_id: str = attrs.field(validator=identifier)
    amount: Money
    arrival_at: datetime = attrs.field(validator=aware)
    entries: tuple[BalanceEntry, ...] = attrs.field(converter=to_tuple)

    def __attrs_post_init__(self) -> None:
        what = f"payout {self.payout_id}"
        if not self.entries:
            raise InvalidRecordError(f"{what} has no balance entries")
        same_currency(what, self.amount.currency, (entry.amount for entry in self.entries))
        total = sum_money((entry.amount for entry in self.entries), self.amount.currency)
        if total != self.amount:
            raise InvalidRecordError(f"{what}: entries add up to {total}, not {self.amount}")
        ids = [entry.entry_id for entry in self.entries]
        if len(set(ids)) != len(ids):
            raise InvalidRecordError(f"{what} lists a balance entry twice")

    @functools.cached_property
    def key(self) -> SourceKey:
        """The event's identity across deliveries."""
        return SourceKey(self.source, self.payout_id)


# ----------------------------------------------------------------------------------------------
# NetSuite side
# ----------------------------------------------------------------------------------------------


@attrs.frozen
class TransactionLine:
    """An item line of a sales order, invoice, cash sale or return authorization.

    ``order_line_ref`` is the storefront's ID of the order line this line bills, which the
    connector keeps on every line so refunds naming lines can find them (NSC-5). ``amount`` is
    the line's net amount; ``tax`` its tax code, rate and amount as NetSuite holds them (TAX-1),
    None for a line without tax.
    """

    line_id: str = attrs.field(validator=identifier)
    item: str = attrs.field(validator=identifier)
    quantity: Decimal | None = attrs.field(validator=positive_quantity)
    amount: Money
    order_line_ref: str | None = attrs.field(default=None, validator=optional_identifier)
    tax: LineTax | None = None

    def __attrs_post_init__(self) -> None:
        if self.tax is not None:
            same_currency(f"line {self.line_id}", self.amount.currency, (self.tax.amount,))

    @functools.cached_property
    def gross(self) -> Money:
        """Net plus tax."""
        return self.amount + stated_tax(self)


def _credit_line_kind(value: object) -> CreditLineKind:
    return member_of(CreditLineKind, value)


@attrs.frozen
class CreditLine:
    """A line of a credit memo or cash refund: its item, net amount and tax (TAX-3).

    ``origin_line_id`` is the billing line it credits, if any (a partial-refund item line credits
    no particular line). ``account`` overrides the item's posting account (deferred revenue,
    STC-15). ``tax`` is the tax code, rate and amount of a taxable line (None: not taxable).
    ``kind`` says what the line is (:class:`CreditLineKind`): an explicit tax line (``TAX``)
    holds tax in ``amount``, names the code it holds in ``tax_code`` and is itself not taxable;
    a ``SHIPPING`` line is refunded shipping on the shipping refund item (SHP-1).
    """

    item: str = attrs.field(validator=identifier)
    amount: Money
    quantity: Decimal | None = attrs.field(default=None, validator=positive_quantity)
    origin_line_id: str | None = attrs.field(default=None, validator=optional_identifier)
    order_line_ref: str | None = attrs.field(default=None, validator=optional_identifier)
    account: str | None = attrs.field(default=None, validator=optional_identifier)
    tax: LineTax | None = None
    kind: CreditLineKind = attrs.field(default=CreditLineKind.ITEM, converter=_credit_line_kind)
    tax_code: str | None = attrs.field(default=None, validator=optional_identifier)

    def __attrs_post_init__(self) -> None:
        what = f"credit line of {self.item}"
        if self.tax is not None:
            same_currency(what, self.amount.currency, (self.tax.amount,))
        if self.kind is CreditLineKind.TAX:
            if self.tax is not None or self.tax_code is None:
                raise InvalidRecordError(
                    f"{what}: an explicit tax line names the tax code it holds and is not taxable"
                )
        elif self.tax_code is not None:
            raise InvalidRecordError(f"{what}: only an explicit tax line names a tax_code")

    @functools.cached_property
    def gross(self) -> Money:
        """Net plus the tax the line states."""
        return self.amount + stated_tax(self)


def _lines_total(
    what: str, lines: tuple[TransactionLine, ...], shipping: Money | None = None
) -> Money:
    if not lines:
        raise InvalidRecordError(f"{what} has no lines")
    currency = lines[0].amount.currency
    shipping = shipping if shipping is not None else Money.zero(currency)
    same_currency(what, currency, (*(line.gross for line in lines), shipping))
    ids = [line.line_id for line in lines]
    if len(set(ids)) != len(ids):
        raise InvalidRecordError(f"{what} repeats a line ID")
    for line in lines:
        if not line.amount.is_positive:
            raise InvalidRecordError(f"{what}: line {line.line_id} amount must be positive")
    if shipping.is_negative:
        raise InvalidRecordError(f"{what}: shipping {shipping} is negative")
    return sum_money((line.gross for line in lines), currency) + shipping


def _zero_shipping_like(lines: object) -> Money:
    # A default that follows the record's currency, so shipping can be omitted in documents.
    if isinstance(lines, tuple) and lines and isinstance(lines[0], TransactionLine):
        return Money.zero(lines[0].amount.currency)
    raise InvalidRecordError("a transaction needs at least one line")


@attrs.frozen
class SalesOrder:
    """A sales order imported from a storefront; ``order_ref`` is the storefront's order ID.

    ``storefront`` names the storefront it came from (``"shopify"``), so that an account with
    several storefronts sends each refund made in NetSuite to the right one; None when the
    account has only one.
    """

    internal_id: str = attrs.field(validator=identifier)
    customer_id: str = attrs.field(validator=identifier)
    order_ref: str = attrs.field(validator=identifier)
    lines: tuple[TransactionLine, ...] = attrs.field(converter=to_tuple)
    shipping: Money = attrs.field(
        default=attrs.Factory(lambda self: _zero_shipping_like(self.lines), takes_self=True)
    )
    tenders: tuple[TenderPart, ...] = attrs.field(default=(), converter=to_tuple)
    storefront: str | None = attrs.field(default=None, validator=optional_identifier)

    def __attrs_post_init__(self) -> None:
        what = f"sales order {self.internal_id}"
        _check_tenders(what, _lines_total(what, self.lines, self.shipping), self.tenders)

    @functools.cached_property
    def total(self) -> Money:
        """Lines plus shipping."""
        return _lines_total(f"sales order {self.internal_id}", self.lines, self.shipping)

    @property
    def currency(self) -> Currency:
        """The order's currency."""
        return self.total.currency


@attrs.frozen
class _Billing:
    internal_id: str = attrs.field(validator=identifier)
    customer_id: str = attrs.field(validator=identifier)
    created_at: datetime = attrs.field(validator=aware)
    lines: tuple[TransactionLine, ...] = attrs.field(converter=to_tuple)
    order_id: str | None = attrs.field(default=None, validator=optional_identifier, kw_only=True)
    shipping: Money = attrs.field(
        default=attrs.Factory(lambda self: _zero_shipping_like(self.lines), takes_self=True),
        kw_only=True,
    )

    def __attrs_post_init__(self) -> None:
        _lines_total(self.describe(), self.lines, self.shipping)

    def describe(self) -> str:
        """A short human name, e.g. ``invoice INV-7``."""
        return f"transaction {self.internal_id}"

    @functools.cached_property
    def total(self) -> Money:
        """Lines plus shipping."""
        return _lines_total(self.describe(), self.lines, self.shipping)

    @property
    def currency(self) -> Currency:
        """The transaction's currency."""
        return self.lines[0].amount.currency

    @functools.cached_property
    def tax_groups(
        self,
    ) -> tuple[tuple[tuple[LineTax, Money, Money], ...], Money, tuple[int, ...]]:
        """Each tax code's (first line's tax, net, tax), the untaxed rest, and their weights.

        Groups are by code and rate. The untaxed rest is the untaxed lines and the shipping: the
        parts a partial credit is split over in proportion (TAX-2, see ``refund_core._credit``).
        The weights are those parts in minor units: each group's net and tax, then the rest.
        """
        groups: dict[tuple[str, Decimal], tuple[LineTax, Money, Money]] = {}
        untaxed = self.shipping
        for line in self.lines:
            if line.tax is None:
                untaxed = untaxed + line.amount
                continue
            key = (line.tax.code, line.tax.rate)
            zero = Money.zero(line.amount.currency)
            template, net, tax = groups.get(key, (line.tax, zero, zero))
            groups[key] = (template, net + line.amount, tax + line.tax.amount)
        ordered = tuple(groups[key] for key in sorted(groups, key=str))
        weights = [minor for _, net, tax in ordered for minor in (net, tax)]
        weights.append(untaxed)
        return ordered, untaxed, tuple(money.to_minor_units() for money in weights)


@attrs.frozen
class Invoice(_Billing):
    """An invoice billing (part of) a sales order; refunded by a credit memo (NSC-3)."""

    def describe(self) -> str:
        """A short human name."""
        return f"invoice {self.internal_id}"


@attrs.frozen
class CashSale(_Billing):
    """A cash sale billing (part of) an order; refunded by a cash refund (NSC-2).

    ``payment_ref`` is the processor charge that paid it, if any (STC-3 needs it).
    """

    payment_ref: str | None = attrs.field(default=None, validator=optional_identifier, kw_only=True)

    def describe(self) -> str:
        """A short human name."""
        return f"cash sale {self.internal_id}"


class PaymentStatus(enum.StrEnum):
    """Status of a customer payment: pending (delayed notification), (un)deposited, failed."""

    PENDING = "pending"
    UNDEPOSITED = "undeposited"
    DEPOSITED = "deposited"
    FAILED = "failed"


@attrs.frozen
class PaymentApplication:
    """A customer payment applied to an invoice; ``applied_at`` orders applications (STC-9)."""

    invoice_id: str = attrs.field(validator=identifier)
    amount: Money = attrs.field(validator=positive_money)
    applied_at: datetime = attrs.field(validator=aware)


class ApplicationChangeKind(enum.StrEnum):
    """A change to where a payment is applied: applied to an invoice, or unapplied from one."""

    APPLIED = "applied"
    UNAPPLIED = "unapplied"


@attrs.frozen
class ApplicationChange:
    """One step of a payment's application history (STC-6, STC-7)."""

    kind: ApplicationChangeKind = attrs.field(converter=ApplicationChangeKind)
    invoice_id: str = attrs.field(validator=identifier)
    amount: Money = attrs.field(validator=positive_money)
    at: datetime = attrs.field(validator=aware)


def _replay(what: str, history: tuple[ApplicationChange, ...]) -> tuple[PaymentApplication, ...]:
    """The applications a history leaves, in the order the invoices were first applied."""
    applied: dict[str, tuple[Money, datetime]] = {}
    for change in sorted(history, key=lambda c: c.at):
        held = applied.get(change.invoice_id)
        if change.kind is ApplicationChangeKind.APPLIED:
            total = change.amount if held is None else held[0] + change.amount
            applied[change.invoice_id] = (total, change.at)
            continue
        if held is None or change.amount > held[0]:
            raise InvalidRecordError(
                f"{what}: its history unapplies {change.amount} from {change.invoice_id} at "
                f"{change.at.isoformat()}, more than was applied there"
            )
        rest = held[0] - change.amount
        if rest.is_zero:
            del applied[change.invoice_id]
        else:
            applied[change.invoice_id] = (rest, held[1])
    return tuple(
        PaymentApplication(invoice_id, amount, at) for invoice_id, (amount, at) in applied.items()
    )


@attrs.frozen
class CustomerPayment:
    """A customer payment, usually recorded from a processor charge (``payment_ref``).

    A payment the sync created itself, the reversal of a refund that failed after it was synced
    (IDM-3), carries its ``external_id``, the ``source`` event it reverses and its ``memo``.
    ``history``, when known, is how the payment came to be applied as it is (applied, unapplied,
    re-applied elsewhere: STC-6, STC-7); its replay must give ``applications``, which may then be
    left out.
    """

    internal_id: str = attrs.field(validator=identifier)
    customer_id: str = attrs.field(validator=identifier)
    amount: Money = attrs.field(validator=positive_money)
    created_at: datetime = attrs.field(validator=aware)
    payment_ref: str | None = attrs.field(default=None, validator=optional_identifier)
    status: PaymentStatus = attrs.field(default=PaymentStatus.UNDEPOSITED, converter=PaymentStatus)
    applications: tuple[PaymentApplication, ...] = attrs.field(default=(), converter=to_tuple)
    external_id: str | None = attrs.field(default=None, validator=optional_identifier)
    source: SourceKey | None = None
    memo: str = ""
    history: tuple[ApplicationChange, ...] = attrs.field(default=(), converter=to_tuple)

    def __attrs_post_init__(self) -> None:
        what = f"customer payment {self.internal_id}"
        if self.history:
            same_currency(what, self.amount.currency, (change.amount for change in self.history))
            replayed = _replay(what, self.history)
            if not self.applications:
                object.__setattr__(self, "applications", replayed)
            elif sorted(self.applications, key=_app_key) != sorted(replayed, key=_app_key):
                raise InvalidRecordError(
                    f"{what}: its applications are not what its history leaves: "
                    + ", ".join(f"{a.invoice_id} {a.amount}" for a in replayed)
                )
        same_currency(what, self.amount.currency, (app.amount for app in self.applications))
        applied = sum_money((app.amount for app in self.applications), self.amount.currency)
        if applied > self.amount:
            raise InvalidRecordError(f"{what}: applied {applied}, more than its {self.amount}")
        invoices = [app.invoice_id for app in self.applications]
        if len(set(invoices)) != len(invoices):
            raise InvalidRecordError(f"{what} is applied to the same invoice twice")

    @functools.cached_property
    def applied(self) -> Money:
        """What is applied to invoices."""
        return sum_money((app.amount for app in self.applications), self.amount.currency)


def _app_key(app: PaymentApplication) -> tuple[str, str, datetime]:
    return (app.invoice_id, str(app.amount), app.applied_at)


@attrs.frozen
class DepositApplication:
    """A customer deposit applied to an invoice of its order."""

    invoice_id: str = attrs.field(validator=identifier)
    amount: Money = attrs.field(validator=positive_money)


@attrs.frozen
class CustomerDeposit:
    """A prepayment on a sales order that is not yet (fully) billed."""

    internal_id: str = attrs.field(validator=identifier)
    customer_id: str = attrs.field(validator=identifier)
    amount: Money = attrs.field(validator=positive_money)
    created_at: datetime = attrs.field(validator=aware)
    order_id: str | None = attrs.field(default=None, validator=optional_identifier)
    payment_ref: str | None = attrs.field(default=None, validator=optional_identifier)
    applications: tuple[DepositApplication, ...] = attrs.field(default=(), converter=to_tuple)

    def __attrs_post_init__(self) -> None:
        what = f"customer deposit {self.internal_id}"
        same_currency(what, self.amount.currency, (app.amount for app in self.applications))
        if self.applied > self.amount:
            raise InvalidRecordError(f"{what}: applied {self.applied}, more than {self.amount}")

    @functools.cached_property
    def applied(self) -> Money:
        """What is applied to invoices."""
        return sum_money((app.amount for app in self.applications), self.amount.currency)


@attrs.frozen
class StorefrontSync:
    """Marks a NetSuite refund record as synced out to the storefront (outgoing, NSC-7).

    Keeps how the refund was split, so later refunds of the same order know what each tender
    still has (NSC-8, MNY-4).
    """

    external_id: str = attrs.field(validator=identifier)
    payment_part: Money
    gift_card_part: Money


def _check_credit(what: str, lines: tuple[CreditLine, ...], shipping: Money, amount: Money) -> None:
    same_currency(what, amount.currency, (*(line.gross for line in lines), shipping))
    total = sum_money((line.gross for line in lines), amount.currency) + shipping
    if total != amount:
        raise InvalidRecordError(f"{what}: lines and shipping add up to {total}, not {amount}")
    if not amount.is_positive:
        raise InvalidRecordError(f"{what}: amount {amount} must be positive")


@attrs.frozen
class CreditMemo:
    """A credit memo created from an invoice or a return authorization (``created_from``).

    ``refunded_payment_id`` names the payment whose invoice application it refunds (STC-5);
    ``source`` the source event it represents, if it came from a sync.
    """

    internal_id: str = attrs.field(validator=identifier)
    customer_id: str = attrs.field(validator=identifier)
    created_from: str = attrs.field(validator=identifier)
    amount: Money
    lines: tuple[CreditLine, ...] = attrs.field(converter=to_tuple)
    shipping: Money = attrs.field(
        default=attrs.Factory(lambda self: Money.zero(self.amount.currency), takes_self=True)
    )
    external_id: str | None = attrs.field(default=None, validator=optional_identifier)
    order_id: str | None = attrs.field(default=None, validator=optional_identifier)
    refunded_payment_id: str | None = attrs.field(default=None, validator=optional_identifier)
    source: SourceKey | None = None
    created_at: datetime | None = attrs.field(default=None, validator=optional_aware)
    storefront_sync: StorefrontSync | None = None

    def __attrs_post_init__(self) -> None:
        _check_credit(f"credit memo {self.internal_id}", self.lines, self.shipping, self.amount)


@attrs.frozen
class CashRefund:
    """A cash refund created from a cash sale or a return authorization (``created_from``)."""

    internal_id: str = attrs.field(validator=identifier)
    customer_id: str = attrs.field(validator=identifier)
    created_from: str = attrs.field(validator=identifier)
    amount: Money
    lines: tuple[CreditLine, ...] = attrs.field(converter=to_tuple)
    shipping: Money = attrs.field(
        default=attrs.Factory(lambda self: Money.zero(self.amount.currency), takes_self=True)
    )
    external_id: str | None = attrs.field(default=None, validator=optional_identifier)
    order_id: str | None = attrs.field(default=None, validator=optional_identifier)
    source: SourceKey | None = None
    created_at: datetime | None = attrs.field(default=None, validator=optional_aware)
    storefront_sync: StorefrontSync | None = None

    def __attrs_post_init__(self) -> None:
        _check_credit(f"cash refund {self.internal_id}", self.lines, self.shipping, self.amount)


class RefundApplicationKind(enum.StrEnum):
    """What a customer refund is applied to."""

    CREDIT_MEMO = "credit_memo"
    PAYMENT = "payment"
    CUSTOMER_DEPOSIT = "customer_deposit"


def refund_application_kind(value: object) -> RefundApplicationKind:
    """The converter of a refund application's kind (a member passes as it is)."""
    return member_of(RefundApplicationKind, value)


@attrs.frozen
class RefundApplication:
    """One line of a customer refund's apply list."""

    kind: RefundApplicationKind = attrs.field(converter=refund_application_kind)
    record_id: str = attrs.field(validator=identifier)
    amount: Money = attrs.field(validator=positive_money)


@attrs.frozen
class CustomerRefund:
    """Money paid back to a customer, posted to Undeposited Funds until a deposit takes it (STC-12).

    ``payment_id`` names the customer payment it refunds; ``deposit_id`` the deposit it is linked
    to once its payout arrived.
    """

    internal_id: str = attrs.field(validator=identifier)
    customer_id: str = attrs.field(validator=identifier)
    amount: Money = attrs.field(validator=positive_money)
    applications: tuple[RefundApplication, ...] = attrs.field(converter=to_tuple)
    account: str = attrs.field(default="undeposited_funds", validator=identifier)
    memo: str = ""
    external_id: str | None = attrs.field(default=None, validator=optional_identifier)
    payment_id: str | None = attrs.field(default=None, validator=optional_identifier)
    source: SourceKey | None = None
    deposit_id: str | None = attrs.field(default=None, validator=optional_identifier)
    created_at: datetime | None = attrs.field(default=None, validator=optional_aware)

    def __attrs_post_init__(self) -> None:
        what = f"customer refund {self.internal_id}"
        same_currency(what, self.amount.currency, (app.amount for app in self.applications))
        applied = sum_money((app.amount for app in self.applications), self.amount.currency)
        if applied != self.amount:
            raise InvalidRecordError(f"{what}: applies {applied}, but refunds {self.amount}")


class DepositRecordKind(enum.StrEnum):
    """Records a deposit can take out of Undeposited Funds."""

    PAYMENT = "payment"
    CUSTOMER_REFUND = "customer_refund"


def deposit_record_kind(value: object) -> DepositRecordKind:
    """The converter of a deposit line's kind (a member passes as it is)."""
    return member_of(DepositRecordKind, value)


@attrs.frozen
class DepositPaymentLine:
    """A payment (positive) or customer refund (negative) moved into the deposit.

    ``amount`` is in the deposit's currency; ``exchange_rate`` is set when the record is in
    another currency (the charge's): the record's amount times the rate is ``amount`` (CCY-1).
    """

    kind: DepositRecordKind = attrs.field(converter=deposit_record_kind)
    record_id: str = attrs.field(validator=identifier)
    amount: Money
    exchange_rate: Decimal | None = attrs.field(default=None, validator=positive_quantity)


@attrs.frozen
class OtherDepositLine:
    """A line of the deposit's Other Deposits list: fees, fee refunds, pre-start refunds."""

    account: str = attrs.field(validator=identifier)
    amount: Money
    memo: str = ""
    source_refs: tuple[str, ...] = attrs.field(default=(), converter=to_tuple)


@attrs.frozen
class Deposit:
    """A bank deposit representing one processor payout (STC-12, STC-13)."""

    internal_id: str = attrs.field(validator=identifier)
    payout_ref: str = attrs.field(validator=identifier)
    amount: Money
    payment_lines: tuple[DepositPaymentLine, ...] = attrs.field(default=(), converter=to_tuple)
    other_lines: tuple[OtherDepositLine, ...] = attrs.field(default=(), converter=to_tuple)
    account: str | None = attrs.field(default=None, validator=optional_identifier)
    external_id: str | None = attrs.field(default=None, validator=optional_identifier)

    def __attrs_post_init__(self) -> None:
        what = f"deposit {self.internal_id}"
        amounts = (
            *(line.amount for line in self.payment_lines),
            *(line.amount for line in self.other_lines),
        )
        same_currency(what, self.amount.currency, amounts)
        total = sum_money(amounts, self.amount.currency)
        if total != self.amount:
            raise InvalidRecordError(f"{what}: lines add up to {total}, not {self.amount}")


class ReturnAuthorizationStatus(enum.StrEnum):
    """Status of a return authorization (RMA)."""

    PENDING_APPROVAL = "pending_approval"
    PENDING_RECEIPT = "pending_receipt"
    PENDING_REFUND = "pending_refund"
    REFUNDED = "refunded"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        """An RMA still waiting to be refunded (NSC-6)."""
        return self not in {
            ReturnAuthorizationStatus.REFUNDED,
            ReturnAuthorizationStatus.CLOSED,
            ReturnAuthorizationStatus.CANCELLED,
        }


@attrs.frozen
class ReturnAuthorization:
    """A return authorization (RMA) on a sales order."""

    internal_id: str = attrs.field(validator=identifier)
    customer_id: str = attrs.field(validator=identifier)
    order_id: str = attrs.field(validator=identifier)
    status: ReturnAuthorizationStatus = attrs.field(converter=ReturnAuthorizationStatus)
    lines: tuple[TransactionLine, ...] = attrs.field(converter=to_tuple)

    def __attrs_post_init__(self) -> None:
        _lines_total(f"return authorization {self.internal_id}", self.lines)


_INTERNAL_ID = operator.attrgetter("internal_id")
_EXTERNAL_ID = operator.attrgetter("external_id")


@attrs.frozen
class LedgerSnapshot:
    """Everything a decision may read from NetSuite, as one immutable value.

    The engine loads it in batches; decisions only read it; :func:`refund_core.apply_plan`
    returns the snapshot a plan's writes would produce.
    """

    sales_orders: tuple[SalesOrder, ...] = attrs.field(default=(), converter=to_tuple)
    invoices: tuple[Invoice, ...] = attrs.field(default=(), converter=to_tuple)
    cash_sales: tuple[CashSale, ...] = attrs.field(default=(), converter=to_tuple)
    payments: tuple[CustomerPayment, ...] = attrs.field(default=(), converter=to_tuple)
    customer_deposits: tuple[CustomerDeposit, ...] = attrs.field(default=(), converter=to_tuple)
    credit_memos: tuple[CreditMemo, ...] = attrs.field(default=(), converter=to_tuple)
    cash_refunds: tuple[CashRefund, ...] = attrs.field(default=(), converter=to_tuple)
    customer_refunds: tuple[CustomerRefund, ...] = attrs.field(default=(), converter=to_tuple)
    deposits: tuple[Deposit, ...] = attrs.field(default=(), converter=to_tuple)
    return_authorizations: tuple[ReturnAuthorization, ...] = attrs.field(
        default=(), converter=to_tuple
    )

    def __attrs_post_init__(self) -> None:
        records = self.all_records()
        internal = frozenset(map(_INTERNAL_ID, records))
        if len(internal) != len(records):
            seen: set[str] = set()
            for record in records:
                internal_id = record.internal_id
                if internal_id in seen:
                    raise InvalidRecordError(
                        f"ledger holds two records with internal ID {internal_id}"
                    )
                seen.add(internal_id)
        # An external ID is None or a non-empty string (validated), so filter(None) keeps the IDs.
        external = list(filter(None, map(_EXTERNAL_ID, (*self.created_records(), *self.payments))))
        unique = frozenset(external)
        if len(unique) != len(external):
            raise InvalidRecordError("ledger holds two records with the same external ID")
        self._index.know_ids(internal, unique)

    def _with(self, family: str, record: Any) -> "LedgerSnapshot":
        """This snapshot with ``record`` appended to ``family`` (a created record or payment).

        The snapshot's own records were checked when it was made, so only the new record's
        IDs can clash; they are checked against the IDs it holds, with the errors construction
        raises, instead of checking every record again. What the index built is carried over.
        Applying a plan grows a snapshot a record at a time (``apply_action``), and a full
        check per record made a run of refunds on one charge quadratic.
        """
        index = self._index
        if record.internal_id in index.internal_ids():
            raise InvalidRecordError(
                f"ledger holds two records with internal ID {record.internal_id}"
            )
        if record.external_id is not None and record.external_id in index.external_ids():
            raise InvalidRecordError("ledger holds two records with the same external ID")
        grown = object.__new__(LedgerSnapshot)
        for name in _FAMILY_NAMES:
            object.__setattr__(grown, name, getattr(self, name))
        object.__setattr__(grown, family, (*getattr(self, family), record))
        grown_index = LedgerIndex(grown)
        index.carry_into(grown_index, family, record)
        object.__setattr__(grown, "_index", grown_index)
        return grown

    # A snapshot never changes, so what is derived from it is derived once, on first use.

    @functools.cached_property
    def _index(self) -> LedgerIndex:
        """The lookups decisions make, by key (see :mod:`refund_core._index`)."""
        return LedgerIndex(self)

    @classmethod
    def families(cls) -> tuple[str, ...]:
        """The names of the record families (the fields), e.g. ``"credit_memos"``."""
        return _FAMILY_NAMES

    def all_records(
        self,
    ) -> tuple[
        SalesOrder
        | Invoice
        | CashSale
        | CustomerPayment
        | CustomerDeposit
        | CreditMemo
        | CashRefund
        | CustomerRefund
        | Deposit
        | ReturnAuthorization,
        ...,
    ]:
        """Every record, in a fixed order."""
        return (
            *self.sales_orders,
            *self.invoices,
            *self.cash_sales,
            *self.payments,
            *self.customer_deposits,
            *self.return_authorizations,
            *self.created_records(),
        )

    def created_records(self) -> tuple[CreditMemo | CashRefund | CustomerRefund | Deposit, ...]:
        """Records that syncs create (and so may carry an external ID)."""
        return self._index.created_records()

    def external_ids(self) -> frozenset[str]:
        """Every external ID present, for idempotency checks (IDM-2)."""
        return self._index.external_ids()

    def refund_records(self) -> tuple[CreditMemo | CashRefund, ...]:
        """Every credit memo and cash refund."""
        return self._index.refund_records()

    @property
    def marked_synced(self) -> frozenset[str]:
        """External IDs of outgoing syncs already recorded on credit memos and cash refunds."""
        return self._index.marked_synced()


#: The snapshot's fields, one per record family.
_FAMILY_NAMES = tuple(field.name for field in attrs.fields(LedgerSnapshot))
