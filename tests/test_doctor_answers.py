"""The converter doctors read vendor answers with: strict where cattrs would guess."""

from __future__ import annotations

from collections.abc import Mapping

import attrs
import pytest

from refund_adapters._decode import UpstreamDataError
from refund_adapters._doctor import read_answer


@attrs.frozen
class _Scope:
    scope_handle: str


@attrs.frozen
class _Answer:
    access_scopes: tuple[_Scope, ...] = ()
    counts: Mapping[str, int] = attrs.field(factory=dict)
    live_mode: bool | None = None


def _read(value: object, *, camel_case: bool = True) -> _Answer:
    return read_answer(value, _Answer, service="vendor", endpoint="GET /x", camel_case=camel_case)


def test_camel_case_keys_fill_snake_case_fields() -> None:
    """accessScopes[].scopeHandle, counts and liveMode, as a vendor spells them."""
    answer = _read(
        {"accessScopes": [{"scopeHandle": "read_orders"}], "counts": {"a": 1}, "liveMode": True}
    )
    assert answer == _Answer((_Scope("read_orders"),), {"a": 1}, True)


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"accessScopes": "read_orders"}, "$.accessScopes"),  # a string is no list
        ({"accessScopes": ["read_orders"]}, "$.accessScopes[0]"),  # nor an object
        ({"counts": {"a": "1"}}, "$.counts"),  # "1" is no integer
        ({"liveMode": "true"}, "$.liveMode"),  # "true" is no boolean
        ("not an object", "$"),
    ],
)
def test_what_cattrs_would_coerce_is_refused_naming_where(value: object, path: str) -> None:
    """Each shape a lenient converter would bend into something else is a typed error."""
    with pytest.raises(UpstreamDataError) as raised:
        _read(value)
    assert raised.value.path.startswith(path)


def test_without_camel_case_keys_are_the_field_names() -> None:
    """Magento and Stripe answer in snake_case: the field names are the keys."""
    assert _read({"access_scopes": [{"scope_handle": "x"}]}, camel_case=False).access_scopes
