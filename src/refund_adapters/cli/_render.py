"""How outcomes read on a terminal: ``refund-sync plan``, ``sync --verbose`` and the demo.

One outcome is a few lines: its kind (PLAN, SKIPPED, UNSUPPORTED, REJECTED), the reason and the
rules behind it, then, for a plan, a table of its actions (record, what it is made from or
applied to, amount, external ID, rules) with each action's lines, applications or deposit lines
indented under it, and the manual actions and notices it reports.
"""

from __future__ import annotations

from collections.abc import Sequence

from refund_core import (
    Action,
    CreateCashRefund,
    CreateCreditMemo,
    CreateCustomerRefund,
    CreateDeposit,
    CreateRefundReversal,
    CreditLine,
    CreditLineKind,
    IssueStoreCredit,
    IssueStorefrontRefund,
    ManualAction,
    MarkPaymentFailed,
    MarkRecordSynced,
    Money,
    Notice,
    Outcome,
    Plan,
    Rejected,
    ScenarioOutcome,
    Skipped,
    Unsupported,
)

__all__ = ["render_outcome", "render_text"]

_HEADER = ("record", "from / applied to", "amount", "external ID", "rules")


def _money(value: Money | None) -> str:
    return "-" if value is None else str(value)


def _action_row(action: Action) -> tuple[str, str, str]:
    """Record type, created-from / applied-to, amount."""
    match action:
        case CreateCreditMemo():
            return "credit memo", f"from {action.created_from}", _money(action.amount)
        case CreateCashRefund():
            return "cash refund", f"from {action.created_from}", _money(action.amount)
        case CreateCustomerRefund():
            target = f"payment {action.payment_id}" if action.payment_id else "-"
            return "customer refund", target, _money(action.amount)
        case CreateDeposit():
            return "deposit", f"payout {action.payout_ref}", _money(action.amount)
        case IssueStorefrontRefund():
            target = f"{action.storefront} order {action.order_ref} ({action.record})"
            return "storefront refund", target, _money(action.amount)
        case IssueStoreCredit():
            target = f"{action.storefront} order {action.order_ref}"
            return "store credit", target, _money(action.amount)
        case MarkPaymentFailed():
            return "payment failed", f"payment {action.payment_id}", "-"
        case CreateRefundReversal():  # an unapplied payment: the customer's credit again
            return "customer payment", f"customer {action.customer_id}", _money(action.amount)
        case MarkRecordSynced():
            target = f"{action.record_kind.value.replace('_', ' ')} {action.record_id}"
            return "mark synced", target, "-"
    raise TypeError(f"unknown action {type(action).__name__}")  # pragma: no cover


def _detail_lines(action: Action) -> list[str]:
    """The indented lines under an action: credit lines, applications, deposit lines."""
    lines: list[str] = []
    match action:
        case CreateCreditMemo() | CreateCashRefund():
            for credit in action.lines:
                lines.append(_credit_line(credit))
            if not action.shipping.is_zero:
                lines.append(f"shipping: {action.shipping}")
        case CreateCustomerRefund():
            for app in action.applications:
                lines.append(
                    f"apply: {app.kind.value.replace('_', ' ')} {app.record}  {app.amount}"
                )
            if action.memo:
                lines.append(f"memo: {action.memo}")
        case CreateDeposit():
            if action.account:
                lines.append(f"account: {action.account}")
            for line in action.payment_lines:
                kind = line.kind.value.replace("_", " ")
                lines.append(f"deposit line: {kind} {line.record}  {line.amount}")
            for other in action.other_lines:
                memo = f"  {other.memo}" if other.memo else ""
                refs = f"  [{', '.join(other.source_refs)}]" if other.source_refs else ""
                lines.append(f"other deposit: {other.account}  {other.amount}{memo}{refs}")
        case IssueStorefrontRefund():
            for sline in action.lines:
                qty = "-" if sline.quantity is None else str(sline.quantity)
                lines.append(f"line: {sline.order_line_ref}  qty {qty}  {sline.amount}")
            if not action.shipping.is_zero:
                lines.append(f"shipping: {action.shipping}")
        case MarkPaymentFailed():
            if action.unapply_invoice_ids:
                lines.append(f"unapply from: {', '.join(action.unapply_invoice_ids)}")
            if action.memo:
                lines.append(f"memo: {action.memo}")
        case MarkRecordSynced():
            sync = action.sync
            lines.append(
                f"synced as {sync.external_id}: payment {sync.payment_part}, "
                f"gift card {sync.gift_card_part}"
            )
        case IssueStoreCredit():
            lines.append(f"customer: {action.customer_id}")
        case CreateRefundReversal():
            lines.append(f"unapplied, reverses: {', '.join(action.reversed_refund_ids)}")
            lines.append(f"memo: {action.memo}")
    return lines


