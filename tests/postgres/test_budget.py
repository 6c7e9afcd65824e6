"""A NetSuite account's concurrency budget shared through PostgreSQL by every process."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest

from refund_adapters._pacing import Limiter
from refund_adapters._standin import StandIn
from refund_adapters.postgres import BudgetDeadlineError, PostgresBudgets, SharedBudget
from tests.postgres_server import fresh_account

TARGET_PREFIX = "netsuite:"


def _target() -> str:
    return TARGET_PREFIX + fresh_account()


class Probe:
    """Counts what is in flight under any number of budgets at once, and the peak."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self.done = 0

    async def request(self, limiter: Limiter, hold_s: float) -> None:
        """One request that holds its slot ``hold_s`` seconds."""
        async with limiter:
            self.now += 1
            self.peak = max(self.peak, self.now)
            try:
                await asyncio.sleep(hold_s)
            finally:
                self.now -= 1
        self.done += 1


def _run(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(body())


def test_a_budget_is_a_limiter(postgres_url: str, postgres_schema: str) -> None:
    """SharedBudget plugs in wherever an adapter takes a Limiter."""

    async def body() -> None:
        async with PostgresBudgets(postgres_url, schema=postgres_schema) as budgets:
            assert isinstance(budgets.budget(_target(), 5), Limiter)

    _run(body)


def test_one_process_never_exceeds_the_limit(postgres_url: str, postgres_schema: str) -> None:
    """Twenty requests at once under a budget of 3: never more than 3 in flight, all done."""
    probe = Probe()

    async def body() -> None:
        async with PostgresBudgets(postgres_url, schema=postgres_schema) as budgets:
            budget = budgets.budget(_target(), 3)
            await asyncio.gather(*(probe.request(budget, 0.02) for _ in range(20)))
            assert isinstance(budget, SharedBudget)
            assert budget.peak_in_flight == 3

    _run(body)
    assert (probe.peak, probe.done, probe.now) == (3, 20, 0)


def test_two_sessions_share_one_budget(postgres_url: str, postgres_schema: str) -> None:
    """Two processes' budgets (two sessions) of one account together stay within its limit."""
    probe = Probe()
    target = _target()

    async def body() -> None:
        async with (
            PostgresBudgets(postgres_url, schema=postgres_schema) as one,
            PostgresBudgets(postgres_url, schema=postgres_schema) as two,
        ):
            first, second = one.budget(target, 4), two.budget(target, 4)
            await asyncio.gather(
                *(probe.request(first, 0.02) for _ in range(20)),
                *(probe.request(second, 0.02) for _ in range(20)),
            )
            assert first.peak_in_flight >= 1
            assert second.peak_in_flight >= 1

    _run(body)
    assert probe.peak <= 4
    assert probe.done == 40


def test_different_limits_never_exceed_the_largest(postgres_url: str, postgres_schema: str) -> None:
    """Workers configured with 2 and 3 slots for one account use slots 0..2 at most."""
    probe = Probe()
    target = _target()

    async def body() -> None:
        async with (
            PostgresBudgets(postgres_url, schema=postgres_schema) as one,
            PostgresBudgets(postgres_url, schema=postgres_schema) as two,
        ):
            await asyncio.gather(
                *(probe.request(one.budget(target, 2), 0.02) for _ in range(15)),
                *(probe.request(two.budget(target, 3), 0.02) for _ in range(15)),
            )

    _run(body)
    assert probe.peak == 3
    assert probe.done == 30


def test_slots_in_use_are_counted_across_processes(postgres_url: str, postgres_schema: str) -> None:
    """in_flight counts the slots held now by live holders, per target."""
    target = _target()

    async def body() -> None:
        async with (
            PostgresBudgets(postgres_url, schema=postgres_schema) as one,
            PostgresBudgets(postgres_url, schema=postgres_schema) as two,
        ):
            held = asyncio.Event()
            release = asyncio.Event()

            async def hold(budget: SharedBudget) -> None:
                async with budget:
                    held.set()
                    await release.wait()

            tasks = [asyncio.create_task(hold(one.budget(target, 5))) for _ in range(2)]
            tasks.append(asyncio.create_task(hold(two.budget(target, 5))))
            while sum(b.in_flight for b in (one.budget(target, 5), two.budget(target, 5))) < 3:
                await asyncio.sleep(0.01)
            assert (await two.in_flight()).get(target) == 3
            release.set()
            await asyncio.gather(*tasks)
            assert target not in await one.in_flight()

    _run(body)


def test_a_request_past_its_deadline_is_cut_off_and_frees_its_slot(
    postgres_url: str, postgres_schema: str
) -> None:
    """A request still in flight just before its slot's lease ends raises, and frees the slot."""
    target = _target()

    async def body() -> None:
        async with PostgresBudgets(
            postgres_url, schema=postgres_schema, slot_lease_s=0.6, deadline_margin_s=0.3
        ) as budgets:
            budget = budgets.budget(target, 1)
            began = time.monotonic()
            with pytest.raises(BudgetDeadlineError, match="cut off"):
                async with budget:
                    await asyncio.sleep(5)
            assert time.monotonic() - began < 1.0
            async with asyncio.timeout(1), budget:  # the only slot is free again at once
                pass

    _run(body)


def test_a_cancelled_waiter_leaks_no_slot(postgres_url: str, postgres_schema: str) -> None:
    """Requests cancelled while they wait for a slot leave the budget whole."""
    target = _target()
    probe = Probe()

    async def body() -> None:
        async with PostgresBudgets(postgres_url, schema=postgres_schema) as budgets:
            budget = budgets.budget(target, 2)
            waiting = [asyncio.create_task(probe.request(budget, 0.2)) for _ in range(6)]
            await asyncio.sleep(0.05)
            for task in waiting[2:]:
                task.cancel()
            await asyncio.gather(*waiting, return_exceptions=True)
            assert budget.in_flight == 0
            await asyncio.gather(*(probe.request(budget, 0.01) for _ in range(4)))
            assert (await budgets.in_flight()).get(target) is None

    _run(body)
    assert probe.done == 2 + 4


def test_a_stalled_holder_loses_its_slot_when_the_lease_runs_out(
    postgres_url: str, postgres_schema: str
) -> None:
    """A slot taken by a live session that never frees it is taken over once its lease ends."""
    target = _target()

    async def body() -> None:
        async with (
            PostgresBudgets(
                postgres_url, schema=postgres_schema, slot_lease_s=0.5, deadline_margin_s=0.2
            ) as stalled,
            PostgresBudgets(postgres_url, schema=postgres_schema) as other,
        ):
            await stalled.take(target, 1)  # taken and never given back: a hung worker
            began = time.monotonic()
            async with asyncio.timeout(5), other.budget(target, 1):
                waited = time.monotonic() - began
            assert 0.3 < waited < 2.0

    _run(body)


_HOLD_ALL = """
import asyncio, sys
from refund_adapters.postgres import PostgresBudgets

async def main():
    async with PostgresBudgets(sys.argv[1], schema=sys.argv[2]) as budgets:
        budget = budgets.budget(sys.argv[3], 2)
        async def hold():
            async with budget:
                await asyncio.sleep(3600)
        tasks = [asyncio.create_task(hold()) for _ in range(2)]
        while budget.in_flight < 2:
            await asyncio.sleep(0.01)
        print("holding", flush=True)
        await asyncio.gather(*tasks)

asyncio.run(main())
"""


def test_a_killed_process_frees_its_slots_at_once(postgres_url: str, postgres_schema: str) -> None:
    """A worker killed outright (SIGKILL) while holding every slot frees them within moments."""
    target = _target()
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_ALL, postgres_url, postgres_schema, target],
        stdout=subprocess.PIPE,
        text=True,
    )
    with holder:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"

        async def body() -> None:
            async with PostgresBudgets(postgres_url, schema=postgres_schema) as budgets:
                budget = budgets.budget(target, 2)
                with pytest.raises(TimeoutError):
                    async with asyncio.timeout(0.5), budget:
                        pytest.fail("took a slot another live process holds")
                holder.kill()
                holder.wait(timeout=30)
                async with asyncio.timeout(5), budget:  # the session ended: its slots are free
                    pass

        _run(body)


