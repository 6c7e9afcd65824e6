"""A processor payout becomes one NetSuite deposit (STC-11, STC-12, STC-13).

Payments and customer refunds wait in Undeposited Funds; the deposit takes each entry of the
payout out of it (STC-12). Fees and fee refunds are never on a customer refund or credit memo:
each is a line of the deposit's Other Deposits list (STC-13). Refunds of charges before the
record sync start date are left out for manual matching, or become deposit lines posted to one
income account, optionally summarized into one line (STC-11).

Disputes: a dispute's withdrawn funds (``DISPUTE``) leave like a refund, through the customer
refunds the dispute was synced as (DSP-1); a won dispute's reinstated funds (``DISPUTE_REVERSAL``)
are an Other Deposits line on the dispute account, and dispute fees and their refunds are fee
lines (DSP-2): the dispute's records are never undone.

Currencies (CCY-1): the deposit is in the payout's (settlement) currency; a payment or customer
refund in another (the charge's) currency is taken in at the settlement amount with the rate the
processor reports, checked to explain that amount. An entry in another currency without a rate
makes the payout unsupported, naming it: currencies are never mixed silently in one record.

A refund that failed after it was paid out gives the money back (a ``REFUND_FAILURE`` entry): the
sync reversed it with unapplied customer payments in Undeposited Funds (IDM-3), and the deposit
takes those payments in, as it takes the refund's customer refunds out. A failure of a pre-start
refund mirrors the refund: left out for manual matching, or a deposit line on the same income
account. A payout holding a movement no deposit line represents (``OTHER``: a dispute, a
transfer) is refused whole, naming it, never deposited short.
"""

import decimal
from decimal import Decimal

from ._common import finish_plan
from ._errors import ConfigurationError, InvalidInputError
from ._ids import Role, external_id
from ._ledger import LedgerView
from ._models import (
    BalanceEntry,
    BalanceEntryKind,
    DepositRecordKind,
    LedgerSnapshot,
    OtherDepositLine,
    PaymentStatus,
    Payout,
    SourceKey,
)
from ._money import Money, allocate, sum_money
from ._outcomes import (
    CreateDeposit,
    Flow,
    ManualAction,
    Outcome,
    PlannedDepositLine,
    Reason,
    RecordRef,
    Skipped,
    Unsupported,
)
from ._settings import PreStartMode, RefundSettings
from ._stripe import is_before_sync_start

__all__ = ["decide_payout"]

_FLOW = Flow.PAYOUT


