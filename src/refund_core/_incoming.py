"""Incoming storefront refund under the NetSuite Connector policy (NSC-1..6, NSC-4, NSC-5).

The effect is that of pressing *Refund* on the order in NetSuite (NSC-1): a cash refund from a
cash sale (NSC-2), a credit memo from an invoice (NSC-3), one record per billing transaction the
refund touches (NSC-5). Nothing is guessed: a refund that cannot be placed is *unsupported*.
"""

from decimal import Decimal

import attrs

from ._common import (
    CreditChoice,
    check_currency,
    choose_credit_lines,
    finish_plan,
    fully_reflected,
    status_outcome,
)
from ._errors import OverRefundError
from ._ids import Role, external_id
from ._ledger import Billing, LedgerView
from ._models import (
    CashSale,
    CreditLine,
    LedgerSnapshot,
    RefundEvent,
    SalesOrder,
    TransactionLine,
)
from ._money import Money, allocate, sum_money
from ._outcomes import (
    Action,
    CreateCashRefund,
    CreateCreditMemo,
    Flow,
    Outcome,
    Reason,
    Skipped,
    Unsupported,
)
from ._settings import Policy, RefundSettings

__all__ = ["decide_incoming_refund"]

_FLOW = Flow.INCOMING_REFUND


@attrs.frozen
class _Part:
    """What one billing transaction receives of the refund."""

    lines: tuple[CreditLine, ...] = ()
    shipping: Money | None = None
    choice: CreditChoice | None = None  # amount-only placement


def decide_incoming_refund(
    event: RefundEvent, ledger: LedgerSnapshot, settings: RefundSettings
) -> Outcome:
    """Plan the NetSuite records for a storefront or marketplace refund (NSC policy).

    Raises :class:`OverRefundError` when the refund exceeds what the order has left (MNY-4) and
    :class:`CurrencyMismatchError` when its currency differs from the order's (MNY-2).
    """
    full_view = LedgerView(ledger)
    early = status_outcome(event, full_view, _FLOW)
    if early is not None:
        return early
    key = event.key
    order = full_view.sales_order_by_ref(event.order_ref) if event.order_ref else None
    if order is None:
        return Skipped(
            key=key,
            flow=_FLOW,
            code=Reason.ORDER_NOT_SYNCED,
            message=(
                f"no sales order for storefront order {event.order_ref}; "
                "the order must be imported before its refund"
            ),
            rule_ids=("NSC-1",),
        )
    check_currency(f"sales order {order.internal_id}", event.amount, order.currency)
    # The order's billing may have changed since the sync; placing the refund again could then
    # create a second record under another external ID.
    reflected = fully_reflected(
        event, (r.amount for r in ledger.refund_records() if r.source == key), _FLOW, "NSC-4"
    )
    if reflected is not None:
        return reflected
    resuming = full_view.has_records_for(key)
    view = full_view.without_source(key)
    open_rma = next(
        (
            rma
            for rma in ledger.return_authorizations
            if rma.order_id == order.internal_id and rma.status.is_open
        ),
        None,
    )
    if open_rma is not None and not resuming:
        return Skipped(
            key=key,
            flow=_FLOW,
            code=Reason.OPEN_RMA,
            message=(
                f"order {order.internal_id} has the open return authorization "
                f"{open_rma.internal_id}: refund the RMA in NetSuite; that refund then syncs out"
            ),
            rule_ids=("NSC-6",),
        )
    _check_order_ceiling(event, order, view)
    billing = view.billing_for_order(order.internal_id)
    if not billing:
        return Unsupported(
            key=key,
            flow=_FLOW,
            code=Reason.NOT_BILLED,
            message=f"order {order.internal_id} has no invoice or cash sale to refund yet",
            rule_ids=("NSC-2", "NSC-3"),
        )
    for txn in billing:
        check_currency(txn.describe(), event.amount, txn.currency)
    placed = _place_by_lines(event, billing, view) if event.lines else None
    if placed is None:
        placed = _place_by_amount(event, billing, view, settings)
    if isinstance(placed, Unsupported):
        return placed
    actions, amounts = _records(event, order, placed, view, settings)
    if isinstance(actions, Unsupported):
        return actions
    earlier = view.order_refunded(order)
    summary = (
        f"refund {event.refund_id} of {event.amount} on order {order.order_ref}: "
        f"{len(actions)} record(s)"
        + (f", after {earlier} refunded before" if earlier.is_positive else "")
    )
    return finish_plan(
        key=key,
        flow=_FLOW,
        summary=summary,
        actions=actions,
        ledger=ledger,
        refund=event.amount,
        conserved=amounts,
    )


