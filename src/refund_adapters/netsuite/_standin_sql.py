"""SuiteQL for the stand-in: parsed by sqlglot, held to the facts, run on SQLite.

A query is parsed as Oracle SQL (SuiteQL's dialect) with sqlglot, rather than picked apart
with regular expressions: every table it names must be a SuiteQL table of the facts, and every
column a column of its table (custom fields included), else NetSuite's answer to an unknown
one comes back (``400 INVALID_PARAMETER``, ``o:errorQueryParam`` ``q``, "Invalid search type"
for a table, "Unknown identifier" for a column: the wording of julbrs/netsuite-api-client's
live tests and of a sandbox answer recorded in a public Lakeflow connector's tests). Only a
single ``SELECT`` is served; ``SELECT *``, ``LIMIT`` and functions outside the few the adapter
and the doctor use are refused in the same shape, so nothing comes to rely on SQLite.

``TO_CHAR(column, 'YYYY-MM-DD HH24:MI:SS')`` and ``TO_DATE('...', 'YYYY-MM-DD HH24:MI:SS')``
are the two Oracle pieces translated: the stand-in stores moments as that very text.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from ._standin_facts import StandInFacts
from ._suiteql import DATE_FORMAT

__all__ = ["SuiteQLError", "translate"]

#: Functions a query may use: aggregates, COALESCE, ABS, and the two date conversions.
_ALLOWED_FUNCTIONS = (
    exp.Count,
    exp.Max,
    exp.Min,
    exp.Sum,
    exp.Coalesce,
    exp.Abs,
    exp.ToChar,
    exp.StrToDate,
    exp.StrToTime,
)
#: What sqlglot makes of the one date format TO_DATE takes.
_PYTHON_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_SEARCH = "Invalid search query. Detailed unprocessed description follows. "


class SuiteQLError(Exception):
    """A query NetSuite would refuse; ``detail`` is its ``o:errorDetails`` text."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _refuse(what: str) -> SuiteQLError:
    return SuiteQLError(_SEARCH + what)


def translate(query: str, facts: StandInFacts) -> str:
    """The SQLite text of a SuiteQL query, or :class:`SuiteQLError` as NetSuite answers it."""
    try:
        statements = sqlglot.parse(query, read="oracle")
    except SqlglotError as exc:
        raise _refuse(f"Syntax error: {str(exc).splitlines()[0]}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Select | exp.Union):
        raise _refuse("Only one SELECT statement is supported.")
    tree = statements[0]
    assert tree is not None  # parse() returned one statement
    _check_shape(tree)
    _check_names(tree, facts)
    return _to_sqlite(tree).sql(dialect="sqlite", identify=True)


def _check_shape(tree: exp.Expression) -> None:
    if tree.find(exp.Limit, exp.Offset) is not None:
        raise _refuse("LIMIT and OFFSET are not SuiteQL: page with the limit/offset parameters.")
    for star in tree.find_all(exp.Star):
        if not isinstance(star.parent, exp.Count):
            raise _refuse("The stand-in serves named columns only, not SELECT *.")
    for function in tree.find_all(exp.Func):
        if isinstance(function, exp.Connector | exp.Predicate | exp.Binary | exp.Unary):
            continue
        if not isinstance(function, _ALLOWED_FUNCTIONS):
            name = function.sql_name() if not isinstance(function, exp.Anonymous) else function.name
            raise _refuse(f"Function {name.upper()} is not supported here.")


def _check_names(tree: exp.Expression, facts: StandInFacts) -> None:
    aliases: dict[str, str] = {}
    for table in tree.find_all(exp.Table):
        name = table.name.lower()
        if not facts.columns(name):
            raise _refuse(f"Invalid search type: {table.name}.")
        aliases[table.alias_or_name.lower()] = name
    selected = {
        projection.alias.lower()
        for select in tree.find_all(exp.Select)
        for projection in select.expressions
        if projection.alias
    }
    available = "{" + ", ".join(f"{alias}={name}" for alias, name in aliases.items()) + "}"
    for column in tree.find_all(exp.Column):
        name = column.name.lower()
        qualifier = column.table.lower()
        if not qualifier:
            if name in selected:
                continue  # an output alias, e.g. in ORDER BY
            owners = [table for table in aliases.values() if name in facts.columns(table)]
            if len(owners) == 1:
                continue
        elif qualifier in aliases and name in facts.columns(aliases[qualifier]):
            continue
        raise _refuse(
            f"Search error occurred: Unknown identifier '{column.sql()}'. "
            f"Available identifiers are: {available}."
        )


def _to_sqlite(tree: exp.Expression) -> exp.Expression:
    def convert(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.ToChar):
            if node.args.get("format") is None or node.args["format"].name != DATE_FORMAT:
                raise _refuse(f"TO_CHAR takes the format '{DATE_FORMAT}' here.")
            column: exp.Expression = node.this  # stored as that very text
            return column
        if isinstance(node, exp.StrToDate | exp.StrToTime):
            if node.args.get("format") is None or node.args["format"].name != _PYTHON_DATE_FORMAT:
                raise _refuse(f"TO_DATE takes the format '{DATE_FORMAT}' here.")
            literal: exp.Expression = node.this
            return literal
        return node

    return tree.transform(convert)
