"""The ledger's batched read: SuiteQL for headers, lines and payment links; REST for the rest.

:meth:`Loader.load` finds the records a batch names (orders by storefront ref, payments / cash
sales / customer deposits by charge, records by ID, records a sync created by source event) and
closes over every link a decision follows, with a fixed set of query shapes per batch, never
one query per event:

1. one seed query; then one expand query per link hop (records created from one already found,
   records naming one in the library's own fields, payments applied to an invoice and back,
   and the customer refunds and deposit applications of the customers of the payments, credit
   memos and customer deposits found);
2. one REST read per customer refund, deposit application and payout deposit found (their
   ``apply`` / ``payment`` / ``other`` sublists are where the facts pack documents those
   links [O]; SuiteQL holds no documented link for them), concurrently under the client's
   limiter; records they name that were not found yet start another round;
3. one query for item lines, one for tax lines and one for payment links.

Each query is chunked by IN-list size.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from . import _suiteql as q
from ._client import NetSuiteClient
from ._fields import ITEM_LINE_SIGNS, TranType
from ._read import Fetched, forward_refs
from ._wire import (
    CustomerRefundRecord,
    DepositApplicationRecord,
    DepositRecord,
    HeaderRow,
    LineRow,
    LinkRow,
    TaxLineRow,
    decode,
    decode_rows,
)

__all__ = ["Loader", "read_record"]

_SUITEQL = "POST /query/v1/suiteql"
#: Records whose customer's refunds and deposit applications a load reads.
_CREDIT_TYPES = frozenset({TranType.PAYMENT, TranType.CREDIT_MEMO, TranType.CUSTOMER_DEPOSIT})
R = TypeVar("R")


async def read_record(client: NetSuiteClient, rest_type: str, record_id: str, cls: type[R]) -> R:
    """``GET /record/v1/{type}/{id}?expandSubResources=true``, decoded into ``cls``."""
    path = f"record/v1/{rest_type}/{record_id}"
    response = await client.request(
        "GET",
        path,
        what=f"read {rest_type} {record_id}",
        params={"expandSubResources": "true"},
        repeatable=True,
    )
    return decode(response.content, cls, endpoint=f"GET /{path}", status=response.status_code)


class Loader:
    """One load's reads (see the module docstring)."""

    def __init__(self, client: NetSuiteClient, in_list_limit: int) -> None:
        self.client = client
        self.in_list_limit = in_list_limit
        self.headers: dict[str, HeaderRow] = {}
        self.refunds: dict[str, CustomerRefundRecord] = {}
        self.applications: dict[str, DepositApplicationRecord] = {}
        self.deposits: dict[str, DepositRecord] = {}
        self._expanded: set[str] = set()

    async def _suiteql(self, query: str, cls: type[R]) -> list[R]:
        return decode_rows(await self.client.suiteql(query), cls, endpoint=_SUITEQL)

    def _take(self, rows: Iterable[HeaderRow]) -> set[str]:
        found: set[str] = set()
        for row in rows:
            self.headers.setdefault(row.id, row)
            found.update((row.id, *forward_refs(row)))
        return found - self._expanded

    async def _seed(self, criteria: Mapping[str, Iterable[str]]) -> set[str]:
        # One query holds one chunk of every criterion, so a batch whose lists each fit in an
        # IN-list is found with a single query.
        chunked = {
            name: list(q.chunks(values, self.in_list_limit)) for name, values in criteria.items()
        }
        rows: list[HeaderRow] = []
        for index in range(max((len(chunks) for chunks in chunked.values()), default=0)):
            terms = {name: chunks[index] for name, chunks in chunked.items() if index < len(chunks)}
            rows.extend(await self._suiteql(q.seed_query(**terms), HeaderRow))
        return self._take(rows)

    async def _expand(self, pending: set[str]) -> None:
        while pending:
            self._expanded |= pending
            rows: list[HeaderRow] = []
            for chunk in q.chunks(pending, self.in_list_limit):
                customers = sorted(
                    {
                        row.entity
                        for record_id in chunk
                        if (row := self.headers.get(record_id)) is not None
                        and row.type in _CREDIT_TYPES
                        and row.entity
                    }
                )
                rows.extend(await self._suiteql(q.expand_query(chunk, customers), HeaderRow))
            pending = self._take(rows)

    async def _read_records(self) -> set[str]:
        """REST reads of records found but not read yet; IDs they name not found yet."""
        wanted: list[tuple[str, str, type[Any], dict[str, Any]]] = []
        for record_id, row in self.headers.items():
            if row.type == TranType.CUSTOMER_REFUND and record_id not in self.refunds:
                wanted.append(("customerRefund", record_id, CustomerRefundRecord, self.refunds))
            elif row.type == TranType.DEPOSIT_APPLICATION and record_id not in self.applications:
                wanted.append(
                    ("depositApplication", record_id, DepositApplicationRecord, self.applications)
                )
            elif (
                row.type == TranType.DEPOSIT
                and row.custbody_rs_payout_ref
                and record_id not in self.deposits
            ):
                wanted.append(("deposit", record_id, DepositRecord, self.deposits))
        records = await asyncio.gather(
            *(read_record(self.client, rest, record_id, cls) for rest, record_id, cls, _ in wanted)
        )
        named: set[str] = set()
        for (_, record_id, _, into), record in zip(wanted, records, strict=True):
            into[record_id] = record
            if isinstance(record, CustomerRefundRecord | DepositApplicationRecord):
                named.update(line.doc.id for line in record.apply.items if line.apply)
            if isinstance(record, DepositApplicationRecord):
                named.add(record.deposit.id)
            if isinstance(record, DepositRecord):
                named.update(line.id for line in record.payment.items if line.deposit)
        return named - set(self.headers)

    async def load(
        self,
        *,
        record_ids: Iterable[str] = (),
        order_refs: Iterable[str] = (),
        payment_refs: Iterable[str] = (),
        sources: Iterable[str] = (),
    ) -> Fetched:
        """Every record named, closed over the links decisions follow."""
        pending = await self._seed(
            {
                "record_ids": record_ids,
                "order_refs": order_refs,
                "payment_refs": payment_refs,
                "sources": sources,
            }
        )
        while pending:
            await self._expand(pending)
            missing = await self._read_records()
            pending = await self._seed({"record_ids": missing}) if missing else set()
        with_lines = [rid for rid, row in self.headers.items() if row.type in ITEM_LINE_SIGNS]
        payments = [rid for rid, row in self.headers.items() if row.type == TranType.PAYMENT]
        lines = await self._chunked(q.lines_query, with_lines, LineRow)
        tax_lines = await self._chunked(q.tax_lines_query, with_lines, TaxLineRow)
        links = await self._chunked(q.links_query, payments, LinkRow)
        return Fetched(
            headers=dict(sorted(self.headers.items())),
            lines=lines,
            tax_lines=tax_lines,
            links=links,
            refunds=self.refunds,
            applications=self.applications,
            deposits=self.deposits,
        )

    async def _chunked(
        self, build: Callable[[tuple[str, ...]], str], ids: Iterable[str], cls: type[R]
    ) -> list[R]:
        rows: list[R] = []
        for chunk in q.chunks(ids, self.in_list_limit):
            rows.extend(await self._suiteql(build(chunk), cls))
        return rows