def _check_order_ceiling(event: RefundEvent, order: SalesOrder, view: LedgerView) -> None:
    refunded = view.order_refunded(order)
    remaining = order.total - refunded
    if event.amount > remaining:  # MNY-4
        raise OverRefundError(
            target=f"sales order {order.internal_id}",
            requested=event.amount,
            ceiling=order.total,
            already_refunded=refunded,
            remaining=remaining,
        )


def _unsupported(
    event: RefundEvent, message: str, code: Reason = Reason.LINE_NOT_BILLED
) -> Unsupported:
    return Unsupported(key=event.key, flow=_FLOW, code=code, message=message, rule_ids=("NSC-5",))


def _place_by_lines(
    event: RefundEvent, billing: tuple[Billing, ...], view: LedgerView
) -> dict[str, _Part] | Unsupported:
    """NSC-5: each named line goes to the transaction(s) holding it, earliest first."""
    lines: dict[str, list[CreditLine]] = {txn.internal_id: [] for txn in billing}
    for refund_line in event.lines:
        holders = [
            (txn, line)
            for txn in billing
            for line in txn.lines
            if line.order_line_ref == refund_line.order_line_ref
        ]
        if not holders:
            return _unsupported(
                event,
                f"order line {refund_line.order_line_ref} is on no invoice or cash sale yet; "
                "it cannot be refunded before it is billed",
            )
        # How much of the line each holder can still take, by quantity when the source names one.
        takes: list[tuple[Billing, TransactionLine, Decimal | None, Money]] = []
        # By quantity only when every holder knows its quantity; otherwise by amount.
        if refund_line.quantity is not None and all(
            line.quantity is not None for _, line in holders
        ):
            wanted = refund_line.quantity
            by_quantity: list[tuple[Billing, TransactionLine, Decimal]] = []
            for txn, line in holders:
                _, left = view.line_refundable(txn, line)
                take = min(wanted, left if left is not None else Decimal(0))
                if take > 0:
                    by_quantity.append((txn, line, take))
                    wanted -= take
            if wanted > 0:
                return _unsupported(
                    event,
                    f"order line {refund_line.order_line_ref}: {refund_line.quantity} refunded, "
                    f"but only {refund_line.quantity - wanted} billed and not yet refunded",
                )
            # MNY-3: the line's amount is split over the holders by quantity, summing exactly.
            shares = allocate(refund_line.amount, [take for _, _, take in by_quantity])
            takes = [
                (txn, line, take, share)
                for (txn, line, take), share in zip(by_quantity, shares, strict=True)
            ]
        else:
            wanted_amount = refund_line.amount
            for txn, line in holders:
                left_amount, _ = view.line_refundable(txn, line)
                take_amount = wanted_amount.min(left_amount)
                if take_amount.is_positive:
                    takes.append((txn, line, None, take_amount))
                    wanted_amount = wanted_amount - take_amount
            if wanted_amount.is_positive:
                return _unsupported(
                    event,
                    f"order line {refund_line.order_line_ref}: {refund_line.amount} refunded, "
                    f"but only {refund_line.amount - wanted_amount} is billed and not yet refunded",
                )
        for txn, line, quantity, share in takes:
            lines[txn.internal_id].append(
                CreditLine(
                    item=line.item,
                    amount=share,
                    quantity=quantity,
                    origin_line_id=line.line_id,
                    order_line_ref=refund_line.order_line_ref,
                )
            )
    shipping = _place_shipping(event, billing, view)
    if isinstance(shipping, Unsupported):
        return shipping
    parts: dict[str, _Part] = {}
    for txn in billing:
        txn_lines = tuple(lines[txn.internal_id])
        txn_shipping = shipping.get(txn.internal_id)
        if txn_lines or txn_shipping is not None:
            parts[txn.internal_id] = _Part(lines=txn_lines, shipping=txn_shipping)
    return parts


def _place_shipping(
    event: RefundEvent, billing: tuple[Billing, ...], view: LedgerView
) -> dict[str, Money] | Unsupported:
    wanted = event.shipping_amount
    placed: dict[str, Money] = {}
    for txn in billing:
        if not wanted.is_positive:
            break
        take = wanted.min(view.shipping_refundable(txn))
        if take.is_positive:
            placed[txn.internal_id] = take
            wanted = wanted - take
    if wanted.is_positive:
        return _unsupported(
            event,
            f"refunded shipping {event.shipping_amount} exceeds the shipping billed and not yet "
            "refunded on the order",
            Reason.NOT_BILLED,
        )
    return placed


