"""Contract tests of the ports: one module per port, run over every implementation of it.

Each module parametrizes an ``implementation`` fixture over a list of factories (today the
in-memory fake from ``refund_core.testing``; adapters join by adding one entry), so the fake and
the real adapter are held to the very same behaviour.
"""
