"""Tests for tools/check_architecture.py on small synthetic source trees."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

CHECKER_PATH = Path(__file__).resolve().parent.parent / "tools" / "check_architecture.py"


def _load_checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_architecture", CHECKER_PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


checker = _load_checker()


def _write_tree(root: Path, files: dict[str, str]) -> Path:
    """Create ``files`` (path relative to ``root/src`` -> source) plus any missing __init__.py."""
    src = root / "src"
    for relative, source in files.items():
        path = src / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    for package in ("refund_core", "refund_adapters"):
        init = src / package / "__init__.py"
        init.parent.mkdir(parents=True, exist_ok=True)
        if not init.exists():
            init.write_text('"""Package."""\n', encoding="utf-8")
    return root


def _messages(root: Path) -> list[str]:
    return [v.format(root) for v in checker.check_tree(root)]


CLEAN_TREE = {
    "refund_core/__init__.py": '"""Core."""\nfrom ._money import Money\n',
    "refund_core/_money.py": (
        "from __future__ import annotations\n"
        "import decimal\n"
        "from collections.abc import Sequence\n"
        "from datetime import datetime, timezone\n"
        "import attrs\n"
        "import attr\n"
        "import cattrs\n"
        "from refund_core import _errors\n"
        "from . import _errors as errors\n"
        "Money = decimal.Decimal\n"
        "EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)\n"
        "def as_of(moment: datetime) -> datetime:\n"
        "    return moment.astimezone(timezone.utc)\n"
    ),
    "refund_core/_errors.py": "class RefundSyncError(Exception):\n    pass\n",
    "refund_core/rules/__init__.py": "from .. import _money\nfrom ..rules import base\n",
    "refund_core/rules/base.py": "import typing\n",
    "refund_adapters/_util.py": "import httpx\nimport tenacity\nfrom refund_core import Money\n",
    "refund_adapters/stripe/__init__.py": (
        "from refund_adapters import _util\nfrom .. import _util as u\nfrom . import client\n"
    ),
    "refund_adapters/stripe/client.py": (
        "import httpx\nfrom refund_adapters._util import x\nfrom refund_adapters.stripe import y\n"
    ),
    "refund_adapters/netsuite/__init__.py": "from refund_adapters import _util\n",
    "refund_adapters/cli/__init__.py": (
        "from refund_adapters import stripe, netsuite\n"
        "from ..stripe import client\n"
        "import refund_adapters.netsuite\n"
        "def main() -> int:\n"
        "    print('ok')\n"
        "    return 0\n"
    ),
    "refund_adapters/__main__.py": "from .cli import main\nmain()\n",
}


def test_clean_tree_passes(tmp_path: Path) -> None:
    """A tree that follows every rule has no violations and main() exits 0."""
    root = _write_tree(tmp_path, CLEAN_TREE)
    assert _messages(root) == []
    assert checker.main(["--root", str(root)]) == 0


def test_core_third_party_import_is_reported(tmp_path: Path) -> None:
    """refund_core importing a third-party package other than attrs/cattrs is a violation."""
    root = _write_tree(
        tmp_path,
        {"refund_core/bad.py": "import attrs\nimport httpx\nfrom tenacity import retry\n"},
    )
    messages = _messages(root)
    assert len(messages) == 2
    assert messages[0].startswith("src/refund_core/bad.py:2: ")
    assert "'httpx'" in messages[0]
    assert messages[1].startswith("src/refund_core/bad.py:3: ")
    assert "'tenacity'" in messages[1]


def test_core_import_of_adapters_is_reported(tmp_path: Path) -> None:
    """refund_core must never import refund_adapters."""
    root = _write_tree(tmp_path, {"refund_core/bad.py": "from refund_adapters import stripe\n"})
    messages = _messages(root)
    assert len(messages) == 1
    assert "'refund_adapters'" in messages[0]


@pytest.mark.parametrize(
    "statement",
    [
        "import os",
        "import os.path",
        "from os import path",
        "import time",
        "from time import monotonic",
        "import random",
        "import secrets",
        "import uuid",
        "import logging",
        "import socket",
        "import sqlite3",
        "from urllib.parse import urlparse",
        "import http.client",
        "import asyncio",
        "import pathlib",
        "import sys",
        "import io",
        "import subprocess",
        "import threading",
    ],
)
def test_core_io_stdlib_import_is_reported(tmp_path: Path, statement: str) -> None:
    """Stdlib modules that do I/O, clocks or randomness are banned from refund_core."""
    root = _write_tree(tmp_path, {"refund_core/bad.py": f'"""Doc."""\n{statement}\n'})
    messages = _messages(root)
    assert len(messages) == 1, messages
    assert messages[0].startswith("src/refund_core/bad.py:2: refund_core must not import ")


@pytest.mark.parametrize(
    "call",
    [
        "datetime.now()",
        "datetime.now(timezone.utc)",
        "datetime.utcnow()",
        "date.today()",
        "datetime.datetime.now()",
        "clock.now()",
        "something.today()",
        "open('x')",
        "print('x')",
        "input()",
    ],
)
def test_core_clock_and_io_calls_are_reported(tmp_path: Path, call: str) -> None:
    """Calls that read the clock or do I/O are reported with their line."""
    source = f"def f(clock, something):\n    x = 1\n    return {call}\n"
    root = _write_tree(tmp_path, {"refund_core/bad.py": source})
    messages = _messages(root)
    assert len(messages) == 1, messages
    assert messages[0].startswith("src/refund_core/bad.py:3: refund_core must not ")


def test_core_clock_reference_without_call_is_reported(tmp_path: Path) -> None:
    """Passing datetime.now as a factory is reading the clock too."""
    source = "import attrs\nfrom datetime import datetime\nf = attrs.field(factory=datetime.now)\n"
    root = _write_tree(tmp_path, {"refund_core/bad.py": source})
    messages = _messages(root)
    assert len(messages) == 1, messages
    assert messages[0].startswith("src/refund_core/bad.py:3: ")
    assert "datetime.now" in messages[0]


def test_adapter_sibling_import_is_reported(tmp_path: Path) -> None:
    """An adapter subpackage importing another one, in any spelling, is a violation."""
    root = _write_tree(
        tmp_path,
        {
            "refund_adapters/netsuite/__init__.py": "",
            "refund_adapters/shopify/__init__.py": "",
            "refund_adapters/stripe/__init__.py": "",
            "refund_adapters/stripe/client.py": (
                "import refund_adapters.netsuite\n"
                "from refund_adapters.netsuite.client import Client\n"
                "from refund_adapters import shopify\n"
                "from ..netsuite import client\n"
                "from .. import shopify as s\n"
                "from refund_adapters import _util\n"
                "from . import client\n"
            ),
        },
    )
    messages = _messages(root)
    assert [m.split(": ", 1)[0] for m in messages] == [
        f"src/refund_adapters/stripe/client.py:{line}" for line in (1, 2, 3, 4, 5)
    ]
    assert all("'refund_adapters.stripe' must not import sibling" in m for m in messages)
    assert "'refund_adapters.netsuite'" in messages[0]
    assert "'refund_adapters.shopify'" in messages[2]


def test_adapter_import_of_cli_is_reported(tmp_path: Path) -> None:
    """No adapter subpackage may import the composition root refund_adapters.cli."""
    root = _write_tree(
        tmp_path,
        {
            "refund_adapters/cli/__init__.py": "from refund_adapters import storage\n",
            "refund_adapters/storage/__init__.py": "",
            "refund_adapters/storage/db.py": "from ..cli import main\n",
        },
    )
    messages = _messages(root)
    assert messages == [
        "src/refund_adapters/storage/db.py:1: 'refund_adapters.storage' must not import "
        "the composition root 'refund_adapters.cli'"
    ]


def test_composition_roots_import_downwards_only(tmp_path: Path) -> None:
    """Cli may import demo and wiring, demo may import wiring; never the other way round."""
    root = _write_tree(
        tmp_path,
        {
            "refund_adapters/cli/__init__.py": "from ..demo import run\nfrom ..wiring import x\n",
            "refund_adapters/demo/__init__.py": "from ..wiring import x\nfrom ..stripe import s\n",
            "refund_adapters/demo/back.py": "from ..cli import main\n",
            "refund_adapters/wiring/__init__.py": "from ..stripe import s\n",
            "refund_adapters/wiring/back.py": "from refund_adapters.demo import run\n",
            "refund_adapters/stripe/__init__.py": "",
            "refund_adapters/stripe/up.py": "from refund_adapters.wiring import x\n",
        },
    )
    messages = _messages(root)
    assert messages == [
        "src/refund_adapters/demo/back.py:1: composition root 'refund_adapters.demo' must not "
        "import 'refund_adapters.cli', which sits above it (cli > demo > wiring)",
        "src/refund_adapters/stripe/up.py:1: 'refund_adapters.stripe' must not import the "
        "composition root 'refund_adapters.wiring'",
        "src/refund_adapters/wiring/back.py:1: composition root 'refund_adapters.wiring' must "
        "not import 'refund_adapters.demo', which sits above it (cli > demo > wiring)",
    ]


def test_shared_module_importing_subpackage_is_reported(tmp_path: Path) -> None:
    """A shared module in refund_adapters/ may not import a subpackage."""
    root = _write_tree(
        tmp_path,
        {
            "refund_adapters/amazon/__init__.py": "",
            "refund_adapters/_util.py": "from refund_adapters.amazon import api\n",
        },
    )
    messages = _messages(root)
    assert len(messages) == 1, messages
    assert messages[0].startswith("src/refund_adapters/_util.py:1: shared module ")


def test_subpackages_are_discovered_from_disk(tmp_path: Path) -> None:
    """Only directories with an __init__.py count as adapter subpackages."""
    _write_tree(
        tmp_path,
        {"refund_adapters/magento/__init__.py": "", "refund_adapters/stripe/__init__.py": ""},
    )
    (tmp_path / "src" / "refund_adapters" / "data").mkdir()
    adapters = tmp_path / "src" / "refund_adapters"
    assert checker.adapter_subpackages(adapters) == ["magento", "stripe"]


def test_syntax_error_is_reported(tmp_path: Path) -> None:
    """A file that does not parse is a violation, not a crash."""
    root = _write_tree(tmp_path, {"refund_core/broken.py": "x = 1\ndef (:\n"})
    messages = _messages(root)
    assert len(messages) == 1
    assert messages[0].startswith("src/refund_core/broken.py:2: cannot parse")


def test_missing_packages_are_reported(tmp_path: Path) -> None:
    """Running on a tree without the packages fails instead of passing vacuously."""
    messages = _messages(tmp_path)
    assert messages == [
        "src/refund_core:0: package 'refund_core' not found",
        "src/refund_adapters:0: package 'refund_adapters' not found",
    ]


def test_main_prints_one_line_per_violation_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """main() prints path:line: message lines and returns 1 when anything is wrong."""
    root = _write_tree(tmp_path, {"refund_core/bad.py": "import os\nimport random\n"})
    assert checker.main(["--root", str(root)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("src/refund_core/bad.py:1: ")
    assert lines[1].startswith("src/refund_core/bad.py:2: ")
