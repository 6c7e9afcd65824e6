"""Fuzzing every boundary where outside data comes in: only the library's own errors come out.

Each target gets an equal share of a time budget, ``REFUND_SYNC_FUZZ_SECONDS`` (60 by default:
the short run of the normal suite; ``nox -s fuzz`` runs 600). Inputs are drawn by Hypothesis in
batches, each batch under its own seed, until the share is spent; a failing input is shrunk and
reported with its seed. ``REFUND_SYNC_FUZZ_MODE=count`` never fails: it only counts what it finds
(how the "before" figures of issue 12 were taken). The counts are printed at the end of the run
(see ``conftest.py``).
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from ._harness import STATS, Outcome, Stats, Target, classify, record, run_mutated
from ._mutate import mutated_body
from .targets import HTTP_TARGETS, PLAIN_TARGETS, PlainTarget

BUDGET_S = float(os.environ.get("REFUND_SYNC_FUZZ_SECONDS", "60"))
COUNT_ONLY = os.environ.get("REFUND_SYNC_FUZZ_MODE", "") == "count"
SHARE_S = BUDGET_S / (len(HTTP_TARGETS) + len(PLAIN_TARGETS))
#: Reproducible in CI; a fresh region of the input space on every local run.
BASE_SEED = int(
    os.environ.get(
        "REFUND_SYNC_FUZZ_SEED", "0" if os.environ.get("CI") else str(random.randrange(10**6))
    )
)
_BATCH = 25
_SETTINGS = settings(
    max_examples=_BATCH,
    deadline=None,
    database=None,
    derandomize=False,
    suppress_health_check=list(HealthCheck),
)


def _fuzz(name: str, strategy: st.SearchStrategy[Any], check: Callable[[Any], Outcome]) -> Stats:
    """Draw inputs for ``SHARE_S`` seconds; fail on the first bug unless only counting."""
    stats = STATS.setdefault(name, Stats())
    deadline = time.monotonic() + SHARE_S
    batch = 0
    while time.monotonic() < deadline:
        batch += 1

        @_SETTINGS
        @seed(BASE_SEED * 1000 + batch)
        @given(strategy)
        def one(value: Any) -> None:
            if time.monotonic() > deadline:
                return
            outcome = check(value)
            stats.add(outcome)
            if outcome.is_bug and not COUNT_ONLY:
                raise AssertionError(f"{name}: {outcome.error} at {outcome.where}")

        one()
    return stats


@pytest.mark.parametrize("target", HTTP_TARGETS, ids=lambda t: t.name)
def test_mutated_vendor_answers_raise_only_library_errors(target: Target) -> None:
    """Every adapter, fed mutated answers, returns or raises a RefundSyncError: never a bug."""
    exchanges = record(target)
    documents = {
        index: json.loads(exchange.body)
        for index, exchange in enumerate(exchanges)
        if exchange.is_json
    }
    assert documents, f"{target.name}: no JSON answer recorded"
    strategy = st.sampled_from(sorted(documents)).flatmap(
        lambda index: mutated_body(documents[index]).map(lambda body: {index: body})
    )
    stats = _fuzz(target.name, strategy, lambda replaced: run_mutated(target, exchanges, replaced))
    assert stats.inputs > 0


@pytest.mark.parametrize("target", PLAIN_TARGETS, ids=lambda t: t.name)
def test_mutated_documents_raise_only_library_errors(target: PlainTarget) -> None:
    """Scenario, configuration and webhook readers, fed mutated documents, never crash."""
    strategy = st.sampled_from(target.seeds).flatmap(mutated_body)
    stats = _fuzz(target.name, strategy, lambda body: classify(lambda: target.call(body)))
    assert stats.inputs > 0
