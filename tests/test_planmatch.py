"""A plan must start from the inventory it is run or applied against: each migration leaves where
the VM is at that point, a VM moves once per wave, and the moves end where ``placement`` says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vmplan.inventory import load
from vmplan.model import Inventory
from vmplan.planmatch import read_matching_plan
from vmplan.problems import InputError

INVENTORY = """\
version: 1
hosts:
  - {name: h1, cpus: 8, memory: 64GiB}
  - {name: h2, cpus: 8, memory: 64GiB}
  - {name: h3, cpus: 8, memory: 64GiB}
vms:
  - {name: a, host: h1, vcpus: 1, memory: 1GiB, cpu: "1"}
  - {name: b, host: h2, vcpus: 1, memory: 1GiB, cpu: "1"}
"""


@pytest.fixture
def inv(tmp_path: Path) -> Inventory:
    path = tmp_path / "inv.yaml"
    path.write_text(INVENTORY, encoding="utf-8")
    return load([path]).inventory


def problems(inv: Inventory, doc: dict[str, object]) -> list[tuple[int, int, str, str]]:
    text = json.dumps(doc, indent=1)
    with pytest.raises(InputError) as info:
        read_matching_plan(text, "plan.json", inv)
    return [(p.line, p.column, p.path, p.message) for p in info.value.problems]


def move(wave: int, vm: str, a: str, b: str) -> dict[str, object]:
    return {"wave": wave, "vm": vm, "from": a, "to": b}


def test_a_chain_of_moves_through_a_temporary_stop_reads(inv: Inventory) -> None:
    doc = {
        "placement": {"a": "h3", "b": "h2"},
        "migrations": [move(2, "a", "h2", "h3"), move(1, "a", "h1", "h2")],  # any order in the file
    }
    plan = read_matching_plan(json.dumps(doc), "plan.json", inv)
    assert [(m.wave, m.source, m.target) for m in plan.moves] == [(1, 0, 1), (2, 1, 2)]


def test_each_break_in_the_chain_is_reported_where_it_is(inv: Inventory) -> None:
    doc = {
        "placement": {"a": "h3", "b": "h1"},
        "migrations": [
            move(1, "a", "h2", "h3"),
            move(1, "b", "h2", "h3"),
            move(1, "b", "h3", "h1"),
        ],
    }
    got = problems(inv, doc)
    assert [(path, message.split(" (")[0]) for _, _, path, message in got] == [
        ("migrations[0].from", "'a' starts from h2, but the inventory has it on h1"),
        ("migrations[2].wave", "'b' moves twice in wave 1"),
    ]
    assert all(line > 0 and column > 0 for line, column, _, _ in got)


def test_placement_must_be_where_the_moves_end(inv: Inventory) -> None:
    doc = {"placement": {"a": "h3", "b": "h2"}, "migrations": [move(1, "a", "h1", "h2")]}
    assert problems(inv, doc) == [
        (3, 8, "placement.a", "'a' ends on h2 after the plan's migrations, not on h3")
    ]


def test_an_infeasible_plan_has_nothing_to_run(inv: Inventory) -> None:
    doc = {"feasible": False, "placement": {"a": "h1", "b": "h2"}, "migrations": []}
    assert problems(inv, doc) == [
        (2, 14, "feasible", "the plan is not feasible ('feasible': false): there is nothing to run")
    ]