def decide_payout(payout: Payout, ledger: LedgerSnapshot, settings: RefundSettings) -> Outcome:
    """Plan the deposit for a payout, or skip it until every refund in it has synced.

    A payout holding an ``OTHER`` entry (a transfer, an adjustment...) is *unsupported*: no
    deposit line represents it, so the whole payout is left to a person, each such entry named.
    So is one whose records are in another currency than its entries with no rate to convert
    (CCY-1).
    """
    view = LedgerView(ledger)
    key = payout.key
    unrepresented = [entry for entry in payout.entries if entry.kind is BalanceEntryKind.OTHER]
    if unrepresented:
        return Unsupported(
            key=key,
            flow=_FLOW,
            code=Reason.UNSUPPORTED_BALANCE_ENTRY,
            message=(
                f"payout {payout.payout_id} holds balance movements no deposit line represents: "
                + ", ".join(
                    f"{entry.entry_id} ({entry.description or 'no description'}, {entry.amount})"
                    for entry in unrepresented
                )
                + "; reconcile this payout by hand"
            ),
            rule_ids=("STC-12",),
        )
    payment_lines: list[PlannedDepositLine] = []
    other_lines: list[OtherDepositLine] = []
    manual: list[ManualAction] = []
    pre_start: list[BalanceEntry] = []
    missing: list[str] = []
    rules: list[str] = []

    def fee_account() -> str:
        if settings.fee_account is None:
            raise ConfigurationError(
                f"payout {payout.payout_id} has fee entries, but fee_account is not set"
            )
        return settings.fee_account

    def dispute_account() -> str:
        if settings.dispute_account is None:
            raise ConfigurationError(
                f"payout {payout.payout_id} reinstates disputed funds, but dispute_account is "
                "not set"
            )
        return settings.dispute_account

    no_rate: list[str] = []
    disputes = {
        entry.source_ref
        for entry in payout.entries
        if entry.kind in (BalanceEntryKind.DISPUTE, BalanceEntryKind.DISPUTE_REVERSAL)
    }

    def converted(
        entry: BalanceEntry, record: str, record_amount: Money
    ) -> tuple[Money, Decimal | None] | None:
        """The deposit line's amount and rate for a record of ``record_amount`` (CCY-1)."""
        target = abs(entry.amount)
        if record_amount.currency == entry.amount.currency:
            if record_amount != target:
                raise InvalidInputError(
                    f"payout {payout.payout_id} entry {entry.entry_id} moves {entry.amount}, "
                    f"but {record} is {record_amount}"
                )
            return record_amount, None
        if entry.exchange_rate is None:
            no_rate.append(
                f"{entry.entry_id} ({entry.amount} for {record} in {record_amount.currency})"
            )
            return None
        _check_rate(payout, entry, record, record_amount)
        return target, entry.exchange_rate

    cancelled = _unsynced_refunds_failed_in(payout, view, settings)
    for entry in payout.entries:
        if entry.kind in (BalanceEntryKind.REFUND, BalanceEntryKind.REFUND_FAILURE) and (
            entry.source_ref in cancelled
        ):
            continue  # a refund that failed before it was synced: it and its failure net to 0
        match entry.kind:
            case BalanceEntryKind.CHARGE:
                payment = view.payment_by_ref(entry.source_ref)
                if payment is None:
                    missing.append(f"charge {entry.source_ref}")
                    continue
                line = converted(entry, f"payment {payment.internal_id}", payment.amount)
                if line is None:
                    continue
                payment_lines.append(
                    PlannedDepositLine(
                        DepositRecordKind.PAYMENT,
                        RecordRef(internal_id=payment.internal_id),
                        line[0],
                        line[1],
                    )
                )
                if line[1] is not None:
                    rules.append("CCY-1")
            case (
                BalanceEntryKind.REFUND
                | BalanceEntryKind.PAYMENT_FAILURE
                | BalanceEntryKind.DISPUTE
            ):
                refunds = view.customer_refunds_for(SourceKey(payout.source, entry.source_ref))
                if not refunds:
                    if entry.kind is not BalanceEntryKind.PAYMENT_FAILURE and (
                        is_before_sync_start(entry.charge_created_at, settings)
                    ):
                        pre_start.append(entry)
                    else:
                        missing.append(f"{entry.kind.value} {entry.source_ref}")
                    continue
                currency = refunds[0].amount.currency
                total = sum_money((cr.amount for cr in refunds), currency)
                line = converted(entry, f"the customer refunds for {entry.source_ref}", total)
                if line is None:
                    continue
                if line[1] is None:
                    amounts = [-cr.amount for cr in refunds]
                else:  # MNY-3: the settlement amount split over the refunds by their amounts
                    amounts = list(
                        allocate(-line[0], [cr.amount.to_minor_units() for cr in refunds])
                    )
                    rules.append("CCY-1")
                payment_lines.extend(
                    PlannedDepositLine(
                        DepositRecordKind.CUSTOMER_REFUND,
                        RecordRef(internal_id=cr.internal_id),
                        amount,
                        line[1],
                    )
                    for cr, amount in zip(refunds, amounts, strict=True)
                )
                rules.append("STC-12")
                if entry.kind is BalanceEntryKind.DISPUTE:
                    rules.append("DSP-1")
            case BalanceEntryKind.REFUND_FAILURE:
                reversals = view.reversals_for(SourceKey(payout.source, entry.source_ref))
                if not reversals:
                    if is_before_sync_start(entry.charge_created_at, settings):
                        pre_start.append(entry)
                    else:
                        missing.append(f"reversal of failed refund {entry.source_ref}")
                    continue
                total = sum_money((p.amount for p in reversals), entry.amount.currency)
                if total != entry.amount:
                    raise InvalidInputError(
                        f"payout {payout.payout_id} entry {entry.entry_id} gives back "
                        f"{entry.amount}, but the reversals of {entry.source_ref} total {total}"
                    )
                payment_lines.extend(
                    PlannedDepositLine(
                        DepositRecordKind.PAYMENT, RecordRef(internal_id=p.internal_id), p.amount
                    )
                    for p in sorted(reversals, key=lambda p: p.internal_id)
                )
                rules.extend(("STC-12", "IDM-3"))
            case BalanceEntryKind.FEE | BalanceEntryKind.FEE_REFUND:
                label = "fee refund" if entry.kind is BalanceEntryKind.FEE_REFUND else "fee"
                other_lines.append(
                    OtherDepositLine(
                        account=fee_account(),
                        amount=entry.amount,
                        memo=f"Stripe {label} {entry.source_ref}"
                        + (f": {entry.description}" if entry.description else ""),
                        source_refs=(entry.entry_id,),
                    )
                )
                if entry.kind is BalanceEntryKind.FEE_REFUND:
                    rules.append("STC-13")
                if entry.source_ref in disputes:  # a dispute fee, or its refund (DSP-2)
                    rules.append("DSP-2")
            case BalanceEntryKind.DISPUTE_REVERSAL:
                # DSP-2: the dispute's records stay; the funds come back as an Other Deposits line.
                other_lines.append(
                    OtherDepositLine(
                        account=dispute_account(),
                        amount=entry.amount,
                        memo=f"Stripe dispute {entry.source_ref} won: funds reinstated"
                        + (f" ({entry.description})" if entry.description else ""),
                        source_refs=(entry.entry_id,),
                    )
                )
                rules.append("DSP-2")
    if no_rate:
        return Unsupported(
            key=key,
            flow=_FLOW,
            code=Reason.NO_EXCHANGE_RATE,
            message=(
                f"payout {payout.payout_id} settles in {payout.amount.currency} records kept in "
                "another currency, and its source gives no exchange rate for "
                + ", ".join(no_rate)
                + "; currencies are never mixed in one deposit: reconcile it by hand"
            ),
            rule_ids=("CCY-1",),
        )
    if missing:
        return Skipped(
            key=key,
            flow=_FLOW,
            code=Reason.REFUND_NOT_SYNCED,
            message=(
                f"payout {payout.payout_id} waits for records not in NetSuite yet: "
                + ", ".join(missing)
            ),
            rule_ids=("STC-12",),
        )
    if pre_start:
        rules.append("STC-11")
        _pre_start_lines(payout, pre_start, settings, other_lines, manual)
    already = [
        str(line.record)
        for line in payment_lines
        if line.kind is DepositRecordKind.PAYMENT and _deposited(view, line.record.internal_id)
    ]
    deposit_id = external_id(key, Role.DEPOSIT, payout.payout_id)
    if already and deposit_id not in ledger.external_ids():
        raise InvalidInputError(
            f"payout {payout.payout_id} includes payments already deposited elsewhere: "
            + ", ".join(already)
        )
    amount = sum_money(
        (*(line.amount for line in payment_lines), *(line.amount for line in other_lines)),
        payout.amount.currency,
    )
    action = CreateDeposit(
        external_id=deposit_id,
        source=key,
        rule_ids=tuple(dict.fromkeys(("STC-12", *rules))),
        reason=(
            f"payout {payout.payout_id} arrived: its refunds and payments leave Undeposited Funds "
            "for the bank; fees and fee refunds are Other Deposits lines"
        ),
        payout_ref=payout.payout_id,
        account=settings.deposit_account,
        payment_lines=tuple(payment_lines),
        other_lines=tuple(other_lines),
        amount=amount,
    )
    excluded = sum_money((entry.amount for entry in pre_start), payout.amount.currency)
    expected = (
        payout.amount
        if settings.pre_start_mode is PreStartMode.DEPOSIT_LINE
        else (payout.amount - excluded)
    )
    return finish_plan(
        key=key,
        flow=_FLOW,
        summary=f"deposit for payout {payout.payout_id} of {payout.amount}",
        actions=(action,),
        manual_actions=manual,
        ledger=ledger,
        refund=expected,
        conserved=(amount,),
    )


