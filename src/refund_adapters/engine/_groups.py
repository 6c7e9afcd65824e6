"""Conflict groups: which events of a page must be decided one after the other (MNY-4).

A page's events are split into the connected parts of a graph whose nodes are the events, their
payment and order refs and the ledger records of the page's snapshot, linked as the records link
(a payment to the invoices it is applied to, a bill to its order, a credit to what it was made
from ...). Events of one group are decided one after the other, each on the snapshot its
predecessors left, so two refunds can never both spend what one order, payment or invoice has
left; groups run side by side. A group of a later page that touches anything a group of an
earlier page is still writing waits for it (:class:`Claims`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

import attrs

import refund_core as rc

__all__ = ["Batch", "Claims", "Group", "conflict_groups", "task_group"]

log = logging.getLogger("refund_sync.engine")

#: What a conflict group holds: source events, or outgoing refunds (one kind per group).
_G = TypeVar("_G", rc.RefundEvent | rc.PaymentFailure, rc.OutgoingRefund)


class _Components:
    """Union-find over string nodes: which nodes are linked, directly or not."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def find(self, node: str) -> str:
        """The representative of ``node``'s component (adding the node if new)."""
        parent = self._parent
        root = parent.setdefault(node, node)
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:  # path compression
            parent[node], node = root, parent[node]
        return root

    def union(self, a: str, b: str) -> None:
        """Link ``a`` and ``b``."""
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self._parent[root_b] = root_a

    def members(self) -> dict[str, set[str]]:
        """Every component, by its representative."""
        out: dict[str, set[str]] = {}
        for node in list(self._parent):
            out.setdefault(self.find(node), set()).add(node)
        return out


def _rec(internal_id: str) -> str:
    return f"rec:{internal_id}"


def _record_links(snapshot: rc.LedgerSnapshot) -> Iterator[tuple[str, str]]:
    """The links between a snapshot's records that a decision follows, as node pairs.

    Bank deposits are left out: no refund changes one, and one deposit would tie together every
    payment it took.
    """
    for so in snapshot.sales_orders:
        yield _rec(so.internal_id), f"order:{so.order_ref}"
    for pay in snapshot.payments:
        if pay.payment_ref is not None:
            yield _rec(pay.internal_id), f"pay:{pay.payment_ref}"
        for app in pay.applications:
            yield _rec(pay.internal_id), _rec(app.invoice_id)
    for dep in snapshot.customer_deposits:
        if dep.payment_ref is not None:
            yield _rec(dep.internal_id), f"pay:{dep.payment_ref}"
        if dep.order_id is not None:
            yield _rec(dep.internal_id), _rec(dep.order_id)
        for dep_app in dep.applications:
            yield _rec(dep.internal_id), _rec(dep_app.invoice_id)
    for cash_sale in snapshot.cash_sales:
        if cash_sale.payment_ref is not None:
            yield _rec(cash_sale.internal_id), f"pay:{cash_sale.payment_ref}"
    for bill in (*snapshot.invoices, *snapshot.cash_sales):
        if bill.order_id is not None:
            yield _rec(bill.internal_id), _rec(bill.order_id)
    for rma in snapshot.return_authorizations:
        yield _rec(rma.internal_id), _rec(rma.order_id)
    for record in snapshot.refund_records():
        yield _rec(record.internal_id), _rec(record.created_from)
        if record.order_id is not None:
            yield _rec(record.internal_id), _rec(record.order_id)
        if isinstance(record, rc.CreditMemo) and record.refunded_payment_id is not None:
            yield _rec(record.internal_id), _rec(record.refunded_payment_id)
    for made in (*snapshot.created_records(), *snapshot.payments):
        source = getattr(made, "source", None)  # what a sync made for an event (a reversal too)
        if source is not None:
            yield _rec(made.internal_id), f"event:{source.source}:{source.event_id}"
    for refund in snapshot.customer_refunds:
        for linked in (refund.payment_id, refund.deposit_id):
            if linked is not None:
                yield _rec(refund.internal_id), _rec(linked)
        for refund_app in refund.applications:
            yield _rec(refund.internal_id), _rec(refund_app.record_id)


def _event_node(event: rc.ScenarioEvent) -> str:
    return f"event:{event.key.source}:{event.key.event_id}"


