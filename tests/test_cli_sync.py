"""``refund-sync sync | status | retry | reconcile`` driven by a TOML file over in-memory fakes."""

from __future__ import annotations

import asyncio
import io
import sqlite3
import textwrap
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest

import refund_core as rc
from refund_adapters.cli import AdapterRegistry, main
from refund_adapters.cli._sync import ProgressDisplay, sync
from refund_adapters.engine import Progress
from refund_adapters.storage._sqlite import MIGRATIONS
from refund_adapters.wiring import AdapterConfig, BuildContext, is_secret_name, load_config
from refund_core.testing import FakeLedger, FakeRefundSource, FakeStorefront
from tests.builders import at, credit_memo, invoice, ledger, order, payment, stripe_refund

SECRET = "sk_test_not_a_real_key_51abc"

CONFIG = """
[journal]
dir = "journals"

[engine]
page_size = 2

[[accounts]]
id = "acme"
policy = "stripe_connector"
direction = "incoming"
start = "2026-01-01T00:00:00Z"
channel = {{ name = "stripe", kind = "marketplace" }}

[accounts.settings]
partial_refund_item = "PARTIAL"

[accounts.source]
adapter = "memory-source"
api_key_env = "TEST_STRIPE_KEY"
{extra_source}

[accounts.ledger]
adapter = "memory-ledger"
"""


class World:
    """The remote systems the adapters stand for; they outlive a single CLI run."""

    def __init__(self) -> None:
        self.source = FakeRefundSource(
            "stripe",
            [
                stripe_refund("re_1", "40.00", charge="ch_1", created="2026-03-01"),
                stripe_refund("re_2", "25.00", charge="ch_2", created="2026-03-02"),
                stripe_refund("re_3", "10.00", charge="ch_3", created="2026-03-03"),
            ],
        )
        self.ledger = FakeLedger(
            ledger(
                sales_orders=[order("SO-1", "1001"), order("SO-2", "1002")],
                invoices=[invoice("INV-1", order_id="SO-1"), invoice("INV-2", order_id="SO-2")],
                payments=[
                    payment("PAY-1", "100.00", ref="ch_1", applied={"INV-1": "100.00"}),
                    payment("PAY-2", "100.00", ref="ch_2", applied={"INV-2": "100.00"}),
                ],
            )
        )
        self.secrets_seen: list[Mapping[str, str]] = []
        self.storefront = FakeStorefront(
            rc.StorefrontCapabilities("shopify", rc.StorefrontKind.CART)
        )

    def registry(self) -> AdapterRegistry:
        """Adapters that hand out this world's systems, as a config would name them."""
        registry = AdapterRegistry()

        def source(config: AdapterConfig, secrets: Mapping[str, str], ctx: BuildContext) -> object:
            self.secrets_seen.append(dict(secrets))
            return self.source

        registry.register("source", "memory-source", source)
        registry.register("ledger", "memory-ledger", lambda c, s, x: self.ledger)
        registry.register("storefront", "memory-storefront", lambda c, s, x: self.storefront)
        registry.register("ledger", "not-a-ledger", lambda c, s, x: object())
        return registry


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "refund-sync.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _config(tmp_path: Path, extra_source: str = "") -> Path:
    return _write(tmp_path, CONFIG.format(extra_source=extra_source))


