"""Benchmark the incoming sync engine against a latency-bound, concurrency-limited ledger.

Run ``python benchmarks/bench_engine.py [--n 10000] [--latency-ms 20] [--concurrency 5]``, or
``nox -s bench -- --only engine [options]`` (see ``bench.py``).

Workload: N Stripe refunds ``re_{i}`` of 10.00 USD, each on its own charge ``ch_{i}`` whose
payment ``PAY-{i}`` is applied to a single-line invoice ``INV-{i}``; each refund plans one credit
memo and one customer refund (2 writes). The source generates each page lazily, and the fake
ledger synthesizes the payment and invoice a ``load`` asks for from the charge IDs
(deterministic), so neither the events nor the ledger are ever held whole: the ledger keeps its
writes only as counts and a set of external IDs (which is what makes a repeated write
detectable).

Then the same workload runs against the real NetSuite adapter (``NetSuiteLedger`` over
``NetSuiteClient``) talking to the NetSuite stand-in, seeded with the N payments and invoices,
with the stand-in adding the latency per HTTP request and enforcing the concurrency limit
itself (a request over it is refused and counted): once in-process (an httpx transport) and once
over loopback HTTP (``standin.serve()``). Its bound counts HTTP requests, read from the
stand-in's own log.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import attrs
import httpx

import refund_core as rc
from refund_adapters._pacing import ConcurrencyLimiter
from refund_adapters.engine import EngineConfig, SyncEngine
from refund_adapters.netsuite import NetSuiteClient, NetSuiteLedger, NetSuiteStandIn
from refund_adapters.storage import SqliteJournal
from refund_core.testing import MemoryJournal

STRIPE = rc.StorefrontCapabilities("stripe", rc.StorefrontKind.MARKETPLACE)
SETTINGS = rc.RefundSettings(partial_refund_item="PARTIAL")
ACCOUNT = rc.ConnectorAccount("acct-bench", STRIPE, [rc.Direction.INCOMING], SETTINGS)
POLICY = rc.Policy.STRIPE_CONNECTOR
START = datetime(2026, 1, 1, tzinfo=UTC)
BILLED_AT = datetime(2025, 12, 1, tzinfo=UTC)
AMOUNT = rc.Money.of("10.00", "USD")
PAGE_SIZES = (100, 250, 500)
MEMORY_NS = (2000, 5000, 10000)
#: Where the in-process NetSuite stand-in pretends to live.
NETSUITE_URL = "https://123456-sb1.suitetalk.api.netsuite.com/services/rest"
_R = TypeVar("_R")


# ----------------------------------------------------------------------------------------------
# Fakes with latency
# ----------------------------------------------------------------------------------------------


class StreamingSource:
    """A RefundSource that builds each page of ``re_{i}`` events only when it is asked for."""

    def __init__(self, n: int) -> None:
        self._n = n
        self.calls = 0

    @property
    def name(self) -> str:
        """The source system's name."""
        return "stripe"

    async def list_events(
        self, *, since: datetime, page_token: str | None, limit: int
    ) -> rc.Page[rc.SourceEvent]:
        """Events ``start .. start + limit`` (the token is the offset), oldest first."""
        self.calls += 1
        first = 0 if page_token is None else int(page_token)
        # Every event is created after START, so ``since`` (START minus the overlap) keeps all.
        end = min(first + limit, self._n)
        items = [_refund(i) for i in range(first, end) if _created(i) >= since]
        return rc.Page(items, str(end) if end < self._n else None)


def _created(i: int) -> datetime:
    return START + timedelta(seconds=i + 1)


def _refund(i: int) -> rc.RefundEvent:
    return rc.RefundEvent(
        source="stripe",
        refund_id=f"re_{i}",
        amount=AMOUNT,
        created_at=_created(i),
        status=rc.RefundStatus.SUCCEEDED,
        payment_ref=f"ch_{i}",
    )


