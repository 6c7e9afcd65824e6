"""The contracts of the ports (refund_adapters.conformance), run over every implementation.

One module per port; each holds one ``Test*`` subclass of the port's contract per
implementation (the in-memory fakes of ``refund_core.testing``, the SQLite journal, and every
adapter over its local stand-in), so the fake and the real adapter meet the very same behaviour.
"""
