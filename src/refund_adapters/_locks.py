"""Who holds a journal: the one description both journals give of a run holding an account.

The SQLite journal tells a live holder by its process (on this host); the PostgreSQL journal by
its database session and, for a worker's lease, by the lease's expiry. Both describe the holder
with :class:`LockHolder`, so ``refund-sync status`` and ``unlock`` read the same either way.
"""

from __future__ import annotations

import dataclasses

__all__ = ["LockHolder"]


@dataclasses.dataclass(frozen=True)
class LockHolder:
    """The run holding a journal: its owner name, process, host, since when, and whether alive.

    ``alive`` is True while the run is known to go on, False once it is known gone (its process
    or database session ended, or its lease expired), None when that cannot be told (a SQLite
    lock taken on another host).
    """

    owner: str
    pid: int
    hostname: str
    since: str
    token: str = dataclasses.field(repr=False)
    alive: bool | None

    def __str__(self) -> str:
        return f"{self.owner!r} (pid {self.pid} on {self.hostname}, since {self.since})"
