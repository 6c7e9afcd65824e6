"""The ``refund-sync plan`` command: shipped examples, JSON output and clean errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import refund_core
from refund_adapters.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
GOOD = sorted(EXAMPLES.glob("*.json"))
BROKEN = EXAMPLES / "broken" / "broken-over-refund.json"

# What each shipped example must demonstrate: (outcome kind, rule IDs its plan must carry).
EXPECTED_RULES = {
    "stripe-partial-refund-multiline-invoice.json": {"STC-4", "STC-15"},
    "stripe-refund-two-applications.json": {"STC-4", "STC-5", "STC-7", "STC-9", "STC-14", "STC-16"},
    "stripe-ach-failure-and-payout.json": {"STC-10", "STC-12", "STC-13", "STC-2"},
    "netsuite-split-shipment-cash-sale.json": {"NSC-2", "NSC-3", "NSC-5"},
    "netsuite-jpy-zero-decimal.json": {"NSC-3", "NSC-4", "NSC-5"},
    "outgoing-shopify-gift-card.json": {"NSC-7", "NSC-8"},
    "netsuite-incoming-gift-card.json": {"NSC-3", "NSC-8", "SHP-1"},
    "stripe-taxed-partial-refunds.json": {"STC-14", "TAX-2", "TAX-3"},
    "stripe-dispute-won-and-payout.json": {"DSP-1", "DSP-2", "STC-6", "STC-13"},
}


def _plan(path: Path) -> list[refund_core.Outcome]:
    scenario = refund_core.loads_scenario(path.read_text(encoding="utf-8"))
    return list(refund_core.plan_scenario(scenario).outcomes)


def _rule_ids(outcome: refund_core.Outcome) -> tuple[str, ...]:
    return outcome.rule_ids


def test_every_named_example_is_shipped() -> None:
    """The examples listed in EXPECTED_RULES exist, each with a description."""
    names = {path.name for path in GOOD}
    assert set(EXPECTED_RULES) <= names
    for path in GOOD:
        assert json.loads(path.read_text(encoding="utf-8"))["description"]


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_example_plans_and_prints_every_rule(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each example exits 0, every outcome is a plan, and the table shows each rule ID it cites."""
    assert main(["plan", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    outcomes = _plan(path)
    assert outcomes
    assert all(isinstance(o, refund_core.Plan) for o in outcomes)
    for outcome in outcomes:
        assert str(outcome.key) in out
        for rule in _rule_ids(outcome):
            assert rule in out
    cited = {rule for outcome in outcomes for rule in _rule_ids(outcome)}
    assert EXPECTED_RULES.get(path.name, set()) <= cited


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_json_output_round_trips(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--json`` prints {"outcomes": [...]} that structures back into equal outcomes (IDM-1)."""
    assert main(["plan", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    expected = _plan(path)
    assert len(data["outcomes"]) == len(expected)
    for item, outcome in zip(data["outcomes"], expected, strict=True):
        outcome_type: Any = refund_core.Outcome  # a union, which mypy cannot pass as type[T]
        assert refund_core.converter.structure(item, outcome_type) == outcome


def test_partial_refund_table_shows_refund_item_and_account(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """STC-15: the text table names the partial refund item and the deferred-revenue account."""
    assert main(["plan", str(EXAMPLES / "stripe-partial-refund-multiline-invoice.json")]) == 0
    out = capsys.readouterr().out
    assert "Stripe Partial Refund Item" in out
    assert "2400 Deferred Revenue" in out
    assert "credit memo" in out
    assert "customer refund" in out


def test_payout_table_lists_other_deposit_lines(capsys: pytest.CaptureFixture[str]) -> None:
    """STC-13: fee and fee refund appear as Other Deposits lines of the payout's deposit."""
    assert main(["plan", str(EXAMPLES / "stripe-ach-failure-and-payout.json")]) == 0
    out = capsys.readouterr().out
    assert "payment failed" in out
    assert "other deposit: 6150 Stripe Fees  -9.00 USD" in out
    assert "other deposit: 6150 Stripe Fees  10.80 USD" in out


def test_over_refund_exits_2_naming_amounts(capsys: pytest.CaptureFixture[str]) -> None:
    """MNY-4: the broken example is rejected with exit 2, naming the asked and left amounts."""
    assert main(["plan", str(BROKEN)]) == 2
    out, err = capsys.readouterr()
    assert "REJECTED" in out
    assert "[over_refund]" in out
    assert err.startswith("refund-sync: error: 1 of 1 event(s) rejected")
    for text in (out, err):
        assert "150.00 USD" in text
        assert "100.00 USD" in text
    assert "Traceback" not in err


def test_invalid_json_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file that is not JSON is reported in one line with exit 2."""
    path = tmp_path / "bad.json"
    path.write_text("{ not json", encoding="utf-8")
    assert main(["plan", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("refund-sync: error: ")
    assert "not valid JSON" in err
    assert "Traceback" not in err


def test_unknown_field_names_its_json_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown field is reported with its JSON path and exit 2."""
    data = json.loads(GOOD[0].read_text(encoding="utf-8"))
    data["events"][0]["colour"] = "blue"
    path = tmp_path / "unknown.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert main(["plan", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("refund-sync: error: ")
    assert "$.events[0]" in err
    assert "colour" in err
    assert "Traceback" not in err


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing scenario file is reported with exit 2 and no traceback."""
    assert main(["plan", str(tmp_path / "nope.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("refund-sync: error: ")
    assert "nope.json" in err
    assert "Traceback" not in err


def test_configuration_error_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A settings combination that cannot run is a clean error with exit 2."""
    data = json.loads((EXAMPLES / "stripe-partial-refund-multiline-invoice.json").read_text())
    data["settings"] = {"revenue_recognition": True}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert main(["plan", str(path)]) == 2
    err = capsys.readouterr().err
    assert "deferred_revenue_account" in err
    assert "Traceback" not in err


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """No subcommand is a usage error with exit 2."""
    assert main([]) == 2
    assert "usage:" in capsys.readouterr().err