def _credit_line(credit: CreditLine) -> str:
    """One credit line: item, quantity, net, and its tax and code (TAX-3) or kind."""
    origin = f"  (line {credit.origin_line_id})" if credit.origin_line_id else ""
    if credit.kind is CreditLineKind.TAX:
        return f"tax line: {credit.item}  {credit.amount} of tax code {credit.tax_code}{origin}"
    if credit.kind is CreditLineKind.SHIPPING:
        return f"shipping line: {credit.item}  {credit.amount}"
    qty = "-" if credit.quantity is None else str(credit.quantity)
    account = f"  account {credit.account}" if credit.account else ""
    tax = ""
    if credit.tax is not None:
        tax = f"  net {credit.amount} + tax {credit.tax.amount} ({credit.tax.describe()})"
        return f"line: {credit.item}  qty {qty}{tax}{account}{origin}"
    return f"line: {credit.item}  qty {qty}  {credit.amount}{account}{origin}"


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out: list[str] = []
    for number, row in enumerate(rows):
        out.append(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
        if number == 0:
            out.append("  ".join("-" * width for width in widths))
    return out


def _manual_lines(manual_actions: Sequence[ManualAction]) -> list[str]:
    lines: list[str] = []
    for manual in manual_actions:
        amount = f" [{manual.amount}]" if manual.amount is not None else ""
        rules = f" ({', '.join(manual.rule_ids)})" if manual.rule_ids else ""
        lines.append(f"  MANUAL: {manual.message}{amount}{rules}")
    return lines


def _notice_lines(notices: Sequence[Notice]) -> list[str]:
    lines: list[str] = []
    for notice in notices:
        amount = f" [{notice.amount}]" if notice.amount is not None else ""
        rules = f" ({', '.join(notice.rule_ids)})" if notice.rule_ids else ""
        lines.append(f"  NOTE: {notice.message}{amount}{rules}")
    return lines


def render_outcome(number: int, outcome: Outcome | ScenarioOutcome) -> list[str]:
    """One outcome as the lines of the report: kind, reason, rules, its actions as a table."""
    match outcome:
        case Plan():
            kind, text, rules = "PLAN", outcome.summary, outcome.rule_ids
        case Skipped():
            kind, text, rules = "SKIPPED", f"{outcome.message} [{outcome.code}]", outcome.rule_ids
        case Unsupported():
            kind, text, rules = (
                "UNSUPPORTED",
                f"{outcome.message} [{outcome.code}]",
                outcome.rule_ids,
            )
        case Rejected():
            kind, text, rules = "REJECTED", f"{outcome.message} [{outcome.code}]", outcome.rule_ids
    out = [
        f"Event {number}: {outcome.key}  flow {outcome.flow.value}  {kind}",
        f"  {text}",
    ]
    if rules:
        out.append(f"  rules: {', '.join(rules)}")
    if isinstance(outcome, Plan) and outcome.actions:
        rows: list[tuple[str, ...]] = [_HEADER]
        details: list[list[str]] = []
        for action in outcome.actions:
            record, target, amount = _action_row(action)
            rows.append((record, target, amount, action.external_id, ", ".join(action.rule_ids)))
            details.append(_detail_lines(action))
        table = _table(rows)
        out.extend(f"  {line}" for line in table[:2])
        for row_line, detail in zip(table[2:], details, strict=True):
            out.append(f"  {row_line}")
            out.extend(f"      {line}" for line in detail)
    if isinstance(outcome, Plan | Skipped):
        out.extend(_manual_lines(outcome.manual_actions))
    if isinstance(outcome, Plan):
        out.extend(_notice_lines(outcome.notices))
    return out


def render_text(
    outcomes: Sequence[ScenarioOutcome], description: str = "", warnings: Sequence[str] = ()
) -> str:
    """The plain-text report of a scenario's outcomes, after the account's warnings (NSC-10)."""
    out: list[str] = []
    if description:
        out.append(description)
        out.append("")
    for warning in warnings:
        out.append(f"WARNING: {warning} (NSC-10)")
    if warnings:
        out.append("")
    for number, outcome in enumerate(outcomes, start=1):
        if number > 1:
            out.append("")
        out.extend(render_outcome(number, outcome))
    return "\n".join(out) + "\n"
