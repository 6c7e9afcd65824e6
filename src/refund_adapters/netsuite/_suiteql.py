"""The SuiteQL the ledger sends: a handful of fixed query shapes, IN-lists chunked.

Every table, column and link type named here is in the facts pack (``suiteql.json``) with
confidence [M] or better, or is one of the library's own custom fields (which ``refund-sync
doctor`` runs once on the account before the first write):

- headers: ``transaction`` ``id, type, entity, trandate, externalid, memo, status, currency,
  foreigntotal`` [M], and ``createdfrom`` read on the main line, ``transactionline.createdfrom``
  with ``mainline = 'T'`` [M] (the pack lists ``createdfrom`` among the header's unknown
  columns);
- lines: ``transactionline`` with ``mainline = 'F' AND taxline = 'F' AND iscogs = 'F'`` and an
  ``itemtype`` the core models [M], so tax, cost-of-goods and shipping lines never read as items;
- links: ``previoustransactionlinelink`` rows of ``linktype = 'Payment'`` from an invoice
  (``previoustype = 'CustInvc'``) to a customer payment (``nexttype = 'CustPymt'``) [M].

Customer refunds and deposit applications are found by their customer (``entity`` [M]) and read
over the REST record API, where their ``apply`` lines are documented [O]; no SuiteQL link of
theirs is relied on (unknown in the facts pack).

Every batch read is a fixed set of query shapes, each run once per chunk of at most
``in_list_limit`` IDs (Oracle refuses an IN-list of more than 1000 expressions), so the number
of queries does not grow with the number of events in a batch. Values are always quoted
literals; nothing is interpolated unquoted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime

from ._fields import ITEM_LINE_TYPES, UNMODELLED_LINE_TYPES, Custom, LinkType, TranType

__all__ = [
    "BODY_CUSTOM_COLUMNS",
    "DATE_FORMAT",
    "HEADER_COLUMNS",
    "LINE_COLUMNS",
    "LINE_CUSTOM_COLUMNS",
    "MAX_IN_LIST",
    "PAYMENT_LINK",
    "chunks",
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
    "tax_lines_query",
    "types_query",
    "unsynced_query",
]

#: Oracle's limit on the expressions of one IN-list.
MAX_IN_LIST = 1000

#: The one date format the adapter asks for (``TO_CHAR`` / ``TO_DATE``); read as UTC.
DATE_FORMAT = "YYYY-MM-DD HH24:MI:SS"

#: The library's custom body fields, read as ``transaction`` columns.
BODY_CUSTOM_COLUMNS = tuple(f.value for f in Custom if f.value.startswith("custbody_"))
#: The library's custom line fields read from ``transactionline`` (deposit lines come over REST).
LINE_CUSTOM_COLUMNS = (
    Custom.ORDER_LINE_REF.value,
    Custom.ORIGIN_LINE.value,
    Custom.ACCOUNT.value,
    Custom.TAX_CODE.value,
    Custom.LINE_KIND.value,
)

HEADER_COLUMNS = (
    "t.id",
    "t.type",
    "t.entity",
    f"TO_CHAR(t.trandate, '{DATE_FORMAT}') AS trandate",
    "t.externalid",
    "t.memo",
    "t.status",
    "t.currency",
    "t.foreigntotal",
    "ml.createdfrom",
    *(f"t.{column}" for column in BODY_CUSTOM_COLUMNS),
)

LINE_COLUMNS = (
    "tl.transaction",
    "tl.id",
    "tl.linesequencenumber",
    "tl.item",
    "tl.itemtype",
    "tl.quantity",
    "tl.foreignamount",
    *(f"tl.{column}" for column in LINE_CUSTOM_COLUMNS),
)

#: A payment applied to an invoice: the one link row kind the adapter reads [M].
PAYMENT_LINK = (
    f"lk.linktype = '{LinkType.PAYMENT}' AND lk.previoustype = '{TranType.INVOICE}' "
    f"AND lk.nexttype = '{TranType.PAYMENT}'"
)

# Every transaction has one main line, which holds what it was created from [M].
_HEADER_FROM = (
    "FROM transaction t JOIN transactionline ml ON ml.transaction = t.id AND ml.mainline = 'T'"
)


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


def expand_query(frontier: Sequence[str], customers: Sequence[str] = ()) -> str:
    """Headers of the records in ``frontier``, of those linked to one, and of ``customers``'s.

    The customers' records read are their customer refunds and deposit applications. Linked
    means: created from it (main line ``createdfrom``), naming it in the library's own
    fields (``custbody_rs_sales_order``, ``custbody_rs_payment``), or a payment applied to it /
    the invoice it is applied to.
    """
    ids = in_list(frontier)
    terms = [
        f"t.id IN {ids}",
        f"ml.createdfrom IN {ids}",
        f"t.{Custom.SALES_ORDER} IN {ids}",
        f"t.{Custom.PAYMENT} IN {ids}",
        "t.id IN (SELECT lk.nextdoc FROM previoustransactionlinelink lk "
        f"WHERE lk.previousdoc IN {ids} AND {PAYMENT_LINK})",
        "t.id IN (SELECT lk.previousdoc FROM previoustransactionlinelink lk "
        f"WHERE lk.nextdoc IN {ids} AND {PAYMENT_LINK})",
    ]
    if customers:
        applying = in_list((TranType.CUSTOMER_REFUND, TranType.DEPOSIT_APPLICATION))
        terms.append(f"(t.type IN {applying} AND t.entity IN {in_list(customers)})")
    return _headers(" OR ".join(terms))


def lines_query(transactions: Sequence[str]) -> str:
    """Item lines of the given transactions, in line order.

    No main, tax or cost-of-goods line, and only item types the core models (plus the ones it
    refuses by name), so shipping and tax items never read as items.
    """
    item_types = in_list(sorted(ITEM_LINE_TYPES | UNMODELLED_LINE_TYPES))
    return (
        f"SELECT {', '.join(LINE_COLUMNS)} FROM transactionline tl "
        f"WHERE tl.transaction IN {in_list(transactions)} AND tl.mainline = 'F' "
        f"AND tl.taxline = 'F' AND tl.iscogs = 'F' AND tl.itemtype IN {item_types} "
        "ORDER BY tl.transaction, tl.linesequencenumber"
    )


def tax_lines_query(transactions: Sequence[str]) -> str:
    """The tax lines of the given transactions (``taxline = 'T'`` [M]): tax item and amount.

    Legacy-tax accounts hold a transaction's tax on these lines, one per tax code; the facts
    pack knows no column for a single item line's tax code or amount.
    """
    return (
        "SELECT tl.transaction, tl.id, tl.item, tl.foreignamount FROM transactionline tl "
        f"WHERE tl.transaction IN {in_list(transactions)} AND tl.mainline = 'F' "
        "AND tl.taxline = 'T' ORDER BY tl.transaction, tl.linesequencenumber"
    )


def links_query(payments: Sequence[str]) -> str:
    """The invoice applications of the given customer payments."""
    return (
        "SELECT lk.previousdoc, lk.previousline, lk.nextdoc, lk.nextline, lk.foreignamount, "
        f"TO_CHAR(lk.lastmodifieddate, '{DATE_FORMAT}') AS linkdate "
        f"FROM previoustransactionlinelink lk WHERE lk.nextdoc IN {in_list(payments)} "
        f"AND {PAYMENT_LINK} ORDER BY lk.nextdoc, lk.nextline, lk.previousdoc, lk.previousline"
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
    return (
        f"SELECT t.id FROM transaction t WHERE t.{Custom.FAILURE_MARK} = {quote(mark)} "
        "ORDER BY t.id"
    )


def types_query(ids: Sequence[str]) -> str:
    """The transaction type of each record."""
    return f"SELECT t.id, t.type FROM transaction t WHERE t.id IN {in_list(ids)} ORDER BY t.id"


def unsynced_query(*, since: datetime, after: str | None, storefront: str | None = None) -> str:
    """Credit memos and cash refunds made in NetSuite, not yet synced out, by ID after ``after``.

    With ``storefront``, only those whose sales order came from it or names no storefront: the
    order is the record's own (``custbody_rs_sales_order``) or the one its invoice, cash sale
    or return authorization was created from (both ``createdfrom`` read on main lines).
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
            " JOIN transactionline ml ON ml.transaction = t.id AND ml.mainline = 'T'"
            " LEFT JOIN transactionline sml ON sml.transaction = ml.createdfrom"
            " AND sml.mainline = 'T' LEFT JOIN transaction so"
            f" ON so.id = COALESCE(t.{Custom.SALES_ORDER}, sml.createdfrom)"
        )
        where.append(
            f"(so.{Custom.STOREFRONT} IS NULL OR so.{Custom.STOREFRONT} = {quote(storefront)})"
        )
    if after is not None:
        where.append(f"t.id > {quote(after)}")
    return f"SELECT t.id FROM transaction t{joins} WHERE {' AND '.join(where)} ORDER BY t.id"
