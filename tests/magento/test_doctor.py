"""refund-sync doctor for Magento: holds on the stand-in as it is, fails where a store differs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import refund_core as rc
from refund_adapters._doctor import Check, Verdict
from refund_adapters.magento import BearerToken, MagentoDoctor, MagentoStandIn, SeedItem
from refund_adapters.magento._standin_schema import ROUTES
from tests.builders import M
from tests.contracts._run import run
from tests.magento.factories import CREDENTIALS, TOKEN, storefront_over
from tests.magento.schema import ADOBE_249, RUNTIME, MagentoSchema

ROUTE_CHECKS = (
    "route.orders",
    "route.order",
    "route.invoices",
    "route.creditmemos",
    "route.creditmemo-comments",
    "route.order-refund",
    "route.invoice-refund",
)


def _store(**options: Any) -> MagentoStandIn:
    standin = MagentoStandIn(bearer_tokens=[TOKEN], oauth_credentials=[CREDENTIALS], **options)
    standin.add_order("000000081", [SeedItem("SKU-A", "20.00")], shipping="5.00")
    return standin


def _refunded(standin: MagentoStandIn) -> MagentoStandIn:
    """The store after one offline refund, so a credit memo's comments can be read."""
    action = rc.IssueStorefrontRefund(
        external_id="rs-sr-doctor",
        source=rc.SourceKey("netsuite", "CM-81"),
        rule_ids=("NSC-7",),
        reason="doctor",
        storefront="magento",
        order_ref="000000081",
        record=rc.RecordRef(internal_id="CM-81"),
        lines=(rc.StorefrontRefundLine("SKU-A", Decimal(1), M("20.00 USD")),),
        shipping=M("0.00 USD"),
        amount=M("20.00 USD"),
    )
    run(storefront_over(standin).issue_refund(action))
    return standin


def _doctor(standin: MagentoStandIn, **options: Any) -> dict[str, Check]:
    checks = run(MagentoDoctor(storefront_over(standin, **options)).run())
    return {check.name: check for check in checks}


def test_the_doctor_passes_on_the_stand_in_as_it_is() -> None:
    """Magento 2.4, every route listed for the token, each search and read answered."""
    standin = _refunded(_store())
    before = len(standin.exchanges)
    checks = _doctor(standin)
    assert list(checks) == ["credentials", "version", *ROUTE_CHECKS]
    assert {c.verdict for c in checks.values()} == {Verdict.HOLDS}
    assert "info.version 2.4 (Magento Community)" in checks["version"].evidence
    assert "Magento/2.4 (Community)" in checks["version"].evidence
    assert "was answered" in checks["route.creditmemo-comments"].evidence
    assert "listed in the schema" in checks["route.order-refund"].evidence
    assert {e.method for e in standin.exchanges[before:]} == {"GET"}  # read-only


def test_with_oauth_signing_the_doctor_sees_the_same() -> None:
    """Integration OAuth 1.0a credentials, as the registry builds them, pass as a token does."""
    from refund_adapters.magento import integration_auth  # noqa: PLC0415

    auth = integration_auth(
        consumer_key=CREDENTIALS.consumer_key,
        consumer_secret=CREDENTIALS.consumer_secret,
        access_token=CREDENTIALS.token,
        access_token_secret=CREDENTIALS.token_secret,
    )
    checks = _doctor(_store(), auth=auth)
    assert not [c.name for c in checks.values() if c.failed]


def test_another_version_fails() -> None:
    """A store on Magento 2.3: both the schema and the version page say so."""
    check = _doctor(_store(version="2.3.7-p4"))["version"]
    assert check.failed
    assert "info.version 2.3" in check.evidence
    assert "2.3" in check.remedy


def test_without_the_version_page_the_schema_still_tells() -> None:
    """Magento_Version switched off: the version rests on the schema alone, still [M]."""
    check = _doctor(_store(version_page=False))["version"]
    assert check.verdict is Verdict.HOLDS
    assert "no version line" in check.evidence
    assert check.confidence.value == "M"


