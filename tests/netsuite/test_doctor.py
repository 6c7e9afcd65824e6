"""refund-sync doctor for NetSuite: holds on the stand-in as it is, fails where accounts differ."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest

import refund_core as rc
from refund_adapters._doctor import Check, Verdict
from refund_adapters.cli import main
from refund_adapters.netsuite import NetSuiteDoctor, NetSuiteStandIn
from refund_adapters.netsuite._standin_facts import DEFAULT_FACTS, DOCUMENTED_LINKS
from refund_adapters.wiring import AdapterRegistry, load_config, verdict_path
from tests.contracts._run import run
from tests.netsuite.factories import Rig, rich_snapshot, rig


def _doctor(setup: Rig) -> dict[str, Check]:
    checks = run(
        NetSuiteDoctor(
            setup.client,
            undeposited_funds_account=setup.standin.undeposited_funds_account,
            currencies=setup.standin.currency_ids,
            settings=rc.RefundSettings(partial_refund_item="SKU-A", fee_account="fees"),
        ).run()
    )
    return {check.name: check for check in checks}


def test_the_doctor_passes_on_the_stand_in_as_it_is() -> None:
    """Nothing fails on an account held to the facts pack; what it observes, it says."""
    setup = rig(rich_snapshot())
    checks = _doctor(setup)
    assert [c.name for c in checks.values() if c.failed] == []
    for name in (
        "credentials",
        "suiteql.transaction",
        "suiteql.transactionline",
        "suiteql.previoustransactionlinelink",
        "link.payment",
        "sign.invoice",
        "sign.creditMemo",
        "sign.cashRefund",
        "rest.customerRefund",
        "rest.deposit",
        "value.undepFunds",
        "sign.deposit.refund-lines",
    ):
        assert checks[name].verdict is Verdict.HOLDS, checks[name]
    assert not [
        r
        for r in setup.standin.requests
        if r.method in ("POST", "PATCH", "PUT") and "/record/" in r.url.path
    ]  # read-only


def test_a_missing_column_fails_naming_it() -> None:
    """An account without the custom field custbody_rs_source: its column and catalog fail."""
    setup = rig(
        rich_snapshot(), facts=DEFAULT_FACTS.without_column("transaction", "custbody_rs_source")
    )
    checks = _doctor(setup)
    assert checks["suiteql.transaction"].failed
    assert "custbody_rs_source" in checks["suiteql.transaction"].evidence
    assert checks["rest.customerRefund"].failed
    assert "custbody_rs_source" in checks["rest.customerRefund"].evidence


def test_another_link_type_fails() -> None:
    """Payments linked to invoices under another link type: the Payment link check fails."""
    links = tuple(
        attrs.evolve(kind, linktype="PmtAppl") if kind.nexttype == "CustPymt" else kind
        for kind in DOCUMENTED_LINKS
    )
    setup = rig(rich_snapshot(), facts=attrs.evolve(DEFAULT_FACTS, links=links))
    check = _doctor(setup)["link.payment"]
    assert check.failed
    assert "none" in check.evidence


def test_other_signs_fail() -> None:
    """Credit memo lines signed negative on this account: the credit memo sign check fails."""
    signs = {**DEFAULT_FACTS.line_signs, "CustCred": -1}
    setup = rig(rich_snapshot(), facts=attrs.evolve(DEFAULT_FACTS, line_signs=signs))
    checks = _doctor(setup)
    assert checks["sign.creditMemo"].failed
    assert not checks["sign.invoice"].failed


def test_no_link_kind_means_not_observable_not_a_pass() -> None:
    """Without payments applied to invoices the link check says so, it does not pass."""
    snapshot = attrs.evolve(rich_snapshot(), payments=(), customer_refunds=(), deposits=())
    checks = _doctor(rig(snapshot))
    assert checks["link.payment"].verdict is Verdict.NOT_OBSERVABLE


# -- the CLI: doctor and the check before the first sync -----------------------------------------


def _world(tmp_path: Path, standin: NetSuiteStandIn) -> tuple[Path, AdapterRegistry]:
    import httpx  # noqa: PLC0415

    from refund_adapters import netsuite  # noqa: PLC0415
    from tests.netsuite.factories import BASE_URL  # noqa: PLC0415

    registry = AdapterRegistry()

    def ledger(config: Any, secrets: Any, ctx: Any) -> object:
        client = netsuite.NetSuiteClient(
            httpx.AsyncClient(transport=standin.transport()), base_url=BASE_URL
        )
        return netsuite.NetSuiteLedger(
            client,
            undeposited_funds_account=standin.undeposited_funds_account,
            currencies=standin.currency_ids,
            tax_codes=standin.tax_rates,
        )

    class Source:
        name = "stripe"

        async def list_events(self, *, since: Any, page_token: Any, limit: int) -> rc.Page[Any]:
            event = rc.RefundEvent(
                source="stripe",
                refund_id="re_doc",
                amount=rc.Money.of("5.00", "USD"),
                created_at=rc_at("2026-04-01"),
                status=rc.RefundStatus.SUCCEEDED,
                payment_ref="ch_1",
            )
            return rc.Page([event], None)

    registry.register("ledger", "ns", ledger)
    registry.register("source", "src", lambda c, s, x: Source())
    config = tmp_path / "refund-sync.toml"
    config.write_text(
        '[journal]\ndir = "j"\n\n[[accounts]]\nid = "acme"\npolicy = "stripe_connector"\n'
        'direction = "incoming"\nstart = "2026-01-01T00:00:00Z"\n'
        'channel = { name = "stripe", kind = "marketplace" }\n\n'
        '[accounts.settings]\npartial_refund_item = "PARTIAL"\n\n'
        '[accounts.source]\nadapter = "src"\n\n[accounts.ledger]\nadapter = "ns"\n',
        encoding="utf-8",
    )
    return config, registry


def rc_at(day: str) -> Any:
    """A UTC moment of a day."""
    from tests.builders import at  # noqa: PLC0415

    return at(day)


def test_doctor_command_prints_json_and_exits_by_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """refund-sync doctor --json: one entry per check; exit 0 as it is, 1 when one fails."""
    good = NetSuiteStandIn.from_snapshot(rich_snapshot())
    config, registry = _world(tmp_path, good)
    assert main(["doctor", "--config", str(config), "--json"], registry=registry, environ={}) == 0
    document = json.loads(capsys.readouterr().out)
    (account,) = document["accounts"]
    assert account["ok"] is True
    assert {"credentials", "link.payment"} <= {c["name"] for c in account["checks"]}
    bad = NetSuiteStandIn.from_snapshot(
        rich_snapshot(),
        facts=attrs.evolve(DEFAULT_FACTS, line_signs={**DEFAULT_FACTS.line_signs, "CustCred": -1}),
    )
    config, registry = _world(tmp_path, bad)
    assert main(["doctor", "--config", str(config)], registry=registry, environ={}) == 1
    assert "[FAIL] netsuite sign.creditMemo" in capsys.readouterr().out


def test_sync_of_a_failing_account_writes_nothing_and_names_the_assumption(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The checks run before the first sync; a failure stops the account before any write."""
    facts = DEFAULT_FACTS.without_column("transaction", "custbody_rs_payment")
    standin = NetSuiteStandIn.from_snapshot(rich_snapshot(), facts=facts)
    config, registry = _world(tmp_path, standin)
    code = main(["sync", "--config", str(config)], registry=registry, environ={})
    assert code == 2
    assert "suiteql.transaction" in capsys.readouterr().err
    assert not [
        r for r in standin.requests if r.method in ("POST", "PATCH") and "/record/" in r.url.path
    ]
    kept = json.loads(
        verdict_path(load_config(config), load_config(config).accounts[0]).read_text()
    )
    assert kept["ok"] is False


def test_sync_runs_the_checks_once_per_library_version(tmp_path: Path) -> None:
    """A passed verdict is kept with its version: checks skipped next time, run on a new one."""
    standin = NetSuiteStandIn.from_snapshot(rich_snapshot())
    config, registry = _world(tmp_path, standin)
    assert main(["sync", "--config", str(config)], registry=registry, environ={}) == 0
    catalog = [r for r in standin.requests if "metadata-catalog" in r.url.path]
    assert catalog
    assert main(["sync", "--config", str(config)], registry=registry, environ={}) == 0
    assert [r for r in standin.requests if "metadata-catalog" in r.url.path] == catalog
    path = verdict_path(load_config(config), load_config(config).accounts[0])
    kept = json.loads(path.read_text())
    path.write_text(json.dumps({**kept, "version": "0.0.0"}))
    assert main(["sync", "--config", str(config)], registry=registry, environ={}) == 0
    assert len([r for r in standin.requests if "metadata-catalog" in r.url.path]) > len(catalog)
