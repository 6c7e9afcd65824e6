"""The fuzz run's report: inputs tried and bugs found per target, printed at the end of the run.

With ``REFUND_SYNC_FUZZ_REPORT=path.json`` the same figures are also written as JSON.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import attrs

from ._harness import STATS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the fuzz counts (and write them as JSON when asked)."""
    if not STATS:
        return
    write = terminalreporter.write_line
    terminalreporter.section("fuzz")
    total_inputs = sum(s.inputs for s in STATS.values())
    total_bugs = sum(s.untyped + s.runaway for s in STATS.values())
    write(f"{'target':28} {'inputs':>8} {'ok':>7} {'typed':>7} {'untyped':>8} {'runaway':>8}")
    for name, stats in sorted(STATS.items()):
        write(
            f"{name:28} {stats.inputs:>8} {stats.ok:>7} {stats.typed:>7} "
            f"{stats.untyped:>8} {stats.runaway:>8}"
        )
        for label, count in sorted(stats.distinct.items(), key=lambda item: -item[1]):
            write(f"    {count:>6} x {label}")
    write(
        f"total: {total_inputs} inputs, {total_bugs} untyped exceptions or hangs "
        f"(REFUND_SYNC_FUZZ_SEED={os.environ.get('REFUND_SYNC_FUZZ_SEED', '') or 'random'})"
    )
    report = os.environ.get("REFUND_SYNC_FUZZ_REPORT")
    if report:
        document = {name: attrs.asdict(stats) for name, stats in sorted(STATS.items())}
        Path(report).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
