"""``refund-sync sync | status | retry | reconcile``: the configured accounts' day-to-day commands.

Each account gets its own SQLite journal (``journal.dir/<account id>.sqlite3``) and its own
engine, built from the adapters its config table names. ``sync`` runs the account's passes
(incoming: refunds, then payouts if configured; outgoing: NetSuite refunds to the storefront) and
ends with a summary table. On a terminal it draws a progress bar (the fraction of the time range
read so far); otherwise it writes one plain log line per page, for cron and CI logs.

Exit codes: 0 done; 1 done, but some events were dead-lettered (see ``status``, then ``retry``);
2 bad configuration or usage; 3 an account stopped on an infrastructure failure, a corrupted
journal, or another live run holding its journal (the other accounts still ran; the journal lets
the next run resume where it stopped). The crash code (4) and the signal codes (130, 143) are
the command line's (:mod:`refund_adapters.cli`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

import refund_core as rc
from refund_core.testing import MemoryJournal

from ..engine import Progress, ReconciliationReport, RunSummary, StopRequest
from ..storage import SqliteJournal
from ..wiring import (
    AccountConfig,
    AdapterRegistry,
    PassResult,
    SyncConfig,
    build_engine,
    connect,
    run_account,
)

__all__ = [
    "EXIT_DEAD_LETTERS",
    "EXIT_FAILED",
    "PassResult",
    "reconcile",
    "retry",
    "status",
    "sync",
    "sync_accounts",
    "unlock",
]

EXIT_OK = 0
EXIT_DEAD_LETTERS = 1
EXIT_FAILED = 3

Clock = Callable[[], datetime]
OutcomePrinter = Callable[[int, rc.Outcome], list[str]]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ProgressDisplay:
    """A progress bar on a terminal, plain log lines otherwise."""

    WIDTH = 24

    def __init__(self, stream: TextIO, *, account: str, clock: Clock, tty: bool) -> None:
        self._stream = stream
        self._account = account
        self._clock = clock
        self._tty = tty
        self._drawn = False

    def __call__(self, progress: Progress) -> None:
        """Show one progress report."""
        counts = (
            f"{progress.events_seen} events, {progress.planned} planned, "
            f"{progress.dead_lettered} dead-lettered"
        )
        fraction = self._fraction(progress)
        if self._tty:
            bar = "-" * self.WIDTH
            percent = "    "
            if fraction is not None:
                filled = round(fraction * self.WIDTH)
                bar = "#" * filled + "-" * (self.WIDTH - filled)
                percent = f"{fraction:4.0%}"
            self._stream.write(
                f"\r{self._account} {progress.pass_name}: [{bar}] {percent} {counts}\x1b[K"
            )
            self._drawn = True
        else:
            upto = f", up to {progress.position.isoformat()}" if progress.position else ""
            self._stream.write(
                f"refund-sync: {self._account} {progress.pass_name}: {counts}{upto}\n"
            )
        self._stream.flush()

    def _fraction(self, progress: Progress) -> float | None:
        if progress.started_from is None or progress.position is None:
            return None
        total = (self._clock() - progress.started_from).total_seconds()
        if total <= 0:
            return 1.0
        done = (progress.position - progress.started_from).total_seconds()
        return min(1.0, max(0.0, done / total))

    def finish(self) -> None:
        """End the bar's line so the next output starts clean."""
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()
            self._drawn = False


def sync_accounts(
    config: SyncConfig,
    *,
    registry: AdapterRegistry,
    environ: Mapping[str, str],
    stderr: TextIO,
    dry_run: bool,
    account_id: str | None,
    on_outcome: Callable[[rc.Outcome], None] | None = None,
    clock: Clock = _utcnow,
    tty: bool | None = None,
    stop: StopRequest | None = None,
    busy: list[str] | None = None,
) -> list[PassResult]:
    """One pass over every configured account (or the one named); the result of each pass.

    Each account runs as :func:`refund_adapters.wiring.run_account` runs it, with a progress
    display on ``stderr``. With ``busy`` given, an account whose journal another live run holds
    is reported on ``stderr``, named in ``busy`` and skipped, and the other accounts go on;
    without it, the :class:`refund_core.JournalBusyError` stops the run. ``stop`` asks the
    passes to stop.
    """
    results: list[PassResult] = []
    show_bar = stderr.isatty() if tty is None else tty
    for account in config.account(account_id):
        if stop is not None and stop.requested:
            break
        name = account.account.account_id
        display = ProgressDisplay(stderr, account=name, clock=clock, tty=show_bar)

        def warn(warning: str, name: str = name) -> None:
            stderr.write(f"refund-sync: warning: {name}: {warning}\n")

        try:
            results.extend(
                run_account(
                    config,
                    account,
                    registry=registry,
                    environ=environ,
                    dry_run=dry_run,
                    on_outcome=on_outcome,
                    on_progress=display,
                    on_warning=warn,
                    stop=stop,
                )
            )
        except rc.JournalBusyError as exc:
            if busy is None:
                raise
            busy.append(name)
            stderr.write(f"refund-sync: error: {name}: {exc}; the other accounts go on\n")
        finally:
            display.finish()
    return results


