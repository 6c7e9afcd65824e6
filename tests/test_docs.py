"""The documentation's examples run, and the generated rule page is current."""

import doctest
import importlib.util
import pkgutil
from pathlib import Path

import pytest

import refund_core

ROOT = Path(__file__).resolve().parent.parent


def test_concepts_page_examples_run() -> None:
    """The worked example in docs/concepts.md runs and prints what it shows (IDM-2)."""
    result = doctest.testfile(str(ROOT / "docs" / "concepts.md"), module_relative=False)
    assert result.attempted > 5
    assert result.failed == 0


def test_wiring_page_example_runs() -> None:
    """The wiring page's example builds an account from tables and syncs it as it shows."""
    result = doctest.testfile(str(ROOT / "docs" / "wiring.md"), module_relative=False)
    assert result.attempted > 10
    assert result.failed == 0


@pytest.mark.parametrize(
    "name", [m.name for m in pkgutil.iter_modules(refund_core.__path__, "refund_core.")]
)
def test_module_docstring_examples_run(name: str) -> None:
    """Every docstring example inside refund_core runs as written (IDM-1 for external_id)."""
    module = importlib.import_module(name)
    assert module.__doc__, f"{name} needs an intent note"
    result = doctest.testmod(module)
    assert result.failed == 0


def _load_generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "generate_rules_doc", ROOT / "tools" / "generate_rules_doc.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rule_page_is_current() -> None:
    """docs/rules.md equals what tools/generate_rules_doc.py generates from the tests."""
    generator = _load_generator()
    if not generator.rules_source().exists():
        pytest.skip(f"rule catalogue not found at {generator.rules_source()}")
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == generator.generate(), (
        "docs/rules.md is stale: run python tools/generate_rules_doc.py"
    )


def test_every_rule_is_cited_by_a_test() -> None:
    """Every rule ID of the catalogue is cited by at least one test function."""
    generator = _load_generator()
    source = generator.rules_source()
    if not source.exists():
        pytest.skip(f"rule catalogue not found at {source}")
    rules = set(generator.rule_texts(source))
    cited = generator.citing_tests(ROOT / "tests")
    assert rules, "no rules read from the catalogue"
    assert sorted(rules - set(cited)) == []
    assert set(generator.CODE) == rules, "every rule needs a code link in the generator"
