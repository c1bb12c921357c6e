"""``vmplan schema``: print the JSON Schema of the inventory format."""

from __future__ import annotations

import json

from vmplan.commands import common
from vmplan.inventory.jsonschema import inventory_schema


def schema(output: common.OutputOpt = None) -> None:
    """Print the JSON Schema of inventory format v1 (for editors and other tools)."""
    common.write_output(json.dumps(inventory_schema(), indent=2) + "\n", output)
