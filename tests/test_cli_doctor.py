"""The doctor of every vendor through the CLI: ``refund-sync doctor`` and the gate before ``sync``.

The demo's world over HTTP (NetSuite, Stripe, Amazon, Shopify and Magento stand-ins, the real
adapters from the default registry): as it is, every account passes and syncs. One stand-in at a
time is set up to differ from what its adapter assumes; then the doctor fails that account,
naming the assumption, and its sync writes nothing, neither to NetSuite nor to the storefront.
Put back as it was, the same account syncs and writes: the world held work the gate held back.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from refund_adapters.cli import main
from refund_adapters.demo import (
    SECRETS,
    StandIns,
    build_standins,
    build_world,
    config_text,
    serving,
)
from refund_adapters.shopify._standin import published_versions
from refund_adapters.stripe import STRIPE_VERSION
from tests.builders import at


@contextlib.contextmanager
def _world(
    tmp_path: Path, edit: Callable[[str], str] = lambda text: text
) -> Iterator[tuple[Path, StandIns]]:
    world = build_world()
    with serving(build_standins(world)) as standins:
        config = tmp_path / "refund-sync.toml"
        config.write_text(edit(config_text(world, standins.urls)), encoding="utf-8")
        yield config, standins


def _writes(standins: StandIns) -> int:
    """Everything written anywhere: NetSuite records, Shopify refunds, Magento credit memos."""
    netsuite = [
        r
        for r in standins.netsuite.requests
        if r.method in ("POST", "PATCH", "PUT") and "/record/" in r.url.path
    ]
    return len(netsuite) + standins.shopify.write_count() + len(standins.magento.credit_memos)


def _cli(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(list(args), environ=SECRETS)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _break_stripe(standins: StandIns) -> Callable[[], None]:
    standins.stripe_us.unknown_versions = frozenset({STRIPE_VERSION})

    def restore() -> None:
        standins.stripe_us.unknown_versions = frozenset()

    return restore


def _break_amazon(standins: StandIns) -> Callable[[], None]:
    standins.amazon.breakdown_names = {"Principal": "Principle"}
    return standins.amazon.breakdown_names.clear


def _break_shopify(standins: StandIns) -> Callable[[], None]:
    kept = standins.shopify.api_versions
    standins.shopify.api_versions = published_versions(at("2027-03-01"))

    def restore() -> None:
        standins.shopify.api_versions = kept

    return restore


def _break_magento(standins: StandIns) -> Callable[[], None]:
    standins.magento.missing_routes = frozenset({"POST /V1/order/{orderId}/refund"})

    def restore() -> None:
        standins.magento.missing_routes = frozenset()

    return restore


@pytest.mark.parametrize(
    ("account", "breaks", "named"),
    [
        ("stripe-us", _break_stripe, "stripe api-version"),
        ("amazon-us", _break_amazon, "amazon refund.breakdown-names"),
        ("shopify-us", _break_shopify, "shopify api-version"),
        ("magento-us", _break_magento, "magento route.order-refund"),
    ],
)
def test_an_account_that_differs_syncs_nothing_until_it_passes(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    account: str,
    breaks: Callable[[StandIns], Callable[[], None]],
    named: str,
) -> None:
    """The gate stops the account before any write, naming the check; once fixed, it syncs."""
    with _world(tmp_path) as (config, standins):
        restore = breaks(standins)
        code, _, err = _cli("sync", "--config", str(config), "--account", account, capsys=capsys)
        assert code == 2
        assert named in err
        assert _writes(standins) == 0
        verdict = json.loads((tmp_path / "journals" / f"{account}.doctor.json").read_text())
        assert verdict["ok"] is False
        restore()
        code, _, _ = _cli("sync", "--config", str(config), "--account", account, capsys=capsys)
        assert code in (0, 1)  # done (1: some events were set aside, as in the demo)
        assert _writes(standins) > 0


def test_a_test_key_where_live_is_expected_stops_the_stripe_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo's test keys under mode = "live" (the default): key-mode fails, nothing written."""
    with _world(tmp_path, lambda text: text.replace('mode = "test"', 'mode = "live"')) as (
        config,
        standins,
    ):
        code, _, err = _cli(
            "sync", "--config", str(config), "--account", "stripe-jp", capsys=capsys
        )
        assert code == 2
        assert "stripe key-mode" in err
        assert _writes(standins) == 0


def test_doctor_reports_every_vendor_of_every_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """refund-sync doctor --json over the demo: each vendor's checks, nothing failed, exit 0."""
    with _world(tmp_path) as (config, standins):
        code, out, _ = _cli("doctor", "--config", str(config), "--json", capsys=capsys)
        assert _writes(standins) == 0
    assert code == 0
    accounts = {a["account"]: a for a in json.loads(out)["accounts"]}
    vendors = {
        name: {c["vendor"] for c in accounts[name]["checks"]}
        for name in ("stripe-us", "amazon-us", "shopify-us", "magento-us")
    }
    assert vendors == {
        "stripe-us": {"netsuite", "stripe"},
        "amazon-us": {"netsuite", "amazon"},
        "shopify-us": {"netsuite", "shopify"},
        "magento-us": {"netsuite", "magento"},
    }
    assert all(account["ok"] for account in accounts.values())


def test_doctor_exits_1_and_shows_the_failure_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Magento store missing a refund route: exit 1, the failed check first with its remedy."""
    with _world(tmp_path) as (config, standins):
        _break_magento(standins)
        code, out, _ = _cli(
            "doctor", "--config", str(config), "--account", "magento-us", capsys=capsys
        )
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "magento-us (refund-sync " + lines[0].split("refund-sync ")[1]
    assert "1 failed" in lines[0]
    assert lines[1] == "  [FAIL] magento route.order-refund"
    end = next(i for i, line in enumerate(lines[2:], 2) if line.startswith("  ["))
    block = [line.strip() for line in lines[2:end]]
    assert [line for line in block if line.startswith("to do:")]
