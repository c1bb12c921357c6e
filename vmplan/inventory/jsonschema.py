"""The JSON Schema of inventory format v1, for editors (yaml-language-server) and other tools."""

from __future__ import annotations

from typing import Any

from vmplan import units
from vmplan.inventory.specs import HOST_KEYS, LIMIT_KEYS, RULE_KEYS, TOP_KEYS, VM_KEYS
from vmplan.model import RuleKind

SCHEMA_ID = "https://vmplan.dev/schema/inventory-v1.json"

_SIZE = {
    "type": "string",
    "pattern": r"^([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*(" + "|".join(units.SIZE_UNITS) + r")$",
    "description": "A size with a unit: " + ", ".join(units.SIZE_UNITS) + ", e.g. 16GiB.",
}
_PERCENT = {
    "type": "string",
    "pattern": r"^([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*%$",
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


def inventory_schema() -> dict[str, Any]:
    host = {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "cpus", "memory"],
        "properties": {
            "name": _NAME,
            "cpus": {
                "type": "number",
                "exclusiveMinimum": 0,
                "description": "Physical cores for VMs.",
            },
            "memory": _SIZE,
            "maintenance": {"type": "boolean", "description": "true: may not receive VMs."},
            "limits": _LIMITS,
        },
    }
    vm = {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "host", "vcpus", "memory"],
        "properties": {
            "name": _NAME,
            "host": {**_NAME, "description": "The host the VM runs on today."},
            "vcpus": {"type": "integer", "exclusiveMinimum": 0},
            "memory": _SIZE,
            "cpu": _SERIES,
        },
    }
    rule = {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "vms"],
        "properties": {
            "type": {"enum": [k.value for k in RuleKind]},
            "vms": {"type": "array", "minItems": 1, "items": _NAME},
            "hosts": {"type": "array", "minItems": 1, "items": _NAME},
            "name": _NAME,
        },
    }
    assert set(host["properties"]) == set(HOST_KEYS)  # type: ignore[call-overload]
    assert set(vm["properties"]) == set(VM_KEYS)  # type: ignore[call-overload]
    assert set(rule["properties"]) == set(RULE_KEYS)  # type: ignore[call-overload]
    top = {
        "version": {"const": 1},
        "interval": {
            "type": "string",
            "pattern": r"^([0-9]+(\.[0-9]*)?)\s*(s|m|h|d)$",
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