def _run(world: World, *argv: str, env: Mapping[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    environ = {"TEST_STRIPE_KEY": SECRET} if env is None else env
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdout", out)
        mp.setattr("sys.stderr", err)
        code = main(list(argv), registry=world.registry(), environ=environ)
    return code, out.getvalue(), err.getvalue()


def test_sync_creates_records_prints_a_summary_and_a_second_run_creates_nothing(
    tmp_path: Path,
) -> None:
    """A sync writes the plans (STC-1 credit memo + refund), journals them, and is idempotent."""
    world = World()
    config = _config(tmp_path)
    code, out, err = _run(world, "sync", "--config", str(config))
    assert code == 1  # re_3's charge ch_3 is unknown to NetSuite: dead-lettered
    assert "Summary" in out
    assert "acme" in out
    assert "incoming" in out
    assert "total: 4 created, 1 dead-lettered" in out
    assert len(world.ledger.snapshot.customer_refunds) == 2
    assert (tmp_path / "journals" / "acme.sqlite3").is_file()
    assert "refund-sync: acme incoming:" in err  # plain log lines when not on a terminal
    assert world.secrets_seen == [{"api_key": SECRET}]
    assert SECRET not in out + err

    writes = world.ledger.writes
    code, out, _ = _run(world, "sync", "--config", str(config))
    assert code == 0
    assert "total: 0 created, 0 dead-lettered" in out
    assert world.ledger.writes == writes


def test_dry_run_prints_plans_and_writes_nothing_not_even_a_journal(tmp_path: Path) -> None:
    """--dry-run shows every plan with its rule IDs and leaves the ledger and the disk alone."""
    world = World()
    code, out, _ = _run(world, "sync", "--config", str(_config(tmp_path)), "--dry-run")
    assert code == 1
    assert "PLAN" in out
    assert "STC-" in out
    assert "credit memo" in out
    assert "dry run: nothing was written" in out
    assert "would create" in out
    assert world.ledger.writes == 0
    assert not (tmp_path / "journals").exists()


def test_dry_run_after_a_real_run_plans_only_what_is_new(tmp_path: Path) -> None:
    """A dry run reads the journal: what a live run did is not planned again."""
    world = World()
    config = _config(tmp_path)
    _run(world, "sync", "--config", str(config))
    world.source.add(stripe_refund("re_4", "5.00", charge="ch_1", created="2026-03-04"))
    _code, out, _ = _run(world, "sync", "--config", str(config), "--dry-run")
    assert "stripe:re_4" in out
    assert "stripe:re_1" not in out
    assert "total: 2 would create" in out
    assert world.ledger.writes == 4


def test_status_lists_cursors_counts_and_dead_letters_then_retry_resolves_them(
    tmp_path: Path,
) -> None:
    """A dead letter shows in status, and a retry after its cause is fixed resolves it."""
    world = World()
    config = _config(tmp_path)
    code, out, _ = _run(world, "status", "--config", str(config))
    assert code == 0
    assert "never run" in out
    _run(world, "sync", "--config", str(config))

    code, out, _ = _run(world, "status", "--config", str(config))
    assert code == 1
    assert "cursor acme:stripe:incoming: 2026-03-03" in out
    assert "dead letters: 1" in out
    assert "stripe:re_3" in out
    assert "done:planned 2" in out

    code, out, _ = _run(world, "retry", "--config", str(config))
    assert code == 1
    assert "0 of 1 dead letters resolved" in out

    # The cause is fixed in NetSuite: the payment for ch_3 now exists.
    fixed = ledger(
        sales_orders=[order("SO-3", "1003")],
        invoices=[invoice("INV-3", order_id="SO-3")],
        payments=[payment("PAY-3", "100.00", ref="ch_3", applied={"INV-3": "100.00"})],
    )
    now = world.ledger.snapshot
    world.ledger = FakeLedger(
        attrs.evolve(
            now,
            sales_orders=now.sales_orders + fixed.sales_orders,
            invoices=now.invoices + fixed.invoices,
            payments=now.payments + fixed.payments,
        )
    )
    code, out, _ = _run(world, "retry", "--config", str(config))
    assert code == 0
    assert "1 of 1 dead letters resolved" in out
    code, out, _ = _run(world, "status", "--config", str(config))
    assert code == 0
    assert "dead letters: 0" in out


def test_reconcile_reports_refunds_missing_in_netsuite(tmp_path: Path) -> None:
    """Reconcile reads the source and the ledger and names what NetSuite lacks."""
    world = World()
    config = _config(tmp_path)
    code, out, _ = _run(world, "reconcile", "--config", str(config), "--since", "2026-03-01")
    assert code == 1
    assert "missing in NetSuite: stripe:re_1" in out
    _run(world, "sync", "--config", str(config))
    code, out, _ = _run(
        world,
        "reconcile",
        "--config",
        str(config),
        "--since",
        "2026-03-01",
        "--until",
        "2026-03-03",
    )
    assert code == 0
    assert "clean" in out
    code, out, _ = _run(
        world,
        "reconcile",
        "--config",
        str(config),
        "--since",
        "2026-03-09",
        "--until",
        "2026-03-01",
    )
    assert code == 2


def test_an_inline_secret_is_a_config_error_that_never_echoes_it(tmp_path: Path) -> None:
    """A secret written in the file is refused, naming the key and the _env way, not the value."""
    world = World()
    config = _config(tmp_path, extra_source=f'client_secret = "{SECRET}"')
    code, out, err = _run(world, "sync", "--config", str(config))
    assert code == 2
    assert "accounts[0].source.client_secret" in err
    assert "client_secret_env" in err
    assert SECRET not in out + err
    assert world.ledger.writes == 0


def test_a_missing_secret_variable_names_the_variable(tmp_path: Path) -> None:
    """The env var a secret comes from must be set; the error names it."""
    code, _, err = _run(World(), "sync", "--config", str(_config(tmp_path)), env={})
    assert code == 2
    assert "accounts[0].source.api_key_env" in err
    assert "TEST_STRIPE_KEY is not set" in err


def test_an_account_with_both_directions_is_refused_before_anything_runs(tmp_path: Path) -> None:
    """NSC-9: an account configured incoming and outgoing is a config error."""
    world = World()
    text = CONFIG.format(extra_source="").replace(
        'direction = "incoming"', 'directions = ["incoming", "outgoing"]'
    )
    code, _, err = _run(world, "sync", "--config", str(_write(tmp_path, text)))
    assert code == 2
    assert "direction" in err
    assert world.ledger.reads == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('adapter = "memory-ledger"', 'adapter = "oracle"'), "no ledger adapter named 'oracle'"),
        (('adapter = "memory-ledger"', 'adapter = "not-a-ledger"'), "which is no Ledger"),
        (('policy = "stripe_connector"', 'policy = "paypal"'), "accounts[0].policy"),
        (('start = "2026-01-01T00:00:00Z"', 'start = "2026-01-01"'), "accounts[0].start"),
        (("page_size = 2", "page_size = -1"), "engine.page_size"),
        (("page_size = 2", "pagesize = 2"), "unknown key(s) pagesize"),
        (('partial_refund_item = "PARTIAL"', "partial_refund_item = 3"), "accounts[0].settings"),
        (("[journal]", "[journal\n"), "not valid TOML"),
    ],
)
def test_config_errors_say_what_and_where(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    """Every bad config value gets a typed error with its place in the file; exit code 2."""
    text = CONFIG.format(extra_source="").replace(*change)
    code, _, err = _run(World(), "sync", "--config", str(_write(tmp_path, text)))
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_missing_config_file_exits_2(tmp_path: Path) -> None:
    """A config path that does not exist is bad input."""
    code, _, err = _run(World(), "status", "--config", str(tmp_path / "nope.toml"))
    assert code == 2
    assert "no such file" in err


def test_outgoing_account_sends_netsuite_refunds_to_the_storefront(tmp_path: Path) -> None:
    """An outgoing account runs the outgoing pass (NSC-7) with its storefront adapter."""
    world = World()
    world.ledger = FakeLedger(
        ledger(
            sales_orders=[order("SO-1", "1001")],
            invoices=[invoice("INV-1", order_id="SO-1")],
            payments=[payment("PAY-1", "100.00", ref="ch_1", applied={"INV-1": "100.00"})],
            credit_memos=[],
        )
    )
    text = textwrap.dedent(
        """
        [[accounts]]
        id = "shop"
        policy = "netsuite_connector"
        direction = "outgoing"
        start = "2026-01-01T00:00:00Z"
        channel = { name = "shopify", kind = "cart" }
        [accounts.storefront]
        adapter = "memory-storefront"
        [accounts.ledger]
        adapter = "memory-ledger"
        """
    )
    code, out, _ = _run(world, "sync", "--config", str(_write(tmp_path, text)))
    assert code == 0
    assert "shop" in out
    assert "outgoing" in out


def test_an_outgoing_account_without_a_storefront_is_a_config_error(tmp_path: Path) -> None:
    """Each direction names the adapters it needs."""
    text = """
        [[accounts]]
        id = "shop"
        policy = "netsuite_connector"
        direction = "outgoing"
        start = "2026-01-01T00:00:00Z"
        channel = { name = "shopify", kind = "cart" }
        [accounts.ledger]
        adapter = "memory-ledger"
        """
    code, _, err = _run(World(), "sync", "--config", str(_write(tmp_path, text)))
    assert code == 2
    assert "accounts[0].storefront" in err


def test_a_cart_synced_incoming_warns(tmp_path: Path) -> None:
    """NSC-10: a direction against the storefront kind's recommendation is a warning."""
    world = World()
    text = CONFIG.format(extra_source="").replace('kind = "marketplace"', 'kind = "cart"')
    _code, out, err = _run(world, "sync", "--config", str(_write(tmp_path, text)))
    assert "warning: acme" in err
    assert "warning (acme)" in out


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("api_key", True),
        ("client_secret", True),
        ("access_token", True),
        ("consumer_key", True),
        ("password", True),
        ("api_key_env", False),
        ("private_key_path", False),
        ("account_id", False),
        ("partial_refund_item", False),
        ("certificate_id", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    """Which config keys count as secrets that must come from the environment."""
    assert is_secret_name(name) is secret


def test_progress_bar_on_a_terminal_shows_the_fraction_of_the_range_read() -> None:
    """On a TTY, one redrawn line with a bar; the fraction is time read over time to cover."""
    stream = io.StringIO()
    now = datetime(2026, 1, 11, tzinfo=UTC)
    display = ProgressDisplay(stream, account="acme", clock=lambda: now, tty=True)
    display(
        Progress(
            pass_name="incoming",
            started_from=at("2026-01-01"),
            position=at("2026-01-06"),
            events_seen=10,
            planned=7,
            dead_lettered=1,
        )
    )
    display.finish()
    text = stream.getvalue()
    assert text.startswith("\racme incoming: [############------------]  50% 10 events")
    assert text.endswith("\n")


def test_sync_function_uses_the_given_terminal_flag(tmp_path: Path) -> None:
    """The sync command draws the bar when told it is on a terminal."""
    world = World()
    out, err = io.StringIO(), io.StringIO()
    code = sync(
        load_config(_config(tmp_path)),
        registry=world.registry(),
        environ={"TEST_STRIPE_KEY": SECRET},
        stdout=out,
        stderr=err,
        dry_run=False,
        account_id="acme",
        render_outcome=lambda n, o: [],
        clock=lambda: datetime(2026, 3, 3, tzinfo=UTC),
        tty=True,
    )
    assert code == 1
    assert "\racme incoming: [" in err.getvalue()
    assert "100%" in err.getvalue()


def test_unknown_account_is_named(tmp_path: Path) -> None:
    """--account must name a configured account."""
    code, _, err = _run(World(), "status", "--config", str(_config(tmp_path)), "--account", "x")
    assert code == 2
    assert "no account 'x'" in err
    assert "known: acme" in err


def test_adapters_are_built_inside_the_run_loop_and_their_clients_closed_after(
    tmp_path: Path,
) -> None:
    """Builders run in the account's event loop; the clients they took are closed at the end."""
    world = World()
    registry = world.registry()
    clients = []

    def source(config: AdapterConfig, secrets: Mapping[str, str], ctx: BuildContext) -> object:
        asyncio.get_running_loop()  # raises outside a running loop
        clients.append(ctx.http_client())
        return world.source

    registry.register("source", "memory-source", source)
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdout", out)
        mp.setattr("sys.stderr", err)
        code = main(
            ["sync", "--config", str(_config(tmp_path))],
            registry=registry,
            environ={"TEST_STRIPE_KEY": SECRET},
        )
    assert code == 1
    assert len(clients) == 1
    assert clients[0].is_closed


def test_verbose_sync_prints_every_outcome_with_its_rules(tmp_path: Path) -> None:
    """A verbose sync writes and prints each outcome with its rule IDs (STC-4)."""
    world = World()
    code, out, _ = _run(world, "sync", "--config", str(_config(tmp_path)), "--verbose")
    assert code == 1
    assert "Event 1: stripe:re_1" in out
    assert "STC-4" in out
    assert len(world.ledger.snapshot.customer_refunds) == 2


def test_a_dry_run_never_migrates_or_writes_an_existing_journal(tmp_path: Path) -> None:
    """A dry run over a journal of an older schema reads it and leaves every byte as it was."""
    world = World()
    config = _config(tmp_path)
    journal = tmp_path / "journals" / "acme.sqlite3"
    journal.parent.mkdir()
    conn = sqlite3.connect(journal)
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    before = journal.read_bytes()
    code, out, _ = _run(world, "sync", "--config", str(config), "--dry-run")
    assert code == 1
    assert "stripe:re_1" in out
    assert journal.read_bytes() == before
    conn = sqlite3.connect(journal)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()


def test_library_warnings_reach_stderr_with_the_program_prefix(tmp_path: Path) -> None:
    """A manual action's warning is a `refund-sync: warning:` line on stderr (NSC-8)."""
    world = World()
    path = _write(
        tmp_path,
        """
        [[accounts]]
        id = "shop"
        policy = "netsuite_connector"
        direction = "outgoing"
        start = "2026-01-01T00:00:00Z"
        channel = { name = "shopify", kind = "cart" }

        [accounts.storefront]
        adapter = "memory-storefront"

        [accounts.ledger]
        adapter = "memory-ledger"
        """,
    )
    world.ledger = FakeLedger(
        ledger(
            sales_orders=[order("SO-1", "1001", gift_card="50.00")],
            invoices=[invoice("INV-1", order_id="SO-1")],
            credit_memos=[credit_memo("CM-1", "INV-1", "20.00", order_id="SO-1")],
        )
    )
    code, _, err = _run(world, "sync", "--config", str(path))
    assert code == 0
    assert "refund-sync: warning: manual action for netsuite:CM-1 [gift_card]" in err