def sync(
    config: SyncConfig,
    *,
    registry: AdapterRegistry,
    environ: Mapping[str, str],
    stdout: TextIO,
    stderr: TextIO,
    dry_run: bool,
    account_id: str | None,
    render_outcome: OutcomePrinter,
    verbose: bool = False,
    clock: Clock = _utcnow,
    tty: bool | None = None,
    stop: StopRequest | None = None,
) -> int:
    """One pass over every configured account (or the one named); returns the exit code.

    Every outcome is printed in a dry run, or when ``verbose``; the summary table always. An
    account another run holds is skipped and the others go on; the exit code is then 3.
    """
    busy: list[str] = []
    began = time.monotonic()
    counter = [0]

    def show(outcome: rc.Outcome) -> None:
        counter[0] += 1
        stdout.write("\n".join(render_outcome(counter[0], outcome)) + "\n\n")

    results = sync_accounts(
        config,
        registry=registry,
        environ=environ,
        stderr=stderr,
        dry_run=dry_run,
        account_id=account_id,
        on_outcome=show if dry_run or verbose else None,
        clock=clock,
        tty=tty,
        stop=stop,
        busy=busy,
    )
    stdout.write(render_summary(results, time.monotonic() - began, dry_run=dry_run))
    if busy:
        stdout.write(f"  not run (another run holds the journal): {', '.join(busy)}\n")
        return EXIT_FAILED
    if any(result.summary.dead_lettered for result in results):
        return EXIT_DEAD_LETTERS
    return EXIT_OK


