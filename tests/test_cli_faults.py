"""The command line under faults: exit codes a scheduler can trust, locks, journal health."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import refund_core as rc
from refund_adapters.cli import AdapterRegistry, main
from refund_adapters.shopify import ShopifyWebhookVerifier, WebhookVerificationError
from refund_adapters.storage import SqliteJournal
from refund_adapters.storage._sqlite import process_start
from refund_adapters.stripe import WebhookError, sign_payload, verify_webhook
from tests.test_cli_sync import World, _config, _run

ROOT = Path(__file__).resolve().parent.parent

# -- the scenario reader and the webhook verifiers ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("null", "expected a JSON object, got null"),
        ("[]", "expected a JSON object, got a list"),
        ("3", "expected a JSON object, got a number"),
        ('"x"', "expected a JSON object, got a string"),
        ("[" * 100_000 + "]" * 100_000, "nested too deep"),
        ('{"a":' * 200 + "1" + "}" * 200, "nested deeper than 64 levels"),
        (
            '{"policy": "stripe_connector", "events": [], "description": ' + "9" * 5000 + "}",
            "$.description: expected a string, got _LongInteger <an integer of 5000 digits>",
        ),
        ('{"policy": "stripe_connector", "events": [{"type": "refund", "amount": 1e999}]}', "$"),
        ('{"policy": NaN, "events": []}', "NaN"),
    ],
    ids=["null", "list", "number", "string", "deep", "deep-objects", "long-int", "1e999", "nan"],
)
def test_a_broken_scenario_exits_2_naming_the_path_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, says: str
) -> None:
    """A broken document for plan: exit 2, one error naming where, never a traceback."""
    path = tmp_path / "scenario.json"
    path.write_text(text, encoding="utf-8")
    code = main(["plan", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert says in err
    assert "Traceback" not in err


def test_a_long_integer_is_refused_by_the_field_that_holds_it() -> None:
    """An integer over 4,300 digits is named by its path, not a bare ValueError."""
    document = {"policy": "stripe_connector", "events": [{"type": "refund", "amount": 0}]}
    text = json.dumps(document).replace('"amount": 0', '"amount": ' + "7" * 4400)
    with pytest.raises(rc.DocumentError, match=r"\$\.events\[0\]\.amount.*4400 digits"):
        rc.loads_scenario(text)


def _deep_body() -> bytes:
    return b'{"id": "evt_1", "type": "refund.failed", "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"


def test_stripe_verifier_refuses_a_deep_signed_body_and_a_str_payload_typed() -> None:
    """A validly signed, deeply nested body and a str payload are WebhookErrors, no crash."""
    body = _deep_body()
    header = f"t=1000,v1={sign_payload(body, 'whsec_x', 1000)}"
    with pytest.raises(WebhookError, match="nested"):
        verify_webhook(body, header, ["whsec_x"], now=1000)
    with pytest.raises(WebhookError, match="raw request bytes"):
        verify_webhook(body.decode(), header, ["whsec_x"], now=1000)  # type: ignore[arg-type]


def test_shopify_verifier_refuses_a_deep_signed_body_typed() -> None:
    """A deeply nested body with a good signature is a WebhookVerificationError, no crash."""
    body = _deep_body()
    signature = base64.b64encode(hmac.new(b"shh", body, hashlib.sha256).digest()).decode()
    headers = {
        "X-Shopify-Hmac-SHA256": signature,
        "X-Shopify-Topic": "refunds/create",
        "X-Shopify-Webhook-Id": "w1",
    }
    with pytest.raises(WebhookVerificationError, match="nested"):
        ShopifyWebhookVerifier(["shh"]).verify(body, headers)


# -- exit codes ------------------------------------------------------------------------------------


def test_a_crash_exits_4_with_one_line_and_the_traceback_in_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error that is not the library's exits 4 (never 1), one line naming it and a file."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    world = World()

    def broken(config: object, secrets: object, ctx: object) -> object:
        raise KeyError("id")

    registry = world.registry()
    registry.register("source", "broken-source", broken)
    config = _config(tmp_path)
    config.write_text(config.read_text().replace("memory-source", "broken-source"))
    code, _, err = _run_with(registry, "sync", "--config", str(config))
    assert code == 4
    (line,) = err.strip().splitlines()
    assert line.startswith("refund-sync: crash: KeyError: 'id' at test_cli_faults.py:")
    (written,) = tmp_path.glob("refund-sync-crash-*.txt")
    assert str(written) in line
    assert "Traceback" in written.read_text()
    assert "Traceback" not in err


def _run_with(registry: AdapterRegistry, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdout", out)
        mp.setattr("sys.stderr", err)
        code = main(list(argv), registry=registry, environ={"TEST_STRIPE_KEY": "sk_test_1"})
    return code, out.getvalue(), err.getvalue()


_SLOW_SYNC = """
import sys, time
from refund_adapters.cli import main
from tests.test_cli_sync import World

