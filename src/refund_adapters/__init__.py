"""refund_adapters: the imperative shell around :mod:`refund_core`.

Intent: everything that touches the world lives here, one subpackage per vendor or storage
(Stripe, NetSuite, storefronts, state stores) plus the ``refund-sync`` command line. Adapters
load data, call the pure decisions of :mod:`refund_core` and perform the resulting plans.
Adapters never import each other; they meet only through :mod:`refund_core` types.
"""

from refund_core import __version__ as __version__

__all__: list[str] = []
