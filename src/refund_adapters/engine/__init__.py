"""The sync engine: pulls events, plans them with refund_core, applies plans, journals every step.

Intent: the imperative shell around the pure decisions. It depends only on refund_core's ports, so
any source, ledger, storefront or journal that conforms can be plugged in (adapters are composed
by the CLI). It is async inside, with a plain synchronous entry point.
"""

from ._engine import (
    EngineConfig,
    ListingLoopError,
    Progress,
    ReconciliationReport,
    RunSummary,
    StopRequest,
    SyncEngine,
    SyncStopped,
    TransientError,
)

__all__ = [
    "EngineConfig",
    "ListingLoopError",
    "Progress",
    "ReconciliationReport",
    "RunSummary",
    "StopRequest",
    "SyncEngine",
    "SyncStopped",
    "TransientError",
]