class SlowLedger:
    def __init__(self, inner):
        self.inner = inner
    async def load(self, query):
        return await self.inner.load(query)
    async def write(self, action):
        print("writing", flush=True)
        import asyncio
        await asyncio.sleep(1.0)
        return await self.inner.write(action)
    async def find_by_external_id(self, external_id):
        return await self.inner.find_by_external_id(external_id)
    async def list_unsynced_refunds(self, **kwargs):
        return await self.inner.list_unsynced_refunds(**kwargs)

world = World()
world.ledger = SlowLedger(world.ledger)
sys.exit(main(["sync", "--config", sys.argv[1]], registry=world.registry(),
              environ={"TEST_STRIPE_KEY": "sk_test_1"}))
"""


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_a_sync_cleanly_with_its_write_journalled(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    """Ctrl-C or SIGTERM mid-write: the write finishes and is journalled, no traceback."""
    config = _config(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-c", _SLOW_SYNC, str(config)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "writing"
    process.send_signal(sig)
    _, err = process.communicate(timeout=120)
    assert process.returncode == code, err
    assert "Traceback" not in err
    assert f"stopped ({sig.name})" in err
    journal = tmp_path / "journals" / "acme.sqlite3"
    with SqliteJournal(journal, read_only=True) as opened:
        counts = opened.event_counts()
        assert opened.holder() is None  # the lock was given back
    # The writes under way finished and were journalled: nothing was left half done.
    assert counts.get("done:planned", 0) >= 1
    assert not any(state.startswith("in_progress") for state in counts)


# -- locks -------------------------------------------------------------------------------------


def _lock(path: Path, *, pid: int, host: str, started: str) -> None:
    """The lock row a run of ``pid`` on ``host``, started at ``started``, would leave."""
    SqliteJournal(path).close()
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT OR REPLACE INTO lock (id, owner, acquired_at, pid, hostname, token, started) "
        "VALUES (1, 'refund-sync sync acme', '2026-12-01T00:00:00+00:00', ?, ?, 'x', ?)",
        (pid, host, started),
    )
    conn.commit()
    conn.close()


def test_unlock_clears_a_lock_whose_pid_was_reused_and_refuses_a_live_holder(
    tmp_path: Path,
) -> None:
    """A lock whose PID now belongs to another process is cleared; a live holder is named."""
    world = World()
    config = _config(tmp_path)
    _run(world, "sync", "--config", str(config))
    journal = tmp_path / "journals" / "acme.sqlite3"
    host = os.uname().nodename
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        # The holder is alive: refused, naming it.
        _lock(journal, pid=sleeper.pid, host=host, started=process_start(sleeper.pid))
        code, _, err = _run(world, "unlock", "--account", "acme", "--config", str(config))
        assert code == 3
        assert f"pid {sleeper.pid}" in err
        assert "still running" in err
        # The same PID, but a process that started later: the holder is gone.
        _lock(journal, pid=sleeper.pid, host=host, started="another-boot:1")
        code, out, _ = _run(world, "unlock", "--account", "acme", "--config", str(config))
        assert code == 0
        assert f"cleared the lock of 'refund-sync sync acme' (pid {sleeper.pid}" in out
        code, out, _ = _run(world, "unlock", "--account", "acme", "--config", str(config))
        assert (code, out.strip()) == (0, "acme: not locked")
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_lock_on_another_host_is_cleared_only_with_force(tmp_path: Path) -> None:
    """Another host's run cannot be seen from here: unlock refuses, --force clears."""
    world = World()
    config = _config(tmp_path)
    _run(world, "sync", "--config", str(config))
    _lock(tmp_path / "journals" / "acme.sqlite3", pid=1, host="elsewhere", started="")
    code, _, err = _run(world, "unlock", "--account", "acme", "--config", str(config))
    assert code == 3
    assert "--force" in err
    code, _, _ = _run(world, "unlock", "--account", "acme", "--force", "--config", str(config))
    assert code == 0


