"""Reconciliation: a source's refunds over a range against what the ledger holds for them.

It only reads: one ledger load per source page, nothing written, nothing journalled. The ledger
total of a refund is its customer refunds under the Stripe Connector policy, its credit memos
plus cash refunds under the NetSuite Connector policy.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime

import refund_core as rc

from ._paging import pages
from ._results import ReconciliationReport
from ._runner import Runner

__all__ = ["reconcile"]

_Record = rc.CreditMemo | rc.CashRefund | rc.CustomerRefund


async def reconcile(run: Runner, since: datetime, until: datetime) -> ReconciliationReport:
    """Compare the source's succeeded refunds created in ``[since, until)`` with the ledger."""
    source = run.need_source()
    known: set[rc.SourceKey] = set()
    checked: set[rc.SourceKey] = set()
    missing: list[rc.SourceKey] = []
    mismatched: list[tuple[rc.SourceKey, rc.Money, rc.Money]] = []
    candidates: dict[str, rc.SourceKey] = {}
    unreadable: list[rc.SourceKey] = []
    list_page = functools.partial(source.list_events, since=since, limit=run.config.page_size)
    async for page in pages(
        lambda token: run.read(functools.partial(list_page, page_token=token), None),
        what=source.name,
    ):
        known.update(event.key for event in page.items)
        known.update(item.key for item in page.set_aside)
        unreadable.extend(item.key for item in page.set_aside if item.key not in unreadable)
        refunds = [
            event
            for event in page.items
            if isinstance(event, rc.RefundEvent)
            and event.status is rc.RefundStatus.SUCCEEDED
            and since <= event.created_at < until
            and event.key not in checked
        ]
        checked.update(event.key for event in refunds)
        if not refunds:
            continue
        snapshot = await run.read(
            functools.partial(run.ledger.load, rc.ledger_query(refunds)), run.ledger_limit
        )
        for event in refunds:
            if not _records_for(snapshot, event.key):
                missing.append(event.key)
                continue
            total = _ledger_total(run.policy, snapshot, event.key, event.amount.currency)
            if total != event.amount:
                mismatched.append((event.key, event.amount, total))
        for record in _records_of(snapshot):
            if (
                record.source is not None
                and record.source.source == source.name
                and record.created_at is not None
                and since <= record.created_at < until
            ):
                candidates[record.external_id or record.internal_id] = record.source
    extra = sorted(ext for ext, key in candidates.items() if key not in known)
    return ReconciliationReport(
        missing=tuple(missing),
        extra=tuple(extra),
        mismatched=tuple(mismatched),
        unreadable=tuple(unreadable),
    )


def _ledger_total(
    policy: rc.Policy, snapshot: rc.LedgerSnapshot, key: rc.SourceKey, currency: rc.Currency
) -> rc.Money:
    records: Iterable[_Record]
    if policy is rc.Policy.STRIPE_CONNECTOR:
        records = (cr for cr in snapshot.customer_refunds if cr.source == key)
    else:
        records = (r for r in snapshot.refund_records() if r.source == key)
    return rc.sum_money((record.amount for record in records), currency)


def _records_of(snapshot: rc.LedgerSnapshot) -> tuple[_Record, ...]:
    return (*snapshot.credit_memos, *snapshot.cash_refunds, *snapshot.customer_refunds)


def _records_for(snapshot: rc.LedgerSnapshot, key: rc.SourceKey) -> tuple[_Record, ...]:
    return tuple(record for record in _records_of(snapshot) if record.source == key)
