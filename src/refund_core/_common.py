"""Pieces every decision shares: which lines a credit carries, and finishing a plan."""

from collections.abc import Iterable, Sequence

import attrs

from ._errors import CurrencyMismatchError, InternalInvariantError
from ._ledger import Billing, LedgerView
from ._models import CreditLine, LedgerSnapshot, RefundEvent, RefundStatus, SourceKey
from ._money import Currency, Money, sum_money
from ._outcomes import Action, Flow, ManualAction, Outcome, Plan, Reason, Skipped, Unsupported
from ._settings import Policy, RefundSettings

__all__ = [
    "CreditChoice",
    "check_currency",
    "choose_credit_lines",
    "finish_plan",
    "fully_reflected",
    "status_outcome",
]


@attrs.frozen
class CreditChoice:
    """The lines and shipping of one credit, and the rules that chose them."""

    lines: tuple[CreditLine, ...]
    shipping: Money
    rule_ids: tuple[str, ...]
    explanation: str


def check_currency(what: str, refund: Money, currency: Currency) -> None:
    """A refund touches only transactions in its own currency (MNY-2)."""
    if refund.currency != currency:
        raise CurrencyMismatchError(
            f"{what} is in {currency.code}, but the refund is {refund}; "
            "a refund must be in the currency of every transaction it touches"
        )


def _partial_line(item: str, amount: Money, settings: RefundSettings) -> CreditLine:
    # STC-15: with revenue recognition the partial-refund line posts to deferred revenue.
    account = settings.deferred_revenue_account if settings.revenue_recognition else None
    return CreditLine(item=item, amount=amount, account=account)


def choose_credit_lines(
    txn: Billing,
    amount: Money,
    view: LedgerView,
    settings: RefundSettings,
    policy: Policy,
) -> CreditChoice | str:
    """Lines for a credit of ``amount`` taken from ``txn`` when the refund names no lines.

    Returns the choice, or a sentence explaining why no line can be chosen (no item configured).

    - *use refund item* on: one line of the refund item (STC-17);
    - the whole, untouched transaction: its original lines and shipping (STC-16, NSC-1);
    - a single-line transaction: that line's item for the amount (STC-14);
    - otherwise: one line of the partial-refund item (STC-15).
    """
    stripe = policy is Policy.STRIPE_CONNECTOR
    zero = Money.zero(amount.currency)
    if settings.use_refund_item and settings.refund_item is not None:
        return CreditChoice(
            lines=(CreditLine(item=settings.refund_item, amount=amount),),
            shipping=zero,
            rule_ids=("STC-17",),
            explanation=f"one line of the refund item {settings.refund_item} (use refund item)",
        )
    if amount == txn.total and not view.is_credited_at_all(txn):
        return CreditChoice(
            lines=tuple(
                CreditLine(
                    item=line.item,
                    amount=line.amount,
                    quantity=line.quantity,
                    origin_line_id=line.line_id,
                    order_line_ref=line.order_line_ref,
                )
                for line in txn.lines
            ),
            shipping=txn.shipping,
            rule_ids=("STC-16",) if stripe else ("NSC-1",),
            explanation=f"the original lines of {txn.describe()} (full refund)",
        )
    if len(txn.lines) == 1:
        line = txn.lines[0]
        return CreditChoice(
            lines=(
                CreditLine(
                    item=line.item,
                    amount=amount,
                    origin_line_id=line.line_id,
                    order_line_ref=line.order_line_ref,
                ),
            ),
            shipping=zero,
            rule_ids=("STC-14",) if stripe else ("NSC-1",),
            explanation=f"the single line's item {line.item} for the refunded amount",
        )
    item = settings.partial_refund_item
    if item is None:
        return (
            f"a partial refund of the multi-line {txn.describe()} needs a partial refund item; "
            "set partial_refund_item in the refund settings"
        )
    return CreditChoice(
        lines=(_partial_line(item, amount, settings),),
        shipping=zero,
        rule_ids=("STC-15",) if stripe else ("NSC-5",),
        explanation=(
            f"one line of the partial refund item {item}"
            + (" on the deferred revenue account" if settings.revenue_recognition else "")
            + f" (partial refund of a multi-line {txn.describe()})"
        ),
    )