_TWO_ACCOUNTS = """
[journal]
dir = "journals"

[[accounts]]
id = "{first}"
policy = "stripe_connector"
direction = "incoming"
start = "2026-01-01T00:00:00Z"
channel = {{ name = "stripe", kind = "marketplace" }}
settings = {{ partial_refund_item = "PARTIAL" }}
source = {{ adapter = "memory-source", api_key_env = "TEST_STRIPE_KEY" }}
ledger = {{ adapter = "memory-ledger" }}

[[accounts]]
id = "{second}"
policy = "stripe_connector"
direction = "incoming"
start = "2026-01-01T00:00:00Z"
channel = {{ name = "stripe", kind = "marketplace" }}
settings = {{ partial_refund_item = "PARTIAL" }}
source = {{ adapter = "memory-source", api_key_env = "TEST_STRIPE_KEY" }}
ledger = {{ adapter = "memory-ledger" }}
"""


def test_a_busy_account_is_skipped_and_the_others_go_on(tmp_path: Path) -> None:
    """One account held by a live run: named, skipped, the next account syncs; exit 3."""
    config = tmp_path / "refund-sync.toml"
    config.write_text(textwrap.dedent(_TWO_ACCOUNTS.format(first="busy", second="free")))
    (tmp_path / "journals").mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _lock(
            tmp_path / "journals" / "busy.sqlite3",
            pid=holder.pid,
            host=os.uname().nodename,
            started=process_start(holder.pid),
        )
        code, out, err = _run(World(), "sync", "--config", str(config))
    finally:
        holder.kill()
        holder.wait()
    assert code == 3
    assert "busy: journal" in err
    assert "the other accounts go on" in err
    assert "not run (another run holds the journal): busy" in out
    assert any(line.strip().startswith("free") for line in out.splitlines())


# -- journal health ----------------------------------------------------------------------------


def test_a_zero_byte_journal_is_reported_never_started_afresh(tmp_path: Path) -> None:
    """A truncated (0-byte) journal stops the account with exit 3; the file is left alone."""
    config = _config(tmp_path)
    journal = tmp_path / "journals" / "acme.sqlite3"
    journal.parent.mkdir()
    journal.write_bytes(b"")
    code, _, err = _run(World(), "sync", "--config", str(config))
    assert code == 3
    assert "empty (0 bytes)" in err
    assert journal.stat().st_size == 0


def test_status_notices_a_corrupted_page(tmp_path: Path) -> None:
    """The status command runs a quick check: a damaged page is reported, with exit 3."""
    world = World()
    config = _config(tmp_path)
    _run(world, "sync", "--config", str(config))
    journal = tmp_path / "journals" / "acme.sqlite3"
    with sqlite3.connect(journal) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(journal.read_bytes())
    for offset in range(page_size * 2, min(len(data), page_size * 4)):
        data[offset] = 0xA5  # garble the pages after the schema page
    journal.write_bytes(bytes(data))
    code, out, _ = _run(world, "status", "--config", str(config))
    assert code == 3
    assert "CORRUPTED" in out


_CLI = """
import sys
from refund_adapters.cli import main
from tests.test_cli_sync import World
sys.exit(main(sys.argv[1:], registry=World().registry(), environ={"TEST_STRIPE_KEY": "sk"}))
"""


def _read_only(folder: Path) -> list[str]:
    """A command prefix that runs its command where ``folder`` cannot be written.

    As root (who may write anywhere), in a private mount namespace where ``folder`` is bind-
    mounted read-only; otherwise the folder's write bits are simply taken away.
    """
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return []
    if shutil.which("unshare") is None:
        pytest.skip("running as root without unshare(1): no way to make a folder read-only")
    script = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" && shift && exec "$@"'
    return ["unshare", "-m", "sh", "-c", script, "sh", str(folder)]


def test_status_and_a_dry_run_work_on_a_read_only_folder(tmp_path: Path) -> None:
    """Neither status nor --dry-run writes: both work where nothing can be written."""
    config = _config(tmp_path)
    world = World()
    _run(world, "sync", "--config", str(config))
    prefix = _read_only(tmp_path / "journals")
    try:

        def cli(*argv: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*prefix, sys.executable, "-c", _CLI, *argv, "--config", str(config)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
                timeout=120,
            )

        live = cli("sync")  # the proof that the folder cannot be written
        assert live.returncode == 3, live.stderr
        assert "acme.sqlite3" in live.stderr
        # status: the journal holds one dead letter (exit 1); the dry run sets nothing aside.
        for argv, code in ((("status",), 1), (("sync", "--dry-run"), 0)):
            done = cli(*argv)
            assert done.returncode == code, done.stderr
            assert "Traceback" not in done.stderr
            assert "error" not in done.stderr
    finally:
        (tmp_path / "journals").chmod(0o755)
