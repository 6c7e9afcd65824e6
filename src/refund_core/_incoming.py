"""Incoming storefront refund under the NetSuite Connector policy (NSC-1..6, NSC-8, SHP-1, TAX).

The effect is that of pressing *Refund* on the order in NetSuite (NSC-1): a cash refund from a
cash sale (NSC-2), a credit memo from an invoice (NSC-3), one record per billing transaction the
refund touches (NSC-5). Nothing is guessed: a refund that cannot be placed is *unsupported*.

Refunded shipping goes to the records' shipping, never onto an item line (SHP-1). Taxed lines
are credited with their tax codes, split into net and tax (TAX-1..3, see ``_credit``).

**Decision (NSC-8, incoming):** when the storefront's tender split holds a gift-card part, the
records cover only the part refunded to the payment method, placed by amount (with its share of
any named shipping on the shipping); the gift-card part creates no NetSuite record and is
reported as store credit the storefront issued (store credit on and supported) or as a manual
action naming the amount. The parts add up to the refund (MNY-3).
"""

from decimal import Decimal

import attrs

from ._common import (
    check_currency,
    finish_plan,
    fully_reflected,
    status_outcome,
)
from ._credit import (
    CreditChoice,
    Piece,
    choose_credit_lines,
    settle_tax,
    shipping_lines,
    split_line,
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
    TenderKind,
    TransactionLine,
)
from ._money import Money, allocate, sum_money
from ._outcomes import (
    Action,
    CreateCashRefund,
    CreateCreditMemo,
    Flow,
    ManualAction,
    Notice,
    Outcome,
    Reason,
    Skipped,
    Unsupported,
)
from ._settings import Policy, RefundSettings, StorefrontCapabilities

__all__ = ["decide_incoming_refund"]

_FLOW = Flow.INCOMING_REFUND


@attrs.frozen
class _Part:
    """What one billing transaction receives of the refund."""

    lines: tuple[CreditLine, ...] = ()
    shipping: Money | None = None
    choice: CreditChoice | None = None  # amount-only placement
    rule_ids: tuple[str, ...] = ()
    explanation: str = ""


@attrs.frozen
class _Split:
    """How the refund divides: what NetSuite books, by lines or by amount, and the gift card."""

    booked: Money  # what the records cover (the payment-method part, NSC-8)
    gift_card: Money
    by_lines: bool
    shipping: Money  # placed on the records' shipping (SHP-1)
    by_amount: Money  # placed by amount (NSC-5)
    adjustment: Money


def _split(event: RefundEvent) -> _Split:
    currency = event.amount.currency
    zero = Money.zero(currency)
    gift = sum_money((t.amount for t in event.tenders if t.kind is TenderKind.GIFT_CARD), currency)
    if gift.is_positive:
        booked = event.amount - gift
        shipping = zero
        named = event.shipping_amount
        if named.is_positive and booked.is_positive:
            # The payment-method part keeps the refund's own share of shipping (SHP-1).
            shipping = allocate(
                booked, [named.to_minor_units(), (event.amount - named).to_minor_units()]
            )[0]
        return _Split(booked, gift, False, shipping, booked - shipping, zero)
    if event.lines:
        return _Split(
            event.amount, zero, True, event.shipping_amount, zero, event.adjustment_amount
        )
    by_amount = event.amount - event.shipping_amount - event.adjustment_amount
    return _Split(
        event.amount, zero, False, event.shipping_amount, by_amount, event.adjustment_amount
    )


