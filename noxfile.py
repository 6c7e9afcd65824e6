"""Nox sessions for refund-sync: tests, lint, typecheck, docs; fuzz and bench on demand.

Every session builds its virtualenv with uv and installs exactly what ``uv.lock`` pins, via
``uv sync --locked --group <group>`` (the project itself is installed editable). Run
``python -m nox`` for all sessions or ``python -m nox -s tests -- -k money`` for one, with
arguments after ``--`` passed to the tool.
"""

from __future__ import annotations

import os
import tempfile

import nox

nox.needs_version = ">=2025.10.14"  # first release with the download_python option
nox.options.default_venv_backend = "uv"
nox.options.sessions = ["tests", "lint", "typecheck", "docs"]
# A missing interpreter is an error, never a silently skipped (and therefore green) session.
nox.options.error_on_missing_interpreters = True
# Never fetch a Python build (CI reaches PyPI only): use the 3.11 that is installed.
nox.options.download_python = "never"

PYTHON = "3.11"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def _sync(session: nox.Session, *groups: str) -> None:
    """Install the locked dependencies plus ``groups`` into the session's virtualenv."""
    group_args = [arg for group in groups for arg in ("--group", group)]
    session.run_install(
        "uv",
        "sync",
        "--locked",
        *group_args,
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
    )


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite with pytest (Hypothesis profile ``ci`` when ``CI`` is set)."""
    _sync(session, "test")
    env = {}
    if _in_ci() and "HYPOTHESIS_PROFILE" not in os.environ:
        env["HYPOTHESIS_PROFILE"] = "ci"
    session.run("pytest", *session.posargs, env=env)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Run ruff (lint and format check), import-linter and the architecture checker."""
    _sync(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("lint-imports")
    session.run("python", "tools/check_architecture.py")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """Run mypy in strict mode on src/ (configuration in pyproject.toml)."""
    _sync(session, "typecheck")
    session.run("mypy", *session.posargs)


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation with mkdocs in strict mode into a throwaway directory."""
    _sync(session, "docs")
    with tempfile.TemporaryDirectory(prefix="refund-sync-site-") as site_dir:
        session.run(
            "mkdocs",
            "build",
            "--strict",
            "--site-dir",
            site_dir,
            env={"NO_MKDOCS_2_WARNING": "1"},  # silence mkdocs-material's end-of-life banner
        )


@nox.session(python=PYTHON)
def fuzz(session: nox.Session) -> None:
    """Fuzz every boundary where outside data comes in, 10 minutes by default.

    The scenario and configuration readers, the Stripe and Shopify webhook verifiers and every
    adapter's decoding of vendor answers (``tests/fuzz``), with structure-aware mutations;
    ``python -m nox -s fuzz -- 120`` runs for 120 seconds. The normal test run includes about a
    minute of the same. Prints inputs tried and untyped exceptions per target, and writes them to
    ``fuzz-report.json``; fails on the first untyped exception or hang, with its seed.
    """
    _sync(session, "test")
    seconds = session.posargs[0] if session.posargs else "600"
    session.run(
        "pytest",
        "tests/fuzz",
        "-q",
        env={
            "REFUND_SYNC_FUZZ_SECONDS": seconds,
            "REFUND_SYNC_FUZZ_REPORT": os.path.join(session.invoked_from, "fuzz-report.json"),
        },
    )


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Run the benchmarks (not a default session: it takes minutes and CI skips it).

    ``nox -s bench -- --json`` prints one JSON document; ``-- --only core`` runs one section.
    """
    _sync(session, "test")
    session.run("python", "benchmarks/bench.py", *session.posargs)


@nox.session(python=PYTHON)
def specs(session: nox.Session) -> None:
    """Download the vendor specs the contract tests read, verifying each sha256 (not a default).

    ``tests/specs_manifest.toml`` lists them with their public addresses; they go to the cache
    that ``tests/specs.py`` reads (``-- --dest DIR`` for another folder).
    """
    _sync(session, "test")
    session.run("python", "tools/fetch_specs.py", *session.posargs)
