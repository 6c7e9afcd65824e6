"""The SuiteQL the ledger sends: a handful of fixed query shapes, IN-lists chunked.

Every batch read is a fixed set of query shapes (seed, expand, lines, links), each run once
per chunk of at most ``in_list_limit`` IDs (Oracle refuses an IN-list of more than 1000
expressions), so the number of queries does not grow with the number of events in a batch.
Values are always quoted literals; nothing is interpolated unquoted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime

from ._fields import Custom, TranType

__all__ = [
    "DATE_FORMAT",
    "HEADER_COLUMNS",
    "MAX_IN_LIST",
    "chunks",
    "currencies_query",
    "date_literal",
    "expand_query",
    "failure_query",
    "find_query",
    "in_list",
    "lines_query",
    "links_query",
    "quote",
    "seed_query",
    "synced_query",
    "types_query",
    "unsynced_query",
]

#: Oracle's limit on the expressions of one IN-list.
MAX_IN_LIST = 1000

#: The one date format the adapter asks for (``TO_CHAR`` / ``TO_DATE``); read as UTC.
DATE_FORMAT = "YYYY-MM-DD HH24:MI:SS"

HEADER_COLUMNS = (
    "t.id",
    "t.type",
    "t.entity",
    f"TO_CHAR(t.trandate, '{DATE_FORMAT}') AS trandate",
    "t.externalid",
    "t.memo",
    "t.status",
    "cur.symbol AS currency",
    "t.foreigntotal",
    "t.createdfrom",
    "t.account",
    *(f"t.{field.value}" for field in Custom if field.value.startswith("custbody_")),
)

_HEADER_FROM = "FROM transaction t LEFT JOIN currency cur ON cur.id = t.currency"


def quote(value: str) -> str:
    """A SuiteQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def in_list(values: Iterable[str]) -> str:
    """``('a', 'b')`` from values (callers keep each list within :data:`MAX_IN_LIST`)."""
    return "(" + ", ".join(quote(value) for value in values) + ")"


def chunks(values: Iterable[str], size: int) -> Iterator[tuple[str, ...]]:
    """Sorted, de-duplicated values in chunks of at most ``size``."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), size):
        yield tuple(ordered[start : start + size])


def date_literal(moment: datetime) -> str:
    """``TO_DATE('2026-01-01 00:00:00', 'YYYY-MM-DD HH24:MI:SS')`` for an aware UTC moment."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"TO_DATE({quote(text)}, '{DATE_FORMAT}')"


def _headers(where: str) -> str:
    return f"SELECT {', '.join(HEADER_COLUMNS)} {_HEADER_FROM} WHERE {where} ORDER BY t.id"


def seed_query(
    *,
    record_ids: Sequence[str] = (),
    order_refs: Sequence[str] = (),
    payment_refs: Sequence[str] = (),
    sources: Sequence[str] = (),
) -> str:
    """Headers of the records a batch names directly (each list within the IN-list limit)."""
    terms = []
    if record_ids:
        terms.append(f"t.id IN {in_list(record_ids)}")
    if order_refs:
        terms.append(
            f"(t.type = {quote(TranType.SALES_ORDER)} AND t.{Custom.ORDER_REF} IN "
            f"{in_list(order_refs)})"
        )
    if payment_refs:
        types = in_list((TranType.PAYMENT, TranType.CASH_SALE, TranType.CUSTOMER_DEPOSIT))
        terms.append(f"(t.type IN {types} AND t.{Custom.PAYMENT_REF} IN {in_list(payment_refs)})")
    if sources:
        terms.append(f"t.{Custom.SOURCE} IN {in_list(sources)}")
    if not terms:
        raise ValueError("a seed query needs at least one criterion")
    return _headers(" OR ".join(terms))


def expand_query(frontier: Sequence[str]) -> str:
    """Headers of every record linked to one in ``frontier``, in either direction."""
    ids = in_list(frontier)
    where = " OR ".join(
        (
            f"t.id IN {ids}",
            f"t.createdfrom IN {ids}",
            f"t.{Custom.SALES_ORDER} IN {ids}",
            f"t.{Custom.PAYMENT} IN {ids}",
            "t.id IN (SELECT lk.nextdoc FROM previoustransactionlinelink lk "
            f"WHERE lk.previousdoc IN {ids})",
            "t.id IN (SELECT lk.previousdoc FROM previoustransactionlinelink lk "
            f"WHERE lk.nextdoc IN {ids})",
        )
    )
    return _headers(where)


