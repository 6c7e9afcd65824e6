"""Outgoing: a NetSuite credit memo or cash refund becomes a storefront refund (NSC-6..8).

The connector never moves money itself (NSC-7): it tells the storefront what was refunded (lines,
quantities, shipping, amount) and the storefront refunds the payment method. The gift-card part is
never refunded automatically (NSC-8): it becomes store credit when the settings ask for it and the
storefront supports it, and a manual action otherwise; the rest proceeds either way.

**Decision (ours):** the gift-card part of a refund is its share of the order's tenders as they
were paid, by the largest-remainder method: a function of the credit memo (and its order) alone,
the same whatever was synced before it and in whatever order refunds are processed or retried.
Only where that share would take a tender past what it still has (a cent of rounding at the end
of an order refunded in pieces) is the tender capped at what it has, the other paying the rest,
so cumulative refunds never exceed a tender (MNY-4).

Shipping goes out as shipping, whether the record holds it as its shipping cost or on the
shipping refund item (SHP-1); a line's tax goes out with the line. A record naming more units of
an order line than were sold on it, less the units other records already refunded, is refused
naming the line and both quantities, and nothing is sent (MNY-4).
"""

from decimal import Decimal

import attrs

from ._common import check_currency, finish_plan
from ._errors import InvalidRecordError, OverQuantityError, OverRefundError
from ._ids import Role, external_id
from ._ledger import LedgerView
from ._models import (
    CashRefund,
    CreditMemo,
    LedgerSnapshot,
    SalesOrder,
    SourceKey,
    StorefrontSync,
    TenderKind,
)
from ._money import Money, allocate, sum_money
from ._outcomes import (
    Action,
    Flow,
    IssueStoreCredit,
    IssueStorefrontRefund,
    ManualAction,
    MarkRecordSynced,
    Outcome,
    Reason,
    RecordRef,
    Skipped,
    StorefrontRefundLine,
    SyncedRecordKind,
    Unsupported,
)
from ._settings import RefundSettings, StorefrontCapabilities
from ._tax import CreditLineKind

__all__ = ["NETSUITE_SOURCE", "decide_outgoing_refund", "tender_split"]

NETSUITE_SOURCE = "netsuite"
_FLOW = Flow.OUTGOING_REFUND


def tender_split(amount: Money, paid: Money, gift: Money) -> tuple[Money, Money]:
    """(payment-method part, gift-card part) of ``amount`` for an order paid ``paid`` + ``gift``.

    The refund's share of each tender as paid, by largest remainder (MNY-3): a pure function of
    the refund and its order, never of what was refunded before (NSC-8).

    >>> usd = lambda text: Money.of(text, "USD")
    >>> payment, gift = tender_split(usd("35.00"), usd("50.00"), usd("10.00"))
    >>> print(payment, gift)
    29.17 USD 5.83 USD
    """
    if not gift.is_positive:
        return amount, Money.zero(amount.currency)
    payment_part, gift_part = allocate(
        amount, [max(paid.to_minor_units(), 0), gift.to_minor_units()]
    )
    return payment_part, gift_part


