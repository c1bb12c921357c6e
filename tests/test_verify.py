"""The independent checker catches every kind of broken plan (it must be able to fail).

One small fleet and one valid plan; each test breaks the plan in one way and expects exactly that
complaint, so a checker that accepted everything would fail here.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from builders import inventory

from vmplan.engine.verify import verify_plan
from vmplan.model import Inventory, Move, Plan, Reason

# h0 and h1: 3 cores each, 16 GiB; h2: 2 cores, in maintenance. v0 peaks early, v1 late (2 vCPUs
# at 100% = 2 cores each when busy); v2 and v3 are small; r0 keeps v2 and v3 apart.
SERIES = {0: [100, 100, 10, 10], 1: [10, 10, 100, 100], 2: [20, 20, 20, 20], 3: [20, 20, 20, 20]}


def fleet() -> Inventory:
    return inventory(
        hosts=[(3, 16), (3, 16), (2, 16)],
        vms=[
            (2, 4, SERIES[0], 0),
            (2, 4, SERIES[1], 1),
            (1, 2, SERIES[2], 2),
            (1, 2, SERIES[3], 1),
        ],
        rules=[("anti-affinity", [2, 3], [])],
        maintenance=[2],
    )


def good_plan() -> Plan:
    # v1 joins v0 on h0 (their peaks interleave: 2.2 cores of 3), v2 leaves the maintenance host
    # for h0 too (not h1: v3 is there); v3 stays
    before = np.array([0, 1, 2, 1])
    target = np.array([0, 0, 0, 1])
    moves = (
        Move(1, 1, 0, 1, 5.0, Reason.parse("free h1")),
        Move(2, 2, 0, 1, 5.0, Reason.parse("leave h2 (maintenance)")),
    )
    return Plan("pack", True, before, target, moves)


def test_the_good_plan_passes() -> None:
    assert verify_plan(fleet(), good_plan(), parallel=4) == []


def complaints(plan: Plan, parallel: int = 4, inv: Inventory | None = None) -> list[str]:
    return verify_plan(inv or fleet(), plan, parallel)


@pytest.mark.parametrize(
    ("name", "change", "expected"),
    [
        (
            "a VM left on the maintenance host",
            {"target": np.array([0, 0, 2, 1]), "moves": (good_plan().moves[0],)},
            "left on host h2, which must be empty",
        ),
        (
            "anti-affinity broken in the target",
            {
                "target": np.array([0, 1, 1, 1]),
                "moves": (Move(2, 2, 1, 1, 5.0, Reason.parse("x")),),
            },
            "rule r0 broken",
        ),
        (
            "waves that do not reach the target",
            {"moves": (Move(1, 1, 0, 1, 5.0, Reason.parse("x")),)},
            "the waves do not end in the target placement",
        ),
        (
            "a move from the wrong source",
            {"moves": (Move(1, 2, 0, 1, 5.0, Reason.parse("x")), good_plan().moves[1])},
            "is not on its move's source",
        ),
        (
            "waves numbered with a gap",
            {"moves": (good_plan().moves[0], Move(2, 2, 0, 3, 5.0, Reason.parse("x")))},
            "waves are not numbered 1..2",
        ),
    ],
)
def test_each_broken_plan_is_caught(name: str, change: dict[str, object], expected: str) -> None:
    found = complaints(replace(good_plan(), **change))  # type: ignore[arg-type]
    assert any(expected in why for why in found), (name, found)


def test_a_target_over_the_cpu_limit() -> None:
    inv = fleet()
    demand = inv.demand.copy()
    demand[1] = 2.0  # v1 busy all day: with v0 on h0 that is 4 cores at samples 0-1, limit 3
    found = complaints(good_plan(), inv=replace(inv, demand=demand))
    assert "host h0 over its CPU limit at sample 0" in found


def test_too_many_moves_of_one_host_in_a_wave() -> None:
    found = complaints(good_plan(), parallel=1)
    assert "wave 1: host h0 in 2 moves, over the limit of 1" in found


def test_a_wave_that_overloads_its_destination_while_it_runs() -> None:
    # v0 and v1 swap hosts in one wave: each destination still holds what it sends while it
    # receives, so h1 holds v1 (2 cores at samples 2-3), v3 and arriving v0 (0.2 there), fine, but
    # at samples 0-1 h0 holds v0 (2) + arriving v1 (0.2) + arriving v2 (0.2), fine too; with v1
    # busy all day h1 holds 2 + 0.2 + 2 = 4.2 > 3 cores at samples 0-1 during the wave
    inv = fleet()
    demand = inv.demand.copy()
    demand[1] = 2.0
    inv = replace(inv, demand=demand)
    plan = Plan(
        "pack",
        True,
        np.array([0, 1, 2, 1]),
        np.array([1, 0, 0, 1]),
        (
            Move(0, 0, 1, 1, 5.0, Reason.parse("x")),
            Move(1, 1, 0, 1, 5.0, Reason.parse("x")),
            Move(2, 2, 0, 1, 5.0, Reason.parse("x")),
        ),
    )
    found = complaints(plan, inv=inv)
    assert any(why.startswith("wave 1: host h1 over its CPU limit") for why in found), found


def test_a_move_onto_a_closed_host_and_a_too_narrow_one() -> None:
    plan = replace(
        good_plan(),
        target=np.array([0, 0, 2, 1]),
        moves=(Move(1, 1, 0, 1, 5.0, Reason.parse("x")), Move(2, 2, 2, 1, 5.0, Reason.parse("x"))),
    )
    found = complaints(plan)
    assert "wave 1: VM v2 moves onto its own host" in found
    assert "wave 1: VM v2 moves onto a closed host" in found