class Echo(StandIn):
    """A vendor that answers 200 after its latency and refuses requests over its limit."""

    service = "echo"

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Always fine."""
        return httpx.Response(200, json={"ok": True})


_SEND = """
import asyncio, sys
import httpx
from refund_adapters.postgres import PostgresBudgets

async def main():
    async with PostgresBudgets(sys.argv[1], schema=sys.argv[2]) as budgets:
        budget = budgets.budget(sys.argv[3], int(sys.argv[4]))
        async with httpx.AsyncClient(base_url=sys.argv[5]) as client:
            async def one():
                async with budget:
                    response = await client.get("/")
                    response.raise_for_status()
            await asyncio.gather(*(one() for _ in range(int(sys.argv[6]))))
    print("sent", flush=True)

asyncio.run(main())
"""


def test_processes_sharing_a_budget_never_exceed_the_vendors_limit(
    postgres_url: str, postgres_schema: str
) -> None:
    """Three processes, 30 requests each, limit 4: the vendor never sees more than 4 at once."""
    target = _target()
    vendor = Echo()
    vendor.faults.latency_s = 0.02
    vendor.faults.concurrency_limit = 4
    with vendor.serve() as server:
        senders = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    _SEND,
                    postgres_url,
                    postgres_schema,
                    target,
                    "4",
                    server.base_url,
                    "30",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        for sender in senders:
            out, err = sender.communicate(timeout=120)
            assert (sender.returncode, out.strip()) == (0, "sent"), err
    assert len(vendor.requests) == 90
    assert vendor.rejected_over_limit == 0
    assert 2 <= vendor.peak_in_flight <= 4  # shared, and used: they overlapped


def test_processes_with_steady_demand_take_turns(postgres_url: str, postgres_schema: str) -> None:
    """Two sessions that always want every slot both progress through the run, not one after."""
    target = _target()
    finished: dict[str, list[float]] = {"one": [], "two": []}

    async def body() -> None:
        async with (
            PostgresBudgets(postgres_url, schema=postgres_schema, turn_s=0.2) as one,
            PostgresBudgets(postgres_url, schema=postgres_schema, turn_s=0.2) as two,
        ):
            began = time.monotonic()

            async def request(name: str, budget: SharedBudget) -> None:
                async with budget:
                    await asyncio.sleep(0.02)
                finished[name].append(time.monotonic() - began)

            await asyncio.gather(
                *(request("one", one.budget(target, 3)) for _ in range(60)),
                *(request("two", two.budget(target, 3)) for _ in range(60)),
            )

    _run(body)
    half = max(max(times) for times in finished.values()) / 2
    for name, times in finished.items():
        assert sum(1 for moment in times if moment < half) >= 15, name
