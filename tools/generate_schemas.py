"""Write the JSON Schemas of the public documents to docs/schema/.

``scenario.schema.json`` describes the input of ``refund-sync plan``
(:class:`refund_core.Scenario`); ``plan.schema.json`` its ``--json`` output,
``{"outcomes": [...]}``. Run from the repository root: ``python tools/generate_schemas.py``;
``tests/test_schema.py`` fails when the files are stale.
"""

import json
import sys
from pathlib import Path
from typing import Any

import attrs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import refund_core  # noqa: E402
from refund_core import ScenarioOutcome, json_schema  # noqa: E402

SCHEMA_DIR = ROOT / "docs" / "schema"


@attrs.frozen
class PlanDocument:
    """The output of ``refund-sync plan --json``: every event's outcome, in order."""

    outcomes: tuple[ScenarioOutcome, ...]


def build_schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema, for every committed schema."""
    return {
        "scenario.schema.json": json_schema(refund_core.Scenario, title="refund-sync scenario"),
        "plan.schema.json": json_schema(PlanDocument, title="refund-sync plan output"),
    }


def render(schema: dict[str, Any]) -> str:
    """The exact text committed for a schema."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    """Write every schema; prints the paths written."""
    SCHEMA_DIR.mkdir(parents=True, exist_ok=True)
    for name, schema in build_schemas().items():
        path = SCHEMA_DIR / name
        path.write_text(render(schema), encoding="utf-8")
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
