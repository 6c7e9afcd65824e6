"""A stateful NetSuite stand-in: REST record API v1 and SuiteQL over an in-memory SQLite.

State lives in tables named after NetSuite's SuiteQL analytics tables (``transaction``,
``transactionline``, ``previoustransactionlinelink``, ``currency``), so the adapter's SuiteQL
runs against it unchanged: only the Oracle dialect bits the adapter uses are translated
(``TO_CHAR`` / ``TO_DATE`` with one date format), anything else SQLite-specific is refused with
NetSuite's error shape. Writes follow the REST record API: transforms, creates with unique
external IDs per record type (a duplicate is NetSuite's error), ``eid:`` lookups, PATCH of body
fields and sublist lines, ``204`` with a ``Location`` header. Over the concurrency limit it
answers ``429`` with NetSuite's error body; with an auth server it checks every request's TBA
or OAuth 2.0 credentials first. Accounts are modelled where the flows depend on them: customer
refunds name their ``account`` (``undepFunds`` is no customerRefund field and is refused),
payments post to Undeposited Funds through ``undepFunds`` or to an ``account``, and a deposit
takes only transactions posted to the account's Undeposited Funds. ``tranDate`` is a date
(``YYYY-MM-DD``), as in NetSuite. Every fact it relies on is listed, with sources, in
``docs/netsuite-standin.md``.

Seed it from a :class:`refund_core.LedgerSnapshot` (:meth:`NetSuiteStandIn.from_snapshot`) and
read it back as one (:meth:`NetSuiteStandIn.snapshot`), to compare with ``FakeLedger`` after the
same plan.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

import httpx

import refund_core as rc
from refund_adapters._standin import StandIn

from . import _json
from ._fields import (
    CONCURRENCY_LIMIT_EXCEEDED,
    DUPLICATE_RECORD,
    PAYMENT_STATUS_CODES,
    REST_TYPES,
    TRANSFORMS,
    UNDEPOSITED_FUNDS,
    Custom,
    LinkType,
    TranType,
)
from ._read import build_snapshot
from ._standin_seed import Seeder, stamp
from ._suiteql import DATE_FORMAT

__all__ = ["DEFAULT_UNDEPOSITED_FUNDS_ACCOUNT", "NetSuiteStandIn", "RequestAuthenticator"]

#: Internal ID of the stand-in's Undeposited Funds account unless it is given another.
DEFAULT_UNDEPOSITED_FUNDS_ACCOUNT = "uf-1"

_REST_PREFIX = "/services/rest"
_TYPES_BY_REST = {rest.lower(): kind for kind, rest in REST_TYPES.items()}
_PAYMENT_LETTERS = {status: letter for letter, status in PAYMENT_STATUS_CODES.items()}
_NUMERIC_COLUMNS = frozenset(
    {
        "foreigntotal",
        "foreignamount",
        "quantity",
        Custom.SHIPPING.value,
        Custom.SYNCED_PAYMENT.value,
        Custom.SYNCED_GIFT_CARD.value,
    }
)
_BODY_COLUMNS = tuple(field.value for field in Custom if field.value.startswith("custbody_"))
_LINE_COLUMNS = tuple(field.value for field in Custom if field.value.startswith("custcol_"))

_SCHEMA = f"""
CREATE TABLE currency (id TEXT PRIMARY KEY, symbol TEXT NOT NULL UNIQUE);
CREATE TABLE "transaction" (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, entity TEXT, trandate TEXT, externalid TEXT,
    memo TEXT, status TEXT, currency TEXT REFERENCES currency(id), foreigntotal TEXT,
    createdfrom TEXT, account TEXT,
    {", ".join(f"{column} TEXT" for column in _BODY_COLUMNS)},
    UNIQUE (type, externalid)
);
CREATE TABLE transactionline (
    "transaction" TEXT NOT NULL, id TEXT NOT NULL, linesequencenumber INTEGER NOT NULL,
    mainline TEXT NOT NULL DEFAULT 'F', item TEXT, quantity TEXT, foreignamount TEXT, memo TEXT,
    {", ".join(f"{column} TEXT" for column in _LINE_COLUMNS)}
);
CREATE TABLE previoustransactionlinelink (
    previousdoc TEXT NOT NULL, previoustype TEXT NOT NULL, nextdoc TEXT NOT NULL,
    nexttype TEXT NOT NULL, nextline INTEGER NOT NULL, linktype TEXT NOT NULL,
    foreignamount TEXT NOT NULL, lastmodifieddate TEXT
);
"""

# SQLite words the SuiteQL dialect does not have: refused so the adapter cannot come to rely
# on them here and then fail against NetSuite.
_FORBIDDEN = re.compile(
    r"\b(LIMIT|OFFSET|GLOB|PRAGMA|ATTACH|DETACH|STRFTIME|JULIANDAY|DATETIME|IFNULL|"
    r"SQLITE_\w+|INSERT|UPDATE|DELETE|DROP|CREATE|ALTER|REPLACE|VACUUM|TO_CHAR|TO_DATE)\b|[;\"`\[]",
    re.IGNORECASE,
)
_LITERAL = re.compile(r"'(?:[^']|'')*'")
_TO_CHAR = re.compile(r"TO_CHAR\(\s*([A-Za-z_][\w.]*)\s*,\s*'([^']*)'\s*\)", re.IGNORECASE)
_TO_DATE = re.compile(r"TO_DATE\(\s*('(?:[^']|'')*')\s*,\s*'([^']*)'\s*\)", re.IGNORECASE)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RECORD_PATH = re.compile(
    r"/record/v1/(?P<type>[A-Za-z]+)(?:/(?P<id>[^/]+))?(?:/!transform/(?P<target>[A-Za-z]+))?/?"
)


class RequestAuthenticator(Protocol):
    """What the stand-in asks of an auth server (``NetSuiteAuthServer`` conforms)."""

    def is_token_request(self, request: httpx.Request) -> bool:
        """Whether the request is for the OAuth 2.0 token endpoint."""
        ...

    def token_endpoint(self, request: httpx.Request) -> httpx.Response:
        """Answer a token request."""
        ...

    def authenticate(self, request: httpx.Request) -> httpx.Response | None:
        """None when the request's credentials are good, else NetSuite's 401 response."""
        ...


class _Refusal(Exception):  # noqa: N818 - a NetSuite error answer, raised to unwind
    def __init__(self, status: int, code: str, detail: str, path: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.path = path


_TITLES = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"}


def error_response(status: int, code: str, detail: str, path: str | None = None) -> httpx.Response:
    """NetSuite's error body: ``type``, ``title``, ``status`` and ``o:errorDetails``."""
    entry: dict[str, Any] = {"detail": detail, "o:errorCode": code}
    if path is not None:
        entry["o:errorPath"] = path
    body = {
        "type": f"https://www.rfc-editor.org/rfc/rfc9110.html#status.{status}",
        "title": _TITLES.get(status, "Too Many Requests" if status == 429 else "Error"),
        "status": status,
        "o:errorDetails": [entry],
    }
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"content-type": "application/vnd.oracle.resource+json; type=error"},
    )