def _billing(charge: str) -> tuple[rc.Invoice, rc.CustomerPayment]:
    """The invoice and payment behind ``ch_{i}``, synthesized deterministically."""
    i = charge.removeprefix("ch_")
    invoice_id = f"INV-{i}"
    invoice = rc.Invoice(
        invoice_id,
        f"C-{i}",
        BILLED_AT,
        (
            rc.TransactionLine(
                line_id=f"{invoice_id}-L1",
                item="SKU-A",
                quantity=None,
                amount=AMOUNT,
                order_line_ref=None,
            ),
        ),
        order_id=None,
    )
    payment = rc.CustomerPayment(
        internal_id=f"PAY-{i}",
        customer_id=f"C-{i}",
        amount=AMOUNT,
        created_at=BILLED_AT,
        payment_ref=charge,
        status=rc.PaymentStatus.UNDEPOSITED,
        applications=(rc.PaymentApplication(invoice_id, AMOUNT, BILLED_AT),),
    )
    return invoice, payment


class LatencyLedger:
    """A Ledger whose every call takes ``latency`` seconds under an account limit of ``limit``.

    ``load`` synthesizes the payments and invoices of the charges asked for (a fresh ledger for
    this workload holds nothing else they link to); ``write`` keeps only the external ID. Calls
    are counted on arrival, before the semaphore, so ``max_in_flight`` is what the caller asked
    for at once; the semaphore models the account limit (NetSuite queues or rejects beyond it).
    """

    def __init__(self, latency: float, limit: int) -> None:
        self._latency = latency
        self._limit = limit
        self._gate = asyncio.Semaphore(limit)
        self._written: set[str] = set()
        self.reads = 0
        self.writes = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.busy = 0.0  # seconds of calls holding a slot, summed
        self.held = 0  # calls that held a slot

    async def _call(self, body: Callable[[], _R]) -> _R:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            assert self.in_flight <= self._limit, (
                f"{self.in_flight} concurrent ledger calls exceed the limit of {self._limit}"
            )
            async with self._gate:
                began = time.perf_counter()
                await asyncio.sleep(self._latency)
                result = body()
                self.busy += time.perf_counter() - began
                self.held += 1
                return result
        finally:
            self.in_flight -= 1

    async def load(self, query: rc.LedgerQuery) -> rc.LedgerSnapshot:
        """The payments and invoices of the query's charges."""
        self.reads += 1

        def build() -> rc.LedgerSnapshot:
            pairs = [_billing(charge) for charge in sorted(query.payment_refs)]
            return rc.LedgerSnapshot(
                invoices=tuple(inv for inv, _ in pairs), payments=tuple(pay for _, pay in pairs)
            )

        return await self._call(build)

    async def write(self, action: rc.LedgerAction) -> rc.WriteReceipt:
        """Record the write's external ID; a repeat creates nothing."""
        self.writes += 1

        def apply() -> rc.WriteReceipt:
            created = action.external_id not in self._written
            self._written.add(action.external_id)
            return rc.WriteReceipt(action.external_id, f"ns-{action.external_id}", created)

        return await self._call(apply)

    async def find_by_external_id(self, external_id: str) -> str | None:
        """The record ID of a write already made."""
        self.reads += 1
        return await self._call(
            lambda: f"ns-{external_id}" if external_id in self._written else None
        )

    async def list_unsynced_refunds(
        self, *, since: datetime, page_token: str | None, limit: int
    ) -> rc.Page[str]:
        """Nothing was made in NetSuite by hand in this workload."""
        self.reads += 1
        return await self._call(lambda: rc.Page[str](()))


# ----------------------------------------------------------------------------------------------
# Runs
# ----------------------------------------------------------------------------------------------


@attrs.frozen
class Result:
    """One measured run."""

    label: str
    n: int
    page_size: int
    seconds: float
    reads: int
    writes: int
    max_in_flight: int
    planned: int
    busy: float
    held: int

    @property
    def rate(self) -> float:
        """Refunds per second."""
        return self.n / self.seconds

    @property
    def call_ms(self) -> float:
        """Mean time a call held a slot (the configured latency plus timer overshoot)."""
        return 1000 * self.busy / self.held

    def utilisation(self, limit: int) -> float:
        """Share of the ``limit`` slots' wall time spent in calls."""
        return self.busy / (limit * self.seconds)

    @property
    def reads_per_refund(self) -> float:
        """Ledger reads per refund."""
        return self.reads / self.n

    @property
    def writes_per_refund(self) -> float:
        """Ledger writes per refund."""
        return self.writes / self.n


