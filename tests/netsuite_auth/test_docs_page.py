"""The NetSuite authentication page's examples run as written."""

import doctest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_netsuite_auth_page_examples_run() -> None:
    """docs/netsuite-auth.md's account example prints what the page shows."""
    result = doctest.testfile(str(ROOT / "docs" / "netsuite-auth.md"), module_relative=False)
    assert result.attempted >= 3
    assert result.failed == 0