def _amount(value: object, path: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise _Refusal(400, "USER_ERROR", f"Invalid number: {value!r}.", path)


def _ref_id(value: object, path: str) -> str:
    if isinstance(value, dict) and value.get("id") not in (None, ""):
        return str(value["id"])
    raise _Refusal(400, "USER_ERROR", 'Expected a reference of the form {"id": ...}.', path)


def _items(body: Mapping[str, Any], sublist: str) -> list[dict[str, Any]]:
    raw = body.get(sublist)
    if raw is None:
        return []
    if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
        raise _Refusal(400, "USER_ERROR", 'A sublist is {"items": [...]}.', sublist)
    items: list[dict[str, Any]] = []
    for index, item in enumerate(raw["items"]):
        if not isinstance(item, dict):
            raise _Refusal(
                400, "USER_ERROR", "A sublist line is an object.", f"{sublist}.items[{index}]"
            )
        items.append(item)
    return items


def _check_fields(body: Mapping[str, Any], allowed: Iterable[str]) -> None:
    allowed_set = set(allowed)
    for key in body:
        if key not in allowed_set:
            raise _Refusal(400, "USER_ERROR", f"Invalid property name: {key}.", key)


class NetSuiteStandIn(StandIn):
    """A stateful NetSuite account for tests and demos (see the module docstring).

    ``auth`` checks credentials on every request (TBA or OAuth 2.0; ``None``: no checks).
    ``internal_id_for`` names records the stand-in creates from their external ID (default:
    sequential numbers, as NetSuite does); ``clock`` stamps ``trandate`` on records created
    without one (default: left empty, as :func:`refund_core.apply_plan` leaves ``created_at``).
    ``currencies`` are set up in the account besides those of the seed.
    ``undeposited_funds_account`` is the internal ID of its Undeposited Funds account: records
    the core posts to ``"undeposited_funds"`` are seeded on it and read back as that name. Give
    the same ID to :class:`~refund_adapters.netsuite.NetSuiteLedger`.
    """

    service = "netsuite"

    def __init__(
        self,
        *,
        auth: RequestAuthenticator | None = None,
        internal_id_for: Callable[[str], str] | None = None,
        clock: Callable[[], datetime] | None = None,
        currencies: Iterable[str] = ("USD",),
        undeposited_funds_account: str = DEFAULT_UNDEPOSITED_FUNDS_ACCOUNT,
    ) -> None:
        super().__init__()
        if not undeposited_funds_account.strip():
            raise rc.ConfigurationError("the Undeposited Funds account needs an internal ID")
        self.auth = auth
        self.undeposited_funds_account = undeposited_funds_account
        self._internal_id_for = internal_id_for
        self._clock = clock
        self._db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._db.executescript(_SCHEMA)
        self._db_lock = threading.RLock()
        self._next_number = 1000
        for code in currencies:
            self.currency_id(code)

    # -- seeding and reading back ------------------------------------------------------------

    @classmethod
    def from_snapshot(cls, snapshot: rc.LedgerSnapshot, **kwargs: Any) -> NetSuiteStandIn:
        """A stand-in holding exactly the records of ``snapshot``."""
        standin = cls(**kwargs)
        standin.seed(snapshot)
        return standin

    def seed(self, snapshot: rc.LedgerSnapshot) -> None:
        """Add every record of ``snapshot`` (IDs and external IDs must be new here)."""
        with self._db_lock, self._db:
            self._db.execute("BEGIN")
            Seeder(self, snapshot).run()

    def snapshot(self) -> rc.LedgerSnapshot:
        """Everything the stand-in holds, as a snapshot (records in creation order)."""
        with self._db_lock:
            headers = {
                str(row["id"]): row
                for row in self._rows(
                    'SELECT t.*, cur.symbol AS currency FROM "transaction" t '
                    "LEFT JOIN currency cur ON cur.id = t.currency ORDER BY t.seq"
                )
            }
            lines = self._rows(
                'SELECT * FROM transactionline ORDER BY "transaction", linesequencenumber'
            )
            links = self._rows(
                "SELECT *, lastmodifieddate AS linkdate FROM previoustransactionlinelink "
                "ORDER BY nextdoc, nextline"
            )
        return build_snapshot(
            headers, lines, links, undeposited_funds_account=self.undeposited_funds_account
        )

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        cursor = self._db.execute(sql, tuple(params))
        names = [description[0].lower() for description in cursor.description]
        result = []
        for values in cursor.fetchall():
            row: dict[str, Any] = {}
            for name, value in zip(names, values, strict=True):
                if value is None:
                    continue  # SuiteQL leaves NULL columns out of an item
                row[name] = Decimal(value) if name in _NUMERIC_COLUMNS else value
            result.append(row)
        return result

    # -- shared helpers ----------------------------------------------------------------------

    def currency_id(self, code: str) -> str:
        """The internal ID of a currency, set up on first use."""
        with self._db_lock:
            row = self._db.execute("SELECT id FROM currency WHERE symbol = ?", (code,)).fetchone()
            if row is not None:
                return str(row[0])
            count = self._db.execute("SELECT COUNT(*) FROM currency").fetchone()[0]
            new_id = str(count + 1)
            self._db.execute("INSERT INTO currency (id, symbol) VALUES (?, ?)", (new_id, code))
            return new_id

    def _header(self, record_id: str) -> dict[str, Any] | None:
        rows = self._rows('SELECT * FROM "transaction" WHERE id = ?', (record_id,))
        return rows[0] if rows else None

    def _new_id(self, external_id: str | None) -> str:
        if external_id is not None and self._internal_id_for is not None:
            return self._internal_id_for(external_id)
        while True:
            self._next_number += 1
            candidate = str(self._next_number)
            if self._header(candidate) is None:
                return candidate

    def insert_transaction(self, values: Mapping[str, Any]) -> None:
        """Insert one ``transaction`` row (Decimals stored exactly as text)."""
        columns = list(values)
        self._db.execute(
            f'INSERT INTO "transaction" ({", ".join(columns)}) '
            f"VALUES ({', '.join('?' for _ in columns)})",
            tuple(_stored(values[column]) for column in columns),
        )

    def insert_line(self, transaction: str, number: int, values: Mapping[str, Any]) -> None:
        """Insert one non-main ``transactionline`` row."""
        columns = ["transaction", "linesequencenumber", *values]
        self._db.execute(
            f"INSERT INTO transactionline ({', '.join(_sql_name(c) for c in columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})",
            (transaction, number, *(_stored(values[c]) for c in values)),
        )

    def insert_link(
        self,
        *,
        previous: str,
        previous_type: str,
        next_doc: str,
        next_type: str,
        line: int,
        link_type: LinkType,
        amount: Decimal,
        when: str | None = None,
    ) -> None:
        """Insert one ``previoustransactionlinelink`` row."""
        self._db.execute(
            "INSERT INTO previoustransactionlinelink (previousdoc, previoustype, nextdoc, "
            "nexttype, nextline, linktype, foreignamount, lastmodifieddate) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                previous,
                previous_type,
                next_doc,
                next_type,
                line,
                link_type.value,
                str(amount),
                when,
            ),
        )

    # -- HTTP ----------------------------------------------------------------------------------

    def over_limit_response(self) -> httpx.Response:
        """NetSuite's answer over the account's concurrency limit: 429 with its error code."""
        return error_response(
            429,
            CONCURRENCY_LIMIT_EXCEEDED,
            "Concurrent request limit exceeded. Request blocked.",
        )

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Route one request: auth, SuiteQL, or the record API."""
        if self.auth is not None:
            if self.auth.is_token_request(request):
                return self.auth.token_endpoint(request)
            denied = self.auth.authenticate(request)
            if denied is not None:
                return denied
        path = request.url.path
        if not path.startswith(_REST_PREFIX + "/"):
            return error_response(404, "INVALID_URL", f"No resource at {path}.")
        rest = path[len(_REST_PREFIX) :]
        try:
            with self._db_lock:
                if rest.rstrip("/") == "/query/v1/suiteql":
                    if request.method != "POST":
                        raise _Refusal(405, "INVALID_METHOD", "SuiteQL takes POST.")
                    return self._suiteql(request)
                match = _RECORD_PATH.fullmatch(rest)
                if match is None:
                    raise _Refusal(404, "INVALID_URL", f"No resource at {path}.")
                # One write is one transaction: a refused write leaves nothing behind.
                self._db.execute("BEGIN")
                try:
                    response = self._record(request, match)
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
                return response
        except _Refusal as refusal:
            return error_response(refusal.status, refusal.code, refusal.detail, refusal.path)

    # -- SuiteQL -------------------------------------------------------------------------------

    def _suiteql(self, request: httpx.Request) -> httpx.Response:
        limit = self._int_param(request, "limit", 1000)
        offset = self._int_param(request, "offset", 0)
        if not 1 <= limit <= 1000:
            raise _Refusal(400, "INVALID_PARAMETER", "limit must be 1..1000.", "limit")
        if offset < 0 or offset % limit:
            raise _Refusal(
                400, "INVALID_PARAMETER", "offset must be a multiple of limit.", "offset"
            )
        try:
            body = _json.loads(request.content)
            query = body["q"]
        except (ValueError, KeyError, TypeError):
            raise _Refusal(400, "INVALID_CONTENT", 'Body must be {"q": "SELECT ..."}.') from None
        if not isinstance(query, str):
            raise _Refusal(400, "INVALID_CONTENT", "q must be a string.", "q")
        sql = translate_suiteql(query)
        try:
            rows = self._rows(sql)
        except sqlite3.Error as exc:
            raise _Refusal(400, "INVALID_PARAMETER", f"Invalid search query: {exc}.", "q") from None
        page = rows[offset : offset + limit]
        has_more = offset + limit < len(rows)
        base = str(request.url.copy_with(query=None))
        links = [{"rel": "self", "href": f"{base}?limit={limit}&offset={offset}"}]
        if has_more:
            links.append({"rel": "next", "href": f"{base}?limit={limit}&offset={offset + limit}"})
        payload = {
            "links": links,
            "count": len(page),
            "hasMore": has_more,
            "items": [{"links": [], **row} for row in page],
            "offset": offset,
            "totalResults": len(rows),
        }
        return _json_response(200, payload)

    @staticmethod
    def _int_param(request: httpx.Request, name: str, default: int) -> int:
        raw = request.url.params.get(name)
        if raw is None:
            return default
        try:
            return int(raw)
        except ValueError:
            raise _Refusal(400, "INVALID_PARAMETER", f"{name} must be an integer.", name) from None

    # -- record API ----------------------------------------------------------------------------

    def _record(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        kind = _TYPES_BY_REST.get(match["type"].lower())
        if kind is None:
            raise _Refusal(404, "INVALID_URL", f"Unknown record type {match['type']}.")
        record_id, target = match["id"], match["target"]
        method = request.method
        if target is not None:
            if method != "POST" or record_id is None:
                raise _Refusal(405, "INVALID_METHOD", "A transform takes POST.")
            target_kind = _TYPES_BY_REST.get(target.lower())
            if target_kind is None:
                raise _Refusal(404, "INVALID_URL", f"Unknown record type {target}.")
            return self._transform(request, kind, record_id, target_kind)
        if record_id is None:
            if method != "POST":
                raise _Refusal(405, "INVALID_METHOD", f"{method} on a collection is not served.")
            return self._create(request, kind)
        if method == "GET":
            return self._get(kind, record_id)
        if method == "PATCH":
            return self._patch(request, kind, record_id)
        raise _Refusal(405, "INVALID_METHOD", f"{method} on a record is not served.")

    def _body(self, request: httpx.Request) -> dict[str, Any]:
        try:
            body = _json.loads(request.content) if request.content else {}
        except ValueError:
            raise _Refusal(400, "INVALID_CONTENT", "The body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise _Refusal(400, "INVALID_CONTENT", "The body must be a JSON object.")
        return body

    def _existing(self, kind: TranType, record_id: str) -> dict[str, Any]:
        if record_id.startswith("eid:"):
            rows = self._rows(
                'SELECT * FROM "transaction" WHERE type = ? AND externalid = ?',
                (kind.value, record_id[4:]),
            )
        else:
            rows = self._rows(
                'SELECT * FROM "transaction" WHERE type = ? AND id = ?', (kind.value, record_id)
            )
        if not rows:
            raise _Refusal(
                404,
                "NONEXISTENT_ID",
                f"The record instance does not exist. Provide a valid record instance ID "
                f"({REST_TYPES[kind]} {record_id}).",
                "id",
            )
        return rows[0]

    def _get(self, kind: TranType, record_id: str) -> httpx.Response:
        row = self._existing(kind, record_id)
        currency = self._rows("SELECT symbol FROM currency WHERE id = ?", (row.get("currency"),))
        body: dict[str, Any] = {
            "links": [],
            "id": row["id"],
            "externalId": row.get("externalid"),
            "entity": {"id": row["entity"]} if row.get("entity") else None,
            "total": row.get("foreigntotal"),
            "memo": row.get("memo"),
            "tranDate": row.get("trandate"),
            "status": {"id": row["status"]} if row.get("status") else None,
            "account": {"id": row["account"]} if row.get("account") else None,
            "currency": {"id": row.get("currency"), "refName": currency[0]["symbol"]}
            if currency
            else None,
            **{column: row[column] for column in _BODY_COLUMNS if column in row},
        }
        return _json_response(200, {key: value for key, value in body.items() if value is not None})

    def _check_external_id(self, kind: TranType, body: Mapping[str, Any]) -> str | None:
        external_id = body.get("externalId")
        if external_id is None:
            return None
        if not isinstance(external_id, str) or not external_id.strip():
            raise _Refusal(
                400, "USER_ERROR", "externalId must be a non-empty string.", "externalId"
            )
        taken = self._db.execute(
            'SELECT 1 FROM "transaction" WHERE type = ? AND externalid = ?',
            (kind.value, external_id),
        ).fetchone()
        if taken is not None:
            raise _Refusal(
                400,
                DUPLICATE_RECORD,
                f"A {REST_TYPES[kind]} record with external ID {external_id} already exists.",
                "externalId",
            )
        return external_id

    def _created(self, request: httpx.Request, kind: TranType, record_id: str) -> httpx.Response:
        base = str(request.url.copy_with(path=_REST_PREFIX, query=None))
        return httpx.Response(
            204, headers={"Location": f"{base}/record/v1/{REST_TYPES[kind]}/{record_id}"}
        )

    def _trandate(self, body: Mapping[str, Any]) -> str | None:
        value = body.get("tranDate")
        if value is not None:
            # A date field (REST API Browser: string, format date): YYYY-MM-DD and nothing else.
            if not isinstance(value, str) or _DATE.fullmatch(value) is None:
                raise _Refusal(
                    400,
                    "INVALID_CONTENT",
                    f"Invalid date value {value!r}: use YYYY-MM-DD.",
                    "tranDate",
                )
            try:
                day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
            except ValueError:
                raise _Refusal(
                    400,
                    "INVALID_CONTENT",
                    f"Invalid date value {value!r}: use YYYY-MM-DD.",
                    "tranDate",
                ) from None
            return stamp(day)  # kept as midnight of that day, in the one stored format
        return stamp(self._clock().replace(microsecond=0)) if self._clock is not None else None

    def _custom_values(self, body: Mapping[str, Any], allowed: Iterable[Custom]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field in allowed:
            if field.value in body:
                value = body[field.value]
                if isinstance(value, bool):
                    value = "T" if value else "F"
                elif field.value in _NUMERIC_COLUMNS:
                    value = _amount(value, field.value)
                elif value is not None and not isinstance(value, str):
                    raise _Refusal(400, "USER_ERROR", "Expected text.", field.value)
                values[field.value] = value
        return values

    # transforms: invoice / RMA -> credit memo, cash sale / RMA -> cash refund

    def _transform(
        self, request: httpx.Request, kind: TranType, record_id: str, target: TranType
    ) -> httpx.Response:
        if (kind, target) not in TRANSFORMS:
            raise _Refusal(
                400,
                "INVALID_PARAMETER",
                f"Transformation of {REST_TYPES[kind]} to {REST_TYPES[target]} is not allowed.",
            )
        if target not in (TranType.CREDIT_MEMO, TranType.CASH_REFUND):
            raise _Refusal(
                400, "INVALID_PARAMETER", f"The stand-in does not make {REST_TYPES[target]}."
            )
        source = self._existing(kind, record_id)
        body = self._body(request)
        custom = (Custom.SOURCE, Custom.SALES_ORDER, Custom.SHIPPING, Custom.PAYMENT)
        _check_fields(body, ("externalId", "memo", "tranDate", "item", *custom))
        external_id = self._check_external_id(target, body)
        replace = {part.strip() for part in request.url.params.get("replace", "").split(",")}
        if "item" in replace:
            lines = [
                self._credit_line(item, index) for index, item in enumerate(_items(body, "item"))
            ]
        else:  # NetSuite copies the source's lines into the new record
            lines = [
                {
                    "item": line["item"],
                    "quantity": line.get("quantity"),
                    "foreignamount": line["foreignamount"],
                    Custom.ORIGIN_LINE.value: line["id"],
                    Custom.ORDER_LINE_REF.value: line.get(Custom.ORDER_LINE_REF.value),
                }
                for line in self._rows(
                    'SELECT * FROM transactionline WHERE "transaction" = ? '
                    "ORDER BY linesequencenumber",
                    (record_id,),
                )
            ]
        values = self._custom_values(body, custom)
        shipping = values.get(Custom.SHIPPING.value, Decimal(0))
        total = sum((Decimal(line["foreignamount"]) for line in lines), Decimal(0)) + shipping
        if not lines and not shipping:
            raise _Refusal(400, "USER_ERROR", "You must enter at least one line item.", "item")
        if total <= 0:
            raise _Refusal(400, "USER_ERROR", "The total must be positive.", "item")
        new_id = self._new_id(external_id)
        self.insert_transaction(
            {
                "id": new_id,
                "type": target.value,
                "entity": source.get("entity"),
                "trandate": self._trandate(body),
                "externalid": external_id,
                "memo": body.get("memo"),
                "status": "A",
                "currency": source.get("currency"),
                "foreigntotal": total,
                "createdfrom": source["id"],
                **values,
            }
        )
        for number, line in enumerate(lines, start=1):
            self.insert_line(new_id, number, {"id": str(number), **line})
        return self._created(request, target, new_id)

    def _credit_line(self, item: Mapping[str, Any], index: int) -> dict[str, Any]:
        path = f"item.items[{index}]"
        customs = (Custom.ORIGIN_LINE, Custom.ORDER_LINE_REF, Custom.ACCOUNT)
        _check_fields(item, ("item", "amount", "quantity", *(c.value for c in customs)))
        amount = _amount(item.get("amount"), f"{path}.amount")
        if amount <= 0:
            raise _Refusal(400, "USER_ERROR", "A line amount must be positive.", f"{path}.amount")
        quantity = item.get("quantity")
        line: dict[str, Any] = {
            "item": _ref_id(item.get("item"), f"{path}.item"),
            "quantity": None if quantity is None else _amount(quantity, f"{path}.quantity"),
            "foreignamount": amount,
        }
        for field in customs:
            if item.get(field.value) is not None:
                line[field.value] = str(item[field.value])
        return line

    # creates: customer refund, deposit, customer payment

    def _create(self, request: httpx.Request, kind: TranType) -> httpx.Response:
        body = self._body(request)
        if kind is TranType.CUSTOMER_REFUND:
            return self._create_customer_refund(request, body)
        if kind is TranType.DEPOSIT:
            return self._create_deposit(request, body)
        if kind is TranType.PAYMENT:
            return self._create_payment(request, body)
        raise _Refusal(
            400,
            "INVALID_PARAMETER",
            f"The stand-in does not create {REST_TYPES[kind]} records; use a transform.",
        )

    def _currency_of(self, body: Mapping[str, Any], docs: Iterable[Mapping[str, Any]]) -> str:
        given = body.get("currency")
        currency = _ref_id(given, "currency") if given is not None else None
        if (
            currency is not None
            and self._db.execute("SELECT 1 FROM currency WHERE id = ?", (currency,)).fetchone()
            is None
        ):
            raise _Refusal(
                400, "USER_ERROR", f"Invalid currency reference key {currency}.", "currency"
            )
        for doc in docs:
            if currency is None:
                currency = str(doc["currency"])
            elif str(doc["currency"]) != currency:
                raise _Refusal(
                    400,
                    "USER_ERROR",
                    f"Transaction {doc['id']} is in another currency.",
                    "currency",
                )
        if currency is None:
            raise _Refusal(400, "USER_ERROR", "Please enter a value for currency.", "currency")
        return currency

    @staticmethod
    def _account(body: Mapping[str, Any]) -> str | None:
        if body.get("account") is not None:
            return _ref_id(body["account"], "account")
        return None

    def _required_account(self, body: Mapping[str, Any]) -> str:
        account = self._account(body)
        if account is None:
            raise _Refusal(400, "USER_ERROR", "Please enter a value for Account.", "account")
        if account == UNDEPOSITED_FUNDS:  # the core's name is no internal ID
            raise _Refusal(
                400, "INVALID_CONTENT", f"Invalid account reference key {account}.", "account"
            )
        return account

    def _payment_account(self, body: Mapping[str, Any]) -> str:
        """``undepFunds`` (a select: ``{"id": "T"}`` or ``{"id": "F"}``), else ``account``."""
        undeposited = body.get("undepFunds")
        if undeposited is not None:
            if not isinstance(undeposited, dict) or undeposited.get("id") not in ("T", "F"):
                raise _Refusal(
                    400,
                    "INVALID_CONTENT",
                    f'Invalid value {undeposited!r} for undepFunds: use {{"id": "T"}}.',
                    "undepFunds",
                )
            if undeposited["id"] == "T":
                return self.undeposited_funds_account
        return self._required_account(body)

    def _create_customer_refund(
        self, request: httpx.Request, body: Mapping[str, Any]
    ) -> httpx.Response:
        custom = (Custom.SOURCE, Custom.PAYMENT)
        _check_fields(
            body,
            (
                "externalId",
                "customer",
                "currency",
                "account",
                "memo",
                "tranDate",
                "apply",
                *(c.value for c in custom),
            ),
        )
        external_id = self._check_external_id(TranType.CUSTOMER_REFUND, body)
        customer = _ref_id(body.get("customer"), "customer")
        applications = []
        docs = []
        for index, item in enumerate(_items(body, "apply")):
            path = f"apply.items[{index}]"
            _check_fields(item, ("doc", "apply", "amount"))
            if item.get("apply") is not True:
                continue
            doc_id = _ref_id(item.get("doc"), f"{path}.doc")
            doc = self._header(doc_id)
            allowed = (TranType.CREDIT_MEMO, TranType.PAYMENT, TranType.CUSTOMER_DEPOSIT)
            if doc is None or doc["type"] not in allowed:
                raise _Refusal(
                    400, "USER_ERROR", f"Invalid doc reference key {doc_id}.", f"{path}.doc"
                )
            if doc.get("entity") != customer:
                raise _Refusal(
                    400, "USER_ERROR", f"{doc_id} belongs to another customer.", f"{path}.doc"
                )
            amount = _amount(item.get("amount"), f"{path}.amount")
            if amount <= 0:
                raise _Refusal(
                    400, "USER_ERROR", "An applied amount must be positive.", f"{path}.amount"
                )
            docs.append(doc)
            applications.append((doc, amount))
        if not applications:
            raise _Refusal(400, "USER_ERROR", "You must apply the refund to a credit.", "apply")
        account = self._required_account(body)
        currency = self._currency_of(body, docs)
        new_id = self._new_id(external_id)
        self.insert_transaction(
            {
                "id": new_id,
                "type": TranType.CUSTOMER_REFUND.value,
                "entity": customer,
                "trandate": self._trandate(body),
                "externalid": external_id,
                "memo": body.get("memo"),
                "status": "R",
                "currency": currency,
                "foreigntotal": sum((amount for _, amount in applications), Decimal(0)),
                "account": account,
                **self._custom_values(body, custom),
            }
        )
        for line, (doc, amount) in enumerate(applications, start=1):
            self.insert_link(
                previous=doc["id"],
                previous_type=doc["type"],
                next_doc=new_id,
                next_type=TranType.CUSTOMER_REFUND.value,
                line=line,
                link_type=LinkType.REFUND,
                amount=amount,
            )
        return self._created(request, TranType.CUSTOMER_REFUND, new_id)

    def _create_deposit(self, request: httpx.Request, body: Mapping[str, Any]) -> httpx.Response:
        custom = (Custom.PAYOUT_REF,)
        _check_fields(
            body,
            (
                "externalId",
                "currency",
                "account",
                "memo",
                "tranDate",
                "payment",
                "other",
                *(c.value for c in custom),
            ),
        )
        external_id = self._check_external_id(TranType.DEPOSIT, body)
        selected = []
        for index, item in enumerate(_items(body, "payment")):
            path = f"payment.items[{index}]"
            _check_fields(item, ("id", "deposit", "paymentAmount"))
            if item.get("deposit") is not True:
                continue
            doc_id = str(item.get("id", ""))
            doc = self._header(doc_id) if doc_id else None
            if doc is None or doc["type"] not in (TranType.PAYMENT, TranType.CUSTOMER_REFUND):
                raise _Refusal(
                    400, "USER_ERROR", f"Invalid payment reference key {doc_id}.", f"{path}.id"
                )
            already = self._db.execute(
                "SELECT 1 FROM previoustransactionlinelink WHERE previousdoc = ? AND linktype = ?",
                (doc_id, LinkType.DEPOSIT.value),
            ).fetchone()
            if already is not None or doc.get("status") == "C":
                raise _Refusal(
                    400, "USER_ERROR", f"Transaction {doc_id} is already deposited.", f"{path}.id"
                )
            if doc.get("account") != self.undeposited_funds_account:
                raise _Refusal(
                    400,
                    "USER_ERROR",
                    f"Transaction {doc_id} was not posted to Undeposited Funds.",
                    f"{path}.id",
                )
            selected.append((doc, _amount(item.get("paymentAmount"), f"{path}.paymentAmount")))
        others = []
        other_total = Decimal(0)
        for index, item in enumerate(_items(body, "other")):
            path = f"other.items[{index}]"
            _check_fields(item, ("account", "amount", "memo", Custom.SOURCE_REFS.value))
            refs = item.get(Custom.SOURCE_REFS.value)
            if refs is not None and not isinstance(refs, str):
                raise _Refusal(400, "USER_ERROR", "Expected text.", f"{path}.{Custom.SOURCE_REFS}")
            amount = _amount(item.get("amount"), f"{path}.amount")
            others.append(
                {
                    Custom.ACCOUNT.value: _ref_id(item.get("account"), f"{path}.account"),
                    "foreignamount": amount,
                    "memo": item.get("memo") or None,
                    Custom.SOURCE_REFS.value: refs,
                }
            )
            other_total += amount
        total = sum((amount for _, amount in selected), Decimal(0)) + other_total
        if total < 0:
            raise _Refusal(
                400, "USER_ERROR", "The net value of the deposit's lines is negative.", "payment"
            )
        currency = self._currency_of(body, (doc for doc, _ in selected))
        new_id = self._new_id(external_id)
        self.insert_transaction(
            {
                "id": new_id,
                "type": TranType.DEPOSIT.value,
                "trandate": self._trandate(body),
                "externalid": external_id,
                "memo": body.get("memo"),
                "currency": currency,
                "foreigntotal": total,
                "account": self._account(body),
                **self._custom_values(body, custom),
            }
        )
        for line, (doc, amount) in enumerate(selected, start=1):
            self.insert_link(
                previous=doc["id"],
                previous_type=doc["type"],
                next_doc=new_id,
                next_type=TranType.DEPOSIT.value,
                line=line,
                link_type=LinkType.DEPOSIT,
                amount=amount,
            )
            if doc["type"] == TranType.PAYMENT:
                self._db.execute(
                    f'UPDATE "transaction" SET status = ?, {Custom.PAYMENT_FAILED} = NULL '
                    "WHERE id = ?",
                    ("C", doc["id"]),
                )
        for number, other in enumerate(others, start=1):
            self.insert_line(new_id, number, {"id": str(number), **other})
        return self._created(request, TranType.DEPOSIT, new_id)

    def _create_payment(self, request: httpx.Request, body: Mapping[str, Any]) -> httpx.Response:
        custom = (Custom.SOURCE, Custom.PAYMENT_REF, Custom.EVENT_TIME)
        _check_fields(
            body,
            (
                "externalId",
                "customer",
                "currency",
                "payment",
                "undepFunds",
                "account",
                "autoApply",
                "memo",
                "tranDate",
                "apply",
                *(c.value for c in custom),
            ),
        )
        external_id = self._check_external_id(TranType.PAYMENT, body)
        customer = _ref_id(body.get("customer"), "customer")
        amount = _amount(body.get("payment"), "payment")
        if amount <= 0:
            raise _Refusal(400, "USER_ERROR", "The payment amount must be positive.", "payment")
        if any(item.get("apply") is True for item in _items(body, "apply")):
            raise _Refusal(
                400, "INVALID_PARAMETER", "The stand-in creates unapplied payments only.", "apply"
            )
        trandate = self._trandate(body)
        if trandate is None:
            raise _Refusal(400, "USER_ERROR", "Please enter a value for tranDate.", "tranDate")
        new_id = self._new_id(external_id)
        self.insert_transaction(
            {
                "id": new_id,
                "type": TranType.PAYMENT.value,
                "entity": customer,
                "trandate": trandate,
                "externalid": external_id,
                "memo": body.get("memo"),
                "status": _PAYMENT_LETTERS[rc.PaymentStatus.UNDEPOSITED],
                "currency": self._currency_of(body, ()),
                "foreigntotal": amount,
                "account": self._payment_account(body),
                **self._custom_values(body, custom),
            }
        )
        return self._created(request, TranType.PAYMENT, new_id)

    # PATCH: status marks on payments, sync marks on credit memos and cash refunds

    def _patch(self, request: httpx.Request, kind: TranType, record_id: str) -> httpx.Response:
        row = self._existing(kind, record_id)
        body = self._body(request)
        if kind is TranType.PAYMENT:
            custom: tuple[Custom, ...] = (Custom.FAILURE_MARK, Custom.PAYMENT_FAILED)
            _check_fields(body, ("memo", "apply", *(c.value for c in custom)))
            for index, item in enumerate(_items(body, "apply")):
                path = f"apply.items[{index}]"
                _check_fields(item, ("doc", "apply", "amount"))
                if item.get("apply") is not False:
                    raise _Refusal(
                        400, "INVALID_PARAMETER", "The stand-in only unapplies lines.", path
                    )
                self._db.execute(
                    "DELETE FROM previoustransactionlinelink WHERE previousdoc = ? "
                    "AND nextdoc = ? AND linktype = ?",
                    (_ref_id(item.get("doc"), f"{path}.doc"), row["id"], LinkType.PAYMENT.value),
                )
        elif kind in (TranType.CREDIT_MEMO, TranType.CASH_REFUND):
            custom = (
                Custom.SYNCED_MARK,
                Custom.SYNCED_ID,
                Custom.SYNCED_PAYMENT,
                Custom.SYNCED_GIFT_CARD,
            )
            _check_fields(body, ("memo", *(c.value for c in custom)))
        else:
            raise _Refusal(
                400, "INVALID_PARAMETER", f"The stand-in does not update {REST_TYPES[kind]}."
            )
        values = self._custom_values(body, custom)
        if "memo" in body:
            values["memo"] = body["memo"]
        if values:
            assignments = ", ".join(f"{column} = ?" for column in values)
            self._db.execute(
                f'UPDATE "transaction" SET {assignments} WHERE id = ?',
                (*(_stored(value) for value in values.values()), row["id"]),
            )
        return httpx.Response(204)


def translate_suiteql(query: str) -> str:
    """The SQLite form of a SuiteQL SELECT, or a :class:`_Refusal` in NetSuite's shape."""
    if not re.match(r"\s*SELECT\b", query, re.IGNORECASE):
        raise _Refusal(400, "INVALID_PARAMETER", "Only SELECT queries are supported.", "q")

    def to_char(match: re.Match[str]) -> str:
        if match[2] != DATE_FORMAT:
            raise _Refusal(
                400, "INVALID_PARAMETER", f"The stand-in's TO_CHAR takes '{DATE_FORMAT}' only.", "q"
            )
        return match[1]  # stored as that very text

    def to_date(match: re.Match[str]) -> str:
        if match[2] != DATE_FORMAT:
            raise _Refusal(
                400, "INVALID_PARAMETER", f"The stand-in's TO_DATE takes '{DATE_FORMAT}' only.", "q"
            )
        return match[1]

    sql = _TO_DATE.sub(to_date, _TO_CHAR.sub(to_char, query))
    bare = _LITERAL.sub("''", sql)
    forbidden = _FORBIDDEN.search(bare)
    if forbidden is not None:
        raise _Refusal(
            400,
            "INVALID_PARAMETER",
            f"Invalid search query: {forbidden.group(0)!r} is not supported here.",
            "q",
        )
    # "transaction" is a keyword in SQLite; NetSuite's table of that name must be quoted.
    sql = re.sub(r"\b(FROM|JOIN)\s+transaction\b", r'\1 "transaction"', sql, flags=re.IGNORECASE)
    return re.sub(r"\b(\w+)\.transaction\b", r'\1."transaction"', sql, flags=re.IGNORECASE)


def _sql_name(column: str) -> str:
    return '"transaction"' if column == "transaction" else column


def _stored(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return value


def _json_response(status: int, payload: Any) -> httpx.Response:
    return httpx.Response(
        status,
        content=_json.dumps(payload).encode(),
        headers={"content-type": "application/json"},
    )