def _deposited(view: LedgerView, payment_id: str | None) -> bool:
    """Whether the payment is already in a deposit (looked up by ID, not by a scan)."""
    payment = view.payment(payment_id) if payment_id is not None else None
    return payment is not None and payment.status is PaymentStatus.DEPOSITED


def _pre_start_lines(
    payout: Payout,
    entries: list[BalanceEntry],
    settings: RefundSettings,
    other_lines: list[OtherDepositLine],
    manual: list[ManualAction],
) -> None:
    if settings.pre_start_mode is PreStartMode.SKIP:
        manual.extend(
            ManualAction(
                code=Reason.PRE_START_DATE,
                message=(
                    f"manual: refund {entry.source_ref} predates the record sync start date and is "
                    "left out of the deposit; create credit memo + customer refund and match the "
                    "bank deposit by hand"
                    if entry.kind is BalanceEntryKind.REFUND
                    else f"manual: refund {entry.source_ref} predates the record sync start date "
                    "and failed; its money back is left out of the deposit; match the bank "
                    "deposit by hand"
                ),
                rule_ids=("STC-11",),
                amount=entry.amount,
            )
            for entry in entries
        )
        return
    account = settings.pre_start_income_account
    if account is None:  # pragma: no cover - RefundSettings refuses this combination
        raise ConfigurationError("pre_start_income_account is not set")
    if settings.summarize_before_backfill:
        total: Money = sum_money((entry.amount for entry in entries), payout.amount.currency)
        failures = sum(1 for entry in entries if entry.kind is BalanceEntryKind.REFUND_FAILURE)
        what = f"{len(entries) - failures} refund(s)" + (
            f" and {failures} refund failure(s)" if failures else ""
        )
        if not total.is_zero:  # refunds and their failures in one payout may cancel out
            other_lines.append(
                OtherDepositLine(
                    account=account,
                    amount=total,
                    memo=f"{what} before the record sync start date, summarized",
                    source_refs=tuple(dict.fromkeys(entry.source_ref for entry in entries)),
                )
            )
        return
    other_lines.extend(
        OtherDepositLine(
            account=account,
            amount=entry.amount,
            memo=(
                f"refund {entry.source_ref} before the record sync start date"
                if entry.kind is BalanceEntryKind.REFUND
                else f"failure of refund {entry.source_ref} before the record sync start date"
            ),
            source_refs=(entry.source_ref,),
        )
        for entry in entries
    )