def _seeds(event: rc.SourceEvent | rc.OutgoingRefund) -> tuple[str, ...]:
    """The nodes an event names itself: its payment and order refs, or its NetSuite record."""
    if isinstance(event, rc.OutgoingRefund):
        return (_rec(event.record_id),)
    if isinstance(event, rc.PaymentFailure):
        return (f"pay:{event.payment_ref}",)
    refs: list[str] = []
    if event.payment_ref is not None:
        refs.append(f"pay:{event.payment_ref}")
    if event.order_ref is not None:
        refs.append(f"order:{event.order_ref}")
    return tuple(refs)


@attrs.frozen
class Group(Generic[_G]):
    """Events to decide one after the other, the nodes they touch, and their part of the ledger.

    ``snapshot`` holds only the records of the group's component: a decision reads nothing else
    (every lookup follows a link or a ref the component contains), and every snapshot a group
    derives while applying its plans stays as small as the group.
    """

    events: list[_G]
    nodes: frozenset[str]
    snapshot: rc.LedgerSnapshot


def conflict_groups(events: Sequence[_G], snapshot: rc.LedgerSnapshot) -> list[Group[_G]]:
    """Split events into groups that must run one after the other (MNY-4), in page order.

    Two events are in one group when they share a payment ref, an order ref or a key, or when
    the records they reach in ``snapshot`` are linked. Each group comes with every node of its
    component, for a later page's groups to see what it touches, and with its records.
    """
    components = _Components()
    for a, b in _record_links(snapshot):
        components.union(a, b)
    for event in events:
        node = _event_node(event)
        components.find(node)
        for seed in _seeds(event):
            components.union(node, seed)
    grouped: dict[str, list[_G]] = {}
    for event in events:
        grouped.setdefault(components.find(_event_node(event)), []).append(event)
    parts: dict[str, dict[str, list[Any]]] = {root: {} for root in grouped}
    for family in rc.LedgerSnapshot.families():
        for record in getattr(snapshot, family):
            part = parts.get(components.find(_rec(record.internal_id)))
            if part is not None:
                part.setdefault(family, []).append(record)
    members = components.members()
    return [
        Group(group, frozenset(members[root]), rc.LedgerSnapshot(**parts[root]))
        for root, group in grouped.items()
    ]


class Claims:
    """Which running group last claimed each node, so a later page's group can wait for it.

    A claim ends when its task does, so this holds the nodes of the groups in flight only.
    """

    def __init__(self) -> None:
        self._holders: dict[str, asyncio.Task[None]] = {}

    def before(self, nodes: Iterable[str]) -> set[asyncio.Task[None]]:
        """Unfinished groups that touch any of ``nodes``."""
        found: set[asyncio.Task[None]] = set()
        for node in nodes:
            task = self._holders.get(node)
            if task is not None and not task.done():
                found.add(task)
        return found

    def claim(self, nodes: frozenset[str], task: asyncio.Task[None]) -> None:
        """Record that ``task`` now touches ``nodes``."""
        for node in nodes:
            self._holders[node] = task
        task.add_done_callback(functools.partial(self._end, nodes))

    def _end(self, nodes: frozenset[str], task: asyncio.Task[None]) -> None:
        for node in nodes:
            if self._holders.get(node) is task:
                del self._holders[node]


@attrs.define
class Batch:
    """One page's groups, started; the page's newest event time moves the cursor once done."""

    tasks: list[asyncio.Task[None]]
    newest: datetime | None

    async def wait(self) -> None:
        """Until every group of the page is finished (a failure cancels the waiter instead)."""
        if self.tasks:
            await asyncio.wait(self.tasks)


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    out: list[BaseException] = []
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            out.extend(_leaves(exc))
        else:
            out.append(exc)
    return out


@contextlib.asynccontextmanager
async def task_group() -> AsyncIterator[asyncio.TaskGroup]:
    """An :class:`asyncio.TaskGroup` that raises its first failure as it is, not grouped.

    When a task fails, the group cancels every other task (and the body) and waits for them
    before this returns: nothing a pass started is still writing once it gives the journal back.
    Further failures of the same pass are logged.
    """
    try:
        async with asyncio.TaskGroup() as group:
            yield group
    except BaseExceptionGroup as failures:
        first, *others = _leaves(failures)
        for other in others:
            log.error(
                "another task of the same pass failed too: %s: %s", type(other).__name__, other
            )
        raise first from None