async def _engine_run(n: int, latency: float, limit: int, page_size: int) -> Result:
    ledger = LatencyLedger(latency, limit)
    engine = SyncEngine(
        account=ACCOUNT,
        policy=POLICY,
        source=StreamingSource(n),
        ledger=ledger,
        journal=MemoryJournal(),
        config=EngineConfig(page_size=page_size, ledger_concurrency=limit),
    )
    began = time.perf_counter()
    summary = await engine.run_async(START)
    seconds = time.perf_counter() - began
    if summary.planned != n or summary.dead_lettered:
        raise SystemExit(f"engine run went wrong: {summary}")
    return Result(
        "engine",
        n,
        page_size,
        seconds,
        ledger.reads,
        ledger.writes,
        ledger.max_in_flight,
        n,
        ledger.busy,
        ledger.held,
    )


async def _naive_run(n: int, latency: float, limit: int, page_size: int) -> Result:
    """One refund at a time: read its charge, decide, write each action in turn."""
    ledger = LatencyLedger(latency, limit)
    source = StreamingSource(n)
    token: str | None = None
    planned = 0
    began = time.perf_counter()
    while True:
        page = await source.list_events(since=START, page_token=token, limit=page_size)
        for event in page.items:
            assert event.payment_ref is not None
            snapshot = await ledger.load(
                rc.LedgerQuery(payment_refs=frozenset({event.payment_ref}))
            )
            outcome = rc.decide(event, snapshot, SETTINGS, POLICY)
            assert isinstance(outcome, rc.Plan), outcome
            for action in outcome.actions:
                await ledger.write(action)  # type: ignore[arg-type]
            planned += 1
        if page.next_token is None:
            break
        token = page.next_token
    seconds = time.perf_counter() - began
    return Result(
        "naive",
        n,
        page_size,
        seconds,
        ledger.reads,
        ledger.writes,
        ledger.max_in_flight,
        planned,
        ledger.busy,
        ledger.held,
    )


def _bound(result: Result, latency: float, limit: int) -> float:
    """Refunds/s if all ``limit`` slots were busy all the time: C / (latency x calls/refund)."""
    return limit / (latency * (result.reads_per_refund + result.writes_per_refund))


@attrs.frozen
class Memory:
    """Peak traced memory of one engine run, and the largest retainers at its end."""

    n: int
    peak: int
    held_at_end: int
    top: tuple[tuple[str, int], ...]


def _memory_run(n: int, page_size: int, limit: int, journal_kind: str) -> Memory:
    """Peak memory of a whole run at zero latency (latency changes time, not what is held).

    With the SQLite journal (the CLI's), what the journal keeps is on disk, so the Python heap
    holds only the engine's working set and the fake ledger's set of written external IDs.
    """
    gc.collect()
    folder = tempfile.TemporaryDirectory(prefix="refund-sync-bench-")
    tracemalloc.start(1)
    try:

        async def run() -> tuple[tracemalloc.Snapshot, int]:
            ledger = LatencyLedger(0.0, limit)
            journal: rc.Journal
            if journal_kind == "sqlite":
                journal = SqliteJournal(f"{folder.name}/journal-{n}.sqlite3")
            else:
                journal = MemoryJournal()
            engine = SyncEngine(
                account=ACCOUNT,
                policy=POLICY,
                source=StreamingSource(n),
                ledger=ledger,
                journal=journal,
                config=EngineConfig(page_size=page_size, ledger_concurrency=limit),
            )
            summary = await engine.run_async(START)
            if summary.planned != n:
                raise SystemExit(f"memory run went wrong: {summary}")
            # What is still held once the run ends (journal, ledger ID set, ...), by file.
            held, _ = tracemalloc.get_traced_memory()
            taken = tracemalloc.take_snapshot()
            if isinstance(journal, SqliteJournal):
                journal.close()
            return taken, held

        snap, held = asyncio.run(run())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        folder.cleanup()
    stats = snap.statistics("filename")
    top = tuple((_short(s.traceback[0].filename), s.size) for s in stats[:3])
    return Memory(n, peak, held, top)


