"""``refund-sync doctor``: what the adapters assume about each account, printed (read-only).

Builds each account's adapters as ``sync`` does (:func:`refund_adapters.wiring.connect`), asks
every adapter that has a doctor for its checks (:func:`refund_adapters.wiring.account_checks`),
then prints one row per assumption, or JSON with ``--json``. It exits 0 only when no check
fails. The same checks gate an account's first sync (:func:`refund_adapters.wiring.gate`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import TextIO

from refund_adapters import __version__

from .._doctor import DoctorReport, render_text
from ..wiring import AccountConfig, AdapterRegistry, SyncConfig, account_checks, connect

__all__ = ["doctor"]

EXIT_OK = 0
EXIT_FAILED_CHECKS = 1


async def _report(
    account: AccountConfig, registry: AdapterRegistry, environ: Mapping[str, str]
) -> DoctorReport:
    async with connect(account, environ=environ, registry=registry) as adapters:
        found = await account_checks(account, adapters.by_role)
    return DoctorReport(account.account.account_id, __version__, found)


def doctor(
    config: SyncConfig,
    *,
    registry: AdapterRegistry,
    environ: Mapping[str, str],
    stdout: TextIO,
    account_id: str | None,
    as_json: bool,
) -> int:
    """Check every configured account (or the one named); 0 when nothing fails."""
    reports = [
        asyncio.run(_report(account, registry, environ)) for account in config.account(account_id)
    ]
    if as_json:
        stdout.write(json.dumps({"accounts": [r.as_dict() for r in reports]}, indent=2) + "\n")
    else:
        stdout.write(render_text(reports))
    return EXIT_OK if all(report.ok for report in reports) else EXIT_FAILED_CHECKS