def decide_incoming_refund(
    event: RefundEvent,
    ledger: LedgerSnapshot,
    settings: RefundSettings,
    storefront: StorefrontCapabilities | None = None,
) -> Outcome:
    """Plan the NetSuite records for a storefront or marketplace refund (NSC policy).

    ``storefront`` says whether the storefront issues store credit (NSC-8). Raises
    :class:`OverRefundError` when the refund exceeds what the order has left (MNY-4) and
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
    split = _split(event)
    # The order's billing may have changed since the sync; placing the refund again could then
    # create a second record under another external ID.
    reflected = fully_reflected(
        event,
        (r.amount for r in full_view.refund_records_for(key)),
        _FLOW,
        "NSC-4",
        expected=split.booked,
    )
    if reflected is not None:
        return reflected
    resuming = full_view.has_records_for(key)
    view = full_view.without_source(key)
    open_rma = next(
        (
            rma
            for rma in full_view.return_authorizations_for(order.internal_id)
            if rma.status.is_open
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
    _check_order_ceiling(split.booked, order, view)
    manual, notices = _gift_card_report(event, order, split.gift_card, settings, storefront)
    actions: list[Action] = []
    amounts: list[Money] = []
    if split.booked.is_positive:
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
        placed = _place(event, split, billing, view, settings)
        if isinstance(placed, Unsupported):
            return placed
        records = _records(event, order, parts=placed, split=split, view=view, settings=settings)
        if isinstance(records, Unsupported):
            return records
        actions, amounts = records
    earlier = view.order_refunded(order)
    summary = (
        f"refund {event.refund_id} of {event.amount} on order {order.order_ref}: "
        f"{len(actions)} record(s)"
        + (f" for {split.booked}, {split.gift_card} on a gift card" if split.gift_card else "")
        + (f", after {earlier} refunded before" if earlier.is_positive else "")
    )
    return finish_plan(
        key=key,
        flow=_FLOW,
        summary=summary,
        actions=actions,
        manual_actions=manual,
        notices=notices,
        ledger=ledger,
        refund=event.amount,
        conserved=(*amounts, split.gift_card),
        rounding=settings.tax_rounding,
        delivered=split.booked,
    )


def _gift_card_report(
    event: RefundEvent,
    order: SalesOrder,
    gift: Money,
    settings: RefundSettings,
    storefront: StorefrontCapabilities | None,
) -> tuple[tuple[ManualAction, ...], tuple[Notice, ...]]:
    """NSC-8 (incoming): the gift-card part is reported, never booked in NetSuite."""
    if not gift.is_positive:
        return (), ()
    supported = storefront is not None and storefront.supports_store_credit
    if settings.gift_card_as_store_credit and supported:
        return (), (
            Notice(
                code=Reason.STORE_CREDIT_ISSUED,
                message=(
                    f"{gift} of refund {event.refund_id} went back to a gift card of order "
                    f"{order.order_ref}: {event.source} issued it as store credit; no NetSuite "
                    "record for that part"
                ),
                rule_ids=("NSC-8",),
                amount=gift,
            ),
        )
    why = (
        "the refund settings do not ask for store credit"
        if not settings.gift_card_as_store_credit
        else f"{storefront.name if storefront else 'the storefront'} does not support store credit"
    )
    return (
        ManualAction(
            code=Reason.GIFT_CARD,
            message=(
                f"manual: {gift} of refund {event.refund_id} went back to a gift card of order "
                f"{order.order_ref} ({why}); record it by hand; the rest of the refund proceeds"
            ),
            rule_ids=("NSC-8",),
            amount=gift,
        ),
    ), ()


def _check_order_ceiling(booked: Money, order: SalesOrder, view: LedgerView) -> None:
    refunded = view.order_refunded(order)
    remaining = order.total - refunded
    if booked > remaining:  # MNY-4
        raise OverRefundError(
            target=f"sales order {order.internal_id}",
            requested=booked,
            ceiling=order.total,
            already_refunded=refunded,
            remaining=remaining,
        )


def _unsupported(
    event: RefundEvent, message: str, code: Reason = Reason.LINE_NOT_BILLED
) -> Unsupported:
    return Unsupported(key=event.key, flow=_FLOW, code=code, message=message, rule_ids=("NSC-5",))


def _place(
    event: RefundEvent,
    split: _Split,
    billing: tuple[Billing, ...],
    view: LedgerView,
    settings: RefundSettings,
) -> dict[str, _Part] | Unsupported:
    """Each transaction's part: named lines, then shipping, then the amount-only rest."""
    shipping = _place_shipping(event, split.shipping, billing, view)
    if isinstance(shipping, Unsupported):
        return shipping
    if split.by_lines:
        return _place_by_lines(event, billing, view, settings, shipping)
    return _place_by_amount(
        event, split.by_amount, billing=billing, view=view, settings=settings, shipping=shipping
    )


