"""``prefer: keep|free`` on hosts: read with its position, and used to choose which host a plan
frees among plans with as many hosts (never at the cost of a host; every plan verified)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from vmplan.engine import construct
from vmplan.engine.items import build
from vmplan.engine.state import Hosts
from vmplan.engine.verify import verify_placement, verify_plan
from vmplan.inventory import load
from vmplan.model import Preference
from vmplan.pack import PackSettings, pack

# 3 identical hosts of 16 cores; five VMs of 4 busy cores fit on 2 of them (12 + 8 cores).
# Without a preference the host with the fewest VMs today (c) is the one freed.
FLEET = """
version: 1
hosts:
  - {{name: a, cpus: 16, memory: 64GiB{a}}}
  - {{name: b, cpus: 16, memory: 64GiB{b}}}
  - {{name: c, cpus: 16, memory: 64GiB{c}}}
vms:
  - {{name: a1, host: a, vcpus: 4, memory: 4GiB, cpu: [100, 90]}}
  - {{name: a2, host: a, vcpus: 4, memory: 4GiB, cpu: [90, 100]}}
  - {{name: b1, host: b, vcpus: 4, memory: 4GiB, cpu: [100, 80]}}
  - {{name: b2, host: b, vcpus: 4, memory: 4GiB, cpu: [80, 100]}}
  - {{name: c1, host: c, vcpus: 4, memory: 4GiB, cpu: [100, 100]}}
"""


def fleet(**prefer: str) -> str:
    return FLEET.format(**{h: f", prefer: {prefer[h]}" if h in prefer else "" for h in "abc"})


def test_prefer_loads_as_an_enum_and_is_optional(write):
    inv = load([write("f.yaml", fleet(a="free", b="keep"))]).inventory
    assert [h.prefer for h in inv.hosts] == [Preference.FREE, Preference.KEEP, None]
    assert inv.preference.tolist() == [1, -1, 0]
    back = pickle.loads(pickle.dumps(inv))  # a cluster sent to a worker keeps it
    assert [h.prefer for h in back.hosts] == [Preference.FREE, Preference.KEEP, None]
    assert back.preference.tolist() == [1, -1, 0]


def test_a_wrong_preference_is_an_error_with_the_closest_spelling(write, problems_of):
    path = write("f.yaml", fleet(b="fre"))
    assert problems_of(path) == [
        (
            str(path),
            4,
            48,
            "hosts[1].prefer",
            "unknown preference 'fre' (did you mean 'free'?); expected one of keep, free",
        )
    ]


def freed(write, **prefer: str) -> set[str]:
    inv = load([write("f.yaml", fleet(**prefer))]).inventory
    plan = pack(inv, PackSettings(time_limit=1)).plan
    assert plan.feasible
    assert verify_placement(inv, plan.target) == []
    assert verify_plan(inv, plan, PackSettings().parallel) == []
    used = set(plan.target.tolist())
    assert len(used) == 2  # a preference never costs a host
    return {h.name for k, h in enumerate(inv.hosts) if k not in used}


def test_without_a_preference_the_cheapest_host_is_freed(write):
    assert freed(write) == {"c"}


@pytest.mark.parametrize("host", ["a", "b", "c"])
def test_the_host_marked_free_is_the_one_freed(write, host):
    assert freed(write, **{host: "free"}) == {host}


@pytest.mark.parametrize("host", ["a", "b", "c"])
def test_the_hosts_marked_keep_are_kept(write, host):
    others = {h: "keep" for h in "abc" if h != host}
    assert freed(write, **others) == {host}
    assert host not in freed(write, **{host: "keep"})


def test_relabelling_puts_bins_on_keep_hosts_before_free_ones(write):
    inv = load([write("f.yaml", fleet(a="free", c="keep"))]).inventory
    items = build(inv)
    # two bins on a and b: relabelled, the bins leave the free-marked host for the keep-marked
    where = np.array([0, 0, 0, 1, 1], dtype=np.int64)
    state = construct.relabel(inv, items, Hosts(inv, items, where), inv.current)
    assert set(state.where.tolist()) == {1, 2}
