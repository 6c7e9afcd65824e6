"""Where the official vendor specs live for contract tests, and a clear skip when they do not.

The specs are data published by the vendors (Stripe OpenAPI, Shopify Admin GraphQL schema,
Magento REST schema, Amazon SP-API models). They are never copied into this project: tests read
them from ``$REFUND_SYNC_SPECS``, by default ``../shared/specs`` beside the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ENV_VAR = "REFUND_SYNC_SPECS"
DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "specs"


def specs_dir() -> Path:
    """The folder holding the vendor specs (it may not exist)."""
    configured = os.environ.get(ENV_VAR)
    return Path(configured) if configured else DEFAULT


def spec_path(relative: str) -> Path:
    """The path of one spec file, or skip the calling test with a message saying what is missing."""
    path = specs_dir() / relative
    if not path.is_file():
        pytest.skip(
            f"vendor spec {relative} not found under {specs_dir()} "
            f"(set {ENV_VAR} to the folder holding the shared specs)"
        )
    return path
