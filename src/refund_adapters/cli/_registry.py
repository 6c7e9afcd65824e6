"""The adapters ``refund-sync.toml`` can name, wired to their packages.

This module is the composition root's switchboard: each builder turns an account's adapter table
(plain options plus secrets from the environment) into a configured adapter.
"""

from __future__ import annotations

from ._adapters import AdapterRegistry

__all__ = ["default_registry"]


def default_registry() -> AdapterRegistry:
    """A registry with every adapter this package ships."""
    return AdapterRegistry()
