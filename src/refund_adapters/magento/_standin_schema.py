"""What the Magento stand-in tells about itself: its routes, its REST schema, its version page.

Each route the stand-in serves is listed here with the service and operation ID Magento gives
it (the live 2.4.8 schema in ``shared/specs/magento``; the tests hold the table to it). From the
table come:

- ``GET /rest/<store>/schema?services=...``: the JSON schema Magento generates for the caller
  (Adobe, "Generate a local REST reference": ``services`` names services, ``all`` or nothing
  means every one; it documents "all the endpoints the user has access to"). As Magento's
  ``AbstractSchemaGenerator::getAllowedServicesMetadata`` does, operations the caller may not
  call are left out: an anonymous caller sees none of these admin routes. ``info.version`` is
  the major.minor version and ``info.title`` the product name and edition
  (``Webapi/Model/Rest/Swagger/Generator.php``, ``getGeneralInfo``), e.g. ``2.4`` and
  ``Magento Community``;
- ``GET /magento_version`` on the store's host: ``Magento/2.4 (Community)``, what the
  Magento_Version module's controller prints (not a documented API; the module can be off).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import attrs

__all__ = ["ROUTES", "Route", "route_for", "schema_document", "version_page"]


@attrs.frozen
class Route:
    """One route: method, path template (Magento's Swagger spelling), service, operation ID."""

    method: str
    template: str
    service: str
    operation_id: str

    @property
    def key(self) -> str:
        """``METHOD /V1/...``, how routes are named in settings and messages."""
        return f"{self.method} {self.template}"

    def matches(self, method: str, route: str) -> bool:
        """Whether ``METHOD /V1/...`` (a concrete path) is this route."""
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", self.template) + "$"
        return method == self.method and re.match(pattern, route) is not None


ROUTES = (
    Route("GET", "/V1/orders", "salesOrderRepositoryV1", "GetV1Orders"),
    Route("GET", "/V1/orders/{id}", "salesOrderRepositoryV1", "GetV1OrdersId"),
    Route("GET", "/V1/invoices", "salesInvoiceRepositoryV1", "GetV1Invoices"),
    Route("GET", "/V1/creditmemos", "salesCreditmemoRepositoryV1", "GetV1Creditmemos"),
    Route("GET", "/V1/creditmemo/{id}", "salesCreditmemoRepositoryV1", "GetV1CreditmemoId"),
    Route(
        "GET",
        "/V1/creditmemo/{id}/comments",
        "salesCreditmemoManagementV1",
        "GetV1CreditmemoIdComments",
    ),
    Route("POST", "/V1/order/{orderId}/refund", "salesRefundOrderV1", "PostV1OrderOrderIdRefund"),
    Route(
        "POST",
        "/V1/invoice/{invoiceId}/refund",
        "salesRefundInvoiceV1",
        "PostV1InvoiceInvoiceIdRefund",
    ),
)


def route_for(method: str, route: str) -> Route | None:
    """The stand-in's route for ``METHOD /V1/...``, if it serves one."""
    return next((r for r in ROUTES if r.matches(method, route)), None)


def _major_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def schema_document(
    *,
    version: str,
    edition: str,
    host: str,
    scheme: str,
    store: str,
    services: str | None,
    callable_routes: Iterable[Route],
) -> dict[str, object]:
    """The Swagger 2.0 document Magento answers ``GET /rest/<store>/schema`` with.

    ``services`` is the query parameter (comma-separated names, ``all``, or None for all);
    ``callable_routes`` are those the caller may call (ACL) on this installation.
    """
    wanted = None if services in (None, "", "all") else set(services.split(","))
    routes = [r for r in callable_routes if wanted is None or r.service in wanted]
    paths: dict[str, dict[str, object]] = {}
    for route in routes:
        paths.setdefault(route.template, {})[route.method.lower()] = {
            "tags": [route.service],
            "operationId": route.operation_id,
            "responses": {"200": {"description": "200 Success."}},
        }
    return {
        "securityDefinitions": {"api_key": {"type": "apiKey", "name": "api_key", "in": "header"}},
        "swagger": "2.0",
        "info": {"version": _major_minor(version), "title": f"Magento {edition}"},
        "host": host,
        "basePath": f"/rest/{store}",
        "schemes": [scheme],
        "tags": [{"name": name} for name in sorted({r.service for r in routes})],
        "paths": paths,
        "definitions": {},
    }


def version_page(*, version: str, edition: str) -> str:
    """What ``/magento_version`` prints: ``Magento/<major.minor> (<edition>)``."""
    return f"Magento/{_major_minor(version)} ({edition})"