def _place_by_amount(
    event: RefundEvent, billing: tuple[Billing, ...], view: LedgerView, settings: RefundSettings
) -> dict[str, _Part] | Unsupported:
    """NSC-5: an amount-only refund fills billing transactions in creation order."""
    wanted = event.amount
    parts: dict[str, _Part] = {}
    for txn in billing:
        if not wanted.is_positive:
            break
        take = wanted.min(view.refundable(txn))
        if not take.is_positive:
            continue
        choice = choose_credit_lines(txn, take, view, settings, Policy.NETSUITE_CONNECTOR)
        if isinstance(choice, str):
            return _unsupported(event, choice, Reason.NEEDS_REFUND_ITEM)
        parts[txn.internal_id] = _Part(choice=choice)
        wanted = wanted - take
    if wanted.is_positive:
        return _unsupported(
            event,
            f"{wanted} of refund {event.refund_id} is not billed yet on the order: "
            "it cannot be placed on any invoice or cash sale",
            Reason.NOT_BILLED,
        )
    return parts


def _records(
    event: RefundEvent,
    order: SalesOrder,
    parts: dict[str, _Part],
    view: LedgerView,
    settings: RefundSettings,
) -> tuple[list[Action], list[Money]] | tuple[Unsupported, list[Money]]:
    billing = {txn.internal_id: txn for txn in view.billing_for_order(order.internal_id)}
    adjustment = event.adjustment_amount
    actions: list[Action] = []
    amounts: list[Money] = []
    further = view.order_refunded(order).is_positive
    for index, (txn_id, part) in enumerate(parts.items()):
        txn = billing[txn_id]
        rules: list[str] = ["NSC-1"]
        if part.choice is not None:
            lines, shipping = part.choice.lines, part.choice.shipping
            rules.extend(part.choice.rule_ids)
            how = part.choice.explanation
        else:
            lines = part.lines
            shipping = part.shipping if part.shipping is not None else Money.zero(txn.currency)
            rules.append("NSC-5")
            how = "the refunded lines named by the storefront"
        if index == 0 and not adjustment.is_zero:
            if settings.refund_item is None:
                return (
                    _unsupported(
                        event,
                        f"the refund carries an adjustment of {adjustment}; "
                        "set refund_item in the refund settings to record it",
                        Reason.NEEDS_REFUND_ITEM,
                    ),
                    [],
                )
            lines = (*lines, CreditLine(item=settings.refund_item, amount=adjustment))
        amount = sum_money((line.amount for line in lines), txn.currency) + shipping
        remaining = view.refundable(txn)
        if amount > remaining:  # MNY-4 per billing transaction
            raise OverRefundError(
                target=txn.describe(),
                requested=amount,
                ceiling=txn.total,
                already_refunded=view.credited(txn),
                remaining=remaining,
            )
        if len(parts) > 1:
            rules.append("NSC-5")
        if further:
            rules.append("NSC-4")
        rules.append("NSC-2" if isinstance(txn, CashSale) else "NSC-3")
        rule_ids = tuple(dict.fromkeys(rules))
        common = {
            "source": event.key,
            "rule_ids": rule_ids,
            "customer_id": txn.customer_id,
            "created_from": txn.internal_id,
            "order_id": order.internal_id,
            "lines": lines,
            "shipping": shipping,
            "amount": amount,
        }
        if isinstance(txn, CashSale):
            actions.append(
                CreateCashRefund(
                    external_id=external_id(event.key, Role.CASH_REFUND, txn.internal_id),
                    reason=(
                        f"order {order.order_ref} was billed by {txn.describe()}, so the refund is "
                        f"a cash refund from it, carrying {how}"
                    ),
                    **common,  # type: ignore[arg-type]
                )
            )
        else:
            actions.append(
                CreateCreditMemo(
                    external_id=external_id(event.key, Role.CREDIT_MEMO, txn.internal_id),
                    reason=(
                        f"order {order.order_ref} was billed by {txn.describe()}, so the refund is "
                        f"a credit memo from it, carrying {how}"
                    ),
                    **common,  # type: ignore[arg-type]
                )
            )
        amounts.append(amount)
    return actions, amounts
