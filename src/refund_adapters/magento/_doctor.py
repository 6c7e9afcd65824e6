"""``refund-sync doctor`` for Magento: what the storefront assumes about the store, checked.

Read-only: GETs only, never a POST. Magento exposes little about itself over REST, so each
observation says how it was made:

- **The REST schema** Magento generates for the caller, ``GET /rest/<store>/schema?services=``
  (Adobe, "Generate a local REST reference", an admin token required). It lists only the
  operations the caller may call: Magento's ``AbstractSchemaGenerator``
  (``getAllowedServicesMetadata``) drops every method the caller's ACL refuses, and Adobe's
  page says the same ("all the endpoints the user has access to"). So it tells, without
  writing anything, whether the refund POSTs are there for these credentials. Its
  ``info.version`` is the installed major.minor and ``info.title`` the product and edition
  (``Webapi/Model/Rest/Swagger/Generator.php``, ``getGeneralInfo``; a live 2.4.8 dump shows
  ``2.4``, ``Magento Enterprise``).
- **``/magento_version``** on the store's host: ``Magento/2.4 (Community)``, printed by the
  Magento_Version module. Not a documented API, often switched off; a corroboration only.
- **Probes**: each search the adapter runs, with ``searchCriteria[pageSize]=1``, and each
  single-record read on a record the searches found.

The checks: ``credentials``; ``version`` (the adapter is written against Magento 2.4's admin
REST API, Adobe's 2.4.8 and 2.4.9 schemas); one ``route.*`` per route the adapter calls,
reachable for these credentials. A POST is never probed: when the schema cannot be read, the
refund routes are *not observable*.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import httpx

from refund_adapters._decode import parse_json
from refund_adapters._doctor import Check, Confidence, Verdict, read_answer
from refund_adapters._http import RetryPolicy, send

from ._storefront import SERVICE, MagentoStorefront

__all__ = ["ADAPTER_ROUTES", "SUPPORTED_VERSION", "MagentoDoctor"]

#: The major.minor version whose admin REST API the adapter speaks.
SUPPORTED_VERSION = "2.4"

#: Every route the storefront calls: (check name, method, path template, service, job).
ADAPTER_ROUTES: tuple[tuple[str, str, str, str, str], ...] = (
    ("route.orders", "GET", "/V1/orders", "salesOrderRepositoryV1", "find an order"),
    ("route.order", "GET", "/V1/orders/{id}", "salesOrderRepositoryV1", "read an order"),
    ("route.invoices", "GET", "/V1/invoices", "salesInvoiceRepositoryV1", "find invoices"),
    (
        "route.creditmemos",
        "GET",
        "/V1/creditmemos",
        "salesCreditmemoRepositoryV1",
        "find an order's credit memos",
    ),
    (
        "route.creditmemo-comments",
        "GET",
        "/V1/creditmemo/{id}/comments",
        "salesCreditmemoManagementV1",
        "read the marker in a credit memo's comments",
    ),
    (
        "route.order-refund",
        "POST",
        "/V1/order/{orderId}/refund",
        "salesRefundOrderV1",
        "refund an order paid offline",
    ),
    (
        "route.invoice-refund",
        "POST",
        "/V1/invoice/{invoiceId}/refund",
        "salesRefundInvoiceV1",
        "refund an invoice paid online",
    ),
)

_SCHEMA_FACT = (
    "the schema lists what the caller may call (Adobe 'Generate a local REST reference'; Magento "
    "AbstractSchemaGenerator::getAllowedServicesMetadata)"
)
_VERSION_PAGE = re.compile(r"^Magento/(?P<version>\d+\.\d+) \((?P<edition>[^)]+)\)$")
_READ_POLICY = RetryPolicy()
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})


@attrs.frozen
class _Info:
    version: str | None = None
    title: str | None = None


@attrs.frozen
class _Schema:
    """The parts of Magento's Swagger document the doctor reads."""

    info: _Info = _Info()
    paths: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)


@attrs.frozen
class _Record:
    entity_id: int


@attrs.frozen
class _SearchPage:
    items: tuple[_Record, ...] | None = None
    total_count: int = 0


def _check(  # noqa: PLR0917 - a report row: its columns in reading order
    name: str,
    assumption: str,
    fact: str,
    confidence: Confidence,
    verdict: Verdict,
    evidence: str,
    remedy: str = "",
) -> Check:
    return Check(SERVICE, name, assumption, fact, confidence, verdict, evidence, remedy)