def _unsynced_refunds_failed_in(
    payout: Payout, view: LedgerView, settings: RefundSettings
) -> frozenset[str]:
    """Refunds this payout both pays out and gives back, with nothing of theirs in NetSuite.

    **Decision (ours):** a refund that failed before it was ever synced (a pending bank refund
    that failed, say) has no customer refund and no reversal in NetSuite. When its refund entry
    and its failure entry are in the same payout they cancel out exactly, so neither becomes a
    deposit line and the deposit still equals the payout. Split over two payouts, each waits
    (and is set aside) until a person reconciles it, as any payout with an unsynced refund does.
    Refunds of charges before the record sync start date keep their own handling (STC-11).
    """
    refunded: dict[str, Money] = {}
    failed: dict[str, Money] = {}
    for entry in payout.entries:
        if entry.kind is BalanceEntryKind.REFUND and not is_before_sync_start(
            entry.charge_created_at, settings
        ):
            refunded[entry.source_ref] = (
                refunded.get(entry.source_ref, Money.zero(entry.amount.currency)) + entry.amount
            )
        elif entry.kind is BalanceEntryKind.REFUND_FAILURE:
            failed[entry.source_ref] = (
                failed.get(entry.source_ref, Money.zero(entry.amount.currency)) + entry.amount
            )
    return frozenset(
        ref
        for ref, amount in refunded.items()
        if ref in failed
        and failed[ref] == -amount
        and not view.customer_refunds_for(SourceKey(payout.source, ref))
        and not view.reversals_for(SourceKey(payout.source, ref))
    )


_WIDE = decimal.Context(prec=80, traps=[decimal.InvalidOperation, decimal.Overflow])


def _check_rate(payout: Payout, entry: BalanceEntry, record: str, record_amount: Money) -> None:
    """The rate must explain the settlement amount: ``record x rate`` rounds to it (CCY-1).

    Stripe documents the rate (``amount`` in currency A times ``exchange_rate`` is the amount in
    currency B) but not its rounding, so either neighbour of the exact product is accepted.
    """
    rate = entry.exchange_rate
    if rate is None:  # pragma: no cover - callers check
        return
    exact = _WIDE.multiply(record_amount.amount, rate)
    quantum = entry.amount.currency.quantum
    low = exact.quantize(quantum, rounding=decimal.ROUND_FLOOR, context=_WIDE)
    high = exact.quantize(quantum, rounding=decimal.ROUND_CEILING, context=_WIDE)
    if abs(entry.amount).amount not in (low, high):
        raise InvalidInputError(
            f"payout {payout.payout_id} entry {entry.entry_id} moves {entry.amount} at the rate "
            f"{rate}, but {record} is {record_amount}, which converts to "
            f"{exact.normalize():f} {entry.amount.currency}"
        )
