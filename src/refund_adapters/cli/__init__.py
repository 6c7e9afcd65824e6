"""The ``refund-sync`` command line.

``refund-sync plan SCENARIO.json`` reads a scenario document (:class:`refund_core.Scenario`),
plans every event in order and prints each outcome as a readable table, or as JSON with
``--json``. It performs nothing: planning is pure. ``refund-sync demo`` runs the whole sync on
local stand-ins with no configuration.

``refund-sync sync --config refund-sync.toml [--dry-run]`` runs the configured accounts;
``status``, ``retry``, ``reconcile --since DATE`` and ``unlock --account ID`` look after them
(see ``_sync``); ``doctor`` checks, reading only, what the adapters assume about each account.
Intent: a thin face. What an account is made of and how it runs is
:mod:`refund_adapters.wiring`'s (the configuration file, the adapter registry, the journal, the
engine, the doctor's gate); this package parses arguments, prints, and maps errors to exit codes.

Exit codes a scheduler can trust, each with one ``refund-sync: ...`` line and never a traceback:
0 done; 1 done, with dead letters (or reconciliation differences); 2 bad input, configuration
or usage; 3 an infrastructure failure (a vendor down or answering nonsense, the journal
unreadable, busy or corrupted; the next run resumes); 4 a crash, an error that is not one of
the library's: a bug, named in one line, its full traceback written to a file the line names;
130 and 143 stopped by Ctrl-C (SIGINT) or SIGTERM: the writes under way finished and were
journalled, and the next run resumes.
"""

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from types import FrameType
from typing import TextIO

import refund_core
from refund_core import RefundSyncError, Rejected

from .._http import UpstreamError
from ..demo import run_demo
from ..engine import StopRequest, SyncStopped
from ..wiring import AdapterConfig, AdapterRegistry, BuildContext, default_registry, load_config
from ._doctor import doctor
from ._render import render_outcome, render_text
from ._sync import EXIT_FAILED, reconcile, retry, status, sync, unlock

__all__ = [
    "AdapterConfig",
    "AdapterRegistry",
    "BuildContext",
    "default_registry",
    "main",
    "render_outcome",
    "render_text",
]

PROG = "refund-sync"
EXIT_OK = 0
EXIT_ERROR = 2
#: An error that is not one of the library's: a bug (see :func:`_crash`).
EXIT_CRASH = 4
#: 128 + the signal's number, as shells report a process a signal stopped.
EXIT_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143}


