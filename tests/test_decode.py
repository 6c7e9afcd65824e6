from decimal import Decimal

import attrs
import cattrs
import pytest

from refund_adapters._decode import MAX_DEPTH, UpstreamDataError, parse_json, structure
from refund_adapters._http import UpstreamRejectedError


@attrs.frozen
class _Line:
    amount: Decimal
    sku: str


@attrs.frozen
class _Answer:
    items: tuple[_Line, ...]


def _strict_str(value: object, _type: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _converter(*, detailed: bool) -> cattrs.Converter:
    converter = cattrs.Converter(detailed_validation=detailed)
    converter.register_structure_hook(Decimal, lambda value, _: Decimal(value))
    converter.register_structure_hook(str, _strict_str)
    return converter


_CONVERTER = _converter(detailed=True)


def test_fractions_are_decimals_never_floats():
    """A JSON fraction is parsed as an exact Decimal."""
    assert parse_json(b'{"a": 19.99}', service="v", endpoint="GET /x") == {"a": Decimal("19.99")}


@pytest.mark.parametrize("body", [b'{"a": NaN}', b"[Infinity]", b"-Infinity", b"{", b"\xff\xfe"])
def test_unusable_json_is_a_typed_error(body):
    """NaN, Infinity, cut-off JSON and undecodable bytes are one typed error naming the endpoint."""
    with pytest.raises(UpstreamDataError) as info:
        parse_json(body, service="vendor", endpoint="GET /v1/things", status=200)
    assert info.value.endpoint == "GET /v1/things"
    assert "vendor" in str(info.value)
    assert isinstance(info.value, UpstreamRejectedError)


def test_deep_nesting_is_refused_without_recursion():
    """A body nested far deeper than any real answer is refused, not a RecursionError."""
    body = "[" * 100_000 + "]" * 100_000
    with pytest.raises(UpstreamDataError, match="not usable JSON"):
        parse_json(body, service="v", endpoint="GET /deep")
    shallow = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse_json(shallow, service="v", endpoint="GET /ok") is not None


def test_a_wrong_field_is_named_by_its_json_path():
    """A field of the wrong type is reported with its path from the answer's root."""
    payload = {"items": [{"amount": "1.00", "sku": "a"}, {"amount": "1.00", "sku": 7}]}
    with pytest.raises(UpstreamDataError) as info:
        structure(_CONVERTER, payload, _Answer, service="v", endpoint="GET /orders")
    assert info.value.path == "$.items[1].sku"


def test_a_missing_field_is_named_by_its_json_path():
    """A missing field is reported with its path."""
    with pytest.raises(UpstreamDataError) as info:
        structure(_CONVERTER, {"items": [{"sku": "a"}]}, _Answer, service="v", endpoint="GET /o")
    assert info.value.path == "$.items[0].amount"


def test_bare_errors_of_a_hook_are_translated():
    """An error a structure hook raises (here InvalidOperation) leaves as the typed error."""
    converter = _converter(detailed=False)
    with pytest.raises(UpstreamDataError, match="unreadable"):
        structure(converter, {"amount": "x", "sku": "a"}, _Line, service="v", endpoint="GET /o")