def lines_query(transactions: Sequence[str]) -> str:
    """Item lines (and Other Deposits lines) of the given transactions, in line order."""
    return (
        "SELECT tl.transaction, tl.id, tl.linesequencenumber, tl.item, tl.quantity, "
        f"tl.foreignamount, tl.memo, tl.{Custom.ORDER_LINE_REF}, tl.{Custom.ORIGIN_LINE}, "
        f"tl.{Custom.ACCOUNT}, tl.{Custom.SOURCE_REFS} FROM transactionline tl "
        f"WHERE tl.mainline = 'F' AND tl.transaction IN {in_list(transactions)} "
        "ORDER BY tl.transaction, tl.linesequencenumber"
    )


def links_query(next_docs: Sequence[str]) -> str:
    """Links from the given records to what they apply to, refund or deposit."""
    return (
        "SELECT lk.previousdoc, lk.previoustype, lk.nextdoc, lk.nexttype, lk.nextline, "
        f"lk.linktype, lk.foreignamount, TO_CHAR(lk.lastmodifieddate, '{DATE_FORMAT}') AS linkdate "
        f"FROM previoustransactionlinelink lk WHERE lk.nextdoc IN {in_list(next_docs)} "
        "ORDER BY lk.nextdoc, lk.nextline"
    )


def find_query(external_id: str) -> str:
    """The record carrying ``external_id``, as its external ID or as a status-write mark."""
    value = quote(external_id)
    return (
        "SELECT t.id, t.type FROM transaction t WHERE "
        f"t.externalid = {value} OR t.{Custom.FAILURE_MARK} = {value} "
        f"OR t.{Custom.SYNCED_MARK} = {value} OR t.{Custom.SYNCED_ID} = {value} ORDER BY t.id"
    )


def synced_query(mark: str, synced_id: str) -> str:
    """A credit memo or cash refund already marked with this mark or storefront refund."""
    return (
        f"SELECT t.id FROM transaction t WHERE t.{Custom.SYNCED_MARK} = {quote(mark)} "
        f"OR t.{Custom.SYNCED_ID} = {quote(synced_id)} ORDER BY t.id"
    )


def failure_query(mark: str) -> str:
    """A payment already marked failed by this write."""
    return f"SELECT t.id FROM transaction t WHERE t.{Custom.FAILURE_MARK} = {quote(mark)}"


def types_query(ids: Sequence[str]) -> str:
    """The transaction type of each record."""
    return f"SELECT t.id, t.type FROM transaction t WHERE t.id IN {in_list(ids)} ORDER BY t.id"


def currencies_query() -> str:
    """Every currency's internal ID and ISO code (``symbol``)."""
    return "SELECT cur.id, cur.symbol FROM currency cur ORDER BY cur.id"


def unsynced_query(*, since: datetime, after: str | None, storefront: str | None = None) -> str:
    """Credit memos and cash refunds made in NetSuite, not yet synced out, by ID after ``after``.

    With ``storefront``, only those whose sales order came from it or names no storefront: the
    order is the record's own (``custbody_rs_sales_order``) or the one its invoice, cash sale
    or return authorization was created from.
    """
    types = in_list((TranType.CREDIT_MEMO, TranType.CASH_REFUND))
    where = [
        f"t.type IN {types}",
        f"t.{Custom.SOURCE} IS NULL",
        f"t.{Custom.SYNCED_ID} IS NULL",
        f"(t.trandate IS NULL OR t.trandate >= {date_literal(since)})",
    ]
    joins = ""
    if storefront is not None:
        joins = (
            " LEFT JOIN transaction src ON src.id = t.createdfrom LEFT JOIN transaction so"
            f" ON so.id = COALESCE(t.{Custom.SALES_ORDER}, src.createdfrom)"
        )
        where.append(
            f"(so.{Custom.STOREFRONT} IS NULL OR so.{Custom.STOREFRONT} = {quote(storefront)})"
        )
    if after is not None:
        where.append(f"t.id > {quote(after)}")
    return f"SELECT t.id FROM transaction t{joins} WHERE {' AND '.join(where)} ORDER BY t.id"