class _StderrHandler(logging.Handler):
    """Log lines on whatever ``sys.stderr`` is when they are written, prefixed like errors."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(f"{PROG}: {record.levelname.lower()}: {self.format(record)}\n")
        except Exception:  # logging must never break the run
            self.handleError(record)


def _log_to_stderr() -> None:
    """Warnings and errors of the library (IDs, codes, timings; never secrets) go to stderr."""
    logger = logging.getLogger("refund_sync")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        logger.addHandler(_StderrHandler(logging.WARNING))


class _UsageError(Exception):
    """argparse reported bad usage; the message is already printed."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise _UsageError(message)


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Plan refund sync between storefronts, Stripe and NetSuite.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    plan = commands.add_parser(
        "plan",
        help="plan every event of a scenario document and print the outcomes",
        description=(
            "Read a scenario document, decide each event against the ledger as the earlier "
            "plans left it, and print the outcomes. Nothing is written anywhere."
        ),
    )
    plan.add_argument("scenario", metavar="SCENARIO.json", help="the scenario document")
    plan.add_argument("--json", action="store_true", help='print {"outcomes": [...]} as JSON')
    commands.add_parser(
        "demo",
        help="run the whole sync on local stand-ins, twice, and show what was created and why",
        description=(
            "Needs no configuration: starts local stand-ins of NetSuite, Stripe, Amazon, "
            "Shopify and Magento on 127.0.0.1, syncs a sample world through the real adapters "
            "with an SQLite journal per account in a temporary folder, prints every outcome "
            "with its rule IDs, then runs again to show that nothing new is created."
        ),
    )
    config_help = "the configuration file (default: refund-sync.toml)"
    account_help = "only this account (default: every configured account)"
    sync_cmd = commands.add_parser(
        "sync",
        help="one pass over the configured accounts",
        description=(
            "Run every configured account once: incoming refunds (and payouts) or outgoing "
            "NetSuite refunds, through the engine and each account's SQLite journal. Exit "
            "codes: 0 done, 1 done with dead letters, 2 bad configuration, 3 infrastructure "
            "failure (the next run resumes)."
        ),
    )
    sync_cmd.add_argument("--config", default="refund-sync.toml", help=config_help)
    sync_cmd.add_argument("--account", help=account_help)
    sync_cmd.add_argument(
        "--dry-run", action="store_true", help="print the plans and write nothing anywhere"
    )
    sync_cmd.add_argument(
        "-v", "--verbose", action="store_true", help="print every outcome with its rules"
    )
    status_cmd = commands.add_parser(
        "status", help="show each account's journal: cursors, events, dead letters"
    )
    status_cmd.add_argument("--config", default="refund-sync.toml", help=config_help)
    status_cmd.add_argument("--account", help=account_help)
    retry_cmd = commands.add_parser(
        "retry", help="decide the dead letters again against the ledger as it is now"
    )
    retry_cmd.add_argument("--config", default="refund-sync.toml", help=config_help)
    retry_cmd.add_argument("--account", help=account_help)
    doctor_cmd = commands.add_parser(
        "doctor",
        help="check, reading only, what the adapters assume about each configured account",
        description=(
            "Reads only. One row per assumption: what is assumed, the fact it rests on and "
            "its confidence, whether it holds on the account (or cannot be observed), and "
            "the evidence. Exit code 0 only when nothing fails. The same checks run before an "
            "account's first sync and after the library's version changes."
        ),
    )
    doctor_cmd.add_argument("--config", default="refund-sync.toml", help=config_help)
    doctor_cmd.add_argument("--account", help=account_help)
    doctor_cmd.add_argument("--json", action="store_true", help="print the report as JSON")
    reconcile_cmd = commands.add_parser(
        "reconcile",
        help="compare the source's refunds since a date with what NetSuite holds",
        description=(
            "Reads only. Reports refunds missing in NetSuite, records NetSuite holds that the "
            "source does not know, and refunds whose amounts differ. Exit code 1 when any."
        ),
    )
    reconcile_cmd.add_argument("--config", default="refund-sync.toml", help=config_help)
    reconcile_cmd.add_argument("--account", help=account_help)
    reconcile_cmd.add_argument(
        "--since", required=True, type=_date, metavar="DATE", help="first day, YYYY-MM-DD (UTC)"
    )
    reconcile_cmd.add_argument(
        "--until", type=_date, metavar="DATE", help="day after the last, YYYY-MM-DD (default: now)"
    )
    unlock_cmd = commands.add_parser(
        "unlock",
        help="clear an account's journal lock whose run is gone",
        description=(
            "A run holds its account's journal while it works. A run killed outright leaves its "
            "lock behind; the next run on this host takes it over by itself, and this command "
            "clears it by hand. It refuses, naming the holder, while that run is alive (a "
            "process that merely reuses its process ID does not count). A lock taken on "
            "another host cannot be checked from here: --force clears it, once you know that "
            "run is over."
        ),
    )
    unlock_cmd.add_argument("--config", default="refund-sync.toml", help=config_help)
    unlock_cmd.add_argument("--account", required=True, help="the account whose lock to clear")
    unlock_cmd.add_argument(
        "--force",
        action="store_true",
        help="also clear a lock held on another host (whose run cannot be checked from here)",
    )
    return parser


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _plan_command(path: str, as_json: bool, stdout: TextIO) -> int:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise refund_core.InvalidInputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise refund_core.InvalidInputError(f"{path}: cannot read: {exc}") from None
    scenario = refund_core.loads_scenario(text)
    result = refund_core.plan_scenario(scenario)
    if as_json:
        # Through ScenarioResult, so each outcome carries its "type" tag (a union member).
        document = {"outcomes": refund_core.unstructure(result)["outcomes"]}
        stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        stdout.write(render_text(result.outcomes, scenario.description, result.warnings))
    rejected = [outcome for outcome in result.outcomes if isinstance(outcome, Rejected)]
    if rejected:
        # Every event was reported above; the exit code still says the input was refused.
        first = rejected[0]
        sys.stderr.write(
            f"{PROG}: error: {len(rejected)} of {len(result.outcomes)} event(s) rejected; "
            f"{first.key}: {first.message}\n"
        )
        return EXIT_ERROR
    return EXIT_OK