def decide_outgoing_refund(
    record_id: str,
    ledger: LedgerSnapshot,
    settings: RefundSettings,
    storefront: StorefrontCapabilities,
) -> Outcome:
    """Plan the storefront refund for the NetSuite credit memo or cash refund ``record_id``."""
    view = LedgerView(ledger)
    record = view.refund_record(record_id)
    if record is None:
        raise InvalidRecordError(f"no credit memo or cash refund {record_id} in the snapshot")
    key = SourceKey(NETSUITE_SOURCE, record.internal_id)
    if record.source is not None:
        return Skipped(
            key=key,
            flow=_FLOW,
            code=Reason.NOT_A_REFUND_RECORD,
            message=(
                f"{record.internal_id} was created by the incoming sync of {record.source}; "
                "it came from the storefront and is not sent back"
            ),
            rule_ids=("NSC-9",),
        )
    kind = "cash refund" if isinstance(record, CashRefund) else "credit memo"
    if record.storefront_sync is not None:
        return Skipped(
            key=key,
            flow=_FLOW,
            code=Reason.ALREADY_SYNCED,
            message=f"{kind} {record.internal_id} was already sent to {storefront.name}",
            rule_ids=("IDM-2",),
        )
    rma = view.return_authorization(record.created_from)
    order_id = record.order_id or (rma.order_id if rma is not None else None)
    if order_id is None:
        billing = view.billing(record.created_from)
        order_id = billing.order_id if billing is not None else None
    order = view.sales_order(order_id) if order_id is not None else None
    if order is None:
        return Unsupported(
            key=key,
            flow=_FLOW,
            code=Reason.ORDER_NOT_SYNCED,
            message=f"{record.internal_id} is not linked to a storefront order; nothing to send",
            rule_ids=("NSC-7",),
        )
    if order.storefront is not None and order.storefront != storefront.name:
        return Skipped(
            key=key,
            flow=_FLOW,
            code=Reason.OTHER_STOREFRONT,
            message=(
                f"{kind} {record.internal_id} refunds sales order {order.internal_id} from "
                f"{order.storefront}, not {storefront.name}: it goes out through that "
                "storefront's account"
            ),
            rule_ids=("NSC-7",),
        )
    check_currency(f"sales order {order.internal_id}", record.amount, order.currency)
    _check_quantities(record, order, view)
    rules = ["NSC-7"] + (["NSC-6"] if rma is not None else [])
    # NSC-8: split the refund over the tenders by what each still has.
    zero = Money.zero(order.currency)
    gift_total = sum_money(
        (t.amount for t in order.tenders if t.kind is TenderKind.GIFT_CARD), order.currency
    )
    paid_total = (order.total - gift_total) if order.tenders else order.total
    paid_before, gift_before = view.tender_refunded(order)
    paid_left, gift_left = paid_total - paid_before, gift_total - gift_before
    if record.amount > paid_left + gift_left:
        raise OverRefundError(
            target=f"sales order {order.internal_id}",
            requested=record.amount,
            ceiling=order.total,
            already_refunded=paid_before + gift_before,
            remaining=paid_left + gift_left,
        )
    payment_part, gift_part = tender_split(record.amount, paid_total, gift_total)
    # MNY-4: never past what a tender still has (rounding at the end of a piecewise refund).
    if gift_part > gift_left:
        gift_part = gift_left.max(zero)
        payment_part = record.amount - gift_part
    elif payment_part > paid_left:
        payment_part = paid_left.max(zero)
        gift_part = record.amount - payment_part
    refund_id = external_id(key, Role.STOREFRONT_REFUND, order.order_ref)
    actions: list[Action] = []
    manual: list[ManualAction] = []
    lines = _storefront_lines(record)
    shipping = record.shipping + sum_money(
        (line.amount for line in record.lines if line.kind is CreditLineKind.SHIPPING),
        order.currency,
    )
    if shipping != record.shipping:
        rules.append("SHP-1")
    if payment_part.is_positive or lines:
        actions.append(
            IssueStorefrontRefund(
                external_id=refund_id,
                source=key,
                rule_ids=tuple(rules),
                reason=(
                    f"{kind} {record.internal_id} was made in NetSuite"
                    + (f" from return authorization {rma.internal_id}" if rma else "")
                    + f": {storefront.name} refunds {payment_part} to the payment method"
                ),
                storefront=storefront.name,
                order_ref=order.order_ref,
                record=RecordRef(internal_id=record.internal_id),
                lines=lines,
                shipping=shipping,
                amount=payment_part,
            )
        )
    if gift_part.is_positive:
        rules.append("NSC-8")
        if settings.gift_card_as_store_credit and storefront.supports_store_credit:
            actions.append(
                IssueStoreCredit(
                    external_id=external_id(key, Role.STORE_CREDIT, order.order_ref),
                    source=key,
                    rule_ids=("NSC-8",),
                    reason=(
                        f"{gift_part} was paid by gift card; the settings ask for store credit "
                        f"and {storefront.name} supports it"
                    ),
                    storefront=storefront.name,
                    order_ref=order.order_ref,
                    customer_id=order.customer_id,
                    amount=gift_part,
                )
            )
        else:
            why = (
                f"{storefront.name} does not support store credit"
                if settings.gift_card_as_store_credit
                else "the refund settings do not ask for store credit"
            )
            manual.append(
                ManualAction(
                    code=Reason.GIFT_CARD,
                    message=(
                        f"manual: refund {gift_part} to the gift card of order {order.order_ref} "
                        f"by hand ({why}); the rest of the refund proceeds"
                    ),
                    rule_ids=("NSC-8",),
                    amount=gift_part,
                )
            )
    actions.append(
        MarkRecordSynced(
            external_id=f"{refund_id}-mark",
            source=key,
            rule_ids=tuple(dict.fromkeys(rules)),
            reason=f"mark {kind} {record.internal_id} as synced so it is never sent twice",
            record_kind=SyncedRecordKind.CASH_REFUND
            if isinstance(record, CashRefund)
            else SyncedRecordKind.CREDIT_MEMO,
            record_id=record.internal_id,
            sync=StorefrontSync(
                external_id=refund_id, payment_part=payment_part, gift_card_part=gift_part
            ),
        )
    )
    return finish_plan(
        key=key,
        flow=_FLOW,
        summary=f"send {kind} {record.internal_id} of {record.amount} to {storefront.name}",
        actions=actions,
        manual_actions=manual,
        ledger=ledger,
    )


