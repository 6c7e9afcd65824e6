"""Pieces every decision shares: checks on the way in, and finishing a plan on the way out."""

from collections.abc import Iterable, Sequence

from ._errors import CurrencyMismatchError, InternalInvariantError
from ._ledger import LedgerView
from ._models import LedgerSnapshot, RefundEvent, RefundStatus, SourceKey
from ._money import Currency, Money, sum_money
from ._outcomes import (
    Action,
    CreateCashRefund,
    CreateCreditMemo,
    Flow,
    ManualAction,
    Notice,
    Outcome,
    Plan,
    Reason,
    Skipped,
    Unsupported,
)
from ._tax import TaxRounding, netsuite_total

__all__ = [
    "check_currency",
    "finish_plan",
    "fully_reflected",
    "status_outcome",
]


def check_currency(what: str, refund: Money, currency: Currency) -> None:
    """A refund touches only transactions in its own currency (MNY-2)."""
    if refund.currency != currency:
        raise CurrencyMismatchError(
            f"{what} is in {currency.code}, but the refund is {refund}; "
            "a refund must be in the currency of every transaction it touches"
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
    event: RefundEvent,
    created: Iterable[Money],
    flow: Flow,
    rule_id: str,
    expected: Money | None = None,
) -> Skipped | None:
    """Skip a refund whose records already add up to what it books (IDM-2).

    ``expected`` is what the refund books in NetSuite, its amount unless told (the part refunded
    to the payment method, NSC-8). Planning against the ledger without the event's own records
    resumes an interrupted plan with the same IDs; but once the refund is *fully* reflected, the
    ledger around it may have changed since, and a new placement would create records under new
    IDs: refund it twice.
    """
    expected = event.amount if expected is None else expected
    synced = sum_money(created, event.amount.currency)
    if synced != expected or synced.is_zero:
        return None
    return Skipped(
        key=event.key,
        flow=flow,
        code=Reason.ALREADY_SYNCED,
        message=f"{event.key} is already reflected in NetSuite ({synced}); nothing new is created",
        rule_ids=("IDM-2", rule_id),
    )


def _held(record: object) -> str:
    internal_id = getattr(record, "internal_id", "?")
    external = getattr(record, "external_id", None)
    kind = type(record).__name__
    amount = getattr(record, "amount", None)
    made = f"external ID {external}" if external else "no external ID of ours"
    return f"{kind} {internal_id} of {amount} ({made})"


def _conflict(
    key: SourceKey, flow: Flow, actions: Sequence[Action], ledger: LedgerSnapshot, delivered: Money
) -> Unsupported | None:
    """Records NetSuite holds for ``key`` that this plan would not write as they are (IDM-4).

    A plan is planned against the ledger without the event's own records, so an interrupted plan
    resumes with the very same writes (IDM-2). Every record found for the refund ID, whoever
    made it, must therefore be one of the plan's writes, with the same amount and target;
    anything else means NetSuite reflects another version of this refund, and planning past it
    could refund more than was paid (MNY-4). A person decides; nothing is written.
    """
    records = LedgerView(ledger).records_for(key)
    if not records:
        return None
    planned = {action.external_id: action for action in actions}
    stray = []
    for record in records:
        action = planned.get(record.external_id or "")
        same = (
            action is not None
            and getattr(action, "amount", None) == record.amount
            and getattr(action, "created_from", None) == getattr(record, "created_from", None)
        )
        if not same:
            stray.append(record)
    if not stray:
        return None
    held = sum_money((r.amount for r in records), delivered.currency) if records else None
    would = sum_money(
        (a.amount for a in actions if isinstance(a, CreateCreditMemo | CreateCashRefund)),
        delivered.currency,
    )
    return Unsupported(
        key=key,
        flow=flow,
        code=Reason.CONFLICT,
        message=(
            f"NetSuite already holds records for {key} that this delivery would not write "
            f"({'; '.join(_held(r) for r in stray)}; {held} held in all), but this delivery is "
            f"for {delivered}"
            + (f" and would credit {would}" if would.is_positive else "")
            + ": two versions of one refund; a person must reconcile them, nothing is written"
        ),
        rule_ids=("IDM-4", "MNY-4"),
    )


def finish_plan(
    *,
    key: SourceKey,
    flow: Flow,
    summary: str,
    actions: Sequence[Action],
    manual_actions: Sequence[ManualAction] = (),
    notices: Sequence[Notice] = (),
    ledger: LedgerSnapshot,
    refund: Money | None = None,
    conserved: Sequence[Money] = (),
    rounding: TaxRounding = TaxRounding.ROUND_OFF,
    delivered: Money | None = None,
) -> Outcome:
    """Check the plan's laws, drop actions already performed, and wrap the rest as an outcome.

    ``conserved`` are the created amounts that must add up to ``refund`` (MNY-3). Every credit
    memo and cash refund must total, as NetSuite computes it with ``rounding``, what it refunds
    (TAX-2). With ``delivered`` (the event's amount), the records NetSuite holds for ``key``
    must be writes of this very plan, or the outcome is a conflict (IDM-4). An action whose
    external ID exists in the ledger was performed by an earlier, maybe interrupted, run (IDM-2).
    """
    if refund is not None:
        total = sum_money(conserved, refund.currency)
        if total != refund:
            raise InternalInvariantError(
                f"plan for {key} creates {total}, but the refund is {refund} (MNY-3)"
            )
    for action in actions:
        if isinstance(action, CreateCreditMemo | CreateCashRefund):
            computed = netsuite_total(action.lines, action.shipping, rounding)
            if computed != action.amount:
                raise InternalInvariantError(
                    f"plan for {key}: NetSuite would total {action.external_id} at {computed}, "
                    f"but it refunds {action.amount} (TAX-2)"
                )
    if delivered is not None:
        conflict = _conflict(key, flow, actions, ledger, delivered)
        if conflict is not None:
            return conflict
    made, marked = ledger.external_ids(), ledger.marked_synced
    remaining = tuple(
        action
        for action in actions
        if action.external_id not in made and action.external_id not in marked
    )
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
        key=key,
        flow=flow,
        summary=summary,
        actions=remaining,
        manual_actions=tuple(manual_actions),
        notices=tuple(notices),
    )
