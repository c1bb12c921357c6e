"""A plan read for some clusters: cross-cluster moves refused where they are written, the chosen
clusters' part kept with its waves renumbered, the other clusters' VMs neither read nor missed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vmplan.fleet.selection import narrow, select
from vmplan.inventory import load
from vmplan.model import Inventory
from vmplan.planfile import read_plan
from vmplan.planmatch import read_matching_plan
from vmplan.problems import InputError

FLEET = """\
version: 1
hosts:
  - {name: a1, cpus: 8, memory: 64GiB, cluster: west}
  - {name: b1, cpus: 8, memory: 64GiB, cluster: east}
  - {name: a2, cpus: 8, memory: 64GiB, cluster: west}
  - {name: b2, cpus: 8, memory: 64GiB, cluster: east}
  - {name: a3, cpus: 8, memory: 64GiB, cluster: west}
vms:
  - {name: w1, host: a1, vcpus: 1, memory: 1GiB, cpu: "1"}
  - {name: e1, host: b1, vcpus: 1, memory: 1GiB, cpu: "1"}
  - {name: w2, host: a2, vcpus: 1, memory: 1GiB, cpu: "1"}
  - {name: e2, host: b2, vcpus: 1, memory: 1GiB, cpu: "1"}
"""


def move(wave: int, vm: str, source: str, target: str) -> dict[str, object]:
    return {"wave": wave, "vm": vm, "from": source, "to": target, "seconds": 5.0}


#: west moves in waves 1 and 3, east in 2: east alone is wave 1, west alone waves 1 and 2.
PLAN = {
    "command": "pack",
    "feasible": True,
    "lower_bound": 2,
    "optimal": True,
    "placement": {"w1": "a3", "w2": "a3", "e1": "b2", "e2": "b2"},
    "migrations": [move(1, "w1", "a1", "a3"), move(2, "e1", "b1", "b2"), move(3, "w2", "a2", "a3")],
}


@pytest.fixture
def inv(tmp_path: Path) -> Inventory:
    path = tmp_path / "fleet.yaml"
    path.write_text(FLEET, encoding="utf-8")
    return load([path]).inventory


def problems(inv: Inventory, doc: dict[str, object]) -> list[tuple[int, int, str, str]]:
    with pytest.raises(InputError) as info:
        read_plan(json.dumps(doc, indent=1), "plan.json", inv)
    return [(p.line, p.column, p.path, p.message) for p in info.value.problems]


def test_a_vm_placed_in_another_cluster_is_an_error_at_its_placement(inv):
    doc = {**PLAN, "placement": {**PLAN["placement"], "w1": "b2"}, "migrations": []}
    assert problems(inv, doc) == [
        (
            7,
            9,
            "placement.w1",
            "'w1' is in cluster 'west' (on a1), but the plan places it on b2, in cluster "
            "'east': live migration never crosses clusters",
        )
    ]


def test_a_move_to_or_from_another_cluster_is_an_error_at_that_end(inv):
    doc = {**PLAN, "migrations": [move(1, "w1", "a1", "b1"), move(2, "w1", "b1", "a3")]}
    found = [(path, message.split(": live")[0]) for _, _, path, message in problems(inv, doc)]
    assert found == [
        (
            "migrations[0].to",
            "'w1' is in cluster 'west' (on a1), but the plan moves it to b1, in cluster 'east'",
        ),
        (
            "migrations[1].from",
            "'w1' is in cluster 'west' (on a1), but the plan moves it from b1, in cluster 'east'",
        ),
    ]


def test_an_inventory_without_clusters_reads_any_move(tmp_path):
    path = tmp_path / "one.yaml"
    path.write_text(FLEET.replace(", cluster: west", "").replace(", cluster: east", ""))
    doc = {**PLAN, "placement": {**PLAN["placement"], "w1": "b2"}, "migrations": []}
    plan = read_plan(json.dumps(doc), "plan.json", load([path]).inventory)
    assert plan.target.tolist() == [3, 3, 4, 3]


@pytest.mark.parametrize(("cluster", "hosts", "waves"), [("west", 3, [1, 2]), ("east", 2, [1])])
def test_narrow_keeps_one_clusters_part_with_waves_renumbered(inv, cluster, hosts, waves):
    chosen = select(inv, [cluster])
    plan = narrow(chosen, read_plan(json.dumps(PLAN), "plan.json", inv, only=chosen.vms))
    sub = chosen.inventory
    assert len(sub.hosts) == hosts and {h.cluster for h in sub.hosts} == {cluster}
    names = {v.name: sub.hosts[t].name for v, t in zip(sub.vms, plan.target, strict=True)}
    assert names == {v: h for v, h in PLAN["placement"].items() if v in sub.vm_index}
    assert [m.wave for m in plan.moves] == waves
    for m in plan.moves:
        assert sub.hosts[m.source].cluster == sub.hosts[m.target].cluster == cluster
    np.testing.assert_array_equal(plan.before, sub.current)
    assert plan.lower_bound is None and plan.optimal


def test_the_other_clusters_vms_are_neither_read_nor_required(inv):
    west = select(inv, ["west"])
    # east's part is missing, stale and crosses clusters: none of it is west's business
    doc = {
        **PLAN,
        "placement": {"w1": "a3", "w2": "a3", "e1": "a1"},
        "migrations": [
            move(1, "w1", "a1", "a3"),
            move(1, "e1", "b2", "a1"),
            move(2, "w2", "a2", "a3"),
        ],
    }
    plan = narrow(west, read_matching_plan(json.dumps(doc), "plan.json", inv, west.vms))
    assert [(m.wave, west.inventory.vms[m.vm].name) for m in plan.moves] == [(1, "w1"), (2, "w2")]
    with pytest.raises(InputError):  # the whole plan is wrong
        read_matching_plan(json.dumps(doc), "plan.json", inv)


def test_every_cluster_chosen_is_the_plan_itself(inv):
    chosen = select(inv, [])
    plan = read_plan(json.dumps(PLAN), "plan.json", inv)
    assert chosen.everything and narrow(chosen, plan) is plan
    assert chosen.names == ("west", "east")
