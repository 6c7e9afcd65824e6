"""What ``refund-sync doctor`` reports: one check per assumption an adapter makes about an account.

Every adapter relies on facts about the service it talks to (a column exists, a link has this
direction, amounts carry this sign, an API version is still served). Some are documented,
some are not; those that are not must be checked on the live account before anything is
written. A :class:`Check` says what is assumed, the fact it rests on and how sure that fact
is, whether it holds on this account (or cannot be observed there), and the evidence. A
:class:`DoctorReport` gathers the checks of one account; it passes when none fails.

Each vendor package builds its checks in its own ``_doctor`` module, reading only (no write
is ever sent); this module holds the shared types and their text and JSON forms.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

__all__ = ["Check", "Confidence", "DoctorReport", "Verdict", "render_text"]


class Verdict(enum.StrEnum):
    """Whether an assumption holds on the account."""

    HOLDS = "holds"
    FAILS = "fails"
    NOT_OBSERVABLE = "not observable"


class Confidence(enum.StrEnum):
    """How well the fact behind an assumption is established (the NetSuite facts pack's tags)."""

    ORACLE = "O"  # documented by the vendor
    MULTI = "M"  # seen in two or more independent public sources
    SINGLE = "S"  # a single source
    UNKNOWN = "?"  # unknown or conflicting
    OWN = "own"  # the library's own configuration or custom fields


@attrs.frozen
class Check:
    """One assumption checked on one account.

    ``remedy`` says what to do when it fails (shown only then).
    """

    vendor: str
    name: str
    assumption: str
    fact: str
    confidence: Confidence
    verdict: Verdict
    evidence: str
    remedy: str = ""

    @property
    def failed(self) -> bool:
        """Whether the assumption is contradicted by the account."""
        return self.verdict is Verdict.FAILS

    def as_dict(self) -> dict[str, Any]:
        """The check as JSON-ready values."""
        return {
            "vendor": self.vendor,
            "name": self.name,
            "assumption": self.assumption,
            "fact": self.fact,
            "confidence": self.confidence.value,
            "verdict": self.verdict.value,
            "evidence": self.evidence,
            "remedy": self.remedy,
        }


@attrs.frozen
class DoctorReport:
    """Every check of one account, with the library version that ran them."""

    account: str
    version: str
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """True when no check fails."""
        return not self.failed

    @property
    def failed(self) -> tuple[Check, ...]:
        """The checks that fail."""
        return tuple(check for check in self.checks if check.failed)

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values."""
        return {
            "account": self.account,
            "version": self.version,
            "ok": self.ok,
            "checks": [check.as_dict() for check in self.checks],
        }


def _wrap(text: str, width: int, indent: str) -> list[str]:
    words = text.split()
    lines: list[str] = []
    current = ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            lines.append(indent + current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(indent + current)
    return lines


def render_text(reports: Sequence[DoctorReport] | Iterable[DoctorReport]) -> str:
    """The reports as readable text: one block per check, failures first."""
    out: list[str] = []
    for report in reports:
        status = "ok" if report.ok else f"{len(report.failed)} failed"
        out.append(f"{report.account} (refund-sync {report.version}): {status}")
        ordered = sorted(report.checks, key=lambda check: (not check.failed, check.vendor))
        for check in ordered:
            mark = {Verdict.HOLDS: "ok  ", Verdict.FAILS: "FAIL", Verdict.NOT_OBSERVABLE: "n/o "}
            out.append(f"  [{mark[check.verdict]}] {check.vendor} {check.name}")
            out.extend(_wrap(f"assumes: {check.assumption}", 92, "         "))
            out.extend(_wrap(f"fact: {check.fact} [{check.confidence.value}]", 92, "         "))
            out.extend(_wrap(f"evidence: {check.evidence}", 92, "         "))
            if check.failed and check.remedy:
                out.extend(_wrap(f"to do: {check.remedy}", 92, "         "))
        out.append("")
    return "\n".join(out)
