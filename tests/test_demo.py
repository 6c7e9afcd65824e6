"""``refund-sync demo`` runs the sync end to end on local stand-ins, twice."""

import re

import pytest

from refund_adapters.cli import main


def _runs(output: str) -> tuple[str, str]:
    first, _, second = output.partition("=== run 2 ===")
    return first, second


def test_demo_creates_records_with_their_rules_then_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The first run creates records and says why; the second creates nothing (IDM-2)."""
    assert main(["demo"]) == 0
    first, second = _runs(capsys.readouterr().out)
    created = re.search(r"run 1: (\d+) NetSuite record\(s\) created", first)
    assert created is not None
    assert int(created.group(1)) >= 10
    assert "run 2: 0 NetSuite record(s) created, 0 storefront refund(s)" in second
    assert "run 1: 14 NetSuite record(s) created, 2 storefront refund(s)" in first
    assert "credit memo" in first
    assert "customer refund" in first


@pytest.mark.parametrize(
    "rule",
    [
        "STC-2",
        "STC-3",
        "STC-4",
        "STC-5",
        "STC-9",
        "STC-10",
        "STC-11",
        "STC-14",
        "STC-15",
        "STC-16",
        "STC-12",
        "STC-13",
        "NSC-2",
        "NSC-3",
        "NSC-5",
        "NSC-6",
        "NSC-7",
        "NSC-8",
    ],
)
def test_demo_shows_the_rule_behind_each_outcome(
    rule: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each rule the demo world exercises is named in the first run's report."""
    assert main(["demo"]) == 0
    first, _ = _runs(capsys.readouterr().out)
    assert re.search(rf"\b{rule}\b", first), f"{rule} not shown"
