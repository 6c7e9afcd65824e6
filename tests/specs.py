"""Where the official vendor specs live for contract tests, and a clear skip when they do not.

The specs are data published by the vendors (Stripe OpenAPI, Shopify Admin GraphQL schema,
Magento REST schema, Amazon SP-API models) plus NetSuite's facts pack. They are never copied into
this project. Tests look for them, in order: in ``$REFUND_SYNC_SPECS`` when it is set; in
``../shared/specs`` beside the repository; in the cache that ``python -m nox -s specs`` fills
from the public sources listed, with their sha256, in ``tests/specs_manifest.toml``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ENV_VAR = "REFUND_SYNC_SPECS"
CACHE_ENV = "REFUND_SYNC_SPECS_CACHE"
DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "specs"


def cache_dir() -> Path:
    """The folder ``nox -s specs`` downloads into (kept in step with tools/fetch_specs.py)."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "refund-sync" / "specs"


def specs_dir() -> Path:
    """The folder holding the vendor specs (it may not exist)."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured)
    if DEFAULT.is_dir():
        return DEFAULT
    return cache_dir()


def spec_path(relative: str) -> Path:
    """The path of one spec file, or skip the calling test with a message saying what is missing."""
    path = specs_dir() / relative
    if not path.is_file():
        pytest.skip(
            f"vendor spec {relative} not found under {specs_dir()}: run `python -m nox -s specs` "
            f"to download the published specs (tests/specs_manifest.toml), or set {ENV_VAR} to "
            "a folder holding them"
        )
    return path
