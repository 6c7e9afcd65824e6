"""The sync engine: pulls events, plans them with refund_core, applies plans, journals every step.

Intent: the imperative shell around the pure decisions. It depends only on refund_core's ports, so
any source, ledger, storefront or journal that conforms can be plugged in (adapters are composed
by :mod:`refund_adapters.wiring`). It is async inside, with a plain synchronous entry point.

Read it in this order: :mod:`._engine` (the five passes, one line each), a pass
(:mod:`._incoming`, :mod:`._outgoing`, :mod:`._payouts`, :mod:`._retry`, :mod:`._reconcile`),
then what they share: :mod:`._runner` (collaborators, limits, journal lock), :mod:`._paging`
(the page loop and cursor), :mod:`._apply` (one event: decide, write, journal),
:mod:`._groups` (which events must run one after the other), :mod:`._news` (duplicates, news
and IDM-4 conflicts), :mod:`._letters` (dead letters) and :mod:`._dry_run`.
"""

from ._config import EngineConfig, StopRequest, SyncStopped
from ._engine import SyncEngine
from ._paging import ListingLoopError
from ._results import Progress, ReconciliationReport, RunSummary

__all__ = [
    "EngineConfig",
    "ListingLoopError",
    "Progress",
    "ReconciliationReport",
    "RunSummary",
    "StopRequest",
    "SyncEngine",
    "SyncStopped",
]