def _short(path: str) -> str:
    for marker in ("src/", "benchmarks/", "lib/python"):
        if marker in path:
            return path[path.index(marker) :]
    return path


# ----------------------------------------------------------------------------------------------
# Against the NetSuite adapter and its stand-in
# ----------------------------------------------------------------------------------------------


@attrs.frozen
class HttpResult:
    """One run of the engine over the NetSuite adapter, counted at the stand-in."""

    transport: str
    n: int
    seconds: float
    requests: int
    suiteql: int
    rejected: int
    peak_in_flight: int
    cpu_s: float

    @property
    def rate(self) -> float:
        """Refunds per second."""
        return self.n / self.seconds

    @property
    def requests_per_refund(self) -> float:
        """HTTP requests per refund, every kind counted."""
        return self.requests / self.n

    def bound(self, latency: float, limit: int) -> float:
        """Refunds/s if all ``limit`` request slots were busy: C / (latency x requests/refund)."""
        return limit / (latency * self.requests_per_refund)


def _netsuite_world(n: int) -> rc.LedgerSnapshot:
    pairs = [_billing(f"ch_{i}") for i in range(n)]
    return rc.LedgerSnapshot(
        invoices=tuple(invoice for invoice, _ in pairs),
        payments=tuple(payment for _, payment in pairs),
    )


async def _netsuite_run(
    standin: NetSuiteStandIn,
    base_url: str,
    n: int,
    *,
    limit: int,
    page_size: int,
    transport: str,
) -> HttpResult:
    """The engine over ``NetSuiteLedger(NetSuiteClient(...))`` reaching ``standin``."""

    def make() -> httpx.AsyncClient:
        if transport == "in-process":
            return httpx.AsyncClient(transport=standin.transport())
        return httpx.AsyncClient(timeout=60.0)

    client = NetSuiteClient(make, base_url=base_url, limiter=ConcurrencyLimiter(limit))
    ledger = NetSuiteLedger(
        client,
        undeposited_funds_account=standin.undeposited_funds_account,
        currencies=standin.currency_ids,
    )
    engine = SyncEngine(
        account=ACCOUNT,
        policy=POLICY,
        source=StreamingSource(n),
        ledger=ledger,
        journal=MemoryJournal(),
        config=EngineConfig(page_size=page_size, ledger_concurrency=limit),
    )
    before = len(standin.requests)
    began, cpu = time.perf_counter(), time.process_time()
    try:
        summary = await engine.run_async(START)
    finally:
        await client.aclose()
    seconds, cpu_s = time.perf_counter() - began, time.process_time() - cpu
    if summary.planned != n or summary.dead_lettered:
        raise SystemExit(f"NetSuite run went wrong: {summary}")
    sent = standin.requests[before:]
    return HttpResult(
        transport,
        n,
        seconds,
        len(sent),
        sum(1 for request in sent if request.url.path.endswith("/query/v1/suiteql")),
        standin.rejected_over_limit,
        standin.peak_in_flight,
        cpu_s,
    )


def _netsuite_standin(n: int, latency: float, limit: int) -> NetSuiteStandIn:
    standin = NetSuiteStandIn.from_snapshot(_netsuite_world(n))
    standin.faults.latency_s = latency
    standin.faults.concurrency_limit = limit
    return standin