def status_outcome(event: RefundEvent, view: LedgerView, flow: Flow) -> Outcome | None:
    """Skip refunds that have not succeeded; flag ones that failed after they were synced.

    The Stripe Connector path reverses a refund that failed after it was synced before it asks
    here (see ``_stripe._reverse_failed_refund``); only the NetSuite Connector path gets here
    with one.
    """
    if event.status is RefundStatus.SUCCEEDED:
        return None
    if event.status is RefundStatus.FAILED and view.has_records_for(event.key):
        # NetSuite Connector policy: the storefront, not NetSuite, moved the money (NSC-7), and
        # its records are credits with no customer refund to reverse; what a failed storefront
        # refund means for the order is the storefront's to say, so a person decides.
        return Unsupported(
            key=event.key,
            flow=flow,
            code=Reason.FAILED_AFTER_SYNC,
            message=(
                f"refund {event.refund_id} failed at {event.source} after it was synced; "
                "its NetSuite records must be reversed"
            ),
            rule_ids=("IDM-3",),
        )
    return Skipped(
        key=event.key,
        flow=flow,
        code=Reason.NOT_SUCCEEDED,
        message=(
            f"refund {event.refund_id} is {event.status.value}, not succeeded; nothing to sync yet"
        ),
        rule_ids=("IDM-3",),
    )


def fully_reflected(
    event: RefundEvent, created: Iterable[Money], flow: Flow, rule_id: str
) -> Skipped | None:
    """Skip a refund whose records already add up to its amount (IDM-2).

    Planning against the ledger without the event's own records resumes an interrupted plan
    with the same IDs; but once the refund is *fully* reflected, the ledger around it may have
    changed since, and a new placement would create records under new IDs: refund it twice.
    """
    synced = sum_money(created, event.amount.currency)
    if synced != event.amount:
        return None
    return Skipped(
        key=event.key,
        flow=flow,
        code=Reason.ALREADY_SYNCED,
        message=f"{event.key} is already reflected in NetSuite ({synced}); nothing new is created",
        rule_ids=("IDM-2", rule_id),
    )


def finish_plan(
    *,
    key: SourceKey,
    flow: Flow,
    summary: str,
    actions: Sequence[Action],
    manual_actions: Sequence[ManualAction] = (),
    ledger: LedgerSnapshot,
    refund: Money | None = None,
    conserved: Sequence[Money] = (),
) -> Outcome:
    """Drop actions already performed, check conservation, and wrap the rest as an outcome.

    ``conserved`` are the created amounts that must add up to ``refund`` (MNY-3). An action whose
    external ID exists in the ledger was performed by an earlier, maybe interrupted, run (IDM-2).
    """
    if refund is not None:
        total = sum_money(conserved, refund.currency)
        if total != refund:
            raise InternalInvariantError(
                f"plan for {key} creates {total}, but the refund is {refund} (MNY-3)"
            )
    done = ledger.external_ids() | ledger.marked_synced
    remaining = tuple(action for action in actions if action.external_id not in done)
    if actions and not remaining:
        return Skipped(
            key=key,
            flow=flow,
            code=Reason.ALREADY_SYNCED,
            message=f"{key} is already reflected in NetSuite; nothing new is created",
            rule_ids=("IDM-2",),
        )
    if len(remaining) < len(actions):
        summary = f"{summary} (resuming: {len(actions) - len(remaining)} write(s) already done)"
    return Plan(
        key=key, flow=flow, summary=summary, actions=remaining, manual_actions=tuple(manual_actions)
    )
