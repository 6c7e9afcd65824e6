"""``python -m refund_adapters.cli``: the ``refund-sync`` command."""

import sys

from . import main

sys.exit(main())
