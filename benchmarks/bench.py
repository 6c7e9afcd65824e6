"""The benchmark driver behind ``nox -s bench``: every section, one report, one JSON document.

``python benchmarks/bench.py [--only core,engine] [--json] [section options]``. Each section
records its figures as dotted metrics and its targets in one :class:`~_report.Report`; ``--json``
prints them as one document on stdout (the human report goes to stderr). ``--strict`` exits 1
when a target fails.

Sections: ``core`` (``bench_core.py``: the pure decisions) and ``engine`` (``bench_engine.py``:
the sync engine against latency-bound ledgers; it prints its own tables and does not yet record
metrics, so under ``--json`` its text goes to stderr and the document lists it as text-only).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_core
import bench_engine
from _report import Report

SECTIONS = ("core", "engine")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen sections and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections to run, of {', '.join(SECTIONS)} (default: all)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    bench_core.add_arguments(parser)
    args, rest = parser.parse_known_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}")
    if rest and "engine" not in chosen:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    report = Report(as_json=args.json)
    if "core" in chosen:
        bench_core.run(args, report)
        if args.profile:
            return 0
    if "engine" in chosen:
        report.method["engine"] = "text only: bench_engine.py does not record metrics yet"
        report.say()
        with contextlib.redirect_stdout(report.out):
            bench_engine.main(rest)
    passed = report.finish()
    return 1 if args.strict and not passed else 0


if __name__ == "__main__":
    raise SystemExit(main())