def _run(
    args: argparse.Namespace,
    registry: AdapterRegistry,
    environ: Mapping[str, str],
    stop: StopRequest,
) -> int:
    if args.command == "demo":
        return run_demo(sys.stdout, render_outcome)
    if args.command == "plan":
        return _plan_command(args.scenario, args.json, sys.stdout)
    config = load_config(args.config)
    if args.command == "sync":
        return sync(
            config,
            registry=registry,
            environ=environ,
            stdout=sys.stdout,
            stderr=sys.stderr,
            dry_run=args.dry_run,
            account_id=args.account,
            render_outcome=render_outcome,
            verbose=args.verbose,
            stop=stop,
        )
    if args.command == "status":
        return status(config, stdout=sys.stdout, account_id=args.account)
    if args.command == "doctor":
        return doctor(
            config,
            registry=registry,
            environ=environ,
            stdout=sys.stdout,
            account_id=args.account,
            as_json=args.json,
        )
    if args.command == "unlock":
        return unlock(config, stdout=sys.stdout, account_id=args.account, force=args.force)
    if args.command == "retry":
        return retry(
            config,
            registry=registry,
            environ=environ,
            stdout=sys.stdout,
            stderr=sys.stderr,
            account_id=args.account,
            stop=stop,
        )
    return reconcile(
        config,
        registry=registry,
        environ=environ,
        stdout=sys.stdout,
        account_id=args.account,
        since=args.since,
        until=args.until,
    )


def main(
    argv: Sequence[str] | None = None,
    *,
    registry: AdapterRegistry | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Run ``refund-sync``; returns the exit code.

    0 success; 1 done but with dead letters or reconciliation differences; 2 bad input,
    configuration or usage; 3 an infrastructure failure stopped the run; 4 a crash (a bug: one
    line, the traceback in a file); 130/143 stopped by SIGINT/SIGTERM. ``registry`` adds
    your own adapters (default: :func:`default_registry`); ``environ`` is where secrets are
    read from (default: ``os.environ``).
    """
    _printable_output()
    parser = _build_parser()
    _log_to_stderr()
    try:
        args = parser.parse_args(argv)
    except _UsageError:
        return EXIT_ERROR
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    stop = StopRequest()
    try:
        with _stopping_on_signals(stop, graceful=args.command in ("sync", "retry")):
            return _run(
                args,
                registry if registry is not None else default_registry(),
                os.environ if environ is None else environ,
                stop,
            )
    except SyncStopped as exc:
        sys.stderr.write(f"{PROG}: {exc}\n")
        return EXIT_SIGNAL.get(_signal_of(stop), EXIT_SIGNAL[signal.SIGINT])
    except KeyboardInterrupt:
        sys.stderr.write(
            f"{PROG}: interrupted; writes begun were journalled as begun, and the next run "
            "looks each one up before writing again\n"
        )
        return EXIT_SIGNAL[signal.SIGINT]
    except RefundSyncError as exc:
        bad_input = isinstance(exc, refund_core.InvalidInputError) and not isinstance(
            exc, UpstreamError
        )
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return EXIT_ERROR if bad_input else EXIT_FAILED
    except (ConnectionError, TimeoutError, PermissionError) as exc:
        sys.stderr.write(f"{PROG}: error: {type(exc).__name__}: {exc}\n")
        return EXIT_FAILED
    except Exception as exc:
        sys.stderr.write(_crash(exc) + "\n")
        return EXIT_CRASH


def _printable_output() -> None:
    """Whatever text is shown (an ID holding a lone surrogate), it is escaped, never a crash."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")


def _signal_of(stop: StopRequest) -> signal.Signals:
    return signal.SIGTERM if stop.reason == signal.SIGTERM.name else signal.SIGINT


@contextlib.contextmanager
def _stopping_on_signals(stop: StopRequest, *, graceful: bool) -> Iterator[None]:
    """SIGINT and SIGTERM stop the run cleanly; a second one stops it at once.

    For ``sync`` and ``retry`` (``graceful``) the first signal asks the engine to stop: no new
    event is taken, the writes under way finish and are journalled. Every other command simply
    ends on the first (as a Ctrl-C), with one line and no traceback. Handlers are installed in
    the main thread only, and put back afterwards.
    """
    if not _main_thread():
        yield
        return

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if graceful and not stop.requested:
            stop.request(name)
            sys.stderr.write(
                f"{PROG}: {name}: stopping once the writes under way are done "
                "(again to stop at once)\n"
            )
            return
        stop.request(name)
        raise KeyboardInterrupt(name)

    previous = {sig: signal.signal(sig, on_signal) for sig in EXIT_SIGNAL}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _crash(exc: BaseException) -> str:
    """One line naming the bug and where its full traceback was written (a file, see below).

    The traceback goes to ``refund-sync-crash-<time>-<pid>.txt`` in the temporary folder
    (``$TMPDIR``): it names code and line numbers, never secrets (no local variables).
    """
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    summary = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = Path(tempfile.gettempdir()) / f"refund-sync-crash-{stamp}-{os.getpid()}.txt"
    try:
        path.write_text(
            "".join(traceback.format_exception(exc)), encoding="utf-8", errors="backslashreplace"
        )
        written = f"traceback in {path}"
    except OSError as error:
        written = f"the traceback could not be written to {path}: {error}"
    return f"{PROG}: crash: {summary}{where} (a bug in refund-sync; {written})"