def _netsuite_report(n: int, latency: float, limit: int, page_size: int) -> None:
    print()
    print(
        f"against the NetSuite adapter and stand-in: N={n}, stand-in latency "
        f"{latency * 1000:g} ms per HTTP request, stand-in concurrency limit C={limit} "
        "(requests over it are refused), engine ledger_concurrency and client limiter C"
    )
    results: list[HttpResult] = []
    print("  running in-process transport ...", flush=True)
    standin = _netsuite_standin(n, latency, limit)
    results.append(
        asyncio.run(
            _netsuite_run(
                standin, NETSUITE_URL, n, limit=limit, page_size=page_size, transport="in-process"
            )
        )
    )
    print("  running loopback HTTP (standin.serve()) ...", flush=True)
    standin = _netsuite_standin(n, latency, limit)
    with standin.serve() as server:
        results.append(
            asyncio.run(
                _netsuite_run(
                    standin,
                    f"{server.base_url}/services/rest",
                    n,
                    limit=limit,
                    page_size=page_size,
                    transport="loopback",
                )
            )
        )
    header = (
        f"{'transport':<11} {'N':>5} {'wall s':>7} {'refunds/s':>10} {'bound/s':>8} "
        f"{'ratio':>6} {'req/ref':>8} {'suiteql/ref':>12} {'rejected':>9} {'peak∥':>6} "
        f"{'cpu ms/ref':>11}"
    )
    print()
    print(header)
    print("-" * len(header))
    for r in results:
        bound = r.bound(latency, limit)
        print(
            f"{r.transport:<11} {r.n:>5} {r.seconds:>7.2f} {r.rate:>10.1f} {bound:>8.1f} "
            f"{r.rate / bound:>6.3f} {r.requests_per_refund:>8.3f} {r.suiteql / r.n:>12.4f} "
            f"{r.rejected:>9} {r.peak_in_flight:>6} {1000 * r.cpu_s / r.n:>11.2f}"
        )
    print(
        "bound = C / (latency x HTTP requests per refund), requests counted by the stand-in; "
        "rejected = requests the stand-in refused over its limit (must be 0); peak∥ = most "
        "requests in flight at the stand-in (must be <= C); cpu = this process's CPU, stand-in "
        "included (in-process: on the same event loop; loopback: in its server thread)"
    )
    for r in results:
        ok = r.rejected == 0 and r.peak_in_flight <= limit
        print(
            f"  {r.transport}: rejected {r.rejected}, peak {r.peak_in_flight} <= {limit}: "
            f"{'PASS' if ok else 'FAIL'}"
        )


# ----------------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------------


