"""A plan written as YAML (``vmplan pack -f yaml``) read back like its JSON form.

The YAML is composed with the inventory's own reader (:mod:`vmplan.inventory.yamlnodes`: its
limits on size, depth and alias expansion hold), turned into the JSON document it stands for and
checked by :func:`vmplan.planfile.read_plan`; every problem is then moved to the line and column
of the YAML key or value it is about.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import replace
from typing import Any

from vmplan.inventory import yamlnodes as yn
from vmplan.model import Inventory, Plan
from vmplan.problems import InputError, Problem

RULE = "plan"


def read_yaml_plan(
    text: str,
    file: str,
    inv: Inventory,
    *,
    warnings: list[Problem] | None = None,
    only: Collection[int] | None = None,
) -> Plan:
    from vmplan.planfile import read_plan

    try:
        root = yn.compose(text)
    except yn.YamlError as exc:
        message = f"{exc.message} (expected the output of vmplan pack)"
        raise InputError([Problem(file, exc.line, exc.column, "", message, RULE)]) from None
    if root is None:
        raise InputError([Problem(file, 1, 1, "", "the plan is empty", RULE)])
    places: dict[str, tuple[int, int]] = {}
    doc = _value(root, "", places)
    found: list[Problem] = []
    try:
        plan = read_plan(json.dumps(doc), file, inv, warnings=found, only=only)
    except InputError as exc:
        raise InputError([_placed(p, places) for p in exc.problems]) from None
    if warnings is not None:
        warnings += [_placed(p, places) for p in found]
    return plan


def _value(node: yn.Node, path: str, places: dict[str, tuple[int, int]]) -> Any:
    """The plain value of ``node``; ``places`` learns where each path is written."""
    places[path] = (node.line, node.column)
    if isinstance(node, yn.Mapping):
        out = {}
        for key, value in node.items:
            name = str(yn.plain_value(key)) if isinstance(key, yn.Scalar) else "?"
            out[name] = _value(value, f"{path}.{name}" if path else name, places)
        return out
    if isinstance(node, yn.Sequence):
        return [_value(item, f"{path}[{i}]", places) for i, item in enumerate(node.items)]
    assert isinstance(node, yn.Scalar)
    return yn.plain_value(node)


def _placed(problem: Problem, places: dict[str, tuple[int, int]]) -> Problem:
    line, column = places.get(problem.path, (0, 0))
    return replace(problem, line=line, column=column)
