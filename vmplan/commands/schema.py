"""``vmplan schema``: print the JSON Schema of the inventory format."""

from __future__ import annotations

import json

from vmplan.commands import options, output
from vmplan.commands.outcome import Outcome
from vmplan.inventory.jsonschema import inventory_schema


def schema(out: options.OutputOpt = None) -> Outcome:
    """Print the JSON Schema of inventory format v1 (for editors and other tools)."""
    output.write_output(json.dumps(inventory_schema(), indent=2) + "\n", out)
    return Outcome.OK