def _place_by_lines(
    event: RefundEvent,
    billing: tuple[Billing, ...],
    view: LedgerView,
    settings: RefundSettings,
    shipping: dict[str, Money],
) -> dict[str, _Part] | Unsupported:
    """NSC-5: each named line goes to the transaction(s) holding it, earliest first."""
    pieces: dict[str, list[Piece]] = {txn.internal_id: [] for txn in billing}
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
        # TAX-2: the tax the storefront names is shared like the amount; else each holder's
        # share is split in its billed line's proportion.
        taxes: list[Money | None] = [None] * len(takes)
        if refund_line.tax is not None:
            taxes = list(allocate(refund_line.tax, [share.to_minor_units() for *_, share in takes]))
        for (txn, line, quantity, share), tax in zip(takes, taxes, strict=True):
            net, line_tax_part = split_line(share, line, tax)
            pieces[txn.internal_id].append(
                Piece(
                    item=line.item,
                    net=net,
                    tax=line_tax_part,
                    rate=line.tax,
                    quantity=quantity,
                    origin_line_id=line.line_id,
                    order_line_ref=refund_line.order_line_ref,
                )
            )
    parts: dict[str, _Part] = {}
    for txn in billing:
        txn_shipping = shipping.get(txn.internal_id)
        settled = settle_tax(pieces[txn.internal_id], settings)
        if isinstance(settled, str):
            return _unsupported(event, settled, Reason.NEEDS_TAX_ITEM)
        if settled.lines or txn_shipping is not None:
            parts[txn.internal_id] = _Part(
                lines=settled.lines,
                shipping=txn_shipping,
                rule_ids=settled.rule_ids,
                explanation=settled.explanation(),
            )
    return parts


def _place_shipping(
    event: RefundEvent, wanted: Money, billing: tuple[Billing, ...], view: LedgerView
) -> dict[str, Money] | Unsupported:
    """SHP-1: refunded shipping goes to the shipping of the transactions that billed it."""
    named = wanted
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
            f"refunded shipping {named} exceeds the shipping billed and not yet refunded on the "
            "order",
            Reason.NOT_BILLED,
        )
    return placed


def _place_by_amount(
    event: RefundEvent,
    wanted: Money,
    *,
    billing: tuple[Billing, ...],
    view: LedgerView,
    settings: RefundSettings,
    shipping: dict[str, Money],
) -> dict[str, _Part] | Unsupported:
    """NSC-5: an amount-only refund fills billing transactions in creation order."""
    parts: dict[str, _Part] = {
        txn_id: _Part(shipping=amount) for txn_id, amount in shipping.items()
    }
    for txn in billing:
        if not wanted.is_positive:
            break
        left = view.refundable(txn) - shipping.get(txn.internal_id, Money.zero(txn.currency))
        take = wanted.min(left)
        if not take.is_positive:
            continue
        choice = choose_credit_lines(txn, take, view, settings, Policy.NETSUITE_CONNECTOR)
        if isinstance(choice, str):
            code = Reason.NEEDS_TAX_ITEM if "tax item" in choice else Reason.NEEDS_REFUND_ITEM
            return _unsupported(event, choice, code)
        parts[txn.internal_id] = _Part(choice=choice, shipping=shipping.get(txn.internal_id))
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
    *,
    parts: dict[str, _Part],
    split: _Split,
    view: LedgerView,
    settings: RefundSettings,
) -> tuple[list[Action], list[Money]] | Unsupported:
    billing = {txn.internal_id: txn for txn in view.billing_for_order(order.internal_id)}
    adjustment = split.adjustment
    actions: list[Action] = []
    amounts: list[Money] = []
    further = view.order_refunded(order).is_positive
    for index, (txn_id, part) in enumerate(
        sorted(parts.items(), key=lambda item: list(billing).index(item[0]))
    ):
        txn = billing[txn_id]
        zero = Money.zero(txn.currency)
        rules: list[str] = ["NSC-1"]
        named_shipping = part.shipping if part.shipping is not None else zero
        if part.choice is not None:
            lines, shipping = part.choice.lines, part.choice.shipping
            rules.extend(part.choice.rule_ids)
            how = part.choice.explanation
        else:
            lines, shipping = part.lines, zero
            rules.extend(("NSC-5", *part.rule_ids))
            how = "the refunded lines named by the storefront" + part.explanation
            if not lines:
                how = "only refunded shipping"
        if named_shipping.is_positive:
            extra, cost = shipping_lines(named_shipping, settings)
            lines, shipping = (*lines, *extra), shipping + cost
            rules.append("SHP-1")
            how += f", with {named_shipping} of refunded shipping on the " + (
                f"shipping refund item {settings.shipping_refund_item}"
                if extra
                else "record's shipping"
            )
        if index == 0 and not adjustment.is_zero:
            if settings.refund_item is None:
                return _unsupported(
                    event,
                    f"the refund carries an adjustment of {adjustment}; "
                    "set refund_item in the refund settings to record it",
                    Reason.NEEDS_REFUND_ITEM,
                )
            lines = (*lines, CreditLine(item=settings.refund_item, amount=adjustment))
        amount = sum_money((line.gross for line in lines), txn.currency) + shipping
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
        if split.gift_card.is_positive:
            rules.append("NSC-8")
            how += f"; it covers only the {split.booked} refunded to the payment method"
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