@attrs.frozen
class _Probe:
    """One read-only request and what came back."""

    path: str
    status: int
    body: Any = None


class MagentoDoctor:
    """The checks of one Magento store (see the module docstring)."""

    def __init__(self, storefront: MagentoStorefront) -> None:
        self.storefront = storefront
        self._rest = f"/rest/{storefront.store_code}"

    async def run(self) -> tuple[Check, ...]:
        """Every check, in order; the credentials check alone when the store refuses them."""
        async with (
            self.storefront.http_client() as client,
            self.storefront.http_client(authenticated=False) as plain,
        ):
            services = ",".join(sorted({route[3] for route in ADAPTER_ROUTES}))
            schema = await self._get(client, f"{self._rest}/schema", [("services", services)])
            orders = await self._search(client, "orders")
            parsed = self._schema(schema)
            listed = self._listed(parsed)
            credentials = self._credentials(orders, listed)
            if credentials.failed:
                return (credentials,)
            page = await self._get(plain, "/magento_version")
            creditmemos = await self._search(client, "creditmemos")
            probes = {
                "route.orders": orders,
                "route.invoices": await self._search(client, "invoices"),
                "route.creditmemos": creditmemos,
            }
            order_id = self._first_id(orders)
            if order_id is not None:
                probes["route.order"] = await self._get(
                    client, f"{self._rest}/V1/orders/{order_id}"
                )
            memo_id = self._first_id(creditmemos)
            if memo_id is not None:
                probes["route.creditmemo-comments"] = await self._get(
                    client, f"{self._rest}/V1/creditmemo/{memo_id}/comments"
                )
        checks = [credentials, self._version(schema, parsed, page)]
        for name, method, template, _service, job in ADAPTER_ROUTES:
            checks.append(
                self._route(name, method, template, job, schema.status, listed, probes.get(name))
            )
        return tuple(checks)

    # -- requests ----------------------------------------------------------------------------

    async def _get(
        self, client: httpx.AsyncClient, path: str, params: Sequence[tuple[str, str]] = ()
    ) -> _Probe:
        response = await send(
            client,
            lambda: client.build_request(
                "GET", path, params=list(params), headers={"Accept": "application/json"}
            ),
            service=SERVICE,
            policy=_READ_POLICY,
        )
        body: Any = None
        if response.status_code == 200:
            if response.headers.get("content-type", "").startswith("application/json"):
                body = parse_json(
                    response.content, service=SERVICE, endpoint=f"GET {path}", status=200
                )
            else:
                body = response.text.strip()
        return _Probe(path, response.status_code, body)

    async def _search(self, client: httpx.AsyncClient, resource: str) -> _Probe:
        return await self._get(
            client,
            f"{self._rest}/V1/{resource}",
            [("searchCriteria[pageSize]", "1"), ("searchCriteria[currentPage]", "1")],
        )

    def _schema(self, probe: _Probe) -> _Schema | None:
        if probe.status != 200 or not isinstance(probe.body, dict):
            return None
        return read_answer(probe.body, _Schema, service=SERVICE, endpoint=f"GET {probe.path}")

    @staticmethod
    def _listed(schema: _Schema | None) -> frozenset[str] | None:
        """``METHOD /V1/...`` of every operation in the schema (None: no schema was read)."""
        if schema is None:
            return None
        return frozenset(
            f"{method.upper()} {path}"
            for path, item in schema.paths.items()
            for method in item
            if method in _HTTP_METHODS
        )

    @staticmethod
    def _first_id(probe: _Probe) -> int | None:
        if probe.status != 200:
            return None
        page = read_answer(probe.body, _SearchPage, service=SERVICE, endpoint=f"GET {probe.path}")
        return page.items[0].entity_id if page.items else None

    # -- checks ------------------------------------------------------------------------------

    def _credentials(self, orders: _Probe, listed: frozenset[str] | None) -> Check:
        assumption = "the configured credentials may call the store's admin REST API"
        fact = "integration OAuth 1.0a or bearer token (Adobe gs-authentication-token)"
        if orders.status == 200:
            return _check(
                "credentials",
                assumption,
                fact,
                Confidence.ORACLE,
                Verdict.HOLDS,
                f"GET {orders.path} was answered",
            )
        if orders.status in (401, 403) and not listed:
            return _check(
                "credentials",
                assumption,
                fact,
                Confidence.ORACLE,
                Verdict.FAILS,
                f"GET {orders.path} answered HTTP {orders.status}, and the schema Magento "
                "generates for these credentials lists none of the adapter's routes",
                "check the token or the integration's four OAuth secrets, that the integration "
                "is active, and its role's Sales resources (Sales > Operations > Orders, "
                "Invoices, Credit Memos)",
            )
        return _check(
            "credentials",
            assumption,
            fact,
            Confidence.ORACLE,
            Verdict.HOLDS if orders.status in (401, 403) else Verdict.NOT_OBSERVABLE,
            f"GET {orders.path} answered HTTP {orders.status}"
            + ("; the schema for these credentials lists the adapter's routes" if listed else ""),
        )

    def _version(self, probe: _Probe, schema: _Schema | None, page: _Probe) -> Check:
        assumption = (
            f"the store runs Magento {SUPPORTED_VERSION} (the adapter speaks the 2.4 admin REST "
            "API of Adobe's 2.4.8 and 2.4.9 schemas)"
        )
        seen: list[tuple[str, str]] = []
        notes: list[str] = []
        if schema is not None and schema.info.version:
            seen.append((schema.info.version, "schema"))
            notes.append(
                f"schema info.version {schema.info.version} ({schema.info.title or 'no title'})"
            )
        else:
            notes.append(f"schema: HTTP {probe.status}")
        match = _VERSION_PAGE.match(page.body) if isinstance(page.body, str) else None
        if match is not None:
            seen.append((match["version"], "/magento_version"))
            notes.append(f"/magento_version {page.body}")
        else:
            notes.append(f"/magento_version: HTTP {page.status}, no version line")
        by_schema = any(source == "schema" for _, source in seen)
        fact = (
            "schema info.version is the installed major.minor (Magento's Swagger Generator, "
            "getGeneralInfo; a live 2.4.8 schema); /magento_version, undocumented "
            "(Magento_Version controller), corroborates [S]"
        )
        confidence = Confidence.MULTI if by_schema else Confidence.SINGLE
        evidence = "; ".join(notes)
        if not seen:
            return _check(
                "version",
                assumption,
                fact,
                Confidence.UNKNOWN,
                Verdict.NOT_OBSERVABLE,
                evidence,
            )
        others = sorted({version for version, _ in seen if version != SUPPORTED_VERSION})
        if others:
            return _check(
                "version",
                assumption,
                fact,
                confidence,
                Verdict.FAILS,
                evidence,
                f"the store runs {', '.join(others)}: the adapter is tested against Magento "
                f"{SUPPORTED_VERSION} only; upgrade the store or do not sync it",
            )
        return _check("version", assumption, fact, confidence, Verdict.HOLDS, evidence)

    def _route(  # noqa: PLR0917 - one route's facts, in the order of ADAPTER_ROUTES
        self,
        name: str,
        method: str,
        template: str,
        job: str,
        schema_status: int,
        listed: frozenset[str] | None,
        probe: _Probe | None,
    ) -> Check:
        key = f"{method} {template}"
        assumption = f"{key} is reachable with these credentials (to {job})"
        fact = f"Adobe admin REST schema 2.4.9: {key}; {_SCHEMA_FACT}"
        in_schema = None if listed is None else key in listed
        shown = (
            f"schema: HTTP {schema_status}"
            if in_schema is None
            else (
                "listed in the schema for these credentials"
                if in_schema
                else "not in the schema for these credentials"
            )
        )
        remedy = (
            f"give the integration's role the resource behind {key} (Sales > Operations) and "
            "check that the Magento_Sales module is enabled"
        )
        if probe is not None and probe.status != 200:
            return _check(
                name,
                assumption,
                fact,
                Confidence.ORACLE,
                Verdict.FAILS,
                f"GET {probe.path} answered HTTP {probe.status}; {shown}",
                remedy,
            )
        if probe is not None:
            return _check(
                name,
                assumption,
                fact,
                Confidence.ORACLE,
                Verdict.HOLDS,
                f"GET {probe.path} was answered; {shown}",
            )
        if in_schema is None:
            why = (
                "a POST cannot be probed without writing"
                if method == "POST"
                else ("no record to read it on")
            )
            return _check(
                name,
                assumption,
                fact,
                Confidence.ORACLE,
                Verdict.NOT_OBSERVABLE,
                f"{shown}; {why}",
            )
        return _check(
            name,
            assumption,
            fact,
            Confidence.ORACLE,
            Verdict.HOLDS if in_schema else Verdict.FAILS,
            shown,
            "" if in_schema else remedy,
        )