def _storefront_lines(record: CreditMemo | CashRefund) -> tuple[StorefrontRefundLine, ...]:
    """The record's item lines by order line, each with its tax (explicit tax lines folded in)."""
    out: list[StorefrontRefundLine] = []
    index: dict[str, int] = {}
    for line in record.lines:
        ref = line.order_line_ref
        if ref is None or line.kind is CreditLineKind.SHIPPING:
            continue
        if line.kind is CreditLineKind.TAX and ref in index:
            earlier = out[index[ref]]
            out[index[ref]] = attrs.evolve(earlier, amount=earlier.amount + line.gross)
            continue
        index.setdefault(ref, len(out))
        out.append(StorefrontRefundLine(ref, line.quantity, line.gross))
    return tuple(out)


def _check_quantities(record: CreditMemo | CashRefund, order: SalesOrder, view: LedgerView) -> None:
    """MNY-4 (units): no line refunds more units than were sold, less those already refunded."""
    wanted: dict[str, Decimal] = {}
    for line in record.lines:
        if line.order_line_ref is not None and line.quantity is not None:
            wanted[line.order_line_ref] = (
                wanted.get(line.order_line_ref, Decimal(0)) + line.quantity
            )
    if not wanted:
        return
    billing = {txn.internal_id for txn in view.billing_for_order(order.internal_id)}
    rmas = {r.internal_id for r in view.return_authorizations_for(order.internal_id)}
    others = [
        other
        for other in view.refund_records_from(billing | rmas, order_id=order.internal_id)
        if other.internal_id != record.internal_id
    ]
    for ref, requested in wanted.items():
        sold_lines = [line for line in order.lines if line.order_line_ref == ref]
        if not sold_lines or any(line.quantity is None for line in sold_lines):
            continue  # the order does not say how many were sold: nothing to hold it against
        sold = sum((line.quantity for line in sold_lines if line.quantity is not None), Decimal(0))
        refunded = sum(
            (
                line.quantity
                for other in others
                for line in other.lines
                if line.order_line_ref == ref
                and line.quantity is not None
                and line.kind is CreditLineKind.ITEM
            ),
            Decimal(0),
        )
        if requested > sold - refunded:
            kind = "cash refund" if isinstance(record, CashRefund) else "credit memo"
            raise OverQuantityError(
                target=f"{kind} {record.internal_id} of order {order.order_ref}",
                line=ref,
                requested=requested,
                sold=sold,
                already_refunded=refunded,
                remaining=sold - refunded,
            )
