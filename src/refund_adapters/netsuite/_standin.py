"""A stateful NetSuite stand-in held to NetSuite's published facts: REST record API v1 + SuiteQL.

Everything it does rests on the facts pack (``shared/specs/netsuite``), encoded with source
and confidence in :mod:`._standin_facts`; ``docs/netsuite-standin.md`` names, for every
behaviour, the fact and its tag. In short:

- **SuiteQL** (:mod:`._standin_sql`) serves only the tables and columns of the facts (and the
  account's custom fields); anything else is NetSuite's ``400 INVALID_PARAMETER`` "Unknown
  identifier" / "Invalid search type", in NetSuite's error shape.
- **Rows** (:mod:`._standin_store`) carry NetSuite's signs (invoice and cash-sale lines
  negative, credit lines positive, header totals signed per type), a main line per transaction
  holding ``createdfrom``, and the lines NetSuite adds, flagged with ``taxline``, ``iscogs``
  and ``itemtype``: a tax line per tax code on records with taxed lines, and on invoices and
  cash sales shipping and cost-of-goods lines. Link rows exist only for documented link types,
  in the documented direction.
- **Tax** is computed as NetSuite computes it, per line, with the core's own function
  (:func:`refund_core.line_tax`, NetSuite Help "Setting Tax Rounding Levels, Methods, and
  Precision Settings": Item Line Level, "tax is rounded per line"): a credit line sent with a
  ``taxCode`` gets that code's rate and the tax NetSuite would compute, and the record totals
  its lines, their tax and its shipping. A customer refund cannot apply more of a credit memo
  than its total, so a plan whose credit memo NetSuite would total lower than it pays out is
  refused.
- **The record API** (:mod:`._standin_writes`, :mod:`._standin_rest`) accepts only the body
  fields and sublists of each record type (as under ``X-NetSuite-PropertyNameValidation:
  Error``) and only the transforms of the 2026.1 metadata; it answers records with their
  sublists and the metadata catalog of each record type.

Over the concurrency limit it answers ``429`` with NetSuite's error body; with an auth server
it checks every request's TBA or OAuth 2.0 credentials first. Seed it from a
:class:`refund_core.LedgerSnapshot` (:meth:`NetSuiteStandIn.from_snapshot`) and read it back as
one (:meth:`NetSuiteStandIn.snapshot`) to compare with ``FakeLedger`` after the same plan.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

import httpx

import refund_core as rc
from refund_adapters._standin import StandIn

from . import _json
from ._fields import CONCURRENCY_LIMIT_EXCEEDED, REST_TYPES
from ._standin_facts import DEFAULT_FACTS, StandInFacts
from ._standin_rest import catalog, record_body
from ._standin_seed import Seeder
from ._standin_snapshot import read_snapshot
from ._standin_sql import SuiteQLError, translate
from ._standin_store import SalesTax, Store
from ._standin_wire import Refusal, error_response, json_response
from ._standin_writes import RecordWrites

__all__ = [
    "DEFAULT_UNDEPOSITED_FUNDS_ACCOUNT",
    "NetSuiteStandIn",
    "RequestAuthenticator",
    "SalesTax",
    "error_response",
]

#: The tax code the account has unless the stand-in is given others (8.25 %).
DEFAULT_SALES_TAX = SalesTax()

#: Internal ID of the stand-in's Undeposited Funds account unless it is given another.
DEFAULT_UNDEPOSITED_FUNDS_ACCOUNT = "uf-1"

_REST_PREFIX = "/services/rest"
_TYPES_BY_REST = {rest.lower(): kind for kind, rest in REST_TYPES.items()}
_RECORD_PATH = re.compile(
    r"/record/v1/(?P<type>[A-Za-z]+)(?:/(?P<id>[^/!]+))?(?:/!transform/(?P<target>[A-Za-z]+))?/?"
)
_CATALOG_PATH = re.compile(r"/record/v1/metadata-catalog/(?P<type>[A-Za-z]+)/?")


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


class NetSuiteStandIn(RecordWrites, StandIn):
    """A stateful NetSuite account for tests and demos (see the module docstring).

    ``auth`` checks credentials on every request (TBA or OAuth 2.0; ``None``: no checks).
    ``internal_id_for`` names records the stand-in creates from their external ID (default:
    sequential numbers, as NetSuite does); ``clock`` stamps ``trandate`` on records created
    without one (default: left empty, as :func:`refund_core.apply_plan` leaves ``created_at``).
    ``currencies`` are set up in the account besides those of the seed (internal IDs ``1``,
    ``2``... in order; :attr:`currency_ids` lists them for the adapter's configuration).
    ``undeposited_funds_account`` is the internal ID of its Undeposited Funds account.
    ``facts`` is what the account exposes (default: the facts pack; a test may take a column
    or a link type away or change signs); ``tax_codes`` the account's tax codes (the codes of a
    seed's taxed lines are added) and ``tax_rounding`` its tax rounding method, with which it
    computes each credit line's tax (:attr:`tax_rates` lists the codes for the adapter's
    configuration); ``cogs_rate`` the cost of inventory items as a share of
    their price (cost-of-goods lines; 0: none); ``item_types`` the ``itemtype`` of items by
    internal ID (default ``InvtPart``); ``shipping_item`` the item of shipping lines.
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
        facts: StandInFacts = DEFAULT_FACTS,
        tax_codes: Iterable[SalesTax] = (DEFAULT_SALES_TAX,),
        tax_rounding: rc.TaxRounding = rc.TaxRounding.ROUND_OFF,
        cogs_rate: Decimal = Decimal("0.40"),
        item_types: Mapping[str, str] | None = None,
        shipping_item: str = "ship-1",
    ) -> None:
        super().__init__()
        if not undeposited_funds_account.strip():
            raise rc.ConfigurationError("the Undeposited Funds account needs an internal ID")
        self.auth = auth
        self.facts = facts
        self.undeposited_funds_account = undeposited_funds_account
        self._internal_id_for = internal_id_for
        self._clock = clock
        self.store = Store(
            facts,
            tax_codes=tax_codes,
            tax_rounding=tax_rounding,
            cogs_rate=cogs_rate,
            item_types=item_types or {},
            shipping_item=shipping_item,
        )
        self._next_number = 1000
        for code in currencies:
            self.store.currency_id(code)

    # -- seeding and reading back ------------------------------------------------------------

    @classmethod
    def from_snapshot(cls, snapshot: rc.LedgerSnapshot, **kwargs: Any) -> NetSuiteStandIn:
        """A stand-in holding exactly the records of ``snapshot``."""
        standin = cls(**kwargs)
        standin.seed(snapshot)
        return standin

    def seed(self, snapshot: rc.LedgerSnapshot) -> None:
        """Add every record of ``snapshot`` (IDs and external IDs must be new here)."""
        with self.store.lock:
            self.store.db.execute("BEGIN")
            try:
                Seeder(self.store, snapshot, self.undeposited_funds_account).run()
            except BaseException:
                self.store.db.execute("ROLLBACK")
                raise
            self.store.db.execute("COMMIT")

    def snapshot(self) -> rc.LedgerSnapshot:
        """Everything the stand-in holds, as a snapshot (records in creation order)."""
        with self.store.lock:
            return read_snapshot(self.store, self.undeposited_funds_account)

    def currency_id(self, code: str) -> str:
        """The internal ID of a currency, set up on first use."""
        with self.store.lock:
            return self.store.currency_id(code)

    @property
    def currency_ids(self) -> dict[str, str]:
        """ISO code -> internal ID of every currency set up in the account."""
        with self.store.lock:
            return dict(self.store.currencies)

    @property
    def tax_rates(self) -> dict[str, Decimal]:
        """Tax code -> rate in percent of every tax code set up in the account."""
        with self.store.lock:
            return dict(self.store.tax_codes)

    @property
    def tax_rounding(self) -> rc.TaxRounding:
        """The account's tax rounding method."""
        return self.store.tax_rounding

    def new_id(self, external_id: str | None) -> str:
        """A new internal ID (from ``internal_id_for`` when given an external ID)."""
        if external_id is not None and self._internal_id_for is not None:
            return self._internal_id_for(external_id)
        while True:
            self._next_number += 1
            candidate = str(self._next_number)
            if self.store.header(candidate) is None:
                return candidate

    # -- HTTP ----------------------------------------------------------------------------------

    def over_limit_response(self) -> httpx.Response:
        """NetSuite's answer over the account's concurrency limit: 429 with its error code."""
        return error_response(
            429, CONCURRENCY_LIMIT_EXCEEDED, "Concurrent request limit exceeded. Request blocked."
        )

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Route one request: auth, SuiteQL, the metadata catalog or the record API."""
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
            with self.store.lock:
                if rest.rstrip("/") == "/query/v1/suiteql":
                    if request.method != "POST":
                        raise Refusal(405, "INVALID_METHOD", "SuiteQL takes POST.")
                    return self._suiteql(request)
                catalog_match = _CATALOG_PATH.fullmatch(rest)
                if catalog_match is not None:
                    return self._catalog(request, catalog_match["type"])
                match = _RECORD_PATH.fullmatch(rest)
                if match is None:
                    raise Refusal(404, "INVALID_URL", f"No resource at {path}.")
                # One write is one transaction: a refused write leaves nothing behind.
                self.store.db.execute("BEGIN")
                try:
                    response = self._record(request, match)
                except BaseException:
                    self.store.db.execute("ROLLBACK")
                    raise
                self.store.db.execute("COMMIT")
                return response
        except Refusal as refusal:
            return error_response(
                refusal.status,
                refusal.code,
                refusal.detail,
                refusal.path,
                query_param=refusal.query_param,
            )

    # -- SuiteQL -------------------------------------------------------------------------------

    def _suiteql(self, request: httpx.Request) -> httpx.Response:
        limit = self._int_param(request, "limit", 1000)
        offset = self._int_param(request, "offset", 0)
        if not 1 <= limit <= 1000:
            raise Refusal(400, "INVALID_PARAMETER", "limit must be 1..1000.", query_param="limit")
        if offset < 0 or offset % limit:
            raise Refusal(
                400,
                "INVALID_PARAMETER",
                "offset must be a multiple of limit.",
                query_param="offset",
            )
        try:
            body = _json.loads(request.content)
            query = body["q"]
        except (ValueError, KeyError, TypeError):
            raise Refusal(400, "INVALID_CONTENT", 'Body must be {"q": "SELECT ..."}.') from None
        if not isinstance(query, str):
            raise Refusal(400, "INVALID_CONTENT", "q must be a string.", query_param="q")
        try:
            sql = translate(query, self.facts)
            rows = self.store.rows(sql)
        except SuiteQLError as exc:
            raise Refusal(400, "INVALID_PARAMETER", exc.detail, query_param="q") from None
        except sqlite3.Error as exc:
            raise Refusal(
                400, "INVALID_PARAMETER", f"Invalid search query: {exc}.", query_param="q"
            ) from None
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
        return json_response(200, payload)

    @staticmethod
    def _int_param(request: httpx.Request, name: str, default: int) -> int:
        raw = request.url.params.get(name)
        if raw is None:
            return default
        try:
            return int(raw)
        except ValueError:
            raise Refusal(
                400, "INVALID_PARAMETER", f"{name} must be an integer.", query_param=name
            ) from None

    # -- record API ----------------------------------------------------------------------------

    def _catalog(self, request: httpx.Request, rest_type: str) -> httpx.Response:
        if request.method != "GET":
            raise Refusal(405, "INVALID_METHOD", "The metadata catalog takes GET.")
        if "application/swagger+json" not in request.headers.get("accept", ""):
            raise Refusal(
                400,
                "INVALID_PARAMETER",
                "Ask the metadata catalog with Accept: application/swagger+json.",
                query_param="Accept",
            )
        kind = _TYPES_BY_REST.get(rest_type.lower())
        if kind is None:
            raise Refusal(404, "INVALID_URL", f"Unknown record type {rest_type}.")
        return json_response(
            200, catalog(self.facts, REST_TYPES[kind]), content_type="application/swagger+json"
        )

    def _record(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        kind = _TYPES_BY_REST.get(match["type"].lower())
        if kind is None:
            raise Refusal(404, "INVALID_URL", f"Unknown record type {match['type']}.")
        record_id, target = match["id"], match["target"]
        method = request.method
        if target is not None:
            if method != "POST" or record_id is None:
                raise Refusal(405, "INVALID_METHOD", "A transform takes POST.")
            target_kind = _TYPES_BY_REST.get(target.lower())
            if target_kind is None:
                raise Refusal(404, "INVALID_URL", f"Unknown record type {target}.")
            return self.transform(request, self._body(request), kind, record_id, target_kind)
        if record_id is None:
            if method != "POST":
                raise Refusal(405, "INVALID_METHOD", f"{method} on a collection is not served.")
            return self.create(request, self._body(request), kind)
        if method == "GET":
            row = self.existing(kind, record_id)
            expand = request.url.params.get("expandSubResources", "false").lower() == "true"
            url = str(request.url.copy_with(query=None))
            return json_response(
                200, record_body(self.store, self.facts, kind, row, url=url, expand=expand)
            )
        if method == "PATCH":
            return self.patch(self._body(request), kind, record_id)
        raise Refusal(405, "INVALID_METHOD", f"{method} on a record is not served.")

    @staticmethod
    def _body(request: httpx.Request) -> dict[str, Any]:
        try:
            body = _json.loads(request.content) if request.content else {}
        except ValueError:
            raise Refusal(400, "INVALID_CONTENT", "The body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise Refusal(400, "INVALID_CONTENT", "The body must be a JSON object.")
        return body