def _timed(what: str, make: Callable[[], Awaitable[Result]], results: list[Result]) -> Result:
    print(f"  running {what} ...", flush=True)
    result = asyncio.run(make())  # type: ignore[arg-type]
    results.append(result)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its table (``argv``: the options, else the command line)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="refunds in the main engine run")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="latency of a ledger call")
    parser.add_argument("--concurrency", type=int, default=5, help="account concurrency limit C")
    parser.add_argument("--page-size", type=int, default=250, help="page size of the main run")
    parser.add_argument(
        "--sweep-n", type=int, default=2000, help="refunds per page-size sweep run (0: skip)"
    )
    parser.add_argument(
        "--baseline-n",
        type=int,
        default=1000,
        help="refunds in the naive run (its rate does not depend on N; at N=10000 and 20 ms it "
        "alone would take about 10 minutes)",
    )
    parser.add_argument(
        "--netsuite-n",
        type=int,
        default=2000,
        help="refunds of the runs against the NetSuite adapter and stand-in (0: skip them)",
    )
    parser.add_argument("--skip-memory", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument(
        "--journal",
        choices=("sqlite", "memory"),
        default="sqlite",
        help="journal of the memory runs (sqlite: the CLI's; memory: held in the heap)",
    )
    args = parser.parse_args(argv)
    latency = args.latency_ms / 1000
    limit: int = args.concurrency
    n: int = args.n
    sweep_n = min(args.sweep_n, n)
    baseline_n = min(args.baseline_n, n)

    print(
        f"engine benchmark: latency {args.latency_ms:g} ms/call, concurrency limit C={limit}, "
        "2 writes per refund (credit memo + customer refund)"
    )
    print(
        "ledger: synthesizes each page's payments+invoices from the charge IDs on load and keeps "
        "writes as a set of external IDs (nothing built up front); source: pages built lazily"
    )
    results: list[Result] = []
    sweep: list[Result] = []
    if sweep_n:
        for size in PAGE_SIZES:
            _timed(
                f"engine N={sweep_n} page_size={size}",
                lambda size=size: _engine_run(sweep_n, latency, limit, size),  # type: ignore[misc]
                sweep,
            )
    main_run = _timed(
        f"engine N={n} page_size={args.page_size}",
        lambda: _engine_run(n, latency, limit, args.page_size),
        results,
    )
    naive = _timed(
        f"naive N={baseline_n}",
        lambda: _naive_run(baseline_n, latency, limit, args.page_size),
        results,
    )

    print()
    header = (
        f"{'run':<7} {'N':>6} {'page':>5} {'wall s':>8} {'refunds/s':>10} {'bound/s':>8} "
        f"{'ratio':>6} {'reads/ref':>10} {'writes/ref':>10} {'max∥':>5} {'call ms':>8} "
        f"{'util':>5}"
    )
    print(header)
    print("-" * len(header))
    for r in (*sweep, main_run, naive):
        bound = _bound(r, latency, limit)
        print(
            f"{r.label:<7} {r.n:>6} {r.page_size:>5} {r.seconds:>8.2f} {r.rate:>10.1f} "
            f"{bound:>8.1f} {r.rate / bound:>6.3f} {r.reads_per_refund:>10.4f} "
            f"{r.writes_per_refund:>10.4f} {r.max_in_flight:>5} {r.call_ms:>8.2f} "
            f"{r.utilisation(limit):>5.3f}"
        )
    print(
        "bound = C / (latency x (reads+writes per refund)), reads amortised per page; "
        "max∥ = most ledger calls in flight at once (asserted <= C); call ms = mean time a "
        "call held a slot; util = busy slot time / (C x wall)"
    )
    print(
        "ratio ~= util x latency / call ms: the gap to 1.0 splits into idle slots (util < 1) "
        "and timer overshoot of asyncio.sleep (call ms > latency)"
    )
    calls = (naive.reads + naive.writes) / naive.n if naive.n else 0.0
    if naive.n == n:
        print(
            f"naive baseline measured at the engine's N={n}: {naive.seconds:.0f} s vs engine "
            f"{main_run.seconds:.0f} s; engine speedup x{main_run.rate / naive.rate:.1f}"
        )
    else:
        print(
            f"naive baseline MEASURED at N={naive.n}, EXTRAPOLATED to N={n}: one refund at a "
            f"time costs ~{calls:.0f} calls x {args.latency_ms:g} ms whatever N is (it holds one "
            f"refund at a time), so a full run would take ~{n / naive.rate:.0f} s on its own; "
            f"engine {main_run.seconds:.0f} s, speedup x{main_run.rate / naive.rate:.1f} "
            f"(--baseline-n {n} measures it at full N)"
        )
    best = max((*sweep, main_run), key=lambda r: r.rate / _bound(r, latency, limit))
    ratio = main_run.rate / _bound(main_run, latency, limit)
    print(
        f"targets: ratio >= 0.9: {'PASS' if ratio >= 0.9 else 'FAIL'} ({ratio:.3f} main run; "
        f"best page {best.page_size}); reads/refund <= 0.1: "
        f"{'PASS' if main_run.reads_per_refund <= 0.1 else 'FAIL'} "
        f"({main_run.reads_per_refund:.4f})"
    )

    if not args.skip_memory:
        print()
        print(
            f"peak memory (tracemalloc, whole run, latency 0, page_size {args.page_size}, "
            f"{args.journal} journal):"
        )
        mems = [_memory_run(size, args.page_size, limit, args.journal) for size in MEMORY_NS]
        for m in mems:
            transient = m.peak - m.held_at_end
            print(
                f"  N={m.n:>6}: peak {m.peak / 1024:>9.1f} KiB ({m.peak / m.n:>5.0f} B/refund); "
                f"held at end {m.held_at_end / 1024:>9.1f} KiB; "
                f"working set (peak - held) {transient / 1024:>7.1f} KiB"
            )
        first, last = mems[0], mems[-1]
        slope = (last.peak - first.peak) / (last.n - first.n)
        print(
            f"  peak({last.n})/peak({first.n}) = {last.peak / first.peak:.2f} "
            f"(flat would be ~1.0); growth {slope:.0f} B per extra refund; working-set ratio "
            f"{(last.peak - last.held_at_end) / (first.peak - first.held_at_end):.2f}"
        )
        print(f"  held at the end of the N={last.n} run, by file:")
        for name, size in last.top:
            print(f"    {size / 1024:>9.1f} KiB  {name}")

    if args.netsuite_n:
        _netsuite_report(args.netsuite_n, latency, limit, args.page_size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
