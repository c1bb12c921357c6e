"""A placement rule that the current placement breaks."""

from __future__ import annotations

from vmplan.constraints import broken_rules
from vmplan.model import IntArray, Inventory
from vmplan.problems import Problem

ID = "rule-broken"


def check(inv: Inventory, placement: IntArray) -> list[Problem]:
    return [
        Problem.at(rule.where, rule.name, f"{rule.kind.value} rule broken: {why}", ID)
        for rule, why in broken_rules(inv, placement)
    ]
