"""The one report every benchmark section writes into, printed as text or as one JSON document.

A section adds *metrics* (numbers under dotted keys: ``core.decisions_per_s.stripe_refund``) and
*targets* (a metric, a comparison and a limit, judged pass or fail) and says what it measured in
plain lines. ``--json`` prints the metrics, the targets and how they were measured as one
document on stdout; the plain lines then go to stderr, so the document stays parseable.
"""

from __future__ import annotations

import json
import operator
import platform
import sys
from collections.abc import Callable
from typing import Any, TextIO

import attrs

_OPS: dict[str, Callable[[float, float], bool]] = {">=": operator.ge, "<=": operator.le}


@attrs.frozen
class Target:
    """A target on one metric: ``metric op limit`` (``core.payout_ms_10000 <= 50``)."""

    name: str
    metric: str
    op: str
    limit: float
    why: str = ""

    def judge(self, value: float) -> bool:
        """Whether ``value`` meets the target."""
        return _OPS[self.op](value, self.limit)


@attrs.define
class Report:
    """Metrics, targets and notes of one benchmark run, across its sections."""

    as_json: bool = False
    metrics: dict[str, float] = attrs.Factory(dict)
    targets: list[Target] = attrs.Factory(list)
    method: dict[str, str] = attrs.Factory(dict)

    @property
    def out(self) -> TextIO:
        """Where the plain text goes: stdout, or stderr when stdout carries the JSON."""
        return sys.stderr if self.as_json else sys.stdout

    def say(self, line: str = "") -> None:
        """Print one line of the human report."""
        print(line, file=self.out, flush=True)

    def metric(self, key: str, value: float) -> None:
        """Record a number under a dotted key; a key is written once."""
        if key in self.metrics:
            raise ValueError(f"metric {key} recorded twice")
        self.metrics[key] = float(value)

    def target(self, name: str, metric: str, op: str, limit: float, why: str = "") -> None:
        """Declare a target on a metric recorded (or to be recorded) in this run."""
        if op not in _OPS:
            raise ValueError(f"unknown comparison {op!r}")
        self.targets.append(Target(name, metric, op, limit, why))

    def verdicts(self) -> dict[str, dict[str, Any]]:
        """Each target with its value and pass/fail (a target whose metric is missing fails)."""
        out: dict[str, dict[str, Any]] = {}
        for target in self.targets:
            value = self.metrics.get(target.metric)
            out[target.name] = {
                "metric": target.metric,
                "op": target.op,
                "limit": target.limit,
                "value": value,
                "pass": value is not None and target.judge(value),
                "why": target.why,
            }
        return out

    def document(self) -> dict[str, Any]:
        """The JSON document: every metric at the top level, then ``targets`` and ``meta``."""
        verdicts = self.verdicts()
        return {
            **dict(sorted(self.metrics.items())),
            "targets": verdicts,
            "all_targets_pass": all(v["pass"] for v in verdicts.values()),
            "meta": {
                "python": platform.python_version(),
                "implementation": platform.python_implementation(),
                "machine": platform.machine(),
                "method": self.method,
            },
        }

    def finish(self) -> bool:
        """Print the verdicts (and the JSON document); whether every target passes."""
        verdicts = self.verdicts()
        self.say()
        self.say("targets:")
        for name, verdict in verdicts.items():
            value = verdict["value"]
            shown = "missing" if value is None else f"{value:,.1f}"
            self.say(
                f"  {'PASS' if verdict['pass'] else 'FAIL'}  {name}: {verdict['metric']} = "
                f"{shown} (target {verdict['op']} {verdict['limit']:,g})"
            )
        if self.as_json:
            json.dump(self.document(), sys.stdout, indent=2)
            sys.stdout.write("\n")
        return all(v["pass"] for v in verdicts.values())
