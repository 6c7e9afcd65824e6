"""Text as PostgreSQL can hold it: NUL and lone surrogates escaped, one-to-one.

PostgreSQL ``text`` is UTF-8 and refuses both a NUL character and a lone UTF-16 surrogate (as in
a Stripe refund ID cut from truncated UTF-16 text), which Python strings and the other journals
hold. Each such character, and the escape character itself (U+E000, private use), is written as
U+E000 followed by its code point in four hex digits. Every other character is left as it is,
so ordinary IDs read the same in ``psql``; the mapping is one-to-one, so an escaped ID is looked
up, deduplicated and compared like any other, and read back as it was given.
"""

from __future__ import annotations

import re

__all__ = ["from_db", "to_db"]

_ESCAPE = "\ue000"
_ODD = re.compile("[\x00\ud800-\udfff\ue000]")


def _escaped(match: re.Match[str]) -> str:
    return f"{_ESCAPE}{ord(match.group()):04x}"


def to_db(value: str) -> str:
    """``value`` as text PostgreSQL accepts (see the module docstring)."""
    if value.isascii() and "\x00" not in value:
        return value
    return _ODD.sub(_escaped, value)


def from_db(value: str) -> str:
    """The text ``to_db`` was given."""
    if _ESCAPE not in value:
        return value
    head, *parts = value.split(_ESCAPE)
    return head + "".join(chr(int(part[:4], 16)) + part[4:] for part in parts)