def test_a_missing_refund_route_fails_naming_it() -> None:
    """The offline refund route gone (its module off): not in the schema, so it fails."""
    checks = _doctor(_store(missing_routes=["POST /V1/order/{orderId}/refund"]))
    assert checks["route.order-refund"].failed
    assert "not in the schema" in checks["route.order-refund"].evidence
    assert checks["route.invoice-refund"].verdict is Verdict.HOLDS


def test_a_route_the_role_may_not_call_fails() -> None:
    """A role without the credit memo resource: the search answers 401 and is left out."""
    check = _doctor(_store(forbidden_routes=["GET /V1/creditmemos"]))["route.creditmemos"]
    assert check.failed
    assert "HTTP 401" in check.evidence
    assert "not in the schema" in check.evidence


def test_a_blocked_schema_leaves_the_refund_routes_not_observable() -> None:
    """No schema (a proxy blocks it): reads are probed, POSTs cannot be without writing."""
    checks = _doctor(_store(schema_route=False))
    assert checks["route.order-refund"].verdict is Verdict.NOT_OBSERVABLE
    assert "without writing" in checks["route.order-refund"].evidence
    assert checks["route.orders"].verdict is Verdict.HOLDS
    assert checks["version"].confidence.value == "S"


def test_refused_credentials_fail_alone() -> None:
    """A token Magento does not know: one check, failed; nothing else is asked."""
    checks = _doctor(_store(), auth=BearerToken("not-the-token"))
    assert list(checks) == ["credentials"]
    assert checks["credentials"].failed


def test_the_doctors_rest_calls_match_the_runtime_schema() -> None:
    """Every /V1 request the doctor sends and every answer fits Magento's live 2.4.8 schema."""
    schema = MagentoSchema(RUNTIME)
    standin = _refunded(_store())
    before = len(standin.exchanges)
    _doctor(standin)
    calls = [e for e in standin.exchanges[before:] if "/V1/" in e.path]
    assert {e.path.split("/V1/")[1].split("/")[0] for e in calls} >= {
        "orders",
        "invoices",
        "creditmemos",
        "creditmemo",
    }
    for exchange in calls:
        where = f"{exchange.method} {exchange.path}"
        assert schema.query_errors(exchange.method, exchange.path, exchange.query) == [], where
        errors = schema.response_errors(exchange.method, exchange.path, exchange.response_body)
        assert errors == [], where


def test_the_stand_ins_schema_is_magentos_own() -> None:
    """Each route it lists is in the live dump (same ID and service) and in Adobe's 2.4.9."""
    runtime, adobe = MagentoSchema(RUNTIME).spec, MagentoSchema(ADOBE_249).spec
    for route in ROUTES:
        operation = runtime["paths"][route.template][route.method.lower()]
        assert operation["operationId"] == route.operation_id, route
        assert operation["tags"] == [route.service], route
        # Adobe's published file retags operations by path; the operation IDs are the same.
        adobe_operation = adobe["paths"][route.template][route.method.lower()]
        assert adobe_operation["operationId"] == route.operation_id, route
    standin = _store()
    _doctor(standin)
    (served,) = [e.response_body for e in standin.exchanges if e.path.endswith("/schema")]
    assert served["swagger"] == runtime["swagger"]
    assert served["info"]["version"] == runtime["info"]["version"] == "2.4"
    assert served["info"]["title"].split()[0] == runtime["info"]["title"].split()[0] == "Magento"
    assert set(served["paths"]) <= set(runtime["paths"])


def test_the_doctor_checks_every_route_the_storefront_calls() -> None:
    """Refunds offline and online, with lookups: every route used is one the doctor checks."""
    from refund_adapters.magento._doctor import ADAPTER_ROUTES  # noqa: PLC0415
    from refund_adapters.magento._standin_schema import route_for  # noqa: PLC0415
    from tests.magento.test_schema import _exercised  # noqa: PLC0415

    standin = _exercised()
    used = set()
    for exchange in standin.exchanges:
        route = route_for(exchange.method, "/V1/" + exchange.path.split("/V1/")[1])
        assert route is not None, exchange.path
        used.add(route.key)
    checked = {f"{method} {template}" for _, method, template, _, _ in ADAPTER_ROUTES}
    assert used <= checked
    assert "POST /V1/order/{orderId}/refund" in used
    assert "POST /V1/invoice/{invoiceId}/refund" in used
