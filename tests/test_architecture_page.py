"""The architecture page draws the packages as the code imports them, and never an upward arrow."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _tool() -> ModuleType:
    sys.path.insert(0, str(ROOT / "tools"))
    spec = importlib.util.spec_from_file_location(
        "draw_architecture", ROOT / "tools" / "draw_architecture.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_page_draws_what_the_code_imports() -> None:
    """docs/architecture.md holds the drawing tools/draw_architecture.py makes from the source."""
    tool = _tool()
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert tool.drawn_in(page) == tool.mermaid(ROOT / "src"), (
        "docs/architecture.md is stale: run python tools/draw_architecture.py --write"
    )


def test_the_drawn_arrows_are_exactly_the_imports() -> None:
    """Grouped arrows expand back to every import between packages, and to nothing else."""
    tool = _tool()
    edges = tool.import_graph(ROOT / "src")
    assert tool.expand(tool.arrows(edges)) == edges
    assert ("wiring", "stripe") in edges
    assert ("engine", "shared") in edges


def test_no_arrow_points_up() -> None:
    """Core below shared below everything; vendors never import roots or each other."""
    tool = _tool()
    edges = tool.import_graph(ROOT / "src")
    rank = {"refund_core": 0, "shared": 1}
    groups = {name: members for name, _, members in tool.GROUPS}
    for member in (*groups["vendors"], *groups["shell"]):
        rank[member] = 2
    for index, root in enumerate(reversed(groups["roots"])):
        rank[root] = 3 + index
    for source, target in edges:
        if source.startswith("refund_core"):
            assert target.startswith("refund_core"), (source, target)
            continue
        assert rank[source] > rank[target], (source, target)
