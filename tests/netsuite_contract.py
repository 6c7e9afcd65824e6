"""Contract validation of NetSuite exchanges against the facts pack (records.json, suiteql.json).

:func:`request_errors` checks one request the stand-in accepted: a record API call must name a
record type of ``records.json``, a transform of its ``transforms``, and only body fields,
sublists and sublist line fields listed for that type (dotted names allow their object field;
the library's ``custbody_rs_`` / ``custcol_rs_`` fields are its own); a SuiteQL query must name
only tables and columns of ``suiteql.json`` (parsed with sqlglot) and only its link types. The
pack is read through :func:`tests.specs.spec_path` (the caller is skipped when it is absent).
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import httpx
import sqlglot
from sqlglot import exp

from tests.specs import spec_path

__all__ = ["request_errors"]

_RECORD = re.compile(
    r"/services/rest/record/v1/(?P<type>[A-Za-z]+)(?:/(?P<id>[^/!]+))?(?:/!transform/(?P<target>\w+))?"
)


@functools.cache
def _load(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


def _records() -> dict[str, Any]:
    return _load(str(spec_path("netsuite/records.json")))


def _suiteql() -> dict[str, Any]:
    return _load(str(spec_path("netsuite/suiteql.json")))


def _columns() -> dict[str, set[str]]:
    tables: dict[str, set[str]] = {}
    for names, table in _suiteql()["tables"].items():
        if not isinstance(table, dict) or "columns" not in table:
            continue
        columns = {
            part.strip().split(" ")[0]
            for entry in table["columns"]
            for part in re.split(r",|/", entry["name"])
            if part.strip()
        }
        for name in names.split(" / "):
            tables[name.strip()] = columns
    return tables


def _own(name: str) -> bool:
    return name.startswith(("custbody_rs_", "custcol_rs_"))


def _top(names: Any) -> set[str]:
    return {str(name).split(".", 1)[0] for name in names}


def _record_errors(request: httpx.Request, match: re.Match[str]) -> list[str]:
    records = _records()
    rest = {name.lower(): name for name in records["records"]}
    kind = rest.get(match["type"].lower())
    if match["type"] == "metadata":
        return []
    if kind is None:
        return [f"record type {match['type']} is not in records.json"]
    errors: list[str] = []
    target = kind
    if match["target"] is not None:
        target = rest.get(match["target"].lower(), match["target"])
        pairs = {(t["from"], t["to"]) for t in records["transforms"]}
        if (kind, target) not in pairs:
            errors.append(f"transform {kind} -> {target} is not in records.json")
    if not request.content or request.method == "GET":
        return errors
    body = json.loads(request.content)
    record = records["records"].get(target, {})
    fields = _top(record.get("body", {})) | set(record.get("sublists", {}))
    for key, value in body.items():
        if _own(key):
            continue
        if key not in fields:
            errors.append(f"{target}.{key} is not in records.json")
            continue
        sublist = record.get("sublists", {}).get(key)
        if sublist is None or not isinstance(value, dict):
            continue
        line_fields = (
            sublist.get("fields") or records["records"]["creditMemo"]["sublists"]["item"]["fields"]
        )
        allowed = _top(line_fields)
        for line in value.get("items", []):
            errors.extend(
                f"{target}.{key}[].{name} is not in records.json"
                for name in line
                if not _own(name) and name not in allowed
            )
    return errors


def _suiteql_errors(request: httpx.Request) -> list[str]:
    query = json.loads(request.content)["q"]
    tree = sqlglot.parse_one(query, read="oracle")
    columns = _columns()
    aliases = {t.alias_or_name.lower(): t.name.lower() for t in tree.find_all(exp.Table)}
    errors = [
        f"table {name} is not in suiteql.json" for name in aliases.values() if name not in columns
    ]
    outputs = {p.alias.lower() for s in tree.find_all(exp.Select) for p in s.expressions if p.alias}
    for column in tree.find_all(exp.Column):
        name, qualifier = column.name.lower(), column.table.lower()
        if _own(name) or (not qualifier and name in outputs):
            continue
        table = aliases.get(qualifier) if qualifier else next(iter(aliases.values()), None)
        if table in columns and name not in columns[table]:
            errors.append(f"{table}.{name} is not in suiteql.json")
    known = {word for entry in _suiteql()["link_types"] for word in entry["linktype"].split()}
    for used in re.findall(r"linktype\s*=\s*'([A-Za-z]+)'", query, re.IGNORECASE):
        if used not in known:
            errors.append(f"link type {used} is not in suiteql.json")
    return errors


def request_errors(request: httpx.Request) -> list[str]:
    """What in one NetSuite request is outside the facts pack (empty when nothing)."""
    path = request.url.path
    if path.endswith("/query/v1/suiteql"):
        return _suiteql_errors(request)
    match = _RECORD.match(path)
    return _record_errors(request, match) if match is not None else []