def render_summary(results: Sequence[PassResult], elapsed_s: float, *, dry_run: bool) -> str:
    """The end-of-run table: per pass, what was created, skipped, set aside; and the time."""
    created = "would create" if dry_run else "created"
    header = (
        "account",
        "pass",
        "events",
        created,
        "repeated",
        "already synced",
        "skipped",
        "unsupported",
        "dead-lettered",
        "manual",
        "elapsed",
    )
    rows: list[tuple[str, ...]] = [header]
    for result in results:
        s = result.summary
        rows.append(
            (
                result.account,
                result.pass_name,
                str(s.events_seen - s.duplicates),
                str(s.writes_created),
                str(s.writes_repeated),
                str(s.already_synced),
                str(s.skipped),
                str(s.unsupported),
                str(s.dead_lettered),
                str(s.manual_actions),
                f"{s.elapsed_s:.1f}s",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["Summary" + (" (dry run: nothing was written)" if dry_run else "")]
    for number, row in enumerate(rows):
        lines.append(
            "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        )
        if number == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    total_created = sum(r.summary.writes_created for r in results)
    total_dead = sum(r.summary.dead_lettered for r in results)
    lines.append(
        f"  total: {total_created} {created}, {total_dead} dead-lettered, elapsed {elapsed_s:.1f}s"
    )
    for result in results:
        for warning in result.summary.warnings:
            lines.append(f"  warning ({result.account}): {warning}")
    return "\n".join(lines) + "\n"


def status(config: SyncConfig, *, stdout: TextIO, account_id: str | None) -> int:
    """Print each account's journal: health, lock, cursors, events, and the dead letters.

    Exit code 3 when a journal is corrupted (``PRAGMA quick_check``), else 1 with dead letters.
    """
    dead_total = 0
    corrupted: list[str] = []
    for account in config.account(account_id):
        name = account.account.account_id
        path = config.journal_path(account)
        stdout.write(f"{name} ({account.policy.value}, {account.direction.value})\n")
        if not path.exists():
            stdout.write(f"  journal {path}: not created yet (never run)\n\n")
            continue
        # Read-only: status writes nothing, so it works on a read-only folder (and a backup).
        journal = SqliteJournal(path, read_only=True)
        try:
            problems = journal.quick_check()
            version = journal.schema_version
            stdout.write(f"  journal {path} (schema v{version})\n")
            if problems:
                corrupted.append(name)
                stdout.write(f"  CORRUPTED: {'; '.join(problems[:5])}\n")
                stdout.write("  restore it from a backup; a run would stop on it (exit 3)\n\n")
                continue
            holder = journal.lock_holder()
            if holder is None:
                stdout.write("  not running\n")
            elif holder.alive is False:
                stdout.write(
                    f"  lock left by {holder}, which is gone: the next run takes it over "
                    f"(or refund-sync unlock --account {name})\n"
                )
            else:
                stdout.write(f"  running now: {holder}\n")
            for stream, position in journal.cursors().items():
                stdout.write(f"  cursor {stream}: {position.isoformat()}\n")
            counts = journal.event_counts()
            if counts:
                stdout.write("  events: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + "\n")
            letters = journal.dead_letters()
            dead_total += len(letters)
            stdout.write(f"  dead letters: {len(letters)}\n")
            for letter in letters:
                stdout.write(
                    f"    {letter.key}  [{letter.code}]  attempts {letter.attempts}: "
                    f"{letter.message}\n"
                )
        finally:
            journal.close()
        stdout.write("\n")
    if corrupted:
        return EXIT_FAILED
    return EXIT_DEAD_LETTERS if dead_total else EXIT_OK


def unlock(config: SyncConfig, *, stdout: TextIO, account_id: str, force: bool = False) -> int:
    """Clear the account's journal lock when its run is gone (see ``SqliteJournal.unlock``)."""
    (account,) = config.account(account_id)
    path = config.journal_path(account)
    if not path.exists():
        stdout.write(f"{account_id}: journal {path} not created yet; nothing to unlock\n")
        return EXIT_OK
    with SqliteJournal(path) as journal:
        cleared = journal.unlock(force=force)
    if cleared is None:
        stdout.write(f"{account_id}: not locked\n")
    else:
        stdout.write(f"{account_id}: cleared the lock of {cleared}\n")
    return EXIT_OK


def retry(
    config: SyncConfig,
    *,
    registry: AdapterRegistry,
    environ: Mapping[str, str],
    stdout: TextIO,
    account_id: str | None,
    stderr: TextIO | None = None,
    stop: StopRequest | None = None,
) -> int:
    """Decide every dead letter again; resolved ones leave the list.

    An account another run holds is skipped (named on ``stderr``) and the others go on; the exit
    code is then 3.
    """
    began = time.monotonic()
    results: list[PassResult] = []
    remaining = 0
    busy: list[str] = []
    for account in config.account(account_id):
        if stop is not None and stop.requested:
            break
        name = account.account.account_id
        path = config.journal_path(account)
        if not path.exists():
            continue
        journal = SqliteJournal(path)
        try:

            async def retry_pass(
                account: AccountConfig = account,
                name: str = name,
                journal: SqliteJournal = journal,
            ) -> RunSummary:
                async with connect(account, environ=environ, registry=registry) as adapters:
                    engine = build_engine(
                        account,
                        adapters,
                        journal,
                        config.engine,
                        owner=f"refund-sync retry {name}",
                        stop=stop,
                    )
                    return await engine.retry_async()

            try:
                summary = asyncio.run(retry_pass())
            except rc.JournalBusyError as exc:
                busy.append(name)
                if stderr is not None:
                    stderr.write(f"refund-sync: error: {name}: {exc}; the other accounts go on\n")
                continue
            results.append(PassResult(name, "retry", summary))
            remaining += len(journal.dead_letters())
            stdout.write(
                f"{name}: {summary.resolved} of {summary.events_seen} dead letters resolved\n"
            )
        finally:
            journal.close()
    stdout.write(render_summary(results, time.monotonic() - began, dry_run=False))
    if busy:
        stdout.write(f"  not run (another run holds the journal): {', '.join(busy)}\n")
        return EXIT_FAILED
    return EXIT_DEAD_LETTERS if remaining else EXIT_OK


def reconcile(
    config: SyncConfig,
    *,
    registry: AdapterRegistry,
    environ: Mapping[str, str],
    stdout: TextIO,
    account_id: str | None,
    since: date,
    until: date | None,
    clock: Clock = _utcnow,
) -> int:
    """Compare each incoming account's source refunds in a date range with the ledger."""
    start = datetime(since.year, since.month, since.day, tzinfo=UTC)
    end = datetime(until.year, until.month, until.day, tzinfo=UTC) if until is not None else clock()
    if end <= start:
        raise rc.ConfigurationError(f"--since {since} must be before the end {end.date()}")
    unclean = False
    for account in config.account(account_id):
        name = account.account.account_id
        if account.direction is not rc.Direction.INCOMING:
            stdout.write(f"{name}: outgoing account, nothing to reconcile against a source\n")
            continue

        async def sweep(account: AccountConfig = account) -> ReconciliationReport:
            roles = ("source", "ledger")
            async with connect(
                account, environ=environ, registry=registry, roles=roles
            ) as adapters:
                adapters.require(*roles)
                engine = build_engine(
                    account,
                    adapters,
                    MemoryJournal(),  # reconciliation only reads; nothing is journalled
                    config.engine,
                )
                return await engine.reconcile_async(start, end)

        report = asyncio.run(sweep())
        stdout.write(
            f"{name}: {start.date()} .. {end.isoformat(timespec='seconds')}: "
            + ("clean" if report.is_clean else "DIFFERENCES")
            + "\n"
        )
        for key in report.missing:
            stdout.write(f"  missing in NetSuite: {key}\n")
        for external_id in report.extra:
            stdout.write(f"  extra in NetSuite (unknown to the source): {external_id}\n")
        for key, source_amount, ledger_amount in report.mismatched:
            stdout.write(f"  mismatched: {key}: source {source_amount}, NetSuite {ledger_amount}\n")
        for key in report.unreadable:
            stdout.write(f"  unreadable at the source (see sync's dead letters): {key}\n")
        unclean = unclean or not report.is_clean
    return EXIT_DEAD_LETTERS if unclean else EXIT_OK


def journal_path_for(config: SyncConfig, account: AccountConfig) -> Path:
    """Where ``account``'s journal lives (for tests and tooling)."""
    return config.journal_path(account)
