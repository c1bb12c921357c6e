"""The JSON Schema of inventory format v1, for editors (yaml-language-server) and other tools."""

from __future__ import annotations

from typing import Any

from vmplan import units
from vmplan.inventory.specs import (
    HOST_KEYS,
    LIMIT_KEYS,
    MAX_CORES,
    MAX_VCPUS,
    RULE_KEYS,
    TOP_KEYS,
    VM_KEYS,
)
from vmplan.model import Preference, RuleKind

SCHEMA_ID = "https://vmplan.dev/schema/inventory-v1.json"


def _quantity(unit: str) -> str:
    """The pattern of a quantity as :mod:`vmplan.units` reads it (surrounding spaces allowed)."""
    return rf"^\s*{units.NUMBER}\s*(?:{unit})\s*$"


_SIZE = {
    "type": "string",
    "pattern": _quantity("|".join(units.SIZE_UNITS)),
    "description": "A size with a unit: " + ", ".join(units.SIZE_UNITS) + ", e.g. 16GiB.",
}
_PERCENT = {
    "type": "string",
    "pattern": _quantity("%"),
    "description": "A percentage above 0% and at most 100%, e.g. 80%.",
}
_NAME = {"type": ["string", "integer"], "minLength": 1}
_LIMITS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {k: _PERCENT for k in LIMIT_KEYS},
}
_SERIES = {
    "description": "CPU utilisation in % of the VM's vCPUs (0..100), one value per interval; "
    "null is a missing sample. A string of space-separated numbers loads faster.",
    "oneOf": [
        {
            "type": "array",
            "minItems": 1,
            "items": {"type": ["number", "null"], "minimum": 0, "maximum": 100},
        },
        {"type": "string"},
    ],
}


def _object(properties: dict[str, Any], keys: tuple[str, ...], required: list[str]) -> Any:
    assert set(properties) == set(keys), "the JSON Schema and the loader know other keys"
    return {
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": properties,
    }


def inventory_schema() -> dict[str, Any]:
    host = _object(
        {
            "name": _NAME,
            "cpus": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": MAX_CORES,
                "description": "Physical cores for VMs.",
            },
            "memory": _SIZE,
            "maintenance": {"type": "boolean", "description": "true: may not receive VMs."},
            "limits": _LIMITS,
            "cluster": {
                **_NAME,
                "description": "The cluster the host belongs to; VMs move only within their "
                "host's cluster (default: one unnamed cluster).",
            },
            "prefer": {
                "enum": [p.value for p in Preference],
                "description": "Among plans with as many hosts, keep this host or free it "
                "(default: no preference).",
            },
        },
        HOST_KEYS,
        ["name", "cpus", "memory"],
    )
    vm = _object(
        {
            "name": _NAME,
            "host": {**_NAME, "description": "The host the VM runs on today."},
            "vcpus": {"type": "integer", "exclusiveMinimum": 0, "maximum": MAX_VCPUS},
            "memory": _SIZE,
            "cpu": _SERIES,
        },
        VM_KEYS,
        ["name", "host", "vcpus", "memory"],
    )
    rule = _object(
        {
            "type": {"enum": [k.value for k in RuleKind]},
            "vms": {"type": "array", "minItems": 1, "items": _NAME},
            "hosts": {"type": "array", "minItems": 1, "items": _NAME},
            "name": _NAME,
        },
        RULE_KEYS,
        ["type", "vms"],
    )
    top = {
        "version": {"const": 1},
        "interval": {
            "type": "string",
            "pattern": _quantity("|".join(units.DURATION_UNITS)),
            "description": "Spacing of the samples, e.g. 5m (default 5m).",
        },
        "start": {"type": "string", "description": "Time of the first sample (ISO 8601)."},
        "limits": _LIMITS,
        "hosts": {"type": "array", "items": host},
        "vms": {"type": "array", "items": vm},
        "rules": {"type": "array", "items": rule},
        "cpu_series": {
            "type": "string",
            "description": "Wide CSV 'timestamp,<vm>,...' (relative to this file) with the series "
            "of the VMs that have no inline cpu.",
        },
    }
    assert set(top) == set(TOP_KEYS)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "vmplan inventory, format version 1",
        "type": "object",
        "additionalProperties": False,
        "required": ["version"],
        "properties": top,
    }
