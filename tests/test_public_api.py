"""The public surface of refund_core is exactly what we mean it to be."""

import importlib.metadata

import attrs
import pytest

import refund_adapters
import refund_core


def test_all_is_sorted_and_complete() -> None:
    """__all__ is sorted, has no duplicates, and every name in it exists."""
    names = refund_core.__all__
    # isort style, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions.
    kinds = [0 if n.isupper() else 1 if n[0].isupper() else 2 for n in names]
    assert [(k, n) for k, n in zip(kinds, names, strict=True)] == sorted(
        zip(kinds, names, strict=True)
    )
    assert len(set(names)) == len(names)
    for name in names:
        assert hasattr(refund_core, name), name


def test_no_private_module_leaks() -> None:
    """No public name is a private module or an underscore name."""
    for name in refund_core.__all__:
        assert not name.startswith("_")


@pytest.mark.parametrize(
    "cls",
    [
        getattr(refund_core, name)
        for name in refund_core.__all__
        if attrs.has(getattr(refund_core, name))
    ],
)
def test_models_are_frozen_and_hold_no_mutable_collections(cls: type) -> None:
    """Every exported attrs model is frozen and declares no list, dict or set field."""
    assert cls.__setattr__ is not object.__setattr__ or attrs.fields(cls) == ()
    for field in attrs.fields(cls):
        text = str(field.type)
        for mutable in ("list[", "dict[", "set[", "List[", "Dict["):
            assert mutable not in text or "frozenset[" in text, f"{cls.__name__}.{field.name}"


def test_errors_subclass_the_builtins_callers_catch() -> None:
    """Bad-input errors are ValueErrors; unknown currencies are also LookupErrors."""
    assert issubclass(refund_core.InvalidInputError, ValueError)
    assert issubclass(refund_core.OverRefundError, refund_core.RefundSyncError)
    assert issubclass(refund_core.UnknownCurrencyError, LookupError)
    assert issubclass(refund_core.FloatAmountError, TypeError)


def test_the_version_has_one_source() -> None:
    """Both packages and the installed distribution report the same version."""
    assert refund_core.__version__ == importlib.metadata.version("refund-sync")
    assert refund_adapters.__version__ == refund_core.__version__
