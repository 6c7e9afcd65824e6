"""docs/magento.md's example runs as written."""

from __future__ import annotations

import doctest
from pathlib import Path

PAGE = Path(__file__).resolve().parents[2] / "docs" / "magento.md"


def test_magento_page_example_runs() -> None:
    """The worked example (one refund, then a repeat that creates nothing, NSC-7) runs."""
    result = doctest.testfile(str(PAGE), module_relative=False)
    assert result.attempted > 8
    assert result.failed == 0
